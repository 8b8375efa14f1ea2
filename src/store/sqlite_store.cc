// The SQLite backend (the embedded default): a directory with journal.db, register.db and
// audit.db, three separate database files that are never ATTACHed together, so no connection
// of the register can name a table of the journal (docs/architecture.md, "The legal shape is the
// architecture"; SoLPUL 7 a §).
//
// Each part has one writer connection guarded by a std::mutex (writes are BEGIN IMMEDIATE
// transactions, so other processes wait up to the busy timeout) and a small pool of reader
// connections (WAL readers never block the writer, and a read callback may call the store
// again without deadlock). Every statement is prepared once per connection and cached; values
// are bound, never spliced into SQL text. The journal and the audit store run with
// synchronous=FULL (a commit is on disk when the call returns); the register with FULL, or
// NORMAL when StoreOptions::durable_register is false. docs/storage.md has the schemas.

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::store::internal {
namespace {

namespace fs = std::filesystem;

constexpr Part kParts[] = {Part::kJournal, Part::kRegister, Part::kAudit};

std::string FileName(Part part) { return Cat({PartName(part), ".db"}); }

// ---- Errors -----------------------------------------------------------------------------------

// A Status for a failed SQLite call. SQLite's own messages name tables, columns and constraints,
// never bound values; still, only constraint messages (which say which rule) are passed on, and
// every other failure is described by the generic text of its result code.
absl::Status SqliteError(sqlite3* db, int rc, Part part, std::string_view doing) {
  const int primary = rc & 0xff;
  const std::string where = Cat({"store: ", PartName(part), ".db: ", doing, ": "});
  const char* generic = sqlite3_errstr(rc);
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(
          Cat({where, generic, " (another writer held it longer than the busy timeout)"}));
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(
          Cat({where, db != nullptr ? sqlite3_errmsg(db) : generic}));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return absl::DataLossError(Cat({where, generic}));
    case SQLITE_NOMEM: return absl::ResourceExhaustedError(Cat({where, generic}));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL: return absl::UnavailableError(Cat({where, generic}));
    default: return absl::InternalError(Cat({where, generic}));
  }
}

absl::Status Corrupt(Part part, std::string_view table, std::string_view column) {
  return absl::DataLossError(
      Cat({"store: ", PartName(part), ".db: a row of ", table, " is corrupt (", column, ")"}));
}

// ---- Connections and statements ---------------------------------------------------------------

// One connection to one part's file, with its cache of prepared statements. Not thread-safe:
// a writer is used under its part's mutex, a reader by one lease at a time.
class Connection {
 public:
  Connection(sqlite3* db, Part part) : db_(db), part_(part) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& entry : cache_) sqlite3_finalize(entry.second);
    sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }
  Part part() const { return part_; }

  // The cached statement for `sql` (which holds no values, only placeholders), ready to bind.
  absl::StatusOr<sqlite3_stmt*> Prepare(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, part_, "preparing a statement");
    cache_.emplace(sql, stmt);
    return stmt;
  }

  // Runs constant SQL (schema steps, pragmas without values).
  absl::Status Exec(const char* sql, std::string_view doing) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db_, rc, part_, doing);
  }

 private:
  sqlite3* db_;
  Part part_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// A cached statement in use: bind, step, read columns; reset and unbound when it goes.
class Statement {
 public:
  Statement(Connection& connection, sqlite3_stmt* stmt) : connection_(connection), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { Reset(); }

  static absl::StatusOr<Statement> Make(Connection& connection, const std::string& sql);

  // Text and blobs are bound without a copy: the bytes must live until the next Step or Reset.
  void BindText(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data() != nullptr ? s.data() : "", static_cast<int>(s.size()),
                      SQLITE_STATIC);
  }
  void BindBlob(int i, std::string_view s) {
    sqlite3_bind_blob(stmt_, i, s.data() != nullptr ? s.data() : "", static_cast<int>(s.size()),
                      SQLITE_STATIC);
  }
  void BindInt(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindDouble(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  // Steps a statement that returns no rows; an error names `doing`.
  absl::Status Run(std::string_view doing) {
    const int rc = Step();
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt_);
      return absl::OkStatus();
    }
    return Error(rc, doing);
  }
  absl::Status Error(int rc, std::string_view doing) {
    absl::Status status = SqliteError(connection_.db(), rc, connection_.part(), doing);
    sqlite3_reset(stmt_);
    return status;
  }
  void Reset() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }

  Statement(Statement&& other) noexcept : connection_(other.connection_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }

 private:
  Connection& connection_;
  sqlite3_stmt* stmt_;
};

absl::StatusOr<Statement> Statement::Make(Connection& connection, const std::string& sql) {
  VARSAM_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection.Prepare(sql));
  return Statement(connection, stmt);
}

