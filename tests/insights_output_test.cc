// Tests of the insight table's outputs (varsam/insights.h, "Protecting and publishing";
// docs/insights.md, "Outputs"): TableJson, TableCsv, TableHtml and the enumerations' names. The
// tables are built by hand, as Aggregate and Protect would leave them: every combination of
// levels, kMargin last on each dimension, the first dimension outermost.

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "catch2/catch.hpp"
#include "nlohmann/json.hpp"
#include "varsam/insights.h"

namespace {

using varsam::insights::Cell;
using varsam::insights::CellStatus;
using varsam::insights::Dimension;
using varsam::insights::kMargin;
using varsam::insights::MeasureKind;
using varsam::insights::ProtectionReason;
using varsam::insights::Quantity;
using varsam::insights::Table;

// A protected cell's raw measure and key, chosen so that they cannot appear by chance.
constexpr double kSecretCount = 3;
constexpr double kSecretMean = 13.5791;
constexpr std::uint64_t kSecretKey = 0x9E3779B97F4A7C15ull;

// What a cell is to be, by its position: a published value, zero, or protected for a reason.
struct Spec {
  CellStatus status = CellStatus::kPublished;
  double value = 0;
  ProtectionReason reason = ProtectionReason::kNone;
};

// A table over `levels` (one list per dimension) with margins when `margins`; `spec` gives each
// cell by its levels, cells not in it are published with `fallback(levels)`.
Table MakeTable(MeasureKind kind, std::vector<Dimension> dims,
                std::vector<std::vector<std::string>> levels, bool margins,
                const std::map<std::vector<std::int32_t>, Spec>& spec) {
  Table table;
  table.query.measure.kind = kind;
  if (kind == MeasureKind::kMean) {
    table.query.measure.of = Quantity::kChange;
    table.query.measure.instrument = "ors";
  }
  table.query.dimensions = std::move(dims);
  table.query.margins = margins;
  table.levels = std::move(levels);
  table.methods = {"threshold 5", "secondary suppression (linear programming)",
                   "cell key D=2 V=1 js=1"};
  std::vector<std::int32_t> at(table.levels.size(), 0);
  const auto next = [&](std::size_t d) {  // the level after at[d], kMargin after the last
    if (at[d] == kMargin) return false;
    if (at[d] + 1 < static_cast<std::int32_t>(table.levels[d].size())) {
      ++at[d];
    } else if (margins) {
      at[d] = kMargin;
    } else {
      return false;
    }
    return true;
  };
  while (true) {
    Cell cell;
    cell.levels = at;
    cell.episodes = 40;
    cell.people = 37;
    cell.key_sum = 12345;
    const auto it = spec.find(at);
    const Spec s = it != spec.end() ? it->second : Spec{CellStatus::kPublished, 10, {}};
    cell.status = s.status;
    cell.reason = s.reason;
    cell.raw = s.value;
    cell.value = s.value;
    if (s.status == CellStatus::kZero) {
      cell.episodes = cell.people = 0;
      cell.raw = cell.value = 0;
    }
    if (s.status == CellStatus::kProtected) {
      cell.raw = kind == MeasureKind::kMean ? kSecretMean : kSecretCount;
      cell.value = std::nan("");
      cell.episodes = 3;
      cell.people = 3;
      cell.key_sum = kSecretKey;
      cell.largest = {kSecretMean, kSecretMean};
    }
    table.cells.push_back(cell);
    std::size_t d = at.size();
    while (d > 0) {
      if (next(d - 1)) break;
      at[d - 1] = 0;
      --d;
    }
    if (d == 0) break;
  }
  return table;
}

// intervention (3) x age_band (2) with margins: episodes, one cell below the threshold and its
// complement, a zero and a cell-key-perturbed count (the others as Protect leaves them).
Table CountTable() {
  std::map<std::vector<std::int32_t>, Spec> spec = {
      {{0, 0}, {CellStatus::kPublished, 12, {}}},
      {{0, 1}, {CellStatus::kPublished, 30, {}}},
      {{0, kMargin}, {CellStatus::kPublished, 42, {}}},
      {{1, 0}, {CellStatus::kProtected, 0, ProtectionReason::kThreshold}},
      {{1, 1}, {CellStatus::kProtected, 0, ProtectionReason::kSecondary}},
      {{1, kMargin}, {CellStatus::kPublished, 11, {}}},
      {{2, 0}, {CellStatus::kZero, 0, {}}},
      {{2, 1}, {CellStatus::kPublished, 21, {}}},  // 20 perturbed by the cell key
      {{2, kMargin}, {CellStatus::kPublished, 21, {}}},
      {{kMargin, 0}, {CellStatus::kPublished, 15, {}}},
      {{kMargin, 1}, {CellStatus::kPublished, 59, {}}},
      {{kMargin, kMargin}, {CellStatus::kPublished, 74, {}}},
  };
  Table t = MakeTable(MeasureKind::kEpisodes, {Dimension::kIntervention, Dimension::kAgeBand},
                      {{"familjebehandling", "stodsamtal", "tolvstegsprogram"}, {"0-17", "18+"}},
                      true, spec);
  t.cells[3].raw = 20;  // (2, 1) before the cell key
  return t;
}

// A mean of the change in ORS by intervention, no margins: one cell protected with no value.
Table MeanTable() {
  std::map<std::vector<std::int32_t>, Spec> spec = {
      {{0}, {CellStatus::kPublished, 2.34567, {}}},
      {{1}, {CellStatus::kPublished, -1.5, {}}},
      {{2}, {CellStatus::kProtected, 0, ProtectionReason::kDominance}},
      {{3}, {CellStatus::kProtected, 0, ProtectionReason::kNoValue}},
  };
  return MakeTable(MeasureKind::kMean, {Dimension::kIntervention}, {{"a", "b", "c", "d"}}, false,
                   spec);
}

std::vector<std::string> Lines(const std::string& text, std::string_view end) {
  std::vector<std::string> lines;
  std::size_t from = 0;
  while (from < text.size()) {
    const std::size_t at = text.find(end, from);
    if (at == std::string::npos) {
      lines.push_back(text.substr(from));
      break;
    }
    lines.push_back(text.substr(from, at - from));
    from = at + end.size();
  }
  return lines;
}

// Every key of every object in `value`, recursively.
void Keys(const nlohmann::json& value, std::set<std::string>& keys) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) {
      keys.insert(k);
      Keys(v, keys);
    }
  } else if (value.is_array()) {
    for (const auto& v : value) Keys(v, keys);
  }
}

}  // namespace

