// Tests of the model file, the application of a model to one case and the model card
// (varsam/models.h; docs/models.md, "The model file", "Applying a model", "The model card",
// "Evidence-based models"). Every register here is synthetic, drawn from a seeded generator
// inside the test; the evidence-based fixture is an invented example, not a validated tool.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "catch2/catch.hpp"
#include "model_fixtures.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "varsam/core.h"
#include "varsam/models.h"
#include "varsam/store.h"

namespace {

namespace models = varsam::models;
using models::ModelFile;
using varsam::StatusMessage;
using varsam_test::kSpecJson;
using varsam_test::MakeRegister;
using varsam_test::Register;

std::string Message(const absl::Status& status) { return std::string(StatusMessage(status)); }

double Logit(double p) { return std::log(p / (1 - p)); }

struct Fitted {
  models::ModelSpec spec;
  models::TrainingSet training;
  ModelFile file;
  std::string json;
};

// One fit for the whole file: the model file of a real fit of the synthetic register.
const Fitted& Trained() {
  static const Fitted* fitted = [] {
    auto* out = new Fitted;
    const auto spec = models::ParseModelSpec(kSpecJson);
    REQUIRE(spec.ok());
    out->spec = *spec;
    const Register reg = MakeRegister();
    auto training = models::BuildTrainingSet(out->spec, reg.episodes, reg.measurements);
    REQUIRE(training.ok());
    out->training = *std::move(training);
    auto file = varsam_test::FitSampleModel();
    REQUIRE(file.ok());
    out->file = *std::move(file);
    out->json = models::ModelFileJson(out->file);
    return out;
  }();
  return *fitted;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(VARSAM_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    constexpr char kHex[] = "0123456789abcdef";
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// The file's JSON with one member changed (the hash left as it was).
std::string Edited(const std::string& json_text, const std::string& pointer,
                   const nlohmann::json& value) {
  nlohmann::json j = nlohmann::json::parse(json_text);
  j[nlohmann::json::json_pointer(pointer)] = value;
  return j.dump();
}

models::FeatureRow Case(const ModelFile& file, std::string_view json_text) {
  auto row = models::ParseCaseFeatures(file, json_text);
  REQUIRE(row.ok());
  return *std::move(row);
}

bool Contains(const std::vector<std::string>& lines, std::string_view part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("model file: a register-trained file reads back to the same bytes", "[models]") {
  const Fitted& fitted = Trained();
  const auto parsed = models::ParseModelFile(fitted.json);
  REQUIRE(parsed.ok());
  ModelFile again = *parsed;
  CHECK(models::ModelFileJson(again) == fitted.json);
  CHECK(parsed->sha256 == fitted.file.sha256);
  CHECK(parsed->kind == models::ModelKind::kRegisterTrained);
  CHECK(parsed->name == fitted.file.name);
  CHECK(parsed->training.trained_at == "2026-12-04T20:00:00Z");
  CHECK(parsed->training.rows == static_cast<std::int64_t>(fitted.training.rows));
  CHECK(parsed->training.key_epochs == std::vector<std::int32_t>{1, 2});
  CHECK(parsed->spec.fairness.size() == 3);
  CHECK(parsed->spec.bootstrap == 20);
  // Bit for bit: every coefficient, its standard error and the calibration.
  const auto& a = parsed->model.coefficients();
  const auto& b = fitted.file.model.coefficients();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].estimate == b[i].estimate);
    CHECK(a[i].standard_error == b[i].standard_error);
  }
  CHECK(parsed->calibration.kind == fitted.file.calibration.kind);
  CHECK(parsed->calibration.knots == fitted.file.calibration.knots);
  CHECK(parsed->evaluation.auc == fitted.file.evaluation.auc);
  // The same case is scored the same by the file read back.
  const auto row =
      Case(*parsed, R"({"age_band": "18-24", "sex": "male", "intake_total:phq9": 20})");
  const auto p1 = models::Apply(*parsed, row);
  const auto p2 = models::Apply(fitted.file, row);
  REQUIRE(p1.ok());
  REQUIRE(p2.ok());
  CHECK(p1->probability == p2->probability);
}

TEST_CASE("model file: numbers are written in their shortest exact form, NaN as null", "[models]") {
  ModelFile file = Trained().file;
  REQUIRE(!file.cv.empty());
  file.cv[0].log_loss = 0.1;
  file.calibration.a = -0.0;
  file.points.log_odds_per_point = 1e-7;
  file.fairness.threshold = 2.0 / 3.0;
  file.evaluation.calibration_slope = std::nan("");
  const std::string text = models::ModelFileJson(file);
  CHECK(text.find(R"("log_loss":0.1})") != std::string::npos);
  CHECK(text.find(R"("a":0,)") != std::string::npos);  // -0 as 0: JSON readers take -0 for 0
  CHECK(text.find(R"("log_odds_per_point":1e-07,)") != std::string::npos);
  CHECK(text.find(R"("threshold":0.6666666666666666,)") != std::string::npos);
  CHECK(text.find(R"("calibration_slope":null,)") != std::string::npos);
  const auto back = models::ParseModelFile(text);
  REQUIRE(back.ok());
  CHECK(back->fairness.threshold == 2.0 / 3.0);
  CHECK(back->points.log_odds_per_point == 1e-7);
  CHECK(std::isnan(back->evaluation.calibration_slope));
  ModelFile again = *back;
  CHECK(models::ModelFileJson(again) == text);
}

TEST_CASE("model file: the hash is SHA-256 of the canonical bytes without it", "[models]") {
  const Fitted& fitted = Trained();
  const std::string& text = fitted.json;
  const std::string tail = ",\"sha256\":\"" + fitted.file.sha256 + "\"}";
  REQUIRE(text.size() > tail.size());
  REQUIRE(text.ends_with(tail));
  CHECK(Sha256Hex(text.substr(0, text.size() - tail.size()) + "}") == fitted.file.sha256);
  // No spaces but those inside strings.
  std::size_t spaces_in_strings = 0;
  const auto count = [&](const auto& self, const nlohmann::json& v) -> void {
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      spaces_in_strings += static_cast<std::size_t>(std::count(s.begin(), s.end(), ' '));
    }
    for (const auto& item : v.items()) {
      if (v.is_object()) {
        spaces_in_strings +=
            static_cast<std::size_t>(std::count(item.key().begin(), item.key().end(), ' '));
      }
      if (v.is_structured()) self(self, item.value());
    }
  };
  count(count, nlohmann::json::parse(text));
  CHECK(static_cast<std::size_t>(std::count(text.begin(), text.end(), ' ')) == spaces_in_strings);
  // Stable: written again, and written by a second identical fit, the same bytes.
  ModelFile copy = fitted.file;
  CHECK(models::ModelFileJson(copy) == text);
  const Register reg = MakeRegister();
  const auto training = models::BuildTrainingSet(fitted.spec, reg.episodes, reg.measurements);
  REQUIRE(training.ok());
  const auto fit = models::Fit(fitted.spec, *training);
  REQUIRE(fit.ok());
  const auto fairness = models::AssessFairness(fitted.spec, *training, fit->calibrated_out_of_fold);
  REQUIRE(fairness.ok());
  ModelFile second = models::MakeModelFile(fitted.spec, *training, *fit, *fairness);
  second.name = fitted.file.name;
  second.training.trained_at = fitted.file.training.trained_at;
  CHECK(models::ModelFileJson(second) == text);
  // The known value of the fixture, computed outside varsam (Python's hashlib over the
  // fixture's members written without spaces in the order of docs/models.md).
  const auto evidence = models::ParseModelFile(ReadFixture("model-evidence-example.json"));
  REQUIRE(evidence.ok());
  CHECK(evidence->sha256 == "0e0acad2c5192758d0933ae5f24a230ca56a139aecc27a898c2ed5fed7d239b3");
}

