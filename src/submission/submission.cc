// The register submission's JSON forms (include/varsam/submission.h): episodes, cases and case
// lines, as varsam_register_submit, varsam_register_submit_cases, Python's Engine and the CLI's
// `varsam register submit` read them. Messages name the key and the line, never a value.

#include "varsam/submission.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::submission {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// A date YYYY-MM-DD.
absl::StatusOr<Date> DateValue(const json& value, std::string_view what) {
  if (!value.is_string()) return InvalidField(what, "must be a date YYYY-MM-DD");
  return ParseIsoDate(value.get_ref<const std::string&>(), what);
}

absl::StatusOr<store::Measurement> ParseMeasurement(const json& value, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(value, what, {"instrument", "session", "date", "total", "band"}));
  store::Measurement m;
  for (const char* required : {"instrument", "date"}) {
    if (!value.contains(required)) return InvalidField(JsonKeyPath(what, required), "is required");
  }
  for (const auto& [key, item] : value.items()) {
    const std::string where = JsonKeyPath(what, key);
    if (key == "instrument") {
      VARSAM_ASSIGN_OR_RETURN(m.instrument, JsonTextOrNull(item, where));
    } else if (key == "session") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t session, JsonWholeNumber(item, where, 0, 1000000));
      m.session = static_cast<int>(session);
    } else if (key == "date") {
      VARSAM_ASSIGN_OR_RETURN(m.date, DateValue(item, where));
    } else if (key == "total") {
      if (!item.is_null() && !item.is_number())
        return InvalidField(where, "must be a number or null");
      if (item.is_number()) m.total = item.get<double>();
    } else if (key == "band") {
      if (!item.is_null()) {
        VARSAM_ASSIGN_OR_RETURN(m.band, JsonTextOrNull(item, where));
      }
    }
  }
  return m;
}

}  // namespace

absl::StatusOr<Episode> ParseEpisode(const json& value, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(value, what,
                    {"personnummer", "client_ref", "age", "sex", "postal_code", "intervention",
                     "start", "end", "outcome", "measurements", "field_classes"}));
  Episode s;
  for (const char* required : {"age", "start"}) {
    if (!value.contains(required)) return InvalidField(JsonKeyPath(what, required), "is required");
  }
  for (const auto& [key, item] : value.items()) {
    const std::string where = JsonKeyPath(what, key);
    if (key == "personnummer") {
      VARSAM_ASSIGN_OR_RETURN(s.personnummer, JsonTextOrNull(item, where));
    } else if (key == "client_ref") {
      VARSAM_ASSIGN_OR_RETURN(s.client_ref, JsonTextOrNull(item, where));
    } else if (key == "age") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t age, JsonWholeNumber(item, where, 0, 150));
      s.age = static_cast<int>(age);
    } else if (key == "sex") {
      VARSAM_ASSIGN_OR_RETURN(s.sex, JsonTextOrNull(item, where));
    } else if (key == "postal_code") {
      VARSAM_ASSIGN_OR_RETURN(s.postal_code, JsonTextOrNull(item, where));
    } else if (key == "intervention") {
      VARSAM_ASSIGN_OR_RETURN(s.intervention, JsonTextOrNull(item, where));
    } else if (key == "start") {
      VARSAM_ASSIGN_OR_RETURN(s.start, DateValue(item, where));
    } else if (key == "end") {
      if (!item.is_null()) {
        VARSAM_ASSIGN_OR_RETURN(s.end, DateValue(item, where));
      }
    } else if (key == "outcome") {
      VARSAM_ASSIGN_OR_RETURN(s.outcome, JsonTextOrNull(item, where));
    } else if (key == "measurements") {
      if (item.is_null()) continue;
      if (!item.is_array()) return InvalidField(where, "must be an array of measurements");
      for (std::size_t i = 0; i < item.size(); ++i) {
        VARSAM_ASSIGN_OR_RETURN(store::Measurement m,
                                ParseMeasurement(item[i], JsonIndexPath(where, i)));
        s.measurements.push_back(std::move(m));
      }
    } else if (key == "field_classes") {
      if (item.is_null()) continue;
      if (!item.is_array()) return InvalidField(where, "must be an array of field classes");
      for (const json& name : item) {
        const std::optional<access::FieldClass> field_class =
            name.is_string() ? access::ParseFieldClass(name.get_ref<const std::string&>())
                             : std::nullopt;
        if (!field_class) {
          return InvalidField(where,
                              "must be an array of \"ordinary\", \"sensitive\", \"trade_union\"");
        }
        s.field_classes.push_back(*field_class);
      }
    }
  }
  if (s.personnummer.empty() && s.client_ref.empty()) {
    return InvalidField(what, "needs \"personnummer\" or \"client_ref\"");
  }
  return s;
}

