// The audit log (src/audit, include/varsam/audit.h): RFC 6962 hashing vectors, proofs, the
// canonical formats, signed checkpoints, and tamper tests on each store backend. Tampering
// plays an insider below the store, past the append-only guards that exist to stop exactly
// this: on SQLite it opens audit.db directly and drops the triggers; on PostgreSQL it connects
// to the store's database as the superuser with session_replication_role = replica, so that
// no trigger fires for that session (PostgresRawAudit). Actors, cases and rules here are made
// up.

#include "varsam/audit.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "postgres_test_support.h"
#include "store_fixtures.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace {

namespace fs = std::filesystem;
using namespace varsam::audit;
using varsam::Cat;
using varsam::testing::ForEachLocation;
using varsam::testing::TempDir;

std::string Hex(const Hash& h) { return ToHex(h); }

// RFC 6962's reference leaves (certificate-transparency merkle_tree_test).
std::vector<std::string> ReferenceLeaves() {
  return {"",
          std::string("\x00", 1),
          "\x10",
          "\x20\x21",
          "\x30\x31",
          "\x40\x41\x42\x43",
          "\x50\x51\x52\x53\x54\x55\x56\x57",
          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
}

std::vector<Hash> ReferenceLeafHashes() {
  std::vector<Hash> out;
  for (const std::string& leaf : ReferenceLeaves()) out.push_back(LeafHash(leaf));
  return out;
}

// A fixed test key (RFC 8032 §7.1 test 1), never a real one.
constexpr std::array<std::uint8_t, 32> kKey = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};

std::array<std::uint8_t, 32> OtherKey() {
  std::array<std::uint8_t, 32> k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return k;
}

KeyProvider TestKey() {
  return [](std::span<std::uint8_t, 32> out) {
    std::copy(kKey.begin(), kKey.end(), out.begin());
    return absl::OkStatus();
  };
}

PublicKey TestPublicKey() { return *PublicKeyOf(kKey); }

AuditRecord Record(int i) {
  AuditRecord r;
  r.actor = Cat({"a-", std::to_string(i % 7)});
  r.role = "handlaggare";
  r.organisation_kind = "socialnamnd";
  r.organisation_id = "0180";
  r.purpose = "handlaggning";
  r.action = i % 3 == 0 ? "journal.write" : "journal.read";
  r.case_ref = Cat({"c-", std::to_string(i)});
  r.decision = i % 5 == 0 ? Decision::kDeny : Decision::kAllow;
  r.rules = {"case-handling"};
  if (r.decision == Decision::kDeny) r.rules = {"no-lawful-basis"};
  r.time = absl::FromUnixSeconds(1795860000 + i);
  r.result = "ok";
  return r;
}

// A clock that advances one second per call, from a fixed instant.
std::function<absl::Time()> SteppingClock() {
  auto t = std::make_shared<absl::Time>(absl::FromUnixSeconds(1795860000));
  return [t] {
    *t += absl::Seconds(1);
    return *t;
  };
}

std::unique_ptr<varsam::store::Store> OpenStore(const std::string& location) {
  auto store = varsam::store::Store::Open(location);
  REQUIRE(store.ok());
  return std::move(store).value();
}

// Writes `events` events, checkpointing every 5 and on close.
void WriteLog(varsam::store::Store& store, int events) {
  AuditLogOptions options;
  options.checkpoint_every_events = 5;
  options.checkpoint_every = absl::ZeroDuration();
  options.clock = SteppingClock();
  auto log = AuditLog::Open(&store, TestKey(), options);
  REQUIRE(log.ok());
  for (int i = 1; i <= events; ++i) {
    auto seq = (*log)->Append(Record(i));
    REQUIRE(seq.ok());
    REQUIRE(*seq == i);
  }
  REQUIRE((*log)->Close().ok());
}

VerifyReport MustVerify(varsam::store::Store& store) {
  VerifyOptions options;
  options.public_key = TestPublicKey();
  auto report = Verify(store, options);
  REQUIRE(report.ok());
  return *report;
}

