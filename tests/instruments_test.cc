// Tests of the instrument loader, the scoring engine and the registry (src/instruments), on
// small definitions written here. The thirteen built-in instruments and their published rules
// are tested in instruments_rules_test.cc.

#include "varsam/instruments.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "definition.h"
#include "varsam/core.h"

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using varsam::ident::Sex;
using namespace varsam::instruments;

// A small valid host instrument: 4 items 0-4, item 4 reversed, one subscale, one item group
// with values {0,2,4}, prorating with one missing item, bands by sex and by age, flags of every
// kind, a setting.
json HostDefinition() {
  return json::parse(R"({
    "format": "varsam-instrument/1",
    "id": "host-form",
    "name": {"en": "Host form", "sv": "Värdens formulär"},
    "items": {"count": 4, "min": 0, "max": 4,
              "groups": [{"items": [3], "values": [0, 2, 4]}]},
    "reverse": [4],
    "subscales": [{"id": "first_two", "name": {"en": "First two", "sv": "De två första"},
                   "items": [1, 2]}],
    "total": {"range": [0, 16], "missing_allowed": 1, "prorate": true},
    "band_sets": [
      {"age": {"min": 6, "max": 12}, "bands": [
        {"id": "low", "min": 0, "max": 5, "label": {"en": "Low", "sv": "Låg"}},
        {"id": "high", "min": 6, "label": {"en": "High", "sv": "Hög"}}]},
      {"sex": "female", "bands": [
        {"id": "low", "min": 0, "max": 7, "label": {"en": "Low", "sv": "Låg"}},
        {"id": "high", "min": 8, "max": 16, "label": {"en": "High", "sv": "Hög"}}]},
      {"sex": "male", "bands": [
        {"id": "low", "min": 0, "max": 9, "label": {"en": "Low", "sv": "Låg"}},
        {"id": "very_high", "min": 10, "max": 16, "label": {"en": "Very high", "sv": "Mycket hög"}}]}
    ],
    "flags": [
      {"code": "item_one_high", "severity": "critical", "message": {"en": "m", "sv": "m"},
       "any": [{"on": "item", "items": [1], "at_least": 3}]},
      {"code": "item_one_unanswered", "severity": "warning", "message": {"en": "m", "sv": "m"},
       "any": [{"on": "item", "items": [1], "missing": true}]},
      {"code": "total_low", "severity": "info", "message": {"en": "m", "sv": "m"},
       "any": [{"on": "total", "below": {"setting": "low_cutoff"}}]},
      {"code": "dropped", "severity": "warning", "message": {"en": "m", "sv": "m"},
       "any": [{"on": "change", "at_most": {"setting": "drop", "negate": true}}]},
      {"code": "subscale_top", "severity": "info", "message": {"en": "m", "sv": "m"},
       "any": [{"on": "subscale", "subscale": "first_two", "equals": 8}]},
      {"code": "too_young", "severity": "info", "message": {"en": "m", "sv": "m"},
       "any": [{"on": "age", "below": 6}]},
      {"code": "sex_needed", "severity": "info", "message": {"en": "m", "sv": "m"},
       "any": [{"on": "sex", "unknown": true}]}
    ],
    "settings": {"low_cutoff": {"default": 3, "min": 0, "max": 16, "unconfirmed": true,
                                "note": "made up for the test"},
                 "drop": {"default": 2, "min": 1, "max": 16}},
    "sources": [{"cite": "varsam's own test definition"}],
    "licence": "none"
  })");
}

