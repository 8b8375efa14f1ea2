// The matching view (see varsam/core.h): how a text is read when identifiers are looked for.

#include <algorithm>
#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <iterator>

#include "matching_table.h"
#include "varsam/core.h"

namespace varsam {
namespace {

using internal::kMatchingRanges;
using internal::MatchingRange;

// What a code point above U+007F reads as: a binary search in the generated table.
int Lookup(char32_t cp) {
  // Below U+00A0 nothing is in the table (C1 controls read as themselves).
  if (cp < 0xA0) return kReadsAsItself;
  const MatchingRange* end = std::end(kMatchingRanges);
  const MatchingRange* r =
      std::upper_bound(std::begin(kMatchingRanges), end, cp,
                       [](char32_t c, const MatchingRange& range) { return c < range.first; });
  if (r == std::begin(kMatchingRanges)) return kReadsAsItself;
  --r;
  if (cp > r->last) return kReadsAsItself;
  if (r->as == kReadsAsNothing) return kReadsAsNothing;
  return r->as + (r->step != 0 ? static_cast<int>(cp - r->first) : 0);
}

// The bytes that may start a code point the view reads otherwise: the lead bytes of two- to
// four-byte sequences but 0xC3 (U+00C0..U+00FF, the Latin-1 letters of Swedish, none of which
// is in the table: the generator checks). ASCII, continuation bytes and bytes that are never
// UTF-8 read as themselves; so does a 0xC3 that leads no valid sequence.
constexpr std::array<bool, 256> Stops(bool digits) {
  std::array<bool, 256> stops{};
  for (int b = 0xC2; b <= 0xF4; ++b) stops[b] = b != 0xC3;
  if (digits) {
    for (int b = '0'; b <= '9'; ++b) stops[b] = true;
  }
  return stops;
}
constexpr std::array<bool, 256> kChanged = Stops(false);
constexpr std::array<bool, 256> kDigitOrChanged = Stops(true);

// The first i' >= i with stops[p[i']] (n when none). Only lead bytes other than 0xC3 (and with
// kDigits, ASCII digits) can be stops, so sixteen bytes with none of them are passed over at
// once (SSE2, which every x86-64 has; byte by byte elsewhere).
template <bool kDigits>
std::size_t NextStop(const unsigned char* p, std::size_t n, std::size_t i) {
  constexpr const std::array<bool, 256>& stops = kDigits ? kDigitOrChanged : kChanged;
#if defined(__SSE2__)
  // Signed byte compares: 0x80..0xBF (continuation) are -128..-65, leads 0xC0..0xFF -64..-1.
  const __m128i slash = _mm_set1_epi8('/'), colon = _mm_set1_epi8(':');
  const __m128i last_continuation = _mm_set1_epi8(-65), zero = _mm_setzero_si128();
  const __m128i latin1 = _mm_set1_epi8(static_cast<char>(0xC3));
  while (n - i >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i lead =
        _mm_and_si128(_mm_cmpgt_epi8(x, last_continuation), _mm_cmplt_epi8(x, zero));
    auto mask =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(x, latin1), lead)));
    if constexpr (kDigits) {
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, slash), _mm_cmplt_epi8(x, colon));
      mask |= static_cast<unsigned>(_mm_movemask_epi8(digit));
    }
    while (mask != 0) {
      const auto bit = static_cast<std::size_t>(__builtin_ctz(mask));
      if (stops[p[i + bit]]) return i + bit;
      mask &= mask - 1;
    }
    i += 16;
  }
#endif
  while (i < n && !stops[p[i]]) ++i;
  return i;
}

// What a byte that is not UTF-8 becomes in a copied view: U+001A SUBSTITUTE, an ASCII control
// character that no pattern takes for a letter, digit or separator.
constexpr int kSubstitute = 0x1A;

}  // namespace

MatchingChar ReadForMatching(std::string_view text, std::size_t i) noexcept {
  const auto b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) return {1, b};
  char32_t cp = 0;
  const std::size_t length = DecodeUtf8(text, i, &cp);
  if (length == 0) return {1, kReadsAsItself};
  return {length, Lookup(cp)};
}

std::size_t NextDigitOrChanged(std::string_view text, std::size_t i) noexcept {
  return NextStop<true>(reinterpret_cast<const unsigned char*>(text.data()), text.size(), i);
}

bool NeedsMatchingView(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0;;) {
    i = NextStop<false>(p, text.size(), i);
    if (i >= text.size()) return false;
    const MatchingChar c = ReadForMatching(text, i);
    if (c.as != kReadsAsItself) return true;
    i += c.length;
  }
}

MatchingView::MatchingView(std::string_view text) : original_(text), view_(text) {
  if (!NeedsMatchingView(text)) return;
  folded_.reserve(text.size());
  std::size_t i = 0;
  std::size_t copied = 0;  // text[copied, i) is still to be appended unchanged
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    MatchingChar c = ReadForMatching(text, i);
    // A byte that is not UTF-8 becomes SUBSTITUTE: left as it is, it could join bytes around an
    // invisible character left out into a sequence the text does not hold ("\xE2\x81" + ZWJ +
    // "\xA6" would read as U+2066, and the digits on both sides as one run).
    if (c.as == kReadsAsItself && c.length == 1) c.as = kSubstitute;
    if (c.as == kReadsAsItself) {
      i += c.length;
      continue;
    }
    folded_.append(text.data() + copied, i - copied);
    const bool visible = c.as != kReadsAsNothing;
    edits_.push_back(
        Edit{folded_.size(), i, static_cast<std::uint32_t>(c.length), visible ? 1u : 0u});
    if (visible) folded_.push_back(static_cast<char>(c.as));
    i += c.length;
    copied = i;
  }
  folded_.append(text.data() + copied, text.size() - copied);
  view_ = folded_;
}

const MatchingView::Edit* MatchingView::EditBefore(std::size_t v) const {
  // The last edit whose view offset is at most v. Edits are in text order, so their view
  // offsets never decrease; invisible ones share the offset of the byte after them.
  const auto it = std::upper_bound(edits_.begin(), edits_.end(), v,
                                   [](std::size_t x, const Edit& e) { return x < e.view; });
  return it == edits_.begin() ? nullptr : &*std::prev(it);
}

std::size_t MatchingView::OriginalBegin(std::size_t v) const {
  const Edit* e = EditBefore(v);
  if (e == nullptr) return v;                                       // before every edit
  if (e->view == v && e->view_length == 1) return e->original;      // a changed code point
  return e->original + e->length + (v - e->view - e->view_length);  // copied after e
}

std::pair<std::size_t, std::size_t> MatchingView::Original(std::size_t begin,
                                                           std::size_t end) const {
  if (edits_.empty()) return {begin, end};
  const std::size_t first = OriginalBegin(begin);
  const Edit* e = EditBefore(end - 1);
  if (e != nullptr && e->view == end - 1 && e->view_length == 1) {
    return {first, e->original + e->length};
  }
  return {first, OriginalBegin(end - 1) + 1};
}

}  // namespace varsam
