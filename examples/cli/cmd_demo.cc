// `varsam demo`: what varsam does, on Skatteverket's official test numbers and synthetic
// answers only. Grows with each capability into the whole main job (docs/architecture.md).

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli.h"
#include "varsam/access.h"
#include "varsam/anonymize.h"
#include "varsam/audit.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/geo.h"
#include "varsam/ident.h"
#include "varsam/insights.h"
#include "varsam/instruments.h"
#include "varsam/models.h"
#include "varsam/outcomes.h"
#include "varsam/store.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace varsam::cli {
namespace {

// From data/skatteverket-testpersonnummer.txt (never real people).
constexpr std::string_view kTestNumbers[] = {
    "198001022386",  // twelve digits
    "200002292399",  // born on a leap day
    "189001019802",  // over 100 years old: ten-digit form with `+`
};

void Section(std::string_view title) { std::cout << "\n== " << title << "\n"; }

// A made-up form: answers no person gave, chosen to show one rule each.
struct DemoForm {
  std::string_view instrument;
  std::string_view what;
  std::vector<double> answers;  // kMissing = unanswered
  std::optional<ident::Sex> sex;
};

std::string AnswerList(const std::vector<double>& answers) {
  std::string out;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (i > 0) out += ",";
    if (!std::isnan(answers[i])) out += FormatNumber(answers[i]);
  }
  return out;
}

// Scores each form and prints it as `varsam score` does. False when any could not be scored.
bool ScoreDemoForms() {
  using instruments::kMissing;
  const std::vector<DemoForm> forms = {
      {"phq9",
       "PHQ-9: item 9 above 0 raises the critical suicide-risk follow-up flag",
       {1, 1, 2, 1, 0, 1, 1, 0, 1},
       std::nullopt},
      {"audit",
       "AUDIT, a woman: total 7 is hazardous use (low risk is below 6 for women)",
       {2, 1, 1, 1, 0, 0, 0, 0, 0, 2},
       ident::Sex::kFemale},
      {"audit",
       "AUDIT, a man with the same answers: low risk (below 8 for men)",
       {2, 1, 1, 1, 0, 0, 0, 0, 0, 2},
       ident::Sex::kMale},
      {"core10",
       "CORE-10 with item 3 unanswered: one missing item is prorated, 10 x the mean",
       {1, 3, kMissing, 1, 2, 0, 1, 2, 1, 1},
       std::nullopt},
      {"srs",
       "SRS below the alliance cut-off: talk with the client about the work together",
       {9, 8, 9, 9},
       std::nullopt},
  };
  bool all_scored = true;
  for (const DemoForm& form : forms) {
    std::cout << "\n-- " << form.what << "\n$ varsam score " << form.instrument << " --responses "
              << AnswerList(form.answers)
              << (form.sex.has_value() ? Cat({" --sex ", ident::SexName(*form.sex)}) : "") << "\n";
    instruments::Respondent respondent;
    respondent.sex = form.sex;
    const auto instrument = instruments::Registry::Global().Get(form.instrument);
    auto score = instrument.ok() ? (*instrument)->ScoreOne(form.answers, respondent)
                                 : absl::StatusOr<instruments::Score>(instrument.status());
    if (!score.ok()) {
      std::cerr << "varsam: demo: " << score.status().message() << "\n";
      all_scored = false;
      continue;
    }
    std::cout << DescribeScore(**instrument, *score, /*swedish=*/false);
  }
  return all_scored;
}

// The Engine: every call guarded by the se-socialtjanst pack, audited, then done. A case
// officer scores a form (its flag becomes an open suggestion); a private provider is refused
// the client's journal; a model ("system") may not decide; the officer records the decision;
// a supervisor verifies the audit log.
// The demo's engine options on `location`, with a demo signing key; a host supplies its own
// through the key callback and keeps it safe.
engine::EngineOptions DemoOptions(const std::string& location) {
  engine::EngineOptions options;
  options.store = location;
  options.key = [](std::span<std::uint8_t, 32> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0xA5 ^ i);
    return absl::OkStatus();
  };
  return options;
}

