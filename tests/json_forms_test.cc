// The JSON forms the C API, Python and the CLI share, at the C++ level: the engine's options,
// measurements, suggestions, rates and scores (varsam/engine.h), the score request
// (varsam/instruments.h), the anonymisation request and the pipeline's structured record error
// (varsam/anonymize.h). Round trips, and refusals that name the key, never a value.

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "varsam/anonymize.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/instruments.h"

namespace {

using namespace varsam;

template <typename T>
std::string ErrorOf(const absl::StatusOr<T>& parsed) {
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(StatusMessage(parsed.status()));
}

}  // namespace

TEST_CASE("json forms: engine options", "[json-forms]") {
  auto options = engine::ParseEngineOptions(
      R"({"store": "/tmp/s", "policy_packs": ["{}", "[]"], "checkpoint_every_events": 10,
          "checkpoint_every_seconds": 5,
          "register": {"key_epoch": 3, "age_level": 2, "period_level": 3}})");
  REQUIRE(options.ok());
  CHECK(options->store == "/tmp/s");
  CHECK(options->policy_packs == std::vector<std::string>{"{}", "[]"});
  CHECK(options->audit.checkpoint_every_events == 10);
  CHECK(options->audit.checkpoint_every == absl::Seconds(5));
  CHECK(options->register_options.key_epoch == 3);
  CHECK(options->register_options.age_level == 2);
  CHECK(options->register_options.period_level == 3);
  CHECK_FALSE(options->key);  // the host's keys never come from JSON

  CHECK(ErrorOf(engine::ParseEngineOptions("{}")) == "options.store: is required");
  CHECK(ErrorOf(engine::ParseEngineOptions(R"({"store": ""})")) ==
        "options.store: must be a directory or a postgresql:// URI");
  CHECK(ErrorOf(engine::ParseEngineOptions(R"({"store": "s", "register": {"key_epoch": -1}})"))
            .rfind("options.register.key_epoch: ", 0) == 0);
  CHECK(ErrorOf(engine::ParseEngineOptions(R"({"store": "s", "register": {"epoch": 1}})"))
            .find("'epoch'") != std::string::npos);
  CHECK(ErrorOf(engine::ParseEngineOptions(R"({"store": "s", "stor": 1})")) ==
        "options: unknown key 'stor' (known: store, policy_packs, checkpoint_every_events, "
        "checkpoint_every_seconds, register, insights)");
  CHECK(ErrorOf(engine::ParseEngineOptions("[")).rfind("options: ", 0) == 0);
  // Group insights' limits.
  const auto limits = engine::ParseEngineOptions(
      R"({"store": "s", "insights": {"cells_per_period": 40, "epsilon_per_period": 0.5,
          "differencing_threshold": 10, "group_in_store": true}})");
  REQUIRE(limits.ok());
  CHECK(limits->insights.group_in_store);
  CHECK_FALSE(engine::ParseEngineOptions(R"({"store": "s"})")->insights.group_in_store);
  CHECK(
      ErrorOf(engine::ParseEngineOptions(R"({"store": "s", "insights": {"group_in_store": 1}})")) ==
      "options.insights.group_in_store: must be true or false");
  CHECK(limits->insights.cells_per_period == 40);
  CHECK(limits->insights.epsilon_per_period == 0.5);
  CHECK(limits->insights.differencing_threshold == 10);
  CHECK(engine::ParseEngineOptions(R"({"store": "s"})")->insights.cells_per_period == 20000);
  CHECK(ErrorOf(engine::ParseEngineOptions(
            R"({"store": "s", "insights": {"epsilon_per_period": -1}})")) ==
        "options.insights.epsilon_per_period: must be a number from 0 to 1000");
  CHECK(ErrorOf(engine::ParseEngineOptions(
                    R"({"store": "s", "insights": {"differencing_threshold": 1}})"))
            .rfind("options.insights.differencing_threshold: ", 0) == 0);
  CHECK(ErrorOf(engine::ParseEngineOptions(R"({"store": "s", "insights": {"cells": 1}})"))
            .find("'cells'") != std::string::npos);
}

