// Writes a client chart (HTML) of a synthetic ORS series, for the browser test
// (tests/chart/test_chart_chromium.py) and for people who want to look at a chart: intake 18,
// sessions 2-8 with one below the not-on-track boundary, the expected curve to session 10,
// cut-off 25, reliable change 5, SRS with one session below 36, and two open suggestions.
//
// With "phq9", a lower-is-better chart instead: PHQ-9 0-27, intake 19, a rise above the boundary
// at session 4, no alliance series.
//
//   varsam_client_chart_sample CHART.html [en|phq9]

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/core.h"
#include "varsam/outcomes.h"

namespace {

using varsam::Date;
using varsam::outcomes::ClientChart;
using varsam::outcomes::CurvePoint;
using varsam::outcomes::SessionCheck;
using varsam::outcomes::Track;
using varsam::outcomes::Trajectory;
using varsam::outcomes::TrajectoryPoint;

Trajectory Series(std::string instrument, const std::vector<std::pair<int, double>>& scores) {
  Trajectory t;
  t.client_ref = "sample-client";
  t.case_ref = "sample-case";
  t.instrument = std::move(instrument);
  for (const auto& [session, total] : scores) {
    TrajectoryPoint p;
    p.session = session;
    p.date = Date(2024, 9, 2) + 7L * (session - 1);
    p.total = total;
    p.change = total - scores.front().second;
    t.points.push_back(p);
  }
  return t;
}

ClientChart SampleChart() {
  ClientChart chart;
  chart.trajectory = Series(
      "ors",
      {{1, 18}, {2, 21.4}, {3, 20.1}, {4, 15.2}, {5, 21.8}, {6, 25.3}, {7, 27.9}, {8, 29.6}});
  chart.instrument_name = "ORS";
  // A curve of the model's form (varsam/outcomes.h): the mean rises with log(session), the
  // predictive spread grows with it; the boundary is its 10th percentile (z = -1.2816).
  for (int s = 1; s <= 10; ++s) {
    const double l = std::log(static_cast<double>(s));
    CurvePoint c;
    c.session = s;
    c.expected = 18 + 4.6 * l;
    c.sd = s == 1 ? 0 : std::sqrt(9.5 + 6 * l * l);
    c.boundary = c.expected - 1.2816 * c.sd;
    chart.curve.push_back(c);
  }
  for (const TrajectoryPoint& p : chart.trajectory.points) {
    if (p.session < 2) continue;
    SessionCheck check;
    check.session = p.session;
    check.total = p.total;
    check.curve = chart.curve[static_cast<std::size_t>(p.session - 1)];
    check.track = p.total < check.curve.boundary   ? Track::kBelowBoundary
                  : p.total < check.curve.expected ? Track::kBelowTarget
                                                   : Track::kOnTarget;
    chart.checks.push_back(check);
  }
  chart.cutoff = 25;
  chart.reliable_change = 5;
  chart.alliance = Series(
      "srs",
      {{1, 37.5}, {2, 38.2}, {3, 36.8}, {4, 33.4}, {5, 37.9}, {6, 38.8}, {7, 39.1}, {8, 39.3}});
  chart.client_label = "K4711";
  chart.suggestions = {
      {"sugg-1", Date(2024, 9, 23),
       "Ej på väg vid session 4 (ORS 15,2, under gränsen): ta upp med klienten vad som inte "
       "hjälper och överväg att ändra upplägget."},
      {"sugg-2", Date(2024, 9, 23),
       "SRS 33,4 vid session 4, under 36: fråga vad som kunde ha varit bättre i samtalet."},
  };
  return chart;
}

ClientChart Phq9Chart() {
  ClientChart chart;
  chart.trajectory = Series("phq9", {{1, 19}, {2, 17}, {3, 18}, {4, 21}, {5, 15}, {6, 12}});
  chart.instrument_name = "PHQ-9";
  chart.scale_min = 0;
  chart.scale_max = 27;
  chart.higher_is_better = false;
  // Lower is better: the mean falls with log(session), the boundary is its 90th percentile.
  for (int s = 1; s <= 12; ++s) {
    const double l = std::log(static_cast<double>(s));
    CurvePoint c;
    c.session = s;
    c.expected = 19 - 3.4 * l;
    c.sd = s == 1 ? 0 : std::sqrt(4 + 3 * l * l);
    c.boundary = c.expected + 1.2816 * c.sd;
    chart.curve.push_back(c);
  }
  for (const TrajectoryPoint& p : chart.trajectory.points) {
    if (p.session < 2) continue;
    SessionCheck check;
    check.session = p.session;
    check.total = p.total;
    check.curve = chart.curve[static_cast<std::size_t>(p.session - 1)];
    check.track = p.total > check.curve.boundary   ? Track::kBelowBoundary
                  : p.total > check.curve.expected ? Track::kBelowTarget
                                                   : Track::kOnTarget;
    chart.checks.push_back(check);
  }
  chart.cutoff = 10;
  chart.reliable_change = 5.2;
  chart.client_label = "K4712";
  chart.suggestions = {{"sugg-3", Date(2024, 9, 23),
                        "Ej på väg vid session 4 (PHQ-9 21, över gränsen): ta upp med klienten "
                        "vad som har hänt och överväg att ändra upplägget."}};
  return chart;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: varsam_client_chart_sample CHART.html [en|phq9]\n");
    return 2;
  }
  const bool phq9 = argc == 3 && std::string_view(argv[2]) == "phq9";
  ClientChart chart = phq9 ? Phq9Chart() : SampleChart();
  if (argc == 3 && std::string_view(argv[2]) == "en") {
    chart.language = varsam::outcomes::Language::kEnglish;
    chart.client_label = "K4711";
    chart.suggestions = {
        {"sugg-1", Date(2024, 9, 23),
         "Not on track at session 4 (ORS 15.2, below the boundary): talk with the client about "
         "what does not help and consider changing the approach."},
        {"sugg-2", Date(2024, 9, 23),
         "SRS 33.4 at session 4, below 36: ask what could have been better in the session."},
    };
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << varsam::outcomes::ClientChartHtml(chart);
  out.close();
  if (!out.good()) {
    std::fprintf(stderr, "client_chart_sample: could not write the output\n");
    return 1;
  }
  return 0;
}
