// Agency benchmarks from the register: effect sizes adjusted for intake severity, change rates,
// dropout, with groups below k protected (varsam/outcomes.h, "Agency benchmarks";
// docs/outcomes.md, "Agency benchmarks").

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "varsam/core.h"
#include "varsam/outcomes.h"

namespace varsam::outcomes {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kDropout = "dropout";

// What one series contributes.
struct SeriesFacts {
  double intake = 0;
  double change = 0;  // the improvement: signed so that > 0 is better
  instruments::ChangeCategory category = instruments::ChangeCategory::kNoReliableChange;
  bool has_target = false;
  bool on_target = false;
  std::int32_t person = 0;
  const store::EpisodeRow* episode = nullptr;  // when linked
};

BenchmarkFigures Figures(const std::vector<SeriesFacts>& facts,
                         const std::vector<std::size_t>& members, bool etr,
                         const std::optional<SeverityAdjustment>& adjustment,
                         const std::vector<double>& residuals) {
  BenchmarkFigures f;
  std::vector<std::int32_t> people;
  people.reserve(members.size());
  double intake = 0, change = 0, residual = 0;
  std::int64_t reached = 0, improved = 0, deteriorated = 0, recovered = 0, dropped = 0;
  for (const std::size_t i : members) {
    const SeriesFacts& s = facts[i];
    people.push_back(s.person);
    intake += s.intake;
    change += s.change;
    residual += residuals[i];
    const bool is_recovered = s.category == instruments::ChangeCategory::kRecovered;
    if (is_recovered) ++recovered;
    if (is_recovered || s.category == instruments::ChangeCategory::kReliablyImproved) ++improved;
    if (s.category == instruments::ChangeCategory::kReliablyDeteriorated) ++deteriorated;
    if (etr) {
      if (s.has_target) {
        ++f.target_series;
        if (s.on_target) ++reached;
      }
    } else {
      ++f.target_series;
      if (is_recovered) ++reached;
    }
    if (s.episode != nullptr && !s.episode->outcome.empty()) {
      ++f.ended_series;
      if (s.episode->outcome == kDropout) ++dropped;
    }
  }
  std::sort(people.begin(), people.end());
  f.people = std::unique(people.begin(), people.end()) - people.begin();
  f.series = static_cast<std::int64_t>(members.size());
  if (members.empty()) return f;
  const auto n = static_cast<double>(members.size());
  f.mean_intake = intake / n;
  f.reliable_improvement = static_cast<double>(improved) / n;
  f.reliable_deterioration = static_cast<double>(deteriorated) / n;
  f.recovered = static_cast<double>(recovered) / n;
  if (adjustment) {
    f.effect_size = change / n / adjustment->sd_intake;
    f.severity_adjusted_effect_size =
        (adjustment->mean_predicted_change + residual / n) / adjustment->sd_intake;
  }
  if (f.target_series > 0) {
    f.reaching_target = static_cast<double>(reached) / static_cast<double>(f.target_series);
  }
  if (f.ended_series > 0) {
    f.dropout = static_cast<double>(dropped) / static_cast<double>(f.ended_series);
  }
  return f;
}

std::int64_t PeopleOf(const std::vector<SeriesFacts>& facts,
                      const std::vector<std::size_t>& members) {
  std::vector<std::int32_t> people;
  people.reserve(members.size());
  for (const std::size_t i : members) people.push_back(facts[i].person);
  std::sort(people.begin(), people.end());
  return std::unique(people.begin(), people.end()) - people.begin();
}

Json Number(const std::optional<double>& x) { return x ? Json(*x) : Json(nullptr); }

Json GroupJson(const BenchmarkGroup& group, bool service) {
  Json out;
  out["group"] = group.name;
  out["service"] = service;
  out["protected"] = group.is_protected;
  const BenchmarkFigures* f = group.figures ? &*group.figures : nullptr;
  const auto count = [&](std::int64_t BenchmarkFigures::*member) {
    return f != nullptr ? Json(f->*member) : Json(nullptr);
  };
  const auto share = [&](double BenchmarkFigures::*member) {
    return f != nullptr ? Json(f->*member) : Json(nullptr);
  };
  const auto optional = [&](std::optional<double> BenchmarkFigures::*member) {
    return f != nullptr ? Number(f->*member) : Json(nullptr);
  };
  out["people"] = count(&BenchmarkFigures::people);
  out["series"] = count(&BenchmarkFigures::series);
  out["mean_intake"] = share(&BenchmarkFigures::mean_intake);
  out["effect_size"] = optional(&BenchmarkFigures::effect_size);
  out["severity_adjusted_effect_size"] = optional(&BenchmarkFigures::severity_adjusted_effect_size);
  out["target_series"] = count(&BenchmarkFigures::target_series);
  out["reaching_target"] = optional(&BenchmarkFigures::reaching_target);
  out["reliable_improvement"] = share(&BenchmarkFigures::reliable_improvement);
  out["reliable_deterioration"] = share(&BenchmarkFigures::reliable_deterioration);
  out["recovered"] = share(&BenchmarkFigures::recovered);
  out["ended_series"] = count(&BenchmarkFigures::ended_series);
  out["dropout"] = optional(&BenchmarkFigures::dropout);
  return out;
}

}  // namespace

