// Policy packs: the strict loader (unknown keys, attributes, actions and repeated ids refused,
// the pack, rule and key named), compilation to bit masks, and Cedar-style decisions.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "builtin.h"
#include "names.h"
#include "varsam/access.h"
#include "varsam/core.h"

namespace varsam::access {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "varsam-policy/1";
constexpr std::string_view kBoolNames[] = {"false", "true"};

// The attributes a condition may test, in the order of Compiled::masks.
struct Attribute {
  std::string_view name;
  std::span<const std::string_view> values;  // the value with index values.size() is "absent"
  bool boolean;
};

const Attribute kAttributes[] = {
    {"role", internal::kRoleNames, false},
    {"organisation.kind", internal::kOrgKindNames, false},
    {"purpose", internal::kPurposeNames, false},
    {"case.kind", internal::kCaseKindNames, false},
    {"case.led_to_investigation", kBoolNames, true},
    {"same_client", kBoolNames, true},
    {"has_ethics_approval", kBoolNames, true},
    {"resource.model_kind", internal::kModelKindNames, false},
    {"resource.decider_role", internal::kRoleNames, false},
    {"resource.field_class", internal::kFieldClassNames, false},
    {"resource.lookup", internal::kLookupNames, false},
    {"resource.report_about", internal::kReportAboutNames, false},
    // A set (Resource::feature_classes): a condition holds when it holds for one member.
    {"resource.feature_class", internal::kFeatureClassNames, false},
};
constexpr size_t kAttributeCount = std::size(kAttributes);
static_assert(kAttributeCount == std::size(PolicySet::Compiled{}.masks));

constexpr std::int64_t kMinDay = INT64_MIN;
constexpr std::int64_t kMaxDay = INT64_MAX;

std::int64_t DayNumber(Date date) { return date - Date(1970, 1, 1); }

const absl::TimeZone& SwedishZone() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone loaded;
    return absl::LoadTimeZone("Europe/Stockholm", &loaded) ? loaded : absl::UTCTimeZone();
  }();
  return zone;
}

