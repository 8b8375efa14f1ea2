// RFC 4180 CSV for the CLI (`varsam anonymize`): a streaming reader and a writer.
//
// Reader: fields separated by ',', records ended by CRLF or LF (the last one may have none);
// a field in double quotes may hold ',', '"' (written "") and line breaks; a UTF-8 byte-order
// mark at the start and empty lines are skipped. Malformed input (a quote inside an unquoted
// field, anything but ',' or a line end after a closing quote, a quoted field left open, a CR
// not followed by LF outside quotes) is InvalidArgument "line N: ..." — naming the line where
// the problem is, never the content.
//
// Writer: a field is quoted when it holds ',', '"', CR or LF (or begins or ends with a space);
// records end with CRLF (as `varsam synth` writes them).

#ifndef VARSAM_EXAMPLES_CLI_CSV_H_
#define VARSAM_EXAMPLES_CLI_CSV_H_

#include <cstddef>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace varsam::cli {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}

  // Reads the next record into *fields: true, or false at the end of the input.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields);

  // The 1-based line on which the last record read began.
  std::size_t line() const { return record_line_; }

 private:
  int Get();
  int Peek();

  std::istream& in_;
  std::size_t line_ = 1;  // the line of the next character
  std::size_t record_line_ = 0;
  bool started_ = false;
};

// One field as RFC 4180 writes it.
void AppendCsvField(std::string_view field, std::string* out);
// One record with CRLF.
void WriteCsvRecord(std::ostream& out, const std::vector<std::string>& fields);

}  // namespace varsam::cli

#endif  // VARSAM_EXAMPLES_CLI_CSV_H_
