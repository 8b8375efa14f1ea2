// Tests of varsam/models.h: the strict specification loader, the training set built from
// register rows (levels below k merged), the logistic learner against a known logistic model,
// and the evaluation against hand-worked figures. Every register here is synthetic, drawn from
// a seeded generator inside the test.

#include "varsam/models.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catch2/catch.hpp"
#include "varsam/core.h"
#include "varsam/store.h"

namespace {

using varsam::StatusMessage;
using varsam::models::BuildTrainingSet;
using varsam::models::Evaluate;
using varsam::models::FeatureKind;
using varsam::models::Fit;
using varsam::models::ModelSpec;
using varsam::models::ParseModelSpec;
using varsam::store::EpisodeRow;
using varsam::store::RegisterMeasurementRow;

double Sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

// The known model the synthetic register follows: logit P(dropout) = intercept + the effect of
// each feature's level (0 for the reference level, which is also the most common one).
constexpr double kIntercept = -1.2;
const std::map<std::string, double>& TrueEffects() {
  static const auto* effects =
      new std::map<std::string, double>{{"age_band=18-24", 0.5},
                                        {"age_band=35-49", -0.3},
                                        {"age_band=50-64", -0.6},
                                        {"sex=male", 0.4},
                                        {"intervention=familjebehandling", -0.5},
                                        {"intervention=stodsamtal", 0.6},
                                        {"intervention=boendestod", -0.3},
                                        {"intake_total:phq9=[8, 14)", 0.4},
                                        {"intake_total:phq9=[14, 20)", 0.8},
                                        {"intake_total:phq9=>= 20", 1.2},
                                        {"intake_total:phq9=(missing)", 0.2},
                                        {"earlier_episodes=1", 0.3},
                                        {"earlier_episodes=2", 0.5}};
  return *effects;
}

struct Register {
  std::vector<EpisodeRow> episodes;
  std::vector<RegisterMeasurementRow> measurements;
  std::vector<double> true_probability;  // per episode, in order
};

std::string Pseudonym(int person) {
  const std::string digits = std::to_string(person);
  return std::string("p1_").append(43 - digits.size(), 'A').append(digits);
}

template <typename T>
const T& Pick(std::mt19937_64& rng, const std::vector<T>& values,
              const std::vector<double>& weights) {
  std::discrete_distribution<std::size_t> d(weights.begin(), weights.end());
  return values[d(rng)];
}

// `people` synthetic people with 1 to 3 episodes each (in successive years); the first episode
// of each of `rare_people` people has the intervention "arbetstraning".
Register MakeRegister(int people, std::uint64_t seed, int rare_people) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const std::vector<std::string> ages = {"25-34", "18-24", "35-49", "50-64"};
  const std::vector<std::string> sexes = {"female", "male"};
  const std::vector<std::string> interventions = {"missbruk_oppenvard", "familjebehandling",
                                                  "stodsamtal", "boendestod"};
  const std::vector<double> totals = {2, 8, 14, 20};
  const std::vector<std::string> total_levels = {"", "[8, 14)", "[14, 20)", ">= 20"};
  const auto& effect = TrueEffects();
  const auto at = [&](const std::string& column) {
    const auto found = effect.find(column);
    return found == effect.end() ? 0.0 : found->second;
  };
  Register reg;
  for (int person = 0; person < people; ++person) {
    const std::string& age = Pick(rng, ages, {0.35, 0.2, 0.25, 0.2});
    const std::string& sex = Pick(rng, sexes, {0.55, 0.45});
    const int episodes = static_cast<int>(Pick(rng, std::vector<int>{1, 2, 3}, {0.6, 0.3, 0.1}));
    for (int e = 0; e < episodes; ++e) {
      EpisodeRow row;
      row.pseudonym = Pseudonym(person);
      row.key_epoch = 1;
      row.age_band = age;
      row.sex = sex;
      row.region = "01";
      row.case_kind = "insats";
      row.intervention = Pick(rng, interventions, {0.35, 0.25, 0.2, 0.2});
      if (e == 0 && person < rare_people) row.intervention = "arbetstraning";
      const int quarter = 1 + static_cast<int>(rng() % 4);
      row.start_period = std::to_string(2022 + e).append("-Q").append(std::to_string(quarter));
      row.end_period = row.start_period;
      row.record_key = rng() | 1;
      double z = kIntercept + at("age_band=" + age) + at("sex=" + sex) +
                 at("intervention=" + row.intervention) +
                 at("earlier_episodes=" + std::to_string(e));
      if (u(rng) < 0.05) {
        z += at("intake_total:phq9=(missing)");
      } else {
        const auto level = static_cast<std::size_t>(rng() % 4);
        z += at("intake_total:phq9=" + total_levels[level]);
        RegisterMeasurementRow m;
        m.pseudonym = row.pseudonym;
        m.key_epoch = 1;
        m.instrument = "phq9";
        m.session = 1;
        m.period = row.start_period;
        m.total = totals[level];
        m.record_key = rng() | 1;
        reg.measurements.push_back(m);
      }
      const double p = Sigmoid(z);
      row.outcome = u(rng) < p ? "dropout" : (u(rng) < 0.5 ? "completed" : "improved");
      reg.true_probability.push_back(p);
      reg.episodes.push_back(row);
    }
  }
  return reg;
}

constexpr std::string_view kSpecJson = R"({
  "target": "dropout",
  "population": {"case_kinds": ["insats"]},
  "features": ["age_band", "sex", "intervention",
               {"feature": "intake_total", "instrument": "phq9", "bins": 4},
               "earlier_episodes"],
  "learner": {"kind": "logistic", "l2": [0.1, 1, 10], "folds": 5, "seed": 7},
  "min_support": 10
})";

