/* The C API from C (capi/varsam.h), against the shared library. Every number is one of
 * Skatteverket's official test numbers or derived from one by a named rule. Prints the plain
 * "N passed, N failed" line that CTest's log keeps. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varsam.h"

static int passed = 0;
static int failed = 0;

#define EXPECT(cond)                                              \
  do {                                                            \
    if (cond) {                                                   \
      ++passed;                                                   \
    } else {                                                      \
      ++failed;                                                   \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
    }                                                             \
  } while (0)

/* Sets the check digit of the twelve digits in `number` by Luhn over digits 3..11, so that
 * numbers derived from an official test number by a rule are built here, not written down. */
static void set_check_digit(char number[13]) {
  int sum = 0;
  int i;
  for (i = 0; i < 9; ++i) {
    int d = (number[2 + i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  number[11] = (char)('0' + (10 - sum % 10) % 10);
}

static varsam_status check(const char* number, int32_t today, varsam_id_result* r) {
  memset(r, 0x5A, sizeof *r); /* garbage, to see that the library fills every field */
  r->struct_size = sizeof *r;
  return varsam_id_check(number, strlen(number), today, r);
}

static void test_version(void) {
  EXPECT(varsam_version_number() == VARSAM_VERSION_NUMBER);
  EXPECT(strcmp(varsam_version_string(), VARSAM_VERSION_STRING) == 0);
  EXPECT(VARSAM_VERSION_NUMBER ==
         VARSAM_VERSION_MAJOR * 1000000 + VARSAM_VERSION_MINOR * 1000 + VARSAM_VERSION_PATCH);
}

static void test_valid_numbers(void) {
  varsam_id_result r;
  EXPECT(check("198001022386", 20261128, &r) == VARSAM_OK);
  EXPECT(r.valid == 1 && r.error == VARSAM_ID_ERROR_NONE);
  EXPECT(r.kind == VARSAM_ID_KIND_PERSONNUMMER);
  EXPECT(r.sex == VARSAM_SEX_FEMALE);
  EXPECT(r.official_test_number == 1);
  EXPECT(r.birth_year == 1980 && r.birth_month == 1 && r.birth_day == 2);
  EXPECT(strcmp(r.normalized, "198001022386") == 0);
  EXPECT(r.struct_size == sizeof r);

  EXPECT(check("900101+9802", 20261128, &r) == VARSAM_OK);
  EXPECT(r.valid && strcmp(r.normalized, "189001019802") == 0 && r.birth_year == 1890);

  /* samordningsnummer of 198001022386: day 02 + 60 = 62, check digit recomputed */
  {
    char coordination[13] = "198001022386";
    coordination[6] = '6';
    set_check_digit(coordination);
    EXPECT(check(coordination, 20261128, &r) == VARSAM_OK);
    EXPECT(r.valid && r.kind == VARSAM_ID_KIND_SAMORDNINGSNUMMER && r.birth_day == 2);
    EXPECT(r.official_test_number == 0 && strcmp(r.normalized, coordination) == 0);
  }

  EXPECT(check("200002292399", 0, &r) == VARSAM_OK); /* 0 = today in Sweden */
  EXPECT(r.valid && r.sex == VARSAM_SEX_MALE);
}

static void test_invalid_numbers_are_answers_not_failures(void) {
  varsam_id_result r;
  EXPECT(check("198001022387", 20261128, &r) == VARSAM_OK);
  EXPECT(r.valid == 0 && r.error == VARSAM_ID_ERROR_CHECK_DIGIT);
  EXPECT(r.kind == VARSAM_ID_KIND_NONE && r.sex == VARSAM_SEX_UNKNOWN);
  EXPECT(r.normalized[0] == '\0' && r.official_test_number == 0);
  EXPECT(strcmp(varsam_id_error_message(r.error), "check digit does not match") == 0);

  {
    char leap_day_1900[13] = "190002290000"; /* 1900 was not a leap year */
    set_check_digit(leap_day_1900);
    EXPECT(check(leap_day_1900, 20261128, &r) == VARSAM_OK);
    EXPECT(r.error == VARSAM_ID_ERROR_NO_SUCH_DATE);
  }
  EXPECT(check("261204-9029", 20261128, &r) == VARSAM_OK);
  EXPECT(r.error == VARSAM_ID_ERROR_CENTURY);
  EXPECT(check("261204-9029", 20251231, &r) == VARSAM_OK);
  EXPECT(r.valid && r.birth_year == 1926);
  EXPECT(check("abc", 20261128, &r) == VARSAM_OK);
  EXPECT(r.error == VARSAM_ID_ERROR_FORMAT);
  EXPECT(strcmp(varsam_id_error_message(99), "unknown identity-number error") == 0);

  /* Not NUL-terminated: only `length` bytes are read. */
  {
    const char buffer[12] = {'1', '9', '8', '0', '0', '1', '0', '2', '2', '3', '8', '6'};
    r.struct_size = sizeof r;
    EXPECT(varsam_id_check(buffer, sizeof buffer, 20261128, &r) == VARSAM_OK && r.valid);
  }
}

static void test_bad_arguments_fail_with_a_message(void) {
  varsam_id_result r;
  r.struct_size = sizeof r;
  EXPECT(varsam_id_check(NULL, 0, 20261128, &r) == VARSAM_INVALID_ARGUMENT);
  EXPECT(strcmp(varsam_last_error(), "number: must not be NULL") == 0);
  EXPECT(varsam_id_check("198001022386", 12, 20261128, NULL) == VARSAM_INVALID_ARGUMENT);
  EXPECT(strstr(varsam_last_error(), "result") != NULL);
  EXPECT(varsam_id_check("198001022386", 12, 20260230, &r) == VARSAM_INVALID_ARGUMENT);
  EXPECT(strstr(varsam_last_error(), "today_yyyymmdd") != NULL);
  EXPECT(varsam_id_check("198001022386", 12, -1, &r) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_id_check("000101+9801", 11, 10101, &r) == VARSAM_INVALID_ARGUMENT); /* year 1 */
  EXPECT(varsam_id_check("000101+9801", 11, 123450101, &r) == VARSAM_INVALID_ARGUMENT);
  r.struct_size = 8;
  EXPECT(varsam_id_check("198001022386", 12, 20261128, &r) == VARSAM_INVALID_ARGUMENT);
  EXPECT(strstr(varsam_last_error(), "struct_size") != NULL);
  EXPECT(strstr(varsam_last_error(), "1980") == NULL); /* no personal data in messages */
  EXPECT(strcmp(varsam_status_name(VARSAM_INVALID_ARGUMENT), "invalid_argument") == 0);
}

/* A host compiled against a later, larger varsam_id_result passes a bigger struct_size; one
 * compiled against this one passes exactly this size, and nothing beyond it is written. */
static void test_struct_size_bounds_the_write(void) {
  struct {
    varsam_id_result result;
    unsigned char guard[16];
  } padded;
  memset(&padded, 0xEE, sizeof padded);
  padded.result.struct_size = sizeof padded.result;
  EXPECT(varsam_id_check("198001022386", 12, 20261128, &padded.result) == VARSAM_OK);
  {
    int untouched = 1;
    size_t i;
    for (i = 0; i < sizeof padded.guard; ++i) untouched = untouched && padded.guard[i] == 0xEE;
    EXPECT(untouched);
  }
  padded.result.struct_size = sizeof padded; /* "newer" caller: still fine */
  EXPECT(varsam_id_check("198001022386", 12, 20261128, &padded.result) == VARSAM_OK);
  EXPECT(padded.result.valid == 1);
}

static void test_find(void) {
  const char* text = "Klient 800102-2386, mor 189001019802, fel 198001022387.";
  char* json = NULL;
  EXPECT(varsam_id_find(text, strlen(text), 20261128, &json) == VARSAM_OK);
  EXPECT(json != NULL);
  if (json != NULL) {
    EXPECT(strstr(json, "\"offset\":7") != NULL);
    EXPECT(strstr(json, "\"normalized\":\"198001022386\"") != NULL);
    EXPECT(strstr(json, "\"normalized\":\"189001019802\"") != NULL);
    EXPECT(strstr(json, "198001022387") == NULL);
  }
  varsam_free(json);
  varsam_free(NULL);

  EXPECT(varsam_id_find("", 0, 20261128, &json) == VARSAM_OK);
  EXPECT(json != NULL && strcmp(json, "[]") == 0);
  varsam_free(json);
  EXPECT(varsam_id_find(NULL, 0, 20261128, &json) == VARSAM_OK);
  varsam_free(json);

  json = (char*)1;
  EXPECT(varsam_id_find(NULL, 5, 20261128, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(json == NULL);
  EXPECT(varsam_id_find(text, strlen(text), 20261128, NULL) == VARSAM_INVALID_ARGUMENT);
}

int main(void) {
  test_version();
  test_valid_numbers();
  test_invalid_numbers_are_answers_not_failures();
  test_bad_arguments_fail_with_a_message();
  test_struct_size_bounds_the_write();
  test_find();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
