// The insights query: its names, its strict JSON loader and its canonical form
// (docs/insights.md, "The query").
//
// Every value a query may carry is a code of the register's closed vocabularies (a case kind, a
// county code, a period, an age band): a filter cannot smuggle a name or an identity number into
// the audit log, where QueryJson's form is recorded.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal.h"
#include "nlohmann/json.hpp"
#include "varsam/core.h"
#include "varsam/insights.h"
#include "varsam/store.h"

namespace varsam::insights {
namespace {

constexpr std::array<std::string_view, kDimensionCount> kDimensionNames = {
    "age_band",     "sex",        "region",  "case_kind", "intervention",
    "start_period", "end_period", "outcome", "band"};
constexpr std::array<std::string_view, 5> kMeasureKindNames = {"episodes", "people", "share",
                                                               "mean", "median"};
constexpr std::array<std::string_view, 3> kQuantityNames = {"total", "change", "duration"};
constexpr std::size_t kMaxDimensions = 4;
constexpr std::size_t kMaxFilterValues = 200;

template <std::size_t N>
bool In(std::string_view value, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), value) != std::end(set);
}

// A code as the register keeps interventions, instruments and bands: a lower-case ASCII letter,
// then lower-case letters, digits, '_' or '-', 64 characters at most.
bool IsCode(std::string_view s) {
  if (s.empty() || s.size() > 64 || !absl::ascii_islower(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// "2026", "2026-Q3", "2026-11".
bool IsPeriod(std::string_view s) {
  const auto digits = [&](std::size_t from, std::size_t n) {
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from),
                       s.begin() + static_cast<std::ptrdiff_t>(from + n),
                       [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
  };
  if (s.size() == 4) return digits(0, 4);
  if (s.size() != 7 || !digits(0, 4) || s[4] != '-') return false;
  if (s[5] == 'Q') return s[6] >= '1' && s[6] <= '4';
  if (!digits(5, 2)) return false;
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  return month >= 1 && month <= 12;
}

// "0-5", "18-24", "65+": digits, '-' and '+', 7 characters at most, starting with a digit.
bool IsAgeBand(std::string_view s) {
  if (s.empty() || s.size() > 7 || !absl::ascii_isdigit(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+';
  });
}

// Whether `value` can be a value of `dimension` in the register ("" where the field may be
// empty); the rule's wording for the message.
std::pair<bool, std::string_view> ValueFits(Dimension dimension, std::string_view value) {
  switch (dimension) {
    case Dimension::kAgeBand: return {IsAgeBand(value), "an age band such as \"18-24\" or \"65+\""};
    case Dimension::kSex:
      return {value.empty() || In(value, store::kSexes), "\"female\", \"male\" or \"\""};
    case Dimension::kRegion:
      return {value.empty() || In(value, store::kCountyCodes), "a county code or \"\""};
    case Dimension::kCaseKind: return {In(value, store::kCaseKinds), "a case kind"};
    case Dimension::kIntervention:
      return {value.empty() || IsCode(value), "an intervention code or \"\""};
    case Dimension::kStartPeriod: return {IsPeriod(value), "a period (YYYY, YYYY-Qn or YYYY-MM)"};
    case Dimension::kEndPeriod:
      return {value.empty() || IsPeriod(value), "a period (YYYY, YYYY-Qn or YYYY-MM) or \"\""};
    case Dimension::kOutcome:
      return {value.empty() || In(value, store::kOutcomes), "an outcome or \"\""};
    case Dimension::kBand: return {value.empty() || IsCode(value), "a band code or \"\""};
  }
  return {false, "a known value"};
}

absl::StatusOr<double> JsonNumber(const nlohmann::json& value, std::string_view what, double lo,
                                  double hi, bool lo_open = false) {
  if (!value.is_number()) return InvalidField(what, "must be a number");
  const double v = value.get<double>();
  const bool above = lo_open ? v > lo : v >= lo;
  if (!std::isfinite(v) || !above || v > hi) {
    return InvalidField(what, absl::StrCat("must be a number ", lo_open ? "above " : "from ", lo,
                                           lo_open ? " up to " : " to ", hi));
  }
  return v;
}

absl::StatusOr<bool> JsonBool(const nlohmann::json& value, std::string_view what) {
  if (!value.is_boolean()) return InvalidField(what, "must be true or false");
  return value.get<bool>();
}

absl::StatusOr<Measure> ParseMeasure(const nlohmann::json& root) {
  constexpr std::string_view kWhat = "query.measure";
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(root, kWhat, {"kind", "of", "instrument", "outcome"}));
  Measure measure;
  if (!root.contains("kind")) return InvalidField("query.measure.kind", "is required");
  const nlohmann::json& kind = root["kind"];
  const auto* const found =
      kind.is_string()
          ? std::find(kMeasureKindNames.begin(), kMeasureKindNames.end(), kind.get<std::string>())
          : kMeasureKindNames.end();
  if (found == kMeasureKindNames.end()) {
    return InvalidField("query.measure.kind",
                        R"(must be "episodes", "people", "share", "mean" or "median")");
  }
  measure.kind = static_cast<MeasureKind>(found - kMeasureKindNames.begin());
  const bool statistic = measure.kind == MeasureKind::kMean || measure.kind == MeasureKind::kMedian;
  if (root.contains("of")) {
    if (!statistic) return InvalidField("query.measure.of", "is only for a mean or a median");
    const nlohmann::json& of = root["of"];
    const auto* const q = of.is_string() ? std::find(kQuantityNames.begin(), kQuantityNames.end(),
                                                     of.get<std::string>())
                                         : kQuantityNames.end();
    if (q == kQuantityNames.end()) {
      return InvalidField("query.measure.of", R"(must be "total", "change" or "duration")");
    }
    measure.of = static_cast<Quantity>(q - kQuantityNames.begin());
  } else if (statistic) {
    return InvalidField("query.measure.of", "is required for a mean or a median");
  }
  if (root.contains("instrument")) {
    const nlohmann::json& instrument = root["instrument"];
    if (!instrument.is_string() || !IsCode(instrument.get<std::string>())) {
      return InvalidField("query.measure.instrument", "must be an instrument code");
    }
    measure.instrument = instrument.get<std::string>();
  }
  if (statistic && measure.of != Quantity::kDuration && measure.instrument.empty()) {
    return InvalidField("query.measure.instrument", "is required for a total or a change");
  }
  if (root.contains("outcome")) {
    if (measure.kind != MeasureKind::kShare) {
      return InvalidField("query.measure.outcome", "is only for a share");
    }
    const nlohmann::json& outcome = root["outcome"];
    if (!outcome.is_string() || !In(outcome.get<std::string>(), store::kOutcomes)) {
      return InvalidField("query.measure.outcome", "must be an outcome of the register");
    }
    measure.outcome = outcome.get<std::string>();
  } else if (measure.kind == MeasureKind::kShare) {
    return InvalidField("query.measure.outcome", "is required for a share");
  }
  return measure;
}

absl::StatusOr<std::vector<Dimension>> ParseDimensions(const nlohmann::json& value) {
  constexpr std::string_view kWhat = "query.dimensions";
  if (!value.is_array()) return InvalidField(kWhat, "must be an array of dimension names");
  if (value.size() > kMaxDimensions) return InvalidField(kWhat, "may name at most 4 dimensions");
  std::vector<Dimension> dimensions;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::optional<Dimension> d =
        value[i].is_string() ? ParseDimension(value[i].get<std::string>()) : std::nullopt;
    if (!d) return InvalidField(JsonIndexPath(kWhat, i), "is not a dimension");
    if (std::find(dimensions.begin(), dimensions.end(), *d) != dimensions.end()) {
      return InvalidField(JsonIndexPath(kWhat, i), "repeats a dimension");
    }
    dimensions.push_back(*d);
  }
  return dimensions;
}

absl::StatusOr<std::vector<Filter>> ParseFilters(const nlohmann::json& value) {
  constexpr std::string_view kWhat = "query.filters";
  if (!value.is_object()) return InvalidField(kWhat, "must be an object");
  std::vector<Filter> filters;
  for (const auto& [key, values] : value.items()) {
    const std::optional<Dimension> d = ParseDimension(key);
    if (!d) return InvalidField(kWhat, absl::StrCat("unknown key ", KeyForMessage(key)));
    const std::string what = JsonKeyPath(kWhat, key);
    if (!values.is_array() || values.empty() || values.size() > kMaxFilterValues) {
      return InvalidField(what, "must be an array of 1 to 200 values");
    }
    Filter filter;
    filter.dimension = *d;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string item = JsonIndexPath(what, i);
      if (!values[i].is_string()) return InvalidField(item, "must be a string");
      std::string v = values[i].get<std::string>();
      const auto [fits, rule] = ValueFits(*d, v);
      if (!fits) return InvalidField(item, absl::StrCat("must be ", std::string(rule)));
      filter.values.push_back(std::move(v));
    }
    std::sort(filter.values.begin(), filter.values.end());
    filter.values.erase(std::unique(filter.values.begin(), filter.values.end()),
                        filter.values.end());
    filters.push_back(std::move(filter));
  }
  return filters;
}

