// The C shim: turns C arguments into C++ calls and absl::Status into varsam_status. Nothing
// else lives here; every function is a few lines over the C++ API (cf. leveldb's db/c.cc).

#include "varsam.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace {

// varsam_status is absl::StatusCode, one to one.
#define VARSAM_SAME_CODE(c, k) \
  static_assert(static_cast<int>(c) == static_cast<int>(absl::StatusCode::k), #c)
VARSAM_SAME_CODE(VARSAM_OK, kOk);
VARSAM_SAME_CODE(VARSAM_CANCELLED, kCancelled);
VARSAM_SAME_CODE(VARSAM_UNKNOWN, kUnknown);
VARSAM_SAME_CODE(VARSAM_INVALID_ARGUMENT, kInvalidArgument);
VARSAM_SAME_CODE(VARSAM_DEADLINE_EXCEEDED, kDeadlineExceeded);
VARSAM_SAME_CODE(VARSAM_NOT_FOUND, kNotFound);
VARSAM_SAME_CODE(VARSAM_ALREADY_EXISTS, kAlreadyExists);
VARSAM_SAME_CODE(VARSAM_PERMISSION_DENIED, kPermissionDenied);
VARSAM_SAME_CODE(VARSAM_RESOURCE_EXHAUSTED, kResourceExhausted);
VARSAM_SAME_CODE(VARSAM_FAILED_PRECONDITION, kFailedPrecondition);
VARSAM_SAME_CODE(VARSAM_ABORTED, kAborted);
VARSAM_SAME_CODE(VARSAM_OUT_OF_RANGE, kOutOfRange);
VARSAM_SAME_CODE(VARSAM_UNIMPLEMENTED, kUnimplemented);
VARSAM_SAME_CODE(VARSAM_INTERNAL, kInternal);
VARSAM_SAME_CODE(VARSAM_UNAVAILABLE, kUnavailable);
VARSAM_SAME_CODE(VARSAM_DATA_LOSS, kDataLoss);
VARSAM_SAME_CODE(VARSAM_UNAUTHENTICATED, kUnauthenticated);
#undef VARSAM_SAME_CODE

static_assert(VARSAM_VERSION_NUMBER == VARSAM_VERSION_MAJOR_DEF * 1000000 +
                                           VARSAM_VERSION_MINOR_DEF * 1000 +
                                           VARSAM_VERSION_PATCH_DEF,
              "the build's version comes from varsam.h");

thread_local std::string last_error;

varsam_status Fail(const absl::Status& status) {
  last_error.assign(status.message().data(), status.message().size());
  return static_cast<varsam_status>(status.code());
}

// Runs `body` (returning absl::Status) so that no exception crosses the C boundary.
template <typename Body>
varsam_status Guard(Body&& body) noexcept {
  try {
    const absl::Status status = body();
    return status.ok() ? VARSAM_OK : Fail(status);
  } catch (const std::bad_alloc&) {
    return Fail(absl::ResourceExhaustedError("out of memory"));
  } catch (...) {
    return Fail(absl::InternalError("unexpected exception inside varsam"));
  }
}

absl::StatusOr<varsam::Date> DateArg(int32_t yyyymmdd, const char* name) {
  if (yyyymmdd == 0) return varsam::TodayInSweden();
  const int year = yyyymmdd / 10000, month = yyyymmdd / 100 % 100, day = yyyymmdd % 100;
  if (year < 1000 || year > 9999 || !varsam::IsValidDate(year, month, day)) {
    return absl::InvalidArgumentError(std::string(name) + ": not a real date as YYYYMMDD");
  }
  return varsam::Date(year, month, day);
}

absl::Status NullArg(const char* name) {
  return absl::InvalidArgumentError(std::string(name) + ": must not be NULL");
}

// A copy of `text` in memory the caller frees with varsam_free().
char* CopyOut(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.data(), text.size() + 1);
  return out;
}

}  // namespace

extern "C" {

int32_t varsam_version_number(void) { return varsam::VersionNumber(); }

const char* varsam_version_string(void) { return VARSAM_VERSION_STRING_DEF; }

const char* varsam_last_error(void) { return last_error.c_str(); }

const char* varsam_status_name(varsam_status status) {
  // data() of a literal-backed string_view is NUL-terminated.
  return varsam::StatusCodeName(static_cast<absl::StatusCode>(status)).data();
}

void varsam_free(void* memory) { std::free(memory); }

varsam_status varsam_id_check(const char* number, size_t number_length, int32_t today_yyyymmdd,
                              varsam_id_result* result) {
  return Guard([&]() -> absl::Status {
    if (number == nullptr) return NullArg("number");
    if (result == nullptr) return NullArg("result");
    constexpr size_t kFirstVersionSize =
        offsetof(varsam_id_result, normalized) + sizeof(result->normalized);
    if (result->struct_size < kFirstVersionSize) {
      return absl::InvalidArgumentError("result: struct_size is smaller than varsam_id_result");
    }
    VARSAM_ASSIGN_OR_RETURN(const varsam::Date today, DateArg(today_yyyymmdd, "today_yyyymmdd"));

    const auto checked = varsam::ident::Check(std::string_view(number, number_length), today);
    varsam_id_result out{};
    out.struct_size = result->struct_size;
    out.error = static_cast<int32_t>(checked.error);
    if (checked.ok()) {
      const auto& n = checked.number;
      out.valid = 1;
      out.kind = static_cast<int32_t>(n.kind);
      out.sex = static_cast<int32_t>(n.sex);
      out.official_test_number = n.official_test_number ? 1 : 0;
      out.birth_year = static_cast<int32_t>(n.birth_date.year());
      out.birth_month = n.birth_date.month();
      out.birth_day = n.birth_date.day();
      std::memcpy(out.normalized, n.digits.data(), n.digits.size());
    }
    std::memcpy(result, &out, std::min<size_t>(result->struct_size, sizeof out));
    return absl::OkStatus();
  });
}

const char* varsam_id_error_message(int32_t error) {
  if (error < 0 || error > static_cast<int32_t>(varsam::ident::Error::kCentury)) {
    return "unknown identity-number error";
  }
  return varsam::ident::ErrorMessage(static_cast<varsam::ident::Error>(error)).data();
}

varsam_status varsam_id_find(const char* text, size_t text_length, int32_t today_yyyymmdd,
                             char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    if (text == nullptr && text_length > 0) return NullArg("text");
    VARSAM_ASSIGN_OR_RETURN(const varsam::Date today, DateArg(today_yyyymmdd, "today_yyyymmdd"));
    nlohmann::json matches = nlohmann::json::array();
    varsam::ident::Scan(std::string_view(text == nullptr ? "" : text, text_length), today,
                        [&](const varsam::ident::Match& m) {
                          matches.push_back({
                              {"offset", m.offset},
                              {"length", m.length},
                              {"normalized", m.number.normalized()},
                              {"kind", varsam::ident::KindName(m.number.kind)},
                              {"official_test_number", m.number.official_test_number},
                          });
                        });
    *json_out = CopyOut(varsam::DumpJson(matches));
    return absl::OkStatus();
  });
}

}  // extern "C"
