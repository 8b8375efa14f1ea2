// The client chart (varsam/outcomes.h, ClientChartHtml; docs/outcomes.md, "The client chart"):
// the page a practitioner and a client look at together each session. One self-contained HTML
// page: no script, nothing loaded (a Content-Security-Policy forbids it), every text escaped,
// printable on A4.
//
// Colour is never the only signal (WCAG 2.1, 1.4.1 "Use of Color"): each track has its own
// marker (a filled disc on target, a ring below the target, a disc with a cross below the
// boundary), every line its own dash pattern, and a table under the chart carries the same data
// in words for screen readers (1.1.1 "Non-text Content"; the SVG is role="img" with a <title>
// and a <desc>). Points and ticks carry data-* attributes with their values, so that a test can
// check where they are drawn without knowing the layout's constants.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/core.h"
#include "varsam/outcomes.h"

namespace varsam::outcomes {
namespace {

// ---- Words ------------------------------------------------------------------------------------

struct Words {
  std::string_view page_title, session, score, expected_curve, boundary_curve, cutoff,
      reliable_change, open_suggestions, no_suggestions, expected, boundary, track, date, intake,
      latest, alliance, alliance_cutoff, below_alliance_cutoff, below, higher_better, lower_better,
      client, client_lower, on_target, below_target, below_boundary, no_check, data_caption,
      no_points, sessions, from_intake, legend, series, points_word, at_session, suggestion_created;
};

constexpr Words kSwedish{
    .page_title = "Klientdiagram",
    .session = "Session",
    .score = "Poäng",
    .expected_curve = "Förväntad utveckling",
    .boundary_curve = "Gräns för ej på väg",
    .cutoff = "Klinisk gräns",
    .reliable_change = "Tillförlitlig förändring",
    .open_suggestions = "Öppna förslag",
    .no_suggestions = "Inga öppna förslag.",
    .expected = "Förväntad",
    .boundary = "Gräns",
    .track = "Läge",
    .date = "Datum",
    .intake = "Intag",
    .latest = "senaste",
    .alliance = "Allians",
    .alliance_cutoff = "Gräns",
    .below_alliance_cutoff = "under gränsen",
    .below = "under",
    .higher_better = "högre är bättre",
    .lower_better = "lägre är bättre",
    .client = "Klient",
    .client_lower = "klient",
    .on_target = "På väg mot målet",
    .below_target = "Under målet",
    .below_boundary = "Under gränsen (ej på väg)",
    .no_check = "Ingen jämförelse",
    .data_caption = "Diagrammets data",
    .no_points = "Inga mätningar ännu.",
    .sessions = "sessioner",
    .from_intake = "från intaget",
    .legend = "Teckenförklaring",
    .series = "Klientens poäng",
    .points_word = "poäng",
    .at_session = "vid session",
    .suggestion_created = "skapat",
};

constexpr Words kEnglish{
    .page_title = "Client chart",
    .session = "Session",
    .score = "Score",
    .expected_curve = "Expected progress",
    .boundary_curve = "Not-on-track boundary",
    .cutoff = "Clinical cut-off",
    .reliable_change = "Reliable change",
    .open_suggestions = "Open suggestions",
    .no_suggestions = "No open suggestions.",
    .expected = "Expected",
    .boundary = "Boundary",
    .track = "Track",
    .date = "Date",
    .intake = "Intake",
    .latest = "latest",
    .alliance = "Alliance",
    .alliance_cutoff = "Cut-off",
    .below_alliance_cutoff = "below the cut-off",
    .below = "below",
    .higher_better = "higher is better",
    .lower_better = "lower is better",
    .client = "Client",
    .client_lower = "client",
    .on_target = "On target",
    .below_target = "Below target",
    .below_boundary = "Below the boundary (not on track)",
    .no_check = "Not compared",
    .data_caption = "The chart's data",
    .no_points = "No measurements yet.",
    .sessions = "sessions",
    .from_intake = "from intake",
    .legend = "Legend",
    .series = "The client's scores",
    .points_word = "points",
    .at_session = "at session",
    .suggestion_created = "created",
};

const Words& WordsOf(Language language) {
  return language == Language::kEnglish ? kEnglish : kSwedish;
}

std::string_view TrackWords(const Words& w, Track track) {
  switch (track) {
    case Track::kOnTarget: return w.on_target;
    case Track::kBelowTarget: return w.below_target;
    case Track::kBelowBoundary: return w.below_boundary;
  }
  return w.no_check;
}

// ---- Text and numbers -------------------------------------------------------------------------

// The shortest form that reads back as the same double: what data-* attributes carry.
std::string Exact(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buffer[32];
  const auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), v);
  if (ec != std::errc()) return "NaN";
  std::string out(buffer, end);
  return out == "-0" ? "0" : out;
}

// A coordinate: three decimals are a thousandth of a pixel.
std::string Px(double v) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.3f", v);
  return buffer;
}

