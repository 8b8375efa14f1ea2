// Protecting a table before it is published (docs/insights.md, "Protection").

#include <string_view>

#include "varsam/insights.h"

namespace varsam::insights {

std::string_view ProtectionReasonName(ProtectionReason reason) {
  switch (reason) {
    case ProtectionReason::kNone: return "";
    case ProtectionReason::kThreshold: return "threshold";
    case ProtectionReason::kDominance: return "dominance";
    case ProtectionReason::kPPercent: return "p_percent";
    case ProtectionReason::kSecondary: return "secondary";
    case ProtectionReason::kNoValue: return "no_value";
  }
  return "";
}

}  // namespace varsam::insights
