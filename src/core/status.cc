// Version, status-code names and status messages (see varsam/core.h).

#include "varsam/core.h"

namespace varsam {

static_assert(VARSAM_VERSION_MAJOR_DEF >= 0, "CMake passes the version from capi/varsam.h");

std::string_view VersionString() { return VARSAM_VERSION_STRING_DEF; }

std::int32_t VersionNumber() {
  return VARSAM_VERSION_MAJOR_DEF * 1000000 + VARSAM_VERSION_MINOR_DEF * 1000 +
         VARSAM_VERSION_PATCH_DEF;
}

std::string Cat(std::initializer_list<std::string_view> pieces) {
  size_t size = 0;
  for (std::string_view piece : pieces) size += piece.size();
  std::string out;
  out.reserve(size);
  for (std::string_view piece : pieces) out.append(piece);
  return out;
}

std::string_view StatusCodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return "ok";
    case absl::StatusCode::kCancelled: return "cancelled";
    case absl::StatusCode::kUnknown: return "unknown";
    case absl::StatusCode::kInvalidArgument: return "invalid_argument";
    case absl::StatusCode::kDeadlineExceeded: return "deadline_exceeded";
    case absl::StatusCode::kNotFound: return "not_found";
    case absl::StatusCode::kAlreadyExists: return "already_exists";
    case absl::StatusCode::kPermissionDenied: return "permission_denied";
    case absl::StatusCode::kResourceExhausted: return "resource_exhausted";
    case absl::StatusCode::kFailedPrecondition: return "failed_precondition";
    case absl::StatusCode::kAborted: return "aborted";
    case absl::StatusCode::kOutOfRange: return "out_of_range";
    case absl::StatusCode::kUnimplemented: return "unimplemented";
    case absl::StatusCode::kInternal: return "internal";
    case absl::StatusCode::kUnavailable: return "unavailable";
    case absl::StatusCode::kDataLoss: return "data_loss";
    case absl::StatusCode::kUnauthenticated: return "unauthenticated";
    default: return "unknown";
  }
}

std::string_view StatusMessage(const absl::Status& status) {
  const auto message = status.message();
  return std::string_view(message.data(), message.size());
}

}  // namespace varsam
