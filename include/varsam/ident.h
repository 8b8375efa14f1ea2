// varsam/ident.h — Swedish personal identity numbers (personnummer) and coordination numbers
// (samordningsnummer): validation, normalisation, and finding them inside free text.
//
// Rules (sources in docs/identity-numbers.md): Folkbokföringslagen (1991:481) 18 § and 18 a §;
// Skatteverket's published descriptions of the personnummer and the samordningsnummer:
// - a number is a birth date YYMMDD, a three-digit birth serial and a Luhn check digit computed
//   over the ten digits YYMMDDNNN;
// - a samordningsnummer is the same with 60 added to the day of birth (61..91);
// - the second-to-last digit is odd for men and even for women;
// - in the ten-digit form the separator is `-` until the calendar year the person turns 100,
//   and `+` from that year on; the century is therefore resolved against a reference date;
// - the birth serial 000 is never issued;
// - an interimsnummer (Ladok's T-number, also a reserve-number form in health and social care)
//   has a capital letter T, R, S, U, W, X, J, K, L, M or N in the ninth position of the
//   twelve-character form, counted as 1 in the check digit (SUNET/SWAMID's description of
//   Ladok's interim numbers; the personnummer/meta reference suite). Unconfirmed beyond that.
//
// Everything here is pure: no I/O, no global state but the embedded, read-only list of
// Skatteverket's official test numbers. Check() never allocates and is safe to call from any
// number of threads.

#ifndef VARSAM_IDENT_H_
#define VARSAM_IDENT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "varsam/core.h"

namespace varsam::ident {

enum class Kind : std::uint8_t {
  kPersonnummer = 1,       // personal identity number, Folkbokföringslagen 18 §
  kSamordningsnummer = 2,  // coordination number (day + 60), Folkbokföringslagen 18 a §
  kInterimsnummer = 3,     // interim / reserve number: a letter in place of the first serial
                           // digit (YYYYMMDD-Tnnc), issued outside Skatteverket
};

enum class Sex : std::uint8_t { kFemale = 1, kMale = 2 };

// Why a text is not an identity number. Checked in this order; the first that fails is given.
enum class Error : std::uint8_t {
  kNone = 0,
  kFormat = 1,      // not one of the accepted forms (see Check)
  kCheckDigit = 2,  // the Luhn check digit does not match
  kNoSuchDate = 3,  // month or day do not exist (19000229, 800230, day 92 in a samordningsnummer)
  kCentury = 4,     // a ten-digit form whose separator contradicts the reference date
                    // (`-` with a birth date later this year: that person is not born yet, and
                    // one born a century earlier would be written with `+`), or a twelve-digit
                    // form with `+` for someone who does not turn 100 in today's year
  kSerial = 5,      // the birth serial 000, which is never issued (checked after the date)
};

// Stable ids as the CLI's JSON prints them: "format", "check_digit", "no_such_date", "century",
// "serial".
std::string_view ErrorId(Error error);
// A short English reason for people; contains no part of the number.
std::string_view ErrorMessage(Error error);
// "personnummer", "samordningsnummer", "interimsnummer".
std::string_view KindName(Kind kind);
// "female", "male".
std::string_view SexName(Sex sex);

// A valid identity number, normalised.
struct IdentityNumber {
  Kind kind = Kind::kPersonnummer;
  Sex sex = Sex::kFemale;
  // Whether the number is in Skatteverket's list of official test numbers (never assigned to a
  // real person). Hosts use it to keep test environments free of real people.
  bool official_test_number = false;
  // The real date of birth (for a samordningsnummer, the day with 60 subtracted).
  Date birth_date;
  // The twelve characters YYYYMMDDNNNN, the form to store and compare (a samordningsnummer
  // keeps its day + 60; an interimsnummer keeps its capital letter in the ninth place,
  // YYYYMMDDTNNN, so its "digits" are eleven digits and one letter).
  std::array<char, 12> digits{};

  std::string_view normalized() const { return {digits.data(), digits.size()}; }
};

struct CheckResult {
  Error error = Error::kFormat;
  IdentityNumber number;  // meaningful only when ok()

