// Glossary ids, the access context and resources: strict JSON (unknown keys refused, the key at
// fault named, never its value).

#include "varsam/access.h"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "names.h"
#include "varsam/core.h"

namespace varsam::access {
namespace {

using nlohmann::json;

template <typename Enum, size_t N>
std::string_view NameIn(const std::string_view (&names)[N], Enum value) {
  const auto index = static_cast<size_t>(value);
  return index < N ? names[index] : std::string_view("?");
}

template <typename Enum, size_t N>
std::optional<Enum> ParseIn(const std::string_view (&names)[N], std::string_view id) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == id) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr size_t kMaxIdLength = 128;

// A required identifier string.
absl::StatusOr<std::string> RequiredId(const json& object, std::string_view key,
                                       std::string_view what) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return InvalidField(what, "is required");
  if (!it->is_string()) return InvalidField(what, "must be a string");
  const std::string& text = it->get_ref<const std::string&>();
  if (text.empty() || text.size() > kMaxIdLength) {
    return InvalidField(what, Cat({"must be 1-", std::to_string(kMaxIdLength), " bytes"}));
  }
  VARSAM_RETURN_IF_ERROR(CheckUtf8(text, what));
  return text;
}

// The same, or (with `optional`) nothing when absent or null.
absl::StatusOr<std::optional<std::string>> Id(const json& object, std::string_view key,
                                              std::string_view what, bool optional) {
  const auto it = object.find(key);
  if (optional && (it == object.end() || it->is_null())) return std::optional<std::string>();
  VARSAM_ASSIGN_OR_RETURN(std::string value, RequiredId(object, key, what));
  return std::optional<std::string>(std::move(value));
}

// A glossary id from `names`.
template <typename Enum, size_t N>
absl::StatusOr<std::optional<Enum>> Glossary(const json& object, std::string_view key,
                                             std::string_view what,
                                             const std::string_view (&names)[N], bool optional) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (optional) return std::optional<Enum>();
    return InvalidField(what, "is required");
  }
  if (!it->is_string()) return InvalidField(what, "must be a string");
  const std::optional<Enum> value = ParseIn<Enum>(names, it->get_ref<const std::string&>());
  if (!value) {
    std::string allowed;
    for (std::string_view name : names)
      allowed += allowed.empty() ? std::string(name) : Cat({", ", name});
    return InvalidField(what, Cat({"is not one of ", allowed}));
  }
  return value;
}

constexpr const char* kTimeFormat = "%Y-%m-%dT%H:%M:%E*SZ";

}  // namespace

std::string_view Name(Role value) { return NameIn(internal::kRoleNames, value); }
std::string_view Name(OrgKind value) { return NameIn(internal::kOrgKindNames, value); }
std::string_view Name(Purpose value) { return NameIn(internal::kPurposeNames, value); }
std::string_view Name(CaseKind value) { return NameIn(internal::kCaseKindNames, value); }
std::string_view Name(Action value) { return NameIn(internal::kActionNames, value); }
std::string_view Name(ModelKind value) { return NameIn(internal::kModelKindNames, value); }
std::string_view Name(FieldClass value) { return NameIn(internal::kFieldClassNames, value); }
std::string_view Name(FeatureClass value) { return NameIn(internal::kFeatureClassNames, value); }
std::string_view Name(Lookup value) { return NameIn(internal::kLookupNames, value); }
std::string_view Name(ReportAbout value) { return NameIn(internal::kReportAboutNames, value); }
std::optional<Role> ParseRole(std::string_view id) {
  return ParseIn<Role>(internal::kRoleNames, id);
}
std::optional<OrgKind> ParseOrgKind(std::string_view id) {
  return ParseIn<OrgKind>(internal::kOrgKindNames, id);
}
std::optional<Purpose> ParsePurpose(std::string_view id) {
  return ParseIn<Purpose>(internal::kPurposeNames, id);
}
std::optional<CaseKind> ParseCaseKind(std::string_view id) {
  return ParseIn<CaseKind>(internal::kCaseKindNames, id);
}
std::optional<Action> ParseAction(std::string_view id) {
  return ParseIn<Action>(internal::kActionNames, id);
}
std::optional<FieldClass> ParseFieldClass(std::string_view id) {
  return ParseIn<FieldClass>(internal::kFieldClassNames, id);
}
std::optional<FeatureClass> ParseFeatureClass(std::string_view id) {
  return ParseIn<FeatureClass>(internal::kFeatureClassNames, id);
}

bool Context::SameClient() const {
  return case_info.has_value() && subject_client.has_value() &&
         case_info->client == *subject_client;
}

absl::StatusOr<CaseInfo> ParseCaseInfo(const json& value, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(value, what, {"ref", "kind", "led_to_investigation", "client"}));
  const auto key = [what](std::string_view name) { return Cat({what, ".", name}); };
  CaseInfo info;
  VARSAM_ASSIGN_OR_RETURN(info.ref, RequiredId(value, "ref", key("ref")));
  VARSAM_ASSIGN_OR_RETURN(
      const std::optional<CaseKind> case_kind,
      Glossary<CaseKind>(value, "kind", key("kind"), internal::kCaseKindNames, false));
  info.kind = *case_kind;
  const auto led = value.find("led_to_investigation");
  if (led == value.end()) return InvalidField(key("led_to_investigation"), "is required");
  if (!led->is_boolean()) return InvalidField(key("led_to_investigation"), "must be true or false");
  info.led_to_investigation = led->get<bool>();
  VARSAM_ASSIGN_OR_RETURN(info.client, RequiredId(value, "client", key("client")));
  return info;
}

