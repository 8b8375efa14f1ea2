// varsam/engine.h — the Engine: one guard that every call passes through (docs/architecture.md,
// "The legal shape is the architecture" and "One guarded call").
//
// The Engine opens a store, loads the built-in policy pack (se-socialtjanst) and the host's
// packs, and opens the audit log with the host's signing key. Every public operation is
//   guard -> audit event -> work:
// the policy decides for the call's context, action and resource; the decision (allow or deny,
// with the rules that made it) is appended to the audit log and is durable before any work is
// done; a denial returns PermissionDenied naming the rule ids, their citations and the English
// explanation (never personal data). If the audit event cannot be written the call fails and
// nothing is done (fail closed). One private helper (Guard) does this for every operation.
//
// Suggestions and decisions: every flag the engine raises is stored as an open
// Suggestion with a random 128-bit id (16 bytes from OpenSSL RAND_bytes, as 32 lower-case hex
// digits) and returned beside the score. RecordDecision closes a suggestion; a decider who is not
// a human officer is refused by the floor rule `human-decides`. There is no operation that
// decides: the engine only suggests.
//
// The client a call concerns: the policy must decide on what a call really touches, not on what
// the host declared. Where a call's arguments name a client (History's client_ref, a
// measurement's client_ref, the client a suggestion is about), the policy sees that client as
// the context's subject_client, whatever the context said. So an officer asking for another
// client's journal than their case's is denied by `no-other-clients` and audited as such. The
// suggestion a decision is about is looked up before the guard (its client is an attribute the
// decision needs, as in Cedar's entity loading); nothing of it is returned unless allowed.
//
// Models (docs/models.md, "Through the engine"): TrainModel learns a model from the register's
// rows only (never the journal) and keeps its file beside the register; ApplyModel applies a
// kept model to one case and stores what it says as an open suggestion, like a flag, which only
// an officer's RecordDecision closes. The model's SHA-256 is in the audit log for its training
// and for every application.
//
// The register: SubmitToRegister pseudonymises (keyed, per key epoch, with the
// host's keys) and generalises case episodes into the compilation register; ExportRegister
// releases its episodes k-anonymously. Both are guarded like every other call
// (docs/anonymisation.md).
//
// Thread safety: an Engine may be used from any number of threads at once. The policy set is
// immutable after Open, the store and the instrument registry are thread-safe, and the audit
// log serialises appends, so every call leaves exactly one event. RecordDecision holds an engine
// mutex while it checks that a suggestion is still open and records the decision, so a
// suggestion is closed at most once by this engine.

#ifndef VARSAM_ENGINE_H_
#define VARSAM_ENGINE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "varsam/access.h"
#include "varsam/anonymize.h"
#include "varsam/audit.h"
#include "varsam/hierarchy.h"
#include "varsam/insights.h"
#include "varsam/instruments.h"
#include "varsam/kanonymity.h"
#include "varsam/models.h"
#include "varsam/outcomes.h"
#include "varsam/pseudonym.h"
#include "varsam/store.h"
#include "varsam/submission.h"

