// Outcome monitoring through the engine (include/varsam/engine.h, "Outcome monitoring"): curves
// fitted from the register and kept beside it, a client's series checked against them with
// not-on-track alerts as suggestions, and the client chart.

#include "varsam/outcomes.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
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

constexpr std::string_view kOutcomeKind = "outcome";

// The alliance form given beside an outcome form: SRS with ORS, CSRS with CORS.
std::string_view AllianceOf(std::string_view instrument) {
  if (instrument == "ors") return "srs";
  if (instrument == "cors") return "csrs";
  return {};
}
constexpr std::string_view kAllianceFlag = "alliance_concern";

// An instrument's short name for a chart's axis and table: its id in capitals, with a hyphen
// before the digits of a name of three letters or more ("ORS", "PHQ-9", "CORE-10", "K10").
std::string ShortName(std::string_view id) {
  std::string out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i >= 3 && std::isdigit(static_cast<unsigned char>(c)) &&
        std::isalpha(static_cast<unsigned char>(id[i - 1]))) {
      out += '-';
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// How far the chart draws the curve: a few sessions past the client's last, at least ten, at
// most the curves' own end.
int ChartSessions(int last_session, int max_session) {
  return std::min(max_session, std::max(last_session + 4, 10));
}

// One decimal, as people read a total ("14.2"; "14,2" in Swedish).
std::string OneDecimal(double x, bool swedish) {
  std::string s = absl::StrFormat("%.1f", x);
  if (swedish) std::replace(s.begin(), s.end(), '.', ',');
  return s;
}

std::string AlertText(std::string_view reason, std::string_view instrument, int session,
                      double total, double boundary, bool swedish) {
  const std::string name = ShortName(instrument);
  const std::string at = std::to_string(session);
  if (reason == "alliance") {
    constexpr std::string_view kSv =
        " tyder på att samarbetet behöver uppmärksammas. Fråga klienten vad som kan göras "
        "annorlunda.";
    constexpr std::string_view kEn =
        " suggests the working relationship needs attention. Ask the client what could be done "
        "differently.";
    return swedish ? Cat({"Klientens skattning av samtalet (", name, ") vid session ", at, kSv})
                   : Cat({"The client's rating of session ", at, " (", name, ")", kEn});
  }
  constexpr std::string_view kSv =
      ") för klienter med samma utgångsvärde. Tala med klienten om hur arbetet går: det är ett "
      "skäl till samtal, inget beslut.";
  constexpr std::string_view kEn =
      ") for clients with the same intake. Talk with the client about how the work is going: a "
      "reason to talk, not a decision.";
  return swedish
             ? Cat({name, " vid session ", at, " (", OneDecimal(total, true),
                    ") ligger under gränsen för ej på väg (", OneDecimal(boundary, true), kSv})
             : Cat({name, " at session ", at, " (", OneDecimal(total, false),
                    ") is below the not-on-track boundary (", OneDecimal(boundary, false), kEn});
}

// The kept curves `model_id`, read and checked against the recorded hash.
absl::StatusOr<outcomes::EtrModel> ReadCurves(const store::StoredModel& stored) {
  if (stored.kind != "etr") return absl::NotFoundError("model: the kept model is not curves");
  VARSAM_ASSIGN_OR_RETURN(outcomes::EtrModel model, outcomes::ParseEtrModel(stored.model_json));
  if (model.sha256 != stored.sha256) {
    return absl::DataLossError("model: the kept file's hash differs from the one recorded");
  }
  return model;
}

// What kept curves say of one series for the client's levels: whether they apply (the intake
// lies in a bin of at least k people) and, when they do, the check of each session.
struct SeriesOnCurves {
  bool supported = false;
  std::vector<outcomes::SessionCheck> checks;
};
absl::StatusOr<SeriesOnCurves> OnCurves(const outcomes::EtrModel& model,
                                        const outcomes::Trajectory& series,
                                        const outcomes::ClientLevels& levels) {
  SeriesOnCurves out;
  out.supported = outcomes::Supported(model, series.intake(), levels);
  if (out.supported) {
    VARSAM_ASSIGN_OR_RETURN(out.checks, outcomes::Monitor(model, series, levels));
  }
  return out;
}

// The alliance form's series beside `instrument`'s in a case's journal (SRS with ORS, CSRS with
// CORS) and the sessions whose alliance form raised its flag; no form for an instrument
// without one.
struct AllianceSeries {
  std::optional<outcomes::Trajectory> series;  // when the case holds the form
  std::vector<int> concerns;
};
AllianceSeries AllianceIn(std::string_view instrument,
                          const std::vector<store::Measurement>& journal,
                          std::string_view case_ref) {
  AllianceSeries out;
  const std::string_view id = AllianceOf(instrument);
  if (id.empty()) return out;
  const instruments::Instrument* form = instruments::Registry::Global().Find(id);
  if (form == nullptr) return out;
  absl::StatusOr<outcomes::Trajectory> series =
      outcomes::BuildTrajectory(*form, journal, {}, case_ref);
  if (series.ok()) out.series = *std::move(series);
  // A session's form raised the flag when the host recorded it so, or when its answers raise it
  // scored against the series' previous total (the flag's "drop since the last session"): a
  // form the host wrote unscored still counts.
  std::map<int, double> totals;
  if (out.series) {
    for (const outcomes::TrajectoryPoint& p : out.series->points) totals[p.session] = p.total;
  }
  std::set<int> concerns;
  for (const store::Measurement& m : journal) {
    if (m.instrument != id || m.session <= 0) continue;
    bool raised = std::find(m.flags.begin(), m.flags.end(), kAllianceFlag) != m.flags.end();
    if (!raised && !m.responses.empty()) {
      instruments::Respondent respondent;
      if (const auto at = totals.lower_bound(m.session); at != totals.begin()) {
        respondent.previous_total = std::prev(at)->second;
      }
      const absl::StatusOr<instruments::Score> score = form->ScoreOne(m.responses, respondent);
      raised = score.ok() &&
               std::any_of(score->flags.begin(), score->flags.end(),
                           [](const instruments::Flag& f) { return f.code == kAllianceFlag; });
    }
    if (raised) concerns.insert(m.session);
  }
  out.concerns.assign(concerns.begin(), concerns.end());
  return out;
}

}  // namespace

