// Acceptance of varsam/models.h against a known truth: a synthetic population of 100,000
// clients whose dropout and new cases follow the logistic ground truth of varsam/synth.h
// (docs/synth.md, "The ground truth"), submitted to the register the way a host's cases reach
// it (Engine::SubmitToRegister: guarded, audited, pseudonymised, generalised, into a SQLite
// store), read back from the store, and learned with models::BuildTrainingSet and models::Fit.
// The learned coefficients are compared with the truth, the out-of-fold AUC with the Bayes AUC
// (the AUC of the true probabilities on the same episodes), and the calibration slope with 1.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"
#include "register_fixtures.h"
#include "store_fixtures.h"
#include "varsam/access.h"
#include "varsam/audit.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/models.h"
#include "varsam/store.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace {

namespace access = varsam::access;
namespace engine = varsam::engine;
namespace models = varsam::models;
namespace store = varsam::store;
namespace synth = varsam::synth;
using varsam::testing::TempDir;
using varsam_test::FollowUp;
using varsam_test::OpenRegisterEngine;

constexpr std::size_t kClients = 100000;
constexpr std::uint64_t kSeed = 20261204;
// The interventions whose intake form includes the PHQ-9 (docs/synth.md, "Forms"), so that the
// truth's intake band is known for nearly every episode and "(missing)" is not another name for
// a set of interventions.
constexpr std::string_view kInterventions[] = {"missbruk_oppenvard", "missbruk_institution",
                                               "stodsamtal"};
// Episodes that started by this period ended, and had the twelve months after their end, before
// the reference date 2025-01-01 (an intervention in sessions lasts at most 12 x 14 days), so no
// outcome and no new case is cut off by the end of the data.
constexpr std::string_view kPeriodTo = "2023-Q1";

// One intervention as the generator made it: what the truth drew it from.
struct TruthCase {
  std::string intervention;
  std::string start_period;  // "YYYY-Qn"
  bool closed = false;
  std::optional<double> dropout, new_case;
  bool dropped_out = false;  // what was drawn: the outcome is dropout
  bool came_back = false;    // what was drawn: a new case (a chain after this one)
};

struct Register {
  std::vector<store::EpisodeRow> episodes;
  std::vector<store::RegisterMeasurementRow> measurements;  // the PHQ-9's only
  std::vector<TruthCase> cases;                             // every intervention
  synth::GroundTruth truth;
  std::size_t submitted = 0;
  double seconds_generate = 0, seconds_submit = 0, seconds_read = 0;
};

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

std::string Quarter(varsam::Date day) {
  return std::to_string(day.year()) + "-Q" + std::to_string((day.month() - 1) / 3 + 1);
}

// Every case of every client as the host submits it (synth::RegisterCases), by case kind,
// without the reports and assessments that led to no investigation (rule reports-stay-out: the
// engine would refuse them), and the truth of every intervention.
class Collect : public synth::Sink {
 public:
  absl::Status Add(const synth::ClientRecord& record) override {
    for (varsam::submission::RegisterCase& c : synth::RegisterCases(record)) {
      const access::CaseInfo& info = *c.case_info;
      if (!info.led_to_investigation) continue;
      for (engine::RegisterSubmission& e : c.episodes) {
        // Pseudonymised by the host's client id: the 100,000 synthetic clients share the
        // 33,668 official test numbers of people up to 100 (docs/synth.md, "Clients"), and a
        // pseudonym of the number would make three synthetic people one register person.
        e.personnummer.clear();
        // Of the measurements, only the PHQ-9's: the specification reads no other instrument,
        // and the ORS/SRS series and the other forms (some 90 % of the rows) would only add
        // SQLite writes to the test's time without changing a row the training set reads.
        std::erase_if(e.measurements, [](const store::Measurement& m) {
          return m.instrument != synth::kTruthInstrument;
        });
        by_kind[info.kind].push_back(std::move(e));
      }
    }
    for (const synth::Case& c : record.cases) {
      if (c.kind != "insats") continue;
      const bool came_back =
          std::any_of(record.cases.begin(), record.cases.end(),
                      [&](const synth::Case& other) { return other.chain == c.chain + 1; });
      cases.push_back({c.intervention, Quarter(c.opened), c.closed.has_value(), c.true_dropout,
                       c.true_new_case, c.outcome == "dropout", came_back});
    }
    return absl::OkStatus();
  }
  std::map<access::CaseKind, std::vector<engine::RegisterSubmission>> by_kind;
  std::vector<TruthCase> cases;
};

