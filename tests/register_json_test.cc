// The JSON forms of the register calls (include/varsam/submission.h; include/varsam/engine.h,
// "JSON forms of the register calls") and the synthetic population as register submissions
// (synth::RegisterCases).

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace {

using namespace varsam;

// An official Skatteverket test number.
constexpr const char* kNumber = "198501012382";

engine::RegisterSubmission Full() {
  engine::RegisterSubmission s;
  s.personnummer = kNumber;
  s.client_ref = "K-77";
  s.age = 37;
  s.sex = "female";
  s.postal_code = "11120";
  s.intervention = "familjebehandling";
  s.start = Date(2026, 3, 15);
  s.end = Date(2026, 11, 2);
  s.outcome = "improved";
  store::Measurement m;
  m.instrument = "phq9";
  m.session = 2;
  m.date = Date(2026, 3, 16);
  m.total = 14.5;
  m.band = "moderate";
  store::Measurement open;
  open.instrument = "ors";
  open.date = Date(2026, 4, 1);
  s.measurements = {m, open};
  s.field_classes = {access::FieldClass::kSensitive};
  return s;
}

void RequireSame(const engine::RegisterSubmission& a, const engine::RegisterSubmission& b) {
  CHECK(a.personnummer == b.personnummer);
  CHECK(a.client_ref == b.client_ref);
  CHECK(a.age == b.age);
  CHECK(a.sex == b.sex);
  CHECK(a.postal_code == b.postal_code);
  CHECK(a.intervention == b.intervention);
  CHECK(a.start == b.start);
  CHECK(a.end == b.end);
  CHECK(a.outcome == b.outcome);
  CHECK(a.field_classes == b.field_classes);
  REQUIRE(a.measurements.size() == b.measurements.size());
  for (size_t i = 0; i < a.measurements.size(); ++i) {
    const store::Measurement& x = a.measurements[i];
    const store::Measurement& y = b.measurements[i];
    CHECK(x.instrument == y.instrument);
    CHECK(x.session == y.session);
    CHECK(x.date == y.date);
    CHECK(x.total == y.total);
    CHECK(x.band == y.band);
  }
}

// The error of parsing `json` (one submission).
std::string ErrorOf(const std::string& json) {
  auto parsed = submission::ParseEpisodes(json, "s");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

}  // namespace

TEST_CASE("register json: a submission round-trips through its JSON form", "[register-json]") {
  const engine::RegisterSubmission s = Full();
  const std::string text = DumpJson(submission::EpisodeJson(s));
  auto one = submission::ParseEpisodes(text, "s");
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  RequireSame(s, one->front());

  engine::RegisterSubmission minimal;
  minimal.client_ref = "K-1";
  minimal.age = 0;
  minimal.start = Date(2025, 1, 1);
  auto batch = submission::ParseEpisodes(
      Cat({"[", text, ",", DumpJson(submission::EpisodeJson(minimal)), "]"}), "s");
  REQUIRE(batch.ok());
  REQUIRE(batch->size() == 2);
  RequireSame(minimal, (*batch)[1]);
  CHECK_FALSE((*batch)[1].end.has_value());

  // Left-out and null keys are empty.
  auto sparse = submission::ParseEpisodes(
      R"({"client_ref": "K-2", "age": 40, "start": "2025-02-03", "end": null, "sex": null,
          "measurements": null, "field_classes": null})",
      "s");
  REQUIRE(sparse.ok());
  CHECK(sparse->front().sex.empty());
  CHECK(sparse->front().measurements.empty());
  CHECK(sparse->front().age == 40);
}

