// Strict JSON (ParseJson, varsam/core.h): every JSON input of the library refuses a name
// repeated within one object, at any depth, as InvalidArgument naming where as a JSON Pointer
// (RFC 6901). RFC 8259 §4: "The names within an object SHOULD be unique"; when they are not,
// parsers differ (last wins, first wins, error), so the same text could mean one context to
// varsam and another to a log or a gateway. Each loader is checked on a document of its own form:
// the document loads, and the same document with one of its names written twice — at the top
// and inside a nested object — is refused. The expected pointers come from nlohmann-json's
// json_pointer, not from the code under test.

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "model_fixtures.h"
#include "varsam/access.h"
#include "varsam/anonymize.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/insights.h"
#include "varsam/instruments.h"
#include "varsam/models.h"
#include "varsam/outcomes.h"
#include "varsam/submission.h"

namespace {

using namespace varsam;
using json = nlohmann::json;
using Loader = std::function<absl::Status(std::string_view)>;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Message(const absl::Status& status) { return std::string(StatusMessage(status)); }

// `value` as JSON text, with the object at `tokens` (a path of keys and indices into `value`)
// holding its member `key` twice, both with its own value.
std::string Repeating(const json& value, const std::vector<std::string>& tokens, std::size_t at,
                      const std::string& key) {
  std::string out;
  if (at == tokens.size()) {
    const std::string member = Cat({json(key).dump(), ":", value.at(key).dump()});
    out = Cat({"{", member, ",", member});
    for (const auto& [name, item] : value.items()) {
      if (name != key) out += Cat({",", json(name).dump(), ":", item.dump()});
    }
    return out + "}";
  }
  if (value.is_array()) {
    const std::size_t index = std::stoul(tokens[at]);
    out = "[";
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i > 0) out += ",";
      out += i == index ? Repeating(value[i], tokens, at + 1, key) : value[i].dump();
    }
    return out + "]";
  }
  out = "{";
  bool first = true;
  for (const auto& [name, item] : value.items()) {
    if (!first) out += ",";
    first = false;
    out += Cat({json(name).dump(), ":",
                name == tokens[at] ? Repeating(item, tokens, at + 1, key) : item.dump()});
  }
  return out + "}";
}

// The path to the first object nested in `value` (in an object member, or in an element of an
// array member), breadth first; empty when there is none.
std::vector<std::string> FirstNestedObject(const json& value) {
  for (const auto& [name, item] : value.items()) {
    if (item.is_object() && !item.empty()) return {name};
  }
  for (const auto& [name, item] : value.items()) {
    if (!item.is_array()) continue;
    for (std::size_t i = 0; i < item.size(); ++i) {
      if (item[i].is_object() && !item[i].empty()) return {name, std::to_string(i)};
    }
  }
  return {};
}

json::json_pointer PointerOf(const std::vector<std::string>& tokens) {
  json::json_pointer pointer;
  for (const std::string& token : tokens) pointer /= token;
  return pointer;
}

// `load` takes `valid`; repeating its first top-level name, or the first name of its first
// nested object, is InvalidArgument "<what>: duplicate key at <pointer>"; and the forms of
// any document (a repeated name at the top, and in an object inside an array) are refused too,
// before the loader looks at what the names mean.
void CheckLoader(const Loader& load, const std::string& what, const std::string& valid) {
  INFO(what);
  const absl::Status ok = load(valid);
  INFO(Message(ok));
  REQUIRE(ok.ok());
  const json doc = json::parse(valid);
  REQUIRE(doc.is_object());
  REQUIRE_FALSE(doc.empty());

  const std::string top = doc.begin().key();
  const absl::Status top_status = load(Repeating(doc, {}, 0, top));
  CHECK(top_status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(top_status) ==
        Cat({what, ": duplicate key at ", (json::json_pointer() / top).to_string()}));

  const std::vector<std::string> nested = FirstNestedObject(doc);
  if (!nested.empty()) {
    const std::string inner = doc.at(PointerOf(nested)).begin().key();
    const absl::Status status = load(Repeating(doc, nested, 0, inner));
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(Message(status) ==
          Cat({what, ": duplicate key at ", (PointerOf(nested) / inner).to_string()}));
  }

  CHECK(Message(load(R"({"a": 1, "a": 1})")) == Cat({what, ": duplicate key at /a"}));
  CHECK(Message(load(R"({"x": [{}, {"y": 1, "z": {}, "y": 2}]})")) ==
        Cat({what, ": duplicate key at /x/1/y"}));
}