std::unique_ptr<const Instrument> Build(const json& definition, const SettingValues& s = {}) {
  auto parsed = Instrument::Parse(definition.dump(), s);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

// The message of refusing `definition`, which must be refused as InvalidArgument.
std::string Refusal(const json& definition, const SettingValues& s = {}) {
  auto parsed = Instrument::Parse(definition.dump(), s);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

std::vector<std::string> Codes(const Score& score) {
  std::vector<std::string> codes;
  for (const Flag& f : score.flags) codes.emplace_back(f.code);
  return codes;
}

Score ScoreOf(const Instrument& instrument, std::vector<double> answers, Respondent r = {}) {
  auto score = instrument.ScoreOne(answers, r);
  INFO(score.status().message());
  REQUIRE(score.ok());
  return *score;
}

double SettingValue(const Instrument& instrument, std::string_view name) {
  for (const Setting& s : instrument.definition().settings) {
    if (s.name == name) return s.value;
  }
  FAIL("no setting " << name);
  return 0;
}

const Respondent kWoman{Sex::kFemale, 40, std::nullopt};
const Respondent kMan{Sex::kMale, 40, std::nullopt};

}  // namespace

// ---- The loader refuses bad definitions, naming the problem --------------------------------

TEST_CASE("loader: a valid host definition loads", "[instruments][loader]") {
  const auto instrument = Build(HostDefinition());
  const Definition& d = instrument->definition();
  CHECK(d.id == "host-form");
  CHECK(d.items.size() == 4);
  CHECK(d.items[2].values == 0b10101);
  CHECK(d.reverse == std::vector<int>{4});
  CHECK(d.band_ids == std::vector<std::string>{"low", "high", "very_high"});
  CHECK(d.flags.size() == 7);
  CHECK(SettingValue(*instrument, "low_cutoff") == 3);
  CHECK(SettingValue(*instrument, "drop") == 2);
}

TEST_CASE("loader: an unknown field is refused", "[instruments][loader]") {
  json d = HostDefinition();
  d["colour"] = "blue";
  CHECK_THAT(Refusal(d), Catch::Contains("instrument 'host-form'") &&
                             Catch::Contains("unknown field 'colour'"));
  d = HostDefinition();
  d["flags"][0]["any"][0]["at_leats"] = 3;
  CHECK_THAT(Refusal(d),
             Catch::Contains("flags[0].any[0]") && Catch::Contains("unknown field 'at_leats'"));
}

TEST_CASE("loader: overlapping bands are refused", "[instruments][loader]") {
  json d = HostDefinition();
  d["band_sets"][1]["bands"][1]["min"] = 7;  // "low" runs to 7
  CHECK_THAT(Refusal(d), Catch::Contains("band_sets[1].bands[1] ('high'): overlaps "
                                         "band_sets[1].bands[0] ('low')"));
  d = HostDefinition();
  d["band_sets"][1]["bands"][1]["min"] = 0;  // starts with the band before
  CHECK_THAT(Refusal(d), Catch::Contains("overlaps"));
}

TEST_CASE("loader: a gap between whole-number bands is refused", "[instruments][loader]") {
  json d = HostDefinition();
  d["band_sets"][1]["bands"][1]["min"] = 9;  // "low" ends at 7
  CHECK_THAT(Refusal(d), Catch::Contains("('high'): leaves a gap after"));
  d = HostDefinition();
  d["band_sets"][1]["bands"][1]["max"] = 15;  // the total reaches 16
  CHECK_THAT(Refusal(d), Catch::Contains("the last band ends at 15, below the highest total 16"));
  d = HostDefinition();
  d["band_sets"][1]["bands"][0]["min"] = 1;
  CHECK_THAT(Refusal(d), Catch::Contains("the first band starts at 1"));
}

TEST_CASE("loader: a reverse item out of range is refused", "[instruments][loader]") {
  json d = HostDefinition();
  d["reverse"] = {4, 5};
  CHECK_THAT(Refusal(d), Catch::Contains("reverse[1]: 5 is not an item number (1-4)"));
  d["reverse"] = {0};
  CHECK_THAT(Refusal(d), Catch::Contains("reverse[0]: 0 is not an item number"));
  d["reverse"] = {2, 2};
  CHECK_THAT(Refusal(d), Catch::Contains("item 2 is listed twice"));
}

TEST_CASE("loader: a total range the items do not give is refused", "[instruments][loader]") {
  json d = HostDefinition();
  d["total"]["range"] = {0, 20};
  CHECK_THAT(Refusal(d), Catch::Contains("total.range: says 0-20 but the items give 0-16"));
}

TEST_CASE("loader: references must exist and names must be unique", "[instruments][loader]") {
  json d = HostDefinition();
  d["flags"][2]["any"][0]["below"] = {{"setting", "nonexistent"}};
  CHECK_THAT(Refusal(d), Catch::Contains("no setting named 'nonexistent'"));
  d = HostDefinition();
  d["flags"][4]["any"][0]["subscale"] = "nope";
  CHECK_THAT(Refusal(d), Catch::Contains("no subscale 'nope'"));
  d = HostDefinition();
  d["flags"][1]["code"] = "item_one_high";
  CHECK_THAT(Refusal(d), Catch::Contains("flags[1].code: 'item_one_high' is used twice"));
  d = HostDefinition();
  d["items"]["groups"].push_back({{"items", {3}}, {"min", 0}, {"max", 2}});
  CHECK_THAT(Refusal(d), Catch::Contains("item 3 is already in another group"));
  d = HostDefinition();
  d["flags"][0]["any"][0]["items"] = {9};
  CHECK_THAT(Refusal(d), Catch::Contains("9 is not an item number (1-4)"));
}

TEST_CASE("loader: conditions need exactly one comparison", "[instruments][loader]") {
  json d = HostDefinition();
  d["flags"][0]["any"][0]["at_most"] = 1;
  CHECK_THAT(Refusal(d), Catch::Contains("needs exactly one of"));
  d = HostDefinition();
  d["flags"][2]["any"][0] = {{"on", "total"}, {"missing", true}};
  CHECK_THAT(Refusal(d), Catch::Contains("missing only goes with on: item"));
  d = HostDefinition();
  d["flags"][6]["any"][0] = {{"on", "sex"}, {"equals", 1}};
  CHECK_THAT(Refusal(d), Catch::Contains("on: sex takes only unknown: true"));
  d = HostDefinition();
  d["flags"][0]["severity"] = "urgent";
  CHECK_THAT(Refusal(d), Catch::Contains("flags[0].severity: must be info, warning or critical"));
}

TEST_CASE("loader: structure and types are checked", "[instruments][loader]") {
  CHECK_THAT(Refusal(json::array()), Catch::Contains("must be an object"));
  json d = HostDefinition();
  d["format"] = "varsam-instrument/2";
  CHECK_THAT(Refusal(d), Catch::Contains("format: must be \"varsam-instrument/1\""));
  d = HostDefinition();
  d.erase("sources");
  CHECK_THAT(Refusal(d), Catch::Contains("missing required field 'sources'"));
  d = HostDefinition();
  d["id"] = "Host Form";
  CHECK_THAT(Refusal(d), Catch::Contains("id: must be 1-32 characters"));
  d = HostDefinition();
  d["name"] = {{"en", "only English"}};
  CHECK_THAT(Refusal(d), Catch::Contains("name: missing required field 'sv'"));
  d = HostDefinition();
  d["items"]["count"] = 0;
  CHECK_THAT(Refusal(d), Catch::Contains("items.count: must be a whole number from 1 to 200"));
  d = HostDefinition();
  d["total"]["missing_allowed"] = 2;
  d["total"]["prorate"] = false;
  CHECK_THAT(Refusal(d), Catch::Contains("missing_allowed above 0 needs prorate: true"));
  d = HostDefinition();
  d["items"]["groups"].push_back({{"items", {1}}, {"min", 1}, {"max", 4}});
  d["total"]["range"] = {1, 16};
  d["band_sets"][0]["bands"][0]["min"] = 1;
  d["band_sets"][1]["bands"][0]["min"] = 1;
  d["band_sets"][2]["bands"][0]["min"] = 1;
  CHECK_THAT(Refusal(d), Catch::Contains("prorate needs every item to span the same range"));
  d = HostDefinition();
  d["items"]["groups"][0]["values"] = {0, 64};
  CHECK_THAT(Refusal(d), Catch::Contains("must be a whole number from 0 to 63"));
  d = HostDefinition();
  d["bands"] = d["band_sets"][1]["bands"];
  CHECK_THAT(Refusal(d), Catch::Contains("give bands or band_sets, not both"));
  d = HostDefinition();
  for (int i = 0; i < 26; ++i) d["flags"].push_back(d["flags"][0]);
  CHECK_THAT(Refusal(d), Catch::Contains("at most 32 flags"));
  CHECK_THAT(std::string(Instrument::Parse("{\"id\": ").status().message()),
             Catch::Contains("instrument definition"));
}

TEST_CASE("loader: settings are overridden within their range", "[instruments][loader]") {
  CHECK_THAT(Refusal(HostDefinition(), {{"low_cutoff", 17}}),
             Catch::Contains("settings.low_cutoff: value outside the setting's range 0-16"));
  CHECK_THAT(Refusal(HostDefinition(), {{"high_cutoff", 1}}),
             Catch::Contains("no setting named 'high_cutoff'"));
  json d = HostDefinition();
  d["settings"]["low_cutoff"]["default"] = 20;
  CHECK_THAT(Refusal(d), Catch::Contains("default: outside the setting's range 0-16"));
  const auto instrument = Build(HostDefinition(), {{"low_cutoff", 10}});
  CHECK(SettingValue(*instrument, "low_cutoff") == 10);
  CHECK(Codes(ScoreOf(*instrument, {1, 1, 2, 4}, kWoman)) == std::vector<std::string>{"total_low"});
  // A negated setting: "dropped" is change <= -drop.
  const Respondent before{Sex::kFemale, 40, 10.0};
  CHECK(Codes(ScoreOf(*Build(HostDefinition()), {2, 2, 4, 3}, before)).empty());  // 9 - 10
  CHECK(Codes(ScoreOf(*Build(HostDefinition(), {{"drop", 1}}), {2, 2, 4, 3}, before)) ==
        std::vector<std::string>{"dropped"});
}

TEST_CASE("loader: ids are lower-case letters, digits, - and _", "[instruments][loader]") {
  using varsam::instruments::internal::IsValidId;
  CHECK(IsValidId("audit-c"));
  CHECK(IsValidId("core10"));
  CHECK(IsValidId("a"));
  CHECK_FALSE(IsValidId(""));
  CHECK_FALSE(IsValidId("10core"));
  CHECK_FALSE(IsValidId("Audit"));
  CHECK_FALSE(IsValidId("a b"));
  CHECK_FALSE(IsValidId(std::string(33, 'a')));
}

// ---- Scoring mechanics --------------------------------------------------------------------

TEST_CASE("scoring: reversed items score min + max - answer", "[instruments][score]") {
  const auto host = Build(HostDefinition());
  CHECK(*ScoreOf(*host, {0, 0, 0, 0}, kWoman).total == 4);  // item 4: 0 -> 4
  CHECK(*ScoreOf(*host, {0, 0, 0, 4}, kWoman).total == 0);
  CHECK(*ScoreOf(*host, {1, 2, 4, 1}, kWoman).total == 10);
}

TEST_CASE("scoring: bad answers are InvalidArgument naming the item, not the answer",
          "[instruments][score]") {
  const auto host = Build(HostDefinition());
  const auto message = [&](std::vector<double> answers) {
    auto score = host->ScoreOne(answers, kWoman);
    REQUIRE_FALSE(score.ok());
    CHECK(score.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(score.status().message());
  };
  CHECK(message({0, 5, 0, 0}) ==
        "instrument 'host-form' item 2: out of range (allowed: whole numbers 0-4)");
  CHECK(message({0, 0, 3, 0}) ==
        "instrument 'host-form' item 3: not an allowed answer (allowed: 0, 2, 4)");
  CHECK(message({0, 0, 1, 0}) ==
        "instrument 'host-form' item 3: not an allowed answer (allowed: 0, 2, 4)");
  CHECK(message({0, 0, 0, 2.5}) ==
        "instrument 'host-form' item 4: must be a whole number (allowed: whole numbers 0-4)");
  CHECK(message({-1, 0, 0, 0}) ==
        "instrument 'host-form' item 1: out of range (allowed: whole numbers 0-4)");
  CHECK(message({0, 0, 0, INFINITY}) ==
        "instrument 'host-form' item 4: not a finite number (allowed: whole numbers 0-4)");
  CHECK(message({0, 0, 0}) == "instrument 'host-form' has 4 items; got 3 answers");
  CHECK(message({0, 0, 0, 0, 0}) == "instrument 'host-form' has 4 items; got 5 answers");
}

TEST_CASE("scoring: prorating at the allowed number of missing items, refusal beyond",
          "[instruments][score]") {
  const auto host = Build(HostDefinition());
  const Score one = ScoreOf(*host, {2, kMissing, 2, 2}, kWoman);  // 2 + 2 + (4-2) = 6 of 3
  CHECK(one.prorated);
  CHECK(one.missing == 1);
  CHECK(one.answered == 3);
  CHECK(*one.total == Approx(8.0));  // 4 x mean 2
  CHECK(one.band == std::optional<std::string_view>("high"));
  CHECK(*one.subscales[0].score == Approx(4.0));  // prorated within the subscale: 2 x mean 2
  const Score two = ScoreOf(*host, {2, kMissing, kMissing, 2}, kWoman);
  CHECK_FALSE(two.total.has_value());
  CHECK_FALSE(two.band.has_value());
  CHECK_FALSE(two.prorated);
  CHECK(two.missing == 2);
  CHECK(Codes(two).empty());  // total_low needs a total
}

TEST_CASE("scoring: a prorated total between whole-number bands falls in the lower band",
          "[instruments][score]") {
  const auto host = Build(HostDefinition());
  // 3 answered: 2 + 2 + 1 (item 4 = 3 reversed) = 5 -> 4 * 5 / 3 = 6.67; women: low 0-7.
  const Score s = ScoreOf(*host, {2, kMissing, 2, 3}, kWoman);
  CHECK(*s.total == Approx(20.0 / 3));
  CHECK(s.band == std::optional<std::string_view>("low"));
  // 7.5 for women: above low's published max (7), below high's start (8): still low.
  json d = HostDefinition();
  d["items"]["decimals"] = true;
  d["items"]["groups"] = json::array();
  const auto decimals = Build(d);
  CHECK(*ScoreOf(*decimals, {2, 2, 0, 0.5}, kWoman).band == "low");  // 7.5
  CHECK(*ScoreOf(*decimals, {2, 2, 0, 0}, kWoman).band == "high");   // 8
}

TEST_CASE("scoring: band sets by sex and by age", "[instruments][score]") {
  const auto host = Build(HostDefinition());
  const std::vector<double> nine = {2, 2, 4, 3};  // 2 + 2 + 4 + 1 = 9
  CHECK(*ScoreOf(*host, nine, kWoman).band == "high");
  CHECK(*ScoreOf(*host, nine, kMan).band == "low");
  CHECK(*ScoreOf(*host, {2, 4, 4, 4}, kMan).band == "very_high");  // 10
  const Respondent child{Sex::kMale, 9, std::nullopt};             // the age set comes first
  CHECK(*ScoreOf(*host, nine, child).band == "high");
  CHECK(*ScoreOf(*host, {1, 1, 2, 3}, child).band == "low");  // 5
  const Score unknown = ScoreOf(*host, nine, {});
  CHECK_FALSE(unknown.band.has_value());
  CHECK(Codes(unknown) == std::vector<std::string>{"sex_needed"});
}

TEST_CASE("scoring: every kind of flag condition", "[instruments][score]") {
  const auto host = Build(HostDefinition());
  CHECK(Codes(ScoreOf(*host, {3, 2, 4, 3}, kWoman)) == std::vector<std::string>{"item_one_high"});
  CHECK(Codes(ScoreOf(*host, {2, 2, 4, 3}, kWoman)).empty());
  CHECK(Codes(ScoreOf(*host, {kMissing, 2, 4, 3}, kWoman)) ==
        std::vector<std::string>{"item_one_unanswered"});
  CHECK(Codes(ScoreOf(*host, {0, 0, 0, 4}, kWoman)) == std::vector<std::string>{"total_low"});
  CHECK(Codes(ScoreOf(*host, {1, 1, 0, 3}, kWoman)).empty());  // total 3 is not below 3
  const Respondent before{Sex::kFemale, 40, 11.0};
  CHECK(Codes(ScoreOf(*host, {2, 2, 4, 3}, before)) == std::vector<std::string>{"dropped"});
  const Respondent before_close{Sex::kFemale, 40, 10.0};
  CHECK(Codes(ScoreOf(*host, {2, 2, 4, 3}, before_close)).empty());  // a drop of 1 only
  CHECK(Codes(ScoreOf(*host, {4, 4, 0, 4}, kWoman)) ==
        std::vector<std::string>{"item_one_high", "subscale_top"});
  const Respondent small{Sex::kFemale, 5, std::nullopt};
  CHECK(Codes(ScoreOf(*host, {2, 2, 4, 3}, small)) == std::vector<std::string>{"too_young"});
}

TEST_CASE("scoring: flag severities and messages come from the definition",
          "[instruments][score]") {
  const auto host = Build(HostDefinition());
  const Score s = ScoreOf(*host, {3, kMissing, 4, 4}, {});
  REQUIRE(s.flags.size() == 2);
  CHECK(s.flags[0].code == "item_one_high");
  CHECK(s.flags[0].severity == Severity::kCritical);
  CHECK(s.flags[1].code == "sex_needed");
  CHECK(s.flags[1].severity == Severity::kInfo);
  CHECK(SeverityName(Severity::kWarning) == "warning");
}

TEST_CASE("scoring: the JSON result has the contract's keys", "[instruments][score]") {
  const auto host = Build(HostDefinition());
  const ordered_json j = ToJson(ScoreOf(*host, {2, kMissing, 2, 3}, kWoman));
  CHECK(j["instrument"] == "host-form");
  CHECK(j["total"].is_number_float());
  CHECK(j["band"] == "low");
  CHECK(j["subscales"] == ordered_json({{"first_two", 4}}));
  CHECK(j["answered"] == 3);
  CHECK(j["missing"] == 1);
  CHECK(j["prorated"] == true);
  CHECK(j["flags"].is_array());
  const ordered_json whole = ToJson(ScoreOf(*host, {3, 2, 4, 3}, kWoman));
  CHECK(whole["total"].is_number_integer());
  CHECK(whole["total"] == 10);
  CHECK(whole["subscales"]["first_two"] == 5);
  CHECK(whole["flags"] == ordered_json::parse(R"([{"code": "item_one_high",
                                                   "severity": "critical", "message": "m"}])"));
  CHECK(whole.dump().rfind(R"({"instrument":"host-form","total":10,"subscales":)", 0) == 0);
  const ordered_json none = ToJson(ScoreOf(*host, {kMissing, kMissing, 2, 3}, kWoman));
  CHECK(none["total"].is_null());
  CHECK(none["band"].is_null());
  CHECK(none["subscales"]["first_two"].is_null());  // both of its items missing
}

TEST_CASE("scoring: the instrument describes itself", "[instruments][score]") {
  const ordered_json j = Build(HostDefinition())->ToJson();
  CHECK(j["id"] == "host-form");
  CHECK(j["items"] == 4);
  CHECK(j["bands"] == ordered_json({"low", "high", "very_high"}));
  CHECK(j["flags"][0]["code"] == "item_one_high");
  CHECK(j["flags"][0]["any"] == ordered_json::parse(R"([{"on": "item", "items": [1],
      "comparison": "at_least", "threshold": 3, "setting": null}])"));
  CHECK(j["flags"][3]["any"][0]["threshold"] == -2);  // {"setting": "drop", "negate": true}
  CHECK(j["flags"][3]["any"][0]["setting"] == "drop");
  CHECK(j["flags"][4]["any"][0]["subscale"] == "first_two");
  CHECK(j["flags"][6]["any"][0]["comparison"] == "unknown");
  CHECK(j["flags"][6]["any"][0]["threshold"].is_null());
  CHECK(j["scales"][2]["values"] == ordered_json({0, 2, 4}));
  CHECK(j["total"]["range"] == ordered_json({0, 16}));
  CHECK(j["settings"]["low_cutoff"]["value"] == 3);
  CHECK(j["settings"]["low_cutoff"]["unconfirmed"] == true);
}

