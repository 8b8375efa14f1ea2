// varsam/models.h — models learned from the compilation register, never from the journal.
//
// Other clients' data may reach a case only through a model that keeps aggregates (SKR,
// "Användningen av AI inom socialtjänsten", 2023; docs/architecture.md, "The legal shape is the
// architecture", point 2). So a model here is trained from register rows only (pseudonymised,
// generalised: varsam/store.h), and it is small enough to show whole: an additive logistic
// model whose every coefficient stands for at least k distinct pseudonyms (levels below k are
// merged), with its standard error, so that an officer can be told what a score rests on and
// how it was measured — the transparency of the EU AI Act art 13 and the right to an
// explanation of art 86. Each feature's part of a score is its additive contribution in
// log-odds, which for a linear model under independent features is its exact Shapley value.
// A score is reported with its calibration because a risk score can be fair in at most one of
// the ways people expect (Kleinberg, Mullainathan & Raghavan 2016, "Inherent trade-offs in the
// fair determination of risk scores"): a calibrated probability is the one that means what it
// says. Calibration is measured out of fold with Platt's logistic recalibration (Platt 1999,
// "Probabilistic outputs for support vector machines"), discrimination as the AUC with the
// DeLong et al. (1988) confidence interval. Model cards (Mitchell et al. 2019) come later.
// docs/models.md has the specification format, the learner and the evaluation.
//
// Everything here is pure: no store, no I/O, no clock. Messages name fields, never values.
// A fitted Model is immutable and may be used from any number of threads at once.

#ifndef VARSAM_MODELS_H_
#define VARSAM_MODELS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "varsam/store.h"

namespace varsam::models {

// ---- The specification (docs/models.md, "The specification") ---------------------------------

enum class FeatureKind : std::uint8_t {
  kAgeBand,         // EpisodeRow::age_band
  kSex,             // EpisodeRow::sex ("" reads as "unknown")
  kRegion,          // EpisodeRow::region ("" reads as "suppressed")
  kCaseKind,        // EpisodeRow::case_kind
  kIntervention,    // EpisodeRow::intervention ("" reads as "none")
  kIntakeTotal,     // the intake measurement's total of `instrument`, in quantile bins
  kIntakeBand,      // the intake measurement's band of `instrument`
  kEarlierEpisodes  // episodes of the same pseudonym that started earlier: "0", "1", "2", "3+"
};

// The feature's name in the specification: "age_band", "intake_total", "earlier_episodes", ...
std::string_view FeatureKindName(FeatureKind kind);

struct FeatureSpec {
  FeatureKind kind = FeatureKind::kAgeBand;
  std::string instrument;  // kIntakeTotal and kIntakeBand only: an instrument id ("phq9")
  int bins = 5;            // kIntakeTotal only: quantile bins, 2..20
};

struct ModelSpec {
  std::string target;                      // one of store::kOutcomes, against all the others
  std::vector<std::string> case_kinds;     // the population; empty: every case kind
  std::vector<std::string> interventions;  // empty: every intervention ("" is "none")
  std::string period_from;                 // start periods from this one ("": unbounded)
  std::string period_to;                   // up to this one, inclusive ("": unbounded)
  std::vector<FeatureSpec> features;       // at least one, each (kind, instrument) once
  std::vector<double> lambdas = {1.0};     // L2 penalties; more than one: chosen by CV
  int folds = 5;                           // 2..20
  std::uint64_t seed = 1;                  // assigns pseudonyms to folds
  int min_support = 10;                    // k: distinct pseudonyms a level needs, 2..1000000
};

// Parses the JSON form (docs/models.md). Strict: unknown keys, wrong types and values outside
// their vocabulary are InvalidArgument naming the field ("spec.learner.l2[1]: ..."), never the
// value.
absl::StatusOr<ModelSpec> ParseModelSpec(std::string_view json);

// ---- The training set (docs/models.md, "From register rows to a design") --------------------

// One feature's raw value for one episode, before encoding: `level` for a categorical feature,
// `number` for kIntakeTotal (nullopt when the episode has no intake measurement with a total).
struct FeatureValue {
  std::string level;
  std::optional<double> number;
};
// The raw values of one episode's features, in the order of ModelSpec::features.
using FeatureRow = std::vector<FeatureValue>;

// How one feature is encoded. levels[0] is the reference (no column, coefficient 0); every
// other level has one column named "<name>=<level>". Every level covers at least min_support
// distinct pseudonyms: a categorical level below it is merged into "(other)", and "(other)" into
// the reference when it is itself below; a quantile bin below it is merged with its neighbour,
// and an intake total's "(missing)" below it into the reference (the first bin). `merged` lists
// the levels that lost their own column.
struct FeatureInfo {
  std::string name;  // "sex", "intake_total:phq9"
  FeatureKind kind = FeatureKind::kAgeBand;
  std::vector<std::string> levels;  // intake totals: "< 8", "[8, 14)", ">= 20", "(missing)"
  std::vector<double> cut_points;  // kIntakeTotal: bin i holds cut_points[i-1] <= x < cut_points[i]
  std::vector<std::string> merged;
};

// The design built from register rows: the rows of the population, each an episode.
struct TrainingSet {
  std::vector<FeatureInfo> features;
  std::vector<std::string> column_names;  // one per column, in the design's order
  std::size_t rows = 0;
  std::vector<double> design;        // rows x column_names.size(), column-major, 0/1 indicators
  std::vector<double> labels;        // 1 when the episode's outcome is the target, else 0
  std::vector<std::int32_t> groups;  // per row: the pseudonym's index (pseudonyms sorted)
  std::vector<FeatureRow> raw;       // per row: the raw feature values
  std::size_t pseudonyms = 0;        // distinct (pseudonym, key epoch) pairs among the rows
  std::size_t left_out = 0;          // episodes outside the population or without an outcome
};

// Builds the training set from what the register holds. Episodes outside the population and
// episodes without an outcome are left out (counted). An episode's intake measurement of an
// instrument is the same pseudonym's (and key epoch's) measurement of it whose period lies
// within the episode's periods, the earliest period first, then the lowest session.
// InvalidArgument when a row has a period that is not "YYYY", "YYYY-Qn" or "YYYY-MM"
// (naming the row's index), or when no row is left; FailedPrecondition when every row has the
// same label.
absl::StatusOr<TrainingSet> BuildTrainingSet(
    const ModelSpec& spec, std::span<const store::EpisodeRow> episodes,
    std::span<const store::RegisterMeasurementRow> measurements);

// ---- Evaluation (docs/models.md, "Evaluation") -----------------------------------------------

struct ReliabilityBin {
  double lower = 0;  // predicted probabilities in [lower, upper) (the last bin includes 1)
  double upper = 0;
  std::int64_t count = 0;
  double mean_predicted = 0;  // 0 when empty
  double observed_rate = 0;   // 0 when empty
};

struct Evaluation {
  std::int64_t count = 0;
  std::int64_t positives = 0;
  double auc = 0;  // Mann-Whitney, ties counted one half
  double auc_se = 0;
  double auc_low = 0;  // 95 % interval, DeLong et al. (1988), clipped to [0, 1]
  double auc_high = 0;
  double brier = 0;
  double ece = 0;  // expected calibration error over the 10 equal-width bins
  std::vector<ReliabilityBin> reliability;  // 10 bins of width 0.1
  double calibration_in_the_large = 0;      // intercept a of logit P(y) = a + logit(p)
  double calibration_slope = 0;             // b of logit P(y) = a + b logit(p)
};

// Evaluates `predicted` probabilities against 0/1 `labels` (the same length, at least one of
// each label). InvalidArgument otherwise, or when a prediction is outside [0, 1] or NaN. For
// the recalibration, predictions are clipped to [1e-12, 1 - 1e-12] before the logit; either
// recalibration figure is NaN when its fit does not converge (separable data).
absl::StatusOr<Evaluation> Evaluate(std::span<const double> predicted,
                                    std::span<const double> labels);

// ---- The model (docs/models.md, "The learner") -----------------------------------------------

struct Coefficient {
  std::string name;  // "(intercept)" or a column name
  double estimate = 0;
  double standard_error = 0;  // from the inverse of the penalised Hessian at the optimum
};

// One feature's share of a score: its contribution in log-odds relative to the training mean.
struct Contribution {
  std::string feature;
  std::string level;  // the level the row was encoded as
  double log_odds = 0;
};

struct Explanation {
  double base_log_odds = 0;                 // the score of the training mean
  std::vector<Contribution> contributions;  // per feature; base + their sum = the row's logit
  double probability = 0;
};

class Model {
 public:
  // The features as encoded, and the intercept followed by one coefficient per column.
  const std::vector<FeatureInfo>& features() const { return features_; }
  const std::vector<Coefficient>& coefficients() const { return coefficients_; }
  double lambda() const { return lambda_; }
  int iterations() const { return iterations_; }

