// What both backends share: opening by location, and the register's field checks that keep
// direct identifiers out of it (varsam/store.h).

#include "varsam/store.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends.h"
#include "rows.h"
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

// CheckText of each (field, value), all required, in order.
absl::Status CheckRequiredTexts(
    std::string_view what,
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  for (const auto& [field, value] : fields) {
    VARSAM_RETURN_IF_ERROR(CheckText(what, field, value, true));
  }
  return absl::OkStatus();
}

bool StorableDate(Date d) { return d.year() >= 1 && d.year() <= 9999; }

absl::Status CheckPseudonymAndEpoch(std::string_view what, std::string_view pseudonym,
                                    std::int32_t key_epoch) {
  if (!IsPseudonym(pseudonym)) {
    return FieldError(what, "pseudonym", "must be a keyed pseudonym (p<digit>_<43 base64url>)");
  }
  if (key_epoch < 0) return FieldError(what, "key_epoch", "must be 0 or more");
  return absl::OkStatus();
}

// `value` is in the vocabulary of `table.column` (rows.h, the table both databases' CHECK
// constraints come from).
absl::Status CheckVocabulary(std::string_view what, Part part, std::string_view table,
                             std::string_view column, std::string_view value,
                             const RegisterVocabulary& vocabulary) {
  const internal::VocabularyColumn& c = internal::VocabularyColumnOf(part, table, column);
  if (internal::InVocabulary(c, value, vocabulary)) return absl::OkStatus();
  return FieldError(what, column, c.rule);
}

// A value of a host-extensible vocabulary has the code form the databases hold the column to.
absl::Status CodeForm(std::string_view what, std::string_view field, std::string_view value) {
  if (value.empty() || internal::IsCode(value)) return absl::OkStatus();
  return FieldError(what, field,
                    "must be a code: a lower-case letter, then lower-case letters, digits, _ or "
                    "-, at most 64 characters");
}

}  // namespace

absl::Status ValidateMeasurement(const Measurement& m) {
  constexpr std::string_view kWhat = "measurement";
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "client_ref", m.client_ref, true));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "case_ref", m.case_ref, true));
  VARSAM_RETURN_IF_ERROR(
      CheckVocabulary(kWhat, Part::kJournal, "measurements", "case_kind", m.case_kind, {}));
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
  VARSAM_RETURN_IF_ERROR(CheckRequiredTexts(
      kWhat,
      {{"id", x.id}, {"client_ref", x.client_ref}, {"case_ref", x.case_ref}, {"kind", x.kind}}));
  if (!StorableDate(x.created)) return FieldError(kWhat, "created", "must be in years 1..9999");
  return CheckText(kWhat, "content_json", x.content_json, false);
}

namespace {

bool IsLowerHex(std::string_view s, size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return IsDigit(c) || (c >= 'a' && c <= 'f');
         });
}

// "YYYY-MM-DDTHH:MM:SSZ": the form the engine writes (whole seconds, UTC).
bool IsUtcTimestamp(std::string_view s) {
  if (s.size() != 20) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char want = "dddd-dd-ddTdd:dd:ddZ"[i];
    if (want == 'd' ? !IsDigit(s[i]) : s[i] != want) return false;
  }
  return true;
}

constexpr size_t kMaxModelTitle = 200;

}  // namespace

absl::Status ValidateStoredModel(const StoredModel& m) {
  constexpr std::string_view kWhat = "model";
  if (!IsLowerHex(m.id, 32)) return FieldError(kWhat, "id", "must be 32 lower-case hex digits");
  if (!IsLowerHex(m.sha256, 64)) {
    return FieldError(kWhat, "sha256", "must be 64 lower-case hex digits");
  }
  VARSAM_RETURN_IF_ERROR(CheckVocabulary(kWhat, Part::kRegister, "models", "kind", m.kind, {}));
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "title", m.title, true));
  if (m.title.size() > kMaxModelTitle) {
    return FieldError(kWhat, "title", "must be at most 200 bytes");
  }
  // The register part keeps no identity number, not even in a title.
  VARSAM_RETURN_IF_ERROR(NoIdentityNumber(kWhat, "title", m.title));
  if (!IsUtcTimestamp(m.created)) {
    return FieldError(kWhat, "created", "must be RFC 3339 UTC: YYYY-MM-DDTHH:MM:SSZ");
  }
  return CheckText(kWhat, "model_json", m.model_json, true);
}

namespace {

constexpr size_t kMaxReleaseLabel = 200;

// "YYYY-MM", month 01..12: a release's budget period.
bool IsMonth(std::string_view s) {
  return s.size() == 7 && AllDigits(s.substr(0, 4)) && s[4] == '-' && AllDigits(s.substr(5)) &&
         ((s[5] == '0' && s[6] >= '1') || (s[5] == '1' && s[6] <= '2'));
}

// The organisation and the purpose: short labels, no identity number (the register part keeps
// none).
absl::Status CheckReleaseLabel(std::string_view field, std::string_view value) {
  constexpr std::string_view kWhat = "release";
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, field, value, true));
  if (value.size() > kMaxReleaseLabel) return FieldError(kWhat, field, "must be at most 200 bytes");
  return NoIdentityNumber(kWhat, field, value);
}

}  // namespace

