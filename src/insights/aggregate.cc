// Aggregation of a query over the register's columns (docs/insights.md, "Aggregation"), and the
// linear relations of the resulting table.
//
// One pass over the episodes, one person at a time (BuildColumns keeps a person's episodes side
// by side): each kept episode adds to its cell and, with margins, to the 2^d - 1 margin cells
// above it; the person is then counted once in each cell they touched, with their contribution
// to the cell's magnitude (the dominance and p % rules count people, not rows).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal.h"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Accumulator {
  double sum = 0;
  std::int64_t with_outcome = 0;
  std::vector<double> values;  // medians only
};

// A value clamped to [lower, upper] and rounded to the nearest whole number, halves to even (a
// duration of whole and half months is not pushed up). The bounds are whole, so the result
// stays within them.
std::int64_t ClampedUnit(double x, int lower, int upper) {
  const double c = std::clamp(x, static_cast<double>(lower), static_cast<double>(upper));
  double r = std::round(c);  // halves away from zero
  if (std::abs(c - std::trunc(c)) == 0.5) r = 2 * std::round(c / 2);
  return static_cast<std::int64_t>(r);
}

bool IsStatistic(MeasureKind kind) {
  return kind == MeasureKind::kMean || kind == MeasureKind::kMedian;
}

double Median(std::vector<double>& v) {
  if (v.empty()) return kNaN;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

// Counts and shares, the fast way: every quantity but people is additive, so it is summed into
// the body's cells (no margin on any dimension) and then carried into the margins, dimension by
// dimension. A person whose kept episodes all lie in one body cell is counted there and carried
// the same way; a person spread over several body cells is counted in each once, and in each
// margin cell above them once (their cells expanded, duplicates removed).
void AggregateCounts(const Layout& layout, const Columns& columns, std::uint32_t outcome_code,
                     Table& table) {
  const std::size_t cells = layout.cells;
  const std::size_t n = columns.size();
  const std::size_t dims = layout.dimension.size();
  const std::vector<std::uint32_t>& outcome =
      columns.codes[static_cast<std::size_t>(Dimension::kOutcome)];
  std::vector<std::int64_t> episodes(cells, 0), with_outcome(cells, 0), carried(cells, 0),
      direct(cells, 0);
  std::vector<std::uint64_t> keys(cells, 0);
  // Each episode's body cell, one dimension at a time (a tight loop per column).
  std::vector<std::uint32_t> body(n, 0);
  for (std::size_t k = 0; k < dims; ++k) {
    const std::vector<std::uint32_t>& codes = columns.codes[layout.dimension[k]];
    const std::vector<std::int32_t>& level_of = layout.level_of[k];
    const auto stride = static_cast<std::uint32_t>(layout.stride[k]);
    for (std::size_t i = 0; i < n; ++i) {
      // An episode the filters drop may have a code without a level (kMargin): it is skipped
      // below, so its body is never used.
      body[i] += static_cast<std::uint32_t>(level_of[codes[i]]) * stride;
    }
  }
  std::vector<std::size_t> bodies, spread, to_margin(dims);
  for (std::size_t i = 0; i < n;) {
    bodies.clear();
    std::size_t j = i;
    std::size_t first = cells;  // the person's first body cell; cells: none yet
    bool several = false;
    for (; j < n && columns.person[j] == columns.person[i]; ++j) {
      if (!layout.kept[j]) continue;
      const std::size_t b = body[j];
      ++episodes[b];
      keys[b] += columns.record_key[j];  // modulo 2^64
      with_outcome[b] += outcome[j] == outcome_code ? 1 : 0;
      if (first == cells) first = b;
      several = several || b != first;
      bodies.push_back(b);
    }
    i = j;
    if (first == cells) continue;
    if (!several) {
      ++carried[first];
      continue;
    }
    std::sort(bodies.begin(), bodies.end());
    bodies.erase(std::unique(bodies.begin(), bodies.end()), bodies.end());
    spread.clear();
    for (const std::size_t b : bodies) {
      ++direct[b];
      // The margin cells above the body cell: each non-empty subset of its levels replaced by
      // the margin, that is, b plus the step to the margin of each dimension in the subset.
      for (std::size_t k = 0; k < dims; ++k) {
        const std::size_t level = (b / layout.stride[k]) % layout.radix[k];
        to_margin[k] = (layout.levels[k].size() - level) * layout.stride[k];
      }
      for (std::size_t mask = 1; mask < layout.subsets; ++mask) {
        std::size_t index = b;
        for (std::size_t k = 0; k < dims; ++k) index += (mask >> k) & 1U ? to_margin[k] : 0;
        spread.push_back(index);
      }
    }
    std::sort(spread.begin(), spread.end());
    spread.erase(std::unique(spread.begin(), spread.end()), spread.end());
    for (const std::size_t c : spread) ++direct[c];
  }
  // Carried into the margins: for each dimension, every cell not at its margin adds to the cell
  // at its margin (the margin cells of earlier dimensions included, so each margin gets all).
  if (layout.subsets > 1) {
    for (std::size_t k = 0; k < dims; ++k) {
      const std::size_t margin = layout.levels[k].size();
      for (std::size_t c = 0; c < cells; ++c) {
        const std::size_t level = (c / layout.stride[k]) % layout.radix[k];
        if (level == margin) continue;
        const std::size_t to = c + (margin - level) * layout.stride[k];
        episodes[to] += episodes[c];
        with_outcome[to] += with_outcome[c];
        carried[to] += carried[c];
        keys[to] += keys[c];
      }
    }
  }
  for (std::size_t c = 0; c < cells; ++c) {
    Cell& cell = table.cells[c];
    cell.episodes = episodes[c];
    cell.people = carried[c] + direct[c];
    cell.key_sum = keys[c];
    cell.raw = CountMeasure(table.query.measure.kind, cell.episodes, cell.people, with_outcome[c]);
  }
}

}  // namespace

