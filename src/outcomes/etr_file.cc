// "varsam-etr/1": an ETR model as it is kept beside the register and cited in the audit log
// (varsam/outcomes.h, EtrModelJson; docs/outcomes.md, "The curve file").

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "internal.h"
#include "nlohmann/json.hpp"
#include "varsam/outcomes.h"

namespace varsam::outcomes {
namespace {

constexpr std::string_view kFormat = "varsam-etr/1";
using Json = nlohmann::ordered_json;

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof(pair), "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

Json Number(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

Json Numbers(const std::vector<double>& values) {
  Json out = Json::array();
  for (double v : values) out.push_back(Number(v));
  return out;
}

// Every member but "sha256", in the canonical order.
Json Members(const EtrModel& m) {
  Json spec;
  spec["instrument"] = m.spec.instrument;
  spec["higher_is_better"] = m.spec.higher_is_better;
  spec["boundary_percentile"] = Number(m.spec.boundary_percentile);
  spec["max_session"] = m.spec.max_session;
  spec["min_support"] = m.spec.min_support;
  spec["bin_width"] = Number(m.spec.bin_width);
  spec["scale_min"] = Number(m.spec.scale_min);
  spec["scale_max"] = Number(m.spec.scale_max);
  spec["predictors"] = m.spec.predictors;
  Json fit;
  fit["terms"] = m.fit.terms;
  fit["beta"] = Numbers(m.fit.beta);
  fit["beta_se"] = Numbers(m.fit.beta_se);
  fit["sigma2"] = Number(m.fit.sigma2);
  fit["var_intercept"] = Number(m.fit.var_intercept);
  fit["var_slope"] = Number(m.fit.var_slope);
  fit["cov_intercept_slope"] = Number(m.fit.cov_intercept_slope);
  fit["reml_criterion"] = Number(m.fit.reml_criterion);
  fit["evaluations"] = m.fit.evaluations;
  fit["observations"] = m.fit.observations;
  fit["groups"] = m.fit.groups;
  Json bins = Json::array();
  for (const IntakeBin& b : m.bins) {
    Json bin;
    bin["from"] = Number(b.from);
    bin["to"] = Number(b.to);
    bin["pseudonyms"] = b.suppressed ? Json(nullptr) : Json(b.pseudonyms);
    bins.push_back(std::move(bin));
  }
  Json levels = Json::array();
  for (const PredictorLevels& p : m.levels) {
    Json of = Json::array();
    for (const PredictorLevels::Level& l : p.levels) {
      Json level;
      level["level"] = l.level;
      level["pseudonyms"] = l.pseudonyms;
      of.push_back(std::move(level));
    }
    Json predictor;
    predictor["predictor"] = p.predictor;
    predictor["levels"] = std::move(of);
    levels.push_back(std::move(predictor));
  }
  Json out;
  out["format"] = kFormat;
  out["kind"] = "etr";
  out["name"] = m.name;
  out["trained_at"] = m.trained_at;
  out["spec"] = std::move(spec);
  out["fit"] = std::move(fit);
  out["bins"] = std::move(bins);
  out["levels"] = std::move(levels);
  out["series_left_out"] = m.series_left_out ? Json(*m.series_left_out) : Json(nullptr);
  out["pseudonyms"] = m.pseudonyms;
  out["period_from"] = m.period_from;
  out["period_to"] = m.period_to;
  return out;
}

// Strict readers: the field's path in every message, never its value.
absl::StatusOr<double> ReadNumber(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number()) return InvalidField(what, "must be a number");
  return v.get<double>();
}
absl::StatusOr<std::string> ReadText(const nlohmann::json& v, const std::string& what) {
  if (!v.is_string()) return InvalidField(what, "must be a string");
  return v.get<std::string>();
}
absl::Status Require(const nlohmann::json& object, std::string_view what,
                     std::initializer_list<std::string_view> keys) {
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(object, what, keys));
  for (std::string_view key : keys) {
    if (!object.contains(key)) return InvalidField(JsonKeyPath(what, key), "is required");
  }
  return absl::OkStatus();
}

absl::Status ReadNumbers(const nlohmann::json& v, const std::string& what, std::size_t size,
                         std::vector<double>* out) {
  if (!v.is_array() || v.size() != size) {
    return InvalidField(what, "must be an array of a number per term");
  }
  out->clear();
  for (std::size_t i = 0; i < size; ++i) {
    VARSAM_ASSIGN_OR_RETURN(const double x, ReadNumber(v[i], JsonIndexPath(what, i)));
    out->push_back(x);
  }
  return absl::OkStatus();
}
absl::StatusOr<std::vector<std::string>> ReadTexts(const nlohmann::json& v,
                                                   const std::string& what) {
  if (!v.is_array()) return InvalidField(what, "must be an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    VARSAM_ASSIGN_OR_RETURN(std::string text, ReadText(v[i], JsonIndexPath(what, i)));
    out.push_back(std::move(text));
  }
  return out;
}

// "levels": per predictor of the spec, in its order, its levels: names not empty, in byte
// order, none twice, kOtherLevel only last, each of at least k people; at least one level.
absl::StatusOr<std::vector<PredictorLevels>> ReadLevels(const nlohmann::json& v,
                                                        const EtrSpec& spec) {
  if (!v.is_array() || v.size() != spec.predictors.size()) {
    return InvalidField("etr.levels", "must hold the levels of each predictor, in order");
  }
  std::vector<PredictorLevels> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string what = JsonIndexPath("etr.levels", i);
    VARSAM_RETURN_IF_ERROR(Require(v[i], what, {"predictor", "levels"}));
    PredictorLevels p;
    VARSAM_ASSIGN_OR_RETURN(p.predictor,
                            ReadText(v[i]["predictor"], JsonKeyPath(what, "predictor")));
    if (p.predictor != spec.predictors[i]) {
      return InvalidField(JsonKeyPath(what, "predictor"), "is not the spec's predictor here");
    }
    const nlohmann::json& levels = v[i]["levels"];
    if (!levels.is_array() || levels.empty()) {
      return InvalidField(JsonKeyPath(what, "levels"), "must be a non-empty array");
    }
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const std::string at = JsonIndexPath(JsonKeyPath(what, "levels"), l);
      VARSAM_RETURN_IF_ERROR(Require(levels[l], at, {"level", "pseudonyms"}));
      PredictorLevels::Level level;
      VARSAM_ASSIGN_OR_RETURN(level.level, ReadText(levels[l]["level"], JsonKeyPath(at, "level")));
      VARSAM_ASSIGN_OR_RETURN(
          level.pseudonyms, JsonWholeNumber(levels[l]["pseudonyms"], JsonKeyPath(at, "pseudonyms"),
                                            spec.min_support, 1LL << 50));
      const bool other = level.level == kOtherLevel;
      if (level.level.empty() || (other && l + 1 != levels.size()) ||
          (!other && !p.levels.empty() && !(p.levels.back().level < level.level))) {
        return InvalidField(JsonKeyPath(at, "level"),
                            "levels must be named, in byte order, none twice, (other) last");
      }
      p.levels.push_back(std::move(level));
    }
    out.push_back(std::move(p));
  }
  return out;
}
absl::StatusOr<EtrModel> Read(const nlohmann::json& root) {
  VARSAM_RETURN_IF_ERROR(
      Require(root, "etr",
              {"format", "kind", "name", "trained_at", "spec", "fit", "bins", "levels",
               "series_left_out", "pseudonyms", "period_from", "period_to", "sha256"}));
  if (root["format"] != kFormat) return InvalidField("etr.format", "must be varsam-etr/1");
  if (root["kind"] != "etr") return InvalidField("etr.kind", "must be etr");
  EtrModel m;
  VARSAM_ASSIGN_OR_RETURN(m.name, ReadText(root["name"], "etr.name"));
  VARSAM_ASSIGN_OR_RETURN(m.trained_at, ReadText(root["trained_at"], "etr.trained_at"));
  const nlohmann::json& spec = root["spec"];
  VARSAM_RETURN_IF_ERROR(
      Require(spec, "etr.spec",
              {"instrument", "higher_is_better", "boundary_percentile", "max_session",
               "min_support", "bin_width", "scale_min", "scale_max", "predictors"}));
  VARSAM_ASSIGN_OR_RETURN(m.spec.instrument, ReadText(spec["instrument"], "etr.spec.instrument"));
  if (!spec["higher_is_better"].is_boolean()) {
    return InvalidField("etr.spec.higher_is_better", "must be true or false");
  }
  m.spec.higher_is_better = spec["higher_is_better"].get<bool>();
  VARSAM_ASSIGN_OR_RETURN(m.spec.boundary_percentile,
                          ReadNumber(spec["boundary_percentile"], "etr.spec.boundary_percentile"));
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t max_session,
                          JsonWholeNumber(spec["max_session"], "etr.spec.max_session", 2, 200));
  m.spec.max_session = static_cast<int>(max_session);
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t min_support,
                          JsonWholeNumber(spec["min_support"], "etr.spec.min_support", 1, 1000000));
  m.spec.min_support = static_cast<int>(min_support);
  VARSAM_ASSIGN_OR_RETURN(m.spec.bin_width, ReadNumber(spec["bin_width"], "etr.spec.bin_width"));
  VARSAM_ASSIGN_OR_RETURN(m.spec.scale_min, ReadNumber(spec["scale_min"], "etr.spec.scale_min"));
  VARSAM_ASSIGN_OR_RETURN(m.spec.scale_max, ReadNumber(spec["scale_max"], "etr.spec.scale_max"));
  VARSAM_ASSIGN_OR_RETURN(m.spec.predictors, ReadTexts(spec["predictors"], "etr.spec.predictors"));
  // The spec's rules, named as fields of the file ("etr.spec.bin_width: ...").
  if (const absl::Status spec_ok = internal::CheckSpec(m.spec); !spec_ok.ok()) {
    return absl::InvalidArgumentError(Cat({"etr.", StatusMessage(spec_ok)}));
  }
  const nlohmann::json& fit = root["fit"];
  VARSAM_RETURN_IF_ERROR(
      Require(fit, "etr.fit",
              {"terms", "beta", "beta_se", "sigma2", "var_intercept", "var_slope",
               "cov_intercept_slope", "reml_criterion", "evaluations", "observations", "groups"}));
  // The terms follow from the levels: read those first.
  VARSAM_ASSIGN_OR_RETURN(m.levels, ReadLevels(root["levels"], m.spec));
  VARSAM_ASSIGN_OR_RETURN(m.fit.terms, ReadTexts(fit["terms"], "etr.fit.terms"));
  if (m.fit.terms != internal::MixedTerms(internal::LevelPredictors(m.levels))) {
    return InvalidField("etr.fit.terms", "are not the terms of the spec's intake and levels");
  }
  VARSAM_RETURN_IF_ERROR(ReadNumbers(fit["beta"], "etr.fit.beta", m.fit.terms.size(), &m.fit.beta));
  VARSAM_RETURN_IF_ERROR(
      ReadNumbers(fit["beta_se"], "etr.fit.beta_se", m.fit.terms.size(), &m.fit.beta_se));
  VARSAM_ASSIGN_OR_RETURN(m.fit.sigma2, ReadNumber(fit["sigma2"], "etr.fit.sigma2"));
  VARSAM_ASSIGN_OR_RETURN(m.fit.var_intercept,
                          ReadNumber(fit["var_intercept"], "etr.fit.var_intercept"));
  VARSAM_ASSIGN_OR_RETURN(m.fit.var_slope, ReadNumber(fit["var_slope"], "etr.fit.var_slope"));
  VARSAM_ASSIGN_OR_RETURN(m.fit.cov_intercept_slope,
                          ReadNumber(fit["cov_intercept_slope"], "etr.fit.cov_intercept_slope"));
  VARSAM_ASSIGN_OR_RETURN(m.fit.reml_criterion,
                          ReadNumber(fit["reml_criterion"], "etr.fit.reml_criterion"));
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t evaluations,
                          JsonWholeNumber(fit["evaluations"], "etr.fit.evaluations", 0, 1 << 30));
  m.fit.evaluations = static_cast<int>(evaluations);
  VARSAM_ASSIGN_OR_RETURN(
      m.fit.observations,
      JsonWholeNumber(fit["observations"], "etr.fit.observations", 0, 1LL << 50));
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t groups,
                          JsonWholeNumber(fit["groups"], "etr.fit.groups", 0, 1LL << 31));
  m.fit.groups = static_cast<std::int32_t>(groups);
  // Bounds far beyond any instrument's (scales lie within +-1e6), so that a curve is finite.
  constexpr double kMaxCoefficient = 1e9, kMaxVariance = 1e18;
  for (const double beta : m.fit.beta) {
    if (!(std::abs(beta) <= kMaxCoefficient)) {
      return InvalidField("etr.fit.beta", "must be numbers within +-1e9");
    }
  }
  if (!(m.fit.sigma2 > 0 && m.fit.sigma2 <= kMaxVariance)) {
    return InvalidField("etr.fit.sigma2", "must be a positive number up to 1e18");
  }
  if (!(m.fit.var_intercept <= kMaxVariance && m.fit.var_slope <= kMaxVariance)) {
    return InvalidField("etr.fit", "variances must be at most 1e18");
  }
  if (!(m.fit.var_intercept >= 0) || !(m.fit.var_slope >= 0) ||
      !std::isfinite(m.fit.var_intercept) || !std::isfinite(m.fit.var_slope) ||
      !std::isfinite(m.fit.cov_intercept_slope) ||
      m.fit.cov_intercept_slope * m.fit.cov_intercept_slope >
          m.fit.var_intercept * m.fit.var_slope * (1 + 1e-9) + 1e-300) {
    return InvalidField("etr.fit", "the variance components must form a covariance matrix");
  }
  const nlohmann::json& bins = root["bins"];
  if (!bins.is_array() || bins.size() != static_cast<std::size_t>(internal::BinCount(m.spec))) {
    return InvalidField("etr.bins", "must be the bins that cover the scale, in order");
  }
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const std::string what = JsonIndexPath("etr.bins", i);
    VARSAM_RETURN_IF_ERROR(Require(bins[i], what, {"from", "to", "pseudonyms"}));
    IntakeBin bin;
    VARSAM_ASSIGN_OR_RETURN(bin.from, ReadNumber(bins[i]["from"], JsonKeyPath(what, "from")));
    VARSAM_ASSIGN_OR_RETURN(bin.to, ReadNumber(bins[i]["to"], JsonKeyPath(what, "to")));
    if (bins[i]["pseudonyms"].is_null()) {
      bin.suppressed = true;
    } else {
      VARSAM_ASSIGN_OR_RETURN(
          bin.pseudonyms, JsonWholeNumber(bins[i]["pseudonyms"], JsonKeyPath(what, "pseudonyms"),
                                          m.spec.min_support, 1LL << 50));
    }
    const double from = m.spec.scale_min + static_cast<double>(i) * m.spec.bin_width;
    if (bin.from != from || bin.to != std::min(m.spec.scale_max, from + m.spec.bin_width)) {
      return InvalidField(what, "is not the bin of its place on the scale");
    }
    m.bins.push_back(bin);
  }
  // Null: fewer than k (not shown); else none or at least k.
  if (root["series_left_out"].is_null()) {
    m.series_left_out = std::nullopt;
  } else {
    VARSAM_ASSIGN_OR_RETURN(
        const std::int64_t left_out,
        JsonWholeNumber(root["series_left_out"], "etr.series_left_out", 0, 1LL << 50));
    if (left_out > 0 && left_out < m.spec.min_support) {
      return InvalidField("etr.series_left_out", "must be 0, at least k, or null");
    }
    m.series_left_out = left_out;
  }
  VARSAM_ASSIGN_OR_RETURN(m.pseudonyms,
                          JsonWholeNumber(root["pseudonyms"], "etr.pseudonyms", 0, 1LL << 50));
  VARSAM_ASSIGN_OR_RETURN(m.period_from, ReadText(root["period_from"], "etr.period_from"));
  VARSAM_ASSIGN_OR_RETURN(m.period_to, ReadText(root["period_to"], "etr.period_to"));
  VARSAM_ASSIGN_OR_RETURN(m.sha256, ReadText(root["sha256"], "etr.sha256"));
  return m;
}

}  // namespace

