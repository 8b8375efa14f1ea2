// libFuzzer target for the CLI's RFC 4180 CSV reader and writer (examples/cli/csv.h), which
// `varsam anonymize` and `varsam register` use for the host's files.
//
// Input: any bytes, read as a CSV file.
// Invariants:
//  - the reader agrees with an independent reference parser of the grammar csv.h documents
//    (an optional byte-order mark; ',' between fields; CRLF or LF after a record, none after
//    the last; empty lines skipped; a quoted field holds ',', '""' and line breaks; a quote
//    inside an unquoted field, anything but ',' or a line end after a closing quote, an open
//    quoted field and a CR without LF outside quotes are errors): the same records, in order,
//    and an error exactly where the reference has one;
//  - a record's line() lies between the previous one and the number of lines of the input;
//  - an error is InvalidArgument "line N: <one of the reader's fixed sentences>" with N a line
//    of the input: never a byte of the content;
//  - whatever was read, written back with WriteCsvRecord and read again, gives the same
//    records, with no error; and writing those gives the same bytes again;
//  - never a crash, leak or sanitizer report.

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

namespace {

using Records = std::vector<std::vector<std::string>>;

struct Parsed {
  Records records;
  std::vector<std::size_t> lines;  // CsvReader::line() after each record
  std::optional<absl::Status> error;
};

Parsed ReadAll(std::string_view bytes) {
  std::istringstream in{std::string(bytes)};
  varsam::cli::CsvReader reader(in);
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

Reference ReferenceParse(std::string_view s) {
  Reference out;
  std::size_t i = 0;
  if (s.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  const auto fail = [&] {
    out.error = true;
    return out;
  };
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
        if (i < s.size() && s[i] != ',' && s[i] != '\r' && s[i] != '\n') return fail();
      } else {
        while (i < s.size() && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
          if (s[i] == '"') return fail();
          field.push_back(s[i++]);
        }
      }
      record.push_back(std::move(field));
      if (i >= s.size()) break;
      const char c = s[i++];
      if (c == ',') continue;
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
        ": a closing quote must be followed by a comma or a line end",
        ": a quote inside an unquoted field"}) {
    if (m == sentence) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (const char c : input) lines += c == '\n';

  const Parsed parsed = ReadAll(input);
  std::size_t previous = 1;
  for (const std::size_t line : parsed.lines) {
    REQUIRE(line >= previous && line <= lines);
    previous = line;
  }
  if (parsed.error) REQUIRE(IsCleanError(*parsed.error, lines));

  // The reader against the reference.
  const Reference reference = ReferenceParse(input);
  REQUIRE(reference.error == parsed.error.has_value());
  REQUIRE(reference.records == parsed.records);

  // Written back and read again: the same records; written again: the same bytes.
  const std::string written = Write(parsed.records);
  const Parsed again = ReadAll(written);
  REQUIRE(!again.error.has_value());
  REQUIRE(again.records == parsed.records);
  REQUIRE(Write(again.records) == written);
  return 0;
}