absl::Status ValidateRelease(const Release& r) {
  constexpr std::string_view kWhat = "release";
  if (!IsLowerHex(r.id, 32)) return FieldError(kWhat, "id", "must be 32 lower-case hex digits");
  VARSAM_RETURN_IF_ERROR(CheckReleaseLabel("organisation", r.organisation));
  VARSAM_RETURN_IF_ERROR(CheckReleaseLabel("purpose", r.purpose));
  if (!IsMonth(r.period)) return FieldError(kWhat, "period", "must be YYYY-MM");
  if (!IsUtcTimestamp(r.created)) {
    return FieldError(kWhat, "created", "must be RFC 3339 UTC: YYYY-MM-DDTHH:MM:SSZ");
  }
  VARSAM_RETURN_IF_ERROR(CheckText(kWhat, "query_json", r.query_json, true));
  if (r.cells < 0) return FieldError(kWhat, "cells", "must be 0 or more");
  if (!std::isfinite(r.epsilon) || r.epsilon < 0) {
    return FieldError(kWhat, "epsilon", "must be a finite number, 0 or more");
  }
  return absl::OkStatus();
}

absl::Status ValidateReleaseBudget(const ReleaseBudget& b) {
  constexpr std::string_view kWhat = "release budget";
  if (b.max_cells < 0) return FieldError(kWhat, "max_cells", "must be 0 or more");
  if (!std::isfinite(b.max_epsilon) || b.max_epsilon < 0) {
    return FieldError(kWhat, "max_epsilon", "must be a finite number, 0 or more");
  }
  return absl::OkStatus();
}

absl::Status ValidateDecision(const Decision& d) {
  constexpr std::string_view kWhat = "decision";
  VARSAM_RETURN_IF_ERROR(CheckRequiredTexts(kWhat, {{"suggestion_id", d.suggestion_id},
                                                    {"decider", d.decider},
                                                    {"decider_role", d.decider_role},
                                                    {"decision", d.decision}}));
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
  v.instruments.assign(std::begin(kDefaultInstruments), std::end(kDefaultInstruments));
  v.bands.assign(std::begin(kDefaultBands), std::end(kDefaultBands));
  v.interventions.assign(std::begin(kDefaultInterventions), std::end(kDefaultInterventions));
  return v;
}

absl::Status ValidateEpisode(const EpisodeRow& row, const RegisterVocabulary& vocabulary) {
  constexpr std::string_view kWhat = "episode";
  VARSAM_RETURN_IF_ERROR(CheckPseudonymAndEpoch(kWhat, row.pseudonym, row.key_epoch));
  if (!IsAgeBand(row.age_band)) {
    return FieldError(kWhat, "age_band", "must be an age band such as 18-24 or 65+");
  }
  const auto vocabulary_field = [&](std::string_view column, std::string_view value) {
    return CheckVocabulary(kWhat, Part::kRegister, "episodes", column, value, vocabulary);
  };
  VARSAM_RETURN_IF_ERROR(vocabulary_field("sex", row.sex));
  VARSAM_RETURN_IF_ERROR(vocabulary_field("region", row.region));
  VARSAM_RETURN_IF_ERROR(vocabulary_field("case_kind", row.case_kind));
  VARSAM_RETURN_IF_ERROR(vocabulary_field("intervention", row.intervention));
  if (!IsPeriod(row.start_period)) {
    return FieldError(kWhat, "start_period", "must be YYYY, YYYY-Qn or YYYY-MM");
  }
  if (!row.end_period.empty() && !IsPeriod(row.end_period)) {
    return FieldError(kWhat, "end_period", "must be YYYY, YYYY-Qn, YYYY-MM or empty");
  }
  VARSAM_RETURN_IF_ERROR(vocabulary_field("outcome", row.outcome));
  if (row.record_key == 0) return FieldError(kWhat, "record_key", "must be a random non-zero key");
  for (const auto& [field, value] :
       {std::pair<std::string_view, std::string_view>{"pseudonym", row.pseudonym},
        {"age_band", row.age_band},
        {"intervention", row.intervention},  // the host's vocabulary may admit anything
        {"start_period", row.start_period},
        {"end_period", row.end_period}}) {
    VARSAM_RETURN_IF_ERROR(NoIdentityNumber(kWhat, field, value));
  }
  return CodeForm(kWhat, "intervention", row.intervention);
}

