// The model file "varsam-model/1" (varsam/models.h; docs/models.md, "The model file"): the
// canonical JSON a fitted or a published model is stored, applied and cited as, with the
// SHA-256 of its canonical bytes as its identity, and the strict loader that reads it back.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "internal.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "publish.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {

// ---- Shared with apply.cc and card.cc (publish.h) --------------------------------------------

std::string FeatureNameOf(const FeatureSpec& feature) {
  std::string name(FeatureKindName(feature.kind));
  if (!feature.instrument.empty()) name.append(":").append(feature.instrument);
  return name;
}

FeatureWords WordsFor(std::string_view name) {
  const std::size_t colon = name.find(':');
  const std::string_view kind = name.substr(0, colon);
  const std::string instrument =
      colon == std::string_view::npos ? std::string() : std::string(name.substr(colon + 1));
  if (kind == "age_band") return {"åldersgrupp", "age band"};
  if (kind == "sex") return {"kön", "sex"};
  if (kind == "region") return {"län", "county"};
  if (kind == "case_kind") return {"ärendetyp", "case kind"};
  if (kind == "intervention") return {"insats", "intervention"};
  if (kind == "earlier_episodes") return {"tidigare ärenden", "earlier episodes"};
  if (kind == "intake_total" && !instrument.empty()) {
    return {Cat({"totalpoäng på ", instrument, " vid start"}),
            Cat({"intake total on ", instrument})};
  }
  if (kind == "intake_band" && !instrument.empty()) {
    return {Cat({"nivå på ", instrument, " vid start"}), Cat({"intake band on ", instrument})};
  }
  return {std::string(name), std::string(name)};
}

std::string ShortestNumber(double value) {
  if (value == 0) return "0";  // -0 too: JSON readers take "-0" for the integer 0
  char buffer[32];
  const auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), value);
  if (ec != std::errc()) return "0";
  return std::string(buffer, end);
}