ModelSpec Spec() {
  const auto spec = ParseModelSpec(kSpecJson);
  REQUIRE(spec.ok());
  return *spec;
}

std::string Message(const absl::Status& status) { return std::string(StatusMessage(status)); }

}  // namespace

TEST_CASE("models: a specification is read with every field", "[models]") {
  const ModelSpec spec = Spec();
  CHECK(spec.target == "dropout");
  CHECK(spec.case_kinds == std::vector<std::string>{"insats"});
  REQUIRE(spec.features.size() == 5);
  CHECK(spec.features[0].kind == FeatureKind::kAgeBand);
  CHECK(spec.features[3].kind == FeatureKind::kIntakeTotal);
  CHECK(spec.features[3].instrument == "phq9");
  CHECK(spec.features[3].bins == 4);
  CHECK(spec.lambdas == std::vector<double>{0.1, 1, 10});
  CHECK(spec.folds == 5);
  CHECK(spec.seed == 7);
  CHECK(spec.min_support == 10);
  const auto defaults = ParseModelSpec(
      R"({"target": "improved", "features": ["sex"], "learner": {"kind": "logistic"}})");
  REQUIRE(defaults.ok());
  CHECK(defaults->min_support == 10);
  CHECK(defaults->lambdas == std::vector<double>{1.0});
}

TEST_CASE("models: a malformed specification is refused naming the field, never the value",
          "[models]") {
  struct Case {
    std::string json;
    std::string field;
  };
  const std::string secret = "secret-value-q";
  const std::vector<Case> cases = {
      {"[]", "spec"},
      {"{\"target\": \"dropout\", \"features\": [\"sex\"], \"learner\": {\"kind\": "
       "\"logistic\"}, \"colour\": 1}",
       "spec: unknown key 'colour'"},
      {"{\"target\": \"" + secret +
           "\", \"features\": [\"sex\"], \"learner\": {\"kind\": "
           "\"logistic\"}}",
       "spec.target"},
      {R"({"features": ["sex"], "learner": {"kind": "logistic"}})", "spec.target"},
      {R"({"target": "dropout", "features": [], "learner": {"kind": "logistic"}})",
       "spec.features"},
      {"{\"target\": \"dropout\", \"features\": [\"sex\", \"" + secret +
           "\"], \"learner\": {\"kind\": \"logistic\"}}",
       "spec.features[1]"},
      {R"({"target": "dropout", "features": ["sex", "sex"], "learner": {"kind": "logistic"}})",
       "spec.features[1]"},
      {R"({"target": "dropout", "features": [{"feature": "intake_total"}],
           "learner": {"kind": "logistic"}})",
       "spec.features[0].instrument"},
      {R"({"target": "dropout", "features": [{"feature": "sex", "bins": 3}],
           "learner": {"kind": "logistic"}})",
       "spec.features[0]"},
      {R"({"target": "dropout", "features": [{"feature": "intake_total", "instrument": "phq9",
           "bins": 1}], "learner": {"kind": "logistic"}})",
       "spec.features[0].bins"},
      {R"({"target": "dropout", "features": ["sex"]})", "spec.learner"},
      {R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "forest"}})",
       "spec.learner.kind"},
      {R"({"target": "dropout", "features": ["sex"],
           "learner": {"kind": "logistic", "l2": [1, -2]}})",
       "spec.learner.l2[1]"},
      {R"({"target": "dropout", "features": ["sex"],
           "learner": {"kind": "logistic", "folds": 1}})",
       "spec.learner.folds"},
      {R"({"target": "dropout", "features": ["sex"],
           "learner": {"kind": "logistic", "seed": -1}})",
       "spec.learner.seed"},
      {R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "logistic"},
           "min_support": 1})",
       "spec.min_support"},
      {"{\"target\": \"dropout\", \"features\": [\"sex\"], \"learner\": {\"kind\": "
       "\"logistic\"}, \"population\": {\"case_kinds\": [\"" +
           secret + "\"]}}",
       "spec.population.case_kinds[0]"},
      {"{\"target\": \"dropout\", \"features\": [\"sex\"], \"learner\": {\"kind\": "
       "\"logistic\"}, \"population\": {\"period\": {\"from\": \"" +
           secret + "\"}}}",
       "spec.population.period.from"},
      {R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "logistic"},
           "population": {"period": {"from": "2025", "to": "2024-Q2"}}})",
       "spec.population.period"},
      {R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "logistic"},
           "population": {"interventions": ["Not A Code"]}})",
       "spec.population.interventions[0]"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    const auto spec = ParseModelSpec(c.json);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message = Message(spec.status());
    CHECK(message.find(c.field) == 0);
    CHECK(message.find(secret) == std::string::npos);
  }
}

