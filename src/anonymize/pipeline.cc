// The anonymisation pipeline (include/varsam/anonymize.h, "The pipeline"; docs/anonymisation.md,
// "Using the pipeline"): records in — refused, scrubbed, pseudonymised, their quasi-identifiers
// kept for the search — and one k-anonymous release out.
//
// Messages name the record by its 1-based number and the field by its name (a column header,
// never personal data); never a value. A refused record's status also carries both as a
// RecordError payload (RecordStatus, RecordErrorOf), so callers that name records their own way
// need not parse the message.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/cord.h"
#include "nlohmann/json.hpp"
#include "varsam/anonymize.h"
#include "varsam/core.h"
#include "varsam/hierarchy.h"
#include "varsam/kanonymity.h"
#include "varsam/pseudonym.h"
#include "varsam/scrub.h"

namespace varsam::anonymize {
namespace {

// The name of the stand-in column when the schema has no quasi-identifier: every row is one
// class (so k still holds), and the column is left out of the release's levels.
constexpr std::string_view kNoQuasiIdentifier = "(no quasi-identifier)";

std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string FieldRef(const FieldSpec& f) { return Cat({"field '", f.name, "'"}); }

// What becomes of each schema field.
enum class Action : std::uint8_t {
  kDrop,       // a direct identifier without a pseudonym kind; a forbidden field
  kPseudonym,  // a direct identifier with a kind
  kQuasi,      // held for the search, replaced by its label at the chosen level
  kKeep,       // sensitive, insensitive: kept as it is
  kScrub,      // free text
};

struct FieldPlan {
  Action action = Action::kDrop;
  int out = -1;    // the output column, or -1
  int quasi = -1;  // the index among the quasi-identifiers, or -1
};

class PipelineImpl final : public Pipeline {
 public:
  PipelineImpl(PipelineOptions options, std::vector<FieldPlan> plan,
               std::vector<Hierarchy> hierarchies, std::optional<Pseudonymizer> pseudonymizer,
               Scrubber scrubber, std::vector<std::string> header,
               std::vector<std::string> quasi_names, int sensitive_field)
      : options_(std::move(options)),
        plan_(std::move(plan)),
        hierarchies_(std::move(hierarchies)),
        pseudonymizer_(std::move(pseudonymizer)),
        scrubber_(std::move(scrubber)),
        header_(std::move(header)),
        quasi_names_(std::move(quasi_names)),
        sensitive_field_(sensitive_field),
        known_(hierarchies_.size()),
        quasi_values_(hierarchies_.size()),
        level0_(hierarchies_.size()) {}

  absl::Status Add(const Record& record) override;
  absl::StatusOr<Release> Finish() override;

 private:
  // The record being added refused: "record N: <message>", and the structured RecordError
  // (varsam/anonymize.h) naming `field` (nullptr: the record as a whole).
  absl::Status Refuse(std::string_view message, const FieldSpec* field = nullptr,
                      absl::StatusCode code = absl::StatusCode::kInvalidArgument) const {
    return RecordStatus(
        code, RecordError{records_in_, field != nullptr ? field->name : "", std::string(message)});
  }

  PipelineOptions options_;
  std::vector<FieldPlan> plan_;
  std::vector<Hierarchy> hierarchies_;  // per quasi-identifier
  std::optional<Pseudonymizer> pseudonymizer_;
  Scrubber scrubber_;
  std::vector<std::string> header_;
  std::vector<std::string> quasi_names_;
  int sensitive_field_ = -1;  // schema index, or -1

  // Values already found in each quasi-identifier's hierarchy (checked once per distinct value),
  // with their level-0 form: the hierarchy's canonical spelling ("K" -> "female", "20260105" ->
  // "2026-01-05"), which is what the search and the release see.
  std::vector<absl::flat_hash_map<std::string, std::string>> known_;
  std::vector<std::vector<std::string>> quasi_values_;  // [quasi][row]: the raw value
  std::vector<Record> rows_;                            // output columns; quasi slots empty
  std::vector<std::string> sensitive_values_;           // [row], when l-diversity is asked
  std::array<std::size_t, kKindCount> scrubbed_{};
  std::size_t records_in_ = 0;
  bool finished_ = false;

