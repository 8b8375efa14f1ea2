// Keyed pseudonyms: HMAC-SHA-256 on precomputed keyed states (varsam/pseudonym.h).
//
// The default engine keeps the HMAC's inner state (after the key block XOR ipad and the domain
// prefix) and outer state (after the key block XOR opad) as plain SHA256_CTX structs and copies
// them per call: no allocation, no provider dispatch, and OpenSSL's assembly block function
// (SHA-NI where the CPU has it). OpenSSL 3 marks the SHA256_* functions deprecated in favour of
// EVP, which allocates per context copy; bench_pseudonym measures both EVP ways for comparison
// (docs/anonymisation.md).

#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "varsam/pseudonym.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "varsam/core.h"
#include "varsam/ident.h"

namespace varsam::anonymize {
namespace {

constexpr std::size_t kBlock = 64;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool ValidKind(std::string_view kind) {
  if (kind.empty() || kind.size() > 64) return false;
  return std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The key block XOR `pad` (RFC 2104): keys longer than a block are hashed first.
void KeyBlock(std::span<const std::uint8_t> key, std::uint8_t pad, std::uint8_t (&block)[kBlock]) {
  std::uint8_t k[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256(key.data(), key.size(), k);
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  for (std::size_t i = 0; i < kBlock; ++i) block[i] = static_cast<std::uint8_t>(k[i] ^ pad);
  OPENSSL_cleanse(k, sizeof k);
}

// The keyed inner and outer SHA-256 states.
struct Midstates {
  SHA256_CTX inner;
  SHA256_CTX outer;

  void Init(std::span<const std::uint8_t> key) {
    std::uint8_t block[kBlock];
    KeyBlock(key, 0x36, block);
    SHA256_Init(&inner);
    SHA256_Update(&inner, block, kBlock);
    KeyBlock(key, 0x5c, block);
    SHA256_Init(&outer);
    SHA256_Update(&outer, block, kBlock);
    OPENSSL_cleanse(block, sizeof block);
  }
  void Wipe() { OPENSSL_cleanse(this, sizeof *this); }
};

// HMAC of (the message already absorbed into `inner_copy`) finished with the outer state.
void Finish(SHA256_CTX& inner_copy, const SHA256_CTX& outer, std::uint8_t (&mac)[32]) {
  std::uint8_t h[32];
  SHA256_Final(h, &inner_copy);
  SHA256_CTX o = outer;
  SHA256_Update(&o, h, sizeof h);
  SHA256_Final(mac, &o);
  OPENSSL_cleanse(&o, sizeof o);
  OPENSSL_cleanse(&inner_copy, sizeof inner_copy);
}

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

EVP_MAC* HmacMac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// Whether a pseudonym's characters happen to hold an identity number (about 2 in 10^9 do:
// ten or more base64url digits in a row that form a valid date and check digit). The register
// refuses such a value (store::ValidateEpisode scans every field), so the pseudonymizer derives
// another one instead. Fewer than ten digits cannot hold a number: the common case costs a count.
bool LooksLikeIdentityNumber(std::string_view pseudonym, Date today) {
  if (std::count_if(pseudonym.begin(), pseudonym.end(), IsDigit) < 10) {
    return false;
  }
  bool found = false;
  ident::Scan(pseudonym, today, [&](const ident::Match&) { found = true; });
  return found;
}

}  // namespace

struct Pseudonymizer::State {
  HmacEngine engine = HmacEngine::kMidstate;
  Midstates mid{};                 // inner includes the domain prefix "varsam-pseudonym/1\0"
  EVP_MD_CTX* md_inner = nullptr;  // kEvpMdCopy: the same two states as EVP digests
  EVP_MD_CTX* md_outer = nullptr;
  EVP_MAC_CTX* mac = nullptr;  // kEvpMacDup: initialised with the key

  ~State() {
    mid.Wipe();
    EVP_MD_CTX_free(md_inner);  // EVP frees cleanse their algorithm contexts
    EVP_MD_CTX_free(md_outer);
    EVP_MAC_CTX_free(mac);
  }

  // HMAC of domain NUL kind NUL value into `mac_out`; false on an OpenSSL failure.
  bool Mac(std::string_view kind, std::string_view value, std::uint8_t (&mac_out)[32]) const {
    static constexpr std::uint8_t kNul = 0;
    switch (engine) {
      case HmacEngine::kMidstate: {
        SHA256_CTX c = mid.inner;
        SHA256_Update(&c, kind.data(), kind.size());
        SHA256_Update(&c, &kNul, 1);
        SHA256_Update(&c, value.data(), value.size());
        Finish(c, mid.outer, mac_out);
        return true;
      }
      case HmacEngine::kEvpMdCopy: {
        EVP_MD_CTX* c = EVP_MD_CTX_new();
        std::uint8_t h[32];
        unsigned int n = 0;
        bool ok = c != nullptr && EVP_MD_CTX_copy_ex(c, md_inner) == 1 &&
                  EVP_DigestUpdate(c, kind.data(), kind.size()) == 1 &&
                  EVP_DigestUpdate(c, &kNul, 1) == 1 &&
                  EVP_DigestUpdate(c, value.data(), value.size()) == 1 &&
                  EVP_DigestFinal_ex(c, h, &n) == 1 && EVP_MD_CTX_copy_ex(c, md_outer) == 1 &&
                  EVP_DigestUpdate(c, h, sizeof h) == 1 && EVP_DigestFinal_ex(c, mac_out, &n) == 1;
        EVP_MD_CTX_free(c);
        OPENSSL_cleanse(h, sizeof h);
        return ok;
      }
      case HmacEngine::kEvpMacDup: {
        EVP_MAC_CTX* c = EVP_MAC_CTX_dup(mac);
        std::size_t n = 0;
        bool ok = c != nullptr &&
                  EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(kind.data()),
                                 kind.size()) == 1 &&
                  EVP_MAC_update(c, &kNul, 1) == 1 &&
                  EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(value.data()),
                                 value.size()) == 1 &&
                  EVP_MAC_final(c, mac_out, &n, 32) == 1 && n == 32;
        EVP_MAC_CTX_free(c);
        return ok;
      }
    }
    return false;
  }
};

void Base64Url32(std::span<const std::uint8_t, 32> b, std::span<char, 43> out) {
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 3 <= 32; i += 3) {
    const std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8) | b[i + 2];
    out[o++] = kBase64Url[(v >> 18) & 63];
    out[o++] = kBase64Url[(v >> 12) & 63];
    out[o++] = kBase64Url[(v >> 6) & 63];
    out[o++] = kBase64Url[v & 63];
  }
  // Two bytes left (32 = 3 * 10 + 2): three characters, no padding.
  const std::uint32_t v = (std::uint32_t{b[30]} << 16) | (std::uint32_t{b[31]} << 8);
  out[o++] = kBase64Url[(v >> 18) & 63];
  out[o++] = kBase64Url[(v >> 12) & 63];
  out[o++] = kBase64Url[(v >> 6) & 63];
}

