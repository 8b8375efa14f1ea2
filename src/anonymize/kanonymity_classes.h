// The optimal full-domain generalisation search (docs/anonymisation.md): the per-column tables
// and the equivalence classes of one node. Private to src/anonymize.
//
//   Prep      — per-column tables computed once: domain sizes and bit widths per level, the
//               "lift" tables that map a code at level a to its code at level b >= a, the group
//               size of every code (how many level-0 values it covers), and the per-level sums
//               of (g - 1) over all rows (the loss metric's lower bound needs nothing else).
//   Classes   — the equivalence classes of one node as a compact vector: the packed key (each
//               column's code at the node's level in its own bit field), the row count, one
//               representative row and, for l-diversity, a CSR histogram of sensitive values.
//               The bottom node is grouped from the rows once; every other node is rolled up
//               from the cached finer node with the fewest classes (keys are re-packed through
//               the lift tables and merged), never by re-reading the rows.
//
// The search over the lattice is kanonymity_search.h; the API and reports kanonymity.cc.

#ifndef VARSAM_SRC_ANONYMIZE_KANONYMITY_CLASSES_H_
#define VARSAM_SRC_ANONYMIZE_KANONYMITY_CLASSES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/kanonymity.h"

namespace varsam::anonymize::internal {

struct ColInfo {
  int levels = 0;
  std::vector<std::size_t> domain;  // domain[l]
  std::vector<int> bits;            // bits[l]
  // group_size[l][code_l]: how many level-0 values the code covers (its group size g).
  std::vector<std::vector<std::uint32_t>> group_size;
  std::vector<std::vector<std::vector<std::uint32_t>>> lift;  // lift[a][b][code_a], b >= a
  std::vector<std::uint64_t> group_excess_sum;                // [l]: sum over rows of g - 1
  std::vector<std::uint32_t> max_group_size;                  // [l]: max over rows of g
};

// A table and a privacy model, checked (Prepare), with the tables of every column.
struct Prep {
  const Table* table = nullptr;
  std::size_t n = 0;  // rows
  std::vector<ColInfo> cols;
  std::vector<int> lo, hi;  // level bounds
  bool sensitive = false;   // l-diversity asked for
  std::size_t limit = 0;    // suppression limit in rows
  const PrivacyModel* model = nullptr;
};

absl::StatusOr<Prep> Prepare(const Table& table, const PrivacyModel& model);
absl::Status ValidateLevels(const Prep& p, const std::vector<int>& levels, bool within_bounds);
int TotalBits(const Prep& p, const std::vector<int>& levels);

// ---- Equivalence classes ----------------------------------------------------------------------

// An open-addressing map from 64-bit keys to class indices, reused across nodes: a generation
// stamp per slot makes Reset O(1), so grouping a million keys costs no allocation or clearing.
class KeyIndex {
 public:
  // A zeroed array of at least `cells` counters for dense counting (its user leaves it zeroed).
  static constexpr int kDenseBits = 21;
  std::uint32_t* Dense(std::size_t cells) {
    if (dense_.size() < cells) dense_.assign(cells, 0);
    return dense_.data();
  }
  // Room for `n` keys and `n` cells (contents undefined).
  std::uint64_t* KeyScratch(std::size_t n) {
    if (keys_.size() < n) keys_.resize(n);
    return keys_.data();
  }
  std::uint32_t* CellScratch(std::size_t n) {
    if (cells_.size() < n) cells_.resize(n);
    return cells_.data();
  }