  // Per-call scratch, reused.
  std::vector<std::string> names_;
  std::vector<Span> spans_;
  std::vector<std::string> level0_;  // [quasi]: this record's level-0 value
};

// The kinds whose appearance in a kept (sensitive or insensitive) value means the schema has
// the field wrong: these are direct identifiers by any reading.
constexpr Kind kKeptRefusedKinds[] = {Kind::kPersonnummer, Kind::kSamordningsnummer, Kind::kEmail,
                                      Kind::kPhone};

absl::Status PipelineImpl::Add(const Record& record) {
  if (finished_) return absl::FailedPreconditionError("pipeline: already finished");
  const auto& fields = options_.schema.fields;
  if (record.size() != fields.size()) {
    return Refuse(Cat({"has ", std::to_string(record.size()), " values; the schema has ",
                       std::to_string(fields.size()), " fields"}));
  }
  // Checks first, so that a refused record leaves nothing behind.
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!IsValidUtf8(record[i])) {
      return Refuse(Cat({FieldRef(fields[i]), ": not UTF-8"}), &fields[i]);
    }
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].role == FieldRole::kForbidden && !TrimAscii(record[i]).empty()) {
      return Refuse(Cat({FieldRef(fields[i]),
                         " is forbidden and holds a value; the record is "
                         "refused (nothing of it is kept)"}),
                    &fields[i], absl::StatusCode::kFailedPrecondition);
    }
  }
  // The record's names (person_name fields, ';'-separated).
  names_.clear();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!fields[i].is_name) continue;
    std::string_view rest = record[i];
    while (true) {
      const std::size_t semi = rest.find(';');
      const std::string_view name = TrimAscii(rest.substr(0, semi));
      if (!name.empty()) names_.emplace_back(name);
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  // Values that may be released as they are (kept fields, and quasi-identifiers, which level 0
  // releases verbatim) must not hold an identity number, an e-mail address or a phone number.
  const auto holds_identifier = [&](std::size_t i) -> absl::Status {
    VARSAM_RETURN_IF_ERROR(scrubber_.Find(record[i], {}, &spans_));
    for (const Span& s : spans_) {
      if (std::find(std::begin(kKeptRefusedKinds), std::end(kKeptRefusedKinds), s.kind) !=
          std::end(kKeptRefusedKinds)) {
        return Refuse(
            Cat({FieldRef(fields[i]), " (", Name(fields[i].role), ") holds a ", KindName(s.kind),
                 "; a direct identifier belongs in a direct_identifier or free_text field"}),
            &fields[i]);
      }
    }
    return absl::OkStatus();
  };
  // Quasi-identifiers: known to their hierarchy (each new value checked once).
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldPlan& p = plan_[i];
    if (p.action != Action::kQuasi) continue;
    const auto q = static_cast<std::size_t>(p.quasi);
    if (const auto it = known_[q].find(record[i]); it != known_[q].end()) {
      level0_[q] = it->second;
      continue;
    }
    auto level0 = hierarchies_[q].Generalize(record[i], 0);
    if (!level0.ok()) {
      return Refuse(Cat({FieldRef(fields[i]), ": ", StatusMessage(level0.status())}), &fields[i]);
    }
    VARSAM_RETURN_IF_ERROR(holds_identifier(i));
    level0_[q] = std::move(level0).value();
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (plan_[i].action != Action::kKeep || record[i].empty()) continue;
    VARSAM_RETURN_IF_ERROR(holds_identifier(i));
  }

  // Transform.
  Record out(header_.size());
  std::array<std::size_t, kKindCount> counts{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldPlan& p = plan_[i];
    switch (p.action) {
      case Action::kDrop:
      case Action::kQuasi: break;
      case Action::kKeep: out[static_cast<std::size_t>(p.out)] = record[i]; break;
      case Action::kPseudonym: {
        const std::string_view value = TrimAscii(record[i]);
        if (value.empty()) break;  // an empty value stays empty
        auto pseudonym = pseudonymizer_->Pseudonymize(*fields[i].pseudonym, value);
        if (!pseudonym.ok()) {
          return Refuse(Cat({FieldRef(fields[i]), ": ", StatusMessage(pseudonym.status())}),
                        &fields[i]);
        }
        out[static_cast<std::size_t>(p.out)] = std::move(pseudonym).value();
        break;
      }
      case Action::kScrub: {
        // One pass: overlapping identifiers are merged into one span by the scrubber, so
        // nothing of either survives ("Lars lars.5@example.se" becomes one placeholder).
        const std::string& text_in = record[i];
        VARSAM_RETURN_IF_ERROR(scrubber_.Find(text_in, names_, &spans_));
        std::string text;
        VARSAM_RETURN_IF_ERROR(Scrubber::Replace(text_in, spans_, &text));
        for (const Span& s : spans_) ++counts[static_cast<std::size_t>(s.kind)];
        out[static_cast<std::size_t>(p.out)] = std::move(text);
        break;
      }
    }
  }

  // Accepted: keep it.
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldPlan& p = plan_[i];
    if (p.action != Action::kQuasi) continue;
    const auto q = static_cast<std::size_t>(p.quasi);
    known_[q].try_emplace(record[i], level0_[q]);
    quasi_values_[q].push_back(level0_[q]);
  }
  if (sensitive_field_ >= 0) {
    sensitive_values_.push_back(record[static_cast<std::size_t>(sensitive_field_)]);
  }
  for (std::size_t k = 0; k < kKindCount; ++k) scrubbed_[k] += counts[k];
  rows_.push_back(std::move(out));
  ++records_in_;
  return absl::OkStatus();
}

