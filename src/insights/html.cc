// The page of an insight table (varsam/insights.h, TableHtml; docs/insights.md, "Outputs"): one
// self-contained HTML page in Swedish, with no script and nothing loaded (a
// Content-Security-Policy forbids both), every text escaped, printable on A4. It holds a heading
// naming the measure and the dimensions, the table (a cross-table for two dimensions), an SVG
// bar chart of the first dimension, a legend of the markers and the methods that protected the
// table.
//
// The markers are those of Swedish official statistics: ".." a figure not published to protect
// a person, "–" zero (Statistics Sweden, "Handbok i statistisk röjandekontroll", 2015). A
// protected cell is shown as such, never with a value, and never with the rule that protected
// it (output.cc says why). In the chart a protected cell is a hatched, outlined column as tall as
// the plot, labelled "..", so that it cannot be read as a height.
//
// Accessibility (WCAG 2.1): the chart is role="img" with a <title> and a <desc> that say every
// value in words (1.1.1), the table carries the same data, colour is never the only signal
// (1.4.1: the placeholder is hatched and dashed, and labelled), and every colour on white has a
// contrast of at least 4.5:1 for text and 3:1 for graphics (1.4.3, 1.4.11). Bars carry data-*
// attributes with their values, so that a test can check their heights without the layout's
// constants.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "output.h"
#include "varsam/core.h"
#include "varsam/insights.h"

namespace varsam::insights {
namespace {

// ---- Words ------------------------------------------------------------------------------------

std::string_view DimensionWords(Dimension d) {
  switch (d) {
    case Dimension::kAgeBand: return "Åldersgrupp";
    case Dimension::kSex: return "Kön";
    case Dimension::kRegion: return "Län";
    case Dimension::kCaseKind: return "Ärendetyp";
    case Dimension::kIntervention: return "Insats";
    case Dimension::kStartPeriod: return "Startperiod";
    case Dimension::kEndPeriod: return "Slutperiod";
    case Dimension::kOutcome: return "Utfall";
    case Dimension::kBand: return "Nivå";
  }
  return "";
}

// The outcomes of store::kOutcomes in Swedish; another code is shown as it is (escaped).
std::string OutcomeWords(std::string_view outcome) {
  if (outcome == "improved") return "förbättrad";
  if (outcome == "unchanged") return "oförändrad";
  if (outcome == "deteriorated") return "försämrad";
  if (outcome == "completed") return "genomförd";
  if (outcome == "dropout") return "avbruten";
  if (outcome == "ended_other") return "avslutad av annat skäl";
  return EscapeHtml(outcome);
}

std::string Lower(std::string_view text) {
  // The dimensions' words start with an ASCII capital or "Å"/"Ä" (two bytes, C3 85 / C3 84).
  std::string out(text);
  if (out.size() >= 2 && static_cast<unsigned char>(out[0]) == 0xC3 &&
      (static_cast<unsigned char>(out[1]) == 0x85 || static_cast<unsigned char>(out[1]) == 0x84)) {
    out[1] = static_cast<char>(static_cast<unsigned char>(out[1]) + 0x20);
  } else if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') {
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  }
  return out;
}

// The measure in words (escaped): "Medelvärde av förändring från intag (ORS)".
std::string MeasureWords(const Measure& m) {
  const std::string instrument =
      m.instrument.empty() ? "" : Cat({" (", EscapeHtml(m.instrument), ")"});
  std::string quantity;
  switch (m.of) {
    case Quantity::kTotal: quantity = Cat({"senaste totalpoäng", instrument}); break;
    case Quantity::kChange: quantity = Cat({"förändring från intag", instrument}); break;
    case Quantity::kDuration: quantity = "längd i månader"; break;
  }
  switch (m.kind) {
    case MeasureKind::kEpisodes: return "Antal episoder";
    case MeasureKind::kPeople: return "Antal personer";
    case MeasureKind::kShare: return Cat({"Andel episoder med utfallet ", OutcomeWords(m.outcome)});
    case MeasureKind::kMean: return Cat({"Medelvärde av ", quantity});
    case MeasureKind::kMedian: return Cat({"Median av ", quantity});
  }
  return "";
}

// The value axis's title.
std::string_view AxisWords(MeasureKind kind) {
  switch (kind) {
    case MeasureKind::kEpisodes: return "Antal episoder";
    case MeasureKind::kPeople: return "Antal personer";
    case MeasureKind::kShare: return "Andel (%)";
    case MeasureKind::kMean: return "Medelvärde";
    case MeasureKind::kMedian: return "Median";
  }
  return "";
}

// "a", "a och b", "a, b och c".
std::string Enumerate(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " och " : ", ";
    out += items[i];
  }
  return out;
}

