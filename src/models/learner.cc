// L2-regularised logistic regression by Newton/IRLS with LDLT solves, lambda chosen by k-fold
// cross-validation with folds by pseudonym, and the fitted Model (varsam/models.h;
// docs/models.md, "The learner"). Fits run on the design's distinct rows, weighted by how many
// rows and positives each stands for (internal.h, Patterns).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <span>
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

std::uint64_t Bits(double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

// MurmurHash3's 64-bit finaliser: every input bit reaches the low bits the table indexes by.
std::uint64_t Mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// A row's hash: its entries (column and value bits) and its offset.
std::uint64_t HashRow(const std::int32_t* column, const double* value, std::size_t size,
                      double offset) {
  std::uint64_t h = Bits(offset);
  for (std::size_t e = 0; e < size; ++e) {
    h = (h ^ (Bits(value[e]) + static_cast<std::uint64_t>(column[e]) * 0x9e3779b97f4a7c15ULL)) *
        0xff51afd7ed558ccdULL;
  }
  return Mix(h);
}

// Finds or adds distinct rows: an open-addressing table (linear probing, at most half full) whose
// slots hold a pattern's index and the high half of its hash, so that a probe reads the pattern
// only on a likely match; then the entries are compared. Patterns are numbered in the order of
// their first row, so the result does not depend on the hash.
class PatternTable {
 public:
  explicit PatternTable(Patterns& out) : out_(out), slots_(1024, kEmpty) {}

  // Brings what FindOrAdd will read into the cache ahead of it, in three steps over a block of
  // rows, each after the one before has been issued for every row of the block: the slot of
  // `hash`, then the start of the pattern in it, then the pattern's entries.
  void Prefetch(std::uint64_t hash, int step) const {
    const std::uint64_t* slot = &slots_[hash & (slots_.size() - 1)];
    if (step == 0) {
      __builtin_prefetch(slot);
      return;
    }
    if (*slot == kEmpty || *slot >> 32 != hash >> 32) return;
    const std::size_t k = *slot & 0xffffffffU;
    if (step == 1) {
      __builtin_prefetch(&out_.start[k]);
    } else {
      __builtin_prefetch(out_.column.data() + out_.start[k]);  // may be the end: a row of zeros
      __builtin_prefetch(out_.value.data() + out_.start[k]);
      __builtin_prefetch(out_.offset.data() + k);
    }
  }

  std::int32_t FindOrAdd(const std::int32_t* column, const double* value, std::size_t size,
                         double offset, std::uint64_t hash) {
    const std::uint64_t tag = hash >> 32;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = hash & mask; slots_[slot] != kEmpty; slot = (slot + 1) & mask) {
      if (slots_[slot] >> 32 != tag) continue;
      const auto k = static_cast<std::int32_t>(slots_[slot] & 0xffffffffU);
      if (Same(k, column, value, size, offset)) return k;
    }
    const auto k = static_cast<std::int32_t>(hashes_.size());
    hashes_.push_back(hash);
    out_.column.insert(out_.column.end(), column, column + size);
    out_.value.insert(out_.value.end(), value, value + size);
    out_.start.push_back(out_.column.size());
    out_.offset.push_back(offset);
    if (2 * hashes_.size() > slots_.size()) {
      slots_.assign(2 * slots_.size(), kEmpty);
      mask = slots_.size() - 1;
      for (std::size_t i = 0; i < hashes_.size(); ++i) Place(i, mask);
    } else {
      Place(static_cast<std::size_t>(k), mask);
    }
    return k;
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  void Place(std::size_t k, std::size_t mask) {
    std::size_t slot = hashes_[k] & mask;
    while (slots_[slot] != kEmpty) slot = (slot + 1) & mask;
    slots_[slot] = (hashes_[k] >> 32 << 32) | k;
  }

  bool Same(std::int32_t k, const std::int32_t* column, const double* value, std::size_t size,
            double offset) const {
    const auto i = static_cast<std::size_t>(k);
    const std::size_t first = out_.start[i];
    if (out_.start[i + 1] - first != size || Bits(out_.offset[i]) != Bits(offset)) return false;
    for (std::size_t e = 0; e < size; ++e) {
      if (out_.column[first + e] != column[e] || Bits(out_.value[first + e]) != Bits(value[e])) {
        return false;
      }
    }
    return true;
  }

  Patterns& out_;
  std::vector<std::uint64_t> slots_;
  std::vector<std::uint64_t> hashes_;
};

// The linear predictor of every pattern.
void Linear(const Patterns& patterns, const VectorXd& beta, std::vector<double>& eta) {
  eta.resize(patterns.size());
  for (std::size_t k = 0; k < patterns.size(); ++k) {
    double z = patterns.offset.empty() ? 0.0 : patterns.offset[k];
    for (std::size_t e = patterns.start[k]; e < patterns.start[k + 1]; ++e) {
      z += beta(patterns.column[e]) * patterns.value[e];
    }
    eta[k] = z;
  }
}

// The penalised negative log-likelihood: sum over patterns of count * softplus(eta) -
// positives * eta, which is the sum over their rows.
double Objective(const std::vector<double>& eta, std::span<const double> count,
                 std::span<const double> positives, const VectorXd& beta, const VectorXd& penalty) {
  double sum = 0;
  for (std::size_t k = 0; k < eta.size(); ++k) {
    if (count[k] == 0) continue;
    sum += count[k] * Softplus(eta[k]) - positives[k] * eta[k];
  }
  return sum + 0.5 * (penalty.array() * beta.array().square()).sum();
}

// The gradient X'(y - p) - penalty * beta and, lower triangle only, the Hessian X'WX + penalty,
// both summed over patterns: a pattern of m entries costs m(m + 1)/2 multiply-adds.
void GradientAndHessian(const Patterns& patterns, const std::vector<double>& eta,
                        std::span<const double> count, std::span<const double> positives,
                        const VectorXd& beta, const VectorXd& penalty, VectorXd& gradient,
                        MatrixXd& hessian) {
  const Index p = patterns.columns;
  gradient = -penalty.cwiseProduct(beta);
  hessian.setZero(p, p);
  hessian.diagonal() = penalty;
  double* h = hessian.data();
  for (std::size_t k = 0; k < eta.size(); ++k) {
    if (count[k] == 0) continue;
    const double prob = Sigmoid(eta[k]);
    const double residual = positives[k] - count[k] * prob;
    const double weight = count[k] * (prob * (1 - prob));
    const std::size_t first = patterns.start[k];
    const std::size_t last = patterns.start[k + 1];
    for (std::size_t a = first; a < last; ++a) {
      const Index ca = patterns.column[a];
      const double wa = weight * patterns.value[a];
      gradient(ca) += residual * patterns.value[a];
      double* column = h + ca * p;  // column ca; entries are in ascending column order
      for (std::size_t b = a; b < last; ++b) column[patterns.column[b]] += wa * patterns.value[b];
    }
  }
}

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

Patterns CollapseRows(std::span<const double> design, std::size_t rows, std::size_t columns,
                      bool intercept, std::span<const double> offset) {
  Patterns out;
  const std::size_t shift = intercept ? 1 : 0;
  out.columns = static_cast<Index>(columns + shift);
  out.start.push_back(0);
  out.of_row.resize(rows);
  PatternTable table(out);
  // Rows are gathered a block at a time from the column-major design: each column's part of
  // the block is read in order, and every value is written to its row's next slot, which only
  // a value other than zero keeps (no branch on the data).
  constexpr std::size_t kBlock = 256;
  const std::size_t width = columns + shift + 1;
  std::vector<std::int32_t> block_column(kBlock * width);
  std::vector<double> block_value(kBlock * width);
  std::vector<std::size_t> block_size(kBlock);
  std::vector<std::uint64_t> block_hash(kBlock);
  for (std::size_t first = 0; first < rows; first += kBlock) {
    const std::size_t m = std::min(kBlock, rows - first);
    for (std::size_t i = 0; i < m; ++i) {
      block_column[i * width] = 0;
      block_value[i * width] = 1;
      block_size[i] = shift;
    }
    for (std::size_t c = 0; c < columns; ++c) {
      const double* values = design.data() + c * rows + first;
      const auto column = static_cast<std::int32_t>(c + shift);
      for (std::size_t i = 0; i < m; ++i) {
        const std::size_t slot = i * width + block_size[i];
        block_column[slot] = column;
        block_value[slot] = values[i];
        block_size[i] += values[i] != 0 ? 1 : 0;
      }
    }
    // Hashes first, and what the look-ups read fetched for all of them, so that the look-ups
    // below do not wait on memory one row at a time.
    for (std::size_t i = 0; i < m; ++i) {
      block_hash[i] = HashRow(&block_column[i * width], &block_value[i * width], block_size[i],
                              offset.empty() ? 0.0 : offset[first + i]);
      table.Prefetch(block_hash[i], 0);
    }
    for (const int step : {1, 2}) {
      for (std::size_t i = 0; i < m; ++i) table.Prefetch(block_hash[i], step);
    }
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t r = first + i;
      out.of_row[r] =
          table.FindOrAdd(&block_column[i * width], &block_value[i * width], block_size[i],
                          offset.empty() ? 0.0 : offset[r], block_hash[i]);
    }
  }
  if (offset.empty()) out.offset.clear();
  return out;
}

