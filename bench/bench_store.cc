// Benchmarks of varsam::store: bulk register loads (AppendEpisodes in batches of 10,000 rows;
// goal: SQLite ≥ 200k rows/s, PostgreSQL ≥ 100k rows/s) and the latency of one durable audit
// append (p50 and p99, as counters in microseconds).
//
// SQLite runs in a fresh directory under VARSAM_BENCH_DIR (default: the temporary directory;
// put it on the disk you mean to measure: durability is an fsync). The PostgreSQL benchmarks
// run only when VARSAM_BENCH_POSTGRES_URI names an initialised store database (varsam store
// init); they append to it.
//
//   build/bench/bench/bench_store --benchmark_min_time=2

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/core.h"
#include "varsam/store.h"

namespace {

namespace fs = std::filesystem;
using varsam::store::EpisodeRow;
using varsam::store::Store;
using varsam::store::StoreOptions;

constexpr int kBatch = 10000;

[[noreturn]] void Die(std::string_view message) {
  std::fprintf(stderr, "bench_store: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(1);
}

// A fresh directory for one benchmark's SQLite store, removed afterwards.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("VARSAM_BENCH_DIR");
    std::string pattern =
        ((base != nullptr ? fs::path(base) : fs::temp_directory_path()) / "varsam-bench-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
    path_ = pattern;
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  ~BenchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Store() const { return (fs::path(path_) / "store").string(); }

 private:
  std::string path_;
};

std::unique_ptr<Store> OpenStore(const std::string& location, const StoreOptions& options) {
  auto store = Store::Open(location, options);
  if (!store.ok()) Die(std::string(store.status().message()));
  return std::move(store).value();
}

// Synthetic register rows of realistic shape (pseudonyms are random-looking, not derived from
// any person).
std::vector<EpisodeRow> EpisodeBatch() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  static constexpr std::string_view kBands[] = {"0-5",   "6-12",  "13-17", "18-24",
                                                "25-44", "45-64", "65+"};
  static constexpr std::string_view kRegions[] = {"01", "03", "12", "14", "24", ""};
  static constexpr std::string_view kInterventions[] = {"familjebehandling", "missbruk_oppenvard",
                                                        "ekonomiskt_bistand", "kontaktperson", ""};
  std::vector<EpisodeRow> rows(kBatch);
  std::uint64_t x = 0x243F6A8885A308D3ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < kBatch; ++i) {
    EpisodeRow& e = rows[i];
    e.pseudonym = "p1_";
    for (int c = 0; c < 43; ++c) e.pseudonym += kAlphabet[next() & 63];
    e.key_epoch = 1;
    e.age_band = std::string(kBands[next() % 7]);
    e.sex = next() % 2 == 0 ? "female" : "male";
    e.region = std::string(kRegions[next() % 6]);
    e.case_kind = std::string(varsam::store::kCaseKinds[next() % 5]);
    e.intervention = std::string(kInterventions[next() % 5]);
    e.start_period = "2026-Q2";
    e.end_period = next() % 3 == 0 ? "" : "2026-11";
    e.outcome = e.end_period.empty() ? "" : "improved";
    e.record_key = next() | 1;
  }
  return rows;
}

void BulkRegisterLoad(benchmark::State& state, Store& store) {
  const std::vector<EpisodeRow> rows = EpisodeBatch();
  for (auto _ : state) {
    const absl::Status s = store.AppendEpisodes(rows);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["rows_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kBatch, benchmark::Counter::kIsRate);
}

// Times each durable append; reports p50 and p99 in microseconds.
void AuditAppendLatency(benchmark::State& state, Store& store) {
  std::vector<double> micros;
  micros.reserve(100000);
  const std::string payload(200, 'e');  // about the size of a canonical audit event
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const absl::StatusOr<std::int64_t> seq = store.AppendAudit(payload);
    const auto end = std::chrono::steady_clock::now();
    if (!seq.ok()) {
      state.SkipWithError(std::string(seq.status().message()).c_str());
      break;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  auto percentile = [&](double p) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
  };
  state.counters["p50_us"] = percentile(0.50);
  state.counters["p99_us"] = percentile(0.99);
  state.counters["appends"] = static_cast<double>(micros.size());
}

// The register's field checks alone (ValidateEpisode, run by every AppendEpisodes whatever the
// backend): the share of a bulk load that is not the database's.
void BM_ValidateEpisodes(benchmark::State& state) {
  const std::vector<EpisodeRow> rows = EpisodeBatch();
  const varsam::store::RegisterVocabulary vocabulary = varsam::store::RegisterVocabulary::Default();
  for (auto _ : state) {
    for (const EpisodeRow& row : rows) {
      absl::Status s = varsam::store::ValidateEpisode(row, vocabulary);
      benchmark::DoNotOptimize(s);
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_ValidateEpisodes)->Unit(benchmark::kMillisecond);

void BM_SqliteBulkRegisterLoad(benchmark::State& state) {
  BenchDir dir;
  StoreOptions options;
  options.durable_register = state.range(0) != 0;
  std::unique_ptr<Store> store = OpenStore(dir.Store(), options);
  BulkRegisterLoad(state, *store);
}
BENCHMARK(BM_SqliteBulkRegisterLoad)
    ->ArgName("durable")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_SqliteAuditAppendLatency(benchmark::State& state) {
  BenchDir dir;
  std::unique_ptr<Store> store = OpenStore(dir.Store(), {});
  AuditAppendLatency(state, *store);
}
BENCHMARK(BM_SqliteAuditAppendLatency)->UseRealTime()->Unit(benchmark::kMicrosecond);

// PostgreSQL: the store database VARSAM_BENCH_POSTGRES_URI names.
void PostgresBulkRegisterLoad(benchmark::State& state, const std::string& location) {
  std::unique_ptr<Store> store = OpenStore(location, {});
  BulkRegisterLoad(state, *store);
}

void PostgresAuditAppendLatency(benchmark::State& state, const std::string& location) {
  std::unique_ptr<Store> store = OpenStore(location, {});
  AuditAppendLatency(state, *store);
}

// PostgreSQL, registered only when a server is named.
[[maybe_unused]] const bool kPostgresRegistered = [] {
  const char* uri = std::getenv("VARSAM_BENCH_POSTGRES_URI");
  if (uri == nullptr || *uri == '\0') return false;
  const std::string location(uri);
  benchmark::RegisterBenchmark("BM_PostgresBulkRegisterLoad", PostgresBulkRegisterLoad, location)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_PostgresAuditAppendLatency", PostgresAuditAppendLatency,
                               location)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
