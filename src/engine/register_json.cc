// The JSON forms of the register's releases (include/varsam/engine.h, "JSON forms of the
// register calls"): the export options varsam_register_export and `varsam register export` read
// and the report they write. (What is submitted has its forms in src/submission.) Messages name
// the key, never a value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/core.h"
#include "varsam/engine.h"

namespace varsam::engine {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

absl::StatusOr<RegisterExportOptions> ParseRegisterExportOptions(std::string_view text) {
  constexpr std::string_view what = "options";
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, what));
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(root, what, {"k", "l", "max_suppression", "metric", "filter"}));
  RegisterExportOptions options;
  for (const auto& [key, item] : root.items()) {
    const std::string where = JsonKeyPath(what, key);
    if (key == "k") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t k, JsonWholeNumber(item, where, 1, 1000000));
      options.k = static_cast<int>(k);
    } else if (key == "l") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t l, JsonWholeNumber(item, where, 0, 1000000));
      if (l == 1) return InvalidField(where, "must be 0 (none) or at least 2");
      options.distinct_l = static_cast<int>(l);
    } else if (key == "max_suppression") {
      if (!item.is_number() || !(item.get<double>() >= 0.0 && item.get<double>() <= 1.0)) {
        return InvalidField(where, "must be a fraction from 0 to 1");
      }
      options.max_suppression = item.get<double>();
    } else if (key == "metric") {
      if (item == "loss") {
        options.metric = anonymize::Metric::kLoss;
      } else if (item == "discernibility") {
        options.metric = anonymize::Metric::kDiscernibility;
      } else {
        return InvalidField(where, "must be \"loss\" or \"discernibility\"");
      }
    } else if (key == "filter") {
      VARSAM_RETURN_IF_ERROR(
          CheckJsonKeys(item, where, {"case_kind", "intervention", "region", "key_epoch"}));
      for (const auto& [name, value] : item.items()) {
        const std::string at = JsonKeyPath(where, name);
        if (value.is_null()) continue;
        if (name == "key_epoch") {
          VARSAM_ASSIGN_OR_RETURN(const std::int64_t epoch,
                                  JsonWholeNumber(value, at, 0, INT32_MAX));
          options.filter.key_epoch = static_cast<std::int32_t>(epoch);
          continue;
        }
        VARSAM_ASSIGN_OR_RETURN(std::string text_value, JsonTextOrNull(value, at));
        if (name == "case_kind") {
          options.filter.case_kind = std::move(text_value);
        } else if (name == "intervention") {
          options.filter.intervention = std::move(text_value);
        } else {
          options.filter.region = std::move(text_value);
        }
      }
    }
  }
  return options;
}

ordered_json RegisterReportJson(const RegisterRelease& release) {
  ordered_json j =
      anonymize::SearchReportJson("varsam-register-release/1", release.episodes, release.model,
                                  release.quasi_identifiers, release.search);
  const auto optional = [](const auto& value) {
    return value ? ordered_json(*value) : ordered_json();
  };
  ordered_json filter;
  filter["case_kind"] = optional(release.filter.case_kind);
  filter["intervention"] = optional(release.filter.intervention);
  filter["region"] = optional(release.filter.region);
  filter["key_epoch"] = optional(release.filter.key_epoch);
  j["filter"] = std::move(filter);
  return j;
}

}  // namespace varsam::engine
