// The optimal full-domain generalisation search (docs/anonymisation.md, "The search").
//
// Layout of the work:
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
//   Search    — Flash-style: nodes by height; from each untagged node a greedy path upwards is
//               searched for its lowest satisfying node, galloping down from the top of the path
//               and then bisecting (high nodes fail rarely, and their metric gives an early best);
//               a satisfying node tags all its generalisations satisfying, a failing node tags
//               all its specialisations failing. Two-column projections mark nodes failing before
//               any check, and a roll-up stops once the node has too many classes to satisfy k.
//               Nodes whose metric lower bound exceeds the best metric found are never looked
//               at; the bounds tighten as nodes are checked (rows known to be suppressed push
//               down, discernibility's floor pushes up). Satisfying nodes that were only tagged
//               are evaluated at the end, best bound first.

#include "varsam/kanonymity.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "varsam/core.h"

namespace varsam::anonymize {
namespace {

constexpr double kEntropyTolerance = 1e-12;

int BitsFor(std::size_t domain) {
  if (domain <= 1) return 0;
  return static_cast<int>(std::bit_width(static_cast<std::uint64_t>(domain - 1)));
}

struct ColInfo {
  int levels = 0;
  std::vector<std::size_t> domain;                       // domain[l]
  std::vector<int> bits;                                 // bits[l]
  std::vector<std::vector<std::uint32_t>> gsize;         // gsize[l][code_l]
  std::vector<std::vector<std::vector<std::uint32_t>>> lift;  // lift[a][b][code_a], b >= a
  std::vector<std::uint64_t> sumg;                       // sumg[l] = sum over rows of g - 1
  std::vector<std::uint32_t> maxg;                       // maxg[l] = max over rows of g
};

struct Prep {
  const Table* table = nullptr;
  std::size_t n = 0;
  std::vector<ColInfo> cols;
  std::vector<int> lo, hi;  // level bounds
  bool sensitive = false;   // l-diversity asked for
  std::size_t limit = 0;    // suppression limit in rows
  const PrivacyModel* model = nullptr;
};

absl::Status InvalidColumn(const Column& c, std::string_view what) {
  return absl::InvalidArgumentError(Cat({"kanonymity: column '", c.name, "': ", what}));
}

absl::StatusOr<ColInfo> PrepareColumn(const Column& c, std::size_t n) {
  ColInfo info;
  info.levels = c.levels();
  if (info.levels < 1) return InvalidColumn(c, "has no levels");
  if (c.labels.size() != c.up.size()) return InvalidColumn(c, "labels and up differ in levels");
  if (c.codes.size() != n) return InvalidColumn(c, "row count differs from the first column");
  const std::size_t d0 = c.labels[0].size();
  for (int l = 0; l < info.levels; ++l) {
    const auto& up = c.up[static_cast<std::size_t>(l)];
    const std::size_t dl = c.labels[static_cast<std::size_t>(l)].size();
    if (up.size() != d0) return InvalidColumn(c, "up[level] must have one entry per level-0 code");
    for (std::size_t x = 0; x < d0; ++x) {
      if (up[x] >= dl) return InvalidColumn(c, "up[level] names a code without a label");
      if (l == 0 && up[x] != x) return InvalidColumn(c, "up[0] must be the identity");
    }
    info.domain.push_back(dl);
    info.bits.push_back(BitsFor(dl));
  }
  for (std::uint32_t code : c.codes) {
    if (code >= d0) return InvalidColumn(c, "a row's code has no label");
  }
  // Group sizes and one-step lifts (checking that the levels nest).
  info.gsize.resize(static_cast<std::size_t>(info.levels));
  for (int l = 0; l < info.levels; ++l) {
    auto& g = info.gsize[static_cast<std::size_t>(l)];
    g.assign(info.domain[static_cast<std::size_t>(l)], 0);
    for (std::size_t x = 0; x < d0; ++x) ++g[c.up[static_cast<std::size_t>(l)][x]];
  }
  info.lift.resize(static_cast<std::size_t>(info.levels));
  for (int a = 0; a < info.levels; ++a) {
    auto& la = info.lift[static_cast<std::size_t>(a)];
    la.resize(static_cast<std::size_t>(info.levels));
    const std::size_t da = info.domain[static_cast<std::size_t>(a)];
    for (int b = a; b < info.levels; ++b) {
      auto& t = la[static_cast<std::size_t>(b)];
      constexpr std::uint32_t kUnset = std::numeric_limits<std::uint32_t>::max();
      t.assign(da, kUnset);
      for (std::size_t x = 0; x < d0; ++x) {
        const std::uint32_t ca = c.up[static_cast<std::size_t>(a)][x];
        const std::uint32_t cb = c.up[static_cast<std::size_t>(b)][x];
        if (t[ca] == kUnset) {
          t[ca] = cb;
        } else if (t[ca] != cb) {
          return InvalidColumn(c, "levels do not nest (a value splits at a higher level)");
        }
      }
      for (auto& v : t) {
        if (v == kUnset) v = 0;  // a code no level-0 value maps to; never looked up
      }
    }
  }
  std::vector<std::uint64_t> hist(d0, 0);
  for (std::uint32_t code : c.codes) ++hist[code];
  info.sumg.assign(static_cast<std::size_t>(info.levels), 0);
  for (int l = 0; l < info.levels; ++l) {
    std::uint64_t s = 0;
    for (std::size_t x = 0; x < d0; ++x) {
      s += hist[x] * (info.gsize[static_cast<std::size_t>(l)][c.up[static_cast<std::size_t>(l)][x]] - 1);
    }
    info.sumg[static_cast<std::size_t>(l)] = s;
  }
  info.maxg.assign(static_cast<std::size_t>(info.levels), 1);
  for (int l = 0; l < info.levels; ++l) {
    const auto lu = static_cast<std::size_t>(l);
    for (std::size_t x = 0; x < d0; ++x) {
      if (hist[x] > 0) info.maxg[lu] = std::max(info.maxg[lu], info.gsize[lu][c.up[lu][x]]);
    }
  }
  return info;
}

absl::StatusOr<Prep> Prepare(const Table& table, const PrivacyModel& model) {
  Prep p;
  p.table = &table;
  p.model = &model;
  if (table.columns.empty()) {
    return absl::InvalidArgumentError("kanonymity: the table has no quasi-identifier columns");
  }
  p.n = table.rows();
  if (p.n > std::numeric_limits<std::uint32_t>::max()) {
    return absl::InvalidArgumentError("kanonymity: more than 2^32 - 1 rows");
  }
  for (const Column& c : table.columns) {
    VARSAM_ASSIGN_OR_RETURN(ColInfo info, PrepareColumn(c, p.n));
    p.cols.push_back(std::move(info));
  }
  if (model.k < 1) return absl::InvalidArgumentError("kanonymity: k must be at least 1");
  if (model.distinct_l < 0) return absl::InvalidArgumentError("kanonymity: distinct l is negative");
  if (!(model.entropy_l >= 0.0) || !std::isfinite(model.entropy_l)) {
    return absl::InvalidArgumentError("kanonymity: entropy l must be a finite number >= 0");
  }
  if (!(model.max_suppression >= 0.0 && model.max_suppression <= 1.0)) {
    return absl::InvalidArgumentError("kanonymity: max_suppression must be in [0, 1]");
  }
  if (!(model.risk_threshold >= 0.0 && model.risk_threshold <= 1.0)) {
    return absl::InvalidArgumentError("kanonymity: risk_threshold must be in [0, 1]");
  }
  p.sensitive = model.distinct_l >= 2 || model.entropy_l > 1.0;
  if (p.sensitive && table.sensitive.size() != p.n) {
    return absl::InvalidArgumentError(
        "kanonymity: l-diversity needs a sensitive column with one code per row");
  }
  if (!table.sensitive.empty() && table.sensitive.size() != p.n) {
    return absl::InvalidArgumentError("kanonymity: the sensitive column's row count differs");
  }
  const std::size_t cn = p.cols.size();
  if (!model.min_level.empty() && model.min_level.size() != cn) {
    return absl::InvalidArgumentError("kanonymity: min_level needs one entry per column");
  }
  if (!model.max_level.empty() && model.max_level.size() != cn) {
    return absl::InvalidArgumentError("kanonymity: max_level needs one entry per column");
  }
  for (std::size_t c = 0; c < cn; ++c) {
    const int lo = model.min_level.empty() ? 0 : model.min_level[c];
    const int hi = model.max_level.empty() ? p.cols[c].levels - 1 : model.max_level[c];
    if (lo < 0 || hi >= p.cols[c].levels || lo > hi) {
      return absl::InvalidArgumentError(
          Cat({"kanonymity: column '", table.columns[c].name,
               "': level bounds outside the hierarchy or min above max"}));
    }
    p.lo.push_back(lo);
    p.hi.push_back(hi);
  }
  p.limit = SuppressionLimit(p.n, model.max_suppression);
  return p;
}

absl::Status ValidateLevels(const Prep& p, const std::vector<int>& levels, bool within_bounds) {
  if (levels.size() != p.cols.size()) {
    return absl::InvalidArgumentError("kanonymity: the level vector needs one entry per column");
  }
  for (std::size_t c = 0; c < levels.size(); ++c) {
    const int lo = within_bounds ? p.lo[c] : 0;
    const int hi = within_bounds ? p.hi[c] : p.cols[c].levels - 1;
    if (levels[c] < lo || levels[c] > hi) {
      return absl::InvalidArgumentError(Cat({"kanonymity: column '", p.table->columns[c].name,
                                             "': level outside the allowed range"}));
    }
  }
  return absl::OkStatus();
}

int TotalBits(const Prep& p, const std::vector<int>& levels) {
  int bits = 0;
  for (std::size_t c = 0; c < levels.size(); ++c) {
    bits += p.cols[c].bits[static_cast<std::size_t>(levels[c])];
  }
  return bits;
}

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
  std::vector<std::uint32_t> soff, sval, scnt;
  std::size_t size() const { return counts.size(); }
};

// Groups `rows` (all rows when null) at `levels`. row_class, when given, receives each row's
// class index (in the order of `rows`).
Classes GroupRows(const Prep& p, const std::vector<int>& levels,
                  const std::vector<std::uint32_t>* rows, bool with_sensitive,
                  std::vector<std::uint32_t>* row_class) {
  const Table& t = *p.table;
  const std::size_t m = rows ? rows->size() : p.n;
  auto row_at = [&](std::size_t i) -> std::uint32_t {
    return rows ? (*rows)[i] : static_cast<std::uint32_t>(i);
  };
  Classes out;
  out.levels = levels;
  std::vector<std::uint32_t> cls(m);
  if (TotalBits(p, levels) <= 64) {
    out.packed = true;
    std::vector<std::uint64_t> keys(m, 0);
    int off = 0;
    for (std::size_t c = 0; c < levels.size(); ++c) {
      const auto lv = static_cast<std::size_t>(levels[c]);
      const auto& codes = t.columns[c].codes;
      const auto& up = t.columns[c].up[lv];
      const int b = p.cols[c].bits[lv];
      if (b == 0) continue;
      for (std::size_t i = 0; i < m; ++i) {
        keys[i] |= static_cast<std::uint64_t>(up[codes[row_at(i)]]) << off;
      }
      off += b;
    }
    KeyIndex index;
    index.Reset(m);
    constexpr std::size_t kAhead = 16;  // prefetch the slot of the key this far ahead
    for (std::size_t i = 0; i < m; ++i) {
      if (i + kAhead < m) index.Prefetch(index.Slot0(keys[i + kAhead]));
      bool inserted = false;
      const std::uint32_t j =
          index.FindOrInsert(keys[i], static_cast<std::uint32_t>(out.counts.size()), &inserted);
      if (inserted) {
        out.keys.push_back(keys[i]);
        out.counts.push_back(0);
        out.reps.push_back(row_at(i));
      }
      ++out.counts[j];
      cls[i] = j;
    }
  } else {
    absl::flat_hash_map<std::vector<std::uint32_t>, std::uint32_t> index;
    std::vector<std::uint32_t> tuple(levels.size());
    for (std::size_t i = 0; i < m; ++i) {
      const std::uint32_t r = row_at(i);
      for (std::size_t c = 0; c < levels.size(); ++c) {
        tuple[c] = t.columns[c].up[static_cast<std::size_t>(levels[c])][t.columns[c].codes[r]];
      }
      auto [it, inserted] = index.try_emplace(tuple, static_cast<std::uint32_t>(out.counts.size()));
      if (inserted) {
        out.keys.push_back(out.counts.size());
        out.counts.push_back(0);
        out.reps.push_back(r);
      }
      ++out.counts[it->second];
      cls[i] = it->second;
    }
  }
  if (with_sensitive) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs(m);
    for (std::size_t i = 0; i < m; ++i) pairs[i] = {cls[i], t.sensitive[row_at(i)]};
    std::sort(pairs.begin(), pairs.end());
    out.soff.assign(out.size() + 1, 0);
    for (std::size_t i = 0; i < m;) {
      std::size_t j = i;
      while (j < m && pairs[j] == pairs[i]) ++j;
      ++out.soff[pairs[i].first + 1];
      out.sval.push_back(pairs[i].second);
      out.scnt.push_back(static_cast<std::uint32_t>(j - i));
      i = j;
    }
    for (std::size_t k = 0; k < out.size(); ++k) out.soff[k + 1] += out.soff[k];
  }
  if (row_class) *row_class = std::move(cls);
  return out;
}

