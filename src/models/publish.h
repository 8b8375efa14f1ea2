// What the model file, the application of a model and the model card share: names and words
// for features, the shortest round-trip form of a number, and the Wilson interval. Private to
// src/models (docs/architecture.md).

#ifndef VARSAM_SRC_MODELS_PUBLISH_H_
#define VARSAM_SRC_MODELS_PUBLISH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "varsam/models.h"

namespace varsam::models {

// The name a feature of the spec has in the model ("sex", "intake_total:phq9"), as
// BuildTrainingSet gives it to FeatureInfo::name.
std::string FeatureNameOf(const FeatureSpec& feature);

// What a feature is called for people, by its name: {"Kön", "Sex"}; an intake feature names its
// instrument; a name no spec makes (an evidence-based model's item) is itself.
struct FeatureWords {
  std::string sv;
  std::string en;
};
FeatureWords WordsFor(std::string_view feature_name);

// The shortest decimal form that reads back as the same double (std::to_chars), with -0 written
// as 0. Only for finite values.
std::string ShortestNumber(double value);

// The Wilson score interval (Wilson 1927, "Probable inference, the law of succession, and
// statistical inference") of `successes` out of `n` at 95 %: {0, 1} when n is 0.
std::pair<double, double> WilsonInterval(double successes, double n);

}  // namespace varsam::models

#endif  // VARSAM_SRC_MODELS_PUBLISH_H_
