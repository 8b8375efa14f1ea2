// The audit log: canonical event bytes, signed checkpoints, the AuditLog writer and the
// verifier (varsam/audit.h; docs/audit.md has the formats).

#include "varsam/audit.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "varsam/core.h"

namespace varsam::audit {
namespace {

constexpr std::string_view kEventMagic = "VAE1";
constexpr size_t kMaxField = 4096;
constexpr size_t kMaxRules = 256;
constexpr std::string_view kCheckpointHeader = "varsam-audit-checkpoint/1";
constexpr size_t kTimeLength = 27;  // "YYYY-MM-DDTHH:MM:SS.ffffffZ"

// ---- Canonical event bytes ----

void PutU32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

absl::Status CheckField(std::string_view value, std::string_view field, bool required) {
  if (required && value.empty()) {
    return absl::InvalidArgumentError(Cat({"audit event: ", field, ": required"}));
  }
  if (value.size() > kMaxField) {
    return absl::InvalidArgumentError(Cat({"audit event: ", field, ": longer than 4096 bytes"}));
  }
  if (value.find('\0') != std::string_view::npos || !IsValidUtf8(value)) {
    return absl::InvalidArgumentError(Cat({"audit event: ", field, ": not UTF-8 text"}));
  }
  return absl::OkStatus();
}

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

// The shape of FormatTime's output, without a full parse (Verify's hot path).
bool LooksLikeTime(std::string_view t) {
  if (t.size() != kTimeLength) return false;
  static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  for (size_t i = 0; i < kTimeLength; ++i) {
    if (kPattern[i] == 'd' ? !IsDigit(t[i]) : t[i] != kPattern[i]) return false;
  }
  // A real calendar date (2026-11-31 is none: a full parse would roll it into December).
  const int year = TwoDigits(t, 0) * 100 + TwoDigits(t, 2);
  return t[0] != '0' && IsValidDate(year, TwoDigits(t, 5), TwoDigits(t, 8)) &&
         TwoDigits(t, 11) < 24 && TwoDigits(t, 14) < 60 && TwoDigits(t, 17) < 60;
}

absl::StatusOr<absl::Time> ParseTimeText(std::string_view t) {
  if (!LooksLikeTime(t)) return absl::InvalidArgumentError("audit: time: not canonical");
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E6SZ", std::string(t), absl::UTCTimeZone(), &time,
                       &error) ||
      FormatAuditTime(time) != t) {
    return absl::InvalidArgumentError("audit: time: not canonical");
  }
  return time;
}

// Reads the canonical fields in order; `sink` gets each string (index, bytes).
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool Take(size_t n, std::string_view* out) {
    if (rest_.size() < n) return false;
    *out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool U32(std::uint32_t* v) {
    std::string_view b;
    if (!Take(4, &b)) return false;
    const auto* u = reinterpret_cast<const unsigned char*>(b.data());
    *v = (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
    return true;
  }
  bool String(std::string_view* out) {
    std::uint32_t n = 0;
    return U32(&n) && n <= kMaxField && Take(n, out);
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

constexpr std::string_view kFieldNames[] = {
    "time",   "actor",    "role",  "organisation_kind", "organisation_id", "purpose",
    "action", "case_ref", "result"};
constexpr bool kRequired[] = {true, true, true, true, false, true, true, false, false};

struct RawEvent {
  Hash prev{};
  Decision decision = Decision::kDeny;
  std::string_view fields[9];
  std::vector<std::string_view>* rules = nullptr;  // filled when non-null
};

absl::Status Decode(std::string_view bytes, RawEvent* e) {
  const absl::Status bad = absl::InvalidArgumentError("audit event: not canonical");
  Reader r(bytes);
  std::string_view magic, prev, decision;
  if (!r.Take(4, &magic) || magic != kEventMagic || !r.Take(32, &prev) || !r.Take(1, &decision)) {
    return bad;
  }
  std::memcpy(e->prev.data(), prev.data(), 32);
  if (decision[0] != 0 && decision[0] != 1) return bad;
  e->decision = static_cast<Decision>(decision[0]);
  for (size_t i = 0; i < 9; ++i) {
    if (!r.String(&e->fields[i])) return bad;
    VARSAM_RETURN_IF_ERROR(CheckField(e->fields[i], kFieldNames[i], kRequired[i]));
  }
  if (!LooksLikeTime(e->fields[0])) return absl::InvalidArgumentError("audit event: time");
  std::uint32_t count = 0;
  if (!r.U32(&count) || count > kMaxRules) return bad;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string_view rule;
    if (!r.String(&rule)) return bad;
    VARSAM_RETURN_IF_ERROR(CheckField(rule, "rules", true));
    if (e->rules != nullptr) e->rules->push_back(rule);
  }
  if (!r.done()) return bad;
  return absl::OkStatus();
}

// ---- Ed25519 ----

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

absl::StatusOr<std::array<std::uint8_t, 64>> Sign(std::string_view text,
                                                  std::span<const std::uint8_t, 32> key) {
  Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  std::array<std::uint8_t, 64> sig{};
  size_t len = sig.size();
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1 ||
      len != sig.size()) {
    return absl::InternalError("audit: signing a checkpoint failed (OpenSSL Ed25519)");
  }
  return sig;
}

bool ParseDecimal(std::string_view s, std::int64_t* out) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

}  // namespace

