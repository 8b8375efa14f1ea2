// Fresh PostgreSQL databases for the store test suite (tests/store_test.cc).
//
// When VARSAM_TEST_POSTGRES_ADMIN_URI is set (scripts/with-postgres sets it for the CTest
// "PostgreSQL" runs), NewPostgresStoreUri() creates a new, empty database on that server,
// runs varsam::store::Store::Init on it, and returns its URI; otherwise it returns nullopt and
// the suite runs on SQLite only.

#ifndef VARSAM_TESTS_POSTGRES_TEST_SUPPORT_H_
#define VARSAM_TESTS_POSTGRES_TEST_SUPPORT_H_

#include <optional>
#include <string>

namespace varsam::testing {

// The URI of a new initialised store database, nullopt when no server is configured.
// Aborts the test (Catch2 FAIL) when a server is configured but the database cannot be made.
std::optional<std::string> NewPostgresStoreUri();

// The superuser URI (VARSAM_TEST_POSTGRES_ADMIN_URI's user and server) of the database that
// `store_uri` names: for tests that play an insider with full rights on a store's database.
// Aborts the test (Catch2 FAIL) when no server is configured or either URI cannot be read.
std::string PostgresAdminUriOf(const std::string& store_uri);

}  // namespace varsam::testing

#endif  // VARSAM_TESTS_POSTGRES_TEST_SUPPORT_H_
