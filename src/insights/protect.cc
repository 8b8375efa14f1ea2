// Protecting a table before it is published (docs/insights.md, "Protection"): primary
// protection, secondary suppression proven by linear programming, then the cell key method or
// differential-privacy noise on what is published.
//
// Differential privacy puts discrete Laplace noise (Canonne, Kamath & Steinke 2020; dp.cc) on
// integers only: a count, or for a mean the sum of its values clamped to bounds and its count of
// values, each with the scale sensitivity / epsilon of the Laplace mechanism (Dwork & Roth 2014,
// "The Algorithmic Foundations of Differential Privacy", 3.3); the mean is their quotient, a
// post-processing (docs/insights.md, "Means: bounded sums").

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool IsCount(MeasureKind kind) {
  return kind == MeasureKind::kEpisodes || kind == MeasureKind::kPeople;
}

void MarkProtected(Cell& cell, ProtectionReason reason) {
  cell.status = CellStatus::kProtected;
  cell.reason = reason;
}

// The primary rules on one non-empty cell; kNone when it may be published.
ProtectionReason PrimaryReason(const Cell& cell, const Protection& p, bool statistic) {
  if (cell.people < p.threshold) return ProtectionReason::kThreshold;
  if (statistic && std::isnan(cell.raw)) return ProtectionReason::kNoValue;
  if (statistic && p.dominance && cell.magnitude > 0) {
    double top = 0;
    const auto n =
        std::min<std::size_t>(static_cast<std::size_t>(p.dominance->n), cell.largest.size());
    for (std::size_t i = 0; i < n; ++i) top += cell.largest[i];
    if (top > p.dominance->k / 100 * cell.magnitude) return ProtectionReason::kDominance;
  }
  if (statistic && p.p_percent && !cell.largest.empty()) {
    const double x1 = cell.largest[0];
    const double x2 = cell.largest.size() > 1 ? cell.largest[1] : 0;
    if (cell.magnitude - x1 - x2 < p.p_percent->p / 100 * x1) return ProtectionReason::kPPercent;
  }
  return ProtectionReason::kNone;
}

constexpr std::int64_t kMillion = 1000000;

// `value` plus discrete Laplace noise for an L1 sensitivity `sensitivity` and a privacy loss of
// `epsilon_millionths` / 10^6: the scale sensitivity / epsilon as the exact fraction
// sensitivity * 10^6 / epsilon_millionths (the geometric mechanism; Dwork & Roth 2014, 3.3, in
// its discrete form). Every noisy figure DP publishes, counts and sums, is drawn here.
absl::StatusOr<std::int64_t> AddNoise(std::int64_t value, std::int64_t sensitivity,
                                      std::int64_t epsilon_millionths, const RandomBits& bits) {
  std::int64_t numerator = 0;
  if (__builtin_mul_overflow(sensitivity, kMillion, &numerator)) {
    return absl::OutOfRangeError("dp: the sensitivity passes the range of a 64-bit count");
  }
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t noise,
                          SampleDiscreteLaplace(numerator, epsilon_millionths, bits));
  std::int64_t noisy = 0;
  if (__builtin_add_overflow(value, noise, &noisy)) {
    return absl::OutOfRangeError("dp: the noise passes the range of a 64-bit count");
  }
  return noisy;
}

// Epsilon in millionths, rounded down so that no more than epsilon is spent.
absl::StatusOr<std::int64_t> EpsilonMillionths(double epsilon) {
  const auto millionths = static_cast<std::int64_t>(std::floor(epsilon * kMillion));
  if (!(millionths > 0)) return InvalidField("query.protection.dp.epsilon", "is too small");
  return millionths;
}

}  // namespace

absl::Status CheckDpMeanParams(const DpParams& dp, std::string_view field) {
  if (dp.lower >= dp.upper) return InvalidField(JsonKeyPath(field, "lower"), "must be below upper");
  if (dp.lower < -kMaxDpBound) {
    return InvalidField(JsonKeyPath(field, "lower"),
                        absl::StrCat("must be at least ", -kMaxDpBound));
  }
  if (dp.upper > kMaxDpBound) {
    return InvalidField(JsonKeyPath(field, "upper"), absl::StrCat("must be at most ", kMaxDpBound));
  }
  if (!(dp.sum_share > 0 && dp.sum_share < 1)) {
    return InvalidField(JsonKeyPath(field, "sum_share"), "must be a number above 0 below 1");
  }
  return absl::OkStatus();
}