absl::StatusOr<OutcomeClient> ParseOutcomeClient(std::string_view json) {
  VARSAM_ASSIGN_OR_RETURN(const nlohmann::json root, ParseJson(json, "client"));
  VARSAM_RETURN_IF_ERROR(CheckJsonKeys(root, "client", {"intervention", "age"}));
  OutcomeClient client;
  if (root.contains("intervention")) {
    if (!root["intervention"].is_string()) {
      return InvalidField("client.intervention", "must be a string");
    }
    client.intervention = root["intervention"].get<std::string>();
  }
  if (root.contains("age")) {
    VARSAM_ASSIGN_OR_RETURN(const std::int64_t age,
                            JsonWholeNumber(root["age"], "client.age", 0, 150));
    client.age = static_cast<int>(age);
  }
  return client;
}

namespace {

// {"intervention": ..., "age_band": ...} for the curves' predictors; null for curves without.
ordered_json LevelsJson(const std::vector<std::pair<std::string, std::string>>& levels) {
  if (levels.empty()) return nullptr;
  ordered_json out = ordered_json::object();
  for (const auto& [predictor, level] : levels) out[predictor] = level;
  return out;
}

}  // namespace

ordered_json ClientOutcomeJson(const ClientOutcome& o) {
  ordered_json out;
  out["model"] = o.model_id;
  out["sha256"] = o.model_sha256;
  out["instrument"] = o.trajectory.instrument;
  out["case"] = o.trajectory.case_ref;
  out["supported"] = o.supported;
  out["intake"] = o.trajectory.intake();
  out["levels"] = LevelsJson(o.levels);
  ordered_json sessions = ordered_json::array();
  for (const outcomes::TrajectoryPoint& p : o.trajectory.points) {
    ordered_json s;
    s["session"] = p.session;
    s["total"] = p.total;
    s["change"] = p.change;
    const auto check =
        std::find_if(o.checks.begin(), o.checks.end(),
                     [&](const outcomes::SessionCheck& c) { return c.session == p.session; });
    if (check != o.checks.end()) {
      s["expected"] = check->curve.expected;
      s["boundary"] = check->curve.boundary;
      s["track"] = outcomes::TrackName(check->track);
    } else {
      s["expected"] = nullptr;
      s["boundary"] = nullptr;
      s["track"] = nullptr;
    }
    sessions.push_back(std::move(s));
  }
  out["sessions"] = std::move(sessions);
  out["alliance_concerns"] = o.alliance_concerns;
  ordered_json raised = ordered_json::array();
  for (const OutcomeAlert& a : o.raised) {
    raised.push_back(
        {{"suggestion", a.suggestion_id}, {"reason", a.reason}, {"session", a.session}});
  }
  out["raised"] = std::move(raised);
  return out;
}

