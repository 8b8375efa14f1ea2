// Swedish geography: postal code -> municipality (kommun) -> county (län), with names and
// Statistics Sweden's (SCB) official regional codes.
//
// The data is embedded in the library at build time from data/se-geo (CC0 1.0; see
// data/se-geo/README.md for the files, their columns and where they come from), so no data
// directory is needed at run time. Two components read it: the anonymiser's geography
// hierarchy (varsam/hierarchy.h: postal code -> municipality -> county -> "*"), whose county
// codes are the register's region values, and the synthetic population (varsam/synth.h), which
// gives each client a real postal code of a municipality and that municipality's county.
//
// County codes are two digits ("01" Stockholms län .. "25" Norrbottens län), municipality codes
// four (the county's two, then two: "0180" Stockholm), postal codes five digits without a space
// ("11120"). The SCB code scheme:
// https://www.scb.se/hitta-statistik/regional-statistik-och-kartor/regionala-indelningar/lan-och-kommuner/

#ifndef VARSAM_GEO_H_
#define VARSAM_GEO_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace varsam::geo {

struct County {
  std::string code;  // two digits
  std::string name;  // "Stockholms län"
};

struct PostalCode {
  std::string code;                // five digits
  std::string locality;            // the postal town ("Stockholm")
  std::uint32_t municipality = 0;  // index into Geography::municipalities
};

struct Municipality {
  std::string code;                         // four digits
  std::string name;                         // short name ("Upplands Väsby")
  std::string county_code;                  // two digits, one of Geography::counties
  std::vector<std::uint32_t> postal_codes;  // indices into Geography::postal_codes
};

struct Geography {
  std::vector<County> counties;              // in SCB code order
  std::vector<Municipality> municipalities;  // in SCB code order
  std::vector<PostalCode> postal_codes;      // in the file's order
};

// The embedded geography, parsed once on first use (thread-safe). InvalidArgument naming the
// file (and line) when an embedded file is malformed (a build with a damaged data file): every
// municipality has a known county and at least one postal code, every postal code a known
// municipality, codes have their number of digits.
absl::StatusOr<const Geography*> Embedded();

// Where the data comes from and under which licence, for reports and documentation.
inline constexpr std::string_view kSource =
    "Statistics Sweden (SCB) county and municipality codes; postal codes per municipality "
    "(data/se-geo)";
inline constexpr std::string_view kLicence = "CC0 1.0";

}  // namespace varsam::geo

#endif  // VARSAM_GEO_H_
