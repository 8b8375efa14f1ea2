// The REML fit of the curve model (varsam/outcomes.h; docs/outcomes.md, "Fitting the curves").
//
// The profiled REML criterion of Bates, Maechler, Bolker & Walker (2015, J Stat Softw 67(1),
// section 3.6): with the random effects b = Lambda u, Lambda the lower-triangular 2 x 2 relative
// covariance factor given by theta = (l00, l10, l11), the penalised least squares problem
//   min over u, beta of |y - X beta - Z Lambda u|^2 + |u|^2
// is solved in closed form, and
//   -2 l_R(theta) = log|L|^2 + log|R_X|^2 + (n - p) (1 + log(2 pi r^2 / (n - p))),
// r^2 the penalised residual sum of squares, L the Cholesky factor of Lambda' Z'Z Lambda + I and
// R_X that of the fixed effects' Schur complement. X_i = c_i' (x) Z_i for the series'
// covariates c_i = (1, intake, predictors...). Z is block-diagonal by series, so L is too,
// and series with the same sessions share their block: one evaluation costs O(patterns of
// sessions) after one pass over the rows (Pattern below). theta is found by Nelder-Mead
// (Nelder & Mead 1965), with l00, l11 >= 0.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <vector>

#include "Eigen/Dense"
#include "internal.h"
#include "varsam/outcomes.h"

namespace varsam::outcomes {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// What the criterion needs of the series that share one pattern of sessions. A series' block
// of the criterion depends on its sessions only through Z_i'Z_i = [[n, sum t], [sum t,
// sum t^2]] (t = log session); its fixed-effect part Z_i'X_i = c_i' (x) Z_i'Z_i adds the
// covariates c_i = (1, intake, predictors...). So per pattern the criterion needs only sums over
// the series that share it: of c_i c_i', of c_i (x) Z_i'y_i and of Z_i'y_i (Z_i'y_i)'. An
// evaluation then costs O(patterns m^2) for m covariates, which for series of consecutive
// sessions is at most max_session patterns, not O(series).
struct Pattern {
  double n = 0, t = 0, tt = 0;                     // Z'Z of one series
  MatrixXd cc;                                     // sum of c_i c_i' (its (0, 0): the count)
  VectorXd czy;                                    // sum of c_i (x) Z_i'y_i
  Eigen::Matrix2d zyzy = Eigen::Matrix2d::Zero();  // sum of Z_i'y_i (Z_i'y_i)'
};

struct Problem {
  Eigen::Index m = 2;  // covariates; 2m fixed effects
  std::vector<Pattern> patterns;
  MatrixXd xtx;
  VectorXd xty;
  double yty = 0;
  double n = 0;
};

Problem Summarise(const SeriesSet& data, const SeriesPredictors& predictors) {
  Problem p;
  const auto extra = static_cast<Eigen::Index>(predictors.names.size());
  p.m = 2 + extra;
  const Eigen::Index width = 2 * p.m;
  p.xtx = MatrixXd::Zero(width, width);
  p.xty = VectorXd::Zero(width);
  struct One {
    double n = 0, t = 0, tt = 0, y = 0, ty = 0;
  };
  std::vector<One> series(static_cast<size_t>(data.series));
  // Per series its covariates c_i; the intake is its rows'.
  MatrixXd c(p.m, data.series);
  for (std::int32_t i = 0; i < data.series; ++i) {
    c(0, i) = 1;
    c(1, i) = 0;
    for (Eigen::Index j = 0; j < extra; ++j) {
      c(2 + j, i) =
          predictors
              .values[static_cast<size_t>(i) * static_cast<size_t>(extra) + static_cast<size_t>(j)];
    }
  }
  for (const SeriesRow& row : data.rows) {
    One& s = series[static_cast<size_t>(row.series)];
    const double t = std::log(static_cast<double>(row.session));
    s.n += 1;
    s.t += t;
    s.tt += t * t;
    s.y += row.total;
    s.ty += t * row.total;
    c(1, row.series) = row.intake;
    p.yty += row.total * row.total;
    p.n += 1;
  }
  // Series with the same Z'Z (bit for bit: the same sessions summed in the same order).
  std::map<std::array<double, 3>, std::size_t> index;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const One& s = series[i];
    if (s.n == 0) continue;
    const auto [it, added] = index.try_emplace({s.n, s.t, s.tt}, p.patterns.size());
    if (added) {
      Pattern fresh;
      fresh.n = s.n;
      fresh.t = s.t;
      fresh.tt = s.tt;
      fresh.cc = MatrixXd::Zero(p.m, p.m);
      fresh.czy = VectorXd::Zero(width);
      p.patterns.push_back(std::move(fresh));
    }
    Pattern& q = p.patterns[it->second];
    const Eigen::Vector2d zy(s.y, s.ty);
    const auto ci = c.col(static_cast<Eigen::Index>(i));
    q.cc.noalias() += ci * ci.transpose();
    for (Eigen::Index j = 0; j < p.m; ++j) q.czy.segment<2>(2 * j) += ci(j) * zy;
    q.zyzy.noalias() += zy * zy.transpose();
  }
  // X'X = sum over patterns of (sum c c') (x) Z'Z, X'y = sum of c (x) Z'y.
  for (const Pattern& q : p.patterns) {
    Eigen::Matrix2d ztz;
    ztz << q.n, q.t, q.t, q.tt;
    for (Eigen::Index i = 0; i < p.m; ++i) {
      for (Eigen::Index j = 0; j < p.m; ++j) p.xtx.block<2, 2>(2 * i, 2 * j) += q.cc(i, j) * ztz;
    }
    p.xty += q.czy;
  }
  return p;
}