std::pair<double, double> WilsonInterval(double successes, double n) {
  if (!(n > 0)) return {0.0, 1.0};
  constexpr double kZ = 1.959963984540054;
  const double p = std::clamp(successes / n, 0.0, 1.0);
  const double z2 = kZ * kZ;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "varsam-model/1";
constexpr std::size_t kMaxText = 4096;
constexpr std::size_t kMaxList = 100000;
constexpr std::int64_t kMaxCount = std::int64_t{1} << 53;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- The canonical writer ---------------------------------------------------------------------

// Keys in the order the calls give them, no spaces, numbers in their shortest round-trip form,
// a number that is not finite as null, strings escaped as RFC 8259 requires and no further
// (invalid UTF-8, which a file read back never holds, becomes U+FFFD).
class Writer {
 public:
  void Open(char bracket) {
    Separate();
    out_ += bracket;
    first_ = true;
  }
  void Close(char bracket) {
    out_ += bracket;
    first_ = false;
  }
  void Key(std::string_view key) {
    Separate();
    Quoted(key);
    out_ += ':';
    first_ = true;
  }
  void String(std::string_view value) {
    Separate();
    Quoted(value);
  }
  void Number(double value) {
    Separate();
    out_ += std::isfinite(value) ? ShortestNumber(value) : std::string("null");
  }
  void Whole(std::int64_t value) {
    Separate();
    out_ += std::to_string(value);
  }
  void Bool(bool value) {
    Separate();
    out_ += value ? "true" : "false";
  }
  // Key-value shorthands.
  void KeyString(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void KeyNumber(std::string_view key, double value) {
    Key(key);
    Number(value);
  }
  void KeyWhole(std::string_view key, std::int64_t value) {
    Key(key);
    Whole(value);
  }
  void KeyStrings(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    Open('[');
    for (const std::string& v : values) String(v);
    Close(']');
  }
  void KeyNumbers(std::string_view key, const std::vector<double>& values) {
    Key(key);
    Open('[');
    for (const double v : values) Number(v);
    Close(']');
  }

  std::string& text() { return out_; }

 private:
  void Separate() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void Quoted(std::string_view s) {
    out_ += '"';
    std::size_t i = 0;
    while (i < s.size()) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
        ++i;
      } else if (c < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        switch (c) {
          case '\n': out_ += "\\n"; break;
          case '\r': out_ += "\\r"; break;
          case '\t': out_ += "\\t"; break;
          case '\b': out_ += "\\b"; break;
          case '\f': out_ += "\\f"; break;
          default:
            out_ += "\\u00";
            out_ += kHex[c >> 4];
            out_ += kHex[c & 15];
        }
        ++i;
      } else if (c < 0x80) {
        out_ += static_cast<char>(c);
        ++i;
      } else {
        char32_t cp = 0;
        const std::size_t length = DecodeUtf8(s, i, &cp);
        if (length == 0) {
          out_ += "\xEF\xBF\xBD";
          ++i;
        } else {
          out_.append(s.substr(i, length));
          i += length;
        }
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
};

std::string_view CalibrationName(CalibrationChoice kind) {
  switch (kind) {
    case CalibrationChoice::kAuto: return "auto";
    case CalibrationChoice::kNone: return "none";
    case CalibrationChoice::kPlatt: return "platt";
    case CalibrationChoice::kIsotonic: return "isotonic";
  }
  return "none";
}

// The spec in its own JSON form (docs/models.md, "The specification"), every key written, so
// that the file's "spec" can be read by ParseModelSpec and trained again.
void WriteSpec(Writer& w, const ModelSpec& spec) {
  w.Open('{');
  if (spec.target_kind == TargetKind::kNewCase) {
    w.Key("target");
    w.Open('{');
    w.KeyWhole("new_case_within_months", spec.new_case_months);
    w.Close('}');
  } else {
    w.KeyString("target", spec.target);
  }
  w.Key("population");
  w.Open('{');
  w.KeyStrings("case_kinds", spec.case_kinds);
  w.KeyStrings("interventions", spec.interventions);
  if (!spec.period_from.empty() || !spec.period_to.empty()) {
    w.Key("period");
    w.Open('{');
    if (!spec.period_from.empty()) w.KeyString("from", spec.period_from);
    if (!spec.period_to.empty()) w.KeyString("to", spec.period_to);
    w.Close('}');
  }
  w.Close('}');
  const auto features = [&w](std::string_view key, const std::vector<FeatureSpec>& list) {
    w.Key(key);
    w.Open('[');
    for (const FeatureSpec& f : list) {
      w.Open('{');
      w.KeyString("feature", FeatureKindName(f.kind));
      if (!f.instrument.empty()) w.KeyString("instrument", f.instrument);
      if (f.kind == FeatureKind::kIntakeTotal) w.KeyWhole("bins", f.bins);
      w.Close('}');
    }
    w.Close(']');
  };
  features("features", spec.features);
  w.Key("fairness");
  w.Open('{');
  features("features", spec.fairness);
  if (!std::isnan(spec.threshold)) w.KeyNumber("threshold", spec.threshold);
  w.KeyWhole("bootstrap", spec.bootstrap);
  w.Close('}');
  w.KeyString("calibration", CalibrationName(spec.calibration));
  w.Key("points");
  w.Open('{');
  w.KeyWhole("max", spec.max_points);
  w.Close('}');
  w.Key("learner");
  w.Open('{');
  w.KeyString("kind", "logistic");
  w.KeyNumbers("l2", spec.lambdas);
  w.KeyWhole("folds", spec.folds);
  w.KeyWhole("seed", static_cast<std::int64_t>(spec.seed));
  w.Close('}');
  w.KeyWhole("min_support", spec.min_support);
  w.Close('}');
}

void WriteBins(Writer& w, std::string_view key, const std::vector<ReliabilityBin>& bins) {
  w.Key(key);
  w.Open('[');
  for (const ReliabilityBin& b : bins) {
    w.Open('{');
    w.KeyNumber("lower", b.lower);
    w.KeyNumber("upper", b.upper);
    w.KeyWhole("count", b.count);
    w.KeyNumber("mean_predicted", b.mean_predicted);
    w.KeyNumber("observed_rate", b.observed_rate);
    w.Close('}');
  }
  w.Close(']');
}

void WriteEvaluation(Writer& w, std::string_view key, const Evaluation& e) {
  w.Key(key);
  w.Open('{');
  w.KeyWhole("count", e.count);
  w.KeyWhole("positives", e.positives);
  w.KeyNumber("auc", e.auc);
  w.KeyNumber("auc_se", e.auc_se);
  w.KeyNumber("auc_low", e.auc_low);
  w.KeyNumber("auc_high", e.auc_high);
  w.KeyNumber("brier", e.brier);
  w.KeyNumber("ece", e.ece);
  w.KeyNumber("calibration_in_the_large", e.calibration_in_the_large);
  w.KeyNumber("calibration_slope", e.calibration_slope);
  WriteBins(w, "reliability", e.reliability);
  w.Close('}');
}

void WriteEstimate(Writer& w, std::string_view key, const Estimate& e) {
  w.Key(key);
  w.Open('{');
  w.KeyNumber("value", e.value);
  w.KeyNumber("low", e.low);
  w.KeyNumber("high", e.high);
  w.Close('}');
}

void WriteFairness(Writer& w, const FairnessReport& f) {
  w.Key("fairness");
  w.Open('{');
  w.KeyNumber("threshold", f.threshold);
  w.KeyWhole("bootstrap", f.bootstrap);
  w.Key("groups");
  w.Open('[');
  for (const GroupMetrics& g : f.groups) {
    w.Open('{');
    w.KeyString("feature", g.feature);
    w.KeyString("group", g.group);
    w.Key("suppressed");
    w.Bool(g.suppressed);
    if (!g.suppressed) {  // a group below k is named, never measured
      w.KeyWhole("count", g.count);
      w.KeyWhole("pseudonyms", g.pseudonyms);
      WriteEstimate(w, "base_rate", g.base_rate);
      WriteEstimate(w, "auc", g.auc);
      WriteEstimate(w, "brier", g.brier);
      WriteEstimate(w, "ece", g.ece);
      WriteEstimate(w, "false_positive_rate", g.false_positive_rate);
      WriteEstimate(w, "false_negative_rate", g.false_negative_rate);
      WriteBins(w, "reliability", g.reliability);
    }
    w.Close('}');
  }
  w.Close(']');
  w.Key("gaps");
  w.Open('[');
  for (const Gap& g : f.gaps) {
    w.Open('{');
    w.KeyString("feature", g.feature);
    w.KeyString("metric", g.metric);
    w.KeyString("low_group", g.low_group);
    w.KeyString("high_group", g.high_group);
    w.KeyNumber("difference", g.difference);
    w.Close('}');
  }
  w.Close(']');
  w.Close('}');
}

void WritePoints(Writer& w, const PointsModel& points, bool evidence) {
  w.Key("points");
  w.Open('{');
  if (!evidence) w.KeyNumber("log_odds_per_point", points.log_odds_per_point);
  w.Key("features");
  w.Open('[');
  for (const PointsFeature& f : points.features) {
    w.Open('{');
    w.KeyString("name", f.name);
    w.Key("levels");
    w.Open('[');
    for (const PointsLevel& l : f.levels) {
      w.Open('{');
      w.KeyString("level", l.level);
      w.KeyWhole("points", l.points);
      w.Close('}');
    }
    w.Close(']');
    w.Close('}');
  }
  w.Close(']');
  w.Key("table");
  w.Open('[');
  for (const PointsBand& b : points.table) {
    w.Open('{');
    w.KeyWhole("total", b.total);
    if (evidence) {
      w.KeyString("label", b.label);
    } else {
      w.KeyNumber("probability", b.probability);
    }
    w.Close('}');
  }
  w.Close(']');
  w.Close('}');
}

// Every member of the file but "sha256", in the canonical order, without the closing brace.
std::string CanonicalBody(const ModelFile& file) {
  Writer w;
  w.Open('{');
  w.KeyString("format", kFormat);
  const bool evidence = file.kind == ModelKind::kEvidenceBased;
  w.KeyString("kind", evidence ? "evidence_based" : "register_trained");
  w.KeyString("name", file.name);
  if (evidence) {
    w.Key("source");
    w.Open('{');
    w.KeyString("title", file.source.title);
    w.KeyString("citation", file.source.citation);
    w.KeyString("url", file.source.url);
    w.Close('}');
    WritePoints(w, file.points, true);
    return std::move(w.text());
  }
  w.Key("spec");
  WriteSpec(w, file.spec);
  w.Key("training");
  w.Open('{');
  w.KeyString("trained_at", file.training.trained_at);
  w.KeyString("period_from", file.training.period_from);
  w.KeyString("period_to", file.training.period_to);
  w.KeyWhole("rows", file.training.rows);
  w.KeyWhole("pseudonyms", file.training.pseudonyms);
  w.KeyWhole("left_out", file.training.left_out);
  w.Key("key_epochs");
  w.Open('[');
  for (const std::int32_t e : file.training.key_epochs) w.Whole(e);
  w.Close(']');
  w.Close('}');
  const Model& model = file.model;
  w.Key("features");
  w.Open('[');
  for (const FeatureInfo& f : model.features()) {
    w.Open('{');
    w.KeyString("name", f.name);
    w.KeyString("kind", FeatureKindName(f.kind));
    w.KeyStrings("levels", f.levels);
    w.KeyNumbers("cut_points", f.cut_points);
    w.KeyStrings("merged", f.merged);
    w.Close('}');
  }
  w.Close(']');
  w.Key("coefficients");
  w.Open('[');
  for (const Coefficient& c : model.coefficients()) {
    w.Open('{');
    w.KeyString("name", c.name);
    w.KeyNumber("estimate", c.estimate);
    w.KeyNumber("standard_error", c.standard_error);
    w.Close('}');
  }
  w.Close(']');
  w.KeyNumbers("column_means", ModelAccess::ColumnMeans(model));
  w.KeyNumber("lambda", model.lambda());
  w.KeyWhole("iterations", model.iterations());
  w.Key("cv");
  w.Open('[');
  for (const LambdaScore& s : file.cv) {
    w.Open('{');
    w.KeyNumber("lambda", s.lambda);
    w.KeyNumber("log_loss", s.log_loss);
    w.Close('}');
  }
  w.Close(']');
  WriteEvaluation(w, "evaluation", file.evaluation);
  w.Key("calibration");
  w.Open('{');
  w.KeyString("kind", CalibrationName(file.calibration.kind));
  w.KeyNumber("a", file.calibration.a);
  w.KeyNumber("b", file.calibration.b);
  w.KeyNumbers("knots", file.calibration.knots);
  w.KeyNumbers("values", file.calibration.values);
  w.KeyNumbers("held_out_log_loss", file.calibration.held_out_log_loss);
  w.Close('}');
  WriteEvaluation(w, "calibrated_evaluation", file.calibrated_evaluation);
  WritePoints(w, file.points, false);
  WriteEvaluation(w, "points_evaluation", file.points_evaluation);
  WriteFairness(w, file.fairness);
  return std::move(w.text());
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return std::string();  // only when libcrypto cannot run at all; never matches a file
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{2} * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// ---- The strict reader -----------------------------------------------------------------------

// One JSON object being read: its members are found by key, and every error names the path.
class Object {
 public:
  Object(const json& value, std::string path) : value_(&value), path_(std::move(path)) {}

  absl::Status Keys(std::initializer_list<std::string_view> known) const {
    return CheckJsonKeys(*value_, path_, known);
  }
  std::string Path(std::string_view key) const { return JsonKeyPath(path_, key); }
  const std::string& path() const { return path_; }
  bool Has(std::string_view key) const { return value_->contains(key); }

  absl::StatusOr<const json*> Get(std::string_view key) const {
    const auto found = value_->find(key);
    if (found == value_->end()) return InvalidField(Path(key), "is required");
    return &*found;
  }

  absl::StatusOr<std::string> Text(std::string_view key, bool allow_empty = true) const {
    VARSAM_ASSIGN_OR_RETURN(const json* v, Get(key));
    if (!v->is_string()) return InvalidField(Path(key), "must be a string");
    std::string s = v->get<std::string>();
    if (s.size() > kMaxText) return InvalidField(Path(key), "is too long");
    if (!allow_empty && s.empty()) return InvalidField(Path(key), "must not be empty");
    return s;
  }

  // A finite number in [lo, hi]; with `nullable`, null reads as NaN.
  absl::StatusOr<double> Number(std::string_view key, double lo, double hi,
                                bool nullable = false) const {
    VARSAM_ASSIGN_OR_RETURN(const json* v, Get(key));
    return ReadNumber(*v, Path(key), lo, hi, nullable);
  }

  absl::StatusOr<std::int64_t> Whole(std::string_view key, std::int64_t lo, std::int64_t hi) const {
    VARSAM_ASSIGN_OR_RETURN(const json* v, Get(key));
    return JsonWholeNumber(*v, Path(key), lo, hi);
  }

  absl::StatusOr<bool> Bool(std::string_view key) const {
    VARSAM_ASSIGN_OR_RETURN(const json* v, Get(key));
    if (!v->is_boolean()) return InvalidField(Path(key), "must be true or false");
    return v->get<bool>();
  }

  // An array member: checked for its size, then each element read by `read(element, path)`.
  template <typename T, typename Read>
  absl::StatusOr<std::vector<T>> List(std::string_view key, std::size_t min, std::size_t max,
                                      Read read) const {
    VARSAM_ASSIGN_OR_RETURN(const json* v, Get(key));
    const std::string path = Path(key);
    if (!v->is_array()) return InvalidField(path, "must be an array");
    if (v->size() < min || v->size() > max) {
      return InvalidField(
          path, Cat({"must have ", std::to_string(min), " to ", std::to_string(max), " elements"}));
    }
    std::vector<T> out;
    out.reserve(v->size());
    for (std::size_t i = 0; i < v->size(); ++i) {
      VARSAM_ASSIGN_OR_RETURN(T item, read((*v)[i], JsonIndexPath(path, i)));
      out.push_back(std::move(item));
    }
    return out;
  }

  static absl::StatusOr<double> ReadNumber(const json& v, const std::string& path, double lo,
                                           double hi, bool nullable) {
    if (nullable && v.is_null()) return kNaN;
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo ||
        v.get<double>() > hi) {
      return InvalidField(path, Cat({"must be a number from ", ShortestNumber(lo), " to ",
                                     ShortestNumber(hi), nullable ? ", or null" : ""}));
    }
    return v.get<double>();
  }

 private:
  const json* value_;
  std::string path_;
};

absl::StatusOr<Object> ObjectAt(const json& v, std::string path,
                                std::initializer_list<std::string_view> known) {
  Object o(v, std::move(path));
  VARSAM_RETURN_IF_ERROR(o.Keys(known));
  return o;
}

const auto kReadText = [](const json& v, const std::string& path) -> absl::StatusOr<std::string> {
  if (!v.is_string()) return InvalidField(path, "must be a string");
  std::string s = v.get<std::string>();
  if (s.size() > kMaxText) return InvalidField(path, "is too long");
  return s;
};

const auto kReadFinite = [](const json& v, const std::string& path) -> absl::StatusOr<double> {
  return Object::ReadNumber(v, path, -1e300, 1e300, false);
};

absl::Status Distinct(const std::vector<std::string>& values, const std::string& path) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::find(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(i), values[i]) !=
        values.begin() + static_cast<std::ptrdiff_t>(i)) {
      return InvalidField(JsonIndexPath(path, i), "is listed twice");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ReliabilityBin>> ReadBins(const Object& o, std::string_view key) {
  return o.List<ReliabilityBin>(
      key, 0, 1000, [](const json& v, const std::string& path) -> absl::StatusOr<ReliabilityBin> {
        VARSAM_ASSIGN_OR_RETURN(
            const Object b,
            ObjectAt(v, path, {"lower", "upper", "count", "mean_predicted", "observed_rate"}));
        ReliabilityBin bin;
        VARSAM_ASSIGN_OR_RETURN(bin.lower, b.Number("lower", 0, 1));
        VARSAM_ASSIGN_OR_RETURN(bin.upper, b.Number("upper", bin.lower, 1));
        VARSAM_ASSIGN_OR_RETURN(bin.count, b.Whole("count", 0, kMaxCount));
        VARSAM_ASSIGN_OR_RETURN(bin.mean_predicted, b.Number("mean_predicted", 0, 1));
        VARSAM_ASSIGN_OR_RETURN(bin.observed_rate, b.Number("observed_rate", 0, 1));
        return bin;
      });
}

absl::StatusOr<Evaluation> ReadEvaluation(const Object& parent, std::string_view key) {
  VARSAM_ASSIGN_OR_RETURN(const json* v, parent.Get(key));
  VARSAM_ASSIGN_OR_RETURN(
      const Object o,
      ObjectAt(*v, parent.Path(key),
               {"count", "positives", "auc", "auc_se", "auc_low", "auc_high", "brier", "ece",
                "calibration_in_the_large", "calibration_slope", "reliability"}));
  Evaluation e;
  VARSAM_ASSIGN_OR_RETURN(e.count, o.Whole("count", 0, kMaxCount));
  VARSAM_ASSIGN_OR_RETURN(e.positives, o.Whole("positives", 0, e.count));
  VARSAM_ASSIGN_OR_RETURN(e.auc, o.Number("auc", 0, 1));
  VARSAM_ASSIGN_OR_RETURN(e.auc_se, o.Number("auc_se", 0, 1));
  VARSAM_ASSIGN_OR_RETURN(e.auc_low, o.Number("auc_low", 0, 1));
  VARSAM_ASSIGN_OR_RETURN(e.auc_high, o.Number("auc_high", e.auc_low, 1));
  VARSAM_ASSIGN_OR_RETURN(e.brier, o.Number("brier", 0, 1));
  VARSAM_ASSIGN_OR_RETURN(e.ece, o.Number("ece", 0, 1));
  VARSAM_ASSIGN_OR_RETURN(e.calibration_in_the_large,
                          o.Number("calibration_in_the_large", -1e6, 1e6, true));
  VARSAM_ASSIGN_OR_RETURN(e.calibration_slope, o.Number("calibration_slope", -1e6, 1e6, true));
  VARSAM_ASSIGN_OR_RETURN(e.reliability, ReadBins(o, "reliability"));
  std::int64_t binned = 0;
  for (const ReliabilityBin& b : e.reliability) binned += b.count;
  if (!e.reliability.empty() && binned != e.count) {
    return InvalidField(o.Path("reliability"), "bin counts must add up to the count");
  }
  return e;
}

absl::StatusOr<Estimate> ReadEstimate(const Object& parent, std::string_view key) {
  VARSAM_ASSIGN_OR_RETURN(const json* v, parent.Get(key));
  VARSAM_ASSIGN_OR_RETURN(const Object o, ObjectAt(*v, parent.Path(key), {"value", "low", "high"}));
  Estimate e;
  VARSAM_ASSIGN_OR_RETURN(e.value, o.Number("value", -1e6, 1e6, true));
  VARSAM_ASSIGN_OR_RETURN(e.low, o.Number("low", -1e6, 1e6, true));
  VARSAM_ASSIGN_OR_RETURN(e.high, o.Number("high", -1e6, 1e6, true));
  return e;
}

absl::StatusOr<GroupMetrics> ReadGroup(const json& v, const std::string& path) {
  Object o(v, path);
  if (!v.is_object()) return InvalidField(path, "must be an object");
  GroupMetrics g;
  VARSAM_ASSIGN_OR_RETURN(g.suppressed, o.Bool("suppressed"));
  if (g.suppressed) {
    // A group below k is named and nothing else: no count, no rate, nothing to subtract.
    VARSAM_RETURN_IF_ERROR(o.Keys({"feature", "group", "suppressed"}));
  } else {
    VARSAM_RETURN_IF_ERROR(
        o.Keys({"feature", "group", "suppressed", "count", "pseudonyms", "base_rate", "auc",
                "brier", "ece", "false_positive_rate", "false_negative_rate", "reliability"}));
  }
  VARSAM_ASSIGN_OR_RETURN(g.feature, o.Text("feature", false));
  VARSAM_ASSIGN_OR_RETURN(g.group, o.Text("group"));
  if (g.suppressed) return g;
  VARSAM_ASSIGN_OR_RETURN(g.count, o.Whole("count", 0, kMaxCount));
  VARSAM_ASSIGN_OR_RETURN(g.pseudonyms, o.Whole("pseudonyms", 0, g.count));
  VARSAM_ASSIGN_OR_RETURN(g.base_rate, ReadEstimate(o, "base_rate"));
  VARSAM_ASSIGN_OR_RETURN(g.auc, ReadEstimate(o, "auc"));
  VARSAM_ASSIGN_OR_RETURN(g.brier, ReadEstimate(o, "brier"));
  VARSAM_ASSIGN_OR_RETURN(g.ece, ReadEstimate(o, "ece"));
  VARSAM_ASSIGN_OR_RETURN(g.false_positive_rate, ReadEstimate(o, "false_positive_rate"));
  VARSAM_ASSIGN_OR_RETURN(g.false_negative_rate, ReadEstimate(o, "false_negative_rate"));
  VARSAM_ASSIGN_OR_RETURN(g.reliability, ReadBins(o, "reliability"));
  return g;
}

absl::StatusOr<FairnessReport> ReadFairness(const Object& root) {
  VARSAM_ASSIGN_OR_RETURN(const json* v, root.Get("fairness"));
  VARSAM_ASSIGN_OR_RETURN(const Object o, ObjectAt(*v, root.Path("fairness"),
                                                   {"threshold", "bootstrap", "groups", "gaps"}));
  FairnessReport f;
  VARSAM_ASSIGN_OR_RETURN(f.threshold, o.Number("threshold", 0, 1));
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t bootstrap, o.Whole("bootstrap", 0, 10000));
  f.bootstrap = static_cast<int>(bootstrap);
  VARSAM_ASSIGN_OR_RETURN(f.groups, o.List<GroupMetrics>("groups", 0, kMaxList, ReadGroup));
  VARSAM_ASSIGN_OR_RETURN(
      f.gaps,
      o.List<Gap>(
          "gaps", 0, kMaxList, [](const json& g, const std::string& path) -> absl::StatusOr<Gap> {
            VARSAM_ASSIGN_OR_RETURN(
                const Object go,
                ObjectAt(g, path, {"feature", "metric", "low_group", "high_group", "difference"}));
            Gap gap;
            VARSAM_ASSIGN_OR_RETURN(gap.feature, go.Text("feature", false));
            VARSAM_ASSIGN_OR_RETURN(gap.metric, go.Text("metric", false));
            VARSAM_ASSIGN_OR_RETURN(gap.low_group, go.Text("low_group"));
            VARSAM_ASSIGN_OR_RETURN(gap.high_group, go.Text("high_group"));
            VARSAM_ASSIGN_OR_RETURN(gap.difference, go.Number("difference", 0, 1e6));
            return gap;
          }));
  // A gap compares groups that were measured: a suppressed group's figures never enter one.
  for (std::size_t i = 0; i < f.gaps.size(); ++i) {
    for (const std::string* group : {&f.gaps[i].low_group, &f.gaps[i].high_group}) {
      const auto found = std::find_if(f.groups.begin(), f.groups.end(), [&](const GroupMetrics& g) {
        return g.feature == f.gaps[i].feature && g.group == *group;
      });
      if (found == f.groups.end() || found->suppressed) {
        return InvalidField(JsonIndexPath(o.Path("gaps"), i),
                            "must compare groups of the table that are not suppressed");
      }
    }
  }
  return f;
}

// Points: register-trained files mirror the model's features and levels; both kinds have a
// table of every total from the lowest to the highest a case can reach.
absl::StatusOr<PointsModel> ReadPoints(const Object& root, bool evidence,
                                       const std::vector<FeatureInfo>& features) {
  VARSAM_ASSIGN_OR_RETURN(const json* v, root.Get("points"));
  const std::string path = root.Path("points");
  PointsModel points;
  std::optional<Object> o;
  if (evidence) {
    VARSAM_ASSIGN_OR_RETURN(o, ObjectAt(*v, path, {"features", "table"}));
  } else {
    VARSAM_ASSIGN_OR_RETURN(o, ObjectAt(*v, path, {"log_odds_per_point", "features", "table"}));
    VARSAM_ASSIGN_OR_RETURN(points.log_odds_per_point, o->Number("log_odds_per_point", 0, 1e6));
  }
  VARSAM_ASSIGN_OR_RETURN(
      points.features,
      o->List<PointsFeature>(
          "features", 1, 64,
          [](const json& f, const std::string& fpath) -> absl::StatusOr<PointsFeature> {
            VARSAM_ASSIGN_OR_RETURN(const Object fo, ObjectAt(f, fpath, {"name", "levels"}));
            PointsFeature out;
            VARSAM_ASSIGN_OR_RETURN(out.name, fo.Text("name", false));
            VARSAM_ASSIGN_OR_RETURN(
                out.levels,
                fo.List<PointsLevel>(
                    "levels", 1, 1000,
                    [](const json& l, const std::string& lpath) -> absl::StatusOr<PointsLevel> {
                      VARSAM_ASSIGN_OR_RETURN(const Object lo,
                                              ObjectAt(l, lpath, {"level", "points"}));
                      PointsLevel level;
                      VARSAM_ASSIGN_OR_RETURN(level.level, lo.Text("level"));
                      VARSAM_ASSIGN_OR_RETURN(const std::int64_t p,
                                              lo.Whole("points", -1000, 1000));
                      level.points = static_cast<int>(p);
                      return level;
                    }));
            std::vector<std::string> names;
            for (const PointsLevel& l : out.levels) names.push_back(l.level);
            VARSAM_RETURN_IF_ERROR(Distinct(names, fo.Path("levels")));
            return out;
          }));
  std::vector<std::string> names;
  for (const PointsFeature& f : points.features) names.push_back(f.name);
  VARSAM_RETURN_IF_ERROR(Distinct(names, o->Path("features")));
  if (!evidence) {
    if (points.features.size() != features.size()) {
      return InvalidField(o->Path("features"), "must have one entry per feature of the model");
    }
    for (std::size_t i = 0; i < features.size(); ++i) {
      const PointsFeature& p = points.features[i];
      bool same = p.name == features[i].name && p.levels.size() == features[i].levels.size();
      for (std::size_t l = 0; same && l < p.levels.size(); ++l) {
        same = p.levels[l].level == features[i].levels[l];
      }
      if (!same) {
        return InvalidField(JsonIndexPath(o->Path("features"), i),
                            "must name the model's feature and its levels, in order");
      }
    }
  }
  // A case's total lies between the sums of each feature's lowest and highest points (an
  // evidence-based item left unanswered counts 0); the table has a row for each.
  int lowest = 0;
  int highest = 0;
  for (const PointsFeature& f : points.features) {
    int lo = f.levels[0].points;
    int hi = lo;
    for (const PointsLevel& l : f.levels) {
      lo = std::min(lo, l.points);
      hi = std::max(hi, l.points);
    }
    lowest += evidence ? std::min(lo, 0) : lo;
    highest += evidence ? std::max(hi, 0) : hi;
  }
  const auto table_path = o->Path("table");
  VARSAM_ASSIGN_OR_RETURN(
      points.table,
      o->List<PointsBand>(
          "table", 1, 100000,
          [evidence](const json& b, const std::string& bpath) -> absl::StatusOr<PointsBand> {
            PointsBand band;
            if (evidence) {
              VARSAM_ASSIGN_OR_RETURN(const Object bo, ObjectAt(b, bpath, {"total", "label"}));
              VARSAM_ASSIGN_OR_RETURN(const std::int64_t t, bo.Whole("total", -100000, 100000));
              band.total = static_cast<int>(t);
              VARSAM_ASSIGN_OR_RETURN(band.label, bo.Text("label", false));
            } else {
              VARSAM_ASSIGN_OR_RETURN(const Object bo,
                                      ObjectAt(b, bpath, {"total", "probability"}));
              VARSAM_ASSIGN_OR_RETURN(const std::int64_t t, bo.Whole("total", -100000, 100000));
              band.total = static_cast<int>(t);
              VARSAM_ASSIGN_OR_RETURN(band.probability, bo.Number("probability", 0, 1));
            }
            return band;
          }));
  for (std::size_t i = 1; i < points.table.size(); ++i) {
    if (points.table[i].total != points.table[i - 1].total + 1) {
      return InvalidField(JsonIndexPath(table_path, i), "totals must ascend by one");
    }
  }
  if (points.table.front().total > lowest || points.table.back().total < highest) {
    return InvalidField(table_path, "must have a row for every total a case can reach");
  }
  return points;
}

absl::StatusOr<FeatureKind> KindOf(const std::string& name, const std::string& path) {
  for (const FeatureKind kind :
       {FeatureKind::kAgeBand, FeatureKind::kSex, FeatureKind::kRegion, FeatureKind::kCaseKind,
        FeatureKind::kIntervention, FeatureKind::kIntakeTotal, FeatureKind::kIntakeBand,
        FeatureKind::kEarlierEpisodes}) {
    if (FeatureKindName(kind) == name) return kind;
  }
  return InvalidField(path, "is not a known feature");
}

absl::StatusOr<std::vector<FeatureInfo>> ReadFeatures(const Object& root, const ModelSpec& spec) {
  VARSAM_ASSIGN_OR_RETURN(
      std::vector<FeatureInfo> features,
      root.List<FeatureInfo>(
          "features", 1, 32,
          [](const json& v, const std::string& path) -> absl::StatusOr<FeatureInfo> {
            VARSAM_ASSIGN_OR_RETURN(
                const Object o,
                ObjectAt(v, path, {"name", "kind", "levels", "cut_points", "merged"}));
            FeatureInfo f;
            VARSAM_ASSIGN_OR_RETURN(f.name, o.Text("name", false));
            VARSAM_ASSIGN_OR_RETURN(const std::string kind, o.Text("kind"));
            VARSAM_ASSIGN_OR_RETURN(f.kind, KindOf(kind, o.Path("kind")));
            VARSAM_ASSIGN_OR_RETURN(f.levels, o.List<std::string>("levels", 1, 1000, kReadText));
            VARSAM_RETURN_IF_ERROR(Distinct(f.levels, o.Path("levels")));
            VARSAM_ASSIGN_OR_RETURN(f.cut_points,
                                    o.List<double>("cut_points", 0, 1000, kReadFinite));
            VARSAM_ASSIGN_OR_RETURN(f.merged, o.List<std::string>("merged", 0, 100000, kReadText));
            const std::string cuts = o.Path("cut_points");
            if (f.kind != FeatureKind::kIntakeTotal) {
              if (!f.cut_points.empty()) return InvalidField(cuts, "is only for intake totals");
              return f;
            }
            for (std::size_t i = 1; i < f.cut_points.size(); ++i) {
              if (!(f.cut_points[i] > f.cut_points[i - 1])) {
                return InvalidField(JsonIndexPath(cuts, i), "cut points must ascend");
              }
            }
            // One level per bin, then "(missing)" when it has its own column.
            const std::size_t bins = f.cut_points.size() + 1;
            if (!(f.levels.size() == bins ||
                  (f.levels.size() == bins + 1 && f.levels.back() == "(missing)"))) {
              return InvalidField(o.Path("levels"),
                                  "must have one level per bin of the cut points, then (missing)");
            }
            return f;
          }));
  if (features.size() != spec.features.size()) {
    return InvalidField(root.Path("features"), "must have one entry per feature of the spec");
  }
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (features[i].name != FeatureNameOf(spec.features[i]) ||
        features[i].kind != spec.features[i].kind) {
      return InvalidField(JsonIndexPath(root.Path("features"), i),
                          "must be the spec's feature of the same place");
    }
  }
  return features;
}

absl::StatusOr<Model> ReadModel(const Object& root, const ModelSpec& spec) {
  VARSAM_ASSIGN_OR_RETURN(std::vector<FeatureInfo> features, ReadFeatures(root, spec));
  std::vector<std::string> names = {"(intercept)"};
  for (const FeatureInfo& f : features) {
    for (std::size_t l = 1; l < f.levels.size(); ++l)
      names.push_back(Cat({f.name, "=", f.levels[l]}));
  }
  const std::size_t columns = names.size() - 1;
  VARSAM_ASSIGN_OR_RETURN(
      std::vector<Coefficient> coefficients,
      root.List<Coefficient>(
          "coefficients", names.size(), names.size(),
          [](const json& v, const std::string& path) -> absl::StatusOr<Coefficient> {
            VARSAM_ASSIGN_OR_RETURN(const Object o,
                                    ObjectAt(v, path, {"name", "estimate", "standard_error"}));
            Coefficient c;
            VARSAM_ASSIGN_OR_RETURN(c.name, o.Text("name", false));
            VARSAM_ASSIGN_OR_RETURN(c.estimate, o.Number("estimate", -1e6, 1e6));
            VARSAM_ASSIGN_OR_RETURN(c.standard_error, o.Number("standard_error", 0, 1e6));
            return c;
          }));
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (coefficients[i].name != names[i]) {
      return InvalidField(JsonIndexPath(root.Path("coefficients"), i).append(".name"),
                          "must be the intercept, then one column per level after each "
                          "feature's reference, in order");
    }
  }
  VARSAM_ASSIGN_OR_RETURN(std::vector<double> means,
                          root.List<double>("column_means", columns, columns,
                                            [](const json& v, const std::string& path) {
                                              return Object::ReadNumber(v, path, 0, 1, false);
                                            }));
  VARSAM_ASSIGN_OR_RETURN(const double lambda, root.Number("lambda", 0, 1e9));
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t iterations, root.Whole("iterations", 0, 100000));
  return ModelAccess::Make(std::move(features), std::move(coefficients), std::move(means), lambda,
                           static_cast<int>(iterations));
}