bool IsValidRuleId(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() < 'a' || id.front() > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string Quote(std::string_view text) { return Cat({"'", text, "'"}); }

class Reader {
 public:
  explicit Reader(const std::vector<Rule>& loaded, const std::vector<std::string>& packs, bool host)
      : loaded_(loaded), packs_(packs), host_(host) {}

  absl::Status Read(const json& root);

  std::string pack;
  std::vector<Rule> rules;
  std::vector<PolicySet::Compiled> masks;
  std::vector<std::string> disable;
  std::vector<std::string> reasons;  // one per disable entry

 private:
  absl::Status Error(std::string_view path, std::string_view message) const {
    const std::string who =
        pack.empty() ? std::string("policy pack") : Cat({"policy pack ", Quote(pack)});
    return absl::InvalidArgumentError(Cat({who, ": ", path, ": ", message}));
  }

  absl::Status Keys(const json& value, std::string_view path,
                    std::initializer_list<std::string_view> known) const {
    if (!value.is_object()) return Error(path, "must be an object");
    for (const auto& item : value.items()) {
      if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
        return Error(path, Cat({"unknown key ", Quote(item.key())}));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const json& object, std::string_view key,
                                     std::string_view path) const {
    const auto it = object.find(key);
    const std::string at = Cat({path, ".", key});
    if (it == object.end()) return Error(at, "is required");
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      return Error(at, "must be a non-empty string");
    }
    VARSAM_RETURN_IF_ERROR(CheckUtf8(it->get_ref<const std::string&>(), at));
    return it->get<std::string>();
  }

  absl::StatusOr<std::optional<Date>> OptionalDate(const json& object, std::string_view key,
                                                   std::string_view path) const {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::optional<Date>();
    const std::string at = Cat({path, ".", key});
    if (!it->is_string()) return Error(at, "must be a date YYYY-MM-DD");
    const auto date = ParseIsoDate(it->get<std::string>(), at);
    if (!date.ok()) return Error(at, "must be a date YYYY-MM-DD");
    return std::optional<Date>(*date);
  }

  absl::Status ReadRule(const json& value, std::string_view path, std::set<std::string>& ids);
  absl::Status ReadCondition(const std::string& attribute, const json& test, std::string_view path,
                             Rule& rule, PolicySet::Compiled& compiled) const;

  const std::vector<Rule>& loaded_;
  const std::vector<std::string>& packs_;
  bool host_;
};

absl::Status Reader::Read(const json& root) {
  VARSAM_RETURN_IF_ERROR(
      Keys(root, "(top)", {"format", "id", "title", "note", "rules", "disable"}));
  VARSAM_ASSIGN_OR_RETURN(pack, String(root, "id", "(top)"));
  if (!IsValidRuleId(pack)) {
    pack.clear();
    return Error("id", "must be 1-64 characters of a-z, 0-9, '-', '_', starting with a letter");
  }
  VARSAM_ASSIGN_OR_RETURN(const std::string format, String(root, "format", "(top)"));
  if (format != kFormat) return Error("format", Cat({"must be ", Quote(kFormat)}));
  if (std::find(packs_.begin(), packs_.end(), pack) != packs_.end()) {
    return Error("id", "a pack of this id is already loaded");
  }
  if (const auto title = root.find("title"); title != root.end()) {
    VARSAM_RETURN_IF_ERROR(Keys(*title, "title", {"sv", "en"}));
    VARSAM_RETURN_IF_ERROR(String(*title, "sv", "title").status());
    VARSAM_RETURN_IF_ERROR(String(*title, "en", "title").status());
  }
  if (const auto note = root.find("note"); note != root.end()) {
    VARSAM_RETURN_IF_ERROR(String(root, "note", "(top)").status());
  }
  const auto list = root.find("rules");
  if (list == root.end() || !list->is_array()) return Error("rules", "must be an array");
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    VARSAM_RETURN_IF_ERROR(ReadRule((*list)[i], Cat({"rules[", std::to_string(i), "]"}), ids));
  }
  if (const auto off = root.find("disable"); off != root.end()) {
    if (!off->is_array()) return Error("disable", "must be an array of rule ids");
    for (size_t i = 0; i < off->size(); ++i) {
      const std::string at = Cat({"disable[", std::to_string(i), "]"});
      const json& entry = (*off)[i];
      std::string id, reason;
      if (entry.is_string()) {
        id = entry.get<std::string>();
      } else if (entry.is_object()) {
        VARSAM_RETURN_IF_ERROR(Keys(entry, at, {"rule", "reason"}));
        VARSAM_ASSIGN_OR_RETURN(id, String(entry, "rule", at));
        VARSAM_ASSIGN_OR_RETURN(reason, String(entry, "reason", at));
      } else {
        return Error(at, "must be a rule id or {\"rule\": id, \"reason\": text}");
      }
      const auto it = std::find_if(loaded_.begin(), loaded_.end(),
                                   [&](const Rule& rule) { return rule.id == id; });
      if (it == loaded_.end())
        return Error(at, Cat({"no rule ", Quote(id), " in an earlier pack"}));
      if (it->floor) {
        return Error(at, Cat({"rule ", Quote(it->id), " is a floor rule of pack ", Quote(it->pack),
                              " and cannot be disabled"}));
      }
      if (it->lift_needs_reason && reason.empty()) {
        return Error(at, Cat({"rule ", Quote(it->id),
                              " may be lifted only with a recorded reason: {\"rule\": ",
                              Quote(it->id), ", \"reason\": ...}"}));
      }
      disable.push_back(it->id);
      reasons.push_back(std::move(reason));
    }
  }
  if (!host_ && !disable.empty()) return Error("disable", "only a host pack may disable rules");
  return absl::OkStatus();
}

