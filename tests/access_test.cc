// Access contexts and policy packs: the built-in pack against an independent reading of the
// rules of docs/legal-basis.md, floor rules against host packs, and the strict loaders.

#include "varsam/access.h"

#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "varsam/core.h"

namespace varsam::access {
namespace {

constexpr std::string_view kContextJson =
    R"({"actor": "a-17", "role": "handlaggare",
        "organisation": {"kind": "socialnamnd", "id": "0180"},
        "purpose": "handlaggning",
        "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": true, "client": "k-1"},
        "subject_client": "k-1", "time": "2026-11-28T10:00:00Z", "ethics_approval": null})";

const PolicySet& Builtin() {
  static const PolicySet set = [] {
    auto loaded = PolicySet::Load();
    REQUIRE(loaded.ok());
    return *std::move(loaded);
  }();
  return set;
}

absl::Time At(const char* text) {
  absl::Time time;
  std::string error;
  REQUIRE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", text, absl::UTCTimeZone(), &time, &error));
  return time;
}

// Resources with one qualifier (designated initializers trip GCC's missing-initializer warning).
Resource Model(ModelKind kind) {
  Resource r;
  r.model_kind = kind;
  return r;
}
Resource Decider(Role role) {
  Resource r;
  r.decider_role = role;
  return r;
}
Resource Field(FieldClass field) {
  Resource r;
  r.field_class = field;
  return r;
}
Resource Features(std::initializer_list<FeatureClass> classes,
                  std::optional<ModelKind> kind = std::nullopt) {
  Resource r;
  r.model_kind = kind;
  for (FeatureClass c : classes) r.AddFeatureClass(c);
  return r;
}
Resource EarlierReports(std::optional<ReportAbout> about) {
  Resource r;
  r.lookup = Lookup::kEarlierReports;
  r.report_about = about;
  return r;
}

// ---- The expectation: docs/legal-basis.md's rules read independently of data/policy ----------

struct Call {
  Purpose purpose;
  OrgKind org;
  std::optional<CaseKind> case_kind;
  bool led;
  bool same;
  Role role;
  bool ethics;
  Action action;
  Resource resource;
  bool new_regime;  // on or after 2025-07-01
};

bool OneOf(Purpose p, std::initializer_list<Purpose> list) {
  return std::find(list.begin(), list.end(), p) != list.end();
}

bool IsReport(const Call& c) {
  return c.case_kind == CaseKind::kAnmalan || c.case_kind == CaseKind::kForhandsbedomning;
}

bool IsHuman(std::optional<Role> role) {
  return role == Role::kHandlaggare || role == Role::kArbetsledare;
}

