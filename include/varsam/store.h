// varsam/store.h — where varsam keeps what it keeps: the journal, the register and the audit
// store, on embedded SQLite (the default) or on PostgreSQL.
//
// The law's central idea is separation (docs/storage.md, "Three parts, because the law separates
// them"; SoLPUL 7 a §; GDPR Art 4(5) and EDPB Guidelines 01/2025 on pseudonymisation):
//  - the *journal* holds identifiable case data: a client's own measurements, the suggestions
//    varsam made and the decisions officers recorded on them;
//  - the *register* (sammanställningsregister) holds pseudonymised rows only: keyed pseudonyms
//    with their key epoch, generalised attributes, case kind, intervention, measurements,
//    outcome labels, and a random per-row record key. It shares no key with the journal, and
//    no column can hold a direct identifier: every text field of a register row is checked
//    against the field's closed vocabulary or pattern before it is written, and scanned for
//    identity numbers (ValidateEpisode, ValidateRegisterMeasurement);
//  - the *audit* store is append-only: events with a gap-free sequence number, and checkpoints.
//    An append is durable when the call returns. (The event format belongs to src/audit.)
//
// Backends: a directory (SQLite: journal.db, register.db, audit.db; WAL; synchronous=FULL for
// the journal and the audit store, configurable for bulk register loads) or a URI
// `postgresql://…` (three schemas owned by three roles: the database itself refuses the
// register role the journal, and refuses everyone UPDATE and DELETE on audit rows).
// docs/storage.md has the schemas.
//
// Every write call is one transaction: a batch is written whole or not at all. Reads stream
// rows to a callback; nothing loads a whole part into memory. Statements are prepared; no
// value is ever spliced into SQL text.
//
// Thread safety: a Store may be used from any number of threads at once (each backend
// serialises or pools its connections). Messages never contain the values of records.

#ifndef VARSAM_STORE_H_
#define VARSAM_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/core.h"

