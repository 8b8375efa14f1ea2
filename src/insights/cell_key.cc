// The cell key method's perturbation table (varsam/insights.h, "The cell key method";
// docs/insights.md, "The cell key method").
//
// The p-table is the maximum-entropy table of R's `ptable` package (Destatis; Enderle, Giessing
// & Tent 2018, "Designing confidentiality on the fly", PSD 2018; Giessing 2016, "Computational
// issues in the design of transition probabilities and disclosure risk estimation for additive
// noise", PSD 2016, LNCS 9867; the ptable vignette, "Introduction to the ptable-Package"). For
// each original count i the noise v ranges over [-D, D] with i + v >= 0 and i + v not in 1..js;
// among the distributions with mean 0 and variance at most V (ptable's constraints: sum 1, mean
// 0, variance <= V) the one of largest entropy is taken.
//
// That optimum has the exponential-family form p_v = exp(l1 v + l2 v^2) / Z(l1, l2) with l2 <= 0
// (the Lagrange multiplier of an inequality), so it is found on the dual, the convex function
// log Z(l) - l . (0, V), by damped Newton steps (gradient: the moments less their targets;
// Hessian: the covariance of (v, v^2)):
//   1. l2 = 0: the mean-only maximum (a one-dimensional Newton search on l1). When its variance
//      is at most V the variance constraint is slack and this is the row (ptable's result too:
//      its variance is then below V, which the row's figures show).
//   2. Otherwise the row's variance is exactly V: Newton on (l1, l2) from (l1, 0).
//   3. A row whose support lacks 0 (original counts 1..js) has variance at least a * b, a and b
//      the distances to the nearest allowed targets below (0) and above (js + 1). When V does not
//      exceed that, the row is the two-point limit of step 2 (p = b / (a + b) at -a, a / (a + b)
//      at +b): mean 0 and the smallest variance possible, as close to V as the constraints allow.
//      ptable accepts such rows as its optimiser leaves them (it stops checking the variance for
//      blocked counts).
// Row 0 is {0: 1} (an empty cell stays empty); the last row, D + js (+ 1 when js > 0) as in
// ptable, is the first whose support is the whole of [-D, D] and stands for every larger count.
// Unlike ptable the table has no monotony condition (`mono`) and no lower bound of 1e-8 on a
// probability: every probability of the exponential form is positive.
//
// The lookup reads the cell key as u = (key_sum >> 11) * 2^-53, the top 53 bits as a double in
// [0, 1) (exact), and returns the first perturbation whose cumulative probability exceeds u.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

// The largest maximum deviation accepted: rows have 2D + 1 entries and there are about D + js
// of them; a deviation of more than this is not a disclosure-control noise.
constexpr int kMaxDeviation = 100;

// The exponential-family distribution over `support` for multipliers (l1, l2), normalised with
// the largest exponent subtracted (no overflow for any finite multipliers).
std::vector<double> Distribution(const std::vector<std::int64_t>& support, double l1, double l2) {
  std::vector<double> p(support.size());
  double top = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < support.size(); ++k) {
    const auto v = static_cast<double>(support[k]);
    p[k] = l1 * v + l2 * v * v;
    top = std::max(top, p[k]);
  }
  double sum = 0;
  for (double& x : p) {
    x = std::exp(x - top);
    sum += x;
  }
  for (double& x : p) x /= sum;
  return p;
}

// log Z(l1, l2) - l2 * V: the dual objective (the mean's target is 0).
double Dual(const std::vector<std::int64_t>& support, double l1, double l2, double variance) {
  double top = -std::numeric_limits<double>::infinity();
  for (const std::int64_t s : support) {
    const auto v = static_cast<double>(s);
    top = std::max(top, l1 * v + l2 * v * v);
  }
  double sum = 0;
  for (const std::int64_t s : support) {
    const auto v = static_cast<double>(s);
    sum += std::exp(l1 * v + l2 * v * v - top);
  }
  return top + std::log(sum) - l2 * variance;
}

struct Moments {
  double mean = 0;
  double second = 0;  // E[v^2]
  double m3 = 0;      // E[v^3]
  double m4 = 0;      // E[v^4]
};