// One chunk of a roll-up: the source bits (key >> off) & mask index `table`, which holds their
// lifted destination bits in place.
struct ChunkRef {
  int off = 0;
  std::uint64_t mask = 0;
  const std::uint64_t* table = nullptr;
  const std::uint32_t* dense = nullptr;  // the same bits' share of the dense (mixed-radix) index
};

template <int N>
inline std::uint64_t PackChunks(const ChunkRef* ch, std::uint64_t key) {
  std::uint64_t nk = 0;
  for (int i = 0; i < N; ++i) nk |= ch[i].table[(key >> ch[i].off) & ch[i].mask];
  return nk;
}

template <int N>
inline std::uint32_t DenseIndex(const ChunkRef* ch, std::uint64_t key) {
  std::uint32_t x = 0;
  for (int i = 0; i < N; ++i) x += ch[i].dense[(key >> ch[i].off) & ch[i].mask];
  return x;
}

// The roll-up of a source without sensitive histograms through N chunks: dense counting when
// `cnt` is given (a zeroed array indexed by the mixed-radix index of the destination codes, left
// zeroed), else the hash table. False when more than max_classes classes appear.
template <int N>
bool RollUpChunks(const ChunkRef* ch, const Classes& src, std::uint32_t* cnt, KeyIndex& index,
                  std::size_t max_classes, Classes& out) {
  const std::size_t m = src.size();
  constexpr std::size_t kBatch = 32;
  std::uint64_t bkeys[kBatch];
  if (cnt) {
    // Classes appear in order of first occurrence.
    // Without a branch: every key is written to the list, which only advances for a new one;
    // the class limit is checked once per batch.
    const std::size_t room = std::min(m, max_classes + kBatch) + 1;
    std::uint64_t* keys = index.KeyScratch(room);
    std::uint32_t* cells = index.CellScratch(room);
    std::uint32_t bcells[kBatch];
    std::size_t nkeys = 0;
    for (std::size_t i = 0; i < m; i += kBatch) {
      const std::size_t end = std::min(m - i, kBatch);
      for (std::size_t q = 0; q < end; ++q) {
        bcells[q] = DenseIndex<N>(ch, src.keys[i + q]);
        __builtin_prefetch(&cnt[bcells[q]], 1);
      }
      for (std::size_t q = 0; q < end; ++q) {
        const std::uint32_t x = bcells[q];
        keys[nkeys] = src.keys[i + q];  // the source key; packed once it is known to be new
        cells[nkeys] = x;
        nkeys += cnt[x] == 0;
        cnt[x] += src.counts[i + q];
      }
      if (nkeys > max_classes) {
        for (std::size_t j = 0; j < nkeys; ++j) cnt[cells[j]] = 0;
        return false;
      }
    }
    out.keys.resize(nkeys);
    out.counts.resize(nkeys);
    for (std::size_t j = 0; j < nkeys; ++j) {
      out.keys[j] = PackChunks<N>(ch, keys[j]);
      out.counts[j] = cnt[cells[j]];
      cnt[cells[j]] = 0;
    }
    return true;
  }
  // Counts accumulate in the table itself; the classes are read out of it at the end. Keys are
  // computed and their slots prefetched a batch ahead of the inserts.
  index.Reset(std::min(m, max_classes + 1));
  std::size_t bslots[kBatch];
  std::size_t distinct = 0;
  for (std::size_t i = 0; i < m; i += kBatch) {
    const std::size_t end = std::min(m - i, kBatch);
    for (std::size_t q = 0; q < end; ++q) {
      bkeys[q] = PackChunks<N>(ch, src.keys[i + q]);
      bslots[q] = index.Slot0(bkeys[q]);
      index.Prefetch(bslots[q]);
    }
    for (std::size_t q = 0; q < end; ++q) {
      if (index.Accumulate(bslots[q], bkeys[q], src.counts[i + q]) && ++distinct > max_classes) {
        return false;
      }
    }
  }
  out.keys.reserve(distinct);
  out.counts.reserve(distinct);
  index.ForEach([&](std::uint64_t key, std::uint32_t count) {
    out.keys.push_back(key);
    out.counts.push_back(count);
  });
  return true;
}