// ---- The change section ----------------------------------------------------------------------

namespace {

// The host form with a change rule: lower is better, cut-off 6 ("> 5") from 18 and for an
// unknown age, 8 for 12-17, reliable change from a reliability and a reference SD.
json HostWithChange() {
  json d = HostDefinition();
  d["change"] = json::parse(R"({
    "better": "lower", "reliability": 0.84, "reference_sd": 2.5,
    "cutoffs": [
      {"age": {"min": 12, "max": 17}, "value": 8, "clinical_at_value": false},
      {"age": {"min": 18}, "value": 6, "clinical_at_value": true, "unknown_age": true}
    ],
    "sources": [{"cite": "varsam's own test rule"}]
  })");
  return d;
}

}  // namespace

TEST_CASE("change: a reliable change computed from reliability and SD (Jacobson & Truax)",
          "[instruments][change]") {
  const auto host = Build(HostWithChange());
  const ChangeRule& rule = *host->definition().change;
  // By hand: S_E = 2.5 * sqrt(1 - 0.84) = 2.5 * 0.4 = 1; S_diff = sqrt(2) * 1 = 1.41421356;
  // reliable change = 1.96 * 1.41421356 = 2.77185858.
  CHECK(rule.reliable_change == Approx(2.77185858).epsilon(1e-8));
  CHECK(rule.reliability == 0.84);
  CHECK(rule.reference_sd == 2.5);
  CHECK(rule.setting.empty());
  // 9 -> 6: change -3, RCI = -3 / 1.41421356 = -2.12132034: reliable (|RCI| >= 1.96).
  const ChangeAssessment a = *host->AssessChange(9, 6, {});
  CHECK(a.change == -3);
  CHECK(a.improvement == 3);
  CHECK(a.rci == Approx(-2.12132034).epsilon(1e-8));
  // Age unknown: the cut-off marked unknown_age, 6, and 6 itself is clinical.
  CHECK(a.cutoff == 6);
  CHECK(a.clinical_at_intake);
  CHECK(a.clinical_now);
  CHECK(a.category == ChangeCategory::kReliablyImproved);
  // 8 -> 5: reliable, from clinical to not: recovered.
  CHECK(host->AssessChange(8, 5, {})->category == ChangeCategory::kRecovered);
  // 8 -> 6: change -2, RCI -1.41421356: not reliable.
  CHECK(host->AssessChange(8, 6, {})->category == ChangeCategory::kNoReliableChange);
  CHECK(host->AssessChange(8, 6, {})->rci == Approx(-1.41421356).epsilon(1e-8));
  CHECK(host->AssessChange(2, 5, {})->category == ChangeCategory::kReliablyDeteriorated);
  // Aged 15: cut-off 8, and 8 itself is not clinical.
  Respondent teen;
  teen.age = 15;
  const ChangeAssessment t = *host->AssessChange(11, 8, teen);
  CHECK(t.cutoff == 8);
  CHECK(t.category == ChangeCategory::kRecovered);
  // Aged 10: no cut-off for that age.
  Respondent child;
  child.age = 10;
  const ChangeAssessment c = *host->AssessChange(11, 6, child);
  CHECK_FALSE(c.cutoff);
  CHECK(c.category == ChangeCategory::kReliablyImproved);
}

