// The built-in policy packs, embedded from data/policy/*.json at build time
// (cmake/EmbedFiles.cmake). Private to src/access.

#ifndef VARSAM_SRC_ACCESS_BUILTIN_H_
#define VARSAM_SRC_ACCESS_BUILTIN_H_

#include <span>
#include <string_view>

namespace varsam::access::internal {

struct EmbeddedPack {
  std::string_view file;  // e.g. "se-socialtjanst.json"
  std::string_view text;
};

std::span<const EmbeddedPack> BuiltinPacks();

}  // namespace varsam::access::internal

#endif  // VARSAM_SRC_ACCESS_BUILTIN_H_
