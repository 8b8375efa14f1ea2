// Models through the Engine (src/engine/models.cc, include/varsam/engine.h "Models"): a model
// trained from the register is kept beside it with its hash in the audit log; applied in a
// case it is an open suggestion that only an officer's decision closes; every refusal leaves
// nothing stored. Run on SQLite and, when the run has a server, on PostgreSQL. Synthetic
// people only (tests/model_fixtures.h).

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "model_fixtures.h"
#include "store_fixtures.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/insights.h"
#include "varsam/models.h"
#include "varsam/outcomes.h"

namespace {

using namespace varsam;
using varsam::testing::ForEachLocation;

audit::KeyProvider TestKey() {
  return [](std::span<std::uint8_t, 32> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0x5A ^ i);
    return absl::OkStatus();
  };
}

std::unique_ptr<engine::Engine> OpenEngine(const std::string& location,
                                           std::vector<std::string> packs = {},
                                           bool group_in_store = false) {
  engine::EngineOptions options;
  options.store = location;
  options.key = TestKey();
  options.policy_packs = std::move(packs);
  options.insights.group_in_store = group_in_store;
  auto opened = engine::Engine::Open(std::move(options));
  INFO(opened.status().message());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// The synthetic register of tests/model_fixtures.h, written into the store's register part.
void FillRegister(engine::Engine& engine) {
  const varsam_test::Register reg = varsam_test::MakeRegister();
  REQUIRE(engine.store_for_testing().AppendEpisodes(reg.episodes).ok());
  REQUIRE(engine.store_for_testing().AppendRegisterMeasurements(reg.measurements).ok());
}

constexpr absl::Time kTime = absl::FromUnixSeconds(1796464800);  // 2026-12-05T10:00:00Z

// An analyst of the social welfare board doing follow-up: may train (`follow-up`).
access::Context Analyst() {
  access::Context c;
  c.actor = "analys-3";
  c.role = access::Role::kAnalytiker;
  c.organisation = {access::OrgKind::kSocialnamnd, "0180"};
  c.purpose = access::Purpose::kUppfoljning;
  c.time = kTime;
  return c;
}

// A case officer in the client's own case of `kind`.
access::Context Officer(access::CaseKind kind = access::CaseKind::kInsats, bool led = true) {
  access::Context c;
  c.actor = "handl-17";
  c.role = access::Role::kHandlaggare;
  c.organisation = {access::OrgKind::kSocialnamnd, "0180"};
  c.purpose = access::Purpose::kHandlaggning;
  c.case_info = access::CaseInfo{"arende-41", kind, led, "klient-8"};
  c.subject_client = "klient-8";
  c.time = kTime;
  return c;
}

models::ModelSpec Spec(std::string_view json = varsam_test::kSpecJson) {
  auto spec = models::ParseModelSpec(json);
  INFO(spec.status().message());
  REQUIRE(spec.ok());
  return *std::move(spec);
}

constexpr std::string_view kCase =
    R"({"age_band": "18-24", "sex": "male", "region": "01", "intervention": "stodsamtal",
        "intake_total:phq9": 21})";

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

std::int64_t CountModels(store::Store& db) {
  std::int64_t n = 0;
  REQUIRE(db.ForEachModel([&](const store::StoredModel&) {
              ++n;
              return true;
            }).ok());
  return n;
}

std::int64_t CountSuggestions(store::Store& db) {
  std::int64_t n = 0;
  REQUIRE(db.ForEachSuggestion({}, [&](const store::Suggestion&, const store::Decision*) {
              ++n;
              return true;
            }).ok());
  return n;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(VARSAM_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

engine::KeptModel Train(engine::Engine& engine) {
  auto kept = engine.TrainModel(Analyst(), Spec(), "Avbrott i stöd, syntetiskt register");
  INFO(kept.status().message());
  REQUIRE(kept.ok());
  return *std::move(kept);
}

TEST_CASE(
    "engine: a trained model is kept with its hash audited; applied, it is an open suggestion "
    "only an officer's decision closes",
    "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillRegister(*engine);
    store::Store& db = engine->store_for_testing();

    std::vector<std::string> stages;
    auto kept = engine->TrainModel(Analyst(), Spec(), "Avbrott i stöd, syntetiskt register",
                                   [&](std::string_view stage, std::int64_t) {
                                     if (stages.empty() || stages.back() != stage) {
                                       stages.emplace_back(stage);
                                     }
                                   });
    INFO(kept.status().message());
    REQUIRE(kept.ok());
    CHECK(stages == std::vector<std::string>{"reading the register", "building the training set",
                                             "fitting", "assessing fairness", "keeping the model"});
    CHECK(kept->id.size() == 32);
    CHECK(kept->file.sha256.size() == 64);
    CHECK(kept->file.name == "Avbrott i stöd, syntetiskt register");
    CHECK(kept->file.training.trained_at == "2026-12-05T10:00:00Z");
    // Every episode of the register (all insats, all with an outcome) is a training row.
    CHECK(kept->file.training.rows ==
          static_cast<std::int64_t>(varsam_test::MakeRegister().episodes.size()));
    const auto stored = db.GetModel(kept->id);
    REQUIRE(stored.ok());
    CHECK(stored->model_json == kept->json);
    CHECK(stored->sha256 == kept->file.sha256);
    CHECK(stored->kind == "register_trained");
    // The kept bytes are the model file: it parses, and its hash is the recorded one.
    const auto reread = models::ParseModelFile(stored->model_json);
    REQUIRE(reread.ok());
    CHECK(reread->sha256 == kept->file.sha256);

    std::vector<audit::AuditRecord> events = Events(db);
    REQUIRE(events.size() >= 2);
    CHECK(events[events.size() - 2].action == "model.train");
    CHECK(events[events.size() - 2].decision == audit::Decision::kAllow);
    CHECK(events[events.size() - 2].rules == std::vector<std::string>{"follow-up"});
    CHECK(events.back().action == "model.train");
    CHECK(events.back().result == Cat({"trained model ", kept->id, " sha256 ", kept->file.sha256}));

    std::vector<std::string> listed;
    REQUIRE(engine
                ->ListModels(Analyst(),
                             [&](const store::StoredModel& m) {
                               listed.push_back(m.id);
                               return true;
                             })
                .ok());
    CHECK(listed == std::vector<std::string>{kept->id});

    // Applied by the officer in the client's own case: an open suggestion with its reasons.
    const access::Context officer = Officer();
    auto applied = engine->ApplyModel(officer, kept->id, kCase);
    INFO(applied.status().message());
    REQUIRE(applied.ok());
    CHECK(applied->model_sha256 == kept->file.sha256);
    REQUIRE(applied->suggestion_id.size() == 32);
    CHECK(applied->prediction.probability > 0);
    CHECK(applied->prediction.probability < 1);
    CHECK(applied->prediction.parts.size() == kept->file.model.features().size());
    CHECK_FALSE(applied->prediction.summary_en.empty());
    CHECK_FALSE(applied->prediction.summary_sv.empty());
    // The same case's prediction straight from the models component: the engine adds nothing.
    const auto row = models::ParseCaseFeatures(kept->file, kCase);
    REQUIRE(row.ok());
    const auto direct = models::Apply(kept->file, *row);
    REQUIRE(direct.ok());
    CHECK(applied->prediction.probability == direct->probability);

    const auto suggestion = db.GetSuggestion(applied->suggestion_id);
    REQUIRE(suggestion.ok());
    CHECK(suggestion->kind == "model");
    CHECK(suggestion->client_ref == "klient-8");
    CHECK(suggestion->case_ref == "arende-41");
    const auto content = nlohmann::json::parse(suggestion->content_json);
    CHECK(content["model"] == kept->id);
    CHECK(content["sha256"] == kept->file.sha256);
    CHECK(content["probability"].get<double>() == applied->prediction.probability);
    CHECK(content["summary_en"].size() == applied->prediction.summary_en.size());
    CHECK_FALSE(content.contains("suggestion"));

    events = Events(db);
    CHECK(events.back().action == "model.apply");
    CHECK(events.back().decision == audit::Decision::kAllow);
    CHECK(events.back().rules == std::vector<std::string>{"own-case"});
    CHECK(events.back().result == Cat({"model ", kept->id, " sha256 ", kept->file.sha256}));

    // Open until a human officer decides: a system account is refused by the floor.
    auto open = engine->IsOpen(officer, applied->suggestion_id);
    REQUIRE(open.ok());
    CHECK(*open);
    access::Context system = officer;
    system.role = access::Role::kSystem;
    const auto by_system =
        engine->RecordDecision(system, applied->suggestion_id, "accepted", "automatiskt");
    CHECK(by_system.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(by_system.status().message()), Catch::Contains("human-decides"));
    open = engine->IsOpen(officer, applied->suggestion_id);
    REQUIRE(open.ok());
    CHECK(*open);
    REQUIRE(engine->RecordDecision(officer, applied->suggestion_id, "rejected", "Känd situation.")
                .ok());
    open = engine->IsOpen(officer, applied->suggestion_id);
    REQUIRE(open.ok());
    CHECK_FALSE(*open);

    // Override rates per model id.
    const auto rates = engine->OverrideRates(Analyst(), Date(2026, 12, 1), Date(2026, 12, 31));
    REQUIRE(rates.ok());
    REQUIRE(rates->size() == 1);
    CHECK((*rates)[0].kind == "model");
    CHECK((*rates)[0].code == kept->id);
    CHECK((*rates)[0].suggestions == 1);
    CHECK((*rates)[0].rejected == 1);
    CHECK((*rates)[0].override_rate() == 1.0);
  });
}

