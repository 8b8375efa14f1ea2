// Outcome monitoring (src/outcomes, include/varsam/outcomes.h): trajectories, the register's
// series, the REML fit of the curve model, curves, the check of a client, the curve file.
#include "varsam/outcomes.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "nlohmann/json.hpp"

namespace varsam::outcomes {
namespace {

struct TrueModel {
  std::array<double, 4> beta{4.0, 6.0, 0.9, -0.2};
  double var_intercept = 4.0, var_slope = 2.25, cov = -1.2, sigma2 = 9.0;
};

// Series drawn from the curve model itself: intake ~ U(5, 35), sessions 2..last.
SeriesSet Simulate(const TrueModel& truth, int series, std::uint64_t seed, int max_sessions = 10) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> intake_of(5, 35);
  std::uniform_int_distribution<int> last_of(2, max_sessions);
  const double sd0 = std::sqrt(truth.var_intercept);
  const double rho = truth.cov == 0 ? 0 : truth.cov / (sd0 * std::sqrt(truth.var_slope));
  SeriesSet set;
  for (int i = 0; i < series; ++i) {
    const double x = intake_of(rng);
    const double z0 = normal(rng), z1 = normal(rng);
    const double u0 = sd0 * z0;
    const double u1 = std::sqrt(truth.var_slope) * (rho * z0 + std::sqrt(1 - rho * rho) * z1);
    const int last = last_of(rng);
    for (int s = 2; s <= last; ++s) {
      const double t = std::log(static_cast<double>(s));
      const double y = truth.beta[0] + truth.beta[1] * t + truth.beta[2] * x +
                       truth.beta[3] * x * t + u0 + u1 * t + std::sqrt(truth.sigma2) * normal(rng);
      set.rows.push_back({i, s, y, x});
    }
    set.intakes.push_back(x);
    set.person.push_back(i);
  }
  set.series = series;
  set.pseudonyms = series;
  return set;
}

// -2 REML log-likelihood straight from its definition with dense matrices (Harville 1977;
// Patterson & Thompson 1971): V = Z G Z' + sigma^2 I,
//   -2 l_R = log|V| + log|X' V^-1 X| + r' V^-1 r + (n - p) log(2 pi),
// r = y - X beta_GLS. Independent of the profiled, blockwise evaluation under test.
double DenseReml(const SeriesSet& set, double g00, double g11, double g01, double sigma2,
                 const SeriesPredictors& predictors = {}) {
  const auto n = static_cast<Eigen::Index>(set.rows.size());
  const auto extra = static_cast<Eigen::Index>(predictors.names.size());
  const Eigen::Index p = 4 + 2 * extra;
  Eigen::MatrixXd x(n, p), z(n, 2 * set.series);
  Eigen::VectorXd y(n);
  z.setZero();
  for (Eigen::Index i = 0; i < n; ++i) {
    const SeriesRow& r = set.rows[static_cast<size_t>(i)];
    const double t = std::log(static_cast<double>(r.session));
    x.block(i, 0, 1, 4) << 1, t, r.intake, r.intake * t;
    for (Eigen::Index j = 0; j < extra; ++j) {
      const double c = predictors.values[static_cast<size_t>(r.series * extra + j)];
      x(i, 4 + 2 * j) = c;
      x(i, 5 + 2 * j) = c * t;
    }
    z(i, 2 * r.series) = 1;
    z(i, 2 * r.series + 1) = t;
    y(i) = r.total;
  }
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(2 * set.series, 2 * set.series);
  for (int k = 0; k < set.series; ++k) {
    g(2 * k, 2 * k) = g00;
    g(2 * k + 1, 2 * k + 1) = g11;
    g(2 * k, 2 * k + 1) = g(2 * k + 1, 2 * k) = g01;
  }
  const Eigen::MatrixXd v = z * g * z.transpose() + sigma2 * Eigen::MatrixXd::Identity(n, n);
  const Eigen::LLT<Eigen::MatrixXd> llt(v);
  const Eigen::MatrixXd vinv_x = llt.solve(x);
  const Eigen::MatrixXd xvx = x.transpose() * vinv_x;
  const Eigen::VectorXd beta = xvx.ldlt().solve(vinv_x.transpose() * y);
  const Eigen::VectorXd r = y - x * beta;
  const Eigen::MatrixXd lv = llt.matrixL();
  const double log_det_v = 2 * lv.diagonal().array().log().sum();
  const double log_det_xvx = std::log(xvx.determinant());
  return log_det_v + log_det_xvx + r.dot(llt.solve(r)) +
         static_cast<double>(n - p) * std::log(2 * M_PI);
}

}  // namespace

TEST_CASE("outcomes: the REML fit is the minimum of the REML criterion, computed densely",
          "[outcomes]") {
  const SeriesSet set = Simulate(TrueModel{}, 40, 7, 7);
  const auto fit = FitMixed(set);
  REQUIRE(fit.ok());
  const double at =
      DenseReml(set, fit->var_intercept, fit->var_slope, fit->cov_intercept_slope, fit->sigma2);
  CHECK(fit->reml_criterion == Approx(at).epsilon(1e-9));
  // Any step away from the estimate raises the criterion.
  for (const double step : {-0.02, 0.02}) {
    const double f = 1 + step;
    CHECK(DenseReml(set, fit->var_intercept * f, fit->var_slope, fit->cov_intercept_slope,
                    fit->sigma2) > at);
    CHECK(DenseReml(set, fit->var_intercept, fit->var_slope * f, fit->cov_intercept_slope,
                    fit->sigma2) > at);
    CHECK(DenseReml(set, fit->var_intercept, fit->var_slope, fit->cov_intercept_slope * f,
                    fit->sigma2) > at);
    CHECK(DenseReml(set, fit->var_intercept, fit->var_slope, fit->cov_intercept_slope,
                    fit->sigma2 * f) > at);
  }
  CHECK(fit->observations == static_cast<std::int64_t>(set.rows.size()));
  CHECK(fit->groups == 40);
}

TEST_CASE("outcomes: the REML fit recovers the model the series were drawn from", "[outcomes]") {
  const TrueModel truth;
  const SeriesSet set = Simulate(truth, 4000, 11);
  const auto fit = FitMixed(set);
  REQUIRE(fit.ok());
  for (size_t j = 0; j < 4; ++j) {
    INFO("beta " << j);
    CHECK(std::abs(fit->beta[j] - truth.beta[j]) < 4 * fit->beta_se[j]);
    CHECK(fit->beta_se[j] > 0);
  }
  CHECK(fit->sigma2 == Approx(truth.sigma2).epsilon(0.05));
  CHECK(fit->var_intercept == Approx(truth.var_intercept).epsilon(0.25));
  CHECK(fit->var_slope == Approx(truth.var_slope).epsilon(0.25));
  CHECK(fit->cov_intercept_slope == Approx(truth.cov).epsilon(0.35));
}