Moments MomentsOf(const std::vector<std::int64_t>& support, const std::vector<double>& p) {
  Moments m;
  for (std::size_t k = 0; k < support.size(); ++k) {
    const auto v = static_cast<double>(support[k]);
    m.mean += p[k] * v;
    m.second += p[k] * v * v;
    m.m3 += p[k] * v * v * v;
    m.m4 += p[k] * v * v * v * v;
  }
  return m;
}

// Step 1: the l1 for which p ∝ exp(l1 v) has mean 0. The mean increases strictly with l1 (its
// derivative is the variance), so Newton steps are kept inside a bracket that shrinks to the
// root; a step leaving it is replaced by bisection. The support has values of both signs.
double SolveMeanOnly(const std::vector<std::int64_t>& support) {
  double lo = -1, hi = 1;
  while (MomentsOf(support, Distribution(support, lo, 0)).mean > 0) lo *= 2;
  while (MomentsOf(support, Distribution(support, hi, 0)).mean < 0) hi *= 2;
  double l1 = 0;
  for (int iteration = 0; iteration < 200; ++iteration) {
    const Moments m = MomentsOf(support, Distribution(support, l1, 0));
    if (m.mean > 0) {
      hi = l1;
    } else {
      lo = l1;
    }
    const double var = m.second - m.mean * m.mean;
    if (std::abs(m.mean) < 1e-15) break;
    double next = var > 0 ? l1 - m.mean / var : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next == l1) break;
    l1 = next;
  }
  return l1;
}

