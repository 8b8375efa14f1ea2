// Tests of secondary cell suppression and its proof (varsam/insights.h, "Secondary
// suppression"; docs/insights.md). The attacker's intervals are checked against bounds derived
// by hand (the Fréchet bounds of a 2 x 2 table, the people relation's max/sum bounds) and
// against brute force: every integer filling of the suppressed cells that satisfies the
// relations. Tables of counts with two-way margins have totally unimodular relations, so the
// linear program's bounds are integers and equal the brute force's.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "catch2/catch.hpp"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A rows x cols table with margins, cell (r, c) at r * (cols + 1) + c; r == rows or c == cols
// is the margin. Relations: each row's margin is the sum of its cells (the margin row
// included), each column's likewise.
struct Table2 {
  int rows = 0, cols = 0;
  std::vector<double> values;
  std::vector<Relation> relations;
  std::int32_t At(int r, int c) const { return r * (cols + 1) + c; }
};

Table2 MakeTable(int rows, int cols, const std::vector<double>& interior, bool additive = true) {
  Table2 t;
  t.rows = rows;
  t.cols = cols;
  t.values.assign(static_cast<std::size_t>(rows + 1) * static_cast<std::size_t>(cols + 1), 0.0);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const double v = interior[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) +
                                static_cast<std::size_t>(c)];
      t.values[static_cast<std::size_t>(t.At(r, c))] = v;
      t.values[static_cast<std::size_t>(t.At(r, cols))] += v;
      t.values[static_cast<std::size_t>(t.At(rows, c))] += v;
      t.values[static_cast<std::size_t>(t.At(rows, cols))] += v;
    }
  }
  for (int r = 0; r <= rows; ++r) {
    Relation rel{t.At(r, cols), {}, additive};
    for (int c = 0; c < cols; ++c) rel.parts.push_back(t.At(r, c));
    t.relations.push_back(rel);
  }
  for (int c = 0; c <= cols; ++c) {
    Relation rel{t.At(rows, c), {}, additive};
    for (int r = 0; r < rows; ++r) rel.parts.push_back(t.At(r, c));
    t.relations.push_back(rel);
  }
  return t;
}

// std::vector<bool> is not contiguous; the API takes spans of bool.
struct Flags {
  explicit Flags(std::size_t n) : data(std::make_unique<bool[]>(n)), size(n) {}
  explicit Flags(const std::vector<bool>& v) : Flags(v.size()) {
    std::copy(v.begin(), v.end(), data.get());
  }
  bool& operator[](std::size_t i) { return data[i]; }
  std::span<const bool> span() const { return {data.get(), size}; }
  std::unique_ptr<bool[]> data;
  std::size_t size;
};

// Brute force: the least and the largest value of each suppressed cell over every integer
// filling of the suppressed cells in [0, cap] that satisfies the relations. Depth-first, with
// an additive relation's last unknown cell derived from the others.
class BruteForce {
 public:
  BruteForce(const std::vector<double>& values, const std::vector<Relation>& relations,
             std::span<const bool> suppressed, double cap)
      : relations_(relations), cap_(cap), x_(values) {
    lower_.assign(values.size(), kInf);
    upper_.assign(values.size(), -kInf);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (suppressed[i]) {
        x_[i] = -1;  // unknown
        cells_.push_back(i);
      } else {
        lower_[i] = upper_[i] = values[i];
      }
    }
    Search();
  }
  double lower(std::size_t i) const { return lower_[i]; }
  double upper(std::size_t i) const { return upper_[i]; }
  bool found() const { return found_; }

 private:
  double& X(std::int32_t cell) { return x_[static_cast<std::size_t>(cell)]; }

  // Derives forced cells; false on a contradiction. Pushes what it set onto `trail`.
  bool Propagate(std::vector<std::size_t>& trail) {
    for (bool changed = true; changed;) {
      changed = false;
      for (const Relation& r : relations_) {
        int unknown = 0;
        std::int32_t which = -1;
        double parts = 0, largest = 0;
        for (const std::int32_t p : r.parts) {
          if (X(p) < 0) {
            ++unknown;
            which = p;
          } else {
            parts += X(p);
            largest = std::max(largest, X(p));
          }
        }
        const bool total_known = X(r.total) >= 0;
        if (!total_known) {
          ++unknown;
          which = r.total;
        }
        if (r.additive) {
          if (total_known && parts > X(r.total)) return false;
          if (unknown == 1) {
            const double v = which == r.total ? parts : X(r.total) - parts;
            if (v < 0 || v > cap_) return false;
            X(which) = v;
            trail.push_back(static_cast<std::size_t>(which));
            changed = true;
          }
        } else {
          if (total_known && largest > X(r.total)) return false;
          if (unknown == 0 && X(r.total) > parts) return false;
        }
      }
    }
    return true;
  }

  void Search() {
    std::vector<std::size_t> trail;
    if (Propagate(trail)) {
      const auto next =
          std::find_if(cells_.begin(), cells_.end(), [&](std::size_t i) { return x_[i] < 0; });
      if (next == cells_.end()) {
        found_ = true;
        for (const std::size_t i : cells_) {
          lower_[i] = std::min(lower_[i], x_[i]);
          upper_[i] = std::max(upper_[i], x_[i]);
        }
      } else {
        for (int v = 0; v <= static_cast<int>(cap_); ++v) {
          x_[*next] = v;
          Search();
        }
        x_[*next] = -1;
      }
    }
    for (const std::size_t i : trail) x_[i] = -1;
  }

  const std::vector<Relation>& relations_;
  double cap_;
  std::vector<double> x_;
  std::vector<std::size_t> cells_;
  std::vector<double> lower_, upper_;
  bool found_ = false;
};

