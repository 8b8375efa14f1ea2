// Finding identity numbers in free text (see varsam/ident.h).
//
// One pass over the bytes. Non-digits are skipped in a tight loop; at the start of each run of
// digits the run's length and what follows it decide which form could start here, and only
// then is the candidate copied (at most 13 bytes, on the stack, with a space turned into `-`)
// and given to Check(). Runs that fit no form are skipped whole, so the cost is linear in the
// text and nothing is allocated.

#include <cstring>

#include "digits.h"
#include "varsam/ident.h"

namespace varsam::ident {
namespace {

using internal::IsDigit;
using internal::LeadingDigits;

}  // namespace

void Scan(std::string_view text, Date today, absl::FunctionRef<void(const Match&)> on_match) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && !IsDigit(p[i])) ++i;
    if (i == n) break;
    // Here p[i] starts a run of digits (the byte before it, if any, is not a digit).
    const size_t run = LeadingDigits(p + i, n - i);
    size_t length = 0;
    if (run == 12 || run == 10) {
      length = run;  // YYYYMMDDNNNN, YYMMDDNNNN
    } else if ((run == 8 || run == 6) && i + run + 5 <= n) {
      const char sep = p[i + run];
      const bool sep_ok = sep == '-' || sep == ' ' || (sep == '+' && run == 6);
      if (sep_ok && LeadingDigits(p + i + run + 1, n - i - run - 1) == 4) length = run + 5;
    }
    if (length == 0) {
      i += run;
      continue;
    }
    char candidate[13];
    std::memcpy(candidate, p + i, length);
    if (length == run + 5 && candidate[run] == ' ') candidate[run] = '-';
    const CheckResult checked = Check(std::string_view(candidate, length), today);
    if (checked.ok()) {
      on_match(Match{i, length, checked.number});
      i += length;
    } else {
      i += run;
    }
  }
}

std::vector<Match> FindAll(std::string_view text, Date today) {
  std::vector<Match> matches;
  Scan(text, today, [&matches](const Match& m) { matches.push_back(m); });
  return matches;
}

}  // namespace varsam::ident
