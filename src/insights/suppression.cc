// Secondary cell suppression and its proof by linear programming (varsam/insights.h;
// docs/insights.md, "Secondary suppression").
//
// The attacker (Cox 1980, "Suppression methodology and statistical disclosure control", JASA
// 75:377-385; Fischetti & Salazar-González 2000, "Models and algorithms for optimizing cell
// suppression in tabular data with linear constraints", JASA 95:916-928, section 2) knows
// every published cell, the table's relations and that no cell is negative. What they can
// derive for a suppressed cell i is [min x_i, max x_i] over
//   x_j = a_j for every published cell j, x >= 0,
//   additive relation:   x_total = sum of x_parts,
//   people relation:     x_part <= x_total <= sum of x_parts (a person may be in several parts).
// AttackerIntervals solves these two programs per suppressed cell, over the suppressed cells
// only (published ones are constants), one program per connected component of the
// suppressed-cell/relation graph.
//
// The choice of complementary cells follows the attacker-subproblem view of Fischetti &
// Salazar-González (2000, section 3): a pattern protects cell p upwards iff some table
// z >= 0 that satisfies the relations, agrees with a on every published cell and has
// z_p >= a_p + level exists. So for each primary cell p and each side, we look for the
// cheapest such z = a + y, with cost sum over not yet suppressed cells of w_i |y_i| (0 for
// cells already suppressed), and suppress every cell that y moves. This is the
// one-cell-at-a-time LP heuristic of Kelly, Golden & Assad (1992, "Cell suppression:
// disclosure protection for sensitive tabular data", Networks 22:397-417), who solve it as a
// network flow for two-dimensional tables; here it is the general LP. Each step protects its
// cell on that side by construction (z is feasible for the attacker), and suppressing more
// cells only widens every interval, so the final pattern protects every primary cell; the
// proof then checks it with AttackerIntervals all the same.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lp.h"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

// Relative tolerance: a solver's answer within it of a bound counts as the bound.
constexpr double kTolerance = 1e-7;

double Scale(std::span<const double> values) {
  double scale = 1;
  for (const double v : values) scale = std::max(scale, v);
  return scale;
}

// The values, the relations' cell indices and the flags agree in size, every value is finite
// and non-negative, and the values satisfy the relations (what the attacker's programs take
// as given).
absl::Status CheckTable(std::span<const double> values, std::span<const Relation> relations,
                        std::size_t flags, std::string_view flags_name) {
  const std::size_t n = values.size();
  if (flags != n) {
    return absl::InvalidArgumentError(
        Cat({flags_name, ": must have one entry per cell of values"}));
  }
  for (const double v : values) {
    if (!std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError("values: must be finite and not negative");
    }
  }
  const double tolerance = 1e-6 * Scale(values);
  for (const Relation& r : relations) {
    const auto in_range = [n](std::int32_t cell) {
      return cell >= 0 && static_cast<std::size_t>(cell) < n;
    };
    if (!in_range(r.total) || r.parts.empty() ||
        !std::all_of(r.parts.begin(), r.parts.end(), in_range)) {
      return absl::InvalidArgumentError(
          "relations: a relation needs a total and parts among the cells of values");
    }
    double sum = 0, largest = 0;
    for (const std::int32_t part : r.parts) {
      sum += values[static_cast<std::size_t>(part)];
      largest = std::max(largest, values[static_cast<std::size_t>(part)]);
    }
    const double total = values[static_cast<std::size_t>(r.total)];
    const bool holds = r.additive ? std::abs(total - sum) <= tolerance
                                  : total <= sum + tolerance && largest <= total + tolerance;
    if (!holds) return absl::InvalidArgumentError("values: do not satisfy the relations");
  }
  return absl::OkStatus();
}

// Union-find over cells.
class Components {
 public:
  explicit Components(std::size_t n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), std::int32_t{0});
  }
  std::int32_t Find(std::int32_t x) {
    while (parent_[static_cast<std::size_t>(x)] != x) {
      auto& p = parent_[static_cast<std::size_t>(x)];
      p = parent_[static_cast<std::size_t>(p)];
      x = p;
    }
    return x;
  }
  void Join(std::int32_t a, std::int32_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
  }

 private:
  std::vector<std::int32_t> parent_;
};