// A transaction on one connection: rolled back when it goes uncommitted.
class Transaction {
 public:
  explicit Transaction(Connection& connection) : connection_(connection) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (open_) sqlite3_exec(connection_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // BEGIN IMMEDIATE (writes: takes the write lock now, waiting up to the busy timeout) or
  // BEGIN (reads: one snapshot for several statements).
  absl::Status Begin(bool immediate) {
    VARSAM_ASSIGN_OR_RETURN(Statement begin,
                            Statement::Make(connection_, immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
    VARSAM_RETURN_IF_ERROR(begin.Run("beginning a transaction"));
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() {
    VARSAM_ASSIGN_OR_RETURN(Statement commit, Statement::Make(connection_, "COMMIT"));
    VARSAM_RETURN_IF_ERROR(commit.Run("committing"));
    open_ = false;
    return absl::OkStatus();
  }

 private:
  Connection& connection_;
  bool open_ = false;
};

// ---- Schemas and migrations -------------------------------------------------------------------

// (CHECK constraints spell out their alternatives with OR: an IN list of three or more builds a
// temporary index each time a statement runs, which is each row of a bulk load.)

// Forward steps per part: step i takes a database from version i to i + 1, in one transaction
// with the update of varsam_schema. A new version appends a step; steps never change.
struct Migration {
  const char* sql;
};

constexpr Migration kJournalMigrations[] = {{R"sql(
CREATE TABLE measurements (
  id         INTEGER PRIMARY KEY,
  client_ref TEXT NOT NULL,
  case_ref   TEXT NOT NULL,
  case_kind  TEXT NOT NULL CHECK (case_kind = 'anmalan' OR
               case_kind = 'forhandsbedomning' OR case_kind = 'utredning' OR
               case_kind = 'insats' OR case_kind = 'uppfoljning'),
  instrument TEXT NOT NULL,
  session    INTEGER NOT NULL CHECK (session >= 0),
  date       TEXT NOT NULL,
  responses  TEXT NOT NULL,
  total      REAL,
  band       TEXT,
  flags      TEXT NOT NULL
) STRICT;
CREATE INDEX measurements_by_date ON measurements (date, id);
CREATE INDEX measurements_by_client ON measurements (client_ref, date, id);
CREATE INDEX measurements_by_case ON measurements (case_ref, date, id);
CREATE TABLE suggestions (
  id           TEXT PRIMARY KEY,
  client_ref   TEXT NOT NULL,
  case_ref     TEXT NOT NULL,
  kind         TEXT NOT NULL,
  created      TEXT NOT NULL,
  content_json TEXT NOT NULL
) STRICT;
CREATE TABLE decisions (
  id            INTEGER PRIMARY KEY,
  suggestion_id TEXT NOT NULL REFERENCES suggestions (id),
  decider       TEXT NOT NULL,
  decider_role  TEXT NOT NULL,
  decision      TEXT NOT NULL,
  rationale     TEXT NOT NULL,
  date          TEXT NOT NULL
) STRICT;
CREATE INDEX decisions_by_suggestion ON decisions (suggestion_id, id);
)sql"}};

// Only the fields of EpisodeRow and RegisterMeasurementRow: no column for a name, an identity
// number, an address or a host client id, and no key shared with the journal.
constexpr Migration kRegisterMigrations[] = {{R"sql(
CREATE TABLE episodes (
  pseudonym    TEXT NOT NULL CHECK (length(pseudonym) = 46),
  key_epoch    INTEGER NOT NULL CHECK (key_epoch >= 0),
  age_band     TEXT NOT NULL,
  sex          TEXT NOT NULL CHECK (sex = 'female' OR sex = 'male' OR sex = ''),
  region       TEXT NOT NULL CHECK (length(region) IN (0, 2)),
  case_kind    TEXT NOT NULL CHECK (case_kind = 'anmalan' OR
                 case_kind = 'forhandsbedomning' OR case_kind = 'utredning' OR
                 case_kind = 'insats' OR case_kind = 'uppfoljning'),
  intervention TEXT NOT NULL,
  start_period TEXT NOT NULL CHECK (length(start_period) IN (4, 7)),
  end_period   TEXT NOT NULL CHECK (length(end_period) = 0 OR length(end_period) = 4 OR
                                      length(end_period) = 7),
  outcome      TEXT NOT NULL,
  record_key   INTEGER NOT NULL CHECK (record_key != 0)
) STRICT;
CREATE TABLE measurements (
  pseudonym  TEXT NOT NULL CHECK (length(pseudonym) = 46),
  key_epoch  INTEGER NOT NULL CHECK (key_epoch >= 0),
  instrument TEXT NOT NULL,
  session    INTEGER NOT NULL CHECK (session >= 0),
  period     TEXT NOT NULL CHECK (length(period) IN (4, 7)),
  total      REAL,
  band       TEXT NOT NULL,
  record_key INTEGER NOT NULL CHECK (record_key != 0)
) STRICT;
CREATE INDEX measurements_by_instrument ON measurements (instrument);
)sql"}};

// Append-only: the database itself refuses UPDATE and DELETE, and a seq that is not the next.
constexpr Migration kAuditMigrations[] = {{R"sql(
CREATE TABLE events (
  seq     INTEGER PRIMARY KEY,
  payload BLOB NOT NULL
) STRICT;
CREATE TABLE checkpoints (
  seq     INTEGER NOT NULL CHECK (seq >= 0),
  payload BLOB NOT NULL
) STRICT;
CREATE TRIGGER events_gap_free BEFORE INSERT ON events
  WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM events)
  BEGIN SELECT RAISE(ABORT, 'audit events take the next seq, without gaps'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
)sql"}};

std::span<const Migration> Migrations(Part part) {
  switch (part) {
    case Part::kJournal: return kJournalMigrations;
    case Part::kRegister: return kRegisterMigrations;
    case Part::kAudit: return kAuditMigrations;
  }
  return {};
}

static_assert(std::size(kJournalMigrations) == kSchemaVersion);
static_assert(std::size(kRegisterMigrations) == kSchemaVersion);
static_assert(std::size(kAuditMigrations) == kSchemaVersion);

// The tables Info counts, per part.
std::span<const char* const> Tables(Part part) {
  static constexpr const char* kJournal[] = {"measurements", "suggestions", "decisions"};
  static constexpr const char* kRegister[] = {"episodes", "measurements"};
  static constexpr const char* kAudit[] = {"events", "checkpoints"};
  switch (part) {
    case Part::kJournal: return kJournal;
    case Part::kRegister: return kRegister;
    case Part::kAudit: return kAudit;
  }
  return {};
}

// Brings the database to kSchemaVersion in one transaction; refuses a newer one.
absl::Status Migrate(Connection& c) {
  const Part part = c.part();
  Transaction txn(c);
  VARSAM_RETURN_IF_ERROR(txn.Begin(/*immediate=*/true));
  VARSAM_RETURN_IF_ERROR(c.Exec(
      "CREATE TABLE IF NOT EXISTS varsam_schema (part TEXT NOT NULL, version INTEGER NOT NULL)",
      "creating the schema version table"));
  int version = 0;
  int rows = 0;
  {
    VARSAM_ASSIGN_OR_RETURN(Statement read,
                            Statement::Make(c, "SELECT part, version FROM varsam_schema"));
    int rc;
    while ((rc = read.Step()) == SQLITE_ROW) {
      ++rows;
      if (read.Text(0) != PartName(part)) {
        return absl::FailedPreconditionError(
            Cat({"store: ", FileName(part), " holds another part of a store (", read.Text(0),
                 "); the files of a store cannot be swapped"}));
      }
      version = static_cast<int>(std::clamp<std::int64_t>(read.Int(1), -1, 1 << 30));
    }
    if (rc != SQLITE_DONE) return read.Error(rc, "reading the schema version");
  }
  if (rows > 1 || version < 0) {
    return absl::DataLossError(
        Cat({"store: ", FileName(part), ": the schema version table is damaged"}));
  }
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        Cat({"store: ", FileName(part), " has schema version ", std::to_string(version),
             ", newer than version ", std::to_string(kSchemaVersion),
             " that this varsam knows; open it with a newer varsam"}));
  }
  if (version == kSchemaVersion) return txn.Commit();
  if (rows == 0) {
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(c, "INSERT INTO varsam_schema (part, version) VALUES (?, 0)"));
    insert.BindText(1, PartName(part));
    VARSAM_RETURN_IF_ERROR(insert.Run("recording the schema version"));
  }
  const std::span<const Migration> steps = Migrations(part);
  for (int v = version; v < kSchemaVersion; ++v) {
    VARSAM_RETURN_IF_ERROR(
        c.Exec(steps[v].sql, Cat({"migrating to schema version ", std::to_string(v + 1)})));
  }
  VARSAM_ASSIGN_OR_RETURN(Statement update,
                          Statement::Make(c, "UPDATE varsam_schema SET version = ?"));
  update.BindInt(1, kSchemaVersion);
  VARSAM_RETURN_IF_ERROR(update.Run("recording the schema version"));
  return txn.Commit();
}

// ---- One part: a writer and a pool of readers -------------------------------------------------

struct PartConfig {
  Part part;
  std::string path;
  bool full_sync = true;
  int busy_timeout_ms = 10000;
};

absl::StatusOr<std::unique_ptr<Connection>> Connect(const PartConfig& config, bool create,
                                                    bool reader) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(config.path.c_str(), &db, flags, nullptr);
  auto connection = std::make_unique<Connection>(db, config.part);  // closes db on every path
  if (rc != SQLITE_OK) return SqliteError(db, rc, config.part, "opening");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, std::max(0, config.busy_timeout_ms));
  // No writes to sqlite_schema behind the library's back, no schema-borne functions.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  if (reader) {
    VARSAM_RETURN_IF_ERROR(connection->Exec("PRAGMA query_only = ON", "configuring a reader"));
    return connection;
  }
  {
    VARSAM_ASSIGN_OR_RETURN(Statement wal,
                            Statement::Make(*connection, "PRAGMA journal_mode = WAL"));
    const int step = wal.Step();
    if (step != SQLITE_ROW) return wal.Error(step, "switching to WAL");
    if (wal.Text(0) != "wal") {
      return absl::UnavailableError(
          Cat({"store: ", FileName(config.part), ": cannot use write-ahead logging here"}));
    }
  }
  VARSAM_RETURN_IF_ERROR(connection->Exec(
      config.full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
      "setting durability"));
  if (config.part == Part::kJournal) {
    VARSAM_RETURN_IF_ERROR(connection->Exec("PRAGMA foreign_keys = ON", "enabling foreign keys"));
  }
  return connection;
}

class SqlitePart {
 public:
  explicit SqlitePart(PartConfig config) : config_(std::move(config)) {}

