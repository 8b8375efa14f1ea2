// The model specification's JSON form (varsam/models.h; docs/models.md, "The specification").
// Strict: every key known, every value of its type and vocabulary; messages name the field.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal.h"
#include "nlohmann/json.hpp"
#include "varsam/core.h"
#include "varsam/models.h"
#include "varsam/store.h"

namespace varsam::models {
namespace {

using nlohmann::json;

struct KindName {
  FeatureKind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {{FeatureKind::kAgeBand, "age_band"},
                                   {FeatureKind::kSex, "sex"},
                                   {FeatureKind::kRegion, "region"},
                                   {FeatureKind::kCaseKind, "case_kind"},
                                   {FeatureKind::kIntervention, "intervention"},
                                   {FeatureKind::kIntakeTotal, "intake_total"},
                                   {FeatureKind::kIntakeBand, "intake_band"},
                                   {FeatureKind::kEarlierEpisodes, "earlier_episodes"}};

bool NeedsInstrument(FeatureKind kind) {
  return kind == FeatureKind::kIntakeTotal || kind == FeatureKind::kIntakeBand;
}

// A code as the register's vocabularies hold them: a lower-case ASCII letter, then lower-case
// letters, digits, '_' or '-', at most 64 (varsam/store.h, RegisterVocabulary).
bool IsCode(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' || c == '-';
  });
}

absl::StatusOr<std::string> Text(const json& value, std::string_view what) {
  if (!value.is_string()) return InvalidField(what, "must be a string");
  return value.get<std::string>();
}

absl::StatusOr<std::vector<std::string>> Codes(const json& value, std::string_view what,
                                               std::span<const std::string_view> vocabulary,
                                               bool allow_empty_code) {
  if (!value.is_array()) return InvalidField(what, "must be an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = JsonIndexPath(what, i);
    VARSAM_ASSIGN_OR_RETURN(std::string code, Text(value[i], path));
    const bool known = vocabulary.empty() ? (IsCode(code) || (allow_empty_code && code.empty()))
                                          : std::find(vocabulary.begin(), vocabulary.end(), code) !=
                                                vocabulary.end();
    if (!known) return InvalidField(path, "is not in the field's vocabulary");
    if (std::find(out.begin(), out.end(), code) != out.end()) {
      return InvalidField(path, "is listed twice");
    }
    out.push_back(std::move(code));
  }
  return out;
}

absl::Status ParsePopulation(const json& value, std::string_view what, ModelSpec& spec) {
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(value, what, {"case_kinds", "interventions", "period"}));
  if (value.contains("case_kinds")) {
    VARSAM_ASSIGN_OR_RETURN(
        spec.case_kinds,
        Codes(value["case_kinds"], JsonKeyPath(what, "case_kinds"), store::kCaseKinds, false));
  }
  if (value.contains("interventions")) {
    VARSAM_ASSIGN_OR_RETURN(
        spec.interventions,
        Codes(value["interventions"], JsonKeyPath(what, "interventions"), {}, true));
  }
  if (value.contains("period")) {
    const std::string path = JsonKeyPath(what, "period");
    const json& period = value["period"];
    VARSAM_RETURN_IF_ERROR(CheckJsonKeys(period, path, {"from", "to"}));
    std::optional<PeriodMonths> from;
    std::optional<PeriodMonths> to;
    for (const std::string_view key : {std::string_view("from"), std::string_view("to")}) {
      if (!period.contains(key)) continue;
      const std::string key_path = JsonKeyPath(path, key);
      VARSAM_ASSIGN_OR_RETURN(std::string text, Text(period[std::string(key)], key_path));
      const auto months = ParsePeriod(text);
      if (!months) return InvalidField(key_path, "must be a period YYYY, YYYY-Qn or YYYY-MM");
      (key == "from" ? from : to) = months;
      (key == "from" ? spec.period_from : spec.period_to) = std::move(text);
    }
    if (from && to && from->first > to->last) {
      return InvalidField(path, "'from' must not come after 'to'");
    }
  }
  return absl::OkStatus();
}