double CountMeasure(MeasureKind kind, std::int64_t episodes, std::int64_t people,
                    std::int64_t with_outcome) {
  switch (kind) {
    case MeasureKind::kPeople: return static_cast<double>(people);
    case MeasureKind::kShare:
      return episodes == 0 ? kNaN
                           : static_cast<double>(with_outcome) / static_cast<double>(episodes);
    default: return static_cast<double>(episodes);
  }
}

absl::StatusOr<std::size_t> CountCells(const std::vector<std::vector<std::string>>& levels,
                                       bool margins, std::int64_t max_cells) {
  std::int64_t count = 1;
  for (const std::vector<std::string>& values : levels) {
    // count * radix > max_cells, without overflow.
    const auto radix =
        static_cast<std::int64_t>(std::max<std::size_t>(values.size() + (margins ? 1 : 0), 1));
    if (count > max_cells / radix) {
      return InvalidField("query.dimensions",
                          absl::StrCat("make a table of more than ", max_cells, " cells"));
    }
    count *= radix;
  }
  const bool empty_dimension =
      std::any_of(levels.begin(), levels.end(), [](const auto& v) { return v.empty(); });
  if (empty_dimension && !margins) count = 0;
  return static_cast<std::size_t>(count);
}

Shape ShapeOf(const std::vector<std::vector<std::string>>& levels, bool margins) {
  const std::size_t dims = levels.size();
  Shape shape;
  shape.radix.resize(dims);
  shape.stride.resize(dims);
  for (std::size_t k = 0; k < dims; ++k) shape.radix[k] = levels[k].size() + (margins ? 1 : 0);
  for (std::size_t k = dims; k-- > 0;) {
    shape.stride[k] = k + 1 == dims ? 1 : shape.stride[k + 1] * shape.radix[k + 1];
  }
  return shape;
}

Table NewTable(const Query& query, std::vector<std::vector<std::string>> levels,
               std::size_t cells) {
  const std::size_t dims = levels.size();
  const auto [radix, stride] = ShapeOf(levels, query.margins);
  Table table;
  table.query = query;
  table.levels = std::move(levels);
  table.cells.resize(cells);
  for (std::size_t c = 0; c < cells; ++c) {
    Cell& cell = table.cells[c];
    cell.levels.resize(dims);
    for (std::size_t k = 0; k < dims; ++k) {
      const auto index = static_cast<std::int32_t>((c / stride[k]) % radix[k]);
      cell.levels[k] = index == static_cast<std::int32_t>(table.levels[k].size()) ? kMargin : index;
    }
  }
  return table;
}

