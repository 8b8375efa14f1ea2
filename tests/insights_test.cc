// Tests of varsam/insights.h: the query loader, the register's columns, aggregation and the
// table's relations (docs/insights.md). Aggregated tables are checked cell by cell against a
// direct computation over the rows (maps and sets, no columns).

#include "varsam/insights.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "varsam/store.h"

namespace {

using namespace varsam;
using namespace varsam::insights;

std::string Pseudonym(int person) {
  std::string p = "p1_" + std::to_string(person);
  p.resize(46, 'A');
  return p;
}

store::EpisodeRow Episode(int person, std::string intervention, std::string age_band,
                          std::string start, std::string end, std::string outcome,
                          std::uint64_t key) {
  store::EpisodeRow e;
  e.pseudonym = Pseudonym(person);
  e.key_epoch = 1;
  e.age_band = std::move(age_band);
  e.sex = person % 2 == 0 ? "female" : "male";
  e.region = "01";
  e.case_kind = "insats";
  e.intervention = std::move(intervention);
  e.start_period = std::move(start);
  e.end_period = std::move(end);
  e.outcome = std::move(outcome);
  e.record_key = key;
  return e;
}

store::RegisterMeasurementRow Measurement(int person, int session, std::string period,
                                          double total) {
  store::RegisterMeasurementRow m;
  m.pseudonym = Pseudonym(person);
  m.key_epoch = 1;
  m.instrument = "ors";
  m.session = session;
  m.period = std::move(period);
  m.total = total;
  m.band = total < 25 ? "clinical" : "non_clinical";
  m.record_key = 7;
  return m;
}

// A register of `people` people with one to three episodes each, every episode in its own year
// with two to four ORS sessions (so each measurement links to exactly one episode).
struct Register {
  std::vector<store::EpisodeRow> episodes;
  std::vector<store::RegisterMeasurementRow> measurements;
};

Register RandomRegister(int people, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> interventions = {"stodsamtal", "boendestod", "kontaktperson", ""};
  const std::vector<std::string> bands = {"18-24", "25-34", "35-44", "65+"};
  const std::vector<std::string> outcomes = {"improved", "unchanged", "dropout", ""};
  Register r;
  for (int p = 0; p < people; ++p) {
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < n; ++e) {
      const std::string year = std::to_string(2020 + e);
      const std::string& outcome = outcomes[rng() % outcomes.size()];
      r.episodes.push_back(
          Episode(p, interventions[rng() % interventions.size()], bands[rng() % bands.size()],
                  year + "-Q1", outcome.empty() ? "" : year + "-Q" + std::to_string(2 + rng() % 3),
                  outcome, (std::uint64_t{rng()} << 32) | rng() | 1));
      const int sessions = 1 + static_cast<int>(rng() % 4);
      for (int s = 1; s <= sessions; ++s) {
        r.measurements.push_back(Measurement(p, s, year + "-0" + std::to_string(1 + s),
                                             10 + static_cast<double>(rng() % 300) / 10));
      }
    }
  }
  return r;
}

Query CountQuery(MeasureKind kind, std::vector<Dimension> dimensions, bool margins) {
  Query q;
  q.measure.kind = kind;
  q.dimensions = std::move(dimensions);
  q.margins = margins;
  return q;
}

// The direct computation of one cell: the episodes whose fields match `levels` (kMargin: any).
struct Expected {
  std::int64_t episodes = 0;
  std::set<std::string> people;
  std::set<std::string> people_with_value;
  std::vector<double> changes;
  std::uint64_t key_sum = 0;
};

}  // namespace