TEST_CASE("engine: every refusal of a model call leaves nothing stored", "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillRegister(*engine);
    store::Store& db = engine->store_for_testing();
    const engine::KeptModel kept = Train(*engine);
    const std::int64_t models_before = CountModels(db);
    REQUIRE(models_before == 1);

    const auto last_event = [&] { return Events(db).back(); };

    SECTION("a register-trained model in an anmälan: reports-evidence-only") {
      for (access::CaseKind kind :
           {access::CaseKind::kAnmalan, access::CaseKind::kForhandsbedomning}) {
        const auto applied = engine->ApplyModel(Officer(kind, false), kept.id, kCase);
        CHECK(applied.status().code() == absl::StatusCode::kPermissionDenied);
        CHECK_THAT(std::string(applied.status().message()),
                   Catch::Contains("reports-evidence-only"));
        CHECK_THAT(std::string(applied.status().message()), Catch::Contains("SKR 2023"));
        const audit::AuditRecord event = last_event();
        CHECK(event.action == "model.apply");
        CHECK(event.decision == audit::Decision::kDeny);
        CHECK(event.rules == std::vector<std::string>{"reports-evidence-only"});
      }
    }
    SECTION("model.train by a private provider") {
      access::Context provider = Analyst();
      provider.organisation.kind = access::OrgKind::kPrivatUtforare;
      const auto trained = engine->TrainModel(provider, Spec());
      CHECK(trained.status().code() == absl::StatusCode::kPermissionDenied);
      CHECK_THAT(std::string(trained.status().message()), Catch::Contains("private-provider"));
      CHECK(last_event().result == "permission_denied");
      // An officer handling a case may not train either (no lawful basis).
      CHECK(engine->TrainModel(Officer(), Spec()).status().code() ==
            absl::StatusCode::kPermissionDenied);
    }
    SECTION("an unknown model id") {
      const auto applied = engine->ApplyModel(Officer(), std::string(32, '0'), kCase);
      CHECK(applied.status().code() == absl::StatusCode::kNotFound);
      CHECK(last_event().result == "no model");
      CHECK(engine->ApplyModel(Officer(), "not-an-id", kCase).status().code() ==
            absl::StatusCode::kNotFound);
    }
    SECTION("a spec naming a class that must not be a model's input") {
      const std::pair<const char*, const char*> forbidden[] = {
          {"trade_union", "never-union-features"},
          {"nationality", "no-origin-proxies"},
          {"ethnic_origin", "no-origin-proxies"},
          {"disability", "no-health-proxies"},
          {"health_diagnosis", "no-health-proxies"},
          {"economic_assistance", "no-assistance-proxies"}};
      for (const auto& [feature, rule] : forbidden) {
        INFO(feature);
        const models::ModelSpec spec =
            Spec(Cat({R"({"target": "dropout", "features": ["age_band", ")", feature,
                      R"("], "learner": {"kind": "logistic"}})"}));
        REQUIRE(spec.protected_classes == std::vector<std::string>{feature});
        const auto trained = engine->TrainModel(Analyst(), spec);
        CHECK(trained.status().code() == absl::StatusCode::kPermissionDenied);
        CHECK_THAT(std::string(trained.status().message()), Catch::Contains(rule));
        CHECK(last_event().rules == std::vector<std::string>{rule});
      }
      // Receipt of economic assistance hides in the intervention feature over every
      // intervention: implied, and refused the same way. Within other interventions it is not.
      const models::ModelSpec hidden = Spec(
          R"({"target": "dropout", "features": ["age_band", "intervention"],
              "learner": {"kind": "logistic"}})");
      CHECK(hidden.protected_classes.empty());
      const auto trained = engine->TrainModel(Analyst(), hidden);
      CHECK(trained.status().code() == absl::StatusCode::kPermissionDenied);
      CHECK_THAT(std::string(trained.status().message()), Catch::Contains("no-assistance-proxies"));
    }
    SECTION("a malformed spec") {
      // The JSON form is refused by the loader, naming the field.
      const auto parsed = models::ParseModelSpec(R"({"target": "dropout", "features": []})");
      CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
      // A spec the register cannot serve is refused by the training, after the guard.
      models::ModelSpec no_features = Spec();
      no_features.features.clear();
      CHECK(engine->TrainModel(Analyst(), no_features).status().code() ==
            absl::StatusCode::kInvalidArgument);
      models::ModelSpec no_rows = Spec();
      no_rows.case_kinds = {"uppfoljning"};
      CHECK(engine->TrainModel(Analyst(), no_rows).status().code() ==
            absl::StatusCode::kInvalidArgument);
    }
    SECTION("case features that do not fit the model") {
      const auto applied = engine->ApplyModel(Officer(), kept.id, R"({"shoe_size": 44})");
      CHECK(applied.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(engine->ApplyModel(Officer(), kept.id, "{").status().code() ==
            absl::StatusCode::kInvalidArgument);
    }
    SECTION("a malformed or changed model file, or a register-trained one offered") {
      const auto added = engine->AddEvidenceModel(Analyst(), kept.json);
      CHECK(added.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(engine->AddEvidenceModel(Analyst(), "{").status().code() ==
            absl::StatusCode::kInvalidArgument);
      std::string changed = ReadFixture("model-evidence-example.json");
      const size_t at = changed.find("EXAMPLE ONLY");
      REQUIRE(at != std::string::npos);
      changed[at + 8] = '0';  // "EXAMPLE 0NLY": the hash no longer matches
      CHECK(engine->AddEvidenceModel(Analyst(), changed).status().code() ==
            absl::StatusCode::kDataLoss);
    }
    CHECK(CountModels(db) == models_before);
    CHECK(CountSuggestions(db) == 0);
  });
}