namespace varsam::engine {

// How the register receives what is submitted (the controller's configured levels;
// docs/anonymisation.md "The register").
struct RegisterOptions {
  // The key epoch new rows are pseudonymised under, and the host's pseudonymisation keys.
  // Without keys, register submission is refused (FailedPrecondition).
  std::int32_t key_epoch = 0;
  anonymize::PseudonymKeyProvider keys;
  int age_level = 1;     // anonymize::Hierarchy::Age level: 1 five-year bands, 2 ten, 3 twenty
  int period_level = 2;  // anonymize::Hierarchy::Dates level: 1 month, 2 quarter, 3 year
  // Region: always the county (the geography hierarchy's level 2).
};

// What an organisation may release of group insights (docs/insights.md, "Through the Engine").
// The period is the calendar month in Sweden of the context's time.
struct InsightOptions {
  // Cells published per organisation and period, all purposes together: caps averaging many
  // differently-filtered tables.
  std::int64_t cells_per_period = 20000;
  // Differential-privacy loss per organisation, purpose and period.
  double epsilon_per_period = 1.0;
  // A table showing a group of people that differs from a group shown by an earlier release of
  // the same organisation, purpose and period by at least 1 and fewer than this many people
  // (or than the query's threshold, when higher) is refused.
  int differencing_threshold = 5;
  // Where a table of counts or shares is grouped (docs/insights.md, "Aggregation in the
  // store"): false, in the library from the register's columns read once (on one machine the
  // faster way); true, in the register's database (store::Store::GroupEpisodes), the
  // differencing guard's comparisons too (Store::CompareGroups), so that no episode leaves it:
  // for a register past one machine's memory, or spread over a cluster. Means, medians and the
  // band are grouped in the library either way.
  bool group_in_store = false;
};

struct EngineOptions {
  // A directory (embedded SQLite store) or a "postgresql://…" URI (store::Store::Open).
  std::string store;
  // The host's audit signing key (Ed25519, asked for once at Open).
  audit::KeyProvider key;
  // The host's policy packs (JSON, the format of data/policy/*.json), loaded after the
  // built-in pack in this order; they cannot override its floor rules.
  std::vector<std::string> policy_packs;
  audit::AuditLogOptions audit;
  RegisterOptions register_options;
  InsightOptions insights;
};

// One episode of a case (varsam/submission.h, where its JSON form is). The engine's name for it.
using RegisterSubmission = submission::Episode;

// The audit record of one guarded call, filled from its context: who, role, organisation,
// purpose, action, case reference, decision, the deciding rule ids, the context's time and a
// short result summary (never the content of answers or notes).
audit::AuditRecord AuditRecordFor(const access::Context& context, access::Action action,
                                  const access::Decision& decision, std::string_view case_ref,
                                  std::string_view result);

// The score of one form through the engine, with the ids of the open suggestions stored for
// its flags: suggestion_ids[i] belongs to score.score.flags[i].
struct ScoreResult {
  instruments::Score score;  // views into the instrument (lives as long as the registry)
  std::vector<std::string> suggestion_ids;
};

// How often officers overrode one kind of suggestion in a period (AI Act art 72 post-market
// monitoring; art 14 human oversight). `code` names what suggested: "<instrument>/<flag>" for a
// flag ("phq9/suicide_risk_followup"), the model id for a model's output.
struct OverrideRate {
  std::string kind;  // "flag", "model"
  std::string code;
  std::int64_t suggestions = 0;  // made in the period
  std::int64_t decided = 0;      // of those, with a decision
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::int64_t modified = 0;
  // (rejected + modified) / decided; NaN when nothing was decided.
  double override_rate() const;
};

struct RegisterExportOptions {
  store::EpisodeFilter filter;
  int k = 5;
  int distinct_l = 0;            // >= 2: l-diversity of the outcome within each class
  double max_suppression = 0.0;  // fraction of rows that may be left out
  anonymize::Metric metric = anonymize::Metric::kLoss;
};

struct RegisterRelease {
  // age_band, sex, region, case_kind, intervention, start_period, end_period, outcome.
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> quasi_identifiers;  // the names, in the order of search.levels
  anonymize::Result search;                    // levels (above the register's), report
  std::size_t episodes = 0;                    // the register's episodes the filter matched
  anonymize::PrivacyModel model;               // what the release was made under
  store::EpisodeFilter filter;                 // and for which episodes
};

// ---- Models -----------------------------------------------------------------------------------

// A model the engine trained or took in, as kept beside the register.
struct KeptModel {
  std::string id;          // random 128-bit id, 32 lower-case hex digits
  models::ModelFile file;  // sha256 filled
  std::string json;        // the model file as kept ("varsam-model/1", canonical)
};

// What TrainModel is doing, for a progress display: a stage ("reading the register",
// "building the training set", "fitting", "assessing fairness", "keeping the model") and, for
// the first, the register rows read so far (else 0). Called on the calling thread.
using TrainProgress = std::function<void(std::string_view stage, std::int64_t rows)>;

// One application of a model to one case.
struct ModelApplication {
  std::string model_id;
  std::string model_sha256;
  models::ModelKind kind = models::ModelKind::kRegisterTrained;
  std::string model_name;
  // The open suggestion stored for it; "" when nothing was stored: an evidence-based model in
  // an anmälan or förhandsbedömning is applied in memory only (docs/legal-basis.md,
  // `reports-evidence-only`).
  std::string suggestion_id;
  models::Prediction prediction;
};

// {"model", "sha256", "kind", "name", "suggestion" (id or null), "probability" (null for an
// evidence-based model), "raw_probability", "base_log_odds", "band": [low, high], "points",
// "points_label", "parts": [{"feature", "level", "log_odds", "points"}, ...], "summary_sv",
// "summary_en", "unknown_sv", "unknown_en"}. The stored suggestion's content is the same
// without "suggestion".
nlohmann::ordered_json ModelApplicationJson(const ModelApplication& application);

// A kept model as listed: {"id", "sha256", "kind", "title", "created"}.
nlohmann::ordered_json ModelListingJson(const store::StoredModel& model);

// ---- Outcome monitoring (docs/outcomes.md) ----------------------------------------------------

// Expected-treatment-response curves the engine fitted, as kept beside the register (kind "etr").
struct KeptCurves {
  std::string id;            // random 128-bit id, 32 lower-case hex digits
  outcomes::EtrModel model;  // sha256 filled
  std::string json;          // "varsam-etr/1", canonical
};

// An outcome suggestion raised by MonitorOutcome.
struct OutcomeAlert {
  std::string suggestion_id;
  std::string reason;  // "below_boundary" (the instrument) or "alliance" (SRS/CSRS)
  int session = 0;
};

// What a host tells of the client for curves with predictors (outcomes::EtrSpec::predictors):
// the intervention of the client's episode (one of the register's interventions, "" for none)
// and the client's age in whole years when it began, which the engine puts into the register's
// age band as a submission would. Curves without predictors need neither.
struct OutcomeClient {
  std::optional<std::string> intervention;
  std::optional<int> age;
};

// One client's series in the context's case against kept curves.
struct ClientOutcome {
  std::string model_id, model_sha256;
  outcomes::Trajectory trajectory;               // the curves' instrument
  std::optional<outcomes::Trajectory> alliance;  // SRS beside ORS, CSRS beside CORS
  // Sessions whose alliance form raised its flag: recorded with it, or raising it from its
  // answers against the series' previous total.
  std::vector<int> alliance_concerns;
  // Whether the client's intake lies in an intake bin of at least k people: outside one the
  // curves are not applied (no checks, no alerts), since they would rest on too few.
  bool supported = false;
  // For curves with predictors: per predictor the client's level the curve was taken for
  // (outcomes::LevelOf: "none" for no intervention, the age as its band); empty for curves
  // without.
  std::vector<std::pair<std::string, std::string>> levels;
  std::vector<outcomes::SessionCheck> checks;
  std::vector<OutcomeAlert> raised;  // suggestions this call raised (none already raised again)
};

// A client's trajectory (Engine::Trajectory, varsam_outcomes_trajectory):
// {"client", "case", "instrument", "intake", "cutoff" | null, "sessions": [{"session", "date",
//  "total", "change", "category" | null, "rci" | null, "reliable_change" | null,
//  "clinical" | null}]}. Per session after the intake, the Jacobson-Truax judgement of the
// change from intake (instruments::Instrument::AssessChange): the category's name
// ("recovered", "reliably_improved", "no_reliable_change", "reliably_deteriorated"), the RCI
// (null when the instrument's rule gives no reliability), whether the change is reliable
// (either way) and whether the total lies on the clinical side of the cut-off; all null at the
// intake and for an instrument without a change rule. "cutoff" is the cut-off that applied.
nlohmann::ordered_json TrajectoryJson(const outcomes::Trajectory& trajectory);

// {"model", "sha256", "instrument", "case", "supported", "intake", "levels": {"intervention",
//  "age_band"} (the curves' predictors only) | null, "sessions": [{"session",
//  "total", "change", "expected" | null, "boundary" | null, "track" | null}], "alliance_concerns":
//  [n, ...], "raised": [{"suggestion", "reason", "session"}]}
nlohmann::ordered_json ClientOutcomeJson(const ClientOutcome& outcome);

// What a host tells of the client, as JSON (varsam_outcomes_monitor_client, `varsam outcomes
// monitor --client`): {"intervention": "stodsamtal", "age": 34}; either key may be left out,
// "intervention" a string ("" for none), "age" a whole number from 0 to 150. Strict: unknown
// keys and wrong types are refused, InvalidArgument naming the key ("client.age: ...").
absl::StatusOr<OutcomeClient> ParseOutcomeClient(std::string_view json);

// ---- JSON forms of the register calls (the C API's and `varsam register`'s; keys stable) ------

// What is submitted has its JSON forms in varsam/submission.h (submission::ParseEpisodes,
// EpisodeJson, ParseCaseLines): the C API's, Python's and the CLI's one parser.

// Export options' JSON form (varsam_register_export); every key optional, unknown refused:
//   {"k": 5, "l": 0, "max_suppression": 0.0, "metric": "loss" | "discernibility",
//    "filter": {"case_kind": "insats", "intervention": "...", "region": "01", "key_epoch": 1}}
absl::StatusOr<RegisterExportOptions> ParseRegisterExportOptions(std::string_view json);

// A release's report ("varsam-register-release/1"): anonymize::SearchReportJson over the
// episodes the filter matched, then "filter" ({"case_kind", "intervention", "region",
// "key_epoch"}, each null when not filtered on). Counts and names only.
nlohmann::ordered_json RegisterReportJson(const RegisterRelease& release);

// ---- JSON forms of the other calls (the C API's; keys stable; src/engine/json.cc) -------------
// Parsers are strict (unknown keys refused) and their InvalidArgument names the key
// ("measurement.date: ..."), never a value.

// The engine's options (varsam_engine_open), all but the host's keys:
//   {"store": "DIR" | "postgresql://...", "policy_packs": ["<pack JSON>", ...],
//    "checkpoint_every_events": n, "checkpoint_every_seconds": n,
//    "register": {"key_epoch": 0, "age_level": 1, "period_level": 2},
//    "insights": {"cells_per_period": 20000, "epsilon_per_period": 1.0,
//                 "differencing_threshold": 5, "group_in_store": false}}
// "store" is required.
absl::StatusOr<EngineOptions> ParseEngineOptions(std::string_view json);

// A measurement to append (varsam_engine_journal_append):
//   {"client_ref", "case_ref", "case_kind", "instrument", "date": "YYYY-MM-DD",
//    "responses": [number | null, ...], "session": n, "total": number | null,
//    "band": "..." | null, "flags": ["...", ...]}
// The first six are required; a null answer is instruments::kMissing.
absl::StatusOr<store::Measurement> ParseMeasurement(std::string_view json);
// A stored measurement (varsam_engine_journal_history): "id", then the keys above in the order
// client_ref, case_ref, case_kind, instrument, session, date, responses, total, band, flags.
// Whole numbers print without a fraction, a missing answer or total as null.
nlohmann::ordered_json MeasurementJson(const store::Measurement& measurement);

// An open suggestion (varsam_engine_suggestions_open): {"id", "kind", "created", "content"},
// the content as stored. Internal when the stored content is not JSON.
absl::StatusOr<nlohmann::ordered_json> SuggestionJson(const store::Suggestion& suggestion);

// One override rate (varsam_engine_override_rates): {"kind", "code", "suggestions", "decided",
// "accepted", "rejected", "modified", "override_rate": number | null}.
nlohmann::ordered_json OverrideRateJson(const OverrideRate& rate);

// A score through the engine (varsam_engine_score): instruments::ToJson(result.score, swedish)
// and "suggestions": [{"id", "flag"}, ...], one per raised flag, in the flags' order.
nlohmann::ordered_json ScoreResultJson(const ScoreResult& result, bool swedish);

// What Engine::SubmitCases did (varsam_register_submit_cases, `varsam register submit`).
struct CasesSubmitted {
  struct Rejected {
    std::size_t line = 0;  // the case's line (submission::CaseSubmission::line)
    absl::Status status;   // PermissionDenied (the policy) or InvalidArgument (the register)
  };
  std::size_t cases = 0;           // given
  std::size_t submitted = 0;       // stored, each whole
  std::size_t episodes = 0;        // of the submitted cases
  std::size_t measurements = 0;    // of their episodes
  std::size_t refused = 0;         // refused by the policy
  std::size_t invalid = 0;         // data the register cannot take
  std::vector<Rejected> rejected;  // the refused and invalid cases, in line order
};
// {"cases", "submitted", "episodes", "measurements", "refused", "invalid",
//  "rejected": [{"line", "status" (StatusCodeName), "message"}, ...]}
nlohmann::ordered_json CasesSubmittedJson(const CasesSubmitted& result);

// A released insight table.
struct InsightRelease {
  std::string id;  // the release's random id, as kept in the store and the audit log
  insights::Table table;
};

class Engine {
 public:
  // Opens (creating when needed) the store, loads the packs and opens the audit log.
  // InvalidArgument for a bad host pack; the store's and log's errors as they are.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  // Closes the audit log (a final signed checkpoint), errors ignored. Destroy an engine before
  // the process exits, as a database handle: one left in a static variable is destroyed after
  // OpenSSL's own exit handler has run and cannot sign its last checkpoint.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Action `score`: scores one form with instruments::Registry::Global(); every raised flag is
  // stored as an open suggestion (kind "flag") about the context's subject client and case.
  absl::StatusOr<ScoreResult> Score(const access::Context& context, std::string_view instrument_id,
                                    std::span<const double> responses,
                                    const instruments::Respondent& respondent = {});