TEST_CASE("model file: a changed coefficient is data loss, any changed byte is found", "[models]") {
  const Fitted& fitted = Trained();
  // A digit of the first coefficient's estimate.
  std::string tampered = fitted.json;
  const std::size_t at = tampered.find("\"estimate\":");
  REQUIRE(at != std::string::npos);
  std::size_t digit = at + 11;
  while (!varsam::IsDigit(tampered[digit]) || tampered[digit] == '0') ++digit;
  tampered[digit] = tampered[digit] == '9' ? '8' : static_cast<char>(tampered[digit] + 1);
  const auto loaded = models::ParseModelFile(tampered);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kDataLoss);
  CHECK(Message(loaded.status()) == "model.sha256: does not match the file's content");

  // Every byte of the evidence-based file, changed: refused, or read as the very same content.
  const std::string text = ReadFixture("model-evidence-example.json");
  const auto original = models::ParseModelFile(text);
  REQUIRE(original.ok());
  int data_loss = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string changed = text;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    const auto read = models::ParseModelFile(changed);
    if (read.ok()) {
      CHECK(read->sha256 == original->sha256);  // whitespace, or the same number spelled alike
    } else {
      const auto code = read.status().code();
      CHECK((code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kInvalidArgument));
      data_loss += code == absl::StatusCode::kDataLoss ? 1 : 0;
    }
  }
  CHECK(data_loss > 100);  // every letter of every name, level and label
}

