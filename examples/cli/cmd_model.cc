// `varsam model train|apply|list|card` (docs/cli.md; docs/models.md, "Through the engine"):
// models learned from the compilation register, kept beside it, applied to one case.
//
//   varsam model train --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --spec SPEC.json --out MODEL.json [--title TEXT] [--pack FILE]... [--json]
//   varsam model apply --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --model ID --case CASE.json [--lang en|sv] [--pack FILE]... [--json]
//   varsam model add --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --file MODEL.json [--pack FILE]... [--json]
//   varsam model list --store DIR|URI --context CONTEXT.json --audit-key-file KEY [--json]
//   varsam model card MODEL.json [--html OUT.html]
//
// train, add, apply and list are guarded and audited calls of the engine
// (engine::Engine::TrainModel, AddEvidenceModel, ApplyModel, ListModels) in the context of
// CONTEXT.json; card reads a model file only. Training shows its progress on standard error when
// that is a terminal.

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "cli.h"
#include "engine_call.h"
#include "files.h"
#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/models.h"

namespace varsam::cli {
namespace {

struct ModelCommandOptions : EngineCallOptions {
  // train
  std::string spec;
  std::string out;
  std::string title;
  // apply
  std::string model;
  std::string case_file;
  std::string lang = "en";
  // card
  std::string file;
  std::string html;
};

absl::Status At(std::string_view option, const absl::Status& status) {
  return absl::Status(status.code(), Cat({option, ": ", StatusMessage(status)}));
}

std::string Percent(double p) {
  if (!std::isfinite(p)) return "-";
  return absl::StrFormat("%.1f %%", 100 * p);
}

std::string Fixed(double x, int digits = 3) {
  if (!std::isfinite(x)) return "-";
  return absl::StrFormat("%.*f", digits, x);
}

int RunTrain(const ModelCommandOptions& o) {
  absl::StatusOr<std::string> spec_text = ReadFile(o.spec, "--spec");
  if (!spec_text.ok()) return Fail(spec_text.status());
  absl::StatusOr<models::ModelSpec> spec = models::ParseModelSpec(*spec_text);
  if (!spec.ok()) return Fail(At("--spec", spec.status()));
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  if (!IsValidUtf8(o.title)) return Fail(absl::InvalidArgumentError("--title: must be UTF-8"));
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());

