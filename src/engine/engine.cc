// The Engine: guard -> audit event -> work for every public operation (include/varsam/engine.h).

#include "varsam/engine.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "internal.h"
#include "nlohmann/json.hpp"
#include "varsam/core.h"

namespace varsam::engine {

namespace internal {

std::string_view CaseRefOf(const access::Context& context) {
  return context.case_info ? std::string_view(context.case_info->ref) : std::string_view();
}

absl::Status NeedsCaseAndClient(const access::Context& context, std::string_view what) {
  if (context.case_info && context.subject_client) return absl::OkStatus();
  return absl::InvalidArgumentError(Cat({what, " needs the context's case and subject client"}));
}

absl::Status InContextCase(const access::Context& context, std::string_view what,
                           std::string_view case_ref, std::optional<std::string_view> case_kind) {
  if (!context.case_info || (case_ref == context.case_info->ref &&
                             (!case_kind || *case_kind == access::Name(context.case_info->kind)))) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(Cat({what, ": is not in the context's case"}));
}

Date SwedishDate(absl::Time time) {
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    return absl::LoadTimeZone("Europe/Stockholm", &tz) ? tz : absl::UTCTimeZone();
  }();
  return absl::ToCivilDay(time, zone);
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<std::string> NewRandomId() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return absl::InternalError("the random generator failed to make an id");
  }
  return audit::ToHex(bytes);
}

}  // namespace internal

namespace {

using internal::CaseRefOf;
using internal::SwedishDate;

// The context as the policy must see it: the client the call's arguments concern replaces the
// subject the host declared, so asking about another client than the case's is decided (and
// audited) as exactly that, never trusted from the declaration.
access::Context Concerning(const access::Context& context, std::string_view client) {
  access::Context effective = context;
  effective.subject_client = std::string(client);
  return effective;
}

// PermissionDenied naming the rules, their citations and the English explanation.
absl::Status Denied(const access::Decision& decision) {
  std::string rules;
  for (size_t i = 0; i < decision.rules.size(); ++i) {
    const std::string_view citation =
        i < decision.citations.size() ? std::string_view(decision.citations[i]) : "";
    rules = Cat({rules, i == 0 ? "" : "; ", decision.rules[i], " (", citation, ")"});
  }
  return absl::PermissionDeniedError(
      Cat({"permission denied by ", rules, ": ", decision.explanation_en}));
}

}  // namespace

audit::AuditRecord AuditRecordFor(const access::Context& context, access::Action action,
                                  const access::Decision& decision, std::string_view case_ref,
                                  std::string_view result) {
  audit::AuditRecord record;
  record.actor = context.actor;
  record.role = std::string(access::Name(context.role));
  record.organisation_kind = std::string(access::Name(context.organisation.kind));
  record.organisation_id = context.organisation.id;
  record.purpose = std::string(access::Name(context.purpose));
  record.action = std::string(access::Name(action));
  record.case_ref = std::string(case_ref);
  record.decision = decision.allow ? audit::Decision::kAllow : audit::Decision::kDeny;
  record.rules = decision.rules;
  record.time = context.time;
  record.result = std::string(result);
  return record;
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  std::unique_ptr<Engine> engine(new Engine());
  VARSAM_ASSIGN_OR_RETURN(engine->policy_, access::PolicySet::Load());
  for (const std::string& pack : options.policy_packs) {
    VARSAM_RETURN_IF_ERROR(engine->policy_.LoadHostPack(pack));
  }
  engine->register_options_ = options.register_options;
  engine->insight_options_ = options.insights;
  if (options.register_options.keys) {
    anonymize::PseudonymOptions pseudonym_options;
    VARSAM_ASSIGN_OR_RETURN(
        engine->pseudonymizer_,
        anonymize::Pseudonymizer::Create(options.register_options.key_epoch,
                                         options.register_options.keys, pseudonym_options));
  }
  VARSAM_ASSIGN_OR_RETURN(engine->age_, anonymize::Hierarchy::Age());
  VARSAM_ASSIGN_OR_RETURN(engine->geography_, anonymize::Hierarchy::Geography());
  const int age_levels = engine->age_->levels();
  const int date_levels = anonymize::Hierarchy::Dates().levels();
  if (options.register_options.age_level < 1 ||
      options.register_options.age_level >= age_levels - 1 ||
      options.register_options.period_level < 1 ||
      options.register_options.period_level >= date_levels - 1) {
    return absl::InvalidArgumentError(
        "register options: age_level and period_level must name a band or period, not * or the "
        "exact value");
  }
  VARSAM_ASSIGN_OR_RETURN(engine->store_, store::Store::Open(options.store));
  VARSAM_ASSIGN_OR_RETURN(engine->log_, audit::AuditLog::Open(engine->store_.get(), options.key,
                                                              std::move(options.audit)));
  return engine;
}

