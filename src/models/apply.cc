// Applying a model to one case (varsam/models.h; docs/models.md, "Applying a model"): the
// case's features read from the host's JSON, the calibrated probability with its band, every
// feature's part in log-odds and points, the largest parts in words, and what the model does
// not know about the case (EU AI Act art 13(3)(b)(iv) and art 86).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal.h"
#include "nlohmann/json.hpp"
#include "publish.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace varsam::models {
namespace {

using nlohmann::json;

constexpr std::string_view kMissing = "(missing)";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A signed figure with two decimals; Swedish text takes a decimal comma.
std::string Signed(double v, bool swedish) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+.2f", v);
  std::string s(buffer);
  if (swedish) std::replace(s.begin(), s.end(), '.', ',');
  return s;
}

// How the register writes a level that the case may send empty (training_set.cc reads the
// register's empty values the same way).
std::string Normalised(FeatureKind kind, std::string level) {
  if (!level.empty()) return level;
  switch (kind) {
    case FeatureKind::kSex: return "unknown";
    case FeatureKind::kRegion: return "suppressed";
    case FeatureKind::kIntervention: return "none";
    default: return level;
  }
}

absl::StatusOr<FeatureValue> ReadRegisterValue(const FeatureInfo& feature, const json& v,
                                               const std::string& path) {
  FeatureValue value;
  switch (feature.kind) {
    case FeatureKind::kIntakeTotal:
      if (v.is_null()) return value;  // the case has no intake measurement with a total
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        return InvalidField(path, "must be a number, or null when there is no intake total");
      }
      value.number = v.get<double>();
      return value;
    case FeatureKind::kIntakeBand:
      if (v.is_null()) {
        value.level = kMissing;
        return value;
      }
      break;
    case FeatureKind::kEarlierEpisodes:
      if (v.is_number()) {
        VARSAM_ASSIGN_OR_RETURN(const std::int64_t n, JsonWholeNumber(v, path, 0, 1000000));
        value.level = n >= 3 ? "3+" : std::to_string(n);
        return value;
      }
      break;
    default: break;
  }
  if (!v.is_string()) return InvalidField(path, "must be a string");
  if (v.get_ref<const std::string&>().size() > 256) return InvalidField(path, "is too long");
  value.level = Normalised(feature.kind, v.get<std::string>());
  return value;
}

absl::StatusOr<FeatureValue> ReadEvidenceValue(const PointsFeature& item, const json& v,
                                               const std::string& path) {
  if (!v.is_string()) return InvalidField(path, "must be a string: one of the item's answers");
  FeatureValue value;
  value.level = v.get<std::string>();
  const bool known = std::any_of(item.levels.begin(), item.levels.end(),
                                 [&](const PointsLevel& l) { return l.level == value.level; });
  if (!known) return InvalidField(path, "is not one of the item's answers");
  return value;
}

// The reliability bin of a probability, as Evaluate bins it: [lower, upper), the last with 1.
const ReliabilityBin* BinOf(const std::vector<ReliabilityBin>& bins, double p) {
  for (std::size_t i = 0; i < bins.size(); ++i) {
    if ((p >= bins[i].lower && p < bins[i].upper) || (i + 1 == bins.size() && p >= bins[i].lower))
      return &bins[i];
  }
  return nullptr;
}

void AddNothingElse(const std::vector<std::string>& names, bool evidence, Prediction& out) {
  std::string sv;
  std::string en;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      const bool last = i + 1 == names.size();
      sv += last ? " och " : ", ";
      en += last ? " and " : ", ";
    }
    const FeatureWords words = WordsFor(names[i]);
    sv += words.sv;
    en += words.en;
  }
  const std::string count = std::to_string(names.size());
  out.unknown_sv.push_back(
      Cat({"Inget utöver ", evidence ? "verktygets " : "modellens ", count,
           evidence ? " punkter (" : " variabler (", sv,
           ") vägdes in: allt annat som är känt om ärendet är handläggarens att väga."}));
  out.unknown_en.push_back(
      Cat({"Nothing outside the ", evidence ? "tool's " : "model's ", count,
           evidence ? " items (" : " features (", en,
           ") was considered: whatever else is known about the case is for the officer to ",
           "weigh."}));
}

// The parts with the largest |key|, up to three, largest first (the earlier on a tie).
template <typename Key>
std::vector<std::size_t> Largest(const std::vector<PredictionPart>& parts, Key key) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (key(parts[i]) != 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(key(parts[a])) > std::abs(key(parts[b]));
  });
  if (order.size() > 3) order.resize(3);
  return order;
}