absl::Status Reader::ReadRule(const json& value, std::string_view index_path,
                              std::set<std::string>& ids) {
  VARSAM_RETURN_IF_ERROR(Keys(value, index_path,
                              {"id", "effect", "floor", "actions", "when", "citation", "valid_from",
                               "valid_to", "explanation", "lift_needs_reason"}));
  Rule rule;
  rule.pack = pack;
  VARSAM_ASSIGN_OR_RETURN(rule.id, String(value, "id", index_path));
  if (!IsValidRuleId(rule.id)) {
    return Error(Cat({index_path, ".id"}),
                 "must be 1-64 characters of a-z, 0-9, '-', '_', starting with a letter");
  }
  const std::string path = Cat({index_path, " (", Quote(rule.id), ")"});
  if (rule.id == kNoLawfulBasis) return Error(path, "the id is reserved for the default deny");
  for (const Rule& old : loaded_) {
    if (old.id != rule.id) continue;
    if (old.floor) {
      return Error(path, Cat({"rule ", Quote(old.id), " is a floor rule of pack ", Quote(old.pack),
                              " and cannot be redefined or weakened"}));
    }
    return Error(path, Cat({"id already used by pack ", Quote(old.pack)}));
  }
  if (!ids.insert(rule.id).second) return Error(path, "id used twice in this pack");

  PolicySet::Compiled compiled;
  for (auto& mask : compiled.masks) mask = 0xFFFF;

  VARSAM_ASSIGN_OR_RETURN(const std::string effect, String(value, "effect", path));
  if (effect == "permit") {
    rule.effect = Effect::kPermit;
  } else if (effect == "forbid") {
    rule.effect = Effect::kForbid;
  } else {
    return Error(Cat({path, ".effect"}), "must be 'permit' or 'forbid'");
  }
  compiled.forbid = rule.effect == Effect::kForbid;
  if (const auto floor = value.find("floor"); floor != value.end()) {
    if (!floor->is_boolean()) return Error(Cat({path, ".floor"}), "must be true or false");
    rule.floor = floor->get<bool>();
  }
  if (rule.floor && rule.effect != Effect::kForbid) {
    return Error(Cat({path, ".floor"}), "only a forbid rule can be a floor rule");
  }
  if (const auto lift = value.find("lift_needs_reason"); lift != value.end()) {
    if (!lift->is_boolean()) {
      return Error(Cat({path, ".lift_needs_reason"}), "must be true or false");
    }
    rule.lift_needs_reason = lift->get<bool>();
  }
  if (rule.lift_needs_reason && rule.floor) {
    return Error(Cat({path, ".lift_needs_reason"}), "a floor rule cannot be lifted at all");
  }

  const auto actions = value.find("actions");
  if (actions == value.end() || !actions->is_array() || actions->empty()) {
    return Error(Cat({path, ".actions"}), "must be a non-empty array of action ids");
  }
  for (size_t i = 0; i < actions->size(); ++i) {
    const std::string at = Cat({path, ".actions[", std::to_string(i), "]"});
    const json& id = (*actions)[i];
    if (!id.is_string()) return Error(at, "must be an action id");
    if (id.get<std::string>() == "*") {
      rule.all_actions = true;
      compiled.actions = static_cast<std::uint16_t>((1u << kActionCount) - 1);
      continue;
    }
    const std::optional<Action> action = ParseAction(id.get<std::string>());
    if (!action) return Error(at, Cat({"unknown action ", Quote(id.get<std::string>())}));
    const auto bit = static_cast<std::uint16_t>(1u << static_cast<unsigned>(*action));
    if (compiled.actions & bit && !rule.all_actions) return Error(at, "action listed twice");
    compiled.actions |= bit;
    rule.actions.push_back(*action);
  }
  if (rule.all_actions) {
    if (actions->size() != 1) return Error(Cat({path, ".actions"}), "'*' must stand alone");
    for (int a = 0; a < kActionCount; ++a) rule.actions.push_back(static_cast<Action>(a));
  }

  if (const auto when = value.find("when"); when != value.end()) {
    if (!when->is_object()) return Error(Cat({path, ".when"}), "must be an object");
    for (const auto& item : when->items()) {
      VARSAM_RETURN_IF_ERROR(ReadCondition(item.key(), item.value(),
                                           Cat({path, ".when.", item.key()}), rule, compiled));
    }
  }

  VARSAM_ASSIGN_OR_RETURN(rule.citation, String(value, "citation", path));
  VARSAM_ASSIGN_OR_RETURN(rule.valid_from, OptionalDate(value, "valid_from", path));
  VARSAM_ASSIGN_OR_RETURN(rule.valid_to, OptionalDate(value, "valid_to", path));
  if (rule.valid_from && rule.valid_to && *rule.valid_to < *rule.valid_from) {
    return Error(Cat({path, ".valid_to"}), "is before valid_from");
  }
  compiled.from_day = rule.valid_from ? DayNumber(*rule.valid_from) : kMinDay;
  compiled.to_day = rule.valid_to ? DayNumber(*rule.valid_to) : kMaxDay;

  const auto explanation = value.find("explanation");
  const std::string explanation_path = Cat({path, ".explanation"});
  if (explanation == value.end()) return Error(explanation_path, "is required");
  VARSAM_RETURN_IF_ERROR(Keys(*explanation, explanation_path, {"sv", "en"}));
  VARSAM_ASSIGN_OR_RETURN(rule.explanation_sv, String(*explanation, "sv", explanation_path));
  VARSAM_ASSIGN_OR_RETURN(rule.explanation_en, String(*explanation, "en", explanation_path));

  rules.push_back(std::move(rule));
  compiled.disabled = false;
  masks.push_back(compiled);
  return absl::OkStatus();
}