bool Covers(const Interval& interval, double value, double level) {
  return interval.lower <= std::max(0.0, value - level) + 1e-9 &&
         interval.upper >= value + level - 1e-9;
}

TEST_CASE("A suppressed cell in a row with its published margin is recovered exactly",
          "[insights]") {
  // a + b = t with a = 3, b = 4, t = 7: suppressing a alone leaves a = 7 - 4 = 3.
  const std::vector<double> values = {3, 4, 7};
  const std::vector<Relation> relations = {{2, {0, 1}, true}};
  Flags suppressed(3);
  suppressed[0] = true;
  auto intervals = AttackerIntervals(values, relations, suppressed.span());
  REQUIRE(intervals.ok());
  CHECK((*intervals)[0].lower == Approx(3));
  CHECK((*intervals)[0].upper == Approx(3));
  CHECK((*intervals)[1].lower == 4);  // published: its value as a point
  CHECK((*intervals)[1].upper == 4);
}

TEST_CASE("The attacker's bounds of a 2 x 2 table are the Frechet bounds", "[insights]") {
  // Interior [[3, 5], [6, 2]]: row margins 8, 8, column margins 9, 7, total 16. With the four
  // interior cells suppressed and every margin published, x11 ranges over
  // [max(0, r1 + c1 - N), min(r1, c1)] = [max(0, 8 + 9 - 16), min(8, 9)] = [1, 8]; x12 over
  // [max(0, 8 + 7 - 16), min(8, 7)] = [0, 7]; x21 over [max(0, 8 + 9 - 16), min(8, 9)] =
  // [1, 8]; x22 over [max(0, 8 + 7 - 16), min(8, 7)] = [0, 7].
  const Table2 t = MakeTable(2, 2, {3, 5, 6, 2});
  Flags suppressed(t.values.size());
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 2; ++c) suppressed[static_cast<std::size_t>(t.At(r, c))] = true;
  }
  auto intervals = AttackerIntervals(t.values, t.relations, suppressed.span());
  REQUIRE(intervals.ok());
  const auto at = [&](int r, int c) { return (*intervals)[static_cast<std::size_t>(t.At(r, c))]; };
  CHECK(at(0, 0).lower == Approx(1));
  CHECK(at(0, 0).upper == Approx(8));
  CHECK(at(0, 1).lower == Approx(0));
  CHECK(at(0, 1).upper == Approx(7));
  CHECK(at(1, 0).lower == Approx(1));
  CHECK(at(1, 0).upper == Approx(8));
  CHECK(at(1, 1).lower == Approx(0));
  CHECK(at(1, 1).upper == Approx(7));
  const BruteForce brute(t.values, t.relations, suppressed.span(), 16);
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    CHECK((*intervals)[i].lower == Approx(brute.lower(i)));
    CHECK((*intervals)[i].upper == Approx(brute.upper(i)));
  }
}