nlohmann::ordered_json CaseInfoJson(const CaseInfo& info) {
  nlohmann::ordered_json out;
  out["ref"] = info.ref;
  out["kind"] = Name(info.kind);
  out["led_to_investigation"] = info.led_to_investigation;
  out["client"] = info.client;
  return out;
}

absl::StatusOr<Context> ParseContext(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "context"));
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(root, "context",
                                       {"actor", "role", "organisation", "purpose", "case",
                                        "subject_client", "time", "ethics_approval"}));
  Context context;
  VARSAM_ASSIGN_OR_RETURN(context.actor, RequiredId(root, "actor", "context.actor"));
  VARSAM_ASSIGN_OR_RETURN(
      const std::optional<Role> role,
      Glossary<Role>(root, "role", "context.role", internal::kRoleNames, false));
  context.role = *role;

  const auto org = root.find("organisation");
  if (org == root.end()) return InvalidField("context.organisation", "is required");
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(*org, "context.organisation", {"kind", "id"}));
  VARSAM_ASSIGN_OR_RETURN(
      const std::optional<OrgKind> kind,
      Glossary<OrgKind>(*org, "kind", "context.organisation.kind", internal::kOrgKindNames, false));
  context.organisation.kind = *kind;
  VARSAM_ASSIGN_OR_RETURN(context.organisation.id,
                          RequiredId(*org, "id", "context.organisation.id"));
  const std::string& code = context.organisation.id;
  if (code.size() != 4 || !std::all_of(code.begin(), code.end(), IsDigit)) {
    return InvalidField("context.organisation.id", "must be a municipality code of four digits");
  }

  VARSAM_ASSIGN_OR_RETURN(
      const std::optional<Purpose> purpose,
      Glossary<Purpose>(root, "purpose", "context.purpose", internal::kPurposeNames, false));
  context.purpose = *purpose;

  const auto case_it = root.find("case");
  if (case_it != root.end() && !case_it->is_null()) {
    VARSAM_ASSIGN_OR_RETURN(context.case_info, ParseCaseInfo(*case_it, "context.case"));
  }
  VARSAM_ASSIGN_OR_RETURN(context.subject_client,
                          Id(root, "subject_client", "context.subject_client", true));
  VARSAM_ASSIGN_OR_RETURN(context.ethics_approval,
                          Id(root, "ethics_approval", "context.ethics_approval", true));

  const auto time = root.find("time");
  if (time == root.end()) return InvalidField("context.time", "is required");
  if (!time->is_string()) return InvalidField("context.time", "must be a string");
  std::string error;
  if (!absl::ParseTime(kTimeFormat, time->get<std::string>(), absl::UTCTimeZone(), &context.time,
                       &error)) {
    return InvalidField("context.time",
                        "must be an RFC 3339 time in UTC, e.g. 2026-11-28T10:00:00Z");
  }
  return context;
}

std::string ContextToJson(const Context& context) {
  nlohmann::ordered_json out;
  out["actor"] = context.actor;
  out["role"] = Name(context.role);
  out["organisation"] = {{"kind", Name(context.organisation.kind)},
                         {"id", context.organisation.id}};
  out["purpose"] = Name(context.purpose);
  if (context.case_info) {
    out["case"] = CaseInfoJson(*context.case_info);
  } else {
    out["case"] = nullptr;
  }
  out["subject_client"] =
      context.subject_client ? nlohmann::ordered_json(*context.subject_client) : nullptr;
  out["time"] = absl::FormatTime(kTimeFormat, context.time, absl::UTCTimeZone());
  out["ethics_approval"] =
      context.ethics_approval ? nlohmann::ordered_json(*context.ethics_approval) : nullptr;
  return DumpJson(out);
}

nlohmann::ordered_json ToJson(const Decision& decision) {
  nlohmann::ordered_json out;
  out["decision"] = decision.allow ? "allow" : "deny";
  out["rules"] = decision.rules;
  out["citations"] = decision.citations;
  out["explanation"] = decision.explanation_en;
  out["explanation_sv"] = decision.explanation_sv;
  return out;
}

absl::StatusOr<Resource> ParseResource(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "resource"));
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(
      root, "resource",
      {"model_kind", "decider_role", "field_class", "lookup", "report_about", "feature_classes"}));
  Resource resource;
  VARSAM_ASSIGN_OR_RETURN(resource.model_kind,
                          Glossary<ModelKind>(root, "model_kind", "resource.model_kind",
                                              internal::kModelKindNames, true));
  VARSAM_ASSIGN_OR_RETURN(
      resource.decider_role,
      Glossary<Role>(root, "decider_role", "resource.decider_role", internal::kRoleNames, true));
  VARSAM_ASSIGN_OR_RETURN(resource.field_class,
                          Glossary<FieldClass>(root, "field_class", "resource.field_class",
                                               internal::kFieldClassNames, true));
  VARSAM_ASSIGN_OR_RETURN(resource.lookup, Glossary<Lookup>(root, "lookup", "resource.lookup",
                                                            internal::kLookupNames, true));
  VARSAM_ASSIGN_OR_RETURN(resource.report_about,
                          Glossary<ReportAbout>(root, "report_about", "resource.report_about",
                                                internal::kReportAboutNames, true));
  if (const auto classes = root.find("feature_classes"); classes != root.end()) {
    if (!classes->is_array()) {
      return InvalidField("resource.feature_classes", "must be an array of feature classes");
    }
    for (const json& name : *classes) {
      const std::optional<FeatureClass> c =
          name.is_string() ? ParseFeatureClass(name.get<std::string>()) : std::nullopt;
      if (!c) return InvalidField("resource.feature_classes", "holds an unknown feature class");
      resource.AddFeatureClass(*c);
    }
  }
  return resource;
}

}  // namespace varsam::access
