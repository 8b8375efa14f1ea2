// From register rows to a design (varsam/models.h; docs/models.md, "From register rows to a
// design"): the population, the raw features per episode, then the encoding in which every
// level stands for at least min_support distinct pseudonyms.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "internal.h"
#include "varsam/core.h"
#include "varsam/models.h"
#include "varsam/store.h"

namespace varsam::models {
namespace {

constexpr std::string_view kOther = "(other)";
constexpr std::string_view kMissing = "(missing)";

int Digits(std::string_view s) {
  int v = 0;
  for (const char c : s) {
    if (!IsDigit(c)) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string PersonKey(const std::string& pseudonym, std::int32_t epoch) {
  return std::string(pseudonym).append("\n").append(std::to_string(epoch));
}

std::string Number(double v) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), v);
  if (ec != std::errc()) return "?";
  return std::string(buffer, end);
}

std::string BinLabel(const std::vector<double>& cuts, std::size_t bin) {
  if (cuts.empty()) return "all";
  if (bin == 0) return std::string("< ").append(Number(cuts[0]));
  if (bin == cuts.size()) return std::string(">= ").append(Number(cuts.back()));
  return std::string("[")
      .append(Number(cuts[bin - 1]))
      .append(", ")
      .append(Number(cuts[bin]))
      .append(")");
}

std::size_t BinOf(const std::vector<double>& cuts, double x) {
  return static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), x) - cuts.begin());
}

std::size_t DistinctGroups(std::vector<std::int32_t> groups) {
  std::sort(groups.begin(), groups.end());
  return static_cast<std::size_t>(std::unique(groups.begin(), groups.end()) - groups.begin());
}

struct Intake {
  int first = 0;
  int last = 0;
  int session = 0;
  std::optional<double> total;
  std::string band;
};

// Categorical: merge levels below k into "(other)", and "(other)" below k into the reference.
FeatureInfo EncodeCategorical(std::string name, FeatureKind kind,
                              const std::vector<FeatureRow>& raw,
                              const std::vector<std::int32_t>& groups, std::size_t f,
                              std::size_t k) {
  std::map<std::string, std::vector<std::int32_t>> by_level;
  for (std::size_t r = 0; r < raw.size(); ++r) by_level[raw[r][f].level].push_back(groups[r]);
  std::vector<std::pair<std::string, std::size_t>> kept;  // level, rows
  std::vector<std::string> small;
  std::vector<std::int32_t> small_groups;
  std::size_t small_rows = 0;
  for (const auto& [level, level_groups] : by_level) {
    if (DistinctGroups(level_groups) >= k) {
      kept.emplace_back(level, level_groups.size());
    } else {
      small.push_back(level);
      small_groups.insert(small_groups.end(), level_groups.begin(), level_groups.end());
      small_rows += level_groups.size();
    }
  }
  FeatureInfo info;
  info.name = std::move(name);
  info.kind = kind;
  info.merged = small;
  const bool other = !small.empty() && DistinctGroups(small_groups) >= k;
  if (other) kept.emplace_back(kOther, small_rows);
  if (kept.empty()) {
    info.levels.emplace_back(kOther);  // nothing reaches k: the feature has no column
    return info;
  }
  // The reference is the most common level (ties: the first label), then the labels in order.
  const auto ref = std::max_element(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first > b.first);
  });
  info.levels.push_back(ref->first);
  for (const auto& [level, rows] : kept) {
    if (level != ref->first && level != kOther) info.levels.push_back(level);
  }
  if (other && ref->first != kOther) info.levels.emplace_back(kOther);
  return info;
}

