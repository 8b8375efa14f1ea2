// varsam/scrub.h — finding direct identifiers in free text (case notes) and replacing them with
// typed placeholders: the first step of the anonymisation pipeline.
//
// Why. Free text in a case is the place where direct identifiers hide: a personnummer typed
// into a note, a parent's phone number, a street address. GDPR art. 4(1) makes any information
// relating to an identified or identifiable natural person personal data; art. 4(5) defines
// pseudonymisation as processing such that the data can no longer be attributed to a specific
// person without additional information kept separately. SoLPUL 7 a § lets a social-services
// committee keep a compilation register for follow-up and development only when the data in it
// cannot be attributed to anyone directly. EDPB Guidelines 01/2025 on pseudonymisation stress
// that direct identifiers must be removed or transformed in *all* attributes, free text included.
// So every free-text field passes through a Scrubber before it reaches the register.
//
// Text as people write it. Everything is looked for in the matching view of the text
// (varsam/core.h): every Unicode dash reads as "-", every space separator (no-break, narrow
// no-break, thin …) as " ", invisible format characters (soft hyphen, zero-width space, BOM …)
// as nothing, digits of any script and the fullwidth forms (＠ ．) as ASCII — so what a word
// processor, an e-mail client or a PDF did to an identifier does not hide it. Every Span is the
// exact bytes of the original text. Pure ASCII and Swedish text is its own view (nothing
// copied).
//
// What is found (Kind), each replaced by its placeholder:
//   personnummer       [PERSONNUMMER]       ident::Scan — the foundation's scanner (the forms
//   samordningsnummer  [SAMORDNINGSNUMMER]  of ident::Check with `-`, `.`, `/`, spaces or
//                                           nothing between date and birth number, pairs with
//                                           spaces; check digit, date and century rules;
//                                           never rewritten here)
//   phone              [TELEFON]            Swedish numbers: 0 + area code + subscriber number,
//                                           or +46 / 0046 / (+46) (optionally "(0)"), groups
//                                           separated by single spaces, hyphens or dots (070-123
//                                           45 67, 0701234567, +46 70 123 45 67, 08-123 456 78,
//                                           031-12 34 56, 070.123.45.67, (08) 123 456 78); dots
//                                           between the subscriber's groups only when all of
//                                           them are dots (not the time range 08.30-09.15), and
//                                           no date 0D.MM.YYYY;
//                                           7..9 digits after the trunk 0 or country code
//                                           (trailing groups beyond 9 are left out); a bare run
//                                           of ten digits only with a mobile prefix (070 072 073
//                                           076 079), and no bare run right after a payment or
//                                           file word (OCR, bankgiro, plusgiro, konto, referens,
//                                           faktura, dnr …: "OCR 0701234567" is a reference);
//                                           no digit, letter, '+' or '-' directly before, no digit
//                                           after.
//   e-mail             [EPOST]              local@domain.tld, letters (any script), digits and
//                                           ._%+- in the local part, a TLD of 2+ letters; and
//                                           the written-out forms: "(at)", "[at]", "(a)",
//                                           "(snabel-a)", " at ", " snabel-a ", spaces on both
//                                           sides of "@"; "(dot)", "[punkt]", " dot ",
//                                           " punkt ", spaces around "." — in the local part and
//                                           the domain ("anna punkt l snabel-a exempel punkt
//                                           se" is one address).
//   postal code        [POSTNUMMER]         "NNN NN" (the written form) with a first digit 1..9,
//                                           not inside a longer run of digit groups
//                                           ("070 174 06 12", "123 456"); the unseparated "NNNNN"
//                                           only when followed by a space and a capitalised word
//                                           (the locality: "12345 Ort") — five bare digits are
//                                           far more often amounts or numbers than postal codes.
//   street address     [ADRESS]             one word ending in a street suffix + a number 1..999
//                                           with an optional letter, attached or a capital after
//                                           a space (Storgatan 12B, vasavägen 3, Kyrkbacken 7 A;
//                                           not the "i" of "Storgatan 12 i Malmö"): -gatan -vägen
//                                           -gränd -backen -torget -stigen -allén -gången -slingan
//                                           -stråket -kajen -promenaden (any case); -plan -leden
//                                           -torg -väg -gata (capitalised only: "vårdplan 2" is not
//                                           an address).
//   name               [NAMN]               the record's names (every word of each) wherever
//                                           they appear, case-insensitively; and the host's name
//                                           list (ScrubOptions::names), case-insensitively or,
//                                           by default, only when written with a capital initial
//                                           ("Per", not the preposition "per"). Whole words only
//                                           (letters: ASCII, Latin-1 incl. åäöé, and other
//                                           scripts; digits and '_' also join words, so "Anna"
//                                           is not found in "Annika", "Annasdotter" or
//                                           "anna60"); a genitive -s is part of the name
//                                           ("Annas"). Consecutive name words separated by one
//                                           space or hyphen form one span ("Anna Berg",
//                                           "Anna-Karin").
//
// How (the design). The text is read a small constant number of times, whatever the number of
// names or patterns: one RE2::Set over the four regular kinds says which of them occur at all
// (most notes hold few); only for those, that kind's RE2 (leftmost-longest) collects the spans,
// with the boundary and plausibility rules above checked in code (RE2 has no look-around); one
// ident::Scan; one word tokeniser that folds case (ASCII and Latin-1, so Å/å, É/é) and looks
// each word up in a hash set built once by Create (the host list) and in the call's few record
// names (folded once per call; a word is folded and hashed only when its byte length is that
// of some name). Candidates are collected in the output vector itself and resolved there;
// besides the output a call allocates only buffers whose size does not depend on the number of
// matches (the set's list of kinds present, the record's folded names, and the matching view
// of a text that needs one).
// Nothing is allocated per match beyond the output.
//
// Overlaps. Candidates of different kinds may overlap (a postal-code-looking "174 06" inside
// a phone number; a 0-prefixed ten-digit personnummer that also reads as a phone; a name
// inside an e-mail address). Overlapping candidates are merged into one span that covers them
// all — so no part of any identifier survives beside another's placeholder — and the span takes
// the kind of its best member: the longest; among equally long ones the kind earlier in Kind's
// order (personnummer, samordningsnummer, e-mail, phone, address, postal code, name); then the
// one that starts first. The result is sorted by offset, not overlapping.
//
// Bytes. Text may be any bytes: invalid UTF-8 is never interpreted as a letter and never
// crashes (RE2 skips it; the tokeniser treats it as a separator). Scrub copies such bytes
// unchanged. Nothing here logs or puts any part of the text into a Status.
//
// Limits. Names that are neither the record's nor in the host's list are not found; a name
// that is also a common word or place ("Berg", "Åsa") is replaced wherever it stands as a
// word. Foreign phone numbers other than +46, addresses without a street suffix ("Box 123"),
// and identity numbers that fail the check digit are not found. Measured recall and
// precision: docs/anonymisation.md (tests/scrub_test.cc computes them on the synthetic notes).
//
// Thread safety: a Scrubber is immutable after Create; Find and Scrub are const and may be
// called from any number of threads at once.

