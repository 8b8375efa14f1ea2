// `varsam demo`: what varsam does, on Skatteverket's official test numbers and synthetic
// answers only. Grows with each capability into the whole main job of architecture.md.

#include <cmath>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "varsam/core.h"
#include "varsam/ident.h"
#include "varsam/instruments.h"

namespace varsam::cli {
namespace {

// From data/skatteverket-testpersonnummer.txt (never real people).
constexpr std::string_view kTestNumbers[] = {
    "198001022386",  // twelve digits
    "200002292399",  // born on a leap day
    "189001019802",  // over 100 years old: ten-digit form with `+`
};

void Section(std::string_view title) { std::cout << "\n== " << title << "\n"; }

// A made-up form: answers no person gave, chosen to show one rule each.
struct DemoForm {
  std::string_view instrument;
  std::string_view what;
  std::vector<double> answers;  // kMissing = unanswered
  std::optional<ident::Sex> sex;
};

std::string AnswerList(const std::vector<double>& answers) {
  std::string out;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (i > 0) out += ",";
    if (!std::isnan(answers[i])) out += FormatNumber(answers[i]);
  }
  return out;
}

// Scores each form and prints it as `varsam score` does. False when any could not be scored.
bool ScoreDemoForms() {
  using instruments::kMissing;
  const std::vector<DemoForm> forms = {
      {"phq9",
       "PHQ-9: item 9 above 0 raises the critical suicide-risk follow-up flag",
       {1, 1, 2, 1, 0, 1, 1, 0, 1},
       std::nullopt},
      {"audit",
       "AUDIT, a woman: total 7 is hazardous use (low risk is below 6 for women)",
       {2, 1, 1, 1, 0, 0, 0, 0, 0, 2},
       ident::Sex::kFemale},
      {"audit",
       "AUDIT, a man with the same answers: low risk (below 8 for men)",
       {2, 1, 1, 1, 0, 0, 0, 0, 0, 2},
       ident::Sex::kMale},
      {"core10",
       "CORE-10 with item 3 unanswered: one missing item is prorated, 10 x the mean",
       {1, 3, kMissing, 1, 2, 0, 1, 2, 1, 1},
       std::nullopt},
      {"srs",
       "SRS below the alliance cut-off: talk with the client about the work together",
       {9, 8, 9, 9},
       std::nullopt},
  };
  bool all_scored = true;
  for (const DemoForm& form : forms) {
    std::cout << "\n-- " << form.what << "\n$ varsam score " << form.instrument << " --responses "
              << AnswerList(form.answers)
              << (form.sex.has_value() ? Cat({" --sex ", ident::SexName(*form.sex)}) : "") << "\n";
    instruments::Respondent respondent;
    respondent.sex = form.sex;
    const auto instrument = instruments::Registry::Global().Get(form.instrument);
    auto score = instrument.ok() ? (*instrument)->ScoreOne(form.answers, respondent)
                                 : absl::StatusOr<instruments::Score>(instrument.status());
    if (!score.ok()) {
      std::cerr << "varsam: demo: " << score.status().message() << "\n";
      all_scored = false;
      continue;
    }
    std::cout << DescribeScore(**instrument, *score, /*swedish=*/false);
  }
  return all_scored;
}

int RunDemo() {
  const Date today = TodayInSweden();
  std::cout << "varsam " << VersionString()
            << " — lawful AI decision support for Swedish social services\n"
            << "Everything below uses Skatteverket's official test numbers and made-up answers,\n"
            << "never real people.\n"
            << "Reference date: " << FormatIsoDate(today) << "\n";

  Section("Identity numbers: every form normalises to twelve digits");
  for (std::string_view text : kTestNumbers) {
    const ident::CheckResult twelve = ident::Check(text, today);
    std::cout << DescribeCheck(text, twelve) << "\n";
    const std::string ten = ident::TenDigitForm(twelve.number, today);
    std::cout << DescribeCheck(ten, ident::Check(ten, today)) << "\n";
  }

  Section("Samordningsnummer: day of birth + 60, with its own check digit");
  std::string coordination(kTestNumbers[0]);
  coordination[6] = static_cast<char>(coordination[6] + 6);  // day 02 -> 62
  coordination[11] = ident::LuhnCheckDigit(coordination.substr(2, 9));
  std::cout << DescribeCheck(coordination, ident::Check(coordination, today)) << "\n";

  Section("What is refused, and why (the reason never repeats the number)");
  std::string wrong_check(kTestNumbers[0]);
  wrong_check[11] = wrong_check[11] == '9' ? '0' : static_cast<char>(wrong_check[11] + 1);
  std::string no_such_date = "19000229-000";  // 1900 was not a leap year
  no_such_date += ident::LuhnCheckDigit("000229000");
  for (const std::string& bad : {wrong_check, no_such_date, std::string("8001022386x")}) {
    std::cout << DescribeCheck(bad, ident::Check(bad, today)) << "\n";
  }

  Section("Finding identity numbers in a case note");
  const std::string note =
      "Samtal med klienten (800102-2386) och hennes mor 189001019802. Tel 070-1234567.";
  std::cout << "note:  " << note << "\n";
  std::string scrubbed;
  size_t done = 0;
  const std::vector<ident::Match> matches = ident::FindAll(note, today);
  for (const ident::Match& m : matches) {
    scrubbed.append(note, done, m.offset - done).append("[PERSONNUMMER]");
    done = m.offset + m.length;
  }
  scrubbed.append(note, done);
  std::cout << "found: " << matches.size() << " identity numbers\n"
            << "shown: " << scrubbed << "\n";

  Section("Instruments: scoring a few synthetic forms (made-up answers, no real client)");
  std::cout << "Scores are decision support for the officer, with the rule's source in\n"
            << "`varsam score --list --json`; the officer decides.\n";
  if (!ScoreDemoForms()) return kExitSoftware;
  return kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "demo", "Show what varsam does, on official test data, with nothing to set up");
  cmd->callback([exit_code] { *exit_code = RunDemo(); });
}

}  // namespace varsam::cli
