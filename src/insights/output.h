// What the outputs of an insight table share (output.cc: JSON and CSV; html.cc: the page): the
// value a cell publishes, its flag, and the markers. Private to the insights component.

#ifndef VARSAM_SRC_INSIGHTS_OUTPUT_H_
#define VARSAM_SRC_INSIGHTS_OUTPUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "varsam/insights.h"

namespace varsam::insights {

// Shares, means and medians are published to this many decimals (counts are whole numbers).
inline constexpr int kValueDecimals = 3;
inline constexpr double kValueScale = 1000;  // 10^kValueDecimals

// The markers of Swedish official statistics (Statistics Sweden): not published, zero, total.
inline constexpr std::string_view kProtectedMarker = "..";
inline constexpr std::string_view kZeroMarker = "\u2013";  // – EN DASH
inline constexpr std::string_view kMarginText = "Totalt";
// The flag of a cell protected for disclosure, whichever rule protected it.
inline constexpr std::string_view kConfidentialFlag = "confidential";

// Whether the measure is a count (episodes, people): published as a whole number.
bool IsCount(MeasureKind kind);

// What a cell publishes: nothing when protected (or when it has no finite value), 0 for a zero
// count, a whole number for a count, otherwise the value rounded to kValueDecimals.
std::optional<double> PublishedValue(const Table& table, const Cell& cell);

// "" for a published or zero cell; "no_value" for a mean or median without a value; otherwise
// kConfidentialFlag (never which disclosure rule).
std::string_view PublishedFlag(const Cell& cell);

// A published value with a decimal point: a count as a whole number, otherwise at most
// kValueDecimals decimals with trailing zeros dropped; never "-0".
std::string FormatValue(double value, bool count);

// The text of a cell's level on `dimension`, or nullptr for kMargin or an index out of range.
const std::string* LevelText(const Table& table, std::size_t dimension, std::int32_t level);

}  // namespace varsam::insights

#endif  // VARSAM_SRC_INSIGHTS_OUTPUT_H_
