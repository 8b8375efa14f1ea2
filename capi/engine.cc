// The C shim of the engine (capi/varsam.h, "The engine", "Models", "Outcome monitoring"):
// handles for engine::Engine and access::Context and nothing else; the JSON forms of their
// inputs and outputs are the library's (varsam/engine.h, varsam/submission.h,
// varsam/instruments.h, varsam/outcomes.h). Every entry point runs inside capi::Guard, so no
// exception crosses the C boundary.

#include "varsam/engine.h"

#include <openssl/crypto.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "capi_internal.h"
#include "varsam.h"
#include "varsam/access.h"
#include "varsam/audit.h"
#include "varsam/core.h"
#include "varsam/insights.h"
#include "varsam/instruments.h"
#include "varsam/models.h"
#include "varsam/outcomes.h"
#include "varsam/store.h"
#include "varsam/submission.h"

struct varsam_engine {
  std::unique_ptr<varsam::engine::Engine> engine;
};

struct varsam_context {
  varsam::access::Context context;
};

// A model file read and verified once, for scoring in memory (varsam_model_score).
struct varsam_model {
  varsam::models::ModelFile file;
};

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using varsam::Cat;
using varsam::InvalidField;
using varsam::capi::CopyOut;
using varsam::capi::Guard;
using varsam::capi::JsonOut;
using varsam::capi::NullArg;
namespace acc = varsam::access;
namespace eng = varsam::engine;
namespace store = varsam::store;

// The first argument check of every engine call.
absl::Status EngineArgs(const varsam_engine* engine, const varsam_context* context) {
  if (engine == nullptr || engine->engine == nullptr) return NullArg("engine");
  if (context == nullptr) return NullArg("context");
  return absl::OkStatus();
}

// ---- Keys ------------------------------------------------------------------------------------

// The host's key callback as the audit log's KeyProvider: the key passes through one local
// buffer, wiped afterwards.
varsam::audit::KeyProvider KeyFrom(varsam_key_callback key, void* user_data) {
  return [key, user_data](std::span<std::uint8_t, 32> private_key) -> absl::Status {
    std::array<std::uint8_t, 32> buffer{};
    const varsam_status status = key(user_data, buffer.data());
    if (status == VARSAM_OK) std::memcpy(private_key.data(), buffer.data(), buffer.size());
    OPENSSL_cleanse(buffer.data(), buffer.size());
    if (status != VARSAM_OK) {
      return absl::UnauthenticatedError("the key callback refused the audit signing key");
    }
    return absl::OkStatus();
  };
}

// ---- Contexts -------------------------------------------------------------------------------

constexpr size_t kContextFieldsV1Size = sizeof(varsam_context_fields);
constexpr size_t kEngineKeysV1Size = sizeof(varsam_engine_keys);

// The JSON form of the fields, so that both ways to make a context are checked by one parser.
absl::StatusOr<std::string> FieldsToJson(const varsam_context_fields& f) {
  const auto text = [](const char* value) { return value ? json(value) : json(nullptr); };
  json out;
  out["actor"] = text(f.actor);
  out["role"] = text(f.role);
  out["organisation"] = {{"kind", text(f.organisation_kind)}, {"id", text(f.organisation_id)}};
  out["purpose"] = text(f.purpose);
  if (f.case_ref != nullptr) {
    if (f.case_led_to_investigation != 0 && f.case_led_to_investigation != 1) {
      return InvalidField("fields.case_led_to_investigation", "must be 0 or 1");
    }
    out["case"] = {{"ref", f.case_ref},
                   {"kind", text(f.case_kind)},
                   {"led_to_investigation", f.case_led_to_investigation == 1},
                   {"client", text(f.case_client)}};
  } else {
    out["case"] = nullptr;
  }
  out["subject_client"] = text(f.subject_client);
  out["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixMicros(f.time_unix_micros),
                                 absl::UTCTimeZone());
  out["ethics_approval"] = text(f.ethics_approval);
  // Strings from C are checked as UTF-8 by the parser; dump them unchanged until then.
  return out.dump(-1, ' ', false, json::error_handler_t::ignore);
}