#ifndef VARSAM_SCRUB_H_
#define VARSAM_SCRUB_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/core.h"

namespace varsam::anonymize {

// The kinds of identifiers, in priority order (earlier wins a tie in length; see above).
enum class Kind : std::uint8_t {
  kPersonnummer = 0,
  kSamordningsnummer = 1,
  kEmail = 2,
  kPhone = 3,
  kAddress = 4,
  kPostalCode = 5,
  kName = 6,
};
inline constexpr std::size_t kKindCount = 7;

// "personnummer", "samordningsnummer", "email", "phone", "address", "postal_code", "name".
std::string_view KindName(Kind kind);
// "[PERSONNUMMER]", "[SAMORDNINGSNUMMER]", "[EPOST]", "[TELEFON]", "[ADRESS]", "[POSTNUMMER]",
// "[NAMN]".
std::string_view Placeholder(Kind kind);

// One identifier found: the bytes [offset, offset + length) of the text.
struct Span {
  std::size_t offset = 0;
  std::size_t length = 0;
  Kind kind = Kind::kName;

  friend bool operator==(const Span&, const Span&) = default;
};

struct ScrubOptions {
  // "Today" for the century rule of ten-digit identity numbers (ident::Scan): a ten-digit
  // number whose separator contradicts it is not an identity number and is not found, so a
  // stale date loses the youngest clients' numbers. Tests and synthetic data fix it.
  Date today = TodayInSweden();
  // Which kinds to look for (all by default). kPersonnummer and kSamordningsnummer are one
  // scan; turning either off drops only that kind's spans.
  bool find[kKindCount] = {true, true, true, true, true, true, true};
  // The host's name list: first names, surnames, names of related people known to the host.
  // Each entry is split into words; every word of two or more bytes is a name. UTF-8;
  // InvalidArgument (naming the index, never the name) when an entry is not.
  std::vector<std::string> names;
  // Whether a word of `names` matches only when written with a capital first letter ("Per"
  // and "PER", not "per"). Record names always match in any case.
  bool list_names_need_capital = true;
  // Whether "Annas" (genitive -s) counts as the name "Anna".
  bool genitive = true;
};

class Scrubber {
 public:
  // InvalidArgument when a name in options.names is not UTF-8 (the message names its index).
  static absl::StatusOr<Scrubber> Create(const ScrubOptions& options);

  Scrubber(Scrubber&&) noexcept;
  Scrubber& operator=(Scrubber&&) noexcept;
  ~Scrubber();

  // Replaces *out with the identifiers of `text`, sorted by offset, not overlapping.
  // `record_names` are the record's own names and its related people's names (each may hold
  // several words: "Anna Berg"); they are used for this call only. Any bytes are accepted;
  // fails only when `out` is null (InvalidArgument).
  absl::Status Find(std::string_view text, std::span<const std::string> record_names,
                    std::vector<Span>* out) const;

  // `text` with every span of Find replaced by its kind's placeholder.
  absl::StatusOr<std::string> Scrub(std::string_view text,
                                    std::span<const std::string> record_names) const;

  // The replacement given spans from Find (sorted, not overlapping, inside `text`; otherwise
  // InvalidArgument). Appends to *out.
  static absl::Status Replace(std::string_view text, std::span<const Span> spans, std::string* out);

  const ScrubOptions& options() const;

 private:
  struct State;
  explicit Scrubber(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace varsam::anonymize

#endif  // VARSAM_SCRUB_H_