// The population with the truth enabled, submitted to a fresh SQLite register and read back.
const Register& TruthRegister() {
  static const Register* const reg = [] {
    auto* out = new Register;
    synth::Options options;
    options.seed = kSeed;
    options.clients = kClients;
    options.parameters.truth.enabled = true;
    // Chains start two to five years before the reference date, so that the episodes of the
    // population (started by kPeriodTo) are closed and their new-case window has passed.
    options.parameters.cases.start_days_before_min = 730;
    options.parameters.cases.start_days_before_max = 1825;
    out->truth = options.parameters.truth;

    auto started = Clock::now();
    auto generator = synth::Generator::Create(options);
    REQUIRE(generator.ok());
    Collect collect;
    REQUIRE((*generator)->Run(collect, 1).ok());
    out->cases = std::move(collect.cases);
    out->seconds_generate = Seconds(started);

    TempDir dir;
    started = Clock::now();
    {
      auto opened = OpenRegisterEngine(dir.Store());
      REQUIRE(opened.ok());
      auto register_engine = *std::move(opened);
      for (const auto& [kind, episodes] : collect.by_kind) {
        constexpr std::size_t kBatch = 20000;
        for (std::size_t first = 0; first < episodes.size(); first += kBatch) {
          const std::size_t n = std::min(kBatch, episodes.size() - first);
          const absl::Status submitted = register_engine->SubmitToRegister(
              FollowUp(kind), std::span(episodes).subspan(first, n));
          INFO(submitted.message());
          REQUIRE(submitted.ok());
          out->submitted += n;
        }
      }
    }
    out->seconds_submit = Seconds(started);

    // The register part, read as a trainer reads it: every episode, and the measurements of
    // the one instrument the features name.
    started = Clock::now();
    auto opened = store::Store::Open(dir.Store());
    REQUIRE(opened.ok());
    store::Store& db = **opened;
    REQUIRE(db.ForEachEpisode({}, [&](const store::EpisodeRow& row) {
                out->episodes.push_back(row);
                return true;
              }).ok());
    REQUIRE(db.ForEachRegisterMeasurement(synth::kTruthInstrument,
                                          [&](const store::RegisterMeasurementRow& row) {
                                            out->measurements.push_back(row);
                                            return true;
                                          })
                .ok());
    out->seconds_read = Seconds(started);
    return out;
  }();
  return *reg;
}

// Whether an intervention the generator made is a row of TruthSpec's training set.
bool InPopulation(const TruthCase& c) {
  return c.closed && c.start_period <= kPeriodTo &&
         std::find(std::begin(kInterventions), std::end(kInterventions), c.intervention) !=
             std::end(kInterventions);
}

// The spec both targets are learned with: the truth's features, the interventions with a PHQ-9
// at intake, three penalties chosen by five-fold cross-validation.
models::ModelSpec TruthSpec() {
  models::ModelSpec spec;
  spec.case_kinds = {"insats"};
  spec.interventions.assign(std::begin(kInterventions), std::end(kInterventions));
  spec.period_to = std::string(kPeriodTo);
  spec.features = {{models::FeatureKind::kAgeBand, {}, 5},
                   {models::FeatureKind::kSex, {}, 5},
                   {models::FeatureKind::kIntervention, {}, 5},
                   {models::FeatureKind::kIntakeBand, std::string(synth::kTruthInstrument), 5},
                   {models::FeatureKind::kEarlierEpisodes, {}, 5}};
  spec.lambdas = {0.1, 1, 10};
  spec.folds = 5;
  spec.seed = 7;
  spec.min_support = 10;
  spec.bootstrap = 0;
  return spec;
}

// The truth's features of a training row (the spec's features, in TruthSpec's order).
synth::TruthFeatures FeaturesOf(const models::FeatureRow& row) {
  return {row[0].level, row[1].level, row[2].level, row[3].level, row[4].level};
}

// The true effect of a column's level relative to its feature's reference level, and the true
// intercept at the reference levels. A merged level ("(other)") has the effect its merged levels
// share; nullopt when they do not share one (then no single truth exists to compare with).
std::optional<double> TrueEffect(const synth::LogisticTruth& truth, const models::FeatureInfo& f,
                                 const std::string& level) {
  const double reference = truth.Effect(f.name, f.levels[0]);
  if (level != "(other)") return truth.Effect(f.name, level) - reference;
  std::optional<double> shared;
  for (const std::string& merged : f.merged) {
    const double e = truth.Effect(f.name, merged);
    if (shared && *shared != e) return std::nullopt;
    shared = e;
  }
  if (!shared) return std::nullopt;
  return *shared - reference;
}

