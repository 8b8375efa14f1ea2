// Specification of src/ident: personnummer and samordningsnummer (varsam/ident.h).
// Sources of the rules: docs/identity-numbers.md. Every number here is one of Skatteverket's
// official test numbers (data/skatteverket-testpersonnummer.txt), or is derived from one by a
// rule the test names (day + 60, a changed check digit, an impossible date).

#include "varsam/ident.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ident_reference.h"
#include "test_numbers.h"  // src/ident: the private lookup, for the table test

using varsam::Date;
namespace ident = varsam::ident;
using ident::Error;
using ident::Kind;
using ident::Sex;

namespace {

const Date kToday(2026, 11, 28);  // the fixed reference date of these tests

// Read once; many test cases walk the list.
const std::vector<std::string>& OfficialTestNumbers() {
  static const std::vector<std::string> numbers = [] {
    std::ifstream in(VARSAM_DATA_DIR "/skatteverket-testpersonnummer.txt");
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }();
  return numbers;
}

// The textbook Luhn algorithm, written independently of the library's: from the right, every
// second digit (starting with the one before the check digit) doubled, digits of products
// summed, check digit = (10 - sum mod 10) mod 10.
char TextbookLuhn(const std::string& nine) {
  int sum = 0;
  for (int i = 8, pos = 0; i >= 0; --i, ++pos) {
    int d = nine[i] - '0';
    if (pos % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

// `prefix` is a number without its check digit: YYYYMMDDNNN, YYYYMMDD-NNN, YYMMDD-NNN, ...
std::string WithCheckDigit(const std::string& prefix) {
  std::string digits;
  for (char c : prefix) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() == 11) digits.erase(0, 2);  // the Luhn digits skip the century
  return prefix + TextbookLuhn(digits);
}

// The samordningsnummer of a twelve-digit personnummer: day + 60, check digit recomputed.
std::string Samordningsnummer(const std::string& personnummer) {
  std::string s = personnummer.substr(0, 11);
  s[6] = static_cast<char>(s[6] + 6);
  return WithCheckDigit(s);
}

Error ErrorOf(const std::string& text, Date today = kToday) {
  return ident::Check(text, today).error;
}

std::string Normalized(const std::string& text, Date today = kToday) {
  const auto r = ident::Check(text, today);
  return r.ok() ? std::string(r.number.normalized())
                : "invalid:" + std::string(ident::ErrorId(r.error));
}

}  // namespace

TEST_CASE("ForEachOfficialTestNumber gives exactly the list, in its order") {
  std::vector<std::string> listed;
  ident::ForEachOfficialTestNumber(
      [&](const ident::IdentityNumber& n) { listed.emplace_back(n.normalized()); });
  std::vector<std::string> file = OfficialTestNumbers();
  std::sort(file.begin(), file.end());
  CHECK(std::is_sorted(listed.begin(), listed.end()));
  CHECK(listed == file);
}

TEST_CASE("All 41,493 official test numbers validate as personnummer in the list") {
  const auto& numbers = OfficialTestNumbers();
  REQUIRE(numbers.size() == 41493);
  CHECK(ident::OfficialTestNumberCount() == 41493);
  for (const std::string& n : numbers) {
    const auto r = ident::Check(n, kToday);
    if (!r.ok() || r.number.normalized() != n || !r.number.official_test_number ||
        r.number.kind != Kind::kPersonnummer) {
      FAIL_CHECK(n << ": " << ident::ErrorId(r.error));
    }
    CHECK(ident::IsOfficialTestNumber(n));
  }
}

TEST_CASE("The embedded list holds exactly the file's numbers and nothing else") {
  // Probed through the private (date, serial) lookup, so that no personnummer outside the
  // official list is ever formed: serials of every date in the list (all 1000 for every eighth
  // date, every seventh otherwise) and of the days on either side.
  const auto& numbers = OfficialTestNumbers();
  const Date epoch(1800, 1, 1);
  std::vector<bool> in_list(250 * 366 * 1000);  // key: days since 1800 * 1000 + serial
  std::vector<Date> dates;
  for (const std::string& n : numbers) {
    const Date d = ident::Check(n, kToday).number.birth_date;
    in_list[(d - epoch) * 1000 + std::stoi(n.substr(8, 3))] = true;
    if (dates.empty() || dates.back() != d) dates.push_back(d);
  }
  size_t found = 0, probed = 0;
  for (size_t i = 0; i < dates.size(); ++i) {
    for (Date d : {dates[i] - 1, dates[i], dates[i] + 1}) {
      const int step = d == dates[i] && i % 8 == 0 ? 1 : 7;
      for (int serial = 0; serial < 1000; serial += step) {
        const bool expected = in_list[(d - epoch) * 1000 + serial];
        ++probed;
        found += expected && d == dates[i];
        if (ident::internal::InTestNumberList(d, serial) != expected) {
          FAIL_CHECK(varsam::FormatIsoDate(d) << " serial " << serial);
        }
      }
    }
  }
  CHECK(found > 41493 / 8);
  CHECK(probed > 5000000);
  CHECK_FALSE(ident::internal::InTestNumberList(Date(1799, 12, 31), 1));
  CHECK_FALSE(ident::internal::InTestNumberList(Date(9999, 1, 1), 1));
  CHECK_FALSE(ident::IsOfficialTestNumber("198001022387"));  // check digit wrong
  CHECK_FALSE(ident::IsOfficialTestNumber("800102-2386"));   // not twelve digits
  CHECK_FALSE(ident::IsOfficialTestNumber(""));
}

TEST_CASE("Samordningsnummer: day + 60 validates as kind samordningsnummer") {
  const auto& numbers = OfficialTestNumbers();
  for (size_t i = 0; i < numbers.size(); i += 3) {
    const std::string& p = numbers[i];
    const std::string s = Samordningsnummer(p);
    const auto person = ident::Check(p, kToday);
    const auto coord = ident::Check(s, kToday);
    if (!coord.ok() || coord.number.kind != Kind::kSamordningsnummer ||
        coord.number.birth_date != person.number.birth_date ||
        coord.number.sex != person.number.sex || coord.number.normalized() != s ||
        coord.number.official_test_number) {
      FAIL_CHECK(s << ": " << ident::ErrorId(coord.error));
    }
  }
  // Day 91 (31 + 60) exists in January; day 92 never; 1-60 + 60 = 61..91 only.
  CHECK(ErrorOf(WithCheckDigit("19800191238")) == Error::kNone);  // of 198001312381
  CHECK(ErrorOf(WithCheckDigit("19800192238")) == Error::kNoSuchDate);
  CHECK(ErrorOf(WithCheckDigit("19800231238")) == Error::kNoSuchDate);  // 32..60: no date
  CHECK(ErrorOf(WithCheckDigit("19800260238")) == Error::kNoSuchDate);
  CHECK(ErrorOf(WithCheckDigit("19000289238")) == Error::kNoSuchDate);  // 1900-02-29 + 60
  CHECK(ErrorOf(WithCheckDigit("20000289239")) == Error::kNone);        // 2000-02-29 + 60
}

TEST_CASE("Sex comes from the second-to-last digit: odd male, even female") {
  const auto female = ident::Check("198001022386", kToday);  // 8
  const auto male = ident::Check("200002292399", kToday);    // 9
  REQUIRE(female.ok());
  REQUIRE(male.ok());
  CHECK(female.number.sex == Sex::kFemale);
  CHECK(male.number.sex == Sex::kMale);
  for (const std::string& n : OfficialTestNumbers()) {
    const bool odd = (n[10] - '0') % 2 == 1;
    if (ident::Check(n, kToday).number.sex != (odd ? Sex::kMale : Sex::kFemale)) FAIL_CHECK(n);
  }
}

TEST_CASE("Every accepted form normalises to the same twelve digits") {
  CHECK(Normalized("198001022386") == "198001022386");
  CHECK(Normalized("19800102-2386") == "198001022386");
  CHECK(Normalized("8001022386") == "198001022386");
  CHECK(Normalized("800102-2386") == "198001022386");
  CHECK(Normalized("900101+9802") == "189001019802");
  const auto r = ident::Check("800102-2386", kToday);
  CHECK(r.number.birth_date == Date(1980, 1, 2));
}

TEST_CASE("Twelve-digit forms do not depend on the reference date") {
  for (Date today : {Date(1800, 1, 1), Date(1970, 6, 1), Date(2026, 11, 28), Date(2200, 1, 1)}) {
    CHECK(Normalized("198001022386", today) == "198001022386");
    CHECK(Normalized("18900101-9802", today) == "189001019802");
  }
}

TEST_CASE("Century of ten-digit forms: `+` from the calendar year the person turns 100") {
  SECTION("on 2026-11-28, someone born in 1926 is written with +, even before the birthday") {
    CHECK(Normalized("261006+9185") == "192610069185");  // birthday passed
    CHECK(Normalized("261204+9029") == "192612049029");  // birthday still to come
  }
  SECTION("with `-`, a date later this year has no century: not born yet, and 1926 takes +") {
    CHECK(ErrorOf("261204-9029") == Error::kCentury);
    CHECK(ErrorOf("2612049029") == Error::kCentury);  // no separator reads as `-`
  }
  SECTION("with `-`, a date earlier this year is this year's child, a later one has no century") {
    CHECK(Normalized("240101-2394", Date(2024, 6, 1)) == "202401012394");
    CHECK(ErrorOf("240102-2385", Date(2024, 1, 1)) == Error::kCentury);
  }
  SECTION("someone born in 1927 turns 100 next year: still `-`") {
    CHECK(Normalized("270108-9167") == "192701089167");
    CHECK(ident::Check("270108+9167", kToday).number.birth_date == Date(1827, 1, 8));  // `+`: 100+
  }
  SECTION("the boundary moves on 1 January") {
    CHECK(Normalized("261204-9029", Date(2025, 12, 31)) == "192612049029");
    CHECK(ident::Check("261204+9029", Date(2025, 12, 31)).number.birth_date == Date(1826, 12, 4));
    CHECK(Normalized("261204+9029", Date(2026, 1, 1)) == "192612049029");
  }
  SECTION("the leap day of 2000 belongs to one century, not 1900") {
    CHECK(Normalized("000229-2399") == "200002292399");
    CHECK(ErrorOf("000229-2399", Date(1999, 6, 1)) == Error::kNoSuchDate);  // would be 1900
  }
  SECTION("TenDigitForm writes what Skatteverket prints, and reads back") {
    const auto n = ident::Check("192612049029", kToday).number;
    CHECK(ident::TenDigitForm(n, Date(2025, 12, 31)) == "261204-9029");
    CHECK(ident::TenDigitForm(n, Date(2026, 1, 1)) == "261204+9029");
    for (const std::string& t : OfficialTestNumbers()) {
      const auto number = ident::Check(t, kToday).number;
      const std::string ten = ident::TenDigitForm(number, kToday);
      if (Normalized(ten) != t) FAIL_CHECK(t << " -> " << ten);
    }
  }
}

TEST_CASE("Reason format: anything but the five forms") {
  for (const char* text :
       {"", "1", "19800102238", "1980010223866", "19800102++2386", "800102_2386", "800102--2386",
        "800102-238a", " 198001022386", "198001022386 ", "800102 2386", "19800102 2386",
        "80-0102-2386", "+8001022386", "a98001022386", "800102-2386\n"}) {
    INFO('"' << text << '"');
    CHECK(ErrorOf(text) == Error::kFormat);
  }
  CHECK(ErrorOf(std::string("19800102\0"
                            "2386",
                            13)) == Error::kFormat);
}

TEST_CASE("Reason check_digit: the Luhn digit does not match") {
  CHECK(ErrorOf("198001022387") == Error::kCheckDigit);
  CHECK(ErrorOf("8001022380") == Error::kCheckDigit);
  CHECK(ErrorOf("800102-2385") == Error::kCheckDigit);
  CHECK(ErrorOf("900101+9803") == Error::kCheckDigit);
  // Every wrong last digit of every official number is caught.
  const auto& numbers = OfficialTestNumbers();
  for (size_t i = 0; i < numbers.size(); i += 11) {
    for (char c = '0'; c <= '9'; ++c) {
      if (c == numbers[i][11]) continue;
      std::string wrong = numbers[i];
      wrong[11] = c;
      if (ErrorOf(wrong) != Error::kCheckDigit) FAIL_CHECK(wrong);
    }
  }
  CHECK(ident::LuhnCheckDigit("800102238") == '6');
  CHECK(ident::LuhnCheckDigit("80010223") == '?');
  CHECK(ident::LuhnCheckDigit("80010223x") == '?');
}

TEST_CASE("Reason no_such_date: real calendar dates only, leap years included") {
  CHECK(ErrorOf(WithCheckDigit("19000229239")) == Error::kNoSuchDate);  // 1900 not leap
  CHECK(ErrorOf("200002292399") == Error::kNone);                       // 2000 leap
  CHECK(ErrorOf(WithCheckDigit("19800132238")) == Error::kNoSuchDate);
  CHECK(ErrorOf(WithCheckDigit("19800100238")) == Error::kNoSuchDate);
  CHECK(ErrorOf(WithCheckDigit("19801301238")) == Error::kNoSuchDate);
  CHECK(ErrorOf(WithCheckDigit("19800001238")) == Error::kNoSuchDate);
  CHECK(ErrorOf(WithCheckDigit("19800431238")) == Error::kNoSuchDate);
  CHECK(ErrorOf(WithCheckDigit("800230-238")) == Error::kNoSuchDate);
}

TEST_CASE("Parse gives InvalidArgument with the reason, never the number") {
  const auto ok = ident::Parse("800102-2386", kToday);
  REQUIRE(ok.ok());
  CHECK(ok->normalized() == "198001022386");
  const auto bad = ident::Parse("198001022387", kToday);
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()) == "identity number: check digit does not match");
}

