// Scrubbing free text: see include/varsam/scrub.h for the rules and the design.

#include "varsam/scrub.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <cstring>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"
#include "re2/set.h"
#include "varsam/ident.h"

namespace varsam::anonymize {

// ---- Patterns -----------------------------------------------------------------------------------
//
// Each is a superset of what is accepted: the boundary and plausibility rules that RE2 cannot
// express (no look-around) are checked in code below. All are matched leftmost-longest.

namespace {

// The regular kinds, in the order of the RE2::Set's pattern indices. E-mail has two: the plain
// form local@domain.tld, and the written-out forms (which the set only looks for by their
// operators, a far smaller automaton than the whole pattern; see EmailPatterns).
enum Regular : int {
  kRePhone = 0,
  kReEmail = 1,
  kReEmailWritten = 2,
  kRePostal = 3,
  kReAddress = 4,
  kReCount = 5
};

constexpr Kind kRegularKind[kReCount] = {Kind::kPhone, Kind::kEmail, Kind::kEmail,
                                         Kind::kPostalCode, Kind::kAddress};

// +46 / 0046 / (+46), an optional "(0)", then digit groups separated by single spaces, hyphens
// or dots; or a trunk 0 and an area code (optionally in parentheses), an optional "-", "/", "."
// or " - " after it, then digit groups. (The text is the matching view: every dash reads as
// "-" and every space separator as " ".)
// Repetitions are bounded (no phone has more groups or longer ones) so that a retry after a
// rejected candidate reads a bounded stretch of text: the scan stays linear on any input.
// Phone and postal code carry their context (not a digit, letter, '+' or '-' before; not a
// digit after) so that the set does not fire on every date and long number; group 1 is the
// identifier.
constexpr std::string_view kPhonePattern =
    R"((?:^|[^0-9A-Za-z+\-])((?:\+46|0046|\(\+46\))[ .-]?(?:\(0\) ?)?[1-9][0-9]{0,11})"
    R"((?:[ .-][0-9]{1,12}){0,6})"
    R"(|(?:0[1-9][0-9]{0,11}|\(0[1-9][0-9]{0,2}\))(?:(?: ?[-/.] ?| )[0-9]{1,12})?)"
    R"((?:[ .-][0-9]{1,12}){0,6})(?:$|[^0-9]))";

// local@domain.tld, and the forms people write to keep an address from machines or read it
// out: "(at)", "[at]", "(a)", "(snabel-a)", " at ", " snabel-a ", spaces on both sides of "@"
// (not on one side only: "till @anna.berg" is a handle); "(dot)", "[punkt]", " dot ",
// " punkt ", spaces on both sides of "." — in the local part and the domain alike ("anna punkt
// l snabel-a exempel punkt se"). Spaces are bounded (at most three).
struct EmailPatterns {
  std::string plain;    // local@domain.tld
  std::string written;  // every form, the plain one included
  std::string trigger;  // what every written-out form holds and no plain one does
};

EmailPatterns MakeEmailPatterns() {
  const std::string word = R"([\p{L}\p{N}._%+-]+)";  // the local part's words
  const std::string label = R"([\p{L}\p{N}-]+)";     // the domain's labels
  const std::string open = R"( {0,2}[(\[{<] ?)", close = R"( ?[)\]}>] {0,2})";
  // A written-out dot (a plain "." is part of the local part's words).
  const std::string word_dot = R"((?: {1,3}\. {1,3}|)" + open + "(?i:dot|punkt|\\.)" + close +
                               "| {1,3}(?i:dot|punkt) {1,3})";
  const std::string dot = R"((?:\.|)" + word_dot + ")";
  const std::string written_at = "(?: {1,3}@ {1,3}|" + open + "(?i:at|a|@|snabel[- ]?a)" + close +
                                 "| {1,3}(?i:at|snabel[- ]?a) {1,3})";
  const std::string tld = R"(\p{L}{2,})";
  EmailPatterns p;
  p.plain = word + "@" + label + R"((?:\.)" + label + ")*\\." + tld;
  p.written = word + "(?:" + word_dot + word + ")*(?:@|" + written_at + ")" + label + "(?:" + dot +
              label + ")*" + dot + tld;
  // A written-out "at"; or a plain "@" with a written-out dot in the domain or before it in
  // the local part.
  p.trigger = written_at + "|@" + label + R"((?:\.)" + label + ")*" + word_dot + "|" + word_dot +
              word + "@";
  return p;
}

constexpr std::string_view kPostalPattern = R"((?:^|[^0-9])([1-9][0-9]{2} ?[0-9]{2})(?:$|[^0-9]))";

// Whether the pattern has a group 1 for the identifier (else the whole match is it).
constexpr bool kHasGroup[] = {true, false, false, true, false};

// A street word with a suffix (any case for the unambiguous ones, a capital initial for the
// ones that are also common words), a house number 1..999 (or a range 3-5), a letter: attached
// in either case ("12b") or a capital after a space ("7 A", not the "i" of "12 i Malmö").
constexpr std::string_view kAddressPattern =
    R"((?:\p{L}+(?i:gatan|vägen|gränd|backen|torget|stigen|allén|allen|gången|slingan|stråket|)"
    R"(kajen|promenaden)|\p{Lu}\p{L}*(?:plan|leden|torg|väg|gata|gränd|allé)))"
    R"( ?[0-9]{1,3}(?:-[0-9]{1,3})?(?:[A-Za-z]| [A-Z])?)";

// The patterns in the order of Regular: what each kind's RE2 matches, and what the set looks
// for to say whether the kind occurs at all.
struct Patterns {
  std::array<std::string, kReCount> match;
  std::array<std::string, kReCount> present;
};

Patterns MakePatterns() {
  const EmailPatterns email = MakeEmailPatterns();
  Patterns p;
  p.match = {std::string(kPhonePattern), email.plain, email.written, std::string(kPostalPattern),
             std::string(kAddressPattern)};
  p.present = p.match;
  p.present[kReEmailWritten] = email.trigger;
  return p;
}

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

constexpr bool IsAsciiLetter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

// ---- UTF-8 words --------------------------------------------------------------------------------

// Whether a code point joins a word: ASCII letters, digits and '_'; Latin-1 letters (not × ÷);
// Latin Extended, Greek, Cyrillic and the other alphabets up to U+1FFF (combining marks
// included, so a decomposed é stays one word); U+2C00.. U+D7FF but the CJK punctuation.
// General punctuation, symbols, NBSP and the like separate words.
bool IsWordChar(char32_t cp) {
  if (cp < 0x80) {
    return IsDigit(static_cast<unsigned char>(cp)) ||
           IsAsciiLetter(static_cast<unsigned char>(cp)) || cp == '_';
  }
  if (cp < 0xC0) return false;
  if (cp <= 0xFF) return cp != 0xD7 && cp != 0xF7;
  if (cp < 0x2000) return true;
  if (cp < 0x2C00) return false;
  if (cp >= 0x3000 && cp <= 0x303F) return false;
  return cp < 0xD800;
}

bool IsCapital(char32_t cp) {
  return (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7);
}

// Appends the case-folded UTF-8 of `cp` (ASCII and Latin-1 upper case to lower case; other
// code points unchanged) to buf at *n; false when it does not fit.
bool AppendFolded(char32_t cp, char* buf, std::size_t cap, std::size_t* n) {
  if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) cp += 0x20;
  char tmp[4];
  std::size_t len;
  if (cp < 0x80) {
    tmp[0] = static_cast<char>(cp);
    len = 1;
  } else if (cp < 0x800) {
    tmp[0] = static_cast<char>(0xC0 | (cp >> 6));
    tmp[1] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 2;
  } else if (cp < 0x10000) {
    tmp[0] = static_cast<char>(0xE0 | (cp >> 12));
    tmp[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    tmp[2] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 3;
  } else {
    tmp[0] = static_cast<char>(0xF0 | (cp >> 18));
    tmp[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    tmp[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    tmp[3] = static_cast<char>(0x80 | (cp & 0x3F));
    len = 4;
  }
  if (*n + len > cap) return false;
  std::memcpy(buf + *n, tmp, len);
  *n += len;
  return true;
}

// Which ASCII bytes join a word: letters, digits, '_'.
constexpr std::array<bool, 128> kAsciiWord = [] {
  std::array<bool, 128> word{};
  for (int c = 0; c < 128; ++c) {
    word[c] = IsDigit(static_cast<unsigned char>(c)) ||
              IsAsciiLetter(static_cast<unsigned char>(c)) || c == '_';
  }
  return word;
}();

// The code point at text[i]: its length in bytes (0 when invalid UTF-8) and whether it joins
// a word; ASCII and the Latin-1 letters (å ä ö é, the most common others in Swedish text)
// without a general decoding.
inline std::size_t Classify(std::string_view text, std::size_t i, char32_t* cp, bool* word) {
  const auto b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) {
    *cp = b;
    *word = kAsciiWord[b];
    return 1;
  }
  if (b == 0xC3 && i + 1 < text.size()) {
    const auto b1 = static_cast<unsigned char>(text[i + 1]);
    if ((b1 & 0xC0) == 0x80) {
      *cp = 0xC0 | (b1 & 0x3F);  // U+00C0..U+00FF
      *word = *cp != 0xD7 && *cp != 0xF7;
      return 2;
    }
  }
  const std::size_t len = DecodeUtf8(text, i, cp);
  *word = len != 0 && IsWordChar(*cp);
  return len;
}

// Calls word(begin, end, capital) for each maximal run of word characters of `text`.
template <typename F>
void ForEachWord(std::string_view text, F&& word) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    char32_t cp = 0;
    bool is_word = false;
    std::size_t len = Classify(text, i, &cp, &is_word);
    if (!is_word) {
      i += len == 0 ? 1 : len;
      continue;
    }
    const std::size_t begin = i;
    const bool capital = IsCapital(cp);
    i += len;
    while (i < n) {
      len = Classify(text, i, &cp, &is_word);
      if (!is_word) break;
      i += len;
    }
    word(begin, i, capital);
  }
}

// Longest word (folded, in bytes) that can be a name; longer words are skipped.
constexpr std::size_t kMaxNameBytes = 96;

// Folds text[begin, end) into buf; false when longer than kMaxNameBytes.
bool FoldWord(std::string_view text, std::size_t begin, std::size_t end, char* buf,
              std::size_t* n) {
  *n = 0;
  if (end - begin > kMaxNameBytes) return false;
  std::size_t i = begin;
  while (i < end) {
    char32_t cp = 0;
    const std::size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) return false;  // cannot happen inside a word
    if (!AppendFolded(cp, buf, kMaxNameBytes, n)) return false;
    i += len;
  }
  return true;
}