// A row of a linear program over some of the cells: sum of coefficient * cell within
// [lower, upper].
struct Row {
  std::vector<std::pair<std::int32_t, double>> terms;  // (cell, coefficient)
  double lower = -lp::kInfinity;
  double upper = lp::kInfinity;
};

// The rows a relation gives, in the cells' values x: additive, x_total - sum x_parts = 0;
// people, x_total - sum x_parts <= 0 and x_part - x_total <= 0 for each part.
std::vector<Row> RelationRows(const Relation& r) {
  std::vector<Row> rows;
  Row sum;
  sum.terms.emplace_back(r.total, 1.0);
  for (const std::int32_t part : r.parts) sum.terms.emplace_back(part, -1.0);
  sum.upper = 0;
  if (r.additive) sum.lower = 0;
  rows.push_back(std::move(sum));
  if (!r.additive) {
    for (const std::int32_t part : r.parts) {
      if (part == r.total) continue;
      Row bound;
      bound.terms = {{part, 1.0}, {r.total, -1.0}};
      bound.upper = 0;
      rows.push_back(std::move(bound));
    }
  }
  return rows;
}

// Rounds an LP answer to the nearest integer when it is within the tolerance of it (the
// programs of tables of counts have integer vertices in two dimensions; the solver's answer
// carries its rounding errors).
double Snap(double x, double scale) {
  const double r = std::round(x);
  return std::abs(x - r) <= kTolerance * scale ? r : x;
}