TEST_CASE("json forms: a measurement round-trips", "[json-forms]") {
  const std::string in =
      R"({"client_ref":"K-1","case_ref":"c-1","case_kind":"utredning","instrument":"phq9",)"
      R"("session":2,"date":"2026-03-16","responses":[1,null,2.5,3],"total":14,)"
      R"("band":"moderate","flags":["suicide_risk_followup"]})";
  auto m = engine::ParseMeasurement(in);
  REQUIRE(m.ok());
  CHECK(m->session == 2);
  CHECK(m->date == Date(2026, 3, 16));
  REQUIRE(m->responses.size() == 4);
  CHECK(std::isnan(m->responses[1]));
  CHECK(m->total == std::optional<double>(14));
  m->id = 7;
  // Whole numbers print without a fraction, a missing answer as null; "id" comes first.
  const std::string out = DumpJson(engine::MeasurementJson(*m));
  CHECK(out == Cat({R"({"id":7,)", in.substr(1)}));
  m->total.reset();
  m->band.reset();
  auto again = engine::ParseMeasurement(DumpJson(engine::MeasurementJson(*m)).replace(1, 7, ""));
  REQUIRE(again.ok());
  CHECK_FALSE(again->total.has_value());
  CHECK_FALSE(again->band.has_value());

  CHECK(ErrorOf(engine::ParseMeasurement(R"({"client_ref": "K"})")) ==
        "measurement.case_ref: is required");
  const std::string base =
      R"("client_ref":"K","case_ref":"c","case_kind":"insats","instrument":"ors",)"
      R"("responses":[],)";
  CHECK(ErrorOf(engine::ParseMeasurement(Cat({"{", base, R"("date":"198501012382"})"})))
            .find("198501012382") == std::string::npos);
  CHECK(ErrorOf(engine::ParseMeasurement(Cat({"{", base, R"("date":"2026-01-01","x":1})"})))
            .rfind("measurement: unknown key 'x' (known: client_ref, case_ref, ", 0) == 0);
  CHECK(
      ErrorOf(engine::ParseMeasurement(Cat({"{", base, R"("date":"2026-01-01","total":"1"})"}))) ==
      "measurement.total: must be a number or null");
}

TEST_CASE("json forms: suggestions, rates and scores", "[json-forms]") {
  store::Suggestion s;
  s.id = "ab12";
  s.kind = "flag";
  s.created = Date(2026, 11, 28);
  s.content_json = R"({"flag": "x", "n": 1})";
  auto suggestion = engine::SuggestionJson(s);
  REQUIRE(suggestion.ok());
  CHECK(DumpJson(*suggestion) ==
        R"({"id":"ab12","kind":"flag","created":"2026-11-28","content":{"flag":"x","n":1}})");
  s.content_json = "not json";
  CHECK(engine::SuggestionJson(s).status().code() == absl::StatusCode::kInternal);

  engine::OverrideRate rate;
  rate.kind = "flag";
  rate.code = "phq9/suicide_risk_followup";
  rate.suggestions = 4;
  CHECK(DumpJson(engine::OverrideRateJson(rate)) ==
        R"({"kind":"flag","code":"phq9/suicide_risk_followup","suggestions":4,"decided":0,)"
        R"("accepted":0,"rejected":0,"modified":0,"override_rate":null})");
  rate.decided = 4;
  rate.rejected = 1;
  CHECK(engine::OverrideRateJson(rate)["override_rate"] == 0.25);

  const instruments::Instrument* phq9 = instruments::Registry::Global().Find("phq9");
  REQUIRE(phq9 != nullptr);
  const std::vector<double> answers = {2, 2, 2, 2, 2, 2, 2, 2, 2};
  auto score = phq9->ScoreOne(answers);
  REQUIRE(score.ok());
  REQUIRE_FALSE(score->flags.empty());
  engine::ScoreResult result{*score, {}};
  for (std::size_t i = 0; i < score->flags.size(); ++i) {
    result.suggestion_ids.push_back(Cat({"id-", std::to_string(i)}));
  }
  const nlohmann::ordered_json json = engine::ScoreResultJson(result, true);
  nlohmann::ordered_json plain = instruments::ToJson(*score, true);
  CHECK(json.size() == plain.size() + 1);
  for (const auto& [key, value] : plain.items()) CHECK(json[key] == value);
  REQUIRE(json["suggestions"].size() == score->flags.size());
  CHECK(json["suggestions"][0]["id"] == "id-0");
  CHECK(json["suggestions"][0]["flag"] == std::string(score->flags[0].code));
}