TEST_CASE(
    "engine: an evidence-based model applies in an anmälan in memory only; elsewhere it is a "
    "suggestion",
    "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    store::Store& db = engine->store_for_testing();
    const std::string file = ReadFixture("model-evidence-example.json");
    // Taking a host's model in is model.train: not for an officer handling a case.
    CHECK(engine->AddEvidenceModel(Officer(), file).status().code() ==
          absl::StatusCode::kPermissionDenied);
    auto kept = engine->AddEvidenceModel(Analyst(), file);
    INFO(kept.status().message());
    REQUIRE(kept.ok());
    CHECK(kept->file.kind == models::ModelKind::kEvidenceBased);
    CHECK(Events(db).back().result == Cat({"evidence-based model sha256 ", kept->file.sha256}));

    constexpr std::string_view kReport =
        R"({"earlier_reports": "two_or_more", "child_under_3": "yes",
            "caregiver_substance_use": "no", "protective_network": "no"})";
    const auto in_report =
        engine->ApplyModel(Officer(access::CaseKind::kAnmalan, false), kept->id, kReport);
    INFO(in_report.status().message());
    REQUIRE(in_report.ok());
    CHECK(in_report->suggestion_id.empty());
    CHECK(in_report->prediction.points_total == 4);  // 2 + 1 + 0 + 1 (the fixture's points)
    CHECK(in_report->prediction.points_label == "high");
    CHECK(std::isnan(in_report->prediction.probability));
    CHECK(CountSuggestions(db) == 0);
    const audit::AuditRecord event = Events(db).back();
    CHECK(event.action == "model.apply");
    CHECK(event.decision == audit::Decision::kAllow);
    CHECK(event.result == Cat({"model ", kept->id, " sha256 ", kept->file.sha256}));
    const nlohmann::ordered_json out = engine::ModelApplicationJson(*in_report);
    CHECK(out["suggestion"].is_null());
    CHECK(out["probability"].is_null());
    CHECK(out["points_label"] == "high");

    // In an investigation the same model's output is kept as an open suggestion.
    const auto in_investigation =
        engine->ApplyModel(Officer(access::CaseKind::kUtredning), kept->id, kReport);
    REQUIRE(in_investigation.ok());
    CHECK(in_investigation->suggestion_id.size() == 32);
    CHECK(CountSuggestions(db) == 1);
  });
}

TEST_CASE("engine: a lifted proxy rule lets the policy pass; the register still has no such data",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    const std::string pack = R"({"format": "varsam-policy/1", "id": "host-0180", "rules": [],
        "disable": [{"rule": "no-health-proxies",
                     "reason": "Nämndens beslut 2026-11-02 § 14: en avgränsad studie"}]})";
    auto engine = OpenEngine(location, {pack});
    FillRegister(*engine);
    const models::ModelSpec spec = Spec(
        R"({"target": "dropout", "features": ["age_band", "disability"],
            "learner": {"kind": "logistic"}})");
    const auto trained = engine->TrainModel(Analyst(), spec);
    // The policy allowed it (the event says so); the training set refuses a class the
    // register does not hold, and nothing is kept.
    CHECK(trained.status().code() == absl::StatusCode::kFailedPrecondition);
    const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().decision == audit::Decision::kAllow);
    // The event names the lift the call relied on; the host's pack holds its reason.
    CHECK(events.back().result == "model training; lifted no-health-proxies by host-0180");
    CHECK(CountModels(engine->store_for_testing()) == 0);
    // A call the lifted rule never concerned names no lift.
    CHECK(engine->TrainModel(Analyst(), Spec()).ok());
    const std::vector<audit::AuditRecord> after = Events(engine->store_for_testing());
    CHECK(after[after.size() - 2].result == "model training");
  });
}

TEST_CASE("engine: concurrent applications of one model each leave one event and one suggestion",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillRegister(*engine);
    const engine::KeptModel kept = Train(*engine);
    const std::int64_t events_before =
        static_cast<std::int64_t>(Events(engine->store_for_testing()).size());
    constexpr int kThreads = 4, kEach = 5;
    std::vector<std::vector<std::string>> ids(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          const auto applied = engine->ApplyModel(Officer(), kept.id, kCase);
          if (applied.ok()) ids[t].push_back(applied->suggestion_id);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    std::set<std::string> distinct;
    for (const auto& list : ids) {
      CHECK(list.size() == static_cast<size_t>(kEach));
      distinct.insert(list.begin(), list.end());
    }
    CHECK(distinct.size() == static_cast<size_t>(kThreads * kEach));
    CHECK(CountSuggestions(engine->store_for_testing()) == kThreads * kEach);
    const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
    CHECK(static_cast<std::int64_t>(events.size()) - events_before == kThreads * kEach);
    for (std::size_t i = static_cast<std::size_t>(events_before); i < events.size(); ++i) {
      CHECK(events[i].action == "model.apply");
      CHECK(events[i].result == Cat({"model ", kept.id, " sha256 ", kept.file.sha256}));
    }
  });
}

// ---- Outcome curves: one more kind of model -----------------------------------------------------

