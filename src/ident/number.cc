// Validation and normalisation of personnummer, samordningsnummer and interimsnummer (see
// varsam/ident.h; sources in docs/identity-numbers.md: Folkbokföringslagen 18 § and 18 a §,
// Skatteverket's descriptions, SUNET/SWAMID's description of Ladok's interim numbers).

#include <cstring>

#include "digits.h"
#include "test_numbers.h"
#include "varsam/ident.h"

namespace varsam::ident {
namespace {

using internal::AllDigits;

constexpr int Digit(char c) { return c - '0'; }
constexpr int TwoDigits(const char* p) { return Digit(p[0]) * 10 + Digit(p[1]); }

// The letters of interim numbers, in the order Ladok takes them into use (SUNET/SWAMID).
constexpr bool IsInterimLetter(char c) {
  switch (c) {
    case 'T':
    case 'R':
    case 'S':
    case 'U':
    case 'W':
    case 'X':
    case 'J':
    case 'K':
    case 'L':
    case 'M':
    case 'N': return true;
    default: return false;
  }
}

// Luhn over the nine digits YYMMDD NNN, which a separator may split: weights 2,1,2,1,...
// from the left; a doubled digit contributes the sum of its digits. An interim letter in
// the first serial place counts as 1.
char LuhnOver(const char* yymmdd, const char* nnn) {
  static constexpr int kDoubled[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
  const int first = IsDigit(nnn[0]) ? Digit(nnn[0]) : 1;  // else an interim letter
  const int sum = kDoubled[Digit(yymmdd[0])] + Digit(yymmdd[1]) + kDoubled[Digit(yymmdd[2])] +
                  Digit(yymmdd[3]) + kDoubled[Digit(yymmdd[4])] + Digit(yymmdd[5]) +
                  kDoubled[first] + Digit(nnn[1]) + kDoubled[Digit(nnn[2])];
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

// The four characters after the date: NNNC, or an interim letter and NNC.
bool IsSerialForm(const char* p) {
  return (IsDigit(p[0]) || IsInterimLetter(p[0])) && AllDigits(p + 1, 3);
}

// Eight digits YYYYMMDD or six YYMMDD, then the four characters of the serial form.
bool IsForm(const char* p, std::size_t date_digits, std::size_t serial_at) {
  return AllDigits(p, date_digits) && IsSerialForm(p + serial_at);
}

// The latest year <= `limit` whose last two digits are `yy`.
int LatestYearEndingIn(int yy, int limit) {
  const int back = ((limit % 100) - yy + 100) % 100;
  return limit - back;
}

}  // namespace

std::string_view ErrorId(Error error) {
  switch (error) {
    case Error::kNone: return "none";
    case Error::kFormat: return "format";
    case Error::kCheckDigit: return "check_digit";
    case Error::kNoSuchDate: return "no_such_date";
    case Error::kCentury: return "century";
    case Error::kSerial: return "serial";
  }
  return "format";
}

std::string_view ErrorMessage(Error error) {
  switch (error) {
    case Error::kNone: return "valid";
    case Error::kFormat:
      return "not a form of identity number (YYYYMMDDNNNN, YYYYMMDD-NNNN, YYYYMMDD+NNNN, "
             "YYMMDDNNNN, YYMMDD-NNNN, YYMMDD+NNNN; interim: a letter for the first N)";
    case Error::kCheckDigit: return "check digit does not match";
    case Error::kNoSuchDate: return "no such date of birth";
    case Error::kCentury:
      return "century cannot be resolved: the separator contradicts the reference date";
    case Error::kSerial: return "birth serial 000 is never issued";
  }
  return "invalid";
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kPersonnummer: return "personnummer";
    case Kind::kSamordningsnummer: return "samordningsnummer";
    case Kind::kInterimsnummer: return "interimsnummer";
  }
  return "personnummer";
}

std::string_view SexName(Sex sex) { return sex == Sex::kMale ? "male" : "female"; }

CheckResult Check(std::string_view text, Date today) noexcept {
  CheckResult result;  // error = kFormat until proven otherwise
  const char* p = text.data();
  const char* yymmdd = nullptr;  // six digits of the date
  const char* serial = nullptr;  // NNNC
  int century = -1;              // known only in the twelve-digit forms
  char separator = '-';          // ten-digit forms without one read as `-`
  switch (text.size()) {
    case 12:  // YYYYMMDDNNNN
      if (!IsForm(p, 8, 8)) return result;
      century = TwoDigits(p), yymmdd = p + 2, serial = p + 8;
      break;
    case 13:  // YYYYMMDD-NNNN or YYYYMMDD+NNNN
      if (!IsForm(p, 8, 9) || (p[8] != '-' && p[8] != '+')) return result;
      century = TwoDigits(p), yymmdd = p + 2, serial = p + 9, separator = p[8];
      break;
    case 10:  // YYMMDDNNNN
      if (!IsForm(p, 6, 6)) return result;
      yymmdd = p, serial = p + 6;
      break;
    case 11:  // YYMMDD-NNNN or YYMMDD+NNNN
      if (!IsForm(p, 6, 7) || (p[6] != '-' && p[6] != '+')) return result;
      yymmdd = p, serial = p + 7, separator = p[6];
      break;
    default: return result;
  }
  const bool interim = IsInterimLetter(serial[0]);

  if (LuhnOver(yymmdd, serial) != serial[3]) {
    result.error = Error::kCheckDigit;
    return result;
  }

  const int yy = TwoDigits(yymmdd), month = TwoDigits(yymmdd + 2), raw_day = TwoDigits(yymmdd + 4);
  // samordningsnummer: day of birth + 60 (an interim number carries the day itself)
  const bool coordination = !interim && raw_day > 60;
  const int day = coordination ? raw_day - 60 : raw_day;
  int year = 0;
  if (century >= 0) {
    year = century * 100 + yy;
  } else {
    // Folkbokföringslagen 18 §: `+` from the calendar year the person turns 100.
    const int this_year = static_cast<int>(today.year());
    year = LatestYearEndingIn(yy, separator == '+' ? this_year - 100 : this_year);
    // The normalised form has four year digits; a reference date far outside the years of
    // living people can resolve to no such year.
    if (year < 0 || year > 9999) {
      result.error = Error::kCentury;
      return result;
    }
  }
  if (!IsValidDate(year, month, day)) {
    result.error = Error::kNoSuchDate;
    return result;
  }
  // The serial 000 is never issued (an interim letter is never 0). After the date, so that an
  // impossible date is named as such whatever its serial.
  if (serial[0] == '0' && serial[1] == '0' && serial[2] == '0') {
    result.error = Error::kSerial;
    return result;
  }
  const Date birth(year, month, day);
  if (century < 0 && separator != '+' && birth > today) {
    result.error = Error::kCentury;
    return result;
  }
  // YYYYMMDD+NNNN: the `+` must be right on `today` too (the calendar year of turning 100).
  if (century >= 0 && separator == '+' && static_cast<int>(today.year()) - year < 100) {
    result.error = Error::kCentury;
    return result;
  }

  IdentityNumber& n = result.number;
  n.kind = interim        ? Kind::kInterimsnummer
           : coordination ? Kind::kSamordningsnummer
                          : Kind::kPersonnummer;
  n.sex = Digit(serial[2]) % 2 == 1 ? Sex::kMale : Sex::kFemale;
  n.birth_date = birth;
  n.digits[0] = static_cast<char>('0' + year / 1000 % 10);
  n.digits[1] = static_cast<char>('0' + year / 100 % 10);
  std::memcpy(n.digits.data() + 2, yymmdd, 6);
  std::memcpy(n.digits.data() + 8, serial, 4);
  n.official_test_number =
      !coordination && !interim &&
      internal::InTestNumberList(birth, Digit(serial[0]) * 100 + TwoDigits(serial + 1));
  result.error = Error::kNone;
  return result;
}

absl::StatusOr<IdentityNumber> Parse(std::string_view text, Date today) {
  const CheckResult result = Check(text, today);
  if (result.ok()) return result.number;
  return absl::InvalidArgumentError(Cat({"identity number: ", ErrorMessage(result.error)}));
}

std::string TenDigitForm(const IdentityNumber& number, Date today) {
  const bool hundred = today.year() - number.birth_date.year() >= 100;
  std::string out(number.digits.data() + 2, 6);
  out += hundred ? '+' : '-';
  out.append(number.digits.data() + 8, 4);
  return out;
}

char LuhnCheckDigit(std::string_view nine_digits) noexcept {
  if (nine_digits.size() != 9 || !AllDigits(nine_digits.data(), 9)) return '?';
  return LuhnOver(nine_digits.data(), nine_digits.data() + 6);
}

}  // namespace varsam::ident