absl::StatusOr<CalibrationChoice> CalibrationOf(const std::string& name, const std::string& path) {
  for (const CalibrationChoice kind :
       {CalibrationChoice::kNone, CalibrationChoice::kPlatt, CalibrationChoice::kIsotonic}) {
    if (CalibrationName(kind) == name) return kind;
  }
  return InvalidField(path, "must be \"none\", \"platt\" or \"isotonic\"");
}

absl::StatusOr<Calibration> ReadCalibration(const Object& root) {
  VARSAM_ASSIGN_OR_RETURN(const json* v, root.Get("calibration"));
  VARSAM_ASSIGN_OR_RETURN(const Object o,
                          ObjectAt(*v, root.Path("calibration"),
                                   {"kind", "a", "b", "knots", "values", "held_out_log_loss"}));
  Calibration c;
  VARSAM_ASSIGN_OR_RETURN(const std::string kind, o.Text("kind"));
  VARSAM_ASSIGN_OR_RETURN(c.kind, CalibrationOf(kind, o.Path("kind")));
  VARSAM_ASSIGN_OR_RETURN(c.a, o.Number("a", -1e6, 1e6));
  VARSAM_ASSIGN_OR_RETURN(c.b, o.Number("b", -1e6, 1e6));
  const auto probability = [](const json& p, const std::string& path) {
    return Object::ReadNumber(p, path, 0, 1, false);
  };
  VARSAM_ASSIGN_OR_RETURN(c.knots, o.List<double>("knots", 0, kMaxList, probability));
  VARSAM_ASSIGN_OR_RETURN(c.values, o.List<double>("values", 0, kMaxList, probability));
  if (c.values.size() != c.knots.size()) {
    return InvalidField(o.Path("values"), "must have one value per knot");
  }
  if (c.kind == CalibrationChoice::kIsotonic && c.knots.empty()) {
    return InvalidField(o.Path("knots"), "must not be empty for isotonic recalibration");
  }
  for (std::size_t i = 1; i < c.knots.size(); ++i) {
    if (!(c.knots[i] > c.knots[i - 1])) {
      return InvalidField(JsonIndexPath(o.Path("knots"), i), "knots must ascend");
    }
    if (c.values[i] < c.values[i - 1]) {
      return InvalidField(JsonIndexPath(o.Path("values"), i), "values must not descend");
    }
  }
  VARSAM_ASSIGN_OR_RETURN(
      c.held_out_log_loss,
      o.List<double>("held_out_log_loss", 0, 3, [](const json& p, const std::string& path) {
        return Object::ReadNumber(p, path, 0, 1e6, true);
      }));
  return c;
}

