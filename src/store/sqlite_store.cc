// The SQLite backend (the embedded default): a directory with journal.db, register.db and
// audit.db, three separate database files that are never ATTACHed together, so no connection
// of the register can name a table of the journal (docs/storage.md, "Three parts, because the
// law separates them"; SoLPUL 7 a §).
//
// Each part has one writer connection guarded by a std::mutex (writes are BEGIN IMMEDIATE
// transactions, so other processes wait up to the busy timeout) and a small pool of reader
// connections (WAL readers never block the writer, and a read callback may call the store
// again without deadlock). Every statement is prepared once per connection and cached; values
// are bound, never spliced into SQL text. The journal and the audit store run with
// synchronous=FULL (a commit is on disk when the call returns); the register with FULL, or
// NORMAL when StoreOptions::durable_register is false. docs/storage.md has the schemas. What the
// records look like in a row, and which column takes which vocabulary, is rows.h's, shared with
// the PostgreSQL backend.

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <mutex>
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
#include "grouping.h"
#include "rows.h"
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
  // Binds parameters 1, 2, ... in the order of its calls.
  class Sequence {
   public:
    explicit Sequence(Statement& s) : s_(s) {}
    Sequence& Text(std::string_view v) {
      s_.BindText(++i_, v);
      return *this;
    }
    Sequence& Int(std::int64_t v) {
      s_.BindInt(++i_, v);
      return *this;
    }
    Sequence& OptionalText(const std::optional<std::string>& v) {
      if (v) {
        s_.BindText(++i_, *v);
      } else {
        s_.BindNull(++i_);
      }
      return *this;
    }
    Sequence& Double(std::optional<double> v) {
      if (v) {
        s_.BindDouble(++i_, *v);
      } else {
        s_.BindNull(++i_);
      }
      return *this;
    }

   private:
    Statement& s_;
    int i_ = 0;
  };
  Sequence Bind() { return Sequence(*this); }

  // Binds `texts` to the parameters 1, 2, ... in order.
  void BindTexts(std::initializer_list<std::string_view> texts) {
    int i = 0;
    for (const std::string_view text : texts) BindText(++i, text);
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

  int Type(int col) const { return sqlite3_column_type(stmt_, col); }
  bool IsNull(int col) const { return Type(col) == SQLITE_NULL; }
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
//  1: the tables, as written here (the vocabularies version 1 spelled out are superseded).
//  2: every vocabulary column held to its vocabulary, and the pseudonyms, age bands and periods
//     to their forms, by the constraints of rows.h (ConstrainColumns).
//  3: the register's models table (varsam/store.h, StoredModel), with its checks written here:
//     step 2 constrains only the tables version 1 made (rows.h, ConstrainedTables).
//  4: the models table's kind held to kModelKinds by the constraint of rows.h, which takes
//     "etr" (ConstrainColumns rebuilds the table).
//  5: the register's releases table (varsam/store.h, Release), with its checks written here,
//     and its index on (organisation, period), which the budget sums and ForEachRelease read.
struct Migration {
  const char* sql;                 // fixed SQL, or nullptr
  bool constrain_columns = false;  // after `sql`: ConstrainColumns for the step's version
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
)sql"},
                                            {nullptr, true},
                                            {nullptr, false},
                                            {nullptr, false},
                                            {nullptr, false}};

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
)sql"},
                                             {nullptr, true},
                                             {R"sql(
CREATE TABLE models (
  id         TEXT PRIMARY KEY CHECK (length(id) = 32 AND NOT id GLOB '*[^0-9a-f]*'),
  sha256     TEXT NOT NULL CHECK (length(sha256) = 64 AND NOT sha256 GLOB '*[^0-9a-f]*'),
  kind       TEXT NOT NULL CHECK (kind = 'register_trained' OR kind = 'evidence_based'),
  title      TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  created    TEXT NOT NULL CHECK (length(created) = 20),
  model_json TEXT NOT NULL
) STRICT, WITHOUT ROWID;
)sql",
                                              false},
                                             {nullptr, true},
                                             {R"sql(
CREATE TABLE releases (
  id           TEXT PRIMARY KEY CHECK (length(id) = 32 AND NOT id GLOB '*[^0-9a-f]*'),
  organisation TEXT NOT NULL CHECK (length(CAST(organisation AS BLOB)) BETWEEN 1 AND 200),
  purpose      TEXT NOT NULL CHECK (length(CAST(purpose AS BLOB)) BETWEEN 1 AND 200),
  period       TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-0[1-9]' OR
                                    period GLOB '[0-9][0-9][0-9][0-9]-1[0-2]'),
  created      TEXT NOT NULL CHECK (length(created) = 20),
  query_json   TEXT NOT NULL CHECK (length(query_json) >= 1),
  cells        INTEGER NOT NULL CHECK (cells >= 0),
  epsilon      REAL NOT NULL CHECK (epsilon >= 0 AND epsilon < 9e999)
) STRICT, WITHOUT ROWID;
CREATE INDEX releases_by_organisation_period ON releases (organisation, period);
)sql",
                                              false}};

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
)sql"},
                                          {nullptr, false},
                                          {nullptr, false},
                                          {nullptr, false},
                                          {nullptr, false}};

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
  static constexpr const char* kRegister[] = {"episodes", "measurements", "models", "releases"};
  static constexpr const char* kAudit[] = {"events", "checkpoints"};
  switch (part) {
    case Part::kJournal: return kJournal;
    case Part::kRegister: return kRegister;
    case Part::kAudit: return kAudit;
  }
  return {};
}