TEST_CASE("json forms: the score request", "[json-forms]") {
  auto request = instruments::ParseScoreRequest(
      R"({"instrument": "phq9", "responses": [1, null, 3], "sex": "female", "age": 34,
          "previous_total": 12.5, "language": "sv"})");
  REQUIRE(request.ok());
  CHECK(request->instrument == "phq9");
  REQUIRE(request->responses.size() == 3);
  CHECK(std::isnan(request->responses[1]));
  CHECK(request->respondent.sex == ident::Sex::kFemale);
  CHECK(request->respondent.age == std::optional<int>(34));
  CHECK(request->respondent.previous_total == std::optional<double>(12.5));
  CHECK(request->swedish);
  auto plain = instruments::ParseScoreRequest(
      R"({"instrument": "gad7", "responses": [], "sex": null, "age": null, "language": "en"})");
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->respondent.sex.has_value());
  CHECK_FALSE(plain->swedish);

  using instruments::ParseScoreRequest;
  CHECK(ErrorOf(ParseScoreRequest(R"({"responses": []})")) == "request.instrument: required");
  CHECK(ErrorOf(ParseScoreRequest(R"({"instrument": "x"})")) == "request.responses: required");
  CHECK(ErrorOf(ParseScoreRequest(R"({"instrument": "x", "responses": [1, "2"]})")) ==
        "request.responses: item 2 must be a number or null");
  CHECK(ErrorOf(ParseScoreRequest(R"({"instrument": "x", "responses": [], "sex": "f"})")) ==
        R"(request.sex: must be "female", "male" or null)");
  CHECK(ErrorOf(ParseScoreRequest(R"({"instrument": "x", "responses": [], "age": 3.5})"))
            .rfind("request.age: ", 0) == 0);
  CHECK(ErrorOf(ParseScoreRequest(R"({"instrument": "x", "responses": [], "language": 1})")) ==
        R"(request.language: must be "en" or "sv")");
  CHECK(ErrorOf(ParseScoreRequest(R"({"instrument": "x", "responses": [], "namn": "A"})")) ==
        "request: unknown key 'namn' (known: instrument, responses, sex, age, previous_total, "
        "language)");

  auto settings = instruments::ParseSettingValues(R"({"cutoff": 10, "weight": 0.5})");
  REQUIRE(settings.ok());
  CHECK(settings->at("cutoff") == 10);
  CHECK(ErrorOf(instruments::ParseSettingValues(R"({"cutoff": "10"})")) ==
        "settings: the value of 'cutoff' must be a number");
}

namespace {

constexpr const char* kSchema =
    R"({"format": "varsam-anonymize-schema/1", "fields": [
        {"name": "alder", "role": "quasi_identifier", "hierarchy": "age"},
        {"name": "insats", "role": "quasi_identifier", "hierarchy": {"csv": "insats.csv"}},
        {"name": "utfall", "role": "insensitive"},
        {"name": "fack", "role": "forbidden"}]})";

}  // namespace