absl::StatusOr<Release> PipelineImpl::Finish() {
  if (finished_) return absl::FailedPreconditionError("pipeline: already finished");
  finished_ = true;
  const auto& fields = options_.schema.fields;
  const std::size_t n = rows_.size();

  Release release;
  release.header = header_;
  release.records_in = records_in_;
  release.quasi_identifiers = quasi_names_;
  release.scrubbed = scrubbed_;
  release.model = options_.model;
  release.sensitive_field = options_.sensitive_field;
  release.key_epoch = options_.key_epoch;

  const std::size_t qn = hierarchies_.size();
  if (n == 0) {
    // Nothing to release: vacuously k-anonymous (and l-diverse).
    for (std::size_t q = 0; q < qn; ++q) {
      release.search.levels.push_back(options_.model.min_level[q]);
    }
    release.search.input.levels = release.search.levels;
    release.search.release.levels = release.search.levels;
    release.search.input.risk_threshold = options_.model.risk_threshold;
    release.search.release.risk_threshold = options_.model.risk_threshold;
    return release;
  }

  Table table;
  PrivacyModel model = options_.model;
  if (qn == 0) {
    Column all;
    all.name = std::string(kNoQuasiIdentifier);
    all.codes.assign(n, 0);
    all.up = {{0}};
    all.labels = {{"*"}};
    table.columns.push_back(std::move(all));
    model.min_level = {0};
    model.max_level = {0};
  }
  for (std::size_t q = 0; q < qn; ++q) {
    VARSAM_ASSIGN_OR_RETURN(Column column,
                            Encode(hierarchies_[q], quasi_names_[q], quasi_values_[q]));
    table.columns.push_back(std::move(column));
    std::vector<std::string>().swap(quasi_values_[q]);
  }
  if (sensitive_field_ >= 0) {
    absl::flat_hash_map<std::string, std::uint32_t> codes;
    table.sensitive.reserve(n);
    for (const std::string& v : sensitive_values_) {
      const auto [it, inserted] = codes.try_emplace(v, static_cast<std::uint32_t>(codes.size()));
      table.sensitive.push_back(it->second);
    }
  }

  auto result = Anonymize(table, model);
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(Cat(
          {"pipeline: no generalisation within the schema's levels satisfies the model for the ",
           std::to_string(n), " records within the suppression budget (",
           StatusMessage(result.status()), ")"}));
    }
    return result.status();
  }

  // Output: the kept rows, each quasi-identifier replaced by its label at the chosen level.
  release.rows.reserve(result->kept_rows.size());
  for (const std::uint32_t row : result->kept_rows) {
    Record out = std::move(rows_[row]);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const FieldPlan& p = plan_[i];
      if (p.action != Action::kQuasi) continue;
      const auto q = static_cast<std::size_t>(p.quasi);
      const Column& c = table.columns[q];
      const auto level = static_cast<std::size_t>(result->levels[q]);
      out[static_cast<std::size_t>(p.out)] = c.labels[level][c.up[level][c.codes[row]]];
    }
    release.rows.push_back(std::move(out));
  }
  std::vector<Record>().swap(rows_);
  release.search = std::move(result).value();
  if (qn == 0) {
    release.search.levels.clear();
    release.search.input.levels.clear();
    release.search.release.levels.clear();
  }
  return release;
}

