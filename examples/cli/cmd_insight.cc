// `varsam insight` (docs/cli.md): a group-insight table from the compilation register, protected
// before it is released (docs/insights.md).
//
//   varsam insight --store DIR|URI --context CONTEXT.json --audit-key-file KEY
//       --query QUERY.json|JSON [--format json|csv|html] [--out FILE] [--pack FILE]...
//
// A guarded, audited call of the engine (engine::Engine::Query, action insight.query) in the
// context of CONTEXT.json. The table is printed (or written to --out) as the library makes it:
// JSON (insights::TableJson, the C API's form), CSV with the Swedish markers (".." protected,
// "–" zero) or a self-contained HTML page. A query refused by the differencing guard exits 65
// (data error), one past the organisation's budget 77 (refused, as by the policy).

#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli.h"
#include "engine_call.h"
#include "files.h"
#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/insights.h"

namespace varsam::cli {
namespace {

struct InsightCommandOptions : EngineCallOptions {
  std::string query;
  std::string format = "json";
  std::string out;
  bool group_in_store = false;
};

int RunInsight(const InsightCommandOptions& o) {
  if (o.format != "json" && o.format != "csv" && o.format != "html") {
    std::cerr << "varsam: --format: must be json, csv or html\n";
    return kExitUsage;
  }
  // --json (the engine calls' shared flag) asks for the JSON table, which --format json is.
  if (o.json && o.format != "json") {
    std::cerr << "varsam: --json and --format " << o.format << " contradict each other\n";
    return kExitUsage;
  }
  // The query: inline JSON when it starts with '{' (after white space), else a file ("-":
  // standard input).
  std::string text = o.query;
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || text[start] != '{') {
    absl::StatusOr<std::string> read = ReadFile(o.query, "--query");
    if (!read.ok()) return Fail(read.status());
    text = *std::move(read);
  }
  absl::StatusOr<insights::Query> query = insights::ParseQuery(text);
  if (!query.ok()) return Fail(query.status());
  absl::StatusOr<access::Context> context = ReadContext(o);
  if (!context.ok()) return Fail(context.status());
  engine::EngineOptions engine_options;
  engine_options.insights.group_in_store = o.group_in_store;
  absl::StatusOr<std::unique_ptr<engine::Engine>> opened = OpenEngine(o, engine_options);
  if (!opened.ok()) return Fail(opened.status());
  absl::StatusOr<engine::InsightRelease> release = (*opened)->Query(*context, *query);
  if (!release.ok()) return Fail(release.status());
  const std::string output = o.format == "csv"    ? insights::TableCsv(release->table)
                             : o.format == "html" ? insights::TableHtml(release->table)
                                                  : insights::TableJson(release->table) + "\n";
  if (o.out.empty()) {
    std::cout << output;
    return kExitOk;
  }
  if (absl::Status wrote = WriteFileAtomically(o.out, output, "--out"); !wrote.ok()) {
    return Fail(wrote);
  }
  std::cerr << "insight " << release->id << " written to --out (" << output.size() << " bytes)\n";
  return kExitOk;
}

}  // namespace

void AddInsightCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<InsightCommandOptions>();
  CLI::App* insight = app.add_subcommand(
      "insight",
      "A table of group insights from the register, protected before release (action\n"
      "insight.query: the follow-up purposes). Thresholds, secondary suppression proven by\n"
      "linear programming, the cell key method or differential privacy, as the query asks;\n"
      "a query that differs from an earlier release by a few people is refused.");
  AddEngineCallOptions(insight, o.get(),
                       "The call's context as JSON: an analyst of the board (socialnamnd) with "
                       "a follow-up purpose (uppfoljning, utvardering, kvalitetssakring, tillsyn)");
  insight
      ->add_option("--query", o->query,
                   "The query: a JSON file, - for standard input, or "
                   "the JSON itself (docs/insights.md)")
      ->required();
  insight->add_option("--format", o->format, "json (default), csv or html");
  insight->add_option("--out", o->out, "Write the table to this file (default: standard output)");
  insight->add_flag("--group-in-store", o->group_in_store,
                    "Group counts and shares in the register's database, the differencing "
                    "guard's comparisons too, so that no episode leaves it (docs/insights.md, "
                    "\"Aggregation in the store\")");
  insight->callback([o, exit_code] { *exit_code = RunInsight(*o); });
}

}  // namespace varsam::cli
