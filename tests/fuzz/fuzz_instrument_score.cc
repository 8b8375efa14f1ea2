// libFuzzer target: scoring input, through the C++ API and the C API.
//
// Byte 0 picks a built-in instrument and the path; byte 1 the respondent. Typed path: each
// further byte is one answer (255 missing, 254 +inf, 253 -inf, 200..252 quarter steps
// 0.0..13.0, else 0..11), so that valid, invalid and missing answers are all common;
// ScoreForm and varsam_score must agree, and a valid form's score must keep the invariants
// below without allocating. JSON path: the rest is a request for varsam_score_json, whose
// answer must be a status, or JSON that parses.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "varsam.h"
#include "varsam/instruments.h"

namespace {

using namespace varsam::instruments;
using varsam::fuzz::allocations;

double Answer(std::uint8_t b) {
  if (b == 255) return kMissing;
  if (b == 254) return INFINITY;
  if (b == 253) return -INFINITY;
  if (b >= 200) return (b - 200) * 0.25;
  return b % 12;
}

void TypedPath(const Instrument& instrument, std::uint8_t who, const std::uint8_t* data,
               std::size_t size) {
  const size_t n = static_cast<size_t>(instrument.item_count());
  std::vector<double> answers(n, kMissing);
  for (size_t i = 0; i < n && i < size; ++i) answers[i] = Answer(data[i]);
  // Sometimes the wrong number of answers.
  if (size > n + 8) answers.resize(n + 1 + data[n] % 3);

  Respondent respondent;
  if (who % 3 != 0) respondent.sex = static_cast<varsam::ident::Sex>(who % 3);
  if (who & 0x08) respondent.age = who >> 4 << 2;  // 0..60
  if (who & 0x04) respondent.previous_total = (who >> 4) * 2.5;

  FormScore form;
  const std::size_t before = allocations;
  const absl::Status status = instrument.ScoreForm(answers, respondent, &form);
  if (status.ok()) {
    REQUIRE(allocations == before);  // varsam/instruments.h: never allocates unless it fails
    const Definition& d = instrument.definition();
    REQUIRE(form.answered + form.missing == static_cast<int>(n));
    if (form.scored()) {
      REQUIRE(form.total >= d.total_min - 1e-9 && form.total <= d.total_max + 1e-9);
      REQUIRE(form.missing <= d.missing_allowed);
      REQUIRE(form.prorated == (form.missing > 0));
    } else {
      REQUIRE(form.band == -1);
      REQUIRE(form.missing > d.missing_allowed);
    }
    REQUIRE(form.band < static_cast<int>(d.band_ids.size()));
    REQUIRE(d.flags.size() == 32 || form.flags >> d.flags.size() == 0);
  } else {
    REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
    const std::string message(status.message());
    REQUIRE(message.find("instrument '" + instrument.id() + "'") == 0);
  }

  varsam_respondent r{sizeof r, respondent.sex ? static_cast<int32_t>(*respondent.sex) : 0,
                      respondent.age.value_or(-1), respondent.previous_total.value_or(kMissing)};
  varsam_score_result result{};
  result.struct_size = sizeof result;
  const varsam_status c_status =
      varsam_score(instrument.id().c_str(), answers.data(), answers.size(), &r, &result);
  REQUIRE((c_status == VARSAM_OK) == status.ok());
  if (status.ok()) {
    REQUIRE(result.scored == (form.scored() ? 1 : 0));
    REQUIRE(result.band_index == form.band);
    REQUIRE(result.flag_bits == form.flags);
    REQUIRE(!form.scored() || result.total == form.total);
  } else {
    REQUIRE(std::strcmp(varsam_last_error(), std::string(status.message()).c_str()) == 0);
  }
}

void JsonPath(const std::uint8_t* data, std::size_t size) {
  char* out = nullptr;
  const varsam_status status = varsam_score_json(reinterpret_cast<const char*>(data), size, &out);
  if (status == VARSAM_OK) {
    REQUIRE(out != nullptr);
    REQUIRE(nlohmann::json::parse(out, nullptr, false).is_object());
  } else {
    REQUIRE(out == nullptr);
    REQUIRE(std::strlen(varsam_last_error()) > 0);
  }
  varsam_free(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto instruments = Registry::Global().List();
  if (data[0] & 0x80) {
    JsonPath(data + 1, size - 1);
  } else {
    TypedPath(*instruments[data[0] % instruments.size()], data[1], data + 2, size - 2);
  }
  return 0;
}
