// `varsam demo`: what varsam does, on Skatteverket's official test numbers only. Grows with
// each capability into the whole main job of architecture.md.

#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace varsam::cli {
namespace {

// From data/skatteverket-testpersonnummer.txt (never real people).
constexpr std::string_view kTestNumbers[] = {
    "198001022386",  // twelve digits
    "200002292399",  // born on a leap day
    "189001019802",  // over 100 years old: ten-digit form with `+`
};

void Section(std::string_view title) { std::cout << "\n== " << title << "\n"; }

int RunDemo() {
  const Date today = TodayInSweden();
  std::cout << "varsam " << VersionString()
            << " — lawful AI decision support for Swedish social services\n"
            << "Everything below uses Skatteverket's official test numbers, never real people.\n"
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
  return kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "demo", "Show what varsam does, on official test data, with nothing to set up");
  cmd->callback([exit_code] { *exit_code = RunDemo(); });
}

}  // namespace varsam::cli