TEST_CASE("insights: a query is read whole, and its canonical form reads back the same",
          "[insights]") {
  const auto q = ParseQuery(R"({
    "measure": {"kind": "mean", "of": "change", "instrument": "ors"},
    "dimensions": ["intervention", "age_band"],
    "filters": {"case_kind": ["insats"], "region": ["01", ""]},
    "margins": true,
    "protection": {"threshold": 3, "dominance": {"n": 2, "k": 90}, "p_percent": 15,
                   "secondary": false, "protection_share": 0.3}})");
  REQUIRE(q.ok());
  CHECK(q->measure.kind == MeasureKind::kMean);
  CHECK(q->measure.of == Quantity::kChange);
  CHECK(q->measure.instrument == "ors");
  CHECK(q->dimensions == std::vector{Dimension::kIntervention, Dimension::kAgeBand});
  REQUIRE(q->filters.size() == 2);
  CHECK(q->margins);
  CHECK(q->protection.threshold == 3);
  REQUIRE(q->protection.dominance.has_value());
  CHECK(q->protection.dominance->n == 2);
  CHECK(q->protection.dominance->k == 90);
  CHECK(q->protection.p_percent->p == 15);
  CHECK_FALSE(q->protection.secondary);
  CHECK(q->protection.protection_share == 0.3);
  const std::string canonical = QueryJson(*q);
  const auto again = ParseQuery(canonical);
  REQUIRE(again.ok());
  CHECK(QueryJson(*again) == canonical);

  const auto counts = ParseQuery(R"({"measure": {"kind": "people"},
    "protection": {"cell_key": {"D": 3, "V": 1.5, "js": 2}}})");
  REQUIRE(counts.ok());
  CHECK(counts->protection.cell_key->max_deviation == 3);
  CHECK(counts->protection.cell_key->js == 2);
  CHECK(QueryJson(*ParseQuery(QueryJson(*counts))) == QueryJson(*counts));
}

TEST_CASE("insights: a bad query is refused naming the field, never the value", "[insights]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"measure": {"kind": "people"}, "dimensions": ["shoe_size"]})", "query.dimensions[0]"},
      {R"({"measure": {"kind": "mean", "of": "sex", "instrument": "ors"}})", "query.measure.of"},
      {R"({"measure": {"kind": "mean", "of": "total"}})", "query.measure.instrument"},
      {R"({"measure": {"kind": "share"}})", "query.measure.outcome"},
      {R"({"measure": {"kind": "people"}, "colour": 1})", "query: unknown key"},
      {R"({"measure": {"kind": "people"}, "dimensions": ["sex", "sex"]})", "query.dimensions[1]"},
      {R"({"measure": {"kind": "people"}, "dimensions": ["sex", "region", "outcome",
          "case_kind", "age_band"]})",
       "query.dimensions"},
      {R"({"measure": {"kind": "people"}, "filters": {"intervention": ["18900101-9802"]}})",
       "query.filters.intervention[0]"},
      {R"({"measure": {"kind": "people"}, "filters": {"start_period": ["2026-13"]}})",
       "query.filters.start_period[0]"},
      {R"({"measure": {"kind": "people"}, "filters": {"case_kind": []}})",
       "query.filters.case_kind"},
      {R"({"measure": {"kind": "mean", "of": "total", "instrument": "ors"},
          "protection": {"cell_key": {}}})",
       "query.protection.cell_key"},
      {R"({"measure": {"kind": "people"}, "protection": {"cell_key": {"D": 2, "V": 50}}})",
       "query.protection.cell_key.V"},  // above D(D+1)/3: no p-table has it
      {R"({"measure": {"kind": "people"}, "protection": {"cell_key": {"D": 2, "js": 2}}})",
       "query.protection.cell_key.js"},
      {R"({"measure": {"kind": "people"}, "protection": {"cell_key": {}, "dp": {"epsilon": 1}}})",
       "query.protection.dp"},
      {R"({"measure": {"kind": "people"}, "protection": {"dp": {"epsilon": 0}}})",
       "query.protection.dp.epsilon"},
      {R"({"measure": {"kind": "people"}, "protection": {"threshold": 1}})",
       "query.protection.threshold"},
      {R"({"measure": {"kind": "people"}, "dimensions": ["band"]})", "query.measure.instrument"},
      {R"({"measure": {"kind": "people"})", "query"},
  };
  for (const auto& [json, field] : cases) {
    INFO(json);
    const auto q = ParseQuery(json);
    REQUIRE(q.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(q.status().message().find(field) != std::string_view::npos);
    CHECK(q.status().message().find("18900101") == std::string_view::npos);
  }
}

