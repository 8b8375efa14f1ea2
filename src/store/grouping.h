// Groupings of the register's episodes as SQL for both backends (private to src/store;
// varsam/store.h, Store::GroupEpisodes and Store::CompareGroups; docs/insights.md,
// "Aggregation in the store").
//
// One text for both databases but where they differ: the table's name, the parameter markers
// ($n on PostgreSQL, ?n on SQLite) and the margins (GROUP BY CUBE on PostgreSQL; on SQLite,
// which has no CUBE, a UNION ALL of one GROUP BY per subset of the columns). Column names come
// from kGroupableEpisodeColumns (Store validates a grouping first); every value is a parameter.
//
// Record keys are stored as the signed 64-bit integers of their bits. SQLite's sum() fails on an
// overflow, so the low and the high 32 bits of each key are summed apart (neither sum overflows
// below 2^31 rows) and joined modulo 2^64 when the row is read. A person's episodes with the
// lowest keys read as unsigned come first in `ORDER BY record_key < 0, record_key`.

#ifndef VARSAM_SRC_STORE_GROUPING_H_
#define VARSAM_SRC_STORE_GROUPING_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rows.h"
#include "varsam/store.h"

namespace varsam::store::internal {

struct GroupingSql {
  std::string sql;
  std::vector<std::string> params;  // text parameters 1, 2, ... in order
};

// Rows: the grouping's columns (NULL for a margin), then episodes, people, with_outcome and the
// key halves' sums; ReadGroup reads one.
GroupingSql GroupingStatement(const EpisodeGrouping& grouping, Dialect dialect);
absl::StatusOr<EpisodeGroup> ReadGroup(const Cells& cells, std::size_t columns);

// Rows: the fresh group's margin mask (bit k: column k is a margin) and its columns ("" for a
// margin), then whether an earlier group equals it and whether one is near it; ReadComparison
// reads one.
GroupingSql ComparisonStatement(const EpisodeGrouping& fresh, const EpisodeGrouping& earlier,
                                int threshold, Dialect dialect);
absl::StatusOr<GroupComparison> ReadComparison(const Cells& cells, std::size_t columns);

// A backend's way to run a statement: its SQL text with its parameters bound, each row handed
// to `row` (stopping at an error).
using RunStatement = absl::FunctionRef<absl::Status(
    const GroupingSql& statement, absl::FunctionRef<absl::Status(const Cells&)> row)>;

// Store::GroupEpisodes and Store::CompareGroups over a backend's `run`.
absl::StatusOr<std::vector<EpisodeGroup>> RunGrouping(const EpisodeGrouping& grouping,
                                                      Dialect dialect, RunStatement run);
absl::StatusOr<std::vector<GroupComparison>> RunComparison(const EpisodeGrouping& fresh,
                                                           const EpisodeGrouping& earlier,
                                                           int threshold, Dialect dialect,
                                                           RunStatement run);

}  // namespace varsam::store::internal

#endif  // VARSAM_SRC_STORE_GROUPING_H_