bool IsTimestamp(std::string_view s) {
  // RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS, optional fraction, then Z.
  if (s.size() < 20 || s.back() != 'Z') return false;
  const auto digits = [&](std::size_t from, std::size_t count) {
    for (std::size_t i = from; i < from + count; ++i) {
      if (!IsDigit(s[i])) return false;
    }
    return true;
  };
  if (!digits(0, 4) || s[4] != '-' || !digits(5, 2) || s[7] != '-' || !digits(8, 2) ||
      s[10] != 'T' || !digits(11, 2) || s[13] != ':' || !digits(14, 2) || s[16] != ':' ||
      !digits(17, 2)) {
    return false;
  }
  const auto two = [&](std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); };
  const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + two(2);
  if (!IsValidDate(year, two(5), two(8)) || two(11) > 23 || two(14) > 59 || two(17) > 60) {
    return false;
  }
  if (s.size() == 20) return true;
  return s[19] == '.' && s.size() > 21 && digits(20, s.size() - 21);
}

absl::StatusOr<TrainingRecord> ReadTraining(const Object& root) {
  VARSAM_ASSIGN_OR_RETURN(const json* v, root.Get("training"));
  VARSAM_ASSIGN_OR_RETURN(const Object o,
                          ObjectAt(*v, root.Path("training"),
                                   {"trained_at", "period_from", "period_to", "rows", "pseudonyms",
                                    "left_out", "key_epochs"}));
  TrainingRecord t;
  VARSAM_ASSIGN_OR_RETURN(t.trained_at, o.Text("trained_at"));
  if (!t.trained_at.empty() && !IsTimestamp(t.trained_at)) {
    return InvalidField(o.Path("trained_at"), "must be an RFC 3339 time in UTC (…Z), or empty");
  }
  for (const auto& [key, out] :
       {std::pair<std::string_view, std::string*>{"period_from", &t.period_from},
        std::pair<std::string_view, std::string*>{"period_to", &t.period_to}}) {
    VARSAM_ASSIGN_OR_RETURN(*out, o.Text(key));
    if (!out->empty() && !ParsePeriod(*out)) {
      return InvalidField(o.Path(key), "must be a period YYYY, YYYY-Qn or YYYY-MM, or empty");
    }
  }
  VARSAM_ASSIGN_OR_RETURN(t.rows, o.Whole("rows", 0, kMaxCount));
  VARSAM_ASSIGN_OR_RETURN(t.pseudonyms, o.Whole("pseudonyms", 0, t.rows));
  VARSAM_ASSIGN_OR_RETURN(t.left_out, o.Whole("left_out", 0, kMaxCount));
  VARSAM_ASSIGN_OR_RETURN(
      t.key_epochs,
      o.List<std::int32_t>(
          "key_epochs", 0, 10000,
          [](const json& e, const std::string& path) -> absl::StatusOr<std::int32_t> {
            VARSAM_ASSIGN_OR_RETURN(
                const std::int64_t epoch,
                JsonWholeNumber(e, path, 0, std::numeric_limits<std::int32_t>::max()));
            return static_cast<std::int32_t>(epoch);
          }));
  for (std::size_t i = 1; i < t.key_epochs.size(); ++i) {
    if (t.key_epochs[i] <= t.key_epochs[i - 1]) {
      return InvalidField(JsonIndexPath(o.Path("key_epochs"), i), "key epochs must ascend");
    }
  }
  return t;
}