  absl::Status Open(bool create) {
    VARSAM_ASSIGN_OR_RETURN(writer_, Connect(config_, create, /*reader=*/false));
    return Migrate(*writer_);
  }

  Part part() const { return config_.part; }

  // The writer, locked for the caller's scope.
  class Writer {
   public:
    explicit Writer(SqlitePart& p) : lock_(p.write_mu_), connection_(*p.writer_) {}
    Connection& operator*() { return connection_; }
    Connection* operator->() { return &connection_; }

   private:
    std::unique_lock<std::mutex> lock_;
    Connection& connection_;
  };

  // A reader connection for the caller's scope, returned to the pool after.
  class Reader {
   public:
    Reader(SqlitePart& p, std::unique_ptr<Connection> c) : part_(p), connection_(std::move(c)) {}
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    Reader(Reader&& other) noexcept
        : part_(other.part_), connection_(std::move(other.connection_)) {}
    ~Reader() {
      if (connection_ != nullptr) part_.Release(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    SqlitePart& part_;
    std::unique_ptr<Connection> connection_;
  };

  absl::StatusOr<Reader> AcquireReader() {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Connection> c = std::move(idle_.back());
        idle_.pop_back();
        return Reader(*this, std::move(c));
      }
    }
    VARSAM_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c,
                            Connect(config_, /*create=*/false, /*reader=*/true));
    return Reader(*this, std::move(c));
  }

