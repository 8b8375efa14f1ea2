// The CLI's shared parts: exit codes of the CLI contract (docs/cli.md) and how each
// subcommand is registered.

#ifndef VARSAM_EXAMPLES_CLI_CLI_H_
#define VARSAM_EXAMPLES_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "varsam/ident.h"
#include "varsam/instruments.h"

namespace varsam::cli {

// Exit codes of the CLI contract; scripts rely on them (BSD sysexits where they fit).
enum Exit : int {
  kExitOk = 0,
  kExitNo = 1,         // the command ran and the answer is "no"
  kExitUsage = 64,     // EX_USAGE
  kExitDataErr = 65,   // EX_DATAERR: bad input data
  kExitNoInput = 66,   // EX_NOINPUT: input file missing
  kExitSoftware = 70,  // EX_SOFTWARE: internal error
  kExitIoErr = 74,     // EX_IOERR
  kExitDenied = 77,    // EX_NOPERM: permission denied by policy
};

// The exit code for a failed Status.
int ExitFor(const absl::Status& status);

// A one-line description of a command-line parse error that never repeats an argument.
std::string UsageErrorMessage(const CLI::ParseError& error);

// Prints "varsam: <message>" as one line on stderr and returns ExitFor(status).
int Fail(const absl::Status& status);

// One line for people describing the check of `input`, e.g.
//   198001022386  valid personnummer 198001022386, born 1980-01-02, female, official test number
std::string DescribeCheck(std::string_view input, const ident::CheckResult& result);

// A number for people: whole numbers without decimals, others with at most two ("14.44").
std::string FormatNumber(double value);

// A scored form for people, several lines, each ending in "\n": instrument name and id, total
// with the range, band with its label, subscales, answered/missing/prorated, and one line per
// flag with its severity in capitals and its message. In Swedish when `swedish`.
std::string DescribeScore(const instruments::Instrument& instrument,
                          const instruments::Score& score, bool swedish);

// Each subcommand adds itself to the app; when it runs it stores its exit code in *exit_code.
void AddVersionCommand(CLI::App& app, int* exit_code);
void AddIdCommand(CLI::App& app, int* exit_code);
void AddScoreCommand(CLI::App& app, int* exit_code);
void AddDemoCommand(CLI::App& app, int* exit_code);
void AddStoreCommand(CLI::App& app, int* exit_code);
void AddSynthCommand(CLI::App& app, int* exit_code);
void AddPolicyCommand(CLI::App& app, int* exit_code);
void AddAuditCommand(CLI::App& app, int* exit_code);
void AddAnonymizeCommand(CLI::App& app, int* exit_code);
void AddRegisterCommand(CLI::App& app, int* exit_code);
void AddModelCommand(CLI::App& app, int* exit_code);
void AddOutcomesCommand(CLI::App& app, int* exit_code);
void AddInsightCommand(CLI::App& app, int* exit_code);
void AddReportCommand(CLI::App& app, int* exit_code);

}  // namespace varsam::cli

#endif  // VARSAM_EXAMPLES_CLI_CLI_H_