// A feature, or nullopt when it names a protected class (which goes to
// spec.protected_classes: the policy decides on it, with its reason).
absl::StatusOr<std::optional<FeatureSpec>> ParseFeature(const json& value, std::string_view what,
                                                        ModelSpec& spec) {
  FeatureSpec feature;
  std::string name;
  if (value.is_string()) {
    name = value.get<std::string>();
  } else {
    VARSAM_RETURN_IF_ERROR(CheckJsonKeys(value, what, {"feature", "instrument", "bins"}));
    if (!value.contains("feature"))
      return InvalidField(JsonKeyPath(what, "feature"), "is required");
    VARSAM_ASSIGN_OR_RETURN(name, Text(value["feature"], JsonKeyPath(what, "feature")));
  }
  if (std::find(std::begin(kProtectedClasses), std::end(kProtectedClasses), name) !=
      std::end(kProtectedClasses)) {
    if (std::find(spec.protected_classes.begin(), spec.protected_classes.end(), name) ==
        spec.protected_classes.end()) {
      spec.protected_classes.push_back(name);
    }
    return std::nullopt;
  }
  const auto* found = std::find_if(std::begin(kKindNames), std::end(kKindNames),
                                   [&](const KindName& k) { return k.name == name; });
  if (found == std::end(kKindNames)) {
    return InvalidField(value.is_string() ? std::string(what) : JsonKeyPath(what, "feature"),
                        "is not a known feature");
  }
  feature.kind = found->kind;
  const bool has_instrument = value.is_object() && value.contains("instrument");
  if (NeedsInstrument(feature.kind) != has_instrument) {
    return InvalidField(JsonKeyPath(what, "instrument"), NeedsInstrument(feature.kind)
                                                             ? "is required for intake features"
                                                             : "is only for intake features");
  }
  if (has_instrument) {
    const std::string path = JsonKeyPath(what, "instrument");
    VARSAM_ASSIGN_OR_RETURN(feature.instrument, Text(value["instrument"], path));
    if (!IsCode(feature.instrument)) return InvalidField(path, "must be an instrument id");
  }
  if (value.is_object() && value.contains("bins")) {
    const std::string path = JsonKeyPath(what, "bins");
    if (feature.kind != FeatureKind::kIntakeTotal) {
      return InvalidField(path, "is only for intake_total");
    }
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t bins, JsonWholeNumber(value["bins"], path, 2, 20));
    feature.bins = static_cast<int>(bins);
  }
  return feature;
}

// A list of features: 1 to 32 (`max`), each (kind, instrument) once.
absl::StatusOr<std::vector<FeatureSpec>> ParseFeatures(const json& value, std::string_view what,
                                                       std::size_t min, ModelSpec& spec) {
  if (!value.is_array() || value.size() < min || value.size() > 32) {
    return InvalidField(what, min == 0 ? "must be an array of at most 32 features"
                                       : "must be an array of 1 to 32 features");
  }
  std::vector<FeatureSpec> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = JsonIndexPath(what, i);
    VARSAM_ASSIGN_OR_RETURN(std::optional<FeatureSpec> feature, ParseFeature(value[i], path, spec));
    if (!feature) continue;
    for (const FeatureSpec& other : out) {
      if (other.kind == feature->kind && other.instrument == feature->instrument) {
        return InvalidField(path, "is listed twice");
      }
    }
    out.push_back(*std::move(feature));
  }
  return out;
}

