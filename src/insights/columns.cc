// The register's episodes as columns (docs/insights.md, "Aggregation"): read once, dictionary
// coded, one person's episodes side by side, and one instrument's measurements joined to their
// episode.
//
// A period is a month range: "2026" is January to December 2026, "2026-Q3" July to September,
// "2026-11" November. A measurement belongs to the episode of the same pseudonym and key epoch
// whose range (start period's first month to end period's last; no end: open) holds the
// measurement period's first month; of several such, the one that started last. Its intake is
// its measurement with the lowest session, its last the one with the highest (the later row
// on a tie).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "varsam/core.h"
#include "varsam/insights.h"
#include "varsam/store.h"

namespace varsam::insights {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int32_t kOpen = std::numeric_limits<std::int32_t>::max();

struct Months {
  std::int32_t first = 0, last = 0;
};

// The month range of a period the store has validated (YYYY, YYYY-Qn, YYYY-MM); months are
// counted from year 0.
Months PeriodMonths(std::string_view p) {
  const std::int32_t year =
      (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
  const std::int32_t base = year * 12;
  if (p.size() == 4) return {base, base + 11};
  if (p[5] == 'Q') {
    const std::int32_t q = p[6] - '1';
    return {base + 3 * q, base + 3 * q + 2};
  }
  const std::int32_t month = (p[5] - '0') * 10 + (p[6] - '0') - 1;
  return {base + month, base + month};
}

bool ValidPeriod(std::string_view p) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (p.size() != 4 && p.size() != 7) return false;
  if (!std::all_of(p.begin(), p.begin() + 4, digit)) return false;
  if (p.size() == 4) return true;
  if (p[4] != '-') return false;
  if (p[5] == 'Q') return p[6] >= '1' && p[6] <= '4';
  if (!digit(p[5]) || !digit(p[6])) return false;
  const int month = (p[5] - '0') * 10 + (p[6] - '0');
  return month >= 1 && month <= 12;
}

// Dictionary coding of one text column.
class Coder {
 public:
  std::uint32_t Code(const std::string& value, std::vector<std::string>& dictionary) {
    const auto [it, added] =
        index_.try_emplace(value, static_cast<std::uint32_t>(dictionary.size()));
    if (added) dictionary.push_back(value);
    return it->second;
  }

 private:
  absl::flat_hash_map<std::string, std::uint32_t> index_;
};

struct Joined {
  int intake_session = std::numeric_limits<int>::max();
  int last_session = std::numeric_limits<int>::min();
  double intake = kNaN, last = kNaN;
  std::string band;
};

}  // namespace

absl::StatusOr<Columns> BuildColumns(std::span<const store::EpisodeRow> episodes,
                                     std::span<const store::RegisterMeasurementRow> measurements,
                                     std::string_view instrument) {
  // People, densely numbered in first-seen order, and each episode's month range.
  absl::flat_hash_map<std::pair<std::string_view, std::int32_t>, std::uint32_t> people;
  std::vector<std::uint32_t> person(episodes.size());
  std::vector<Months> range(episodes.size());
  for (std::size_t i = 0; i < episodes.size(); ++i) {
    const store::EpisodeRow& e = episodes[i];
    if (!ValidPeriod(e.start_period))
      return InvalidField("episodes.start_period", "is not a period");
    if (!e.end_period.empty() && !ValidPeriod(e.end_period)) {
      return InvalidField("episodes.end_period", "is not a period");
    }
    const auto [it, added] =
        people.try_emplace(std::pair{std::string_view(e.pseudonym), e.key_epoch},
                           static_cast<std::uint32_t>(people.size()));
    person[i] = it->second;
    range[i] = {PeriodMonths(e.start_period).first,
                e.end_period.empty() ? kOpen : PeriodMonths(e.end_period).last};
  }
  // One person's episodes side by side (stable: within a person, the rows' order).
  std::vector<std::size_t> order(episodes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return person[a] < person[b]; });
  std::vector<std::size_t> position(episodes.size());
  for (std::size_t k = 0; k < order.size(); ++k) position[order[k]] = k;

  // Each measurement of the instrument to its episode (by position in `order`).
  std::vector<Joined> joined(instrument.empty() ? 0 : episodes.size());
  if (!instrument.empty()) {
    // The episodes of each person, by position; persons are contiguous in `order`.
    std::vector<std::size_t> first_of(people.size() + 1, episodes.size());
    for (std::size_t k = order.size(); k-- > 0;) first_of[person[order[k]]] = k;
    for (const store::RegisterMeasurementRow& m : measurements) {
      if (m.instrument != instrument || !m.total.has_value()) continue;
      if (!ValidPeriod(m.period)) return InvalidField("measurements.period", "is not a period");
      const auto it = people.find(std::pair{std::string_view(m.pseudonym), m.key_epoch});
      if (it == people.end()) continue;
      const std::int32_t month = PeriodMonths(m.period).first;
      std::size_t best = episodes.size();
      for (std::size_t k = first_of[it->second]; k < order.size() && person[order[k]] == it->second;
           ++k) {
        const Months& r = range[order[k]];
        if (month < r.first || month > r.last) continue;
        if (best == episodes.size() || r.first > range[order[best]].first) best = k;
      }
      if (best == episodes.size()) continue;
      Joined& j = joined[best];
      if (m.session < j.intake_session) {
        j.intake_session = m.session;
        j.intake = *m.total;
      }
      if (m.session >= j.last_session) {
        j.last_session = m.session;
        j.last = *m.total;
        j.band = m.band;
      }
    }
  }

  Columns c;
  c.instrument = std::string(instrument);
  for (auto& codes : c.codes) codes.reserve(episodes.size());
  c.person.reserve(episodes.size());
  c.record_key.reserve(episodes.size());
  c.duration_months.reserve(episodes.size());
  std::vector<Coder> coders(kDimensionCount);
  const auto code = [&](Dimension d, const std::string& value) {
    const auto i = static_cast<std::size_t>(d);
    c.codes[i].push_back(coders[i].Code(value, c.dictionary[i]));
  };
  static const std::string kEmpty;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const store::EpisodeRow& e = episodes[order[k]];
    code(Dimension::kAgeBand, e.age_band);
    code(Dimension::kSex, e.sex);
    code(Dimension::kRegion, e.region);
    code(Dimension::kCaseKind, e.case_kind);
    code(Dimension::kIntervention, e.intervention);
    code(Dimension::kStartPeriod, e.start_period);
    code(Dimension::kEndPeriod, e.end_period);
    code(Dimension::kOutcome, e.outcome);
    code(Dimension::kBand, joined.empty() ? kEmpty : joined[k].band);
    c.person.push_back(person[order[k]]);
    c.record_key.push_back(e.record_key);
    if (e.end_period.empty()) {
      c.duration_months.push_back(kNaN);
    } else {
      const Months s = PeriodMonths(e.start_period), t = PeriodMonths(e.end_period);
      c.duration_months.push_back(
          std::max(0.0, (t.first + t.last) / 2.0 - (s.first + s.last) / 2.0));
    }
  }
  if (!joined.empty()) {
    c.intake_total.reserve(joined.size());
    c.last_total.reserve(joined.size());
    for (const Joined& j : joined) {
      // A change needs two sessions.
      c.intake_total.push_back(j.intake_session < j.last_session ? j.intake : kNaN);
      c.last_total.push_back(j.last);
    }
  } else {
    c.intake_total.assign(episodes.size(), kNaN);
    c.last_total.assign(episodes.size(), kNaN);
  }
  return c;
}

}  // namespace varsam::insights
