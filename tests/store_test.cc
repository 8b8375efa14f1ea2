// The store test suite (src/store, include/varsam/store.h): one suite for both backends. Every
// case runs its body against SQLite on a fresh temporary directory, and against PostgreSQL on a
// fresh database when the run has a server (tests/postgres_test_support.h). Cases named
// "store: sqlite: ..." check what only the embedded files can show (migrations of crafted
// files, the tables of each file, triggers, the vocabulary constraints); the PostgreSQL role and
// grant checks, and its side of the vocabulary and migration checks, live beside the PostgreSQL
// backend's own tests.
//
// Identity numbers here are Skatteverket's official test numbers
// (data/skatteverket-testpersonnummer.txt); names, addresses and the rest are made up.

#include "varsam/store.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "backends.h"
#include "rows.h"
#include "store_fixtures.h"
#include "store_vocabulary_probe.h"
#include "varsam/core.h"

namespace {

namespace fs = std::filesystem;
using varsam::Cat;
using varsam::Date;
using namespace varsam::store;
using varsam::testing::ForEachLocation;
using varsam::testing::TempDir;

// ---- Fixtures ---------------------------------------------------------------------------------

std::unique_ptr<Store> OpenOrFail(const std::string& location, const StoreOptions& options = {}) {
  auto store = Store::Open(location, options);
  INFO(store.status().message());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// Runs `body` on a fresh, empty, open store of each backend.
void ForEachBackend(const std::function<void(Store&, std::string_view)>& body,
                    const StoreOptions& options = {}) {
  ForEachLocation([&](const std::string& location, std::string_view backend) {
    std::unique_ptr<Store> store = OpenOrFail(location, options);
    CHECK(store->backend() == backend);
    body(*store, backend);
  });
}

// A keyed pseudonym's shape: "p" + digit + "_" + 43 base64url characters, made from `n`.
std::string Pseudonym(std::uint64_t n, int epoch = 1) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string p = Cat({"p", std::to_string(epoch % 10), "_"});
  std::uint64_t x = n * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < 43; ++i) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    p += kAlphabet[(x >> 58) & 63];
  }
  return p;
}

constexpr std::string_view kInterventions[] = {"familjebehandling", "missbruk_oppenvard",
                                               "ekonomiskt_bistand", ""};
constexpr std::string_view kRegions[] = {"01", "12", "14", ""};

EpisodeRow Episode(int i) {
  EpisodeRow e;
  e.pseudonym = Pseudonym(static_cast<std::uint64_t>(i));
  e.key_epoch = i % 3;
  e.age_band = i % 2 == 0 ? "18-24" : "65+";
  e.sex = i % 3 == 0 ? "female" : (i % 3 == 1 ? "male" : "");
  e.region = std::string(kRegions[i % 4]);
  e.case_kind = std::string(kCaseKinds[i % 5]);
  e.intervention = std::string(kInterventions[i % 4]);
  e.start_period = "2026-Q1";
  e.end_period = i % 2 == 0 ? "2026-11" : "";
  e.outcome = i % 2 == 0 ? "improved" : "";
  e.record_key = 0x8000000000000000ull + static_cast<std::uint64_t>(i) * 7919 + 1;
  return e;
}

RegisterMeasurementRow RegisterMeasurement(int i) {
  RegisterMeasurementRow m;
  m.pseudonym = Pseudonym(static_cast<std::uint64_t>(i));
  m.key_epoch = 2;
  m.instrument = i % 2 == 0 ? "ors" : "phq9";
  m.session = i % 10;
  m.period = "2026-03";
  if (i % 3 != 0) m.total = 12.5 + i;
  m.band = i % 2 == 0 ? "" : "mild";
  m.record_key = static_cast<std::uint64_t>(i) + 1;
  return m;
}

Measurement JournalMeasurement(int i) {
  Measurement m;
  m.client_ref = Cat({"klient-", std::to_string(100 + i % 3)});
  m.case_ref = Cat({"arende-", std::to_string(i % 2)});
  m.case_kind = "insats";
  m.instrument = i % 2 == 0 ? "phq9" : "gad7";
  m.session = i + 1;
  m.date = Date(2026, 3, 1) + (i % 7);
  m.responses = {1, 2, 0, 3};
  m.total = 6;
  m.band = "mild";
  return m;
}

Suggestion MakeSuggestion(std::string id) {
  Suggestion s;
  s.id = std::move(id);
  s.client_ref = "klient-100";
  s.case_ref = "arende-7";
  s.kind = "flag";
  s.created = Date(2026, 4, 2);
  s.content_json = R"({"flag":"phq9_item9","why":"item 9 answered 2"})";
  return s;
}

Decision MakeDecision(std::string suggestion_id, std::string decision) {
  Decision d;
  d.suggestion_id = std::move(suggestion_id);
  d.decider = "handl-17";
  d.decider_role = "handlaggare";
  d.decision = std::move(decision);
  d.rationale = "Samtal bokat inom en vecka.";
  d.date = Date(2026, 4, 3);
  return d;
}

// A stored model of the id 00..0<n> (the file itself is opaque to the store).
StoredModel MakeModel(int n, std::string created) {
  StoredModel m;
  const std::string digits = std::to_string(n);
  m.id = std::string(32 - digits.size(), '0') + digits;
  m.sha256 = std::string(63, 'a') + static_cast<char>('0' + n % 10);
  m.kind = n % 2 == 0 ? "evidence_based" : "register_trained";
  m.title = Cat({"Avbrott i stödsamtal ", digits});
  m.created = std::move(created);
  m.model_json = Cat({R"({"format":"varsam-model/1","n":)", digits, "}"});
  return m;
}

// A release of the id 00..0<n>: `cells` cells and `epsilon` spent by `organisation` for
// `purpose` in `period`.
Release MakeRelease(int n, std::string organisation, std::string purpose, std::string period,
                    std::int64_t cells, double epsilon,
                    std::string created = "2026-12-05T10:00:00Z") {
  Release r;
  const std::string digits = std::to_string(n);
  r.id = std::string(32 - digits.size(), '0') + digits;
  r.organisation = std::move(organisation);
  r.purpose = std::move(purpose);
  r.period = std::move(period);
  r.created = std::move(created);
  r.query_json = Cat({R"({"measure":"episodes","dimensions":["region"],"n":)", digits, "}"});
  r.cells = cells;
  r.epsilon = epsilon;
  return r;
}

std::vector<Release> AllReleases(Store& store, std::string_view organisation,
                                 std::string_view purpose, std::string_view period) {
  std::vector<Release> out;
  const absl::Status s = store.ForEachRelease(organisation, purpose, period, [&](const Release& r) {
    out.push_back(r);
    return true;
  });
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

// The row count Info gives for `part`.`table`, -1 when Info does not list it.
std::int64_t Rows(Store& store, Part part, std::string_view table) {
  auto info = store.Info();
  INFO(info.status().message());
  REQUIRE(info.ok());
  for (const PartInfo& p : info->parts) {
    if (p.part != part) continue;
    for (const auto& row : p.rows) {
      if (row.first == table) return row.second;
    }
  }
  return -1;
}

std::vector<Measurement> AllMeasurements(Store& store, const MeasurementFilter& filter = {}) {
  std::vector<Measurement> out;
  const absl::Status s = store.ForEachMeasurement(filter, [&](const Measurement& m) {
    out.push_back(m);
    return true;
  });
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

std::vector<AuditEvent> AllEvents(Store& store, std::int64_t from = 1,
                                  std::int64_t to = std::numeric_limits<std::int64_t>::max()) {
  std::vector<AuditEvent> out;
  const absl::Status s = store.ReadAudit(from, to, [&](const AuditEvent& e) {
    out.push_back(e);
    return true;
  });
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

std::int64_t RequireSeq(const absl::StatusOr<std::int64_t>& seq) {
  INFO(seq.status().message());
  REQUIRE(seq.ok());
  return *seq;
}

// ---- Raw SQLite, for the cases only the files can show ----------------------------------------

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { sqlite3_close(db_); }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  // The first column of every row of `sql`, as text.
  std::vector<std::string> Column(const std::string& sql, int col = 0) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt, col);
      out.emplace_back(t == nullptr ? "" : reinterpret_cast<const char*>(t));
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string PartFile(const std::string& dir, Part part) {
  return (fs::path(dir) / Cat({PartName(part), ".db"})).string();
}

// ---- Round trips ------------------------------------------------------------------------------

TEST_CASE("store: measurements round-trip, NaN responses stay missing", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Measurement full = JournalMeasurement(0);
    full.responses = {1, nan, 3.5, 0, nan, 0.1};
    full.flags = {"phq9_item9", "prorated"};
    Measurement bare = JournalMeasurement(1);
    bare.responses = {};
    bare.total.reset();
    bare.band.reset();
    bare.session = 0;
    bare.case_kind = "anmalan";
    bare.client_ref = "klient-ÅÄÖ-åäö";  // UTF-8 survives

    const std::vector<Measurement> in = {full, bare};
    auto ids = store.AppendMeasurements(in);
    INFO(ids.status().message());
    REQUIRE(ids.ok());
    REQUIRE(ids->size() == 2);
    CHECK((*ids)[0] != (*ids)[1]);

    const std::vector<Measurement> out = AllMeasurements(store);
    REQUIRE(out.size() == 2);
    for (size_t k = 0; k < 2; ++k) {
      const Measurement& a = in[k];
      // (date, id) order: `full` is dated 2026-03-01, `bare` 2026-03-02.
      const Measurement& b = out[k];
      CHECK(b.id == (*ids)[k]);
      CHECK(b.client_ref == a.client_ref);
      CHECK(b.case_ref == a.case_ref);
      CHECK(b.case_kind == a.case_kind);
      CHECK(b.instrument == a.instrument);
      CHECK(b.session == a.session);
      CHECK(b.date == a.date);
      CHECK(b.total == a.total);
      CHECK(b.band == a.band);
      CHECK(b.flags == a.flags);
      REQUIRE(b.responses.size() == a.responses.size());
      for (size_t r = 0; r < a.responses.size(); ++r) {
        if (std::isnan(a.responses[r])) {
          CHECK(std::isnan(b.responses[r]));
        } else {
          CHECK(b.responses[r] == a.responses[r]);
        }
      }
    }
    CHECK(Rows(store, Part::kJournal, "measurements") == 2);
    // An empty batch is no error and writes nothing.
    auto none = store.AppendMeasurements({});
    REQUIRE(none.ok());
    CHECK(none->empty());
    CHECK(Rows(store, Part::kJournal, "measurements") == 2);
  });
}

TEST_CASE("store: suggestions and decisions round-trip; a decision needs its suggestion",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const Suggestion s = MakeSuggestion("5f0c9a3e8d2b4c6a9e1f7b3d5a8c2e4f");
    REQUIRE(store.PutSuggestion(s).ok());
    auto got = store.GetSuggestion(s.id);
    INFO(got.status().message());
    REQUIRE(got.ok());
    CHECK(got->id == s.id);
    CHECK(got->client_ref == s.client_ref);
    CHECK(got->case_ref == s.case_ref);
    CHECK(got->kind == s.kind);
    CHECK(got->created == s.created);
    CHECK(varsam::ParseJson(got->content_json, "c").value() ==
          varsam::ParseJson(s.content_json, "c").value());

    CHECK(store.GetSuggestion("no-such-id").status().code() == absl::StatusCode::kNotFound);
    Suggestion again = MakeSuggestion(s.id);
    again.kind = "model";
    const absl::Status taken = store.PutSuggestion(again);
    CHECK(taken.code() == absl::StatusCode::kAlreadyExists);
    CHECK(store.GetSuggestion(s.id)->kind == "flag");  // the first one stays

    auto first = store.RecordDecision(MakeDecision(s.id, "accepted"));
    auto second = store.RecordDecision(MakeDecision(s.id, "modified"));
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(*first != *second);
    std::vector<Decision> decisions;
    REQUIRE(store
                .ForEachDecision(s.id,
                                 [&](const Decision& d) {
                                   decisions.push_back(d);
                                   return true;
                                 })
                .ok());
    REQUIRE(decisions.size() == 2);
    CHECK(decisions[0].id == *first);
    CHECK(decisions[1].id == *second);
    CHECK(decisions[0].decision == "accepted");
    CHECK(decisions[1].decision == "modified");
    const Decision expected = MakeDecision(s.id, "accepted");
    CHECK(decisions[0].suggestion_id == s.id);
    CHECK(decisions[0].decider == expected.decider);
    CHECK(decisions[0].decider_role == expected.decider_role);
    CHECK(decisions[0].rationale == expected.rationale);
    CHECK(decisions[0].date == expected.date);

    // A decision on a suggestion that does not exist is refused and leaves nothing.
    auto orphan = store.RecordDecision(MakeDecision("missing-suggestion", "accepted"));
    CHECK(orphan.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(orphan.status().message().find("missing-suggestion") == std::string_view::npos);
    int orphans = 0;
    REQUIRE(store
                .ForEachDecision("missing-suggestion",
                                 [&](const Decision&) {
                                   ++orphans;
                                   return true;
                                 })
                .ok());
    CHECK(orphans == 0);
    CHECK(Rows(store, Part::kJournal, "suggestions") == 1);
    CHECK(Rows(store, Part::kJournal, "decisions") == 2);
  });
}

