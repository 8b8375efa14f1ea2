// The CLI's file handling, shared by its commands: reading an input file (or standard input),
// reading a 32-byte key from a key file, and writing an output file through a temporary file.
// Messages name the option (`what`), never a path or a file's content.

#ifndef VARSAM_EXAMPLES_CLI_FILES_H_
#define VARSAM_EXAMPLES_CLI_FILES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace varsam::cli {

// The whole file, or standard input when `path` is "-". NotFound (exit 66) when the file does
// not exist, Unavailable (exit 74) when it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what);

// A key file: exactly 64 hex digits (surrounding white space allowed), the 32-byte key. The
// file's text is wiped after parsing; InvalidArgument never holds any of it.
absl::Status ReadKeyFile(const std::string& path, std::string_view what,
                         std::array<std::uint8_t, 32>* key);

// Overwrites n bytes with zeros in a way the compiler keeps.
void Wipe(void* p, std::size_t n);

// Writes `text` to `path` through a temporary file in the same directory, renamed into place.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text,
                                 std::string_view what);

}  // namespace varsam::cli

#endif  // VARSAM_EXAMPLES_CLI_FILES_H_
