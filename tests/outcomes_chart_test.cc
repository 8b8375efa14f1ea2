// Tests of the client chart (varsam/outcomes.h, ClientChartHtml). Where a point is drawn is
// read back from the page itself: two y-axis ticks give the mapping from a value to a y, two
// x-axis ticks the mapping from a session to an x, and every point and curve vertex must sit
// where its value puts it. The charts are built by hand, with synthetic clients.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"
#include "varsam/core.h"
#include "varsam/outcomes.h"

namespace {

using varsam::outcomes::ChartSuggestion;
using varsam::outcomes::ClientChart;
using varsam::outcomes::ClientChartHtml;
using varsam::outcomes::CurvePoint;
using varsam::outcomes::Language;
using varsam::outcomes::SessionCheck;
using varsam::outcomes::Track;
using varsam::outcomes::TrackName;
using varsam::outcomes::Trajectory;
using varsam::outcomes::TrajectoryPoint;

Trajectory Series(std::string instrument, const std::vector<std::pair<int, double>>& scores) {
  Trajectory t;
  t.client_ref = "synthetic-client";
  t.case_ref = "synthetic-case";
  t.instrument = std::move(instrument);
  for (const auto& [session, total] : scores) {
    TrajectoryPoint p;
    p.session = session;
    p.date = varsam::Date(2024, 3, 1) + 7L * (session - 1);
    p.total = total;
    p.change = scores.empty() ? 0 : total - scores.front().second;
    t.points.push_back(p);
  }
  return t;
}

// A curve made by hand: expected = intake + slope log(s), the boundary `gap` from it on the side
// of worsening (below when higher is better, above when lower is better).
std::vector<CurvePoint> HandCurve(double intake, double slope, double gap, int sessions,
                                  bool higher_is_better) {
  std::vector<CurvePoint> curve;
  for (int s = 1; s <= sessions; ++s) {
    CurvePoint c;
    c.session = s;
    c.expected = intake + slope * std::log(static_cast<double>(s));
    const double g = s == 1 ? 0 : gap;
    c.boundary = higher_is_better ? c.expected - g : c.expected + g;
    c.sd = g / 1.2816;
    curve.push_back(c);
  }
  return curve;
}

std::vector<SessionCheck> Checks(const Trajectory& t, const std::vector<CurvePoint>& curve,
                                 bool higher_is_better) {
  std::vector<SessionCheck> checks;
  const double sign = higher_is_better ? 1 : -1;
  for (const TrajectoryPoint& p : t.points) {
    if (p.session < 2 || p.session > static_cast<int>(curve.size())) continue;
    SessionCheck c;
    c.session = p.session;
    c.total = p.total;
    c.curve = curve[static_cast<std::size_t>(p.session - 1)];
    c.track = sign * (p.total - c.curve.boundary) < 0   ? Track::kBelowBoundary
              : sign * (p.total - c.curve.expected) < 0 ? Track::kBelowTarget
                                                        : Track::kOnTarget;
    checks.push_back(c);
  }
  return checks;
}

// ORS 0-40: intake 18.4, a fall below the boundary at session 4, the curve to session 10.
ClientChart OrsChart() {
  ClientChart chart;
  chart.trajectory =
      Series("ors", {{1, 18.4}, {2, 21.5}, {3, 19.0}, {4, 13.2}, {5, 20.3}, {6, 24.1}, {7, 27.7}});
  chart.instrument_name = "ORS";
  chart.curve = HandCurve(18.4, 4.2, 5.5, 10, true);
  chart.checks = Checks(chart.trajectory, chart.curve, true);
  chart.cutoff = 25;
  chart.reliable_change = 5;
  chart.alliance = Series("srs", {{1, 38}, {2, 35.5}, {3, 37.2}, {4, 33.9}, {5, 39.1}});
  chart.suggestions = {{"s-1", varsam::Date(2024, 3, 22), "Ej på väg vid session 4."}};
  chart.client_label = "Klient 17";
  return chart;
}

// PHQ-9 0-27, lower is better: the boundary lies above the expected curve.
ClientChart Phq9Chart() {
  ClientChart chart;
  chart.trajectory = Series("phq9", {{1, 19}, {2, 18}, {3, 20}, {4, 14}, {5, 12}});
  chart.instrument_name = "PHQ-9";
  chart.scale_min = 0;
  chart.scale_max = 27;
  chart.higher_is_better = false;
  chart.curve = HandCurve(19, -3.1, 3.7, 8, false);
  chart.checks = Checks(chart.trajectory, chart.curve, false);
  chart.cutoff = 10;
  chart.reliable_change = 5.2;
  return chart;
}

// The markup of <svg id="ID"> ... </svg>.
std::string SvgOf(const std::string& html, const std::string& id) {
  const std::size_t start = html.find("<svg id=\"" + id + "\"");
  REQUIRE(start != std::string::npos);
  const std::size_t end = html.find("</svg>", start);
  REQUIRE(end != std::string::npos);
  return html.substr(start, end - start);
}

// value -> coordinate, from two ticks of an axis ("tick-y" with y1, "tick-x" with x1).
struct Axis {
  double a = 0, b = 0;  // coordinate = a + b value
  double operator()(double value) const { return a + b * value; }
};

Axis AxisOf(const std::string& svg, const std::string& cls, const std::string& coordinate) {
  const std::regex tick("<line class=\"" + cls + "\" data-value=\"([^\"]+)\"[^>]*? " + coordinate +
                        "=\"([^\"]+)\"");
  std::vector<std::pair<double, double>> ticks;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator();
       ++it) {
    ticks.emplace_back(std::stod((*it)[1].str()), std::stod((*it)[2].str()));
  }
  REQUIRE(ticks.size() >= 2);
  const auto [v0, c0] = ticks.front();
  const auto [v1, c1] = ticks.back();
  REQUIRE(v1 != v0);
  Axis axis;
  axis.b = (c1 - c0) / (v1 - v0);
  axis.a = c0 - axis.b * v0;
  // Every other tick lies on the same line.
  for (const auto& [v, c] : ticks) CHECK(std::abs(axis(v) - c) < 0.01);
  return axis;
}

