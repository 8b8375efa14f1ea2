// varsam/insights.h — group insights from the compilation register with disclosure control:
// tables that never reveal a person.
//
// A query names one measure (episodes, distinct people, the share with an outcome, the mean or
// median of a measurement's total, its change from intake or a case's duration), up to a few
// dimensions (age band, sex, region, case kind, intervention, start or end period, outcome,
// band), filters on the same and, on request, margins. The table is aggregated from the
// register's columns inside the library (or the database): no row reaches the caller, only
// cells. Every cell then goes through the protection a statistical agency would apply
// (docs/insights.md has the method, its parameters and its sources):
//
// 1. Primary protection. A frequency threshold: a cell of fewer than `threshold` people is
//    protected (default 5; ONS uses 10 for some outputs, sdcTable's default is 3; Swedish
//    official statistics commonly suppress counts below 3 or 5 — Statistics Sweden's
//    "Handbok i statistisk röjandekontroll", 2015). For magnitudes, the (n,k) dominance rule
//    (the n largest contributors hold more than k % of the cell) and the p % rule (the second
//    largest contributor could estimate the largest to within p %), both counted per person,
//    never per row (Hundepool et al., "Statistical Disclosure Control", Wiley 2012, 4.2).
// 2. Secondary suppression for tables with margins: complementary cells are chosen so that no
//    protected cell can be recomputed from the published cells and margins, and each table's
//    protection is proven by linear programming: the interval an attacker can derive for every
//    protected cell (Cox 1980; Fischetti & Salazar-González 2000, "Models and algorithms for
//    optimizing cell suppression in tabular data with linear constraints", JASA 95:916-928)
//    must cover its protection interval.
// 3. The cell key method (Fraser & Wooton 2005, ABS; ONS and Statistics Sweden since 2025): a
//    cell's key is the sum of its rows' record keys modulo 2^64, read as a number in [0, 1); a
//    perturbation table built by maximum entropy from D (maximum deviation), V (variance) and
//    js (no published count from 1 to js), as R's `ptable` documents (Enderle, Giessing &
//    Tent 2018, "Designing confidentiality on the fly", PSD 2018), gives the deviation. The same
//    rows always get the same noise; margins are perturbed as cells. The key and the lookup are
//    never published; the parameters are, and are audited.
// 4. Differential privacy on request: counts and bounded sums with discrete Laplace noise drawn
//    from integers with a cryptographic source, never from a floating-point Laplace (Mironov
//    2012, "On significance of the least significant bits for differential privacy", CCS;
//    sampler of Canonne, Kamath & Steinke 2020, "The discrete Gaussian for differential
//    privacy", NeurIPS, algorithm 2), contributions bounded per pseudonym.
//
// The Engine runs a query under `insight.query` (the follow-up purposes), records the released
// table's population for the differencing guard and spends the privacy-loss budget; what is
// here is pure: no store, no clock, no I/O. Messages name fields, never values.

#ifndef VARSAM_INSIGHTS_H_
#define VARSAM_INSIGHTS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "varsam/store.h"

