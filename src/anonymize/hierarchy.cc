// Generalisation hierarchies and the integer coding of columns (varsam/hierarchy.h).
//
// The sex and date hierarchies read the forms Swedish users write (in Excel, on forms): sex as
// "kvinna"/"man", "K"/"M", "flicka"/"pojke" in any case besides "female"/"male", and dates as
// "YYYYMMDD" besides ISO 8601's "YYYY-MM-DD" (SS-ISO 8601, the Swedish standard's basic and
// extended forms); level 0 is the canonical form ("female", "YYYY-MM-DD"), so the release and
// the k-anonymity classes are the same whichever form a file uses.

#include "varsam/hierarchy.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "varsam/core.h"
#include "varsam/geo.h"

namespace varsam::anonymize {

struct Hierarchy::Impl {
  enum class Kind : std::uint8_t { kAge, kDate, kSex, kTable };

  Kind kind = Kind::kTable;
  std::string name;
  int levels = 0;
  int top_code = 100;              // kAge
  std::string not_in;              // kTable: the reason a value is refused
  std::vector<std::string> table;  // kTable: row r, level l at [r * levels + l]
  absl::flat_hash_map<std::string_view, std::uint32_t> index;  // kTable: level 0 -> row

  std::size_t rows() const { return levels == 0 ? 0 : table.size() / levels; }

  // Builds `index` once `table` is final (the views point into its strings).
  void BuildIndex() {
    index.reserve(rows());
    for (std::size_t r = 0; r < rows(); ++r) index.emplace(table[r * levels], r);
  }

