// Group insights from the store: one three-dimension table with margins (age_band x region x
// intervention; per cell the episodes, the distinct people and the record keys' sum modulo
// 2^64, which is what the threshold and the cell key need) over a register of synthetic
// episodes, computed two ways on each backend (docs/performance.md, "Group insights"), as
// Engine::Query does with InsightOptions::group_in_store false and true:
//
//   library    every episode read through store::Store::ForEachEpisode into EpisodeRows,
//              insights::BuildColumns, insights::Aggregate (episodes measure, margins);
//   in store   the grouping computed in the register's database (Store::GroupEpisodes: GROUP
//              BY CUBE on PostgreSQL, a UNION ALL of the 2^3 GROUP BYs on SQLite, which has no
//              CUBE; src/store/grouping.h), insights::TableFromGroups.
//
// And the differencing guard for that table after an earlier one (age_band x sex with
// margins), both ways: the library's (columns read, each table's groups of people, compared)
// and the store's (Store::CompareGroups).
//
// Every round checks that the two ways give the same non-empty cells with the same episodes,
// people and key sums, and the same verdict of the guard (exit status 1 otherwise). The medians
// are printed as one JSON line per backend.
//
//   bench_insights_store [--episodes 1000000] [--rounds 3] [--seed S]
//                        [--sqlite DIR] [--postgres URI] [--no-sqlite]
//
// SQLite: a fresh store in DIR (default: a temporary directory under VARSAM_BENCH_DIR or the
// system's, removed afterwards). PostgreSQL (only with --postgres): the database URI names is
// initialised (Store::Init, as a role that may create roles) and loaded unless it already
// holds exactly --episodes episodes; under scripts/with-postgres:
//   scripts/with-postgres bash -c 'build/release/bench/bench_insights_store --no-sqlite
//       --postgres "$VARSAM_TEST_POSTGRES_ADMIN_URI"'
// The load goes through Store::AppendEpisodes in batches of 10,000 with durable_register =
// false; its rate is printed, not part of the comparison.

#include <libpq-fe.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "csv_support.h"
#include "varsam/insights.h"
#include "varsam/store.h"

namespace {

namespace fs = std::filesystem;
using namespace varsam;
using varsam_bench::Clock;

constexpr int kBatch = 10000;
constexpr std::string_view kAgeBands[] = {"0-5",   "6-12",  "13-17", "18-24", "25-34",
                                          "35-44", "45-54", "55-64", "65-79", "80+"};
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

[[noreturn]] void Die(std::string_view message) {
  std::fprintf(stderr, "bench_insights_store: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::exit(1);  // NOLINT(concurrency-mt-unsafe): one thread
}

template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) Die(value.status().ToString());
  return std::move(value).value();
}

void OrDie(const absl::Status& status) {
  if (!status.ok()) Die(status.ToString());
}

// ---- The data ---------------------------------------------------------------------------------

