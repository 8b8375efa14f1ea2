/*
 * varsam.h — the stable C ABI of varsam, lawful AI decision support for Swedish social
 * services. Case systems call this from C, C#, Java, Python or anything that can call C.
 *
 * Conventions (the whole story is in docs/c-api.md):
 *  - C99; this header includes only <stddef.h> and <stdint.h>. Every symbol is varsam_* or
 *    VARSAM_*, named varsam_<noun>_<verb>.
 *  - Every fallible function returns varsam_status. VARSAM_OK is 0; the other values are the
 *    canonical status codes of absl::Status (and gRPC), one to one, and never change.
 *    varsam_last_error() gives the message of the last failure on the calling thread.
 *  - Output parameters come last. Memory the library returns is owned by the caller and freed
 *    with varsam_free(); pointers documented as borrowed are not.
 *  - Structs the caller passes begin with uint32_t struct_size, set by the caller to
 *    sizeof(the struct) as its header declares it. Structs only grow at the end; the library
 *    reads and writes only the first struct_size bytes, so old callers keep working.
 *  - Invalid input of any kind returns a status and a message: never a crash, an assert or a
 *    half-written result. No message ever contains personal data.
 *  - Thread safety is stated per function; everything in this version may be called from any
 *    number of threads at once.
 *
 * Copyright the varsam authors. Licensed under the Apache License, Version 2.0.
 */
#ifndef VARSAM_H_
#define VARSAM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Export and version ------------------------------------------------------------------ */

#if defined(VARSAM_STATIC_DEFINE)
#define VARSAM_API
#elif defined(_WIN32)
#if defined(VARSAM_BUILDING)
#define VARSAM_API __declspec(dllexport)
#else
#define VARSAM_API __declspec(dllimport)
#endif
#else
#define VARSAM_API __attribute__((visibility("default")))
#endif

/* The version of this header. CMake reads the project version from these three lines. */
#define VARSAM_VERSION_MAJOR 0
#define VARSAM_VERSION_MINOR 1
#define VARSAM_VERSION_PATCH 0
#define VARSAM_VERSION_STRING "0.1.0"
#define VARSAM_VERSION_NUMBER \
  (VARSAM_VERSION_MAJOR * 1000000 + VARSAM_VERSION_MINOR * 1000 + VARSAM_VERSION_PATCH)

/* The version of the library actually linked, as VARSAM_VERSION_NUMBER. A host asserts
 * varsam_version_number() / 1000000 == VARSAM_VERSION_MAJOR at start-up. Thread-safe. */
VARSAM_API int32_t varsam_version_number(void);

/* The linked library's version as "MAJOR.MINOR.PATCH". Borrowed, static. Thread-safe. */
VARSAM_API const char* varsam_version_string(void);

/* ---- Status and errors ------------------------------------------------------------------- */

/* The outcome of a call. Values equal absl::StatusCode; new values may be added, existing
 * ones never change. */
typedef enum varsam_status {
  VARSAM_OK = 0,
  VARSAM_CANCELLED = 1,
  VARSAM_UNKNOWN = 2,
  VARSAM_INVALID_ARGUMENT = 3, /* bad input: NULL, bad UTF-8, out of range, malformed JSON */
  VARSAM_DEADLINE_EXCEEDED = 4,
  VARSAM_NOT_FOUND = 5,
  VARSAM_ALREADY_EXISTS = 6,
  VARSAM_PERMISSION_DENIED = 7, /* refused by the policy; the message names rule and citation */
  VARSAM_RESOURCE_EXHAUSTED = 8,
  VARSAM_FAILED_PRECONDITION = 9,
  VARSAM_ABORTED = 10,
  VARSAM_OUT_OF_RANGE = 11,
  VARSAM_UNIMPLEMENTED = 12,
  VARSAM_INTERNAL = 13, /* a bug in varsam: please report it */
  VARSAM_UNAVAILABLE = 14,
  VARSAM_DATA_LOSS = 15,
  VARSAM_UNAUTHENTICATED = 16
} varsam_status;

/* The message of the most recent failed call on the calling thread, or "" when none failed.
 * Borrowed: valid until the next varsam_* call on the same thread. Never NULL, never personal
 * data. */
VARSAM_API const char* varsam_last_error(void);

/* The stable lower-case name of a status ("ok", "invalid_argument", "permission_denied", ...).
 * Borrowed, static; "unknown" for values this version does not know. */
VARSAM_API const char* varsam_status_name(varsam_status status);

