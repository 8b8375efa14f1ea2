// libpq plumbing for the PostgreSQL store (postgres_conn.h).

#include "postgres_conn.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "varsam/core.h"

namespace varsam::store::pg {
namespace {

// libpq messages end in a newline and may span lines; one line reads better in a Status.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "; ";
    } else if (c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  for (size_t at = out.find(";  "); at != std::string::npos; at = out.find(";  ", at)) {
    out.erase(at + 1, 1);
  }
  return out;
}

// Removes every occurrence of `secret` from `text` (a password libpq might echo).
std::string Scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
    at += 3;
  }
  return text;
}

// The password a connection string carries, "" when none (or when libpq cannot parse it).
std::string PasswordOf(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return "";
  std::string password;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) password = o->val;
  }
  PQconninfoFree(options);
  return password;
}

absl::StatusCode CodeFor(std::string_view state) {
  if (state.starts_with("08")) return absl::StatusCode::kUnavailable;
  if (state == "42501") return absl::StatusCode::kPermissionDenied;
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (state == "23503") return absl::StatusCode::kFailedPrecondition;
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  if (state == "55P03" || state.starts_with("57P")) return absl::StatusCode::kUnavailable;
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;
  if (state.starts_with("53")) return absl::StatusCode::kResourceExhausted;
  if (state.starts_with("22") || state.starts_with("23")) {
    return absl::StatusCode::kInvalidArgument;
  }
  if (state == "42P01" || state == "3F000" || state == "42704") {
    return absl::StatusCode::kFailedPrecondition;  // a table, schema or role is missing
  }
  return absl::StatusCode::kInternal;
}

}  // namespace

std::string RedactUri(std::string_view uri) {
  std::string out(uri);
  // user:password@host -> user@host
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const std::string_view authority =
        std::string_view(out).substr(start, end == std::string::npos ? end : end - start);
    const size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      const size_t colon = authority.substr(0, at).find(':');
      if (colon != std::string_view::npos) out.erase(start + colon, at - colon);
    }
  }
  // ?password=...&... -> the parameter left out
  const size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string kept;
  std::string_view rest = std::string_view(out).substr(query + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    if (!param.starts_with("password=") && param != "password") {
      if (!kept.empty()) kept += '&';
      kept += param;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  out.resize(query);
  if (!kept.empty()) out += Cat({"?", kept});
  return out;
}

absl::StatusOr<ConnPtr> Connect(const std::string& uri, std::string_view what) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(uri.c_str(), &parse_error);
  if (parse_error != nullptr) PQfreemem(parse_error);
  if (parsed == nullptr) {
    return absl::InvalidArgumentError(
        Cat({what, ": not a PostgreSQL connection URI libpq can read"}));
  }
  PQconninfoFree(parsed);
  const char* keywords[] = {"dbname", "client_encoding", "application_name", nullptr};
  const char* values[] = {uri.c_str(), "UTF8", "varsam", nullptr};
  ConnPtr conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (conn == nullptr) return absl::ResourceExhaustedError(Cat({what, ": out of memory"}));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    const std::string message = Scrub(OneLine(PQerrorMessage(conn.get())), PasswordOf(uri));
    return absl::UnavailableError(
        Cat({what, ": cannot connect to PostgreSQL at ", RedactUri(uri), ": ", message}));
  }
  // The server's notices ("already exists, skipping") are not for the host's stderr.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

std::string SqlState(const PGresult* result) {
  if (result == nullptr) return "";
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state == nullptr ? "" : state;
}

absl::Status StatementError(PGconn* conn, const PGresult* result, std::string_view what) {
  const std::string state = SqlState(result);
  std::string primary;
  if (result != nullptr) {
    const char* p = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (p != nullptr) primary = p;
  }
  if (primary.empty() && state.empty()) {
    // No server error: the connection failed (libpq's own message names no values).
    primary = OneLine(PQerrorMessage(conn));
    if (primary.empty()) primary = "no result from the server";
    return absl::UnavailableError(Cat({what, ": ", primary}));
  }
  if (state.starts_with("22")) primary = "a value was refused by the server";
  return absl::Status(CodeFor(state), Cat({what, ": ", primary, " (SQLSTATE ", state, ")"}));
}

absl::Status Exec(PGconn* conn, const char* sql, std::string_view what) {
  Result result(PQexec(conn, sql));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return StatementError(conn, result.get(), what);
}

absl::StatusOr<Result> Query(PGconn* conn, const char* sql, std::string_view what) {
  Result result(PQexec(conn, sql));
  if (result && PQresultStatus(result.get()) == PGRES_TUPLES_OK) return result;
  return StatementError(conn, result.get(), what);
}

absl::Status Prepare(PGconn* conn, const char* name, const char* sql, std::string_view what) {
  Result result(PQprepare(conn, name, sql, 0, nullptr));
  if (result && PQresultStatus(result.get()) == PGRES_COMMAND_OK) return absl::OkStatus();
  return StatementError(conn, result.get(), what);
}

Params& Params::Text(std::string value) {
  values_.push_back(std::move(value));
  null_.push_back(false);
  binary_.push_back(false);
  return *this;
}

Params& Params::OptionalText(const std::optional<std::string>& value) {
  return value ? Text(*value) : Null();
}

Params& Params::OptionalDate(const std::optional<Date>& value) {
  return value ? Text(FormatIsoDate(*value)) : Null();
}

Params& Params::Null() {
  values_.emplace_back();
  null_.push_back(true);
  binary_.push_back(false);
  return *this;
}

