// The options and the engine of the CLI's guarded commands (engine_call.h).

#include "engine_call.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "files.h"
#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/engine.h"

namespace varsam::cli {

void AddEngineCallOptions(CLI::App* command, EngineCallOptions* o, std::string_view context_help) {
  command
      ->add_option("--store", o->store, "A directory (embedded SQLite) or a postgresql://... URI")
      ->required();
  command->add_option("--context", o->context, std::string(context_help))->required();
  command
      ->add_option("--audit-key-file", o->audit_key_file,
                   "The audit signing key (Ed25519 private key, 64 hex digits); never printed")
      ->required();
  command->add_option("--pack", o->packs, "A host policy pack (JSON), after the built-in one");
  command->add_flag("--json", o->json, "Print one JSON document");
}

absl::StatusOr<access::Context> ReadContext(const EngineCallOptions& o) {
  VARSAM_ASSIGN_OR_RETURN(const std::string text, ReadFile(o.context, "--context"));
  return access::ParseContext(text);
}

absl::StatusOr<std::unique_ptr<engine::Engine>> OpenEngine(const EngineCallOptions& o,
                                                           engine::EngineOptions options) {
  options.store = o.store;
  std::array<std::uint8_t, 32> audit_key{};
  VARSAM_RETURN_IF_ERROR(ReadKeyFile(o.audit_key_file, "--audit-key-file", &audit_key));
  options.key = [&audit_key](std::span<std::uint8_t, 32> out) {
    std::copy(audit_key.begin(), audit_key.end(), out.begin());
    return absl::OkStatus();
  };
  for (const std::string& path : o.packs) {
    absl::StatusOr<std::string> pack = ReadFile(path, "--pack");
    if (!pack.ok()) {
      Wipe(audit_key.data(), audit_key.size());
      return pack.status();
    }
    options.policy_packs.push_back(*std::move(pack));
  }
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = engine::Engine::Open(std::move(options));
  Wipe(audit_key.data(), audit_key.size());
  return opened;
}

void AddOutcomeClientOptions(CLI::App* command, engine::OutcomeClient* client) {
  command->add_option("--intervention", client->intervention,
                      "For curves with predictors: the intervention of the client's episode "
                      "(\"\" for none)");
  command
      ->add_option("--age", client->age,
                   "For curves with predictors: the client's age in whole years when the "
                   "episode began")
      ->check(CLI::Range(0, 150));
}

}  // namespace varsam::cli