// ---- The names --------------------------------------------------------------------------------

TEST_CASE("insights names: every dimension's name parses back to it, unknown names are refused",
          "[insights]") {
  std::set<std::string_view> seen;
  for (int i = 0; i < varsam::insights::kDimensionCount; ++i) {
    const auto d = static_cast<Dimension>(i);
    const std::string_view name = varsam::insights::DimensionName(d);
    CHECK_FALSE(name.empty());
    CHECK(seen.insert(name).second);
    const std::optional<Dimension> back = varsam::insights::ParseDimension(name);
    REQUIRE(back.has_value());
    CHECK(*back == d);
  }
  // The names the header documents, in the enumeration's order.
  CHECK(std::vector<std::string_view>(seen.begin(), seen.end()).size() == 9);
  CHECK(varsam::insights::DimensionName(Dimension::kAgeBand) == "age_band");
  CHECK(varsam::insights::DimensionName(Dimension::kBand) == "band");
  for (const std::string_view bad :
       {"", "Age_band", "age band", "age_band ", "kAgeBand", "bands", "period", "\xC3\xA5lder"}) {
    CHECK_FALSE(varsam::insights::ParseDimension(bad).has_value());
  }
}

TEST_CASE("insights names: measures, quantities and reasons have the documented distinct names",
          "[insights]") {
  const std::vector<std::string_view> kinds = {"episodes", "people", "share", "mean", "median"};
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    CHECK(varsam::insights::MeasureKindName(static_cast<MeasureKind>(i)) == kinds[i]);
  }
  const std::vector<std::string_view> quantities = {"total", "change", "duration"};
  for (std::size_t i = 0; i < quantities.size(); ++i) {
    CHECK(varsam::insights::QuantityName(static_cast<Quantity>(i)) == quantities[i]);
  }
  const std::vector<std::string_view> reasons = {"",          "threshold", "dominance",
                                                 "p_percent", "secondary", "no_value"};
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    CHECK(varsam::insights::ProtectionReasonName(static_cast<ProtectionReason>(i)) == reasons[i]);
  }
}

// ---- JSON -------------------------------------------------------------------------------------