// Raw access to a store's audit part, as an insider with full rights on its files or database
// has it: below the store and past the append-only guards, to change rows the way an attacker
// would. One implementation per backend, so that the tamper tests run the same on each.
class RawAudit {
 public:
  virtual ~RawAudit() = default;
  // The stored bytes of event `seq` (which must exist).
  virtual std::string Payload(std::int64_t seq) = 0;
  // Overwrites event `seq`'s bytes in place (exactly one row).
  virtual void SetPayload(std::int64_t seq, const std::string& payload) = 0;
  // Deletes the events first..last (inclusive); `rows` of them must exist.
  virtual void DeleteEvents(std::int64_t first, std::int64_t last, int rows) = 0;
  // Overwrites the payload of the checkpoint at `seq` (exactly one row).
  virtual void SetCheckpointPayload(std::int64_t seq, const std::string& payload) = 0;
};

// SQLite: audit.db opened directly, with the append-only triggers dropped.
class SqliteRawAudit final : public RawAudit {
 public:
  explicit SqliteRawAudit(const std::string& store_dir) {
    sqlite3* db = nullptr;
    const int opened = sqlite3_open((fs::path(store_dir) / "audit.db").string().c_str(), &db);
    db_.reset(db);  // closed even when opening failed, or a REQUIRE below throws
    REQUIRE(opened == SQLITE_OK);
    for (const char* trigger : {"events_gap_free", "events_no_update", "events_no_delete",
                                "checkpoints_no_update", "checkpoints_no_delete"}) {
      const std::string sql = Cat({"DROP TRIGGER IF EXISTS ", trigger});
      REQUIRE(sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    }
  }

  std::string Payload(std::int64_t seq) override {
    sqlite3_stmt* s = Prepare("SELECT payload FROM events WHERE seq = ?");
    sqlite3_bind_int64(s, 1, seq);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    std::string out(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                    static_cast<size_t>(sqlite3_column_bytes(s, 0)));
    sqlite3_finalize(s);
    return out;
  }
  void SetPayload(std::int64_t seq, const std::string& payload) override {
    Change("UPDATE events SET payload = ? WHERE seq = ?", &payload, {seq}, 1);
  }
  void DeleteEvents(std::int64_t first, std::int64_t last, int rows) override {
    Change("DELETE FROM events WHERE seq >= ? AND seq <= ?", nullptr, {first, last}, rows);
  }
  void SetCheckpointPayload(std::int64_t seq, const std::string& payload) override {
    Change("UPDATE checkpoints SET payload = ? WHERE seq = ?", &payload, {seq}, 1);
  }

 private:
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db_.get(), sql, -1, &s, nullptr) == SQLITE_OK);
    return s;
  }
  // Runs `sql` with an optional blob, then `seqs`, as its parameters, and requires it to have
  // changed `rows` rows.
  void Change(const char* sql, const std::string* blob, std::initializer_list<std::int64_t> seqs,
              int rows) {
    sqlite3_stmt* s = Prepare(sql);
    int i = 1;
    if (blob != nullptr) {
      sqlite3_bind_blob(s, i++, blob->data(), static_cast<int>(blob->size()), SQLITE_TRANSIENT);
    }
    for (std::int64_t seq : seqs) sqlite3_bind_int64(s, i++, seq);
    INFO(sql);
    REQUIRE(sqlite3_step(s) == SQLITE_DONE);
    sqlite3_finalize(s);
    CHECK(sqlite3_changes(db_.get()) == rows);
  }

  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db_{nullptr, &sqlite3_close};
};

// PostgreSQL: the store's database as the server's superuser (a malicious DBA). REVOKE does not
// bind a superuser; the statement triggers (events_append_only, checkpoints_append_only) and the
// insert trigger would still raise, so this session sets session_replication_role = replica,
// under which the server fires no ordinary trigger for it. Chosen over ALTER TABLE ... DISABLE
// TRIGGER because it changes nothing in the catalog: it lasts for this session only and leaves
// the schema as the store made it, so every other connection (the store's, in Verify) still
// sees the triggers in force, and nothing needs putting back.
class PostgresRawAudit final : public RawAudit {
 public:
  explicit PostgresRawAudit(const std::string& store_uri) {
    const std::string uri = varsam::testing::PostgresAdminUriOf(store_uri);
    conn_.reset(PQconnectdb(uri.c_str()));
    INFO(PQerrorMessage(conn_.get()));
    REQUIRE(PQstatus(conn_.get()) == CONNECTION_OK);
    Command("SET session_replication_role = replica", {}, -1);
  }