absl::Status Reader::ReadCondition(const std::string& attribute, const json& test,
                                   std::string_view path, Rule& rule,
                                   PolicySet::Compiled& compiled) const {
  size_t index = 0;
  while (index < kAttributeCount && kAttributes[index].name != attribute) ++index;
  if (index == kAttributeCount) return Error(path, "unknown attribute");
  const Attribute& attr = kAttributes[index];
  if (!test.is_object() || test.size() != 1) {
    return Error(path, "must be one test: {\"equals\": v}, {\"in\": [...]} or {\"not_in\": [...]}");
  }
  const std::string op = test.begin().key();
  const json& operand = test.begin().value();
  std::vector<json> values;
  if (op == "equals") {
    values.push_back(operand);
  } else if (op == "in" || op == "not_in") {
    if (attr.boolean) return Error(path, "a yes/no attribute takes only 'equals'");
    if (!operand.is_array() || operand.empty())
      return Error(Cat({path, ".", op}), "must be a non-empty array");
    values.assign(operand.begin(), operand.end());
  } else {
    return Error(path, Cat({"unknown test ", Quote(op), "; use equals, in or not_in"}));
  }
  std::uint16_t bits = 0;
  Condition condition{attribute, op, {}};
  for (const json& v : values) {
    size_t value_index = 0;
    if (attr.boolean) {
      if (!v.is_boolean()) return Error(Cat({path, ".", op}), "must be true or false");
      value_index = v.get<bool>() ? 1 : 0;
    } else {
      if (!v.is_string()) return Error(Cat({path, ".", op}), "must hold glossary ids");
      const auto& s = v.get_ref<const std::string&>();
      value_index = static_cast<size_t>(std::find(attr.values.begin(), attr.values.end(), s) -
                                        attr.values.begin());
      if (value_index == attr.values.size()) {
        return Error(Cat({path, ".", op}), Cat({"unknown value ", Quote(s), " of ", attr.name}));
      }
    }
    const auto bit = static_cast<std::uint16_t>(1u << value_index);
    if (bits & bit) return Error(Cat({path, ".", op}), "value listed twice");
    bits |= bit;
    condition.values.emplace_back(attr.values[value_index]);
  }
  // Absent values (no case, no resource attribute) match only not_in.
  compiled.masks[index] = op == "not_in" ? static_cast<std::uint16_t>(~bits) : bits;
  rule.when.push_back(std::move(condition));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> PolicySet::BuiltinPacks() {
  std::vector<std::string> ids;
  for (const internal::EmbeddedPack& pack : internal::BuiltinPacks()) {
    std::string_view file = pack.file;
    if (file.size() > 5 && file.substr(file.size() - 5) == ".json") file.remove_suffix(5);
    ids.emplace_back(file);
  }
  return ids;
}

absl::StatusOr<PolicySet> PolicySet::Load(std::string_view id) {
  for (const internal::EmbeddedPack& pack : internal::BuiltinPacks()) {
    if (pack.file != Cat({id, ".json"})) continue;
    PolicySet set;
    VARSAM_RETURN_IF_ERROR(set.Add(pack.text, /*host=*/false));
    return set;
  }
  return absl::NotFoundError(Cat({"no built-in policy pack ", Quote(id)}));
}

absl::Status PolicySet::LoadHostPack(std::string_view text) { return Add(text, /*host=*/true); }

absl::Status PolicySet::Add(std::string_view text, bool host) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "policy pack"));
  Reader reader(rules_, packs_, host);
  VARSAM_RETURN_IF_ERROR(reader.Read(root));
  if (rules_.size() + reader.rules.size() > static_cast<size_t>(kMaxRules)) {
    return absl::InvalidArgumentError(Cat({"policy pack ", Quote(reader.pack), ": more than ",
                                           std::to_string(kMaxRules), " rules in the set"}));
  }
  for (size_t d = 0; d < reader.disable.size(); ++d) {
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (rules_[i].id == reader.disable[d]) compiled_[i].disabled = true;
    }
    lifts_.push_back(Lift{reader.disable[d], reader.pack, reader.reasons[d]});
  }
  packs_.push_back(reader.pack);
  for (size_t i = 0; i < reader.rules.size(); ++i) {
    rules_.push_back(std::move(reader.rules[i]));
    compiled_.push_back(reader.masks[i]);
  }
  return absl::OkStatus();
}

