// Not-on-track alerts against the synthetic population's truth (docs/outcomes.md, "How well
// the alerts find deterioration"): expected-treatment-response curves fitted through the
// Engine from the register of one half of a synthetic population (every case submitted with
// Engine::SubmitToRegister, as a host submits it), and every ORS series of the other half
// checked against them as Engine::MonitorOutcome checks a client's journal. The generator knows
// which clients it made deteriorate (synth::SeriesTruth, docs/synth.md): the share of them
// alerted by session 3 and by their last session, and the false alerts among the others, are
// measured against it.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"
#include "register_fixtures.h"
#include "store_fixtures.h"
#include "varsam/access.h"
#include "varsam/engine.h"
#include "varsam/instruments.h"
#include "varsam/outcomes.h"
#include "varsam/store.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace {

using namespace varsam;
using varsam::testing::TempDir;

constexpr std::size_t kClients = 100000;
constexpr std::uint64_t kSeed = 20261205;

// One ORS series of the monitored half, with what the generator made of it.
struct Monitored {
  synth::SeriesTruth truth;
  std::string case_ref;
  int sessions = 0;
  std::vector<store::Measurement> ors;
  std::vector<int> alliance_concerns;  // sessions whose SRS raised its flag, as the Engine reads
};

// Even clients' cases go to the register (their ORS only); odd clients' ORS series are kept to
// be monitored.
class Split : public synth::Sink {
 public:
  absl::Status Add(const synth::ClientRecord& record) override {
    const bool fit_half = index_++ % 2 == 0;
    if (fit_half) {
      for (submission::RegisterCase& c : synth::RegisterCases(record)) {
        if (!c.case_info->led_to_investigation) continue;
        for (engine::RegisterSubmission& e : c.episodes) {
          // Pseudonymised by the host's client id: 100,000 synthetic clients share the 33,668
          // official test numbers (docs/synth.md, "Clients").
          e.personnummer.clear();
          std::erase_if(e.measurements,
                        [](const store::Measurement& m) { return m.instrument != "ors"; });
          by_kind[c.case_info->kind].push_back(std::move(e));
        }
      }
      return absl::OkStatus();
    }
    for (const synth::Case& c : record.cases) {
      if (!c.series_truth) continue;
      Monitored m;
      m.truth = *c.series_truth;
      m.case_ref = c.id;
      m.sessions = c.sessions;
      for (const store::Measurement& form : record.measurements) {
        if (form.case_ref != c.id) continue;
        if (form.instrument == "ors") m.ors.push_back(form);
        if (form.instrument == "srs" && form.session > 0 &&
            std::find(form.flags.begin(), form.flags.end(), "alliance_concern") !=
                form.flags.end()) {
          m.alliance_concerns.push_back(form.session);
        }
      }
      if (!m.ors.empty()) monitored.push_back(std::move(m));
    }
    return absl::OkStatus();
  }
  std::size_t index_ = 0;
  std::map<access::CaseKind, std::vector<engine::RegisterSubmission>> by_kind;
  std::vector<Monitored> monitored;
};

struct Rate {
  std::size_t of = 0, hits = 0;
  void Add(bool hit) {
    ++of;
    hits += hit ? 1 : 0;
  }
  double share() const { return of == 0 ? 0 : static_cast<double>(hits) / of; }
};

}  // namespace

