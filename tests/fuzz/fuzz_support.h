// What the fuzz targets share: the fixed reference date, an aborting REQUIRE for invariants,
// and a heap-allocation counter (through ASan's allocator hooks) for the "never allocates"
// promises of varsam/ident.h.

#ifndef VARSAM_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define VARSAM_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "varsam/core.h"
#include "varsam/ident.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VARSAM_FUZZ_COUNT_ALLOCATIONS 1
#include <sanitizer/allocator_interface.h>
#endif
#endif

namespace varsam::fuzz {

using varsam::Date;
namespace ident = varsam::ident;

inline const Date kToday(2026, 11, 28);
inline constexpr std::int32_t kTodayInt = 20261128;

#define REQUIRE(condition)                                                                     \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (false)

// Heap allocations so far, counted through the sanitizer allocator's hooks (ASan builds only;
// elsewhere it stays 0 and the "never allocates" check passes trivially).
inline std::size_t allocations = 0;
#ifdef VARSAM_FUZZ_COUNT_ALLOCATIONS
inline void OnMalloc(const volatile void*, std::size_t) { ++allocations; }
inline void OnFree(const volatile void*) {}
[[maybe_unused]] inline const int kHooks =
    __sanitizer_install_malloc_and_free_hooks(OnMalloc, OnFree);
#endif

using varsam::IsDigit;  // varsam/core.h

}  // namespace varsam::fuzz

#endif  // VARSAM_TESTS_FUZZ_FUZZ_SUPPORT_H_
