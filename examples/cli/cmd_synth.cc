// `varsam synth` (issue 4). Being written: registers nothing yet.

#include "cli.h"

namespace varsam::cli {

void AddSynthCommand(CLI::App&, int*) {}

}  // namespace varsam::cli