namespace varsam::insights {

// ---- The query --------------------------------------------------------------------------------

// What a table is grouped by, each a column of the register (docs/storage.md): the episode's
// age band, sex, region (county code), case kind, intervention, start and end period, outcome;
// and the band of the episode's last measurement of the query's instrument.
enum class Dimension : std::uint8_t {
  kAgeBand,
  kSex,
  kRegion,
  kCaseKind,
  kIntervention,
  kStartPeriod,
  kEndPeriod,
  kOutcome,
  kBand,
};
inline constexpr int kDimensionCount = 9;
// "age_band", "sex", "region", "case_kind", "intervention", "start_period", "end_period",
// "outcome", "band".
std::string_view DimensionName(Dimension dimension);
std::optional<Dimension> ParseDimension(std::string_view name);

enum class MeasureKind : std::uint8_t {
  kEpisodes,  // count of episodes
  kPeople,    // count of distinct people (pseudonym and key epoch)
  kShare,     // share of episodes whose outcome is `outcome`, in [0, 1]
  kMean,      // mean of `of` over the cell's episodes that have it
  kMedian,    // median of the same
};
// "episodes", "people", "share", "mean", "median".
std::string_view MeasureKindName(MeasureKind kind);

// What a mean or median is of: the total of the episode's last measurement of `instrument`,
// its change from the episode's first (intake), or the episode's duration in months (closed
// episodes only).
enum class Quantity : std::uint8_t { kTotal, kChange, kDuration };
std::string_view QuantityName(Quantity quantity);  // "total", "change", "duration"

struct Measure {
  MeasureKind kind = MeasureKind::kEpisodes;
  Quantity of = Quantity::kTotal;  // kMean, kMedian
  std::string instrument;          // kTotal, kChange, and the band dimension
  std::string outcome;             // kShare: one of store::kOutcomes
};

// Keeps the episodes whose `dimension` is one of `values` (an empty string matches an empty
// field: no region, no intervention, open).
struct Filter {
  Dimension dimension = Dimension::kCaseKind;
  std::vector<std::string> values;
};

// The (n,k) dominance rule: a cell is protected when its n largest contributors (people) hold
// more than k percent of its total.
struct DominanceRule {
  int n = 1;
  double k = 85;
};

// The p % rule: a cell is protected when the total less the two largest contributions is less
// than p percent of the largest (the second largest contributor could estimate the largest to
// within p %).
struct PPercentRule {
  double p = 10;
};

// The cell key method's parameters (the p-table): maximum deviation D >= 1, variance V with
// 0 < V, and js >= 0: no published count in 1..js (a small count becomes 0 or more than js).
struct CellKeyParams {
  int max_deviation = 2;  // D
  double variance = 1;    // V
  int js = 0;
};

// Differential privacy for counts and means: epsilon > 0 spent on this table; each person's
// episodes beyond `contributions` are left out (those with the highest record keys), so that one
// person changes each cell by at most `contributions`. A mean is published as a noisy sum over a
// noisy count: each value is clamped to [lower, upper] (whole numbers, lower < upper, each within
// kMaxDpBound; required for a mean, refused for a count) and rounded to a whole unit, and
// `sum_share` of epsilon (in (0, 1); the rest goes to the count) is spent on the sum. A median
// has no such form and is refused under DP.
inline constexpr int kMaxDpBound = 1000000;
struct DpParams {
  double epsilon = 1;
  int contributions = 1;
  int lower = 0;           // a mean only
  int upper = 0;           // a mean only
  double sum_share = 0.5;  // a mean only
};

struct Protection {
  int threshold = 5;  // people: a cell of fewer is protected (0 and the cell is empty: zero)
  std::optional<DominanceRule> dominance;
  std::optional<PPercentRule> p_percent;
  // Secondary suppression (tables with margins): on by default.
  bool secondary = true;
  // The protection interval of a protected count x: an attacker's interval must reach down to
  // max(0, x - level) and up to x + level, level = max(threshold, ceil(share * x)). For a
  // magnitude: level = share * value.
  double protection_share = 0.2;
  std::optional<CellKeyParams> cell_key;
  std::optional<DpParams> dp;
};

struct Query {
  Measure measure;
  std::vector<Dimension> dimensions;  // at most 4, no repeats; none: one cell
  std::vector<Filter> filters;
  bool margins = false;  // a total per dimension level and overall
  Protection protection;
};

// The cap on a table's cells (margins included); a query past it is refused.
inline constexpr std::int64_t kMaxCells = 100000;

// A query as hosts write it (docs/insights.md):
//   {"measure": {"kind": "mean", "of": "change", "instrument": "ors"},
//    "dimensions": ["intervention", "age_band"],
//    "filters": {"case_kind": ["insats"]},
//    "margins": true,
//    "protection": {"threshold": 5, "dominance": {"n": 1, "k": 85}, "p_percent": 10,
//                   "secondary": true, "protection_share": 0.2,
//                   "cell_key": {"D": 2, "V": 1, "js": 1},
//                   "dp": {"epsilon": 0.5, "contributions": 1}}}
// (for a mean under DP: "dp": {"epsilon": 1, "contributions": 1, "lower": 0, "upper": 40,
// "sum_share": 0.5}; sum_share may be left out).
// Strict: unknown keys, wrong types, out-of-range numbers and values outside the register's
// vocabularies are refused with InvalidArgument naming the field ("query.measure.of: ..."), never
// its value.
absl::StatusOr<Query> ParseQuery(std::string_view json);
// The canonical JSON of a query (keys sorted, defaults written out): what the audit event
// records and what the differencing guard compares.
std::string QueryJson(const Query& query);

// ---- The register's columns -------------------------------------------------------------------

// The register's episodes as columns, each text column dictionary-coded (codes in first-seen
// order), with the measurements of one instrument joined to their episode: the rows are read
// once and every query groups over these arrays. One person's episodes are side by side.
struct Columns {
  std::array<std::vector<std::string>, kDimensionCount> dictionary;  // per dimension: code -> value
  std::array<std::vector<std::uint32_t>, kDimensionCount> codes;     // per dimension, per episode
  std::vector<std::uint32_t> person;      // dense id of (pseudonym, key epoch)
  std::vector<std::uint64_t> record_key;  // one per episode
  std::vector<double> duration_months;    // NaN when open
  std::string instrument;                 // the joined instrument, or ""
  std::vector<double> last_total;         // NaN when the episode has none
  std::vector<double> intake_total;       // NaN unless the episode has two sessions or more
  std::size_t size() const { return record_key.size(); }
};

// Builds the columns from the register's rows. A measurement belongs to the episode of the same
// pseudonym and key epoch whose period range holds its period; `instrument` may be empty (no
// measurement is joined).
absl::StatusOr<Columns> BuildColumns(std::span<const store::EpisodeRow> episodes,
                                     std::span<const store::RegisterMeasurementRow> measurements,
                                     std::string_view instrument);

// ---- The table --------------------------------------------------------------------------------

// A cell's level on one dimension: an index into Table::levels[d], or kMargin for the total.
inline constexpr std::int32_t kMargin = -1;

enum class CellStatus : std::uint8_t {
  kPublished,
  kZero,       // no episode: published as zero ("–" in Swedish tables)
  kProtected,  // not published ("..")
};

// Why a cell is protected.
enum class ProtectionReason : std::uint8_t {
  kNone,
  kThreshold,  // fewer people than the threshold
  kDominance,  // the (n,k) rule
  kPPercent,   // the p % rule
  kSecondary,  // chosen so that no primary cell can be recomputed
  kNoValue,    // a mean or median with no value in the cell
};
// "", "threshold", "dominance", "p_percent", "secondary", "no_value".
std::string_view ProtectionReasonName(ProtectionReason reason);

struct Cell {
  std::vector<std::int32_t> levels;  // one per dimension
  std::int64_t episodes = 0;
  // The distinct people the measure rests on: for a mean or a median, those with a value.
  std::int64_t people = 0;
  std::int64_t values = 0;  // episodes with the measured quantity (mean, median)
  // The measure before protection: a count, a share, a mean or a median (NaN when undefined).
  double raw = std::numeric_limits<double>::quiet_NaN();
  // What is published (after the cell key or DP noise): NaN when protected.
  double value = std::numeric_limits<double>::quiet_NaN();
  // For the magnitude rules: the cell's total of the quantity and its largest contributions
  // per person, largest first (at most kMaxContributors).
  double magnitude = 0;
  std::vector<double> largest;
  std::uint64_t key_sum = 0;  // the sum of the rows' record keys modulo 2^64
  // A mean under differential privacy: the sum of the cell's values, each clamped to
  // [DpParams::lower, DpParams::upper] and rounded to a whole unit, before noise; then the noisy
  // sum and the noisy count of values whose quotient (clamped) is published. Never published.
  std::int64_t clamped_sum = 0;
  std::int64_t noisy_sum = 0;
  std::int64_t noisy_values = 0;
  CellStatus status = CellStatus::kPublished;
  ProtectionReason reason = ProtectionReason::kNone;
};
inline constexpr int kMaxContributors = 8;

struct Table {
  Query query;
  std::vector<std::vector<std::string>> levels;  // per dimension, the values in sorted order
  // Every combination of levels (and with margins, kMargin on any subset of dimensions),
  // ordered by the levels with kMargin last on each dimension.
  std::vector<Cell> cells;
  // What was done, for the report: "threshold 5", "secondary suppression (linear programming)",
  // "cell key D=2 V=1 js=1", "discrete Laplace epsilon=0.5".
  std::vector<std::string> methods;
};

// The table of `query` over `columns`, before protection: every cell with its raw measure.
// InvalidArgument naming the field for a dimension or filter value the query cannot use (the
// band dimension or a mean without an instrument, columns of another instrument) or a table
// past kMaxCells.
absl::StatusOr<Table> Aggregate(const Query& query, const Columns& columns);

// ---- Aggregation in the store (src/insights/in_store.cc) ---------------------------------------
//
// The same table computed in the register's database (store::Store::GroupEpisodes), so that no
// episode leaves it: counts and shares over the episodes' own columns. A mean, a median and the
// band need the measurements joined to the episodes, which only the columns do.

// The grouping of the people `query` shows (its filters, dimensions, margins and, under
// differential privacy, the cap on each person's episodes), whatever it measures; nullopt when
// it groups or filters by the band.
std::optional<store::EpisodeGrouping> PopulationGrouping(const Query& query);
// The grouping that computes `query`'s table: PopulationGrouping counting its outcome for a
// share; nullopt for a mean or a median too.
std::optional<store::EpisodeGrouping> TableGrouping(const Query& query);
// The table of `query` from the groups of TableGrouping(query): the cells Aggregate makes from
// columns of the same episodes, before protection. InvalidArgument past kMaxCells.
absl::StatusOr<Table> TableFromGroups(const Query& query,
                                      std::span<const store::EpisodeGroup> groups);
// The differencing guard in the register's database (store::Store::CompareGroups): whether a
// group of people `fresh` shows differs from a group of one of `earlier` by at least 1 and fewer
// than `threshold` people while equal to none of them, FindDifferencing's rule. InvalidArgument
// for a query PopulationGrouping cannot group (the band).
absl::StatusOr<bool> DifferencingInStore(store::Store& store, const Query& fresh,
                                         std::span<const Query> earlier, int threshold);

// ---- The differencing guard (src/insights/differencing.cc) -------------------------------------
//
// Two released tables whose populations differ by a few people disclose those few: subtract one
// from the other. The Engine keeps every release's query and, before releasing a new table,
// compares the groups of people the new one shows (its whole population and each cell) with
// those of the earlier releases of the same organisation, purpose and period, evaluated on the
// register as it is now; docs/insights.md says what this stops and what it cannot.

// The groups of people `query` shows over `columns`: first its whole population (the people of
// the episodes its filters keep), then each non-empty cell's, margins included; each a sorted
// list of the columns' dense person ids, duplicates removed. What the query measures does not
// matter; the columns must have the instrument of its band dimension or filter joined
// (BandInstrument), else InvalidArgument. Columns built from the same episodes give the same
// person ids whatever instrument they joined.
absl::StatusOr<std::vector<std::vector<std::uint32_t>>> Populations(const Query& query,
                                                                    const Columns& columns);
// The instrument whose band the query groups or filters by, or "" when it uses no band.
std::string_view BandInstrument(const Query& query);

// A fresh group and an earlier one that differ in at least 1 and fewer than `threshold` people
// (their symmetric difference): the indexes into the two lists and the difference.
struct Differencing {
  std::size_t fresh = 0;
  std::size_t earlier = 0;
  std::int64_t people = 0;
};
// The first such pair, or nullopt. A fresh group equal to an earlier one is skipped: it shows
// nothing new (a repeated query, or a cell an earlier table showed), whatever else it is near.
std::optional<Differencing> FindDifferencing(std::span<const std::vector<std::uint32_t>> fresh,
                                             std::span<const std::vector<std::uint32_t>> earlier,
                                             int threshold);

// ---- Secondary suppression (src/insights/suppression.cc) --------------------------------------

// A table's linear structure for the attacker: `total` is the cell that equals (additive) or
// bounds (people: a person may lie in several parts, so max(parts) <= total <= sum(parts)) the
// sum of `parts`.
struct Relation {
  std::int32_t total = 0;
  std::vector<std::int32_t> parts;
  bool additive = true;
};

// The relations of a table with margins: for each dimension and each combination of the other
// levels (margins included), the margin cell and its parts. Empty without margins.
std::vector<Relation> TableRelations(const Table& table, bool additive);

// What an attacker who knows every published value, the relations and that no cell is negative
// can derive for one suppressed cell: [lower, upper] (upper may be +infinity).
struct Interval {
  double lower = 0;
  double upper = std::numeric_limits<double>::infinity();
};

// The attacker's interval for every cell in `suppressed` (true: not published), in the order
// of the cells; cells not suppressed get their value as a point. Each interval is the minimum
// and the maximum of the cell over the linear program: published cells fixed, suppressed cells
// >= 0, every relation holding. Internal when the solver fails.
absl::StatusOr<std::vector<Interval>> AttackerIntervals(std::span<const double> values,
                                                        std::span<const Relation> relations,
                                                        std::span<const bool> suppressed);

struct SuppressionResult {
  std::vector<bool> suppressed;    // the primary cells and the complementary ones
  std::vector<Interval> proven;    // AttackerIntervals for the final pattern
  std::int64_t complementary = 0;  // cells suppressed beyond the primary ones
  std::int64_t linear_programs = 0;
};

// Chooses complementary cells so that every primary cell's attacker interval covers
// [max(0, value - level), value + level], `levels` one per cell (ignored where not primary),
// suppressing as few cells as the method finds (docs/insights.md says how); then proves the
// pattern with AttackerIntervals. FailedPrecondition when no pattern protects a primary cell
// (then the table is not released).
absl::StatusOr<SuppressionResult> SuppressSecondary(std::span<const double> values,
                                                    std::span<const Relation> relations,
                                                    std::span<const bool> primary,
                                                    std::span<const double> levels);

// ---- The cell key method (src/insights/cell_key.cc) -------------------------------------------

// One row of the p-table: for an original count `original` (the last row stands for every
// count >= its original), the probability of each perturbation.
struct PTableRow {
  std::int64_t original = 0;
  std::vector<std::int64_t> perturbation;  // ascending; original + v >= 0 and not in 1..js
  std::vector<double> probability;         // sums to 1
};

class PTable {
 public:
  // The maximum-entropy p-table for the parameters: each row's distribution over
  // v in [-D, D] (with original + v >= 0 and original + v not in 1..js) has mean 0 and variance
  // V (the rows where that is impossible as close as the constraints allow, documented), and the
  // largest entropy among such. Row 0 never perturbs (an empty cell stays empty).
  // InvalidArgument naming the parameter when D < 1, V <= 0, js < 0 or js >= D's reach.
  static absl::StatusOr<PTable> Build(const CellKeyParams& params);