// The column definitions of a CREATE TABLE statement's parenthesised body: split at the commas
// outside parentheses and quotes.
std::vector<std::string> ColumnDefinitions(std::string_view body) {
  std::vector<std::string> out(1);
  int depth = 0;
  char quote = 0;
  for (const char ch : body) {
    if (quote != 0) {
      if (ch == quote) quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '(') {
      ++depth;
    } else if (ch == ')') {
      --depth;
    } else if (ch == ',' && depth == 0) {
      out.emplace_back();
      continue;
    }
    out.back() += ch;
  }
  return out;
}

// The first word of a column definition: the column's name.
std::string_view ColumnName(std::string_view definition) {
  const size_t begin = definition.find_first_not_of(" \n\t");
  if (begin == std::string_view::npos) return {};
  definition.remove_prefix(begin);
  return definition.substr(0, definition.find_first_of(" \n\t"));
}

// Rebuilds `table` so that each of its columns in `checks` (rows.h, GeneratedChecks) carries
// that CHECK (SQLite cannot alter a constraint): the table's own definition, read back from
// sqlite_master, with those columns' definitions replaced, made as a new table; the rows
// copied (in rowid order, so the append order stays), the old table dropped, the new one
// renamed, and the table's indexes and triggers made again. Inside the caller's transaction. A
// row that breaks the new constraints fails the copy (FailedPrecondition naming the
// constraint). A WITHOUT ROWID table (models) has no rowid to order by; its rows are kept in
// the order of its primary key whatever order they are copied in.
absl::Status RebuildConstrained(Connection& c, std::string_view table,
                                std::span<const GeneratedCheck> checks) {
  std::string definition;
  std::vector<std::string> dependents;  // CREATE INDEX and CREATE TRIGGER statements
  {
    VARSAM_ASSIGN_OR_RETURN(
        Statement read,
        Statement::Make(c,
                        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND "
                        "sql IS NOT NULL ORDER BY rowid"));
    read.BindText(1, table);
    int rc;
    while ((rc = read.Step()) == SQLITE_ROW) {
      if (read.Text(0) == "table") {
        definition = read.Text(1);
      } else {
        dependents.push_back(read.Text(1));
      }
    }
    if (rc != SQLITE_DONE) return read.Error(rc, "reading a table's definition");
  }
  const size_t open = definition.find('('), close = definition.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return absl::DataLossError(
        Cat({"store: ", FileName(c.part()), ": the definition of ", table, " is damaged"}));
  }
  std::vector<std::string> columns =
      ColumnDefinitions(std::string_view(definition).substr(open + 1, close - open - 1));
  for (const GeneratedCheck& check : checks) {
    if (check.part != c.part() || check.table != table) continue;
    for (std::string& column : columns) {
      if (ColumnName(column) != check.column) continue;
      column = Cat({"\n  ", check.column, " TEXT NOT NULL CONSTRAINT ", check.name, " CHECK (",
                    check.condition, ")"});
    }
  }
  const std::string rebuilt = Cat({"varsam_rebuild_", table});
  std::string create = Cat({"CREATE TABLE ", rebuilt, " ("});
  for (size_t i = 0; i < columns.size(); ++i) create.append(i == 0 ? "" : ",").append(columns[i]);
  const std::string options = definition.substr(close);  // ")" and the table options (STRICT)
  create.append(options);
  std::string upper_options = options;
  std::transform(upper_options.begin(), upper_options.end(), upper_options.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  const bool without_rowid = upper_options.find("WITHOUT ROWID") != std::string::npos;
  const std::string doing = Cat({"constraining the columns of ", table});
  for (const std::string& sql :
       {create,
        Cat({"INSERT INTO ", rebuilt, " SELECT * FROM ", table,
             without_rowid ? "" : " ORDER BY rowid"}),
        Cat({"DROP TABLE ", table}), Cat({"ALTER TABLE ", rebuilt, " RENAME TO ", table})}) {
    VARSAM_RETURN_IF_ERROR(c.Exec(sql.c_str(), doing));
  }
  for (const std::string& sql : dependents) VARSAM_RETURN_IF_ERROR(c.Exec(sql.c_str(), doing));
  return absl::OkStatus();
}