  // Action `journal.write`: appends one measurement. The policy decides for the client the
  // measurement is about (see "The client a call concerns" above). The measurement goes into
  // the context's case, the one the policy decides for and the event names: InvalidArgument,
  // before the guard and with nothing written, when its case_ref or case_kind say another.
  // The responses of a known instrument's form must fit it (InvalidArgument before the guard);
  // none at all is a form whose total alone was recorded. A measurement without a total is
  // scored from its responses when enough items are answered (the total only; a band and
  // flags stay the host's). Returns the store's id.
  absl::StatusOr<std::int64_t> AppendMeasurement(const access::Context& context,
                                                 const store::Measurement& measurement);

  // Action `journal.read` about `client_ref`: that client's measurements in (date, id) order
  // until `row` returns false.
  absl::Status History(const access::Context& context, std::string_view client_ref,
                       absl::FunctionRef<bool(const store::Measurement&)> row);

  // Action `decision.record` with resource decider_role = the context's role: records the
  // officer's decision ("accepted", "rejected" or "modified") on an open suggestion, which
  // closes it; the policy decides for the client the suggestion is about. A decision is made in
  // the context's case: InvalidArgument, before the guard, for a suggestion made in another.
  // FailedPrecondition when the suggestion is already decided, NotFound (after the audited
  // decision) when there is none. Returns the decision's id.
  absl::StatusOr<std::int64_t> RecordDecision(const access::Context& context,
                                              std::string_view suggestion_id,
                                              std::string_view outcome, std::string_view rationale);

