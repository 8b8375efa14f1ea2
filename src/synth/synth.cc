// The synthetic population (issue 4). Being written.

namespace varsam::synth {}  // namespace varsam::synth