int EngineDemo(const std::string& location, const std::string& client) {
  engine::EngineOptions options = DemoOptions(location);
  auto opened = engine::Engine::Open(std::move(options));
  if (!opened.ok()) return Fail(opened.status());
  engine::Engine& varsam = **opened;

  const auto context = [&](std::string_view actor, std::string_view role,
                           std::string_view organisation, std::string_view purpose, bool in_case) {
    std::string json =
        Cat({R"({"actor": ")", actor, R"(", "role": ")", role, R"(", "organisation": {"kind": ")",
             organisation, R"(", "id": "0180"}, "purpose": ")", purpose, R"(", )"});
    if (in_case) {
      json += Cat({R"("case": {"ref": "c-9", "kind": "insats", "led_to_investigation": true, )",
                   R"("client": ")", client, R"("}, )"});
    }
    json += Cat({R"("subject_client": ")", client, R"(", "time": "2026-11-28T10:00:00Z"})"});
    return access::ParseContext(json);
  };
  const auto officer = context("a-17", "handlaggare", "socialnamnd", "handlaggning", true);
  const auto model = context("model-1", "system", "socialnamnd", "handlaggning", true);
  const auto provider = context("p-3", "analytiker", "privat_utforare", "uppfoljning", false);
  const auto supervisor = context("s-2", "arbetsledare", "socialnamnd", "kvalitetssakring", false);
  for (const auto* c : {&officer, &model, &provider, &supervisor}) {
    if (!c->ok()) return Fail(c->status());
  }

  const std::vector<double> phq9 = {1, 1, 2, 1, 0, 1, 1, 0, 1};
  const auto scored = varsam.Score(*officer, "phq9", phq9);
  if (!scored.ok()) return Fail(scored.status());
  std::cout << "ALLOW case officer scores PHQ-9 for the client: total " << *scored->score.total
            << ", band " << scored->score.band.value_or("-") << "\n";
  for (size_t i = 0; i < scored->score.flags.size(); ++i) {
    std::cout << "      flag " << scored->score.flags[i].code << " -> open suggestion "
              << scored->suggestion_ids[i].substr(0, 12) << "…\n";
  }

  const auto show_denial = [](std::string_view who, const absl::Status& status) {
    std::cout << "DENY  " << who << "\n      " << status.message() << "\n";
  };
  const absl::Status read =
      varsam.History(*provider, client, [](const store::Measurement&) { return false; });
  show_denial("private provider reads the client's journal for follow-up", read);
  if (read.code() != absl::StatusCode::kPermissionDenied) return Fail(read);

  const std::string suggestion = scored->suggestion_ids.empty() ? "" : scored->suggestion_ids[0];
  if (!suggestion.empty()) {
    const auto by_model = varsam.RecordDecision(*model, suggestion, "accepted", "");
    show_denial("a model records the decision itself", by_model.status());
    const auto decided = varsam.RecordDecision(*officer, suggestion, "accepted",
                                               "Samtal om säkerhetsplan bokat med klienten.");
    if (!decided.ok()) return Fail(decided.status());
    std::cout << "ALLOW the case officer records the decision (accepted): the suggestion is "
                 "closed; only a human decides\n";
  }

  const auto report = varsam.VerifyAudit(*supervisor);
  if (!report.ok()) return Fail(report.status());
  std::cout << "ALLOW a supervisor verifies the audit log: "
            << (report->ok ? "intact" : "NOT intact") << ", " << report->events
            << " events (every call above, allowed or denied), " << report->checkpoints
            << " signed checkpoint(s), signatures "
            << (report->signatures_checked ? "checked" : "not checked") << "\n";
  return report->ok ? kExitOk : kExitNo;
}

// Forwards the synthetic clients to the store and keeps them for the register section.
class KeepingSink : public synth::Sink {
 public:
  explicit KeepingSink(std::unique_ptr<synth::Sink> store) : store_(std::move(store)) {}
  absl::Status Add(const synth::ClientRecord& record) override {
    kept_.push_back(record);
    return store_->Add(record);
  }
  absl::Status Finish() override { return store_->Finish(); }
  const std::vector<synth::ClientRecord>& kept() const { return kept_; }

 private:
  std::unique_ptr<synth::Sink> store_;
  std::vector<synth::ClientRecord> kept_;
};

