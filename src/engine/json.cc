// The JSON forms of the engine's calls (include/varsam/engine.h, "JSON forms of the other
// calls"): options, measurements in and out, suggestions, override rates, scores with their
// suggestions, and what a submission of case lines did. The C API's forms, one definition for
// every binding. Messages name the key, never a value.

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/instruments.h"

namespace varsam::engine {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

absl::Status UnknownKey(std::string_view what, std::string_view key, std::string_view known) {
  return InvalidField(what, Cat({"unknown key ", KeyForMessage(key), " (known: ", known, ")"}));
}

// The largest count the options take (checkpoint intervals): far beyond any real one.
constexpr std::int64_t kMaxCount = 9'000'000'000'000'000;

constexpr std::string_view kMeasurementKeys =
    "client_ref, case_ref, case_kind, instrument, session, date, responses, total, band, flags";

absl::StatusOr<std::string> Text(const json& value, std::string_view what) {
  if (!value.is_string()) return InvalidField(what, "must be a string");
  return value.get<std::string>();
}

// A number as the score's JSON prints it: whole numbers without a fraction, NaN as null.
ordered_json Number(double x) {
  if (std::isnan(x)) return nullptr;
  if (std::abs(x) < 1e15 && x == std::trunc(x)) return static_cast<std::int64_t>(x);
  return x;
}

}  // namespace

absl::StatusOr<EngineOptions> ParseEngineOptions(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "options"));
  if (!root.is_object()) return InvalidField("options", "must be a JSON object");
  EngineOptions options;
  bool have_store = false;
  for (const auto& [key, value] : root.items()) {
    if (key == "store") {
      if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        return InvalidField("options.store", "must be a directory or a postgresql:// URI");
      }
      options.store = value.get<std::string>();
      have_store = true;
    } else if (key == "policy_packs") {
      if (!value.is_array())
        return InvalidField("options.policy_packs", "must be an array of strings");
      for (const json& pack : value) {
        if (!pack.is_string())
          return InvalidField("options.policy_packs", "must be an array of strings");
        options.policy_packs.push_back(pack.get<std::string>());
      }
    } else if (key == "checkpoint_every_events") {
      VARSAM_ASSIGN_OR_RETURN(
          options.audit.checkpoint_every_events,
          JsonWholeNumber(value, "options.checkpoint_every_events", 0, kMaxCount));
    } else if (key == "checkpoint_every_seconds") {
      VARSAM_ASSIGN_OR_RETURN(
          const std::int64_t seconds,
          JsonWholeNumber(value, "options.checkpoint_every_seconds", 0, kMaxCount));
      options.audit.checkpoint_every = absl::Seconds(seconds);
    } else if (key == "register") {
      VARSAM_RETURN_IF_ERROR(
          CheckJsonKeys(value, "options.register", {"key_epoch", "age_level", "period_level"}));
      RegisterOptions& r = options.register_options;
      for (const auto& [name, item] : value.items()) {
        const std::string what = Cat({"options.register.", name});
        VARSAM_ASSIGN_OR_RETURN(const std::int64_t number,
                                JsonWholeNumber(item, what, 0, INT32_MAX));
        if (name == "key_epoch") {
          r.key_epoch = static_cast<std::int32_t>(number);
        } else if (name == "age_level") {
          r.age_level = static_cast<int>(number);
        } else {
          r.period_level = static_cast<int>(number);
        }
      }
    } else if (key == "insights") {
      VARSAM_RETURN_IF_ERROR(CheckJsonKeys(
          value, "options.insights",
          {"cells_per_period", "epsilon_per_period", "differencing_threshold", "group_in_store"}));
      InsightOptions& o = options.insights;
      if (value.contains("cells_per_period")) {
        VARSAM_ASSIGN_OR_RETURN(o.cells_per_period,
                                JsonWholeNumber(value["cells_per_period"],
                                                "options.insights.cells_per_period", 0, kMaxCount));
      }
      if (value.contains("epsilon_per_period")) {
        const json& e = value["epsilon_per_period"];
        if (!e.is_number() || !std::isfinite(e.get<double>()) || e.get<double>() < 0 ||
            e.get<double>() > 1000) {
          return InvalidField("options.insights.epsilon_per_period",
                              "must be a number from 0 to 1000");
        }
        o.epsilon_per_period = e.get<double>();
      }
      if (value.contains("differencing_threshold")) {
        VARSAM_ASSIGN_OR_RETURN(
            const std::int64_t t,
            JsonWholeNumber(value["differencing_threshold"],
                            "options.insights.differencing_threshold", 2, 1000));
        o.differencing_threshold = static_cast<int>(t);
      }
      if (value.contains("group_in_store")) {
        if (!value["group_in_store"].is_boolean()) {
          return InvalidField("options.insights.group_in_store", "must be true or false");
        }
        o.group_in_store = value["group_in_store"].get<bool>();
      }
    } else {
      return UnknownKey("options", key,
                        "store, policy_packs, checkpoint_every_events, checkpoint_every_seconds, "
                        "register, insights");
    }
  }
  if (!have_store) return InvalidField("options.store", "is required");
  return options;
}

