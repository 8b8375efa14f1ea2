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
// DeLong et al. (1988) confidence interval; every group of age band, sex and region is
// measured apart, with no numbers for a group below k. A fitted model is published as a
// versioned, hashed model file with a model card (Mitchell et al. 2019, "Model cards for model
// reporting"; EU AI Act art 11, 13 and Annex IV), and read as a points model as well.
// docs/models.md has the specification format, the learner, the evaluation and the file.
//
// Everything here is pure: no store, no I/O, no clock. Messages name fields, never values.
// A fitted Model is immutable and may be used from any number of threads at once.

#ifndef VARSAM_MODELS_H_
#define VARSAM_MODELS_H_

#include <cstddef>
#include <cstdint>
#include <limits>
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

// What the label of an episode is.
enum class TargetKind : std::uint8_t {
  kOutcome,  // 1 when the episode's outcome is ModelSpec::target, 0 for any other outcome
  kNewCase   // 1 when the same pseudonym starts another episode within new_case_months after
             // this one ends (closed episodes only; see docs/models.md, "The target")
};

// How the scores are recalibrated (docs/models.md, "Recalibration").
enum class CalibrationChoice : std::uint8_t {
  kAuto,  // whichever of none, Platt and isotonic has the lowest held-out log loss
  kNone,
  kPlatt,
  kIsotonic
};

struct ModelSpec {
  TargetKind target_kind = TargetKind::kOutcome;
  std::string target;                      // kOutcome: one of store::kOutcomes
  int new_case_months = 12;                // kNewCase: 1..120
  std::vector<std::string> case_kinds;     // the population; empty: every case kind
  std::vector<std::string> interventions;  // empty: every intervention ("" is "none")
  std::string period_from;                 // start periods from this one ("": unbounded)
  std::string period_to;                   // up to this one, inclusive ("": unbounded)
  std::vector<FeatureSpec> features;       // at least one, each (kind, instrument) once
  std::vector<double> lambdas = {1.0};     // L2 penalties; more than one: chosen by CV
  int folds = 5;                           // 2..20
  std::uint64_t seed = 1;                  // assigns pseudonyms to folds
  int min_support = 10;                    // k: distinct pseudonyms a level needs, 2..1000000
  CalibrationChoice calibration = CalibrationChoice::kAuto;
  int max_points = 10;  // the points model: the largest |points| of one level, 1..100
  // Fairness (docs/models.md, "Fairness by group"): the features whose groups are compared,
  // always age band, sex and region first, then the spec's own; the operating threshold (NaN:
  // the training base rate); bootstrap resamples of pseudonyms for the intervals.
  std::vector<FeatureSpec> fairness = {
      {FeatureKind::kAgeBand, {}, 5}, {FeatureKind::kSex, {}, 5}, {FeatureKind::kRegion, {}, 5}};
  double threshold = std::numeric_limits<double>::quiet_NaN();
  int bootstrap = 200;  // 0 (no intervals) or 20..10000
  // Feature names in "features" or "fairness" that are special categories of personal data
  // (GDPR art 9) or known proxies of them: "nationality", "ethnic_origin", "disability",
  // "health_diagnosis", "economic_assistance", "trade_union" (kProtectedClasses). The register
  // holds none of them; the loader keeps the names here so that the policy can refuse the spec
  // with its reason (docs/legal-basis.md), and BuildTrainingSet refuses such a spec as well.
  std::vector<std::string> protected_classes;
};

// Every protected class a spec names or implies, for the policy (docs/models.md, "Special
// categories are refused, by name"): its protected_classes, and "economic_assistance" when the
// intervention feature can tell receipt of economic assistance (the intervention
// "ekonomiskt_bistand") from other interventions — the spec uses the feature and its population
// admits that intervention and at least one other.
std::vector<std::string> FeatureClasses(const ModelSpec& spec);

inline constexpr std::string_view kProtectedClasses[] = {"nationality",         "ethnic_origin",
                                                         "disability",          "health_diagnosis",
                                                         "economic_assistance", "trade_union"};

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
  bool given = true;  // false: the case did not say (read as the feature's reference level)
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
  // The groups compared for fairness (ModelSpec::fairness): names ("sex", "intake_band:phq9")
  // and, per fairness feature, each row's group (the raw level, unmerged).
  std::vector<std::string> fairness_names;
  std::vector<std::vector<std::string>> fairness_levels;
  std::string period_from;               // the earliest start period among the rows
  std::string period_to;                 // the latest
  std::vector<std::int32_t> key_epochs;  // the distinct key epochs among the rows, ascending
  std::size_t left_out = 0;              // episodes outside the population or without an outcome
};

// Builds the training set from what the register holds. Episodes outside the population and
// episodes without an outcome are left out (counted). An episode's intake measurement of an
// instrument is the same pseudonym's (and key epoch's) measurement of it whose period begins
// within the episode's start period and ends by its end, the earliest period first, then the
// lowest session, then the order given.
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

// ---- Recalibration (docs/models.md, "Recalibration") -----------------------------------------