struct Evaluation {
  double criterion = std::numeric_limits<double>::infinity();
  VectorXd beta;
  MatrixXd rx;  // upper-triangular R_X
  double r2 = 0;
};

Evaluation Evaluate(const Problem& p, const std::array<double, 3>& theta) {
  Evaluation out;
  Eigen::Matrix2d lambda;
  lambda << theta[0], 0, theta[1], theta[2];
  MatrixXd schur = p.xtx;
  VectorXd xty = p.xty;
  double yty = p.yty;
  double log_det_l = 0;
  for (const Pattern& q : p.patterns) {
    Eigen::Matrix2d ztz;
    ztz << q.n, q.t, q.t, q.tt;
    // L L' = Lambda' Z'Z Lambda + I; K = L^-1 Lambda' maps Z'y to c_u, and M = K Z'Z gives
    // R_ZX = c' (x) M.
    const Eigen::Matrix2d a = lambda.transpose() * ztz * lambda + Eigen::Matrix2d::Identity();
    const Eigen::LLT<Eigen::Matrix2d> llt(a);
    const Eigen::Matrix2d l = llt.matrixL();
    const Eigen::Matrix2d k = l.triangularView<Eigen::Lower>().solve(lambda.transpose());
    const Eigen::Matrix2d m = k * ztz;
    const Eigen::Matrix2d mtm = m.transpose() * m;
    log_det_l += q.cc(0, 0) * 0.5 * std::log(a.determinant());
    // Sum over the pattern's series of R_ZX' R_ZX = (c c') (x) M'M, and of R_ZX' c_u =
    // (I (x) M'K) (c (x) Z'y).
    const Eigen::Matrix2d mk = m.transpose() * k;
    for (Eigen::Index i = 0; i < p.m; ++i) {
      for (Eigen::Index j = 0; j < p.m; ++j) schur.block<2, 2>(2 * i, 2 * j) -= q.cc(i, j) * mtm;
      xty.segment<2>(2 * i) -= mk * q.czy.segment<2>(2 * i);
    }
    // Sum of |c_u|^2 = trace(K'K sum Z'y (Z'y)').
    yty -= (k.transpose() * k * q.zyzy).trace();
  }
  const Eigen::LLT<MatrixXd> llt(schur);
  if (llt.info() != Eigen::Success) return out;
  MatrixXd rx = llt.matrixU();
  const VectorXd cb = rx.transpose().triangularView<Eigen::Lower>().solve(xty);
  const double r2 = yty - cb.squaredNorm();
  const double dof = p.n - 2 * p.m;
  if (!(r2 > 0) || !(dof > 0)) return out;
  double log_det_rx = 0;
  for (Eigen::Index j = 0; j < 2 * p.m; ++j) log_det_rx += std::log(rx(j, j));
  out.criterion =
      2 * log_det_l + 2 * log_det_rx + dof * (1 + std::log(2 * std::numbers::pi * r2 / dof));
  out.beta = rx.triangularView<Eigen::Upper>().solve(cb);
  out.rx = std::move(rx);
  out.r2 = r2;
  return out;
}