// {allow, rule ids} as the table says.
std::pair<bool, std::set<std::string>> Expected(const Call& c) {
  const Action a = c.action;
  const Resource& r = c.resource;
  const bool handling = c.purpose == Purpose::kHandlaggning;
  const bool same = c.same && c.case_kind.has_value();  // no case, no "own client"
  std::set<std::string> forbids;
  if (handling && a == Action::kJournalRead && !same) forbids.insert("no-other-clients");
  if (handling && a == Action::kRegisterReadRows) forbids.insert("no-rows-in-case");
  if (c.org == OrgKind::kPrivatUtforare &&
      !OneOf(c.purpose, {Purpose::kHandlaggning, Purpose::kAdministration})) {
    forbids.insert("private-provider");
  }
  if (a == Action::kRegisterSubmit && IsReport(c) && !c.led) forbids.insert("reports-stay-out");
  if (a == Action::kJournalRead && r.lookup == Lookup::kEarlierReports) {
    if (!c.new_regime) forbids.insert("reports-not-searchable");
    if (c.new_regime && r.report_about != ReportAbout::kChild) {
      forbids.insert("reports-searchable-children");
    }
  }
  if (a == Action::kModelApply && IsReport(c) && r.model_kind != ModelKind::kEvidenceBased) {
    forbids.insert("reports-evidence-only");
  }
  if ((a == Action::kRegisterSubmit || a == Action::kRegisterExport) &&
      r.field_class == FieldClass::kTradeUnion) {
    forbids.insert("never-union");
  }
  // Features that must not be proxies (GDPR art 9; the Dutch benefits model, Allegheny's tool).
  const auto names = [&r](std::initializer_list<FeatureClass> classes) {
    for (FeatureClass f : classes) {
      if ((r.feature_classes >> static_cast<unsigned>(f)) & 1u) return true;
    }
    return false;
  };
  if (a == Action::kModelTrain || a == Action::kModelApply) {
    if (names({FeatureClass::kTradeUnion})) forbids.insert("never-union-features");
    if (names({FeatureClass::kNationality, FeatureClass::kEthnicOrigin})) {
      forbids.insert("no-origin-proxies");
    }
    if (names({FeatureClass::kDisability, FeatureClass::kHealthDiagnosis})) {
      forbids.insert("no-health-proxies");
    }
    if (names({FeatureClass::kEconomicAssistance})) forbids.insert("no-assistance-proxies");
  }
  if (a == Action::kDecisionRecord && !IsHuman(r.decider_role)) forbids.insert("human-decides");
  if (c.purpose == Purpose::kForskning && !c.ethics) forbids.insert("research-needs-approval");
  if (!forbids.empty()) return {false, forbids};

  std::set<std::string> permits;
  if (handling && same &&
      (a == Action::kScore || a == Action::kJournalRead || a == Action::kJournalWrite ||
       a == Action::kModelApply)) {
    permits.insert("own-case");
  }
  if (OneOf(c.purpose, {Purpose::kUppfoljning, Purpose::kUtvardering, Purpose::kKvalitetssakring,
                        Purpose::kTillsyn}) &&
      c.org == OrgKind::kSocialnamnd &&
      (a == Action::kInsightQuery || a == Action::kModelTrain || a == Action::kRegisterSubmit)) {
    permits.insert("follow-up");
  }
  if (OneOf(c.purpose, {Purpose::kUppfoljning, Purpose::kUtvardering, Purpose::kKvalitetssakring,
                        Purpose::kTillsyn}) &&
      c.org == OrgKind::kSocialnamnd && a == Action::kRegisterExport) {
    permits.insert("follow-up-release");
  }
  if (a == Action::kDecisionRecord && handling && same && IsHuman(c.role)) {
    permits.insert("officer-records-decision");
  }
  if (a == Action::kAuditRead && c.role == Role::kArbetsledare &&
      OneOf(c.purpose, {Purpose::kTillsyn, Purpose::kKvalitetssakring, Purpose::kAdministration})) {
    permits.insert("audit-review");
  }
  if (permits.empty()) return {false, {"no-lawful-basis"}};
  return {true, permits};
}

std::vector<Resource> ResourcesFor(Action action) {
  std::vector<Resource> out{Resource{}};
  switch (action) {
    case Action::kModelApply:
      for (ModelKind k : {ModelKind::kEvidenceBased, ModelKind::kRegisterTrained}) {
        out.push_back(Model(k));
        out.push_back(Features({FeatureClass::kTradeUnion}, k));
        out.push_back(Features({FeatureClass::kEconomicAssistance}, k));
      }
      break;
    case Action::kModelTrain:
      for (int f = 0; f < kFeatureClassCount; ++f) {
        out.push_back(Features({static_cast<FeatureClass>(f)}));
      }
      out.push_back(Features({FeatureClass::kNationality, FeatureClass::kDisability}));
      out.push_back(Features({FeatureClass::kEthnicOrigin, FeatureClass::kTradeUnion,
                              FeatureClass::kEconomicAssistance}));
      break;
    case Action::kDecisionRecord:
      for (int role = 0; role < kRoleCount; ++role) {
        out.push_back(Decider(static_cast<Role>(role)));
      }
      break;
    case Action::kRegisterSubmit:
    case Action::kRegisterExport:
      for (FieldClass f :
           {FieldClass::kOrdinary, FieldClass::kSensitive, FieldClass::kTradeUnion}) {
        out.push_back(Field(f));
      }
      break;
    case Action::kJournalRead:
      out.push_back(EarlierReports(std::nullopt));
      for (ReportAbout about : {ReportAbout::kChild, ReportAbout::kAdult}) {
        out.push_back(EarlierReports(about));
      }
      break;
    default: break;
  }
  return out;
}

