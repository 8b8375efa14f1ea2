// Benchmarks for include/varsam/kanonymity.h (docs/performance.md).
//
// The optimal 5-anonymity search (2 % suppression budget, one thread) on a synthetic table of
// 1,200,000 rows x 8 quasi-identifiers, the size of the IHIS table on which ARX's Flash takes
// 2.52 s: /0 under Loss (goal: <= 1 s), /1 under discernibility. Run from a Release build:
//   build/release/bench/bench_kanonymity --benchmark_filter=Search5Anonymity
// The counters are the search's statistics (SearchStats) and the release's.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "varsam/core.h"
#include "varsam/kanonymity.h"

namespace {

using varsam::anonymize::Column;
using varsam::anonymize::Metric;
using varsam::anonymize::PrivacyModel;
using varsam::anonymize::Table;

constexpr std::size_t kRows = 1'200'000;

// A column whose level l groups level-0 code x into code maps[l](x).
template <typename F>
Column MakeColumn(const std::string& name, std::uint32_t d0,
                  const std::vector<std::uint32_t>& domains, F map) {
  Column c;
  c.name = name;
  for (std::size_t l = 0; l < domains.size(); ++l) {
    std::vector<std::uint32_t> up(d0);
    for (std::uint32_t x = 0; x < d0; ++x) up[x] = l == 0 ? x : map(static_cast<int>(l), x);
    std::vector<std::string> labels(domains[l]);
    for (std::uint32_t v = 0; v < domains[l]; ++v) {
      labels[v] =
          domains[l] == 1 && l + 1 == domains.size() ? "*" : varsam::Cat({name, std::to_string(v)});
    }
    c.up.push_back(std::move(up));
    c.labels.push_back(std::move(labels));
  }
  return c;
}

// Zipf-like values over d0 codes (weight 1 / rank^s), ranks shuffled over the codes.
void Fill(Column& c, std::mt19937_64& rng, double s) {
  const auto d0 = static_cast<std::uint32_t>(c.labels[0].size());
  std::vector<std::uint32_t> perm(d0);
  std::iota(perm.begin(), perm.end(), 0u);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<double> w(d0);
  for (std::uint32_t r = 0; r < d0; ++r) w[perm[r]] = 1.0 / std::pow(r + 1.0, s);
  std::discrete_distribution<std::uint32_t> dist(w.begin(), w.end());
  c.codes.resize(kRows);
  for (auto& v : c.codes) v = dist(rng);
}

const Table& SyntheticTable() {
  static const Table table = [] {
    std::mt19937_64 rng(20260601);
    Table t;
    // Age 0..99: year -> 5 years -> 10 years -> 20 years -> *. A population pyramid, not Zipf.
    {
      Column age = MakeColumn("age", 100, {100, 20, 10, 5, 1}, [](int l, std::uint32_t x) {
        const std::uint32_t width[] = {1, 5, 10, 20, 100};
        return l == 4 ? 0u : x / width[l];
      });
      std::vector<double> w(100);
      for (int a = 0; a < 100; ++a)
        w[static_cast<std::size_t>(a)] = a < 70 ? 1.0 : std::exp(-(a - 70) / 8.0);
      std::discrete_distribution<std::uint32_t> dist(w.begin(), w.end());
      age.codes.resize(kRows);
      for (auto& v : age.codes) v = dist(rng);
      t.columns.push_back(std::move(age));
    }
    // Sex (female, male, unknown) -> *.
    {
      Column sex = MakeColumn("sex", 3, {3, 1}, [](int, std::uint32_t) { return 0u; });
      std::discrete_distribution<std::uint32_t> dist({0.495, 0.495, 0.01});
      sex.codes.resize(kRows);
      for (auto& v : sex.codes) v = dist(rng);
      t.columns.push_back(std::move(sex));
    }
    // Postal code (3,000) -> municipality (600) -> county (21) -> *.
    {
      Column postal = MakeColumn("postal", 3000, {3000, 600, 21, 1}, [](int l, std::uint32_t x) {
        if (l == 1) return x / 5;
        if (l == 2) return (x / 5) * 21 / 600;
        return 0u;
      });
      Fill(postal, rng, 0.9);
      t.columns.push_back(std::move(postal));
    }
    // Date of the decision: day (365) -> month (12) -> quarter (4) -> year (1) -> *.
    {
      Column date = MakeColumn("date", 365, {365, 12, 4, 1, 1}, [](int l, std::uint32_t x) {
        const std::uint32_t month = std::min<std::uint32_t>(11, x * 12 / 365);
        if (l == 1) return month;
        if (l == 2) return month / 3;
        return 0u;
      });
      Fill(date, rng, 0.3);
      t.columns.push_back(std::move(date));
    }
    // Four categorical ones.
    {
      Column marital = MakeColumn("marital", 6, {6, 3, 1},
                                  [](int l, std::uint32_t x) { return l == 1 ? x / 2 : 0u; });
      Fill(marital, rng, 1.2);
      t.columns.push_back(std::move(marital));
      Column education = MakeColumn("education", 15, {15, 6, 3, 1}, [](int l, std::uint32_t x) {
        if (l == 1) return x * 6 / 15;
        if (l == 2) return (x * 6 / 15) / 2;
        return 0u;
      });
      Fill(education, rng, 1.0);
      t.columns.push_back(std::move(education));
      Column citizenship = MakeColumn("citizenship", 40, {40, 8, 1},
                                      [](int l, std::uint32_t x) { return l == 1 ? x / 5 : 0u; });
      Fill(citizenship, rng, 1.6);
      t.columns.push_back(std::move(citizenship));
      Column income = MakeColumn("income", 20, {20, 5, 2, 1}, [](int l, std::uint32_t x) {
        if (l == 1) return x / 4;
        if (l == 2) return (x / 4) / 3;
        return 0u;
      });
      Fill(income, rng, 0.7);
      t.columns.push_back(std::move(income));
    }
    return t;
  }();
  return table;
}

void BM_Search5Anonymity(benchmark::State& state) {
  const Table& t = SyntheticTable();
  PrivacyModel m;
  m.k = 5;
  m.max_suppression = 0.02;
  m.metric = state.range(0) == 0 ? Metric::kLoss : Metric::kDiscernibility;
  varsam::anonymize::Result last;
  for (auto _ : state) {
    auto r = varsam::anonymize::Anonymize(t, m);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    last = *std::move(r);
    benchmark::DoNotOptimize(last.levels.data());
  }
  state.counters["rows"] = static_cast<double>(t.rows());
  state.counters["lattice"] = static_cast<double>(last.stats.lattice_size);
  state.counters["checked"] = static_cast<double>(last.stats.nodes_checked);
  state.counters["tagged"] = static_cast<double>(last.stats.nodes_tagged);
  state.counters["pair_pruned"] = static_cast<double>(last.stats.nodes_pair_pruned);
  state.counters["early_exit"] = static_cast<double>(last.stats.nodes_early_exit);
  state.counters["bounded"] = static_cast<double>(last.stats.nodes_bounded);
  state.counters["satisfying"] = static_cast<double>(last.stats.nodes_satisfying);
  state.counters["suppressed"] = static_cast<double>(last.suppressed);
  state.counters["classes_in"] = static_cast<double>(last.input.classes);
  state.counters["classes_out"] = static_cast<double>(last.release.classes);
  std::string levels;
  for (int l : last.levels) levels += std::to_string(l);
  state.SetLabel(varsam::Cat({"levels ", levels}));
}
BENCHMARK(BM_Search5Anonymity)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
