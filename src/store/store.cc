// What both backends share: opening by location, and the register's field checks that keep
// direct identifiers out of it (varsam/store.h).

#include "varsam/store.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "backends.h"
#include "varsam/core.h"
#include "varsam/ident.h"

namespace varsam::store {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

bool IsPostgresUri(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

absl::Status FieldError(std::string_view what, std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(Cat({what, ".", field, ": ", rule}));
}

template <typename List>
bool In(const List& list, std::string_view value) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

// "p" + one digit + "_" + 43 base64url characters: the keyed pseudonym of src/anonymize
// (HMAC-SHA-256, 32 bytes in base64url without padding).
bool IsPseudonym(std::string_view s) {
  if (s.size() != 46 || s[0] != 'p' || !IsDigit(s[1]) || s[2] != '_') return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_';
  });
}

// "18-24", "65+", "0-5": whole years 0..150.
bool IsAgeBand(std::string_view s) {
  const size_t dash = s.find('-');
  if (!s.empty() && s.back() == '+') {
    const std::string_view lo = s.substr(0, s.size() - 1);
    return AllDigits(lo) && lo.size() <= 3 && std::stoi(std::string(lo)) <= 150;
  }
  if (dash == std::string_view::npos) return false;
  const std::string_view lo = s.substr(0, dash), hi = s.substr(dash + 1);
  if (!AllDigits(lo) || !AllDigits(hi) || lo.size() > 3 || hi.size() > 3) return false;
  const int a = std::stoi(std::string(lo)), b = std::stoi(std::string(hi));
  return a <= b && b <= 150;
}

// "2026", "2026-Q3", "2026-11".
bool IsPeriod(std::string_view s) {
  if (s.size() < 4 || !AllDigits(s.substr(0, 4))) return false;
  if (s.size() == 4) return true;
  if (s.size() != 7 || s[4] != '-') return false;
  if (s[5] == 'Q') return s[6] >= '1' && s[6] <= '4';
  return AllDigits(s.substr(5)) && ((s[5] == '0' && s[6] >= '1') || (s[5] == '1' && s[6] <= '2'));
}

// SCB county codes (data: ../shared/data/se-geo/counties.csv; 21 counties).
constexpr std::string_view kCountyCodes[] = {"01", "03", "04", "05", "06", "07", "08",
                                             "09", "10", "12", "13", "14", "17", "18",
                                             "19", "20", "21", "22", "23", "24", "25"};

// No identity number anywhere in a text field, in any written form (a second guard behind the
// vocabularies and patterns).
absl::Status NoIdentityNumber(std::string_view what, std::string_view field,
                              std::string_view value) {
  bool found = false;
  ident::Scan(value, TodayInSweden(), [&](const ident::Match&) { found = true; });
  return found ? FieldError(what, field, "holds an identity number; the register takes none")
               : absl::OkStatus();
}

// "row N: <what.field: rule> (nothing written)": how a refused record of a batch is reported.
absl::Status RowError(size_t row, const absl::Status& status) {
  return absl::InvalidArgumentError(Cat(
      {"row ", std::to_string(row), ": ", std::string(status.message()), " (nothing written)"}));
}

// Text a column of either backend can hold: UTF-8 without NUL (PostgreSQL text cannot hold
// NUL); required ones not empty.
absl::Status CheckText(std::string_view what, std::string_view field, std::string_view value,
                       bool required) {
  if (required && value.empty()) return FieldError(what, field, "must not be empty");
  if (!IsValidUtf8(value)) return FieldError(what, field, "must be UTF-8");
  if (value.find('\0') != std::string_view::npos) {
    return FieldError(what, field, "must not contain NUL");
  }
  return absl::OkStatus();
}

bool StorableDate(Date d) { return d.year() >= 1 && d.year() <= 9999; }

}  // namespace

absl::Status ValidateMeasurement(const Measurement& m) {
  constexpr std::string_view kWhat = "measurement";
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "client_ref", m.client_ref, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "case_ref", m.case_ref, true));
  if (!In(kCaseKinds, m.case_kind)) {
    return FieldError(kWhat, "case_kind", "must be one of the case kinds");
  }
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "instrument", m.instrument, true));
  if (m.session < 0) return FieldError(kWhat, "session", "must be 0 or more");
  if (!StorableDate(m.date)) return FieldError(kWhat, "date", "must be in years 1..9999");
  for (const double r : m.responses) {
    if (std::isinf(r)) return FieldError(kWhat, "responses", "must be numbers or NaN (missing)");
  }
  if (m.total && !std::isfinite(*m.total)) {
    return FieldError(kWhat, "total", "must be a finite number or absent");
  }
  if (m.band) VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "band", *m.band, false));
  for (const std::string& flag : m.flags) {
    VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "flags", flag, true));
  }
  return absl::OkStatus();
}