TEST_CASE("insights: measurements join the episode whose periods hold them", "[insights]") {
  std::vector<store::EpisodeRow> episodes = {
      Episode(1, "stodsamtal", "25-34", "2024-Q1", "2024-Q2", "improved", 11),
      Episode(1, "boendestod", "25-34", "2025", "", "", 13),
      Episode(2, "stodsamtal", "65+", "2025-03", "2025-08", "dropout", 17)};
  std::vector<store::RegisterMeasurementRow> rows = {
      Measurement(1, 1, "2024-01", 15), Measurement(1, 3, "2024-05", 24),
      Measurement(1, 2, "2024-03", 20), Measurement(1, 1, "2025-Q2", 30),
      Measurement(2, 1, "2025-03", 12), Measurement(2, 2, "2026-01", 40)};  // after episode 3
  const auto c = BuildColumns(episodes, rows, "ors");
  REQUIRE(c.ok());
  REQUIRE(c->size() == 3);
  // Person 1's episodes first, in their rows' order; then person 2.
  CHECK(c->person == std::vector<std::uint32_t>{0, 0, 1});
  CHECK(c->intake_total[0] == 15);
  CHECK(c->last_total[0] == 24);
  CHECK(c->last_total[1] == 30);
  CHECK(std::isnan(c->intake_total[1]));  // one session: no change
  CHECK(c->last_total[2] == 12);          // the 2026 form lies after the episode
  CHECK(std::isnan(c->intake_total[2]));
  // Durations between the periods' middles: 2024-Q1 (Feb) to 2024-Q2 (May) is 3 months;
  // March to August 2025 is 5; an open episode has none.
  CHECK(c->duration_months[0] == 3);
  CHECK(std::isnan(c->duration_months[1]));
  CHECK(c->duration_months[2] == 5);
  const auto band = static_cast<std::size_t>(Dimension::kBand);
  CHECK(c->dictionary[band][c->codes[band][0]] == "clinical");
  CHECK(c->dictionary[band][c->codes[band][1]] == "non_clinical");
}

TEST_CASE("insights: every cell of an aggregated table is what the rows say", "[insights]") {
  const Register r = RandomRegister(400, 20261205);
  const auto columns = BuildColumns(r.episodes, r.measurements, "ors");
  REQUIRE(columns.ok());

  // The register read row by row: each episode's ORS change (last session less the first).
  std::map<std::tuple<std::string, std::int32_t, std::string>, std::map<int, double>> sessions;
  for (const auto& m : r.measurements) {
    sessions[{m.pseudonym, m.key_epoch, m.period.substr(0, 4)}][m.session] = *m.total;
  }
  for (const bool margins : {false, true}) {
    Query q;
    q.measure.kind = MeasureKind::kMean;
    q.measure.of = Quantity::kChange;
    q.measure.instrument = "ors";
    q.dimensions = {Dimension::kIntervention, Dimension::kAgeBand};
    q.filters = {Filter{Dimension::kOutcome, {"", "dropout", "improved"}}};
    q.margins = margins;
    const auto table = Aggregate(q, *columns);
    REQUIRE(table.ok());
    CHECK(table->levels[0] ==
          std::vector<std::string>{"", "boendestod", "kontaktperson", "stodsamtal"});
    CHECK(table->levels[1] == std::vector<std::string>{"18-24", "25-34", "35-44", "65+"});
    CHECK(table->cells.size() == (margins ? 25U : 16U));
    for (const Cell& cell : table->cells) {
      Expected want;
      for (const auto& e : r.episodes) {
        if (e.outcome == "unchanged") continue;
        if (cell.levels[0] != kMargin && e.intervention != table->levels[0][cell.levels[0]])
          continue;
        if (cell.levels[1] != kMargin && e.age_band != table->levels[1][cell.levels[1]]) continue;
        ++want.episodes;
        want.key_sum += e.record_key;
        want.people.insert(e.pseudonym);
        const auto& s = sessions[{e.pseudonym, e.key_epoch, e.start_period.substr(0, 4)}];
        if (s.size() >= 2) {
          want.changes.push_back(s.rbegin()->second - s.begin()->second);
          want.people_with_value.insert(e.pseudonym);
        }
      }
      CHECK(cell.episodes == want.episodes);
      CHECK(cell.key_sum == want.key_sum);
      CHECK(cell.people == static_cast<std::int64_t>(want.people_with_value.size()));
      CHECK(cell.values == static_cast<std::int64_t>(want.changes.size()));
      if (want.changes.empty()) {
        CHECK(std::isnan(cell.raw));
      } else {
        double sum = 0;
        for (const double v : want.changes) sum += v;
        CHECK(cell.raw == Approx(sum / static_cast<double>(want.changes.size())).epsilon(1e-12));
      }
    }
  }

  // Counts of people (and episodes, shares): each person once per cell, whatever their episodes.
  for (const MeasureKind kind : {MeasureKind::kPeople, MeasureKind::kEpisodes}) {
    for (const bool margins : {false, true}) {
      const auto counts = Aggregate(
          CountQuery(kind, {Dimension::kAgeBand, Dimension::kIntervention}, margins), *columns);
      REQUIRE(counts.ok());
      for (const Cell& cell : counts->cells) {
        std::set<std::string> want;
        std::int64_t episodes = 0;
        std::uint64_t keys = 0;
        for (const auto& e : r.episodes) {
          if ((cell.levels[0] == kMargin || e.age_band == counts->levels[0][cell.levels[0]]) &&
              (cell.levels[1] == kMargin || e.intervention == counts->levels[1][cell.levels[1]])) {
            want.insert(e.pseudonym);
            ++episodes;
            keys += e.record_key;
          }
        }
        CHECK(cell.people == static_cast<std::int64_t>(want.size()));
        CHECK(cell.episodes == episodes);
        CHECK(cell.key_sum == keys);
        CHECK(cell.raw ==
              static_cast<double>(kind == MeasureKind::kPeople ? want.size() : episodes));
      }
    }
  }
  const auto people =
      Aggregate(CountQuery(MeasureKind::kPeople, {Dimension::kAgeBand}, true), *columns);
  REQUIRE(people.ok());
  CHECK(people->cells.back().raw == 400);
}