TEST_CASE("store: episodes and register measurements round-trip, the whole 64-bit record key",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    std::vector<EpisodeRow> episodes;
    for (int i = 0; i < 12; ++i) episodes.push_back(Episode(i));
    episodes[3].record_key = std::numeric_limits<std::uint64_t>::max();
    episodes[4].record_key = 1;
    const absl::Status written = store.AppendEpisodes(episodes);
    INFO(written.message());
    REQUIRE(written.ok());

    std::map<std::uint64_t, EpisodeRow> read;
    REQUIRE(store
                .ForEachEpisode({},
                                [&](const EpisodeRow& e) {
                                  read.emplace(e.record_key, e);
                                  return true;
                                })
                .ok());
    REQUIRE(read.size() == episodes.size());
    for (const EpisodeRow& a : episodes) {
      REQUIRE(read.count(a.record_key) == 1);
      const EpisodeRow& b = read.at(a.record_key);
      CHECK(b.pseudonym == a.pseudonym);
      CHECK(b.key_epoch == a.key_epoch);
      CHECK(b.age_band == a.age_band);
      CHECK(b.sex == a.sex);
      CHECK(b.region == a.region);
      CHECK(b.case_kind == a.case_kind);
      CHECK(b.intervention == a.intervention);
      CHECK(b.start_period == a.start_period);
      CHECK(b.end_period == a.end_period);
      CHECK(b.outcome == a.outcome);
    }

    std::vector<RegisterMeasurementRow> measurements;
    for (int i = 0; i < 10; ++i) measurements.push_back(RegisterMeasurement(i));
    measurements[1].record_key = std::numeric_limits<std::uint64_t>::max() - 1;
    REQUIRE(store.AppendRegisterMeasurements(measurements).ok());
    std::vector<RegisterMeasurementRow> phq9;
    REQUIRE(store
                .ForEachRegisterMeasurement("phq9",
                                            [&](const RegisterMeasurementRow& m) {
                                              phq9.push_back(m);
                                              return true;
                                            })
                .ok());
    REQUIRE(phq9.size() == 5);
    std::map<std::uint64_t, const RegisterMeasurementRow*> by_key;
    for (const RegisterMeasurementRow& m : measurements) by_key[m.record_key] = &m;
    for (const RegisterMeasurementRow& b : phq9) {
      REQUIRE(by_key.count(b.record_key) == 1);
      const RegisterMeasurementRow& a = *by_key.at(b.record_key);
      CHECK(b.pseudonym == a.pseudonym);
      CHECK(b.key_epoch == a.key_epoch);
      CHECK(b.instrument == "phq9");
      CHECK(b.session == a.session);
      CHECK(b.period == a.period);
      CHECK(b.total == a.total);
      CHECK(b.band == a.band);
    }
    CHECK(Rows(store, Part::kRegister, "episodes") == 12);
    CHECK(Rows(store, Part::kRegister, "measurements") == 10);
  });
}

TEST_CASE("store: audit events and checkpoints round-trip; seqs start at 1 without gaps",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    CHECK(RequireSeq(store.LastAuditSeq()) == 0);
    CHECK(AllEvents(store).empty());
    // Payloads are opaque bytes: NUL and bytes that are not UTF-8 survive.
    const std::string binary("\x00\xff\x01 signed\x80", 10);
    CHECK(RequireSeq(store.AppendAudit("first")) == 1);
    CHECK(RequireSeq(store.AppendAudit(binary)) == 2);
    const std::vector<std::string> batch = {"b1", "b2", "b3"};
    CHECK(RequireSeq(store.AppendAuditBatch(batch)) == 5);
    CHECK(RequireSeq(store.AppendAudit("")) == 6);
    CHECK(RequireSeq(store.LastAuditSeq()) == 6);

    const std::vector<AuditEvent> events = AllEvents(store);
    REQUIRE(events.size() == 6);
    const std::vector<std::string> payloads = {"first", binary, "b1", "b2", "b3", ""};
    for (size_t i = 0; i < events.size(); ++i) {
      CHECK(events[i].seq == static_cast<std::int64_t>(i) + 1);
      CHECK(events[i].payload == payloads[i]);
    }
    const std::vector<AuditEvent> middle = AllEvents(store, 2, 4);
    REQUIRE(middle.size() == 3);
    CHECK(middle.front().seq == 2);
    CHECK(middle.back().seq == 4);
    CHECK(AllEvents(store, 7, 100).empty());
    CHECK(AllEvents(store, 4, 3).empty());

    REQUIRE(store.AppendCheckpoint({3, std::string("head\x00of 3", 9)}).ok());
    REQUIRE(store.AppendCheckpoint({6, "head of 6"}).ok());
    std::vector<Checkpoint> checkpoints;
    REQUIRE(store
                .ReadCheckpoints([&](const Checkpoint& c) {
                  checkpoints.push_back(c);
                  return true;
                })
                .ok());
    REQUIRE(checkpoints.size() == 2);
    CHECK(checkpoints[0].seq == 3);
    CHECK(checkpoints[0].payload == std::string("head\x00of 3", 9));
    CHECK(checkpoints[1].seq == 6);
    CHECK(checkpoints[1].payload == "head of 6");
    // A checkpoint cannot cover events that are not there.
    CHECK(store.AppendCheckpoint({7, "ahead"}).code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Rows(store, Part::kAudit, "events") == 6);
    CHECK(Rows(store, Part::kAudit, "checkpoints") == 2);
  });
}

TEST_CASE("store: a reopened store has what was written, at the current schema version",
          "[store]") {
  ForEachLocation([](const std::string& location, std::string_view backend) {
    {
      std::unique_ptr<Store> store = OpenOrFail(location);
      REQUIRE(store->AppendEpisodes(std::vector<EpisodeRow>{Episode(1), Episode(2)}).ok());
      REQUIRE(store->AppendAudit("kept").ok());
      REQUIRE(store->PutSuggestion(MakeSuggestion("kept-suggestion")).ok());
    }
    // Init is idempotent: it keeps everything. (On PostgreSQL it needs a role that may create
    // roles; the test database was initialised already.)
    if (backend == "sqlite") REQUIRE(Store::Init(location).ok());
    StoreOptions options;
    options.create = false;
    std::unique_ptr<Store> store = OpenOrFail(location, options);
    CHECK(RequireSeq(store->CountEpisodes({})) == 2);
    CHECK(RequireSeq(store->LastAuditSeq()) == 1);
    CHECK(store->GetSuggestion("kept-suggestion").ok());
    auto info = store->Info();
    REQUIRE(info.ok());
    REQUIRE(info->parts.size() == 3);
    CHECK(info->parts[0].part == Part::kJournal);
    CHECK(info->parts[1].part == Part::kRegister);
    CHECK(info->parts[2].part == Part::kAudit);
    for (const PartInfo& p : info->parts) CHECK(p.schema_version == kSchemaVersion);
    CHECK(info->backend == store->backend());
  });
}

TEST_CASE("store: Info counts the rows of every table of every part", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const std::map<std::pair<Part, std::string>, std::int64_t> empty = {
        {{Part::kJournal, "measurements"}, 0},  {{Part::kJournal, "suggestions"}, 0},
        {{Part::kJournal, "decisions"}, 0},     {{Part::kRegister, "episodes"}, 0},
        {{Part::kRegister, "measurements"}, 0}, {{Part::kRegister, "models"}, 0},
        {{Part::kRegister, "releases"}, 0},     {{Part::kAudit, "events"}, 0},
        {{Part::kAudit, "checkpoints"}, 0}};
    auto counts = [&] {
      std::map<std::pair<Part, std::string>, std::int64_t> out;
      auto info = store.Info();
      REQUIRE(info.ok());
      for (const PartInfo& p : info->parts) {
        for (const auto& row : p.rows) out[{p.part, row.first}] = row.second;
      }
      return out;
    };
    CHECK(counts() == empty);
    REQUIRE(store.AppendMeasurements(std::vector<Measurement>{JournalMeasurement(0)}).ok());
    REQUIRE(store.AppendEpisodes(std::vector<EpisodeRow>{Episode(0), Episode(1), Episode(2)}).ok());
    REQUIRE(store.AppendAuditBatch(std::vector<std::string>{"a", "b"}).ok());
    REQUIRE(store.PutModel(MakeModel(1, "2026-05-01T10:00:00Z")).ok());
    REQUIRE(store.PutRelease(MakeRelease(1, "0180", "uppfoljning", "2026-12", 3, 0), {10, 1}).ok());
    REQUIRE(store.PutRelease(MakeRelease(2, "0180", "uppfoljning", "2026-12", 3, 0), {10, 1}).ok());
    auto expected = empty;
    expected[{Part::kRegister, "models"}] = 1;
    expected[{Part::kRegister, "releases"}] = 2;
    expected[{Part::kJournal, "measurements"}] = 1;
    expected[{Part::kRegister, "episodes"}] = 3;
    expected[{Part::kAudit, "events"}] = 2;
    CHECK(counts() == expected);
  });
}

// ---- Models beside the register --------------------------------------------------------------

TEST_CASE("store: models round-trip beside the register, listed in (created, id) order",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const StoredModel late = MakeModel(3, "2026-06-01T08:00:00Z");
    const StoredModel early = MakeModel(2, "2026-05-01T08:00:00Z");
    const StoredModel same_time = MakeModel(1, "2026-06-01T08:00:00Z");
    for (const StoredModel& m : {late, early, same_time}) REQUIRE(store.PutModel(m).ok());
    auto got = store.GetModel(late.id);
    INFO(got.status().message());
    REQUIRE(got.ok());
    CHECK(got->id == late.id);
    CHECK(got->sha256 == late.sha256);
    CHECK(got->kind == late.kind);
    CHECK(got->title == late.title);
    CHECK(got->created == late.created);
    CHECK(got->model_json == late.model_json);
    std::vector<std::string> ids;
    REQUIRE(store
                .ForEachModel([&](const StoredModel& m) {
                  CHECK(m.model_json.empty());  // the listing leaves the file out
                  ids.push_back(m.id);
                  return true;
                })
                .ok());
    CHECK(ids == std::vector<std::string>{early.id, same_time.id, late.id});
    ids.clear();
    REQUIRE(store
                .ForEachModel([&](const StoredModel& m) {
                  ids.push_back(m.id);
                  return false;
                })
                .ok());
    CHECK(ids.size() == 1);
    CHECK(store.PutModel(late).code() == absl::StatusCode::kAlreadyExists);
    CHECK(store.GetModel(std::string(32, 'f')).status().code() == absl::StatusCode::kNotFound);
    CHECK(store.GetModel("not an id").status().code() == absl::StatusCode::kNotFound);
    CHECK(Rows(store, Part::kRegister, "models") == 3);
  });
}

TEST_CASE("store: a model that breaks a field rule is refused, naming the field, nothing written",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const std::pair<std::string, std::function<void(StoredModel&)>> cases[] = {
        {"model.id", [](StoredModel& m) { m.id = "0123456789ABCDEF0123456789ABCDEF"; }},
        {"model.id", [](StoredModel& m) { m.id = "42"; }},
        {"model.sha256", [](StoredModel& m) { m.sha256.pop_back(); }},
        {"model.kind", [](StoredModel& m) { m.kind = "oracle"; }},
        {"model.title", [](StoredModel& m) { m.title.clear(); }},
        {"model.title", [](StoredModel& m) { m.title = std::string(201, 'x'); }},
        // An identity number (Skatteverket's test number) has no place in the register part.
        {"model.title", [](StoredModel& m) { m.title = "Modell för 19850101-2382"; }},
        {"model.created", [](StoredModel& m) { m.created = "2026-06-01"; }},
        {"model.model_json", [](StoredModel& m) { m.model_json.clear(); }},
        {"model.model_json", [](StoredModel& m) { m.model_json = std::string("{\0}", 3); }},
    };
    for (const auto& [field, spoil] : cases) {
      StoredModel m = MakeModel(7, "2026-06-01T08:00:00Z");
      spoil(m);
      const absl::Status s = store.PutModel(m);
      INFO(field << ": " << s.message());
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(std::string(s.message()), Catch::StartsWith(Cat({"row 0: ", field, ":"})));
      CHECK(std::string(s.message()).find("19850101") == std::string::npos);
    }
    CHECK(Rows(store, Part::kRegister, "models") == 0);
  });
}

// Every kind of kModelKinds is kept ("etr", an expected-treatment-response curve, beside the two
// of varsam/models.h), and nothing else: the database's own constraint on the column is probed
// past varsam by "every vocabulary and form column takes the set rows.h gives it".
TEST_CASE("store: a model of every kind of kModelKinds is kept, and no other kind", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const std::vector<std::string> kinds = {"register_trained", "evidence_based", "etr"};
    CHECK(std::vector<std::string>(std::begin(kModelKinds), std::end(kModelKinds)) == kinds);
    int n = 0;
    for (const std::string& kind : kinds) {
      StoredModel m = MakeModel(++n, "2026-06-01T08:00:00Z");
      m.kind = kind;
      INFO(kind);
      REQUIRE(ValidateStoredModel(m).ok());
      REQUIRE(store.PutModel(m).ok());
      auto got = store.GetModel(m.id);
      REQUIRE(got.ok());
      CHECK(got->kind == kind);
    }
    for (const std::string_view kind : {"ETR", "etr ", "curve", ""}) {
      StoredModel m = MakeModel(++n, "2026-06-01T08:00:00Z");
      m.kind = std::string(kind);
      INFO(kind);
      const absl::Status s = store.PutModel(m);
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(std::string(s.message()),
                 Catch::StartsWith("row 0: model.kind: must be one of the model kinds"));
      CHECK(ValidateStoredModel(m).code() == absl::StatusCode::kInvalidArgument);
    }
    CHECK(Rows(store, Part::kRegister, "models") == 3);
  });
}

// ---- Releases beside the register ------------------------------------------------------------