  // The open suggestions (no decision yet) of the context's case about its subject client, in
  // (created, id) order, until `row` returns false; action `journal.read`.
  absl::Status OpenSuggestions(const access::Context& context,
                               absl::FunctionRef<bool(const store::Suggestion&)> row);

  // Action `insight.query`: per kind and code, how many suggestions were made from `from` to
  // `to` (inclusive, by the date they were made) and how officers decided them, ordered by
  // kind and code. Only counts leave the engine: no client, case or rationale.
  absl::StatusOr<std::vector<OverrideRate>> OverrideRates(const access::Context& context, Date from,
                                                          Date to);

  // The policy's decision on `action` for a call the host makes itself (the engine as the
  // host's decision point), audited like every other call (result "checked"). The decision is
  // returned whether it allows or denies: a denial here is an OK status.
  absl::StatusOr<access::Decision> Check(const access::Context& context, access::Action action,
                                         const access::Resource& resource = {});

  // Action `register.submit` for the context's case: pseudonymises and generalises every
  // submission and writes the episodes and their measurements to the register. The guard
  // refuses reports and preliminary assessments that did not lead to an investigation
  // (`reports-stay-out`) and trade-union data (`never-union`); FailedPrecondition without
  // pseudonymisation keys; InvalidArgument naming the submission's index and field (never a
  // value) for data the register cannot take. Every row is checked before anything is written.
  absl::Status SubmitToRegister(const access::Context& context,
                                std::span<const RegisterSubmission> batch);