struct Drawn {
  int session = 0;
  double score = 0, cx = 0, cy = 0;
  std::string track;
};

std::vector<Drawn> PointsOf(const std::string& svg) {
  const std::regex point(
      "<circle class=\"point\" data-session=\"([0-9]+)\" data-score=\"([^\"]+)\" "
      "data-track=\"([a-z_]+)\" cx=\"([^\"]+)\" cy=\"([^\"]+)\"");
  std::vector<Drawn> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), point); it != std::sregex_iterator();
       ++it) {
    out.push_back({std::stoi((*it)[1].str()), std::stod((*it)[2].str()), std::stod((*it)[4].str()),
                   std::stod((*it)[5].str()), (*it)[3].str()});
  }
  return out;
}

std::vector<std::pair<double, double>> PolylineOf(const std::string& svg, const std::string& cls) {
  const std::regex line("<polyline class=\"" + cls + "\"[^>]* points=\"([^\"]*)\"");
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, line));
  std::vector<std::pair<double, double>> out;
  const std::regex pair("(-?[0-9.]+),(-?[0-9.]+)");
  const std::string points = m[1].str();
  for (auto it = std::sregex_iterator(points.begin(), points.end(), pair);
       it != std::sregex_iterator(); ++it) {
    out.emplace_back(std::stod((*it)[1].str()), std::stod((*it)[2].str()));
  }
  return out;
}

double LineY(const std::string& svg, const std::string& cls) {
  const std::regex line("<line class=\"" + cls + "\"[^>]* y1=\"([^\"]+)\" [^>]*y2=\"([^\"]+)\"");
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, line));
  CHECK(m[1].str() == m[2].str());  // horizontal
  return std::stod(m[1].str());
}