TEST_CASE("insights: a median and a share are computed per cell", "[insights]") {
  const Register r = RandomRegister(300, 7);
  const auto columns = BuildColumns(r.episodes, r.measurements, "ors");
  REQUIRE(columns.ok());
  Query median;
  median.measure = {MeasureKind::kMedian, Quantity::kTotal, "ors", ""};
  median.dimensions = {Dimension::kSex};
  const auto m = Aggregate(median, *columns);
  REQUIRE(m.ok());
  Query share;
  share.measure = {MeasureKind::kShare, Quantity::kTotal, "", "improved"};
  share.dimensions = {Dimension::kSex};
  const auto s = Aggregate(share, *columns);
  REQUIRE(s.ok());
  for (std::size_t level = 0; level < m->levels[0].size(); ++level) {
    std::vector<double> totals;
    std::int64_t episodes = 0, improved = 0;
    for (const auto& e : r.episodes) {
      if (e.sex != m->levels[0][level]) continue;
      ++episodes;
      improved += e.outcome == "improved" ? 1 : 0;
      int last_session = 0;
      double last = 0;
      for (const auto& row : r.measurements) {
        if (row.pseudonym == e.pseudonym &&
            row.period.substr(0, 4) == e.start_period.substr(0, 4) && row.session > last_session) {
          last_session = row.session;
          last = *row.total;
        }
      }
      totals.push_back(last);
    }
    std::sort(totals.begin(), totals.end());
    const std::size_t n = totals.size();
    const double want = n % 2 == 1 ? totals[n / 2] : (totals[n / 2 - 1] + totals[n / 2]) / 2;
    CHECK(m->cells[level].raw == want);
    CHECK(s->cells[level].raw ==
          Approx(static_cast<double>(improved) / static_cast<double>(episodes)).epsilon(1e-12));
  }
}

TEST_CASE("insights: a table's margins are the sums of their parts", "[insights]") {
  const Register r = RandomRegister(300, 99);
  const auto columns = BuildColumns(r.episodes, r.measurements, "");
  REQUIRE(columns.ok());
  const auto episodes =
      Aggregate(CountQuery(MeasureKind::kEpisodes,
                           {Dimension::kIntervention, Dimension::kAgeBand, Dimension::kSex}, true),
                *columns);
  REQUIRE(episodes.ok());
  const std::vector<Relation> relations = TableRelations(*episodes, true);
  // One relation per margin position on each dimension: for dimension k, the cells with a margin
  // there: (product of the other radixes).
  std::size_t want = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    std::size_t others = 1;
    for (std::size_t j = 0; j < 3; ++j) {
      if (j != k) others *= episodes->levels[j].size() + 1;
    }
    want += others;
  }
  CHECK(relations.size() == want);
  for (const Relation& rel : relations) {
    double sum = 0;
    for (const std::int32_t part : rel.parts) sum += episodes->cells[part].raw;
    CHECK(episodes->cells[rel.total].raw == sum);
  }
  // People: a margin lies between its largest part and the sum of its parts.
  const auto people = Aggregate(
      CountQuery(MeasureKind::kPeople, {Dimension::kIntervention, Dimension::kAgeBand}, true),
      *columns);
  REQUIRE(people.ok());
  bool some_overlap = false;
  for (const Relation& rel : TableRelations(*people, false)) {
    CHECK_FALSE(rel.additive);
    double sum = 0, largest = 0;
    for (const std::int32_t part : rel.parts) {
      sum += people->cells[part].raw;
      largest = std::max(largest, people->cells[part].raw);
    }
    CHECK(people->cells[rel.total].raw <= sum);
    CHECK(people->cells[rel.total].raw >= largest);
    some_overlap = some_overlap || people->cells[rel.total].raw < sum;
  }
  CHECK(some_overlap);  // people with several episodes: the people margins are not additive
  CHECK(
      TableRelations(
          *Aggregate(CountQuery(MeasureKind::kEpisodes, {Dimension::kSex}, false), *columns), true)
          .empty());
}