absl::StatusOr<EtrSpec> ParseEtrSpec(std::string_view json) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json root, ParseJson(json, "spec"));
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(root, "spec",
                                       {"instrument", "boundary_percentile", "max_session",
                                        "min_support", "bin_width", "predictors"}));
  if (!root.contains("instrument")) return InvalidField("spec.instrument", "is required");
  EtrSpec spec;
  VARSAM_ASSIGN_OR_RETURN(spec.instrument, ReadText(root["instrument"], "spec.instrument"));
  if (spec.instrument.empty()) return InvalidField("spec.instrument", "must not be empty");
  if (root.contains("boundary_percentile")) {
    VARSAM_ASSIGN_OR_RETURN(spec.boundary_percentile,
                            ReadNumber(root["boundary_percentile"], "spec.boundary_percentile"));
    if (!(spec.boundary_percentile > 0 && spec.boundary_percentile < 50)) {
      return InvalidField("spec.boundary_percentile", "must lie between 0 and 50");
    }
  }
  if (root.contains("max_session")) {
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t max_session,
                            JsonWholeNumber(root["max_session"], "spec.max_session", 2, 200));
    spec.max_session = static_cast<int>(max_session);
  }
  if (root.contains("min_support")) {
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t min_support,
                            JsonWholeNumber(root["min_support"], "spec.min_support", 2, 1000000));
    spec.min_support = static_cast<int>(min_support);
  }
  if (root.contains("bin_width")) {
    VARSAM_ASSIGN_OR_RETURN(spec.bin_width, ReadNumber(root["bin_width"], "spec.bin_width"));
    if (!(spec.bin_width > 0) || !std::isfinite(spec.bin_width)) {
      return InvalidField("spec.bin_width", "must be a positive number");
    }
  }
  if (root.contains("predictors")) {
    VARSAM_ASSIGN_OR_RETURN(const std::vector<std::string> named,
                            ReadTexts(root["predictors"], "spec.predictors"));
    for (const std::string_view known : kEtrPredictors) {
      const auto times = std::count(named.begin(), named.end(), known);
      if (times > 0) spec.predictors.emplace_back(known);
      if (times > 1) return InvalidField("spec.predictors", "names a predictor twice");
    }
    if (spec.predictors.size() != named.size()) {
      return InvalidField("spec.predictors", "must name intervention or age_band");
    }
  }
  return spec;
}

std::string EtrModelJson(EtrModel& model) {
  std::string text = DumpJson(Members(model));
  model.sha256 = Sha256Hex(text);
  text.pop_back();  // the closing brace
  text.append(",\"sha256\":\"").append(model.sha256).append("\"}");
  return text;
}

namespace internal {

absl::StatusOr<EtrModel> ParseEtrModelUnverified(std::string_view json) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json root, ParseJson(json, "etr"));
  return Read(root);
}

}  // namespace internal

absl::StatusOr<EtrModel> ParseEtrModel(std::string_view json) {
  VARSAM_ASSIGN_OR_RETURN(EtrModel model, internal::ParseEtrModelUnverified(json));
  const std::string given = model.sha256;
  EtrModel copy = model;
  EtrModelJson(copy);
  if (copy.sha256 != given) return absl::DataLossError("etr.sha256: does not match the content");
  return model;
}

}  // namespace varsam::outcomes