absl::StatusOr<acc::Resource> ResourceArg(const char* resource_json, size_t length) {
  if (resource_json == nullptr || length == 0) return acc::Resource{};
  return acc::ParseResource(std::string_view(resource_json, length));
}

absl::StatusOr<acc::Action> ActionArg(const char* action) {
  if (action == nullptr) return NullArg("action");
  const std::optional<acc::Action> parsed = acc::ParseAction(action);
  if (!parsed)
    return InvalidField("action", "not an action id (score, journal.read, ..., audit.read)");
  return *parsed;
}

// The frame of an engine call that returns JSON: *json_out cleared, the pointers checked, and
// `body(engine, context)` (returning StatusOr<ordered_json>) run inside the guard.
template <typename Body>
varsam_status EngineJson(varsam_engine* engine, const varsam_context* context, char** json_out,
                         Body&& body) noexcept {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    VARSAM_RETURN_IF_ERROR(EngineArgs(engine, context));
    VARSAM_ASSIGN_OR_RETURN(const ordered_json out, body(*engine->engine, context->context));
    return JsonOut(out, json_out);
  });
}

// A kept model as the model calls return it: its id and hash, and the model file as JSON.
// (The file is the library's own canonical JSON, not a host's: it parses, in its key order, so
// it needs neither ParseJson's checks nor its sorted maps.)
ordered_json KeptJson(const eng::KeptModel& kept) {
  ordered_json out;
  out["id"] = kept.id;
  out["sha256"] = kept.file.sha256;
  out["model"] = ordered_json::parse(kept.json);
  return out;
}

// The built-in pack, loaded once.
const absl::StatusOr<acc::PolicySet>& BuiltinPolicy() {
  static const absl::StatusOr<acc::PolicySet> set = acc::PolicySet::Load();
  return set;
}

// The client JSON of the *_client calls: NULL for none.
absl::StatusOr<eng::OutcomeClient> ClientArg(const char* client_json, size_t client_length) {
  if (client_json == nullptr) return eng::OutcomeClient{};
  return eng::ParseOutcomeClient(std::string_view(client_json, client_length));
}

}  // namespace

extern "C" {

varsam_status varsam_engine_open(const char* options_json, size_t options_length,
                                 varsam_key_callback key, void* key_user_data,
                                 varsam_engine** engine_out) {
  varsam_engine_keys keys{};
  keys.struct_size = sizeof(keys);
  keys.audit_key = key;
  keys.audit_key_user_data = key_user_data;
  return varsam_engine_open_with_keys(options_json, options_length, &keys, engine_out);
}

varsam_status varsam_engine_open_with_keys(const char* options_json, size_t options_length,
                                           const varsam_engine_keys* keys,
                                           varsam_engine** engine_out) {
  if (engine_out != nullptr) *engine_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (engine_out == nullptr) return NullArg("engine_out");
    if (options_json == nullptr) return NullArg("options_json");
    if (keys == nullptr) return NullArg("keys");
    if (keys->struct_size < kEngineKeysV1Size) {
      return InvalidField("keys.struct_size", "must be sizeof(varsam_engine_keys)");
    }
    if (keys->audit_key == nullptr) return NullArg("keys.audit_key");
    VARSAM_ASSIGN_OR_RETURN(eng::EngineOptions options, eng::ParseEngineOptions(std::string_view(
                                                            options_json, options_length)));
    options.key = KeyFrom(keys->audit_key, keys->audit_key_user_data);
    bool refused = false;
    if (keys->pseudonym_key != nullptr) {
      options.register_options.keys = varsam::capi::PseudonymKeysFrom(
          keys->pseudonym_key, keys->pseudonym_key_user_data, &refused);
    }
    const std::int32_t epoch = options.register_options.key_epoch;
    auto handle = std::make_unique<varsam_engine>();
    absl::StatusOr<std::unique_ptr<eng::Engine>> opened = eng::Engine::Open(std::move(options));
    if (!opened.ok() && refused) {
      return absl::UnauthenticatedError(
          Cat({"keys.pseudonym_key: the key callback refused the pseudonym key of epoch ",
               std::to_string(epoch)}));
    }
    VARSAM_ASSIGN_OR_RETURN(handle->engine, std::move(opened));
    *engine_out = handle.release();
    return absl::OkStatus();
  });
}

