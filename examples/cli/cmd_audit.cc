// `varsam audit verify|proof --store DIR|URI [--json]` (docs/cli.md; docs/audit.md).
//
// `verify` recomputes the audit log's Merkle tree from the stored events, checks every
// checkpoint (and its Ed25519 signature when --public-key is given) and names the first bad
// sequence number: exit 0 intact, 1 not. `proof --seq N` prints the RFC 9162 inclusion proof of
// one event in the tree of the latest checkpoint (or --size events); `proof --old-size A` the
// consistency proof that the tree of A events is a prefix of the tree of --size events (default
// the whole log).

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli.h"
#include "varsam/audit.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::cli {
namespace {

struct AuditCommandOptions {
  std::string store;
  std::string public_key;
  std::int64_t seq = 0;
  std::int64_t old_size = -1;  // -1: not given
  std::int64_t size = 0;
  bool json = false;
};

absl::StatusOr<std::unique_ptr<store::Store>> OpenExisting(const std::string& location) {
  store::StoreOptions open;
  open.create = false;
  return store::Store::Open(location, open);
}

int RunVerify(const AuditCommandOptions& options) {
  audit::VerifyOptions verify;
  if (!options.public_key.empty()) {
    absl::StatusOr<audit::PublicKey> key = audit::PublicKeyFromHex(options.public_key);
    if (!key.ok()) {
      std::cerr << "varsam: --public-key: " << key.status().message() << "\n";
      return kExitUsage;
    }
    verify.public_key = *key;
  }
  absl::StatusOr<std::unique_ptr<store::Store>> opened = OpenExisting(options.store);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<audit::VerifyReport> report = audit::Verify(**opened, verify);
  if (!report.ok()) return Fail(report.status());
  if (!report->signatures_checked) {
    std::cerr << "varsam: warning: checkpoint signatures not checked (give --public-key)\n";
  }
  if (options.json) {
    const nlohmann::ordered_json o = audit::ToJson(*report);
    std::cout << DumpJson(o) << "\n";
  } else if (report->ok) {
    std::cout << "audit log intact: " << report->events << " events, " << report->checkpoints
              << " checkpoints, root " << audit::ToHex(report->root) << "\n";
  } else {
    std::cout << "audit log NOT intact: first bad seq " << report->first_bad_seq.value_or(0) << ": "
              << report->reason << "\n";
  }
  return report->ok ? kExitOk : kExitNo;
}

int RunConsistencyProof(store::Store& store, const AuditCommandOptions& options) {
  absl::StatusOr<audit::ConsistencyProofResult> proof =
      audit::ProveConsistency(store, options.old_size, options.size);
  if (!proof.ok()) return Fail(proof.status());
  const bool verified = audit::VerifyConsistency(proof->old_size, proof->new_size, proof->old_root,
                                                 proof->new_root, proof->path);
  if (options.json) {
    nlohmann::ordered_json o = audit::ToJson(*proof);
    o["verified"] = verified;
    std::cout << DumpJson(o) << "\n";
  } else {
    std::cout << "the tree of " << proof->old_size << " events is a prefix of the tree of "
              << proof->new_size << " events\n"
              << "old root   " << audit::ToHex(proof->old_root) << "\n"
              << "new root   " << audit::ToHex(proof->new_root) << "\n";
    for (const audit::Hash& h : proof->path) std::cout << "path       " << audit::ToHex(h) << "\n";
    std::cout << (verified ? "proof verifies\n" : "proof does NOT verify\n");
  }
  return verified ? kExitOk : kExitNo;
}

int RunProof(const AuditCommandOptions& options) {
  absl::StatusOr<std::unique_ptr<store::Store>> opened = OpenExisting(options.store);
  if (!opened.ok()) return Fail(opened.status());
  if (options.old_size >= 0) return RunConsistencyProof(**opened, options);
  absl::StatusOr<audit::InclusionProofResult> proof =
      audit::ProveInclusion(**opened, options.seq, options.size);
  if (!proof.ok()) return Fail(proof.status());
  const bool verified = audit::VerifyInclusion(proof->leaf_hash, proof->seq - 1, proof->tree_size,
                                               proof->path, proof->root);
  if (options.json) {
    nlohmann::ordered_json o = audit::ToJson(*proof);
    o["verified"] = verified;
    std::cout << DumpJson(o) << "\n";
  } else {
    std::cout << "event " << proof->seq << " in the tree of " << proof->tree_size << " events\n"
              << "leaf hash  " << audit::ToHex(proof->leaf_hash) << "\n"
              << "root       " << audit::ToHex(proof->root) << "\n";
    for (const audit::Hash& h : proof->path) std::cout << "path       " << audit::ToHex(h) << "\n";
    std::cout << (verified ? "proof verifies\n" : "proof does NOT verify\n");
  }
  return verified ? kExitOk : kExitNo;
}

void AddCommonOptions(CLI::App* command, AuditCommandOptions* options) {
  command
      ->add_option("--store", options->store,
                   "A directory (embedded SQLite) or a postgresql://... URI")
      ->required();
  command->add_flag("--json", options->json, "Print one JSON object");
}

}  // namespace

void AddAuditCommand(CLI::App& app, int* exit_code) {
  auto* audit =
      app.add_subcommand("audit",
                         "The tamper-evident audit log: verify it, prove an event's inclusion.\n"
                         "See docs/audit.md.");
  audit->require_subcommand(1);

  auto verify_options = std::make_shared<AuditCommandOptions>();
  auto* verify = audit->add_subcommand(
      "verify",
      "Recompute the Merkle tree from every stored event, check every checkpoint, and name\n"
      "the first bad sequence number. Exit 0 intact, 1 not. JSON: {ok, events, checkpoints,\n"
      "first_bad_seq, reason, signatures_checked, root}.");
  AddCommonOptions(verify, verify_options.get());
  verify->add_option("--public-key", verify_options->public_key,
                     "The Ed25519 public key of the checkpoint signer (64 hex digits); without "
                     "it signatures are not checked");
  verify->callback([verify_options, exit_code] { *exit_code = RunVerify(*verify_options); });

  auto proof_options = std::make_shared<AuditCommandOptions>();
  auto* proof = audit->add_subcommand(
      "proof",
      "--seq N: the RFC 9162 inclusion proof of event N in the tree of the latest checkpoint\n"
      "(or of --size events). JSON: {seq, tree_size, leaf_hash, root, path, verified}.\n"
      "--old-size A: the consistency proof that the tree of A events is a prefix of the tree\n"
      "of --size events (default: the whole log). JSON: {old_size, new_size, old_root,\n"
      "new_root, path, verified}. Exit 0 when the proof verifies, 1 not.");
  AddCommonOptions(proof, proof_options.get());
  auto* seq =
      proof->add_option("--seq", proof_options->seq, "The event's sequence number (1-based)")
          ->check(CLI::PositiveNumber);
  auto* old_size = proof
                       ->add_option("--old-size", proof_options->old_size,
                                    "The size of the earlier tree (0 or more)")
                       ->check(CLI::NonNegativeNumber);
  seq->excludes(old_size);
  proof->add_option("--size", proof_options->size,
                    "The tree size (default: the latest checkpoint's for --seq, the whole log "
                    "for --old-size)");
  proof->callback([proof_options, exit_code, seq, old_size] {
    if (seq->count() + old_size->count() != 1) {
      std::cerr << "varsam: audit proof needs --seq or --old-size\n";
      *exit_code = kExitUsage;
      return;
    }
    *exit_code = RunProof(*proof_options);
  });
}

}  // namespace varsam::cli