absl::Status ValidateSuggestion(const Suggestion& x) {
  constexpr std::string_view kWhat = "suggestion";
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "id", x.id, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "client_ref", x.client_ref, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "case_ref", x.case_ref, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "kind", x.kind, true));
  if (!StorableDate(x.created)) return FieldError(kWhat, "created", "must be in years 1..9999");
  return CheckText(kWhat, "content_json", x.content_json, false);
}

absl::Status ValidateDecision(const Decision& d) {
  constexpr std::string_view kWhat = "decision";
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "suggestion_id", d.suggestion_id, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "decider", d.decider, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "decider_role", d.decider_role, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "decision", d.decision, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "rationale", d.rationale, false));
  if (!StorableDate(d.date)) return FieldError(kWhat, "date", "must be in years 1..9999");
  return absl::OkStatus();
}

std::string_view PartName(Part part) {
  switch (part) {
    case Part::kJournal: return "journal";
    case Part::kRegister: return "register";
    case Part::kAudit: return "audit";
  }
  return "journal";
}

RegisterVocabulary RegisterVocabulary::Default() {
  RegisterVocabulary v;
  v.instruments = {"soc13",   "soc29", "ors",  "cors", "srs",    "csrs", "audit",
                   "audit-c", "dudit", "phq9", "gad7", "core10", "k10"};
  // The band ids of the built-in instruments (contracts.md).
  v.bands = {"none",
             "mild",
             "moderate",
             "moderately_severe",
             "severe",
             "minimal",
             "low_risk",
             "hazardous",
             "harmful",
             "probable_dependence",
             "risky",
             "no_problem",
             "probable_problem",
             "clinical",
             "non_clinical",
             "low",
             "moderate_severe",
             "high",
             "very_high"};
  // Common kinds of intervention (insats) in Swedish social services; "annat" for the rest.
  v.interventions = {"missbruk_oppenvard",
                     "missbruk_institution",
                     "ekonomiskt_bistand",
                     "familjebehandling",
                     "kontaktperson",
                     "boendestod",
                     "placering_familjehem",
                     "placering_hvb",
                     "stodsamtal",
                     "arbetstraning",
                     "annat"};
  return v;
}

absl::Status ValidateEpisode(const EpisodeRow& row, const RegisterVocabulary& vocabulary) {
  constexpr std::string_view kWhat = "episode";
  if (!IsPseudonym(row.pseudonym)) {
    return FieldError(kWhat, "pseudonym", "must be a keyed pseudonym (p<digit>_<43 base64url>)");
  }
  if (row.key_epoch < 0) return FieldError(kWhat, "key_epoch", "must be 0 or more");
  if (!IsAgeBand(row.age_band)) {
    return FieldError(kWhat, "age_band", "must be an age band such as 18-24 or 65+");
  }
  if (!row.sex.empty() && row.sex != "female" && row.sex != "male") {
    return FieldError(kWhat, "sex", "must be female, male or empty");
  }
  if (!row.region.empty() && !In(kCountyCodes, row.region)) {
    return FieldError(kWhat, "region", "must be an SCB county code or empty");
  }
  if (!In(kCaseKinds, row.case_kind)) {
    return FieldError(kWhat, "case_kind", "must be one of the case kinds");
  }
  if (!row.intervention.empty() && !In(vocabulary.interventions, row.intervention)) {
    return FieldError(kWhat, "intervention", "must be one of the register's interventions");
  }
  if (!IsPeriod(row.start_period)) {
    return FieldError(kWhat, "start_period", "must be YYYY, YYYY-Qn or YYYY-MM");
  }
  if (!row.end_period.empty() && !IsPeriod(row.end_period)) {
    return FieldError(kWhat, "end_period", "must be YYYY, YYYY-Qn, YYYY-MM or empty");
  }
  if (!row.outcome.empty() && !In(kOutcomes, row.outcome)) {
    return FieldError(kWhat, "outcome", "must be one of the outcomes or empty");
  }
  if (row.record_key == 0) return FieldError(kWhat, "record_key", "must be a random non-zero key");
  for (const auto& [field, value] :
       {std::pair<std::string_view, std::string_view>{"pseudonym", row.pseudonym},
        {"age_band", row.age_band},
        {"intervention", row.intervention},  // the host's vocabulary may admit anything
        {"start_period", row.start_period},
        {"end_period", row.end_period}}) {
    VARSAM_RETURN_IF_ERROR(NoIdentityNumber(kWhat, field, value));
  }
  return absl::OkStatus();
}