struct Comparison {
  std::size_t coefficients = 0;
  std::size_t outside_95 = 0;  // |estimate - truth| > 1.96 SE
  std::size_t signs = 0;       // coefficients whose sign was checked
  double max_z = 0;
};

// Compares every coefficient of `fit` with the truth: the true sign (when the true difference
// is not 0) and the distance in standard errors. Logs the table.
Comparison CompareWithTruth(const synth::LogisticTruth& truth, const models::TrainingSet& training,
                            const models::FitResult& fit, std::string_view target) {
  Comparison out;
  const auto& coefficients = fit.model.coefficients();
  REQUIRE(coefficients.size() == training.column_names.size() + 1);
  double intercept = truth.intercept;
  for (const models::FeatureInfo& f : training.features)
    intercept += truth.Effect(f.name, f.levels[0]);
  std::string table = std::string(target).append(": coefficient, estimate (SE), truth, z\n");
  std::size_t column = 0;
  const auto compare = [&](const std::string& name, double estimate, double se, double want) {
    const double z = (estimate - want) / se;
    table.append(name)
        .append(": ")
        .append(std::to_string(estimate))
        .append(" (")
        .append(std::to_string(se))
        .append("), ")
        .append(std::to_string(want))
        .append(", ")
        .append(std::to_string(z))
        .append("\n");
    INFO(name << ": estimate " << estimate << " (se " << se << "), truth " << want);
    CHECK(se > 0);
    // The sign is checked where the data can tell it: a truth at least two standard errors
    // from 0. A smaller one (a level of the reference's own age group is exactly 0) is held
    // by the interval alone.
    if (std::abs(want) >= 2 * se) {
      CHECK(std::signbit(estimate) == std::signbit(want));
      ++out.signs;
    }
    ++out.coefficients;
    if (std::abs(z) > 1.96) ++out.outside_95;
    out.max_z = std::max(out.max_z, std::abs(z));
  };
  compare("(intercept)", coefficients[0].estimate, coefficients[0].standard_error, intercept);
  for (const models::FeatureInfo& f : training.features) {
    for (std::size_t l = 1; l < f.levels.size(); ++l) {
      const models::Coefficient& c = coefficients[++column];
      REQUIRE(c.name == f.name + "=" + f.levels[l]);
      const std::optional<double> want = TrueEffect(truth, f, f.levels[l]);
      INFO(c.name << " merges levels of different true effects");
      REQUIRE(want.has_value());
      compare(c.name, c.estimate, c.standard_error, *want);
    }
  }
  WARN(table);
  return out;
}

// The two-sided normal quantile for a family of m intervals at 95 % together (Bonferroni):
// Phi^-1(1 - 0.025 / m), by bisection on erfc.
double BonferroniZ(std::size_t m) {
  const double tail = 0.05 / static_cast<double>(m);
  double lo = 0, hi = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (std::erfc(mid / std::sqrt(2.0)) > tail ? lo : hi) = mid;
  }
  return lo;
}

// The smallest c with P(X <= c) >= q for X ~ Binomial(n, p).
std::size_t BinomialQuantile(std::size_t n, double p, double q) {
  double term = std::pow(1 - p, static_cast<double>(n));  // P(X = 0)
  double cumulative = term;
  std::size_t c = 0;
  while (cumulative < q && c < n) {
    term *= static_cast<double>(n - c) / static_cast<double>(c + 1) * p / (1 - p);
    cumulative += term;
    ++c;
  }
  return c;
}