// The first two bytes of a folded word, as one number: a prefilter before a word is folded
// whole and looked up.
inline std::uint16_t Prefix(const char* folded) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(folded[0]) << 8 |
                                    static_cast<unsigned char>(folded[1]));
}

// Prefix() of text[begin, ...) as FoldWord would fold it, without folding the word: ASCII
// capitals and, after 0xC3, the Latin-1 capitals U+00C0..U+00DE (but ×) fold. A word has at
// least two bytes.
inline std::uint16_t FoldedPrefix(std::string_view text, std::size_t begin) {
  auto b0 = static_cast<unsigned char>(text[begin]);
  auto b1 = static_cast<unsigned char>(text[begin + 1]);
  const auto ascii = [](unsigned char c) {
    return static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 0x20 : c);
  };
  if (b0 < 0x80) {
    b0 = ascii(b0);
    b1 = ascii(b1);
  } else if (b0 == 0xC3 && b1 >= 0x80 && b1 <= 0x9E && b1 != 0x97) {
    b1 = static_cast<unsigned char>(b1 + 0x20);
  }
  return static_cast<std::uint16_t>(b0 << 8 | b1);
}

// ---- Boundary and plausibility rules ------------------------------------------------------------

char At(std::string_view text, std::size_t i) { return i < text.size() ? text[i] : '\0'; }