Context MakeContext(const Call& call) {
  Context context;
  context.actor = "a-17";
  context.role = call.role;
  context.organisation = {call.org, "0180"};
  context.purpose = call.purpose;
  if (call.case_kind) {
    context.case_info = CaseInfo{"c-9", *call.case_kind, call.led, "k-1"};
  }
  context.subject_client = call.same ? "k-1" : "k-2";
  context.time = At(call.new_regime ? "2025-07-01T12:00:00Z" : "2025-06-30T12:00:00Z");
  if (call.ethics) context.ethics_approval = "dnr-2026-00001";
  return context;
}

std::string Describe(const Call& c) {
  return Cat({Name(c.purpose),
              " ",
              Name(c.org),
              " ",
              c.case_kind ? Name(*c.case_kind) : std::string_view("(no case)"),
              c.led ? " led" : " not-led",
              c.same ? " same" : " other",
              " ",
              Name(c.role),
              c.ethics ? " ethics" : "",
              " ",
              Name(c.action),
              " model=",
              c.resource.model_kind ? Name(*c.resource.model_kind) : "-",
              " decider=",
              c.resource.decider_role ? Name(*c.resource.decider_role) : "-",
              " field=",
              c.resource.field_class ? Name(*c.resource.field_class) : "-",
              " lookup=",
              c.resource.lookup ? Name(*c.resource.lookup) : "-",
              " about=",
              c.resource.report_about ? Name(*c.resource.report_about) : "-",
              " features=",
              std::to_string(c.resource.feature_classes),
              c.new_regime ? " 2025-07-01" : " 2025-06-30"});
}

TEST_CASE("policy: every purpose x organisation x case kind x action as legal-basis.md says",
          "[access]") {
  const PolicySet& set = Builtin();
  std::vector<std::optional<CaseKind>> kinds{std::nullopt};
  for (int k = 0; k < kCaseKindCount; ++k) kinds.emplace_back(static_cast<CaseKind>(k));
  size_t checked = 0, failures = 0;
  std::set<std::string> seen;
  for (int p = 0; p < kPurposeCount; ++p) {
    for (int o = 0; o < kOrgKindCount; ++o) {
      for (const std::optional<CaseKind>& kind : kinds) {
        for (int a = 0; a < kActionCount; ++a) {
          const auto action = static_cast<Action>(a);
          for (const Resource& resource : ResourcesFor(action)) {
            for (int bits = 0; bits < 16; ++bits) {
              for (Role role :
                   {Role::kHandlaggare, Role::kArbetsledare, Role::kAnalytiker, Role::kSystem}) {
                const Call call{static_cast<Purpose>(p),
                                static_cast<OrgKind>(o),
                                kind,
                                (bits & 1) != 0,
                                (bits & 2) != 0,
                                role,
                                (bits & 4) != 0,
                                action,
                                resource,
                                (bits & 8) != 0};
                const auto [allow, ids] = Expected(call);
                const Decision decision = set.DecideAndExplain(MakeContext(call), action, resource);
                const std::set<std::string> got(decision.rules.begin(), decision.rules.end());
                ++checked;
                seen.insert(got.begin(), got.end());
                if (decision.allow == allow && got == ids &&
                    decision.citations.size() == decision.rules.size()) {
                  continue;
                }
                if (++failures <= 10) {
                  std::string want, have;
                  for (const auto& id : ids) want += Cat({id, " "});
                  for (const auto& id : got) have += Cat({id, " "});
                  FAIL_CHECK(Cat({Describe(call), ": want ", allow ? "allow " : "deny ", want,
                                  "got ", decision.allow ? "allow " : "deny ", have}));
                }
              }
            }
          }
        }
      }
    }
  }
  CHECK(failures == 0);
  CHECK(checked > 8 * 2 * 5 * 11);
  // Every rule of the pack decided something, and so did the default deny.
  for (const Rule* rule : set.rules()) CHECK(seen.count(rule->id) == 1);
  CHECK(seen.count("no-lawful-basis") == 1);
}