 private:
  static constexpr size_t kMaxIdleReaders = 8;

  void Release(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (idle_.size() < kMaxIdleReaders) idle_.push_back(std::move(c));
  }

  PartConfig config_;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_ after Open
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by pool_mu_
};

// ---- Values -----------------------------------------------------------------------------------

std::string ResponsesJson(const std::vector<double>& responses) {
  nlohmann::json a = nlohmann::json::array();
  for (double r : responses) {
    if (std::isnan(r)) {
      a.push_back(nullptr);
    } else {
      a.push_back(r);
    }
  }
  return DumpJson(a);
}

std::string FlagsJson(const std::vector<std::string>& flags) {
  nlohmann::json a = nlohmann::json::array();
  for (const std::string& f : flags) a.push_back(f);
  return DumpJson(a);
}

absl::StatusOr<std::vector<double>> ParseResponses(std::string_view text) {
  absl::StatusOr<nlohmann::json> parsed = ParseJson(text, "responses");
  if (!parsed.ok() || !parsed->is_array())
    return Corrupt(Part::kJournal, "measurements", "responses");
  std::vector<double> out;
  out.reserve(parsed->size());
  for (const nlohmann::json& v : *parsed) {
    if (v.is_null()) {
      out.push_back(std::nan(""));
    } else if (v.is_number()) {
      out.push_back(v.get<double>());
    } else {
      return Corrupt(Part::kJournal, "measurements", "responses");
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseFlags(std::string_view text) {
  absl::StatusOr<nlohmann::json> parsed = ParseJson(text, "flags");
  if (!parsed.ok() || !parsed->is_array()) return Corrupt(Part::kJournal, "measurements", "flags");
  std::vector<std::string> out;
  out.reserve(parsed->size());
  for (const nlohmann::json& v : *parsed) {
    if (!v.is_string()) return Corrupt(Part::kJournal, "measurements", "flags");
    out.push_back(v.get<std::string>());
  }
  return out;
}

absl::StatusOr<Date> ReadDate(const Statement& s, int col, Part part, std::string_view table,
                              std::string_view column) {
  absl::StatusOr<Date> d = ParseIsoDate(s.Text(col), column);
  if (!d.ok()) return Corrupt(part, table, column);
  return *d;
}

// The record key is an unsigned 64-bit number; SQLite's INTEGER is signed: the same bits.
std::int64_t KeyToColumn(std::uint64_t key) { return static_cast<std::int64_t>(key); }
std::uint64_t KeyFromColumn(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Runs `stmt` and hands each row to `row` until it returns false or the rows end.
template <typename Fn>
absl::Status StepRows(Statement& stmt, std::string_view doing, Fn&& row) {
  for (;;) {
    const int rc = stmt.Step();
    if (rc == SQLITE_DONE) return absl::OkStatus();
    if (rc != SQLITE_ROW) return stmt.Error(rc, doing);
    absl::StatusOr<bool> more = row();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
  }
}

// The WHERE clause of a filtered read: each filter value that is given adds " AND <condition>"
// with one "?" and the value bound to it, in order; a flag adds a condition without a value.
class Where {
 public:
  Where& Add(std::string_view condition, const std::optional<std::string>& value) {
    if (value) Push(condition, Value{*value});
    return *this;
  }
  Where& Add(std::string_view condition, const std::optional<Date>& value) {
    if (value) Push(condition, Value{FormatIsoDate(*value)});
    return *this;
  }
  Where& Add(std::string_view condition, const std::optional<std::int32_t>& value) {
    if (value) Push(condition, Value{*value});
    return *this;
  }
  Where& AddIf(bool given, std::string_view condition) {
    if (given) sql_ = Cat({sql_, " AND ", condition});
    return *this;
  }
  const std::string& sql() const { return sql_; }
  void Bind(Statement& s) const {
    for (size_t i = 0; i < values_.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (const auto* text = std::get_if<std::string>(&values_[i])) {
        s.BindText(index, *text);
      } else {
        s.BindInt(index, std::get<std::int64_t>(values_[i]));
      }
    }
  }

 private:
  using Value = std::variant<std::string, std::int64_t>;
  void Push(std::string_view condition, Value value) {
    sql_ = Cat({sql_, " AND ", condition});
    values_.push_back(std::move(value));
  }
  std::string sql_ = " WHERE 1 = 1";
  std::vector<Value> values_;
};

// A decision from the columns first..first+6 (id, suggestion_id, decider, decider_role,
// decision, rationale, date).
absl::Status ReadDecision(Statement& s, int first, Decision* d) {
  d->id = s.Int(first);
  d->suggestion_id = s.Text(first + 1);
  d->decider = s.Text(first + 2);
  d->decider_role = s.Text(first + 3);
  d->decision = s.Text(first + 4);
  d->rationale = s.Text(first + 5);
  VARSAM_ASSIGN_OR_RETURN(d->date, ReadDate(s, first + 6, Part::kJournal, "decisions", "date"));
  return absl::OkStatus();
}

// ---- The store --------------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string directory, const StoreOptions& options)
      : Store(options.vocabulary),
        directory_(std::move(directory)),
        journal_(PartConfig{Part::kJournal, PathOf(Part::kJournal), true, options.busy_timeout_ms}),
        register_(PartConfig{Part::kRegister, PathOf(Part::kRegister), options.durable_register,
                             options.busy_timeout_ms}),
        audit_(PartConfig{Part::kAudit, PathOf(Part::kAudit), true, options.busy_timeout_ms}) {}

  absl::Status Open(bool create) {
    VARSAM_RETURN_IF_ERROR(journal_.Open(create));
    VARSAM_RETURN_IF_ERROR(register_.Open(create));
    return audit_.Open(create);
  }

  std::string_view backend() const override { return "sqlite"; }

  absl::StatusOr<StoreInfo> Info() override {
    StoreInfo info;
    info.backend = "sqlite";
    info.location = directory_;
    for (SqlitePart* p : {&journal_, &register_, &audit_}) {
      VARSAM_ASSIGN_OR_RETURN(PartInfo part, PartInfoOf(*p));
      info.parts.push_back(std::move(part));
    }
    return info;
  }

  // ---- Journal ----

  absl::StatusOr<std::vector<std::int64_t>> WriteMeasurements(
      std::span<const Measurement> measurements) override {
    std::vector<std::int64_t> ids;
    ids.reserve(measurements.size());
    if (measurements.empty()) return ids;
    SqlitePart::Writer c(journal_);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(*c,
                        "INSERT INTO measurements (client_ref, case_ref, case_kind, instrument, "
                        "session, date, responses, total, band, flags) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (size_t i = 0; i < measurements.size(); ++i) {
      const Measurement& m = measurements[i];
      const std::string date = FormatIsoDate(m.date);
      const std::string responses = ResponsesJson(m.responses);
      const std::string flags = FlagsJson(m.flags);
      insert.BindText(1, m.client_ref);
      insert.BindText(2, m.case_ref);
      insert.BindText(3, m.case_kind);
      insert.BindText(4, m.instrument);
      insert.BindInt(5, m.session);
      insert.BindText(6, date);
      insert.BindText(7, responses);
      if (m.total) {
        insert.BindDouble(8, *m.total);
      } else {
        insert.BindNull(8);
      }
      if (m.band) {
        insert.BindText(9, *m.band);
      } else {
        insert.BindNull(9);
      }
      insert.BindText(10, flags);
      VARSAM_RETURN_IF_ERROR(insert.Run("appending a measurement"));
      ids.push_back(sqlite3_last_insert_rowid(c->db()));
    }
    VARSAM_RETURN_IF_ERROR(txn.Commit());
    return ids;
  }

  absl::Status ForEachMeasurement(const MeasurementFilter& filter,
                                  absl::FunctionRef<bool(const Measurement&)> row) override {
    Where where;
    where.Add("client_ref = ?", filter.client_ref)
        .Add("case_ref = ?", filter.case_ref)
        .Add("instrument = ?", filter.instrument)
        .Add("date >= ?", filter.from)
        .Add("date <= ?", filter.to);
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, journal_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(*c, Cat({"SELECT id, client_ref, case_ref, case_kind, instrument, session, "
                                 "date, responses, total, band, flags FROM measurements",
                                 where.sql(), " ORDER BY date, id"})));
    where.Bind(s);
    Measurement m;
    return StepRows(s, "reading measurements", [&]() -> absl::StatusOr<bool> {
      m.id = s.Int(0);
      m.client_ref = s.Text(1);
      m.case_ref = s.Text(2);
      m.case_kind = s.Text(3);
      m.instrument = s.Text(4);
      m.session = static_cast<int>(s.Int(5));
      VARSAM_ASSIGN_OR_RETURN(m.date, ReadDate(s, 6, Part::kJournal, "measurements", "date"));
      VARSAM_ASSIGN_OR_RETURN(m.responses, ParseResponses(s.Text(7)));
      m.total = s.IsNull(8) ? std::nullopt : std::optional<double>(s.Double(8));
      m.band = s.IsNull(9) ? std::nullopt : std::optional<std::string>(s.Text(9));
      VARSAM_ASSIGN_OR_RETURN(m.flags, ParseFlags(s.Text(10)));
      return row(m);
    });
  }

  absl::Status WriteSuggestion(const Suggestion& x) override {
    const std::string created = FormatIsoDate(x.created);

    SqlitePart::Writer c(journal_);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(*c,
                        "INSERT INTO suggestions (id, client_ref, case_ref, kind, created, "
                        "content_json) VALUES (?, ?, ?, ?, ?, ?)"));
    insert.BindText(1, x.id);
    insert.BindText(2, x.client_ref);
    insert.BindText(3, x.case_ref);
    insert.BindText(4, x.kind);
    insert.BindText(5, created);
    insert.BindText(6, x.content_json);
    const int rc = insert.Step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
      insert.Reset();
      return absl::AlreadyExistsError("store: a suggestion with this id exists already");
    }
    if (rc != SQLITE_DONE) return insert.Error(rc, "storing a suggestion");
    insert.Reset();
    return txn.Commit();
  }

  absl::StatusOr<Suggestion> GetSuggestion(std::string_view id) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, journal_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(Statement s,
                            Statement::Make(*c,
                                            "SELECT id, client_ref, case_ref, kind, created, "
                                            "content_json FROM suggestions WHERE id = ?"));
    s.BindText(1, id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError("store: no suggestion with this id");
    if (rc != SQLITE_ROW) return s.Error(rc, "reading a suggestion");
    Suggestion x;
    x.id = s.Text(0);
    x.client_ref = s.Text(1);
    x.case_ref = s.Text(2);
    x.kind = s.Text(3);
    VARSAM_ASSIGN_OR_RETURN(x.created, ReadDate(s, 4, Part::kJournal, "suggestions", "created"));
    x.content_json = s.Text(5);
    return x;
  }

  absl::StatusOr<std::int64_t> WriteDecision(const Decision& d) override {
    const std::string date = FormatIsoDate(d.date);

    SqlitePart::Writer c(journal_);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    {
      VARSAM_ASSIGN_OR_RETURN(Statement exists,
                              Statement::Make(*c, "SELECT 1 FROM suggestions WHERE id = ?"));
      exists.BindText(1, d.suggestion_id);
      const int rc = exists.Step();
      if (rc == SQLITE_DONE) {
        return absl::FailedPreconditionError(
            "store: the decision's suggestion does not exist (nothing written)");
      }
      if (rc != SQLITE_ROW) return exists.Error(rc, "finding the decision's suggestion");
    }
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(*c,
                        "INSERT INTO decisions (suggestion_id, decider, decider_role, decision, "
                        "rationale, date) VALUES (?, ?, ?, ?, ?, ?)"));
    insert.BindText(1, d.suggestion_id);
    insert.BindText(2, d.decider);
    insert.BindText(3, d.decider_role);
    insert.BindText(4, d.decision);
    insert.BindText(5, d.rationale);
    insert.BindText(6, date);
    VARSAM_RETURN_IF_ERROR(insert.Run("recording a decision"));
    const std::int64_t id = sqlite3_last_insert_rowid(c->db());
    VARSAM_RETURN_IF_ERROR(txn.Commit());
    return id;
  }

  absl::Status ForEachDecision(std::string_view suggestion_id,
                               absl::FunctionRef<bool(const Decision&)> row) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, journal_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(*c,
                        "SELECT id, suggestion_id, decider, decider_role, decision, rationale, "
                        "date FROM decisions WHERE suggestion_id = ? ORDER BY id"));
    s.BindText(1, suggestion_id);
    Decision d;
    return StepRows(s, "reading decisions", [&]() -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(ReadDecision(s, 0, &d));
      return row(d);
    });
  }

  // One query: each suggestion LEFT JOINed to its first decision, found by the correlated
  // min(id) over decisions_by_suggestion (suggestion_id, id). Only the filters given become
  // conditions, each with a bound value.
  absl::Status ForEachSuggestion(
      const SuggestionFilter& filter,
      absl::FunctionRef<bool(const Suggestion&, const Decision*)> row) override {
    // A reference that is not UTF-8 without NUL cannot be stored, so it matches nothing (as on
    // PostgreSQL, which refuses such a parameter).
    for (const std::optional<std::string>* text :
         {&filter.client_ref, &filter.case_ref, &filter.kind}) {
      if (*text && (!IsValidUtf8(**text) || (*text)->find('\0') != std::string::npos)) {
        return absl::OkStatus();
      }
    }
    Where where;
    where.Add("s.client_ref = ?", filter.client_ref)
        .Add("s.case_ref = ?", filter.case_ref)
        .Add("s.kind = ?", filter.kind)
        .Add("s.created >= ?", filter.from)
        .Add("s.created <= ?", filter.to)
        .AddIf(filter.open_only, "d.id IS NULL");
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, journal_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(
            *c, Cat({"SELECT s.id, s.client_ref, s.case_ref, s.kind, s.created, s.content_json, "
                     "d.id, d.suggestion_id, d.decider, d.decider_role, d.decision, d.rationale, "
                     "d.date FROM suggestions AS s LEFT JOIN decisions AS d ON d.id = "
                     "(SELECT min(f.id) FROM decisions AS f WHERE f.suggestion_id = s.id)",
                     where.sql(), " ORDER BY s.created, s.id"})));
    where.Bind(s);
    Suggestion x;
    Decision d;
    return StepRows(s, "reading suggestions", [&]() -> absl::StatusOr<bool> {
      x.id = s.Text(0);
      x.client_ref = s.Text(1);
      x.case_ref = s.Text(2);
      x.kind = s.Text(3);
      VARSAM_ASSIGN_OR_RETURN(x.created, ReadDate(s, 4, Part::kJournal, "suggestions", "created"));
      x.content_json = s.Text(5);
      if (s.IsNull(6)) return row(x, nullptr);
      VARSAM_RETURN_IF_ERROR(ReadDecision(s, 6, &d));
      return row(x, &d);
    });
  }

  // ---- Register ----

  absl::Status ForEachEpisode(const EpisodeFilter& filter,
                              absl::FunctionRef<bool(const EpisodeRow&)> row) override {
    const Where where = EpisodeWhere(filter);
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(*c, Cat({"SELECT pseudonym, key_epoch, age_band, sex, region, case_kind, "
                                 "intervention, start_period, end_period, outcome, record_key "
                                 "FROM episodes",
                                 where.sql(), " ORDER BY rowid"})));
    where.Bind(s);
    EpisodeRow e;
    return StepRows(s, "reading episodes", [&]() -> absl::StatusOr<bool> {
      e.pseudonym = s.Text(0);
      e.key_epoch = static_cast<std::int32_t>(s.Int(1));
      e.age_band = s.Text(2);
      e.sex = s.Text(3);
      e.region = s.Text(4);
      e.case_kind = s.Text(5);
      e.intervention = s.Text(6);
      e.start_period = s.Text(7);
      e.end_period = s.Text(8);
      e.outcome = s.Text(9);
      e.record_key = KeyFromColumn(s.Int(10));
      return row(e);
    });
  }

  absl::StatusOr<std::int64_t> CountEpisodes(const EpisodeFilter& filter) override {
    const Where where = EpisodeWhere(filter);
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s, Statement::Make(*c, Cat({"SELECT count(*) FROM episodes", where.sql()})));
    where.Bind(s);
    const int rc = s.Step();
    if (rc != SQLITE_ROW) return s.Error(rc, "counting episodes");
    return s.Int(0);
  }

  absl::Status ForEachRegisterMeasurement(
      std::string_view instrument,
      absl::FunctionRef<bool(const RegisterMeasurementRow&)> row) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    // An empty instrument reads every instrument's rows.
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(
            *c, Cat({"SELECT pseudonym, key_epoch, instrument, session, period, "
                     "total, band, record_key FROM measurements",
                     instrument.empty() ? "" : " WHERE instrument = ?", " ORDER BY rowid"})));
    if (!instrument.empty()) s.BindText(1, instrument);
    RegisterMeasurementRow m;
    return StepRows(s, "reading register measurements", [&]() -> absl::StatusOr<bool> {
      m.pseudonym = s.Text(0);
      m.key_epoch = static_cast<std::int32_t>(s.Int(1));
      m.instrument = s.Text(2);
      m.session = static_cast<int>(s.Int(3));
      m.period = s.Text(4);
      m.total = s.IsNull(5) ? std::nullopt : std::optional<double>(s.Double(5));
      m.band = s.Text(6);
      m.record_key = KeyFromColumn(s.Int(7));
      return row(m);
    });
  }

  // ---- Audit ----

  absl::StatusOr<std::int64_t> AppendAudit(std::string_view payload) override {
    return AppendEvents(std::span<const std::string_view>(&payload, 1));
  }

  absl::StatusOr<std::int64_t> AppendAuditBatch(std::span<const std::string> payloads) override {
    std::vector<std::string_view> views(payloads.begin(), payloads.end());
    return AppendEvents(views);
  }

  absl::StatusOr<std::int64_t> LastAuditSeq() override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, audit_.AcquireReader());
    return LastSeq(*c);
  }

  absl::Status ReadAudit(std::int64_t from_seq, std::int64_t to_seq,
                         absl::FunctionRef<bool(const AuditEvent&)> event) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, audit_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s, Statement::Make(*c,
                                     "SELECT seq, payload FROM events WHERE seq BETWEEN ? AND ? "
                                     "ORDER BY seq"));
    s.BindInt(1, from_seq);
    s.BindInt(2, to_seq);
    AuditEvent e;
    return StepRows(s, "reading audit events", [&]() -> absl::StatusOr<bool> {
      e.seq = s.Int(0);
      e.payload = s.Blob(1);
      return event(e);
    });
  }

  absl::Status AppendCheckpoint(const Checkpoint& checkpoint) override {
    SqlitePart::Writer c(audit_);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t last, LastSeq(*c));
    if (checkpoint.seq < 0 || checkpoint.seq > last) {
      return absl::FailedPreconditionError(
          "store: a checkpoint must cover events already appended (nothing written)");
    }
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(*c, "INSERT INTO checkpoints (seq, payload) VALUES (?, ?)"));
    insert.BindInt(1, checkpoint.seq);
    insert.BindBlob(2, checkpoint.payload);
    VARSAM_RETURN_IF_ERROR(insert.Run("appending a checkpoint"));
    return txn.Commit();
  }

  absl::Status ReadCheckpoints(absl::FunctionRef<bool(const Checkpoint&)> row) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, audit_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s, Statement::Make(*c, "SELECT seq, payload FROM checkpoints ORDER BY rowid"));
    Checkpoint k;
    return StepRows(s, "reading checkpoints", [&]() -> absl::StatusOr<bool> {
      k.seq = s.Int(0);
      k.payload = s.Blob(1);
      return row(k);
    });
  }

 protected:
  absl::Status WriteEpisodes(std::span<const EpisodeRow> rows) override {
    return InsertAll(register_, rows, "appending an episode",
                     "INSERT INTO episodes (pseudonym, key_epoch, age_band, sex, region, "
                     "case_kind, intervention, start_period, end_period, outcome, "
                     "record_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [](Statement& insert, const EpisodeRow& e) {
                       insert.BindText(1, e.pseudonym);
                       insert.BindInt(2, e.key_epoch);
                       insert.BindText(3, e.age_band);
                       insert.BindText(4, e.sex);
                       insert.BindText(5, e.region);
                       insert.BindText(6, e.case_kind);
                       insert.BindText(7, e.intervention);
                       insert.BindText(8, e.start_period);
                       insert.BindText(9, e.end_period);
                       insert.BindText(10, e.outcome);
                       insert.BindInt(11, KeyToColumn(e.record_key));
                     });
  }

  absl::Status WriteRegisterMeasurements(std::span<const RegisterMeasurementRow> rows) override {
    return InsertAll(register_, rows, "appending a register measurement",
                     "INSERT INTO measurements (pseudonym, key_epoch, instrument, session, "
                     "period, total, band, record_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [](Statement& insert, const RegisterMeasurementRow& m) {
                       insert.BindText(1, m.pseudonym);
                       insert.BindInt(2, m.key_epoch);
                       insert.BindText(3, m.instrument);
                       insert.BindInt(4, m.session);
                       insert.BindText(5, m.period);
                       if (m.total) {
                         insert.BindDouble(6, *m.total);
                       } else {
                         insert.BindNull(6);
                       }
                       insert.BindText(7, m.band);
                       insert.BindInt(8, KeyToColumn(m.record_key));
                     });
  }

 private:
  // Inserts every row with one prepared statement in one write transaction of `part`: all of
  // them or none.
  template <typename Row, typename Bind>
  static absl::Status InsertAll(SqlitePart& part, std::span<const Row> rows, std::string_view what,
                                const std::string& sql, Bind bind) {
    if (rows.empty()) return absl::OkStatus();
    SqlitePart::Writer c(part);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    VARSAM_ASSIGN_OR_RETURN(Statement insert, Statement::Make(*c, sql));
    for (const Row& row : rows) {
      bind(insert, row);
      VARSAM_RETURN_IF_ERROR(insert.Run(what));
    }
    return txn.Commit();
  }

  std::string PathOf(Part part) const { return (fs::path(directory_) / FileName(part)).string(); }

  static Where EpisodeWhere(const EpisodeFilter& f) {
    Where where;
    where.Add("case_kind = ?", f.case_kind)
        .Add("intervention = ?", f.intervention)
        .Add("region = ?", f.region)
        .Add("key_epoch = ?", f.key_epoch);
    return where;
  }

  static absl::StatusOr<std::int64_t> LastSeq(Connection& c) {
    VARSAM_ASSIGN_OR_RETURN(Statement s,
                            Statement::Make(c, "SELECT coalesce(max(seq), 0) FROM events"));
    const int rc = s.Step();
    if (rc != SQLITE_ROW) return s.Error(rc, "reading the last audit seq");
    return s.Int(0);
  }

  absl::StatusOr<std::int64_t> AppendEvents(std::span<const std::string_view> payloads) {
    SqlitePart::Writer c(audit_);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    VARSAM_ASSIGN_OR_RETURN(std::int64_t seq, LastSeq(*c));
    VARSAM_ASSIGN_OR_RETURN(Statement insert,
                            Statement::Make(*c, "INSERT INTO events (seq, payload) VALUES (?, ?)"));
    for (std::string_view payload : payloads) {
      insert.BindInt(1, ++seq);
      insert.BindBlob(2, payload);
      VARSAM_RETURN_IF_ERROR(insert.Run("appending an audit event"));
    }
    VARSAM_RETURN_IF_ERROR(txn.Commit());
    return seq;
  }

  absl::StatusOr<PartInfo> PartInfoOf(SqlitePart& p) {
    PartInfo info;
    info.part = p.part();
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, p.AcquireReader());
    Transaction snapshot(*c);  // one snapshot for the version and every count
    VARSAM_RETURN_IF_ERROR(snapshot.Begin(false));
    {
      VARSAM_ASSIGN_OR_RETURN(Statement s,
                              Statement::Make(*c, "SELECT version FROM varsam_schema"));
      const int rc = s.Step();
      if (rc != SQLITE_ROW) return s.Error(rc, "reading the schema version");
      info.schema_version = static_cast<int>(s.Int(0));
    }
    for (const char* table : Tables(p.part())) {
      VARSAM_ASSIGN_OR_RETURN(Statement s,
                              Statement::Make(*c, Cat({"SELECT count(*) FROM ", table})));
      const int rc = s.Step();
      if (rc != SQLITE_ROW) return s.Error(rc, "counting rows");
      info.rows.emplace_back(table, s.Int(0));
    }
    VARSAM_RETURN_IF_ERROR(snapshot.Commit());
    return info;
  }

  std::string directory_;
  SqlitePart journal_;
  SqlitePart register_;
  SqlitePart audit_;
};

