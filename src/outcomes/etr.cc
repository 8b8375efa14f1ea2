// Expected-treatment-response curves and the check of one client against them
// (varsam/outcomes.h; docs/outcomes.md).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "internal.h"
#include "varsam/outcomes.h"

namespace varsam::outcomes {
namespace {

// The standard normal quantile, by bisection on std::erfc to full double precision (called
// once per curve point; no table, no approximation to document).
double NormalQuantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

}  // namespace

namespace internal {

absl::Status CheckSpec(const EtrSpec& spec) {
  if (spec.instrument.empty()) return InvalidField("spec.instrument", "must not be empty");
  // In the order of kEtrPredictors, none twice.
  std::size_t next = 0;
  for (const std::string& name : spec.predictors) {
    while (next < std::size(kEtrPredictors) && kEtrPredictors[next] != name) ++next;
    if (next == std::size(kEtrPredictors)) {
      return InvalidField("spec.predictors",
                          "must be intervention and age_band, each at most once, in that order");
    }
    ++next;
  }
  if (!(spec.boundary_percentile > 0 && spec.boundary_percentile < 50)) {
    return InvalidField("spec.boundary_percentile", "must lie between 0 and 50");
  }
  if (spec.max_session < 2 || spec.max_session > 200) {
    return InvalidField("spec.max_session", "must be a whole number from 2 to 200");
  }
  if (spec.min_support < 1) return InvalidField("spec.min_support", "must be at least 1");
  if (!(spec.scale_max > spec.scale_min) || !(std::abs(spec.scale_min) <= instruments::kMaxScale) ||
      !(std::abs(spec.scale_max) <= instruments::kMaxScale)) {
    return InvalidField("spec.scale_max", "must lie above scale_min, both within +-1e6");
  }
  if (!(spec.bin_width > 0) || (spec.scale_max - spec.scale_min) / spec.bin_width > 1000) {
    return InvalidField("spec.bin_width", "must be positive, with at most 1000 bins");
  }
  return absl::OkStatus();
}

int BinCount(const EtrSpec& spec) {
  return static_cast<int>(std::ceil((spec.scale_max - spec.scale_min) / spec.bin_width - 1e-9));
}

std::vector<std::string> LevelPredictors(const std::vector<PredictorLevels>& levels) {
  std::vector<std::string> names;
  for (const PredictorLevels& p : levels) {
    for (std::size_t l = 1; l < p.levels.size(); ++l) {
      names.push_back(Cat({p.predictor, "=", p.levels[l].level}));
    }
  }
  return names;
}

}  // namespace internal

namespace {

int BinOf(const EtrSpec& spec, double intake, int bins) {
  const int b = static_cast<int>(std::floor((intake - spec.scale_min) / spec.bin_width));
  return std::clamp(b, 0, bins - 1);
}

// The place of a level among a predictor's levels: its own, else kOtherLevel's; -1 for neither.
int LevelIndex(const PredictorLevels& p, std::string_view level) {
  int other = -1;
  for (std::size_t l = 0; l < p.levels.size(); ++l) {
    if (p.levels[l].level == level) return static_cast<int>(l);
    if (p.levels[l].level == kOtherLevel) other = static_cast<int>(l);
  }
  return other;
}

// Appends the level indicators of `levels` to `out`: per predictor, for each level after the
// reference, 1 when it is the client's level (or (other), which stands for the client's) and 0
// otherwise. A level neither named nor pooled counts as the reference (all 0).
void AppendIndicators(const std::vector<PredictorLevels>& predictors, const ClientLevels& levels,
                      std::vector<double>& out) {
  for (const PredictorLevels& p : predictors) {
    const int at = LevelIndex(p, LevelOf(levels, p.predictor));
    for (std::size_t l = 1; l < p.levels.size(); ++l) out.push_back(at == static_cast<int>(l));
  }
}

std::int64_t DistinctPeople(std::vector<std::int32_t> people) {
  std::sort(people.begin(), people.end());
  return std::unique(people.begin(), people.end()) - people.begin();
}

// The series of `data` that `keep` marks, numbered anew; people keep their indices.
SeriesSet Subset(const SeriesSet& data, const std::vector<bool>& keep) {
  SeriesSet out;
  out.people = data.people;
  out.left_out = data.left_out;
  std::vector<std::int32_t> renumbered(keep.size(), -1);
  std::vector<bool> counted(data.people.size(), false);
  for (std::size_t s = 0; s < keep.size(); ++s) {
    if (!keep[s]) continue;
    renumbered[s] = out.series++;
    out.intakes.push_back(data.intakes[s]);
    out.person.push_back(data.person[s]);
    const std::string& period = data.intake_periods[s];
    out.intake_periods.push_back(period);
    if (out.period_from.empty() || period < out.period_from) out.period_from = period;
    if (period > out.period_to) out.period_to = period;
    const auto person = static_cast<std::size_t>(data.person[s]);
    if (!counted[person]) {
      counted[person] = true;
      ++out.pseudonyms;
    }
  }
  for (const SeriesRow& row : data.rows) {
    const std::int32_t s = renumbered[static_cast<std::size_t>(row.series)];
    if (s < 0) continue;
    SeriesRow kept = row;
    kept.series = s;
    out.rows.push_back(kept);
  }
  return out;
}

// The levels of each predictor among the series `keep` marks: per predictor the levels of at
// least k people in byte order, then kOtherLevel for the rest when they are k or more; when they
// are fewer, their series are left out (keep cleared) and every predictor is counted again,
// which can only lower counts, so this ends.
std::vector<PredictorLevels> ChooseLevels(const EtrSpec& spec, const SeriesSet& data,
                                          const std::vector<ClientLevels>& levels,
                                          std::vector<bool>& keep) {
  std::vector<PredictorLevels> chosen;
  for (bool again = true; again;) {
    again = false;
    chosen.clear();
    for (const std::string& predictor : spec.predictors) {
      std::map<std::string_view, std::vector<std::int32_t>> people;
      for (std::size_t s = 0; s < keep.size(); ++s) {
        if (keep[s]) people[LevelOf(levels[s], predictor)].push_back(data.person[s]);
      }
      PredictorLevels p;
      p.predictor = predictor;
      std::vector<std::int32_t> others;
      std::set<std::string_view> pooled;
      for (const auto& [level, who] : people) {
        const std::int64_t distinct = DistinctPeople(who);
        if (distinct >= spec.min_support) {
          p.levels.push_back({std::string(level), distinct});
        } else {
          others.insert(others.end(), who.begin(), who.end());
          pooled.insert(level);
        }
      }
      const std::int64_t other_people = DistinctPeople(std::move(others));
      if (other_people >= spec.min_support) {
        p.levels.push_back({std::string(kOtherLevel), other_people});
      } else if (other_people > 0) {
        for (std::size_t s = 0; s < keep.size(); ++s) {
          if (keep[s] && pooled.contains(LevelOf(levels[s], predictor))) keep[s] = false;
        }
        again = true;
      }
      chosen.push_back(std::move(p));
    }
  }
  return chosen;
}

}  // namespace

ClientLevels LevelsOf(const store::EpisodeRow& episode) {
  return {episode.intervention, episode.age_band};
}

std::string_view LevelOf(const ClientLevels& levels, std::string_view predictor) {
  if (predictor == "intervention") {
    return levels.intervention.empty() ? kNoIntervention : std::string_view(levels.intervention);
  }
  return levels.age_band;
}

EtrDesign DesignEtr(const EtrSpec& spec, const SeriesSet& all,
                    std::span<const store::EpisodeRow> episodes) {
  const std::vector<const store::EpisodeRow*> linked = LinkEpisodes(all, episodes);
  std::vector<ClientLevels> levels(linked.size());
  std::vector<bool> keep(linked.size(), false);
  for (std::size_t s = 0; s < linked.size(); ++s) {
    if (linked[s] == nullptr) continue;
    levels[s] = LevelsOf(*linked[s]);
    keep[s] = true;
  }
  EtrDesign design;
  design.levels = ChooseLevels(spec, all, levels, keep);
  design.series = Subset(all, keep);
  design.left_out = all.series - design.series.series;
  design.predictors.names = internal::LevelPredictors(design.levels);
  for (std::size_t s = 0; s < keep.size(); ++s) {
    if (keep[s]) AppendIndicators(design.levels, levels[s], design.predictors.values);
  }
  return design;
}

absl::StatusOr<EtrModel> FitEtr(const EtrSpec& spec, const SeriesSet& all,
                                std::span<const store::EpisodeRow> episodes) {
  VARSAM_RETURN_IF_ERROR(internal::CheckSpec(spec));
  EtrModel model;
  model.spec = spec;
  EtrDesign design;
  if (!spec.predictors.empty()) {
    design = DesignEtr(spec, all, episodes);
    model.levels = std::move(design.levels);
    // A count of fewer than k series is not shown (a few people with rare levels).
    model.series_left_out = design.left_out == 0 || design.left_out >= spec.min_support
                                ? std::optional<std::int64_t>(design.left_out)
                                : std::nullopt;
  }
  const SeriesSet& data = spec.predictors.empty() ? all : design.series;
  VARSAM_ASSIGN_OR_RETURN(model.fit, FitMixed(data, design.predictors));
  model.pseudonyms = data.pseudonyms;
  model.period_from = data.period_from;
  model.period_to = data.period_to;
  const int bins = internal::BinCount(spec);
  // Distinct people per bin: a person with several series in one bin counts once.
  std::vector<std::vector<std::int32_t>> people(static_cast<size_t>(bins));
  for (std::size_t i = 0; i < data.intakes.size(); ++i) {
    people[static_cast<size_t>(BinOf(spec, data.intakes[i], bins))].push_back(data.person[i]);
  }
  for (int b = 0; b < bins; ++b) {
    const std::int64_t distinct = DistinctPeople(std::move(people[static_cast<size_t>(b)]));
    IntakeBin bin;
    bin.from = spec.scale_min + b * spec.bin_width;
    bin.to = std::min(spec.scale_max, bin.from + spec.bin_width);
    bin.suppressed = distinct < spec.min_support;
    bin.pseudonyms = bin.suppressed ? 0 : distinct;
    model.bins.push_back(bin);
  }
  return model;
}

CurvePoint CurveAt(const EtrModel& model, double intake, int session, const ClientLevels& levels) {
  CurvePoint point;
  point.session = session;
  if (session <= 1) {
    point.expected = point.boundary = intake;
    return point;
  }
  const MixedFit& f = model.fit;
  const double l = std::log(static_cast<double>(session));
  // beta' (c (x) (1, l)) with c = (1, intake, the level indicators).
  std::vector<double> c = {1, intake};
  AppendIndicators(model.levels, levels, c);
  for (std::size_t j = 0; j < c.size() && 2 * j + 1 < f.beta.size(); ++j) {
    point.expected += c[j] * (f.beta[2 * j] + f.beta[2 * j + 1] * l);
  }
  const double variance =
      f.var_intercept + 2 * l * f.cov_intercept_slope + l * l * f.var_slope + f.sigma2;
  point.sd = std::sqrt(std::max(variance, 0.0));
  const double z = NormalQuantile(model.spec.boundary_percentile / 100);  // negative
  point.boundary = point.expected + (model.spec.higher_is_better ? z : -z) * point.sd;
  return point;
}

std::vector<CurvePoint> Curve(const EtrModel& model, double intake, const ClientLevels& levels) {
  std::vector<CurvePoint> curve;
  for (int s = 1; s <= model.spec.max_session; ++s) {
    curve.push_back(CurveAt(model, intake, s, levels));
  }
  return curve;
}

bool Supported(const EtrModel& model, double intake, const ClientLevels& levels) {
  if (!std::isfinite(intake) || model.bins.empty()) return false;
  if (intake < model.spec.scale_min || intake > model.spec.scale_max) return false;
  for (const PredictorLevels& p : model.levels) {
    if (LevelIndex(p, LevelOf(levels, p.predictor)) < 0) return false;
  }
  const int b = BinOf(model.spec, intake, static_cast<int>(model.bins.size()));
  return !model.bins[static_cast<size_t>(b)].suppressed;
}

std::string_view TrackName(Track track) {
  switch (track) {
    case Track::kOnTarget: return "on_target";
    case Track::kBelowTarget: return "below_target";
    case Track::kBelowBoundary: return "below_boundary";
  }
  return "on_target";
}

absl::StatusOr<std::vector<SessionCheck>> Monitor(const EtrModel& model,
                                                  const Trajectory& trajectory,
                                                  const ClientLevels& levels) {
  if (trajectory.instrument != model.spec.instrument) {
    return InvalidField("trajectory.instrument", "is not the instrument the curves are for");
  }
  std::vector<SessionCheck> checks;
  if (trajectory.points.empty()) return checks;
  const double intake = trajectory.intake();
  for (const TrajectoryPoint& point : trajectory.points) {
    if (point.session < 2 || point.session > model.spec.max_session) continue;
    SessionCheck check;
    check.session = point.session;
    check.total = point.total;
    check.curve = CurveAt(model, intake, point.session, levels);
    // Signed so that above is better.
    const double sign = model.spec.higher_is_better ? 1 : -1;
    if (sign * (point.total - check.curve.boundary) < 0) {
      check.track = Track::kBelowBoundary;
    } else if (sign * (point.total - check.curve.expected) < 0) {
      check.track = Track::kBelowTarget;
    } else {
      check.track = Track::kOnTarget;
    }
    checks.push_back(check);
  }
  return checks;
}

}  // namespace varsam::outcomes