TEST_CASE("insights JSON: the document round-trips and names its format, query and dimensions",
          "[insights]") {
  const Table table = CountTable();
  const std::string text = varsam::insights::TableJson(table);
  const nlohmann::ordered_json doc = nlohmann::ordered_json::parse(text);
  // Compact and in the documented key order: parsing and writing again gives the same text.
  CHECK(doc.dump() == text);
  std::vector<std::string> top;
  for (const auto& [k, v] : doc.items()) top.push_back(k);
  CHECK(top == std::vector<std::string>{"format", "query", "methods", "dimensions", "cells"});
  CHECK(doc["format"] == "varsam-insight/1");
  CHECK(doc["dimensions"] == nlohmann::ordered_json::array({"intervention", "age_band"}));
  CHECK(doc["query"]["measure"]["kind"] == "episodes");
  CHECK(doc["query"]["margins"] == true);
  CHECK(doc["methods"].get<std::vector<std::string>>() == table.methods);

  REQUIRE(doc["cells"].size() == table.cells.size());
  for (std::size_t i = 0; i < table.cells.size(); ++i) {
    const Cell& cell = table.cells[i];
    const auto& out = doc["cells"][i];
    REQUIRE(out["levels"].size() == cell.levels.size());
    for (std::size_t d = 0; d < cell.levels.size(); ++d) {
      if (cell.levels[d] == kMargin) {
        CHECK(out["levels"][d].is_null());
      } else {
        CHECK(out["levels"][d] == table.levels[d][static_cast<std::size_t>(cell.levels[d])]);
      }
    }
    switch (cell.status) {
      case CellStatus::kPublished:
        CHECK(out["status"] == "published");
        CHECK(out["value"].is_number_integer());
        CHECK(out["value"].get<std::int64_t>() == std::llround(cell.value));
        CHECK(out["flag"] == "");
        break;
      case CellStatus::kZero:
        CHECK(out["status"] == "zero");
        CHECK(out["value"] == 0);
        CHECK(out["flag"] == "");
        break;
      case CellStatus::kProtected:
        CHECK(out["status"] == "protected");
        CHECK(out["value"].is_null());
        CHECK(out["flag"] == "confidential");
        break;
    }
  }
  // The perturbed count is published as perturbed, not as its raw count.
  CHECK(doc["cells"][7]["value"] == 21);
}

TEST_CASE("insights JSON: no raw value, key, count or contribution of a protected cell",
          "[insights]") {
  for (const Table& table : {CountTable(), MeanTable()}) {
    const std::string text = varsam::insights::TableJson(table);
    const nlohmann::json doc = nlohmann::json::parse(text);
    std::set<std::string> keys;
    Keys(doc["cells"], keys);
    CHECK(keys == std::set<std::string>{"levels", "value", "status", "flag"});
    CHECK(text.find(std::to_string(kSecretKey)) == std::string::npos);
    CHECK(text.find("13.579") == std::string::npos);
    CHECK(text.find("12345") == std::string::npos);  // no cell's key
    // The flag never tells which disclosure rule protected a cell.
    for (const std::string_view rule : {"\"threshold\"", "\"secondary\"", "\"dominance\""}) {
      CHECK(text.find(std::string("\"flag\":") + std::string(rule)) == std::string::npos);
    }
  }
}

TEST_CASE("insights JSON: means are rounded to three decimals and a cell without value says so",
          "[insights]") {
  const nlohmann::json doc = nlohmann::json::parse(varsam::insights::TableJson(MeanTable()));
  CHECK(doc["query"]["measure"]["kind"] == "mean");
  CHECK(doc["query"]["measure"]["of"] == "change");
  CHECK(doc["query"]["measure"]["instrument"] == "ors");
  const auto& cells = doc["cells"];
  REQUIRE(cells.size() == 4);
  // 2.34567 to three decimals is 2.346; -1.5 stays -1.5.
  CHECK(cells[0]["value"].get<double>() == Approx(2.346).margin(1e-12));
  CHECK(std::fabs(cells[0]["value"].get<double>() * 1000 -
                  std::round(cells[0]["value"].get<double>() * 1000)) < 1e-9);
  CHECK(cells[1]["value"].get<double>() == -1.5);
  CHECK(cells[2]["value"].is_null());
  CHECK(cells[2]["flag"] == "confidential");
  CHECK(cells[3]["value"].is_null());
  CHECK(cells[3]["flag"] == "no_value");
}

// ---- CSV --------------------------------------------------------------------------------------

