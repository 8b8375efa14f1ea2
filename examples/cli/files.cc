// The CLI's file handling (files.h).

#include "files.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "varsam/core.h"

namespace varsam::cli {
namespace {

namespace fs = std::filesystem;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    if (std::cin.bad()) return absl::UnavailableError(Cat({what, ": cannot be read"}));
    return std::move(text).str();
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return absl::NotFoundError(Cat({what, ": no such file"}));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(Cat({what, ": cannot be opened"}));
  text << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(Cat({what, ": cannot be read"}));
  return std::move(text).str();
}

void Wipe(void* p, std::size_t n) {
  volatile unsigned char* b = static_cast<volatile unsigned char*>(p);
  while (n-- > 0) *b++ = 0;
}

absl::Status ReadKeyFile(const std::string& path, std::string_view what,
                         std::array<std::uint8_t, 32>* key) {
  absl::StatusOr<std::string> read = ReadFile(path, what);
  if (!read.ok()) return read.status();
  std::string text = *std::move(read);
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  bool ok = s.size() == 64;
  for (std::size_t i = 0; ok && i < 32; ++i) {
    const int hi = HexValue(s[2 * i]);
    const int lo = HexValue(s[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      ok = false;
      break;
    }
    (*key)[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  Wipe(text.data(), text.size());
  if (!ok) {
    Wipe(key->data(), key->size());
    return absl::InvalidArgumentError(
        Cat({what, ": must hold exactly 64 hex digits (a 32-byte key)"}));
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& text,
                                 std::string_view what) {
  const std::string tmp = Cat({path, ".tmp"});
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(Cat({what, ": cannot be written"}));
    out << text;
    out.flush();
    if (!out) return absl::UnavailableError(Cat({what, ": cannot be written"}));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(Cat({what, ": cannot be written"}));
  return absl::OkStatus();
}

}  // namespace varsam::cli
