// Private to src/geo: the data files of data/se-geo as the build embeds them
// (cmake/EmbedFiles.cmake generates se_geo_files.cc, which defines Files()).

#ifndef VARSAM_SRC_GEO_FILES_H_
#define VARSAM_SRC_GEO_FILES_H_

#include <span>
#include <string_view>

namespace varsam::geo::internal {

// An embedded file: its name and text.
struct EmbeddedFile {
  std::string_view name;
  std::string_view text;
};
std::span<const EmbeddedFile> Files();

}  // namespace varsam::geo::internal

#endif  // VARSAM_SRC_GEO_FILES_H_
