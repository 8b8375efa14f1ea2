// What the models component's files share: periods as month ranges, the Newton solver and the
// access to Model's parts. Private to src/models (docs/architecture.md).

#ifndef VARSAM_SRC_MODELS_INTERNAL_H_
#define VARSAM_SRC_MODELS_INTERNAL_H_

#include <cstddef>
#include <cstdint>
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

// A design as its distinct rows ("patterns"), each kept sparse: the columns whose value is not
// zero, ascending, with their values. The log-likelihood of logistic regression depends on the
// rows only through each distinct row's number of rows and of positives, so a fit on the
// patterns weighted by those counts is the fit on the rows, exactly. A register's design is
// one-hot (one column of each feature is 1), so a row has few entries and there are far fewer
// patterns than rows: a Newton step costs O(patterns * entries^2), not O(rows * columns^2).
struct Patterns {
  Eigen::Index columns = 0;          // of the design, the intercept's included
  std::vector<std::size_t> start;    // pattern k's entries are [start[k], start[k + 1])
  std::vector<std::int32_t> column;  // per entry
  std::vector<double> value;         // per entry, never 0
  std::vector<double> offset;        // per pattern when the rows have an offset, else empty
  std::vector<std::int32_t> of_row;  // per row of the design: its pattern
  std::size_t size() const { return start.size() - 1; }
};

// The patterns of a column-major rows x columns design, numbered in the order of their first
// row (deterministic). With `intercept`, column 0 is the intercept's ones and the design's
// column c is column c + 1. `offset` is empty or one per row (part of a pattern's identity).
Patterns CollapseRows(std::span<const double> design, std::size_t rows, std::size_t columns,
                      bool intercept, std::span<const double> offset);

// Minimises -loglik(beta) + lambda/2 * |beta[1:]|^2 (docs/models.md, "The learner") over rows
// given as patterns: `count[k]` rows of pattern k, `positives[k]` of them labelled 1 (a
// pattern with count 0 is left out). Column 0 is the intercept's.
absl::StatusOr<LogisticFit> FitLogistic(const Patterns& patterns, std::span<const double> count,
                                        std::span<const double> positives, double lambda,
                                        bool want_covariance);

// The same for 0/1 labels y and a dense design x whose first column is the intercept's ones.
// `offset` (empty or one per row) is added to every linear predictor.
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

// Recalibration (calibration.cc): fits a map of one kind (not kAuto) to (p, y); and chooses
// one on held-out folds — each fold's out-of-fold predictions recalibrated by a map fitted on
// the other folds' — returning the map fitted on every row and the held-out recalibrated
// predictions.
Calibration FitCalibration(CalibrationChoice kind, std::span<const double> predicted,
                           std::span<const double> labels);
Calibration ChooseCalibration(CalibrationChoice choice, std::span<const double> predicted,
                              std::span<const double> labels, std::span<const int> fold_of_row,
                              int folds, std::vector<double>& held_out);

// The points model (points.cc) of coefficients `beta` (intercept first, then the design's
// columns in the features' order), without its intercept table.
PointsModel DerivePoints(const std::vector<FeatureInfo>& features, const Eigen::VectorXd& beta,
                         int max_points);
// The total of points of each pattern of a design (with the intercept column) of `features`.
std::vector<double> PatternTotals(const PointsModel& points,
                                  const std::vector<FeatureInfo>& features,
                                  const Patterns& patterns);
// Fills the intercept table: logit P(y | total) = a + b * total, fitted on `count[k]` rows of
// each pattern's total `totals[k]`, `positives[k]` of them labelled 1.
absl::Status FitPointsTable(PointsModel& points, std::span<const double> totals,
                            std::span<const double> count, std::span<const double> positives);
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