// ---- Numbers ----------------------------------------------------------------------------------

// A coordinate: two decimals are a hundredth of a pixel.
std::string Px(double v) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

// A number for people, in Swedish: a decimal comma, a no-break space between thousands and a
// real minus sign; `decimals` fixed.
std::string Swedish(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, std::fabs(v));
  std::string digits = buffer;
  std::string fraction;
  if (const std::size_t dot = digits.find('.'); dot != std::string::npos) {
    fraction = Cat({",", digits.substr(dot + 1)});
    digits.resize(dot);
  }
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += "\u00a0";
    grouped += digits[i];
  }
  const bool negative =
      v < 0 && (grouped != "0" || fraction.find_first_not_of(",0") != std::string::npos);
  return Cat({negative ? "\u2212" : "", grouped, fraction});
}

// A published value as the page shows it: counts whole, shares in percent with one decimal,
// means and medians with one decimal.
std::string Shown(double v, MeasureKind kind) {
  if (IsCount(kind)) return Swedish(v, 0);
  if (kind == MeasureKind::kShare) return Cat({Swedish(v * 100, 1), "\u00a0%"});
  return Swedish(v, 1);
}

// ---- The cells --------------------------------------------------------------------------------

using CellIndex = std::map<std::vector<std::int32_t>, const Cell*>;

CellIndex IndexCells(const Table& table) {
  CellIndex index;
  for (const Cell& cell : table.cells) index.emplace(cell.levels, &cell);
  return index;
}

// A level as the page shows it (escaped): "Totalt" for a margin, "(uppgift saknas)" for an
// empty value.
std::string LevelWords(const Table& table, std::size_t dimension, std::int32_t level) {
  if (level == kMargin) return std::string(kMarginText);
  const std::string* text = LevelText(table, dimension, level);
  if (text == nullptr) return "?";
  if (text->empty()) return "(uppgift saknas)";
  return EscapeHtml(*text);
}

// A table cell: the value, ".." or "–", with a class for the marker.
std::string ValueCell(const Table& table, const Cell* cell, bool total) {
  const std::string_view cls = total ? " class=\"total\"" : "";
  if (cell == nullptr) return Cat({"<td", cls, "></td>"});
  const std::optional<double> v = PublishedValue(table, *cell);
  if (cell->status == CellStatus::kZero) {
    return Cat({"<td class=\"zero", total ? " total" : "", "\">", kZeroMarker, "</td>"});
  }
  if (!v) {
    return Cat({"<td class=\"protected", total ? " total" : "", "\">", kProtectedMarker, "</td>"});
  }
  return Cat({"<td", cls, ">", Shown(*v, table.query.measure.kind), "</td>"});
}

std::size_t LevelCount(const Table& table, std::size_t d) {
  return d < table.levels.size() ? table.levels[d].size() : 0;
}

// The levels of dimension d in table order, kMargin last when the table has margins.
std::vector<std::int32_t> Levels(const Table& table, std::size_t d) {
  std::vector<std::int32_t> out;
  for (std::size_t i = 0; i < LevelCount(table, d); ++i)
    out.push_back(static_cast<std::int32_t>(i));
  if (table.query.margins) out.push_back(kMargin);
  return out;
}

