// varsam/anonymize.h — the anonymisation pipeline's record schema
// (docs/anonymisation.md, "The record schema").
//
// Every field of an input record has exactly one role, and the role decides what may become
// of it on the way to the compilation register (sammanställningsregister, SoLPUL 7 a §) or an
// anonymised file:
//
//   direct_identifier  dropped, or replaced by a keyed pseudonym ("pseudonym": KIND; HMAC-SHA256
//                      under the key epoch's key, varsam/pseudonym.h). A direct identifier marked
//                      "person_name": true is also searched for in the record's free text.
//   quasi_identifier   generalised along a hierarchy ("hierarchy": "age" | "date" |
//                      "geography" | "sex" | {"csv": FILE}, varsam/hierarchy.h), to a level the
//                      k-anonymity search chooses between "min_level" and "max_level"
//                      (varsam/kanonymity.h).
//   sensitive          kept, where SoLPUL 7 a § allows the register to hold it, and checked
//                      for l-diversity when asked.
//   insensitive        kept as it is.
//   free_text          scrubbed: identifiers replaced by typed placeholders (varsam/scrub.h).
//   forbidden          never stored: a record that holds a value in it is refused whole (e.g.
//                      trade-union membership, GDPR art 9(1); floor rule never-union).
//
// The JSON form ("varsam-anonymize-schema/1"), as a lawyer and a developer can both read it:
//
//   {"format": "varsam-anonymize-schema/1",
//    "fields": [
//      {"name": "personnummer", "role": "direct_identifier", "pseudonym": "personnummer"},
//      {"name": "namn", "role": "direct_identifier", "person_name": true},
//      {"name": "alder", "role": "quasi_identifier", "hierarchy": "age", "max_level": 2},
//      {"name": "postnummer", "role": "quasi_identifier", "hierarchy": "geography"},
//      {"name": "insats", "role": "quasi_identifier", "hierarchy": {"csv": "insats.csv"}},
//      {"name": "utfall", "role": "sensitive"},
//      {"name": "phq9_total", "role": "insensitive"},
//      {"name": "anteckning", "role": "free_text"},
//      {"name": "fackforening", "role": "forbidden"}]}
//
// ParseSchema is strict: unknown keys, a key that does not belong to the field's role, a
// duplicate or empty name, an unknown role or hierarchy, levels outside 0..15 or min > max are
// InvalidArgument naming the field by its position and name (names are column headers, never
// personal data) — never a value of a record.

#ifndef VARSAM_ANONYMIZE_H_
#define VARSAM_ANONYMIZE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "varsam/kanonymity.h"
#include "varsam/pseudonym.h"
#include "varsam/scrub.h"

namespace varsam::anonymize {

enum class FieldRole : std::uint8_t {
  kDirectIdentifier,
  kQuasiIdentifier,
  kSensitive,
  kInsensitive,
  kFreeText,
  kForbidden,
};
// "direct_identifier", "quasi_identifier", "sensitive", "insensitive", "free_text", "forbidden".
std::string_view Name(FieldRole role);
std::optional<FieldRole> ParseFieldRole(std::string_view id);

// The highest hierarchy level a schema may name.
inline constexpr int kMaxHierarchyLevel = 15;

struct FieldSpec {
  std::string name;  // the column's header / the record's key: 1..128 bytes of UTF-8, no NUL
  FieldRole role = FieldRole::kInsensitive;

  // direct_identifier: the pseudonym's kind ("personnummer", "client_ref": [a-z_]{1,32});
  // nullopt: the field is dropped.
  std::optional<std::string> pseudonym;
  // direct_identifier ("person_name": true): the value is a person's name (or several,
  // separated by ';'), searched for in the record's free text.
  bool is_name = false;

  // quasi_identifier: "age", "date", "geography", "sex", or "csv" with hierarchy_file set.
  std::string hierarchy;
  std::string hierarchy_file;  // the "csv" file, as written (relative to the schema's directory)
  int min_level = 0;
  std::optional<int> max_level;  // nullopt: up to the hierarchy's top ("*")
};

struct Schema {
  std::vector<FieldSpec> fields;

