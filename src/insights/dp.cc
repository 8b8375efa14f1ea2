// Differential privacy's noise (varsam/insights.h, "Differential privacy"; docs/insights.md,
// "Differential privacy"): an exact discrete Laplace sampler over a source of uniform 64-bit
// words, with integer arithmetic only.
//
// Floating-point Laplace noise is not used: the set of doubles a textbook sampler can return
// depends on the true value, which breaks the guarantee (Mironov 2012, "On significance of the
// least significant bits for differential privacy", ACM CCS). The sampler is algorithm 2 of
// Canonne, Kamath & Steinke 2020 ("The discrete Gaussian for differential privacy", NeurIPS;
// arXiv:2004.00010), built on their algorithm 1, Bernoulli(exp(-gamma)) for rational gamma, which
// itself needs only Bernoulli(n/d) draws, i.e. uniform integers below d. Uniform integers in
// [0, n) come from 64-bit words by rejection (the words below 2^64 mod n are redrawn), so no
// value is favoured.
//
// Overflow: Bernoulli(gamma / k) is drawn as Bernoulli(gamma) and Bernoulli(1 / k) (the
// product of two independent Bernoullis), so no denominator is ever multiplied; X = U + t V is
// computed with checked arithmetic and OutOfRange is returned when it would pass 2^63 - 1 (only
// for scales of the order of 2^63 / V, V geometric with mean 1 / (e - 1): not a scale a table's
// noise has). A source that never lets a draw finish (a stuck generator) is stopped after
// kMaxWords words with Internal; each round of algorithm 2 ends the draw with probability at
// least 1 / (2e), so a working source needs that many words with a probability below 2^-1000.

#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

// The words one draw may read before the source is taken to be broken. A draw reads a few
// dozen on average.
constexpr std::int64_t kMaxWords = std::int64_t{1} << 24;

// A source of words that counts what it hands out.
class Words {
 public:
  explicit Words(const RandomBits& bits) : bits_(bits) {}

  absl::StatusOr<std::uint64_t> Next() {
    if (++used_ > kMaxWords) {
      return absl::InternalError("dp: the random source gave no usable draw");
    }
    return bits_();
  }

  // Uniform in [0, n), n >= 1: words below 2^64 mod n are redrawn, the rest fall into n classes
  // of equal size.
  absl::StatusOr<std::uint64_t> Uniform(std::uint64_t n) {
    if (n == 1) return 0;
    const std::uint64_t reject_below = (0 - n) % n;  // 2^64 mod n
    while (true) {
      VARSAM_ASSIGN_OR_RETURN(const std::uint64_t word, Next());
      if (word >= reject_below) return word % n;
    }
  }

  // Bernoulli(n / d), 0 <= n <= d, d >= 1.
  absl::StatusOr<bool> Bernoulli(std::uint64_t n, std::uint64_t d) {
    if (n == 0) return false;
    if (n >= d) return true;
    VARSAM_ASSIGN_OR_RETURN(const std::uint64_t u, Uniform(d));
    return u < n;
  }

  // Bernoulli(exp(-n / d)) for 0 <= n <= d (algorithm 1, gamma in [0, 1]): count k = 1, 2, ...
  // while Bernoulli(gamma / k) succeeds; the chance that the count stops at an odd k is
  // exp(-gamma).
  absl::StatusOr<bool> BernoulliExp(std::uint64_t n, std::uint64_t d) {
    std::uint64_t k = 1;
    while (true) {
      VARSAM_ASSIGN_OR_RETURN(const bool a, Bernoulli(n, d));
      bool success = a;
      if (success && k > 1) {
        VARSAM_ASSIGN_OR_RETURN(success, Bernoulli(1, k));
      }
      if (!success) break;
      ++k;
    }
    return k % 2 == 1;
  }

 private:
  const RandomBits& bits_;
  std::int64_t used_ = 0;
};

}  // namespace

// RAND_bytes is called for 64 words at a time (one call costs about as much as a whole draw of
// the sampler); the words are handed out once each, under a mutex so that one source may serve
// several threads.
RandomBits CryptoBits() {
  struct Buffer {
    std::mutex mutex;
    std::array<std::uint64_t, 64> words{};
    std::size_t next = 64;  // all used
  };
  auto buffer = std::make_shared<Buffer>();
  return [buffer]() -> absl::StatusOr<std::uint64_t> {
    const std::lock_guard<std::mutex> lock(buffer->mutex);
    if (buffer->next == buffer->words.size()) {
      if (RAND_bytes(reinterpret_cast<unsigned char*>(buffer->words.data()),
                     static_cast<int>(sizeof buffer->words)) != 1) {
        return absl::InternalError("dp: RAND_bytes failed");
      }
      buffer->next = 0;
    }
    const std::uint64_t word = buffer->words[buffer->next];
    buffer->words[buffer->next++] = 0;  // handed out once
    return word;
  };
}

absl::StatusOr<std::int64_t> SampleDiscreteLaplace(std::int64_t numerator, std::int64_t denominator,
                                                   const RandomBits& bits) {
  if (numerator <= 0) return absl::InvalidArgumentError("dp.scale: numerator must be positive");
  if (denominator <= 0) {
    return absl::InvalidArgumentError("dp.scale: denominator must be positive");
  }
  if (!bits) return absl::InvalidArgumentError("dp.bits: no random source");
  // In the paper's notation the scale is t / s.
  const auto t = static_cast<std::uint64_t>(numerator);
  const auto s = static_cast<std::uint64_t>(denominator);
  Words words(bits);
  while (true) {
    // U uniform in [0, t), kept with probability exp(-U / t).
    VARSAM_ASSIGN_OR_RETURN(const std::uint64_t u, words.Uniform(t));
    VARSAM_ASSIGN_OR_RETURN(const bool keep, words.BernoulliExp(u, t));
    if (!keep) continue;
    // V geometric: the number of successes of Bernoulli(exp(-1)) before the first failure.
    std::uint64_t v = 0;
    while (true) {
      VARSAM_ASSIGN_OR_RETURN(const bool a, words.BernoulliExp(1, 1));
      if (!a) break;
      ++v;
    }
    // X = U + t V (geometric with parameter exp(-1 / t)), Y = floor(X / s).
    std::uint64_t x = 0;
    if (__builtin_mul_overflow(t, v, &x) || __builtin_add_overflow(x, u, &x) ||
        x > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return absl::OutOfRangeError("dp: the noise passes the range of a 64-bit count");
    }
    const auto y = static_cast<std::int64_t>(x / s);
    // A random sign; -0 is rejected so that 0 is not counted twice.
    VARSAM_ASSIGN_OR_RETURN(const bool negative, words.Bernoulli(1, 2));
    if (negative && y == 0) continue;
    return negative ? -y : y;
  }
}

}  // namespace varsam::insights
