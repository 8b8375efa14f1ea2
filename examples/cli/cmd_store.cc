// `varsam store` (issue 4). Being written: registers nothing yet.

#include "cli.h"

namespace varsam::cli {

void AddStoreCommand(CLI::App&, int*) {}

}  // namespace varsam::cli