  // The field called `name`, or nullptr.
  const FieldSpec* Find(std::string_view name) const;
  // The fields with `role`, in schema order.
  std::vector<const FieldSpec*> WithRole(FieldRole role) const;
};

// Parses and checks the JSON form above.
absl::StatusOr<Schema> ParseSchema(std::string_view json);

// ---- The pipeline -----------------------------------------------------------------------------
//
// Records in, an anonymised release out, in one pass over the records and one search:
//   Add(record):  refuse it if a forbidden field holds a value (nothing of it is kept); scrub
//                 its free text (the record's own person_name fields as names); replace the
//                 direct identifiers that have a pseudonym kind by keyed pseudonyms and drop the
//                 others; keep the quasi-identifiers' values for the search, and the sensitive
//                 and insensitive values as they are.
//   Finish():     encode every quasi-identifier along its hierarchy, find the optimal
//                 generalisation (varsam/kanonymity.h) within each field's min/max levels, and
//                 release the kept rows with generalised values, plus the report.
// The records are held (transformed: no direct identifier, scrubbed text) between Add and
// Finish, since the search needs every row.

// One input record: the values in the schema's field order ("" = no value).
using Record = std::vector<std::string>;

struct PipelineOptions {
  Schema schema;
  // Reads a csv hierarchy named in the schema (the file as written there); the CLI resolves it
  // against the schema's directory. Unset while the schema names one: Create refuses.
  std::function<absl::StatusOr<std::string>(std::string_view file)> read_hierarchy;
  // k, l, suppression budget, metric and risk threshold; the per-column level bounds come from
  // the schema's min_level/max_level and are filled in by the pipeline.
  PrivacyModel model;
  std::string sensitive_field;  // l-diversity over this sensitive field; "" for none
  // Required when a field has a pseudonym kind: the key epoch and the host's key callback.
  // Ten-digit personnummer are resolved against scrub.today.
  std::int32_t key_epoch = 0;
  PseudonymKeyProvider keys;
  ScrubOptions scrub;  // the host's name list, the reference date, kinds switched off
};

struct Release {
  // Output columns in schema order: pseudonymised direct identifiers (under their own names),
  // quasi-identifiers, sensitive, insensitive and free-text fields. Dropped direct identifiers
  // and forbidden fields have no column.
  std::vector<std::string> header;
  std::vector<Record> rows;                    // the released records, in input order, generalised
  std::size_t records_in = 0;                  // records added
  std::vector<std::string> quasi_identifiers;  // the names, in the order of search.levels
  Result search;  // chosen levels, suppression, metric, risk before and after
  std::array<std::size_t, kKindCount> scrubbed{};  // identifiers replaced in free text, by kind
  // What the release was made under (PipelineOptions), for the report.
  PrivacyModel model;           // with the schema's level bounds filled in
  std::string sensitive_field;  // "" for none
  std::int32_t key_epoch = 0;
};

// What every release report holds (ReportJson below; engine::RegisterReleaseJson), in this
// order: "format", "records_in", "records_out", "suppressed", "model" {"k", "l",
// "max_suppression", "suppression_limit"}, "levels" {quasi-identifier: level}, "metric" {"name",
// "value"}, "risk" {"threshold", "before", "after"} (each {"records", "classes", "max_risk",
// "average_risk", "records_at_risk", "class_sizes": [[size, count], ...]}) and "search"
// {"lattice_size", "nodes_checked"}. Counts and names only — never a value of a record.
nlohmann::ordered_json SearchReportJson(std::string_view format, std::size_t records_in,
                                        const PrivacyModel& model,
                                        std::span<const std::string> quasi_identifiers,
                                        const Result& result);

// The report of a release ("varsam-anonymize-report/1"; `varsam anonymize --report`, the C
// API's varsam_anonymize): SearchReportJson with the model's "sensitive" field and "key_epoch",
// and "scrubbed" (before "search"): the identifiers replaced in free text, by kind.
nlohmann::ordered_json ReportJson(const Release& release);

// A refused record, as Pipeline::Add reports it: besides the message "record N: field 'x': ..."
// (N = index + 1), the status carries this as a payload, so that a caller naming records its own
// way (the C API's "request.records[i]", the CLI's "line N") reads the index and the field
// instead of taking the message apart.
struct RecordError {
  std::size_t index = 0;  // 0-based, among the records this pipeline took before it
  std::string field;      // the schema field at fault; "" when it is the record as a whole
  std::string message;    // the message without "record N: " (names the field, never a value)
};
// The status of a refused record: `code` (InvalidArgument, or FailedPrecondition for a
// forbidden field), message "record <index + 1>: <message>", and `error` as its payload.
absl::Status RecordStatus(absl::StatusCode code, const RecordError& error);
// The RecordError a status carries; nullopt for any other status (a failure of the pipeline
// itself, OK).
std::optional<RecordError> RecordErrorOf(const absl::Status& status);

class Pipeline {
 public:
  // Loads the hierarchies, asks the key callback (when needed) and compiles the scrubber.
  // InvalidArgument for a schema the options do not fit (an unknown sensitive field, a csv
  // hierarchy that does not load, naming the field); FailedPrecondition when a key is missing.
  static absl::StatusOr<std::unique_ptr<Pipeline>> Create(PipelineOptions options);
  virtual ~Pipeline() = default;

