// The C shim: turns C arguments into C++ calls and absl::Status into varsam_status. Nothing
// else lives here; every function is a few lines over the C++ API (cf. leveldb's db/c.cc).

#include "varsam.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "capi_internal.h"
#include "varsam/core.h"
#include "varsam/ident.h"
#include "varsam/instruments.h"

namespace {

// varsam_status is absl::StatusCode, one to one.
#define VARSAM_SAME_CODE(c, k) \
  static_assert(static_cast<int>(c) == static_cast<int>(absl::StatusCode::k), #c)
VARSAM_SAME_CODE(VARSAM_OK, kOk);
VARSAM_SAME_CODE(VARSAM_CANCELLED, kCancelled);
VARSAM_SAME_CODE(VARSAM_UNKNOWN, kUnknown);
VARSAM_SAME_CODE(VARSAM_INVALID_ARGUMENT, kInvalidArgument);
VARSAM_SAME_CODE(VARSAM_DEADLINE_EXCEEDED, kDeadlineExceeded);
VARSAM_SAME_CODE(VARSAM_NOT_FOUND, kNotFound);
VARSAM_SAME_CODE(VARSAM_ALREADY_EXISTS, kAlreadyExists);
VARSAM_SAME_CODE(VARSAM_PERMISSION_DENIED, kPermissionDenied);
VARSAM_SAME_CODE(VARSAM_RESOURCE_EXHAUSTED, kResourceExhausted);
VARSAM_SAME_CODE(VARSAM_FAILED_PRECONDITION, kFailedPrecondition);
VARSAM_SAME_CODE(VARSAM_ABORTED, kAborted);
VARSAM_SAME_CODE(VARSAM_OUT_OF_RANGE, kOutOfRange);
VARSAM_SAME_CODE(VARSAM_UNIMPLEMENTED, kUnimplemented);
VARSAM_SAME_CODE(VARSAM_INTERNAL, kInternal);
VARSAM_SAME_CODE(VARSAM_UNAVAILABLE, kUnavailable);
VARSAM_SAME_CODE(VARSAM_DATA_LOSS, kDataLoss);
VARSAM_SAME_CODE(VARSAM_UNAUTHENTICATED, kUnauthenticated);
#undef VARSAM_SAME_CODE

static_assert(VARSAM_VERSION_NUMBER == VARSAM_VERSION_MAJOR_DEF * 1000000 +
                                           VARSAM_VERSION_MINOR_DEF * 1000 +
                                           VARSAM_VERSION_PATCH_DEF,
              "the build's version comes from varsam.h");

thread_local std::string last_error;

}  // namespace

namespace varsam::capi {

varsam_status Fail(const absl::Status& status) {
  last_error.assign(status.message().data(), status.message().size());
  return static_cast<varsam_status>(status.code());
}

absl::StatusOr<varsam::Date> DateArg(int32_t yyyymmdd, const char* name) {
  if (yyyymmdd == 0) return varsam::TodayInSweden();
  const int year = yyyymmdd / 10000, month = yyyymmdd / 100 % 100, day = yyyymmdd % 100;
  if (year < 1000 || year > 9999 || !varsam::IsValidDate(year, month, day)) {
    return absl::InvalidArgumentError(varsam::Cat({name, ": not a real date as YYYYMMDD"}));
  }
  return varsam::Date(year, month, day);
}

absl::Status NullArg(const char* name) {
  return absl::InvalidArgumentError(varsam::Cat({name, ": must not be NULL"}));
}

char* CopyOut(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.data(), text.size() + 1);
  return out;
}

absl::Status JsonOut(const nlohmann::ordered_json& value, char** out) {
  *out = CopyOut(varsam::DumpJson(value));
  return absl::OkStatus();
}

}  // namespace varsam::capi