void varsam_engine_close(varsam_engine* engine) {
  (void)Guard([&]() -> absl::Status {
    delete engine;
    return absl::OkStatus();
  });
}

varsam_status varsam_context_from_json(const char* json_text, size_t json_length,
                                       varsam_context** context_out) {
  if (context_out != nullptr) *context_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (context_out == nullptr) return NullArg("context_out");
    if (json_text == nullptr) return NullArg("json");
    VARSAM_ASSIGN_OR_RETURN(acc::Context context,
                            acc::ParseContext(std::string_view(json_text, json_length)));
    *context_out = new varsam_context{std::move(context)};
    return absl::OkStatus();
  });
}

varsam_status varsam_context_new(const varsam_context_fields* fields,
                                 varsam_context** context_out) {
  if (context_out != nullptr) *context_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (context_out == nullptr) return NullArg("context_out");
    if (fields == nullptr) return NullArg("fields");
    if (fields->struct_size < kContextFieldsV1Size) {
      return InvalidField("fields",
                          "struct_size is smaller than varsam_context_fields of version 0.1");
    }
    VARSAM_ASSIGN_OR_RETURN(const std::string text, FieldsToJson(*fields));
    VARSAM_ASSIGN_OR_RETURN(acc::Context context, acc::ParseContext(text));
    *context_out = new varsam_context{std::move(context)};
    return absl::OkStatus();
  });
}

varsam_status varsam_context_to_json(const varsam_context* context, char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    if (context == nullptr) return NullArg("context");
    *json_out = CopyOut(acc::ContextToJson(context->context));
    return absl::OkStatus();
  });
}

void varsam_context_free(varsam_context* context) { delete context; }

varsam_status varsam_engine_check(varsam_engine* engine, const varsam_context* context,
                                  const char* action, const char* resource_json,
                                  size_t resource_length, char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      VARSAM_ASSIGN_OR_RETURN(const acc::Action parsed, ActionArg(action));
                      VARSAM_ASSIGN_OR_RETURN(const acc::Resource resource,
                                              ResourceArg(resource_json, resource_length));
                      VARSAM_ASSIGN_OR_RETURN(const acc::Decision decision,
                                              e.Check(c, parsed, resource));
                      return acc::ToJson(decision);
                    });
}

varsam_status varsam_policy_check(const varsam_context* context, const char* action,
                                  const char* resource_json, size_t resource_length,
                                  char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    if (context == nullptr) return NullArg("context");
    VARSAM_ASSIGN_OR_RETURN(const acc::Action parsed, ActionArg(action));
    VARSAM_ASSIGN_OR_RETURN(const acc::Resource resource,
                            ResourceArg(resource_json, resource_length));
    const absl::StatusOr<acc::PolicySet>& set = BuiltinPolicy();
    if (!set.ok()) return set.status();
    return JsonOut(acc::ToJson(set->DecideAndExplain(context->context, parsed, resource)),
                   json_out);
  });
}

varsam_status varsam_engine_score(varsam_engine* engine, const varsam_context* context,
                                  const char* request, size_t request_length, char** json_out) {
  return EngineJson(
      engine, context, json_out,
      [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
        if (request == nullptr) return NullArg("request");
        VARSAM_ASSIGN_OR_RETURN(
            const varsam::instruments::ScoreRequest parsed,
            varsam::instruments::ParseScoreRequest(std::string_view(request, request_length)));
        VARSAM_ASSIGN_OR_RETURN(const eng::ScoreResult result,
                                e.Score(c, parsed.instrument, parsed.responses, parsed.respondent));
        return eng::ScoreResultJson(result, parsed.swedish);
      });
}