  // One record. InvalidArgument naming the field (never a value) for a wrong number of values,
  // text that is not UTF-8, or a value its hierarchy does not know (an unknown postal code, an
  // invalid personnummer under kind personnummer), or a sensitive, insensitive or
  // quasi-identifier value that holds an identity number, an e-mail address or a phone number
  // (the schema has that field wrong: such values can be released as they are — a
  // quasi-identifier at level 0); FailedPrecondition naming the field when a
  // forbidden field holds a value (white space alone is no value). A refused record leaves
  // nothing behind; its status carries a RecordError (RecordErrorOf).
  virtual absl::Status Add(const Record& record) = 0;
  // The release. FailedPrecondition when no generalisation satisfies the model within the
  // suppression budget. The pipeline can be finished once.
  virtual absl::StatusOr<Release> Finish() = 0;
};

// ---- The JSON request (varsam_anonymize; src/anonymize/request_json.cc) -----------------------
//
// One request holds the schema, the records and the model; the C API reads no files, so csv
// hierarchies come in it too:
//   {"schema": {<the schema above>} | "<its text>", "records": [{"field": "value" | n | null,
//    ...}, ...], "k": 5, "l": 0, "sensitive": "field" | null, "max_suppression": 0.0,
//    "key_epoch": 0, "names": ["Anna", ...], "today": "YYYY-MM-DD" | null,
//    "hierarchies": {"FILE": "<csv text>", ...}}
// "schema", "records" and "k" are required; unknown keys are refused. InvalidArgument names the
// key, the record's index and the field ("request.records[3]: unknown key 'x' (not a field of
// the schema)", "request.schema: field 2 ..."), never a value.
struct Request {
  // Everything but the host's keys; read_hierarchy reads the request's "hierarchies"
  // (InvalidArgument "request.hierarchies: has no entry 'FILE'" for one it lacks).
  PipelineOptions options;
  std::vector<Record> records;  // in the schema's field order ("" for a missing field or null)
};
absl::StatusOr<Request> ParseRequest(std::string_view json);

// A release as the C API returns it: {"header": [...], "rows": [[...], ...], "report":
// ReportJson(release)}.
nlohmann::ordered_json ReleaseJson(const Release& release);

}  // namespace varsam::anonymize

#endif  // VARSAM_ANONYMIZE_H_