TEST_CASE("A suppressed cell that no published cell bounds has no upper bound", "[insights]") {
  // An interior cell with its row margin, its column margin and the grand total: adding d to
  // all four keeps every relation, so the maximum is unbounded; the minimum is 0 (subtract
  // the cell's value from all four: 2 - 2, 5 - 2, 6 - 2, 13 - 2 stay >= 0).
  const Table2 t = MakeTable(2, 2, {2, 3, 4, 4});
  Flags suppressed(t.values.size());
  for (const std::int32_t cell : {t.At(0, 0), t.At(0, 2), t.At(2, 0), t.At(2, 2)}) {
    suppressed[static_cast<std::size_t>(cell)] = true;
  }
  auto intervals = AttackerIntervals(t.values, t.relations, suppressed.span());
  REQUIRE(intervals.ok());
  CHECK((*intervals)[static_cast<std::size_t>(t.At(0, 0))].lower == Approx(0));
  CHECK((*intervals)[static_cast<std::size_t>(t.At(0, 0))].upper == kInf);
  CHECK((*intervals)[static_cast<std::size_t>(t.At(2, 2))].lower == Approx(11));
  CHECK((*intervals)[static_cast<std::size_t>(t.At(2, 2))].upper == kInf);

  // A suppressed cell in no relation: [0, infinity).
  const std::vector<double> lone = {5};
  Flags one(1);
  one[0] = true;
  auto free = AttackerIntervals(lone, {}, one.span());
  REQUIRE(free.ok());
  CHECK((*free)[0].lower == 0);
  CHECK((*free)[0].upper == kInf);
}

TEST_CASE("A people total lies between its largest part and the sum of its parts", "[insights]") {
  // 5 people in total, 3 in part a and 4 in part b (some in both): max(a, b) <= t <= a + b.
  const std::vector<double> values = {3, 4, 5};
  const std::vector<Relation> relations = {{2, {0, 1}, false}};
  Flags total(3);
  total[2] = true;
  auto t = AttackerIntervals(values, relations, total.span());
  REQUIRE(t.ok());
  CHECK((*t)[2].lower == Approx(4));  // max(3, 4)
  CHECK((*t)[2].upper == Approx(7));  // 3 + 4
  // Part a suppressed: a <= t = 5 and t = 5 <= a + 4, so a >= 1: [1, 5].
  Flags part(3);
  part[0] = true;
  auto a = AttackerIntervals(values, relations, part.span());
  REQUIRE(a.ok());
  CHECK((*a)[0].lower == Approx(1));
  CHECK((*a)[0].upper == Approx(5));
}

TEST_CASE("A primary cell recoverable from its margins gets complementary cells", "[insights]") {
  const Table2 t = MakeTable(3, 3, {4, 7, 9, 12, 2, 8, 6, 10, 5});
  const auto p = static_cast<std::size_t>(t.At(1, 1));  // the 2
  Flags primary(t.values.size());
  primary[p] = true;
  std::vector<double> levels(t.values.size(), 0);
  levels[p] = 3;
  // Alone, the cell is recovered exactly from its row.
  auto alone = AttackerIntervals(t.values, t.relations, primary.span());
  REQUIRE(alone.ok());
  CHECK((*alone)[p].lower == Approx(2));
  CHECK((*alone)[p].upper == Approx(2));

  auto result = SuppressSecondary(t.values, t.relations, primary.span(), levels);
  REQUIRE(result.ok());
  // In a two-way table a cell can only move along a cycle: at least 3 more cells.
  CHECK(result->complementary >= 3);
  CHECK(result->linear_programs > 0);
  CHECK(Covers(result->proven[p], 2, 3));
  // The brute force agrees with the proof on every cell.
  const Flags pattern(result->suppressed);
  const BruteForce brute(t.values, t.relations, pattern.span(), t.values.back());
  REQUIRE(brute.found());
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    CHECK(result->proven[i].lower == Approx(brute.lower(i)));
    CHECK(result->proven[i].upper == Approx(brute.upper(i)));
  }
  CHECK(Covers(Interval{brute.lower(p), brute.upper(p)}, 2, 3));
}

