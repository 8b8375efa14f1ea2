// A small synthetic register and a specification for the tests of the model file and its card
// (tests/model_file_test.cc) and for the program that renders a card for the browser test
// (tests/model_card_sample.cc). Synthetic people only, from a seeded generator.

#ifndef VARSAM_TESTS_MODEL_FIXTURES_H_
#define VARSAM_TESTS_MODEL_FIXTURES_H_

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "varsam/core.h"
#include "varsam/models.h"
#include "varsam/store.h"

namespace varsam_test {

using varsam::store::EpisodeRow;
using varsam::store::RegisterMeasurementRow;

struct Register {
  std::vector<EpisodeRow> episodes;
  std::vector<RegisterMeasurementRow> measurements;
};

// 3,000 synthetic people with one or two episodes whose dropout follows a logistic model of
// age band, sex, intervention and the PHQ-9 intake total. The second episodes of every tenth
// person were recorded under key epoch 2, so they count as other pseudonyms. Region "03" has 4
// people: below k, so it is merged in the model and suppressed in the fairness table.
inline Register MakeRegister() {
  std::mt19937_64 rng(20261204);
  std::uniform_real_distribution<double> u(0, 1);
  const char* ages[] = {"25-34", "18-24", "35-49", "50-64"};
  const char* interventions[] = {"stodsamtal", "familjebehandling", "boendestod"};
  Register reg;
  for (int person = 0; person < 3000; ++person) {
    const std::string digits = std::to_string(person);
    const std::string pseudonym = std::string("p1_").append(43 - digits.size(), 'C').append(digits);
    const std::size_t age = rng() % 4;
    const bool male = u(rng) < 0.45;
    const std::string region = person < 4 ? "03" : (person % 3 == 0 ? "12" : "01");
    const int episodes = u(rng) < 0.3 ? 2 : 1;
    for (int e = 0; e < episodes; ++e) {
      EpisodeRow row;
      row.pseudonym = pseudonym;
      row.key_epoch = e == 1 && person % 10 == 0 ? 2 : 1;
      row.age_band = ages[age];
      row.sex = male ? "male" : "female";
      row.region = region;
      row.case_kind = "insats";
      const std::size_t intervention = rng() % 3;
      row.intervention = interventions[intervention];
      row.start_period =
          std::to_string(2023 + e).append("-Q").append(std::to_string(1 + rng() % 4));
      row.end_period = row.start_period;
      row.record_key = rng() | 1;
      double z = -1.0 +
                 (age == 1   ? 0.6
                  : age == 3 ? -0.5
                             : 0.0) +
                 (male ? 0.4 : 0.0) +
                 (intervention == 0   ? 0.5
                  : intervention == 2 ? -0.4
                                      : 0.0);
      if (u(rng) < 0.9) {
        RegisterMeasurementRow m;
        m.pseudonym = pseudonym;
        m.key_epoch = row.key_epoch;
        m.instrument = "phq9";
        m.session = 1;
        m.period = row.start_period;
        m.total = static_cast<double>(rng() % 28);
        m.record_key = rng() | 1;
        z += 0.05 * (*m.total - 12);
        reg.measurements.push_back(m);
      }
      row.outcome = u(rng) < 1 / (1 + std::exp(-z)) ? "dropout" : "completed";
      reg.episodes.push_back(row);
    }
  }
  return reg;
}

constexpr std::string_view kSpecJson = R"({
  "target": "dropout",
  "population": {"case_kinds": ["insats"],
                 "interventions": ["stodsamtal", "familjebehandling", "boendestod"]},
  "features": ["age_band", "sex", "region", "intervention",
               {"feature": "intake_total", "instrument": "phq9", "bins": 4}],
  "fairness": {"bootstrap": 20},
  "learner": {"kind": "logistic", "l2": [0.5, 5], "folds": 4, "seed": 3},
  "min_support": 10
})";

// The model file of a real fit of MakeRegister() with kSpecJson (fairness included), named and
// dated as a caller would.
inline absl::StatusOr<varsam::models::ModelFile> FitSampleModel() {
  namespace models = varsam::models;
  VARSAM_ASSIGN_OR_RETURN(const models::ModelSpec spec, models::ParseModelSpec(kSpecJson));
  const Register reg = MakeRegister();
  VARSAM_ASSIGN_OR_RETURN(const models::TrainingSet training,
                          models::BuildTrainingSet(spec, reg.episodes, reg.measurements));
  VARSAM_ASSIGN_OR_RETURN(const models::FitResult fit, models::Fit(spec, training));
  VARSAM_ASSIGN_OR_RETURN(const models::FairnessReport fairness,
                          models::AssessFairness(spec, training, fit.calibrated_out_of_fold));
  models::ModelFile file = models::MakeModelFile(spec, training, fit, fairness);
  file.name = "Dropout from support, synthetic register";
  file.training.trained_at = "2026-12-04T20:00:00Z";
  return file;
}

}  // namespace varsam_test

#endif  // VARSAM_TESTS_MODEL_FIXTURES_H_