TEST_CASE(
    "store: releases round-trip, read per organisation, purpose and period in (created, id) "
    "order",
    "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const ReleaseBudget roomy{1000, 100};
    // Epsilons that only an exact round trip keeps (shortest decimal forms of 17 digits).
    const Release late =
        MakeRelease(3, "0180", "uppfoljning", "2026-12", 12, 0.1, "2026-12-05T10:00:00Z");
    const Release early = MakeRelease(7, "0180", "verksamhetsutveckling", "2026-12", 4, 1.0 / 3.0,
                                      "2026-12-01T08:30:00Z");
    const Release same_time =
        MakeRelease(2, "0180", "uppfoljning", "2026-12", 0, 0, "2026-12-05T10:00:00Z");
    const Release other_organisation = MakeRelease(4, "1480", "uppfoljning", "2026-12", 5, 0.5);
    const Release other_month =
        MakeRelease(5, "0180", "uppfoljning", "2027-01", 5, 0.5, "2027-01-02T00:00:00Z");
    for (const Release& r : {late, early, same_time, other_organisation, other_month}) {
      const absl::Status s = store.PutRelease(r, roomy);
      INFO(s.message());
      REQUIRE(s.ok());
    }
    const std::vector<Release> all = AllReleases(store, "0180", "", "2026-12");
    REQUIRE(all.size() == 3);
    const Release* want[] = {&early, &same_time, &late};
    for (size_t i = 0; i < all.size(); ++i) {
      INFO(i);
      CHECK(all[i].id == want[i]->id);
      CHECK(all[i].organisation == want[i]->organisation);
      CHECK(all[i].purpose == want[i]->purpose);
      CHECK(all[i].period == want[i]->period);
      CHECK(all[i].created == want[i]->created);
      CHECK(all[i].query_json == want[i]->query_json);
      CHECK(all[i].cells == want[i]->cells);
      CHECK(all[i].epsilon == want[i]->epsilon);  // exactly: the bits round-trip
    }
    std::vector<std::string> ids;
    for (const Release& r : AllReleases(store, "0180", "uppfoljning", "2026-12")) {
      ids.push_back(r.id);
    }
    CHECK(ids == std::vector<std::string>{same_time.id, late.id});
    CHECK(AllReleases(store, "1480", "", "2026-12").size() == 1);
    CHECK(AllReleases(store, "0180", "", "2027-01").size() == 1);
    CHECK(AllReleases(store, "0180", "", "2026-11").empty());
    CHECK(AllReleases(store, "0180", "uppfoljning\xff", "2026-12").empty());
    CHECK(AllReleases(store, std::string("0180\0", 5), "", "2026-12").empty());
    int seen = 0;
    REQUIRE(store
                .ForEachRelease("0180", "", "2026-12",
                                [&](const Release&) {
                                  ++seen;
                                  return false;
                                })
                .ok());
    CHECK(seen == 1);
    // A taken id is AlreadyExists, even when the budget would refuse the release anyway: a
    // repeated release is reported as what it is.
    CHECK(store.PutRelease(late, roomy).code() == absl::StatusCode::kAlreadyExists);
    CHECK(store.PutRelease(late, {0, 0}).code() == absl::StatusCode::kAlreadyExists);
    CHECK(Rows(store, Part::kRegister, "releases") == 5);
  });
}

TEST_CASE("store: a release that breaks a field rule is refused, naming the field, nothing written",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const std::pair<std::string, std::function<void(Release&)>> cases[] = {
        {"release.id", [](Release& r) { r.id = "0123456789ABCDEF0123456789ABCDEF"; }},
        {"release.id", [](Release& r) { r.id = "42"; }},
        {"release.organisation", [](Release& r) { r.organisation.clear(); }},
        {"release.organisation", [](Release& r) { r.organisation = std::string(201, 'k'); }},
        {"release.organisation", [](Release& r) { r.organisation[2] = '\0'; }},
        // An identity number (Skatteverket's test number) has no place in the register part.
        {"release.organisation", [](Release& r) { r.organisation = "19850101-2382"; }},
        {"release.purpose", [](Release& r) { r.purpose.clear(); }},
        {"release.purpose", [](Release& r) { r.purpose = "uppf\xf6ljning"; }},  // Latin-1
        {"release.purpose", [](Release& r) { r.purpose = std::string(201, 'p'); }},
        {"release.period", [](Release& r) { r.period = "2026-13"; }},
        {"release.period", [](Release& r) { r.period = "2026-00"; }},
        {"release.period", [](Release& r) { r.period = "2026"; }},
        {"release.period", [](Release& r) { r.period = "2026-Q4"; }},
        {"release.period", [](Release& r) { r.period = "2026-1"; }},
        {"release.created", [](Release& r) { r.created = "2026-12-05"; }},
        {"release.created", [](Release& r) { r.created = "2026-12-05T10:00:00+01:00"; }},
        {"release.query_json", [](Release& r) { r.query_json.clear(); }},
        {"release.query_json", [](Release& r) { r.query_json = std::string("{\0}", 3); }},
        {"release.cells", [](Release& r) { r.cells = -1; }},
        {"release.epsilon", [](Release& r) { r.epsilon = -0.5; }},
        {"release.epsilon", [](Release& r) { r.epsilon = std::nan(""); }},
        {"release.epsilon",
         [](Release& r) { r.epsilon = std::numeric_limits<double>::infinity(); }},
    };
    for (const auto& [field, spoil] : cases) {
      Release r = MakeRelease(7, "0180", "uppfoljning", "2026-12", 3, 0.5);
      REQUIRE(ValidateRelease(r).ok());
      spoil(r);
      const absl::Status s = store.PutRelease(r, {100, 10});
      INFO(field << ": " << s.message());
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(std::string(s.message()), Catch::StartsWith(Cat({"row 0: ", field, ":"})));
      CHECK(std::string(s.message()).find("19850101") == std::string::npos);
      CHECK(ValidateRelease(r).code() == absl::StatusCode::kInvalidArgument);
    }
    // The budget is checked too, before anything is read.
    const Release good = MakeRelease(8, "0180", "uppfoljning", "2026-12", 3, 0.5);
    const std::pair<std::string, ReleaseBudget> budgets[] = {
        {"release budget.max_cells", {-1, 1}},
        {"release budget.max_epsilon", {10, -1}},
        {"release budget.max_epsilon", {10, std::nan("")}},
        {"release budget.max_epsilon", {10, std::numeric_limits<double>::infinity()}},
    };
    for (const auto& [field, budget] : budgets) {
      const absl::Status s = store.PutRelease(good, budget);
      INFO(field << ": " << s.message());
      CHECK(s.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(std::string(s.message()), Catch::StartsWith(Cat({field, ":"})));
      CHECK(ValidateReleaseBudget(budget).code() == absl::StatusCode::kInvalidArgument);
    }
    CHECK(Rows(store, Part::kRegister, "releases") == 0);
    // The boundaries themselves are taken: a 200-byte organisation, December, no cells, no
    // epsilon, a zero budget.
    Release edge = MakeRelease(9, std::string(200, 'k'), "uppfoljning", "2026-12", 0, 0);
    REQUIRE(store.PutRelease(edge, {0, 0}).ok());
    CHECK(AllReleases(store, edge.organisation, "", "2026-12").size() == 1);
  });
}

TEST_CASE("store: a release over the cell budget is ResourceExhausted, nothing written",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const ReleaseBudget budget{10, 5};
    REQUIRE(store.PutRelease(MakeRelease(1, "0180", "uppfoljning", "2026-12", 4, 0), budget).ok());
    // 4 + 6 = 10: exactly the budget is within it.
    REQUIRE(store.PutRelease(MakeRelease(2, "0180", "uppfoljning", "2026-12", 6, 0), budget).ok());
    for (const auto& [cells, epsilon] : {std::pair<std::int64_t, double>{1, 0},
                                         {std::numeric_limits<std::int64_t>::max(), 0},
                                         {1, 100}}) {  // over both: the cell budget is named
      const absl::Status s = store.PutRelease(
          MakeRelease(3, "0180", "uppfoljning", "2026-12", cells, epsilon), budget);
      INFO(s.message());
      CHECK(s.code() == absl::StatusCode::kResourceExhausted);
      CHECK_THAT(std::string(s.message()), Catch::StartsWith("release: the cell budget"));
      CHECK_THAT(std::string(s.message()), Catch::Contains("nothing written"));
    }
    CHECK(Rows(store, Part::kRegister, "releases") == 2);
    // A release that publishes no cell still fits; a larger budget takes more.
    CHECK(store.PutRelease(MakeRelease(4, "0180", "uppfoljning", "2026-12", 0, 1), budget).ok());
    CHECK(store.PutRelease(MakeRelease(5, "0180", "uppfoljning", "2026-12", 5, 0), {15, 5}).ok());
    std::int64_t cells = 0;
    for (const Release& r : AllReleases(store, "0180", "", "2026-12")) cells += r.cells;
    CHECK(cells == 15);
    CHECK(Rows(store, Part::kRegister, "releases") == 4);
  });
}

TEST_CASE("store: a release over the epsilon budget is ResourceExhausted, nothing written",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    // Ten releases of 0.1 fit a budget of 1 (their floating-point sum is a little over 1); an
    // eleventh does not.
    double sum = 0;
    for (int i = 0; i < 10; ++i) sum += 0.1;
    CHECK(sum != 1.0);  // why the budget has its rounding slack
    const ReleaseBudget budget{1000, 1.0};
    for (int i = 1; i <= 10; ++i) {
      const absl::Status s =
          store.PutRelease(MakeRelease(i, "0180", "uppfoljning", "2026-12", 1, 0.1), budget);
      INFO(i << ": " << s.message());
      REQUIRE(s.ok());
    }
    for (const double epsilon : {0.1, 1e-6, 5.0}) {
      const absl::Status s =
          store.PutRelease(MakeRelease(11, "0180", "uppfoljning", "2026-12", 1, epsilon), budget);
      INFO(epsilon << ": " << s.message());
      CHECK(s.code() == absl::StatusCode::kResourceExhausted);
      CHECK_THAT(std::string(s.message()), Catch::StartsWith("release: the epsilon budget"));
    }
    CHECK(Rows(store, Part::kRegister, "releases") == 10);
    // No epsilon spent (a table protected by suppression and cell keys only) still fits.
    CHECK(store.PutRelease(MakeRelease(12, "0180", "uppfoljning", "2026-12", 1, 0), budget).ok());
    // A budget of exactly half is met by one release of a half, and then nothing more fits.
    REQUIRE(store.PutRelease(MakeRelease(13, "0180", "uppfoljning", "2027-01", 0, 0.5), {1000, 0.5})
                .ok());
    CHECK(store.PutRelease(MakeRelease(14, "0180", "uppfoljning", "2027-01", 0, 1e-6), {1000, 0.5})
              .code() == absl::StatusCode::kResourceExhausted);
    CHECK(Rows(store, Part::kRegister, "releases") == 12);
  });
}

TEST_CASE("store: release budgets count per organisation and period, epsilon per purpose too",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const ReleaseBudget budget{5, 1.0};
    struct Step {
      int n;
      const char* organisation;
      const char* purpose;
      const char* period;
      std::int64_t cells;
      double epsilon;
    };
    const Step steps[] = {
        {1, "0180", "uppfoljning", "2026-12", 5, 1.0},            // spends both budgets
        {2, "0180", "verksamhetsutveckling", "2026-12", 1, 0.0},  // cells: all purposes
        {3, "0180", "verksamhetsutveckling", "2026-12", 0, 1.0},  // epsilon: its own purpose
        {4, "0180", "uppfoljning", "2026-12", 0, 0.01},           // that purpose's is spent
        {5, "1480", "uppfoljning", "2026-12", 5, 1.0},            // another organisation
        {6, "0180", "uppfoljning", "2027-01", 5, 1.0},            // another month
        {7, "0180", "uppfoljning", "2027-01", 1, 0.0},            // whose budget is spent now
    };
    // The expected outcome of each step, computed here from the rule: the organisation's cells
    // in the period (all purposes), and the epsilon of its purpose in the period.
    std::map<std::pair<std::string, std::string>, std::int64_t> cells;
    std::map<std::tuple<std::string, std::string, std::string>, double> epsilon;
    for (const Step& step : steps) {
      INFO(step.n);
      const Release r = MakeRelease(step.n, step.organisation, step.purpose, step.period,
                                    step.cells, step.epsilon);
      std::int64_t& c = cells[{r.organisation, r.period}];
      double& e = epsilon[{r.organisation, r.purpose, r.period}];
      const bool cells_fit = c + r.cells <= budget.max_cells;
      const bool epsilon_fits = e + r.epsilon <= budget.max_epsilon;
      const absl::Status s = store.PutRelease(r, budget);
      INFO(s.message());
      if (cells_fit && epsilon_fits) {
        CHECK(s.ok());
        c += r.cells;
        e += r.epsilon;
      } else {
        CHECK(s.code() == absl::StatusCode::kResourceExhausted);
        CHECK_THAT(std::string(s.message()),
                   Catch::StartsWith(cells_fit ? "release: the epsilon budget"
                                               : "release: the cell budget"));
      }
    }
    std::vector<std::string> written;
    for (const auto& [organisation, period] :
         {std::pair<std::string, std::string>{"0180", "2026-12"},
          {"1480", "2026-12"},
          {"0180", "2027-01"}}) {
      for (const Release& r : AllReleases(store, organisation, "", period)) {
        written.push_back(r.id.substr(31));
      }
    }
    std::sort(written.begin(), written.end());
    CHECK(written == std::vector<std::string>{"1", "3", "5", "6"});
  });
}