// The step to `version` (2 or 4) for the part: each table of the part that rows.h names for
// the version (ConstrainedTables) rebuilt with its generated constraints.
absl::Status ConstrainColumns(Connection& c, int version) {
  const std::vector<GeneratedCheck> checks = GeneratedChecks(Dialect::kSqlite);
  const std::span<const std::string_view> tables = ConstrainedTables(version);
  std::vector<std::string_view> done;
  for (const GeneratedCheck& check : checks) {
    if (check.part != c.part() || std::find(done.begin(), done.end(), check.table) != done.end() ||
        std::find(tables.begin(), tables.end(), check.table) == tables.end()) {
      continue;
    }
    done.push_back(check.table);
    VARSAM_RETURN_IF_ERROR(RebuildConstrained(c, check.table, checks));
  }
  return absl::OkStatus();
}

// Brings the database to `target` (kSchemaVersion but in tests) in one transaction; refuses a
// newer one.
absl::Status Migrate(Connection& c, int target) {
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
  if (version >= target) return txn.Commit();
  if (rows == 0) {
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(c, "INSERT INTO varsam_schema (part, version) VALUES (?, 0)"));
    insert.BindText(1, PartName(part));
    VARSAM_RETURN_IF_ERROR(insert.Run("recording the schema version"));
  }
  const std::span<const Migration> steps = Migrations(part);
  for (int v = version; v < target; ++v) {
    if (steps[v].sql != nullptr) {
      VARSAM_RETURN_IF_ERROR(
          c.Exec(steps[v].sql, Cat({"migrating to schema version ", std::to_string(v + 1)})));
    }
    if (steps[v].constrain_columns) VARSAM_RETURN_IF_ERROR(ConstrainColumns(c, v + 1));
  }
  VARSAM_ASSIGN_OR_RETURN(Statement update,
                          Statement::Make(c, "UPDATE varsam_schema SET version = ?"));
  update.BindInt(1, target);
  VARSAM_RETURN_IF_ERROR(update.Run("recording the schema version"));
  return txn.Commit();
}

// ---- One part: a writer and a pool of readers -------------------------------------------------

struct PartConfig {
  Part part;
  std::string path;
  bool full_sync = true;
  int busy_timeout_ms = 10000;
  int schema_version = kSchemaVersion;  // what Open migrates to (older only in tests)
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
    return Migrate(*writer_, config_.schema_version);
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

// A statement's current row as rows.h's readers take it. STRICT tables hold each column to its
// type, so a cell of another type is a row that cannot be read back.
class StatementCells final : public Cells {
 public:
  explicit StatementCells(const Statement& s) : s_(s) {}
  bool IsNull(int column) const override { return s_.IsNull(column); }
  std::string Text(int column) const override { return s_.Text(column); }
  std::optional<std::int64_t> Int(int column) const override {
    if (s_.Type(column) != SQLITE_INTEGER) return std::nullopt;
    return s_.Int(column);
  }
  std::optional<double> Double(int column) const override {
    const int type = s_.Type(column);
    if (type != SQLITE_FLOAT && type != SQLITE_INTEGER) return std::nullopt;
    return s_.Double(column);
  }

