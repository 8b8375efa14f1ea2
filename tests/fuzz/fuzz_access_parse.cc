// libFuzzer target: the parsers of purpose-checked access — access contexts, resources and host
// policy packs (varsam/access.h).
//
// Byte 0 picks the parser; the rest is its JSON. Every input must be refused with
// InvalidArgument or accepted, never crash. An accepted context must round-trip through
// ContextToJson and be decidable for every action; a host pack that loads must leave the
// built-in floor rules in force (a decider who is not a human officer is still refused).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "varsam/access.h"

namespace {

namespace access = varsam::access;

const access::PolicySet& BuiltinPolicy() {
  static const access::PolicySet* const policy = [] {
    auto loaded = access::PolicySet::Load();
    REQUIRE(loaded.ok());
    return new access::PolicySet(std::move(*loaded));
  }();
  return *policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      const auto context = access::ParseContext(json);
      if (!context.ok()) {
        REQUIRE(context.status().code() == absl::StatusCode::kInvalidArgument);
        return 0;
      }
      const auto again = access::ParseContext(access::ContextToJson(*context));
      REQUIRE(again.ok());
      REQUIRE(access::ContextToJson(*again) == access::ContextToJson(*context));
      for (int a = 0; a <= static_cast<int>(access::Action::kAuditRead); ++a) {
        (void)BuiltinPolicy().DecideAndExplain(*context, static_cast<access::Action>(a), {});
      }
      return 0;
    }
    case 1: {
      const auto resource = access::ParseResource(json);
      REQUIRE(resource.ok() || resource.status().code() == absl::StatusCode::kInvalidArgument);
      return 0;
    }
    default: {
      access::PolicySet policy = BuiltinPolicy();
      const absl::Status loaded = policy.LoadHostPack(json);
      REQUIRE(loaded.ok() || loaded.code() == absl::StatusCode::kInvalidArgument);
      // Floor rules hold whatever the host pack says: a model never records a decision.
      const auto model = access::ParseContext(
          R"({"actor": "m-1", "role": "system", "organisation": {"kind": "socialnamnd", )"
          R"("id": "0180"}, "purpose": "handlaggning", "case": {"ref": "c-1", "kind": )"
          R"("utredning", "led_to_investigation": true, "client": "k-1"}, )"
          R"("subject_client": "k-1", "time": "2026-11-28T10:00:00Z"})");
      REQUIRE(model.ok());
      access::Resource resource;
      resource.decider_role = access::Role::kSystem;
      REQUIRE(!policy.Decide(*model, access::Action::kDecisionRecord, resource).allow);
      return 0;
    }
  }
}
