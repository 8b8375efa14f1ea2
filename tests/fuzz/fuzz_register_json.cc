// libFuzzer target: the JSON forms of the register calls: submissions (varsam/submission.h) and
// export options (varsam/engine.h), as varsam_register_submit / varsam_register_export and
// `varsam register` read them.
//
// Every input is accepted or refused with InvalidArgument, never a crash. Accepted submissions
// keep the parser's promises (age 0..150, an identifier, sessions 0..1000000) and survive a
// round trip: submission::EpisodeJson of what was parsed parses to the same JSON again.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "varsam/engine.h"
#include "varsam/submission.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace eng = varsam::engine;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto batch = varsam::submission::ParseEpisodes(text, "submissions");
  if (!batch.ok()) {
    REQUIRE(batch.status().code() == absl::StatusCode::kInvalidArgument);
  } else {
    for (const eng::RegisterSubmission& s : *batch) {
      REQUIRE(s.age >= 0 && s.age <= 150);
      REQUIRE(!s.personnummer.empty() || !s.client_ref.empty());
      for (const auto& m : s.measurements) REQUIRE(m.session >= 0 && m.session <= 1000000);
      const std::string once = varsam::DumpJson(varsam::submission::EpisodeJson(s));
      const auto again = varsam::submission::ParseEpisodes(once, "again");
      REQUIRE(again.ok() && again->size() == 1);
      REQUIRE(varsam::DumpJson(varsam::submission::EpisodeJson(again->front())) == once);
    }
  }

  // The same input as case lines: accepted lines keep their numbers in order, and each case
  // survives a round trip through its line.
  varsam::access::Context context;
  context.case_info = varsam::access::CaseInfo{"c", varsam::access::CaseKind::kInsats, true, "k"};
  const auto lines = varsam::submission::ParseCaseLines(text, context);
  if (!lines.ok()) {
    REQUIRE(lines.status().code() == absl::StatusCode::kInvalidArgument);
  } else {
    std::size_t previous = 0;
    for (const varsam::submission::CaseSubmission& c : *lines) {
      REQUIRE(c.line > previous && c.context.case_info.has_value() && !c.episodes.empty());
      previous = c.line;
      varsam::submission::RegisterCase once{c.context.case_info, c.episodes};
      const std::string line = varsam::DumpJson(varsam::submission::RegisterCaseJson(once));
      const auto again = varsam::submission::ParseCaseLines(line, context);
      REQUIRE(again.ok() && again->size() == 1);
      varsam::submission::RegisterCase twice{again->front().context.case_info,
                                             again->front().episodes};
      REQUIRE(varsam::DumpJson(varsam::submission::RegisterCaseJson(twice)) == line);
    }
  }

  const auto options = eng::ParseRegisterExportOptions(text);
  if (!options.ok()) {
    REQUIRE(options.status().code() == absl::StatusCode::kInvalidArgument);
  } else {
    REQUIRE(options->k >= 1 && options->k <= 1000000);
    REQUIRE(options->distinct_l == 0 || options->distinct_l >= 2);
    REQUIRE(options->max_suppression >= 0.0 && options->max_suppression <= 1.0);
  }
  return 0;
}