bool IsMobileThird(char c) { return c == '0' || c == '2' || c == '3' || c == '6' || c == '9'; }

// Whether the word before `begin` (over spaces, ':' and '.') names a payment or a file number,
// after which a bare digit run is a reference, not a phone ("OCR 0701234567").
bool AfterPaymentWord(std::string_view text, std::size_t begin) {
  std::size_t end = begin;
  while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == ':' || text[end - 1] == '.')) {
    --end;
  }
  std::size_t start = end;
  while (start > 0 && IsAsciiLetter(static_cast<unsigned char>(text[start - 1])) &&
         end - start < 16) {
    --start;
  }
  if (start == end || (start > 0 && IsAsciiLetter(static_cast<unsigned char>(text[start - 1])))) {
    return false;
  }
  char word[16];
  const std::size_t n = end - start;
  for (std::size_t i = 0; i < n; ++i) word[i] = static_cast<char>(text[start + i] | 0x20);
  static constexpr std::string_view kWords[] = {
      "ocr",           "bankgiro",    "bg",           "plusgiro",      "pg",      "konto",
      "kontonr",       "kontonummer", "referens",     "ref",           "faktura", "fakturanr",
      "fakturanummer", "dnr",         "diarienummer", "clearingnummer"};
  const std::string_view w(word, n);
  for (std::string_view k : kWords) {
    if (w == k) return true;
  }
  return false;
}