namespace {

// The value of each attribute of a call, in kAttributes' order, as a bit: 1 << the value's
// index, where "absent" is the count of values; a set attribute has a bit per member (absent
// when empty).
void CallBits(const Context& context, const Resource& resource, std::uint16_t v[]) {
  const auto bit = [](unsigned index) { return static_cast<std::uint16_t>(1u << index); };
  v[0] = bit(static_cast<unsigned>(context.role));
  v[1] = bit(static_cast<unsigned>(context.organisation.kind));
  v[2] = bit(static_cast<unsigned>(context.purpose));
  v[3] = bit(context.case_info ? static_cast<unsigned>(context.case_info->kind) : kCaseKindCount);
  v[4] = bit(context.case_info ? (context.case_info->led_to_investigation ? 1 : 0) : 2);
  v[5] = bit(context.SameClient() ? 1 : 0);
  v[6] = bit(context.ethics_approval ? 1 : 0);
  v[7] = bit(resource.model_kind ? static_cast<unsigned>(*resource.model_kind) : 2);
  v[8] = bit(resource.decider_role ? static_cast<unsigned>(*resource.decider_role) : kRoleCount);
  v[9] = bit(resource.field_class ? static_cast<unsigned>(*resource.field_class) : 3);
  v[10] = bit(resource.lookup ? static_cast<unsigned>(*resource.lookup) : 1);
  v[11] = bit(resource.report_about ? static_cast<unsigned>(*resource.report_about) : 2);
  v[12] = resource.feature_classes != 0 ? resource.feature_classes : bit(kFeatureClassCount);
}

// Whether `rule` applies to the call (its action, day and every condition), disabled or not.
bool Applies(const PolicySet::Compiled& rule, const std::uint16_t v[], std::int64_t day,
             std::uint16_t action_bit) {
  if (!(rule.actions & action_bit) || day < rule.from_day || day > rule.to_day) return false;
  for (size_t k = 0; k < kAttributeCount; ++k) {
    if ((rule.masks[k] & v[k]) == 0) return false;
  }
  return true;
}

}  // namespace

Verdict PolicySet::Decide(const Context& context, Action action, const Resource& resource) const {
  std::uint16_t v[kAttributeCount];
  CallBits(context, resource, v);
  const std::int64_t day = DayNumber(absl::ToCivilDay(context.time, SwedishZone()));
  const auto action_bit = static_cast<std::uint16_t>(1u << static_cast<unsigned>(action));

  Verdict permits;
  Verdict forbids;
  for (size_t i = 0; i < compiled_.size(); ++i) {
    const Compiled& rule = compiled_[i];
    if (rule.disabled || !Applies(rule, v, day, action_bit)) continue;
    (rule.forbid ? forbids : permits).rules.set(i);
  }
  if (forbids.rules.any()) return forbids;
  permits.allow = permits.rules.any();
  return permits;
}

std::vector<Lift> PolicySet::LiftsFor(const Context& context, Action action,
                                      const Resource& resource) const {
  std::vector<Lift> out;
  if (lifts_.empty()) return out;
  std::uint16_t v[kAttributeCount];
  CallBits(context, resource, v);
  const std::int64_t day = DayNumber(absl::ToCivilDay(context.time, SwedishZone()));
  const auto action_bit = static_cast<std::uint16_t>(1u << static_cast<unsigned>(action));
  for (size_t i = 0; i < compiled_.size(); ++i) {
    if (!compiled_[i].disabled || !Applies(compiled_[i], v, day, action_bit)) continue;
    for (const Lift& lift : lifts_) {
      if (lift.rule == rules_[i].id) out.push_back(lift);
    }
  }
  return out;
}

Decision PolicySet::Explain(const Verdict& verdict) const {
  Decision decision;
  decision.allow = verdict.allow;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!verdict.rules.test(i)) continue;
    const Rule& rule = rules_[i];
    decision.rules.push_back(rule.id);
    decision.citations.push_back(rule.citation);
    decision.explanation_sv +=
        decision.explanation_sv.empty() ? rule.explanation_sv : Cat({" ", rule.explanation_sv});
    decision.explanation_en +=
        decision.explanation_en.empty() ? rule.explanation_en : Cat({" ", rule.explanation_en});
  }
  if (decision.rules.empty() && !decision.allow) {
    decision.rules.emplace_back(kNoLawfulBasis);
    decision.citations.emplace_back("SoLPUL 6 §");
    decision.explanation_sv =
        "Ingen regel ger stöd för behandlingen: personuppgifter får bara behandlas när det behövs "
        "för socialtjänstens uppgifter.";
    decision.explanation_en =
        "No rule gives a lawful basis: personal data may only be processed when it is necessary "
        "for the tasks of the social services.";
  }
  return decision;
}

std::vector<const Rule*> PolicySet::rules() const {
  std::vector<const Rule*> out;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!compiled_[i].disabled) out.push_back(&rules_[i]);
  }
  return out;
}

}  // namespace varsam::access
