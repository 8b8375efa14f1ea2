// Fairness by group (varsam/models.h; docs/models.md, "Fairness by group"): the out-of-fold
// scores measured apart for every group of age band, sex, region and the spec's own fairness
// features, with percentile intervals from a bootstrap that resamples pseudonyms (a person's
// episodes stay together), and no numbers for a group of fewer than k people.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Metrics {
  double base_rate = kNaN, auc = kNaN, brier = kNaN, ece = kNaN, fpr = kNaN, fnr = kNaN;
  std::vector<ReliabilityBin> reliability;
};

Metrics Measure(std::span<const std::size_t> rows, std::span<const double> predicted,
                std::span<const double> labels, double threshold, bool with_table) {
  std::vector<double> p;
  std::vector<double> y;
  p.reserve(rows.size());
  y.reserve(rows.size());
  std::vector<std::pair<double, double>> scored;
  scored.reserve(rows.size());
  double positives = 0;
  double false_positives = 0;
  double false_negatives = 0;
  for (const std::size_t r : rows) {
    p.push_back(predicted[r]);
    y.push_back(labels[r]);
    scored.emplace_back(predicted[r], labels[r]);
    positives += labels[r];
    const bool flagged = predicted[r] >= threshold;
    false_positives += flagged && labels[r] == 0 ? 1 : 0;
    false_negatives += !flagged && labels[r] == 1 ? 1 : 0;
  }
  Metrics m;
  if (rows.empty()) return m;
  const auto n = static_cast<double>(rows.size());
  m.base_rate = positives / n;
  m.auc = MannWhitneyAuc(scored);
  std::vector<ReliabilityBin> table;
  m.brier = CalibrationTable(p, y, table, m.ece);
  if (n - positives > 0) m.fpr = false_positives / (n - positives);
  if (positives > 0) m.fnr = false_negatives / positives;
  if (with_table) m.reliability = std::move(table);
  return m;
}

// The 95 % interval of `estimate` from its bootstrap replicates: the 2.5th and 97.5th
// percentiles of the defined replicates, moved by the bootstrap's estimate of the bias (their
// mean minus the estimate; Efron & Tibshirani 1993, "An introduction to the bootstrap", ch. 10)
// and kept within [0, 1]. A figure such as the ECE is biased upward in every resample; the
// plain percentiles would then miss the estimate. NaN when fewer than half are defined.
std::pair<double, double> Interval(double estimate, std::vector<double> values, int resamples) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (std::isnan(estimate) || values.empty() ||
      values.size() * 2 < static_cast<std::size_t>(resamples)) {
    return {kNaN, kNaN};
  }
  double mean = 0;
  for (const double v : values) mean += v;
  const double bias = mean / static_cast<double>(values.size()) - estimate;
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) {
    const double pos = q * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  return {std::clamp(at(0.025) - bias, 0.0, 1.0), std::clamp(at(0.975) - bias, 0.0, 1.0)};
}

// Groups in natural order: a run of digits compares as a number, so "5-9" comes before
// "10-14" and county "3" before "12"; otherwise character by character.
bool NaturalLess(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (IsDigit(a[i]) && IsDigit(b[j])) {
      std::size_t ei = i;
      std::size_t ej = j;
      while (ei < a.size() && IsDigit(a[ei])) ++ei;
      while (ej < b.size() && IsDigit(b[ej])) ++ej;
      const std::string_view x = std::string_view(a).substr(i, ei - i);
      const std::string_view y = std::string_view(b).substr(j, ej - j);
      const std::string_view tx = x.substr(std::min(x.find_first_not_of('0'), x.size()));
      const std::string_view ty = y.substr(std::min(y.find_first_not_of('0'), y.size()));
      if (tx.size() != ty.size()) return tx.size() < ty.size();
      if (tx != ty) return tx < ty;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
  return a < b;  // equal up to leading zeros: a total order all the same
}

struct Natural {
  bool operator()(const std::string& a, const std::string& b) const { return NaturalLess(a, b); }
};

}  // namespace