namespace varsam::store {

// The schema version this library writes. Opening a store of an older version migrates it
// forward (in one transaction per part); a newer one is refused with FailedPrecondition.
// Version 2 holds every vocabulary column to the same set, and the register's pseudonyms, age
// bands and periods to the same forms, in both databases (docs/storage.md, "The vocabularies").
// Version 3 adds the models table beside the register (docs/storage.md, "Models"). Version 4
// holds the models' kind to kModelKinds by the generated constraints, as every vocabulary
// column, so that the table takes "etr". Version 5 adds the releases table beside the register
// (docs/storage.md, "Releases"): the released insight tables, for the differencing guard and the
// budgets.
inline constexpr int kSchemaVersion = 5;

enum class Part : std::uint8_t { kJournal, kRegister, kAudit };
std::string_view PartName(Part part);  // "journal", "register", "audit"

// ---- The journal (identifiable) ---------------------------------------------------------------

// One scored form of one client, as the host's case system knows it.
struct Measurement {
  std::int64_t id = 0;            // assigned by the store on append
  std::string client_ref;         // the host's own client id (identifiable)
  std::string case_ref;           // the host's case id
  std::string case_kind;          // one of kCaseKinds
  std::string instrument;         // an instrument id ("phq9")
  int session = 0;                // 1-based session number within the case (0: not a series)
  Date date;                      // when the form was answered
  std::vector<double> responses;  // NaN = missing
  std::optional<double> total;
  std::optional<std::string> band;
  std::vector<std::string> flags;  // flag codes raised
};

struct MeasurementFilter {
  std::optional<std::string> client_ref;
  std::optional<std::string> case_ref;
  std::optional<std::string> instrument;
  std::optional<Date> from;  // inclusive
  std::optional<Date> to;    // inclusive
};

// A suggestion varsam made to an officer (a flag, a model's output); closed only by a Decision.
struct Suggestion {
  std::string id;  // unique, chosen by the caller (e.g. a random 128-bit hex id)
  std::string client_ref;
  std::string case_ref;
  std::string kind;  // "flag", "model", ...
  Date created;
  std::string content_json;  // what was suggested, and why
};

// An officer's recorded decision on a suggestion.
struct Decision {
  std::int64_t id = 0;  // assigned by the store
  std::string suggestion_id;
  std::string decider;       // the officer's id in the host
  std::string decider_role;  // "handlaggare", "arbetsledare"
  std::string decision;      // "accepted", "rejected", "modified", ...
  std::string rationale;
  Date date;
};

// Which suggestions ForEachSuggestion reads; every field given must match.
struct SuggestionFilter {
  std::optional<std::string> client_ref;
  std::optional<std::string> case_ref;
  std::optional<std::string> kind;
  std::optional<Date> from;  // created on or after (inclusive)
  std::optional<Date> to;    // created on or before (inclusive)
  bool open_only = false;    // only suggestions without a decision
};

// OK, or InvalidArgument naming the field (never its value): text fields are UTF-8 without NUL
// and the required ones non-empty (references, ids, kinds, codes); case_kind is one of
// kCaseKinds; session is 0 or more; dates lie in the years 1..9999; responses are numbers or
// NaN; a total is finite. Every journal write goes through these, whatever the backend.
absl::Status ValidateMeasurement(const Measurement& measurement);
absl::Status ValidateSuggestion(const Suggestion& suggestion);
absl::Status ValidateDecision(const Decision& decision);

// ---- The vocabularies -------------------------------------------------------------------------
//
// The one list of every closed vocabulary a stored column takes. Both backends' CHECK
// constraints and the field checks below (ValidateEpisode, ...) are generated from these lists
// (src/store/rows.cc pairs each column with its list), so the databases and the library cannot
// disagree about what a column may hold.

// Case kinds, the steps of a case (anmälan, förhandsbedömning, utredning, insats, uppföljning);
// the only values case_kind takes in either part.
inline constexpr std::string_view kCaseKinds[] = {"anmalan", "forhandsbedomning", "utredning",
                                                  "insats", "uppfoljning"};

inline constexpr std::string_view kOutcomes[] = {"improved",  "unchanged", "deteriorated",
                                                 "completed", "dropout",   "ended_other"};

inline constexpr std::string_view kSexes[] = {"female", "male"};

// The county (län) codes of Statistics Sweden (SCB), as in SCB's regional division that
// data/se-geo/counties.csv holds: 21 counties, 02, 11, 15 and 16 no longer in use.
inline constexpr std::string_view kCountyCodes[] = {"01", "03", "04", "05", "06", "07", "08",
                                                    "09", "10", "12", "13", "14", "17", "18",
                                                    "19", "20", "21", "22", "23", "24", "25"};

// The defaults of the vocabularies a host may extend (RegisterVocabulary): the built-in
// instruments, their band ids, and common kinds of intervention (insats) in Swedish social
// services, "annat" for the rest.
inline constexpr std::string_view kDefaultInstruments[] = {
    "soc13",   "soc29", "ors",  "cors", "srs",    "csrs", "audit",
    "audit-c", "dudit", "phq9", "gad7", "core10", "k10"};
inline constexpr std::string_view kDefaultBands[] = {"none",
                                                     "mild",
                                                     "moderate",
                                                     "moderately_severe",
                                                     "severe",
                                                     "minimal",
                                                     "low_risk",
                                                     "hazardous",
                                                     "harmful",
                                                     "probable_dependence",
                                                     "risky",
                                                     "no_problem",
                                                     "probable_problem",
                                                     "clinical",
                                                     "non_clinical",
                                                     "low",
                                                     "moderate_severe",
                                                     "high",
                                                     "very_high"};
inline constexpr std::string_view kDefaultInterventions[] = {"missbruk_oppenvard",
                                                             "missbruk_institution",
                                                             "ekonomiskt_bistand",
                                                             "familjebehandling",
                                                             "kontaktperson",
                                                             "boendestod",
                                                             "placering_familjehem",
                                                             "placering_hvb",
                                                             "stodsamtal",
                                                             "arbetstraning",
                                                             "annat"};

// ---- The register (pseudonymised) -------------------------------------------------------------

// One episode of one pseudonymised person: a case from its start to its end.
struct EpisodeRow {
  std::string pseudonym;       // a keyed pseudonym: "p" + one digit + "_" + 43 base64url characters
  std::int32_t key_epoch = 0;  // which pseudonymisation key made it (destroying a key unlinks)
  std::string age_band;        // "0-5", "18-24", "65+": digits, '-', '+'
  std::string sex;             // one of kSexes ("female", "male"), or "" (not given)
  std::string region;          // one of kCountyCodes, or "" (suppressed)
  std::string case_kind;       // one of kCaseKinds
  std::string intervention;    // one of the vocabulary's interventions, or "" for none
  std::string start_period;    // "2026", "2026-Q3" or "2026-11"
  std::string end_period;      // the same forms, or "" (open)
  std::string outcome;         // one of kOutcomes, or "" (not yet known)
  std::uint64_t record_key = 0;  // random per row (for cell-key perturbation); never 0
};

// A grouping of the register's episodes computed in its database, so that no row leaves it
// (Store::GroupEpisodes and Store::CompareGroups; docs/insights.md, "Aggregation in the store").
// The episodes it counts: those whose column is one of a filter's values, for every filter; of
// those, at most `per_person` of each person (pseudonym and key epoch), the ones with the lowest
// record keys read as unsigned (0: all of them). They are grouped by `columns` and, with
// `margins`, by every subset of them as well.
struct EpisodeGrouping {
  struct Filter {
    std::string column;  // one of kGroupableEpisodeColumns
    std::vector<std::string> values;
  };
  std::vector<std::string> columns;  // kGroupableEpisodeColumns, none twice
  std::vector<Filter> filters;
  bool margins = false;
  int per_person = 0;
  std::string outcome;  // the outcome EpisodeGroup::with_outcome counts ("": none)
};
inline constexpr std::string_view kGroupableEpisodeColumns[] = {
    "age_band",     "sex",          "region",     "case_kind",
    "intervention", "start_period", "end_period", "outcome"};
inline constexpr std::size_t kMaxGroupingColumns = 4;

// One group of a grouping: values[k] is the value of the grouping's columns[k], nullopt where the
// group spans every value of that column (a margin).
struct EpisodeGroup {
  std::vector<std::optional<std::string>> values;
  std::int64_t episodes = 0;
  std::int64_t people = 0;  // distinct (pseudonym, key epoch)
  std::int64_t with_outcome = 0;
  std::uint64_t key_sum = 0;  // the record keys' sum modulo 2^64
};

// How one group of a fresh grouping compares with the groups of an earlier one (the
// differencing guard in the database). A grouping's groups, for this, are its groups of people
// as GroupEpisodes makes them, and the people of all its episodes (its whole population, also
// when it is empty).
struct GroupComparison {
  std::vector<std::optional<std::string>> values;  // the fresh group, as EpisodeGroup's
  bool equal = false;                              // an earlier group has exactly its people
  bool near = false;  // an earlier group differs from it by at least 1, fewer than the threshold
};

// The closed vocabularies of the register's free-looking fields: a value outside them cannot
// be written, so no name or other identifier can hide in them. The defaults are
// kDefaultInstruments, kDefaultBands and kDefaultInterventions; a host with its own instruments
// or interventions adds to them. An added value must be a code as the databases hold these
// columns to: a lower-case ASCII letter, then lower-case letters, digits, '_' or '-', 64
// characters at most; a row with any other value is refused.
struct RegisterVocabulary {
  std::vector<std::string> instruments;
  std::vector<std::string> bands;
  std::vector<std::string> interventions;

