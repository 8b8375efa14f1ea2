// The points model (varsam/models.h; docs/models.md, "The points model"): a logistic model read
// as a scorecard. Each feature's level effects are shifted so that its lowest level is 0 and
// rounded at one scale to whole points; the intercept table gives the probability of each total
// from a logistic fit of the outcome on the total (so that the rounding is calibrated away).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {

absl::StatusOr<PointsModel> DerivePoints(const std::vector<FeatureInfo>& features,
                                         const Eigen::VectorXd& beta, int max_points,
                                         const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
  // Per feature, the log-odds of each level (the reference's is 0), and the widest range.
  std::vector<std::vector<double>> effects;
  double widest = 0;
  Eigen::Index column = 1;
  for (const FeatureInfo& feature : features) {
    std::vector<double> e(feature.levels.size(), 0.0);
    for (std::size_t l = 1; l < e.size(); ++l) e[l] = beta(column++);
    widest = std::max(
        widest, *std::max_element(e.begin(), e.end()) - *std::min_element(e.begin(), e.end()));
    effects.push_back(std::move(e));
  }
  PointsModel out;
  out.log_odds_per_point = widest > 0 ? widest / max_points : 1.0;
  for (std::size_t f = 0; f < features.size(); ++f) {
    PointsFeature pf;
    pf.name = features[f].name;
    const double lowest = *std::min_element(effects[f].begin(), effects[f].end());
    for (std::size_t l = 0; l < effects[f].size(); ++l) {
      pf.levels.push_back(
          {features[f].levels[l],
           static_cast<int>(std::lround((effects[f][l] - lowest) / out.log_odds_per_point))});
    }
    out.features.push_back(std::move(pf));
  }
  // The intercept table: logit P(y | total) = a + b * total, fitted on the rows.
  const Eigen::VectorXd totals = PointsTotals(out, features, x);
  Eigen::MatrixXd design(x.rows(), 2);
  design.col(0).setOnes();
  design.col(1) = totals;
  double a = 0;
  double b = 0;
  const auto fit = FitLogistic(design, y, 0, false);
  if (fit.ok()) {
    a = fit->beta(0);
    b = fit->beta(1);
  } else {
    // Separable on the total (or constant): the unrounded scale, centred on the mean outcome.
    b = out.log_odds_per_point;
    const double rate = std::clamp(y.mean(), 1e-6, 1 - 1e-6);
    a = Logit(rate) - b * (totals.size() > 0 ? totals.mean() : 0.0);
  }
  int highest = 0;
  for (const PointsFeature& pf : out.features) {
    int top = 0;
    for (const PointsLevel& level : pf.levels) top = std::max(top, level.points);
    highest += top;
  }
  for (int total = 0; total <= highest; ++total) {
    out.table.push_back({total, Sigmoid(a + b * total), ""});
  }
  return out;
}

Eigen::VectorXd PointsTotals(const PointsModel& points, const std::vector<FeatureInfo>& features,
                             const Eigen::MatrixXd& x) {
  // A row's total is the sum of its reference levels' points plus, per indicator column, the
  // difference its level makes.
  Eigen::VectorXd delta(x.cols());
  delta(0) = 0;
  double base = 0;
  Eigen::Index column = 1;
  for (std::size_t f = 0; f < features.size(); ++f) {
    const std::vector<PointsLevel>& levels = points.features[f].levels;
    base += levels[0].points;
    for (std::size_t l = 1; l < levels.size(); ++l) {
      delta(column++) = levels[l].points - levels[0].points;
    }
  }
  Eigen::VectorXd totals = x * delta;
  totals.array() += base;
  return totals;
}

double PointsProbability(const PointsModel& points, double total) {
  if (points.table.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double lowest = points.table.front().total;
  const auto at = static_cast<std::size_t>(
      std::clamp(total - lowest, 0.0, static_cast<double>(points.table.size() - 1)));
  return points.table[at].probability;
}

}  // namespace varsam::models
