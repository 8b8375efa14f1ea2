// L2-regularised logistic regression by Newton/IRLS with LDLT solves, lambda chosen by k-fold
// cross-validation with folds by pseudonym, and the fitted Model (varsam/models.h;
// docs/models.md, "The learner").

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr int kMaxIterations = 100;

double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// The penalised negative log-likelihood.
double Objective(const VectorXd& eta, const VectorXd& y, const VectorXd& beta,
                 const VectorXd& penalty) {
  double sum = 0;
  for (Index i = 0; i < eta.size(); ++i) sum += Softplus(eta(i)) - y(i) * eta(i);
  return sum + 0.5 * (penalty.array() * beta.array().square()).sum();
}

MatrixXd Hessian(const MatrixXd& x, const VectorXd& eta, const VectorXd& penalty) {
  VectorXd root(eta.size());
  for (Index i = 0; i < eta.size(); ++i) {
    const double p = Sigmoid(eta(i));
    root(i) = std::sqrt(p * (1 - p));
  }
  const MatrixXd xw = x.array().colwise() * root.array();
  MatrixXd h = xw.transpose() * xw;
  h.diagonal() += penalty;
  return h;
}

MatrixXd Rows(const MatrixXd& x, const std::vector<Index>& rows) { return x(rows, Eigen::all); }
VectorXd Rows(const VectorXd& v, const std::vector<Index>& rows) { return v(rows); }

}  // namespace

double Sigmoid(double z) {
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

double Logit(double p) {
  const double q = std::clamp(p, 1e-12, 1 - 1e-12);
  return std::log(q / (1 - q));
}

absl::StatusOr<LogisticFit> FitLogistic(const MatrixXd& x, const VectorXd& y, double lambda,
                                        bool want_covariance, const VectorXd& offset) {
  const Index n = x.rows();
  const Index p = x.cols();
  VectorXd penalty = VectorXd::Constant(p, lambda);
  penalty(0) = 0;  // the intercept is not penalised
  VectorXd beta = VectorXd::Zero(p);
  const double mean = y.mean();
  if (offset.size() == 0 && mean > 0 && mean < 1) beta(0) = std::log(mean / (1 - mean));
  const auto linear = [&](const VectorXd& b) -> VectorXd {
    VectorXd eta = x * b;
    if (offset.size() != 0) eta += offset;
    return eta;
  };
  VectorXd eta = linear(beta);
  double objective = Objective(eta, y, beta, penalty);
  // Converged when the gradient is negligible against the data's scale (n rows).
  const double tolerance = 1e-10 * static_cast<double>(std::max<Index>(n, 1));
  LogisticFit fit;
  bool converged = false;
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    VectorXd residual(n);
    for (Index i = 0; i < n; ++i) residual(i) = y(i) - Sigmoid(eta(i));
    const VectorXd gradient = x.transpose() * residual - penalty.cwiseProduct(beta);
    if (gradient.lpNorm<Eigen::Infinity>() <= tolerance) {
      converged = true;
      break;
    }
    const Eigen::LDLT<MatrixXd> ldlt(Hessian(x, eta, penalty));
    if (ldlt.info() != Eigen::Success || !ldlt.isPositive()) {
      return absl::FailedPreconditionError(
          "logistic fit: the Hessian is singular (a level without rows, or lambda 0)");
    }
    const VectorXd step = ldlt.solve(gradient);
    if (!step.allFinite()) {
      return absl::FailedPreconditionError("logistic fit: the Newton step is not finite");
    }
    // Step halving keeps every step a descent step (Newton may overshoot far from the optimum).
    double t = 1;
    VectorXd next = beta + step;
    VectorXd next_eta = linear(next);
    double next_objective = Objective(next_eta, y, next, penalty);
    for (int halving = 0; halving < 30 && !(next_objective <= objective); ++halving) {
      t /= 2;
      next = beta + t * step;
      next_eta = linear(next);
      next_objective = Objective(next_eta, y, next, penalty);
    }
    fit.iterations = iteration + 1;
    const bool stalled = (t * step).lpNorm<Eigen::Infinity>() < 1e-14;
    beta = std::move(next);
    eta = std::move(next_eta);
    objective = next_objective;
    if (stalled) {
      converged = true;  // at the limit of double precision
      break;
    }
  }
  if (!converged || !beta.allFinite()) {
    return absl::FailedPreconditionError(
        "logistic fit: Newton did not converge (separable data? use an l2 penalty above 0)");
  }
  fit.beta = beta;
  if (want_covariance) {
    const Eigen::LDLT<MatrixXd> ldlt(Hessian(x, eta, penalty));
    if (ldlt.info() != Eigen::Success || !ldlt.isPositive()) {
      return absl::FailedPreconditionError("logistic fit: the Hessian is singular");
    }
    fit.covariance = ldlt.solve(MatrixXd::Identity(p, p));
  }
  return fit;
}