  // Each case of a case-lines document (submission::ParseCaseLines) as its own SubmitToRegister
  // call in its own context, from up to `threads` (1..64) threads at once: their audit events
  // share the log's group commit. A case the policy refuses or the register cannot take is
  // counted and listed, and the others go in. Any other failure (the store's, the audit log's)
  // is returned as "line N: ..." of the first such case, once every call has ended. `done`,
  // when given, counts the cases whose call has ended (for a progress display).
  absl::StatusOr<CasesSubmitted> SubmitCases(std::span<const submission::CaseSubmission> cases,
                                             int threads = 1,
                                             std::atomic<std::size_t>* done = nullptr);

  // Action `register.export`: a release of the register's episodes matching `filter`, made
  // k-anonymous (and l-diverse over the outcome when `distinct_l` >= 2) by the optimal search
  // over the quasi-identifiers age band, sex, region, case kind, intervention and start period,
  // each generalised further from the register's own level along its hierarchy (age bands
  // wider, region to "*", periods to years, ...), with rows suppressed within
  // `max_suppression`. Pseudonyms and record keys are never released. FailedPrecondition when
  // no generalisation satisfies the model.
  absl::StatusOr<RegisterRelease> ExportRegister(const access::Context& context,
                                                 const RegisterExportOptions& options);

