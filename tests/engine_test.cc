// The Engine (src/engine, include/varsam/engine.h): guard -> audit event -> work, suggestions
// and decisions, on a temporary SQLite store.

#include "varsam/engine.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "store_fixtures.h"
#include "varsam/core.h"
#include "varsam/ident.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace {

namespace fs = std::filesystem;
using varsam::Cat;
using namespace varsam;
using varsam::testing::TempDir;

audit::KeyProvider TestKey() {
  return [](std::span<std::uint8_t, 32> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0x3C ^ i);
    return absl::OkStatus();
  };
}

std::unique_ptr<engine::Engine> OpenEngine(const TempDir& dir) {
  engine::EngineOptions options;
  options.store = dir.Store();
  options.key = TestKey();
  options.audit.checkpoint_every_events = 5;
  auto opened = engine::Engine::Open(std::move(options));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

access::Context Officer(const std::string& client = "k-1", const std::string& actor = "a-17") {
  access::Context c;
  c.actor = actor;
  c.role = access::Role::kHandlaggare;
  c.organisation = {access::OrgKind::kSocialnamnd, "0180"};
  c.purpose = access::Purpose::kHandlaggning;
  c.case_info = access::CaseInfo{"c-9", access::CaseKind::kUtredning, true, "k-1"};
  c.subject_client = client;
  c.time = absl::FromUnixSeconds(1795860000);  // 2026-11-28
  return c;
}

// PHQ-9 with item 9 answered: raises the item-9 flag.
const std::vector<double> kFlaggedPhq9 = {1, 1, 1, 1, 1, 1, 1, 1, 2};

// k-1's form of `instrument` in Officer()'s case, session 1, no total.
store::Measurement OfficerForm(std::string instrument, std::vector<double> responses) {
  store::Measurement m;
  m.client_ref = "k-1";
  m.case_ref = "c-9";
  m.case_kind = "utredning";
  m.instrument = std::move(instrument);
  m.session = 1;
  m.date = Date(2026, 11, 28);
  m.responses = std::move(responses);
  return m;
}

std::vector<audit::AuditRecord> Events(store::Store& db) {
  std::vector<audit::AuditRecord> out;
  const auto last = db.LastAuditSeq();
  REQUIRE(last.ok());
  REQUIRE(db.ReadAudit(1, *last, [&](const store::AuditEvent& e) {
              auto parsed = audit::ParseEvent(e.payload);
              REQUIRE(parsed.ok());
              out.push_back(parsed->record);
              return true;
            }).ok());
  return out;
}

void CheckVerifies(engine::Engine& engine) {
  access::Context supervisor = Officer();
  supervisor.role = access::Role::kArbetsledare;
  supervisor.purpose = access::Purpose::kTillsyn;
  const auto report = engine.VerifyAudit(supervisor);
  REQUIRE(report.ok());
  CHECK(report->ok);
  CHECK(report->signatures_checked);
}

TEST_CASE("engine: an allowed score is audited and its flags are stored as open suggestions",
          "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const access::Context officer = Officer();
  const auto scored = engine->Score(officer, "phq9", kFlaggedPhq9);
  REQUIRE(scored.ok());
  REQUIRE_FALSE(scored->score.flags.empty());
  REQUIRE(scored->suggestion_ids.size() == scored->score.flags.size());
  for (const std::string& id : scored->suggestion_ids) {
    CHECK(id.size() == 32);
    const auto suggestion = engine->store_for_testing().GetSuggestion(id);
    REQUIRE(suggestion.ok());
    CHECK(suggestion->client_ref == "k-1");
    CHECK(suggestion->case_ref == "c-9");
    CHECK(suggestion->kind == "flag");
    const auto open = engine->IsOpen(officer, id);
    REQUIRE(open.ok());
    CHECK(*open);
  }
  const auto events = Events(engine->store_for_testing());
  REQUIRE(!events.empty());
  const audit::AuditRecord& first = events.front();
  CHECK(first.action == "score");
  CHECK(first.decision == audit::Decision::kAllow);
  CHECK(first.rules == std::vector<std::string>{"own-case"});
  CHECK(first.actor == "a-17");
  CHECK(first.case_ref == "c-9");
  CheckVerifies(*engine);
}

TEST_CASE("engine: a denied call returns PermissionDenied naming the rule and is audited",
          "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  // Journal read of another client's data in the officer's case.
  const access::Context other = Officer("k-2");
  int rows = 0;
  const absl::Status read = engine->History(other, "k-2", [&](const store::Measurement&) {
    ++rows;
    return true;
  });
  CHECK(read.code() == absl::StatusCode::kPermissionDenied);
  CHECK(std::string(read.message()).find("no-other-clients") != std::string::npos);
  CHECK(std::string(read.message()).find("k-2") == std::string::npos);
  CHECK(rows == 0);
  // A score for another client has no lawful basis.
  const auto score = engine->Score(other, "phq9", kFlaggedPhq9);
  CHECK(score.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(std::string(score.status().message()).find("no-lawful-basis") != std::string::npos);

  const auto events = Events(engine->store_for_testing());
  REQUIRE(events.size() == 2);
  CHECK(events[0].action == "journal.read");
  CHECK(events[0].decision == audit::Decision::kDeny);
  CHECK(events[0].rules == std::vector<std::string>{"no-other-clients"});
  CHECK(events[0].result == "permission_denied");
  CHECK(events[1].decision == audit::Decision::kDeny);
  CHECK(events[1].rules == std::vector<std::string>{"no-lawful-basis"});
  CheckVerifies(*engine);
}

TEST_CASE("engine: journal writes and reads go through the guard", "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const access::Context officer = Officer();
  store::Measurement m = OfficerForm("phq9", kFlaggedPhq9);
  REQUIRE(engine->AppendMeasurement(officer, m).ok());
  m.client_ref = "k-2";  // not the case's client: the policy decides so (no permit)
  CHECK(engine->AppendMeasurement(officer, m).status().code() ==
        absl::StatusCode::kPermissionDenied);
  int rows = 0;
  REQUIRE(engine
              ->History(officer, "k-1",
                        [&](const store::Measurement& row) {
                          CHECK(row.client_ref == "k-1");
                          ++rows;
                          return true;
                        })
              .ok());
  CHECK(rows == 1);
  CheckVerifies(*engine);
}

TEST_CASE("engine: a journal form's answers fit its instrument; without a total it is scored",
          "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const access::Context officer = Officer();
  store::Measurement m = OfficerForm("ors", {4.2, 5.0, 3.1, 6.5});  // no total: scored, 18.8
  REQUIRE(engine->AppendMeasurement(officer, m).ok());
  m.session = 2;
  m.responses = {5.0, 5.0, instruments::kMissing, 6.0};  // ORS allows no missing item: no total
  REQUIRE(engine->AppendMeasurement(officer, m).ok());
  m.session = 3;
  m.responses = {6.0, 6.0, 6.0, 6.0};
  m.total = 23;  // the host's own total is kept as given, even when the answers say 24
  REQUIRE(engine->AppendMeasurement(officer, m).ok());
  m.session = 4;
  m.responses = {};  // only the total was recorded
  m.total = 25;
  REQUIRE(engine->AppendMeasurement(officer, m).ok());
  m.session = 5;
  m.instrument = "not-an-instrument";
  m.responses = {6.0, 60.0};
  m.total.reset();
  REQUIRE(engine->AppendMeasurement(officer, m).ok());  // nothing to score it with: kept as is

  // Answers that do not fit a known instrument are refused before the guard: no event.
  const std::size_t events = Events(engine->store_for_testing()).size();
  m.instrument = "ors";
  m.responses = {6.0, 6.0, 6.0};  // three of four
  const auto too_few = engine->AppendMeasurement(officer, m);
  CHECK(too_few.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(too_few.status().message().find("measurement.responses") != std::string_view::npos);
  m.responses = {6.0, 6.0, 6.0, 10.5};  // the ORS's lines run 0-10
  const auto out_of_range = engine->AppendMeasurement(officer, m);
  CHECK(out_of_range.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(out_of_range.status().message().find("10.5") == std::string_view::npos);  // no answer
  CHECK(Events(engine->store_for_testing()).size() == events);

  std::vector<std::optional<double>> totals;
  REQUIRE(engine
              ->History(officer, "k-1",
                        [&](const store::Measurement& row) {
                          totals.push_back(row.total);
                          return true;
                        })
              .ok());
  REQUIRE(totals.size() == 5);
  REQUIRE(totals[0].has_value());
  CHECK(*totals[0] == Catch::Detail::Approx(18.8));
  CHECK_FALSE(totals[1].has_value());
  CHECK(totals[2] == std::optional<double>(23));
  CHECK(totals[3] == std::optional<double>(25));
  CHECK_FALSE(totals[4].has_value());
}

TEST_CASE("engine: a measurement goes into the context's case, not one the host names",
          "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const access::Context officer = Officer();  // case c-9, an utredning about k-1
  store::Measurement m = OfficerForm("phq9", kFlaggedPhq9);
  const std::size_t before = Events(engine->store_for_testing()).size();

  store::Measurement other_case = m;
  other_case.case_ref = "c-10";  // the same client's other case
  const auto into_other = engine->AppendMeasurement(officer, other_case);
  CHECK(into_other.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(into_other.status().message().find("context's case") != std::string_view::npos);
  store::Measurement other_kind = m;
  other_kind.case_kind = "anmalan";  // the right case said to be an anmälan
  CHECK(engine->AppendMeasurement(officer, other_kind).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // Refused before the policy is asked: no event, nothing written.
  CHECK(Events(engine->store_for_testing()).size() == before);
  int rows = 0;
  REQUIRE(engine
              ->History(officer, "k-1",
                        [&](const store::Measurement&) {
                          ++rows;
                          return true;
                        })
              .ok());
  CHECK(rows == 0);

  REQUIRE(engine->AppendMeasurement(officer, m).ok());
  CheckVerifies(*engine);
}

TEST_CASE("engine: a case officer's decision closes a suggestion; a system's is refused",
          "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const access::Context officer = Officer();
  const auto scored = engine->Score(officer, "phq9", kFlaggedPhq9);
  REQUIRE(scored.ok());
  REQUIRE_FALSE(scored->suggestion_ids.empty());
  const std::string id = scored->suggestion_ids.front();

  access::Context system = officer;
  system.actor = "svc-1";
  system.role = access::Role::kSystem;
  const auto refused = engine->RecordDecision(system, id, "accepted", "automatic");
  CHECK(refused.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(std::string(refused.status().message()).find("human-decides") != std::string::npos);
  {
    const auto open = engine->IsOpen(officer, id);
    REQUIRE(open.ok());
    CHECK(*open);
  }
  {
    // The same officer and client, working in the client's other case: a decision made there
    // closes none of this case's suggestions, and leaves no event.
    access::Context other_case = officer;
    other_case.case_info->ref = "c-10";
    const std::size_t before = Events(engine->store_for_testing()).size();
    const auto elsewhere = engine->RecordDecision(other_case, id, "accepted", "agreed");
    CHECK(elsewhere.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Events(engine->store_for_testing()).size() == before);
    const auto open = engine->IsOpen(officer, id);
    REQUIRE(open.ok());
    CHECK(*open);
  }

  const auto decided = engine->RecordDecision(officer, id, "accepted", "agreed with the flag");
  REQUIRE(decided.ok());
  {
    const auto open = engine->IsOpen(officer, id);
    REQUIRE(open.ok());
    CHECK_FALSE(*open);
  }
  CHECK(engine->RecordDecision(officer, id, "rejected", "again").status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(engine->RecordDecision(officer, id, "maybe", "").status().code() ==
        absl::StatusCode::kInvalidArgument);

  bool saw_deny = false;
  bool saw_allow = false;
  for (const audit::AuditRecord& e : Events(engine->store_for_testing())) {
    if (e.action != "decision.record") continue;
    if (e.decision == audit::Decision::kDeny) {
      saw_deny = true;
      CHECK(e.actor == "svc-1");
      CHECK(e.role == "system");
      CHECK(std::find(e.rules.begin(), e.rules.end(), "human-decides") != e.rules.end());
    } else {
      saw_allow = true;
      CHECK(e.rules == std::vector<std::string>{"officer-records-decision"});
    }
  }
  CHECK(saw_deny);
  CHECK(saw_allow);
  CheckVerifies(*engine);
}

TEST_CASE("engine: 8 threads scoring at once are each logged exactly once", "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  constexpr int kThreads = 8;
  constexpr int kCalls = 10;
  std::array<int, kThreads> failures{};
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&engine, &failures, t] {
        const access::Context officer = Officer("k-1", Cat({"a-", std::to_string(t)}));
        for (int i = 0; i < kCalls; ++i) {
          if (!engine->Score(officer, "phq9", kFlaggedPhq9).ok()) ++failures[t];
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  for (int f : failures) CHECK(f == 0);
  std::map<std::string, int> per_actor;
  for (const audit::AuditRecord& e : Events(engine->store_for_testing())) {
    CHECK(e.action == "score");
    CHECK(e.decision == audit::Decision::kAllow);
    ++per_actor[e.actor];
  }
  REQUIRE(per_actor.size() == kThreads);
  for (int t = 0; t < kThreads; ++t) CHECK(per_actor[Cat({"a-", std::to_string(t)})] == kCalls);
  CheckVerifies(*engine);
}

}  // namespace

namespace {

// The child of the crash test: guarded Score calls until it is killed, writing the count of
// acknowledged (returned) calls to `fd` after each.
[[noreturn]] void ScoreUntilKilled(const std::string& location, int fd) {
  engine::EngineOptions options;
  options.store = location;
  options.key = TestKey();
  options.audit.checkpoint_every_events = 7;
  auto opened = engine::Engine::Open(std::move(options));
  if (!opened.ok()) _exit(2);
  const access::Context officer = Officer();
  for (std::int64_t done = 1;; ++done) {
    if (!(*opened)->Score(officer, "phq9", kFlaggedPhq9).ok()) _exit(3);
    if (write(fd, &done, sizeof done) != static_cast<ssize_t>(sizeof done)) _exit(4);
  }
}

}  // namespace

TEST_CASE("engine: SIGKILL during guarded calls loses no acknowledged event, and verify passes",
          "[engine]") {
  TempDir dir;
  REQUIRE(store::Store::Init(dir.Store()).ok());
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();  // nothing of the store is open in this process yet
  REQUIRE(child >= 0);
  if (child == 0) {
    close(fds[0]);
    ScoreUntilKilled(dir.Store(), fds[1]);
  }
  close(fds[1]);
  std::int64_t acknowledged = 0, value = 0;
  while (acknowledged < 150 && read(fds[0], &value, sizeof value) == sizeof value) {
    acknowledged = value;
  }
  kill(child, SIGKILL);
  while (read(fds[0], &value, sizeof value) == sizeof value) acknowledged = value;
  close(fds[0]);
  int wstatus = 0;
  REQUIRE(waitpid(child, &wstatus, 0) == child);
  REQUIRE(WIFSIGNALED(wstatus));
  REQUIRE(acknowledged >= 150);

  // Reopened: every acknowledged call has its event (each call is one), and the log verifies,
  // checkpoints signed before the kill included.
  auto engine = OpenEngine(dir);
  const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
  const auto scores = std::count_if(events.begin(), events.end(), [](const auto& e) {
    return e.action == "score" && e.decision == audit::Decision::kAllow;
  });
  CHECK(scores >= acknowledged);
  CHECK(scores <= acknowledged + 1);  // at most the one in flight when killed
  CheckVerifies(*engine);
}

TEST_CASE("engine: the policy decides on the client a call concerns, not the one declared",
          "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const access::Context officer = Officer();
  // Asking for another client's journal: declared or not, it is another client's.
  for (const std::string declared : {"k-1", "k-2"}) {
    const access::Context context = Officer(declared);
    const absl::Status history =
        engine->History(context, "k-2", [](const store::Measurement&) { return true; });
    CHECK(history.code() == absl::StatusCode::kPermissionDenied);
    CHECK(std::string(history.message()).find("no-other-clients") != std::string::npos);
  }
  // A suggestion about the case's client may be decided even when the host declared another.
  const auto scored = engine->Score(officer, "phq9", kFlaggedPhq9);
  REQUIRE(scored.ok());
  REQUIRE_FALSE(scored->suggestion_ids.empty());
  const auto open = engine->IsOpen(Officer("k-2"), scored->suggestion_ids.front());
  REQUIRE(open.ok());
  CHECK(*open);
  // An unknown suggestion: the attempt is audited, then NotFound.
  CHECK(engine->RecordDecision(officer, "00000000000000000000000000000000", "accepted", "")
            .status()
            .code() == absl::StatusCode::kNotFound);

  const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
  REQUIRE(events.size() == 5);
  CHECK(events[0].action == "journal.read");
  CHECK(events[0].decision == audit::Decision::kDeny);
  CHECK(events[0].rules == std::vector<std::string>{"no-other-clients"});
  CHECK(events[1].decision == audit::Decision::kDeny);
  CHECK(events[3].action == "journal.read");
  CHECK(events[3].decision == audit::Decision::kAllow);
  CHECK(events[4].action == "decision.record");
  CheckVerifies(*engine);
}

TEST_CASE("engine: Check returns the policy's decision, allow or deny, and audits it", "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const auto allowed = engine->Check(Officer(), access::Action::kJournalRead);
  REQUIRE(allowed.ok());
  CHECK(allowed->allow);
  CHECK(allowed->rules == std::vector<std::string>{"own-case"});

  access::Context provider = Officer();
  provider.organisation = {access::OrgKind::kPrivatUtforare, "0180"};
  provider.purpose = access::Purpose::kUppfoljning;
  const auto denied = engine->Check(provider, access::Action::kInsightQuery);
  REQUIRE(denied.ok());  // a denial is an answer, not an error
  CHECK_FALSE(denied->allow);
  CHECK(std::find(denied->rules.begin(), denied->rules.end(), "private-provider") !=
        denied->rules.end());
  CHECK_FALSE(denied->citations.empty());
  CHECK_FALSE(denied->explanation_en.empty());

  const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
  REQUIRE(events.size() == 2);
  CHECK(events[0].result == "checked");
  CHECK(events[0].decision == audit::Decision::kAllow);
  CHECK(events[1].action == "insight.query");
  CHECK(events[1].organisation_kind == "privat_utforare");
  CHECK(events[1].decision == audit::Decision::kDeny);
  CHECK(events[1].result == "checked");
}

TEST_CASE("engine: open suggestions of a case; override rates per flag for a period", "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  const access::Context officer = Officer();
  // Three flagged forms: PHQ-9 item 9 twice, and one more PHQ-9 form on the next day.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    access::Context at = officer;
    at.time += absl::Hours(24 * i);
    const auto scored = engine->Score(at, "phq9", kFlaggedPhq9);
    REQUIRE(scored.ok());
    REQUIRE(scored->suggestion_ids.size() == scored->score.flags.size());
    for (const std::string& id : scored->suggestion_ids) ids.push_back(id);
  }
  REQUIRE(ids.size() >= 3);
  const auto open_ids = [&] {
    std::vector<std::string> out;
    REQUIRE(engine
                ->OpenSuggestions(officer,
                                  [&](const store::Suggestion& s) {
                                    CHECK(s.case_ref == "c-9");
                                    CHECK(s.client_ref == "k-1");
                                    out.push_back(s.id);
                                    return true;
                                  })
                .ok());
    return out;
  };
  {
    std::vector<std::string> open = open_ids();
    std::vector<std::string> expected = ids;
    std::sort(open.begin(), open.end());
    std::sort(expected.begin(), expected.end());
    CHECK(open == expected);
  }
  REQUIRE(engine->RecordDecision(officer, ids[0], "accepted", "agreed").ok());
  REQUIRE(engine->RecordDecision(officer, ids[1], "rejected", "known, handled").ok());
  {
    const std::vector<std::string> open = open_ids();
    CHECK(open.size() == ids.size() - 2);
    CHECK(std::find(open.begin(), open.end(), ids[0]) == open.end());
    CHECK(std::find(open.begin(), open.end(), ids[1]) == open.end());
  }
  // Another client's case: nothing of k-1's shows.
  access::Context other = Officer("k-2");
  other.case_info->client = "k-2";
  other.case_info->ref = "c-10";
  int others = 0;
  REQUIRE(engine->OpenSuggestions(other, [&](const store::Suggestion&) { return ++others, true; })
              .ok());
  CHECK(others == 0);

  // Override rates: a follow-up context of the board; a case officer may not ask.
  access::Context analyst = Officer();
  analyst.role = access::Role::kAnalytiker;
  analyst.purpose = access::Purpose::kUppfoljning;
  analyst.case_info.reset();
  analyst.subject_client.reset();
  const Date first = Date(2026, 11, 28);
  const auto rates = engine->OverrideRates(analyst, first, first + 2);
  REQUIRE(rates.ok());
  std::int64_t suggestions = 0;
  for (const engine::OverrideRate& r : *rates) suggestions += r.suggestions;
  CHECK(suggestions == static_cast<std::int64_t>(ids.size()));
  const auto item9 = std::find_if(rates->begin(), rates->end(), [](const engine::OverrideRate& r) {
    return r.code.rfind("phq9/", 0) == 0 && r.decided == 2;
  });
  REQUIRE(item9 != rates->end());
  CHECK(item9->kind == "flag");
  CHECK(item9->accepted == 1);
  CHECK(item9->rejected == 1);
  CHECK(item9->modified == 0);
  CHECK(item9->override_rate() == Approx(0.5));
  // Only the first day: the first form's suggestions.
  const auto day_one = engine->OverrideRates(analyst, first, first);
  REQUIRE(day_one.ok());
  std::int64_t day_one_count = 0;
  for (const engine::OverrideRate& r : *day_one) day_one_count += r.suggestions;
  CHECK(day_one_count == static_cast<std::int64_t>(ids.size() / 3));
  CHECK(engine->OverrideRates(officer, first, first).status().code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(engine->OverrideRates(analyst, first + 1, first).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("engine: audit proofs through the engine need audit.read", "[engine]") {
  TempDir dir;
  auto engine = OpenEngine(dir);
  for (int i = 0; i < 6; ++i) REQUIRE(engine->Score(Officer(), "phq9", kFlaggedPhq9).ok());
  access::Context supervisor = Officer();
  supervisor.role = access::Role::kArbetsledare;
  supervisor.purpose = access::Purpose::kTillsyn;
  CHECK(engine->ProveInclusion(Officer(), 1).status().code() ==
        absl::StatusCode::kPermissionDenied);
  const auto inclusion = engine->ProveInclusion(supervisor, 3);
  REQUIRE(inclusion.ok());
  CHECK(audit::VerifyInclusion(inclusion->leaf_hash, 2, inclusion->tree_size, inclusion->path,
                               inclusion->root));
  const auto consistency = engine->ProveConsistency(supervisor, 3);
  REQUIRE(consistency.ok());
  CHECK(consistency->new_size == 9);  // 6 scores, a denied proof, two proofs
  CHECK(audit::VerifyConsistency(3, consistency->new_size, consistency->old_root,
                                 consistency->new_root, consistency->path));
  CHECK(engine->ProveConsistency(supervisor, 20).status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("engine: a refused key or a failed open writes nothing to the audit log", "[engine]") {
  TempDir dir;
  engine::EngineOptions options;
  options.store = dir.Store();
  options.key = [](std::span<std::uint8_t, 32>) {
    return absl::UnauthenticatedError("the host's key store is locked");
  };
  CHECK(engine::Engine::Open(options).status().code() == absl::StatusCode::kUnauthenticated);
  options.key = TestKey();
  options.policy_packs = {"not a pack"};
  CHECK(engine::Engine::Open(options).status().code() == absl::StatusCode::kInvalidArgument);
  // The store holds neither an event nor a checkpoint (no checkpoint signed with no key).
  auto store = store::Store::Open(dir.Store());
  REQUIRE(store.ok());
  int checkpoints = 0;
  REQUIRE((*store)
              ->ReadCheckpoints([&](const store::Checkpoint&) { return ++checkpoints, true; })
              .ok());
  CHECK(checkpoints == 0);
  store->reset();
  auto engine = OpenEngine(dir);
  CheckVerifies(*engine);
}

namespace {

std::unique_ptr<engine::Engine> OpenRegisterEngine(const TempDir& dir) {
  engine::EngineOptions options;
  options.store = dir.Store();
  options.key = TestKey();
  options.register_options.key_epoch = 4;
  options.register_options.keys = [](std::int32_t epoch, std::span<std::uint8_t, 32> key) {
    if (epoch != 4) return absl::NotFoundError("no such epoch");
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0xA5 ^ i);
    return absl::OkStatus();
  };
  auto opened = engine::Engine::Open(std::move(options));
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// A follow-up context of the board, in a case that led to an investigation.
access::Context FollowUp() {
  access::Context c = Officer();
  c.role = access::Role::kAnalytiker;
  c.purpose = access::Purpose::kUppfoljning;
  return c;
}

engine::RegisterSubmission Episode() {
  engine::RegisterSubmission s;
  s.personnummer = "19850101-2382";  // an official Skatteverket test number
  s.client_ref = "K-77";
  s.age = 37;
  s.sex = "female";
  s.postal_code = "11120";  // Stockholm
  s.intervention = "familjebehandling";
  s.start = Date(2026, 3, 15);
  s.end = Date(2026, 11, 2);
  s.outcome = "improved";
  store::Measurement m;
  m.instrument = "phq9";
  m.session = 1;
  m.date = Date(2026, 3, 16);
  m.total = 14;
  m.band = "moderate";
  s.measurements = {m, m};
  s.measurements[1].session = 2;
  s.measurements[1].date = Date(2026, 10, 1);
  s.measurements[1].total = 6;
  s.measurements[1].band = "mild";
  return s;
}

// Every file of the store directory, as bytes.
std::string StoreBytes(const TempDir& dir) {
  std::string all;
  for (const auto& entry : fs::directory_iterator(dir.Store())) {
    std::ifstream in(entry.path(), std::ios::binary);
    all += std::string(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

// Whether `value` is in the store's bytes. The audit log and the register hold random tokens
// written out: digests, keys and ids in hexadecimal (SHA-256, HMAC, 64-bit ids of 16 digits) and
// times with microseconds ("…T06:45:06.963283Z"). A short run of digits such as a postal code
// turns up inside one of those by chance in about one run in fifty. So a match is a coincidence,
// not a leak, when it lies wholly inside a hexadecimal run of 16 or more characters, or, for a
// value of fewer than 8 digits and nothing else, inside a longer run of digits; any other match
// is a leak.
bool StoreHolds(const std::string& bytes, const std::string& value) {
  constexpr size_t kTokenRun = 16;
  constexpr size_t kShortNumber = 8;
  const auto within = [&](size_t at, const auto& is) {
    size_t begin = at;
    size_t end = at + value.size();
    for (size_t i = begin; i < end; ++i) {
      if (!is(static_cast<unsigned char>(bytes[i]))) return std::pair<size_t, size_t>{0, 0};
    }
    while (begin > 0 && is(static_cast<unsigned char>(bytes[begin - 1]))) --begin;
    while (end < bytes.size() && is(static_cast<unsigned char>(bytes[end]))) ++end;
    return std::pair<size_t, size_t>{begin, end};
  };
  const auto hex = [](unsigned char c) { return std::isxdigit(c) != 0; };
  const auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
  const bool short_number =
      value.size() < kShortNumber && std::all_of(value.begin(), value.end(), [&](char c) {
        return digit(static_cast<unsigned char>(c));
      });
  for (size_t at = bytes.find(value); at != std::string::npos; at = bytes.find(value, at + 1)) {
    const auto [hex_begin, hex_end] = within(at, hex);
    if (hex_end - hex_begin >= kTokenRun) continue;
    if (short_number) {
      const auto [digits_begin, digits_end] = within(at, digit);
      if (digits_end - digits_begin > value.size()) continue;
    }
    return true;
  }
  return false;
}

}  // namespace

TEST_CASE("engine: the store scan tells a leak from digits inside a random token", "[engine]") {
  const std::string digest = "48ac401d4c8ba8fc45259760de5a1445e4ca351863365a9593ce8f744c25b563";
  CHECK_FALSE(StoreHolds("event " + digest + " next", "18633"));
  CHECK(StoreHolds("postal 18633 next", "18633"));
  CHECK(StoreHolds("id 4c8ba18633ef next", "18633"));      // a short hex run is no digest
  CHECK(StoreHolds("event " + digest + "|K-77", "K-77"));  // beside a digest, not inside
  CHECK(StoreHolds(digest + " 18633 " + digest, "18633"));
  // A 64-bit id in hex, and a time's microseconds.
  CHECK_FALSE(StoreHolds("id 24b03a0e18633a49\n", "18633"));
  CHECK_FALSE(StoreHolds("2026-12-05T06:45:06.186330Z", "18633"));
  CHECK(StoreHolds("2026-12-05T06:45:06.186330Z", "186330"));  // the whole run: it is counted
  CHECK(StoreHolds("zip:18633;", "18633"));
  CHECK(StoreHolds("p 198001022386123", "198001022386"));  // a personnummer is never excused
}

TEST_CASE("engine: register submission stores only pseudonymised, generalised rows", "[engine]") {
  TempDir dir;
  {
    auto engine = OpenRegisterEngine(dir);
    const engine::RegisterSubmission episode = Episode();
    REQUIRE(engine->SubmitToRegister(FollowUp(), std::span(&episode, 1)).ok());
    std::vector<store::EpisodeRow> rows;
    REQUIRE(engine->store_for_testing()
                .ForEachEpisode({},
                                [&](const store::EpisodeRow& r) {
                                  rows.push_back(r);
                                  return true;
                                })
                .ok());
    REQUIRE(rows.size() == 1);
    const store::EpisodeRow& r = rows[0];
    CHECK(r.pseudonym.rfind("p1_", 0) == 0);
    CHECK(r.key_epoch == 4);
    CHECK(r.age_band == "35-39");
    CHECK(r.sex == "female");
    CHECK(r.region == "01");
    CHECK(r.case_kind == "utredning");
    CHECK(r.intervention == "familjebehandling");
    CHECK(r.start_period == "2026-Q1");
    CHECK(r.end_period == "2026-Q4");
    CHECK(r.outcome == "improved");
    CHECK(r.record_key != 0);
    std::vector<store::RegisterMeasurementRow> ms;
    REQUIRE(engine->store_for_testing()
                .ForEachRegisterMeasurement("",
                                            [&](const store::RegisterMeasurementRow& m) {
                                              ms.push_back(m);
                                              return true;
                                            })
                .ok());
    REQUIRE(ms.size() == 2);
    CHECK(ms[0].pseudonym == r.pseudonym);
    CHECK(ms[0].period == "2026-Q1");
    CHECK(ms[1].period == "2026-Q4");
    CHECK(ms[1].total == std::optional<double>(6));
    CHECK(ms[1].band == "mild");
    // The same person again (another spelling of the number): the same pseudonym.
    engine::RegisterSubmission again = Episode();
    again.personnummer = "198501012382";
    REQUIRE(engine->SubmitToRegister(FollowUp(), std::span(&again, 1)).ok());
    int same = 0;
    REQUIRE(engine->store_for_testing()
                .ForEachEpisode({},
                                [&](const store::EpisodeRow& e) {
                                  same += e.pseudonym == r.pseudonym;
                                  return true;
                                })
                .ok());
    CHECK(same == 2);
  }
  // No byte of the store's files holds the identifiers the host sent (the journal holds none
  // of them either: register submission writes only the register and the audit log).
  const std::string bytes = StoreBytes(dir);
  for (const std::string identifier :
       {"198501012382", "19850101-2382", "850101-2382", "8501012382", "K-77", "11120"}) {
    INFO(identifier);
    CHECK_FALSE(StoreHolds(bytes, identifier));
  }
}

TEST_CASE("engine: the register refuses reports, trade-union data, missing keys and bad data",
          "[engine]") {
  TempDir dir;
  auto engine = OpenRegisterEngine(dir);
  const engine::RegisterSubmission episode = Episode();
  const auto episodes = [&] {
    std::int64_t n = 0;
    REQUIRE(engine->store_for_testing().CountEpisodes({}).ok());
    n = *engine->store_for_testing().CountEpisodes({});
    return n;
  };
  // A report that did not lead to an investigation stays out.
  access::Context report = FollowUp();
  report.case_info->kind = access::CaseKind::kAnmalan;
  report.case_info->led_to_investigation = false;
  absl::Status refused = engine->SubmitToRegister(report, std::span(&episode, 1));
  CHECK(refused.code() == absl::StatusCode::kPermissionDenied);
  CHECK(std::string(refused.message()).find("reports-stay-out") != std::string::npos);
  // Trade-union data never goes in.
  engine::RegisterSubmission union_member = Episode();
  union_member.field_classes = {access::FieldClass::kTradeUnion};
  refused = engine->SubmitToRegister(FollowUp(), std::span(&union_member, 1));
  CHECK(refused.code() == absl::StatusCode::kPermissionDenied);
  CHECK(std::string(refused.message()).find("never-union") != std::string::npos);
  // A private provider may not compile a register.
  access::Context provider = FollowUp();
  provider.organisation.kind = access::OrgKind::kPrivatUtforare;
  CHECK(engine->SubmitToRegister(provider, std::span(&episode, 1)).code() ==
        absl::StatusCode::kPermissionDenied);
  // Bad data: the whole batch is refused, naming the submission and field, never the value.
  std::vector<engine::RegisterSubmission> batch = {Episode(), Episode()};
  batch[1].postal_code = "99999";
  refused = engine->SubmitToRegister(FollowUp(), batch);
  CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(refused.message()).find("submission 1: postal_code") != std::string::npos);
  CHECK(std::string(refused.message()).find("99999") == std::string::npos);
  batch[1] = Episode();
  batch[1].personnummer = varsam::Cat({"19850101-238", "3"});  // a wrong check digit
  refused = engine->SubmitToRegister(FollowUp(), batch);
  CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(refused.message()).find("2383") == std::string::npos);
  CHECK(episodes() == 0);
  // Without keys: FailedPrecondition, nothing written.
  TempDir other;
  auto keyless = OpenEngine(other);
  CHECK(keyless->SubmitToRegister(FollowUp(), std::span(&episode, 1)).code() ==
        absl::StatusCode::kFailedPrecondition);
  // Every attempt was audited.
  int submits = 0;
  for (const audit::AuditRecord& e : Events(engine->store_for_testing())) {
    submits += e.action == "register.submit";
  }
  CHECK(submits == 5);
  CheckVerifies(*engine);
}

TEST_CASE("engine: case lines go in case by case; refused and invalid ones are listed by line",
          "[engine]") {
  TempDir dir;
  auto engine = OpenRegisterEngine(dir);
  const std::string episode = DumpJson(submission::EpisodeJson(Episode()));
  engine::RegisterSubmission bad_episode = Episode();
  bad_episode.postal_code = "99999";
  const std::string bad = DumpJson(submission::EpisodeJson(bad_episode));
  const auto line = [&](std::string_view kind, bool led, std::string_view episodes) {
    return Cat({R"({"case": {"ref": "c-)", kind, R"(", "kind": ")", kind,
                R"(", "led_to_investigation": )", led ? "true" : "false",
                R"(, "client": "K-77"}, "episodes": [)", episodes, "]}\n"});
  };
  const std::string text = Cat({line("utredning", true, Cat({episode, ",", episode})), "\n",
                                line("anmalan", false, episode), line("insats", true, bad),
                                Cat({R"({"episodes": [)", episode, "]}\n"})});
  auto cases = submission::ParseCaseLines(text, FollowUp());
  REQUIRE(cases.ok());
  REQUIRE(cases->size() == 4);
  CHECK((*cases)[1].line == 3);
  CHECK((*cases)[1].context.subject_client == std::optional<std::string>("K-77"));
  std::atomic<std::size_t> done{0};
  auto result = engine->SubmitCases(*cases, 3, &done);
  REQUIRE(result.ok());
  CHECK(done.load() == 4);
  CHECK(result->cases == 4);
  CHECK(result->submitted == 2);
  CHECK(result->episodes == 3);
  CHECK(result->measurements == 6);
  CHECK(result->refused == 1);
  CHECK(result->invalid == 1);
  REQUIRE(result->rejected.size() == 2);
  CHECK(result->rejected[0].line == 3);
  CHECK(result->rejected[0].status.code() == absl::StatusCode::kPermissionDenied);
  CHECK(result->rejected[1].line == 4);
  CHECK(result->rejected[1].status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(StatusMessage(result->rejected[1].status).find("99999") == std::string_view::npos);
  CHECK(*engine->store_for_testing().CountEpisodes({}) == 3);
  const nlohmann::ordered_json json = engine::CasesSubmittedJson(*result);
  CHECK(DumpJson(json).rfind(
            R"({"cases":4,"submitted":2,"episodes":3,"measurements":6,"refused":1,"invalid":1,)"
            R"("rejected":[{"line":3,"status":"permission_denied","message":")",
            0) == 0);
  CHECK(json["rejected"][1]["status"] == "invalid_argument");
  // One audited call per case.
  int submits = 0;
  for (const audit::AuditRecord& e : Events(engine->store_for_testing())) {
    submits += e.action == "register.submit";
  }
  CHECK(submits == 4);
  CHECK(engine->SubmitCases(*cases, 0).status().code() == absl::StatusCode::kInvalidArgument);
  CheckVerifies(*engine);
}

TEST_CASE("engine: register exports are k-anonymous and l-diverse, checked independently",
          "[engine]") {
  TempDir dir;
  auto engine = OpenRegisterEngine(dir);
  // 300 episodes of 300 synthetic people: official test numbers, varied ages, places, dates.
  std::vector<std::string> numbers;
  ident::ForEachOfficialTestNumber([&](const ident::IdentityNumber& n) {
    if (numbers.size() < 300 && n.normalized().substr(0, 2) == "19") {
      numbers.emplace_back(n.normalized());
    }
  });
  REQUIRE(numbers.size() == 300);
  const std::vector<std::string> postal_codes = {"11120", "40010", "20001", "74151", "90100"};
  const std::vector<std::string> interventions = {"familjebehandling", "kontaktperson",
                                                  "missbruk_oppenvard"};
  const std::vector<std::string> outcomes = {"improved", "unchanged", "deteriorated"};
  std::vector<engine::RegisterSubmission> batch;
  for (size_t i = 0; i < numbers.size(); ++i) {
    engine::RegisterSubmission s = Episode();
    s.personnummer = numbers[i];
    s.age = static_cast<int>(18 + (i * 7) % 60);
    s.sex = i % 3 == 0 ? "male" : "female";
    s.postal_code = postal_codes[i % postal_codes.size()];
    s.intervention = interventions[(i / 5) % interventions.size()];
    s.start = Date(2025, 1, 1) + static_cast<int>((i * 37) % 700);
    s.end.reset();
    s.outcome = outcomes[(i / 2) % outcomes.size()];
    s.measurements.clear();
    batch.push_back(std::move(s));
  }
  {
    const absl::Status submitted = engine->SubmitToRegister(FollowUp(), batch);
    INFO(submitted.message());
    REQUIRE(submitted.ok());
  }

  for (const int l : {0, 2}) {
    engine::RegisterExportOptions options;
    options.k = 5;
    options.distinct_l = l;
    options.max_suppression = 0.05;
    const auto release = engine->ExportRegister(FollowUp(), options);
    REQUIRE(release.ok());
    INFO("l = " << l);
    CHECK(release->header.size() == 8);
    CHECK(release->quasi_identifiers.size() == 7);
    CHECK(release->rows.size() + release->search.suppressed == 300);
    CHECK(release->search.suppressed <= 15);
    // The independent counter: classes over the seven released quasi-identifiers.
    std::map<std::vector<std::string>, std::pair<int, std::set<std::string>>> classes;
    for (const auto& row : release->rows) {
      REQUIRE(row.size() == 8);
      auto& entry = classes[std::vector<std::string>(row.begin(), row.begin() + 7)];
      ++entry.first;
      entry.second.insert(row[7]);
      for (const std::string& value : row) CHECK(value.rfind("p1_", 0) != 0);  // no pseudonym
    }
    for (const auto& [key, entry] : classes) {
      CHECK(entry.first >= 5);
      if (l == 2) CHECK(entry.second.size() >= 2);
    }
    CHECK(release->search.release.max_risk <= 0.2);
  }
  // A case officer in case handling may not export; nor may a private provider.
  CHECK(engine->ExportRegister(Officer(), {}).status().code() ==
        absl::StatusCode::kPermissionDenied);
  access::Context provider = FollowUp();
  provider.organisation.kind = access::OrgKind::kPrivatUtforare;
  CHECK(engine->ExportRegister(provider, {}).status().code() ==
        absl::StatusCode::kPermissionDenied);
}

namespace {
// Keeps the synthetic clients a generator makes.
class Collect : public synth::Sink {
 public:
  absl::Status Add(const synth::ClientRecord& record) override {
    records.push_back(record);
    return absl::OkStatus();
  }
  std::vector<synth::ClientRecord> records;
};
}  // namespace

TEST_CASE("engine: no identifier of a submitted population is in any byte of the store",
          "[engine]") {
  // A synthetic population (official test numbers, invented names, streets, phones, e-mails):
  // every case of every client submitted, then every file of the store scanned for every
  // identifier the host held, in every written form.
  synth::Options population;
  population.clients = 150;
  population.seed = 11;
  auto generator = synth::Generator::Create(population);
  REQUIRE(generator.ok());
  Collect clients;
  REQUIRE((*generator)->Run(clients).ok());

  TempDir dir;
  {
    auto engine = OpenRegisterEngine(dir);
    std::vector<engine::RegisterSubmission> batch;
    for (const synth::ClientRecord& record : clients.records) {
      for (submission::RegisterCase& c : synth::RegisterCases(record)) {
        // Sometimes only the host's client id.
        if (batch.size() % 4 == 3) c.episodes.front().personnummer.clear();
        batch.push_back(std::move(c.episodes.front()));
      }
    }
    REQUIRE(batch.size() > 200);
    REQUIRE(engine->SubmitToRegister(FollowUp(), batch).ok());
    REQUIRE(engine->store_for_testing().CountEpisodes({}).value() ==
            static_cast<std::int64_t>(batch.size()));
  }
  const std::string bytes = StoreBytes(dir);
  size_t scanned = 0;
  for (const synth::ClientRecord& record : clients.records) {
    const synth::Client& c = record.client;
    const auto number = ident::Check(c.personnummer, population.reference_date);
    REQUIRE(number.ok());
    for (const std::string& identifier :
         {c.personnummer, c.personnummer.substr(2),
          varsam::Cat({c.personnummer.substr(0, 8), "-", c.personnummer.substr(8)}),
          ident::TenDigitForm(number.number, population.reference_date), c.id, c.first_name,
          c.surname, c.street_address, c.postal_code, c.phone, c.email}) {
      if (identifier.size() < 4) continue;  // too short to be told from other bytes
      INFO(c.id << ": " << identifier);
      CHECK_FALSE(StoreHolds(bytes, identifier));
      ++scanned;
    }
  }
  CHECK(scanned > 1000);
}

namespace {

// ---- Adversarial submissions: identifiers where the register takes none ----------------------

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// Every spelling of one synthetic client's identifiers that a host might let slip into a field.
// Numbers are built at run time from the client's official test number, never written down.
struct Identifiers {
  std::string number;                // twelve digits (normalised), for the scans
  std::vector<std::string> numbers;  // written forms of the identity number, odd ones included
  std::vector<std::string> others;   // client id, name, phone, e-mail, street, in several cases
  std::vector<std::string> all() const {
    std::vector<std::string> out = numbers;
    out.insert(out.end(), others.begin(), others.end());
    return out;
  }
};

Identifiers IdentifiersOf(const synth::Client& c, Date today) {
  Identifiers id;
  const std::string& n = c.personnummer;
  REQUIRE(n.size() == 12);
  id.number = n;
  const std::string ymd8 = n.substr(0, 8), ymd6 = n.substr(2, 6), last4 = n.substr(8);
  const auto checked = ident::Check(n, today);
  REQUIRE(checked.ok());
  id.numbers = {n,
                Cat({ymd8, "-", last4}),
                n.substr(2),
                Cat({ymd6, "-", last4}),
                Cat({ymd6, "+", last4}),
                ident::TenDigitForm(checked.number, today),
                Cat({ymd8, " ", last4}),
                Cat({ymd6, " ", last4}),
                Cat({ymd8, "+", last4}),
                Cat({ymd8, " - ", last4}),
                Cat({ymd6, "  ", last4}),
                Cat({n.substr(0, 4), "-", n.substr(4, 2), "-", n.substr(6, 2), "-", last4}),
                Cat({ymd6, ".", last4}),
                Cat({ymd6, "\xE2\x80\x93", last4}),  // an en dash
                Cat({ymd8, "\t", last4})};
  std::string phone_digits;
  for (const char ch : c.phone) {
    if (ch >= '0' && ch <= '9') phone_digits.push_back(ch);
  }
  REQUIRE(phone_digits.size() > 4);
  const std::string name = Cat({c.first_name, " ", c.surname});
  id.others = {c.id,
               Lower(c.id),
               Cat({c.id.substr(0, 1), " ", c.id.substr(1)}),
               name,
               Upper(name),
               Lower(name),
               Cat({c.surname, ", ", c.first_name}),
               c.phone,
               phone_digits,
               Cat({"+46 ", phone_digits.substr(1, 2), " ", phone_digits.substr(3)}),
               c.email,
               Upper(c.email),
               Cat({"<", c.email, ">"}),
               c.street_address,
               Upper(c.street_address),
               Lower(c.street_address)};
  return id;
}

// Where an identifier is put: the register's closed fields, and the identity-number field
// itself for what is not an identity number.
enum class Site { kSex, kIntervention, kOutcome, kPostalCode, kInstrument, kBand, kPersonnummer };
constexpr Site kSites[] = {Site::kSex,         Site::kIntervention, Site::kOutcome,
                           Site::kPostalCode,  Site::kInstrument,   Site::kBand,
                           Site::kPersonnummer};

std::string_view FieldName(Site site) {
  switch (site) {
    case Site::kSex: return "sex";
    case Site::kIntervention: return "intervention";
    case Site::kOutcome: return "outcome";
    case Site::kPostalCode: return "postal_code";
    case Site::kInstrument: return "instrument";
    case Site::kBand: return "band";
    case Site::kPersonnummer: return "personnummer";
  }
  return "";
}

// The identifier alone, or at an edge of a legitimate value, with or without a separator.
constexpr int kPlacements = 12;
std::string Place(std::string_view legit, std::string_view identifier, int placement) {
  switch (placement % kPlacements) {
    case 0: return std::string(identifier);
    case 1: return Cat({legit, identifier});
    case 2: return Cat({identifier, legit});
    case 3: return Cat({legit, " ", identifier});
    case 4: return Cat({identifier, " ", legit});
    case 5: return Cat({legit, ";", identifier});
    case 6: return Cat({legit, "\t", identifier});
    case 7: return Cat({legit, "\n", identifier});
    case 8: return Cat({legit, ",", identifier});
    case 9: return Cat({identifier, "/", legit});
    case 10: return Cat({"  ", identifier, "  "});
    default: return Cat({legit, "\r\n", identifier, "\r\n"});
  }
}

// A legitimate submission for a synthetic client, the number in one of its accepted forms
// (`form` chooses), or only the host's client id.
engine::RegisterSubmission GoodSubmission(const synth::Client& c, const Identifiers& id, int form) {
  engine::RegisterSubmission s = Episode();
  switch (form % 6) {
    case 0: s.personnummer = id.numbers[0]; break;  // twelve digits
    case 1: s.personnummer = id.numbers[1]; break;  // YYYYMMDD-NNNN
    case 2: s.personnummer = id.numbers[2]; break;  // ten digits
    case 3: s.personnummer = id.numbers[5]; break;  // the ten-digit form of the day
    case 4: s.personnummer = Cat({" ", id.numbers[1], "\t"}); break;  // surrounding space
    default: s.personnummer = ""; break;                              // the client id only
  }
  s.client_ref = c.id;
  s.postal_code = c.postal_code;
  s.sex = c.sex == ident::Sex::kFemale ? "female" : "male";
  return s;
}

// Puts `value` at `site` of `s` (for measurement sites: in its last measurement).
void Inject(engine::RegisterSubmission& s, Site site, const std::string& value) {
  REQUIRE(!s.measurements.empty());
  switch (site) {
    case Site::kSex: s.sex = value; break;
    case Site::kIntervention: s.intervention = value; break;
    case Site::kOutcome: s.outcome = value; break;
    case Site::kPostalCode: s.postal_code = value; break;
    case Site::kInstrument: s.measurements.back().instrument = value; break;
    case Site::kBand: s.measurements.back().band = value; break;
    case Site::kPersonnummer: s.personnummer = value; break;
  }
}

// The legitimate value of `site` in `s` that an identifier is glued to.
std::string LegitAt(const engine::RegisterSubmission& s, Site site) {
  switch (site) {
    case Site::kSex: return s.sex;
    case Site::kIntervention: return s.intervention;
    case Site::kOutcome: return s.outcome;
    case Site::kPostalCode: return s.postal_code;
    case Site::kInstrument: return s.measurements.back().instrument;
    case Site::kBand: return s.measurements.back().band.value_or("");
    case Site::kPersonnummer: return s.personnummer;
  }
  return "";
}

// The register's contents, counted.
std::pair<std::int64_t, std::int64_t> RegisterCounts(store::Store& db) {
  const auto episodes = db.CountEpisodes({});
  REQUIRE(episodes.ok());
  std::int64_t measurements = 0;
  REQUIRE(db.ForEachRegisterMeasurement("", [&](const store::RegisterMeasurementRow&) {
              ++measurements;
              return true;
            }).ok());
  return {*episodes, measurements};
}

// A refusal of submission `index` for `field`: InvalidArgument naming both, holding none of
// `secrets` and no identity number at all.
void CheckRefusal(const absl::Status& status, size_t index, std::string_view field,
                  const std::vector<std::string>& secrets, Date today) {
  const std::string message(status.message());
  INFO(message);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(message.find(Cat({"submission ", std::to_string(index), ":"})) != std::string::npos);
  CHECK(message.find(field) != std::string::npos);
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;
    CHECK(message.find(secret) == std::string::npos);
  }
  CHECK(ident::FindAll(message, today).empty());
}

// The scan of the closed store: no used spelling of any identifier, nor any injected value,
// nor any identity number of the clients (whatever its spelling, by varsam's own scanner).
void CheckStoreHoldsNone(const TempDir& dir, const std::set<std::string>& used,
                         const std::set<std::string>& numbers, Date today) {
  const std::string bytes = StoreBytes(dir);
  REQUIRE(!bytes.empty());
  size_t scanned = 0;
  for (const std::string& value : used) {
    if (value.size() < 4) continue;  // too short to be told from other bytes
    INFO(value);
    CHECK_FALSE(StoreHolds(bytes, value));
    ++scanned;
  }
  CHECK(scanned > 100);
  ident::Scan(bytes, today, [&](const ident::Match& m) {
    CHECK(numbers.count(std::string(m.number.normalized())) == 0);
  });
}

std::vector<synth::ClientRecord> Population(std::size_t clients, std::uint64_t seed) {
  synth::Options population;
  population.clients = clients;
  population.seed = seed;
  auto generator = synth::Generator::Create(population);
  REQUIRE(generator.ok());
  Collect collected;
  REQUIRE((*generator)->Run(collected).ok());
  REQUIRE(collected.records.size() == clients);
  return std::move(collected.records);
}

// A synthetic population with each client's identifiers in every spelling: `used` holds every
// spelling and postal code, `numbers` each client's normalised number.
struct Adversaries {
  std::vector<synth::ClientRecord> records;
  std::vector<Identifiers> ids;
  std::set<std::string> used, numbers;
};
Adversaries AdversariesOf(std::size_t clients, std::uint64_t seed, Date today) {
  Adversaries a;
  a.records = Population(clients, seed);
  for (const synth::ClientRecord& r : a.records) {
    a.ids.push_back(IdentifiersOf(r.client, today));
    a.numbers.insert(a.ids.back().number);
    for (const std::string& form : a.ids.back().all()) a.used.insert(form);
    a.used.insert(r.client.postal_code);
  }
  return a;
}

}  // namespace

TEST_CASE(
    "engine: identifiers in the wrong fields of a submission are refused, named without "
    "their value, and nothing of the batch is written",
    "[engine]") {
  // Every identifier of a synthetic client (the number in fifteen spellings, client id, name,
  // phone, e-mail, street, in upper and lower case) put into each of the register's closed
  // fields (sex, intervention, outcome, postal code, a measurement's instrument or band) and,
  // for what is not a valid identity number, into the identity-number field: alone, or glued
  // to an edge of a legitimate value with and without separators. Each bad submission sits
  // among good ones; the whole batch must be refused and nothing of it written. Then the
  // fields the register does not use (a measurement's client, case and flags) are shown to be
  // dropped. Finally every byte of the closed store is scanned for every spelling used.
  const Date today(2026, 11, 28);  // the contexts' time
  const Adversaries adversaries = AdversariesOf(6, 23, today);
  const std::vector<synth::ClientRecord>& records = adversaries.records;
  const std::vector<Identifiers>& ids = adversaries.ids;
  std::set<std::string> used = adversaries.used;
  const std::set<std::string>& numbers = adversaries.numbers;
  TempDir dir;
  size_t refusals = 0;
  std::set<std::pair<Site, int>> covered;  // (site, placement) pairs tried
  {
    auto engine = OpenRegisterEngine(dir);
    store::Store& db = engine->store_for_testing();
    // Good batches first, every accepted spelling of every number: the register is not empty.
    std::vector<engine::RegisterSubmission> good;
    for (size_t i = 0; i < records.size(); ++i) {
      for (int form = 0; form < 6; ++form) {
        good.push_back(GoodSubmission(records[i].client, ids[i], form));
      }
    }
    REQUIRE(engine->SubmitToRegister(FollowUp(), good).ok());
    const auto start = RegisterCounts(db);
    REQUIRE(start.first == static_cast<std::int64_t>(good.size()));
    REQUIRE(start.second == static_cast<std::int64_t>(2 * good.size()));

    int counter = 0;
    for (size_t victim = 0; victim < 3; ++victim) {
      const Identifiers& id = ids[victim];
      for (const Site site : kSites) {
        for (const std::string& form : id.all()) {
          // The identity-number field takes every spelling ident::Check accepts; those are not
          // misplaced there.
          if (site == Site::kPersonnummer && ident::Check(form, today).ok()) continue;
          ++counter;
          // Three good submissions of other clients around the bad one, at a rotating index.
          std::vector<engine::RegisterSubmission> batch;
          for (size_t k = 0; k < 4; ++k) {
            const size_t who = (victim + 1 + k) % records.size();
            batch.push_back(GoodSubmission(records[who].client, ids[who], counter + k));
          }
          const size_t bad = static_cast<size_t>(counter) % batch.size();
          batch[bad] = GoodSubmission(records[victim].client, id, counter);
          const std::string value = Place(LegitAt(batch[bad], site), form, counter);
          Inject(batch[bad], site, value);
          used.insert(value);
          INFO("site " << FieldName(site) << ", placement " << counter % kPlacements);
          const absl::Status status = engine->SubmitToRegister(FollowUp(), batch);
          CheckRefusal(status, bad, FieldName(site), {value, form}, today);
          for (const std::string& secret : id.all()) {
            if (secret.size() >= 4)
              CHECK(std::string(status.message()).find(secret) == std::string::npos);
          }
          CHECK(RegisterCounts(db) == start);
          ++refusals;
          covered.emplace(site, counter % kPlacements);
        }
      }
    }
    // Every placement was tried at every site.
    CHECK(covered.size() == static_cast<size_t>(kPlacements) * std::size(kSites));

    // The fields of a measurement the register does not take (the journal's client, case and
    // flags) are dropped: the batch is accepted, and none of their values reaches a byte.
    engine::RegisterSubmission dropped = GoodSubmission(records[5].client, ids[5], 0);
    for (store::Measurement& m : dropped.measurements) {
      m.client_ref = ids[4].numbers[1];
      m.case_ref = Cat({"case ", ids[4].others[3]});
      m.flags = {ids[4].others[10], ids[4].numbers[6]};
      m.responses = {1, 2, 3};
    }
    used.insert(dropped.measurements[0].case_ref);
    REQUIRE(engine->SubmitToRegister(FollowUp(), std::span(&dropped, 1)).ok());
    CHECK(RegisterCounts(db) == std::pair(start.first + 1, start.second + 2));
    CheckVerifies(*engine);
  }
  CHECK(refusals > 300);
  CheckStoreHoldsNone(dir, used, numbers, today);
}

TEST_CASE(
    "engine: randomised batches with an identifier in a random field and spelling are "
    "refused whole; accepted ones leave no identifier in the store",
    "[engine]") {
  const Date today(2026, 11, 28);
  const std::uint32_t seed = 20261128;
  std::mt19937 rng(seed);
  const auto pick = [&](size_t n) {
    return static_cast<size_t>(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  const Adversaries adversaries = AdversariesOf(20, 31, today);
  const std::vector<synth::ClientRecord>& records = adversaries.records;
  const std::vector<Identifiers>& ids = adversaries.ids;
  std::set<std::string> used = adversaries.used;
  const std::set<std::string>& numbers = adversaries.numbers;
  TempDir dir;
  int refused = 0, accepted = 0;
  {
    auto engine = OpenRegisterEngine(dir);
    store::Store& db = engine->store_for_testing();
    for (int round = 0; round < 300; ++round) {
      INFO("seed " << seed << ", round " << round);
      std::vector<engine::RegisterSubmission> batch;
      const size_t size = 1 + pick(5);
      for (size_t k = 0; k < size; ++k) {
        const size_t who = pick(records.size());
        batch.push_back(GoodSubmission(records[who].client, ids[who], static_cast<int>(pick(6))));
      }
      const auto before = RegisterCounts(db);
      if (pick(5) == 0) {  // a good batch
        REQUIRE(engine->SubmitToRegister(FollowUp(), batch).ok());
        CHECK(RegisterCounts(db) == std::pair(before.first + static_cast<std::int64_t>(size),
                                              before.second + 2 * static_cast<std::int64_t>(size)));
        ++accepted;
        continue;
      }
      const size_t bad = pick(size);
      const size_t victim = pick(records.size());
      const std::vector<std::string> forms = ids[victim].all();
      Site site = kSites[pick(std::size(kSites))];
      std::string form = forms[pick(forms.size())];
      // The identity-number field takes every spelling ident::Check accepts: there, pick one
      // it refuses.
      while (site == Site::kPersonnummer && ident::Check(form, today).ok()) {
        form = forms[pick(forms.size())];
      }
      // Upper or lower case on top, some of the time.
      const size_t casing = pick(3);
      if (casing == 1) form = Upper(form);
      if (casing == 2) form = Lower(form);
      const std::string value =
          Place(LegitAt(batch[bad], site), form, static_cast<int>(pick(kPlacements)));
      Inject(batch[bad], site, value);
      used.insert(value);
      used.insert(form);
      INFO("site " << FieldName(site));
      const absl::Status status = engine->SubmitToRegister(FollowUp(), batch);
      std::vector<std::string> secrets = ids[victim].all();
      secrets.push_back(value);
      secrets.push_back(form);
      CheckRefusal(status, bad, FieldName(site), secrets, today);
      CHECK(RegisterCounts(db) == before);
      ++refused;
    }
    CheckVerifies(*engine);
  }
  CHECK(refused > 150);
  CHECK(accepted > 20);
  CheckStoreHoldsNone(dir, used, numbers, today);
}
