// `varsam outcomes trajectory|fit|monitor|benchmarks` (docs/cli.md): routine outcome monitoring
// through the engine — a client's series judged session by session, expected-treatment-response
// curves fitted from the compilation register, a client checked against them, and the agency's
// benchmarks from the register.
//
//   varsam outcomes trajectory --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --instrument ID [--case REF] [--pack FILE]... [--json]
//   varsam outcomes fit --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --spec SPEC.json|JSON [--title TEXT] [--pack FILE]... [--json]
//   varsam outcomes monitor --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --model ID [--pack FILE]... [--json]
//   varsam outcomes benchmarks --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --instrument ID [--by service|intervention|region] [--k N] [--curves ID]
//       [--pack FILE]... [--json]
//
// Each is a guarded, audited call of the engine (engine::Engine::Trajectory, FitCurves,
// MonitorOutcome, OutcomeBenchmarks) in the context of CONTEXT.json; the JSON they print is the
// C API's (engine::TrajectoryJson, ClientOutcomeJson, outcomes::BenchmarksJson; docs/c-api.md,
// "Outcome monitoring").

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "cli.h"
#include "engine_call.h"
#include "files.h"
#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/instruments.h"
#include "varsam/outcomes.h"

namespace varsam::cli {
namespace {

struct OutcomesCommandOptions : EngineCallOptions {
  std::string instrument;  // trajectory
  std::string case_ref;
  std::string spec;  // fit
  std::string title;
  std::string model;  // monitor
  engine::OutcomeClient client;
  std::string by = "intervention";  // benchmarks (the instrument as trajectory's)
  int k = outcomes::BenchmarkSpec{}.min_people;
  std::string curves;
};

absl::Status At(std::string_view option, const absl::Status& status) {
  return absl::Status(status.code(), Cat({option, ": ", StatusMessage(status)}));
}

// A signed change for people ("+4", "-8.5", "0").
std::string Signed(double x) { return x > 0 ? Cat({"+", FormatNumber(x)}) : FormatNumber(x); }

// An instrument id that the registry knows; a usage error otherwise (as `varsam score`'s).
absl::Status KnownInstrument(const std::string& id) {
  if (instruments::Registry::Global().Find(id) == nullptr) {
    return absl::InvalidArgumentError(
        "--instrument: not a known instrument id (see `varsam score --list`)");
  }
  return absl::OkStatus();
}

// The category of change as people read it.
std::string Judgement(const outcomes::TrajectoryPoint& p, bool first) {
  if (first) return "intake";
  if (!p.assessment) return "-";
  std::string text(instruments::ChangeCategoryName(p.assessment->category));
  for (char& c : text) {
    if (c == '_') c = ' ';
  }
  if (p.assessment->cutoff) text += p.assessment->clinical_now ? ", clinical" : ", not clinical";
  return text;
}

int RunTrajectory(const OutcomesCommandOptions& o) {
  if (absl::Status known = KnownInstrument(o.instrument); !known.ok()) {
    std::cerr << "varsam: " << known.message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<outcomes::Trajectory> t =
      (*opened)->Trajectory(*context, o.instrument, o.case_ref);
  if (!t.ok()) return Fail(t.status());
  if (o.json) {
    std::cout << DumpJson(engine::TrajectoryJson(*t)) << "\n";
    return kExitOk;
  }
  const instruments::Instrument* instrument = instruments::Registry::Global().Find(t->instrument);
  std::cout << "client " << t->client_ref << "  case " << t->case_ref << "  "
            << (instrument != nullptr ? instrument->definition().name.en : t->instrument)
            << "  intake " << FormatNumber(t->intake()) << "\n";
  std::cout << absl::StrFormat("%-8s %-11s %-6s %-7s %s\n", "session", "date", "total", "change",
                               "change from intake (Jacobson-Truax)");
  for (std::size_t i = 0; i < t->points.size(); ++i) {
    const outcomes::TrajectoryPoint& p = t->points[i];
    std::cout << absl::StrFormat("%-8d %-11s %-6s %-7s %s\n", p.session, FormatIsoDate(p.date),
                                 FormatNumber(p.total), i == 0 ? "-" : Signed(p.change),
                                 Judgement(p, i == 0));
  }
  return kExitOk;
}

// --spec: inline JSON when it begins with '{', else a file (or - for standard input).
absl::StatusOr<std::string> SpecText(const std::string& spec) {
  const std::size_t first = spec.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && spec[first] == '{') return spec;
  return ReadFile(spec, "--spec");
}

int RunFit(const OutcomesCommandOptions& o) {
  absl::StatusOr<std::string> text = SpecText(o.spec);
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<outcomes::EtrSpec> spec = outcomes::ParseEtrSpec(*text);
  if (!spec.ok()) return Fail(At("--spec", spec.status()));
  if (!IsValidUtf8(o.title)) return Fail(absl::InvalidArgumentError("--title: must be UTF-8"));
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<engine::KeptCurves> kept = (*opened)->FitCurves(*context, *spec, o.title);
  if (!kept.ok()) {
    // The spec's own fields ("spec.bin_width: ...") are named as the option that gave them.
    if (kept.status().code() == absl::StatusCode::kInvalidArgument &&
        StatusMessage(kept.status()).starts_with("spec")) {
      return Fail(At("--spec", kept.status()));
    }
    return Fail(kept.status());
  }
  if (o.json) {
    nlohmann::ordered_json out;
    out["id"] = kept->id;
    out["sha256"] = kept->model.sha256;
    // The library's own canonical file (not a host's JSON), in its key order.
    out["model"] = nlohmann::ordered_json::parse(kept->json);
    std::cout << DumpJson(out) << "\n";
    return kExitOk;
  }
  const outcomes::EtrModel& m = kept->model;
  std::cout << "fitted curves " << kept->id << "\n"
            << "  name      " << m.name << "\n"
            << "  sha256    " << m.sha256 << "\n"
            << "  series    " << m.fit.groups << " of " << m.pseudonyms << " pseudonyms, "
            << m.fit.observations << " sessions after intake, intake periods " << m.period_from
            << " to " << m.period_to << "\n"
            << "  curves    sessions 1 to " << m.spec.max_session << "; the boundary is percentile "
            << FormatNumber(m.spec.boundary_percentile)
            << " of the predicted totals, on the side of "
            << (m.spec.higher_is_better ? "lower" : "higher") << " totals\n"
            << "  intakes   ";
  for (std::size_t i = 0; i < m.bins.size(); ++i) {
    const outcomes::IntakeBin& b = m.bins[i];
    std::cout << (i == 0 ? "" : ", ") << FormatNumber(b.from) << "-" << FormatNumber(b.to) << ": "
              << (b.suppressed ? Cat({"<", std::to_string(m.spec.min_support)})
                               : std::to_string(b.pseudonyms));
  }
  std::cout << "\n  kept beside the register; `varsam outcomes monitor --model " << kept->id
            << "` applies them\n";
  return kExitOk;
}

std::string TrackText(const outcomes::SessionCheck& c) {
  switch (c.track) {
    case outcomes::Track::kOnTarget: return "on target";
    case outcomes::Track::kBelowTarget: return "below target";
    case outcomes::Track::kBelowBoundary: return "BELOW BOUNDARY (not on track)";
  }
  return "-";
}

int RunMonitor(const OutcomesCommandOptions& o) {
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<engine::ClientOutcome> outcome =
      (*opened)->MonitorOutcome(*context, o.model, o.client);
  if (!outcome.ok()) return Fail(outcome.status());
  if (o.json) {
    std::cout << DumpJson(engine::ClientOutcomeJson(*outcome)) << "\n";
    return kExitOk;
  }
  const outcomes::Trajectory& t = outcome->trajectory;
  std::cout << "curves " << outcome->model_id << "  client " << t.client_ref << "  case "
            << t.case_ref << "  " << t.instrument << "  intake " << FormatNumber(t.intake())
            << "\n";
  if (!outcome->supported) {
    std::cout << "The client's intake lies in an intake bin of fewer than k people: the curves "
                 "are not applied.\n";
  }
  std::cout << absl::StrFormat("%-8s %-6s %-7s %-9s %-9s %s\n", "session", "total", "change",
                               "expected", "boundary", "track");
  for (std::size_t i = 0; i < t.points.size(); ++i) {
    const outcomes::TrajectoryPoint& p = t.points[i];
    const outcomes::SessionCheck* check = nullptr;
    for (const outcomes::SessionCheck& c : outcome->checks) {
      if (c.session == p.session) check = &c;
    }
    std::cout << absl::StrFormat(
        "%-8d %-6s %-7s %-9s %-9s %s\n", p.session, FormatNumber(p.total),
        i == 0 ? "-" : Signed(p.change),
        check != nullptr ? absl::StrFormat("%.1f", check->curve.expected) : "-",
        check != nullptr ? absl::StrFormat("%.1f", check->curve.boundary) : "-",
        i == 0             ? "intake"
        : check != nullptr ? TrackText(*check)
                           : "-");
  }
  for (const int session : outcome->alliance_concerns) {
    std::cout << "alliance concern at session " << session << "\n";
  }
  if (outcome->raised.empty()) {
    std::cout << "no new suggestion raised\n";
  }
  for (const engine::OutcomeAlert& a : outcome->raised) {
    std::cout << "open suggestion " << a.suggestion_id << ": session " << a.session << ", "
              << (a.reason == "alliance" ? "alliance concern" : "below the boundary")
              << " — a reason to talk with the client; the officer decides\n";
  }
  return kExitOk;
}

// A share for people ("42%"), or "-" when there is none.
std::string Percent(std::optional<double> share) {
  return share ? absl::StrFormat("%.0f%%", *share * 100) : "-";
}

std::string EffectSize(std::optional<double> value) {
  return value ? absl::StrFormat("%.2f", *value) : "-";
}

void PrintBenchmarkRow(const outcomes::BenchmarkGroup& g) {
  if (!g.figures) {
    std::cout << absl::StrFormat("%-22s protected (fewer than k)\n", g.name);
    return;
  }
  const outcomes::BenchmarkFigures& f = *g.figures;
  std::cout << absl::StrFormat("%-22s %6d %6d %6s %6s %7s %8s %9s %7s\n", g.name, f.people,
                               f.series, EffectSize(f.severity_adjusted_effect_size),
                               EffectSize(f.effect_size), Percent(f.reaching_target),
                               Percent(f.reliable_improvement), Percent(f.reliable_deterioration),
                               Percent(f.dropout));
}

int RunBenchmarks(const OutcomesCommandOptions& o) {
  // Checked here rather than by CLI11 so that the message names the option (never the value).
  if (absl::Status known = KnownInstrument(o.instrument); !known.ok()) {
    std::cerr << "varsam: " << known.message() << "\n";
    return kExitUsage;
  }
  const std::optional<outcomes::BenchmarkBy> by = outcomes::ParseBenchmarkBy(o.by);
  if (!by) {
    std::cerr << "varsam: --by: must be service, intervention or region\n";
    return kExitUsage;
  }
  if (o.k < 2 || o.k > 1000000) {
    std::cerr << "varsam: --k: must be a whole number from 2 to 1000000\n";
    return kExitUsage;
  }
  outcomes::BenchmarkSpec spec;
  spec.instrument = o.instrument;
  spec.by = *by;
  spec.min_people = o.k;
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<outcomes::Benchmarks> b = (*opened)->OutcomeBenchmarks(*context, spec, o.curves);
  if (!b.ok()) return Fail(b.status());
  if (o.json) {
    std::cout << outcomes::BenchmarksJson(*b) << "\n";
    return kExitOk;
  }
  const instruments::Instrument* instrument = instruments::Registry::Global().Find(b->instrument);
  std::cout << (instrument != nullptr ? instrument->definition().name.en : b->instrument)
            << " benchmarks by " << outcomes::BenchmarkByName(b->by) << ", k " << b->min_people
            << ", intake periods " << (b->period_from.empty() ? "-" : b->period_from) << " to "
            << (b->period_to.empty() ? "-" : b->period_to) << "\n";
  std::cout << "target: "
            << (b->target == "etr" ? Cat({"on or beyond the expected curve (curves sha256 ",
                                          b->curves_sha256, ")"})
                                   : std::string("recovered (Jacobson-Truax)"))
            << "\n";
  std::cout << absl::StrFormat("%-22s %6s %6s %6s %6s %7s %8s %9s %7s\n", "group", "people",
                               "series", "SAES", "ES", "target", "improved", "worsened", "dropout");
  PrintBenchmarkRow(b->service);
  for (const outcomes::BenchmarkGroup& g : b->groups) PrintBenchmarkRow(g);
  std::cout << "SAES: severity-adjusted effect size (ACORN); ES: raw effect size; target: share "
               "reaching target;\nimproved, worsened: reliable improvement and deterioration "
               "from intake to the last session;\ndropout: share of ended episodes ended as "
               "dropout.\n";
  if (b->unlinked_series && *b->unlinked_series > 0) {
    std::cout << *b->unlinked_series
              << " series are linked to no insats episode: counted in the service only.\n";
  }
  return kExitOk;
}

void AddEngineOptions(CLI::App* command, OutcomesCommandOptions* o) {
  AddEngineCallOptions(command, o,
                       "The call's context as JSON (who, role, organisation, purpose, case, "
                       "subject client, time; see `varsam policy check`)");
}

}  // namespace

void AddOutcomesCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<OutcomesCommandOptions>();
  auto* outcomes = app.add_subcommand(
      "outcomes",
      "Routine outcome monitoring: a client's series judged session by session, expected-\n"
      "treatment-response curves fitted from the register, a client checked against them,\n"
      "and the agency's benchmarks.\n"
      "See docs/c-api.md, \"Outcome monitoring\".");
  outcomes->require_subcommand(1);

