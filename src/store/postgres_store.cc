// The PostgreSQL backend of varsam::store::Store (docs/storage.md, "PostgreSQL").
//
// One database, three schemas, each owned by a role of the same name:
//   varsam_journal   the journal (identifiable)
//   varsam_register  the register (pseudonymised)
//   varsam_audit     the audit store (append-only)
// The roles are NOLOGIN. The store logs in with the URI's user, which must be a member of the
// three roles, and each part's connections run `SET ROLE <part role>` first, so every
// statement of a part runs with that role's rights only: the register's connections cannot
// read the journal, because varsam_register has no USAGE on the schema varsam_journal (and
// vice versa). Audit rows are append-only twice over: UPDATE, DELETE and TRUNCATE are revoked
// from everyone including the owner, and statement triggers raise on them, so that even the
// owner or a superuser is refused.
//
// Connections: a small pool per part (a std::mutex guards the idle list; a connection is used
// by one call at a time, so a callback of a streaming read may call the store again). Every
// statement that carries a value is a prepared statement (PQprepare/PQexecPrepared), or for
// the register's groupings, whose text depends on the grouping (grouping.h), text with
// parameters (PQsendQueryParams); only fixed text (DDL, BEGIN, COPY ... FROM STDIN) goes
// through PQexec. Every write call is one
// transaction. Reads stream in single-row mode. Audit seqs are assigned max+1 under a
// transaction-scoped advisory lock, so concurrent appenders (threads or processes) stay
// gap-free; a release is checked against its budgets and written under one keyed on its
// organisation, so concurrent releases cannot both pass on the same remainder. Journal and audit
// connections run with synchronous_commit=on: a write call returns once its commit is flushed.
// Register bulk loads go through COPY. What the records look like in a row, and which column takes
// which vocabulary, is rows.h's, shared with the SQLite backend.