absl::Status ParseTarget(const json& value, ModelSpec& spec) {
  constexpr std::string_view kWhat = "spec.target";
  if (value.is_object()) {
    VARSAM_RETURN_IF_ERROR(CheckJsonKeys(value, kWhat, {"new_case_within_months"}));
    const std::string path = JsonKeyPath(kWhat, "new_case_within_months");
    if (!value.contains("new_case_within_months")) return InvalidField(path, "is required");
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t months,
                            JsonWholeNumber(value["new_case_within_months"], path, 1, 120));
    spec.target_kind = TargetKind::kNewCase;
    spec.new_case_months = static_cast<int>(months);
    return absl::OkStatus();
  }
  if (!value.is_string()) {
    return InvalidField(kWhat, "must be an outcome or {\"new_case_within_months\": N}");
  }
  spec.target = value.get<std::string>();
  if (std::find(std::begin(store::kOutcomes), std::end(store::kOutcomes), spec.target) ==
      std::end(store::kOutcomes)) {
    return InvalidField(kWhat, "must be one of the register's outcomes");
  }
  return absl::OkStatus();
}

absl::Status ParseFairness(const json& value, std::string_view what, ModelSpec& spec) {
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(value, what, {"features", "threshold", "bootstrap"}));
  if (value.contains("features")) {
    VARSAM_ASSIGN_OR_RETURN(
        std::vector<FeatureSpec> extra,
        ParseFeatures(value["features"], JsonKeyPath(what, "features"), 0, spec));
    for (FeatureSpec& feature : extra) {
      const bool listed =
          std::any_of(spec.fairness.begin(), spec.fairness.end(), [&](const FeatureSpec& f) {
            return f.kind == feature.kind && f.instrument == feature.instrument;
          });
      if (!listed) spec.fairness.push_back(std::move(feature));
    }
  }
  if (value.contains("threshold")) {
    const json& t = value["threshold"];
    if (!t.is_number() || !(t.get<double>() > 0 && t.get<double>() < 1)) {
      return InvalidField(JsonKeyPath(what, "threshold"), "must be a number between 0 and 1");
    }
    spec.threshold = t.get<double>();
  }
  if (value.contains("bootstrap")) {
    const std::string path = JsonKeyPath(what, "bootstrap");
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t b,
                            JsonWholeNumber(value["bootstrap"], path, 0, 10000));
    if (b != 0 && b < 20) return InvalidField(path, "must be 0 or from 20 to 10000");
    spec.bootstrap = static_cast<int>(b);
  }
  return absl::OkStatus();
}

absl::Status ParseCalibration(const json& value, ModelSpec& spec) {
  struct Choice {
    std::string_view name;
    CalibrationChoice choice;
  };
  constexpr Choice kChoices[] = {{"auto", CalibrationChoice::kAuto},
                                 {"none", CalibrationChoice::kNone},
                                 {"platt", CalibrationChoice::kPlatt},
                                 {"isotonic", CalibrationChoice::kIsotonic}};
  for (const Choice& c : kChoices) {
    if (value.is_string() && value.get<std::string>() == c.name) {
      spec.calibration = c.choice;
      return absl::OkStatus();
    }
  }
  return InvalidField("spec.calibration", "must be \"auto\", \"none\", \"platt\" or \"isotonic\"");
}