// The digit groups of a phone candidate text[begin, end) and the separators between them. The
// "(0)" of "+46 (0)70" belongs to the separator: it is not dialled.
struct PhoneGroups {
  static constexpr std::size_t kMax = 16;  // the pattern allows at most nine groups
  std::size_t n = 0;
  std::size_t total = 0;          // digits in all groups
  std::size_t digits[kMax] = {};  // digits of group g
  std::size_t sep_at[kMax] = {};  // where the separator after group g starts
  bool sep_dot[kMax] = {};        // whether it holds a '.'
  bool sep_only_dot[kMax] = {};   // whether it is exactly "."
};

PhoneGroups ReadPhoneGroups(std::string_view text, std::size_t begin, std::size_t end) {
  PhoneGroups g;
  std::size_t i = begin;
  while (i < end && !IsDigit(static_cast<unsigned char>(text[i]))) ++i;  // "+", "(" before
  while (i < end && g.n < PhoneGroups::kMax) {
    const std::size_t start = i;
    while (i < end && IsDigit(static_cast<unsigned char>(text[i]))) ++i;
    g.digits[g.n] = i - start;
    g.total += i - start;
    g.sep_at[g.n] = i;
    while (i < end && !IsDigit(static_cast<unsigned char>(text[i]))) {
      if (text[i] == '(' && i + 2 < end && text[i + 1] == '0' && text[i + 2] == ')') i += 2;
      g.sep_dot[g.n] |= text[i] == '.';
      ++i;
    }
    g.sep_only_dot[g.n] = i == g.sep_at[g.n] + 1 && text[i - 1] == '.';
    ++g.n;
  }
  return g;
}

// Phone: digits after the trunk 0 (national) or after +46/0046, 7..9; trims trailing groups
// that make it too long. Returns the accepted end, or 0 to reject.
std::size_t CheckPhone(std::string_view text, std::size_t begin, std::size_t end) {
  if (begin > 0) {
    const auto before = static_cast<unsigned char>(text[begin - 1]);
    if (IsDigit(before) || IsAsciiLetter(before) || before == '+' || before == '-') return 0;
  }
  const bool plus = text[begin] == '+' || (text[begin] == '(' && At(text, begin + 1) == '+');
  const bool international =
      plus || (text[begin] == '0' && end - begin > 2 && text[begin + 1] == '0');
  // Digits that are not part of the national significant number: the country code, or the
  // trunk 0.
  const std::size_t skip = international ? (plus ? 2 : 4) : 1;
  for (;;) {
    const PhoneGroups g = ReadPhoneGroups(text, begin, end);
    if (g.total < skip) return 0;
    const std::size_t nsn = g.total - skip;
    if (nsn > 9) {  // leave the last group out
      if (g.n < 2) return 0;
      end = g.sep_at[g.n - 2];
      continue;
    }
    if (nsn < 7) return 0;
    if (g.n == 1 && !international) {
      // A bare ten-digit run is a phone only with a mobile prefix (070 072 073 076 079).
      if (g.total == 10 && (text[begin + 1] != '7' || !IsMobileThird(text[begin + 2]))) return 0;
      if (AfterPaymentWord(text, begin)) return 0;
    }
    // Dots between the subscriber's groups only when all of them are dots (070-174.06.05,
    // 08.465.004.00): a time range "08.30-09.15" is not a phone.
    const std::size_t first_subscriber = international ? 2 : 1;
    bool dot = false, only_dots = true;
    for (std::size_t k = first_subscriber; k + 1 < g.n; ++k) {
      dot |= g.sep_dot[k];
      only_dots &= g.sep_only_dot[k];
    }
    if (dot && !only_dots) return 0;
    // A date 0D.MM.YYYY, 0D-MM-YYYY or 0D/MM/YYYY is not a phone.
    if (!international && g.n == 3 && g.digits[0] == 2 && g.digits[1] == 2 && g.digits[2] == 4 &&
        g.sep_at[1] == g.sep_at[0] + 3 && text[g.sep_at[0]] == text[g.sep_at[1]]) {
      const char c = text[g.sep_at[0]];
      const int month = (text[g.sep_at[0] + 1] - '0') * 10 + (text[g.sep_at[0] + 2] - '0');
      if ((c == '.' || c == '-' || c == '/') && month >= 1 && month <= 12) return 0;
    }
    if (IsDigit(static_cast<unsigned char>(At(text, end)))) return 0;
    return end;
  }
}