absl::Status ValidateRegisterMeasurement(const RegisterMeasurementRow& row,
                                         const RegisterVocabulary& vocabulary) {
  constexpr std::string_view kWhat = "register measurement";
  VARSAM_RETURN_IF_ERROR(CheckPseudonymAndEpoch(kWhat, row.pseudonym, row.key_epoch));
  const auto vocabulary_field = [&](std::string_view column, std::string_view value) {
    return CheckVocabulary(kWhat, Part::kRegister, "measurements", column, value, vocabulary);
  };
  VARSAM_RETURN_IF_ERROR(vocabulary_field("instrument", row.instrument));
  if (row.session < 0) return FieldError(kWhat, "session", "must be 0 or more");
  if (!IsPeriod(row.period)) return FieldError(kWhat, "period", "must be YYYY, YYYY-Qn or YYYY-MM");
  if (row.total && !std::isfinite(*row.total)) {
    return FieldError(kWhat, "total", "must be a finite number or absent");
  }
  VARSAM_RETURN_IF_ERROR(vocabulary_field("band", row.band));
  if (row.record_key == 0) return FieldError(kWhat, "record_key", "must be a random non-zero key");
  for (const auto& [field, value] :
       {std::pair<std::string_view, std::string_view>{"pseudonym", row.pseudonym},
        {"instrument", row.instrument},  // the host's vocabulary may admit anything
        {"period", row.period},
        {"band", row.band}}) {
    VARSAM_RETURN_IF_ERROR(NoIdentityNumber(kWhat, field, value));
  }
  VARSAM_RETURN_IF_ERROR(CodeForm(kWhat, "instrument", row.instrument));
  return CodeForm(kWhat, "band", row.band);
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

absl::Status Store::PutModel(const StoredModel& model) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(std::span<const StoredModel>(&model, 1), ValidateStoredModel));
  return WriteModel(model);
}

absl::Status Store::PutRelease(const Release& release, const ReleaseBudget& budget) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(std::span<const Release>(&release, 1), ValidateRelease));
  const absl::Status budget_valid = ValidateReleaseBudget(budget);
  if (!budget_valid.ok()) {
    return absl::InvalidArgumentError(
        Cat({std::string(budget_valid.message()), " (nothing written)"}));
  }
  return WriteRelease(release, budget);
}

absl::Status Store::AppendEpisodes(std::span<const EpisodeRow> rows) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(
      rows, [this](const EpisodeRow& row) { return ValidateEpisode(row, vocabulary_); }));
  return WriteEpisodes(rows);
}

namespace {

// A grouping's columns and filters name groupable episode columns, each column once; the
// backends build their SQL from these names, never from other text.
absl::Status ValidateGrouping(const EpisodeGrouping& g, std::string_view what) {
  const auto groupable = [](std::string_view column) {
    return std::find(std::begin(kGroupableEpisodeColumns), std::end(kGroupableEpisodeColumns),
                     column) != std::end(kGroupableEpisodeColumns);
  };
  if (g.columns.size() > kMaxGroupingColumns) {
    return absl::InvalidArgumentError(
        Cat({what, ".columns: at most ", std::to_string(kMaxGroupingColumns)}));
  }
  for (std::size_t k = 0; k < g.columns.size(); ++k) {
    if (!groupable(g.columns[k])) {
      return absl::InvalidArgumentError(Cat({what, ".columns: not a groupable episode column"}));
    }
    if (std::find(g.columns.begin(), g.columns.begin() + static_cast<std::ptrdiff_t>(k),
                  g.columns[k]) != g.columns.begin() + static_cast<std::ptrdiff_t>(k)) {
      return absl::InvalidArgumentError(Cat({what, ".columns: a column twice"}));
    }
  }
  // Values go to the database as text parameters: UTF-8 without NUL.
  const auto text = [](std::string_view v) {
    return IsValidUtf8(v) && v.find('\0') == std::string_view::npos;
  };
  for (const EpisodeGrouping::Filter& f : g.filters) {
    if (!groupable(f.column)) {
      return absl::InvalidArgumentError(Cat({what, ".filters: not a groupable episode column"}));
    }
    if (!std::all_of(f.values.begin(), f.values.end(), text)) {
      return absl::InvalidArgumentError(Cat({what, ".filters: a value that is not UTF-8 text"}));
    }
  }
  if (!text(g.outcome)) {
    return absl::InvalidArgumentError(Cat({what, ".outcome: not UTF-8 text"}));
  }
  if (g.per_person < 0) {
    return absl::InvalidArgumentError(Cat({what, ".per_person: must not be negative"}));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<EpisodeGroup>> Store::GroupEpisodes(const EpisodeGrouping& grouping) {
  VARSAM_RETURN_IF_ERROR(ValidateGrouping(grouping, "grouping"));
  return RunGrouping(grouping);
}

absl::StatusOr<std::vector<GroupComparison>> Store::CompareGroups(const EpisodeGrouping& fresh,
                                                                  const EpisodeGrouping& earlier,
                                                                  int threshold) {
  VARSAM_RETURN_IF_ERROR(ValidateGrouping(fresh, "fresh"));
  VARSAM_RETURN_IF_ERROR(ValidateGrouping(earlier, "earlier"));
  if (threshold < 1) return absl::InvalidArgumentError("threshold: must be at least 1");
  return RunComparison(fresh, earlier, threshold);
}

absl::Status Store::AppendRegisterMeasurements(std::span<const RegisterMeasurementRow> rows) {
  VARSAM_RETURN_IF_ERROR(ValidateAll(rows, [this](const RegisterMeasurementRow& row) {
    return ValidateRegisterMeasurement(row, vocabulary_);
  }));
  return WriteRegisterMeasurements(rows);
}

}  // namespace varsam::store
