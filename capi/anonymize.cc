// The C shim of the anonymisation pipeline (capi/varsam.h, "Anonymisation"; issue 6, item 7):
// one JSON request — schema, records, model, key epoch, names, csv hierarchies — through
// anonymize::Pipeline into one JSON result — header, rows, report (anonymize::ReportJson).
// The C API reads no files: csv hierarchies come in the request. Messages name the key, the
// field and the record's index, never a value. Every entry point runs inside capi::Guard.

#include <openssl/crypto.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capi_internal.h"
#include "varsam.h"
#include "varsam/anonymize.h"
#include "varsam/core.h"

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using varsam::Cat;
using varsam::StatusMessage;
using varsam::capi::Guard;
using varsam::capi::JsonOut;
using varsam::capi::KeyForMessage;
using varsam::capi::NullArg;
namespace an = varsam::anonymize;

constexpr std::string_view kRequestKeys =
    "schema, records, k, l, sensitive, max_suppression, key_epoch, names, today, hierarchies";

absl::Status Bad(std::string_view what, std::string_view message) {
  return absl::InvalidArgumentError(Cat({what, ": ", message}));
}

// The parsed request: everything but the key callback.
struct Request {
  an::PipelineOptions options;
  std::map<std::string, std::string, std::less<>> hierarchies;  // file -> csv text
  std::vector<an::Record> records;
};

// One record object -> values in schema order ("" for a missing field or null).
absl::Status ParseRecord(const json& value, std::size_t index, const an::Schema& schema,
                         an::Record* out) {
  const std::string what = Cat({"request.records[", std::to_string(index), "]"});
  if (!value.is_object()) return Bad(what, "must be an object keyed by field name");
  out->assign(schema.fields.size(), std::string());
  for (const auto& [key, field] : value.items()) {
    const an::FieldSpec* f = schema.Find(key);
    if (f == nullptr) {
      return Bad(what, Cat({"unknown key ", KeyForMessage(key), " (not a field of the schema)"}));
    }
    const auto slot = static_cast<std::size_t>(f - schema.fields.data());
    if (field.is_string()) {
      (*out)[slot] = field.get<std::string>();
    } else if (field.is_number_integer()) {
      (*out)[slot] = field.dump();
    } else if (!field.is_null()) {
      return Bad(what,
                 Cat({"field ", KeyForMessage(key), ": must be a string, a whole number or null"}));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Request> ParseRequest(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, varsam::ParseJson(text, "request"));
  if (!root.is_object()) return Bad("request", "must be a JSON object");
  for (const char* required : {"schema", "records", "k"}) {
    if (!root.contains(required)) return Bad(Cat({"request.", required}), "is required");
  }
  Request r;
  an::PipelineOptions& o = r.options;
  // The schema first: the records are read against it.
  {
    const json& schema = root.at("schema");
    if (!schema.is_object() && !schema.is_string()) {
      return Bad("request.schema", "must be the schema's JSON object (or its text)");
    }
    auto parsed = an::ParseSchema(schema.is_string() ? schema.get<std::string>() : schema.dump());
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
      if (!value.is_array()) return Bad(what, "must be an array of objects");
      r.records.resize(value.size());
      for (std::size_t i = 0; i < value.size(); ++i) {
        VARSAM_RETURN_IF_ERROR(ParseRecord(value[i], i, o.schema, &r.records[i]));
      }
    } else if (key == "k") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t k,
                              varsam::JsonWholeNumber(value, what, 1, 1000000));
      o.model.k = static_cast<int>(k);
    } else if (key == "l") {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t l,
                              varsam::JsonWholeNumber(value, what, 0, 1000000));
      if (l == 1) return Bad(what, "must be 0 (none) or at least 2");
      o.model.distinct_l = static_cast<int>(l);
    } else if (key == "sensitive") {
      if (!value.is_null() && !value.is_string()) return Bad(what, "must be a field name or null");
      if (value.is_string()) o.sensitive_field = value.get<std::string>();
    } else if (key == "max_suppression") {
      if (!value.is_number()) return Bad(what, "must be a number from 0 to 1");
      const double fraction = value.get<double>();
      if (!(fraction >= 0.0 && fraction <= 1.0)) return Bad(what, "must be a number from 0 to 1");
      o.model.max_suppression = fraction;
    } else if (key == "key_epoch") {
      VARSAM_ASSIGN_OR_RETURN(
          const std::int64_t epoch,
          varsam::JsonWholeNumber(value, what, 0, std::numeric_limits<std::int32_t>::max()));
      o.key_epoch = static_cast<std::int32_t>(epoch);
    } else if (key == "names") {
      if (!value.is_array()) return Bad(what, "must be an array of strings");
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string()) {
          return Bad(Cat({what, "[", std::to_string(i), "]"}), "must be a string");
        }
        o.scrub.names.push_back(value[i].get<std::string>());
      }
    } else if (key == "today") {
      if (!value.is_null()) {
        if (!value.is_string()) return Bad(what, "must be a date YYYY-MM-DD or null");
        VARSAM_ASSIGN_OR_RETURN(o.scrub.today,
                                varsam::ParseIsoDate(value.get<std::string>(), what));
      }
    } else if (key == "hierarchies") {
      if (!value.is_object()) return Bad(what, "must be an object {\"FILE\": \"<csv text>\"}");
      for (const auto& [file, csv] : value.items()) {
        if (!csv.is_string()) {
          return Bad(what, Cat({"entry ", KeyForMessage(file), ": must be the csv text"}));
        }
        r.hierarchies.emplace(file, csv.get<std::string>());
      }
    } else {
      return Bad("request",
                 Cat({"unknown key ", KeyForMessage(key), " (known: ", kRequestKeys, ")"}));
    }
  }
  if (o.model.distinct_l >= 2 && o.sensitive_field.empty()) {
    return Bad("request.l", "needs request.sensitive (the field for l-diversity)");
  }
  return r;
}

