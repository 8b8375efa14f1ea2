// libpq plumbing for the PostgreSQL store (private to src/store): connections, results,
// prepared statements with typed parameters, single-row streaming, transactions, COPY, and
// error mapping that keeps record values and passwords out of messages.

#ifndef VARSAM_SRC_STORE_POSTGRES_CONN_H_
#define VARSAM_SRC_STORE_POSTGRES_CONN_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/core.h"

namespace varsam::store::pg {

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// `uri` as it may be shown in messages and StoreInfo: without a password, whether it is
// given as user:password@ or as a password= query parameter.
std::string RedactUri(std::string_view uri);

// Connects with client_encoding UTF8 and application_name varsam. Errors are Unavailable (or
// InvalidArgument for a URI libpq cannot parse); their text never holds the password.
absl::StatusOr<ConnPtr> Connect(const std::string& uri, std::string_view what);

// The Status of a failed statement: the code from its SQLSTATE (08: Unavailable, 42501:
// PermissionDenied, 23505: AlreadyExists, 23503: FailedPrecondition, 40001/40P01: Aborted,
// 55P03: Unavailable, 22: InvalidArgument, ...). The message is `what`, the server's primary
// message (left out for data exceptions, class 22, whose messages quote values) and the
// SQLSTATE; never the DETAIL, which quotes values.
absl::Status StatementError(PGconn* conn, const PGresult* result, std::string_view what);

// The SQLSTATE of a failed result ("" when none).
std::string SqlState(const PGresult* result);

// Runs fixed SQL text (no values in it) and expects a command or tuples result.
absl::Status Exec(PGconn* conn, const char* sql, std::string_view what);
absl::StatusOr<Result> Query(PGconn* conn, const char* sql, std::string_view what);

absl::Status Prepare(PGconn* conn, const char* name, const char* sql, std::string_view what);

// The parameters of one prepared statement, in order: text (libpq text format), SQL NULL, or
// binary bytes (for bytea).
class Params {
 public:
  Params& Text(std::string value);
  Params& OptionalText(const std::optional<std::string>& value);
  Params& OptionalDate(const std::optional<Date>& value);  // "YYYY-MM-DD" or NULL
  Params& Null();
  Params& Bytes(std::string value);
  Params& Int(std::int64_t value);
  Params& Double(double value);  // shortest round-trip text; NaN and infinities as PostgreSQL
  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend absl::StatusOr<Result> ExecPrepared(PGconn*, const char*, const Params&, int,
                                             std::string_view);
  friend absl::Status StreamPrepared(PGconn*, const char*, const Params&, int, std::string_view,
                                     absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)>,
                                     bool*);
  friend absl::Status StreamQuery(PGconn*, const std::string&, const Params&, std::string_view,
                                  absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)>, bool*);
  struct Arrays {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
  };
  Arrays Build() const;

  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<bool> binary_;
};

// Executes a prepared statement; results in text (result_format 0) or binary (1) format.
absl::StatusOr<Result> ExecPrepared(PGconn* conn, const char* name, const Params& params,
                                    int result_format, std::string_view what);

// Executes a prepared statement in single-row mode and calls `row` for each row until it
// returns false or an error. `*reusable` is set false when the stream was left unfinished (the
// caller must then drop the connection rather than reuse it).
absl::Status StreamPrepared(PGconn* conn, const char* name, const Params& params, int result_format,
                            std::string_view what,
                            absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)> row,
                            bool* reusable);

// The same for SQL text built at run time (PQsendQueryParams): its values are all parameters,
// never in the text; results in text format.
absl::Status StreamQuery(PGconn* conn, const std::string& sql, const Params& params,
                         std::string_view what,
                         absl::FunctionRef<absl::StatusOr<bool>(const PGresult*)> row,
                         bool* reusable);

// BEGIN on construction via Begin(); ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(PGconn* conn) : conn_(conn) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  absl::Status Begin(std::string_view what);
  absl::Status Commit(std::string_view what);

 private:
  PGconn* conn_;
  bool open_ = false;
};

// Appends `value` to `out` escaped for COPY's text format (backslash, tab, newline, CR).
void AppendCopyText(std::string& out, std::string_view value);

// Runs `copy_sql` (COPY ... FROM STDIN, fixed text) and sends `data` (rows in COPY text
// format) in chunks. Call inside a transaction.
absl::Status CopyIn(PGconn* conn, const char* copy_sql, std::string_view data,
                    std::string_view what);

// Shortest text that reads back as the same double (std::to_chars).
std::string FormatDouble(double value);
// Parses PostgreSQL's float8 text (including NaN, Infinity); nullopt when it is not a number.
std::optional<double> ParseDouble(std::string_view text);
std::optional<std::int64_t> ParseInt(std::string_view text);

}  // namespace varsam::store::pg

#endif  // VARSAM_SRC_STORE_POSTGRES_CONN_H_
