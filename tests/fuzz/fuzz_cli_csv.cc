// libFuzzer target for the CLI's CSV reader and writer (examples/cli/csv.h), which
// `varsam anonymize` uses for the host's files: RFC 4180 and the files Excel saves with Swedish
// settings.
//
// Input: any bytes, read as a CSV file. A first byte 0x01, 0x02 or 0x03 forces the delimiter
// (',', ';', tab: `--delimiter`) and is not part of the file; any other input is read with the
// delimiter found on its first line.
// Invariants:
//  - the reader agrees with an independent reference parser of the grammar csv.h documents
//    (an optional byte-order mark; Excel's "sep=X" first line, naming the delimiter, skipped;
//    else, unless forced, the delimiter that occurs most often outside quotes on the header
//    line, ',' on a tie or when none does; CRLF or LF after a record, none after the last;
//    empty lines skipped; a quoted field holds the delimiter, '""' and line breaks; every field
//    UTF-8; a quote inside an unquoted field, anything but the delimiter or a line end after a
//    closing quote, an open quoted field, a CR without LF outside quotes, a field that is not
//    UTF-8 and a "sep=" line naming another character are errors): the same records, in order,
//    and an error exactly where the reference has one;
//  - a record's line() lies between the previous one and the number of lines of the input;
//  - an error is InvalidArgument "line N: <one of the reader's fixed sentences>" with N a line
//    of the input: never a byte of the content;
//  - whatever was read, written back with WriteCsvRecord and read again with ',' forced, gives
//    the same records, with no error; and writing those gives the same bytes again;
//  - never a crash, leak or sanitizer report.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "csv.h"
#include "fuzz_support.h"
#include "varsam/core.h"