// Several threads release for one organisation at once, half of them through a second Store of
// the same location (its own connections, as another process would have): every release that
// fits is written, and none beyond the budget. With one-cell releases the count that must pass
// is exact: a release is refused only when the period's cells are all spent.
TEST_CASE("store: concurrent releases from several threads never exceed the budget", "[store]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    std::unique_ptr<Store> first = OpenOrFail(location);
    std::unique_ptr<Store> second = OpenOrFail(location);
    constexpr int kThreads = 4, kTries = 12;
    constexpr std::int64_t kMaxCells = 17;
    constexpr double kQuarter = 0.25, kMaxEpsilon = 2.0;  // exact in binary: 8 pass
    const ReleaseBudget budget{kMaxCells, kMaxEpsilon};
    std::atomic<int> cells_ok{0}, cells_refused{0}, epsilon_ok{0}, epsilon_refused{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Store& store = t % 2 == 0 ? *first : *second;
        for (int i = 0; i < kTries; ++i) {
          const int n = 1000 * (t + 1) + 2 * i;
          const absl::Status c =
              store.PutRelease(MakeRelease(n, "0180", "uppfoljning", "2026-12", 1, 0), budget);
          const absl::Status e = store.PutRelease(
              MakeRelease(n + 1, "1480", "uppfoljning", "2026-12", 0, kQuarter), budget);
          (c.ok()                                             ? cells_ok
           : c.code() == absl::StatusCode::kResourceExhausted ? cells_refused
                                                              : other)++;
          (e.ok()                                             ? epsilon_ok
           : e.code() == absl::StatusCode::kResourceExhausted ? epsilon_refused
                                                              : other)++;
        }
      });
    }
    for (std::thread& th : threads) th.join();
    CHECK(other == 0);
    CHECK(cells_ok == kMaxCells);
    CHECK(cells_refused == kThreads * kTries - kMaxCells);
    CHECK(epsilon_ok == 8);
    CHECK(epsilon_refused == kThreads * kTries - 8);
    std::int64_t cells = 0;
    const std::vector<Release> cell_releases = AllReleases(*first, "0180", "", "2026-12");
    for (const Release& r : cell_releases) cells += r.cells;
    CHECK(cells == kMaxCells);
    CHECK(static_cast<std::int64_t>(cell_releases.size()) == kMaxCells);
    double spent = 0;
    const std::vector<Release> epsilon_releases = AllReleases(*second, "1480", "", "2026-12");
    for (const Release& r : epsilon_releases) spent += r.epsilon;
    CHECK(spent == kMaxEpsilon);
    CHECK(epsilon_releases.size() == 8);
  });
}

// ---- Batches are all or nothing ---------------------------------------------------------------

TEST_CASE("store: a register batch with one bad row writes nothing", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    std::vector<EpisodeRow> episodes;
    for (int i = 0; i < 50; ++i) episodes.push_back(Episode(i));
    episodes[37].age_band = "eighteen";
    const absl::Status refused = store.AppendEpisodes(episodes);
    CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
    CHECK(refused.message().find("row 37") != std::string_view::npos);
    CHECK(refused.message().find("age_band") != std::string_view::npos);
    CHECK(refused.message().find("eighteen") == std::string_view::npos);
    CHECK(RequireSeq(store.CountEpisodes({})) == 0);

    std::vector<RegisterMeasurementRow> measurements;
    for (int i = 0; i < 20; ++i) measurements.push_back(RegisterMeasurement(i));
    measurements[19].record_key = 0;
    CHECK(store.AppendRegisterMeasurements(measurements).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(Rows(store, Part::kRegister, "measurements") == 0);

    // The same batches, mended, go in whole.
    episodes[37].age_band = "18-24";
    measurements[19].record_key = 99;
    REQUIRE(store.AppendEpisodes(episodes).ok());
    REQUIRE(store.AppendRegisterMeasurements(measurements).ok());
    CHECK(RequireSeq(store.CountEpisodes({})) == 50);
    CHECK(Rows(store, Part::kRegister, "measurements") == 20);
  });
}

TEST_CASE("store: a journal batch that fails mid-way writes nothing", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    std::vector<Measurement> batch;
    for (int i = 0; i < 6; ++i) batch.push_back(JournalMeasurement(i));
    batch[4].case_kind = "not-a-case-kind";
    const auto refused = store.AppendMeasurements(batch);
    CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(refused.status().message().find("case_kind") != std::string_view::npos);
    CHECK(AllMeasurements(store).empty());

    batch[4].case_kind = "utredning";
    batch[5].total = std::numeric_limits<double>::infinity();
    CHECK(store.AppendMeasurements(batch).status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Rows(store, Part::kJournal, "measurements") == 0);

    batch[5].total = 4;
    auto ids = store.AppendMeasurements(batch);
    REQUIRE(ids.ok());
    CHECK(ids->size() == 6);
    CHECK(std::set<std::int64_t>(ids->begin(), ids->end()).size() == 6);
    CHECK(AllMeasurements(store).size() == 6);
  });
}

TEST_CASE("store: audit batches keep any bytes, in order; empty and very large batches",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    CHECK(RequireSeq(store.AppendAuditBatch(std::vector<std::string>{})) == 0);
    // Bytes that array literals, COPY or C strings would treat specially, and every byte value.
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
    const std::vector<std::string> odd = {std::string(1, '\0'),
                                          "\\",
                                          "\"",
                                          "{",
                                          ",",
                                          "\xff",
                                          "",
                                          "NULL",
                                          "\\x41",
                                          std::string("{\"a\\\",\0}\xff ,", 11),
                                          "\t\n\r",
                                          all_bytes};
    REQUIRE(odd[0].size() == 1);
    REQUIRE(odd[9].size() == 11);
    CHECK(RequireSeq(store.AppendAuditBatch(odd)) == static_cast<std::int64_t>(odd.size()));
    CHECK(RequireSeq(store.AppendAuditBatch(std::vector<std::string>{})) ==
          static_cast<std::int64_t>(odd.size()));
    std::vector<AuditEvent> events = AllEvents(store);
    REQUIRE(events.size() == odd.size());
    for (size_t i = 0; i < odd.size(); ++i) {
      CHECK(events[i].seq == static_cast<std::int64_t>(i) + 1);
      CHECK(events[i].payload == odd[i]);
    }

    // More events than one statement carries on PostgreSQL: still one batch, gap-free, in order.
    constexpr int kLarge = 25000;
    std::vector<std::string> large;
    large.reserve(kLarge);
    for (int i = 0; i < kLarge; ++i) large.push_back(Cat({"e", std::to_string(i)}));
    const std::int64_t before = static_cast<std::int64_t>(odd.size());
    CHECK(RequireSeq(store.AppendAuditBatch(large)) == before + kLarge);
    CHECK(RequireSeq(store.AppendAudit("after")) == before + kLarge + 1);
    events = AllEvents(store, before + 1);
    REQUIRE(events.size() == static_cast<size_t>(kLarge) + 1);
    for (int i = 0; i < kLarge; ++i) {
      if (events[i].seq != before + 1 + i || events[i].payload != large[i]) {
        FAIL_CHECK("event " << i << " has seq " << events[i].seq << ", payload "
                            << events[i].payload);
        break;
      }
    }
    CHECK(events.back().seq == before + kLarge + 1);
    CHECK(events.back().payload == "after");
  });
}

TEST_CASE("store: concurrent audit batches each get consecutive seqs", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    constexpr int kThreads = 4, kBatches = 20, kSize = 5;
    std::vector<std::vector<std::int64_t>> lasts(kThreads);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&store, &lasts, &failures, t] {
        for (int b = 0; b < kBatches; ++b) {
          std::vector<std::string> payloads;
          for (int j = 0; j < kSize; ++j) {
            payloads.push_back(
                Cat({"t", std::to_string(t), " b", std::to_string(b), " e", std::to_string(j)}));
          }
          auto last = store.AppendAuditBatch(payloads);
          if (!last.ok()) {
            ++failures;
            continue;
          }
          lasts[t].push_back(*last);
        }
      });
    }
    for (std::thread& th : threads) th.join();
    REQUIRE(failures == 0);
    const std::vector<AuditEvent> events = AllEvents(store);
    REQUIRE(events.size() == kThreads * kBatches * kSize);
    for (int t = 0; t < kThreads; ++t) {
      for (int b = 0; b < kBatches; ++b) {
        const std::int64_t last = lasts[t][b];
        for (int j = 0; j < kSize; ++j) {
          const AuditEvent& e = events[last - kSize + j];  // seq last-kSize+1+j at index seq-1
          CHECK(e.seq == last - kSize + 1 + j);
          CHECK(e.payload ==
                Cat({"t", std::to_string(t), " b", std::to_string(b), " e", std::to_string(j)}));
        }
      }
    }
  });
}

// ---- Threads ----------------------------------------------------------------------------------

TEST_CASE("store: four threads write and read at once, audit seqs unique and gap-free", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    constexpr int kThreads = 4, kSingles = 25, kBatches = 5, kBatchSize = 4;
    constexpr int kMeasurementBatches = 10, kEpisodeBatches = 10, kEpisodesPerBatch = 10;
    std::vector<std::vector<std::pair<std::int64_t, std::string>>> acked(kThreads);
    std::vector<std::vector<std::int64_t>> ids(kThreads);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto fail = [&] { ++failures; };
        for (int i = 0; i < kSingles; ++i) {
          const std::string payload =
              Cat({"thread ", std::to_string(t), " single ", std::to_string(i)});
          auto seq = store.AppendAudit(payload);
          if (!seq.ok()) {
            fail();
            continue;
          }
          acked[t].emplace_back(*seq, payload);
          if (i % 5 == 0 && !store.CountEpisodes({}).ok()) fail();
        }
        for (int b = 0; b < kBatches; ++b) {
          std::vector<std::string> payloads;
          for (int j = 0; j < kBatchSize; ++j) {
            payloads.push_back(Cat({"thread ", std::to_string(t), " batch ", std::to_string(b), " ",
                                    std::to_string(j)}));
          }
          auto last = store.AppendAuditBatch(payloads);
          if (!last.ok()) {
            fail();
            continue;
          }
          for (int j = 0; j < kBatchSize; ++j) {
            acked[t].emplace_back(*last - kBatchSize + 1 + j, payloads[j]);
          }
        }
        for (int b = 0; b < kMeasurementBatches; ++b) {
          std::vector<Measurement> batch;
          for (int j = 0; j < 3; ++j) batch.push_back(JournalMeasurement(t * 100 + b * 3 + j));
          auto got = store.AppendMeasurements(batch);
          if (!got.ok()) {
            fail();
            continue;
          }
          ids[t].insert(ids[t].end(), got->begin(), got->end());
        }
        for (int b = 0; b < kEpisodeBatches; ++b) {
          std::vector<EpisodeRow> batch;
          for (int j = 0; j < kEpisodesPerBatch; ++j) {
            batch.push_back(Episode(t * 1000 + b * kEpisodesPerBatch + j));
          }
          if (!store.AppendEpisodes(batch).ok()) fail();
          if (!store.LastAuditSeq().ok()) fail();
        }
      });
    }
    for (std::thread& th : threads) th.join();
    REQUIRE(failures == 0);

    constexpr int kEvents = kThreads * (kSingles + kBatches * kBatchSize);
    std::map<std::int64_t, std::string> by_seq;
    for (const auto& list : acked) {
      for (const auto& ack : list) CHECK(by_seq.emplace(ack.first, ack.second).second);
    }
    REQUIRE(by_seq.size() == kEvents);
    CHECK(by_seq.begin()->first == 1);
    CHECK(by_seq.rbegin()->first == kEvents);
    const std::vector<AuditEvent> events = AllEvents(store);
    REQUIRE(events.size() == kEvents);
    for (const AuditEvent& e : events) CHECK(e.payload == by_seq.at(e.seq));

    std::set<std::int64_t> all_ids;
    for (const auto& list : ids) all_ids.insert(list.begin(), list.end());
    CHECK(all_ids.size() == kThreads * kMeasurementBatches * 3);
    CHECK(Rows(store, Part::kJournal, "measurements") == kThreads * kMeasurementBatches * 3);
    CHECK(RequireSeq(store.CountEpisodes({})) == kThreads * kEpisodeBatches * kEpisodesPerBatch);
  });
}

// ---- Streaming reads --------------------------------------------------------------------------

TEST_CASE("store: reads stream to the callback and stop when it returns false", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    std::vector<EpisodeRow> episodes;
    for (int i = 0; i < 100; ++i) episodes.push_back(Episode(i));
    REQUIRE(store.AppendEpisodes(episodes).ok());
    std::vector<Measurement> measurements;
    for (int i = 0; i < 30; ++i) measurements.push_back(JournalMeasurement(i));
    REQUIRE(store.AppendMeasurements(measurements).ok());
    std::vector<RegisterMeasurementRow> rows;
    for (int i = 0; i < 30; ++i) rows.push_back(RegisterMeasurement(i));
    REQUIRE(store.AppendRegisterMeasurements(rows).ok());
    std::vector<std::string> payloads;
    for (int i = 0; i < 40; ++i) payloads.push_back(std::to_string(i));
    REQUIRE(store.AppendAuditBatch(payloads).ok());

    int calls = 0;
    REQUIRE(store.ForEachEpisode({}, [&](const EpisodeRow&) { return ++calls < 7; }).ok());
    CHECK(calls == 7);
    calls = 0;
    REQUIRE(store.ForEachMeasurement({}, [&](const Measurement&) { return ++calls < 3; }).ok());
    CHECK(calls == 3);
    calls = 0;
    REQUIRE(store
                .ForEachRegisterMeasurement(
                    "ors", [&](const RegisterMeasurementRow&) { return ++calls < 4; })
                .ok());
    CHECK(calls == 4);
    std::vector<std::int64_t> seqs;
    REQUIRE(store
                .ReadAudit(10, 40,
                           [&](const AuditEvent& e) {
                             seqs.push_back(e.seq);
                             return seqs.size() < 5;
                           })
                .ok());
    CHECK(seqs == std::vector<std::int64_t>{10, 11, 12, 13, 14});
    calls = 0;
    REQUIRE(store.AppendCheckpoint({5, "five"}).ok());
    REQUIRE(store.AppendCheckpoint({9, "nine"}).ok());
    REQUIRE(store.ReadCheckpoints([&](const Checkpoint&) { return ++calls < 1; }).ok());
    CHECK(calls == 1);
    // Reading after an early stop works: nothing was left half-open.
    CHECK(RequireSeq(store.CountEpisodes({})) == 100);
  });
}

