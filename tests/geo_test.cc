// The embedded SCB geography (include/varsam/geo.h; data/se-geo/README.md for the counts).

#include "varsam/geo.h"

#include <set>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "varsam/store.h"

namespace varsam::geo {
namespace {

TEST_CASE("geo: the embedded geography has every county, municipality and postal code", "[geo]") {
  const auto geo = Embedded();
  REQUIRE(geo.ok());
  CHECK((*geo)->counties.size() == 21);
  CHECK((*geo)->municipalities.size() == 290);
  CHECK((*geo)->postal_codes.size() == 15463);
  CHECK((*geo)->counties.front().code == "01");
  CHECK((*geo)->counties.front().name == "Stockholms län");
  CHECK((*geo)->counties.back().code == "25");
}

TEST_CASE("geo: postal code, municipality and county point at each other", "[geo]") {
  const Geography& geo = **Embedded();
  std::set<std::string> counties;
  for (const County& c : geo.counties) counties.insert(c.code);
  std::size_t listed = 0;
  for (std::size_t m = 0; m < geo.municipalities.size(); ++m) {
    const Municipality& municipality = geo.municipalities[m];
    INFO(municipality.code);
    CHECK(counties.count(municipality.county_code) == 1);
    // A municipality code begins with its county's code (SCB's scheme).
    CHECK(municipality.code.substr(0, 2) == municipality.county_code);
    CHECK_FALSE(municipality.postal_codes.empty());
    for (std::uint32_t p : municipality.postal_codes) {
      REQUIRE(p < geo.postal_codes.size());
      CHECK(geo.postal_codes[p].municipality == m);
    }
    listed += municipality.postal_codes.size();
  }
  CHECK(listed == geo.postal_codes.size());
}

TEST_CASE("geo: a postal code leads to its municipality and county", "[geo]") {
  const Geography& geo = **Embedded();
  const auto find = [&](std::string_view code) -> const PostalCode* {
    for (const PostalCode& p : geo.postal_codes) {
      if (p.code == code) return &p;
    }
    return nullptr;
  };
  const PostalCode* stockholm = find("11120");
  REQUIRE(stockholm != nullptr);
  CHECK(stockholm->locality == "Stockholm");
  CHECK(geo.municipalities[stockholm->municipality].code == "0180");
  CHECK(geo.municipalities[stockholm->municipality].county_code == "01");
  const PostalCode* goteborg = find("41104");
  REQUIRE(goteborg != nullptr);
  CHECK(geo.municipalities[goteborg->municipality].code == "1480");
  CHECK(geo.municipalities[goteborg->municipality].county_code == "14");
}

// The register's region column takes store::kCountyCodes (both databases' CHECK clauses are
// generated from it); it must be exactly the counties of the geography the hierarchy
// generalises postal codes to.
TEST_CASE("geo: the register's county vocabulary is the SCB county list", "[geo]") {
  const Geography& geo = **Embedded();
  std::vector<std::string> counties;
  for (const County& c : geo.counties) counties.push_back(c.code);
  const std::vector<std::string> vocabulary(std::begin(store::kCountyCodes),
                                            std::end(store::kCountyCodes));
  CHECK(vocabulary == counties);
}

}  // namespace
}  // namespace varsam::geo
