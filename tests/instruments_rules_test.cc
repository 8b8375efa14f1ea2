// Rule-named tests for the thirteen built-in instruments (written with their definitions).
// Each TEST_CASE is one published scoring rule (docs/instruments.md), checked against the
// built-in definitions in data/instruments/ through the public API (varsam/instruments.h):
// band edges on both sides, reversed items, subscales, prorating and its limit, sex-specific
// cut-offs, every flag, and the answers each item refuses. The expected values are written here
// from the published rules (sources in each definition and in docs/instruments.md), never read
// back from the definitions (which only tell FormWithTotal how to build a form of a given
// total). The last test case runs tests/data/instruments-golden.tsv.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/core.h"
#include "varsam/ident.h"
#include "varsam/instruments.h"

namespace {

namespace in = varsam::instruments;
using varsam::ident::Sex;

constexpr double kNa = in::kMissing;  // an unanswered item, for short rows

// The built-ins, loaded once (a definition the loader refuses would be missing here; the test
// case "every built-in definition loads" names its error).
const in::Registry& Builtins() {
  static const std::unique_ptr<in::Registry> registry = in::Registry::WithBuiltins();
  return *registry;
}

const in::Instrument& Get(std::string_view id) {
  const in::Instrument* instrument = Builtins().Find(id);
  INFO("instrument " << id);
  REQUIRE(instrument != nullptr);
  return *instrument;
}

in::Respondent Who(std::optional<Sex> sex = std::nullopt,
                   std::optional<double> previous_total = std::nullopt) {
  in::Respondent r;
  r.sex = sex;
  r.previous_total = previous_total;
  return r;
}

// A scored form, copied out of the views of in::Score.
struct Result {
  std::optional<double> total;
  std::string band;  // "" when none
  std::vector<std::string> flags;
  std::map<std::string, std::optional<double>> subscales;
  int answered = 0;
  int missing = 0;
  bool prorated = false;

  bool Has(std::string_view code) const {
    for (const std::string& f : flags) {
      if (f == code) return true;
    }
    return false;
  }
};

Result Score(const in::Instrument& instrument, const std::vector<double>& answers,
             const in::Respondent& who = {}) {
  const absl::StatusOr<in::Score> score = instrument.ScoreOne(answers, who);
  INFO(instrument.id() << ": " << score.status().ToString());
  REQUIRE(score.ok());
  Result r;
  r.total = score->total;
  if (score->band) r.band = std::string(*score->band);
  for (const in::Flag& f : score->flags) r.flags.emplace_back(f.code);
  for (const in::SubscaleScore& s : score->subscales) r.subscales[std::string(s.id)] = s.score;
  r.answered = score->answered;
  r.missing = score->missing;
  r.prorated = score->prorated;
  return r;
}

Result Score(std::string_view id, const std::vector<double>& answers,
             const in::Respondent& who = {}) {
  return Score(Get(id), answers, who);
}

// The severity and message of a raised flag.
in::Flag FlagOf(std::string_view id, const std::vector<double>& answers, std::string_view code,
                const in::Respondent& who = {}) {
  const absl::StatusOr<in::Score> score = Get(id).ScoreOne(answers, who);
  REQUIRE(score.ok());
  for (const in::Flag& f : score->flags) {
    if (f.code == code) return f;
  }
  FAIL("flag " << code << " was not raised");
  return {};
}

// Every number written in `text` ("item 10", "0-3", "6.5" give 10, 0, 3, 6.5).
std::vector<double> NumbersIn(std::string_view text) {
  std::vector<double> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.')) ++j;
    out.push_back(std::strtod(std::string(text.substr(i, j - i)).c_str(), nullptr));
    i = j;
  }
  return out;
}

// `answers` are refused as bad input, with a message that names the instrument and the item
// (1-based) and does not repeat the bad answer.
void CheckRefused(std::string_view id, const std::vector<double>& answers, int item) {
  const double bad = answers[item - 1];
  const absl::StatusOr<in::Score> score = Get(id).ScoreOne(answers);
  INFO(id << " item " << item << " answer " << bad);
  REQUIRE_FALSE(score.ok());
  CHECK(score.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string message(score.status().message());
  INFO("message: " << message);
  CHECK(message.find(varsam::Cat({"'", id, "'"})) != std::string::npos);
  CHECK(message.find("item " + std::to_string(item) + ":") != std::string::npos);
  if (std::isfinite(bad)) {
    for (const double x : NumbersIn(message)) CHECK(x != bad);
  }
}

std::vector<double> Filled(std::string_view id, double answer) {
  return std::vector<double>(Get(id).item_count(), answer);
}

std::vector<double> With(std::vector<double> answers, int item, double answer) {
  answers[item - 1] = answer;
  return answers;
}

// A valid form of `id` whose total is `total`: every item starts at its lowest contribution,
// then items are raised one by one (a reversed item by lowering its answer); items limited to a
// list of values (AUDIT 9-10, DUDIT 10-11) come last and take the largest value that fits.
// Decimal instruments put the fraction in one item.
std::vector<double> FormWithTotal(std::string_view id, double total) {
  const in::Definition& def = Get(id).definition();
  std::vector<double> add(def.items.size(), 0);
  double left = total - def.total_min;
  for (const bool listed : {false, true}) {
    for (size_t i = 0; i < def.items.size(); ++i) {
      const in::Scale& s = def.items[i];
      if ((s.values != 0) != listed) continue;
      if (listed) {
        for (int v = 63; v >= 0; --v) {
          if ((s.values >> v & 1) && v - s.min <= left) {
            add[i] = v - s.min;
            break;
          }
        }
      } else {
        add[i] = std::min(left, s.max - s.min);
        if (!s.decimals) add[i] = std::floor(add[i]);
      }
      left -= add[i];
    }
  }
  REQUIRE(left == Approx(0).margin(1e-9));
  std::vector<double> answers;
  for (size_t i = 0; i < def.items.size(); ++i) {
    const in::Scale& s = def.items[i];
    const bool reversed = std::find(def.reverse.begin(), def.reverse.end(),
                                    static_cast<int>(i + 1)) != def.reverse.end();
    answers.push_back(reversed ? s.max - add[i] : s.min + add[i]);
  }
  return answers;
}

// The band of a total of `id` for a respondent of `sex`.
std::string BandAt(std::string_view id, double total, std::optional<Sex> sex = std::nullopt) {
  const Result r = Score(id, FormWithTotal(id, total), Who(sex));
  REQUIRE(r.total);
  CHECK(*r.total == Approx(total).margin(1e-9));
  return r.band;
}

// A band boundary, both sides: `at` starts at `edge`, the total just below is in `below`.
void CheckBandEdge(std::string_view id, std::optional<Sex> sex, double edge, std::string_view below,
                   std::string_view at) {
  const bool decimals = Get(id).definition().items[0].decimals;
  const double step = decimals ? 0.01 : 1;
  INFO(id << " edge " << edge);
  CHECK(BandAt(id, edge - step, sex) == below);
  CHECK(BandAt(id, edge, sex) == at);
}

// The lowest and highest totals and their bands.
void CheckBandEnds(std::string_view id, std::optional<Sex> sex, double lowest,
                   std::string_view low_band, double highest, std::string_view high_band) {
  const in::Definition& def = Get(id).definition();
  CHECK(def.total_min == lowest);
  CHECK(def.total_max == highest);
  CHECK(BandAt(id, lowest, sex) == low_band);
  CHECK(BandAt(id, highest, sex) == high_band);
}

}  // namespace

