// What the outcome component's sources share (private to src/outcomes, and to its fuzz target):
// the check of a curve specification, the names of the model's terms, and the curve file's
// reader without the hash comparison.

#ifndef VARSAM_SRC_OUTCOMES_INTERNAL_H_
#define VARSAM_SRC_OUTCOMES_INTERNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/outcomes.h"

namespace varsam::outcomes::internal {

// OK, or InvalidArgument naming the field ("spec.boundary_percentile", ...): predictors of
// kEtrPredictors in that order, none twice; a percentile strictly between 0 and 50,
// max_session 2..200, min_support at least 1, a scale within +-1e6 with scale_max above scale_min,
// bins of a positive width, at most 1000 of them.
absl::Status CheckSpec(const EtrSpec& spec);

// How many intake bins of spec.bin_width cover the scale.
int BinCount(const EtrSpec& spec);

// The names of the mixed model's fixed effects (MixedFit::terms) for these predictors.
std::vector<std::string> MixedTerms(const std::vector<std::string>& predictors);

// The predictors the levels make, per predictor its levels after the first (the reference):
// "<predictor>=<level>".
std::vector<std::string> LevelPredictors(const std::vector<PredictorLevels>& levels);

// ParseEtrModel without comparing the hash (a fuzzer cannot forge a SHA-256): every other rule
// of the strict loader holds, and `sha256` is what the file says.
absl::StatusOr<EtrModel> ParseEtrModelUnverified(std::string_view json);

}  // namespace varsam::outcomes::internal

#endif  // VARSAM_SRC_OUTCOMES_INTERNAL_H_
