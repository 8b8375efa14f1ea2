// The optimal full-domain generalisation search (docs/anonymisation.md, "The search"): the
// public API of varsam/kanonymity.h and the reports. The work is in two private parts:
//   kanonymity_classes.h — the per-column tables (Prep) and the equivalence classes of a node
//                          (the key index, grouping rows, rolling up a finer node, evaluating);
//   kanonymity_search.h  — the search over the lattice of level vectors (Search).
// Anonymize releases through the standalone checker (CheckPrepared), which groups the rows
// afresh: the search's rolled-up answer must agree with it exactly.

#include "varsam/kanonymity.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "kanonymity_classes.h"
#include "kanonymity_search.h"
#include "varsam/core.h"

namespace varsam::anonymize {
namespace {

using internal::Classes;
using internal::ClassFails;
using internal::Evaluate;
using internal::GroupRows;
using internal::NodeEval;
using internal::Prep;
using internal::Prepare;
using internal::Search;
using internal::ValidateLevels;

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