TEST_CASE("models: the learned coefficients recover a known logistic model", "[models]") {
  const Register reg = MakeRegister(20000, 20261204, 5);
  const ModelSpec spec = Spec();
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  CHECK(training->rows == reg.episodes.size());
  CHECK(training->left_out == 0);
  const auto fit = Fit(spec, *training);
  REQUIRE(fit.ok());
  const auto& coefficients = fit->model.coefficients();
  REQUIRE(coefficients.size() == training->column_names.size() + 1);
  CHECK(coefficients[0].name == "(intercept)");

  // Every true effect has a coefficient of its sign within three standard errors, and the
  // model has no column the truth does not know (so none for the rare intervention).
  std::set<std::string> seen;
  for (const auto& c : coefficients) {
    const double truth = c.name == "(intercept)" ? kIntercept : TrueEffects().at(c.name);
    INFO(c.name << ": " << c.estimate << " (se " << c.standard_error << "), truth " << truth);
    CHECK(c.standard_error > 0);
    CHECK(c.standard_error < 0.2);
    CHECK(std::signbit(c.estimate) == std::signbit(truth));
    CHECK(std::abs(c.estimate - truth) <= 3 * c.standard_error);
    seen.insert(c.name);
  }
  CHECK(seen.size() == TrueEffects().size() + 1);

  // Out of fold, the model ranks as well as the truth (the Bayes AUC on the same episodes)
  // and is calibrated.
  const auto bayes = Evaluate(reg.true_probability, training->labels);
  REQUIRE(bayes.ok());
  const auto& e = fit->evaluation;
  INFO("AUC " << e.auc << " [" << e.auc_low << ", " << e.auc_high << "], Bayes AUC " << bayes->auc
              << ", slope " << e.calibration_slope << ", in the large "
              << e.calibration_in_the_large << ", ECE " << e.ece << ", Brier " << e.brier
              << ", lambda " << fit->model.lambda());
  CHECK(std::abs(e.auc - bayes->auc) <= 0.01);
  CHECK(e.auc_low < e.auc);
  CHECK(e.auc < e.auc_high);
  CHECK(e.calibration_slope >= 0.9);
  CHECK(e.calibration_slope <= 1.1);
  CHECK(std::abs(e.calibration_in_the_large) <= 0.1);
  CHECK(e.ece < 0.03);
  CHECK(fit->cv.size() == 3);
  WARN("models: AUC " << e.auc << " [" << e.auc_low << ", " << e.auc_high << "] vs Bayes "
                      << bayes->auc << "; slope " << e.calibration_slope << "; in the large "
                      << e.calibration_in_the_large << "; ECE " << e.ece << "; Brier " << e.brier
                      << "; lambda " << fit->model.lambda());
}

TEST_CASE("models: a level covering fewer than k pseudonyms has no coefficient", "[models]") {
  const Register reg = MakeRegister(3000, 11, 5);  // 5 people had "arbetstraning"
  const ModelSpec spec = Spec();
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  for (const std::string& name : training->column_names) {
    CHECK(name.find("arbetstraning") == std::string::npos);
    CHECK(name.find("(other)") == std::string::npos);  // 5 < k: "other" went to the reference
  }
  const auto& intervention = training->features[2];
  CHECK(intervention.name == "intervention");
  CHECK(intervention.merged == std::vector<std::string>{"arbetstraning"});
  CHECK(intervention.levels.front() == "missbruk_oppenvard");

  // With 12 people over three rare interventions, "(other)" reaches k and gets a column.
  Register more = MakeRegister(3000, 12, 0);
  const std::vector<std::string> rare = {"arbetstraning", "kontaktperson", "annat"};
  for (std::size_t i = 0; i < 12; ++i) {
    for (auto& e : more.episodes) {
      if (e.pseudonym == Pseudonym(static_cast<int>(i))) e.intervention = rare[i % 3];
    }
  }
  const auto other = BuildTrainingSet(spec, more.episodes, more.measurements);
  REQUIRE(other.ok());
  CHECK(std::count(other->column_names.begin(), other->column_names.end(),
                   "intervention=(other)") == 1);
  CHECK(other->features[2].merged.size() == 3);

  // The property: every column is 1 for at least k distinct pseudonyms.
  for (const auto* set : {&*training, &*other}) {
    for (std::size_t c = 0; c < set->column_names.size(); ++c) {
      std::set<std::int32_t> people;
      for (std::size_t r = 0; r < set->rows; ++r) {
        if (set->design[c * set->rows + r] == 1) people.insert(set->groups[r]);
      }
      INFO(set->column_names[c]);
      CHECK(people.size() >= static_cast<std::size_t>(spec.min_support));
    }
  }
}

TEST_CASE("models: rows outside the population are left out", "[models]") {
  Register reg = MakeRegister(2000, 5, 0);
  for (std::size_t i = 0; i < reg.episodes.size(); i += 4) reg.episodes[i].case_kind = "utredning";
  reg.episodes[1].outcome = "";
  ModelSpec spec = Spec();
  spec.period_to = "2022";
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  std::size_t expected = 0;
  for (const auto& e : reg.episodes) {
    if (e.case_kind == "insats" && !e.outcome.empty() && e.start_period.starts_with("2022")) {
      ++expected;
    }
  }
  CHECK(training->rows == expected);
  CHECK(training->left_out == reg.episodes.size() - expected);
  // Only first episodes start in 2022: every row has no earlier episode.
  for (const auto& row : training->raw) CHECK(row[4].level == "0");
}

TEST_CASE("models: a fit is deterministic for a seed, and the seed assigns the folds", "[models]") {
  const Register reg = MakeRegister(3000, 99, 0);
  ModelSpec spec = Spec();
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  const auto a = Fit(spec, *training);
  const auto b = Fit(spec, *training);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->model.coefficients().size() == b->model.coefficients().size());
  for (std::size_t i = 0; i < a->model.coefficients().size(); ++i) {
    CHECK(a->model.coefficients()[i].estimate == b->model.coefficients()[i].estimate);
    CHECK(a->model.coefficients()[i].standard_error == b->model.coefficients()[i].standard_error);
  }
  CHECK(a->out_of_fold == b->out_of_fold);
  CHECK(a->evaluation.auc == b->evaluation.auc);
  spec.seed = 8;
  const auto c = Fit(spec, *training);
  REQUIRE(c.ok());
  CHECK(c->out_of_fold != a->out_of_fold);
}

// A plain dense reference of docs/models.md, "The learner", written apart from the library: a
// Newton step over every row of the dense design (intercept column first), the full Hessian
// solved by Cholesky, step halving; no collapsing of identical rows.
struct DenseFit {
  std::vector<double> beta;
  std::vector<double> standard_error;
};

