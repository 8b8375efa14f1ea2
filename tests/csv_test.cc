// Tests for the CLI's CSV reader (examples/cli/csv.h): RFC 4180
// (https://www.rfc-editor.org/rfc/rfc4180) and the files Excel saves with Swedish settings —
// delimiter found or forced, Excel's "sep=" line, byte-order mark, CRLF, quoted fields, decimal
// comma, and the refusal of Windows-1252 bytes.

#include "csv.h"

#include <catch2/catch.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "varsam/core.h"

namespace cli = varsam::cli;
using Rows = std::vector<std::vector<std::string>>;

namespace {

struct Read {
  absl::Status status;
  Rows rows;
  std::vector<std::size_t> lines;  // the line each record began on
  char delimiter = 0;
};

Read ReadAll(const std::string& text, std::optional<char> delimiter = std::nullopt) {
  std::istringstream in(text);
  cli::CsvReader reader(in, delimiter);
  Read out;
  std::vector<std::string> fields;
  while (true) {
    auto more = reader.Next(&fields);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.rows.push_back(fields);
    out.lines.push_back(reader.line());
  }
  out.delimiter = reader.delimiter();
  return out;
}

// A table written independently of the reader: every field quoted when it holds the delimiter,
// a quote, CR or LF, quotes doubled (RFC 4180 §2, rules 5-7).
std::string Write(const Rows& rows, char sep, std::string_view line_end) {
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += sep;
      const std::string& f = row[i];
      if (f.find_first_of(std::string{sep, '"', '\r', '\n'}) == std::string::npos) {
        out += f;
        continue;
      }
      out += '"';
      for (const char c : f) out += c == '"' ? std::string("\"\"") : std::string(1, c);
      out += '"';
    }
    out += line_end;
  }
  return out;
}

// A table whose note holds every delimiter, quotes and a line break.
Rows Table() {
  return {{"personnummer", "kon", "alder", "anteckning"},
          {"Kalle", "K", "12,5", "bra, mycket; bra\t\"!\""},
          {"Sara", "man", "40", "två\r\nrader"}};
}

bool Has(const absl::Status& s, std::string_view part) {
  return varsam::StatusMessage(s).find(part) != std::string_view::npos;
}

}  // namespace

TEST_CASE("csv: the delimiter is found on the header line: comma, semicolon or tab", "[csv]") {
  const Rows table = Table();
  for (const char sep : {',', ';', '\t'}) {
    for (const std::string_view end : {"\r\n", "\n"}) {
      CAPTURE(sep, end.size());
      const Read r = ReadAll(Write(table, sep, end));
      REQUIRE(r.status.ok());
      CHECK(r.delimiter == sep);
      CHECK(r.rows == table);
      // Records begin on lines 1, 2, 3; the third record's note spans two lines.
      CHECK(r.lines == std::vector<std::size_t>{1, 2, 3});
    }
  }
  // The delimiter that occurs most often outside quotes wins; a quoted header field holding
  // others does not sway it.
  const Read r = ReadAll("\"a,b,c,d\";e;f\r\n1;2;3\r\n");
  REQUIRE(r.status.ok());
  CHECK(r.delimiter == ';');
  CHECK(r.rows == Rows{{"a,b,c,d", "e", "f"}, {"1", "2", "3"}});
  // One column: no delimiter on the header line, read as RFC 4180's comma.
  const Read one = ReadAll("kon\r\nkvinna\r\n");
  REQUIRE(one.status.ok());
  CHECK(one.delimiter == ',');
  CHECK(one.rows == Rows{{"kon"}, {"kvinna"}});
}

TEST_CASE("csv: Excel's sep= line names the delimiter and is not a record", "[csv]") {
  // The header holds more commas than semicolons; the sep= line decides.
  const Rows rows = {{"a,b,c", "d"}, {"1,5", "2"}};
  for (const std::string_view bom : {"", "\xEF\xBB\xBF"}) {
    CAPTURE(bom.size());
    // A byte-order mark before the sep= line, or after it.
    for (const bool bom_first : {true, false}) {
      const std::string text = bom_first
                                   ? varsam::Cat({bom, "sep=;\r\n", Write(rows, ';', "\r\n")})
                                   : varsam::Cat({"sep=;\r\n", bom, Write(rows, ';', "\r\n")});
      const Read r = ReadAll(text);
      REQUIRE(r.status.ok());
      CHECK(r.delimiter == ';');
      CHECK(r.rows == rows);
      CHECK(r.lines == std::vector<std::size_t>{2, 3});  // the sep= line is line 1
    }
  }
  const Read tab = ReadAll("sep=\t\na;b\tc\n");
  REQUIRE(tab.status.ok());
  CHECK(tab.rows == Rows{{"a;b", "c"}});
  const Read odd = ReadAll("sep=|\na|b\n");
  REQUIRE_FALSE(odd.status.ok());
  CHECK(Has(odd.status, "line 1:"));
}

