// The register's field rules (varsam/store.h: ValidateEpisode, ValidateRegisterMeasurement):
// what keeps a direct identifier out of the sammanställningsregister whatever the backend.
// (That the stores apply them, and write nothing on a refusal, is in store_test.cc.)

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

#include "varsam/store.h"

namespace {

using namespace varsam::store;

// An official test personnummer (data/skatteverket-testpersonnummer.txt), never a real one.
constexpr char kTestNumber[] = "198001022386";

EpisodeRow GoodEpisode() {
  EpisodeRow row;
  row.pseudonym = "p1_" + std::string(43, 'A');
  row.key_epoch = 3;
  row.age_band = "25-34";
  row.sex = "female";
  row.region = "01";
  row.case_kind = "insats";
  row.intervention = "missbruk_oppenvard";
  row.start_period = "2026-Q1";
  row.end_period = "2026-11";
  row.outcome = "improved";
  row.record_key = 0x9e3779b97f4a7c15;
  return row;
}

RegisterMeasurementRow GoodMeasurement() {
  RegisterMeasurementRow row;
  row.pseudonym = "p1_" + std::string(42, 'z') + "-";
  row.key_epoch = 0;
  row.instrument = "ors";
  row.session = 4;
  row.period = "2026";
  row.total = 27.5;
  row.band = "non_clinical";
  row.record_key = 1;
  return row;
}

const RegisterVocabulary kVocabulary = RegisterVocabulary::Default();

std::string EpisodeError(const EpisodeRow& row) {
  const absl::Status status = ValidateEpisode(row, kVocabulary);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

std::string MeasurementError(const RegisterMeasurementRow& row) {
  const absl::Status status = ValidateRegisterMeasurement(row, kVocabulary);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

// Direct identifiers a careless caller might pass (synthetic people; the official test number).
const std::vector<std::string> kIdentifiers = {kTestNumber,      "800102-2386",
                                               "Anna Andersson", "anna.andersson@example.se",
                                               "070-1740605",    "Storgatan 12, 111 22 Stockholm",
                                               "K000123"};

}  // namespace

TEST_CASE("register: well-formed rows pass", "[store][register]") {
  CHECK(ValidateEpisode(GoodEpisode(), kVocabulary).ok());
  CHECK(ValidateRegisterMeasurement(GoodMeasurement(), kVocabulary).ok());
  EpisodeRow open = GoodEpisode();
  open.sex = open.region = open.intervention = open.end_period = open.outcome = "";
  open.age_band = "65+";
  CHECK(ValidateEpisode(open, kVocabulary).ok());
}

TEST_CASE("register: no direct identifier fits any episode text field", "[store][register]") {
  for (const std::string& identifier : kIdentifiers) {
    for (std::string EpisodeRow::*field :
         {&EpisodeRow::pseudonym, &EpisodeRow::age_band, &EpisodeRow::sex, &EpisodeRow::region,
          &EpisodeRow::case_kind, &EpisodeRow::intervention, &EpisodeRow::start_period,
          &EpisodeRow::end_period, &EpisodeRow::outcome}) {
      EpisodeRow row = GoodEpisode();
      row.*field = identifier;
      const std::string message = EpisodeError(row);
      CHECK(message.find(identifier) == std::string::npos);  // the value is never repeated
      CHECK(message.rfind("episode.", 0) == 0);
    }
  }
}

TEST_CASE("register: no direct identifier fits any measurement text field", "[store][register]") {
  for (const std::string& identifier : kIdentifiers) {
    for (std::string RegisterMeasurementRow::*field :
         {&RegisterMeasurementRow::pseudonym, &RegisterMeasurementRow::instrument,
          &RegisterMeasurementRow::period, &RegisterMeasurementRow::band}) {
      RegisterMeasurementRow row = GoodMeasurement();
      row.*field = identifier;
      const std::string message = MeasurementError(row);
      CHECK(message.find(identifier) == std::string::npos);
      CHECK(message.rfind("register measurement.", 0) == 0);
    }
  }
}

TEST_CASE("register: a pseudonym is p<digit>_ and 43 base64url characters", "[store][register]") {
  EpisodeRow row = GoodEpisode();
  row.pseudonym = "p1_" + std::string(42, 'A');
  CHECK_THAT(EpisodeError(row), Catch::Contains("episode.pseudonym"));
  row.pseudonym = "q1_" + std::string(43, 'A');
  CHECK_THAT(EpisodeError(row), Catch::Contains("episode.pseudonym"));
  row.pseudonym = "p1_" + std::string(42, 'A') + "+";
  CHECK_THAT(EpisodeError(row), Catch::Contains("episode.pseudonym"));
  // A pseudonym whose characters spell an identity number is refused by the second guard.
  row.pseudonym = "p1_" + std::string(31, 'A') + kTestNumber;
  CHECK_THAT(EpisodeError(row), Catch::Contains("holds an identity number"));
}

TEST_CASE("register: the identity-number guard reads numbers however they are written",
          "[store][register]") {
  // A host vocabulary can admit any intervention name; the second guard still refuses one that
  // holds an identity number written with a word processor's dash, a no-break space, a soft
  // hyphen or fullwidth digits.
  for (const std::string& value :
       {std::string("800102\u20132386"), std::string("800102\u00A02386"),
        std::string("8001\u00AD02-2386"), std::string("\uFF18\uFF10\uFF10\uFF11\uFF10\uFF12-2386"),
        std::string("80 01 02-23 86"), std::string("800102.2386")}) {
    INFO(value);
    RegisterVocabulary vocabulary = RegisterVocabulary::Default();
    vocabulary.interventions.push_back(value);
    EpisodeRow row = GoodEpisode();
    row.intervention = value;
    const absl::Status status = ValidateEpisode(row, vocabulary);
    REQUIRE_FALSE(status.ok());
    CHECK_THAT(std::string(status.message()), Catch::Contains("holds an identity number"));
    CHECK(std::string(status.message()).find(value) == std::string::npos);
  }
}

TEST_CASE("register: generalised attributes keep their patterns", "[store][register]") {
  const auto episode_with = [](auto change) {
    EpisodeRow row = GoodEpisode();
    change(row);
    return EpisodeError(row);
  };
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.age_band = "34"; }), Catch::Contains("age_band"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.age_band = "40-30"; }),
             Catch::Contains("age_band"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.age_band = "151+"; }), Catch::Contains("age_band"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.region = "02"; }), Catch::Contains("region"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.region = "0180"; }), Catch::Contains("region"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.case_kind = ""; }), Catch::Contains("case_kind"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.intervention = "psykoterapi"; }),
             Catch::Contains("intervention"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.start_period = "2026-13"; }),
             Catch::Contains("start_period"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.start_period = "2026-Q5"; }),
             Catch::Contains("start_period"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.start_period = "2026-11-28"; }),
             Catch::Contains("start_period"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.outcome = "cured"; }), Catch::Contains("outcome"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.record_key = 0; }), Catch::Contains("record_key"));
  CHECK_THAT(episode_with([](EpisodeRow& r) { r.key_epoch = -1; }), Catch::Contains("key_epoch"));
}