// Learns `spec` from the register and compares it with `truth`; `drawn` gives the probability
// the generator drew an intervention of the population from.
void CheckAgainstTruth(const Register& reg, const models::ModelSpec& spec,
                       const synth::LogisticTruth& truth,
                       const std::function<std::optional<double>(const TruthCase&)>& drawn_of,
                       const std::function<bool(const TruthCase&)>& label_of,
                       std::string_view target) {
  auto started = Clock::now();
  const auto training = models::BuildTrainingSet(spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  const double seconds_build = Seconds(started);
  started = Clock::now();
  const auto fit = models::Fit(spec, *training);
  REQUIRE(fit.ok());
  const double seconds_fit = Seconds(started);

  // The truth is a function of what the register shows: the true probabilities of the training
  // rows, from their register levels, are exactly those the generator drew from.
  std::vector<double> from_register;
  for (const models::FeatureRow& row : training->raw) {
    from_register.push_back(truth.Probability(FeaturesOf(row)));
  }
  // And the register's labels are what was drawn: as many ones as draws of the target.
  std::vector<double> drawn;
  double drawn_positives = 0;
  for (const TruthCase& c : reg.cases) {
    if (InPopulation(c)) {
      const std::optional<double> p = drawn_of(c);
      REQUIRE(p.has_value());
      drawn.push_back(*p);
      drawn_positives += label_of(c) ? 1 : 0;
    }
  }
  REQUIRE(drawn.size() == training->rows);
  CHECK(std::accumulate(training->labels.begin(), training->labels.end(), 0.0) == drawn_positives);
  std::vector<double> sorted = from_register;
  std::sort(sorted.begin(), sorted.end());
  std::sort(drawn.begin(), drawn.end());
  CHECK(sorted == drawn);
  REQUIRE(training->rows > 20000);
  REQUIRE(training->pseudonyms > 15000);

  // Coefficients: the true sign (where the truth is 2 SE or more from 0), and the truth within
  // the confidence interval. Each
  // coefficient's own 95 % interval (estimate ± 1.96 SE) misses the truth one time in twenty by
  // chance alone, so of some 28 coefficients one or two miss it even when every estimate is
  // right (three or more one time in six). So each coefficient is held to the simultaneous 95 %
  // interval of the family (Bonferroni: ± z SE with z = Phi^-1(1 - 0.025 / m), 3.1 for m = 28),
  // and the number outside their own ± 1.96 SE to what chance allows (at most the 99th
  // percentile of Binomial(m, 0.05): 4 of 28).
  const Comparison compared = CompareWithTruth(truth, *training, *fit, target);
  CHECK(compared.max_z <= BonferroniZ(compared.coefficients));
  CHECK(compared.outside_95 <= BinomialQuantile(compared.coefficients, 0.05, 0.99));
  CHECK(compared.signs >= compared.coefficients / 2);

  // Out of fold, the model ranks as well as the truth does on the same episodes, and is
  // calibrated.
  const auto bayes = models::Evaluate(from_register, training->labels);
  REQUIRE(bayes.ok());
  const models::Evaluation& e = fit->evaluation;
  WARN(target << ": " << training->rows << " episodes of " << training->pseudonyms
              << " pseudonyms, " << training->left_out << " left out, base rate "
              << static_cast<double>(e.positives) / static_cast<double>(e.count)
              << "; out-of-fold AUC " << e.auc << " [" << e.auc_low << ", " << e.auc_high
              << "], Bayes AUC " << bayes->auc << "; calibration slope " << e.calibration_slope
              << ", in the large " << e.calibration_in_the_large << "; lambda "
              << fit->model.lambda() << "; signs checked " << compared.signs
              << "; coefficients outside 1.96 SE " << compared.outside_95 << " of "
              << compared.coefficients << ", largest |z| " << compared.max_z
              << "; seconds: generate " << reg.seconds_generate << ", submit " << reg.seconds_submit
              << ", read " << reg.seconds_read << ", build " << seconds_build << ", fit "
              << seconds_fit);
  CHECK(std::abs(e.auc - bayes->auc) <= 0.01);
  CHECK(e.calibration_slope >= 0.9);
  CHECK(e.calibration_slope <= 1.1);
}

}  // namespace

// One test case, so that the register (about 17 s in Release) is made once for both targets.
TEST_CASE("models acceptance: models learned from the register match the synthetic truth",
          "[models][acceptance]") {
  const Register& reg = TruthRegister();
  REQUIRE(reg.episodes.size() == reg.submitted);
  SECTION("dropout") {
    models::ModelSpec spec = TruthSpec();
    spec.target_kind = models::TargetKind::kOutcome;
    spec.target = "dropout";
    CheckAgainstTruth(
        reg, spec, reg.truth.dropout, [](const TruthCase& c) { return c.dropout; },
        [](const TruthCase& c) { return c.dropped_out; }, "dropout");
  }
  SECTION("a new case within 12 months") {
    models::ModelSpec spec = TruthSpec();
    spec.target_kind = models::TargetKind::kNewCase;
    spec.new_case_months = reg.truth.new_case_months;
    CheckAgainstTruth(
        reg, spec, reg.truth.new_case, [](const TruthCase& c) { return c.new_case; },
        [](const TruthCase& c) { return c.came_back; }, "new case");
  }
}