// Synthetic episodes shaped as bench_insights_csv's (1 or 2 per person, the same skewed age
// bands, counties and interventions; some without sex, region or intervention), with random
// pseudonyms of the store's form (p<digit>_<43 base64url>), not derived from anyone. One
// person's episodes are appended side by side.
class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  void Next(std::vector<store::EpisodeRow>& out, long n) {
    while (n > 0) {
      const long k = std::min<long>(episodes_of_(rng_), n);
      std::string pseudonym = "p1_";
      for (int c = 0; c < 43; ++c) pseudonym += kBase64Url[rng_() % 64];
      const int a = age_(rng_);
      const std::string_view sex =
          (rng_() % 20 == 0) ? "" : (rng_() % 2 == 0 ? store::kSexes[0] : store::kSexes[1]);
      for (long e = 0; e < k; ++e) {
        store::EpisodeRow row;
        row.pseudonym = pseudonym;
        row.key_epoch = 1;
        row.age_band = kAgeBands[a];
        row.sex = sex;
        const int r = region_(rng_);
        row.region = r == 21 ? "" : std::string(store::kCountyCodes[r]);
        const int i = intervention_(rng_);
        row.intervention = i == 11 ? "" : std::string(store::kDefaultInterventions[i]);
        row.case_kind = store::kCaseKinds[rng_() % 5];
        const auto month = 1 + rng_() % 12;
        row.start_period = "2025-" + std::string(month < 10 ? "0" : "") + std::to_string(month);
        const bool open = rng_() % 3 == 0;
        row.end_period = open ? "" : "2026-Q" + std::to_string(1 + rng_() % 4);
        row.outcome = open ? "" : std::string(store::kOutcomes[rng_() % 6]);
        row.record_key = rng_() | 1;
        out.push_back(std::move(row));
      }
      n -= k;
    }
  }

 private:
  std::mt19937_64 rng_;
  std::discrete_distribution<int> age_{2, 3, 4, 12, 18, 16, 14, 12, 12, 7};
  std::discrete_distribution<int> region_{22, 5, 4, 5, 4, 2, 3, 1, 2, 3, 5,
                                          17, 4, 3, 3, 3, 3, 2, 3, 3, 3, 1};
  std::discrete_distribution<int> intervention_{9, 3, 25, 12, 6, 8, 2, 4, 15, 8, 6, 2};
  std::uniform_int_distribution<int> episodes_of_{1, 2};
};

double Load(store::Store& store, long episodes, std::uint64_t seed) {
  Generator generator(seed);
  std::vector<store::EpisodeRow> batch;
  double seconds = 0;
  for (long done = 0; done < episodes; done += kBatch) {
    batch.clear();
    generator.Next(batch, std::min<long>(kBatch, episodes - done));
    const Clock t0 = Clock::Now();
    OrDie(store.AppendEpisodes(batch));
    seconds += (Clock::Now() - t0).wall;
  }
  return seconds;
}

// ---- The cells --------------------------------------------------------------------------------

// A cell by its three values, "*" for a margin (an empty string is a value).
using CellKey = std::array<std::string, 3>;
struct Counts {
  std::int64_t episodes = 0;
  std::int64_t people = 0;
  std::uint64_t key_sum = 0;
  bool operator==(const Counts&) const = default;
};
using Cells = std::map<CellKey, Counts>;

insights::Query TableQuery() {
  insights::Query query;
  query.measure.kind = insights::MeasureKind::kEpisodes;
  query.dimensions = {insights::Dimension::kAgeBand, insights::Dimension::kRegion,
                      insights::Dimension::kIntervention};
  query.margins = true;
  return query;
}

// A table's non-empty cells by their values.
Cells NonEmptyCells(const insights::Table& table) {
  Cells cells;
  for (const insights::Cell& cell : table.cells) {
    if (cell.episodes == 0) continue;
    CellKey key;
    for (std::size_t k = 0; k < 3; ++k) {
      key[k] = cell.levels[k] == insights::kMargin ? "*" : table.levels[k][cell.levels[k]];
    }
    cells[key] = {cell.episodes, cell.people, cell.key_sum};
  }
  return cells;
}

struct EngineTimes {
  double read = 0, build = 0, aggregate = 0;
  double total() const { return read + build + aggregate; }
};

// The Engine's way: read every episode, build the columns, aggregate.
Cells EngineWay(store::Store& store, EngineTimes* times) {
  const Clock t0 = Clock::Now();
  std::vector<store::EpisodeRow> episodes;
  OrDie(store.ForEachEpisode({}, [&](const store::EpisodeRow& row) {
    episodes.push_back(row);
    return true;
  }));
  const Clock t1 = Clock::Now();
  const insights::Columns columns = OrDie(insights::BuildColumns(episodes, {}, ""));
  episodes = {};
  const Clock t2 = Clock::Now();
  const insights::Table table = OrDie(insights::Aggregate(TableQuery(), columns));
  const Clock t3 = Clock::Now();
  *times = {(t1 - t0).wall, (t2 - t1).wall, (t3 - t2).wall};
  return NonEmptyCells(table);
}

