// Part of the insights component (varsam/insights.h); filled in as the component is built.

#include "varsam/insights.h"

namespace varsam::insights {}  // namespace varsam::insights