TEST_CASE("store: episode filters select, and CountEpisodes agrees with ForEachEpisode",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    std::vector<EpisodeRow> episodes;
    for (int i = 0; i < 120; ++i) episodes.push_back(Episode(i));
    REQUIRE(store.AppendEpisodes(episodes).ok());

    std::vector<EpisodeFilter> filters(6);
    filters[1].case_kind = "utredning";
    filters[2].intervention = "familjebehandling";
    filters[3].region = "12";
    filters[4].key_epoch = 2;
    filters[5].case_kind = "insats";
    filters[5].region = "";
    filters[5].key_epoch = 0;
    for (const EpisodeFilter& f : filters) {
      auto matches = [&](const EpisodeRow& e) {
        return (!f.case_kind || e.case_kind == *f.case_kind) &&
               (!f.intervention || e.intervention == *f.intervention) &&
               (!f.region || e.region == *f.region) &&
               (!f.key_epoch || e.key_epoch == *f.key_epoch);
      };
      const auto expected = std::count_if(episodes.begin(), episodes.end(), matches);
      REQUIRE(expected > 0);
      std::int64_t seen = 0;
      bool all_match = true;
      REQUIRE(store
                  .ForEachEpisode(f,
                                  [&](const EpisodeRow& e) {
                                    ++seen;
                                    all_match = all_match && matches(e);
                                    return true;
                                  })
                  .ok());
      CHECK(all_match);
      CHECK(seen == expected);
      CHECK(RequireSeq(store.CountEpisodes(f)) == expected);
    }
    EpisodeFilter none;
    none.case_kind = "anmalan";
    none.key_epoch = 7;
    CHECK(RequireSeq(store.CountEpisodes(none)) == 0);
  });
}

TEST_CASE("store: measurement filters select, in (date, id) order", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    std::vector<Measurement> in;
    for (int i = 0; i < 42; ++i) in.push_back(JournalMeasurement(i));
    auto ids = store.AppendMeasurements(in);
    REQUIRE(ids.ok());

    std::vector<MeasurementFilter> filters(6);
    filters[1].client_ref = "klient-101";
    filters[2].case_ref = "arende-1";
    filters[3].instrument = "gad7";
    filters[4].from = Date(2026, 3, 3);
    filters[4].to = Date(2026, 3, 5);
    filters[5].client_ref = "klient-102";
    filters[5].instrument = "phq9";
    filters[5].to = Date(2026, 3, 4);
    for (const MeasurementFilter& f : filters) {
      std::vector<std::pair<Date, std::int64_t>> expected;
      for (size_t i = 0; i < in.size(); ++i) {
        const Measurement& m = in[i];
        if ((!f.client_ref || m.client_ref == *f.client_ref) &&
            (!f.case_ref || m.case_ref == *f.case_ref) &&
            (!f.instrument || m.instrument == *f.instrument) && (!f.from || m.date >= *f.from) &&
            (!f.to || m.date <= *f.to)) {
          expected.emplace_back(m.date, (*ids)[i]);
        }
      }
      std::sort(expected.begin(), expected.end());
      REQUIRE(!expected.empty());
      std::vector<std::pair<Date, std::int64_t>> got;
      for (const Measurement& m : AllMeasurements(store, f)) got.emplace_back(m.date, m.id);
      CHECK(got == expected);
    }
  });
}

// Five suggestions on three dates; two ids share a date, and their byte order ("sug-a" before
// "sug-c") is the reverse of the order they were put. Decisions are recorded interleaved, so
// that a suggestion's first decision is not the first one of the store.
struct SuggestionWorld {
  std::int64_t e1 = 0, c1 = 0, c2 = 0, b1 = 0, e2 = 0;  // decision ids, in recording order
};

SuggestionWorld PutSuggestionWorld(Store& store) {
  const auto put = [&](std::string id, std::string client, std::string kase, std::string kind,
                       Date created) {
    Suggestion s = MakeSuggestion(std::move(id));
    s.client_ref = std::move(client);
    s.case_ref = std::move(kase);
    s.kind = std::move(kind);
    s.created = created;
    s.content_json = Cat({R"({"for":")", s.id, R"("})"});
    const absl::Status status = store.PutSuggestion(s);
    INFO(status.message());
    REQUIRE(status.ok());
  };
  put("sug-c", "klient-1", "arende-1", "flag", Date(2026, 4, 2));
  put("sug-a", "klient-1", "arende-2", "model", Date(2026, 4, 2));
  put("sug-b", "klient-2", "arende-1", "flag", Date(2026, 4, 1));
  put("sug-d", "klient-2", "arende-2", "model", Date(2026, 4, 5));
  put("sug-e", "klient-1", "arende-1", "flag", Date(2026, 4, 3));
  const auto decide = [&](std::string suggestion, std::string decision, Date date) {
    Decision d = MakeDecision(std::move(suggestion), std::move(decision));
    d.date = date;
    auto id = store.RecordDecision(d);
    INFO(id.status().message());
    REQUIRE(id.ok());
    return *id;
  };
  SuggestionWorld w;
  w.e1 = decide("sug-e", "accepted", Date(2026, 4, 4));
  w.c1 = decide("sug-c", "modified", Date(2026, 4, 6));
  w.c2 = decide("sug-c", "rejected", Date(2026, 4, 7));
  w.b1 = decide("sug-b", "rejected", Date(2026, 4, 8));
  w.e2 = decide("sug-e", "rejected", Date(2026, 4, 9));
  return w;
}

// (suggestion id, first decision id or 0 when open), in the order ForEachSuggestion gave them.
using SuggestionRows = std::vector<std::pair<std::string, std::int64_t>>;

SuggestionRows AllSuggestions(Store& store, const SuggestionFilter& filter) {
  SuggestionRows out;
  const absl::Status s =
      store.ForEachSuggestion(filter, [&](const Suggestion& x, const Decision* d) {
        if (d != nullptr) CHECK(d->suggestion_id == x.id);
        out.emplace_back(x.id, d == nullptr ? 0 : d->id);
        return true;
      });
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

TEST_CASE("store: ForEachSuggestion filters select, in (created, id) order, with first decisions",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const SuggestionWorld w = PutSuggestionWorld(store);
    REQUIRE(w.e1 < w.c1);
    REQUIRE(w.c1 < w.c2);

    // Everything: (created, id) order; the lowest decision id of each, 0 for the open ones.
    CHECK(AllSuggestions(store, {}) ==
          SuggestionRows{
              {"sug-b", w.b1}, {"sug-a", 0}, {"sug-c", w.c1}, {"sug-e", w.e1}, {"sug-d", 0}});
    SuggestionFilter f;
    f.client_ref = "klient-1";
    CHECK(AllSuggestions(store, f) ==
          SuggestionRows{{"sug-a", 0}, {"sug-c", w.c1}, {"sug-e", w.e1}});
    f = {};
    f.case_ref = "arende-1";
    CHECK(AllSuggestions(store, f) ==
          SuggestionRows{{"sug-b", w.b1}, {"sug-c", w.c1}, {"sug-e", w.e1}});
    f = {};
    f.kind = "model";
    CHECK(AllSuggestions(store, f) == SuggestionRows{{"sug-a", 0}, {"sug-d", 0}});
    f = {};
    f.from = Date(2026, 4, 2);  // both ends inclusive
    f.to = Date(2026, 4, 3);
    CHECK(AllSuggestions(store, f) ==
          SuggestionRows{{"sug-a", 0}, {"sug-c", w.c1}, {"sug-e", w.e1}});
    f = {};
    f.from = Date(2026, 4, 3);
    CHECK(AllSuggestions(store, f) == SuggestionRows{{"sug-e", w.e1}, {"sug-d", 0}});
    f = {};
    f.to = Date(2026, 4, 2);
    CHECK(AllSuggestions(store, f) ==
          SuggestionRows{{"sug-b", w.b1}, {"sug-a", 0}, {"sug-c", w.c1}});
    f = {};
    f.open_only = true;
    CHECK(AllSuggestions(store, f) == SuggestionRows{{"sug-a", 0}, {"sug-d", 0}});
    f.client_ref = "klient-2";
    CHECK(AllSuggestions(store, f) == SuggestionRows{{"sug-d", 0}});
    f = {};
    f.client_ref = "klient-1";
    f.case_ref = "arende-1";
    f.kind = "flag";
    f.to = Date(2026, 4, 2);
    CHECK(AllSuggestions(store, f) == SuggestionRows{{"sug-c", w.c1}});
    f.open_only = true;
    CHECK(AllSuggestions(store, f).empty());
    f = {};
    f.from = Date(2026, 4, 6);
    CHECK(AllSuggestions(store, f).empty());
    f = {};
    f.client_ref = "klient-3";
    CHECK(AllSuggestions(store, f).empty());
    // Text no reference can be (not UTF-8, or with NUL) matches nothing, and is no error.
    f = {};
    f.client_ref = std::string("klient-\xff");
    CHECK(AllSuggestions(store, f).empty());
    f = {};
    f.case_ref = std::string("arende-1\0x", 10);
    CHECK(AllSuggestions(store, f).empty());
    f = {};
    f.kind = std::string("fl\xc3", 3);
    CHECK(AllSuggestions(store, f).empty());

    // The suggestion and its first decision arrive whole.
    bool seen = false;
    f = {};
    f.case_ref = "arende-1";
    f.from = Date(2026, 4, 2);
    f.to = Date(2026, 4, 2);
    REQUIRE(store
                .ForEachSuggestion(f,
                                   [&](const Suggestion& x, const Decision* d) {
                                     CHECK(!seen);
                                     seen = true;
                                     CHECK(x.id == "sug-c");
                                     CHECK(x.client_ref == "klient-1");
                                     CHECK(x.case_ref == "arende-1");
                                     CHECK(x.kind == "flag");
                                     CHECK(x.created == Date(2026, 4, 2));
                                     CHECK(varsam::ParseJson(x.content_json, "c").value() ==
                                           nlohmann::json{{"for", "sug-c"}});
                                     REQUIRE(d != nullptr);
                                     CHECK(d->id == w.c1);
                                     CHECK(d->suggestion_id == "sug-c");
                                     CHECK(d->decision == "modified");
                                     CHECK(d->decider == "handl-17");
                                     CHECK(d->decider_role == "handlaggare");
                                     CHECK(d->rationale == "Samtal bokat inom en vecka.");
                                     CHECK(d->date == Date(2026, 4, 6));
                                     return true;
                                   })
                .ok());
    CHECK(seen);
  });
}

TEST_CASE("store: ForEachSuggestion stops when the callback returns false; open ones get nullptr",
          "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    const SuggestionWorld w = PutSuggestionWorld(store);
    SuggestionRows got;
    std::vector<bool> open;
    REQUIRE(store
                .ForEachSuggestion({},
                                   [&](const Suggestion& x, const Decision* d) {
                                     got.emplace_back(x.id, d == nullptr ? 0 : d->id);
                                     open.push_back(d == nullptr);
                                     return got.size() < 3;
                                   })
                .ok());
    CHECK(got == SuggestionRows{{"sug-b", w.b1}, {"sug-a", 0}, {"sug-c", w.c1}});
    CHECK(open == std::vector<bool>{false, true, false});
    int calls = 0;
    REQUIRE(store
                .ForEachSuggestion({},
                                   [&](const Suggestion&, const Decision*) {
                                     ++calls;
                                     return false;
                                   })
                .ok());
    CHECK(calls == 1);
    // Every open suggestion is passed nullptr; a read after an early stop sees everything.
    SuggestionFilter f;
    f.open_only = true;
    int open_calls = 0;
    REQUIRE(store
                .ForEachSuggestion(f,
                                   [&](const Suggestion& x, const Decision* d) {
                                     ++open_calls;
                                     CHECK(d == nullptr);
                                     CHECK((x.id == "sug-a" || x.id == "sug-d"));
                                     return true;
                                   })
                .ok());
    CHECK(open_calls == 2);
    // A decision closes a suggestion: it leaves the open ones and its decision is passed.
    auto closing = store.RecordDecision(MakeDecision("sug-d", "accepted"));
    REQUIRE(closing.ok());
    CHECK(AllSuggestions(store, f) == SuggestionRows{{"sug-a", 0}});
    f = {};
    f.client_ref = "klient-2";
    CHECK(AllSuggestions(store, f) == SuggestionRows{{"sug-b", w.b1}, {"sug-d", *closing}});
  });
}

// ---- The register takes no direct identifier --------------------------------------------------

// Direct identifiers of the kinds the law names, each in the form a host might slip in. The
// identity number is Skatteverket's official test number 198001022386.
struct Identifier {
  const char* kind;
  std::string value;
};

std::vector<Identifier> Identifiers() {
  return {{"personnummer", "198001022386"},
          {"personnummer with dash", "19800102-2386"},
          {"ten-digit personnummer", "800102-2386"},
          {"name", "Anna Andersson"},
          {"e-mail", "anna.andersson@example.se"},
          {"phone", "070-123 45 67"},
          {"street address", "Storgatan 12, 123 45 Storstad"},
          {"host client id", "klient-48213"}};
}