  static RegisterVocabulary Default();
};

// One measurement of a pseudonymised person.
struct RegisterMeasurementRow {
  std::string pseudonym;
  std::int32_t key_epoch = 0;
  std::string instrument;  // one of the vocabulary's instruments
  int session = 0;
  std::string period;  // as EpisodeRow::start_period
  std::optional<double> total;
  std::string band;  // one of the vocabulary's band ids, or ""
  std::uint64_t record_key = 0;
};

struct EpisodeFilter {
  std::optional<std::string> case_kind;
  std::optional<std::string> intervention;
  std::optional<std::string> region;
  std::optional<std::int32_t> key_epoch;
};

// OK, or InvalidArgument naming the field (never its value) when a field is outside its
// vocabulary or pattern, or when any text field contains an identity number. These are the
// checks every register write goes through, whatever the backend.
absl::Status ValidateEpisode(const EpisodeRow& row, const RegisterVocabulary& vocabulary);
absl::Status ValidateRegisterMeasurement(const RegisterMeasurementRow& row,
                                         const RegisterVocabulary& vocabulary);

// ---- Models beside the register ---------------------------------------------------------------
//
// A model learned from the register (varsam/models.h) is kept beside the rows it was learned
// from, in the register part: its file holds only aggregates (coefficients of levels that
// cover at least k pseudonyms, counts and metrics of groups of at least k), never a row, a
// pseudonym or a client.

// The kinds of model a store keeps: the two of varsam/models.h (ModelKind), and "etr", an
// expected-treatment-response curve (varsam/outcomes.h).
inline constexpr std::string_view kModelKinds[] = {"register_trained", "evidence_based", "etr"};

struct StoredModel {
  std::string id;          // random 128-bit id: 32 lower-case hex digits, chosen by the caller
  std::string sha256;      // the model file's SHA-256: 64 lower-case hex digits
  std::string kind;        // one of kModelKinds
  std::string title;       // for people: what the model predicts, for whom
  std::string created;     // RFC 3339 UTC, "2026-12-04T20:00:00Z"
  std::string model_json;  // the model file ("varsam-model/1")
};

// OK, or InvalidArgument naming the field (never its value): the id and hash in their hex
// forms, the kind one of kModelKinds, the title non-empty UTF-8 without NUL (at most 200
// bytes), created "YYYY-MM-DDTHH:MM:SSZ", the model JSON non-empty UTF-8 without NUL.
absl::Status ValidateStoredModel(const StoredModel& model);

// ---- Releases beside the register -------------------------------------------------------------
//
// A released insight table (varsam/insights.h), kept for the differencing guard and the
// budgets: who released it (organisation and purpose, no person), when, its canonical query,
// how many cells it published and the privacy loss it spent. Like a model it holds no row, no
// pseudonym and no client, and it sits in the register part.
struct Release {
  std::string id;            // random 128-bit id: 32 lower-case hex digits, chosen by the caller
  std::string organisation;  // the releasing organisation's id (access::Organisation::id)
  std::string purpose;       // the purpose code of the context (e.g. "uppfoljning")
  std::string period;        // the budget period, "YYYY-MM"
  std::string created;       // RFC 3339 UTC, "2026-12-05T10:00:00Z"
  std::string query_json;    // the canonical query (insights::QueryJson)
  std::int64_t cells = 0;    // cells published (not protected), >= 0
  double epsilon = 0;        // differential-privacy loss spent, finite, >= 0
};

// OK, or InvalidArgument naming the field (never its value): the id in its hex form, the
// organisation and the purpose non-empty UTF-8 without NUL (at most 200 bytes, and no identity
// number: the register part keeps none), the period "YYYY-MM" (month 01..12), created as for
// models ("YYYY-MM-DDTHH:MM:SSZ"), the query JSON non-empty UTF-8 without NUL, cells 0 or more,
// epsilon finite and 0 or more.
absl::Status ValidateRelease(const Release& release);

// What PutRelease holds a release to.
struct ReleaseBudget {
  std::int64_t max_cells = 0;  // the organisation's released cells per period, all purposes
  double max_epsilon = 0;      // epsilon per organisation, purpose and period
};

// OK, or InvalidArgument naming the field: max_cells 0 or more, max_epsilon finite and 0 or
// more.
absl::Status ValidateReleaseBudget(const ReleaseBudget& budget);

// ---- The audit store --------------------------------------------------------------------------

struct AuditEvent {
  std::int64_t seq = 0;  // 1, 2, 3, ... without gaps
  std::string payload;   // opaque to the store (src/audit's canonical bytes)
};

struct Checkpoint {
  std::int64_t seq = 0;  // the last event it covers
  std::string payload;   // opaque (src/audit's signed tree head)
};

// ---- The store --------------------------------------------------------------------------------

struct StoreOptions {
  // Create the store (SQLite: the directory and files; PostgreSQL: nothing, see Init) when it
  // does not exist. Otherwise a missing store is NotFound.
  bool create = true;
  // false: register writes are durable at the next checkpoint of the database rather than
  // when the call returns (SQLite synchronous=NORMAL), for bulk loads. The journal and the
  // audit store are always durable when a call returns.
  bool durable_register = true;
  // How long a writer waits for another (threads or processes) before Unavailable.
  int busy_timeout_ms = 10000;
  // What the register's closed fields may hold.
  RegisterVocabulary vocabulary = RegisterVocabulary::Default();
};

struct PartInfo {
  Part part = Part::kJournal;
  int schema_version = 0;
  std::vector<std::pair<std::string, std::int64_t>> rows;  // table name -> row count
};

struct StoreInfo {
  std::string backend;   // "sqlite" or "postgresql"
  std::string location;  // directory, or the URI without its password
  std::vector<PartInfo> parts;
};

class Store {
 public:
  // Opens (and migrates, and with options.create creates) the store at `location`: a
  // directory path, or a URI starting "postgresql://" or "postgres://".
  static absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view location,
                                                     const StoreOptions& options = {});

