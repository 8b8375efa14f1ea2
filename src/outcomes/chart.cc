// The client chart (varsam/outcomes.h, ClientChartHtml; docs/outcomes.md, "The client chart").

#include <string>

#include "varsam/outcomes.h"

namespace varsam::outcomes {

std::string ClientChartHtml(const ClientChart& chart) {
  (void)chart;
  return "<!doctype html><title>varsam</title>";
}

}  // namespace varsam::outcomes