// The compilation register: the population's cases submitted through the engine (pseudonymised,
// generalised), a report case refused, a k-anonymous release with its risk report, and the
// scrubber measured on the population's notes.
int RegisterDemo(const std::string& location, const std::vector<synth::ClientRecord>& clients) {
  engine::EngineOptions options = DemoOptions(location);
  // A demo pseudonymisation key for epoch 1; a host keeps its keys outside varsam.
  options.register_options.key_epoch = 1;
  options.register_options.keys = [](std::int32_t, std::span<std::uint8_t, 32> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0x3C + i);
    return absl::OkStatus();
  };
  auto opened = engine::Engine::Open(std::move(options));
  if (!opened.ok()) return Fail(opened.status());
  engine::Engine& varsam = **opened;

  // One submission per case kind (the context carries the kind and whether it led to an
  // investigation), for follow-up by the board.
  const auto follow_up = [](std::string_view kind, bool investigated) {
    return access::ParseContext(Cat(
        {R"({"actor": "u-4", "role": "analytiker", "organisation": {"kind": "socialnamnd", )",
         R"("id": "0180"}, "purpose": "uppfoljning", "case": {"ref": "register-)", kind,
         R"(", "kind": ")", kind, R"(", "led_to_investigation": )", investigated ? "true" : "false",
         R"(, "client": "-"}, "time": "2026-11-28T10:00:00Z"})"}));
  };
  // The population's cases in one batch per case kind and whether the case led to an
  // investigation (the policy decides on both).
  std::vector<submission::RegisterCase> cases;
  for (const synth::ClientRecord& record : clients) {
    for (submission::RegisterCase& c : synth::RegisterCases(record)) cases.push_back(std::move(c));
  }
  std::size_t submitted = 0;
  for (const std::string_view kind : store::kCaseKinds) {
    for (const bool investigated : {false, true}) {
      std::vector<submission::Episode> batch;
      for (const submission::RegisterCase& c : cases) {
        if (c.case_info && access::Name(c.case_info->kind) == kind &&
            c.case_info->led_to_investigation == investigated) {
          batch.insert(batch.end(), c.episodes.begin(), c.episodes.end());
        }
      }
      if (batch.empty()) continue;
      const auto context = follow_up(kind, investigated);
      if (!context.ok()) return Fail(context.status());
      const absl::Status status = varsam.SubmitToRegister(*context, batch);
      if (!investigated) {
        if (status.code() != absl::StatusCode::kPermissionDenied) return Fail(status);
        std::cout << "DENY  " << batch.size() << " " << kind
                  << " cases that did not lead to an investigation\n      " << status.message()
                  << "\n";
        continue;
      }
      if (!status.ok()) return Fail(status);
      submitted += batch.size();
    }
  }
  std::cout << "ALLOW " << submitted
            << " episodes submitted for follow-up (investigations, interventions and the reports "
               "that led to them):\n      keyed pseudonyms (HMAC-SHA-256, key epoch 1), 5-year age "
               "bands, "
               "county, quarters\n";

  const auto analyst = follow_up("uppfoljning", true);
  if (!analyst.ok()) return Fail(analyst.status());
  engine::RegisterExportOptions release_options;
  release_options.k = 5;
  release_options.max_suppression = 0.05;
  const auto release = varsam.ExportRegister(*analyst, release_options);
  if (!release.ok()) return Fail(release.status());
  const anonymize::Result& search = release->search;
  std::cout << "ALLOW a 5-anonymous release (at most 5 % suppressed): " << release->rows.size()
            << " rows, " << search.suppressed << " suppressed; levels above the register's:";
  for (size_t q = 0; q < release->quasi_identifiers.size(); ++q) {
    std::cout << " " << release->quasi_identifiers[q] << " " << search.levels[q];
  }
  std::cout << "\n      prosecutor risk: max " << search.input.max_risk << " -> "
            << search.release.max_risk << ", records above " << search.release.risk_threshold
            << ": " << search.input.records_at_risk << " -> " << search.release.records_at_risk
            << ", classes " << search.release.classes << "\n";

  // The scrubber on the population's notes, against their ground truth.
  anonymize::ScrubOptions scrub_options;
  scrub_options.today = synth::Options().reference_date;
  auto scrubber = anonymize::Scrubber::Create(scrub_options);
  if (!scrubber.ok()) return Fail(scrubber.status());
  std::size_t truth = 0, found = 0, hit = 0, correct = 0;
  std::vector<anonymize::Span> spans;
  for (const synth::ClientRecord& record : clients) {
    const std::vector<std::string> names = {record.client.first_name, record.client.surname};
    for (const synth::Note& note : record.notes) {
      const absl::Status status = scrubber->Find(note.text, names, &spans);
      if (!status.ok()) return Fail(status);
      const auto overlaps = [](std::size_t a, std::size_t al, std::size_t b, std::size_t bl) {
        return a < b + bl && b < a + al;
      };
      for (const synth::Span& t : note.spans) {
        bool covered = false;
        for (const anonymize::Span& f : spans) {
          covered |= f.offset <= t.offset && t.offset + t.length <= f.offset + f.length;
        }
        hit += covered;
      }
      for (const anonymize::Span& f : spans) {
        bool real = false;
        for (const synth::Span& t : note.spans)
          real |= overlaps(f.offset, f.length, t.offset, t.length);
        correct += real;
      }
      truth += note.spans.size();
      found += spans.size();
    }
  }
  std::cout << "Scrubbing the notes (the client's own names, no host name list): " << truth
            << " identifiers, recall "
            << absl::StrFormat("%.3f", truth ? double(hit) / double(truth) : 1.0) << ", precision "
            << absl::StrFormat("%.3f", found ? double(correct) / double(found) : 1.0)
            << " (relatives' names need the host's list: docs/anonymisation.md)\n";
  return kExitOk;
}

// Models learned from the register just filled: an analyst trains a model of dropout from an
// intervention (its card's headline numbers and fairness table), a case officer applies it to
// one client's intervention (an open suggestion with its reasons), and the same model is
// refused in a report case (reports-evidence-only).
constexpr std::string_view kDemoSpec = R"({
  "target": "dropout",
  "population": {"case_kinds": ["insats"],
                 "interventions": ["missbruk_oppenvard", "missbruk_institution",
                                   "familjebehandling", "kontaktperson", "boendestod",
                                   "placering_familjehem", "placering_hvb", "stodsamtal",
                                   "arbetstraning", "annat"]},
  "features": ["age_band", "sex", "region", "intervention",
               {"feature": "intake_total", "instrument": "ors", "bins": 4}],
  "fairness": {"bootstrap": 100},
  "learner": {"kind": "logistic", "l2": [0.3, 3, 30], "folds": 5, "seed": 1},
  "min_support": 10
})";

std::string Pct(double p) {
  return std::isfinite(p) ? absl::StrFormat("%.1f %%", 100 * p) : std::string("-");
}
std::string Num(double x) { return std::isfinite(x) ? absl::StrFormat("%.3f", x) : "-"; }