// ---- Events ----

std::string FormatAuditTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<std::string> SerializeEvent(const AuditRecord& record, const Hash& prev) {
  const std::string time = FormatAuditTime(record.time);
  if (!LooksLikeTime(time)) {
    return absl::InvalidArgumentError("audit event: time: outside the years 1000..9999");
  }
  const std::string_view fields[9] = {time,
                                      record.actor,
                                      record.role,
                                      record.organisation_kind,
                                      record.organisation_id,
                                      record.purpose,
                                      record.action,
                                      record.case_ref,
                                      record.result};
  for (size_t i = 0; i < 9; ++i) {
    VARSAM_RETURN_IF_ERROR(CheckField(fields[i], kFieldNames[i], kRequired[i]));
  }
  if (record.rules.size() > kMaxRules) {
    return absl::InvalidArgumentError("audit event: rules: more than 256");
  }
  for (const std::string& rule : record.rules) {
    VARSAM_RETURN_IF_ERROR(CheckField(rule, "rules", true));
  }
  std::string out;
  out.reserve(64 + 9 * 4 + 256);
  out.append(kEventMagic);
  out.append(reinterpret_cast<const char*>(prev.data()), prev.size());
  out.push_back(static_cast<char>(record.decision == Decision::kAllow ? 1 : 0));
  for (std::string_view f : fields) PutString(out, f);
  PutU32(out, static_cast<std::uint32_t>(record.rules.size()));
  for (const std::string& rule : record.rules) PutString(out, rule);
  return out;
}

absl::Status CheckEvent(std::string_view bytes, Hash* prev) {
  RawEvent e;
  VARSAM_RETURN_IF_ERROR(Decode(bytes, &e));
  *prev = e.prev;
  return absl::OkStatus();
}

absl::StatusOr<ParsedEvent> ParseEvent(std::string_view bytes) {
  std::vector<std::string_view> rules;
  RawEvent e;
  e.rules = &rules;
  VARSAM_RETURN_IF_ERROR(Decode(bytes, &e));
  ParsedEvent out;
  out.prev = e.prev;
  VARSAM_ASSIGN_OR_RETURN(out.record.time, ParseTimeText(e.fields[0]));
  out.record.actor = std::string(e.fields[1]);
  out.record.role = std::string(e.fields[2]);
  out.record.organisation_kind = std::string(e.fields[3]);
  out.record.organisation_id = std::string(e.fields[4]);
  out.record.purpose = std::string(e.fields[5]);
  out.record.action = std::string(e.fields[6]);
  out.record.case_ref = std::string(e.fields[7]);
  out.record.result = std::string(e.fields[8]);
  out.record.decision = e.decision;
  for (std::string_view rule : rules) out.record.rules.emplace_back(rule);
  return out;
}

// ---- Keys and checkpoints ----