namespace {

using namespace varsam::capi;  // NOLINT: the shim's own helpers

// ---- Instruments ----------------------------------------------------------------------------

namespace ins = varsam::instruments;

// The C enums are the C++ ones, value for value.
static_assert(static_cast<int>(VARSAM_ID_KIND_INTERIMSNUMMER) ==
              static_cast<int>(varsam::ident::Kind::kInterimsnummer));
static_assert(static_cast<int>(VARSAM_ID_ERROR_SERIAL) ==
              static_cast<int>(varsam::ident::Error::kSerial));
static_assert(static_cast<int>(VARSAM_ID_ERROR_CENTURY) ==
              static_cast<int>(varsam::ident::Error::kCentury));
static_assert(static_cast<int>(VARSAM_SEX_FEMALE) == static_cast<int>(varsam::ident::Sex::kFemale));
static_assert(static_cast<int>(VARSAM_SEX_MALE) == static_cast<int>(varsam::ident::Sex::kMale));
static_assert(static_cast<int>(VARSAM_SEVERITY_INFO) == static_cast<int>(ins::Severity::kInfo));
static_assert(static_cast<int>(VARSAM_SEVERITY_WARNING) ==
              static_cast<int>(ins::Severity::kWarning));
static_assert(static_cast<int>(VARSAM_SEVERITY_CRITICAL) ==
              static_cast<int>(ins::Severity::kCritical));
static_assert(static_cast<int>(ins::FormStatus::kScored) == 0 &&
              static_cast<int>(ins::FormStatus::kTooManyMissing) == 1 &&
              static_cast<int>(ins::FormStatus::kInvalid) == 2);
static_assert(ins::kMaxFlags <= 32, "flag_bits is a uint32_t");
static_assert(VARSAM_SCORE_MAX_FLAGS <= ins::kMaxFlags);

// Every field of these structs belongs to their first version (0.1).
constexpr size_t kRespondentV1Size = sizeof(varsam_respondent);
constexpr size_t kScoreResultV1Size = sizeof(varsam_score_result);
constexpr size_t kScoreColumnsV1Size = sizeof(varsam_score_columns);

absl::Status StructTooSmall(const char* name, const char* type) {
  return absl::InvalidArgumentError(
      varsam::Cat({name, ": struct_size is smaller than ", type, " of version 0.1"}));
}

// Whether `id` has the shape of an instrument id (docs/instrument-format.md), so that a message
// may name it: an id-shaped text is a rule's name, never a number or a sentence a person typed.
bool IsIdShaped(std::string_view id) {
  if (id.empty() || id.size() > 32 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// The instrument `id` of the global registry; NotFound when there is none. Allocates only on
// failure.
absl::StatusOr<const ins::Instrument*> FindInstrument(std::string_view id) {
  const ins::Instrument* instrument = ins::Registry::Global().Find(id);
  if (instrument != nullptr) return instrument;
  if (!IsIdShaped(id)) return absl::NotFoundError("unknown instrument (not a valid instrument id)");
  return absl::NotFoundError(varsam::Cat({"unknown instrument '", id, "'"}));
}

absl::Status CheckCount(const ins::Instrument& instrument, size_t count, const char* what) {
  if (count == static_cast<size_t>(instrument.item_count())) return absl::OkStatus();
  return absl::InvalidArgumentError(varsam::Cat(
      {what, ": instrument '", instrument.id(), "' has ", std::to_string(instrument.item_count()),
       " items, ", std::to_string(count), count == 1 ? " was given" : " were given"}));
}

absl::StatusOr<std::optional<varsam::ident::Sex>> SexArg(int32_t sex, const char* what) {
  switch (sex) {
    case VARSAM_SEX_UNKNOWN: return std::nullopt;
    case VARSAM_SEX_FEMALE: return varsam::ident::Sex::kFemale;
    case VARSAM_SEX_MALE: return varsam::ident::Sex::kMale;
    default:
      return absl::InvalidArgumentError(
          varsam::Cat({what, ": not a varsam_sex (0 unknown, 1 female, 2 male)"}));
  }
}

// The respondent behind a C varsam_respondent (NULL: nothing known). Reads only struct_size
// bytes; fields a caller's older struct lacks count as unknown.
absl::StatusOr<ins::Respondent> RespondentArg(const varsam_respondent* respondent) {
  ins::Respondent out;
  if (respondent == nullptr) return out;
  if (respondent->struct_size < kRespondentV1Size) {
    return StructTooSmall("respondent", "varsam_respondent");
  }
  varsam_respondent in{};
  in.age = -1;
  in.previous_total = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(&in, respondent, std::min<size_t>(respondent->struct_size, sizeof in));
  VARSAM_ASSIGN_OR_RETURN(out.sex, SexArg(in.sex, "respondent.sex"));
  if (in.age >= 0) out.age = in.age;
  if (std::isinf(in.previous_total)) {
    return absl::InvalidArgumentError("respondent.previous_total: must be finite, or NaN for none");
  }
  if (!std::isnan(in.previous_total)) out.previous_total = in.previous_total;
  return out;
}

// Fills the C result of one scored form; the strings point into `instrument`, which the global
// registry never frees.
void FillResult(const ins::Instrument& instrument, const ins::FormScore& form,
                varsam_score_result* out) {
  const ins::Definition& def = instrument.definition();
  out->scored = form.scored() ? 1 : 0;
  out->total = form.scored() ? form.total : std::numeric_limits<double>::quiet_NaN();
  out->band_index = form.band;
  out->band = form.band >= 0 && static_cast<size_t>(form.band) < def.band_ids.size()
                  ? def.band_ids[static_cast<size_t>(form.band)].c_str()
                  : nullptr;
  if (out->band == nullptr) out->band_index = -1;
  out->answered = form.answered;
  out->missing = form.missing;
  out->prorated = form.prorated ? 1 : 0;
  out->flag_bits = form.flags;
  out->flag_count = std::popcount(form.flags);
  out->max_severity = VARSAM_SEVERITY_NONE;
  int listed = 0;
  for (size_t bit = 0; bit < def.flags.size(); ++bit) {
    if ((form.flags >> bit & 1u) == 0) continue;
    const int32_t severity = static_cast<int32_t>(def.flags[bit].severity);
    out->max_severity = std::max(out->max_severity, severity);
    if (listed < VARSAM_SCORE_MAX_FLAGS) {
      out->flags[listed] = def.flags[bit].code.c_str();
      out->flag_severities[listed] = severity;
      ++listed;
    }
  }
}

}  // namespace

extern "C" {

int32_t varsam_version_number(void) { return varsam::VersionNumber(); }

const char* varsam_version_string(void) { return VARSAM_VERSION_STRING_DEF; }

const char* varsam_last_error(void) { return last_error.c_str(); }

const char* varsam_status_name(varsam_status status) {
  // data() of a literal-backed string_view is NUL-terminated.
  return varsam::StatusCodeName(static_cast<absl::StatusCode>(status)).data();
}

void varsam_free(void* memory) { std::free(memory); }

varsam_status varsam_id_check(const char* number, size_t number_length, int32_t today_yyyymmdd,
                              varsam_id_result* result) {
  return Guard([&]() -> absl::Status {
    if (number == nullptr) return NullArg("number");
    if (result == nullptr) return NullArg("result");
    constexpr size_t kFirstVersionSize =
        offsetof(varsam_id_result, normalized) + sizeof(result->normalized);
    if (result->struct_size < kFirstVersionSize) {
      return absl::InvalidArgumentError("result: struct_size is smaller than varsam_id_result");
    }
    VARSAM_ASSIGN_OR_RETURN(const varsam::Date today, DateArg(today_yyyymmdd, "today_yyyymmdd"));

    const auto checked = varsam::ident::Check(std::string_view(number, number_length), today);
    varsam_id_result out{};
    out.struct_size = result->struct_size;
    out.error = static_cast<int32_t>(checked.error);
    if (checked.ok()) {
      const auto& n = checked.number;
      out.valid = 1;
      out.kind = static_cast<int32_t>(n.kind);
      out.sex = static_cast<int32_t>(n.sex);
      out.official_test_number = n.official_test_number ? 1 : 0;
      out.birth_year = static_cast<int32_t>(n.birth_date.year());
      out.birth_month = n.birth_date.month();
      out.birth_day = n.birth_date.day();
      std::memcpy(out.normalized, n.digits.data(), n.digits.size());
    }
    std::memcpy(result, &out, std::min<size_t>(result->struct_size, sizeof out));
    return absl::OkStatus();
  });
}

const char* varsam_id_error_message(int32_t error) {
  if (error < 0 || error > static_cast<int32_t>(varsam::ident::Error::kSerial)) {
    return "unknown identity-number error";
  }
  return varsam::ident::ErrorMessage(static_cast<varsam::ident::Error>(error)).data();
}

varsam_status varsam_id_find(const char* text, size_t text_length, int32_t today_yyyymmdd,
                             char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    if (text == nullptr && text_length > 0) return NullArg("text");
    VARSAM_ASSIGN_OR_RETURN(const varsam::Date today, DateArg(today_yyyymmdd, "today_yyyymmdd"));
    nlohmann::json matches = nlohmann::json::array();
    varsam::ident::Scan(std::string_view(text == nullptr ? "" : text, text_length), today,
                        [&](const varsam::ident::Match& m) {
                          matches.push_back({
                              {"offset", m.offset},
                              {"length", m.length},
                              {"normalized", m.number.normalized()},
                              {"kind", varsam::ident::KindName(m.number.kind)},
                              {"official_test_number", m.number.official_test_number},
                          });
                        });
    *json_out = CopyOut(varsam::DumpJson(matches));
    return absl::OkStatus();
  });
}

varsam_status varsam_score(const char* instrument, const double* responses, size_t count,
                           const varsam_respondent* respondent, varsam_score_result* result) {
  return Guard([&]() -> absl::Status {
    if (instrument == nullptr) return NullArg("instrument");
    if (responses == nullptr) return NullArg("responses");
    if (result == nullptr) return NullArg("result");
    if (result->struct_size < kScoreResultV1Size) {
      return StructTooSmall("result", "varsam_score_result");
    }
    VARSAM_ASSIGN_OR_RETURN(const ins::Instrument* scorer, FindInstrument(instrument));
    VARSAM_ASSIGN_OR_RETURN(const ins::Respondent who, RespondentArg(respondent));
    ins::FormScore form;
    VARSAM_RETURN_IF_ERROR(scorer->ScoreForm(std::span(responses, count), who, &form));
    varsam_score_result out{};
    out.struct_size = result->struct_size;
    FillResult(*scorer, form, &out);
    std::memcpy(result, &out, std::min<size_t>(result->struct_size, sizeof out));
    return absl::OkStatus();
  });
}

varsam_status varsam_score_batch(const char* instrument, const double* responses, size_t forms,
                                 size_t items_per_form, varsam_score_columns* columns,
                                 size_t* invalid_forms) {
  if (invalid_forms != nullptr) *invalid_forms = 0;
  return Guard([&]() -> absl::Status {
    if (instrument == nullptr) return NullArg("instrument");
    VARSAM_ASSIGN_OR_RETURN(const ins::Instrument* scorer, FindInstrument(instrument));
    VARSAM_RETURN_IF_ERROR(CheckCount(*scorer, items_per_form, "items_per_form"));
    if (forms == 0) return absl::OkStatus();
    if (responses == nullptr) return NullArg("responses");
    if (columns == nullptr) return NullArg("columns");
    if (columns->struct_size < kScoreColumnsV1Size) {
      return StructTooSmall("columns", "varsam_score_columns");
    }
    if (forms >
        std::numeric_limits<size_t>::max() / sizeof(double) / std::max<size_t>(items_per_form, 1)) {
      return absl::InvalidArgumentError("forms: too many for memory");
    }
    varsam_score_columns c{};
    std::memcpy(&c, columns, std::min<size_t>(columns->struct_size, sizeof c));
    auto column = [forms](auto* data) {
      return data == nullptr ? std::span<std::remove_pointer_t<decltype(data)>>()
                             : std::span(data, forms);
    };
    const ins::BatchInput input{
        .responses = std::span(responses, forms * items_per_form),
        .sex = column(c.sex),
        .age = column(c.age),
        .previous_total = column(c.previous_total),
    };
    const ins::BatchOutput output{
        .total = column(c.total),
        .band = column(c.band),
        .flags = column(c.flags),
        .status = column(c.status),
    };
    VARSAM_ASSIGN_OR_RETURN(const ins::BatchSummary summary, scorer->ScoreBatch(input, output));
    if (invalid_forms != nullptr) *invalid_forms = summary.invalid;
    return absl::OkStatus();
  });
}

varsam_status varsam_score_json(const char* request, size_t request_length, char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    if (request == nullptr) return NullArg("request");
    VARSAM_ASSIGN_OR_RETURN(const ins::ScoreRequest parsed,
                            ins::ParseScoreRequest(std::string_view(request, request_length)));
    VARSAM_ASSIGN_OR_RETURN(const ins::Instrument* scorer, FindInstrument(parsed.instrument));
    VARSAM_ASSIGN_OR_RETURN(const ins::Score score,
                            scorer->ScoreOne(parsed.responses, parsed.respondent));
    *json_out = CopyOut(varsam::DumpJson(ins::ToJson(score, parsed.swedish)));
    return absl::OkStatus();
  });
}

varsam_status varsam_instrument_list(char** json_out) {
  if (json_out != nullptr) *json_out = nullptr;
  return Guard([&]() -> absl::Status {
    if (json_out == nullptr) return NullArg("json_out");
    *json_out = CopyOut(varsam::DumpJson(ins::Registry::Global().ToJson()));
    return absl::OkStatus();
  });
}

varsam_status varsam_instrument_load(const char* json, size_t json_length) {
  return Guard([&]() -> absl::Status {
    if (json == nullptr) return NullArg("json");
    return ins::Registry::Global().Load(std::string_view(json, json_length)).status();
  });
}

varsam_status varsam_instrument_configure(const char* instrument, const char* settings_json,
                                          size_t settings_length) {
  return Guard([&]() -> absl::Status {
    if (instrument == nullptr) return NullArg("instrument");
    if (settings_json == nullptr) return NullArg("settings_json");
    VARSAM_RETURN_IF_ERROR(FindInstrument(instrument).status());
    VARSAM_ASSIGN_OR_RETURN(
        const ins::SettingValues values,
        ins::ParseSettingValues(std::string_view(settings_json, settings_length)));
    return ins::Registry::Global().Configure(instrument, values).status();
  });
}

}  // extern "C"
