// `varsam id check [--today YYYY-MM-DD] [--json] NUMBER...` (docs/cli.md).

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace varsam::cli {
namespace {

struct IdCheckOptions {
  std::optional<std::string> today;
  bool json = false;
  std::vector<std::string> numbers;
};

nlohmann::ordered_json CheckToJson(std::string_view input, const ident::CheckResult& r) {
  nlohmann::ordered_json o;
  o["input"] = std::string(input);
  o["valid"] = r.ok();
  if (r.ok()) {
    const ident::IdentityNumber& n = r.number;
    o["kind"] = std::string(ident::KindName(n.kind));
    o["normalized"] = std::string(n.normalized());
    o["birth_date"] = FormatIsoDate(n.birth_date);
    o["sex"] = std::string(ident::SexName(n.sex));
    o["official_test_number"] = n.official_test_number;
    o["error"] = nullptr;
  } else {
    o["kind"] = nullptr;
    o["normalized"] = nullptr;
    o["birth_date"] = nullptr;
    o["sex"] = nullptr;
    o["official_test_number"] = false;
    o["error"] = std::string(ident::ErrorId(r.error));
    o["error_message"] = std::string(ident::ErrorMessage(r.error));
  }
  return o;
}

int RunIdCheck(const IdCheckOptions& options) {
  Date today = TodayInSweden();
  if (options.today.has_value()) {
    auto parsed = ParseIsoDate(*options.today, "--today");
    if (!parsed.ok()) {
      std::cerr << "varsam: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    today = *parsed;
  }
  bool all_valid = true;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const std::string& input : options.numbers) {
    const ident::CheckResult result = ident::Check(input, today);
    all_valid = all_valid && result.ok();
    if (options.json) {
      results.push_back(CheckToJson(input, result));
    } else {
      std::cout << DescribeCheck(input, result) << "\n";
    }
  }
  if (options.json) {
    std::cout << DumpJson(results) << "\n";
  }
  return all_valid ? kExitOk : kExitNo;
}

}  // namespace

std::string DescribeCheck(std::string_view input, const ident::CheckResult& r) {
  if (!r.ok()) return Cat({input, "  invalid: ", ident::ErrorMessage(r.error)});
  const ident::IdentityNumber& n = r.number;
  return Cat({input, "  valid ", ident::KindName(n.kind), " ", n.normalized(), ", born ",
              FormatIsoDate(n.birth_date), ", ", ident::SexName(n.sex),
              n.official_test_number ? ", official test number" : ""});
}

void AddIdCommand(CLI::App& app, int* exit_code) {
  auto* id = app.add_subcommand("id", "Swedish identity numbers (personnummer, samordningsnummer)");
  id->require_subcommand(1);

  auto options = std::make_shared<IdCheckOptions>();
  auto* check = id->add_subcommand(
      "check",
      "Validate and normalise identity numbers.\n"
      "Forms: YYYYMMDDNNNN, YYYYMMDD-NNNN, YYMMDDNNNN, YYMMDD-NNNN, YYMMDD+NNNN\n"
      "(+ = the person turns 100 or more this year). Checks the format, the Luhn\n"
      "check digit and the date; day + 60 is a samordningsnummer. Exit 0 when all\n"
      "are valid, 1 when any is not.");
  check->add_option("--today", options->today,
                    "Reference date YYYY-MM-DD that resolves the century of ten-digit forms "
                    "(default: today in Sweden)");
  check->add_flag("--json", options->json,
                  "Print one JSON array, one object per input: input, valid, kind, normalized, "
                  "birth_date, sex, official_test_number, error");
  check->add_option("NUMBER", options->numbers, "Identity numbers to check")->required();
  check->callback([options, exit_code] { *exit_code = RunIdCheck(*options); });
}

}  // namespace varsam::cli
