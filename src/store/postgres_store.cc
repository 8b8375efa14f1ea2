// The PostgreSQL backend. Being written: see issue 4.

#include "backends.h"

namespace varsam::store::internal {

absl::StatusOr<std::unique_ptr<Store>> OpenPostgres(std::string_view, const StoreOptions&) {
  return absl::UnimplementedError("the PostgreSQL store is not built yet");
}

absl::Status InitPostgres(std::string_view) {
  return absl::UnimplementedError("the PostgreSQL store is not built yet");
}

}  // namespace varsam::store::internal
