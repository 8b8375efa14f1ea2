// Groupings of the register's episodes as SQL for both backends (grouping.h).

#include "grouping.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rows.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::store::internal {
namespace {

// The statement being written: its parameters and the dialect's spellings.
class Writer {
 public:
  explicit Writer(Dialect dialect) : dialect_(dialect) {}

  // The marker of a new text parameter holding `value`.
  std::string Param(const std::string& value) {
    params_.push_back(value);
    return Cat({dialect_ == Dialect::kPostgres ? "$" : "?", std::to_string(params_.size())});
  }
  std::string_view table() const {
    return dialect_ == Dialect::kPostgres ? "varsam_register.episodes" : "episodes";
  }
  bool cube() const { return dialect_ == Dialect::kPostgres; }
  GroupingSql Finish(std::string sql) { return {std::move(sql), std::move(params_)}; }

 private:
  Dialect dialect_;
  std::vector<std::string> params_;
};

// The episodes `g` keeps: its filters, then at most per_person of each person's, lowest keys
// (read as unsigned) first.
std::string Kept(const EpisodeGrouping& g, Writer& w) {
  std::string where;
  for (const EpisodeGrouping::Filter& f : g.filters) {
    where += where.empty() ? " WHERE " : " AND ";
    if (f.values.empty()) {
      where += "1 = 0";
      continue;
    }
    where += f.column + " IN (";
    for (std::size_t i = 0; i < f.values.size(); ++i) {
      where += (i == 0 ? "" : ", ") + w.Param(f.values[i]);
    }
    where += ")";
  }
  if (g.per_person == 0) return Cat({"SELECT * FROM ", w.table(), where});
  constexpr std::string_view kNumbered =
      "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY pseudonym, key_epoch "
      "ORDER BY record_key < 0, record_key) AS nth FROM ";
  return Cat({kNumbered, w.table(), where, ") AS w WHERE nth <= ", std::to_string(g.per_person)});
}

// The subsets of the columns a grouping groups by, as masks (bit k: column k is a margin): all
// of them with margins, else the columns themselves; `whole` adds the mask of no column.
std::vector<unsigned> Subsets(const EpisodeGrouping& g, bool whole) {
  const unsigned all = (1U << g.columns.size()) - 1;
  std::vector<unsigned> masks;
  if (g.margins) {
    for (unsigned m = 0; m <= all; ++m) masks.push_back(m);
  } else {
    masks.push_back(0);
    if (whole && all != 0) masks.push_back(all);
  }
  return masks;
}

// "a, b, c" from `n` names made by `name(k)`; with `lead`, each after ", ".
template <typename F>
std::string List(std::size_t n, F&& name, bool lead = false) {
  std::string out;
  for (std::size_t k = 0; k < n; ++k) {
    out += (lead || k > 0 ? ", " : "");
    out += name(k);
  }
  return out;
}

// The members of a grouping's groups for the comparison: (p, <prefix>mask, <prefix>0, ...), a
// person once per group, with "" for a margin.
std::string Members(const EpisodeGrouping& g, std::string_view prefix, std::string_view kept) {
  const std::size_t d = g.columns.size();
  std::string branches;
  for (const unsigned mask : Subsets(g, true)) {
    if (!branches.empty()) branches += " UNION ALL ";
    branches += Cat({"SELECT pseudonym || ':' || key_epoch AS p, ", std::to_string(mask), " AS ",
                     prefix, "mask",
                     List(
                         d,
                         [&](std::size_t k) {
                           return Cat({(mask >> k) & 1U ? "''" : g.columns[k], " AS ", prefix,
                                       std::to_string(k)});
                         },
                         true),
                     " FROM ", kept});
  }
  const auto names = [&](std::size_t k) { return Cat({prefix, std::to_string(k)}); };
  return Cat(
      {"SELECT DISTINCT p, ", prefix, "mask", List(d, names, true), " FROM (", branches, ") AS x"});
}

// Each group's size; a grouping that keeps no episode has its whole population, empty.
std::string Sizes(const EpisodeGrouping& g, std::string_view prefix, std::string_view members,
                  std::string_view kept) {
  const std::size_t d = g.columns.size();
  const auto names = [&](std::size_t k) { return Cat({prefix, std::to_string(k)}); };
  const std::string columns = Cat({prefix, "mask", List(d, names, true)});
  return Cat({"SELECT ", columns, ", count(*) AS ", prefix, "n FROM ", members, " GROUP BY ",
              columns, " UNION ALL SELECT ", std::to_string((1U << d) - 1),
              List(
                  d, [](std::size_t) { return std::string("''"); }, true),
              ", 0 WHERE NOT EXISTS (SELECT 1 FROM ", kept, ")"});
}

std::optional<std::int64_t> IntAt(const Cells& cells, std::size_t column) {
  return cells.Int(static_cast<int>(column));
}

}  // namespace