  // Action `model.train` with resource.feature_class = the spec's protected classes (the
  // policy refuses trade-union membership by the floor and the other special categories by
  // default rules: docs/legal-basis.md). Reads the register's episodes and the measurements of
  // the instruments the spec uses (streamed from the register part, never the journal),
  // builds the training set, fits, recalibrates, assesses fairness by group, makes the model
  // file (named `title`, or after its target when empty; trained at the context's time) and
  // keeps it beside the register under a new random id. Two audit events: the decision before
  // any work ("model training", with "; lifted <rule> by <pack>" for each rule a host pack
  // lifted that the call relies on: access::PolicySet::LiftsFor), and "trained model <id>
  // sha256 <hash>" before the model is kept (fail closed: without that event nothing is
  // kept). The models component's errors as they are
  // (InvalidArgument for a spec the register cannot serve, FailedPrecondition for data that
  // cannot be fitted); nothing is kept on any error.
  absl::StatusOr<KeptModel> TrainModel(const access::Context& context,
                                       const models::ModelSpec& spec, std::string_view title = {},
                                       const TrainProgress& progress = nullptr);

  // Action `model.train`: keeps a host's evidence-based model file (a published checklist or
  // points model, models::ParseModelFile's "varsam-model/1" of kind evidence_based) beside the
  // register under a new random id, so that ApplyModel can use it; audited with its hash.
  // InvalidArgument for a file that is not evidence-based or does not parse; DataLoss for a
  // hash that does not match.
  absl::StatusOr<KeptModel> AddEvidenceModel(const access::Context& context,
                                             std::string_view model_json);

  // Action `model.apply` with resource.model_kind and resource.feature_class of the kept model
  // (looked up before the guard, as RecordDecision looks up its suggestion): applies it to the
  // case's features (models::ParseCaseFeatures' JSON) and, in any case but an anmälan or
  // förhandsbedömning, stores the prediction with its explanation as an open suggestion (kind
  // "model", about the context's subject client and case) that only an officer's decision
  // closes. The audit event holds "model <id> sha256 <hash>". A register-trained model in an
  // anmälan or förhandsbedömning is PermissionDenied by `reports-evidence-only`; an unknown id
  // is NotFound after the audited decision; nothing is stored on any error.
  absl::StatusOr<ModelApplication> ApplyModel(const access::Context& context,
                                              std::string_view model_id,
                                              std::string_view case_features_json);