// A value for people: at most `digits` decimals, trailing zeros dropped, a decimal comma in
// Swedish.
std::string Shown(double v, Language language, int digits = 1) {
  if (!std::isfinite(v)) return "–";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  std::string out = buffer;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  if (language == Language::kSwedish) std::replace(out.begin(), out.end(), '.', ',');
  // A real minus sign reads better than a hyphen.
  if (!out.empty() && out.front() == '-') out = Cat({"−", out.substr(1)});
  return out;
}

// ---- Geometry ---------------------------------------------------------------------------------

// Both panels share the width and the horizontal margins, so that a session sits at the same x
// in the scores panel and in the alliance panel below it.
// The right margin holds the lines' labels, at the lines' ends.
constexpr double kWidth = 820;
constexpr double kLeft = 64, kRight = 124;
constexpr double kPlotRight = kWidth - kRight;
constexpr double kScoresHeight = 380, kAllianceHeight = 200;
constexpr double kTop = 18, kBottom = 46;

struct Frame {
  double top = 0, bottom = 0;  // of the plot area
  double y_min = 0, y_max = 1;
  int sessions = 2;  // the x axis runs from 1 to this

  double X(double session) const {
    return kLeft + (session - 1) / (sessions - 1) * (kPlotRight - kLeft);
  }
  double Y(double value) const { return top + (y_max - value) / (y_max - y_min) * (bottom - top); }
  double Clamp(double value) const { return std::clamp(value, y_min, y_max); }
};

// Tick values: the smallest step of 1, 2, 2.5 or 5 times a power of ten that gives at most one
// step per 30 px of the axis, and at most eight.
std::vector<double> YTicks(double lo, double hi, double pixels) {
  const double most = std::clamp(std::floor(pixels / 30), 2.0, 8.0);
  const double range = hi - lo;
  const double step = TickStep(range, most);
  std::vector<double> ticks;
  const double eps = range * 1e-9;
  for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps && ticks.size() < 20; k += 1) {
    ticks.push_back(k * step == 0 ? 0 : k * step);
  }
  return ticks;
}

int XStep(int sessions) {
  if (sessions <= 20) return 1;
  if (sessions <= 40) return 2;
  if (sessions <= 100) return 5;
  return 10;
}

void Axes(std::string& svg, const Frame& f, std::string_view axis_title, std::string_view x_title,
          Language language) {
  for (const double v : YTicks(f.y_min, f.y_max, f.bottom - f.top)) {
    const std::string y = Px(f.Y(v));
    svg +=
        Cat({"<line class=\"tick-y\" data-value=\"", Exact(v), "\" x1=\"", Px(kLeft - 5),
             "\" y1=\"", y, "\" x2=\"", Px(kPlotRight), "\" y2=\"", y,
             "\" stroke=\"#e2e2e2\"/>\n<text x=\"", Px(kLeft - 8), "\" y=\"", Px(f.Y(v) + 4),
             "\" text-anchor=\"end\" class=\"tick-label\">", Shown(v, language, 2), "</text>\n"});
  }
  const int step = XStep(f.sessions);
  for (int s = 1; s <= f.sessions; s += (s == 1 && step > 1) ? step - 1 : step) {
    const std::string x = Px(f.X(s));
    svg += Cat({"<line class=\"tick-x\" data-value=\"", std::to_string(s), "\" x1=\"", x,
                "\" y1=\"", Px(f.top), "\" x2=\"", x, "\" y2=\"", Px(f.bottom + 5),
                "\" stroke=\"#eeeeee\"/>\n<text x=\"", x, "\" y=\"", Px(f.bottom + 18),
                "\" text-anchor=\"middle\" class=\"tick-label\">", std::to_string(s), "</text>\n"});
  }
  svg += Cat({"<rect x=\"", Px(kLeft), "\" y=\"", Px(f.top), "\" width=\"", Px(kPlotRight - kLeft),
              "\" height=\"", Px(f.bottom - f.top), "\" fill=\"none\" stroke=\"#767676\"/>\n"});
  svg += Cat({"<text x=\"", Px(kLeft + (kPlotRight - kLeft) / 2), "\" y=\"", Px(f.bottom + 38),
              "\" text-anchor=\"middle\" class=\"axis-title\">", EscapeHtml(x_title), "</text>\n"});
  const std::string mid = Px((f.top + f.bottom) / 2);
  svg += Cat({"<text x=\"16\" y=\"", mid, "\" text-anchor=\"middle\" transform=\"rotate(-90 16 ",
              mid, ")\" class=\"axis-title\">", EscapeHtml(axis_title), "</text>\n"});
}

// ---- Markers ----------------------------------------------------------------------------------