TEST_CASE("model file: the strict loader names the field, never the value", "[models]") {
  const std::string& text = Trained().json;
  const std::string secret = "secret-value-q";
  struct Bad {
    std::string json;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {"[]", "model: must be an object"},
      {Edited(text, "/format", "varsam-model/2"), "model.format: must be \"varsam-model/1\""},
      {Edited(text, "/kind", secret), "model.kind: must be"},
      {Edited(text, "/colour", 1), "model: unknown key 'colour'"},
      {Edited(text, "/lambda", secret), "model.lambda: must be a number from 0 to 1e+09"},
      {Edited(text, "/coefficients/2/estimate", secret),
       "model.coefficients[2].estimate: must be a number"},
      {Edited(text, "/coefficients/1/name", secret), "model.coefficients[1].name: must be"},
      {Edited(text, "/column_means/0", 1.5), "model.column_means[0]: must be a number from 0 to 1"},
      {Edited(text, "/calibration/kind", "auto"), "model.calibration.kind: must be"},
      {Edited(text, "/evaluation/auc", -0.5), "model.evaluation.auc: must be a number from 0 to 1"},
      {Edited(text, "/evaluation/reliability/0/count", 123456789),
       "model.evaluation.reliability: bin counts must add up to the count"},
      {Edited(text, "/training/trained_at", secret), "model.training.trained_at: must be"},
      {Edited(text, "/training/key_epochs", nlohmann::json::array({2, 1})),
       "model.training.key_epochs[1]: key epochs must ascend"},
      {Edited(text, "/features/0/levels/1", "25-34"),
       "model.features[0].levels[1]: is listed twice"},
      {Edited(text, "/features/1/name", "region"), "model.features[1]: must be the spec's feature"},
      {Edited(text, "/points/table/1/total", 7),
       "model.points.table[1]: totals must ascend by one"},
      {Edited(text, "/points/features/0/levels/0/points", 5000),
       "model.points.features[0].levels[0].points: must be a whole number"},
      {Edited(text, "/fairness/threshold", secret), "model.fairness.threshold: must be a number"},
      {Edited(text, "/sha256", secret), "model.sha256: must be 64 lower-case hexadecimal digits"},
      {Edited(text, "/spec/learner/l2/0", -1), "spec.learner.l2[0]"},
      {Edited(text, "/spec/features/0", "nationality"), "spec.features: names a special category"},
  };
  for (const Bad& bad : cases) {
    INFO(bad.message);
    const auto loaded = models::ParseModelFile(bad.json);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Message(loaded.status()).starts_with(bad.message));
    CHECK(Message(loaded.status()).find(secret) == std::string::npos);
  }
  // A suppressed group carries no figure at all: one added is refused, not read.
  nlohmann::json j = nlohmann::json::parse(text);
  std::size_t suppressed = j["fairness"]["groups"].size();
  for (std::size_t i = 0; i < j["fairness"]["groups"].size(); ++i) {
    if (j["fairness"]["groups"][i]["suppressed"] == true) suppressed = i;
  }
  REQUIRE(suppressed < j["fairness"]["groups"].size());
  j["fairness"]["groups"][suppressed]["count"] = 6;
  const auto leaked = models::ParseModelFile(j.dump());
  REQUIRE_FALSE(leaked.ok());
  CHECK(Message(leaked.status()) ==
        "model.fairness.groups[" + std::to_string(suppressed) + "]: unknown key 'count'");
}

