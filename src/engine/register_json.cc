// The JSON forms of the register calls (include/varsam/engine.h, "JSON forms of the register
// calls"): what the C API's varsam_register_submit / varsam_register_export and the CLI's
// `varsam register submit|export` read and write. One parser for both, so a submission the CLI
// takes is one the C API takes. Messages name the key, never a value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/core.h"
#include "varsam/engine.h"

namespace varsam::engine {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

absl::Status Bad(std::string_view what, std::string_view message) {
  return absl::InvalidArgumentError(Cat({what, ": ", message}));
}

std::string Key(std::string_view what, std::string_view key) { return Cat({what, ".", key}); }

// A string, or "" for null.
absl::StatusOr<std::string> Text(const json& value, std::string_view what) {
  if (value.is_null()) return std::string();
  if (!value.is_string()) return Bad(what, "must be a string or null");
  return value.get<std::string>();
}

absl::StatusOr<Date> DateValue(const json& value, std::string_view what) {
  if (!value.is_string()) return Bad(what, "must be a date YYYY-MM-DD");
  return ParseIsoDate(value.get_ref<const std::string&>(), what);
}

absl::StatusOr<store::Measurement> ParseMeasurement(const json& value, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(value, what, {"instrument", "session", "date", "total", "band"}));
  store::Measurement m;
  for (const char* required : {"instrument", "date"}) {
    if (!value.contains(required)) return Bad(Key(what, required), "is required");
  }
  for (const auto& [key, item] : value.items()) {
    const std::string where = Key(what, key);
    if (key == "instrument") {
      VARSAM_ASSIGN_OR_RETURN(m.instrument, Text(item, where));
    } else if (key == "session") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t session, JsonWholeNumber(item, where, 0, 1000000));
      m.session = static_cast<int>(session);
    } else if (key == "date") {
      VARSAM_ASSIGN_OR_RETURN(m.date, DateValue(item, where));
    } else if (key == "total") {
      if (!item.is_null() && !item.is_number()) return Bad(where, "must be a number or null");
      if (item.is_number()) m.total = item.get<double>();
    } else if (key == "band") {
      if (!item.is_null()) {
        VARSAM_ASSIGN_OR_RETURN(m.band, Text(item, where));
      }
    }
  }
  return m;
}

}  // namespace

absl::StatusOr<RegisterSubmission> ParseRegisterSubmission(const json& value,
                                                           std::string_view what) {
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(value, what,
                    {"personnummer", "client_ref", "age", "sex", "postal_code", "intervention",
                     "start", "end", "outcome", "measurements", "field_classes"}));
  RegisterSubmission s;
  for (const char* required : {"age", "start"}) {
    if (!value.contains(required)) return Bad(Key(what, required), "is required");
  }
  for (const auto& [key, item] : value.items()) {
    const std::string where = Key(what, key);
    if (key == "personnummer") {
      VARSAM_ASSIGN_OR_RETURN(s.personnummer, Text(item, where));
    } else if (key == "client_ref") {
      VARSAM_ASSIGN_OR_RETURN(s.client_ref, Text(item, where));
    } else if (key == "age") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t age, JsonWholeNumber(item, where, 0, 150));
      s.age = static_cast<int>(age);
    } else if (key == "sex") {
      VARSAM_ASSIGN_OR_RETURN(s.sex, Text(item, where));
    } else if (key == "postal_code") {
      VARSAM_ASSIGN_OR_RETURN(s.postal_code, Text(item, where));
    } else if (key == "intervention") {
      VARSAM_ASSIGN_OR_RETURN(s.intervention, Text(item, where));
    } else if (key == "start") {
      VARSAM_ASSIGN_OR_RETURN(s.start, DateValue(item, where));
    } else if (key == "end") {
      if (!item.is_null()) {
        VARSAM_ASSIGN_OR_RETURN(s.end, DateValue(item, where));
      }
    } else if (key == "outcome") {
      VARSAM_ASSIGN_OR_RETURN(s.outcome, Text(item, where));
    } else if (key == "measurements") {
      if (item.is_null()) continue;
      if (!item.is_array()) return Bad(where, "must be an array of measurements");
      for (std::size_t i = 0; i < item.size(); ++i) {
        VARSAM_ASSIGN_OR_RETURN(
            store::Measurement m,
            ParseMeasurement(item[i], Cat({where, "[", std::to_string(i), "]"})));
        s.measurements.push_back(std::move(m));
      }
    } else if (key == "field_classes") {
      if (item.is_null()) continue;
      if (!item.is_array()) return Bad(where, "must be an array of field classes");
      for (const json& name : item) {
        const std::optional<access::FieldClass> field_class =
            name.is_string() ? access::ParseFieldClass(name.get_ref<const std::string&>())
                             : std::nullopt;
        if (!field_class) {
          return Bad(where, "must be an array of \"ordinary\", \"sensitive\", \"trade_union\"");
        }
        s.field_classes.push_back(*field_class);
      }
    }
  }
  if (s.personnummer.empty() && s.client_ref.empty()) {
    return Bad(what, "needs \"personnummer\" or \"client_ref\"");
  }
  return s;
}