TEST_CASE("register json: refusals name the key, never the value", "[register-json]") {
  const std::string n = kNumber;
  const struct {
    std::string json;
    std::string message;
  } cases[] = {
      {R"({"personnummer": ")" + n + R"(", "start": "2025-01-01"})", "s.age: is required"},
      {R"({"personnummer": ")" + n + R"(", "age": 3})", "s.start: is required"},
      {R"({"age": 3, "start": "2025-01-01"})", "needs \"personnummer\" or \"client_ref\""},
      {R"({"client_ref": "K", "age": ")" + n + R"(", "start": "2025-01-01"})",
       "s.age: must be a whole number from 0 to 150"},
      {R"({"client_ref": "K", "age": 151, "start": "2025-01-01"})", "s.age: must be"},
      {R"({"client_ref": "K", "age": 3.5, "start": "2025-01-01"})", "s.age: must be"},
      {R"({"client_ref": "K", "age": 3, "start": ")" + n + R"("})", "s.start"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-02-30"})", "s.start"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01", "sex": 1})",
       "s.sex: must be a string or null"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01", ")" + n + R"(": 1})",
       "s: unknown key (not shown: not a field name)"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01", "namn": "Anna"})",
       "s: unknown key 'namn'"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01", "field_classes": ["union"]})",
       "s.field_classes: must be an array of"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01", "measurements": {}})",
       "s.measurements: must be an array"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01",
           "measurements": [{"instrument": "phq9"}]})",
       "s.measurements[0].date: is required"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01",
           "measurements": [{"instrument": "phq9", "date": "2025-01-01", "total": ")" +
           n + R"("}]})",
       "s.measurements[0].total: must be a number or null"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01",
           "measurements": [{"instrument": "phq9", "date": "2025-01-01", "responses": []}]})",
       "s.measurements[0]: unknown key 'responses'"},
      {R"({"client_ref": "K", "age": 3, "start": "2025-01-01",
           "measurements": [{"instrument": "phq9", "date": "2025-01-01", "session": -1}]})",
       "s.measurements[0].session: must be"},
      {R"("text")", "s: must be a submission or an array of submissions"},
      {R"([{"client_ref": "K", "age": 3, "start": "2025-01-01"}, 7])", "s[1]: must be an object"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    const std::string message = ErrorOf(c.json);
    CHECK_THAT(message, Catch::Contains(c.message));
    CHECK(message.find(n.substr(2, 6)) == std::string::npos);
    CHECK(message.find("Anna") == std::string::npos);
  }
  CHECK_THAT(ErrorOf("[{"), Catch::Contains("s"));
}

TEST_CASE("register json: export options", "[register-json]") {
  auto defaults = engine::ParseRegisterExportOptions("{}");
  REQUIRE(defaults.ok());
  CHECK(defaults->k == 5);
  CHECK(defaults->distinct_l == 0);
  CHECK(defaults->max_suppression == 0.0);
  CHECK(defaults->metric == anonymize::Metric::kLoss);
  CHECK_FALSE(defaults->filter.case_kind.has_value());

  auto full = engine::ParseRegisterExportOptions(
      R"({"k": 11, "l": 3, "max_suppression": 0.02, "metric": "discernibility",
          "filter": {"case_kind": "insats", "intervention": "familjebehandling",
                     "region": "01", "key_epoch": 4}})");
  REQUIRE(full.ok());
  CHECK(full->k == 11);
  CHECK(full->distinct_l == 3);
  CHECK(full->max_suppression == 0.02);
  CHECK(full->metric == anonymize::Metric::kDiscernibility);
  CHECK(full->filter.case_kind == "insats");
  CHECK(full->filter.intervention == "familjebehandling");
  CHECK(full->filter.region == "01");
  CHECK(full->filter.key_epoch == 4);

  for (const auto& [json, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"k": 0})", "options.k"},
           {R"({"k": 2.5})", "options.k"},
           {R"({"l": 1})", "options.l: must be 0 (none) or at least 2"},
           {R"({"max_suppression": 1.5})", "options.max_suppression"},
           {R"({"metric": "entropy"})", "options.metric"},
           {R"({"filter": {"county": "01"}})", "options.filter: unknown key 'county'"},
           {R"({"filter": {"key_epoch": -1}})", "options.filter.key_epoch"},
           {R"({"kk": 1})", "options: unknown key 'kk'"},
           {R"([])", "options: must be an object"},
       }) {
    INFO(json);
    auto parsed = engine::ParseRegisterExportOptions(json);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(std::string(parsed.status().message()), Catch::Contains(message));
  }
}

