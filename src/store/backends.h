// The two backends behind varsam::store::Store (private to src/store).

#ifndef VARSAM_SRC_STORE_BACKENDS_H_
#define VARSAM_SRC_STORE_BACKENDS_H_

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/store.h"

namespace varsam::store::internal {

// SQLite: `directory` holds journal.db, register.db and audit.db (sqlite_store.cc).
absl::StatusOr<std::unique_ptr<Store>> OpenSqlite(std::string_view directory,
                                                  const StoreOptions& options);
// `schema_version` below kSchemaVersion makes the store as the varsam of that version did, for
// the migration tests (Open then migrates it forward).
absl::Status InitSqlite(std::string_view directory, int schema_version = kSchemaVersion);

// PostgreSQL: `uri` is a libpq connection URI (postgres_store.cc).
absl::StatusOr<std::unique_ptr<Store>> OpenPostgres(std::string_view uri,
                                                    const StoreOptions& options);
absl::Status InitPostgres(std::string_view uri, int schema_version = kSchemaVersion);

}  // namespace varsam::store::internal

#endif  // VARSAM_SRC_STORE_BACKENDS_H_
