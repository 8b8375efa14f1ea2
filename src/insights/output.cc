// The machine-readable outputs of an insight table (varsam/insights.h, "Protecting and
// publishing"; docs/insights.md, "Outputs"): the JSON document "varsam-insight/1", CSV
// (RFC 4180, "Common Format and MIME Type for Comma-Separated Values (CSV) Files") with the
// markers of Swedish official statistics (".." not published, "–" zero; Statistics Sweden,
// "Handbok i statistisk röjandekontroll", 2015), and the names of the enumerations.
//
// What leaves here is what a protected table may show: a cell's levels, its published value,
// its status and a flag. Never the raw measure, the cell key, the counts of episodes or people
// behind a cell, or its largest contributions. A protected cell's flag does not say which rule
// protected it (docs/insights.md, "The flag of a protected cell", explains why: knowing that a cell
// fell below the threshold, or that its complement did not, narrows what an attacker can derive
// beyond what secondary suppression proved), as Eurostat and ONS publish one "confidential" flag
// for both.
//
// CSV cells that a spreadsheet would read as a formula (a text field that starts with "=", "+",
// "-", "@", a tab or a carriage return) get a leading apostrophe (OWASP, "CSV Injection").

#include "output.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

// The query as published: its canonical form (QueryJson), keys sorted.
nlohmann::json QueryObject(const Query& query) { return nlohmann::json::parse(QueryJson(query)); }

// RFC 4180: a field with a comma, a double quote, CR or LF is enclosed in double quotes, and a
// double quote inside is doubled.
std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// A text field (a dimension's name or level): a leading apostrophe when a spreadsheet would
// take it for a formula.
std::string CsvText(std::string_view text) {
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    return CsvField(Cat({"'", text}));
  }
  return CsvField(text);
}

}  // namespace

// ---- Shared with html.cc (output.h) -----------------------------------------------------------

bool IsCount(MeasureKind kind) {
  return kind == MeasureKind::kEpisodes || kind == MeasureKind::kPeople;
}

std::optional<double> PublishedValue(const Table& table, const Cell& cell) {
  const bool count = IsCount(table.query.measure.kind);
  switch (cell.status) {
    case CellStatus::kProtected: return std::nullopt;
    case CellStatus::kZero:
      if (count) return 0.0;
      break;
    case CellStatus::kPublished: break;
  }
  if (!std::isfinite(cell.value)) return std::nullopt;
  if (count) return static_cast<double>(std::llround(cell.value));
  const double rounded = std::round(cell.value * kValueScale) / kValueScale;
  return rounded == 0 ? 0.0 : rounded;  // no "-0"
}

std::string_view PublishedFlag(const Cell& cell) {
  if (cell.status != CellStatus::kProtected) return "";
  return cell.reason == ProtectionReason::kNoValue ? ProtectionReasonName(cell.reason)
                                                   : kConfidentialFlag;
}

std::string FormatValue(double value, bool count) {
  char buffer[64];
  if (count) {
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(std::llround(value)));
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.*f", kValueDecimals, value);
  std::string out = buffer;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out == "-0" ? "0" : out;
}

const std::string* LevelText(const Table& table, std::size_t dimension, std::int32_t level) {
  if (dimension >= table.levels.size() || level < 0) return nullptr;
  const auto& levels = table.levels[dimension];
  if (static_cast<std::size_t>(level) >= levels.size()) return nullptr;
  return &levels[static_cast<std::size_t>(level)];
}

// ---- The names (the others are the query's, query.cc) -----------------------------------------

std::string_view ProtectionReasonName(ProtectionReason reason) {
  switch (reason) {
    case ProtectionReason::kNone: return "";
    case ProtectionReason::kThreshold: return "threshold";
    case ProtectionReason::kDominance: return "dominance";
    case ProtectionReason::kPPercent: return "p_percent";
    case ProtectionReason::kSecondary: return "secondary";
    case ProtectionReason::kNoValue: return "no_value";
  }
  return "";
}

// ---- JSON -------------------------------------------------------------------------------------

std::string TableJson(const Table& table) {
  const bool count = IsCount(table.query.measure.kind);
  nlohmann::ordered_json dimensions = nlohmann::ordered_json::array();
  for (const Dimension d : table.query.dimensions) dimensions.push_back(DimensionName(d));
  nlohmann::ordered_json cells = nlohmann::ordered_json::array();
  for (const Cell& cell : table.cells) {
    nlohmann::ordered_json levels = nlohmann::ordered_json::array();
    for (std::size_t d = 0; d < cell.levels.size(); ++d) {
      const std::string* text = LevelText(table, d, cell.levels[d]);
      if (text != nullptr) {
        levels.push_back(*text);
      } else {
        levels.push_back(nullptr);
      }
    }
    nlohmann::ordered_json value = nullptr;
    if (const std::optional<double> v = PublishedValue(table, cell)) {
      if (count) {
        value = static_cast<std::int64_t>(*v);
      } else {
        value = *v;
      }
    }
    std::string_view status = "published";
    if (cell.status == CellStatus::kZero) status = "zero";
    if (cell.status == CellStatus::kProtected) status = "protected";
    cells.push_back({{"levels", std::move(levels)},
                     {"value", std::move(value)},
                     {"status", status},
                     {"flag", PublishedFlag(cell)}});
  }
  nlohmann::ordered_json out = {
      {"format", "varsam-insight/1"}, {"query", nlohmann::ordered_json(QueryObject(table.query))},
      {"methods", table.methods},     {"dimensions", std::move(dimensions)},
      {"cells", std::move(cells)},
  };
  return DumpJson(out);
}

// ---- CSV --------------------------------------------------------------------------------------

std::string TableCsv(const Table& table) {
  const bool count = IsCount(table.query.measure.kind);
  std::string out;
  for (const Dimension d : table.query.dimensions) {
    out += CsvText(DimensionName(d));
    out += ',';
  }
  out += "value\r\n";
  for (const Cell& cell : table.cells) {
    for (std::size_t d = 0; d < cell.levels.size(); ++d) {
      if (cell.levels[d] == kMargin) {
        out += kMarginText;
      } else if (const std::string* text = LevelText(table, d, cell.levels[d])) {
        out += CsvText(*text);
      }
      out += ',';
    }
    const std::optional<double> v = PublishedValue(table, cell);
    if (cell.status == CellStatus::kZero) {
      out += kZeroMarker;
    } else if (!v) {
      out += kProtectedMarker;
    } else {
      out += FormatValue(*v, count);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace varsam::insights