  // Creates what a store needs before first use: SQLite, the directory and the three files;
  // PostgreSQL, the three roles, three schemas, tables and grants (run as a role that may
  // create roles). Idempotent.
  static absl::Status Init(std::string_view location);

  virtual ~Store();

  virtual std::string_view backend() const = 0;
  virtual absl::StatusOr<StoreInfo> Info() = 0;

  // Journal. Every record is validated first (ValidateMeasurement, ...); a bad one refuses the
  // call with nothing written. Appends are one transaction each call; ids are returned in
  // input order.
  absl::StatusOr<std::vector<std::int64_t>> AppendMeasurements(
      std::span<const Measurement> measurements);
  // Calls `row` for each match in (date, id) order until it returns false.
  virtual absl::Status ForEachMeasurement(const MeasurementFilter& filter,
                                          absl::FunctionRef<bool(const Measurement&)> row) = 0;
  // AlreadyExists when the id is taken.
  absl::Status PutSuggestion(const Suggestion& suggestion);
  virtual absl::StatusOr<Suggestion> GetSuggestion(std::string_view id) = 0;  // NotFound
  // FailedPrecondition when the suggestion does not exist.
  absl::StatusOr<std::int64_t> RecordDecision(const Decision& decision);
  virtual absl::Status ForEachDecision(std::string_view suggestion_id,
                                       absl::FunctionRef<bool(const Decision&)> row) = 0;
  // The suggestions matching `filter` in (created, id) order, each with its first decision
  // (lowest decision id; nullptr while open), until `row` returns false. One query: the
  // decision is joined in the database, not looked up per suggestion.
  virtual absl::Status ForEachSuggestion(
      const SuggestionFilter& filter,
      absl::FunctionRef<bool(const Suggestion&, const Decision* first_decision)> row) = 0;