std::string DataTable(const Table& table, const std::string& caption) {
  const std::vector<Dimension>& dims = table.query.dimensions;
  const CellIndex index = IndexCells(table);
  std::string out = Cat({"<table class=\"data\">\n<caption>", caption, "</caption>\n"});
  if (dims.size() == 2) {
    const std::vector<std::int32_t> rows = Levels(table, 0), columns = Levels(table, 1);
    out +=
        Cat({"<thead><tr><th scope=\"col\" rowspan=\"2\" class=\"stub\">", DimensionWords(dims[0]),
             "</th><th scope=\"colgroup\" colspan=\"", std::to_string(columns.size()), "\">",
             DimensionWords(dims[1]), "</th></tr>\n<tr>"});
    for (const std::int32_t c : columns) {
      out += Cat({"<th scope=\"col\"", c == kMargin ? " class=\"total\"" : "", ">",
                  LevelWords(table, 1, c), "</th>"});
    }
    out += "</tr></thead>\n<tbody>\n";
    for (const std::int32_t r : rows) {
      out += Cat({"<tr", r == kMargin ? " class=\"total\"" : "", "><th scope=\"row\">",
                  LevelWords(table, 0, r), "</th>"});
      for (const std::int32_t c : columns) {
        const auto it = index.find({r, c});
        out += ValueCell(table, it == index.end() ? nullptr : it->second,
                         r == kMargin || c == kMargin);
      }
      out += "</tr>\n";
    }
    return out + "</tbody>\n</table>\n";
  }
  // Otherwise one row per cell, in the table's order.
  out += "<thead><tr>";
  for (const Dimension d : dims) out += Cat({"<th scope=\"col\">", DimensionWords(d), "</th>"});
  out += Cat({"<th scope=\"col\">", AxisWords(table.query.measure.kind), "</th></tr></thead>\n",
              "<tbody>\n"});
  for (const Cell& cell : table.cells) {
    bool total = dims.empty();
    std::string row;
    for (std::size_t d = 0; d < cell.levels.size(); ++d) {
      total = total || cell.levels[d] == kMargin;
      row += Cat({d == 0 ? "<th scope=\"row\">" : "<td>", LevelWords(table, d, cell.levels[d]),
                  d == 0 ? "</th>" : "</td>"});
    }
    if (dims.empty()) row = Cat({"<th scope=\"row\">", kMarginText, "</th>"});
    out += Cat({"<tr", total ? " class=\"total\"" : "", ">", row, ValueCell(table, &cell, total),
                "</tr>\n"});
  }
  return out + "</tbody>\n</table>\n";
}

// ---- The chart --------------------------------------------------------------------------------

constexpr double kWidth = 820, kHeight = 400;
constexpr double kLeft = 78, kRight = 16, kTop = 22;
constexpr std::string_view kBarColour = "#1d3557";      // navy: 12.6:1 on white
constexpr std::string_view kHatchColour = "#8a8a8a";    // the placeholder's hatching
constexpr std::string_view kOutlineColour = "#595959";  // its outline: 7:1 on white

struct Bar {
  std::string label;  // escaped
  const Cell* cell = nullptr;
  std::optional<double> value;
};

// Tick values from lo to hi: a step of 1, 2, 2.5 or 5 times a power of ten, at most `most`
// steps; [lo, hi] widened to whole steps.
std::vector<double> Ticks(double& lo, double& hi, int most) {
  const double step = TickStep(hi - lo, most);
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double k = std::round(lo / step); k * step <= hi + step * 1e-9 && ticks.size() < 30;
       k += 1) {
    ticks.push_back(k * step == 0 ? 0 : k * step);
  }
  return ticks;
}

struct Chart {
  std::string svg;
  bool protected_bars = false;  // a placeholder is drawn
  bool zero_bars = false;       // a zero is drawn as a dash
};

