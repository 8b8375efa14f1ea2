// Benchmarks for the insights component's noise (varsam/insights.h, "The cell key method" and
// "Differential privacy"; docs/insights.md): building the maximum-entropy p-table, 1,000,000
// cell-key lookups, and 1,000,000 exact discrete Laplace draws (a seeded splitmix64 source and
// OpenSSL's RAND_bytes). Before the benchmarks the program prints the p-tables D=2 V=1 js=0 and
// D=2 V=1 js=1 that docs/insights.md shows; to print only those:
//   build/release/bench/bench_insights_noise --benchmark_filter='^$'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "varsam/insights.h"

namespace {

using varsam::insights::CellKeyParams;
using varsam::insights::PTable;
using varsam::insights::RandomBits;

// splitmix64 (Steele, Lea & Flood 2014).
std::uint64_t SplitMix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void PrintPTable(const CellKeyParams& params) {
  const auto table = PTable::Build(params);
  if (!table.ok()) {
    std::printf("p-table D=%d V=%g js=%d: %s\n", params.max_deviation, params.variance, params.js,
                table.status().ToString().c_str());
    return;
  }
  std::printf("p-table D=%d V=%g js=%d (row i: v:p ...; mean, variance)\n", params.max_deviation,
              params.variance, params.js);
  for (const auto& row : table->rows()) {
    const bool last = &row == &table->rows().back();
    std::printf("  %si=%lld:", last ? ">=" : "", static_cast<long long>(row.original));
    double mean = 0, second = 0;
    for (std::size_t k = 0; k < row.perturbation.size(); ++k) {
      const auto v = static_cast<double>(row.perturbation[k]);
      mean += row.probability[k] * v;
      second += row.probability[k] * v * v;
      std::printf(" %+lld:%.6f", static_cast<long long>(row.perturbation[k]), row.probability[k]);
    }
    std::printf("; mean %.1e, variance %.6f\n", mean, second - mean * mean);
  }
}

void BM_PTableBuild(benchmark::State& state) {
  const CellKeyParams params{static_cast<int>(state.range(0)), 1, 1};
  for (auto _ : state) {
    auto table = PTable::Build(params);
    benchmark::DoNotOptimize(table);
  }
}
BENCHMARK(BM_PTableBuild)->Arg(2)->Arg(5)->Arg(20)->Unit(benchmark::kMicrosecond);

// 1,000,000 lookups of random counts (0..9) and keys in the D=2 V=1 js=1 table.
void BM_PerturbationMillion(benchmark::State& state) {
  const PTable table = *PTable::Build({2, 1, 1});
  std::uint64_t seed = 1;
  std::vector<std::uint64_t> keys(1'000'000);
  for (auto& k : keys) k = SplitMix(seed);
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (const std::uint64_t k : keys)
      sum += table.Perturbation(static_cast<std::int64_t>(k % 10), k);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}
BENCHMARK(BM_PerturbationMillion)->Unit(benchmark::kMillisecond);

// 1,000,000 discrete Laplace draws at scale numerator/denominator (1/epsilon for a count:
// epsilon 1 and 0.1), from a seeded source (/0) or RAND_bytes (/1).
void BM_DiscreteLaplaceMillion(benchmark::State& state) {
  const std::int64_t numerator = state.range(0), denominator = state.range(1);
  RandomBits bits;
  if (state.range(2) == 0) {
    auto seed = std::make_shared<std::uint64_t>(7);
    bits = [seed]() -> absl::StatusOr<std::uint64_t> { return SplitMix(*seed); };
  } else {
    bits = varsam::insights::CryptoBits();
  }
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (int k = 0; k < 1'000'000; ++k) {
      sum += *varsam::insights::SampleDiscreteLaplace(numerator, denominator, bits);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK(BM_DiscreteLaplaceMillion)
    ->Args({1, 1, 0})
    ->Args({10, 1, 0})
    ->Args({1, 1, 1})
    ->Args({10, 1, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  PrintPTable({2, 1, 0});
  PrintPTable({2, 1, 1});
  std::fflush(stdout);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