// The pipeline's "record N: ..." (N = index + 1) as "request.records[index]: ...".
absl::Status AtRecord(const absl::Status& status, std::size_t index) {
  std::string_view m = StatusMessage(status);
  const std::string prefix = Cat({"record ", std::to_string(index + 1), ": "});
  if (m.substr(0, prefix.size()) == prefix) m.remove_prefix(prefix.size());
  return absl::Status(status.code(), Cat({"request.records[", std::to_string(index), "]: ", m}));
}

absl::StatusOr<ordered_json> Run(std::string_view text, varsam_pseudonym_key_callback key,
                                 void* key_user_data) {
  VARSAM_ASSIGN_OR_RETURN(Request request, ParseRequest(text));
  an::PipelineOptions& o = request.options;
  const auto* hierarchies = &request.hierarchies;
  o.read_hierarchy = [hierarchies](std::string_view file) -> absl::StatusOr<std::string> {
    const auto it = hierarchies->find(file);
    if (it == hierarchies->end()) {
      return Bad("request.hierarchies", Cat({"has no entry ", KeyForMessage(file)}));
    }
    return it->second;
  };
  bool refused = false;
  if (key != nullptr) o.keys = varsam::capi::PseudonymKeysFrom(key, key_user_data, &refused);
  const std::int32_t epoch = o.key_epoch;
  auto created = an::Pipeline::Create(std::move(o));
  if (!created.ok()) {
    if (refused) {
      return absl::UnauthenticatedError(Cat(
          {"key: the key callback refused the pseudonym key of epoch ", std::to_string(epoch)}));
    }
    if (key == nullptr && created.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(
          Cat({StatusMessage(created.status()), " (a pseudonym field needs the key callback)"}));
    }
    return created.status();
  }
  an::Pipeline& pipeline = **created;
  for (std::size_t i = 0; i < request.records.size(); ++i) {
    const absl::Status added = pipeline.Add(request.records[i]);
    if (!added.ok()) return AtRecord(added, i);
    an::Record().swap(request.records[i]);
  }
  VARSAM_ASSIGN_OR_RETURN(const an::Release release, pipeline.Finish());
  ordered_json rows = ordered_json::array();
  for (const an::Record& row : release.rows) rows.push_back(row);
  ordered_json out;
  out["header"] = release.header;
  out["rows"] = std::move(rows);
  out["report"] = an::ReportJson(release);
  return out;
}

}  // namespace

namespace varsam::capi {

anonymize::PseudonymKeyProvider PseudonymKeysFrom(varsam_pseudonym_key_callback key,
                                                  void* user_data, bool* refused) {
  return [key, user_data, refused](std::int32_t epoch,
                                   std::span<std::uint8_t, 32> out) -> absl::Status {
    std::array<std::uint8_t, 32> buffer{};
    const varsam_status status = key(user_data, epoch, buffer.data());
    if (status == VARSAM_OK) std::memcpy(out.data(), buffer.data(), buffer.size());
    OPENSSL_cleanse(buffer.data(), buffer.size());
    if (status != VARSAM_OK) {
      if (refused != nullptr) *refused = true;
      return absl::UnauthenticatedError("the key callback refused");
    }
    return absl::OkStatus();
  };
}

}  // namespace varsam::capi

extern "C" {

varsam_status varsam_anonymize(const char* request_json, size_t request_length,
                               varsam_pseudonym_key_callback key, void* key_user_data,
                               char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    if (request_json == nullptr) return NullArg("request_json");
    VARSAM_ASSIGN_OR_RETURN(
        const ordered_json out,
        Run(std::string_view(request_json, request_length), key, key_user_data));
    return JsonOut(out, json_out);
  });
}

}  // extern "C"
