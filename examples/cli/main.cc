// varsam — the example command-line interface (docs/cli.md).

#include <iostream>

#include "cli.h"
#include "varsam/core.h"

namespace varsam::cli {

int ExitFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition: return kExitDataErr;  // e.g. a newer store
    case absl::StatusCode::kNotFound: return kExitNoInput;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kResourceExhausted: return kExitDenied;  // e.g. a spent budget
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss: return kExitIoErr;
    default: return kExitSoftware;
  }
}

std::string UsageErrorMessage(const CLI::ParseError& error) {
  // CLI11's own texts may repeat an argument, which may be a personnummer; errors never
  // contain personal data (docs/cli.md), so only texts that name options are passed on.
  const std::string kind = error.get_name();
  if (kind == "RequiredError" || kind == "RequiresError" || kind == "ExcludesError") {
    return error.what();
  }
  if (kind == "ExtrasError") return "unexpected argument";
  if (kind == "ArgumentMismatch") return "wrong number of values for an option";
  return "invalid option or value";
}

int Fail(const absl::Status& status) {
  std::cerr << "varsam: " << status.message() << "\n";
  return ExitFor(status);
}

}  // namespace varsam::cli

int main(int argc, char** argv) {
  using namespace varsam::cli;
  CLI::App app{"varsam " + std::string(varsam::VersionString()) +
                   " — lawful AI decision support for Swedish social services.\n"
                   "This is the example CLI over the varsam library. Try `varsam demo`, or\n"
                   "`varsam id check 198001022386`, or `varsam score --list`. Every command\n"
                   "takes --help.",
               "varsam"};
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = kExitOk;
  AddVersionCommand(app, &exit_code);
  AddIdCommand(app, &exit_code);
  AddScoreCommand(app, &exit_code);
  AddDemoCommand(app, &exit_code);
  AddStoreCommand(app, &exit_code);
  AddSynthCommand(app, &exit_code);
  AddPolicyCommand(app, &exit_code);
  AddAuditCommand(app, &exit_code);
  AddAnonymizeCommand(app, &exit_code);
  AddRegisterCommand(app, &exit_code);
  AddModelCommand(app, &exit_code);
  AddOutcomesCommand(app, &exit_code);
  AddInsightCommand(app, &exit_code);
  AddReportCommand(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "varsam: " << UsageErrorMessage(e) << " (see --help)\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "varsam: internal error\n";
    return kExitSoftware;
  }
  return exit_code;
}
