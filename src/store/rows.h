// What the two store backends say once (private to src/store): which column takes which
// vocabulary and the CHECK condition each dialect writes for it, the codecs of the journal's
// encoded columns, the readers that turn a result row into a record, and the one error for a
// row that cannot be read back. A backend adds only what its database needs: statements,
// binding, and the way it walks a result.
//
// Why one place: written twice, the backends had drifted (one database held `region` to the
// county codes, the other to two characters; one checked `outcome`, the other did not). Now the
// CHECK constraints of both databases and the library's field checks (ValidateEpisode, ...)
// come from one table, kVocabularyColumns, over the lists in varsam/store.h, and the forms of
// the other register columns from kFormColumns; the tests "store: sqlite: every vocabulary and
// form column takes the set rows.h gives it" and its PostgreSQL twin hold them to it.

#ifndef VARSAM_SRC_STORE_ROWS_H_
#define VARSAM_SRC_STORE_ROWS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/store.h"

namespace varsam::store::internal {

// ---- Vocabulary columns -----------------------------------------------------------------------

enum class Dialect : std::uint8_t { kSqlite, kPostgres };

// Which list of a RegisterVocabulary a host may extend a column with.
enum class Extension : std::uint8_t { kClosed, kInstruments, kBands, kInterventions };

// One stored column that takes a vocabulary.
//  - Closed (extension kClosed): the column takes `values` only (or "" when `empty` allows);
//    the database's CHECK lists them.
//  - Extensible: the library takes the values of the store's RegisterVocabulary (by default
//    `values`); since a host chooses those, the database cannot list them and holds the column
//    to the code form instead (IsCode), which every accepted value must have too.
// The padding a reordering would save is a few bytes in a constant table of a few rows; the
// fields stay in the order a row reads.
// NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding): see above
struct VocabularyColumn {
  Part part;
  std::string_view table;
  std::string_view column;
  std::span<const std::string_view> values;
  bool empty;  // "" (not given) is allowed
  Extension extension;
  std::string_view rule;  // how a refusal reads, after "<what>.<column>: "
};

// Every vocabulary column of every part.
std::span<const VocabularyColumn> VocabularyColumns();

// The entry of `table.column` of `part`; it must exist (a programming error otherwise).
const VocabularyColumn& VocabularyColumnOf(Part part, std::string_view table,
                                           std::string_view column);

// A code of an extensible vocabulary: a lower-case ASCII letter, then lower-case letters,
// digits, '_' or '-'; 64 characters at most. An identity number (it starts with a digit), a
// capitalised name or text with spaces never has it.
inline constexpr std::size_t kMaxCodeLength = 64;
bool IsCode(std::string_view value);

// Whether `value` is in the column's vocabulary, or "" where that is allowed: for an
// extensible column, in the host's list (whose values must also pass IsCode; ValidateEpisode
// checks that after its scan for identity numbers, so that one hidden in a host's value is
// reported as such).
bool InVocabulary(const VocabularyColumn& column, std::string_view value,
                  const RegisterVocabulary& vocabulary);

// The condition (without CHECK and its parentheses) that holds `column` to its vocabulary in
// `dialect`. SQLite spells a list with OR: an IN list of three or more builds a temporary
// index each time a statement runs, which is each row of a bulk load. PostgreSQL checks the
// code form with a regular expression, SQLite with GLOB (it has no regular expressions).
std::string VocabularyCheck(const VocabularyColumn& column, Dialect dialect);

// ---- Form columns -----------------------------------------------------------------------------

// The register's other text columns take values of a fixed form rather than from a list.
enum class Form : std::uint8_t {
  kPseudonym,  // "p", a digit, "_", then base64url characters; 46 in all
  kAgeBand,    // digits, then "+" or "-" and digits; 7 characters at most
  kPeriod,     // 4 or 7 characters: digits, or 4 digits and -Qn (1-4) or -MM (01-12)
};

// NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding): as VocabularyColumn
struct FormColumn {
  Part part;
  std::string_view table;
  std::string_view column;
  Form form;
  bool empty;  // "" (not given) is allowed
};

std::span<const FormColumn> FormColumns();

// Whether the databases take `value` in `column` (the library's checks are narrower: whole
// years up to 150, YYYY rather than seven digits).
bool HasForm(const FormColumn& column, std::string_view value);

// The condition that holds `column` to its form in `dialect`: the same set in both (PostgreSQL
// with a regular expression, SQLite with GLOB and length; no counted repetitions such as {43},
// which PostgreSQL expands and which made COPY four times slower).
std::string FormCheck(const FormColumn& column, Dialect dialect);

// ---- The generated constraints ----------------------------------------------------------------

// The name both databases give a column's constraint: "<table>_<column>_check" (PostgreSQL's
// own name for a column's CHECK, which version 1 of the schema relied on).
std::string ConstraintName(std::string_view table, std::string_view column);

struct GeneratedCheck {
  Part part;
  std::string_view table;
  std::string_view column;
  std::string name;       // ConstraintName
  std::string condition;  // VocabularyCheck or FormCheck
};

// Every column constraint generated here for `dialect`: each vocabulary column's and each form
// column's. Schema versions 2 and 4 put exactly these into both databases (ConstrainedTables).
std::vector<GeneratedCheck> GeneratedChecks(Dialect dialect);

// The tables whose generated constraints the step to schema `version` puts in place, in both
// databases (of each part, those of its tables named here): version 2 those of the tables
// version 1 made, version 4 the models table's (its kind, which since then takes "etr"; the
// table was made in version 3 with its kinds written out). Empty for the other versions. A step
// names its tables so that the step of an older version never reaches a table made after it.
std::span<const std::string_view> ConstrainedTables(int version);

// ---- Errors -----------------------------------------------------------------------------------

// DataLoss for a stored row whose `column` cannot be read back (a value the library never
// writes): "store: <part>: a row of <table> is corrupt (<column>)". Never the value.
absl::Status CorruptRow(Part part, std::string_view table, std::string_view column);

// ---- Codecs -----------------------------------------------------------------------------------

// Item responses as a JSON array, NaN (missing) as null; the other values are finite
// (ValidateMeasurement). Both databases keep the text (PostgreSQL as jsonb).
std::string ResponsesJson(const std::vector<double>& responses);
// Flag codes as a JSON array of strings.
std::string FlagsJson(const std::vector<std::string>& flags);

// The record key is an unsigned 64-bit number; both databases' 64-bit integers are signed:
// the same bits.
inline std::int64_t KeyToColumn(std::uint64_t key) { return static_cast<std::int64_t>(key); }
inline std::uint64_t KeyFromColumn(std::int64_t value) { return static_cast<std::uint64_t>(value); }

// ---- Reading rows -----------------------------------------------------------------------------

// One result row as a backend hands it over, column by column (0-based). Int and Double are
// nullopt when the cell holds no such number.
class Cells {
 public:
  virtual ~Cells() = default;
  virtual bool IsNull(int column) const = 0;
  virtual std::string Text(int column) const = 0;
  virtual std::optional<std::int64_t> Int(int column) const = 0;
  virtual std::optional<double> Double(int column) const = 0;
};

// The column lists the readers expect, in order, for a backend's SELECT.
inline constexpr std::string_view kMeasurementColumns =
    "id, client_ref, case_ref, case_kind, instrument, session, date, responses, total, band, "
    "flags";
inline constexpr std::string_view kSuggestionColumns =
    "id, client_ref, case_ref, kind, created, content_json";
inline constexpr std::string_view kDecisionColumns =
    "id, suggestion_id, decider, decider_role, decision, rationale, date";
inline constexpr std::string_view kEpisodeColumns =
    "pseudonym, key_epoch, age_band, sex, region, case_kind, intervention, start_period, "
    "end_period, outcome, record_key";
inline constexpr std::string_view kRegisterMeasurementColumns =
    "pseudonym, key_epoch, instrument, session, period, total, band, record_key";
// The models table: the listing's columns, then (GetModel) model_json after them.
inline constexpr std::string_view kModelColumns = "id, sha256, kind, title, created";
// The releases table.
inline constexpr std::string_view kReleaseColumns =
    "id, organisation, purpose, period, created, query_json, cells, epsilon";

// Each reads its record from the columns first, first + 1, ... in the order above, and is
// CorruptRow when a cell cannot be read back.
absl::Status ReadMeasurement(const Cells& cells, Measurement* m);
absl::Status ReadSuggestion(const Cells& cells, int first, Suggestion* s);
absl::Status ReadDecision(const Cells& cells, int first, Decision* d);
absl::Status ReadEpisode(const Cells& cells, EpisodeRow* e);
absl::Status ReadRegisterMeasurement(const Cells& cells, RegisterMeasurementRow* m);
// kModelColumns, and model_json as a sixth column when `with_json`; CorruptRow for a row that
// ValidateStoredModel refuses (written past varsam).
absl::Status ReadModel(const Cells& cells, bool with_json, StoredModel* m);
// kReleaseColumns; CorruptRow for a row that ValidateRelease refuses (written past varsam).
absl::Status ReadRelease(const Cells& cells, Release* r);

// ---- Release budgets --------------------------------------------------------------------------

// The relative slack of the epsilon budget: sums of decimal fractions round (ten releases of
// 0.1 add up to a little more than 1), and a release that fits but for rounding is taken.
inline constexpr double kEpsilonBudgetSlack = 1e-9;

// Whether `release` fits `budget` on top of what its organisation has spent already:
// `spent_cells`, the cells of the organisation's releases in the period (all purposes), and
// `spent_epsilon`, the epsilon of its releases of the same purpose in the period. OK, or
// ResourceExhausted naming the budget ("release: the cell budget ...", checked first, or
// "release: the epsilon budget ..."). Both backends call it inside the write transaction.
absl::Status CheckReleaseBudget(const Release& release, const ReleaseBudget& budget,
                                std::int64_t spent_cells, double spent_epsilon);

}  // namespace varsam::store::internal

#endif  // VARSAM_SRC_STORE_ROWS_H_
