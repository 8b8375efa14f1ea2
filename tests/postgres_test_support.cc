// Fresh PostgreSQL databases for the store tests (postgres_test_support.h): one new database
// per call on the server of VARSAM_TEST_POSTGRES_ADMIN_URI (scripts/with-postgres), initialised
// with varsam::store::Store::Init.

#include "postgres_test_support.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::testing {
namespace {

bool Unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (Unreserved(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

// The admin URI's connection parameters with another database: postgresql:///DB?k=v&...
std::string WithDatabase(const std::string& admin_uri, std::string_view database) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(admin_uri.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) {
    FAIL("VARSAM_TEST_POSTGRES_ADMIN_URI is not a URI libpq can read");
    return "";
  }
  std::string uri = Cat({"postgresql:///", PercentEncode(database)});
  char separator = '?';
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0' || std::strcmp(o->keyword, "dbname") == 0) continue;
    uri += separator;
    uri += Cat({o->keyword, "=", PercentEncode(o->val)});
    separator = '&';
  }
  PQconninfoFree(options);
  return uri;
}

}  // namespace

std::optional<std::string> NewPostgresStoreUri() {
  const char* admin = std::getenv("VARSAM_TEST_POSTGRES_ADMIN_URI");
  if (admin == nullptr || *admin == '\0') return std::nullopt;
  static std::atomic<int> counter{0};
  const std::string database = Cat(
      {"varsam_test_", std::to_string(getpid()), "_", std::to_string(counter.fetch_add(1) + 1)});
  PGconn* conn = PQconnectdb(admin);
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    FAIL("cannot connect to VARSAM_TEST_POSTGRES_ADMIN_URI: " << message);
    return std::nullopt;
  }
  // An identifier made of digits and a fixed prefix: nothing to escape or to parameterise
  // (CREATE DATABASE takes no parameters).
  PGresult* result = PQexec(conn, Cat({"CREATE DATABASE ", database}).c_str());
  const bool created = PQresultStatus(result) == PGRES_COMMAND_OK;
  const std::string message = created ? "" : PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  if (!created) {
    FAIL("CREATE DATABASE " << database << " failed: " << message);
    return std::nullopt;
  }
  const std::string uri = WithDatabase(admin, database);
  const absl::Status init = store::Store::Init(uri);
  if (!init.ok()) {
    FAIL("Store::Init on a fresh PostgreSQL database failed: " << init.ToString());
    return std::nullopt;
  }
  return uri;
}

std::string PostgresAdminUriOf(const std::string& store_uri) {
  const char* admin = std::getenv("VARSAM_TEST_POSTGRES_ADMIN_URI");
  if (admin == nullptr || *admin == '\0') {
    FAIL("PostgresAdminUriOf needs VARSAM_TEST_POSTGRES_ADMIN_URI (scripts/with-postgres)");
    return "";
  }
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(store_uri.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) {
    FAIL("a store URI libpq cannot read");
    return "";
  }
  std::string database;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "dbname") == 0 && o->val != nullptr) database = o->val;
  }
  PQconninfoFree(options);
  if (database.empty()) {
    FAIL("a store URI that names no database");
    return "";
  }
  return WithDatabase(admin, database);
}

}  // namespace varsam::testing