TEST_CASE("insights: a table past the cell cap is refused", "[insights]") {
  std::vector<store::EpisodeRow> episodes;
  const auto two = [](int i) {
    return std::string(1, static_cast<char>('0' + i / 10)) + static_cast<char>('0' + i % 10);
  };
  for (int i = 0; i < 20; ++i) {
    store::EpisodeRow e = Episode(i, "code" + two(i), two(i) + "-" + two(i + 1),
                                  "2025-" + two(i % 12 + 1), "", "", 3);
    e.start_period = std::to_string(2000 + i);
    e.region = store::kCountyCodes[i];
    episodes.push_back(e);
  }
  const auto columns = BuildColumns(episodes, {}, "");
  REQUIRE(columns.ok());
  // 20^4 = 160,000 cells.
  const auto table = Aggregate(CountQuery(MeasureKind::kEpisodes,
                                          {Dimension::kIntervention, Dimension::kAgeBand,
                                           Dimension::kStartPeriod, Dimension::kRegion},
                                          false),
                               *columns);
  REQUIRE(table.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(table.status().message().find("query.dimensions") != std::string_view::npos);
  // Three of them are fine: 8,000 cells.
  CHECK(Aggregate(
            CountQuery(MeasureKind::kEpisodes,
                       {Dimension::kIntervention, Dimension::kAgeBand, Dimension::kRegion}, false),
            *columns)
            .ok());
}

TEST_CASE("insights: with differential privacy a person counts at most their contributions",
          "[insights]") {
  const Register r = RandomRegister(200, 5);
  const auto columns = BuildColumns(r.episodes, r.measurements, "");
  REQUIRE(columns.ok());
  Query q = CountQuery(MeasureKind::kEpisodes, {}, false);
  const auto all = Aggregate(q, *columns);
  q.protection.dp = DpParams{1.0, 1};
  const auto one = Aggregate(q, *columns);
  q.protection.dp = DpParams{1.0, 2};
  const auto two = Aggregate(q, *columns);
  REQUIRE((all.ok() && one.ok() && two.ok()));
  std::map<std::string, int> per_person;
  for (const auto& e : r.episodes) ++per_person[e.pseudonym];
  double capped1 = 0, capped2 = 0;
  for (const auto& [p, n] : per_person) {
    capped1 += std::min(n, 1);
    capped2 += std::min(n, 2);
  }
  CHECK(all->cells[0].raw == static_cast<double>(r.episodes.size()));
  CHECK(one->cells[0].raw == capped1);
  CHECK(two->cells[0].raw == capped2);
}

TEST_CASE("insights: a table's groups of people are its population and its cells", "[insights]") {
  const Register r = RandomRegister(250, 31);
  const auto columns = BuildColumns(r.episodes, r.measurements, "");
  REQUIRE(columns.ok());
  Query q = CountQuery(MeasureKind::kPeople, {Dimension::kSex, Dimension::kAgeBand}, true);
  q.filters = {Filter{Dimension::kOutcome, {"improved", "dropout"}}};
  const auto groups = Populations(q, *columns);
  const auto table = Aggregate(q, *columns);
  REQUIRE((groups.ok() && table.ok()));
  // The whole population first, then one group per non-empty cell, each as many people as the
  // cell counts.
  std::set<std::string> whole;
  for (const auto& e : r.episodes) {
    if (e.outcome == "improved" || e.outcome == "dropout") whole.insert(e.pseudonym);
  }
  REQUIRE(!groups->empty());
  CHECK(groups->front().size() == whole.size());
  std::vector<std::size_t> sizes;
  for (const Cell& cell : table->cells) {
    if (cell.people > 0) sizes.push_back(static_cast<std::size_t>(cell.people));
  }
  REQUIRE(groups->size() == sizes.size() + 1);
  for (std::size_t g = 0; g < sizes.size(); ++g) {
    CHECK((*groups)[g + 1].size() == sizes[g]);
    CHECK(std::is_sorted((*groups)[g + 1].begin(), (*groups)[g + 1].end()));
  }
}

TEST_CASE("insights: an earlier query past the cell cap still has its groups compared",
          "[insights]") {
  // A register grown since a query was released may give that query more cells than a table may
  // publish; the differencing guard must still see its groups rather than fail every new query.
  // 20 people, each alone on 4 dimensions: 21^4 = 194,481 cells with margins.
  std::vector<store::EpisodeRow> episodes;
  for (int i = 0; i < 20; ++i) {
    episodes.push_back(Episode(i, absl::StrCat("intervention-", i), absl::StrCat("band-", i),
                               absl::StrCat(2000 + i), absl::StrCat(2030 + i), "",
                               static_cast<std::uint64_t>(i)));
  }
  const auto columns = BuildColumns(episodes, {}, "");
  REQUIRE(columns.ok());
  const Query q = CountQuery(MeasureKind::kPeople,
                             {Dimension::kIntervention, Dimension::kAgeBand,
                              Dimension::kStartPeriod, Dimension::kEndPeriod},
                             true);
  const auto table = Aggregate(q, *columns);
  REQUIRE(table.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(table.status().message().find("query.dimensions") != std::string_view::npos);
  const auto groups = Populations(q, *columns);
  REQUIRE(groups.ok());
  // Each person lies in 16 cells: the overall total, shared by all, and 15 that only they are in
  // (at least one of their own levels). So: the whole population, 20 * 15 groups of one, and
  // the overall total, last in the cells' order.
  REQUIRE(groups->size() == 1 + 20 * 15 + 1);
  CHECK(groups->front().size() == 20);
  CHECK(groups->back().size() == 20);  // the overall margin, last in cell order
  for (std::size_t g = 1; g + 1 < groups->size(); ++g) CHECK((*groups)[g].size() == 1);
}

TEST_CASE("insights: two populations a few people apart are found, equal ones are not",
          "[insights]") {
  const Register r = RandomRegister(300, 41);
  auto columns = BuildColumns(r.episodes, r.measurements, "");
  REQUIRE(columns.ok());
  // Every age band, then every age band but the one with the fewest people (when that band has
  // fewer than 5 people, the difference is those people).
  Query all = CountQuery(MeasureKind::kPeople, {Dimension::kSex}, true);
  const auto by_band =
      Aggregate(CountQuery(MeasureKind::kPeople, {Dimension::kAgeBand}, false), *columns);
  REQUIRE(by_band.ok());
  std::vector<std::string> bands = by_band->levels[0];
  Query without_one = all;
  // Take one person out: a register where one person has their own age band.
  store::EpisodeRow lone = r.episodes.front();
  lone.pseudonym = Pseudonym(100000);
  lone.age_band = "99+";
  std::vector<store::EpisodeRow> episodes = r.episodes;
  episodes.push_back(lone);
  columns = BuildColumns(episodes, r.measurements, "");
  REQUIRE(columns.ok());
  without_one.filters = {Filter{Dimension::kAgeBand, bands}};  // every band but "99+"
  const auto a = Populations(all, *columns);
  const auto b = Populations(without_one, *columns);
  REQUIRE((a.ok() && b.ok()));
  const auto found = FindDifferencing(*b, *a, 5);
  REQUIRE(found.has_value());
  CHECK(found->people == 1);
  // The same query again shows nothing new; a threshold of 1 finds nothing.
  CHECK_FALSE(FindDifferencing(*a, *a, 5).has_value());
  // A group an earlier release showed is skipped even when another earlier group is a person
  // away from it: {1, 2} was shown beside {1, 2, 3}; showing {1, 2} again adds nothing, while
  // {1, 2, 3, 4} (new) is two away from {1, 2} and one from {1, 2, 3}.
  const std::vector<std::vector<std::uint32_t>> shown = {{1, 2}, {1, 2, 3}};
  CHECK_FALSE(FindDifferencing(std::vector<std::vector<std::uint32_t>>{{1, 2}}, shown, 5));
  const auto near =
      FindDifferencing(std::vector<std::vector<std::uint32_t>>{{1, 2}, {1, 2, 3, 4}}, shown, 5);
  REQUIRE(near.has_value());
  CHECK(near->fresh == 1);
  CHECK(near->people == (near->earlier == 0 ? 2 : 1));
  CHECK_FALSE(FindDifferencing(*b, *a, 1).has_value());
  // Populations far apart (one sex against the other) are not a differencing pair.
  Query women = CountQuery(MeasureKind::kPeople, {}, false);
  women.filters = {Filter{Dimension::kSex, {"female"}}};
  Query men = women;
  men.filters = {Filter{Dimension::kSex, {"male"}}};
  CHECK_FALSE(
      FindDifferencing(*Populations(women, *columns), *Populations(men, *columns), 5).has_value());
}

namespace {

// A seeded source of random words, for DP tests.
RandomBits Seeded(std::uint64_t seed) {
  auto state = std::make_shared<std::uint64_t>(seed);
  return [state]() -> absl::StatusOr<std::uint64_t> {
    std::uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
}

RandomBits NoBits() {
  return []() -> absl::StatusOr<std::uint64_t> {
    return absl::InternalError("no random bits expected here");
  };
}

}  // namespace

TEST_CASE("insights: every published cell covers the threshold and every protected one is safe",
          "[insights]") {
  const Register r = RandomRegister(60, 20261206);
  const auto columns = BuildColumns(r.episodes, r.measurements, "ors");
  REQUIRE(columns.ok());
  for (const MeasureKind kind : {MeasureKind::kEpisodes, MeasureKind::kPeople}) {
    Query q = CountQuery(kind, {Dimension::kIntervention, Dimension::kAgeBand}, true);
    auto table = Aggregate(q, *columns);
    REQUIRE(table.ok());
    REQUIRE(Protect(*table, NoBits()).ok());
    std::size_t primary = 0, secondary = 0;
    std::vector<double> values;
    std::unique_ptr<bool[]> suppressed(new bool[table->cells.size()]);
    for (std::size_t c = 0; c < table->cells.size(); ++c) {
      const Cell& cell = table->cells[c];
      values.push_back(kind == MeasureKind::kPeople ? static_cast<double>(cell.people)
                                                    : static_cast<double>(cell.episodes));
      suppressed[c] = cell.status == CellStatus::kProtected;
      if (cell.status == CellStatus::kPublished) {
        CHECK(cell.people >= q.protection.threshold);
        CHECK(cell.value == cell.raw);
      } else if (cell.status == CellStatus::kZero) {
        CHECK(cell.episodes == 0);
      } else {
        CHECK(std::isnan(cell.value));
        primary += cell.reason == ProtectionReason::kThreshold ? 1 : 0;
        secondary += cell.reason == ProtectionReason::kSecondary ? 1 : 0;
        if (cell.reason == ProtectionReason::kThreshold)
          CHECK(cell.people < q.protection.threshold);
      }
    }
    REQUIRE(primary > 0);  // small cells exist in 120 people over 16 cells
    CHECK(secondary > 0);  // and with margins they need complements
    // The attacker's interval of every protected cell, from the published cells and the margins,
    // reaches the protection interval.
    const auto intervals =
        AttackerIntervals(values, TableRelations(*table, kind == MeasureKind::kEpisodes),
                          std::span<const bool>(suppressed.get(), table->cells.size()));
    REQUIRE(intervals.ok());
    for (std::size_t c = 0; c < table->cells.size(); ++c) {
      if (table->cells[c].reason != ProtectionReason::kThreshold) continue;
      const double x = values[c];
      const double level = std::max<double>(q.protection.threshold, std::ceil(0.2 * x));
      CHECK((*intervals)[c].lower <= std::max(0.0, x - level) + 1e-9);
      CHECK((*intervals)[c].upper >= x + level - 1e-9);
    }
  }
}

TEST_CASE("insights: the cell key gives the same table twice and perturbs within D", "[insights]") {
  const Register r = RandomRegister(400, 12);
  const auto columns = BuildColumns(r.episodes, r.measurements, "");
  REQUIRE(columns.ok());
  Query q = CountQuery(MeasureKind::kEpisodes, {Dimension::kAgeBand, Dimension::kSex}, true);
  q.protection.cell_key = CellKeyParams{2, 1, 1};
  auto first = Aggregate(q, *columns);
  auto second = Aggregate(q, *columns);
  REQUIRE((first.ok() && second.ok()));
  REQUIRE(Protect(*first, NoBits()).ok());
  REQUIRE(Protect(*second, NoBits()).ok());
  std::size_t moved = 0;
  for (std::size_t c = 0; c < first->cells.size(); ++c) {
    const Cell& a = first->cells[c];
    CHECK(a.status == second->cells[c].status);
    if (a.status != CellStatus::kPublished) continue;
    CHECK(a.value == second->cells[c].value);
    CHECK(std::abs(a.value - a.raw) <= 2);
    CHECK(a.value != 1);  // js = 1: no published 1
    moved += a.value != a.raw ? 1 : 0;
  }
  CHECK(moved > 0);
  CHECK(std::find(first->methods.begin(), first->methods.end(), "cell key D=2 V=1 js=1") !=
        first->methods.end());
}

TEST_CASE("insights: dominance and the p% rule protect a cell one person dominates", "[insights]") {
  // Two groups of ten people with two sessions each; in one, a person whose change is far
  // larger than the others'.
  std::vector<store::EpisodeRow> episodes;
  std::vector<store::RegisterMeasurementRow> rows;
  for (int p = 0; p < 10; ++p) {
    episodes.push_back(Episode(p, "stodsamtal", "25-34", "2025", "", "", 5 + p));
    rows.push_back(Measurement(p, 1, "2025-02", 10));
    rows.push_back(Measurement(p, 2, "2025-05", p == 0 ? 40 : 11));
  }
  for (int p = 10; p < 20; ++p) {
    episodes.push_back(Episode(p, "boendestod", "25-34", "2025", "", "", 5 + p));
    rows.push_back(Measurement(p, 1, "2025-02", 10));
    rows.push_back(Measurement(p, 2, "2025-05", 14));
  }
  const auto columns = BuildColumns(episodes, rows, "ors");
  REQUIRE(columns.ok());
  Query q;
  q.measure = {MeasureKind::kMean, Quantity::kChange, "ors", ""};
  q.dimensions = {Dimension::kIntervention};
  q.protection.dominance = DominanceRule{1, 60};
  auto table = Aggregate(q, *columns);
  REQUIRE(table.ok());
  REQUIRE(Protect(*table, NoBits()).ok());
  // boendestod: ten changes of 4, none dominates; stodsamtal: 30 of 39 is one person's.
  REQUIRE(table->levels[0] == std::vector<std::string>{"boendestod", "stodsamtal"});
  CHECK(table->cells[0].status == CellStatus::kPublished);
  CHECK(table->cells[0].value == 4);
  CHECK(table->cells[1].status == CellStatus::kProtected);
  CHECK(table->cells[1].reason == ProtectionReason::kDominance);
  q.protection.dominance.reset();
  q.protection.p_percent = PPercentRule{20};
  table = Aggregate(q, *columns);
  REQUIRE(Protect(*table, NoBits()).ok());
  // The p % rule: total less the two largest, 39 - 30 - 1 = 8, against p % of the largest:
  // 8 >= 6 at p = 20 (published), 8 < 9 at p = 30 (protected).
  CHECK(table->cells[1].status == CellStatus::kPublished);
  q.protection.p_percent = PPercentRule{30};
  table = Aggregate(q, *columns);
  REQUIRE(Protect(*table, NoBits()).ok());
  CHECK(table->cells[1].reason == ProtectionReason::kPPercent);
}

TEST_CASE("insights: differential privacy adds integer noise and thresholds what it adds to",
          "[insights]") {
  const Register r = RandomRegister(300, 77);
  const auto columns = BuildColumns(r.episodes, r.measurements, "");
  REQUIRE(columns.ok());
  Query q = CountQuery(MeasureKind::kPeople, {Dimension::kAgeBand}, false);
  q.protection.dp = DpParams{0.5, 1};
  auto a = Aggregate(q, *columns);
  auto b = Aggregate(q, *columns);
  REQUIRE((a.ok() && b.ok()));
  REQUIRE(Protect(*a, Seeded(1)).ok());
  REQUIRE(Protect(*b, Seeded(2)).ok());
  bool differs = false;
  for (std::size_t c = 0; c < a->cells.size(); ++c) {
    const Cell& cell = a->cells[c];
    if (cell.status == CellStatus::kPublished) {
      CHECK(cell.value >= q.protection.threshold);
      CHECK(cell.value == std::floor(cell.value));
    }
    differs = differs || a->cells[c].value != b->cells[c].value;
  }
  CHECK(differs);  // fresh noise per release: the budget, not the key, bounds repetition
  CHECK(a->methods.front().find("discrete Laplace epsilon=0.5") == 0);
  // The random source's failure is the table's failure.
  auto c = Aggregate(q, *columns);
  CHECK(Protect(*c, NoBits()).code() == absl::StatusCode::kInternal);
}