absl::StatusOr<std::vector<double>> Model::Encode(const FeatureRow& row) const {
  if (coefficients_.empty()) return absl::FailedPreconditionError("model: not fitted");
  if (row.size() != features_.size()) {
    return InvalidField("row", "must have one value per feature, in the spec's order");
  }
  std::vector<double> x(coefficients_.size() - 1, 0.0);
  std::size_t column = 0;
  for (std::size_t f = 0; f < features_.size(); ++f) {
    const std::size_t level = LevelOf(features_[f], row[f]);
    if (level > 0) x[column + level - 1] = 1.0;
    column += features_[f].levels.size() - 1;
  }
  return x;
}

absl::StatusOr<double> Model::Predict(const FeatureRow& row) const {
  VARSAM_ASSIGN_OR_RETURN(const std::vector<double> x, Encode(row));
  double z = coefficients_[0].estimate;
  for (std::size_t c = 0; c < x.size(); ++c) z += coefficients_[c + 1].estimate * x[c];
  return Sigmoid(z);
}

absl::StatusOr<Explanation> Model::Explain(const FeatureRow& row) const {
  VARSAM_ASSIGN_OR_RETURN(const std::vector<double> x, Encode(row));
  Explanation out;
  out.base_log_odds = coefficients_[0].estimate;
  for (std::size_t c = 0; c < x.size(); ++c) {
    out.base_log_odds += coefficients_[c + 1].estimate * column_means_[c];
  }
  double z = out.base_log_odds;
  std::size_t column = 0;
  for (std::size_t f = 0; f < features_.size(); ++f) {
    const FeatureInfo& feature = features_[f];
    Contribution part;
    part.feature = feature.name;
    part.level = feature.levels[LevelOf(feature, row[f])];
    for (std::size_t l = 1; l < feature.levels.size(); ++l, ++column) {
      part.log_odds += coefficients_[column + 1].estimate * (x[column] - column_means_[column]);
    }
    z += part.log_odds;
    out.contributions.push_back(std::move(part));
  }
  out.probability = Sigmoid(z);
  return out;
}

