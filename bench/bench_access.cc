// Benchmarks of varsam::access: one policy decision (goal: median ≤ 1 µs; Cedar's published
// median is 4–11 µs), over a mix of contexts and actions that exercises permits, forbids and
// the default deny; and the same decision with its explanation (ids, citations, texts).
//
// Each benchmark runs 9 repetitions and reports their median, mean and spread.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "varsam/access.h"

namespace {

using namespace varsam::access;

struct Call {
  Context context;
  Action action;
  Resource resource;
};

const PolicySet& Set() {
  static const PolicySet set = [] {
    auto loaded = PolicySet::Load();
    if (!loaded.ok()) {
      std::fprintf(stderr, "bench_access: %s\n", std::string(loaded.status().message()).c_str());
      std::exit(1);
    }
    return *std::move(loaded);
  }();
  return set;
}

// 1024 calls cycling through purposes, organisation kinds, case kinds, actions and resources.
std::vector<Call> Calls() {
  auto base = ParseContext(
      R"({"actor": "a-17", "role": "handlaggare", "organisation": {"kind": "socialnamnd",
          "id": "0180"}, "purpose": "handlaggning", "case": {"ref": "c-9", "kind": "utredning",
          "led_to_investigation": true, "client": "k-1"}, "subject_client": "k-1",
          "time": "2026-11-28T10:00:00Z", "ethics_approval": null})");
  if (!base.ok()) std::exit(1);
  std::vector<Call> calls;
  for (int i = 0; i < 1024; ++i) {
    Call call{*base, static_cast<Action>(i % kActionCount), {}};
    call.context.purpose = static_cast<Purpose>((i / 11) % kPurposeCount);
    call.context.organisation.kind = static_cast<OrgKind>((i / 88) % kOrgKindCount);
    call.context.case_info->kind = static_cast<CaseKind>((i / 7) % kCaseKindCount);
    call.context.case_info->led_to_investigation = (i & 1) != 0;
    if (i % 3 == 0) call.context.subject_client = "k-2";
    if (i % 5 == 0) call.resource.model_kind = ModelKind::kRegisterTrained;
    if (i % 4 == 0) call.resource.decider_role = Role::kSystem;
    calls.push_back(call);
  }
  return calls;
}

void BM_PolicyDecision(benchmark::State& state) {
  const PolicySet& set = Set();
  const std::vector<Call> calls = Calls();
  size_t i = 0, allowed = 0;
  for (auto _ : state) {
    const Call& call = calls[i++ & 1023];
    const Verdict verdict = set.Decide(call.context, call.action, call.resource);
    allowed += verdict.allow;
    benchmark::DoNotOptimize(verdict);
  }
  state.counters["allowed"] =
      benchmark::Counter(static_cast<double>(allowed), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_PolicyDecision)->Repetitions(9)->ReportAggregatesOnly(true);

void BM_PolicyDecisionExplained(benchmark::State& state) {
  const PolicySet& set = Set();
  const std::vector<Call> calls = Calls();
  size_t i = 0;
  for (auto _ : state) {
    const Call& call = calls[i++ & 1023];
    Decision decision = set.DecideAndExplain(call.context, call.action, call.resource);
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_PolicyDecisionExplained)->Repetitions(9)->ReportAggregatesOnly(true);

}  // namespace
