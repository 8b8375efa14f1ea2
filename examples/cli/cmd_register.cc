// `varsam register submit|export` (docs/cli.md; docs/anonymisation.md "The register"): cases
// into the compilation register through the engine, and k-anonymous releases out of it.
//
//   varsam register submit --store DIR|URI --context CONTEXT.json --in CASES.jsonl|-
//       --key-file KEY [--key-epoch N] --audit-key-file KEY [--pack FILE]... [--json]
//   varsam register export --store DIR|URI --context CONTEXT.json --audit-key-file KEY --k K
//       [--l L] [--max-suppression FRACTION] [--metric loss|discernibility]
//       [--case-kind KIND] [--intervention ID] [--region CODE] [--key-epoch N]
//       --out OUT.csv [--report REPORT.json] [--pack FILE]... [--json]
//
// Both are guarded and audited calls of the engine (engine::Engine::SubmitToRegister,
// ExportRegister) made in the context of CONTEXT.json (who, role, organisation, purpose, time;
// access::ParseContext's form). Submission input is the library's case lines
// (varsam/submission.h, submission::ParseCaseLines; the C API's varsam_register_submit_cases),
// one case per line:
//   {"case": {"ref": "c-9", "kind": "insats", "led_to_investigation": true, "client": "k-1"},
//    "episodes": [<submission::ParseEpisode's form>, ...]}
// The line's case becomes the context's case and its client the subject client; "case" may be
// left out when CONTEXT.json has one. Every line is parsed before anything is submitted: a bad
// line stops the run with exit 65 naming the line and the key, never a value. Then each case
// is submitted on its own (engine::Engine::SubmitCases; all of its episodes or none): a case
// the policy refuses (a report that led to no investigation) or the register cannot take is
// named by its line and the others go in; exit 65 when any case was invalid, else 77 when any
// was refused, else 0.

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli.h"
#include "csv.h"
#include "engine_call.h"
#include "files.h"
#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/submission.h"

namespace varsam::cli {
namespace {

struct RegisterCommandOptions : EngineCallOptions {
  // submit
  std::string in;
  std::string key_file;
  std::int32_t key_epoch = 0;
  int threads = 8;
  // export
  int k = 0;
  int l = 0;
  double max_suppression = 0.0;
  std::string metric = "loss";
  std::optional<std::string> case_kind, intervention, region;
  std::optional<std::int32_t> epoch_filter;
  std::string out;
  std::string report;
};

absl::Status AtIn(const absl::Status& status) {
  return absl::Status(status.code(), Cat({"--in: ", StatusMessage(status)}));
}

// Every case of --in, read in the context of --context (submission::ParseCaseLines); the first
// bad line is the error.
absl::StatusOr<std::vector<submission::CaseSubmission>> ReadCases(const RegisterCommandOptions& o) {
  VARSAM_ASSIGN_OR_RETURN(const std::string context_text, ReadFile(o.context, "--context"));
  VARSAM_ASSIGN_OR_RETURN(const access::Context context, access::ParseContext(context_text));
  VARSAM_ASSIGN_OR_RETURN(const std::string text, ReadFile(o.in, "--in"));
  absl::StatusOr<std::vector<submission::CaseSubmission>> cases =
      submission::ParseCaseLines(text, context);
  if (!cases.ok()) return AtIn(cases.status());
  return cases;
}

// The engine on --store with the audit key of --audit-key-file, the host's packs and, when
// `pseudonym_key` is set, that key for `epoch`.
absl::StatusOr<std::unique_ptr<engine::Engine>> OpenEngine(
    const RegisterCommandOptions& o, const std::array<std::uint8_t, 32>* pseudonym_key) {
  engine::EngineOptions options;
  if (pseudonym_key != nullptr) {
    options.register_options.key_epoch = o.key_epoch;
    options.register_options.keys = [pseudonym_key, epoch = o.key_epoch](
                                        std::int32_t asked, std::span<std::uint8_t, 32> out) {
      if (asked != epoch) return absl::NotFoundError("no key for that epoch");
      std::copy(pseudonym_key->begin(), pseudonym_key->end(), out.begin());
      return absl::OkStatus();
    };
  }
  return cli::OpenEngine(static_cast<const EngineCallOptions&>(o), std::move(options));
}

// At most this many rejected cases are listed on stderr (all of them with --json).
constexpr std::size_t kListed = 10;

int RunSubmit(const RegisterCommandOptions& o) {
  absl::StatusOr<std::vector<submission::CaseSubmission>> cases = ReadCases(o);
  if (!cases.ok()) return Fail(cases.status());

  std::array<std::uint8_t, 32> key{};
  if (const absl::Status read = ReadKeyFile(o.key_file, "--key-file", &key); !read.ok()) {
    return Fail(read);
  }
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o, &key);
  Wipe(key.data(), key.size());
  if (!opened.ok()) return Fail(opened.status());
  engine::Engine& varsam = **opened;

