// libFuzzer target: the model specification loader (varsam::models::ParseModelSpec) and the
// training set it selects.
//
// The input is a specification's JSON text. It must be refused with InvalidArgument naming a
// field of "spec", or read into a specification that keeps the loader's promises
// (varsam/models.h, docs/models.md): a target among the register's outcomes or a new case within
// 1..120 months; 1 to 32 features (or only protected classes, kept apart) with instruments
// exactly on the intake features and bins 2..20; 1 to 20 finite lambdas of 0 or more; folds
// 2..20; k at least 2; age band, sex and region among the fairness features. A specification
// that loads is then applied to a small fixed synthetic register: the training set is built or
// refused cleanly, every column it has is 1 for at least k distinct pseudonyms, and the fairness
// table of a fixed score shows no numbers for a group below k.
// Seeds: tests/fuzz/corpus/model_spec/.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "varsam/models.h"
#include "varsam/store.h"

namespace {

namespace models = varsam::models;
namespace store = varsam::store;

struct Register {
  std::vector<store::EpisodeRow> episodes;
  std::vector<store::RegisterMeasurementRow> measurements;
};

// 60 episodes of 30 synthetic pseudonyms, every field varied, with PHQ-9 intakes.
const Register& SmallRegister() {
  static const Register* reg = [] {
    auto* r = new Register;
    const char* ages[] = {"18-24", "25-34", "35-49"};
    const char* interventions[] = {"stodsamtal", "boendestod", "", "annat"};
    const char* kinds[] = {"insats", "utredning", "uppfoljning"};
    for (int i = 0; i < 60; ++i) {
      store::EpisodeRow e;
      const std::string digits = std::to_string(i % 30);
      e.pseudonym = std::string("p1_").append(43 - digits.size(), 'B').append(digits);
      e.key_epoch = 1;
      e.age_band = ages[i % 3];
      e.sex = i % 5 == 0 ? "" : (i % 2 == 0 ? "female" : "male");
      e.region = i % 7 == 0 ? "" : "01";
      e.case_kind = kinds[i % 3];
      e.intervention = interventions[i % 4];
      e.start_period = i < 30 ? "2024-Q1" : "2025-03";
      e.end_period = i % 6 == 0 ? "" : (i < 30 ? "2024" : "2025-Q2");
      e.outcome = i % 9 == 0 ? "" : store::kOutcomes[static_cast<std::size_t>(i) % 6];
      e.record_key = static_cast<std::uint64_t>(i) + 1;
      r->episodes.push_back(e);
      if (i % 4 != 3) {
        store::RegisterMeasurementRow m;
        m.pseudonym = e.pseudonym;
        m.key_epoch = 1;
        m.instrument = "phq9";
        m.session = 1;
        m.period = i < 30 ? "2024-02" : "2025-03";
        if (i % 8 != 0) m.total = static_cast<double>(i % 28);
        m.band = i % 3 == 0 ? "mild" : "";
        m.record_key = static_cast<std::uint64_t>(i) + 100;
        r->measurements.push_back(m);
      }
    }
    return r;
  }();
  return *reg;
}

bool IsOutcome(std::string_view s) {
  for (const std::string_view o : store::kOutcomes) {
    if (o == s) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto spec = models::ParseModelSpec(text);
  if (!spec.ok()) {
    REQUIRE(spec.status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(varsam::StatusMessage(spec.status()).starts_with("spec"));
    return 0;
  }
  if (spec->target_kind == models::TargetKind::kOutcome) {
    REQUIRE(IsOutcome(spec->target));
  } else {
    REQUIRE(spec->new_case_months >= 1 && spec->new_case_months <= 120);
  }
  // A feature list of protected classes alone loads (for the policy to refuse it).
  REQUIRE((!spec->features.empty() || !spec->protected_classes.empty()) &&
          spec->features.size() <= 32);
  REQUIRE(spec->fairness.size() >= 3);
  REQUIRE(spec->max_points >= 1 && spec->max_points <= 100);
  REQUIRE(std::isnan(spec->threshold) || (spec->threshold > 0 && spec->threshold < 1));
  REQUIRE(spec->bootstrap == 0 || (spec->bootstrap >= 20 && spec->bootstrap <= 10000));
  for (const models::FeatureSpec& f : spec->features) {
    const bool intake =
        f.kind == models::FeatureKind::kIntakeTotal || f.kind == models::FeatureKind::kIntakeBand;
    REQUIRE(intake == !f.instrument.empty());
    REQUIRE(f.bins >= 2 && f.bins <= 20);
  }
  REQUIRE(!spec->lambdas.empty() && spec->lambdas.size() <= 20);
  for (const double l : spec->lambdas) REQUIRE(std::isfinite(l) && l >= 0);
  REQUIRE(spec->folds >= 2 && spec->folds <= 20);
  REQUIRE(spec->min_support >= 2);

  const Register& reg = SmallRegister();
  const auto training = models::BuildTrainingSet(*spec, reg.episodes, reg.measurements);
  if (!training.ok()) {
    const auto code = training.status().code();
    REQUIRE(code == absl::StatusCode::kInvalidArgument ||
            code == absl::StatusCode::kFailedPrecondition);
    return 0;
  }
  REQUIRE(training->rows + training->left_out == reg.episodes.size());
  REQUIRE(training->features.size() == spec->features.size());
  const std::size_t columns = training->column_names.size();
  REQUIRE(training->design.size() == training->rows * columns);
  std::size_t expected = 0;
  for (const models::FeatureInfo& f : training->features) expected += f.levels.size() - 1;
  REQUIRE(expected == columns);
  for (std::size_t c = 0; c < columns; ++c) {
    std::set<std::int32_t> people;
    for (std::size_t r = 0; r < training->rows; ++r) {
      if (training->design[c * training->rows + r] == 1) people.insert(training->groups[r]);
    }
    REQUIRE(people.size() >= static_cast<std::size_t>(spec->min_support));
  }
  REQUIRE(spec->protected_classes.empty());
  REQUIRE(training->fairness_names.size() == spec->fairness.size());

  // Fairness on a fixed score: a group below k has no numbers.
  models::ModelSpec quick = *spec;
  quick.bootstrap = 0;
  std::vector<double> predicted;
  for (std::size_t r = 0; r < training->rows; ++r) predicted.push_back(0.25 + 0.5 * (r % 2));
  const auto report = models::AssessFairness(quick, *training, predicted);
  REQUIRE(report.ok());
  for (const models::GroupMetrics& g : report->groups) {
    REQUIRE(g.suppressed == (g.pseudonyms == 0));
    if (g.suppressed) REQUIRE(g.count == 0 && std::isnan(g.auc.value) && g.reliability.empty());
  }
  return 0;
}
