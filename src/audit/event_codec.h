// The canonical event bytes of the audit log (docs/audit.md, "Events"): what the rest of
// src/audit shares of the codec. Private to src/audit.

#ifndef VARSAM_SRC_AUDIT_EVENT_CODEC_H_
#define VARSAM_SRC_AUDIT_EVENT_CODEC_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace varsam::audit::internal {

// A time in the canonical form of FormatAuditTime ("YYYY-MM-DDTHH:MM:SS.ffffffZ", a real
// calendar date), or InvalidArgument. Events and checkpoints carry their times so.
absl::StatusOr<absl::Time> ParseTimeText(std::string_view t);

}  // namespace varsam::audit::internal

#endif  // VARSAM_SRC_AUDIT_EVENT_CODEC_H_