  // Each case is its own guarded call (its own audit event), from --threads threads.
  const std::size_t n = cases->size();
  std::atomic<std::size_t> done{0};
  absl::StatusOr<engine::CasesSubmitted> result = absl::UnknownError("not run");
  {
    std::jthread submit([&] { result = varsam.SubmitCases(*cases, o.threads, &done); });
    if (isatty(STDERR_FILENO) == 1) {
      while (done.load() < n) {
        std::cerr << "\r" << done.load() << " of " << n << " cases" << std::flush;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      std::cerr << "\r" << n << " of " << n << " cases\n";
    }
  }
  if (!result.ok()) return Fail(AtIn(result.status()));  // the store's or the audit log's

  if (o.json) {
    std::cout << DumpJson(engine::CasesSubmittedJson(*result)) << "\n";
  } else {
    for (std::size_t i = 0; i < result->rejected.size() && i < kListed; ++i) {
      const engine::CasesSubmitted::Rejected& r = result->rejected[i];
      std::cerr << "varsam: --in: line " << r.line << ": " << StatusMessage(r.status) << "\n";
    }
    if (result->rejected.size() > kListed) {
      std::cerr << "varsam: --in: and " << result->rejected.size() - kListed
                << " more cases not submitted (--json lists them all)\n";
    }
    std::cout << n << " cases read; " << result->submitted << " submitted (" << result->episodes
              << " episodes, " << result->measurements << " measurements, key epoch " << o.key_epoch
              << "); " << result->refused << " refused by the policy; " << result->invalid
              << " invalid\n";
  }
  if (result->invalid > 0) return kExitDataErr;
  if (result->refused > 0) return kExitDenied;
  return kExitOk;
}

int RunExport(const RegisterCommandOptions& o) {
  engine::RegisterExportOptions options;
  options.k = o.k;
  options.distinct_l = o.l;
  options.max_suppression = o.max_suppression;
  if (o.l == 1) {
    std::cerr << "varsam: --l must be at least 2 (see --help)\n";
    return kExitUsage;
  }
  options.metric =
      o.metric == "discernibility" ? anonymize::Metric::kDiscernibility : anonymize::Metric::kLoss;
  options.filter.case_kind = o.case_kind;
  options.filter.intervention = o.intervention;
  options.filter.region = o.region;
  options.filter.key_epoch = o.epoch_filter;

  absl::StatusOr<std::string> context_text = ReadFile(o.context, "--context");
  if (!context_text.ok()) return Fail(context_text.status());
  absl::StatusOr<access::Context> context = access::ParseContext(*context_text);
  if (!context.ok()) return Fail(context.status());
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o, nullptr);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<engine::RegisterRelease> release = (*opened)->ExportRegister(*context, options);
  if (!release.ok()) return Fail(release.status());