template <typename Parse>
Loader Status(Parse parse) {
  return [parse](std::string_view text) -> absl::Status {
    auto result = parse(text);
    if constexpr (std::is_same_v<decltype(result), absl::Status>) {
      return result;
    } else {
      return result.status();
    }
  };
}

constexpr std::string_view kContext =
    R"({"actor": "a-17", "role": "handlaggare", "organisation": {"kind": "socialnamnd", "id": "0180"},
        "purpose": "handlaggning",
        "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": true, "client": "k-1"},
        "subject_client": "k-1", "time": "2026-11-28T10:00:00Z", "ethics_approval": null})";

constexpr std::string_view kSchema =
    R"({"format": "varsam-anonymize-schema/1", "fields": [
        {"name": "alder", "role": "quasi_identifier", "hierarchy": "age"},
        {"name": "insats", "role": "quasi_identifier", "hierarchy": {"csv": "insats.csv"}},
        {"name": "utfall", "role": "insensitive"}]})";

}  // namespace

TEST_CASE("strict json: a context naming its organisation twice is refused", "[json]") {
  // The organisation first as a private provider, then as the board: nlohmann-json alone keeps
  // the last, another parser the first.
  const std::string twice =
      R"({"actor": "a-17", "role": "handlaggare",
          "organisation": {"kind": "privat_utforare", "id": "0180"},
          "organisation": {"kind": "socialnamnd", "id": "0180"},
          "purpose": "handlaggning", "time": "2026-11-28T10:00:00Z"})";
  const auto context = access::ParseContext(twice);
  REQUIRE_FALSE(context.ok());
  CHECK(context.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(context.status()) == "context: duplicate key at /organisation");
  // Either organisation alone is a context.
  const json doc = json::parse(kContext);
  for (const char* kind : {"privat_utforare", "socialnamnd"}) {
    json one = doc;
    one["organisation"]["kind"] = kind;
    CHECK(access::ParseContext(one.dump()).ok());
  }
}

TEST_CASE("strict json: every loader refuses a repeated name, at the top and nested", "[json]") {
  const std::string schema(kSchema);
  CheckLoader(Status(access::ParseContext), "context", std::string(kContext));
  CheckLoader(Status(access::ParseResource), "resource",
              R"({"model_kind": "register_trained", "decider_role": "system",
                  "field_class": "trade_union", "lookup": "earlier_reports",
                  "report_about": "child", "feature_classes": ["trade_union"]})");
  CheckLoader(
      [](std::string_view text) {
        access::PolicySet set;
        return set.LoadHostPack(text);
      },
      "policy pack", ReadText(VARSAM_DATA_DIR "/policy/se-socialtjanst.json"));
  CheckLoader(Status([](std::string_view text) { return instruments::Instrument::Parse(text); }),
              "instrument definition", ReadText(VARSAM_DATA_DIR "/instruments/phq9.json"));
  CheckLoader(Status(instruments::ParseScoreRequest), "request",
              R"({"instrument": "phq9", "responses": [1, null, 3], "sex": "female", "age": 34,
                  "previous_total": 12.5, "language": "sv"})");
  CheckLoader(Status(instruments::ParseSettingValues), "settings",
              R"({"cutoff": 10, "weight": 0.5})");
  CheckLoader(Status(anonymize::ParseSchema), "schema", schema);
  CheckLoader(Status(anonymize::ParseRequest), "request",
              Cat({R"({"schema": )", schema,
                   R"(, "records": [{"alder": 34, "insats": "a", "utfall": "ok"}], "k": 1,
                      "hierarchies": {"insats.csv": "a;*\nb;*\n"}})"}));
  CheckLoader(Status(engine::ParseEngineOptions), "options",
              R"({"store": "/tmp/s", "policy_packs": [],
                  "register": {"key_epoch": 3, "age_level": 2, "period_level": 3}})");
  CheckLoader(Status(engine::ParseMeasurement), "measurement",
              R"({"client_ref": "k-1", "case_ref": "c-9", "case_kind": "utredning",
                  "instrument": "phq9", "session": 1, "date": "2026-11-28",
                  "responses": [1, 2, null], "total": 12, "band": "moderate", "flags": []})");
  CheckLoader(Status(engine::ParseRegisterExportOptions), "options",
              R"({"k": 11, "l": 3, "filter": {"case_kind": "insats", "key_epoch": 2}})");
  CheckLoader(Status([](std::string_view text) { return submission::ParseEpisodes(text, "s"); }),
              "s",
              R"({"client_ref": "k-1", "age": 34, "start": "2026-01-05",
                  "measurements": [{"instrument": "phq9", "date": "2026-01-05", "total": 12}]})");
  CheckLoader(Status(models::ParseModelSpec), "spec", std::string(varsam_test::kSpecJson));
  CheckLoader(Status(models::ParseModelFile), "model",
              ReadText(VARSAM_TEST_DATA_DIR "/model-evidence-example.json"));
  CheckLoader(Status(outcomes::ParseEtrSpec), "spec",
              R"({"instrument": "ors", "boundary_percentile": 25, "max_session": 12.0})");
  CheckLoader(Status(outcomes::ParseBenchmarkSpec), "spec", R"({"instrument": "phq9"})");
  CheckLoader(Status(insights::ParseQuery), "query",
              R"({"measure": {"kind": "mean", "of": "change", "instrument": "ors"},
                  "dimensions": ["intervention", "age_band"],
                  "filters": {"case_kind": ["insats"], "region": ["01", ""]},
                  "margins": true,
                  "protection": {"threshold": 3, "dominance": {"n": 2, "k": 90}}})");
}

