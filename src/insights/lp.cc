// The linear-programming wrapper (lp.h) on COIN-OR Clp's simplex (Forrest & Hall; the
// ClpSimplex class, https://github.com/coin-or/Clp): a problem is loaded once in column-major
// form and re-solved from its last basis after each change, its status read every time
// (0 optimal, 1 primal infeasible, 2 dual infeasible = unbounded, ClpModel::status()).

#include "lp.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <new>
#include <numeric>
#include <string>

#include "ClpSimplex.hpp"
#include "CoinError.hpp"
#include "absl/status/status.h"
#include "varsam/core.h"

namespace varsam::insights::lp {

struct Program::Solver {
  ClpSimplex model;
};

namespace {

// Clp's infinity is COIN_DBL_MAX; ours is the double's.
double ToClp(double bound) {
  if (bound == kInfinity) return COIN_DBL_MAX;
  if (bound == -kInfinity) return -COIN_DBL_MAX;
  return bound;
}

// Whether Clp's last solve ended with a proven answer: status 0, 1 or 2 with no secondary
// status saying that the unscaled problem disagrees (2-4) or that the solve gave up (5-8).
bool Proven(const ClpSimplex& model) {
  const int status = model.status();
  if (status < 0 || status > 2) return false;
  const int secondary = model.secondaryStatus();
  return !(status == 0 && secondary >= 2 && secondary <= 8);
}

}  // namespace

Program::Program() = default;
Program::~Program() = default;

int Program::AddColumn(double lower, double upper, double cost) {
  column_lower_.push_back(lower);
  column_upper_.push_back(upper);
  cost_.push_back(cost);
  return columns() - 1;
}

int Program::AddRow(double lower, double upper) {
  row_lower_.push_back(lower);
  row_upper_.push_back(upper);
  return rows() - 1;
}

void Program::AddEntry(int row, int column, double value) {
  entry_row_.push_back(row);
  entry_column_.push_back(column);
  entry_value_.push_back(value);
}

void Program::SetCost(int column, double cost) {
  cost_[static_cast<std::size_t>(column)] = cost;
  if (solver_) solver_->model.setObjectiveCoefficient(column, cost);
}

void Program::SetColumnBounds(int column, double lower, double upper) {
  column_lower_[static_cast<std::size_t>(column)] = lower;
  column_upper_[static_cast<std::size_t>(column)] = upper;
  if (solver_) solver_->model.setColumnBounds(column, ToClp(lower), ToClp(upper));
}

void Program::Load() {
  // Column-major, each column's rows ascending, repeated (row, column) pairs summed.
  std::vector<std::size_t> order(entry_row_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return entry_column_[a] != entry_column_[b] ? entry_column_[a] < entry_column_[b]
                                                : entry_row_[a] < entry_row_[b];
  });
  std::vector<CoinBigIndex> start(static_cast<std::size_t>(columns()) + 1, 0);
  std::vector<int> index;
  std::vector<double> value;
  index.reserve(order.size());
  value.reserve(order.size());
  int last_column = -1, last_row = -1;
  for (const std::size_t e : order) {
    if (entry_column_[e] == last_column && entry_row_[e] == last_row) {
      value.back() += entry_value_[e];
      continue;
    }
    last_column = entry_column_[e];
    last_row = entry_row_[e];
    index.push_back(last_row);
    value.push_back(entry_value_[e]);
    ++start[static_cast<std::size_t>(last_column) + 1];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<double> column_lower(column_lower_.size()), column_upper(column_upper_.size());
  std::transform(column_lower_.begin(), column_lower_.end(), column_lower.begin(), ToClp);
  std::transform(column_upper_.begin(), column_upper_.end(), column_upper.begin(), ToClp);
  std::vector<double> row_lower(row_lower_.size()), row_upper(row_upper_.size());
  std::transform(row_lower_.begin(), row_lower_.end(), row_lower.begin(), ToClp);
  std::transform(row_upper_.begin(), row_upper_.end(), row_upper.begin(), ToClp);

  solver_ = std::make_unique<Solver>();
  ClpSimplex& model = solver_->model;
  model.setLogLevel(0);
  model.loadProblem(columns(), rows(), start.data(), index.data(), value.data(),
                    column_lower.data(), column_upper.data(), cost_.data(), row_lower.data(),
                    row_upper.data());
  model.setOptimizationDirection(1);  // minimise
  // Every coefficient is +1 or -1 (lp.h's users): scaling would only cost time.
  model.scaling(0);
}

absl::StatusOr<Outcome> Program::Minimize(Method method) {
  try {
    if (!solver_) Load();
    ClpSimplex& model = solver_->model;
    // Hot start: keep the work areas and the factorization between solves and skip what the
    // changes (costs, column bounds) leave as it was (ClpSimplex::primal's startFinishOptions
    // 1 | 2 | 4, as branch-and-bound codes re-solve).
    constexpr int kHotStart = 1 | 2 | 4;
    if (method == Method::kPrimal) {
      model.primal(0, kHotStart);
    } else {
      model.dual(0, kHotStart);
    }
    if (!Proven(model)) {
      // One retry from scratch: a slack basis, Clp's own choice of algorithm.
      model.allSlackBasis(true);
      model.initialSolve();
    }
    if (!Proven(model)) {
      return absl::InternalError(
          Cat({"linear program: the solver stopped without an answer (status ",
               std::to_string(model.status()), ", secondary ",
               std::to_string(model.secondaryStatus()), ")"}));
    }
    switch (model.status()) {
      case 0: return Outcome::kOptimal;
      case 1: return Outcome::kInfeasible;
      default: return Outcome::kUnbounded;
    }
  } catch (const CoinError& error) {
    return absl::InternalError(Cat(
        {"linear program: the solver failed in ", error.className(), "::", error.methodName()}));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("linear program: out of memory");
  }
}

double Program::Value(int column) const { return solver_->model.getColSolution()[column]; }

double Program::Objective() const { return solver_->model.objectiveValue(); }

}  // namespace varsam::insights::lp