// ---- The set of built-ins ---------------------------------------------------------------------

TEST_CASE("every built-in definition loads", "[instruments]") {
  const auto files = in::BuiltinDefinitions();
  CHECK(files.size() == 13);
  for (const in::EmbeddedDefinition& file : files) {
    const auto parsed = in::Instrument::Parse(file.json);
    INFO(file.name << ": " << parsed.status().ToString());
    CHECK(parsed.ok());
  }
}

TEST_CASE("the built-ins are the thirteen of docs/instruments.md, in its order", "[instruments]") {
  std::vector<std::string> ids;
  for (const in::Instrument* i : Builtins().List()) ids.push_back(i->id());
  CHECK(ids == std::vector<std::string>{"soc13", "soc29", "ors", "cors", "srs", "csrs", "audit",
                                        "audit-c", "dudit", "phq9", "gad7", "core10", "k10"});
}

TEST_CASE("band ids are those of the CLI contract, in index order", "[instruments]") {
  const std::map<std::string, std::vector<std::string>> expected = {
      {"soc13", {}},
      {"soc29", {}},
      {"ors", {"clinical", "non_clinical"}},
      {"cors", {"clinical", "non_clinical"}},
      {"srs", {}},
      {"csrs", {}},
      {"audit", {"low_risk", "hazardous", "harmful", "probable_dependence"}},
      {"audit-c", {"low_risk", "risky"}},
      {"dudit", {"no_problem", "probable_problem", "probable_dependence"}},
      {"phq9", {"none", "mild", "moderate", "moderately_severe", "severe"}},
      {"gad7", {"minimal", "mild", "moderate", "severe"}},
      {"core10", {"low", "mild", "moderate", "moderate_severe", "severe"}},
      {"k10", {"low", "moderate", "high", "very_high"}}};
  for (const auto& [id, bands] : expected) {
    INFO(id);
    CHECK(Get(id).definition().band_ids == bands);
  }
}

TEST_CASE("flag codes and severities, in bit order", "[instruments]") {
  using S = in::Severity;
  const std::map<std::string, std::vector<std::pair<std::string, S>>> expected = {
      {"ors", {{"reliable_improvement", S::kInfo}, {"reliable_deterioration", S::kWarning}}},
      {"srs", {{"alliance_concern", S::kWarning}}},
      {"audit",
       {{"possible_dependence", S::kWarning},
        {"alcohol_related_harm", S::kWarning},
        {"band_needs_sex", S::kInfo}}},
      {"audit-c", {{"band_needs_sex", S::kInfo}}},
      {"dudit", {{"band_needs_sex", S::kInfo}}},
      {"phq9", {{"suicide_risk_followup", S::kCritical}, {"suicide_item_unanswered", S::kWarning}}},
      {"core10",
       {{"suicide_risk_followup", S::kCritical}, {"suicide_item_unanswered", S::kWarning}}}};
  for (const in::Instrument* i : Builtins().List()) {
    std::vector<std::pair<std::string, S>> flags;
    for (const in::FlagRule& f : i->definition().flags) flags.emplace_back(f.code, f.severity);
    const auto it = expected.find(i->id());
    INFO(i->id());
    CHECK(flags == (it == expected.end() ? decltype(flags){} : it->second));
  }
}

TEST_CASE("every instrument has English and Swedish names and messages, sources, a licence",
          "[instruments]") {
  for (const in::Instrument* i : Builtins().List()) {
    const in::Definition& def = i->definition();
    INFO(def.id);
    CHECK_FALSE(def.name.en.empty());
    CHECK_FALSE(def.name.sv.empty());
    CHECK_FALSE(def.sources.empty());
    CHECK_FALSE(def.licence.empty());
    for (const in::FlagRule& f : def.flags) {
      CHECK_FALSE(f.message.en.empty());
      CHECK_FALSE(f.message.sv.empty());
    }
  }
}

// ---- Items and the answers they allow ---------------------------------------------------------

TEST_CASE("item counts and scales are those of the published instruments", "[instruments]") {
  struct Row {
    const char* id;
    int count;
    double min, max;
    bool decimals;
    double total_min, total_max;
  };
  const Row rows[] = {{"soc13", 13, 1, 7, false, 13, 91}, {"soc29", 29, 1, 7, false, 29, 203},
                      {"ors", 4, 0, 10, true, 0, 40},     {"cors", 4, 0, 10, true, 0, 40},
                      {"srs", 4, 0, 10, true, 0, 40},     {"csrs", 4, 0, 10, true, 0, 40},
                      {"audit", 10, 0, 4, false, 0, 40},  {"audit-c", 3, 0, 4, false, 0, 12},
                      {"dudit", 11, 0, 4, false, 0, 44},  {"phq9", 9, 0, 3, false, 0, 27},
                      {"gad7", 7, 0, 3, false, 0, 21},    {"core10", 10, 0, 4, false, 0, 40},
                      {"k10", 10, 1, 5, false, 10, 50}};
  for (const Row& row : rows) {
    const in::Definition& def = Get(row.id).definition();
    INFO(row.id);
    REQUIRE(static_cast<int>(def.items.size()) == row.count);
    CHECK(def.items[0].min == row.min);
    CHECK(def.items[0].max == row.max);
    CHECK(def.items[0].decimals == row.decimals);
    CHECK(def.total_min == row.total_min);
    CHECK(def.total_max == row.total_max);
  }
}

TEST_CASE("audit: items 9 and 10 refuse 1 and 3", "[instruments]") {
  const std::vector<double> zeros = Filled("audit", 0);
  for (const int item : {9, 10}) {
    for (const double bad : {1.0, 3.0}) CheckRefused("audit", With(zeros, item, bad), item);
    for (const double ok : {0.0, 2.0, 4.0}) {
      CHECK(*Score("audit", With(zeros, item, ok), Who(Sex::kMale)).total == ok);
    }
  }
}

TEST_CASE("audit: items 1 to 8 take every whole number 0 to 4", "[instruments]") {
  const std::vector<double> zeros = Filled("audit", 0);
  for (int item = 1; item <= 8; ++item) {
    for (const double x : {1.0, 3.0}) CHECK(*Score("audit", With(zeros, item, x)).total == x);
    CheckRefused("audit", With(zeros, item, 9), item);  // 9: not an item number here
  }
}

