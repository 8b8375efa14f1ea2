/* The C API from C (capi/varsam.h), against the shared library. Every number is one of
 * Skatteverket's official test numbers or derived from one by a named rule; every answer to an
 * instrument is made up. Prints the plain "N passed, N failed" line that CTest's log keeps. */

#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varsam.h"

static int passed = 0;
static int failed = 0;

#define EXPECT(cond)                                                     \
  do {                                                                   \
    if (cond) {                                                          \
      ++passed;                                                          \
    } else {                                                             \
      ++failed;                                                          \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
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

  /* As a word processor writes it: an en dash (3 bytes) and a soft hyphen (2 bytes) inside;
   * offset and length are the original bytes. */
  {
    const char* pasted =
        "pnr 8001\xC2\xAD"
        "02\xE2\x80\x93"
        "2386.";
    EXPECT(varsam_id_find(pasted, strlen(pasted), 20261128, &json) == VARSAM_OK);
    EXPECT(json != NULL && strstr(json, "\"offset\":4") != NULL &&
           strstr(json, "\"length\":15") != NULL &&
           strstr(json, "\"normalized\":\"198001022386\"") != NULL);
    varsam_free(json);
  }
}

/* ---- Instruments ---------------------------------------------------------------------------- */

/* A host's own instrument (docs/instrument-format.md): three items 0-4, item 3 only 0, 2 or 4;
 * two bands; a flag on item 1 whose cut-off is a setting. */
static const char kWellbeing[] =
    "{\"format\": \"varsam-instrument/1\", \"id\": \"wellbeing-3\","
    " \"name\": {\"en\": \"Wellbeing check (3 items)\","
    "            \"sv\": \"V\xC3\xA4lm\xC3\xA5"
    "ende (3 fr\xC3\xA5gor)\"},"
    " \"items\": {\"count\": 3, \"min\": 0, \"max\": 4,"
    "            \"groups\": [{\"items\": [3], \"values\": [0, 2, 4]}]},"
    " \"total\": {\"range\": [0, 12]},"
    " \"bands\": [{\"id\": \"low\", \"min\": 0, \"max\": 5,"
    "              \"label\": {\"en\": \"Low\", \"sv\": \"L\xC3\xA5g\"}},"
    "             {\"id\": \"high\", \"min\": 6,"
    "              \"label\": {\"en\": \"High\", \"sv\": \"H\xC3\xB6g\"}}],"
    " \"flags\": [{\"code\": \"item1_high\", \"severity\": \"warning\","
    "             \"message\": {\"en\": \"Item 1 is high\","
    "                         \"sv\": \"Fr\xC3\xA5ga 1 \xC3\xA4r h\xC3\xB6g\"},"
    "             \"any\": [{\"on\": \"item\", \"items\": [1],"
    "                      \"at_least\": {\"setting\": \"item1_cutoff\"}}]}],"
    " \"settings\": {\"item1_cutoff\": {\"default\": 3, \"min\": 1, \"max\": 4,"
    "                                 \"note\": \"made up for the tests\"}},"
    " \"sources\": [{\"cite\": \"A made-up instrument of varsam's C API tests\"}],"
    " \"licence\": \"Test data; no licence needed.\"}";

static void load_wellbeing(void) {
  static int loaded = 0;
  if (loaded) return;
  if (varsam_instrument_load(kWellbeing, strlen(kWellbeing)) == VARSAM_OK) {
    ++passed;
  } else {
    ++failed;
    fprintf(stderr, "%s:%d: FAILED: loading wellbeing-3: %s\n", __FILE__, __LINE__,
            varsam_last_error());
  }
  loaded = 1;
}

static varsam_status score3(double a, double b, double c, const varsam_respondent* who,
                            varsam_score_result* r) {
  const double responses[3] = {a, b, c};
  memset(r, 0x5A, sizeof *r);
  r->struct_size = sizeof *r;
  return varsam_score("wellbeing-3", responses, 3, who, r);
}

/* A failure: the status, a message that is not empty, and (when given) a text it contains. */
static int fails_with(varsam_status got, varsam_status want, const char* contains) {
  const char* message = varsam_last_error();
  int ok = got == want && message[0] != '\0';
  if (ok && contains != NULL && strstr(message, contains) == NULL) ok = 0;
  if (!ok) fprintf(stderr, "  status %d (want %d), message \"%s\"\n", got, want, message);
  return ok;
}

/* Whether the bytes of *r are still the 0x5A garbage score3() wrote (nothing was filled). */
static int untouched(const varsam_score_result* r) {
  const unsigned char* bytes = (const unsigned char*)r;
  size_t i;
  for (i = sizeof r->struct_size; i < sizeof *r; ++i) {
    if (bytes[i] != 0x5A) return 0;
  }
  return 1;
}

static void test_host_instrument_loads_and_scores(void) {
  varsam_score_result r;
  load_wellbeing();
  EXPECT(varsam_instrument_load(kWellbeing, strlen(kWellbeing)) == VARSAM_ALREADY_EXISTS);
  EXPECT(strstr(varsam_last_error(), "wellbeing-3") != NULL);

  EXPECT(score3(1, 2, 4, NULL, &r) == VARSAM_OK);
  EXPECT(r.scored == 1 && r.total == 7.0);
  EXPECT(r.band_index == 1 && r.band != NULL && strcmp(r.band, "high") == 0);
  EXPECT(r.answered == 3 && r.missing == 0 && r.prorated == 0);
  EXPECT(r.flag_bits == 0 && r.flag_count == 0 && r.max_severity == VARSAM_SEVERITY_NONE);
  EXPECT(r.struct_size == sizeof r);

  EXPECT(score3(3, 0, 0, NULL, &r) == VARSAM_OK);
  EXPECT(r.total == 3.0 && r.band_index == 0 && strcmp(r.band, "low") == 0);
  EXPECT(r.flag_bits == 1u && r.flag_count == 1 && r.max_severity == VARSAM_SEVERITY_WARNING);
  EXPECT(r.flags[0] != NULL && strcmp(r.flags[0], "item1_high") == 0);
  EXPECT(r.flag_severities[0] == VARSAM_SEVERITY_WARNING);
}

/* NaN is an unanswered item; with no missing item allowed there is no total, no band. */
static void test_nan_is_a_missing_answer(void) {
  varsam_score_result r;
  load_wellbeing();
  EXPECT(score3(1, NAN, 2, NULL, &r) == VARSAM_OK);
  EXPECT(r.scored == 0 && isnan(r.total));
  EXPECT(r.band_index == -1 && r.band == NULL);
  EXPECT(r.answered == 2 && r.missing == 1);
#ifdef VARSAM_MISSING
  EXPECT(score3(VARSAM_MISSING, VARSAM_MISSING, VARSAM_MISSING, NULL, &r) == VARSAM_OK);
  EXPECT(r.scored == 0 && r.answered == 0 && r.missing == 3);
#endif
}

static void test_bad_answers_name_the_item(void) {
  varsam_score_result r;
  load_wellbeing();
  EXPECT(fails_with(score3(1, INFINITY, 2, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 2"));
  EXPECT(untouched(&r));
  EXPECT(fails_with(score3(-INFINITY, 1, 2, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 1"));
  EXPECT(fails_with(score3(1000001, 1, 2, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 1"));
  EXPECT(strstr(varsam_last_error(), "1000001") == NULL); /* never the answer */
  EXPECT(fails_with(score3(1, -1, 2, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 2"));
  EXPECT(fails_with(score3(1, 3.25, 2, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 2"));
  EXPECT(strstr(varsam_last_error(), "3.25") == NULL);
  EXPECT(untouched(&r));
  /* item 3 takes only 0, 2 or 4 */
  EXPECT(score3(1, 1, 0, NULL, &r) == VARSAM_OK);
  EXPECT(score3(1, 1, 4, NULL, &r) == VARSAM_OK);
  EXPECT(fails_with(score3(1, 1, 1, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 3"));
  EXPECT(fails_with(score3(1, 1, 3, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 3"));
  EXPECT(untouched(&r));
}

static void test_bad_arguments_to_score(void) {
  const double responses[3] = {1, 2, 2};
  varsam_score_result r;
  varsam_respondent who;
  load_wellbeing();
  r.struct_size = sizeof r;
  EXPECT(fails_with(varsam_score(NULL, responses, 3, NULL, &r), VARSAM_INVALID_ARGUMENT,
                    "instrument"));
  EXPECT(fails_with(varsam_score("wellbeing-3", NULL, 3, NULL, &r), VARSAM_INVALID_ARGUMENT,
                    "responses"));
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 3, NULL, NULL), VARSAM_INVALID_ARGUMENT,
                    "result"));
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 2, NULL, &r), VARSAM_INVALID_ARGUMENT,
                    "3 items"));
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 4, NULL, &r), VARSAM_INVALID_ARGUMENT,
                    "got 4 answers"));
  EXPECT(fails_with(varsam_score("no-such-form", responses, 3, NULL, &r), VARSAM_NOT_FOUND,
                    "no-such-form"));
  EXPECT(fails_with(varsam_score("", responses, 3, NULL, &r), VARSAM_NOT_FOUND, "instrument"));
  /* An id that is not id-shaped is not repeated (it could be anything a host passed). */
  EXPECT(fails_with(varsam_score("198001022386", responses, 3, NULL, &r), VARSAM_NOT_FOUND, NULL));
  EXPECT(strstr(varsam_last_error(), "1980") == NULL);

  r.struct_size = sizeof r - 1;
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 3, NULL, &r), VARSAM_INVALID_ARGUMENT,
                    "struct_size"));
  r.struct_size = 0;
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 3, NULL, &r), VARSAM_INVALID_ARGUMENT,
                    "struct_size"));

  r.struct_size = sizeof r;
  who.struct_size = sizeof who;
  who.sex = VARSAM_SEX_UNKNOWN;
  who.age = -1;
  who.previous_total = NAN;
  EXPECT(varsam_score("wellbeing-3", responses, 3, &who, &r) == VARSAM_OK && r.total == 5.0);
  who.struct_size = 4;
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 3, &who, &r), VARSAM_INVALID_ARGUMENT,
                    "respondent"));
  who.struct_size = sizeof who;
  who.sex = 3;
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 3, &who, &r), VARSAM_INVALID_ARGUMENT,
                    "sex"));
  who.sex = VARSAM_SEX_MALE;
  who.previous_total = INFINITY;
  EXPECT(fails_with(varsam_score("wellbeing-3", responses, 3, &who, &r), VARSAM_INVALID_ARGUMENT,
                    "previous_total"));
  who.previous_total = 4;
  who.age = 30;
  EXPECT(varsam_score("wellbeing-3", responses, 3, &who, &r) == VARSAM_OK && r.total == 5.0);
}

/* Only struct_size bytes of the result are written. */
static void test_score_struct_size_bounds_the_write(void) {
  const double responses[3] = {4, 4, 4};
  struct {
    varsam_score_result result;
    unsigned char guard[16];
  } padded;
  size_t i;
  int intact = 1;
  load_wellbeing();
  memset(&padded, 0xEE, sizeof padded);
  padded.result.struct_size = sizeof padded.result;
  EXPECT(varsam_score("wellbeing-3", responses, 3, NULL, &padded.result) == VARSAM_OK);
  for (i = 0; i < sizeof padded.guard; ++i) intact = intact && padded.guard[i] == 0xEE;
  EXPECT(intact);
  EXPECT(padded.result.total == 12.0);
  padded.result.struct_size = sizeof padded; /* a newer caller */
  EXPECT(varsam_score("wellbeing-3", responses, 3, NULL, &padded.result) == VARSAM_OK);
}

static void test_batch_with_a_bad_row(void) {
  const double nan = NAN;
  /* 7, high; item 3 takes 0, 2, 4: invalid; too many missing; 4, low, flag */
  const double responses[4 * 3] = {1, 2, 4, 1, 1, 3, 1, nan, 2, 4, 0, 0};
  double total[4];
  int32_t band[4], status[4];
  uint32_t flags[4];
  size_t invalid = 99;
  varsam_score_columns c;
  load_wellbeing();
  memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  c.total = total;
  c.band = band;
  c.flags = flags;
  c.status = status;
  EXPECT(varsam_score_batch("wellbeing-3", responses, 4, 3, &c, &invalid) == VARSAM_OK);
  EXPECT(invalid == 1);
  EXPECT(status[0] == 0 && status[1] == 2 && status[2] == 1 && status[3] == 0);
  EXPECT(total[0] == 7.0 && isnan(total[1]) && isnan(total[2]) && total[3] == 4.0);
  EXPECT(band[0] == 1 && band[1] == -1 && band[2] == -1 && band[3] == 0);
  EXPECT(flags[0] == 0 && flags[1] == 0 && flags[3] == 1u);

  /* Only some columns; invalid_forms may be NULL. */
  c.total = NULL;
  c.flags = NULL;
  c.status = NULL;
  EXPECT(varsam_score_batch("wellbeing-3", responses, 4, 3, &c, NULL) == VARSAM_OK);
  /* Respondent columns */
  {
    const int32_t sex[4] = {VARSAM_SEX_FEMALE, VARSAM_SEX_MALE, VARSAM_SEX_UNKNOWN, 1};
    const int32_t age[4] = {30, -1, 40, 50};
    const double previous[4] = {nan, 3, nan, nan};
    c.sex = sex;
    c.age = age;
    c.previous_total = previous;
    c.status = status;
    EXPECT(varsam_score_batch("wellbeing-3", responses, 4, 3, &c, &invalid) == VARSAM_OK);
    EXPECT(invalid == 1 && status[0] == 0 && status[1] == 2);
    c.sex = NULL;
    c.age = NULL;
    c.previous_total = NULL;
  }

  EXPECT(fails_with(varsam_score_batch("wellbeing-3", responses, 3, 4, &c, &invalid),
                    VARSAM_INVALID_ARGUMENT, "items_per_form"));
  EXPECT(fails_with(varsam_score_batch("no-such-form", responses, 4, 3, &c, &invalid),
                    VARSAM_NOT_FOUND, NULL));
  EXPECT(fails_with(varsam_score_batch(NULL, responses, 4, 3, &c, &invalid),
                    VARSAM_INVALID_ARGUMENT, "instrument"));
  EXPECT(fails_with(varsam_score_batch("wellbeing-3", NULL, 4, 3, &c, &invalid),
                    VARSAM_INVALID_ARGUMENT, "responses"));
  EXPECT(fails_with(varsam_score_batch("wellbeing-3", responses, 4, 3, NULL, &invalid),
                    VARSAM_INVALID_ARGUMENT, "columns"));
  c.struct_size = 8;
  EXPECT(fails_with(varsam_score_batch("wellbeing-3", responses, 4, 3, &c, &invalid),
                    VARSAM_INVALID_ARGUMENT, "struct_size"));
  EXPECT(varsam_score_batch("wellbeing-3", NULL, 0, 3, NULL, &invalid) == VARSAM_OK);
  EXPECT(invalid == 0);
}

static void test_score_json(void) {
  char* json = (char*)1;
  const char* request;
  load_wellbeing();
  request =
      "{\"instrument\": \"wellbeing-3\", \"responses\": [3, 2, null], \"sex\": \"female\","
      " \"age\": 30, \"previous_total\": null}";
  EXPECT(varsam_score_json(request, strlen(request), &json) == VARSAM_OK);
  EXPECT(json != NULL);
  if (json != NULL) {
    EXPECT(strstr(json, "\"instrument\":\"wellbeing-3\"") != NULL);
    EXPECT(strstr(json, "\"total\":null") != NULL);
    EXPECT(strstr(json, "\"missing\":1") != NULL);
    EXPECT(strstr(json, "\"item1_high\"") != NULL); /* item flags need no total */
  }
  varsam_free(json);

  request = "{\"instrument\": \"wellbeing-3\", \"responses\": [4, 2, 2], \"language\": \"sv\"}";
  EXPECT(varsam_score_json(request, strlen(request), &json) == VARSAM_OK);
  if (json != NULL) {
    EXPECT(strstr(json, "\"total\":8") != NULL);
    EXPECT(strstr(json, "\"band\":\"high\"") != NULL);
    EXPECT(strstr(json, "\"severity\":\"warning\"") != NULL);
    EXPECT(strstr(json, "Fr\xC3\xA5ga 1") != NULL);
  }
  varsam_free(json);

  {
    /* Bad requests: the status, and a text the message contains (NULL: any message). */
    static const struct {
      const char* request;
      varsam_status status;
      const char* text;
    } kBad[] = {
        {"{\"instrument\": \"wellbeing-3\", \"responses\": [1, 2, 2], \"bogus\": 1}",
         VARSAM_INVALID_ARGUMENT, "'bogus'"},
        {"{\"instrument\": \"wellbeing-3\", \"responses\": [1, \"2\", 2]}", VARSAM_INVALID_ARGUMENT,
         "item 2"},
        {"{\"instrument\": \"wellbeing-3\", \"responses\": [1, 1, 3]}", VARSAM_INVALID_ARGUMENT,
         "item 3"},
        {"{\"instrument\": \"wellbeing-3\", \"responses\": [1, 1]}", VARSAM_INVALID_ARGUMENT,
         "has 3 items; got 2 answers"},
        {"{\"instrument\": \"wellbeing-3\", \"responses\": [1, 1, 2], \"sex\": 1}",
         VARSAM_INVALID_ARGUMENT, "sex"},
        {"{\"instrument\": \"wellbeing-3\", \"responses\": [1, 1, 2], \"age\": -3}",
         VARSAM_INVALID_ARGUMENT, "age"},
        {"{\"instrument\": \"wellbeing-3\", \"responses\": [1, 1, 2], \"language\": \"de\"}",
         VARSAM_INVALID_ARGUMENT, "language"},
        {"{\"responses\": [1, 1, 2]}", VARSAM_INVALID_ARGUMENT, "instrument"},
        {"{\"instrument\": \"no-such-form\", \"responses\": []}", VARSAM_NOT_FOUND, NULL},
        {"[1, 2, 3]", VARSAM_INVALID_ARGUMENT, "object"},
        {"{\"instrument\": ", VARSAM_INVALID_ARGUMENT, NULL},
    };
    size_t i;
    for (i = 0; i < sizeof kBad / sizeof kBad[0]; ++i) {
      json = (char*)1;
      EXPECT(fails_with(varsam_score_json(kBad[i].request, strlen(kBad[i].request), &json),
                        kBad[i].status, kBad[i].text));
      EXPECT(json == NULL);
    }
  }
  EXPECT(fails_with(varsam_score_json(NULL, 0, &json), VARSAM_INVALID_ARGUMENT, "request"));
  EXPECT(fails_with(varsam_score_json("{}", 2, NULL), VARSAM_INVALID_ARGUMENT, "json_out"));
}

static void test_instrument_list(void) {
  char* json = NULL;
  static const char* const kBuiltins[] = {"soc13", "soc29",  "ors",     "cors",  "srs",
                                          "csrs",  "audit",  "audit-c", "dudit", "phq9",
                                          "gad7",  "core10", "k10"};
  size_t i;
  load_wellbeing();
  EXPECT(varsam_instrument_list(&json) == VARSAM_OK);
  EXPECT(json != NULL && json[0] == '[');
  if (json != NULL) {
    char quoted[64];
    EXPECT(strstr(json, "\"wellbeing-3\"") != NULL);
    for (i = 0; i < sizeof kBuiltins / sizeof kBuiltins[0]; ++i) {
      snprintf(quoted, sizeof quoted, "\"%s\"", kBuiltins[i]);
      if (strstr(json, quoted) == NULL) fprintf(stderr, "  not listed: %s\n", kBuiltins[i]);
      EXPECT(strstr(json, quoted) != NULL);
    }
  }
  varsam_free(json);
  EXPECT(varsam_instrument_list(NULL) == VARSAM_INVALID_ARGUMENT);
}

static void test_bad_definitions(void) {
  const char* bad = "{\"format\": \"varsam-instrument/1\", \"id\": \"broken\"}";
  EXPECT(fails_with(varsam_instrument_load(bad, strlen(bad)), VARSAM_INVALID_ARGUMENT, NULL));
  EXPECT(fails_with(varsam_instrument_load("{", 1), VARSAM_INVALID_ARGUMENT, NULL));
  EXPECT(fails_with(varsam_instrument_load(NULL, 0), VARSAM_INVALID_ARGUMENT, "json"));
  /* A definition with an unknown field is refused, naming the field. */
  {
    char with_extra[sizeof kWellbeing + 64];
    snprintf(with_extra, sizeof with_extra, "{\"colour\": \"blue\", %s", kWellbeing + 1);
    EXPECT(fails_with(varsam_instrument_load(with_extra, strlen(with_extra)),
                      VARSAM_INVALID_ARGUMENT, "colour"));
  }
}

static void test_configure(void) {
  const char* settings;
  varsam_score_result r;
  load_wellbeing();
  /* item1_cutoff 3 by default: item 1 = 2 raises nothing; configured to 2, it does. */
  EXPECT(score3(2, 0, 0, NULL, &r) == VARSAM_OK && r.flag_bits == 0);
  settings = "{\"item1_cutoff\": 2}";
  EXPECT(varsam_instrument_configure("wellbeing-3", settings, strlen(settings)) == VARSAM_OK);
  EXPECT(score3(2, 0, 0, NULL, &r) == VARSAM_OK && r.flag_bits == 1u);
  settings = "{\"item1_cutoff\": 9}"; /* outside 1..4: refused, the old one stays */
  EXPECT(fails_with(varsam_instrument_configure("wellbeing-3", settings, strlen(settings)),
                    VARSAM_INVALID_ARGUMENT, "item1_cutoff"));
  EXPECT(score3(2, 0, 0, NULL, &r) == VARSAM_OK && r.flag_bits == 1u);
  settings = "{\"no_such_setting\": 1}";
  EXPECT(fails_with(varsam_instrument_configure("wellbeing-3", settings, strlen(settings)),
                    VARSAM_INVALID_ARGUMENT, "no_such_setting"));
  settings = "{\"item1_cutoff\": \"2\"}";
  EXPECT(fails_with(varsam_instrument_configure("wellbeing-3", settings, strlen(settings)),
                    VARSAM_INVALID_ARGUMENT, "item1_cutoff"));
  settings = "[2]";
  EXPECT(fails_with(varsam_instrument_configure("wellbeing-3", settings, strlen(settings)),
                    VARSAM_INVALID_ARGUMENT, "object"));
  settings = "{\"item1_cutoff\": 3}";
  EXPECT(fails_with(varsam_instrument_configure("no-such-form", settings, strlen(settings)),
                    VARSAM_NOT_FOUND, NULL));
  EXPECT(fails_with(varsam_instrument_configure(NULL, settings, strlen(settings)),
                    VARSAM_INVALID_ARGUMENT, "instrument"));
  EXPECT(fails_with(varsam_instrument_configure("wellbeing-3", NULL, 0), VARSAM_INVALID_ARGUMENT,
                    "settings"));
  EXPECT(varsam_instrument_configure("wellbeing-3", settings, strlen(settings)) == VARSAM_OK);
  EXPECT(score3(2, 0, 0, NULL, &r) == VARSAM_OK && r.flag_bits == 0);
}

/* ---- The built-in instruments, through the C API (their rules: instruments_rules_test.cc) ---- */

static void test_phq9_item_9_is_critical(void) {
  const double form[9] = {1, 1, 2, 1, 0, 1, 1, 0, 1};
  varsam_score_result r;
  r.struct_size = sizeof r;
  EXPECT(varsam_score("phq9", form, 9, NULL, &r) == VARSAM_OK);
  EXPECT(r.total == 8.0 && r.band != NULL && strcmp(r.band, "mild") == 0);
  EXPECT(r.max_severity == VARSAM_SEVERITY_CRITICAL && r.flag_count >= 1);
  EXPECT(r.flags[0] != NULL && strcmp(r.flags[0], "suicide_risk_followup") == 0);
  {
    const double decimals[9] = {1, 1, 2, 1, 0, 1, 1, 0.5, 1};
    EXPECT(
        fails_with(varsam_score("phq9", decimals, 9, NULL, &r), VARSAM_INVALID_ARGUMENT, "item 8"));
  }
}

static void test_audit_bands_depend_on_sex_and_items_9_10_take_0_2_4(void) {
  double form[10] = {2, 1, 1, 1, 0, 0, 0, 0, 0, 2}; /* total 7 */
  varsam_respondent who;
  varsam_score_result r;
  r.struct_size = sizeof r;
  who.struct_size = sizeof who;
  who.age = -1;
  who.previous_total = NAN;
  who.sex = VARSAM_SEX_FEMALE;
  EXPECT(varsam_score("audit", form, 10, &who, &r) == VARSAM_OK);
  EXPECT(r.total == 7.0 && r.band != NULL && strcmp(r.band, "hazardous") == 0);
  who.sex = VARSAM_SEX_MALE;
  EXPECT(varsam_score("audit", form, 10, &who, &r) == VARSAM_OK);
  EXPECT(r.band != NULL && strcmp(r.band, "low_risk") == 0);
  form[8] = 1;
  EXPECT(fails_with(varsam_score("audit", form, 10, &who, &r), VARSAM_INVALID_ARGUMENT, "item 9"));
  form[8] = 3;
  EXPECT(fails_with(varsam_score("audit", form, 10, &who, &r), VARSAM_INVALID_ARGUMENT, "item 9"));
  form[8] = 4;
  form[9] = 1;
  EXPECT(fails_with(varsam_score("audit", form, 10, &who, &r), VARSAM_INVALID_ARGUMENT, "item 10"));
}

static void test_core10_prorates_one_missing_item(void) {
  const double form[10] = {1, 3, NAN, 1, 2, 0, 1, 2, 1, 1};
  varsam_score_result r;
  r.struct_size = sizeof r;
  EXPECT(varsam_score("core10", form, 10, NULL, &r) == VARSAM_OK);
  EXPECT(r.scored == 1 && r.prorated == 1 && r.missing == 1 && r.answered == 9);
  /* items 2 and 3 reversed: 1 + (4 - 3) + 1 + 2 + 0 + 1 + 2 + 1 + 1 = 10 over 9 items */
  EXPECT(r.total > 100.0 / 9.0 - 1e-9 && r.total < 100.0 / 9.0 + 1e-9);
}

/* The SRS alliance cut-off is a setting (default 36): a host may configure it. */
static void test_configure_srs_alliance_cutoff(void) {
  const double form[4] = {9, 9, 9, 9}; /* 36: not below 36 */
  const char* settings = "{\"alliance_cutoff\": 37}";
  varsam_score_result r;
  r.struct_size = sizeof r;
  EXPECT(varsam_score("srs", form, 4, NULL, &r) == VARSAM_OK);
  EXPECT(r.total == 36.0 && r.flag_count == 0);
  EXPECT(varsam_instrument_configure("srs", settings, strlen(settings)) == VARSAM_OK);
  EXPECT(varsam_score("srs", form, 4, NULL, &r) == VARSAM_OK);
  EXPECT(r.flag_count == 1 && r.flags[0] != NULL && strcmp(r.flags[0], "alliance_concern") == 0);
  settings = "{\"alliance_cutoff\": 36}";
  EXPECT(varsam_instrument_configure("srs", settings, strlen(settings)) == VARSAM_OK);
  EXPECT(varsam_score("srs", form, 4, NULL, &r) == VARSAM_OK && r.flag_count == 0);
}

/* ---- The engine ------------------------------------------------------------------------------ */

/* A fixed made-up audit signing key (bytes 1..32), handed over by the key callback. */
static int key_calls = 0;

static varsam_status test_key(void* user_data, uint8_t private_key[32]) {
  int i;
  (void)user_data;
  ++key_calls;
  for (i = 0; i < 32; ++i) private_key[i] = (uint8_t)(i + 1);
  return VARSAM_OK;
}

static varsam_status refusing_key(void* user_data, uint8_t private_key[32]) {
  (void)user_data;
  (void)private_key;
  ++key_calls;
  return VARSAM_PERMISSION_DENIED;
}

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* A new empty directory for a store; removed with remove_tree. */
static char* make_store_dir(char buffer[64]) {
  strcpy(buffer, "/tmp/varsam_capi_test_XXXXXX");
  return mkdtemp(buffer);
}

static void remove_tree(const char* dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static varsam_status open_engine(const char* dir, varsam_key_callback key, varsam_engine** out) {
  char options[256];
  snprintf(options, sizeof options, "{\"store\": \"%s\", \"checkpoint_every_events\": 4}", dir);
  return varsam_engine_open(options, strlen(options), key, NULL, out);
}

static int contains(const char* text, const char* part) {
  return text != NULL && strstr(text, part) != NULL;
}

/* The number of times `part` occurs in `text`. */
static int occurrences(const char* text, const char* part) {
  int n = 0;
  const char* at = text;
  while (at != NULL && (at = strstr(at, part)) != NULL) {
    ++n;
    at += strlen(part);
  }
  return n;
}

static int is_hex32(const char* text) {
  int i;
  for (i = 0; i < 32; ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return text[32] == '"';
}

static const char kOfficerJson[] =
    "{\"actor\":\"a-17\",\"role\":\"handlaggare\",\"organisation\":{\"kind\":\"socialnamnd\","
    "\"id\":\"0180\"},\"purpose\":\"handlaggning\",\"case\":{\"ref\":\"c-9\",\"kind\":"
    "\"utredning\",\"led_to_investigation\":true,\"client\":\"k-1\"},\"subject_client\":\"k-1\","
    "\"time\":\"2026-11-28T10:00:00Z\",\"ethics_approval\":null}";

/* 2026-11-28T10:00:00Z */
#define TEST_TIME_MICROS 1795860000000000LL

static varsam_context_fields officer_fields(void) {
  varsam_context_fields f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  f.actor = "a-17";
  f.role = "handlaggare";
  f.organisation_kind = "socialnamnd";
  f.organisation_id = "0180";
  f.purpose = "handlaggning";
  f.case_ref = "c-9";
  f.case_kind = "utredning";
  f.case_led_to_investigation = 1;
  f.case_client = "k-1";
  f.subject_client = "k-1";
  f.time_unix_micros = TEST_TIME_MICROS;
  return f;
}

/* A context with no case and no subject client. */
static varsam_context* context_of(const char* role, const char* org_kind, const char* purpose) {
  varsam_context_fields f = officer_fields();
  varsam_context* context = NULL;
  f.role = role;
  f.organisation_kind = org_kind;
  f.purpose = purpose;
  f.case_ref = NULL;
  f.subject_client = NULL;
  EXPECT(varsam_context_new(&f, &context) == VARSAM_OK && context != NULL);
  return context;
}

static varsam_context* officer_with_role(const char* role) {
  varsam_context_fields f = officer_fields();
  varsam_context* context = NULL;
  f.role = role;
  EXPECT(varsam_context_new(&f, &context) == VARSAM_OK && context != NULL);
  return context;
}

/* audit_verify by `auditor` is OK, the log intact and holding `events` events (the verify's own
 * included). */
static void expect_verified(varsam_engine* engine, const varsam_context* auditor, int events) {
  char expected[64];
  char* json = NULL;
  snprintf(expected, sizeof expected, "\"events\":%d,", events);
  EXPECT(varsam_engine_audit_verify(engine, auditor, &json) == VARSAM_OK);
  EXPECT(contains(json, "{\"ok\":true,") && contains(json, expected));
  EXPECT(contains(json, "\"signatures_checked\":true") && contains(json, "\"root\":\""));
  varsam_free(json);
}

static void test_engine_open_refuses_bad_options(void) {
  char dir_buffer[64];
  const char* dir = make_store_dir(dir_buffer);
  varsam_engine* engine = (varsam_engine*)&engine; /* garbage, to see it set to NULL */
  const char* unknown = "{\"store\": \"/tmp/x\", \"stor\": 1}";
  const char* no_store = "{\"checkpoint_every_events\": 10}";
  const char* not_json = "{\"store\": ";
  EXPECT(dir != NULL);
  EXPECT(varsam_engine_open(unknown, strlen(unknown), test_key, NULL, &engine) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(engine == NULL && contains(varsam_last_error(), "stor"));
  engine = (varsam_engine*)&engine;
  EXPECT(varsam_engine_open(no_store, strlen(no_store), test_key, NULL, &engine) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(engine == NULL && contains(varsam_last_error(), "store"));
  EXPECT(varsam_engine_open(not_json, strlen(not_json), test_key, NULL, &engine) ==
             VARSAM_INVALID_ARGUMENT &&
         engine == NULL);
  EXPECT(varsam_engine_open(NULL, 0, test_key, NULL, &engine) == VARSAM_INVALID_ARGUMENT);
  EXPECT(open_engine(dir, NULL, &engine) == VARSAM_INVALID_ARGUMENT && engine == NULL);
  EXPECT(open_engine(dir, test_key, NULL) == VARSAM_INVALID_ARGUMENT);

  /* A refusing key callback: UNAUTHENTICATED, no engine, and the store stays usable. */
  key_calls = 0;
  engine = (varsam_engine*)&engine;
  EXPECT(open_engine(dir, refusing_key, &engine) == VARSAM_UNAUTHENTICATED);
  EXPECT(engine == NULL && key_calls == 1);
  EXPECT(open_engine(dir, test_key, &engine) == VARSAM_OK && engine != NULL && key_calls == 2);
  {
    varsam_context* auditor = context_of("arbetsledare", "socialnamnd", "tillsyn");
    /* the refused open left nothing behind: no checkpoint signed with a key never given */
    expect_verified(engine, auditor, 1);
    varsam_context_free(auditor);
  }
  varsam_engine_close(engine);
  varsam_engine_close(NULL);
  remove_tree(dir);
}

/* Strict JSON: a context naming its organisation twice (a private provider first, then the
 * board) is refused, not read as whichever one a parser happens to keep (RFC 8259 section 4);
 * so is a score request naming its instrument twice. The message is the path, no value. */
static void test_duplicate_keys_refused(void) {
  const char* twice =
      "{\"actor\":\"a-17\",\"role\":\"handlaggare\",\"organisation\":{\"kind\":"
      "\"privat_utforare\",\"id\":\"0180\"},\"organisation\":{\"kind\":\"socialnamnd\","
      "\"id\":\"0180\"},\"purpose\":\"handlaggning\",\"time\":\"2026-11-28T10:00:00Z\"}";
  const char* nested =
      "{\"actor\":\"a-17\",\"role\":\"handlaggare\",\"organisation\":{\"kind\":"
      "\"socialnamnd\",\"id\":\"0180\",\"id\":\"0180\"},\"purpose\":\"handlaggning\","
      "\"time\":\"2026-11-28T10:00:00Z\"}";
  const char* request = "{\"instrument\":\"gad7\",\"instrument\":\"phq9\",\"responses\":[]}";
  varsam_context* context = (varsam_context*)&context;
  char* json = NULL;
  EXPECT(varsam_context_from_json(twice, strlen(twice), &context) == VARSAM_INVALID_ARGUMENT);
  EXPECT(context == NULL);
  EXPECT(strcmp(varsam_last_error(), "context: duplicate key at /organisation") == 0);
  EXPECT(!contains(varsam_last_error(), "privat") && !contains(varsam_last_error(), "0180"));
  EXPECT(varsam_context_from_json(nested, strlen(nested), &context) == VARSAM_INVALID_ARGUMENT);
  EXPECT(context == NULL);
  EXPECT(strcmp(varsam_last_error(), "context: duplicate key at /organisation/id") == 0);
  EXPECT(varsam_score_json(request, strlen(request), &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(json == NULL);
  EXPECT(strcmp(varsam_last_error(), "request: duplicate key at /instrument") == 0);
  /* The same organisation once is a context. */
  EXPECT(varsam_context_from_json(kOfficerJson, strlen(kOfficerJson), &context) == VARSAM_OK);
  varsam_context_free(context);
}

static void test_context_forms(void) {
  varsam_context* context = NULL;
  varsam_context* from_fields = NULL;
  char* json = NULL;
  char* json2 = NULL;
  varsam_context_fields f = officer_fields();

  EXPECT(varsam_context_from_json(kOfficerJson, strlen(kOfficerJson), &context) == VARSAM_OK);
  EXPECT(varsam_context_to_json(context, &json) == VARSAM_OK);
  EXPECT(json != NULL && strcmp(json, kOfficerJson) == 0);

  EXPECT(varsam_context_new(&f, &from_fields) == VARSAM_OK && from_fields != NULL);
  EXPECT(varsam_context_to_json(from_fields, &json2) == VARSAM_OK);
  EXPECT(json2 != NULL && json != NULL && strcmp(json, json2) == 0);
  varsam_free(json);
  varsam_free(json2);
  varsam_context_free(context);
  varsam_context_free(from_fields);
  varsam_context_free(NULL);

  /* A bad role: INVALID_ARGUMENT naming the key, never the value. */
  {
    const char* bad =
        "{\"actor\":\"a-17\",\"role\":\"chef-xyz\",\"organisation\":{\"kind\":"
        "\"socialnamnd\",\"id\":\"0180\"},\"purpose\":\"handlaggning\","
        "\"time\":\"2026-11-28T10:00:00Z\"}";
    context = (varsam_context*)&context;
    EXPECT(varsam_context_from_json(bad, strlen(bad), &context) == VARSAM_INVALID_ARGUMENT);
    EXPECT(context == NULL && contains(varsam_last_error(), "role"));
    EXPECT(!contains(varsam_last_error(), "chef-xyz"));
  }
  f.role = "chef-xyz";
  EXPECT(varsam_context_new(&f, &context) == VARSAM_INVALID_ARGUMENT && context == NULL);
  EXPECT(contains(varsam_last_error(), "role") && !contains(varsam_last_error(), "chef-xyz"));
  f = officer_fields();
  f.actor = NULL;
  EXPECT(varsam_context_new(&f, &context) == VARSAM_INVALID_ARGUMENT && context == NULL);
  EXPECT(contains(varsam_last_error(), "actor"));
  f = officer_fields();
  f.struct_size = 8;
  EXPECT(varsam_context_new(&f, &context) == VARSAM_INVALID_ARGUMENT && context == NULL);
  EXPECT(contains(varsam_last_error(), "struct_size"));
  EXPECT(varsam_context_new(NULL, &context) == VARSAM_INVALID_ARGUMENT);
  f = officer_fields();
  EXPECT(varsam_context_new(&f, NULL) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_context_from_json(NULL, 0, &context) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_context_from_json(kOfficerJson, strlen(kOfficerJson), NULL) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_context_to_json(NULL, &json) == VARSAM_INVALID_ARGUMENT && json == NULL);
}

static void test_policy_check_without_engine(void) {
  varsam_context* officer = officer_with_role("handlaggare");
  varsam_context* provider = context_of("handlaggare", "privat_utforare", "uppfoljning");
  char* json = NULL;
  EXPECT(varsam_policy_check(officer, "score", NULL, 0, &json) == VARSAM_OK);
  EXPECT(contains(json, "\"decision\":\"allow\"") && contains(json, "own-case"));
  EXPECT(contains(json, "\"explanation\":") && contains(json, "\"explanation_sv\":"));
  varsam_free(json);
  EXPECT(varsam_policy_check(provider, "insight.query", "", 0, &json) == VARSAM_OK);
  EXPECT(contains(json, "\"decision\":\"deny\"") && contains(json, "private-provider"));
  varsam_free(json);
  EXPECT(varsam_policy_check(officer, "no.such", NULL, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(json == NULL);
  EXPECT(varsam_policy_check(officer, "score", "{\"x\": 1}", 8, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_policy_check(NULL, "score", NULL, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_policy_check(officer, NULL, NULL, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_policy_check(officer, "score", NULL, 0, NULL) == VARSAM_INVALID_ARGUMENT);
  varsam_context_free(officer);
  varsam_context_free(provider);
}

/* One engine through a whole case. Every call that reaches the engine leaves one audit event;
 * `events` counts them. */
static void test_engine_case(void) {
  char dir_buffer[64];
  const char* dir = make_store_dir(dir_buffer);
  varsam_engine* engine = NULL;
  varsam_context* officer = officer_with_role("handlaggare");
  varsam_context* service = officer_with_role("system");
  varsam_context* provider = context_of("handlaggare", "privat_utforare", "uppfoljning");
  varsam_context* follow_up = context_of("arbetsledare", "socialnamnd", "uppfoljning");
  varsam_context* auditor = context_of("arbetsledare", "socialnamnd", "tillsyn");
  const char* phq9 = "{\"instrument\": \"phq9\", \"responses\": [1, 1, 2, 1, 0, 1, 1, 0, 1]}";
  const char* measurement =
      "{\"client_ref\": \"k-1\", \"case_ref\": \"c-9\", \"case_kind\": \"utredning\", "
      "\"instrument\": \"phq9\", \"session\": 1, \"date\": \"2026-11-28\", "
      "\"responses\": [1, 1, 2, 1, 0, 1, 1, 0, null], \"total\": 7, \"band\": \"mild\", "
      "\"flags\": []}";
  char* json = NULL;
  char suggestion[33] = "";
  char key_hex[65];
  int64_t id = -1;
  int events = 0;
  int suggestions = 0;

  EXPECT(dir != NULL);
  EXPECT(open_engine(dir, test_key, &engine) == VARSAM_OK && engine != NULL);

  /* check: the decision, audited, OK whether it allows or denies */
  EXPECT(varsam_engine_check(engine, officer, "score", NULL, 0, &json) == VARSAM_OK);
  ++events;
  EXPECT(contains(json, "{\"decision\":\"allow\",\"rules\":[") && contains(json, "own-case"));
  varsam_free(json);
  EXPECT(varsam_engine_check(engine, provider, "insight.query", NULL, 0, &json) == VARSAM_OK);
  ++events;
  EXPECT(contains(json, "\"decision\":\"deny\"") && contains(json, "private-provider"));
  EXPECT(contains(json, "\"citations\":[\""));
  varsam_free(json);
  EXPECT(varsam_engine_check(engine, officer, "bogus", NULL, 0, &json) ==
         VARSAM_INVALID_ARGUMENT); /* refused before the engine: no event */

  /* score: a flag raised is an open suggestion with a 32-hex id */
  EXPECT(varsam_engine_score(engine, officer, phq9, strlen(phq9), &json) == VARSAM_OK);
  ++events;
  EXPECT(contains(json, "\"instrument\":\"phq9\"") && contains(json, "suicide_risk_followup"));
  {
    const char* at = json == NULL ? NULL : strstr(json, "\"suggestions\":[{\"id\":\"");
    EXPECT(at != NULL);
    if (at != NULL) {
      at += strlen("\"suggestions\":[{\"id\":\"");
      EXPECT(is_hex32(at));
      memcpy(suggestion, at, 32);
      suggestion[32] = '\0';
      suggestions = occurrences(strstr(json, "\"suggestions\":"), "\"id\":\"");
    }
  }
  EXPECT(suggestions >= 1);
  varsam_free(json);

  EXPECT(varsam_engine_suggestions_open(engine, officer, &json) == VARSAM_OK);
  ++events;
  EXPECT(contains(json, suggestion) && occurrences(json, "\"kind\":\"flag\"") == suggestions);
  EXPECT(contains(json, "\"created\":\"2026-11-28\"") && contains(json, "\"content\":{"));
  varsam_free(json);

  /* decision.record: never by a system role (human-decides); once by an officer */
  EXPECT(varsam_engine_decision_record(engine, service, suggestion, "accepted", "auto", &id) ==
         VARSAM_PERMISSION_DENIED);
  ++events;
  EXPECT(contains(varsam_last_error(), "human-decides") && id == 0);
  EXPECT(!contains(varsam_last_error(), "k-1") && !contains(varsam_last_error(), "c-9"));
  EXPECT(varsam_engine_decision_record(engine, officer, suggestion, "rejected",
                                       "Talked to the client; no risk now.", &id) == VARSAM_OK);
  ++events;
  EXPECT(id > 0);
  EXPECT(varsam_engine_decision_record(engine, officer, suggestion, "accepted", "again", NULL) ==
         VARSAM_FAILED_PRECONDITION);
  ++events;
  EXPECT(varsam_engine_suggestions_open(engine, officer, &json) == VARSAM_OK);
  ++events;
  EXPECT(json != NULL && !contains(json, suggestion));
  EXPECT(occurrences(json, "\"kind\":\"flag\"") == suggestions - 1);
  varsam_free(json);

  /* the journal */
  EXPECT(varsam_engine_journal_append(engine, officer, measurement, strlen(measurement), &id) ==
         VARSAM_OK);
  ++events;
  EXPECT(id > 0);
  EXPECT(varsam_engine_journal_history(engine, officer, "k-1", &json) == VARSAM_OK);
  ++events;
  {
    char expected[512];
    snprintf(expected, sizeof expected,
             "[{\"id\":%lld,\"client_ref\":\"k-1\",\"case_ref\":\"c-9\",\"case_kind\":"
             "\"utredning\",\"instrument\":\"phq9\",\"session\":1,\"date\":\"2026-11-28\","
             "\"responses\":[1,1,2,1,0,1,1,0,null],\"total\":7,\"band\":\"mild\",\"flags\":[]}]",
             (long long)id);
    EXPECT(json != NULL && strcmp(json, expected) == 0);
  }
  varsam_free(json);
  {
    /* The same client's form named for another case: not written, and no event. */
    const char* other_case =
        "{\"client_ref\": \"k-1\", \"case_ref\": \"c-10\", \"case_kind\": \"utredning\", "
        "\"instrument\": \"phq9\", \"session\": 1, \"date\": \"2026-11-28\", "
        "\"responses\": [1, 1, 2, 1, 0, 1, 1, 0, null]}";
    int64_t other_id = -1;
    EXPECT(varsam_engine_journal_append(engine, officer, other_case, strlen(other_case),
                                        &other_id) == VARSAM_INVALID_ARGUMENT);
    EXPECT(other_id == 0 && contains(varsam_last_error(), "context's case"));
  }
  EXPECT(varsam_engine_journal_history(engine, officer, "k-2", &json) != VARSAM_OK);
  ++events;
  EXPECT(json == NULL && !contains(varsam_last_error(), "k-2"));
  EXPECT(varsam_engine_journal_append(engine, officer, "{\"client_ref\": 1}", 17, &id) ==
         VARSAM_INVALID_ARGUMENT); /* refused before the engine: no event */

  /* insight.query: counts only */
  EXPECT(varsam_engine_override_rates(engine, follow_up, 20261101, 20261130, &json) == VARSAM_OK);
  ++events;
  EXPECT(contains(json,
                  "{\"kind\":\"flag\",\"code\":\"phq9/suicide_risk_followup\","
                  "\"suggestions\":1,\"decided\":1,\"accepted\":0,\"rejected\":1,"
                  "\"modified\":0,\"override_rate\":1"));
  EXPECT(!contains(json, "k-1") && !contains(json, "c-9"));
  varsam_free(json);
  EXPECT(varsam_engine_override_rates(engine, follow_up, 20261131, 20261130, &json) ==
         VARSAM_INVALID_ARGUMENT); /* not a date: no event */

  /* audit.read: not for an officer in a case (audit-review is for arbetsledare) */
  EXPECT(varsam_engine_audit_verify(engine, officer, &json) == VARSAM_PERMISSION_DENIED);
  ++events;
  EXPECT(json == NULL && contains(varsam_last_error(), "no-lawful-basis"));
  expect_verified(engine, auditor, ++events); /* the verify's own event is in the log */
  EXPECT(varsam_engine_audit_prove_inclusion(engine, auditor, 1, 0, &json) == VARSAM_OK);
  ++events;
  EXPECT(contains(json, "{\"seq\":1,\"tree_size\":") && contains(json, "\"leaf_hash\":\""));
  EXPECT(contains(json, "\"root\":\"") && contains(json, "\"path\":["));
  varsam_free(json);
  EXPECT(varsam_engine_audit_prove_inclusion(engine, auditor, 100000, 0, &json) ==
         VARSAM_OUT_OF_RANGE);
  ++events;
  EXPECT(varsam_engine_audit_prove_consistency(engine, auditor, 2, events, &json) == VARSAM_OK);
  ++events;
  {
    char expected[64];
    snprintf(expected, sizeof expected, "{\"old_size\":2,\"new_size\":%d,", events - 1);
    EXPECT(contains(json, expected) && contains(json, "\"old_root\":\"") &&
           contains(json, "\"new_root\":\"") && contains(json, "\"path\":["));
  }
  varsam_free(json);
  EXPECT(varsam_engine_audit_prove_consistency(engine, auditor, 5, 2, &json) ==
         VARSAM_OUT_OF_RANGE);
  ++events;
  EXPECT(varsam_engine_audit_public_key(engine, key_hex) == VARSAM_OK);
  EXPECT(strlen(key_hex) == 64);
  expect_verified(engine, auditor, ++events);

  /* NULL arguments: INVALID_ARGUMENT, nothing written, no event */
  json = (char*)&json;
  EXPECT(varsam_engine_check(NULL, officer, "score", NULL, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(json == NULL);
  EXPECT(varsam_engine_check(engine, NULL, "score", NULL, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_check(engine, officer, NULL, NULL, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_check(engine, officer, "score", NULL, 0, NULL) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_score(NULL, officer, phq9, strlen(phq9), &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_score(engine, NULL, phq9, strlen(phq9), &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_score(engine, officer, NULL, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_score(engine, officer, phq9, strlen(phq9), NULL) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_append(NULL, officer, measurement, strlen(measurement), &id) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_append(engine, NULL, measurement, strlen(measurement), &id) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_append(engine, officer, NULL, 0, &id) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_append(engine, officer, measurement, strlen(measurement), NULL) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_history(NULL, officer, "k-1", &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_history(engine, NULL, "k-1", &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_history(engine, officer, NULL, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_journal_history(engine, officer, "k-1", NULL) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_suggestions_open(NULL, officer, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_suggestions_open(engine, NULL, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_suggestions_open(engine, officer, NULL) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_decision_record(NULL, officer, suggestion, "accepted", "r", &id) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_decision_record(engine, NULL, suggestion, "accepted", "r", &id) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_decision_record(engine, officer, NULL, "accepted", "r", &id) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_decision_record(engine, officer, suggestion, NULL, "r", &id) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_decision_record(engine, officer, suggestion, "accepted", NULL, &id) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_override_rates(NULL, follow_up, 20261101, 20261130, &json) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_override_rates(engine, NULL, 20261101, 20261130, &json) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_override_rates(engine, follow_up, 20261101, 20261130, NULL) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_verify(NULL, auditor, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_verify(engine, NULL, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_verify(engine, auditor, NULL) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_prove_inclusion(NULL, auditor, 1, 0, &json) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_prove_inclusion(engine, NULL, 1, 0, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_prove_inclusion(engine, auditor, 1, 0, NULL) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_prove_consistency(NULL, auditor, 1, 0, &json) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_prove_consistency(engine, NULL, 1, 0, &json) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_prove_consistency(engine, auditor, 1, 0, NULL) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_public_key(NULL, key_hex) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_engine_audit_public_key(engine, NULL) == VARSAM_INVALID_ARGUMENT);

  /* None of them left an event. */
  expect_verified(engine, auditor, ++events);

  varsam_engine_close(engine);
  /* Reopened, the log is whole and signed with the same key. */
  engine = NULL;
  EXPECT(open_engine(dir, test_key, &engine) == VARSAM_OK && engine != NULL);
  {
    char again[65];
    EXPECT(varsam_engine_audit_public_key(engine, again) == VARSAM_OK);
    EXPECT(strcmp(again, key_hex) == 0);
  }
  expect_verified(engine, auditor, ++events);
  varsam_engine_close(engine);

  varsam_context_free(officer);
  varsam_context_free(service);
  varsam_context_free(provider);
  varsam_context_free(follow_up);
  varsam_context_free(auditor);
  remove_tree(dir);
}

/* ---- Anonymisation ----------------------------------------------------------------------- */
/* Identity numbers are Skatteverket's official test numbers; e-mail addresses are at
 * example.se; names are common first names and surnames. */

static int pseudonym_key_calls = 0;

/* The key of epoch 3 only: 0xA0, 0xA1, ... */
static varsam_status pseudonym_key(void* user_data, int32_t epoch, uint8_t key[32]) {
  int i;
  (void)user_data;
  ++pseudonym_key_calls;
  if (epoch != 3) return VARSAM_NOT_FOUND;
  for (i = 0; i < 32; ++i) key[i] = (uint8_t)(0xA0 + i);
  return VARSAM_OK;
}

static const char kAnonSchema[] =
    "{\"format\": \"varsam-anonymize-schema/1\", \"fields\": ["
    "{\"name\": \"personnummer\", \"role\": \"direct_identifier\", \"pseudonym\": "
    "\"personnummer\"},"
    "{\"name\": \"namn\", \"role\": \"direct_identifier\", \"person_name\": true},"
    "{\"name\": \"epost\", \"role\": \"direct_identifier\"},"
    "{\"name\": \"alder\", \"role\": \"quasi_identifier\", \"hierarchy\": \"age\"},"
    "{\"name\": \"kon\", \"role\": \"quasi_identifier\", \"hierarchy\": \"sex\"},"
    "{\"name\": \"insats\", \"role\": \"quasi_identifier\", \"hierarchy\": {\"csv\": "
    "\"insats.csv\"}},"
    "{\"name\": \"utfall\", \"role\": \"sensitive\"},"
    "{\"name\": \"anteckning\", \"role\": \"free_text\"},"
    "{\"name\": \"fackforening\", \"role\": \"forbidden\"}]}";

/* Six records; `extra` is spliced into the third record's object (e.g. a forbidden value). */
static char* anon_request(char* buffer, size_t size, int k, int epoch, const char* extra) {
  snprintf(
      buffer, size,
      "{\"schema\": %s, \"k\": %d, \"key_epoch\": %d, \"today\": \"2026-11-28\","
      " \"names\": [\"Lindqvist\"],"
      " \"hierarchies\": {\"insats.csv\": \"samtal;oppenvard;*\\nstod;oppenvard;*\\n"
      "boende;heldygn;*\\n\"},"
      " \"records\": ["
      "{\"personnummer\": \"198501012382\", \"namn\": \"Anna Berg\","
      " \"epost\": \"anna.berg@example.se\", \"alder\": \"31\", \"kon\": \"female\","
      " \"insats\": \"samtal\", \"utfall\": \"battre\","
      " \"anteckning\": \"Anna Berg ringde om 198501012382, svar till anna.berg@example.se\"},"
      "{\"personnummer\": \"198501022381\", \"namn\": \"Karin Ek\", \"alder\": 33,"
      " \"kon\": \"female\", \"insats\": \"stod\", \"utfall\": \"samma\","
      " \"anteckning\": \"Karin Ek och Lindqvist\"},"
      "{\"personnummer\": \"198501032380\", \"namn\": \"Maria Holm\", \"alder\": \"35\","
      " \"kon\": \"female\", \"insats\": \"samtal\", \"utfall\": \"battre\"%s},"
      "{\"personnummer\": \"198501042389\", \"namn\": \"Eva Lund\", \"alder\": \"36\","
      " \"kon\": \"female\", \"insats\": \"stod\", \"utfall\": \"samma\", \"fackforening\": \" \"},"
      "{\"personnummer\": \"198501052396\", \"namn\": \"Lars Strand\", \"alder\": \"37\","
      " \"kon\": \"male\", \"insats\": \"boende\", \"utfall\": null},"
      "{\"personnummer\": \"198501042397\", \"namn\": \"Per Nyberg\", \"alder\": \"38\","
      " \"kon\": \"male\", \"insats\": \"samtal\", \"utfall\": \"battre\"}]}",
      kAnonSchema, k, epoch, extra);
  return buffer;
}

/* The smallest class size in the report's "after" risk (class_sizes is [[size, count], ...],
 * ascending), or -1. */
static int smallest_released_class(const char* json) {
  const char* after = strstr(json, "\"after\":");
  const char* sizes = after ? strstr(after, "\"class_sizes\":[[") : NULL;
  int size = -1;
  if (sizes == NULL || sscanf(sizes + strlen("\"class_sizes\":[["), "%d", &size) != 1) return -1;
  return size;
}

static void test_anonymize(void) {
  static char request[8192];
  char* out = NULL;
  int calls;

  /* A release: k holds; no input personnummer, name or e-mail survives. */
  anon_request(request, sizeof request, 3, 3, "");
  calls = pseudonym_key_calls;
  EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &out) == VARSAM_OK);
  EXPECT(pseudonym_key_calls == calls + 1);
  EXPECT(out != NULL);
  if (out != NULL) {
    EXPECT(strncmp(out,
                   "{\"header\":[\"personnummer\",\"alder\",\"kon\",\"insats\",\"utfall\","
                   "\"anteckning\"],\"rows\":[[",
                   strlen("{\"header\":[\"personnummer\",\"alder\",\"kon\",\"insats\",\"utfall\","
                          "\"anteckning\"],\"rows\":[[")) == 0);
    EXPECT(contains(out, "\"report\":{\"format\":\"varsam-anonymize-report/1\""));
    EXPECT(contains(out, "\"records_in\":6"));
    EXPECT(contains(out, "\"k\":3"));
    EXPECT(contains(out, "\"key_epoch\":3"));
    EXPECT(occurrences(out, "\"p1_") >= 1);
    EXPECT(smallest_released_class(out) >= 3);
    EXPECT(!contains(out, "19850101"));
    EXPECT(!contains(out, "198501022381") && !contains(out, "198501052396"));
    EXPECT(!contains(out, "Anna") && !contains(out, "Berg") && !contains(out, "Karin"));
    EXPECT(!contains(out, "Lindqvist") && !contains(out, "example.se"));
    EXPECT(!contains(out, "samtal")); /* generalised at least one level */
    varsam_free(out);
  }

  /* The same request gives the same pseudonyms (same key) and the same release. */
  {
    char* again = NULL;
    char* first = NULL;
    EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &first) == VARSAM_OK);
    EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &again) == VARSAM_OK);
    EXPECT(first != NULL && again != NULL && strcmp(first, again) == 0);
    varsam_free(first);
    varsam_free(again);
  }

  /* A forbidden field with a value refuses the whole call, naming field and index only. */
  anon_request(request, sizeof request, 3, 3, ", \"fackforening\": \"Kommunal\"");
  out = (char*)request; /* must be reset */
  EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &out) ==
         VARSAM_FAILED_PRECONDITION);
  EXPECT(out == NULL);
  EXPECT(contains(varsam_last_error(), "request.records[2]"));
  EXPECT(contains(varsam_last_error(), "fackforening"));
  EXPECT(!contains(varsam_last_error(), "Kommunal"));

  /* An unknown key in a record, and one in the request. */
  anon_request(request, sizeof request, 3, 3, ", \"hemlig\": \"x\"");
  EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &out) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(contains(varsam_last_error(), "request.records[2]"));
  EXPECT(contains(varsam_last_error(), "'hemlig'"));
  {
    const char bad[] = "{\"schema\": {}, \"records\": [], \"k\": 2, \"lattice\": 1}";
    EXPECT(varsam_anonymize(bad, strlen(bad), NULL, NULL, &out) == VARSAM_INVALID_ARGUMENT);
  }
  {
    const char bad[] = "{\"records\": [], \"k\": 2}";
    EXPECT(varsam_anonymize(bad, strlen(bad), NULL, NULL, &out) == VARSAM_INVALID_ARGUMENT);
    EXPECT(contains(varsam_last_error(), "request.schema"));
  }
  /* A value a hierarchy does not know: named by field, never shown. */
  anon_request(request, sizeof request, 3, 3, ", \"alder\": \"gammal\"");
  EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &out) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(contains(varsam_last_error(), "alder") && !contains(varsam_last_error(), "gammal"));

  /* More k than records: no generalisation. */
  anon_request(request, sizeof request, 7, 3, "");
  EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &out) ==
         VARSAM_FAILED_PRECONDITION);

  /* The key: refused (no key for epoch 4), missing, or not needed. */
  anon_request(request, sizeof request, 3, 4, "");
  EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, &out) ==
         VARSAM_UNAUTHENTICATED);
  EXPECT(out == NULL);
  EXPECT(contains(varsam_last_error(), "epoch 4"));
  anon_request(request, sizeof request, 3, 3, "");
  EXPECT(varsam_anonymize(request, strlen(request), NULL, NULL, &out) ==
         VARSAM_FAILED_PRECONDITION);
  {
    const char plain[] =
        "{\"schema\": {\"format\": \"varsam-anonymize-schema/1\", \"fields\": ["
        "{\"name\": \"alder\", \"role\": \"quasi_identifier\", \"hierarchy\": \"age\"}]},"
        " \"k\": 2, \"records\": [{\"alder\": 41}, {\"alder\": \"44\"}, {\"alder\": 47}]}";
    calls = pseudonym_key_calls;
    EXPECT(varsam_anonymize(plain, strlen(plain), pseudonym_key, NULL, &out) == VARSAM_OK);
    EXPECT(pseudonym_key_calls == calls); /* not asked: no pseudonym field */
    EXPECT(out != NULL && contains(out, "\"records_in\":3"));
    varsam_free(out);
    out = NULL;
  }

  /* NULLs and malformed JSON. */
  EXPECT(varsam_anonymize(NULL, 0, pseudonym_key, NULL, &out) == VARSAM_INVALID_ARGUMENT);
  EXPECT(contains(varsam_last_error(), "request_json"));
  EXPECT(varsam_anonymize(request, strlen(request), pseudonym_key, NULL, NULL) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(contains(varsam_last_error(), "json_out"));
  EXPECT(varsam_anonymize("{\"k\": ", 6, pseudonym_key, NULL, &out) == VARSAM_INVALID_ARGUMENT);
  EXPECT(out == NULL);
}

/* ---- The register ----------------------------------------------------------------------- */

/* A follow-up context of the board in a case of `kind` (client k-1). */
static varsam_context* follow_up(const char* kind, int led_to_investigation) {
  varsam_context_fields f = officer_fields();
  varsam_context* context = NULL;
  f.role = "analytiker";
  f.purpose = "uppfoljning";
  f.case_kind = kind;
  f.case_led_to_investigation = led_to_investigation;
  EXPECT(varsam_context_new(&f, &context) == VARSAM_OK && context != NULL);
  return context;
}

/* One episode of an official test number; `extra` is spliced into its object. */
static char* episode(char* buffer, size_t size, const char* number, int age, const char* extra) {
  snprintf(buffer, size,
           "{\"personnummer\": \"%s\", \"age\": %d, \"sex\": \"female\","
           " \"postal_code\": \"11120\", \"intervention\": \"familjebehandling\","
           " \"start\": \"2026-03-15\", \"end\": \"2026-11-02\", \"outcome\": \"improved\","
           " \"measurements\": [{\"instrument\": \"phq9\", \"session\": 1,"
           " \"date\": \"2026-03-16\", \"total\": 14, \"band\": \"moderate\"}]%s}",
           number, age, extra);
  return buffer;
}

static void test_register(void) {
  static const char* const numbers[] = {"198501012382", "198501022381", "198501032380",
                                        "198501042389", "198501052396", "198501042397"};
  char dir_buffer[64], options[256], one[1024], batch[8192];
  const char* dir = make_store_dir(dir_buffer);
  varsam_engine* engine = (varsam_engine*)&engine;
  varsam_engine* keyless = NULL;
  varsam_engine_keys keys;
  varsam_context* insats = follow_up("insats", 1);
  varsam_context* report = follow_up("anmalan", 0);
  char* json = NULL;
  size_t i, used = 0;

  snprintf(options, sizeof options,
           "{\"store\": \"%s\", \"register\": {\"key_epoch\": 3, \"age_level\": 1}}", dir);
  memset(&keys, 0, sizeof keys);
  keys.struct_size = sizeof keys;
  keys.audit_key = test_key;

  /* Bad arguments. */
  EXPECT(varsam_engine_open_with_keys(options, strlen(options), NULL, &engine) ==
             VARSAM_INVALID_ARGUMENT &&
         engine == NULL && contains(varsam_last_error(), "keys"));
  keys.struct_size = 4;
  EXPECT(varsam_engine_open_with_keys(options, strlen(options), &keys, &engine) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "struct_size"));
  keys.struct_size = sizeof keys;
  {
    const char* bad = "{\"store\": \"/tmp/x\", \"register\": {\"key_epoch\": -1}}";
    const char* unknown = "{\"store\": \"/tmp/x\", \"register\": {\"epoch\": 1}}";
    EXPECT(varsam_engine_open_with_keys(bad, strlen(bad), &keys, &engine) ==
               VARSAM_INVALID_ARGUMENT &&
           contains(varsam_last_error(), "options.register.key_epoch"));
    EXPECT(varsam_engine_open_with_keys(unknown, strlen(unknown), &keys, &engine) ==
               VARSAM_INVALID_ARGUMENT &&
           contains(varsam_last_error(), "'epoch'"));
  }

  /* Without a pseudonym key, submission is refused (after the audited decision). */
  EXPECT(varsam_engine_open_with_keys(options, strlen(options), &keys, &keyless) == VARSAM_OK);
  episode(one, sizeof one, numbers[0], 37, "");
  EXPECT(varsam_register_submit(keyless, insats, one, strlen(one)) == VARSAM_FAILED_PRECONDITION &&
         contains(varsam_last_error(), "pseudonymisation keys"));
  varsam_engine_close(keyless);

  /* A refusing pseudonym key callback fails the open. */
  {
    const int before = pseudonym_key_calls;
    char wrong_epoch[256];
    snprintf(wrong_epoch, sizeof wrong_epoch,
             "{\"store\": \"%s\", \"register\": {\"key_epoch\": 4}}", dir);
    keys.pseudonym_key = pseudonym_key; /* knows epoch 3 only */
    EXPECT(varsam_engine_open_with_keys(wrong_epoch, strlen(wrong_epoch), &keys, &engine) ==
               VARSAM_UNAUTHENTICATED &&
           engine == NULL && contains(varsam_last_error(), "epoch 4"));
    EXPECT(pseudonym_key_calls == before + 1);
  }

  EXPECT(varsam_engine_open_with_keys(options, strlen(options), &keys, &engine) == VARSAM_OK &&
         engine != NULL);

  /* Six episodes in one batch. */
  used = (size_t)snprintf(batch, sizeof batch, "[");
  for (i = 0; i < 6; ++i) {
    used += (size_t)snprintf(batch + used, sizeof batch - used, "%s%s", i ? "," : "",
                             episode(one, sizeof one, numbers[i], 31 + (int)i, ""));
  }
  used += (size_t)snprintf(batch + used, sizeof batch - used, "]");
  EXPECT(varsam_register_submit(engine, insats, batch, used) == VARSAM_OK);

  /* A report that did not lead to an investigation: refused by the policy. */
  EXPECT(varsam_register_submit(engine, report, batch, used) == VARSAM_PERMISSION_DENIED &&
         contains(varsam_last_error(), "reports-stay-out"));
  /* Trade-union data: refused by never-union. */
  episode(one, sizeof one, numbers[0], 37, ", \"field_classes\": [\"trade_union\"]");
  EXPECT(varsam_register_submit(engine, insats, one, strlen(one)) == VARSAM_PERMISSION_DENIED &&
         contains(varsam_last_error(), "never-union"));
  /* An identity number where an intervention goes: the whole batch is refused, the message
   * names the episode and field, not the value. */
  {
    char bad[2048];
    snprintf(bad, sizeof bad, "[%s,", episode(one, sizeof one, numbers[1], 40, ""));
    episode(one, sizeof one, numbers[2], 41, "");
    {
      char* at = strstr(one, "familjebehandling");
      char replaced[1024];
      snprintf(replaced, sizeof replaced, "%.*s198501012382%s", (int)(at - one), one,
               at + strlen("familjebehandling"));
      strncat(bad, replaced, sizeof bad - strlen(bad) - 2);
    }
    strncat(bad, "]", sizeof bad - strlen(bad) - 1);
    EXPECT(varsam_register_submit(engine, insats, bad, strlen(bad)) == VARSAM_INVALID_ARGUMENT &&
           contains(varsam_last_error(), "register submission 1") &&
           !contains(varsam_last_error(), "198501012382"));
  }
  /* JSON errors name the key. */
  episode(one, sizeof one, numbers[0], 37, ", \"namn\": \"x\"");
  EXPECT(varsam_register_submit(engine, insats, one, strlen(one)) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "'namn'"));
  EXPECT(varsam_register_submit(engine, insats, "[{\"age\": 3}]", 12) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "submissions[0].start: is required"));
  EXPECT(varsam_register_submit(engine, insats, "[1]", 3) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_register_submit(engine, insats, "[", 1) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_register_submit(NULL, insats, "[]", 2) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_register_submit(engine, NULL, "[]", 2) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_register_submit(engine, insats, NULL, 0) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "submissions_json"));

  /* The release: only the six good episodes, 2-anonymous, no number, no pseudonym. */
  {
    const char* opts = "{\"k\": 2, \"metric\": \"discernibility\", \"filter\": {\"key_epoch\": 3}}";
    EXPECT(varsam_register_export(engine, insats, opts, strlen(opts), &json) == VARSAM_OK);
    EXPECT(contains(json, "\"format\":\"varsam-register-release/1\""));
    EXPECT(contains(json, "\"records_in\":6,") && contains(json, "\"records_out\":6,"));
    EXPECT(contains(json, "\"name\":\"discernibility\""));
    EXPECT(contains(json,
                    "\"filter\":{\"case_kind\":null,\"intervention\":null,"
                    "\"region\":null,\"key_epoch\":3}"));
    EXPECT(smallest_released_class(json) >= 2);
    EXPECT(occurrences(json, "\"familjebehandling\"") + occurrences(json, "\"*\"") >= 6);
    EXPECT(!contains(json, "p1_") && !contains(json, "19850"));
    varsam_free(json);
    json = NULL;
  }
  EXPECT(varsam_register_export(engine, insats, NULL, 0, &json) == VARSAM_OK &&
         contains(json, "\"k\":5,"));
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_register_export(engine, insats, "{\"k\": 0}", 8, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         json == NULL && contains(varsam_last_error(), "options.k"));
  EXPECT(varsam_register_export(engine, insats, "{\"l\": 1}", 8, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_register_export(engine, insats, "{\"kk\": 1}", 9, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "'kk'"));
  EXPECT(varsam_register_export(engine, insats, "{\"k\": 7}", 8, &json) ==
             VARSAM_FAILED_PRECONDITION &&
         json == NULL);
  /* An officer handling a case may not release the register. */
  {
    varsam_context* officer = officer_with_role("handlaggare");
    EXPECT(varsam_register_export(engine, officer, NULL, 0, &json) == VARSAM_PERMISSION_DENIED);
    varsam_context_free(officer);
  }

  varsam_engine_close(engine);
  varsam_context_free(insats);
  varsam_context_free(report);
  remove_tree(dir);
}

/* varsam_register_submit_cases: the case lines of `varsam register submit --in`. */
static void test_register_cases(void) {
  char dir_buffer[64], options[256], one[1024], two[1024], lines[8192], wrong[16];
  const char* dir = make_store_dir(dir_buffer);
  varsam_engine* engine = NULL;
  varsam_engine_keys keys;
  varsam_context* insats = follow_up("insats", 1);
  char* json = (char*)&json;
  size_t used = 0;

  snprintf(options, sizeof options, "{\"store\": \"%s\", \"register\": {\"key_epoch\": 3}}", dir);
  memset(&keys, 0, sizeof keys);
  keys.struct_size = sizeof keys;
  keys.audit_key = test_key;
  keys.pseudonym_key = pseudonym_key;
  EXPECT(varsam_engine_open_with_keys(options, strlen(options), &keys, &engine) == VARSAM_OK);

  /* Line 1: its own case; line 2 empty; line 3: a report that led to no investigation (refused);
   * line 4: a wrong check digit (invalid; built here so that no such number is in the source);
   * line 5: no case of its own, so the context's. */
  snprintf(wrong, sizeof wrong, "%s%s", "19850101238", "3");
  used += (size_t)snprintf(lines + used, sizeof lines - used,
                           "{\"case\": {\"ref\": \"c-1\", \"kind\": \"utredning\", "
                           "\"led_to_investigation\": true, \"client\": \"k-1\"}, "
                           "\"episodes\": [%s]}\n\n",
                           episode(one, sizeof one, "198501012382", 31, ""));
  used += (size_t)snprintf(lines + used, sizeof lines - used,
                           "{\"case\": {\"ref\": \"c-2\", \"kind\": \"anmalan\", "
                           "\"led_to_investigation\": false, \"client\": \"k-2\"}, "
                           "\"episodes\": [%s]}\n",
                           episode(one, sizeof one, "198501022381", 32, ""));
  used += (size_t)snprintf(lines + used, sizeof lines - used,
                           "{\"case\": {\"ref\": \"c-3\", \"kind\": \"insats\", "
                           "\"led_to_investigation\": true, \"client\": \"k-3\"}, "
                           "\"episodes\": [%s]}\n",
                           episode(one, sizeof one, wrong, 33, ""));
  used += (size_t)snprintf(lines + used, sizeof lines - used, "{\"episodes\": [%s]}\n",
                           episode(one, sizeof one, "198501032380", 34, ""));
  EXPECT(varsam_register_submit_cases(engine, insats, lines, used, 2, &json) == VARSAM_OK);
  EXPECT(contains(json,
                  "{\"cases\":4,\"submitted\":2,\"episodes\":2,\"measurements\":2,"
                  "\"refused\":1,\"invalid\":1,\"rejected\":[{\"line\":3,"
                  "\"status\":\"permission_denied\",\"message\":\"permission denied by "
                  "reports-stay-out"));
  EXPECT(contains(json, "{\"line\":4,\"status\":\"invalid_argument\""));
  EXPECT(!contains(json, wrong) && !contains(json, "19850"));
  varsam_free(json);

  /* A bad line: nothing is submitted, the line and the key are named. */
  used = (size_t)snprintf(lines, sizeof lines, "{\"episodes\": [%s]}\n{\"episodes\": [%s]}\n",
                          episode(one, sizeof one, "198501042389", 35, ""),
                          episode(two, sizeof two, "198501052396", 36, ", \"namn\": \"Anna\""));
  json = (char*)&json;
  EXPECT(varsam_register_submit_cases(engine, insats, lines, used, 0, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         json == NULL &&
         strcmp(varsam_last_error(), "line 2: episodes[0]: unknown key 'namn'") == 0);
  EXPECT(varsam_register_submit_cases(engine, insats, "{\"episodes\": []}", 16, 1, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         strcmp(varsam_last_error(), "line 1: episodes: must be a non-empty array") == 0);
  /* Nothing read, nothing done. */
  EXPECT(varsam_register_submit_cases(engine, insats, "\n", 1, 1, &json) == VARSAM_OK &&
         contains(json, "{\"cases\":0,\"submitted\":0,"));
  varsam_free(json);
  EXPECT(varsam_register_submit_cases(engine, insats, "", 0, 65, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "threads"));
  EXPECT(varsam_register_submit_cases(engine, insats, NULL, 0, 1, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "cases_jsonl"));
  EXPECT(varsam_register_submit_cases(NULL, insats, "", 0, 1, &json) == VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_register_submit_cases(engine, insats, "", 0, 1, NULL) == VARSAM_INVALID_ARGUMENT);

  varsam_engine_close(engine);
  varsam_context_free(insats);
  remove_tree(dir);
}

/* ---- Models --------------------------------------------------------------------------------- */

/* The contents of tests/data/<name>, NUL-terminated, in `buffer`; its length. */
static size_t read_test_data(const char* name, char* buffer, size_t size) {
  char path[512];
  size_t length = 0;
  FILE* f;
  snprintf(path, sizeof path, "%s/%s", VARSAM_TEST_DATA_DIR, name);
  f = fopen(path, "rb");
  EXPECT(f != NULL);
  if (f == NULL) return 0;
  length = fread(buffer, 1, size - 1, f);
  fclose(f);
  buffer[length] = '\0';
  return length;
}

/* varsam_model_*: refusals name their rule and store nothing; an evidence-based model is taken
 * in, applied in memory in a report case, and carded. (Training on a filled register is tested
 * through the CLI, tests/cli/test_cli.py, and in C++, tests/engine_models_test.cc.) */
static void test_models(void) {
  char dir_buffer[64], file[8192], id[33];
  const char* dir = make_store_dir(dir_buffer);
  varsam_engine* engine = NULL;
  varsam_context* analyst = context_of("analytiker", "socialnamnd", "uppfoljning");
  varsam_context* provider = context_of("analytiker", "privat_utforare", "uppfoljning");
  varsam_context* officer = officer_with_role("handlaggare");
  varsam_context* report = NULL;
  char* json = NULL;
  char* card = NULL;
  size_t length;
  const char* spec =
      "{\"target\": \"dropout\", \"features\": [\"age_band\", \"sex\"], "
      "\"learner\": {\"kind\": \"logistic\"}}";
  const char* union_spec =
      "{\"target\": \"dropout\", \"features\": [\"age_band\", \"trade_union\"], "
      "\"learner\": {\"kind\": \"logistic\"}}";
  const char* origin_spec =
      "{\"target\": \"dropout\", \"features\": [\"nationality\"], "
      "\"learner\": {\"kind\": \"logistic\"}}";
  const char* bad_spec =
      "{\"target\": \"dropout\", \"features\": [\"age_band\"], "
      "\"learner\": {\"kind\": \"logistic\", \"l2\": [1, -2]}}";
  const char* answers =
      "{\"earlier_reports\": \"one\", \"child_under_3\": \"yes\", "
      "\"caregiver_substance_use\": \"yes\", \"protective_network\": \"yes\"}";
  {
    varsam_context_fields f = officer_fields();
    f.case_kind = "anmalan";
    f.case_led_to_investigation = 0;
    EXPECT(varsam_context_new(&f, &report) == VARSAM_OK);
  }
  EXPECT(open_engine(dir, test_key, &engine) == VARSAM_OK);

  /* Training: the floor and the default rules refuse special categories; a private provider
   * may not train; a malformed spec names its field; an empty register has no rows. */
  EXPECT(varsam_model_train(engine, analyst, union_spec, strlen(union_spec), NULL, &json) ==
             VARSAM_PERMISSION_DENIED &&
         json == NULL && contains(varsam_last_error(), "never-union-features"));
  EXPECT(varsam_model_train(engine, analyst, origin_spec, strlen(origin_spec), NULL, &json) ==
             VARSAM_PERMISSION_DENIED &&
         contains(varsam_last_error(), "no-origin-proxies") &&
         contains(varsam_last_error(), "Autoriteit Persoonsgegevens"));
  EXPECT(varsam_model_train(engine, provider, spec, strlen(spec), NULL, &json) ==
             VARSAM_PERMISSION_DENIED &&
         contains(varsam_last_error(), "private-provider"));
  EXPECT(varsam_model_train(engine, analyst, bad_spec, strlen(bad_spec), NULL, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "spec.learner.l2[1]"));
  EXPECT(varsam_model_train(engine, analyst, spec, strlen(spec), NULL, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         json == NULL);
  EXPECT(varsam_model_train(engine, analyst, NULL, 0, NULL, &json) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "spec_json"));
  EXPECT(varsam_model_train(engine, analyst, spec, strlen(spec), NULL, NULL) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_model_list(engine, analyst, &json) == VARSAM_OK && strcmp(json, "[]") == 0);
  varsam_free(json);
  json = NULL;

  /* An unknown model: NOT_FOUND in the officer's own case, nothing stored. */
  EXPECT(varsam_model_apply(engine, officer, "00000000000000000000000000000000", "{}", 2, &json) ==
             VARSAM_NOT_FOUND &&
         json == NULL);
  EXPECT(varsam_engine_suggestions_open(engine, officer, &json) == VARSAM_OK &&
         strcmp(json, "[]") == 0);
  varsam_free(json);
  json = NULL;

  /* An evidence-based model: taken in by an analyst, applied in a report case in memory. */
  length = read_test_data("model-evidence-example.json", file, sizeof file);
  EXPECT(varsam_model_add(engine, officer, file, length, &json) == VARSAM_PERMISSION_DENIED);
  EXPECT(varsam_model_add(engine, analyst, file, length, &json) == VARSAM_OK);
  EXPECT(contains(json, "{\"id\":\"") && is_hex32(json + 7));
  EXPECT(contains(json, "\"model\":{\"format\":\"varsam-model/1\",\"kind\":\"evidence_based\""));
  memcpy(id, json + 7, 32);
  id[32] = '\0';
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_model_list(engine, analyst, &json) == VARSAM_OK && contains(json, id) &&
         contains(json, "\"kind\":\"evidence_based\""));
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_model_apply(engine, report, id, answers, strlen(answers), &json) == VARSAM_OK);
  /* 1 + 1 + 2 + 0 points: "high" by the example's table. */
  EXPECT(contains(json, "\"suggestion\":null") && contains(json, "\"points\":4,") &&
         contains(json, "\"points_label\":\"high\"") && contains(json, "\"probability\":null"));
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_engine_suggestions_open(engine, report, &json) == VARSAM_OK &&
         strcmp(json, "[]") == 0);
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_model_apply(engine, report, id, "{\"shoe_size\": 1}", 16, &json) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_model_apply(engine, report, NULL, "{}", 2, &json) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "model_id"));

  /* The same model scored in memory: no engine, nothing stored. */
  {
    varsam_model* model = NULL;
    const char* answers_in_order[4] = {"one", "yes", "yes", "yes"};
    const char* unanswered[4] = {NULL, "yes", "yes", "yes"};
    const char* wrong[4] = {"many", "yes", "yes", "yes"};
    double probability = 0;
    int32_t points = -1;
    EXPECT(varsam_model_open(file, length, &model) == VARSAM_OK && model != NULL);
    EXPECT(varsam_model_score(model, answers_in_order, NULL, 4, &probability, &points) ==
               VARSAM_OK &&
           points == 4 && isnan(probability));
    /* An item not given counts as its reference level ("none": 0 points). */
    EXPECT(varsam_model_score(model, unanswered, NULL, 4, NULL, &points) == VARSAM_OK &&
           points == 3);
    EXPECT(varsam_model_score(model, wrong, NULL, 4, NULL, &points) == VARSAM_INVALID_ARGUMENT);
    EXPECT(varsam_model_score(model, answers_in_order, NULL, 3, NULL, &points) ==
               VARSAM_INVALID_ARGUMENT &&
           contains(varsam_last_error(), "count"));
    EXPECT(varsam_model_score(NULL, answers_in_order, NULL, 4, NULL, &points) ==
           VARSAM_INVALID_ARGUMENT);
    varsam_model_close(model);
    EXPECT(varsam_model_open("{}", 2, &model) == VARSAM_INVALID_ARGUMENT && model == NULL);
    varsam_model_close(NULL);
  }

  /* The card, without an engine; a changed file no longer matches its hash. */
  EXPECT(varsam_model_card(file, length, "markdown", &card) == VARSAM_OK &&
         contains(card, "EXAMPLE ONLY"));
  varsam_free(card);
  card = NULL;
  EXPECT(varsam_model_card(file, length, "html", &card) == VARSAM_OK && contains(card, "<html") &&
         !contains(card, "<script"));
  varsam_free(card);
  card = NULL;
  EXPECT(varsam_model_card(file, length, "pdf", &card) == VARSAM_INVALID_ARGUMENT && card == NULL &&
         contains(varsam_last_error(), "format"));
  EXPECT(varsam_model_card(NULL, 0, "html", &card) == VARSAM_INVALID_ARGUMENT);
  {
    char* at = strstr(file, "EXAMPLE ONLY");
    EXPECT(at != NULL);
    if (at != NULL) at[8] = '0'; /* "EXAMPLE 0NLY" */
    EXPECT(varsam_model_card(file, length, "markdown", &card) == VARSAM_DATA_LOSS && card == NULL);
  }

  varsam_engine_close(engine);
  varsam_context_free(analyst);
  varsam_context_free(provider);
  varsam_context_free(officer);
  varsam_context_free(report);
  remove_tree(dir);
}

/* ---- Outcome monitoring ---------------------------------------------------------------------- */

/* One case line of a synthetic client r-<i> (a client_ref, no identity number) whose ORS
 * series rises from its intake towards 40, with a small made-up wobble: intakes 8 to 32, three
 * to six sessions each. */
static size_t ors_case_line(char* buffer, size_t size, int i) {
  static const char* const dates[] = {"2025-02-03", "2025-02-10", "2025-02-17",
                                      "2025-02-24", "2025-03-03", "2025-03-10"};
  /* log(s) / log(8) for s = 1..6 */
  static const double log8[] = {0, 0.333333, 0.528321, 0.666667, 0.773976, 0.861654};
  const double intake = 8 + (i * 7) % 25;
  const int sessions = 3 + i % 4;
  size_t used = 0;
  int s;
  used += (size_t)snprintf(buffer + used, size - used,
                           "{\"case\": {\"ref\": \"rc-%d\", \"kind\": \"insats\", "
                           "\"led_to_investigation\": true, \"client\": \"r-%d\"}, "
                           "\"episodes\": [{\"client_ref\": \"r-%d\", \"age\": %d, "
                           "\"sex\": \"%s\", \"postal_code\": \"11120\", "
                           "\"intervention\": \"stodsamtal\", \"start\": \"2025-02-03\", "
                           "\"measurements\": [",
                           i, i, i, 25 + i % 40, i % 2 == 0 ? "female" : "male");
  for (s = 1; s <= sessions; ++s) {
    double total = intake;
    if (s > 1) {
      total += (40 - intake) * 0.35 * log8[s - 1] + ((i * 13 + s * 7) % 9 - 4) * 0.5;
      if (total > 40) total = 40;
      if (total < 0) total = 0;
    }
    used += (size_t)snprintf(buffer + used, size - used,
                             "%s{\"instrument\": \"ors\", \"session\": %d, \"date\": \"%s\", "
                             "\"total\": %.1f}",
                             s == 1 ? "" : ", ", s, dates[s - 1], total);
  }
  used += (size_t)snprintf(buffer + used, size - used, "]}]}\n");
  return used;
}

/* The client's own ORS form of `session` in the officer's case (made-up answers). */
static varsam_status append_ors(varsam_engine* engine, const varsam_context* officer, int session,
                                double total) {
  char measurement[512];
  int64_t id = 0;
  const double item = total / 4;
  const int day = 7 * session; /* weekly from 2026-09-07 */
  snprintf(measurement, sizeof measurement,
           "{\"client_ref\": \"k-1\", \"case_ref\": \"c-9\", \"case_kind\": \"insats\", "
           "\"instrument\": \"ors\", \"session\": %d, \"date\": \"2026-%02d-%02d\", "
           "\"responses\": [%.3f, %.3f, %.3f, %.3f], \"total\": %.1f}",
           session, day > 30 ? 10 : 9, day > 30 ? day - 30 : day, item, item, item, item, total);
  return varsam_engine_journal_append(engine, officer, measurement, strlen(measurement), &id);
}

/* The 32 hex digits after the first occurrence of `key` ("\"suggestion\":\"") in `json`. */
static int copy_id_after(const char* json, const char* key, char id[33]) {
  const char* at = json == NULL ? NULL : strstr(json, key);
  id[0] = '\0';
  if (at == NULL) return 0;
  at += strlen(key);
  if (strlen(at) < 33 || !is_hex32(at)) return 0;
  memcpy(id, at, 32);
  id[32] = '\0';
  return 1;
}

/* varsam_outcomes_*: curves fitted from a register filled through the C API, a client whose ORS
 * falls monitored, the open suggestion decided by an officer, the chart, and the refusals. */
static void test_outcomes(void) {
  static const double ors[] = {18.0, 22.0, 17.0, 9.5, 8.0};
  char dir_buffer[64], options[256], id[33], suggestion[33];
  const char* dir = make_store_dir(dir_buffer);
  varsam_engine* engine = NULL;
  varsam_engine_keys keys;
  varsam_context* analyst = context_of("analytiker", "socialnamnd", "uppfoljning");
  varsam_context* provider = context_of("analytiker", "privat_utforare", "uppfoljning");
  varsam_context* officer = NULL;
  varsam_context* report = NULL;
  varsam_context* other = NULL;
  char* lines = NULL;
  char* json = NULL;
  char* html = NULL;
  size_t used = 0, size = 128 * 1024;
  int i;
  const char* spec = "{\"instrument\": \"ors\", \"boundary_percentile\": 10, \"min_support\": 5}";
  {
    varsam_context_fields f = officer_fields();
    f.case_kind = "insats";
    EXPECT(varsam_context_new(&f, &officer) == VARSAM_OK);
    f.case_kind = "anmalan";
    f.case_led_to_investigation = 0;
    EXPECT(varsam_context_new(&f, &report) == VARSAM_OK);
    f = officer_fields();
    f.case_kind = "insats";
    f.subject_client = "k-2";
    EXPECT(varsam_context_new(&f, &other) == VARSAM_OK);
  }
  snprintf(options, sizeof options, "{\"store\": \"%s\", \"register\": {\"key_epoch\": 3}}", dir);
  memset(&keys, 0, sizeof keys);
  keys.struct_size = sizeof keys;
  keys.audit_key = test_key;
  keys.pseudonym_key = pseudonym_key;
  EXPECT(varsam_engine_open_with_keys(options, strlen(options), &keys, &engine) == VARSAM_OK);

  /* The register: 80 synthetic clients' ORS series, submitted as case lines. */
  lines = (char*)malloc(size);
  EXPECT(lines != NULL);
  if (lines == NULL) return;
  for (i = 0; i < 80; ++i) used += ors_case_line(lines + used, size - used, i);
  EXPECT(used < size - 1);
  EXPECT(varsam_register_submit_cases(engine, analyst, lines, used, 2, &json) == VARSAM_OK &&
         contains(json, "{\"cases\":80,\"submitted\":80,"));
  varsam_free(json);
  json = NULL;
  free(lines);

  /* Fitting: a strict spec naming the key, never the value; a private provider may not fit. */
  EXPECT(varsam_outcomes_fit_etr(engine, analyst, "{\"instrument\": \"ors\", \"max_sessions\": 9}",
                                 40, NULL, &json) == VARSAM_INVALID_ARGUMENT &&
         json == NULL && contains(varsam_last_error(), "unknown key 'max_sessions'"));
  EXPECT(varsam_outcomes_fit_etr(engine, analyst,
                                 "{\"instrument\": \"ors\", \"max_session\": \"Anna\"}", 44, NULL,
                                 &json) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "spec.max_session") &&
         !contains(varsam_last_error(), "Anna"));
  EXPECT(varsam_outcomes_fit_etr(engine, analyst, "{\"instrument\": \"ors\", \"min_support\": 1}",
                                 39, NULL, &json) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "spec.min_support"));
  EXPECT(varsam_outcomes_fit_etr(engine, analyst, "{\"min_support\": 5}", 18, NULL, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "spec.instrument: is required"));
  EXPECT(varsam_outcomes_fit_etr(engine, analyst, "{\"instrument\": ", 15, NULL, &json) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_outcomes_fit_etr(engine, analyst, NULL, 0, NULL, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "spec_json"));
  EXPECT(varsam_outcomes_fit_etr(engine, analyst, "{\"instrument\": \"okand\"}", 23, NULL, &json) ==
         VARSAM_NOT_FOUND);
  EXPECT(varsam_outcomes_fit_etr(engine, provider, spec, strlen(spec), NULL, &json) ==
             VARSAM_PERMISSION_DENIED &&
         contains(varsam_last_error(), "private-provider"));
  EXPECT(varsam_model_list(engine, analyst, &json) == VARSAM_OK && strcmp(json, "[]") == 0);
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_outcomes_fit_etr(engine, analyst, spec, strlen(spec), "ORS, syntetiskt", &json) ==
         VARSAM_OK);
  EXPECT(contains(json, "{\"id\":\"") && is_hex32(json + 7));
  EXPECT(contains(json,
                  "\"model\":{\"format\":\"varsam-etr/1\",\"kind\":\"etr\","
                  "\"name\":\"ORS, syntetiskt\""));
  EXPECT(!contains(json, "r-1") && !contains(json, "p1_"));
  memcpy(id, json + 7, 32);
  id[32] = '\0';
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_model_list(engine, analyst, &json) == VARSAM_OK && contains(json, id) &&
         contains(json, "\"kind\":\"etr\""));
  varsam_free(json);
  json = NULL;

  /* The client's own journal: ORS 18 at intake, then falling. */
  for (i = 0; i < 5; ++i) EXPECT(append_ors(engine, officer, i + 1, ors[i]) == VARSAM_OK);

  /* The trajectory, judged session by session (ORS: 5 points is a reliable change). */
  EXPECT(varsam_outcomes_trajectory(engine, officer, "ors", NULL, &json) == VARSAM_OK);
  EXPECT(contains(json,
                  "{\"client\":\"k-1\",\"case\":\"c-9\",\"instrument\":\"ors\","
                  "\"intake\":18.0,"));
  EXPECT(occurrences(json, "{\"session\":") == 5);
  EXPECT(contains(json,
                  "{\"session\":1,\"date\":\"2026-09-07\",\"total\":18.0,\"change\":0.0,"
                  "\"category\":null,\"rci\":null,\"reliable_change\":null,"));
  EXPECT(contains(json,
                  "{\"session\":4,\"date\":\"2026-09-28\",\"total\":9.5,\"change\":-8.5,"
                  "\"category\":\"reliably_deteriorated\","));
  EXPECT(contains(json, "\"change\":4.0,\"category\":\"no_reliable_change\","));
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_outcomes_trajectory(engine, officer, "ors", "c-9", &json) == VARSAM_OK);
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_outcomes_trajectory(engine, officer, "ors", "c-7", &json) == VARSAM_NOT_FOUND &&
         json == NULL);
  EXPECT(varsam_outcomes_trajectory(engine, officer, "phq9", NULL, &json) == VARSAM_NOT_FOUND);
  EXPECT(varsam_outcomes_trajectory(engine, officer, "okand", NULL, &json) == VARSAM_NOT_FOUND);
  EXPECT(varsam_outcomes_trajectory(engine, officer, NULL, NULL, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "instrument"));
  EXPECT(varsam_outcomes_trajectory(engine, analyst, "ors", NULL, &json) ==
             VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "subject client"));
  EXPECT(varsam_outcomes_trajectory(engine, officer, "ors", NULL, NULL) == VARSAM_INVALID_ARGUMENT);

  /* Monitoring: the sessions below the boundary become open suggestions of kind "outcome". */
  EXPECT(varsam_outcomes_monitor(engine, report, id, &json) == VARSAM_PERMISSION_DENIED &&
         json == NULL && contains(varsam_last_error(), "reports-evidence-only"));
  EXPECT(varsam_outcomes_monitor(engine, officer, "00000000000000000000000000000000", &json) ==
         VARSAM_NOT_FOUND);
  EXPECT(varsam_outcomes_monitor(engine, officer, NULL, &json) == VARSAM_INVALID_ARGUMENT &&
         contains(varsam_last_error(), "model_id"));
  /* Another client than the case's: refused, and nothing of it is read. */
  EXPECT(varsam_outcomes_monitor(engine, other, id, &json) == VARSAM_PERMISSION_DENIED &&
         contains(varsam_last_error(), "no-other-clients"));
  EXPECT(varsam_outcomes_trajectory(engine, other, "ors", NULL, &json) ==
             VARSAM_PERMISSION_DENIED &&
         json == NULL);
  EXPECT(varsam_engine_suggestions_open(engine, officer, &json) == VARSAM_OK &&
         strcmp(json, "[]") == 0);
  varsam_free(json);
  json = NULL;
  EXPECT(varsam_outcomes_monitor(engine, officer, id, &json) == VARSAM_OK);
  EXPECT(contains(json, "\"instrument\":\"ors\",\"case\":\"c-9\",\"supported\":true,"));
  EXPECT(contains(json, "\"session\":4,\"total\":9.5,\"change\":-8.5,\"expected\":"));
  EXPECT(occurrences(json, "\"track\":\"below_boundary\"") >= 2);
  EXPECT(contains(json, "\"raised\":[{\"suggestion\":\""));
  EXPECT(contains(json, "\"reason\":\"below_boundary\",\"session\":4}"));
  EXPECT(copy_id_after(json, "\"raised\":[{\"suggestion\":\"", suggestion));
  varsam_free(json);
  json = NULL;
  /* Asked again, nothing new is raised. */
  EXPECT(varsam_outcomes_monitor(engine, officer, id, &json) == VARSAM_OK &&
         contains(json, "\"raised\":[]"));
  varsam_free(json);
  json = NULL;
  /* The client's facts, for curves with predictors: curves without ignore them; they are
   * strict JSON, refused naming the key. */
  {
    static const char facts[] = "{\"intervention\":\"stodsamtal\",\"age\":34}";
    static const char wrong[] = "{\"age\":\"34\"}";
    EXPECT(varsam_outcomes_monitor_client(engine, officer, id, facts, sizeof facts - 1, &json) ==
               VARSAM_OK &&
           contains(json, "\"raised\":[]"));
    varsam_free(json);
    json = NULL;
    EXPECT(varsam_outcomes_monitor_client(engine, officer, id, wrong, sizeof wrong - 1, &json) ==
               VARSAM_INVALID_ARGUMENT &&
           json == NULL && contains(varsam_last_error(), "client.age"));
    EXPECT(varsam_outcomes_report_html_client(engine, officer, "ors", id, "sv", facts,
                                              sizeof facts - 1, &html) == VARSAM_OK &&
           contains(html, "<svg"));
    varsam_free(html);
    html = NULL;
  }

  /* The open suggestion says what and why; an officer decides, a system may not. */
  EXPECT(varsam_engine_suggestions_open(engine, officer, &json) == VARSAM_OK);
  EXPECT(contains(json, suggestion) && contains(json, "\"kind\":\"outcome\"") &&
         contains(json, "\"reason\":\"below_boundary\"") && contains(json, "inget beslut"));
  varsam_free(json);
  json = NULL;
  {
    varsam_context* system = officer_with_role("system");
    EXPECT(varsam_engine_decision_record(engine, system, suggestion, "accepted", "auto", NULL) ==
               VARSAM_PERMISSION_DENIED &&
           contains(varsam_last_error(), "human-decides"));
    varsam_context_free(system);
  }
  EXPECT(varsam_engine_decision_record(engine, officer, suggestion, "accepted",
                                       "Samtal om upplägget bokat.", NULL) == VARSAM_OK);
  EXPECT(varsam_engine_suggestions_open(engine, officer, &json) == VARSAM_OK &&
         !contains(json, suggestion));
  varsam_free(json);
  json = NULL;

  /* The client chart: a self-contained page with its SVG. */
  EXPECT(varsam_outcomes_report_html(engine, officer, "ors", id, "sv", &html) == VARSAM_OK);
  EXPECT(contains(html, "<html") && contains(html, "<svg") && !contains(html, "<script"));
  varsam_free(html);
  html = NULL;
  EXPECT(varsam_outcomes_report_html(engine, officer, "ors", NULL, "en", &html) == VARSAM_OK &&
         contains(html, "<svg"));
  varsam_free(html);
  html = NULL;
  /* Drawing the curves applies them: in an anmälan the chart with them is refused. */
  EXPECT(varsam_outcomes_report_html(engine, report, "ors", id, "sv", &html) ==
             VARSAM_PERMISSION_DENIED &&
         html == NULL && contains(varsam_last_error(), "reports-evidence-only"));
  EXPECT(varsam_outcomes_report_html(engine, officer, "ors", id, "de", &html) ==
             VARSAM_INVALID_ARGUMENT &&
         html == NULL && contains(varsam_last_error(), "language"));
  EXPECT(varsam_outcomes_report_html(engine, officer, "ors", id, NULL, &html) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_outcomes_report_html(engine, officer, "phq9", NULL, "sv", &html) ==
         VARSAM_NOT_FOUND);
  EXPECT(varsam_outcomes_report_html(engine, officer, "ors", "00000000000000000000000000000000",
                                     "sv", &html) == VARSAM_NOT_FOUND);
  EXPECT(varsam_outcomes_report_html(NULL, officer, "ors", NULL, "sv", &html) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_outcomes_report_html(engine, officer, "ors", NULL, "sv", NULL) ==
         VARSAM_INVALID_ARGUMENT);

  /* Benchmarks: the register's 80 series, all linked to a stodsamtal insats starting in their
   * intake period. */
  {
    const char* by_intervention = "{\"instrument\": \"ors\", \"by\": \"intervention\"}";
    const char* all_protected = "{\"instrument\": \"ors\", \"min_people\": 81}";
    const char* bad_key = "{\"instrument\": \"ors\", \"k\": 5}";
    const char* bad_by = "{\"instrument\": \"ors\", \"by\": \"198001022386\"}";
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, by_intervention, strlen(by_intervention),
                                      NULL, &json) == VARSAM_OK);
    EXPECT(contains(json,
                    "{\"format\":\"varsam-outcome-benchmarks/1\",\"instrument\":\"ors\","
                    "\"by\":\"intervention\",\"k\":5,\"target\":\"recovered\","
                    "\"curves\":null,"));
    EXPECT(contains(json, "\"unlinked_series\":0,"));
    EXPECT(contains(json,
                    "{\"group\":\"service\",\"service\":true,\"protected\":false,"
                    "\"people\":80,\"series\":80,"));
    EXPECT(contains(json,
                    "{\"group\":\"stodsamtal\",\"service\":false,\"protected\":false,"
                    "\"people\":80,\"series\":80,"));
    EXPECT(occurrences(json, "{\"group\":") == 2);
    EXPECT(!contains(json, "r-1") && !contains(json, "p1_"));
    varsam_free(json);
    json = NULL;
    /* With the kept curves, reaching target is against the expected curve. */
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, by_intervention, strlen(by_intervention), id,
                                      &json) == VARSAM_OK &&
           contains(json, "\"target\":\"etr\",\"curves\":\""));
    varsam_free(json);
    json = NULL;
    /* Fewer than k people: the service and its group keep their names and nothing else. */
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, all_protected, strlen(all_protected), "",
                                      &json) == VARSAM_OK);
    EXPECT(contains(json, "\"by\":\"intervention\",\"k\":81,"));
    EXPECT(contains(json, "\"adjustment\":null,\"unlinked_series\":null,"));
    EXPECT(contains(json,
                    "{\"group\":\"service\",\"service\":true,\"protected\":true,"
                    "\"people\":null,\"series\":null,\"mean_intake\":null,"
                    "\"effect_size\":null,\"severity_adjusted_effect_size\":null,"
                    "\"target_series\":null,\"reaching_target\":null,"
                    "\"reliable_improvement\":null,\"reliable_deterioration\":null,"
                    "\"recovered\":null,\"ended_series\":null,\"dropout\":null}"));
    EXPECT(contains(json,
                    "{\"group\":\"stodsamtal\",\"service\":false,\"protected\":true,"
                    "\"people\":null,"));
    EXPECT(!contains(json, "\"people\":80"));
    varsam_free(json);
    json = NULL;
    /* A private provider is refused; a strict spec names the key, never the value. */
    EXPECT(varsam_outcomes_benchmarks(engine, provider, by_intervention, strlen(by_intervention),
                                      NULL, &json) == VARSAM_PERMISSION_DENIED &&
           json == NULL && contains(varsam_last_error(), "private-provider"));
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, bad_key, strlen(bad_key), NULL, &json) ==
               VARSAM_INVALID_ARGUMENT &&
           json == NULL && contains(varsam_last_error(), "spec: unknown key 'k'"));
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, bad_by, strlen(bad_by), NULL, &json) ==
               VARSAM_INVALID_ARGUMENT &&
           contains(varsam_last_error(), "spec.by") &&
           !contains(varsam_last_error(), "198001022386"));
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, "{\"instrument\": \"okand\"}", 23, NULL,
                                      &json) == VARSAM_NOT_FOUND &&
           json == NULL);
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, by_intervention, strlen(by_intervention),
                                      "00000000000000000000000000000000",
                                      &json) == VARSAM_NOT_FOUND);
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, NULL, 0, NULL, &json) ==
               VARSAM_INVALID_ARGUMENT &&
           contains(varsam_last_error(), "spec_json"));
    EXPECT(varsam_outcomes_benchmarks(NULL, analyst, by_intervention, strlen(by_intervention), NULL,
                                      &json) == VARSAM_INVALID_ARGUMENT);
    EXPECT(varsam_outcomes_benchmarks(engine, analyst, by_intervention, strlen(by_intervention),
                                      NULL, NULL) == VARSAM_INVALID_ARGUMENT);
  }

  varsam_engine_close(engine);
  varsam_context_free(analyst);
  varsam_context_free(provider);
  varsam_context_free(officer);
  varsam_context_free(report);
  varsam_context_free(other);
  remove_tree(dir);
}