  auto* trajectory = outcomes->add_subcommand(
      "trajectory",
      "The context's subject client's series of an instrument (action journal.read), each\n"
      "session's change from intake judged by the Jacobson-Truax rule. Exit 66 when the case\n"
      "has no series, 77 when the policy refuses, 64 for an unknown instrument.");
  AddEngineOptions(trajectory, o.get());
  trajectory->add_option("--instrument", o->instrument, "The instrument id (ors, cors, phq9, ...)")
      ->required();
  trajectory->add_option("--case", o->case_ref,
                         "The case (default: the context's, or the latest one)");
  trajectory->callback([o, exit_code] { *exit_code = RunTrajectory(*o); });

  auto* fit = outcomes->add_subcommand(
      "fit",
      "Fit expected-treatment-response curves from the register's series (action\n"
      "model.train) and keep them beside the register. Exit 65 for a bad spec or too few\n"
      "series, 77 when the policy refuses (a private provider).");
  AddEngineOptions(fit, o.get());
  fit->add_option("--spec", o->spec,
                  "The spec as a file, - for standard input, or inline JSON: {\"instrument\": "
                  "\"ors\", \"boundary_percentile\": 10, \"max_session\": 20, \"min_support\": 5, "
                  "\"bin_width\": 5, \"predictors\": [\"intervention\", \"age_band\"]}")
      ->required();
  fit->add_option("--title", o->title, "The curves' name for people (default: the instrument's)");
  fit->callback([o, exit_code] { *exit_code = RunFit(*o); });