  // Register. Every row is validated first (ValidateEpisode, ...); one bad row refuses the
  // whole batch with nothing written.
  absl::Status AppendEpisodes(std::span<const EpisodeRow> rows);
  absl::Status AppendRegisterMeasurements(std::span<const RegisterMeasurementRow> rows);
  // The vocabulary the register's rows are validated against (StoreOptions::vocabulary).
  const RegisterVocabulary& register_vocabulary() const { return vocabulary_; }
  // Register rows come in no promised order (in practice the order of appending).
  virtual absl::Status ForEachEpisode(const EpisodeFilter& filter,
                                      absl::FunctionRef<bool(const EpisodeRow&)> row) = 0;
  virtual absl::StatusOr<std::int64_t> CountEpisodes(const EpisodeFilter& filter) = 0;
  // The groups of `grouping`, computed in the register's database: every group with an episode,
  // in no promised order (a group without one may be returned, with zero counts).
  // InvalidArgument naming the field for a column that cannot be grouped, a column twice, more
  // than kMaxGroupingColumns columns, a value that is not UTF-8 text without NUL, or a negative
  // per_person.
  absl::StatusOr<std::vector<EpisodeGroup>> GroupEpisodes(const EpisodeGrouping& grouping);
  // The groups of `fresh` that lie near a group of `earlier`: each with an earlier group whose
  // symmetric difference of people from it is below `threshold` (at least 1), in no promised
  // order; computed in the database, where the people are compared by pseudonym and key epoch.
  // InvalidArgument as GroupEpisodes, or for a threshold below 1.
  absl::StatusOr<std::vector<GroupComparison>> CompareGroups(const EpisodeGrouping& fresh,
                                                             const EpisodeGrouping& earlier,
                                                             int threshold);
  // An empty `instrument` reads the rows of every instrument.
  virtual absl::Status ForEachRegisterMeasurement(
      std::string_view instrument, absl::FunctionRef<bool(const RegisterMeasurementRow&)> row) = 0;

