// Probes for the columns whose constraints src/store/rows.h generates (the vocabulary columns
// and the form columns), shared by the SQLite cases in store_test.cc and the PostgreSQL cases in
// store_postgres_test.cc: values to try in every such column, what the tables of rows.h say each
// column takes, what the library's field checks take, and an INSERT that puts one value into
// one column of an otherwise good row, written past varsam, so that the database's own CHECK
// constraint is what decides.
//
// The identity number is one of Skatteverket's official test numbers
// (data/skatteverket-testpersonnummer.txt).

#ifndef VARSAM_TESTS_STORE_VOCABULARY_PROBE_H_
#define VARSAM_TESTS_STORE_VOCABULARY_PROBE_H_

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rows.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::testing {

using store::internal::Dialect;
using store::internal::FormColumn;
using store::internal::VocabularyColumn;

// Every value of every vocabulary, and values none of them holds: empty, upper case, a name, an
// identity number, county codes no longer in use, codes with a space or a non-ASCII letter, a
// code one character too long, and codes no vocabulary lists.
inline std::vector<std::string> VocabularyProbes() {
  std::set<std::string> probes = {"",
                                  "INSATS",
                                  "Female",
                                  "Anna Andersson",
                                  "189001019802",
                                  "02",
                                  "11",
                                  "1",
                                  "99",
                                  "cured",
                                  "psyko terapi",
                                  "v\xC3\xA5rd",
                                  "wellbeing-3",
                                  "-annat",
                                  std::string(64, 'a'),
                                  std::string(65, 'a')};
  for (const VocabularyColumn& c : store::internal::VocabularyColumns()) {
    probes.insert(c.values.begin(), c.values.end());
  }
  return {probes.begin(), probes.end()};
}

// Values to try in the form columns: each form's good values and near misses, an identity
// number and a name.
inline std::vector<std::string> FormProbes() {
  const std::string base64url_43 = Cat({std::string(21, 'A'), "z9-_", std::string(18, 'b')});
  return {"",
          Cat({"p1_", base64url_43}),
          Cat({"p0_", std::string(43, '_')}),
          Cat({"p1_", std::string(42, 'A')}),
          Cat({"p1_", std::string(42, 'A'), "!"}),
          Cat({"P1_", base64url_43}),
          Cat({"pa_", base64url_43}),
          Cat({"p1-", base64url_43}),
          "0-5",
          "18-24",
          "65+",
          "1234+",
          "100-150",
          "1234-56",
          "1+",
          "+",
          "1-",
          "-1",
          "1+2",
          "1--2",
          "1-2-3",
          "12345678",
          "2026",
          "2026-Q3",
          "2026-Q5",
          "2026-Q0",
          "2026-01",
          "2026-11",
          "2026-12",
          "2026-13",
          "2026-00",
          "2026001",
          "20261",
          "2026-1",
          "2026/11",
          "189001019802",
          "Anna Andersson"};
}

// What kFormColumns says `column` holds: what both databases must take.
inline bool TableAccepts(const FormColumn& column, std::string_view value) {
  return store::internal::HasForm(column, value);
}

// What the vocabulary table says `column` holds, and so what its database must accept: for an
// extensible column, any code (a host may add one).
inline bool TableAccepts(const VocabularyColumn& column, std::string_view value) {
  if (value.empty()) return column.empty;
  if (column.extension != store::internal::Extension::kClosed) {
    return store::internal::IsCode(value);
  }
  return std::find(column.values.begin(), column.values.end(), value) != column.values.end();
}

// Whether the library's field checks (ValidateMeasurement, ValidateEpisode,
// ValidateRegisterMeasurement, ValidateStoredModel) take `value` in `column` of an otherwise good
// record, with a host vocabulary that adds every probe to the extensible lists.
template <typename Column>
bool LibraryAccepts(const Column& column, const std::string& value) {
  store::RegisterVocabulary host = store::RegisterVocabulary::Default();
  for (const std::string& probe : VocabularyProbes()) {
    host.instruments.push_back(probe);
    host.bands.push_back(probe);
    host.interventions.push_back(probe);
  }
  if (column.part == store::Part::kJournal) {
    const store::Measurement m{.id = 0,
                               .client_ref = "client-1",
                               .case_ref = "case-1",
                               .case_kind = value,
                               .instrument = "phq9",
                               .session = 1,
                               .date = Date(2026, 3, 1),
                               .responses = {},
                               .total = std::nullopt,
                               .band = std::nullopt,
                               .flags = {}};
    return store::ValidateMeasurement(m).ok();
  }
  if (column.table == "models") {
    const store::StoredModel m{.id = std::string(32, 'c'),
                               .sha256 = std::string(64, 'd'),
                               .kind = column.column == "kind" ? value : "register_trained",
                               .title = "Probe",
                               .created = "2026-07-01T00:00:00Z",
                               .model_json = "{}"};
    return store::ValidateStoredModel(m).ok();
  }
  const std::string pseudonym = Cat({"p1_", std::string(43, 'A')});
  if (column.table == "episodes") {
    store::EpisodeRow e{.pseudonym = pseudonym,
                        .key_epoch = 1,
                        .age_band = "25-34",
                        .sex = "female",
                        .region = "01",
                        .case_kind = "insats",
                        .intervention = "",
                        .start_period = "2026-Q1",
                        .end_period = "",
                        .outcome = "",
                        .record_key = 7};
    const std::pair<std::string_view, std::string*> fields[] = {{"pseudonym", &e.pseudonym},
                                                                {"age_band", &e.age_band},
                                                                {"sex", &e.sex},
                                                                {"region", &e.region},
                                                                {"case_kind", &e.case_kind},
                                                                {"intervention", &e.intervention},
                                                                {"start_period", &e.start_period},
                                                                {"end_period", &e.end_period},
                                                                {"outcome", &e.outcome}};
    for (const auto& [name, field] : fields) {
      if (name == column.column) *field = value;
    }
    return store::ValidateEpisode(e, host).ok();
  }
  const auto given = [&](std::string_view name, std::string good) {
    return column.column == name ? value : good;
  };
  const store::RegisterMeasurementRow m{.pseudonym = given("pseudonym", pseudonym),
                                        .key_epoch = 1,
                                        .instrument = given("instrument", "ors"),
                                        .session = 1,
                                        .period = given("period", "2026"),
                                        .total = std::nullopt,
                                        .band = given("band", ""),
                                        .record_key = 7};
  return store::ValidateRegisterMeasurement(m, host).ok();
}

// `value` as an SQL string literal.
inline std::string SqlText(std::string_view value) {
  std::string out = "'";
  for (const char c : value) out.append(c == '\'' ? "''" : std::string(1, c));
  return out.append("'");
}

// An INSERT of one good row into `column`'s table with `value` in that column; `schema` is
// prefixed to the table ("" for SQLite, "varsam_register." for PostgreSQL).
template <typename Column>
std::string ConstrainedInsert(const Column& column, std::string_view schema,
                              const std::string& value) {
  std::vector<std::pair<std::string_view, std::string>> row;
  if (column.part == store::Part::kJournal) {
    row = {{"client_ref", "'c'"},    {"case_ref", "'k'"}, {"case_kind", "'insats'"},
           {"instrument", "'phq9'"}, {"session", "1"},    {"date", "'2026-03-01'"},
           {"responses", "'[]'"},    {"flags", "'[]'"}};
  } else if (column.table == "models") {
    row = {{"id", SqlText(std::string(32, 'c'))}, {"sha256", SqlText(std::string(64, 'd'))},
           {"kind", "'register_trained'"},        {"title", "'Probe'"},
           {"created", "'2026-07-01T00:00:00Z'"}, {"model_json", "'{}'"}};
  } else if (column.table == "episodes") {
    row = {{"pseudonym", SqlText(Cat({"p1_", std::string(43, 'A')}))},
           {"key_epoch", "1"},
           {"age_band", "'25-34'"},
           {"sex", "'female'"},
           {"region", "'01'"},
           {"case_kind", "'insats'"},
           {"intervention", "''"},
           {"start_period", "'2026'"},
           {"end_period", "''"},
           {"outcome", "''"},
           {"record_key", "7"}};
  } else {
    row = {{"pseudonym", SqlText(Cat({"p1_", std::string(43, 'A')}))},
           {"key_epoch", "1"},
           {"instrument", "'ors'"},
           {"session", "1"},
           {"period", "'2026'"},
           {"band", "''"},
           {"record_key", "7"}};
  }
  std::string names, values;
  for (const auto& [name, literal] : row) {
    names.append(names.empty() ? "" : ", ").append(name);
    values.append(values.empty() ? "" : ", ")
        .append(name == column.column ? SqlText(value) : literal);
  }
  return Cat({"INSERT INTO ", schema, column.table, " (", names, ") VALUES (", values, ")"});
}

}  // namespace varsam::testing

#endif  // VARSAM_TESTS_STORE_VOCABULARY_PROBE_H_
