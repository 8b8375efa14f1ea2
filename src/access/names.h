// The glossary ids of access.h's enums, indexed by the enum's value. Private to src/access.

#ifndef VARSAM_SRC_ACCESS_NAMES_H_
#define VARSAM_SRC_ACCESS_NAMES_H_

#include <iterator>
#include <string_view>

#include "varsam/access.h"

namespace varsam::access::internal {

inline constexpr std::string_view kRoleNames[] = {"handlaggare",   "arbetsledare", "analytiker",
                                                  "administrator", "forskare",     "system"};
inline constexpr std::string_view kOrgKindNames[] = {"socialnamnd", "privat_utforare"};
inline constexpr std::string_view kPurposeNames[] = {
    "handlaggning", "uppfoljning",    "utvardering", "kvalitetssakring",
    "tillsyn",      "administration", "statistik",   "forskning"};
inline constexpr std::string_view kCaseKindNames[] = {"anmalan", "forhandsbedomning", "utredning",
                                                      "insats", "uppfoljning"};
inline constexpr std::string_view kActionNames[] = {
    "score",           "journal.read",       "journal.write", "register.submit",
    "register.export", "register.read_rows", "insight.query", "model.train",
    "model.apply",     "decision.record",    "audit.read"};
inline constexpr std::string_view kModelKindNames[] = {"evidence_based", "register_trained"};
inline constexpr std::string_view kFieldClassNames[] = {"ordinary", "sensitive", "trade_union"};
inline constexpr std::string_view kLookupNames[] = {"earlier_reports"};
inline constexpr std::string_view kReportAboutNames[] = {"child", "adult"};
inline constexpr std::string_view kFeatureClassNames[] = {"nationality",         "ethnic_origin",
                                                          "disability",          "health_diagnosis",
                                                          "economic_assistance", "trade_union"};

static_assert(std::size(kRoleNames) == kRoleCount);
static_assert(std::size(kOrgKindNames) == kOrgKindCount);
static_assert(std::size(kPurposeNames) == kPurposeCount);
static_assert(std::size(kCaseKindNames) == kCaseKindCount);
static_assert(std::size(kActionNames) == kActionCount);
static_assert(std::size(kFeatureClassNames) == kFeatureClassCount);

}  // namespace varsam::access::internal

#endif  // VARSAM_SRC_ACCESS_NAMES_H_