TEST_CASE("outcomes: without random effects the fit is ordinary least squares", "[outcomes]") {
  TrueModel truth;
  truth.var_intercept = 0;
  truth.var_slope = 0;
  truth.cov = 0;
  const SeriesSet set = Simulate(truth, 300, 3);
  const auto fit = FitMixed(set);
  INFO(fit.status().ToString());
  REQUIRE(fit.ok());
  // OLS on the same rows.
  Eigen::MatrixXd x(static_cast<Eigen::Index>(set.rows.size()), 4);
  Eigen::VectorXd y(x.rows());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const SeriesRow& r = set.rows[static_cast<size_t>(i)];
    const double t = std::log(static_cast<double>(r.session));
    x.row(i) << 1, t, r.intake, r.intake * t;
    y(i) = r.total;
  }
  const Eigen::VectorXd ols = (x.transpose() * x).ldlt().solve(x.transpose() * y);
  // The estimated random effects are small, so the estimate is near OLS.
  for (int j = 0; j < 4; ++j)
    CHECK(fit->beta[static_cast<size_t>(j)] == Approx(ols(j)).margin(0.1));
  // Intercept and slope are nearly confounded over sessions 2..10, so each variance alone may
  // stray; the variance they add to a score at any session is what must be small: within about
  // the sampling error of a variance from 300 series, sigma^2 sqrt(2 / 300) = 0.7.
  for (const int session : {2, 5, 10}) {
    const double t = std::log(static_cast<double>(session));
    CHECK(fit->var_intercept + 2 * t * fit->cov_intercept_slope + t * t * fit->var_slope < 1.0);
  }
  CHECK(fit->sigma2 == Approx(truth.sigma2).epsilon(0.1));
}