namespace {

// Differential privacy (docs/insights.md, "Differential privacy"): noise on every count, or on
// a mean's clamped sum and its count of values, then the threshold on the noisy count (a
// post-processing, so the guarantee holds); no suppression is needed beside it.
absl::Status ProtectDp(Table& table, const RandomBits& bits) {
  const Query& q = table.query;
  const Protection& p = q.protection;
  const DpParams& dp = *p.dp;
  if (q.measure.kind == MeasureKind::kShare || q.measure.kind == MeasureKind::kMedian) {
    return InvalidField("query.protection.dp", "applies to counts (episodes, people) and means");
  }
  // One person changes each cell they lie in by at most `contributions` episodes, and lies in
  // at most that many cells of the body, and as many of each margin combination: 2^d of them.
  const std::int64_t cells_per_person = q.margins ? (std::int64_t{1} << table.levels.size()) : 1;
  const std::int64_t count_sensitivity = dp.contributions * cells_per_person;
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t epsilon, EpsilonMillionths(dp.epsilon));

  if (IsCount(q.measure.kind)) {
    for (Cell& cell : table.cells) {
      VARSAM_ASSIGN_OR_RETURN(
          const std::int64_t noisy,
          AddNoise(static_cast<std::int64_t>(cell.raw), count_sensitivity, epsilon, bits));
      if (noisy <= 0) {
        cell.status = CellStatus::kZero;
        cell.value = 0;
      } else if (noisy < p.threshold) {
        MarkProtected(cell, ProtectionReason::kThreshold);
        cell.value = kNaN;
      } else {
        cell.status = CellStatus::kPublished;
        cell.value = static_cast<double>(noisy);
      }
    }
    table.methods.push_back(absl::StrCat("discrete Laplace epsilon=", absl::StrCat(dp.epsilon),
                                         " contributions=", dp.contributions,
                                         " sensitivity=", count_sensitivity));
    table.methods.push_back(absl::StrCat("threshold ", p.threshold, " on the noisy counts"));
    return absl::OkStatus();
  }

  // A mean: each value clamped to [lower, upper] moves a sum by at most max(|lower|, |upper|);
  // epsilon is split between the sum and the count of values (basic composition), the sum's
  // part rounded down and the count getting the rest, so that the two spend no more than
  // epsilon.
  VARSAM_RETURN_IF_ERROR(CheckDpMeanParams(dp, "query.protection.dp"));
  const std::int64_t bound =
      std::max(std::abs(std::int64_t{dp.lower}), std::abs(std::int64_t{dp.upper}));
  const std::int64_t sum_sensitivity = count_sensitivity * bound;
  const auto sum_epsilon =
      static_cast<std::int64_t>(std::floor(static_cast<double>(epsilon) * dp.sum_share));
  const std::int64_t count_epsilon = epsilon - sum_epsilon;
  if (sum_epsilon <= 0 || count_epsilon <= 0) {
    return InvalidField("query.protection.dp.sum_share",
                        "leaves no epsilon to the sum or the count");
  }
  for (Cell& cell : table.cells) {
    VARSAM_ASSIGN_OR_RETURN(cell.noisy_sum,
                            AddNoise(cell.clamped_sum, sum_sensitivity, sum_epsilon, bits));
    VARSAM_ASSIGN_OR_RETURN(cell.noisy_values,
                            AddNoise(cell.values, count_sensitivity, count_epsilon, bits));
    if (cell.noisy_values < p.threshold) {
      MarkProtected(cell, ProtectionReason::kThreshold);
      cell.value = kNaN;
      continue;
    }
    cell.status = CellStatus::kPublished;
    cell.reason = ProtectionReason::kNone;
    cell.value =
        std::clamp(static_cast<double>(cell.noisy_sum) / static_cast<double>(cell.noisy_values),
                   static_cast<double>(dp.lower), static_cast<double>(dp.upper));
  }
  const double millionth = 1.0 / kMillion;
  table.methods.push_back(
      absl::StrCat("discrete Laplace epsilon=", absl::StrCat(dp.epsilon), " (sum ",
                   absl::StrCat(static_cast<double>(sum_epsilon) * millionth), ", count ",
                   absl::StrCat(static_cast<double>(count_epsilon) * millionth), ") bounds [",
                   dp.lower, ", ", dp.upper, "] contributions=", dp.contributions,
                   " sum sensitivity=", sum_sensitivity, " count sensitivity=", count_sensitivity));
  table.methods.push_back(
      absl::StrCat("threshold ", p.threshold, " on the noisy counts of values"));
  return absl::OkStatus();
}

}  // namespace