constexpr std::string_view kSeriesColour = "#1d3557";  // navy: the client's line
constexpr std::string_view kGreen = "#1a7f37";
constexpr std::string_view kAmber = "#b35c00";  // 4.7:1 on white; a pure yellow is 1.1:1
constexpr std::string_view kRed = "#c62828";
constexpr std::string_view kCutoffColour = "#5e3c99";
constexpr std::string_view kBand = "#9ecae1";      // light blue, under the lines
constexpr std::string_view kBandText = "#2b6a94";  // its label, dark enough to read

// The marker of a point: the <circle> carries the position and the data; below the boundary a
// white cross is drawn on it, so that the track reads without colour.
std::string Marker(double cx, double cy, std::optional<Track> track, std::string_view data) {
  std::string fill(kSeriesColour), stroke(kSeriesColour), extra;
  double r = 4.5;
  std::string_view cls = "none";
  if (track) {
    switch (*track) {
      case Track::kOnTarget:
        fill = stroke = std::string(kGreen);
        cls = "on_target";
        break;
      case Track::kBelowTarget:
        fill = "#ffffff";
        stroke = std::string(kAmber);
        r = 5;
        cls = "below_target";
        break;
      case Track::kBelowBoundary:
        fill = stroke = std::string(kRed);
        r = 6.5;
        cls = "below_boundary";
        extra = Cat({"<path class=\"mark\" aria-hidden=\"true\" d=\"M", Px(cx - 3), " ", Px(cy - 3),
                     "L", Px(cx + 3), " ", Px(cy + 3), "M", Px(cx - 3), " ", Px(cy + 3), "L",
                     Px(cx + 3), " ", Px(cy - 3),
                     "\" stroke=\"#ffffff\" stroke-width=\"1.8\" fill=\"none\"/>\n"});
        break;
    }
  }
  return Cat({"<circle class=\"point\" ", data, " data-track=\"", cls, "\" cx=\"", Px(cx),
              "\" cy=\"", Px(cy), "\" r=\"", Shown(r, Language::kEnglish, 2), "\" fill=\"", fill,
              "\" stroke=\"", stroke, "\" stroke-width=\"2.5\"/>\n", extra});
}

// ---- The chart's facts ------------------------------------------------------------------------

struct Row {
  int session = 0;
  std::optional<Date> date;
  std::optional<double> score;
  std::optional<CurvePoint> curve;
  std::optional<Track> track;
  std::optional<double> alliance;
};

bool Finite(double v) { return std::isfinite(v); }

std::map<int, Row> Rows(const ClientChart& chart) {
  std::map<int, Row> rows;
  const auto at = [&](int session) -> Row& {
    Row& row = rows[session];
    row.session = session;
    return row;
  };
  for (const TrajectoryPoint& p : chart.trajectory.points) {
    if (p.session < 1 || !Finite(p.total)) continue;
    Row& row = at(p.session);
    row.score = p.total;
    if (p.date != Date{}) row.date = p.date;
  }
  for (const CurvePoint& c : chart.curve) {
    if (c.session >= 1 && Finite(c.expected) && Finite(c.boundary)) at(c.session).curve = c;
  }
  for (const SessionCheck& c : chart.checks) {
    if (c.session < 1) continue;
    Row& row = at(c.session);
    row.track = c.track;
    if (!row.curve && Finite(c.curve.expected) && Finite(c.curve.boundary)) {
      row.curve = c.curve;
      row.curve->session = c.session;
    }
  }
  if (chart.alliance) {
    for (const TrajectoryPoint& p : chart.alliance->points) {
      if (p.session < 1 || !Finite(p.total)) continue;
      Row& row = at(p.session);
      row.alliance = p.total;
      if (!row.date && p.date != Date{}) row.date = p.date;
    }
  }
  return rows;
}

struct Scale {
  double min = 0, max = 40;
};

Scale ScoreScale(const ClientChart& chart) {
  if (Finite(chart.scale_min) && Finite(chart.scale_max) && chart.scale_max > chart.scale_min) {
    return {chart.scale_min, chart.scale_max};
  }
  return {};
}

// SRS and CSRS run from 0 to 40; a larger value (another alliance measure) widens the axis.
Scale AllianceScale(const ClientChart& chart) {
  Scale s{0, 40};
  if (chart.alliance) {
    for (const TrajectoryPoint& p : chart.alliance->points) {
      if (Finite(p.total)) {
        s.min = std::min(s.min, std::floor(p.total));
        s.max = std::max(s.max, std::ceil(p.total));
      }
    }
  }
  if (Finite(chart.alliance_cutoff)) s.max = std::max(s.max, std::ceil(chart.alliance_cutoff));
  return s;
}

// ---- The scores panel -------------------------------------------------------------------------

std::string Polyline(const Frame& f, const std::vector<std::pair<int, double>>& vertices,
                     std::string_view cls, std::string_view colour, std::string_view dash,
                     double width) {
  if (vertices.empty()) return "";
  std::string points;
  for (const auto& [session, value] : vertices) {
    points += Cat({points.empty() ? "" : " ", Px(f.X(session)), ",", Px(f.Y(value))});
  }
  return Cat({"<polyline class=\"", cls, "\" fill=\"none\" stroke=\"", colour, "\" stroke-width=\"",
              Shown(width, Language::kEnglish, 2), "\"",
              dash.empty() ? "" : Cat({" stroke-dasharray=\"", dash, "\""}),
              " stroke-linejoin=\"round\" points=\"", points, "\"/>\n"});
}

