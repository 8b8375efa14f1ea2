// "No heap allocation per check", "no per-form heap allocation" and policy decisions without
// allocation (docs/performance.md): Check,
// IsOfficialTestNumber and Scan run over Skatteverket's official test numbers, and PHQ-9 and
// AUDIT forms are scored one by one (C++ and C API) and in a batch, while the global operator
// new counts calls. Its own program, because it replaces operator new for the whole process.
// Prints the plain "N passed, N failed" line.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "varsam.h"
#include "varsam/access.h"
#include "varsam/ident.h"
#include "varsam/instruments.h"

namespace {
long allocations = 0;
}

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main() {
  std::vector<std::string> numbers;
  std::ifstream in(VARSAM_DATA_DIR "/skatteverket-testpersonnummer.txt");
  for (std::string line; std::getline(in, line);) numbers.push_back(line);
  std::string text;
  for (size_t i = 0; i < numbers.size(); i += 10) {
    text += "Anteckning om " + numbers[i] + " och " + numbers[i].substr(2, 6) + "-" +
            numbers[i].substr(8) + ", tel 070-1234567.\n";
  }
  const varsam::Date today(2026, 11, 28);

  int passed = 0, failed = 0;
  const auto expect = [&](bool ok, const char* what) {
    ok ? ++passed : ++failed;
    std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  };

  long before = allocations;
  size_t valid = 0;
  for (const std::string& n : numbers) valid += varsam::ident::Check(n, today).ok();
  expect(allocations == before && valid == numbers.size(),
         "Check of 41,493 twelve-digit numbers allocates nothing");

  before = allocations;
  size_t listed = 0;
  for (const std::string& n : numbers) listed += varsam::ident::IsOfficialTestNumber(n);
  expect(allocations == before && listed == numbers.size(),
         "IsOfficialTestNumber allocates nothing");

  before = allocations;
  size_t found = 0;
  varsam::ident::Scan(text, today, [&](const varsam::ident::Match&) { ++found; });
  expect(allocations == before && found > 8000, "Scan of a note text allocates nothing");

  // The same numbers as a word processor writes them (en dash, no-break space, soft hyphen):
  // Scan reads the matching view without building it.
  std::string pasted;
  for (size_t i = 0; i < numbers.size(); i += 10) {
    pasted += "Anteckning om " + numbers[i].substr(0, 4) + "\u00AD" + numbers[i].substr(4) +
              " och " + numbers[i].substr(2, 6) + "\u2013" + numbers[i].substr(8) +
              ", tel 070\u00A0174\u00A006\u00A005.\n";
  }
  before = allocations;
  size_t pasted_found = 0;
  varsam::ident::Scan(pasted, today, [&](const varsam::ident::Match&) { ++pasted_found; });
  expect(allocations == before && pasted_found == found,
         "Scan of a pasted note text (Unicode separators) allocates nothing and finds the same");

  // Instruments: the registry is built once (that allocates); scoring after it does not.
  namespace ins = varsam::instruments;
  const ins::Instrument& phq9 = *ins::Registry::Global().Find("phq9");
  const ins::Instrument& audit = *ins::Registry::Global().Find("audit");
  std::vector<double> forms, phq9_forms;  // valid AUDIT and PHQ-9 forms
  for (int f = 0; f < 1000; ++f) {
    for (int i = 0; i < 10; ++i) forms.push_back(i >= 8 ? 2 * (f % 3) : (f + i) % 5);
    for (int i = 0; i < 9; ++i) phq9_forms.push_back((f + i) % 4);
  }
  std::vector<double> total(1000);
  std::vector<std::int32_t> band(1000), sex(1000, 1);
  const ins::Respondent woman{varsam::ident::Sex::kFemale, 40, std::nullopt};

  before = allocations;
  size_t scored = 0;
  ins::FormScore form;
  for (int f = 0; f < 1000; ++f) {
    const std::span<const double> answers(forms.data() + f * 10, 10);
    const std::span<const double> phq9_answers(phq9_forms.data() + f * 9, 9);
    scored += phq9.ScoreForm(phq9_answers, {}, &form).ok() && form.scored();
    scored += audit.ScoreForm(answers, woman, &form).ok() && form.scored();
  }
  expect(allocations == before && scored == 2000, "ScoreForm of PHQ-9 and AUDIT allocates nothing");

  before = allocations;
  const auto summary = audit.ScoreBatch({forms, sex, {}, {}}, {total, band, {}, {}});
  expect(allocations == before && summary.ok() && summary->scored == 1000,
         "ScoreBatch of 1,000 AUDIT forms allocates nothing");

  before = allocations;
  varsam_score_result result{};
  result.struct_size = sizeof result;
  size_t c_scored = 0;
  for (int f = 0; f < 1000; ++f) {
    c_scored += varsam_score("audit", forms.data() + f * 10, 10, nullptr, &result) == VARSAM_OK;
  }
  expect(allocations == before && c_scored == 1000, "varsam_score allocates nothing");

  // Policy decisions: the pack is compiled once (that allocates); deciding does not.
  const auto policy = varsam::access::PolicySet::Load();
  const auto context = varsam::access::ParseContext(
      R"({"actor": "a-17", "role": "handlaggare", "organisation": {"kind": "socialnamnd", )"
      R"("id": "0180"}, "purpose": "handlaggning", "case": {"ref": "c-9", "kind": "utredning", )"
      R"("led_to_investigation": true, "client": "k-1"}, "subject_client": "k-1", )"
      R"("time": "2026-11-28T10:00:00Z"})");
  const varsam::access::Resource resource;
  if (policy.ok() && context.ok()) {  // the first decision loads the Swedish time zone once
    (void)policy->Decide(*context, varsam::access::Action::kScore, resource);
  }
  before = allocations;
  size_t allowed = 0;
  for (int i = 0; i < 1000 && policy.ok() && context.ok(); ++i) {
    allowed += policy->Decide(*context, varsam::access::Action::kScore, resource).allow;
    allowed += policy->Decide(*context, varsam::access::Action::kRegisterReadRows, resource).allow;
  }
  expect(allocations == before && allowed == 1000, "PolicySet::Decide allocates nothing");

  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