TEST_CASE("change: a cut-off without an age range holds for every age, also unknown",
          "[instruments][change]") {
  json d = HostWithChange();
  d["change"]["cutoffs"] = json::parse(R"([
      {"age": {"max": 11}, "value": 3, "clinical_at_value": true},
      {"value": 5, "clinical_at_value": false}])");
  const auto host = Build(d);
  CHECK(host->AssessChange(9, 5, {})->cutoff == 5);
  Respondent child;
  child.age = 9;
  CHECK(host->AssessChange(9, 5, child)->cutoff == 3);  // the first that holds
  Respondent adult;
  adult.age = 40;
  CHECK(host->AssessChange(9, 5, adult)->cutoff == 5);
}

TEST_CASE("change: a stated reliable change wins; it may be a setting", "[instruments][change]") {
  json d = HostWithChange();
  d["change"]["reliable_change"] = {{"setting", "drop"}};  // default 2
  const auto host = Build(d);
  CHECK(host->definition().change->reliable_change == 2);
  CHECK(host->definition().change->setting == "drop");
  CHECK(host->AssessChange(7, 5, {})->category == ChangeCategory::kRecovered);  // 2 >= 2
  const auto three = Build(d, {{"drop", 3}});
  CHECK(three->AssessChange(7, 5, {})->category == ChangeCategory::kNoReliableChange);
}

