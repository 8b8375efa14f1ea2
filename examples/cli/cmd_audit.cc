// `varsam audit` (issue 5). Being written: registers nothing yet.

#include "cli.h"

namespace varsam::cli {

void AddAuditCommand(CLI::App&, int*) {}

}  // namespace varsam::cli
