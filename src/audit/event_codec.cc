// The audit log's canonical event bytes: serialising, checking and parsing an event
// (varsam/audit.h; docs/audit.md has the format).

#include "event_codec.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/audit.h"
#include "varsam/core.h"

namespace varsam::audit {
namespace {

constexpr std::string_view kEventMagic = "VAE1";
constexpr size_t kMaxField = 4096;
constexpr size_t kMaxRules = 256;
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

}  // namespace

namespace internal {

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

}  // namespace internal

namespace {

using internal::ParseTimeText;

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
  absl::Status bad = absl::InvalidArgumentError("audit event: not canonical");
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

}  // namespace varsam::audit