// Intake totals: quantile bins (each distinct value its own bin when there are no more of them
// than bins), a bin below k merged with its neighbour, "(missing)" below k into the reference.
FeatureInfo EncodeTotal(std::string name, const std::vector<FeatureRow>& raw,
                        const std::vector<std::int32_t>& groups, std::size_t f, std::size_t k,
                        int bins) {
  std::vector<double> values;
  std::vector<std::int32_t> missing;
  for (std::size_t r = 0; r < raw.size(); ++r) {
    if (raw[r][f].number) {
      values.push_back(*raw[r][f].number);
    } else {
      missing.push_back(groups[r]);
    }
  }
  std::sort(values.begin(), values.end());
  std::vector<double> distinct = values;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<double> cuts;
  const auto b = static_cast<std::size_t>(bins);
  if (distinct.size() <= b) {
    if (!distinct.empty()) cuts.assign(distinct.begin() + 1, distinct.end());
  } else {
    const std::size_t n = values.size();
    for (std::size_t i = 1; i < b; ++i) {
      const std::size_t at = std::min(n - 1, (i * n + b - 1) / b);
      if (values[at] > values.front() && (cuts.empty() || values[at] > cuts.back())) {
        cuts.push_back(values[at]);
      }
    }
  }
  FeatureInfo info;
  info.name = std::move(name);
  info.kind = FeatureKind::kIntakeTotal;
  for (;;) {
    std::vector<std::vector<std::int32_t>> per_bin(cuts.size() + 1);
    for (std::size_t r = 0; r < raw.size(); ++r) {
      if (raw[r][f].number) per_bin[BinOf(cuts, *raw[r][f].number)].push_back(groups[r]);
    }
    std::size_t thin = per_bin.size();
    for (std::size_t i = 0; i < per_bin.size(); ++i) {
      if (DistinctGroups(per_bin[i]) < k) {
        thin = i;
        break;
      }
    }
    if (thin == per_bin.size() || cuts.empty()) break;
    const std::string label = BinLabel(cuts, thin);
    info.merged.push_back(label);
    cuts.erase(cuts.begin() + static_cast<std::ptrdiff_t>(thin == 0 ? 0 : thin - 1));
  }
  info.cut_points = cuts;
  for (std::size_t i = 0; i <= cuts.size(); ++i) info.levels.push_back(BinLabel(cuts, i));
  if (!missing.empty()) {
    if (DistinctGroups(missing) >= k) {
      info.levels.emplace_back(kMissing);
    } else {
      info.merged.emplace_back(kMissing);
    }
  }
  return info;
}

absl::Status CheckSpec(const ModelSpec& spec) {
  if (spec.features.empty() && spec.protected_classes.empty()) {
    return InvalidField("spec.features", "must name a feature");
  }
  if (spec.lambdas.empty()) return InvalidField("spec.learner.l2", "must give a lambda");
  for (const double l : spec.lambdas) {
    if (!std::isfinite(l) || l < 0) return InvalidField("spec.learner.l2", "must be 0 or more");
  }
  if (spec.folds < 2 || spec.folds > 20) return InvalidField("spec.learner.folds", "must be 2..20");
  if (spec.min_support < 2) return InvalidField("spec.min_support", "must be at least 2");
  for (const FeatureSpec& feature : spec.features) {
    if (feature.kind == FeatureKind::kIntakeTotal && (feature.bins < 2 || feature.bins > 20)) {
      return InvalidField("spec.features", "bins must be 2..20");
    }
  }
  for (const FeatureSpec& feature : spec.fairness) {
    if (feature.kind == FeatureKind::kIntakeTotal) {
      return InvalidField("spec.fairness.features", "intake_total is no group; use intake_band");
    }
  }
  if (spec.target_kind == TargetKind::kNewCase &&
      (spec.new_case_months < 1 || spec.new_case_months > 120)) {
    return InvalidField("spec.target.new_case_within_months", "must be 1..120");
  }
  if (!spec.protected_classes.empty()) {
    return absl::FailedPreconditionError(
        "spec.features: names a special category of personal data or a proxy of one, which the "
        "register does not hold and a model must not use");
  }
  return absl::OkStatus();
}

std::string FeatureName(const FeatureSpec& feature) {
  std::string name(FeatureKindName(feature.kind));
  if (!feature.instrument.empty()) name.append(":").append(feature.instrument);
  return name;
}

}  // namespace

std::optional<PeriodMonths> ParsePeriod(std::string_view p) {
  if (p.size() < 4) return std::nullopt;
  const int year = Digits(p.substr(0, 4));
  if (year < 1) return std::nullopt;
  if (p.size() == 4) return PeriodMonths{year * 12, year * 12 + 11};
  if (p.size() == 7 && p[4] == '-' && p[5] == 'Q' && p[6] >= '1' && p[6] <= '4') {
    const int q = p[6] - '1';
    return PeriodMonths{year * 12 + 3 * q, year * 12 + 3 * q + 2};
  }
  if (p.size() == 7 && p[4] == '-') {
    const int month = Digits(p.substr(5, 2));
    if (month < 1 || month > 12) return std::nullopt;
    return PeriodMonths{year * 12 + month - 1, year * 12 + month - 1};
  }
  return std::nullopt;
}

std::size_t LevelOf(const FeatureInfo& feature, const FeatureValue& value) {
  const auto index = [&](std::string_view label) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < feature.levels.size(); ++i) {
      if (feature.levels[i] == label) return i;
    }
    return std::nullopt;
  };
  if (feature.kind == FeatureKind::kIntakeTotal) {
    if (!value.number) return index(kMissing).value_or(0);
    const std::size_t bin = BinOf(feature.cut_points, *value.number);
    return bin < feature.levels.size() ? bin : 0;
  }
  if (const auto i = index(value.level)) return *i;
  return index(kOther).value_or(0);
}

