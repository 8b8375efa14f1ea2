// Benchmarks of varsam::models' learner on a synthetic one-hot design the shape of the register's:
// 1,000,000 episodes, 7 features (age band, sex, region, case kind, intervention, intake-total
// bins, earlier episodes) as 45 indicator columns, labels drawn from a known logistic model, a
// fixed seed; of building such a training set from 1,000,000 register rows; and of scoring one
// case with a model through the C API.
// scripts/bench-models-vs-sklearn.py compares the same kind of data (written as CSV, read by
// bench_models_csv) with scikit-learn. Figures: docs/performance.md, "Models".

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "internal.h"  // src/models: CollapseRows, FitLogistic
#include "varsam.h"
#include "varsam/models.h"
#include "varsam/store.h"

namespace {

using varsam::models::TrainingSet;

struct SyntheticFeature {
  const char* name;
  std::vector<std::string> levels;  // the first is the reference
  std::vector<double> weights;
  std::vector<double> effects;  // the true log-odds of each level
};

constexpr double kIntercept = -1.0;

std::vector<SyntheticFeature> Features() {
  std::vector<std::string> counties = {"01", "03", "04", "05", "06", "07",        "08", "09",
                                       "10", "12", "13", "14", "17", "18",        "19", "20",
                                       "21", "22", "23", "24", "25", "suppressed"};
  std::vector<double> county_weights;
  std::vector<double> county_effects;
  for (std::size_t i = 0; i < counties.size(); ++i) {
    county_weights.push_back(i == 0 ? 8.0 : 1.0 + static_cast<double>(i % 4));
    county_effects.push_back(i == 0 ? 0.0
                                    : 0.05 * static_cast<double>(static_cast<int>(i % 5) - 2));
  }
  return {
      {"age_band",
       {"25-34", "0-17", "18-24", "35-49", "50-64", "65+"},
       {.25, .15, .15, .2, .15, .1},
       {0, .3, .5, -.3, -.6, -.8}},
      {"sex", {"female", "male", "unknown"}, {.52, .45, .03}, {0, .4, .1}},
      {"region", counties, county_weights, county_effects},
      {"case_kind",
       {"insats", "anmalan", "forhandsbedomning", "utredning", "uppfoljning"},
       {.4, .2, .15, .15, .1},
       {0, .2, -.1, .3, -.4}},
      {"intervention",
       {"none", "stodsamtal", "familjebehandling", "kontaktperson", "boendestod",
        "missbruk_oppenvard"},
       {.3, .2, .15, .15, .1, .1},
       {0, .6, -.5, .2, -.3, .4}},
      {"intake_total",
       {"lt5", "5-9", "10-14", "15-19", "ge20", "missing"},
       {.2, .2, .2, .15, .15, .1},
       {0, .4, .8, 1.0, 1.2, .2}},
  };
}

// Rows in people of 1 to 4 episodes; earlier_episodes is the episode's index in its person.
TrainingSet MakeTrainingSet(std::size_t rows, std::uint64_t seed) {
  const std::vector<SyntheticFeature> features = Features();
  const std::vector<double> earlier_effects = {0, .3, .5, .6};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::discrete_distribution<int> episodes_of({.55, .25, .12, .08});
  std::vector<std::discrete_distribution<std::size_t>> pick;
  TrainingSet set;
  for (const auto& f : features) {
    pick.emplace_back(f.weights.begin(), f.weights.end());
    set.features.push_back({f.name, varsam::models::FeatureKind::kAgeBand, f.levels, {}, {}});
    for (std::size_t l = 1; l < f.levels.size(); ++l) {
      set.column_names.push_back(std::string(f.name) + "=" + f.levels[l]);
    }
  }
  set.features.push_back({"earlier_episodes",
                          varsam::models::FeatureKind::kEarlierEpisodes,
                          {"0", "1", "2", "3+"},
                          {},
                          {}});
  for (const char* level : {"1", "2", "3+"}) {
    set.column_names.push_back(std::string("earlier_episodes=") + level);
  }
  const std::size_t columns = set.column_names.size();
  set.rows = rows;
  set.design.assign(rows * columns, 0.0);
  set.labels.resize(rows);
  set.groups.resize(rows);
  set.raw.resize(rows);
  std::int32_t person = -1;
  int left = 0;
  int episode = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    if (left == 0) {
      ++person;
      left = 1 + episodes_of(rng);
      episode = 0;
    }
    double z = kIntercept;
    std::size_t column = 0;
    for (std::size_t f = 0; f < features.size(); ++f) {
      const std::size_t level = pick[f](rng);
      z += features[f].effects[level];
      if (level > 0) set.design[(column + level - 1) * rows + r] = 1;
      column += features[f].levels.size() - 1;
    }
    z += earlier_effects[static_cast<std::size_t>(episode)];
    if (episode > 0) set.design[(column + static_cast<std::size_t>(episode) - 1) * rows + r] = 1;
    set.labels[r] = u(rng) < 1 / (1 + std::exp(-z)) ? 1 : 0;
    set.groups[r] = person;
    ++episode;
    --left;
  }
  set.pseudonyms = static_cast<std::size_t>(person) + 1;
  return set;
}

