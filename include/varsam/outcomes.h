// varsam/outcomes.h — routine outcome monitoring: a client's trajectory on an instrument,
// reliable and clinically significant change, expected-treatment-response (ETR) curves fitted
// from the compilation register, not-on-track alerts, and the client chart.
//
// Feedback from routine outcome measures improves outcomes, most for clients who are not on
// track (de Jong et al. 2021, Clin Psychol Rev 85:102002: 58 studies, d = 0.15, 0.17 for
// not-on-track clients; Østergård et al. 2020, Psychother Res 30(2):195-212, PCOMS g = 0.27).
// The alert rests on an expected-treatment-response curve: Finch, Lambert & Schaalje (2001,
// Clin Psychol Psychother 8:231-242) fitted a mixed model of the score on log(session) by
// intake severity, and alerts from such curves found 85 % of eventual deteriorators by session 3
// (Hannan et al. 2005, J Clin Psychol 61(2):155-163). varsam fits its own curves, from a
// service's own compilation register, with a published method (docs/outcomes.md), and ships
// none of any vendor's.
//
// The curve model: for series i and session s >= 2 (session 1 is the intake),
//   total_is = b0 + b1 log(s) + b2 intake_i + b3 intake_i log(s) + u0_i + u1_i log(s) + e_is,
// (u0_i, u1_i) ~ N(0, Sigma) with Sigma unstructured, e_is ~ N(0, sigma^2), fitted by REML
// (Bates, Maechler, Bolker & Walker 2015, "Fitting linear mixed-effects models using lme4",
// J Stat Softw 67(1), section 3: the profiled REML criterion over the relative covariance
// factor, evaluated here group by group in closed 2 x 2 blocks). With predictors (the
// intervention, the age band) each of their levels but a reference one adds a term and its
// term times log(s), as the intake does: the fixed part is beta' (c_i (x) (1, log s)) with
// c_i = (1, intake_i, the level indicators). For a new client with intake x the score at
// session s is predicted N(mean, var), mean = beta' (c (x) (1, l)) and var = z' Sigma z +
// sigma^2 with z = (1, l), l = log(s): the expected curve is the mean (the target, OpenFIT's
// green line), the boundary the `boundary_percentile` of that distribution on the side of
// worsening.
//
// What leaves the register is aggregates only: the fixed effects with their standard errors,
// the three variance components and the residual variance, counts of people per intake bin,
// each bin with fewer than k pseudonyms suppressed, and per predictor level its people (a level
// of fewer than k is pooled, never shown); no series, pseudonym or score of one person. An alert is
// a reason to talk with the client, never a decision: the Engine stores it as an open suggestion
// that only an officer's recorded decision closes.
//
// Everything here is pure: no store, no I/O, no clock. Messages name fields, never values.

#ifndef VARSAM_OUTCOMES_H_
#define VARSAM_OUTCOMES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "varsam/core.h"
#include "varsam/instruments.h"
#include "varsam/store.h"

