// The loader of instrument definitions (docs/instrument-format.md): JSON text → a validated
// Definition. Private to src/instruments; the public face is Instrument::Parse.

#ifndef VARSAM_SRC_INSTRUMENTS_DEFINITION_H_
#define VARSAM_SRC_INSTRUMENTS_DEFINITION_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "varsam/instruments.h"

namespace varsam::instruments::internal {

// Parses and validates one definition, with `overrides` in place of settings' defaults.
// InvalidArgument naming the instrument (when its id is known) and the field at fault.
absl::StatusOr<Definition> ParseDefinition(std::string_view json, const SettingValues& overrides);

// Whether `id` may name an instrument, band, subscale, flag or setting: 1-32 characters of
// a-z, 0-9, '-', '_', starting with a letter.
bool IsValidId(std::string_view id);

}  // namespace varsam::instruments::internal

#endif  // VARSAM_SRC_INSTRUMENTS_DEFINITION_H_