TEST_CASE("model file: an evidence-based file loads and applies with its band label", "[models]") {
  const auto file = models::ParseModelFile(ReadFixture("model-evidence-example.json"));
  REQUIRE(file.ok());
  CHECK(file->kind == models::ModelKind::kEvidenceBased);
  CHECK(file->source.title.starts_with("Example checklist"));
  REQUIRE(file->points.features.size() == 4);
  // 2 (two or more earlier reports) + 2 (substance use) + 0 + 0: 4, "high" by the table.
  const auto row = Case(*file, R"({"earlier_reports": "two_or_more", "child_under_3": "no",
                                   "caregiver_substance_use": "yes", "protective_network": "yes"})");
  const auto p = models::Apply(*file, row);
  REQUIRE(p.ok());
  CHECK(p->points_total == 4);
  CHECK(p->points_label == "high");
  CHECK(std::isnan(p->probability));
  REQUIRE(p->parts.size() == 4);
  CHECK(p->parts[0].points == 2);
  CHECK(p->parts[2].points == 2);
  REQUIRE(p->summary_en.size() == 2);  // the two items that gave points, the earlier first
  CHECK(p->summary_en[0] == "earlier_reports 'two_or_more': 2 points.");
  CHECK(p->summary_sv[1] == "caregiver_substance_use 'yes': 2 poäng.");
  // An item left out counts 0 and is named as unknown: 1 + 0 = 1, "low".
  const auto partial = models::Apply(*file, Case(*file, R"({"earlier_reports": "one"})"));
  REQUIRE(partial.ok());
  CHECK(partial->points_total == 1);
  CHECK(partial->points_label == "low");
  CHECK(Contains(partial->unknown_en, "The item 'child_under_3' was not answered"));
  CHECK(Contains(partial->unknown_sv, "Punkten 'protective_network' besvarades inte"));
  CHECK(Contains(partial->unknown_en, "Nothing outside the tool's 4 items"));
  // An answer the tool does not have is refused, naming the item and not the answer.
  const auto bad = models::ParseCaseFeatures(*file, R"({"child_under_3": "secret-value-q"})");
  REQUIRE_FALSE(bad.ok());
  CHECK(Message(bad.status()) == "case.child_under_3: is not one of the item's answers");
}

