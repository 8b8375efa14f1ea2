// libFuzzer target: varsam::ident::Check / Parse / TenDigitForm and the C API varsam_id_check.
//
// The input is the text to check. Every input must give a result without crashing (the
// sanitizers watch memory and undefined behaviour); a valid number must satisfy the invariants
// below, and the C API must agree with the C++ API. A violated invariant aborts.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "varsam.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace {

using namespace varsam::fuzz;  // Date, ident, kToday, allocations, IsDigit

int Number(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

bool SameNumber(const ident::IdentityNumber& a, const ident::IdentityNumber& b) {
  return a.digits == b.digits && a.kind == b.kind && a.sex == b.sex &&
         a.birth_date == b.birth_date && a.official_test_number == b.official_test_number;
}

// The invariants of a valid number that `text` was normalised to.
void CheckValid(std::string_view text, const ident::IdentityNumber& number) {
  const std::string_view digits = number.normalized();
  REQUIRE(digits.size() == 12);
  // An interimsnummer keeps its capital letter in the ninth place; all else is digits.
  const bool interim = number.kind == ident::Kind::kInterimsnummer;
  REQUIRE(interim == !IsDigit(digits[8]));
  if (interim) REQUIRE(std::string_view("TRSUWXJKLMN").find(digits[8]) != std::string_view::npos);
  std::string bare(digits);  // without the letter
  if (interim) bare.erase(8, 1);
  REQUIRE(std::all_of(bare.begin(), bare.end(), IsDigit));

  // The digits are the input's digits; a twelve-digit form keeps its century.
  std::string input_digits;
  for (char c : text) {
    if (IsDigit(c)) input_digits += c;
  }
  if (input_digits.size() == bare.size()) {
    REQUIRE(bare == input_digits);
  } else {
    REQUIRE(input_digits.size() == bare.size() - 2);
    REQUIRE(bare.substr(2) == input_digits);
  }

  // Birth date, kind, sex and check digit agree with the digits.
  const int raw_day = Number(digits.substr(6, 2));
  REQUIRE((number.kind == ident::Kind::kSamordningsnummer) == (!interim && raw_day > 60));
  REQUIRE(digits.substr(8, 3) != "000");  // never issued
  const int day = number.kind == ident::Kind::kSamordningsnummer ? raw_day - 60 : raw_day;
  REQUIRE(number.birth_date.year() == Number(digits.substr(0, 4)));
  REQUIRE(number.birth_date.month() == Number(digits.substr(4, 2)));
  REQUIRE(number.birth_date.day() == day);
  REQUIRE(varsam::IsValidDate(Number(digits.substr(0, 4)), Number(digits.substr(4, 2)), day));
  REQUIRE((number.sex == ident::Sex::kMale) == ((digits[10] - '0') % 2 == 1));
  std::string nine(digits.substr(2, 9));
  if (interim) nine[6] = '1';  // the letter counts as 1
  REQUIRE(ident::LuhnCheckDigit(nine) == digits[11]);
  REQUIRE(number.official_test_number == ident::IsOfficialTestNumber(digits));
  if (number.official_test_number) REQUIRE(number.kind == ident::Kind::kPersonnummer);

  // The normalised form is valid, the same number, and independent of the reference date.
  const ident::CheckResult again = ident::Check(digits, kToday);
  REQUIRE(again.ok());
  REQUIRE(SameNumber(again.number, number));
  const ident::CheckResult other_day = ident::Check(digits, Date(1970, 1, 1));
  REQUIRE(other_day.ok());
  REQUIRE(SameNumber(other_day.number, number));

  // The ten-digit form on kToday reads back as the same number. It can only express births
  // up to kToday and less than 200 years before (`-`: 0..99, `+`: 100..199 in kToday's year);
  // twelve-digit forms outside that range are valid but have no faithful ten-digit form.
  const auto age_in_year = kToday.year() - number.birth_date.year();
  if (number.birth_date <= kToday && age_in_year < 200) {
    const std::string ten = ident::TenDigitForm(number, kToday);
    REQUIRE(ten.size() == 11);
    REQUIRE(ten[6] == (age_in_year >= 100 ? '+' : '-'));
    const ident::CheckResult back = ident::Check(ten, kToday);
    REQUIRE(back.ok());
    REQUIRE(SameNumber(back.number, number));
  }
}

// varsam_id_check agrees with Check().
void CheckCApi(std::string_view text, const ident::CheckResult& expected) {
  varsam_id_result result;
  std::memset(&result, 0x5A, sizeof result);
  result.struct_size = sizeof result;
  const char* data = text.data() == nullptr ? "" : text.data();
  REQUIRE(varsam_id_check(data, text.size(), kTodayInt, &result) == VARSAM_OK);
  REQUIRE(result.struct_size == sizeof result);
  REQUIRE(result.valid == (expected.ok() ? 1 : 0));
  REQUIRE(result.error == static_cast<int32_t>(expected.error));
  REQUIRE(result.normalized[sizeof result.normalized - 1] == '\0');
  if (!expected.ok()) {
    REQUIRE(result.kind == VARSAM_ID_KIND_NONE);
    REQUIRE(result.normalized[0] == '\0');
    return;
  }
  const ident::IdentityNumber& n = expected.number;
  REQUIRE(std::string_view(result.normalized) == n.normalized());
  REQUIRE(result.kind == static_cast<int32_t>(n.kind));
  REQUIRE(result.sex == static_cast<int32_t>(n.sex));
  REQUIRE(result.official_test_number == (n.official_test_number ? 1 : 0));
  REQUIRE(result.birth_year == n.birth_date.year());
  REQUIRE(result.birth_month == n.birth_date.month());
  REQUIRE(result.birth_day == n.birth_date.day());

  // An older, shorter struct: only its bytes are written.
  struct {
    varsam_id_result head;
    char guard[8];
  } small;
  std::memset(&small, 0x5A, sizeof small);
  small.head.struct_size = offsetof(varsam_id_result, normalized) + sizeof small.head.normalized;
  REQUIRE(varsam_id_check(data, text.size(), kTodayInt, &small.head) == VARSAM_OK);
  REQUIRE(small.head.valid == 1);
  for (char c : small.guard) REQUIRE(c == 0x5A);
}

// varsam_id_check with a reference date taken from the input: any int32 either runs or is
// refused as not a date; never anything else.
void CheckCApiAnyDate(std::string_view text) {
  if (text.size() < 4) return;
  std::int32_t today = 0;
  std::memcpy(&today, text.data(), sizeof today);
  if (today == 0) return;  // "today in Sweden": the machine's clock, not reproducible
  varsam_id_result result;
  result.struct_size = sizeof result;
  const varsam_status status = varsam_id_check(text.data() + 4, text.size() - 4, today, &result);
  REQUIRE(status == VARSAM_OK || status == VARSAM_INVALID_ARGUMENT);
  if (status == VARSAM_INVALID_ARGUMENT) {
    REQUIRE(std::strlen(varsam_last_error()) > 0);
    return;
  }
  REQUIRE(result.valid == 0 || result.valid == 1);
  if (result.valid == 1) {
    std::string digits(result.normalized);
    REQUIRE(digits.size() == 12);
    if (result.kind == VARSAM_ID_KIND_INTERIMSNUMMER) digits.erase(8, 1);
    REQUIRE(std::all_of(digits.begin(), digits.end(), IsDigit));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const std::size_t allocations_before = allocations;
  const ident::CheckResult result = ident::Check(text, kToday);
  REQUIRE(allocations == allocations_before);  // "Check() never allocates"

  if (result.ok()) {
    CheckValid(text, result.number);
  } else {
    REQUIRE(result.error == ident::Error::kFormat || result.error == ident::Error::kCheckDigit ||
            result.error == ident::Error::kNoSuchDate || result.error == ident::Error::kCentury ||
            result.error == ident::Error::kSerial);
  }

  const absl::StatusOr<ident::IdentityNumber> parsed = ident::Parse(text, kToday);
  REQUIRE(parsed.ok() == result.ok());
  if (parsed.ok()) {
    REQUIRE(SameNumber(*parsed, result.number));
  } else {
    REQUIRE(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string expected =
        varsam::Cat({"identity number: ", ident::ErrorMessage(result.error)});
    REQUIRE(std::string_view(parsed.status().message().data(), parsed.status().message().size()) ==
            expected);
  }

  CheckCApi(text, result);
  CheckCApiAnyDate(text);
  return 0;
}