namespace {

using Records = std::vector<std::vector<std::string>>;

struct Parsed {
  Records records;
  std::vector<std::size_t> lines;  // CsvReader::line() after each record
  std::optional<absl::Status> error;
};

Parsed ReadAll(std::string_view bytes, std::optional<char> delimiter) {
  std::istringstream in{std::string(bytes)};
  varsam::cli::CsvReader reader(in, delimiter);
  Parsed out;
  std::vector<std::string> fields;
  // A record holds at least one byte of input (or a line end), so there are at most
  // bytes.size() + 1 of them: a bound that catches a reader that never ends.
  for (std::size_t n = 0;; ++n) {
    REQUIRE(n <= bytes.size() + 1);
    absl::StatusOr<bool> next = reader.Next(&fields);
    if (!next.ok()) {
      out.error = next.status();
      break;
    }
    if (!*next) break;
    REQUIRE(!fields.empty());
    out.records.push_back(fields);
    out.lines.push_back(reader.line());
  }
  return out;
}

// The reference: the grammar of csv.h over a whole string, written independently of the
// streaming reader. Returns the records before the first error, and whether there was one.
struct Reference {
  Records records;
  bool error = false;
};

Reference ReferenceParse(std::string_view s, std::optional<char> forced) {
  Reference out;
  const auto fail = [&] {
    out.error = true;
    return out;
  };
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  std::size_t i = 0;
  const auto skip_bom = [&] {
    if (s.substr(i, 3) == kBom) i += 3;
  };
  // The line from i: its end (after its '\n', or the input's end).
  const auto line_end = [&](std::size_t from) {
    const std::size_t nl = s.find('\n', from);
    return nl == std::string_view::npos ? s.size() : nl + 1;
  };
  skip_bom();
  char sep = forced.value_or(',');
  bool named = false;
  {
    std::string_view first = s.substr(i, line_end(i) - i);
    while (!first.empty() && (first.back() == '\n' || first.back() == '\r')) {
      first.remove_suffix(1);
    }
    if (first.size() == 5 && first.substr(0, 4) == "sep=") {
      const char x = first[4];
      if (x != ',' && x != ';' && x != '\t') return fail();
      if (!forced) sep = x;
      named = true;
      i = line_end(i);
      skip_bom();
    }
  }
  if (!forced && !named) {
    std::size_t commas = 0, semicolons = 0, tabs = 0;
    bool quoted = false;
    for (std::size_t k = i; k < line_end(i); ++k) {
      if (s[k] == '"') quoted = !quoted;
      if (quoted) continue;
      commas += s[k] == ',';
      semicolons += s[k] == ';';
      tabs += s[k] == '\t';
    }
    sep = ',';
    if (semicolons > commas) sep = ';';
    if (tabs > std::max(commas, semicolons)) sep = '\t';
  }
  while (true) {
    // Empty lines.
    while (i < s.size() && (s[i] == '\n' || s[i] == '\r')) {
      if (s[i] == '\r') {
        if (i + 1 >= s.size() || s[i + 1] != '\n') return fail();
        ++i;
      }
      ++i;
    }
    if (i >= s.size()) return out;
    std::vector<std::string> record;
    while (true) {
      std::string field;
      if (i < s.size() && s[i] == '"') {
        ++i;
        while (true) {
          if (i >= s.size()) return fail();
          if (s[i] == '"') {
            if (i + 1 < s.size() && s[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          field.push_back(s[i++]);
        }
        if (i < s.size() && s[i] != sep && s[i] != '\r' && s[i] != '\n') return fail();
      } else {
        while (i < s.size() && s[i] != sep && s[i] != '\r' && s[i] != '\n') {
          if (s[i] == '"') return fail();
          field.push_back(s[i++]);
        }
      }
      if (!varsam::IsValidUtf8(field)) return fail();
      record.push_back(std::move(field));
      if (i >= s.size()) break;
      const char c = s[i++];
      if (c == sep) continue;
      if (c == '\r') {
        if (i >= s.size() || s[i] != '\n') return fail();
        ++i;
      }
      break;
    }
    out.records.push_back(std::move(record));
  }
}

std::string Write(const Records& records) {
  std::ostringstream out;
  for (const auto& record : records) varsam::cli::WriteCsvRecord(out, record);
  return out.str();
}

// "line N: <sentence>", N in 1..max_line, the sentence one the reader writes.
bool IsCleanError(const absl::Status& status, std::size_t max_line) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return false;
  const std::string message(status.message());
  std::string_view m = message;
  if (m.substr(0, 5) != "line ") return false;
  m.remove_prefix(5);
  std::size_t line = 0, digits = 0;
  while (digits < m.size() && varsam::fuzz::IsDigit(m[digits])) {
    line = line * 10 + static_cast<std::size_t>(m[digits] - '0');
    ++digits;
  }
  if (digits == 0 || digits > 12 || line < 1 || line > max_line) return false;
  m.remove_prefix(digits);
  for (const std::string_view sentence :
       {": a carriage return without a line feed",
        ": a quoted field is not closed before the end of the input",
        ": a closing quote must be followed by the delimiter (comma (,)) or a line end",
        ": a closing quote must be followed by the delimiter (semicolon (;)) or a line end",
        ": a closing quote must be followed by the delimiter (tab) or a line end",
        ": a quote inside an unquoted field",
        ": the sep= line names a delimiter other than ',', ';' or tab",
        ": not UTF-8 text: the file looks saved as Windows-1252 or Latin-1 (Excel's \"CSV "
        "(semikolonavgränsad)\"); save it as UTF-8 — in Excel: Spara som → CSV UTF-8 "
        "(kommaavgränsad); in LibreOffice: Spara som → Text CSV, teckenuppsättning Unicode "
        "(UTF-8)"}) {
    if (m == sentence) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<char> forced;
  if (!input.empty() && input[0] >= 1 && input[0] <= 3) {
    forced = ",;\t"[input[0] - 1];
    input.remove_prefix(1);
  }
  std::size_t lines = 1;
  for (const char c : input) lines += c == '\n';

  const Parsed parsed = ReadAll(input, forced);
  std::size_t previous = 0;
  for (const std::size_t line : parsed.lines) {
    REQUIRE(line >= previous && line <= lines);
    previous = line;
  }
  if (parsed.error) REQUIRE(IsCleanError(*parsed.error, lines));

  // The reader against the reference.
  const Reference reference = ReferenceParse(input, forced);
  REQUIRE(reference.error == parsed.error.has_value());
  REQUIRE(reference.records == parsed.records);

  // Written back (',' between fields) and read again with ',': the same records; written
  // again: the same bytes.
  const std::string written = Write(parsed.records);
  const Parsed again = ReadAll(written, ',');
  REQUIRE(!again.error.has_value());
  REQUIRE(again.records == parsed.records);
  REQUIRE(Write(again.records) == written);
  return 0;
}