TEST_CASE("policy: the reports regime switches on 2025-07-01 (Swedish date)", "[access]") {
  const PolicySet& set = Builtin();
  auto context = ParseContext(kContextJson);
  REQUIRE(context.ok());
  const Resource adult = EarlierReports(ReportAbout::kAdult);
  const Resource child = EarlierReports(ReportAbout::kChild);

  context->time = At("2025-06-30T12:00:00Z");
  Decision before = set.DecideAndExplain(*context, Action::kJournalRead, child);
  CHECK_FALSE(before.allow);
  CHECK(before.rules == std::vector<std::string>{"reports-not-searchable"});
  before = set.DecideAndExplain(*context, Action::kJournalRead, adult);
  CHECK(before.rules == std::vector<std::string>{"reports-not-searchable"});

  context->time = At("2025-07-01T12:00:00Z");
  const Decision after_child = set.DecideAndExplain(*context, Action::kJournalRead, child);
  CHECK(after_child.allow);
  CHECK(after_child.rules == std::vector<std::string>{"own-case"});
  const Decision after_adult = set.DecideAndExplain(*context, Action::kJournalRead, adult);
  CHECK_FALSE(after_adult.allow);
  CHECK(after_adult.rules == std::vector<std::string>{"reports-searchable-children"});
  CHECK(after_adult.explanation_en.find("unconfirmed") != std::string::npos);

  // 22:30 UTC on 30 June is already 1 July in Sweden (CEST, UTC+2).
  context->time = At("2025-06-30T22:30:00Z");
  CHECK(set.DecideAndExplain(*context, Action::kJournalRead, child).allow);
}

TEST_CASE("policy: a decision explains itself with citations", "[access]") {
  const PolicySet& set = Builtin();
  auto context = ParseContext(kContextJson);
  REQUIRE(context.ok());
  const Decision allowed = set.DecideAndExplain(*context, Action::kScore, {});
  CHECK(allowed.allow);
  CHECK(allowed.rules == std::vector<std::string>{"own-case"});
  CHECK(allowed.citations == std::vector<std::string>{"SoLPUL 6–7 §§"});
  CHECK_FALSE(allowed.explanation_sv.empty());
  const Decision denied = set.DecideAndExplain(*context, Action::kAuditRead, {});
  CHECK_FALSE(denied.allow);
  CHECK(denied.rules == std::vector<std::string>{"no-lawful-basis"});
  CHECK(denied.citations == std::vector<std::string>{"SoLPUL 6 §"});
  CHECK_FALSE(PolicySet().Decide(*context, Action::kScore, {}).allow);
  CHECK(PolicySet::BuiltinPacks() == std::vector<std::string>{"se-socialtjanst"});
  CHECK(PolicySet::Load("no-such-pack").status().code() == absl::StatusCode::kNotFound);
}

// ---- Floor rules and host packs ---------------------------------------------------------------

std::string HostPack(std::string_view rules, std::string_view extra = "") {
  return Cat(
      {R"({"format": "varsam-policy/1", "id": "host-0180", "rules": [)", rules, "]", extra, "}"});
}

std::string HostRule(std::string_view id, std::string_view effect, std::string_view actions,
                     std::string_view when, std::string_view extra = "") {
  return Cat({R"({"id": ")", id, R"(", "effect": ")", effect, R"(", "actions": )", actions,
              R"(, "when": )", when, R"(, "citation": "kommunens riktlinje", )", extra,
              R"("explanation": {"sv": "Lokal regel.", "en": "Local rule."}})"});
}