absl::Status ValidateRegisterMeasurement(const RegisterMeasurementRow& row,
                                         const RegisterVocabulary& vocabulary) {
  constexpr std::string_view kWhat = "register measurement";
  if (!IsPseudonym(row.pseudonym)) {
    return FieldError(kWhat, "pseudonym", "must be a keyed pseudonym (p<digit>_<43 base64url>)");
  }
  if (row.key_epoch < 0) return FieldError(kWhat, "key_epoch", "must be 0 or more");
  if (!In(vocabulary.instruments, row.instrument)) {
    return FieldError(kWhat, "instrument", "must be one of the register's instruments");
  }
  if (row.session < 0) return FieldError(kWhat, "session", "must be 0 or more");
  if (!IsPeriod(row.period)) return FieldError(kWhat, "period", "must be YYYY, YYYY-Qn or YYYY-MM");
  if (row.total && !std::isfinite(*row.total)) {
    return FieldError(kWhat, "total", "must be a finite number or absent");
  }
  if (!row.band.empty() && !In(vocabulary.bands, row.band)) {
    return FieldError(kWhat, "band", "must be one of the register's band ids or empty");
  }
  if (row.record_key == 0) return FieldError(kWhat, "record_key", "must be a random non-zero key");
  for (const auto& [field, value] :
       {std::pair<std::string_view, std::string_view>{"pseudonym", row.pseudonym},
        {"instrument", row.instrument},  // the host's vocabulary may admit anything
        {"period", row.period},
        {"band", row.band}}) {
    VARSAM_RETURN_IF_ERROR(NoIdentityNumber(kWhat, field, value));
  }
  return absl::OkStatus();
}

// ---- Store ------------------------------------------------------------------------------------

Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::string_view location,
                                                   const StoreOptions& options) {
  if (location.empty()) return absl::InvalidArgumentError("store: no location given");
  if (IsPostgresUri(location)) return internal::OpenPostgres(location, options);
  return internal::OpenSqlite(location, options);
}

absl::Status Store::Init(std::string_view location) {
  if (location.empty()) return absl::InvalidArgumentError("store: no location given");
  if (IsPostgresUri(location)) return internal::InitPostgres(location);
  return internal::InitSqlite(location);
}

namespace {

// Each write validates every record before the backend sees any (one mechanism for the journal
// and the register, whatever the backend).
template <typename Record, typename Validate>
absl::Status ValidateAll(std::span<const Record> records, Validate validate) {
  for (size_t i = 0; i < records.size(); ++i) {
    const absl::Status valid = validate(records[i]);
    if (!valid.ok()) return RowError(i, valid);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::int64_t>> Store::AppendMeasurements(
    std::span<const Measurement> measurements) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(measurements, ValidateMeasurement));
  return WriteMeasurements(measurements);
}

absl::Status Store::PutSuggestion(const Suggestion& suggestion) {
  VARSAM_RETURN_IF_ERROR(
      ValidateAll(std::span<const Suggestion>(&suggestion, 1), ValidateSuggestion));
  return WriteSuggestion(suggestion);
}

absl::StatusOr<std::int64_t> Store::RecordDecision(const Decision& decision) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(std::span<const Decision>(&decision, 1), ValidateDecision));
  return WriteDecision(decision);
}

absl::Status Store::AppendEpisodes(std::span<const EpisodeRow> rows) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(
      rows, [this](const EpisodeRow& row) { return ValidateEpisode(row, vocabulary_); }));
  return WriteEpisodes(rows);
}

absl::Status Store::AppendRegisterMeasurements(std::span<const RegisterMeasurementRow> rows) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(rows, [this](const RegisterMeasurementRow& row) {
    return ValidateRegisterMeasurement(row, vocabulary_);
  }));
  return WriteRegisterMeasurements(rows);
}

}  // namespace varsam::store
