// RFC 4180 CSV reader and writer for the CLI (csv.h).

#include "csv.h"

#include <string>

#include "absl/status/status.h"
#include "varsam/core.h"

namespace varsam::cli {
namespace {

absl::Status Bad(std::size_t line, std::string_view what) {
  return absl::InvalidArgumentError(Cat({"line ", std::to_string(line), ": ", what}));
}

}  // namespace

int CsvReader::Get() {
  const int c = in_.rdbuf()->sbumpc();
  if (c == '\n') ++line_;
  return c;
}

int CsvReader::Peek() { return in_.rdbuf()->sgetc(); }

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>* fields) {
  constexpr int kEof = std::char_traits<char>::eof();
  fields->clear();
  if (!started_) {
    started_ = true;
    // A UTF-8 byte-order mark.
    if (Peek() == 0xEF) {
      Get();
      if (Get() != 0xBB || Get() != 0xBF) return Bad(1, "not UTF-8 CSV (a broken byte-order mark)");
    }
  }
  // Skip empty lines.
  while (true) {
    const int c = Peek();
    if (c == kEof) return false;
    if (c == '\n') {
      Get();
      continue;
    }
    if (c == '\r') {
      Get();
      if (Peek() != '\n') return Bad(line_, "a carriage return without a line feed");
      Get();
      continue;
    }
    break;
  }
  record_line_ = line_;
  std::string field;
  while (true) {
    int c = Peek();
    if (c == '"') {
      // A quoted field.
      Get();
      const std::size_t opened = line_;
      while (true) {
        c = Get();
        if (c == kEof) {
          return Bad(opened, "a quoted field is not closed before the end of the input");
        }
        if (c == '"') {
          if (Peek() == '"') {
            Get();
            field.push_back('"');
            continue;
          }
          break;
        }
        field.push_back(static_cast<char>(c));
      }
      c = Peek();
      if (c != ',' && c != '\r' && c != '\n' && c != kEof) {
        return Bad(line_, "a closing quote must be followed by a comma or a line end");
      }
    } else {
      // An unquoted field.
      while (true) {
        c = Peek();
        if (c == ',' || c == '\r' || c == '\n' || c == kEof) break;
        if (c == '"') return Bad(line_, "a quote inside an unquoted field");
        field.push_back(static_cast<char>(Get()));
      }
    }
    fields->push_back(std::move(field));
    field.clear();
    c = Get();
    if (c == ',') continue;
    if (c == kEof || c == '\n') return true;
    // '\r'
    if (Peek() != '\n') return Bad(line_, "a carriage return without a line feed");
    Get();
    return true;
  }
}

void AppendCsvField(std::string_view field, std::string* out) {
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!quote) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void WriteCsvRecord(std::ostream& out, const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(fields[i], &line);
  }
  line.append("\r\n");
  out << line;
}

}  // namespace varsam::cli