ordered_json TrajectoryJson(const outcomes::Trajectory& t) {
  const auto number = [](double x) { return std::isfinite(x) ? ordered_json(x) : ordered_json(); };
  ordered_json out;
  out["client"] = t.client_ref;
  out["case"] = t.case_ref;
  out["instrument"] = t.instrument;
  out["intake"] = t.intake();
  out["cutoff"] = nullptr;
  ordered_json sessions = ordered_json::array();
  for (const outcomes::TrajectoryPoint& p : t.points) {
    ordered_json s;
    s["session"] = p.session;
    s["date"] = FormatIsoDate(p.date);
    s["total"] = p.total;
    s["change"] = p.change;
    if (p.assessment) {
      const instruments::ChangeAssessment& a = *p.assessment;
      if (a.cutoff && out["cutoff"].is_null()) out["cutoff"] = *a.cutoff;
      s["category"] = instruments::ChangeCategoryName(a.category);
      s["rci"] = number(a.rci);
      s["reliable_change"] = a.category != instruments::ChangeCategory::kNoReliableChange;
      s["clinical"] = a.cutoff ? ordered_json(a.clinical_now) : ordered_json();
    } else {
      s["category"] = nullptr;
      s["rci"] = nullptr;
      s["reliable_change"] = nullptr;
      s["clinical"] = nullptr;
    }
    sessions.push_back(std::move(s));
  }
  out["sessions"] = std::move(sessions);
  return out;
}

absl::StatusOr<std::vector<store::Measurement>> Engine::SubjectJournal(
    const access::Context& context, std::string_view case_ref) {
  if (!context.subject_client) {
    return absl::InvalidArgumentError("the call needs the context's subject client");
  }
  std::vector<store::Measurement> journal;
  VARSAM_RETURN_IF_ERROR(
      History(context, *context.subject_client, [&](const store::Measurement& m) {
        if (case_ref.empty() || m.case_ref == case_ref) journal.push_back(m);
        return true;
      }));
  return journal;
}

absl::StatusOr<outcomes::Trajectory> Engine::Trajectory(const access::Context& context,
                                                        std::string_view instrument_id,
                                                        std::string_view case_ref) {
  if (!context.subject_client) {
    return absl::InvalidArgumentError("the trajectory needs the context's subject client");
  }
  const std::string_view chosen = !case_ref.empty()   ? case_ref
                                  : context.case_info ? context.case_info->ref
                                                      : std::string_view();
  VARSAM_ASSIGN_OR_RETURN(const instruments::Instrument* instrument,
                          instruments::Registry::Global().Get(instrument_id));
  VARSAM_ASSIGN_OR_RETURN(const std::vector<store::Measurement> journal,
                          SubjectJournal(context, chosen));
  return outcomes::BuildTrajectory(*instrument, journal, {}, chosen);
}