#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends.h"
#include "grouping.h"
#include "postgres_conn.h"
#include "rows.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::store::internal {
namespace {

using pg::ConnPtr;
using pg::Params;
using pg::Result;
using pg::Transaction;

// ---- Schemas ----------------------------------------------------------------------------------

struct Statement {
  const char* name;
  const char* sql;
};

// The DDL of version 1 of each part, as released (steps never change; the vocabularies it spells
// out are superseded by version 2, VocabularyConstraints). Run as the part's role, which owns
// the schema, in one transaction with the version row.
constexpr const char* kJournalMigrations[] = {R"sql(
CREATE TABLE varsam_journal.measurements (
  id bigserial PRIMARY KEY,
  client_ref text NOT NULL,
  case_ref text NOT NULL,
  case_kind text NOT NULL
    CHECK (case_kind IN ('anmalan', 'forhandsbedomning', 'utredning', 'insats', 'uppfoljning')),
  instrument text NOT NULL,
  session integer NOT NULL CHECK (session >= 0),
  date date NOT NULL,
  responses jsonb NOT NULL,
  total double precision,
  band text,
  flags text NOT NULL);
CREATE INDEX measurements_client ON varsam_journal.measurements (client_ref, date, id);
CREATE INDEX measurements_case ON varsam_journal.measurements (case_ref, date, id);
CREATE INDEX measurements_date ON varsam_journal.measurements (date, id);
CREATE TABLE varsam_journal.suggestions (
  id text PRIMARY KEY,
  client_ref text NOT NULL,
  case_ref text NOT NULL,
  kind text NOT NULL,
  created date NOT NULL,
  content_json text NOT NULL);
CREATE TABLE varsam_journal.decisions (
  id bigserial PRIMARY KEY,
  suggestion_id text NOT NULL REFERENCES varsam_journal.suggestions (id),
  decider text NOT NULL,
  decider_role text NOT NULL,
  decision text NOT NULL,
  rationale text NOT NULL,
  date date NOT NULL);
CREATE INDEX decisions_suggestion ON varsam_journal.decisions (suggestion_id, id);
)sql"};

// The register's CHECK constraints repeat the store's field checks (ValidateEpisode, ...) in
// the database, so that a writer who bypasses varsam cannot put a name or an identity number
// into a column either: every text column is a closed code (county code, outcome, lower-case
// identifier, period, age band) of bounded length. (Lengths are checked apart from the
// patterns: PostgreSQL expands counted repetitions such as {43}, which made COPY 4x slower.)
// Since version 2 the vocabulary columns' constraints come from rows.h.
constexpr const char* kRegisterMigrations[] = {R"sql(
CREATE TABLE varsam_register.episodes (
  pseudonym text NOT NULL
    CHECK (length(pseudonym) = 46 AND pseudonym ~ '^p[0-9]_[A-Za-z0-9_-]*$'),
  key_epoch integer NOT NULL CHECK (key_epoch >= 0),
  age_band text NOT NULL CHECK (length(age_band) <= 7 AND age_band ~ '^[0-9]+(-[0-9]+|\+)$'),
  sex text NOT NULL CHECK (sex IN ('', 'female', 'male')),
  region text NOT NULL CHECK (region IN ('', '01', '03', '04', '05', '06', '07', '08', '09', '10',
                                         '12', '13', '14', '17', '18', '19', '20', '21', '22',
                                         '23', '24', '25')),
  case_kind text NOT NULL
    CHECK (case_kind IN ('anmalan', 'forhandsbedomning', 'utredning', 'insats', 'uppfoljning')),
  intervention text NOT NULL
    CHECK (length(intervention) <= 64 AND intervention ~ '^([a-z][a-z0-9_-]*)?$'),
  start_period text NOT NULL CHECK (length(start_period) IN (4, 7) AND
                                    start_period ~ '^[0-9]+(-Q[1-4]|-0[1-9]|-1[0-2])?$'),
  end_period text NOT NULL CHECK (end_period = '' OR (length(end_period) IN (4, 7) AND
                                  end_period ~ '^[0-9]+(-Q[1-4]|-0[1-9]|-1[0-2])?$')),
  outcome text NOT NULL CHECK (outcome IN ('', 'improved', 'unchanged', 'deteriorated',
                                           'completed', 'dropout', 'ended_other')),
  record_key bigint NOT NULL CHECK (record_key <> 0));
CREATE INDEX episodes_case_kind ON varsam_register.episodes (case_kind);
CREATE TABLE varsam_register.measurements (
  pseudonym text NOT NULL
    CHECK (length(pseudonym) = 46 AND pseudonym ~ '^p[0-9]_[A-Za-z0-9_-]*$'),
  key_epoch integer NOT NULL CHECK (key_epoch >= 0),
  instrument text NOT NULL
    CHECK (length(instrument) <= 64 AND instrument ~ '^[a-z][a-z0-9_-]*$'),
  session integer NOT NULL CHECK (session >= 0),
  period text NOT NULL
    CHECK (length(period) IN (4, 7) AND period ~ '^[0-9]+(-Q[1-4]|-0[1-9]|-1[0-2])?$'),
  total double precision,
  band text NOT NULL CHECK (length(band) <= 64 AND band ~ '^([a-z][a-z0-9_-]*)?$'),
  record_key bigint NOT NULL CHECK (record_key <> 0));
CREATE INDEX measurements_instrument ON varsam_register.measurements (instrument);
)sql"};

constexpr const char* kAuditMigrations[] = {R"sql(
CREATE TABLE varsam_audit.events (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  payload bytea NOT NULL);
CREATE TABLE varsam_audit.checkpoints (
  id bigserial PRIMARY KEY,
  seq bigint NOT NULL CHECK (seq >= 0),
  payload bytea NOT NULL);
CREATE FUNCTION varsam_audit.refuse_change() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog AS $$
BEGIN
  RAISE EXCEPTION 'varsam audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON varsam_audit.events
  FOR EACH STATEMENT EXECUTE FUNCTION varsam_audit.refuse_change();
CREATE TRIGGER checkpoints_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON varsam_audit.checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION varsam_audit.refuse_change();
CREATE FUNCTION varsam_audit.next_seq_only() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog AS $$
BEGIN
  IF NEW.seq <> (SELECT coalesce(max(seq), 0) + 1 FROM varsam_audit.events) THEN
    RAISE EXCEPTION 'varsam audit events are gap-free: a seq must be the next one'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER events_next_seq BEFORE INSERT ON varsam_audit.events
  FOR EACH ROW EXECUTE FUNCTION varsam_audit.next_seq_only();
REVOKE UPDATE, DELETE, TRUNCATE ON varsam_audit.events, varsam_audit.checkpoints
  FROM PUBLIC, varsam_audit;
)sql"};

constexpr Statement kJournalStatements[] = {
    {"j_insert_measurement",
     "INSERT INTO varsam_journal.measurements (client_ref, case_ref, case_kind, instrument, "
     "session, date, responses, total, band, flags) VALUES ($1, $2, $3, $4, $5::integer, "
     "$6::date, $7::jsonb, $8::double precision, $9, $10) RETURNING id"},
    {"j_select_measurements",
     "SELECT id, client_ref, case_ref, case_kind, instrument, session, date::text, "
     "responses::text, total, band, flags FROM varsam_journal.measurements "
     "WHERE ($1::text IS NULL OR client_ref = $1) AND ($2::text IS NULL OR case_ref = $2) "
     "AND ($3::text IS NULL OR instrument = $3) AND ($4::date IS NULL OR date >= $4) "
     "AND ($5::date IS NULL OR date <= $5) ORDER BY date, id"},
    {"j_insert_suggestion",
     "INSERT INTO varsam_journal.suggestions (id, client_ref, case_ref, kind, created, "
     "content_json) VALUES ($1, $2, $3, $4, $5::date, $6)"},
    {"j_select_suggestion",
     "SELECT id, client_ref, case_ref, kind, created::text, content_json "
     "FROM varsam_journal.suggestions WHERE id = $1"},
    {"j_insert_decision",
     "INSERT INTO varsam_journal.decisions (suggestion_id, decider, decider_role, decision, "
     "rationale, date) VALUES ($1, $2, $3, $4, $5, $6::date) RETURNING id"},
    {"j_select_decisions",
     "SELECT id, suggestion_id, decider, decider_role, decision, rationale, date::text "
     "FROM varsam_journal.decisions WHERE suggestion_id = $1 ORDER BY id"},
    // Each suggestion with its first decision (lowest id; the lateral subquery reads one entry
    // of decisions_suggestion), in (created, id) order with ids compared bytewise as on SQLite.
    // $6: open_only.
    {"j_select_suggestions",
     "SELECT s.id, s.client_ref, s.case_ref, s.kind, s.created::text, s.content_json, d.id, "
     "d.suggestion_id, d.decider, d.decider_role, d.decision, d.rationale, d.date::text "
     "FROM varsam_journal.suggestions AS s LEFT JOIN LATERAL (SELECT f.id, "
     "f.suggestion_id, f.decider, f.decider_role, f.decision, f.rationale, f.date FROM "
     "varsam_journal.decisions AS f WHERE f.suggestion_id = s.id ORDER BY f.id LIMIT 1) AS d "
     "ON true WHERE ($1::text IS NULL OR s.client_ref = $1) "
     "AND ($2::text IS NULL OR s.case_ref = $2) AND ($3::text IS NULL OR s.kind = $3) "
     "AND ($4::date IS NULL OR s.created >= $4) AND ($5::date IS NULL OR s.created <= $5) "
     "AND (NOT $6::boolean OR d.id IS NULL) ORDER BY s.created, s.id COLLATE \"C\""},
};

constexpr const char* kEpisodeWhere =
    " WHERE ($1::text IS NULL OR case_kind = $1) AND ($2::text IS NULL OR intervention = $2) "
    "AND ($3::text IS NULL OR region = $3) AND ($4::integer IS NULL OR key_epoch = $4)";

// Built once: the two episode statements share their WHERE clause.
const std::vector<Statement>& RegisterStatements() {
  static const auto* const kSql = new std::vector<std::string>{
      Cat({"SELECT ", kEpisodeColumns, " FROM varsam_register.episodes", kEpisodeWhere}),
      Cat({"SELECT count(*) FROM varsam_register.episodes", kEpisodeWhere}),
      Cat({"SELECT ", kRegisterMeasurementColumns,
           " FROM varsam_register.measurements WHERE ($1 = '' OR instrument = $1)"}),
      Cat({"SELECT ", kModelColumns, ", model_json FROM varsam_register.models WHERE id = $1"}),
      Cat({"SELECT ", kModelColumns,
           " FROM varsam_register.models ORDER BY created, id COLLATE \"C\""}),
      Cat({"SELECT ", kReleaseColumns,
           " FROM varsam_register.releases WHERE organisation = $1 AND period = $2 AND "
           "($3 = '' OR purpose = $3) ORDER BY created COLLATE \"C\", id COLLATE \"C\""}),
  };
  static const auto* const kStatements = new std::vector<Statement>{
      {"r_select_episodes", (*kSql)[0].c_str()},
      {"r_count_episodes", (*kSql)[1].c_str()},
      {"r_select_measurements", (*kSql)[2].c_str()},
      {"r_insert_model",
       "INSERT INTO varsam_register.models (id, sha256, kind, title, created, model_json) "
       "VALUES ($1, $2, $3, $4, $5, $6)"},
      {"r_select_model", (*kSql)[3].c_str()},
      // Ids compared bytewise as on SQLite.
      {"r_select_models", (*kSql)[4].c_str()},
      // Releases of one organisation queue here (the two-key form: its key space is apart from
      // the one-key locks of the audit appenders and the migrations). $1: ReleaseLockKey.
      {"r_lock_releases", "SELECT pg_advisory_xact_lock(730639461, $1::integer)"},
      {"r_release_exists", "SELECT 1 FROM varsam_register.releases WHERE id = $1"},
      // The organisation's cells in the period, and the epsilon of the purpose ($1) in it; both
      // from the (organisation, period) index. sum(bigint) is numeric: back to bigint.
      {"r_release_spent",
       "SELECT coalesce(sum(cells), 0)::bigint, coalesce(sum(epsilon) FILTER (WHERE purpose = "
       "$1), 0) FROM varsam_register.releases WHERE organisation = $2 AND period = $3"},
      {"r_insert_release",
       "INSERT INTO varsam_register.releases (id, organisation, purpose, period, created, "
       "query_json, cells, epsilon) VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, "
       "$8::double precision)"},
      // Ids compared bytewise as on SQLite.
      {"r_select_releases", (*kSql)[5].c_str()},
  };
  return *kStatements;
}

constexpr Statement kAuditStatements[] = {
    // One key for the whole audit store of this database: appenders queue here.
    {"a_lock", "SELECT pg_advisory_xact_lock(7306394606223520001)"},
    {"a_last", "SELECT coalesce(max(seq), 0) FROM varsam_audit.events"},
    // One event, under a_lock: seq max+1 (this statement's snapshot is taken after a_lock was
    // granted, so max(seq) is the true last seq). Returns the seq written.
    {"a_insert_one",
     "INSERT INTO varsam_audit.events (seq, payload) "
     "SELECT coalesce(max(seq), 0) + 1, $1::bytea FROM varsam_audit.events RETURNING seq"},
    // A whole batch (or one chunk of it) in one statement, under a_lock: $1 is a bytea[] (binary
    // format, see ByteaArray) whose elements get seqs max+1, max+2, ... in array order. The
    // statement's snapshot is taken after a_lock was granted, so max(seq) is the true last seq
    // (and, in a later chunk of the same transaction, includes the earlier chunks); the rows go
    // in ord order, as the events_next_seq trigger insists. Returns the last seq written and the
    // number of rows.
    {"a_insert_batch",
     "WITH ins AS (INSERT INTO varsam_audit.events (seq, payload) "
     "SELECT last.seq + t.ord, t.p "
     "FROM (SELECT coalesce(max(seq), 0) AS seq FROM varsam_audit.events) AS last, "
     "unnest($1::bytea[]) WITH ORDINALITY AS t(p, ord) ORDER BY t.ord RETURNING seq) "
     "SELECT coalesce(max(seq), 0), count(*) FROM ins"},
    {"a_read",
     "SELECT seq, payload FROM varsam_audit.events WHERE seq >= $1::bigint AND seq <= $2::bigint "
     "ORDER BY seq"},
    {"a_insert_checkpoint",
     "INSERT INTO varsam_audit.checkpoints (seq, payload) VALUES ($1::bigint, $2::bytea)"},
    {"a_read_checkpoints", "SELECT seq, payload FROM varsam_audit.checkpoints ORDER BY id"},
};

// Audit batches go in chunks of at most this many events and (unless one payload is larger)
// this many payload bytes per statement, all in one transaction.
constexpr std::size_t kAuditChunkEvents = 10000;
constexpr std::size_t kAuditChunkBytes = std::size_t{64} << 20;
// PostgreSQL's limit for one field value (a bytea, and the bytea[] that carries it), less the
// array's header.
constexpr std::size_t kMaxAuditPayload = (std::size_t{1} << 30) - 64;

void AppendInt32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

// `payloads` as one bytea[] in PostgreSQL's binary array format (array_recv), network byte
// order: ndim 1, no NULLs, element type bytea (oid 17), dimension (size, lower bound 1), then
// each element as its length and its bytes. Binary, so no escaping: any byte goes as it is.
// Each payload is at most kMaxAuditPayload bytes (the caller checks).
std::string ByteaArray(std::span<const std::string> payloads) {
  constexpr std::uint32_t kByteaOid = 17;
  std::size_t size = 20 + 4 * payloads.size();
  for (const std::string& p : payloads) size += p.size();
  std::string out;
  out.reserve(size);
  AppendInt32(out, 1);  // ndim
  AppendInt32(out, 0);  // has NULLs
  AppendInt32(out, kByteaOid);
  AppendInt32(out, static_cast<std::uint32_t>(payloads.size()));
  AppendInt32(out, 1);  // lower bound
  for (const std::string& p : payloads) {
    AppendInt32(out, static_cast<std::uint32_t>(p.size()));
    out += p;
  }
  return out;
}

struct PartDef {
  Part part;
  const char* role;                         // also the schema's name
  std::span<const char* const> migrations;  // version 1
  std::span<const Statement> statements;
  std::vector<const char*> tables;
  std::int64_t lock_key;  // serialises migrations of this part
};

const PartDef& Def(Part part) {
  static const auto* const kJournal = new PartDef{Part::kJournal,
                                                  "varsam_journal",
                                                  kJournalMigrations,
                                                  kJournalStatements,
                                                  {"measurements", "suggestions", "decisions"},
                                                  7306394606223520010};
  static const auto* const kRegister =
      new PartDef{Part::kRegister,
                  "varsam_register",
                  kRegisterMigrations,
                  RegisterStatements(),
                  {"episodes", "measurements", "models", "releases"},
                  7306394606223520011};
  static const auto* const kAudit = new PartDef{Part::kAudit,
                                                "varsam_audit",
                                                kAuditMigrations,
                                                kAuditStatements,
                                                {"events", "checkpoints"},
                                                7306394606223520012};
  switch (part) {
    case Part::kJournal: return *kJournal;
    case Part::kRegister: return *kRegister;
    case Part::kAudit: return *kAudit;
  }
  return *kJournal;
}

constexpr Part kParts[] = {Part::kJournal, Part::kRegister, Part::kAudit};

static_assert(std::size(kJournalMigrations) == 1);
static_assert(std::size(kRegisterMigrations) == 1);
static_assert(std::size(kAuditMigrations) == 1);
static_assert(kSchemaVersion == 5, "a new version adds its step to MigrationSql");

// Version 3: the register's models table (varsam/store.h, StoredModel), owned by the register
// role like the rest of its schema. Its kinds are written out here (version 2 constrains only
// the tables version 1 made); version 4 puts the generated constraint in their place.
constexpr const char* kRegisterModelsSql = R"sql(
CREATE TABLE varsam_register.models (
  id text PRIMARY KEY CHECK (length(id) = 32 AND id ~ '^[0-9a-f]*$'),
  sha256 text NOT NULL CHECK (length(sha256) = 64 AND sha256 ~ '^[0-9a-f]*$'),
  kind text NOT NULL CHECK (kind IN ('register_trained', 'evidence_based')),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  created text NOT NULL CHECK (length(created) = 20),
  model_json text NOT NULL);
)sql";

