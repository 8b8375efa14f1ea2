// `varsam policy check --context FILE --action A [--resource FILE] [--json]` and
// `varsam policy show [--json]` (docs/cli.md): one call's policy decision, with the rules that
// decided it, their citations and explanation; and the policy pack as a table.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cli.h"
#include "files.h"
#include "varsam/access.h"
#include "varsam/core.h"

namespace varsam::cli {
namespace {

namespace acc = access;

struct PolicyOptions {
  std::string context;
  std::string action;
  std::optional<std::string> resource;
  std::vector<std::string> packs;
  std::string lang = "en";
  bool json = false;
};

// The built-in pack and the host's packs of --pack, in order.
absl::StatusOr<acc::PolicySet> LoadSet(const PolicyOptions& options) {
  VARSAM_ASSIGN_OR_RETURN(acc::PolicySet set, acc::PolicySet::Load());
  for (const std::string& path : options.packs) {
    VARSAM_ASSIGN_OR_RETURN(const std::string text, ReadFile(path, "--pack"));
    VARSAM_RETURN_IF_ERROR(set.LoadHostPack(text));
  }
  return set;
}

int RunCheck(const PolicyOptions& options) {
  const std::optional<acc::Action> action = acc::ParseAction(options.action);
  if (!action) {
    std::cerr << "varsam: --action: not an action id (score, journal.read, journal.write, "
                 "register.submit, register.export, register.read_rows, insight.query, "
                 "model.train, model.apply, decision.record, audit.read) (see --help)\n";
    return kExitUsage;
  }
  const auto set = LoadSet(options);
  if (!set.ok()) return Fail(set.status());
  const auto context_text = ReadFile(options.context, "--context");
  if (!context_text.ok()) return Fail(context_text.status());
  const auto context = acc::ParseContext(*context_text);
  if (!context.ok()) return Fail(context.status());
  acc::Resource resource;
  if (options.resource) {
    const auto resource_text = ReadFile(*options.resource, "--resource");
    if (!resource_text.ok()) return Fail(resource_text.status());
    const auto parsed = acc::ParseResource(*resource_text);
    if (!parsed.ok()) return Fail(parsed.status());
    resource = *parsed;
  }
  const acc::Decision decision = set->DecideAndExplain(*context, *action, resource);
  const std::string& explanation =
      options.lang == "sv" ? decision.explanation_sv : decision.explanation_en;
  if (options.json) {
    // The library's form, with the explanation in --lang; the CLI's keys stay those of 0.1.
    nlohmann::ordered_json out = acc::ToJson(decision);
    out["explanation"] = explanation;
    out.erase("explanation_sv");
    std::cout << DumpJson(out) << "\n";
  } else {
    std::cout << (decision.allow ? "allow" : "deny") << "  " << options.action << "\n";
    for (size_t i = 0; i < decision.rules.size(); ++i) {
      std::cout << "  " << decision.rules[i] << "  (" << decision.citations[i] << ")\n";
    }
    std::cout << "  " << explanation << "\n";
  }
  return decision.allow ? kExitOk : kExitDenied;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) out += out.empty() ? part : Cat({separator, part});
  return out;
}

std::string ActionsText(const acc::Rule& rule) {
  if (rule.all_actions) return "*";
  std::vector<std::string> names;
  for (acc::Action action : rule.actions) names.emplace_back(acc::Name(action));
  return Join(names, ",");
}

std::string WhenText(const acc::Rule& rule) {
  std::vector<std::string> parts;
  for (const acc::Condition& c : rule.when) {
    const std::string values = Join(c.values, ",");
    if (c.op == "equals") parts.push_back(Cat({c.attribute, "=", values}));
    if (c.op == "in") parts.push_back(Cat({c.attribute, " in ", values}));
    if (c.op == "not_in") parts.push_back(Cat({c.attribute, " not in ", values}));
  }
  return parts.empty() ? "always" : Join(parts, "; ");
}

size_t Width(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

int RunShow(const PolicyOptions& options) {
  const auto set = LoadSet(options);
  if (!set.ok()) return Fail(set.status());
  const std::vector<const acc::Rule*> rules = set->rules();
  if (options.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const acc::Rule* rule : rules) {
      nlohmann::ordered_json when = nlohmann::ordered_json::array();
      for (const acc::Condition& c : rule->when) {
        when.push_back({{"attribute", c.attribute}, {"op", c.op}, {"values", c.values}});
      }
      std::vector<std::string> actions;
      for (acc::Action action : rule->actions) actions.emplace_back(acc::Name(action));
      out.push_back(
          {{"id", rule->id},
           {"pack", rule->pack},
           {"effect", rule->effect == acc::Effect::kPermit ? "permit" : "forbid"},
           {"floor", rule->floor},
           {"actions", actions},
           {"when", when},
           {"citation", rule->citation},
           {"valid_from",
            rule->valid_from ? nlohmann::ordered_json(FormatIsoDate(*rule->valid_from)) : nullptr},
           {"valid_to",
            rule->valid_to ? nlohmann::ordered_json(FormatIsoDate(*rule->valid_to)) : nullptr},
           {"explanation", {{"sv", rule->explanation_sv}, {"en", rule->explanation_en}}}});
    }
    std::cout << DumpJson(out) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"id", "effect", "actions", "when", "citation", "from", "to"}};
  for (const acc::Rule* rule : rules) {
    rows.push_back({Cat({rule->id, rule->floor ? " (floor)" : ""}),
                    rule->effect == acc::Effect::kPermit ? "permit" : "forbid", ActionsText(*rule),
                    WhenText(*rule), rule->citation,
                    rule->valid_from ? FormatIsoDate(*rule->valid_from) : "-",
                    rule->valid_to ? FormatIsoDate(*rule->valid_to) : "-"});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - Width(row[i]) + 2, ' ');
    }
    std::cout << line << "\n";
  }
  std::cout << "\nDefault: deny, no-lawful-basis (SoLPUL 6 §). Packs: " << Join(set->packs(), ", ")
            << ". Not legal advice; see docs/legal-basis.md.\n";
  return kExitOk;
}

