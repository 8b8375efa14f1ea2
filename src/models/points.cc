// The points model (varsam/models.h; docs/models.md, "The points model"): a logistic model read
// as a scorecard. Each feature's level effects are shifted so that its lowest level is 0 and
// rounded at one scale to whole points; the intercept table gives the probability of each total
// from a logistic fit of the outcome on the total (so that the rounding is calibrated away).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {

PointsModel DerivePoints(const std::vector<FeatureInfo>& features, const Eigen::VectorXd& beta,
                         int max_points) {
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
  return out;
}

std::vector<double> PatternTotals(const PointsModel& points,
                                  const std::vector<FeatureInfo>& features,
                                  const Patterns& patterns) {
  // A row's total is the sum of its reference levels' points plus, per indicator column, the
  // difference its level makes.
  std::vector<double> delta(static_cast<std::size_t>(patterns.columns), 0.0);
  double base = 0;
  std::size_t column = 1;
  for (std::size_t f = 0; f < features.size(); ++f) {
    const std::vector<PointsLevel>& levels = points.features[f].levels;
    base += levels[0].points;
    for (std::size_t l = 1; l < levels.size(); ++l) {
      delta[column++] = levels[l].points - levels[0].points;
    }
  }
  std::vector<double> totals(patterns.size(), base);
  for (std::size_t k = 0; k < patterns.size(); ++k) {
    for (std::size_t e = patterns.start[k]; e < patterns.start[k + 1]; ++e) {
      totals[k] += patterns.value[e] * delta[static_cast<std::size_t>(patterns.column[e])];
    }
  }
  return totals;
}

absl::Status FitPointsTable(PointsModel& points, std::span<const double> totals,
                            std::span<const double> count, std::span<const double> positives) {
  // The rows by total: few distinct totals, each a pattern of the design [1, total].
  std::map<double, std::pair<double, double>> by_total;  // total -> rows, positives
  double rows = 0;
  double all_positives = 0;
  double sum_totals = 0;
  for (std::size_t k = 0; k < totals.size(); ++k) {
    if (count[k] == 0) continue;
    auto& [n, p] = by_total[totals[k]];
    n += count[k];
    p += positives[k];
    rows += count[k];
    all_positives += positives[k];
    sum_totals += count[k] * totals[k];
  }
  if (rows == 0) return absl::FailedPreconditionError("points: no rows for the table");
  std::vector<double> design;
  std::vector<double> n;
  std::vector<double> p;
  for (const auto& [total, counts] : by_total) {
    design.push_back(total);
    n.push_back(counts.first);
    p.push_back(counts.second);
  }
  const Patterns table = CollapseRows(design, design.size(), 1, true, {});
  double a = 0;
  double b = 0;
  const auto fit = FitLogistic(table, n, p, 0, false);
  if (fit.ok()) {
    a = fit->beta(0);
    b = fit->beta(1);
  } else {
    // Separable on the total (or one total only): the unrounded scale, centred on the rate.
    b = points.log_odds_per_point;
    a = Logit(std::clamp(all_positives / rows, 1e-6, 1 - 1e-6)) - b * sum_totals / rows;
  }
  int highest = 0;
  for (const PointsFeature& pf : points.features) {
    int top = 0;
    for (const PointsLevel& level : pf.levels) top = std::max(top, level.points);
    highest += top;
  }
  points.table.clear();
  for (int total = 0; total <= highest; ++total) {
    points.table.push_back({total, Sigmoid(a + b * total), ""});
  }
  return absl::OkStatus();
}

double PointsProbability(const PointsModel& points, double total) {
  if (points.table.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double lowest = points.table.front().total;
  const auto at = static_cast<std::size_t>(
      std::clamp(total - lowest, 0.0, static_cast<double>(points.table.size() - 1)));
  return points.table[at].probability;
}

}  // namespace varsam::models