// Version 5: the register's releases table (varsam/store.h, Release), owned by the register
// role like the rest of its schema, with its checks written out and its index on
// (organisation, period), which the budget sums and ForEachRelease read.
constexpr const char* kRegisterReleasesSql = R"sql(
CREATE TABLE varsam_register.releases (
  id text PRIMARY KEY CHECK (length(id) = 32 AND id ~ '^[0-9a-f]*$'),
  organisation text NOT NULL CHECK (octet_length(organisation) BETWEEN 1 AND 200),
  purpose text NOT NULL CHECK (octet_length(purpose) BETWEEN 1 AND 200),
  period text NOT NULL CHECK (length(period) = 7 AND period ~ '^[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])$'),
  created text NOT NULL CHECK (length(created) = 20),
  query_json text NOT NULL CHECK (length(query_json) >= 1),
  cells bigint NOT NULL CHECK (cells >= 0),
  epsilon double precision NOT NULL CHECK (epsilon >= 0 AND epsilon < 'Infinity'));
CREATE INDEX releases_organisation_period ON varsam_register.releases (organisation, period);
)sql";

// Versions 2 and 4: each constraint rows.h generates for the tables of the version
// (ConstrainedTables; version 2 the vocabulary columns', and the pseudonyms', age bands' and
// periods' forms, version 4 the models' kind) in place of the one there, under the name
// PostgreSQL gave those ("<table>_<column>_check"). ADD CONSTRAINT checks the rows already
// there; one that breaks the new constraint fails the migration.
std::string GeneratedConstraints(Part part, const char* schema, int version) {
  const std::span<const std::string_view> tables = ConstrainedTables(version);
  std::string sql;
  for (const GeneratedCheck& check : GeneratedChecks(Dialect::kPostgres)) {
    if (check.part != part ||
        std::find(tables.begin(), tables.end(), check.table) == tables.end()) {
      continue;
    }
    sql.append(
        Cat({"ALTER TABLE ", schema, ".", check.table, " DROP CONSTRAINT IF EXISTS ", check.name,
             ", ADD CONSTRAINT ", check.name, " CHECK (", check.condition, ");\n"}));
  }
  return sql;
}

// The SQL of the step to `version` of a part ("" when the part has nothing to do).
std::string MigrationSql(const PartDef& def, int version) {
  if (version == 1) return def.migrations[0];
  if (version == 3) return def.part == Part::kRegister ? kRegisterModelsSql : "";
  if (version == 5) return def.part == Part::kRegister ? kRegisterReleasesSql : "";
  return GeneratedConstraints(def.part, def.role, version);  // versions 2 and 4
}

// The advisory-lock key of an organisation's releases: the 32-bit FNV-1a hash of its id (two
// organisations that share a key only wait for each other).
std::int32_t ReleaseLockKey(std::string_view organisation) {
  std::uint32_t h = 2166136261u;
  for (const char c : organisation) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return static_cast<std::int32_t>(h);
}

// ---- Connections, versions, migrations --------------------------------------------------------

std::string What(Part part, std::string_view operation) {
  return Cat({"postgresql store ", PartName(part), ": ", operation});
}

// Sets a session setting of `conn` (name and value passed as parameters to set_config).
absl::Status SetConfig(PGconn* conn, const char* name, const std::string& value,
                       std::string_view what) {
  const char* values[] = {name, value.c_str()};
  Result result(PQexecParams(conn, "SELECT set_config($1, $2, false)", 2, nullptr, values, nullptr,
                             nullptr, 0));
  if (result && PQresultStatus(result.get()) == PGRES_TUPLES_OK) return absl::OkStatus();
  return pg::StatementError(conn, result.get(), what);
}

