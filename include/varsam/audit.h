// varsam/audit.h — the tamper-evident audit log (docs/audit.md).
//
// Every guarded call leaves one event: who (actor, role, organisation), why (purpose), what
// (action, case reference), the decision and the rules that made it, when, and a short result
// summary — never the content of answers or notes. Events are stored in the audit part of a
// Store (append-only, gap-free seqs) in a canonical byte format, and form an RFC 6962 / RFC 9162
// Merkle tree in seq order (leaf hash SHA-256(0x00 || event), node hash SHA-256(0x01 || l || r)).
// Each event also carries the leaf hash of the one before it, so an edit is pinned to its event.
// Signed checkpoints (tree size + root, Ed25519 through OpenSSL, key from the host) are written
// every N events or T seconds and on close. Verify recomputes everything from the stored bytes
// and names the first bad sequence number.
//
// Thread safety: an AuditLog may be used from any number of threads (appends are serialised);
// there must be one AuditLog writing to a store at a time (a second writer is detected and
// refused). The free functions are thread-safe.

#ifndef VARSAM_AUDIT_H_
#define VARSAM_AUDIT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "varsam/store.h"

namespace varsam::audit {

// ---- Events -----------------------------------------------------------------------------------

enum class Decision : std::uint8_t { kDeny = 0, kAllow = 1 };

// One audited call, as the engine fills it. Text fields are UTF-8 without NUL, at most 4096
// bytes each; actor, role, organisation_kind, purpose and action are required.
struct AuditRecord {
  std::string actor;              // the host's id of the person or system acting
  std::string role;               // "handlaggare", ...
  std::string organisation_kind;  // "socialnamnd", ...
  std::string organisation_id;    // municipality code, "" when none
  std::string purpose;            // "handlaggning", ...
  std::string action;             // "score", "journal.read", ...
  std::string case_ref;           // "" when none
  Decision decision = Decision::kDeny;
  std::vector<std::string> rules;  // the rule ids that decided, in the engine's order
  absl::Time time;                 // UTC, kept to the microsecond
  std::string result;              // a short summary ("ok", "permission_denied", "3 rows")
};

using Hash = std::array<std::uint8_t, 32>;

// The canonical bytes of `record` preceded by `prev` (the leaf hash of the previous event; all
// zeros for seq 1). InvalidArgument naming the field when a field breaks the rules above or the
// time is outside the years 1000..9999.
absl::StatusOr<std::string> SerializeEvent(const AuditRecord& record, const Hash& prev);

struct ParsedEvent {
  AuditRecord record;
  Hash prev{};
};
// The inverse of SerializeEvent; InvalidArgument when `bytes` is not exactly canonical.
absl::StatusOr<ParsedEvent> ParseEvent(std::string_view bytes);
// The same check without building the record (Verify's fast path); sets *prev.
absl::Status CheckEvent(std::string_view bytes, Hash* prev);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, microseconds).
std::string FormatAuditTime(absl::Time time);

// ---- Merkle tree (RFC 9162 §2.1) --------------------------------------------------------------

Hash LeafHash(std::string_view event_bytes);         // SHA-256(0x00 || bytes)
Hash NodeHash(const Hash& left, const Hash& right);  // SHA-256(0x01 || left || right)
Hash EmptyRoot();                                    // SHA-256("")
std::string ToHex(std::span<const std::uint8_t> bytes);
absl::StatusOr<Hash> HashFromHex(std::string_view hex);

// The root of a growing tree in O(log n) memory: a stack of the roots of its perfect subtrees.
class MerkleAccumulator {
 public:
  void Add(const Hash& leaf_hash);
  Hash Root() const;  // EmptyRoot() when empty
  std::int64_t size() const { return size_; }

 private:
  std::vector<Hash> stack_;
  std::int64_t size_ = 0;
};

// MTH(D[n]) over the leaf hashes.
Hash MerkleRoot(std::span<const Hash> leaves);
// PATH(index, D[n]) with n = leaves.size(); index is 0-based (seq - 1).
std::vector<Hash> InclusionProof(std::span<const Hash> leaves, std::int64_t index);
// PROOF(old_size, D[n]); empty when old_size is 0 or n.
std::vector<Hash> ConsistencyProof(std::span<const Hash> leaves, std::int64_t old_size);
// RFC 9162 §2.1.3.2 and §2.1.4.2.
bool VerifyInclusion(const Hash& leaf_hash, std::int64_t index, std::int64_t tree_size,
                     std::span<const Hash> proof, const Hash& root);