std::array<std::uint8_t, 32> HmacSha256(std::span<const std::uint8_t> key,
                                        std::span<const std::uint8_t> message) {
  Midstates m;
  m.Init(key);
  SHA256_CTX c = m.inner;
  SHA256_Update(&c, message.data(), message.size());
  std::uint8_t mac[32];
  Finish(c, m.outer, mac);
  m.Wipe();
  std::array<std::uint8_t, 32> out;
  std::memcpy(out.data(), mac, 32);
  return out;
}

Pseudonymizer::Pseudonymizer(std::int32_t epoch, Date today, std::unique_ptr<State> state)
    : epoch_(epoch), today_(today), state_(std::move(state)) {}
Pseudonymizer::Pseudonymizer(Pseudonymizer&&) noexcept = default;
Pseudonymizer& Pseudonymizer::operator=(Pseudonymizer&&) noexcept = default;
Pseudonymizer::~Pseudonymizer() = default;

absl::StatusOr<Pseudonymizer> Pseudonymizer::Create(std::int32_t epoch,
                                                    const PseudonymKeyProvider& keys,
                                                    PseudonymOptions options) {
  if (epoch < 0) return absl::InvalidArgumentError("pseudonym: key epoch must be 0 or more");
  if (!keys) {
    return absl::FailedPreconditionError("pseudonym: no key callback; no pseudonym can be made");
  }
  std::array<std::uint8_t, 32> key{};
  const absl::Status got = keys(epoch, std::span<std::uint8_t, 32>(key));
  if (!got.ok()) {
    OPENSSL_cleanse(key.data(), key.size());
    return absl::FailedPreconditionError(
        Cat({"pseudonym: the key of epoch ", std::to_string(epoch),
             " is not available (key callback: ", StatusCodeName(got.code()), ": ",
             std::string(got.message()), "); no pseudonym can be made"}));
  }
  if (std::all_of(key.begin(), key.end(), [](std::uint8_t b) { return b == 0; })) {
    return absl::FailedPreconditionError(
        Cat({"pseudonym: the key callback gave an all-zero key "
             "for epoch ",
             std::to_string(epoch)}));
  }

  auto state = std::make_unique<State>();
  state->engine = options.engine;
  state->mid.Init(key);
  static constexpr std::uint8_t kNul = 0;
  SHA256_Update(&state->mid.inner, kPseudonymDomain.data(), kPseudonymDomain.size());
  SHA256_Update(&state->mid.inner, &kNul, 1);

  bool ok = true;
  if (options.engine == HmacEngine::kEvpMdCopy) {
    std::uint8_t block[kBlock];
    state->md_inner = EVP_MD_CTX_new();
    state->md_outer = EVP_MD_CTX_new();
    KeyBlock(key, 0x36, block);
    ok = Sha256Md() != nullptr && state->md_inner != nullptr && state->md_outer != nullptr &&
         EVP_DigestInit_ex(state->md_inner, Sha256Md(), nullptr) == 1 &&
         EVP_DigestUpdate(state->md_inner, block, kBlock) == 1 &&
         EVP_DigestUpdate(state->md_inner, kPseudonymDomain.data(), kPseudonymDomain.size()) == 1 &&
         EVP_DigestUpdate(state->md_inner, &kNul, 1) == 1;
    KeyBlock(key, 0x5c, block);
    ok = ok && EVP_DigestInit_ex(state->md_outer, Sha256Md(), nullptr) == 1 &&
         EVP_DigestUpdate(state->md_outer, block, kBlock) == 1;
    OPENSSL_cleanse(block, sizeof block);
  } else if (options.engine == HmacEngine::kEvpMacDup) {
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    state->mac = HmacMac() != nullptr ? EVP_MAC_CTX_new(HmacMac()) : nullptr;
    ok = state->mac != nullptr && EVP_MAC_init(state->mac, key.data(), key.size(), params) == 1 &&
         EVP_MAC_update(state->mac, reinterpret_cast<const unsigned char*>(kPseudonymDomain.data()),
                        kPseudonymDomain.size()) == 1 &&
         EVP_MAC_update(state->mac, &kNul, 1) == 1;
  }
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) return absl::InternalError("pseudonym: OpenSSL could not set up HMAC-SHA-256");
  return Pseudonymizer(epoch, options.today, std::move(state));
}

