// The anonymisation pipeline's record schema (include/varsam/anonymize.h).

#include "varsam/anonymize.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "varsam/core.h"

namespace {

using namespace varsam::anonymize;
using varsam::Cat;

constexpr const char* kExample = R"({"format": "varsam-anonymize-schema/1",
  "fields": [
    {"name": "personnummer", "role": "direct_identifier", "pseudonym": "personnummer"},
    {"name": "namn", "role": "direct_identifier", "person_name": true},
    {"name": "telefon", "role": "direct_identifier"},
    {"name": "alder", "role": "quasi_identifier", "hierarchy": "age", "max_level": 2},
    {"name": "postnummer", "role": "quasi_identifier", "hierarchy": "geography",
     "min_level": 1},
    {"name": "insats", "role": "quasi_identifier", "hierarchy": {"csv": "insats.csv"}},
    {"name": "utfall", "role": "sensitive"},
    {"name": "phq9_total", "role": "insensitive"},
    {"name": "anteckning", "role": "free_text"},
    {"name": "fackforening", "role": "forbidden"}]})";

// A one-field schema around `field` (a JSON object's text).
std::string OneField(const std::string& field) {
  return Cat({R"({"format": "varsam-anonymize-schema/1", "fields": [)", field, "]}"});
}

std::string ErrorOf(const std::string& json) {
  const auto parsed = ParseSchema(json);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST_CASE("anonymize: the schema's JSON form gives every field its role and options",
          "[anonymize]") {
  const auto schema = ParseSchema(kExample);
  REQUIRE(schema.ok());
  REQUIRE(schema->fields.size() == 10);
  const FieldSpec& pnr = schema->fields[0];
  CHECK(pnr.role == FieldRole::kDirectIdentifier);
  CHECK(pnr.pseudonym == std::optional<std::string>("personnummer"));
  CHECK_FALSE(pnr.is_name);
  CHECK(schema->fields[1].is_name);
  CHECK_FALSE(schema->fields[1].pseudonym.has_value());  // dropped
  CHECK_FALSE(schema->fields[2].pseudonym.has_value());
  const FieldSpec* age = schema->Find("alder");
  REQUIRE(age != nullptr);
  CHECK(age->role == FieldRole::kQuasiIdentifier);
  CHECK(age->hierarchy == "age");
  CHECK(age->min_level == 0);
  CHECK(age->max_level == std::optional<int>(2));
  CHECK(schema->Find("postnummer")->min_level == 1);
  CHECK_FALSE(schema->Find("postnummer")->max_level.has_value());
  CHECK(schema->Find("insats")->hierarchy == "csv");
  CHECK(schema->Find("insats")->hierarchy_file == "insats.csv");
  CHECK(schema->Find("utfall")->role == FieldRole::kSensitive);
  CHECK(schema->Find("phq9_total")->role == FieldRole::kInsensitive);
  CHECK(schema->Find("anteckning")->role == FieldRole::kFreeText);
  CHECK(schema->Find("fackforening")->role == FieldRole::kForbidden);
  CHECK(schema->Find("saknas") == nullptr);
  CHECK(schema->WithRole(FieldRole::kQuasiIdentifier).size() == 3);
  CHECK(schema->WithRole(FieldRole::kDirectIdentifier).size() == 3);
  for (const auto role :
       {FieldRole::kDirectIdentifier, FieldRole::kQuasiIdentifier, FieldRole::kSensitive,
        FieldRole::kInsensitive, FieldRole::kFreeText, FieldRole::kForbidden}) {
    CHECK(ParseFieldRole(Name(role)) == role);
  }
  CHECK_FALSE(ParseFieldRole("identifier").has_value());
}

TEST_CASE("anonymize: the schema loader refuses what it does not know, naming the field",
          "[anonymize]") {
  CHECK(ErrorOf("[]").find("schema") != std::string::npos);
  CHECK(ErrorOf(R"({"fields": []})").find("format") != std::string::npos);
  CHECK(ErrorOf(R"({"format": "varsam-anonymize-schema/2", "fields": []})").find("format") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"format": "varsam-anonymize-schema/1", "fields": []})").find("non-empty") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"format": "varsam-anonymize-schema/1", "fields": [], "extra": 1})")
            .find("unknown key 'extra'") != std::string::npos);
  // Keys that are not field names are not echoed.
  const std::string odd = ErrorOf(R"({"format": "varsam-anonymize-schema/1", "fields": [],
                                      "18900101-9802": 1})");  // an official test number as a key
  CHECK(odd.find("9802") == std::string::npos);
  CHECK(odd.find("not shown") != std::string::npos);

  struct Case {
    std::string field;
    std::string expected;  // a part of the message
  };
  const std::vector<Case> cases = {
      {R"({"role": "sensitive"})", "field 1: needs a \"name\""},
      {R"({"name": "", "role": "sensitive"})", "1..128 bytes"},
      {R"({"name": "x"})", "field 1 'x': needs a \"role\""},
      {R"({"name": "x", "role": "identifier"})", "role must be"},
      {R"({"name": "x", "role": "sensitive", "hierarchy": "age"})",
       "key 'hierarchy' does not belong to role sensitive"},
      {R"({"name": "x", "role": "direct_identifier", "max_level": 1})",
       "key 'max_level' does not belong to role direct_identifier"},
      {R"({"name": "x", "role": "quasi_identifier", "pseudonym": "a"})",
       "key 'pseudonym' does not belong"},
      {R"({"name": "x", "role": "quasi_identifier"})", "needs a \"hierarchy\""},
      {R"({"name": "x", "role": "quasi_identifier", "hierarchy": "postcode"})",
       "hierarchy must be"},
      {R"({"name": "x", "role": "quasi_identifier", "hierarchy": {"csv": ""}})",
       "needs a file name"},
      {R"({"name": "x", "role": "quasi_identifier", "hierarchy": {"file": "a.csv"}})",
       "unknown key 'file'"},
      {R"({"name": "x", "role": "quasi_identifier", "hierarchy": "age", "max_level": 16})",
       "max_level must be 0..15"},
      {R"({"name": "x", "role": "quasi_identifier", "hierarchy": "age", "min_level": -1})",
       "min_level must be 0..15"},
      {R"({"name": "x", "role": "quasi_identifier", "hierarchy": "age", "min_level": 1.5})",
       "min_level must be a whole number"},
      {R"({"name": "x", "role": "quasi_identifier", "hierarchy": "age", "min_level": 3,
          "max_level": 2})",
       "min_level is above max_level"},
      {R"({"name": "x", "role": "direct_identifier", "pseudonym": "Personnummer"})",
       "pseudonym must be"},
      {R"({"name": "x", "role": "direct_identifier", "person_name": "yes"})",
       "person_name must be true or false"},
  };
  for (const Case& c : cases) {
    INFO(c.field);
    const std::string message = ErrorOf(OneField(c.field));
    INFO(message);
    CHECK(message.find(c.expected) != std::string::npos);
  }
  CHECK(ErrorOf(OneField(R"({"name": "x", "role": "sensitive"}, {"name": "y", "role": "free_text"},
                            {"name": "x", "role": "insensitive"})"))
            .find("field 3 'x': the name is used twice") != std::string::npos);
}
}  // namespace
