// The PostgreSQL store's own guarantees, tested against a real server (tag [postgres]): the
// database itself keeps the parts apart (the register role cannot read the journal, the journal
// role cannot read the register) and refuses everyone, the owner and a superuser included,
// UPDATE, DELETE and TRUNCATE on audit rows. The shared suite (store_test.cc) covers the
// Store interface on both backends.
//
// These tests need VARSAM_TEST_POSTGRES_ADMIN_URI: CTest runs them under scripts/with-postgres
// ("postgresql: role separation"), where a server that does not start fails the run. In a plain
// run without a server they return early with a warning.

#include <libpq-fe.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backends.h"
#include "postgres_test_support.h"
#include "rows.h"
#include "store_vocabulary_probe.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::store {
namespace {

constexpr const char* kNoServer =
    "VARSAM_TEST_POSTGRES_ADMIN_URI is not set: PostgreSQL test not run here (CTest runs it "
    "under scripts/with-postgres)";

// A raw libpq session on a store's database, as the URI's (superuser) login.
class Session {
 public:
  explicit Session(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {
    REQUIRE(PQstatus(conn_) == CONNECTION_OK);
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~Session() { PQfinish(conn_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs fixed SQL; "" when it succeeded, otherwise its SQLSTATE.
  std::string Run(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType s = PQresultStatus(r);
    std::string state;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
      const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      state = code == nullptr ? "no-sqlstate" : code;
    }
    PQclear(r);
    return state;
  }

  // The first column of the first row.
  std::string Value(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string value;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) value = PQgetvalue(r, 0, 0);
    PQclear(r);
    return value;
  }

  // Runs `sql` acting as `role` in a transaction that is rolled back; its SQLSTATE or "".
  std::string RunAs(const std::string& role, const std::string& sql) {
    REQUIRE(Run("BEGIN").empty());
    if (!role.empty()) REQUIRE(Run(Cat({"SET LOCAL ROLE ", role})).empty());
    std::string state = Run(sql);
    REQUIRE(Run("ROLLBACK").empty());
    return state;
  }

 private:
  PGconn* conn_;
};

std::string Pseudonym(int n) {
  std::string p = "p1_";
  const std::string digits = std::to_string(n);
  p += std::string(43 - digits.size(), 'A');
  p += digits;
  return p;
}

Measurement SampleMeasurement(int n) {
  Measurement m;
  m.client_ref = Cat({"client-", std::to_string(n)});
  m.case_ref = "case-1";
  m.case_kind = "insats";
  m.instrument = "phq9";
  m.session = n;
  m.date = Date(2026, 3, 1 + n);
  m.responses = {1, 2, std::nan(""), 0, 3, 1, 0, 2, 0};
  m.total = 9.5;
  m.band = "mild";
  m.flags = {"item9_positive"};
  return m;
}

EpisodeRow SampleEpisode(int n) {
  EpisodeRow e;
  e.pseudonym = Pseudonym(n);
  e.key_epoch = 1;
  e.age_band = "25-34";
  e.sex = n % 2 == 0 ? "female" : "male";
  e.region = "01";
  e.case_kind = "insats";
  e.intervention = "missbruk_oppenvard";
  e.start_period = "2026-Q1";
  e.end_period = "";
  e.outcome = "improved";
  e.record_key = 0x9000000000000000ULL + static_cast<std::uint64_t>(n);  // above INT64_MAX
  return e;
}

RegisterMeasurementRow SampleRegisterMeasurement(int n) {
  RegisterMeasurementRow m;
  m.pseudonym = Pseudonym(n);
  m.key_epoch = 1;
  m.instrument = "ors";
  m.session = n;
  m.period = "2026-03";
  m.total = 19.25 + n;
  m.band = "";
  m.record_key = static_cast<std::uint64_t>(n) + 1;
  return m;
}

std::unique_ptr<Store> OpenOrFail(const std::string& uri) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(uri);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// A store with one row in every table of every part.
void FillEveryTable(Store& store) {
  const Measurement m = SampleMeasurement(1);
  REQUIRE(store.AppendMeasurements({&m, 1}).ok());
  Suggestion s;
  s.id = "s-1";
  s.client_ref = "client-1";
  s.case_ref = "case-1";
  s.kind = "flag";
  s.created = Date(2026, 3, 2);
  s.content_json = R"({"flag":"item9_positive"})";
  REQUIRE(store.PutSuggestion(s).ok());
  Decision d;
  d.suggestion_id = "s-1";
  d.decider = "officer-7";
  d.decider_role = "handlaggare";
  d.decision = "accepted";
  d.rationale = "samtal bokat";
  d.date = Date(2026, 3, 3);
  REQUIRE(store.RecordDecision(d).ok());
  const EpisodeRow e = SampleEpisode(1);
  REQUIRE(store.AppendEpisodes({&e, 1}).ok());
  const RegisterMeasurementRow rm = SampleRegisterMeasurement(1);
  REQUIRE(store.AppendRegisterMeasurements({&rm, 1}).ok());
  REQUIRE(store.AppendAudit("event-1").ok());
  REQUIRE(store.AppendCheckpoint({1, "head-1"}).ok());
  StoredModel model;
  model.id = std::string(32, 'a');
  model.sha256 = std::string(64, 'b');
  model.kind = "etr";
  model.title = "Förväntad förändring";
  model.created = "2026-03-04T10:00:00Z";
  model.model_json = "{}";
  REQUIRE(store.PutModel(model).ok());
  Release release;
  release.id = std::string(32, 'c');
  release.organisation = "0180";
  release.purpose = "uppfoljning";
  release.period = "2026-03";
  release.created = "2026-03-04T10:00:00Z";
  release.query_json = R"({"measure":"episodes"})";
  release.cells = 4;
  release.epsilon = 0.5;
  REQUIRE(store.PutRelease(release, {100, 1}).ok());
}

// Every row a streaming read (`read`, given the callback) hands over.
template <typename Row, typename Read>
std::vector<Row> ReadAll(Read read) {
  std::vector<Row> rows;
  const absl::Status status = read([&](const Row& row) {
    rows.push_back(row);
    return true;
  });
  INFO(status.ToString());
  REQUIRE(status.ok());
  return rows;
}

constexpr const char* kJournalTables[] = {"varsam_journal.measurements",
                                          "varsam_journal.suggestions", "varsam_journal.decisions"};
constexpr const char* kRegisterTables[] = {"varsam_register.episodes",
                                           "varsam_register.measurements", "varsam_register.models",
                                           "varsam_register.releases"};
constexpr const char* kAuditTables[] = {"varsam_audit.events", "varsam_audit.checkpoints"};

TEST_CASE("postgresql: connected as the register role, reading the journal is refused",
          "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  FillEveryTable(*OpenOrFail(*uri));
  Session db(*uri);
  for (const char* table : kJournalTables) {
    INFO(table);
    // The login (a superuser) sees the row; the register role is refused the schema.
    CHECK(db.Value(Cat({"SELECT count(*) FROM ", table})) == "1");
    CHECK(db.RunAs("varsam_register", Cat({"SELECT * FROM ", table})) == "42501");
    CHECK(db.RunAs("varsam_register", Cat({"SELECT count(*) FROM ", table})) == "42501");
    // Nor may it write there.
    CHECK(db.RunAs("varsam_register", Cat({"DELETE FROM ", table})) == "42501");
  }
  // Nor read the audit store; the register's own tables it reads.
  for (const char* table : kAuditTables) {
    CHECK(db.RunAs("varsam_register", Cat({"SELECT * FROM ", table})) == "42501");
  }
  for (const char* table : kRegisterTables) {
    CHECK(db.RunAs("varsam_register", Cat({"SELECT * FROM ", table})).empty());
  }
}

TEST_CASE("postgresql: connected as the journal role, reading the register is refused",
          "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  FillEveryTable(*OpenOrFail(*uri));
  Session db(*uri);
  for (const char* table : kRegisterTables) {
    INFO(table);
    CHECK(db.Value(Cat({"SELECT count(*) FROM ", table})) == "1");
    CHECK(db.RunAs("varsam_journal", Cat({"SELECT * FROM ", table})) == "42501");
    CHECK(db.RunAs("varsam_audit", Cat({"SELECT * FROM ", table})) == "42501");
  }
  for (const char* table : kJournalTables) {
    CHECK(db.RunAs("varsam_journal", Cat({"SELECT * FROM ", table})).empty());
    CHECK(db.RunAs("varsam_audit", Cat({"SELECT * FROM ", table})) == "42501");
  }
  for (const char* table : kAuditTables) {
    CHECK(db.RunAs("varsam_journal", Cat({"SELECT * FROM ", table})) == "42501");
  }
  // PUBLIC has nothing on any schema either: a fresh role sees none of them.
  REQUIRE(db.Run("DO $$ BEGIN CREATE ROLE varsam_test_outsider NOLOGIN; "
                 "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
              .empty());
  for (const auto& tables :
       {std::vector<const char*>(std::begin(kJournalTables), std::end(kJournalTables)),
        std::vector<const char*>(std::begin(kRegisterTables), std::end(kRegisterTables)),
        std::vector<const char*>(std::begin(kAuditTables), std::end(kAuditTables))}) {
    for (const char* table : tables) {
      INFO(table);
      CHECK(db.RunAs("varsam_test_outsider", Cat({"SELECT * FROM ", table})) == "42501");
    }
  }
}

TEST_CASE("postgresql: no role, not the owner nor a superuser, may update or delete audit rows",
          "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  auto store = OpenOrFail(*uri);
  FillEveryTable(*store);
  REQUIRE(store->AppendAudit("event-2").ok());
  Session db(*uri);
  CHECK(db.Value("SELECT tableowner FROM pg_tables WHERE schemaname = 'varsam_audit' AND "
                 "tablename = 'events'") == "varsam_audit");
  CHECK(db.Value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t");
  // "" acts as the login itself: a superuser, whom only the trigger stops.
  for (const std::string role : {"varsam_audit", "varsam_journal", "varsam_register", ""}) {
    for (const char* table : kAuditTables) {
      INFO((role.empty() ? std::string("superuser") : role) << " on " << table);
      CHECK(db.RunAs(role, Cat({"UPDATE ", table, " SET payload = 'x'::bytea"})) == "42501");
      CHECK(db.RunAs(role, Cat({"UPDATE ", table, " SET seq = seq + 100 WHERE seq = 1"})) ==
            "42501");
      CHECK(db.RunAs(role, Cat({"DELETE FROM ", table})) == "42501");
      CHECK(db.RunAs(role, Cat({"DELETE FROM ", table, " WHERE false"})) == "42501");
      CHECK(db.RunAs(role, Cat({"TRUNCATE ", table})) == "42501");
    }
  }
  // The owner may append the next seq and read, no more: a gap or a seq taken again is refused.
  CHECK(db.RunAs("varsam_audit", "INSERT INTO varsam_audit.events VALUES (3, 'x'::bytea)").empty());
  CHECK(db.RunAs("varsam_audit", "INSERT INTO varsam_audit.events VALUES (5, 'x'::bytea)") ==
        "23514");
  CHECK(db.RunAs("", "INSERT INTO varsam_audit.events VALUES (2, 'x'::bytea)") == "23514");
  CHECK(db.RunAs("varsam_audit", "SELECT * FROM varsam_audit.events").empty());
  // Everything is still there, unchanged.
  std::vector<AuditEvent> events;
  REQUIRE(store
              ->ReadAudit(1, 100,
                          [&](const AuditEvent& e) {
                            events.push_back(e);
                            return true;
                          })
              .ok());
  REQUIRE(events.size() == 2);
  CHECK(events[0].payload == "event-1");
  CHECK(events[1].payload == "event-2");
}

TEST_CASE("postgresql: the store works end to end, each part as its own role", "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  auto store = OpenOrFail(*uri);
  CHECK(store->backend() == "postgresql");
  FillEveryTable(*store);

  // Journal: values round-trip exactly, NaN responses included.
  std::vector<Measurement> read;
  REQUIRE(store
              ->ForEachMeasurement({},
                                   [&](const Measurement& m) {
                                     read.push_back(m);
                                     return true;
                                   })
              .ok());
  REQUIRE(read.size() == 1);
  const Measurement want = SampleMeasurement(1);
  CHECK(read[0].id > 0);
  CHECK(read[0].client_ref == want.client_ref);
  CHECK(read[0].date == want.date);
  REQUIRE(read[0].responses.size() == want.responses.size());
  CHECK(std::isnan(read[0].responses[2]));
  CHECK(read[0].responses[4] == 3);
  CHECK(read[0].total == want.total);
  CHECK(read[0].band == want.band);
  CHECK(read[0].flags == want.flags);
  absl::StatusOr<Suggestion> s = store->GetSuggestion("s-1");
  REQUIRE(s.ok());
  CHECK(s->content_json == R"({"flag":"item9_positive"})");

  // Register: COPY with record keys above INT64_MAX.
  std::vector<EpisodeRow> episodes;
  for (int i = 2; i <= 300; ++i) episodes.push_back(SampleEpisode(i));
  REQUIRE(store->AppendEpisodes(episodes).ok());
  absl::StatusOr<std::int64_t> count = store->CountEpisodes({});
  REQUIRE(count.ok());
  CHECK(*count == 300);
  EpisodeFilter female;
  female.region = "01";
  std::int64_t seen = 0;
  std::uint64_t max_key = 0;
  REQUIRE(store
              ->ForEachEpisode(female,
                               [&](const EpisodeRow& e) {
                                 ++seen;
                                 max_key = std::max(max_key, e.record_key);
                                 return true;
                               })
              .ok());
  CHECK(seen == 300);
  CHECK(max_key == 0x9000000000000000ULL + 300);
  std::vector<RegisterMeasurementRow> rm;
  REQUIRE(store
              ->ForEachRegisterMeasurement("ors",
                                           [&](const RegisterMeasurementRow& m) {
                                             rm.push_back(m);
                                             return true;
                                           })
              .ok());
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].total == 20.25);

  // Stopping a stream early leaves the store usable.
  int first = 0;
  REQUIRE(store->ForEachEpisode({}, [&](const EpisodeRow&) { return ++first < 3; }).ok());
  CHECK(first == 3);
  CHECK(store->CountEpisodes({}).value_or(-1) == 300);
  // A read callback may call the same part again (each call has its own connection).
  int nested = 0;
  REQUIRE(store
              ->ForEachEpisode({},
                               [&](const EpisodeRow&) {
                                 const EpisodeRow again = SampleEpisode(1000 + nested);
                                 CHECK(store->AppendEpisodes({&again, 1}).ok());
                                 CHECK(store->CountEpisodes({}).value_or(-1) == 301 + nested);
                                 return ++nested < 5;
                               })
              .ok());
  CHECK(nested == 5);
  CHECK(store->CountEpisodes({}).value_or(-1) == 305);

  // Audit: binary payloads (NUL bytes) round-trip; seqs follow on.
  const std::string binary("a\0b\xff", 4);
  absl::StatusOr<std::int64_t> seq = store->AppendAuditBatch(std::vector<std::string>{binary, "c"});
  REQUIRE(seq.ok());
  CHECK(*seq == 3);
  std::vector<AuditEvent> events;
  REQUIRE(store
              ->ReadAudit(2, 3,
                          [&](const AuditEvent& e) {
                            events.push_back(e);
                            return true;
                          })
              .ok());
  REQUIRE(events.size() == 2);
  CHECK(events[0].seq == 2);
  CHECK(events[0].payload == binary);

  // Each table is owned by its part's role, and Info counts them.
  Session db(*uri);
  CHECK(db.Value("SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE "
                 "schemaname = 'varsam_journal'") == "varsam_journal");
  CHECK(db.Value("SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE "
                 "schemaname = 'varsam_register'") == "varsam_register");
  absl::StatusOr<StoreInfo> info = store->Info();
  REQUIRE(info.ok());
  CHECK(info->backend == "postgresql");
  REQUIRE(info->parts.size() == 3);
  for (const PartInfo& part : info->parts) CHECK(part.schema_version == kSchemaVersion);
  CHECK(info->parts[1].rows ==
        std::vector<std::pair<std::string, std::int64_t>>{
            {"episodes", 305}, {"measurements", 1}, {"models", 1}, {"releases", 1}});
}

TEST_CASE(
    "postgresql: init is idempotent, open refuses an uninitialised or newer store and "
    "migrates an older one",
    "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  REQUIRE(Store::Init(*uri).ok());
  FillEveryTable(*OpenOrFail(*uri));
  REQUIRE(Store::Init(*uri).ok());
  CHECK(OpenOrFail(*uri)->LastAuditSeq().value_or(-1) == 1);

  Session db(*uri);
  SECTION("a database without the store's schemas is NotFound") {
    REQUIRE(db.Run("DROP SCHEMA varsam_register CASCADE").empty());
    CHECK(Store::Open(*uri).status().code() == absl::StatusCode::kNotFound);
    REQUIRE(Store::Init(*uri).ok());
    CHECK(OpenOrFail(*uri)->CountEpisodes({}).value_or(-1) == 0);
  }
  SECTION("a newer schema version is refused") {
    REQUIRE(db.Run("INSERT INTO varsam_audit.schema_version (version) VALUES (99)").empty());
    const absl::Status status = Store::Open(*uri).status();
    CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(std::string(status.message()), Catch::Contains("99"));
    CHECK(Store::Init(*uri).code() == absl::StatusCode::kFailedPrecondition);
  }
  SECTION("a version-0 part (schema, no tables) is migrated on open") {
    REQUIRE(db.Run("DROP TABLE varsam_journal.decisions, varsam_journal.suggestions, "
                   "varsam_journal.measurements, varsam_journal.schema_version")
                .empty());
    auto store = OpenOrFail(*uri);
    CHECK(db.Value("SELECT max(version) FROM varsam_journal.schema_version") ==
          std::to_string(kSchemaVersion));
    const Measurement m = SampleMeasurement(2);
    REQUIRE(store->AppendMeasurements({&m, 1}).ok());
  }
}

TEST_CASE(
    "postgresql: the register's columns refuse an identity number even from SQL that "
    "bypasses varsam",
    "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  Session db(*uri);
  const std::string good_pseudonym = Pseudonym(1);
  // One official test personnummer (data/skatteverket-testpersonnummer.txt), in each column.
  const std::string number = "189001019802";
  const char* columns[] = {"pseudonym",    "age_band",     "sex",        "region", "case_kind",
                           "intervention", "start_period", "end_period", "outcome"};
  for (size_t c = 0; c < std::size(columns); ++c) {
    INFO(columns[c]);
    std::string values[] = {Cat({"'", good_pseudonym, "'"}),
                            "'25-34'",
                            "'female'",
                            "'01'",
                            "'insats'",
                            "''",
                            "'2026'",
                            "''",
                            "''"};
    values[c] = Cat({"'", number, "'"});
    std::string sql = "INSERT INTO varsam_register.episodes VALUES (";
    for (int i = 0; i < 9; ++i) {
      sql += Cat({values[i], i == 0 ? ", 1, " : ", "});
    }
    sql += "7)";
    CHECK(db.RunAs("varsam_register", sql) == "23514");  // check_violation
  }
  CHECK(db.RunAs("varsam_register",
                 Cat({"INSERT INTO varsam_register.measurements VALUES ('", good_pseudonym,
                      "', 1, 'ors', 1, '2026', 1, '", number, "', 7)"})) == "23514");
  CHECK(db.RunAs("varsam_register", Cat({"INSERT INTO varsam_register.measurements VALUES ('",
                                         good_pseudonym, "', 1, 'ors', 1, '2026', 1, '', 7)"}))
            .empty());
}

// The set of `probes` the database takes in `column`, acting as the part's role with SQL that
// bypasses varsam (anything refused must be refused by a CHECK, 23514).
template <typename Column>
std::set<std::string> PostgresTakes(Session& db, const Column& column,
                                    const std::vector<std::string>& probes) {
  const std::string role = Cat({"varsam_", PartName(column.part)});
  std::set<std::string> taken;
  for (const std::string& value : probes) {
    const std::string state =
        db.RunAs(role, testing::ConstrainedInsert(column, Cat({role, "."}), value));
    if (state.empty()) {
      taken.insert(value);
    } else {
      CHECK(state == "23514");
    }
  }
  return taken;
}

// The PostgreSQL side of "store: sqlite: every vocabulary and form column takes the set rows.h
// gives it": each generated constraint is on its table under its name, and each column takes
// exactly the set of kVocabularyColumns or kFormColumns, the same set as the SQLite file.
TEST_CASE("postgresql: every vocabulary and form column takes the set rows.h gives it",
          "[postgres]") {
  const std::vector<internal::GeneratedCheck> checks =
      internal::GeneratedChecks(internal::Dialect::kPostgres);
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  Session db(*uri);
  for (const internal::GeneratedCheck& check : checks) {
    INFO(Cat({PartName(check.part), ".", check.table, ".", check.column}));
    CHECK(db.Value(Cat({"SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conname = '",
                        check.name, "' AND conrelid = 'varsam_", PartName(check.part), ".",
                        check.table, "'::regclass"})) == "1");
  }
  const auto each_takes_its_set = [&](const auto& columns, const std::vector<std::string>& probes) {
    for (const auto& column : columns) {
      INFO(Cat({PartName(column.part), ".", column.table, ".", column.column}));
      std::set<std::string> table;
      for (const std::string& value : probes) {
        if (testing::TableAccepts(column, value)) table.insert(value);
      }
      CHECK(PostgresTakes(db, column, probes) == table);
      CHECK(!table.empty());
    }
  };
  each_takes_its_set(internal::VocabularyColumns(), testing::VocabularyProbes());
  each_takes_its_set(internal::FormColumns(), testing::FormProbes());
}

// A database as the varsam of schema version 1 made it (internal::InitPostgres runs version 1's
// steps), with rows in it, opens at version 2 with its rows, each vocabulary column's
// constraint replaced by the generated one (one constraint per column, under the same name).
TEST_CASE("postgresql: a store of schema version 1 migrates, keeping its rows", "[postgres]") {
  constexpr const char* kSchemas[] = {"varsam_journal", "varsam_register", "varsam_audit"};
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  Session db(*uri);
  REQUIRE(db.Run("DROP SCHEMA varsam_journal, varsam_register, varsam_audit CASCADE").empty());
  REQUIRE(internal::InitPostgres(*uri, 1).ok());
  for (const char* schema : kSchemas) {
    CHECK(db.Value(Cat({"SELECT max(version) FROM ", schema, ".schema_version"})) == "1");
  }
  REQUIRE(db.Run("INSERT INTO varsam_journal.measurements (client_ref, case_ref, case_kind, "
                 "instrument, session, date, responses, total, band, flags) VALUES ('klient-1', "
                 "'arende-1', 'insats', 'phq9', 2, '2026-03-01', '[1, null, 2.5]', 3.5, "
                 "'mild', '[\"prorated\"]')")
              .empty());
  REQUIRE(db.Run(Cat({"INSERT INTO varsam_register.episodes VALUES ('", Pseudonym(1),
                      "', 1, '25-34', 'female', '01', 'insats', 'annat', '2026-Q1', '', "
                      "'improved', -2)"}))
              .empty());
  REQUIRE(db.Run("INSERT INTO varsam_audit.events VALUES (1, 'one')").empty());

  auto store = OpenOrFail(*uri);
  for (const char* schema : kSchemas) {
    CHECK(db.Value(Cat({"SELECT max(version) FROM ", schema, ".schema_version"})) ==
          std::to_string(kSchemaVersion));
  }
  const std::vector<Measurement> measurements =
      ReadAll<Measurement>([&](auto row) { return store->ForEachMeasurement({}, row); });
  REQUIRE(measurements.size() == 1);
  REQUIRE(measurements[0].responses.size() == 3);
  CHECK(std::isnan(measurements[0].responses[1]));
  CHECK(measurements[0].flags == std::vector<std::string>{"prorated"});
  const std::vector<EpisodeRow> episodes =
      ReadAll<EpisodeRow>([&](auto row) { return store->ForEachEpisode({}, row); });
  REQUIRE(episodes.size() == 1);
  CHECK(episodes[0].intervention == "annat");
  CHECK(episodes[0].record_key == std::uint64_t{0xFFFFFFFFFFFFFFFE});
  CHECK(store->LastAuditSeq().value_or(-1) == 1);
  for (const internal::GeneratedCheck& check :
       internal::GeneratedChecks(internal::Dialect::kPostgres)) {
    INFO(check.name);
    CHECK(db.Value(Cat({"SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid = "
                        "'varsam_",
                        PartName(check.part), ".", check.table, "'::regclass AND conname = '",
                        check.name, "'"})) == "1");
  }
  CHECK(db.RunAs("varsam_register",
                 Cat({"INSERT INTO varsam_register.episodes VALUES ('", Pseudonym(2),
                      "', 1, '25-34', '', '99', 'insats', '', '2026', '', '', 7)"})) == "23514");
  const EpisodeRow next = SampleEpisode(3);
  CHECK(store->AppendEpisodes({&next, 1}).ok());
}

TEST_CASE("postgresql: a store of schema version 2 migrates, gaining the models table",
          "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  Session db(*uri);
  REQUIRE(db.Run("DROP SCHEMA varsam_journal, varsam_register, varsam_audit CASCADE").empty());
  REQUIRE(internal::InitPostgres(*uri, 2).ok());
  CHECK(db.Value("SELECT max(version) FROM varsam_register.schema_version") == "2");
  CHECK(db.Value("SELECT to_regclass('varsam_register.models') IS NULL") == "t");
  REQUIRE(db.Run(Cat({"INSERT INTO varsam_register.episodes VALUES ('", Pseudonym(1),
                      "', 1, '25-34', 'female', '01', 'insats', 'annat', '2026-Q1', '', "
                      "'improved', -2)"}))
              .empty());
  auto store = OpenOrFail(*uri);
  CHECK(db.Value("SELECT max(version) FROM varsam_register.schema_version") ==
        std::to_string(kSchemaVersion));
  CHECK(db.Value("SELECT max(version) FROM varsam_journal.schema_version") ==
        std::to_string(kSchemaVersion));
  CHECK(db.Value("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = "
                 "'varsam_register.models'::regclass") == "varsam_register");
  CHECK(store->CountEpisodes({}).value_or(-1) == 1);
  StoredModel m;
  m.id = std::string(32, 'c');
  m.sha256 = std::string(64, 'd');
  m.kind = "register_trained";
  m.title = "Återfall inom ett år";
  m.created = "2026-07-01T00:00:00Z";
  m.model_json = R"({"format":"varsam-model/1"})";
  REQUIRE(store->PutModel(m).ok());
  auto got = store->GetModel(m.id);
  REQUIRE(got.ok());
  CHECK(got->model_json == m.model_json);
  CHECK(got->title == m.title);
  // The database holds the table to its checks past varsam too (23514: check_violation).
  CHECK(db.RunAs("varsam_register",
                 Cat({"INSERT INTO varsam_register.models VALUES ('", std::string(32, 'e'), "', '",
                      std::string(64, 'd'), "', 'oracle', 'x', '2026-07-01T00:00:00Z', '{}')"})) ==
        "23514");
  // The journal's role cannot read the models (they sit in the register's schema).
  CHECK(db.RunAs("varsam_journal", "SELECT count(*) FROM varsam_register.models") == "42501");
}

// A database of schema version 3, whose models table listed two kinds in its own CHECK, opens at
// version 4 with its model: the constraint on kind is the generated one (one, under the same
// name), which takes "etr" and refuses a kind no list holds, past varsam too; the table is still
// the register role's, out of the journal role's reach.
TEST_CASE("postgresql: a store of schema version 3 migrates, its models taking etr", "[postgres]") {
  constexpr const char* kSchemas[] = {"varsam_journal", "varsam_register", "varsam_audit"};
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  Session db(*uri);
  REQUIRE(db.Run("DROP SCHEMA varsam_journal, varsam_register, varsam_audit CASCADE").empty());
  REQUIRE(internal::InitPostgres(*uri, 3).ok());
  for (const char* schema : kSchemas) {
    CHECK(db.Value(Cat({"SELECT max(version) FROM ", schema, ".schema_version"})) == "3");
  }
  const auto insert_model = [](std::string_view id, std::string_view kind) {
    return Cat({"INSERT INTO varsam_register.models VALUES ('", id, "', '", std::string(64, 'd'),
                "', '", kind, "', 'Förväntad förändring', '2026-07-01T00:00:00Z', '{}')"});
  };
  // Version 3 took the two kinds of varsam/models.h only (23514: check_violation).
  CHECK(db.RunAs("varsam_register", insert_model(std::string(32, 'b'), "etr")) == "23514");
  const std::string kept = std::string(32, 'c');
  REQUIRE(db.Run(insert_model(kept, "evidence_based")).empty());
  REQUIRE(db.Run(Cat({"INSERT INTO varsam_register.episodes VALUES ('", Pseudonym(1),
                      "', 1, '25-34', 'female', '01', 'insats', 'annat', '2026-Q1', '', "
                      "'improved', -2)"}))
              .empty());

  auto store = OpenOrFail(*uri);
  for (const char* schema : kSchemas) {
    CHECK(db.Value(Cat({"SELECT max(version) FROM ", schema, ".schema_version"})) ==
          std::to_string(kSchemaVersion));
  }
  CHECK(store->CountEpisodes({}).value_or(-1) == 1);
  auto got = store->GetModel(kept);
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  CHECK(got->kind == "evidence_based");
  CHECK(got->title == "Förväntad förändring");
  CHECK(got->model_json == "{}");
  StoredModel etr;
  etr.id = std::string(32, 'a');
  etr.sha256 = std::string(64, 'e');
  etr.kind = "etr";
  etr.title = "Förväntad förändring, ORS, stödsamtal";
  etr.created = "2026-08-01T00:00:00Z";
  etr.model_json = R"({"curve":[]})";
  REQUIRE(store->PutModel(etr).ok());
  CHECK(store->GetModel(etr.id).value_or(StoredModel{}).kind == "etr");
  StoredModel unknown = etr;
  unknown.id = std::string(32, 'f');
  unknown.kind = "oracle";
  CHECK(store->PutModel(unknown).code() == absl::StatusCode::kInvalidArgument);

  // One constraint on kind, the generated one, under PostgreSQL's own name.
  const internal::VocabularyColumn& kind =
      internal::VocabularyColumnOf(Part::kRegister, "models", "kind");
  CHECK(db.Value("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid = "
                 "'varsam_register.models'::regclass AND pg_get_constraintdef(oid) LIKE "
                 "'%kind%'") == "1");
  CHECK(db.Value("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid = "
                 "'varsam_register.models'::regclass AND conname = 'models_kind_check' AND "
                 "pg_get_constraintdef(oid) LIKE '%''etr''%'") == "1");
  CHECK(internal::VocabularyCheck(kind, internal::Dialect::kPostgres) ==
        "kind IN ('register_trained', 'evidence_based', 'etr')");
  // Past varsam: "etr" is taken, a kind no list holds refused, the other checks still there.
  CHECK(db.RunAs("varsam_register", insert_model(std::string(32, 'b'), "etr")).empty());
  for (const char* other : {"oracle", "ETR", ""}) {
    INFO(other);
    CHECK(db.RunAs("varsam_register", insert_model(std::string(32, 'b'), other)) == "23514");
  }
  CHECK(db.RunAs("varsam_register", insert_model("0123", "etr")) == "23514");
  CHECK(db.Value("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = "
                 "'varsam_register.models'::regclass") == "varsam_register");
  CHECK(db.RunAs("varsam_journal", "SELECT count(*) FROM varsam_register.models") == "42501");
  CHECK(db.Value("SELECT count(*) FROM varsam_register.models") == "2");
}

// A database of schema version 4 (before the releases table) opens at version 5 with its rows
// and its model: the releases table is the register role's, out of the journal role's reach,
// indexed on (organisation, period), and refuses past varsam what varsam would not write.
TEST_CASE("postgresql: a store of schema version 4 migrates, gaining the releases table",
          "[postgres]") {
  constexpr const char* kSchemas[] = {"varsam_journal", "varsam_register", "varsam_audit"};
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  Session db(*uri);
  REQUIRE(db.Run("DROP SCHEMA varsam_journal, varsam_register, varsam_audit CASCADE").empty());
  REQUIRE(internal::InitPostgres(*uri, 4).ok());
  for (const char* schema : kSchemas) {
    CHECK(db.Value(Cat({"SELECT max(version) FROM ", schema, ".schema_version"})) == "4");
  }
  CHECK(db.Value("SELECT to_regclass('varsam_register.releases') IS NULL") == "t");
  const std::string kept = std::string(32, 'c');
  REQUIRE(db.Run(Cat({"INSERT INTO varsam_register.models VALUES ('", kept, "', '",
                      std::string(64, 'd'),
                      "', 'etr', 'Förväntad förändring', '2026-07-01T00:00:00Z', '{}')"}))
              .empty());
  REQUIRE(db.Run(Cat({"INSERT INTO varsam_register.episodes VALUES ('", Pseudonym(1),
                      "', 1, '25-34', 'female', '01', 'insats', 'annat', '2026-Q1', '', "
                      "'improved', -2)"}))
              .empty());
  REQUIRE(db.Run("INSERT INTO varsam_audit.events VALUES (1, 'one')").empty());

  auto store = OpenOrFail(*uri);
  for (const char* schema : kSchemas) {
    CHECK(db.Value(Cat({"SELECT max(version) FROM ", schema, ".schema_version"})) ==
          std::to_string(kSchemaVersion));
  }
  CHECK(store->CountEpisodes({}).value_or(-1) == 1);
  CHECK(store->LastAuditSeq().value_or(-1) == 1);
  auto got = store->GetModel(kept);
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  CHECK(got->kind == "etr");
  Release release;
  release.id = std::string(32, 'a');
  release.organisation = "0180";
  release.purpose = "uppfoljning";
  release.period = "2026-12";
  release.created = "2026-12-05T10:00:00Z";
  release.query_json = R"({"measure":"episodes"})";
  release.cells = 7;
  release.epsilon = 0.1;
  REQUIRE(store->PutRelease(release, {10, 1}).ok());
  Release over = release;
  over.id = std::string(32, 'b');
  over.cells = 4;
  CHECK(store->PutRelease(over, {10, 1}).code() == absl::StatusCode::kResourceExhausted);
  const std::vector<Release> read = ReadAll<Release>(
      [&](auto row) { return store->ForEachRelease("0180", "uppfoljning", "2026-12", row); });
  REQUIRE(read.size() == 1);
  CHECK(read[0].epsilon == 0.1);
  CHECK(read[0].cells == 7);

  CHECK(db.Value("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = "
                 "'varsam_register.releases'::regclass") == "varsam_register");
  CHECK(db.RunAs("varsam_journal", "SELECT count(*) FROM varsam_register.releases") == "42501");
  CHECK(db.RunAs("varsam_audit", "SELECT count(*) FROM varsam_register.releases") == "42501");
  CHECK_THAT(db.Value("SELECT string_agg(pg_get_indexdef(indexrelid), ';') FROM pg_index WHERE "
                      "indrelid = 'varsam_register.releases'::regclass AND NOT indisprimary"),
             Catch::EndsWith("(organisation, period)"));
  // Past varsam, as the register role: a row varsam would write is taken, any other refused.
  const auto insert = [](std::string_view id, std::string_view organisation,
                         std::string_view period, std::string_view cells,
                         std::string_view epsilon) {
    return Cat({"INSERT INTO varsam_register.releases VALUES ('", id, "', '", organisation,
                "', 'uppfoljning', '", period, "', '2026-12-05T10:00:00Z', '{}', ", cells, ", ",
                epsilon, ")"});
  };
  const std::string id(32, 'e'), other(32, 'f');
  CHECK(db.RunAs("varsam_register", insert(id, "0180", "2026-12", "3", "0.25")).empty());
  for (const std::string& bad : {insert("0123", "0180", "2026-12", "3", "0.25"),
                                 insert(std::string(32, 'E'), "0180", "2026-12", "3", "0.25"),
                                 insert(other, "", "2026-12", "3", "0.25"),
                                 insert(other, std::string(201, 'k'), "2026-12", "3", "0.25"),
                                 insert(other, "0180", "2026-13", "3", "0.25"),
                                 insert(other, "0180", "2026-Q4", "3", "0.25"),
                                 insert(other, "0180", "2026-12", "-1", "0.25"),
                                 insert(other, "0180", "2026-12", "3", "-0.25"),
                                 insert(other, "0180", "2026-12", "3", "'Infinity'"),
                                 insert(other, "0180", "2026-12", "3", "'NaN'")}) {
    INFO(bad);
    CHECK(db.RunAs("varsam_register", bad) == "23514");  // check_violation
  }
  CHECK(db.Value("SELECT count(*) FROM varsam_register.releases") == "1");
}

TEST_CASE("postgresql: neither messages nor info show the URI's password", "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  // The test server trusts local connections, so any password is accepted and ignored.
  const std::string secret = "Hemligt-l0senord";
  const std::string with_password = Cat({*uri, "&password=", secret});
  auto store = OpenOrFail(with_password);
  absl::StatusOr<StoreInfo> info = store->Info();
  REQUIRE(info.ok());
  CHECK(info->location.find(secret) == std::string::npos);
  CHECK(info->location.find("varsam_test_") != std::string::npos);
  // A server that is not there: the message names the place, never the password.
  const std::string nowhere =
      Cat({"postgresql://someone:", secret, "@/nodb?host=/nonexistent-varsam-dir"});
  const absl::Status status = Store::Open(nowhere).status();
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(status.message()).find(secret) == std::string::npos);
  CHECK(std::string(status.message()).find("someone@") != std::string::npos);
}

TEST_CASE("postgresql: concurrent audit appends from two stores stay gap-free", "[postgres]") {
  const std::optional<std::string> uri = testing::NewPostgresStoreUri();
  if (!uri) {
    WARN(kNoServer);
    return;
  }
  // Two Store objects are two independent sets of connections, as two processes would be.
  auto a = OpenOrFail(*uri);
  auto b = OpenOrFail(*uri);
  constexpr int kPerThread = 40;
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    Store* store = t % 2 == 0 ? a.get() : b.get();
    threads.emplace_back([store, t, &failures] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::vector<std::string> batch = {Cat({"t", std::to_string(t)}), "x"};
        if (!(i % 2 == 0 ? store->AppendAudit("single") : store->AppendAuditBatch(batch)).ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(failures == std::vector<int>(4, 0));
  const std::int64_t want = 4 * (kPerThread / 2) * 3;
  CHECK(a->LastAuditSeq().value_or(-1) == want);
  std::int64_t next = 1;
  REQUIRE(b->ReadAudit(1, want, [&](const AuditEvent& e) {
             CHECK(e.seq == next);
             ++next;
             return true;
           }).ok());
  CHECK(next == want + 1);
}

}  // namespace
}  // namespace varsam::store