  // Action `insight.query`: the kept models in (created, id) order, without their files, until
  // `row` returns false.
  absl::Status ListModels(const access::Context& context,
                          absl::FunctionRef<bool(const store::StoredModel&)> row);

  // Action `model.train` (no protected class): fits expected-treatment-response curves of
  // `spec.instrument` from the register's series of it (never the journal;
  // outcomes::BuildSeries, outcomes::FitEtr), the scale and direction taken from the
  // instrument's definition, and keeps them beside the register (kind "etr") under a new random
  // id, after an audit event "trained etr <id> sha256 <hash>". With spec.predictors the series
  // are linked to the register's insats episodes for their levels. InvalidArgument for an
  // unknown instrument or a spec out of range; the outcomes component's errors as they are.
  absl::StatusOr<KeptCurves> FitCurves(const access::Context& context,
                                       const outcomes::EtrSpec& spec, std::string_view title = {});

  // Action `journal.read` about the context's subject client (History): the client's series of
  // `instrument` (outcomes::BuildTrajectory) in case `case_ref`, or when that is empty in the
  // context's case, or when the context has none in the case of the latest measurement. The
  // engine knows no age or sex of the client: the judgement of change uses the instrument's
  // adult cut-off. InvalidArgument without a subject client; NotFound for an unknown
  // instrument (before anything is read or audited) or when the case holds no series of it.
  absl::StatusOr<outcomes::Trajectory> Trajectory(const access::Context& context,
                                                  std::string_view instrument,
                                                  std::string_view case_ref = {});

  // Action `journal.read`, then `model.apply` (resource model_kind register_trained: the curves
  // are learned from the register, so `reports-evidence-only` refuses them in an anmälan):
  // the context's subject client's series in the context's case against kept curves
  // (outcomes::Monitor). Each session below the boundary, and each session whose alliance form
  // (SRS with ORS, CSRS with CORS) raised its flag, becomes an open suggestion of kind
  // "outcome" once: a later call raises none for a session already raised. Curves with
  // predictors take the client's levels from `facts`. NotFound when the model is not kept
  // curves or the case has no series; InvalidArgument when curves with predictors lack the
  // client's intervention or age, or the age is out of range; DataLoss for a kept file whose
  // hash differs from the recorded one.
  absl::StatusOr<ClientOutcome> MonitorOutcome(const access::Context& context,
                                               std::string_view model_id,
                                               const OutcomeClient& facts = {});

  // Action `journal.read`, and with curves `model.apply` as MonitorOutcome (drawing the curves
  // applies them, so an anmälan refuses them): the client chart (outcomes::ClientChartHtml) of
  // the context's subject client's `instrument` series in the context's case, with the kept
  // curves `model_id` when given (and applicable to the client's intake and, for curves with
  // predictors, to the levels `facts` gives, as MonitorOutcome), the clinical cut-off and
  // reliable change of the instrument, the alliance series and the case's open suggestions.
  // Errors as MonitorOutcome's, and InvalidArgument for curves of another instrument.
  absl::StatusOr<std::string> ClientChart(const access::Context& context,
                                          std::string_view instrument, std::string_view model_id,
                                          outcomes::Language language,
                                          const OutcomeClient& facts = {});

  // Action `insight.query`: agency benchmarks of `spec.instrument` (outcomes::ComputeBenchmarks)
  // from the register's insats episodes and the instrument's measurement rows (never the
  // journal), with the kept curves `curves_id` when given for the share reaching target.
  // Audited as "outcome benchmarks <instrument> by <grouping>" (and " curves <id>"); only
  // aggregates leave, every group of fewer than spec.min_people people protected. NotFound for
  // an unknown instrument or curves id (after the audited decision); InvalidArgument when the
  // kept model is not curves of that instrument; DataLoss for a kept file whose hash differs
  // from the recorded one; the outcomes component's errors as they are.
  absl::StatusOr<outcomes::Benchmarks> OutcomeBenchmarks(const access::Context& context,
                                                         const outcomes::BenchmarkSpec& spec,
                                                         std::string_view curves_id = {});