absl::StatusOr<Layout> MakeLayout(const Query& query, const Columns& columns,
                                  std::int64_t max_cells) {
  const Measure& m = query.measure;
  const bool needs_instrument =
      ((m.kind == MeasureKind::kMean || m.kind == MeasureKind::kMedian) &&
       m.of != Quantity::kDuration) ||
      std::find(query.dimensions.begin(), query.dimensions.end(), Dimension::kBand) !=
          query.dimensions.end() ||
      std::any_of(query.filters.begin(), query.filters.end(),
                  [](const Filter& f) { return f.dimension == Dimension::kBand; });
  if (needs_instrument && m.instrument != columns.instrument) {
    return InvalidField("query.measure.instrument", "is not the instrument the columns joined");
  }
  const std::size_t n = columns.size();
  Layout layout;

  // Which codes each filter keeps.
  std::vector<std::pair<std::size_t, std::vector<bool>>> keep;
  for (const Filter& f : query.filters) {
    const auto d = static_cast<std::size_t>(f.dimension);
    std::vector<bool> allowed(columns.dictionary[d].size(), false);
    for (std::size_t code = 0; code < allowed.size(); ++code) {
      allowed[code] = std::find(f.values.begin(), f.values.end(), columns.dictionary[d][code]) !=
                      f.values.end();
    }
    keep.emplace_back(d, std::move(allowed));
  }
  std::vector<bool>& kept = layout.kept;
  kept.assign(n, true);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& [d, allowed] : keep) {
      if (!allowed[columns.codes[d][i]]) {
        kept[i] = false;
        break;
      }
    }
  }
  // With differential privacy, a person keeps at most `contributions` episodes: those with the
  // lowest record keys.
  if (query.protection.dp) {
    const auto limit = static_cast<std::size_t>(query.protection.dp->contributions);
    std::vector<std::size_t> mine;
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i;
      mine.clear();
      for (; j < n && columns.person[j] == columns.person[i]; ++j) {
        if (kept[j]) mine.push_back(j);
      }
      if (mine.size() > limit) {
        std::sort(mine.begin(), mine.end(), [&](std::size_t a, std::size_t b) {
          return columns.record_key[a] < columns.record_key[b];
        });
        for (std::size_t k = limit; k < mine.size(); ++k) kept[mine[k]] = false;
      }
      i = j;
    }
  }

  // Levels: the values present among the kept episodes, sorted; code -> level.
  const std::size_t dims = query.dimensions.size();
  layout.dimension.resize(dims);
  layout.level_of.resize(dims);
  for (std::size_t k = 0; k < dims; ++k) {
    const auto d = static_cast<std::size_t>(query.dimensions[k]);
    layout.dimension[k] = d;
    std::vector<bool> present(columns.dictionary[d].size(), false);
    for (std::size_t i = 0; i < n; ++i) {
      if (kept[i]) present[columns.codes[d][i]] = true;
    }
    std::vector<std::string> values;
    for (std::size_t code = 0; code < present.size(); ++code) {
      if (present[code]) values.push_back(columns.dictionary[d][code]);
    }
    std::sort(values.begin(), values.end());
    layout.level_of[k].assign(present.size(), kMargin);
    for (std::size_t code = 0; code < present.size(); ++code) {
      if (!present[code]) continue;
      layout.level_of[k][code] = static_cast<std::int32_t>(
          std::lower_bound(values.begin(), values.end(), columns.dictionary[d][code]) -
          values.begin());
    }
    layout.levels.push_back(std::move(values));
  }
  Shape shape = ShapeOf(layout.levels, query.margins);
  layout.radix = std::move(shape.radix);
  layout.stride = std::move(shape.stride);
  VARSAM_ASSIGN_OR_RETURN(layout.cells, CountCells(layout.levels, query.margins, max_cells));
  layout.subsets = query.margins ? (std::size_t{1} << dims) : 1;
  return layout;
}