TEST_CASE("csv: --delimiter forces the delimiter over the header line and sep=", "[csv]") {
  const Rows table = Table();
  const std::string text = Write(table, ';', "\r\n");
  // Forced to ',', a ';' file's header is one field per comma-free stretch.
  const Read forced = ReadAll("a;b;c\r\n1;2;3\r\n", ',');
  REQUIRE(forced.status.ok());
  CHECK(forced.delimiter == ',');
  CHECK(forced.rows == Rows{{"a;b;c"}, {"1;2;3"}});
  // Forced over a sep= line (which is still not a record).
  const Read over_sep = ReadAll("sep=;\r\na;b,c\r\n", ',');
  REQUIRE(over_sep.status.ok());
  CHECK(over_sep.rows == Rows{{"a;b", "c"}});
  // Forced to what the file has: the same as found.
  const Read same = ReadAll(text, ';');
  REQUIRE(same.status.ok());
  CHECK(same.rows == table);
  // The flag's spellings.
  CHECK(cli::ParseDelimiter(",").value() == ',');
  CHECK(cli::ParseDelimiter("comma").value() == ',');
  CHECK(cli::ParseDelimiter(";").value() == ';');
  CHECK(cli::ParseDelimiter("semicolon").value() == ';');
  CHECK(cli::ParseDelimiter("tab").value() == '\t');
  CHECK(cli::ParseDelimiter("\t").value() == '\t');
  for (const char* bad : {"", "|", ";;", "pipe", " "}) {
    CAPTURE(bad);
    const auto got = cli::ParseDelimiter(bad);
    REQUIRE_FALSE(got.ok());
    CHECK(Has(got.status(), "--delimiter"));
  }
}

TEST_CASE("csv: a byte-order mark and CRLF line ends are not data", "[csv]") {
  const Rows rows = {{"kon", "datum"}, {"kvinna", "20260105"}, {"man", ""}};
  const std::string body = Write(rows, ';', "\r\n");
  const Read with_bom = ReadAll(varsam::Cat({"\xEF\xBB\xBF", body}));
  REQUIRE(with_bom.status.ok());
  CHECK(with_bom.rows == rows);
  CHECK(with_bom.rows[0][0].size() == 3);  // no mark left in the first field
  // Empty lines (CRLF or LF) are skipped; no final line end is needed.
  const Read blank = ReadAll("\xEF\xBB\xBFkon;datum\r\n\r\n\nkvinna;20260105\r\nman;");
  REQUIRE(blank.status.ok());
  CHECK(blank.rows == rows);
  CHECK(blank.lines == std::vector<std::size_t>{1, 4, 5});
  // Only a whole mark is skipped: U+F000 (EF 80 80) at the start is data.
  const Read data = ReadAll("\xEF\x80\x80;b\r\n");
  REQUIRE(data.status.ok());
  CHECK(data.rows == Rows{{"\xEF\x80\x80", "b"}});
  // A lone CR outside quotes is malformed.
  const Read cr = ReadAll("a;b\r\n1;2\r3;4\r\n");
  REQUIRE_FALSE(cr.status.ok());
  CHECK(Has(cr.status, "line 2:"));
}

TEST_CASE("csv: quoted fields hold the delimiter, quotes and line breaks (RFC 4180)", "[csv]") {
  const Rows rows = {{"id", "text", "n"},
                     {"1", "a,b;c\td", "2"},
                     {"2", "\"citat\" och \"\"dubbla\"\"", "3"},
                     {"3", "rad ett\r\nrad två\nrad tre", "4"},
                     {"4", "", "5"}};
  for (const char sep : {',', ';', '\t'}) {
    CAPTURE(sep);
    const Read r = ReadAll(Write(rows, sep, "\r\n"));
    REQUIRE(r.status.ok());
    CHECK(r.rows == rows);
    CHECK(r.lines == std::vector<std::size_t>{1, 2, 3, 4, 7});
  }
  // Malformed: named by line.
  const Read open = ReadAll("a;b\r\n1;\"två\r\nrader\r\n");
  REQUIRE_FALSE(open.status.ok());
  CHECK(Has(open.status, "line 2:"));
  const Read after = ReadAll("a;b\r\n\"1\",2;3\r\n");
  REQUIRE_FALSE(after.status.ok());
  CHECK(Has(after.status, "line 2:"));
  CHECK(Has(after.status, "semicolon"));
  const Read inside = ReadAll("a;b\r\n\r\n1;x\"y\r\n");
  REQUIRE_FALSE(inside.status.ok());
  CHECK(Has(inside.status, "line 3:"));
}

