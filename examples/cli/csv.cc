// The CLI's CSV reader and writer (csv.h): RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180)
// and the dialect Excel saves with Swedish regional settings (';', decimal comma, a byte-order
// mark, CRLF; Excel's "sep=" first line).

#include "csv.h"

#include <algorithm>
#include <array>
#include <string>

#include "absl/status/status.h"
#include "varsam/core.h"

namespace varsam::cli {
namespace {

constexpr int kEof = std::char_traits<char>::eof();
constexpr std::string_view kBom = "\xEF\xBB\xBF";

absl::Status Bad(std::size_t line, std::string_view what) {
  return absl::InvalidArgumentError(Cat({"line ", std::to_string(line), ": ", what}));
}

// The offset of the first byte of `text` that does not begin well-formed UTF-8, or npos.
std::size_t FirstInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < text.size()) {
    const std::size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

constexpr std::string_view kNotUtf8 =
    "not UTF-8 text: the file looks saved as Windows-1252 or Latin-1 (Excel's \"CSV "
    "(semikolonavgränsad)\"); save it as UTF-8 — in Excel: Spara som → CSV UTF-8 "
    "(kommaavgränsad); in LibreOffice: Spara som → Text CSV, teckenuppsättning Unicode (UTF-8)";

}  // namespace

absl::StatusOr<char> ParseDelimiter(std::string_view flag) {
  if (flag == "," || flag == "comma") return ',';
  if (flag == ";" || flag == "semicolon") return ';';
  if (flag == "tab" || flag == "\t" || flag == "\\t") return '\t';
  return absl::InvalidArgumentError("--delimiter: must be ',' (comma), ';' (semicolon) or tab");
}

std::string_view DelimiterName(char delimiter) {
  switch (delimiter) {
    case ',': return "comma (,)";
    case ';': return "semicolon (;)";
    case '\t': return "tab";
    default: return "unknown";
  }
}

std::string HeaderMismatchHint(char delimiter, bool forced,
                               const std::vector<std::string>& expected) {
  std::string out =
      Cat({"read with the delimiter ", DelimiterName(delimiter),
           forced ? " (as given)" : " (found on the header line; --delimiter forces one)",
           "; the schema expects the columns "});
  for (std::size_t i = 0; i < expected.size(); ++i) {
    out += Cat({i == 0 ? "" : ", ", "'", expected[i], "'"});
  }
  return out;
}

bool DecimalCommaToPoint(std::string* field) {
  std::string_view s = *field;
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) i = 1;
  const std::size_t comma = s.find(',', i);
  if (comma == std::string_view::npos || comma == i || comma + 1 == s.size()) return false;
  const auto digits = [&](std::size_t from, std::size_t to) {
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from),
                       s.begin() + static_cast<std::ptrdiff_t>(to), IsDigit);
  };
  if (!digits(i, comma) || !digits(comma + 1, s.size())) return false;
  (*field)[comma] = '.';
  return true;
}

int CsvReader::Get() {
  int c = 0;
  if (head_pos_ < head_.size()) {
    c = static_cast<unsigned char>(head_[head_pos_++]);
  } else {
    c = in_.rdbuf()->sbumpc();
  }
  if (c == '\n') ++line_;
  return c;
}

int CsvReader::Peek() {
  if (head_pos_ < head_.size()) return static_cast<unsigned char>(head_[head_pos_]);
  return in_.rdbuf()->sgetc();
}

absl::Status CsvReader::Start() {
  started_ = true;
  // The first physical line (and the next, after a "sep=" line), read ahead.
  const auto read_line = [this] {
    head_.clear();
    head_pos_ = 0;
    while (true) {
      const int c = in_.rdbuf()->sbumpc();
      if (c == kEof) break;
      head_.push_back(static_cast<char>(c));
      if (c == '\n') break;
    }
    if (std::string_view(head_).starts_with(kBom)) head_pos_ = kBom.size();
  };
  read_line();
  std::string_view first = std::string_view(head_).substr(head_pos_);
  while (!first.empty() && (first.back() == '\n' || first.back() == '\r')) first.remove_suffix(1);
  if (first.size() == 5 && first.starts_with("sep=")) {
    const char named = first[4];
    if (named != ',' && named != ';' && named != '\t') {
      return Bad(1, "the sep= line names a delimiter other than ',', ';' or tab");
    }
    if (!forced_) delimiter_ = named;
    sep_line_ = true;
    line_ = 2;
    read_line();
  }
  if (forced_ || sep_line_) return absl::OkStatus();
  // Count the candidates outside quotes on the header line.
  std::array<std::size_t, 3> count{};
  constexpr std::array<char, 3> kCandidates = {',', ';', '\t'};
  bool quoted = false;
  for (std::size_t i = head_pos_; i < head_.size(); ++i) {
    const char c = head_[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    for (std::size_t k = 0; k < kCandidates.size(); ++k) count[k] += c == kCandidates[k] ? 1 : 0;
  }
  std::size_t best = 0;
  for (std::size_t k = 1; k < kCandidates.size(); ++k) {
    if (count[k] > count[best]) best = k;
  }
  delimiter_ = kCandidates[best];
  return absl::OkStatus();
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  if (!started_) VARSAM_RETURN_IF_ERROR(Start());
  const char sep = delimiter_;
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
    const std::size_t field_line = line_;
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
      if (c != sep && c != '\r' && c != '\n' && c != kEof) {
        return Bad(line_, Cat({"a closing quote must be followed by the delimiter (",
                               DelimiterName(sep), ") or a line end"}));
      }
    } else {
      // An unquoted field.
      while (true) {
        c = Peek();
        if (c == sep || c == '\r' || c == '\n' || c == kEof) break;
        if (c == '"') return Bad(line_, "a quote inside an unquoted field");
        field.push_back(static_cast<char>(Get()));
      }
    }
    if (const std::size_t bad = FirstInvalidUtf8(field); bad != std::string::npos) {
      const auto breaks =
          std::count(field.begin(), field.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
      return Bad(field_line + static_cast<std::size_t>(breaks), kNotUtf8);
    }
    fields->push_back(std::move(field));
    field.clear();
    c = Get();
    if (c == sep) continue;
    if (c == kEof || c == '\n') return true;
    // '\r'
    if (Peek() != '\n') return Bad(line_, "a carriage return without a line feed");
    Get();
    return true;
  }
}

void AppendCsvField(std::string_view field, std::string* out) {
  // Also quoted: a field beginning with the bytes of a byte-order mark (U+FEFF) or with "sep=",
  // which the reader would skip were it the first field of the file.
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' ')) ||
                     field.substr(0, 3) == kBom || field.starts_with("sep=");
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
