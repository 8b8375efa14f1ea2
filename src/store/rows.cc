// What the two store backends say once: the vocabulary columns and their CHECK conditions, the
// journal's codecs and the row readers (rows.h).

#include "rows.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/core.h"

namespace varsam::store::internal {
namespace {

// Every vocabulary column of every part, and the list each takes (varsam/store.h).
constexpr VocabularyColumn kVocabularyColumns[] = {
    {Part::kJournal, "measurements", "case_kind", kCaseKinds, false, Extension::kClosed,
     "must be one of the case kinds"},
    {Part::kRegister, "episodes", "sex", kSexes, true, Extension::kClosed,
     "must be female, male or empty"},
    {Part::kRegister, "episodes", "region", kCountyCodes, true, Extension::kClosed,
     "must be an SCB county code or empty"},
    {Part::kRegister, "episodes", "case_kind", kCaseKinds, false, Extension::kClosed,
     "must be one of the case kinds"},
    {Part::kRegister, "episodes", "intervention", kDefaultInterventions, true,
     Extension::kInterventions, "must be one of the register's interventions"},
    {Part::kRegister, "episodes", "outcome", kOutcomes, true, Extension::kClosed,
     "must be one of the outcomes or empty"},
    {Part::kRegister, "measurements", "instrument", kDefaultInstruments, false,
     Extension::kInstruments, "must be one of the register's instruments"},
    {Part::kRegister, "measurements", "band", kDefaultBands, true, Extension::kBands,
     "must be one of the register's band ids or empty"},
    {Part::kRegister, "models", "kind", kModelKinds, false, Extension::kClosed,
     "must be one of the model kinds"},
};

// The register's text columns of a fixed form.
constexpr FormColumn kFormColumns[] = {
    {Part::kRegister, "episodes", "pseudonym", Form::kPseudonym, false},
    {Part::kRegister, "episodes", "age_band", Form::kAgeBand, false},
    {Part::kRegister, "episodes", "start_period", Form::kPeriod, false},
    {Part::kRegister, "episodes", "end_period", Form::kPeriod, true},
    {Part::kRegister, "measurements", "pseudonym", Form::kPseudonym, false},
    {Part::kRegister, "measurements", "period", Form::kPeriod, false},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }
bool IsBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_';
}
bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// `value` as an SQL string literal (the lists are constants; quotes are doubled all the same).
std::string Quote(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

// The code form (IsCode) of a non-empty value.
std::string CodeCheck(std::string_view column, Dialect dialect) {
  const std::string max = std::to_string(kMaxCodeLength);
  if (dialect == Dialect::kPostgres) {
    return Cat({"length(", column, ") <= ", max, " AND ", column, " ~ '^[a-z][a-z0-9_-]*$'"});
  }
  return Cat({"length(", column, ") BETWEEN 1 AND ", max, " AND ", column,
              " GLOB '[a-z]*' AND NOT ", column, " GLOB '*[^a-z0-9_-]*'"});
}

std::string ListCheck(const VocabularyColumn& c, Dialect dialect) {
  std::vector<std::string_view> values;
  if (c.empty) values.push_back("");
  values.insert(values.end(), c.values.begin(), c.values.end());
  std::string out;
  if (dialect == Dialect::kPostgres) {
    out = Cat({c.column, " IN ("});
    for (size_t i = 0; i < values.size(); ++i) {
      out.append(i == 0 ? "" : ", ").append(Quote(values[i]));
    }
    return out.append(")");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    out.append(i == 0 ? "" : " OR ").append(c.column).append(" = ").append(Quote(values[i]));
  }
  return out;
}

template <typename T>
absl::StatusOr<T> Required(std::optional<T> value, Part part, std::string_view table,
                           std::string_view column) {
  if (!value) return CorruptRow(part, table, column);
  return *std::move(value);
}

absl::StatusOr<Date> ReadDate(const Cells& cells, int column, Part part, std::string_view table,
                              std::string_view name) {
  absl::StatusOr<Date> date = ParseIsoDate(cells.Text(column), name);
  if (!date.ok()) return CorruptRow(part, table, name);
  return *date;
}

// A nullable double: nullopt for NULL, CorruptRow for a cell that is not a number.
absl::StatusOr<std::optional<double>> ReadTotal(const Cells& cells, int column, Part part,
                                                std::string_view table) {
  if (cells.IsNull(column)) return std::optional<double>();
  std::optional<double> total = cells.Double(column);
  if (!total) return CorruptRow(part, table, "total");
  return total;
}

absl::StatusOr<std::vector<double>> ParseResponses(std::string_view text) {
  absl::StatusOr<nlohmann::json> parsed = ParseJson(text, "responses");
  if (!parsed.ok() || !parsed->is_array()) {
    return CorruptRow(Part::kJournal, "measurements", "responses");
  }
  std::vector<double> out;
  out.reserve(parsed->size());
  for (const nlohmann::json& v : *parsed) {
    if (v.is_null()) {
      out.push_back(std::nan(""));
    } else if (v.is_number()) {
      out.push_back(v.get<double>());
    } else {
      return CorruptRow(Part::kJournal, "measurements", "responses");
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseFlags(std::string_view text) {
  absl::StatusOr<nlohmann::json> parsed = ParseJson(text, "flags");
  if (!parsed.ok() || !parsed->is_array()) {
    return CorruptRow(Part::kJournal, "measurements", "flags");
  }
  std::vector<std::string> out;
  out.reserve(parsed->size());
  for (const nlohmann::json& v : *parsed) {
    if (!v.is_string()) return CorruptRow(Part::kJournal, "measurements", "flags");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

// ---- Vocabulary columns -----------------------------------------------------------------------

std::span<const VocabularyColumn> VocabularyColumns() { return kVocabularyColumns; }

const VocabularyColumn& VocabularyColumnOf(Part part, std::string_view table,
                                           std::string_view column) {
  for (const VocabularyColumn& c : kVocabularyColumns) {
    if (c.part == part && c.table == table && c.column == column) return c;
  }
  std::abort();  // a column missing from kVocabularyColumns: a programming error
}

bool IsCode(std::string_view value) {
  if (value.empty() || value.size() > kMaxCodeLength || value[0] < 'a' || value[0] > 'z') {
    return false;
  }
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return IsLowerOrDigit(c) || c == '_' || c == '-'; });
}

bool InVocabulary(const VocabularyColumn& column, std::string_view value,
                  const RegisterVocabulary& vocabulary) {
  if (value.empty()) return column.empty;
  const auto in = [value](const auto& list) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  switch (column.extension) {
    case Extension::kClosed: return in(column.values);
    case Extension::kInstruments: return in(vocabulary.instruments);
    case Extension::kBands: return in(vocabulary.bands);
    case Extension::kInterventions: return in(vocabulary.interventions);
  }
  return false;
}

std::string VocabularyCheck(const VocabularyColumn& column, Dialect dialect) {
  if (column.extension == Extension::kClosed) return ListCheck(column, dialect);
  std::string code = CodeCheck(column.column, dialect);
  if (!column.empty) return code;
  return Cat({column.column, " = '' OR (", code, ")"});
}

// ---- Form columns -----------------------------------------------------------------------------

std::span<const FormColumn> FormColumns() { return kFormColumns; }

bool HasForm(const FormColumn& column, std::string_view value) {
  if (value.empty()) return column.empty;
  switch (column.form) {
    case Form::kPseudonym:
      return value.size() == 46 && value.starts_with('p') && IsDigit(value[1]) && value[2] == '_' &&
             std::all_of(value.begin() + 3, value.end(), IsBase64Url);
    case Form::kAgeBand: {
      if (value.size() < 2 || value.size() > 7) return false;
      if (value.back() == '+') return AllDigits(value.substr(0, value.size() - 1));
      const size_t dash = value.find('-');
      return dash != std::string_view::npos && AllDigits(value.substr(0, dash)) &&
             AllDigits(value.substr(dash + 1));
    }
    case Form::kPeriod: {
      if (value.size() != 4 && value.size() != 7) return false;
      if (AllDigits(value)) return true;
      if (value.size() != 7 || !AllDigits(value.substr(0, 4)) || value[4] != '-') return false;
      const char a = value[5], b = value[6];
      return (a == 'Q' && b >= '1' && b <= '4') || (a == '0' && b >= '1' && b <= '9') ||
             (a == '1' && b >= '0' && b <= '2');
    }
  }
  return false;
}

std::string FormCheck(const FormColumn& column, Dialect dialect) {
  const std::string_view c = column.column;
  const bool pg = dialect == Dialect::kPostgres;
  std::string check;
  switch (column.form) {
    case Form::kPseudonym:
      check = pg ? Cat({"length(", c, ") = 46 AND ", c, " ~ '^p[0-9]_[A-Za-z0-9_-]*$'"})
                 : Cat({"length(", c, ") = 46 AND ", c, " GLOB 'p[0-9]_*' AND NOT substr(", c,
                        ", 4) GLOB '*[^A-Za-z0-9_-]*'"});
      break;
    case Form::kAgeBand:
      check = pg ? Cat({"length(", c, ") <= 7 AND ", c, " ~ '^[0-9]+(-[0-9]+|\\+)$'"})
                 : Cat({"length(", c, ") BETWEEN 2 AND 7 AND ((", c, " GLOB '[0-9]*+' AND NOT ",
                        "substr(", c, ", 1, length(", c, ") - 1) GLOB '*[^0-9]*') OR (", c,
                        " GLOB '[0-9]*-[0-9]*' AND NOT ", c, " GLOB '*-*-*' AND NOT replace(", c,
                        ", '-', '') GLOB '*[^0-9]*'))"});
      break;
    case Form::kPeriod:
      check =
          pg ? Cat({"length(", c, ") IN (4, 7) AND ", c, " ~ '^[0-9]+(-Q[1-4]|-0[1-9]|-1[0-2])?$'"})
             : Cat({"length(", c, ") IN (4, 7) AND (NOT ", c, " GLOB '*[^0-9]*' OR ", c,
                    " GLOB '[0-9][0-9][0-9][0-9]-Q[1-4]' OR ", c,
                    " GLOB '[0-9][0-9][0-9][0-9]-0[1-9]' OR ", c,
                    " GLOB '[0-9][0-9][0-9][0-9]-1[0-2]')"});
      break;
  }
  if (!column.empty) return check;
  return Cat({c, " = '' OR (", check, ")"});
}

// ---- The generated constraints ----------------------------------------------------------------

std::string ConstraintName(std::string_view table, std::string_view column) {
  return Cat({table, "_", column, "_check"});
}

std::span<const std::string_view> ConstrainedTables(int version) {
  static constexpr std::string_view kVersion2[] = {"measurements", "episodes"};
  static constexpr std::string_view kVersion4[] = {"models"};
  if (version == 2) return kVersion2;
  if (version == 4) return kVersion4;
  return {};
}

std::vector<GeneratedCheck> GeneratedChecks(Dialect dialect) {
  std::vector<GeneratedCheck> out;
  for (const VocabularyColumn& c : kVocabularyColumns) {
    out.push_back({c.part, c.table, c.column, ConstraintName(c.table, c.column),
                   VocabularyCheck(c, dialect)});
  }
  for (const FormColumn& c : kFormColumns) {
    out.push_back(
        {c.part, c.table, c.column, ConstraintName(c.table, c.column), FormCheck(c, dialect)});
  }
  return out;
}

// ---- Errors -----------------------------------------------------------------------------------

absl::Status CorruptRow(Part part, std::string_view table, std::string_view column) {
  return absl::DataLossError(
      Cat({"store: ", PartName(part), ": a row of ", table, " is corrupt (", column, ")"}));
}

// ---- Codecs -----------------------------------------------------------------------------------

std::string ResponsesJson(const std::vector<double>& responses) {
  nlohmann::json array = nlohmann::json::array();
  for (const double r : responses) {
    if (std::isnan(r)) {
      array.push_back(nullptr);
    } else {
      array.push_back(r);
    }
  }
  return DumpJson(array);
}

std::string FlagsJson(const std::vector<std::string>& flags) {
  nlohmann::json array = nlohmann::json::array();
  for (const std::string& f : flags) array.push_back(f);
  return DumpJson(array);
}

// ---- Reading rows -----------------------------------------------------------------------------

absl::Status ReadMeasurement(const Cells& cells, Measurement* m) {
  constexpr Part kPart = Part::kJournal;
  constexpr std::string_view kTable = "measurements";
  VARSAM_ASSIGN_OR_RETURN(m->id, Required(cells.Int(0), kPart, kTable, "id"));
  m->client_ref = cells.Text(1);
  m->case_ref = cells.Text(2);
  m->case_kind = cells.Text(3);
  m->instrument = cells.Text(4);
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t session,
                          Required(cells.Int(5), kPart, kTable, "session"));
  m->session = static_cast<int>(session);
  VARSAM_ASSIGN_OR_RETURN(m->date, ReadDate(cells, 6, kPart, kTable, "date"));
  VARSAM_ASSIGN_OR_RETURN(m->responses, ParseResponses(cells.Text(7)));
  VARSAM_ASSIGN_OR_RETURN(m->total, ReadTotal(cells, 8, kPart, kTable));
  m->band = cells.IsNull(9) ? std::nullopt : std::optional<std::string>(cells.Text(9));
  VARSAM_ASSIGN_OR_RETURN(m->flags, ParseFlags(cells.Text(10)));
  return absl::OkStatus();
}

absl::Status ReadSuggestion(const Cells& cells, int first, Suggestion* s) {
  s->id = cells.Text(first);
  s->client_ref = cells.Text(first + 1);
  s->case_ref = cells.Text(first + 2);
  s->kind = cells.Text(first + 3);
  VARSAM_ASSIGN_OR_RETURN(s->created,
                          ReadDate(cells, first + 4, Part::kJournal, "suggestions", "created"));
  s->content_json = cells.Text(first + 5);
  return absl::OkStatus();
}

absl::Status ReadModel(const Cells& cells, bool with_json, StoredModel* m) {
  m->id = cells.Text(0);
  m->sha256 = cells.Text(1);
  m->kind = cells.Text(2);
  m->title = cells.Text(3);
  m->created = cells.Text(4);
  m->model_json = with_json ? cells.Text(5) : "{}";
  if (!ValidateStoredModel(*m).ok()) return CorruptRow(Part::kRegister, "models", "(row)");
  if (!with_json) m->model_json.clear();
  return absl::OkStatus();
}

absl::Status ReadRelease(const Cells& cells, Release* r) {
  constexpr Part kPart = Part::kRegister;
  constexpr std::string_view kTable = "releases";
  r->id = cells.Text(0);
  r->organisation = cells.Text(1);
  r->purpose = cells.Text(2);
  r->period = cells.Text(3);
  r->created = cells.Text(4);
  r->query_json = cells.Text(5);
  VARSAM_ASSIGN_OR_RETURN(r->cells, Required(cells.Int(6), kPart, kTable, "cells"));
  VARSAM_ASSIGN_OR_RETURN(r->epsilon, Required(cells.Double(7), kPart, kTable, "epsilon"));
  if (!ValidateRelease(*r).ok()) return CorruptRow(kPart, kTable, "(row)");
  return absl::OkStatus();
}

absl::Status CheckReleaseBudget(const Release& release, const ReleaseBudget& budget,
                                std::int64_t spent_cells, double spent_epsilon) {
  // Both are 0 or more (ValidateRelease, ValidateReleaseBudget): the difference cannot overflow.
  if (spent_cells > budget.max_cells - release.cells) {
    return absl::ResourceExhaustedError(
        "release: the cell budget of the organisation's period would be exceeded (nothing "
        "written)");
  }
  if (spent_epsilon + release.epsilon > budget.max_epsilon * (1 + kEpsilonBudgetSlack)) {
    return absl::ResourceExhaustedError(
        "release: the epsilon budget of the organisation's purpose and period would be exceeded "
        "(nothing written)");
  }
  return absl::OkStatus();
}

absl::Status ReadDecision(const Cells& cells, int first, Decision* d) {
  VARSAM_ASSIGN_OR_RETURN(d->id, Required(cells.Int(first), Part::kJournal, "decisions", "id"));
  d->suggestion_id = cells.Text(first + 1);
  d->decider = cells.Text(first + 2);
  d->decider_role = cells.Text(first + 3);
  d->decision = cells.Text(first + 4);
  d->rationale = cells.Text(first + 5);
  VARSAM_ASSIGN_OR_RETURN(d->date, ReadDate(cells, first + 6, Part::kJournal, "decisions", "date"));
  return absl::OkStatus();
}

namespace {

// The columns a register row starts with (pseudonym, key_epoch) and its record key.
absl::Status ReadRegisterKeys(const Cells& cells, std::string_view table, int key_column,
                              std::string* pseudonym, std::int32_t* key_epoch,
                              std::uint64_t* record_key) {
  *pseudonym = cells.Text(0);
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t epoch,
                          Required(cells.Int(1), Part::kRegister, table, "key_epoch"));
  *key_epoch = static_cast<std::int32_t>(epoch);
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t key,
                          Required(cells.Int(key_column), Part::kRegister, table, "record_key"));
  *record_key = KeyFromColumn(key);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadEpisode(const Cells& cells, EpisodeRow* e) {
  VARSAM_RETURN_IF_ERROR(
      ReadRegisterKeys(cells, "episodes", 10, &e->pseudonym, &e->key_epoch, &e->record_key));
  e->age_band = cells.Text(2);
  e->sex = cells.Text(3);
  e->region = cells.Text(4);
  e->case_kind = cells.Text(5);
  e->intervention = cells.Text(6);
  e->start_period = cells.Text(7);
  e->end_period = cells.Text(8);
  e->outcome = cells.Text(9);
  return absl::OkStatus();
}

absl::Status ReadRegisterMeasurement(const Cells& cells, RegisterMeasurementRow* m) {
  constexpr std::string_view kTable = "measurements";
  VARSAM_RETURN_IF_ERROR(
      ReadRegisterKeys(cells, kTable, 7, &m->pseudonym, &m->key_epoch, &m->record_key));
  m->instrument = cells.Text(2);
  VARSAM_ASSIGN_OR_RETURN(const std::int64_t session,
                          Required(cells.Int(3), Part::kRegister, kTable, "session"));
  m->session = static_cast<int>(session);
  m->period = cells.Text(4);
  VARSAM_ASSIGN_OR_RETURN(m->total, ReadTotal(cells, 5, Part::kRegister, kTable));
  m->band = cells.Text(6);
  return absl::OkStatus();
}

}  // namespace varsam::store::internal
