// The per-column tables and the equivalence classes of the k-anonymity search
// (kanonymity_classes.h).

#include "kanonymity_classes.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "varsam/core.h"

namespace varsam::anonymize::internal {
namespace {

constexpr double kEntropyTolerance = 1e-12;

int BitsFor(std::size_t domain) {
  if (domain <= 1) return 0;
  return static_cast<int>(std::bit_width(static_cast<std::uint64_t>(domain - 1)));
}

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
  info.group_size.resize(static_cast<std::size_t>(info.levels));
  for (int l = 0; l < info.levels; ++l) {
    auto& g = info.group_size[static_cast<std::size_t>(l)];
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
  info.group_excess_sum.assign(static_cast<std::size_t>(info.levels), 0);
  for (int l = 0; l < info.levels; ++l) {
    std::uint64_t s = 0;
    for (std::size_t x = 0; x < d0; ++x) {
      s += hist[x] *
           (info.group_size[static_cast<std::size_t>(l)][c.up[static_cast<std::size_t>(l)][x]] - 1);
    }
    info.group_excess_sum[static_cast<std::size_t>(l)] = s;
  }
  info.max_group_size.assign(static_cast<std::size_t>(info.levels), 1);
  for (int l = 0; l < info.levels; ++l) {
    const auto lu = static_cast<std::size_t>(l);
    for (std::size_t x = 0; x < d0; ++x) {
      if (hist[x] > 0) {
        info.max_group_size[lu] =
            std::max(info.max_group_size[lu], info.group_size[lu][c.up[lu][x]]);
      }
    }
  }
  return info;
}

}  // namespace

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
    out.sensitive_offset.assign(out.size() + 1, 0);
    for (std::size_t i = 0; i < m;) {
      std::size_t j = i;
      while (j < m && pairs[j] == pairs[i]) ++j;
      ++out.sensitive_offset[pairs[i].first + 1];
      out.sensitive_value.push_back(pairs[i].second);
      out.sensitive_count.push_back(static_cast<std::uint32_t>(j - i));
      i = j;
    }
    for (std::size_t k = 0; k < out.size(); ++k) {
      out.sensitive_offset[k + 1] += out.sensitive_offset[k];
    }
  }
  if (row_class) *row_class = std::move(cls);
  return out;
}

namespace {

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

// The classes the hash index holds, appended to `out` (`distinct` of them).
void TakeClasses(const KeyIndex& index, std::size_t distinct, Classes& out) {
  out.keys.reserve(distinct);
  out.counts.reserve(distinct);
  index.ForEach([&](std::uint64_t key, std::uint32_t count) {
    out.keys.push_back(key);
    out.counts.push_back(count);
  });
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
  TakeClasses(index, distinct, out);
  return true;
}

}  // namespace

Classes RollUp(const Prep& p, const Classes& src, const std::vector<int>& levels, KeyIndex& index,
               std::size_t max_classes, bool* exceeded) {
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
  if (src.sensitive_offset.empty() && wides.empty() && !chunks.empty() &&
      chunks.size() <= kMaxChunks) {
    ChunkRef refs[kMaxChunks];
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      refs[i] =
          ChunkRef{chunks[i].off, chunks[i].mask, chunks[i].table.data(), chunks[i].dense.data()};
    }
    // Few enough destination cells (the product of the domains) to count in a dense array.
    std::uint32_t* cnt = dense_cells <= (std::uint64_t{1} << KeyIndex::kDenseBits)
                             ? index.Dense(static_cast<std::size_t>(dense_cells))
                             : nullptr;
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
  if (src.sensitive_offset.empty()) {
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
    TakeClasses(index, distinct, out);
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
  if (!src.sensitive_offset.empty()) {
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
    out.sensitive_offset.assign(k + 1, 0);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> buf;
    for (std::size_t j = 0; j < k; ++j) {
      buf.clear();
      for (std::uint32_t q = start[j]; q < start[j + 1]; ++q) {
        const std::uint32_t s = order[q];
        for (std::uint32_t e = src.sensitive_offset[s]; e < src.sensitive_offset[s + 1]; ++e) {
          buf.emplace_back(src.sensitive_value[e], src.sensitive_count[e]);
        }
      }
      std::sort(buf.begin(), buf.end());
      for (std::size_t e = 0; e < buf.size();) {
        std::uint32_t total = 0;
        std::size_t f = e;
        while (f < buf.size() && buf[f].first == buf[e].first) total += buf[f++].second;
        out.sensitive_value.push_back(buf[e].first);
        out.sensitive_count.push_back(total);
        e = f;
      }
      out.sensitive_offset[j + 1] = static_cast<std::uint32_t>(out.sensitive_value.size());
    }
  }
  return out;
}

std::uint64_t DiscernibilityFloor(const Prep& p, const Classes& cl) {
  const std::uint64_t kk = std::min<std::uint64_t>(static_cast<std::uint64_t>(p.model->k), p.n);
  std::uint64_t s = 0;
  for (std::uint32_t c : cl.counts)
    s += static_cast<std::uint64_t>(c) * std::max<std::uint64_t>(c, kk);
  return s;
}

bool ClassFails(const Prep& p, const Classes& cl, std::size_t i, bool* fails_mono) {
  const PrivacyModel& m = *p.model;
  bool mono = cl.counts[i] < static_cast<std::uint64_t>(m.k);
  bool entropy_fail = false;
  if (!cl.sensitive_offset.empty()) {
    const std::uint32_t b = cl.sensitive_offset[i], e = cl.sensitive_offset[i + 1];
    if (m.distinct_l >= 2 && e - b < static_cast<std::uint32_t>(m.distinct_l)) mono = true;
    if (m.entropy_l > 1.0) {
      const double total = cl.counts[i];
      double s = 0.0;
      for (std::uint32_t q = b; q < e; ++q) {
        const double x = cl.sensitive_count[q];
        s += x * std::log(x);
      }
      const double h = std::log(total) - s / total;
      entropy_fail = h < std::log(m.entropy_l) - kEntropyTolerance;
    }
  }
  *fails_mono = mono;
  return mono || entropy_fail;
}

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
  for (std::size_t c = 0; c < cn; ++c) {
    s[c] = p.cols[c].group_excess_sum[static_cast<std::size_t>(cl.levels[c])];
  }
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
        s[c] -= cnt * (p.cols[c].group_size[lv][code] - 1);
      }
    } else {
      dm += cnt * cnt;
    }
  }
  ev.metric = p.model->metric == Metric::kLoss ? LossFrom(p, s, ev.bad) : static_cast<double>(dm);
  return ev;
}

}  // namespace varsam::anonymize::internal
