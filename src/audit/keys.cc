// The audit log's keys and signed checkpoints (Ed25519 through OpenSSL; varsam/audit.h,
// docs/audit.md has the checkpoint format).

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "event_codec.h"
#include "varsam/audit.h"
#include "varsam/core.h"

namespace varsam::audit {
namespace {

using internal::ParseTimeText;

constexpr std::string_view kCheckpointHeader = "varsam-audit-checkpoint/1";

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

}  // namespace varsam::audit