TEST_CASE("store: the register refuses a direct identifier in every text field", "[store]") {
  ForEachBackend([](Store& store, std::string_view) {
    using EpisodeField = std::string EpisodeRow::*;
    const std::pair<const char*, EpisodeField> episode_fields[] = {
        {"pseudonym", &EpisodeRow::pseudonym},
        {"age_band", &EpisodeRow::age_band},
        {"sex", &EpisodeRow::sex},
        {"region", &EpisodeRow::region},
        {"case_kind", &EpisodeRow::case_kind},
        {"intervention", &EpisodeRow::intervention},
        {"start_period", &EpisodeRow::start_period},
        {"end_period", &EpisodeRow::end_period},
        {"outcome", &EpisodeRow::outcome}};
    using MeasurementField = std::string RegisterMeasurementRow::*;
    const std::pair<const char*, MeasurementField> measurement_fields[] = {
        {"pseudonym", &RegisterMeasurementRow::pseudonym},
        {"instrument", &RegisterMeasurementRow::instrument},
        {"period", &RegisterMeasurementRow::period},
        {"band", &RegisterMeasurementRow::band}};

    for (const Identifier& id : Identifiers()) {
      for (const auto& field : episode_fields) {
        INFO(Cat({"episode.", field.first, " <- ", id.kind}));
        // A good row first: the bad one must take it down with it.
        std::vector<EpisodeRow> batch = {Episode(1), Episode(2)};
        batch[1].*(field.second) = id.value;
        const absl::Status s = store.AppendEpisodes(batch);
        CHECK(s.code() == absl::StatusCode::kInvalidArgument);
        CHECK(s.message().find(Cat({"episode.", field.first})) != std::string_view::npos);
        CHECK(s.message().find(id.value) == std::string_view::npos);
      }
      for (const auto& field : measurement_fields) {
        INFO(Cat({"register measurement.", field.first, " <- ", id.kind}));
        std::vector<RegisterMeasurementRow> batch = {RegisterMeasurement(1),
                                                     RegisterMeasurement(2)};
        batch[1].*(field.second) = id.value;
        const absl::Status s = store.AppendRegisterMeasurements(batch);
        CHECK(s.code() == absl::StatusCode::kInvalidArgument);
        CHECK(s.message().find(Cat({"register measurement.", field.first})) !=
              std::string_view::npos);
        CHECK(s.message().find(id.value) == std::string_view::npos);
      }
    }
    // A pseudonym of the right shape that carries an identity number inside it.
    EpisodeRow smuggled = Episode(3);
    smuggled.pseudonym = Cat({"p1_", "198001022386", std::string(31, 'A')});
    REQUIRE(smuggled.pseudonym.size() == 46);
    const absl::Status s = store.AppendEpisodes(std::vector<EpisodeRow>{smuggled});
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(s.message().find("pseudonym") != std::string_view::npos);
    CHECK(s.message().find("198001022386") == std::string_view::npos);

    CHECK(RequireSeq(store.CountEpisodes({})) == 0);
    CHECK(Rows(store, Part::kRegister, "episodes") == 0);
    CHECK(Rows(store, Part::kRegister, "measurements") == 0);
  });
}

TEST_CASE("store: sqlite: the register file has no column for a direct identifier", "[store]") {
  TempDir dir;
  REQUIRE(Store::Init(dir.Store()).ok());
  RawDb db(PartFile(dir.Store(), Part::kRegister));
  const std::vector<std::string> tables =
      db.Column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  CHECK(tables == std::vector<std::string>{"episodes", "measurements", "models", "releases",
                                           "varsam_schema"});
  const std::set<std::string> episode_columns = {
      "pseudonym",    "key_epoch",    "age_band",   "sex",     "region",    "case_kind",
      "intervention", "start_period", "end_period", "outcome", "record_key"};
  const std::set<std::string> measurement_columns = {
      "pseudonym", "key_epoch", "instrument", "session", "period", "total", "band", "record_key"};
  for (const std::string& table : tables) {
    const std::vector<std::string> columns = db.Column(Cat({"PRAGMA table_info(", table, ")"}), 1);
    REQUIRE(!columns.empty());
    for (const std::string& column : columns) {
      INFO(Cat({table, ".", column}));
      for (const char* banned :
           {"name", "personnummer", "pnr", "address", "adress", "client", "klient", "phone",
            "telefon", "mail", "journal", "measurement_id", "case_ref"}) {
        CHECK(column.find(banned) == std::string::npos);
      }
    }
    if (table == "episodes") {
      CHECK(std::set<std::string>(columns.begin(), columns.end()) == episode_columns);
    }
    if (table == "measurements") {
      CHECK(std::set<std::string>(columns.begin(), columns.end()) == measurement_columns);
    }
    if (table == "models") {
      CHECK(std::set<std::string>(columns.begin(), columns.end()) ==
            std::set<std::string>{"id", "sha256", "kind", "title", "created", "model_json"});
    }
    if (table == "releases") {
      CHECK(std::set<std::string>(columns.begin(), columns.end()) ==
            std::set<std::string>{"id", "organisation", "purpose", "period", "created",
                                  "query_json", "cells", "epsilon"});
    }
  }
  // The three parts are three files, each with only its own tables.
  RawDb journal(PartFile(dir.Store(), Part::kJournal));
  CHECK(journal.Column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") ==
        std::vector<std::string>{"decisions", "measurements", "suggestions", "varsam_schema"});
  RawDb audit(PartFile(dir.Store(), Part::kAudit));
  CHECK(audit.Column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") ==
        std::vector<std::string>{"checkpoints", "events", "varsam_schema"});
}

TEST_CASE("store: sqlite: audit rows cannot be updated or deleted, even with SQL", "[store]") {
  TempDir dir;
  {
    std::unique_ptr<Store> store = OpenOrFail(dir.Store());
    REQUIRE(store->AppendAuditBatch(std::vector<std::string>{"one", "two"}).ok());
    REQUIRE(store->AppendCheckpoint({2, "head"}).ok());
  }
  RawDb db(PartFile(dir.Store(), Part::kAudit));
  CHECK(db.Exec("UPDATE events SET payload = x'00' WHERE seq = 1") != SQLITE_OK);
  CHECK(db.Exec("DELETE FROM events WHERE seq = 2") != SQLITE_OK);
  CHECK(db.Exec("UPDATE checkpoints SET seq = 1") != SQLITE_OK);
  CHECK(db.Exec("DELETE FROM checkpoints") != SQLITE_OK);
  CHECK(db.Exec("INSERT INTO events (seq, payload) VALUES (5, x'00')") != SQLITE_OK);  // a gap
  CHECK(db.Column("SELECT count(*) FROM events") == std::vector<std::string>{"2"});
  CHECK(db.Column("SELECT payload FROM events WHERE seq = 1") == std::vector<std::string>{"one"});
  CHECK(db.Column("SELECT count(*) FROM checkpoints") == std::vector<std::string>{"1"});
}

// ---- SQLite: batches that fail inside the database --------------------------------------------

// A trigger planted in the file makes the database itself refuse one row in the middle of a
// batch, after the rows before it went in: the whole batch must roll back.
TEST_CASE("store: sqlite: a batch the database refuses mid-way rolls back whole", "[store]") {
  TempDir dir;
  REQUIRE(Store::Init(dir.Store()).ok());
  {
    RawDb audit(PartFile(dir.Store(), Part::kAudit));
    REQUIRE(audit.Exec("CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.payload = "
                       "CAST('poison' AS BLOB) BEGIN SELECT RAISE(ABORT, 'poisoned'); END") ==
            SQLITE_OK);
    RawDb reg(PartFile(dir.Store(), Part::kRegister));
    REQUIRE(reg.Exec("CREATE TRIGGER poison BEFORE INSERT ON episodes WHEN NEW.record_key = 4242 "
                     "BEGIN SELECT RAISE(ABORT, 'poisoned'); END") == SQLITE_OK);
    REQUIRE(reg.Exec("CREATE TRIGGER poison_m BEFORE INSERT ON measurements WHEN "
                     "NEW.record_key = 4242 BEGIN SELECT RAISE(ABORT, 'poisoned'); END") ==
            SQLITE_OK);
  }
  std::unique_ptr<Store> store = OpenOrFail(dir.Store());
  REQUIRE(store->AppendAudit("before").ok());

  const std::vector<std::string> payloads = {"a", "b", "c", "poison", "e"};
  CHECK(!store->AppendAuditBatch(payloads).ok());
  CHECK(RequireSeq(store->LastAuditSeq()) == 1);
  CHECK(RequireSeq(store->AppendAudit("after")) == 2);  // no gap left behind

  std::vector<EpisodeRow> episodes;
  for (int i = 0; i < 10; ++i) episodes.push_back(Episode(i));
  episodes[6].record_key = 4242;
  CHECK(!store->AppendEpisodes(episodes).ok());
  CHECK(RequireSeq(store->CountEpisodes({})) == 0);

  std::vector<RegisterMeasurementRow> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(RegisterMeasurement(i));
  rows[8].record_key = 4242;
  CHECK(!store->AppendRegisterMeasurements(rows).ok());
  CHECK(Rows(*store, Part::kRegister, "measurements") == 0);
}

// ---- SQLite: opening, migrations, refusals ----------------------------------------------------

TEST_CASE("store: sqlite: an older store is migrated forward on open", "[store]") {
  TempDir dir;
  fs::create_directories(dir.Store());
  for (Part part : {Part::kJournal, Part::kRegister, Part::kAudit}) {
    RawDb db(PartFile(dir.Store(), part));
    REQUIRE(db.Exec("CREATE TABLE varsam_schema (part TEXT, version INTEGER)") == SQLITE_OK);
    REQUIRE(db.Exec(Cat({"INSERT INTO varsam_schema VALUES ('", PartName(part), "', 0)"})) ==
            SQLITE_OK);
  }
  StoreOptions options;
  options.create = false;
  std::unique_ptr<Store> store = OpenOrFail(dir.Store(), options);
  auto info = store->Info();
  REQUIRE(info.ok());
  for (const PartInfo& p : info->parts) CHECK(p.schema_version == kSchemaVersion);
  REQUIRE(store->AppendEpisodes(std::vector<EpisodeRow>{Episode(1)}).ok());
  REQUIRE(store->AppendAudit("migrated").ok());
  REQUIRE(store->AppendMeasurements(std::vector<Measurement>{JournalMeasurement(1)}).ok());
  store.reset();
  for (Part part : {Part::kJournal, Part::kRegister, Part::kAudit}) {
    RawDb db(PartFile(dir.Store(), part));
    CHECK(db.Column("SELECT version FROM varsam_schema") ==
          std::vector<std::string>{std::to_string(kSchemaVersion)});
    CHECK(db.Column("PRAGMA journal_mode") == std::vector<std::string>{"wal"});
  }
}

// ---- SQLite: the vocabulary columns, and schema version 1 ---------------------------------------

// The set of `probes` the file of `column`'s part takes in `column`, written past varsam.
template <typename Column>
std::set<std::string> SqliteTakes(const std::string& store, const Column& column,
                                  const std::vector<std::string>& probes) {
  RawDb db(PartFile(store, column.part));
  std::set<std::string> taken;
  for (const std::string& value : probes) {
    REQUIRE(db.Exec("BEGIN") == SQLITE_OK);
    if (db.Exec(varsam::testing::ConstrainedInsert(column, "", value)) == SQLITE_OK) {
      taken.insert(value);
    }
    REQUIRE(db.Exec("ROLLBACK") == SQLITE_OK);
  }
  return taken;
}

// The probes the tables of rows.h, and the library's field checks, take in `column`.
template <typename Column>
std::pair<std::set<std::string>, std::set<std::string>> TableAndLibraryTake(
    const Column& column, const std::vector<std::string>& probes) {
  std::pair<std::set<std::string>, std::set<std::string>> taken;
  for (const std::string& value : probes) {
    if (varsam::testing::TableAccepts(column, value)) taken.first.insert(value);
    if (varsam::testing::LibraryAccepts(column, value)) taken.second.insert(value);
  }
  return taken;
}

// Every generated constraint is in the files under its name, and each column takes exactly the
// set rows.h gives it: a vocabulary column the same set as the library's field checks, a form
// column everything the library takes and what else has the form (store_postgres_test.cc holds
// PostgreSQL's tables to the same sets).
TEST_CASE("store: sqlite: every vocabulary and form column takes the set rows.h gives it",
          "[store]") {
  TempDir dir;
  REQUIRE(Store::Init(dir.Store()).ok());
  for (const internal::GeneratedCheck& check :
       internal::GeneratedChecks(internal::Dialect::kSqlite)) {
    INFO(Cat({PartName(check.part), ".", check.table, ".", check.column}));
    RawDb db(PartFile(dir.Store(), check.part));
    const std::vector<std::string> definition = db.Column(
        Cat({"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '", check.table, "'"}));
    REQUIRE(definition.size() == 1);
    CHECK(definition[0].find(Cat({"CONSTRAINT ", check.name, " CHECK (", check.condition, ")"})) !=
          std::string::npos);
  }
  const std::vector<std::string> probes = varsam::testing::VocabularyProbes();
  for (const internal::VocabularyColumn& column : internal::VocabularyColumns()) {
    INFO(Cat({PartName(column.part), ".", column.table, ".", column.column}));
    const auto [table, library] = TableAndLibraryTake(column, probes);
    CHECK(SqliteTakes(dir.Store(), column, probes) == table);
    CHECK(library == table);
    CHECK(!table.empty());
    CHECK(table.size() < probes.size());
  }
  const std::vector<std::string> form_probes = varsam::testing::FormProbes();
  for (const internal::FormColumn& column : internal::FormColumns()) {
    INFO(Cat({PartName(column.part), ".", column.table, ".", column.column}));
    const auto [table, library] = TableAndLibraryTake(column, form_probes);
    CHECK(SqliteTakes(dir.Store(), column, form_probes) == table);
    CHECK(std::includes(table.begin(), table.end(), library.begin(), library.end()));
    CHECK(!library.empty());
    CHECK(table.size() < form_probes.size());
  }
}