TEST_CASE("strict json: loaders without a plain document of their own refuse repeats too",
          "[json]") {
  // A case for a model, a line of case lines and an ETR model file: the forms any document has.
  const auto model =
      models::ParseModelFile(ReadText(VARSAM_TEST_DATA_DIR "/model-evidence-example.json"));
  REQUIRE(model.ok());
  CHECK(models::ParseCaseFeatures(*model, "{}").ok());
  CHECK(
      Message(models::ParseCaseFeatures(*model, R"({"a": 1, "b": {"c": [], "c": []}})").status()) ==
      "case: duplicate key at /b/c");
  CHECK(Message(outcomes::ParseEtrModel(R"({"a": {"b": 1}, "a": {"b": 1}})").status()) ==
        "etr: duplicate key at /a");
  const auto analyst = access::ParseContext(kContext);
  REQUIRE(analyst.ok());
  CHECK(Message(submission::ParseCaseLines("\n{\"case\": {\"ref\": 1, \"ref\": 1}}\n", *analyst)
                    .status()) == "line 2: the line: duplicate key at /case/ref");
}

TEST_CASE("strict json: one name in different objects is not a repeat", "[json]") {
  const auto value = ParseJson(
      R"({"id": 0, "a": {"id": 1, "b": {"id": 2}}, "c": [{"id": 3}, {"id": 4}, [{"id": 5}]],
          "d": {"id": 6}})",
      "x");
  REQUIRE(value.ok());
  CHECK((*value)["id"] == 0);
  CHECK((*value)["a"]["id"] == 1);
  CHECK((*value)["a"]["b"]["id"] == 2);
  CHECK((*value)["c"][0]["id"] == 3);
  CHECK((*value)["c"][1]["id"] == 4);
  CHECK((*value)["c"][2][0]["id"] == 5);
  CHECK((*value)["d"]["id"] == 6);
  // The same as nlohmann-json's own parser builds when no name repeats.
  CHECK(*value == json::parse(R"({"id": 0, "a": {"id": 1, "b": {"id": 2}},
                                  "c": [{"id": 3}, {"id": 4}, [{"id": 5}]], "d": {"id": 6}})"));
  // Values that repeat are no concern, nor a name repeated as a value.
  CHECK(ParseJson(R"({"a": "a", "b": "a", "c": ["a", "a"]})", "x").ok());
  // Names that differ only in case or in Unicode escapes: "\u0061" is "a".
  CHECK(ParseJson(R"({"a": 1, "A": 2})", "x").ok());
  CHECK(Message(ParseJson(R"({"a": 1, "\u0061": 2})", "x").status()) == "x: duplicate key at /a");
}