absl::StatusOr<KeptCurves> Engine::FitCurves(const access::Context& context,
                                             const outcomes::EtrSpec& spec,
                                             std::string_view title) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kModelTrain, {}, CaseRefOf(context), "curve fitting"));
  VARSAM_ASSIGN_OR_RETURN(const instruments::Instrument* instrument,
                          instruments::Registry::Global().Get(spec.instrument));
  outcomes::EtrSpec full = spec;
  if (const auto& rule = instrument->definition().change) {
    full.higher_is_better = rule->better == instruments::Better::kHigher;
  }
  full.scale_min = instrument->definition().total_min;
  full.scale_max = instrument->definition().total_max;
  std::vector<store::RegisterMeasurementRow> rows;
  VARSAM_RETURN_IF_ERROR(store_->ForEachRegisterMeasurement(
      spec.instrument, [&](const store::RegisterMeasurementRow& row) {
        rows.push_back(row);
        return true;
      }));
  const outcomes::SeriesSet series = outcomes::BuildSeries(rows, full.max_session);
  rows = {};
  std::vector<store::EpisodeRow> episodes;
  if (!full.predictors.empty()) {
    VARSAM_ASSIGN_OR_RETURN(episodes, InsatsEpisodes());
  }
  KeptCurves kept;
  VARSAM_ASSIGN_OR_RETURN(kept.model, outcomes::FitEtr(full, series, episodes));
  kept.model.name = title.empty()
                        ? Cat({"Expected treatment response, ", instrument->definition().name.en})
                        : std::string(title);
  kept.model.trained_at = Rfc3339(context.time);
  kept.json = outcomes::EtrModelJson(kept.model);
  VARSAM_ASSIGN_OR_RETURN(kept.id, internal::NewRandomId());
  store::StoredModel stored;
  stored.id = kept.id;
  stored.sha256 = kept.model.sha256;
  stored.kind = "etr";
  stored.title = kept.model.name;
  stored.created = kept.model.trained_at;
  stored.model_json = kept.json;
  VARSAM_RETURN_IF_ERROR(store::ValidateStoredModel(stored));
  // The hash goes into the log before the curves are kept (fail closed).
  const access::Decision decision =
      policy_.DecideAndExplain(context, access::Action::kModelTrain, {});
  VARSAM_RETURN_IF_ERROR(
      log_->Append(AuditRecordFor(context, access::Action::kModelTrain, decision,
                                  CaseRefOf(context),
                                  Cat({"trained etr ", kept.id, " sha256 ", kept.model.sha256})))
          .status());
  VARSAM_RETURN_IF_ERROR(store_->PutModel(stored));
  return kept;
}

absl::StatusOr<std::vector<store::EpisodeRow>> Engine::InsatsEpisodes() {
  std::vector<store::EpisodeRow> episodes;
  store::EpisodeFilter filter;
  filter.case_kind = "insats";
  VARSAM_RETURN_IF_ERROR(store_->ForEachEpisode(filter, [&](const store::EpisodeRow& row) {
    episodes.push_back(row);
    return true;
  }));
  return episodes;
}

absl::StatusOr<outcomes::ClientLevels> Engine::LevelsFor(const outcomes::EtrModel& model,
                                                         const OutcomeClient& client) {
  outcomes::ClientLevels levels;
  for (const std::string& predictor : model.spec.predictors) {
    if (predictor == "intervention") {
      if (!client.intervention) {
        return absl::InvalidArgumentError(
            "client.intervention: the curves need the client's intervention");
      }
      levels.intervention = *client.intervention;
    } else if (predictor == "age_band") {
      if (!client.age || *client.age < 0) {
        return absl::InvalidArgumentError(
            "client.age: the curves need the client's age (whole years, 0 or more)");
      }
      absl::StatusOr<std::string> band =
          age_->Generalize(std::to_string(*client.age), register_options_.age_level);
      if (!band.ok()) return absl::InvalidArgumentError("client.age: is out of range");
      levels.age_band = *std::move(band);
    }
  }
  return levels;
}

absl::StatusOr<KeptCurves> Engine::ApplyCurves(const access::Context& context,
                                               std::string_view model_id,
                                               std::string_view case_ref) {
  // The kept model's kind is an attribute the decision needs: looked up before the guard.
  const absl::StatusOr<store::StoredModel> stored = store_->GetModel(model_id);
  if (!stored.ok() && stored.status().code() != absl::StatusCode::kNotFound) {
    return stored.status();
  }
  access::Resource resource;
  resource.model_kind = access::ModelKind::kRegisterTrained;
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kModelApply, resource, case_ref,
            stored.ok() ? Cat({"etr ", stored->id, " sha256 ", stored->sha256}) : "no model"));
  if (!stored.ok()) return absl::NotFoundError("model: no kept model with this id");
  KeptCurves curves;
  VARSAM_ASSIGN_OR_RETURN(curves.model, ReadCurves(*stored));
  curves.id = stored->id;
  curves.json = stored->model_json;
  return curves;
}