TEST_CASE("dudit: items 10 and 11 refuse 1 and 3", "[instruments]") {
  const std::vector<double> zeros = Filled("dudit", 0);
  for (const int item : {10, 11}) {
    for (const double bad : {1.0, 3.0}) CheckRefused("dudit", With(zeros, item, bad), item);
    for (const double ok : {0.0, 2.0, 4.0}) {
      CHECK(*Score("dudit", With(zeros, item, ok)).total == ok);
    }
  }
  for (int item = 1; item <= 9; ++item) {
    CHECK(*Score("dudit", With(zeros, item, 3)).total == 3);
  }
}

TEST_CASE("ors, cors, srs, csrs: decimals are accepted", "[instruments]") {
  for (const char* id : {"ors", "cors", "srs", "csrs"}) {
    INFO(id);
    const Result r = Score(id, {2.5, 3.75, 0.1, 9.9});
    REQUIRE(r.total);
    CHECK(*r.total == Approx(16.25));
    CheckRefused(id, {2.5, 10.5, 1, 1}, 2);
    CheckRefused(id, {2.5, 1, -0.1, 1}, 3);
  }
}

TEST_CASE("phq9: decimals are refused", "[instruments]") {
  CheckRefused("phq9", With(Filled("phq9", 0), 3, 1.5), 3);
  CheckRefused("phq9", With(Filled("phq9", 0), 9, 0.5), 9);
}

TEST_CASE("whole-number instruments refuse decimals", "[instruments]") {
  for (const char* id : {"soc13", "soc29", "audit", "audit-c", "dudit", "gad7", "core10", "k10"}) {
    const in::Definition& def = Get(id).definition();
    CheckRefused(id, With(Filled(id, def.items[0].min), 2, def.items[0].min + 0.25), 2);
  }
}

TEST_CASE("answers outside an item's scale are refused, naming the item", "[instruments]") {
  CheckRefused("phq9", With(Filled("phq9", 0), 9, 4), 9);
  CheckRefused("phq9", With(Filled("phq9", 0), 1, -1), 1);
  CheckRefused("gad7", With(Filled("gad7", 0), 7, 4), 7);
  CheckRefused("k10", With(Filled("k10", 1), 1, 0), 1);
  CheckRefused("k10", With(Filled("k10", 1), 10, 6), 10);
  CheckRefused("soc13", With(Filled("soc13", 4), 5, 0), 5);
  CheckRefused("soc29", With(Filled("soc29", 4), 29, 8), 29);
  CheckRefused("core10", With(Filled("core10", 0), 6, 5), 6);
  CheckRefused("audit-c", With(Filled("audit-c", 0), 2, 5), 2);
  CheckRefused("phq9", With(Filled("phq9", 0), 4, std::numeric_limits<double>::infinity()), 4);
}

TEST_CASE("a form with the wrong number of answers is refused", "[instruments]") {
  const auto score = Get("phq9").ScoreOne(std::vector<double>(8, 0.0));
  REQUIRE_FALSE(score.ok());
  CHECK(score.status().code() == absl::StatusCode::kInvalidArgument);
}

// ---- Reversed items and subscales -------------------------------------------------------------

TEST_CASE("soc13: reversed items 1,2,3,7,10 score 8 - x", "[instruments]") {
  const std::set<int> reversed = {1, 2, 3, 7, 10};
  const std::vector<double> fours = Filled("soc13", 4);  // total 52: 4 reverses to 4
  CHECK(*Score("soc13", fours).total == 52);
  for (int item = 1; item <= 13; ++item) {
    INFO("item " << item);
    const double expected = reversed.count(item) ? 52 - 4 + (8 - 1) : 52 - 4 + 1;
    CHECK(*Score("soc13", With(fours, item, 1)).total == expected);
  }
}

TEST_CASE("soc29: reversed items 1,4,5,6,7,11,13,14,16,20,23,25,27 score 8 - x", "[instruments]") {
  const std::set<int> reversed = {1, 4, 5, 6, 7, 11, 13, 14, 16, 20, 23, 25, 27};
  const std::vector<double> fours = Filled("soc29", 4);  // total 116
  CHECK(*Score("soc29", fours).total == 116);
  for (int item = 1; item <= 29; ++item) {
    INFO("item " << item);
    const double expected = reversed.count(item) ? 116 - 4 + (8 - 1) : 116 - 4 + 1;
    CHECK(*Score("soc29", With(fours, item, 1)).total == expected);
  }
}

TEST_CASE("core10: reversed items 2 and 3 score 4 - x", "[instruments]") {
  const std::vector<double> twos = Filled("core10", 2);  // total 20
  CHECK(*Score("core10", twos).total == 20);
  for (int item = 1; item <= 10; ++item) {
    INFO("item " << item);
    const double expected = (item == 2 || item == 3) ? 20 - 2 + 4 : 20 - 2 + 0;
    CHECK(*Score("core10", With(twos, item, 0)).total == expected);
  }
  CHECK(*Score("core10", Filled("core10", 0)).total == 8);
  CHECK(*Score("core10", Filled("core10", 4)).total == 32);
}

TEST_CASE("the other instruments reverse no item", "[instruments]") {
  for (const char* id :
       {"ors", "cors", "srs", "csrs", "audit", "audit-c", "dudit", "phq9", "gad7", "k10"}) {
    INFO(id);
    CHECK(Get(id).definition().reverse.empty());
    const double low = Get(id).definition().items[0].min;
    CHECK(*Score(id, Filled(id, low)).total == Get(id).definition().total_min);
  }
}

TEST_CASE(
    "soc13: subscales comprehensibility 2,6,8,9,11 / manageability 3,5,10,13 / "
    "meaningfulness 1,4,7,12, after reversal",
    "[instruments]") {
  // All answers 1: reversed items (1, 2, 3, 7, 10) count 7, the others 1.
  const Result r = Score("soc13", Filled("soc13", 1));
  CHECK(*r.total == 43);
  CHECK(r.subscales.at("comprehensibility") == 7 + 4 * 1);
  CHECK(r.subscales.at("manageability") == 7 + 1 + 7 + 1);
  CHECK(r.subscales.at("meaningfulness") == 7 + 1 + 7 + 1);
  // Only item 12 (meaningfulness) at 7.
  const Result m = Score("soc13", With(Filled("soc13", 1), 12, 7));
  CHECK(m.subscales.at("meaningfulness") == 7 + 1 + 7 + 7);
  CHECK(m.subscales.at("comprehensibility") == 11);
}