absl::Status Protect(Table& table, const RandomBits& bits) {
  const Query& q = table.query;
  const Protection& p = q.protection;
  const bool statistic =
      q.measure.kind == MeasureKind::kMean || q.measure.kind == MeasureKind::kMedian;
  table.methods.clear();

  if (p.dp) return ProtectDp(table, bits);

  // Primary protection.
  std::vector<bool> primary(table.cells.size(), false);
  for (std::size_t c = 0; c < table.cells.size(); ++c) {
    Cell& cell = table.cells[c];
    if (cell.episodes == 0) {
      cell.status = CellStatus::kZero;
      cell.reason = ProtectionReason::kNone;
      continue;
    }
    const ProtectionReason reason = PrimaryReason(cell, p, statistic);
    if (reason != ProtectionReason::kNone) {
      MarkProtected(cell, reason);
      primary[c] = true;
    } else {
      cell.status = CellStatus::kPublished;
      cell.reason = ProtectionReason::kNone;
    }
  }
  table.methods.push_back(absl::StrCat("threshold ", p.threshold, " people"));
  if (p.dominance) {
    table.methods.push_back(
        absl::StrCat("dominance (", p.dominance->n, ",", absl::StrCat(p.dominance->k), ")"));
  }
  if (p.p_percent)
    table.methods.push_back(absl::StrCat("p% rule p=", absl::StrCat(p.p_percent->p)));

  // Secondary suppression over the table's counts: episodes are additive; people are not (a
  // person may lie in several parts); a statistic's pattern is chosen on its counts of values.
  const bool any_primary = std::find(primary.begin(), primary.end(), true) != primary.end();
  if (q.margins && p.secondary && any_primary) {
    const bool people = q.measure.kind == MeasureKind::kPeople;
    std::vector<double> values(table.cells.size()), levels(table.cells.size());
    for (std::size_t c = 0; c < table.cells.size(); ++c) {
      const Cell& cell = table.cells[c];
      const double x = static_cast<double>(people      ? cell.people
                                           : statistic ? cell.values
                                                       : cell.episodes);
      values[c] = x;
      levels[c] = std::max<double>(p.threshold, std::ceil(p.protection_share * x));
    }
    const std::vector<Relation> relations = TableRelations(table, !people);
    // std::vector<bool> has no span: the flags as an array of bool.
    const auto flags = std::make_unique<bool[]>(primary.size());
    std::copy(primary.begin(), primary.end(), flags.get());
    VARSAM_ASSIGN_OR_RETURN(
        const SuppressionResult result,
        SuppressSecondary(values, relations, std::span(flags.get(), primary.size()), levels));
    for (std::size_t c = 0; c < table.cells.size(); ++c) {
      if (result.suppressed[c] && !primary[c])
        MarkProtected(table.cells[c], ProtectionReason::kSecondary);
    }
    table.methods.push_back(
        absl::StrCat("secondary suppression (linear programming): ", result.complementary,
                     " complementary cells, protection share ", absl::StrCat(p.protection_share)));
  }

  // What is published, with the cell key's noise on counts.
  std::optional<PTable> ptable;
  if (p.cell_key) {
    VARSAM_ASSIGN_OR_RETURN(ptable, PTable::Build(*p.cell_key));
    table.methods.push_back(absl::StrCat("cell key D=", p.cell_key->max_deviation,
                                         " V=", absl::StrCat(p.cell_key->variance),
                                         " js=", p.cell_key->js));
  }
  for (Cell& cell : table.cells) {
    switch (cell.status) {
      case CellStatus::kProtected: cell.value = kNaN; break;
      case CellStatus::kZero: cell.value = IsCount(q.measure.kind) ? 0 : kNaN; break;
      case CellStatus::kPublished:
        cell.value = cell.raw;
        if (ptable && IsCount(q.measure.kind)) {
          const auto count = static_cast<std::int64_t>(cell.raw);
          cell.value = static_cast<double>(count + ptable->Perturbation(count, cell.key_sum));
          if (cell.value == 0) cell.status = CellStatus::kZero;
        }
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace varsam::insights
