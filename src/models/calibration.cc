// Recalibration of out-of-fold scores (varsam/models.h; docs/models.md, "Recalibration"):
// Platt's logistic map of the logit (Platt 1999) or an isotonic step function fitted by
// pool-adjacent-violators (Zadrozny & Elkan 2002, "Transforming classifier scores into accurate
// multiclass probability estimates"), chosen on held-out folds.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "internal.h"
#include "varsam/models.h"

namespace varsam::models {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Calibration FitPlatt(std::span<const double> predicted, std::span<const double> labels) {
  const auto n = static_cast<Eigen::Index>(predicted.size());
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x(i, 0) = 1;
    x(i, 1) = Logit(predicted[static_cast<std::size_t>(i)]);
    y(i) = labels[static_cast<std::size_t>(i)];
  }
  Calibration out;
  const auto fit = FitLogistic(x, y, 0, false);
  if (!fit.ok()) return out;  // separable: leave the scores as they are
  out.kind = CalibrationChoice::kPlatt;
  out.a = fit->beta(0);
  out.b = fit->beta(1);
  return out;
}

// Pool-adjacent-violators over the scores in ascending order (ties pooled first). The values
// are clipped to [1/(2n), 1 - 1/(2n)] so that no held-out row gets a probability of 0 or 1.
Calibration FitIsotonic(std::span<const double> predicted, std::span<const double> labels) {
  std::vector<std::pair<double, double>> pairs;
  pairs.reserve(predicted.size());
  for (std::size_t i = 0; i < predicted.size(); ++i) pairs.emplace_back(predicted[i], labels[i]);
  std::sort(pairs.begin(), pairs.end());
  struct Block {
    double knot;  // the lowest score in the block
    double sum;
    double count;
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < pairs.size();) {
    Block b{pairs[i].first, 0, 0};
    for (; i < pairs.size() && pairs[i].first == b.knot; ++i) {
      b.sum += pairs[i].second;
      b.count += 1;
    }
    blocks.push_back(b);
    while (blocks.size() > 1 && blocks[blocks.size() - 2].sum * blocks.back().count >=
                                    blocks.back().sum * blocks[blocks.size() - 2].count) {
      const Block last = blocks.back();
      blocks.pop_back();
      blocks.back().sum += last.sum;
      blocks.back().count += last.count;
    }
  }
  Calibration out;
  out.kind = CalibrationChoice::kIsotonic;
  const double floor = 0.5 / static_cast<double>(std::max<std::size_t>(pairs.size(), 1));
  for (const Block& b : blocks) {
    out.knots.push_back(b.knot);
    out.values.push_back(std::clamp(b.sum / b.count, floor, 1 - floor));
  }
  return out;
}

}  // namespace

double Calibration::Apply(double p) const {
  switch (kind) {
    case CalibrationChoice::kPlatt: return Sigmoid(a + b * Logit(p));
    case CalibrationChoice::kIsotonic: {
      if (knots.empty()) return p;
      const auto at = std::upper_bound(knots.begin(), knots.end(), p);
      return values[at == knots.begin() ? 0 : static_cast<std::size_t>(at - knots.begin()) - 1];
    }
    case CalibrationChoice::kAuto:
    case CalibrationChoice::kNone: return p;
  }
  return p;
}

double LogLoss(std::span<const double> predicted, std::span<const double> labels) {
  double loss = 0;
  for (std::size_t r = 0; r < predicted.size(); ++r) {
    const double p = std::clamp(predicted[r], 1e-15, 1 - 1e-15);
    loss -= labels[r] == 1 ? std::log(p) : std::log1p(-p);
  }
  return predicted.empty() ? 0 : loss / static_cast<double>(predicted.size());
}

Calibration FitCalibration(CalibrationChoice kind, std::span<const double> predicted,
                           std::span<const double> labels) {
  switch (kind) {
    case CalibrationChoice::kPlatt: return FitPlatt(predicted, labels);
    case CalibrationChoice::kIsotonic: return FitIsotonic(predicted, labels);
    case CalibrationChoice::kAuto:
    case CalibrationChoice::kNone: break;
  }
  return Calibration{};
}

Calibration ChooseCalibration(CalibrationChoice choice, std::span<const double> predicted,
                              std::span<const double> labels, const Folds& folds,
                              std::vector<double>& held_out) {
  constexpr CalibrationChoice kCandidates[] = {CalibrationChoice::kNone, CalibrationChoice::kPlatt,
                                               CalibrationChoice::kIsotonic};
  std::vector<double> losses;
  std::vector<std::vector<double>> recalibrated;
  for (const CalibrationChoice kind : kCandidates) {
    if (choice != CalibrationChoice::kAuto && kind != choice) {
      losses.push_back(kNaN);
      recalibrated.emplace_back();
      continue;
    }
    std::vector<double> out(predicted.begin(), predicted.end());
    if (kind != CalibrationChoice::kNone) {
      for (int f = 0; f < folds.count; ++f) {
        std::vector<double> train_p;
        std::vector<double> train_y;
        for (std::size_t r = 0; r < predicted.size(); ++r) {
          if (folds.of_row[r] != f) {
            train_p.push_back(predicted[r]);
            train_y.push_back(labels[r]);
          }
        }
        const Calibration map = FitCalibration(kind, train_p, train_y);
        for (std::size_t r = 0; r < predicted.size(); ++r) {
          if (folds.of_row[r] == f) out[r] = map.Apply(predicted[r]);
        }
      }
    }
    losses.push_back(LogLoss(out, labels));
    recalibrated.push_back(std::move(out));
  }
  // The lowest held-out log loss wins; on a tie the simpler map (the earlier candidate).
  std::size_t best = 0;
  for (std::size_t i = 0; i < losses.size(); ++i) {
    if (!std::isnan(losses[i]) && (std::isnan(losses[best]) || losses[i] < losses[best])) best = i;
  }
  Calibration out = FitCalibration(kCandidates[best], predicted, labels);
  out.held_out_log_loss = losses;
  held_out = std::move(recalibrated[best]);
  return out;
}

}  // namespace varsam::models
