// The optimal full-domain generalisation search (docs/anonymisation.md): the search over the
// lattice of level vectors. Private to src/anonymize.
//
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
//
// The tables and classes it works on are kanonymity_classes.h.

#ifndef VARSAM_SRC_ANONYMIZE_KANONYMITY_SEARCH_H_
#define VARSAM_SRC_ANONYMIZE_KANONYMITY_SEARCH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "kanonymity_classes.h"
#include "varsam/kanonymity.h"

namespace varsam::anonymize::internal {

// ---- The lattice ------------------------------------------------------------------------------

// The nodes: every level vector within the bounds, numbered in mixed radix (column 0 least
// significant; node + stride[c] is the node one level higher in column c).
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

// The search of one prepared table and model (the Search paragraph above).
class Search {
 public:
  explicit Search(const Prep& p) : prep_(p), lattice_(p) {}

  // Finds the best node; FailedPrecondition when no node within the bounds satisfies the model.
  absl::Status Run();

  std::vector<int> best_levels() const { return lattice_.Levels(best_node_); }
  double best_metric() const { return best_metric_; }
  std::size_t best_suppressed() const { return best_suppressed_; }
  const SearchStats& stats() const { return stats_; }

 private:
  // The metric's lower bounds.
  void ComputeBoundByLevels(std::size_t idx);
  void UpdateBound(std::size_t idx);
  void PushSuppressedDown(std::size_t idx, std::uint64_t rows);
  void PushFloorUp(std::size_t idx, std::uint64_t floor);
  void Learn(std::size_t idx, const Classes& cl, const NodeEval& ev);
  bool Relevant(std::size_t idx) const;
  // Checking nodes and tagging by monotonicity.
  void Consider(std::size_t idx, double metric, std::size_t supp);
  void Record(std::size_t idx, const Classes& cl);
  void TagUp(std::size_t idx, bool zero);
  void TagDown(std::size_t idx);
  std::unique_ptr<Classes> Compute(std::size_t idx);
  const Classes* Source(const std::vector<int>& lv) const;
  std::size_t MaxClasses() const;
  void Cache(std::size_t idx, std::unique_ptr<Classes> cl);
  void PairCertificates();
  void Project(const std::vector<std::size_t>& cols, std::vector<std::uint64_t>& bad_node);
  void Check(std::size_t idx);
  // The orders of the search.
  void RunFlash();
  void RunExhaustive();
  template <typename Fn>
  void BestFirst(const std::vector<std::size_t>& nodes, Fn visit);
  void FinalPass();

  const Prep& prep_;  // the per-column tables, the table and the privacy model
  Lattice lattice_;   // the nodes (level vectors within the bounds), by index
  SearchStats stats_;
  // Satisfying is monotone (no entropy-l with a suppression budget): the Flash order and tagging
  // both ways; otherwise every relevant node is checked (RunExhaustive).
  bool monotone_ = true;

  // Per node, indexed like lattice_.
  std::vector<std::uint8_t> status_;           // kUnknown, or kSat / kUnsat (checked or tagged)
  std::vector<std::uint8_t> suppresses_none_;  // satisfies with no row suppressed (TagUp)
  std::vector<std::uint8_t> evaluated_;        // its metric has been computed and considered
  // The lower bound on the node's metric (UpdateBound): no node whose bound exceeds the best
  // metric found is checked.
  std::vector<double> lower_bound_;
  // The part of the bound that depends on the node's levels alone (ComputeBoundByLevels). Loss:
  // the loss with nothing suppressed; discernibility: the most classes the node can have.
  std::vector<double> bound_by_levels_;
  // Loss only: what each row known to be suppressed adds to the bound.
  std::vector<double> bound_per_suppressed_row_;
  // Rows known to be suppressed at the node: those failing k (or distinct-l) on a two-column
  // projection or at a checked generalisation. Never increases upwards.
  std::vector<std::uint64_t> known_suppressed_;
  // Discernibility only: the floor from a checked specialisation's classes
  // (DiscernibilityFloor). Never decreases upwards.
  std::vector<std::uint64_t> discernibility_floor_;

  // Classes of checked nodes, to roll others up from; the bottom node first, never evicted.
  std::vector<std::pair<std::size_t, std::unique_ptr<Classes>>> cache_;
  std::size_t cached_classes_ = 0;  // classes held in cache_ (bounded by Cache)
  KeyIndex key_index_;              // the hash table every roll-up reuses

  // The best satisfying node so far.
  bool have_best_ = false;
  std::size_t best_node_ = 0;
  double best_metric_ = 0.0;
  std::size_t best_suppressed_ = 0;  // rows it suppresses
};

}  // namespace varsam::anonymize::internal

#endif  // VARSAM_SRC_ANONYMIZE_KANONYMITY_SEARCH_H_