namespace varsam::outcomes {

// ---- A client's trajectory (own data: the journal) --------------------------------------------

struct TrajectoryPoint {
  int session = 0;
  Date date;
  double total = 0;
  double change = 0;  // total - intake total
  // The Jacobson-Truax judgement of the change from intake (instruments::Instrument::
  // AssessChange with the respondent given): none at the intake itself, or for an instrument
  // without a change rule.
  std::optional<instruments::ChangeAssessment> assessment;
};

struct Trajectory {
  std::string client_ref;
  std::string case_ref;
  std::string instrument;
  std::vector<TrajectoryPoint> points;  // session order; the first is the intake
  double intake() const { return points.empty() ? 0 : points.front().total; }
};

// The series of `instrument` in one case of a client, from that client's journal measurements
// (any order): the case `case_ref`, or when empty the case of the latest measurement of the
// instrument with a session number. Forms without a total or without a session (0) are left
// out; when a session appears twice, the later form counts. The first session held is the
// intake. NotFound when there is no series; InvalidArgument when measurements of several
// clients are mixed.
absl::StatusOr<Trajectory> BuildTrajectory(const instruments::Instrument& instrument,
                                           std::span<const store::Measurement> measurements,
                                           const instruments::Respondent& respondent = {},
                                           std::string_view case_ref = {});

// ---- Series from the register -----------------------------------------------------------------

// One measurement of one series, in the long form a mixed model reads.
struct SeriesRow {
  std::int32_t series = 0;  // 0-based index of the series
  int session = 0;          // 2, 3, ...
  double total = 0;
  double intake = 0;  // the series' session-1 total
};

struct SeriesSet {
  std::vector<SeriesRow> rows;         // grouped by series, in session order
  std::int32_t series = 0;             // how many series have at least one row
  std::vector<double> intakes;         // per series
  std::vector<std::int32_t> person;    // per series: 0-based index of its (pseudonym, key epoch)
  std::int64_t pseudonyms = 0;         // distinct (pseudonym, key epoch) among them
  std::int64_t left_out = 0;           // series without an intake, or with no session after it
  std::string period_from, period_to;  // the intakes' periods
  // Per series: the period of its intake, by which a series is linked to its episode
  // (ComputeBenchmarks; the models component links an intake the same way).
  std::vector<std::string> intake_periods;
  // Per person index (SeriesSet::person): the (pseudonym, key epoch) it stands for. In memory
  // only: nothing made from a SeriesSet (curves, benchmarks) holds them.
  std::vector<std::pair<std::string, std::int32_t>> people;
};

// The series of one instrument in the register's measurement rows (any order): per
// (pseudonym, key epoch), rows in (period, session) order; a session number that does not
// rise starts a new series. A series needs its session 1 (the intake) and at least one later
// session up to `max_session`. Rows of other instruments are read as rows of this one: pass
// one instrument's rows.
SeriesSet BuildSeries(std::span<const store::RegisterMeasurementRow> rows, int max_session = 40);

// ---- The mixed model ----------------------------------------------------------------------------

// Predictors of each series beside the intake (FitMixed): names[j] is the j-th, and `values`
// holds names.size() numbers per series, series by series. Each enters the model as the intake
// does, with its own term and its own term times log(session).
struct SeriesPredictors {
  std::vector<std::string> names;
  std::vector<double> values;
};

struct MixedFit {
  // The fixed effects, in the order of the covariates c = (1, intake, predictors...) times
  // (1, log_session): "(intercept)", "log_session", "intake", "intake:log_session", then per
  // predictor "<name>" and "<name>:log_session".
  std::vector<std::string> terms;
  std::vector<double> beta;
  std::vector<double> beta_se;     // from the REML fit's covariance of the fixed effects
  double sigma2 = 0;               // residual variance
  double var_intercept = 0;        // Sigma(0, 0)
  double var_slope = 0;            // Sigma(1, 1)
  double cov_intercept_slope = 0;  // Sigma(0, 1)
  double reml_criterion = 0;       // -2 REML log-likelihood at the optimum (lme4's "REML")
  int evaluations = 0;             // of the profiled criterion
  std::int64_t observations = 0;
  std::int32_t groups = 0;
};

// Fits the curve model by REML, with the intake and `predictors` as covariates.
// InvalidArgument for fewer than 3 series, fewer rows than 5 more than the fixed effects (which
// with 4 variance parameters leaves one degree of freedom), predictors that are not one finite
// number per series and name, or more than 64 of them; FailedPrecondition when the
// fixed-effects design is singular (every intake the same, every session the same, a predictor
// that does not vary).
absl::StatusOr<MixedFit> FitMixed(const SeriesSet& data, const SeriesPredictors& predictors = {});

// ---- Expected-treatment-response curves ---------------------------------------------------------

// The predictors curves may take beside the intake (EtrSpec::predictors), in the order they
// enter the model: the intervention of the series' episode and the person's age band at its
// start (store::EpisodeRow::intervention, ::age_band).
inline constexpr std::string_view kEtrPredictors[] = {"intervention", "age_band"};

// The level a series or a client has when it has no intervention, and the level that pools the
// levels of fewer than k people (neither is a code the register holds: codes are lower case).
inline constexpr std::string_view kNoIntervention = "none";
inline constexpr std::string_view kOtherLevel = "(other)";

struct EtrSpec {
  std::string instrument = "ors";
  // A subset of kEtrPredictors, in that order: with them the curves also depend on the
  // intervention and age band of each series' episode (LinkEpisodes).
  std::vector<std::string> predictors;
  bool higher_is_better = true;          // from the instrument's change rule
  double boundary_percentile = 10;       // of the predictive distribution, on the worsening side
  int max_session = 20;                  // sessions the curve is drawn and applied to
  int min_support = 5;                   // k: the fewest pseudonyms an intake bin may show
  double bin_width = 5;                  // intake bins for the support table
  double scale_min = 0, scale_max = 40;  // the total's range: the bins cover it whole
};

// The levels of one predictor the curves tell apart, each with its people (at least k). The
// first is the reference level (its effect is in the intercept and slope); kOtherLevel, when
// present, is last and stands for every level not named.
struct PredictorLevels {
  struct Level {
    std::string level;
    std::int64_t pseudonyms = 0;
  };
  std::string predictor;  // one of kEtrPredictors
  std::vector<Level> levels;
};

struct IntakeBin {
  double from = 0, to = 0;      // [from, to); the last bin includes scale_max
  std::int64_t pseudonyms = 0;  // 0 when suppressed
  bool suppressed = false;      // fewer than min_support pseudonyms (none shown)
};

// An ETR model as it is kept beside the register (kind "etr") and cited in the audit log.
struct EtrModel {
  EtrSpec spec;
  std::string name;        // for people
  std::string trained_at;  // RFC 3339 UTC, set by the caller
  MixedFit fit;
  std::vector<IntakeBin> bins;  // the intakes the curve rests on
  // Per predictor of spec.predictors, in that order (empty without predictors).
  std::vector<PredictorLevels> levels;
  // With predictors: the register's series the fit left out, since no single episode was
  // linked to them or their level had too few people even pooled (0 without predictors);
  // nullopt when they are fewer than k (min_support), which the file does not show either.
  std::optional<std::int64_t> series_left_out = 0;
  std::int64_t pseudonyms = 0;
  std::string period_from, period_to;
  std::string sha256;  // filled by EtrModelJson and ParseEtrModel
};

// A curve specification as hosts give it (varsam_outcomes_fit_etr, `varsam outcomes fit`):
//   {"instrument": "ors", "boundary_percentile": 10, "max_session": 20, "min_support": 5,
//    "bin_width": 5, "predictors": ["intervention", "age_band"]}
// "instrument" (an instrument id) is required; every other key may be left out and keeps the
// EtrSpec default. "predictors" lists names of kEtrPredictors, each at most once, in any order
// (kept in the order of kEtrPredictors). boundary_percentile lies strictly between 0 and 50,
// max_session is a whole number from 2 to 200, min_support (k) a whole number from 2 to 1000000,
// bin_width a positive number. The direction and the scale are not part of it: they come from the
// instrument's definition (Engine::FitCurves). Strict: unknown keys and wrong types are refused;
// InvalidArgument names the key ("spec.max_session: ..."), never a value.
absl::StatusOr<EtrSpec> ParseEtrSpec(std::string_view json);

// Each series' episode: the episode of the same (pseudonym, key epoch) whose case kind is
// `insats` and whose start period is the series' intake period (the rule of the models
// component: an intake begins in its episode's start period); null when there is none, or
// several (which one the series belongs to is then unknown). Per series of `set`; the pointers
// point into `episodes`.
std::vector<const store::EpisodeRow*> LinkEpisodes(const SeriesSet& set,
                                                   std::span<const store::EpisodeRow> episodes);

// What the mixed model of curves with predictors is fitted on (EtrDesign): each series is
// linked to its episode (LinkEpisodes) and an unlinked one is left out; per predictor of
// spec.predictors the levels of at least spec.min_support people are told apart, the others
// pooled into kOtherLevel, which is left out (with its series) when it too has fewer. Each level
// but the first of a predictor is one covariate (0 or 1), named "<predictor>=<level>".
struct EtrDesign {
  SeriesSet series;                     // the series fitted, numbered anew
  SeriesPredictors predictors;          // per series of `series`
  std::vector<PredictorLevels> levels;  // per predictor of spec.predictors
  std::int64_t left_out = 0;            // series of the input not in `series`
};
EtrDesign DesignEtr(const EtrSpec& spec, const SeriesSet& data,
                    std::span<const store::EpisodeRow> episodes);

// Fits an ETR model from a series set (the caller sets name and trained_at); with
// spec.predictors on the series and covariates of DesignEtr.
absl::StatusOr<EtrModel> FitEtr(const EtrSpec& spec, const SeriesSet& data,
                                std::span<const store::EpisodeRow> episodes = {});

// A client's values of the curves' predictors: the intervention of the client's episode (""
// for none) and the age band at its start, in the register's bands. Curves without predictors
// ignore them.
struct ClientLevels {
  std::string intervention;
  std::string age_band;
};

// An episode's levels: its intervention and its age band.
ClientLevels LevelsOf(const store::EpisodeRow& episode);

// The level of one predictor (one of kEtrPredictors) as the curves read it: the intervention, or
// kNoIntervention for none; the age band.
std::string_view LevelOf(const ClientLevels& levels, std::string_view predictor);

struct CurvePoint {
  int session = 0;
  double expected = 0;  // the target
  double boundary = 0;  // the not-on-track boundary
  double sd = 0;        // of the predictive distribution
};

// The expected curve and its boundary for a client with this intake (and levels, for curves with
// predictors), sessions 1..max_session (session 1 is the intake itself: expected = boundary =
// intake, sd 0). A level the curves do not tell apart counts as kOtherLevel; when the curves have
// no such level it counts as the reference level, which is why a caller asks Supported first.
std::vector<CurvePoint> Curve(const EtrModel& model, double intake,
                              const ClientLevels& levels = {});
CurvePoint CurveAt(const EtrModel& model, double intake, int session,
                   const ClientLevels& levels = {});

// Whether the curves may be shown for this client: the intake lies in a bin that is not
// suppressed (nor outside the bins) and, with predictors, each of the client's levels is one the
// curves tell apart or pool into kOtherLevel.
bool Supported(const EtrModel& model, double intake, const ClientLevels& levels = {});

// "varsam-etr/1": canonical JSON (keys in a fixed order, no spaces, numbers in the shortest form
// that reads back exactly), "sha256" last over the bytes without it; writes the hash into the
// model. ParseEtrModel is its strict inverse: unknown keys, wrong types and a hash that does not
// match (DataLoss) are refused, naming the field.
std::string EtrModelJson(EtrModel& model);
absl::StatusOr<EtrModel> ParseEtrModel(std::string_view json);

// ---- Monitoring one client ---------------------------------------------------------------------

// The colours practitioners know: green, yellow, red.
enum class Track : std::uint8_t { kOnTarget, kBelowTarget, kBelowBoundary };
std::string_view TrackName(Track track);  // "on_target", "below_target", "below_boundary"

struct SessionCheck {
  int session = 0;
  double total = 0;
  CurvePoint curve;
  Track track = Track::kOnTarget;
};

// Each session after the intake against the client's curve (sessions beyond max_session are
// not checked). InvalidArgument when the trajectory's instrument is not the model's.
absl::StatusOr<std::vector<SessionCheck>> Monitor(const EtrModel& model,
                                                  const Trajectory& trajectory,
                                                  const ClientLevels& levels = {});

// ---- Agency benchmarks (docs/outcomes.md, "Agency benchmarks") --------------------------------
//
// How a unit, an intervention or the whole service does on an instrument, from the register:
// the severity-adjusted effect size of ACORN (Brown, Simon, Cameron & Minami 2015, "A
// collaborative outcome resource network (ACORN): tools for increasing the value of
// psychotherapy", Psychotherapy 52(4):412-421; the method as ACORN publishes it,
// psychoutcomes.org, "Severity Adjusted Effect Size"), the share reaching target, the
// Jacobson-Truax rates of reliable improvement, deterioration and recovery, and dropout. Every
// group of fewer than k people is protected: its row keeps its name and nothing else.
//
// Each series is linked to its episode: the episode of the same (pseudonym, key epoch) whose
// case kind is `insats` and whose start period equals the series' intake period (the rule of
// the models component: the intake must begin in the episode's start period). A series with no
// such episode, or with several, is unlinked: it counts in the service as a whole, in no group.
//
// With change_i = the improvement from intake to the last session (last - intake when higher is
// better, intake - last when lower is; instruments::ChangeAssessment::improvement) and
// intake_i, over every series i of the service:
//   sd          = the sample standard deviation of intake_i (n - 1),
//   change_i    = a + b intake_i + r_i            (ordinary least squares),
//   ES_g        = mean_{i in g} change_i / sd,
//   SAES_g      = (mean_i (a + b intake_i) + mean_{i in g} r_i) / sd.
// Since the residuals of a fit with an intercept sum to zero, the service's SAES equals its ES.

// How series are grouped: by their episode's intervention, by its region (the unit: a county
// code, the only organisational field the register holds), or not at all.
enum class BenchmarkBy : std::uint8_t { kService, kIntervention, kRegion };
std::string_view BenchmarkByName(BenchmarkBy by);  // "service", "intervention", "region"
// The inverse; nullopt for any other name.
std::optional<BenchmarkBy> ParseBenchmarkBy(std::string_view name);

struct BenchmarkSpec {
  std::string instrument = "ors";
  BenchmarkBy by = BenchmarkBy::kIntervention;
  int min_people = 5;    // k: a group of fewer distinct (pseudonym, key epoch) is protected
  int max_session = 40;  // sessions a series is read to (BuildSeries)
};

// A benchmark request as hosts give it (varsam_outcomes_benchmarks):
//   {"instrument": "ors", "by": "intervention", "min_people": 5, "max_session": 40}
// "instrument" (an instrument id) is required; every other key may be left out and keeps the
// BenchmarkSpec default. "by" is "service", "intervention" or "region"; min_people (k) a whole
// number from 2 to 1000000; max_session a whole number from 2 to 200. Strict: unknown keys and
// wrong types are refused; InvalidArgument names the key ("spec.by: ..."), never a value.
absl::StatusOr<BenchmarkSpec> ParseBenchmarkSpec(std::string_view json);

// One group's figures. Shares are of `series` unless said otherwise, in [0, 1].
struct BenchmarkFigures {
  std::int64_t people = 0;  // distinct (pseudonym, key epoch)
  std::int64_t series = 0;
  double mean_intake = 0;
  // ES_g and SAES_g above; absent when the service's intakes do not vary (sd = 0).
  std::optional<double> effect_size;
  std::optional<double> severity_adjusted_effect_size;
  // With curves: the series whose intake the curves support (Supported) and that have a session
  // the curves cover; the share whose last such session is on or beyond the expected curve
  // (on target). Without: every series, and the share recovered.
  std::int64_t target_series = 0;
  std::optional<double> reaching_target;  // absent when target_series is 0
  // instruments::Instrument::AssessChange(intake, last), the respondent unknown: reliably
  // improved counts the recovered too.
  double reliable_improvement = 0;
  double reliable_deterioration = 0;
  double recovered = 0;
  // Of the linked series whose episode has an outcome (ended), the share whose outcome is
  // `dropout` (an unplanned end). Open episodes are left out: they may still end either way.
  std::int64_t ended_series = 0;
  std::optional<double> dropout;  // absent when ended_series is 0
};

struct BenchmarkGroup {
  // "service" for the whole; else the intervention id ("none": no intervention) or the county
  // code ("suppressed": the register holds no region).
  std::string name;
  bool is_protected = false;
  std::optional<BenchmarkFigures> figures;  // absent exactly when protected
};

// The regression the adjustment rests on, over every series of the service.
struct SeverityAdjustment {
  double intercept = 0;              // a
  double slope = 0;                  // b
  double sd_intake = 0;              // sd
  double mean_predicted_change = 0;  // mean_i (a + b intake_i)
};

struct Benchmarks {
  std::string instrument;
  BenchmarkBy by = BenchmarkBy::kService;
  int min_people = 5;
  std::string target;                  // "etr" (curves given) or "recovered"
  std::string curves_sha256;           // the curves' hash when given
  std::string period_from, period_to;  // the intakes' periods
  BenchmarkGroup service;
  std::vector<BenchmarkGroup> groups;  // by name; empty for BenchmarkBy::kService
  // Absent when the service is protected.
  std::optional<SeverityAdjustment> adjustment;
  std::optional<std::int64_t> unlinked_series;
};

// Benchmarks of `instrument` from the register's episodes (any case kinds; only `insats` ones
// are linked) and measurement rows (other instruments' rows are skipped), with `curves` when
// given for the share reaching target.
//
// Disclosure control: a group (the service too) of fewer than spec.min_people people is
// protected. When exactly one group is protected so, the unprotected group with the fewest
// people (then the fewest series, then the first name) is protected too (complementary
// suppression): otherwise the service's counts less the shown groups' would give the protected
// group's. A protected service protects every group (each has at most its people).
//
// InvalidArgument when spec.instrument is not `instrument`'s id, min_people is below 2,
// max_session outside 2..200, the curves are for another instrument, or a total lies outside
// the instrument's range; FailedPrecondition when the instrument has no change rule (the
// direction of improvement and the rates rest on it).
absl::StatusOr<Benchmarks> ComputeBenchmarks(const BenchmarkSpec& spec,
                                             const instruments::Instrument& instrument,
                                             std::span<const store::EpisodeRow> episodes,
                                             std::span<const store::RegisterMeasurementRow> rows,
                                             const EtrModel* curves = nullptr);

// "varsam-outcome-benchmarks/1": {"format", "instrument", "by", "k", "target", "curves" (hash or
// null), "period_from", "period_to", "adjustment": {"intercept", "slope", "sd_intake",
// "mean_predicted_change"} | null, "unlinked_series" | null, "groups": [{"group", "service",
// "protected", "people", "series", "mean_intake", "effect_size",
// "severity_adjusted_effect_size", "target_series", "reaching_target",
// "reliable_improvement", "reliable_deterioration", "recovered", "ended_series", "dropout"},
// ...]}: the service first, then the groups by name; every figure of a protected group null.
std::string BenchmarksJson(const Benchmarks& benchmarks);

// ---- The client chart (docs/outcomes.md, "The client chart") ----------------------------------

enum class Language : std::uint8_t { kSwedish, kEnglish };

// An open suggestion listed under the chart.
struct ChartSuggestion {
  std::string id;
  Date created;
  std::string text;  // what it says, in the chart's language
};

// What the chart draws. Everything but the trajectory is optional.
struct ClientChart {
  Trajectory trajectory;                 // the instrument's series
  std::string instrument_name;           // "ORS", "PHQ-9"
  double scale_min = 0, scale_max = 40;  // the total's range (the y axis)
  bool higher_is_better = true;
  std::vector<CurvePoint> curve;          // the expected curve and boundary (empty: none)
  std::vector<SessionCheck> checks;       // colours per session (empty: none)
  std::optional<double> cutoff;           // the clinical cut-off for this client
  std::optional<double> reliable_change;  // the band intake ± this
  std::optional<Trajectory> alliance;     // SRS (or CSRS) beside it
  std::string alliance_name = "SRS";
  double alliance_cutoff = 36;
  std::vector<ChartSuggestion> suggestions;
  std::string client_label;  // how the page names the client (the host's reference)
  Language language = Language::kSwedish;
};

// A self-contained, printable (A4) HTML page with inline SVG: no script, no external resource,
// every text escaped; <title> and <desc> in the SVG and a data table for screen readers.
std::string ClientChartHtml(const ClientChart& chart);

}  // namespace varsam::outcomes

#endif  // VARSAM_OUTCOMES_H_