 private:
  const Statement& s_;
};

// Runs `stmt` and hands each row to `row` until it returns false or the rows end.
template <typename Fn>
absl::Status StepRows(Statement& stmt, std::string_view doing, Fn&& row) {
  const StatementCells cells(stmt);
  for (;;) {
    const int rc = stmt.Step();
    if (rc == SQLITE_DONE) return absl::OkStatus();
    if (rc != SQLITE_ROW) return stmt.Error(rc, doing);
    absl::StatusOr<bool> more = row(cells);
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

// ---- The store --------------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string directory, const StoreOptions& options, int schema_version)
      : Store(options.vocabulary),
        directory_(std::move(directory)),
        journal_(PartConfig{Part::kJournal, PathOf(Part::kJournal), true, options.busy_timeout_ms,
                            schema_version}),
        register_(PartConfig{Part::kRegister, PathOf(Part::kRegister), options.durable_register,
                             options.busy_timeout_ms, schema_version}),
        audit_(PartConfig{Part::kAudit, PathOf(Part::kAudit), true, options.busy_timeout_ms,
                          schema_version}) {}

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
    std::string date, responses, flags;  // bound without a copy: alive until the next row
    VARSAM_RETURN_IF_ERROR(InsertAll(
        journal_, measurements, "appending a measurement",
        "INSERT INTO measurements (client_ref, case_ref, case_kind, instrument, session, date, "
        "responses, total, band, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [&](Statement& insert, const Measurement& m) {
          date = FormatIsoDate(m.date);
          responses = ResponsesJson(m.responses);
          flags = FlagsJson(m.flags);
          insert.Bind()
              .Text(m.client_ref)
              .Text(m.case_ref)
              .Text(m.case_kind)
              .Text(m.instrument)
              .Int(m.session)
              .Text(date)
              .Text(responses)
              .Double(m.total)
              .OptionalText(m.band)
              .Text(flags);
        },
        [&](Connection& c) { ids.push_back(sqlite3_last_insert_rowid(c.db())); }));
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
        Statement s, Statement::Make(*c, Cat({"SELECT ", kMeasurementColumns, " FROM measurements",
                                              where.sql(), " ORDER BY date, id"})));
    where.Bind(s);
    Measurement m;
    return StepRows(s, "reading measurements", [&](const Cells& cells) -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(ReadMeasurement(cells, &m));
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
    insert.BindTexts({x.id, x.client_ref, x.case_ref, x.kind, created, x.content_json});
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
                            Statement::Make(*c, Cat({"SELECT ", kSuggestionColumns,
                                                     " FROM suggestions WHERE id = ?"})));
    s.BindText(1, id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError("store: no suggestion with this id");
    if (rc != SQLITE_ROW) return s.Error(rc, "reading a suggestion");
    Suggestion x;
    VARSAM_RETURN_IF_ERROR(ReadSuggestion(StatementCells(s), 0, &x));
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
    insert.BindTexts({d.suggestion_id, d.decider, d.decider_role, d.decision, d.rationale, date});
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
        Statement::Make(*c, Cat({"SELECT ", kDecisionColumns,
                                 " FROM decisions WHERE suggestion_id = ? ORDER BY id"})));
    s.BindText(1, suggestion_id);
    Decision d;
    return StepRows(s, "reading decisions", [&](const Cells& cells) -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(ReadDecision(cells, 0, &d));
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
    return StepRows(s, "reading suggestions", [&](const Cells& cells) -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(ReadSuggestion(cells, 0, &x));
      if (cells.IsNull(6)) return row(x, nullptr);
      VARSAM_RETURN_IF_ERROR(ReadDecision(cells, 6, &d));
      return row(x, &d);
    });
  }

  // ---- Register ----

  absl::Status ForEachEpisode(const EpisodeFilter& filter,
                              absl::FunctionRef<bool(const EpisodeRow&)> row) override {
    const Where where = EpisodeWhere(filter);
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(Statement s,
                            Statement::Make(*c, Cat({"SELECT ", kEpisodeColumns, " FROM episodes",
                                                     where.sql(), " ORDER BY rowid"})));
    where.Bind(s);
    EpisodeRow e;
    return StepRows(s, "reading episodes", [&](const Cells& cells) -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(ReadEpisode(cells, &e));
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

  absl::StatusOr<std::vector<EpisodeGroup>> RunGrouping(const EpisodeGrouping& grouping) override {
    return internal::RunGrouping(grouping, Dialect::kSqlite, [&](const GroupingSql& s, auto row) {
      return StepBuilt(s, "grouping episodes", row);
    });
  }

  absl::StatusOr<std::vector<GroupComparison>> RunComparison(const EpisodeGrouping& fresh,
                                                             const EpisodeGrouping& earlier,
                                                             int threshold) override {
    return internal::RunComparison(
        fresh, earlier, threshold, Dialect::kSqlite,
        [&](const GroupingSql& s, auto row) { return StepBuilt(s, "comparing groups", row); });
  }

  absl::Status ForEachRegisterMeasurement(
      std::string_view instrument,
      absl::FunctionRef<bool(const RegisterMeasurementRow&)> row) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    // An empty instrument reads every instrument's rows.
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(
            *c, Cat({"SELECT ", kRegisterMeasurementColumns, " FROM measurements",
                     instrument.empty() ? "" : " WHERE instrument = ?", " ORDER BY rowid"})));
    if (!instrument.empty()) s.BindText(1, instrument);
    RegisterMeasurementRow m;
    return StepRows(s, "reading register measurements",
                    [&](const Cells& cells) -> absl::StatusOr<bool> {
                      VARSAM_RETURN_IF_ERROR(ReadRegisterMeasurement(cells, &m));
                      return row(m);
                    });
  }

  absl::StatusOr<StoredModel> GetModel(std::string_view id) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(Statement s,
                            Statement::Make(*c, Cat({"SELECT ", kModelColumns,
                                                     ", model_json FROM models WHERE id = ?"})));
    s.BindText(1, id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError("store: no model with this id");
    if (rc != SQLITE_ROW) return s.Error(rc, "reading a model");
    StoredModel m;
    VARSAM_RETURN_IF_ERROR(ReadModel(StatementCells(s), /*with_json=*/true, &m));
    return m;
  }

  absl::Status ForEachModel(absl::FunctionRef<bool(const StoredModel&)> row) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(*c, Cat({"SELECT ", kModelColumns, " FROM models ORDER BY created, id"})));
    StoredModel m;
    return StepRows(s, "reading models", [&](const Cells& cells) -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(ReadModel(cells, /*with_json=*/false, &m));
      return row(m);
    });
  }

  absl::Status ForEachRelease(std::string_view organisation, std::string_view purpose,
                              std::string_view period,
                              absl::FunctionRef<bool(const Release&)> row) override {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    // An empty purpose reads every purpose's releases.
    VARSAM_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Make(
            *c,
            Cat({"SELECT ", kReleaseColumns, " FROM releases WHERE organisation = ? AND period = ?",
                 purpose.empty() ? "" : " AND purpose = ?", " ORDER BY created, id"})));
    s.BindText(1, organisation);
    s.BindText(2, period);
    if (!purpose.empty()) s.BindText(3, purpose);
    Release r;
    return StepRows(s, "reading releases", [&](const Cells& cells) -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(ReadRelease(cells, &r));
      return row(r);
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
    return StepRows(s, "reading audit events", [&](const Cells&) -> absl::StatusOr<bool> {
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
    return StepRows(s, "reading checkpoints", [&](const Cells&) -> absl::StatusOr<bool> {
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
                       insert.Bind()
                           .Text(e.pseudonym)
                           .Int(e.key_epoch)
                           .Text(e.age_band)
                           .Text(e.sex)
                           .Text(e.region)
                           .Text(e.case_kind)
                           .Text(e.intervention)
                           .Text(e.start_period)
                           .Text(e.end_period)
                           .Text(e.outcome)
                           .Int(KeyToColumn(e.record_key));
                     });
  }

  absl::Status WriteRegisterMeasurements(std::span<const RegisterMeasurementRow> rows) override {
    return InsertAll(register_, rows, "appending a register measurement",
                     "INSERT INTO measurements (pseudonym, key_epoch, instrument, session, "
                     "period, total, band, record_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [](Statement& insert, const RegisterMeasurementRow& m) {
                       insert.Bind()
                           .Text(m.pseudonym)
                           .Int(m.key_epoch)
                           .Text(m.instrument)
                           .Int(m.session)
                           .Text(m.period)
                           .Double(m.total)
                           .Text(m.band)
                           .Int(KeyToColumn(m.record_key));
                     });
  }

  absl::Status WriteModel(const StoredModel& m) override {
    SqlitePart::Writer c(register_);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(*c,
                        "INSERT INTO models (id, sha256, kind, title, created, model_json) "
                        "VALUES (?, ?, ?, ?, ?, ?)"));
    insert.BindTexts({m.id, m.sha256, m.kind, m.title, m.created, m.model_json});
    const int rc = insert.Step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
      insert.Reset();
      return absl::AlreadyExistsError("store: a model with this id exists already");
    }
    if (rc != SQLITE_DONE) return insert.Error(rc, "storing a model");
    insert.Reset();
    return txn.Commit();
  }

  // The id, the budget and the insert in one BEGIN IMMEDIATE transaction on the register's
  // writer: the write lock is held from the first read, so no other release, of this process or
  // another, can be counted in between.
  absl::Status WriteRelease(const Release& r, const ReleaseBudget& budget) override {
    SqlitePart::Writer c(register_);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    {
      VARSAM_ASSIGN_OR_RETURN(Statement exists,
                              Statement::Make(*c, "SELECT 1 FROM releases WHERE id = ?"));
      exists.BindText(1, r.id);
      const int rc = exists.Step();
      if (rc == SQLITE_ROW) {
        return absl::AlreadyExistsError("store: a release with this id exists already");
      }
      if (rc != SQLITE_DONE) return exists.Error(rc, "finding a release");
    }
    {
      VARSAM_ASSIGN_OR_RETURN(
          Statement spent,
          Statement::Make(*c,
                          "SELECT coalesce(sum(cells), 0), coalesce(sum(CASE WHEN purpose = ? "
                          "THEN epsilon END), 0.0) FROM releases WHERE organisation = ? AND "
                          "period = ?"));
      spent.BindTexts({r.purpose, r.organisation, r.period});
      const int rc = spent.Step();
      if (rc != SQLITE_ROW) return spent.Error(rc, "summing the releases");
      VARSAM_RETURN_IF_ERROR(CheckReleaseBudget(r, budget, spent.Int(0), spent.Double(1)));
    }
    VARSAM_ASSIGN_OR_RETURN(
        Statement insert,
        Statement::Make(*c,
                        "INSERT INTO releases (id, organisation, purpose, period, created, "
                        "query_json, cells, epsilon) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind()
        .Text(r.id)
        .Text(r.organisation)
        .Text(r.purpose)
        .Text(r.period)
        .Text(r.created)
        .Text(r.query_json)
        .Int(r.cells)
        .Double(r.epsilon);
    VARSAM_RETURN_IF_ERROR(insert.Run("storing a release"));
    return txn.Commit();
  }

 private:
  // Inserts every row with one prepared statement in one write transaction of `part`: all of
  // them or none. `inserted` is called on the connection after each row.
  template <typename Row, typename Bind, typename Inserted = void (*)(Connection&)>
  static absl::Status InsertAll(
      SqlitePart& part, std::span<const Row> rows, std::string_view what, const std::string& sql,
      Bind bind, Inserted inserted = [](Connection&) {}) {
    if (rows.empty()) return absl::OkStatus();
    SqlitePart::Writer c(part);
    Transaction txn(*c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(true));
    VARSAM_ASSIGN_OR_RETURN(Statement insert, Statement::Make(*c, sql));
    for (const Row& row : rows) {
      bind(insert, row);
      VARSAM_RETURN_IF_ERROR(insert.Run(what));
      inserted(*c);
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

  // Runs SQL text built at run time (grouping.h) on a register reader, every row to `row`.
  absl::Status StepBuilt(const GroupingSql& statement, std::string_view doing,
                         absl::FunctionRef<absl::Status(const Cells&)> row) {
    VARSAM_ASSIGN_OR_RETURN(SqlitePart::Reader c, register_.AcquireReader());
    VARSAM_ASSIGN_OR_RETURN(Statement s, Statement::Make(*c, statement.sql));
    for (std::size_t i = 0; i < statement.params.size(); ++i) {
      s.BindText(static_cast<int>(i + 1), statement.params[i]);
    }
    return StepRows(s, doing, [&](const Cells& cells) -> absl::StatusOr<bool> {
      VARSAM_RETURN_IF_ERROR(row(cells));
      return true;
    });
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

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteAt(std::string_view directory,
                                                    const StoreOptions& options,
                                                    int schema_version) {
  const std::string dir(directory);
  if (options.create) {
    VARSAM_RETURN_IF_ERROR(MakeDirectory(dir));
  } else {
    VARSAM_RETURN_IF_ERROR(CheckExists(dir));
  }
  auto store = std::make_unique<SqliteStore>(dir, options, schema_version);
  VARSAM_RETURN_IF_ERROR(store->Open(options.create));
  return store;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqlite(std::string_view directory,
                                                  const StoreOptions& options) {
  return OpenSqliteAt(directory, options, kSchemaVersion);
}

absl::Status InitSqlite(std::string_view directory, int schema_version) {
  if (schema_version < 1 || schema_version > kSchemaVersion) {
    return absl::InvalidArgumentError("store: no such schema version");
  }
  StoreOptions options;
  options.create = true;
  return OpenSqliteAt(directory, options, schema_version).status();
}

}  // namespace varsam::store::internal
