// Fixtures for the suites that need a store (store_test.cc, audit_test.cc, engine_test.cc): a
// temporary directory, and a fresh store location on every backend.

#ifndef VARSAM_TESTS_STORE_FIXTURES_H_
#define VARSAM_TESTS_STORE_FIXTURES_H_

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "postgres_test_support.h"

namespace varsam::testing {

// A fresh directory under the temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "varsam-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  // A store directory inside (not yet created).
  std::string Store() const { return (std::filesystem::path(path_) / "store").string(); }

 private:
  std::string path_;
};

// Runs `body` with the location of a fresh, empty store of each backend: SQLite always, and
// PostgreSQL when scripts/with-postgres provides a server (NewPostgresStoreUri).
inline void ForEachLocation(
    const std::function<void(const std::string& location, std::string_view backend)>& body) {
  {
    TempDir dir;
    INFO("backend: sqlite");
    body(dir.Store(), "sqlite");
  }
  if (std::optional<std::string> uri = NewPostgresStoreUri()) {
    INFO("backend: postgresql");
    body(*uri, "postgresql");
  }
}

}  // namespace varsam::testing

#endif  // VARSAM_TESTS_STORE_FIXTURES_H_