// The attacker's intervals (AttackerIntervals), counting the programs solved.
absl::StatusOr<std::vector<Interval>> Intervals(std::span<const double> values,
                                                std::span<const Relation> relations,
                                                std::span<const bool> suppressed,
                                                std::int64_t& programs) {
  const std::size_t n = values.size();
  const double scale = Scale(values);
  std::vector<Interval> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!suppressed[i]) out[i] = Interval{values[i], values[i]};
  }
  const auto is_suppressed = [&](std::int32_t cell) {
    return suppressed[static_cast<std::size_t>(cell)];
  };

  // The relations that touch a suppressed cell join their suppressed cells into components.
  Components components(n);
  std::vector<std::int32_t> touching;  // relation indices
  for (std::size_t k = 0; k < relations.size(); ++k) {
    const Relation& r = relations[k];
    std::int32_t first = is_suppressed(r.total) ? r.total : -1;
    for (const std::int32_t part : r.parts) {
      if (!is_suppressed(part)) continue;
      if (first < 0) {
        first = part;
      } else {
        components.Join(first, part);
      }
    }
    if (first >= 0) touching.push_back(static_cast<std::int32_t>(k));
  }
  // Cells and relations per component (by its root).
  std::vector<std::vector<std::int32_t>> cells_of(n), relations_of(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (suppressed[i]) {
      const auto root = static_cast<std::size_t>(components.Find(static_cast<std::int32_t>(i)));
      cells_of[root].push_back(static_cast<std::int32_t>(i));
    }
  }
  for (const std::int32_t k : touching) {
    const Relation& r = relations[static_cast<std::size_t>(k)];
    std::int32_t cell = r.total;
    if (!is_suppressed(cell)) {
      cell = *std::find_if(r.parts.begin(), r.parts.end(), is_suppressed);
    }
    relations_of[static_cast<std::size_t>(components.Find(cell))].push_back(k);
  }

  std::vector<std::int32_t> column(n, -1);
  for (std::size_t root = 0; root < n; ++root) {
    const std::vector<std::int32_t>& cells = cells_of[root];
    if (cells.empty()) continue;
    if (relations_of[root].empty()) {  // a cell in no relation: nothing bounds it
      out[static_cast<std::size_t>(cells[0])] = Interval{0, lp::kInfinity};
      continue;
    }
    lp::Program program;
    for (const std::int32_t cell : cells) {
      column[static_cast<std::size_t>(cell)] = program.AddColumn(0, lp::kInfinity, 0);
    }
    for (const std::int32_t k : relations_of[root]) {
      for (const Row& row : RelationRows(relations[static_cast<std::size_t>(k)])) {
        // Published cells move to the right-hand side.
        double constant = 0;
        bool has_variable = false;
        for (const auto& [cell, coefficient] : row.terms) {
          if (is_suppressed(cell)) {
            has_variable = true;
          } else {
            constant += coefficient * values[static_cast<std::size_t>(cell)];
          }
        }
        if (!has_variable) continue;  // holds: CheckTable saw to it
        const int index = program.AddRow(row.lower - constant, row.upper - constant);
        for (const auto& [cell, coefficient] : row.terms) {
          if (is_suppressed(cell)) {
            program.AddEntry(index, column[static_cast<std::size_t>(cell)], coefficient);
          }
        }
      }
    }
    // Every solution is a table the attacker cannot rule out: a cell seen at 0 in any of
    // them has the lower bound 0 without a program of its own. So all the maxima first.
    std::vector<bool> seen_zero(cells.size(), false);
    const auto record = [&]() {
      for (std::size_t j = 0; j < cells.size(); ++j) {
        if (program.Value(static_cast<int>(j)) <= kTolerance * scale) seen_zero[j] = true;
      }
    };
    for (std::size_t j = 0; j < cells.size(); ++j) {
      const int c = static_cast<int>(j);
      program.SetCost(c, -1);
      VARSAM_ASSIGN_OR_RETURN(const lp::Outcome outcome, program.Minimize(lp::Method::kPrimal));
      ++programs;
      Interval& interval = out[static_cast<std::size_t>(cells[j])];
      if (outcome == lp::Outcome::kInfeasible) {
        return absl::InternalError("linear program: the attacker's program has no solution");
      }
      if (outcome == lp::Outcome::kUnbounded) {
        interval.upper = lp::kInfinity;
      } else {
        interval.upper = std::max(0.0, Snap(-program.Objective(), scale));
        record();
      }
      program.SetCost(c, 0);
    }
    for (std::size_t j = 0; j < cells.size(); ++j) {
      Interval& interval = out[static_cast<std::size_t>(cells[j])];
      if (seen_zero[j]) {
        interval.lower = 0;
        continue;
      }
      const int c = static_cast<int>(j);
      program.SetCost(c, 1);
      VARSAM_ASSIGN_OR_RETURN(const lp::Outcome outcome, program.Minimize(lp::Method::kPrimal));
      ++programs;
      if (outcome != lp::Outcome::kOptimal) {
        return absl::InternalError("linear program: the attacker's minimum has no answer");
      }
      interval.lower = std::max(0.0, Snap(program.Objective(), scale));
      record();
      program.SetCost(c, 0);
    }
  }
  return out;
}

// The protection interval of a primary cell.
double ProtectLow(double value, double level) { return std::max(0.0, value - level); }
double ProtectHigh(double value, double level) { return value + level; }

bool Covers(const Interval& interval, double value, double level) {
  const double slack = 1e-6 * std::max(1.0, value + level);
  return interval.lower <= ProtectLow(value, level) + slack &&
         interval.upper >= ProtectHigh(value, level) - slack;
}

}  // namespace

absl::StatusOr<std::vector<Interval>> AttackerIntervals(std::span<const double> values,
                                                        std::span<const Relation> relations,
                                                        std::span<const bool> suppressed) {
  VARSAM_RETURN_IF_ERROR(CheckTable(values, relations, suppressed.size(), "suppressed"));
  std::int64_t programs = 0;
  return Intervals(values, relations, suppressed, programs);
}

