// The audit log's verifier, its inclusion and consistency proofs and their JSON reports
// (varsam/audit.h; docs/audit.md).

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "varsam/audit.h"
#include "varsam/core.h"

namespace varsam::audit {

// ---- Verification ----

Verifier::Verifier(std::vector<store::Checkpoint> checkpoints, VerifyOptions options)
    : options_(options) {
  report_.checkpoints = static_cast<std::int64_t>(checkpoints.size());
  report_.signatures_checked = options_.public_key.has_value();
  for (store::Checkpoint& c : checkpoints) checkpoints_.push_back({c.seq, std::move(c.payload)});
  std::stable_sort(checkpoints_.begin(), checkpoints_.end(),
                   [](const Pending& a, const Pending& b) { return a.store_seq < b.store_seq; });
  CheckCheckpointsAt(0);
}

bool Verifier::Fail(std::int64_t seq, std::string reason) {
  if (failed_) return false;
  failed_ = true;
  report_.ok = false;
  report_.first_bad_seq = std::max<std::int64_t>(seq, 1);
  report_.reason = std::move(reason);
  return false;
}

// Checks every checkpoint covering exactly `size` events; false once one fails.
bool Verifier::CheckCheckpointsAt(std::int64_t size) {
  while (!failed_ && next_checkpoint_ < checkpoints_.size() &&
         checkpoints_[next_checkpoint_].store_seq <= size) {
    const Pending& p = checkpoints_[next_checkpoint_++];
    const std::string at = std::to_string(p.store_seq);
    // A problem with the checkpoint itself: the first event it vouches for beyond the last
    // verified one, unless an earlier event is already suspect.
    const std::int64_t blame = pending_suspect_ > 0 ? pending_suspect_ - 1 : size;
    absl::StatusOr<SignedCheckpoint> c = ParseCheckpoint(p.payload);
    if (!c.ok() || c->size != p.store_seq) {
      return Fail(blame, Cat({"checkpoint at seq ", at, " is malformed"}));
    }
    if (options_.public_key && !VerifyCheckpointSignature(*c, *options_.public_key)) {
      return Fail(blame, Cat({"checkpoint at seq ", at, " has a bad signature"}));
    }
    if (c->root != tree_.Root()) {
      if (root_mismatch_at_ == 0) root_mismatch_at_ = size;
      // A root mismatch is blamed once the link into the next event is seen (AddEvent).
      if (size == 0) return Fail(1, "checkpoint at seq 0 does not hold the empty root");
      continue;
    }
    if (pending_suspect_ == 0 && root_mismatch_at_ == 0) verified_size_ = size;
  }
  return !failed_;
}

bool Verifier::AddEvent(std::int64_t seq, std::string_view payload) {
  if (failed_) return false;
  const std::int64_t expected = tree_.size() + 1;
  if (seq != expected) {
    if (pending_suspect_ > 0) return Fail(pending_suspect_ - 1, "an event was altered");
    return Fail(expected, seq > expected ? Cat({"event ", std::to_string(expected), " is missing"})
                                         : "events out of order");
  }
  Hash prev{};
  if (!CheckEvent(payload, &prev).ok()) {
    if (pending_suspect_ > 0) return Fail(pending_suspect_ - 1, "an event was altered");
    return Fail(seq, "event does not parse as a canonical audit event");
  }
  const bool link_ok = prev == last_leaf_;
  if (pending_suspect_ > 0) {
    // The link into pending_suspect_ failed. If the link into this one fails too, the suspect's
    // own bytes changed; otherwise the event before it did.
    const std::int64_t k = pending_suspect_;
    return link_ok ? Fail(k - 1, Cat({"event ", std::to_string(k - 1), " was altered"}))
                   : Fail(k, Cat({"event ", std::to_string(k), " was altered"}));
  }
  if (!link_ok) {
    if (root_mismatch_at_ > 0 || seq == 1) {
      return Fail(seq == 1 ? 1 : seq - 1,
                  Cat({"event ", std::to_string(seq == 1 ? 1 : seq - 1), " was altered"}));
    }
    pending_suspect_ = seq;
  } else if (root_mismatch_at_ > 0) {
    return Fail(verified_size_ + 1, Cat({"checkpoint at seq ", std::to_string(root_mismatch_at_),
                                         " does not match the events' root"}));
  }
  const Hash leaf = LeafHash(payload);
  tree_.Add(leaf);
  last_leaf_ = leaf;
  return CheckCheckpointsAt(tree_.size());
}

VerifyReport Verifier::Finish() {
  if (!failed_) {
    if (pending_suspect_ > 0) {
      Fail(pending_suspect_ - 1,
           Cat({"event ", std::to_string(pending_suspect_ - 1), " or the next was altered"}));
    } else if (root_mismatch_at_ > 0) {
      Fail(verified_size_ + 1, Cat({"checkpoint at seq ", std::to_string(root_mismatch_at_),
                                    " does not match the events' root"}));
    } else if (next_checkpoint_ < checkpoints_.size()) {
      Fail(tree_.size() + 1, Cat({"events missing: a checkpoint covers seq ",
                                  std::to_string(checkpoints_.back().store_seq),
                                  " but the log ends at ", std::to_string(tree_.size())}));
    }
  }
  report_.events = tree_.size();
  report_.root = tree_.Root();
  return report_;
}

absl::StatusOr<VerifyReport> Verify(store::Store& store, const VerifyOptions& options) {
  std::vector<store::Checkpoint> checkpoints;
  VARSAM_RETURN_IF_ERROR(store.ReadCheckpoints([&](const store::Checkpoint& c) {
    checkpoints.push_back(c);
    return true;
  }));
  Verifier verifier(std::move(checkpoints), options);
  // After a problem the rest is only counted, so `events` is the number stored.
  std::int64_t read = 0;
  bool good = true;
  VARSAM_RETURN_IF_ERROR(
      store.ReadAudit(1, std::numeric_limits<std::int64_t>::max(), [&](const store::AuditEvent& e) {
        ++read;
        if (good) good = verifier.AddEvent(e.seq, e.payload);
        return true;
      }));
  VerifyReport report = verifier.Finish();
  report.events = read;
  return report;
}

namespace {
// Every leaf hash of the first `size` events; DataLoss when some are missing.
absl::StatusOr<std::vector<Hash>> LeafHashes(store::Store& store, std::int64_t size) {
  std::vector<Hash> leaves;
  leaves.reserve(static_cast<size_t>(size));
  if (size > 0) {
    VARSAM_RETURN_IF_ERROR(store.ReadAudit(1, size, [&](const store::AuditEvent& e) {
      leaves.push_back(LeafHash(e.payload));
      return true;
    }));
  }
  if (static_cast<std::int64_t>(leaves.size()) != size) {
    return absl::DataLossError("audit proof: events are missing; run audit verify");
  }
  return leaves;
}

nlohmann::ordered_json HexArray(std::span<const Hash> hashes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Hash& h : hashes) out.push_back(ToHex(h));
  return out;
}
}  // namespace