Engine::~Engine() {
  if (log_ != nullptr) (void)log_->Close();
}

absl::Status Engine::Guard(const access::Context& context, access::Action action,
                           const access::Resource& resource, std::string_view case_ref,
                           std::string_view result) {
  const access::Decision decision = policy_.DecideAndExplain(context, action, resource);
  const audit::AuditRecord record = AuditRecordFor(context, action, decision, case_ref,
                                                   decision.allow ? result : "permission_denied");
  const absl::StatusOr<std::int64_t> seq = log_->Append(record);
  if (!seq.ok()) return seq.status();  // fail closed: no event, no work
  if (!decision.allow) return Denied(decision);
  return absl::OkStatus();
}

absl::StatusOr<ScoreResult> Engine::Score(const access::Context& context,
                                          std::string_view instrument_id,
                                          std::span<const double> responses,
                                          const instruments::Respondent& respondent) {
  VARSAM_RETURN_IF_ERROR(Guard(context, access::Action::kScore, {}, CaseRefOf(context),
                               Cat({"instrument ", instrument_id})));
  VARSAM_ASSIGN_OR_RETURN(const instruments::Instrument* instrument,
                          instruments::Registry::Global().Get(instrument_id));
  ScoreResult result;
  VARSAM_ASSIGN_OR_RETURN(result.score, instrument->ScoreOne(responses, respondent));
  if (result.score.flags.empty()) return result;
  VARSAM_RETURN_IF_ERROR(internal::NeedsCaseAndClient(context, "a score that raises flags"));
  const Date created = SwedishDate(context.time);
  for (const instruments::Flag& flag : result.score.flags) {
    store::Suggestion suggestion;
    VARSAM_ASSIGN_OR_RETURN(suggestion.id, internal::NewRandomId());
    suggestion.client_ref = *context.subject_client;
    suggestion.case_ref = context.case_info->ref;
    suggestion.kind = "flag";
    suggestion.created = created;
    // What was suggested and why: the instrument and the flag, never the answers.
    nlohmann::ordered_json content;
    content["instrument"] = std::string(instrument->id());
    content["flag"] = std::string(flag.code);
    content["severity"] = static_cast<int>(flag.severity);
    if (flag.message != nullptr) content["message"] = flag.message->en;
    suggestion.content_json = DumpJson(content);
    VARSAM_RETURN_IF_ERROR(store_->PutSuggestion(suggestion));
    result.suggestion_ids.push_back(std::move(suggestion.id));
  }
  return result;
}

absl::StatusOr<std::int64_t> Engine::AppendMeasurement(const access::Context& context,
                                                       const store::Measurement& measurement) {
  VARSAM_RETURN_IF_ERROR(
      internal::InContextCase(context, "measurement", measurement.case_ref, measurement.case_kind));
  // The answers to a form of a known instrument must fit it (their number and range); none at
  // all is a form whose total alone was recorded. A form without its total is scored from its
  // answers, so that a trajectory, a chart and the outcome alerts see it. The total only: it
  // comes from the answers alone (docs/instrument-format.md, "Total"), where a band and a flag
  // may depend on the respondent. A total the host gave is kept as given.
  store::Measurement form = measurement;
  const instruments::Instrument* instrument = instruments::Registry::Global().Find(form.instrument);
  if (instrument != nullptr && !form.responses.empty()) {
    const absl::StatusOr<instruments::Score> score = instrument->ScoreOne(form.responses);
    if (!score.ok()) {
      return absl::InvalidArgumentError(
          Cat({"measurement.responses: ", std::string(score.status().message())}));
    }
    if (!form.total.has_value()) form.total = score->total;
  }
  VARSAM_RETURN_IF_ERROR(Guard(Concerning(context, measurement.client_ref),
                               access::Action::kJournalWrite, {}, CaseRefOf(context),
                               "1 measurement"));
  VARSAM_ASSIGN_OR_RETURN(const std::vector<std::int64_t> ids,
                          store_->AppendMeasurements(std::span(&form, 1)));
  if (ids.size() != 1) return absl::InternalError("the store returned no measurement id");
  return ids[0];
}

