// The loader of instrument definitions (docs/instrument-format.md): JSON text → a validated
// Definition. Private to src/instruments; the public face is Instrument::Parse.

#ifndef VARSAM_SRC_INSTRUMENTS_DEFINITION_H_
#define VARSAM_SRC_INSTRUMENTS_DEFINITION_H_

#include <cstddef>
#include <iterator>
#include <string_view>

#include "absl/status/statusor.h"
#include "varsam/instruments.h"

namespace varsam::instruments::internal {

// The names of subjects and comparisons in definition files, indexed by the enum's value.
inline constexpr std::string_view kSubjectNames[] = {"item",   "total", "subscale",
                                                     "change", "age",   "sex"};
inline constexpr std::string_view kComparisonNames[] = {"at_least", "at_most", "below",  "above",
                                                        "equals",   "missing", "unknown"};
static_assert(std::size(kSubjectNames) == static_cast<size_t>(Subject::kSex) + 1);
static_assert(std::size(kComparisonNames) == static_cast<size_t>(Comparison::kUnknown) + 1);

// Parses and validates one definition, with `overrides` in place of settings' defaults.
// InvalidArgument naming the instrument (when its id is known) and the field at fault.
absl::StatusOr<Definition> ParseDefinition(std::string_view json, const SettingValues& overrides);

// Whether `id` may name an instrument, band, subscale, flag or setting: 1-32 characters of
// a-z, 0-9, '-', '_', starting with a letter.
bool IsValidId(std::string_view id);

}  // namespace varsam::instruments::internal

#endif  // VARSAM_SRC_INSTRUMENTS_DEFINITION_H_