varsam_status varsam_engine_journal_append(varsam_engine* engine, const varsam_context* context,
                                           const char* measurement_json, size_t measurement_length,
                                           int64_t* id_out) {
  if (id_out != nullptr) *id_out = 0;
  return Guard([&]() -> absl::Status {
    if (id_out == nullptr) return NullArg("id_out");
    VARSAM_RETURN_IF_ERROR(EngineArgs(engine, context));
    if (measurement_json == nullptr) return NullArg("measurement_json");
    VARSAM_ASSIGN_OR_RETURN(
        const store::Measurement measurement,
        eng::ParseMeasurement(std::string_view(measurement_json, measurement_length)));
    VARSAM_ASSIGN_OR_RETURN(*id_out,
                            engine->engine->AppendMeasurement(context->context, measurement));
    return absl::OkStatus();
  });
}

varsam_status varsam_engine_journal_history(varsam_engine* engine, const varsam_context* context,
                                            const char* client_ref, char** json_out) {
  return EngineJson(
      engine, context, json_out,
      [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
        if (client_ref == nullptr) return NullArg("client_ref");
        ordered_json out = ordered_json::array();
        VARSAM_RETURN_IF_ERROR(e.History(c, client_ref, [&](const store::Measurement& measurement) {
          out.push_back(eng::MeasurementJson(measurement));
          return true;
        }));
        return out;
      });
}

varsam_status varsam_engine_suggestions_open(varsam_engine* engine, const varsam_context* context,
                                             char** json_out) {
  return EngineJson(
      engine, context, json_out,
      [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
        ordered_json out = ordered_json::array();
        absl::Status bad;
        VARSAM_RETURN_IF_ERROR(e.OpenSuggestions(c, [&](const store::Suggestion& suggestion) {
          absl::StatusOr<ordered_json> row = eng::SuggestionJson(suggestion);
          if (!row.ok()) {
            bad = row.status();
            return false;
          }
          out.push_back(*std::move(row));
          return true;
        }));
        VARSAM_RETURN_IF_ERROR(bad);
        return out;
      });
}

varsam_status varsam_engine_decision_record(varsam_engine* engine, const varsam_context* context,
                                            const char* suggestion_id, const char* outcome,
                                            const char* rationale, int64_t* id_out) {
  if (id_out != nullptr) *id_out = 0;
  return Guard([&]() -> absl::Status {
    VARSAM_RETURN_IF_ERROR(EngineArgs(engine, context));
    if (suggestion_id == nullptr) return NullArg("suggestion_id");
    if (outcome == nullptr) return NullArg("outcome");
    if (rationale == nullptr) return NullArg("rationale");
    VARSAM_ASSIGN_OR_RETURN(
        const std::int64_t id,
        engine->engine->RecordDecision(context->context, suggestion_id, outcome, rationale));
    if (id_out != nullptr) *id_out = id;
    return absl::OkStatus();
  });
}

varsam_status varsam_engine_override_rates(varsam_engine* engine, const varsam_context* context,
                                           int32_t from_yyyymmdd, int32_t to_yyyymmdd,
                                           char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      VARSAM_ASSIGN_OR_RETURN(
                          const varsam::Date from,
                          varsam::capi::DateArg(from_yyyymmdd, "from_yyyymmdd"));
                      VARSAM_ASSIGN_OR_RETURN(const varsam::Date to,
                                              varsam::capi::DateArg(to_yyyymmdd, "to_yyyymmdd"));
                      VARSAM_ASSIGN_OR_RETURN(const std::vector<eng::OverrideRate> rates,
                                              e.OverrideRates(c, from, to));
                      ordered_json out = ordered_json::array();
                      for (const eng::OverrideRate& rate : rates) {
                        out.push_back(eng::OverrideRateJson(rate));
                      }
                      return out;
                    });
}