absl::StatusOr<LogisticFit> FitLogistic(const Patterns& patterns, std::span<const double> count,
                                        std::span<const double> positives, double lambda,
                                        bool want_covariance) {
  const Index p = patterns.columns;
  VectorXd penalty = VectorXd::Constant(p, lambda);
  penalty(0) = 0;  // the intercept is not penalised
  VectorXd beta = VectorXd::Zero(p);
  double n = 0;
  double positive = 0;
  for (std::size_t k = 0; k < patterns.size(); ++k) {
    n += count[k];
    positive += positives[k];
  }
  const double mean = positive / n;
  if (patterns.offset.empty() && mean > 0 && mean < 1) beta(0) = std::log(mean / (1 - mean));
  std::vector<double> eta;
  Linear(patterns, beta, eta);
  double objective = Objective(eta, count, positives, beta, penalty);
  // Converged when the gradient is negligible against the data's scale (n rows).
  const double tolerance = 1e-10 * std::max(n, 1.0);
  LogisticFit fit;
  bool converged = false;
  VectorXd gradient;
  MatrixXd hessian;
  std::vector<double> next_eta;
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    GradientAndHessian(patterns, eta, count, positives, beta, penalty, gradient, hessian);
    if (gradient.lpNorm<Eigen::Infinity>() <= tolerance) {
      converged = true;
      break;
    }
    const Eigen::LDLT<MatrixXd> ldlt(hessian);
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
    Linear(patterns, next, next_eta);
    double next_objective = Objective(next_eta, count, positives, next, penalty);
    for (int halving = 0; halving < 30 && !(next_objective <= objective); ++halving) {
      t /= 2;
      next = beta + t * step;
      Linear(patterns, next, next_eta);
      next_objective = Objective(next_eta, count, positives, next, penalty);
    }
    fit.iterations = iteration + 1;
    const bool stalled = (t * step).lpNorm<Eigen::Infinity>() < 1e-14;
    beta = std::move(next);
    std::swap(eta, next_eta);
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
    GradientAndHessian(patterns, eta, count, positives, beta, penalty, gradient, hessian);
    const Eigen::LDLT<MatrixXd> ldlt(hessian);
    if (ldlt.info() != Eigen::Success || !ldlt.isPositive()) {
      return absl::FailedPreconditionError("logistic fit: the Hessian is singular");
    }
    fit.covariance = ldlt.solve(MatrixXd::Identity(p, p));
  }
  return fit;
}

