// Lookup in the embedded list of Skatteverket's official test personnummer.

#include "test_numbers.h"

#include <algorithm>

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

}  // namespace varsam::ident