// The county of a postal code (SCB), "" when unknown.
std::string CountyOf(std::string_view postal_code) {
  const auto geography = geo::Embedded();
  if (!geography.ok()) return "";
  for (const geo::PostalCode& code : (*geography)->postal_codes) {
    if (code.code == postal_code) {
      return (*geography)->municipalities[code.municipality].county_code;
    }
  }
  return "";
}

// A case officer's context in `client`'s case `ref` of `kind` (the demo's fixed time).
absl::StatusOr<access::Context> OfficerIn(std::string_view client, std::string_view kind,
                                          std::string_view ref, bool investigated) {
  return access::ParseContext(Cat(
      {R"({"actor": "a-17", "role": "handlaggare", "organisation": {"kind": "socialnamnd", )",
       R"("id": "0180"}, "purpose": "handlaggning", "case": {"ref": ")", ref, R"(", "kind": ")",
       kind, R"(", "led_to_investigation": )", investigated ? "true" : "false", R"(, "client": ")",
       client, R"("}, "subject_client": ")", client, R"(", "time": "2026-11-28T10:00:00Z"})"}));
}

// The board's analyst in follow-up, outside any case (the demo's fixed time).
absl::StatusOr<access::Context> Analyst() {
  return access::ParseContext(
      R"({"actor": "u-4", "role": "analytiker", "organisation": {"kind": "socialnamnd",
          "id": "0180"}, "purpose": "uppfoljning", "time": "2026-11-28T10:00:00Z"})");
}

int ModelDemo(const std::string& location, const std::vector<synth::ClientRecord>& clients) {
  engine::EngineOptions options = DemoOptions(location);
  auto opened = engine::Engine::Open(std::move(options));
  if (!opened.ok()) return Fail(opened.status());
  engine::Engine& varsam = **opened;

  const auto analyst = Analyst();
  if (!analyst.ok()) return Fail(analyst.status());
  const auto spec = models::ParseModelSpec(kDemoSpec);
  if (!spec.ok()) return Fail(spec.status());
  const auto kept = varsam.TrainModel(*analyst, *spec, "Avbrott i insats (syntetiskt register)");
  if (!kept.ok()) return Fail(kept.status());
  const models::ModelFile& file = kept->file;
  const models::Evaluation& e = file.calibrated_evaluation;
  std::cout << "ALLOW an analyst trains a model of dropout from an intervention, from the "
               "register only:\n      "
            << file.training.rows << " episodes of " << file.training.pseudonyms
            << " pseudonyms; every coefficient covers at least " << file.spec.min_support
            << " of them\n      model " << kept->id << ", sha256 " << file.sha256.substr(0, 16)
            << "… (in the audit log)\n";
  std::cout << "      out of fold, recalibrated: AUC " << Num(e.auc) << " [" << Num(e.auc_low)
            << ", " << Num(e.auc_high) << "], Brier " << Num(e.brier) << ", ECE " << Num(e.ece)
            << ", calibration slope " << Num(e.calibration_slope) << "\n";
  std::cout << "      fairness by group (intervals on the card; error rates at the threshold "
            << Pct(file.fairness.threshold) << "):\n";
  std::cout << absl::StrFormat("      %-8s %-8s %6s %9s %7s %7s %7s\n", "feature", "group", "n",
                               "base", "AUC", "FPR", "FNR");
  std::size_t regions = 0, regions_suppressed = 0;
  std::string suppressed;  // the groups below k, which show no numbers
  for (const models::GroupMetrics& g : file.fairness.groups) {
    if (g.feature == "region") {
      ++regions;
      regions_suppressed += g.suppressed ? 1 : 0;
      continue;
    }
    if (g.suppressed) {
      suppressed += Cat({suppressed.empty() ? "" : ", ", g.feature, " ", g.group});
      continue;
    }
    std::cout << absl::StrFormat("      %-8s %-8s %6d %9s %7s %7s %7s\n", g.feature, g.group,
                                 g.count, Pct(g.base_rate.value), Num(g.auc.value),
                                 Pct(g.false_positive_rate.value),
                                 Pct(g.false_negative_rate.value));
  }
  if (!suppressed.empty()) {
    std::cout << "      below k, no numbers shown: " << suppressed << "\n";
  }
  std::cout << "      region: " << regions << " counties (" << regions_suppressed
            << " below k), on the card\n";
  for (std::size_t i = 0; i < file.fairness.gaps.size() && i < 3; ++i) {
    const models::Gap& gap = file.fairness.gaps[i];
    std::cout << "      largest gap: " << gap.metric << " by " << gap.feature << ", "
              << gap.low_group << " vs " << gap.high_group << ": " << Num(gap.difference) << "\n";
  }

  // One client's intervention, as the officer's case system knows it.
  const synth::ClientRecord* client = nullptr;
  const synth::Case* intervention = nullptr;
  std::optional<double> intake;
  for (const synth::ClientRecord& record : clients) {
    for (const synth::Case& c : record.cases) {
      if (c.kind != "insats" || c.intervention.empty()) continue;
      for (const store::Measurement& m : record.measurements) {
        if (m.case_ref == c.id && m.instrument == "ors" && m.session == 1) intake = m.total;
      }
      if (!intake) continue;
      client = &record;
      intervention = &c;
      break;
    }
    if (client != nullptr) break;
  }
  if (client == nullptr) return Fail(absl::InternalError("the demo has no intervention to show"));
  const int band = intervention->age_at_start / 5 * 5;
  nlohmann::ordered_json features;
  features["age_band"] = Cat({std::to_string(band), "-", std::to_string(band + 4)});
  features["sex"] = client->client.sex == ident::Sex::kMale ? "male" : "female";
  features["region"] = CountyOf(client->client.postal_code);
  features["intervention"] = intervention->intervention;
  features["intake_total:ors"] = *intake;
  const auto officer = OfficerIn(client->client.id, "insats", intervention->id, true);
  if (!officer.ok()) return Fail(officer.status());
  const auto applied = varsam.ApplyModel(*officer, kept->id, DumpJson(features));
  if (!applied.ok()) return Fail(applied.status());
  const models::Prediction& p = applied->prediction;
  std::cout << "ALLOW the case officer applies it to client " << client->client.id << "'s "
            << intervention->intervention << " (" << DumpJson(features) << "):\n"
            << "      probability of dropout " << Pct(p.probability) << " (observed in similar "
            << "cases " << Pct(p.band_low) << " - " << Pct(p.band_high) << "), " << p.points_total
            << " points\n";
  for (const std::string& line : p.summary_en) std::cout << "      why: " << line << "\n";
  for (const std::string& line : p.unknown_en) std::cout << "      not known: " << line << "\n";
  std::cout << "      -> open suggestion " << applied->suggestion_id.substr(0, 12)
            << "…: a suggestion; the officer decides\n";

  const auto report =
      OfficerIn(client->client.id, "anmalan", Cat({client->client.id, "-anmalan"}), false);
  if (!report.ok()) return Fail(report.status());
  const auto refused = varsam.ApplyModel(*report, kept->id, DumpJson(features));
  if (refused.status().code() != absl::StatusCode::kPermissionDenied) {
    return Fail(refused.ok() ? absl::InternalError("the report case was not refused")
                             : refused.status());
  }
  std::cout << "DENY  the same model in a report of concern (anmälan) about the client\n      "
            << refused.status().message() << "\n";
  return kExitOk;
}

