// Benchmarks of varsam::instruments: batch scoring of PHQ-9 and AUDIT forms (the path a host
// takes to re-score a whole history or an analyst's export) and one form through the C API.
//
// The forms are synthetic: answers drawn uniformly from each item's allowed values (AUDIT
// items 9-10 from {0, 2, 4}), with a fixed seed; respondents alternate female/male.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "varsam.h"
#include "varsam/instruments.h"

namespace {

using namespace varsam::instruments;

constexpr size_t kForms = 1 << 16;

const Instrument& Get(const char* id) {
  const Instrument* instrument = Registry::Global().Find(id);
  if (instrument == nullptr) {
    std::fprintf(stderr, "bench_instruments: no instrument %s\n", id);
    std::exit(1);
  }
  return *instrument;
}

// kForms valid forms of `instrument`, row-major.
std::vector<double> Forms(const Instrument& instrument, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<double> answers;
  answers.reserve(kForms * instrument.item_count());
  for (size_t f = 0; f < kForms; ++f) {
    for (const Scale& scale : instrument.definition().items) {
      if (scale.values != 0) {
        std::vector<int> allowed;
        for (int v = 0; v < 64; ++v) {
          if (scale.values >> v & 1) allowed.push_back(v);
        }
        answers.push_back(allowed[random() % allowed.size()]);
      } else {
        const int span = static_cast<int>(scale.max - scale.min) + 1;
        answers.push_back(scale.min + static_cast<int>(random() % span));
      }
    }
  }
  return answers;
}

void BatchScore(benchmark::State& state, const char* id) {
  const Instrument& instrument = Get(id);
  const std::vector<double> answers = Forms(instrument, 2026);
  std::vector<std::int32_t> sex(kForms);
  for (size_t i = 0; i < kForms; ++i) sex[i] = 1 + static_cast<std::int32_t>(i % 2);
  std::vector<double> total(kForms);
  std::vector<std::int32_t> band(kForms);
  std::vector<std::uint32_t> flags(kForms);
  std::vector<std::int32_t> status(kForms);
  for (auto _ : state) {
    const auto summary =
        instrument.ScoreBatch({answers, sex, {}, {}}, {total, band, flags, status});
    if (!summary.ok() || summary->scored != kForms) state.SkipWithError("forms not scored");
    benchmark::DoNotOptimize(total.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kForms));
  state.counters["forms/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kForms),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BatchScore, phq9, "phq9");
BENCHMARK_CAPTURE(BatchScore, audit, "audit");
BENCHMARK_CAPTURE(BatchScore, core10, "core10");

// One form at a time through the C API, cycling over 64 Ki different forms.
void CApiScoreOne(benchmark::State& state, const char* id) {
  const Instrument& instrument = Get(id);
  const std::vector<double> answers = Forms(instrument, 11);
  const size_t n = static_cast<size_t>(instrument.item_count());
  varsam_respondent respondent{sizeof(varsam_respondent), VARSAM_SEX_FEMALE, 40, VARSAM_MISSING};
  varsam_score_result result{};
  result.struct_size = sizeof result;
  size_t form = 0;
  for (auto _ : state) {
    if (varsam_score(id, answers.data() + form * n, n, &respondent, &result) != VARSAM_OK) {
      state.SkipWithError(varsam_last_error());
    }
    benchmark::DoNotOptimize(result.total);
    form = (form + 1) % kForms;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(CApiScoreOne, phq9, "phq9")->Repetitions(9)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(CApiScoreOne, audit, "audit")->Repetitions(9)->ReportAggregatesOnly(true);

// The C++ result for people (flags, band label, subscales as a Score).
void ScoreOne(benchmark::State& state) {
  const Instrument& instrument = Get("phq9");
  const std::vector<double> answers = Forms(instrument, 5);
  const size_t n = static_cast<size_t>(instrument.item_count());
  size_t form = 0;
  for (auto _ : state) {
    auto score = instrument.ScoreOne(std::span(answers).subspan(form * n, n));
    benchmark::DoNotOptimize(score);
    form = (form + 1) % kForms;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(ScoreOne);

}  // namespace
