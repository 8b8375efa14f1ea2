// A client's trajectory on one instrument, from the journal (varsam/outcomes.h).

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "varsam/outcomes.h"

namespace varsam::outcomes {

absl::StatusOr<Trajectory> BuildTrajectory(const instruments::Instrument& instrument,
                                           std::span<const store::Measurement> measurements,
                                           const instruments::Respondent& respondent,
                                           std::string_view case_ref) {
  std::vector<const store::Measurement*> series;
  for (const store::Measurement& m : measurements) {
    if (!measurements.empty() && m.client_ref != measurements.front().client_ref) {
      return InvalidField("measurements", "hold more than one client's");
    }
    if (m.instrument != instrument.id() || m.session <= 0 || !m.total.has_value()) continue;
    series.push_back(&m);
  }
  // (date, id): the order the journal keeps, so that "later" means the same everywhere.
  const auto earlier = [](const store::Measurement* a, const store::Measurement* b) {
    return a->date != b->date ? a->date < b->date : a->id < b->id;
  };
  std::sort(series.begin(), series.end(), earlier);
  std::string chosen(case_ref);
  if (chosen.empty() && !series.empty()) chosen = series.back()->case_ref;
  std::map<int, const store::Measurement*> by_session;  // a later form of a session replaces
  for (const store::Measurement* m : series) {
    if (m->case_ref == chosen) by_session[m->session] = m;
  }
  if (by_session.empty()) {
    return absl::NotFoundError("measurements: no series of the instrument in the case");
  }
  Trajectory trajectory;
  trajectory.client_ref = by_session.begin()->second->client_ref;
  trajectory.case_ref = chosen;
  trajectory.instrument = instrument.id();
  const double intake = *by_session.begin()->second->total;
  for (const auto& [session, m] : by_session) {
    TrajectoryPoint point;
    point.session = session;
    point.date = m->date;
    point.total = *m->total;
    point.change = point.total - intake;
    if (!trajectory.points.empty() && instrument.definition().change.has_value()) {
      VARSAM_ASSIGN_OR_RETURN(point.assessment,
                              instrument.AssessChange(intake, point.total, respondent));
    }
    trajectory.points.push_back(point);
  }
  return trajectory;
}

}  // namespace varsam::outcomes