// Nelder-Mead over theta; the diagonal of Lambda is read as its absolute value, so that every
// point of the search is a Cholesky factor (with a non-negative diagonal), and every covariance
// matrix has one.
struct Minimum {
  std::array<double, 3> theta{};
  double value = 0;
  int evaluations = 0;
};

Minimum NelderMead(const Problem& p, std::array<double, 3> start) {
  constexpr int kDim = 3;
  constexpr int kMaxEvaluations = 5000;
  int evaluations = 0;
  const auto f = [&](std::array<double, 3> theta) {
    theta[0] = std::abs(theta[0]);
    theta[2] = std::abs(theta[2]);
    ++evaluations;
    return Evaluate(p, theta).criterion;
  };
  std::array<std::array<double, 3>, kDim + 1> simplex;
  std::array<double, kDim + 1> values{};
  simplex[0] = start;
  for (int i = 0; i < kDim; ++i) {
    simplex[i + 1] = start;
    simplex[i + 1][i] += (start[i] != 0 ? 0.25 * std::abs(start[i]) : 0.25);
  }
  for (int i = 0; i <= kDim; ++i) values[i] = f(simplex[i]);
  while (evaluations < kMaxEvaluations) {
    std::array<int, kDim + 1> order{0, 1, 2, 3};
    std::sort(order.begin(), order.end(), [&](int a, int b) { return values[a] < values[b]; });
    const int best = order[0], worst = order[kDim], second = order[kDim - 1];
    double size = 0;
    for (int i = 0; i <= kDim; ++i) {
      for (int j = 0; j < kDim; ++j) {
        size = std::max(size, std::abs(simplex[i][j] - simplex[best][j]));
      }
    }
    if (std::abs(values[worst] - values[best]) <= 1e-11 * (1 + std::abs(values[best])) &&
        size <= 1e-9) {
      break;
    }
    std::array<double, 3> centroid{};
    for (int i = 0; i <= kDim; ++i) {
      if (i == worst) continue;
      for (int j = 0; j < kDim; ++j) centroid[j] += simplex[i][j] / kDim;
    }
    const auto along = [&](double step) {
      std::array<double, 3> x{};
      for (int j = 0; j < kDim; ++j) x[j] = centroid[j] + step * (simplex[worst][j] - centroid[j]);
      return x;
    };
    const std::array<double, 3> reflected = along(-1);
    const double fr = f(reflected);
    if (fr < values[best]) {
      const std::array<double, 3> expanded = along(-2);
      const double fe = f(expanded);
      if (fe < fr) {
        simplex[worst] = expanded, values[worst] = fe;
      } else {
        simplex[worst] = reflected, values[worst] = fr;
      }
      continue;
    }
    if (fr < values[second]) {
      simplex[worst] = reflected, values[worst] = fr;
      continue;
    }
    const bool outside = fr < values[worst];
    const std::array<double, 3> contracted = along(outside ? -0.5 : 0.5);
    const double fc = f(contracted);
    if (fc < (outside ? fr : values[worst])) {
      simplex[worst] = contracted, values[worst] = fc;
      continue;
    }
    for (int i = 0; i <= kDim; ++i) {
      if (i == best) continue;
      for (int j = 0; j < kDim; ++j) {
        simplex[i][j] = simplex[best][j] + 0.5 * (simplex[i][j] - simplex[best][j]);
      }
      values[i] = f(simplex[i]);
    }
  }
  const int best =
      static_cast<int>(std::min_element(values.begin(), values.end()) - values.begin());
  Minimum m;
  m.theta = simplex[best];
  m.theta[0] = std::abs(m.theta[0]);
  m.theta[2] = std::abs(m.theta[2]);
  m.value = values[best];
  m.evaluations = evaluations;
  return m;
}

}  // namespace