TEST_CASE("model file: applying a model gives parts that add up to the logit", "[models]") {
  const ModelFile& file = Trained().file;
  const auto row = Case(file, R"({"age_band": "18-24", "sex": "male", "region": "01",
                                  "intervention": "stodsamtal", "intake_total:phq9": 22})");
  const auto p = models::Apply(file, row);
  REQUIRE(p.ok());
  const auto explained = file.model.Explain(row);
  REQUIRE(explained.ok());
  REQUIRE(p->parts.size() == 5);
  double sum = p->base_log_odds;
  for (std::size_t f = 0; f < p->parts.size(); ++f) {
    sum += p->parts[f].log_odds;
    CHECK(p->parts[f].feature == explained->contributions[f].feature);
    CHECK(p->parts[f].level == explained->contributions[f].level);
    CHECK(p->parts[f].log_odds == Approx(explained->contributions[f].log_odds).margin(1e-12));
  }
  CHECK(sum == Approx(Logit(p->raw_probability)).margin(1e-9));
  CHECK(p->raw_probability == Approx(*file.model.Predict(row)).margin(1e-12));
  CHECK(p->probability == file.calibration.Apply(p->raw_probability));
  // Points: each part's level's points, and their total.
  int total = 0;
  for (std::size_t f = 0; f < p->parts.size(); ++f) {
    const auto& levels = file.points.features[f].levels;
    const auto level = std::find_if(levels.begin(), levels.end(),
                                    [&](const auto& l) { return l.level == p->parts[f].level; });
    REQUIRE(level != levels.end());
    CHECK(p->parts[f].points == level->points);
    total += level->points;
  }
  CHECK(p->points_total == total);
  // The band: the Wilson interval of the observed rate in the calibrated bin of the score.
  const auto& bins = file.calibrated_evaluation.reliability;
  const auto bin = std::min<std::size_t>(9, static_cast<std::size_t>(p->probability * 10));
  const double n = static_cast<double>(bins[bin].count);
  const double k = std::round(bins[bin].observed_rate * n);
  const double z = 1.959963984540054;
  const double centre = (k / n + z * z / (2 * n)) / (1 + z * z / n);
  const double half =
      z * std::sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)) / (1 + z * z / n);
  CHECK(p->band_low == Approx(centre - half).margin(1e-12));
  CHECK(p->band_high == Approx(centre + half).margin(1e-12));
  // Up to three sentences in each language, the largest part first.
  REQUIRE(!p->summary_en.empty());
  REQUIRE(p->summary_en.size() <= 3);
  CHECK(p->summary_en.size() == p->summary_sv.size());
  std::size_t largest = 0;
  for (std::size_t f = 1; f < p->parts.size(); ++f) {
    if (std::abs(p->parts[f].log_odds) > std::abs(p->parts[largest].log_odds)) largest = f;
  }
  CHECK(p->summary_en[0].find("'" + p->parts[largest].level + "'") != std::string::npos);
  CHECK(p->summary_sv[0].starts_with("Ärendets "));
  // Without the sentences, the same numbers.
  const auto numbers = models::Apply(file, row, models::ApplyText::kNumbers);
  REQUIRE(numbers.ok());
  CHECK(numbers->probability == p->probability);
  CHECK(numbers->band_low == p->band_low);
  CHECK(numbers->points_total == p->points_total);
  REQUIRE(numbers->parts.size() == p->parts.size());
  CHECK(numbers->parts[2].log_odds == p->parts[2].log_odds);
  CHECK(numbers->summary_en.empty());
  CHECK(numbers->summary_sv.empty());
  CHECK(numbers->unknown_en.empty());
  CHECK(numbers->unknown_sv.empty());
}

TEST_CASE("model file: the Wilson band of a hand-worked bin", "[models]") {
  // 8 of 10 at z = 1.96, worked by hand from Wilson's (1927) formula: centre
  // (0.8 + 0.19208) / 1.38415 = 0.71674, half-width 1.96 * sqrt(0.016 + 0.00096) / 1.38415 =
  // 0.18441, so 0.4902 to 0.9433 (to four places).
  ModelFile file = Trained().file;
  for (auto& bin : file.calibrated_evaluation.reliability) {
    bin.count = 10;
    bin.observed_rate = 0.8;
  }
  const auto p = models::Apply(file, Case(file, "{}"));
  REQUIRE(p.ok());
  CHECK(p->band_low == Approx(0.4902).margin(5e-5));
  CHECK(p->band_high == Approx(0.9433).margin(5e-5));
  CHECK_FALSE(Contains(p->unknown_en, "training cases had an estimate like this"));
  // A bin of fewer than k training cases is named among the unknowns.
  for (auto& bin : file.calibrated_evaluation.reliability) bin.count = 9;
  const auto thin = models::Apply(file, Case(file, "{}"));
  REQUIRE(thin.ok());
  CHECK(Contains(thin->unknown_en, "Fewer than 10 training cases had an estimate like this"));
  CHECK(Contains(thin->unknown_sv, "Färre än 10 ärenden i träningsdata fick en sådan skattning"));
}