nlohmann::ordered_json RiskJson(const RiskReport& r) {
  nlohmann::ordered_json j;
  j["records"] = r.records;
  j["classes"] = r.classes;
  j["max_risk"] = r.max_risk;
  j["average_risk"] = r.average_risk;
  j["records_at_risk"] = r.records_at_risk;
  nlohmann::ordered_json sizes = nlohmann::ordered_json::array();
  for (const auto& [size, count] : r.class_sizes) {
    sizes.push_back(nlohmann::ordered_json::array({size, count}));
  }
  j["class_sizes"] = std::move(sizes);
  return j;
}

}  // namespace

nlohmann::ordered_json SearchReportJson(std::string_view format, std::size_t records_in,
                                        const PrivacyModel& model,
                                        std::span<const std::string> quasi_identifiers,
                                        const Result& result) {
  nlohmann::ordered_json j;
  j["format"] = format;
  j["records_in"] = records_in;
  j["records_out"] = result.kept_rows.size();
  j["suppressed"] = result.suppressed;
  nlohmann::ordered_json m;
  m["k"] = model.k;
  m["l"] = model.distinct_l;
  m["max_suppression"] = model.max_suppression;
  m["suppression_limit"] = SuppressionLimit(records_in, model.max_suppression);
  j["model"] = std::move(m);
  nlohmann::ordered_json levels = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < quasi_identifiers.size() && i < result.levels.size(); ++i) {
    levels[quasi_identifiers[i]] = result.levels[i];
  }
  j["levels"] = std::move(levels);
  nlohmann::ordered_json metric;
  metric["name"] = model.metric == Metric::kLoss ? "loss" : "discernibility";
  metric["value"] = result.metric;
  j["metric"] = std::move(metric);
  nlohmann::ordered_json risk;
  risk["threshold"] = model.risk_threshold;
  risk["before"] = RiskJson(result.input);
  risk["after"] = RiskJson(result.release);
  j["risk"] = std::move(risk);
  nlohmann::ordered_json search;
  search["lattice_size"] = result.stats.lattice_size;
  search["nodes_checked"] = result.stats.nodes_checked;
  j["search"] = std::move(search);
  return j;
}