  std::string Payload(std::int64_t seq) override {
    const std::string seq_text = std::to_string(seq);
    const char* values[] = {seq_text.c_str()};
    const Oid types[] = {kInt8};
    // Binary results: the bytea comes back as its raw bytes.
    PGresult* r =
        PQexecParams(conn_.get(), "SELECT payload FROM varsam_audit.events WHERE seq = $1", 1,
                     types, values, nullptr, nullptr, 1);
    INFO(PQerrorMessage(conn_.get()));
    REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
    REQUIRE(PQntuples(r) == 1);
    std::string out(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0)));
    PQclear(r);
    return out;
  }
  void SetPayload(std::int64_t seq, const std::string& payload) override {
    Command("UPDATE varsam_audit.events SET payload = $1 WHERE seq = $2",
            {Bytes(payload), Seq(seq)}, 1);
  }
  void DeleteEvents(std::int64_t first, std::int64_t last, int rows) override {
    Command("DELETE FROM varsam_audit.events WHERE seq >= $1 AND seq <= $2",
            {Seq(first), Seq(last)}, rows);
  }
  void SetCheckpointPayload(std::int64_t seq, const std::string& payload) override {
    Command("UPDATE varsam_audit.checkpoints SET payload = $1 WHERE seq = $2",
            {Bytes(payload), Seq(seq)}, 1);
  }

 private:
  static constexpr Oid kBytea = 17;  // pg_type OIDs (server/catalog/pg_type_d.h)
  static constexpr Oid kInt8 = 20;
  struct Param {
    Oid type;
    std::string value;
    int format;  // 0 text, 1 binary
  };
  static Param Bytes(const std::string& bytes) { return {kBytea, bytes, 1}; }
  static Param Seq(std::int64_t seq) { return {kInt8, std::to_string(seq), 0}; }

  // Runs `sql` with bound `params` and requires it to succeed and, unless `rows` is -1, to have
  // changed `rows` rows.
  void Command(const char* sql, const std::vector<Param>& params, int rows) {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const Param& p : params) {
      types.push_back(p.type);
      values.push_back(p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.format);
    }
    PGresult* r = PQexecParams(conn_.get(), sql, static_cast<int>(params.size()), types.data(),
                               values.data(), lengths.data(), formats.data(), 0);
    const ExecStatusType status = PQresultStatus(r);
    const std::string changed = PQcmdTuples(r);
    PQclear(r);
    INFO(sql << ": " << PQerrorMessage(conn_.get()));
    REQUIRE(status == PGRES_COMMAND_OK);
    if (rows >= 0) CHECK(changed == std::to_string(rows));
  }

  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_{nullptr, &PQfinish};
};

std::unique_ptr<RawAudit> OpenRawAudit(const std::string& location, std::string_view backend) {
  if (backend == "postgresql") return std::make_unique<PostgresRawAudit>(location);
  REQUIRE(backend == "sqlite");
  return std::make_unique<SqliteRawAudit>(location);
}

// Runs `body` on each backend (ForEachLocation) with a fresh store holding the 20-event log of
// the tamper tests: checkpoints at 5, 10, 15 and 20, verified intact.
void ForEachLoggedStore(
    const std::function<void(const std::string& location, std::string_view backend)>& body) {
  ForEachLocation([&](const std::string& location, std::string_view backend) {
    {
      auto store = OpenStore(location);
      WriteLog(*store, 20);
      REQUIRE(MustVerify(*store).ok);
    }
    body(location, backend);
  });
}

// The report of Verify on the store at `location` after `tamper` changed it from below (with
// the store closed; it is opened afresh to verify).
VerifyReport VerifyAfter(const std::string& location, std::string_view backend,
                         const std::function<void(RawAudit&)>& tamper) {
  {
    std::unique_ptr<RawAudit> raw = OpenRawAudit(location, backend);
    tamper(*raw);
  }
  auto store = OpenStore(location);
  return MustVerify(*store);
}

// Offsets inside an event (docs/audit.md): magic 4, prev 32, decision 1, time 4 + 27, then the
// actor's length and bytes.
constexpr size_t kPrevOffset = 4;
constexpr size_t kActorOffset = 4 + 32 + 1 + 4 + 27 + 4;

}  // namespace