absl::Status FsError(const std::error_code& ec, std::string_view doing) {
  return absl::UnavailableError(Cat({"store: ", doing, ": ", ec.message()}));
}

// OK when `directory` is a directory holding all three files; NotFound otherwise.
absl::Status CheckExists(const std::string& directory) {
  std::error_code ec;
  const fs::file_status st = fs::status(directory, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return FsError(ec, "looking for the store");
  }
  if (!fs::exists(st)) return absl::NotFoundError("store: no store at the given location");
  if (!fs::is_directory(st)) {
    return absl::NotFoundError("store: the given location is not a store directory");
  }
  for (Part part : kParts) {
    if (!fs::exists(fs::path(directory) / FileName(part), ec)) {
      return absl::NotFoundError(
          Cat({"store: no store at the given location (", FileName(part), " is missing)"}));
    }
  }
  return absl::OkStatus();
}

absl::Status MakeDirectory(const std::string& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return FsError(ec, "creating the store directory");
  if (!fs::is_directory(directory, ec)) {
    return absl::FailedPreconditionError("store: the given location is not a directory");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqlite(std::string_view directory,
                                                  const StoreOptions& options) {
  const std::string dir(directory);
  if (options.create) {
    VARSAM_RETURN_IF_ERROR(MakeDirectory(dir));
  } else {
    VARSAM_RETURN_IF_ERROR(CheckExists(dir));
  }
  auto store = std::make_unique<SqliteStore>(dir, options);
  VARSAM_RETURN_IF_ERROR(store->Open(options.create));
  return store;
}

absl::Status InitSqlite(std::string_view directory) {
  StoreOptions options;
  options.create = true;
  return OpenSqlite(directory, options).status();
}

}  // namespace varsam::store::internal
