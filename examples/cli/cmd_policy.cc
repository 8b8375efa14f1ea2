// `varsam policy` (issue 5). Being written: registers nothing yet.

#include "cli.h"

namespace varsam::cli {

void AddPolicyCommand(CLI::App&, int*) {}

}  // namespace varsam::cli
