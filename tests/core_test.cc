// Specification of src/core: the error model, UTF-8, JSON and dates (varsam/core.h).

#include "varsam/core.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>

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
  // Any non-negative 32-bit value is a varsam_status (capi/varsam.h): a status this version
  // does not know, and the sentinel, are named "unknown".
  CHECK(std::string(varsam_status_name(static_cast<varsam_status>(99))) == "unknown");
  CHECK(std::string(varsam_status_name(VARSAM_STATUS_MAX_)) == "unknown");
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

TEST_CASE("IsDigit is ASCII 0-9 alone, for char and unsigned char") {
  static_assert(varsam::IsDigit('0') && varsam::IsDigit('9') && !varsam::IsDigit('/'));
  // An int or a code point is not narrowed into it.
  static_assert(!std::is_invocable_v<decltype(varsam::IsDigit), int> &&
                !std::is_invocable_v<decltype(varsam::IsDigit), char32_t>);
  for (int b = 0; b < 256; ++b) {
    const bool ascii_digit = b >= '0' && b <= '9';
    CHECK(varsam::IsDigit(static_cast<unsigned char>(b)) == ascii_digit);
    CHECK(varsam::IsDigit(static_cast<char>(b)) == ascii_digit);
  }
  const std::string s = "20260101";
  CHECK(std::all_of(s.begin(), s.end(), varsam::IsDigit));
}

