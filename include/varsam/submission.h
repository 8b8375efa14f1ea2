// varsam/submission.h — what a host submits to the compilation register
// (sammanställningsregister, SoLPUL 7 a §; docs/anonymisation.md, "The register") and its JSON
// forms: one episode of a case, a case with its episodes, and the case lines a file of cases
// holds.
//
// Below the engine (engine::Engine::SubmitToRegister takes these) and the test-data generator
// (synth::RegisterCases makes them): it needs only the context's case (varsam/access.h) and the
// journal's measurement (varsam/store.h). One parser for every way in, so an episode or a case
// line the CLI takes is one the C API and Python take:
//   varsam_register_submit          an array of episodes (or one), in the context's case
//   varsam_register_submit_cases,   JSON lines, one case per line, each in its own case
//   `varsam register submit`
// Messages name the key and the line, never a value.

#ifndef VARSAM_SUBMISSION_H_
#define VARSAM_SUBMISSION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::submission {

// One episode of a case, as the host's case system knows it (identifiable). Only its
// pseudonymised and generalised form reaches the register: a keyed pseudonym of the identity
// number (or, without one, of the host's client id), the age band, the county, the periods,
// the intervention and outcome, and the measurements' instrument, session, period, total and
// band. The case kind and whether it led to an investigation come from the context's case.
struct Episode {
  std::string personnummer;  // the client's identity number, any accepted form; or ""
  std::string client_ref;    // the host's client id, used when personnummer is ""
  int age = -1;              // whole years when the episode started; -1 unknown (refused)
  std::string sex;           // "female", "male" or ""
  std::string postal_code;   // five digits, or "" (no region)
  std::string intervention;  // one of the register's interventions, or ""
  Date start;
  std::optional<Date> end;
  std::string outcome;                           // one of store::kOutcomes, or ""
  std::vector<store::Measurement> measurements;  // client and case fields are not used
  // Classes of data the host's record holds beyond these fields: a trade-union class refuses
  // the whole submission (floor rule never-union, SoLPUL 7 a §).
  std::vector<access::FieldClass> field_classes;
};

// One case with its episodes: what one guarded register.submit call takes. `case_info` is the
// case the episodes belong to; nullopt: the case of the context they are submitted in.
struct RegisterCase {
  std::optional<access::CaseInfo> case_info;
  std::vector<Episode> episodes;
};

// ---- JSON forms (keys stable) -----------------------------------------------------------------

// One episode:
//   {"personnummer": "YYYYMMDDNNNN", "client_ref": "k-1", "age": 34, "sex": "female",
//    "postal_code": "11122", "intervention": "familjebehandling", "start": "2025-01-15",
//    "end": "2025-06-30" | null, "outcome": "improved",
//    "measurements": [{"instrument": "ors", "session": 1, "date": "2025-01-15",
//                      "total": 24.5 | null, "band": "clinical" | null}],
//    "field_classes": ["ordinary" | "sensitive" | "trade_union", ...]}
// "age" and "start" are required, and "personnummer" or "client_ref"; every other key may be
// left out or null (empty, none). Unknown keys are refused. InvalidArgument names `what` and
// the key ("submissions[3].measurements[0].date: ..."), never a value. What the values may be
// is the register's to decide (engine::Engine::SubmitToRegister).
absl::StatusOr<Episode> ParseEpisode(const nlohmann::json& value, std::string_view what);
// A JSON array of episodes, or one episode (a batch of one); `what` names the document.
absl::StatusOr<std::vector<Episode>> ParseEpisodes(std::string_view json, std::string_view what);
// The JSON form above (every key; a measurement's five fields). Parsing it gives `episode`
// back, but for the measurements' other fields, which the register never takes.
nlohmann::ordered_json EpisodeJson(const Episode& episode);

// One case line:
//   {"case": {"ref": "c-9", "kind": "insats", "led_to_investigation": true, "client": "k-1"},
//    "episodes": [<an episode>, ...]}
// "case" (access::ParseCaseInfo's form, named "context.case": it becomes the context's case)
// may be left out or null; "episodes" is a non-empty array. Messages name the line's keys
// ("episodes[0].start: ...", "context.case.kind: ...") and `what` for the object itself
// ("the line: unknown key 'x' (known: case, episodes)").
absl::StatusOr<RegisterCase> ParseRegisterCase(const nlohmann::json& value, std::string_view what);
// The JSON form above ("case" left out when the case has none). ParseRegisterCase of it gives
// `c` back, as EpisodeJson does.
nlohmann::ordered_json RegisterCaseJson(const RegisterCase& c);

// The context a case is submitted in: `context` with the case's case as its case and the case's
// client as its subject client (a case without its own: `context` as it is). InvalidArgument
// "case: is required (on the line or in the context)" when neither has a case.
absl::StatusOr<access::Context> ContextFor(const access::Context& context, const RegisterCase& c);

// One case of a case-lines document, ready for engine::Engine::SubmitToRegister.
struct CaseSubmission {
  std::size_t line = 0;     // 1-based, in the document
  access::Context context;  // ContextFor(the document's context, the line's case)
  std::vector<Episode> episodes;
};

// A document of case lines (JSON lines, one case per line; lines of white space alone are
// skipped), each read in `context`. Every line is read before any is returned: the first bad
// one is the error, InvalidArgument "line 3: episodes[0]: unknown key 'namn'" (the line's
// number and the key, never a value).
absl::StatusOr<std::vector<CaseSubmission>> ParseCaseLines(std::string_view text,
                                                           const access::Context& context);

}  // namespace varsam::submission

#endif  // VARSAM_SUBMISSION_H_
