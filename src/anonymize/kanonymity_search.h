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

class Search {
 public:
  explicit Search(const Prep& p) : p_(p), lat_(p) {}

  // Finds the best node; FailedPrecondition when no node within the bounds satisfies the model.
  absl::Status Run();

  std::vector<int> best_levels() const { return lat_.Levels(best_); }
  double best_metric() const { return best_metric_; }
  std::size_t best_suppressed() const { return best_supp_; }
  const SearchStats& stats() const { return stats_; }

 private:
  // The metric's lower bounds.
  void StaticBound(std::size_t idx);
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
  void BestFirst(std::vector<std::size_t> nodes, Fn visit);
  void FinalPass();

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

}  // namespace varsam::anonymize::internal

#endif  // VARSAM_SRC_ANONYMIZE_KANONYMITY_SEARCH_H_
