// Private: Swedish geography for the synthetic population, from the embedded files of
// data/se-geo (SCB county and municipality codes; postal codes per municipality; CC0, see
// data/se-geo/README.md).

#ifndef VARSAM_SRC_SYNTH_GEO_H_
#define VARSAM_SRC_SYNTH_GEO_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace varsam::synth::internal {

// An embedded file: its name and text (the generated se_geo_files.cc defines GeoFiles()).
struct GeoFile {
  std::string_view name;
  std::string_view text;
};
std::span<const GeoFile> GeoFiles();

struct PostalCode {
  std::string code;  // five digits
  std::string locality;
};

struct Municipality {
  std::string code;                         // four digits
  std::string name;                         // short name ("Upplands Väsby")
  std::string county_code;                  // two digits
  std::vector<std::uint32_t> postal_codes;  // indices into Geography::postal_codes
};

struct Geography {
  std::vector<Municipality> municipalities;  // in the file's (SCB code) order
  std::vector<PostalCode> postal_codes;
  // Per municipality, its number of postal codes: the population proxy the generator draws
  // municipalities by (docs/synth.md).
  std::vector<double> weights;
  std::vector<std::pair<std::string, std::string>> counties;  // code, name
};

// The embedded geography, parsed once. InvalidArgument naming the file and line when a file
// is malformed (a build with a damaged data file).
absl::StatusOr<const Geography*> EmbeddedGeography();

}  // namespace varsam::synth::internal

#endif  // VARSAM_SRC_SYNTH_GEO_H_
