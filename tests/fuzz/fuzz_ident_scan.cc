// libFuzzer target: varsam::ident::Scan / FindAll and the C API varsam_id_find.
//
// The input is the text to scan (scripts/fuzz gives it a dictionary of the characters the
// matching view reads otherwise: Unicode dashes, space separators, format characters, digit
// forms). Every match must lie inside the text, in order, without overlaps, cover whole code
// points, and be a valid number by Check() on the digits it covers; Scan must find exactly what
// the plain reference of tests/ident_reference.h finds, allocate nothing itself, and agree with
// FindAll and varsam_id_find.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "ident_reference.h"
#include "varsam.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace {

using namespace varsam::fuzz;  // Date, ident, kToday, allocations, IsDigit

bool SameMatch(const ident::Match& a, const ident::Match& b) {
  return a.offset == b.offset && a.length == b.length && a.number.digits == b.number.digits &&
         a.number.kind == b.number.kind && a.number.sex == b.number.sex &&
         a.number.birth_date == b.number.birth_date &&
         a.number.official_test_number == b.number.official_test_number;
}

// The digits (read through the matching view) of text[offset, offset + length).
std::string ViewDigits(std::string_view text, std::size_t offset, std::size_t length) {
  std::string digits;
  for (std::size_t i = offset; i < offset + length;) {
    const varsam::MatchingChar c = varsam::ReadForMatching(text, i);
    if (c.as >= '0' && c.as <= '9') digits.push_back(static_cast<char>(c.as));
    i += c.length;
  }
  return digits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // Scan with a callback that does not allocate: Scan itself must not either.
  std::vector<ident::Match> matches;
  matches.reserve(size / 10 + 1);  // a match is at least ten bytes
  const std::size_t allocations_before = allocations;
  std::size_t previous_end = 0;
  ident::Scan(text, kToday, [&](const ident::Match& m) {
    REQUIRE(m.length >= 10);
    REQUIRE(m.offset <= size && m.length <= size - m.offset);
    REQUIRE(m.offset >= previous_end);  // increasing, no overlap
    previous_end = m.offset + m.length;
    // Whole code points: the match starts and ends where the reading of the text does.
    REQUIRE(varsam::ReadForMatching(text, m.offset).as >= '0');
    // The digits it covers are the number's (the ten-digit form's last ten, or all twelve; an
    // interimsnummer's without its letter).
    const std::string digits = ViewDigits(text, m.offset, m.length);
    std::string number_digits(m.number.normalized());
    if (m.number.kind == ident::Kind::kInterimsnummer) {
      REQUIRE(number_digits[8] >= 'A' && number_digits[8] <= 'Z');
      number_digits.erase(8, 1);
      REQUIRE(digits.size() == 9 || digits.size() == 11);
    } else {
      REQUIRE(digits.size() == 10 || digits.size() == 12);
    }
    REQUIRE(number_digits.substr(number_digits.size() - digits.size()) == digits);
    REQUIRE(matches.size() < matches.capacity());
    matches.push_back(m);
  });
  REQUIRE(allocations == allocations_before);  // "Never allocates"

  // Nothing missed, nothing extra.
  const std::vector<varsam::testing::ReferenceMatch> expected =
      varsam::testing::ReferenceScan(text, kToday);
  REQUIRE(expected.size() == matches.size());
  for (std::size_t i = 0; i < matches.size(); ++i) {
    REQUIRE(expected[i].offset == matches[i].offset);
    REQUIRE(expected[i].length == matches[i].length);
    REQUIRE(expected[i].normalized == matches[i].number.normalized());
  }

  const std::vector<ident::Match> all = ident::FindAll(text, kToday);
  REQUIRE(all.size() == matches.size());
  for (std::size_t i = 0; i < all.size(); ++i) REQUIRE(SameMatch(all[i], matches[i]));

  // The C API: the same matches as JSON.
  char* json_text = nullptr;
  REQUIRE(varsam_id_find(size == 0 ? nullptr : text.data(), size, kTodayInt, &json_text) ==
          VARSAM_OK);
  REQUIRE(json_text != nullptr);
  const nlohmann::json json = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  varsam_free(json_text);
  REQUIRE(json.is_array());
  REQUIRE(json.size() == matches.size());
  for (std::size_t i = 0; i < matches.size(); ++i) {
    const nlohmann::json& j = json[i];
    const ident::Match& m = matches[i];
    REQUIRE(j.is_object() && j.size() == 5);
    REQUIRE(j.value("offset", std::size_t{0}) == m.offset);
    REQUIRE(j.value("length", std::size_t{0}) == m.length);
    REQUIRE(j.value("normalized", std::string()) == m.number.normalized());
    REQUIRE(j.value("kind", std::string()) == ident::KindName(m.number.kind));
    REQUIRE(j.value("official_test_number", false) == m.number.official_test_number);
  }

  // Bad arguments are refused, never a crash.
  REQUIRE(varsam_id_find(text.data(), size, kTodayInt, nullptr) == VARSAM_INVALID_ARGUMENT);
  return 0;
}