TEST_CASE("policy: floor rules cannot be removed or weakened by a host pack", "[access]") {
  auto loaded = PolicySet::Load();
  REQUIRE(loaded.ok());
  PolicySet& set = *loaded;
  const size_t before = set.rules().size();
  for (std::string_view floor :
       {"never-union", "never-union-features", "human-decides", "reports-stay-out"}) {
    INFO(floor);
    // Redefined, as forbid or permit, with floor false or true.
    for (std::string_view extra : {"", R"("floor": false, )", R"("floor": true, )"}) {
      const absl::Status redefined =
          set.LoadHostPack(HostPack(HostRule(floor, "forbid", R"(["audit.read"])", "{}", extra)));
      CHECK(redefined.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(std::string(redefined.message()), Catch::Contains("floor rule"));
      CHECK_THAT(std::string(redefined.message()), Catch::Contains(std::string(floor)));
    }
    const absl::Status disabled =
        set.LoadHostPack(HostPack("", Cat({R"(, "disable": [")", floor, R"("])"})));
    CHECK(disabled.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(disabled.message()), Catch::Contains("cannot be disabled"));
  }
  CHECK(set.rules().size() == before);
  CHECK(set.packs() == std::vector<std::string>{"se-socialtjanst"});

  // A permit cannot outweigh a floor forbid: forbids win.
  REQUIRE(set.LoadHostPack(HostPack(HostRule("union-to-register", "permit",
                                             R"(["register.submit", "decision.record"])", "{}")))
              .ok());
  auto context = ParseContext(kContextJson);
  REQUIRE(context.ok());
  Decision d =
      set.DecideAndExplain(*context, Action::kRegisterSubmit, Field(FieldClass::kTradeUnion));
  CHECK_FALSE(d.allow);
  CHECK(d.rules == std::vector<std::string>{"never-union"});
  d = set.DecideAndExplain(*context, Action::kDecisionRecord, Decider(Role::kSystem));
  CHECK(d.rules == std::vector<std::string>{"human-decides"});
  context->case_info->kind = CaseKind::kAnmalan;
  context->case_info->led_to_investigation = false;
  d = set.DecideAndExplain(*context, Action::kRegisterSubmit, {});
  CHECK(d.rules == std::vector<std::string>{"reports-stay-out"});
  // The host's permit does decide where no forbid matches.
  context->case_info->kind = CaseKind::kUtredning;
  d = set.DecideAndExplain(*context, Action::kRegisterSubmit, {});
  CHECK(d.allow);
  CHECK(d.rules == std::vector<std::string>{"union-to-register"});
}

TEST_CASE("policy: a host pack may disable a non-floor rule and add its own", "[access]") {
  auto loaded = PolicySet::Load();
  REQUIRE(loaded.ok());
  auto context = ParseContext(kContextJson);
  REQUIRE(context.ok());
  context->time = At("2025-08-01T10:00:00Z");
  const Resource adult = EarlierReports(ReportAbout::kAdult);
  CHECK_FALSE(loaded->Decide(*context, Action::kJournalRead, adult).allow);
  REQUIRE(
      loaded
          ->LoadHostPack(HostPack(
              HostRule("no-journal-on-sundays", "forbid", R"(["journal.write"])",
                       R"({"role": {"equals": "analytiker"}})", R"("valid_from": "2025-01-01", )"),
              R"(, "disable": ["reports-searchable-children"])"))
          .ok());
  CHECK(loaded->Decide(*context, Action::kJournalRead, adult).allow);
  CHECK(loaded->packs() == std::vector<std::string>{"se-socialtjanst", "host-0180"});
  context->role = Role::kAnalytiker;
  CHECK(loaded->DecideAndExplain(*context, Action::kJournalWrite, {}).rules ==
        std::vector<std::string>{"no-journal-on-sundays"});
}

TEST_CASE("policy: never-union-features refuses a model naming trade-union membership",
          "[access]") {
  auto context = ParseContext(kContextJson);
  REQUIRE(context.ok());
  context->purpose = Purpose::kUppfoljning;
  context->case_info.reset();
  CHECK(Builtin().Decide(*context, Action::kModelTrain, {}).allow);
  Decision d =
      Builtin().DecideAndExplain(*context, Action::kModelTrain,
                                 Features({FeatureClass::kTradeUnion, FeatureClass::kDisability}));
  CHECK_FALSE(d.allow);
  CHECK(std::set<std::string>(d.rules.begin(), d.rules.end()) ==
        std::set<std::string>{"never-union-features", "no-health-proxies"});
  CHECK(d.citations[0] == "SoLPUL 7 a §, GDPR art 9");
}

TEST_CASE("policy: proxies of special categories are refused; lifted only with a recorded reason",
          "[access]") {
  auto context = ParseContext(kContextJson);
  REQUIRE(context.ok());
  context->purpose = Purpose::kUtvardering;
  context->case_info.reset();
  const std::pair<FeatureClass, const char*> defaults[] = {
      {FeatureClass::kNationality, "no-origin-proxies"},
      {FeatureClass::kEthnicOrigin, "no-origin-proxies"},
      {FeatureClass::kDisability, "no-health-proxies"},
      {FeatureClass::kHealthDiagnosis, "no-health-proxies"},
      {FeatureClass::kEconomicAssistance, "no-assistance-proxies"}};
  for (const auto& [feature, rule] : defaults) {
    INFO(rule);
    const Decision d =
        Builtin().DecideAndExplain(*context, Action::kModelTrain, Features({feature}));
    CHECK_FALSE(d.allow);
    CHECK(d.rules == std::vector<std::string>{rule});
    // Applying such a model is refused as well, in the officer's own case.
    Context officer = *ParseContext(kContextJson);
    CHECK(Builtin().Decide(officer, Action::kModelApply, Model(ModelKind::kRegisterTrained)).allow);
    CHECK_FALSE(
        Builtin()
            .Decide(officer, Action::kModelApply, Features({feature}, ModelKind::kRegisterTrained))
            .allow);
  }
  // The Dutch benefits model and Allegheny's tool are cited where the rules are.
  for (const Rule* r : Builtin().rules()) {
    if (r->id == "no-origin-proxies") {
      CHECK_THAT(r->citation, Catch::Contains("Autoriteit Persoonsgegevens"));
      CHECK(r->lift_needs_reason);
    }
    if (r->id == "no-health-proxies" || r->id == "no-assistance-proxies") {
      CHECK_THAT(r->citation, Catch::Contains("CHI 2022"));
      CHECK(r->lift_needs_reason);
    }
  }

  auto set = PolicySet::Load();
  REQUIRE(set.ok());
  const absl::Status bare =
      set->LoadHostPack(HostPack("", R"(, "disable": ["no-health-proxies"])"));
  CHECK(bare.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bare.message()), Catch::Contains("only with a recorded reason"));
  const absl::Status empty = set->LoadHostPack(
      HostPack("", R"(, "disable": [{"rule": "no-health-proxies", "reason": ""}])"));
  CHECK(empty.code() == absl::StatusCode::kInvalidArgument);
  CHECK(set->lifts().empty());
  REQUIRE(set->LoadHostPack(HostPack("", R"(, "disable": [{"rule": "no-health-proxies",
              "reason": "Nämndens beslut 2026-11-02 § 14: diagnoser prövas i en avgränsad studie"}])"))
              .ok());
  REQUIRE(set->lifts().size() == 1);
  CHECK(set->lifts()[0].rule == "no-health-proxies");
  CHECK(set->lifts()[0].pack == "host-0180");
  CHECK_THAT(set->lifts()[0].reason, Catch::StartsWith("Nämndens beslut"));
  CHECK(set->Decide(*context, Action::kModelTrain, Features({FeatureClass::kDisability})).allow);
  // What the call relied on: the lifted rule with its pack and reason; nothing for a call the
  // rule never concerned.
  const std::vector<Lift> relied =
      set->LiftsFor(*context, Action::kModelTrain, Features({FeatureClass::kDisability}));
  REQUIRE(relied.size() == 1);
  CHECK(relied[0].rule == "no-health-proxies");
  CHECK_THAT(relied[0].reason, Catch::StartsWith("Nämndens beslut"));
  CHECK(
      set->LiftsFor(*context, Action::kModelTrain, Features({FeatureClass::kNationality})).empty());
  CHECK(set->LiftsFor(*context, Action::kModelTrain, {}).empty());
  CHECK(Builtin()
            .LiftsFor(*context, Action::kModelTrain, Features({FeatureClass::kDisability}))
            .empty());
  // Lifting one rule lifts nothing else.
  CHECK(set->DecideAndExplain(*context, Action::kModelTrain,
                              Features({FeatureClass::kDisability, FeatureClass::kNationality}))
            .rules == std::vector<std::string>{"no-origin-proxies"});
}

