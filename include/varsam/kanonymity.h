// varsam/kanonymity.h — privacy models and optimal generalisation search (docs/anonymisation.md).
//
// SHARED TYPES FIRST (used by varsam/hierarchy.h to encode columns): a quasi-identifier column
// is integer-coded. codes[row] is the row's value at level 0 (the original); up[l][code0] is the
// code of that value at level l (up[0] is the identity); labels[l][code] is the text of a code at
// level l. The last level generalises everything to one value ("*").
//
// The rest of this header: the privacy models (k-anonymity, distinct and entropy l-diversity,
// a suppression budget), the optimal full-domain generalisation search over the lattice of level
// vectors, the standalone checker every release runs through, and the risk report.
// docs/anonymisation.md ("Optimal k-anonymity") documents the formulas; the short version is
// beside each declaration below.

#ifndef VARSAM_KANONYMITY_H_
#define VARSAM_KANONYMITY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace varsam::anonymize {

struct Column {
  std::string name;
  std::vector<std::uint32_t> codes;              // one per row: the level-0 code
  std::vector<std::vector<std::uint32_t>> up;    // up[level][level-0 code] -> code at level
  std::vector<std::vector<std::string>> labels;  // labels[level][code] -> text
  int levels() const { return static_cast<int>(up.size()); }  // including level 0
};

// ---- The table ---------------------------------------------------------------------------------

// The input of the search: quasi-identifier columns (all with the same number of rows) and,
// optionally, a sensitive column (one integer code per row; empty = none). A Column must be a
// proper hierarchy: up[0] is the identity over labels[0], every up[l] has one entry per level-0
// code, and levels nest (two level-0 codes that share a code at level l share it at l + 1).
struct Table {
  std::vector<Column> columns;
  std::vector<std::uint32_t> sensitive;
  std::size_t rows() const { return columns.empty() ? 0 : columns.front().codes.size(); }
};

// ---- The privacy model and the metric --------------------------------------------------------

enum class Metric {
  // ARX's "Loss": the mean over rows of the mean over columns of (g - 1) / (D - 1), where D is
  // the column's level-0 domain size and g the number of level-0 values that share the row's
  // value at the chosen level (0 when D == 1); a suppressed row counts 1 (fully generalised).
  // In [0, 1].
  kLoss,
  // Discernibility: sum over released classes of |E|^2, plus suppressed rows x n.
  kDiscernibility,
};

struct PrivacyModel {
  int k = 1;                     // every released equivalence class has >= k rows (k >= 1)
  int distinct_l = 0;            // >= 2: every released class has >= l distinct sensitive values
  double entropy_l = 0.0;        // > 1: every released class has entropy >= ln(l) (natural log)
  double max_suppression = 0.0;  // fraction of rows that may be suppressed, in [0, 1]
  // Per-column level bounds (empty = 0 and the column's last level): the register's configured
  // levels. The search only considers level vectors with min_level <= level <= max_level.
  std::vector<int> min_level;
  std::vector<int> max_level;
  Metric metric = Metric::kLoss;
  double risk_threshold = 0.2;  // the report counts records whose prosecutor risk exceeds it
};

// The number of rows a budget allows to suppress: floor(fraction x rows) (computed with a 1e-9
// tolerance, so 0.02 x 1,200,000 is 24,000).
std::size_t SuppressionLimit(std::size_t rows, double fraction);

// ---- The report --------------------------------------------------------------------------------

// Re-identification risk of one table state (the input, or a release).
struct RiskReport {
  std::vector<int> levels;     // the generalisation levels per column
  std::size_t records = 0;     // rows in this state (after suppression)
  std::size_t suppressed = 0;  // rows removed
  std::size_t classes = 0;     // equivalence classes
  // Equivalence-class size distribution: (class size, number of classes), ascending by size.
  std::vector<std::pair<std::size_t, std::size_t>> class_sizes;
  double max_risk = 0.0;      // prosecutor risk: max over records of 1 / |class|
  double average_risk = 0.0;  // mean over records of 1 / |class| (= classes / records)
  double risk_threshold = 0.2;
  std::size_t records_at_risk = 0;  // records with 1 / |class| > risk_threshold
};

// How the search went.
struct SearchStats {
  std::size_t lattice_size = 0;       // nodes in the (bounded) lattice
  std::size_t nodes_checked = 0;      // nodes whose classes were computed (rolled up)
  std::size_t nodes_tagged = 0;       // nodes whose status was inferred by monotonicity
  std::size_t nodes_pair_pruned = 0;  // nodes failing already on a two-column projection
  std::size_t nodes_early_exit = 0;   // checks stopped early: too many classes to satisfy k
  std::size_t nodes_bounded = 0;      // nodes skipped because their metric's lower bound was worse
  std::size_t nodes_satisfying = 0;   // satisfying nodes whose metric was evaluated
};

// The evaluation of one level vector (Check's answer, and part of the search's result).
struct Evaluation {
  std::vector<int> levels;
  bool satisfies = false;      // suppressed <= suppression_limit
  std::size_t suppressed = 0;  // rows in classes that fail k or l (suppressed whole)
  std::size_t suppression_limit = 0;
  std::vector<std::uint32_t> kept_rows;  // the released rows, ascending
  double metric = 0.0;                   // under model.metric, suppressed rows included
};

struct Result {
  std::vector<int> levels;               // the optimal level vector
  std::vector<std::uint32_t> kept_rows;  // the released rows (indices into the table), ascending
  std::size_t suppressed = 0;
  double metric = 0.0;
  RiskReport input;  // level 0 everywhere, nothing suppressed
  RiskReport release;
  SearchStats stats;
};

// ---- The search and the checker -----------------------------------------------------------

// The optimal full-domain generalisation: among all level vectors within the model's bounds
// that satisfy the model within the suppression budget, the one with the smallest metric. Ties
// (exactly equal metric) go to the smaller sum of levels, then the lexicographically smaller
// level vector. InvalidArgument for a malformed table or model; FailedPrecondition when no
// level vector satisfies the model.
absl::StatusOr<Result> Anonymize(const Table& table, const PrivacyModel& model);

// Independent of the search: groups the table's rows at `levels` directly, suppresses the classes
// that fail k or l, and says whether the suppression fits the budget. The engine runs it over
// every release. InvalidArgument for a malformed table, model or level vector.
absl::StatusOr<Evaluation> Check(const Table& table, const std::vector<int>& levels,
                                 const PrivacyModel& model);

// The risk report of `table` generalised to `levels` keeping only `kept_rows` (ascending).
absl::StatusOr<RiskReport> Risk(const Table& table, const std::vector<int>& levels,
                                const std::vector<std::uint32_t>& kept_rows, double risk_threshold);

}  // namespace varsam::anonymize

#endif  // VARSAM_KANONYMITY_H_
