// The audit log's writer: AuditLog, whose appends are grouped into one durable store write
// (group commit) and whose tree is checkpointed (varsam/audit.h; docs/audit.md).

#include <openssl/crypto.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "varsam/audit.h"
#include "varsam/core.h"

namespace varsam::audit {

// ---- AuditLog ----

AuditLog::AuditLog(store::Store* store, AuditLogOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return absl::Now(); };
}

AuditLog::~AuditLog() {
  (void)Close();
  OPENSSL_cleanse(private_key_.data(), private_key_.size());
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store* store,
                                                         const KeyProvider& key,
                                                         AuditLogOptions options) {
  if (store == nullptr) return absl::InvalidArgumentError("audit: no store");
  if (!key) return absl::InvalidArgumentError("audit: no signing key provider");
  std::unique_ptr<AuditLog> log(new AuditLog(store, std::move(options)));
  VARSAM_RETURN_IF_ERROR(key(std::span<std::uint8_t, 32>(log->private_key_)));
  VARSAM_ASSIGN_OR_RETURN(log->public_key_, PublicKeyOf(log->private_key_));
  // Rebuild the tree from what is stored.
  std::int64_t expected = 1;
  absl::Status bad;
  VARSAM_RETURN_IF_ERROR(store->ReadAudit(
      1, std::numeric_limits<std::int64_t>::max(), [&](const store::AuditEvent& e) {
        if (e.seq != expected++) {
          bad = absl::DataLossError("audit: the stored events have a gap; run audit verify");
          return false;
        }
        const Hash leaf = LeafHash(e.payload);
        log->tree_.Add(leaf);
        log->last_leaf_ = leaf;
        return true;
      }));
  VARSAM_RETURN_IF_ERROR(bad);
  VARSAM_RETURN_IF_ERROR(store->ReadCheckpoints([&](const store::Checkpoint& c) {
    log->checkpointed_size_ = std::max(log->checkpointed_size_, c.seq);
    return true;
  }));
  log->last_checkpoint_time_ = log->options_.clock();
  log->closed_ = false;
  return log;
}

std::int64_t AuditLog::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tree_.size();
}

Hash AuditLog::root() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tree_.Root();
}

absl::StatusOr<std::int64_t> AuditLog::Append(const AuditRecord& record) {
  return AppendBatch(std::span<const AuditRecord>(&record, 1));
}

// One call waiting in the group-commit queue. It lives on its caller's stack; whoever signals
// it does so while holding its mutex, so the caller cannot return (and destroy it) before the
// signal is complete.
struct AuditLog::Pending {
  std::span<const AuditRecord> records;
  absl::StatusOr<std::int64_t> result = absl::InternalError("audit: append not written");
  std::mutex mu;
  std::condition_variable wake;
  bool done = false;  // guarded by mu: `result` is final
  bool lead = false;  // guarded by mu: the caller leads the next group

  void Signal(bool Pending::*what) {
    const std::lock_guard<std::mutex> lock(mu);
    this->*what = true;
    wake.notify_one();
  }
};

absl::StatusOr<std::int64_t> AuditLog::AppendBatch(std::span<const AuditRecord> records) {
  Pending self;
  self.records = records;
  bool lead = false;
  {
    const std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(&self);
    lead = !writing_;
    writing_ = true;
  }
  if (!lead) {
    // Sleep until a leader has written our events, or has handed us the lead.
    std::unique_lock<std::mutex> lock(self.mu);
    self.wake.wait(lock, [&] { return self.done || self.lead; });
    if (self.done) return std::move(self.result);
  }
  // Lead: take every queued call (ours among them: nobody else takes the queue while we lead)
  // and write them as one group.
  std::vector<Pending*> group;
  {
    const std::lock_guard<std::mutex> lock(queue_mu_);
    group.swap(queue_);
  }
  {
    const std::lock_guard<std::mutex> lock(mu_);
    WriteGroupLocked(group);
  }
  // Hand the lead to the first call that queued meanwhile (so new arrivals keep queueing), or
  // give it up; then wake the group.
  Pending* next = nullptr;
  {
    const std::lock_guard<std::mutex> lock(queue_mu_);
    if (queue_.empty()) {
      writing_ = false;
    } else {
      next = queue_.front();
    }
  }
  if (next != nullptr) next->Signal(&Pending::lead);
  for (Pending* pending : group) {
    if (pending != &self) pending->Signal(&Pending::done);
  }
  return std::move(self.result);
}