TEST_CASE("policy: the loader refuses bad packs, naming the rule and the key", "[access]") {
  auto loaded = PolicySet::Load();
  REQUIRE(loaded.ok());
  struct Bad {
    std::string pack;
    std::string needle;
  };
  const std::string ok_rule = HostRule("local", "forbid", R"(["score"])", "{}");
  const std::vector<Bad> cases = {
      {HostPack(HostRule("local", "forbid", R"(["score"])", R"({"colour": {"equals": "red"}})")),
       "rules[0] ('local').when.colour: unknown attribute"},
      {HostPack(HostRule("local", "forbid", R"(["teleport"])", "{}")), "unknown action 'teleport'"},
      {HostPack(HostRule("local", "forbid", R"(["score"])", "{}", R"("severity": 1, )")),
       "unknown key 'severity'"},
      {HostPack(Cat({ok_rule, ",", ok_rule})), "rules[1] ('local'): id used twice"},
      {HostPack(HostRule("own-case", "permit", R"(["score"])", "{}")),
       "id already used by pack 'se-socialtjanst'"},
      {HostPack(HostRule("local", "forbid", R"(["score"])", R"({"purpose": {"equals": "fun"}})")),
       "unknown value 'fun' of purpose"},
      {HostPack(HostRule("local", "forbid", R"(["score"])", R"({"purpose": {"like": "x"}})")),
       "unknown test 'like'"},
      {HostPack(HostRule("local", "allow", R"(["score"])", "{}")), "must be 'permit' or 'forbid'"},
      {HostPack(HostRule("local", "permit", R"(["score"])", "{}", R"("floor": true, )")),
       "only a forbid rule"},
      {HostPack(HostRule("local", "forbid", R"(["score"])", "{}", R"("valid_to": "2025-02-30", )")),
       "valid_to: must be a date"},
      {HostPack(HostRule("no-lawful-basis", "forbid", R"(["score"])", "{}")), "reserved"},
      {HostPack(ok_rule, R"(, "disable": ["no-such-rule"])"), "no rule 'no-such-rule'"},
      {HostPack(ok_rule, R"(, "extra": 1)"), "(top): unknown key 'extra'"},
      {HostPack(HostRule("local", "forbid", R"(["score"])", "{}",
                         R"("floor": true, "lift_needs_reason": true, )")),
       "a floor rule cannot be lifted"},
      {HostPack(ok_rule, R"(, "disable": [{"rule": "own-case", "why": "x"}])"),
       "disable[0]: unknown key 'why'"},
      {HostPack(ok_rule, R"(, "disable": [7])"), "disable[0]: must be a rule id or"},
      {R"({"format": "varsam-policy/1", "id": "se-socialtjanst", "rules": []})", "already loaded"},
      {R"({"format": "varsam-policy/9", "id": "x", "rules": []})", "format"},
      {"{", "policy pack"},
  };
  for (const Bad& bad : cases) {
    INFO(bad.pack);
    const absl::Status status = loaded->LoadHostPack(bad.pack);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()), Catch::Contains(bad.needle));
  }
  CHECK(loaded->packs().size() == 1);
}