varsam_status varsam_engine_audit_verify(varsam_engine* engine, const varsam_context* context,
                                         char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      VARSAM_ASSIGN_OR_RETURN(const varsam::audit::VerifyReport report,
                                              e.VerifyAudit(c));
                      return varsam::audit::ToJson(report);
                    });
}

varsam_status varsam_engine_audit_prove_inclusion(varsam_engine* engine,
                                                  const varsam_context* context, int64_t seq,
                                                  int64_t tree_size, char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      VARSAM_ASSIGN_OR_RETURN(const varsam::audit::InclusionProofResult proof,
                                              e.ProveInclusion(c, seq, tree_size));
                      return varsam::audit::ToJson(proof);
                    });
}

varsam_status varsam_engine_audit_prove_consistency(varsam_engine* engine,
                                                    const varsam_context* context, int64_t old_size,
                                                    int64_t new_size, char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      VARSAM_ASSIGN_OR_RETURN(const varsam::audit::ConsistencyProofResult proof,
                                              e.ProveConsistency(c, old_size, new_size));
                      return varsam::audit::ToJson(proof);
                    });
}

varsam_status varsam_engine_audit_public_key(const varsam_engine* engine, char key_hex[65]) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr || engine->engine == nullptr) return NullArg("engine");
    if (key_hex == nullptr) return NullArg("key_hex");
    const std::string hex = varsam::audit::ToHex(engine->engine->audit_public_key());
    if (hex.size() != 64) return absl::InternalError("the audit public key is not 32 bytes");
    std::memcpy(key_hex, hex.c_str(), hex.size() + 1);
    return absl::OkStatus();
  });
}

varsam_status varsam_register_submit(varsam_engine* engine, const varsam_context* context,
                                     const char* submissions_json, size_t submissions_length) {
  return Guard([&]() -> absl::Status {
    VARSAM_RETURN_IF_ERROR(EngineArgs(engine, context));
    if (submissions_json == nullptr) return NullArg("submissions_json");
    VARSAM_ASSIGN_OR_RETURN(
        const std::vector<varsam::submission::Episode> batch,
        varsam::submission::ParseEpisodes(std::string_view(submissions_json, submissions_length),
                                          "submissions"));
    return engine->engine->SubmitToRegister(context->context, batch);
  });
}

varsam_status varsam_register_submit_cases(varsam_engine* engine, const varsam_context* context,
                                           const char* cases_jsonl, size_t cases_length,
                                           int32_t threads, char** json_out) {
  return EngineJson(
      engine, context, json_out,
      [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
        if (cases_jsonl == nullptr) return NullArg("cases_jsonl");
        if (threads < 0 || threads > 64) return InvalidField("threads", "must be from 0 to 64");
        VARSAM_ASSIGN_OR_RETURN(
            const std::vector<varsam::submission::CaseSubmission> cases,
            varsam::submission::ParseCaseLines(std::string_view(cases_jsonl, cases_length), c));
        VARSAM_ASSIGN_OR_RETURN(const eng::CasesSubmitted result,
                                e.SubmitCases(cases, threads == 0 ? 1 : threads));
        return eng::CasesSubmittedJson(result);
      });
}

varsam_status varsam_register_export(varsam_engine* engine, const varsam_context* context,
                                     const char* options_json, size_t options_length,
                                     char** json_out) {
  return EngineJson(
      engine, context, json_out,
      [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
        eng::RegisterExportOptions options;
        if (options_json != nullptr && options_length > 0) {
          VARSAM_ASSIGN_OR_RETURN(options, eng::ParseRegisterExportOptions(
                                               std::string_view(options_json, options_length)));
        }
        VARSAM_ASSIGN_OR_RETURN(const eng::RegisterRelease release, e.ExportRegister(c, options));
        ordered_json out;
        out["header"] = release.header;
        out["rows"] = release.rows;
        out["report"] = eng::RegisterReportJson(release);
        return out;
      });
}