// 400 synthetic people's ORS series in the register: intake U(5, 35), sessions 2..8 rising
// towards 30 with noise, one series each.
void FillOrsSeries(engine::Engine& engine) {
  std::mt19937_64 rng(41);
  std::uniform_real_distribution<double> intake_of(5, 35);
  std::normal_distribution<double> noise(0, 2.5);
  std::vector<store::RegisterMeasurementRow> rows;
  for (int person = 0; person < 400; ++person) {
    const std::string digits = std::to_string(person);
    const std::string pseudonym = std::string("p1_").append(43 - digits.size(), 'D').append(digits);
    const double intake = std::round(intake_of(rng) * 10) / 10;
    const double gain = 0.35 * (40 - intake);
    for (int session = 1; session <= 2 + person % 7; ++session) {
      store::RegisterMeasurementRow row;
      row.pseudonym = pseudonym;
      row.key_epoch = 1;
      row.instrument = "ors";
      row.session = session;
      row.period = "2025-Q2";
      const double expected =
          intake + gain * std::log(static_cast<double>(session)) / std::log(8.0);
      row.total = session == 1 ? intake : std::clamp(expected + noise(rng), 0.0, 40.0);
      row.record_key = rng() | 1;
      rows.push_back(row);
    }
  }
  REQUIRE(engine.store_for_testing().AppendRegisterMeasurements(rows).ok());
}

// The client's own ORS and SRS series in the officer's case: intake 18, then worse and worse;
// the SRS of session 3 raised its alliance flag.
void FillClientSeries(engine::Engine& engine) {
  const double ors[] = {18.0, 22.0, 17.0, 9.5, 8.0};
  for (int session = 1; session <= 5; ++session) {
    for (const std::string_view instrument : {"ors", "srs"}) {
      store::Measurement m;
      m.client_ref = "klient-8";
      m.case_ref = "arende-41";
      m.case_kind = "insats";
      m.instrument = std::string(instrument);
      m.session = session;
      m.date = Date(2026, 9, 7) + 7 * (session - 1);
      m.responses = {instruments::kMissing, instruments::kMissing, instruments::kMissing,
                     instruments::kMissing};
      m.total = instrument == "ors" ? ors[session - 1] : (session == 3 ? 33.0 : 38.5);
      if (instrument == "srs" && session == 3) m.flags = {"alliance_concern"};
      REQUIRE(engine.store_for_testing().AppendMeasurements(std::span(&m, 1)).ok());
    }
  }
}

engine::KeptCurves FitOrsCurves(engine::Engine& engine) {
  outcomes::EtrSpec spec;
  spec.instrument = "ors";
  auto kept = engine.FitCurves(Analyst(), spec, "ORS, synthetic register");
  INFO(kept.status().message());
  REQUIRE(kept.ok());
  return *std::move(kept);
}

TEST_CASE("engine: curves fitted from the register are kept with their hash in the audit log",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    const engine::KeptCurves kept = FitOrsCurves(*engine);
    CHECK(kept.model.fit.groups == 400);
    CHECK(kept.model.spec.scale_max == 40);
    CHECK(kept.model.fit.beta[1] > 0);  // the series rise with log(session)
    store::Store& db = engine->store_for_testing();
    const auto stored = db.GetModel(kept.id);
    REQUIRE(stored.ok());
    CHECK(stored->kind == "etr");
    CHECK(stored->sha256 == kept.model.sha256);
    CHECK(stored->model_json == kept.json);
    const std::vector<audit::AuditRecord> events = Events(db);
    CHECK(events.back().action == "model.train");
    CHECK(events.back().result == Cat({"trained etr ", kept.id, " sha256 ", kept.model.sha256}));
    // Only aggregates: no pseudonym of the register is in the file.
    CHECK(kept.json.find("p1_") == std::string::npos);
    // Curves for an instrument the library does not know are refused before anything is read.
    outcomes::EtrSpec unknown;
    unknown.instrument = "okand";
    CHECK(engine->FitCurves(Analyst(), unknown).status().code() == absl::StatusCode::kNotFound);
    CHECK(CountModels(db) == 1);
  });
}

TEST_CASE(
    "engine: a client below the boundary gets one outcome suggestion per session, "
    "closed only by an officer",
    "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    FillClientSeries(*engine);
    const engine::KeptCurves kept = FitOrsCurves(*engine);
    const auto outcome = engine->MonitorOutcome(Officer(), kept.id);
    INFO(outcome.status().message());
    REQUIRE(outcome.ok());
    CHECK(outcome->supported);
    CHECK(outcome->trajectory.points.size() == 5);
    REQUIRE(outcome->checks.size() == 4);
    // Sessions 4 and 5 lie far below any curve rising from 18; 2 lies above the expected one.
    CHECK(outcome->checks[0].track == outcomes::Track::kOnTarget);
    CHECK(outcome->checks[2].track == outcomes::Track::kBelowBoundary);
    CHECK(outcome->checks[3].track == outcomes::Track::kBelowBoundary);
    CHECK(outcome->alliance_concerns == std::vector<int>{3});
    std::set<std::pair<std::string, int>> raised;
    for (const engine::OutcomeAlert& a : outcome->raised) raised.emplace(a.reason, a.session);
    CHECK(raised.count({"below_boundary", 4}) == 1);
    CHECK(raised.count({"below_boundary", 5}) == 1);
    CHECK(raised.count({"alliance", 3}) == 1);
    const std::size_t below = static_cast<std::size_t>(std::count_if(
        outcome->checks.begin(), outcome->checks.end(), [](const outcomes::SessionCheck& c) {
          return c.track == outcomes::Track::kBelowBoundary;
        }));
    CHECK(outcome->raised.size() == below + 1);

    // The suggestion says what and why, in both languages, with the model's hash.
    store::Store& db = engine->store_for_testing();
    const auto stored = db.GetSuggestion(outcome->raised.front().suggestion_id);
    REQUIRE(stored.ok());
    CHECK(stored->kind == "outcome");
    const auto content = ParseJson(stored->content_json, "content");
    REQUIRE(content.ok());
    CHECK((*content)["sha256"] == kept.model.sha256);
    CHECK(std::string((*content)["message_sv"]).find("inget beslut") != std::string::npos);
    const std::vector<audit::AuditRecord> events = Events(db);
    CHECK(events.back().action == "model.apply");
    CHECK(events.back().result == Cat({"etr ", kept.id, " sha256 ", kept.model.sha256}));
    CHECK(events[events.size() - 2].action == "journal.read");

    // Asked again, nothing new is raised.
    const auto again = engine->MonitorOutcome(Officer(), kept.id);
    REQUIRE(again.ok());
    CHECK(again->raised.empty());
    CHECK(CountSuggestions(db) == static_cast<std::int64_t>(outcome->raised.size()));

    // Open until a human officer decides.
    const std::string& id = outcome->raised.front().suggestion_id;
    access::Context system = Officer();
    system.role = access::Role::kSystem;
    CHECK(engine->RecordDecision(system, id, "accepted", "automatiskt").status().code() ==
          absl::StatusCode::kPermissionDenied);
    REQUIRE(engine->RecordDecision(Officer(), id, "accepted", "Samtal bokat om upplägget.").ok());
    const auto open = engine->IsOpen(Officer(), id);
    REQUIRE(open.ok());
    CHECK_FALSE(*open);
  });
}