// ---- Contexts and resources -------------------------------------------------------------------

TEST_CASE("context: the JSON form round-trips", "[access]") {
  auto context = ParseContext(kContextJson);
  REQUIRE(context.ok());
  CHECK(context->actor == "a-17");
  CHECK(context->role == Role::kHandlaggare);
  CHECK(context->organisation.kind == OrgKind::kSocialnamnd);
  CHECK(context->organisation.id == "0180");
  CHECK(context->purpose == Purpose::kHandlaggning);
  REQUIRE(context->case_info);
  CHECK(context->case_info->kind == CaseKind::kUtredning);
  CHECK(context->case_info->led_to_investigation);
  CHECK(context->SameClient());
  CHECK_FALSE(context->ethics_approval);
  const std::string json = ContextToJson(*context);
  CHECK(json ==
        R"({"actor":"a-17","role":"handlaggare","organisation":{"kind":"socialnamnd","id":"0180"},)"
        R"("purpose":"handlaggning","case":{"ref":"c-9","kind":"utredning",)"
        R"("led_to_investigation":true,"client":"k-1"},"subject_client":"k-1",)"
        R"("time":"2026-11-28T10:00:00Z","ethics_approval":null})");
  auto again = ParseContext(json);
  REQUIRE(again.ok());
  CHECK(ContextToJson(*again) == json);

  const auto minimal = ParseContext(
      R"({"actor": "s-1", "role": "analytiker", "organisation": {"kind": "privat_utforare",
          "id": "1480"}, "purpose": "forskning", "time": "2025-07-01T00:00:00.5Z",
          "ethics_approval": "dnr-2026-00001"})");
  REQUIRE(minimal.ok());
  CHECK_FALSE(minimal->case_info);
  CHECK_FALSE(minimal->SameClient());
  auto round = ParseContext(ContextToJson(*minimal));
  REQUIRE(round.ok());
  CHECK(round->time == minimal->time);
  CHECK(round->ethics_approval == minimal->ethics_approval);
}