TEST_CASE("Error ids and messages are stable and name no number") {
  CHECK(ident::ErrorId(Error::kFormat) == "format");
  CHECK(ident::ErrorId(Error::kCheckDigit) == "check_digit");
  CHECK(ident::ErrorId(Error::kNoSuchDate) == "no_such_date");
  CHECK(ident::ErrorId(Error::kCentury) == "century");
  CHECK(ident::KindName(Kind::kSamordningsnummer) == "samordningsnummer");
  CHECK(ident::SexName(Sex::kMale) == "male");
}

// ---- Scanner ----------------------------------------------------------------------------------

namespace {

struct Found {
  size_t offset, length;
  std::string normalized;
  bool operator==(const Found&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Found& f) {
  return os << "{" << f.offset << "," << f.length << "," << f.normalized << "}";
}

std::vector<Found> Scanned(std::string_view text, Date today = kToday) {
  std::vector<Found> out;
  for (const auto& m : ident::FindAll(text, today)) {
    out.push_back({m.offset, m.length, std::string(m.number.normalized())});
  }
  return out;
}

// The reference scanner (tests/ident_reference.h), in the Found form.
std::vector<Found> ReferenceScan(const std::string& text, Date today) {
  std::vector<Found> out;
  for (const auto& m : varsam::testing::ReferenceScan(text, today)) {
    out.push_back({m.offset, m.length, m.normalized});
  }
  return out;
}

}  // namespace

TEST_CASE("Scan finds every form, also with a space for the separator") {
  const std::string text =
      "Klient 198001022386, mor 19261006-9185; far 800102-2386 och (900101+9802). "
      "Syster 0002292399, bror 800102 2386, kusin 19800102 2386.";
  const std::vector<Found> expected = {
      {7, 12, "198001022386"},   {25, 13, "192610069185"}, {44, 11, "198001022386"},
      {61, 11, "189001019802"},  {82, 10, "200002292399"}, {99, 11, "198001022386"},
      {118, 13, "198001022386"},
  };
  CHECK(Scanned(text) == expected);
}

TEST_CASE("Scan: a candidate must stand alone and pass the checks") {
  CHECK(Scanned("1198001022386").empty());  // a longer run of digits
  CHECK(Scanned("1980010223861").empty());
  CHECK(Scanned("800102-23861").empty());
  CHECK(Scanned("2800102-2386").empty());
  CHECK(Scanned("198001022387").empty());                  // wrong check digit
  CHECK(Scanned(WithCheckDigit("19000229 000")).empty());  // no such date
  CHECK(Scanned("261204-9029").empty());                   // century contradicts today
  CHECK(Scanned("19800102+2386").empty());                 // `+` before turning 100
  CHECK(Scanned("tel 070-123 45 67, 2024-03-01, 1 500 kr").empty());
  CHECK(Scanned("").empty());
}

TEST_CASE("Scan: edges of the text, neighbours and UTF-8 around numbers") {
  CHECK(Scanned("198001022386") == std::vector<Found>{{0, 12, "198001022386"}});
  CHECK(Scanned("198001022386,189001019802") ==
        std::vector<Found>{{0, 12, "198001022386"}, {13, 12, "189001019802"}});
  CHECK(Scanned("åäö800102-2386ÅÄÖ") == std::vector<Found>{{6, 11, "198001022386"}});
  CHECK(Scanned("ID8001022386") == std::vector<Found>{{2, 10, "198001022386"}});
  CHECK(Scanned("261204+9029", kToday) == std::vector<Found>{{0, 11, "192612049029"}});
}

TEST_CASE(
    "Scan reads the matching view: every dash, space separator, invisible character and digit "
    "form") {
  // 800102-2386 (an official test number) as word processors, e-mail and PDFs write it; the
  // match is exactly the original bytes.
  for (const std::string sep :
       {"\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\uFE63", "\uFF0D", "\u00A0",
        "\u202F", "\u2009", "\u3000", " \u2013 ", "\u00A0-\u00A0"}) {
    const std::string number = "800102" + sep + "2386";
    INFO(number);
    CHECK(Scanned(std::string("pnr ").append(number).append(".")) ==
          std::vector<Found>{{4, number.size(), "198001022386"}});
  }
  // Invisible characters inside the number (soft hyphen, zero-width space, word joiner, BOM,
  // left-to-right mark) are inside the match; those just outside it are not.
  const std::string invisible = "8001\u00AD02-23\u200B8\u20606\uFEFF";
  CHECK(Scanned(std::string("\u200E").append(invisible).append("\u200F")) ==
        std::vector<Found>{{3, invisible.size() - 3, "198001022386"}});
  // Fullwidth, Arabic-Indic and mathematical digits read as digits.
  CHECK(Scanned("\uFF18\uFF10\uFF10\uFF11\uFF10\uFF12\uFF0D\uFF12\uFF13\uFF18\uFF16") ==
        std::vector<Found>{{0, 33, "198001022386"}});
  CHECK(Scanned("\u0668\u0660\u0660\u0661\u0660\u0662-\u0662\u0663\u0668\u0666") ==
        std::vector<Found>{{0, 21, "198001022386"}});
  CHECK(Scanned("19800102\U0001D7E4\U0001D7E5\U0001D7EA\U0001D7E8") ==
        std::vector<Found>{{0, 24, "198001022386"}});
  // The centenarian's `+` in fullwidth.
  CHECK(Scanned("900101\uFF0B9802") == std::vector<Found>{{0, 13, "189001019802"}});
  // A fullwidth digit directly before or after is a digit: the number does not stand alone.
  CHECK(Scanned("\uFF11800102-2386").empty());
  CHECK(Scanned("800102-2386\u0661").empty());
}

TEST_CASE("Scan: dots, slashes and digit pairs where the forms allow them") {
  for (const std::string number :
       {"800102.2386", "800102/2386", "800102 / 2386", "80 01 02-2386", "80 01 02 23 86",
        "800102-23 86", "1980 01 02-2386", "1980 01 02 2386", "19800102.2386", "19800102/2386",
        "19800102  2386", "800102  -  2386"}) {
    INFO(number);
    CHECK(Scanned(number) == std::vector<Found>{{0, number.size(), "198001022386"}});
  }
  // Inside the date or the birth number only spaces between pairs, the year whole, and `+`
  // only between them (and then only from the year of turning 100).
  for (const std::string text :
       {"80-01-02-2386", "80.01.02.2386", "1980-01-02-2386", "8001 02-2386", "800102-238 6",
        "800102 - - 2386", "800102---2386", "800102   2386", "1980 0102-2386", "19800102+2386",
        "800102+-2386", "80 01 022386", "80010223 86", "1980 01 022386"}) {
    INFO(text);
    CHECK(Scanned(text).empty());
  }
  // A year split in two is not one group: the ten-digit number after it is found.
  CHECK(Scanned("19 80 01 02 2386") == std::vector<Found>{{3, 13, "198001022386"}});
}

TEST_CASE("Scan: dates, date ranges, case numbers and amounts are not read as numbers") {
  // Each of these has ten or twelve digits in groups; none is written as an identity number.
  for (const std::string text :
       {"2024-03-01\u20132024-03-15", "2024-03-01 - 2024-03-15", "01.03.2024-15.03.2024",
        "240301-240315", "2019-03-15 1234", "Dnr 2024/123456", "SN-2024-000123", "1 234 567 890 kr",
        "12\u202F345\u202F678,90 kr", "kl. 08.30\u201309.15 2024-03-01"}) {
    INFO(text);
    CHECK(Scanned(text).empty());
  }
}

TEST_CASE("Scan agrees with the plain reference scanner on random texts") {
  const auto& numbers = OfficialTestNumbers();
  std::mt19937 rng(20261128);
  // ASCII noise, and characters the matching view reads otherwise: en dash, no-break space,
  // narrow no-break space, soft hyphen, zero-width space, fullwidth 1, Arabic-Indic 7, minus.
  const std::vector<std::string> noise = {
      "0",      "1",      "2",      "5",      "9",      " ",      "-",      "+",
      ".",      "/",      "a",      "å",      "x",      "\n",     "\u2013", "\u00A0",
      "\u202F", "\u00AD", "\u200B", "\uFF11", "\u0667", "\u2212", "T",      "t"};
  const std::vector<std::string> separators = {"-",      " ",      ".",      "/",      "  ", " - ",
                                               "\u2013", "\u00A0", "\u2009", "\u200B", "",   "+"};
  // Interim letters (and one that is none) for the letter form, built on an official number.
  constexpr std::string_view kLetters = "TRSUWXJKLMNEt";
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const int pieces = std::uniform_int_distribution<int>(0, 8)(rng);
    for (int p = 0; p < pieces; ++p) {
      if (rng() % 3 == 0) {
        const std::string& n = numbers[rng() % numbers.size()];
        const std::string& sep = separators[rng() % separators.size()];
        switch (rng() % 7) {
          case 6: {
            const std::string nine = n.substr(2, 6) + "1" + n.substr(9, 2);
            const std::string serial = std::string(1, kLetters[rng() % kLetters.size()]) +
                                       n.substr(9, 2) + ident::LuhnCheckDigit(nine);
            text += (rng() % 2 == 0 ? n.substr(0, 8) : n.substr(2, 6)) + sep + serial;
            break;
          }
          case 0: text += n; break;
          case 1: text += n.substr(0, 8) + sep + n.substr(8); break;
          case 2: text += n.substr(2, 6) + sep + n.substr(8); break;
          case 3: text += n.substr(2); break;
          case 4:
            text += n.substr(2, 2) + " " + n.substr(4, 2) + " " + n.substr(6, 2) + sep +
                    n.substr(8, 2) + " " + n.substr(10);
            break;
          default: text += ident::TenDigitForm(ident::Check(n, kToday).number, kToday);
        }
      } else {
        const int len = std::uniform_int_distribution<int>(0, 6)(rng);
        for (int k = 0; k < len; ++k) text += noise[rng() % noise.size()];
      }
    }
    INFO(text);
    REQUIRE(Scanned(text) == ReferenceScan(text, kToday));
  }
}

TEST_CASE("Golden vectors in tests/data/ident-golden.tsv") {
  std::ifstream in(VARSAM_TEST_DATA_DIR "/ident-golden.tsv");
  REQUIRE(in);
  int cases = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t a = line.find('\t'), b = line.find('\t', a + 1);
    REQUIRE(b != std::string::npos);
    const std::string input = line.substr(0, a), expected = line.substr(b + 1);
    const auto today = varsam::ParseIsoDate(line.substr(a + 1, b - a - 1), "date");
    REQUIRE(today.ok());
    INFO(line);
    CHECK(Normalized(input, *today) ==
          (expected.rfind("error:", 0) == 0 ? "invalid:" + expected.substr(6) : expected));
    ++cases;
  }
  CHECK(cases == 20);
}

TEST_CASE("Reason century: a reference date that resolves to no four-digit year") {
  CHECK(ErrorOf("000101+9801", Date(1, 1, 1)) == Error::kCentury);
  CHECK(ErrorOf("000101+9801", Date(99, 1, 1)) == Error::kCentury);
  CHECK(ErrorOf("000101+9801", Date(12345, 1, 1)) == Error::kCentury);
  CHECK(ErrorOf("800102-2386", Date(-5, 1, 1)) == Error::kCentury);
}