// A DP bound: a whole number within kMaxDpBound.
absl::StatusOr<int> DpBound(const nlohmann::json& d, std::string_view key, std::string_view what) {
  if (!d.contains(key)) return InvalidField(what, "is required for a mean");
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t v,
                          JsonWholeNumber(d[key], what, -kMaxDpBound, kMaxDpBound));
  return static_cast<int>(v);
}

// The DP parameters of a query measuring `kind`: the bounds and the split of epsilon are a
// mean's, required for it and refused for a count; a share and a median cannot be protected so.
absl::StatusOr<DpParams> ParseDp(const nlohmann::json& d, MeasureKind kind) {
  constexpr std::string_view kWhat = "query.protection.dp";
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(d, kWhat, {"epsilon", "contributions", "lower", "upper", "sum_share"}));
  if (kind == MeasureKind::kMedian) {
    return InvalidField(kWhat, "cannot protect a median (no bounded-sensitivity form); use a mean");
  }
  if (kind == MeasureKind::kShare) {
    return InvalidField(kWhat, "applies to counts (episodes, people) and means");
  }
  if (!d.contains("epsilon")) return InvalidField("query.protection.dp.epsilon", "is required");
  DpParams params;
  VARSAM_ASSIGN_OR_RETURN(params.epsilon,
                          JsonNumber(d["epsilon"], "query.protection.dp.epsilon", 0, 10, true));
  if (d.contains("contributions")) {
    VARSAM_ASSIGN_OR_RETURN(
        const std::int64_t c,
        JsonWholeNumber(d["contributions"], "query.protection.dp.contributions", 1, 100));
    params.contributions = static_cast<int>(c);
  }
  if (kind != MeasureKind::kMean) {
    for (const std::string_view key : {"lower", "upper", "sum_share"}) {
      if (d.contains(key)) return InvalidField(JsonKeyPath(kWhat, key), "is only for a mean");
    }
    return params;
  }
  VARSAM_ASSIGN_OR_RETURN(params.lower, DpBound(d, "lower", "query.protection.dp.lower"));
  VARSAM_ASSIGN_OR_RETURN(params.upper, DpBound(d, "upper", "query.protection.dp.upper"));
  if (d.contains("sum_share")) {
    VARSAM_ASSIGN_OR_RETURN(
        params.sum_share, JsonNumber(d["sum_share"], "query.protection.dp.sum_share", 0, 1, true));
  }
  // The combinations no bounded sum meets (lower not below upper, a share of 1).
  VARSAM_RETURN_IF_ERROR(CheckDpMeanParams(params, kWhat));
  return params;
}