// Rolls `src` (packed) up to `levels` (each >= src's, total bits <= 64). Stops early, setting
// *exceeded, once more than `max_classes` classes appear (the node then fails k; see Compute).
Classes RollUp(const Prep& p, const Classes& src, const std::vector<int>& levels,
               KeyIndex& index, std::size_t max_classes, bool* exceeded) {
  *exceeded = false;
  const std::size_t cn = levels.size();
  // The new key is assembled chunk by chunk: consecutive source fields whose bits add up to at
  // most kChunkBits share one table from their source bits to their lifted, shifted destination
  // bits (a few lookups per key instead of one shift, mask and lift per column). A field wider
  // than a chunk is lifted on its own.
  constexpr int kChunkBits = 12;
  struct Field {
    int src_off, src_bits, dst_off, dst_bits;
    std::size_t col, a, b;
    std::uint64_t radix;  // the column's multiplier in the dense index
  };
  struct Chunk {
    int off = 0;
    std::uint64_t mask = 0;
    std::vector<std::uint64_t> table;
    std::vector<std::uint32_t> dense;
  };
  struct Wide {
    int src_off, dst_off;
    std::uint64_t mask;
    const std::uint32_t* lift;  // null: unchanged level
  };
  std::vector<Chunk> chunks;
  std::vector<Wide> wides;
  std::uint64_t dense_cells = 0;  // product of the destination domains (capped at 2^40)
  {
    std::vector<Field> group;
    int group_bits = 0;
    auto flush = [&] {
      if (group.empty()) return;
      bool any_dst = false;
      for (const Field& f : group) any_dst = any_dst || f.dst_bits > 0;
      if (any_dst) {
        Chunk ch;
        ch.off = group.front().src_off;
        ch.mask = (1ULL << group_bits) - 1;
        ch.table.assign(std::size_t{1} << group_bits, 0);
        ch.dense.assign(std::size_t{1} << group_bits, 0);
        for (std::uint64_t v = 0; v <= ch.mask; ++v) {
          std::uint64_t out = 0, x = 0;
          for (const Field& f : group) {
            if (f.dst_bits == 0) continue;
            const std::uint64_t code = (v >> (f.src_off - ch.off)) & ((1ULL << f.src_bits) - 1);
            const auto& lift = p.cols[f.col].lift[f.a][f.b];
            if (code >= lift.size()) continue;  // no such code: never looked up
            out |= static_cast<std::uint64_t>(lift[code]) << f.dst_off;
            x += lift[code] * f.radix;
          }
          ch.table[v] = out;
          ch.dense[v] = static_cast<std::uint32_t>(x);  // < 2^kDenseBits when used
        }
        chunks.push_back(std::move(ch));
      }
      group.clear();
      group_bits = 0;
    };
    int so = 0, dof = 0;
    std::uint64_t radix = 1;
    for (std::size_t c = 0; c < cn; ++c) {
      const auto a = static_cast<std::size_t>(src.levels[c]);
      const auto b = static_cast<std::size_t>(levels[c]);
      const int sb = p.cols[c].bits[a];
      const int db = p.cols[c].bits[b];
      const std::uint64_t col_radix = radix;
      if (db > 0) {
        radix = std::min<std::uint64_t>(radix * p.cols[c].domain[b], std::uint64_t{1} << 40);
      }
      if (sb > kChunkBits) {
        flush();
        if (db > 0) {
          wides.push_back(Wide{so, dof, sb == 64 ? ~0ULL : ((1ULL << sb) - 1),
                               a == b ? nullptr : p.cols[c].lift[a][b].data()});
        }
      } else if (sb > 0) {
        if (group_bits + sb > kChunkBits) flush();
        group.push_back(Field{so, sb, dof, db, c, a, b, col_radix});
        group_bits += sb;
      }
      so += sb;
      dof += db;
    }
    flush();
    dense_cells = radix;
  }
  auto new_key = [&](std::uint64_t key) {
    std::uint64_t nk = 0;
    for (const Chunk& ch : chunks) nk |= ch.table[(key >> ch.off) & ch.mask];
    for (const Wide& w : wides) {
      std::uint64_t code = (key >> w.src_off) & w.mask;
      if (w.lift) code = w.lift[code];
      nk |= code << w.dst_off;
    }
    return nk;
  };
  Classes out;
  out.levels = levels;
  out.packed = true;
  const std::size_t m = src.size();
  constexpr std::size_t kMaxChunks = 8;
  if (src.soff.empty() && wides.empty() && !chunks.empty() && chunks.size() <= kMaxChunks) {
    ChunkRef refs[kMaxChunks];
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      refs[i] = ChunkRef{chunks[i].off, chunks[i].mask, chunks[i].table.data(),
                         chunks[i].dense.data()};
    }
    // Few enough destination cells (the product of the domains) to count in a dense array.
    std::uint32_t* cnt = dense_cells <= (std::uint64_t{1} << KeyIndex::kDenseBits)
                             ? index.Dense(static_cast<std::size_t>(dense_cells)) : nullptr;
    bool ok = false;
    switch (chunks.size()) {
      case 1: ok = RollUpChunks<1>(refs, src, cnt, index, max_classes, out); break;
      case 2: ok = RollUpChunks<2>(refs, src, cnt, index, max_classes, out); break;
      case 3: ok = RollUpChunks<3>(refs, src, cnt, index, max_classes, out); break;
      case 4: ok = RollUpChunks<4>(refs, src, cnt, index, max_classes, out); break;
      case 5: ok = RollUpChunks<5>(refs, src, cnt, index, max_classes, out); break;
      case 6: ok = RollUpChunks<6>(refs, src, cnt, index, max_classes, out); break;
      case 7: ok = RollUpChunks<7>(refs, src, cnt, index, max_classes, out); break;
      default: ok = RollUpChunks<8>(refs, src, cnt, index, max_classes, out); break;
    }
    if (!ok) {
      *exceeded = true;
      out.keys.clear();
      out.counts.clear();
    }
    return out;
  }
  index.Reset(std::min(m, max_classes + 1));
  // Keys are computed and their slots prefetched a batch ahead of the inserts.
  constexpr std::size_t kBatch = 32;
  std::uint64_t bkeys[kBatch];
  std::size_t bslots[kBatch];
  auto fill_batch = [&](std::size_t i) {
    const std::size_t end = std::min(m - i, kBatch);
    for (std::size_t q = 0; q < end; ++q) {
      const std::uint64_t nk = new_key(src.keys[i + q]);
      bkeys[q] = nk;
      bslots[q] = index.Slot0(nk);
      index.Prefetch(bslots[q]);
    }
  };
  if (src.soff.empty()) {
    // Counts accumulate in the table itself; the classes are read out of it at the end (no
    // representative rows: Evaluate decodes the packed keys).
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t bi = i % kBatch;
      if (bi == 0) fill_batch(i);
      if (index.Accumulate(bslots[bi], bkeys[bi], src.counts[i]) && ++distinct > max_classes) {
        *exceeded = true;
        return out;
      }
    }
    out.keys.reserve(distinct);
    out.counts.reserve(distinct);
    index.ForEach([&](std::uint64_t key, std::uint32_t count) {
      out.keys.push_back(key);
      out.counts.push_back(count);
    });
    return out;
  }
  std::vector<std::uint32_t> dst(m);
  for (std::size_t i = 0; i < m; ++i) {
    const std::size_t bi = i % kBatch;
    if (bi == 0) fill_batch(i);
    const std::uint64_t nk = bkeys[bi];
    bool inserted = false;
    const std::uint32_t j = index.FindOrInsertAt(
        bslots[bi], nk, static_cast<std::uint32_t>(out.counts.size()), &inserted);
    if (inserted) {
      if (out.counts.size() == max_classes) {
        *exceeded = true;
        return out;
      }
      out.keys.push_back(nk);
      out.counts.push_back(0);
    }
    out.counts[j] += src.counts[i];
    dst[i] = j;
  }
  if (!src.soff.empty()) {
    // Source classes in order of their destination (counting sort), then merge histograms.
    const std::size_t k = out.size();
    std::vector<std::uint32_t> start(k + 1, 0);
    for (std::size_t i = 0; i < m; ++i) ++start[dst[i] + 1];
    for (std::size_t j = 0; j < k; ++j) start[j + 1] += start[j];
    std::vector<std::uint32_t> order(m);
    {
      std::vector<std::uint32_t> pos(start.begin(), start.end() - 1);
      for (std::size_t i = 0; i < m; ++i) order[pos[dst[i]]++] = static_cast<std::uint32_t>(i);
    }
    out.soff.assign(k + 1, 0);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> buf;
    for (std::size_t j = 0; j < k; ++j) {
      buf.clear();
      for (std::uint32_t q = start[j]; q < start[j + 1]; ++q) {
        const std::uint32_t s = order[q];
        for (std::uint32_t e = src.soff[s]; e < src.soff[s + 1]; ++e) {
          buf.emplace_back(src.sval[e], src.scnt[e]);
        }
      }
      std::sort(buf.begin(), buf.end());
      for (std::size_t e = 0; e < buf.size();) {
        std::uint32_t total = 0;
        std::size_t f = e;
        while (f < buf.size() && buf[f].first == buf[e].first) total += buf[f++].second;
        out.sval.push_back(buf[e].first);
        out.scnt.push_back(total);
        e = f;
      }
      out.soff[j + 1] = static_cast<std::uint32_t>(out.sval.size());
    }
  }
  return out;
}

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
std::uint64_t DiscernibilityFloor(const Prep& p, const Classes& cl) {
  const std::uint64_t kk = std::min<std::uint64_t>(static_cast<std::uint64_t>(p.model->k), p.n);
  std::uint64_t s = 0;
  for (std::uint32_t c : cl.counts) s += static_cast<std::uint64_t>(c) * std::max<std::uint64_t>(c, kk);
  return s;
}

