// What the models component's files share: periods as month ranges, the Newton solver and the
// access to Model's parts. Private to src/models (docs/architecture.md).

#ifndef VARSAM_SRC_MODELS_INTERNAL_H_
#define VARSAM_SRC_MODELS_INTERNAL_H_

#include <optional>
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

// The level index (into FeatureInfo::levels) a raw value encodes to.
std::size_t LevelOf(const FeatureInfo& feature, const FeatureValue& value);

}  // namespace varsam::models

#endif  // VARSAM_SRC_MODELS_INTERNAL_H_