/* ---- Group insights -------------------------------------------------------------------------- */

/* The case line of synthetic client i: one insats; clients 1, 3 and 5 (female) in
 * familjebehandling, the others in stodsamtal; even clients male. */
static size_t insight_case_line(char* buffer, size_t size, int i) {
  const int fam = i == 1 || i == 3 || i == 5;
  return (size_t)snprintf(buffer, size,
                          "{\"case\": {\"ref\": \"ic-%d\", \"kind\": \"insats\", "
                          "\"led_to_investigation\": true, \"client\": \"q-%d\"}, "
                          "\"episodes\": [{\"client_ref\": \"q-%d\", \"age\": %d, "
                          "\"sex\": \"%s\", \"postal_code\": \"11120\", "
                          "\"intervention\": \"%s\", \"start\": \"2025-02-03\", "
                          "\"measurements\": []}]}\n",
                          i, i, i, 20 + i % 50, i % 2 == 0 ? "male" : "female",
                          fam ? "familjebehandling" : "stodsamtal");
}

/* varsam_insight_query: 40 synthetic clients (20 male in stodsamtal; 17 female in stodsamtal,
 * 3 in familjebehandling), people by intervention and sex with margins. */
static void test_insights(void) {
  char dir_buffer[64], options[256];
  const char* dir = make_store_dir(dir_buffer);
  varsam_engine* engine = NULL;
  varsam_engine_keys keys;
  varsam_context* analyst = context_of("analytiker", "socialnamnd", "uppfoljning");
  varsam_context* provider = context_of("analytiker", "privat_utforare", "uppfoljning");
  varsam_context* officer = officer_with_role("handlaggare");
  varsam_context* board = NULL;
  char* lines = NULL;
  char* out = (char*)&out;
  size_t used = 0, size = 16 * 1024;
  int i;
  const char* query =
      "{\"measure\": {\"kind\": \"people\"}, \"dimensions\": [\"intervention\", \"sex\"], "
      "\"margins\": true}";
  const char* by_sex = "{\"measure\": {\"kind\": \"people\"}, \"dimensions\": [\"sex\"]}";
  const char* all_but_three =
      "{\"measure\": {\"kind\": \"people\"}, \"dimensions\": [\"sex\"], "
      "\"filters\": {\"intervention\": [\"stodsamtal\"]}}";
  const char* bad_of = "{\"measure\": {\"kind\": \"mean\", \"of\": \"198001022386\"}}";

  snprintf(options, sizeof options, "{\"store\": \"%s\", \"register\": {\"key_epoch\": 3}}", dir);
  memset(&keys, 0, sizeof keys);
  keys.struct_size = sizeof keys;
  keys.audit_key = test_key;
  keys.pseudonym_key = pseudonym_key;
  EXPECT(varsam_engine_open_with_keys(options, strlen(options), &keys, &engine) == VARSAM_OK);
  lines = (char*)malloc(size);
  EXPECT(lines != NULL);
  if (lines == NULL) return;
  for (i = 0; i < 40; ++i) used += insight_case_line(lines + used, size - used, i);
  EXPECT(used < size - 1);
  EXPECT(varsam_register_submit_cases(engine, analyst, lines, used, 1, &out) == VARSAM_OK &&
         contains(out, "{\"cases\":40,\"submitted\":40,"));
  varsam_free(out);
  out = NULL;
  free(lines);

  /* NULL arguments: *out is cleared first and stays NULL. */
  out = (char*)&out;
  EXPECT(varsam_insight_query(NULL, analyst, query, strlen(query), "json", &out) ==
             VARSAM_INVALID_ARGUMENT &&
         out == NULL);
  EXPECT(varsam_insight_query(engine, NULL, query, strlen(query), "json", &out) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_insight_query(engine, analyst, NULL, 0, "json", &out) == VARSAM_INVALID_ARGUMENT &&
         out == NULL && contains(varsam_last_error(), "query_json"));
  EXPECT(varsam_insight_query(engine, analyst, query, strlen(query), "json", NULL) ==
         VARSAM_INVALID_ARGUMENT);

  /* JSON (format NULL is JSON): the register's counts, the cells of 3 people protected. */
  EXPECT(varsam_insight_query(engine, analyst, query, strlen(query), NULL, &out) == VARSAM_OK);
  EXPECT(contains(out, "{\"format\":\"varsam-insight/1\",\"query\":{"));
  EXPECT(contains(out, "\"dimensions\":[\"intervention\",\"sex\"],\"cells\":["));
  EXPECT(contains(out,
                  "{\"levels\":[\"stodsamtal\",\"male\"],\"value\":20,"
                  "\"status\":\"published\",\"flag\":\"\"}"));
  EXPECT(contains(out, "{\"levels\":[null,\"female\"],\"value\":20,\"status\":\"published\""));
  EXPECT(contains(out, "{\"levels\":[null,null],\"value\":40,\"status\":\"published\""));
  EXPECT(contains(out,
                  "{\"levels\":[\"familjebehandling\",\"female\"],\"value\":null,"
                  "\"status\":\"protected\""));
  EXPECT(contains(out,
                  "{\"levels\":[\"familjebehandling\",null],\"value\":null,"
                  "\"status\":\"protected\""));
  /* Complementary: neither 17 nor 37 (the female or the total less the three) is shown. */
  EXPECT(!contains(out, "\"value\":3,") && !contains(out, "\"value\":17,") &&
         !contains(out, "\"value\":37,"));
  EXPECT(occurrences(out, "{\"levels\":") == 9);
  EXPECT(!contains(out, "q-1") && !contains(out, "p1_"));
  varsam_free(out);
  out = NULL;
  EXPECT(varsam_insight_query(engine, analyst, query, strlen(query), "csv", &out) == VARSAM_OK);
  EXPECT(contains(out, "intervention,sex,value\r\n"));
  EXPECT(contains(out, "familjebehandling,female,..\r\n"));
  EXPECT(contains(out, "Totalt,Totalt,40\r\n"));
  varsam_free(out);
  out = NULL;
  EXPECT(varsam_insight_query(engine, analyst, query, strlen(query), "html", &out) == VARSAM_OK);
  EXPECT(contains(out, "<svg") && !contains(out, "<script"));
  varsam_free(out);
  out = NULL;

  /* A bad format, a bad query naming the field and never the value. */
  EXPECT(varsam_insight_query(engine, analyst, query, strlen(query), "xml", &out) ==
             VARSAM_INVALID_ARGUMENT &&
         out == NULL && contains(varsam_last_error(), "format"));
  EXPECT(varsam_insight_query(engine, analyst, query, strlen(query), "", &out) ==
         VARSAM_INVALID_ARGUMENT);
  EXPECT(varsam_insight_query(engine, analyst, bad_of, strlen(bad_of), "json", &out) ==
             VARSAM_INVALID_ARGUMENT &&
         out == NULL && contains(varsam_last_error(), "query.measure.of") &&
         !contains(varsam_last_error(), "198001022386"));
  EXPECT(varsam_insight_query(engine, analyst, query, 10, "json", &out) == VARSAM_INVALID_ARGUMENT);

  /* The policy: a private provider and an officer in case handling are refused. */
  EXPECT(varsam_insight_query(engine, provider, query, strlen(query), "json", &out) ==
             VARSAM_PERMISSION_DENIED &&
         out == NULL && contains(varsam_last_error(), "private-provider"));
  EXPECT(varsam_insight_query(engine, officer, query, strlen(query), "json", &out) ==
         VARSAM_PERMISSION_DENIED);

  /* Differencing, in another board's history (the guard compares every group a table shows,
   * its protected cells' too, with every group of the month's earlier releases): everyone by
   * sex, then everyone but the three. */
  {
    varsam_context_fields f = officer_fields();
    f.role = "analytiker";
    f.purpose = "uppfoljning";
    f.case_ref = NULL;
    f.subject_client = NULL;
    f.organisation_id = "0181";
    EXPECT(varsam_context_new(&f, &board) == VARSAM_OK);
  }
  EXPECT(varsam_insight_query(engine, board, by_sex, strlen(by_sex), "json", &out) == VARSAM_OK &&
         contains(out, "{\"levels\":[\"female\"],\"value\":20,"));
  varsam_free(out);
  out = NULL;
  EXPECT(varsam_insight_query(engine, board, all_but_three, strlen(all_but_three), "json", &out) ==
             VARSAM_FAILED_PRECONDITION &&
         out == NULL && contains(varsam_last_error(), "differencing"));

  varsam_engine_close(engine);
  varsam_context_free(analyst);
  varsam_context_free(provider);
  varsam_context_free(officer);
  varsam_context_free(board);
  remove_tree(dir);
}

int main(void) {
  test_version();
  test_valid_numbers();
  test_invalid_numbers_are_answers_not_failures();
  test_bad_arguments_fail_with_a_message();
  test_struct_size_bounds_the_write();
  test_find();
  test_host_instrument_loads_and_scores();
  test_nan_is_a_missing_answer();
  test_bad_answers_name_the_item();
  test_bad_arguments_to_score();
  test_score_struct_size_bounds_the_write();
  test_batch_with_a_bad_row();
  test_score_json();
  test_instrument_list();
  test_bad_definitions();
  test_configure();
  test_phq9_item_9_is_critical();
  test_audit_bands_depend_on_sex_and_items_9_10_take_0_2_4();
  test_core10_prorates_one_missing_item();
  test_configure_srs_alliance_cutoff();
  test_engine_open_refuses_bad_options();
  test_context_forms();
  test_duplicate_keys_refused();
  test_policy_check_without_engine();
  test_engine_case();
  test_anonymize();
  test_register();
  test_register_cases();
  test_models();
  test_outcomes();
  test_insights();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
