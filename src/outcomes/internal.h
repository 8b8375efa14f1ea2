// What the outcome component's sources share (private to src/outcomes, and to its fuzz target):
// the check of a curve specification, and the curve file's reader without the hash comparison.

#ifndef VARSAM_SRC_OUTCOMES_INTERNAL_H_
#define VARSAM_SRC_OUTCOMES_INTERNAL_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/outcomes.h"

namespace varsam::outcomes::internal {

// OK, or InvalidArgument naming the field ("spec.boundary_percentile", ...): a percentile
// strictly between 0 and 50, max_session 2..200, min_support at least 1, a scale within +-1e6
// with scale_max above scale_min, bins of a positive width, at most 1000 of them.
absl::Status CheckSpec(const EtrSpec& spec);

// How many intake bins of spec.bin_width cover the scale.
int BinCount(const EtrSpec& spec);

// ParseEtrModel without comparing the hash (a fuzzer cannot forge a SHA-256): every other rule
// of the strict loader holds, and `sha256` is what the file says.
absl::StatusOr<EtrModel> ParseEtrModelUnverified(std::string_view json);

}  // namespace varsam::outcomes::internal

#endif  // VARSAM_SRC_OUTCOMES_INTERNAL_H_
