// Benchmarks for include/varsam/pseudonym.h and include/varsam/hierarchy.h.
//
// Pseudonyms per second (goal >= 1 million/s on one core, >= 3x Python's hmac; the Python side
// is scripts/bench-pseudonym-vs-python.py, which runs this binary on the same inputs):
//  - BM_PseudonymPersonnummer/<engine>: the 41,493 official test numbers of
//    data/skatteverket-testpersonnummer.txt, as embedded (ident::ForEachOfficialTestNumber;
//    12 digits; validated and normalised per call),
//    into a caller buffer. engine 0 = midstate copies (the default), 1 = EVP_MD_CTX_copy_ex,
//    2 = EVP_MAC_CTX_dup: the measurement behind the default.
//  - BM_PseudonymPersonnummerString: the same, returning std::string.
//  - BM_PseudonymClientRef: short host client refs "K-000000".."K-041492".
// Encoding quasi-identifier columns for the k-anonymity search (1.2 million rows):
//  - BM_EncodeAge, BM_EncodeDate, BM_EncodePostalCode.
//
// Key: bytes 0..31 (epoch 1), as in tests/pseudonym_test.cc. Every pseudonym benchmark first
// checks the known answers shared with the tests and the Python script, and fails otherwise.

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "varsam/hierarchy.h"
#include "varsam/ident.h"
#include "varsam/pseudonym.h"