absl::StatusOr<SuppressionResult> SuppressSecondary(std::span<const double> values,
                                                    std::span<const Relation> relations,
                                                    std::span<const bool> primary,
                                                    std::span<const double> levels) {
  VARSAM_RETURN_IF_ERROR(CheckTable(values, relations, primary.size(), "primary"));
  const std::size_t n = values.size();
  if (levels.size() != n) {
    return absl::InvalidArgumentError("levels: must have one entry per cell of values");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (primary[i] && (!std::isfinite(levels[i]) || levels[i] < 0)) {
      return absl::InvalidArgumentError("levels: must be finite and not negative");
    }
  }
  SuppressionResult result;
  result.suppressed.assign(primary.begin(), primary.end());

  // The perturbation program: y_i = up_i - down_i for every cell in a relation, up_i >= 0,
  // 0 <= down_i <= a_i (so that a + y >= 0), the relations holding for a + y. Since a
  // satisfies them, an additive relation is homogeneous in y; a people relation keeps its
  // slack on the right-hand side.
  std::vector<std::int32_t> up(n, -1);
  const double scale = Scale(values);
  // The cost of moving a cell that is not yet suppressed: 1 per unit, so that the cheapest
  // perturbation moves the fewest cells, plus at most 0.1 % for the cell's size, so that of
  // two equally short ones the one through smaller cells (zeros first, margins last) wins.
  const auto weight = [&](std::size_t i) {
    return result.suppressed[i] ? 0.0 : 1.0 + 1e-3 * values[i] / scale;
  };
  lp::Program program;
  const auto add_cell = [&](std::int32_t cell) {
    const auto i = static_cast<std::size_t>(cell);
    if (up[i] >= 0) return;
    up[i] = program.AddColumn(0, lp::kInfinity, weight(i));
    program.AddColumn(0, values[i], weight(i));  // down_i = up_i + 1
  };
  for (const Relation& r : relations) {
    add_cell(r.total);
    for (const std::int32_t part : r.parts) add_cell(part);
    for (const Row& row : RelationRows(r)) {
      double at_values = 0;
      for (const auto& [cell, coefficient] : row.terms) {
        at_values += coefficient * values[static_cast<std::size_t>(cell)];
      }
      const int index = program.AddRow(row.lower - at_values, row.upper - at_values);
      for (const auto& [cell, coefficient] : row.terms) {
        const int u = up[static_cast<std::size_t>(cell)];
        program.AddEntry(index, u, coefficient);
        program.AddEntry(index, u + 1, -coefficient);
      }
    }
  }

  // Every perturbation found so far, as (cell, y) pairs: each moves only cells now suppressed,
  // so any multiple of it that keeps the table non-negative and the relations holding is a
  // table the attacker cannot rule out. A primary cell that one of them moves far enough
  // needs no program of its own.
  std::vector<std::vector<std::pair<std::int32_t, double>>> found;
  std::vector<std::vector<std::int32_t>> found_at(n);  // cell -> perturbations moving it
  std::vector<std::vector<std::int32_t>> relations_at(n);
  for (std::size_t k = 0; k < relations.size(); ++k) {
    relations_at[static_cast<std::size_t>(relations[k].total)].push_back(
        static_cast<std::int32_t>(k));
    for (const std::int32_t part : relations[k].parts) {
      relations_at[static_cast<std::size_t>(part)].push_back(static_cast<std::int32_t>(k));
    }
  }
  std::vector<double> z(values.begin(), values.end());  // scratch: a + alpha y
  const auto relation_holds = [&](const Relation& r) {
    double sum = 0, largest = 0;
    for (const std::int32_t part : r.parts) {
      sum += z[static_cast<std::size_t>(part)];
      largest = std::max(largest, z[static_cast<std::size_t>(part)]);
    }
    const double total = z[static_cast<std::size_t>(r.total)];
    const double slack = 1e-9 * scale;
    return r.additive ? std::abs(total - sum) <= slack
                      : total <= sum + slack && largest <= total + slack;
  };
  // Whether a known perturbation moves p by `target` (signed) within the table's rules.
  const auto covered = [&](std::size_t p, double target) {
    for (const std::int32_t id : found_at[p]) {
      const auto& moves = found[static_cast<std::size_t>(id)];
      const auto at_p = std::find_if(moves.begin(), moves.end(), [&](const auto& m) {
        return static_cast<std::size_t>(m.first) == p;
      });
      const double alpha = target / at_p->second;
      bool ok = true;
      for (const auto& [cell, y] : moves) {
        const double moved = values[static_cast<std::size_t>(cell)] + alpha * y;
        ok = ok && moved >= -1e-9 * scale;
        z[static_cast<std::size_t>(cell)] = std::max(0.0, moved);
      }
      for (const auto& move : moves) {
        if (!ok) break;
        for (const std::int32_t k : relations_at[static_cast<std::size_t>(move.first)]) {
          if (!relation_holds(relations[static_cast<std::size_t>(k)])) {
            ok = false;
            break;
          }
        }
      }
      for (const auto& move : moves) {
        z[static_cast<std::size_t>(move.first)] = values[static_cast<std::size_t>(move.first)];
      }
      if (ok) return true;
    }
    return false;
  };

  // Primary cells by level, largest first: their perturbations are the longest, and smaller
  // ones often ride along.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < n; ++i) {
    if (primary[i] && up[i] >= 0 && levels[i] > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return levels[a] > levels[b]; });
  for (const std::size_t p : order) {
    const int u = up[p];
    for (const bool upwards : {true, false}) {
      const double amount = upwards ? levels[p] : std::min(values[p], levels[p]);
      if (amount <= 0) continue;  // a zero cannot go down, nor need to
      if (covered(p, upwards ? amount : -amount)) continue;
      if (upwards) {
        program.SetColumnBounds(u, amount, amount);
        program.SetColumnBounds(u + 1, 0, 0);
      } else {
        program.SetColumnBounds(u, 0, 0);
        program.SetColumnBounds(u + 1, amount, amount);
      }
      VARSAM_ASSIGN_OR_RETURN(const lp::Outcome outcome, program.Minimize(lp::Method::kDual));
      ++result.linear_programs;
      if (outcome != lp::Outcome::kOptimal) {
        return absl::FailedPreconditionError(
            "primary: the relations leave a primary cell no room to move; no pattern of "
            "suppressed cells protects it");
      }
      const double tolerance = kTolerance * std::max(1.0, amount);
      std::vector<std::pair<std::int32_t, double>> moves;
      for (std::size_t i = 0; i < n; ++i) {
        const int c = up[i];
        if (c < 0) continue;
        const double y = program.Value(c) - program.Value(c + 1);
        if (std::abs(y) <= tolerance) continue;
        moves.emplace_back(static_cast<std::int32_t>(i), i == p ? (upwards ? amount : -amount) : y);
        if (!result.suppressed[i]) {
          result.suppressed[i] = true;
          program.SetCost(c, 0);
          program.SetCost(c + 1, 0);
        }
      }
      for (const auto& move : moves) {
        found_at[static_cast<std::size_t>(move.first)].push_back(
            static_cast<std::int32_t>(found.size()));
      }
      found.push_back(std::move(moves));
      program.SetColumnBounds(u, 0, lp::kInfinity);
      program.SetColumnBounds(u + 1, 0, values[p]);
    }
  }

  // The proof.
  const std::unique_ptr<bool[]> pattern = std::make_unique<bool[]>(n);
  std::copy(result.suppressed.begin(), result.suppressed.end(), pattern.get());
  VARSAM_ASSIGN_OR_RETURN(result.proven,
                          Intervals(values, relations, std::span<const bool>(pattern.get(), n),
                                    result.linear_programs));
  for (std::size_t i = 0; i < n; ++i) {
    if (primary[i] && !Covers(result.proven[i], values[i], levels[i])) {
      return absl::FailedPreconditionError(
          "primary: the attacker's interval of a primary cell does not cover its protection "
          "interval");
    }
    if (result.suppressed[i] && !primary[i]) ++result.complementary;
  }
  return result;
}

}  // namespace varsam::insights