absl::StatusOr<InclusionProofResult> ProveInclusion(store::Store& store, std::int64_t seq,
                                                    std::int64_t tree_size) {
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t last, store.LastAuditSeq());
  if (tree_size == 0) {
    VARSAM_RETURN_IF_ERROR(store.ReadCheckpoints([&](const store::Checkpoint& c) {
      tree_size = std::max(tree_size, c.seq);
      return true;
    }));
    if (tree_size < seq) tree_size = last;
  }
  if (tree_size > last)
    return absl::OutOfRangeError("audit proof: the tree is larger than the log");
  if (seq < 1 || seq > tree_size) {
    return absl::OutOfRangeError("audit proof: the seq is not in the tree");
  }
  VARSAM_ASSIGN_OR_RETURN(const std::vector<Hash> leaves, LeafHashes(store, tree_size));
  InclusionProofResult out;
  out.seq = seq;
  out.tree_size = tree_size;
  out.leaf_hash = leaves[static_cast<size_t>(seq - 1)];
  out.root = MerkleRoot(leaves);
  out.path = InclusionProof(leaves, seq - 1);
  return out;
}

absl::StatusOr<ConsistencyProofResult> ProveConsistency(store::Store& store, std::int64_t old_size,
                                                        std::int64_t new_size) {
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t last, store.LastAuditSeq());
  if (new_size == 0) new_size = last;
  if (old_size < 0 || old_size > new_size || new_size > last) {
    return absl::OutOfRangeError(
        "audit proof: sizes must satisfy 0 <= old size <= new size <= the log's size");
  }
  VARSAM_ASSIGN_OR_RETURN(const std::vector<Hash> leaves, LeafHashes(store, new_size));
  ConsistencyProofResult out;
  out.old_size = old_size;
  out.new_size = new_size;
  out.old_root = MerkleRoot(std::span(leaves).first(static_cast<size_t>(old_size)));
  out.new_root = MerkleRoot(leaves);
  out.path = ConsistencyProof(leaves, old_size);
  return out;
}

nlohmann::ordered_json ToJson(const VerifyReport& report) {
  nlohmann::ordered_json o;
  o["ok"] = report.ok;
  o["events"] = report.events;
  o["checkpoints"] = report.checkpoints;
  o["first_bad_seq"] = report.first_bad_seq ? nlohmann::ordered_json(*report.first_bad_seq)
                                            : nlohmann::ordered_json(nullptr);
  o["reason"] = report.ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(report.reason);
  o["signatures_checked"] = report.signatures_checked;
  o["root"] = ToHex(report.root);
  return o;
}

nlohmann::ordered_json ToJson(const InclusionProofResult& proof) {
  nlohmann::ordered_json o;
  o["seq"] = proof.seq;
  o["tree_size"] = proof.tree_size;
  o["leaf_hash"] = ToHex(proof.leaf_hash);
  o["root"] = ToHex(proof.root);
  o["path"] = HexArray(proof.path);
  return o;
}

nlohmann::ordered_json ToJson(const ConsistencyProofResult& proof) {
  nlohmann::ordered_json o;
  o["old_size"] = proof.old_size;
  o["new_size"] = proof.new_size;
  o["old_root"] = ToHex(proof.old_root);
  o["new_root"] = ToHex(proof.new_root);
  o["path"] = HexArray(proof.path);
  return o;
}

}  // namespace varsam::audit