// The store's way, as Engine::Query does it with InsightOptions::group_in_store: the grouping in
// the register's database (Store::GroupEpisodes), the table made from its groups.
Cells StoreWay(store::Store& store) {
  const insights::Query query = TableQuery();
  const std::vector<store::EpisodeGroup> groups =
      OrDie(store.GroupEpisodes(*insights::TableGrouping(query)));
  const insights::Table table = OrDie(insights::TableFromGroups(query, groups));
  return NonEmptyCells(table);
}

// The differencing guard for the table after an earlier one (age_band x sex with margins): the
// library's way (every episode read into columns, both tables' groups of people, compared) and
// the store's (Store::CompareGroups). The verdict, which both must give alike.
insights::Query EarlierQuery() {
  insights::Query query;
  query.measure.kind = insights::MeasureKind::kPeople;
  query.dimensions = {insights::Dimension::kAgeBand, insights::Dimension::kSex};
  query.margins = true;
  return query;
}
constexpr int kThreshold = 5;

bool GuardLibrary(store::Store& store) {
  std::vector<store::EpisodeRow> episodes;
  OrDie(store.ForEachEpisode({}, [&](const store::EpisodeRow& row) {
    episodes.push_back(row);
    return true;
  }));
  const insights::Columns columns = OrDie(insights::BuildColumns(episodes, {}, ""));
  const auto earlier = OrDie(insights::Populations(EarlierQuery(), columns));
  const auto fresh = OrDie(insights::Populations(TableQuery(), columns));
  return insights::FindDifferencing(fresh, earlier, kThreshold).has_value();
}

bool GuardStore(store::Store& store) {
  const std::vector<insights::Query> earlier = {EarlierQuery()};
  return OrDie(insights::DifferencingInStore(store, TableQuery(), earlier, kThreshold));
}

void Exec(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const std::string message = PQerrorMessage(conn);
    PQclear(result);
    Die("PostgreSQL: " + message);
  }
  PQclear(result);
}

// ---- The comparison ---------------------------------------------------------------------------

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Check(const Cells& engine, const Cells& pushed, std::string_view backend) {
  if (engine == pushed) return;
  std::size_t differ = 0;
  for (const auto& [key, counts] : engine) {
    const auto it = pushed.find(key);
    if (it == pushed.end() || !(it->second == counts)) ++differ;
  }
  for (const auto& [key, counts] : pushed) differ += engine.count(key) == 0 ? 1 : 0;
  std::fprintf(stderr, "%.*s: %zu cells differ (engine %zu cells, pushed down %zu)\n",
               static_cast<int>(backend.size()), backend.data(), differ, engine.size(),
               pushed.size());
  std::exit(1);  // NOLINT(concurrency-mt-unsafe): one thread
}

void Compare(std::string_view backend, store::Store& store, long episodes, double load_s,
             int rounds) {
  std::vector<double> read, build, aggregate, engine_total, store_total, guard_library, guard_store;
  std::size_t cells = 0;
  bool refused = false;
  for (int r = 0; r < rounds; ++r) {
    EngineTimes times;
    const Cells a = EngineWay(store, &times);
    read.push_back(times.read);
    build.push_back(times.build);
    aggregate.push_back(times.aggregate);
    engine_total.push_back(times.total());
    const Clock t0 = Clock::Now();
    const Cells b = StoreWay(store);
    store_total.push_back((Clock::Now() - t0).wall);
    Check(a, b, backend);
    cells = a.size();
    const Clock t1 = Clock::Now();
    refused = GuardLibrary(store);
    const Clock t2 = Clock::Now();
    if (GuardStore(store) != refused) Die("the two ways of the guard disagree");
    const Clock t3 = Clock::Now();
    guard_library.push_back((t2 - t1).wall);
    guard_store.push_back((t3 - t2).wall);
  }
  const double engine_s = Median(engine_total), store_s = Median(store_total);
  std::printf(
      "{\"backend\": \"%.*s\", \"episodes\": %ld, \"load_rows_per_s\": %.0f, "
      "\"cells_non_empty\": %zu, \"cells_identical\": true, \"rounds\": %d, "
      "\"library_read_s\": %.3f, \"library_build_columns_s\": %.3f, "
      "\"library_aggregate_s\": %.3f, \"library_total_s\": %.3f, \"in_store_s\": %.3f, "
      "\"faster\": \"%s\", \"ratio\": %.2f, \"guard_refused\": %s, "
      "\"guard_library_s\": %.3f, \"guard_in_store_s\": %.3f}\n",
      static_cast<int>(backend.size()), backend.data(), episodes,
      load_s > 0 ? static_cast<double>(episodes) / load_s : 0.0, cells, rounds, Median(read),
      Median(build), Median(aggregate), engine_s, store_s,
      store_s < engine_s ? "in_store" : "library",
      std::max(engine_s, store_s) / std::min(engine_s, store_s), refused ? "true" : "false",
      Median(guard_library), Median(guard_store));
  std::fflush(stdout);
}

