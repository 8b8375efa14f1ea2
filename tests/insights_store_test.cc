// Aggregation in the store (varsam/insights.h, TableGrouping and TableFromGroups;
// varsam/store.h, Store::GroupEpisodes and Store::CompareGroups): on each backend, the table a
// grouping computes in the database is the one the library computes from the same episodes in
// memory, cell by cell, and the differencing guard's comparison in the database gives the
// library's verdict. Tagged [store], so that the PostgreSQL run covers it too.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model_fixtures.h"
#include "store_fixtures.h"
#include "varsam/insights.h"
#include "varsam/store.h"

namespace {

using namespace varsam;
using varsam::testing::ForEachLocation;

insights::Query ParsedQuery(std::string_view json) {
  auto q = insights::ParseQuery(json);
  INFO(json);
  INFO(q.status().message());
  REQUIRE(q.ok());
  return *q;
}

// A store of each backend holding the fixture's register (3,000 synthetic people, two key
// epochs, region 03 with four people, record keys over the whole unsigned range).
void ForEachFilledStore(const std::function<void(store::Store&)>& body) {
  const varsam_test::Register reg = varsam_test::MakeRegister();
  ForEachLocation([&](const std::string& location, std::string_view) {
    auto opened = store::Store::Open(location);
    INFO(opened.status().message());
    REQUIRE(opened.ok());
    store::Store& db = **opened;
    REQUIRE(db.AppendEpisodes(reg.episodes).ok());
    body(db);
  });
}

// The queries both ways must agree on: counts and shares, with and without margins, up to four
// dimensions, filters (one that keeps nothing), the cap on each person's episodes under
// differential privacy.
constexpr std::string_view kQueries[] = {
    R"({"measure": {"kind": "episodes"}})",
    R"({"measure": {"kind": "people"}, "margins": true})",
    R"({"measure": {"kind": "people"}, "dimensions": ["region"]})",
    R"({"measure": {"kind": "people"}, "dimensions": ["region", "age_band"], "margins": true})",
    R"({"measure": {"kind": "episodes"}, "dimensions": ["sex", "intervention", "start_period"],
        "margins": true})",
    R"({"measure": {"kind": "people"},
        "dimensions": ["age_band", "sex", "intervention", "outcome"], "margins": true})",
    R"({"measure": {"kind": "share", "outcome": "dropout"},
        "dimensions": ["intervention", "age_band"], "margins": true})",
    R"({"measure": {"kind": "share", "outcome": "improved"}, "dimensions": ["sex"]})",
    R"({"measure": {"kind": "people"}, "dimensions": ["sex", "end_period"],
        "filters": {"region": ["01", "03"], "age_band": ["18-24", "50-64"]}, "margins": true})",
    R"({"measure": {"kind": "episodes"}, "dimensions": ["region"],
        "filters": {"intervention": ["annat"]}, "margins": true})",
    R"({"measure": {"kind": "episodes"}, "dimensions": ["region", "sex"],
        "filters": {"intervention": ["annat"]}})",
    R"({"measure": {"kind": "episodes"}, "dimensions": ["case_kind", "age_band"], "margins": true,
        "protection": {"dp": {"epsilon": 1, "contributions": 1}}})",
    R"({"measure": {"kind": "people"}, "dimensions": ["start_period"],
        "filters": {"sex": ["male"]}, "protection": {"dp": {"epsilon": 1}}})",
};

