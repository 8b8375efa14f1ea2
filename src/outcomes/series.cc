// The register's series of one instrument, in the long form the mixed model reads, and the
// episode each belongs to (varsam/outcomes.h, BuildSeries, LinkEpisodes).

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "varsam/outcomes.h"

namespace varsam::outcomes {

SeriesSet BuildSeries(std::span<const store::RegisterMeasurementRow> rows, int max_session) {
  SeriesSet set;
  // Rows per person (pseudonym, key epoch), in the order they came.
  absl::flat_hash_map<std::pair<std::string, std::int32_t>, std::int32_t> person_of;
  std::vector<std::vector<std::size_t>> by_person;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const store::RegisterMeasurementRow& row = rows[i];
    const auto [it, added] = person_of.try_emplace(std::make_pair(row.pseudonym, row.key_epoch),
                                                   static_cast<std::int32_t>(by_person.size()));
    if (added) {
      by_person.emplace_back();
      set.people.push_back(it->first);
    }
    by_person[static_cast<std::size_t>(it->second)].push_back(i);
  }

  std::vector<bool> person_counted(by_person.size(), false);
  std::vector<SeriesRow> pending;
  std::int32_t pending_person = -1;
  std::optional<double> intake;
  std::string intake_period;
  int last_session = 0;
  const auto close_series = [&] {
    if (!intake.has_value() || pending.empty()) {
      if (last_session > 0) ++set.left_out;
    } else {
      for (SeriesRow& r : pending) {
        r.series = set.series;
        r.intake = *intake;
        set.rows.push_back(r);
      }
      set.intakes.push_back(*intake);
      set.intake_periods.push_back(intake_period);
      set.person.push_back(pending_person);
      if (!person_counted[static_cast<std::size_t>(pending_person)]) {
        person_counted[static_cast<std::size_t>(pending_person)] = true;
        ++set.pseudonyms;
      }
      if (set.period_from.empty() || intake_period < set.period_from) {
        set.period_from = intake_period;
      }
      if (intake_period > set.period_to) set.period_to = intake_period;
      ++set.series;
    }
    pending.clear();
    intake.reset();
    last_session = 0;
  };

  for (std::size_t p = 0; p < by_person.size(); ++p) {
    std::vector<std::size_t>& mine = by_person[p];
    // Periods in order; within a period the order of appending, in which a series' sessions
    // rise.
    std::stable_sort(mine.begin(), mine.end(),
                     [&](std::size_t a, std::size_t b) { return rows[a].period < rows[b].period; });
    pending_person = static_cast<std::int32_t>(p);
    for (const std::size_t i : mine) {
      const store::RegisterMeasurementRow& row = rows[i];
      if (row.session <= 0) continue;  // not a series
      if (row.session <= last_session) close_series();
      last_session = row.session;
      if (!row.total.has_value()) continue;
      if (row.session == 1) {
        intake = *row.total;
        intake_period = row.period;
      } else if (row.session <= max_session) {
        pending.push_back({0, row.session, *row.total, 0});
      }
    }
    close_series();
  }
  return set;
}

std::vector<const store::EpisodeRow*> LinkEpisodes(const SeriesSet& set,
                                                   std::span<const store::EpisodeRow> episodes) {
  constexpr std::string_view kLinkedCaseKind = "insats";
  // The episodes a series may belong to: by (pseudonym, key epoch, start period).
  std::map<std::tuple<std::string_view, std::int32_t, std::string_view>,
           std::vector<const store::EpisodeRow*>>
      episodes_at;
  for (const store::EpisodeRow& e : episodes) {
    if (e.case_kind != kLinkedCaseKind) continue;
    episodes_at[{e.pseudonym, e.key_epoch, e.start_period}].push_back(&e);
  }
  std::vector<const store::EpisodeRow*> linked(static_cast<std::size_t>(set.series), nullptr);
  for (std::size_t s = 0; s < linked.size(); ++s) {
    const auto& [pseudonym, epoch] = set.people[static_cast<std::size_t>(set.person[s])];
    const auto found = episodes_at.find({pseudonym, epoch, set.intake_periods[s]});
    if (found != episodes_at.end() && found->second.size() == 1) linked[s] = found->second.front();
  }
  return linked;
}

}  // namespace varsam::outcomes