bool ClassFails(const Prep& p, const Classes& cl, std::size_t i, bool* fails_mono) {
  const PrivacyModel& m = *p.model;
  bool mono = cl.counts[i] < static_cast<std::uint64_t>(m.k);
  bool entropy_fail = false;
  if (!cl.soff.empty()) {
    const std::uint32_t b = cl.soff[i], e = cl.soff[i + 1];
    if (m.distinct_l >= 2 && e - b < static_cast<std::uint32_t>(m.distinct_l)) mono = true;
    if (m.entropy_l > 1.0) {
      const double total = cl.counts[i];
      double s = 0.0;
      for (std::uint32_t q = b; q < e; ++q) {
        const double x = cl.scnt[q];
        s += x * std::log(x);
      }
      const double h = std::log(total) - s / total;
      entropy_fail = h < std::log(m.entropy_l) - kEntropyTolerance;
    }
  }
  *fails_mono = mono;
  return mono || entropy_fail;
}

// The loss metric from per-column sums of (g - 1) over released rows.
double LossFrom(const Prep& p, const std::vector<std::uint64_t>& s, std::size_t suppressed) {
  if (p.n == 0) return 0.0;
  double acc = 0.0;
  for (std::size_t c = 0; c < p.cols.size(); ++c) {
    const std::size_t d = p.cols[c].domain[0];
    if (d > 1) acc += static_cast<double>(s[c]) / static_cast<double>(d - 1);
  }
  const double n = static_cast<double>(p.n);
  return acc / (n * static_cast<double>(p.cols.size())) + static_cast<double>(suppressed) / n;
}

// With `metric_if_failing` false, a node over the budget returns without its metric (the
// search needs the metric of satisfying nodes only).
NodeEval Evaluate(const Prep& p, const Classes& cl, bool metric_if_failing) {
  NodeEval ev;
  if (!metric_if_failing) {
    for (std::size_t i = 0; i < cl.size(); ++i) {
      bool mono = false;
      if (ClassFails(p, cl, i, &mono)) ev.bad += cl.counts[i];
      if (mono) ev.bad_mono += cl.counts[i];
    }
    if (ev.bad > p.limit) return ev;
    ev = NodeEval{};
  }
  const std::size_t cn = p.cols.size();
  std::vector<std::uint64_t> s(cn);
  for (std::size_t c = 0; c < cn; ++c) s[c] = p.cols[c].sumg[static_cast<std::size_t>(cl.levels[c])];
  std::uint64_t dm = 0;
  const Table& t = *p.table;
  for (std::size_t i = 0; i < cl.size(); ++i) {
    bool mono = false;
    const bool fails = ClassFails(p, cl, i, &mono);
    const std::uint64_t cnt = cl.counts[i];
    if (mono) ev.bad_mono += cnt;
    if (fails) {
      ev.bad += cnt;
      dm += cnt * p.n;
      int off = 0;
      for (std::size_t c = 0; c < cn; ++c) {
        const auto lv = static_cast<std::size_t>(cl.levels[c]);
        std::uint32_t code = 0;
        if (!cl.reps.empty()) {
          code = t.columns[c].up[lv][t.columns[c].codes[cl.reps[i]]];
        } else {
          const int b = p.cols[c].bits[lv];
          code = b == 0 ? 0 : static_cast<std::uint32_t>((cl.keys[i] >> off) & ((1ULL << b) - 1));
          off += b;
        }
        s[c] -= cnt * (p.cols[c].gsize[lv][code] - 1);
      }
    } else {
      dm += cnt * cnt;
    }
  }
  ev.metric = p.model->metric == Metric::kLoss ? LossFrom(p, s, ev.bad) : static_cast<double>(dm);
  return ev;
}