absl::StatusOr<std::vector<Episode>> ParseEpisodes(std::string_view text, std::string_view what) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, what));
  std::vector<Episode> batch;
  if (root.is_object()) {
    VARSAM_ASSIGN_OR_RETURN(Episode s, ParseEpisode(root, what));
    batch.push_back(std::move(s));
    return batch;
  }
  if (!root.is_array())
    return InvalidField(what, "must be a submission or an array of submissions");
  batch.reserve(root.size());
  for (std::size_t i = 0; i < root.size(); ++i) {
    VARSAM_ASSIGN_OR_RETURN(Episode s, ParseEpisode(root[i], JsonIndexPath(what, i)));
    batch.push_back(std::move(s));
  }
  return batch;
}

ordered_json EpisodeJson(const Episode& s) {
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

absl::StatusOr<RegisterCase> ParseRegisterCase(const json& value, std::string_view what) {
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(value, what, {"case", "episodes"}));
  RegisterCase c;
  const auto case_it = value.find("case");
  if (case_it != value.end() && !case_it->is_null()) {
    VARSAM_ASSIGN_OR_RETURN(c.case_info, access::ParseCaseInfo(*case_it, "context.case"));
  }
  const auto episodes = value.find("episodes");
  if (episodes == value.end() || !episodes->is_array() || episodes->empty()) {
    return InvalidField("episodes", "must be a non-empty array");
  }
  c.episodes.reserve(episodes->size());
  for (std::size_t i = 0; i < episodes->size(); ++i) {
    VARSAM_ASSIGN_OR_RETURN(Episode episode,
                            ParseEpisode((*episodes)[i], JsonIndexPath("episodes", i)));
    c.episodes.push_back(std::move(episode));
  }
  return c;
}

ordered_json RegisterCaseJson(const RegisterCase& c) {
  ordered_json j;
  if (c.case_info) j["case"] = access::CaseInfoJson(*c.case_info);
  ordered_json episodes = ordered_json::array();
  for (const Episode& e : c.episodes) episodes.push_back(EpisodeJson(e));
  j["episodes"] = std::move(episodes);
  return j;
}

absl::StatusOr<access::Context> ContextFor(const access::Context& context, const RegisterCase& c) {
  access::Context out = context;
  if (c.case_info) {
    out.case_info = c.case_info;
    out.subject_client = c.case_info->client;
  }
  if (!out.case_info) {
    return absl::InvalidArgumentError("case: is required (on the line or in the context)");
  }
  return out;
}

absl::StatusOr<std::vector<CaseSubmission>> ParseCaseLines(std::string_view text,
                                                           const access::Context& context) {
  const auto at_line = [](std::size_t line, const absl::Status& status) {
    return absl::Status(status.code(),
                        Cat({"line ", std::to_string(line), ": ", StatusMessage(status)}));
  };
  std::vector<CaseSubmission> cases;
  std::size_t line = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view row = text.substr(begin, end - begin);
    begin = end + 1;
    ++line;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    absl::StatusOr<json> parsed = ParseJson(row, "the line");
    if (!parsed.ok()) return at_line(line, parsed.status());
    absl::StatusOr<RegisterCase> c = ParseRegisterCase(*parsed, "the line");
    if (!c.ok()) return at_line(line, c.status());
    absl::StatusOr<access::Context> in = ContextFor(context, *c);
    if (!in.ok()) return at_line(line, in.status());
    cases.push_back(CaseSubmission{line, *std::move(in), std::move(c->episodes)});
  }
  return cases;
}

}  // namespace varsam::submission