TEST_CASE("strict json: the pointer escapes '~' and '/' and shows indices", "[json]") {
  const auto status = ParseJson(R"({"a/b": [0, {"m~n": {"x.y": 1, "x.y": 2}}]})", "x").status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Message(status) == Cat({"x: duplicate key at ",
                                (json::json_pointer() / "a/b" / 1 / "m~n" / "x.y").to_string()}));
  CHECK(Message(status) == "x: duplicate key at /a~1b/1/m~0n/x.y");
  CHECK(Message(ParseJson(R"([[], [0, 1, {"_~/": 1, "_~/": 2}]])", "x").status()) ==
        "x: duplicate key at /1/2/_~0~1");
  CHECK(Message(ParseJson(R"({"": {}, "": {}})", "x").status()) ==
        "x: duplicate key (where not shown: a key on its path is not a field name)");
}

TEST_CASE("strict json: a key that is not a field name is never shown", "[json]") {
  // Free-form maps (the anonymisation request's hierarchy files, an instrument's settings) take
  // any key; one could be personal data, so the path stops before it.
  const std::string request = Cat({R"({"schema": )", std::string(kSchema),
                                   R"(, "records": [], "k": 1,
              "hierarchies": {"Anna Svensson.csv": "a;*\n", "Anna Svensson.csv": "b;*\n"}})"});
  const std::string message = Message(anonymize::ParseRequest(request).status());
  CHECK(message ==
        "request: duplicate key below /hierarchies (the rest of the path not shown: a key there "
        "is not a field name)");
  CHECK(message.find("Anna") == std::string::npos);
  CHECK(Message(ParseJson(R"({"198001022386": {"a": 1, "a": 2}})", "x").status()) ==
        "x: duplicate key (where not shown: a key on its path is not a field name)");
  CHECK(Message(instruments::ParseSettingValues(R"({"Åsa": 1, "Åsa": 2})").status()) ==
        "settings: duplicate key (where not shown: a key on its path is not a field name)");
  // Values are never shown either.
  const std::string values =
      Message(ParseJson(R"({"namn": "Tolvan Tolvansson", "namn": "Tolvan"})", "x").status());
  CHECK(values == "x: duplicate key at /namn");
}

TEST_CASE("strict json: deep nesting costs no call stack", "[json]") {
  constexpr std::size_t kDepth = 100000;
  std::string arrays(kDepth, '[');
  arrays.append(kDepth, ']');
  const auto deep = ParseJson(arrays, "x");
  REQUIRE(deep.ok());
  const json* inner = &*deep;
  std::size_t depth = 1;
  while (!inner->empty()) {
    inner = &(*inner)[0];
    ++depth;
  }
  CHECK(depth == kDepth);

  std::string objects;
  for (std::size_t i = 0; i < kDepth; ++i) objects += R"({"a":)";
  objects += R"({"b": 1, "b": 2})";
  objects.append(kDepth, '}');
  const std::string message = Message(ParseJson(objects, "x").status());
  std::string pointer;
  for (std::size_t i = 0; i < kDepth; ++i) pointer += "/a";
  CHECK(message == Cat({"x: duplicate key at ", pointer, "/b"}));
}

TEST_CASE("strict json: bad JSON still names the byte, whatever comes first", "[json]") {
  std::size_t byte = 0;
  try {
    const json parsed = json::parse(R"({"a": 1, "b": ])");
    FAIL("not JSON, yet parsed: " << parsed.dump());
  } catch (const json::parse_error& e) {
    byte = e.byte;
  }
  REQUIRE(byte > 0);
  CHECK(Message(ParseJson(R"({"a": 1, "b": ])", "x").status()) ==
        Cat({"x: not valid JSON at byte ", std::to_string(byte)}));
  // A repeat before the error is found first: the document is refused either way.
  CHECK(Message(ParseJson(R"({"a": 1, "a": ])", "x").status()) == "x: duplicate key at /a");
  CHECK(ParseJson("", "x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseJson("1 2", "x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(*ParseJson(" 1.5 ", "x") == 1.5);
  CHECK(*ParseJson(R"("s")", "x") == "s");
}