absl::StatusOr<Table> Aggregate(const Query& query, const Columns& columns) {
  const Measure& m = query.measure;
  const bool statistic = IsStatistic(m.kind);
  VARSAM_ASSIGN_OR_RETURN(Layout layout, MakeLayout(query, columns));
  const std::size_t n = columns.size();
  const std::vector<bool>& kept = layout.kept;
  Table table = NewTable(query, layout.levels, layout.cells);
  std::uint32_t outcome_code = std::numeric_limits<std::uint32_t>::max();
  if (m.kind == MeasureKind::kShare) {
    const auto& dict = columns.dictionary[static_cast<std::size_t>(Dimension::kOutcome)];
    const auto it = std::find(dict.begin(), dict.end(), m.outcome);
    if (it != dict.end()) outcome_code = static_cast<std::uint32_t>(it - dict.begin());
  }
  if (!statistic) {
    AggregateCounts(layout, columns, outcome_code, table);
    return table;
  }
  std::vector<Accumulator> acc(table.cells.size());

  // The quantity of episode i (NaN when it has none).
  const auto quantity = [&](std::size_t i) {
    switch (m.of) {
      case Quantity::kTotal: return columns.last_total[i];
      case Quantity::kChange: return columns.last_total[i] - columns.intake_total[i];
      case Quantity::kDuration: return columns.duration_months[i];
    }
    return kNaN;
  };

  // (cell, contribution, counted) of the current person; counted: whether the episode counts
  // the person for the measure (for a statistic, only with a value).
  struct Touch {
    std::size_t cell;
    double contribution;
    bool counted;
  };
  std::vector<Touch> touches;
  // A mean under differential privacy also sums its values clamped to the bounds (Protect
  // noises that sum).
  const std::optional<DpParams>& dp = query.protection.dp;
  const bool dp_mean = dp && m.kind == MeasureKind::kMean;
  for (std::size_t i = 0; i < n;) {
    touches.clear();
    std::size_t j = i;
    for (; j < n && columns.person[j] == columns.person[i]; ++j) {
      if (!kept[j]) continue;
      const double q = statistic ? quantity(j) : kNaN;
      const bool has_value = statistic && !std::isnan(q);
      const std::int64_t clamped = dp_mean && has_value ? ClampedUnit(q, dp->lower, dp->upper) : 0;
      ForEachCellOf(layout, columns, j, [&](std::size_t index) {
        Cell& cell = table.cells[index];
        Accumulator& a = acc[index];
        ++cell.episodes;
        cell.key_sum += columns.record_key[j];  // modulo 2^64
        if (m.kind == MeasureKind::kShare &&
            columns.codes[static_cast<std::size_t>(Dimension::kOutcome)][j] == outcome_code) {
          ++a.with_outcome;
        }
        if (has_value) {
          ++cell.values;
          a.sum += q;
          cell.clamped_sum += clamped;
          if (m.kind == MeasureKind::kMedian) a.values.push_back(q);
        }
        touches.push_back({index, has_value ? std::abs(q) : 0.0, !statistic || has_value});
      });
    }
    // The person once per cell, with their contribution to its magnitude.
    std::sort(touches.begin(), touches.end(),
              [](const Touch& a, const Touch& b) { return a.cell < b.cell; });
    for (std::size_t t = 0; t < touches.size();) {
      std::size_t u = t;
      double contribution = 0;
      bool counted = false;
      for (; u < touches.size() && touches[u].cell == touches[t].cell; ++u) {
        contribution += touches[u].contribution;
        counted = counted || touches[u].counted;
      }
      Cell& cell = table.cells[touches[t].cell];
      if (counted) ++cell.people;
      if (statistic && counted) {
        cell.magnitude += contribution;
        auto& largest = cell.largest;
        const auto at = std::upper_bound(largest.begin(), largest.end(), contribution,
                                         [](double x, double y) { return x > y; });
        if (largest.size() < kMaxContributors || at != largest.end()) {
          largest.insert(at, contribution);
          if (largest.size() > kMaxContributors) largest.pop_back();
        }
      }
      t = u;
    }
    i = j;
  }

  for (std::size_t c = 0; c < table.cells.size(); ++c) {
    Cell& cell = table.cells[c];
    Accumulator& a = acc[c];
    switch (m.kind) {
      case MeasureKind::kMean:
        cell.raw = cell.values == 0 ? kNaN : a.sum / static_cast<double>(cell.values);
        break;
      case MeasureKind::kMedian: cell.raw = Median(a.values); break;
      default: cell.raw = CountMeasure(m.kind, cell.episodes, cell.people, a.with_outcome); break;
    }
  }
  return table;
}

std::vector<Relation> TableRelations(const Table& table, bool additive) {
  std::vector<Relation> relations;
  if (!table.query.margins) return relations;
  const std::size_t dims = table.levels.size();
  const auto [radix, stride] = ShapeOf(table.levels, /*margins=*/true);
  for (std::size_t c = 0; c < table.cells.size(); ++c) {
    for (std::size_t k = 0; k < dims; ++k) {
      if (table.cells[c].levels[k] != kMargin || table.levels[k].empty()) continue;
      Relation r;
      r.total = static_cast<std::int32_t>(c);
      r.additive = additive;
      const std::size_t base = c - table.levels[k].size() * stride[k];
      for (std::size_t l = 0; l < table.levels[k].size(); ++l) {
        r.parts.push_back(static_cast<std::int32_t>(base + l * stride[k]));
      }
      relations.push_back(std::move(r));
    }
  }
  return relations;
}

}  // namespace varsam::insights