  // Models, in the register part. PutModel validates (ValidateStoredModel) and writes one
  // model; AlreadyExists when the id is taken. GetModel: NotFound when there is none.
  // ForEachModel calls `row` for each model in (created, id) order, with model_json left
  // empty (GetModel reads it), until `row` returns false.
  absl::Status PutModel(const StoredModel& model);
  virtual absl::StatusOr<StoredModel> GetModel(std::string_view id) = 0;
  virtual absl::Status ForEachModel(absl::FunctionRef<bool(const StoredModel&)> row) = 0;

  // Releases, in the register part. PutRelease validates (ValidateRelease,
  // ValidateReleaseBudget; InvalidArgument) and writes `release` when, with it, the
  // organisation's released cells in its period (all purposes) stay within budget.max_cells and
  // the epsilon of its organisation, purpose and period within budget.max_epsilon (up to a
  // relative rounding slack of 1e-9, so that ten releases of 0.1 fit a budget of 1). The check
  // and the write are one transaction, and concurrent releases of one organisation, threads or
  // processes, are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level
  // advisory lock keyed on the organisation), so two of them cannot both pass on the same
  // remainder. AlreadyExists when the id is taken (checked first, so a repeated release is
  // reported as such whatever the budget); then ResourceExhausted naming the budget
  // ("release: the cell budget ..." first, then "release: the epsilon budget ..."), with
  // nothing written.
  absl::Status PutRelease(const Release& release, const ReleaseBudget& budget);
  // The releases of an organisation and purpose in a period, in (created, id) order (compared
  // bytewise), until `row` returns false. Empty purpose: every purpose.
  virtual absl::Status ForEachRelease(std::string_view organisation, std::string_view purpose,
                                      std::string_view period,
                                      absl::FunctionRef<bool(const Release&)> row) = 0;

  // Audit. AppendAudit returns the new event's seq once it is durable; a batch gets
  // consecutive seqs, all or none.
  virtual absl::StatusOr<std::int64_t> AppendAudit(std::string_view payload) = 0;
  // The seq of the last; an empty batch writes nothing and returns LastAuditSeq().
  virtual absl::StatusOr<std::int64_t> AppendAuditBatch(std::span<const std::string> payloads) = 0;
  virtual absl::StatusOr<std::int64_t> LastAuditSeq() = 0;  // 0 when empty
  // Events from_seq..to_seq inclusive, in order, until `event` returns false.
  virtual absl::Status ReadAudit(std::int64_t from_seq, std::int64_t to_seq,
                                 absl::FunctionRef<bool(const AuditEvent&)> event) = 0;
  // FailedPrecondition when the checkpoint covers events not yet appended.
  virtual absl::Status AppendCheckpoint(const Checkpoint& checkpoint) = 0;
  virtual absl::Status ReadCheckpoints(absl::FunctionRef<bool(const Checkpoint&)> row) = 0;

 protected:
  explicit Store(RegisterVocabulary vocabulary) : vocabulary_(std::move(vocabulary)) {}
  // The backends' writes, called with records already validated.
  virtual absl::StatusOr<std::vector<std::int64_t>> WriteMeasurements(
      std::span<const Measurement> measurements) = 0;
  virtual absl::Status WriteSuggestion(const Suggestion& suggestion) = 0;
  virtual absl::StatusOr<std::int64_t> WriteDecision(const Decision& decision) = 0;
  virtual absl::Status WriteEpisodes(std::span<const EpisodeRow> rows) = 0;
  virtual absl::Status WriteRegisterMeasurements(std::span<const RegisterMeasurementRow> rows) = 0;
  // The backends' groupings, called with groupings already validated.
  virtual absl::StatusOr<std::vector<EpisodeGroup>> RunGrouping(
      const EpisodeGrouping& grouping) = 0;
  virtual absl::StatusOr<std::vector<GroupComparison>> RunComparison(const EpisodeGrouping& fresh,
                                                                     const EpisodeGrouping& earlier,
                                                                     int threshold) = 0;
  virtual absl::Status WriteModel(const StoredModel& model) = 0;
  // Checks the budget and writes, in one transaction (CheckReleaseBudget in rows.h decides).
  virtual absl::Status WriteRelease(const Release& release, const ReleaseBudget& budget) = 0;

 private:
  RegisterVocabulary vocabulary_;
};

}  // namespace varsam::store

#endif  // VARSAM_STORE_H_
