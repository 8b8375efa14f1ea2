// Private: ASCII-digit helpers of the parser (number.cc). The scanner (scan.cc) reads the
// matching view of varsam/core.h instead.

#ifndef VARSAM_SRC_IDENT_DIGITS_H_
#define VARSAM_SRC_IDENT_DIGITS_H_

#include <cstddef>

namespace varsam::ident::internal {

// ASCII '0'..'9' only. Check() takes these alone; Scan() reads the matching view
// (varsam/core.h), in which the digits of other scripts read as these.
constexpr bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// How many ASCII digits [p, p + n) starts with.
constexpr std::size_t LeadingDigits(const char* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n && IsDigit(p[i])) ++i;
  return i;
}

constexpr bool AllDigits(const char* p, std::size_t n) { return LeadingDigits(p, n) == n; }

}  // namespace varsam::ident::internal

#endif  // VARSAM_SRC_IDENT_DIGITS_H_
