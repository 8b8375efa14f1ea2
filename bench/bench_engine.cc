// The Engine's audited calls: every call is guard -> durable audit event -> work, and
// the audit log commits concurrent calls in groups (AuditLog::Append). Measured: calls per
// second across 1..64 threads calling at once, each call's event durable (fsync) before it
// returns. Goal: >= 50,000 audited events/s.
//
//   BM_AuditedCheck   Engine::Check: a policy decision and its audit event, no other work
//   BM_AuditedScore   Engine::Score of a PHQ-9 form that raises no flag: decision, event, score
//
// The store is SQLite in a fresh directory under VARSAM_BENCH_DIR (default: the temporary
// directory), removed at exit; with VARSAM_BENCH_POSTGRES_URI set (an empty database, e.g. from
// scripts/with-postgres and `varsam store init`), that store instead. Run from a Release build:
//   build/bench/bench/bench_engine --benchmark_min_time=2

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "varsam/access.h"
#include "varsam/engine.h"

namespace {

namespace fs = std::filesystem;
using namespace varsam;

// A made-up bench key, never a real one.
constexpr std::array<std::uint8_t, 32> kKey = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                               12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                               23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "bench_engine: %s\n", what);
  std::exit(1);
}

class BenchEngine {
 public:
  BenchEngine() {
    engine::EngineOptions options;
    if (const char* uri = std::getenv("VARSAM_BENCH_POSTGRES_URI"); uri != nullptr && *uri) {
      options.store = uri;
    } else {
      const char* base = std::getenv("VARSAM_BENCH_DIR");
      std::string pattern = ((base != nullptr ? fs::path(base) : fs::temp_directory_path()) /
                             "varsam-bench-engine-XXXXXX")
                                .string();
      if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
      dir_ = pattern;
      options.store = (fs::path(dir_) / "store").string();
    }
    options.key = [](std::span<std::uint8_t, 32> out) {
      std::copy(kKey.begin(), kKey.end(), out.begin());
      return absl::OkStatus();
    };
    absl::StatusOr<std::unique_ptr<engine::Engine>> opened = engine::Engine::Open(options);
    if (!opened.ok()) Die("cannot open the engine (store, key or policy)");
    engine_ = std::move(*opened);
    absl::StatusOr<access::Context> context = access::ParseContext(
        R"({"actor": "a-17", "role": "handlaggare",
            "organisation": {"kind": "socialnamnd", "id": "0180"}, "purpose": "handlaggning",
            "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": true,
                     "client": "k-1"},
            "subject_client": "k-1", "time": "2026-11-28T10:00:00Z", "ethics_approval": null})");
    if (!context.ok()) Die("bad bench context");
    context_ = *context;
  }
  ~BenchEngine() {
    engine_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  engine::Engine& engine() { return *engine_; }
  const access::Context& context() const { return context_; }

 private:
  std::string dir_;
  std::unique_ptr<engine::Engine> engine_;
  access::Context context_;
};

// Made on first use, destroyed at the end of main: not a static with automatic destruction,
// since OpenSSL's own exit handler may already have run by then (an engine, like a database
// handle, is closed before the process exits).
std::unique_ptr<BenchEngine> shared_engine;
std::once_flag shared_once;

BenchEngine& Shared() {
  std::call_once(shared_once, [] { shared_engine = std::make_unique<BenchEngine>(); });
  return *shared_engine;
}

void BM_AuditedCheck(benchmark::State& state) {
  BenchEngine& bench = Shared();
  for (auto _ : state) {
    absl::StatusOr<access::Decision> decision =
        bench.engine().Check(bench.context(), access::Action::kJournalRead);
    if (!decision.ok() || !decision->allow) {
      state.SkipWithError("the audited check failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuditedCheck)->ThreadRange(1, 64)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_AuditedScore(benchmark::State& state) {
  BenchEngine& bench = Shared();
  const std::array<double, 9> form = {1, 1, 0, 2, 1, 0, 1, 0, 0};  // item 9 = 0: no flag
  for (auto _ : state) {
    absl::StatusOr<engine::ScoreResult> score = bench.engine().Score(bench.context(), "phq9", form);
    if (!score.ok() || !score->suggestion_ids.empty()) {
      state.SkipWithError("the audited score failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuditedScore)->ThreadRange(1, 64)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  shared_engine.reset();  // the final signed checkpoint, then the store closes
  return 0;
}