bool IsCapitalAt(std::string_view text, std::size_t i) {
  if (i >= text.size()) return false;
  char32_t cp = 0;
  return DecodeUtf8(text, i, &cp) > 0 && IsCapital(cp);
}

std::size_t CheckPostal(std::string_view text, std::size_t begin, std::size_t end) {
  if (begin > 0) {
    const auto b = static_cast<unsigned char>(text[begin - 1]);
    if (IsDigit(b) || IsAsciiLetter(b) || b == '+' || b == '/' || b == '.' || b == ',') return 0;
    if ((b == ' ' || b == '-') && begin > 1 && IsDigit(static_cast<unsigned char>(text[begin - 2])))
      return 0;
  }
  const auto a = static_cast<unsigned char>(At(text, end));
  if (IsDigit(a) || IsAsciiLetter(a) || a == '/') return 0;
  if ((a == ',' || a == '.') && IsDigit(static_cast<unsigned char>(At(text, end + 1)))) return 0;
  if ((a == ' ' || a == '-') && IsDigit(static_cast<unsigned char>(At(text, end + 1)))) return 0;
  if (end - begin == 5) {  // unseparated: only before a capitalised word (the locality)
    if (a != ' ' || !IsCapitalAt(text, end + 1)) return 0;
  }
  return end;
}

// Whether the code point that ends just before `i` joins a word (so a match at i starts
// inside a word).
bool WordCharBefore(std::string_view text, std::size_t i) {
  if (i == 0) return false;
  std::size_t j = i - 1;
  while (j > 0 && i - j < 4 && (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80) --j;
  char32_t cp = 0;
  const std::size_t len = DecodeUtf8(text, j, &cp);
  return len == i - j && IsWordChar(cp);
}

std::size_t CheckAddress(std::string_view text, std::size_t begin, std::size_t end) {
  if (WordCharBefore(text, begin)) return 0;
  // A letter after the number only when it ends there ("12B", not the "o" of "12 och").
  if (IsAsciiLetter(static_cast<unsigned char>(text[end - 1]))) {
    const auto a = static_cast<unsigned char>(At(text, end));
    char32_t cp = 0;
    const bool word_after =
        end < text.size() && DecodeUtf8(text, end, &cp) > 0 && IsWordChar(cp) && !IsDigit(a);
    if (word_after) {
      --end;
      if (text[end - 1] == ' ') --end;
    }
  }
  if (IsDigit(static_cast<unsigned char>(At(text, end)))) return 0;
  return end;
}

std::size_t CheckEmail(std::string_view text, std::size_t begin, std::size_t end) {
  (void)text;
  (void)begin;
  return end;
}

std::size_t Check(int regular, std::string_view text, std::size_t begin, std::size_t end) {
  switch (regular) {
    case kRePhone: return CheckPhone(text, begin, end);
    case kReEmail:
    case kReEmailWritten: return CheckEmail(text, begin, end);
    case kRePostal: return CheckPostal(text, begin, end);
    default: return CheckAddress(text, begin, end);
  }
}

// Candidates that overlap are merged into one span covering them all, so that no part of any
// identifier survives; the span takes the kind of its best member (the longest, then the
// kind's priority, then the earlier start). The result is sorted and never overlaps.
void ResolveOverlaps(std::vector<Span>* candidates) {
  std::vector<Span>& cand = *candidates;
  if (cand.size() <= 1) return;
  std::sort(cand.begin(), cand.end(), [](const Span& a, const Span& b) {
    if (a.offset != b.offset) return a.offset < b.offset;
    return a.length > b.length;
  });
  const auto better = [](const Span& a, const Span& b) {
    if (a.length != b.length) return a.length > b.length;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.offset < b.offset;
  };
  std::size_t kept = 0;
  Span best = cand[0];  // the best member of the span being merged, cand[kept - 1]
  for (std::size_t i = 0; i < cand.size(); ++i) {
    const Span c = cand[i];
    if (kept > 0 && c.offset < cand[kept - 1].offset + cand[kept - 1].length) {
      Span& merged = cand[kept - 1];
      merged.length = std::max(merged.offset + merged.length, c.offset + c.length) - merged.offset;
      if (better(c, best)) best = c;
      merged.kind = best.kind;
      continue;
    }
    cand[kept++] = c;
    best = c;
  }
  cand.resize(kept);
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kPersonnummer: return "personnummer";
    case Kind::kSamordningsnummer: return "samordningsnummer";
    case Kind::kEmail: return "email";
    case Kind::kPhone: return "phone";
    case Kind::kAddress: return "address";
    case Kind::kPostalCode: return "postal_code";
    case Kind::kName: return "name";
  }
  return "unknown";
}