TEST_CASE("register json: the synthetic population as register cases", "[register-json]") {
  synth::Options options;
  options.clients = 300;
  options.seed = 9;
  auto generator = synth::Generator::Create(options);
  REQUIRE(generator.ok());
  std::size_t reports_kept = 0, reports_refused = 0;
  for (std::size_t i = 0; i < options.clients; ++i) {
    const synth::ClientRecord record = (*generator)->MakeClient(i);
    const std::vector<submission::RegisterCase> cases = synth::RegisterCases(record);
    REQUIRE(cases.size() == record.cases.size());
    bool investigated = false;
    for (const synth::Case& c : record.cases) investigated |= c.kind == "utredning";
    std::size_t measurements = 0;
    std::set<std::string> refs;
    for (size_t k = 0; k < cases.size(); ++k) {
      const submission::RegisterCase& r = cases[k];
      const synth::Case& c = record.cases[k];
      CHECK(r.case_info->ref == c.id);
      CHECK(access::Name(r.case_info->kind) == c.kind);
      CHECK(r.case_info->client == record.client.id);
      refs.insert(r.case_info->ref);
      const bool report = c.kind == "anmalan" || c.kind == "forhandsbedomning";
      CHECK(r.case_info->led_to_investigation == (!report || investigated));
      if (report) (investigated ? reports_kept : reports_refused) += 1;
      CHECK(r.episodes.front().personnummer == record.client.personnummer);
      CHECK(r.episodes.front().client_ref == record.client.id);
      CHECK(r.episodes.front().age == c.age_at_start);
      CHECK(r.episodes.front().postal_code == record.client.postal_code);
      CHECK(r.episodes.front().intervention == c.intervention);
      CHECK(r.episodes.front().start == c.opened);
      CHECK(r.episodes.front().end == c.closed);
      CHECK(r.episodes.front().outcome == c.outcome);
      for (const store::Measurement& m : r.episodes.front().measurements) CHECK(m.case_ref == c.id);
      measurements += r.episodes.front().measurements.size();
    }
    CHECK(refs.size() == cases.size());
    CHECK(measurements == record.measurements.size());
  }
  // The population has both kinds of report.
  CHECK(reports_kept > 0);
  CHECK(reports_refused > 0);
}

// ---- Cases and case lines (varsam/submission.h) ----------------------------------------------

namespace {

// A context of the board's follow-up, with or without a case of its own.
access::Context Analyst(bool with_case) {
  auto parsed = access::ParseContext(
      R"({"actor": "u-4", "role": "analytiker", "organisation": {"kind": "socialnamnd",
          "id": "0180"}, "purpose": "uppfoljning", "time": "2026-11-28T10:00:00Z"})");
  REQUIRE(parsed.ok());
  access::Context c = *parsed;
  if (with_case) {
    c.case_info = access::CaseInfo{"c-own", access::CaseKind::kUtredning, true, "K-own"};
    c.subject_client = "K-own";
  }
  return c;
}

// The error of ParseCaseLines on `text`.
std::string LinesError(const std::string& text, bool context_case = true) {
  auto parsed = submission::ParseCaseLines(text, Analyst(context_case));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

}  // namespace

TEST_CASE("submission: a case round-trips through its line", "[register-json]") {
  submission::RegisterCase c;
  c.case_info = access::CaseInfo{"c-9", access::CaseKind::kInsats, true, "K-77"};
  c.episodes = {Full(), Full()};
  c.episodes[1].client_ref = "K-78";
  const std::string line = DumpJson(submission::RegisterCaseJson(c));
  CHECK(line.rfind(R"({"case":{"ref":"c-9","kind":"insats","led_to_investigation":true,)"
                   R"("client":"K-77"},"episodes":[{"personnummer":)",
                   0) == 0);
  auto parsed_json = ParseJson(line, "line");
  REQUIRE(parsed_json.ok());
  auto back = submission::ParseRegisterCase(*parsed_json, "the line");
  REQUIRE(back.ok());
  REQUIRE(back->case_info.has_value());
  CHECK(back->case_info->ref == "c-9");
  CHECK(back->case_info->kind == access::CaseKind::kInsats);
  CHECK(back->case_info->led_to_investigation);
  CHECK(back->case_info->client == "K-77");
  REQUIRE(back->episodes.size() == 2);
  RequireSame(c.episodes[0], back->episodes[0]);
  RequireSame(c.episodes[1], back->episodes[1]);
  CHECK(DumpJson(submission::RegisterCaseJson(*back)) == line);

  // Without a case: no "case" key, and the context's case is used.
  c.case_info.reset();
  const std::string bare = DumpJson(submission::RegisterCaseJson(c));
  CHECK(bare.rfind(R"({"episodes":[)", 0) == 0);
  auto bare_back = submission::ParseRegisterCase(*ParseJson(bare, "line"), "the line");
  REQUIRE(bare_back.ok());
  CHECK_FALSE(bare_back->case_info.has_value());
  auto in = submission::ContextFor(Analyst(true), *bare_back);
  REQUIRE(in.ok());
  CHECK(in->case_info->ref == "c-own");
  CHECK(submission::ContextFor(Analyst(false), *bare_back).status().message() ==
        "case: is required (on the line or in the context)");
}