// ---- The lattice ------------------------------------------------------------------------------

struct Lattice {
  std::vector<int> lo, radix;
  std::vector<std::size_t> stride;
  std::size_t size = 1;
  explicit Lattice(const Prep& p) : lo(p.lo) {
    for (std::size_t c = 0; c < p.lo.size(); ++c) {
      radix.push_back(p.hi[c] - p.lo[c] + 1);
      stride.push_back(size);
      size *= static_cast<std::size_t>(radix.back());
    }
  }
  std::vector<int> Levels(std::size_t idx) const {
    std::vector<int> v(lo.size());
    for (std::size_t c = 0; c < lo.size(); ++c) {
      v[c] = lo[c] + static_cast<int>((idx / stride[c]) % static_cast<std::size_t>(radix[c]));
    }
    return v;
  }
  int Offset(std::size_t idx, std::size_t c) const {
    return static_cast<int>((idx / stride[c]) % static_cast<std::size_t>(radix[c]));
  }
  int Height(std::size_t idx) const {
    int h = 0;
    for (std::size_t c = 0; c < lo.size(); ++c) h += Offset(idx, c);
    return h;
  }
};

// Deterministic order of candidates: metric, then height (sum of levels), then the level vector
// lexicographically (for nodes of one lattice, index order with column 0 least significant is
// not lexicographic, so compare the vectors).
bool Better(double ma, const std::vector<int>& a, double mb, const std::vector<int>& b) {
  if (ma != mb) return ma < mb;
  const int ha = std::accumulate(a.begin(), a.end(), 0);
  const int hb = std::accumulate(b.begin(), b.end(), 0);
  if (ha != hb) return ha < hb;
  return a < b;
}

enum : std::uint8_t { kUnknown = 0, kSat = 1, kUnsat = 2 };

class Search {
 public:
  explicit Search(const Prep& p) : p_(p), lat_(p) {}

  absl::Status Run() {
    const std::size_t size = lat_.size;
    stats_.lattice_size = size;
    status_.assign(size, kUnknown);
    zero_supp_.assign(size, 0);
    evaluated_.assign(size, 0);
    static_lb_.resize(size);
    supp_slope_.assign(size, 0.0);
    for (std::size_t i = 0; i < size; ++i) StaticBound(i);
    supp_lb_.assign(size, 0);
    floor_lb_.assign(size, 0);
    monotone_ = !(p_.model->entropy_l > 1.0) || p_.limit == 0;
    PairCertificates();
    lb_.resize(size);
    for (std::size_t i = 0; i < size; ++i) UpdateBound(i);

    // The bottom node, from the rows.
    {
      auto bottom = std::make_unique<Classes>(
          GroupRows(p_, lat_.Levels(0), nullptr, p_.sensitive, nullptr));
      ++stats_.nodes_checked;
      Record(0, *bottom);
      Cache(0, std::move(bottom));
    }
    if (monotone_) {
      RunFlash();
    } else {
      RunExhaustive();
    }
    FinalPass();
    std::size_t tagged_or_checked = 0;
    for (std::size_t i = 0; i < size; ++i) tagged_or_checked += status_[i] != kUnknown;
    stats_.nodes_bounded = size - tagged_or_checked;
    if (!have_best_) {
      return absl::FailedPreconditionError(
          "kanonymity: no generalisation within the level bounds satisfies the privacy model "
          "within the suppression budget");
    }
    return absl::OkStatus();
  }

  std::vector<int> best_levels() const { return lat_.Levels(best_); }
  double best_metric() const { return best_metric_; }
  std::size_t best_suppressed() const { return best_supp_; }
  const SearchStats& stats() const { return stats_; }

 private:
  // The parts of a node's metric lower bound that depend on its levels only: static_lb_ (the
  // bound with nothing suppressed) and supp_slope_ (what each row known to be suppressed adds).
  void StaticBound(std::size_t idx) {
    const std::vector<int> lv = lat_.Levels(idx);
    const double n = static_cast<double>(p_.n);
    if (p_.model->metric == Metric::kLoss) {
      std::vector<std::uint64_t> s(lv.size());
      for (std::size_t c = 0; c < lv.size(); ++c) s[c] = p_.cols[c].sumg[static_cast<std::size_t>(lv[c])];
      static_lb_[idx] = LossFrom(p_, s, 0);
      // A suppressed row costs 1 instead of its own loss, which is at most the mean over
      // columns of the largest (g - 1) / (D - 1) at the node's levels.
      double maxloss = 0.0;
      for (std::size_t c = 0; c < lv.size(); ++c) {
        const std::size_t d = p_.cols[c].domain[0];
        if (d > 1) {
          maxloss += static_cast<double>(p_.cols[c].maxg[static_cast<std::size_t>(lv[c])] - 1) /
                     static_cast<double>(d - 1);
        }
      }
      maxloss /= static_cast<double>(lv.size());
      supp_slope_[idx] = p_.n == 0 ? 0.0 : std::max(0.0, 1.0 - maxloss) / n;
      return;
    }
    // For discernibility, static_lb_ holds the most classes the node can have: min(n, product
    // of domains) (UpdateBound combines it with the rows known to be suppressed).
    double classes = 1.0;
    for (std::size_t c = 0; c < lv.size(); ++c) {
      classes *= static_cast<double>(p_.cols[c].domain[static_cast<std::size_t>(lv[c])]);
      if (classes > n) break;
    }
    static_lb_[idx] = std::max(1.0, std::min(classes, n));
  }

  // The bound of a node: the static part, the rows known to be suppressed there (supp_lb_: a
  // two-column projection's, or a checked generalisation's rows failing k or distinct-l, which
  // never increase upwards) and, for discernibility, the floor from a checked specialisation's
  // classes (floor_lb_, see DiscernibilityFloor).
  void UpdateBound(std::size_t idx) {
    if (p_.model->metric == Metric::kLoss) {
      lb_[idx] = static_lb_[idx] + static_cast<double>(supp_lb_[idx]) * supp_slope_[idx];
      return;
    }
    // With S rows suppressed (cost n each), the R = n - S released rows each cost their class
    // size >= min(k, n), and sum |E|^2 >= R^2 / (number of classes).
    const double n = static_cast<double>(p_.n);
    const double kk = std::min(static_cast<double>(p_.model->k), n);
    const double supp = static_cast<double>(supp_lb_[idx]);
    const double r = n - supp;
    const double b = supp * n + std::max(r * kk, std::floor(r * r / static_lb_[idx]));
    // Slightly below the exact bound so that floating rounding never bounds away a tie.
    lb_[idx] = std::max(b, static_cast<double>(floor_lb_[idx])) * (1.0 - 1e-12);
  }

