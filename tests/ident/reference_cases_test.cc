// varsam against the reference test suite of the Swedish open-source personnummer libraries
// (github.com/personnummer/meta, testdata/list.json and testdata/interim.json, MIT licence),
// rewritten onto Skatteverket's official test numbers: tests/ident/reference_cases.json and its
// README.md say how. Every case names the official test number it is built on and a rewrite
// (none, a changed check digit, day + 60, serial 000, an interim letter, a space); the number
// is built here at run time, with a Luhn digit computed independently of varsam, so that no
// derived number is written down. The suite's five written forms (long, short, separated,
// separated long, integer) are then derived from it as the suite's generator derives them, and
// each must agree with the suite's expectation (valid, type, sex); varsam's reason for an
// invalid case must be the one the rewrite makes.
//
// Also here: the rules the suite brought in (serial 000, YYYYMMDD+NNNN, interim numbers) beyond
// its cases, and the scanner on interim numbers.

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "varsam/ident.h"

namespace ident = varsam::ident;
using ident::Error;
using ident::Kind;
using varsam::Date;

namespace {

// Luhn over nine characters, as Skatteverket describes it, an interim letter counting as 1
// (SUNET/SWAMID on Ladok's interim numbers): written out here, not varsam's.
char Luhn(const std::string& nine) {
  int sum = 0;
  for (std::size_t i = 0; i < nine.size(); ++i) {
    const int digit = (nine[i] >= '0' && nine[i] <= '9') ? nine[i] - '0' : 1;
    const int product = digit * (i % 2 == 0 ? 2 : 1);
    sum += product / 10 + product % 10;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

// Replaces the check digit of twelve characters YYYYMMDDNNNC with the right one.
std::string WithCheck(std::string twelve) {
  twelve[11] = Luhn(twelve.substr(2, 9));
  return twelve;
}

// The long form (YYYYMMDDNNNC, or with a space in it) a case is built from.
std::string Build(const std::string& official, const std::string& rewrite) {
  std::string n = official;
  const auto wrong = [](std::string s) {
    s[11] = static_cast<char>('0' + (s[11] - '0' + 5) % 10);
    return s;
  };
  const auto coordination = [](std::string s) {
    const int day = (s[6] - '0') * 10 + (s[7] - '0') + 60;
    s[6] = static_cast<char>('0' + day / 10);
    s[7] = static_cast<char>('0' + day % 10);
    return WithCheck(s);
  };
  if (rewrite == "none") return n;
  if (rewrite == "wrong_check") return wrong(n);
  if (rewrite == "coordination") return coordination(n);
  if (rewrite == "coordination_wrong_check") return wrong(coordination(n));
  if (rewrite == "serial_000") return WithCheck(n.replace(8, 3, "000"));
  if (rewrite == "space") return n.substr(0, 8) + " " + n.substr(8);
  if (rewrite.rfind("interim_", 0) == 0) {
    n[8] = rewrite[8];  // the letter in place of the first serial digit
    n = WithCheck(n);
    if (rewrite.size() > 9) n = wrong(n);  // interim_E_wrong_check
    return n;
  }
  FAIL("unknown rewrite " << rewrite);
  return n;
}

struct Forms {
  std::string integer, long_format, short_format, separated_format, separated_long;
};

// The suite generator's forms: the separator is `+` when the birth year is 100 or more years
// before the reference year, else `-`; "integer" is the long form when it is all digits.
Forms FormsOf(const std::string& long_format, Date today) {
  Forms f;
  f.long_format = long_format;
  f.short_format = long_format.substr(2);
  const bool digits = long_format.find_first_not_of("0123456789") == std::string::npos;
  if (digits) f.integer = std::to_string(std::stoll(long_format));
  if (long_format.size() != 12) {  // the space case: all forms keep the space
    f.separated_format = f.short_format;
    f.separated_long = long_format;
    return f;
  }
  const int year = std::stoi(long_format.substr(0, 4));
  const char sep = static_cast<int>(today.year()) - year >= 100 ? '+' : '-';
  f.separated_format = f.short_format.substr(0, 6) + sep + f.short_format.substr(6);
  f.separated_long = long_format.substr(0, 8) + sep + long_format.substr(8);
  return f;
}

nlohmann::json Cases() {
  std::ifstream in(VARSAM_TEST_DATA_DIR "/../ident/reference_cases.json");
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

Kind KindOf(const std::string& type) {
  if (type == "con") return Kind::kSamordningsnummer;
  if (type == "interim") return Kind::kInterimsnummer;
  return Kind::kPersonnummer;
}

}  // namespace

TEST_CASE("Every case of the personnummer reference suite agrees with Check", "[ident]") {
  const nlohmann::json all = Cases();
  const auto today = varsam::ParseIsoDate(all.at("reference_date").get<std::string>(), "date");
  REQUIRE(today.ok());
  int list_cases = 0, interim_cases = 0;
  for (const nlohmann::json& c : all.at("cases")) {
    const std::string official = c.at("official");
    // Each case rests on an official test number (derived ones are built, not written).
    INFO(c.dump());
    REQUIRE(ident::IsOfficialTestNumber(official));
    const std::string built = Build(official, c.at("rewrite"));
    const Forms f = FormsOf(built, *today);
    const bool valid = c.at("valid");
    (c.at("suite_file") == "interim.json" ? interim_cases : list_cases)++;
    for (const std::string& form :
         {f.integer, f.long_format, f.short_format, f.separated_format, f.separated_long}) {
      if (form.empty()) continue;
      INFO(form);
      const ident::CheckResult r = ident::Check(form, *today);
      CHECK(r.ok() == valid);
      if (!valid) {
        CHECK(ident::ErrorId(r.error) == c.at("reason").get<std::string>());
        continue;
      }
      if (!r.ok()) continue;
      CHECK(r.number.kind == KindOf(c.at("type")));
      CHECK((r.number.sex == ident::Sex::kMale) == c.at("isMale").get<bool>());
      CHECK((r.number.sex == ident::Sex::kFemale) == c.at("isFemale").get<bool>());
      // The suite's format(true) and format(false). A ten-digit form without a separator is
      // read with `-`, so only the separated and long forms name the person unambiguously.
      if (form != f.short_format) {
        CHECK(r.number.official_test_number == (c.at("rewrite") == "none"));
        CHECK(r.number.normalized() == f.long_format);
        CHECK(ident::TenDigitForm(r.number, *today) == f.separated_format);
      }
    }
  }
  CHECK(list_cases == 14);     // list.json's fourteen cases
  CHECK(interim_cases == 12);  // interim.json's eleven letters and one refusal
}

TEST_CASE("Reason serial: the birth serial 000 is never issued", "[ident]") {
  const Date today(2026, 11, 28);
  int checked = 0;
  for (const char* official : {"201501022386", "198001022386", "190801019811"}) {
    std::string n = official;
    n.replace(8, 3, "000");
    n = WithCheck(n);
    for (const std::string& form : {n, n.substr(2), n.substr(0, 8) + "-" + n.substr(8)}) {
      INFO(form);
      CHECK(ident::Check(form, today).error == Error::kSerial);
      ++checked;
    }
    // The same with day + 60 (a samordningsnummer): 000 is not issued there either.
    std::string sam = n;
    sam[6] = static_cast<char>(sam[6] + 6);
    CHECK(ident::Check(WithCheck(sam), today).error == Error::kSerial);
    // A wrong check digit is reported first.
    std::string wrong = n;
    wrong[11] = static_cast<char>('0' + (wrong[11] - '0' + 1) % 10);
    CHECK(ident::Check(wrong, today).error == Error::kCheckDigit);
  }
  CHECK(checked == 9);
  CHECK(ident::ErrorId(Error::kSerial) == "serial");
  CHECK(ident::ErrorMessage(Error::kSerial).find("000") != std::string_view::npos);
}

TEST_CASE("YYYYMMDD+NNNN is valid only from the year of turning 100", "[ident]") {
  // Official test numbers; the `+` is judged on the reference year as in the ten-digit form.
  const Date today(2026, 11, 28);
  CHECK(ident::Check("19090101+9810", today).ok());
  CHECK(ident::Check("19090101+9810", today).number.normalized() == "190901019810");
  CHECK(ident::Check("19260104+9030", today).ok());  // turns 100 in 2026
  CHECK(ident::Check("19260104+9030", Date(2025, 12, 31)).error == Error::kCentury);
  CHECK(ident::Check("19570129+2897", today).error == Error::kCentury);
  CHECK(ident::Check("20000229+2399", today).error == Error::kCentury);
  CHECK(ident::Check("19570129-2897", today).ok());  // `-` with a four-digit year: as before
  CHECK(ident::Check("19090101-9810", today).ok());
  // Every official test number: `+` agrees with `today.year() - year >= 100`.
  int plus = 0, refused = 0;
  ident::ForEachOfficialTestNumber([&](const ident::IdentityNumber& n) {
    const std::string s = std::string(n.normalized());
    const std::string form = s.substr(0, 8) + "+" + s.substr(8);
    const bool hundred = 2026 - std::stoi(s.substr(0, 4)) >= 100;
    const ident::CheckResult r = ident::Check(form, today);
    (hundred ? plus : refused)++;
    if (r.ok() != hundred || (!hundred && r.error != Error::kCentury)) FAIL(form);
  });
  CHECK(plus > 0);
  CHECK(refused > 0);
}

TEST_CASE("Interim numbers: letters, check digit, forms and refusals", "[ident]") {
  const Date today(2026, 11, 28);
  // Synthetic: the date of official test number 200001012384, a letter for its first serial
  // digit, the check digit recomputed with the letter as 1.
  for (const char letter : std::string("TRSUWXJKLMN")) {
    std::string n = "200001012384";
    n[8] = letter;
    n = WithCheck(n);
    INFO(n);
    for (const std::string& form :
         {n, n.substr(2), n.substr(0, 8) + "-" + n.substr(8), n.substr(2, 6) + "-" + n.substr(8)}) {
      const ident::CheckResult r = ident::Check(form, today);
      REQUIRE(r.ok());
      CHECK(r.number.kind == Kind::kInterimsnummer);
      CHECK(r.number.normalized() == n);
      CHECK(r.number.birth_date == Date(2000, 1, 1));
      CHECK(r.number.sex == ident::Sex::kFemale);  // the 11th character, 8
      CHECK_FALSE(r.number.official_test_number);
      CHECK(ident::TenDigitForm(r.number, today) == n.substr(2, 6) + "-" + n.substr(8));
    }
    CHECK(ident::KindName(Kind::kInterimsnummer) == "interimsnummer");
    std::string lower = n;
    lower[8] = static_cast<char>(letter - 'A' + 'a');
    CHECK(ident::Check(lower, today).error == Error::kFormat);  // capitals only
    std::string wrong = n;
    wrong[11] = static_cast<char>('0' + (wrong[11] - '0' + 1) % 10);
    CHECK(ident::Check(wrong, today).error == Error::kCheckDigit);
  }
  // Other letters, and a letter elsewhere, are no form.
  for (const char letter : std::string("ABCDEFGHIOPQVYZ")) {
    std::string n = "200001012384";
    n[8] = letter;
    CHECK(ident::Check(WithCheck(n), today).error == Error::kFormat);
  }
  std::string late = "200001012384";
  late[9] = 'T';
  CHECK(ident::Check(WithCheck(late), today).error == Error::kFormat);
  // A birth date that does not exist, and a day + 60 (no interim samordningsnummer).
  CHECK(ident::Check(WithCheck("19000229T384"), today).error == Error::kNoSuchDate);
  CHECK(ident::Check(WithCheck("20000161T384"), today).error == Error::kNoSuchDate);
  // The century rule of the ten-digit form applies as to a personnummer.
  const std::string future = WithCheck("20261224T384").substr(2);
  CHECK(ident::Check(future.substr(0, 6) + "-" + future.substr(6), today).error == Error::kCentury);
}

TEST_CASE("Scan finds interim numbers in free text", "[ident]") {
  const Date today(2026, 11, 28);
  std::string n = "200001012384";
  n[8] = 'T';
  n = WithCheck(n);
  const std::string ten = n.substr(2, 6) + "-" + n.substr(8);
  const std::string lower = n.substr(0, 8) + "-t" + n.substr(9);
  for (const std::string& written :
       {n, ten, n.substr(0, 8) + "-" + n.substr(8), n.substr(0, 8) + " " + n.substr(8),
        n.substr(0, 8) + " \xE2\x80\x93 " + n.substr(8), lower}) {
    INFO(written);
    const std::string text = "Klienten har reservnummer " + written + ", se journal.";
    const std::vector<ident::Match> found = ident::FindAll(text, today);
    REQUIRE(found.size() == 1);
    CHECK(found[0].offset == text.find(written));
    CHECK(found[0].length == written.size());
    CHECK(found[0].number.kind == Kind::kInterimsnummer);
    CHECK(found[0].number.normalized() == n);
  }
  // Not numbers: a wrong check digit, more or fewer digits after the letter, an ISO time.
  std::string wrong = n;
  wrong[11] = static_cast<char>('0' + (wrong[11] - '0' + 1) % 10);
  for (const std::string& text : {wrong, n + "1", n.substr(0, 11), std::string("20000101T120000"),
                                  std::string("20000101T12")}) {
    INFO(text);
    CHECK(ident::FindAll("se " + text + " ok", today).empty());
  }
  // A twelve-digit plus form is found when Check() takes it.
  CHECK(ident::FindAll("f. 19090101+9810.", today).size() == 1);
  CHECK(ident::FindAll("f. 19570129+2897.", today).empty());
}