absl::StatusOr<ModelSpec> ReadSpec(const Object& root) {
  VARSAM_ASSIGN_OR_RETURN(const json* v, root.Get("spec"));
  if (!v->is_object()) return InvalidField(root.Path("spec"), "must be an object");
  // The spec's own loader, so that a file's spec is exactly what training would accept; its
  // messages name "spec...." paths, which is where the spec sits in the file.
  VARSAM_ASSIGN_OR_RETURN(ModelSpec spec, ParseModelSpec(DumpJson(*v)));
  if (!spec.protected_classes.empty()) {
    return InvalidField("spec.features",
                        "names a special category of personal data; no model is trained on one");
  }
  return spec;
}

absl::StatusOr<ModelFile> ReadRegisterTrained(const Object& root, ModelFile file) {
  VARSAM_RETURN_IF_ERROR(
      root.Keys({"format", "kind", "name", "spec", "training", "features", "coefficients",
                 "column_means", "lambda", "iterations", "cv", "evaluation", "calibration",
                 "calibrated_evaluation", "points", "points_evaluation", "fairness", "sha256"}));
  VARSAM_ASSIGN_OR_RETURN(file.spec, ReadSpec(root));
  VARSAM_ASSIGN_OR_RETURN(file.training, ReadTraining(root));
  VARSAM_ASSIGN_OR_RETURN(file.model, ReadModel(root, file.spec));
  VARSAM_ASSIGN_OR_RETURN(
      file.cv,
      root.List<LambdaScore>(
          "cv", 0, 20, [](const json& v, const std::string& path) -> absl::StatusOr<LambdaScore> {
            VARSAM_ASSIGN_OR_RETURN(const Object o, ObjectAt(v, path, {"lambda", "log_loss"}));
            LambdaScore s;
            VARSAM_ASSIGN_OR_RETURN(s.lambda, o.Number("lambda", 0, 1e9));
            VARSAM_ASSIGN_OR_RETURN(s.log_loss, o.Number("log_loss", 0, 1e6, true));
            return s;
          }));
  VARSAM_ASSIGN_OR_RETURN(file.evaluation, ReadEvaluation(root, "evaluation"));
  VARSAM_ASSIGN_OR_RETURN(file.calibration, ReadCalibration(root));
  VARSAM_ASSIGN_OR_RETURN(file.calibrated_evaluation,
                          ReadEvaluation(root, "calibrated_evaluation"));
  VARSAM_ASSIGN_OR_RETURN(file.points, ReadPoints(root, false, file.model.features()));
  VARSAM_ASSIGN_OR_RETURN(file.points_evaluation, ReadEvaluation(root, "points_evaluation"));
  VARSAM_ASSIGN_OR_RETURN(file.fairness, ReadFairness(root));
  return file;
}