// A connection acting as the part's role, with the store's session settings.
absl::StatusOr<ConnPtr> ConnectPart(const std::string& uri, Part part,
                                    const StoreOptions& options) {
  const PartDef& def = Def(part);
  const std::string what = What(part, "connect");
  VARSAM_ASSIGN_OR_RETURN(ConnPtr conn, pg::Connect(uri, what));
  const std::string set_role = Cat({"SET ROLE ", def.role});
  {
    Result result(PQexec(conn.get(), set_role.c_str()));
    if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      const std::string state = pg::SqlState(result.get());
      if (state == "22023" || state == "42704") {
        return absl::NotFoundError(Cat({what, ": the role ", def.role,
                                        " does not exist: the store is not initialised here "
                                        "(run `varsam store init` as a role that may create "
                                        "roles)"}));
      }
      if (state == "42501") {
        return absl::PermissionDeniedError(
            Cat({what, ": the login role may not act as ", def.role, " (GRANT ", def.role,
                 " TO the login role; docs/storage.md)"}));
      }
      return pg::StatementError(conn.get(), result.get(), what);
    }
  }
  const bool durable = part != Part::kRegister || options.durable_register;
  VARSAM_RETURN_IF_ERROR(SetConfig(conn.get(), "synchronous_commit", durable ? "on" : "off", what));
  VARSAM_RETURN_IF_ERROR(
      SetConfig(conn.get(), "lock_timeout",
                Cat({std::to_string(std::max(0, options.busy_timeout_ms)), "ms"}), what));
  VARSAM_RETURN_IF_ERROR(SetConfig(conn.get(), "DateStyle", "ISO, YMD", what));
  VARSAM_RETURN_IF_ERROR(SetConfig(conn.get(), "extra_float_digits", "1", what));
  // The filters' "$n IS NULL OR ..." plans well only with the values known.
  VARSAM_RETURN_IF_ERROR(SetConfig(conn.get(), "plan_cache_mode", "force_custom_plan", what));
  VARSAM_RETURN_IF_ERROR(SetConfig(conn.get(), "search_path", "pg_catalog", what));
  return conn;
}

absl::Status PrepareStatements(PGconn* conn, Part part) {
  for (const Statement& s : Def(part).statements) {
    VARSAM_RETURN_IF_ERROR(pg::Prepare(conn, s.name, s.sql, What(part, "prepare")));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SchemaExists(PGconn* conn, Part part) {
  const char* values[] = {Def(part).role};
  Result result(PQexecParams(conn, "SELECT to_regnamespace($1) IS NOT NULL", 1, nullptr, values,
                             nullptr, nullptr, 0));
  if (!result || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return pg::StatementError(conn, result.get(), What(part, "find schema"));
  }
  return std::strcmp(PQgetvalue(result.get(), 0, 0), "t") == 0;
}

// The part's schema version: 0 when it has no version table yet.
absl::StatusOr<int> SchemaVersion(PGconn* conn, Part part) {
  const std::string what = What(part, "read schema version");
  const std::string table = Cat({Def(part).role, ".schema_version"});
  const char* values[] = {table.c_str()};
  Result exists(PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, nullptr, values,
                             nullptr, nullptr, 0));
  if (!exists || PQresultStatus(exists.get()) != PGRES_TUPLES_OK) {
    return pg::StatementError(conn, exists.get(), what);
  }
  if (std::strcmp(PQgetvalue(exists.get(), 0, 0), "t") != 0) return 0;
  const std::string sql = Cat({"SELECT coalesce(max(version), 0) FROM ", table});
  VARSAM_ASSIGN_OR_RETURN(Result result, pg::Query(conn, sql.c_str(), what));
  const std::optional<std::int64_t> version = pg::ParseInt(PQgetvalue(result.get(), 0, 0));
  if (!version) return absl::DataLossError(Cat({what, ": unreadable version"}));
  return static_cast<int>(*version);
}

absl::Status NewerStoreError(Part part, int version) {
  return absl::FailedPreconditionError(
      Cat({What(part, "open"), ": schema version ", std::to_string(version),
           " is newer than this varsam understands (", std::to_string(kSchemaVersion),
           "); use a newer varsam"}));
}

// Takes the part (its connection acting as the part's role) to `target` (kSchemaVersion but in
// tests), one transaction; concurrent migrators wait on an advisory lock and then find nothing
// to do.
absl::Status Migrate(PGconn* conn, Part part, int target = kSchemaVersion) {
  const PartDef& def = Def(part);
  const std::string what = What(part, "migrate");
  Transaction txn(conn);
  VARSAM_RETURN_IF_ERROR(txn.Begin(what));
  {
    const std::string key = std::to_string(def.lock_key);
    const char* values[] = {key.c_str()};
    Result lock(PQexecParams(conn, "SELECT pg_advisory_xact_lock($1::bigint)", 1, nullptr, values,
                             nullptr, nullptr, 0));
    if (!lock || PQresultStatus(lock.get()) != PGRES_TUPLES_OK) {
      return pg::StatementError(conn, lock.get(), what);
    }
  }
  const std::string table = Cat({def.role, ".schema_version"});
  const std::string create =
      Cat({"CREATE TABLE IF NOT EXISTS ", table,
           " (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())"});
  VARSAM_RETURN_IF_ERROR(pg::Exec(conn, create.c_str(), what));
  VARSAM_ASSIGN_OR_RETURN(const int version, SchemaVersion(conn, part));
  if (version > kSchemaVersion) return NewerStoreError(part, version);
  const std::string insert = Cat({"INSERT INTO ", table, " (version) VALUES ($1::integer)"});
  for (int v = version + 1; v <= target; ++v) {
    const std::string sql = MigrationSql(def, v);
    const absl::Status step = sql.empty() ? absl::OkStatus() : pg::Exec(conn, sql.c_str(), what);
    if (step.code() == absl::StatusCode::kInvalidArgument) {  // rows the new version refuses
      return absl::FailedPreconditionError(step.message());
    }
    VARSAM_RETURN_IF_ERROR(step);
    const std::string text = std::to_string(v);
    const char* values[] = {text.c_str()};
    Result result(PQexecParams(conn, insert.c_str(), 1, nullptr, values, nullptr, nullptr, 0));
    if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return pg::StatementError(conn, result.get(), what);
    }
  }
  return txn.Commit(what);
}

// A pool of connections of one part. Acquire() hands out an idle connection or makes a new
// one; a Lease gives it back when it is clean (idle, no transaction open).
class Pool {
 public:
  Pool(std::string uri, Part part, StoreOptions options)
      : uri_(std::move(uri)), part_(part), options_(std::move(options)) {}

  class Lease {
   public:
    Lease(Pool* pool, ConnPtr conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr && conn_ != nullptr && reusable_) pool_->Return(std::move(conn_));
    }
    PGconn* get() const { return conn_.get(); }
    // After a stream left unfinished: close rather than reuse.
    void Discard() { reusable_ = false; }

   private:
    Pool* pool_;
    ConnPtr conn_;
    bool reusable_ = true;
  };

  absl::StatusOr<Lease> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        ConnPtr conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
      }
    }
    VARSAM_ASSIGN_OR_RETURN(ConnPtr conn, ConnectPart(uri_, part_, options_));
    VARSAM_RETURN_IF_ERROR(PrepareStatements(conn.get(), part_));
    return Lease(this, std::move(conn));
  }

  // For Open: the first connection, after its checks and migration.
  void Add(ConnPtr conn) { Return(std::move(conn)); }

 private:
  static constexpr size_t kMaxIdle = 8;

  void Return(ConnPtr conn) {
    if (PQstatus(conn.get()) != CONNECTION_OK || PQtransactionStatus(conn.get()) != PQTRANS_IDLE) {
      return;  // closed by the ConnPtr
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
  }

  const std::string uri_;
  const Part part_;
  const StoreOptions options_;
  std::mutex mu_;
  std::vector<ConnPtr> idle_;
};

// ---- Values -----------------------------------------------------------------------------------

// Rows in COPY's text format: fields escaped (pg::AppendCopyText) and separated by tabs, NULL
// as \N, each row ended by a newline.
class CopyRows {
 public:
  explicit CopyRows(std::size_t reserve) { data_.reserve(reserve); }
  CopyRows& Text(std::string_view value) {
    Separate();
    pg::AppendCopyText(data_, value);
    return *this;
  }
  CopyRows& Int(std::int64_t value) {
    Separate();
    data_ += std::to_string(value);
    return *this;
  }
  CopyRows& Double(std::optional<double> value) {
    Separate();
    data_ += value ? pg::FormatDouble(*value) : std::string("\\N");
    return *this;
  }
  void EndRow() {
    data_ += '\n';
    first_ = true;
  }
  std::string_view data() const { return data_; }

