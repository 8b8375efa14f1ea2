// What the insights component's sources share: a query's layout over the register's columns
// (which episodes it keeps, each dimension's levels, and the cells an episode lies in).

#ifndef VARSAM_SRC_INSIGHTS_INTERNAL_H_
#define VARSAM_SRC_INSIGHTS_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/insights.h"

namespace varsam::insights {

// OK, or InvalidArgument naming `field`.D, .V or .js when the cell key parameters admit no
// p-table (PTable::Build's checks; the query loader names its own field).
absl::Status CheckCellKeyParams(const CellKeyParams& params, std::string_view field);

// OK, or InvalidArgument naming `field`.lower, .upper or .sum_share when a mean's DP parameters
// admit no bounded sum: lower below upper, both within kMaxDpBound, sum_share above 0 below 1
// (ProtectDp's checks; the query loader names its own field).
absl::Status CheckDpMeanParams(const DpParams& dp, std::string_view field);

// How a table's cells are numbered: cell index = sum over dimensions k of level_k * stride[k],
// level_k in [0, radix[k]), the margin (with margins) being level levels[k].size(); the first
// dimension varies slowest.
struct Shape {
  std::vector<std::size_t> radix, stride;
};
Shape ShapeOf(const std::vector<std::vector<std::string>>& levels, bool margins);

// A table's shape over columns (Shape's numbering).
struct Layout {
  std::vector<bool> kept;              // per episode: the filters (and DP's cap) keep it
  std::vector<std::size_t> dimension;  // per query dimension, its column
  std::vector<std::vector<std::int32_t>>
      level_of;                                  // per dimension, code -> level (kMargin: absent)
  std::vector<std::vector<std::string>> levels;  // per dimension, the values present, sorted
  std::vector<std::size_t> radix, stride;
  std::size_t cells = 0;
  std::size_t subsets = 1;  // 2^dimensions with margins, else 1
};

// The layout of `query` over `columns`; InvalidArgument naming the field for a query the columns
// cannot answer or a table past `max_cells` (a table to publish: kMaxCells; the differencing
// guard's view of an earlier query on a register that has grown since: no cap).
absl::StatusOr<Layout> MakeLayout(const Query& query, const Columns& columns,
                                  std::int64_t max_cells = kMaxCells);

// The number of cells of a table with these levels per dimension (and a margin on each, with
// `margins`); InvalidArgument naming query.dimensions past `max_cells`. A dimension with no
// level (nothing kept) leaves a table of no cells but its margin.
absl::StatusOr<std::size_t> CountCells(const std::vector<std::vector<std::string>>& levels,
                                       bool margins, std::int64_t max_cells);

// A table of `query` with these levels and `cells` cells, each with its levels set (the first
// dimension varies slowest, kMargin last on each) and nothing counted yet.
Table NewTable(const Query& query, std::vector<std::vector<std::string>> levels, std::size_t cells);

// A count or a share as the cell's measure before protection: episodes, people, or the share of
// episodes with the outcome (NaN for no episode).
double CountMeasure(MeasureKind kind, std::int64_t episodes, std::int64_t people,
                    std::int64_t with_outcome);

// Calls `cell(index)` for each cell a kept episode `i` lies in: its own and, with margins, each
// one with some of its levels replaced by the margin.
template <typename F>
void ForEachCellOf(const Layout& layout, const Columns& columns, std::size_t i, F&& cell) {
  const std::size_t dims = layout.dimension.size();
  for (std::size_t mask = 0; mask < layout.subsets; ++mask) {
    std::size_t index = 0;
    for (std::size_t k = 0; k < dims; ++k) {
      const std::size_t level =
          (mask >> k) & 1U
              ? layout.levels[k].size()
              : static_cast<std::size_t>(layout.level_of[k][columns.codes[layout.dimension[k]][i]]);
      index += level * layout.stride[k];
    }
    cell(index);
  }
}

}  // namespace varsam::insights

#endif  // VARSAM_SRC_INSIGHTS_INTERNAL_H_