std::string_view BenchmarkByName(BenchmarkBy by) {
  switch (by) {
    case BenchmarkBy::kService: return "service";
    case BenchmarkBy::kIntervention: return "intervention";
    case BenchmarkBy::kRegion: return "region";
  }
  return "service";
}

std::optional<BenchmarkBy> ParseBenchmarkBy(std::string_view name) {
  for (const BenchmarkBy by :
       {BenchmarkBy::kService, BenchmarkBy::kIntervention, BenchmarkBy::kRegion}) {
    if (BenchmarkByName(by) == name) return by;
  }
  return std::nullopt;
}

absl::StatusOr<BenchmarkSpec> ParseBenchmarkSpec(std::string_view json) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json root, ParseJson(json, "spec"));
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(root, "spec", {"instrument", "by", "min_people", "max_session"}));
  if (!root.contains("instrument")) return InvalidField("spec.instrument", "is required");
  BenchmarkSpec spec;
  const nlohmann::json& instrument = root["instrument"];
  if (!instrument.is_string()) return InvalidField("spec.instrument", "must be a string");
  spec.instrument = instrument.get<std::string>();
  if (spec.instrument.empty()) return InvalidField("spec.instrument", "must not be empty");
  if (root.contains("by")) {
    const nlohmann::json& by = root["by"];
    const std::optional<BenchmarkBy> parsed =
        by.is_string() ? ParseBenchmarkBy(by.get<std::string>()) : std::nullopt;
    if (!parsed) {
      return InvalidField("spec.by", R"(must be "service", "intervention" or "region")");
    }
    spec.by = *parsed;
  }
  if (root.contains("min_people")) {
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t min_people,
                            JsonWholeNumber(root["min_people"], "spec.min_people", 2, 1000000));
    spec.min_people = static_cast<int>(min_people);
  }
  if (root.contains("max_session")) {
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t max_session,
                            JsonWholeNumber(root["max_session"], "spec.max_session", 2, 200));
    spec.max_session = static_cast<int>(max_session);
  }
  return spec;
}