TEST_CASE("insights CSV: a header, a CRLF row per cell, Totalt, .. and the dash", "[insights]") {
  const Table table = CountTable();
  const std::string csv = varsam::insights::TableCsv(table);
  REQUIRE(csv.size() > 2);
  CHECK(csv.substr(csv.size() - 2) == "\r\n");
  const std::vector<std::string> lines = Lines(csv, "\r\n");
  REQUIRE(lines.size() == table.cells.size() + 1);
  CHECK(lines[0] == "intervention,age_band,value");
  for (const std::string& line : lines) CHECK(line.find('\n') == std::string::npos);
  CHECK(lines[1] == "familjebehandling,0-17,12");
  CHECK(lines[3] == "familjebehandling,Totalt,42");
  CHECK(lines[4] == "stodsamtal,0-17,..");
  CHECK(lines[5] == "stodsamtal,18+,..");
  CHECK(lines[7] == "tolvstegsprogram,0-17,\xE2\x80\x93");  // U+2013
  CHECK(lines[12] == "Totalt,Totalt,74");
  // Every protected cell is "..", and no line carries its raw count.
  int protected_rows = 0;
  for (std::size_t i = 0; i < table.cells.size(); ++i) {
    if (table.cells[i].status == CellStatus::kProtected) {
      ++protected_rows;
      CHECK(lines[i + 1].substr(lines[i + 1].size() - 3) == ",..");
    }
  }
  CHECK(protected_rows == 2);
}

TEST_CASE(
    "insights CSV: fields are quoted as RFC 4180 says, formulas are defused, decimals "
    "have a point",
    "[insights]") {
  Table table = MeanTable();
  table.levels[0] = {"a, b", "say \"hi\"", "=SUM(A1:A9)", "two\nlines"};
  const std::vector<std::string> lines = Lines(varsam::insights::TableCsv(table), "\r\n");
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "intervention,value");
  CHECK(lines[1] == "\"a, b\",2.346");
  CHECK(lines[2] == "\"say \"\"hi\"\"\",-1.5");
  CHECK(lines[3] == "'=SUM(A1:A9),..");
  CHECK(lines[4] == "\"two\nlines\",..");
}

// ---- HTML -------------------------------------------------------------------------------------