  // Rows failing k or distinct-l at `idx` fail them at every specialisation too, and are
  // suppressed there: raise supp_lb_ downwards (it never increases upwards, so the walk stops
  // at nodes that already know as much).
  void PushSuppressedDown(std::size_t idx, std::uint64_t rows) {
    if (rows == 0 || supp_lb_[idx] >= rows) return;
    std::vector<std::size_t> stack{idx};
    supp_lb_[idx] = rows;
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      UpdateBound(v);
      for (std::size_t c = 0; c < lat_.lo.size(); ++c) {
        if (lat_.Offset(v, c) == 0) continue;
        const std::size_t w = v - lat_.stride[c];
        if (supp_lb_[w] < rows) {
          supp_lb_[w] = rows;
          stack.push_back(w);
        }
      }
    }
  }

  // Discernibility's floor from `idx`'s classes holds at every generalisation: raise floor_lb_
  // upwards (it never decreases upwards).
  void PushFloorUp(std::size_t idx, std::uint64_t floor) {
    if (floor_lb_[idx] >= floor) return;
    std::vector<std::size_t> stack{idx};
    floor_lb_[idx] = floor;
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      UpdateBound(v);
      for (std::size_t c = 0; c < lat_.lo.size(); ++c) {
        if (lat_.Offset(v, c) + 1 >= lat_.radix[c]) continue;
        const std::size_t w = v + lat_.stride[c];
        if (floor_lb_[w] < floor) {
          floor_lb_[w] = floor;
          stack.push_back(w);
        }
      }
    }
  }

  // What a computed node teaches about the bounds of others.
  void Learn(std::size_t idx, const Classes& cl, const NodeEval& ev) {
    PushSuppressedDown(idx, ev.bad_mono);
    if (p_.model->metric == Metric::kDiscernibility) PushFloorUp(idx, DiscernibilityFloor(p_, cl));
  }

  // A node can still win when its lower bound does not exceed the best metric (a relative
  // 1e-12 slack keeps floating rounding from bounding away an exact tie).
  bool Relevant(std::size_t idx) const {
    return !have_best_ || lb_[idx] <= best_metric_ + 1e-12 * std::max(1.0, best_metric_);
  }

  void Consider(std::size_t idx, double metric, std::size_t supp) {
    evaluated_[idx] = 1;
    ++stats_.nodes_satisfying;
    const std::vector<int> lv = lat_.Levels(idx);
    if (!have_best_ || Better(metric, lv, best_metric_, lat_.Levels(best_))) {
      have_best_ = true;
      best_ = idx;
      best_metric_ = metric;
      best_supp_ = supp;
    }
  }

  // Records the evaluation of a computed node and tags by monotonicity.
  void Record(std::size_t idx, const Classes& cl) {
    const NodeEval ev = Evaluate(p_, cl, false);
    Learn(idx, cl, ev);
    const bool sat = ev.bad <= p_.limit;
    if (sat) {
      status_[idx] = kSat;
      Consider(idx, ev.metric, ev.bad);
      if (monotone_) TagUp(idx, ev.bad == 0);
    } else {
      status_[idx] = kUnsat;
      if (monotone_ || ev.bad_mono > p_.limit) TagDown(idx);
    }
  }

  void TagUp(std::size_t idx, bool zero) {
    std::vector<std::size_t> stack{idx};
    if (zero) zero_supp_[idx] = 1;
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      for (std::size_t c = 0; c < lat_.lo.size(); ++c) {
        if (lat_.Offset(v, c) + 1 >= lat_.radix[c]) continue;
        const std::size_t w = v + lat_.stride[c];
        bool push = false;
        if (status_[w] == kUnknown) {
          status_[w] = kSat;
          ++stats_.nodes_tagged;
          push = true;
        }
        if (zero && !zero_supp_[w]) {
          zero_supp_[w] = 1;
          push = true;
        }
        if (push) stack.push_back(w);
      }
    }
  }

  void TagDown(std::size_t idx) {
    std::vector<std::size_t> stack{idx};
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      for (std::size_t c = 0; c < lat_.lo.size(); ++c) {
        if (lat_.Offset(v, c) == 0) continue;
        const std::size_t w = v - lat_.stride[c];
        if (status_[w] == kUnknown) {
          status_[w] = kUnsat;
          ++stats_.nodes_tagged;
          stack.push_back(w);
        }
      }
    }
  }

  // The classes of `idx`, rolled up from the cached finer node with the fewest classes (or
  // grouped from the rows when no cached node can be rolled up).
  std::unique_ptr<Classes> Compute(std::size_t idx) {
    ++stats_.nodes_checked;
    const std::vector<int> lv = lat_.Levels(idx);
    if (TotalBits(p_, lv) > 64) {
      return std::make_unique<Classes>(GroupRows(p_, lv, nullptr, p_.sensitive, nullptr));
    }
    const Classes* src = Source(lv);
    if (!src) return std::make_unique<Classes>(GroupRows(p_, lv, nullptr, p_.sensitive, nullptr));
    bool exceeded = false;
    auto out = std::make_unique<Classes>(RollUp(p_, *src, lv, index_, MaxClasses(), &exceeded));
    if (exceeded) return nullptr;
    return out;
  }

  // The cached node below `lv` with the fewest classes (null when none can be rolled up).
  const Classes* Source(const std::vector<int>& lv) const {
    const Classes* src = nullptr;
    for (const auto& [node, cl] : cache_) {
      if (!cl->packed) continue;
      bool below = true;
      for (std::size_t c = 0; c < lv.size() && below; ++c) below = cl->levels[c] <= lv[c];
      if (below && (!src || cl->size() < src->size())) src = cl.get();
    }
    return src;
  }

  // A node with D classes of which G have >= k rows has n >= (D - G) + k G rows, so at least
  // D - G >= D - (n - D) / (k - 1) rows are in classes smaller than k. It fails the budget L as
  // soon as D k > n + L (k - 1): grouping stops there (the budget-independent part of a check).
  std::size_t MaxClasses() const {
    const std::uint64_t k = static_cast<std::uint64_t>(p_.model->k);
    const std::uint64_t bound = (p_.n + p_.limit * (k - 1)) / k;  // D <= bound is required
    return static_cast<std::size_t>(std::min<std::uint64_t>(bound, p_.n));
  }

  void Cache(std::size_t idx, std::unique_ptr<Classes> cl) {
    const std::size_t cap = std::max<std::size_t>(4 * p_.n, 1 << 16);
    if (idx != 0 && cl->size() > p_.n / 2 + 1024) return;
    cached_total_ += cl->size();
    cache_.emplace_back(idx, std::move(cl));
    while (cached_total_ > cap && cache_.size() > 1) {
      std::size_t worst = 1;  // never evict the bottom (position 0)
      for (std::size_t i = 2; i < cache_.size(); ++i) {
        if (cache_[i].second->size() > cache_[worst].second->size()) worst = i;
      }
      cached_total_ -= cache_[worst].second->size();
      cache_.erase(cache_.begin() + static_cast<std::ptrdiff_t>(worst));
    }
  }

  // Projections onto two columns (Incognito's subset property): a node's classes refine those
  // of its projection onto any subset of the columns (the others at "*"), so the rows in
  // classes smaller than k at the node are at least those of the projection. One pass over the
  // rows per column pair builds a dense histogram at the pair's minimum levels (pairs whose
  // histogram would exceed 2^22 cells are skipped); it is rolled up to every combination of
  // levels, and every node whose projection is over the budget is marked failing unchecked.
  // The largest count over the pairs is also where supp_lb_ (rows known to be suppressed)
  // starts. (Project takes any subset; triples were measured to cost more than the checks they
  // save: under discernibility they halve the checks but cost three times what the checks do.)
  void PairCertificates() {
    const std::size_t cn = p_.cols.size();
    if (p_.model->k <= 1 || p_.n == 0 || cn < 2) return;
    std::vector<std::uint64_t> bad_node(lat_.size, 0);  // most rows failing k on a pair
    std::vector<std::size_t> subset;
    for (std::size_t a = 0; a < cn; ++a) {
      for (std::size_t b = a + 1; b < cn; ++b) {
        subset = {a, b};  // triples cost more rows passes than the checks they save
        Project(subset, bad_node);
      }
    }
    for (std::size_t i = 0; i < lat_.size; ++i) {
      supp_lb_[i] = bad_node[i];  // the max over pairs never increases upwards either
      if (bad_node[i] > p_.limit && status_[i] == kUnknown) {
        status_[i] = kUnsat;
        ++stats_.nodes_pair_pruned;
      }
    }
  }

  void Project(const std::vector<std::size_t>& cols, std::vector<std::uint64_t>& bad_node) {
    const Table& t = *p_.table;
    const std::size_t m = cols.size();
    std::vector<std::size_t> base(m), dom(m);
    std::size_t cells = 1;
    for (std::size_t j = 0; j < m; ++j) {
      base[j] = static_cast<std::size_t>(p_.lo[cols[j]]);
      dom[j] = p_.cols[cols[j]].domain[base[j]];
      cells *= dom[j];
      if (cells > (std::size_t{1} << 22)) return;
    }
    if (cells < 2) return;
    std::vector<std::uint32_t> cell(p_.n, 0);
    for (std::size_t j = 0; j < m; ++j) {
      const auto& up = t.columns[cols[j]].up[base[j]];
      const auto& codes = t.columns[cols[j]].codes;
      const auto d = static_cast<std::uint32_t>(dom[j]);
      for (std::size_t r = 0; r < p_.n; ++r) cell[r] = cell[r] * d + up[codes[r]];
    }
    std::vector<std::uint32_t> hist(cells, 0);
    for (std::uint32_t x : cell) ++hist[x];
    // The non-empty base cells, once: their coordinates and row counts.
    std::vector<std::uint32_t> coord, weight;
    for (std::size_t x = 0; x < cells; ++x) {
      if (hist[x] == 0) continue;
      const std::size_t at = coord.size();
      coord.resize(at + m);
      std::size_t rest = x;
      for (std::size_t j = m; j-- > 0;) {
        coord[at + j] = static_cast<std::uint32_t>(rest % dom[j]);
        rest /= dom[j];
      }
      weight.push_back(hist[x]);
    }
    std::vector<const std::uint32_t*> lift(m);
    std::vector<std::size_t> dl(m);
    const std::uint64_t k = static_cast<std::uint64_t>(p_.model->k);
    std::vector<int> lv(m);
    for (std::size_t j = 0; j < m; ++j) lv[j] = p_.lo[cols[j]];
    std::vector<std::uint32_t> rolled;
    std::size_t combos = 1;
    for (std::size_t j = 0; j < m; ++j) combos *= static_cast<std::size_t>(lat_.radix[cols[j]]);
    std::vector<std::uint64_t> failing(combos, 0);  // rows in classes smaller than k
    bool any_failing = false;
    for (;;) {
      std::size_t rcells = 1;
      for (std::size_t j = 0; j < m; ++j) {
        rcells *= p_.cols[cols[j]].domain[static_cast<std::size_t>(lv[j])];
      }
      rolled.assign(rcells, 0);
      for (std::size_t j = 0; j < m; ++j) {
        const auto l = static_cast<std::size_t>(lv[j]);
        lift[j] = p_.cols[cols[j]].lift[base[j]][l].data();
        dl[j] = p_.cols[cols[j]].domain[l];
      }
      for (std::size_t q = 0; q < weight.size(); ++q) {
        std::size_t idx = 0;
        for (std::size_t j = 0; j < m; ++j) idx = idx * dl[j] + lift[j][coord[q * m + j]];
        rolled[idx] += weight[q];
      }
      std::uint64_t bad = 0;
      for (std::uint32_t cnt : rolled) {
        if (cnt > 0 && cnt < k) bad += cnt;
      }
      if (bad > 0) {
        std::size_t combo = 0;
        for (std::size_t j = m; j-- > 0;) {
          combo = combo * static_cast<std::size_t>(lat_.radix[cols[j]]) +
                  static_cast<std::size_t>(lv[j] - lat_.lo[cols[j]]);
        }
        failing[combo] = bad;
        any_failing = true;
      }
      // Next combination of levels.
      std::size_t j = 0;
      while (j < m && lv[j] == p_.hi[cols[j]]) {
        lv[j] = p_.lo[cols[j]];
        ++j;
      }
      if (j == m) break;
      ++lv[j];
    }
    if (!any_failing) return;
    for (std::size_t i = 0; i < lat_.size; ++i) {
      std::size_t combo = 0;
      for (std::size_t j = m; j-- > 0;) {
        combo = combo * static_cast<std::size_t>(lat_.radix[cols[j]]) +
                static_cast<std::size_t>(lat_.Offset(i, cols[j]));
      }
      bad_node[i] = std::max(bad_node[i], failing[combo]);
    }
  }

  void Check(std::size_t idx) {
    auto cl = Compute(idx);
    if (!cl) {  // too many classes: fails k beyond the budget, so do all its specialisations
      status_[idx] = kUnsat;
      ++stats_.nodes_early_exit;
      TagDown(idx);
      return;
    }
    Record(idx, *cl);
    Cache(idx, std::move(cl));
  }

  // Flash (Kohlmayer et al. 2012), restricted to nodes whose lower bound can still win.
  void RunFlash() {
    std::vector<std::size_t> order(lat_.size);
    std::iota(order.begin(), order.end(), 0);
    std::vector<int> height(lat_.size);
    for (std::size_t i = 0; i < lat_.size; ++i) height[i] = lat_.Height(i);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (height[a] != height[b]) return height[a] < height[b];
      if (lb_[a] != lb_[b]) return lb_[a] < lb_[b];
      return a < b;
    });
    std::vector<std::size_t> path;
    for (std::size_t start : order) {
      if (status_[start] != kUnknown || !Relevant(start)) continue;
      path.assign(1, start);
      for (;;) {
        const std::size_t cur = path.back();
        std::size_t next = lat_.size;
        for (std::size_t c = 0; c < lat_.lo.size(); ++c) {
          if (lat_.Offset(cur, c) + 1 >= lat_.radix[c]) continue;
          const std::size_t w = cur + lat_.stride[c];
          if (status_[w] != kUnknown || !Relevant(w)) continue;
          if (next == lat_.size || lb_[w] < lb_[next] || (lb_[w] == lb_[next] && w < next)) next = w;
        }
        if (next == lat_.size) break;
        path.push_back(next);
      }
      // The lowest satisfying node of the path: gallop down from its top (offsets 0, 2, 6, 14,
      // ... below it) until a node fails, then bisect. Measured on the benchmark, this checks
      // half the nodes a plain bisection does: low nodes are the expensive early exits, and
      // satisfying high nodes set a best metric that bounds away much of the rest.
      std::ptrdiff_t lo = 0, hi = static_cast<std::ptrdiff_t>(path.size()) - 1;
      std::ptrdiff_t step = 1;
      bool gallop = true;
      while (lo <= hi) {
        const std::ptrdiff_t mid = gallop ? std::max(lo, hi - step + 1) : lo + (hi - lo) / 2;
        const std::size_t node = path[static_cast<std::size_t>(mid)];
        if (!Relevant(node)) {  // the bound rose along the path: nothing above can win
          hi = mid - 1;
          continue;
        }
        if (status_[node] == kUnknown) Check(node);
        if (status_[node] == kSat) {
          hi = mid - 1;
          step *= 2;
        } else {
          lo = mid + 1;
          gallop = false;
        }
      }
    }
  }

  // Entropy-l with a suppression budget is not monotone: every relevant node is checked, in
  // order of its lower bound; only the monotone part (k, distinct-l) tags specialisations.
  void RunExhaustive() {
    std::vector<std::size_t> order(lat_.size);
    std::iota(order.begin(), order.end(), 0);
    BestFirst(std::move(order), [&](std::size_t idx) {
      if (status_[idx] == kUnknown) Check(idx);
    });
  }

  // Visits `nodes` by increasing lower bound, skipping those that can no longer win. Bounds only
  // rise while visiting, so a node popped with a stale bound goes back with its current one.
  template <typename Fn>
  void BestFirst(std::vector<std::size_t> nodes, Fn visit) {
    using Entry = std::pair<double, std::size_t>;
    std::vector<Entry> heap;
    heap.reserve(nodes.size());
    for (std::size_t idx : nodes) heap.emplace_back(lb_[idx], idx);
    const auto cmp = std::greater<Entry>();
    std::make_heap(heap.begin(), heap.end(), cmp);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), cmp);
      const auto [bound, idx] = heap.back();
      heap.pop_back();
      if (!Relevant(idx)) {
        if (bound == lb_[idx]) break;  // the smallest bound left cannot win: neither can the rest
        continue;
      }
      if (bound != lb_[idx]) {
        heap.emplace_back(lb_[idx], idx);
        std::push_heap(heap.begin(), heap.end(), cmp);
        continue;
      }
      visit(idx);
    }
  }

  // Satisfying nodes known only by tagging: evaluate those that can still win.
  void FinalPass() {
    std::vector<std::size_t> cand;
    for (std::size_t i = 0; i < lat_.size; ++i) {
      if (status_[i] == kSat && !evaluated_[i]) cand.push_back(i);
    }
    BestFirst(std::move(cand), [&](std::size_t idx) {
      if (p_.model->metric == Metric::kLoss && zero_supp_[idx]) {
        // Nothing suppressed: the loss is its static bound exactly.
        Consider(idx, static_lb_[idx], 0);
        return;
      }
      auto cl = Compute(idx);
      if (!cl) return;  // cannot happen for a satisfying node; defensive
      const NodeEval ev = Evaluate(p_, *cl, false);
      Learn(idx, *cl, ev);
      Consider(idx, ev.metric, ev.bad);
      Cache(idx, std::move(cl));
    });
  }

  const Prep& p_;
  Lattice lat_;
  SearchStats stats_;
  bool monotone_ = true;
  std::vector<std::uint8_t> status_, zero_supp_, evaluated_;
  std::vector<double> lb_, static_lb_, supp_slope_;  // supp_slope_: Loss only
  std::vector<std::uint64_t> supp_lb_, floor_lb_;
  std::vector<std::pair<std::size_t, std::unique_ptr<Classes>>> cache_;
  std::size_t cached_total_ = 0;
  KeyIndex index_;
  bool have_best_ = false;
  std::size_t best_ = 0;
  double best_metric_ = 0.0;
  std::size_t best_supp_ = 0;
};