absl::StatusOr<TrainingSet> BuildTrainingSet(
    const ModelSpec& spec, std::span<const store::EpisodeRow> episodes,
    std::span<const store::RegisterMeasurementRow> measurements) {
  VARSAM_RETURN_IF_ERROR(CheckSpec(spec));
  std::optional<PeriodMonths> from;
  std::optional<PeriodMonths> to;
  if (!spec.period_from.empty() && !(from = ParsePeriod(spec.period_from))) {
    return InvalidField("spec.population.period.from", "must be a period");
  }
  if (!spec.period_to.empty() && !(to = ParsePeriod(spec.period_to))) {
    return InvalidField("spec.population.period.to", "must be a period");
  }

  // Every episode's periods, and each person's start months (for earlier_episodes).
  std::vector<PeriodMonths> start(episodes.size());
  std::vector<int> end_month(episodes.size());
  std::vector<std::string> person(episodes.size());
  std::unordered_map<std::string, std::vector<int>> starts_of;
  for (std::size_t i = 0; i < episodes.size(); ++i) {
    const store::EpisodeRow& e = episodes[i];
    const auto s = ParsePeriod(e.start_period);
    if (!s) return InvalidField(JsonIndexPath("episodes", i).append(".start_period"), "bad period");
    start[i] = *s;
    if (e.end_period.empty()) {
      end_month[i] = 1 << 30;
    } else {
      const auto en = ParsePeriod(e.end_period);
      if (!en)
        return InvalidField(JsonIndexPath("episodes", i).append(".end_period"), "bad period");
      end_month[i] = en->last;
    }
    person[i] = PersonKey(e.pseudonym, e.key_epoch);
    starts_of[person[i]].push_back(s->first);
  }
  for (auto& [key, months] : starts_of) std::sort(months.begin(), months.end());

  // The measurements of the instruments the features name, by person and instrument.
  std::vector<std::string> instruments;
  for (const auto* list : {&spec.features, &spec.fairness}) {
    for (const FeatureSpec& feature : *list) {
      if (!feature.instrument.empty()) instruments.push_back(feature.instrument);
    }
  }
  std::unordered_map<std::string, std::vector<Intake>> intakes;
  for (std::size_t i = 0; i < measurements.size() && !instruments.empty(); ++i) {
    const store::RegisterMeasurementRow& m = measurements[i];
    if (std::find(instruments.begin(), instruments.end(), m.instrument) == instruments.end()) {
      continue;
    }
    const auto p = ParsePeriod(m.period);
    if (!p) return InvalidField(JsonIndexPath("measurements", i).append(".period"), "bad period");
    intakes[PersonKey(m.pseudonym, m.key_epoch).append("\n").append(m.instrument)].push_back(
        {p->first, p->last, m.session, m.total, m.band});
  }
  for (auto& [key, list] : intakes) {
    std::sort(list.begin(), list.end(), [](const Intake& a, const Intake& b) {
      return std::tie(a.first, a.session) < std::tie(b.first, b.session);
    });
  }

  // The new-case target: another episode of the same person that starts from the month this
  // one's end period begins (and after this one's start) up to new_case_months after the end
  // period's last month. An episode whose window reaches past the register's latest month is
  // censored: it is left out, for its label is not known yet.
  const bool new_case = spec.target_kind == TargetKind::kNewCase;
  int latest_month = 0;
  for (std::size_t i = 0; i < episodes.size(); ++i) {
    latest_month =
        std::max({latest_month, start[i].last, end_month[i] == (1 << 30) ? 0 : end_month[i]});
  }
  const auto new_case_label = [&](std::size_t i) {
    const int window_from = ParsePeriod(episodes[i].end_period)->first;
    const int window_to = end_month[i] + spec.new_case_months;
    const std::vector<int>& months = starts_of[person[i]];
    return std::any_of(std::lower_bound(months.begin(), months.end(), window_from),
                       std::upper_bound(months.begin(), months.end(), window_to),
                       [&](int m) { return m > start[i].first; });
  };

  TrainingSet out;
  std::vector<std::size_t> selected;
  for (std::size_t i = 0; i < episodes.size(); ++i) {
    const store::EpisodeRow& e = episodes[i];
    const auto in = [](const std::vector<std::string>& list, const std::string& v) {
      return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
    };
    const bool labelled =
        new_case ? !e.end_period.empty() && end_month[i] + spec.new_case_months <= latest_month
                 : !e.outcome.empty();
    const bool keep =
        labelled && in(spec.case_kinds, e.case_kind) && in(spec.interventions, e.intervention) &&
        (!from || start[i].first >= from->first) && (!to || start[i].first <= to->last);
    if (keep) {
      selected.push_back(i);
    } else {
      ++out.left_out;
    }
  }
  if (selected.empty()) return InvalidField("episodes", "no episode is in the population");

  // Pseudonyms, sorted, as group indices.
  std::vector<std::string> people;
  people.reserve(selected.size());
  for (const std::size_t i : selected) people.push_back(person[i]);
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  out.pseudonyms = people.size();

  out.rows = selected.size();
  out.raw.reserve(out.rows);
  out.labels.reserve(out.rows);
  out.groups.reserve(out.rows);
  double positives = 0;
  for (const FeatureSpec& feature : spec.fairness) {
    out.fairness_names.push_back(FeatureName(feature));
    out.fairness_levels.emplace_back().reserve(out.rows);
  }
  std::set<std::int32_t> epochs;
  std::size_t first_start = selected.front();
  std::size_t last_start = selected.front();
  for (const std::size_t i : selected) {
    const store::EpisodeRow& e = episodes[i];
    epochs.insert(e.key_epoch);
    if (start[i].first < start[first_start].first) first_start = i;
    if (start[i].first > start[last_start].first) last_start = i;
    const auto value_of = [&](const FeatureSpec& feature) {
      FeatureValue v;
      switch (feature.kind) {
        case FeatureKind::kAgeBand: v.level = e.age_band; break;
        case FeatureKind::kSex: v.level = e.sex.empty() ? "unknown" : e.sex; break;
        case FeatureKind::kRegion: v.level = e.region.empty() ? "suppressed" : e.region; break;
        case FeatureKind::kCaseKind: v.level = e.case_kind; break;
        case FeatureKind::kIntervention:
          v.level = e.intervention.empty() ? "none" : e.intervention;
          break;
        case FeatureKind::kEarlierEpisodes: {
          const std::vector<int>& months = starts_of[person[i]];
          const auto earlier =
              std::lower_bound(months.begin(), months.end(), start[i].first) - months.begin();
          v.level = earlier >= 3 ? "3+" : std::to_string(earlier);
          break;
        }
        case FeatureKind::kIntakeTotal:
        case FeatureKind::kIntakeBand: {
          const Intake* intake = nullptr;
          const auto found =
              intakes.find(std::string(person[i]).append("\n").append(feature.instrument));
          if (found != intakes.end()) {
            for (const Intake& m : found->second) {
              if (m.first >= start[i].first && m.last <= end_month[i]) {
                intake = &m;
                break;
              }
            }
          }
          if (feature.kind == FeatureKind::kIntakeTotal) {
            if (intake != nullptr && intake->total && std::isfinite(*intake->total)) {
              v.number = intake->total;
            }
          } else {
            v.level = intake == nullptr      ? std::string(kMissing)
                      : intake->band.empty() ? std::string("(no band)")
                                             : intake->band;
          }
          break;
        }
      }
      return v;
    };
    FeatureRow row;
    row.reserve(spec.features.size());
    for (const FeatureSpec& feature : spec.features) row.push_back(value_of(feature));
    out.raw.push_back(std::move(row));
    for (std::size_t f = 0; f < spec.fairness.size(); ++f) {
      out.fairness_levels[f].push_back(value_of(spec.fairness[f]).level);
    }
    const double label = (new_case ? new_case_label(i) : e.outcome == spec.target) ? 1.0 : 0.0;
    positives += label;
    out.labels.push_back(label);
    out.groups.push_back(static_cast<std::int32_t>(
        std::lower_bound(people.begin(), people.end(), person[i]) - people.begin()));
  }
  out.period_from = episodes[first_start].start_period;
  out.period_to = episodes[last_start].start_period;
  out.key_epochs.assign(epochs.begin(), epochs.end());
  if (positives == 0 || positives == static_cast<double>(out.rows)) {
    return absl::FailedPreconditionError(
        "training set: every episode has the same label; there is nothing to learn");
  }

  const auto k = static_cast<std::size_t>(spec.min_support);
  for (std::size_t f = 0; f < spec.features.size(); ++f) {
    const FeatureSpec& feature = spec.features[f];
    std::string name = FeatureName(feature);
    out.features.push_back(
        feature.kind == FeatureKind::kIntakeTotal
            ? EncodeTotal(std::move(name), out.raw, out.groups, f, k, feature.bins)
            : EncodeCategorical(std::move(name), feature.kind, out.raw, out.groups, f, k));
  }
  std::vector<std::size_t> first_column;
  for (const FeatureInfo& info : out.features) {
    first_column.push_back(out.column_names.size());
    for (std::size_t l = 1; l < info.levels.size(); ++l) {
      out.column_names.push_back(std::string(info.name).append("=").append(info.levels[l]));
    }
  }
  out.design.assign(out.rows * out.column_names.size(), 0.0);
  for (std::size_t r = 0; r < out.rows; ++r) {
    for (std::size_t f = 0; f < out.features.size(); ++f) {
      const std::size_t level = LevelOf(out.features[f], out.raw[r][f]);
      if (level > 0) out.design[(first_column[f] + level - 1) * out.rows + r] = 1.0;
    }
  }
  return out;
}

}  // namespace varsam::models