bool VerifyConsistency(std::int64_t old_size, std::int64_t new_size, const Hash& old_root,
                       const Hash& new_root, std::span<const Hash> proof);

// ---- Keys and checkpoints ---------------------------------------------------------------------

using PublicKey = std::array<std::uint8_t, 32>;  // raw Ed25519 public key

// Fills the 32 raw bytes of the Ed25519 private key. The log wipes its copies (OPENSSL_cleanse).
using KeyProvider = std::function<absl::Status(std::span<std::uint8_t, 32> private_key)>;

absl::StatusOr<PublicKey> PublicKeyOf(std::span<const std::uint8_t, 32> private_key);
absl::StatusOr<PublicKey> PublicKeyFromHex(std::string_view hex);
// The first 8 bytes of SHA-256(public key), as 16 lower-case hex digits.
std::string KeyId(const PublicKey& key);

struct SignedCheckpoint {
  std::int64_t size = 0;
  Hash root{};
  absl::Time time;
  std::string key_id;
  std::array<std::uint8_t, 64> signature{};
};

// "varsam-audit-checkpoint/1\n<size>\n<root hex>\n<time>": what is signed.
std::string CheckpointSignedText(std::int64_t size, const Hash& root, absl::Time time);
// Signs (size, root, time) with the raw private key.
absl::StatusOr<SignedCheckpoint> SignCheckpoint(std::int64_t size, const Hash& root,
                                                absl::Time time,
                                                std::span<const std::uint8_t, 32> private_key);
// The stored payload: the signed text, then "\n<key id>\n<signature hex>\n".
std::string SerializeCheckpoint(const SignedCheckpoint& checkpoint);
absl::StatusOr<SignedCheckpoint> ParseCheckpoint(std::string_view payload);
bool VerifyCheckpointSignature(const SignedCheckpoint& checkpoint, const PublicKey& key);

// ---- The log ----------------------------------------------------------------------------------

struct AuditLogOptions {
  std::int64_t checkpoint_every_events = 1000;          // 0: never by count
  absl::Duration checkpoint_every = absl::Seconds(60);  // checked on append; zero: never by time
  std::function<absl::Time()> clock;                    // default absl::Now
};

class AuditLog {
 public:
  // Opens the log over `store` (not owned; must outlive the log): reads the stored events to
  // rebuild the tree, asks `key` once for the signing key.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(store::Store* store, const KeyProvider& key,
                                                        AuditLogOptions options = {});
  ~AuditLog();  // Close(), errors ignored
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one event, durable on return; returns its seq. Checkpoints when due.
  //
  // Group commit: calls from many threads at once share one store transaction. The first
  // caller to find no write in progress becomes the leader: it takes every call queued so far,
  // serialises their events in queue order, writes them in one transaction and wakes the
  // others with their seqs; calls that arrive meanwhile queue for the next leader. Nobody
  // returns before their events are durable, and one fsync covers the whole group, so the
  // throughput grows with the number of concurrent callers (docs/performance.md). A call with
  // a bad record fails alone; a failed store write fails every call of its group.
  absl::StatusOr<std::int64_t> Append(const AuditRecord& record);
  // Appends all or none (consecutive seqs, in one transaction); returns the seq of the last.
  absl::StatusOr<std::int64_t> AppendBatch(std::span<const AuditRecord> records);
  // Writes a signed checkpoint of the current tree unless the last one already covers it.
  absl::Status Checkpoint();
  // Checkpoints and refuses further appends (FailedPrecondition).
  absl::Status Close();

  std::int64_t size() const;
  Hash root() const;
  const PublicKey& public_key() const { return public_key_; }

 private:
  struct Pending;  // one queued AppendBatch call
  AuditLog(store::Store* store, AuditLogOptions options);
  absl::Status CheckpointLocked();
  void WriteGroupLocked(std::span<Pending* const> group);

  store::Store* store_;
  AuditLogOptions options_;
  // The group-commit queue: calls waiting for a leader, and whether some call leads.
  std::mutex queue_mu_;
  std::vector<Pending*> queue_;
  bool writing_ = false;
  // Guards the tree, the chain and the store writes below.
  mutable std::mutex mu_;
  MerkleAccumulator tree_;
  Hash last_leaf_{};
  std::int64_t checkpointed_size_ = -1;  // none yet
  absl::Time last_checkpoint_time_;
  std::array<std::uint8_t, 32> private_key_{};  // wiped in the destructor
  PublicKey public_key_{};
  bool closed_ = true;  // until Open has the key and the stored tree: nothing to checkpoint
};