absl::StatusOr<Evaluation> CheckPrepared(const Prep& p, const std::vector<int>& levels) {
  Evaluation out;
  out.levels = levels;
  out.suppression_limit = p.limit;
  std::vector<std::uint32_t> row_class;
  const Classes cl = GroupRows(p, levels, nullptr, p.sensitive, &row_class);
  const NodeEval ev = Evaluate(p, cl, true);
  std::vector<std::uint8_t> fails(cl.size(), 0);
  for (std::size_t i = 0; i < cl.size(); ++i) {
    bool mono = false;
    fails[i] = ClassFails(p, cl, i, &mono) ? 1 : 0;
  }
  for (std::size_t r = 0; r < p.n; ++r) {
    if (!fails[row_class[r]]) out.kept_rows.push_back(static_cast<std::uint32_t>(r));
  }
  out.suppressed = ev.bad;
  out.satisfies = ev.bad <= p.limit;
  out.metric = ev.metric;
  return out;
}

RiskReport RiskPrepared(const Prep& p, const std::vector<int>& levels,
                        const std::vector<std::uint32_t>& kept, double threshold) {
  RiskReport r;
  r.levels = levels;
  r.records = kept.size();
  r.suppressed = p.n - kept.size();
  r.risk_threshold = threshold;
  const Classes cl = GroupRows(p, levels, &kept, false, nullptr);
  r.classes = cl.size();
  std::map<std::size_t, std::size_t> sizes;
  for (std::uint32_t c : cl.counts) {
    ++sizes[c];
    if (1.0 / static_cast<double>(c) > threshold) r.records_at_risk += c;
  }
  r.class_sizes.assign(sizes.begin(), sizes.end());
  if (!sizes.empty()) {
    r.max_risk = 1.0 / static_cast<double>(sizes.begin()->first);
    r.average_risk = static_cast<double>(r.classes) / static_cast<double>(r.records);
  }
  return r;
}

}  // namespace