absl::StatusOr<FitResult> Fit(const ModelSpec& spec, const TrainingSet& training) {
  const std::size_t n = training.rows;
  const std::size_t columns = training.column_names.size();
  if (n == 0 || training.design.size() != n * columns || training.labels.size() != n ||
      training.groups.size() != n || training.raw.size() != n) {
    return InvalidField("training", "the design, labels, groups and rows must agree in size");
  }
  if (spec.lambdas.empty() || spec.folds < 2) {
    return InvalidField("spec.learner", "needs a lambda and at least two folds");
  }
  for (const double l : spec.lambdas) {
    if (!std::isfinite(l) || l < 0) return InvalidField("spec.learner.l2", "must be 0 or more");
  }
  std::int32_t group_count = 0;
  for (const double label : training.labels) {
    if (label != 0 && label != 1) return InvalidField("training.labels", "must be 0 or 1");
  }
  for (const std::int32_t g : training.groups) {
    if (g < 0) return InvalidField("training.groups", "must be 0 or more");
    group_count = std::max(group_count, g + 1);
  }
  if (group_count < spec.folds) {
    return absl::FailedPreconditionError("fit: fewer pseudonyms than folds");
  }

  MatrixXd x(static_cast<Index>(n), static_cast<Index>(columns + 1));
  x.col(0).setOnes();
  x.rightCols(static_cast<Index>(columns)) = Eigen::Map<const MatrixXd>(
      training.design.data(), static_cast<Index>(n), static_cast<Index>(columns));
  const VectorXd y = Eigen::Map<const VectorXd>(training.labels.data(), static_cast<Index>(n));

  // Folds by pseudonym: the sorted pseudonyms shuffled by the seed (Fisher-Yates with
  // mt19937_64, whose output the standard fixes), then dealt round-robin.
  std::vector<std::int32_t> order(static_cast<std::size_t>(group_count));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int32_t>(i);
  std::mt19937_64 rng(spec.seed);
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    std::swap(order[i], order[static_cast<std::size_t>(rng() % (i + 1))]);
  }
  Folds folds;
  folds.count = spec.folds;
  folds.of_row.resize(n);
  std::vector<int> fold_of_group(order.size());
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    fold_of_group[static_cast<std::size_t>(order[pos])] = static_cast<int>(pos) % spec.folds;
  }
  std::vector<std::vector<Index>> train_rows(static_cast<std::size_t>(spec.folds));
  std::vector<std::vector<Index>> test_rows(static_cast<std::size_t>(spec.folds));
  for (std::size_t r = 0; r < n; ++r) {
    folds.of_row[r] = fold_of_group[static_cast<std::size_t>(training.groups[r])];
    const auto fold = static_cast<std::size_t>(folds.of_row[r]);
    for (std::size_t f = 0; f < train_rows.size(); ++f) {
      (f == fold ? test_rows : train_rows)[f].push_back(static_cast<Index>(r));
    }
  }
  std::vector<MatrixXd> fold_x;
  std::vector<VectorXd> fold_y;
  for (std::size_t f = 0; f < train_rows.size(); ++f) {
    fold_x.push_back(Rows(x, train_rows[f]));
    fold_y.push_back(Rows(y, train_rows[f]));
    const double positives = fold_y.back().sum();
    if (positives == 0 || positives == static_cast<double>(fold_y.back().size())) {
      return absl::FailedPreconditionError("fit: a training fold has only one label");
    }
  }

  FitResult result;
  double best_loss = std::numeric_limits<double>::infinity();
  double best_lambda = spec.lambdas.front();
  for (const double lambda : spec.lambdas) {
    std::vector<double> oof(n, 0.0);
    std::vector<VectorXd> betas;
    for (std::size_t f = 0; f < train_rows.size(); ++f) {
      VARSAM_ASSIGN_OR_RETURN(LogisticFit fit, FitLogistic(fold_x[f], fold_y[f], lambda, false));
      const VectorXd eta = Rows(x, test_rows[f]) * fit.beta;
      for (std::size_t i = 0; i < test_rows[f].size(); ++i) {
        oof[static_cast<std::size_t>(test_rows[f][i])] = Sigmoid(eta(static_cast<Index>(i)));
      }
      betas.push_back(std::move(fit.beta));
    }
    const double loss = LogLoss(oof, training.labels);
    result.cv.push_back({lambda, loss});
    if (loss < best_loss) {
      best_loss = loss;
      best_lambda = lambda;
      result.out_of_fold = std::move(oof);
      folds.betas = std::move(betas);
    }
  }
  if (result.out_of_fold.empty()) {
    return absl::FailedPreconditionError("fit: no lambda gave a finite out-of-fold loss");
  }

  VARSAM_ASSIGN_OR_RETURN(const LogisticFit fit, FitLogistic(x, y, best_lambda, true));
  std::vector<Coefficient> coefficients;
  coefficients.push_back({"(intercept)", fit.beta(0), std::sqrt(fit.covariance(0, 0))});
  for (std::size_t c = 0; c < columns; ++c) {
    const auto i = static_cast<Index>(c + 1);
    coefficients.push_back(
        {training.column_names[c], fit.beta(i), std::sqrt(fit.covariance(i, i))});
  }
  std::vector<double> means(columns);
  for (std::size_t c = 0; c < columns; ++c) means[c] = x.col(static_cast<Index>(c + 1)).mean();
  result.model = ModelAccess::Make(training.features, std::move(coefficients), std::move(means),
                                   best_lambda, fit.iterations);
  VARSAM_ASSIGN_OR_RETURN(result.evaluation, Evaluate(result.out_of_fold, training.labels));

  // Recalibration, chosen on held-out folds (docs/models.md, "Recalibration").
  result.calibration = ChooseCalibration(spec.calibration, result.out_of_fold, training.labels,
                                         folds, result.calibrated_out_of_fold);
  VARSAM_ASSIGN_OR_RETURN(result.calibrated_evaluation,
                          Evaluate(result.calibrated_out_of_fold, training.labels));

  // The points model of the final fit, and out of fold: each fold's model read as points, its
  // intercept table fitted on the fold's training rows, applied to its held-out rows.
  VARSAM_ASSIGN_OR_RETURN(result.points,
                          DerivePoints(training.features, fit.beta, spec.max_points, x, y));
  std::vector<double> points_oof(n, 0.0);
  for (std::size_t f = 0; f < train_rows.size(); ++f) {
    VARSAM_ASSIGN_OR_RETURN(
        const PointsModel fold_points,
        DerivePoints(training.features, folds.betas[f], spec.max_points, fold_x[f], fold_y[f]));
    const VectorXd totals = PointsTotals(fold_points, training.features, Rows(x, test_rows[f]));
    for (std::size_t i = 0; i < test_rows[f].size(); ++i) {
      points_oof[static_cast<std::size_t>(test_rows[f][i])] =
          PointsProbability(fold_points, totals(static_cast<Index>(i)));
    }
  }
  VARSAM_ASSIGN_OR_RETURN(result.points_evaluation, Evaluate(points_oof, training.labels));
  return result;
}

}  // namespace varsam::models