TEST_CASE(
    "engine: outcome monitoring is refused in a report and for a private provider's "
    "follow-up, and stores nothing",
    "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    FillClientSeries(*engine);
    const engine::KeptCurves kept = FitOrsCurves(*engine);
    // Curves are learned from the register: `reports-evidence-only` refuses them in an anmälan.
    const auto in_report = engine->MonitorOutcome(Officer(access::CaseKind::kAnmalan), kept.id);
    CHECK(in_report.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(in_report.status().message()), Catch::Contains("reports-evidence-only"));
    // A private provider may not process data for follow-up (`private-provider`).
    access::Context provider = Officer();
    provider.organisation = {access::OrgKind::kPrivatUtforare, "hvb-7"};
    provider.purpose = access::Purpose::kUppfoljning;
    const auto by_provider = engine->MonitorOutcome(provider, kept.id);
    CHECK(by_provider.status().code() == absl::StatusCode::kPermissionDenied);
    access::Context provider_fit = Analyst();
    provider_fit.organisation = {access::OrgKind::kPrivatUtforare, "hvb-7"};
    outcomes::EtrSpec spec;
    CHECK(engine->FitCurves(provider_fit, spec).status().code() ==
          absl::StatusCode::kPermissionDenied);
    // The client chart with the curves applies them as well: refused alike. Without curves
    // it is the client's own journal, which the officer of the anmälan may read.
    const auto chart_in_report = engine->ClientChart(Officer(access::CaseKind::kAnmalan), "ors",
                                                     kept.id, outcomes::Language::kSwedish);
    CHECK(chart_in_report.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(chart_in_report.status().message()),
               Catch::Contains("reports-evidence-only"));
    const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
    CHECK(events.back().action == "model.apply");
    CHECK(events.back().result == "permission_denied");
    CHECK(events.back().decision == audit::Decision::kDeny);
    CHECK(events[events.size() - 2].action == "journal.read");
    CHECK(events[events.size() - 2].decision == audit::Decision::kAllow);
    CHECK(engine
              ->ClientChart(Officer(access::CaseKind::kAnmalan), "ors", "",
                            outcomes::Language::kSwedish)
              .ok());
    CHECK(engine->ClientChart(provider, "ors", kept.id, outcomes::Language::kSwedish)
              .status()
              .code() == absl::StatusCode::kPermissionDenied);
    CHECK(CountSuggestions(engine->store_for_testing()) == 0);
    CHECK(CountModels(engine->store_for_testing()) == 1);
    // A model that is not curves is not found as curves.
    CHECK(engine->MonitorOutcome(Officer(), "0123456789abcdef0123456789abcdef").status().code() ==
          absl::StatusCode::kNotFound);
  });
}

TEST_CASE("engine: a client's forms sent unscored are monitored from their answers",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    const engine::KeptCurves kept = FitOrsCurves(*engine);
    // What a case system sends after each session: the client's marks on the lines, in cm, with
    // no total and no flag. The ORS falls from 18 as in FillClientSeries; on the SRS, session 2
    // has an item below 9, session 4 a drop of 0.8 (less than 1) and session 5 one of 1.6.
    const double ors[] = {18.0, 22.0, 17.0, 9.5, 8.0};
    const std::vector<std::vector<double>> srs = {{9.5, 9.5, 9.5, 9.5},
                                                  {9.5, 9.5, 8.5, 9.5},
                                                  {9.8, 9.8, 9.8, 9.8},
                                                  {9.6, 9.6, 9.6, 9.6},
                                                  {9.2, 9.2, 9.2, 9.2}};
    for (int session = 1; session <= 5; ++session) {
      store::Measurement m;
      m.client_ref = "klient-8";
      m.case_ref = "arende-41";
      m.case_kind = "insats";
      m.session = session;
      m.date = Date(2026, 9, 7) + 7 * (session - 1);
      m.instrument = "ors";
      m.responses = std::vector<double>(4, ors[session - 1] / 4);
      REQUIRE(engine->AppendMeasurement(Officer(), m).ok());
      m.instrument = "srs";
      m.responses = srs[static_cast<std::size_t>(session - 1)];
      REQUIRE(engine->AppendMeasurement(Officer(), m).ok());
    }
    const auto outcome = engine->MonitorOutcome(Officer(), kept.id);
    INFO(outcome.status().message());
    REQUIRE(outcome.ok());
    REQUIRE(outcome->trajectory.points.size() == 5);
    CHECK(outcome->trajectory.intake() == Approx(18.0));
    REQUIRE(outcome->checks.size() == 4);
    CHECK(outcome->checks[2].track == outcomes::Track::kBelowBoundary);
    CHECK(outcome->checks[3].track == outcomes::Track::kBelowBoundary);
    CHECK(outcome->alliance_concerns == std::vector<int>{2, 5});
    std::set<std::pair<std::string, int>> raised;
    for (const engine::OutcomeAlert& a : outcome->raised) raised.emplace(a.reason, a.session);
    CHECK(raised.count({"alliance", 2}) == 1);
    CHECK(raised.count({"alliance", 4}) == 0);
    CHECK(raised.count({"alliance", 5}) == 1);
    CHECK(raised.count({"below_boundary", 4}) == 1);
  });
}

TEST_CASE("engine: the client chart shows the client's series with its curves", "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    FillClientSeries(*engine);
    const engine::KeptCurves kept = FitOrsCurves(*engine);
    REQUIRE(engine->MonitorOutcome(Officer(), kept.id).ok());
    const auto html = engine->ClientChart(Officer(), "ors", kept.id, outcomes::Language::kSwedish);
    INFO(html.status().message());
    REQUIRE(html.ok());
    CHECK(html->find("<svg") != std::string::npos);
    CHECK(html->find("<script") == std::string::npos);
    // Drawing the curves applies them: audited as MonitorOutcome's use is, after the journal.
    const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
    CHECK(events.back().action == "model.apply");
    CHECK(events.back().result == Cat({"etr ", kept.id, " sha256 ", kept.model.sha256}));
    CHECK(events[events.size() - 2].action == "journal.read");
    // Curves that are not kept are refused after an audited decision, as for monitoring.
    CHECK(engine
              ->ClientChart(Officer(), "ors", "0123456789abcdef0123456789abcdef",
                            outcomes::Language::kSwedish)
              .status()
              .code() == absl::StatusCode::kNotFound);
    CHECK(Events(engine->store_for_testing()).back().result == "no model");
    const auto without = engine->ClientChart(Officer(), "ors", "", outcomes::Language::kEnglish);
    REQUIRE(without.ok());
    CHECK(engine
              ->ClientChart(Officer(access::CaseKind::kInsats), "phq9", "",
                            outcomes::Language::kSwedish)
              .status()
              .code() == absl::StatusCode::kNotFound);
  });
}

TEST_CASE("engine: the client's facts for curves are strict JSON", "[engine_models]") {
  const auto both = engine::ParseOutcomeClient(R"({"intervention":"","age":34})");
  REQUIRE(both.ok());
  CHECK(both->intervention == std::string());
  CHECK(both->age == 34);
  const auto none = engine::ParseOutcomeClient("{}");
  REQUIRE(none.ok());
  CHECK_FALSE(none->intervention.has_value());
  CHECK_FALSE(none->age.has_value());
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"age":-1})", "client.age"},
           {R"({"age":34.5})", "client.age"},
           {R"({"intervention":7})", "client.intervention"},
           {R"({"sex":"female"})", "client"}}) {
    const auto refused = engine::ParseOutcomeClient(text);
    INFO(text);
    CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(refused.status().message()).starts_with(key));
  }
}