TEST_CASE("insights HTML: a hostile level is escaped everywhere and the page runs no script",
          "[insights]") {
  Table table = CountTable();
  const std::string hostile = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">";
  table.levels[0][0] = hostile;
  table.levels[1][1] = "\"><svg onload=alert(2)>";
  const std::string html = varsam::insights::TableHtml(table);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<svg onload") == std::string::npos);
  CHECK(html.find("onerror=\"") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // nothing loaded
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
}

TEST_CASE("insights HTML: the bars' heights are proportional to the published values",
          "[insights]") {
  const Table table = CountTable();
  const std::string html = varsam::insights::TableHtml(table);
  // The chart: each intervention at the age band's margin.
  const std::regex bar(
      R"re(<rect class="bar" data-level="([^"]*)" data-value="([-0-9.]+)" x="([-0-9.]+)" )re"
      R"re(y="([-0-9.]+)" width="([-0-9.]+)" height="([-0-9.]+)")re");
  std::map<std::string, std::pair<double, double>> bars;  // level -> (value, height)
  for (auto it = std::sregex_iterator(html.begin(), html.end(), bar); it != std::sregex_iterator();
       ++it) {
    bars[(*it)[1]] = {std::stod((*it)[2]), std::stod((*it)[6])};
  }
  // The published cells of the first dimension at the second's margin, from the table itself.
  std::map<std::string, double> expected;
  for (const Cell& cell : table.cells) {
    if (cell.levels[0] != kMargin && cell.levels[1] == kMargin &&
        cell.status == CellStatus::kPublished) {
      expected[table.levels[0][static_cast<std::size_t>(cell.levels[0])]] = cell.value;
    }
  }
  REQUIRE(expected.size() == 3);
  REQUIRE(bars.size() == expected.size());
  const double per_unit = bars.begin()->second.second / bars.begin()->second.first;
  CHECK(per_unit > 0);
  for (const auto& [level, value] : expected) {
    REQUIRE(bars.count(level) == 1);
    CHECK(bars[level].first == value);
    CHECK(bars[level].second == Approx(value * per_unit).margin(0.02));
  }
}

TEST_CASE(
    "insights HTML: protected cells are shown as .. in the table and the chart, with a "
    "legend",
    "[insights]") {
  // Without margins the chart shows the second dimension's first level: one bar protected.
  std::map<std::vector<std::int32_t>, Spec> spec = {
      {{0, 0}, {CellStatus::kPublished, 8, {}}},
      {{1, 0}, {CellStatus::kProtected, 0, ProtectionReason::kThreshold}},
      {{2, 0}, {CellStatus::kZero, 0, {}}},
      {{1, 1}, {CellStatus::kProtected, 0, ProtectionReason::kSecondary}},
  };
  const Table table =
      MakeTable(MeasureKind::kPeople, {Dimension::kIntervention, Dimension::kAgeBand},
                {{"x", "y", "z"}, {"0-17", "18+"}}, false, spec);
  const std::string html = varsam::insights::TableHtml(table);
  const auto count = [&](std::string_view needle) {
    int n = 0;
    for (std::size_t at = html.find(needle); at != std::string::npos;
         at = html.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(count("<td class=\"protected\">..</td>") == 2);
  CHECK(count("<td class=\"zero\">\xE2\x80\x93</td>") == 1);
  CHECK(count("<rect class=\"bar-protected\" data-level=\"y\"") == 1);
  CHECK(count("<rect class=\"bar\" ") == 1);  // x; z is zero, drawn as a dash, not a bar
  CHECK(count("<dt>..</dt>") == 1);
  CHECK(count("role=\"img\" aria-labelledby=\"bars-title bars-desc\"") == 1);
  // The description says the protected bar is protected, never a number for it.
  const std::size_t desc = html.find("<desc id=\"bars-desc\">");
  REQUIRE(desc != std::string::npos);
  const std::string text = html.substr(desc, html.find("</desc>", desc) - desc);
  CHECK(text.find("y: skyddad uppgift (..)") != std::string::npos);
  CHECK(text.find("x: 8") != std::string::npos);
  CHECK(text.find("z: noll") != std::string::npos);
  // The page names the measure and both dimensions, and the methods.
  CHECK(html.find("<h1>Antal personer efter insats och åldersgrupp</h1>") != std::string::npos);
  CHECK(html.find("<li>threshold 5</li>") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("insights HTML: a two-dimension table is a cross-table with Totalt", "[insights]") {
  const Table table = CountTable();
  const std::string html = varsam::insights::TableHtml(table);
  const std::size_t start = html.find("<table class=\"data\">");
  REQUIRE(start != std::string::npos);
  const std::string t = html.substr(start, html.find("</table>", start) - start);
  // Rows: three interventions and Totalt; columns: two age bands and Totalt.
  const std::regex row("<tr[^>]*><th scope=\"row\">");
  CHECK(std::distance(std::sregex_iterator(t.begin(), t.end(), row), std::sregex_iterator()) == 4);
  CHECK(t.find("<th scope=\"col\" class=\"total\">Totalt</th>") != std::string::npos);
  CHECK(t.find("<tr class=\"total\"><th scope=\"row\">Totalt</th><td class=\"total\">15</td>"
               "<td class=\"total\">59</td><td class=\"total\">74</td></tr>") != std::string::npos);
  CHECK(t.find("<th scope=\"row\">stodsamtal</th><td class=\"protected\">..</td>"
               "<td class=\"protected\">..</td><td class=\"total\">11</td>") != std::string::npos);
}

TEST_CASE("insights outputs: a table of no dimension is one cell, of three a row per cell",
          "[insights]") {
  const Table none =
      MakeTable(MeasureKind::kPeople, {}, {}, false, {{{}, {CellStatus::kPublished, 17, {}}}});
  REQUIRE(none.cells.size() == 1);
  CHECK(varsam::insights::TableCsv(none) == "value\r\n17\r\n");
  const nlohmann::json doc = nlohmann::json::parse(varsam::insights::TableJson(none));
  CHECK(doc["cells"] ==
        nlohmann::json::parse(R"([{"levels":[],"value":17,"status":"published","flag":""}])"));
  const std::string page = varsam::insights::TableHtml(none);
  CHECK(page.find("<svg id=\"bars\"") == std::string::npos);  // nothing to chart
  CHECK(page.find("<th scope=\"row\">Totalt</th><td class=\"total\">17</td>") != std::string::npos);

  const Table three =
      MakeTable(MeasureKind::kEpisodes, {Dimension::kSex, Dimension::kRegion, Dimension::kOutcome},
                {{"female", "male"}, {"01", "03"}, {"improved"}}, true, {});
  // (2 + 1) x (2 + 1) x (1 + 1) cells with margins.
  REQUIRE(three.cells.size() == 18);
  CHECK(Lines(varsam::insights::TableCsv(three), "\r\n").size() == 19);
  const std::string html = varsam::insights::TableHtml(three);
  const std::size_t body = html.find("<tbody>");
  REQUIRE(body != std::string::npos);
  const std::string rows = html.substr(body, html.find("</tbody>", body) - body);
  const std::regex row("<tr[ >]");
  CHECK(std::distance(std::sregex_iterator(rows.begin(), rows.end(), row),
                      std::sregex_iterator()) == 18);
  // Two bars: the sexes at the other dimensions' margins, each 10 as MakeTable publishes.
  const std::regex bar(R"re(<rect class="bar" data-level="(female|male)" data-value="10")re");
  CHECK(std::distance(std::sregex_iterator(html.begin(), html.end(), bar),
                      std::sregex_iterator()) == 2);
}