absl::StatusOr<ClientOutcome> Engine::MonitorOutcome(const access::Context& context,
                                                     std::string_view model_id,
                                                     const OutcomeClient& facts) {
  VARSAM_RETURN_IF_ERROR(internal::NeedsCaseAndClient(context, "outcome monitoring"));
  const std::string& client = *context.subject_client;
  const std::string& case_ref = context.case_info->ref;
  VARSAM_ASSIGN_OR_RETURN(const std::vector<store::Measurement> journal,
                          SubjectJournal(context, case_ref));
  VARSAM_ASSIGN_OR_RETURN(const KeptCurves curves, ApplyCurves(context, model_id, case_ref));
  const outcomes::EtrModel& model = curves.model;
  VARSAM_ASSIGN_OR_RETURN(const instruments::Instrument* instrument,
                          instruments::Registry::Global().Get(model.spec.instrument));

  ClientOutcome out;
  out.model_id = curves.id;
  out.model_sha256 = model.sha256;
  VARSAM_ASSIGN_OR_RETURN(out.trajectory,
                          outcomes::BuildTrajectory(*instrument, journal, {}, case_ref));
  VARSAM_ASSIGN_OR_RETURN(const outcomes::ClientLevels levels, LevelsFor(model, facts));
  for (const std::string& predictor : model.spec.predictors) {
    out.levels.emplace_back(predictor, outcomes::LevelOf(levels, predictor));
  }
  VARSAM_ASSIGN_OR_RETURN(SeriesOnCurves on_curves, OnCurves(model, out.trajectory, levels));
  out.supported = on_curves.supported;
  out.checks = std::move(on_curves.checks);
  AllianceSeries alliance = AllianceIn(model.spec.instrument, journal, case_ref);
  out.alliance = std::move(alliance.series);
  out.alliance_concerns = std::move(alliance.concerns);

  // What was already raised in this case: (reason, instrument, session) once.
  std::set<std::tuple<std::string, std::string, int>> raised_before;
  store::SuggestionFilter filter;
  filter.client_ref = client;
  filter.case_ref = case_ref;
  filter.kind = std::string(kOutcomeKind);
  VARSAM_RETURN_IF_ERROR(
      store_->ForEachSuggestion(filter, [&](const store::Suggestion& s, const store::Decision*) {
        const absl::StatusOr<nlohmann::json> content = ParseJson(s.content_json, "suggestion");
        if (content.ok() && content->is_object()) {
          raised_before.emplace(content->value("reason", ""), content->value("instrument", ""),
                                content->value("session", 0));
        }
        return true;
      }));
  const Date created = internal::SwedishDate(context.time);
  const auto raise = [&](std::string_view reason, std::string_view on, int session,
                         const ordered_json& content) -> absl::Status {
    if (!raised_before.emplace(std::string(reason), std::string(on), session).second) {
      return absl::OkStatus();
    }
    store::Suggestion suggestion;
    VARSAM_ASSIGN_OR_RETURN(suggestion.id, internal::NewRandomId());
    suggestion.client_ref = client;
    suggestion.case_ref = case_ref;
    suggestion.kind = std::string(kOutcomeKind);
    suggestion.created = created;
    suggestion.content_json = DumpJson(content);
    VARSAM_RETURN_IF_ERROR(store_->PutSuggestion(suggestion));
    out.raised.push_back({suggestion.id, std::string(reason), session});
    return absl::OkStatus();
  };
  for (const outcomes::SessionCheck& check : out.checks) {
    if (check.track != outcomes::Track::kBelowBoundary) continue;
    ordered_json content;
    content["reason"] = "below_boundary";
    content["instrument"] = model.spec.instrument;
    content["session"] = check.session;
    content["score"] = check.total;
    content["intake"] = out.trajectory.intake();
    content["levels"] = LevelsJson(out.levels);
    content["expected"] = check.curve.expected;
    content["boundary"] = check.curve.boundary;
    content["track"] = outcomes::TrackName(check.track);
    content["model"] = curves.id;
    content["sha256"] = model.sha256;
    content["message_sv"] = AlertText("below_boundary", model.spec.instrument, check.session,
                                      check.total, check.curve.boundary, true);
    content["message_en"] = AlertText("below_boundary", model.spec.instrument, check.session,
                                      check.total, check.curve.boundary, false);
    VARSAM_RETURN_IF_ERROR(raise("below_boundary", model.spec.instrument, check.session, content));
  }
  const std::string_view alliance_id = AllianceOf(model.spec.instrument);
  for (const int session : out.alliance_concerns) {
    ordered_json content;
    content["reason"] = "alliance";
    content["instrument"] = std::string(alliance_id);
    content["session"] = session;
    content["model"] = curves.id;
    content["sha256"] = model.sha256;
    content["message_sv"] = AlertText("alliance", alliance_id, session, 0, 0, true);
    content["message_en"] = AlertText("alliance", alliance_id, session, 0, 0, false);
    VARSAM_RETURN_IF_ERROR(raise("alliance", alliance_id, session, content));
  }
  return out;
}

