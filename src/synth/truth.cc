// The ground truth for models (include/varsam/synth.h, GroundTruth; docs/synth.md, "The ground
// truth"): the logistic models that dropout and new cases follow when it is enabled.

#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/synth.h"

namespace varsam::synth {
namespace {

// The lowest age of a register age band ("35-39" → 35, "100+" → 100); -1 when not a band.
int LowestAge(std::string_view band) {
  int age = 0;
  std::size_t i = 0;
  for (; i < band.size() && band[i] >= '0' && band[i] <= '9'; ++i) age = age * 10 + (band[i] - '0');
  return i == 0 ? -1 : age;
}

double Find(const std::vector<std::pair<std::string, double>>& effects, std::string_view level) {
  for (const auto& [name, effect] : effects) {
    if (name == level) return effect;
  }
  return 0;
}

}  // namespace

double LogisticTruth::Effect(std::string_view feature, std::string_view level) const {
  if (feature == "age_band") {
    const int lowest = LowestAge(level);
    double effect = 0;
    for (const auto& [from, e] : age) {
      if (lowest >= 0 && from <= lowest) effect = e;
    }
    return effect;
  }
  if (feature == "sex") return level == "male" ? male : 0;
  if (feature == "intervention") return Find(interventions, level);
  if (feature == std::string("intake_band:").append(kTruthInstrument)) {
    return Find(intake_bands, level);
  }
  if (feature == "earlier_episodes") {
    if (level == "0") return earlier[0];
    if (level == "1") return earlier[1];
    if (level == "2") return earlier[2];
    if (level == "3+") return earlier[3];
  }
  return 0;
}

double LogisticTruth::LogOdds(const TruthFeatures& f) const {
  return intercept + Effect("age_band", f.age_band) + Effect("sex", f.sex) +
         Effect("intervention", f.intervention) +
         Effect(std::string("intake_band:").append(kTruthInstrument), f.intake_band) +
         Effect("earlier_episodes", f.earlier_episodes);
}

double LogisticTruth::Probability(const TruthFeatures& features) const {
  return 1 / (1 + std::exp(-LogOdds(features)));
}

// The coefficients are chosen, not estimated from any data: plausible directions (younger
// clients, men, more severe symptoms and earlier episodes drop out and come back more often)
// with effects large enough that 100,000 clients tell each from zero.
LogisticTruth DefaultDropoutTruth() {
  LogisticTruth t;
  t.intercept = -1.9;
  t.age = {{0, 0.6}, {25, 0.3}, {35, 0.0}, {50, -0.4}, {65, -0.8}};
  t.male = 0.3;
  t.interventions = {{"familjebehandling", -0.2},
                     {"missbruk_oppenvard", 0.0},
                     {"missbruk_institution", 0.5},
                     {"stodsamtal", -0.4}};
  t.intake_bands = {{"none", 0.0},     {"mild", 0.25},
                    {"moderate", 0.5}, {"moderately_severe", 0.8},
                    {"severe", 1.1},   {"(missing)", 0.7}};
  t.earlier[1] = 0.3;
  t.earlier[2] = 0.6;
  t.earlier[3] = 0.9;
  return t;
}

LogisticTruth DefaultNewCaseTruth() {
  LogisticTruth t;
  t.intercept = -1.2;
  t.age = {{0, 0.4}, {25, 0.2}, {35, 0.0}, {50, -0.3}, {65, -0.6}};
  t.male = 0.2;
  t.interventions = {{"missbruk_oppenvard", 0.0},   {"missbruk_institution", 0.6},
                     {"stodsamtal", -0.5},          {"ekonomiskt_bistand", 0.3},
                     {"familjebehandling", -0.2},   {"kontaktperson", -0.3},
                     {"placering_familjehem", 0.2}, {"placering_hvb", 0.4},
                     {"boendestod", 0.1},           {"arbetstraning", -0.4}};
  t.intake_bands = {{"none", 0.0},     {"mild", 0.2},
                    {"moderate", 0.4}, {"moderately_severe", 0.6},
                    {"severe", 0.8},   {"(missing)", 0.2}};
  t.earlier[1] = 0.4;
  t.earlier[2] = 0.8;
  t.earlier[3] = 1.2;
  return t;
}

}  // namespace varsam::synth
