// Specification of src/core: the error model, UTF-8, JSON and dates (varsam/core.h).

#include "varsam/core.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "varsam.h"

using varsam::Date;

TEST_CASE("varsam_status equals absl::StatusCode one to one, with a stable name for each") {
  // The C enum's values are the canonical codes; capi/varsam.cc static_asserts each pair.
  // Here: the names the CLI and JSON print are distinct, lower-case, and round-trip through C.
  std::set<std::string> names;
  for (int code = 0; code <= 16; ++code) {
    const auto name = std::string(varsam::StatusCodeName(static_cast<absl::StatusCode>(code)));
    CHECK(name == varsam_status_name(static_cast<varsam_status>(code)));
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
    names.insert(name);
  }
  CHECK(names.size() == 17);
  CHECK(std::string(varsam_status_name(VARSAM_PERMISSION_DENIED)) == "permission_denied");
  CHECK(std::string(varsam_status_name(static_cast<varsam_status>(99))) == "unknown");
}

TEST_CASE("VARSAM_RETURN_IF_ERROR and VARSAM_ASSIGN_OR_RETURN keep the first error") {
  const auto half = [](int x) -> absl::StatusOr<int> {
    if (x % 2 != 0) return absl::InvalidArgumentError("odd");
    return x / 2;
  };
  const auto quarter = [&](int x) -> absl::StatusOr<int> {
    VARSAM_ASSIGN_OR_RETURN(const int h, half(x));
    VARSAM_ASSIGN_OR_RETURN(const int q, half(h));
    return q;
  };
  CHECK(*quarter(8) == 2);
  CHECK(quarter(6).status().code() == absl::StatusCode::kInvalidArgument);
  const auto both = [](absl::Status a, absl::Status b) -> absl::Status {
    VARSAM_RETURN_IF_ERROR(a);
    VARSAM_RETURN_IF_ERROR(b);
    return absl::OkStatus();
  };
  CHECK(both(absl::OkStatus(), absl::OkStatus()).ok());
  CHECK(both(absl::NotFoundError("a"), absl::InternalError("b")).code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("Version agrees between header, C API and C++") {
  CHECK(varsam::VersionNumber() == VARSAM_VERSION_NUMBER);
  CHECK(varsam_version_number() == VARSAM_VERSION_NUMBER);
  CHECK(varsam::VersionString() == VARSAM_VERSION_STRING);
  CHECK(std::string(varsam_version_string()) == VARSAM_VERSION_STRING);
}

TEST_CASE("Cat joins pieces") {
  CHECK(varsam::Cat({}) == "");
  CHECK(varsam::Cat({"a", std::string_view("bc"), std::string("d")}) == "abcd");
}

TEST_CASE("UTF-8 validation follows RFC 3629") {
  using varsam::IsValidUtf8;
  SECTION("well-formed text, Swedish letters and the edges of each length") {
    CHECK(IsValidUtf8(""));
    CHECK(IsValidUtf8("Socialtjänsten i Örebro, åtgärd"));
    CHECK(IsValidUtf8("\x7F"));
    CHECK(IsValidUtf8("\xC2\x80"));          // U+0080
    CHECK(IsValidUtf8("\xDF\xBF"));          // U+07FF
    CHECK(IsValidUtf8("\xE0\xA0\x80"));      // U+0800
    CHECK(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
    CHECK(IsValidUtf8("\xEE\x80\x80"));      // U+E000, just above them
    CHECK(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
    CHECK(IsValidUtf8("\xF0\x90\x80\x80"));  // U+10000
    CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
    CHECK(IsValidUtf8(std::string("a\0b", 3)));
  }
  SECTION("overlong forms are refused") {
    CHECK_FALSE(IsValidUtf8("\xC0\x80"));
    CHECK_FALSE(IsValidUtf8("\xC1\xBF"));
    CHECK_FALSE(IsValidUtf8("\xE0\x9F\xBF"));
    CHECK_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));
  }
  SECTION("surrogates and code points above U+10FFFF are refused") {
    CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));
    CHECK_FALSE(IsValidUtf8("\xED\xBF\xBF"));
    CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));
    CHECK_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(IsValidUtf8("\xFF"));
  }
  SECTION("truncated and stray bytes are refused") {
    CHECK_FALSE(IsValidUtf8("\x80"));
    CHECK_FALSE(IsValidUtf8("abc\xC3"));
    CHECK_FALSE(IsValidUtf8("\xE2\x82"));
    CHECK_FALSE(IsValidUtf8("\xF0\x9F\x98"));
    CHECK_FALSE(IsValidUtf8("\xC3\x28"));
  }
  SECTION("CheckUtf8 names the field, not the content") {
    const absl::Status s = varsam::CheckUtf8("\xFF secret", "record.note");
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.message()) == "record.note: not valid UTF-8");
  }
}

TEST_CASE("ParseJson never throws and reports where JSON is bad") {
  const auto ok = varsam::ParseJson(R"({"a": [1, "å"]})", "options");
  REQUIRE(ok.ok());
  CHECK((*ok)["a"][1] == "å");

  const auto bad = varsam::ParseJson(R"({"a": 19800102})"
                                     "x",
                                     "options");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()).rfind("options: not valid JSON at byte", 0) == 0);
  CHECK(std::string(bad.status().message()).find("19800102") == std::string::npos);

  CHECK(varsam::ParseJson("", "x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(varsam::ParseJson("\"\xFF\"", "x").status().message() == "x: not valid UTF-8");
}

TEST_CASE("DumpJson replaces invalid UTF-8 instead of throwing") {
  nlohmann::json j = std::string("a\xFFz");
  CHECK(varsam::DumpJson(j) == "\"a\xEF\xBF\xBDz\"");
}

TEST_CASE("Gregorian leap years: 1900-02-29 is not a date, 2000-02-29 is") {
  using varsam::IsValidDate;
  CHECK_FALSE(IsValidDate(1900, 2, 29));
  CHECK(IsValidDate(2000, 2, 29));
  CHECK(IsValidDate(2024, 2, 29));
  CHECK_FALSE(IsValidDate(2023, 2, 29));
  CHECK_FALSE(IsValidDate(2100, 2, 29));
  CHECK(IsValidDate(2023, 12, 31));
  CHECK_FALSE(IsValidDate(2023, 4, 31));
  CHECK_FALSE(IsValidDate(2023, 13, 1));
  CHECK_FALSE(IsValidDate(2023, 0, 1));
  CHECK_FALSE(IsValidDate(2023, 1, 0));
}

TEST_CASE("ISO dates parse exactly and format back") {
  const auto d = varsam::ParseIsoDate("2026-11-28", "--today");
  REQUIRE(d.ok());
  CHECK(*d == Date(2026, 11, 28));
  CHECK(varsam::FormatIsoDate(*d) == "2026-11-28");
  CHECK(varsam::FormatIsoDate(Date(900, 1, 2)) == "0900-01-02");
  for (const char* bad :
       {"2026-02-30", "2026-11-28 ", "26-11-28", "2026/11/28", "2026-1-28", "", "2026-11-2x"}) {
    INFO(bad);
    CHECK(varsam::ParseIsoDate(bad, "--today").status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Today in Sweden is a real date near the system clock") {
  const Date today = varsam::TodayInSweden();
  CHECK(today.year() >= 2024);
  CHECK(varsam::IsValidDate(static_cast<int>(today.year()), today.month(), today.day()));
}