absl::StatusOr<outcomes::Benchmarks> Engine::OutcomeBenchmarks(const access::Context& context,
                                                               const outcomes::BenchmarkSpec& spec,
                                                               std::string_view curves_id) {
  // Looked up before the guard only so that the audit summary never holds a caller's text that
  // is not an instrument id.
  const instruments::Instrument* instrument = instruments::Registry::Global().Find(spec.instrument);
  std::string summary = instrument != nullptr ? Cat({"outcome benchmarks ", instrument->id(),
                                                     " by ", outcomes::BenchmarkByName(spec.by)})
                                              : "outcome benchmarks of an unknown instrument";
  // A curves id is 32 hex digits or not one at all (then NotFound below).
  if (!curves_id.empty()) {
    const bool hex =
        curves_id.size() == 32 && std::all_of(curves_id.begin(), curves_id.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        });
    summary.append(hex ? Cat({" curves ", curves_id}) : " curves (not an id)");
  }
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kInsightQuery, {}, CaseRefOf(context), summary));
  if (instrument == nullptr) return absl::NotFoundError("spec.instrument: no such instrument");
  std::optional<outcomes::EtrModel> curves;
  if (!curves_id.empty()) {
    const absl::StatusOr<store::StoredModel> stored = store_->GetModel(curves_id);
    if (!stored.ok()) return stored.status();
    absl::StatusOr<outcomes::EtrModel> model = ReadCurves(*stored);
    if (!model.ok() && model.status().code() == absl::StatusCode::kNotFound) {
      return absl::InvalidArgumentError("curves: the kept model is not curves");
    }
    if (!model.ok()) return model.status();
    curves = *std::move(model);
  }
  VARSAM_ASSIGN_OR_RETURN(const std::vector<store::EpisodeRow> episodes, InsatsEpisodes());
  std::vector<store::RegisterMeasurementRow> rows;
  VARSAM_RETURN_IF_ERROR(store_->ForEachRegisterMeasurement(
      instrument->id(), [&](const store::RegisterMeasurementRow& row) {
        rows.push_back(row);
        return true;
      }));
  return outcomes::ComputeBenchmarks(spec, *instrument, episodes, rows,
                                     curves ? &*curves : nullptr);
}

