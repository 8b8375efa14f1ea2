// Models through the engine (include/varsam/engine.h, "Models"): training from the register's
// rows, keeping model files beside the register, applying them to one case as a suggestion.

#include "varsam/models.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "internal.h"
#include "nlohmann/json.hpp"
#include "varsam/core.h"
#include "varsam/engine.h"

namespace varsam::engine {
namespace {

using internal::CaseRefOf;
using internal::Rfc3339;
using ordered_json = nlohmann::ordered_json;

// How often (in register rows read) TrainModel reports progress while reading.
constexpr std::int64_t kProgressEvery = 10000;

std::string_view KindName(models::ModelKind kind) {
  return kind == models::ModelKind::kEvidenceBased ? "evidence_based" : "register_trained";
}

access::ModelKind PolicyKind(models::ModelKind kind) {
  return kind == models::ModelKind::kEvidenceBased ? access::ModelKind::kEvidenceBased
                                                   : access::ModelKind::kRegisterTrained;
}

// The feature classes a spec names or implies (models::FeatureClasses) as the policy's
// resource. They are names of models::kProtectedClasses, which are the policy's feature
// classes; a name the policy does not know is refused rather than dropped.
absl::StatusOr<access::Resource> FeatureClassesOf(const models::ModelSpec& spec) {
  access::Resource resource;
  for (const std::string& name : models::FeatureClasses(spec)) {
    const std::optional<access::FeatureClass> c = access::ParseFeatureClass(name);
    if (!c) return absl::InvalidArgumentError("spec.features: names an unknown protected class");
    resource.AddFeatureClass(*c);
  }
  return resource;
}

// Gives a model about to be kept its canonical file and a new id, and the row that keeps it.
absl::StatusOr<store::StoredModel> Keep(KeptModel& kept, std::string created) {
  kept.json = models::ModelFileJson(kept.file);
  VARSAM_ASSIGN_OR_RETURN(kept.id, internal::NewRandomId());
  store::StoredModel stored;
  stored.id = kept.id;
  stored.sha256 = kept.file.sha256;
  stored.kind = std::string(KindName(kept.file.kind));
  stored.title = kept.file.name;
  stored.created = std::move(created);
  stored.model_json = kept.json;
  return stored;
}

bool IsReportCase(const access::Context& context) {
  return context.case_info && (context.case_info->kind == access::CaseKind::kAnmalan ||
                               context.case_info->kind == access::CaseKind::kForhandsbedomning);
}

// A title after the model's target when the caller gave none.
std::string DefaultTitle(const models::ModelSpec& spec) {
  if (spec.target_kind == models::TargetKind::kNewCase) {
    return Cat(
        {"A new case within ", std::to_string(spec.new_case_months), " months (register-trained)"});
  }
  return Cat({"Outcome ", spec.target, " (register-trained)"});
}

// A guard's result summary naming the rules a host pack lifted that this call relies on (a
// spec naming a class whose default rule was lifted): the audit trail shows the lift, and the
// host's pack holds its recorded reason.
std::string WithLifts(const access::PolicySet& policy, const access::Context& context,
                      access::Action action, const access::Resource& resource,
                      std::string summary) {
  for (const access::Lift& lift : policy.LiftsFor(context, action, resource)) {
    summary += Cat({"; lifted ", lift.rule, " by ", lift.pack});
  }
  return summary;
}

ordered_json Finite(double x) {
  if (!std::isfinite(x)) return nullptr;
  return x;
}

}  // namespace

ordered_json ModelApplicationJson(const ModelApplication& a) {
  ordered_json out;
  out["model"] = a.model_id;
  out["sha256"] = a.model_sha256;
  out["kind"] = KindName(a.kind);
  out["name"] = a.model_name;
  out["suggestion"] =
      a.suggestion_id.empty() ? ordered_json(nullptr) : ordered_json(a.suggestion_id);
  const models::Prediction& p = a.prediction;
  const bool evidence = a.kind == models::ModelKind::kEvidenceBased;
  out["probability"] = evidence ? ordered_json(nullptr) : Finite(p.probability);
  out["raw_probability"] = evidence ? ordered_json(nullptr) : Finite(p.raw_probability);
  out["base_log_odds"] = evidence ? ordered_json(nullptr) : Finite(p.base_log_odds);
  out["band"] = evidence ? ordered_json(nullptr)
                         : ordered_json::array({Finite(p.band_low), Finite(p.band_high)});
  out["points"] = p.points_total;
  out["points_label"] = p.points_label;
  ordered_json parts = ordered_json::array();
  for (const models::PredictionPart& part : p.parts) {
    ordered_json o;
    o["feature"] = part.feature;
    o["level"] = part.level;
    o["log_odds"] = evidence ? ordered_json(nullptr) : Finite(part.log_odds);
    o["points"] = part.points;
    parts.push_back(std::move(o));
  }
  out["parts"] = std::move(parts);
  out["summary_sv"] = p.summary_sv;
  out["summary_en"] = p.summary_en;
  out["unknown_sv"] = p.unknown_sv;
  out["unknown_en"] = p.unknown_en;
  return out;
}

ordered_json ModelListingJson(const store::StoredModel& model) {
  ordered_json out;
  out["id"] = model.id;
  out["sha256"] = model.sha256;
  out["kind"] = model.kind;
  out["title"] = model.title;
  out["created"] = model.created;
  return out;
}

absl::StatusOr<KeptModel> Engine::TrainModel(const access::Context& context,
                                             const models::ModelSpec& spec, std::string_view title,
                                             const TrainProgress& progress) {
  VARSAM_ASSIGN_OR_RETURN(const access::Resource resource, FeatureClassesOf(spec));
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kModelTrain, resource, CaseRefOf(context),
            WithLifts(policy_, context, access::Action::kModelTrain, resource, "model training")));
  const auto report = [&](std::string_view stage, std::int64_t rows) {
    if (progress) progress(stage, rows);
  };

  // The register's rows only: its episodes (of the one case kind, when the spec names one)
  // and the measurements of the instruments the spec's features use.
  std::vector<store::EpisodeRow> episodes;
  std::vector<store::RegisterMeasurementRow> measurements;
  std::int64_t rows = 0;
  report("reading the register", 0);
  const auto counted = [&] {
    if (++rows % kProgressEvery == 0) report("reading the register", rows);
  };
  store::EpisodeFilter filter;
  if (spec.case_kinds.size() == 1) filter.case_kind = spec.case_kinds[0];
  VARSAM_RETURN_IF_ERROR(store_->ForEachEpisode(filter, [&](const store::EpisodeRow& row) {
    episodes.push_back(row);
    counted();
    return true;
  }));
  std::set<std::string> instruments;
  for (const models::FeatureSpec& feature : spec.features) {
    if (!feature.instrument.empty()) instruments.insert(feature.instrument);
  }
  for (const models::FeatureSpec& feature : spec.fairness) {
    if (!feature.instrument.empty()) instruments.insert(feature.instrument);
  }
  for (const std::string& instrument : instruments) {
    VARSAM_RETURN_IF_ERROR(store_->ForEachRegisterMeasurement(
        instrument, [&](const store::RegisterMeasurementRow& row) {
          measurements.push_back(row);
          counted();
          return true;
        }));
  }
  report("reading the register", rows);

  report("building the training set", 0);
  VARSAM_ASSIGN_OR_RETURN(const models::TrainingSet training,
                          models::BuildTrainingSet(spec, episodes, measurements));
  episodes = {};
  measurements = {};
  report("fitting", 0);
  VARSAM_ASSIGN_OR_RETURN(const models::FitResult fit, models::Fit(spec, training));
  report("assessing fairness", 0);
  VARSAM_ASSIGN_OR_RETURN(const models::FairnessReport fairness,
                          models::AssessFairness(spec, training, fit.calibrated_out_of_fold));

  report("keeping the model", 0);
  KeptModel kept;
  kept.file = models::MakeModelFile(spec, training, fit, fairness);
  kept.file.name = title.empty() ? DefaultTitle(spec) : std::string(title);
  kept.file.training.trained_at = Rfc3339(context.time);
  VARSAM_ASSIGN_OR_RETURN(const store::StoredModel stored,
                          Keep(kept, kept.file.training.trained_at));
  VARSAM_RETURN_IF_ERROR(store::ValidateStoredModel(stored));
  // The hash goes into the log before the model is kept: a model without its event is never
  // kept (fail closed).
  const access::Decision decision =
      policy_.DecideAndExplain(context, access::Action::kModelTrain, resource);
  VARSAM_RETURN_IF_ERROR(
      log_->Append(AuditRecordFor(context, access::Action::kModelTrain, decision,
                                  CaseRefOf(context),
                                  Cat({"trained model ", kept.id, " sha256 ", kept.file.sha256})))
          .status());
  VARSAM_RETURN_IF_ERROR(store_->PutModel(stored));
  return kept;
}