 private:
  void Separate() {
    if (!first_) data_ += '\t';
    first_ = false;
  }
  std::string data_;
  bool first_ = true;
};

std::string_view Cell(const PGresult* r, int column) { return PQgetvalue(r, 0, column); }

// A single-row result (text format) as rows.h's readers take it.
class ResultCells final : public Cells {
 public:
  explicit ResultCells(const PGresult* r) : r_(r) {}
  bool IsNull(int column) const override { return PQgetisnull(r_, 0, column) == 1; }
  std::string Text(int column) const override { return std::string(Cell(r_, column)); }
  std::optional<std::int64_t> Int(int column) const override {
    return pg::ParseInt(Cell(r_, column));
  }
  std::optional<double> Double(int column) const override {
    return pg::ParseDouble(Cell(r_, column));
  }

 private:
  const PGresult* r_;
};

// Binary int8 (network byte order).
std::int64_t Int8(const PGresult* r, int column) {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, 0, column));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<std::int64_t>(v);
}

std::string Bytes(const PGresult* r, int column) {
  return std::string(PQgetvalue(r, 0, column), static_cast<size_t>(PQgetlength(r, 0, column)));
}

// ---- The store --------------------------------------------------------------------------------

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& uri, const StoreOptions& options)
      : Store(options.vocabulary),
        location_(pg::RedactUri(uri)),
        journal_(uri, Part::kJournal, options),
        register_(uri, Part::kRegister, options),
        audit_(uri, Part::kAudit, options) {}

  Pool& pool(Part part) {
    switch (part) {
      case Part::kJournal: return journal_;
      case Part::kRegister: return register_;
      case Part::kAudit: return audit_;
    }
    return journal_;
  }

  std::string_view backend() const override { return "postgresql"; }

  absl::StatusOr<StoreInfo> Info() override {
    StoreInfo info;
    info.backend = "postgresql";
    info.location = location_;
    for (const Part part : kParts) {
      VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, pool(part).Acquire());
      PartInfo p;
      p.part = part;
      VARSAM_ASSIGN_OR_RETURN(p.schema_version, SchemaVersion(lease.get(), part));
      for (const char* table : Def(part).tables) {
        const std::string sql = Cat({"SELECT count(*) FROM ", Def(part).role, ".", table});
        VARSAM_ASSIGN_OR_RETURN(Result r, pg::Query(lease.get(), sql.c_str(), What(part, "count")));
        p.rows.emplace_back(table, pg::ParseInt(PQgetvalue(r.get(), 0, 0)).value_or(-1));
      }
      info.parts.push_back(std::move(p));
    }
    return info;
  }

  // ---- Journal ----

  absl::StatusOr<std::vector<std::int64_t>> WriteMeasurements(
      std::span<const Measurement> measurements) override {
    const std::string what = What(Part::kJournal, "append measurements");
    std::vector<Params> rows;
    rows.reserve(measurements.size());
    for (size_t i = 0; i < measurements.size(); ++i) {
      const Measurement& m = measurements[i];
      std::string responses = ResponsesJson(m.responses);
      Params p;
      p.Text(m.client_ref)
          .Text(m.case_ref)
          .Text(m.case_kind)
          .Text(m.instrument)
          .Int(m.session)
          .Text(FormatIsoDate(m.date))
          .Text(std::move(responses));
      if (m.total) {
        p.Double(*m.total);
      } else {
        p.Null();
      }
      p.OptionalText(m.band).Text(FlagsJson(m.flags));
      rows.push_back(std::move(p));
    }
    std::vector<std::int64_t> ids;
    if (rows.empty()) return ids;
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, journal_.Acquire());
    Transaction txn(lease.get());
    VARSAM_RETURN_IF_ERROR(txn.Begin(what));
    for (const Params& p : rows) {
      VARSAM_ASSIGN_OR_RETURN(Result r,
                              pg::ExecPrepared(lease.get(), "j_insert_measurement", p, 0, what));
      const std::optional<std::int64_t> id = pg::ParseInt(PQgetvalue(r.get(), 0, 0));
      if (!id) return absl::InternalError(Cat({what, ": the server returned no id"}));
      ids.push_back(*id);
    }
    VARSAM_RETURN_IF_ERROR(txn.Commit(what));
    return ids;
  }

  absl::Status ForEachMeasurement(const MeasurementFilter& filter,
                                  absl::FunctionRef<bool(const Measurement&)> row) override {
    const std::string what = What(Part::kJournal, "read measurements");
    Params p;
    p.OptionalText(filter.client_ref).OptionalText(filter.case_ref).OptionalText(filter.instrument);
    p.OptionalDate(filter.from).OptionalDate(filter.to);
    return Stream(Part::kJournal, "j_select_measurements", p, 0, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    Measurement m;
                    VARSAM_RETURN_IF_ERROR(ReadMeasurement(ResultCells(r), &m));
                    return row(m);
                  });
  }

  absl::Status WriteSuggestion(const Suggestion& s) override {
    const std::string what = What(Part::kJournal, "put suggestion");
    Params p;
    p.Text(s.id).Text(s.client_ref).Text(s.case_ref).Text(s.kind).Text(FormatIsoDate(s.created));
    p.Text(s.content_json);
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, journal_.Acquire());
    absl::StatusOr<Result> r = pg::ExecPrepared(lease.get(), "j_insert_suggestion", p, 0, what);
    if (r.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(Cat({what, ": a suggestion with this id exists"}));
    }
    return r.status();
  }

  absl::StatusOr<Suggestion> GetSuggestion(std::string_view id) override {
    const std::string what = What(Part::kJournal, "get suggestion");
    if (!IsValidUtf8(id) || id.find('\0') != std::string_view::npos) {
      return absl::NotFoundError(Cat({what, ": no suggestion with this id"}));
    }
    Params p;
    p.Text(std::string(id));
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, journal_.Acquire());
    VARSAM_ASSIGN_OR_RETURN(Result r,
                            pg::ExecPrepared(lease.get(), "j_select_suggestion", p, 0, what));
    if (PQntuples(r.get()) == 0) {
      return absl::NotFoundError(Cat({what, ": no suggestion with this id"}));
    }
    Suggestion s;
    VARSAM_RETURN_IF_ERROR(ReadSuggestion(ResultCells(r.get()), 0, &s));
    return s;
  }

  absl::StatusOr<std::int64_t> WriteDecision(const Decision& d) override {
    const std::string what = What(Part::kJournal, "record decision");
    Params p;
    p.Text(d.suggestion_id).Text(d.decider).Text(d.decider_role).Text(d.decision);
    p.Text(d.rationale).Text(FormatIsoDate(d.date));
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, journal_.Acquire());
    absl::StatusOr<Result> r = pg::ExecPrepared(lease.get(), "j_insert_decision", p, 0, what);
    if (r.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(
          Cat({what, ": the decision's suggestion does not exist (nothing written)"}));
    }
    if (!r.ok()) return r.status();
    const std::optional<std::int64_t> id = pg::ParseInt(PQgetvalue(r->get(), 0, 0));
    if (!id) return absl::InternalError(Cat({what, ": the server returned no id"}));
    return *id;
  }

  absl::Status ForEachSuggestion(
      const SuggestionFilter& filter,
      absl::FunctionRef<bool(const Suggestion&, const Decision*)> row) override {
    const std::string what = What(Part::kJournal, "read suggestions");
    // The server refuses text that is not UTF-8 or holds NUL; no stored reference can be such
    // text, so the filter matches nothing.
    for (const std::optional<std::string>* text :
         {&filter.client_ref, &filter.case_ref, &filter.kind}) {
      if (*text && (!IsValidUtf8(**text) || (*text)->find('\0') != std::string::npos)) {
        return absl::OkStatus();
      }
    }
    Params p;
    p.OptionalText(filter.client_ref).OptionalText(filter.case_ref).OptionalText(filter.kind);
    p.OptionalDate(filter.from).OptionalDate(filter.to);
    p.Text(filter.open_only ? "true" : "false");
    return Stream(Part::kJournal, "j_select_suggestions", p, 0, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    const ResultCells cells(r);
                    Suggestion s;
                    VARSAM_RETURN_IF_ERROR(ReadSuggestion(cells, 0, &s));
                    if (cells.IsNull(6)) return row(s, nullptr);
                    Decision d;
                    VARSAM_RETURN_IF_ERROR(ReadDecision(cells, 6, &d));
                    return row(s, &d);
                  });
  }

  absl::Status ForEachDecision(std::string_view suggestion_id,
                               absl::FunctionRef<bool(const Decision&)> row) override {
    const std::string what = What(Part::kJournal, "read decisions");
    if (!IsValidUtf8(suggestion_id) || suggestion_id.find('\0') != std::string_view::npos) {
      return absl::OkStatus();  // no such suggestion, so no decisions
    }
    Params p;
    p.Text(std::string(suggestion_id));
    return Stream(Part::kJournal, "j_select_decisions", p, 0, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    Decision d;
                    VARSAM_RETURN_IF_ERROR(ReadDecision(ResultCells(r), 0, &d));
                    return row(d);
                  });
  }

  // ---- Register ----

  absl::Status ForEachEpisode(const EpisodeFilter& filter,
                              absl::FunctionRef<bool(const EpisodeRow&)> row) override {
    const std::string what = What(Part::kRegister, "read episodes");
    return Stream(Part::kRegister, "r_select_episodes", EpisodeParams(filter), 0, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    EpisodeRow e;
                    VARSAM_RETURN_IF_ERROR(ReadEpisode(ResultCells(r), &e));
                    return row(e);
                  });
  }

  absl::StatusOr<std::int64_t> CountEpisodes(const EpisodeFilter& filter) override {
    const std::string what = What(Part::kRegister, "count episodes");
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, register_.Acquire());
    VARSAM_ASSIGN_OR_RETURN(Result r, pg::ExecPrepared(lease.get(), "r_count_episodes",
                                                       EpisodeParams(filter), 0, what));
    const std::optional<std::int64_t> n = pg::ParseInt(PQgetvalue(r.get(), 0, 0));
    if (!n) return absl::InternalError(Cat({what, ": the server returned no count"}));
    return *n;
  }

  absl::StatusOr<std::vector<EpisodeGroup>> RunGrouping(const EpisodeGrouping& grouping) override {
    return internal::RunGrouping(grouping, Dialect::kPostgres, [&](const GroupingSql& s, auto row) {
      return StreamBuilt(s, What(Part::kRegister, "group episodes"), row);
    });
  }

  absl::StatusOr<std::vector<GroupComparison>> RunComparison(const EpisodeGrouping& fresh,
                                                             const EpisodeGrouping& earlier,
                                                             int threshold) override {
    return internal::RunComparison(
        fresh, earlier, threshold, Dialect::kPostgres, [&](const GroupingSql& s, auto row) {
          return StreamBuilt(s, What(Part::kRegister, "compare groups"), row);
        });
  }

  absl::Status ForEachRegisterMeasurement(
      std::string_view instrument,
      absl::FunctionRef<bool(const RegisterMeasurementRow&)> row) override {
    const std::string what = What(Part::kRegister, "read measurements");
    if (!IsValidUtf8(instrument) || instrument.find('\0') != std::string_view::npos) {
      return absl::OkStatus();  // no such instrument in the register
    }
    Params p;
    p.Text(std::string(instrument));
    return Stream(Part::kRegister, "r_select_measurements", p, 0, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    RegisterMeasurementRow m;
                    VARSAM_RETURN_IF_ERROR(ReadRegisterMeasurement(ResultCells(r), &m));
                    return row(m);
                  });
  }

  absl::StatusOr<StoredModel> GetModel(std::string_view id) override {
    const std::string what = What(Part::kRegister, "get model");
    if (!IsValidUtf8(id) || id.find('\0') != std::string_view::npos) {
      return absl::NotFoundError(Cat({what, ": no model with this id"}));
    }
    Params p;
    p.Text(std::string(id));
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, register_.Acquire());
    VARSAM_ASSIGN_OR_RETURN(Result r, pg::ExecPrepared(lease.get(), "r_select_model", p, 0, what));
    if (PQntuples(r.get()) == 0) return absl::NotFoundError(Cat({what, ": no model with this id"}));
    StoredModel m;
    VARSAM_RETURN_IF_ERROR(ReadModel(ResultCells(r.get()), /*with_json=*/true, &m));
    return m;
  }

  absl::Status ForEachModel(absl::FunctionRef<bool(const StoredModel&)> row) override {
    const std::string what = What(Part::kRegister, "read models");
    return Stream(Part::kRegister, "r_select_models", Params(), 0, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    StoredModel m;
                    VARSAM_RETURN_IF_ERROR(ReadModel(ResultCells(r), /*with_json=*/false, &m));
                    return row(m);
                  });
  }

  absl::Status ForEachRelease(std::string_view organisation, std::string_view purpose,
                              std::string_view period,
                              absl::FunctionRef<bool(const Release&)> row) override {
    const std::string what = What(Part::kRegister, "read releases");
    for (const std::string_view text : {organisation, purpose, period}) {
      if (!IsValidUtf8(text) || text.find('\0') != std::string_view::npos) {
        return absl::OkStatus();  // no stored release has such a field
      }
    }
    Params p;
    p.Text(std::string(organisation)).Text(std::string(period)).Text(std::string(purpose));
    return Stream(Part::kRegister, "r_select_releases", p, 0, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    Release release;
                    VARSAM_RETURN_IF_ERROR(ReadRelease(ResultCells(r), &release));
                    return row(release);
                  });
  }

  // ---- Audit ----

  absl::StatusOr<std::int64_t> AppendAudit(std::string_view payload) override {
    const std::string one[] = {std::string(payload)};
    return AppendAuditBatch(one);
  }

  absl::StatusOr<std::int64_t> AppendAuditBatch(std::span<const std::string> payloads) override {
    const std::string what = What(Part::kAudit, "append");
    for (const std::string& payload : payloads) {
      if (payload.size() > kMaxAuditPayload) {
        return absl::InvalidArgumentError(
            Cat({what, ": an audit payload must be under 1 GiB (nothing written)"}));
      }
    }
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, audit_.Acquire());
    // BEGIN, a_lock, one a_insert_one or a_insert_batch per chunk, COMMIT: four round trips for
    // a batch of up to kAuditChunkEvents events, whatever its size.
    Transaction txn(lease.get());
    VARSAM_RETURN_IF_ERROR(txn.Begin(what));
    // Appenders queue on the advisory lock until this transaction ends, so max+1 is free and
    // the seqs stay gap-free whoever appends. The lock is a statement of its own: a statement's
    // snapshot is taken before it runs, so a max(seq) in the locking statement could miss the
    // events of the appender it waited for; a_insert_batch's snapshot comes after the lock.
    VARSAM_RETURN_IF_ERROR(pg::ExecPrepared(lease.get(), "a_lock", Params(), 0, what).status());
    if (payloads.empty()) {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t last, LastSeq(lease.get(), what));
      VARSAM_RETURN_IF_ERROR(txn.Commit(what));
      return last;
    }
    if (payloads.size() == 1) {  // the common single append: a simpler statement, no array
      Params p;
      p.Bytes(payloads.front());
      VARSAM_ASSIGN_OR_RETURN(Result r, pg::ExecPrepared(lease.get(), "a_insert_one", p, 0, what));
      const std::optional<std::int64_t> seq =
          PQntuples(r.get()) == 1 ? pg::ParseInt(PQgetvalue(r.get(), 0, 0)) : std::nullopt;
      if (!seq) {
        return absl::InternalError(
            Cat({what, ": the server did not report the seq written (nothing written)"}));
      }
      VARSAM_RETURN_IF_ERROR(txn.Commit(what));
      return *seq;
    }
    std::int64_t seq = 0;
    for (std::size_t begin = 0; begin < payloads.size();) {
      // A chunk: at most kAuditChunkEvents events and kAuditChunkBytes of payload (a single
      // larger payload goes alone).
      std::size_t end = begin + 1;
      std::size_t bytes = payloads[begin].size();
      while (end < payloads.size() && end - begin < kAuditChunkEvents &&
             bytes + payloads[end].size() <= kAuditChunkBytes) {
        bytes += payloads[end].size();
        ++end;
      }
      const std::span<const std::string> chunk = payloads.subspan(begin, end - begin);
      Params p;
      p.Bytes(ByteaArray(chunk));
      VARSAM_ASSIGN_OR_RETURN(Result r,
                              pg::ExecPrepared(lease.get(), "a_insert_batch", p, 0, what));
      const bool one_row = PQntuples(r.get()) == 1 && PQnfields(r.get()) == 2;
      const std::optional<std::int64_t> last =
          one_row ? pg::ParseInt(PQgetvalue(r.get(), 0, 0)) : std::nullopt;
      const std::optional<std::int64_t> count =
          one_row ? pg::ParseInt(PQgetvalue(r.get(), 0, 1)) : std::nullopt;
      if (!last || !count || *count != static_cast<std::int64_t>(chunk.size()) ||
          (seq != 0 && *last != seq + *count)) {
        return absl::InternalError(
            Cat({what, ": the server did not report the seqs written (nothing written)"}));
      }
      seq = *last;
      begin = end;
    }
    VARSAM_RETURN_IF_ERROR(txn.Commit(what));
    return seq;
  }

  absl::StatusOr<std::int64_t> LastAuditSeq() override {
    const std::string what = What(Part::kAudit, "last seq");
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, audit_.Acquire());
    return LastSeq(lease.get(), what);
  }

  absl::Status ReadAudit(std::int64_t from_seq, std::int64_t to_seq,
                         absl::FunctionRef<bool(const AuditEvent&)> event) override {
    const std::string what = What(Part::kAudit, "read");
    if (from_seq > to_seq) return absl::OkStatus();
    Params p;
    p.Int(from_seq).Int(to_seq);
    return Stream(Part::kAudit, "a_read", p, 1, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    if (PQgetlength(r, 0, 0) != 8) return CorruptRow(Part::kAudit, "events", "seq");
                    AuditEvent e;
                    e.seq = Int8(r, 0);
                    e.payload = Bytes(r, 1);
                    return event(e);
                  });
  }

  absl::Status AppendCheckpoint(const Checkpoint& checkpoint) override {
    const std::string what = What(Part::kAudit, "append checkpoint");
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, audit_.Acquire());
    Transaction txn(lease.get());
    VARSAM_RETURN_IF_ERROR(txn.Begin(what));
    // Under the appenders' lock: the events it covers are there and stay there.
    VARSAM_RETURN_IF_ERROR(pg::ExecPrepared(lease.get(), "a_lock", Params(), 0, what).status());
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t last, LastSeq(lease.get(), what));
    if (checkpoint.seq < 0 || checkpoint.seq > last) {
      return absl::FailedPreconditionError(
          Cat({what, ": a checkpoint must cover events already appended (nothing written)"}));
    }
    Params p;
    p.Int(checkpoint.seq).Bytes(checkpoint.payload);
    VARSAM_RETURN_IF_ERROR(
        pg::ExecPrepared(lease.get(), "a_insert_checkpoint", p, 0, what).status());
    return txn.Commit(what);
  }

  absl::Status ReadCheckpoints(absl::FunctionRef<bool(const Checkpoint&)> row) override {
    const std::string what = What(Part::kAudit, "read checkpoints");
    return Stream(Part::kAudit, "a_read_checkpoints", Params(), 1, what,
                  [&](const PGresult* r) -> absl::StatusOr<bool> {
                    if (PQgetlength(r, 0, 0) != 8) {
                      return CorruptRow(Part::kAudit, "checkpoints", "seq");
                    }
                    Checkpoint c;
                    c.seq = Int8(r, 0);
                    c.payload = Bytes(r, 1);
                    return row(c);
                  });
  }

 protected:
  absl::Status WriteEpisodes(std::span<const EpisodeRow> rows) override {
    CopyRows copy(rows.size() * 128);
    for (const EpisodeRow& e : rows) {
      copy.Text(e.pseudonym).Int(e.key_epoch).Text(e.age_band).Text(e.sex).Text(e.region);
      copy.Text(e.case_kind).Text(e.intervention).Text(e.start_period).Text(e.end_period);
      copy.Text(e.outcome).Int(KeyToColumn(e.record_key)).EndRow();
    }
    return Copy(
        "COPY varsam_register.episodes (pseudonym, key_epoch, age_band, sex, region, case_kind, "
        "intervention, start_period, end_period, outcome, record_key) FROM STDIN",
        copy.data(), rows.size(), What(Part::kRegister, "append episodes"));
  }

  absl::Status WriteRegisterMeasurements(std::span<const RegisterMeasurementRow> rows) override {
    CopyRows copy(rows.size() * 96);
    for (const RegisterMeasurementRow& m : rows) {
      copy.Text(m.pseudonym).Int(m.key_epoch).Text(m.instrument).Int(m.session).Text(m.period);
      copy.Double(m.total).Text(m.band).Int(KeyToColumn(m.record_key)).EndRow();
    }
    return Copy(
        "COPY varsam_register.measurements (pseudonym, key_epoch, instrument, session, period, "
        "total, band, record_key) FROM STDIN",
        copy.data(), rows.size(), What(Part::kRegister, "append measurements"));
  }

  absl::Status WriteModel(const StoredModel& m) override {
    const std::string what = What(Part::kRegister, "put model");
    Params p;
    p.Text(m.id).Text(m.sha256).Text(m.kind).Text(m.title).Text(m.created).Text(m.model_json);
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, register_.Acquire());
    absl::StatusOr<Result> r = pg::ExecPrepared(lease.get(), "r_insert_model", p, 0, what);
    if (r.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(Cat({what, ": a model with this id exists"}));
    }
    return r.status();
  }

  // One READ COMMITTED transaction under the organisation's advisory lock (r_lock_releases):
  // the releases of one organisation, from any thread or process, queue on it until the holder
  // commits or rolls back, and each statement after the lock sees what the previous holder
  // committed. So the sums are the true ones and no two releases pass on the same remainder,
  // without the retries a SERIALIZABLE transaction would need. The budgets are per
  // organisation (cells) and per organisation and purpose (epsilon): one lock covers both.
  absl::Status WriteRelease(const Release& r, const ReleaseBudget& budget) override {
    const std::string what = What(Part::kRegister, "put release");
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, register_.Acquire());
    Transaction txn(lease.get());
    VARSAM_RETURN_IF_ERROR(txn.Begin(what));
    {
      Params p;
      p.Int(ReleaseLockKey(r.organisation));
      VARSAM_RETURN_IF_ERROR(pg::ExecPrepared(lease.get(), "r_lock_releases", p, 0, what).status());
    }
    {
      Params p;
      p.Text(r.id);
      VARSAM_ASSIGN_OR_RETURN(Result found,
                              pg::ExecPrepared(lease.get(), "r_release_exists", p, 0, what));
      if (PQntuples(found.get()) != 0) {
        return absl::AlreadyExistsError(Cat({what, ": a release with this id exists"}));
      }
    }
    {
      Params p;
      p.Text(r.purpose).Text(r.organisation).Text(r.period);
      VARSAM_ASSIGN_OR_RETURN(Result spent,
                              pg::ExecPrepared(lease.get(), "r_release_spent", p, 0, what));
      const std::optional<std::int64_t> cells =
          PQntuples(spent.get()) == 1 ? pg::ParseInt(PQgetvalue(spent.get(), 0, 0)) : std::nullopt;
      const std::optional<double> epsilon = PQntuples(spent.get()) == 1
                                                ? pg::ParseDouble(PQgetvalue(spent.get(), 0, 1))
                                                : std::nullopt;
      if (!cells || !epsilon) {
        return absl::InternalError(Cat({what, ": the server did not report the budget spent"}));
      }
      VARSAM_RETURN_IF_ERROR(CheckReleaseBudget(r, budget, *cells, *epsilon));
    }
    Params p;
    p.Text(r.id).Text(r.organisation).Text(r.purpose).Text(r.period).Text(r.created);
    p.Text(r.query_json).Int(r.cells).Double(r.epsilon);
    absl::StatusOr<Result> inserted = pg::ExecPrepared(lease.get(), "r_insert_release", p, 0, what);
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      // Another organisation's release took the id since the check (it holds another lock).
      return absl::AlreadyExistsError(Cat({what, ": a release with this id exists"}));
    }
    VARSAM_RETURN_IF_ERROR(inserted.status());
    return txn.Commit(what);
  }

 private:
  static absl::StatusOr<std::int64_t> LastSeq(PGconn* conn, std::string_view what) {
    VARSAM_ASSIGN_OR_RETURN(Result r, pg::ExecPrepared(conn, "a_last", Params(), 0, what));
    const std::optional<std::int64_t> seq = pg::ParseInt(PQgetvalue(r.get(), 0, 0));
    if (!seq) return absl::InternalError(Cat({std::string(what), ": the server returned no seq"}));
    return *seq;
  }

  static Params EpisodeParams(const EpisodeFilter& filter) {
    Params p;
    p.OptionalText(filter.case_kind).OptionalText(filter.intervention).OptionalText(filter.region);
    if (filter.key_epoch) {
      p.Int(*filter.key_epoch);
    } else {
      p.Null();
    }
    return p;
  }

  // One COPY in one transaction: all rows or none.
  absl::Status Copy(const char* sql, std::string_view data, size_t rows, std::string_view what) {
    if (rows == 0) return absl::OkStatus();
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, register_.Acquire());
    Transaction txn(lease.get());
    VARSAM_RETURN_IF_ERROR(txn.Begin(what));
    VARSAM_RETURN_IF_ERROR(pg::CopyIn(lease.get(), sql, data, what));
    return txn.Commit(what);
  }

  absl::Status Stream(Part part, const char* statement, const Params& params, int format,
                      std::string_view what,
                      absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)> row) {
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, pool(part).Acquire());
    bool reusable = true;
    absl::Status status =
        pg::StreamPrepared(lease.get(), statement, params, format, what, row, &reusable);
    if (!reusable) lease.Discard();
    return status;
  }

  // Runs SQL text built at run time (grouping.h) on a register connection, every row to `row`.
  absl::Status StreamBuilt(const GroupingSql& statement, std::string_view what,
                           absl::FunctionRef<absl::Status(const Cells&)> row) {
    Params p;
    for (const std::string& value : statement.params) p.Text(value);
    VARSAM_ASSIGN_OR_RETURN(Pool::Lease lease, register_.Acquire());
    bool reusable = true;
    absl::Status status = pg::StreamQuery(
        lease.get(), statement.sql, p, what,
        [&](const PGresult* r) -> absl::StatusOr<bool> {
          VARSAM_RETURN_IF_ERROR(row(ResultCells(r)));
          return true;
        },
        &reusable);
    if (!reusable) lease.Discard();
    return status;
  }

  const std::string location_;
  Pool journal_;
  Pool register_;
  Pool audit_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenPostgres(std::string_view uri_view,
                                                    const StoreOptions& options) {
  const std::string uri(uri_view);
  auto store = std::make_unique<PostgresStore>(uri, options);
  for (const Part part : kParts) {
    VARSAM_ASSIGN_OR_RETURN(ConnPtr conn, ConnectPart(uri, part, options));
    VARSAM_ASSIGN_OR_RETURN(const bool exists, SchemaExists(conn.get(), part));
    if (!exists) {
      return absl::NotFoundError(Cat({What(part, "open"), ": no schema ", Def(part).role,
                                      " in this database: the store is not initialised "
                                      "(run `varsam store init`)"}));
    }
    VARSAM_ASSIGN_OR_RETURN(const int version, SchemaVersion(conn.get(), part));
    if (version > kSchemaVersion) return NewerStoreError(part, version);
    if (version < kSchemaVersion) VARSAM_RETURN_IF_ERROR(Migrate(conn.get(), part));
    VARSAM_RETURN_IF_ERROR(PrepareStatements(conn.get(), part));
    store->pool(part).Add(std::move(conn));
  }
  return store;
}