absl::Status ParseLearner(const json& value, std::string_view what, ModelSpec& spec) {
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(value, what, {"kind", "l2", "folds", "seed"}));
  if (!value.contains("kind")) return InvalidField(JsonKeyPath(what, "kind"), "is required");
  VARSAM_ASSIGN_OR_RETURN(const std::string kind, Text(value["kind"], JsonKeyPath(what, "kind")));
  if (kind != "logistic") return InvalidField(JsonKeyPath(what, "kind"), "must be \"logistic\"");
  if (value.contains("l2")) {
    const std::string path = JsonKeyPath(what, "l2");
    const json& l2 = value["l2"];
    const auto lambda = [](const json& v) {
      return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= 0 &&
             v.get<double>() <= 1e9;
    };
    constexpr std::string_view kRule = "must be a number from 0 to 1e9";
    spec.lambdas.clear();
    if (l2.is_array()) {
      if (l2.empty() || l2.size() > 20) return InvalidField(path, "must list 1 to 20 lambdas");
      for (std::size_t i = 0; i < l2.size(); ++i) {
        if (!lambda(l2[i])) return InvalidField(JsonIndexPath(path, i), kRule);
        spec.lambdas.push_back(l2[i].get<double>());
      }
    } else {
      if (!lambda(l2)) return InvalidField(path, kRule);
      spec.lambdas.push_back(l2.get<double>());
    }
  }
  if (value.contains("folds")) {
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t folds,
                            JsonWholeNumber(value["folds"], JsonKeyPath(what, "folds"), 2, 20));
    spec.folds = static_cast<int>(folds);
  }
  if (value.contains("seed")) {
    VARSAM_ASSIGN_OR_RETURN(
        const std::int64_t seed,
        JsonWholeNumber(value["seed"], JsonKeyPath(what, "seed"), 0, std::int64_t{1} << 53));
    spec.seed = static_cast<std::uint64_t>(seed);
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view FeatureKindName(FeatureKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

std::vector<std::string> FeatureClasses(const ModelSpec& spec) {
  std::vector<std::string> classes = spec.protected_classes;
  constexpr std::string_view kAssistance = "ekonomiskt_bistand";
  const bool uses_intervention =
      std::any_of(spec.features.begin(), spec.features.end(),
                  [](const FeatureSpec& f) { return f.kind == FeatureKind::kIntervention; });
  const auto& admitted = spec.interventions;  // empty: every intervention
  const bool tells_assistance_apart =
      admitted.empty() || (admitted.size() > 1 && std::find(admitted.begin(), admitted.end(),
                                                            kAssistance) != admitted.end());
  if (uses_intervention && tells_assistance_apart &&
      std::find(classes.begin(), classes.end(), "economic_assistance") == classes.end()) {
    classes.emplace_back("economic_assistance");
  }
  return classes;
}

absl::StatusOr<ModelSpec> ParseModelSpec(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "spec"));
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(root, "spec",
                                       {"target", "population", "features", "learner",
                                        "min_support", "calibration", "points", "fairness"}));
  ModelSpec spec;
  if (!root.contains("target")) return InvalidField("spec.target", "is required");
  VARSAM_RETURN_IF_ERROR(ParseTarget(root["target"], spec));
  if (root.contains("population")) {
    VARSAM_RETURN_IF_ERROR(ParsePopulation(root["population"], "spec.population", spec));
  }
  if (!root.contains("features")) return InvalidField("spec.features", "is required");
  VARSAM_ASSIGN_OR_RETURN(spec.features, ParseFeatures(root["features"], "spec.features", 1, spec));
  if (root.contains("fairness")) {
    VARSAM_RETURN_IF_ERROR(ParseFairness(root["fairness"], "spec.fairness", spec));
  }
  if (root.contains("calibration")) {
    VARSAM_RETURN_IF_ERROR(ParseCalibration(root["calibration"], spec));
  }
  if (root.contains("points")) {
    const json& points = root["points"];
    VARSAM_RETURN_IF_ERROR(CheckJsonKeys(points, "spec.points", {"max"}));
    if (points.contains("max")) {
      VARSAM_ASSIGN_OR_RETURN(const std::int64_t max,
                              JsonWholeNumber(points["max"], "spec.points.max", 1, 100));
      spec.max_points = static_cast<int>(max);
    }
  }
  if (!root.contains("learner")) return InvalidField("spec.learner", "is required");
  VARSAM_RETURN_IF_ERROR(ParseLearner(root["learner"], "spec.learner", spec));
  if (root.contains("min_support")) {
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t k,
                            JsonWholeNumber(root["min_support"], "spec.min_support", 2, 1000000));
    spec.min_support = static_cast<int>(k);
  }
  return spec;
}

}  // namespace varsam::models