namespace internal {

std::vector<std::string> MixedTerms(const std::vector<std::string>& predictors) {
  std::vector<std::string> terms = {"(intercept)", "log_session", "intake", "intake:log_session"};
  for (const std::string& name : predictors) {
    terms.push_back(name);
    terms.push_back(name + ":log_session");
  }
  return terms;
}

}  // namespace internal

absl::StatusOr<MixedFit> FitMixed(const SeriesSet& data, const SeriesPredictors& predictors) {
  constexpr std::size_t kMaxPredictors = 64;
  const std::size_t extra = predictors.names.size();
  if (extra > kMaxPredictors) return InvalidField("predictors", "at most 64 of them");
  if (predictors.values.size() != extra * static_cast<std::size_t>(std::max(data.series, 0))) {
    return InvalidField("predictors.values", "must hold one number per series and predictor");
  }
  for (const double v : predictors.values) {
    if (!std::isfinite(v)) return InvalidField("predictors.values", "must be finite numbers");
  }
  const auto width = static_cast<Eigen::Index>(2 * (2 + extra));
  if (data.series < 3) return InvalidField("series", "needs at least 3 series to fit");
  if (data.rows.size() < static_cast<std::size_t>(width) + 5) {
    return InvalidField("series", "needs at least 5 rows more than fixed effects to fit");
  }
  for (const SeriesRow& row : data.rows) {
    if (!std::isfinite(row.total) || !std::isfinite(row.intake) || row.session < 2 ||
        row.series < 0 || row.series >= data.series) {
      return InvalidField("series.rows", "need finite totals and intakes, sessions from 2 on");
    }
  }
  const Problem p = Summarise(data, predictors);
  if (Eigen::LLT<MatrixXd>(p.xtx).info() != Eigen::Success ||
      Eigen::FullPivLU<MatrixXd>(p.xtx).rank() < width) {
    return absl::FailedPreconditionError(
        "series: the fixed effects cannot be told apart (every intake, every session or a "
        "predictor alike)");
  }
  // Two starts (random effects present, and nearly absent); a third from the better one's
  // minimum, so that the simplex does not stop on a flat stretch.
  Minimum best = NelderMead(p, {1, 0, 1});
  const Minimum other = NelderMead(p, {0.1, 0, 0.1});
  const int evaluations = best.evaluations + other.evaluations;
  if (other.value < best.value) best = other;
  const Minimum polished = NelderMead(p, best.theta);
  const int total_evaluations = evaluations + polished.evaluations;
  if (polished.value <= best.value) best = polished;
  const Evaluation at = Evaluate(p, best.theta);
  if (!std::isfinite(at.criterion)) {
    return absl::FailedPreconditionError("series: the REML criterion has no finite minimum");
  }
  MixedFit fit;
  const double dof = p.n - static_cast<double>(width);
  fit.sigma2 = at.r2 / dof;
  fit.terms = internal::MixedTerms(predictors.names);
  fit.beta.assign(at.beta.begin(), at.beta.end());
  const MatrixXd rx_inv =
      at.rx.triangularView<Eigen::Upper>().solve(MatrixXd::Identity(width, width));
  const VectorXd variances = fit.sigma2 * rx_inv.rowwise().squaredNorm();
  for (Eigen::Index j = 0; j < width; ++j) fit.beta_se.push_back(std::sqrt(variances(j)));
  const double l00 = best.theta[0], l10 = best.theta[1], l11 = best.theta[2];
  fit.var_intercept = fit.sigma2 * l00 * l00;
  fit.cov_intercept_slope = fit.sigma2 * l00 * l10;
  fit.var_slope = fit.sigma2 * (l10 * l10 + l11 * l11);
  fit.reml_criterion = at.criterion;
  fit.evaluations = total_evaluations;
  fit.observations = static_cast<std::int64_t>(p.n);
  fit.groups = data.series;
  return fit;
}

}  // namespace varsam::outcomes
