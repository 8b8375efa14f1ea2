// An engine with register keys, and the follow-up context that may submit to its register:
// what the acceptance tests (tests/*_acceptance_test.cc) and bench_outcomes_csv submit a
// synthetic population through, as a host would (Engine::SubmitToRegister: guarded, audited,
// pseudonymised, generalised). No test framework here, so the bench can include it.

#ifndef VARSAM_TESTS_REGISTER_FIXTURES_H_
#define VARSAM_TESTS_REGISTER_FIXTURES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "varsam/access.h"
#include "varsam/engine.h"

namespace varsam_test {

namespace engine = varsam::engine;
namespace access = varsam::access;

// A SQLite (or PostgreSQL) store at `location` with fixed test keys: the audit key, and the
// pseudonymisation key of epoch 1.
inline absl::StatusOr<std::unique_ptr<engine::Engine>> OpenRegisterEngine(
    const std::string& location) {
  engine::EngineOptions options;
  options.store = location;
  options.key = [](std::span<std::uint8_t, 32> out) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0x3C ^ i);
    return absl::OkStatus();
  };
  options.register_options.key_epoch = 1;
  options.register_options.keys = [](std::int32_t epoch, std::span<std::uint8_t, 32> key) {
    if (epoch != 1) return absl::NotFoundError("no such epoch");
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x5A ^ i);
    return absl::OkStatus();
  };
  return engine::Engine::Open(std::move(options));
}

// An analyst's follow-up context of the board in a case of `kind` that led to an investigation:
// the context register.submit is allowed in (rule follow-up).
inline access::Context FollowUp(access::CaseKind kind) {
  access::Context c;
  c.actor = "a-17";
  c.role = access::Role::kAnalytiker;
  c.organisation = {access::OrgKind::kSocialnamnd, "0180"};
  c.purpose = access::Purpose::kUppfoljning;
  c.case_info = access::CaseInfo{"c-1", kind, true, "K0000000"};
  c.time = absl::FromUnixSeconds(1795860000);  // 2026-11-28
  return c;
}

}  // namespace varsam_test

#endif  // VARSAM_TESTS_REGISTER_FIXTURES_H_