TEST_CASE("model file: the unknown list says what the model does not know", "[models]") {
  const ModelFile& file = Trained().file;
  // Region 03 is below k: merged in the model, suppressed in the fairness table.
  const auto& region = file.model.features()[2];
  REQUIRE(region.name == "region");
  INFO(nlohmann::json(region.levels).dump() + " merged " + nlohmann::json(region.merged).dump());
  REQUIRE(std::find(region.merged.begin(), region.merged.end(), "03") != region.merged.end());
  const auto p = models::Apply(file, Case(file, R"({"age_band": "35-49", "region": "03",
                                                    "intake_total:phq9": null})"));
  REQUIRE(p.ok());
  // Left out: sex and intervention, read as their reference levels.
  CHECK(Contains(p->unknown_en, "The case does not give the sex; the model read it as '"));
  CHECK(Contains(p->unknown_en, "The case does not give the intervention"));
  CHECK(Contains(p->unknown_sv, "Ärendet anger inte kön"));
  // A level not learned on its own.
  CHECK(Contains(p->unknown_en, "The case's county is not a level the model learned on its own"));
  // The small group it belongs to.
  CHECK(Contains(p->unknown_en,
                 "The model's accuracy for the group '03' (county) was not measured: fewer than "
                 "10 people"));
  CHECK(Contains(p->unknown_sv, "Modellens träffsäkerhet för gruppen '03' (län) mättes inte"));
  // Nothing outside the spec, always last.
  REQUIRE(!p->unknown_en.empty());
  CHECK(
      p->unknown_en.back().starts_with("Nothing outside the model's 5 features (age band, sex, "
                                       "county, intervention and intake total on phq9)"));
  CHECK(p->unknown_sv.back().starts_with("Inget utöver modellens 5 variabler"));
  CHECK(p->unknown_en.size() == p->unknown_sv.size());
  // The intake given as null is "no measurement", which the model has a level for or merged.
  const auto& total = file.model.features()[4];
  CHECK(p->parts[4].level ==
        (std::find(total.levels.begin(), total.levels.end(), "(missing)") != total.levels.end()
             ? "(missing)"
             : total.levels[0]));
  // A case the model fully knows has only the last line.
  const auto known = models::Apply(file, Case(file, R"({"age_band": "35-49", "sex": "female",
      "region": "01", "intervention": "boendestod", "intake_total:phq9": 9})"));
  REQUIRE(known.ok());
  for (const std::string& line : known->unknown_en) {
    CHECK((line.starts_with("Nothing outside") || line.starts_with("Fewer than")));
  }
}

TEST_CASE("model file: case features are read strictly, naming the feature", "[models]") {
  const ModelFile& file = Trained().file;
  const std::string secret = "secret-value-q";
  struct Bad {
    std::string json;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {"[1]", "case: must be an object"},
      {R"({"colour": "red"})", "case: unknown key 'colour' (not a feature of the model)"},
      {"{\"" + secret + " x\": 1}",
       "case: unknown key (not shown: not a field name) (not a feature of the model)"},
      {R"({"sex": 1})", "case.sex: must be a string"},
      {"{\"intake_total:phq9\": \"" + secret + "\"}",
       "case.intake_total:phq9: must be a number, or null when there is no intake total"},
      {"{\"age_band\": \"" + std::string(300, 'a') + "\"}", "case.age_band: is too long"},
  };
  for (const Bad& bad : cases) {
    INFO(bad.message);
    const auto row = models::ParseCaseFeatures(file, bad.json);
    REQUIRE_FALSE(row.ok());
    CHECK(row.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Message(row.status()) == bad.message);
  }
  const auto row = Case(file, R"({"sex": "", "intake_total:phq9": 14.5})");
  REQUIRE(row.size() == 5);
  CHECK_FALSE(row[0].given);
  CHECK(row[1].given);
  CHECK(row[1].level == "unknown");  // as the register reads an empty sex
  CHECK(row[4].number == 14.5);
  const auto unfitted = models::Apply(ModelFile{}, models::FeatureRow{});
  REQUIRE_FALSE(unfitted.ok());
  CHECK(unfitted.status().code() == absl::StatusCode::kFailedPrecondition);
  const auto wrong_size = models::Apply(file, models::FeatureRow(2));
  REQUIRE_FALSE(wrong_size.ok());
  CHECK(Message(wrong_size.status()).starts_with("row: must have one value per feature"));
}

