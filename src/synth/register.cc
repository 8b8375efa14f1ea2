// The synthetic population as register submissions (include/varsam/synth.h, RegisterCases):
// what `varsam synth --register`, `varsam demo` and the engine's tests submit.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "varsam/access.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace varsam::synth {

std::vector<submission::RegisterCase> RegisterCases(const ClientRecord& record) {
  const Client& client = record.client;
  // A report or an assessment led to an investigation when its own chain reached one.
  const auto investigated = [&](int chain) {
    return std::any_of(record.cases.begin(), record.cases.end(),
                       [&](const Case& c) { return c.chain == chain && c.kind == "utredning"; });
  };
  std::vector<submission::RegisterCase> out;
  out.reserve(record.cases.size());
  for (const Case& c : record.cases) {
    submission::RegisterCase r;
    const std::optional<access::CaseKind> kind = access::ParseCaseKind(c.kind);
    access::CaseInfo& info = r.case_info.emplace();
    info.ref = c.id;
    info.kind = kind.value_or(access::CaseKind::kUtredning);
    info.led_to_investigation =
        (c.kind != "anmalan" && c.kind != "forhandsbedomning") || investigated(c.chain);
    info.client = client.id;
    submission::Episode& s = r.episodes.emplace_back();
    s.personnummer = client.personnummer;
    s.client_ref = client.id;
    s.age = c.age_at_start;
    s.sex = client.sex == ident::Sex::kFemale ? "female" : "male";
    s.postal_code = client.postal_code;
    s.intervention = c.intervention;
    s.start = c.opened;
    s.end = c.closed;
    s.outcome = c.outcome;
    for (const store::Measurement& m : record.measurements) {
      if (m.case_ref == c.id) s.measurements.push_back(m);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace varsam::synth
