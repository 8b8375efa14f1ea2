// A plain reference for ident::Scan, written from its specification in varsam/ident.h and not
// from its code, for the tests and the fuzz target to compare the scanner with.
//
// The text is turned into its matching view one code point at a time (ReadForMatching, whose
// table the CTest render-matching-table checks against the Unicode Character Database), with
// each view byte's original bytes beside it. At the start of each run of digits in the view,
// every stretch that ends where a run ends is tried against the written forms as one regular
// expression each, twelve digits before ten; the first whose digits pass Check() (and, with
// twelve digits, whose birth date is less than 200 years before today and not after it) is a match,
// and the search goes on after it (or after the run when none is). A run of six or eight digits
// that is no such number may be the date of an interimsnummer (the letter form).

#ifndef VARSAM_TESTS_IDENT_REFERENCE_H_
#define VARSAM_TESTS_IDENT_REFERENCE_H_

#include <cstddef>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/core.h"
#include "varsam/ident.h"

namespace varsam::testing {

struct ReferenceMatch {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::string normalized;

  friend bool operator==(const ReferenceMatch&, const ReferenceMatch&) = default;
};

inline std::vector<ReferenceMatch> ReferenceScan(std::string_view text, Date today) {
  // The view, with the original bytes [begin[v], end[v]) of each view byte v.
  std::string view;
  std::vector<std::size_t> begin, end;
  for (std::size_t i = 0; i < text.size();) {
    const MatchingChar c = ReadForMatching(text, i);
    if (c.as == kReadsAsItself) {
      for (std::size_t k = 0; k < c.length; ++k) {
        view.push_back(text[i + k]);
        begin.push_back(i + k);
        end.push_back(i + k + 1);
      }
    } else if (c.as != kReadsAsNothing) {
      view.push_back(static_cast<char>(c.as));
      begin.push_back(i);
      end.push_back(i + c.length);
    }
    i += c.length;
  }
  const auto digit = [&](std::size_t v) {
    return v < view.size() && view[v] >= '0' && view[v] <= '9';
  };

  // The written forms (varsam/ident.h): the date whole or in pairs, the birth number whole or
  // in pairs, and between them nothing (only when neither is in pairs), spaces, or one of
  // - + . / with up to two spaces on either side.
  static const std::regex twelve(
      R"(^(?:\d{8}(?: {0,2}[-+./] {0,2}| {1,2})?\d{4})"
      R"(|\d{8}(?: {0,2}[-+./] {0,2}| {1,2})\d{2} {1,2}\d{2})"
      R"(|\d{4} {1,2}\d{2} {1,2}\d{2}(?: {0,2}[-+./] {0,2}| {1,2})(?:\d{4}|\d{2} {1,2}\d{2}))$)");
  static const std::regex ten(
      R"(^(?:\d{6}(?: {0,2}[-+./] {0,2}| {1,2})?\d{4})"
      R"(|\d{6}(?: {0,2}[-+./] {0,2}| {1,2})\d{2} {1,2}\d{2})"
      R"(|\d{2} {1,2}\d{2} {1,2}\d{2}(?: {0,2}[-+./] {0,2}| {1,2})(?:\d{4}|\d{2} {1,2}\d{2}))$)");

  std::vector<ReferenceMatch> found;
  std::size_t v = 0;
  while (v < view.size()) {
    if (!digit(v) || (v > 0 && digit(v - 1))) {
      ++v;
      continue;
    }
    std::size_t run_end = v;
    while (digit(run_end)) ++run_end;
    bool matched = false;
    for (const std::size_t total : {std::size_t{12}, std::size_t{10}}) {
      std::size_t digits = 0;
      for (std::size_t e = v; e < view.size() && e < v + 40 && digits <= total && !matched; ++e) {
        digits += digit(e);
        if (digits != total || !digit(e) || digit(e + 1)) continue;
        const std::string candidate = view.substr(v, e + 1 - v);
        if (!std::regex_match(candidate, total == 12 ? twelve : ten)) continue;
        const bool plus = candidate.find('+') != std::string::npos;
        std::string form;
        for (char ch : candidate) {
          if (ch < '0' || ch > '9') continue;
          if (plus && form.size() == total - 4) form.push_back('+');
          form.push_back(ch);
        }
        const ident::CheckResult r = ident::Check(form, today);
        if (!r.ok()) continue;
        const Date birth = r.number.birth_date;
        if (total == 12 && (birth > today || today.year() - birth.year() >= 200)) continue;
        found.push_back({begin[v], end[e] - begin[v], std::string(r.number.normalized())});
        v = e + 1;
        matched = true;
      }
      if (matched) break;
    }
    // An interimsnummer: the date the whole run (six or eight digits), a separator or none, an
    // interim letter in either case, exactly three digits; Check() gets the letter in capitals.
    static const std::regex interim(R"(^(?: {0,2}[-+./] {0,2}| {1,2})?([A-Za-z])(\d{3}))");
    std::smatch m;
    const std::string after = view.substr(run_end, 16);
    const std::size_t date_digits = run_end - v;
    if (!matched && (date_digits == 6 || date_digits == 8) &&
        std::regex_search(after, m, interim) && !digit(run_end + m.length(0))) {
      std::string form = view.substr(v, date_digits);
      if (m.str(0).find('+') != std::string::npos) form.push_back('+');
      const char letter = m.str(1)[0];
      form.push_back(letter >= 'a' ? static_cast<char>(letter - 'a' + 'A') : letter);
      form += m.str(2);
      const ident::CheckResult r = ident::Check(form, today);
      const Date birth = r.number.birth_date;
      if (r.ok() && (date_digits == 6 || (birth <= today && today.year() - birth.year() < 200))) {
        const std::size_t e = run_end + m.length(0) - 1;
        found.push_back({begin[v], end[e] - begin[v], std::string(r.number.normalized())});
        v = e + 1;
        matched = true;
      }
    }
    if (!matched) v = run_end;
  }
  return found;
}

}  // namespace varsam::testing

#endif  // VARSAM_TESTS_IDENT_REFERENCE_H_