  // Progress on a terminal: one line, rewritten, per stage (rows while reading the register).
  const bool terminal = isatty(STDERR_FILENO) == 1;
  engine::TrainProgress progress;
  if (terminal) {
    progress = [](std::string_view stage, std::int64_t rows) {
      std::cerr << "\r\033[K" << stage;
      if (rows > 0) std::cerr << ": " << rows << " rows";
      std::cerr << std::flush;
    };
  }
  absl::StatusOr<engine::KeptModel> kept =
      (*opened)->TrainModel(*context, *spec, o.title, progress);
  if (terminal) std::cerr << "\r\033[K" << std::flush;
  if (!kept.ok()) return Fail(kept.status());
  if (absl::Status wrote = WriteFileAtomically(o.out, Cat({kept->json, "\n"}), "--out");
      !wrote.ok()) {
    return Fail(wrote);
  }
  const models::ModelFile& file = kept->file;
  const models::Evaluation& e = file.calibrated_evaluation;
  if (o.json) {
    nlohmann::ordered_json out;
    out["id"] = kept->id;
    out["sha256"] = file.sha256;
    out["name"] = file.name;
    out["rows"] = file.training.rows;
    out["pseudonyms"] = file.training.pseudonyms;
    out["auc"] = e.auc;
    out["auc_low"] = e.auc_low;
    out["auc_high"] = e.auc_high;
    out["brier"] = e.brier;
    out["ece"] = e.ece;
    out["calibration_slope"] =
        std::isfinite(e.calibration_slope) ? nlohmann::ordered_json(e.calibration_slope) : nullptr;
    std::cout << DumpJson(out) << "\n";
    return kExitOk;
  }
  std::cout << "trained model " << kept->id << "\n"
            << "  name      " << file.name << "\n"
            << "  sha256    " << file.sha256 << "\n"
            << "  rows      " << file.training.rows << " episodes of " << file.training.pseudonyms
            << " pseudonyms, start periods " << file.training.period_from << " to "
            << file.training.period_to << "\n"
            << "  out of fold (recalibrated): AUC " << Fixed(e.auc) << " [" << Fixed(e.auc_low)
            << ", " << Fixed(e.auc_high) << "], Brier " << Fixed(e.brier) << ", ECE "
            << Fixed(e.ece) << "\n"
            << "  kept beside the register; the model file is in --out (`varsam model card` "
               "renders its card)\n";
  return kExitOk;
}

// The prediction for people, in English or Swedish.
void PrintApplication(const engine::ModelApplication& a, bool swedish) {
  const models::Prediction& p = a.prediction;
  std::cout << (swedish ? "modell    " : "model     ") << a.model_id << "  " << a.model_name
            << "\n";
  if (a.kind == models::ModelKind::kRegisterTrained) {
    std::cout << (swedish ? "sannolikhet " : "probability ") << Percent(p.probability) << "  ("
              << (swedish ? "utfallet i liknande fall: " : "observed in similar cases: ")
              << Percent(p.band_low) << " - " << Percent(p.band_high) << ")\n";
  }
  std::cout << (swedish ? "poäng     " : "points    ") << p.points_total
            << (p.points_label.empty() ? "" : Cat({"  ", p.points_label})) << "\n";
  std::cout << (swedish ? "varför:\n" : "why:\n");
  for (const std::string& line : swedish ? p.summary_sv : p.summary_en) {
    std::cout << "  - " << line << "\n";
  }
  const std::vector<std::string>& unknown = swedish ? p.unknown_sv : p.unknown_en;
  if (!unknown.empty()) {
    std::cout << (swedish ? "vad modellen inte vet:\n" : "what the model does not know:\n");
    for (const std::string& line : unknown) std::cout << "  - " << line << "\n";
  }
  if (a.suggestion_id.empty()) {
    std::cout << (swedish ? "Inget sparat utom händelsen i granskningsloggen (anmälan eller "
                            "förhandsbedömning).\n"
                          : "Nothing stored but the audit event (an anmälan or "
                            "förhandsbedömning).\n");
  } else {
    std::cout << (swedish ? "öppet förslag " : "open suggestion ") << a.suggestion_id
              << (swedish ? " — ett förslag; handläggaren beslutar\n"
                          : " — a suggestion; the officer decides\n");
  }
}

int RunApply(const ModelCommandOptions& o) {
  absl::StatusOr<std::string> case_text = ReadFile(o.case_file, "--case");
  if (!case_text.ok()) return Fail(case_text.status());
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<engine::ModelApplication> applied =
      (*opened)->ApplyModel(*context, o.model, *case_text);
  if (!applied.ok()) {
    if (applied.status().code() == absl::StatusCode::kInvalidArgument) {
      return Fail(At("--case", applied.status()));
    }
    return Fail(applied.status());
  }
  if (o.json) {
    std::cout << DumpJson(engine::ModelApplicationJson(*applied)) << "\n";
  } else {
    PrintApplication(*applied, o.lang == "sv");
  }
  return kExitOk;
}

int RunAdd(const ModelCommandOptions& o) {
  absl::StatusOr<std::string> text = ReadFile(o.file, "--file");
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<engine::KeptModel> kept = (*opened)->AddEvidenceModel(*context, *text);
  if (!kept.ok()) {
    if (kept.status().code() == absl::StatusCode::kInvalidArgument) {
      return Fail(At("--file", kept.status()));
    }
    return Fail(kept.status());
  }
  if (o.json) {
    nlohmann::ordered_json out;
    out["id"] = kept->id;
    out["sha256"] = kept->file.sha256;
    out["name"] = kept->file.name;
    std::cout << DumpJson(out) << "\n";
  } else {
    std::cout << "kept evidence-based model " << kept->id << "  " << kept->file.name << "\n";
  }
  return kExitOk;
}

int RunList(const ModelCommandOptions& o) {
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  std::vector<store::StoredModel> models;
  const absl::Status status = (*opened)->ListModels(*context, [&](const store::StoredModel& m) {
    models.push_back(m);
    return true;
  });
  if (!status.ok()) return Fail(status);
  if (o.json) {
    for (const store::StoredModel& m : models) list.push_back(engine::ModelListingJson(m));
    std::cout << DumpJson(list) << "\n";
    return kExitOk;
  }
  for (const store::StoredModel& m : models) {
    std::cout << m.id << "  " << m.created << "  " << m.kind << "  " << m.title << "\n";
  }
  std::cout << models.size() << (models.size() == 1 ? " model\n" : " models\n");
  return kExitOk;
}

int RunCard(const ModelCommandOptions& o) {
  absl::StatusOr<std::string> text = ReadFile(o.file, "MODEL");
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<models::ModelFile> file = models::ParseModelFile(*text);
  if (!file.ok()) return Fail(At("MODEL", file.status()));
  if (!o.html.empty()) {
    const absl::Status wrote = WriteFileAtomically(o.html, models::ModelCardHtml(*file), "--html");
    if (!wrote.ok()) return Fail(wrote);
    return kExitOk;
  }
  std::cout << models::ModelCardMarkdown(*file);
  return kExitOk;
}

void AddEngineOptions(CLI::App* command, ModelCommandOptions* o) {
  AddEngineCallOptions(command, o,
                       "The call's context as JSON (who, role, organisation, purpose, case, "
                       "time; see `varsam policy check`)");
}

}  // namespace

void AddModelCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ModelCommandOptions>();
  auto* model = app.add_subcommand(
      "model",
      "Models learned from the compilation register only, kept beside it, applied to one case\n"
      "as a suggestion the officer decides on. See docs/models.md.");
  model->require_subcommand(1);

  auto* train = model->add_subcommand(
      "train",
      "Train a model from the register's rows by a specification (action model.train) and\n"
      "keep it beside the register; write its model file. Exit 77 when the policy refuses\n"
      "(a private provider; a spec naming a special category), 65 for a bad spec.");
  AddEngineOptions(train, o.get());
  train->add_option("--spec", o->spec, "The model specification (JSON; docs/models.md)")
      ->required();
  train->add_option("--out", o->out, "Where to write the model file (varsam-model/1)")->required();
  train->add_option("--title", o->title, "The model's name for people (default: its target)");
  train->callback([o, exit_code] { *exit_code = RunTrain(*o); });

  auto* apply = model->add_subcommand(
      "apply",
      "Apply a kept model to one case (action model.apply): the prediction, why, and what\n"
      "the model does not know; stored as an open suggestion until an officer decides.\n"
      "Exit 77 when the policy refuses (a register-trained model in an anmälan or\n"
      "förhandsbedömning), 66 for an unknown model id, 65 for case features that do not fit.");
  AddEngineOptions(apply, o.get());
  apply->add_option("--model", o->model, "The kept model's id (see `varsam model list`)")
      ->required();
  apply
      ->add_option("--case", o->case_file,
                   "The case's features as JSON ({\"age_band\": \"25-29\", \"sex\": \"female\", "
                   "...}), or - for standard input")
      ->required();
  apply->add_option("--lang", o->lang, "Language of the explanation: en (default) or sv")
      ->check(CLI::IsMember({"en", "sv"}));
  apply->callback([o, exit_code] { *exit_code = RunApply(*o); });

  auto* add = model->add_subcommand(
      "add",
      "Keep a host's evidence-based model file (a published checklist or points model) beside\n"
      "the register (action model.train), so that `varsam model apply` can use it, also in\n"
      "an anmälan or förhandsbedömning (in memory there).");
  AddEngineOptions(add, o.get());
  add->add_option("--file", o->file, "The model file (varsam-model/1, kind evidence_based)")
      ->required();
  add->callback([o, exit_code] { *exit_code = RunAdd(*o); });

  auto* list = model->add_subcommand(
      "list", "The kept models, oldest first (action insight.query): id, time, kind, name.");
  AddEngineOptions(list, o.get());
  list->callback([o, exit_code] { *exit_code = RunList(*o); });

  auto* card = model->add_subcommand(
      "card",
      "A model file's card: Markdown on standard output, or with --html a self-contained\n"
      "HTML page with its reliability diagram. Needs no store.");
  card->add_option("MODEL", o->file, "The model file (varsam-model/1), or - for standard input")
      ->required();
  card->add_option("--html", o->html, "Write the HTML card here instead");
  card->callback([o, exit_code] { *exit_code = RunCard(*o); });
}

}  // namespace varsam::cli
