// Being written (issue 4): creates fresh databases on the server of
// VARSAM_TEST_POSTGRES_ADMIN_URI.

#include "postgres_test_support.h"

#include <catch2/catch.hpp>
#include <cstdlib>

namespace varsam::testing {

std::optional<std::string> NewPostgresStoreUri() {
  if (std::getenv("VARSAM_TEST_POSTGRES_ADMIN_URI") == nullptr) return std::nullopt;
  FAIL("PostgreSQL test databases are not built yet");
  return std::nullopt;
}

}  // namespace varsam::testing