TEST_CASE("register: a host's own vocabulary extends the closed fields", "[store][register]") {
  EpisodeRow row = GoodEpisode();
  row.intervention = "psykoterapi";
  RegisterVocabulary vocabulary = RegisterVocabulary::Default();
  CHECK_FALSE(ValidateEpisode(row, vocabulary).ok());
  vocabulary.interventions.push_back("psykoterapi");
  CHECK(ValidateEpisode(row, vocabulary).ok());

  RegisterMeasurementRow measurement = GoodMeasurement();
  measurement.instrument = "wellbeing-3";
  measurement.band = "high";
  CHECK_THAT(MeasurementError(measurement), Catch::Contains("instrument"));
  vocabulary.instruments.push_back("wellbeing-3");
  CHECK(ValidateRegisterMeasurement(measurement, vocabulary).ok());
}

TEST_CASE("register: measurement totals are finite or absent", "[store][register]") {
  RegisterMeasurementRow row = GoodMeasurement();
  row.total = std::nullopt;
  CHECK(ValidateRegisterMeasurement(row, kVocabulary).ok());
  row.total = std::numeric_limits<double>::infinity();
  CHECK_THAT(MeasurementError(row), Catch::Contains("total"));
  row.total = 10;
  row.session = -1;
  CHECK_THAT(MeasurementError(row), Catch::Contains("session"));
}
