// `varsam version [--json]` (docs/cli.md).

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "varsam/core.h"

namespace varsam::cli {

void AddVersionCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("version", "Print the version of the varsam library");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json,
                "One JSON object: {\"version\": \"X.Y.Z\", \"version_number\": N}");
  cmd->callback([json, exit_code] {
    if (*json) {
      nlohmann::ordered_json out;
      out["version"] = std::string(VersionString());
      out["version_number"] = VersionNumber();
      std::cout << out.dump() << "\n";
    } else {
      std::cout << "varsam " << VersionString() << "\n";
    }
    *exit_code = kExitOk;
  });
}

}  // namespace varsam::cli
