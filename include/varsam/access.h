// varsam/access.h — purpose-checked access: the access context of a call and policy packs with
// legal citations (docs/legal-basis.md, "Pack `se-socialtjanst`").
//
// SoLPUL 6 § allows processing only when it is necessary for a social-services task, so every
// call carries a Context (who, in which role, for which organisation, for which purpose, in
// which case, about which client, when) and an Action, possibly qualified by a Resource. A
// PolicySet decides with Cedar's semantics: deny unless some permit rule matches; any matching
// forbid rule wins; the order of rules does not matter; every decision names the rules that
// decided it, and a default deny names `no-lawful-basis` (SoLPUL 6 §).
//
// Packs are data (data/policy/*.json; docs/legal-basis.md renders the built-in one): rules with
// an id, effect, actions, conditions on the context, citation, dates of effect and an
// explanation in Swedish and English. The rule in force is chosen by the event's date in
// Sweden (Europe/Stockholm), so both regimes around 1 July 2025 live side by side. A host adds
// its own packs; rules marked floor (`never-union`, `never-union-features`, `human-decides`,
// `reports-stay-out`) cannot be redefined or disabled by a host pack, and rules marked
// lift_needs_reason only with a recorded reason. Packs are compiled to bit masks at load: Decide
// allocates nothing.
//
// Thread safety: a PolicySet is immutable after loading and may be used from any number of
// threads; loading a host pack is not safe concurrently with Decide on the same set.
// This library is not legal advice; the pack is a starting point for the controller's own.

#ifndef VARSAM_ACCESS_H_
#define VARSAM_ACCESS_H_

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "varsam/core.h"

namespace varsam::access {

// ---- Glossary ids (docs/architecture.md, "Glossary") --------------------------------------------

enum class Role : std::uint8_t {
  kHandlaggare,    // case officer; decides
  kArbetsledare,   // supervisor; decides
  kAnalytiker,     // analyst (follow-up, evaluation)
  kAdministrator,  // administration of the service
  kForskare,       // researcher
  kSystem,         // a service account or model: never decides
};
enum class OrgKind : std::uint8_t { kSocialnamnd, kPrivatUtforare };
enum class Purpose : std::uint8_t {
  kHandlaggning,
  kUppfoljning,
  kUtvardering,
  kKvalitetssakring,
  kTillsyn,
  kAdministration,
  kStatistik,
  kForskning,
};
enum class CaseKind : std::uint8_t {
  kAnmalan,
  kForhandsbedomning,
  kUtredning,
  kInsats,
  kUppfoljning,
};
enum class Action : std::uint8_t {
  kScore,
  kJournalRead,
  kJournalWrite,
  kRegisterSubmit,
  kRegisterExport,
  kRegisterReadRows,
  kInsightQuery,
  kModelTrain,
  kModelApply,
  kDecisionRecord,
  kAuditRead,
};
enum class ModelKind : std::uint8_t { kEvidenceBased, kRegisterTrained };
enum class FieldClass : std::uint8_t { kOrdinary, kSensitive, kTradeUnion };
// A class of feature a model's specification names that must not be a model's input, nor a
// proxy for one (varsam/models.h, kProtectedClasses): special categories of personal data
// (GDPR art 9) and what stood in for them in failed models — dual nationality in the Dutch
// childcare-benefits risk model, disability diagnoses and benefit receipt in the Allegheny
// Family Screening Tool (docs/legal-basis.md, the `no-*-proxies` rules).
enum class FeatureClass : std::uint8_t {
  kNationality,
  kEthnicOrigin,
  kDisability,
  kHealthDiagnosis,
  kEconomicAssistance,
  kTradeUnion,
};
// How a journal read finds its records: `earlier_reports` is a search by name or number among
// earlier reports that did not lead to an investigation (SoLPUF).
enum class Lookup : std::uint8_t { kEarlierReports };
// Whom a report is about (reports of concern about children became searchable 2025-07-01).
enum class ReportAbout : std::uint8_t { kChild, kAdult };

inline constexpr int kRoleCount = 6;
inline constexpr int kOrgKindCount = 2;
inline constexpr int kPurposeCount = 8;
inline constexpr int kCaseKindCount = 5;
inline constexpr int kActionCount = 11;
inline constexpr int kFeatureClassCount = 6;

// The glossary id of each value ("handlaggare", "journal.read", ...), and the reverse.
std::string_view Name(Role value);
std::string_view Name(OrgKind value);
std::string_view Name(Purpose value);
std::string_view Name(CaseKind value);
std::string_view Name(Action value);
std::string_view Name(ModelKind value);
std::string_view Name(FieldClass value);
std::string_view Name(FeatureClass value);
std::string_view Name(Lookup value);
std::string_view Name(ReportAbout value);
std::optional<Role> ParseRole(std::string_view id);
std::optional<OrgKind> ParseOrgKind(std::string_view id);
std::optional<Purpose> ParsePurpose(std::string_view id);
std::optional<CaseKind> ParseCaseKind(std::string_view id);
std::optional<Action> ParseAction(std::string_view id);
std::optional<FieldClass> ParseFieldClass(std::string_view id);
std::optional<FeatureClass> ParseFeatureClass(std::string_view id);

// ---- The context of a call --------------------------------------------------------------------

struct Organisation {
  OrgKind kind = OrgKind::kSocialnamnd;
  std::string id;  // municipality code (SCB, four digits)
};

struct CaseInfo {
  std::string ref;
  CaseKind kind = CaseKind::kUtredning;
  bool led_to_investigation = false;
  std::string client;  // the host's id of the client the case is about
};

struct Context {
  std::string actor;
  Role role = Role::kHandlaggare;
  Organisation organisation;
  Purpose purpose = Purpose::kHandlaggning;
  std::optional<CaseInfo> case_info;           // JSON "case"; null outside a case
  std::optional<std::string> subject_client;   // the client the call concerns
  absl::Time time;                             // the event's time (UTC)
  std::optional<std::string> ethics_approval;  // an ethics approval reference