TEST_CASE("submission: case lines are read in their context, numbered by line", "[register-json]") {
  submission::RegisterCase c;
  c.case_info = access::CaseInfo{"c-9", access::CaseKind::kAnmalan, false, "K-77"};
  c.episodes = {Full()};
  const std::string with_case = DumpJson(submission::RegisterCaseJson(c));
  c.case_info.reset();
  const std::string without = DumpJson(submission::RegisterCaseJson(c));
  auto cases =
      submission::ParseCaseLines(Cat({"\n", with_case, "\r\n  \t\n", without}), Analyst(true));
  REQUIRE(cases.ok());
  REQUIRE(cases->size() == 2);
  const submission::CaseSubmission& first = (*cases)[0];
  CHECK(first.line == 2);
  // The line's case is the context's case, its client the subject client; the rest is the
  // document's context.
  CHECK(first.context.case_info->ref == "c-9");
  CHECK(first.context.case_info->kind == access::CaseKind::kAnmalan);
  CHECK_FALSE(first.context.case_info->led_to_investigation);
  CHECK(first.context.subject_client == std::optional<std::string>("K-77"));
  CHECK(first.context.actor == "u-4");
  CHECK(first.context.purpose == access::Purpose::kUppfoljning);
  REQUIRE(first.episodes.size() == 1);
  RequireSame(Full(), first.episodes[0]);
  const submission::CaseSubmission& second = (*cases)[1];
  CHECK(second.line == 4);
  CHECK(second.context.case_info->ref == "c-own");
  CHECK(second.context.subject_client == std::optional<std::string>("K-own"));
  auto empty = submission::ParseCaseLines("\n \n", Analyst(false));
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("submission: a bad case line is named by its number and key, never a value",
          "[register-json]") {
  const std::string episode = DumpJson(submission::EpisodeJson(Full()));
  const std::string good = Cat({R"({"episodes": [)", episode, "]}\n"});
  // The CLI's own message for this case (docs/cli.md).
  CHECK(LinesError(Cat({good, good,
                        R"({"episodes": [{"client_ref": "K", "age": 3, "start": "2025-01-01", )"
                        R"("namn": "Anna Berg"}]})"})) ==
        "line 3: episodes[0]: unknown key 'namn'");
  CHECK(LinesError("{").rfind("line 1: the line: ", 0) == 0);
  CHECK(LinesError("\n\n[1, 2]") == "line 3: the line: must be an object");
  CHECK(LinesError(R"({"case": 1, "episodes": []})") == "line 1: context.case: must be an object");
  CHECK(LinesError(R"({"episodes": []})") == "line 1: episodes: must be a non-empty array");
  CHECK(LinesError(R"({"episode": []})").rfind("line 1: the line: unknown key 'episode'", 0) == 0);
  const std::string bad_kind =
      Cat({R"({"case": {"ref": "c", "kind": "198501012382", "led_to_investigation": true, )"
           R"("client": "K"}, "episodes": [)",
           episode, "]}"});
  const std::string message = LinesError(bad_kind);
  CHECK(message.rfind("line 1: context.case.kind: ", 0) == 0);
  CHECK(message.find("198501012382") == std::string::npos);
  CHECK(LinesError(Cat({good, R"({"episodes": [{"client_ref": "K", "age": 3}]})"})) ==
        "line 2: episodes[0].start: is required");
  CHECK(LinesError(good, false) == "line 1: case: is required (on the line or in the context)");
}
