// libFuzzer target: the model file loader (varsam::models::ParseModelFile), and what is done
// with a file that loads: applying it to a case and rendering its card.
//
// The input is a model file's JSON text. It must be refused with InvalidArgument naming a field
// of "model" (or of its "spec"), or with DataLoss when only the hash does not match; or it loads,
// and then: written again it loads to the very same bytes and hash; applied to an empty case and
// to one that gives every feature its last level it yields a probability in [0, 1] (register-
// trained) or a total with a label of the table (evidence-based), parts that add up to the
// logit, and as many sentences in Swedish as in English; and both cards render, the HTML one
// without a script element whatever the file's text says. A fuzzer cannot forge a SHA-256, so a
// file refused only for its hash is read again without that comparison
// (ParseModelFileUnverified) and checked the same way. Seeds: tests/fuzz/corpus/model_file/.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "internal.h"
#include "nlohmann/json.hpp"
#include "varsam/models.h"

namespace {

namespace models = varsam::models;

std::string_view Message(const absl::Status& status) { return varsam::StatusMessage(status); }

void CheckPrediction(const models::ModelFile& file, const models::FeatureRow& row) {
  const auto p = models::Apply(file, row);
  if (!p.ok()) {
    // Only an evidence-based answer the item does not have, which these rows never give.
    REQUIRE(false);
  }
  REQUIRE(p->summary_sv.size() == p->summary_en.size());
  REQUIRE(p->unknown_sv.size() == p->unknown_en.size());
  REQUIRE(p->summary_en.size() <= 3);
  REQUIRE(!p->unknown_en.empty());  // at least: nothing outside the model was considered
  if (file.kind == models::ModelKind::kEvidenceBased) {
    REQUIRE(p->parts.size() == file.points.features.size());
    REQUIRE(p->points_total >= file.points.table.front().total);
    REQUIRE(p->points_total <= file.points.table.back().total);
    REQUIRE(!p->points_label.empty());
    return;
  }
  REQUIRE(p->parts.size() == file.model.features().size());
  REQUIRE(p->raw_probability >= 0 && p->raw_probability <= 1);
  REQUIRE(p->probability >= 0 && p->probability <= 1);
  REQUIRE(p->band_low >= 0 && p->band_low <= p->band_high && p->band_high <= 1);
  double z = p->base_log_odds;
  double scale = std::abs(p->base_log_odds);
  for (const models::PredictionPart& part : p->parts) {
    z += part.log_odds;
    scale += std::abs(part.log_odds);
  }
  if (std::abs(z) < 30) {
    const double q = 1 / (1 + std::exp(-z));
    REQUIRE(std::abs(q - p->raw_probability) <= 1e-9 * (1 + scale));
  }
  const auto numbers = models::Apply(file, row, models::ApplyText::kNumbers);
  REQUIRE(numbers.ok() && numbers->summary_en.empty() && numbers->unknown_en.empty());
  REQUIRE(numbers->points_total == p->points_total);
}

void CheckLoaded(const models::ModelFile& loaded) {
  models::ModelFile file = loaded;
  const std::string text = models::ModelFileJson(file);
  REQUIRE(file.sha256 == loaded.sha256);
  const auto again = models::ParseModelFile(text);
  REQUIRE(again.ok());
  models::ModelFile copy = *again;
  REQUIRE(models::ModelFileJson(copy) == text);

  CheckPrediction(file, models::FeatureRow(file.kind == models::ModelKind::kEvidenceBased
                                               ? file.points.features.size()
                                               : file.model.features().size(),
                                           models::FeatureValue{{}, std::nullopt, false}));
  // Every feature at its last level (an intake total at its last cut point).
  models::FeatureRow last;
  if (file.kind == models::ModelKind::kEvidenceBased) {
    for (const models::PointsFeature& f : file.points.features) {
      last.push_back({f.levels.back().level, std::nullopt, true});
    }
  } else {
    for (const models::FeatureInfo& f : file.model.features()) {
      models::FeatureValue v{f.levels.back(), std::nullopt, true};
      if (f.kind == models::FeatureKind::kIntakeTotal && !f.cut_points.empty()) {
        v.number = f.cut_points.back();
      }
      last.push_back(v);
    }
  }
  CheckPrediction(file, last);

  const std::string md = models::ModelCardMarkdown(file);
  const std::string html = models::ModelCardHtml(file);
  REQUIRE(md.starts_with("# Model card: "));
  REQUIRE(html.find("<script") == std::string::npos);
  REQUIRE(html.ends_with("</html>\n"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto file = models::ParseModelFile(text);
  if (file.ok()) {
    CheckLoaded(*file);
    return 0;
  }
  const auto code = file.status().code();
  if (code == absl::StatusCode::kInvalidArgument) {
    REQUIRE(Message(file.status()).starts_with("model") ||
            Message(file.status()).starts_with("spec"));
    REQUIRE(!models::ParseModelFileUnverified(text).ok());
    return 0;
  }
  REQUIRE(code == absl::StatusCode::kDataLoss);
  REQUIRE(Message(file.status()) == "model.sha256: does not match the file's content");
  const auto unverified = models::ParseModelFileUnverified(text);
  REQUIRE(unverified.ok());
  CheckLoaded(*unverified);
  return 0;
}