  // subject_client == case.client, both present.
  bool SameClient() const;
};

// Parses the context's JSON form (keys stable; docs/c-api.md, "Contexts"):
//   {"actor": "a-17", "role": "handlaggare", "organisation": {"kind": "socialnamnd", "id": "0180"},
//    "purpose": "handlaggning",
//    "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": true, "client": "k-1"},
//    "subject_client": "k-1", "time": "2026-11-28T10:00:00Z", "ethics_approval": null}
// "case", "subject_client" and "ethics_approval" may be null or left out; every other key is
// required; unknown keys are refused. "time" is RFC 3339 in UTC ("Z"). InvalidArgument names
// the key at fault, never its value.
absl::StatusOr<Context> ParseContext(std::string_view json);
// The same JSON form; ParseContext(ContextToJson(c)) gives c back.
std::string ContextToJson(const Context& context);

// The context's "case" object on its own ({"ref", "kind", "led_to_investigation", "client"},
// all required, unknown keys refused), as a case line of the register carries it
// (varsam/submission.h). InvalidArgument names `what` and the key ("context.case.kind: ..."),
// never a value. CaseInfoJson is its inverse.
absl::StatusOr<CaseInfo> ParseCaseInfo(const nlohmann::json& value, std::string_view what);
nlohmann::ordered_json CaseInfoJson(const CaseInfo& info);

// ---- What a call touches ----------------------------------------------------------------------

struct Resource {
  std::optional<ModelKind> model_kind;    // for model.apply
  std::optional<Role> decider_role;       // for decision.record
  std::optional<FieldClass> field_class;  // for register.submit / register.export
  std::optional<Lookup> lookup;           // for journal.read
  std::optional<ReportAbout> report_about;
  // For model.train: every class of feature the model's specification names, one bit per
  // FeatureClass (1 << value); 0 when it names none. A set: a condition on
  // `resource.feature_class` holds when it holds for some class named (`not_in` also when none
  // is).
  std::uint8_t feature_classes = 0;

