// The SQLite backend (the embedded default). Being written: see issue 4.

#include "backends.h"

namespace varsam::store::internal {

absl::StatusOr<std::unique_ptr<Store>> OpenSqlite(std::string_view, const StoreOptions&) {
  return absl::UnimplementedError("the SQLite store is not built yet");
}

absl::Status InitSqlite(std::string_view) {
  return absl::UnimplementedError("the SQLite store is not built yet");
}

}  // namespace varsam::store::internal