  std::ostringstream csv;
  WriteCsvRecord(csv, release->header);
  for (const auto& row : release->rows) WriteCsvRecord(csv, row);
  if (absl::Status wrote = WriteFileAtomically(o.out, std::move(csv).str(), "--out"); !wrote.ok()) {
    return Fail(wrote);
  }
  const nlohmann::ordered_json report = engine::RegisterReportJson(*release);
  if (!o.report.empty()) {
    const absl::Status wrote =
        WriteFileAtomically(o.report, Cat({DumpJson(report), "\n"}), "--report");
    if (!wrote.ok()) return Fail(wrote);
  }
  if (o.json) {
    std::cout << DumpJson(report) << "\n";
    return kExitOk;
  }
  std::string levels;
  for (std::size_t i = 0; i < release->quasi_identifiers.size(); ++i) {
    levels += Cat({i == 0 ? "" : ", ", release->quasi_identifiers[i], " +",
                   std::to_string(release->search.levels.empty() ? 0 : release->search.levels[i])});
  }
  std::cout << release->episodes << " episodes, " << release->rows.size() << " released, "
            << release->search.suppressed << " suppressed; " << o.k << "-anonymous"
            << (o.l >= 2 ? Cat({", ", std::to_string(o.l), "-diverse in outcome"}) : "")
            << "; levels above the register's: " << levels << "; max risk "
            << FormatNumber(release->search.input.max_risk) << " -> "
            << FormatNumber(release->search.release.max_risk) << "\n";
  return kExitOk;
}

void AddCommon(CLI::App* command, RegisterCommandOptions* o) {
  AddEngineCallOptions(command, o,
                       "The call's context as JSON (who, role, organisation, purpose, time; see "
                       "`varsam policy check`)");
}

}  // namespace

void AddRegisterCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<RegisterCommandOptions>();
  auto* reg = app.add_subcommand(
      "register",
      "The compilation register: cases in (pseudonymised, generalised) and k-anonymous\n"
      "releases out, each a guarded and audited call. See docs/anonymisation.md.");
  reg->require_subcommand(1);

  auto* submit = reg->add_subcommand(
      "submit",
      "Submit cases (JSON lines: {\"case\": {...}, \"episodes\": [...]}) to the register.\n"
      "Exit 65 when a line is bad (nothing submitted) or a case was invalid, 77 when the\n"
      "policy refused a case (the others are submitted).");
  AddCommon(submit, o.get());
  submit->add_option("--in", o->in, "Cases as JSON lines, or - for standard input")->required();
  submit
      ->add_option("--key-file", o->key_file,
                   "The pseudonymisation key of the key epoch (64 hex digits); never printed")
      ->required();
  submit->add_option("--key-epoch", o->key_epoch, "The key epoch (default 0)")
      ->check(CLI::Range(0, 2147483647));
  submit->add_option("--threads", o->threads, "Cases submitted at once (default 8)")
      ->check(CLI::Range(1, 64));
  submit->callback([o, exit_code] { *exit_code = RunSubmit(*o); });

  auto* out = reg->add_subcommand(
      "export",
      "A k-anonymous release of the register's episodes as CSV (optimal generalisation,\n"
      "suppression within the budget), with its report.");
  AddCommon(out, o.get());
  out->add_option("--k", o->k, "Every released class has at least K rows")
      ->required()
      ->check(CLI::Range(1, 1000000));
  out->add_option("--l", o->l, "Distinct l-diversity of the outcome (0: none, or >= 2)")
      ->check(CLI::Range(0, 1000000));
  out->add_option("--max-suppression", o->max_suppression,
                  "Fraction of episodes that may be left out (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  out->add_option("--metric", o->metric, "loss (default) or discernibility")
      ->check(CLI::IsMember({"loss", "discernibility"}));
  out->add_option("--case-kind", o->case_kind, "Only episodes of this case kind");
  out->add_option("--intervention", o->intervention, "Only episodes of this intervention");
  out->add_option("--region", o->region, "Only episodes of this county (SCB code)");
  out->add_option("--key-epoch", o->epoch_filter, "Only episodes of this key epoch");
  out->add_option("--out", o->out, "The release (CSV)")->required();
  out->add_option("--report", o->report, "The release's report (JSON)");
  out->callback([o, exit_code] { *exit_code = RunExport(*o); });
}

}  // namespace varsam::cli