// Outcome monitoring: curves fitted from the register's ORS series, one client's trajectory in
// the journal with its Jacobson-Truax categories, a not-on-track alert the officer answers, and
// the client chart written to `chart_path`.
int OutcomeDemo(const std::string& location, const std::vector<synth::ClientRecord>& clients,
                const std::string& chart_path) {
  auto opened = engine::Engine::Open(DemoOptions(location));
  if (!opened.ok()) return Fail(opened.status());
  engine::Engine& varsam = **opened;
  const auto analyst = Analyst();
  if (!analyst.ok()) return Fail(analyst.status());
  outcomes::EtrSpec spec;
  spec.instrument = "ors";
  const auto kept = varsam.FitCurves(*analyst, spec, "ORS, syntetiskt register");
  if (!kept.ok()) return Fail(kept.status());
  const outcomes::EtrModel& curves = kept->model;
  std::cout << "ALLOW an analyst fits expected-treatment-response curves for the ORS from the "
               "register only:\n      "
            << curves.fit.groups << " series of " << curves.pseudonyms << " people, "
            << curves.fit.observations << " sessions after intake; REML, " << curves.fit.evaluations
            << " evaluations\n      curves " << kept->id << ", sha256 "
            << curves.sha256.substr(0, 16) << "… (in the audit log)\n";
  std::cout << "      for an intake of 18:";
  for (const int session : {2, 4, 6, 8}) {
    const outcomes::CurvePoint p = outcomes::CurveAt(curves, 18, session);
    std::cout << absl::StrFormat("  s%d %.1f (boundary %.1f)", session, p.expected, p.boundary);
  }
  std::cout << "\n";

  // The first adult client whose ORS series falls below the boundary at some session.
  const instruments::Instrument* ors = instruments::Registry::Global().Find("ors");
  const synth::ClientRecord* client = nullptr;
  std::string case_ref;
  for (const synth::ClientRecord& record : clients) {
    for (const synth::Case& c : record.cases) {
      if (!c.series_truth) continue;
      const auto trajectory = outcomes::BuildTrajectory(*ors, record.measurements, {}, c.id);
      if (!trajectory.ok() || !outcomes::Supported(curves, trajectory->intake())) continue;
      const auto checks = outcomes::Monitor(curves, *trajectory);
      if (!checks.ok()) return Fail(checks.status());
      if (std::any_of(checks->begin(), checks->end(), [](const outcomes::SessionCheck& check) {
            return check.track == outcomes::Track::kBelowBoundary;
          })) {
        client = &record;
        case_ref = c.id;
        break;
      }
    }
    if (client != nullptr) break;
  }
  if (client == nullptr) return Fail(absl::InternalError("the demo has no client to follow"));
  const auto officer = OfficerIn(client->client.id, "insats", case_ref, true);
  if (!officer.ok()) return Fail(officer.status());
  const auto outcome = varsam.MonitorOutcome(*officer, kept->id);
  if (!outcome.ok()) return Fail(outcome.status());
  std::cout << "ALLOW the case officer follows client " << client->client.id << "'s ORS in case "
            << case_ref << " against the curves:\n";
  std::cout << absl::StrFormat("      %7s %6s %7s %9s %9s  %-14s %s\n", "session", "ORS", "change",
                               "expected", "boundary", "track", "change from intake");
  for (const outcomes::TrajectoryPoint& p : outcome->trajectory.points) {
    const auto check =
        std::find_if(outcome->checks.begin(), outcome->checks.end(),
                     [&](const outcomes::SessionCheck& c) { return c.session == p.session; });
    const bool checked = check != outcome->checks.end();
    std::cout << absl::StrFormat(
        "      %7d %6.1f %+7.1f %9s %9s  %-14s %s\n", p.session, p.total, p.change,
        checked ? absl::StrFormat("%.1f", check->curve.expected) : "-",
        checked ? absl::StrFormat("%.1f", check->curve.boundary) : "-",
        checked ? std::string(outcomes::TrackName(check->track)) : "(intake)",
        p.assessment ? std::string(instruments::ChangeCategoryName(p.assessment->category)) : "-");
  }
  if (outcome->raised.empty()) return Fail(absl::InternalError("no alert was raised"));
  const engine::OutcomeAlert& alert = outcome->raised.front();
  // What the officer sees of the alert: the case's open suggestions, read through the engine
  // (guarded as journal.read and audited), as a host reads them.
  std::string content_json;
  const absl::Status listed = varsam.OpenSuggestions(*officer, [&](const store::Suggestion& s) {
    if (s.id != alert.suggestion_id) return true;
    content_json = s.content_json;
    return false;
  });
  if (!listed.ok()) return Fail(listed);
  const auto content = ParseJson(content_json, "suggestion");
  if (!content.ok()) return Fail(content.status());
  const auto below =
      std::count_if(outcome->raised.begin(), outcome->raised.end(),
                    [](const engine::OutcomeAlert& a) { return a.reason == "below_boundary"; });
  std::cout << "      -> open suggestions of kind outcome: " << below << " below the boundary, "
            << outcome->raised.size() - static_cast<std::size_t>(below)
            << " alliance concern(s) (SRS); the first, " << alert.suggestion_id.substr(0, 12)
            << "…:\n      " << content->value("message_en", "") << "\n";
  const auto decided = varsam.RecordDecision(*officer, alert.suggestion_id, "accepted",
                                             "Samtal med klienten om hur arbetet går bokat.");
  if (!decided.ok()) return Fail(decided.status());
  std::cout << "ALLOW the case officer records the decision (accepted): the alert is closed by a "
               "human, as every suggestion is\n";

  const auto html = varsam.ClientChart(*officer, "ors", kept->id, outcomes::Language::kSwedish);
  if (!html.ok()) return Fail(html.status());
  std::ofstream out(chart_path, std::ios::binary | std::ios::trunc);
  out << *html;
  out.close();
  if (!out) return Fail(absl::UnavailableError(Cat({"cannot write ", chart_path})));
  std::cout << "ALLOW the client chart (ORS by session, the curve and its boundary, the cut-off, "
               "SRS beside it):\n      "
            << chart_path << " (" << html->size() << " bytes; open it in a browser)\n";
  return kExitOk;
}