// A store as the varsam of schema version 1 made it (internal::InitSqlite runs version 1's
// steps, which never change), with rows written into it, opens at version 2: the rows are
// there, the indexes too, and the columns version 1 held loosely (region to two characters,
// periods to their lengths, outcome, the codes and age bands not at all) now refuse what the
// vocabularies and forms do not hold.
TEST_CASE("store: sqlite: a store of schema version 1 migrates, keeping its rows", "[store]") {
  TempDir dir;
  REQUIRE(internal::InitSqlite(dir.Store(), 1).ok());
  const std::string pseudonym = Pseudonym(1);
  const std::string episode_columns =
      "INSERT INTO episodes (pseudonym, key_epoch, age_band, sex, region, case_kind, "
      "intervention, start_period, end_period, outcome, record_key) VALUES ";
  {
    RawDb journal(PartFile(dir.Store(), Part::kJournal));
    CHECK(journal.Column("SELECT version FROM varsam_schema") == std::vector<std::string>{"1"});
    REQUIRE(journal.Exec("INSERT INTO measurements (id, client_ref, case_ref, case_kind, "
                         "instrument, session, date, responses, total, band, flags) VALUES (41, "
                         "'klient-1', 'arende-1', 'insats', 'phq9', 2, '2026-03-01', "
                         "'[1,null,2.5]', 3.5, 'mild', '[\"prorated\"]')") == SQLITE_OK);
    REQUIRE(journal.Exec("INSERT INTO suggestions VALUES ('s-1', 'klient-1', 'arende-1', 'flag', "
                         "'2026-03-02', '{}')") == SQLITE_OK);
    REQUIRE(journal.Exec("INSERT INTO decisions VALUES (5, 's-1', 'handl-17', 'handlaggare', "
                         "'accepted', 'ok', '2026-03-03')") == SQLITE_OK);
    RawDb reg(PartFile(dir.Store(), Part::kRegister));
    // Version 1 took a region of two characters, any age band and any outcome.
    REQUIRE(reg.Exec("BEGIN") == SQLITE_OK);
    CHECK(reg.Exec(Cat({episode_columns, "('", pseudonym,
                        "', 1, 'Anna', '', '99', 'insats', '', '2026', '', 'cured', 9)"})) ==
          SQLITE_OK);
    REQUIRE(reg.Exec("ROLLBACK") == SQLITE_OK);
    REQUIRE(reg.Exec(Cat({episode_columns, "('", pseudonym,
                          "', 1, '25-34', 'female', '01', 'insats', 'annat', '2026-Q1', '', "
                          "'improved', -2), ('",
                          pseudonym,
                          "', 2, '65+', '', '', 'utredning', '', '2026', '2026-11', "
                          "'', 3)"})) == SQLITE_OK);
    REQUIRE(reg.Exec(Cat({"INSERT INTO measurements VALUES ('", pseudonym,
                          "', 1, 'ors', 1, '2026-03', 19.25, '', 4)"})) == SQLITE_OK);
    RawDb audit(PartFile(dir.Store(), Part::kAudit));
    REQUIRE(audit.Exec("INSERT INTO events VALUES (1, x'6f6e65')") == SQLITE_OK);
  }

  StoreOptions existing;
  existing.create = false;
  std::unique_ptr<Store> store = OpenOrFail(dir.Store(), existing);
  auto info = store->Info();
  REQUIRE(info.ok());
  for (const PartInfo& p : info->parts) CHECK(p.schema_version == kSchemaVersion);
  const std::vector<Measurement> measurements = AllMeasurements(*store);
  REQUIRE(measurements.size() == 1);
  CHECK(measurements[0].id == 41);
  CHECK(measurements[0].case_kind == "insats");
  REQUIRE(measurements[0].responses.size() == 3);
  CHECK(std::isnan(measurements[0].responses[1]));
  CHECK(measurements[0].flags == std::vector<std::string>{"prorated"});
  std::vector<Decision> decisions;
  REQUIRE(store
              ->ForEachDecision("s-1",
                                [&](const Decision& d) {
                                  decisions.push_back(d);
                                  return true;
                                })
              .ok());
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].id == 5);
  std::vector<EpisodeRow> episodes;
  REQUIRE(store
              ->ForEachEpisode({},
                               [&](const EpisodeRow& e) {
                                 episodes.push_back(e);
                                 return true;
                               })
              .ok());
  REQUIRE(episodes.size() == 2);  // in the order they were written
  CHECK(episodes[0].intervention == "annat");
  CHECK(episodes[0].outcome == "improved");
  CHECK(episodes[0].record_key == std::uint64_t{0xFFFFFFFFFFFFFFFE});
  CHECK(episodes[1].case_kind == "utredning");
  CHECK(episodes[1].end_period == "2026-11");
  CHECK(Rows(*store, Part::kRegister, "measurements") == 1);
  CHECK(AllEvents(*store).size() == 1);
  REQUIRE(store->AppendEpisodes(std::vector<EpisodeRow>{Episode(3)}).ok());
  REQUIRE(store->AppendMeasurements(std::vector<Measurement>{JournalMeasurement(1)}).ok());
  store.reset();

  RawDb reg(PartFile(dir.Store(), Part::kRegister));
  CHECK(reg.Column("SELECT version FROM varsam_schema") ==
        std::vector<std::string>{std::to_string(kSchemaVersion)});
  CHECK(reg.Column("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name") ==
        std::vector<std::string>{"measurements_by_instrument", "releases_by_organisation_period"});
  for (const char* values : {"', 1, '25-34', '', '99', 'insats', '', '2026', '', '', 9)",
                             "', 1, '25-34', '', '', 'insats', '', '2026', '', 'cured', 9)",
                             "', 1, '25-34', '', '', 'insats', 'Annat insats', '2026', '', '', 9)",
                             "', 1, 'Anna', '', '', 'insats', '', '2026', '', '', 9)",
                             "', 1, '25-34', '', '', 'insats', '', '2026-13', '', '', 9)"}) {
    INFO(values);
    CHECK(reg.Exec(Cat({episode_columns, "('", pseudonym, values})) != SQLITE_OK);
  }
  CHECK(reg.Exec(Cat({"INSERT INTO measurements VALUES ('", pseudonym,
                      "', 1, 'PHQ-9', 1, '2026-03', 1, '', 4)"})) != SQLITE_OK);
  CHECK(reg.Column("SELECT count(*) FROM episodes") == std::vector<std::string>{"3"});
  RawDb journal(PartFile(dir.Store(), Part::kJournal));
  CHECK(journal.Column("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                       "'measurements' ORDER BY name") ==
        std::vector<std::string>{"measurements_by_case", "measurements_by_client",
                                 "measurements_by_date"});
}

// A version 1 register holding a row that version 2 refuses (written past varsam: varsam's
// checks never let one in) is not migrated: the open fails naming the constraint, never the
// value, and the file keeps its version and its rows.
TEST_CASE("store: sqlite: a version 1 row outside the vocabularies stops the migration",
          "[store]") {
  TempDir dir;
  REQUIRE(internal::InitSqlite(dir.Store(), 1).ok());
  {
    RawDb reg(PartFile(dir.Store(), Part::kRegister));
    REQUIRE(reg.Exec(Cat({"INSERT INTO episodes VALUES ('", Pseudonym(1),
                          "', 1, '25-34', '', '01', 'insats', '', '2026', '', 'cured', 9)"})) ==
            SQLITE_OK);
  }
  auto store = Store::Open(dir.Store());
  REQUIRE(!store.ok());
  CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(store.status().message()), Catch::Contains("episodes_outcome_check"));
  CHECK(std::string(store.status().message()).find("cured") == std::string::npos);
  RawDb reg(PartFile(dir.Store(), Part::kRegister));
  CHECK(reg.Column("SELECT version FROM varsam_schema") == std::vector<std::string>{"1"});
  CHECK(reg.Column("SELECT outcome FROM episodes") == std::vector<std::string>{"cured"});
}

// A store of schema version 2 (before the models table) opens at the current version with its
// rows, and takes models; the database holds the models table to its checks past varsam too.
TEST_CASE("store: sqlite: a store of schema version 2 migrates, gaining the models table",
          "[store]") {
  TempDir dir;
  REQUIRE(internal::InitSqlite(dir.Store(), 2).ok());
  {
    RawDb reg(PartFile(dir.Store(), Part::kRegister));
    CHECK(reg.Column("SELECT version FROM varsam_schema") == std::vector<std::string>{"2"});
    CHECK(reg.Column("SELECT name FROM sqlite_master WHERE name = 'models'").empty());
    REQUIRE(reg.Exec(Cat({"INSERT INTO episodes VALUES ('", Pseudonym(1),
                          "', 1, '25-34', '', '01', 'insats', '', '2026', '', 'improved', 9)"})) ==
            SQLITE_OK);
  }
  StoreOptions existing;
  existing.create = false;
  std::unique_ptr<Store> store = OpenOrFail(dir.Store(), existing);
  auto info = store->Info();
  REQUIRE(info.ok());
  for (const PartInfo& p : info->parts) CHECK(p.schema_version == kSchemaVersion);
  CHECK(Rows(*store, Part::kRegister, "episodes") == 1);
  REQUIRE(store->PutModel(MakeModel(5, "2026-07-01T00:00:00Z")).ok());
  CHECK(store->GetModel(MakeModel(5, "").id).ok());
  store.reset();
  RawDb reg(PartFile(dir.Store(), Part::kRegister));
  CHECK(reg.Column("SELECT version FROM varsam_schema") ==
        std::vector<std::string>{std::to_string(kSchemaVersion)});
  for (const char* values :
       {"('0123', '" /* short id */, "('0000000000000000000000000000000X', '"}) {
    INFO(values);
    CHECK(reg.Exec(Cat({"INSERT INTO models VALUES ", values, std::string(64, 'a'),
                        "', 'register_trained', 'x', '2026-07-01T00:00:00Z', '{}')"})) !=
          SQLITE_OK);
  }
  CHECK(reg.Exec(Cat({"INSERT INTO models VALUES ('", std::string(32, 'b'), "', '",
                      std::string(64, 'a'), "', 'oracle', 'x', '2026-07-01T00:00:00Z', '{}')"})) !=
        SQLITE_OK);
  CHECK(reg.Column("SELECT count(*) FROM models") == std::vector<std::string>{"1"});
}

// A store of schema version 3, whose models table listed two kinds in its own CHECK, opens at
// version 4 with its model and its rows: the table rebuilt with the generated constraint on
// kind (rows.h), which takes "etr" and still refuses a kind no list holds, past varsam too; the
// other checks of the table, its options and the register's indexes stay.
TEST_CASE("store: sqlite: a store of schema version 3 migrates, its models taking etr", "[store]") {
  TempDir dir;
  REQUIRE(internal::InitSqlite(dir.Store(), 3).ok());
  const StoredModel kept = MakeModel(4, "2026-06-01T08:00:00Z");
  const std::string model_columns =
      "INSERT INTO models (id, sha256, kind, title, created, model_json) VALUES ";
  const auto model_values = [](std::string_view id, std::string_view kind) {
    return Cat({"('", id, "', '", std::string(64, 'a'), "', '", kind,
                "', 'Förväntad förändring', '2026-07-01T00:00:00Z', '{}')"});
  };
  std::vector<std::string> indexes;
  {
    RawDb reg(PartFile(dir.Store(), Part::kRegister));
    CHECK(reg.Column("SELECT version FROM varsam_schema") == std::vector<std::string>{"3"});
    // Version 3 took the two kinds of varsam/models.h only.
    CHECK(reg.Exec(Cat({model_columns, model_values(std::string(32, 'b'), "etr")})) != SQLITE_OK);
    REQUIRE(reg.Exec(Cat({model_columns, "('", kept.id, "', '", kept.sha256, "', '", kept.kind,
                          "', '", kept.title, "', '", kept.created, "', '", kept.model_json,
                          "')"})) == SQLITE_OK);
    REQUIRE(reg.Exec(Cat({"INSERT INTO episodes VALUES ('", Pseudonym(1),
                          "', 1, '25-34', '', '01', 'insats', '', '2026', '', 'improved', 9)"})) ==
            SQLITE_OK);
    indexes = reg.Column("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name");
  }

  StoreOptions existing;
  existing.create = false;
  std::unique_ptr<Store> store = OpenOrFail(dir.Store(), existing);
  auto info = store->Info();
  REQUIRE(info.ok());
  for (const PartInfo& p : info->parts) CHECK(p.schema_version == kSchemaVersion);
  CHECK(Rows(*store, Part::kRegister, "episodes") == 1);
  auto got = store->GetModel(kept.id);
  INFO(got.status().message());
  REQUIRE(got.ok());
  CHECK(got->sha256 == kept.sha256);
  CHECK(got->kind == kept.kind);
  CHECK(got->title == kept.title);
  CHECK(got->created == kept.created);
  CHECK(got->model_json == kept.model_json);
  StoredModel etr = MakeModel(9, "2026-07-01T00:00:00Z");
  etr.kind = "etr";
  REQUIRE(store->PutModel(etr).ok());
  CHECK(store->GetModel(etr.id).value_or(StoredModel{}).kind == "etr");
  StoredModel unknown = MakeModel(11, "2026-07-01T00:00:00Z");
  unknown.kind = "oracle";
  CHECK(store->PutModel(unknown).code() == absl::StatusCode::kInvalidArgument);
  CHECK(Rows(*store, Part::kRegister, "models") == 2);
  store.reset();

  for (Part part : {Part::kJournal, Part::kRegister, Part::kAudit}) {
    RawDb db(PartFile(dir.Store(), part));
    CHECK(db.Column("SELECT version FROM varsam_schema") ==
          std::vector<std::string>{std::to_string(kSchemaVersion)});
  }
  RawDb reg(PartFile(dir.Store(), Part::kRegister));
  const std::vector<std::string> definition =
      reg.Column("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'models'");
  REQUIRE(definition.size() == 1);
  const internal::VocabularyColumn& kind =
      internal::VocabularyColumnOf(Part::kRegister, "models", "kind");
  CHECK_THAT(
      definition[0],
      Catch::Contains(Cat({"CONSTRAINT models_kind_check CHECK (",
                           internal::VocabularyCheck(kind, internal::Dialect::kSqlite), ")"})));
  CHECK_THAT(definition[0], Catch::EndsWith("STRICT, WITHOUT ROWID"));
  // The indexes of the tables version 3 had are those it had (version 5 adds the releases').
  CHECK(reg.Column("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name <> "
                   "'releases' ORDER BY name") == indexes);
  CHECK(reg.Column("SELECT name FROM sqlite_master WHERE name LIKE 'varsam_rebuild%'").empty());
  // Past varsam: another "etr" is taken, a kind no list holds is refused by the new constraint,
  // and the checks the table had on its other columns are still there.
  CHECK(reg.Exec(Cat({model_columns, model_values(std::string(32, 'e'), "etr")})) == SQLITE_OK);
  for (const std::string_view other : {"oracle", "ETR", ""}) {
    INFO(other);
    CHECK(reg.Exec(Cat({model_columns, model_values(std::string(32, 'f'), other)})) != SQLITE_OK);
  }
  CHECK(reg.Exec(Cat({model_columns, model_values("0123", "etr")})) != SQLITE_OK);
  CHECK(reg.Column("SELECT id FROM models ORDER BY id") ==
        std::vector<std::string>{kept.id, etr.id, std::string(32, 'e')});
}

