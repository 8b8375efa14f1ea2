// `varsam synth --clients N --seed S [--out DIR [--excel]] [--store DIR|URI] [--json]`
// (docs/synth.md, docs/cli.md): a synthetic population of clients with Skatteverket's official
// test numbers, their cases, scored forms and case notes with a ground truth of the identifiers
// in them, as CSV files and/or into a store's journal. --excel writes the CSV files as Excel with
// Swedish settings saves them (synth::CsvStyle: byte-order mark, ';', CRLF, decimal comma,
// kvinna/man, YYYYMMDD), the files a new user brings to `varsam anonymize`.

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "cli.h"
#include "files.h"
#include "varsam/core.h"
#include "varsam/store.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace varsam::cli {
namespace {

struct SynthOptions {
  std::size_t clients = 1000;
  std::uint64_t seed = 1;
  std::optional<std::string> out;
  std::optional<std::string> store;
  std::optional<std::string> register_file;
  std::optional<std::string> reference_date;
  int max_age = 100;
  int threads = 0;
  bool ground_truth = false;
  bool excel = false;
  bool json = false;
};

// Each case as one line of `varsam register submit`'s input (synth::RegisterCases).
class RegisterLinesSink : public synth::Sink {
 public:
  explicit RegisterLinesSink(std::string path) : path_(std::move(path)) {}
  absl::Status Add(const synth::ClientRecord& record) override {
    for (const submission::RegisterCase& c : synth::RegisterCases(record)) {
      text_ += DumpJson(submission::RegisterCaseJson(c));
      text_ += '\n';
    }
    return absl::OkStatus();
  }
  absl::Status Finish() override { return WriteFileAtomically(path_, text_, "--register"); }

 private:
  std::string path_;
  std::string text_;
};

int RunSynth(const SynthOptions& o) {
  synth::Options options;
  options.clients = o.clients;
  options.seed = o.seed;
  options.max_age = o.max_age;
  options.parameters.truth.enabled = o.ground_truth;
  if (o.reference_date) {
    const auto day = ParseIsoDate(*o.reference_date, "--reference-date");
    if (!day.ok()) {
      std::cerr << "varsam: " << day.status().message() << " (see --help)\n";
      return kExitUsage;
    }
    options.reference_date = *day;
  }
  auto generator = synth::Generator::Create(options);
  if (!generator.ok()) return Fail(generator.status());

  std::vector<std::unique_ptr<synth::Sink>> owned;
  std::unique_ptr<store::Store> opened;
  if (o.out) {
    auto csv = synth::CsvSink(*o.out, synth::CsvStyle{.excel = o.excel});
    if (!csv.ok()) return Fail(csv.status());
    owned.push_back(std::move(csv).value());
  }
  if (o.store) {
    auto s = store::Store::Open(*o.store);
    if (!s.ok()) return Fail(s.status());
    opened = std::move(s).value();
    owned.push_back(synth::StoreSink(opened.get()));
  }
  if (o.register_file) owned.push_back(std::make_unique<RegisterLinesSink>(*o.register_file));
  std::vector<synth::Sink*> sinks;
  sinks.reserve(owned.size());
  for (const auto& sink : owned) sinks.push_back(sink.get());
  synth::TeeSink tee(std::move(sinks));
  const auto summary = (*generator)->Run(tee, o.threads);
  if (!summary.ok()) return Fail(summary.status());

  if (o.json) {
    nlohmann::ordered_json out;
    out["clients"] = summary->clients;
    out["cases"] = summary->cases;
    out["measurements"] = summary->measurements;
    out["notes"] = summary->notes;
    out["identifiers"] = summary->identifiers;
    out["seconds"] = summary->seconds;
    std::cout << DumpJson(out) << "\n";
    return kExitOk;
  }
  std::cout << "synthetic population, seed " << o.seed << ": " << summary->clients << " clients, "
            << summary->cases << " cases, " << summary->measurements << " measurements, "
            << summary->notes << " notes with " << summary->identifiers << " identifiers ("
            << absl::StrFormat("%.2f", summary->seconds) << " s)\n";
  if (o.out) {
    std::cout << "CSV files written (clients, cases, measurements, notes, truth)"
              << (o.excel ? " as Excel with Swedish settings saves them\n" : "\n");
  }
  if (o.store) std::cout << "measurements appended to the store's journal\n";
  if (o.register_file) std::cout << "cases written as `varsam register submit` input\n";
  return kExitOk;
}

}  // namespace

void AddSynthCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<SynthOptions>();
  CLI::App* cmd = app.add_subcommand(
      "synth",
      "Make a synthetic population: clients with Skatteverket's official test numbers, cases,\n"
      "scored forms and case notes with a ground truth of their identifiers (docs/synth.md).");
  cmd->add_option("--clients", options->clients, "Number of clients (default 1000)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100000000}));
  cmd->add_option("--seed", options->seed, "Seed; the same seed gives the same population");
  auto* out = cmd->add_option("--out", options->out,
                              "Directory for clients.csv, cases.csv, measurements.csv, notes.csv, "
                              "notes_truth.csv (created)");
  cmd->add_flag("--excel", options->excel,
                "Write --out's files as Excel with Swedish settings saves CSV UTF-8: byte-order "
                "mark, ';', CRLF, decimal comma, kvinna/man, dates YYYYMMDD")
      ->needs(out);
  cmd->add_option("--store", options->store,
                  "Store (DIR or postgresql://…) whose journal receives the measurements");
  cmd->add_option("--register", options->register_file,
                  "File for the cases as `varsam register submit` input (JSON lines)");
  cmd->add_option("--reference-date", options->reference_date,
                  "The population's 'today', YYYY-MM-DD (default 2025-01-01)");
  cmd->add_option("--max-age", options->max_age,
                  "Use only test numbers of people aged at most this (default 100; 150: all)")
      ->check(CLI::Range(0, 150));
  cmd->add_option("--threads", options->threads, "Threads making clients (0: all cores, max 8)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--ground-truth", options->ground_truth,
                "Dropout and new cases follow the documented logistic ground truth for models "
                "(docs/synth.md)");
  cmd->add_flag("--json", options->json, "One JSON object with the counts on stdout");
  cmd->callback([options, exit_code] { *exit_code = RunSynth(*options); });
}

}  // namespace varsam::cli
