// What the models component's files share: periods as month ranges, the Newton solver and the
// access to Model's parts. Private to src/models (docs/architecture.md).

#ifndef VARSAM_SRC_MODELS_INTERNAL_H_
#define VARSAM_SRC_MODELS_INTERNAL_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "absl/status/statusor.h"
#include "varsam/models.h"

namespace varsam::models {

// A register period ("2026", "2026-Q3", "2026-11") as its first and last month, counted as
// year * 12 + month - 1. nullopt for any other form.
struct PeriodMonths {
  int first = 0;
  int last = 0;
};
std::optional<PeriodMonths> ParsePeriod(std::string_view period);

struct LogisticFit {
  Eigen::VectorXd beta;        // intercept first
  Eigen::MatrixXd covariance;  // the inverse penalised Hessian (when asked for)
  int iterations = 0;
};

// Minimises -loglik(beta) + lambda/2 * |beta[1:]|^2 for 0/1 labels y and a design x whose
// first column is the intercept's ones (docs/models.md, "The learner"). `offset` (empty or one
// per row) is added to every linear predictor.
absl::StatusOr<LogisticFit> FitLogistic(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                        double lambda, bool want_covariance,
                                        const Eigen::VectorXd& offset = Eigen::VectorXd());

double Sigmoid(double z);
double Logit(double p);

struct ModelAccess {
  static Model Make(std::vector<FeatureInfo> features, std::vector<Coefficient> coefficients,
                    std::vector<double> column_means, double lambda, int iterations) {
    Model m;
    m.features_ = std::move(features);
    m.coefficients_ = std::move(coefficients);
    m.column_means_ = std::move(column_means);
    m.lambda_ = lambda;
    m.iterations_ = iterations;
    return m;
  }
  // The training mean of each column (the model file stores it; explanations start from it).
  static const std::vector<double>& ColumnMeans(const Model& m) { return m.column_means_; }
};

// The reliability table (10 bins of width 0.1) and its expected calibration error; returns the
// Brier score. The bin of a probability: ReliabilityBinOf.
double CalibrationTable(std::span<const double> predicted, std::span<const double> labels,
                        std::vector<ReliabilityBin>& reliability, double& ece);
std::size_t ReliabilityBinOf(double p);

// The AUC of (score, 0/1 label) pairs as the Mann-Whitney statistic (ties count one half);
// sorts `scored`. NaN without both labels.
double MannWhitneyAuc(std::vector<std::pair<double, double>>& scored);

// Mean log loss of probabilities (clipped to [1e-15, 1 - 1e-15]) against 0/1 labels.
double LogLoss(std::span<const double> predicted, std::span<const double> labels);

// What Fit knows about its folds: each row's fold, and the coefficients (intercept first) each
// fold's model had with the chosen lambda.
struct Folds {
  int count = 0;
  std::vector<int> of_row;
  std::vector<Eigen::VectorXd> betas;
};

// Recalibration (calibration.cc): fits a map of one kind (not kAuto) to (p, y); and chooses
// one on held-out folds — each fold's out-of-fold predictions recalibrated by a map fitted on
// the other folds' — returning the map fitted on every row and the held-out recalibrated
// predictions.
Calibration FitCalibration(CalibrationChoice kind, std::span<const double> predicted,
                           std::span<const double> labels);
Calibration ChooseCalibration(CalibrationChoice choice, std::span<const double> predicted,
                              std::span<const double> labels, const Folds& folds,
                              std::vector<double>& held_out);

// The points model (points.cc) of coefficients `beta` (intercept first, then the design's
// columns in the features' order), with its intercept table fitted to the rows of `x` (design
// with the intercept column) and `y`. `x` may be a subset of the training rows.
absl::StatusOr<PointsModel> DerivePoints(const std::vector<FeatureInfo>& features,
                                         const Eigen::VectorXd& beta, int max_points,
                                         const Eigen::MatrixXd& x, const Eigen::VectorXd& y);
// The total of points of each row of `x` (design with the intercept column).
Eigen::VectorXd PointsTotals(const PointsModel& points, const std::vector<FeatureInfo>& features,
                             const Eigen::MatrixXd& x);
// The probability of a total from the intercept table (clamped to its range).
double PointsProbability(const PointsModel& points, double total);

// ParseModelFile with every check but the comparison of the hash: `sha256` is set to the hash
// of what was read. Only for the fuzz target (tests/fuzz/fuzz_model_file.cc), which cannot forge
// a hash, to reach past the comparison; nothing in the library calls it.
absl::StatusOr<ModelFile> ParseModelFileUnverified(std::string_view json);

// The level index (into FeatureInfo::levels) a raw value encodes to.
std::size_t LevelOf(const FeatureInfo& feature, const FeatureValue& value);

}  // namespace varsam::models

#endif  // VARSAM_SRC_MODELS_INTERNAL_H_