absl::Status Pseudonymizer::PseudonymizeInto(std::string_view kind, std::string_view value,
                                             std::span<char, kPseudonymLength> out) const {
  if (!ValidKind(kind)) {
    return absl::InvalidArgumentError("pseudonym: kind must be 1..64 characters of [a-z0-9_]");
  }
  if (state_ == nullptr)
    return absl::FailedPreconditionError("pseudonym: moved-from pseudonymizer");
  std::string_view normalized = Trim(value);
  ident::CheckResult checked;
  if (kind == kKindPersonnummer) {
    checked = ident::Check(normalized, today_);
    if (!checked.ok()) {
      return absl::InvalidArgumentError(
          Cat({"pseudonym: kind personnummer: not a valid identity "
               "number (",
               ident::ErrorMessage(checked.error), ")"}));
    }
    normalized = checked.number.normalized();
  } else {
    if (normalized.empty()) {
      return absl::InvalidArgumentError(Cat({"pseudonym: kind ", kind, ": the value is empty"}));
    }
    if (normalized.find('\0') != std::string_view::npos || !IsValidUtf8(normalized)) {
      return absl::InvalidArgumentError(
          Cat({"pseudonym: kind ", kind, ": the value must be UTF-8 without NUL"}));
    }
  }
  std::uint8_t mac[32];
  std::string retry;  // only on the rare path below
  for (int attempt = 0; attempt < 256; ++attempt) {
    if (attempt > 0) {
      retry =
          Cat({normalized, std::string_view("\0", 1), std::string(1, static_cast<char>(attempt))});
    }
    if (!state_->Mac(kind, attempt == 0 ? normalized : std::string_view(retry), mac)) {
      return absl::InternalError("pseudonym: OpenSSL failed to compute HMAC-SHA-256");
    }
    std::memcpy(out.data(), kPseudonymPrefix.data(), kPseudonymPrefix.size());
    Base64Url32(std::span<const std::uint8_t, 32>(mac, 32),
                std::span<char, 43>(out.data() + kPseudonymPrefix.size(), 43));
    if (!LooksLikeIdentityNumber(std::string_view(out.data(), out.size()), today_)) break;
  }
  OPENSSL_cleanse(mac, sizeof mac);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Pseudonymizer::Pseudonymize(std::string_view kind,
                                                        std::string_view value) const {
  std::array<char, kPseudonymLength> buffer;
  VARSAM_RETURN_IF_ERROR(PseudonymizeInto(kind, value, buffer));
  return std::string(buffer.data(), buffer.size());
}

}  // namespace varsam::anonymize
