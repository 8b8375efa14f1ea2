// libFuzzer target: varsam::ident::Scan / FindAll and the C API varsam_id_find.
//
// The input is the text to scan. Every match must lie inside the text, in order, without
// overlaps, stand alone (no digit on either side) and be a valid number by Check() with the
// same digits; Scan must find exactly what a naive reference finds (every run of digits that
// starts a valid form), allocate nothing itself, and agree with FindAll and varsam_id_find.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "varsam.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace {

using namespace varsam::fuzz;  // Date, ident, kToday, allocations, IsDigit

// Check() on text[offset, offset + length) with a space separator read as `-`, as Scan reads
// it; a failed result when the bytes are out of range.
ident::CheckResult CheckCandidate(std::string_view text, std::size_t offset, std::size_t length) {
  if (offset > text.size() || length > text.size() - offset || length > 13) return {};
  char candidate[13];
  std::memcpy(candidate, text.data() + offset, length);
  if ((length == 11 || length == 13) && candidate[length - 5] == ' ') candidate[length - 5] = '-';
  return ident::Check(std::string_view(candidate, length), kToday);
}

// The reference: at the start of each run of digits past the previous match, the first of the
// lengths 13, 12, 11, 10 whose bytes (space as separator allowed) pass Check() and are not
// followed by a digit is a match.
std::vector<ident::Match> ReferenceFind(std::string_view text) {
  std::vector<ident::Match> found;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i]) || (i > 0 && IsDigit(text[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t matched = 0;
    for (std::size_t length : {13, 12, 11, 10}) {
      if (length > text.size() - i) continue;
      if (i + length < text.size() && IsDigit(text[i + length])) continue;
      const ident::CheckResult r = CheckCandidate(text, i, length);
      if (r.ok()) {
        found.push_back(ident::Match{i, length, r.number});
        matched = length;
        break;
      }
    }
    i += matched > 0 ? matched : 1;
  }
  return found;
}

bool SameMatch(const ident::Match& a, const ident::Match& b) {
  return a.offset == b.offset && a.length == b.length && a.number.digits == b.number.digits &&
         a.number.kind == b.number.kind && a.number.sex == b.number.sex &&
         a.number.birth_date == b.number.birth_date &&
         a.number.official_test_number == b.number.official_test_number;
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
    REQUIRE(m.length >= 10 && m.length <= 13);
    REQUIRE(m.offset <= size && m.length <= size - m.offset);
    REQUIRE(m.offset >= previous_end);  // increasing, no overlap
    previous_end = m.offset + m.length;
    REQUIRE(m.offset == 0 || !IsDigit(text[m.offset - 1]));
    REQUIRE(previous_end == size || !IsDigit(text[previous_end]));
    const ident::CheckResult checked = CheckCandidate(text, m.offset, m.length);
    REQUIRE(checked.ok());
    REQUIRE(checked.number.normalized() == m.number.normalized());
    REQUIRE(checked.number.kind == m.number.kind);
    REQUIRE(checked.number.birth_date == m.number.birth_date);
    REQUIRE(matches.size() < matches.capacity());
    matches.push_back(m);
  });
  REQUIRE(allocations == allocations_before);  // "Never allocates"

  // Nothing missed, nothing extra.
  const std::vector<ident::Match> expected = ReferenceFind(text);
  REQUIRE(expected.size() == matches.size());
  for (std::size_t i = 0; i < matches.size(); ++i) REQUIRE(SameMatch(matches[i], expected[i]));

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