  // Writes the labels of `value` at every level into `out` (resized to levels); returns the
  // reason when the value is not in the hierarchy, or an empty view.
  std::string_view Path(std::string_view value, std::vector<std::string>& out) const;
};

namespace {

using Impl = Hierarchy::Impl;

std::string Num(int n) { return std::to_string(n); }

std::string AgeBand(int age, int width, int top_code) {
  if (age >= top_code) return Cat({Num(top_code), "+"});
  const int lo = age / width * width;
  return Cat({Num(lo), "-", Num(lo + width - 1)});
}

constexpr std::string_view kTop = "*";

// ASCII lower case; the Swedish words are ASCII.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// "female", "male" or "" for the forms the sex hierarchy reads; nullopt for anything else.
std::optional<std::string_view> CanonicalSex(std::string_view value) {
  if (value.empty()) return std::string_view();
  constexpr std::string_view kFemale[] = {"female", "kvinna", "k", "flicka"};
  constexpr std::string_view kMale[] = {"male", "m", "man", "pojke"};
  for (const std::string_view v : kFemale) {
    if (EqualsIgnoreCase(value, v)) return "female";
  }
  for (const std::string_view v : kMale) {
    if (EqualsIgnoreCase(value, v)) return "male";
  }
  return std::nullopt;
}

// "YYYY-MM-DD" for a calendar date written so or as "YYYYMMDD"; nullopt for anything else.
std::optional<std::string> CanonicalDate(std::string_view value) {
  std::string iso;
  if (value.size() == 8 && std::all_of(value.begin(), value.end(), IsDigit)) {
    iso = Cat({value.substr(0, 4), "-", value.substr(4, 2), "-", value.substr(6, 2)});
  } else {
    iso = std::string(value);
  }
  if (!ParseIsoDate(iso, "date").ok()) return std::nullopt;
  return iso;
}

}  // namespace

std::string_view Impl::Path(std::string_view value, std::vector<std::string>& out) const {
  out.resize(static_cast<std::size_t>(levels));
  switch (kind) {
    case Kind::kAge: {
      constexpr std::string_view kBad = "not a whole number of years 0..150";
      if (value.empty() || value.size() > 3 || !std::all_of(value.begin(), value.end(), IsDigit) ||
          (value.size() > 1 && value[0] == '0')) {
        return kBad;
      }
      int age = 0;
      for (const char c : value) age = age * 10 + (c - '0');
      if (age > 150) return kBad;
      out[0] = std::string(value);
      out[1] = AgeBand(age, 5, top_code);
      out[2] = AgeBand(age, 10, top_code);
      out[3] = AgeBand(age, 20, top_code);
      out[4] = std::string(kTop);
      return {};
    }
    case Kind::kDate: {
      auto iso = CanonicalDate(value);
      if (!iso) return "not a calendar date YYYY-MM-DD or YYYYMMDD";
      const std::string_view day = *iso;
      const int month = (day[5] - '0') * 10 + (day[6] - '0');
      out[1] = std::string(day.substr(0, 7));
      out[2] = Cat({day.substr(0, 4), "-Q", Num((month - 1) / 3 + 1)});
      out[3] = std::string(day.substr(0, 4));
      out[0] = std::move(*iso);
      out[4] = std::string(kTop);
      return {};
    }
    case Kind::kSex: {
      const auto sex = CanonicalSex(value);
      if (!sex) return "not female/male, kvinna/man, K/M, flicka/pojke or empty";
      out[0] = std::string(*sex);
      out[1] = std::string(kTop);
      return {};
    }
    case Kind::kTable: {
      const auto it = index.find(value);
      if (it == index.end()) return not_in;
      const std::size_t base = static_cast<std::size_t>(it->second) * levels;
      for (int l = 0; l < levels; ++l) out[l] = std::string(table[base + l]);
      return {};
    }
  }
  return "unknown hierarchy";
}

absl::StatusOr<Hierarchy> Hierarchy::Age(int top_code) {
  if (top_code < 20 || top_code > 140 || top_code % 20 != 0) {
    return absl::InvalidArgumentError(
        "hierarchy age: top code must be a multiple of 20 in 20..140");
  }
  auto impl = std::make_shared<Impl>();
  impl->kind = Impl::Kind::kAge;
  impl->name = "age";
  impl->levels = 5;
  impl->top_code = top_code;
  return Hierarchy(std::move(impl));
}

Hierarchy Hierarchy::Dates() {
  static const auto impl = [] {
    auto i = std::make_shared<Impl>();
    i->kind = Impl::Kind::kDate;
    i->name = "date";
    i->levels = 5;
    return i;
  }();
  return Hierarchy(impl);
}

Hierarchy Hierarchy::Sex() {
  static const auto impl = [] {
    auto i = std::make_shared<Impl>();
    i->kind = Impl::Kind::kSex;
    i->name = "sex";
    i->levels = 2;
    return i;
  }();
  return Hierarchy(impl);
}

absl::StatusOr<Hierarchy> Hierarchy::Geography() {
  static const absl::StatusOr<std::shared_ptr<const Impl>> impl =
      []() -> absl::StatusOr<std::shared_ptr<const Impl>> {
    const auto geo = geo::Embedded();
    if (!geo.ok()) {
      return absl::InternalError(
          Cat({"hierarchy postal_code: the embedded SCB geography is damaged: ",
               std::string(geo.status().message())}));
    }
    auto i = std::make_shared<Impl>();
    i->kind = Impl::Kind::kTable;
    i->name = "postal_code";
    i->levels = 4;
    i->not_in = "not a postal code of the SCB geography (five digits, no space)";
    absl::flat_hash_map<std::string_view, bool> seen;
    i->table.reserve((*geo)->postal_codes.size() * 4);
    for (const auto& m : (*geo)->municipalities) {
      for (const std::uint32_t p : m.postal_codes) {
        const std::string& code = (*geo)->postal_codes[p].code;
        if (!seen.emplace(code, true).second) continue;  // one municipality per postal code
        i->table.push_back(code);
        i->table.push_back(m.code);
        i->table.push_back(m.county_code);
        i->table.emplace_back(kTop);
      }
    }
    i->BuildIndex();
    return std::shared_ptr<const Impl>(std::move(i));
  }();
  if (!impl.ok()) return impl.status();
  return Hierarchy(*impl);
}

absl::StatusOr<Hierarchy> Hierarchy::FromCsv(std::string_view text, const CsvOptions& options) {
  const std::string& name = options.name;
  const auto error = [&](std::size_t line, std::string_view what) {
    return absl::InvalidArgumentError(
        Cat({"hierarchy ", name, " line ", std::to_string(line), ": ", what}));
  };
  const char sep = options.separator;
  if (sep != ';' && sep != ',' && sep != '\t') {
    return absl::InvalidArgumentError(
        Cat({"hierarchy ", name, ": the separator must be ';', ',' or a tab"}));
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);

  auto impl = std::make_shared<Impl>();
  impl->kind = Impl::Kind::kTable;
  impl->name = name;
  impl->not_in = "not a value of the hierarchy";

  // Views into `text`: the fields of every accepted line, and the checks' maps.
  std::vector<std::string_view> fields;
  std::vector<std::string_view> line_fields;
  absl::flat_hash_map<std::string_view, std::size_t> first_line;  // level-0 value -> line
  // Per level l >= 1: label -> (parent at l + 1, line it was first seen on).
  std::vector<absl::flat_hash_map<std::string_view, std::pair<std::string_view, std::size_t>>>
      parents;
  std::string_view top;
  std::size_t top_line = 0;
  int levels = 0;

  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!IsValidUtf8(line)) return error(line_no, "not UTF-8");
    if (line.find('\0') != std::string_view::npos) return error(line_no, "contains NUL");