std::unique_ptr<store::Store> OpenForLoad(const std::string& location) {
  store::StoreOptions options;
  options.durable_register = false;
  return OrDie(store::Store::Open(location, options));
}

void RunSqlite(const std::string& dir_flag, long episodes, int rounds, std::uint64_t seed) {
  std::string dir = dir_flag;
  std::string made;
  if (dir.empty()) {
    const char* base = std::getenv("VARSAM_BENCH_DIR");  // NOLINT(concurrency-mt-unsafe)
    std::string pattern =
        ((base != nullptr ? fs::path(base) : fs::temp_directory_path()) / "varsam-insights-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
    made = pattern;
    dir = (fs::path(made) / "store").string();
  }
  auto store = OpenForLoad(dir);
  double load_s = 0;
  const std::int64_t present = OrDie(store->CountEpisodes({}));
  if (present == 0) {
    load_s = Load(*store, episodes, seed);
  } else if (present != episodes) {
    Die("the SQLite store holds another number of episodes than --episodes");
  }
  Compare("sqlite", *store, episodes, load_s, rounds);
  store.reset();
  if (!made.empty()) {
    std::error_code ec;
    fs::remove_all(made, ec);
  }
}

void RunPostgres(const std::string& uri, long episodes, int rounds, std::uint64_t seed) {
  OrDie(store::Store::Init(uri));
  auto store = OpenForLoad(uri);
  PGconn* conn = PQconnectdb(uri.c_str());
  if (PQstatus(conn) != CONNECTION_OK) Die(std::string("PostgreSQL: ") + PQerrorMessage(conn));
  double load_s = 0;
  const std::int64_t present = OrDie(store->CountEpisodes({}));
  if (present == 0) {
    load_s = Load(*store, episodes, seed);
    // As after any bulk load: the planner's statistics, the visibility map.
    Exec(conn, "VACUUM ANALYZE varsam_register.episodes");
  } else if (present != episodes) {
    Die("the PostgreSQL store holds another number of episodes than --episodes");
  }
  Compare("postgresql", *store, episodes, load_s, rounds);
  PQfinish(conn);
}

}  // namespace

int main(int argc, char** argv) {
  long episodes = 1000000;
  int rounds = 3;
  std::uint64_t seed = 20261205;
  std::string sqlite_dir, postgres;
  bool sqlite = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--no-sqlite") {
      sqlite = false;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "usage: bench_insights_store [--episodes N] [--rounds R] [--seed S] "
                   "[--sqlite DIR] [--postgres URI] [--no-sqlite]\n";
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--episodes") {
      episodes = std::stol(value);
    } else if (flag == "--rounds") {
      rounds = std::stoi(value);
    } else if (flag == "--seed") {
      seed = std::stoull(value);
    } else if (flag == "--sqlite") {
      sqlite_dir = value;
    } else if (flag == "--postgres") {
      postgres = value;
    } else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (episodes < 1 || rounds < 1) Die("--episodes and --rounds must be 1 or more");
  if (sqlite) RunSqlite(sqlite_dir, episodes, rounds, seed);
  if (!postgres.empty()) RunPostgres(postgres, episodes, rounds, seed);
  return 0;
}