std::size_t SuppressionLimit(std::size_t rows, double fraction) {
  if (!(fraction > 0.0)) return 0;
  if (fraction >= 1.0) return rows;
  const double x = std::floor(fraction * static_cast<double>(rows) + 1e-9);
  return std::min(rows, static_cast<std::size_t>(x));
}

absl::StatusOr<Result> Anonymize(const Table& table, const PrivacyModel& model) {
  VARSAM_ASSIGN_OR_RETURN(const Prep p, Prepare(table, model));
  Search search(p);
  VARSAM_RETURN_IF_ERROR(search.Run());
  Result out;
  out.levels = search.best_levels();
  out.stats = search.stats();
  // The release goes through the standalone checker, grouping the rows afresh; the search's
  // rolled-up answer must agree with it exactly.
  VARSAM_ASSIGN_OR_RETURN(Evaluation ev, CheckPrepared(p, out.levels));
  if (!ev.satisfies || ev.suppressed != search.best_suppressed() ||
      ev.metric != search.best_metric()) {
    return absl::InternalError("kanonymity: the search and the checker disagree on the release");
  }
  out.kept_rows = std::move(ev.kept_rows);
  out.suppressed = ev.suppressed;
  out.metric = ev.metric;
  std::vector<std::uint32_t> all(p.n);
  std::iota(all.begin(), all.end(), 0u);
  out.input = RiskPrepared(p, std::vector<int>(p.cols.size(), 0), all, model.risk_threshold);
  out.release = RiskPrepared(p, out.levels, out.kept_rows, model.risk_threshold);
  return out;
}

absl::StatusOr<Evaluation> Check(const Table& table, const std::vector<int>& levels,
                                 const PrivacyModel& model) {
  VARSAM_ASSIGN_OR_RETURN(const Prep p, Prepare(table, model));
  VARSAM_RETURN_IF_ERROR(ValidateLevels(p, levels, false));
  return CheckPrepared(p, levels);
}

absl::StatusOr<RiskReport> Risk(const Table& table, const std::vector<int>& levels,
                                const std::vector<std::uint32_t>& kept_rows,
                                double risk_threshold) {
  PrivacyModel model;
  model.risk_threshold = risk_threshold;
  VARSAM_ASSIGN_OR_RETURN(const Prep p, Prepare(table, model));
  VARSAM_RETURN_IF_ERROR(ValidateLevels(p, levels, false));
  for (std::size_t i = 0; i < kept_rows.size(); ++i) {
    if (kept_rows[i] >= p.n || (i > 0 && kept_rows[i] <= kept_rows[i - 1])) {
      return absl::InvalidArgumentError("kanonymity: kept rows must be ascending row indices");
    }
  }
  return RiskPrepared(p, levels, kept_rows, risk_threshold);
}

}  // namespace varsam::anonymize