TEST_CASE("engine: a client's trajectory is read from the journal under journal.read",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillClientSeries(*engine);
    const auto t = engine->Trajectory(Officer(), "ors");
    INFO(t.status().message());
    REQUIRE(t.ok());
    CHECK(t->client_ref == "klient-8");
    CHECK(t->case_ref == "arende-41");
    REQUIRE(t->points.size() == 5);
    CHECK(t->intake() == 18);
    // ORS 18 -> 9.5: 8.5 points worse, beyond the reliable change of 5 (Jacobson & Truax 1991).
    REQUIRE(t->points[3].assessment.has_value());
    CHECK(t->points[3].assessment->category == instruments::ChangeCategory::kReliablyDeteriorated);
    const std::vector<audit::AuditRecord> events = Events(engine->store_for_testing());
    CHECK(events.back().action == "journal.read");
    const nlohmann::ordered_json json = engine::TrajectoryJson(*t);
    CHECK(json["sessions"][3]["category"] == "reliably_deteriorated");
    CHECK(json["sessions"][3]["reliable_change"] == true);
    CHECK(json["sessions"][0]["category"].is_null());
    CHECK(json["cutoff"] == 25);
    // An explicit case, an unknown instrument (nothing audited), another client's journal.
    CHECK(engine->Trajectory(Officer(), "ors", "arende-7").status().code() ==
          absl::StatusCode::kNotFound);
    const std::size_t before = Events(engine->store_for_testing()).size();
    CHECK(engine->Trajectory(Officer(), "okand").status().code() == absl::StatusCode::kNotFound);
    CHECK(Events(engine->store_for_testing()).size() == before);
    access::Context other = Officer();
    other.subject_client = "klient-9";
    CHECK(engine->Trajectory(other, "ors").status().code() == absl::StatusCode::kPermissionDenied);
    access::Context nobody = Analyst();
    CHECK(engine->Trajectory(nobody, "ors").status().code() == absl::StatusCode::kInvalidArgument);
  });
}

}  // namespace

// ---- Agency benchmarks ------------------------------------------------------------------------

// An insats episode, begun in 2025-Q2 like the series of FillOrsSeries, for each of its 400
// people: persons 0..2 in kontaktperson (fewer than k = 5), the rest alternately in stodsamtal
// and familjebehandling; every tenth ended in dropout. Person 3's episode begins in 2025-Q1:
// its series is not linked. Everyone in `age_band`'s band.
void FillOrsEpisodes(
    engine::Engine& engine,
    const std::function<std::string(int)>& age_band = [](int) { return "25-29"; }) {
  std::vector<store::EpisodeRow> episodes;
  for (int person = 0; person < 400; ++person) {
    const std::string digits = std::to_string(person);
    store::EpisodeRow e;
    e.pseudonym = std::string("p1_").append(43 - digits.size(), 'D').append(digits);
    e.key_epoch = 1;
    e.age_band = age_band(person);
    e.region = "01";
    e.case_kind = "insats";
    e.intervention = person < 3        ? "kontaktperson"
                     : person % 2 == 0 ? "stodsamtal"
                                       : "familjebehandling";
    e.start_period = person == 3 ? "2025-Q1" : "2025-Q2";
    e.end_period = "2025-Q4";
    e.outcome = person % 10 == 0 ? "dropout" : "completed";
    e.record_key = static_cast<std::uint64_t>(person) * 2 + 1;
    episodes.push_back(e);
  }
  REQUIRE(engine.store_for_testing().AppendEpisodes(episodes).ok());
}

TEST_CASE("engine: curves with predictors take the client's intervention and age band",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    FillClientSeries(*engine);
    // The register's insats episodes, in two five-year bands (as a submission makes them).
    FillOrsEpisodes(*engine, [](int person) { return person % 3 == 0 ? "30-34" : "20-24"; });
    const auto spec =
        outcomes::ParseEtrSpec(R"({"instrument":"ors","predictors":["intervention","age_band"]})");
    REQUIRE(spec.ok());
    const auto kept = engine->FitCurves(Analyst(), *spec);
    INFO(kept.status().message());
    REQUIRE(kept.ok());
    // Person 3's series has no episode of its start; kontaktperson's 3 people are too few even
    // pooled, so their series are left out too: 4, fewer than k, so not shown.
    CHECK_FALSE(kept->model.series_left_out.has_value());
    CHECK(kept->json.find("\"series_left_out\":null") != std::string::npos);
    CHECK(kept->model.fit.groups == 400 - 4);
    REQUIRE(kept->model.levels.size() == 2);
    REQUIRE(kept->model.levels[0].levels.size() == 2);
    CHECK(kept->model.levels[0].levels[1].level == "stodsamtal");
    CHECK(kept->model.levels[1].levels[0].level == "20-24");
    CHECK(kept->model.fit.terms.size() == 8);

    // Without the client's levels the curves cannot be applied, and nothing is raised.
    const auto bare = engine->MonitorOutcome(Officer(), kept->id);
    CHECK(bare.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(bare.status().message()).starts_with("client.intervention"));
    CHECK(CountSuggestions(engine->store_for_testing()) == 0);
    const auto no_age = engine->MonitorOutcome(Officer(), kept->id, {"stodsamtal", std::nullopt});
    CHECK(std::string(no_age.status().message()).starts_with("client.age"));

    // With them, each session is checked against the curve of the client's levels.
    const auto outcome = engine->MonitorOutcome(Officer(), kept->id, {"stodsamtal", 33});
    INFO(outcome.status().message());
    REQUIRE(outcome.ok());
    CHECK(outcome->supported);
    CHECK(outcome->levels == std::vector<std::pair<std::string, std::string>>{
                                 {"intervention", "stodsamtal"}, {"age_band", "30-34"}});
    REQUIRE(outcome->checks.size() == 4);
    const outcomes::ClientLevels levels{"stodsamtal", "30-34"};
    for (const outcomes::SessionCheck& check : outcome->checks) {
      CHECK(check.curve.expected ==
            Approx(outcomes::CurveAt(kept->model, 18, check.session, levels).expected));
    }
    CHECK(outcomes::CurveAt(kept->model, 18, 4, levels).expected !=
          outcomes::CurveAt(kept->model, 18, 4, {"familjebehandling", levels.age_band}).expected);
    CHECK_FALSE(outcome->raised.empty());
    // An intervention the curves do not tell apart, with no pooled level to fall to: not
    // supported.
    const auto unseen = engine->MonitorOutcome(Officer(), kept->id, {"kontaktperson", 33});
    REQUIRE(unseen.ok());
    CHECK_FALSE(unseen->supported);
    CHECK(unseen->checks.empty());
    const auto html = engine->ClientChart(Officer(), "ors", kept->id, outcomes::Language::kSwedish,
                                          {"stodsamtal", 33});
    REQUIRE(html.ok());
    CHECK(engine->ClientChart(Officer(), "ors", kept->id, outcomes::Language::kSwedish)
              .status()
              .code() == absl::StatusCode::kInvalidArgument);
  });
}

