// Private to the C shim (capi/varsam.cc, capi/engine.cc): the status conversion, the guard that
// keeps exceptions inside, returning JSON to the caller and the key callbacks. Not
// installed; nothing here is exported (the version script keeps only varsam_*).

#ifndef VARSAM_CAPI_INTERNAL_H_
#define VARSAM_CAPI_INTERNAL_H_

#include <cstdint>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam.h"
#include "varsam/core.h"
#include "varsam/pseudonym.h"

namespace varsam::capi {

// Sets the calling thread's last error to `status`'s message and returns its code.
varsam_status Fail(const absl::Status& status);

// Runs `body` (returning absl::Status) so that no exception crosses the C boundary: bad_alloc is
// RESOURCE_EXHAUSTED, a JSON value of the wrong type or out of range INVALID_ARGUMENT, anything
// else INTERNAL. Messages never carry the exception's text (it may quote the input).
template <typename Body>
varsam_status Guard(Body&& body) noexcept {
  try {
    const absl::Status status = body();
    return status.ok() ? VARSAM_OK : Fail(status);
  } catch (const std::bad_alloc&) {
    return Fail(absl::ResourceExhaustedError("out of memory"));
  } catch (const nlohmann::json::parse_error&) {
    return Fail(absl::InvalidArgumentError("malformed JSON"));
  } catch (const nlohmann::json::type_error&) {
    return Fail(absl::InvalidArgumentError("a JSON value has the wrong type"));
  } catch (const nlohmann::json::out_of_range&) {
    return Fail(absl::InvalidArgumentError("a JSON value is out of range"));
  } catch (...) {
    return Fail(absl::InternalError("unexpected exception inside varsam"));
  }
}

// InvalidArgument "<name>: must not be NULL".
absl::Status NullArg(const char* name);

// The date YYYYMMDD (0: today in Sweden); InvalidArgument naming `name` unless it is real.
absl::StatusOr<Date> DateArg(std::int32_t yyyymmdd, const char* name);

// A copy of `text` in memory the caller frees with varsam_free().
char* CopyOut(const std::string& text);
// Serialises `value` into *out (DumpJson, then CopyOut).
absl::Status JsonOut(const nlohmann::ordered_json& value, char** out);

using varsam::KeyForMessage;  // varsam/core.h

// The host's pseudonym key callback as a PseudonymKeyProvider: the key passes through one
// local buffer, wiped afterwards. When the callback refuses, the provider fails with
// Unauthenticated and sets *refused (when not NULL; it must outlive the provider's calls).
anonymize::PseudonymKeyProvider PseudonymKeysFrom(varsam_pseudonym_key_callback key,
                                                  void* user_data, bool* refused);

}  // namespace varsam::capi

#endif  // VARSAM_CAPI_INTERNAL_H_