TEST_CASE("csv: a decimal comma reads as a decimal point", "[csv]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"12,5", "12.5"}, {"-3,25", "-3.25"}, {"+0,5", "+0.5"},       {"0,0", "0.0"},
      {"12", "12"},     {"12.5", "12.5"},   {"1,2,3", "1,2,3"},     {",5", ",5"},
      {"5,", "5,"},     {"a,5", "a,5"},     {"1 000,5", "1 000,5"}, {"", ""},
      {"-,5", "-,5"},   {"12,5 ", "12,5 "}};
  for (const auto& [in, want] : cases) {
    CAPTURE(in);
    std::string field = in;
    CHECK(cli::DecimalCommaToPoint(&field) == (in != want));
    CHECK(field == want);
  }
  // Read from a ';' file, the number is one field; the conversion gives the value that
  // std::stod reads as the same number the comma form names.
  const Read r = ReadAll("poang;total\r\n12,5;31,4\r\n");
  REQUIRE(r.status.ok());
  REQUIRE(r.rows.size() == 2);
  std::vector<std::string> fields = r.rows[1];
  for (std::string& f : fields) REQUIRE(cli::DecimalCommaToPoint(&f));
  CHECK(std::stod(fields[0]) == 12.5);
  CHECK(std::stod(fields[1]) == 31.4);
}

TEST_CASE("csv: Windows-1252 bytes are refused naming the line and how to save as UTF-8", "[csv]") {
  // "Björk" and "kön" as Windows-1252 writes them (ö = F6, å = E5), on line 3 and in a quoted
  // field's second line (line 5).
  const std::string text = "namn;kon\r\nAnna;kvinna\r\nBj\xF6rk;K\r\n";
  const Read r = ReadAll(text);
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Has(r.status, "line 3:"));
  CHECK(Has(r.status, "UTF-8"));
  CHECK(Has(r.status, "Spara som → CSV UTF-8 (kommaavgränsad)"));
  CHECK_FALSE(Has(r.status, "Bj"));
  CHECK_FALSE(Has(r.status, "\xF6"));
  CHECK(varsam::IsValidUtf8(varsam::StatusMessage(r.status)));
  const Read later = ReadAll("namn;anteckning\r\nAnna;ok\r\nBo;\"rad ett\r\nr\xE5\x64\"\r\n");
  REQUIRE_FALSE(later.status.ok());
  CHECK(Has(later.status, "line 4:"));
  CHECK_FALSE(Has(later.status, "rad"));
  // A Windows-1252 header (k\xF6n) is refused on line 1 before any matching.
  const Read header = ReadAll("namn;k\xF6n\r\n");
  REQUIRE_FALSE(header.status.ok());
  CHECK(Has(header.status, "line 1:"));
  // The same text as UTF-8 is read.
  const Read utf8 = ReadAll("namn;kön\r\nBjörk;K\r\n");
  REQUIRE(utf8.status.ok());
  CHECK(utf8.rows == Rows{{"namn", "kön"}, {"Björk", "K"}});
}

TEST_CASE("csv: the header mismatch message names the delimiter and the schema's fields", "[csv]") {
  const std::vector<std::string> expected = {"personnummer", "kon", "alder"};
  const std::string found = cli::HeaderMismatchHint(';', false, expected);
  CHECK(found.find("semicolon (;)") != std::string::npos);
  CHECK(found.find("found on the header line") != std::string::npos);
  CHECK(found.find("--delimiter") != std::string::npos);
  CHECK(found.find("'personnummer', 'kon', 'alder'") != std::string::npos);
  const std::string forced = cli::HeaderMismatchHint('\t', true, expected);
  CHECK(forced.find("tab") != std::string::npos);
  CHECK(forced.find("as given") != std::string::npos);
  CHECK(cli::HeaderMismatchHint(',', false, expected).find("comma (,)") != std::string::npos);
}

TEST_CASE("csv: what the writer writes reads back the same, a first field 'sep=' too", "[csv]") {
  // A first field that begins with "sep=" or with a byte-order mark would be taken for Excel's
  // delimiter line or skipped: the writer quotes it.
  for (const Rows& rows : {Rows{{"sep=;"}, {"x"}}, Rows{{"sep=,", "b"}},
                           Rows{{"\xEF\xBB\xBF"
                                 "a"}},
                           Rows{{"a;b", "c\td"}, {"", "e,f"}}}) {
    std::ostringstream out;
    for (const auto& row : rows) cli::WriteCsvRecord(out, row);
    const Read r = ReadAll(out.str(), ',');
    REQUIRE(r.status.ok());
    CHECK(r.rows == rows);
  }
  std::ostringstream out;
  cli::WriteCsvRecord(out, {"sep=;"});
  CHECK(out.str() == "\"sep=;\"\r\n");
}