GroupingSql GroupingStatement(const EpisodeGrouping& g, Dialect dialect) {
  Writer w(dialect);
  const std::size_t d = g.columns.size();
  const std::string kept = Kept(g, w);
  const std::string outcome = g.outcome.empty()
                                  ? "0"
                                  : Cat({"coalesce(sum(CASE WHEN outcome = ", w.Param(g.outcome),
                                         " THEN 1 ELSE 0 END), 0)"});
  const std::string aggregates =
      Cat({"count(*), count(DISTINCT pseudonym || ':' || key_epoch), ", outcome,
           ", coalesce(sum(record_key & 4294967295), 0), "
           "coalesce(sum((record_key >> 32) & 4294967295), 0)"});
  const auto column = [&](std::size_t k) { return g.columns[k]; };
  std::string sql = Cat({"WITH kept AS (", kept, ") "});
  if (w.cube() || !g.margins || d == 0) {
    // One statement: the columns themselves, or (PostgreSQL) their cube.
    sql += Cat({"SELECT ", List(d, column), d == 0 ? "" : ", ", aggregates, " FROM kept"});
    if (d > 0) {
      sql += g.margins ? Cat({" GROUP BY CUBE (", List(d, column), ")"})
                       : Cat({" GROUP BY ", List(d, column)});
    }
  } else {
    for (const unsigned mask : Subsets(g, false)) {
      if (mask != 0) sql += " UNION ALL ";
      std::string grouped;
      for (std::size_t k = 0; k < d; ++k) {
        if ((mask >> k) & 1U) continue;
        grouped += Cat({grouped.empty() ? "" : ", ", g.columns[k]});
      }
      sql += Cat({"SELECT ",
                  List(d, [&](std::size_t k) { return (mask >> k) & 1U ? "NULL" : g.columns[k]; }),
                  ", ", aggregates, " FROM kept",
                  grouped.empty() ? "" : Cat({" GROUP BY ", grouped})});
    }
  }
  return w.Finish(std::move(sql));
}

absl::StatusOr<EpisodeGroup> ReadGroup(const Cells& cells, std::size_t columns) {
  EpisodeGroup group;
  group.values.resize(columns);
  for (std::size_t k = 0; k < columns; ++k) {
    if (!cells.IsNull(static_cast<int>(k))) group.values[k] = cells.Text(static_cast<int>(k));
  }
  const auto episodes = IntAt(cells, columns), people = IntAt(cells, columns + 1),
             with_outcome = IntAt(cells, columns + 2), low = IntAt(cells, columns + 3),
             high = IntAt(cells, columns + 4);
  if (!episodes || !people || !with_outcome || !low || !high) {
    return absl::DataLossError("register: a grouping's row holds no count");
  }
  group.episodes = *episodes;
  group.people = *people;
  group.with_outcome = *with_outcome;
  // Modulo 2^64: unsigned arithmetic wraps.
  group.key_sum = static_cast<std::uint64_t>(*low) + (static_cast<std::uint64_t>(*high) << 32U);
  return group;
}

