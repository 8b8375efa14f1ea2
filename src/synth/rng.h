// Private: the synthetic population's PRNG. xoshiro256** 1.0 (Blackman & Vigna 2018, public
// domain reference at prng.di.unimi.it) seeded by splitmix64 (Steele, Lea & Flood 2014), with
// its own uniform, integer, normal and weighted draws, so the same seed gives the same stream
// with every compiler and standard library (std::*_distribution does not promise that).
// Normal draws use Box–Muller with std::log, std::sqrt and std::cos (correctly rounded or
// within an ulp on every libm varsam builds with; a one-ulp difference could only matter at a
// rounding boundary).

#ifndef VARSAM_SRC_SYNTH_RNG_H_
#define VARSAM_SRC_SYNTH_RNG_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

namespace varsam::synth::internal {

constexpr std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  // A stream for (seed, stream): distinct streams of one seed are independent in practice.
  Rng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    for (auto& word : s_) word = SplitMix64(sm);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  bool Chance(double p) { return Uniform() < p; }

  // Uniform in [0, n) without modulo bias (rejection of the first 2^64 mod n values), n > 0.
  std::uint64_t Below(std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (true) {
      const std::uint64_t x = Next();
      if (x >= threshold) return x % n;
    }
  }
  // Uniform in lo..hi inclusive.
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  // Standard normal (Box–Muller; one value per call, the second is discarded for simplicity).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double Normal(double mean, double sd) { return mean + sd * Normal(); }

  // An index drawn with probability proportional to `weights` (non-negative, sum > 0).
  std::size_t Weighted(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }

 private:
  static constexpr std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace varsam::synth::internal

#endif  // VARSAM_SRC_SYNTH_RNG_H_