// Group insights: a protected table from the register, and a query refused because it differs
// from that release by a few people.
int InsightDemo(const std::string& location) {
  auto opened = engine::Engine::Open(DemoOptions(location));
  if (!opened.ok()) return Fail(opened.status());
  engine::Engine& varsam = **opened;
  const auto analyst = Analyst();
  if (!analyst.ok()) return Fail(analyst.status());
  constexpr std::string_view kQuery = R"({"measure": {"kind": "people"},
      "dimensions": ["region", "sex"], "margins": true,
      "filters": {"case_kind": ["insats"]},
      "protection": {"cell_key": {"D": 2, "V": 1, "js": 1}}})";
  const auto query = insights::ParseQuery(kQuery);
  if (!query.ok()) return Fail(query.status());
  const auto release = varsam.Query(*analyst, *query);
  if (!release.ok()) return Fail(release.status());
  std::cout << "ALLOW an analyst asks how many people had an intervention (insats), by county "
               "and sex, with totals\n      (\"..\" protected, \"\u2013\" zero):\n";
  // The table as people read it: a row per county, a column per sex and the total.
  const insights::Table& table = release->table;
  const auto text = [&](const insights::Cell& cell) {
    if (cell.status == insights::CellStatus::kProtected) return std::string("..");
    if (cell.status == insights::CellStatus::kZero) return std::string("\u2013");
    return absl::StrFormat("%.0f", cell.value);
  };
  const std::size_t columns = table.levels[1].size() + 1;
  std::cout << absl::StrFormat("      %-8s", "county");
  for (const std::string& sex : table.levels[1]) std::cout << absl::StrFormat("%8s", sex);
  std::cout << absl::StrFormat("%8s\n", "total");
  for (std::size_t row = 0; row * columns < table.cells.size(); ++row) {
    const insights::Cell& first = table.cells[row * columns];
    std::cout << absl::StrFormat("      %-8s", first.levels[0] == insights::kMargin
                                                   ? "total"
                                                   : table.levels[0][first.levels[0]]);
    for (std::size_t c = 0; c < columns; ++c) {
      // The markers are one character on screen; pad by what is printed, not by bytes.
      const std::string cell = text(table.cells[row * columns + c]);
      std::cout << std::string(8 - std::min<std::size_t>(7, cell == "\u2013" ? 1 : cell.size()),
                               ' ')
                << cell;
    }
    std::cout << "\n";
  }
  std::cout << "      methods: " << absl::StrJoin(release->table.methods, "; ") << "\n"
            << "      release " << release->id.substr(0, 12)
            << "… kept with its query, and in the audit log\n";

  // A value of the insats episodes' age band, intervention or county that fewer than 5 people
  // have: asking for everyone else would show them by subtraction. Only to stage that attack
  // does the demo count the register's people itself, through the store (unguarded); a host
  // never does.
  struct Field {
    insights::Dimension dimension;
    std::string (*of)(const store::EpisodeRow&);
  };
  const Field fields[] = {
      {insights::Dimension::kAgeBand, [](const store::EpisodeRow& e) { return e.age_band; }},
      {insights::Dimension::kIntervention,
       [](const store::EpisodeRow& e) { return e.intervention; }},
      {insights::Dimension::kRegion, [](const store::EpisodeRow& e) { return e.region; }}};
  store::EpisodeFilter insats;
  insats.case_kind = "insats";
  for (const Field& field : fields) {
    std::map<std::string, std::set<std::string>> people;
    const absl::Status read =
        varsam.store_for_testing().ForEachEpisode(insats, [&](const store::EpisodeRow& e) {
          people[field.of(e)].insert(Cat({e.pseudonym, "/", std::to_string(e.key_epoch)}));
          return true;
        });
    if (!read.ok()) return Fail(read);
    const auto small = std::find_if(people.begin(), people.end(),
                                    [](const auto& value) { return value.second.size() < 5; });
    if (small == people.end()) continue;
    std::vector<std::string> others;
    for (const auto& [value, who] : people) {
      if (value != small->first) others.push_back(value);
    }
    insights::Query differencing = *query;
    differencing.filters.push_back({field.dimension, others});
    const auto refused = varsam.Query(*analyst, differencing);
    if (refused.ok()) return Fail(absl::InternalError("the differencing query was released"));
    const std::size_t n = small->second.size();
    std::cout << "DENY  the same table for everyone but the " << n
              << (n == 1 ? " person whose " : " people whose ")
              << insights::DimensionName(field.dimension) << " is " << small->first << ":\n      "
              << refused.status().message() << "\n";
    return kExitOk;
  }
  return Fail(absl::InternalError("the demo has no small group to leave out"));
}