// ---- Models -----------------------------------------------------------------------------------

varsam_status varsam_model_train(varsam_engine* engine, const varsam_context* context,
                                 const char* spec_json, size_t spec_length, const char* title,
                                 char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      if (spec_json == nullptr) return NullArg("spec_json");
                      VARSAM_ASSIGN_OR_RETURN(
                          const varsam::models::ModelSpec spec,
                          varsam::models::ParseModelSpec(std::string_view(spec_json, spec_length)));
                      const std::string_view name = title == nullptr ? "" : title;
                      VARSAM_RETURN_IF_ERROR(varsam::CheckUtf8(name, "title"));
                      VARSAM_ASSIGN_OR_RETURN(const eng::KeptModel kept,
                                              e.TrainModel(c, spec, name));
                      return KeptJson(kept);
                    });
}

varsam_status varsam_model_add(varsam_engine* engine, const varsam_context* context,
                               const char* model_json, size_t model_length, char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      if (model_json == nullptr) return NullArg("model_json");
                      VARSAM_ASSIGN_OR_RETURN(
                          const eng::KeptModel kept,
                          e.AddEvidenceModel(c, std::string_view(model_json, model_length)));
                      return KeptJson(kept);
                    });
}

varsam_status varsam_model_apply(varsam_engine* engine, const varsam_context* context,
                                 const char* model_id, const char* case_json, size_t case_length,
                                 char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      if (model_id == nullptr) return NullArg("model_id");
                      if (case_json == nullptr) return NullArg("case_json");
                      VARSAM_ASSIGN_OR_RETURN(
                          const eng::ModelApplication applied,
                          e.ApplyModel(c, model_id, std::string_view(case_json, case_length)));
                      return eng::ModelApplicationJson(applied);
                    });
}

varsam_status varsam_model_list(varsam_engine* engine, const varsam_context* context,
                                char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      ordered_json out = ordered_json::array();
                      VARSAM_RETURN_IF_ERROR(e.ListModels(c, [&](const store::StoredModel& model) {
                        out.push_back(eng::ModelListingJson(model));
                        return true;
                      }));
                      return out;
                    });
}

varsam_status varsam_model_card(const char* model_json, size_t model_length, const char* format,
                                char** text_out) {
  if (text_out != nullptr) *text_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (text_out == nullptr) return NullArg("text_out");
    if (model_json == nullptr) return NullArg("model_json");
    if (format == nullptr) return NullArg("format");
    const std::string_view kind = format;
    if (kind != "markdown" && kind != "html") {
      return InvalidField("format", "must be \"markdown\" or \"html\"");
    }
    VARSAM_ASSIGN_OR_RETURN(
        const varsam::models::ModelFile file,
        varsam::models::ParseModelFile(std::string_view(model_json, model_length)));
    const std::string card = kind == "html" ? varsam::models::ModelCardHtml(file)
                                            : varsam::models::ModelCardMarkdown(file);
    *text_out = CopyOut(card);
    return absl::OkStatus();
  });
}

varsam_status varsam_model_open(const char* model_json, size_t model_length,
                                varsam_model** model_out) {
  if (model_out != nullptr) *model_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (model_out == nullptr) return NullArg("model_out");
    if (model_json == nullptr) return NullArg("model_json");
    VARSAM_ASSIGN_OR_RETURN(
        varsam::models::ModelFile file,
        varsam::models::ParseModelFile(std::string_view(model_json, model_length)));
    *model_out = new varsam_model{std::move(file)};
    return absl::OkStatus();
  });
}

void varsam_model_close(varsam_model* model) { delete model; }