absl::Status Engine::History(const access::Context& context, std::string_view client_ref,
                             absl::FunctionRef<bool(const store::Measurement&)> row) {
  VARSAM_RETURN_IF_ERROR(Guard(Concerning(context, client_ref), access::Action::kJournalRead, {},
                               CaseRefOf(context), "history"));
  store::MeasurementFilter filter;
  filter.client_ref = std::string(client_ref);
  return store_->ForEachMeasurement(filter, row);
}

absl::StatusOr<bool> Engine::IsOpenUnguarded(std::string_view suggestion_id) {
  bool decided = false;
  VARSAM_RETURN_IF_ERROR(store_->ForEachDecision(suggestion_id, [&](const store::Decision&) {
    decided = true;
    return false;
  }));
  return !decided;
}

absl::StatusOr<std::int64_t> Engine::RecordDecision(const access::Context& context,
                                                    std::string_view suggestion_id,
                                                    std::string_view outcome,
                                                    std::string_view rationale) {
  access::Resource resource;
  resource.decider_role = context.role;
  const absl::StatusOr<store::Suggestion> suggestion = store_->GetSuggestion(suggestion_id);
  if (suggestion.ok()) {
    VARSAM_RETURN_IF_ERROR(internal::InContextCase(context, "suggestion", suggestion->case_ref));
  }
  VARSAM_RETURN_IF_ERROR(
      Guard(suggestion.ok() ? Concerning(context, suggestion->client_ref) : context,
            access::Action::kDecisionRecord, resource, CaseRefOf(context), outcome));
  VARSAM_RETURN_IF_ERROR(suggestion.status());
  if (outcome != "accepted" && outcome != "rejected" && outcome != "modified") {
    return absl::InvalidArgumentError("outcome must be accepted, rejected or modified");
  }
  store::Decision decision;
  decision.suggestion_id = std::string(suggestion_id);
  decision.decider = context.actor;
  decision.decider_role = std::string(access::Name(context.role));
  decision.decision = std::string(outcome);
  decision.rationale = std::string(rationale);
  decision.date = SwedishDate(context.time);
  const std::lock_guard<std::mutex> lock(decisions_mu_);
  VARSAM_ASSIGN_OR_RETURN(const bool open, IsOpenUnguarded(suggestion_id));
  if (!open) return absl::FailedPreconditionError("the suggestion is already decided");
  return store_->RecordDecision(decision);
}

absl::StatusOr<bool> Engine::IsOpen(const access::Context& context,
                                    std::string_view suggestion_id) {
  const absl::StatusOr<store::Suggestion> suggestion = store_->GetSuggestion(suggestion_id);
  VARSAM_RETURN_IF_ERROR(
      Guard(suggestion.ok() ? Concerning(context, suggestion->client_ref) : context,
            access::Action::kJournalRead, {}, CaseRefOf(context), "is open"));
  VARSAM_RETURN_IF_ERROR(suggestion.status());
  return IsOpenUnguarded(suggestion_id);
}

absl::StatusOr<audit::VerifyReport> Engine::VerifyAudit(const access::Context& context) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kAuditRead, {}, CaseRefOf(context), "verify"));
  audit::VerifyOptions options;
  options.public_key = log_->public_key();
  return audit::Verify(*store_, options);
}

absl::StatusOr<access::Decision> Engine::Check(const access::Context& context,
                                               access::Action action,
                                               const access::Resource& resource) {
  const access::Decision decision = policy_.DecideAndExplain(context, action, resource);
  VARSAM_RETURN_IF_ERROR(
      log_->Append(AuditRecordFor(context, action, decision, CaseRefOf(context), "checked"))
          .status());
  return decision;
}

absl::Status Engine::OpenSuggestions(const access::Context& context,
                                     absl::FunctionRef<bool(const store::Suggestion&)> row) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kJournalRead, {}, CaseRefOf(context), "open suggestions"));
  VARSAM_RETURN_IF_ERROR(internal::NeedsCaseAndClient(context, "reading open suggestions"));
  store::SuggestionFilter filter;
  filter.case_ref = context.case_info->ref;
  filter.client_ref = *context.subject_client;
  filter.open_only = true;
  return store_->ForEachSuggestion(filter, [&](const store::Suggestion& suggestion,
                                               const store::Decision*) { return row(suggestion); });
}