// Solves a x = b for a symmetric positive definite p x p matrix a (row-major).
std::vector<double> CholeskySolve(std::vector<double> a, std::vector<double> b, std::size_t p) {
  for (std::size_t j = 0; j < p; ++j) {
    for (std::size_t k = 0; k < j; ++k) a[j * p + j] -= a[j * p + k] * a[j * p + k];
    a[j * p + j] = std::sqrt(a[j * p + j]);
    for (std::size_t i = j + 1; i < p; ++i) {
      for (std::size_t k = 0; k < j; ++k) a[i * p + j] -= a[i * p + k] * a[j * p + k];
      a[i * p + j] /= a[j * p + j];
    }
  }
  for (std::size_t i = 0; i < p; ++i) {  // L z = b
    for (std::size_t k = 0; k < i; ++k) b[i] -= a[i * p + k] * b[k];
    b[i] /= a[i * p + i];
  }
  for (std::size_t i = p; i-- > 0;) {  // L' x = z
    for (std::size_t k = i + 1; k < p; ++k) b[i] -= a[k * p + i] * b[k];
    b[i] /= a[i * p + i];
  }
  return b;
}

DenseFit DenseNewton(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                     double lambda) {
  const std::size_t p = x[0].size();
  const auto objective = [&](const std::vector<double>& beta) {
    double sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      double z = 0;
      for (std::size_t j = 0; j < p; ++j) z += x[i][j] * beta[j];
      sum += std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0) - y[i] * z;
    }
    for (std::size_t j = 1; j < p; ++j) sum += 0.5 * lambda * beta[j] * beta[j];
    return sum;
  };
  const auto gradient_hessian = [&](const std::vector<double>& beta, std::vector<double>& g,
                                    std::vector<double>& h) {
    g.assign(p, 0.0);
    h.assign(p * p, 0.0);
    for (std::size_t j = 1; j < p; ++j) {
      g[j] = -lambda * beta[j];
      h[j * p + j] = lambda;
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      double z = 0;
      for (std::size_t j = 0; j < p; ++j) z += x[i][j] * beta[j];
      const double prob = Sigmoid(z);
      for (std::size_t j = 0; j < p; ++j) {
        g[j] += (y[i] - prob) * x[i][j];
        for (std::size_t k = 0; k < p; ++k) h[j * p + k] += prob * (1 - prob) * x[i][j] * x[i][k];
      }
    }
  };
  std::vector<double> beta(p, 0.0);
  std::vector<double> g;
  std::vector<double> h;
  for (int iteration = 0; iteration < 50; ++iteration) {
    gradient_hessian(beta, g, h);
    const std::vector<double> step = CholeskySolve(h, g, p);
    const double current = objective(beta);
    double t = 1;
    std::vector<double> next(p);
    for (int halving = 0; halving < 30; ++halving, t /= 2) {
      for (std::size_t j = 0; j < p; ++j) next[j] = beta[j] + t * step[j];
      if (objective(next) <= current) break;
    }
    double largest = 0;
    for (std::size_t j = 0; j < p; ++j) largest = std::max(largest, std::abs(next[j] - beta[j]));
    beta = next;
    if (largest < 1e-13) break;  // Newton converges quadratically: this is the optimum
  }
  gradient_hessian(beta, g, h);
  DenseFit fit{beta, {}};
  for (std::size_t j = 0; j < p; ++j) {
    std::vector<double> unit(p, 0.0);
    unit[j] = 1;
    fit.standard_error.push_back(std::sqrt(CholeskySolve(h, unit, p)[j]));
  }
  return fit;
}

TEST_CASE("models: a fit equals a plain dense fit over every row", "[models]") {
  // Fit collapses identical rows into weighted patterns; the reference fits the rows one by one
  // with the folds and the choice of lambda as docs/models.md states them. Newton stops at a
  // gradient of 1e-10 per row, so both agree to about 1e-11 here; 1e-9 is the bound.
  const Register reg = MakeRegister(1500, 42, 0);
  const ModelSpec spec = Spec();
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  const auto fit = Fit(spec, *training);
  REQUIRE(fit.ok());
  const std::size_t n = training->rows;
  const std::size_t columns = training->column_names.size();
  std::vector<std::vector<double>> x(n, std::vector<double>(columns + 1, 1.0));
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < columns; ++c) x[r][c + 1] = training->design[c * n + r];
  }
  std::vector<std::int32_t> order(training->pseudonyms);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int32_t>(i);
  std::mt19937_64 rng(spec.seed);
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    std::swap(order[i], order[static_cast<std::size_t>(rng() % (i + 1))]);
  }
  std::vector<int> fold_of_group(order.size());
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    fold_of_group[static_cast<std::size_t>(order[pos])] = static_cast<int>(pos) % spec.folds;
  }
  double best_loss = std::numeric_limits<double>::infinity();
  double best_lambda = 0;
  std::vector<double> best_oof;
  REQUIRE(fit->cv.size() == spec.lambdas.size());
  for (std::size_t l = 0; l < spec.lambdas.size(); ++l) {
    std::vector<double> oof(n);
    for (int f = 0; f < spec.folds; ++f) {
      std::vector<std::vector<double>> fold_x;
      std::vector<double> fold_y;
      for (std::size_t r = 0; r < n; ++r) {
        if (fold_of_group[static_cast<std::size_t>(training->groups[r])] == f) continue;
        fold_x.push_back(x[r]);
        fold_y.push_back(training->labels[r]);
      }
      const DenseFit model = DenseNewton(fold_x, fold_y, spec.lambdas[l]);
      for (std::size_t r = 0; r < n; ++r) {
        if (fold_of_group[static_cast<std::size_t>(training->groups[r])] != f) continue;
        double z = 0;
        for (std::size_t j = 0; j <= columns; ++j) z += x[r][j] * model.beta[j];
        oof[r] = Sigmoid(z);
      }
    }
    double loss = 0;
    for (std::size_t r = 0; r < n; ++r) {
      loss -= training->labels[r] == 1 ? std::log(oof[r]) : std::log1p(-oof[r]);
    }
    loss /= static_cast<double>(n);
    CHECK(fit->cv[l].log_loss == Approx(loss).epsilon(0).margin(1e-9));
    if (loss < best_loss) {
      best_loss = loss;
      best_lambda = spec.lambdas[l];
      best_oof = oof;
    }
  }
  CHECK(fit->model.lambda() == best_lambda);
  REQUIRE(fit->out_of_fold.size() == n);
  for (std::size_t r = 0; r < n; ++r) {
    CHECK(fit->out_of_fold[r] == Approx(best_oof[r]).epsilon(0).margin(1e-9));
  }
  const DenseFit all = DenseNewton(x, training->labels, best_lambda);
  const auto& coefficients = fit->model.coefficients();
  REQUIRE(coefficients.size() == columns + 1);
  for (std::size_t j = 0; j <= columns; ++j) {
    INFO(coefficients[j].name);
    CHECK(coefficients[j].estimate == Approx(all.beta[j]).epsilon(0).margin(1e-9));
    CHECK(coefficients[j].standard_error == Approx(all.standard_error[j]).epsilon(0).margin(1e-9));
  }
}

