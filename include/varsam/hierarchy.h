// varsam/hierarchy.h — generalisation hierarchies for quasi-identifiers (docs/anonymisation.md).
//
// A Hierarchy maps a value to each of its levels: level 0 is the value itself, each higher
// level is coarser, and the last level is one value for everything ("*"). Encode() turns a
// column of values into the integer-coded Column of varsam/kanonymity.h that the k-anonymity
// search works on.
//
// Built-in hierarchies (docs/anonymisation.md has the examples):
//  - Age(): whole years "0".."150" -> 5-year band "35-39" -> 10-year "30-39" -> 20-year
//    "20-39" -> "*". TOP-CODING: from `top_code` years (default 100) on, every banded level is
//    "<top_code>+" ("100+"); top_code is a multiple of 20, so every band nests in the next.
//    All labels are age bands of the register (store::EpisodeRow::age_band: "18-24", "65+").
//  - Dates(): "YYYY-MM-DD" -> "YYYY-MM" -> "YYYY-Qn" -> "YYYY" -> "*"; the month, quarter and
//    year labels are the register's period forms (store::EpisodeRow::start_period).
//  - Geography(): a five-digit postal code ("11120", no space) -> its municipality's SCB code
//    (four digits, "0180") -> its county's SCB code (two digits, "01") -> "*", from the
//    embedded SCB geography (data/se-geo). County codes are the register's region values.
//  - Sex(): "female", "male" or "" (not given) -> "*".
//  - FromCsv(): a host's categorical hierarchy, written as ARX users write them (below).
//
// CSV FORMAT (FromCsv): UTF-8 text, one line per level-0 value:
//     value;level1;level2;...;*
// - the separator is ';' (ARX's default); a host with comma files says so in CsvOptions
//   (',' or '\t'). There is no quoting and no automatic detection: a field is the bytes
//   between separators, taken literally (no trimming), so values may contain the other
//   separators, spaces and any UTF-8.
// - line ends LF or CRLF; a UTF-8 byte-order mark at the start is ignored; empty lines are
//   ignored.
// - every line has the same number of fields (at least 2); fields are non-empty and hold no
//   NUL; every line ends in the same top value (normally "*");
// - each level-0 value appears once;
// - consistency: a value at level l (>= 1) has the same parent at level l+1 on every line.
// Every refusal is InvalidArgument naming the hierarchy and the line number (1-based), never
// a value (messages never hold data, CONTRIBUTING.md).
//
// Hierarchies are immutable and cheap to copy (shared state); safe to use from any number of
// threads at once.

#ifndef VARSAM_HIERARCHY_H_
#define VARSAM_HIERARCHY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/kanonymity.h"

namespace varsam::anonymize {

class Hierarchy {
 public:
  struct Impl;  // private (hierarchy.cc)

  // The built-ins. Age: InvalidArgument unless top_code is a multiple of 20 in 20..140.
  static absl::StatusOr<Hierarchy> Age(int top_code = 100);
  static Hierarchy Dates();
  static absl::StatusOr<Hierarchy> Geography();  // Internal if the embedded data is damaged
  static Hierarchy Sex();

  struct CsvOptions {
    char separator = ';';            // ';', ',' or '\t'
    std::string name = "hierarchy";  // used in messages and as name()
  };
  static absl::StatusOr<Hierarchy> FromCsv(std::string_view text, const CsvOptions& options);
  static absl::StatusOr<Hierarchy> FromCsv(std::string_view text) { return FromCsv(text, {}); }

  // "age", "date", "postal_code", "sex", or the CSV hierarchy's name.
  const std::string& name() const;
  // The number of levels, level 0 and the top "*" included (age and dates 5, geography 4,
  // sex 2).
  int levels() const;

  // The value at every level, [0] being the value itself: {"37", "35-39", "30-39", "20-39",
  // "*"}. InvalidArgument naming the hierarchy (not the value) when the value is not in it.
  absl::StatusOr<std::vector<std::string>> Generalize(std::string_view value) const;
  // The value at one level (0..levels()-1).
  absl::StatusOr<std::string> Generalize(std::string_view value, int level) const;

  // For table hierarchies (Geography, FromCsv): the level-0 values in the file's order, and the
  // label of value `index` at `level`. Empty for the computed ones (Age, Dates, Sex).
  std::size_t size() const;
  std::string_view Label(std::size_t index, int level) const;

 private:
  friend absl::StatusOr<Column> Encode(const Hierarchy& hierarchy, std::string_view column_name,
                                       std::span<const std::string> values);
  explicit Hierarchy(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Encodes `values` (one per row) as a kanonymity.h Column named `column_name`:
// - codes[row]: the level-0 code, dense 0..n-1 over the distinct values present, numbered in
//   order of first appearance; labels[0][code] is the value;
// - up[l][code0]: the code at level l, dense 0..m_l-1 over the labels present at level l (in
//   order of first appearance by level-0 code); up[0] is the identity; labels[l][code] the
//   text;
// - the last level has exactly one code (0, "*") when there is at least one row.
// InvalidArgument "column <name>, row <i>: ..." (the first bad row; never the value) when a
// value is not in the hierarchy. Cost: one hash lookup per row plus work per distinct value.
absl::StatusOr<Column> Encode(const Hierarchy& hierarchy, std::string_view column_name,
                              std::span<const std::string> values);

}  // namespace varsam::anonymize

#endif  // VARSAM_HIERARCHY_H_
