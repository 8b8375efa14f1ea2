// Benchmarks for secondary cell suppression (include/varsam/insights.h, "Secondary
// suppression"; docs/insights.md, "Secondary suppression").
//
// Tables of counts with every margin, interior cells drawn so that about 2 % are below the
// threshold 5 (primary, level max(5, ceil(0.2 x)) as the Protection default), the rest from 5 to
// 200:
//   /2: 99 x 99 interior, 10,000 cells with margins (goal: choice and proof <= 1 s);
//   /3: 21 x 21 x 21 interior, 10,648 cells with margins.
// SuppressSecondary includes its proof; AttackerIntervals is the proof alone on the final
// pattern. Run from a Release build:
//   build/release/bench/bench_insights_suppression --benchmark_min_time=2
// Counters: the cells, primary and complementary cells, and the linear programs solved.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "varsam/insights.h"

namespace {

using varsam::insights::Relation;

struct Table {
  std::vector<double> values;
  std::vector<Relation> relations;
  std::unique_ptr<bool[]> primary;
  std::vector<double> levels;
  std::int64_t primaries = 0;
};

// A table over `sizes` (interior levels per dimension), each with a margin level at index
// sizes[d]; cell index in mixed radix over sizes[d] + 1, the last dimension fastest.
Table MakeTable(const std::vector<int>& sizes, std::uint32_t seed) {
  const std::size_t dims = sizes.size();
  std::vector<std::size_t> radix(dims), stride(dims);
  std::size_t cells = 1;
  for (std::size_t d = dims; d-- > 0;) {
    radix[d] = static_cast<std::size_t>(sizes[d]) + 1;
    stride[d] = cells;
    cells *= radix[d];
  }
  Table t;
  t.values.assign(cells, 0.0);
  t.primary = std::make_unique<bool[]>(cells);
  t.levels.assign(cells, 0.0);
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> small(1, 4), large(5, 200);
  std::vector<std::size_t> coord(dims);
  for (std::size_t i = 0; i < cells; ++i) {
    bool interior = true;
    for (std::size_t d = 0; d < dims; ++d) {
      coord[d] = i / stride[d] % radix[d];
      interior = interior && coord[d] + 1 < radix[d];
    }
    if (!interior) continue;
    const bool is_small = unit(random) < 0.02;
    const double v = is_small ? small(random) : large(random);
    if (is_small) {
      t.primary[i] = true;
      t.levels[i] = std::max(5.0, std::ceil(0.2 * v));
      ++t.primaries;
    }
    // Add v to the cell and to each of its margins (every subset of dimensions at margin).
    for (std::size_t mask = 0; mask < (std::size_t{1} << dims); ++mask) {
      std::size_t j = 0;
      for (std::size_t d = 0; d < dims; ++d) {
        j += ((mask >> d) & 1U ? radix[d] - 1 : coord[d]) * stride[d];
      }
      t.values[j] += v;
    }
  }
  // For each dimension and each combination of the other levels: margin = sum of the parts.
  for (std::size_t d = 0; d < dims; ++d) {
    for (std::size_t i = 0; i < cells; ++i) {
      if (i / stride[d] % radix[d] != radix[d] - 1) continue;  // i is a margin on d
      Relation r;
      r.total = static_cast<std::int32_t>(i);
      for (std::size_t k = 0; k + 1 < radix[d]; ++k) {
        r.parts.push_back(static_cast<std::int32_t>(i - (radix[d] - 1 - k) * stride[d]));
      }
      t.relations.push_back(std::move(r));
    }
  }
  return t;
}

std::vector<int> Sizes(std::int64_t dims) {
  return dims == 2 ? std::vector<int>{99, 99} : std::vector<int>{21, 21, 21};
}

void SuppressSecondary(benchmark::State& state) {
  const Table t = MakeTable(Sizes(state.range(0)), 7);
  const std::span<const bool> primary(t.primary.get(), t.values.size());
  varsam::insights::SuppressionResult last;
  for (auto _ : state) {
    auto result = varsam::insights::SuppressSecondary(t.values, t.relations, primary, t.levels);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
    last = *std::move(result);
    benchmark::DoNotOptimize(last);
  }
  state.counters["cells"] = static_cast<double>(t.values.size());
  state.counters["primary"] = static_cast<double>(t.primaries);
  state.counters["complementary"] = static_cast<double>(last.complementary);
  state.counters["programs"] = static_cast<double>(last.linear_programs);
}
BENCHMARK(SuppressSecondary)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);

void AttackerIntervals(benchmark::State& state) {
  const Table t = MakeTable(Sizes(state.range(0)), 7);
  const std::span<const bool> primary(t.primary.get(), t.values.size());
  auto chosen = varsam::insights::SuppressSecondary(t.values, t.relations, primary, t.levels);
  if (!chosen.ok()) {
    state.SkipWithError(chosen.status().ToString().c_str());
    return;
  }
  const auto pattern = std::make_unique<bool[]>(t.values.size());
  std::int64_t suppressed = 0;
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    pattern[i] = chosen->suppressed[i];
    suppressed += pattern[i] ? 1 : 0;
  }
  const std::span<const bool> cells(pattern.get(), t.values.size());
  for (auto _ : state) {
    auto intervals = varsam::insights::AttackerIntervals(t.values, t.relations, cells);
    if (!intervals.ok()) {
      state.SkipWithError(intervals.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(intervals);
  }
  state.counters["cells"] = static_cast<double>(t.values.size());
  state.counters["suppressed"] = static_cast<double>(suppressed);
}
BENCHMARK(AttackerIntervals)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);

}  // namespace