absl::StatusOr<Protection> ParseProtection(const nlohmann::json& root, MeasureKind kind) {
  constexpr std::string_view kWhat = "query.protection";
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(
      root, kWhat,
      {"threshold", "dominance", "p_percent", "secondary", "protection_share", "cell_key", "dp"}));
  Protection p;
  if (root.contains("threshold")) {
    VARSAM_ASSIGN_OR_RETURN(
        const std::int64_t t,
        JsonWholeNumber(root["threshold"], "query.protection.threshold", 2, 1000));
    p.threshold = static_cast<int>(t);
  }
  if (root.contains("dominance")) {
    const nlohmann::json& d = root["dominance"];
    VARSAM_RETURN_IF_ERROR(CheckJsonKeys(d, "query.protection.dominance", {"n", "k"}));
    DominanceRule rule;
    if (d.contains("n")) {
      VARSAM_ASSIGN_OR_RETURN(
          const std::int64_t n,
          JsonWholeNumber(d["n"], "query.protection.dominance.n", 1, kMaxContributors));
      rule.n = static_cast<int>(n);
    }
    if (d.contains("k")) {
      VARSAM_ASSIGN_OR_RETURN(rule.k,
                              JsonNumber(d["k"], "query.protection.dominance.k", 0, 100, true));
    }
    p.dominance = rule;
  }
  if (root.contains("p_percent")) {
    VARSAM_ASSIGN_OR_RETURN(
        const double v, JsonNumber(root["p_percent"], "query.protection.p_percent", 0, 100, true));
    p.p_percent = PPercentRule{v};
  }
  if (root.contains("secondary")) {
    VARSAM_ASSIGN_OR_RETURN(p.secondary, JsonBool(root["secondary"], "query.protection.secondary"));
  }
  if (root.contains("protection_share")) {
    VARSAM_ASSIGN_OR_RETURN(
        p.protection_share,
        JsonNumber(root["protection_share"], "query.protection.protection_share", 0, 1));
  }
  if (root.contains("cell_key")) {
    const nlohmann::json& c = root["cell_key"];
    VARSAM_RETURN_IF_ERROR(CheckJsonKeys(c, "query.protection.cell_key", {"D", "V", "js"}));
    CellKeyParams params;
    if (c.contains("D")) {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t d,
                              JsonWholeNumber(c["D"], "query.protection.cell_key.D", 1, 20));
      params.max_deviation = static_cast<int>(d);
    }
    if (c.contains("V")) {
      VARSAM_ASSIGN_OR_RETURN(params.variance,
                              JsonNumber(c["V"], "query.protection.cell_key.V", 0, 100, true));
    }
    if (c.contains("js")) {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t js,
                              JsonWholeNumber(c["js"], "query.protection.cell_key.js", 0, 19));
      params.js = static_cast<int>(js);
    }
    // The combinations the p-table cannot meet (V above D(D+1)/3, js not below D).
    VARSAM_RETURN_IF_ERROR(CheckCellKeyParams(params, "query.protection.cell_key"));
    p.cell_key = params;
  }
  if (root.contains("dp")) {
    VARSAM_ASSIGN_OR_RETURN(p.dp, ParseDp(root["dp"], kind));
  }
  if (p.cell_key && p.dp) {
    return InvalidField("query.protection.dp", "cannot be combined with cell_key");
  }
  return p;
}

