// The C shim of the anonymisation pipeline (capi/varsam.h, "Anonymisation"; docs/c-api.md):
// the request's JSON form (anonymize::ParseRequest) through anonymize::Pipeline into one JSON
// result (anonymize::ReleaseJson), with the host's key callback. The C API reads no files: csv
// hierarchies come in the request. Messages name the key, the field and the record's index,
// never a value. Every entry point runs inside capi::Guard.

#include "varsam/anonymize.h"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capi_internal.h"
#include "varsam.h"
#include "varsam/core.h"

namespace {

using nlohmann::ordered_json;
using varsam::Cat;
using varsam::StatusMessage;
using varsam::capi::Guard;
using varsam::capi::JsonOut;
using varsam::capi::NullArg;
namespace an = varsam::anonymize;

// A refused record as "request.records[index]: ..." (the pipeline's RecordError; any other
// failure of Add keeps its own message).
absl::Status AtRecord(const absl::Status& status, std::size_t index) {
  const std::optional<an::RecordError> error = an::RecordErrorOf(status);
  return absl::Status(status.code(),
                      Cat({"request.records[", std::to_string(index), "]: ",
                           error ? std::string_view(error->message) : StatusMessage(status)}));
}

absl::StatusOr<ordered_json> Run(std::string_view text, varsam_pseudonym_key_callback key,
                                 void* key_user_data) {
  VARSAM_ASSIGN_OR_RETURN(an::Request request, an::ParseRequest(text));
  an::PipelineOptions& o = request.options;
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
  return an::ReleaseJson(release);
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