void CheckGeometry(const ClientChart& chart) {
  const std::string html = ClientChartHtml(chart);
  const std::string svg = SvgOf(html, "scores");
  const Axis y = AxisOf(svg, "tick-y", "y1");
  const Axis x = AxisOf(svg, "tick-x", "x1");
  CHECK(y.b < 0);  // values rise upwards

  // The y axis covers the scale, the x axis sessions 1 to the last session or curve session.
  const std::regex tick_y("class=\"tick-y\" data-value=\"([^\"]+)\"");
  double lowest = 1e300, highest = -1e300;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick_y); it != std::sregex_iterator();
       ++it) {
    lowest = std::min(lowest, std::stod((*it)[1].str()));
    highest = std::max(highest, std::stod((*it)[1].str()));
  }
  CHECK(lowest == chart.scale_min);
  CHECK(highest <= chart.scale_max);
  int last = chart.trajectory.points.back().session;
  for (const CurvePoint& c : chart.curve) last = std::max(last, c.session);
  CHECK(svg.find("class=\"tick-x\" data-value=\"1\"") != std::string::npos);
  CHECK(svg.find("class=\"tick-x\" data-value=\"" + std::to_string(last) + "\"") !=
        std::string::npos);
  CHECK(svg.find("class=\"tick-x\" data-value=\"" + std::to_string(last + 1) + "\"") ==
        std::string::npos);

  // Every score is one point, where its session and score put it, in its track's class.
  const std::vector<Drawn> points = PointsOf(svg);
  REQUIRE(points.size() == chart.trajectory.points.size());
  std::map<int, Track> tracks;
  for (const SessionCheck& c : chart.checks) tracks[c.session] = c.track;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const TrajectoryPoint& p = chart.trajectory.points[i];
    INFO("session " << p.session);
    CHECK(points[i].session == p.session);
    CHECK(points[i].score == p.total);
    CHECK(std::abs(points[i].cy - y(p.total)) < 0.01);
    CHECK(std::abs(points[i].cx - x(p.session)) < 0.01);
    const auto track = tracks.find(p.session);
    CHECK(points[i].track ==
          (track == tracks.end() ? std::string("none") : std::string(TrackName(track->second))));
  }

  // The curve's vertices, one per curve session.
  const auto expected = PolylineOf(svg, "expected");
  const auto boundary = PolylineOf(svg, "boundary");
  REQUIRE(expected.size() == chart.curve.size());
  REQUIRE(boundary.size() == chart.curve.size());
  for (std::size_t i = 0; i < chart.curve.size(); ++i) {
    const CurvePoint& c = chart.curve[i];
    INFO("curve session " << c.session);
    CHECK(std::abs(expected[i].first - x(c.session)) < 0.01);
    CHECK(std::abs(expected[i].second - y(c.expected)) < 0.01);
    CHECK(std::abs(boundary[i].first - x(c.session)) < 0.01);
    CHECK(std::abs(boundary[i].second - y(c.boundary)) < 0.01);
  }

  // The cut-off line, and the reliable-change band from intake - rc to intake + rc.
  CHECK(std::abs(LineY(svg, "cutoff") - y(*chart.cutoff)) < 0.01);
  const std::regex band(
      "<rect class=\"reliable-change\"[^>]* y=\"([^\"]+)\" width=\"[^\"]+\" height=\"([^\"]+)\"");
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, band));
  const double intake = chart.trajectory.points.front().total;
  CHECK(std::abs(std::stod(m[1].str()) - y(intake + *chart.reliable_change)) < 0.01);
  CHECK(std::abs(std::stod(m[1].str()) + std::stod(m[2].str()) -
                 y(intake - *chart.reliable_change)) < 0.01);
}

}  // namespace

TEST_CASE("chart: every point and curve vertex sits where its session and value put it",
          "[outcomes]") {
  SECTION("ORS, higher is better") { CheckGeometry(OrsChart()); }
  SECTION("PHQ-9, lower is better, another scale") { CheckGeometry(Phq9Chart()); }
}

TEST_CASE("chart: the alliance panel draws each SRS score and its cut-off at 36", "[outcomes]") {
  const ClientChart chart = OrsChart();
  const std::string svg = SvgOf(ClientChartHtml(chart), "alliance");
  const Axis y = AxisOf(svg, "tick-y", "y1");
  const Axis x = AxisOf(svg, "tick-x", "x1");
  const std::vector<Drawn> points = PointsOf(svg);
  REQUIRE(points.size() == chart.alliance->points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    const TrajectoryPoint& p = chart.alliance->points[i];
    CHECK(points[i].session == p.session);
    CHECK(std::abs(points[i].cy - y(p.total)) < 0.01);
    CHECK(std::abs(points[i].cx - x(p.session)) < 0.01);
    // Below 36 the point is marked, not only coloured.
    CHECK((points[i].track == "none") == (p.total >= 36));
  }
  CHECK(std::abs(LineY(svg, "alliance-cutoff") - y(36)) < 0.01);
  // The same session sits at the same x in both panels.
  const Axis scores_x = AxisOf(SvgOf(ClientChartHtml(chart), "scores"), "tick-x", "x1");
  for (int s = 1; s <= 10; ++s) CHECK(std::abs(scores_x(s) - x(s)) < 0.01);
}

