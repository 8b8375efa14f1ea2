// Benchmarks of varsam::synth: how many synthetic clients per second the generator makes (with
// their cases, scored forms and notes), alone and with the CSV output, on one thread and on
// several. `varsam synth --clients 100000 --out DIR` is the same work as BM_RunCsv.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "varsam/synth.h"

namespace {

using varsam::synth::Generator;

std::unique_ptr<Generator> Make(std::size_t clients) {
  varsam::synth::Options options;
  options.seed = 42;
  options.clients = clients;
  auto generator = Generator::Create(options);
  if (!generator.ok()) {
    std::fprintf(stderr, "bench_synth: %s\n", std::string(generator.status().message()).c_str());
    std::exit(1);
  }
  return std::move(generator).value();
}

// One client at a time on one thread: the generator's own cost.
void BM_MakeClient(benchmark::State& state) {
  const auto generator = Make(1);
  std::size_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(generator->MakeClient(index++));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("clients");
}
BENCHMARK(BM_MakeClient);

// 20,000 clients through Run with only counting (threads = the argument).
void BM_RunCount(benchmark::State& state) {
  const auto generator = Make(20000);
  for (auto _ : state) {
    varsam::synth::CountingSink sink;
    const auto summary = generator->Run(sink, static_cast<int>(state.range(0)));
    if (!summary.ok()) state.SkipWithError("run failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 20000);
  state.SetLabel("clients");
}
BENCHMARK(BM_RunCount)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// 20,000 clients to the five CSV files in a temporary directory (threads = the argument).
void BM_RunCsv(benchmark::State& state) {
  const auto generator = Make(20000);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("varsam_bench_synth_" + std::to_string(::getpid()));
  for (auto _ : state) {
    auto sink = varsam::synth::CsvSink(dir.string());
    if (!sink.ok()) {
      state.SkipWithError("cannot create the CSV files");
      break;
    }
    const auto summary = generator->Run(**sink, static_cast<int>(state.range(0)));
    if (!summary.ok()) state.SkipWithError("run failed");
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 20000);
  state.SetLabel("clients");
}
BENCHMARK(BM_RunCsv)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