std::string Description(const ClientChart& chart, const std::map<int, Row>& rows, const Words& w) {
  const Language lang = chart.language;
  std::string name =
      chart.instrument_name.empty() ? chart.trajectory.instrument : chart.instrument_name;
  std::string out = EscapeHtml(name);
  if (!chart.client_label.empty()) {
    out += Cat({", ", w.client_lower, " ", EscapeHtml(chart.client_label)});
  }
  out += Cat({" (", chart.higher_is_better ? w.higher_better : w.lower_better, "). "});
  const Row* first = nullptr;
  const Row* last = nullptr;
  for (const auto& [session, row] : rows) {
    if (!row.score) continue;
    if (!first) first = &row;
    last = &row;
  }
  if (!first) return out + EscapeHtml(w.no_points);
  out += Cat({w.intake, " ", Shown(*first->score, lang, 2), " ", w.points_word, " ", w.at_session,
              " ", std::to_string(first->session)});
  if (last != first) {
    const double change = *last->score - *first->score;
    out += Cat({"; ", w.latest, " ", Shown(*last->score, lang, 2), " ", w.points_word, " ",
                w.at_session, " ", std::to_string(last->session), " (", change >= 0 ? "+" : "",
                Shown(change, lang, 2), " ", w.from_intake, ")"});
    if (last->track) {
      std::string track(TrackWords(w, *last->track));
      track[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(track[0])));
      out += Cat({": ", track});
    }
  }
  out += ".";
  if (chart.cutoff && Finite(*chart.cutoff)) {
    out += Cat({" ", w.cutoff, " ", Shown(*chart.cutoff, lang, 2), "."});
  }
  if (chart.reliable_change && Finite(*chart.reliable_change)) {
    out += Cat({" ", w.reliable_change, " ±", Shown(*chart.reliable_change, lang, 2), "."});
  }
  return out;
}

// ---- Labels in the right margin ---------------------------------------------------------------

// A line's name at its right end, in its colour. Labels that would overlap are pushed apart
// and joined to their line by a short leader.
struct MarginLabel {
  double anchor = 0;  // the y where the line ends
  std::string text;   // escaped
  std::string_view colour;
  double y = 0;  // of the label's middle, after placement
  bool two_lines = false;
};

