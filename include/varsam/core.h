// varsam/core.h — the error model and the small helpers every component shares.
//
// Errors inside varsam are absl::Status / absl::StatusOr<T>; no exception ever leaves a
// component. The C API (capi/varsam.h) maps absl::StatusCode one-to-one onto varsam_status:
// the numeric values are the canonical codes of absl (and gRPC), which never change, so a
// code read from a C host's log means the same thing in C++ (see docs/c-api.md).
//
// Messages of a Status never contain personal data (CONTRIBUTING.md): they name the field, the
// item or the rule, never the value a person typed.
//
// Also here: UTF-8 validation (RFC 3629; every byte string from a host is checked before it
// is interpreted), the matching view in which identifiers are looked for (text read as a
// person reads it), exception-free JSON parsing (nlohmann-json), and civil dates (ISO 8601).

#ifndef VARSAM_CORE_H_
#define VARSAM_CORE_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json_fwd.hpp"

// VARSAM_RETURN_IF_ERROR(expr): return the Status of `expr` from the enclosing function when it
// is not OK. Keeps Status-returning code flat (early returns, no deep nesting).
#define VARSAM_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status varsam_status_ = (expr);          \
    if (!varsam_status_.ok()) return varsam_status_; \
  } while (false)

#define VARSAM_CONCAT_INNER_(a, b) a##b
#define VARSAM_CONCAT_(a, b) VARSAM_CONCAT_INNER_(a, b)

// VARSAM_ASSIGN_OR_RETURN(lhs, expr): evaluate the StatusOr `expr`; on error return its Status,
// otherwise move its value into `lhs` (which may be a declaration: `auto x`).
// NOLINTBEGIN(bugprone-macro-parentheses): `lhs` may be a declaration and `tmp` is a name;
// neither can stand in parentheses.
#define VARSAM_ASSIGN_OR_RETURN(lhs, expr) \
  VARSAM_ASSIGN_OR_RETURN_IMPL_(VARSAM_CONCAT_(varsam_statusor_, __LINE__), lhs, expr)
#define VARSAM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