std::string_view Placeholder(Kind kind) {
  switch (kind) {
    case Kind::kPersonnummer: return "[PERSONNUMMER]";
    case Kind::kSamordningsnummer: return "[SAMORDNINGSNUMMER]";
    case Kind::kEmail: return "[EPOST]";
    case Kind::kPhone: return "[TELEFON]";
    case Kind::kAddress: return "[ADRESS]";
    case Kind::kPostalCode: return "[POSTNUMMER]";
    case Kind::kName: return "[NAMN]";
  }
  return "[?]";
}

struct Scrubber::State {
  ScrubOptions options;
  std::unique_ptr<re2::RE2::Set> set;
  std::array<std::unique_ptr<re2::RE2>, kReCount> regex;
  absl::flat_hash_set<std::string> list_names;  // folded words of options.names
  std::bitset<kMaxNameBytes + 1> list_lengths;  // their lengths in bytes (a cheap prefilter)
  std::bitset<1 << 16> list_prefixes;           // their first two bytes (another)
};

Scrubber::Scrubber(std::unique_ptr<State> state) : state_(std::move(state)) {}
Scrubber::Scrubber(Scrubber&&) noexcept = default;
Scrubber& Scrubber::operator=(Scrubber&&) noexcept = default;
Scrubber::~Scrubber() = default;

const ScrubOptions& Scrubber::options() const { return state_->options; }

absl::StatusOr<Scrubber> Scrubber::Create(const ScrubOptions& options) {
  auto state = std::make_unique<State>();
  state->options = options;
  re2::RE2::Options re_options;
  re_options.set_encoding(re2::RE2::Options::EncodingUTF8);
  re_options.set_longest_match(true);
  re_options.set_log_errors(false);
  re_options.set_max_mem(8 << 20);  // RE2's default; per pattern, most of it for the DFA cache
  state->set = std::make_unique<re2::RE2::Set>(re_options, re2::RE2::UNANCHORED);
  const Patterns patterns = MakePatterns();
  for (int i = 0; i < kReCount; ++i) {
    state->regex[i] = std::make_unique<re2::RE2>(Piece(patterns.match[i]), re_options);
    if (!state->regex[i]->ok()) {
      return absl::InternalError(Cat({"scrub: pattern ", KindName(kRegularKind[i]),
                                      " does not compile: ", state->regex[i]->error()}));
    }
    std::string error;
    if (state->set->Add(Piece(patterns.present[i]), &error) != i) {
      return absl::InternalError(Cat({"scrub: pattern set rejected a pattern: ", error}));
    }
  }
  if (!state->set->Compile()) return absl::InternalError("scrub: pattern set does not compile");

  for (std::size_t i = 0; i < options.names.size(); ++i) {
    const std::string& name = options.names[i];
    if (!IsValidUtf8(name)) {
      return absl::InvalidArgumentError(
          Cat({"scrub options: names[", std::to_string(i), "] is not valid UTF-8"}));
    }
    ForEachWord(name, [&](std::size_t begin, std::size_t end, bool) {
      char buf[kMaxNameBytes];
      std::size_t n = 0;
      if (end - begin < 2 || !FoldWord(name, begin, end, buf, &n)) return;
      state->list_names.emplace(buf, n);
      state->list_lengths.set(n);
      state->list_prefixes.set(Prefix(buf));
    });
  }
  return Scrubber(std::move(state));
}

