// Private: ASCII-digit helpers of the parser (number.cc). The scanner (scan.cc) reads the
// matching view of varsam/core.h instead.

#ifndef VARSAM_SRC_IDENT_DIGITS_H_
#define VARSAM_SRC_IDENT_DIGITS_H_

#include <cstddef>

#include "varsam/core.h"

namespace varsam::ident::internal {

// Digits are ASCII '0'..'9' only (varsam::IsDigit). Check() takes these alone; Scan() reads
// the matching view (varsam/core.h), in which the digits of other scripts read as these.

// How many ASCII digits [p, p + n) starts with.
constexpr std::size_t LeadingDigits(const char* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n && IsDigit(p[i])) ++i;
  return i;
}

constexpr bool AllDigits(const char* p, std::size_t n) { return LeadingDigits(p, n) == n; }

}  // namespace varsam::ident::internal

#endif  // VARSAM_SRC_IDENT_DIGITS_H_