TEST_CASE("models: a score is the base plus each feature's contribution", "[models]") {
  const Register reg = MakeRegister(3000, 3, 0);
  const ModelSpec spec = Spec();
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  const auto fit = Fit(spec, *training);
  REQUIRE(fit.ok());
  std::vector<double> mean_contribution(spec.features.size(), 0.0);
  for (std::size_t r = 0; r < training->rows; ++r) {
    const auto p = fit->model.Predict(training->raw[r]);
    const auto explanation = fit->model.Explain(training->raw[r]);
    REQUIRE(p.ok());
    REQUIRE(explanation.ok());
    double z = explanation->base_log_odds;
    for (std::size_t f = 0; f < explanation->contributions.size(); ++f) {
      z += explanation->contributions[f].log_odds;
      mean_contribution[f] += explanation->contributions[f].log_odds;
    }
    CHECK(std::abs(Sigmoid(z) - *p) < 1e-12);
    CHECK(explanation->probability == Approx(*p).epsilon(1e-12));
  }
  // Relative to the training mean: each feature's contributions average to zero.
  for (const double sum : mean_contribution) {
    CHECK(std::abs(sum / static_cast<double>(training->rows)) < 1e-9);
  }
  // An unseen level reads as the reference (no "(other)" here); a short row is refused.
  auto row = training->raw[0];
  row[2].level = "placering_hvb";
  const auto e = fit->model.Explain(row);
  REQUIRE(e.ok());
  CHECK(e->contributions[2].level == "missbruk_oppenvard");
  row.pop_back();
  CHECK(fit->model.Predict(row).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(varsam::models::Model().Predict(training->raw[0]).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("models: evaluation figures match hand-worked values", "[models]") {
  const std::vector<double> p = {0.1, 0.4, 0.35, 0.8};
  const std::vector<double> y = {0, 0, 1, 1};
  const auto e = Evaluate(p, y);
  REQUIRE(e.ok());
  CHECK(e->auc == Approx(0.75));
  CHECK(e->auc_se == Approx(std::sqrt(0.125)));  // DeLong: var {.5, 1}/2 + var {1, .5}/2
  CHECK(e->brier == Approx(0.158125));
  CHECK(e->ece == Approx(0.3375));
  CHECK(e->reliability.size() == 10);
  CHECK(e->reliability[3].count == 1);
  CHECK(e->reliability[3].observed_rate == 1);
  const auto ties = Evaluate(std::vector<double>{0.5, 0.5}, std::vector<double>{0, 1});
  REQUIRE(ties.ok());
  CHECK(ties->auc == Approx(0.5));
  CHECK_FALSE(Evaluate(std::vector<double>{0.5}, std::vector<double>{1}).ok());
  CHECK_FALSE(Evaluate(std::vector<double>{1.5, 0.1}, std::vector<double>{1, 0}).ok());
}

TEST_CASE("models: an overconfident score has a calibration slope below one", "[models]") {
  const Register reg = MakeRegister(10000, 17, 0);
  std::vector<double> labels;
  std::vector<double> sharp;
  for (std::size_t i = 0; i < reg.episodes.size(); ++i) {
    labels.push_back(reg.episodes[i].outcome == "dropout" ? 1.0 : 0.0);
    const double z = std::log(reg.true_probability[i] / (1 - reg.true_probability[i]));
    sharp.push_back(Sigmoid(2 * z));
  }
  const auto truth = Evaluate(reg.true_probability, labels);
  const auto over = Evaluate(sharp, labels);
  REQUIRE(truth.ok());
  REQUIRE(over.ok());
  CHECK(truth->calibration_slope == Approx(1).margin(0.1));
  CHECK(over->calibration_slope == Approx(0.5).margin(0.07));
  // A monotone map keeps the ranking (up to the rounding of sums of effects that tie).
  CHECK(over->auc == Approx(truth->auc).margin(1e-3));
  CHECK(over->ece > truth->ece);
}

TEST_CASE("models: the new keys of a specification are read, protected classes kept apart",
          "[models]") {
  const auto spec = ParseModelSpec(R"({
    "target": {"new_case_within_months": 6},
    "features": ["age_band", "nationality", "sex"],
    "fairness": {"features": ["case_kind", "sex", "economic_assistance"], "threshold": 0.3,
                 "bootstrap": 50},
    "calibration": "isotonic", "points": {"max": 5},
    "learner": {"kind": "logistic"}})");
  REQUIRE(spec.ok());
  CHECK(spec->target_kind == varsam::models::TargetKind::kNewCase);
  CHECK(spec->new_case_months == 6);
  CHECK(spec->features.size() == 2);
  CHECK(spec->protected_classes == std::vector<std::string>{"nationality", "economic_assistance"});
  REQUIRE(spec->fairness.size() == 4);  // age band, sex, region, then case kind
  CHECK(spec->fairness[3].kind == FeatureKind::kCaseKind);
  CHECK(spec->threshold == 0.3);
  CHECK(spec->bootstrap == 50);
  CHECK(spec->calibration == varsam::models::CalibrationChoice::kIsotonic);
  CHECK(spec->max_points == 5);
  // The register holds no protected class, and a model must not use one.
  const Register reg = MakeRegister(200, 3, 0);
  const auto refused = BuildTrainingSet(*spec, reg.episodes, reg.measurements);
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);

  for (const std::string json : {
           R"({"target": {"new_case_within_months": 0}, "features": ["sex"],
               "learner": {"kind": "logistic"}})",
           R"({"target": {"months": 3}, "features": ["sex"], "learner": {"kind": "logistic"}})",
           R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "logistic"},
               "calibration": "beta"})",
           R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "logistic"},
               "points": {"max": 0}})",
           R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "logistic"},
               "fairness": {"threshold": 1}})",
           R"({"target": "dropout", "features": ["sex"], "learner": {"kind": "logistic"},
               "fairness": {"bootstrap": 5}})"}) {
    INFO(json);
    const auto bad = ParseModelSpec(json);
    REQUIRE_FALSE(bad.ok());
    const std::string message = Message(bad.status());
    CHECK(message.rfind("spec.", 0) == 0);
  }
}

