// The Merkle tree of the audit log: RFC 9162 §2.1 hashing, roots, inclusion and consistency
// proofs and their verification (varsam/audit.h).

#include <openssl/evp.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/audit.h"
#include "varsam/core.h"

namespace varsam::audit {
namespace {

// SHA-256 of prefix || a || b with a digest context reused per thread (EVP_MD fetched once).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {}
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Hash Digest(std::span<const unsigned char> a, std::span<const unsigned char> b,
              std::span<const unsigned char> c) {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    Hash out{};
    unsigned int len = 0;
    if (ctx_ == nullptr || md == nullptr || EVP_DigestInit_ex2(ctx_, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, a.data(), a.size()) != 1 ||
        EVP_DigestUpdate(ctx_, b.data(), b.size()) != 1 ||
        EVP_DigestUpdate(ctx_, c.data(), c.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) {
      out.fill(0);  // cannot happen with a working libcrypto; an all-zero hash never verifies
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

Sha256& ThreadSha256() {
  thread_local Sha256 sha;
  return sha;
}

std::span<const unsigned char> Bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// The largest power of two smaller than n (n >= 2).
std::int64_t SplitPoint(std::int64_t n) {
  return static_cast<std::int64_t>(std::bit_floor(static_cast<std::uint64_t>(n - 1)));
}

void Path(std::span<const Hash> d, std::int64_t m, std::vector<Hash>& out) {
  const auto n = static_cast<std::int64_t>(d.size());
  if (n <= 1) return;
  const std::int64_t k = SplitPoint(n);
  if (m < k) {
    Path(d.first(k), m, out);
    out.push_back(MerkleRoot(d.subspan(k)));
  } else {
    Path(d.subspan(k), m - k, out);
    out.push_back(MerkleRoot(d.first(k)));
  }
}

void SubProof(std::span<const Hash> d, std::int64_t m, bool b, std::vector<Hash>& out) {
  const auto n = static_cast<std::int64_t>(d.size());
  if (m == n) {
    if (!b) out.push_back(MerkleRoot(d));
    return;
  }
  const std::int64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(d.first(k), m, b, out);
    out.push_back(MerkleRoot(d.subspan(k)));
  } else {
    SubProof(d.subspan(k), m - k, false, out);
    out.push_back(MerkleRoot(d.first(k)));
  }
}

}  // namespace

Hash LeafHash(std::string_view event_bytes) {
  static constexpr unsigned char kLeaf[1] = {0x00};
  return ThreadSha256().Digest(kLeaf, Bytes(event_bytes), {});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  static constexpr unsigned char kNode[1] = {0x01};
  return ThreadSha256().Digest(kNode, left, right);
}

Hash EmptyRoot() { return ThreadSha256().Digest({}, {}, {}); }

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

absl::StatusOr<Hash> HashFromHex(std::string_view hex) {
  Hash out{};
  if (hex.size() != 64) return absl::InvalidArgumentError("hash: expected 64 hex digits");
  for (size_t i = 0; i < 64; ++i) {
    const char c = hex[i];
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return absl::InvalidArgumentError("hash: expected lower-case hex digits");
    }
    out[i / 2] = static_cast<std::uint8_t>(out[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return out;
}

void MerkleAccumulator::Add(const Hash& leaf_hash) {
  Hash h = leaf_hash;
  // The stack holds perfect subtrees of decreasing size; merge while the count is odd.
  for (std::uint64_t n = static_cast<std::uint64_t>(size_); n & 1; n >>= 1) {
    h = NodeHash(stack_.back(), h);
    stack_.pop_back();
  }
  stack_.push_back(h);
  ++size_;
}

Hash MerkleAccumulator::Root() const {
  if (stack_.empty()) return EmptyRoot();
  Hash h = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) h = NodeHash(stack_[i], h);
  return h;
}

Hash MerkleRoot(std::span<const Hash> leaves) {
  MerkleAccumulator acc;
  for (const Hash& leaf : leaves) acc.Add(leaf);
  return acc.Root();
}

std::vector<Hash> InclusionProof(std::span<const Hash> leaves, std::int64_t index) {
  std::vector<Hash> out;
  if (index < 0 || index >= static_cast<std::int64_t>(leaves.size())) return out;
  Path(leaves, index, out);
  return out;
}

std::vector<Hash> ConsistencyProof(std::span<const Hash> leaves, std::int64_t old_size) {
  std::vector<Hash> out;
  if (old_size <= 0 || old_size >= static_cast<std::int64_t>(leaves.size())) return out;
  SubProof(leaves, old_size, true, out);
  return out;
}

bool VerifyInclusion(const Hash& leaf_hash, std::int64_t index, std::int64_t tree_size,
                     std::span<const Hash> proof, const Hash& root) {
  if (index < 0 || index >= tree_size) return false;
  auto fn = static_cast<std::uint64_t>(index);
  auto sn = static_cast<std::uint64_t>(tree_size - 1);
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(std::int64_t old_size, std::int64_t new_size, const Hash& old_root,
                       const Hash& new_root, std::span<const Hash> proof) {
  if (old_size < 0 || old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();  // everything extends the empty tree
  if (proof.empty()) return false;
  std::vector<Hash> path;
  if (std::has_single_bit(static_cast<std::uint64_t>(old_size))) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  if (path.empty()) return false;
  auto fn = static_cast<std::uint64_t>(old_size - 1);
  auto sn = static_cast<std::uint64_t>(new_size - 1);
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace varsam::audit
