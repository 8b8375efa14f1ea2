// Writes the page of an insight table (TableHtml) built by hand, for the browser test
// (tests/insights/test_insights_chromium.py) and for people who want to look at one: episodes by
// intervention and age band with margins, as Protect would leave them: published counts, a
// count the cell key moved, a zero, a cell below the threshold and its complement (secondary
// suppression). Beside it TABLE.json and TABLE.csv, the other two outputs of the same table.
//
// With "mean", a mean of the change in ORS by intervention instead (no margins): a negative
// mean, a cell protected by the dominance rule and one with no value.
//
//   varsam_insights_table_sample TABLE.html [mean]

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/insights.h"

namespace {

using varsam::insights::Cell;
using varsam::insights::CellStatus;
using varsam::insights::Dimension;
using varsam::insights::kMargin;
using varsam::insights::MeasureKind;
using varsam::insights::ProtectionReason;
using varsam::insights::Table;

Cell Published(std::vector<std::int32_t> levels, double value) {
  Cell c;
  c.levels = std::move(levels);
  c.raw = c.value = value;
  c.episodes = c.people = static_cast<std::int64_t>(value);
  return c;
}

Cell Zero(std::vector<std::int32_t> levels) {
  Cell c;
  c.levels = std::move(levels);
  c.raw = c.value = 0;
  c.status = CellStatus::kZero;
  return c;
}

Cell Protected(std::vector<std::int32_t> levels, double raw, ProtectionReason reason) {
  Cell c;
  c.levels = std::move(levels);
  c.raw = raw;
  c.status = CellStatus::kProtected;
  c.reason = reason;
  return c;
}

Table CountTable() {
  Table t;
  t.query.measure.kind = MeasureKind::kEpisodes;
  t.query.dimensions = {Dimension::kIntervention, Dimension::kAgeBand};
  t.query.margins = true;
  t.query.protection.cell_key = varsam::insights::CellKeyParams{2, 1, 1};
  t.levels = {{"familjebehandling", "kbt", "stodsamtal", "tolvstegsprogram", "aterfallsprevention"},
              {"0-17", "18-64", "65+"}};
  // Rows: interventions; columns: age bands and the margin. A 3 below the threshold in
  // (stodsamtal, 65+) and its complement in (kbt, 65+); (tolvstegsprogram, 0-17) is empty.
  const double counts[5][3] = {{34, 51, 12}, {18, 40, 6}, {22, 63, 3}, {0, 27, 9}, {7, 19, 11}};
  for (std::int32_t i = 0; i < 5; ++i) {
    double row = 0;
    for (std::int32_t j = 0; j < 3; ++j) {
      const double v = counts[i][j];
      row += v;
      if (i == 2 && j == 2) {
        t.cells.push_back(Protected({i, j}, v, ProtectionReason::kThreshold));
      } else if (i == 1 && j == 2) {
        t.cells.push_back(Protected({i, j}, v, ProtectionReason::kSecondary));
      } else if (v == 0) {
        t.cells.push_back(Zero({i, j}));
      } else {
        t.cells.push_back(Published({i, j}, v));
      }
    }
    t.cells.push_back(Published({i, kMargin}, row));
  }
  double all = 0;
  for (std::int32_t j = 0; j < 3; ++j) {
    double column = 0;
    for (const auto& row : counts) column += row[j];
    all += column;
    t.cells.push_back(Published({kMargin, j}, column));
  }
  t.cells.push_back(Published({kMargin, kMargin}, all));
  t.cells[1].value = 52;  // (familjebehandling, 18-64): 51 moved by the cell key
  t.methods = {"threshold 5", "secondary suppression (linear programming)",
               "cell key D=2 V=1 js=1"};
  return t;
}

Table MeanTable() {
  Table t;
  t.query.measure.kind = MeasureKind::kMean;
  t.query.measure.of = varsam::insights::Quantity::kChange;
  t.query.measure.instrument = "ors";
  t.query.dimensions = {Dimension::kIntervention};
  t.query.protection.dominance = varsam::insights::DominanceRule{1, 85};
  t.levels = {
      {"familjebehandling", "kbt", "stodsamtal", "tolvstegsprogram", "aterfallsprevention"}};
  t.cells = {Published({0}, 6.42), Published({1}, 8.1),
             Protected({2}, 4.9, ProtectionReason::kDominance), Published({3}, -1.35),
             Protected({4}, std::nan(""), ProtectionReason::kNoValue)};
  t.methods = {"threshold 5", "dominance n=1 k=85"};
  return t;
}

bool Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out.good();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string_view(argv[2]) != "mean")) {
    std::fprintf(stderr, "usage: varsam_insights_table_sample TABLE.html [mean]\n");
    return 2;
  }
  const Table table = argc == 3 ? MeanTable() : CountTable();
  std::string stem = argv[1];
  if (stem.size() > 5 && stem.substr(stem.size() - 5) == ".html") stem.resize(stem.size() - 5);
  if (!Write(argv[1], varsam::insights::TableHtml(table)) ||
      !Write(stem + ".json", varsam::insights::TableJson(table)) ||
      !Write(stem + ".csv", varsam::insights::TableCsv(table))) {
    std::fprintf(stderr, "insights_table_sample: could not write the output\n");
    return 1;
  }
  return 0;
}