absl::StatusOr<std::string> Engine::ClientChart(const access::Context& context,
                                                std::string_view instrument_id,
                                                std::string_view model_id,
                                                outcomes::Language language,
                                                const OutcomeClient& facts) {
  VARSAM_RETURN_IF_ERROR(internal::NeedsCaseAndClient(context, "the client chart"));
  const std::string& client = *context.subject_client;
  const std::string& case_ref = context.case_info->ref;
  VARSAM_ASSIGN_OR_RETURN(const std::vector<store::Measurement> journal,
                          SubjectJournal(context, case_ref));
  VARSAM_ASSIGN_OR_RETURN(const instruments::Instrument* instrument,
                          instruments::Registry::Global().Get(instrument_id));
  const bool swedish = language == outcomes::Language::kSwedish;
  outcomes::ClientChart chart;
  chart.language = language;
  chart.client_label = client;
  chart.instrument_name = ShortName(instrument->id());
  chart.scale_min = instrument->definition().total_min;
  chart.scale_max = instrument->definition().total_max;
  VARSAM_ASSIGN_OR_RETURN(chart.trajectory,
                          outcomes::BuildTrajectory(*instrument, journal, {}, case_ref));
  if (const auto& rule = instrument->definition().change) {
    chart.higher_is_better = rule->better == instruments::Better::kHigher;
    chart.reliable_change = rule->reliable_change;
    const double intake = chart.trajectory.intake();
    const absl::StatusOr<instruments::ChangeAssessment> at_intake =
        instrument->AssessChange(intake, intake);
    if (at_intake.ok()) chart.cutoff = at_intake->cutoff;
  }
  if (!model_id.empty()) {
    VARSAM_ASSIGN_OR_RETURN(const KeptCurves curves, ApplyCurves(context, model_id, case_ref));
    const outcomes::EtrModel& model = curves.model;
    if (model.spec.instrument != instrument->id()) {
      return absl::InvalidArgumentError("model: the curves are for another instrument");
    }
    chart.higher_is_better = model.spec.higher_is_better;
    VARSAM_ASSIGN_OR_RETURN(const outcomes::ClientLevels levels, LevelsFor(model, facts));
    VARSAM_ASSIGN_OR_RETURN(SeriesOnCurves on_curves, OnCurves(model, chart.trajectory, levels));
    if (on_curves.supported) {
      chart.curve = outcomes::Curve(model, chart.trajectory.intake(), levels);
      const int last = chart.trajectory.points.empty() ? 1 : chart.trajectory.points.back().session;
      chart.curve.resize(static_cast<std::size_t>(ChartSessions(last, model.spec.max_session)));
      chart.checks = std::move(on_curves.checks);
    }
  }
  AllianceSeries alliance = AllianceIn(instrument->id(), journal, case_ref);
  if (alliance.series) {
    chart.alliance = std::move(alliance.series);
    chart.alliance_name = ShortName(alliance.series->instrument);
  }
  store::SuggestionFilter filter;
  filter.client_ref = client;
  filter.case_ref = case_ref;
  filter.open_only = true;
  std::vector<std::pair<int, outcomes::ChartSuggestion>> listed;  // (session or 0, item)
  VARSAM_RETURN_IF_ERROR(
      store_->ForEachSuggestion(filter, [&](const store::Suggestion& s, const store::Decision*) {
        outcomes::ChartSuggestion item;
        item.id = s.id;
        item.created = s.created;
        const absl::StatusOr<nlohmann::json> content = ParseJson(s.content_json, "suggestion");
        const char* key = swedish ? "message_sv" : "message_en";
        if (content.ok() && content->is_object() && content->contains(key) &&
            (*content)[key].is_string()) {
          item.text = (*content)[key].get<std::string>();
        } else if (content.ok() && content->is_object() && content->contains("message") &&
                   (*content)["message"].is_string()) {
          item.text = (*content)["message"].get<std::string>();
        } else {
          item.text = s.kind;
        }
        const int session = content.ok() && content->is_object() && content->contains("session") &&
                                    (*content)["session"].is_number_integer()
                                ? (*content)["session"].get<int>()
                                : 0;
        listed.emplace_back(session, std::move(item));
        return true;
      }));
  // By the day they were made, then by session: the store's order within a day is by random id.
  std::stable_sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
    return a.second.created != b.second.created ? a.second.created < b.second.created
                                                : a.first < b.first;
  });
  for (auto& [session, item] : listed) chart.suggestions.push_back(std::move(item));
  return outcomes::ClientChartHtml(chart);
}

}  // namespace varsam::engine