TEST_CASE("chart: a lower-is-better chart draws the boundary above the expected curve",
          "[outcomes]") {
  const ClientChart chart = Phq9Chart();
  const std::string svg = SvgOf(ClientChartHtml(chart), "scores");
  const auto expected = PolylineOf(svg, "expected");
  const auto boundary = PolylineOf(svg, "boundary");
  REQUIRE(expected.size() == boundary.size());
  REQUIRE(expected.size() > 2);
  CHECK(boundary.front().second == expected.front().second);  // the intake
  for (std::size_t i = 1; i < expected.size(); ++i) {
    CHECK(boundary[i].second < expected[i].second);  // above: a smaller y
  }
  // And the other way round when higher is better.
  const std::string ors = SvgOf(ClientChartHtml(OrsChart()), "scores");
  const auto ors_expected = PolylineOf(ors, "expected");
  const auto ors_boundary = PolylineOf(ors, "boundary");
  for (std::size_t i = 1; i < ors_expected.size(); ++i) {
    CHECK(ors_boundary[i].second > ors_expected[i].second);
  }
  // The session-3 rise of PHQ-9 above the boundary is a worsening, marked as such.
  CHECK(svg.find("data-session=\"3\" data-score=\"20\" data-track=\"below_boundary\"") !=
        std::string::npos);
}

TEST_CASE("chart: the client label and suggestions appear only escaped", "[outcomes]") {
  ClientChart chart = OrsChart();
  const std::string nasty = "<script>alert(\"x\")&'</script>";
  chart.client_label = "A" + nasty;
  chart.instrument_name = "ORS" + nasty;
  chart.alliance_name = "SRS" + nasty;
  chart.suggestions = {{"id" + nasty, varsam::Date(2024, 4, 1), "Fråga" + nasty}};
  const std::string html = ClientChartHtml(chart);
  const std::string escaped = "&lt;script&gt;alert(&quot;x&quot;)&amp;&#39;&lt;/script&gt;";
  CHECK(html.find(nasty) == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("A" + escaped) != std::string::npos);
  CHECK(html.find("Fråga" + escaped) != std::string::npos);
  CHECK(html.find("ORS" + escaped) != std::string::npos);
  CHECK(html.find("SRS" + escaped) != std::string::npos);
  CHECK(html.find("id" + escaped) != std::string::npos);
  // Nothing unescaped: every '<' opens a tag the page itself writes.
  for (std::size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    const char next = html[at + 1];
    INFO("at " << at << ": " << html.substr(at, 20));
    CHECK((std::isalpha(static_cast<unsigned char>(next)) || next == '/' || next == '!'));
  }
}

TEST_CASE("chart: Swedish by default, English on request", "[outcomes]") {
  ClientChart chart = OrsChart();
  const std::string sv = ClientChartHtml(chart);
  CHECK(sv.find("<html lang=\"sv\">") != std::string::npos);
  for (const char* words :
       {"Session", "Förväntad utveckling", "Gräns för ej på väg", "Klinisk gräns",
        "Tillförlitlig förändring", "Öppna förslag", "Under gränsen (ej på väg)", "Allians"}) {
    INFO(words);
    CHECK(sv.find(words) != std::string::npos);
  }
  CHECK(sv.find("Expected progress") == std::string::npos);
  CHECK(sv.find("Clinical cut-off") == std::string::npos);

  chart.language = Language::kEnglish;
  const std::string en = ClientChartHtml(chart);
  CHECK(en.find("<html lang=\"en\">") != std::string::npos);
  for (const char* words :
       {"Session", "Expected progress", "Not-on-track boundary", "Clinical cut-off",
        "Reliable change", "Open suggestions", "Below the boundary", "Alliance"}) {
    INFO(words);
    CHECK(en.find(words) != std::string::npos);
  }
  for (const char* words : {"Förväntad", "Klinisk", "Tillförlitlig", "Öppna", "Gräns"}) {
    INFO(words);
    CHECK(en.find(words) == std::string::npos);
  }
}