absl::StatusOr<ModelFile> ReadEvidenceBased(const Object& root, ModelFile file) {
  VARSAM_RETURN_IF_ERROR(root.Keys({"format", "kind", "name", "source", "points", "sha256"}));
  VARSAM_ASSIGN_OR_RETURN(const json* v, root.Get("source"));
  VARSAM_ASSIGN_OR_RETURN(const Object source,
                          ObjectAt(*v, root.Path("source"), {"title", "citation", "url"}));
  VARSAM_ASSIGN_OR_RETURN(file.source.title, source.Text("title", false));
  VARSAM_ASSIGN_OR_RETURN(file.source.citation, source.Text("citation", false));
  VARSAM_ASSIGN_OR_RETURN(file.source.url, source.Text("url"));
  if (!file.source.url.empty() && !file.source.url.starts_with("https://") &&
      !file.source.url.starts_with("http://")) {
    return InvalidField(source.Path("url"), "must be an http(s) address, or empty");
  }
  VARSAM_ASSIGN_OR_RETURN(file.points, ReadPoints(root, true, {}));
  return file;
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(),
                                       [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

}  // namespace

ModelFile MakeModelFile(const ModelSpec& spec, const TrainingSet& training, const FitResult& fit,
                        const FairnessReport& fairness) {
  ModelFile file;
  file.kind = ModelKind::kRegisterTrained;
  file.spec = spec;
  file.model = fit.model;
  file.cv = fit.cv;
  file.evaluation = fit.evaluation;
  file.calibration = fit.calibration;
  file.calibrated_evaluation = fit.calibrated_evaluation;
  file.points = fit.points;
  file.points_evaluation = fit.points_evaluation;
  file.fairness = fairness;
  file.training.period_from = training.period_from;
  file.training.period_to = training.period_to;
  file.training.rows = static_cast<std::int64_t>(training.rows);
  file.training.pseudonyms = static_cast<std::int64_t>(training.pseudonyms);
  file.training.left_out = static_cast<std::int64_t>(training.left_out);
  file.training.key_epochs = training.key_epochs;
  return file;
}

std::string ModelFileJson(ModelFile& file) {
  std::string text = CanonicalBody(file);
  text += '}';
  file.sha256 = Sha256Hex(text);
  text.pop_back();
  text.append(",\"sha256\":\"").append(file.sha256).append("\"}");
  return text;
}

namespace {

// The file as read, and the hash it states.
absl::StatusOr<std::pair<ModelFile, std::string>> ReadModelFile(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root_value, ParseJson(text, "model"));
  if (!root_value.is_object()) return InvalidField("model", "must be an object");
  const Object root(root_value, "model");
  VARSAM_ASSIGN_OR_RETURN(const std::string format, root.Text("format"));
  if (format != kFormat) return InvalidField("model.format", "must be \"varsam-model/1\"");
  ModelFile file;
  VARSAM_ASSIGN_OR_RETURN(const std::string kind, root.Text("kind"));
  if (kind == "register_trained") {
    file.kind = ModelKind::kRegisterTrained;
  } else if (kind == "evidence_based") {
    file.kind = ModelKind::kEvidenceBased;
  } else {
    return InvalidField("model.kind", "must be \"register_trained\" or \"evidence_based\"");
  }
  VARSAM_ASSIGN_OR_RETURN(file.name, root.Text("name", false));
  VARSAM_ASSIGN_OR_RETURN(std::string sha256, root.Text("sha256"));
  if (!IsLowerHex64(sha256)) {
    return InvalidField("model.sha256", "must be 64 lower-case hexadecimal digits");
  }
  if (file.kind == ModelKind::kRegisterTrained) {
    VARSAM_ASSIGN_OR_RETURN(file, ReadRegisterTrained(root, std::move(file)));
  } else {
    VARSAM_ASSIGN_OR_RETURN(file, ReadEvidenceBased(root, std::move(file)));
  }
  // The identity is the hash of the canonical bytes of what was read (layout aside: the
  // canonical form has none).
  ModelFileJson(file);
  return std::pair<ModelFile, std::string>(std::move(file), std::move(sha256));
}

}  // namespace

absl::StatusOr<ModelFile> ParseModelFileUnverified(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(auto read, ReadModelFile(text));
  return std::move(read.first);
}

absl::StatusOr<ModelFile> ParseModelFile(std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(auto read, ReadModelFile(text));
  // A file changed after it was written no longer matches its hash.
  if (read.first.sha256 != read.second) {
    return absl::DataLossError("model.sha256: does not match the file's content");
  }
  return std::move(read.first);
}

}  // namespace varsam::models