TEST_CASE(
    "soc29: subscales comprehensibility (11 items), manageability (10), "
    "meaningfulness (8), after reversal",
    "[instruments]") {
  const Result r = Score("soc29", Filled("soc29", 1));
  CHECK(*r.total == 107);
  CHECK(r.subscales.at("comprehensibility") == 2 * 7 + 9 * 1);  // reversed: 1, 5
  CHECK(r.subscales.at("manageability") == 6 * 7 + 4 * 1);      // 6, 13, 20, 23, 25, 27
  CHECK(r.subscales.at("meaningfulness") == 5 * 7 + 3 * 1);     // 4, 7, 11, 14, 16
  // Every item is in exactly one subscale.
  std::vector<int> all;
  for (const in::Subscale& s : Get("soc29").definition().subscales) {
    all.insert(all.end(), s.items.begin(), s.items.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int> expected(29);
  for (int i = 0; i < 29; ++i) expected[i] = i + 1;
  CHECK(all == expected);
}

TEST_CASE("soc: a missing item gives no total and no score for its subscale", "[instruments]") {
  const Result r = Score("soc13", With(Filled("soc13", 4), 6, kNa));  // 6: comprehensibility
  CHECK_FALSE(r.total);
  CHECK_FALSE(r.subscales.at("comprehensibility"));
  CHECK(r.subscales.at("manageability") == 16);
  CHECK(r.subscales.at("meaningfulness") == 16);
}

// ---- The total: missing answers and prorating -------------------------------------------------

TEST_CASE("core10: one missing item is prorated as 10 x mean", "[instruments]") {
  // Item 9 missing; the nine answered items (2 and 3 reversed) sum to 9: 10 x 9/9 = 10.
  const Result r = Score("core10", {1, 3, 3, 1, 1, 0, 1, 1, kNa, 2});
  REQUIRE(r.total);
  CHECK(*r.total == Approx(10));
  CHECK(r.prorated);
  CHECK(r.answered == 9);
  CHECK(r.missing == 1);
  CHECK(r.band == "low");
  // Nine items summing to 13: 130 / 9 = 14.44, still mild (moderate starts at 15).
  const Result m = Score("core10", {2, 4, 4, 2, 2, 0, 2, 2, kNa, 3});
  CHECK(*m.total == Approx(130.0 / 9));
  CHECK(m.band == "mild");
  // The mean is taken after reversal: item 3 = 0 counts 4; the nine answered sum to 18.
  const Result rev = Score("core10", {2, kNa, 0, 2, 2, 0, 2, 2, 2, 2});
  CHECK(*rev.total == Approx(20));
  CHECK(rev.band == "moderate_severe");
  // A complete form is not prorated.
  CHECK_FALSE(Score("core10", Filled("core10", 1)).prorated);
}

TEST_CASE("core10: two missing items give no total", "[instruments]") {
  const Result r = Score("core10", {2, 4, 4, 2, 2, 0, 2, 1, kNa, kNa});
  CHECK_FALSE(r.total);
  CHECK(r.band.empty());
  CHECK_FALSE(r.prorated);
  CHECK(r.answered == 8);
  CHECK(r.missing == 2);
  CHECK(r.flags.empty());
}

TEST_CASE("all instruments but core10: one missing item gives no total", "[instruments]") {
  for (const in::Instrument* i : Builtins().List()) {
    if (i->id() == "core10") continue;
    INFO(i->id());
    CHECK(i->definition().missing_allowed == 0);
    const double low = i->definition().items[0].min;
    const Result r = Score(*i, With(Filled(i->id(), low), 1, kNa), Who(Sex::kFemale));
    CHECK_FALSE(r.total);
    CHECK(r.band.empty());
    CHECK(r.missing == 1);
  }
}

// ---- Bands: every boundary, both sides --------------------------------------------------------

TEST_CASE("phq9: band none is 0-4, severe runs to 27", "[instruments]") {
  CheckBandEnds("phq9", {}, 0, "none", 27, "severe");
}
TEST_CASE("phq9: band mild starts at 5", "[instruments]") {
  CheckBandEdge("phq9", {}, 5, "none", "mild");
}
TEST_CASE("phq9: band moderate starts at 10", "[instruments]") {
  CheckBandEdge("phq9", {}, 10, "mild", "moderate");
}
TEST_CASE("phq9: band moderately_severe starts at 15", "[instruments]") {
  CheckBandEdge("phq9", {}, 15, "moderate", "moderately_severe");
}
TEST_CASE("phq9: band severe starts at 20", "[instruments]") {
  CheckBandEdge("phq9", {}, 20, "moderately_severe", "severe");
}

TEST_CASE("gad7: band minimal is 0-4, severe runs to 21", "[instruments]") {
  CheckBandEnds("gad7", {}, 0, "minimal", 21, "severe");
}
TEST_CASE("gad7: band mild starts at 5", "[instruments]") {
  CheckBandEdge("gad7", {}, 5, "minimal", "mild");
}
TEST_CASE("gad7: band moderate starts at 10", "[instruments]") {
  CheckBandEdge("gad7", {}, 10, "mild", "moderate");
}
TEST_CASE("gad7: band severe starts at 15", "[instruments]") {
  CheckBandEdge("gad7", {}, 15, "moderate", "severe");
}

TEST_CASE("audit: low risk ends below 6 for women and below 8 for men", "[instruments]") {
  CheckBandEdge("audit", Sex::kFemale, 6, "low_risk", "hazardous");
  CheckBandEdge("audit", Sex::kMale, 8, "low_risk", "hazardous");
  CHECK(BandAt("audit", 7, Sex::kFemale) == "hazardous");
  CHECK(BandAt("audit", 7, Sex::kMale) == "low_risk");
  CheckBandEnds("audit", Sex::kFemale, 0, "low_risk", 40, "probable_dependence");
  CheckBandEnds("audit", Sex::kMale, 0, "low_risk", 40, "probable_dependence");
}
TEST_CASE("audit: hazardous runs to 15, harmful is 16-19, for women and men", "[instruments]") {
  for (const Sex sex : {Sex::kFemale, Sex::kMale}) {
    CheckBandEdge("audit", sex, 16, "hazardous", "harmful");
  }
}
TEST_CASE("audit: probable dependence starts at 20, for women and men", "[instruments]") {
  for (const Sex sex : {Sex::kFemale, Sex::kMale}) {
    CheckBandEdge("audit", sex, 20, "harmful", "probable_dependence");
  }
}
TEST_CASE("audit, audit-c, dudit: no band without the respondent's sex", "[instruments]") {
  for (const char* id : {"audit", "audit-c", "dudit"}) {
    INFO(id);
    const Result r = Score(id, FormWithTotal(id, 10));
    CHECK(*r.total == 10);
    CHECK(r.band.empty());
  }
}

TEST_CASE("audit-c: risky from 5 for women and from 6 for men", "[instruments]") {
  CheckBandEdge("audit-c", Sex::kFemale, 5, "low_risk", "risky");
  CheckBandEdge("audit-c", Sex::kMale, 6, "low_risk", "risky");
  CHECK(BandAt("audit-c", 5, Sex::kMale) == "low_risk");
  CheckBandEnds("audit-c", Sex::kFemale, 0, "low_risk", 12, "risky");
  CheckBandEnds("audit-c", Sex::kMale, 0, "low_risk", 12, "risky");
}

TEST_CASE("dudit: probable problem from 2 for women and from 6 for men", "[instruments]") {
  CheckBandEdge("dudit", Sex::kFemale, 2, "no_problem", "probable_problem");
  CheckBandEdge("dudit", Sex::kMale, 6, "no_problem", "probable_problem");
  CHECK(BandAt("dudit", 5, Sex::kFemale) == "probable_problem");
  CHECK(BandAt("dudit", 5, Sex::kMale) == "no_problem");
}
TEST_CASE("dudit: probable dependence from 25, for women and men", "[instruments]") {
  for (const Sex sex : {Sex::kFemale, Sex::kMale}) {
    CheckBandEdge("dudit", sex, 25, "probable_problem", "probable_dependence");
    CheckBandEnds("dudit", sex, 0, "no_problem", 44, "probable_dependence");
  }
}

TEST_CASE("ors: clinical below 25, non-clinical from 25", "[instruments]") {
  CheckBandEdge("ors", {}, 25, "clinical", "non_clinical");
  CHECK(Score("ors", {6, 6, 6, 6.9}).band == "clinical");  // 24.9 is not rounded up
  CheckBandEnds("ors", {}, 0, "clinical", 40, "non_clinical");
}
TEST_CASE("cors: clinical below 32, non-clinical from 32", "[instruments]") {
  CheckBandEdge("cors", {}, 32, "clinical", "non_clinical");
  CHECK(Score("cors", {8, 8, 8, 7.9}).band == "clinical");
  CheckBandEnds("cors", {}, 0, "clinical", 40, "non_clinical");
}
TEST_CASE("ors, cors: the band cut-off is fixed, not a setting; cors has one setting",
          "[instruments]") {
  for (const char* id : {"ors", "cors"}) {
    for (const in::Setting& s : Get(id).definition().settings) CHECK(s.name != "clinical_cutoff");
  }
  // The CORS's one setting is the unconfirmed reliable change of its change rule.
  REQUIRE(Get("cors").definition().settings.size() == 1);
  CHECK(Get("cors").definition().settings[0].name == "reliable_change");
}

TEST_CASE("core10: band low is 0-10, severe from 25 to 40", "[instruments]") {
  CheckBandEnds("core10", {}, 0, "low", 40, "severe");
}
TEST_CASE("core10: band mild starts at 11", "[instruments]") {
  CheckBandEdge("core10", {}, 11, "low", "mild");
}
TEST_CASE("core10: band moderate starts at 15", "[instruments]") {
  CheckBandEdge("core10", {}, 15, "mild", "moderate");
}
TEST_CASE("core10: band moderate_severe starts at 20", "[instruments]") {
  CheckBandEdge("core10", {}, 20, "moderate", "moderate_severe");
}
TEST_CASE("core10: band severe starts at 25", "[instruments]") {
  CheckBandEdge("core10", {}, 25, "moderate_severe", "severe");
}

TEST_CASE("k10: band low is 10-15, very_high runs to 50", "[instruments]") {
  CheckBandEnds("k10", {}, 10, "low", 50, "very_high");
}
TEST_CASE("k10: band moderate starts at 16", "[instruments]") {
  CheckBandEdge("k10", {}, 16, "low", "moderate");
}
TEST_CASE("k10: band high starts at 22", "[instruments]") {
  CheckBandEdge("k10", {}, 22, "moderate", "high");
}
TEST_CASE("k10: band very_high starts at 30", "[instruments]") {
  CheckBandEdge("k10", {}, 30, "high", "very_high");
}

TEST_CASE("soc13, soc29, srs, csrs: no bands", "[instruments]") {
  for (const char* id : {"soc13", "soc29", "srs", "csrs"}) {
    INFO(id);
    CHECK(Get(id).definition().band_sets.empty());
    CHECK(Score(id, Filled(id, Get(id).definition().items[0].max)).band.empty());
  }
}

// ---- Flags ------------------------------------------------------------------------------------

TEST_CASE("phq9: item 9 >= 1 raises suicide_risk_followup (critical)", "[instruments]") {
  const std::vector<double> zeros = Filled("phq9", 0);
  CHECK(Score("phq9", zeros).flags.empty());
  for (const double x : {1.0, 2.0, 3.0}) {
    const Result r = Score("phq9", With(zeros, 9, x));
    CHECK(r.flags == std::vector<std::string>{"suicide_risk_followup"});
    CHECK(r.band == "none");  // whatever the total
  }
  const in::Flag f = FlagOf("phq9", With(zeros, 9, 1), "suicide_risk_followup");
  CHECK(f.severity == in::Severity::kCritical);
  CHECK(f.message->en.find("never the only safety check") != std::string::npos);
  CHECK(f.message->sv.find("aldrig den enda säkerhetskontrollen") != std::string::npos);
}

TEST_CASE("phq9: item 9 at 0 raises no flag, even with a severe total", "[instruments]") {
  const Result r = Score("phq9", {3, 3, 3, 3, 3, 3, 3, 3, 0});
  CHECK(*r.total == 24);
  CHECK(r.band == "severe");
  CHECK(r.flags.empty());
}

TEST_CASE("phq9: a missing item 9 raises suicide_item_unanswered (warning)", "[instruments]") {
  const std::vector<double> answers = With(Filled("phq9", 1), 9, kNa);
  const Result r = Score("phq9", answers);
  CHECK_FALSE(r.total);
  CHECK(r.flags == std::vector<std::string>{"suicide_item_unanswered"});
  CHECK(FlagOf("phq9", answers, "suicide_item_unanswered").severity == in::Severity::kWarning);
  // Item 9 answered while another item is missing: no total, but the risk flag stands.
  const Result other = Score("phq9", {kNa, 0, 0, 0, 0, 0, 0, 0, 2});
  CHECK_FALSE(other.total);
  CHECK(other.flags == std::vector<std::string>{"suicide_risk_followup"});
}

TEST_CASE("core10: item 6 >= 1 raises suicide_risk_followup (critical)", "[instruments]") {
  const std::vector<double> low = {0, 4, 4, 0, 0, 0, 0, 0, 0, 0};  // total 0
  CHECK(Score("core10", low).flags.empty());
  for (const double x : {1.0, 4.0}) {
    const Result r = Score("core10", With(low, 6, x));
    CHECK(r.flags == std::vector<std::string>{"suicide_risk_followup"});
    CHECK(r.band == "low");
  }
  const in::Flag f = FlagOf("core10", With(low, 6, 1), "suicide_risk_followup");
  CHECK(f.severity == in::Severity::kCritical);
  CHECK(f.message->en.find("never the only safety check") != std::string::npos);
  // Other items at 4 do not raise it.
  CHECK(Score("core10", With(With(low, 8, 4), 9, 4)).flags.empty());
}

TEST_CASE("core10: a missing item 6 raises suicide_item_unanswered and is still prorated",
          "[instruments]") {
  const std::vector<double> answers = {1, 3, 3, 1, 1, kNa, 1, 1, 1, 1};
  const Result r = Score("core10", answers);
  REQUIRE(r.total);
  CHECK(*r.total == Approx(10));
  CHECK(r.prorated);
  CHECK(r.flags == std::vector<std::string>{"suicide_item_unanswered"});
  CHECK(FlagOf("core10", answers, "suicide_item_unanswered").severity == in::Severity::kWarning);
  const Result two = Score("core10", {1, 3, 3, 1, 1, kNa, 1, 1, 1, kNa});
  CHECK_FALSE(two.total);
  CHECK(two.flags == std::vector<std::string>{"suicide_item_unanswered"});
}

TEST_CASE("audit: any of items 4-6 >= 2 raises possible_dependence (warning)", "[instruments]") {
  const std::vector<double> zeros = Filled("audit", 0);
  for (const int item : {4, 5, 6}) {
    INFO("item " << item);
    CHECK(Score("audit", With(zeros, item, 1), Who(Sex::kMale)).flags.empty());
    CHECK(Score("audit", With(zeros, item, 2), Who(Sex::kMale)).flags ==
          std::vector<std::string>{"possible_dependence"});
  }
  for (const int item : {1, 2, 3, 7, 8}) {
    CHECK(Score("audit", With(zeros, item, 4), Who(Sex::kMale)).flags.empty());
  }
}

TEST_CASE("audit: item 9 or 10 equal to 4 raises alcohol_related_harm (warning)", "[instruments]") {
  const std::vector<double> zeros = Filled("audit", 0);
  for (const int item : {9, 10}) {
    INFO("item " << item);
    CHECK(Score("audit", With(zeros, item, 2), Who(Sex::kFemale)).flags.empty());
    const Result r = Score("audit", With(zeros, item, 4), Who(Sex::kFemale));
    CHECK(r.flags == std::vector<std::string>{"alcohol_related_harm"});
    CHECK(r.band == "low_risk");
  }
}

TEST_CASE("audit, audit-c, dudit: band_needs_sex (info) when the sex is not given",
          "[instruments]") {
  for (const char* id : {"audit", "audit-c", "dudit"}) {
    INFO(id);
    const std::vector<double> zeros = Filled(id, 0);
    CHECK(Score(id, zeros).flags == std::vector<std::string>{"band_needs_sex"});
    CHECK(Score(id, zeros, Who(Sex::kFemale)).flags.empty());
    CHECK(Score(id, zeros, Who(Sex::kMale)).flags.empty());
    CHECK(FlagOf(id, zeros, "band_needs_sex").severity == in::Severity::kInfo);
    // It does not depend on the total.
    CHECK(Score(id, With(zeros, 1, kNa)).flags == std::vector<std::string>{"band_needs_sex"});
  }
}

TEST_CASE("srs: alliance_concern when total below 36 / any item below 9 / a drop of 1",
          "[instruments]") {
  SECTION("no concern: total 36, every item 9, no previous session") {
    CHECK(Score("srs", {9, 9, 9, 9}).flags.empty());
    CHECK(Score("srs", {10, 10, 10, 10}, Who({}, 40)).flags.empty());
  }
  SECTION("total below the cut-off") {
    CHECK(Score("srs", {9, 9, 9, 8.9}).Has("alliance_concern"));
    // With all items at 9 or more the total is at least 36: the total rule alone is seen when
    // the cut-off is raised (some use 36 or less: set 37).
    const auto srs37 = in::Instrument::Parse(Get("srs").source_json(), {{"alliance_cutoff", 37}});
    REQUIRE(srs37.ok());
    CHECK(Score(**srs37, {9, 9, 9, 9}).Has("alliance_concern"));
    CHECK(Score(**srs37, {9, 9, 9.5, 9.5}).flags.empty());
  }
  SECTION("any item below 9") {
    for (int item = 1; item <= 4; ++item) {
      CHECK(Score("srs", With({10, 10, 10, 10}, item, 8.99)).Has("alliance_concern"));
    }
    CHECK(Score("srs", {10, 10, 10, 9}).flags.empty());
  }
  SECTION("a drop of at least 1 since the last session") {
    CHECK(Score("srs", {10, 10, 10, 9}, Who({}, 40)).Has("alliance_concern"));
    CHECK(Score("srs", {10, 10, 10, 9}, Who({}, 39.5)).flags.empty());
    CHECK(Score("srs", {10, 10, 10, 9}, Who({}, 38)).flags.empty());
  }
  CHECK(FlagOf("srs", {0, 0, 0, 0}, "alliance_concern").severity == in::Severity::kWarning);
}

TEST_CASE("srs: alliance_cutoff is an unconfirmed setting, default 36", "[instruments]") {
  const auto& settings = Get("srs").definition().settings;
  REQUIRE(settings.size() == 1);
  CHECK(settings[0].name == "alliance_cutoff");
  CHECK(settings[0].default_value == 36);
  CHECK(settings[0].unconfirmed);
  CHECK(settings[0].note.find("37") != std::string::npos);
  auto registry = in::Registry::WithBuiltins();
  CHECK_FALSE(registry->Configure("srs", {{"alliance_cutoff", 41}}).ok());
  const auto configured = registry->Configure("srs", {{"alliance_cutoff", 37}});
  REQUIRE(configured.ok());
  CHECK(Score(**configured, {9, 9, 9, 9}).Has("alliance_concern"));
}

TEST_CASE("ors: reliable_improvement when the total rises by 5 or more (info)", "[instruments]") {
  CHECK(Score("ors", {10, 10, 10, 10}, Who({}, 35)).flags ==
        std::vector<std::string>{"reliable_improvement"});
  CHECK(Score("ors", {10, 10, 10, 9.9}, Who({}, 35)).flags.empty());
  CHECK(Score("ors", {10, 10, 10, 10}).flags.empty());  // no previous total, no change
  CHECK(FlagOf("ors", {5, 5, 5, 5}, "reliable_improvement", Who({}, 0)).severity ==
        in::Severity::kInfo);
}

TEST_CASE("ors: reliable_deterioration when the total falls by 5 or more (warning)",
          "[instruments]") {
  CHECK(Score("ors", {5, 5, 5, 5}, Who({}, 25)).flags ==
        std::vector<std::string>{"reliable_deterioration"});
  CHECK(Score("ors", {5, 5, 5, 5.5}, Who({}, 25)).flags.empty());
  CHECK(FlagOf("ors", {0, 0, 0, 0}, "reliable_deterioration", Who({}, 40)).severity ==
        in::Severity::kWarning);
  CHECK(Score("ors", {5, kNa, 5, 5}, Who({}, 40)).flags.empty());  // no total, no change
}

TEST_CASE("ors: the reliable change of 5 is an unconfirmed setting", "[instruments]") {
  std::map<std::string, in::Setting> settings;
  for (const in::Setting& s : Get("ors").definition().settings) settings[s.name] = s;
  REQUIRE(settings.count("reliable_change"));
  CHECK(settings["reliable_change"].default_value == 5);
  CHECK(settings["reliable_change"].unconfirmed);
  // One setting for both directions (the fall negates it), and the adolescent cut-off of the
  // change rule.
  CHECK(settings.size() == 2);
  CHECK(settings.count("adolescent_cutoff"));
  const auto ors6 = in::Instrument::Parse(Get("ors").source_json(), {{"reliable_change", 6}});
  REQUIRE(ors6.ok());
  CHECK(Score(**ors6, {10, 10, 10, 10}, Who({}, 35)).flags.empty());
  CHECK(Score(**ors6, {10, 10, 10, 10}, Who({}, 34)).Has("reliable_improvement"));
  CHECK(Score(**ors6, {5, 5, 5, 5}, Who({}, 25)).flags.empty());
  CHECK(Score(**ors6, {5, 5, 5, 5}, Who({}, 26)).Has("reliable_deterioration"));
}

TEST_CASE("respondent ages: cors and csrs 6-12, ors and srs from 13", "[instruments]") {
  CHECK(Get("cors").definition().respondent_age_min == 6);
  CHECK(Get("cors").definition().respondent_age_max == 12);
  CHECK(Get("csrs").definition().respondent_age_min == 6);
  CHECK(Get("csrs").definition().respondent_age_max == 12);
  CHECK(Get("ors").definition().respondent_age_min == 13);
  CHECK_FALSE(Get("ors").definition().respondent_age_max);
  CHECK(Get("srs").definition().respondent_age_min == 13);
}

TEST_CASE("csrs: no bands and no flags (no published cut-off)", "[instruments]") {
  CHECK(Get("csrs").definition().flags.empty());
  const Result r = Score("csrs", {0, 0, 0, 0}, Who({}, 40));
  CHECK(*r.total == 0);
  CHECK(r.band.empty());
  CHECK(r.flags.empty());
}

// ---- Change between an intake total and a later total (Jacobson & Truax 1991) -------------
//
// Expected categories are worked by hand from each instrument's published rule (sources in its
// "change" section and docs/instruments.md): reliably improved when the improvement is at
// least the reliable change, deteriorated when it is at most minus that, recovered when also
// clinical at intake and not clinical at the later total.

namespace {

in::ChangeAssessment Change(std::string_view id, double intake, double later,
                            std::optional<int> age = std::nullopt) {
  in::Respondent who;
  who.age = age;
  const absl::StatusOr<in::ChangeAssessment> a = Get(id).AssessChange(intake, later, who);
  INFO(id << " " << intake << " -> " << later << ": " << a.status().ToString());
  REQUIRE(a.ok());
  return *a;
}

std::string Category(std::string_view id, double intake, double later,
                     std::optional<int> age = std::nullopt) {
  return std::string(in::ChangeCategoryName(Change(id, intake, later, age).category));
}

}  // namespace

TEST_CASE("change categories are named as the API says", "[instruments][change]") {
  CHECK(in::ChangeCategoryName(in::ChangeCategory::kRecovered) == "recovered");
  CHECK(in::ChangeCategoryName(in::ChangeCategory::kReliablyImproved) == "reliably_improved");
  CHECK(in::ChangeCategoryName(in::ChangeCategory::kNoReliableChange) == "no_reliable_change");
  CHECK(in::ChangeCategoryName(in::ChangeCategory::kReliablyDeteriorated) ==
        "reliably_deteriorated");
}

TEST_CASE("which built-ins have a change rule", "[instruments][change]") {
  // Published (or held as unconfirmed settings): ORS, CORS, PHQ-9, GAD-7, CORE-10. None for the
  // alliance measures (SRS, CSRS) nor where no reliable change value is published.
  for (const char* id : {"ors", "cors", "phq9", "gad7", "core10"}) {
    INFO(id);
    CHECK(Get(id).definition().change.has_value());
  }
  for (const char* id : {"srs", "csrs", "soc13", "soc29", "audit", "audit-c", "dudit", "k10"}) {
    INFO(id);
    CHECK_FALSE(Get(id).definition().change.has_value());
  }
}

TEST_CASE("phq9 change: reliable at 6 points, caseness from 10 (NHS Talking Therapies)",
          "[instruments][change]") {
  const in::ChangeAssessment a = Change("phq9", 15, 8);
  CHECK(a.change == -7);
  CHECK(a.improvement == 7);  // lower is better
  CHECK(a.category == in::ChangeCategory::kRecovered);
  CHECK(a.cutoff == 10);
  CHECK(a.clinical_at_intake);
  CHECK_FALSE(a.clinical_now);
  CHECK(std::isnan(a.rci));  // a published reliable change, no reliability and SD
  CHECK(Category("phq9", 15, 10) == "no_reliable_change");  // 5 < 6
  CHECK(Category("phq9", 15, 9) == "recovered");            // exactly 6, and 9 is below 10
  CHECK(Category("phq9", 16, 10) == "reliably_improved");   // 10 is still a case
  CHECK(Category("phq9", 9, 3) == "reliably_improved");     // 9 was no case at intake
  CHECK(Category("phq9", 12, 18) == "reliably_deteriorated");
  CHECK(Category("phq9", 12, 17) == "no_reliable_change");
  CHECK(Category("phq9", 0, 27) == "reliably_deteriorated");
  CHECK(Category("phq9", 10, 10) == "no_reliable_change");
  CHECK(Change("phq9", 10, 9).clinical_at_intake);  // exactly 10 is a case (>= 10, "> 9")
  CHECK_FALSE(Change("phq9", 10, 9).clinical_now);
  CHECK(Change("phq9", 15, 8, 70).cutoff == 10);  // the one cut-off holds at every age
}

TEST_CASE("gad7 change: reliable at 4 points, caseness from 8 (NHS Talking Therapies)",
          "[instruments][change]") {
  CHECK(Category("gad7", 10, 6) == "recovered");
  CHECK(Category("gad7", 10, 7) == "no_reliable_change");  // 3 < 4
  CHECK(Category("gad7", 8, 4) == "recovered");            // exactly 8 is a case
  CHECK(Category("gad7", 12, 8) == "reliably_improved");   // 8 is still a case
  CHECK(Category("gad7", 7, 3) == "reliably_improved");    // 7 was no case
  CHECK(Category("gad7", 5, 9) == "reliably_deteriorated");
  CHECK(Category("gad7", 5, 8) == "no_reliable_change");
  CHECK(Change("gad7", 10, 6).cutoff == 8);
}

TEST_CASE("core10 change: reliable at 6 points, clinical from 11 (Barkham et al. 2013)",
          "[instruments][change]") {
  CHECK(Category("core10", 16, 10) == "recovered");
  CHECK(Category("core10", 15, 10) == "no_reliable_change");  // 5 < 6
  CHECK(Category("core10", 17, 11) == "reliably_improved");   // 11 is clinical
  CHECK(Category("core10", 11, 5) == "recovered");            // exactly 11 is clinical
  CHECK(Category("core10", 10, 16) == "reliably_deteriorated");
  CHECK(Category("core10", 14.4, 8.4) == "recovered");  // prorated totals: 6.0 after rounding
  CHECK(Change("core10", 14.4, 8.4).change == -6);
}

TEST_CASE("ors change: higher is better, reliable at 5, cut-off 25 for adults",
          "[instruments][change]") {
  const in::ChangeAssessment a = Change("ors", 18, 26, 30);
  CHECK(a.change == 8);
  CHECK(a.improvement == 8);
  CHECK(a.category == in::ChangeCategory::kRecovered);
  CHECK(a.cutoff == 25);
  CHECK(a.clinical_at_intake);  // below 25
  CHECK_FALSE(a.clinical_now);
  CHECK(Category("ors", 22, 26, 30) == "no_reliable_change");  // 4 < 5
  CHECK(Category("ors", 20, 25, 30) == "recovered");           // exactly 5; 25 is non-clinical
  CHECK(Category("ors", 19, 24, 30) == "reliably_improved");   // 24.x is clinical
  CHECK(Category("ors", 25, 30, 30) == "reliably_improved");   // 25 was not clinical
  CHECK(Category("ors", 30, 25, 30) == "reliably_deteriorated");
  CHECK(Category("ors", 30, 25.1, 30) == "no_reliable_change");
  // Decimal totals: 23.3 - 18.3 is 5 in decimal, not 4.999... in binary.
  CHECK(Category("ors", 18.3, 23.3, 30) == "reliably_improved");
  CHECK(Category("ors", 20.2, 25.2, 30) == "recovered");
  CHECK(Category("ors", 24.9, 19.9, 30) == "reliably_deteriorated");
}

TEST_CASE("ors change: the cut-off follows the respondent's age", "[instruments][change]") {
  // 13-17: the adolescent cut-off 28 (an unconfirmed setting); 18 and over, and an unknown
  // age: the adult 25; under 13 (the ORS is made for 13 and older): none.
  CHECK(Change("ors", 20, 27, 15).cutoff == 28);
  CHECK(Category("ors", 20, 27, 15) == "reliably_improved");  // 27 < 28 is still clinical
  CHECK(Category("ors", 20, 28, 17) == "recovered");          // 28 is not
  CHECK(Change("ors", 20, 27, 13).cutoff == 28);
  CHECK(Change("ors", 20, 27, 18).cutoff == 25);
  CHECK(Category("ors", 20, 27, 18) == "recovered");
  CHECK(Change("ors", 20, 27).cutoff == 25);  // age not given
  CHECK(Category("ors", 20, 27) == "recovered");
  const in::ChangeAssessment young = Change("ors", 20, 27, 10);
  CHECK_FALSE(young.cutoff);
  CHECK_FALSE(young.clinical_at_intake);
  CHECK(young.category == in::ChangeCategory::kReliablyImproved);  // never recovered
  // The settings move the rule: a host that confirms 6 points and 27 for adolescents.
  const auto ors = in::Instrument::Parse(Get("ors").source_json(),
                                         {{"reliable_change", 6}, {"adolescent_cutoff", 27}});
  REQUIRE(ors.ok());
  in::Respondent teen;
  teen.age = 15;
  CHECK((*ors)->AssessChange(20, 25, teen)->category == in::ChangeCategory::kNoReliableChange);
  CHECK((*ors)->AssessChange(20, 27, teen)->category == in::ChangeCategory::kRecovered);
  CHECK((*ors)->definition().change->setting == "reliable_change");
  CHECK((*ors)->definition().change->cutoffs[0].setting == "adolescent_cutoff");
}

TEST_CASE("cors change: cut-off 32, reliable change 6 (unconfirmed)", "[instruments][change]") {
  CHECK(Category("cors", 26, 32, 9) == "recovered");  // 32 is non-clinical
  CHECK(Category("cors", 25, 31, 9) == "reliably_improved");
  CHECK(Category("cors", 30, 35, 9) == "no_reliable_change");  // 5 < 6
  CHECK(Category("cors", 36, 30, 9) == "reliably_deteriorated");
  CHECK(Change("cors", 26, 32).cutoff == 32);  // one cut-off, at every age
  const in::ChangeRule& rule = *Get("cors").definition().change;
  CHECK(rule.better == in::Better::kHigher);
  CHECK(rule.setting == "reliable_change");
  CHECK(Get("cors").definition().settings[0].unconfirmed);
}

TEST_CASE("srs, csrs: alliance measures have no change rule (FailedPrecondition)",
          "[instruments][change]") {
  for (const char* id : {"srs", "csrs", "k10"}) {
    const auto a = Get(id).AssessChange(30, 36);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == absl::StatusCode::kFailedPrecondition);
  }
}

TEST_CASE("change: totals that are not finite or out of range are refused, naming the argument",
          "[instruments][change]") {
  const in::Instrument& phq9 = Get("phq9");
  const auto message = [&](double intake, double later) {
    const auto a = phq9.AssessChange(intake, later);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(a.status().message());
  };
  CHECK_THAT(message(std::nan(""), 5), Catch::Contains("intake_total"));
  CHECK_THAT(message(5, std::numeric_limits<double>::infinity()), Catch::Contains("later_total"));
  CHECK_THAT(message(-1, 5), Catch::Contains("intake_total"));
  const std::string high = message(5, 28);  // PHQ-9 totals run 0-27
  CHECK_THAT(high, Catch::Contains("later_total"));
  CHECK(high.find("28") == std::string::npos);  // never the value
  in::Respondent old;
  old.age = 151;
  CHECK(phq9.AssessChange(15, 8, old).status().code() == absl::StatusCode::kInvalidArgument);
  // The ends of the range are totals.
  CHECK(phq9.AssessChange(0, 27).ok());
}

// ---- Golden vectors ---------------------------------------------------------------------------

namespace {

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out(1);
  for (const char c : text) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("golden vectors (tests/data/instruments-golden.tsv)", "[instruments]") {
  std::ifstream in_file(VARSAM_TEST_DATA_DIR "/instruments-golden.tsv");
  REQUIRE(in_file.good());
  std::map<std::string, int> per_instrument;
  int line_number = 0;
  for (std::string line; std::getline(in_file, line);) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    INFO("instruments-golden.tsv line " << line_number << ": " << line);
    const std::vector<std::string> f = Split(line, '\t');
    REQUIRE(f.size() == 8);
    const in::Instrument& instrument = Get(f[0]);
    std::vector<double> answers;
    for (const std::string& a : Split(f[1], ',')) {
      answers.push_back(a.empty() ? kNa : std::strtod(a.c_str(), nullptr));
    }
    in::Respondent who;
    if (f[2] == "female") who.sex = Sex::kFemale;
    if (f[2] == "male") who.sex = Sex::kMale;
    if (f[3] != "-") who.age = std::atoi(f[3].c_str());
    if (f[4] != "-") who.previous_total = std::strtod(f[4].c_str(), nullptr);

    const Result r = Score(instrument, answers, who);
    if (f[5] == "null") {
      CHECK_FALSE(r.total);
    } else {
      REQUIRE(r.total);
      CHECK(*r.total == Approx(std::strtod(f[5].c_str(), nullptr)).margin(1e-9));
    }
    CHECK(r.band == (f[6] == "null" ? "" : f[6]));
    std::string flags;
    for (const std::string& code : r.flags) flags += (flags.empty() ? "" : " ") + code;
    CHECK(flags == (f[7] == "-" ? "" : f[7]));
    ++per_instrument[f[0]];
  }
  CHECK(per_instrument.size() == 13);
  int total = 0;
  for (const auto& [id, count] : per_instrument) {
    INFO(id);
    CHECK(count >= 3);
    total += count;
  }
  CHECK(total >= 50);
}