TEST_CASE("chart: the page runs no script and loads nothing", "[outcomes]") {
  for (const ClientChart& chart : {OrsChart(), Phq9Chart(), ClientChart{}}) {
    std::string html = ClientChartHtml(chart);
    std::string lower = html;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    CHECK(lower.find("<script") == std::string::npos);
    CHECK(!std::regex_search(lower, std::regex("<[^>]*\\son[a-z]+\\s*=")));  // no handlers
    for (const char* loader :
         {"src=", "href=", "@import", "<link", "<iframe", "<object", "<embed", "<img"}) {
      INFO(loader);
      CHECK(lower.find(loader) == std::string::npos);
    }
    // url() only for the page's own clip path.
    CHECK(!std::regex_search(lower, std::regex("url\\((?!#)")));
    // "http" only in the SVG namespace and in the CSP's http-equiv.
    for (const std::string& allowed :
         {std::string("xmlns=\"http://www.w3.org/2000/svg\""), std::string("http-equiv")}) {
      for (std::size_t at = lower.find(allowed); at != std::string::npos;
           at = lower.find(allowed, at)) {
        lower.erase(at, allowed.size());
      }
    }
    CHECK(lower.find("http") == std::string::npos);
    CHECK(html.find("default-src 'none'") != std::string::npos);
  }
}

TEST_CASE("chart: the SVG is an image with a title, a description and a data table", "[outcomes]") {
  const ClientChart chart = OrsChart();
  const std::string html = ClientChartHtml(chart);
  const std::string svg = SvgOf(html, "scores");
  CHECK(svg.find("role=\"img\"") != std::string::npos);
  CHECK(svg.find("<title") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, std::regex("<desc[^>]*>([^<]*)</desc>")));
  const std::string desc = m[1].str();
  INFO(desc);
  // The intake, the latest score and its track, in Swedish with a decimal comma.
  CHECK(desc.find("Intag 18,4") != std::string::npos);
  CHECK(desc.find("senaste 27,7") != std::string::npos);
  CHECK(desc.find("vid session 7") != std::string::npos);
  CHECK(desc.find("på väg mot målet") != std::string::npos);

  // One table row per session, with its score and track in words.
  const std::size_t table_at = html.find("<table");
  REQUIRE(table_at != std::string::npos);
  const std::string table = html.substr(table_at, html.find("</table>", table_at) - table_at);
  for (const TrajectoryPoint& p : chart.trajectory.points) {
    INFO("session " << p.session);
    CHECK(table.find("<th scope=\"row\">" + std::to_string(p.session) + "</th>") !=
          std::string::npos);
  }
  CHECK(table.find("<tr class=\"below_boundary\"><th scope=\"row\">4</th>") != std::string::npos);
  CHECK(table.find("Under gränsen (ej på väg)") != std::string::npos);
  CHECK(table.find("13,2") != std::string::npos);
  // Print: A4.
  CHECK(html.find("@page{size:A4") != std::string::npos);
}

TEST_CASE("chart: open suggestions are listed, and their absence said", "[outcomes]") {
  ClientChart chart = OrsChart();
  chart.suggestions.push_back({"s-2", varsam::Date(2024, 3, 29), "SRS under 36."});
  std::string html = ClientChartHtml(chart);
  const std::size_t heading = html.find("<h2>Öppna förslag</h2>");
  REQUIRE(heading != std::string::npos);
  CHECK(html.find("Ej på väg vid session 4.", heading) != std::string::npos);
  CHECK(html.find("SRS under 36.", heading) != std::string::npos);
  CHECK(html.find("2024-03-29") != std::string::npos);
  chart.suggestions.clear();
  html = ClientChartHtml(chart);
  CHECK(html.find("Inga öppna förslag.") != std::string::npos);
}

TEST_CASE("chart: a chart without measurements or curve still renders", "[outcomes]") {
  ClientChart chart;
  const std::string html = ClientChartHtml(chart);
  CHECK(html.find("Inga mätningar ännu.") != std::string::npos);
  CHECK(html.find("<circle class=\"point\"") == std::string::npos);
  CHECK(html.find("</html>") != std::string::npos);
}
