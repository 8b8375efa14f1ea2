// Finding identity numbers in free text (see varsam/ident.h).
//
// One pass over the text, read through the matching view (varsam/core.h) without building it:
// non-digits are passed over sixteen bytes at a time (NextDigitOrChanged); a run of ASCII
// digits whose length and next byte begin no written form is passed over whole; otherwise the
// candidate's digit groups and the separators between them are read into a small record on
// the stack (at most twelve digits and seven groups, and no further than a boundary no form
// has), and only when the groups add up to twelve or ten digits on the boundaries the forms
// allow are the digits given to Check(). An interimsnummer (a date whole, a separator or
// none, an interim letter and three digits: `YYYYMMDD-Tnnc`) is read the same way after its
// date run. A run that starts no number is skipped whole, so the cost is linear in the text
// and nothing is allocated.

#include <cstddef>

#include "varsam/core.h"
#include "varsam/ident.h"

namespace varsam::ident {
namespace {

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
  char digits[12];
  std::size_t count = 0;                 // digits read (more than 12: too long for any form)
  std::size_t n = 0;                     // groups read
  std::size_t digits_after[kMaxGroups];  // digits read up to the end of group g
  std::size_t end[kMaxGroups];           // original offset just after group g's last digit
  char punct[kMaxGroups];                // the separator after group g: '-', '+', '.', '/', or
                                         // ' ' for spaces alone
};

// Reads the run of digits at text[*j] (invisible characters inside it are skipped) into g.
void ReadRun(std::string_view text, std::size_t* j, Groups* g) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t k = *j;
  std::size_t end = k;
  std::size_t count = g->count;
  while (k < n) {
    int digit;
    std::size_t length = 1;
    if (p[k] < 0x80) {
      digit = p[k] - '0';
      if (digit < 0 || digit > 9) break;
    } else {
      const MatchingChar c = ReadForMatching(text, k);
      length = c.length;
      if (c.as == kReadsAsNothing) {
        k += length;
        continue;
      }
      if (!IsDigitAs(c.as)) break;
      digit = c.as - '0';
    }
    if (count < 12) g->digits[count] = static_cast<char>('0' + digit);
    ++count;
    k += length;
    end = k;
  }
  *j = k;
  g->count = count;
  g->digits_after[g->n] = count;
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

// Whether some written form has a boundary `at` digits in with this separator (see Interpret):
// twelve digits YYYY MM DD-NN NN, ten YY MM DD-NN NN, spaces but between date and number.
constexpr bool BoundaryFits(std::size_t at, char punct) {
  switch (at) {
    case 2:                        // YY|MM
    case 4: return punct == ' ';   // YYYY|MM, YYMM|DD
    case 6:                        // YYMMDD|NNNN, YYYYMM|DD
    case 8: return true;           // YYYYMMDD|NNNN (`+` too), YYMMDDNN|NN
    case 10: return punct == ' ';  // YYYYMMDDNN|NN
    default: return false;
  }
}

// Reads the groups of the candidate that starts at text[i]: no further than a boundary no
// written form has, so that a date or an amount costs one look at its first separator.
Groups ReadGroups(std::string_view text, std::size_t i) {
  Groups g;
  std::size_t j = i;
  ReadRun(text, &j, &g);
  while (g.count < 12 && g.n < kMaxGroups) {
    char punct = ' ';
    std::size_t k = j;
    if (!ReadSeparator(text, &k, &punct) || !BoundaryFits(g.count, punct)) break;
    g.punct[g.n - 1] = punct;
    j = k;
    ReadRun(text, &j, &g);
  }
  return g;
}

// The group that ends exactly `total` digits in, when the boundaries before it are ones the
// written forms use: the date whole or in pairs (YYYY MM DD, YY MM DD), the birth number whole
// or in pairs (NN NN), both with spaces; between the date and the birth number any separator
// (or none, but not where pairs are written), `+` only in the ten-digit form. Writes the
// digits to give Check() into form (with the `+`) and returns the group's index, or -1.
int Interpret(const Groups& g, std::size_t total, char* form, std::size_t* form_length) {
  const std::size_t date = total - 4;  // where the date ends and the birth number begins
  bool plus = false;
  bool pairs[2] = {false, false};  // the boundaries of the date written in pairs
  bool number_pairs = false;       // the birth number written in pairs
  bool separated = false;          // a boundary between the date and the birth number
  for (std::size_t k = 0; k < g.n; ++k) {
    const std::size_t at = g.digits_after[k];
    if (at > total) return -1;
    if (at == total) {
      // "YYYY MMDD" and "YY MM DDNNNN" are no written forms: pairs on every boundary of the
      // date, and wherever pairs are written the date and the birth number apart.
      if (pairs[0] != pairs[1]) return -1;
      if ((pairs[0] || number_pairs) && !separated) return -1;
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
      separated = true;
      plus = punct == '+';  // YYMMDD+NNNN, YYYYMMDD+NNNN: Check() weighs it against today
      continue;
    }
    if (punct != ' ') return -1;
    if (at == date - 4 || at == date - 2) {
      pairs[at == date - 2] = true;
    } else if (at == date + 2) {
      number_pairs = true;
    } else {
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

// The offset of the next digit of the view at or after i (text.size() when there is none).
std::size_t NextDigit(std::string_view text, std::size_t i) {
  for (;;) {
    i = NextDigitOrChanged(text, i);
    if (i >= text.size() || static_cast<unsigned char>(text[i]) < 0x80) return i;
    const MatchingChar c = ReadForMatching(text, i);
    if (IsDigitAs(c.as)) return i;
    i += c.length;
  }
}

// Whether a run of `length` ASCII digits followed by the ASCII byte `next` ('\0' at the end)
// can begin a written form (a quick test before the candidate is read in full): ten and twelve
// digits are whole numbers; shorter runs go on only at a boundary some form has, with the
// separator `next` starts.
constexpr bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

constexpr bool MayBegin(std::size_t length, char next) {
  if (length == 10 || length == 12) return true;
  if ((length == 6 || length == 8) && IsAsciiLetter(next)) return true;  // interim: YYMMDDTNNN
  const bool separator = next == ' ' || next == '-' || next == '+' || next == '.' || next == '/';
  return separator && BoundaryFits(length, next);
}

// An interimsnummer whose date is the single run `g` (six or eight digits, written whole) at
// text[i]: then a separator (up to two spaces, at most one of - + . /, up to two spaces) or
// none, an interim letter (either case: in free text a lower-case one is still a number) and
// a run of exactly three digits. The form is given to Check() with the letter in capitals.
bool ReadInterim(std::string_view text, std::size_t i, const Groups& g, Date today, Match* match) {
  if (g.n != 1 || (g.count != 6 && g.count != 8)) return false;
  std::size_t k = g.end[0];
  char punct = 0;
  int spaces = 0;
  char letter = 0;
  while (k < text.size() && letter == 0) {
    const MatchingChar c = Read(text, k);
    if (c.as == kReadsAsNothing) {
      k += c.length;
    } else if (c.as == ' ' && spaces < 2) {
      ++spaces;
      k += c.length;
    } else if ((c.as == '-' || c.as == '+' || c.as == '.' || c.as == '/') && punct == 0) {
      punct = static_cast<char>(c.as);
      spaces = 0;
      k += c.length;
    } else if (c.as >= 0 && c.as < 0x80 && IsAsciiLetter(static_cast<char>(c.as))) {
      letter = static_cast<char>(c.as >= 'a' ? c.as - ('a' - 'A') : c.as);
      k += c.length;
    } else {
      return false;
    }
  }
  // A separator other than `+` (or spaces alone) reads as none: Check() takes YYMMDDTNNN.
  if (letter == 0 || k >= text.size()) return false;
  Groups serial;
  std::size_t j = k;
  while (j < text.size() && Read(text, j).as == kReadsAsNothing) j += Read(text, j).length;
  if (j >= text.size() || !IsDigitAs(Read(text, j).as)) return false;
  ReadRun(text, &j, &serial);
  if (serial.count != 3) return false;
  char form[13];
  std::size_t n = 0;
  for (std::size_t d = 0; d < g.count; ++d) form[n++] = g.digits[d];
  if (punct == '+') form[n++] = '+';
  form[n++] = letter;
  for (std::size_t d = 0; d < 3; ++d) form[n++] = serial.digits[d];
  const CheckResult checked = Check(std::string_view(form, n), today);
  if (!checked.ok() || (g.count == 8 && !Plausible(checked.number.birth_date, today))) {
    return false;
  }
  *match = Match{i, serial.end[0] - i, checked.number};
  return true;
}

}  // namespace

void Scan(std::string_view text, Date today, absl::FunctionRef<void(const Match&)> on_match) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  for (;;) {
    i = NextDigit(text, i);
    if (i >= n) return;
    // text[i] starts a run of digits: nothing before it in the view is a digit. Most runs
    // (amounts, times, dates with dashes) are plain ASCII and begin no written form.
    std::size_t r = i;
    while (r < n && static_cast<unsigned char>(text[r] - '0') < 10) ++r;
    if (r == n || static_cast<unsigned char>(text[r]) < 0x80) {
      if (!MayBegin(r - i, r < n ? text[r] : '\0')) {
        i = r;
        continue;
      }
    }
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
    if (!matched) {
      Match interim;
      if (ReadInterim(text, i, g, today, &interim)) {
        on_match(interim);
        i = interim.offset + interim.length;
        continue;
      }
      i = g.end[0];
    }
  }
}

std::vector<Match> FindAll(std::string_view text, Date today) {
  std::vector<Match> matches;
  Scan(text, today, [&matches](const Match& m) { matches.push_back(m); });
  return matches;
}

}  // namespace varsam::ident