TEST_CASE("audit: RFC 6962 reference roots", "[audit]") {
  CHECK(Hex(EmptyRoot()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  const std::vector<Hash> leaves = ReferenceLeafHashes();
  MerkleAccumulator acc;
  for (size_t n = 1; n <= leaves.size(); ++n) {
    acc.Add(leaves[n - 1]);
    INFO("size " << n);
    CHECK(Hex(acc.Root()) == roots[n - 1]);
    CHECK(Hex(MerkleRoot(std::span<const Hash>(leaves).first(n))) == roots[n - 1]);
  }
}

TEST_CASE("audit: inclusion and consistency proofs verify, and fail when altered", "[audit]") {
  std::vector<Hash> leaves;
  for (int i = 0; i < 37; ++i) leaves.push_back(LeafHash(std::to_string(i)));
  for (std::int64_t n = 1; n <= 37; ++n) {
    const std::span<const Hash> tree = std::span<const Hash>(leaves).first(static_cast<size_t>(n));
    const Hash root = MerkleRoot(tree);
    for (std::int64_t i = 0; i < n; ++i) {
      INFO("inclusion " << i << " in " << n);
      std::vector<Hash> proof = InclusionProof(tree, i);
      REQUIRE(VerifyInclusion(tree[static_cast<size_t>(i)], i, n, proof, root));
      CHECK_FALSE(VerifyInclusion(LeafHash("other"), i, n, proof, root));
      if (!proof.empty()) {
        proof[0][5] ^= 1;
        CHECK_FALSE(VerifyInclusion(tree[static_cast<size_t>(i)], i, n, proof, root));
      }
    }
    for (std::int64_t m = 0; m <= n; ++m) {
      INFO("consistency " << m << " to " << n);
      const Hash old_root = MerkleRoot(tree.first(static_cast<size_t>(m)));
      std::vector<Hash> proof = ConsistencyProof(tree, m);
      REQUIRE(VerifyConsistency(m, n, old_root, root, proof));
      if (m > 0 && m < n) {
        CHECK_FALSE(VerifyConsistency(m, n, LeafHash("x"), root, proof));
        CHECK_FALSE(VerifyConsistency(m, n, old_root, LeafHash("x"), proof));
        proof.back()[0] ^= 1;
        CHECK_FALSE(VerifyConsistency(m, n, old_root, root, proof));
      }
    }
  }
  CHECK_FALSE(VerifyInclusion(leaves[0], 3, 3, {}, leaves[0]));
}

TEST_CASE("audit: events have one canonical form", "[audit]") {
  Hash prev{};
  prev[3] = 9;
  AuditRecord r = Record(10);
  r.time = absl::FromUnixMicros(1795860000123456);
  auto bytes = SerializeEvent(r, prev);
  REQUIRE(bytes.ok());
  auto parsed = ParseEvent(*bytes);
  REQUIRE(parsed.ok());
  CHECK(parsed->prev == prev);
  CHECK(parsed->record.actor == r.actor);
  CHECK(parsed->record.rules == r.rules);
  CHECK(parsed->record.decision == Decision::kDeny);
  CHECK(parsed->record.time == r.time);
  CHECK(FormatAuditTime(r.time) == "2026-11-28T10:00:00.123456Z");
  CHECK(*SerializeEvent(parsed->record, parsed->prev) == *bytes);

  CHECK_FALSE(ParseEvent(*bytes + "x").ok());
  CHECK_FALSE(ParseEvent(bytes->substr(0, bytes->size() - 1)).ok());
  std::string bad = *bytes;
  bad[36] = 2;  // decision byte
  CHECK_FALSE(ParseEvent(bad).ok());
  bad = *bytes;
  bad[4 + 32 + 1 + 4 + 10] = ' ';  // the time's 'T'
  CHECK_FALSE(ParseEvent(bad).ok());

  AuditRecord missing = r;
  missing.actor.clear();
  CHECK(SerializeEvent(missing, prev).status().code() == absl::StatusCode::kInvalidArgument);
  AuditRecord bad_utf8 = r;
  bad_utf8.purpose.assign(1, '\xff');  // (not `= "\xff"`: GCC 12 -O3 warns wrongly)
  CHECK_FALSE(SerializeEvent(bad_utf8, prev).ok());
}

TEST_CASE("audit: checkpoints are signed and parsed canonically", "[audit]") {
  CHECK(ToHex(TestPublicKey()) ==
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const Hash root = LeafHash("root");
  auto c = SignCheckpoint(42, root, absl::FromUnixSeconds(1795860000), kKey);
  REQUIRE(c.ok());
  const std::string payload = SerializeCheckpoint(*c);
  CHECK(payload.starts_with(
      Cat({"varsam-audit-checkpoint/1\n42\n", ToHex(root), "\n2026-11-28T10:00:00.000000Z\n"})));
  auto parsed = ParseCheckpoint(payload);
  REQUIRE(parsed.ok());
  CHECK(VerifyCheckpointSignature(*parsed, TestPublicKey()));
  CHECK_FALSE(VerifyCheckpointSignature(*parsed, *PublicKeyOf(OtherKey())));
  parsed->size = 43;
  CHECK_FALSE(VerifyCheckpointSignature(*parsed, TestPublicKey()));
  CHECK_FALSE(ParseCheckpoint(payload + "\n").ok());
  CHECK_FALSE(ParseCheckpoint(Cat({"varsam-audit-checkpoint/1\n042", payload.substr(28)})).ok());
}

TEST_CASE("audit: an honest log verifies and proves inclusion on each backend", "[audit]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto store = OpenStore(location);
    VerifyReport empty = MustVerify(*store);
    CHECK(empty.ok);
    CHECK(empty.events == 0);

    WriteLog(*store, 23);
    VerifyReport report = MustVerify(*store);
    INFO(report.reason);
    CHECK(report.ok);
    CHECK(report.events == 23);
    CHECK(report.checkpoints == 5);  // 5, 10, 15, 20 and 23 on close
    CHECK(report.signatures_checked);
    CHECK_FALSE(report.first_bad_seq.has_value());

    auto unsigned_report = Verify(*store);
    REQUIRE(unsigned_report.ok());
    CHECK(unsigned_report->ok);
    CHECK_FALSE(unsigned_report->signatures_checked);

    auto proof = ProveInclusion(*store, 7);
    REQUIRE(proof.ok());
    CHECK(proof->tree_size == 23);
    CHECK(proof->root == report.root);
    CHECK(VerifyInclusion(proof->leaf_hash, 6, 23, proof->path, proof->root));
    CHECK(ProveInclusion(*store, 24).status().code() == absl::StatusCode::kOutOfRange);

    // Reopening continues the same tree.
    {
      auto log = AuditLog::Open(store.get(), TestKey());
      REQUIRE(log.ok());
      CHECK((*log)->size() == 23);
      CHECK((*log)->root() == report.root);
      REQUIRE((*log)->Append(Record(24)).ok());
    }
    VerifyReport again = MustVerify(*store);
    CHECK(again.ok);
    CHECK(again.events == 24);
    CHECK(again.checkpoints == 6);
  });
}

TEST_CASE("audit: checkpoints are also written by time", "[audit]") {
  TempDir dir;
  auto store = OpenStore(dir.Store());
  AuditLogOptions options;
  options.checkpoint_every_events = 0;
  options.checkpoint_every = absl::Seconds(3);
  options.clock = SteppingClock();  // one second per call
  auto log = AuditLog::Open(store.get(), TestKey(), options);
  REQUIRE(log.ok());
  for (int i = 1; i <= 6; ++i) REQUIRE((*log)->Append(Record(i)).ok());
  VerifyReport report = MustVerify(*store);
  CHECK(report.ok);
  CHECK(report.checkpoints >= 1);
  CHECK(report.checkpoints < 6);
}

TEST_CASE("audit: tampering is found and the first bad seq named on each backend", "[audit]") {
  // Each SECTION runs ForEachLoggedStore itself (a fresh store per section and backend): a
  // SECTION met twice in one run of a test case (once per backend) would run only the first time.
  SECTION("one byte of an event's content") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r = VerifyAfter(location, backend, [](RawAudit& db) {
        std::string p = db.Payload(7);
        p[kActorOffset] = static_cast<char>(p[kActorOffset] == 'a' ? 'b' : 'a');
        db.SetPayload(7, p);
      });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 7);
    });
  }
  SECTION("one byte of an event's link to the one before") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r = VerifyAfter(location, backend, [](RawAudit& db) {
        std::string p = db.Payload(7);
        p[kPrevOffset] = static_cast<char>(p[kPrevOffset] ^ 1);
        db.SetPayload(7, p);
      });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 7);
    });
  }
  SECTION("a byte that breaks the canonical form") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r = VerifyAfter(location, backend,
                                   [](RawAudit& db) { db.SetPayload(9, db.Payload(9) + "x"); });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 9);
    });
  }
  SECTION("the last event, covered only by the last checkpoint") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r = VerifyAfter(location, backend, [](RawAudit& db) {
        std::string p = db.Payload(20);
        p[kActorOffset] = static_cast<char>(p[kActorOffset] == 'a' ? 'b' : 'a');
        db.SetPayload(20, p);
      });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 16);  // the first event the 15-event checkpoint does not vouch for
    });
  }
  SECTION("one event deleted") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r =
          VerifyAfter(location, backend, [](RawAudit& db) { db.DeleteEvents(7, 7, 1); });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 7);
    });
  }
  SECTION("two events swapped") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r = VerifyAfter(location, backend, [](RawAudit& db) {
        const std::string a = db.Payload(7);
        const std::string b = db.Payload(12);
        db.SetPayload(7, b);
        db.SetPayload(12, a);
      });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 7);
    });
  }
  SECTION("two neighbours swapped") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r = VerifyAfter(location, backend, [](RawAudit& db) {
        const std::string a = db.Payload(7);
        const std::string b = db.Payload(8);
        db.SetPayload(7, b);
        db.SetPayload(8, a);
      });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 7);
    });
  }
  SECTION("the tail truncated after a checkpoint covering it") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r =
          VerifyAfter(location, backend, [](RawAudit& db) { db.DeleteEvents(18, 20, 3); });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 18);
      CHECK(r.events == 17);
    });
  }
  SECTION("a forged checkpoint: wrong signature") {
    ForEachLoggedStore([](const std::string& location, std::string_view) {
      auto store = OpenStore(location);
      const std::array<std::uint8_t, 32> other = OtherKey();
      // The right root, signed by someone else.
      auto proof = ProveInclusion(*store, 1, 12);
      REQUIRE(proof.ok());
      auto c = SignCheckpoint(12, proof->root, absl::FromUnixSeconds(1795860000), other);
      REQUIRE(c.ok());
      REQUIRE(store->AppendCheckpoint({12, SerializeCheckpoint(*c)}).ok());
      VerifyReport r = MustVerify(*store);
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 12);
      CHECK(r.reason.find("signature") != std::string::npos);
    });
  }
  SECTION("a forged checkpoint: wrong root") {
    ForEachLoggedStore([](const std::string& location, std::string_view) {
      auto store = OpenStore(location);
      auto c =
          SignCheckpoint(12, LeafHash("not the root"), absl::FromUnixSeconds(1795860000), kKey);
      REQUIRE(c.ok());
      REQUIRE(store->AppendCheckpoint({12, SerializeCheckpoint(*c)}).ok());
      VerifyReport r = MustVerify(*store);
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 11);  // the first event after the last checkpoint that matched
      CHECK(r.reason.find("root") != std::string::npos);
    });
  }
  SECTION("a checkpoint's payload altered in place") {
    ForEachLoggedStore([](const std::string& location, std::string_view backend) {
      VerifyReport r = VerifyAfter(location, backend,
                                   [](RawAudit& db) { db.SetCheckpointPayload(10, "garbage"); });
      CHECK_FALSE(r.ok);
      CHECK(r.first_bad_seq == 10);
    });
  }
}

