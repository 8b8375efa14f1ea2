// Evaluation of predicted probabilities (varsam/models.h; docs/models.md, "Evaluation"): AUC
// with the DeLong et al. (1988) interval, Brier score, the reliability table and its expected
// calibration error, and logistic recalibration (calibration-in-the-large and slope).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {
namespace {

constexpr int kBins = 10;

// The sample variance (n - 1 in the denominator); 0 for fewer than two values.
double Variance(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double mean = 0;
  for (const double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double sum = 0;
  for (const double x : v) sum += (x - mean) * (x - mean);
  return sum / static_cast<double>(v.size() - 1);
}

}  // namespace

std::size_t ReliabilityBinOf(double p) {
  return static_cast<std::size_t>(
      std::clamp(static_cast<int>(std::floor(p * kBins)), 0, kBins - 1));
}

double CalibrationTable(std::span<const double> predicted, std::span<const double> labels,
                        std::vector<ReliabilityBin>& reliability, double& ece) {
  reliability.assign(kBins, ReliabilityBin{});
  for (int b = 0; b < kBins; ++b) {
    reliability[static_cast<std::size_t>(b)].lower = b / static_cast<double>(kBins);
    reliability[static_cast<std::size_t>(b)].upper = (b + 1) / static_cast<double>(kBins);
  }
  double brier = 0;
  std::vector<double> sum_predicted(kBins, 0.0);
  std::vector<double> sum_observed(kBins, 0.0);
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    brier += (predicted[i] - labels[i]) * (predicted[i] - labels[i]);
    const std::size_t b = ReliabilityBinOf(predicted[i]);
    ++reliability[b].count;
    sum_predicted[b] += predicted[i];
    sum_observed[b] += labels[i];
  }
  ece = 0;
  for (std::size_t b = 0; b < reliability.size(); ++b) {
    ReliabilityBin& bin = reliability[b];
    if (bin.count == 0) continue;
    bin.mean_predicted = sum_predicted[b] / static_cast<double>(bin.count);
    bin.observed_rate = sum_observed[b] / static_cast<double>(bin.count);
    ece += static_cast<double>(bin.count) / static_cast<double>(predicted.size()) *
           std::abs(bin.mean_predicted - bin.observed_rate);
  }
  return predicted.empty() ? 0 : brier / static_cast<double>(predicted.size());
}

double MannWhitneyAuc(std::vector<std::pair<double, double>>& scored) {
  std::sort(scored.begin(), scored.end());
  double positives = 0;
  double rank_sum = 0;  // the ranks of the positives, ties given their mean rank
  for (std::size_t i = 0; i < scored.size();) {
    std::size_t j = i;
    double tied_positives = 0;
    while (j < scored.size() && scored[j].first == scored[i].first)
      tied_positives += scored[j++].second;
    rank_sum += tied_positives * (static_cast<double>(i + 1 + j) / 2);
    positives += tied_positives;
    i = j;
  }
  const double negatives = static_cast<double>(scored.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

absl::StatusOr<Evaluation> Evaluate(std::span<const double> predicted,
                                    std::span<const double> labels) {
  if (predicted.size() != labels.size() || predicted.empty()) {
    return InvalidField("predicted", "must have one prediction per label, at least one");
  }
  std::vector<double> positive_scores;
  std::vector<double> negative_scores;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    if (!(predicted[i] >= 0 && predicted[i] <= 1)) {
      return InvalidField(JsonIndexPath("predicted", i), "must be a probability from 0 to 1");
    }
    if (labels[i] == 1) {
      positive_scores.push_back(predicted[i]);
    } else if (labels[i] == 0) {
      negative_scores.push_back(predicted[i]);
    } else {
      return InvalidField(JsonIndexPath("labels", i), "must be 0 or 1");
    }
  }
  if (positive_scores.empty() || negative_scores.empty()) {
    return InvalidField("labels", "must hold both 0 and 1");
  }
  Evaluation out;
  out.count = static_cast<std::int64_t>(predicted.size());
  out.positives = static_cast<std::int64_t>(positive_scores.size());

  // AUC as the Mann-Whitney statistic, with DeLong's structural components: for a positive, the
  // share of negatives it outranks; for a negative, the share of positives that outrank it.
  std::sort(positive_scores.begin(), positive_scores.end());
  std::sort(negative_scores.begin(), negative_scores.end());
  const auto m = static_cast<double>(positive_scores.size());
  const auto k = static_cast<double>(negative_scores.size());
  std::vector<double> v10;
  v10.reserve(positive_scores.size());
  for (const double s : positive_scores) {
    const auto below = std::lower_bound(negative_scores.begin(), negative_scores.end(), s);
    const auto upto = std::upper_bound(below, negative_scores.end(), s);
    v10.push_back((static_cast<double>(below - negative_scores.begin()) +
                   0.5 * static_cast<double>(upto - below)) /
                  k);
  }
  std::vector<double> v01;
  v01.reserve(negative_scores.size());
  for (const double s : negative_scores) {
    const auto below = std::lower_bound(positive_scores.begin(), positive_scores.end(), s);
    const auto upto = std::upper_bound(below, positive_scores.end(), s);
    v01.push_back((static_cast<double>(positive_scores.end() - upto) +
                   0.5 * static_cast<double>(upto - below)) /
                  m);
  }
  double auc = 0;
  for (const double v : v10) auc += v;
  out.auc = auc / m;
  out.auc_se = std::sqrt(Variance(v10) / m + Variance(v01) / k);
  out.auc_low = std::max(0.0, out.auc - 1.959963984540054 * out.auc_se);
  out.auc_high = std::min(1.0, out.auc + 1.959963984540054 * out.auc_se);

  out.brier = CalibrationTable(predicted, labels, out.reliability, out.ece);

  // Logistic recalibration of the logit: logit P(y) = a + b logit(p) gives the slope; with b
  // fixed at 1 (the logit as an offset), a is calibration-in-the-large.
  const auto n = static_cast<Eigen::Index>(predicted.size());
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x(i, 0) = 1;
    x(i, 1) = Logit(predicted[static_cast<std::size_t>(i)]);
    y(i) = labels[static_cast<std::size_t>(i)];
  }
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const auto slope = FitLogistic(x, y, 0, false);
  out.calibration_slope = slope.ok() ? slope->beta(1) : kNaN;
  const auto large = FitLogistic(x.leftCols(1), y, 0, false, x.col(1));
  out.calibration_in_the_large = large.ok() ? large->beta(0) : kNaN;
  return out;
}

}  // namespace varsam::models