double OverrideRate::override_rate() const {
  if (decided == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(rejected + modified) / static_cast<double>(decided);
}

namespace {
// What made a suggestion, from its content: "<instrument>/<flag>" for flags, the model id for
// a model's output, "" when the content does not say.
std::string SuggestionCode(const store::Suggestion& suggestion) {
  // The content is the library's own stored output (DumpJson), not a host's JSON.
  const nlohmann::json content = nlohmann::json::parse(suggestion.content_json, nullptr, false);
  if (!content.is_object()) return "";
  const auto text = [&](const char* key) -> std::string {
    const auto it = content.find(key);
    return it != content.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (suggestion.kind == "flag") {
    const std::string instrument = text("instrument");
    const std::string flag = text("flag");
    return instrument.empty() || flag.empty() ? "" : Cat({instrument, "/", flag});
  }
  return text("model");
}
}  // namespace

absl::StatusOr<std::vector<OverrideRate>> Engine::OverrideRates(const access::Context& context,
                                                                Date from, Date to) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kInsightQuery, {}, CaseRefOf(context), "override rates"));
  if (to < from)
    return absl::InvalidArgumentError("override rates: the period ends before it starts");
  std::map<std::pair<std::string, std::string>, OverrideRate> rates;
  store::SuggestionFilter filter;
  filter.from = from;
  filter.to = to;
  VARSAM_RETURN_IF_ERROR(store_->ForEachSuggestion(
      filter, [&](const store::Suggestion& suggestion, const store::Decision* decision) {
        const std::pair<std::string, std::string> key(suggestion.kind, SuggestionCode(suggestion));
        OverrideRate& rate = rates[key];
        ++rate.suggestions;
        if (decision != nullptr) {
          ++rate.decided;
          if (decision->decision == "accepted") ++rate.accepted;
          if (decision->decision == "rejected") ++rate.rejected;
          if (decision->decision == "modified") ++rate.modified;
        }
        return true;
      }));
  std::vector<OverrideRate> out;
  out.reserve(rates.size());
  for (auto& [key, rate] : rates) {
    rate.kind = key.first;
    rate.code = key.second;
    out.push_back(std::move(rate));
  }
  return out;
}

absl::StatusOr<audit::InclusionProofResult> Engine::ProveInclusion(const access::Context& context,
                                                                   std::int64_t seq,
                                                                   std::int64_t tree_size) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kAuditRead, {}, CaseRefOf(context), "inclusion proof"));
  return audit::ProveInclusion(*store_, seq, tree_size);
}

absl::StatusOr<audit::ConsistencyProofResult> Engine::ProveConsistency(
    const access::Context& context, std::int64_t old_size, std::int64_t new_size) {
  VARSAM_RETURN_IF_ERROR(
      Guard(context, access::Action::kAuditRead, {}, CaseRefOf(context), "consistency proof"));
  return audit::ProveConsistency(*store_, old_size, new_size);
}

namespace {
// A random non-zero 64-bit record key (for cell-key perturbation of releases).
absl::StatusOr<std::uint64_t> NewRecordKey() {
  std::uint64_t key = 0;
  while (key == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&key), sizeof key) != 1) {
      return absl::InternalError("the random generator failed to make a record key");
    }
  }
  return key;
}

absl::Status SubmissionError(size_t index, std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(
      Cat({"register submission ", std::to_string(index), ": ", field, ": ", message}));
}
}  // namespace

