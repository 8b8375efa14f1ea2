// UTF-8 validation per RFC 3629 §4 (the table of well-formed byte sequences).

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "varsam/core.h"

namespace varsam {

bool IsValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p < end) {
    const unsigned char b0 = *p;
    if (b0 < 0x80) {  // ASCII fast path: most text a case system sends
      ++p;
      continue;
    }
    // Length and the allowed range of the second byte, from RFC 3629's table.
    int length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 == 0xE0) {
      length = 3, lo = 0xA0;  // no overlong 3-byte forms
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
      length = 3;
    } else if (b0 == 0xED) {
      length = 3, hi = 0x9F;  // no UTF-16 surrogates
    } else if (b0 == 0xF0) {
      length = 4, lo = 0x90;  // no overlong 4-byte forms
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
      length = 4;
    } else if (b0 == 0xF4) {
      length = 4, hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return false;  // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
    }
    if (end - p < length) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i < length; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += length;
  }
  return true;
}

absl::Status CheckUtf8(std::string_view bytes, std::string_view what) {
  if (IsValidUtf8(bytes)) return absl::OkStatus();
  return absl::InvalidArgumentError(Cat({what, ": not valid UTF-8"}));
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

double TickStep(double range, double most) {
  // From a hundredth of the range's power of ten up: below it, even the largest multiple (5)
  // would need 20 steps or more.
  for (double power = std::pow(10.0, std::floor(std::log10(range)) - 2);; power *= 10) {
    for (const double m : {1.0, 2.0, 2.5, 5.0}) {
      if (range / (m * power) <= most) return m * power;
    }
  }
}

}  // namespace varsam
