// Aggregation in the store (varsam/insights.h; docs/insights.md, "Aggregation in the store"):
// a query as a grouping of the register's episodes, and the table from its groups.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "internal.h"
#include "varsam/core.h"
#include "varsam/insights.h"
#include "varsam/store.h"

namespace varsam::insights {

std::optional<store::EpisodeGrouping> PopulationGrouping(const Query& query) {
  if (!BandInstrument(query).empty()) return std::nullopt;
  store::EpisodeGrouping g;
  for (const Dimension d : query.dimensions) g.columns.emplace_back(DimensionName(d));
  for (const Filter& f : query.filters) {
    g.filters.push_back({std::string(DimensionName(f.dimension)), f.values});
  }
  g.margins = query.margins;
  if (query.protection.dp) g.per_person = query.protection.dp->contributions;
  return g;
}

std::optional<store::EpisodeGrouping> TableGrouping(const Query& query) {
  const MeasureKind kind = query.measure.kind;
  if (kind == MeasureKind::kMean || kind == MeasureKind::kMedian) return std::nullopt;
  std::optional<store::EpisodeGrouping> g = PopulationGrouping(query);
  if (g && kind == MeasureKind::kShare) g->outcome = query.measure.outcome;
  return g;
}

absl::StatusOr<Table> TableFromGroups(const Query& query,
                                      std::span<const store::EpisodeGroup> groups) {
  const std::size_t dims = query.dimensions.size();
  // Each dimension's levels: the values of the groups that hold an episode, sorted.
  std::vector<std::vector<std::string>> levels(dims);
  for (const store::EpisodeGroup& g : groups) {
    if (g.values.size() != dims) return absl::InternalError("insight: a group of another shape");
    if (g.episodes == 0) continue;
    for (std::size_t k = 0; k < dims; ++k) {
      if (g.values[k]) levels[k].push_back(*g.values[k]);
    }
  }
  for (std::vector<std::string>& values : levels) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
  }
  VARSAM_ASSIGN_OR_RETURN(const std::size_t cells, CountCells(levels, query.margins, kMaxCells));
  Table table = NewTable(query, std::move(levels), cells);
  const std::vector<std::size_t> stride = ShapeOf(table.levels, query.margins).stride;
  for (const store::EpisodeGroup& g : groups) {
    if (g.episodes == 0) continue;
    std::size_t index = 0;
    for (std::size_t k = 0; k < dims; ++k) {
      const std::vector<std::string>& values = table.levels[k];
      std::size_t level = values.size();  // the margin
      if (g.values[k]) {
        level = static_cast<std::size_t>(
            std::lower_bound(values.begin(), values.end(), *g.values[k]) - values.begin());
      } else if (!query.margins) {
        return absl::InternalError("insight: a margin group in a table without margins");
      }
      index += level * stride[k];
    }
    Cell& cell = table.cells[index];
    cell.episodes = g.episodes;
    cell.people = g.people;
    cell.key_sum = g.key_sum;
    cell.raw = CountMeasure(query.measure.kind, g.episodes, g.people, g.with_outcome);
  }
  // Cells no group reached hold no episode: their measure as for zero.
  for (Cell& cell : table.cells) {
    if (cell.episodes == 0) cell.raw = CountMeasure(query.measure.kind, 0, 0, 0);
  }
  return table;
}

absl::StatusOr<bool> DifferencingInStore(store::Store& store, const Query& fresh,
                                         std::span<const Query> earlier, int threshold) {
  const std::optional<store::EpisodeGrouping> f = PopulationGrouping(fresh);
  if (!f) return InvalidField("query.dimensions", "the band is compared in the library");
  // A fresh group equal to an earlier one shows nothing new, whatever else it is near.
  std::set<std::vector<std::optional<std::string>>> shown, near;
  for (const Query& old : earlier) {
    const std::optional<store::EpisodeGrouping> e = PopulationGrouping(old);
    if (!e) return InvalidField("query.dimensions", "the band is compared in the library");
    VARSAM_ASSIGN_OR_RETURN(const auto compared, store.CompareGroups(*f, *e, threshold));
    for (const store::GroupComparison& c : compared) {
      if (c.equal) shown.insert(c.values);
      if (c.near) near.insert(c.values);
    }
  }
  return std::any_of(near.begin(), near.end(),
                     [&](const auto& group) { return !shown.contains(group); });
}

}  // namespace varsam::insights