absl::Status Engine::SubmitToRegister(const access::Context& context,
                                      std::span<const RegisterSubmission> batch) {
  access::Resource resource;
  for (const RegisterSubmission& submission : batch) {
    for (const access::FieldClass field_class : submission.field_classes) {
      if (field_class == access::FieldClass::kTradeUnion) resource.field_class = field_class;
    }
  }
  VARSAM_RETURN_IF_ERROR(Guard(context, access::Action::kRegisterSubmit, resource,
                               CaseRefOf(context),
                               Cat({std::to_string(batch.size()), " episodes"})));
  if (!pseudonymizer_) {
    return absl::FailedPreconditionError(
        "register submission needs the host's pseudonymisation keys (EngineOptions."
        "register_options.keys)");
  }
  if (!context.case_info) {
    return absl::InvalidArgumentError("register submission needs the context's case");
  }
  const anonymize::Hierarchy dates = anonymize::Hierarchy::Dates();
  const int age_level = register_options_.age_level;
  const int period_level = register_options_.period_level;
  const auto period = [&](Date date) {
    return dates.Generalize(FormatIsoDate(date), period_level);
  };

  std::vector<store::EpisodeRow> episodes;
  std::vector<store::RegisterMeasurementRow> measurements;
  std::vector<size_t> measurement_of;  // the submission each measurement row came from
  episodes.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const RegisterSubmission& in = batch[i];
    store::EpisodeRow row;
    // Pseudonymise: the identity number when there is one, else the host's client id.
    absl::StatusOr<std::string> pseudonym =
        !in.personnummer.empty()
            ? pseudonymizer_->Pseudonymize(anonymize::kKindPersonnummer, in.personnummer)
            : pseudonymizer_->Pseudonymize(anonymize::kKindClientRef, in.client_ref);
    if (!pseudonym.ok()) {
      return SubmissionError(i, in.personnummer.empty() ? "client_ref" : "personnummer",
                             "not a valid identifier");
    }
    row.pseudonym = *std::move(pseudonym);
    row.key_epoch = pseudonymizer_->epoch();
    if (in.age < 0) return SubmissionError(i, "age", "is required (whole years, 0 or more)");
    absl::StatusOr<std::string> band = age_->Generalize(std::to_string(in.age), age_level);
    if (!band.ok()) return SubmissionError(i, "age", "is out of range");
    row.age_band = *std::move(band);
    row.sex = in.sex;
    if (!in.postal_code.empty()) {
      absl::StatusOr<std::string> county = geography_->Generalize(in.postal_code, 2);
      if (!county.ok()) return SubmissionError(i, "postal_code", "is not a known postal code");
      row.region = *std::move(county);
    }
    row.case_kind = std::string(access::Name(context.case_info->kind));
    row.intervention = in.intervention;
    absl::StatusOr<std::string> start = period(in.start);
    if (!start.ok()) return SubmissionError(i, "start", "is not a date the register can take");
    row.start_period = *std::move(start);
    if (in.end) {
      absl::StatusOr<std::string> end = period(*in.end);
      if (!end.ok()) return SubmissionError(i, "end", "is not a date the register can take");
      row.end_period = *std::move(end);
    }
    row.outcome = in.outcome;
    VARSAM_ASSIGN_OR_RETURN(row.record_key, NewRecordKey());
    for (const store::Measurement& m : in.measurements) {
      store::RegisterMeasurementRow r;
      r.pseudonym = row.pseudonym;
      r.key_epoch = row.key_epoch;
      r.instrument = m.instrument;
      r.session = m.session;
      absl::StatusOr<std::string> when = period(m.date);
      if (!when.ok()) return SubmissionError(i, "measurements.date", "is not a date");
      r.period = *std::move(when);
      r.total = m.total;
      r.band = m.band.value_or("");
      VARSAM_ASSIGN_OR_RETURN(r.record_key, NewRecordKey());
      measurements.push_back(std::move(r));
      measurement_of.push_back(i);
    }
    episodes.push_back(std::move(row));
  }
  // Every row is checked before anything is written, so the two writes below can only fail
  // for the database's own reasons.
  const store::RegisterVocabulary& vocabulary = store_->register_vocabulary();
  for (size_t i = 0; i < episodes.size(); ++i) {
    if (absl::Status ok = store::ValidateEpisode(episodes[i], vocabulary); !ok.ok()) {
      return SubmissionError(i, "episode", std::string(ok.message()));
    }
  }
  for (size_t j = 0; j < measurements.size(); ++j) {
    if (absl::Status ok = store::ValidateRegisterMeasurement(measurements[j], vocabulary);
        !ok.ok()) {
      return SubmissionError(measurement_of[j], "measurements", std::string(ok.message()));
    }
  }
  VARSAM_RETURN_IF_ERROR(store_->AppendEpisodes(episodes));
  return store_->AppendRegisterMeasurements(measurements);
}

}  // namespace varsam::engine