TEST_CASE("acceptance: alerts from register-fitted curves find the synthetic deteriorators",
          "[acceptance][outcomes]") {
  synth::Options options;
  options.seed = kSeed;
  options.clients = kClients;
  auto generator = synth::Generator::Create(options);
  REQUIRE(generator.ok());
  Split split;
  REQUIRE((*generator)->Run(split, 1).ok());

  TempDir dir;
  auto opened = varsam_test::OpenRegisterEngine(dir.Store());
  REQUIRE(opened.ok());
  auto engine = *std::move(opened);
  for (const auto& [kind, episodes] : split.by_kind) {
    constexpr std::size_t kBatch = 20000;
    for (std::size_t first = 0; first < episodes.size(); first += kBatch) {
      const std::size_t n = std::min(kBatch, episodes.size() - first);
      const absl::Status submitted = engine->SubmitToRegister(
          varsam_test::FollowUp(kind), std::span(episodes).subspan(first, n));
      INFO(submitted.message());
      REQUIRE(submitted.ok());
    }
  }
  outcomes::EtrSpec spec;
  spec.instrument = "ors";
  const auto kept = engine->FitCurves(varsam_test::FollowUp(access::CaseKind::kInsats), spec);
  INFO(kept.status().message());
  REQUIRE(kept.ok());
  const outcomes::EtrModel& model = kept->model;

  const instruments::Instrument* ors = instruments::Registry::Global().Find("ors");
  REQUIRE(ors != nullptr);
  std::vector<outcomes::Trajectory> trajectories;
  std::vector<const Monitored*> whose;
  std::size_t unsupported = 0;
  for (const Monitored& m : split.monitored) {
    auto trajectory = outcomes::BuildTrajectory(*ors, m.ors, {}, m.case_ref);
    REQUIRE(trajectory.ok());
    if (trajectory->points.size() < 2) continue;  // an intake only: nothing to check
    if (!outcomes::Supported(model, trajectory->intake())) {
      ++unsupported;
      continue;
    }
    // A deteriorator whose decline had not begun by the last session held showed nothing to
    // find: counted with neither group.
    if (m.truth.deteriorating && m.truth.onset_session >= trajectory->points.back().session) {
      continue;
    }
    trajectories.push_back(*std::move(trajectory));
    whose.push_back(&m);
  }

  // The alerts at a boundary percentile: the deteriorators found by session 3 and by their
  // last session (and those declining from session 1, by session 3), the others alerted at any
  // session (false alerts), and those of them with a temporary dip. Beside the generator's
  // truth, Hannan et al.'s own definition: every series reliably deteriorated at its last
  // session, whoever made it so.
  struct Found {
    Rate by3, by_last, from_start_by3, false_alerts, false_by3, dippers_false;
    Rate ended_worse_by3, ended_worse_by_last;
    // Every outcome alert the Engine raises: below the boundary, or the SRS's alliance flag.
    Rate any_by3, any_by_last, any_false, any_false_by3;
  };
  const auto alerts_at = [&](double percentile) {
    outcomes::EtrModel at = model;
    at.spec.boundary_percentile = percentile;
    Found f;
    for (std::size_t i = 0; i < trajectories.size(); ++i) {
      const auto checks = outcomes::Monitor(at, trajectories[i]);
      REQUIRE(checks.ok());
      bool alerted_by3 = false, alerted = false;
      for (const outcomes::SessionCheck& c : *checks) {
        if (c.track != outcomes::Track::kBelowBoundary) continue;
        alerted = true;
        if (c.session <= 3) alerted_by3 = true;
      }
      const synth::SeriesTruth& truth = whose[i]->truth;
      const int last_session = trajectories[i].points.back().session;
      bool any_by3 = alerted_by3, any = alerted;
      for (const int session : whose[i]->alliance_concerns) {
        if (session > last_session) continue;  // monitored up to the last ORS, as the ORS
        any = true;
        if (session <= 3) any_by3 = true;
      }
      const auto& last = trajectories[i].points.back().assessment;
      if (last && last->category == instruments::ChangeCategory::kReliablyDeteriorated) {
        f.ended_worse_by3.Add(alerted_by3);
        f.ended_worse_by_last.Add(alerted);
      }
      if (truth.deteriorating) {
        f.by3.Add(alerted_by3);
        f.by_last.Add(alerted);
        if (truth.onset_session == 1) f.from_start_by3.Add(alerted_by3);
        f.any_by3.Add(any_by3);
        f.any_by_last.Add(any);
      } else {
        f.false_alerts.Add(alerted);
        f.false_by3.Add(alerted_by3);
        if (truth.dips) f.dippers_false.Add(alerted);
        f.any_false.Add(any);
        f.any_false_by3.Add(any_by3);
      }
    }
    return f;
  };
  const auto pct = [](const Rate& r) {
    return Cat({std::to_string(r.hits), "/", std::to_string(r.of), " = ",
                std::to_string(100 * r.share()).substr(0, 4), " %"});
  };
  std::string table =
      "| boundary | deteriorators by session 3 | declining from session 1, by 3 | "
      "deteriorators by the last | false alerts | false by session 3 | false among dips | "
      "ended reliably worse, by 3 | ended reliably worse, by the last |\n";
  std::string with_alliance =
      "| boundary | deteriorators by session 3 | deteriorators by the last | false alerts | "
      "false by session 3 |\n";
  std::vector<Found> sweep;
  for (const double percentile : {5.0, 10.0, 20.0, 30.0}) {
    sweep.push_back(alerts_at(percentile));
    const Found& f = sweep.back();
    const std::string at = Cat({"| ", std::to_string(static_cast<int>(percentile)), "th | "});
    table += Cat({at, pct(f.by3), " | ", pct(f.from_start_by3), " | ", pct(f.by_last), " | ",
                  pct(f.false_alerts), " | ", pct(f.false_by3), " | ", pct(f.dippers_false), " | ",
                  pct(f.ended_worse_by3), " | ", pct(f.ended_worse_by_last), " |\n"});
    with_alliance += Cat({at, pct(f.any_by3), " | ", pct(f.any_by_last), " | ", pct(f.any_false),
                          " | ", pct(f.any_false_by3), " |\n"});
  }
  WARN("curves: " << model.fit.groups << " series of " << model.pseudonyms << " people, "
                  << model.fit.observations << " sessions after intake; series outside the "
                  << "supported intakes: " << unsupported << "\n"
                  << table << "\nEvery outcome alert (below the boundary, or SRS):\n"
                  << with_alliance);
  const Found& f = sweep[1];  // the default, the 10th percentile
  REQUIRE(f.by3.of > 300);
  REQUIRE(f.false_alerts.of > 5000);
  // What the default boundary does at least on this population: most deteriorators found by
  // their last session, most of those declining from the start by session 3, a minority of the
  // others alerted (docs/outcomes.md has the figures and why session 3 finds fewer).
  CHECK(f.by_last.share() >= 0.80);
  CHECK(f.from_start_by3.share() >= 0.65);
  CHECK(f.false_alerts.share() <= 0.25);
  // A wider boundary finds more and alerts more: the trade-off a service chooses.
  for (std::size_t i = 1; i < sweep.size(); ++i) {
    CHECK(sweep[i].by3.share() >= sweep[i - 1].by3.share());
    CHECK(sweep[i].false_alerts.share() >= sweep[i - 1].false_alerts.share());
  }
  // The generator's deteriorators rate the alliance lower (docs/synth.md): the SRS's alerts
  // find some of them by session 3 that the boundary does not.
  CHECK(f.any_by3.share() > f.by3.share());
}