  void AddFeatureClass(FeatureClass c) {
    feature_classes = static_cast<std::uint8_t>(feature_classes | (1u << static_cast<unsigned>(c)));
  }
};

// {"model_kind": "evidence_based", "decider_role": "handlaggare", "field_class": "trade_union",
//  "lookup": "earlier_reports", "report_about": "child", "feature_classes": ["nationality"]};
// every key optional, unknown refused.
absl::StatusOr<Resource> ParseResource(std::string_view json);

// ---- Policy packs -----------------------------------------------------------------------------

enum class Effect : std::uint8_t { kPermit, kForbid };

// One condition of a rule as the pack states it: `attribute` `op` `values`.
struct Condition {
  std::string attribute;            // "purpose", "case.kind", "same_client", ...
  std::string op;                   // "equals", "in", "not_in"
  std::vector<std::string> values;  // "true"/"false" for yes/no attributes
};

struct Rule {
  std::string id;
  std::string pack;
  Effect effect = Effect::kForbid;
  std::vector<Action> actions;  // all actions when the pack says "*"
  bool all_actions = false;
  std::vector<Condition> when;
  std::string citation;
  std::optional<Date> valid_from;  // inclusive
  std::optional<Date> valid_to;    // inclusive
  std::string explanation_sv;
  std::string explanation_en;
  bool floor = false;
  // A host pack may disable this rule only with a recorded reason ("disable": [{"rule": id,
  // "reason": "..."}]); PolicySet::lifts() keeps it.
  bool lift_needs_reason = false;
};

// A built-in or earlier rule a host pack disabled, and why (the reason as the pack gives it;
// "" where the rule did not ask for one).
struct Lift {
  std::string rule;
  std::string pack;  // the host pack that disabled it
  std::string reason;
};

inline constexpr int kMaxRules = 256;
inline constexpr std::string_view kNoLawfulBasis = "no-lawful-basis";

// The result of Decide, allocation-free: the indices (into PolicySet::rules()) of the rules
// that decided. No rule and !allow is the default deny, `no-lawful-basis`.
struct Verdict {
  bool allow = false;
  std::bitset<kMaxRules> rules;
};

// A decision for people and logs.
struct Decision {
  bool allow = false;
  std::vector<std::string> rules;      // ids; {"no-lawful-basis"} for a default deny
  std::vector<std::string> citations;  // one per rule
  std::string explanation_sv;
  std::string explanation_en;
};

// The decision as `varsam policy check --json` and varsam_engine_check print it (keys stable):
//   {"decision": "allow"|"deny", "rules": [...], "citations": [...], "explanation": "<English>",
//    "explanation_sv": "<Swedish>"}
nlohmann::ordered_json ToJson(const Decision& decision);

class PolicySet {
 public:
  // An empty set: denies everything (no-lawful-basis).
  PolicySet() = default;

  // A set holding the built-in pack `id` (data/policy/<id>.json); NotFound for another id.
  static absl::StatusOr<PolicySet> Load(std::string_view id = "se-socialtjanst");
  // The ids of the built-in packs.
  static std::vector<std::string> BuiltinPacks();

  // Adds a host's pack (the same format, plus an optional "disable": [rule id or {"rule": id,
  // "reason": text}, ...] of earlier packs' non-floor rules). InvalidArgument naming the pack,
  // rule and field when the pack is malformed, uses an unknown attribute or action, repeats an
  // id already loaded, tries to redefine or disable a floor rule, or disables a rule marked
  // lift_needs_reason without a reason. On error the set is unchanged.
  absl::Status LoadHostPack(std::string_view json);

  // The decision for `action` by `context` on `resource`. Never allocates.
  Verdict Decide(const Context& context, Action action, const Resource& resource) const;
  // The verdict with ids, citations and explanations.
  Decision Explain(const Verdict& verdict) const;
  Decision DecideAndExplain(const Context& context, Action action, const Resource& resource) const {
    return Explain(Decide(context, action, resource));
  }

  // The rules in force, in load order, disabled ones left out.
  std::vector<const Rule*> rules() const;
  // The loaded packs' ids, in load order.
  const std::vector<std::string>& packs() const { return packs_; }
  // The rules host packs disabled, in load order, with their reasons.
  const std::vector<Lift>& lifts() const { return lifts_; }
  // The lifted rules that would have applied to this call had they not been disabled, with
  // their packs and reasons: what a caller records beside the decision (the engine names
  // them in the call's audit event). Allocates.
  std::vector<Lift> LiftsFor(const Context& context, Action action, const Resource& resource) const;

  struct Compiled;  // the masks of one rule (src/access/policy.cc)

 private:
  absl::Status Add(std::string_view json, bool host);

  std::vector<std::string> packs_;
  std::vector<Lift> lifts_;
  std::vector<Rule> rules_;
  std::vector<Compiled> compiled_;
};

// Masks a rule compiles into: one bit per value of each attribute, plus one for "absent".
struct PolicySet::Compiled {
  std::uint16_t actions = 0;
  std::uint16_t masks[13] = {};
  std::int64_t from_day = 0;  // days since the civil epoch, inclusive
  std::int64_t to_day = 0;
  bool forbid = false;
  bool disabled = false;
};

}  // namespace varsam::access

#endif  // VARSAM_ACCESS_H_
