// libFuzzer target: the insight query loader (varsam::insights::ParseQuery) and the canonical
// form the audit log records and the differencing guard compares (QueryJson).
//
// The input is a query's JSON text, as varsam_insight_query and `varsam insight --query` take it
// (docs/insights.md, "The query"). It must be refused with InvalidArgument naming a field of
// "query", or read into a query that keeps the loader's promises (varsam/insights.h): at most 4
// dimensions and none repeated; filters on distinct dimensions, each with 1 to 200 sorted,
// distinct values; a share with its outcome, a mean or a median with its quantity (and its
// instrument unless of the duration); a threshold of 2..1000, a protection share in [0, 1],
// finite parameters in their ranges, never the cell key and DP together, the cell key never on
// a magnitude, DP on a count or a mean (then with bounds lower < upper within kMaxDpBound and a
// sum share in (0, 1)) and never beside the magnitude rules. A query that loads is written in its
// canonical form, which must load again and be written to the very same bytes (a fixed point):
// otherwise two equal queries could be recorded differently, and the differencing guard or an
// auditor would compare the wrong texts. Seeds: tests/fuzz/corpus/insight_query/; dictionary:
// tests/fuzz/dict/insight_query.dict.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "varsam/insights.h"

namespace {

namespace insights = varsam::insights;

bool IsCount(insights::MeasureKind kind) {
  return kind == insights::MeasureKind::kEpisodes || kind == insights::MeasureKind::kPeople;
}

bool IsStatistic(insights::MeasureKind kind) {
  return kind == insights::MeasureKind::kMean || kind == insights::MeasureKind::kMedian;
}

// The promises of a query that loaded (varsam/insights.h, ParseQuery).
void CheckLoaded(const insights::Query& q) {
  REQUIRE(q.dimensions.size() <= 4);
  std::set<insights::Dimension> seen(q.dimensions.begin(), q.dimensions.end());
  REQUIRE(seen.size() == q.dimensions.size());
  for (const insights::Dimension d : q.dimensions) {
    REQUIRE(insights::ParseDimension(insights::DimensionName(d)) == d);
  }
  std::set<insights::Dimension> filtered;
  for (const insights::Filter& f : q.filters) {
    REQUIRE(filtered.insert(f.dimension).second);
    REQUIRE(!f.values.empty() && f.values.size() <= 200);
    REQUIRE(std::is_sorted(f.values.begin(), f.values.end()));
    REQUIRE(std::adjacent_find(f.values.begin(), f.values.end()) == f.values.end());
  }
  const insights::Measure& m = q.measure;
  REQUIRE((m.kind == insights::MeasureKind::kShare) == !m.outcome.empty());
  if (IsStatistic(m.kind) && m.of != insights::Quantity::kDuration) {
    REQUIRE(!m.instrument.empty());
  }
  const insights::Protection& p = q.protection;
  REQUIRE(p.threshold >= 2 && p.threshold <= 1000);
  REQUIRE(std::isfinite(p.protection_share) && p.protection_share >= 0 && p.protection_share <= 1);
  if (p.dominance) {
    REQUIRE(p.dominance->n >= 1 && p.dominance->n <= insights::kMaxContributors);
    REQUIRE(std::isfinite(p.dominance->k) && p.dominance->k > 0 && p.dominance->k <= 100);
  }
  if (p.p_percent) {
    REQUIRE(std::isfinite(p.p_percent->p) && p.p_percent->p > 0 && p.p_percent->p <= 100);
  }
  if (p.dominance || p.p_percent) REQUIRE(IsStatistic(m.kind));
  if (p.cell_key) {
    REQUIRE(IsCount(m.kind));
    REQUIRE(p.cell_key->max_deviation >= 1);
    REQUIRE(std::isfinite(p.cell_key->variance) && p.cell_key->variance > 0);
    REQUIRE(p.cell_key->js >= 0);
  }
  if (p.dp) {
    REQUIRE((IsCount(m.kind) || m.kind == insights::MeasureKind::kMean));
    REQUIRE(!p.cell_key);
    REQUIRE(!p.dominance);
    REQUIRE(!p.p_percent);
    REQUIRE(std::isfinite(p.dp->epsilon) && p.dp->epsilon > 0);
    REQUIRE(p.dp->contributions >= 1);
    if (m.kind == insights::MeasureKind::kMean) {
      REQUIRE(p.dp->lower < p.dp->upper);
      REQUIRE(p.dp->lower >= -insights::kMaxDpBound);
      REQUIRE(p.dp->upper <= insights::kMaxDpBound);
      REQUIRE(p.dp->sum_share > 0);
      REQUIRE(p.dp->sum_share < 1);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto query = insights::ParseQuery(text);
  if (!query.ok()) {
    REQUIRE(query.status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(varsam::StatusMessage(query.status()).starts_with("query"));
    return 0;
  }
  CheckLoaded(*query);

  // The canonical form loads again, to the same query and the same bytes.
  const std::string canonical = insights::QueryJson(*query);
  const auto again = insights::ParseQuery(canonical);
  REQUIRE(again.ok());
  CheckLoaded(*again);
  REQUIRE(insights::QueryJson(*again) == canonical);
  REQUIRE(again->dimensions == query->dimensions);
  REQUIRE(again->filters.size() == query->filters.size());
  REQUIRE(again->margins == query->margins);
  return 0;
}
