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
 * ones never change. A caller may hand varsam_status_name() any non-negative 32-bit value (a
 * status from a newer varsam, say): VARSAM_STATUS_MAX_ makes every such value one of this
 * type's, in C and in C++. It is not a status. */
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
  VARSAM_UNAUTHENTICATED = 16,
  VARSAM_STATUS_MAX_ = 0x7FFFFFFF
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

/* ---- Identity numbers (personnummer, samordningsnummer, interimsnummer) ------------------ */

typedef enum varsam_id_kind {
  VARSAM_ID_KIND_NONE = 0, /* not a valid number */
  VARSAM_ID_KIND_PERSONNUMMER = 1,
  VARSAM_ID_KIND_SAMORDNINGSNUMMER = 2, /* coordination number: day of birth + 60 */
  VARSAM_ID_KIND_INTERIMSNUMMER = 3     /* interim/reserve number: YYYYMMDD-Tnnc, a letter */
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
  VARSAM_ID_ERROR_CENTURY = 4,      /* separator (`+`, or `-` of a ten-digit form) contradicts
                                       `today` */
  VARSAM_ID_ERROR_SERIAL = 5        /* birth serial 000, never issued (checked after the date) */
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
  char normalized[13]; /* "YYYYMMDDNNNN" and a NUL ("YYYYMMDDTNNN" for an interimsnummer);
                          "" when not valid */
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

/* Finds the identity numbers in a free text as a person reads it (docs/identity-numbers.md):
 * every form varsam_id_check accepts, with a space, `.` or `/` in place of the separator or
 * digit pairs with spaces, and every Unicode dash, space separator, invisible format character
 * and digit form read as what it stands for (`800102–2386` with an en dash is found); only
 * candidates with a valid check digit, date and century count. On VARSAM_OK, *json_out is a new
 * NUL-terminated UTF-8 JSON array, owned by the caller and freed with varsam_free(), one object per
 * match in text order:
 *   {"offset": bytes, "length": bytes, "normalized": "YYYYMMDDNNNN",
 *    "kind": "personnummer"|"samordningsnummer"|"interimsnummer",
 *    "official_test_number": true|false}
 * text need not be UTF-8; offset and length are the exact bytes the number was written with.
 * today_yyyymmdd as for varsam_id_check.
 * VARSAM_INVALID_ARGUMENT when text (with text_length > 0) or json_out is NULL or the date is
 * not real; *json_out is then NULL. Thread-safe. */
VARSAM_API varsam_status varsam_id_find(const char* text, size_t text_length,
                                        int32_t today_yyyymmdd, char** json_out);

/* ---- Instruments: scoring standardised forms ---------------------------------------------- */
/* PHQ-9, GAD-7, AUDIT, AUDIT-C, DUDIT, CORE-10, K10, KASAM/SOC-13 and -29, ORS, CORS, SRS, CSRS
 * are built in (docs/instruments.md); a host adds its own with varsam_instrument_load(). Answers
 * are doubles in item order; VARSAM_MISSING (NaN) marks an unanswered item. An answer that is
 * infinite, out of range, has decimals where none are allowed or is not an allowed value is bad
 * input: VARSAM_INVALID_ARGUMENT and a message naming the item (never the answer). Instrument
 * definitions, once loaded, are never freed: the strings below that point into them are
 * borrowed and valid until the process ends. Every function here is thread-safe. */

#if defined(__GNUC__) || defined(__clang__)
#define VARSAM_MISSING (__builtin_nan("")) /* elsewhere: NAN from <math.h> */
#endif

typedef enum varsam_severity {
  VARSAM_SEVERITY_NONE = 0,
  VARSAM_SEVERITY_INFO = 1,
  VARSAM_SEVERITY_WARNING = 2,
  VARSAM_SEVERITY_CRITICAL = 3
} varsam_severity;

/* Who answered the form, as far as the rules need it (sex- and age-specific cut-offs, the
 * drop since the last session). Set struct_size = sizeof(varsam_respondent). */
typedef struct varsam_respondent {
  uint32_t struct_size;
  int32_t sex;           /* varsam_sex; VARSAM_SEX_UNKNOWN when not given; others refused */
  int32_t age;           /* whole years; negative when unknown */
  double previous_total; /* the previous session's total; NaN when none; infinite refused */
} varsam_respondent;

/* At most this many flags are listed in varsam_score_result (an instrument has at most 32;
 * flag_bits always holds all of them). */
#define VARSAM_SCORE_MAX_FLAGS 8

/* One form's score. Set struct_size = sizeof(varsam_score_result) first. */
typedef struct varsam_score_result {
  uint32_t struct_size;
  int32_t scored;     /* 1 when there is a total; 0 when too many items are missing */
  double total;       /* the total (prorated when prorated = 1); NaN when not scored */
  int32_t band_index; /* index of the band in the instrument's "bands" list; -1 when none */
  const char* band;   /* the band id ("moderate"), borrowed; NULL when none */
  int32_t answered;
  int32_t missing;
  int32_t prorated;                          /* 1 when the total was prorated over missing items */
  uint32_t flag_bits;                        /* bit i: the instrument's flag i was raised */
  int32_t flag_count;                        /* flags raised (all of them, even beyond the array) */
  int32_t max_severity;                      /* varsam_severity of the worst flag raised */
  const char* flags[VARSAM_SCORE_MAX_FLAGS]; /* codes of the first flags raised, borrowed */
  int32_t flag_severities[VARSAM_SCORE_MAX_FLAGS]; /* varsam_severity of each */
} varsam_score_result;

/* Scores one form of `instrument` (an id: "phq9", "audit", ...). responses holds `count`
 * answers, which must be the instrument's number of items. respondent may be NULL (nothing
 * known). VARSAM_OK when the form was scored or had too many missing answers to score (then
 * result->scored = 0); VARSAM_NOT_FOUND for an unknown instrument; VARSAM_INVALID_ARGUMENT for
 * NULL arguments, a wrong count, a struct_size too small (of result or respondent), a
 * respondent whose sex is not a varsam_sex or whose previous_total is infinite, or bad answers.
 * result is filled only on VARSAM_OK. Does not allocate. */
VARSAM_API varsam_status varsam_score(const char* instrument, const double* responses, size_t count,
                                      const varsam_respondent* respondent,
                                      varsam_score_result* result);

/* Per-form columns for varsam_score_batch(). Each pointer may be NULL; those given have one
 * entry per form. Set struct_size = sizeof(varsam_score_columns). */
typedef struct varsam_score_columns {
  uint32_t struct_size;
  /* in */
  const int32_t* sex;           /* varsam_sex per form; NULL: unknown for all */
  const int32_t* age;           /* years per form, negative = unknown; NULL: unknown */
  const double* previous_total; /* NaN = none; NULL: none */
  /* out */
  double* total;   /* NaN when not scored */
  int32_t* band;   /* band index, -1 when none */
  uint32_t* flags; /* flag bits */
  int32_t* status; /* 0 scored, 1 too many missing, 2 invalid answers */
} varsam_score_columns;

/* Scores `forms` forms of one instrument stored row-major in `responses` (forms ×
 * items_per_form doubles, NaN = missing), writing one entry per form into the output columns.
 * A form with bad answers does not stop the batch: it gets status 2. VARSAM_OK with
 * *invalid_forms (may be NULL) set to the number of forms with status 2; VARSAM_NOT_FOUND,
 * or VARSAM_INVALID_ARGUMENT when items_per_form is not the instrument's item count, a
 * pointer is NULL (responses and columns may be NULL only when forms is 0), columns->struct_size
 * is too small, or a respondent entry is bad (sex not 0, 1 or 2, age above 150, infinite
 * previous total); the columns are then not written. Does not allocate. */
VARSAM_API varsam_status varsam_score_batch(const char* instrument, const double* responses,
                                            size_t forms, size_t items_per_form,
                                            varsam_score_columns* columns, size_t* invalid_forms);

/* Scores one form given as JSON (UTF-8):
 *   {"instrument": "phq9", "responses": [1, 2, null, ...], "sex": "female"|"male"|null,
 *    "age": N|null, "previous_total": N|null, "language": "en"|"sv"}
 * (null = missing answer; only "instrument" and "responses" are required; "age" is a whole
 * number >= 0). On VARSAM_OK, *json_out is the result as `varsam score --json` prints it
 * (docs/cli.md), with flag messages in the chosen language, owned by the caller, freed with
 * varsam_free(). Errors as varsam_score(), and VARSAM_INVALID_ARGUMENT for malformed JSON, an
 * unknown key or a value of the wrong type (the message names the key or the item); *json_out
 * is then NULL. */
VARSAM_API varsam_status varsam_score_json(const char* request, size_t request_length,
                                           char** json_out);

/* Every instrument known (built-in and loaded) as a JSON array of descriptions: id, names,
 * items, total range, band ids in index order, flags in bit order (code, severity, messages,
 * conditions), subscales, settings, sources, licence, notes, the change rule ("change", null
 * when none). *json_out is owned by the caller, freed with varsam_free(). */
VARSAM_API varsam_status varsam_instrument_list(char** json_out);

/* Loads a host's own instrument definition (docs/instrument-format.md), validated by the same
 * loader as the built-ins. VARSAM_INVALID_ARGUMENT naming the problem for a bad definition,
 * VARSAM_ALREADY_EXISTS when its id is taken. */
VARSAM_API varsam_status varsam_instrument_load(const char* json, size_t json_length);

/* Changes settings of an instrument (cut-offs the sources leave open, e.g. the SRS alliance
 * cut-off): settings_json is an object {"name": number, ...}. The instrument is rebuilt and
 * validated again; on any error the old one stays. VARSAM_NOT_FOUND, VARSAM_INVALID_ARGUMENT
 * for an unknown setting or a value out of its range. */
VARSAM_API varsam_status varsam_instrument_configure(const char* instrument,
                                                     const char* settings_json,
                                                     size_t settings_length);

/* ---- The engine: purpose-checked access, audit, suggestions and decisions ------------------ */
/* A varsam_engine owns a store (the journal, the register and the audit log), the policy packs
 * and the audit signing key. Every call below that takes a context is guard -> audit event ->
 * work: the policy decides for the context, the decision is appended to the audit log and is
 * durable before any work is done, and a denial returns VARSAM_PERMISSION_DENIED with
 * varsam_last_error() naming the rule ids, their citations and the explanation (never personal
 * data). If the audit event cannot be written nothing is done (fail closed). docs/c-api.md has
 * the JSON forms; docs/legal-basis.md the rules. An engine may be used from any number of
 * threads at once; a context is immutable and may be shared between threads. */

typedef struct varsam_engine varsam_engine;
typedef struct varsam_context varsam_context;

/* Called once by varsam_engine_open to fill the 32 raw bytes of the Ed25519 private key that
 * signs audit checkpoints. Return VARSAM_OK, or any other status to refuse (the open then fails
 * with VARSAM_UNAUTHENTICATED). The library wipes its copies of the key. */
typedef varsam_status (*varsam_key_callback)(void* user_data, uint8_t private_key[32]);

/* Opens an engine. options_json (UTF-8):
 *   {"store": "DIR" | "postgresql://...",          (required)
 *    "policy_packs": ["<pack JSON text>", ...],     (the host's packs, after the built-in one)
 *    "checkpoint_every_events": 1000, "checkpoint_every_seconds": 60}
 * Unknown keys are refused. On VARSAM_OK, *engine_out is a new engine, closed with
 * varsam_engine_close(). VARSAM_INVALID_ARGUMENT for bad options or a bad host pack (the
 * message names the rule or line), VARSAM_NOT_FOUND / VARSAM_UNAVAILABLE /
 * VARSAM_FAILED_PRECONDITION from the store, VARSAM_UNAUTHENTICATED when the key callback
 * refuses; *engine_out is then NULL. */
VARSAM_API varsam_status varsam_engine_open(const char* options_json, size_t options_length,
                                            varsam_key_callback key, void* key_user_data,
                                            varsam_engine** engine_out);

/* Writes a final signed checkpoint and closes the engine. NULL does nothing. No call on the
 * engine may be running or follow. Close every engine before the process exits (from atexit
 * or a static destructor it may be too late: OpenSSL cleans itself up at exit). */
VARSAM_API void varsam_engine_close(varsam_engine* engine);

/* A context from its JSON form (keys stable; add, never rename):
 *   {"actor": "a-17", "role": "handlaggare", "organisation": {"kind": "socialnamnd", "id": "0180"},
 *    "purpose": "handlaggning",
 *    "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": true, "client": "k-1"},
 *    "subject_client": "k-1", "time": "2026-11-28T10:00:00Z", "ethics_approval": null}
 * VARSAM_INVALID_ARGUMENT naming the key at fault (never its value). Free with
 * varsam_context_free(). */
VARSAM_API varsam_status varsam_context_from_json(const char* json, size_t json_length,
                                                  varsam_context** context_out);

/* The same context from fields. Set struct_size = sizeof(varsam_context_fields). Strings are
 * NUL-terminated UTF-8 glossary ids (docs/architecture.md); NULL for the optional ones. */
typedef struct varsam_context_fields {
  uint32_t struct_size;
  const char* actor;                 /* required */
  const char* role;                  /* required: "handlaggare", "arbetsledare", ... */
  const char* organisation_kind;     /* required: "socialnamnd", "privat_utforare" */
  const char* organisation_id;       /* required: municipality code, four digits */
  const char* purpose;               /* required: "handlaggning", "uppfoljning", ... */
  const char* case_ref;              /* NULL: the call is outside a case (the next three ignored) */
  const char* case_kind;             /* required with case_ref: "anmalan", ..., "uppfoljning" */
  int32_t case_led_to_investigation; /* 0 or 1 */
  const char* case_client;           /* required with case_ref */
  const char* subject_client;        /* NULL: none */
  int64_t time_unix_micros;          /* the event's time, microseconds since 1970 UTC */
  const char* ethics_approval;       /* NULL: none */
} varsam_context_fields;

VARSAM_API varsam_status varsam_context_new(const varsam_context_fields* fields,
                                            varsam_context** context_out);

/* The context's JSON form (as above), owned by the caller, freed with varsam_free(). */
VARSAM_API varsam_status varsam_context_to_json(const varsam_context* context, char** json_out);

/* Frees a context. NULL does nothing. */
VARSAM_API void varsam_context_free(varsam_context* context);

/* The policy's decision on `action` ("score", "journal.read", ..., "audit.read") with an
 * optional resource (JSON {"model_kind": ..., "decider_role": ..., "field_class": ...,
 * "lookup": ..., "report_about": ..., "feature_classes": [...]}; NULL or "" for none), for a
 * call the host makes itself. Audited (result "checked"). VARSAM_OK whether the decision allows or
 * denies; *json_out is
 *   {"decision": "allow"|"deny", "rules": [...], "citations": [...], "explanation": "...",
 *    "explanation_sv": "..."}
 * (`varsam policy check --json` prints the first four keys, the explanation in its --lang). */
VARSAM_API varsam_status varsam_engine_check(varsam_engine* engine, const varsam_context* context,
                                             const char* action, const char* resource_json,
                                             size_t resource_length, char** json_out);

/* The same decision from the built-in pack alone, without an engine and not audited (for
 * trying a context out; `varsam policy check`). */
VARSAM_API varsam_status varsam_policy_check(const varsam_context* context, const char* action,
                                             const char* resource_json, size_t resource_length,
                                             char** json_out);

/* Action "score": scores one form given as for varsam_score_json(); every flag raised is stored
 * as an open suggestion about the context's subject client and case. *json_out is the
 * varsam_score_json() result with "suggestions": [{"id": "<32 hex>", "flag": "<code>"}, ...]
 * in the order of "flags". A form that raises flags needs the context's case and subject client
 * (VARSAM_INVALID_ARGUMENT otherwise). */
VARSAM_API varsam_status varsam_engine_score(varsam_engine* engine, const varsam_context* context,
                                             const char* request, size_t request_length,
                                             char** json_out);

/* Action "journal.write": appends one measurement (JSON)
 *   {"client_ref": "k-1", "case_ref": "c-9", "case_kind": "utredning", "instrument": "phq9",
 *    "session": 1, "date": "2026-11-28", "responses": [1, 2, null, ...], "total": 12 | null,
 *    "band": "moderate" | null, "flags": ["..."]}
 * whose client_ref must be the context's subject client. *id_out is the store's id. */
VARSAM_API varsam_status varsam_engine_journal_append(varsam_engine* engine,
                                                      const varsam_context* context,
                                                      const char* measurement_json,
                                                      size_t measurement_length, int64_t* id_out);

/* Action "journal.read": the measurements of client_ref (the context's subject client) as a
 * JSON array of the objects above, each with its "id", in (date, id) order. */
VARSAM_API varsam_status varsam_engine_journal_history(varsam_engine* engine,
                                                       const varsam_context* context,
                                                       const char* client_ref, char** json_out);

/* Action "journal.read": the open suggestions of the context's case as a JSON array of
 *   {"id": "...", "kind": "flag", "created": "YYYY-MM-DD", "content": {...}}
 * in (created, id) order. */
VARSAM_API varsam_status varsam_engine_suggestions_open(varsam_engine* engine,
                                                        const varsam_context* context,
                                                        char** json_out);

/* Action "decision.record": an officer's decision on an open suggestion about the context's
 * subject client; outcome "accepted", "rejected" or "modified". Refused (rule human-decides)
 * unless the context's role is a human officer's. VARSAM_NOT_FOUND for an unknown suggestion,
 * VARSAM_FAILED_PRECONDITION when it is already decided. *id_out (may be NULL) is the
 * decision's id. */
VARSAM_API varsam_status varsam_engine_decision_record(varsam_engine* engine,
                                                       const varsam_context* context,
                                                       const char* suggestion_id,
                                                       const char* outcome, const char* rationale,
                                                       int64_t* id_out);

/* Action "insight.query": override rates of suggestions made from from_yyyymmdd to
 * to_yyyymmdd (inclusive) as a JSON array of
 *   {"kind": "flag", "code": "phq9/suicide_risk_followup", "suggestions": n, "decided": n,
 *    "accepted": n, "rejected": n, "modified": n, "override_rate": x | null}
 * ordered by kind and code. */
VARSAM_API varsam_status varsam_engine_override_rates(varsam_engine* engine,
                                                      const varsam_context* context,
                                                      int32_t from_yyyymmdd, int32_t to_yyyymmdd,
                                                      char** json_out);

/* Action "audit.read": verifies the whole audit log with the engine's public key. VARSAM_OK
 * whenever the log could be read; *json_out is the report as `varsam audit verify --json`
 * prints it ({"ok": true|false, "events": n, "checkpoints": n, "first_bad_seq": n | null,
 * "reason": null | "...", "signatures_checked": true, "root": "<hex>"}). */
VARSAM_API varsam_status varsam_engine_audit_verify(varsam_engine* engine,
                                                    const varsam_context* context, char** json_out);

/* Action "audit.read": the inclusion proof of event `seq` in the tree of tree_size events (0:
 * the latest checkpoint's, or the whole log when that does not cover seq) as JSON
 *   {"seq": n, "tree_size": n, "leaf_hash": "<hex>", "root": "<hex>", "path": ["<hex>", ...]}
 * VARSAM_OUT_OF_RANGE when seq is not in the tree. */
VARSAM_API varsam_status varsam_engine_audit_prove_inclusion(varsam_engine* engine,
                                                             const varsam_context* context,
                                                             int64_t seq, int64_t tree_size,
                                                             char** json_out);

/* Action "audit.read": the consistency proof between the trees of old_size and new_size events
 * (0: the whole log) as JSON {"old_size": n, "new_size": n, "old_root": "<hex>",
 * "new_root": "<hex>", "path": ["<hex>", ...]}. VARSAM_OUT_OF_RANGE unless
 * 0 <= old_size <= new_size <= the log's size. */
VARSAM_API varsam_status varsam_engine_audit_prove_consistency(varsam_engine* engine,
                                                               const varsam_context* context,
                                                               int64_t old_size, int64_t new_size,
                                                               char** json_out);

/* The engine's audit public key (raw Ed25519) as 64 hex digits and a NUL, into key_hex. */
VARSAM_API varsam_status varsam_engine_audit_public_key(const varsam_engine* engine,
                                                        char key_hex[65]);

/* ---- Anonymisation: records through the pipeline into a k-anonymous release --------------- */
/* docs/anonymisation.md ("Using the pipeline") and docs/c-api.md ("Anonymisation"). One call
 * takes a batch of records with their schema and returns the release and its report, as
 * `varsam anonymize` does for a CSV file. Nothing is written anywhere; no file is read. */

/* Called at most once per varsam_anonymize, and only when a field of the schema has a
 * "pseudonym" kind, to fill the 32-byte HMAC key of key epoch `epoch`. Return VARSAM_OK, or any
 * other status to refuse (the call then fails with VARSAM_UNAUTHENTICATED). The library wipes
 * its copies of the key. */
typedef varsam_status (*varsam_pseudonym_key_callback)(void* user_data, int32_t epoch,
                                                       uint8_t key[32]);

/* Anonymises a batch of records. request_json (UTF-8):
 *   {"schema": {"format": "varsam-anonymize-schema/1", "fields": [...]},   (required; or its text)
 *    "records": [{"FIELD": "value", ...}, ...],  (required; keyed by field name; a missing field
 *                                                 or null is ""; whole numbers are their digits)
 *    "k": 5,                                     (required, 1..1000000)
 *    "l": 0, "sensitive": "FIELD" | null,        (distinct l-diversity: 0 = none, or >= 2)
 *    "max_suppression": 0.02,                    (fraction of records that may go, 0..1)
 *    "key_epoch": 0,                             (the pseudonym key's epoch)
 *    "names": ["..."],                           (the host's names to scrub from free text)
 *    "today": "YYYY-MM-DD" | null,               (reference date; null: today in Sweden)
 *    "hierarchies": {"FILE": "<csv text>"}}      (the csv hierarchies the schema names)
 * Unknown keys are refused. On VARSAM_OK, *json_out is owned by the caller, freed with
 * varsam_free():
 *   {"header": ["FIELD", ...], "rows": [["value", ...], ...], "report": {...}}
 * with the released records in input order and the report as `varsam anonymize --report`
 * writes it ("varsam-anonymize-report/1"). key may be NULL when no field has a pseudonym kind.
 * Errors (*json_out is then NULL; nothing is released):
 *   VARSAM_INVALID_ARGUMENT: NULL request_json or json_out, malformed JSON, an unknown key, a
 *     record key that is not a field of the schema, a bad schema, a value of the wrong type, a
 *     value a hierarchy does not know or an identity number, e-mail address or phone number in
 *     a kept field; the message names the key, the field and the record's index
 *     ("request.records[3]: field 'postnummer': ..."), never a value.
 *   VARSAM_FAILED_PRECONDITION: a forbidden field holds a value (naming field and index), no
 *     generalisation satisfies the model within the suppression budget, or a pseudonym field
 *     without a key callback.
 *   VARSAM_UNAUTHENTICATED: the key callback refused.
 * Thread-safe; the callback is called on the calling thread. */
VARSAM_API varsam_status varsam_anonymize(const char* request_json, size_t request_length,
                                          varsam_pseudonym_key_callback key, void* key_user_data,
                                          char** json_out);

/* ---- The register: cases in, k-anonymous releases out ----------------------------------- */
/* docs/anonymisation.md ("The register") and docs/c-api.md ("The register"). Submission
 * pseudonymises (keyed, under the engine's key epoch) and generalises each episode before it is
 * stored; a release runs the optimal k-anonymity search over what it releases. Both are guarded
 * and audited like every engine call. */

/* The keys of an engine. Set struct_size = sizeof(varsam_engine_keys). audit_key is required
 * (as varsam_engine_open's key); pseudonym_key may be NULL, and register submission is then
 * refused (VARSAM_FAILED_PRECONDITION). Each callback is called once, during the open, on the
 * calling thread: its user data need not outlive varsam_engine_open_with_keys. The pseudonym key
 * asked for is that of options' "register": {"key_epoch": n}. */
typedef struct varsam_engine_keys {
  uint32_t struct_size;
  varsam_key_callback audit_key;
  void* audit_key_user_data;
  varsam_pseudonym_key_callback pseudonym_key;
  void* pseudonym_key_user_data;
} varsam_engine_keys;

/* varsam_engine_open with both keys. options_json as for varsam_engine_open, and
 *   "register": {"key_epoch": 0, "age_level": 1, "period_level": 2}
 * (the epoch new register rows are pseudonymised under; the register's age bands, 1 = five
 * years, 2 = ten, 3 = twenty; its periods, 1 = month, 2 = quarter, 3 = year). Errors as
 * varsam_engine_open, and VARSAM_UNAUTHENTICATED when the pseudonym key callback refuses. */
VARSAM_API varsam_status varsam_engine_open_with_keys(const char* options_json,
                                                      size_t options_length,
                                                      const varsam_engine_keys* keys,
                                                      varsam_engine** engine_out);

/* Action "register.submit" for the context's case (its kind and whether it led to an
 * investigation decide; a report that did not is refused by rule reports-stay-out, trade-union
 * data by never-union). submissions_json is an array of episodes (or one episode):
 *   [{"personnummer": "YYYYMMDDNNNN", "client_ref": "k-1", "age": 34, "sex": "female",
 *     "postal_code": "11122", "intervention": "familjebehandling", "start": "2025-01-15",
 *     "end": "2025-06-30" | null, "outcome": "improved",
 *     "measurements": [{"instrument": "ors", "session": 1, "date": "2025-01-15",
 *                       "total": 24.5 | null, "band": "clinical" | null}],
 *     "field_classes": ["ordinary" | "sensitive" | "trade_union", ...]}, ...]
 * "age", "start" and "personnummer" or "client_ref" are required; other keys may be left out;
 * unknown keys are refused. All episodes are stored or none: VARSAM_INVALID_ARGUMENT names the
 * episode's index and field ("register submission 3: postal_code: ..."), never a value;
 * VARSAM_FAILED_PRECONDITION when the engine has no pseudonym key. */
VARSAM_API varsam_status varsam_register_submit(varsam_engine* engine,
                                                const varsam_context* context,
                                                const char* submissions_json,
                                                size_t submissions_length);

/* A file of cases, as `varsam register submit --in` reads it: JSON lines, one case per line
 * (lines of white space alone are skipped),
 *   {"case": {"ref": "c-9", "kind": "insats", "led_to_investigation": true, "client": "k-1"},
 *    "episodes": [<an episode, as varsam_register_submit takes it>, ...]}
 * Each case is submitted as its own "register.submit" call in `context` with the line's case as
 * the case and its client as the subject client ("case" may be left out when `context` has a
 * case), up to `threads` (1..64; 0 for 1) cases at once. Every line is parsed first: a bad line
 * is VARSAM_INVALID_ARGUMENT naming the line and the key ("line 3: episodes[0]: unknown key
 * 'namn'"), and nothing is submitted. Then each case goes in whole or not at all; a case the
 * policy refuses or the register cannot take does not stop the others. On VARSAM_OK,
 * *json_out (freed with varsam_free()) is what `varsam register submit --json` prints:
 *   {"cases": n, "submitted": n, "episodes": n, "measurements": n, "refused": n, "invalid": n,
 *    "rejected": [{"line": 2, "status": "permission_denied", "message": "..."}, ...]}
 * Any other failure (the store's, the audit log's) is returned as "line N: ..." once every
 * call has ended. */
VARSAM_API varsam_status varsam_register_submit_cases(varsam_engine* engine,
                                                      const varsam_context* context,
                                                      const char* cases_jsonl, size_t cases_length,
                                                      int32_t threads, char** json_out);

/* Action "register.export": a k-anonymous release of the register's episodes. options_json
 * (NULL or "" for the defaults; every key optional, unknown keys refused):
 *   {"k": 5, "l": 0, "max_suppression": 0.0, "metric": "loss" | "discernibility",
 *    "filter": {"case_kind": "insats", "intervention": "...", "region": "01", "key_epoch": 1}}
 * On VARSAM_OK, *json_out (freed with varsam_free()) is
 *   {"header": ["age_band", "sex", "region", "case_kind", "intervention", "start_period",
 *               "end_period", "outcome"],
 *    "rows": [["35-39", "female", "01", ...], ...],
 *    "report": {"format": "varsam-register-release/1", "records_in": n, "records_out": n,
 *               "suppressed": n, "model": {...}, "levels": {...}, "metric": {...},
 *               "risk": {...}, "search": {...}, "filter": {...}}}
 * Pseudonyms and record keys are never released. VARSAM_FAILED_PRECONDITION when no
 * generalisation satisfies the model within the suppression budget. */
VARSAM_API varsam_status varsam_register_export(varsam_engine* engine,
                                                const varsam_context* context,
                                                const char* options_json, size_t options_length,
                                                char** json_out);

/* ---- Models: trained from the register, applied in a case -------------------------------- */
/* docs/models.md ("Through the engine") and docs/c-api.md ("Models"). Every call but
 * varsam_model_card is an engine call: guarded, audited, refused with VARSAM_PERMISSION_DENIED
 * naming the rule. A model's SHA-256 is in the audit log for its training and each
 * application. */

/* Action "model.train" (purposes of the rule follow-up; refused for a private provider; a spec
 * naming trade_union is refused by the floor rule never-union-features, nationality,
 * ethnic_origin, disability, health_diagnosis or economic_assistance by default rules). Trains
 * a model from the register's rows (never the journal) by the specification spec_json
 * (docs/models.md, "The specification"), named `title` (UTF-8; NULL or "" for one after the
 * target), and keeps it beside the register. On VARSAM_OK, *json_out (freed with varsam_free())
 * is {"id": "<32 hex>", "sha256": "<64 hex>", "model": {<the model file, "varsam-model/1">}}.
 * VARSAM_INVALID_ARGUMENT names the spec's field ("spec.learner.l2[1]: ..."), never a value;
 * VARSAM_FAILED_PRECONDITION when the register's rows cannot be fitted (one label only,
 * separable data). Nothing is kept on any error. May take seconds to minutes on a large
 * register; thread-safe like every engine call. */
VARSAM_API varsam_status varsam_model_train(varsam_engine* engine, const varsam_context* context,
                                            const char* spec_json, size_t spec_length,
                                            const char* title, char** json_out);

/* Action "model.train": keeps a host's evidence-based model file (a published checklist or
 * points model; "varsam-model/1" of kind evidence_based) beside the register so that
 * varsam_model_apply can use it. *json_out as for varsam_model_train. VARSAM_INVALID_ARGUMENT
 * for a file that does not parse or is not evidence-based, VARSAM_DATA_LOSS for a hash that
 * does not match its content. */
VARSAM_API varsam_status varsam_model_add(varsam_engine* engine, const varsam_context* context,
                                          const char* model_json, size_t model_length,
                                          char** json_out);

/* Action "model.apply" with the kept model's kind and feature classes: applies the model
 * `model_id` to one case, whose features case_json gives ({"age_band": "18-24",
 * "sex": "female", "intake_total:phq9": 14, ...}, keyed by the model's feature names; one
 * left out reads as unknown). In an anmälan or förhandsbedömning a register-trained model is
 * refused by reports-evidence-only, and an evidence-based one is applied in memory only
 * (nothing stored but the audit event); elsewhere the result is stored as an open suggestion
 * (kind "model") about the context's subject client and case, closed only by an officer's
 * varsam_engine_decision_record. On VARSAM_OK, *json_out is
 *   {"model": "<id>", "sha256": "<hex>", "kind": "register_trained" | "evidence_based",
 *    "name": "...", "suggestion": "<32 hex>" | null, "probability": p | null,
 *    "raw_probability": p | null, "base_log_odds": x | null, "band": [low, high] | null,
 *    "points": n, "points_label": "...",
 *    "parts": [{"feature", "level", "log_odds": x | null, "points": n}, ...],
 *    "summary_sv": [...], "summary_en": [...], "unknown_sv": [...], "unknown_en": [...]}
 * VARSAM_NOT_FOUND for an unknown model id (after the audited decision);
 * VARSAM_INVALID_ARGUMENT for case features that do not fit the model. Nothing is stored on
 * any error. */
VARSAM_API varsam_status varsam_model_apply(varsam_engine* engine, const varsam_context* context,
                                            const char* model_id, const char* case_json,
                                            size_t case_length, char** json_out);

/* Action "insight.query": the kept models as a JSON array of
 *   {"id": "<32 hex>", "sha256": "<64 hex>", "kind": "...", "title": "...",
 *    "created": "YYYY-MM-DDTHH:MM:SSZ"}
 * in (created, id) order, without their files. */
VARSAM_API varsam_status varsam_model_list(varsam_engine* engine, const varsam_context* context,
                                           char** json_out);

/* The model card of a model file (Mitchell et al. 2019's sections; EU AI Act art 13(3) and
 * Annex IV) as `format` "markdown" or "html" (a self-contained page with an SVG reliability
 * diagram; no script, no external resource), into *text_out (UTF-8, freed with
 * varsam_free()). No engine, nothing audited: a model file holds only aggregates and is meant
 * to be published. VARSAM_INVALID_ARGUMENT names the file's field; VARSAM_DATA_LOSS when its
 * hash does not match its content. Thread-safe. */
VARSAM_API varsam_status varsam_model_card(const char* model_json, size_t model_length,
                                           const char* format, char** text_out);

/* ---- Scoring with a model in memory ------------------------------------------------------ */
/* Like varsam_score for an instrument: a computation on features the caller already holds, with
 * no engine: nothing read, stored or audited. It is the building block for a host that scores
 * many cases at once or shows a live estimate while a form is filled in; what an officer is
 * shown as a suggestion, with its reasons and the officer's decision, comes from
 * varsam_model_apply (guarded and audited), and in an anmälan or förhandsbedömning the policy
 * allows only evidence-based models (rule reports-evidence-only) whichever call computes. */
typedef struct varsam_model varsam_model;

/* Reads and verifies a model file ("varsam-model/1", either kind) into *model_out, freed with
 * varsam_model_close(). VARSAM_INVALID_ARGUMENT names the file's field; VARSAM_DATA_LOSS when
 * its hash does not match its content. The handle is immutable: any number of threads may
 * score with it at once. */
VARSAM_API varsam_status varsam_model_open(const char* model_json, size_t model_length,
                                           varsam_model** model_out);
VARSAM_API void varsam_model_close(varsam_model* model);

/* Scores one case: `count` values, one per feature of the model in its file's order
 * ("features" of a register-trained file, "points.features" of an evidence-based one).
 * levels[i] is feature i's level (UTF-8, NUL-terminated), or NULL when the case does not give
 * it (read as the reference level); for an intake total, numbers[i] is the total, or NaN for
 * "no intake measurement", and levels[i] is ignored (numbers may be NULL when the model has no
 * intake total). *probability_out (may be NULL) is the recalibrated probability (NaN for an
 * evidence-based model), *points_out (may be NULL) the points total. VARSAM_INVALID_ARGUMENT
 * when `count` is not the model's number of features, or an evidence-based model's item gets
 * an answer it does not have. Thread-safe. */
VARSAM_API varsam_status varsam_model_score(const varsam_model* model, const char* const* levels,
                                            const double* numbers, size_t count,
                                            double* probability_out, int32_t* points_out);

/* ---- Outcome monitoring: a client's trajectory, expected-treatment-response curves ---------- */
/* docs/c-api.md ("Outcome monitoring"). Routine outcome measures (ORS, CORS, PHQ-9, ...) given
 * session by session are read from the client's journal, judged by the Jacobson-Truax rule of
 * each instrument, and checked against expected-treatment-response curves that an analyst fits
 * from the register (never the journal; only aggregates leave it). A session below the curves'
 * boundary is a reason to talk with the client, never a decision: it becomes an open suggestion
 * (kind "outcome") that only an officer's varsam_engine_decision_record closes. Every call is an
 * engine call: guarded, audited, refused with VARSAM_PERMISSION_DENIED naming the rule; the
 * curves' SHA-256 is in the audit log for their fitting and each monitoring. All are
 * thread-safe like every engine call. */

/* Action "journal.read" about the context's subject client: the client's series of
 * `instrument` (an id: "ors", "phq9", ...) in the case case_ref, or when case_ref is NULL or ""
 * in the context's case, or when the context has none in the case of the latest measurement.
 * Forms without a total or a session number are left out; when a session was given twice the
 * later form counts; the first session is the intake. On VARSAM_OK, *json_out (freed with
 * varsam_free()) is
 *   {"client": "k-1", "case": "c-9", "instrument": "ors", "intake": 18, "cutoff": 25 | null,
 *    "sessions": [{"session": 1, "date": "YYYY-MM-DD", "total": 18, "change": 0,
 *                  "category": "recovered" | "reliably_improved" | "no_reliable_change" |
 *                              "reliably_deteriorated" | null,
 *                  "rci": x | null, "reliable_change": true | false | null,
 *                  "clinical": true | false | null}, ...]}
 * in session order: the Jacobson-Truax judgement of each later session's change from intake
 * (null at the intake and for an instrument without a change rule; "rci" null when the rule
 * gives no reliability; the adult cut-off, since the engine knows no age). Errors (*json_out is
 * then NULL): VARSAM_INVALID_ARGUMENT for a NULL argument or a context without a subject client;
 * VARSAM_NOT_FOUND for an unknown instrument (before anything is read or audited) or a case
 * without a series of it; VARSAM_PERMISSION_DENIED when the policy refuses the journal read
 * (another client's journal: no-other-clients). */
VARSAM_API varsam_status varsam_outcomes_trajectory(varsam_engine* engine,
                                                    const varsam_context* context,
                                                    const char* instrument, const char* case_ref,
                                                    char** json_out);

/* Action "model.train" (purposes of the rule follow-up; refused for a private provider): fits
 * expected-treatment-response curves of an instrument from the register's series of it
 * (session 1 the intake; a mixed model of the total on log(session) by intake, fitted by REML)
 * and keeps them beside the register (kind "etr"), named `title` (UTF-8; NULL or "" for one
 * after the instrument). spec_json (UTF-8; unknown keys refused):
 *   {"instrument": "ors", "boundary_percentile": 10, "max_session": 20, "min_support": 5,
 *    "bin_width": 5, "predictors": ["intervention", "age_band"]}
 * "instrument" is required; the others keep these defaults when left out: the percentile of the
 * predictive distribution on the side of worsening that is the not-on-track boundary (strictly
 * between 0 and 50), the last session the curves cover (2..200), k, the fewest people an intake
 * bin may show (2..1000000), the intake bins' width (> 0), and the predictors beside the intake
 * (none; each series then takes the levels of its insats episode, and levels of fewer than k
 * people are pooled as "(other)": docs/outcomes.md, "Predictors"). The direction and the scale come
 * from the instrument's definition. On VARSAM_OK, *json_out (freed with varsam_free()) is
 *   {"id": "<32 hex>", "sha256": "<64 hex>", "model": {<the curve file, "varsam-etr/1">}}
 * Errors (*json_out NULL, nothing kept): VARSAM_INVALID_ARGUMENT naming the spec's key
 * ("spec.max_session: ..."), never a value, or when the register holds too few series to fit;
 * VARSAM_NOT_FOUND for an unknown instrument (after the audited decision);
 * VARSAM_FAILED_PRECONDITION for series that cannot be fitted (every intake the same). */
VARSAM_API varsam_status varsam_outcomes_fit_etr(varsam_engine* engine,
                                                 const varsam_context* context,
                                                 const char* spec_json, size_t spec_length,
                                                 const char* title, char** json_out);

/* Action "journal.read", then "model.apply" (the curves are learned from the register, so in an
 * anmälan or förhandsbedömning rule reports-evidence-only refuses them): the context's subject
 * client's series in the context's case against the kept curves model_id. Each session below
 * the boundary, and each session whose alliance form (SRS beside ORS, CSRS beside CORS) raised
 * its flag, becomes an open suggestion of kind "outcome" about the client and case, once: a
 * later call raises none for a session already raised. The suggestion's content says what and
 * why in both languages ("message_sv", "message_en") with the curves' id and SHA-256. On
 * VARSAM_OK, *json_out (freed with varsam_free()) is
 *   {"model": "<id>", "sha256": "<hex>", "instrument": "ors", "case": "c-9",
 *    "supported": true | false, "intake": x,
 *    "levels": {"intervention": "stodsamtal", "age_band": "30-34"} | null,
 *    "sessions": [{"session", "total", "change", "expected": x | null, "boundary": x | null,
 *                  "track": "on_target" | "below_target" | "below_boundary" | null}, ...],
 *    "alliance_concerns": [session, ...],
 *    "raised": [{"suggestion": "<32 hex>", "reason": "below_boundary" | "alliance",
 *                "session": n}, ...]}
 * "levels" holds, for curves with predictors, the client's level of each ("none": no
 * intervention; the age as the register's band), and is null for curves without.
 * "supported" is false when the client's intake lies in an intake bin of fewer than k people:
 * the curves are then not applied (no tracks, no alerts). Errors (*json_out NULL, nothing
 * stored): VARSAM_INVALID_ARGUMENT for a NULL argument or a context without a case and subject
 * client; VARSAM_NOT_FOUND when model_id is not kept curves (after the audited decision) or the
 * case holds no series of the curves' instrument; VARSAM_DATA_LOSS when the kept file's hash
 * differs from the one recorded. */
VARSAM_API varsam_status varsam_outcomes_monitor(varsam_engine* engine,
                                                 const varsam_context* context,
                                                 const char* model_id, char** json_out);

/* Action "journal.read", and with curves "model.apply" as varsam_outcomes_monitor (refused in
 * an anmälan by reports-evidence-only: drawing the curves applies them): the client chart of
 * the context's subject client's `instrument` series in the context's case, as a self-contained,
 * printable HTML page (inline SVG; no script, no external resource; every text escaped; a data
 * table for screen readers) in `language` "sv" or "en": the totals by session with the clinical
 * cut-off and the reliable change band around the intake, the kept curves model_id (NULL or "":
 * none) with their expected line and boundary when the client's intake has enough support, the
 * alliance series (SRS, CSRS) beside it and the case's open suggestions. *html_out is UTF-8, freed
 * with varsam_free(). Errors (*html_out NULL): VARSAM_INVALID_ARGUMENT for a NULL argument, another
 * language, a context without a case and subject client, or curves of another instrument;
 * VARSAM_NOT_FOUND for an unknown instrument or model, or a case without a series;
 * VARSAM_PERMISSION_DENIED when either action is refused; VARSAM_DATA_LOSS when the kept
 * curves' hash differs from the one recorded. */
VARSAM_API varsam_status varsam_outcomes_report_html(varsam_engine* engine,
                                                     const varsam_context* context,
                                                     const char* instrument, const char* model_id,
                                                     const char* language, char** html_out);

/* varsam_outcomes_monitor and varsam_outcomes_report_html for curves fitted with predictors
 * ("predictors" in the spec of varsam_outcomes_fit_etr): client_json (UTF-8; NULL: none) tells
 * the client's levels,
 *   {"intervention": "stodsamtal", "age": 34}
 * the intervention of the client's episode (one of the register's, "" for none) and the age in
 * whole years (0..150) when it began, which the engine puts into the register's age band. Either
 * key may be left out when the curves do not need it; unknown keys and wrong types are refused
 * (VARSAM_INVALID_ARGUMENT naming the key, "client.age: ..."), as are curves with predictors
 * without the levels they need. A level the curves pool or do not know leaves the client
 * unsupported (no curve, no alerts) unless the curves have the pooled level "(other)". Otherwise
 * as the calls without _client, which are these with client_json NULL. */
VARSAM_API varsam_status varsam_outcomes_monitor_client(varsam_engine* engine,
                                                        const varsam_context* context,
                                                        const char* model_id,
                                                        const char* client_json,
                                                        size_t client_length, char** json_out);
VARSAM_API varsam_status varsam_outcomes_report_html_client(
    varsam_engine* engine, const varsam_context* context, const char* instrument,
    const char* model_id, const char* language, const char* client_json, size_t client_length,
    char** html_out);

/* Action "insight.query" (purposes of the rule follow-up: the social welfare board's follow-up,
 * evaluation, quality assurance or supervision; refused for a private provider): agency
 * benchmarks of one instrument from the register's insats episodes and measurement rows (never
 * the journal), for the service as a whole and per group. spec_json (UTF-8; unknown keys
 * refused):
 *   {"instrument": "ors", "by": "intervention", "min_people": 5, "max_session": 40}
 * "instrument" is required; the others keep these defaults when left out: how series are
 * grouped ("service": the whole only, "intervention": the linked episode's intervention,
 * "region": its county code), k, the fewest distinct people a group may show (2..1000000), and
 * the last session a series is read to (2..200). curves_id (NULL or "": none) names kept
 * curves of the same instrument (varsam_outcomes_fit_etr): the share reaching target is then
 * the share whose last covered session is on or beyond the expected curve, otherwise the share
 * recovered. The call is audited as "outcome benchmarks <instrument> by <grouping>" (and
 * " curves <id>"). On VARSAM_OK, *json_out (freed with varsam_free()) is
 *   {"format": "varsam-outcome-benchmarks/1", "instrument": "ors", "by": "intervention",
 *    "k": 5, "target": "etr" | "recovered", "curves": "<sha256>" | null,
 *    "period_from": "2025-Q1", "period_to": "2026-Q3",
 *    "adjustment": {"intercept", "slope", "sd_intake", "mean_predicted_change"} | null,
 *    "unlinked_series": n | null,
 *    "groups": [{"group": "service", "service": true, "protected": false, "people", "series",
 *                "mean_intake", "effect_size", "severity_adjusted_effect_size",
 *                "target_series", "reaching_target", "reliable_improvement",
 *                "reliable_deterioration", "recovered", "ended_series", "dropout"}, ...]}
 * the service first, then the groups in byte order of their names. A group (the service too)
 * of fewer than k people is protected: "protected" is true and every figure null; when exactly
 * one group is protected so, the shown group with the fewest people is protected too, and a
 * protected service protects every group (docs/outcomes.md, "Agency benchmarks"). Only
 * aggregates leave: no row, pseudonym or single score. Errors (*json_out NULL):
 * VARSAM_INVALID_ARGUMENT for a NULL argument, a spec that is not the JSON above (naming the
 * key, "spec.by: ...", never a value), or curves of another instrument or a kept model that is
 * not curves; VARSAM_NOT_FOUND for an unknown instrument or curves id (after the audited
 * decision); VARSAM_FAILED_PRECONDITION for an instrument without a change rule;
 * VARSAM_PERMISSION_DENIED naming the rule (private-provider, a case officer's purpose);
 * VARSAM_DATA_LOSS when the kept curves' hash differs from the one recorded. Thread-safe like
 * every engine call. */
VARSAM_API varsam_status varsam_outcomes_benchmarks(varsam_engine* engine,
                                                    const varsam_context* context,
                                                    const char* spec_json, size_t spec_length,
                                                    const char* curves_id, char** json_out);

/* Action "insight.query" (the follow-up purposes, as varsam_outcomes_benchmarks; refused for a
 * private provider and in case handling): a table of group insights from the register,
 * protected before release (docs/insights.md). query_json (UTF-8; strict: unknown keys, wrong
 * types and values outside the register's vocabularies refused):
 *   {"measure": {"kind": "episodes" | "people" | "share" | "mean" | "median",
 *                "of": "total" | "change" | "duration", "instrument": "ors",
 *                "outcome": "improved"},
 *    "dimensions": ["intervention", "age_band"],      (at most 4 of age_band, sex, region,
 *                                                      case_kind, intervention, start_period,
 *                                                      end_period, outcome, band)
 *    "filters": {"case_kind": ["insats"]}, "margins": true,
 *    "protection": {"threshold": 5, "dominance": {"n": 1, "k": 85}, "p_percent": 10,
 *                   "secondary": true, "protection_share": 0.2,
 *                   "cell_key": {"D": 2, "V": 1, "js": 1}, "dp": {"epsilon": 0.5,
 *                   "contributions": 1}}}
 * format is "json" (NULL: the same), "csv" or "html". Cells of fewer than the threshold's
 * people (and for magnitudes the dominance and p % rules) are protected; with margins,
 * complementary cells are suppressed so that no protected cell can be recomputed (proven by
 * linear programming); the cell key method or DP noise perturbs what is published. A table
 * whose groups of people differ from those of an earlier release of the organisation, purpose
 * and month by fewer than the threshold is refused (VARSAM_FAILED_PRECONDITION, "insight:
 * differencing ..."), and so is a release past the organisation's cell or epsilon budget
 * (VARSAM_RESOURCE_EXHAUSTED naming the budget). Audited: the decision, then the release (its
 * id, cells, methods and canonical query) or the refusal. On VARSAM_OK, *out (freed with
 * varsam_free()) is the table: JSON "varsam-insight/1" ({"format", "query", "methods",
 * "dimensions", "cells": [{"levels", "value", "status", "flag"}]}), CSV with ".." for a
 * protected cell and "\u2013" for zero, or a self-contained HTML page. No row, key or raw
 * value of a protected cell leaves. Errors (*out NULL): VARSAM_INVALID_ARGUMENT for a NULL
 * argument, an unknown format or a bad query (naming the field, "query.measure.of: ...", never
 * a value), or a table past 100,000 cells; VARSAM_PERMISSION_DENIED naming the rule.
 * Thread-safe like every engine call. */
VARSAM_API varsam_status varsam_insight_query(varsam_engine* engine, const varsam_context* context,
                                              const char* query_json, size_t query_length,
                                              const char* format, char** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VARSAM_H_ */