TEST_CASE("insights in the store: every count and share cell is the library's", "[store]") {
  const varsam_test::Register reg = varsam_test::MakeRegister();
  const auto columns = insights::BuildColumns(reg.episodes, {}, "");
  REQUIRE(columns.ok());
  ForEachFilledStore([&](store::Store& db) {
    for (const std::string_view json : kQueries) {
      INFO(json);
      const insights::Query query = ParsedQuery(json);
      const auto expected = insights::Aggregate(query, *columns);
      REQUIRE(expected.ok());
      const std::optional<store::EpisodeGrouping> grouping = insights::TableGrouping(query);
      REQUIRE(grouping);
      const auto groups = db.GroupEpisodes(*grouping);
      INFO(groups.status().message());
      REQUIRE(groups.ok());
      const auto table = insights::TableFromGroups(query, *groups);
      INFO(table.status().message());
      REQUIRE(table.ok());
      CHECK(table->levels == expected->levels);
      REQUIRE(table->cells.size() == expected->cells.size());
      std::int64_t episodes = 0;
      for (std::size_t c = 0; c < table->cells.size(); ++c) {
        const insights::Cell& got = table->cells[c];
        const insights::Cell& want = expected->cells[c];
        INFO("cell " << c);
        CHECK(got.levels == want.levels);
        CHECK(got.episodes == want.episodes);
        CHECK(got.people == want.people);
        CHECK(got.key_sum == want.key_sum);
        CHECK((got.raw == want.raw || (std::isnan(got.raw) && std::isnan(want.raw))));
        episodes += got.episodes;
      }
      // Not a table of zeros only: but for the one whose filter keeps nothing.
      CHECK((episodes > 0) == (json.find("annat") == std::string_view::npos));
    }
  });
}

TEST_CASE("insights in the store: a mean, a median or the band is not grouped there", "[store]") {
  CHECK_FALSE(insights::TableGrouping(
      ParsedQuery(R"({"measure": {"kind": "mean", "of": "total", "instrument": "phq9"}})")));
  CHECK_FALSE(insights::TableGrouping(
      ParsedQuery(R"({"measure": {"kind": "median", "of": "duration"}, "dimensions": ["sex"]})")));
  const insights::Query band = ParsedQuery(
      R"({"measure": {"kind": "people", "instrument": "phq9"}, "dimensions": ["band"]})");
  CHECK_FALSE(insights::TableGrouping(band));
  CHECK_FALSE(insights::PopulationGrouping(band));
  // Who a mean shows is grouped there all the same.
  CHECK(insights::PopulationGrouping(
      ParsedQuery(R"({"measure": {"kind": "mean", "of": "total", "instrument": "phq9"}})")));
}

TEST_CASE("insights in the store: a grouping naming no episode column is refused", "[store]") {
  ForEachFilledStore([](store::Store& db) {
    store::EpisodeGrouping g;
    g.columns = {"pseudonym"};
    CHECK(db.GroupEpisodes(g).status().code() == absl::StatusCode::kInvalidArgument);
    g.columns = {"region", "region"};
    CHECK(db.GroupEpisodes(g).status().code() == absl::StatusCode::kInvalidArgument);
    g.columns = {"region"};
    g.filters = {{"record_key; DROP TABLE episodes", {"1"}}};
    CHECK(db.GroupEpisodes(g).status().code() == absl::StatusCode::kInvalidArgument);
    g.filters = {{"region", {std::string("01\0", 3)}}};
    CHECK(db.GroupEpisodes(g).status().code() == absl::StatusCode::kInvalidArgument);
    g.filters = {{"region", {"\xff"}}};
    CHECK(db.GroupEpisodes(g).status().code() == absl::StatusCode::kInvalidArgument);
    g.filters = {};
    g.per_person = -1;
    CHECK(db.GroupEpisodes(g).status().code() == absl::StatusCode::kInvalidArgument);
    g.per_person = 0;
    CHECK(db.CompareGroups(g, g, 0).status().code() == absl::StatusCode::kInvalidArgument);
    // A filter value is a parameter, never SQL.
    g.filters = {{"region", {"01' OR '1' = '1"}}};
    const auto none = db.GroupEpisodes(g);
    REQUIRE(none.ok());
    for (const store::EpisodeGroup& group : *none) CHECK(group.episodes == 0);
  });
}

// The library's verdict on a fresh query after earlier ones.
bool LibraryRefuses(const insights::Columns& columns, std::string_view fresh,
                    const std::vector<std::string_view>& earlier, int threshold) {
  std::vector<std::vector<std::uint32_t>> groups;
  for (const std::string_view json : earlier) {
    auto p = insights::Populations(ParsedQuery(json), columns);
    REQUIRE(p.ok());
    for (auto& g : *p) groups.push_back(std::move(g));
  }
  const auto f = insights::Populations(ParsedQuery(fresh), columns);
  REQUIRE(f.ok());
  return insights::FindDifferencing(*f, groups, threshold).has_value();
}

