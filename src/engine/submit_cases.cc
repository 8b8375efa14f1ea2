// Case lines into the register through the engine (include/varsam/engine.h, SubmitCases): each
// case its own guarded, audited SubmitToRegister call, several at once.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/submission.h"

namespace varsam::engine {

absl::StatusOr<CasesSubmitted> Engine::SubmitCases(
    std::span<const submission::CaseSubmission> cases, int threads,
    std::atomic<std::size_t>* done) {
  if (threads < 1 || threads > 64) {
    return absl::InvalidArgumentError("threads: must be from 1 to 64");
  }
  const std::size_t n = cases.size();
  std::vector<absl::Status> results(n);
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      results[i] = SubmitToRegister(cases[i].context, cases[i].episodes);
      if (done != nullptr) ++*done;
    }
  };
  {
    std::vector<std::jthread> workers;
    const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(threads), n);
    for (std::size_t t = 1; t < count; ++t) workers.emplace_back(work);
    work();  // the calling thread is one of them
  }

  CasesSubmitted out;
  out.cases = n;
  for (std::size_t i = 0; i < n; ++i) {
    const submission::CaseSubmission& c = cases[i];
    const absl::Status& status = results[i];
    if (status.ok()) {
      ++out.submitted;
      out.episodes += c.episodes.size();
      for (const submission::Episode& e : c.episodes) out.measurements += e.measurements.size();
      continue;
    }
    if (status.code() != absl::StatusCode::kPermissionDenied &&
        status.code() != absl::StatusCode::kInvalidArgument) {
      // The store's or the audit log's own failure.
      return absl::Status(status.code(),
                          Cat({"line ", std::to_string(c.line), ": ", StatusMessage(status)}));
    }
    (status.code() == absl::StatusCode::kPermissionDenied ? out.refused : out.invalid) += 1;
    out.rejected.push_back(CasesSubmitted::Rejected{c.line, status});
  }
  return out;
}

}  // namespace varsam::engine