const TrainingSet& Data() {
  static const auto* set = new TrainingSet(MakeTrainingSet(1000000, 20261204));
  return *set;
}

// The design's distinct rows: the first step of every fit.
void BM_CollapseRows(benchmark::State& state) {
  const TrainingSet& set = Data();
  std::size_t patterns = 0;
  for (auto _ : state) {
    const auto p =
        varsam::models::CollapseRows(set.design, set.rows, set.column_names.size(), true, {});
    patterns = p.size();
    benchmark::DoNotOptimize(p.of_row.data());
  }
  state.counters["patterns"] = static_cast<double>(patterns);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * set.rows));
}
BENCHMARK(BM_CollapseRows)->Unit(benchmark::kMillisecond);

// One fit with lambda 1 on every row, from the dense design to coefficients and standard
// errors: what scikit-learn's LogisticRegression.fit does (bench_models_csv's "fit").
void BM_FitOne(benchmark::State& state) {
  const TrainingSet& set = Data();
  for (auto _ : state) {
    const auto patterns =
        varsam::models::CollapseRows(set.design, set.rows, set.column_names.size(), true, {});
    std::vector<double> count(patterns.size(), 0.0);
    std::vector<double> positives(patterns.size(), 0.0);
    for (std::size_t r = 0; r < set.rows; ++r) {
      const auto k = static_cast<std::size_t>(patterns.of_row[r]);
      count[k] += 1;
      positives[k] += set.labels[r];
    }
    const auto fit = varsam::models::FitLogistic(patterns, count, positives, 1.0, true);
    if (!fit.ok()) state.SkipWithError("the fit failed");
    benchmark::DoNotOptimize(fit);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * set.rows));
}
BENCHMARK(BM_FitOne)->Unit(benchmark::kMillisecond);

// models::Fit as a host calls it: 5-fold cross-validation by pseudonym over `range(0)` lambdas,
// the final fit, the out-of-fold evaluation.
void BM_Fit(benchmark::State& state) {
  const TrainingSet& set = Data();
  varsam::models::ModelSpec spec;
  spec.lambdas = {1.0, 10.0, 100.0};
  spec.lambdas.resize(static_cast<std::size_t>(state.range(0)));
  spec.folds = 5;
  for (auto _ : state) {
    const auto fit = varsam::models::Fit(spec, set);
    if (!fit.ok()) state.SkipWithError("the fit failed");
    benchmark::DoNotOptimize(fit);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * set.rows));
}
BENCHMARK(BM_Fit)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);

// The evaluation alone (AUC with DeLong's interval, Brier, reliability, the recalibration
// fits) of the 1,000,000 out-of-fold predictions of BM_Fit/1: part of BM_Fit.
void BM_Evaluate(benchmark::State& state) {
  const TrainingSet& set = Data();
  varsam::models::ModelSpec spec;
  spec.folds = 5;
  const auto fit = varsam::models::Fit(spec, set);
  if (!fit.ok()) {
    state.SkipWithError("the fit failed");
    return;
  }
  for (auto _ : state) {
    const auto e = varsam::models::Evaluate(fit->out_of_fold, set.labels);
    if (!e.ok()) state.SkipWithError("the evaluation failed");
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * set.rows));
}
BENCHMARK(BM_Evaluate)->Unit(benchmark::kMillisecond);

// The register rows behind such a design: 1,000,000 episodes of people with 1 to 4 episodes in
// successive years, each with the features above as the register holds them, and a PHQ-9
// intake measurement for 90 % of them (totals 0..27).
struct RegisterRows {
  std::vector<varsam::store::EpisodeRow> episodes;
  std::vector<varsam::store::RegisterMeasurementRow> measurements;
};

const RegisterRows& Rows() {
  static const auto* rows = [] {
    auto* out = new RegisterRows;
    const std::vector<SyntheticFeature> features = Features();
    std::mt19937_64 rng(20261204);
    std::uniform_real_distribution<double> u(0, 1);
    std::discrete_distribution<int> episodes_of({.55, .25, .12, .08});
    std::vector<std::discrete_distribution<std::size_t>> pick;
    pick.reserve(features.size());
    for (const auto& f : features) pick.emplace_back(f.weights.begin(), f.weights.end());
    const std::vector<std::string> outcomes = {"dropout", "completed", "improved"};
    for (int person = 0; out->episodes.size() < 1000000; ++person) {
      const int episodes = 1 + episodes_of(rng);
      const std::string digits = std::to_string(person);
      const std::string pseudonym = std::string("p1_").append(43 - digits.size(), 'A') + digits;
      for (int e = 0; e < episodes && out->episodes.size() < 1000000; ++e) {
        varsam::store::EpisodeRow row;
        row.pseudonym = pseudonym;
        row.key_epoch = 1;
        std::vector<std::string> level;
        for (std::size_t f = 0; f < features.size(); ++f) {
          level.push_back(features[f].levels[pick[f](rng)]);
        }
        row.age_band = level[0] == "0-17" ? "13-17" : level[0];
        row.sex = level[1] == "unknown" ? "" : level[1];
        row.region = level[2] == "suppressed" ? "" : level[2];
        row.case_kind = level[3];
        row.intervention = level[4] == "none" ? "" : level[4];
        row.start_period = std::to_string(2020 + e) + "-Q" + std::to_string(1 + rng() % 4);
        row.end_period = row.start_period;
        row.outcome = outcomes[rng() % 3];
        row.record_key = rng() | 1;
        if (u(rng) < 0.9) {
          varsam::store::RegisterMeasurementRow m;
          m.pseudonym = pseudonym;
          m.key_epoch = 1;
          m.instrument = "phq9";
          m.session = 1;
          m.period = row.start_period;
          m.total = static_cast<double>(rng() % 28);
          m.record_key = rng() | 1;
          out->measurements.push_back(std::move(m));
        }
        out->episodes.push_back(std::move(row));
      }
    }
    return out;
  }();
  return *rows;
}