varsam_status varsam_model_score(const varsam_model* model, const char* const* levels,
                                 const double* numbers, size_t count, double* probability_out,
                                 int32_t* points_out) {
  return Guard([&]() -> absl::Status {
    if (model == nullptr) return NullArg("model");
    const bool evidence = model->file.kind == varsam::models::ModelKind::kEvidenceBased;
    const std::size_t features =
        evidence ? model->file.points.features.size() : model->file.model.features().size();
    if (count != features) return InvalidField("count", "must be the model's number of features");
    if (count > 0 && levels == nullptr) return NullArg("levels");
    varsam::models::FeatureRow row(count);
    for (std::size_t i = 0; i < count; ++i) {
      varsam::models::FeatureValue& v = row[i];
      const bool total = !evidence && model->file.model.features()[i].kind ==
                                          varsam::models::FeatureKind::kIntakeTotal;
      if (total) {
        if (numbers == nullptr) return NullArg("numbers");
        if (!std::isnan(numbers[i])) v.number = numbers[i];
      } else if (levels[i] == nullptr) {
        v.given = false;
      } else {
        v.level.assign(levels[i]);
      }
    }
    VARSAM_ASSIGN_OR_RETURN(
        const varsam::models::Prediction p,
        varsam::models::Apply(model->file, row, varsam::models::ApplyText::kNumbers));
    if (probability_out != nullptr) *probability_out = p.probability;
    if (points_out != nullptr) *points_out = p.points_total;
    return absl::OkStatus();
  });
}

// ---- Outcome monitoring -----------------------------------------------------------------------

varsam_status varsam_outcomes_trajectory(varsam_engine* engine, const varsam_context* context,
                                         const char* instrument, const char* case_ref,
                                         char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      if (instrument == nullptr) return NullArg("instrument");
                      VARSAM_ASSIGN_OR_RETURN(
                          const varsam::outcomes::Trajectory trajectory,
                          e.Trajectory(c, instrument, case_ref == nullptr ? "" : case_ref));
                      return eng::TrajectoryJson(trajectory);
                    });
}

varsam_status varsam_outcomes_fit_etr(varsam_engine* engine, const varsam_context* context,
                                      const char* spec_json, size_t spec_length, const char* title,
                                      char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      if (spec_json == nullptr) return NullArg("spec_json");
                      VARSAM_ASSIGN_OR_RETURN(
                          const varsam::outcomes::EtrSpec spec,
                          varsam::outcomes::ParseEtrSpec(std::string_view(spec_json, spec_length)));
                      const std::string_view name = title == nullptr ? "" : title;
                      VARSAM_RETURN_IF_ERROR(varsam::CheckUtf8(name, "title"));
                      VARSAM_ASSIGN_OR_RETURN(const eng::KeptCurves kept,
                                              e.FitCurves(c, spec, name));
                      ordered_json out;
                      out["id"] = kept.id;
                      out["sha256"] = kept.model.sha256;
                      // The library's own canonical file, as in KeptJson.
                      out["model"] = ordered_json::parse(kept.json);
                      return out;
                    });
}

varsam_status varsam_outcomes_monitor_client(varsam_engine* engine, const varsam_context* context,
                                             const char* model_id, const char* client_json,
                                             size_t client_length, char** json_out) {
  return EngineJson(engine, context, json_out,
                    [&](eng::Engine& e, const acc::Context& c) -> absl::StatusOr<ordered_json> {
                      if (model_id == nullptr) return NullArg("model_id");
                      VARSAM_ASSIGN_OR_RETURN(const eng::OutcomeClient client,
                                              ClientArg(client_json, client_length));
                      VARSAM_ASSIGN_OR_RETURN(const eng::ClientOutcome outcome,
                                              e.MonitorOutcome(c, model_id, client));
                      return eng::ClientOutcomeJson(outcome);
                    });
}

