// libFuzzer target: the curve file loader (varsam::outcomes::ParseEtrModel), and what is done
// with curves that load: the curve for any intake, the check of a client's sessions, the chart.
//
// The input is a curve file's JSON text. It must be refused with InvalidArgument naming a field
// of "etr", or with DataLoss when only the hash does not match; or it loads, and then: written
// again it loads to the very same bytes and hash; the curve for intakes across the scale has
// finite expected scores and boundaries on the worsening side of them; every session of a
// client's series gets a track; and the client chart renders without a script element. A fuzzer
// cannot forge a SHA-256, so a file refused only for its hash is read again without that
// comparison (ParseEtrModelUnverified) and checked the same way. Seeds: tests/fuzz/corpus/
// etr_file/.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "internal.h"
#include "varsam/outcomes.h"

namespace {

namespace outcomes = varsam::outcomes;

void Check(outcomes::EtrModel model) {
  outcomes::EtrModel copy = model;
  const std::string text = outcomes::EtrModelJson(copy);
  const auto again = outcomes::ParseEtrModel(text);
  REQUIRE(again.ok());
  outcomes::EtrModel twice = *again;
  REQUIRE(outcomes::EtrModelJson(twice) == text);
  const double lo = model.spec.scale_min, hi = model.spec.scale_max;
  outcomes::Trajectory trajectory;
  trajectory.instrument = model.spec.instrument;
  for (int i = 0; i <= 4; ++i) {
    const double intake = lo + (hi - lo) * i / 4;
    for (const outcomes::CurvePoint& p : outcomes::Curve(model, intake)) {
      REQUIRE(std::isfinite(p.expected) && std::isfinite(p.boundary) && p.sd >= 0);
      REQUIRE(model.spec.higher_is_better ? p.boundary <= p.expected : p.boundary >= p.expected);
    }
    (void)outcomes::Supported(model, intake);
  }
  for (int s = 1; s <= 6; ++s) {
    trajectory.points.push_back({s, varsam::Date(2026, 1, 5 + s), lo + (hi - lo) * s / 7, 0, {}});
  }
  const auto checks = outcomes::Monitor(model, trajectory);
  REQUIRE(checks.ok());
  REQUIRE(checks->size() == 5 || model.spec.max_session < 6);
  outcomes::ClientChart chart;
  chart.trajectory = trajectory;
  chart.instrument_name = model.spec.instrument;
  chart.scale_min = lo;
  chart.scale_max = hi;
  chart.higher_is_better = model.spec.higher_is_better;
  chart.curve = outcomes::Curve(model, trajectory.intake());
  chart.checks = *checks;
  chart.client_label = model.name;
  const std::string html = outcomes::ClientChartHtml(chart);
  REQUIRE(html.find("<script") == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const auto loaded = outcomes::ParseEtrModel(json);
  if (loaded.ok()) {
    Check(*loaded);
    return 0;
  }
  const absl::StatusCode code = loaded.status().code();
  REQUIRE(code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kDataLoss);
  if (code == absl::StatusCode::kInvalidArgument) {
    REQUIRE(varsam::StatusMessage(loaded.status()).substr(0, 3) == "etr");
    return 0;
  }
  const auto unverified = outcomes::internal::ParseEtrModelUnverified(json);
  REQUIRE(unverified.ok());
  Check(*unverified);
  return 0;
}