  // The probability of the target for one episode's raw features. A level the training set
  // did not have reads as "(other)" when the feature has it, else as the reference.
  // InvalidArgument when the row does not have one value per feature; FailedPrecondition for a
  // Model that was not fitted (default-constructed).
  absl::StatusOr<double> Predict(const FeatureRow& row) const;
  absl::StatusOr<Explanation> Explain(const FeatureRow& row) const;

  // The design row (without the intercept) that `row` encodes to.
  absl::StatusOr<std::vector<double>> Encode(const FeatureRow& row) const;

 private:
  friend struct ModelAccess;
  std::vector<FeatureInfo> features_;
  std::vector<Coefficient> coefficients_;
  std::vector<double> column_means_;  // the training mean of each column
  double lambda_ = 0;
  int iterations_ = 0;
};

struct LambdaScore {
  double lambda = 0;
  double log_loss = 0;  // mean out-of-fold log loss
};

struct FitResult {
  Model model;                      // fitted on every row with the chosen lambda
  std::vector<LambdaScore> cv;      // per candidate lambda, in the spec's order
  std::vector<double> out_of_fold;  // per training row: predicted by the model of its fold
  Evaluation evaluation;            // of out_of_fold
};

// Fits L2-regularised logistic regression (Newton/IRLS, LDLT solves, intercept unpenalised)
// with the lambda of the lowest out-of-fold log loss, folds by pseudonym. Deterministic for a
// spec and a training set. InvalidArgument when the training set is inconsistent (design size,
// labels); FailedPrecondition when a fold lacks either label, a solve fails, or Newton does
// not converge (with lambda 0: separable data).
absl::StatusOr<FitResult> Fit(const ModelSpec& spec, const TrainingSet& training);

}  // namespace varsam::models

#endif  // VARSAM_MODELS_H_
