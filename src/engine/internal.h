// What the engine's sources share (private to src/engine): the case reference of a context, the
// Swedish date of a time, RFC 3339 times, and random ids.

#ifndef VARSAM_SRC_ENGINE_INTERNAL_H_
#define VARSAM_SRC_ENGINE_INTERNAL_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "varsam/access.h"
#include "varsam/core.h"

namespace varsam::engine::internal {

// The context's case reference, "" outside a case.
std::string_view CaseRefOf(const access::Context& context);

// OK when the context names its case and its subject client; otherwise InvalidArgument
// "<what> needs the context's case and subject client".
absl::Status NeedsCaseAndClient(const access::Context& context, std::string_view what);

// OK unless the context is in a case and `case_ref` (and `case_kind`, when given) name another:
// a write or a decision happens in the case the policy decides for and the event names
// (docs/architecture.md, "The case a call works in is the context's"). Otherwise
// InvalidArgument "<what>: is not in the context's case".
absl::Status InContextCase(const access::Context& context, std::string_view what,
                           std::string_view case_ref,
                           std::optional<std::string_view> case_kind = std::nullopt);

// The calendar date of `time` in Sweden (the date a suggestion or decision is made).
Date SwedishDate(absl::Time time);

// `time` as RFC 3339 in UTC to the second, "2026-12-05T10:00:00Z": the times kept models and
// releases record.
std::string Rfc3339(absl::Time time);

// A random 128-bit id as 32 lower-case hex digits (OpenSSL's CSPRNG; thread-safe): the ids of
// suggestions and of kept models.
absl::StatusOr<std::string> NewRandomId();

}  // namespace varsam::engine::internal

#endif  // VARSAM_SRC_ENGINE_INTERNAL_H_