absl::StatusOr<KeptModel> Engine::AddEvidenceModel(const access::Context& context,
                                                   std::string_view model_json) {
  // The file is read before the guard only to name its hash in the event; nothing is kept
  // unless the policy allows.
  absl::StatusOr<models::ModelFile> file = models::ParseModelFile(model_json);
  VARSAM_RETURN_IF_ERROR(Guard(
      context, access::Action::kModelTrain, {}, CaseRefOf(context),
      file.ok() ? Cat({"evidence-based model sha256 ", file->sha256}) : "evidence-based model"));
  VARSAM_RETURN_IF_ERROR(file.status());
  if (file->kind != models::ModelKind::kEvidenceBased) {
    return absl::InvalidArgumentError(
        "model: only an evidence-based model is taken in; a register-trained one is trained "
        "here (TrainModel)");
  }
  KeptModel kept;
  kept.file = *std::move(file);
  VARSAM_ASSIGN_OR_RETURN(const store::StoredModel stored, Keep(kept, Rfc3339(context.time)));
  VARSAM_RETURN_IF_ERROR(store_->PutModel(stored));
  return kept;
}

absl::StatusOr<ModelApplication> Engine::ApplyModel(const access::Context& context,
                                                    std::string_view model_id,
                                                    std::string_view case_features_json) {
  // The model's kind and the classes of feature its spec names are attributes the decision
  // needs: looked up before the guard. Nothing of the model is returned unless allowed.
  const absl::StatusOr<store::StoredModel> stored = store_->GetModel(model_id);
  std::optional<absl::StatusOr<models::ModelFile>> file;
  access::Resource resource;
  if (stored.ok()) {
    file = models::ParseModelFile(stored->model_json);
    if (file->ok()) {
      resource.model_kind = PolicyKind((*file)->kind);
      absl::StatusOr<access::Resource> classes = FeatureClassesOf((*file)->spec);
      if (classes.ok()) resource.feature_classes = classes->feature_classes;
    }
  } else if (stored.status().code() != absl::StatusCode::kNotFound) {
    return stored.status();
  }
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kModelApply, resource, CaseRefOf(context),
            WithLifts(policy_, context, access::Action::kModelApply, resource,
                      stored.ok() ? Cat({"model ", stored->id, " sha256 ", stored->sha256})
                                  : "no model")));
  if (!stored.ok()) return absl::NotFoundError("model: no kept model with this id");
  if (!file->ok()) return file->status();
  const models::ModelFile& model = **file;
  if (model.sha256 != stored->sha256) {
    return absl::DataLossError("model: the kept file's hash differs from the one recorded");
  }
  VARSAM_ASSIGN_OR_RETURN(const models::FeatureRow row,
                          models::ParseCaseFeatures(model, case_features_json));
  ModelApplication application;
  application.model_id = stored->id;
  application.model_sha256 = stored->sha256;
  application.kind = model.kind;
  application.model_name = model.name;
  VARSAM_ASSIGN_OR_RETURN(application.prediction, models::Apply(model, row));
  // In an anmälan or förhandsbedömning (only an evidence-based model gets here) the result
  // stays in memory: nothing but the audit event is kept.
  if (IsReportCase(context)) return application;
  VARSAM_RETURN_IF_ERROR(internal::NeedsCaseAndClient(context, "a model's suggestion"));
  store::Suggestion suggestion;
  VARSAM_ASSIGN_OR_RETURN(suggestion.id, internal::NewRandomId());
  suggestion.client_ref = *context.subject_client;
  suggestion.case_ref = context.case_info->ref;
  suggestion.kind = "model";
  suggestion.created = internal::SwedishDate(context.time);
  ordered_json content = ModelApplicationJson(application);
  content.erase("suggestion");
  suggestion.content_json = DumpJson(content);
  VARSAM_RETURN_IF_ERROR(store_->PutSuggestion(suggestion));
  application.suggestion_id = std::move(suggestion.id);
  return application;
}

absl::Status Engine::ListModels(const access::Context& context,
                                absl::FunctionRef<bool(const store::StoredModel&)> row) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kInsightQuery, {}, CaseRefOf(context), "models"));
  return store_->ForEachModel(row);
}

}  // namespace varsam::engine