TEST_CASE("json forms: the anonymisation request and its release", "[json-forms]") {
  auto request = anonymize::ParseRequest(Cat(
      {R"({"schema": )", kSchema,
       R"(, "records": [{"alder": 34, "insats": "a", "utfall": "ok"}, {"alder": "35", "fack": null},
           {"insats": "b"}],
          "k": 1, "max_suppression": 0.5, "key_epoch": 2, "names": ["Anna"], "today": "2026-11-28",
          "hierarchies": {"insats.csv": "a;*\nb;*\n"}})"}));
  REQUIRE(request.ok());
  const anonymize::PipelineOptions& o = request->options;
  REQUIRE(o.schema.fields.size() == 4);
  CHECK(o.model.k == 1);
  CHECK(o.model.max_suppression == 0.5);
  CHECK(o.key_epoch == 2);
  CHECK(o.scrub.names == std::vector<std::string>{"Anna"});
  REQUIRE(request->records.size() == 3);
  // Values in schema order; numbers as their text, null and missing fields empty.
  CHECK(request->records[0] == anonymize::Record{"34", "a", "ok", ""});
  CHECK(request->records[1] == anonymize::Record{"35", "", "", ""});
  CHECK(request->records[2] == anonymize::Record{"", "b", "", ""});
  // The request's hierarchies serve the pipeline; a file it lacks is named.
  REQUIRE(o.read_hierarchy);
  CHECK(*o.read_hierarchy("insats.csv") == "a;*\nb;*\n");
  CHECK(o.read_hierarchy("other").status().message() ==
        "request.hierarchies: has no entry 'other'");

  // The whole run, and the release's JSON form.
  auto pipeline = anonymize::Pipeline::Create(request->options);
  INFO(StatusMessage(pipeline.status()));
  REQUIRE(pipeline.ok());
  REQUIRE((*pipeline)->Add(request->records[0]).ok());
  REQUIRE((*pipeline)->Add(anonymize::Record{"36", "b", "ok", ""}).ok());
  auto release = (*pipeline)->Finish();
  REQUIRE(release.ok());
  const nlohmann::ordered_json json = anonymize::ReleaseJson(*release);
  CHECK(json["header"] == nlohmann::ordered_json(release->header));
  CHECK(json["rows"].size() == release->rows.size());
  CHECK(json["report"] == anonymize::ReportJson(*release));

  const auto error = [](const std::string& text) { return ErrorOf(anonymize::ParseRequest(text)); };
  const std::string schema = Cat({R"({"schema": )", kSchema});
  CHECK(error(R"({"records": [], "k": 1})") == "request.schema: is required");
  CHECK(error(Cat({schema, R"(, "records": [{"alder": 1}, {"namn": "Anna Berg"}], "k": 1})"})) ==
        "request.records[1]: unknown key 'namn' (not a field of the schema)");
  CHECK(error(Cat({schema, R"(, "records": [{"alder": 1.5}], "k": 1})"})) ==
        "request.records[0]: field 'alder': must be a string, a whole number or null");
  CHECK(error(Cat({schema, R"(, "records": [], "k": 1, "l": 2})"})) ==
        "request.l: needs request.sensitive (the field for l-diversity)");
  CHECK(error(Cat({schema, R"(, "records": [], "k": 1, "x": 2})"}))
            .rfind("request: unknown key 'x' (known: schema, records, k, ", 0) == 0);
  CHECK(error(R"({"schema": {"fields": 1}, "records": [], "k": 1})").rfind("request.schema", 0) ==
        0);
}

TEST_CASE("json forms: a refused record carries its index and field", "[json-forms]") {
  auto request = anonymize::ParseRequest(Cat({R"({"schema": )", kSchema, R"(, "records": [], "k": 1,
              "hierarchies": {"insats.csv": "a;*\n"}})"}));
  REQUIRE(request.ok());
  auto pipeline = anonymize::Pipeline::Create(request->options);
  INFO(StatusMessage(pipeline.status()));
  REQUIRE(pipeline.ok());
  REQUIRE((*pipeline)->Add(anonymize::Record{"34", "a", "ok", ""}).ok());
  REQUIRE((*pipeline)->Add(anonymize::Record{"40", "a", "ok", " "}).ok());

  // A forbidden field that holds a value: FailedPrecondition, record 3 (index 2), field fack.
  const absl::Status forbidden = (*pipeline)->Add(anonymize::Record{"41", "a", "ok", "Kommunal"});
  CHECK(forbidden.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(StatusMessage(forbidden).rfind("record 3: field 'fack' is forbidden", 0) == 0);
  auto error = anonymize::RecordErrorOf(forbidden);
  REQUIRE(error.has_value());
  CHECK(error->index == 2);
  CHECK(error->field == "fack");
  CHECK(Cat({"record 3: ", error->message}) == StatusMessage(forbidden));
  CHECK(error->message.find("Kommunal") == std::string::npos);

  // A value the hierarchy does not know: InvalidArgument naming the field.
  const absl::Status unknown = (*pipeline)->Add(anonymize::Record{"41", "zz", "ok", ""});
  CHECK(unknown.code() == absl::StatusCode::kInvalidArgument);
  error = anonymize::RecordErrorOf(unknown);
  REQUIRE(error.has_value());
  CHECK(error->index == 2);  // refused records take no place
  CHECK(error->field == "insats");

  // The record as a whole: no field.
  error = anonymize::RecordErrorOf((*pipeline)->Add(anonymize::Record{"41"}));
  REQUIRE(error.has_value());
  CHECK(error->field.empty());
  CHECK(error->message == "has 1 values; the schema has 4 fields");

  // Other statuses carry none.
  CHECK_FALSE(anonymize::RecordErrorOf(absl::OkStatus()).has_value());
  CHECK_FALSE(anonymize::RecordErrorOf(absl::InvalidArgumentError("record 1: x")).has_value());
  const absl::Status made =
      anonymize::RecordStatus(absl::StatusCode::kInvalidArgument, {6, "f", "field 'f': bad"});
  CHECK(StatusMessage(made) == "record 7: field 'f': bad");
  CHECK(anonymize::RecordErrorOf(made)->index == 6);
}