TEST_CASE("engine: outcome benchmarks come from the register under insight.query, audited",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    FillOrsEpisodes(*engine);
    store::Store& db = engine->store_for_testing();
    outcomes::BenchmarkSpec spec;
    spec.instrument = "ors";
    spec.by = outcomes::BenchmarkBy::kIntervention;
    const auto benchmarks = engine->OutcomeBenchmarks(Analyst(), spec);
    INFO(benchmarks.status().message());
    REQUIRE(benchmarks.ok());
    CHECK(Events(db).back().action == "insight.query");
    CHECK(Events(db).back().decision == audit::Decision::kAllow);
    CHECK(Events(db).back().result == "outcome benchmarks ors by intervention");
    REQUIRE(benchmarks->service.figures.has_value());
    CHECK(benchmarks->service.figures->people == 400);
    CHECK(*benchmarks->unlinked_series == 1);
    CHECK(benchmarks->target == "recovered");
    REQUIRE(benchmarks->groups.size() == 3);
    CHECK(benchmarks->groups[0].name == "familjebehandling");
    CHECK(benchmarks->groups[1].name == "kontaktperson");
    CHECK(benchmarks->groups[2].name == "stodsamtal");
    // kontaktperson has 3 people; of the other two, 198 people each (the odd persons 5..399, 3
    // unlinked; the even 4..398), the first by name is protected with it.
    CHECK(benchmarks->groups[1].is_protected);
    CHECK(benchmarks->groups[0].is_protected);
    REQUIRE(benchmarks->groups[2].figures.has_value());
    CHECK(benchmarks->groups[2].figures->people == 198);
    // Every even person from 4 to 398 ended in stodsamtal; 39 of them (10, 20, ..., 390)
    // dropped out.
    CHECK(benchmarks->groups[2].figures->ended_series == 198);
    CHECK(*benchmarks->groups[2].figures->dropout == Approx(39.0 / 198));
    CHECK(outcomes::BenchmarksJson(*benchmarks).find("p1_") == std::string::npos);

    // With kept curves, reaching target is against the expected curve.
    const engine::KeptCurves kept = FitOrsCurves(*engine);
    spec.by = outcomes::BenchmarkBy::kRegion;
    const auto with_curves = engine->OutcomeBenchmarks(Analyst(), spec, kept.id);
    INFO(with_curves.status().message());
    REQUIRE(with_curves.ok());
    CHECK(Events(db).back().result == Cat({"outcome benchmarks ors by region curves ", kept.id}));
    CHECK(with_curves->target == "etr");
    CHECK(with_curves->curves_sha256 == kept.model.sha256);
    REQUIRE(with_curves->service.figures.has_value());
    CHECK(with_curves->service.figures->target_series > 0);
    CHECK(with_curves->service.figures->reaching_target.has_value());

    // Unknown curves and instruments are refused after the audited decision.
    CHECK(engine->OutcomeBenchmarks(Analyst(), spec, std::string(32, '0')).status().code() ==
          absl::StatusCode::kNotFound);
    outcomes::BenchmarkSpec unknown = spec;
    unknown.instrument = "okand";
    CHECK(engine->OutcomeBenchmarks(Analyst(), unknown).status().code() ==
          absl::StatusCode::kNotFound);
    CHECK(Events(db).back().result == "outcome benchmarks of an unknown instrument");
  });
}

TEST_CASE("engine: outcome benchmarks are refused to a private provider (private-provider)",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    auto engine = OpenEngine(location);
    FillOrsSeries(*engine);
    FillOrsEpisodes(*engine);
    access::Context provider = Analyst();
    provider.organisation.kind = access::OrgKind::kPrivatUtforare;
    outcomes::BenchmarkSpec spec;
    const auto refused = engine->OutcomeBenchmarks(provider, spec);
    CHECK(refused.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(refused.status().message()), Catch::Contains("private-provider"));
    const audit::AuditRecord event = Events(engine->store_for_testing()).back();
    CHECK(event.action == "insight.query");
    CHECK(event.decision == audit::Decision::kDeny);
    CHECK(event.result == "permission_denied");
    // An officer handling a case has no lawful basis for it either.
    CHECK(engine->OutcomeBenchmarks(Officer(), spec).status().code() ==
          absl::StatusCode::kPermissionDenied);
  });
}

// ---- Group insights through the engine (src/engine/insights.cc) --------------------------------

namespace {

insights::Query InsightQuery(std::string_view json) {
  auto q = insights::ParseQuery(json);
  INFO(q.status().message());
  REQUIRE(q.ok());
  return *q;
}

std::vector<store::Release> Releases(store::Store& db) {
  std::vector<store::Release> out;
  REQUIRE(db.ForEachRelease("0180", "", "2026-12", [&](const store::Release& r) {
              out.push_back(r);
              return true;
            }).ok());
  return out;
}

// Runs `body` with an engine holding the fixture's register on each backend, grouping insights
// in the library and in the register's database (InsightOptions::group_in_store).
void ForEachInsightEngine(const std::function<void(std::unique_ptr<engine::Engine>&)>& body) {
  for (const bool in_store : {false, true}) {
    ForEachLocation([&](const std::string& location, std::string_view) {
      INFO("grouped in the store: " << in_store);
      auto engine = OpenEngine(location, {}, in_store);
      FillRegister(*engine);
      body(engine);
    });
  }
}

}  // namespace