// Step 2: (l1, l2) with mean 0 and E[v^2] = V, by damped Newton on the dual (a backtracking line
// search keeps every step a descent of the convex dual). Returns false when it does not reach
// the moments (the caller then falls back to the two-point limit, which only happens at the edge
// of feasibility).
bool SolveMeanAndVariance(const std::vector<std::int64_t>& support, double variance, double& l1,
                          double& l2) {
  for (int iteration = 0; iteration < 1000; ++iteration) {
    const Moments m = MomentsOf(support, Distribution(support, l1, l2));
    const double g1 = m.mean, g2 = m.second - variance;
    if (std::abs(g1) < 1e-14 && std::abs(g2) < 1e-13 * std::max(1.0, variance)) return true;
    // The covariance of (v, v^2).
    const double h11 = m.second - m.mean * m.mean;
    const double h12 = m.m3 - m.mean * m.second;
    const double h22 = m.m4 - m.second * m.second;
    const double det = h11 * h22 - h12 * h12;
    double d1 = -g1, d2 = -g2;  // gradient descent when the Hessian is numerically singular
    if (det > 1e-300 && std::isfinite(det)) {
      d1 = -(h22 * g1 - h12 * g2) / det;
      d2 = -(h11 * g2 - h12 * g1) / det;
    }
    const double f0 = Dual(support, l1, l2, variance);
    const double slope = g1 * d1 + g2 * d2;  // < 0 for a descent direction
    const double gradient = std::hypot(g1, g2);
    double step = 1;
    bool moved = false;
    for (int halving = 0; halving < 60; ++halving, step *= 0.5) {
      const double n1 = l1 + step * d1, n2 = l2 + step * d2;
      // Armijo's decrease of the dual; near the optimum the dual's change drowns in rounding,
      // and a step that shrinks the gradient is taken instead.
      bool accept = Dual(support, n1, n2, variance) <= f0 + 1e-4 * step * slope;
      if (!accept) {
        const Moments n = MomentsOf(support, Distribution(support, n1, n2));
        accept = std::hypot(n.mean, n.second - variance) < 0.9 * gradient;
      }
      if (accept) {
        l1 = n1;
        l2 = n2;
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  const Moments m = MomentsOf(support, Distribution(support, l1, l2));
  return std::abs(m.mean) < 1e-10 &&
         std::abs(m.second - variance) < 1e-10 * std::max(1.0, variance);
}

absl::StatusOr<PTableRow> BuildRow(std::int64_t original, const CellKeyParams& params) {
  PTableRow row;
  row.original = original;
  if (original == 0) {
    row.perturbation = {0};
    row.probability = {1.0};
    return row;
  }
  std::vector<std::int64_t> support;
  for (std::int64_t v = -params.max_deviation; v <= params.max_deviation; ++v) {
    const std::int64_t target = original + v;
    if (target < 0 || (target >= 1 && target <= params.js)) continue;
    support.push_back(v);
  }
  // The nearest allowed perturbations below and above 0 (both exist: 0 - original is allowed when
  // original <= D, and js < D makes original - D > js otherwise; original + D > js always).
  std::int64_t below = 0, above = 0;
  bool has_zero = false;
  for (const std::int64_t v : support) {
    if (v < 0) below = v;
    if (v > 0 && above == 0) above = v;
    if (v == 0) has_zero = true;
  }
  const double variance = params.variance;
  const auto two_point = [&] {
    const auto a = static_cast<double>(-below), b = static_cast<double>(above);
    row.perturbation = {below, above};
    row.probability = {b / (a + b), a / (a + b)};
  };
  if (!has_zero && variance <= static_cast<double>(-below * above) * (1 + 1e-9)) {  // step 3
    two_point();
    return row;
  }
  double l1 = SolveMeanOnly(support), l2 = 0;
  std::vector<double> p = Distribution(support, l1, 0);
  if (MomentsOf(support, p).second > variance) {  // step 2: the variance constraint binds
    if (!SolveMeanAndVariance(support, variance, l1, l2)) {
      // Only at the edge of feasibility (V barely above a blocked count's two-point variance).
      if (!has_zero) {
        two_point();
        return row;
      }
      return absl::InternalError("cell_key: a p-table row did not converge");
    }
    p = Distribution(support, l1, l2);
  }
  // Drop what underflowed to zero: a row lists only the perturbations it can give.
  for (std::size_t k = 0; k < support.size(); ++k) {
    if (p[k] > 0) {
      row.perturbation.push_back(support[k]);
      row.probability.push_back(p[k]);
    }
  }
  return row;
}

}  // namespace

absl::Status CheckCellKeyParams(const CellKeyParams& params, std::string_view field) {
  const auto refuse = [&](std::string_view name, std::string_view what) {
    return absl::InvalidArgumentError(Cat({field, ".", name, ": ", what}));
  };
  if (params.max_deviation < 1) return refuse("D", "must be at least 1");
  if (params.max_deviation > kMaxDeviation) return refuse("D", "must be at most 100");
  if (!(params.variance > 0) || !std::isfinite(params.variance)) {
    return refuse("V", "must be positive and finite");
  }
  const double d = params.max_deviation;
  // The variance of the uniform distribution on [-D, D]: the most a maximum-entropy row with
  // mean 0 reaches without growing towards +-D; above it the symmetric rows could not have V.
  if (params.variance > d * (d + 1) / 3 * (1 + 1e-12))
    return refuse("V", "must be at most D(D+1)/3");
  if (params.js < 0) return refuse("js", "must not be negative");
  // js >= D leaves the counts D + 1..js + 1 no allowed target below them: no mean 0.
  if (params.js >= params.max_deviation) return refuse("js", "must be less than D");
  return absl::OkStatus();
}

absl::StatusOr<PTable> PTable::Build(const CellKeyParams& params) {
  VARSAM_RETURN_IF_ERROR(CheckCellKeyParams(params, "cell_key"));
  PTable table;
  table.params_ = params;
  const std::int64_t last = params.max_deviation + params.js + (params.js > 0 ? 1 : 0);
  table.rows_.reserve(static_cast<std::size_t>(last + 1));
  for (std::int64_t i = 0; i <= last; ++i) {
    VARSAM_ASSIGN_OR_RETURN(PTableRow row, BuildRow(i, params));
    table.rows_.push_back(std::move(row));
  }
  return table;
}

std::int64_t PTable::Perturbation(std::int64_t count, std::uint64_t key_sum) const {
  // A negative count is a caller's bug; it is left as it is. So is a table that was never built.
  if (count < 0 || rows_.empty()) return 0;
  const auto index = static_cast<std::size_t>(
      std::min<std::int64_t>(count, static_cast<std::int64_t>(rows_.size()) - 1));
  const PTableRow& row = rows_[index];
  const double u = std::ldexp(static_cast<double>(key_sum >> 11), -53);
  double cumulative = 0;
  for (std::size_t k = 0; k + 1 < row.perturbation.size(); ++k) {
    cumulative += row.probability[k];
    if (u < cumulative) return row.perturbation[k];
  }
  return row.perturbation.back();
}

}  // namespace varsam::insights