  void Reset(std::size_t max_keys) {
    std::size_t cap = 16;
    int bits = 4;
    while (cap < max_keys + max_keys / 4 + 1) {
      cap <<= 1;
      ++bits;
    }
    if (cap > slots_.size()) {
      slots_.assign(cap, Slot{});
      gen_ = 0;
    }
    mask_ = cap - 1;
    shift_ = 64 - bits;
    if (++gen_ == 0) {
      for (Slot& sl : slots_) sl.stamp = 0;
      gen_ = 1;
    }
  }
  std::size_t Slot0(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }
  void Prefetch(std::size_t h) const { __builtin_prefetch(&slots_[h]); }
  // The index stored for `key`, or `fresh` (stored now) when the key is new.
  std::uint32_t FindOrInsert(std::uint64_t key, std::uint32_t fresh, bool* inserted) {
    return FindOrInsertAt(Slot0(key), key, fresh, inserted);
  }
  // Adds `count` to the value of `key` (inserting it with `count`); true when inserted.
  bool Accumulate(std::size_t h, std::uint64_t key, std::uint32_t count) {
    for (;;) {
      Slot& sl = slots_[h];
      if (sl.stamp != gen_) {
        sl.key = key;
        sl.value = count;
        sl.stamp = gen_;
        return true;
      }
      if (sl.key == key) {
        sl.value += count;
        return false;
      }
      h = (h + 1) & mask_;
    }
  }
  // Calls fn(key, value) for every key of the current generation, in slot order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (std::size_t h = 0; h <= mask_; ++h) {
      if (slots_[h].stamp == gen_) fn(slots_[h].key, slots_[h].value);
    }
  }
  std::uint32_t FindOrInsertAt(std::size_t h, std::uint64_t key, std::uint32_t fresh,
                               bool* inserted) {
    for (;;) {
      Slot& sl = slots_[h];
      if (sl.stamp != gen_) {
        sl.key = key;
        sl.value = fresh;
        sl.stamp = gen_;
        *inserted = true;
        return fresh;
      }
      if (sl.key == key) {
        *inserted = false;
        return sl.value;
      }
      h = (h + 1) & mask_;
    }
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = 0;
    std::uint32_t stamp = 0;
  };
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> dense_;
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> cells_;
  std::size_t mask_ = 0;
  int shift_ = 60;
  std::uint32_t gen_ = 0;
};

struct Classes {
  std::vector<int> levels;
  bool packed = false;  // keys are bit-packed codes, so the node can be rolled up
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> counts;
  std::vector<std::uint32_t> reps;  // one row of each class (grouped from rows only; rolled-up
                                    // classes are decoded from their packed keys instead)
  // Sensitive histogram per class (CSR), only with l-diversity.
  std::vector<std::uint32_t> sensitive_offset, sensitive_value, sensitive_count;
  std::size_t size() const { return counts.size(); }
};

// Groups `rows` (all rows when null) at `levels`. row_class, when given, receives each row's
// class index (in the order of `rows`).
Classes GroupRows(const Prep& p, const std::vector<int>& levels,
                  const std::vector<std::uint32_t>* rows, bool with_sensitive,
                  std::vector<std::uint32_t>* row_class);

// Rolls `src` (packed) up to `levels` (each >= src's, total bits <= 64). Stops early, setting
// *exceeded, once more than `max_classes` classes appear (the node then fails k; see
// Search::Compute).
Classes RollUp(const Prep& p, const Classes& src, const std::vector<int>& levels, KeyIndex& index,
               std::size_t max_classes, bool* exceeded);

// ---- Evaluating a node ------------------------------------------------------------------------

struct NodeEval {
  std::size_t bad = 0;       // rows in classes failing k, distinct-l or entropy-l
  std::size_t bad_mono = 0;  // rows in classes failing k or distinct-l (monotone part)
  double metric = 0.0;
};

// Discernibility's bound for every generalisation of a node from its classes (suppressed or
// not): a row costs at least its class size there (a generalisation's class contains it; a
// suppressed row costs n >= any class size) and at least min(k, n) (a released class has >= k
// rows), so DM >= sum over the node's classes of |E| x max(|E|, min(k, n)).
std::uint64_t DiscernibilityFloor(const Prep& p, const Classes& cl);

// Whether class i fails k, distinct-l or entropy-l; *fails_mono: k or distinct-l (the monotone
// part).
bool ClassFails(const Prep& p, const Classes& cl, std::size_t i, bool* fails_mono);

// The loss metric from per-column sums of (g - 1) over released rows.
double LossFrom(const Prep& p, const std::vector<std::uint64_t>& s, std::size_t suppressed);

// With `metric_if_failing` false, a node over the budget returns without its metric (the
// search needs the metric of satisfying nodes only).
NodeEval Evaluate(const Prep& p, const Classes& cl, bool metric_if_failing);

}  // namespace varsam::anonymize::internal

#endif  // VARSAM_SRC_ANONYMIZE_KANONYMITY_CLASSES_H_
