// The JSON requests of scoring (include/varsam/instruments.h, ScoreRequest, ParseSettingValues):
// what varsam_score_json, varsam_engine_score and varsam_instrument_configure read. Messages
// name the key, never a value.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "varsam/core.h"
#include "varsam/ident.h"
#include "varsam/instruments.h"

namespace varsam::instruments {

absl::StatusOr<ScoreRequest> ParseScoreRequest(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json request, ParseJson(text, "request"));
  if (!request.is_object()) return absl::InvalidArgumentError("request: must be a JSON object");
  ScoreRequest out;
  bool have_instrument = false, have_responses = false;
  for (const auto& [key, value] : request.items()) {
    if (key == "instrument") {
      if (!value.is_string()) {
        return absl::InvalidArgumentError("request.instrument: must be a string (an id)");
      }
      out.instrument = value.get<std::string>();
      have_instrument = true;
    } else if (key == "responses") {
      if (!value.is_array()) {
        return absl::InvalidArgumentError("request.responses: must be an array of numbers or null");
      }
      if (value.size() > static_cast<std::size_t>(kMaxItems)) {
        return absl::InvalidArgumentError(
            Cat({"request.responses: more than ", std::to_string(kMaxItems), " answers"}));
      }
      out.responses.reserve(value.size());
      for (const nlohmann::json& answer : value) {
        if (answer.is_null()) {
          out.responses.push_back(kMissing);
        } else if (answer.is_number()) {
          out.responses.push_back(answer.get<double>());
        } else {
          return absl::InvalidArgumentError(
              Cat({"request.responses: item ", std::to_string(out.responses.size() + 1),
                   " must be a number or null"}));
        }
      }
      have_responses = true;
    } else if (key == "sex") {
      if (value.is_null()) continue;
      const std::string_view sex = value.is_string()
                                       ? std::string_view(value.get_ref<const std::string&>())
                                       : std::string_view();
      if (sex == "female") {
        out.respondent.sex = ident::Sex::kFemale;
      } else if (sex == "male") {
        out.respondent.sex = ident::Sex::kMale;
      } else {
        return absl::InvalidArgumentError("request.sex: must be \"female\", \"male\" or null");
      }
    } else if (key == "age") {
      if (value.is_null()) continue;
      const double age = value.is_number() ? value.get<double>() : -1;
      if (!(age >= 0 && age <= std::numeric_limits<std::int32_t>::max()) ||
          age != std::floor(age)) {
        return absl::InvalidArgumentError(
            "request.age: must be a whole number of years, at least 0, or null");
      }
      out.respondent.age = static_cast<int>(age);
    } else if (key == "previous_total") {
      if (value.is_null()) continue;
      if (!value.is_number() || !std::isfinite(value.get<double>())) {
        return absl::InvalidArgumentError("request.previous_total: must be a number or null");
      }
      out.respondent.previous_total = value.get<double>();
    } else if (key == "language") {
      const std::string_view language = value.is_string()
                                            ? std::string_view(value.get_ref<const std::string&>())
                                            : std::string_view();
      if (language != "en" && language != "sv") {
        return absl::InvalidArgumentError("request.language: must be \"en\" or \"sv\"");
      }
      out.swedish = language == "sv";
    } else {
      return absl::InvalidArgumentError(
          Cat({"request: unknown key ", KeyForMessage(key),
               " (known: instrument, responses, sex, age, previous_total, language)"}));
    }
  }
  if (!have_instrument) return absl::InvalidArgumentError("request.instrument: required");
  if (!have_responses) return absl::InvalidArgumentError("request.responses: required");
  return out;
}

absl::StatusOr<SettingValues> ParseSettingValues(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json settings, ParseJson(text, "settings"));
  if (!settings.is_object()) {
    return absl::InvalidArgumentError("settings: must be a JSON object {\"name\": number}");
  }
  SettingValues out;
  for (const auto& [name, value] : settings.items()) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      return absl::InvalidArgumentError(
          Cat({"settings: the value of ", KeyForMessage(name), " must be a number"}));
    }
    out[name] = value.get<double>();
  }
  return out;
}

}  // namespace varsam::instruments