absl::StatusOr<Prediction> ApplyEvidenceBased(const ModelFile& file, const FeatureRow& row,
                                              ApplyText text) {
  const std::vector<PointsFeature>& items = file.points.features;
  if (row.size() != items.size()) {
    return InvalidField("row", "must have one value per item of the model, in its order");
  }
  Prediction out;
  out.probability = out.raw_probability = kNaN;
  out.band_low = out.band_high = kNaN;
  out.parts.reserve(items.size());
  const bool words = text == ApplyText::kFull;
  for (std::size_t f = 0; f < items.size(); ++f) {
    const PointsFeature& item = items[f];
    PredictionPart part;
    part.feature = item.name;
    if (row[f].given) {
      const auto level =
          std::find_if(item.levels.begin(), item.levels.end(),
                       [&](const PointsLevel& l) { return l.level == row[f].level; });
      if (level == item.levels.end()) {
        return InvalidField(JsonKeyPath("case", item.name), "is not one of the item's answers");
      }
      part.level = level->level;
      part.points = level->points;
    } else if (words) {
      out.unknown_sv.push_back(
          Cat({"Punkten '", item.name, "' besvarades inte; den ger 0 poäng."}));
      out.unknown_en.push_back(
          Cat({"The item '", item.name, "' was not answered; it counts 0 points."}));
    }
    out.points_total += part.points;
    out.parts.push_back(std::move(part));
  }
  for (const PointsBand& band : file.points.table) {
    if (band.total == out.points_total) out.points_label = band.label;
  }
  if (!words) return out;
  for (const std::size_t i : Largest(out.parts, [](const PredictionPart& p) { return p.points; })) {
    const PredictionPart& p = out.parts[i];
    const std::string points = std::to_string(p.points);
    out.summary_sv.push_back(Cat({p.feature, " '", p.level, "': ", points, " poäng."}));
    out.summary_en.push_back(
        Cat({p.feature, " '", p.level, "': ", points, p.points == 1 ? " point." : " points."}));
  }
  std::vector<std::string> names;
  names.reserve(items.size());
  for (const PointsFeature& item : items) names.push_back(item.name);
  AddNothingElse(names, true, out);
  return out;
}

absl::StatusOr<Prediction> ApplyRegisterTrained(const ModelFile& file, const FeatureRow& row,
                                                ApplyText text) {
  const Model& model = file.model;
  const std::vector<FeatureInfo>& features = model.features();
  const std::vector<Coefficient>& beta = model.coefficients();
  const std::vector<double>& means = ModelAccess::ColumnMeans(model);
  if (beta.empty() || means.size() + 1 != beta.size()) {
    return absl::FailedPreconditionError("model: not fitted");
  }
  std::size_t columns = 0;
  for (const FeatureInfo& feature : features) {
    if (feature.levels.empty())
      return absl::FailedPreconditionError("model: a feature has no level");
    columns += feature.levels.size() - 1;
  }
  if (columns != means.size()) {
    return absl::FailedPreconditionError("model: the coefficients do not match the features");
  }
  if (row.size() != features.size()) {
    return InvalidField("row", "must have one value per feature of the model, in its order");
  }
  const bool with_points = file.points.features.size() == features.size();

  Prediction out;
  out.parts.reserve(features.size());
  // The base is the score of the training mean; each part is relative to it, so that the base
  // and the parts add up to the case's logit (Model::Explain, docs/models.md).
  out.base_log_odds = beta[0].estimate;
  for (std::size_t c = 0; c < means.size(); ++c)
    out.base_log_odds += beta[c + 1].estimate * means[c];
  double z = out.base_log_odds;
  std::size_t column = 0;
  for (std::size_t f = 0; f < features.size(); ++f) {
    const FeatureInfo& feature = features[f];
    // A feature the case does not give reads as the reference level (varsam/models.h).
    const std::size_t level = row[f].given ? LevelOf(feature, row[f]) : 0;
    double part = 0;  // the sum over the feature's columns of beta_j * (x_j - mean_j)
    for (std::size_t l = 1; l < feature.levels.size(); ++l) {
      part += beta[column + l].estimate * ((l == level ? 1.0 : 0.0) - means[column + l - 1]);
    }
    z += part;
    PredictionPart p;
    p.feature = feature.name;
    p.level = feature.levels[level];
    p.log_odds = part;
    if (with_points && level < file.points.features[f].levels.size()) {
      p.points = file.points.features[f].levels[level].points;
    }
    out.points_total += p.points;
    out.parts.push_back(std::move(p));
    column += feature.levels.size() - 1;
  }
  out.raw_probability = Sigmoid(z);
  out.probability = file.calibration.Apply(out.raw_probability);

  // The band: how the outcomes of training cases with calibrated scores in this bin varied.
  const auto k = static_cast<std::int64_t>(file.spec.min_support);
  const ReliabilityBin* bin = BinOf(file.calibrated_evaluation.reliability, out.probability);
  const auto n = bin == nullptr ? 0.0 : static_cast<double>(bin->count);
  const auto [low, high] =
      WilsonInterval(bin == nullptr ? 0.0 : std::round(bin->observed_rate * n), n);
  out.band_low = low;
  out.band_high = high;
  if (text == ApplyText::kNumbers) return out;

  for (const std::size_t i :
       Largest(out.parts, [](const PredictionPart& p) { return p.log_odds; })) {
    const PredictionPart& p = out.parts[i];
    const FeatureWords words = WordsFor(p.feature);
    const bool up = p.log_odds > 0;
    out.summary_sv.push_back(
        Cat({"Ärendets ", words.sv, " '", p.level, "' ", up ? "höjer" : "sänker",
             " den skattade sannolikheten (", Signed(p.log_odds, true),
             " log-odds mot genomsnittet i träningsdata)."}));
    out.summary_en.push_back(
        Cat({"The case's ", words.en, " '", p.level, "' ", up ? "raises" : "lowers",
             " the estimated probability (", Signed(p.log_odds, false),
             " log-odds against the training average)."}));
  }

  std::vector<std::string> names;
  names.reserve(features.size());
  for (std::size_t f = 0; f < features.size(); ++f) {
    const FeatureInfo& feature = features[f];
    const FeatureValue& value = row[f];
    names.push_back(feature.name);
    const std::string& read = out.parts[f].level;
    if (!value.given) {
      const FeatureWords words = WordsFor(feature.name);
      out.unknown_sv.push_back(Cat({"Ärendet anger inte ", words.sv, "; modellen läste det som '",
                                    read, "', sin referensnivå."}));
      out.unknown_en.push_back(Cat({"The case does not give the ", words.en,
                                    "; the model read it as '", read, "', its reference level."}));
      continue;
    }
    const bool learned = feature.kind == FeatureKind::kIntakeTotal
                             ? value.number.has_value() || read == kMissing
                             : std::find(feature.levels.begin(), feature.levels.end(),
                                         value.level) != feature.levels.end();
    if (!learned) {
      const FeatureWords words = WordsFor(feature.name);
      out.unknown_sv.push_back(
          Cat({"Ärendets ", words.sv,
               " är ingen nivå som modellen har lärt sig för sig (för få personer i träningsdata, ",
               "eller inga); den lästes som '", read, "'."}));
      out.unknown_en.push_back(
          Cat({"The case's ", words.en,
               " is not a level the model learned on its own (too few people in the training ",
               "data, or none); it was read as '", read, "'."}));
    }
  }
  // Groups of the fairness table that the case belongs to and that were too small to measure.
  const std::string k_text = std::to_string(k);
  for (const GroupMetrics& g : file.fairness.groups) {
    if (!g.suppressed) continue;
    for (std::size_t f = 0; f < features.size(); ++f) {
      if (features[f].name != g.feature || !row[f].given) continue;
      if (g.group != row[f].level && g.group != out.parts[f].level) continue;
      const FeatureWords words = WordsFor(g.feature);
      out.unknown_sv.push_back(
          Cat({"Modellens träffsäkerhet för gruppen '", g.group, "' (", words.sv,
               ") mättes inte: färre än ", k_text, " personer i träningsdata."}));
      out.unknown_en.push_back(
          Cat({"The model's accuracy for the group '", g.group, "' (", words.en,
               ") was not measured: fewer than ", k_text, " people in the training data."}));
    }
  }
  if (bin == nullptr || bin->count < k) {
    out.unknown_sv.push_back(Cat({"Färre än ", k_text,
                                  " ärenden i träningsdata fick en sådan skattning; "
                                  "kalibreringsbandet vilar på lite data."}));
    out.unknown_en.push_back(Cat({"Fewer than ", k_text,
                                  " training cases had an estimate like this; the calibration "
                                  "band rests on little data."}));
  }
  AddNothingElse(names, false, out);
  return out;
}

}  // namespace