// The query's own consistency, once every field is read.
absl::Status CheckQuery(const Query& q) {
  const bool count =
      q.measure.kind == MeasureKind::kEpisodes || q.measure.kind == MeasureKind::kPeople;
  if (q.protection.cell_key && !count) {
    return InvalidField("query.protection.cell_key", "applies to counts (episodes, people)");
  }
  // ParseDp refuses DP on a share or a median; the magnitude rules have no place beside it.
  if (q.protection.dp && (q.protection.dominance || q.protection.p_percent)) {
    return InvalidField("query.protection.dp", "cannot be combined with dominance or p_percent");
  }
  if ((q.protection.dominance || q.protection.p_percent) && q.measure.kind != MeasureKind::kMean &&
      q.measure.kind != MeasureKind::kMedian) {
    return InvalidField("query.protection",
                        "dominance and p_percent apply to magnitudes (a mean or a median)");
  }
  const bool uses_band =
      std::find(q.dimensions.begin(), q.dimensions.end(), Dimension::kBand) != q.dimensions.end() ||
      std::any_of(q.filters.begin(), q.filters.end(),
                  [](const Filter& f) { return f.dimension == Dimension::kBand; });
  if (uses_band && q.measure.instrument.empty()) {
    return InvalidField("query.measure.instrument", "is required for the band dimension");
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view DimensionName(Dimension dimension) {
  return kDimensionNames[static_cast<std::size_t>(dimension)];
}

std::optional<Dimension> ParseDimension(std::string_view name) {
  const auto* const it = std::find(kDimensionNames.begin(), kDimensionNames.end(), name);
  if (it == kDimensionNames.end()) return std::nullopt;
  return static_cast<Dimension>(it - kDimensionNames.begin());
}

std::string_view MeasureKindName(MeasureKind kind) {
  return kMeasureKindNames[static_cast<std::size_t>(kind)];
}

std::string_view QuantityName(Quantity quantity) {
  return kQuantityNames[static_cast<std::size_t>(quantity)];
}

absl::StatusOr<Query> ParseQuery(std::string_view json) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json root, ParseJson(json, "query"));
  VARSAM_RETURN_IF_ERROR(
      CheckJsonKeys(root, "query", {"measure", "dimensions", "filters", "margins", "protection"}));
  Query query;
  if (!root.contains("measure")) return InvalidField("query.measure", "is required");
  VARSAM_ASSIGN_OR_RETURN(query.measure, ParseMeasure(root["measure"]));
  if (root.contains("dimensions")) {
    VARSAM_ASSIGN_OR_RETURN(query.dimensions, ParseDimensions(root["dimensions"]));
  }
  if (root.contains("filters")) {
    VARSAM_ASSIGN_OR_RETURN(query.filters, ParseFilters(root["filters"]));
  }
  if (root.contains("margins")) {
    VARSAM_ASSIGN_OR_RETURN(query.margins, JsonBool(root["margins"], "query.margins"));
  }
  if (root.contains("protection")) {
    VARSAM_ASSIGN_OR_RETURN(query.protection,
                            ParseProtection(root["protection"], query.measure.kind));
  }
  VARSAM_RETURN_IF_ERROR(CheckQuery(query));
  return query;
}