// A synthetic population of kDemoClients written into an embedded store (a temporary one,
// removed afterwards, unless `store_dir` names where to keep it), then read back: what the
// journal holds, one client's own measurements, a content-free audit event.
constexpr std::size_t kDemoClients = 1000;

int StoreDemo(const std::string& store_dir, const std::string& chart_path) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path dir = store_dir;
  bool temporary = false;
  if (dir.empty()) {
    dir = fs::temp_directory_path(error) / Cat({"varsam-demo-", std::to_string(::getpid())});
    temporary = true;
  }
  struct Cleanup {
    fs::path dir;
    bool active;
    ~Cleanup() {
      std::error_code ignored;
      if (active) fs::remove_all(dir, ignored);
    }
  } cleanup{dir, temporary};

  const absl::Status initialised = store::Store::Init(dir.string());
  if (!initialised.ok()) return Fail(initialised);
  auto opened = store::Store::Open(dir.string());
  if (!opened.ok()) return Fail(opened.status());
  store::Store& db = **opened;

  synth::Options options;
  options.clients = kDemoClients;
  options.seed = 1;
  auto generator = synth::Generator::Create(options);
  if (!generator.ok()) return Fail(generator.status());
  KeepingSink sink(synth::StoreSink(&db));
  const auto summary = (*generator)->Run(sink);
  if (!summary.ok()) return Fail(summary.status());
  std::cout << "Generated " << summary->clients << " synthetic clients (seed 1; `varsam synth`"
            << " makes millions): " << summary->cases << " cases, " << summary->measurements
            << " scored forms, written to the journal in " << (temporary ? "a temporary " : "")
            << "store" << (temporary ? "" : Cat({" in ", dir.string()})) << ".\n";

  const auto info = db.Info();
  if (!info.ok()) return Fail(info.status());
  for (const store::PartInfo& part : info->parts) {
    std::cout << "  " << store::PartName(part.part) << " (schema " << part.schema_version << "):";
    for (const auto& [table, count] : part.rows) std::cout << " " << table << " " << count;
    std::cout << "\n";
  }

  // The client of the first ORS series in the journal.
  std::string client;
  store::MeasurementFilter series;
  series.instrument = "ors";
  const absl::Status found = db.ForEachMeasurement(series, [&](const store::Measurement& m) {
    client = m.client_ref;
    return false;
  });
  if (!found.ok()) return Fail(found);
  std::cout << "\nThe journal holds each client's own history (identifiable, for the case).\n"
            << "Client " << client << ", first measurements:\n";
  int shown = 0;
  store::MeasurementFilter filter;
  filter.client_ref = client;
  const absl::Status read = db.ForEachMeasurement(filter, [&](const store::Measurement& m) {
    std::cout << "  " << FormatIsoDate(m.date) << "  " << m.case_kind << "  " << m.instrument;
    if (m.session > 0) std::cout << " session " << m.session;
    if (m.total) std::cout << "  total " << *m.total;
    if (m.band) std::cout << "  " << *m.band;
    for (const std::string& flag : m.flags) std::cout << "  [" << flag << "]";
    std::cout << "\n";
    return ++shown < 10;
  });
  if (!read.ok()) return Fail(read);

  Section("Purpose-checked access: every call guarded, audited, and only a human decides");
  const int checked = EngineDemo(dir.string(), client);
  if (checked != kExitOk) return checked;

  Section("The compilation register: pseudonymised, generalised, released k-anonymously");
  const int registered = RegisterDemo(dir.string(), sink.kept());
  if (registered != kExitOk) return registered;

  Section("Models learned from the register: trained, explained, applied as a suggestion");
  const int modelled = ModelDemo(dir.string(), sink.kept());
  if (modelled != kExitOk) return modelled;

  Section("Outcome monitoring: curves from the register, a client not on track, the chart");
  const int monitored = OutcomeDemo(dir.string(), sink.kept(), chart_path);
  if (monitored != kExitOk) return monitored;

  Section("Group insights: a protected table from the register, a differencing query refused");
  const int released = InsightDemo(dir.string());
  if (released != kExitOk) return released;
  if (!temporary) {
    std::cout << "Kept the store: varsam store info --store " << dir.string() << "\n";
  }
  return kExitOk;
}