TEST_CASE("engine: an insight table is the register's, protected, released and audited",
          "[engine_models]") {
  // The same table made from the fixture's rows in memory: what every backend must release,
  // cell by cell (the cell key makes the noise a function of the rows).
  constexpr std::string_view kQuery = R"({"measure": {"kind": "people"},
      "dimensions": ["region", "age_band"], "margins": true,
      "protection": {"cell_key": {"D": 2, "V": 1, "js": 1}}})";
  const varsam_test::Register reg = varsam_test::MakeRegister();
  const auto columns = insights::BuildColumns(reg.episodes, reg.measurements, "");
  REQUIRE(columns.ok());
  auto expected = insights::Aggregate(InsightQuery(kQuery), *columns);
  REQUIRE(expected.ok());
  REQUIRE(insights::Protect(*expected, insights::CryptoBits()).ok());

  // Grouped in the library and in the register's database alike.
  ForEachInsightEngine([&](std::unique_ptr<engine::Engine>& engine) {
    store::Store& db = engine->store_for_testing();
    const auto release = engine->Query(Analyst(), InsightQuery(kQuery));
    INFO(release.status().message());
    REQUIRE(release.ok());
    const insights::Table& table = release->table;
    REQUIRE(table.cells.size() == expected->cells.size());
    std::int64_t published = 0, secondary = 0;
    for (std::size_t c = 0; c < table.cells.size(); ++c) {
      CHECK(table.cells[c].status == expected->cells[c].status);
      if (table.cells[c].status == insights::CellStatus::kPublished) {
        CHECK(table.cells[c].value == expected->cells[c].value);
        CHECK(table.cells[c].people >= 5);
        ++published;
      }
      secondary += table.cells[c].reason == insights::ProtectionReason::kSecondary ? 1 : 0;
    }
    // Region 03 holds 4 people: its cells are protected, and complements with them.
    CHECK(secondary > 0);
    // Audited: the decision, then the release with its query and methods; kept in the store.
    const std::vector<audit::AuditRecord> events = Events(db);
    REQUIRE(events.size() >= 2);
    CHECK(events[events.size() - 2].action == "insight.query");
    CHECK(events[events.size() - 2].result == "insight people by region,age_band");
    CHECK(events.back().result.find(Cat({"released insight ", release->id, " cells ",
                                         std::to_string(published), " methods threshold 5"})) == 0);
    CHECK(events.back().result.find(insights::QueryJson(InsightQuery(kQuery))) !=
          std::string::npos);
    const std::vector<store::Release> kept = Releases(db);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].id == release->id);
    CHECK(kept[0].purpose == "uppfoljning");
    CHECK(kept[0].cells == published);
    CHECK(kept[0].epsilon == 0);
    // Nothing of a person in what is published.
    const std::string json = insights::TableJson(table);
    CHECK(json.find("p1_") == std::string::npos);

    // A private provider, and a case officer in case handling, are refused, audited.
    access::Context provider = Analyst();
    provider.organisation = {access::OrgKind::kPrivatUtforare, "ab-1"};
    CHECK(engine->Query(provider, InsightQuery(kQuery)).status().code() ==
          absl::StatusCode::kPermissionDenied);
    CHECK(Events(db).back().decision == audit::Decision::kDeny);
    CHECK(engine->Query(Officer(), InsightQuery(kQuery)).status().code() ==
          absl::StatusCode::kPermissionDenied);
    CHECK(Events(db).back().decision == audit::Decision::kDeny);
    CHECK(Releases(db).size() == 1);
  });
}

TEST_CASE("engine: a query a few people apart from an earlier release is refused",
          "[engine_models]") {
  // The guard's comparisons in the library and in the register's database alike.
  ForEachInsightEngine([&](std::unique_ptr<engine::Engine>& engine) {
    store::Store& db = engine->store_for_testing();
    REQUIRE(engine
                ->Query(Analyst(), InsightQuery(R"({"measure": {"kind": "people"},
                                                     "dimensions": ["sex"]})"))
                .ok());
    // The same again is fine: it shows nothing new.
    REQUIRE(engine
                ->Query(Analyst(), InsightQuery(R"({"measure": {"kind": "people"},
                                                     "dimensions": ["sex"]})"))
                .ok());
    // Everyone but region 03's four people: subtracting the two tables would show them.
    const auto differencing = engine->Query(Analyst(), InsightQuery(R"({
        "measure": {"kind": "people"}, "dimensions": ["sex"],
        "filters": {"region": ["01", "12"]}})"));
    CHECK(differencing.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(differencing.status().message().find("differencing") != std::string_view::npos);
    CHECK(Events(db).back().result.find("refused insight ") == 0);
    CHECK(Events(db).back().result.find("differencing") != std::string::npos);
    CHECK(Releases(db).size() == 2);
    // An earlier release that measured something else still counts: a mean of the PHQ-9
    // total over everyone but region 03, then people counted over everyone.
    access::Context evaluation = Analyst();
    evaluation.purpose = access::Purpose::kUtvardering;
    REQUIRE(engine
                ->Query(evaluation, InsightQuery(R"({
        "measure": {"kind": "mean", "of": "total", "instrument": "phq9"},
        "dimensions": ["sex"], "filters": {"region": ["01", "12"]}})"))
                .ok());
    CHECK(engine
              ->Query(evaluation, InsightQuery(R"({"measure": {"kind": "people"},
                                                    "dimensions": ["sex"]})"))
              .status()
              .code() == absl::StatusCode::kFailedPrecondition);
    // Another organisation's releases are not this one's: the same query is released there.
    access::Context other = Analyst();
    other.organisation = {access::OrgKind::kSocialnamnd, "0181"};
    CHECK(engine
              ->Query(other, InsightQuery(R"({"measure": {"kind": "people"},
        "dimensions": ["sex"], "filters": {"region": ["01", "12"]}})"))
              .ok());
  });
}

TEST_CASE("engine: released cells and epsilon are capped per organisation and month",
          "[engine_models]") {
  ForEachLocation([](const std::string& location, std::string_view) {
    engine::EngineOptions options;
    options.store = location;
    options.key = TestKey();
    options.insights.cells_per_period = 12;
    options.insights.epsilon_per_period = 1.0;
    auto opened = engine::Engine::Open(std::move(options));
    REQUIRE(opened.ok());
    auto& engine = **opened;
    FillRegister(engine);
    store::Store& db = engine.store_for_testing();
    // Averaging: the same counts asked again and again under other filters, until the cells run
    // out (each table below publishes 3 cells: female, male and their total).
    int released = 0;
    absl::Status last;
    for (const std::string_view intervention : {"stodsamtal", "boendestod"}) {
      for (const std::string_view age : {"18-24", "25-34", "35-49", "50-64"}) {
        const std::string json =
            Cat({R"({"measure": {"kind": "episodes"}, "dimensions": ["sex"], "margins": true, )",
                 R"("filters": {"intervention": [")", intervention, R"("], "age_band": [")", age,
                 R"("]}})"});
        last = engine.Query(Analyst(), InsightQuery(json)).status();
        if (!last.ok()) break;
        ++released;
      }
      if (!last.ok()) break;
    }
    CHECK(released == 4);
    CHECK(last.code() == absl::StatusCode::kResourceExhausted);
    CHECK(last.message().find("cell budget") != std::string_view::npos);
    CHECK(Events(db).back().result.find("over budget") != std::string::npos);

    // Differential privacy: epsilon 0.6 twice is past 1.0 (another purpose has its own).
    constexpr std::string_view kDp = R"({"measure": {"kind": "people"},
        "protection": {"dp": {"epsilon": 0.6}}})";
    access::Context evaluation = Analyst();
    evaluation.organisation.id = "0182";
    REQUIRE(engine.Query(evaluation, InsightQuery(kDp)).ok());
    const auto second = engine.Query(evaluation, InsightQuery(kDp));
    CHECK(second.status().code() == absl::StatusCode::kResourceExhausted);
    CHECK(second.status().message().find("epsilon budget") != std::string_view::npos);
    evaluation.purpose = access::Purpose::kUtvardering;
    CHECK(engine.Query(evaluation, InsightQuery(kDp)).ok());
  });
}