TEST_CASE("models: a new case within N months is the label, late episodes are censored",
          "[models]") {
  // Person 0: an episode ending 2024-03, the next starting 2024-07. Person 1: one episode ending
  // 2024-02 and nothing after. Person 2: an episode ending in 2025-06, too late to know.
  const auto episode = [](int person, const char* start, const char* end) {
    EpisodeRow row;
    row.pseudonym = Pseudonym(person);
    row.key_epoch = 1;
    row.age_band = "25-34";
    row.sex = "female";
    row.case_kind = "insats";
    row.start_period = start;
    row.end_period = end;
    row.record_key = 1;
    return row;
  };
  std::vector<EpisodeRow> episodes = {episode(0, "2024-01", "2024-03"),
                                      episode(0, "2024-07", "2024-09"),
                                      episode(1, "2024-01", "2024-02"),
                                      episode(2, "2025-01", "2025-06"), episode(3, "2025-08", "")};
  ModelSpec spec = Spec();
  spec.target_kind = varsam::models::TargetKind::kNewCase;
  spec.features = {{FeatureKind::kSex, {}, 5}};
  spec.min_support = 2;
  for (const auto& [months, label] : std::vector<std::pair<int, double>>{{6, 1}, {3, 0}}) {
    spec.new_case_months = months;
    const auto training = BuildTrainingSet(spec, episodes, {});
    if (label == 0) {
      // Every labelled row is 0: nothing to learn.
      CHECK(training.status().code() == absl::StatusCode::kFailedPrecondition);
      continue;
    }
    REQUIRE(training.ok());
    // The latest month is 2025-08: windows of six months from 2024-03, 2024-09 and 2024-02 are
    // complete; 2025-06 + 6 is not; the open episode has no end.
    CHECK(training->rows == 3);
    CHECK(training->left_out == 2);
    CHECK(training->labels == std::vector<double>{1, 0, 0});
    CHECK(training->period_from == "2024-01");
    CHECK(training->period_to == "2024-07");
    CHECK(training->key_epochs == std::vector<std::int32_t>{1});
  }
}

TEST_CASE("models: recalibration maps are monotone and chosen on held-out folds", "[models]") {
  varsam::models::Calibration platt;
  platt.kind = varsam::models::CalibrationChoice::kPlatt;
  platt.a = 0.5;
  platt.b = 2;
  CHECK(platt.Apply(0.5) == Approx(Sigmoid(0.5)));
  varsam::models::Calibration isotonic;
  isotonic.kind = varsam::models::CalibrationChoice::kIsotonic;
  isotonic.knots = {0.1, 0.4, 0.7};
  isotonic.values = {0.05, 0.3, 0.8};
  CHECK(isotonic.Apply(0.0) == 0.05);
  CHECK(isotonic.Apply(0.1) == 0.05);
  CHECK(isotonic.Apply(0.5) == 0.3);
  CHECK(isotonic.Apply(0.99) == 0.8);

  // A heavy penalty shrinks the scores towards the mean: underconfident, slope above one.
  const Register reg = MakeRegister(8000, 23, 0);
  ModelSpec spec = Spec();
  spec.lambdas = {3000};
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  const auto fit = Fit(spec, *training);
  REQUIRE(fit.ok());
  CHECK(fit->evaluation.calibration_slope > 1.3);
  const auto& losses = fit->calibration.held_out_log_loss;
  REQUIRE(losses.size() == 3);
  CHECK(fit->calibration.kind != varsam::models::CalibrationChoice::kNone);
  const double chosen =
      fit->calibration.kind == varsam::models::CalibrationChoice::kPlatt ? losses[1] : losses[2];
  CHECK(chosen < losses[0]);
  CHECK(std::abs(fit->calibrated_evaluation.calibration_slope - 1) <
        std::abs(fit->evaluation.calibration_slope - 1));
  CHECK(fit->calibrated_evaluation.ece < fit->evaluation.ece);
  // Every candidate was tried; with "none" asked for, only that one.
  for (const double loss : losses) CHECK(std::isfinite(loss));
  spec.calibration = varsam::models::CalibrationChoice::kNone;
  const auto plain = Fit(spec, *training);
  REQUIRE(plain.ok());
  CHECK(plain->calibration.kind == varsam::models::CalibrationChoice::kNone);
  CHECK(plain->calibrated_out_of_fold == plain->out_of_fold);
  CHECK(std::isnan(plain->calibration.held_out_log_loss[1]));
}