TEST_CASE("Secondary suppression protects people counts", "[insights]") {
  // A 2 x 3 table of people: a person may be in two columns, so each margin is bounded by its
  // parts' largest and their sum. Margins: row 0 has 6 people over parts 3, 4, 2; row 1 has
  // 9 over 5, 6, 1; column margins 7, 9, 3; total 14 over rows 6 and 9 and columns 7, 9, 3.
  std::vector<double> values = {3, 4, 2, 6, 5, 6, 1, 9, 7, 9, 3, 14};
  const std::vector<Relation> relations = {
      {3, {0, 1, 2}, false}, {7, {4, 5, 6}, false}, {11, {8, 9, 10}, false}, {8, {0, 4}, false},
      {9, {1, 5}, false},    {10, {2, 6}, false},   {11, {3, 7}, false},
  };
  Flags primary(values.size());
  primary[6] = true;  // 1 person
  std::vector<double> levels(values.size(), 0);
  levels[6] = 3;
  auto result = SuppressSecondary(values, relations, primary.span(), levels);
  REQUIRE(result.ok());
  CHECK(Covers(result->proven[6], 1, 3));
  // The integer fillings lie inside the linear program's intervals, and reach the protection
  // interval's ends on the primary cell.
  const Flags pattern(result->suppressed);
  const BruteForce brute(values, relations, pattern.span(), 20);
  REQUIRE(brute.found());
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(result->proven[i].lower <= brute.lower(i) + 1e-9);
    CHECK(result->proven[i].upper >= brute.upper(i) - 1e-9);
  }
  CHECK(brute.lower(6) == 0);
  CHECK(brute.upper(6) >= 4);
}

TEST_CASE("Secondary suppression of random two-way tables is proven and matches brute force",
          "[insights]") {
  std::mt19937 random(20240611);
  for (int trial = 0; trial < 25; ++trial) {
    const int rows = 2 + trial % 3, cols = 3;
    std::uniform_int_distribution<int> value(0, 6);
    std::vector<double> interior(static_cast<std::size_t>(rows * cols));
    for (double& v : interior) v = value(random);
    const Table2 t = MakeTable(rows, cols, interior);
    Flags primary(t.values.size());
    std::vector<double> levels(t.values.size(), 0);
    std::uniform_int_distribution<int> pick(0, rows * cols - 1);
    for (int k = 0; k < 2; ++k) {
      const int cell = pick(random);
      const auto i = static_cast<std::size_t>(t.At(cell / cols, cell % cols));
      primary[i] = true;
      levels[i] = 2;
    }
    INFO("trial " << trial);
    auto result = SuppressSecondary(t.values, t.relations, primary.span(), levels);
    REQUIRE(result.ok());
    const Flags pattern(result->suppressed);
    const double cap = t.values.back() + 4;
    const BruteForce brute(t.values, t.relations, pattern.span(), cap);
    REQUIRE(brute.found());
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      if (!result->suppressed[i]) {  // published: a point at its value
        CHECK(result->proven[i].lower == t.values[i]);
        CHECK(result->proven[i].upper == t.values[i]);
      }
      if (primary[i]) CHECK(Covers(result->proven[i], t.values[i], levels[i]));
      CHECK(result->proven[i].lower == Approx(brute.lower(i)));
      if (std::isinf(result->proven[i].upper)) {
        CHECK(brute.upper(i) == cap);  // grows until the search's cap
      } else {
        CHECK(result->proven[i].upper == Approx(brute.upper(i)));
      }
    }
    // The primary cells are still suppressed, and the count of complements is right.
    std::int64_t complements = 0;
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      if (primary[i]) CHECK(result->suppressed[i]);
      if (result->suppressed[i] && !primary[i]) ++complements;
    }
    CHECK(result->complementary == complements);
  }
}

TEST_CASE("A primary cell the relations determine cannot be protected", "[insights]") {
  // t = a + b and t = b (a total broken down two ways, one of them a single part): a = 0 is
  // forced, so no pattern lets the attacker think a could be 3.
  const std::vector<double> values = {0, 6, 6};
  const std::vector<Relation> relations = {{2, {0, 1}, true}, {2, {1}, true}};
  Flags primary(3);
  primary[0] = true;
  const std::vector<double> levels = {3, 0, 0};
  auto result = SuppressSecondary(values, relations, primary.span(), levels);
  CHECK(result.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Secondary suppression refuses tables it cannot read", "[insights]") {
  const std::vector<double> values = {3, 4, 7};
  const std::vector<Relation> relations = {{2, {0, 1}, true}};
  Flags primary(3);
  primary[0] = true;
  // Levels of another size.
  CHECK(SuppressSecondary(values, relations, primary.span(), std::vector<double>{1})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  // Flags of another size.
  Flags two(2);
  CHECK(AttackerIntervals(values, relations, two.span()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // Values that break their relation.
  const std::vector<double> wrong = {3, 4, 8};
  CHECK(AttackerIntervals(wrong, relations, primary.span()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // A cell index past the values.
  const std::vector<Relation> outside = {{2, {0, 5}, true}};
  CHECK(AttackerIntervals(values, outside, primary.span()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // A negative value.
  const std::vector<double> negative = {-1, 8, 7};
  CHECK(AttackerIntervals(negative, relations, primary.span()).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace varsam::insights