Chart ChartSvg(const Table& table, const std::string& measure) {
  Chart chart;
  const std::vector<Dimension>& dims = table.query.dimensions;
  const MeasureKind kind = table.query.measure.kind;
  const CellIndex index = IndexCells(table);

  // The first dimension's cells, the others at their margins (or their first level).
  std::vector<Bar> bars;
  std::vector<std::int32_t> key(dims.size(), table.query.margins ? kMargin : 0);
  for (std::size_t i = 0; i < LevelCount(table, 0); ++i) {
    key[0] = static_cast<std::int32_t>(i);
    Bar bar;
    bar.label = LevelWords(table, 0, key[0]);
    if (const auto it = index.find(key); it != index.end()) {
      bar.cell = it->second;
      bar.value = PublishedValue(table, *bar.cell);
    }
    bars.push_back(std::move(bar));
  }
  std::vector<std::string> others;
  for (std::size_t d = 1; d < dims.size(); ++d) {
    others.push_back(Cat({Lower(DimensionWords(dims[d])), " ",
                          table.query.margins ? "totalt" : LevelWords(table, d, 0)}));
  }
  const std::string subject = Cat({measure, " per ", Lower(DimensionWords(dims[0])),
                                   others.empty() ? "" : Cat({" (", Enumerate(others), ")"})});

  double lo = 0, hi = 0;
  for (const Bar& b : bars) {
    if (b.value) {
      lo = std::min(lo, *b.value);
      hi = std::max(hi, *b.value);
    }
  }
  if (hi - lo <= 0) hi = lo + (kind == MeasureKind::kShare ? 1 : 10);
  const std::vector<double> ticks = Ticks(lo, hi, 6);

  // Long or many labels are set at an angle.
  std::size_t longest = 0;
  for (const Bar& b : bars) longest = std::max(longest, b.label.size());
  const double band =
      (kWidth - kLeft - kRight) / static_cast<double>(std::max<std::size_t>(bars.size(), 1));
  const bool slanted = static_cast<double>(longest) * 7.2 > band - 6;
  const double bottom = slanted ? std::min(150.0, 36 + static_cast<double>(longest) * 5.4) : 58;
  const double height = kHeight + (slanted ? bottom - 58 : 0);
  const double plot_bottom = height - bottom;
  const auto y_of = [&](double v) { return kTop + (hi - v) / (hi - lo) * (plot_bottom - kTop); };

  std::string desc = Cat({"Stapeldiagram. ", subject, ". "});
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    std::string value = "ingen cell";
    if (b.cell && b.cell->status == CellStatus::kZero) {
      value = "noll";
    } else if (b.value) {
      value = Shown(*b.value, kind);
    } else if (b.cell) {
      value = "skyddad uppgift (..)";
    }
    desc += Cat({i > 0 ? "; " : "", b.label, ": ", value});
  }
  desc += ".";

  std::string svg =
      Cat({"<svg id=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", Px(kWidth), " ",
           Px(height), "\" role=\"img\" aria-labelledby=\"bars-title bars-desc\">\n"});
  svg += Cat({"<title id=\"bars-title\">", subject, "</title>\n<desc id=\"bars-desc\">", desc,
              "</desc>\n"});
  svg +=
      Cat({"<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
           "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#ffffff\"/>"
           "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"",
           kHatchColour, "\" stroke-width=\"2.5\"/></pattern></defs>\n"});
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  const double plot_right = kWidth - kRight;
  for (const double v : ticks) {
    const std::string y = Px(y_of(v));
    svg +=
        Cat({"<line class=\"tick-y\" data-value=\"", FormatValue(v, false), "\" x1=\"",
             Px(kLeft - 5), "\" y1=\"", y, "\" x2=\"", Px(plot_right), "\" y2=\"", y,
             "\" stroke=\"", v == 0 ? "#767676" : "#e2e2e2", "\"/>\n<text x=\"", Px(kLeft - 8),
             "\" y=\"", Px(y_of(v) + 4), "\" text-anchor=\"end\" class=\"tick-label\">",
             kind == MeasureKind::kShare ? Swedish(v * 100, v * 100 == std::round(v * 100) ? 0 : 1)
                                         : Swedish(v, v == std::round(v) ? 0 : 1),
             "</text>\n"});
  }
  svg += Cat({"<line x1=\"", Px(kLeft), "\" y1=\"", Px(kTop), "\" x2=\"", Px(kLeft), "\" y2=\"",
              Px(plot_bottom), "\" stroke=\"#767676\"/>\n"});
  const std::string mid = Px((kTop + plot_bottom) / 2);
  svg += Cat({"<text x=\"16\" y=\"", mid, "\" text-anchor=\"middle\" transform=\"rotate(-90 16 ",
              mid, ")\" class=\"axis-title\">", AxisWords(kind), "</text>\n"});

  const double zero = y_of(0);
  const double width = std::min(band * 0.62, 90.0);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double centre = kLeft + band * (static_cast<double>(i) + 0.5);
    const double x = centre - width / 2;
    const std::string level = b.cell ? Cat({" data-level=\"", b.label, "\""}) : "";
    chart.protected_bars =
        chart.protected_bars || (b.cell && b.cell->status == CellStatus::kProtected);
    chart.zero_bars = chart.zero_bars || (b.cell && b.cell->status == CellStatus::kZero);
    if (b.cell && b.cell->status == CellStatus::kProtected) {
      // A placeholder as tall as the plot, so that it cannot be read as a value.
      svg += Cat({"<rect class=\"bar-protected\"", level, " x=\"", Px(x), "\" y=\"", Px(kTop),
                  "\" width=\"", Px(width), "\" height=\"", Px(plot_bottom - kTop),
                  "\" fill=\"url(#hatch)\" stroke=\"", kOutlineColour,
                  "\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n"});
      // Its label on a white box: "..", and the word when the column is wide enough.
      const bool word = width >= 64;
      const double box_w = std::min(width - 8, word ? 72.0 : 30.0), box_h = word ? 42 : 26;
      const double middle = (kTop + plot_bottom) / 2;
      svg += Cat({"<rect x=\"", Px(centre - box_w / 2), "\" y=\"", Px(middle - box_h / 2),
                  "\" width=\"", Px(box_w), "\" height=\"", Px(box_h),
                  "\" rx=\"3\" fill=\"#ffffff\" stroke=\"", kOutlineColour, "\"/>\n<text x=\"",
                  Px(centre), "\" y=\"", Px(middle + (word ? -1 : 7)),
                  "\" text-anchor=\"middle\" class=\"marker\">", kProtectedMarker, "</text>\n"});
      if (word) {
        svg += Cat({"<text x=\"", Px(centre), "\" y=\"", Px(middle + 15),
                    "\" text-anchor=\"middle\" class=\"marker-word\" aria-hidden=\"true\">",
                    "skyddad</text>\n"});
      }
    } else if (b.cell && b.value) {  // a value is only ever read from a cell
      const double y = y_of(std::max(*b.value, 0.0));
      const double h = std::fabs(y_of(*b.value) - zero);
      const bool zero_cell = b.cell->status == CellStatus::kZero;
      if (!zero_cell) {
        svg += Cat({"<rect class=\"bar\"", level, " data-value=\"",
                    FormatValue(*b.value, IsCount(kind)), "\" x=\"", Px(x), "\" y=\"", Px(y),
                    "\" width=\"", Px(width), "\" height=\"", Px(h), "\" fill=\"", kBarColour,
                    "\"/>\n"});
      }
      const double label_y = *b.value < 0 ? y_of(*b.value) + 16 : y_of(*b.value) - 6;
      svg += Cat({"<text x=\"", Px(centre), "\" y=\"", Px(label_y),
                  "\" text-anchor=\"middle\" class=\"value-label\">",
                  zero_cell ? std::string(kZeroMarker) : Shown(*b.value, kind), "</text>\n"});
    } else if (b.cell && b.cell->status == CellStatus::kZero) {
      svg += Cat({"<text x=\"", Px(centre), "\" y=\"", Px(zero - 6),
                  "\" text-anchor=\"middle\" class=\"value-label\">", kZeroMarker, "</text>\n"});
    }
    const std::string ly = Px(plot_bottom + 18);
    if (slanted) {
      svg += Cat({"<text x=\"", Px(centre), "\" y=\"", ly,
                  "\" text-anchor=\"end\" class=\"tick-label\" transform=\"rotate(-35 ", Px(centre),
                  " ", ly, ")\">", b.label, "</text>\n"});
    } else {
      svg += Cat({"<text x=\"", Px(centre), "\" y=\"", ly,
                  "\" text-anchor=\"middle\" class=\"tick-label\">", b.label, "</text>\n"});
    }
  }
  svg += Cat({"<text x=\"", Px(kLeft + (plot_right - kLeft) / 2), "\" y=\"", Px(height - 10),
              "\" text-anchor=\"middle\" class=\"axis-title\">", DimensionWords(dims[0]),
              "</text>\n"});
  svg += "</svg>\n";
  chart.svg = std::move(svg);
  return chart;
}

