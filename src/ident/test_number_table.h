// Private: the layout of the embedded official test-number list, shared by the build-time
// generator (embed_test_numbers.cc) and the lookup (test_numbers.cc).
//
// Each test number YYYYMMDDNNNC becomes a key  day * 1000 + NNN, where `day` counts days from
// kTestNumberEpoch (the check digit C follows from the rest by Luhn, so it is not stored). Keys
// are sorted; key >> 16 picks a bucket, and the low 16 bits are stored as uint16 in kLow, with
// kBucketStart[b] .. kBucketStart[b + 1] the range of bucket b. About 2 bytes per number, and a
// lookup is a binary search over a few dozen uint16 in one or two cache lines.

#ifndef VARSAM_SRC_IDENT_TEST_NUMBER_TABLE_H_
#define VARSAM_SRC_IDENT_TEST_NUMBER_TABLE_H_

#include <cstddef>
#include <cstdint>

namespace varsam::ident::internal {

inline constexpr int kTestNumberEpochYear = 1800;  // before the list's first date (1890)
inline constexpr int kKeyBucketShift = 16;

// Defined in the generated file test_numbers_data.cc.
extern const std::uint32_t kBucketStart[];
extern const std::size_t kBucketCount;  // kBucketStart has kBucketCount + 1 entries
extern const std::uint16_t kLow[];
extern const std::size_t kTestNumberCount;

}  // namespace varsam::ident::internal

#endif  // VARSAM_SRC_IDENT_TEST_NUMBER_TABLE_H_
