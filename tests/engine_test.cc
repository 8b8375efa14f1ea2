// The Engine (src/engine, include/varsam/engine.h): guard -> audit event -> work, suggestions
// and decisions, on a temporary SQLite store.

#include "varsam/engine.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "store_fixtures.h"
#include "varsam/core.h"

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
  store::Measurement m;
  m.client_ref = "k-1";
  m.case_ref = "c-9";
  m.case_kind = "utredning";
  m.instrument = "phq9";
  m.session = 1;
  m.date = Date(2026, 11, 28);
  m.responses = kFlaggedPhq9;
  REQUIRE(engine->AppendMeasurement(officer, m).ok());
  m.client_ref = "k-2";
  CHECK(engine->AppendMeasurement(officer, m).status().code() ==
        absl::StatusCode::kInvalidArgument);
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