TEST_CASE("model card: the nine sections, and no numbers for a suppressed group", "[models]") {
  ModelFile file = Trained().file;
  // Figures planted in the suppressed group must not reach the card even if a caller left
  // them there.
  bool planted = false;
  for (auto& g : file.fairness.groups) {
    if (!g.suppressed) continue;
    g.count = 7771;
    g.pseudonyms = 7772;
    g.base_rate.value = 0.98765;
    g.auc.value = 0.87654;
    planted = true;
  }
  REQUIRE(planted);
  const std::string md = models::ModelCardMarkdown(file);
  const std::string html = models::ModelCardHtml(file);
  for (const std::string_view section :
       {"1. Model details", "2. Intended use", "3. Factors", "4. Metrics", "5. Evaluation data",
        "6. Training data", "7. Quantitative analyses", "8. Ethical considerations",
        "9. Caveats and recommendations"}) {
    INFO(section);
    CHECK(md.find(std::string("## ").append(section)) != std::string::npos);
    CHECK(html.find(std::string(section).append("</h2>")) != std::string::npos);
  }
  for (const std::string* card : {&md, &html}) {
    CHECK(card->find("suppressed (fewer than 10)") != std::string::npos);
    for (const char* figure : {"7771", "7772", "0.988", "0.877"}) {
      INFO(figure);
      CHECK(card->find(figure) == std::string::npos);
    }
    CHECK(card->find(file.sha256.empty() ? Trained().file.sha256 : file.sha256) !=
          std::string::npos);
    CHECK(card->find("Kleinberg") != std::string::npos);
    CHECK(card->find("Chouldechova") != std::string::npos);
    CHECK(card->find("art 13(3)") != std::string::npos);
    CHECK(card->find("Annex IV") != std::string::npos);
    CHECK(card->find("anmälan") != std::string::npos);
    CHECK(card->find("Post-market monitoring plan") != std::string::npos);
    CHECK(card->find("Human oversight") != std::string::npos);
    CHECK(card->find("Override rates per model") != std::string::npos);
  }
  // The HTML page is self-contained: no script, nothing loaded, an SVG diagram inline.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find(" src=") == std::string::npos);
  CHECK(html.find(" href=") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("<svg id=\"reliability\"") != std::string::npos);
  CHECK(html.find("<polyline") != std::string::npos);
  // The AUC with its interval, before recalibration, as the card prints it.
  char auc[64];
  std::snprintf(auc, sizeof auc, "%.3f (%.3f–%.3f)", file.evaluation.auc, file.evaluation.auc_low,
                file.evaluation.auc_high);
  CHECK(md.find(auc) != std::string::npos);
}

TEST_CASE("model card: text from the file is escaped", "[models]") {
  ModelFile file = Trained().file;
  file.name = "<script>alert(1)</script> & | *bold*";
  const std::string html = models::ModelCardHtml(file);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; | *bold*") != std::string::npos);
  const std::string md = models::ModelCardMarkdown(file);
  CHECK(md.find("# Model card: \\<script\\>alert(1)\\</script\\> & \\| \\*bold\\*") !=
        std::string::npos);
}

TEST_CASE("model card: an evidence-based card shows its source", "[models]") {
  const auto file = models::ParseModelFile(ReadFixture("model-evidence-example.json"));
  REQUIRE(file.ok());
  const std::string md = models::ModelCardMarkdown(*file);
  CHECK(md.find("## 1. Model details") != std::string::npos);
  CHECK(md.find("## 9. Caveats and recommendations") != std::string::npos);
  CHECK(md.find("Source: Example checklist for varsam's tests") != std::string::npos);
  CHECK(md.find("not learned from the register") != std::string::npos);
  CHECK(md.find("| 4 | high |") != std::string::npos);
  CHECK(md.find(file->sha256) != std::string::npos);
}
