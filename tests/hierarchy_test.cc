// Tests for include/varsam/hierarchy.h: generalisation hierarchies and the integer
// coding of columns for the k-anonymity search.

#include "varsam/hierarchy.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "varsam/core.h"
#include "varsam/store.h"

namespace an = varsam::anonymize;
using an::Hierarchy;
using Path = std::vector<std::string>;

namespace {

Path Gen(const Hierarchy& h, std::string_view value) {
  auto got = h.Generalize(value);
  REQUIRE(got.ok());
  return *got;
}

// A register row that passes store::ValidateEpisode; tests vary one field.
varsam::store::EpisodeRow ValidRow() {
  varsam::store::EpisodeRow row;
  row.pseudonym = varsam::Cat({"p1_", std::string(43, 'A')});
  row.key_epoch = 1;
  row.age_band = "18-24";
  row.sex = "";
  row.region = "";
  row.case_kind = "insats";
  row.start_period = "2026";
  row.record_key = 42;
  return row;
}

bool MessageHas(const absl::Status& status, std::string_view part) {
  return std::string(status.message()).find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("hierarchy: age by example, edges and top-coding", "[hierarchy]") {
  const Hierarchy age = Hierarchy::Age().value();
  CHECK(age.name() == "age");
  CHECK(age.levels() == 5);
  CHECK(Gen(age, "0") == Path{"0", "0-4", "0-9", "0-19", "*"});
  CHECK(Gen(age, "4") == Path{"4", "0-4", "0-9", "0-19", "*"});
  CHECK(Gen(age, "5") == Path{"5", "5-9", "0-9", "0-19", "*"});
  CHECK(Gen(age, "19") == Path{"19", "15-19", "10-19", "0-19", "*"});
  CHECK(Gen(age, "20") == Path{"20", "20-24", "20-29", "20-39", "*"});
  CHECK(Gen(age, "37") == Path{"37", "35-39", "30-39", "20-39", "*"});
  CHECK(Gen(age, "67") == Path{"67", "65-69", "60-69", "60-79", "*"});
  CHECK(Gen(age, "99") == Path{"99", "95-99", "90-99", "80-99", "*"});
  CHECK(Gen(age, "100") == Path{"100", "100+", "100+", "100+", "*"});
  CHECK(Gen(age, "120") == Path{"120", "100+", "100+", "100+", "*"});
  CHECK(Gen(age, "150") == Path{"150", "100+", "100+", "100+", "*"});
  CHECK(age.Generalize("37", 2).value() == "30-39");
  CHECK_FALSE(age.Generalize("37", 5).ok());
  for (const char* bad : {"151", "-1", "4.5", "04", "", " 4", "1000", "x"}) {
    CAPTURE(bad);
    const auto got = age.Generalize(bad);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(MessageHas(got.status(), "hierarchy age"));
  }

  // Another top code: 60 ("60+" as in many Swedish tables; 65 would not nest in 10-year bands).
  const Hierarchy age60 = Hierarchy::Age(60).value();
  CHECK(Gen(age60, "59") == Path{"59", "55-59", "50-59", "40-59", "*"});
  CHECK(Gen(age60, "65") == Path{"65", "60+", "60+", "60+", "*"});
  for (const int bad : {0, 65, 70, 160, -20}) {
    CAPTURE(bad);
    CHECK(Hierarchy::Age(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("hierarchy: every age band is a register age band", "[hierarchy]") {
  const auto vocabulary = varsam::store::RegisterVocabulary::Default();
  auto row = ValidRow();
  for (const int top : {100, 60}) {
    const Hierarchy age = Hierarchy::Age(top).value();
    for (int years = 0; years <= 150; ++years) {
      const Path path = Gen(age, std::to_string(years));
      for (int level = 1; level <= 3; ++level) {
        row.age_band = path[static_cast<std::size_t>(level)];
        CAPTURE(years, level, row.age_band);
        CHECK(varsam::store::ValidateEpisode(row, vocabulary).ok());
      }
    }
  }
}

TEST_CASE("hierarchy: dates to month, quarter, year", "[hierarchy]") {
  const Hierarchy dates = Hierarchy::Dates();
  CHECK(dates.name() == "date");
  CHECK(dates.levels() == 5);
  CHECK(Gen(dates, "2026-12-31") == Path{"2026-12-31", "2026-12", "2026-Q4", "2026", "*"});
  CHECK(Gen(dates, "2026-01-01") == Path{"2026-01-01", "2026-01", "2026-Q1", "2026", "*"});
  CHECK(Gen(dates, "2026-03-31") == Path{"2026-03-31", "2026-03", "2026-Q1", "2026", "*"});
  CHECK(Gen(dates, "2026-04-01") == Path{"2026-04-01", "2026-04", "2026-Q2", "2026", "*"});
  CHECK(Gen(dates, "2026-09-30") == Path{"2026-09-30", "2026-09", "2026-Q3", "2026", "*"});
  CHECK(Gen(dates, "2024-02-29") == Path{"2024-02-29", "2024-02", "2024-Q1", "2024", "*"});
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-3-01", "20260229", "2026123", "",
                          "2026-12-31 ", "2026-1231", "+2026123"}) {
    CAPTURE(bad);
    const auto got = dates.Generalize(bad);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  }
  // Month, quarter and year are register periods.
  const auto vocabulary = varsam::store::RegisterVocabulary::Default();
  auto row = ValidRow();
  for (int month = 1; month <= 12; ++month) {
    const std::string day =
        varsam::Cat({"2026-", month < 10 ? "0" : "", std::to_string(month), "-15"});
    const Path path = Gen(dates, day);
    for (int level = 1; level <= 3; ++level) {
      row.start_period = path[static_cast<std::size_t>(level)];
      CAPTURE(row.start_period);
      CHECK(varsam::store::ValidateEpisode(row, vocabulary).ok());
    }
  }
}

TEST_CASE("hierarchy: geography from postal code to municipality and county", "[hierarchy]") {
  const Hierarchy geo = Hierarchy::Geography().value();
  CHECK(geo.name() == "postal_code");
  CHECK(geo.levels() == 4);
  CHECK(geo.size() == 15463);
  CHECK(Gen(geo, "11120") == Path{"11120", "0180", "01", "*"});  // Stockholm
  CHECK(Gen(geo, "40010") == Path{"40010", "1480", "14", "*"});  // Göteborg
  CHECK(Gen(geo, "20001") == Path{"20001", "1280", "12", "*"});  // Malmö
  CHECK(Gen(geo, "98101") == Path{"98101", "2584", "25", "*"});  // Kiruna
  for (const char* bad : {"00000", "111 20", "1112", "", "abcde"}) {
    CAPTURE(bad);
    CHECK(geo.Generalize(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  // Every county code is a register region.
  const auto vocabulary = varsam::store::RegisterVocabulary::Default();
  auto row = ValidRow();
  for (std::size_t i = 0; i < geo.size(); ++i) {
    CHECK(geo.Label(i, 3) == "*");
    CHECK(geo.Label(i, 1).size() == 4);
    if (i % 97 != 0) continue;
    row.region = std::string(geo.Label(i, 2));
    CAPTURE(row.region);
    CHECK(varsam::store::ValidateEpisode(row, vocabulary).ok());
  }
  // Unknown postal codes in a column: named by field and row, not by value.
  const std::vector<std::string> values = {"11120", "40010", "99999"};
  const auto encoded = an::Encode(geo, "postal_code", values);
  REQUIRE_FALSE(encoded.ok());
  CHECK(encoded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(MessageHas(encoded.status(), "column postal_code, row 2"));
  CHECK_FALSE(MessageHas(encoded.status(), "99999"));
}

TEST_CASE("hierarchy: sex", "[hierarchy]") {
  const Hierarchy sex = Hierarchy::Sex();
  CHECK(sex.levels() == 2);
  CHECK(Gen(sex, "female") == Path{"female", "*"});
  CHECK(Gen(sex, "male") == Path{"male", "*"});
  CHECK(Gen(sex, "") == Path{"", "*"});
  for (const char* bad : {"f", "x", "kvinnan", "mann", "k ", "kvinna/man", "1", "2", "okänt"}) {
    CAPTURE(bad);
    const auto got = sex.Generalize(bad);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("hierarchy: sex as Swedish users write it, any case, reads as female or male",
          "[hierarchy][csv]") {
  const Hierarchy sex = Hierarchy::Sex();
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"kvinna", "female"}, {"man", "male"},   {"k", "female"},      {"m", "male"},
      {"flicka", "female"}, {"pojke", "male"}, {"female", "female"}, {"male", "male"}};
  for (const auto& [form, canonical] : forms) {
    // Every spelling in lower, upper and title case.
    std::string upper = form;
    std::string title = form;
    for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
    title[0] = upper[0];
    for (const std::string& v : {form, upper, title}) {
      CAPTURE(v);
      CHECK(Gen(sex, v) == Path{canonical, "*"});
    }
  }
}

TEST_CASE("hierarchy: dates written YYYYMMDD read as YYYY-MM-DD", "[hierarchy][csv]") {
  const Hierarchy dates = Hierarchy::Dates();
  // Every day of a leap year and of a common year, both forms: the same path.
  for (const int year : {2024, 2025}) {
    varsam::Date day(year, 1, 1);
    while (day.year() == year) {
      const std::string iso = varsam::FormatIsoDate(day);
      std::string basic = iso;
      std::erase(basic, '-');
      CAPTURE(basic);
      CHECK(Gen(dates, basic) == Gen(dates, iso));
      CHECK(Gen(dates, basic)[0] == iso);
      ++day;
    }
  }
}

TEST_CASE("hierarchy: CSV hierarchies as ARX writes them", "[hierarchy]") {
  const std::string csv =
      "ekonomiskt bistånd;försörjning;insats;*\n"
      "hemtjänst;omsorg;insats;*\n"
      "boendestöd;omsorg;insats;*\n"
      "familjebehandling;stöd, råd;insats;*\n";
  Hierarchy::CsvOptions options;
  options.name = "intervention";
  const Hierarchy h = Hierarchy::FromCsv(csv, options).value();
  CHECK(h.name() == "intervention");
  CHECK(h.levels() == 4);
  CHECK(h.size() == 4);
  CHECK(h.Label(3, 1) == "stöd, råd");  // a comma inside a ';' file is part of the value
  CHECK(Gen(h, "hemtjänst") == Path{"hemtjänst", "omsorg", "insats", "*"});
  CHECK_FALSE(h.Generalize("omsorg").ok());  // only level-0 values are inputs

  // CRLF, a BOM, empty lines, and a comma file when asked.
  const Hierarchy crlf = Hierarchy::FromCsv(
                             "\xEF\xBB\xBF"
                             "a;x;*\r\n\r\nb;x;*\r\nc;y;*\r\n")
                             .value();
  CHECK(crlf.size() == 3);
  CHECK(Gen(crlf, "c") == Path{"c", "y", "*"});
  Hierarchy::CsvOptions comma;
  comma.separator = ',';
  CHECK(Gen(Hierarchy::FromCsv("a,x,*\nb,y,*\n", comma).value(), "b") == Path{"b", "y", "*"});
  // Without the option, a comma file is one field per line: refused.
  CHECK_FALSE(Hierarchy::FromCsv("a,x,*\nb,y,*\n").ok());
  // A hierarchy of only value;* is fine (levels 2).
  CHECK(Hierarchy::FromCsv("a;*\nb;*").value().levels() == 2);
}

TEST_CASE("hierarchy: CSV refusals name the line", "[hierarchy]") {
  struct Case {
    std::string text;
    std::string expect;  // part of the message
  };
  const std::vector<Case> cases = {
      {"a;x;*\nb;y\n", "line 2: has 2 fields; the first line has 3"},
      {"a;x;*\nb;y;*\n\nc;y;*;*\n", "line 4: has 4 fields"},
      {"a;x;*\nb;y;*\na;z;*\n", "line 3: duplicate value (first on line 1)"},
      {"a;x;p;*\nb;x;q;*\n",
       "line 2: the value at level 1 has a different parent at level 2 "
       "than on line 1"},
      {"a;x;*\nb;y;top\n", "line 2: its top level differs from line 1"},
      {"a;;*\n", "line 1: level 1 is empty"},
      {"a;x;*\n;x;*\n", "line 2: level 0 is empty"},
      {"a;x;*\nb\xff;x;*\n", "line 2: not UTF-8"},
      {std::string("a;x;*\nb\0;x;*\n", 13), "line 2: contains NUL"},
      {"just-one-field\n", "line 1: needs a value and at least one level"},
      {"", "no lines"},
      {"\n\r\n", "no lines"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const auto got = Hierarchy::FromCsv(c.text);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(MessageHas(got.status(), "hierarchy hierarchy"));
    CHECK(MessageHas(got.status(), c.expect));
  }
  Hierarchy::CsvOptions pipe;
  pipe.separator = '|';
  CHECK_FALSE(Hierarchy::FromCsv("a|*\n", pipe).ok());
}

TEST_CASE("hierarchy: Encode makes the kanonymity.h column", "[hierarchy]") {
  const Hierarchy age = Hierarchy::Age().value();
  const std::vector<std::string> values = {"37", "4", "37", "39", "0", "120", "4"};
  const an::Column column = an::Encode(age, "age", values).value();
  CHECK(column.name == "age");
  CHECK(column.levels() == 5);
  // Level 0: dense codes by first appearance.
  CHECK(column.codes == std::vector<std::uint32_t>{0, 1, 0, 2, 3, 4, 1});
  CHECK(column.labels[0] == Path{"37", "4", "39", "0", "120"});
  CHECK(column.up[0] == std::vector<std::uint32_t>{0, 1, 2, 3, 4});
  // Level 1: 35-39, 0-4, 100+.
  CHECK(column.labels[1] == Path{"35-39", "0-4", "100+"});
  CHECK(column.up[1] == std::vector<std::uint32_t>{0, 1, 0, 1, 2});
  // Level 3: 20-39, 0-19, 100+.
  CHECK(column.labels[3] == Path{"20-39", "0-19", "100+"});
  CHECK(column.up[3] == std::vector<std::uint32_t>{0, 1, 0, 1, 2});
  // Top.
  CHECK(column.labels[4] == Path{"*"});
  CHECK(column.up[4] == std::vector<std::uint32_t>{0, 0, 0, 0, 0});
  // Every row's label at every level is its generalisation.
  for (std::size_t row = 0; row < values.size(); ++row) {
    const Path path = Gen(age, values[row]);
    for (int l = 0; l < column.levels(); ++l) {
      const auto code = column.up[static_cast<std::size_t>(l)][column.codes[row]];
      CHECK(column.labels[static_cast<std::size_t>(l)][code] == path[static_cast<std::size_t>(l)]);
    }
  }

  // An empty column.
  const an::Column empty = an::Encode(age, "age", {}).value();
  CHECK(empty.codes.empty());
  CHECK(empty.levels() == 5);
  CHECK(empty.labels[4].empty());

  // A value outside the hierarchy: the first bad row is named, the value is not.
  const std::vector<std::string> bad = {"37", "40", "x-secret", "200"};
  const auto refused = an::Encode(age, "age", bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(MessageHas(refused.status(), "column age, row 2:"));
  CHECK_FALSE(MessageHas(refused.status(), "x-secret"));

  const Hierarchy h = Hierarchy::FromCsv("a;x;*\nb;x;*\nc;y;*\n").value();
  const std::vector<std::string> cat = {"c", "a", "b", "a"};
  const an::Column c = an::Encode(h, "kind", cat).value();
  CHECK(c.codes == std::vector<std::uint32_t>{0, 1, 2, 1});
  CHECK(c.labels[1] == Path{"y", "x"});
  CHECK(c.up[1] == std::vector<std::uint32_t>{0, 1, 1});
  const std::vector<std::string> unknown = {"a", "d"};
  const auto no = an::Encode(h, "kind", unknown);
  REQUIRE_FALSE(no.ok());
  CHECK(MessageHas(no.status(), "column kind, row 1: not a value of the hierarchy"));
}

TEST_CASE("hierarchy: Encode of a large column", "[hierarchy]") {
  const Hierarchy dates = Hierarchy::Dates();
  std::vector<std::string> values;
  for (int i = 0; i < 100000; ++i) {
    const int month = 1 + i % 12, day = 1 + (i / 12) % 28;
    values.push_back(varsam::Cat({"2025-", month < 10 ? "0" : "", std::to_string(month), "-",
                                  day < 10 ? "0" : "", std::to_string(day)}));
  }
  const an::Column column = an::Encode(dates, "start", values).value();
  CHECK(column.codes.size() == 100000);
  CHECK(column.labels[0].size() == std::size_t{12} * 28);
  CHECK(column.labels[1].size() == 12);
  CHECK(column.labels[2] == Path{"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"});
  CHECK(column.labels[3] == Path{"2025"});
}
