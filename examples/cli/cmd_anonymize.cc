// `varsam anonymize --in FILE.csv --schema SCHEMA.json --out OUT.csv --k K [--l L --sensitive
// FIELD] [--max-suppression FRACTION] --key-file FILE [--key-epoch N] [--names FILE]
// [--report REPORT.json] [--today YYYY-MM-DD] [--delimiter ,|;|tab]` (docs/cli.md,
// docs/anonymisation.md "Using the pipeline"): a CSV file through the anonymisation pipeline
// (varsam/anonymize.h) into a k-anonymous CSV file and a report.
//
// The input is RFC 4180 or what Excel saves with Swedish settings (csv.h): the delimiter is
// found on the header line (or a `sep=` line) unless --delimiter forces it; with ';' a decimal
// comma ("12,5") in a field that is not a direct identifier or free text reads as "12.5".
//
// The input is streamed: each record goes into the pipeline as it is read (the pipeline holds
// the transformed records — no direct identifier, scrubbed text — until the search). A bad
// record stops the run with exit 65 naming its line, never its content. The key is never
// printed.

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "cli.h"
#include "csv.h"
#include "files.h"
#include "varsam/anonymize.h"
#include "varsam/core.h"

namespace varsam::cli {
namespace {

namespace fs = std::filesystem;
using anonymize::Pipeline;
using anonymize::PipelineOptions;

struct AnonymizeOptions {
  std::string in;
  std::string schema;
  std::string out;
  int k = 0;
  int l = 0;
  std::string sensitive;
  double max_suppression = 0.0;
  std::string key_file;
  std::int32_t key_epoch = 0;
  std::string names;
  std::string report;
  std::optional<std::string> today;
  std::optional<std::string> delimiter;
};

int RunAnonymize(const AnonymizeOptions& o) {
  PipelineOptions po;
  if (o.today) {
    const auto day = ParseIsoDate(*o.today, "--today");
    if (!day.ok()) {
      std::cerr << "varsam: " << StatusMessage(day.status()) << " (see --help)\n";
      return kExitUsage;
    }
    po.scrub.today = *day;
  }
  std::optional<char> delimiter;
  if (o.delimiter) {
    const auto d = ParseDelimiter(*o.delimiter);
    if (!d.ok()) {
      std::cerr << "varsam: " << StatusMessage(d.status()) << " (see --help)\n";
      return kExitUsage;
    }
    delimiter = *d;
  }
  if (o.l == 1 || o.l < 0) {
    std::cerr << "varsam: --l must be at least 2 (see --help)\n";
    return kExitUsage;
  }

  // The schema; csv hierarchies resolve against its directory.
  auto schema_text = ReadFile(o.schema, "--schema");
  if (!schema_text.ok()) return Fail(schema_text.status());
  auto schema = anonymize::ParseSchema(*schema_text);
  if (!schema.ok()) return Fail(schema.status());
  po.schema = std::move(schema).value();
  const fs::path schema_dir = fs::path(o.schema).parent_path();
  po.read_hierarchy = [schema_dir](std::string_view file) -> absl::StatusOr<std::string> {
    const fs::path p = fs::path(file).is_absolute() ? fs::path(file) : schema_dir / fs::path(file);
    return ReadFile(p.string(), "the hierarchy file");
  };

  po.model.k = o.k;
  po.model.distinct_l = o.l;
  po.model.max_suppression = o.max_suppression;
  po.sensitive_field = o.sensitive;
  po.key_epoch = o.key_epoch;

  // The key: read, checked, handed to the pipeline once, wiped.
  std::array<std::uint8_t, 32> key{};
  bool have_key = false;
  if (!o.key_file.empty()) {
    const absl::Status read = ReadKeyFile(o.key_file, "--key-file", &key);
    if (!read.ok()) return Fail(read);
    have_key = true;
    const std::int32_t epoch = o.key_epoch;
    po.keys = [&key, epoch](std::int32_t asked, std::span<std::uint8_t, 32> out) {
      if (asked != epoch) return absl::NotFoundError("no key for that epoch");
      std::copy(key.begin(), key.end(), out.begin());
      return absl::OkStatus();
    };
  }
  if (!o.names.empty()) {
    auto names = ReadFile(o.names, "--names");
    if (!names.ok()) return Fail(names.status());
    std::istringstream lines(*names);
    std::string line;
    while (std::getline(lines, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.pop_back();
      }
      const std::size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      po.scrub.names.push_back(line.substr(start));
    }
  }

  auto created = Pipeline::Create(po);
  Wipe(key.data(), key.size());
  po.keys = nullptr;
  if (!created.ok()) {
    if (!have_key && created.status().code() == absl::StatusCode::kFailedPrecondition) {
      std::cerr << "varsam: " << StatusMessage(created.status()) << " (give --key-file)\n";
      return kExitDataErr;
    }
    return Fail(created.status());
  }
  Pipeline& pipeline = **created;

  // The input, streamed.
  std::error_code ec;
  if (!fs::exists(o.in, ec)) return Fail(absl::NotFoundError("--in: no such file"));
  std::ifstream in(o.in, std::ios::binary);
  if (!in) return Fail(absl::UnavailableError("--in: cannot be opened"));
  CsvReader reader(in, delimiter);
  std::vector<std::string> fields;
  auto header = reader.Next(&fields);
  if (!header.ok()) {
    return Fail(absl::InvalidArgumentError(Cat({"--in: ", StatusMessage(header.status())})));
  }
  if (!*header) return Fail(absl::InvalidArgumentError("--in: empty (no header row)"));
  // Every schema field must be a column, and every column a schema field.
  const auto& schema_fields = po.schema.fields;
  const std::size_t columns = fields.size();
  const auto mismatch = [&](std::string_view what) {
    std::vector<std::string> expected;
    expected.reserve(schema_fields.size());
    for (const auto& f : schema_fields) expected.push_back(f.name);
    return Fail(absl::InvalidArgumentError(
        Cat({"--in: line ", std::to_string(reader.line()), ": ", what, "; ",
             HeaderMismatchHint(reader.delimiter(), reader.delimiter_given(), expected)})));
  };
  std::vector<int> field_of_column(columns, -1);
  std::vector<bool> seen(schema_fields.size(), false);
  for (std::size_t c = 0; c < columns; ++c) {
    const anonymize::FieldSpec* f = po.schema.Find(fields[c]);
    if (f == nullptr) {
      return mismatch(Cat({"column ", std::to_string(c + 1), " ", KeyForMessage(fields[c]),
                           " is not a field of the schema"}));
    }
    const auto index = static_cast<std::size_t>(f - schema_fields.data());
    if (seen[index]) {
      return mismatch(Cat({"column ", KeyForMessage(fields[c]), " appears twice"}));
    }
    seen[index] = true;
    field_of_column[c] = static_cast<int>(index);
  }
  for (std::size_t i = 0; i < schema_fields.size(); ++i) {
    if (!seen[i]) {
      return mismatch(Cat({"the schema's field '", schema_fields[i].name, "' has no column"}));
    }
  }

  // With ';' (Swedish Excel) numbers may carry a decimal comma: read in every field that is not
  // a direct identifier or free text.
  std::vector<bool> decimal_comma(columns, false);
  if (reader.delimiter() == ';') {
    for (std::size_t c = 0; c < columns; ++c) {
      const auto role = schema_fields[static_cast<std::size_t>(field_of_column[c])].role;
      decimal_comma[c] = role != anonymize::FieldRole::kDirectIdentifier &&
                         role != anonymize::FieldRole::kFreeText;
    }
  }

  const bool progress = isatty(STDERR_FILENO) == 1;
  anonymize::Record record(schema_fields.size());
  std::size_t count = 0;
  while (true) {
    auto more = reader.Next(&fields);
    if (!more.ok()) {
      return Fail(absl::InvalidArgumentError(Cat({"--in: ", StatusMessage(more.status())})));
    }
    if (!*more) break;
    const std::string line = std::to_string(reader.line());
    if (fields.size() != columns) {
      return Fail(absl::InvalidArgumentError(
          Cat({"--in: line ", line, ": has ", std::to_string(fields.size()),
               " fields; the header has ", std::to_string(columns)})));
    }
    for (std::size_t c = 0; c < columns; ++c) {
      if (decimal_comma[c]) DecimalCommaToPoint(&fields[c]);
      record[static_cast<std::size_t>(field_of_column[c])] = std::move(fields[c]);
    }
    const absl::Status added = pipeline.Add(record);
    if (!added.ok()) {
      if (progress) std::cerr << "\n";
      std::cerr << "varsam: --in: line " << line << ": " << StatusMessage(added) << "\n";
      return ExitFor(added);
    }
    ++count;
    if (progress && count % 10000 == 0) std::cerr << "\r" << count << " records read" << std::flush;
  }
  if (progress) std::cerr << "\r" << count << " records read; searching\n";

  auto release = pipeline.Finish();
  if (!release.ok()) return Fail(release.status());

  std::ostringstream csv;
  WriteCsvRecord(csv, release->header);
  for (const auto& row : release->rows) WriteCsvRecord(csv, row);
  const absl::Status wrote = WriteFileAtomically(o.out, std::move(csv).str(), "--out");
  if (!wrote.ok()) return Fail(wrote);
  if (!o.report.empty()) {
    const absl::Status reported = WriteFileAtomically(
        o.report, Cat({DumpJson(anonymize::ReportJson(*release)), "\n"}), "--report");
    if (!reported.ok()) return Fail(reported);
  }

  std::string levels;
  for (std::size_t i = 0; i < release->quasi_identifiers.size(); ++i) {
    levels += Cat({i == 0 ? "" : ", ", release->quasi_identifiers[i], " ",
                   std::to_string(release->search.levels[i])});
  }
  std::cout << release->records_in << " records in, " << release->rows.size() << " released, "
            << release->search.suppressed << " suppressed; " << o.k << "-anonymous"
            << (o.l >= 2 ? Cat({", ", std::to_string(o.l), "-diverse in ", o.sensitive}) : "")
            << "; levels: " << (levels.empty() ? "(no quasi-identifier)" : levels) << "; max risk "
            << FormatNumber(release->search.input.max_risk) << " -> "
            << FormatNumber(release->search.release.max_risk) << "\n";
  return kExitOk;
}

}  // namespace

void AddAnonymizeCommand(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<AnonymizeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "anonymize",
      "Anonymise a CSV file through the pipeline: refuse records with forbidden values, scrub\n"
      "free text, pseudonymise direct identifiers under a key, and release the records\n"
      "k-anonymously along the schema's hierarchies (docs/anonymisation.md).");
  cmd->add_option("--in", options->in,
                  "Input CSV (RFC 4180 or Excel's with Swedish settings: ',', ';' or tab, found\n"
                  "on the header line; a header row of the schema's fields)")
      ->required();
  cmd->add_option("--delimiter", options->delimiter,
                  "Force the input's delimiter: ',' , ';' or tab (default: found on the header "
                  "line or Excel's sep= line)");
  cmd->add_option("--schema", options->schema, "Schema JSON (varsam-anonymize-schema/1)")
      ->required();
  cmd->add_option("--out", options->out, "Output CSV (the released records)")->required();
  cmd->add_option("--k", options->k, "k: every released class has at least k records")
      ->required()
      ->check(CLI::Range(1, 1000000));
  auto* sensitive =
      cmd->add_option("--sensitive", options->sensitive, "The sensitive field for l-diversity");
  cmd->add_option("--l", options->l, "Distinct l-diversity over --sensitive (2 or more)")
      ->check(CLI::Range(2, 1000000))
      ->needs(sensitive);
  cmd->add_option("--max-suppression", options->max_suppression,
                  "Fraction of records that may be suppressed (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--key-file", options->key_file,
                  "File with the epoch's 32-byte key as 64 hex digits (needed for pseudonyms)");
  cmd->add_option("--key-epoch", options->key_epoch, "The key epoch (default 0)")
      ->check(CLI::Range(0, 2147483647));
  cmd->add_option("--names", options->names,
                  "Names to scrub from free text, one per line (the host's list)");
  cmd->add_option("--report", options->report, "Write the report JSON here");
  cmd->add_option("--today", options->today,
                  "Reference date for ten-digit identity numbers, YYYY-MM-DD (default: today)");
  cmd->callback([options, exit_code] { *exit_code = RunAnonymize(*options); });
}

}  // namespace varsam::cli
