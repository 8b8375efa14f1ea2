// CSV for the CLI (`varsam anonymize`; the one reader every command that reads CSV uses): a
// streaming reader of RFC 4180 and of the files Excel saves with Swedish settings, and a writer.
//
// Reader (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180, with the dialect Excel writes):
// - The delimiter is ',', ';' or a tab. Unless the caller forces one (`--delimiter`), it is
//   found on the first line: Excel's `sep=X` line (which is then skipped) names it; otherwise
//   the one of the three that occurs most often outside quotes on the header line is taken
//   (',' when none does, or on a tie, in the order ',', ';', tab). Excel with Swedish regional
//   settings (list separator ';', decimal comma) saves "CSV UTF-8 (kommaavgränsad)" with ';'.
// - A UTF-8 byte-order mark at the start is skipped (before or after a `sep=` line); records
//   end with CRLF or LF (the last one may have none); empty lines are skipped.
// - A field in double quotes may hold the delimiter, '"' (written "") and line breaks.
// - Every field must be UTF-8: a file saved as "CSV (semikolonavgränsad)" is Windows-1252 and
//   is refused with a message saying how to save it as UTF-8, naming the line, never the bytes.
// Malformed input (a quote inside an unquoted field, anything but the delimiter or a line end
// after a closing quote, a quoted field left open, a CR not followed by LF outside quotes) is
// InvalidArgument "line N: ..." — naming the line where the problem is, never the content.
//
// Decimal comma: where the delimiter is ';' (Swedish Excel), a number is written "12,5";
// DecimalCommaToPoint turns such a field into "12.5" (the caller decides which fields are
// numbers: the anonymize command applies it to every field that is not a direct identifier or
// free text).
//
// Writer: ',' between fields; a field is quoted when it holds ',', '"', CR or LF, begins or ends
// with a space, or begins with a byte-order mark or "sep=" (which the reader skips at the start
// of a file); records end with CRLF (as `varsam synth` writes them). Read back with ',' forced,
// the records are the same.

#ifndef VARSAM_EXAMPLES_CLI_CSV_H_
#define VARSAM_EXAMPLES_CLI_CSV_H_

#include <cstddef>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace varsam::cli {

// How to read `--delimiter`: "," / "comma", ";" / "semicolon", "tab" / "\t" (a real tab).
// InvalidArgument naming the flag otherwise (the value is the user's own flag, not data, but it
// is not echoed either).
absl::StatusOr<char> ParseDelimiter(std::string_view flag);
// "comma (,)", "semicolon (;)", "tab" — for messages.
std::string_view DelimiterName(char delimiter);

// The message for a header row that does not match: which delimiter was used (found or
// forced), and the names the schema expects, in its order (the schema's names, never data).
std::string HeaderMismatchHint(char delimiter, bool forced,
                               const std::vector<std::string>& expected);

// "12,5" -> "12.5", "-3,25" -> "-3.25": a field that is an optional sign, digits, one comma and
// digits. Anything else is left as it is. True when the field was changed.
bool DecimalCommaToPoint(std::string* field);

class CsvReader {
 public:
  // `delimiter`: ',', ';' or '\t' to force it, nullopt to detect it on the first line.
  explicit CsvReader(std::istream& in, std::optional<char> delimiter = std::nullopt)
      : in_(in), delimiter_(delimiter.value_or(',')), forced_(delimiter.has_value()) {}

  // Reads the next record into *fields: true, or false at the end of the input.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields);

  // The 1-based line on which the last record read began (a `sep=` line counts as line 1).
  std::size_t line() const { return record_line_; }
  // The delimiter in use (known once the first record is read).
  char delimiter() const { return delimiter_; }
  // True when the delimiter was forced by the caller or named by a `sep=` line.
  bool delimiter_given() const { return forced_ || sep_line_; }
  bool forced() const { return forced_; }
  bool sep_line() const { return sep_line_; }

 private:
  int Get();
  int Peek();
  absl::Status Start();

  std::istream& in_;
  std::string head_;          // the start of the input, read ahead to detect the delimiter
  std::size_t head_pos_ = 0;  // the next byte of head_ to give
  std::size_t line_ = 1;      // the line of the next character
  std::size_t record_line_ = 0;
  char delimiter_;
  bool forced_;
  bool sep_line_ = false;
  bool started_ = false;
};

// One field as RFC 4180 writes it.
void AppendCsvField(std::string_view field, std::string* out);
// One record with CRLF.
void WriteCsvRecord(std::ostream& out, const std::vector<std::string>& fields);

}  // namespace varsam::cli

#endif  // VARSAM_EXAMPLES_CLI_CSV_H_