namespace varsam {

// The library's version, identical to VARSAM_VERSION_* in capi/varsam.h.
std::string_view VersionString();
// MAJOR * 1000000 + MINOR * 1000 + PATCH.
std::int32_t VersionNumber();

// Concatenates `pieces` into one string: varsam's StrCat. (Debian's Abseil is built with its
// own absl::string_view, distinct from std::string_view, so absl::StrCat does not take the
// std::string_view that varsam's interfaces use.)
std::string Cat(std::initializer_list<std::string_view> pieces);

// ---- The error model ------------------------------------------------------------------------

// The stable, lower-case name of a status code as the CLI and JSON outputs print it
// ("invalid_argument", "permission_denied", ...). Never empty.
std::string_view StatusCodeName(absl::StatusCode code);

// The message of `status` as a std::string_view (absl's own string_view is a distinct type in
// Debian's Abseil); a view into `status`, valid while it lives.
std::string_view StatusMessage(const absl::Status& status);

// ---- UTF-8 -----------------------------------------------------------------------------------

// True when `bytes` is well-formed UTF-8 per RFC 3629 §4: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. The empty string is valid.
bool IsValidUtf8(std::string_view bytes);

// OK, or InvalidArgument naming `what` (e.g. "record.note") when `bytes` is not UTF-8.
absl::Status CheckUtf8(std::string_view bytes, std::string_view what);

// `text` as HTML text or an attribute value: & < > " ' as character references, every other
// byte as it is (the model card and the client chart write every text through it).
std::string EscapeHtml(std::string_view text);

// A chart axis's tick step: the smallest of 1, 2, 2.5 or 5 times a power of ten that divides
// `range` (> 0) into at most `most` (1 to 19) steps. The pages' charts share it.
double TickStep(double range, double most);

// The start of the chart pages' stylesheet (the client chart and the group table): the page,
// its headings, the figure and the axes' text; each page adds its own rules after it.
inline constexpr std::string_view kChartPageStyle =
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;margin:0;color:#1a1a1a;"
    "background:#fff;line-height:1.4}"
    "main{max-width:62rem;margin:0 auto;padding:1.2rem 1.5rem}"
    "h1{font-size:1.45rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.4rem 0 .4rem;"
    "border-bottom:1px solid #ccc;padding-bottom:.15rem}"
    "p.meta{margin:0 0 .8rem;color:#444}"
    "figure{margin:.4rem 0 .8rem}svg{display:block;width:100%;height:auto}"
    "svg text{font-family:inherit;font-size:13px}"
    "svg text.tick-label{font-size:12px;fill:#444}svg text.axis-title{font-size:13px}";

// Decodes the code point that starts at text[i] (i < text.size()) into *cp and returns its
// length in bytes, or 0 when the bytes there are not well-formed UTF-8 (RFC 3629 §4; *cp is
// then unspecified). Never reads past the text. Inline: tokenisers call it per character.
inline std::size_t DecodeUtf8(std::string_view text, std::size_t i, char32_t* cp) noexcept {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char b0 = at(0);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  const std::size_t left = text.size() - i;
  const auto cont = [&](std::size_t k) { return (at(k) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !cont(1)) return 0;
    *cp = (char32_t{b0} & 0x1F) << 6 | (at(1) & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if ((b0 == 0xE0 && at(1) < 0xA0) || (b0 == 0xED && at(1) > 0x9F)) return 0;
    *cp = (char32_t{b0} & 0x0F) << 12 | (char32_t{at(1)} & 0x3F) << 6 | (at(2) & 0x3F);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if ((b0 == 0xF0 && at(1) < 0x90) || (b0 == 0xF4 && at(1) > 0x8F)) return 0;
    *cp = (char32_t{b0} & 0x07) << 18 | (char32_t{at(1)} & 0x3F) << 12 |
          (char32_t{at(2)} & 0x3F) << 6 | (at(3) & 0x3F);
    return 4;
  }
  return 0;
}

// Whether `c` is an ASCII digit '0'..'9' (for the digits of other scripts see the matching
// view below). A function object, so that it passes as a predicate (std::all_of(s.begin(),
// s.end(), IsDigit)); it takes char and unsigned char only, so that no int or char32_t is
// narrowed into it unseen.
struct IsDigitFn {
  template <typename C>
  requires std::same_as<C, char> || std::same_as<C, unsigned char>
  constexpr bool operator()(C c) const noexcept { return static_cast<unsigned char>(c - '0') < 10; }
};
inline constexpr IsDigitFn IsDigit{};

// ---- The matching view: text read as a person reads it ----------------------------------------
//
// Identifiers reach a case system typed on every keyboard and pasted from word processors,
// e-mail and PDFs: a personnummer with an en dash (Word's AutoFormat), a phone number grouped
// with no-break spaces, a soft hyphen or a zero-width space inside a number, fullwidth digits
// from an East-Asian input method. A scanner that reads only ASCII separators lets all of them
// through, and a scrubber whose recall depends on the keyboard is no privacy guarantee (GDPR
// art. 4(5); EDPB Guidelines 01/2025 on pseudonymisation: identifiers must be removed from
// every attribute). So every scanner that looks for identifiers (ident::Scan, the scrubber, and
// through them the register's and the pipeline's refusals) reads the *matching view* of a text,
// in which each code point stands for what a reader sees:
//
//   decimal digits of any script (Unicode Nd: fullwidth, Arabic-Indic, mathematical …)  its digit
//   dashes (Pd: hyphen, non-breaking hyphen, en and em dash …) and U+2212 minus          '-'
//   space separators (Zs: no-break, narrow no-break, thin, figure, ideographic …)        ' '
//   format characters (Cf: soft hyphen, zero-width space and joiners, BOM, direction
//     marks …), variation selectors and the other default-ignorable code points         nothing
//   fullwidth, small and mathematical forms whose NFKC form is one ASCII character
//     (＠ → '@', ． → '.', ａ → 'a')                                                     that
//     character
//   everything else (ASCII, Swedish and other letters, bytes that are not UTF-8)         itself
//
// Superscript, subscript and circled forms read as themselves: they sit next to words as
// footnote marks and list numbers ("Anna¹"). The table is generated from the Unicode Character
// Database (scripts/render-matching-table.py; its Unicode version is in src/core/
// matching_table.h). Matches are found in the view and reported as the exact byte ranges of the
// original text, so a replacement covers precisely what the person wrote, invisible characters
// inside it included. docs/anonymisation.md ("The matching view") has the whole mapping.

// What ReadForMatching gives for a code point that reads as itself, and for an invisible one.
inline constexpr int kReadsAsItself = -1;
inline constexpr int kReadsAsNothing = -2;

struct MatchingChar {
  std::size_t length = 1;   // bytes of the code point in the text (1 for a byte that is not UTF-8)
  int as = kReadsAsItself;  // an ASCII character (0..127), kReadsAsItself or kReadsAsNothing
};

// How the matching view reads the code point that starts at text[i] (i < text.size()). ASCII
// bytes read as themselves (`as` is the byte). Never allocates; safe from any thread.
MatchingChar ReadForMatching(std::string_view text, std::size_t i) noexcept;

// The offset of the first byte at or after `i` that is an ASCII digit or may start a code point
// the view reads otherwise (text.size() when there is none): where a scanner for digits has to
// look. ASCII, continuation bytes and Latin-1 letters (å ä ö é) are passed over sixteen bytes
// at a time.
std::size_t NextDigitOrChanged(std::string_view text, std::size_t i) noexcept;

// Whether any code point of `text` reads as something other than itself (false for ASCII and
// for Swedish text: å, ä, ö, é read as themselves). One pass; the common case reads each byte
// once and looks nothing up.
bool NeedsMatchingView(std::string_view text) noexcept;

// The matching view of a whole text, for matchers that need it as one string (RE2, word
// tokenisers), with the way back to the original bytes.
//
// When NeedsMatchingView(text) is false the view *is* the text: nothing is copied or allocated.
// Otherwise the view is a copy in which every code point that reads as an ASCII character is
// that character, every invisible one is left out, and every byte that is not UTF-8 is U+001A
// SUBSTITUTE (so that leaving a character out never joins the bytes around it into a sequence
// the text does not hold), with a table of those edits (one entry per changed code point or
// byte) to map offsets back. The text must outlive the view.
class MatchingView {
 public:
  explicit MatchingView(std::string_view text);

  MatchingView(const MatchingView&) = delete;
  MatchingView& operator=(const MatchingView&) = delete;

  // The view: the text itself, or a copy that is valid UTF-8.
  std::string_view text() const { return view_; }
  // Whether the view is the original text itself.
  bool same() const { return edits_.empty(); }

  // The original bytes [first, second) that the view's bytes [begin, end) (begin < end <=
  // text().size()) were read from: from the first byte of the code point that gave view byte
  // `begin` to the last byte of the one that gave view byte end - 1. Invisible characters
  // between them are inside the range; those just before or after it are not.
  std::pair<std::size_t, std::size_t> Original(std::size_t begin, std::size_t end) const;

 private:
  // One code point of the original that the view changed: it became `view_length` (0 or 1)
  // bytes at view offset `view` from `length` bytes at original offset `original`.
  struct Edit {
    std::size_t view;
    std::size_t original;
    std::uint32_t length;
    std::uint32_t view_length;
  };
  // The edit at or last before view byte v: null when none is.
  const Edit* EditBefore(std::size_t v) const;
  std::size_t OriginalBegin(std::size_t v) const;

  std::string_view original_;
  std::string_view view_;
  std::string folded_;
  std::vector<Edit> edits_;
};

// ---- JSON ------------------------------------------------------------------------------------

// Parses `text` as one JSON document without throwing. Bad UTF-8 or bad JSON is InvalidArgument
// naming `what` and the byte offset of the problem (never the content). Strict: a name repeated
// in one object, at any depth, is InvalidArgument "<what>: duplicate key at /a/0/b" (a JSON
// Pointer, RFC 6901; a key that does not look like a field name cuts the path short, see
// src/core/json.cc). Every JSON input of the library goes through here. Nesting depth uses
// heap, not call stack.
absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what);

// A JSON object key as error messages may show it: quoted when it looks like a field name
// (a letter or '_', then letters, digits, '_' or '-', at most 32 bytes), otherwise
// "(not shown: not a field name)" — a key can carry anything, even personal data.
std::string KeyForMessage(std::string_view key);

// OK when `value` is an object whose keys are all in `known`; otherwise InvalidArgument
// "<what>: must be an object" or "<what>: unknown key 'k'" (through KeyForMessage).
absl::Status CheckJsonKeys(const nlohmann::json& value, std::string_view what,
                           std::initializer_list<std::string_view> known);

// InvalidArgument "<what>: <message>", the one form of an input error: `what` names the field
// (a path such as "options.register.key_epoch"), `message` the rule; never the value.
absl::Status InvalidField(std::string_view what, std::string_view message);

// The path of a member or of an element, for InvalidField: "<what>.<key>", "<what>[<index>]".
std::string JsonKeyPath(std::string_view what, std::string_view key);
std::string JsonIndexPath(std::string_view what, std::size_t index);

// A JSON string's text, or "" for null; otherwise InvalidArgument
// "<what>: must be a string or null".
absl::StatusOr<std::string> JsonTextOrNull(const nlohmann::json& value, std::string_view what);

// A whole number in [lo, hi] from a JSON number (3 and 3.0 alike); otherwise InvalidArgument
// "<what>: must be a whole number from <lo> to <hi>" (never the value).
absl::StatusOr<std::int64_t> JsonWholeNumber(const nlohmann::json& value, std::string_view what,
                                             std::int64_t lo, std::int64_t hi);

// Serialises `value` compactly. Strings inside are valid UTF-8 by construction of the library's
// JSON values; invalid bytes, should any reach here, are replaced by U+FFFD rather than thrown.
std::string DumpJson(const nlohmann::json& value);
// The same for JSON whose keys keep their insertion order (the CLI's and C API's outputs).
std::string DumpJson(const nlohmann::ordered_json& value);

// ---- Dates -----------------------------------------------------------------------------------

// A calendar date in the proleptic Gregorian calendar (absl::CivilDay).
using Date = absl::CivilDay;

// Whether year-month-day names a real calendar date (leap years by the Gregorian rule:
// divisible by 4, except centuries not divisible by 400, so 1900-02-29 is not a date and
// 2000-02-29 is).
bool IsValidDate(int year, int month, int day);

// Parses exactly "YYYY-MM-DD" into a real date; InvalidArgument naming `what` otherwise.
absl::StatusOr<Date> ParseIsoDate(std::string_view text, std::string_view what);

// "YYYY-MM-DD" (years 0..9999; outside that range the year is printed as absl prints it).
std::string FormatIsoDate(Date date);

// Today's date in Sweden (Europe/Stockholm when the time-zone database has it, otherwise the
// machine's local zone). Every rule that depends on "today" takes the date as a parameter; this
// is only the default the CLI and the C API use when the caller gives none.
Date TodayInSweden();

}  // namespace varsam

#endif  // VARSAM_CORE_H_