TEST_CASE("models: the points model reads the logistic model as whole points", "[models]") {
  const Register reg = MakeRegister(20000, 20261204, 0);
  ModelSpec spec = Spec();
  spec.max_points = 10;
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  const auto fit = Fit(spec, *training);
  REQUIRE(fit.ok());
  const auto& points = fit->points;
  REQUIRE(points.features.size() == training->features.size());
  int widest = 0;
  int highest = 0;
  for (std::size_t f = 0; f < points.features.size(); ++f) {
    const auto& levels = points.features[f].levels;
    REQUIRE(levels.size() == training->features[f].levels.size());
    int low = levels[0].points;
    int high = levels[0].points;
    for (const auto& level : levels) {
      low = std::min(low, level.points);
      high = std::max(high, level.points);
    }
    CHECK(low == 0);  // each feature's lowest level is 0
    widest = std::max(widest, high);
    highest += high;
  }
  CHECK(widest == spec.max_points);  // the widest feature spans exactly max points
  // The table covers every total, its probabilities rise with the points (the outcome's risk
  // rises with the effects here), and the rounding costs little discrimination out of fold.
  REQUIRE(points.table.size() == static_cast<std::size_t>(highest + 1));
  for (std::size_t t = 1; t < points.table.size(); ++t) {
    CHECK(points.table[t].total == points.table[t - 1].total + 1);
    CHECK(points.table[t].probability > points.table[t - 1].probability);
  }
  CHECK(fit->points_evaluation.auc > fit->evaluation.auc - 0.01);
  CHECK(fit->points_evaluation.calibration_slope == Approx(1).margin(0.15));
  // The points follow the coefficients: within a feature, a level with a larger coefficient
  // never has fewer points.
  const auto& coefficients = fit->model.coefficients();
  std::size_t column = 1;
  for (std::size_t f = 0; f < points.features.size(); ++f) {
    const auto& levels = points.features[f].levels;
    std::vector<double> effect = {0.0};
    for (std::size_t l = 1; l < levels.size(); ++l)
      effect.push_back(coefficients[column++].estimate);
    for (std::size_t a = 0; a < levels.size(); ++a) {
      for (std::size_t b = 0; b < levels.size(); ++b) {
        if (effect[a] > effect[b]) CHECK(levels[a].points >= levels[b].points);
      }
    }
  }
}

TEST_CASE("models: fairness is measured per group, with no numbers below k", "[models]") {
  // Twelve people in group "10-14", three in group "5-9" (below k = 10), one row each; groups
  // come in natural order, "5-9" first.
  varsam::models::TrainingSet t;
  t.rows = 15;
  t.fairness_names = {"sex"};
  t.fairness_levels.emplace_back();
  const std::vector<double> predicted = {0.9, 0.8, 0.7, 0.6,  0.2, 0.1, 0.9, 0.4,
                                         0.3, 0.2, 0.1, 0.05, 0.9, 0.1, 0.5};
  t.labels = {1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1};
  for (std::int32_t i = 0; i < 15; ++i) {
    t.groups.push_back(i);
    t.fairness_levels[0].push_back(i < 12 ? "10-14" : "5-9");
  }
  ModelSpec spec = Spec();
  spec.threshold = 0.5;
  spec.bootstrap = 200;
  const auto report = varsam::models::AssessFairness(spec, t, predicted);
  REQUIRE(report.ok());
  CHECK(report->threshold == 0.5);
  REQUIRE(report->groups.size() == 2);
  const auto& a = report->groups[1];
  CHECK(a.group == "10-14");
  CHECK_FALSE(a.suppressed);
  CHECK(a.count == 12);
  CHECK(a.pseudonyms == 12);
  // Group 10-14: positives at 0.9 0.8 0.7 0.4; negatives 0.6 0.2 0.1 0.9 0.3 0.2 0.1 0.05.
  // Flagged (>= 0.5): 0.9 0.8 0.7 (positives), 0.6 0.9 (negatives).
  CHECK(a.base_rate.value == Approx(4.0 / 12));
  CHECK(a.false_positive_rate.value == Approx(2.0 / 8));
  CHECK(a.false_negative_rate.value == Approx(1.0 / 4));
  // AUC: of 32 pairs, 0.9 outranks 7 and ties 1, 0.8 and 0.7 outrank 7, 0.4 outranks 6.
  CHECK(a.auc.value == Approx((7.5 + 7 + 7 + 6) / 32));
  for (const auto* e : {&a.base_rate, &a.auc, &a.brier, &a.false_positive_rate}) {
    CHECK(e->low <= e->value);
    CHECK(e->high >= e->value);
    CHECK(e->low < e->high);
  }
  const auto& b = report->groups[0];
  CHECK(b.group == "5-9");
  CHECK(b.suppressed);
  CHECK(b.count == 0);
  CHECK(std::isnan(b.auc.value));
  CHECK(std::isnan(b.base_rate.value));
  CHECK(b.reliability.empty());
  // Only one group has numbers: no gap to name.
  CHECK(report->gaps.empty());
  // The same seed gives the same intervals.
  const auto again = varsam::models::AssessFairness(spec, t, predicted);
  REQUIRE(again.ok());
  CHECK(again->groups[1].auc.low == a.auc.low);
}

