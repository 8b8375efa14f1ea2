// The audit log (src/audit): leaf hashing throughput, and full verification of 1 million
// events — in memory (the Verifier alone) and from a SQLite store (reading included). Goal:
// 1 million events verified in at most 2 s (docs/performance.md).
//
// The SQLite store is written once, in a fresh directory under VARSAM_BENCH_DIR (default: the
// temporary directory), removed at exit. Run from a Release build:
//   build/bench/bench/bench_audit --benchmark_min_time=1

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "varsam/audit.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace {

namespace fs = std::filesystem;
using namespace varsam::audit;

constexpr std::int64_t kEvents = 1'000'000;
constexpr std::int64_t kCheckpointEvery = 10'000;

// A made-up bench key, never a real one.
constexpr std::array<std::uint8_t, 32> kKey = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                               12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                               23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "bench_audit: %s\n", what);
  std::exit(1);
}

AuditRecord Record(std::int64_t i) {
  AuditRecord r;
  r.actor = varsam::Cat({"a-", std::to_string(i % 97)});
  r.role = "handlaggare";
  r.organisation_kind = "socialnamnd";
  r.organisation_id = "0180";
  r.purpose = "handlaggning";
  r.action = "journal.read";
  r.case_ref = varsam::Cat({"c-", std::to_string(i % 5000)});
  r.decision = Decision::kAllow;
  r.rules = {"case-handling", "own-case"};
  r.time = absl::FromUnixSeconds(1795860000) + absl::Milliseconds(i);
  r.result = "ok";
  return r;
}

struct InMemoryLog {
  std::vector<std::string> events;
  std::vector<varsam::store::Checkpoint> checkpoints;
};

const InMemoryLog& MemoryLog() {
  static const InMemoryLog* log = [] {
    auto* out = new InMemoryLog;
    out->events.reserve(kEvents);
    MerkleAccumulator tree;
    Hash prev{};
    for (std::int64_t i = 1; i <= kEvents; ++i) {
      absl::StatusOr<std::string> bytes = SerializeEvent(Record(i), prev);
      if (!bytes.ok()) Die("serialising an event failed");
      prev = LeafHash(*bytes);
      tree.Add(prev);
      out->events.push_back(std::move(*bytes));
      if (i % kCheckpointEvery == 0) {
        absl::StatusOr<SignedCheckpoint> c =
            SignCheckpoint(i, tree.Root(), absl::FromUnixSeconds(1795860000), kKey);
        if (!c.ok()) Die("signing failed");
        out->checkpoints.push_back({i, SerializeCheckpoint(*c)});
      }
    }
    return out;
  }();
  return *log;
}

class SqliteLog {
 public:
  SqliteLog() {
    const char* base = std::getenv("VARSAM_BENCH_DIR");
    std::string pattern = ((base != nullptr ? fs::path(base) : fs::temp_directory_path()) /
                           "varsam-bench-audit-XXXXXX")
                              .string();
    if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
    dir_ = pattern;
    auto store = varsam::store::Store::Open((fs::path(dir_) / "store").string());
    if (!store.ok()) Die("cannot open the store");
    store_ = std::move(*store);
    AuditLogOptions options;
    options.checkpoint_every_events = kCheckpointEvery;
    options.checkpoint_every = absl::ZeroDuration();
    auto log = AuditLog::Open(
        store_.get(),
        [](std::span<std::uint8_t, 32> out) {
          std::copy(kKey.begin(), kKey.end(), out.begin());
          return absl::OkStatus();
        },
        options);
    if (!log.ok()) Die("cannot open the audit log");
    std::vector<AuditRecord> batch;
    for (std::int64_t i = 1; i <= kEvents; ++i) {
      batch.push_back(Record(i));
      if (batch.size() == 5000) {
        if (!(*log)->AppendBatch(batch).ok()) Die("appending failed");
        batch.clear();
      }
    }
    if (!(*log)->Close().ok()) Die("closing the log failed");
  }
  ~SqliteLog() {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  varsam::store::Store& store() { return *store_; }

 private:
  std::string dir_;
  std::unique_ptr<varsam::store::Store> store_;
};

SqliteLog& Sqlite() {
  static SqliteLog log;
  return log;
}

void BM_LeafHash(benchmark::State& state) {
  const std::string& event = MemoryLog().events[0];
  for (auto _ : state) benchmark::DoNotOptimize(LeafHash(event));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(event.size()));
}
BENCHMARK(BM_LeafHash);

void BM_VerifyInMemory1M(benchmark::State& state) {
  const InMemoryLog& log = MemoryLog();
  VerifyOptions options;
  options.public_key = *PublicKeyOf(kKey);
  for (auto _ : state) {
    Verifier verifier(log.checkpoints, options);
    std::int64_t seq = 0;
    for (const std::string& e : log.events) verifier.AddEvent(++seq, e);
    VerifyReport report = verifier.Finish();
    if (!report.ok) Die("the in-memory log does not verify");
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_VerifyInMemory1M)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_VerifySqlite1M(benchmark::State& state) {
  SqliteLog& log = Sqlite();
  VerifyOptions options;
  options.public_key = *PublicKeyOf(kKey);
  for (auto _ : state) {
    absl::StatusOr<VerifyReport> report = Verify(log.store(), options);
    if (!report.ok() || !report->ok || report->events != kEvents) {
      Die("the SQLite log does not verify");
    }
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_VerifySqlite1M)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