TEST_CASE("change: the list JSON shows the rule", "[instruments][change]") {
  const ordered_json j = Build(HostWithChange())->ToJson();
  CHECK(j["change"]["better"] == "lower");
  CHECK(j["change"]["reliability"] == 0.84);
  CHECK(j["change"]["reference_sd"] == 2.5);
  CHECK(j["change"]["setting"].is_null());
  CHECK(j["change"]["cutoffs"][1] == ordered_json::parse(R"({"age_min": 18, "age_max": null,
      "value": 6, "clinical_at_value": true, "unknown_age": true, "setting": null})"));
  CHECK(j["change"]["sources"][0]["cite"] == "varsam's own test rule");
  CHECK(Build(HostDefinition())->ToJson()["change"].is_null());
}

TEST_CASE("change: without a rule, AssessChange is FailedPrecondition", "[instruments][change]") {
  const auto a = Build(HostDefinition())->AssessChange(3, 5);
  REQUIRE_FALSE(a.ok());
  CHECK(a.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("loader: a malformed change section is refused, naming the field",
          "[instruments][loader][change]") {
  const auto refusal = [](const std::function<void(json&)>& edit) {
    json d = HostWithChange();
    edit(d["change"]);
    return Refusal(d);
  };
  CHECK_THAT(refusal([](json& c) { c["colour"] = 1; }),
             Catch::Contains("change: unknown field 'colour'"));
  CHECK_THAT(refusal([](json& c) { c["better"] = "up"; }),
             Catch::Contains("change.better: must be \"higher\" or \"lower\""));
  CHECK_THAT(refusal([](json& c) { c.erase("better"); }),
             Catch::Contains("missing required field 'better'"));
  CHECK_THAT(refusal([](json& c) { c.erase("reference_sd"); }),
             Catch::Contains("give reliability and reference_sd together"));
  CHECK_THAT(refusal([](json& c) { c["reliability"] = 1; }),
             Catch::Contains("change.reliability: must be above 0 and below 1"));
  CHECK_THAT(refusal([](json& c) { c["reference_sd"] = 0; }),
             Catch::Contains("change.reference_sd: must be above 0"));
  CHECK_THAT(refusal([](json& c) {
               c.erase("reliability");
               c.erase("reference_sd");
             }),
             Catch::Contains("needs reliable_change, or reliability and reference_sd"));
  CHECK_THAT(refusal([](json& c) { c["reliable_change"] = 0; }),
             Catch::Contains("change.reliable_change: must be above 0"));
  CHECK_THAT(refusal([](json& c) { c["reliable_change"] = "6"; }),
             Catch::Contains("change.reliable_change: must be a number"));
  CHECK_THAT(refusal([](json& c) {
               c["reliable_change"] = {{"setting", "drop"}, {"negate", true}};
             }),
             Catch::Contains("change.reliable_change: must be above 0"));
  CHECK_THAT(refusal([](json& c) {
               c["reliable_change"] = {{"setting", "nope"}};
             }),
             Catch::Contains("no setting named 'nope'"));
  // A cut-off outside the total's range (0-16): the message names the field, not the value.
  const std::string outside = refusal([](json& c) { c["cutoffs"][0]["value"] = 99; });
  CHECK_THAT(outside,
             Catch::Contains("change.cutoffs[0].value: must lie within the total's range"));
  CHECK(outside.find("99") == std::string::npos);
  CHECK_THAT(refusal([](json& c) { c["cutoffs"][0].erase("clinical_at_value"); }),
             Catch::Contains("change.cutoffs[0]: missing required field 'clinical_at_value'"));
  CHECK_THAT(refusal([](json& c) { c["cutoffs"][0]["clinical_at_value"] = "yes"; }),
             Catch::Contains("change.cutoffs[0].clinical_at_value: must be true or false"));
  CHECK_THAT(refusal([](json& c) { c["cutoffs"][0]["unknown_age"] = true; }),
             Catch::Contains("at most one cut-off may be marked unknown_age"));
  CHECK_THAT(refusal([](json& c) {
               c["cutoffs"][1]["age"] = {{"min", 18}, {"max", 12}};
             }),
             Catch::Contains("change.cutoffs[1].age: min is above max"));
  CHECK_THAT(refusal([](json& c) { c["cutoffs"][1]["sex"] = "female"; }),
             Catch::Contains("change.cutoffs[1]: unknown field 'sex'"));
  CHECK_THAT(refusal([](json& c) { c["cutoffs"] = json::object(); }),
             Catch::Contains("change.cutoffs: must be a list"));
  CHECK_THAT(refusal([](json& c) { c.erase("sources"); }),
             Catch::Contains("change: missing required field 'sources'"));
  CHECK_THAT(refusal([](json& c) { c["sources"] = json::array(); }),
             Catch::Contains("change.sources: must be a non-empty list"));
  CHECK_THAT(refusal([](json& c) { c = json::array(); }),
             Catch::Contains("change: must be an object"));
  // A setting a cut-off uses is checked again when a host configures it.
  json d = HostWithChange();
  d["change"]["cutoffs"][0]["value"] = {{"setting", "low_cutoff"}};
  CHECK(Build(d)->definition().change->cutoffs[0].setting == "low_cutoff");
}

// ---- Batch --------------------------------------------------------------------------------

TEST_CASE("batch: every form scores as the single-form path does", "[instruments][batch]") {
  const auto host = Build(HostDefinition());
  std::mt19937 random(7);
  const size_t forms = 2000;
  std::vector<double> answers;
  std::vector<std::int32_t> sex, age;
  std::vector<double> previous;
  for (size_t i = 0; i < forms; ++i) {
    for (int item = 0; item < 4; ++item) {
      const int roll = static_cast<int>(random() % 20);
      // Mostly valid answers, some missing, some invalid (3 for item 3, 5 anywhere).
      answers.push_back(roll == 0 ? kMissing : roll == 1 ? 5.0 : static_cast<double>(roll % 5));
    }
    sex.push_back(static_cast<std::int32_t>(random() % 3));
    age.push_back(static_cast<std::int32_t>(random() % 20) - 2);
    previous.push_back(random() % 4 == 0 ? kMissing : static_cast<double>(random() % 17));
  }
  std::vector<double> total(forms);
  std::vector<std::int32_t> band(forms), status(forms);
  std::vector<std::uint32_t> flags(forms);
  const auto summary =
      host->ScoreBatch({answers, sex, age, previous}, {total, band, flags, status});
  REQUIRE(summary.ok());
  CHECK(summary->scored + summary->too_many_missing + summary->invalid == forms);
  CHECK(summary->invalid > 0);
  CHECK(summary->too_many_missing > 0);
  CHECK(summary->scored > 0);

  for (size_t i = 0; i < forms; ++i) {
    Respondent r;
    if (sex[i] != 0) r.sex = static_cast<Sex>(sex[i]);
    if (age[i] >= 0) r.age = age[i];
    if (!std::isnan(previous[i])) r.previous_total = previous[i];
    FormScore one;
    const absl::Status s = host->ScoreForm(std::span(answers).subspan(i * 4, 4), r, &one);
    INFO("form " << i);
    if (!s.ok()) {
      CHECK(status[i] == static_cast<std::int32_t>(FormStatus::kInvalid));
      CHECK(std::isnan(total[i]));
      CHECK(band[i] == -1);
      CHECK(flags[i] == 0);
      continue;
    }
    CHECK(status[i] == static_cast<std::int32_t>(one.scored() ? FormStatus::kScored
                                                              : FormStatus::kTooManyMissing));
    CHECK((std::isnan(total[i]) ? std::isnan(one.total) : total[i] == one.total));
    CHECK(band[i] == one.band);
    CHECK(flags[i] == one.flags);
  }
}

TEST_CASE("batch: shapes are checked, columns are optional", "[instruments][batch]") {
  const auto host = Build(HostDefinition());
  const std::vector<double> answers = {1, 1, 2, 1, 4, 4, 4, 0, 0, 0, 3, 0};
  std::vector<double> total(3);
  auto summary = host->ScoreBatch({answers, {}, {}, {}}, {total, {}, {}, {}});
  REQUIRE(summary.ok());
  CHECK(summary->scored == 2);
  CHECK(summary->invalid == 1);
  CHECK(summary->first_invalid == 2);
  CHECK(total[0] == 7);
  CHECK(total[1] == 16);
  CHECK(std::isnan(total[2]));

  const std::vector<double> ragged = {1, 1, 2};
  CHECK_THAT(std::string(host->ScoreBatch({ragged, {}, {}, {}}, {}).status().message()),
             Catch::Contains("not a whole number of forms of 4 items"));
  std::vector<double> short_total(2);
  CHECK_THAT(
      std::string(
          host->ScoreBatch({answers, {}, {}, {}}, {short_total, {}, {}, {}}).status().message()),
      Catch::Contains("column total: has 2 entries for 3 forms"));
  const std::vector<std::int32_t> bad_sex = {0, 1, 7};
  CHECK(host->ScoreBatch({answers, bad_sex, {}, {}}, {}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  const std::vector<std::int32_t> bad_age = {40, 151, -1};
  CHECK_THAT(std::string(host->ScoreBatch({answers, {}, bad_age, {}}, {}).status().message()),
             Catch::Contains("column age"));
  const std::vector<double> bad_previous = {1, INFINITY, kMissing};
  CHECK_THAT(std::string(host->ScoreBatch({answers, {}, {}, bad_previous}, {}).status().message()),
             Catch::Contains("column previous_total"));
  CHECK(host->ScoreBatch({{}, {}, {}, {}}, {})->scored == 0);
}

// ---- Registry -----------------------------------------------------------------------------

TEST_CASE("registry: every built-in definition loads", "[instruments][registry]") {
  const auto files = BuiltinDefinitions();
  REQUIRE(files.size() == 13);
  for (const EmbeddedDefinition& file : files) {
    INFO(file.name);
    const auto parsed = Instrument::Parse(file.json);
    INFO(parsed.status().message());
    CHECK(parsed.ok());
    if (parsed.ok()) CHECK(std::string((*parsed)->id()) + ".json" == std::string(file.name));
  }
  std::vector<std::string> ids;
  const auto builtins = Registry::WithBuiltins();
  for (const Instrument* i : builtins->List()) ids.push_back(i->id());
  CHECK(ids == std::vector<std::string>{"soc13", "soc29", "ors", "cors", "srs", "csrs", "audit",
                                        "audit-c", "dudit", "phq9", "gad7", "core10", "k10"});
}

TEST_CASE("registry: load, find, refuse a taken id, configure", "[instruments][registry]") {
  Registry registry;
  CHECK(registry.Find("host-form") == nullptr);
  CHECK(registry.Get("host-form").status().code() == absl::StatusCode::kNotFound);
  const auto loaded = registry.Load(HostDefinition().dump());
  REQUIRE(loaded.ok());
  CHECK(registry.Find("host-form") == *loaded);
  CHECK(registry.Load(HostDefinition().dump()).status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(registry.Load("{}").status().code() == absl::StatusCode::kInvalidArgument);

  const Instrument* before = *loaded;
  const auto configured = registry.Configure("host-form", {{"low_cutoff", 10}});
  REQUIRE(configured.ok());
  CHECK(*configured != before);
  CHECK(registry.Find("host-form") == *configured);
  CHECK(SettingValue(*before, "low_cutoff") == 3);  // the old one is still alive
  CHECK(SettingValue(**configured, "low_cutoff") == 10);
  CHECK(registry.Configure("host-form", {{"low_cutoff", 99}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(registry.Find("host-form") == *configured);
  CHECK(registry.Configure("nothing", {}).status().code() == absl::StatusCode::kNotFound);
  CHECK(registry.List().size() == 1);
}

TEST_CASE("registry: concurrent readers and writers", "[instruments][registry]") {
  Registry registry;
  REQUIRE(registry.Load(HostDefinition().dump()).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry, t] {
      for (int i = 0; i < 200; ++i) {
        if (t == 0) {
          registry.Configure("host-form", {{"low_cutoff", static_cast<double>(i % 16)}})
              .IgnoreError();
        } else {
          const Instrument* instrument = registry.Find("host-form");
          FormScore form;
          const std::vector<double> answers = {1, 1, 2, 1};
          if (instrument == nullptr || !instrument->ScoreForm(answers, {}, &form).ok() ||
              form.total != 7) {
            std::abort();
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(registry.List().size() == 1);
}
