// libFuzzer target: the instrument definition loader (Instrument::Parse).
//
// The input is a definition file. Every input must be refused with InvalidArgument or loaded,
// never crash; a loaded instrument must describe itself, load again from its own text to the
// same description, and score an all-missing form and a form of each item's lowest and highest
// answers without error, with totals inside the declared range. The seeds are the built-in
// definitions (scripts/fuzz copies data/instruments/*.json) and tests/fuzz/corpus/.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "varsam/instruments.h"

namespace {

using namespace varsam::instruments;

void CheckScores(const Instrument& instrument, const std::vector<double>& answers) {
  FormScore form;
  REQUIRE(instrument.ScoreForm(answers, {}, &form).ok());
  const Definition& d = instrument.definition();
  if (form.scored()) {
    REQUIRE(form.total >= d.total_min - 1e-6 && form.total <= d.total_max + 1e-6);
  }
  REQUIRE(form.band < static_cast<int>(d.band_ids.size()));
  REQUIRE(d.flags.size() == 32 || form.flags >> d.flags.size() == 0);
  REQUIRE(!instrument.ToJson().is_null());
  REQUIRE(ToJson(instrument.Describe(form)).is_object());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = Instrument::Parse(text);
  if (!parsed.ok()) {
    REQUIRE(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(!parsed.status().message().empty());
    return 0;
  }
  const Instrument& instrument = **parsed;
  auto again = Instrument::Parse(instrument.source_json());
  REQUIRE(again.ok() && (*again)->ToJson() == instrument.ToJson());

  const auto& items = instrument.definition().items;
  CheckScores(instrument, std::vector<double>(items.size(), kMissing));
  std::vector<double> low, high;
  for (const Scale& s : items) {
    low.push_back(s.min);
    high.push_back(s.max);
  }
  CheckScores(instrument, low);
  CheckScores(instrument, high);

  // The change rule: the ends of the total's range are valid totals, and swapping intake and
  // later total flips the improvement; without a rule, FailedPrecondition.
  const Definition& def = instrument.definition();
  auto up = instrument.AssessChange(def.total_min, def.total_max);
  auto down = instrument.AssessChange(def.total_max, def.total_min);
  if (!def.change) {
    REQUIRE(up.status().code() == absl::StatusCode::kFailedPrecondition);
  } else {
    REQUIRE(up.ok() && down.ok());
    REQUIRE(up->improvement == -down->improvement);
    REQUIRE(up->category != down->category || up->category == ChangeCategory::kNoReliableChange);
  }
  return 0;
}
