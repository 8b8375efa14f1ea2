// The differencing guard's two steps (varsam/insights.h; docs/insights.md, "The differencing
// guard"): the groups of people a table shows, and the search for a fresh group that differs
// from an earlier one by a few people.
//
// Groups are compared by their symmetric difference |A \ B| + |B \ A|, which is at least
// ||A| - |B||: only earlier groups whose size lies within threshold - 1 of the fresh one's are
// merged, and a merge stops as soon as the difference reaches the threshold.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

// |a Δ b| for sorted, duplicate-free lists, counted up to `cap`.
std::int64_t SymmetricDifference(const std::vector<std::uint32_t>& a,
                                 const std::vector<std::uint32_t>& b, std::int64_t cap) {
  std::int64_t differ = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size() && differ < cap) {
    if (a[i] == b[j]) {
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++differ;
      ++i;
    } else {
      ++differ;
      ++j;
    }
  }
  return differ + static_cast<std::int64_t>((a.size() - i) + (b.size() - j));
}

}  // namespace

std::string_view BandInstrument(const Query& query) {
  const bool band = std::find(query.dimensions.begin(), query.dimensions.end(), Dimension::kBand) !=
                        query.dimensions.end() ||
                    std::any_of(query.filters.begin(), query.filters.end(),
                                [](const Filter& f) { return f.dimension == Dimension::kBand; });
  return band ? std::string_view(query.measure.instrument) : std::string_view();
}

absl::StatusOr<std::vector<std::vector<std::uint32_t>>> Populations(const Query& query,
                                                                    const Columns& columns) {
  // Who a table shows depends on its filters and dimensions (and DP's cap on episodes), not on
  // what it measures: counted as episodes, so that only the band needs its instrument joined.
  Query shape = query;
  shape.measure = Measure{};
  shape.measure.instrument = std::string(BandInstrument(query));
  // No cap on the cells: a query released when the register was smaller may have more cells
  // now, and its groups must still be compared. Only the non-empty cells are held, by index.
  VARSAM_ASSIGN_OR_RETURN(const Layout layout,
                          MakeLayout(shape, columns, std::numeric_limits<std::int64_t>::max()));
  absl::flat_hash_map<std::size_t, std::vector<std::uint32_t>> cells;
  std::vector<std::uint32_t> whole;
  // Episodes of one person are side by side: a person is appended once to each of their cells.
  std::vector<std::size_t> mine;
  for (std::size_t i = 0; i < columns.size();) {
    std::size_t j = i;
    mine.clear();
    for (; j < columns.size() && columns.person[j] == columns.person[i]; ++j) {
      if (!layout.kept[j]) continue;
      ForEachCellOf(layout, columns, j, [&](std::size_t index) { mine.push_back(index); });
    }
    if (j > i && std::any_of(layout.kept.begin() + static_cast<std::ptrdiff_t>(i),
                             layout.kept.begin() + static_cast<std::ptrdiff_t>(j),
                             [](bool k) { return k; })) {
      whole.push_back(columns.person[i]);
    }
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    for (const std::size_t c : mine) cells[c].push_back(columns.person[i]);
    i = j;
  }
  std::vector<std::vector<std::uint32_t>> groups;
  groups.reserve(cells.size() + 1);
  std::sort(whole.begin(), whole.end());
  groups.push_back(std::move(whole));
  // In the order of the cells.
  std::vector<std::size_t> order;
  order.reserve(cells.size());
  for (const auto& [index, people] : cells) order.push_back(index);
  std::sort(order.begin(), order.end());
  for (const std::size_t index : order) {
    std::vector<std::uint32_t>& c = cells[index];
    std::sort(c.begin(), c.end());
    groups.push_back(std::move(c));
  }
  return groups;
}

std::optional<Differencing> FindDifferencing(std::span<const std::vector<std::uint32_t>> fresh,
                                             std::span<const std::vector<std::uint32_t>> earlier,
                                             int threshold) {
  // The earlier groups by size.
  std::vector<std::size_t> by_size(earlier.size());
  for (std::size_t e = 0; e < earlier.size(); ++e) by_size[e] = e;
  std::sort(by_size.begin(), by_size.end(),
            [&](std::size_t a, std::size_t b) { return earlier[a].size() < earlier[b].size(); });
  const auto t = static_cast<std::int64_t>(threshold);
  const auto near = [&](std::int64_t size) {
    return std::lower_bound(by_size.begin(), by_size.end(), size - t + 1,
                            [&](std::size_t e, std::int64_t s) {
                              return static_cast<std::int64_t>(earlier[e].size()) < s;
                            });
  };
  for (std::size_t f = 0; f < fresh.size(); ++f) {
    const auto size = static_cast<std::int64_t>(fresh[f].size());
    // A group an earlier release already showed shows nothing new, whatever else it is near:
    // what it differs from by a few was already there to subtract.
    bool shown = false;
    for (auto it = near(size);
         it != by_size.end() && static_cast<std::int64_t>(earlier[*it].size()) <= size; ++it) {
      shown = shown || earlier[*it] == fresh[f];
    }
    if (shown) continue;
    for (auto it = near(size);
         it != by_size.end() && static_cast<std::int64_t>(earlier[*it].size()) < size + t; ++it) {
      const std::int64_t differ = SymmetricDifference(fresh[f], earlier[*it], t);
      if (differ > 0 && differ < t) return Differencing{f, *it, differ};
    }
  }
  return std::nullopt;
}

}  // namespace varsam::insights
