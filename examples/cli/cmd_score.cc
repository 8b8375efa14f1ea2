// `varsam score INSTRUMENT --responses LIST [...]` and `varsam score --list [--json]`
// (docs/cli.md): standardised instruments scored by the engine of
// varsam/instruments.h over the process-wide registry, with host definitions from
// `--definition FILE`.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
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
#include "varsam/core.h"
#include "varsam/instruments.h"

namespace varsam::cli {
namespace {

namespace ins = instruments;

struct ScoreOptions {
  std::string instrument;
  std::optional<std::string> responses;
  std::optional<std::string> sex;
  std::optional<int> age;
  std::optional<double> previous_total;
  bool json = false;
  std::string lang = "en";
  std::optional<std::string> definition;
  bool list = false;
};

int UsageError(std::string_view message) {
  std::cerr << "varsam: " << message << " (see --help)\n";
  return kExitUsage;
}

int DataError(const absl::Status& status) {
  std::cerr << "varsam: " << status.message() << "\n";
  return kExitDataErr;
}

const std::string& In(const ins::Text& text, bool swedish) { return swedish ? text.sv : text.en; }

// The answers of `--responses`: comma-separated numbers in item order, an empty entry for a
// missing item. A bad entry is named by its item number, never by what it holds.
absl::StatusOr<std::vector<double>> ParseResponses(std::string_view list) {
  std::vector<double> answers;
  while (true) {
    const size_t comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) {
      entry.remove_prefix(1);
    }
    while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
    const std::string item = std::to_string(answers.size() + 1);
    if (answers.size() >= static_cast<size_t>(ins::kMaxItems)) {
      return absl::InvalidArgumentError(
          Cat({"--responses: more than ", std::to_string(ins::kMaxItems), " answers"}));
    }
    if (entry.empty()) {
      answers.push_back(ins::kMissing);
    } else {
      double value = 0;
      const auto [end, error] = std::from_chars(entry.data(), entry.data() + entry.size(), value);
      if (error != std::errc() || end != entry.data() + entry.size()) {
        return absl::InvalidArgumentError(Cat({"--responses: item ", item, " is not a number"}));
      }
      if (!std::isfinite(value)) {
        return absl::InvalidArgumentError(
            Cat({"--responses: item ", item, " is not a finite number"}));
      }
      answers.push_back(value);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return answers;
}

// Loads a host's definition file into the global registry. Prints the error and returns its
// exit code, or kExitOk.
int LoadDefinition(const std::string& path) {
  // The path is not echoed: it is an argument, and arguments may hold personal data.
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    std::cerr << "varsam: --definition: no such file\n";
    return kExitNoInput;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || !text) {
    std::cerr << "varsam: --definition: cannot read the file\n";
    return kExitIoErr;
  }
  const auto loaded = ins::Registry::Global().Load(text.str());
  if (loaded.ok()) return kExitOk;
  const absl::StatusCode code = loaded.status().code();
  if (code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kAlreadyExists) {
    return DataError(loaded.status());
  }
  return Fail(loaded.status());
}

// Width of UTF-8 text in characters (enough for names with å, ä, ö to line up).
size_t Width(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string Pad(std::string_view text, size_t width) {
  std::string out(text);
  out.append(width > Width(text) ? width - Width(text) : 0, ' ');
  return out;
}

int RunList(const ScoreOptions& options) {
  const std::vector<const ins::Instrument*> all = ins::Registry::Global().List();
  if (options.json) {
    std::cout << DumpJson(ins::Registry::Global().ToJson()) << "\n";
    return kExitOk;
  }
  const bool swedish = options.lang == "sv";
  size_t id_width = 2, name_width = 4;
  for (const ins::Instrument* instrument : all) {
    id_width = std::max(id_width, Width(instrument->id()));
    name_width = std::max(name_width, Width(In(instrument->definition().name, swedish)));
  }
  std::cout << Pad("id", id_width) << "  " << Pad("name", name_width) << "  items  bands\n";
  for (const ins::Instrument* instrument : all) {
    const ins::Definition& def = instrument->definition();
    std::string bands;
    for (const std::string& band : def.band_ids) {
      bands += bands.empty() ? band : Cat({", ", band});
    }
    std::cout << Pad(instrument->id(), id_width) << "  " << Pad(In(def.name, swedish), name_width)
              << "  " << Pad(std::to_string(instrument->item_count()), 5) << "  "
              << (bands.empty() ? "-" : bands) << "\n";
  }
  return kExitOk;
}

int RunScore(const ScoreOptions& options) {
  if (options.instrument.empty() || !options.responses.has_value()) {
    return UsageError("INSTRUMENT and --responses are required (or --list)");
  }
  if (options.previous_total.has_value() && !std::isfinite(*options.previous_total)) {
    return UsageError("--previous-total: must be a finite number");
  }
  // The id is not echoed: an argument in the wrong place may be a personnummer.
  const ins::Instrument* instrument = ins::Registry::Global().Find(options.instrument);
  if (instrument == nullptr) {
    std::cerr << "varsam: unknown instrument; `varsam score --list` lists the ids\n";
    return kExitUsage;
  }
  auto answers = ParseResponses(*options.responses);
  if (!answers.ok()) return DataError(answers.status());
  if (answers->size() != static_cast<size_t>(instrument->item_count())) {
    return DataError(absl::InvalidArgumentError(
        Cat({"--responses: ", instrument->id(), " has ", std::to_string(instrument->item_count()),
             " items, ", std::to_string(answers->size()),
             answers->size() == 1 ? " was given" : " were given"})));
  }
  ins::Respondent respondent;
  if (options.sex.has_value()) {
    respondent.sex = *options.sex == "female" ? ident::Sex::kFemale : ident::Sex::kMale;
  }
  respondent.age = options.age;
  respondent.previous_total = options.previous_total;

  const auto score = instrument->ScoreOne(*answers, respondent);
  if (!score.ok()) {
    if (score.status().code() == absl::StatusCode::kInvalidArgument) {
      return DataError(score.status());
    }
    return Fail(score.status());
  }
  const bool swedish = options.lang == "sv";
  if (options.json) {
    std::cout << DumpJson(ins::ToJson(*score, swedish)) << "\n";
  } else {
    std::cout << DescribeScore(*instrument, *score, swedish);
  }
  return kExitOk;
}

int Run(const ScoreOptions& options) {
  if (options.definition.has_value()) {
    const int loaded = LoadDefinition(*options.definition);
    if (loaded != kExitOk) return loaded;
  }
  return options.list ? RunList(options) : RunScore(options);
}

}  // namespace

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "-";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string text = buffer;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string DescribeScore(const instruments::Instrument& instrument,
                          const instruments::Score& score, bool swedish) {
  const ins::Definition& def = instrument.definition();
  const auto label = [swedish](std::string_view en, std::string_view sv) {
    return Pad(swedish ? sv : en, 11);
  };
  std::string out =
      Cat({label("Instrument", "Instrument"), In(def.name, swedish), " [", def.id, "]\n"});
  const std::string range = Cat({swedish ? "skala " : "range ", FormatNumber(def.total_min), "-",
                                 FormatNumber(def.total_max)});
  if (score.total.has_value()) {
    out += Cat({label("Total", "Summa"), FormatNumber(*score.total), " (", range, ")\n"});
  } else {
    out += Cat({label("Total", "Summa"),
                swedish ? "ingen (för många obesvarade frågor)" : "none (too many items missing)",
                " (", range, ")\n"});
  }
  if (!def.band_ids.empty()) {
    std::string band = swedish ? "ingen" : "none";
    if (score.band.has_value()) {
      band = std::string(*score.band);
      if (score.band_label != nullptr) band += Cat({" (", In(*score.band_label, swedish), ")"});
    }
    out += Cat({label("Band", "Nivå"), band, "\n"});
  }
  if (!score.subscales.empty()) {
    std::string subscales;
    for (const ins::SubscaleScore& s : score.subscales) {
      if (!subscales.empty()) subscales += ", ";
      subscales += Cat({s.id, " ", s.score.has_value() ? FormatNumber(*s.score) : "-"});
    }
    out += Cat({label("Subscales", "Delskalor"), subscales, "\n"});
  }
  out += Cat({label("Answered", "Besvarade"), std::to_string(score.answered),
              swedish ? ", obesvarade " : ", missing ", std::to_string(score.missing),
              score.prorated ? (swedish ? ", summan uppräknad" : ", prorated")
                             : (swedish ? ", inte uppräknad" : ", not prorated"),
              "\n"});
  if (score.flags.empty()) {
    out += Cat({label("Flags", "Flaggor"), swedish ? "inga" : "none", "\n"});
  }
  for (const ins::Flag& flag : score.flags) {
    std::string severity(ins::SeverityName(flag.severity));
    std::transform(severity.begin(), severity.end(), severity.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    out += Cat({Pad(severity, 11), flag.code,
                flag.message != nullptr ? Cat({": ", In(*flag.message, swedish)}) : "", "\n"});
  }
  return out;
}

void AddScoreCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ScoreOptions>();
  auto* cmd = app.add_subcommand(
      "score",
      "Score a standardised instrument (PHQ-9, GAD-7, AUDIT, AUDIT-C, DUDIT, CORE-10, K10,\n"
      "KASAM/SOC-13 and -29, ORS, CORS, SRS, CSRS) from a client's answers: total, band,\n"
      "subscales and the flags an officer must see. Decision support: the officer decides.\n"
      "Exit 0 scored; 64 usage error or unknown instrument; 65 bad answers or a bad\n"
      "definition; 66 --definition file missing.");
  auto* instrument = cmd->add_option(
      "INSTRUMENT", options->instrument,
      "Instrument id (phq9, gad7, audit, audit-c, dudit, core10, k10, soc13, soc29, ors, cors, "
      "srs, csrs, or one loaded with --definition); `varsam score --list` lists them");
  auto* responses =
      cmd->add_option("--responses", options->responses,
                      "Answers in item order, comma-separated, an empty entry for a missing item "
                      "(e.g. 1,0,2,,3)");
  cmd->add_option("--sex", options->sex, "The respondent's sex (sex-specific cut-offs)")
      ->check(CLI::IsMember({"female", "male"}));
  cmd->add_option("--age", options->age, "The respondent's age in whole years")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--previous-total", options->previous_total,
                  "The previous session's total (change rules, e.g. the SRS drop)");
  cmd->add_flag("--json", options->json,
                "Print one JSON object: instrument, total, subscales, band, flags [{code, "
                "severity, message}], answered, missing, prorated; with --list, a JSON array "
                "describing every instrument");
  cmd->add_option("--lang", options->lang, "Language of names and messages: en (default) or sv")
      ->check(CLI::IsMember({"en", "sv"}));
  cmd->add_option("--definition", options->definition,
                  "Load a host's instrument definition (JSON, docs/instrument-format.md) first, "
                  "so that its id can be scored or listed");
  auto* list = cmd->add_flag("--list", options->list,
                             "List the instruments: id, name, items, bands (--json: the full "
                             "descriptions)");
  list->excludes(instrument);
  list->excludes(responses);
  cmd->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace varsam::cli