void AddPackOption(CLI::App* command, PolicyOptions* options) {
  command->add_option("--pack", options->packs,
                      "Load a host's policy pack (JSON, docs/legal-basis.md) after the built-in "
                      "se-socialtjanst; may be repeated");
}

}  // namespace

void AddPolicyCommand(CLI::App& app, int* exit_code) {
  auto* policy = app.add_subcommand(
      "policy",
      "Purpose-checked access: the policy pack se-socialtjanst (default deny, any matching\n"
      "forbid wins) with legal citations. See docs/legal-basis.md. Not legal advice.");
  policy->require_subcommand(1);

  auto check_options = std::make_shared<PolicyOptions>();
  auto* check = policy->add_subcommand(
      "check",
      "Decide one call: the context (JSON file, see docs/cli.md), the action and optionally a\n"
      "resource (JSON file). Prints the decision, the rules that decided it, their citations\n"
      "and the explanation. Exit 0 allow; 77 deny; 64 usage error; 65 bad context, resource\n"
      "or pack; 66 a file is missing.");
  check->add_option("--context", check_options->context, "The access context (JSON file)")
      ->required();
  check
      ->add_option("--action", check_options->action,
                   "The action: score, journal.read, journal.write, register.submit, "
                   "register.export, register.read_rows, insight.query, model.train, "
                   "model.apply, decision.record, audit.read")
      ->required();
  check->add_option("--resource", check_options->resource,
                    "What the call touches (JSON file), e.g. {\"model_kind\": \"evidence_based\"}");
  check->add_flag("--json", check_options->json,
                  "Print one JSON object: decision (allow|deny), rules, citations, explanation");
  check->add_option("--lang", check_options->lang, "Language of the explanation: en or sv")
      ->check(CLI::IsMember({"en", "sv"}));
  AddPackOption(check, check_options.get());
  check->callback([check_options, exit_code] { *exit_code = RunCheck(*check_options); });

  auto show_options = std::make_shared<PolicyOptions>();
  auto* show = policy->add_subcommand(
      "show", "Show the rules in force as a table (--json: an array of rules).");
  show->add_flag("--json", show_options->json, "Print the rules as a JSON array");
  AddPackOption(show, show_options.get());
  show->callback([show_options, exit_code] { *exit_code = RunShow(*show_options); });
}

}  // namespace varsam::cli
