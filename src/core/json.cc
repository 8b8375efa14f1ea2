// Exception-free JSON helpers over nlohmann-json.

#include <nlohmann/json.hpp>

#include "varsam/core.h"

namespace varsam {

absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(CheckUtf8(text, what));
  // nlohmann-json reports the byte offset of an error only through parse_error, so parse
  // with exceptions and catch them all here: nothing escapes this function.
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(
        Cat({what, ": not valid JSON at byte ", std::to_string(e.byte)}));
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(Cat({what, ": not valid JSON"}));
  }
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DumpJson(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace varsam