int RunDemo(const std::string& store_dir, const std::string& chart_path) {
  const Date today = TodayInSweden();
  std::cout << "varsam " << VersionString()
            << " — lawful AI decision support for Swedish social services\n"
            << "Everything below uses Skatteverket's official test numbers and made-up answers,\n"
            << "never real people.\n"
            << "Reference date: " << FormatIsoDate(today) << "\n";

  Section("Identity numbers: every form normalises to twelve digits");
  for (std::string_view text : kTestNumbers) {
    const ident::CheckResult twelve = ident::Check(text, today);
    std::cout << DescribeCheck(text, twelve) << "\n";
    const std::string ten = ident::TenDigitForm(twelve.number, today);
    std::cout << DescribeCheck(ten, ident::Check(ten, today)) << "\n";
  }

  Section("Samordningsnummer: day of birth + 60, with its own check digit");
  std::string coordination(kTestNumbers[0]);
  coordination[6] = static_cast<char>(coordination[6] + 6);  // day 02 -> 62
  coordination[11] = ident::LuhnCheckDigit(coordination.substr(2, 9));
  std::cout << DescribeCheck(coordination, ident::Check(coordination, today)) << "\n";

  Section("What is refused, and why (the reason never repeats the number)");
  std::string wrong_check(kTestNumbers[0]);
  wrong_check[11] = wrong_check[11] == '9' ? '0' : static_cast<char>(wrong_check[11] + 1);
  std::string no_such_date = "19000229-000";  // 1900 was not a leap year
  no_such_date += ident::LuhnCheckDigit("000229000");
  for (const std::string& bad : {wrong_check, no_such_date, std::string("8001022386x")}) {
    std::cout << DescribeCheck(bad, ident::Check(bad, today)) << "\n";
  }

  Section("Finding identity numbers in a case note");
  const std::string note =
      "Samtal med klienten (800102-2386) och hennes mor 189001019802. Tel 070-1234567.";
  std::cout << "note:  " << note << "\n";
  std::string scrubbed;
  size_t done = 0;
  const std::vector<ident::Match> matches = ident::FindAll(note, today);
  for (const ident::Match& m : matches) {
    scrubbed.append(note, done, m.offset - done).append("[PERSONNUMMER]");
    done = m.offset + m.length;
  }
  scrubbed.append(note, done);
  std::cout << "found: " << matches.size() << " identity numbers\n"
            << "shown: " << scrubbed << "\n";

  Section("Instruments: scoring a few synthetic forms (made-up answers, no real client)");
  std::cout << "Scores are decision support for the officer, with the rule's source in\n"
            << "`varsam score --list --json`; the officer decides.\n";
  if (!ScoreDemoForms()) return kExitSoftware;

  Section("Storage: a synthetic population in an embedded store");
  const int stored = StoreDemo(store_dir, chart_path);
  return stored;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "demo", "Show what varsam does, on official test data, with nothing to set up");
  static std::string store_dir;
  cmd->add_option("--store", store_dir,
                  "Keep the demo's embedded store in DIR (created) for inspection; by default a "
                  "temporary store is used and removed");
  static std::string chart_path =
      (std::filesystem::temp_directory_path() / "varsam-client-chart.html").string();
  cmd->add_option("--chart", chart_path,
                  "Write the demo client's chart (HTML) to FILE (default: in the temporary "
                  "directory)");
  cmd->callback([exit_code] { *exit_code = RunDemo(store_dir, chart_path); });
}

}  // namespace varsam::cli