absl::StatusOr<FairnessReport> AssessFairness(const ModelSpec& spec, const TrainingSet& training,
                                              std::span<const double> predicted) {
  const std::size_t n = training.rows;
  if (predicted.size() != n || training.labels.size() != n || training.groups.size() != n ||
      training.fairness_levels.size() != training.fairness_names.size()) {
    return InvalidField("training", "the predictions, labels and groups must agree in size");
  }
  for (const std::vector<std::string>& levels : training.fairness_levels) {
    if (levels.size() != n) return InvalidField("training.fairness_levels", "one per row");
  }
  if (spec.bootstrap != 0 && (spec.bootstrap < 20 || spec.bootstrap > 10000)) {
    return InvalidField("spec.fairness.bootstrap", "must be 0 or from 20 to 10000");
  }
  FairnessReport report;
  double rate = 0;
  for (const double y : training.labels) rate += y;
  report.threshold = std::isnan(spec.threshold) ? rate / static_cast<double>(n) : spec.threshold;
  report.bootstrap = spec.bootstrap;
  const auto k = static_cast<std::size_t>(spec.min_support);
  std::mt19937_64 rng(spec.seed);

  struct Named {
    std::string_view name;
    double Metrics::*value;
    Estimate GroupMetrics::*estimate;
  };
  constexpr Named kMetrics[] = {
      {"base_rate", &Metrics::base_rate, &GroupMetrics::base_rate},
      {"auc", &Metrics::auc, &GroupMetrics::auc},
      {"brier", &Metrics::brier, &GroupMetrics::brier},
      {"ece", &Metrics::ece, &GroupMetrics::ece},
      {"false_positive_rate", &Metrics::fpr, &GroupMetrics::false_positive_rate},
      {"false_negative_rate", &Metrics::fnr, &GroupMetrics::false_negative_rate}};

  for (std::size_t f = 0; f < training.fairness_names.size(); ++f) {
    std::map<std::string, std::vector<std::size_t>, Natural> by_group;
    for (std::size_t r = 0; r < n; ++r) by_group[training.fairness_levels[f][r]].push_back(r);
    const std::size_t first_of_feature = report.groups.size();
    for (const auto& [group, rows] : by_group) {
      GroupMetrics g;
      g.feature = training.fairness_names[f];
      g.group = group;
      // The group's people, each with their rows: the bootstrap's unit.
      std::map<std::int32_t, std::vector<std::size_t>> people;
      for (const std::size_t r : rows) people[training.groups[r]].push_back(r);
      if (people.size() < k) {
        g.suppressed = true;
        report.groups.push_back(std::move(g));
        continue;
      }
      g.count = static_cast<std::int64_t>(rows.size());
      g.pseudonyms = static_cast<std::int64_t>(people.size());
      Metrics m = Measure(rows, predicted, training.labels, report.threshold, true);
      // A reliability bin of fewer than k episodes is left empty.
      for (ReliabilityBin& bin : m.reliability) {
        if (bin.count > 0 && static_cast<std::size_t>(bin.count) < k) {
          bin.count = 0;
          bin.mean_predicted = 0;
          bin.observed_rate = 0;
        }
      }
      g.reliability = std::move(m.reliability);
      for (const Named& metric : kMetrics) (g.*metric.estimate).value = m.*metric.value;
      if (spec.bootstrap > 0) {
        std::vector<const std::vector<std::size_t>*> units;
        units.reserve(people.size());
        for (const auto& [person, person_rows] : people) units.push_back(&person_rows);
        std::vector<std::vector<double>> draws(std::size(kMetrics));
        std::vector<std::size_t> sample;
        for (int b = 0; b < spec.bootstrap; ++b) {
          sample.clear();
          for (std::size_t i = 0; i < units.size(); ++i) {
            const auto* unit = units[static_cast<std::size_t>(rng() % units.size())];
            sample.insert(sample.end(), unit->begin(), unit->end());
          }
          const Metrics d = Measure(sample, predicted, training.labels, report.threshold, false);
          for (std::size_t i = 0; i < std::size(kMetrics); ++i) {
            draws[i].push_back(d.*kMetrics[i].value);
          }
        }
        for (std::size_t i = 0; i < std::size(kMetrics); ++i) {
          const auto [low, high] =
              Interval((g.*kMetrics[i].estimate).value, std::move(draws[i]), spec.bootstrap);
          (g.*kMetrics[i].estimate).low = low;
          (g.*kMetrics[i].estimate).high = high;
        }
      }
      report.groups.push_back(std::move(g));
    }
    // The largest difference of each metric between the feature's groups with numbers.
    std::vector<Gap> gaps;
    for (const Named& metric : kMetrics) {
      const GroupMetrics* low = nullptr;
      const GroupMetrics* high = nullptr;
      for (std::size_t i = first_of_feature; i < report.groups.size(); ++i) {
        const GroupMetrics& g = report.groups[i];
        const double v = (g.*metric.estimate).value;
        if (g.suppressed || std::isnan(v)) continue;
        if (low == nullptr || v < (low->*metric.estimate).value) low = &g;
        if (high == nullptr || v > (high->*metric.estimate).value) high = &g;
      }
      if (low == nullptr || low == high) continue;
      gaps.push_back({training.fairness_names[f], std::string(metric.name), low->group, high->group,
                      (high->*metric.estimate).value - (low->*metric.estimate).value});
    }
    std::stable_sort(gaps.begin(), gaps.end(),
                     [](const Gap& a, const Gap& b) { return a.difference > b.difference; });
    report.gaps.insert(report.gaps.end(), gaps.begin(), gaps.end());
  }
  return report;
}

}  // namespace varsam::models
