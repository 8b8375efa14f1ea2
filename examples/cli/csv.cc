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
  std::string field;
  // Bytes read while looking for a byte-order mark that turned out to be data: the start of
  // the first record's first field (unquoted, since it does not begin with a quote).
  bool carried = false;
  if (!started_) {
    started_ = true;
    // A UTF-8 byte-order mark (EF BB BF) is skipped; anything else beginning with EF (U+F000
    // to U+FFFF, say) is data.
    if (Peek() == 0xEF) {
      field.push_back(static_cast<char>(Get()));
      if (Peek() == 0xBB) {
        field.push_back(static_cast<char>(Get()));
        if (Peek() == 0xBF) {
          Get();
          field.clear();
        }
      }
      carried = !field.empty();
    }
  }
  // Skip empty lines.
  while (!carried) {
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
  while (true) {
    int c = Peek();
    if (c == '"' && !carried) {
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
    carried = false;
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
  // Also quoted: a field beginning with the bytes of a byte-order mark (U+FEFF), which the
  // reader would skip were it the first field of the file.
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' ')) ||
                     field.substr(0, 3) == "\xEF\xBB\xBF";
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
  // One empty field is written quoted: bare, the record would be an empty line, which the
  // reader skips.
  if (fields.size() == 1 && fields[0].empty()) line = "\"\"";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(fields[i], &line);
  }
  line.append("\r\n");
  out << line;
}

}  // namespace varsam::cli