// Group commit (AuditLog::Append): many threads at once share transactions; every call still
// gets its own seqs, a call with a bad record fails alone, and the log verifies.
TEST_CASE("audit: 16 threads appending at once: group commit gives each call its own seqs",
          "[audit]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto store = OpenStore(location);
    AuditLogOptions options;
    options.checkpoint_every_events = 50;
    options.checkpoint_every = absl::ZeroDuration();
    auto log = AuditLog::Open(store.get(), TestKey(), options);
    REQUIRE(log.ok());
    constexpr int kThreads = 16;
    constexpr int kCalls = 40;  // per thread; every 10th is a batch of 3, every 7th is bad
    struct Outcome {
      std::vector<std::pair<std::int64_t, int>> seqs;  // (last seq, events) per good call
      int refused = 0;
      bool wrong_error = false;
    };
    std::vector<Outcome> outcomes(kThreads);
    {
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 1; i <= kCalls; ++i) {
            AuditRecord record = Record(t * 1000 + i);
            record.actor = Cat({"t", std::to_string(t), "-", std::to_string(i)});  // one per call
            std::vector<AuditRecord> records(i % 10 == 0 ? 3 : 1, record);
            if (i % 7 == 0) records.back().actor.clear();  // actor is required
            absl::StatusOr<std::int64_t> seq = (*log)->AppendBatch(records);
            if (i % 7 == 0) {
              ++outcomes[t].refused;
              outcomes[t].wrong_error |= seq.status().code() != absl::StatusCode::kInvalidArgument;
            } else if (seq.ok()) {
              outcomes[t].seqs.emplace_back(*seq, static_cast<int>(records.size()));
            } else {
              outcomes[t].wrong_error = true;
            }
          }
        });
      }
      for (std::thread& thread : threads) thread.join();
    }
    // Every good call's events occupy their own consecutive seqs; together they are 1..n.
    std::vector<int> owner;
    std::int64_t good_events = 0;
    for (int t = 0; t < kThreads; ++t) {
      CHECK_FALSE(outcomes[t].wrong_error);
      CHECK(outcomes[t].refused == kCalls / 7);
      for (const auto& [last, events] : outcomes[t].seqs) good_events += events;
    }
    owner.assign(static_cast<size_t>(good_events) + 1, -1);
    bool overlap = false;
    for (int t = 0; t < kThreads; ++t) {
      for (const auto& [last, events] : outcomes[t].seqs) {
        for (std::int64_t seq = last - events + 1; seq <= last; ++seq) {
          REQUIRE(seq >= 1);
          REQUIRE(seq <= good_events);
          overlap |= owner[static_cast<size_t>(seq)] != -1;
          owner[static_cast<size_t>(seq)] = t;
        }
      }
    }
    CHECK_FALSE(overlap);
    CHECK((*log)->size() == good_events);
    REQUIRE((*log)->Close().ok());
    VerifyReport report = MustVerify(*store);
    INFO(report.reason);
    CHECK(report.ok);
    CHECK(report.events == good_events);
    // Each call's events are its own, unbroken: every seq of a call carries that call's actor.
    std::vector<std::string> actors(static_cast<size_t>(good_events) + 1);
    REQUIRE(store
                ->ReadAudit(1, good_events,
                            [&](const varsam::store::AuditEvent& e) {
                              auto parsed = ParseEvent(e.payload);
                              REQUIRE(parsed.ok());
                              actors[static_cast<size_t>(e.seq)] = parsed->record.actor;
                              return true;
                            })
                .ok());
    bool mixed = false;
    std::set<std::string> calls;
    for (int t = 0; t < kThreads; ++t) {
      for (const auto& [last, events] : outcomes[t].seqs) {
        const std::string& actor = actors[static_cast<size_t>(last)];
        mixed |= actor.rfind(Cat({"t", std::to_string(t), "-"}), 0) != 0;
        mixed |= !calls.insert(actor).second;
        for (std::int64_t seq = last - events + 1; seq <= last; ++seq) {
          mixed |= actors[static_cast<size_t>(seq)] != actor;
        }
      }
    }
    CHECK_FALSE(mixed);
  });
}

TEST_CASE("audit: an event whose time is not a real date is refused by both parsers", "[audit]") {
  // Found by fuzz_audit_parse: 2026-11-31 has the right shape, and a full time parse rolls it
  // into December, so the fast check (Verify) and the full parse must both refuse it.
  AuditRecord r = Record(3);
  r.time = absl::FromCivil(absl::CivilSecond(2026, 11, 30, 10, 0, 0), absl::UTCTimeZone());
  auto bytes = SerializeEvent(r, Hash{});
  REQUIRE(bytes.ok());
  const size_t at = bytes->find("2026-11-30T");
  REQUIRE(at != std::string::npos);
  Hash prev{};
  REQUIRE(CheckEvent(*bytes, &prev).ok());
  for (const std::string_view day : {"31", "00", "32"}) {
    std::string bad = *bytes;
    bad.replace(at + 8, 2, day);
    INFO(bad.substr(at, 27));
    CHECK_FALSE(ParseEvent(bad).ok());
    CHECK_FALSE(CheckEvent(bad, &prev).ok());
  }
}
