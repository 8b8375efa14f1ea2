// Civil dates (see varsam/core.h).

#include <cstdio>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "varsam/core.h"

namespace varsam {
namespace {

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DigitsToInt(std::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

bool IsValidDate(int year, int month, int day) {
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const int days = kDaysInMonth[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  return day <= days;
}

absl::StatusOr<Date> ParseIsoDate(std::string_view text, std::string_view what) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(Cat({what, ": expected a date as YYYY-MM-DD"}));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return bad();
  }
  const int year = DigitsToInt(text.substr(0, 4));
  const int month = DigitsToInt(text.substr(5, 2));
  const int day = DigitsToInt(text.substr(8, 2));
  if (!IsValidDate(year, month, day)) {
    return absl::InvalidArgumentError(Cat({what, ": no such calendar date"}));
  }
  return Date(year, month, day);
}

std::string FormatIsoDate(Date date) {
  if (date.year() < 0 || date.year() > 9999) return absl::FormatCivilTime(date);
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", static_cast<int>(date.year()),
                date.month(), date.day());
  return buffer;
}

Date TodayInSweden() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    if (absl::LoadTimeZone("Europe/Stockholm", &tz)) return tz;
    return absl::LocalTimeZone();
  }();
  return absl::ToCivilDay(absl::Now(), zone);
}

}  // namespace varsam