absl::StatusOr<store::Measurement> ParseMeasurement(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "measurement"));
  if (!root.is_object()) return InvalidField("measurement", "must be a JSON object");
  store::Measurement m;
  for (const char* required :
       {"client_ref", "case_ref", "case_kind", "instrument", "date", "responses"}) {
    if (!root.contains(required))
      return InvalidField(Cat({"measurement.", required}), "is required");
  }
  for (const auto& [key, value] : root.items()) {
    const std::string what = Cat({"measurement.", key});
    if (key == "client_ref") {
      VARSAM_ASSIGN_OR_RETURN(m.client_ref, Text(value, what));
    } else if (key == "case_ref") {
      VARSAM_ASSIGN_OR_RETURN(m.case_ref, Text(value, what));
    } else if (key == "case_kind") {
      VARSAM_ASSIGN_OR_RETURN(m.case_kind, Text(value, what));
    } else if (key == "instrument") {
      VARSAM_ASSIGN_OR_RETURN(m.instrument, Text(value, what));
    } else if (key == "session") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t session, JsonWholeNumber(value, what, 0, 1000000));
      m.session = static_cast<int>(session);
    } else if (key == "date") {
      VARSAM_ASSIGN_OR_RETURN(const std::string date, Text(value, what));
      VARSAM_ASSIGN_OR_RETURN(m.date, ParseIsoDate(date, what));
    } else if (key == "responses") {
      if (!value.is_array()) return InvalidField(what, "must be an array of numbers or null");
      for (const json& answer : value) {
        if (!answer.is_null() && !answer.is_number()) {
          return InvalidField(what, "must be an array of numbers or null");
        }
        m.responses.push_back(answer.is_null() ? instruments::kMissing : answer.get<double>());
      }
    } else if (key == "total") {
      if (!value.is_null() && !value.is_number())
        return InvalidField(what, "must be a number or null");
      if (value.is_number()) m.total = value.get<double>();
    } else if (key == "band") {
      if (!value.is_null()) {
        VARSAM_ASSIGN_OR_RETURN(m.band, Text(value, what));
      }
    } else if (key == "flags") {
      if (!value.is_array()) return InvalidField(what, "must be an array of strings");
      for (const json& flag : value) {
        VARSAM_ASSIGN_OR_RETURN(std::string code, Text(flag, what));
        m.flags.push_back(std::move(code));
      }
    } else {
      return UnknownKey("measurement", key, kMeasurementKeys);
    }
  }
  return m;
}

ordered_json MeasurementJson(const store::Measurement& m) {
  ordered_json responses = ordered_json::array();
  for (const double answer : m.responses) responses.push_back(Number(answer));
  ordered_json out;
  out["id"] = m.id;
  out["client_ref"] = m.client_ref;
  out["case_ref"] = m.case_ref;
  out["case_kind"] = m.case_kind;
  out["instrument"] = m.instrument;
  out["session"] = m.session;
  out["date"] = FormatIsoDate(m.date);
  out["responses"] = std::move(responses);
  out["total"] = m.total ? Number(*m.total) : ordered_json(nullptr);
  out["band"] = m.band ? ordered_json(*m.band) : ordered_json(nullptr);
  out["flags"] = m.flags;
  return out;
}

absl::StatusOr<ordered_json> SuggestionJson(const store::Suggestion& s) {
  // The content is the library's own stored output (DumpJson), not a host's JSON; parsed in its
  // key order, which ParseJson's sorted maps would lose.
  ordered_json content = ordered_json::parse(s.content_json, nullptr, false);
  if (content.is_discarded()) return absl::InternalError("a stored suggestion is not JSON");
  ordered_json out;
  out["id"] = s.id;
  out["kind"] = s.kind;
  out["created"] = FormatIsoDate(s.created);
  out["content"] = std::move(content);
  return out;
}

ordered_json OverrideRateJson(const OverrideRate& rate) {
  const double value = rate.override_rate();
  ordered_json out;
  out["kind"] = rate.kind;
  out["code"] = rate.code;
  out["suggestions"] = rate.suggestions;
  out["decided"] = rate.decided;
  out["accepted"] = rate.accepted;
  out["rejected"] = rate.rejected;
  out["modified"] = rate.modified;
  out["override_rate"] = std::isnan(value) ? ordered_json(nullptr) : ordered_json(value);
  return out;
}

ordered_json ScoreResultJson(const ScoreResult& result, bool swedish) {
  ordered_json out = instruments::ToJson(result.score, swedish);
  ordered_json suggestions = ordered_json::array();
  for (size_t i = 0; i < result.suggestion_ids.size() && i < result.score.flags.size(); ++i) {
    suggestions.push_back(
        {{"id", result.suggestion_ids[i]}, {"flag", std::string(result.score.flags[i].code)}});
  }
  out["suggestions"] = std::move(suggestions);
  return out;
}

ordered_json CasesSubmittedJson(const CasesSubmitted& result) {
  ordered_json rejected = ordered_json::array();
  for (const CasesSubmitted::Rejected& r : result.rejected) {
    ordered_json row;
    row["line"] = r.line;
    row["status"] = StatusCodeName(r.status.code());
    row["message"] = StatusMessage(r.status);
    rejected.push_back(std::move(row));
  }
  ordered_json out;
  out["cases"] = result.cases;
  out["submitted"] = result.submitted;
  out["episodes"] = result.episodes;
  out["measurements"] = result.measurements;
  out["refused"] = result.refused;
  out["invalid"] = result.invalid;
  out["rejected"] = std::move(rejected);
  return out;
}

}  // namespace varsam::engine
