// varsam/anonymize.h — the anonymisation pipeline's record schema (issue 6, item 1;
// docs/anonymisation.md).
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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

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

}  // namespace varsam::anonymize

#endif  // VARSAM_ANONYMIZE_H_
