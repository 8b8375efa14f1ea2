// Expected-treatment-response curves and the check of one client against them
// (varsam/outcomes.h; docs/outcomes.md).

#include <algorithm>
#include <cmath>
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

}  // namespace internal

namespace {

int BinOf(const EtrSpec& spec, double intake, int bins) {
  const int b = static_cast<int>(std::floor((intake - spec.scale_min) / spec.bin_width));
  return std::clamp(b, 0, bins - 1);
}

}  // namespace

absl::StatusOr<EtrModel> FitEtr(const EtrSpec& spec, const SeriesSet& data) {
  VARSAM_RETURN_IF_ERROR(internal::CheckSpec(spec));
  EtrModel model;
  model.spec = spec;
  VARSAM_ASSIGN_OR_RETURN(model.fit, FitMixed(data));
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
    std::vector<std::int32_t>& p = people[static_cast<size_t>(b)];
    std::sort(p.begin(), p.end());
    const auto distinct = std::unique(p.begin(), p.end()) - p.begin();
    IntakeBin bin;
    bin.from = spec.scale_min + b * spec.bin_width;
    bin.to = std::min(spec.scale_max, bin.from + spec.bin_width);
    bin.suppressed = distinct < spec.min_support;
    bin.pseudonyms = bin.suppressed ? 0 : distinct;
    model.bins.push_back(bin);
  }
  return model;
}

CurvePoint CurveAt(const EtrModel& model, double intake, int session) {
  CurvePoint point;
  point.session = session;
  if (session <= 1) {
    point.expected = point.boundary = intake;
    return point;
  }
  const MixedFit& f = model.fit;
  const double l = std::log(static_cast<double>(session));
  point.expected = f.beta[0] + f.beta[1] * l + f.beta[2] * intake + f.beta[3] * intake * l;
  const double variance =
      f.var_intercept + 2 * l * f.cov_intercept_slope + l * l * f.var_slope + f.sigma2;
  point.sd = std::sqrt(std::max(variance, 0.0));
  const double z = NormalQuantile(model.spec.boundary_percentile / 100);  // negative
  point.boundary = point.expected + (model.spec.higher_is_better ? z : -z) * point.sd;
  return point;
}

std::vector<CurvePoint> Curve(const EtrModel& model, double intake) {
  std::vector<CurvePoint> curve;
  for (int s = 1; s <= model.spec.max_session; ++s) curve.push_back(CurveAt(model, intake, s));
  return curve;
}

bool Supported(const EtrModel& model, double intake) {
  if (!std::isfinite(intake) || model.bins.empty()) return false;
  if (intake < model.spec.scale_min || intake > model.spec.scale_max) return false;
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
                                                  const Trajectory& trajectory) {
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
    check.curve = CurveAt(model, intake, point.session);
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