absl::StatusOr<std::vector<RegisterSubmission>> ParseRegisterSubmissions(std::string_view text,
                                                                         std::string_view what) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, what));
  std::vector<RegisterSubmission> batch;
  if (root.is_object()) {
    VARSAM_ASSIGN_OR_RETURN(RegisterSubmission s, ParseRegisterSubmission(root, what));
    batch.push_back(std::move(s));
    return batch;
  }
  if (!root.is_array()) return Bad(what, "must be a submission or an array of submissions");
  batch.reserve(root.size());
  for (std::size_t i = 0; i < root.size(); ++i) {
    VARSAM_ASSIGN_OR_RETURN(
        RegisterSubmission s,
        ParseRegisterSubmission(root[i], Cat({what, "[", std::to_string(i), "]"})));
    batch.push_back(std::move(s));
  }
  return batch;
}

ordered_json RegisterSubmissionJson(const RegisterSubmission& s) {
  ordered_json j;
  j["personnummer"] = s.personnummer;
  j["client_ref"] = s.client_ref;
  j["age"] = s.age;
  j["sex"] = s.sex;
  j["postal_code"] = s.postal_code;
  j["intervention"] = s.intervention;
  j["start"] = FormatIsoDate(s.start);
  j["end"] = s.end ? ordered_json(FormatIsoDate(*s.end)) : ordered_json();
  j["outcome"] = s.outcome;
  ordered_json measurements = ordered_json::array();
  for (const store::Measurement& m : s.measurements) {
    ordered_json o;
    o["instrument"] = m.instrument;
    o["session"] = m.session;
    o["date"] = FormatIsoDate(m.date);
    o["total"] = m.total ? ordered_json(*m.total) : ordered_json();
    o["band"] = m.band ? ordered_json(*m.band) : ordered_json();
    measurements.push_back(std::move(o));
  }
  j["measurements"] = std::move(measurements);
  ordered_json classes = ordered_json::array();
  for (const access::FieldClass c : s.field_classes) classes.push_back(access::Name(c));
  j["field_classes"] = std::move(classes);
  return j;
}

absl::StatusOr<RegisterExportOptions> ParseRegisterExportOptions(std::string_view text) {
  constexpr std::string_view what = "options";
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, what));
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(root, what, {"k", "l", "max_suppression", "metric", "filter"}));
  RegisterExportOptions options;
  for (const auto& [key, item] : root.items()) {
    const std::string where = Key(what, key);
    if (key == "k") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t k, JsonWholeNumber(item, where, 1, 1000000));
      options.k = static_cast<int>(k);
    } else if (key == "l") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t l, JsonWholeNumber(item, where, 0, 1000000));
      if (l == 1) return Bad(where, "must be 0 (none) or at least 2");
      options.distinct_l = static_cast<int>(l);
    } else if (key == "max_suppression") {
      if (!item.is_number() || !(item.get<double>() >= 0.0 && item.get<double>() <= 1.0)) {
        return Bad(where, "must be a fraction from 0 to 1");
      }
      options.max_suppression = item.get<double>();
    } else if (key == "metric") {
      if (item == "loss") {
        options.metric = anonymize::Metric::kLoss;
      } else if (item == "discernibility") {
        options.metric = anonymize::Metric::kDiscernibility;
      } else {
        return Bad(where, "must be \"loss\" or \"discernibility\"");
      }
    } else if (key == "filter") {
      VARSAM_RETURN_IF_ERROR(
          CheckJsonKeys(item, where, {"case_kind", "intervention", "region", "key_epoch"}));
      for (const auto& [name, value] : item.items()) {
        const std::string at = Key(where, name);
        if (value.is_null()) continue;
        if (name == "key_epoch") {
          VARSAM_ASSIGN_OR_RETURN(const std::int64_t epoch,
                                  JsonWholeNumber(value, at, 0, INT32_MAX));
          options.filter.key_epoch = static_cast<std::int32_t>(epoch);
          continue;
        }
        VARSAM_ASSIGN_OR_RETURN(std::string text_value, Text(value, at));
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
