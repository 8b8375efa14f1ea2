// A thin wrapper around one linear-programming solver (COIN-OR Clp; docs/insights.md,
// "Secondary suppression", says why Clp and not GLPK): a problem of bounded columns and
// ranged rows, minimised, then changed (costs, column bounds) and minimised again from the
// last basis. Private to src/insights; the solver's headers stay in lp.cc.

#ifndef VARSAM_SRC_INSIGHTS_LP_H_
#define VARSAM_SRC_INSIGHTS_LP_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace varsam::insights::lp {

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

enum class Outcome : std::uint8_t { kOptimal, kInfeasible, kUnbounded };

// Which simplex a (re)solve starts with: primal after a change of costs (the last basis stays
// primal feasible), dual after a change of bounds (it stays dual feasible).
enum class Method : std::uint8_t { kPrimal, kDual };

class Program {
 public:
  Program();
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // Building, before the first Minimize. Each returns the new column's or row's index.
  int AddColumn(double lower, double upper, double cost);
  int AddRow(double lower, double upper);
  // Adds `value` to the coefficient of `column` in `row` (a repeated pair is summed).
  void AddEntry(int row, int column, double value);

  int columns() const { return static_cast<int>(column_lower_.size()); }
  int rows() const { return static_cast<int>(row_lower_.size()); }

  // Changes, before or between solves.
  void SetCost(int column, double cost);
  void SetColumnBounds(int column, double lower, double upper);

  // Minimises the cost. Internal when the solver stops without a proven answer (after one
  // retry from scratch without scaling).
  absl::StatusOr<Outcome> Minimize(Method method);
  // After kOptimal: a column's value and the cost.
  double Value(int column) const;
  double Objective() const;

 private:
  struct Solver;
  void Load();

  std::vector<double> column_lower_, column_upper_, cost_;
  std::vector<double> row_lower_, row_upper_;
  std::vector<int> entry_row_, entry_column_;
  std::vector<double> entry_value_;
  std::unique_ptr<Solver> solver_;  // made by the first Minimize
};

}  // namespace varsam::insights::lp

#endif  // VARSAM_SRC_INSIGHTS_LP_H_