absl::StatusOr<LogisticFit> FitLogistic(const MatrixXd& x, const VectorXd& y, double lambda,
                                        bool want_covariance, const VectorXd& offset) {
  const Patterns patterns =
      CollapseRows({x.data(), static_cast<std::size_t>(x.size())},
                   static_cast<std::size_t>(x.rows()), static_cast<std::size_t>(x.cols()), false,
                   {offset.data(), static_cast<std::size_t>(offset.size())});
  std::vector<double> count(patterns.size(), 0.0);
  std::vector<double> positives(patterns.size(), 0.0);
  for (Index i = 0; i < x.rows(); ++i) {
    const auto k = static_cast<std::size_t>(patterns.of_row[static_cast<std::size_t>(i)]);
    count[k] += 1;
    positives[k] += y(i);
  }
  return FitLogistic(patterns, count, positives, lambda, want_covariance);
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

  // The rows as distinct rows with the intercept's column first: every fit below is on them.
  const Patterns patterns = CollapseRows(training.design, n, columns, true, {});
  const std::size_t pattern_count = patterns.size();

  // Folds by pseudonym: the sorted pseudonyms shuffled by the seed (Fisher-Yates with
  // mt19937_64, whose output the standard fixes), then dealt round-robin.
  std::vector<std::int32_t> order(static_cast<std::size_t>(group_count));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int32_t>(i);
  std::mt19937_64 rng(spec.seed);
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    std::swap(order[i], order[static_cast<std::size_t>(rng() % (i + 1))]);
  }
  std::vector<int> fold_of_group(order.size());
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    fold_of_group[static_cast<std::size_t>(order[pos])] = static_cast<int>(pos) % spec.folds;
  }
  const auto folds = static_cast<std::size_t>(spec.folds);
  std::vector<int> fold_of_row(n);
  for (std::size_t r = 0; r < n; ++r) {
    fold_of_row[r] = fold_of_group[static_cast<std::size_t>(training.groups[r])];
  }
  // Per fold, how many of its rows each pattern has and how many of them are positive; a
  // fold's training rows are all the others, so its weights are the totals minus its own.
  std::vector<std::vector<double>> held_count(folds, std::vector<double>(pattern_count, 0.0));
  std::vector<std::vector<double>> held_positives = held_count;
  std::vector<double> all_count(pattern_count, 0.0);
  std::vector<double> all_positives(pattern_count, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    const auto k = static_cast<std::size_t>(patterns.of_row[r]);
    const auto f = static_cast<std::size_t>(fold_of_row[r]);
    held_count[f][k] += 1;
    held_positives[f][k] += training.labels[r];
    all_count[k] += 1;
    all_positives[k] += training.labels[r];
  }
  std::vector<std::vector<double>> train_count(folds);
  std::vector<std::vector<double>> train_positives(folds);
  for (std::size_t f = 0; f < folds; ++f) {
    train_count[f].resize(pattern_count);
    train_positives[f].resize(pattern_count);
    double rows = 0;
    double positives = 0;
    for (std::size_t k = 0; k < pattern_count; ++k) {
      train_count[f][k] = all_count[k] - held_count[f][k];
      train_positives[f][k] = all_positives[k] - held_positives[f][k];
      rows += train_count[f][k];
      positives += train_positives[f][k];
    }
    if (positives == 0 || positives == rows) {
      return absl::FailedPreconditionError("fit: a training fold has only one label");
    }
  }

  FitResult result;
  double best_loss = std::numeric_limits<double>::infinity();
  double best_lambda = spec.lambdas.front();
  // Per fold, the model of the chosen lambda: with fold_of_row, what per-fold steps after the
  // final fit need (each row predicted by the model that did not see it).
  std::vector<VectorXd> best_fold_betas;
  std::vector<double> eta;
  std::vector<std::vector<double>> held_probability(folds);
  for (const double lambda : spec.lambdas) {
    std::vector<VectorXd> fold_betas(folds);
    for (std::size_t f = 0; f < folds; ++f) {
      VARSAM_ASSIGN_OR_RETURN(
          const LogisticFit fit,
          FitLogistic(patterns, train_count[f], train_positives[f], lambda, false));
      fold_betas[f] = fit.beta;
      Linear(patterns, fit.beta, eta);
      held_probability[f].assign(pattern_count, 0.0);
      for (std::size_t k = 0; k < pattern_count; ++k) {
        if (held_count[f][k] > 0) held_probability[f][k] = Sigmoid(eta[k]);
      }
    }
    std::vector<double> oof(n, 0.0);
    for (std::size_t r = 0; r < n; ++r) {
      oof[r] = held_probability[static_cast<std::size_t>(fold_of_row[r])]
                               [static_cast<std::size_t>(patterns.of_row[r])];
    }
    const double loss = LogLoss(oof, training.labels);
    result.cv.push_back({lambda, loss});
    if (loss < best_loss) {
      best_loss = loss;
      best_lambda = lambda;
      result.out_of_fold = std::move(oof);
      best_fold_betas = std::move(fold_betas);
    }
  }
  if (result.out_of_fold.empty()) {
    return absl::FailedPreconditionError("fit: no lambda gave a finite out-of-fold loss");
  }

  VARSAM_ASSIGN_OR_RETURN(const LogisticFit fit,
                          FitLogistic(patterns, all_count, all_positives, best_lambda, true));
  std::vector<Coefficient> coefficients;
  coefficients.push_back({"(intercept)", fit.beta(0), std::sqrt(fit.covariance(0, 0))});
  for (std::size_t c = 0; c < columns; ++c) {
    const auto i = static_cast<Index>(c + 1);
    coefficients.push_back(
        {training.column_names[c], fit.beta(i), std::sqrt(fit.covariance(i, i))});
  }
  // Column means from the patterns: each entry's value times its pattern's count.
  std::vector<double> means(columns, 0.0);
  for (std::size_t k = 0; k < pattern_count; ++k) {
    for (std::size_t e = patterns.start[k]; e < patterns.start[k + 1]; ++e) {
      const auto c = static_cast<std::size_t>(patterns.column[e]);
      if (c > 0) means[c - 1] += all_count[k] * patterns.value[e];
    }
  }
  for (double& mean : means) mean /= static_cast<double>(n);
  result.model = ModelAccess::Make(training.features, std::move(coefficients), std::move(means),
                                   best_lambda, fit.iterations);
  VARSAM_ASSIGN_OR_RETURN(result.evaluation, Evaluate(result.out_of_fold, training.labels));

  // Recalibration, chosen on held-out folds (docs/models.md, "Recalibration").
  result.calibration = ChooseCalibration(spec.calibration, result.out_of_fold, training.labels,
                                         fold_of_row, spec.folds, result.calibrated_out_of_fold);
  if (result.calibration.kind == CalibrationChoice::kNone) {
    result.calibrated_evaluation = result.evaluation;  // the same scores
  } else {
    VARSAM_ASSIGN_OR_RETURN(result.calibrated_evaluation,
                            Evaluate(result.calibrated_out_of_fold, training.labels));
  }

  // The points model of the final fit, and out of fold: each fold's model read as points, its
  // intercept table fitted on the fold's training rows, applied to its held-out rows.
  result.points = DerivePoints(training.features, fit.beta, spec.max_points);
  VARSAM_RETURN_IF_ERROR(FitPointsTable(result.points,
                                        PatternTotals(result.points, training.features, patterns),
                                        all_count, all_positives));
  std::vector<double> points_oof(n, 0.0);
  for (std::size_t f = 0; f < folds; ++f) {
    PointsModel fold_points = DerivePoints(training.features, best_fold_betas[f], spec.max_points);
    const std::vector<double> totals = PatternTotals(fold_points, training.features, patterns);
    VARSAM_RETURN_IF_ERROR(FitPointsTable(fold_points, totals, train_count[f], train_positives[f]));
    for (std::size_t r = 0; r < n; ++r) {
      if (static_cast<std::size_t>(fold_of_row[r]) != f) continue;
      points_oof[r] =
          PointsProbability(fold_points, totals[static_cast<std::size_t>(patterns.of_row[r])]);
    }
  }
  VARSAM_ASSIGN_OR_RETURN(result.points_evaluation, Evaluate(points_oof, training.labels));
  return result;
}

}  // namespace varsam::models