TEST_CASE("context: refusals name the key, never the value", "[access]") {
  const std::string base(kContextJson);
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string text = base;
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {replace(R"("actor": "a-17", )", R"("actor": "a-17", "mood": "x", )"),
       "context: unknown key 'mood'"},
      {replace(R"("client": "k-1"})", R"("client": "k-1", "secret": 1})"),
       "context.case: unknown key 'secret'"},
      {replace(R"("role": "handlaggare")", R"("role": "chef-sekret")"), "context.role"},
      {replace(R"("purpose": "handlaggning")", R"("purpose": "marknadsforing")"),
       "context.purpose"},
      {replace(R"("kind": "utredning")", R"("kind": "hemligt")"), "context.case.kind"},
      {replace(R"("kind": "socialnamnd")", R"("kind": "bolag")"), "context.organisation.kind"},
      {replace(R"("id": "0180")", R"("id": "18x0")"), "context.organisation.id"},
      {replace("2026-11-28T10:00:00Z", "2026-11-28T10:00:00+01:00"), "context.time"},
      {replace("2026-11-28T10:00:00Z", "yesterday"), "context.time"},
      {replace(R"("actor": "a-17", )", ""), "context.actor: is required"},
      {replace(R"("led_to_investigation": true)", R"("led_to_investigation": "yes")"),
       "context.case.led_to_investigation"},
  };
  for (const auto& [text, needle] : cases) {
    INFO(text);
    const auto parsed = ParseContext(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(parsed.status().message());
    CHECK_THAT(message, Catch::Contains(needle));
    for (std::string_view secret : {"chef-sekret", "marknadsforing", "hemligt", "bolag", "18x0"}) {
      CHECK_THAT(message, !Catch::Contains(std::string(secret)));
    }
  }
}

TEST_CASE("context: resources and glossary ids", "[access]") {
  const auto resource = ParseResource(
      R"({"model_kind": "register_trained", "decider_role": "system", "field_class": "trade_union",
          "lookup": "earlier_reports", "report_about": "child"})");
  REQUIRE(resource.ok());
  CHECK(resource->model_kind == ModelKind::kRegisterTrained);
  CHECK(resource->decider_role == Role::kSystem);
  CHECK(resource->field_class == FieldClass::kTradeUnion);
  CHECK(resource->feature_classes == 0);
  const auto features =
      ParseResource(R"({"feature_classes": ["trade_union", "nationality", "trade_union"]})");
  REQUIRE(features.ok());
  CHECK(features->feature_classes ==
        Features({FeatureClass::kTradeUnion, FeatureClass::kNationality}).feature_classes);
  CHECK_FALSE(ParseResource(R"({"feature_classes": ["shoe_size"]})").ok());
  CHECK_FALSE(ParseResource(R"({"feature_classes": "nationality"})").ok());
  for (int f = 0; f < kFeatureClassCount; ++f) {
    CHECK(ParseFeatureClass(Name(static_cast<FeatureClass>(f))) == static_cast<FeatureClass>(f));
  }
  CHECK(ParseResource("{}").ok());
  CHECK_FALSE(ParseResource(R"({"model": "x"})").ok());
  CHECK_FALSE(ParseResource(R"({"model_kind": "magic"})").ok());
  for (int a = 0; a < kActionCount; ++a) {
    CHECK(ParseAction(Name(static_cast<Action>(a))) == static_cast<Action>(a));
  }
  for (int p = 0; p < kPurposeCount; ++p) {
    CHECK(ParsePurpose(Name(static_cast<Purpose>(p))) == static_cast<Purpose>(p));
  }
  CHECK(ParseAction("journal.delete") == std::nullopt);
  CHECK(ParseRole("arbetsledare") == Role::kArbetsledare);
  CHECK(ParseCaseKind("forhandsbedomning") == CaseKind::kForhandsbedomning);
  CHECK(ParseOrgKind("privat_utforare") == OrgKind::kPrivatUtforare);
}

}  // namespace
}  // namespace varsam::access