nlohmann::ordered_json ReportJson(const Release& r) {
  nlohmann::ordered_json j = SearchReportJson("varsam-anonymize-report/1", r.records_in, r.model,
                                              r.quasi_identifiers, r.search);
  j["model"]["sensitive"] = r.sensitive_field.empty() ? nlohmann::ordered_json()
                                                      : nlohmann::ordered_json(r.sensitive_field);
  j["model"]["key_epoch"] = r.key_epoch;
  nlohmann::ordered_json scrubbed = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < kKindCount; ++i) {
    scrubbed[std::string(KindName(static_cast<Kind>(i)))] = r.scrubbed[i];
  }
  // "scrubbed" before "search", the order of the report's first version.
  nlohmann::ordered_json search = std::move(j["search"]);
  j.erase("search");
  j["scrubbed"] = std::move(scrubbed);
  j["search"] = std::move(search);
  return j;
}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(PipelineOptions options) {
  const Schema& schema = options.schema;
  if (schema.fields.empty())
    return absl::InvalidArgumentError("pipeline: the schema has no fields");

  std::vector<FieldPlan> plan(schema.fields.size());
  std::vector<Hierarchy> hierarchies;
  std::vector<std::string> header;
  std::vector<std::string> quasi_names;
  std::vector<int> min_level;
  std::vector<int> max_level;
  bool needs_key = false;
  std::string keyed_field;

  for (std::size_t i = 0; i < schema.fields.size(); ++i) {
    const FieldSpec& f = schema.fields[i];
    FieldPlan& p = plan[i];
    switch (f.role) {
      case FieldRole::kDirectIdentifier:
        p.action = f.pseudonym ? Action::kPseudonym : Action::kDrop;
        if (f.pseudonym && !needs_key) {
          needs_key = true;
          keyed_field = f.name;
        }
        break;
      case FieldRole::kQuasiIdentifier: p.action = Action::kQuasi; break;
      case FieldRole::kSensitive:
      case FieldRole::kInsensitive: p.action = Action::kKeep; break;
      case FieldRole::kFreeText: p.action = Action::kScrub; break;
      case FieldRole::kForbidden: p.action = Action::kDrop; break;
    }
    if (p.action != Action::kDrop) {
      p.out = static_cast<int>(header.size());
      header.push_back(f.name);
    }
    if (p.action != Action::kQuasi) continue;

    // The hierarchy.
    std::optional<Hierarchy> h;
    if (f.hierarchy == "age") {
      VARSAM_ASSIGN_OR_RETURN(h, Hierarchy::Age());
    } else if (f.hierarchy == "date") {
      h = Hierarchy::Dates();
    } else if (f.hierarchy == "geography") {
      VARSAM_ASSIGN_OR_RETURN(h, Hierarchy::Geography());
    } else if (f.hierarchy == "sex") {
      h = Hierarchy::Sex();
    } else if (f.hierarchy == "csv") {
      if (!options.read_hierarchy) {
        return absl::InvalidArgumentError(
            Cat({"pipeline: ", FieldRef(f),
                 ": names a csv hierarchy but no read_hierarchy function was given"}));
      }
      auto text = options.read_hierarchy(f.hierarchy_file);
      if (!text.ok()) {
        return absl::Status(text.status().code(), Cat({"pipeline: ", FieldRef(f),
                                                       ": its csv hierarchy could not be "
                                                       "read: ",
                                                       StatusMessage(text.status())}));
      }
      Hierarchy::CsvOptions csv;
      csv.name = f.name;
      auto loaded = Hierarchy::FromCsv(*text, csv);
      if (!loaded.ok()) {
        return absl::InvalidArgumentError(
            Cat({"pipeline: ", FieldRef(f), ": ", StatusMessage(loaded.status())}));
      }
      h = std::move(loaded).value();
    } else {
      return absl::InvalidArgumentError(Cat({"pipeline: ", FieldRef(f), ": unknown hierarchy"}));
    }
    const int levels = h->levels();
    const int hi = f.max_level.value_or(levels - 1);
    if (f.min_level < 0 || f.min_level >= levels || hi >= levels || hi < f.min_level) {
      return absl::InvalidArgumentError(
          Cat({"pipeline: ", FieldRef(f), ": min_level/max_level outside its hierarchy (levels 0..",
               std::to_string(levels - 1), ")"}));
    }
    p.quasi = static_cast<int>(hierarchies.size());
    hierarchies.push_back(std::move(*h));
    quasi_names.push_back(f.name);
    min_level.push_back(f.min_level);
    max_level.push_back(hi);
  }

  // The model.
  PrivacyModel& model = options.model;
  if (model.k < 1) return absl::InvalidArgumentError("pipeline: k must be at least 1");
  if (!(model.max_suppression >= 0.0 && model.max_suppression <= 1.0)) {
    return absl::InvalidArgumentError("pipeline: max_suppression must be in [0, 1]");
  }
  if (!(model.risk_threshold >= 0.0 && model.risk_threshold <= 1.0)) {
    return absl::InvalidArgumentError("pipeline: risk_threshold must be in [0, 1]");
  }
  if (model.distinct_l < 0 || !(model.entropy_l >= 0.0)) {
    return absl::InvalidArgumentError("pipeline: l must not be negative");
  }
  model.min_level = std::move(min_level);
  model.max_level = std::move(max_level);
  int sensitive_field = -1;
  if (!options.sensitive_field.empty()) {
    const FieldSpec* f = schema.Find(options.sensitive_field);
    if (f == nullptr || f->role != FieldRole::kSensitive) {
      return absl::InvalidArgumentError(
          Cat({"pipeline: the sensitive field ", KeyForMessage(options.sensitive_field),
               " is not a field of the schema with the role sensitive"}));
    }
    sensitive_field = static_cast<int>(f - schema.fields.data());
  }
  if ((model.distinct_l >= 2 || model.entropy_l > 1.0) && sensitive_field < 0) {
    return absl::InvalidArgumentError("pipeline: l-diversity needs a sensitive field");
  }

  // The key, once.
  std::optional<Pseudonymizer> pseudonymizer;
  if (needs_key) {
    if (!options.keys) {
      return absl::FailedPreconditionError(
          Cat({"pipeline: field '", keyed_field,
               "' is pseudonymised but no key callback was given: the key is missing"}));
    }
    PseudonymOptions po;
    po.today = options.scrub.today;
    auto made = Pseudonymizer::Create(options.key_epoch, options.keys, po);
    if (!made.ok()) {
      return absl::Status(made.status().code(),
                          Cat({"pipeline: key epoch ", std::to_string(options.key_epoch), ": ",
                               StatusMessage(made.status())}));
    }
    pseudonymizer.emplace(std::move(made).value());
  }
  VARSAM_ASSIGN_OR_RETURN(Scrubber scrubber, Scrubber::Create(options.scrub));

  return std::unique_ptr<Pipeline>(new PipelineImpl(
      std::move(options), std::move(plan), std::move(hierarchies), std::move(pseudonymizer),
      std::move(scrubber), std::move(header), std::move(quasi_names), sensitive_field));
}