absl::StatusOr<FeatureRow> ParseCaseFeatures(const ModelFile& file, std::string_view text) {
  VARSAM_ASSIGN_OR_RETURN(const json root, ParseJson(text, "case"));
  if (!root.is_object()) return InvalidField("case", "must be an object");
  const bool evidence = file.kind == ModelKind::kEvidenceBased;
  const std::size_t count = evidence ? file.points.features.size() : file.model.features().size();
  FeatureRow row(count);
  for (FeatureValue& v : row) v.given = false;
  for (const auto& item : root.items()) {
    std::optional<std::size_t> index;
    for (std::size_t f = 0; f < count && !index; ++f) {
      const std::string& name =
          evidence ? file.points.features[f].name : file.model.features()[f].name;
      if (name == item.key()) index = f;
    }
    if (!index) {
      return absl::InvalidArgumentError(
          Cat({"case: unknown key ", KeyForMessage(item.key()), " (not a feature of the model)"}));
    }
    // The path names the model's own feature name, never a value of the case.
    const std::string path = JsonKeyPath(
        "case", evidence ? file.points.features[*index].name : file.model.features()[*index].name);
    VARSAM_ASSIGN_OR_RETURN(
        row[*index], evidence
                         ? ReadEvidenceValue(file.points.features[*index], item.value(), path)
                         : ReadRegisterValue(file.model.features()[*index], item.value(), path));
  }
  return row;
}

absl::StatusOr<Prediction> Apply(const ModelFile& file, const FeatureRow& row, ApplyText text) {
  return file.kind == ModelKind::kEvidenceBased ? ApplyEvidenceBased(file, row, text)
                                                : ApplyRegisterTrained(file, row, text);
}

}  // namespace varsam::models