    line_fields.clear();
    for (std::size_t start = 0;;) {
      const std::size_t end = line.find(sep, start);
      line_fields.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    const int n = static_cast<int>(line_fields.size());
    if (levels == 0) {
      if (n < 2) return error(line_no, "needs a value and at least one level (value;...;*)");
      levels = n;
      parents.resize(static_cast<std::size_t>(levels));
      top = line_fields.back();
      top_line = line_no;
    } else if (n != levels) {
      return error(line_no, Cat({"has ", Num(n), " fields; the first line has ", Num(levels),
                                 " (every value needs every level)"}));
    }
    for (int l = 0; l < n; ++l) {
      if (line_fields[l].empty()) return error(line_no, Cat({"level ", Num(l), " is empty"}));
    }
    if (line_fields.back() != top) {
      return error(line_no, Cat({"its top level differs from line ", Num(top_line),
                                 "'s (every line must end in the same value, normally *)"}));
    }
    const auto [it, inserted] = first_line.emplace(line_fields[0], line_no);
    if (!inserted) {
      return error(line_no, Cat({"duplicate value (first on line ", Num(it->second), ")"}));
    }
    for (int l = 1; l + 1 < n; ++l) {
      const auto [p, fresh] =
          parents[l].emplace(line_fields[l], std::make_pair(line_fields[l + 1], line_no));
      if (!fresh && p->second.first != line_fields[l + 1]) {
        return error(
            line_no,
            Cat({"the value at level ", Num(l), " has a different parent at level ", Num(l + 1),
                 " than on line ", Num(p->second.second), " (a value must map to one parent)"}));
      }
    }
    fields.insert(fields.end(), line_fields.begin(), line_fields.end());
  }
  if (levels == 0) {
    return absl::InvalidArgumentError(Cat({"hierarchy ", name, ": no lines"}));
  }
  impl->levels = levels;
  impl->table.assign(fields.begin(), fields.end());
  impl->BuildIndex();
  return Hierarchy(std::shared_ptr<const Impl>(std::move(impl)));
}

const std::string& Hierarchy::name() const { return impl_->name; }
int Hierarchy::levels() const { return impl_->levels; }

std::size_t Hierarchy::size() const {
  return impl_->kind == Impl::Kind::kTable ? impl_->rows() : 0;
}

std::string_view Hierarchy::Label(std::size_t index, int level) const {
  if (impl_->kind != Impl::Kind::kTable || index >= impl_->rows() || level < 0 ||
      level >= impl_->levels) {
    return {};
  }
  return impl_->table[index * impl_->levels + level];
}

absl::StatusOr<std::vector<std::string>> Hierarchy::Generalize(std::string_view value) const {
  std::vector<std::string> out;
  const std::string_view why = impl_->Path(value, out);
  if (!why.empty()) return absl::InvalidArgumentError(Cat({"hierarchy ", impl_->name, ": ", why}));
  return out;
}

absl::StatusOr<std::string> Hierarchy::Generalize(std::string_view value, int level) const {
  if (level < 0 || level >= impl_->levels) {
    return absl::InvalidArgumentError(Cat({"hierarchy ", impl_->name, ": no level ", Num(level)}));
  }
  VARSAM_ASSIGN_OR_RETURN(auto path, Generalize(value));
  return std::move(path[static_cast<std::size_t>(level)]);
}

absl::StatusOr<Column> Encode(const Hierarchy& hierarchy, std::string_view column_name,
                              std::span<const std::string> values) {
  const Hierarchy::Impl& h = *hierarchy.impl_;
  Column column;
  column.name.assign(column_name);
  column.codes.resize(values.size());
  const auto levels = static_cast<std::size_t>(h.levels);
  column.up.resize(levels);
  column.labels.resize(levels);

  // Level 0: one hash lookup per row.
  absl::flat_hash_map<std::string_view, std::uint32_t> code0;
  std::vector<std::size_t> first_row;
  for (std::size_t row = 0; row < values.size(); ++row) {
    const auto [it, inserted] =
        code0.try_emplace(values[row], static_cast<std::uint32_t>(first_row.size()));
    if (inserted) first_row.push_back(row);
    column.codes[row] = it->second;
  }

  // Higher levels: work per distinct value.
  const std::size_t distinct = first_row.size();
  for (std::size_t l = 0; l < levels; ++l) column.up[l].resize(distinct);
  std::vector<absl::flat_hash_map<std::string, std::uint32_t>> label_code(levels);
  std::vector<std::string> path;
  column.labels[0].reserve(distinct);
  for (std::size_t c = 0; c < distinct; ++c) {
    const std::string& value = values[first_row[c]];
    const std::string_view why = h.Path(value, path);
    if (!why.empty()) {
      return absl::InvalidArgumentError(
          Cat({"column ", column_name, ", row ", std::to_string(first_row[c]), ": ", why}));
    }
    column.up[0][c] = static_cast<std::uint32_t>(c);
    column.labels[0].push_back(value);
    for (std::size_t l = 1; l < levels; ++l) {
      auto& labels = column.labels[l];
      const auto [it, inserted] =
          label_code[l].try_emplace(path[l], static_cast<std::uint32_t>(labels.size()));
      if (inserted) labels.push_back(path[l]);
      column.up[l][c] = it->second;
    }
  }
  return column;
}

}  // namespace varsam::anonymize