struct Calibration {
  CalibrationChoice kind = CalibrationChoice::kNone;  // never kAuto in a fitted model
  double a = 0;                                       // Platt: p' = sigmoid(a + b * logit(p))
  double b = 1;
  // Isotonic (pool-adjacent-violators): p' = values[i] for the last i with knots[i] <= p (the
  // first value below knots[0]); knots ascending, values non-decreasing.
  std::vector<double> knots;
  std::vector<double> values;
  // The held-out log loss of each candidate, in the order none, Platt, isotonic (NaN when not
  // tried), from which kAuto chose.
  std::vector<double> held_out_log_loss;

  double Apply(double p) const;
};

// ---- The points model (docs/models.md, "The points model") -----------------------------------

struct PointsLevel {
  std::string level;
  int points = 0;
};
struct PointsFeature {
  std::string name;                 // as FeatureInfo::name, or an evidence-based model's item
  std::vector<PointsLevel> levels;  // register-trained: as FeatureInfo::levels, lowest 0
};
// A row of the intercept table: a total of points and what it means.
struct PointsBand {
  int total = 0;
  double probability = 0;  // register-trained: the probability of the target at this total
  std::string label;       // evidence-based: the source's band ("low", "high"); else ""
};
struct PointsModel {
  double log_odds_per_point = 0;  // register-trained: the scale the points were rounded at
  std::vector<PointsFeature> features;
  std::vector<PointsBand> table;  // every total from the lowest to the highest, ascending
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
  Calibration calibration;          // chosen on held-out folds, fitted on every fold
  std::vector<double> calibrated_out_of_fold;  // each row recalibrated by a map of other folds
  Evaluation calibrated_evaluation;            // of calibrated_out_of_fold
  PointsModel points;                          // derived from `model`
  Evaluation points_evaluation;  // out of fold: each fold's points model on its held-out rows
};

// ---- Fairness by group (docs/models.md, "Fairness by group") ---------------------------------

// An estimate with its bootstrap 95 % interval (percentile, resampling pseudonyms). NaN when it
// is undefined (an AUC or a false-negative rate of a group without a positive).
struct Estimate {
  double value = std::numeric_limits<double>::quiet_NaN();
  double low = std::numeric_limits<double>::quiet_NaN();
  double high = std::numeric_limits<double>::quiet_NaN();
};

struct GroupMetrics {
  std::string feature;  // "sex"
  std::string group;    // "female"
  // Fewer than min_support distinct pseudonyms: every number below is left out (0, NaN, empty).
  bool suppressed = false;
  std::int64_t count = 0;
  std::int64_t pseudonyms = 0;
  Estimate base_rate, auc, brier, ece;
  Estimate false_positive_rate, false_negative_rate;  // at the operating threshold
  std::vector<ReliabilityBin> reliability;
};

// The largest difference of one metric between two groups of one feature that are not
// suppressed.
struct Gap {
  std::string feature;
  std::string metric;  // "auc", "brier", "ece", "false_positive_rate", ...
  std::string low_group, high_group;
  double difference = 0;  // high - low, >= 0
};

struct FairnessReport {
  double threshold = 0;
  int bootstrap = 0;
  // Per fairness feature, its groups in natural order (digit runs as numbers: "5-9" before
  // "10-14").
  std::vector<GroupMetrics> groups;
  std::vector<Gap> gaps;  // per feature and metric, largest difference first
};

// Compares groups of the training rows on (calibrated) out-of-fold predictions, one per row.
// Deterministic for the spec's seed. InvalidArgument when the sizes do not agree.
absl::StatusOr<FairnessReport> AssessFairness(const ModelSpec& spec, const TrainingSet& training,
                                              std::span<const double> predicted);

// Fits L2-regularised logistic regression (Newton/IRLS, LDLT solves, intercept unpenalised)
// with the lambda of the lowest out-of-fold log loss, folds by pseudonym. Deterministic for a
// spec and a training set. InvalidArgument when the training set is inconsistent (design size,
// labels); FailedPrecondition when a fold lacks either label, a solve fails, or Newton does
// not converge (with lambda 0: separable data).
absl::StatusOr<FitResult> Fit(const ModelSpec& spec, const TrainingSet& training);

// ---- The model file and its card (docs/models.md, "The model file", "The model card") --------

enum class ModelKind : std::uint8_t {
  kRegisterTrained,  // learned by Fit from the register
  kEvidenceBased     // a published checklist or points model a host provides (points only)
};

// Where an evidence-based model comes from.
struct ModelSource {
  std::string title;
  std::string citation;  // the publication
  std::string url;       // "" when none
};

// Where and when a register-trained model was learned.
struct TrainingRecord {
  std::string trained_at;              // RFC 3339 UTC, set by the caller (no clock here)
  std::string period_from, period_to;  // start periods of the training rows
  std::int64_t rows = 0;
  std::int64_t pseudonyms = 0;
  std::int64_t left_out = 0;
  std::vector<std::int32_t> key_epochs;  // the register's key epochs among the rows
};

