// The anonymisation pipeline's JSON request and result (include/varsam/anonymize.h, "The JSON
// request"): what varsam_anonymize reads and returns. Messages name the key, the field and the
// record's index, never a value.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "varsam/anonymize.h"
#include "varsam/core.h"

namespace varsam::anonymize {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kRequestKeys =
    "schema, records, k, l, sensitive, max_suppression, key_epoch, names, today, hierarchies";

// csv file -> its text.
using Files = std::map<std::string, std::string, std::less<>>;

// One record object -> values in schema order ("" for a missing field or null).
absl::Status ParseRecord(const json& value, std::size_t index, const Schema& schema, Record* out) {
  const std::string what = Cat({"request.records[", std::to_string(index), "]"});
  if (!value.is_object()) return InvalidField(what, "must be an object keyed by field name");
  out->assign(schema.fields.size(), std::string());
  for (const auto& [key, field] : value.items()) {
    const FieldSpec* f = schema.Find(key);
    if (f == nullptr) {
      return InvalidField(
          what, Cat({"unknown key ", KeyForMessage(key), " (not a field of the schema)"}));
    }
    const auto slot = static_cast<std::size_t>(f - schema.fields.data());
    if (field.is_string()) {
      (*out)[slot] = field.get<std::string>();
    } else if (field.is_number_integer()) {
      (*out)[slot] = field.dump();
    } else if (!field.is_null()) {
      return InvalidField(
          what, Cat({"field ", KeyForMessage(key), ": must be a string, a whole number or null"}));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Request> ParseRequest(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "request"));
  if (!root.is_object()) return InvalidField("request", "must be a JSON object");
  for (const char* required : {"schema", "records", "k"}) {
    if (!root.contains(required)) return InvalidField(Cat({"request.", required}), "is required");
  }
  Request r;
  PipelineOptions& o = r.options;
  auto files = std::make_shared<Files>();
  // The schema first: the records are read against it.
  {
    const json& schema = root.at("schema");
    if (!schema.is_object() && !schema.is_string()) {
      return InvalidField("request.schema", "must be the schema's JSON object (or its text)");
    }
    auto parsed = ParseSchema(schema.is_string() ? schema.get<std::string>() : schema.dump());
    if (!parsed.ok()) {
      // ParseSchema's messages begin "schema: ".
      return absl::InvalidArgumentError(Cat({"request.", StatusMessage(parsed.status())}));
    }
    o.schema = std::move(parsed).value();
  }
  for (const auto& [key, value] : root.items()) {
    const std::string what = Cat({"request.", key});
    if (key == "schema") {
      continue;
    } else if (key == "records") {
      if (!value.is_array()) return InvalidField(what, "must be an array of objects");
      r.records.resize(value.size());
      for (std::size_t i = 0; i < value.size(); ++i) {
        VARSAM_RETURN_IF_ERROR(ParseRecord(value[i], i, o.schema, &r.records[i]));
      }
    } else if (key == "k") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t k, JsonWholeNumber(value, what, 1, 1000000));
      o.model.k = static_cast<int>(k);
    } else if (key == "l") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t l, JsonWholeNumber(value, what, 0, 1000000));
      if (l == 1) return InvalidField(what, "must be 0 (none) or at least 2");
      o.model.distinct_l = static_cast<int>(l);
    } else if (key == "sensitive") {
      if (!value.is_null() && !value.is_string())
        return InvalidField(what, "must be a field name or null");
      if (value.is_string()) o.sensitive_field = value.get<std::string>();
    } else if (key == "max_suppression") {
      if (!value.is_number()) return InvalidField(what, "must be a number from 0 to 1");
      const double fraction = value.get<double>();
      if (!(fraction >= 0.0 && fraction <= 1.0))
        return InvalidField(what, "must be a number from 0 to 1");
      o.model.max_suppression = fraction;
    } else if (key == "key_epoch") {
      VARSAM_ASSIGN_OR_RETURN(
          const std::int64_t epoch,
          JsonWholeNumber(value, what, 0, std::numeric_limits<std::int32_t>::max()));
      o.key_epoch = static_cast<std::int32_t>(epoch);
    } else if (key == "names") {
      if (!value.is_array()) return InvalidField(what, "must be an array of strings");
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string()) {
          return InvalidField(Cat({what, "[", std::to_string(i), "]"}), "must be a string");
        }
        o.scrub.names.push_back(value[i].get<std::string>());
      }
    } else if (key == "today") {
      if (!value.is_null()) {
        if (!value.is_string()) return InvalidField(what, "must be a date YYYY-MM-DD or null");
        VARSAM_ASSIGN_OR_RETURN(o.scrub.today, ParseIsoDate(value.get<std::string>(), what));
      }
    } else if (key == "hierarchies") {
      if (!value.is_object())
        return InvalidField(what, "must be an object {\"FILE\": \"<csv text>\"}");
      for (const auto& [file, csv] : value.items()) {
        if (!csv.is_string()) {
          return InvalidField(what, Cat({"entry ", KeyForMessage(file), ": must be the csv text"}));
        }
        files->emplace(file, csv.get<std::string>());
      }
    } else {
      return InvalidField(
          "request", Cat({"unknown key ", KeyForMessage(key), " (known: ", kRequestKeys, ")"}));
    }
  }
  if (o.model.distinct_l >= 2 && o.sensitive_field.empty()) {
    return InvalidField("request.l", "needs request.sensitive (the field for l-diversity)");
  }
  o.read_hierarchy = [files = std::shared_ptr<const Files>(std::move(files))](
                         std::string_view file) -> absl::StatusOr<std::string> {
    const auto it = files->find(file);
    if (it == files->end()) {
      return InvalidField("request.hierarchies", Cat({"has no entry ", KeyForMessage(file)}));
    }
    return it->second;
  };
  return r;
}

ordered_json ReleaseJson(const Release& release) {
  ordered_json rows = ordered_json::array();
  for (const Record& row : release.rows) rows.push_back(row);
  ordered_json out;
  out["header"] = release.header;
  out["rows"] = std::move(rows);
  out["report"] = ReportJson(release);
  return out;
}

}  // namespace varsam::anonymize