  const CellKeyParams& params() const { return params_; }
  const std::vector<PTableRow>& rows() const { return rows_; }

  // The perturbation for a count with the cell key `key_sum` (read as key_sum / 2^64 in [0, 1)
  // against the row's cumulative probabilities).
  std::int64_t Perturbation(std::int64_t count, std::uint64_t key_sum) const;

 private:
  CellKeyParams params_;
  std::vector<PTableRow> rows_;
};

// ---- Differential privacy (src/insights/dp.cc) ------------------------------------------------

// Uniform random 64-bit words. The default (CryptoBits) reads OpenSSL's RAND_bytes; tests give
// a seeded source.
using RandomBits = std::function<absl::StatusOr<std::uint64_t>()>;
RandomBits CryptoBits();

// A draw of the discrete Laplace distribution with scale t = numerator / denominator > 0:
// P(x) proportional to exp(-|x| / t) on the integers, sampled exactly with integer arithmetic
// (Canonne, Kamath & Steinke 2020, algorithm 2). InvalidArgument when the scale is not positive.
absl::StatusOr<std::int64_t> SampleDiscreteLaplace(std::int64_t numerator, std::int64_t denominator,
                                                   const RandomBits& bits);

// ---- Protecting and publishing ----------------------------------------------------------------

// Applies the query's protection to the table in place, in order: primary protection (threshold,
// dominance, p %), secondary suppression when the table has margins, then the cell key or DP
// noise on what is published; fills `value`, `status`, `reason` and `methods`. `bits` is used
// only for DP. FailedPrecondition when secondary suppression cannot protect the table.
absl::Status Protect(Table& table, const RandomBits& bits);

// "varsam-insight/1": {"format", "query" (canonical), "methods", "dimensions", "cells": [{"levels":
// [..., null for a margin], "value" (null when protected), "status", "flag"}]}. No raw value,
// key or count of a protected cell.
std::string TableJson(const Table& table);
// CSV with the dimensions' names and "value" as header, a row per cell: "Totalt" for a margin,
// ".." for a protected cell, "–" for a zero (the Swedish markers).
std::string TableCsv(const Table& table);
// A self-contained HTML page: the table, an SVG bar chart of the first dimension's cells (the
// others at their margins, or the first level), protected cells shown as such, and the method
// and parameters used. No script; printable on A4.
std::string TableHtml(const Table& table);

}  // namespace varsam::insights

#endif  // VARSAM_INSIGHTS_H_