absl::StatusOr<PublicKey> PublicKeyOf(std::span<const std::uint8_t, 32> private_key) {
  Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, private_key.data(),
                                         private_key.size()));
  PublicKey out{};
  size_t len = out.size();
  if (!pkey || EVP_PKEY_get_raw_public_key(pkey.get(), out.data(), &len) != 1 ||
      len != out.size()) {
    return absl::InvalidArgumentError("audit: the signing key is not an Ed25519 private key");
  }
  return out;
}

absl::StatusOr<PublicKey> PublicKeyFromHex(std::string_view hex) {
  absl::StatusOr<Hash> bytes = HashFromHex(hex);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError("public key: expected 64 lower-case hex digits");
  }
  return *bytes;
}

std::string KeyId(const PublicKey& key) {
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
  return ToHex(std::span<const std::uint8_t>(digest, 8));
}

std::string CheckpointSignedText(std::int64_t size, const Hash& root, absl::Time time) {
  return Cat({kCheckpointHeader, "\n", std::to_string(size), "\n", ToHex(root), "\n",
              FormatAuditTime(time)});
}

absl::StatusOr<SignedCheckpoint> SignCheckpoint(std::int64_t size, const Hash& root,
                                                absl::Time time,
                                                std::span<const std::uint8_t, 32> private_key) {
  SignedCheckpoint c;
  c.size = size;
  c.root = root;
  c.time = absl::FromUnixMicros(absl::ToUnixMicros(time));
  VARSAM_ASSIGN_OR_RETURN(PublicKey pub, PublicKeyOf(private_key));
  c.key_id = KeyId(pub);
  VARSAM_ASSIGN_OR_RETURN(c.signature, Sign(CheckpointSignedText(size, root, c.time), private_key));
  return c;
}

std::string SerializeCheckpoint(const SignedCheckpoint& c) {
  return Cat({CheckpointSignedText(c.size, c.root, c.time), "\n", c.key_id, "\n",
              ToHex(c.signature), "\n"});
}

absl::StatusOr<SignedCheckpoint> ParseCheckpoint(std::string_view payload) {
  const absl::Status bad = absl::InvalidArgumentError("audit checkpoint: not canonical");
  std::vector<std::string_view> lines;
  while (!payload.empty()) {
    const size_t nl = payload.find('\n');
    if (nl == std::string_view::npos) return bad;
    lines.push_back(payload.substr(0, nl));
    payload.remove_prefix(nl + 1);
  }
  if (lines.size() != 6 || lines[0] != kCheckpointHeader) return bad;
  SignedCheckpoint c;
  if (!ParseDecimal(lines[1], &c.size)) return bad;
  absl::StatusOr<Hash> root = HashFromHex(lines[2]);
  if (!root.ok()) return bad;
  c.root = *root;
  absl::StatusOr<absl::Time> time = ParseTimeText(lines[3]);
  if (!time.ok()) return bad;
  c.time = *time;
  if (lines[4].size() != 16 || !IsLowerHex(lines[4])) return bad;
  c.key_id = std::string(lines[4]);
  if (lines[5].size() != 128 || !IsLowerHex(lines[5])) return bad;
  for (size_t half = 0; half < 2; ++half) {
    absl::StatusOr<Hash> part = HashFromHex(lines[5].substr(half * 64, 64));
    if (!part.ok()) return bad;
    std::copy(part->begin(), part->end(), c.signature.begin() + static_cast<long>(half * 32));
  }
  return c;
}

bool VerifyCheckpointSignature(const SignedCheckpoint& c, const PublicKey& key) {
  if (c.key_id != KeyId(key)) return false;
  Pkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  const std::string text = CheckpointSignedText(c.size, c.root, c.time);
  return pkey && ctx &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), c.signature.data(), c.signature.size(),
                          reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
}

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
  const absl::Status status = CheckpointLocked();
  closed_ = true;
  return status;
}

// ---- Verification ----

Verifier::Verifier(std::vector<store::Checkpoint> checkpoints, VerifyOptions options)
    : options_(std::move(options)) {
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