TEST_CASE("models: a fit's fairness table names the largest gaps", "[models]") {
  Register reg = MakeRegister(6000, 31, 0);
  for (std::size_t i = 0; i < reg.episodes.size(); ++i) {
    if (reg.episodes[i].pseudonym == Pseudonym(1)) reg.episodes[i].region = "25";  // one person
  }
  ModelSpec spec = Spec();
  spec.bootstrap = 20;
  const auto training = BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  REQUIRE(training->fairness_names == std::vector<std::string>{"age_band", "sex", "region"});
  const auto fit = Fit(spec, *training);
  REQUIRE(fit.ok());
  const auto report = varsam::models::AssessFairness(spec, *training, fit->calibrated_out_of_fold);
  REQUIRE(report.ok());
  CHECK(report->threshold ==
        Approx(fit->evaluation.positives / static_cast<double>(fit->evaluation.count)));
  std::map<std::string, int> groups;
  for (const auto& g : report->groups) {
    ++groups[g.feature];
    if (g.feature == "region" && g.group == "25") CHECK(g.suppressed);
    if (g.suppressed) continue;
    CHECK(g.count > 0);
    // Each interval holds its estimate, the ECE's too (biased upward in every resample).
    for (const auto* e :
         {&g.base_rate, &g.auc, &g.brier, &g.ece, &g.false_positive_rate, &g.false_negative_rate}) {
      CHECK(e->low <= e->value);
      CHECK(e->value <= e->high);
    }
  }
  CHECK(groups["age_band"] == 4);
  // Natural order: 18-24 before 25-34 before 35-49 before 50-64.
  std::vector<std::string> ages;
  for (const auto& g : report->groups) {
    if (g.feature == "age_band") ages.push_back(g.group);
  }
  CHECK(ages == std::vector<std::string>{"18-24", "25-34", "35-49", "50-64"});
  CHECK(groups["sex"] == 2);
  CHECK(groups["region"] == 2);
  // Sex changes the true risk (0.4 in log-odds for men): the base-rate gap is named for it.
  bool named = false;
  for (const auto& gap : report->gaps) {
    CHECK(gap.difference >= 0);
    if (gap.feature == "sex" && gap.metric == "base_rate") {
      named = true;
      CHECK(gap.low_group == "female");
      CHECK(gap.high_group == "male");
    }
    CHECK(gap.feature != "region");  // one group with numbers: no gap
  }
  CHECK(named);
}

TEST_CASE("models: an intake is the first form of the episode's start period, in given order",
          "[models]") {
  // Each of 12 people: one episode started in 2024-Q1 and a form of 2024-Q2 (not an intake: it
  // may belong to a later episode), and 20 forms of 2024-Q1, session 0, the first "severe".
  std::vector<EpisodeRow> episodes;
  std::vector<RegisterMeasurementRow> measurements;
  for (int person = 0; person < 12; ++person) {
    EpisodeRow e;
    e.pseudonym = Pseudonym(person);
    e.key_epoch = 1;
    e.age_band = "25-34";
    e.case_kind = "insats";
    e.start_period = "2024-Q1";
    e.end_period = "2024-Q4";
    e.outcome = person % 2 == 0 ? "dropout" : "completed";
    e.record_key = 1;
    episodes.push_back(e);
    RegisterMeasurementRow m;
    m.pseudonym = e.pseudonym;
    m.key_epoch = 1;
    m.instrument = "phq9";
    m.record_key = 1;
    m.period = "2024-Q2";
    m.band = "mild";
    measurements.push_back(m);
    m.period = "2024-Q1";
    for (int form = 0; form < 20; ++form) {
      m.band = form == 0 ? "severe" : "none";
      measurements.push_back(m);
    }
  }
  ModelSpec spec = Spec();
  spec.features = {{FeatureKind::kIntakeBand, "phq9", 5}};
  const auto training = BuildTrainingSet(spec, episodes, measurements);
  REQUIRE(training.ok());
  for (const auto& row : training->raw) CHECK(row[0].level == "severe");
  // Without the start period's forms, the 2024-Q2 form is no intake.
  std::erase_if(measurements,
                [](const RegisterMeasurementRow& m) { return m.period == "2024-Q1"; });
  const auto later = BuildTrainingSet(spec, episodes, measurements);
  REQUIRE(later.ok());
  for (const auto& row : later->raw) CHECK(row[0].level == "(missing)");
}

TEST_CASE("models: receipt of economic assistance is implied by the intervention feature",
          "[models]") {
  const auto classes = [](const std::string& population, const std::string& features) {
    const auto spec =
        ParseModelSpec(R"({"target": "dropout", "population": {)" + population +
                       R"(}, "features": [)" + features + R"(], "learner": {"kind": "logistic"}})");
    REQUIRE(spec.ok());
    return varsam::models::FeatureClasses(*spec);
  };
  const std::vector<std::string> assistance = {"economic_assistance"};
  CHECK(classes("", R"("sex", "intervention")") == assistance);
  CHECK(classes(R"("interventions": ["stodsamtal", "ekonomiskt_bistand"])", R"("intervention")") ==
        assistance);
  CHECK(classes(R"("interventions": ["stodsamtal", "boendestod"])", R"("intervention")").empty());
  CHECK(classes(R"("interventions": ["ekonomiskt_bistand"])", R"("intervention")").empty());
  CHECK(classes("", R"("sex")").empty());
  // Named and implied: listed once.
  CHECK(classes("", R"("intervention", "economic_assistance")") == assistance);
  CHECK(classes("", R"("nationality", "intervention")") ==
        std::vector<std::string>{"nationality", "economic_assistance"});
}