// ---- Verification -----------------------------------------------------------------------------

struct VerifyOptions {
  // Without a key, checkpoint signatures are not checked (signatures_checked = false).
  std::optional<PublicKey> public_key;
};

struct VerifyReport {
  bool ok = true;
  std::int64_t events = 0;       // events stored (read)
  std::int64_t checkpoints = 0;  // checkpoints read
  std::optional<std::int64_t> first_bad_seq;
  std::string reason;  // "" when ok
  bool signatures_checked = false;
  Hash root{};  // root over every event read
};

// The streaming core of Verify, usable over any source of events (the benchmark uses it).
class Verifier {
 public:
  Verifier(std::vector<store::Checkpoint> checkpoints, VerifyOptions options);
  // Feed events in store order; returns false once a problem is found (stop feeding).
  bool AddEvent(std::int64_t seq, std::string_view payload);
  VerifyReport Finish();

 private:
  bool Fail(std::int64_t seq, std::string reason);
  bool CheckCheckpointsAt(std::int64_t size);

  struct Pending {
    std::int64_t store_seq = 0;
    std::string payload;
  };
  std::vector<Pending> checkpoints_;  // sorted by store seq
  size_t next_checkpoint_ = 0;
  VerifyOptions options_;
  VerifyReport report_;
  MerkleAccumulator tree_;
  Hash last_leaf_{};
  std::int64_t verified_size_ = 0;     // largest size with a checkpoint root that matched
  std::int64_t pending_suspect_ = 0;   // seq whose link into it failed, 0 when none
  std::int64_t root_mismatch_at_ = 0;  // size of the first checkpoint whose root differs
  bool failed_ = false;
};

// Reads the whole audit part of `store` and checks it. A Status error only when the store
// cannot be read; a tampered log is an OK Status with report.ok false.
absl::StatusOr<VerifyReport> Verify(store::Store& store, const VerifyOptions& options = {});

struct InclusionProofResult {
  std::int64_t seq = 0;
  std::int64_t tree_size = 0;
  Hash leaf_hash{};
  Hash root{};
  std::vector<Hash> path;
};
// The inclusion proof of event `seq` in the tree of `tree_size` events (0: the size of the
// latest checkpoint, or of the whole log when that does not cover seq). OutOfRange when seq is
// not in the tree.
absl::StatusOr<InclusionProofResult> ProveInclusion(store::Store& store, std::int64_t seq,
                                                    std::int64_t tree_size = 0);

struct ConsistencyProofResult {
  std::int64_t old_size = 0;
  std::int64_t new_size = 0;
  Hash old_root{};
  Hash new_root{};
  std::vector<Hash> path;  // PROOF(old_size, D[new_size]); empty when old_size is 0 or new_size
};
// The consistency proof between the trees of the first `old_size` and `new_size` events
// (new_size 0: the whole log). OutOfRange unless 0 <= old_size <= new_size <= the log's size.
absl::StatusOr<ConsistencyProofResult> ProveConsistency(store::Store& store, std::int64_t old_size,
                                                        std::int64_t new_size = 0);

// The JSON forms printed by `varsam audit verify|proof --json` and returned by the C API (keys
// stable; docs/audit.md):
//   {"ok", "events", "checkpoints", "first_bad_seq": n|null, "reason": null|"...",
//    "signatures_checked", "root"}
//   {"seq", "tree_size", "leaf_hash", "root", "path": [hex...]}
//   {"old_size", "new_size", "old_root", "new_root", "path": [hex...]}
nlohmann::ordered_json ToJson(const VerifyReport& report);
nlohmann::ordered_json ToJson(const InclusionProofResult& proof);
nlohmann::ordered_json ToJson(const ConsistencyProofResult& proof);

}  // namespace varsam::audit

#endif  // VARSAM_AUDIT_H_
