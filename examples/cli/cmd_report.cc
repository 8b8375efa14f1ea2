// `varsam report client` (docs/cli.md): the client chart of routine outcome monitoring as a
// self-contained, printable HTML page.
//
//   varsam report client --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --client REF --instrument ID [--model ID] [--lang sv|en] --out REPORT.html
//       [--pack FILE]... [--json]
//
// A guarded, audited call of the engine (engine::Engine::ClientChart, action journal.read) in
// the context of CONTEXT.json, whose subject client must be --client: the command says whom the
// page is about, and the context, which the policy decides on, must say the same.

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

struct ReportCommandOptions : EngineCallOptions {
  std::string client;
  std::string instrument;
  std::string model;
  std::string lang = "sv";
  std::string out;
  engine::OutcomeClient facts;
};

int RunClientReport(const ReportCommandOptions& o) {
  if (instruments::Registry::Global().Find(o.instrument) == nullptr) {
    std::cerr << "varsam: --instrument: not a known instrument id (see `varsam score --list`)\n";
    return kExitUsage;
  }
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  if (!context->subject_client || *context->subject_client != o.client) {
    return Fail(absl::InvalidArgumentError(
        "--client: is not the subject client of the context (--context)"));
  }
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<std::string> html = (*opened)->ClientChart(
      *context, o.instrument, o.model,
      o.lang == "en" ? outcomes::Language::kEnglish : outcomes::Language::kSwedish, o.facts);
  if (!html.ok()) return Fail(html.status());
  if (absl::Status wrote = WriteFileAtomically(o.out, *html, "--out"); !wrote.ok()) {
    return Fail(wrote);
  }
  if (o.json) {
    nlohmann::ordered_json out;
    out["instrument"] = o.instrument;
    out["model"] = o.model.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(o.model);
    out["language"] = o.lang;
    out["bytes"] = html->size();
    std::cout << DumpJson(out) << "\n";
  } else {
    std::cout << "client chart written to --out (" << html->size() << " bytes)\n";
  }
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ReportCommandOptions>();
  auto* report = app.add_subcommand("report", "Reports for people, as self-contained HTML pages.");
  report->require_subcommand(1);

  auto* client = report->add_subcommand(
      "client",
      "The client chart (action journal.read): the client's totals by session in the\n"
      "context's case with the clinical cut-off, the reliable change band, the kept curves\n"
      "when --model is given, the alliance series and the case's open suggestions; printable,\n"
      "no script. Exit 65 when --client is not the context's subject client, 66 for no series\n"
      "or an unknown model, 77 when the policy refuses, 64 for an unknown instrument.");
  AddEngineCallOptions(client, o.get(),
                       "The call's context as JSON (who, role, organisation, purpose, case, "
                       "subject client, time; see `varsam policy check`)");
  client->add_option("--client", o->client, "The client the page is about: the context's subject")
      ->required();
  client->add_option("--instrument", o->instrument, "The instrument id (ors, cors, phq9, ...)")
      ->required();
  client->add_option("--model", o->model, "Kept curves to draw (see `varsam model list`)");
  AddOutcomeClientOptions(client, &o->facts);
  client->add_option("--lang", o->lang, "Language of the page: sv (default) or en")
      ->check(CLI::IsMember({"sv", "en"}));
  client->add_option("--out", o->out, "Where to write the HTML page")->required();
  client->callback([o, exit_code] { *exit_code = RunClientReport(*o); });
}

}  // namespace varsam::cli