// ---- The page ---------------------------------------------------------------------------------

constexpr std::string_view kStyle =
    "svg text.value-label{font-size:12px;fill:#1a1a1a}"
    "svg text.marker{font-size:22px;font-weight:bold;fill:#1a1a1a}"
    "svg text.marker-word{font-size:11.5px;fill:#333}"
    "ul.legend{list-style:none;padding:0;margin:.3rem 0 0;display:flex;flex-wrap:wrap;"
    "gap:.3rem 1.2rem;font-size:.85rem}ul.legend li{display:flex;align-items:center;gap:.35rem}"
    "ul.legend svg{width:22px;height:14px;flex:none}"
    "table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.85rem}"
    "caption{text-align:left;font-weight:bold;padding-bottom:.3rem}"
    "th,td{border:1px solid #bbb;padding:.15rem .5rem;text-align:right;white-space:nowrap}"
    "th{background:#eef2f7}th[scope=row],th.stub,thead th:first-child{text-align:left}"
    "table.data{min-width:26rem}"
    "th[scope=colgroup]{text-align:center}"
    ".total{font-weight:bold}td.protected,td.zero{text-align:center}"
    "dl.markers{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .9rem;margin:.3rem 0}"
    "dl.markers dt{font-weight:bold;text-align:center;min-width:2.2rem}dl.markers dd{margin:0}"
    "ul.methods{padding-left:1.2rem}ul.methods li{margin:.1rem 0}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@page{size:A4;margin:12mm}"
    "@media print{main{max-width:none;padding:0}h1{font-size:15pt}h2{font-size:12pt;"
    "margin-top:.8rem}html{font-size:9.5pt}figure,table,dl.markers{break-inside:avoid}}";