TEST_CASE("DecodeUtf8 agrees with the validator and never reads past the text") {
  char32_t cp = 0;
  CHECK(varsam::DecodeUtf8("a", 0, &cp) == 1);
  CHECK(cp == U'a');
  CHECK(varsam::DecodeUtf8("\u00E5", 0, &cp) == 2);
  CHECK(cp == U'\u00E5');
  CHECK(varsam::DecodeUtf8("\u2013", 0, &cp) == 3);
  CHECK(cp == U'\u2013');
  CHECK(varsam::DecodeUtf8("\U0001D7CE", 0, &cp) == 4);
  CHECK(cp == U'\U0001D7CE');
  for (const std::string& bad :
       {std::string("\xE2\x80"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
        std::string("\xF4\x90\x80\x80"), std::string("\x80"), std::string("\xFF")}) {
    CHECK(varsam::DecodeUtf8(bad, 0, &cp) == 0);
  }
}

TEST_CASE("The matching view reads each character as a person reads it") {
  using varsam::kReadsAsItself;
  using varsam::kReadsAsNothing;
  const auto as = [](std::string_view s) { return varsam::ReadForMatching(s, 0).as; };
  // Dashes (Pd) and the minus sign.
  for (const std::string dash : {"\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015",
                                 "\u2212", "\uFE63", "\uFF0D", "\u301C", "\u058A"}) {
    CHECK(as(dash) == '-');
  }
  // Space separators (Zs).
  for (const std::string space :
       {"\u00A0", "\u2002", "\u2007", "\u2009", "\u200A", "\u202F", "\u205F", "\u3000", "\u1680"}) {
    CHECK(as(space) == ' ');
  }
  // Invisible format characters and other default-ignorables.
  for (const std::string invisible : {"\u00AD", "\u200B", "\u200C", "\u200D", "\u200E", "\u2060",
                                      "\u2066", "\uFEFF", "\uFE0F", "\u034F", "\U000E0041"}) {
    CHECK(as(invisible) == kReadsAsNothing);
  }
  // Digits of any script; fullwidth, small and mathematical forms.
  CHECK(as("\uFF17") == '7');
  CHECK(as("\u0667") == '7');
  CHECK(as("\u06F7") == '7');
  CHECK(as("\u096D") == '7');
  CHECK(as("\U0001D7D5") == '7');
  CHECK(as("\uFF20") == '@');
  CHECK(as("\uFE6B") == '@');
  CHECK(as("\uFF0E") == '.');
  CHECK(as("\uFF41") == 'a');
  CHECK(as("\u212A") == 'K');
  // Themselves: ASCII, Swedish letters, superscripts and circled digits, bytes not UTF-8.
  CHECK(as("7") == '7');
  CHECK(as("-") == '-');
  for (const std::string same : {"\u00E5", "\u00C5", "\u00E4", "\u00F6", "\u00E9", "\u00B2",
                                 "\u00B9", "\u2460", "\u00A7", "\u00D7", "\xFF", "\xE2\x80"}) {
    CHECK(as(same) == kReadsAsItself);
  }
  CHECK(varsam::ReadForMatching("\xE2\x80", 0).length == 1);
  CHECK(varsam::ReadForMatching("\u2013", 0).length == 3);
}

TEST_CASE("The matching view is the text itself unless a character reads otherwise") {
  const std::string swedish = "Klienten, 37 år, bor i Växjö; mötet 2024-03-01 kl. 08.30 (§ 4).";
  CHECK_FALSE(varsam::NeedsMatchingView(swedish));
  CHECK_FALSE(varsam::NeedsMatchingView(""));
  const varsam::MatchingView same(swedish);
  CHECK(same.same());
  CHECK(same.text().data() == swedish.data());
  CHECK(same.Original(3, 7) == std::pair<std::size_t, std::size_t>{3, 7});
  // One character anywhere in a long text (the sixteen-byte skip and its tail) is seen.
  for (std::size_t at : {0, 15, 16, 17, 40, 63}) {
    std::string text(64, 'x');
    text.insert(at, "\u00A0");
    INFO(at);
    CHECK(varsam::NeedsMatchingView(text));
    CHECK(varsam::NextDigitOrChanged(text, 0) == at);
    std::string digit(64, 'x');
    digit[at] = '5';
    CHECK(varsam::NextDigitOrChanged(digit, 0) == at);
    CHECK(varsam::NextDigitOrChanged(std::string(64, 'x') + "\u00E5", 0) == 66);
  }
}

TEST_CASE("The matching view maps every match back to the exact original bytes") {
  // "8001" SHY "02" EN-DASH "2386" ZWSP, NBSP "x": the view is "800102-2386 x".
  const std::string text = "8001\u00AD02\u20132386\u200B\u00A0x";
  const varsam::MatchingView view(text);
  REQUIRE_FALSE(view.same());
  CHECK(view.text() == "800102-2386 x");
  // The whole number: from its first digit to its last, the soft hyphen and dash inside, the
  // zero-width space after it outside.
  CHECK(view.Original(0, 11) == std::pair<std::size_t, std::size_t>{0, 15});
  // The dash alone is its three bytes; the digit after the soft hyphen starts after it.
  CHECK(view.Original(6, 7) == std::pair<std::size_t, std::size_t>{8, 11});
  CHECK(view.Original(4, 5) == std::pair<std::size_t, std::size_t>{6, 7});
  // The no-break space (after the left-out zero-width space) and the letter after it.
  CHECK(view.Original(11, 12) == std::pair<std::size_t, std::size_t>{18, 20});
  CHECK(view.Original(12, 13) == std::pair<std::size_t, std::size_t>{20, 21});
  // Left-out characters at the very start.
  const std::string leading = "\u200E\u200E12";
  const varsam::MatchingView lead(leading);
  CHECK(lead.text() == "12");
  CHECK(lead.Original(0, 2) == std::pair<std::size_t, std::size_t>{6, 8});
}

TEST_CASE("Leaving a character out never joins bytes that are not UTF-8 into one") {
  // "\xE2\x81" ZWJ "\xA6": with the ZWJ left out, the bytes around it would read as U+2066.
  const std::string text = std::string("450110\xE2\x81") + "\u200D" + "\xA6" + "800102-2386";
  const varsam::MatchingView view(text);
  CHECK(varsam::IsValidUtf8(view.text()));
  CHECK(view.text() ==
        "450110\x1A\x1A\x1A"
        "800102-2386");
  CHECK(view.Original(9, 20) == std::pair<std::size_t, std::size_t>{12, 23});
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

TEST_CASE("core: a tick step is 1, 2, 2.5 or 5 times a power of ten, the smallest that fits",
          "[core]") {
  CHECK(varsam::TickStep(7, 6) == 2);        // 7 steps of 1 are too many; 3.5 of 2 fit
  CHECK(varsam::TickStep(1, 4) == 0.25);     // 10 of 0.1, 5 of 0.2 too many; 4 of 0.25
  CHECK(varsam::TickStep(100, 5) == 20);     // 10 of 10 too many; 5 of 20
  CHECK(varsam::TickStep(40, 8) == 5);       // 8 of 5
  CHECK(varsam::TickStep(0.03, 3) == 0.01);  // below one as above it
  CHECK(varsam::TickStep(36, 2) == 20);      // 3.6 of 10 too many; 1.8 of 20
}