absl::StatusOr<Benchmarks> ComputeBenchmarks(const BenchmarkSpec& spec,
                                             const instruments::Instrument& instrument,
                                             std::span<const store::EpisodeRow> episodes,
                                             std::span<const store::RegisterMeasurementRow> rows,
                                             const EtrModel* curves) {
  if (spec.instrument != instrument.id()) {
    return InvalidField("spec.instrument", "is not the instrument given");
  }
  // k = 1 would protect nobody.
  if (spec.min_people < 2) return InvalidField("spec.min_people", "must be at least 2");
  if (spec.max_session < 2 || spec.max_session > 200) {
    return InvalidField("spec.max_session", "must be a whole number from 2 to 200");
  }
  if (curves != nullptr && curves->spec.instrument != instrument.id()) {
    return InvalidField("curves", "are for another instrument");
  }
  if (!instrument.definition().change.has_value()) {
    return absl::FailedPreconditionError(
        "spec.instrument: has no change rule, so neither the direction of improvement nor "
        "reliable change is known");
  }

  std::vector<store::RegisterMeasurementRow> mine;
  for (const store::RegisterMeasurementRow& row : rows) {
    if (row.instrument == instrument.id()) mine.push_back(row);
  }
  const SeriesSet set = BuildSeries(mine, spec.max_session);
  mine = {};

  const std::vector<const store::EpisodeRow*> linked = LinkEpisodes(set, episodes);

  // Each series' last session (and, with curves, its last session the curves cover).
  const auto count = static_cast<std::size_t>(set.series);
  std::vector<const SeriesRow*> last(count, nullptr), last_covered(count, nullptr);
  for (const SeriesRow& r : set.rows) {
    const auto s = static_cast<std::size_t>(r.series);
    last[s] = &r;
    if (curves != nullptr && r.session <= curves->spec.max_session) last_covered[s] = &r;
  }

  std::vector<SeriesFacts> facts(count);
  std::int64_t unlinked = 0;
  for (std::size_t s = 0; s < count; ++s) {
    SeriesFacts& f = facts[s];
    f.intake = set.intakes[s];
    f.person = set.person[s];
    f.episode = linked[s];
    if (f.episode == nullptr) ++unlinked;
    const absl::StatusOr<instruments::ChangeAssessment> assessed =
        instrument.AssessChange(f.intake, last[s]->total);
    if (!assessed.ok()) {
      if (assessed.status().code() == absl::StatusCode::kInvalidArgument) {
        return InvalidField("rows", "a total lies outside the instrument's range");
      }
      return assessed.status();
    }
    f.change = assessed->improvement;
    f.category = assessed->category;
    // Curves with predictors apply to a series with its episode's levels, so only to a linked
    // one.
    const ClientLevels levels = f.episode != nullptr ? LevelsOf(*f.episode) : ClientLevels{};
    if (curves != nullptr && last_covered[s] != nullptr &&
        (curves->spec.predictors.empty() || f.episode != nullptr) &&
        Supported(*curves, f.intake, levels)) {
      f.has_target = true;
      const CurvePoint point = CurveAt(*curves, f.intake, last_covered[s]->session, levels);
      const double sign = curves->spec.higher_is_better ? 1 : -1;
      f.on_target = sign * (last_covered[s]->total - point.expected) >= 0;
    }
  }

  // The severity adjustment over every series: OLS of change on intake.
  std::optional<SeverityAdjustment> adjustment;
  std::vector<double> residuals(count, 0.0);
  if (count >= 2) {
    double mean_x = 0, mean_y = 0;
    for (const SeriesFacts& f : facts) {
      mean_x += f.intake;
      mean_y += f.change;
    }
    mean_x /= static_cast<double>(count);
    mean_y /= static_cast<double>(count);
    double sxx = 0, sxy = 0;
    for (const SeriesFacts& f : facts) {
      sxx += (f.intake - mean_x) * (f.intake - mean_x);
      sxy += (f.intake - mean_x) * (f.change - mean_y);
    }
    if (sxx > 0) {
      SeverityAdjustment a;
      a.slope = sxy / sxx;
      a.intercept = mean_y - a.slope * mean_x;
      a.sd_intake = std::sqrt(sxx / static_cast<double>(count - 1));
      double predicted = 0;
      for (std::size_t s = 0; s < count; ++s) {
        const double p = a.intercept + a.slope * facts[s].intake;
        predicted += p;
        residuals[s] = facts[s].change - p;
      }
      a.mean_predicted_change = predicted / static_cast<double>(count);
      adjustment = a;
    }
  }

  Benchmarks out;
  out.instrument = instrument.id();
  out.by = spec.by;
  out.min_people = spec.min_people;
  out.target = curves != nullptr ? "etr" : "recovered";
  if (curves != nullptr) out.curves_sha256 = curves->sha256;
  out.period_from = set.period_from;
  out.period_to = set.period_to;
  const bool etr = curves != nullptr;

  std::vector<std::size_t> all(count);
  for (std::size_t s = 0; s < count; ++s) all[s] = s;
  out.service.name = "service";
  out.service.is_protected = PeopleOf(facts, all) < spec.min_people;
  if (!out.service.is_protected) {
    out.service.figures = Figures(facts, all, etr, adjustment, residuals);
    out.adjustment = adjustment;
    out.unlinked_series = unlinked;
  }

  if (spec.by == BenchmarkBy::kService) return out;
  std::map<std::string, std::vector<std::size_t>> members;  // by name: the order shown
  for (std::size_t s = 0; s < count; ++s) {
    const store::EpisodeRow* e = facts[s].episode;
    if (e == nullptr) continue;
    if (spec.by == BenchmarkBy::kIntervention) {
      members[e->intervention.empty() ? "none" : e->intervention].push_back(s);
    } else {
      members[e->region.empty() ? "suppressed" : e->region].push_back(s);
    }
  }
  struct Size {
    std::int64_t people, series;
    std::size_t index;
  };
  std::vector<Size> shown;
  std::size_t protected_groups = 0;
  for (const auto& [name, group_members] : members) {
    BenchmarkGroup group;
    group.name = name;
    const std::int64_t people = PeopleOf(facts, group_members);
    group.is_protected = out.service.is_protected || people < spec.min_people;
    if (group.is_protected) {
      ++protected_groups;
    } else {
      shown.push_back({people, static_cast<std::int64_t>(group_members.size()), out.groups.size()});
    }
    out.groups.push_back(std::move(group));
  }
  // Complementary suppression: one protected group alone could be had by subtraction.
  if (protected_groups == 1 && !shown.empty()) {
    // Ties: the first name, which is the lower index.
    const Size smallest = *std::min_element(shown.begin(), shown.end(), [](Size a, Size b) {
      return std::tie(a.people, a.series, a.index) < std::tie(b.people, b.series, b.index);
    });
    out.groups[smallest.index].is_protected = true;
  }
  for (BenchmarkGroup& group : out.groups) {
    if (!group.is_protected) {
      group.figures = Figures(facts, members[group.name], etr, adjustment, residuals);
    }
  }
  return out;
}

std::string BenchmarksJson(const Benchmarks& b) {
  Json out;
  out["format"] = "varsam-outcome-benchmarks/1";
  out["instrument"] = b.instrument;
  out["by"] = BenchmarkByName(b.by);
  out["k"] = b.min_people;
  out["target"] = b.target;
  out["curves"] = b.curves_sha256.empty() ? Json(nullptr) : Json(b.curves_sha256);
  out["period_from"] = b.period_from;
  out["period_to"] = b.period_to;
  if (b.adjustment) {
    out["adjustment"] = {{"intercept", b.adjustment->intercept},
                         {"slope", b.adjustment->slope},
                         {"sd_intake", b.adjustment->sd_intake},
                         {"mean_predicted_change", b.adjustment->mean_predicted_change}};
  } else {
    out["adjustment"] = nullptr;
  }
  out["unlinked_series"] = b.unlinked_series ? Json(*b.unlinked_series) : Json(nullptr);
  Json groups = Json::array();
  groups.push_back(GroupJson(b.service, true));
  for (const BenchmarkGroup& group : b.groups) groups.push_back(GroupJson(group, false));
  out["groups"] = std::move(groups);
  return DumpJson(out);
}

}  // namespace varsam::outcomes