  // Action `insight.query` (the follow-up purposes; refused for a private provider and in case
  // handling): the protected table of `query` from the register (insights::Aggregate and
  // insights::Protect over the register's columns; no row leaves, only cells). Before it is
  // released, the differencing guard compares the groups of people it shows with those of the
  // earlier releases of the organisation, purpose and period (FailedPrecondition
  // "insight: differencing ..." when one differs by fewer than the threshold), and the release
  // is kept within the organisation's budgets (ResourceExhausted naming the budget). Audited:
  // the decision ("insight <measure> by <dimensions>"), then the release or the refusal with
  // the canonical query (codes only) and the methods' parameters.
  absl::StatusOr<InsightRelease> Query(const access::Context& context,
                                       const insights::Query& query);

  // Whether a suggestion is still open (has no decision); action `journal.read`.
  absl::StatusOr<bool> IsOpen(const access::Context& context, std::string_view suggestion_id);

  // Action `audit.read`: verifies the whole audit log, checkpoint signatures included.
  absl::StatusOr<audit::VerifyReport> VerifyAudit(const access::Context& context);

  // Action `audit.read`: proofs over the audit log (audit::ProveInclusion, ProveConsistency).
  absl::StatusOr<audit::InclusionProofResult> ProveInclusion(const access::Context& context,
                                                             std::int64_t seq,
                                                             std::int64_t tree_size = 0);
  absl::StatusOr<audit::ConsistencyProofResult> ProveConsistency(const access::Context& context,
                                                                 std::int64_t old_size,
                                                                 std::int64_t new_size = 0);

  const access::PolicySet& policy() const { return policy_; }
  const audit::PublicKey& audit_public_key() const { return log_->public_key(); }
  // The store, for hosts and tests; reads through it are not guarded or audited.
  store::Store& store_for_testing() { return *store_; }

 private:
  Engine() = default;

  // The guard every public operation calls first: decides, appends the audit event (case
  // reference `case_ref`, result `result` when allowed, "permission_denied" when denied) and
  // returns OK only when the call is allowed and the event is durable.
  absl::Status Guard(const access::Context& context, access::Action action,
                     const access::Resource& resource, std::string_view case_ref,
                     std::string_view result);
  absl::StatusOr<bool> IsOpenUnguarded(std::string_view suggestion_id);
  // The context's subject client's journal through History (action `journal.read`): the
  // measurements of case `case_ref`, or all of them when it is empty.
  absl::StatusOr<std::vector<store::Measurement>> SubjectJournal(const access::Context& context,
                                                                 std::string_view case_ref);
  // The register's insats episodes, the only ones a series is linked to (outcomes::LinkEpisodes).
  absl::StatusOr<std::vector<store::EpisodeRow>> InsatsEpisodes();
  // Action `model.apply` of the kept curves `model_id` in case `case_ref` (resource model_kind
  // register_trained: `reports-evidence-only` refuses them in an anmälan), audited as
  // "etr <id> sha256 <hash>", or "no model" when nothing is kept under the id: the curves, read
  // and checked against their recorded hash. Every use of kept curves on a client's series
  // goes through it (MonitorOutcome, ClientChart).
  absl::StatusOr<KeptCurves> ApplyCurves(const access::Context& context, std::string_view model_id,
                                         std::string_view case_ref);
  // The client's levels for `model`'s predictors (none for curves without).
  absl::StatusOr<outcomes::ClientLevels> LevelsFor(const outcomes::EtrModel& model,
                                                   const OutcomeClient& client);

  std::unique_ptr<store::Store> store_;  // declared before log_: outlives it
  access::PolicySet policy_;
  std::unique_ptr<audit::AuditLog> log_;
  std::mutex decisions_mu_;
  RegisterOptions register_options_;
  InsightOptions insight_options_;
  std::optional<anonymize::Pseudonymizer> pseudonymizer_;  // when keys were given
  std::optional<anonymize::Hierarchy> age_, geography_;
};

}  // namespace varsam::engine

#endif  // VARSAM_ENGINE_H_