namespace {

namespace an = varsam::anonymize;

absl::Status BenchKey(std::int32_t, std::span<std::uint8_t, 32> key) {
  for (std::size_t i = 0; i < 32; ++i) key[i] = static_cast<std::uint8_t>(i);
  return absl::OkStatus();
}

const std::vector<std::string>& TestNumbers() {
  static const std::vector<std::string> numbers = [] {
    std::vector<std::string> out;
    varsam::ident::ForEachOfficialTestNumber(
        [&](const varsam::ident::IdentityNumber& n) { out.emplace_back(n.normalized()); });
    return out;
  }();
  return numbers;
}

const std::vector<std::string>& ClientRefs() {
  static const std::vector<std::string> refs = [] {
    std::vector<std::string> out;
    char buffer[32];
    for (std::size_t i = 0; i < TestNumbers().size(); ++i) {
      std::snprintf(buffer, sizeof buffer, "K-%06zu", i);
      out.emplace_back(buffer);
    }
    return out;
  }();
  return refs;
}

// The known answers of tests/pseudonym_test.cc and scripts/bench-pseudonym-vs-python.py.
bool KnownAnswersHold(const an::Pseudonymizer& p) {
  return p.Pseudonymize("personnummer", "198501012382").value_or("") ==
             "p1_ZwC28aGh_IzNaxHKcKgiTkoFBJ5U1lbqCv2QHivv4f8" &&
         p.Pseudonymize("client_ref", "K-1001").value_or("") ==
             "p1_uJWlZPbkGkz5z7HIYbhtxIh9EKJSacTF148uzj7gA6Y";
}

void Run(benchmark::State& state, an::HmacEngine engine, std::string_view kind,
         const std::vector<std::string>& inputs, bool as_string) {
  an::PseudonymOptions options;
  options.today = varsam::Date(2026, 11, 28);
  options.engine = engine;
  auto p = an::Pseudonymizer::Create(1, BenchKey, options);
  if (!p.ok() || inputs.empty() || !KnownAnswersHold(*p)) {
    state.SkipWithError("setup or known answers failed");
    return;
  }
  std::array<char, an::kPseudonymLength> buffer{};
  std::size_t i = 0;
  for (auto _ : state) {
    if (as_string) {
      auto s = p->Pseudonymize(kind, inputs[i]);
      benchmark::DoNotOptimize(s);
    } else {
      const absl::Status st = p->PseudonymizeInto(kind, inputs[i], buffer);
      benchmark::DoNotOptimize(st);
      benchmark::DoNotOptimize(buffer);
    }
    if (++i == inputs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PseudonymPersonnummer(benchmark::State& state) {
  Run(state, static_cast<an::HmacEngine>(state.range(0)), "personnummer", TestNumbers(), false);
}
BENCHMARK(BM_PseudonymPersonnummer)->Arg(0)->Arg(1)->Arg(2);

void BM_PseudonymPersonnummerString(benchmark::State& state) {
  Run(state, an::HmacEngine::kMidstate, "personnummer", TestNumbers(), true);
}
BENCHMARK(BM_PseudonymPersonnummerString);

void BM_PseudonymClientRef(benchmark::State& state) {
  Run(state, static_cast<an::HmacEngine>(state.range(0)), "client_ref", ClientRefs(), false);
}
BENCHMARK(BM_PseudonymClientRef)->Arg(0)->Arg(1)->Arg(2);

// Not a speed measurement: the first 48 bits of SHA-256 over the pseudonyms of every input
// (test numbers then client refs, in order, concatenated), as three 16-bit counters, for the
// Python script to compare with its own outputs on the same inputs.
void BM_PseudonymChecksum(benchmark::State& state) {
  an::PseudonymOptions options;
  options.today = varsam::Date(2026, 11, 28);
  auto p = an::Pseudonymizer::Create(1, BenchKey, options);
  if (!p.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  std::string all;
  for (auto _ : state) {
    all.clear();
    for (const std::string& n : TestNumbers())
      all += p->Pseudonymize("personnummer", n).value_or("");
    for (const std::string& r : ClientRefs()) all += p->Pseudonymize("client_ref", r).value_or("");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(all.data(), all.size(), digest, &n, EVP_sha256(), nullptr) != 1) {
    state.SkipWithError("sha-256 failed");
    return;
  }
  for (int i = 0; i < 3; ++i) {
    state.counters["checksum" + std::to_string(i)] =
        static_cast<double>(digest[2 * i] * 256 + digest[2 * i + 1]);
  }
}
BENCHMARK(BM_PseudonymChecksum)->Iterations(1)->Unit(benchmark::kMillisecond);

// ---- Encode: 1.2 million rows ------------------------------------------------------------------

constexpr std::size_t kRows = 1'200'000;

void EncodeBench(benchmark::State& state, const an::Hierarchy& h,
                 const std::vector<std::string>& values) {
  for (auto _ : state) {
    auto column = an::Encode(h, "column", values);
    if (!column.ok()) {
      state.SkipWithError("encode failed");
      return;
    }
    benchmark::DoNotOptimize(column);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

void BM_EncodeAge(benchmark::State& state) {
  static const std::vector<std::string> values = [] {
    std::mt19937 rng(1);
    std::vector<std::string> v;
    v.reserve(kRows);
    for (std::size_t i = 0; i < kRows; ++i) v.push_back(std::to_string(rng() % 101));
    return v;
  }();
  EncodeBench(state, an::Hierarchy::Age().value(), values);
}
BENCHMARK(BM_EncodeAge)->Unit(benchmark::kMillisecond);

void BM_EncodeDate(benchmark::State& state) {
  static const std::vector<std::string> values = [] {
    std::mt19937 rng(2);
    std::vector<std::string> v;
    v.reserve(kRows);
    char buffer[40];
    for (std::size_t i = 0; i < kRows; ++i) {
      std::snprintf(buffer, sizeof buffer, "%04u-%02u-%02u",
                    static_cast<unsigned>(2020 + rng() % 7), static_cast<unsigned>(1 + rng() % 12),
                    static_cast<unsigned>(1 + rng() % 28));
      v.emplace_back(buffer);
    }
    return v;
  }();
  EncodeBench(state, an::Hierarchy::Dates(), values);
}
BENCHMARK(BM_EncodeDate)->Unit(benchmark::kMillisecond);

void BM_EncodePostalCode(benchmark::State& state) {
  const an::Hierarchy geo = an::Hierarchy::Geography().value();
  static const std::vector<std::string> values = [&] {
    std::mt19937 rng(3);
    std::vector<std::string> v;
    v.reserve(kRows);
    for (std::size_t i = 0; i < kRows; ++i) v.emplace_back(geo.Label(rng() % geo.size(), 0));
    return v;
  }();
  EncodeBench(state, geo, values);
}
BENCHMARK(BM_EncodePostalCode)->Unit(benchmark::kMillisecond);

}  // namespace
