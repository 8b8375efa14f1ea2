// The k-anonymity search over the lattice of level vectors (kanonymity_search.h).

#include "kanonymity_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace varsam::anonymize::internal {
namespace {

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

}  // namespace

absl::Status Search::Run() {
  const std::size_t size = lattice_.size;
  stats_.lattice_size = size;
  status_.assign(size, kUnknown);
  suppresses_none_.assign(size, 0);
  evaluated_.assign(size, 0);
  bound_by_levels_.resize(size);
  bound_per_suppressed_row_.assign(size, 0.0);
  for (std::size_t i = 0; i < size; ++i) ComputeBoundByLevels(i);
  known_suppressed_.assign(size, 0);
  discernibility_floor_.assign(size, 0);
  monotone_ = !(prep_.model->entropy_l > 1.0) || prep_.limit == 0;
  PairCertificates();
  lower_bound_.resize(size);
  for (std::size_t i = 0; i < size; ++i) UpdateBound(i);

  // The bottom node, from the rows.
  {
    auto bottom = std::make_unique<Classes>(
        GroupRows(prep_, lattice_.Levels(0), nullptr, prep_.sensitive, nullptr));
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
// The parts of a node's metric lower bound that depend on its levels only: bound_by_levels_ (the
// bound with nothing suppressed) and bound_per_suppressed_row_ (what each row known to be
// suppressed adds).
void Search::ComputeBoundByLevels(std::size_t idx) {
  const std::vector<int> lv = lattice_.Levels(idx);
  const double n = static_cast<double>(prep_.n);
  if (prep_.model->metric == Metric::kLoss) {
    std::vector<std::uint64_t> s(lv.size());
    for (std::size_t c = 0; c < lv.size(); ++c) {
      s[c] = prep_.cols[c].group_excess_sum[static_cast<std::size_t>(lv[c])];
    }
    bound_by_levels_[idx] = LossFrom(prep_, s, 0);
    // A suppressed row costs 1 instead of its own loss, which is at most the mean over
    // columns of the largest (g - 1) / (D - 1) at the node's levels.
    double maxloss = 0.0;
    for (std::size_t c = 0; c < lv.size(); ++c) {
      const std::size_t d = prep_.cols[c].domain[0];
      if (d > 1) {
        const auto l = static_cast<std::size_t>(lv[c]);
        maxloss +=
            static_cast<double>(prep_.cols[c].max_group_size[l] - 1) / static_cast<double>(d - 1);
      }
    }
    maxloss /= static_cast<double>(lv.size());
    bound_per_suppressed_row_[idx] = prep_.n == 0 ? 0.0 : std::max(0.0, 1.0 - maxloss) / n;
    return;
  }
  // For discernibility, bound_by_levels_ holds the most classes the node can have: min(n, product
  // of domains) (UpdateBound combines it with the rows known to be suppressed).
  double classes = 1.0;
  for (std::size_t c = 0; c < lv.size(); ++c) {
    classes *= static_cast<double>(prep_.cols[c].domain[static_cast<std::size_t>(lv[c])]);
    if (classes > n) break;
  }
  bound_by_levels_[idx] = std::max(1.0, std::min(classes, n));
}

// The bound of a node: the part by its levels, the rows known to be suppressed there
// (known_suppressed_: a two-column projection's, or a checked generalisation's rows failing k or
// distinct-l, which never increase upwards) and, for discernibility, the floor from a checked
// specialisation's classes (discernibility_floor_, see DiscernibilityFloor).
void Search::UpdateBound(std::size_t idx) {
  if (prep_.model->metric == Metric::kLoss) {
    lower_bound_[idx] = bound_by_levels_[idx] + static_cast<double>(known_suppressed_[idx]) *
                                                    bound_per_suppressed_row_[idx];
    return;
  }
  // With S rows suppressed (cost n each), the R = n - S released rows each cost their class
  // size >= min(k, n), and sum |E|^2 >= R^2 / (number of classes).
  const double n = static_cast<double>(prep_.n);
  const double kk = std::min(static_cast<double>(prep_.model->k), n);
  const double supp = static_cast<double>(known_suppressed_[idx]);
  const double r = n - supp;
  const double b = supp * n + std::max(r * kk, std::floor(r * r / bound_by_levels_[idx]));
  // Slightly below the exact bound so that floating rounding never bounds away a tie.
  lower_bound_[idx] = std::max(b, static_cast<double>(discernibility_floor_[idx])) * (1.0 - 1e-12);
}

// Rows failing k or distinct-l at `idx` fail them at every specialisation too, and are
// suppressed there: raise known_suppressed_ downwards (it never increases upwards, so the walk
// stops at nodes that already know as much).
void Search::PushSuppressedDown(std::size_t idx, std::uint64_t rows) {
  if (rows == 0 || known_suppressed_[idx] >= rows) return;
  std::vector<std::size_t> stack{idx};
  known_suppressed_[idx] = rows;
  while (!stack.empty()) {
    const std::size_t v = stack.back();
    stack.pop_back();
    UpdateBound(v);
    for (std::size_t c = 0; c < lattice_.lo.size(); ++c) {
      if (lattice_.Offset(v, c) == 0) continue;
      const std::size_t w = v - lattice_.stride[c];
      if (known_suppressed_[w] < rows) {
        known_suppressed_[w] = rows;
        stack.push_back(w);
      }
    }
  }
}

// Discernibility's floor from `idx`'s classes holds at every generalisation: raise
// discernibility_floor_ upwards (it never decreases upwards).
void Search::PushFloorUp(std::size_t idx, std::uint64_t floor) {
  if (discernibility_floor_[idx] >= floor) return;
  std::vector<std::size_t> stack{idx};
  discernibility_floor_[idx] = floor;
  while (!stack.empty()) {
    const std::size_t v = stack.back();
    stack.pop_back();
    UpdateBound(v);
    for (std::size_t c = 0; c < lattice_.lo.size(); ++c) {
      if (lattice_.Offset(v, c) + 1 >= lattice_.radix[c]) continue;
      const std::size_t w = v + lattice_.stride[c];
      if (discernibility_floor_[w] < floor) {
        discernibility_floor_[w] = floor;
        stack.push_back(w);
      }
    }
  }
}

// What a computed node teaches about the bounds of others.
void Search::Learn(std::size_t idx, const Classes& cl, const NodeEval& ev) {
  PushSuppressedDown(idx, ev.bad_mono);
  if (prep_.model->metric == Metric::kDiscernibility) {
    PushFloorUp(idx, DiscernibilityFloor(prep_, cl));
  }
}

// A node can still win when its lower bound does not exceed the best metric (a relative
// 1e-12 slack keeps floating rounding from bounding away an exact tie).
bool Search::Relevant(std::size_t idx) const {
  return !have_best_ || lower_bound_[idx] <= best_metric_ + 1e-12 * std::max(1.0, best_metric_);
}

void Search::Consider(std::size_t idx, double metric, std::size_t supp) {
  evaluated_[idx] = 1;
  ++stats_.nodes_satisfying;
  const std::vector<int> lv = lattice_.Levels(idx);
  if (!have_best_ || Better(metric, lv, best_metric_, lattice_.Levels(best_node_))) {
    have_best_ = true;
    best_node_ = idx;
    best_metric_ = metric;
    best_suppressed_ = supp;
  }
}

// Records the evaluation of a computed node and tags by monotonicity.
void Search::Record(std::size_t idx, const Classes& cl) {
  const NodeEval ev = Evaluate(prep_, cl, false);
  Learn(idx, cl, ev);
  const bool sat = ev.bad <= prep_.limit;
  if (sat) {
    status_[idx] = kSat;
    Consider(idx, ev.metric, ev.bad);
    if (monotone_) TagUp(idx, ev.bad == 0);
  } else {
    status_[idx] = kUnsat;
    if (monotone_ || ev.bad_mono > prep_.limit) TagDown(idx);
  }
}

void Search::TagUp(std::size_t idx, bool zero) {
  std::vector<std::size_t> stack{idx};
  if (zero) suppresses_none_[idx] = 1;
  while (!stack.empty()) {
    const std::size_t v = stack.back();
    stack.pop_back();
    for (std::size_t c = 0; c < lattice_.lo.size(); ++c) {
      if (lattice_.Offset(v, c) + 1 >= lattice_.radix[c]) continue;
      const std::size_t w = v + lattice_.stride[c];
      bool push = false;
      if (status_[w] == kUnknown) {
        status_[w] = kSat;
        ++stats_.nodes_tagged;
        push = true;
      }
      if (zero && !suppresses_none_[w]) {
        suppresses_none_[w] = 1;
        push = true;
      }
      if (push) stack.push_back(w);
    }
  }
}

void Search::TagDown(std::size_t idx) {
  std::vector<std::size_t> stack{idx};
  while (!stack.empty()) {
    const std::size_t v = stack.back();
    stack.pop_back();
    for (std::size_t c = 0; c < lattice_.lo.size(); ++c) {
      if (lattice_.Offset(v, c) == 0) continue;
      const std::size_t w = v - lattice_.stride[c];
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
std::unique_ptr<Classes> Search::Compute(std::size_t idx) {
  ++stats_.nodes_checked;
  const std::vector<int> lv = lattice_.Levels(idx);
  if (TotalBits(prep_, lv) > 64) {
    return std::make_unique<Classes>(GroupRows(prep_, lv, nullptr, prep_.sensitive, nullptr));
  }
  const Classes* src = Source(lv);
  if (!src) {
    return std::make_unique<Classes>(GroupRows(prep_, lv, nullptr, prep_.sensitive, nullptr));
  }
  bool exceeded = false;
  auto out =
      std::make_unique<Classes>(RollUp(prep_, *src, lv, key_index_, MaxClasses(), &exceeded));
  if (exceeded) return nullptr;
  return out;
}

// The cached node below `lv` with the fewest classes (null when none can be rolled up).
const Classes* Search::Source(const std::vector<int>& lv) const {
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
std::size_t Search::MaxClasses() const {
  const std::uint64_t k = static_cast<std::uint64_t>(prep_.model->k);
  const std::uint64_t bound = (prep_.n + prep_.limit * (k - 1)) / k;  // D <= bound is required
  return static_cast<std::size_t>(std::min<std::uint64_t>(bound, prep_.n));
}

void Search::Cache(std::size_t idx, std::unique_ptr<Classes> cl) {
  const std::size_t cap = std::max<std::size_t>(4 * prep_.n, 1 << 16);
  if (idx != 0 && cl->size() > prep_.n / 2 + 1024) return;
  cached_classes_ += cl->size();
  cache_.emplace_back(idx, std::move(cl));
  while (cached_classes_ > cap && cache_.size() > 1) {
    std::size_t worst = 1;  // never evict the bottom (position 0)
    for (std::size_t i = 2; i < cache_.size(); ++i) {
      if (cache_[i].second->size() > cache_[worst].second->size()) worst = i;
    }
    cached_classes_ -= cache_[worst].second->size();
    cache_.erase(cache_.begin() + static_cast<std::ptrdiff_t>(worst));
  }
}

// Projections onto two columns (Incognito's subset property): a node's classes refine those
// of its projection onto any subset of the columns (the others at "*"), so the rows in
// classes smaller than k at the node are at least those of the projection. One pass over the
// rows per column pair builds a dense histogram at the pair's minimum levels (pairs whose
// histogram would exceed 2^22 cells are skipped); it is rolled up to every combination of
// levels, and every node whose projection is over the budget is marked failing unchecked.
// The largest count over the pairs is also where known_suppressed_ starts. (Project takes any
// subset; triples were measured to cost more than the checks they save: under discernibility
// they halve the checks but cost three times what the checks do.)
void Search::PairCertificates() {
  const std::size_t cn = prep_.cols.size();
  if (prep_.model->k <= 1 || prep_.n == 0 || cn < 2) return;
  std::vector<std::uint64_t> bad_node(lattice_.size, 0);  // most rows failing k on a pair
  std::vector<std::size_t> subset;
  for (std::size_t a = 0; a < cn; ++a) {
    for (std::size_t b = a + 1; b < cn; ++b) {
      subset = {a, b};  // triples cost more rows passes than the checks they save
      Project(subset, bad_node);
    }
  }
  for (std::size_t i = 0; i < lattice_.size; ++i) {
    known_suppressed_[i] = bad_node[i];  // the max over pairs never increases upwards either
    if (bad_node[i] > prep_.limit && status_[i] == kUnknown) {
      status_[i] = kUnsat;
      ++stats_.nodes_pair_pruned;
    }
  }
}

void Search::Project(const std::vector<std::size_t>& cols, std::vector<std::uint64_t>& bad_node) {
  const Table& t = *prep_.table;
  const std::size_t m = cols.size();
  std::vector<std::size_t> base(m), dom(m);
  std::size_t cells = 1;
  for (std::size_t j = 0; j < m; ++j) {
    base[j] = static_cast<std::size_t>(prep_.lo[cols[j]]);
    dom[j] = prep_.cols[cols[j]].domain[base[j]];
    cells *= dom[j];
    if (cells > (std::size_t{1} << 22)) return;
  }
  if (cells < 2) return;
  std::vector<std::uint32_t> cell(prep_.n, 0);
  for (std::size_t j = 0; j < m; ++j) {
    const auto& up = t.columns[cols[j]].up[base[j]];
    const auto& codes = t.columns[cols[j]].codes;
    const auto d = static_cast<std::uint32_t>(dom[j]);
    for (std::size_t r = 0; r < prep_.n; ++r) cell[r] = cell[r] * d + up[codes[r]];
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
  const std::uint64_t k = static_cast<std::uint64_t>(prep_.model->k);
  std::vector<int> lv(m);
  for (std::size_t j = 0; j < m; ++j) lv[j] = prep_.lo[cols[j]];
  std::vector<std::uint32_t> rolled;
  std::size_t combos = 1;
  for (std::size_t j = 0; j < m; ++j) combos *= static_cast<std::size_t>(lattice_.radix[cols[j]]);
  std::vector<std::uint64_t> failing(combos, 0);  // rows in classes smaller than k
  bool any_failing = false;
  for (;;) {
    std::size_t rcells = 1;
    for (std::size_t j = 0; j < m; ++j) {
      rcells *= prep_.cols[cols[j]].domain[static_cast<std::size_t>(lv[j])];
    }
    rolled.assign(rcells, 0);
    for (std::size_t j = 0; j < m; ++j) {
      const auto l = static_cast<std::size_t>(lv[j]);
      lift[j] = prep_.cols[cols[j]].lift[base[j]][l].data();
      dl[j] = prep_.cols[cols[j]].domain[l];
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
        combo = combo * static_cast<std::size_t>(lattice_.radix[cols[j]]) +
                static_cast<std::size_t>(lv[j] - lattice_.lo[cols[j]]);
      }
      failing[combo] = bad;
      any_failing = true;
    }
    // Next combination of levels.
    std::size_t j = 0;
    while (j < m && lv[j] == prep_.hi[cols[j]]) {
      lv[j] = prep_.lo[cols[j]];
      ++j;
    }
    if (j == m) break;
    ++lv[j];
  }
  if (!any_failing) return;
  for (std::size_t i = 0; i < lattice_.size; ++i) {
    std::size_t combo = 0;
    for (std::size_t j = m; j-- > 0;) {
      combo = combo * static_cast<std::size_t>(lattice_.radix[cols[j]]) +
              static_cast<std::size_t>(lattice_.Offset(i, cols[j]));
    }
    bad_node[i] = std::max(bad_node[i], failing[combo]);
  }
}

void Search::Check(std::size_t idx) {
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
void Search::RunFlash() {
  std::vector<std::size_t> order(lattice_.size);
  std::iota(order.begin(), order.end(), 0);
  std::vector<int> height(lattice_.size);
  for (std::size_t i = 0; i < lattice_.size; ++i) height[i] = lattice_.Height(i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (height[a] != height[b]) return height[a] < height[b];
    if (lower_bound_[a] != lower_bound_[b]) return lower_bound_[a] < lower_bound_[b];
    return a < b;
  });
  std::vector<std::size_t> path;
  for (std::size_t start : order) {
    if (status_[start] != kUnknown || !Relevant(start)) continue;
    path.assign(1, start);
    for (;;) {
      const std::size_t cur = path.back();
      std::size_t next = lattice_.size;
      for (std::size_t c = 0; c < lattice_.lo.size(); ++c) {
        if (lattice_.Offset(cur, c) + 1 >= lattice_.radix[c]) continue;
        const std::size_t w = cur + lattice_.stride[c];
        if (status_[w] != kUnknown || !Relevant(w)) continue;
        if (next == lattice_.size || lower_bound_[w] < lower_bound_[next] ||
            (lower_bound_[w] == lower_bound_[next] && w < next)) {
          next = w;
        }
      }
      if (next == lattice_.size) break;
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
void Search::RunExhaustive() {
  std::vector<std::size_t> order(lattice_.size);
  std::iota(order.begin(), order.end(), 0);
  BestFirst(order, [&](std::size_t idx) {
    if (status_[idx] == kUnknown) Check(idx);
  });
}

// Visits `nodes` by increasing lower bound, skipping those that can no longer win. Bounds only
// rise while visiting, so a node popped with a stale bound goes back with its current one.
template <typename Fn>
void Search::BestFirst(const std::vector<std::size_t>& nodes, Fn visit) {
  using Entry = std::pair<double, std::size_t>;
  std::vector<Entry> heap;
  heap.reserve(nodes.size());
  for (std::size_t idx : nodes) heap.emplace_back(lower_bound_[idx], idx);
  const auto cmp = std::greater<Entry>();
  std::make_heap(heap.begin(), heap.end(), cmp);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    const auto [bound, idx] = heap.back();
    heap.pop_back();
    if (!Relevant(idx)) {
      // The smallest bound left cannot win: neither can the rest.
      if (bound == lower_bound_[idx]) break;
      continue;
    }
    if (bound != lower_bound_[idx]) {
      heap.emplace_back(lower_bound_[idx], idx);
      std::push_heap(heap.begin(), heap.end(), cmp);
      continue;
    }
    visit(idx);
  }
}

// Satisfying nodes known only by tagging: evaluate those that can still win.
void Search::FinalPass() {
  std::vector<std::size_t> cand;
  for (std::size_t i = 0; i < lattice_.size; ++i) {
    if (status_[i] == kSat && !evaluated_[i]) cand.push_back(i);
  }
  BestFirst(cand, [&](std::size_t idx) {
    if (prep_.model->metric == Metric::kLoss && suppresses_none_[idx]) {
      // Nothing suppressed: the loss is its bound by levels exactly.
      Consider(idx, bound_by_levels_[idx], 0);
      return;
    }
    auto cl = Compute(idx);
    if (!cl) return;  // cannot happen for a satisfying node; defensive
    const NodeEval ev = Evaluate(prep_, *cl, false);
    Learn(idx, *cl, ev);
    Consider(idx, ev.metric, ev.bad);
    Cache(idx, std::move(cl));
  });
}

}  // namespace varsam::anonymize::internal