namespace {

// The type URL of RecordError payloads; the payload is {"index", "field", "message"} as JSON.
constexpr std::string_view kRecordErrorType = "type.varsam/varsam.anonymize.RecordError";

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

absl::Status RecordStatus(absl::StatusCode code, const RecordError& error) {
  absl::Status status(
      code, AbslView(Cat({"record ", std::to_string(error.index + 1), ": ", error.message})));
  const nlohmann::json payload = {
      {"index", error.index}, {"field", error.field}, {"message", error.message}};
  status.SetPayload(
      AbslView(kRecordErrorType),
      absl::Cord(payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return status;
}

std::optional<RecordError> RecordErrorOf(const absl::Status& status) {
  const auto payload = status.GetPayload(AbslView(kRecordErrorType));
  if (!payload) return std::nullopt;
  // The payload is RecordStatus's own output, not a host's JSON: no need for ParseJson.
  const nlohmann::json parsed = nlohmann::json::parse(std::string(*payload), nullptr, false);
  if (!parsed.is_object()) return std::nullopt;
  const auto index = parsed.find("index");
  const auto field = parsed.find("field");
  const auto message = parsed.find("message");
  if (index == parsed.end() || !index->is_number_unsigned() || field == parsed.end() ||
      !field->is_string() || message == parsed.end() || !message->is_string()) {
    return std::nullopt;
  }
  return RecordError{index->get<std::size_t>(), field->get<std::string>(),
                     message->get<std::string>()};
}

}  // namespace varsam::anonymize
