// Protecting a table before it is published (docs/insights.md, "Protection"): primary
// protection, secondary suppression proven by linear programming, then the cell key method or
// differential-privacy noise on what is published.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

}  // namespace

absl::Status Protect(Table& table, const RandomBits& bits) {
  const Query& q = table.query;
  const Protection& p = q.protection;
  const bool statistic =
      q.measure.kind == MeasureKind::kMean || q.measure.kind == MeasureKind::kMedian;
  table.methods.clear();

  // Differential privacy: noise on every count, then the threshold on the noisy count (a
  // post-processing, so the guarantee holds); no suppression is needed beside it.
  if (p.dp) {
    // One person changes each cell they lie in by at most `contributions`, and lies in at most
    // that many cells of the body, and as many of each margin combination: 2^d of them.
    const std::int64_t cells_per_person = q.margins ? (std::int64_t{1} << table.levels.size()) : 1;
    const std::int64_t sensitivity = p.dp->contributions * cells_per_person;
    // The scale sensitivity / epsilon as a fraction with epsilon in millionths.
    constexpr std::int64_t kMillion = 1000000;
    // Rounded down, so that no more than epsilon is spent.
    const auto epsilon_millionths = static_cast<std::int64_t>(std::floor(p.dp->epsilon * kMillion));
    if (epsilon_millionths <= 0) return InvalidField("query.protection.dp.epsilon", "is too small");
    for (Cell& cell : table.cells) {
      VARSAM_ASSIGN_OR_RETURN(
          const std::int64_t noise,
          SampleDiscreteLaplace(sensitivity * kMillion, epsilon_millionths, bits));
      const double noisy = std::max(0.0, cell.raw + static_cast<double>(noise));
      if (noisy == 0) {
        cell.status = CellStatus::kZero;
        cell.value = 0;
      } else if (noisy < p.threshold) {
        MarkProtected(cell, ProtectionReason::kThreshold);
        cell.value = kNaN;
      } else {
        cell.status = CellStatus::kPublished;
        cell.value = noisy;
      }
    }
    table.methods.push_back(absl::StrCat("discrete Laplace epsilon=", absl::StrCat(p.dp->epsilon),
                                         " contributions=", p.dp->contributions,
                                         " sensitivity=", sensitivity));
    table.methods.push_back(absl::StrCat("threshold ", p.threshold, " on the noisy counts"));
    return absl::OkStatus();
  }

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