/* Frees memory that a varsam_* function returned to the caller. varsam_free(NULL) does
 * nothing. Thread-safe. */
VARSAM_API void varsam_free(void* memory);

/* ---- Identity numbers (personnummer, samordningsnummer) ---------------------------------- */

typedef enum varsam_id_kind {
  VARSAM_ID_KIND_NONE = 0, /* not a valid number */
  VARSAM_ID_KIND_PERSONNUMMER = 1,
  VARSAM_ID_KIND_SAMORDNINGSNUMMER = 2 /* coordination number: day of birth + 60 */
} varsam_id_kind;

typedef enum varsam_sex {
  VARSAM_SEX_UNKNOWN = 0,
  VARSAM_SEX_FEMALE = 1,
  VARSAM_SEX_MALE = 2
} varsam_sex;

/* Why a text is not a valid identity number; checked in this order. */
typedef enum varsam_id_error {
  VARSAM_ID_ERROR_NONE = 0,
  VARSAM_ID_ERROR_FORMAT = 1,       /* not one of the accepted forms */
  VARSAM_ID_ERROR_CHECK_DIGIT = 2,  /* Luhn check digit does not match */
  VARSAM_ID_ERROR_NO_SUCH_DATE = 3, /* month/day do not exist (e.g. 1900-02-29) */
  VARSAM_ID_ERROR_CENTURY = 4       /* ten-digit form whose separator contradicts `today` */
} varsam_id_error;

/* The result of varsam_id_check(). Set struct_size = sizeof(varsam_id_result) first. */
typedef struct varsam_id_result {
  uint32_t struct_size;
  int32_t valid;                /* 1 when the number is valid, else 0 */
  int32_t error;                /* varsam_id_error; VARSAM_ID_ERROR_NONE when valid */
  int32_t kind;                 /* varsam_id_kind */
  int32_t sex;                  /* varsam_sex, from the second-to-last digit */
  int32_t official_test_number; /* 1 when in Skatteverket's official test-number list */
  int32_t birth_year;           /* real date of birth (samordningsnummer: day - 60) */
  int32_t birth_month;
  int32_t birth_day;
  char normalized[13]; /* "YYYYMMDDNNNN" and a NUL; "" when not valid */
} varsam_id_result;

/* Checks one identity number and fills *result.
 *
 * number, number_length: the text, not necessarily NUL-terminated. Accepted forms:
 *   YYYYMMDDNNNN, YYYYMMDD-NNNN, YYMMDDNNNN, YYMMDD-NNNN, YYMMDD+NNNN
 * (`+` = the person turns 100 or more in the reference year). Nothing else, not even spaces.
 * today_yyyymmdd: the reference date that resolves the century of ten-digit forms, as the
 *   integer YYYYMMDD (e.g. 20261128) with a four-digit year (1000..9999); 0 means today's
 *   date in Sweden.
 *
 * Returns VARSAM_OK whenever the check ran, whether or not the number is valid: read
 * result->valid and result->error. Returns VARSAM_INVALID_ARGUMENT (and fills nothing) when
 * number or result is NULL, result->struct_size is smaller than the struct of version 0.1
 * (through `normalized`), or today_yyyymmdd is not a real date. Never allocates. Thread-safe. */
VARSAM_API varsam_status varsam_id_check(const char* number, size_t number_length,
                                         int32_t today_yyyymmdd, varsam_id_result* result);

/* A short English reason for a varsam_id_error ("check digit does not match", ...), without
 * any part of the number. Borrowed, static. */
VARSAM_API const char* varsam_id_error_message(int32_t error);

/* Finds the identity numbers in a free text (every form varsam_id_check accepts, and the
 * same with a space in place of the separator); only candidates with a valid check digit,
 * date and century count. On VARSAM_OK, *json_out is a new NUL-terminated UTF-8 JSON array,
 * owned by the caller and freed with varsam_free(), one object per match in text order:
 *   {"offset": bytes, "length": bytes, "normalized": "YYYYMMDDNNNN",
 *    "kind": "personnummer"|"samordningsnummer", "official_test_number": true|false}
 * text need not be UTF-8 (offsets are in bytes). today_yyyymmdd as for varsam_id_check.
 * VARSAM_INVALID_ARGUMENT when text (with text_length > 0) or json_out is NULL or the date is
 * not real; *json_out is then NULL. Thread-safe. */
VARSAM_API varsam_status varsam_id_find(const char* text, size_t text_length,
                                        int32_t today_yyyymmdd, char** json_out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VARSAM_H_ */