constexpr std::string_view kLegendIcon =
    "<li><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 22 14\" aria-hidden=\"true\">"
    "<rect x=\"1\" y=\"1\" width=\"20\" height=\"12\" ";

// The markers the chart shows: its bars always, the placeholder and the dash when it has them.
std::string Legend(const Chart& chart) {
  std::string out = Cat({"<ul class=\"legend\" aria-label=\"Teckenförklaring\">\n", kLegendIcon,
                         "fill=\"", kBarColour, "\"/></svg>Publicerat värde</li>\n"});
  if (chart.protected_bars) {
    out += Cat({kLegendIcon, "fill=\"url(#hatch)\" stroke=\"", kOutlineColour,
                "\" stroke-dasharray=\"5 3\"/></svg>", kProtectedMarker,
                " Skyddad uppgift (visas inte)</li>\n"});
  }
  if (chart.zero_bars) out += Cat({"<li>", kZeroMarker, " Noll: inga episoder</li>\n"});
  return out + "</ul>\n";
}

std::string Filters(const Table& table) {
  std::vector<std::string> parts;
  for (const Filter& f : table.query.filters) {
    std::vector<std::string> values;
    for (const std::string& v : f.values) {
      values.push_back(v.empty() ? "(uppgift saknas)" : EscapeHtml(v));
    }
    parts.push_back(Cat({Lower(DimensionWords(f.dimension)), ": ", Enumerate(values)}));
  }
  return Enumerate(parts);
}