  bool ok() const { return error == Error::kNone; }
};

// Validates and normalises `text`, which must be exactly one of these forms (no surrounding
// spaces):
//   YYYYMMDDNNNN   YYYYMMDD-NNNN   YYYYMMDD+NNNN   YYMMDDNNNN   YYMMDD-NNNN   YYMMDD+NNNN
// and the same with an interim letter (T R S U W X J K L M N, capital) in place of the first
// N: an interimsnummer. For the ten-digit forms the century is the one that makes the
// separator right on `today`: with `-` (or none) the person turns at most 99 in today's
// calendar year, with `+` at least 100 (kCentury when that year would be outside 0..9999).
// The twelve-digit forms name their century; only their `+` is checked against `today` (the
// person must turn 100 or more in today's year, else kCentury).
// Never allocates; never fails in any other way than by the returned Error.
CheckResult Check(std::string_view text, Date today) noexcept;

// Check() as a StatusOr for code that propagates errors: InvalidArgument whose message is
// "identity number: <ErrorMessage>" (never the number itself).
absl::StatusOr<IdentityNumber> Parse(std::string_view text, Date today);

// The ten-digit form YYMMDD-NNNN, or YYMMDD+NNNN when the person turns 100 or more in
// today's calendar year — the form Skatteverket would print on `today`. It reads back to the
// same number only for people born on or before `today` and less than 200 years before it;
// for anyone else (a twelve-digit number with a later birth date, say) no ten-digit form can.

std::string TenDigitForm(const IdentityNumber& number, Date today);

// The Luhn (mod 10) check digit of nine digits YYMMDDNNN, as a character '0'..'9'.
// Returns '?' when `nine_digits` is not exactly nine ASCII digits.
char LuhnCheckDigit(std::string_view nine_digits) noexcept;

// Whether the twelve digits YYYYMMDDNNNN are one of Skatteverket's official test numbers.
// The list (data/skatteverket-testpersonnummer.txt) is embedded at build time in a compact
// sorted form (about 2 bytes a number); the lookup is a binary search in a small bucket and
// never allocates. Anything that is not twelve digits is simply not in the list.
bool IsOfficialTestNumber(std::string_view twelve_digits) noexcept;

// How many numbers the embedded list holds (41,493 in the list of 2024).
std::size_t OfficialTestNumberCount() noexcept;

// Calls `number` for every official test number, in the list's order (birth date, then birth
// number): the source of synthetic people (src/synth) that never invents a personnummer.
void ForEachOfficialTestNumber(absl::FunctionRef<void(const IdentityNumber&)> number);

// ---- Finding identity numbers in free text ---------------------------------------------------

// One identity number found in a text: the bytes [offset, offset + length) of the text.
struct Match {
  std::size_t offset = 0;
  std::size_t length = 0;
  IdentityNumber number;
};

// Calls `on_match` for each identity number in `text`, in order, without overlaps.
//
// The text is read through the matching view (varsam/core.h): dashes of every kind and the
// minus sign read as `-`, every space separator (no-break, narrow no-break, thin …) as a space,
// invisible format characters (soft hyphen, zero-width space, BOM …) as nothing, and digits of
// any script (fullwidth, Arabic-Indic …) as digits. In that view a number is written as digit
// groups with separators between them:
//   - twelve or ten digits in all, the whole of a run: no digit directly before or after;
//   - a separator is `-`, `.`, `/` or `+` with up to two spaces on either side, or one or two
//     spaces: `YYMMDD-NNNN`, `YYMMDD – NNNN`, `YYMMDD.NNNN`, `YYMMDD/NNNN`, `YYYYMMDD NNNN`;
//   - between the date and the birth number any separator (none only when neither is written
//     in pairs); inside them only spaces, and only between pairs: the date whole or all in
//     pairs, the year whole (`YY MM DD-NN NN`, `YYYY MM DD NNNN`), so that dates, date ranges
//     and case numbers written with dashes or dots are not read as one number;
//   - `+` only between the date and the birth number (the centenarian's sign); every other
//     separator reads as `-` for the century rule;
//   - an interimsnummer: the date whole (six or eight digits), a separator or none, an interim
//     letter (either case in text; Check() gets it in capitals) and exactly three digits.
// The digits must then pass Check() (check digit, date and century rules), and a twelve-digit
// number's birth date must lie on or before `today` and less than 200 years before it, which
// keeps false positives (phone numbers, amounts, account numbers, dates) down. Where the groups
// reach both twelve and ten digits the twelve-digit reading is tried first. Match::offset and
// Match::length are the exact bytes of the original text, from the first digit to the last
// (invisible characters inside included). `text` may be any bytes: what is not UTF-8 reads as
// itself. Never allocates.
void Scan(std::string_view text, Date today, absl::FunctionRef<void(const Match&)> on_match);

// All matches of Scan(), collected.
std::vector<Match> FindAll(std::string_view text, Date today);

}  // namespace varsam::ident

#endif  // VARSAM_IDENT_H_