// A store of schema version 4 (before the releases table) opens at version 5 with its rows and
// its model, and keeps releases; the table's own checks and its (organisation, period) index are
// in the file, and refuse what varsam would not write, past varsam too.
TEST_CASE("store: sqlite: a store of schema version 4 migrates, gaining the releases table",
          "[store]") {
  TempDir dir;
  REQUIRE(internal::InitSqlite(dir.Store(), 4).ok());
  const StoredModel kept = MakeModel(4, "2026-06-01T08:00:00Z");
  {
    RawDb reg(PartFile(dir.Store(), Part::kRegister));
    CHECK(reg.Column("SELECT version FROM varsam_schema") == std::vector<std::string>{"4"});
    CHECK(reg.Column("SELECT name FROM sqlite_master WHERE name = 'releases'").empty());
    REQUIRE(reg.Exec(Cat({"INSERT INTO models (id, sha256, kind, title, created, model_json) "
                          "VALUES ('",
                          kept.id, "', '", kept.sha256, "', 'etr', '", kept.title, "', '",
                          kept.created, "', '", kept.model_json, "')"})) == SQLITE_OK);
    REQUIRE(reg.Exec(Cat({"INSERT INTO episodes VALUES ('", Pseudonym(1),
                          "', 1, '25-34', '', '01', 'insats', '', '2026', '', 'improved', 9)"})) ==
            SQLITE_OK);
    RawDb audit(PartFile(dir.Store(), Part::kAudit));
    REQUIRE(audit.Exec("INSERT INTO events VALUES (1, x'00ff')") == SQLITE_OK);
  }

  StoreOptions existing;
  existing.create = false;
  std::unique_ptr<Store> store = OpenOrFail(dir.Store(), existing);
  auto info = store->Info();
  REQUIRE(info.ok());
  for (const PartInfo& p : info->parts) CHECK(p.schema_version == kSchemaVersion);
  CHECK(Rows(*store, Part::kRegister, "episodes") == 1);
  CHECK(Rows(*store, Part::kRegister, "releases") == 0);
  CHECK(RequireSeq(store->LastAuditSeq()) == 1);
  auto got = store->GetModel(kept.id);
  INFO(got.status().message());
  REQUIRE(got.ok());
  CHECK(got->kind == "etr");
  CHECK(got->model_json == kept.model_json);
  const Release release = MakeRelease(1, "0180", "uppfoljning", "2026-12", 7, 0.5);
  REQUIRE(store->PutRelease(release, {10, 1}).ok());
  CHECK(store->PutRelease(MakeRelease(2, "0180", "uppfoljning", "2026-12", 4, 0), {10, 1}).code() ==
        absl::StatusCode::kResourceExhausted);
  const std::vector<Release> read = AllReleases(*store, "0180", "uppfoljning", "2026-12");
  REQUIRE(read.size() == 1);
  CHECK(read[0].query_json == release.query_json);
  CHECK(read[0].epsilon == 0.5);
  store.reset();

  for (Part part : {Part::kJournal, Part::kRegister, Part::kAudit}) {
    RawDb db(PartFile(dir.Store(), part));
    CHECK(db.Column("SELECT version FROM varsam_schema") ==
          std::vector<std::string>{std::to_string(kSchemaVersion)});
  }
  RawDb reg(PartFile(dir.Store(), Part::kRegister));
  CHECK_THAT(reg.Column("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                        "name = 'releases'")
                 .at(0),
             Catch::EndsWith("STRICT, WITHOUT ROWID"));
  CHECK(reg.Column("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                   "'releases'") == std::vector<std::string>{"releases_by_organisation_period"});
  CHECK(reg.Column("PRAGMA index_info(releases_by_organisation_period)", 2) ==
        std::vector<std::string>{"organisation", "period"});
  // Past varsam: a row varsam would write is taken, and one breaking any rule refused.
  const auto insert = [](std::string_view id, std::string_view organisation,
                         std::string_view period, std::string_view cells,
                         std::string_view epsilon) {
    return Cat({"INSERT INTO releases VALUES ('", id, "', '", organisation, "', 'uppfoljning', '",
                period, "', '2026-12-05T10:00:00Z', '{}', ", cells, ", ", epsilon, ")"});
  };
  const std::string id(32, 'e');
  CHECK(reg.Exec(insert(id, "0180", "2026-12", "3", "0.25")) == SQLITE_OK);
  CHECK(reg.Exec(insert(id, "0180", "2026-12", "3", "0.25")) != SQLITE_OK);  // the id is taken
  for (const std::string& bad :
       {insert("0123", "0180", "2026-12", "3", "0.25"),
        insert(std::string(32, 'E'), "0180", "2026-12", "3", "0.25"),
        insert(std::string(32, 'f'), "", "2026-12", "3", "0.25"),
        insert(std::string(32, 'f'), std::string(201, 'k'), "2026-12", "3", "0.25"),
        insert(std::string(32, 'f'), "0180", "2026-13", "3", "0.25"),
        insert(std::string(32, 'f'), "0180", "2026-Q4", "3", "0.25"),
        insert(std::string(32, 'f'), "0180", "2026-12", "-1", "0.25"),
        insert(std::string(32, 'f'), "0180", "2026-12", "3", "-0.25"),
        insert(std::string(32, 'f'), "0180", "2026-12", "3", "9e999"),
        insert(std::string(32, 'f'), "0180", "2026-12", "3", "NULL"),
        insert(std::string(32, 'f'), "0180", "2026-12", "'three'", "0.25")}) {
    INFO(bad);
    CHECK(reg.Exec(bad) != SQLITE_OK);
  }
  CHECK(reg.Column("SELECT count(*) FROM releases") == std::vector<std::string>{"2"});
}

TEST_CASE("store: sqlite: a store newer than this library is refused, naming the version",
          "[store]") {
  TempDir dir;
  REQUIRE(Store::Init(dir.Store()).ok());
  const std::string newer = std::to_string(kSchemaVersion + 1);
  {
    RawDb db(PartFile(dir.Store(), Part::kRegister));
    REQUIRE(db.Exec(Cat({"UPDATE varsam_schema SET version = ", newer})) == SQLITE_OK);
  }
  auto store = Store::Open(dir.Store());
  REQUIRE(!store.ok());
  CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store.status().message().find("register") != std::string_view::npos);
  CHECK(store.status().message().find(Cat({"version ", newer})) != std::string_view::npos);
  // Nothing was changed by the refusal.
  RawDb db(PartFile(dir.Store(), Part::kRegister));
  CHECK(db.Column("SELECT version FROM varsam_schema") == std::vector<std::string>{newer});
}

TEST_CASE("store: sqlite: a missing store is NotFound unless it may be created", "[store]") {
  TempDir dir;
  StoreOptions no_create;
  no_create.create = false;
  auto missing = Store::Open(dir.Store(), no_create);
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(missing.status().message().find(dir.path()) == std::string_view::npos);
  CHECK(!fs::exists(dir.Store()));

  // A directory with only some of the files is not a store either.
  fs::create_directories(dir.Store());
  { RawDb journal(PartFile(dir.Store(), Part::kJournal)); }
  CHECK(Store::Open(dir.Store(), no_create).status().code() == absl::StatusCode::kNotFound);

  REQUIRE(Store::Init(dir.Store()).ok());
  REQUIRE(Store::Init(dir.Store()).ok());
  for (Part part : {Part::kJournal, Part::kRegister, Part::kAudit}) {
    CHECK(fs::exists(PartFile(dir.Store(), part)));
  }
  CHECK(Store::Open(dir.Store(), no_create).ok());
  CHECK(Store::Open("").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("store: sqlite: swapped files and files that are not databases are refused", "[store]") {
  TempDir dir;
  REQUIRE(Store::Init(dir.Store()).ok());
  fs::copy_file(PartFile(dir.Store(), Part::kJournal), PartFile(dir.Store(), Part::kRegister),
                fs::copy_options::overwrite_existing);
  auto swapped = Store::Open(dir.Store());
  CHECK(swapped.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(swapped.status().message().find("register.db") != std::string_view::npos);

  TempDir other;
  REQUIRE(Store::Init(other.Store()).ok());
  {
    std::FILE* f = std::fopen(PartFile(other.Store(), Part::kAudit).c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto junk = Store::Open(other.Store());
  CHECK(junk.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("store: sqlite: a writer held elsewhere past the busy timeout is Unavailable",
          "[store]") {
  TempDir dir;
  StoreOptions options;
  options.busy_timeout_ms = 50;
  std::unique_ptr<Store> store = OpenOrFail(dir.Store(), options);
  REQUIRE(store->AppendAudit("one").ok());
  {
    RawDb other(PartFile(dir.Store(), Part::kAudit));  // another process would do the same
    REQUIRE(other.Exec("BEGIN IMMEDIATE") == SQLITE_OK);
    auto busy = store->AppendAudit("two");
    CHECK(busy.status().code() == absl::StatusCode::kUnavailable);
    CHECK(RequireSeq(store->LastAuditSeq()) == 1);  // readers are not blocked
    REQUIRE(other.Exec("COMMIT") == SQLITE_OK);
  }
  CHECK(RequireSeq(store->AppendAudit("two")) == 2);
}

TEST_CASE("store: sqlite: a read callback may call the store", "[store]") {
  TempDir dir;
  std::unique_ptr<Store> store = OpenOrFail(dir.Store());
  std::vector<EpisodeRow> episodes;
  for (int i = 0; i < 5; ++i) episodes.push_back(Episode(i));
  REQUIRE(store->AppendEpisodes(episodes).ok());
  int seen = 0;
  REQUIRE(store
              ->ForEachEpisode({},
                               [&](const EpisodeRow&) {
                                 ++seen;
                                 // A read and a write on the same part from inside the read.
                                 auto count = store->CountEpisodes({});
                                 auto seq = store->AppendAudit("seen one");
                                 return count.ok() && *count >= 5 && seq.ok() &&
                                        store->AppendEpisodes(std::vector<EpisodeRow>{}).ok();
                               })
              .ok());
  CHECK(seen == 5);
  CHECK(RequireSeq(store->LastAuditSeq()) == 5);
}

// ---- Crash consistency ------------------------------------------------------------------------

// Writes all of `value`'s bytes to `fd`; false when the pipe is gone.
bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child: appends audit events (singles and batches) for ever, writing each acknowledged
// seq to `fd`. Never returns into the test runner.
[[noreturn]] void AppendUntilKilled(const std::string& location, int fd) {
  auto store = Store::Open(location);
  if (!store.ok()) _exit(2);
  std::int64_t next = 1;
  for (int i = 0;; ++i) {
    absl::StatusOr<std::int64_t> acked;
    if (i % 4 == 3) {
      const std::vector<std::string> batch = {Cat({"crash event ", std::to_string(next)}),
                                              Cat({"crash event ", std::to_string(next + 1)}),
                                              Cat({"crash event ", std::to_string(next + 2)})};
      acked = (*store)->AppendAuditBatch(batch);
    } else {
      acked = (*store)->AppendAudit(Cat({"crash event ", std::to_string(next)}));
    }
    if (!acked.ok()) _exit(3);
    const std::int64_t seq = *acked;
    if (!WriteAll(fd, &seq, sizeof seq)) _exit(4);
    next = seq + 1;
  }
}

TEST_CASE("store: acknowledged audit appends survive SIGKILL and the store opens", "[store]") {
  ForEachLocation([](const std::string& location, std::string_view backend) {
    if (backend == "sqlite") REQUIRE(Store::Init(location).ok());
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    // Nothing of the store is open in this process when it forks.
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(fds[0]);
      AppendUntilKilled(location, fds[1]);
    }
    close(fds[1]);
    std::vector<std::int64_t> acks;
    auto read_ack = [&]() {
      std::int64_t seq = 0;
      size_t got = 0;
      while (got < sizeof seq) {
        const ssize_t n = read(fds[0], reinterpret_cast<char*>(&seq) + got, sizeof seq - got);
        if (n <= 0) return false;
        got += static_cast<size_t>(n);
      }
      acks.push_back(seq);
      return true;
    };
    while (acks.size() < 300 && read_ack()) {
    }
    kill(child, SIGKILL);
    while (read_ack()) {  // acknowledgements still in the pipe count too
    }
    close(fds[0]);
    int wstatus = 0;
    REQUIRE(waitpid(child, &wstatus, 0) == child);
    INFO("the child must die of the SIGKILL, not of an error (exit code "
         << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1) << ")");
    REQUIRE(WIFSIGNALED(wstatus));
    CHECK(WTERMSIG(wstatus) == SIGKILL);
    REQUIRE(acks.size() >= 300);

    std::unique_ptr<Store> store = OpenOrFail(location);
    const std::int64_t last = RequireSeq(store->LastAuditSeq());
    CHECK(last >= acks.back());
    CHECK(std::is_sorted(acks.begin(), acks.end()));
    const std::vector<AuditEvent> events = AllEvents(*store);
    REQUIRE(static_cast<std::int64_t>(events.size()) == last);
    for (size_t i = 0; i < events.size(); ++i) {
      CHECK(events[i].seq == static_cast<std::int64_t>(i) + 1);
      CHECK(events[i].payload == Cat({"crash event ", std::to_string(events[i].seq)}));
    }
    // And the store takes appends again, right after the last event.
    CHECK(RequireSeq(store->AppendAudit("after the crash")) == last + 1);
  });
}

}  // namespace
