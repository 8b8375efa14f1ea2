// The matching view (see varsam/core.h): how a text is read when identifiers are looked for.

#include <algorithm>
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
  const MatchingRange* r = std::upper_bound(
      std::begin(kMatchingRanges), end, cp,
      [](char32_t c, const MatchingRange& range) { return c < range.first; });
  if (r == std::begin(kMatchingRanges)) return kReadsAsItself;
  --r;
  if (cp > r->last) return kReadsAsItself;
  if (r->as == kReadsAsNothing) return kReadsAsNothing;
  return r->as + (r->step != 0 ? static_cast<int>(cp - r->first) : 0);
}

// Whether the two bytes at p are U+00C0..U+00FF (Latin-1 letters: å ä ö é …), which read as
// themselves (the generator checks that the table holds none of them): Swedish text skips
// them without decoding.
inline bool IsLatin1Letter(const unsigned char* p, const unsigned char* end) {
  return p[0] == 0xC3 && end - p >= 2 && (p[1] & 0xC0) == 0x80;
}

}  // namespace

MatchingChar ReadForMatching(std::string_view text, std::size_t i) noexcept {
  const auto b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) return {1, b};
  char32_t cp = 0;
  const std::size_t length = DecodeUtf8(text, i, &cp);
  if (length == 0) return {1, kReadsAsItself};
  return {length, Lookup(cp)};
}

bool NeedsMatchingView(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    if (IsLatin1Letter(p, end)) {
      p += 2;
      continue;
    }
    const std::size_t i = static_cast<std::size_t>(p - reinterpret_cast<const unsigned char*>(
                                                           text.data()));
    const MatchingChar c = ReadForMatching(text, i);
    if (c.as != kReadsAsItself) return true;
    p += c.length;
  }
  return false;
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
    const MatchingChar c = ReadForMatching(text, i);
    if (c.as == kReadsAsItself) {
      i += c.length;
      continue;
    }
    folded_.append(text.data() + copied, i - copied);
    const bool visible = c.as != kReadsAsNothing;
    edits_.push_back(Edit{folded_.size(), i, static_cast<std::uint32_t>(c.length),
                          visible ? 1u : 0u});
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
  if (e == nullptr) return v;                                      // before every edit
  if (e->view == v && e->view_length == 1) return e->original;     // a changed code point
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
