// Lookup in the embedded list of Skatteverket's official test personnummer.

#include "test_numbers.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "test_number_table.h"
#include "varsam/ident.h"

namespace varsam::ident {
namespace internal {

constexpr Date kEpoch(kTestNumberEpochYear, 1, 1);

bool InTestNumberList(Date birth_date, int serial) noexcept {
  const auto days = birth_date - kEpoch;
  if (days < 0 || serial < 0 || serial > 999) return false;
  const auto key = static_cast<std::uint64_t>(days) * 1000u + static_cast<unsigned>(serial);
  const std::uint64_t bucket = key >> kKeyBucketShift;
  if (bucket >= kBucketCount) return false;
  const std::uint16_t* first = kLow + kBucketStart[bucket];
  const std::uint16_t* last = kLow + kBucketStart[bucket + 1];
  return std::binary_search(first, last, static_cast<std::uint16_t>(key & 0xFFFFu));
}

}  // namespace internal

bool IsOfficialTestNumber(std::string_view twelve_digits) noexcept {
  if (twelve_digits.size() != 12) return false;
  const CheckResult result = Check(twelve_digits, Date());  // twelve digits ignore `today`
  return result.ok() && result.number.official_test_number;
}

std::size_t OfficialTestNumberCount() noexcept { return internal::kTestNumberCount; }

void ForEachOfficialTestNumber(absl::FunctionRef<void(const IdentityNumber&)> number) {
  using namespace internal;
  for (std::size_t bucket = 0; bucket < kBucketCount; ++bucket) {
    for (std::uint32_t i = kBucketStart[bucket]; i < kBucketStart[bucket + 1]; ++i) {
      const std::uint64_t key = (static_cast<std::uint64_t>(bucket) << kKeyBucketShift) | kLow[i];
      const Date day = kEpoch + static_cast<std::int64_t>(key / 1000);
      // YYYYMMDDNNN, then the check digit by Luhn over YYMMDDNNN.
      std::string digits = absl::StrFormat("%04d%02d%02d%03d", static_cast<int>(day.year()),
                                           day.month(), day.day(), static_cast<int>(key % 1000));
      digits += LuhnCheckDigit(std::string_view(digits).substr(2, 9));
      const CheckResult checked = Check(digits, Date());  // twelve digits ignore `today`
      if (checked.ok()) number(checked.number);
    }
  }
}

}  // namespace varsam::ident