Params& Params::Bytes(std::string value) {
  values_.push_back(std::move(value));
  null_.push_back(false);
  binary_.push_back(true);
  return *this;
}

Params& Params::Int(std::int64_t value) { return Text(std::to_string(value)); }

Params& Params::Double(double value) { return Text(FormatDouble(value)); }

Params::Arrays Params::Build() const {
  Arrays a;
  for (size_t i = 0; i < values_.size(); ++i) {
    a.values.push_back(null_[i] ? nullptr : values_[i].c_str());
    a.lengths.push_back(static_cast<int>(values_[i].size()));
    a.formats.push_back(binary_[i] ? 1 : 0);
  }
  return a;
}

absl::StatusOr<Result> ExecPrepared(PGconn* conn, const char* name, const Params& params,
                                    int result_format, std::string_view what) {
  const Params::Arrays a = params.Build();
  Result result(PQexecPrepared(conn, name, params.size(), a.values.data(), a.lengths.data(),
                               a.formats.data(), result_format));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return StatementError(conn, result.get(), what);
}

namespace {

// The rows of the query just sent, one at a time (StreamPrepared, StreamQuery).
absl::Status StreamSent(PGconn* conn, std::string_view what,
                        absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)> row,
                        bool* reusable) {
  if (PQsetSingleRowMode(conn) != 1) {
    *reusable = false;
    return absl::InternalError(Cat({what, ": cannot stream rows (single-row mode refused)"}));
  }
  absl::Status status = absl::OkStatus();
  for (;;) {
    Result result(PQgetResult(conn));
    if (result == nullptr) break;
    const ExecStatusType s = PQresultStatus(result.get());
    if (s == PGRES_SINGLE_TUPLE) {
      if (!status.ok()) continue;  // draining after an error
      absl::StatusOr<bool> more = row(result.get());
      if (!more.ok() || !*more) {
        // Stopped early: leave the rest unread; the caller drops the connection, which
        // ends the query on the server without reading what remains.
        *reusable = false;
        return more.ok() ? absl::OkStatus() : more.status();
      }
    } else if (s != PGRES_TUPLES_OK && status.ok()) {
      status = StatementError(conn, result.get(), what);
    }
  }
  return status;
}

}  // namespace

absl::Status StreamPrepared(PGconn* conn, const char* name, const Params& params, int result_format,
                            std::string_view what,
                            absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)> row,
                            bool* reusable) {
  *reusable = true;
  const Params::Arrays a = params.Build();
  if (PQsendQueryPrepared(conn, name, params.size(), a.values.data(), a.lengths.data(),
                          a.formats.data(), result_format) != 1) {
    *reusable = false;
    return StatementError(conn, nullptr, what);
  }
  return StreamSent(conn, what, row, reusable);
}

absl::Status StreamQuery(PGconn* conn, const std::string& sql, const Params& params,
                         std::string_view what,
                         absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)> row,
                         bool* reusable) {
  *reusable = true;
  const Params::Arrays a = params.Build();
  if (PQsendQueryParams(conn, sql.c_str(), params.size(), nullptr, a.values.data(),
                        a.lengths.data(), a.formats.data(), 0) != 1) {
    *reusable = false;
    return StatementError(conn, nullptr, what);
  }
  return StreamSent(conn, what, row, reusable);
}

Transaction::~Transaction() {
  if (open_) Result(PQexec(conn_, "ROLLBACK"));
}

absl::Status Transaction::Begin(std::string_view what) {
  VARSAM_RETURN_IF_ERROR(Exec(conn_, "BEGIN", what));
  open_ = true;
  return absl::OkStatus();
}

absl::Status Transaction::Commit(std::string_view what) {
  Result result(PQexec(conn_, "COMMIT"));
  open_ = false;
  if (result && PQresultStatus(result.get()) == PGRES_COMMAND_OK) {
    // COMMIT of a failed transaction answers "ROLLBACK" rather than an error.
    if (std::strcmp(PQcmdStatus(result.get()), "COMMIT") == 0) return absl::OkStatus();
    return absl::AbortedError(Cat({what, ": the transaction was rolled back"}));
  }
  // The outcome of a COMMIT that failed in transit is unknown to us; Unavailable says retry
  // only with care.
  return StatementError(conn_, result.get(), what);
}

void AppendCopyText(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

absl::Status CopyIn(PGconn* conn, const char* copy_sql, std::string_view data,
                    std::string_view what) {
  Result start(PQexec(conn, copy_sql));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    return StatementError(conn, start.get(), what);
  }
  constexpr size_t kChunk = 1 << 18;
  for (size_t at = 0; at < data.size(); at += kChunk) {
    const size_t n = std::min(kChunk, data.size() - at);
    if (PQputCopyData(conn, data.data() + at, static_cast<int>(n)) != 1) {
      PQputCopyEnd(conn, "varsam: sending failed");
      while (Result(PQgetResult(conn))) {
      }
      return absl::UnavailableError(Cat({what, ": sending rows to the server failed"}));
    }
  }
  if (PQputCopyEnd(conn, nullptr) != 1) {
    return absl::UnavailableError(Cat({what, ": ending the copy failed"}));
  }
  absl::Status status = absl::OkStatus();
  for (;;) {
    Result result(PQgetResult(conn));
    if (result == nullptr) break;
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK && status.ok()) {
      status = StatementError(conn, result.get(), what);
    }
  }
  return status;
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes
  return std::string(buffer, end);
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity") return HUGE_VAL;
  if (text == "-Infinity") return -HUGE_VAL;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace varsam::store::pg