// The store's verdict (DifferencingInStore, as the Engine reaches it).
bool StoreRefuses(store::Store& db, std::string_view fresh,
                  const std::vector<std::string_view>& earlier, int threshold) {
  std::vector<insights::Query> queries;
  for (const std::string_view json : earlier) queries.push_back(ParsedQuery(json));
  const auto refused = insights::DifferencingInStore(db, ParsedQuery(fresh), queries, threshold);
  INFO(refused.status().message());
  REQUIRE(refused.ok());
  return *refused;
}

TEST_CASE("insights in the store: the differencing guard's verdict is the library's", "[store]") {
  const varsam_test::Register reg = varsam_test::MakeRegister();
  const auto columns = insights::BuildColumns(reg.episodes, {}, "");
  REQUIRE(columns.ok());
  struct Case {
    std::string_view fresh;
    std::vector<std::string_view> earlier;
    int threshold;
    std::optional<bool> refused;  // where the fixture makes it plain
  };
  constexpr std::string_view kBySex = R"({"measure": {"kind": "people"}, "dimensions": ["sex"]})";
  constexpr std::string_view kBySexNot03 = R"({"measure": {"kind": "people"},
      "dimensions": ["sex"], "filters": {"region": ["01", "12"]}})";
  const std::vector<Case> cases = {
      // Everyone but region 03's four people, after everyone: subtracting shows them.
      {kBySexNot03, {kBySex}, 5, true},
      {kBySex, {kBySexNot03}, 5, true},
      {kBySexNot03, {kBySex}, 4, std::nullopt},
      {kBySexNot03, {kBySex}, 2, std::nullopt},
      // The same groups again show nothing new; so do unrelated ones.
      {kBySex, {kBySex}, 5, false},
      {R"({"measure": {"kind": "people"}, "dimensions": ["intervention"], "margins": true})",
       {kBySex},
       5,
       false},
      // A cell an earlier table showed is shown, whatever it is near: region 03 alone against
      // a table of regions with margins.
      {R"({"measure": {"kind": "people"}, "filters": {"region": ["03"]}})",
       {R"({"measure": {"kind": "people"}, "dimensions": ["region"], "margins": true})"},
       5,
       false},
      // A population of nobody beside a group of four or five.
      {R"({"measure": {"kind": "people"}, "filters": {"intervention": ["annat"]}})",
       {R"({"measure": {"kind": "people"}, "filters": {"region": ["03"]}})"},
       10,
       true},
      // Cells of a three-way table with margins against a two-way one, each person's episodes
      // capped under differential privacy on one side.
      {R"({"measure": {"kind": "people"}, "dimensions": ["region", "sex", "age_band"],
           "margins": true})",
       {R"({"measure": {"kind": "people"}, "dimensions": ["region", "sex"],
            "protection": {"dp": {"epsilon": 1}}})",
        kBySex},
       5,
       std::nullopt},
      // Start and end periods are the same in the fixture: the same groups.
      {R"({"measure": {"kind": "episodes"}, "dimensions": ["start_period"], "margins": true})",
       {R"({"measure": {"kind": "people"}, "dimensions": ["end_period"], "margins": true})"},
       5,
       false},
  };
  ForEachFilledStore([&](store::Store& db) {
    // The band is compared in the library only.
    const insights::Query band = ParsedQuery(
        R"({"measure": {"kind": "people", "instrument": "phq9"}, "filters": {"band": ["mild"]}})");
    const std::vector<insights::Query> by_sex = {ParsedQuery(kBySex)};
    CHECK(insights::DifferencingInStore(db, band, by_sex, 5).status().code() ==
          absl::StatusCode::kInvalidArgument);
    for (const Case& c : cases) {
      INFO(c.fresh);
      INFO("threshold " << c.threshold);
      const bool library = LibraryRefuses(*columns, c.fresh, c.earlier, c.threshold);
      if (c.refused) CHECK(library == *c.refused);
      CHECK(StoreRefuses(db, c.fresh, c.earlier, c.threshold) == library);
    }
  });
}

}  // namespace
