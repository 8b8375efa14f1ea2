// libFuzzer target: the C API's anonymisation request (varsam_anonymize, capi/varsam.h) — the
// request parser, the schema, the pipeline and the search behind it, on arbitrary bytes.
//
// Every input returns a status (never a crash, never an exception across the C boundary); on
// VARSAM_OK the result is JSON with a header and rows of the header's width, and it holds no
// identity number in a twelve-digit form (those are valid whatever the reference date): every
// one the request carried was pseudonymised, scrubbed or refused.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "nlohmann/json.hpp"
#include "varsam.h"

namespace {

varsam_status FuzzKey(void*, int32_t epoch, uint8_t key[32]) {
  if (epoch < 0 || epoch > 3) return VARSAM_NOT_FOUND;  // some epochs have no key
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i * 3 + epoch);
  return VARSAM_OK;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* request = reinterpret_cast<const char*>(data);
  char* out = nullptr;
  const varsam_status status = varsam_anonymize(request, size, FuzzKey, nullptr, &out);
  if (status != VARSAM_OK) {
    REQUIRE(out == nullptr);
    return 0;
  }
  REQUIRE(out != nullptr);
  const std::string text(out);
  varsam_free(out);
  const nlohmann::json result = nlohmann::json::parse(text, nullptr, false);
  REQUIRE(result.is_object());
  REQUIRE(result.contains("header") && result["header"].is_array());
  REQUIRE(result.contains("rows") && result["rows"].is_array());
  REQUIRE(result.contains("report") && result["report"].is_object());
  for (const auto& row : result["rows"]) {
    REQUIRE(row.is_array() && row.size() == result["header"].size());
  }
  bool leaked = false;
  varsam::ident::Scan(text, varsam::fuzz::kToday,
                      [&](const varsam::ident::Match& m) { leaked |= m.length >= 12; });
  REQUIRE(!leaked);
  return 0;
}