// The specification of the benchmarks on register rows: every feature the register has.
constexpr const char* kRegisterSpec = R"({
  "target": "dropout",
  "features": ["age_band", "sex", "region", "case_kind", "intervention",
               {"feature": "intake_total", "instrument": "phq9", "bins": 5},
               "earlier_episodes"],
  "fairness": {"bootstrap": 0},
  "learner": {"kind": "logistic"}})";

// The training set from those rows: the population, the raw features (the intake measurement
// found per episode, earlier episodes counted per pseudonym), levels merged below k, the
// quantile bins, the design.
void BM_BuildTrainingSet(benchmark::State& state) {
  const RegisterRows& rows = Rows();
  const auto spec = varsam::models::ParseModelSpec(kRegisterSpec);
  if (!spec.ok()) {
    state.SkipWithError("the spec is refused");
    return;
  }
  std::size_t columns = 0;
  for (auto _ : state) {
    const auto set = varsam::models::BuildTrainingSet(*spec, rows.episodes, rows.measurements);
    if (!set.ok()) {
      state.SkipWithError("the training set failed");
      break;
    }
    columns = set->column_names.size();
    benchmark::DoNotOptimize(set);
  }
  state.counters["columns"] = static_cast<double>(columns);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows.episodes.size()));
}
BENCHMARK(BM_BuildTrainingSet)->Unit(benchmark::kMillisecond);

// Scoring one case with a model in memory through the C API (varsam_model_open once, then
// varsam_model_score per case): the model learned from the first 100,000 of those register
// rows, the cases 4,096 of its training rows in turn, given as level strings and intake
// totals. No engine, so no audit write: the arithmetic of an application and the C boundary.
void BM_ModelScoreCApi(benchmark::State& state) {
  const RegisterRows& rows = Rows();
  const auto spec = varsam::models::ParseModelSpec(kRegisterSpec);
  const std::span<const varsam::store::EpisodeRow> episodes(rows.episodes.data(), 100000);
  const auto set = varsam::models::BuildTrainingSet(*spec, episodes, rows.measurements);
  const auto fit = set.ok() ? varsam::models::Fit(*spec, *set)
                            : absl::StatusOr<varsam::models::FitResult>(set.status());
  const auto fairness = fit.ok() ? varsam::models::AssessFairness(*spec, *set, fit->out_of_fold)
                                 : absl::StatusOr<varsam::models::FairnessReport>(fit.status());
  if (!fairness.ok()) {
    state.SkipWithError("the model could not be learned");
    return;
  }
  varsam::models::ModelFile file = varsam::models::MakeModelFile(*spec, *set, *fit, *fairness);
  file.name = "bench";
  file.training.trained_at = "2026-12-04T00:00:00Z";
  const std::string json = varsam::models::ModelFileJson(file);
  varsam_model* model = nullptr;
  if (varsam_model_open(json.data(), json.size(), &model) != VARSAM_OK) {
    state.SkipWithError("the model file was refused");
    return;
  }
  constexpr std::size_t kCases = 4096;
  const std::size_t features = spec->features.size();
  std::vector<const char*> levels(kCases * features, nullptr);
  std::vector<double> numbers(kCases * features, std::nan(""));
  for (std::size_t c = 0; c < kCases; ++c) {
    for (std::size_t f = 0; f < features; ++f) {
      const varsam::models::FeatureValue& v = set->raw[c][f];
      levels[c * features + f] = v.level.c_str();
      if (v.number) numbers[c * features + f] = *v.number;
    }
  }
  std::size_t c = 0;
  double sum = 0;
  for (auto _ : state) {
    double probability = 0;
    std::int32_t points = 0;
    if (varsam_model_score(model, &levels[c * features], &numbers[c * features], features,
                           &probability, &points) != VARSAM_OK) {
      state.SkipWithError("a case was refused");
      break;
    }
    sum += probability;
    c = (c + 1) % kCases;
  }
  benchmark::DoNotOptimize(sum);
  varsam_model_close(model);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ModelScoreCApi);

}  // namespace
