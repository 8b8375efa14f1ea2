// Finding identity numbers in free text (see varsam/ident.h).
//
// One pass over the text, read through the matching view (varsam/core.h) without building it:
// non-digits are skipped in a tight loop (ASCII and Latin-1 letters without decoding); at the
// start of each run of digits the candidate's digit groups and the separators between them are
// read into a small record on the stack — at most twelve digits and seven groups — and only
// when the groups add up to twelve or ten digits on the boundaries the forms allow are the
// digits given to Check(). A run that starts no number is skipped whole, so the cost is linear
// in the text and nothing is allocated.

#include <cstddef>

#include "digits.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace varsam::ident {
namespace {

using internal::IsDigit;

// How the view reads text[i]; ASCII without a call.
inline MatchingChar Read(std::string_view text, std::size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) return {1, b};
  return ReadForMatching(text, i);
}

inline bool IsDigitAs(int as) { return as >= '0' && as <= '9'; }

constexpr std::size_t kMaxGroups = 7;  // YYYY MM DD NN NN is five; two to spare for a refusal

// The digit groups that start at one run of digits.
struct Groups {
  char digits[12] = {};
  std::size_t count = 0;                // digits read (more than 12: too long for any form)
  std::size_t n = 0;                    // groups read
  std::size_t digits_after[kMaxGroups];  // digits read up to the end of group g
  std::size_t end[kMaxGroups];          // original offset just after group g's last digit
  char punct[kMaxGroups];               // the separator after group g: '-', '+', '.', '/', or
                                        // ' ' for spaces alone
};

// Reads the run of digits at text[*j] (invisible characters inside it are skipped) into g.
void ReadRun(std::string_view text, std::size_t* j, Groups* g) {
  std::size_t end = *j;
  while (*j < text.size()) {
    const MatchingChar c = Read(text, *j);
    if (IsDigitAs(c.as)) {
      if (g->count < 12) g->digits[g->count] = static_cast<char>(c.as);
      ++g->count;
      *j += c.length;
      end = *j;
    } else if (c.as == kReadsAsNothing) {
      *j += c.length;
    } else {
      break;
    }
  }
  g->digits_after[g->n] = g->count;
  g->end[g->n] = end;
  ++g->n;
}

// Reads a separator at text[*j]: up to two spaces, at most one of - + . /, up to two spaces
// (invisible characters anywhere in it). True, with *j at the next digit and the separator's
// punctuation (or ' ') in *punct, when a digit follows it.
bool ReadSeparator(std::string_view text, std::size_t* j, char* punct) {
  std::size_t k = *j;
  int spaces = 0;
  *punct = ' ';
  while (k < text.size()) {
    const MatchingChar c = Read(text, k);
    if (IsDigitAs(c.as)) {
      if (k == *j || (*punct == ' ' && spaces == 0)) return false;
      *j = k;
      return true;
    }
    if (c.as == kReadsAsNothing) {
      k += c.length;
    } else if (c.as == ' ' && spaces < 2) {
      ++spaces;
      k += c.length;
    } else if ((c.as == '-' || c.as == '+' || c.as == '.' || c.as == '/') && *punct == ' ') {
      *punct = static_cast<char>(c.as);
      spaces = 0;
      k += c.length;
    } else {
      return false;
    }
  }
  return false;
}

// Reads the groups of the candidate that starts at text[i].
Groups ReadGroups(std::string_view text, std::size_t i) {
  Groups g;
  std::size_t j = i;
  ReadRun(text, &j, &g);
  while (g.count < 12 && g.n < kMaxGroups) {
    char punct = ' ';
    if (!ReadSeparator(text, &j, &punct)) break;
    g.punct[g.n - 1] = punct;
    ReadRun(text, &j, &g);
  }
  return g;
}

// The group that ends exactly `total` digits in, when the boundaries before it are ones the
// written forms use: the date whole or in pairs (YYYY MM DD, YY MM DD), the birth number whole
// or in pairs (NN NN), both with spaces; between the date and the birth number any separator,
// `+` only in the ten-digit form. Writes the digits to give Check() into form (with the `+`)
// and returns the group's index, or -1.
int Interpret(const Groups& g, std::size_t total, char* form, std::size_t* form_length) {
  const std::size_t date = total - 4;  // where the date ends and the birth number begins
  bool plus = false;
  bool pairs[2] = {false, false};  // the boundaries of the date written in pairs
  for (std::size_t k = 0; k < g.n; ++k) {
    const std::size_t at = g.digits_after[k];
    if (at > total) return -1;
    if (at == total) {
      if (pairs[0] != pairs[1]) return -1;  // "YYYY MMDD" is no written form
      std::size_t n = 0;
      for (std::size_t d = 0; d < total; ++d) {
        if (plus && d == date) form[n++] = '+';
        form[n++] = g.digits[d];
      }
      *form_length = n;
      return static_cast<int>(k);
    }
    const char punct = g.punct[k];
    if (at == date) {
      if (punct == '+') {
        if (total != 10) return -1;
        plus = true;
      }
      continue;
    }
    if (punct != ' ') return -1;
    if (at == date - 4 || at == date - 2) {
      pairs[at == date - 2] = true;
    } else if (at != date + 2) {
      return -1;
    }
  }
  return -1;
}

// A twelve-digit number names its century itself, so Check() does not look at `today`; in free
// text a birth date after today, or 200 years or more before it, is some other number.
bool Plausible(Date birth, Date today) {
  return birth <= today && birth.year() > today.year() - 200;
}

}  // namespace

void Scan(std::string_view text, Date today, absl::FunctionRef<void(const Match&)> on_match) {
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = 0;
  for (;;) {
    // Skip to the next digit of the view.
    while (i < n) {
      const auto b = static_cast<unsigned char>(p[i]);
      if (b < 0x80) {
        if (IsDigit(p[i])) break;
        ++i;
      } else if (b == 0xC3 && i + 1 < n && (static_cast<unsigned char>(p[i + 1]) & 0xC0) == 0x80) {
        i += 2;  // U+00C0..U+00FF: Latin-1 letters, never digits
      } else {
        const MatchingChar c = ReadForMatching(text, i);
        if (IsDigitAs(c.as)) break;
        i += c.length;
      }
    }
    if (i >= n) return;
    // text[i] starts a run of digits: nothing before it in the view is a digit.
    const Groups g = ReadGroups(text, i);
    bool matched = false;
    if (g.count >= 10) {
      for (const std::size_t total : {std::size_t{12}, std::size_t{10}}) {
        char form[13];
        std::size_t form_length = 0;
        const int last = Interpret(g, total, form, &form_length);
        if (last < 0) continue;
        const CheckResult checked = Check(std::string_view(form, form_length), today);
        if (!checked.ok() || (total == 12 && !Plausible(checked.number.birth_date, today))) {
          continue;
        }
        on_match(Match{i, g.end[last] - i, checked.number});
        i = g.end[last];
        matched = true;
        break;
      }
    }
    if (!matched) i = g.end[0];
  }
}

std::vector<Match> FindAll(std::string_view text, Date today) {
  std::vector<Match> matches;
  Scan(text, today, [&matches](const Match& m) { matches.push_back(m); });
  return matches;
}

}  // namespace varsam::ident