// A model as it is stored, applied and published: "varsam-model/1" (JSON). The SHA-256 is of
// the canonical bytes of every other field (ModelFileJson without "sha256"): the model's
// identity in the audit log.
struct ModelFile {
  ModelKind kind = ModelKind::kRegisterTrained;
  std::string name;  // a title for people: "Dropout from support talks, 2024-2026"
  // Register-trained: the spec, the model, its evaluation, calibration and fairness.
  ModelSpec spec;
  Model model;
  std::vector<LambdaScore> cv;
  Evaluation evaluation;  // out of fold, before recalibration
  Calibration calibration;
  Evaluation calibrated_evaluation;  // out of fold, recalibrated
  Evaluation points_evaluation;
  FairnessReport fairness;
  TrainingRecord training;
  // Both kinds: the points model. Evidence-based: its source.
  PointsModel points;
  ModelSource source;
  std::string sha256;  // 64 lower-case hex digits; filled by ModelFileJson and ParseModelFile
};

// Builds the register-trained model file of a fit (everything but `name` and
// `training.trained_at`, which the caller sets).
ModelFile MakeModelFile(const ModelSpec& spec, const TrainingSet& training, const FitResult& fit,
                        const FairnessReport& fairness);

// The canonical JSON: keys in a fixed order, numbers in the shortest form that reads back
// exactly (a number that is not finite as null), no spaces outside strings; with "sha256" last,
// computed over the bytes without it. Writes the hash into `file` too. A fairness group that is
// suppressed is written with its feature and group only, whatever numbers the struct holds.
std::string ModelFileJson(ModelFile& file);

// Strict loader of "varsam-model/1": unknown keys, wrong types, out-of-range values and parts
// that do not agree (coefficients and levels, points and features, a suppressed group with a
// number) are InvalidArgument naming the field, never the value; a "sha256" that is not the hash
// of the canonical bytes of what was read is DataLoss. Written again, a file read here gives the
// same bytes.
absl::StatusOr<ModelFile> ParseModelFile(std::string_view json);

// ---- Applying a model to one case (docs/models.md, "Applying a model") -----------------------

// The feature values of one case as a host sends them: {"age_band": "18-24", "sex": "female",
// "intake_total:phq9": 14, ...}, keyed by FeatureInfo::name (PointsFeature::name for an
// evidence-based model). Categorical values are strings ("" reads as the register reads it);
// earlier_episodes may be a whole number; an intake total is a number, or null for no intake
// measurement. An evidence-based item's value must be one of its levels. A feature left out has
// `given` false and reads as unknown (see Prediction::unknown_*). InvalidArgument naming the
// feature (or "case" for an unknown key), never the value.
absl::StatusOr<FeatureRow> ParseCaseFeatures(const ModelFile& file, std::string_view json);

struct PredictionPart {
  std::string feature;
  std::string level;    // the level the value was read as
  double log_odds = 0;  // register-trained: relative to the training mean
  int points = 0;
};

struct Prediction {
  double probability = 0;      // recalibrated (register-trained); NaN for evidence-based
  double raw_probability = 0;  // before recalibration
  // Register-trained: the score of the training mean, in log-odds; it and the parts' log_odds
  // add up to the logit of raw_probability. 0 for evidence-based.
  double base_log_odds = 0;
  // The observed rate's 95 % interval (Wilson) in the reliability bin of `probability`, out of
  // fold: how far the training population's outcomes strayed from scores like this one.
  double band_low = 0, band_high = 0;
  int points_total = 0;
  std::string points_label;           // evidence-based: the band's label
  std::vector<PredictionPart> parts;  // per feature, in the model's order
  // The parts with the largest |log_odds| (evidence-based: the largest points), up to three,
  // as sentences in Swedish and English.
  std::vector<std::string> summary_sv, summary_en;
  // What the model does not know about this case: features left out of the case, levels it
  // did not learn (read as "(other)" or the reference), groups below min_support in the
  // fairness table, and that no feature outside the spec was looked at.
  std::vector<std::string> unknown_sv, unknown_en;
};

// What Apply writes besides the numbers: the sentences cost more than the arithmetic, so a
// caller that shows none (a batch, a benchmark) may leave them out.
enum class ApplyText : std::uint8_t {
  kFull,    // summary_* and unknown_* in Swedish and English
  kNumbers  // the probabilities, the band, the points and the parts; no sentences
};

// Applies a model to one case. InvalidArgument when the row does not fit the model (or, for an
// evidence-based model, gives an answer an item does not have); FailedPrecondition for a
// register-trained file without a fitted model. Pure; safe from any number of threads.
absl::StatusOr<Prediction> Apply(const ModelFile& file, const FeatureRow& row,
                                 ApplyText text = ApplyText::kFull);

// The model card (Mitchell et al. 2019's nine sections; EU AI Act art 13(3) and Annex IV):
// Markdown, and a self-contained HTML page (no script, no external resource, text escaped)
// with an SVG reliability diagram. Every figure is the file's; a suppressed group shows none.
// The hash shown is computed from `file`, whatever its `sha256` holds.
std::string ModelCardMarkdown(const ModelFile& file);
std::string ModelCardHtml(const ModelFile& file);

}  // namespace varsam::models

#endif  // VARSAM_MODELS_H_
