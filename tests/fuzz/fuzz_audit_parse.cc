// libFuzzer target: the audit log's parsers (varsam/audit.h) — events and checkpoints as they
// are read back from a store that an insider may have edited.
//
// Byte 0 picks the parser; the rest is the stored payload. Every input must be refused with
// InvalidArgument or accepted, never crash; whatever is accepted must be canonical: serialising
// it again gives exactly the input bytes, and CheckEvent agrees with ParseEvent.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "varsam/audit.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  namespace audit = varsam::audit;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    const auto event = audit::ParseEvent(bytes);
    audit::Hash prev{};
    const absl::Status checked = audit::CheckEvent(bytes, &prev);
    REQUIRE(event.ok() == checked.ok());
    if (!event.ok()) {
      REQUIRE(event.status().code() == absl::StatusCode::kInvalidArgument);
      return 0;
    }
    REQUIRE(prev == event->prev);
    const auto again = audit::SerializeEvent(event->record, event->prev);
    REQUIRE(again.ok() && *again == bytes);
  } else {
    const auto checkpoint = audit::ParseCheckpoint(bytes);
    if (!checkpoint.ok()) {
      REQUIRE(checkpoint.status().code() == absl::StatusCode::kInvalidArgument);
      return 0;
    }
    REQUIRE(audit::SerializeCheckpoint(*checkpoint) == bytes);
  }
  return 0;
}