std::string Methods(const Table& table) {
  const Protection& p = table.query.protection;
  std::string out =
      "<section class=\"methods\">\n<h2>Metod och röjandeskydd</h2>\n"
      "<p>Tabellen är beräknad ur uppföljningsregistret och skyddad innan den lämnade systemet: "
      "inga enskilda uppgifter visas, bara celler, och varje cell är prövad så att ingen person "
      "kan röjas.</p>\n<dl class=\"markers\">\n";
  constexpr std::string_view kProtectedWhy =
      "Uppgiften visas inte för att skydda enskilda personer: cellen har för få personer "
      "(färre än ";
  constexpr std::string_view kProtectedHow =
      "), domineras av en eller ett par personer, eller döljs för att en annan skyddad uppgift "
      "inte ska kunna räknas fram ur summorna. Vilket skäl som gäller anges inte.";
  out += Cat({"<dt>", kProtectedMarker, "</dt><dd>", kProtectedWhy, std::to_string(p.threshold),
              kProtectedHow, "</dd>\n"});
  if (table.query.measure.kind == MeasureKind::kMean ||
      table.query.measure.kind == MeasureKind::kMedian) {
    out += Cat({"<dt>", kProtectedMarker,
                "</dt><dd>Också när ingen episod i cellen har ett värde att räkna på.</dd>\n"});
  }
  out += Cat({"<dt>", kZeroMarker, "</dt><dd>Noll: inga episoder i cellen.</dd>\n"});
  if (table.query.margins) {
    out += Cat({"<dt>", kMarginText,
                "</dt><dd>Summan över alla värden på dimensionen, skyddad som de andra "
                "cellerna.</dd>\n"});
  }
  out += "</dl>\n";
  if (p.cell_key) {
    out += Cat({"<p>Antalen är slumpmässigt justerade med högst ",
                std::to_string(p.cell_key->max_deviation),
                " (cellnyckelmetoden): samma personer ger alltid samma justering, och delarna "
                "summerar därför inte alltid exakt till totalen.</p>\n"});
  }
  if (p.dp) {
    out += Cat({"<p>Värdena har slumpmässigt brus enligt differentiell integritet (ε = ",
                Swedish(p.dp->epsilon, p.dp->epsilon == std::round(p.dp->epsilon) ? 0 : 2),
                "): de är skattningar, inte exakta tal.</p>\n"});
  }
  if (!IsCount(table.query.measure.kind)) {
    out += Cat({"<p>", table.query.measure.kind == MeasureKind::kShare ? "Andelar" : "Värden",
                " avrundas till en decimal på sidan och till ", std::to_string(kValueDecimals),
                " decimaler i tabellens JSON och CSV.</p>\n"});
  }
  out += "<h3>Utförda metoder</h3>\n<ul class=\"methods\">\n";
  for (const std::string& m : table.methods) out += Cat({"<li>", EscapeHtml(m), "</li>\n"});
  if (table.methods.empty()) out += "<li>Inga metoder angivna.</li>\n";
  out += "</ul>\n</section>\n";
  return out;
}

}  // namespace

std::string TableHtml(const Table& table) {
  const std::vector<Dimension>& dims = table.query.dimensions;
  const std::string measure = MeasureWords(table.query.measure);
  std::vector<std::string> dim_words;
  dim_words.reserve(dims.size());
  for (const Dimension d : dims) dim_words.push_back(Lower(DimensionWords(d)));
  const std::string title =
      dims.empty() ? measure : Cat({measure, " efter ", Enumerate(dim_words)});

  std::string out = Cat(
      {"<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n",
       // Nothing may load or run: the page is the table and nothing else.
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ",
       "style-src 'unsafe-inline'\">\n",
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", title,
       "</title>\n<style>", kChartPageStyle, kStyle, "</style>\n</head>\n<body>\n<main>\n<h1>",
       title,
       "</h1>\n<p class=\"meta\">Gruppstatistik ur uppföljningsregistret, skyddad mot röjande"});
  if (!table.query.filters.empty()) out += Cat({". Urval: ", Filters(table)});
  if (table.query.margins) out += ". Med totaler";
  out += ".</p>\n";

  if (!dims.empty()) {
    const Chart chart = ChartSvg(table, measure);
    out += Cat({"<figure class=\"bars\">\n", chart.svg, Legend(chart), "</figure>\n"});
  }
  out += Cat({"<h2>Tabell</h2>\n", DataTable(table, title)});
  out += Methods(table);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace varsam::insights