std::size_t Characters(std::string_view utf8) {
  std::size_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A label wider than the margin is broken at the space nearest its middle.
std::pair<std::string, std::string> Lines(const std::string& text) {
  std::size_t best = std::string::npos;
  for (std::size_t at = text.find(' '); at != std::string::npos; at = text.find(' ', at + 1)) {
    const auto off = [&](std::size_t p) {
      const std::size_t left = Characters(std::string_view(text).substr(0, p));
      const std::size_t total = Characters(text);
      return left > total / 2 ? left - total / 2 : total / 2 - left;
    };
    if (best == std::string::npos || off(at) < off(best)) best = at;
  }
  if (best == std::string::npos) return {text, ""};
  return {text.substr(0, best), text.substr(best + 1)};
}

void PlaceLabels(std::string& svg, std::vector<MarginLabel> labels, const Frame& f) {
  if (labels.empty()) return;
  constexpr double kCharWidth = 6.3;  // of the 11.5 px font, on average
  constexpr double kLine = 13.5;
  for (MarginLabel& l : labels) {
    l.two_lines = static_cast<double>(Characters(l.text)) * kCharWidth > kRight - 14;
    l.y = l.anchor;
  }
  std::stable_sort(labels.begin(), labels.end(),
                   [](const MarginLabel& a, const MarginLabel& b) { return a.anchor < b.anchor; });
  const auto half = [&](const MarginLabel& l) { return l.two_lines ? kLine : kLine / 2; };
  // Downwards from the top, then back up from the bottom when the last one ran out of room.
  double floor_y = f.top - 6;
  for (MarginLabel& l : labels) {
    l.y = std::max(l.y, floor_y + half(l));
    floor_y = l.y + half(l) + 1;
  }
  double ceiling = f.bottom + 6;
  for (auto l = labels.rbegin(); l != labels.rend(); ++l) {
    l->y = std::min(l->y, ceiling - half(*l));
    ceiling = l->y - half(*l) - 1;
  }
  const double x = kPlotRight + 10;
  for (const MarginLabel& l : labels) {
    svg += Cat({"<path class=\"leader\" d=\"M", Px(kPlotRight), " ", Px(l.anchor), "L",
                Px(kPlotRight + 4), " ", Px(l.anchor), "L", Px(x - 2), " ", Px(l.y), "\" stroke=\"",
                l.colour, "\" fill=\"none\"/>\n"});
    svg += Cat({"<text class=\"line-label\" x=\"", Px(x), "\" fill=\"", l.colour, "\""});
    if (!l.two_lines) {
      svg += Cat({" y=\"", Px(l.y + 4), "\">", l.text, "</text>\n"});
    } else {
      const auto [first, second] = Lines(l.text);
      svg += Cat({" y=\"", Px(l.y - 2.5), "\"><tspan>", first, "</tspan><tspan x=\"", Px(x),
                  "\" dy=\"", Px(kLine), "\">", second, "</tspan></text>\n"});
    }
  }
}

// ---- The scores panel -------------------------------------------------------------------------

std::string ScoresSvg(const ClientChart& chart, const std::map<int, Row>& rows, const Frame& f,
                      const Words& w) {
  const Language lang = chart.language;
  const std::string name =
      chart.instrument_name.empty() ? chart.trajectory.instrument : chart.instrument_name;
  std::string svg = Cat({"<svg id=\"scores\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ",
                         Px(kWidth), " ", Px(kScoresHeight),
                         "\" role=\"img\" aria-labelledby=\"scores-title scores-desc\">\n"});
  svg += Cat({"<title id=\"scores-title\">", w.page_title, ": ", EscapeHtml(name), "</title>\n"});
  svg += Cat({"<desc id=\"scores-desc\">", Description(chart, rows, w), "</desc>\n"});
  svg += Cat({"<defs><clipPath id=\"scores-plot\"><rect x=\"", Px(kLeft), "\" y=\"", Px(f.top),
              "\" width=\"", Px(kPlotRight - kLeft), "\" height=\"", Px(f.bottom - f.top),
              "\"/></clipPath></defs>\n"});
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  std::vector<MarginLabel> labels;

  // The reliable-change band around the intake, under everything else.
  std::optional<double> intake;
  for (const auto& [session, row] : rows) {
    if (row.score) {
      intake = *row.score;
      break;
    }
  }
  if (intake && chart.reliable_change && Finite(*chart.reliable_change) &&
      *chart.reliable_change > 0) {
    const double rc = *chart.reliable_change;
    const double hi = f.Clamp(*intake + rc);
    const double lo = f.Clamp(*intake - rc);
    svg += Cat({"<rect class=\"reliable-change\" data-low=\"", Exact(*intake - rc),
                "\" data-high=\"", Exact(*intake + rc), "\" x=\"", Px(kLeft), "\" y=\"",
                Px(f.Y(hi)), "\" width=\"", Px(kPlotRight - kLeft), "\" height=\"",
                Px(f.Y(lo) - f.Y(hi)), "\" fill=\"", kBand, "\" fill-opacity=\"0.35\"/>\n"});
    labels.push_back(
        {f.Y(f.Clamp(*intake)), Cat({w.reliable_change, " ±", Shown(rc, lang, 2)}), kBandText});
  }
  Axes(svg, f, Cat({name, " (", chart.higher_is_better ? w.higher_better : w.lower_better, ")"}),
       w.session, lang);

  // The clinical cut-off.
  if (chart.cutoff && Finite(*chart.cutoff) && *chart.cutoff >= f.y_min &&
      *chart.cutoff <= f.y_max) {
    const std::string y = Px(f.Y(*chart.cutoff));
    svg += Cat({"<line class=\"cutoff\" data-value=\"", Exact(*chart.cutoff), "\" x1=\"", Px(kLeft),
                "\" y1=\"", y, "\" x2=\"", Px(kPlotRight), "\" y2=\"", y, "\" stroke=\"",
                kCutoffColour, "\" stroke-width=\"1.5\" stroke-dasharray=\"10 4 2 4\"/>\n"});
    labels.push_back(
        {f.Y(*chart.cutoff), Cat({w.cutoff, " ", Shown(*chart.cutoff, lang, 2)}), kCutoffColour});
  }

  // The expected curve and its boundary, cut to the plot area.
  std::vector<std::pair<int, double>> expected, boundary;
  for (const auto& [session, row] : rows) {
    if (row.curve && session <= f.sessions) {
      expected.emplace_back(session, row.curve->expected);
      boundary.emplace_back(session, row.curve->boundary);
    }
  }
  svg += "<g clip-path=\"url(#scores-plot)\">\n";
  svg += Polyline(f, boundary, "boundary", kRed, "", 2);
  svg += Polyline(f, expected, "expected", kGreen, "7 4", 2.5);
  svg += "</g>\n";
  if (!expected.empty()) {
    labels.push_back({f.Y(f.Clamp(expected.back().second)), std::string(w.expected_curve), kGreen});
    labels.push_back({f.Y(f.Clamp(boundary.back().second)), std::string(w.boundary_curve), kRed});
  }
  PlaceLabels(svg, std::move(labels), f);

  // The client's scores.
  std::vector<std::pair<int, double>> scores;
  for (const auto& [session, row] : rows) {
    if (row.score) scores.emplace_back(session, *row.score);
  }
  svg += Polyline(f, scores, "series", kSeriesColour, "", 2);
  for (const auto& [session, row] : rows) {
    if (!row.score) continue;
    svg += Marker(f.X(session), f.Y(*row.score), row.track,
                  Cat({"data-session=\"", std::to_string(session), "\" data-score=\"",
                       Exact(*row.score), "\""}));
  }
  svg += "</svg>\n";
  return svg;
}

// ---- The alliance panel -----------------------------------------------------------------------

std::string AllianceSvg(const ClientChart& chart, const std::map<int, Row>& rows, const Frame& f,
                        const Words& w) {
  const Language lang = chart.language;
  const std::string name = chart.alliance_name.empty() ? "SRS" : chart.alliance_name;
  const bool has_cutoff = Finite(chart.alliance_cutoff);
  std::string desc = Cat({w.alliance, " (", EscapeHtml(name), ")"});
  int below = 0, count = 0;
  const Row* last = nullptr;
  for (const auto& [session, row] : rows) {
    if (!row.alliance) continue;
    ++count;
    last = &row;
    if (has_cutoff && *row.alliance < chart.alliance_cutoff) ++below;
  }
  if (last) {
    desc += Cat({": ", std::to_string(count), " ", w.sessions, ", ", w.latest, " ",
                 Shown(*last->alliance, lang, 2), " ", w.at_session, " ",
                 std::to_string(last->session)});
    if (has_cutoff) {
      desc += Cat({"; ", std::to_string(below), " ", w.below_alliance_cutoff, " ",
                   Shown(chart.alliance_cutoff, lang, 2)});
    }
  }
  desc += ".";
  std::string svg = Cat({"<svg id=\"alliance\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ",
                         Px(kWidth), " ", Px(kAllianceHeight),
                         "\" role=\"img\" aria-labelledby=\"alliance-title alliance-desc\">\n"});
  svg += Cat({"<title id=\"alliance-title\">", w.alliance, ": ", EscapeHtml(name), "</title>\n"});
  svg += Cat({"<desc id=\"alliance-desc\">", desc, "</desc>\n"});
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  Axes(svg, f, name, w.session, lang);
  if (has_cutoff && chart.alliance_cutoff >= f.y_min && chart.alliance_cutoff <= f.y_max) {
    const std::string y = Px(f.Y(chart.alliance_cutoff));
    svg += Cat({"<line class=\"alliance-cutoff\" data-value=\"", Exact(chart.alliance_cutoff),
                "\" x1=\"", Px(kLeft), "\" y1=\"", y, "\" x2=\"", Px(kPlotRight), "\" y2=\"", y,
                "\" stroke=\"", kCutoffColour,
                "\" stroke-width=\"1.5\" stroke-dasharray=\"10 4 2 4\"/>\n"});
    PlaceLabels(
        svg,
        {{f.Y(chart.alliance_cutoff),
          Cat({w.alliance_cutoff, " ", Shown(chart.alliance_cutoff, lang, 2)}), kCutoffColour}},
        f);
  }
  std::vector<std::pair<int, double>> values;
  for (const auto& [session, row] : rows) {
    if (row.alliance) values.emplace_back(session, *row.alliance);
  }
  svg += Polyline(f, values, "series", kSeriesColour, "", 2);
  for (const auto& [session, row] : rows) {
    if (!row.alliance) continue;
    // Below the cut-off: the ring of "below target", a reason to ask about the session.
    const std::optional<Track> mark = has_cutoff && *row.alliance < chart.alliance_cutoff
                                          ? std::optional<Track>(Track::kBelowTarget)
                                          : std::nullopt;
    svg += Marker(f.X(session), f.Y(*row.alliance), mark,
                  Cat({"data-session=\"", std::to_string(session), "\" data-score=\"",
                       Exact(*row.alliance), "\""}));
  }
  svg += "</svg>\n";
  return svg;
}

// ---- The page ---------------------------------------------------------------------------------

constexpr std::string_view kStyle =
    "svg text.line-label{font-size:11.5px;paint-order:stroke;stroke:#fff;stroke-width:3px}"
    "ul.legend{list-style:none;padding:0;margin:.3rem 0 0;display:flex;flex-wrap:wrap;"
    "gap:.3rem 1.2rem;font-size:.85rem}ul.legend li{display:flex;align-items:center;gap:.35rem}"
    "ul.legend svg{width:30px;height:14px;flex:none}"
    "table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.85rem}"
    "caption{text-align:left;font-weight:bold;padding-bottom:.3rem}"
    "th,td{border:1px solid #bbb;padding:.15rem .5rem;text-align:right;white-space:nowrap}"
    "th{background:#eef2f7}td.track,th.track{text-align:left;white-space:normal}"
    "tr.below_boundary td.track{font-weight:bold}"
    "ul.suggestions{padding-left:1.2rem}ul.suggestions li{margin:.2rem 0}"
    "ul.suggestions time{color:#444;font-size:.85rem}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@page{size:A4;margin:12mm}"
    "@media print{main{max-width:none;padding:0}h1{font-size:15pt}h2{font-size:12pt;"
    "margin-top:.8rem}html{font-size:9.5pt}figure,table,ul.legend{break-inside:avoid}}";

constexpr std::string_view kLegendIcon =
    "<li><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 30 14\" aria-hidden=\"true\">";

std::string LegendItem(std::string_view icon, std::string_view text) {
  return Cat({kLegendIcon, icon, "</svg>", text, "</li>\n"});
}

std::string Legend(const ClientChart& chart, const std::map<int, Row>& rows, const Words& w) {
  bool curve = false, checks = false;
  for (const auto& [session, row] : rows) {
    curve = curve || row.curve.has_value();
    checks = checks || row.track.has_value();
  }
  const auto line = [](std::string_view colour, std::string_view dash, std::string_view width) {
    return Cat({"<line x1=\"1\" y1=\"7\" x2=\"29\" y2=\"7\" stroke=\"", colour,
                "\" stroke-width=\"", width, "\"",
                dash.empty() ? "" : Cat({" stroke-dasharray=\"", dash, "\""}), "/>"});
  };
  std::string out = Cat({"<ul class=\"legend\" aria-label=\"", w.legend, "\">\n"});
  out += LegendItem(Cat({line(kSeriesColour, "", "2"), "<circle cx=\"15\" cy=\"7\" r=\"4\" fill=\"",
                         kSeriesColour, "\"/>"}),
                    w.series);
  if (checks) {
    out += LegendItem(Cat({"<circle cx=\"15\" cy=\"7\" r=\"4.5\" fill=\"", kGreen, "\"/>"}),
                      w.on_target);
    out += LegendItem(Cat({"<circle cx=\"15\" cy=\"7\" r=\"4.5\" fill=\"#fff\" stroke=\"", kAmber,
                           "\" stroke-width=\"2.5\"/>"}),
                      w.below_target);
    out += LegendItem(Cat({"<circle cx=\"15\" cy=\"7\" r=\"6\" fill=\"", kRed,
                           "\"/><path d=\"M12 4L18 10M12 10L18 4\" stroke=\"#fff\" "
                           "stroke-width=\"1.8\"/>"}),
                      w.below_boundary);
  }
  if (curve) {
    out += LegendItem(line(kGreen, "7 4", "2.5"), w.expected_curve);
    out += LegendItem(line(kRed, "", "2"), w.boundary_curve);
  }
  if (chart.cutoff && Finite(*chart.cutoff)) {
    out += LegendItem(line(kCutoffColour, "10 4 2 4", "1.5"), w.cutoff);
  }
  if (chart.reliable_change && Finite(*chart.reliable_change) && *chart.reliable_change > 0) {
    out += LegendItem(
        "<rect x=\"1\" y=\"1\" width=\"28\" height=\"12\" fill=\"#9ecae1\" "
        "fill-opacity=\"0.35\"/>",
        Cat({w.reliable_change, " ±", Shown(*chart.reliable_change, chart.language, 2), " ",
             w.from_intake}));
  }
  out += "</ul>\n";
  return out;
}

std::string DataTable(const ClientChart& chart, const std::map<int, Row>& rows, const Words& w) {
  const Language lang = chart.language;
  bool dates = false, curve = false, checks = false, alliance = false;
  for (const auto& [session, row] : rows) {
    dates = dates || row.date.has_value();
    curve = curve || row.curve.has_value();
    checks = checks || row.track.has_value();
    alliance = alliance || row.alliance.has_value();
  }
  const std::string name =
      chart.instrument_name.empty() ? chart.trajectory.instrument : chart.instrument_name;
  std::string out = Cat({"<table class=\"data\">\n<caption>", w.data_caption,
                         "</caption>\n<thead><tr><th scope=\"col\">", w.session, "</th>"});
  if (dates) out += Cat({"<th scope=\"col\">", w.date, "</th>"});
  out +=
      Cat({"<th scope=\"col\">", EscapeHtml(name.empty() ? std::string(w.score) : name), "</th>"});
  if (curve) {
    out += Cat({"<th scope=\"col\">", w.expected, "</th><th scope=\"col\">", w.boundary, "</th>"});
  }
  if (checks) out += Cat({"<th scope=\"col\" class=\"track\">", w.track, "</th>"});
  if (alliance) {
    out += Cat({"<th scope=\"col\">",
                EscapeHtml(chart.alliance_name.empty() ? "SRS" : chart.alliance_name), "</th>"});
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& [session, row] : rows) {
    if (!row.score && !row.alliance) continue;  // a curve alone is no measurement
    std::string cls = row.track ? std::string(TrackName(*row.track)) : "";
    out += Cat({"<tr", cls.empty() ? "" : Cat({" class=\"", cls, "\""}), "><th scope=\"row\">",
                std::to_string(session), "</th>"});
    if (dates) out += Cat({"<td>", row.date ? FormatIsoDate(*row.date) : "", "</td>"});
    out += Cat({"<td>", row.score ? Shown(*row.score, lang, 2) : "", "</td>"});
    if (curve) {
      out += Cat({"<td>", row.curve ? Shown(row.curve->expected, lang) : "", "</td><td>",
                  row.curve ? Shown(row.curve->boundary, lang) : "", "</td>"});
    }
    if (checks) {
      std::string_view text = row.track                        ? TrackWords(w, *row.track)
                              : session == rows.begin()->first ? w.intake
                                                               : w.no_check;
      if (!row.score) text = "";
      out += Cat({"<td class=\"track\">", text, "</td>"});
    }
    if (alliance) {
      std::string a = row.alliance ? Shown(*row.alliance, lang, 2) : "";
      if (row.alliance && Finite(chart.alliance_cutoff) && *row.alliance < chart.alliance_cutoff) {
        a += Cat({" (", w.below, " ", Shown(chart.alliance_cutoff, lang, 2), ")"});
      }
      out += Cat({"<td>", a, "</td>"});
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string Suggestions(const ClientChart& chart, const Words& w) {
  std::string out = Cat({"<section class=\"suggestions\">\n<h2>", w.open_suggestions, "</h2>\n"});
  if (chart.suggestions.empty()) return Cat({out, "<p>", w.no_suggestions, "</p>\n</section>\n"});
  out += "<ul class=\"suggestions\">\n";
  for (const ChartSuggestion& s : chart.suggestions) {
    out += Cat({"<li data-id=\"", EscapeHtml(s.id), "\">", EscapeHtml(s.text)});
    if (s.created != Date{}) {
      const std::string date = FormatIsoDate(s.created);
      out += Cat({" <time datetime=\"", date, "\">(", w.suggestion_created, " ", date, ")</time>"});
    }
    out += "</li>\n";
  }
  out += "</ul>\n</section>\n";
  return out;
}

}  // namespace

std::string ClientChartHtml(const ClientChart& chart) {
  const Words& w = WordsOf(chart.language);
  const std::map<int, Row> rows = Rows(chart);
  const std::string name =
      chart.instrument_name.empty() ? chart.trajectory.instrument : chart.instrument_name;

  // Sessions from 1 to the last measured or curve session (at least 2, so that x has a width).
  int last = 2;
  for (const auto& [session, row] : rows) last = std::max(last, session);
  Frame scores;
  scores.sessions = last;
  scores.top = kTop;
  scores.bottom = kScoresHeight - kBottom;
  const Scale scale = ScoreScale(chart);
  scores.y_min = scale.min;
  scores.y_max = scale.max;

  std::string title = Cat({w.page_title, " – ", name});
  if (!chart.client_label.empty()) title += Cat({" – ", chart.client_label});

  std::string out =
      Cat({"<!DOCTYPE html>\n<html lang=\"", chart.language == Language::kEnglish ? "en" : "sv",
           "\">\n<head>\n<meta charset=\"utf-8\">\n",
           // Nothing may load or run: the page is the chart and nothing else.
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ",
           "style-src 'unsafe-inline'\">\n",
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
           EscapeHtml(title), "</title>\n<style>", kChartPageStyle, kStyle,
           "</style>\n</head>\n<body>\n<main>\n<h1>", w.page_title, ": ", EscapeHtml(name),
           "</h1>\n<p class=\"meta\">"});
  if (!chart.client_label.empty()) {
    out += Cat({w.client, ": <strong>", EscapeHtml(chart.client_label), "</strong> · "});
  }
  out += Cat({EscapeHtml(name), ", ", Shown(scale.min, chart.language, 2), "–",
              Shown(scale.max, chart.language, 2), ", ",
              chart.higher_is_better ? w.higher_better : w.lower_better, "</p>\n"});

  out += Cat({"<figure class=\"scores\">\n", ScoresSvg(chart, rows, scores, w),
              Legend(chart, rows, w), "</figure>\n"});
  if (chart.alliance) {
    Frame alliance = scores;
    alliance.top = kTop;
    alliance.bottom = kAllianceHeight - kBottom;
    const Scale a = AllianceScale(chart);
    alliance.y_min = a.min;
    alliance.y_max = a.max;
    out += Cat({"<h2>", w.alliance, " (",
                EscapeHtml(chart.alliance_name.empty() ? "SRS" : chart.alliance_name),
                ")</h2>\n<figure class=\"alliance\">\n", AllianceSvg(chart, rows, alliance, w),
                "</figure>\n"});
  }
  out += Suggestions(chart, w);
  out += DataTable(chart, rows, w);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace varsam::outcomes
