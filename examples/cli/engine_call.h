// What every guarded engine command of the CLI takes and does first: --store, --context,
// --audit-key-file, --pack and --json, and the Engine opened with them (docs/cli.md).

#ifndef VARSAM_EXAMPLES_CLI_ENGINE_CALL_H_
#define VARSAM_EXAMPLES_CLI_ENGINE_CALL_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "varsam/access.h"
#include "varsam/engine.h"

namespace varsam::cli {

struct EngineCallOptions {
  std::string store;           // a directory (embedded SQLite) or a postgresql:// URI
  std::string context;         // a file holding the call's context as JSON
  std::string audit_key_file;  // the audit signing key, 64 hex digits
  std::vector<std::string> packs;
  bool json = false;
};

// Adds the options to `command`; `context_help` says what the context must hold.
void AddEngineCallOptions(CLI::App* command, EngineCallOptions* o, std::string_view context_help);

// The context of --context (access::ParseContext of the file's text).
absl::StatusOr<access::Context> ReadContext(const EngineCallOptions& o);

// Adds --intervention and --age: what the host tells of the client for curves with predictors
// (engine::OutcomeClient).
void AddOutcomeClientOptions(CLI::App* command, engine::OutcomeClient* client);

// Opens the engine on --store with the audit key of --audit-key-file (wiped from memory once
// the engine has it) and the host's packs, on top of what `options` already sets.
absl::StatusOr<std::unique_ptr<engine::Engine>> OpenEngine(const EngineCallOptions& o,
                                                           engine::EngineOptions options = {});

}  // namespace varsam::cli

#endif  // VARSAM_EXAMPLES_CLI_ENGINE_CALL_H_