TEST_CASE("outcomes: a fit needs series, rows and intakes that differ", "[outcomes]") {
  SeriesSet tiny = Simulate(TrueModel{}, 2, 1);
  CHECK(FitMixed(tiny).status().code() == absl::StatusCode::kInvalidArgument);
  SeriesSet bad = Simulate(TrueModel{}, 30, 1);
  bad.rows[4].total = std::nan("");
  CHECK(FitMixed(bad).status().code() == absl::StatusCode::kInvalidArgument);
  SeriesSet same = Simulate(TrueModel{}, 30, 1);
  for (SeriesRow& r : same.rows) r.intake = 20;
  CHECK(FitMixed(same).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("outcomes: register rows become series per person, restarting at a lower session",
          "[outcomes]") {
  const auto row = [](std::string p, int epoch, int session, std::string period,
                      std::optional<double> total) {
    store::RegisterMeasurementRow r;
    r.pseudonym = std::move(p);
    r.key_epoch = epoch;
    r.instrument = "ors";
    r.session = session;
    r.period = std::move(period);
    r.total = total;
    return r;
  };
  const std::vector<store::RegisterMeasurementRow> rows = {
      // Person a: a series over two quarters, then a second one (restart at session 1).
      row("a", 1, 1, "2025-Q1", 18), row("a", 1, 3, "2025-Q2", 24), row("a", 1, 1, "2025-Q3", 20),
      row("a", 1, 2, "2025-Q1", 21), row("a", 1, 2, "2025-Q3", 22),
      // Person b: no intake (left out); the same pseudonym under another key epoch is another
      // person, with only an intake (left out).
      row("b", 1, 2, "2025-Q2", 10), row("b", 2, 1, "2025-Q2", 12),
      // Person c: a missing total is skipped; sessions beyond max_session are dropped.
      row("c", 1, 1, "2024-Q4", 30), row("c", 1, 2, "2024-Q4", std::nullopt),
      row("c", 1, 3, "2025-Q1", 31), row("c", 1, 9, "2025-Q1", 35)};
  const SeriesSet set = BuildSeries(rows, 8);
  REQUIRE(set.series == 3);
  CHECK(set.pseudonyms == 2);
  CHECK(set.left_out == 2);
  CHECK(set.intakes == std::vector<double>{18, 20, 30});
  CHECK(set.person == std::vector<std::int32_t>{0, 0, 3});  // a, (b, 1), (b, 2), c
  CHECK(set.period_from == "2024-Q4");
  CHECK(set.period_to == "2025-Q3");
  CHECK(set.intake_periods == std::vector<std::string>{"2025-Q1", "2025-Q3", "2024-Q4"});
  REQUIRE(set.people.size() == 4);
  CHECK(set.people[3] == std::make_pair(std::string("c"), std::int32_t{1}));
  REQUIRE(set.rows.size() == 4);
  CHECK((set.rows[0].series == 0 && set.rows[0].session == 2 && set.rows[0].total == 21));
  CHECK((set.rows[1].series == 0 && set.rows[1].session == 3 && set.rows[1].total == 24));
  CHECK((set.rows[2].series == 1 && set.rows[2].session == 2 && set.rows[2].intake == 20));
  CHECK((set.rows[3].series == 2 && set.rows[3].session == 3 && set.rows[3].total == 31));
}

namespace {
EtrModel SampleModel() {
  EtrModel m;
  m.spec.instrument = "ors";
  m.fit.terms = {"(intercept)", "log_session", "intake", "intake:log_session"};
  m.fit.beta = {4.0, 6.0, 0.9, -0.2};
  m.fit.beta_se = {0.5, 0.4, 0.02, 0.01};
  m.fit.var_intercept = 4;
  m.fit.var_slope = 2.25;
  m.fit.cov_intercept_slope = -1.2;
  m.fit.sigma2 = 9;
  for (int b = 0; b < 8; ++b) {
    m.bins.push_back({5.0 * b, 5.0 * b + 5, b == 0 ? 0 : 40, b == 0});
  }
  return m;
}
}  // namespace

TEST_CASE("outcomes: the curve is the predictive mean, the boundary its 10th percentile",
          "[outcomes]") {
  const EtrModel m = SampleModel();
  const CurvePoint first = CurveAt(m, 18, 1);
  CHECK(first.expected == 18);
  CHECK(first.boundary == 18);
  const double l = std::log(4.0);
  const CurvePoint p = CurveAt(m, 18, 4);
  CHECK(p.expected == Approx(4 + 6 * l + 0.9 * 18 - 0.2 * 18 * l));
  CHECK(p.sd == Approx(std::sqrt(4 + 2 * l * -1.2 + l * l * 2.25 + 9)));
  // The 10th percentile of the standard normal is -1.2815516 (to 7 decimals, any table).
  CHECK(p.boundary == Approx(p.expected - 1.2815516 * p.sd).epsilon(1e-7));
  EtrModel lower = m;
  lower.spec.higher_is_better = false;
  CHECK(CurveAt(lower, 18, 4).boundary == Approx(p.expected + 1.2815516 * p.sd).epsilon(1e-7));
  CHECK(Curve(m, 18).size() == 20);
  CHECK(Supported(m, 18));
  CHECK_FALSE(Supported(m, 3));   // a suppressed bin
  CHECK_FALSE(Supported(m, 41));  // off the scale
}

TEST_CASE("outcomes: each session is on target, below target or below the boundary", "[outcomes]") {
  const EtrModel m = SampleModel();
  Trajectory t;
  t.instrument = "ors";
  const CurvePoint at3 = CurveAt(m, 18, 3);
  t.points = {{1, Date(2026, 1, 5), 18, 0, {}},
              {2, Date(2026, 1, 12), CurveAt(m, 18, 2).expected + 0.5, 0, {}},
              {3, Date(2026, 1, 19), (at3.expected + at3.boundary) / 2, 0, {}},
              {4, Date(2026, 1, 26), CurveAt(m, 18, 4).boundary - 0.1, 0, {}}};
  const auto checks = Monitor(m, t);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 3);
  CHECK((*checks)[0].track == Track::kOnTarget);
  CHECK((*checks)[1].track == Track::kBelowTarget);
  CHECK((*checks)[2].track == Track::kBelowBoundary);
  CHECK(TrackName((*checks)[2].track) == "below_boundary");
  t.instrument = "phq9";
  CHECK(Monitor(m, t).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("outcomes: the curve file reads back to the same bytes and refuses a changed one",
          "[outcomes]") {
  EtrModel m = SampleModel();
  m.name = "ORS, familjebehandling";
  m.trained_at = "2026-12-04T20:00:00Z";
  m.pseudonyms = 320;
  m.period_from = "2024-Q1";
  m.period_to = "2026-Q3";
  const std::string text = EtrModelJson(m);
  REQUIRE(m.sha256.size() == 64);
  auto back = ParseEtrModel(text);
  REQUIRE(back.ok());
  CHECK(EtrModelJson(*back) == text);
  CHECK(back->bins[0].suppressed);
  CHECK(back->fit.beta == m.fit.beta);
  std::string changed = text;
  changed.replace(changed.find("\"pseudonyms\":320"), 16, "\"pseudonyms\":321");
  CHECK(ParseEtrModel(changed).status().code() == absl::StatusCode::kDataLoss);
  std::string extra = text;
  extra.insert(1, "\"x\":1,");
  const auto refused = ParseEtrModel(extra);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(refused.status().message()).find("unknown key") != std::string::npos);
}

TEST_CASE("outcomes: the curve file refuses numbers no fit gives, before its hash", "[outcomes]") {
  EtrModel m = SampleModel();
  const std::string text = EtrModelJson(m);
  const auto refused = [&](std::string_view from, std::string_view to) {
    std::string changed = text;
    const std::size_t at = changed.find(from);
    REQUIRE(at != std::string::npos);
    changed.replace(at, from.size(), to);
    const absl::Status status = ParseEtrModel(changed).status();
    INFO(status.message());
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    return std::string(status.message());
  };
  // A covariance larger than the two variances allow: |cov| > sqrt(4 * 2.25) = 3.
  CHECK(refused("\"cov_intercept_slope\":-1.2", "\"cov_intercept_slope\":-3.5")
            .find("covariance matrix") != std::string::npos);
  CHECK(refused("\"sigma2\":9.0", "\"sigma2\":0.0").find("etr.fit.sigma2") != std::string::npos);
  CHECK(refused("\"boundary_percentile\":10.0", "\"boundary_percentile\":50.0")
            .starts_with("etr.spec.boundary_percentile: "));
  // Bins that do not cover the scale in order.
  CHECK(refused("{\"from\":0.0,\"to\":5.0,", "{\"from\":1.0,\"to\":5.0,").find("etr.bins[0]") !=
        std::string::npos);
  CHECK(refused("\"bin_width\":5.0", "\"bin_width\":4.0").find("etr.bins") != std::string::npos);
}

TEST_CASE("outcomes: an intake bin with fewer than k people shows no count", "[outcomes]") {
  SeriesSet set = Simulate(TrueModel{}, 200, 5);
  // Every series of one person, so the bins count 1 person each at most... except this one.
  for (auto& p : set.person) p = 0;
  set.pseudonyms = 1;
  EtrSpec spec;
  spec.min_support = 2;
  const auto m = FitEtr(spec, set);
  REQUIRE(m.ok());
  REQUIRE(m->bins.size() == 8);
  for (const IntakeBin& b : m->bins) {
    CHECK(b.suppressed);
    CHECK(b.pseudonyms == 0);
  }
}

namespace {

// Series of people in three interventions and three age bands: the intervention "stodsamtal"
// adds 3 to the intercept and -1.5 to the slope against "familjebehandling", the band "25-34"
// adds 2 to the intercept against "18-24". Two rare interventions (3 people each) pool into
// (other); a rare band (2 people) is too small even pooled, so its series are left out; 4
// series have no episode.
struct Grouped {
  SeriesSet set;
  std::vector<store::EpisodeRow> episodes;
};

Grouped SimulateGrouped(int series, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> intake_of(5, 35);
  std::uniform_int_distribution<int> last_of(2, 10);
  const TrueModel truth;
  Grouped g;
  for (int i = 0; i < series; ++i) {
    std::string intervention = i % 2 == 0 ? "familjebehandling" : "stodsamtal";
    if (i < 6) intervention = i < 3 ? "kontaktperson" : "boendestod";
    std::string band = i % 3 == 0 ? "25-34" : "18-24";
    if (i >= 6 && i < 8) band = "65+";
    const double x = intake_of(rng);
    const double u0 = 2 * normal(rng), u1 = 1.5 * normal(rng);
    const double shift = (intervention == "stodsamtal" ? 3 : 0) + (band == "25-34" ? 2 : 0);
    const double slope = intervention == "stodsamtal" ? -1.5 : 0;
    const int last = last_of(rng);
    for (int s = 2; s <= last; ++s) {
      const double t = std::log(static_cast<double>(s));
      const double y = truth.beta[0] + shift + (truth.beta[1] + slope) * t + truth.beta[2] * x +
                       truth.beta[3] * x * t + u0 + u1 * t + 3 * normal(rng);
      g.set.rows.push_back({i, s, y, x});
    }
    const std::string pseudonym = "p" + std::to_string(i);
    g.set.intakes.push_back(x);
    g.set.person.push_back(i);
    g.set.people.emplace_back(pseudonym, 1);
    g.set.intake_periods.push_back("2025-Q2");
    if (i >= series - 4) continue;  // no episode
    store::EpisodeRow e;
    e.pseudonym = pseudonym;
    e.key_epoch = 1;
    e.age_band = band;
    e.case_kind = "insats";
    e.intervention = intervention;
    e.start_period = "2025-Q2";
    g.episodes.push_back(e);
  }
  g.set.series = series;
  g.set.pseudonyms = series;
  return g;
}

std::size_t TermIndex(const MixedFit& fit, std::string_view term) {
  const auto it = std::find(fit.terms.begin(), fit.terms.end(), term);
  REQUIRE(it != fit.terms.end());
  return static_cast<std::size_t>(it - fit.terms.begin());
}

}  // namespace

TEST_CASE("outcomes: with predictors the REML fit is still the dense criterion's minimum",
          "[outcomes]") {
  const SeriesSet set = Simulate(TrueModel{}, 40, 7, 7);
  SeriesPredictors predictors;
  predictors.names = {"group=b"};
  for (int i = 0; i < set.series; ++i) predictors.values.push_back(i % 2);
  const auto fit = FitMixed(set, predictors);
  REQUIRE(fit.ok());
  CHECK(fit->terms == std::vector<std::string>{"(intercept)", "log_session", "intake",
                                               "intake:log_session", "group=b",
                                               "group=b:log_session"});
  REQUIRE(fit->beta.size() == 6);
  const double at = DenseReml(set, fit->var_intercept, fit->var_slope, fit->cov_intercept_slope,
                              fit->sigma2, predictors);
  CHECK(fit->reml_criterion == Approx(at).epsilon(1e-9));
  for (const double f : {0.98, 1.02}) {
    CHECK(DenseReml(set, fit->var_intercept * f, fit->var_slope, fit->cov_intercept_slope,
                    fit->sigma2, predictors) > at);
    CHECK(DenseReml(set, fit->var_intercept, fit->var_slope, fit->cov_intercept_slope,
                    fit->sigma2 * f, predictors) > at);
  }
  // A predictor that never varies cannot be told from the intercept; a wrong count is refused.
  SeriesPredictors constant = predictors;
  std::fill(constant.values.begin(), constant.values.end(), 1.0);
  CHECK(FitMixed(set, constant).status().code() == absl::StatusCode::kFailedPrecondition);
  constant.values.pop_back();
  CHECK(FitMixed(set, constant).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("outcomes: curves with predictors tell apart the levels of k people, pool the rest",
          "[outcomes]") {
  const Grouped g = SimulateGrouped(3000, 21);
  EtrSpec spec;
  spec.predictors = {"intervention", "age_band"};
  const auto m = FitEtr(spec, g.set, g.episodes);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  // Interventions: two of 3 people each pooled into (other), 6 >= 5. Bands: "65+" (2 people)
  // is too small even pooled, so its 2 series are left out, beside the 4 without an episode.
  REQUIRE(m->levels.size() == 2);
  CHECK(m->levels[0].predictor == "intervention");
  REQUIRE(m->levels[0].levels.size() == 3);
  CHECK(m->levels[0].levels[0].level == "familjebehandling");
  CHECK(m->levels[0].levels[1].level == "stodsamtal");
  CHECK(m->levels[0].levels[2].level == kOtherLevel);
  CHECK(m->levels[0].levels[2].pseudonyms == 6);
  REQUIRE(m->levels[1].levels.size() == 2);
  CHECK(m->levels[1].levels[0].level == "18-24");
  CHECK(m->levels[1].levels[1].level == "25-34");
  CHECK(m->series_left_out == 6);
  CHECK(m->pseudonyms == 3000 - 6);
  CHECK(m->fit.groups == 3000 - 6);
  // What was fitted, as DesignEtr gives it (the peer comparison exports it).
  const EtrDesign design = DesignEtr(spec, g.set, g.episodes);
  CHECK(design.series.series == m->fit.groups);
  CHECK(design.left_out == 6);
  CHECK(design.predictors.names == std::vector<std::string>{"intervention=stodsamtal",
                                                            "intervention=(other)",
                                                            "age_band=25-34"});
  CHECK(design.predictors.values.size() == 3 * static_cast<std::size_t>(design.series.series));
  // The effects the series were drawn with, within 4 standard errors.
  const auto near = [&](std::string_view term, double truth) {
    const std::size_t j = TermIndex(m->fit, term);
    INFO(term << " " << m->fit.beta[j] << " se " << m->fit.beta_se[j]);
    CHECK(std::abs(m->fit.beta[j] - truth) < 4 * m->fit.beta_se[j]);
  };
  near("intervention=stodsamtal", 3);
  near("intervention=stodsamtal:log_session", -1.5);
  near("intervention=(other)", 0);
  near("age_band=25-34", 2);
  near("age_band=25-34:log_session", 0);

  // A client's curve follows the client's levels; a level the curves pool is (other); one they
  // do not know at all, with no (other) to fall to, is not supported.
  const ClientLevels reference{"familjebehandling", "18-24"};
  const ClientLevels stod{"stodsamtal", "18-24"};
  const std::size_t b0 = TermIndex(m->fit, "intervention=stodsamtal");
  const double l = std::log(4.0);
  CHECK(CurveAt(*m, 20, 4, stod).expected - CurveAt(*m, 20, 4, reference).expected ==
        Approx(m->fit.beta[b0] + m->fit.beta[b0 + 1] * l));
  CHECK(CurveAt(*m, 20, 4, {"boendestod", "18-24"}).expected ==
        CurveAt(*m, 20, 4, {"placering_hvb", "18-24"}).expected);
  CHECK(Supported(*m, 20, stod));
  CHECK(Supported(*m, 20, {"placering_hvb", "25-34"}));
  CHECK_FALSE(Supported(*m, 20, {"stodsamtal", "65+"}));
  CHECK_FALSE(Supported(*m, 20, {"stodsamtal", ""}));

  // The file keeps the levels and the terms, and refuses levels it could not have.
  EtrModel kept = *m;
  const std::string text = EtrModelJson(kept);
  const auto back = ParseEtrModel(text);
  REQUIRE(back.ok());
  EtrModel again = *back;
  CHECK(EtrModelJson(again) == text);
  CHECK(back->levels[0].levels[2].level == kOtherLevel);
  std::string swapped = text;
  swapped.replace(swapped.find("\"familjebehandling\""), 19, "\"zzz_familjebehandl\"");
  CHECK(ParseEtrModel(swapped).status().code() == absl::StatusCode::kInvalidArgument);

  // Without the episodes nothing links, so nothing is left to fit.
  CHECK(FitEtr(spec, g.set).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("outcomes: a curve spec's predictors are known names, each once", "[outcomes]") {
  const auto both =
      ParseEtrSpec(R"({"instrument":"ors","predictors":["age_band","intervention"]})");
  REQUIRE(both.ok());
  CHECK(both->predictors == std::vector<std::string>{"intervention", "age_band"});
  const auto none = ParseEtrSpec(R"({"instrument":"ors","predictors":[]})");
  REQUIRE(none.ok());
  CHECK(none->predictors.empty());
  for (const char* bad : {R"({"instrument":"ors","predictors":["sex"]})",
                          R"({"instrument":"ors","predictors":["age_band","age_band"]})",
                          R"({"instrument":"ors","predictors":"age_band"})",
                          R"({"instrument":"ors","predictors":[1]})"}) {
    INFO(bad);
    const auto refused = ParseEtrSpec(bad);
    CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(refused.status().message()).starts_with("spec.predictors"));
  }
}

TEST_CASE("outcomes: a trajectory is the latest case's series, a later form replacing",
          "[outcomes]") {
  const auto registry = instruments::Registry::WithBuiltins();
  const instruments::Instrument* ors = registry->Find("ors");
  REQUIRE(ors != nullptr);
  const auto form = [](std::string case_ref, int session, Date date, double total,
                       std::int64_t id) {
    store::Measurement m;
    m.id = id;
    m.client_ref = "K0000001";
    m.case_ref = std::move(case_ref);
    m.case_kind = "insats";
    m.instrument = "ors";
    m.session = session;
    m.date = date;
    m.total = total;
    return m;
  };
  std::vector<store::Measurement> journal = {
      form("c-2", 2, Date(2026, 3, 9), 22, 5), form("c-1", 1, Date(2025, 1, 7), 10, 1),
      form("c-2", 1, Date(2026, 3, 2), 17, 4), form("c-2", 2, Date(2026, 3, 10), 23, 6),
      form("c-1", 2, Date(2025, 1, 14), 12, 2)};
  const auto t = BuildTrajectory(*ors, journal);
  REQUIRE(t.ok());
  CHECK(t->case_ref == "c-2");
  REQUIRE(t->points.size() == 2);
  CHECK(t->intake() == 17);
  CHECK(t->points[1].total == 23);  // the later form of session 2
  CHECK(t->points[1].change == 6);
  // ORS: 17 -> 23 is at least the reliable change of 5 but ends below the adult cut-off of 25:
  // reliably improved, not recovered (Jacobson & Truax 1991).
  CHECK_FALSE(t->points[0].assessment.has_value());
  REQUIRE(t->points[1].assessment.has_value());
  CHECK(t->points[1].assessment->category == instruments::ChangeCategory::kReliablyImproved);
  const auto first = BuildTrajectory(*ors, journal, {}, "c-1");
  REQUIRE(first.ok());
  CHECK(first->points.size() == 2);
  CHECK(BuildTrajectory(*ors, journal, {}, "c-9").status().code() == absl::StatusCode::kNotFound);
  journal[0].client_ref = "K0000002";
  CHECK(BuildTrajectory(*ors, journal).status().code() == absl::StatusCode::kInvalidArgument);
}

// ---- Agency benchmarks ------------------------------------------------------------------------

namespace {

const instruments::Instrument& Ors() {
  const auto ors = instruments::Registry::Global().Get("ors");
  REQUIRE(ors.ok());
  return **ors;
}

// A hand-made register: one person's ORS series (sessions 1..n, `totals` in order, every form
// in `period`) and, unless `case_kind` is empty, their episode starting in `start`.
struct Register {
  std::vector<store::EpisodeRow> episodes;
  std::vector<store::RegisterMeasurementRow> rows;

  void Series(const std::string& pseudonym, std::string_view period, std::vector<double> totals) {
    for (std::size_t i = 0; i < totals.size(); ++i) {
      store::RegisterMeasurementRow r;
      r.pseudonym = pseudonym;
      r.key_epoch = 1;
      r.instrument = "ors";
      r.session = static_cast<int>(i) + 1;
      r.period = std::string(period);
      r.total = totals[i];
      rows.push_back(r);
    }
  }
  void Episode(const std::string& pseudonym, std::string_view start, std::string_view intervention,
               std::string_view outcome = "completed", std::string_view case_kind = "insats",
               std::string_view region = "01") {
    store::EpisodeRow e;
    e.pseudonym = pseudonym;
    e.key_epoch = 1;
    e.case_kind = std::string(case_kind);
    e.intervention = std::string(intervention);
    e.region = std::string(region);
    e.start_period = std::string(start);
    e.outcome = std::string(outcome);
    episodes.push_back(e);
  }
  // A person with one series and its episode, both in 2025-Q2.
  void Person(const std::string& pseudonym, std::string_view intervention, double intake,
              double last, std::string_view outcome = "completed") {
    Series(pseudonym, "2025-Q2", {intake, last});
    Episode(pseudonym, "2025-Q2", intervention, outcome);
  }
};

Benchmarks Compute(const Register& reg, BenchmarkBy by, int k, const EtrModel* curves = nullptr) {
  BenchmarkSpec spec;
  spec.by = by;
  spec.min_people = k;
  auto out = ComputeBenchmarks(spec, Ors(), reg.episodes, reg.rows, curves);
  INFO(out.status().message());
  REQUIRE(out.ok());
  return *std::move(out);
}

const BenchmarkGroup& Group(const Benchmarks& b, std::string_view name) {
  for (const BenchmarkGroup& g : b.groups) {
    if (g.name == name) return g;
  }
  FAIL("no group " << name);
  return b.service;
}

}  // namespace

TEST_CASE("outcomes: the severity-adjusted effect size is the ACORN residualised change",
          "[outcomes]") {
  // Six series, two groups; group A's intakes are the more severe (ORS: lower is worse).
  //   A (familjebehandling): intake 10 -> 22, 10 -> 20, 20 -> 27: change 12, 10, 7
  //   B (stodsamtal):        intake 20 -> 25, 30 -> 32, 30 -> 30: change  5,  2, 0
  // Over all six: mean intake 20, mean change 36 / 6 = 6;
  //   Sxx = 4 * 10^2 = 400, Sxy = -10*6 - 10*4 + 10*(-4) + 10*(-6) = -200,
  //   b = -200 / 400 = -0.5, a = 6 + 0.5 * 20 = 16: predicted 11 (intake 10), 6 (20), 1 (30),
  //   mean predicted 6; sd(intake) = sqrt(400 / 5) = sqrt(80).
  //   Residuals A: 1, -1, 1 (mean 1/3); B: -1, 1, -1 (mean -1/3).
  //   SAES_A = (6 + 1/3) / sqrt(80) = 0.708093..., SAES_B = (6 - 1/3) / sqrt(80) = 0.633548...
  //   ES_A = (29/3) / sqrt(80) = 1.080766..., ES_B = (7/3) / sqrt(80) = 0.260875...
  //   The service: ES = SAES = 6 / sqrt(80) = 0.670820...
  // The raw effect sizes differ fourfold; adjusted for intake, the groups are close.
  Register reg;
  reg.Person("a1", "familjebehandling", 10, 22);
  reg.Person("a2", "familjebehandling", 10, 20);
  reg.Person("a3", "familjebehandling", 20, 27);
  reg.Person("b1", "stodsamtal", 20, 25);
  reg.Person("b2", "stodsamtal", 30, 32);
  reg.Person("b3", "stodsamtal", 30, 30);
  const Benchmarks b = Compute(reg, BenchmarkBy::kIntervention, 3);
  REQUIRE(b.adjustment.has_value());
  CHECK(b.adjustment->slope == Approx(-0.5));
  CHECK(b.adjustment->intercept == Approx(16));
  CHECK(b.adjustment->sd_intake == Approx(std::sqrt(80.0)));
  CHECK(b.adjustment->mean_predicted_change == Approx(6));
  REQUIRE(b.service.figures.has_value());
  CHECK(b.service.figures->people == 6);
  CHECK(b.service.figures->mean_intake == Approx(20));
  CHECK(*b.service.figures->effect_size == Approx(0.670820).epsilon(1e-5));
  CHECK(*b.service.figures->severity_adjusted_effect_size == Approx(0.670820).epsilon(1e-5));
  REQUIRE(b.groups.size() == 2);
  const BenchmarkGroup& a = b.groups[0];
  const BenchmarkGroup& bb = b.groups[1];
  CHECK(a.name == "familjebehandling");
  CHECK(bb.name == "stodsamtal");
  REQUIRE((a.figures && bb.figures));
  CHECK(a.figures->mean_intake == Approx(40.0 / 3));
  CHECK(*a.figures->effect_size == Approx(1.080766).epsilon(1e-5));
  CHECK(*bb.figures->effect_size == Approx(0.260875).epsilon(1e-5));
  CHECK(*a.figures->severity_adjusted_effect_size == Approx(0.708093).epsilon(1e-5));
  CHECK(*bb.figures->severity_adjusted_effect_size == Approx(0.633548).epsilon(1e-5));
  // Jacobson-Truax with ORS reliable change 5 and adult cut-off 25 (below it is clinical):
  // A: +12 to 22 and +10 to 20 reliably improved, still clinical; +7 to 27 recovered.
  // B: +5 to 25 recovered (exactly the reliable change; 25 is not clinical); +2 and 0 not.
  CHECK(a.figures->reliable_improvement == Approx(1.0));
  CHECK(a.figures->recovered == Approx(1.0 / 3));
  CHECK(bb.figures->reliable_improvement == Approx(1.0 / 3));
  CHECK(bb.figures->recovered == Approx(1.0 / 3));
  CHECK(b.target == "recovered");
  CHECK(*a.figures->reaching_target == Approx(1.0 / 3));
}

TEST_CASE("outcomes: benchmark rates are the AssessChange categories of intake against last",
          "[outcomes]") {
  // ORS, reliable change 5, adult cut-off 25 (the respondent's age unknown).
  Register reg;
  reg.Series("r1", "2025-Q2", {18, 10, 23});  // +5 from intake at the last session: improved
  reg.Series("r2", "2025-Q2", {20, 24});      // +4: no reliable change
  reg.Series("r3", "2025-Q2", {24, 29});      // +5, clinical to not: recovered
  reg.Series("r4", "2025-Q2", {30, 25});      // -5: reliably deteriorated
  reg.Series("r5", "2025-Q2", {30, 26});      // -4: no reliable change
  reg.Series("r6", "2025-Q2", {26, 31});      // +5 from a non-clinical intake: improved only
  reg.Series("r7", "2025-Q2", {12, 16.9});    // +4.9: no reliable change
  const Benchmarks b = Compute(reg, BenchmarkBy::kService, 2);
  CHECK(b.groups.empty());
  REQUIRE(b.service.figures.has_value());
  const BenchmarkFigures& f = *b.service.figures;
  CHECK(f.series == 7);
  CHECK(f.reliable_improvement == Approx(3.0 / 7));
  CHECK(f.recovered == Approx(1.0 / 7));
  CHECK(f.reliable_deterioration == Approx(1.0 / 7));
  CHECK(f.target_series == 7);
  CHECK(*f.reaching_target == Approx(1.0 / 7));
  // No episode: nothing is linked, no dropout is known.
  CHECK(*b.unlinked_series == 7);
  CHECK(f.ended_series == 0);
  CHECK_FALSE(f.dropout.has_value());

  // An instrument without a change rule has no direction of improvement.
  const auto soc13 = instruments::Registry::Global().Get("soc13");
  REQUIRE(soc13.ok());
  BenchmarkSpec spec;
  spec.instrument = "soc13";
  CHECK(ComputeBenchmarks(spec, **soc13, reg.episodes, reg.rows).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  spec.instrument = "ors";
  spec.min_people = 1;
  CHECK(ComputeBenchmarks(spec, Ors(), reg.episodes, reg.rows).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("outcomes: a series is linked to the insats episode starting in its intake period",
          "[outcomes]") {
  Register reg;
  // x: an episode from 2025-Q1; the series begun then is linked, the one begun in 2025-Q2 not.
  reg.Episode("x", "2025-Q1", "stodsamtal");
  reg.Series("x", "2025-Q1", {15, 25});
  reg.Series("x", "2025-Q2", {15, 20});
  // y: the episode in the intake's period is an utredning, not an insats.
  reg.Episode("y", "2025-Q2", "stodsamtal", "dropout", "utredning");
  reg.Series("y", "2025-Q2", {15, 25});
  // z: two insats episodes from the intake's period: which one is unknown.
  reg.Episode("z", "2025-Q2", "stodsamtal");
  reg.Episode("z", "2025-Q2", "kontaktperson");
  reg.Series("z", "2025-Q2", {15, 25});
  // w1..w3 linked: a dropout, a completion and an episode still open.
  reg.Person("w1", "stodsamtal", 15, 14, "dropout");
  reg.Person("w2", "stodsamtal", 15, 25, "completed");
  reg.Person("w3", "stodsamtal", 15, 20, "");
  const Benchmarks b = Compute(reg, BenchmarkBy::kIntervention, 2);
  CHECK(*b.unlinked_series == 3);
  REQUIRE(b.service.figures.has_value());
  CHECK(b.service.figures->series == 7);
  CHECK(b.service.figures->people == 6);
  REQUIRE(b.groups.size() == 1);
  const BenchmarkGroup& g = Group(b, "stodsamtal");
  REQUIRE(g.figures.has_value());
  CHECK(g.figures->series == 4);  // x's first series and w1..w3
  CHECK(g.figures->people == 4);
  // Dropout among the linked series whose episode ended: x's first, w1 and w2 (w3 is open;
  // y's dropout is an utredning's).
  CHECK(g.figures->ended_series == 3);
  CHECK(*g.figures->dropout == Approx(1.0 / 3));
  CHECK(*b.service.figures->dropout == Approx(1.0 / 3));
}

TEST_CASE("outcomes: a benchmark group below k is protected, and one more when it is alone",
          "[outcomes]") {
  Register reg;
  for (int i = 0; i < 6; ++i)
    reg.Person(Cat({"f", std::to_string(i)}), "familjebehandling", 15, 22);
  for (int i = 0; i < 5; ++i) reg.Person(Cat({"s", std::to_string(i)}), "stodsamtal", 18, 20);
  for (int i = 0; i < 2; ++i) reg.Person(Cat({"k", std::to_string(i)}), "kontaktperson", 12, 30);

  SECTION("one group below k: the next smallest is protected too") {
    const Benchmarks b = Compute(reg, BenchmarkBy::kIntervention, 5);
    REQUIRE(b.service.figures.has_value());
    CHECK(b.service.figures->people == 13);
    CHECK(Group(b, "kontaktperson").is_protected);
    CHECK_FALSE(Group(b, "kontaktperson").figures.has_value());
    CHECK(Group(b, "stodsamtal").is_protected);  // 5 >= k, but 13 - 6 would give 2
    CHECK_FALSE(Group(b, "stodsamtal").figures.has_value());
    CHECK_FALSE(Group(b, "familjebehandling").is_protected);
    CHECK(Group(b, "familjebehandling").figures->people == 6);
    // The JSON keeps a protected row's name and nulls every figure.
    const auto json = ParseJson(BenchmarksJson(b), "benchmarks");
    REQUIRE(json.ok());
    CHECK((*json)["format"] == "varsam-outcome-benchmarks/1");
    CHECK((*json)["groups"][0]["group"] == "service");
    CHECK((*json)["groups"][1]["group"] == "familjebehandling");
    const nlohmann::json& protected_row = (*json)["groups"][2];
    CHECK(protected_row["group"] == "kontaktperson");
    CHECK(protected_row["protected"] == true);
    for (const auto& [key, value] : protected_row.items()) {
      if (key != "group" && key != "service" && key != "protected") {
        INFO(key);
        CHECK(value.is_null());
      }
    }
    CHECK(BenchmarksJson(b).find("\"f0\"") == std::string::npos);  // no pseudonym
  }
  SECTION("two groups below k: nothing more is protected") {
    for (int i = 0; i < 3; ++i) reg.Person(Cat({"b", std::to_string(i)}), "boendestod", 12, 30);
    const Benchmarks b = Compute(reg, BenchmarkBy::kIntervention, 5);
    CHECK(Group(b, "kontaktperson").is_protected);
    CHECK(Group(b, "boendestod").is_protected);
    CHECK_FALSE(Group(b, "stodsamtal").is_protected);
    CHECK(Group(b, "stodsamtal").figures->people == 5);
  }
  SECTION("people, not series, count: two series of one person are one person") {
    reg.Episode("s0", "2025-Q4", "stodsamtal");
    reg.Series("s0", "2025-Q4", {18, 24});
    reg.episodes.erase(reg.episodes.begin() + 7);  // s1's episode: s1 is unlinked
    const Benchmarks b = Compute(reg, BenchmarkBy::kIntervention, 5);
    CHECK(Group(b, "stodsamtal").is_protected);  // 5 series of 4 people
    CHECK(Group(b, "stodsamtal").figures == std::nullopt);
    CHECK(Group(b, "kontaktperson").is_protected);
    CHECK_FALSE(Group(b, "familjebehandling").is_protected);  // two protected already
    CHECK(b.service.figures->people == 13);
    CHECK(*b.unlinked_series == 1);
  }
  SECTION("a service below k protects every group") {
    const Benchmarks b = Compute(reg, BenchmarkBy::kRegion, 20);
    CHECK(b.service.is_protected);
    CHECK_FALSE(b.service.figures.has_value());
    CHECK_FALSE(b.adjustment.has_value());
    CHECK_FALSE(b.unlinked_series.has_value());
    REQUIRE(b.groups.size() == 1);
    CHECK(b.groups[0].name == "01");
    CHECK(b.groups[0].is_protected);
  }
}

TEST_CASE("outcomes: with curves, reaching target is the last session on the expected curve",
          "[outcomes]") {
  // SampleModel: expected at session 3 for intake 20 is
  // 4 + 6 l + 0.9 * 20 - 0.2 * 20 l with l = log 3: 22 + 2 log 3 = 24.197...
  // Intakes below 5 lie in a suppressed bin: no target.
  EtrModel curves = SampleModel();
  curves.spec.max_session = 3;
  curves.sha256 = std::string(64, 'a');
  Register reg;
  reg.Series("t1", "2025-Q2", {20, 21, 24.3});    // on target at session 3
  reg.Series("t2", "2025-Q2", {20, 30, 24.1});    // below: the last session counts
  reg.Series("t3", "2025-Q2", {20, 21, 23, 40});  // session 4 is beyond the curves: 3 counts
  reg.Series("t4", "2025-Q2", {3, 30});           // unsupported intake: no target
  const Benchmarks b = Compute(reg, BenchmarkBy::kService, 2, &curves);
  CHECK(b.target == "etr");
  CHECK(b.curves_sha256 == curves.sha256);
  REQUIRE(b.service.figures.has_value());
  CHECK(b.service.figures->target_series == 3);
  CHECK(*b.service.figures->reaching_target == Approx(1.0 / 3));
  EtrModel other = curves;
  other.spec.instrument = "phq9";
  BenchmarkSpec spec;
  CHECK(ComputeBenchmarks(spec, Ors(), reg.episodes, reg.rows, &other).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("outcomes: a curve spec keeps its defaults and names the key it refuses", "[outcomes]") {
  const auto minimal = ParseEtrSpec(R"({"instrument": "cors"})");
  REQUIRE(minimal.ok());
  CHECK(minimal->instrument == "cors");
  const EtrSpec defaults;
  CHECK(minimal->boundary_percentile == defaults.boundary_percentile);
  CHECK(minimal->max_session == defaults.max_session);
  CHECK(minimal->min_support == defaults.min_support);
  CHECK(minimal->bin_width == defaults.bin_width);
  const auto full = ParseEtrSpec(
      R"({"instrument": "ors", "boundary_percentile": 25, "max_session": 12.0, "min_support": 10,
          "bin_width": 2.5})");
  REQUIRE(full.ok());
  CHECK(full->boundary_percentile == 25);
  CHECK(full->max_session == 12);
  CHECK(full->min_support == 10);
  CHECK(full->bin_width == 2.5);
  const auto refused = [](std::string_view json) {
    const auto spec = ParseEtrSpec(json);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(spec.status().message());
  };
  CHECK(refused(R"({"max_session": 20})") == "spec.instrument: is required");
  CHECK(refused(R"({"instrument": ""})") == "spec.instrument: must not be empty");
  CHECK(refused(R"({"instrument": 7})") == "spec.instrument: must be a string");
  CHECK(refused(R"({"instrument": "ors", "namn": "Anna"})") == "spec: unknown key 'namn'");
  CHECK(refused(R"({"instrument": "ors", "boundary_percentile": 50})") ==
        "spec.boundary_percentile: must lie between 0 and 50");
  CHECK(refused(R"({"instrument": "ors", "boundary_percentile": "10"})") ==
        "spec.boundary_percentile: must be a number");
  CHECK(refused(R"({"instrument": "ors", "max_session": 1})").starts_with("spec.max_session:"));
  CHECK(refused(R"({"instrument": "ors", "max_session": 2.5})").starts_with("spec.max_session:"));
  CHECK(refused(R"({"instrument": "ors", "min_support": 1})").starts_with("spec.min_support:"));
  CHECK(refused(R"({"instrument": "ors", "bin_width": 0})") ==
        "spec.bin_width: must be a positive number");
  CHECK(refused("[]") == "spec: must be an object");
  const std::string bad_value = refused(R"({"instrument": "ors", "max_session": "198001022386"})");
  CHECK(bad_value.find("1980") == std::string::npos);
}

TEST_CASE("outcomes: a benchmark request keeps its defaults and names the key it refuses",
          "[outcomes]") {
  const auto minimal = ParseBenchmarkSpec(R"({"instrument": "phq9"})");
  REQUIRE(minimal.ok());
  CHECK(minimal->instrument == "phq9");
  const BenchmarkSpec defaults;
  CHECK(minimal->by == defaults.by);
  CHECK(minimal->min_people == defaults.min_people);
  CHECK(minimal->max_session == defaults.max_session);
  for (const auto& [name, by] : {std::pair{"service", BenchmarkBy::kService},
                                 std::pair{"intervention", BenchmarkBy::kIntervention},
                                 std::pair{"region", BenchmarkBy::kRegion}}) {
    const auto spec = ParseBenchmarkSpec(Cat({R"({"instrument": "ors", "by": ")", name, R"("})"}));
    REQUIRE(spec.ok());
    CHECK(spec->by == by);
  }
  const auto full = ParseBenchmarkSpec(
      R"({"instrument": "ors", "by": "region", "min_people": 10.0, "max_session": 12})");
  REQUIRE(full.ok());
  CHECK(full->by == BenchmarkBy::kRegion);
  CHECK(full->min_people == 10);
  CHECK(full->max_session == 12);
  // The bounds are inclusive.
  const auto edges =
      ParseBenchmarkSpec(R"({"instrument": "ors", "min_people": 2, "max_session": 200})");
  REQUIRE(edges.ok());
  CHECK(edges->min_people == 2);
  CHECK(edges->max_session == 200);
  const auto refused = [](std::string_view json) {
    const auto spec = ParseBenchmarkSpec(json);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(spec.status().message());
  };
  CHECK(refused(R"({"by": "service"})") == "spec.instrument: is required");
  CHECK(refused(R"({"instrument": ""})") == "spec.instrument: must not be empty");
  CHECK(refused(R"({"instrument": null})") == "spec.instrument: must be a string");
  CHECK(refused(R"({"instrument": "ors", "k": 5})") == "spec: unknown key 'k'");
  CHECK(refused(R"({"instrument": "ors", "by": "team"})") ==
        R"(spec.by: must be "service", "intervention" or "region")");
  CHECK(refused(R"({"instrument": "ors", "by": 1})").starts_with("spec.by:"));
  CHECK(refused(R"({"instrument": "ors", "by": "Service"})").starts_with("spec.by:"));
  CHECK(refused(R"({"instrument": "ors", "min_people": 1})").starts_with("spec.min_people:"));
  CHECK(refused(R"({"instrument": "ors", "min_people": 5.5})").starts_with("spec.min_people:"));
  CHECK(refused(R"({"instrument": "ors", "min_people": "5"})").starts_with("spec.min_people:"));
  CHECK(refused(R"({"instrument": "ors", "max_session": 1})").starts_with("spec.max_session:"));
  CHECK(refused(R"({"instrument": "ors", "max_session": 201})").starts_with("spec.max_session:"));
  CHECK(refused("[]") == "spec: must be an object");
  CHECK(refused(R"({"instrument": )").starts_with("spec"));
  // Messages name the key, never the value a person typed.
  CHECK(refused(R"({"instrument": "ors", "by": "198001022386"})").find("1980") ==
        std::string::npos);
  CHECK(refused(R"({"instrument": "ors", "min_people": "198001022386"})").find("1980") ==
        std::string::npos);
}

}  // namespace varsam::outcomes