std::string QueryJson(const Query& query) {
  nlohmann::json measure = {{"kind", MeasureKindName(query.measure.kind)}};
  if (query.measure.kind == MeasureKind::kMean || query.measure.kind == MeasureKind::kMedian) {
    measure["of"] = QuantityName(query.measure.of);
  }
  if (!query.measure.instrument.empty()) measure["instrument"] = query.measure.instrument;
  if (!query.measure.outcome.empty()) measure["outcome"] = query.measure.outcome;
  nlohmann::json dimensions = nlohmann::json::array();
  for (const Dimension d : query.dimensions) dimensions.push_back(DimensionName(d));
  // Filters by dimension name (nlohmann::json sorts keys), values sorted and unique.
  nlohmann::json filters = nlohmann::json::object();
  for (const Filter& f : query.filters) {
    std::vector<std::string> values = f.values;
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    filters[std::string(DimensionName(f.dimension))] = values;
  }
  const Protection& p = query.protection;
  nlohmann::json protection = {{"threshold", p.threshold},
                               {"secondary", p.secondary},
                               {"protection_share", p.protection_share}};
  if (p.dominance) protection["dominance"] = {{"n", p.dominance->n}, {"k", p.dominance->k}};
  if (p.p_percent) protection["p_percent"] = p.p_percent->p;
  if (p.cell_key) {
    protection["cell_key"] = {
        {"D", p.cell_key->max_deviation}, {"V", p.cell_key->variance}, {"js", p.cell_key->js}};
  }
  if (p.dp) {
    protection["dp"] = {{"epsilon", p.dp->epsilon}, {"contributions", p.dp->contributions}};
    if (query.measure.kind == MeasureKind::kMean) {
      protection["dp"]["lower"] = p.dp->lower;
      protection["dp"]["upper"] = p.dp->upper;
      protection["dp"]["sum_share"] = p.dp->sum_share;
    }
  }
  const nlohmann::json root = {{"measure", measure},
                               {"dimensions", dimensions},
                               {"filters", filters},
                               {"margins", query.margins},
                               {"protection", protection}};
  return DumpJson(root);
}

}  // namespace varsam::insights
