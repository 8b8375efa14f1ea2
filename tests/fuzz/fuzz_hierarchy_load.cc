// libFuzzer target: the CSV hierarchy loader (Hierarchy::FromCsv) and Encode.
//
// The input is a hierarchy file. A first byte ',' or TAB selects that separator and is not part
// of the text; a first byte ';' is the default separator, consumed the same way; any other
// input is a ';' file as is. Every input must be refused with InvalidArgument or loaded, never
// crash. A loaded hierarchy must satisfy the invariants FromCsv promises (varsam/hierarchy.h):
// at least two levels, every value has every level and no empty label, one top value, unique
// level-0 values, one parent per (level, value); Generalize of each value gives its line; and
// Encode of its own values (with repeats) succeeds with a consistent kanonymity.h Column. The
// lines of any input are also encoded as values, which must succeed or be refused cleanly.
// Seeds: tests/fuzz/corpus/hierarchy_load/.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "fuzz_support.h"
#include "varsam/hierarchy.h"

namespace {

using varsam::anonymize::Column;
using varsam::anonymize::Encode;
using varsam::anonymize::Hierarchy;

void CheckColumn(const Hierarchy& h, const Column& c, const std::vector<std::string>& values) {
  const auto levels = static_cast<std::size_t>(h.levels());
  REQUIRE(c.levels() == h.levels());
  REQUIRE(c.labels.size() == levels);
  REQUIRE(c.codes.size() == values.size());
  const std::size_t distinct = c.labels[0].size();
  for (std::size_t l = 0; l < levels; ++l) {
    REQUIRE(c.up[l].size() == distinct);
    for (std::size_t code = 0; code < distinct; ++code) {
      REQUIRE(c.up[l][code] < c.labels[l].size());
      if (l == 0) REQUIRE(c.up[0][code] == code);
    }
  }
  if (!values.empty()) REQUIRE(c.labels[levels - 1].size() == 1);
  for (std::size_t row = 0; row < values.size(); ++row) {
    REQUIRE(c.codes[row] < distinct);
    REQUIRE(c.labels[0][c.codes[row]] == values[row]);
    const auto path = h.Generalize(values[row]);
    REQUIRE(path.ok());
    for (std::size_t l = 0; l < levels; ++l) {
      REQUIRE(c.labels[l][c.up[l][c.codes[row]]] == (*path)[l]);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Hierarchy::CsvOptions options;
  if (!text.empty() && (text[0] == ',' || text[0] == '\t' || text[0] == ';')) {
    options.separator = text[0];
    text.remove_prefix(1);
  }
  const auto loaded = Hierarchy::FromCsv(text, options);

  // The input's lines as values of a column: encoded, or refused naming a row.
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= text.size() && lines.size() < 64;) {
    const std::size_t end = text.find('\n', start);
    lines.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }

  if (!loaded.ok()) {
    REQUIRE(loaded.status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(!loaded.status().message().empty());
    return 0;
  }
  const Hierarchy& h = *loaded;
  const int levels = h.levels();
  REQUIRE(levels >= 2);
  REQUIRE(h.size() >= 1);
  const std::string_view top = h.Label(0, levels - 1);

  absl::flat_hash_map<std::string_view, bool> seen;
  std::vector<absl::flat_hash_map<std::string_view, std::string_view>> parent(
      static_cast<std::size_t>(levels));
  std::vector<std::string> values;
  for (std::size_t i = 0; i < h.size(); ++i) {
    REQUIRE(h.Label(i, levels - 1) == top);
    for (int l = 0; l < levels; ++l) REQUIRE(!h.Label(i, l).empty());
    REQUIRE(seen.emplace(h.Label(i, 0), true).second);  // unique level-0 values
    for (int l = 1; l + 1 < levels; ++l) {
      const auto [it, fresh] =
          parent[static_cast<std::size_t>(l)].emplace(h.Label(i, l), h.Label(i, l + 1));
      REQUIRE(fresh || it->second == h.Label(i, l + 1));  // one parent per value
    }
    const auto path = h.Generalize(h.Label(i, 0));
    REQUIRE(path.ok() && static_cast<int>(path->size()) == levels);
    for (int l = 0; l < levels; ++l) REQUIRE((*path)[static_cast<std::size_t>(l)] == h.Label(i, l));
    values.emplace_back(h.Label(i, 0));
  }
  // Its own values, each twice, in reverse the second time.
  for (std::size_t i = h.size(); i-- > 0;) values.emplace_back(h.Label(i, 0));
  const auto column = Encode(h, "fuzz", values);
  REQUIRE(column.ok());
  CheckColumn(h, *column, values);
  REQUIRE(column->labels[0].size() == h.size());

  const auto other = Encode(h, "fuzz", lines);
  if (other.ok()) {
    CheckColumn(h, *other, lines);
  } else {
    REQUIRE(other.status().code() == absl::StatusCode::kInvalidArgument);
    REQUIRE(std::string(other.status().message()).find("column fuzz, row ") == 0);
  }
  return 0;
}