void AuditLog::WriteGroupLocked(std::span<Pending* const> group) {
  if (closed_) {
    for (Pending* p : group) p->result = absl::FailedPreconditionError("audit: the log is closed");
    return;
  }
  // Serialise in queue order, chaining each event to the one before; a call with a bad record
  // fails alone and leaves the chain as it was.
  std::vector<std::string> payloads;
  std::vector<Hash> leaves;
  std::vector<Pending*> written;  // the calls with events in `payloads`, in order
  Hash prev = last_leaf_;
  for (Pending* p : group) {
    if (p->records.empty()) {
      p->result = tree_.size() + static_cast<std::int64_t>(payloads.size());
      continue;
    }
    const size_t mark = payloads.size();
    const Hash chain_mark = prev;
    absl::Status bad;
    for (const AuditRecord& record : p->records) {
      absl::StatusOr<std::string> bytes = SerializeEvent(record, prev);
      if (!bytes.ok()) {
        bad = bytes.status();
        break;
      }
      prev = LeafHash(*bytes);
      leaves.push_back(prev);
      payloads.push_back(*std::move(bytes));
    }
    if (!bad.ok()) {
      payloads.resize(mark);
      leaves.resize(mark);
      prev = chain_mark;
      p->result = bad;
      continue;
    }
    p->result = tree_.size() + static_cast<std::int64_t>(payloads.size());  // its last seq
    written.push_back(p);
  }
  if (payloads.empty()) return;
  const auto fail_written = [&](const absl::Status& status) {
    for (Pending* p : written) p->result = status;
  };
  const absl::StatusOr<std::int64_t> last = store_->AppendAuditBatch(payloads);
  if (!last.ok()) return fail_written(last.status());
  if (*last != tree_.size() + static_cast<std::int64_t>(payloads.size())) {
    closed_ = true;  // our view of the tree no longer matches the store
    return fail_written(absl::FailedPreconditionError(
        "audit: another writer appended to this audit store; one AuditLog per store"));
  }
  for (const Hash& leaf : leaves) tree_.Add(leaf);
  last_leaf_ = prev;
  const bool by_count = options_.checkpoint_every_events > 0 &&
                        tree_.size() - std::max<std::int64_t>(checkpointed_size_, 0) >=
                            options_.checkpoint_every_events;
  const bool by_time = options_.checkpoint_every > absl::ZeroDuration() &&
                       options_.clock() - last_checkpoint_time_ >= options_.checkpoint_every;
  if (by_count || by_time) {
    // The events are durable, but a log that cannot checkpoint must not go on unnoticed.
    if (const absl::Status status = CheckpointLocked(); !status.ok()) fail_written(status);
  }
}

absl::Status AuditLog::Checkpoint() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return absl::FailedPreconditionError("audit: the log is closed");
  return CheckpointLocked();
}

absl::Status AuditLog::CheckpointLocked() {
  if (tree_.size() == checkpointed_size_) return absl::OkStatus();
  const absl::Time now = options_.clock();
  VARSAM_ASSIGN_OR_RETURN(SignedCheckpoint c,
                          SignCheckpoint(tree_.size(), tree_.Root(), now, private_key_));
  VARSAM_RETURN_IF_ERROR(store_->AppendCheckpoint({tree_.size(), SerializeCheckpoint(c)}));
  checkpointed_size_ = tree_.size();
  last_checkpoint_time_ = now;
  return absl::OkStatus();
}

absl::Status AuditLog::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return absl::OkStatus();
  absl::Status status = CheckpointLocked();
  closed_ = true;
  return status;
}

}  // namespace varsam::audit