GroupingSql ComparisonStatement(const EpisodeGrouping& fresh, const EpisodeGrouping& earlier,
                                int threshold, Dialect dialect) {
  Writer w(dialect);
  const std::size_t df = fresh.columns.size(), de = earlier.columns.size();
  const std::string t = std::to_string(threshold);
  const auto f = [](std::size_t k) { return Cat({"f", std::to_string(k)}); };
  const auto e = [](std::size_t k) { return Cat({"e", std::to_string(k)}); };
  const std::string fresh_group = Cat({"fmask", List(df, f, true)});
  const std::string earlier_group = Cat({"emask", List(de, e, true)});
  // The pair of groups, joined column by column (no value is NULL: a margin is "").
  std::string same_pair = "pairs.fmask = inter.fmask AND pairs.emask = inter.emask";
  for (std::size_t k = 0; k < df; ++k) same_pair += Cat({" AND pairs.", f(k), " = inter.", f(k)});
  for (std::size_t k = 0; k < de; ++k) same_pair += Cat({" AND pairs.", e(k), " = inter.", e(k)});
  std::string sql = Cat({"WITH fk AS (", Kept(fresh, w), "), ek AS (", Kept(earlier, w), "), "});
  sql +=
      Cat({"fm AS (", Members(fresh, "f", "fk"), "), em AS (", Members(earlier, "e", "ek"), "), "});
  sql += Cat({"fs AS (", Sizes(fresh, "f", "fm", "fk"), "), es AS (",
              Sizes(earlier, "e", "em", "ek"), "), "});
  // Only groups of sizes within the threshold can be near: the people of the others are never
  // compared.
  sql += Cat({"pairs AS (SELECT * FROM fs JOIN es ON abs(fn - en) < ", t, "), "});
  sql += Cat({"fc AS (SELECT DISTINCT ", fresh_group, " FROM pairs), ", "ec AS (SELECT DISTINCT ",
              earlier_group, " FROM pairs), "});
  sql += Cat({"inter AS (SELECT a.fmask",
              List(
                  df, [&](std::size_t k) { return "a." + f(k); }, true),
              ", b.emask",
              List(
                  de, [&](std::size_t k) { return "b." + e(k); }, true),
              ", count(*) AS n FROM (SELECT fm.* FROM fm JOIN fc USING (", fresh_group,
              ")) AS a JOIN (SELECT em.* FROM em JOIN ec USING (", earlier_group,
              ")) AS b ON a.p = b.p GROUP BY a.fmask",
              List(
                  df, [&](std::size_t k) { return "a." + f(k); }, true),
              ", b.emask",
              List(
                  de, [&](std::size_t k) { return "b." + e(k); }, true),
              ") "});
  constexpr std::string_view kVerdicts =
      ", max(CASE WHEN d = 0 THEN 1 ELSE 0 END), max(CASE WHEN d > 0 THEN 1 ELSE 0 END) "
      "FROM (SELECT pairs.fmask";
  sql += Cat({"SELECT ", fresh_group, kVerdicts,
              List(
                  df, [&](std::size_t k) { return "pairs." + f(k); }, true),
              ", fn + en - 2 * coalesce(inter.n, 0) AS d FROM pairs LEFT JOIN inter ON ", same_pair,
              ") AS x WHERE d < ", t, " GROUP BY ", fresh_group});
  return w.Finish(std::move(sql));
}

absl::StatusOr<GroupComparison> ReadComparison(const Cells& cells, std::size_t columns) {
  const std::optional<std::int64_t> mask = cells.Int(0);
  const auto equal = IntAt(cells, columns + 1), near = IntAt(cells, columns + 2);
  if (!mask || !equal || !near) return absl::DataLossError("register: a comparison's row is short");
  GroupComparison c;
  c.values.resize(columns);
  for (std::size_t k = 0; k < columns; ++k) {
    if (((static_cast<std::uint64_t>(*mask) >> k) & 1U) == 0) {
      c.values[k] = cells.Text(static_cast<int>(k + 1));
    }
  }
  c.equal = *equal != 0;
  c.near = *near != 0;
  return c;
}

absl::StatusOr<std::vector<EpisodeGroup>> RunGrouping(const EpisodeGrouping& grouping,
                                                      Dialect dialect, RunStatement run) {
  std::vector<EpisodeGroup> groups;
  VARSAM_RETURN_IF_ERROR(
      run(GroupingStatement(grouping, dialect), [&](const Cells& cells) -> absl::Status {
        VARSAM_ASSIGN_OR_RETURN(EpisodeGroup g, ReadGroup(cells, grouping.columns.size()));
        groups.push_back(std::move(g));
        return absl::OkStatus();
      }));
  return groups;
}

absl::StatusOr<std::vector<GroupComparison>> RunComparison(const EpisodeGrouping& fresh,
                                                           const EpisodeGrouping& earlier,
                                                           int threshold, Dialect dialect,
                                                           RunStatement run) {
  std::vector<GroupComparison> found;
  VARSAM_RETURN_IF_ERROR(run(ComparisonStatement(fresh, earlier, threshold, dialect),
                             [&](const Cells& cells) -> absl::Status {
                               VARSAM_ASSIGN_OR_RETURN(GroupComparison c,
                                                       ReadComparison(cells, fresh.columns.size()));
                               found.push_back(std::move(c));
                               return absl::OkStatus();
                             }));
  return found;
}

}  // namespace varsam::store::internal