absl::Status InitPostgres(std::string_view uri_view, int schema_version) {
  const std::string uri(uri_view);
  if (schema_version < 1 || schema_version > kSchemaVersion) {
    return absl::InvalidArgumentError("postgresql store init: no such schema version");
  }
  const std::string what = "postgresql store init";
  VARSAM_ASSIGN_OR_RETURN(ConnPtr conn, pg::Connect(uri, what));
  PGconn* c = conn.get();
  if (PQserverVersion(c) < 110000) {
    return absl::FailedPreconditionError(Cat({what, ": needs PostgreSQL 11 or newer"}));
  }
  {
    Transaction txn(c);
    VARSAM_RETURN_IF_ERROR(txn.Begin(what));
    VARSAM_RETURN_IF_ERROR(pg::Exec(c, "SELECT pg_advisory_xact_lock(7306394606223520000)", what));
    for (const Part part : kParts) {
      const char* role = Def(part).role;
      // Roles belong to the whole cluster: another database's init may be creating them at
      // the same moment, hence the exception handler rather than a check first.
      const std::string create_role =
          Cat({"DO $$ BEGIN CREATE ROLE ", role,
               " NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"});
      absl::Status created = pg::Exec(c, create_role.c_str(), what);
      if (created.code() == absl::StatusCode::kPermissionDenied) {
        return absl::PermissionDeniedError(
            Cat({what, ": may not create the role ", role,
                 " (run init as a superuser or a role with CREATEROLE)"}));
      }
      VARSAM_RETURN_IF_ERROR(created);
      const char* values[] = {role};
      Result super(PQexecParams(c,
                                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = $1",
                                1, nullptr, values, nullptr, nullptr, 0));
      if (!super || PQresultStatus(super.get()) != PGRES_TUPLES_OK || PQntuples(super.get()) != 1) {
        return pg::StatementError(c, super.get(), what);
      }
      if (std::strcmp(PQgetvalue(super.get(), 0, 0), "f") != 0) {
        return absl::FailedPreconditionError(
            Cat({what, ": the role ", role, " is a superuser or bypasses row security; refusing"}));
      }
      // The login role acts as each part's role (SET ROLE) on that part's connections.
      const std::string grant = Cat({"GRANT ", role, " TO CURRENT_USER"});
      VARSAM_RETURN_IF_ERROR(pg::Exec(c, grant.c_str(), what));
      const std::string schema =
          Cat({"CREATE SCHEMA IF NOT EXISTS ", role, " AUTHORIZATION ", role});
      VARSAM_RETURN_IF_ERROR(pg::Exec(c, schema.c_str(), what));
      Result owner(PQexecParams(
          c, "SELECT pg_get_userbyid(nspowner) = $1 FROM pg_namespace WHERE nspname = $1", 1,
          nullptr, values, nullptr, nullptr, 0));
      if (!owner || PQresultStatus(owner.get()) != PGRES_TUPLES_OK || PQntuples(owner.get()) != 1) {
        return pg::StatementError(c, owner.get(), what);
      }
      if (std::strcmp(PQgetvalue(owner.get(), 0, 0), "t") != 0) {
        return absl::FailedPreconditionError(
            Cat({what, ": the schema ", role, " exists but is not owned by the role ", role,
                 "; refusing to use it"}));
      }
      const std::string revoke = Cat({"REVOKE ALL ON SCHEMA ", role, " FROM PUBLIC"});
      VARSAM_RETURN_IF_ERROR(pg::Exec(c, revoke.c_str(), what));
    }
    VARSAM_RETURN_IF_ERROR(txn.Commit(what));
  }
  // The tables: created by each part's role, so that it owns them.
  for (const Part part : kParts) {
    const std::string set_role = Cat({"SET ROLE ", Def(part).role});
    VARSAM_RETURN_IF_ERROR(pg::Exec(c, set_role.c_str(), what));
    VARSAM_ASSIGN_OR_RETURN(const int version, SchemaVersion(c, part));
    if (version > kSchemaVersion) return NewerStoreError(part, version);
    VARSAM_RETURN_IF_ERROR(Migrate(c, part, schema_version));
    VARSAM_RETURN_IF_ERROR(pg::Exec(c, "RESET ROLE", what));
  }
  return absl::OkStatus();
}

}  // namespace varsam::store::internal