  auto* monitor = outcomes->add_subcommand(
      "monitor",
      "Check the context's subject client's series in the context's case against kept curves\n"
      "(actions journal.read and model.apply); each session below the boundary becomes an\n"
      "open suggestion once. Exit 77 when the policy refuses (an anmälan or\n"
      "förhandsbedömning), 66 for an unknown curves id or no series.");
  AddEngineOptions(monitor, o.get());
  monitor->add_option("--model", o->model, "The kept curves' id (see `varsam model list`)")
      ->required();
  AddOutcomeClientOptions(monitor, &o->client);
  monitor->callback([o, exit_code] { *exit_code = RunMonitor(*o); });

  auto* benchmarks = outcomes->add_subcommand(
      "benchmarks",
      "Agency benchmarks of an instrument from the register (action insight.query): per\n"
      "intervention, region or the whole service, the severity-adjusted effect size, the share\n"
      "reaching target, reliable improvement and deterioration, and dropout; every group of\n"
      "fewer than k people protected. Exit 64 for an unknown instrument, --by or --k, 66 for an\n"
      "unknown curves id, 77 when the policy refuses (a private provider).");
  AddEngineOptions(benchmarks, o.get());
  benchmarks->add_option("--instrument", o->instrument, "The instrument id (ors, cors, phq9, ...)")
      ->required();
  benchmarks->add_option("--by", o->by,
                         "How series are grouped: service, intervention (default) or region");
  benchmarks->add_option("--k", o->k,
                         "The fewest distinct people a group may show (default 5, at least 2)");
  benchmarks->add_option("--curves", o->curves,
                         "Kept curves' id: reaching target is then on the expected curve "
                         "(default: recovered)");
  benchmarks->callback([o, exit_code] { *exit_code = RunBenchmarks(*o); });
}

}  // namespace varsam::cli
