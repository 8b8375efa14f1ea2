// Private: lookup in the embedded official test-number list (see test_number_table.h).

#ifndef VARSAM_SRC_IDENT_TEST_NUMBERS_H_
#define VARSAM_SRC_IDENT_TEST_NUMBERS_H_

#include "varsam/core.h"

namespace varsam::ident::internal {

// Whether the personnummer born on `birth_date` with birth serial `serial` (0..999) is in the
// list. The check digit is not stored: callers have verified it.
bool InTestNumberList(Date birth_date, int serial) noexcept;

}  // namespace varsam::ident::internal

#endif  // VARSAM_SRC_IDENT_TEST_NUMBERS_H_