varsam_status varsam_outcomes_monitor(varsam_engine* engine, const varsam_context* context,
                                      const char* model_id, char** json_out) {
  return varsam_outcomes_monitor_client(engine, context, model_id, nullptr, 0, json_out);
}

varsam_status varsam_outcomes_report_html_client(varsam_engine* engine,
                                                 const varsam_context* context,
                                                 const char* instrument, const char* model_id,
                                                 const char* language, const char* client_json,
                                                 size_t client_length, char** html_out) {
  if (html_out != nullptr) *html_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (html_out == nullptr) return NullArg("html_out");
    VARSAM_RETURN_IF_ERROR(EngineArgs(engine, context));
    if (instrument == nullptr) return NullArg("instrument");
    if (language == nullptr) return NullArg("language");
    const std::string_view lang = language;
    if (lang != "sv" && lang != "en") return InvalidField("language", "must be \"sv\" or \"en\"");
    VARSAM_ASSIGN_OR_RETURN(const eng::OutcomeClient client, ClientArg(client_json, client_length));
    VARSAM_ASSIGN_OR_RETURN(const std::string html,
                            engine->engine->ClientChart(
                                context->context, instrument, model_id == nullptr ? "" : model_id,
                                lang == "sv" ? varsam::outcomes::Language::kSwedish
                                             : varsam::outcomes::Language::kEnglish,
                                client));
    *html_out = CopyOut(html);
    return absl::OkStatus();
  });
}

varsam_status varsam_outcomes_report_html(varsam_engine* engine, const varsam_context* context,
                                          const char* instrument, const char* model_id,
                                          const char* language, char** html_out) {
  return varsam_outcomes_report_html_client(engine, context, instrument, model_id, language,
                                            nullptr, 0, html_out);
}

varsam_status varsam_outcomes_benchmarks(varsam_engine* engine, const varsam_context* context,
                                         const char* spec_json, size_t spec_length,
                                         const char* curves_id, char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    VARSAM_RETURN_IF_ERROR(EngineArgs(engine, context));
    if (spec_json == nullptr) return NullArg("spec_json");
    VARSAM_ASSIGN_OR_RETURN(
        const varsam::outcomes::BenchmarkSpec spec,
        varsam::outcomes::ParseBenchmarkSpec(std::string_view(spec_json, spec_length)));
    VARSAM_ASSIGN_OR_RETURN(const varsam::outcomes::Benchmarks benchmarks,
                            engine->engine->OutcomeBenchmarks(
                                context->context, spec, curves_id == nullptr ? "" : curves_id));
    // The library's own canonical JSON, as the CLI prints it.
    *json_out = CopyOut(varsam::outcomes::BenchmarksJson(benchmarks));
    return absl::OkStatus();
  });
}

varsam_status varsam_insight_query(varsam_engine* engine, const varsam_context* context,
                                   const char* query_json, size_t query_length, const char* format,
                                   char** out) {
  if (out != nullptr) *out = nullptr;
  return Guard([&]() -> absl::Status {
    if (out == nullptr) return NullArg("out");
    VARSAM_RETURN_IF_ERROR(EngineArgs(engine, context));
    if (query_json == nullptr) return NullArg("query_json");
    const std::string_view form = format == nullptr ? "json" : format;
    if (form != "json" && form != "csv" && form != "html") {
      return absl::InvalidArgumentError(R"(format: must be "json", "csv" or "html")");
    }
    VARSAM_ASSIGN_OR_RETURN(
        const varsam::insights::Query query,
        varsam::insights::ParseQuery(std::string_view(query_json, query_length)));
    VARSAM_ASSIGN_OR_RETURN(const varsam::engine::InsightRelease release,
                            engine->engine->Query(context->context, query));
    *out = CopyOut(form == "csv"    ? varsam::insights::TableCsv(release.table)
                   : form == "html" ? varsam::insights::TableHtml(release.table)
                                    : varsam::insights::TableJson(release.table));
    return absl::OkStatus();
  });
}

}  // extern "C"