absl::Status Scrubber::Find(std::string_view original, std::span<const std::string> record_names,
                            std::vector<Span>* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("scrub: no output vector");
  out->clear();
  const State& s = *state_;
  const ScrubOptions& o = s.options;
  std::vector<Span>& cand = *out;  // candidates first; the winners replace them at the end
  // Everything is found in the matching view (the text itself unless it holds characters the
  // view reads otherwise) and reported as the original's bytes at the end.
  const MatchingView view(original);
  const std::string_view text = view.text();

  // 1. Identity numbers: the foundation's scanner.
  const bool want_pnr = o.find[static_cast<int>(Kind::kPersonnummer)];
  const bool want_sam = o.find[static_cast<int>(Kind::kSamordningsnummer)];
  if (want_pnr || want_sam) {
    ident::Scan(text, o.today, [&](const ident::Match& m) {
      const bool sam = m.number.kind == ident::Kind::kSamordningsnummer;
      if (sam ? want_sam : want_pnr) {
        cand.push_back({m.offset, m.length, sam ? Kind::kSamordningsnummer : Kind::kPersonnummer});
      }
    });
  }

  // 2. The regular kinds: which occur at all (one pass of the set), then their spans.
  bool present[kReCount] = {};
  bool any_regular = false;
  for (int i = 0; i < kReCount; ++i) any_regular |= o.find[static_cast<int>(kRegularKind[i])];
  if (any_regular && !text.empty()) {
    thread_local std::vector<int> hits;  // kept between calls: no allocation per call
    re2::RE2::Set::ErrorInfo error;
    if (s.set->Match(Piece(text), &hits, &error)) {
      for (int h : hits) {
        if (h >= 0 && h < kReCount) present[h] = true;
      }
    } else if (error.kind != re2::RE2::Set::kNoError) {
      for (bool& p : present) p = true;  // the set's DFA gave up: look for every kind
    }
  }
  const re2::StringPiece piece = Piece(text);
  // The written-out e-mail pattern finds plain addresses too: one of the two runs.
  if (present[kReEmailWritten]) present[kReEmail] = false;
  for (int i = 0; i < kReCount; ++i) {
    if (!present[i] || !o.find[static_cast<int>(kRegularKind[i])]) continue;
    const re2::RE2& re = *s.regex[i];
    std::size_t pos = 0;
    re2::StringPiece groups[2];
    const int ngroups = kHasGroup[i] ? 2 : 1;
    while (pos < text.size() &&
           re.Match(piece, pos, text.size(), re2::RE2::UNANCHORED, groups, ngroups)) {
      const re2::StringPiece& m = groups[ngroups - 1];
      const auto begin = static_cast<std::size_t>(m.data() - text.data());
      const std::size_t end = begin + m.size();
      if (m.empty()) {
        pos = begin + 1;
        continue;
      }
      const std::size_t accepted = Check(i, text, begin, end);
      if (accepted > begin) {
        cand.push_back({begin, accepted - begin, kRegularKind[i]});
        pos = accepted;
      } else if (i == kReAddress) {
        // No address starts inside a rejected one (its street word is one word, its number
        // follows it): go on after it, so that a long word costs one read, not one per letter.
        pos = end;
      } else {
        pos = begin + 1;
      }
    }
  }

  // 3. Names: one pass over the words.
  if (o.find[static_cast<int>(Kind::kName)]) {
    // The record's names, folded, for this call (a few words; compared in place).
    absl::InlinedVector<char, 256> folded;
    absl::InlinedVector<std::pair<std::uint32_t, std::uint32_t>, 8> record_words;
    absl::InlinedVector<std::uint16_t, 8> record_prefixes;
    std::bitset<kMaxNameBytes + 1> record_lengths;
    for (const std::string& name : record_names) {
      ForEachWord(name, [&](std::size_t begin, std::size_t end, bool) {
        char buf[kMaxNameBytes];
        std::size_t n = 0;
        if (end - begin < 2 || !FoldWord(name, begin, end, buf, &n)) return;
        record_words.emplace_back(static_cast<std::uint32_t>(folded.size()),
                                  static_cast<std::uint32_t>(n));
        folded.insert(folded.end(), buf, buf + n);
        record_lengths.set(n);
        record_prefixes.push_back(Prefix(buf));
      });
    }
    const bool list = !s.list_names.empty();
    if (list || !record_words.empty()) {
      auto is_name = [&](const char* w, std::size_t n, bool capital) {
        for (const auto& [off, len] : record_words) {
          if (len == n && std::memcmp(folded.data() + off, w, n) == 0) return true;
        }
        if (list && (capital || !o.list_names_need_capital)) {
          return s.list_names.contains(absl::string_view(w, n));
        }
        return false;
      };
      bool open = false;  // the last candidate is a name that a following word may extend
      ForEachWord(text, [&](std::size_t begin, std::size_t end, bool capital) {
        // Folding keeps the byte length (ASCII and Latin-1 only change case), so a word whose
        // length no name has is skipped before it is folded or hashed.
        const std::size_t len = end - begin;
        const bool list_ok = list && (capital || !o.list_names_need_capital);
        auto length_fits = [&](std::size_t k) {
          return record_lengths[k] || (list_ok && s.list_lengths[k]);
        };
        auto prefix_fits = [&](std::uint16_t p) {
          if (list_ok && s.list_prefixes[p]) return true;
          for (std::uint16_t r : record_prefixes) {
            if (r == p) return true;
          }
          return false;
        };
        const bool may = len >= 2 && len <= kMaxNameBytes &&
                         (length_fits(len) || (o.genitive && len > 2 && length_fits(len - 1) &&
                                               (text[end - 1] | 0x20) == 's')) &&
                         prefix_fits(FoldedPrefix(text, begin));
        char buf[kMaxNameBytes];
        std::size_t n = 0;
        if (!may || !FoldWord(text, begin, end, buf, &n) || n < 2) {
          open = false;
          return;
        }
        bool hit = is_name(buf, n, capital);
        if (!hit && o.genitive && n > 2 && buf[n - 1] == 's') hit = is_name(buf, n - 1, capital);
        if (!hit) {
          open = false;
          return;
        }
        if (open) {
          Span& last = cand.back();
          const std::size_t last_end = last.offset + last.length;
          if (begin == last_end + 1 && (text[last_end] == ' ' || text[last_end] == '-')) {
            last.length = end - last.offset;
            return;
          }
        }
        cand.push_back({begin, end - begin, Kind::kName});
        open = true;
      });
    }
  }

  // 4. Overlaps.
  ResolveOverlaps(&cand);
  if (!view.same()) {
    for (Span& span : cand) {
      const auto [begin, end] = view.Original(span.offset, span.offset + span.length);
      span.offset = begin;
      span.length = end - begin;
    }
  }
  return absl::OkStatus();
}

absl::Status Scrubber::Replace(std::string_view text, std::span<const Span> spans,
                               std::string* out) {
  if (out == nullptr) return absl::InvalidArgumentError("scrub: no output string");
  std::size_t pos = 0;
  for (const Span& span : spans) {
    if (span.offset < pos || span.offset > text.size() || span.length > text.size() - span.offset) {
      return absl::InvalidArgumentError(
          "scrub: spans out of order, overlapping or outside the text");
    }
    pos = span.offset + span.length;
  }
  pos = 0;
  out->reserve(out->size() + text.size());
  for (const Span& span : spans) {
    out->append(text.data() + pos, span.offset - pos);
    out->append(Placeholder(span.kind));
    pos = span.offset + span.length;
  }
  out->append(text.data() + pos, text.size() - pos);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Scrubber::Scrub(std::string_view text,
                                            std::span<const std::string> record_names) const {
  std::vector<Span> spans;
  VARSAM_RETURN_IF_ERROR(Find(text, record_names, &spans));
  std::string out;
  VARSAM_RETURN_IF_ERROR(Replace(text, spans, &out));
  return out;
}

}  // namespace varsam::anonymize
