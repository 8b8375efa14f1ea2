"""varsam — a ctypes binding for the varsam C API (capi/varsam.h).

Python 3.11+, standard library only. It loads the shared library from, in order:

1. the path in the environment variable ``VARSAM_LIBRARY`` (e.g. ``/tmp/b0/libvarsam.so``),
2. ``ctypes.util.find_library("varsam")``,
3. ``"libvarsam.so.0"`` (the SONAME, found through the dynamic loader's search path).

Usage::

    import datetime
    import varsam

    print(varsam.version())                      # "0.1.0"

    r = varsam.check_id("800102-2386", today=datetime.date(2026, 11, 28))
    r.valid, r.normalized, r.birth_date, r.sex   # True, "198001022386", date(1980, 1, 2), "female"

    r = varsam.check_id("198001022387")
    r.valid, r.error, r.error_message            # False, "check_digit", "check digit does not match"

    for m in varsam.find_ids("Klienten (800102-2386) ringde."):
        m["offset"], m["length"], m["normalized"]  # 10, 11, "198001022386"

Instruments (PHQ-9, AUDIT, CORE-10, SRS, ... and a host's own definitions)::

    s = varsam.score("phq9", [1, 1, 2, 1, 0, 1, 1, 0, 1])
    s.total, s.band                    # 8.0, "mild"
    s.flags[0].code, s.flags[0].severity  # "suicide_risk_followup", "critical"

    varsam.score("audit", [2, 1, 1, 1, 0, 0, 0, 0, 0, 2], sex="female").band  # "hazardous"
    varsam.score("core10", [1, 3, None, 1, 2, 0, 1, 2, 1, 1]).prorated       # True (None = missing)

    varsam.score_json({"instrument": "srs", "responses": [9, 8, 9, 9], "language": "sv"})
    # {"instrument": "srs", "total": 35, "band": None, "flags": [...], ...} as `varsam score --json`

    batch = varsam.score_batch("phq9", [[0] * 9, [3] * 9, [1, 1, 1, 1, 1, 1, 1, 1, 5]])
    batch.total          # array('d', [0.0, 27.0, nan])
    batch.status         # array('i', [0, 0, 2]): scored, scored, invalid answers
    batch.invalid_forms  # 1

    [i["id"] for i in varsam.instruments()]          # ["soc13", "soc29", "ors", ...]
    varsam.load_instrument(definition_json)          # a host's own (docs/instrument-format.md)
    varsam.configure_instrument("srs", {"alliance_cutoff": 35})

A missing answer is ``None`` (or NaN). An answer that is infinite, out of range, has decimals
where none are allowed or is not an allowed value raises ``VarsamError`` (``invalid_argument``)
whose message names the item, never the answer; an unknown instrument raises ``not_found``.

An invalid number is not an exception: ``check_id`` returns an ``IdResult`` with
``valid=False`` and the reason in ``error``. Only a failed *call* (a status other than OK from
the library, e.g. a reference date that is not a real date) raises ``VarsamError``, which
carries ``.status`` (the int ``varsam_status``), ``.status_name`` ("invalid_argument", ...) and
the library's message (never personal data).

Strings are passed to the library as UTF-8 with an explicit length, so they may contain
anything, even NUL. **The ``offset`` and ``length`` that ``find_ids`` returns count bytes of the
UTF-8 encoding, not Python characters**: slice ``text.encode("utf-8")``, not ``text``, with
them (or use ``char_span``, which converts them). They differ as soon as the text before a match
contains a non-ASCII character such as å, ä or ö.

``today`` fixes the reference date that resolves the century of ten-digit forms (YYMMDD-NNNN,
YYMMDD+NNNN, YYMMDDNNNN); ``None`` means today's date in Sweden. For testing and for hosts that
already hold the C-style value, ``today`` may also be an ``int`` YYYYMMDD (e.g. ``20261128``),
passed to the library unchanged; one that is not a real date raises ``VarsamError``
(``invalid_argument``).

Every function may be called from any number of threads at once (the C API is thread-safe and
its last-error message is per thread).
"""

from __future__ import annotations

import array
import collections.abc
import ctypes
import ctypes.util
import dataclasses
import datetime
import enum
import json
import math
import numbers
import os

__all__ = [
    "HEADER_VERSION_MAJOR",
    "HEADER_VERSION_MINOR",
    "HEADER_VERSION_PATCH",
    "HEADER_VERSION_NUMBER",
    "Status",
    "IdResult",
    "VarsamError",
    "PermissionDenied",
    "version",
    "version_number",
    "status_name",
    "id_error_message",
    "check_id",
    "find_ids",
    "char_span",
    "library_path",
    "MISSING",
    "SCORE_MAX_FLAGS",
    "Flag",
    "Score",
    "BatchResult",
    "score",
    "score_json",
    "score_batch",
    "instruments",
    "load_instrument",
    "configure_instrument",
    "Context",
    "Engine",
    "policy_check",
    "anonymize",
    "model_card",
]

# ---- Constants mirrored from capi/varsam.h -------------------------------------------------

# The version of varsam.h this binding was written against.
HEADER_VERSION_MAJOR = 0
HEADER_VERSION_MINOR = 1
HEADER_VERSION_PATCH = 0
HEADER_VERSION_NUMBER = (
    HEADER_VERSION_MAJOR * 1000000 + HEADER_VERSION_MINOR * 1000 + HEADER_VERSION_PATCH
)


class Status(enum.IntEnum):
    """varsam_status: equal to absl::StatusCode, one to one."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


# varsam_id_kind, varsam_sex and varsam_id_error, as the strings this binding returns.
_KIND_NAMES = {1: "personnummer", 2: "samordningsnummer", 3: "interimsnummer"}
_SEX_NAMES = {1: "female", 2: "male"}
_ID_ERROR_IDS = {0: None, 1: "format", 2: "check_digit", 3: "no_such_date", 4: "century",
                 5: "serial"}
_ID_ERROR_CODES = {name: code for code, name in _ID_ERROR_IDS.items() if name is not None}


class _IdResultStruct(ctypes.Structure):
    """struct varsam_id_result, version 0.1."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("valid", ctypes.c_int32),
        ("error", ctypes.c_int32),
        ("kind", ctypes.c_int32),
        ("sex", ctypes.c_int32),
        ("official_test_number", ctypes.c_int32),
        ("birth_year", ctypes.c_int32),
        ("birth_month", ctypes.c_int32),
        ("birth_day", ctypes.c_int32),
        ("normalized", ctypes.c_char * 13),
    ]


# VARSAM_MISSING: an unanswered item in the typed scoring functions.
MISSING = float("nan")

# VARSAM_SCORE_MAX_FLAGS: flags listed by code in varsam_score_result.
SCORE_MAX_FLAGS = 8

# varsam_severity, as the strings this binding returns.
_SEVERITY_NAMES = {0: None, 1: "info", 2: "warning", 3: "critical"}
_SEX_CODES = {None: 0, "female": 1, "male": 2}


class _RespondentStruct(ctypes.Structure):
    """struct varsam_respondent, version 0.1."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("sex", ctypes.c_int32),
        ("age", ctypes.c_int32),
        ("previous_total", ctypes.c_double),
    ]


class _ScoreResultStruct(ctypes.Structure):
    """struct varsam_score_result, version 0.1."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("scored", ctypes.c_int32),
        ("total", ctypes.c_double),
        ("band_index", ctypes.c_int32),
        ("band", ctypes.c_char_p),
        ("answered", ctypes.c_int32),
        ("missing", ctypes.c_int32),
        ("prorated", ctypes.c_int32),
        ("flag_bits", ctypes.c_uint32),
        ("flag_count", ctypes.c_int32),
        ("max_severity", ctypes.c_int32),
        ("flags", ctypes.c_char_p * SCORE_MAX_FLAGS),
        ("flag_severities", ctypes.c_int32 * SCORE_MAX_FLAGS),
    ]


class _ScoreColumnsStruct(ctypes.Structure):
    """struct varsam_score_columns, version 0.1."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("sex", ctypes.POINTER(ctypes.c_int32)),
        ("age", ctypes.POINTER(ctypes.c_int32)),
        ("previous_total", ctypes.POINTER(ctypes.c_double)),
        ("total", ctypes.POINTER(ctypes.c_double)),
        ("band", ctypes.POINTER(ctypes.c_int32)),
        ("flags", ctypes.POINTER(ctypes.c_uint32)),
        ("status", ctypes.POINTER(ctypes.c_int32)),
    ]


# ---- Loading the library -------------------------------------------------------------------


def _find_library() -> str:
    explicit = os.environ.get("VARSAM_LIBRARY")
    if explicit:
        return explicit
    found = ctypes.util.find_library("varsam")
    if found:
        return found
    return "libvarsam.so.0"


# varsam_key_callback: varsam_status (*)(void* user_data, uint8_t private_key[32]).
_KEY_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8))


# varsam_pseudonym_key_callback: varsam_status (*)(void* user_data, int32_t epoch,
# uint8_t key[32]).
_PSEUDONYM_KEY_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_uint8))


class _EngineKeysStruct(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("audit_key", _KEY_CALLBACK),
        ("audit_key_user_data", ctypes.c_void_p),
        ("pseudonym_key", _PSEUDONYM_KEY_CALLBACK),
        ("pseudonym_key_user_data", ctypes.c_void_p),
    ]


class _ContextFieldsStruct(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("actor", ctypes.c_char_p),
        ("role", ctypes.c_char_p),
        ("organisation_kind", ctypes.c_char_p),
        ("organisation_id", ctypes.c_char_p),
        ("purpose", ctypes.c_char_p),
        ("case_ref", ctypes.c_char_p),
        ("case_kind", ctypes.c_char_p),
        ("case_led_to_investigation", ctypes.c_int32),
        ("case_client", ctypes.c_char_p),
        ("subject_client", ctypes.c_char_p),
        ("time_unix_micros", ctypes.c_int64),
        ("ethics_approval", ctypes.c_char_p),
    ]


def _declare_engine(lib: ctypes.CDLL, c_status) -> None:
    """argtypes and restype of the engine's functions (capi/varsam.h, "The engine")."""
    handle = ctypes.c_void_p
    out_json = ctypes.POINTER(ctypes.c_void_p)
    declarations = {
        "varsam_engine_open": (
            [ctypes.c_char_p, ctypes.c_size_t, _KEY_CALLBACK, ctypes.c_void_p,
             ctypes.POINTER(handle)],
            c_status,
        ),
        "varsam_engine_open_with_keys": (
            [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_EngineKeysStruct),
             ctypes.POINTER(handle)],
            c_status,
        ),
        "varsam_engine_close": ([handle], None),
        "varsam_register_submit": ([handle, handle, ctypes.c_char_p, ctypes.c_size_t], c_status),
        "varsam_register_submit_cases": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int32, out_json],
            c_status),
        "varsam_register_export": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, out_json], c_status),
        "varsam_context_from_json": (
            [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(handle)], c_status),
        "varsam_context_new": (
            [ctypes.POINTER(_ContextFieldsStruct), ctypes.POINTER(handle)], c_status),
        "varsam_context_to_json": ([handle, out_json], c_status),
        "varsam_context_free": ([handle], None),
        "varsam_engine_check": (
            [handle, handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, out_json],
            c_status,
        ),
        "varsam_policy_check": (
            [handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, out_json], c_status),
        "varsam_engine_score": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, out_json], c_status),
        "varsam_engine_journal_append": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64)],
            c_status,
        ),
        "varsam_engine_journal_history": ([handle, handle, ctypes.c_char_p, out_json], c_status),
        "varsam_engine_suggestions_open": ([handle, handle, out_json], c_status),
        "varsam_engine_decision_record": (
            [handle, handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
             ctypes.POINTER(ctypes.c_int64)],
            c_status,
        ),
        "varsam_engine_override_rates": (
            [handle, handle, ctypes.c_int32, ctypes.c_int32, out_json], c_status),
        "varsam_engine_audit_verify": ([handle, handle, out_json], c_status),
        "varsam_engine_audit_prove_inclusion": (
            [handle, handle, ctypes.c_int64, ctypes.c_int64, out_json], c_status),
        "varsam_engine_audit_prove_consistency": (
            [handle, handle, ctypes.c_int64, ctypes.c_int64, out_json], c_status),
        "varsam_engine_audit_public_key": ([handle, ctypes.c_char_p], c_status),
        "varsam_model_train": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, out_json],
            c_status),
        "varsam_model_add": ([handle, handle, ctypes.c_char_p, ctypes.c_size_t, out_json], c_status),
        "varsam_model_apply": (
            [handle, handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, out_json],
            c_status),
        "varsam_model_list": ([handle, handle, out_json], c_status),
        "varsam_model_card": (
            [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, out_json], c_status),
        "varsam_outcomes_trajectory": (
            [handle, handle, ctypes.c_char_p, ctypes.c_char_p, out_json], c_status),
        "varsam_outcomes_fit_etr": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, out_json],
            c_status),
        "varsam_outcomes_monitor_client": (
            [handle, handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, out_json],
            c_status),
        "varsam_outcomes_report_html_client": (
            [handle, handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
             ctypes.c_size_t, out_json],
            c_status),
        "varsam_outcomes_benchmarks": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, out_json],
            c_status),
        "varsam_insight_query": (
            [handle, handle, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, out_json],
            c_status),
        "varsam_anonymize": (
            [ctypes.c_char_p, ctypes.c_size_t, _PSEUDONYM_KEY_CALLBACK, ctypes.c_void_p,
             out_json],
            c_status,
        ),
    }
    for name, (argtypes, restype) in declarations.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype


def _load() -> ctypes.CDLL:
    path = _find_library()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise OSError(
            f"varsam: cannot load the varsam shared library {path!r} ({e}); "
            "set VARSAM_LIBRARY to its path"
        ) from e

    c_status = ctypes.c_int  # a C enum is passed and returned as int

    lib.varsam_version_number.argtypes = []
    lib.varsam_version_number.restype = ctypes.c_int32

    lib.varsam_version_string.argtypes = []
    lib.varsam_version_string.restype = ctypes.c_char_p

    lib.varsam_last_error.argtypes = []
    lib.varsam_last_error.restype = ctypes.c_char_p

    lib.varsam_status_name.argtypes = [c_status]
    lib.varsam_status_name.restype = ctypes.c_char_p

    lib.varsam_free.argtypes = [ctypes.c_void_p]
    lib.varsam_free.restype = None

    lib.varsam_id_check.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_int32,
        ctypes.POINTER(_IdResultStruct),
    ]
    lib.varsam_id_check.restype = c_status

    lib.varsam_id_error_message.argtypes = [ctypes.c_int32]
    lib.varsam_id_error_message.restype = ctypes.c_char_p

    # The out-parameter is a void** rather than char** so that ctypes hands back the raw
    # pointer (a c_char_p would be converted to bytes and the pointer lost, leaking it).
    lib.varsam_id_find.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_int32,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.varsam_id_find.restype = c_status

    lib.varsam_score.argtypes = [
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_double),
        ctypes.c_size_t,
        ctypes.POINTER(_RespondentStruct),
        ctypes.POINTER(_ScoreResultStruct),
    ]
    lib.varsam_score.restype = c_status

    lib.varsam_score_batch.argtypes = [
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_double),
        ctypes.c_size_t,
        ctypes.c_size_t,
        ctypes.POINTER(_ScoreColumnsStruct),
        ctypes.POINTER(ctypes.c_size_t),
    ]
    lib.varsam_score_batch.restype = c_status

    lib.varsam_score_json.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.varsam_score_json.restype = c_status

    lib.varsam_instrument_list.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.varsam_instrument_list.restype = c_status

    lib.varsam_instrument_load.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.varsam_instrument_load.restype = c_status

    lib.varsam_instrument_configure.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.varsam_instrument_configure.restype = c_status

    _declare_engine(lib, c_status)

    linked_major = lib.varsam_version_number() // 1000000
    if linked_major != HEADER_VERSION_MAJOR:
        raise ImportError(
            f"varsam: {path!r} is major version {linked_major}, "
            f"this binding needs {HEADER_VERSION_MAJOR}"
        )
    return lib


lib = _load()
"""The loaded ctypes.CDLL, with argtypes and restype declared for every function."""


def library_path() -> str:
    """The name or path the library was loaded from."""
    return lib._name


# ---- Status and errors ---------------------------------------------------------------------


def _decode(raw: bytes | None) -> str:
    return "" if raw is None else raw.decode("utf-8", errors="replace")


def status_name(status: int) -> str:
    """The stable lower-case name of a status ("ok", "invalid_argument", ...)."""
    return _decode(lib.varsam_status_name(int(status)))


class VarsamError(Exception):
    """A varsam_* call returned a status other than VARSAM_OK.

    Attributes:
      status: the varsam_status as an int (3 for invalid_argument, ...).
      status_name: its stable lower-case name ("invalid_argument", ...).
      message: varsam_last_error() right after the call (never personal data).
    """

    def __init__(self, status: int, message: str, name: str | None = None) -> None:
        self.status = int(status)
        self.status_name = name if name is not None else status_name(self.status)
        self.message = message
        super().__init__(f"{self.status_name}: {message}" if message else self.status_name)


class PermissionDenied(VarsamError):
    """VARSAM_PERMISSION_DENIED: the policy refused the call. The message names the rule ids,
    their citations and the explanation (never personal data); the refusal is in the audit
    log."""


def _check(status: int) -> None:
    """Raises VarsamError (PermissionDenied for a policy refusal) for a non-OK status. Call right
    after the failed call, on the same thread: the message is thread-local and valid only until
    the next varsam_* call."""
    if status != Status.OK:
        message = _decode(lib.varsam_last_error())
        if status == Status.PERMISSION_DENIED:
            raise PermissionDenied(status, message)
        raise VarsamError(status, message)


# ---- Version -------------------------------------------------------------------------------


def version() -> str:
    """The linked library's version, "MAJOR.MINOR.PATCH"."""
    return _decode(lib.varsam_version_string())


def version_number() -> int:
    """The linked library's version as MAJOR*1000000 + MINOR*1000 + PATCH."""
    return int(lib.varsam_version_number())


# ---- Identity numbers ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class IdResult:
    """The result of check_id(). An invalid number has valid=False, error and error_message
    set and every other field None/False."""

    valid: bool
    error: str | None  # None, "format", "check_digit", "no_such_date", "century" or "serial"
    error_message: str | None  # short English reason, without any part of the number
    kind: str | None  # "personnummer", "samordningsnummer", "interimsnummer" or None
    sex: str | None  # "female", "male" or None
    official_test_number: bool  # in Skatteverket's official test-number list
    birth_date: datetime.date | None  # real date of birth (samordningsnummer: day - 60)
    normalized: str | None  # "YYYYMMDDNNNN"


def id_error_message(error: int | str) -> str:
    """The short English reason for an identity-number error, given as its id ("check_digit")
    or its varsam_id_error int."""
    code = _ID_ERROR_CODES.get(error, -1) if isinstance(error, str) else int(error)
    return _decode(lib.varsam_id_error_message(code))


def _today_arg(today: datetime.date | int | None) -> int:
    """The today_yyyymmdd argument: 0 for None (today in Sweden), YYYYMMDD for a date, and an
    int passed through unchanged (the library rejects one that is not a real date)."""
    if today is None:
        return 0
    if isinstance(today, datetime.datetime):
        today = today.date()
    if isinstance(today, datetime.date):
        return today.year * 10000 + today.month * 100 + today.day
    if isinstance(today, int) and not isinstance(today, bool):
        if not -(2**31) <= today < 2**31:
            # ctypes would silently wrap it into some other, possibly valid, int32.
            raise VarsamError(
                Status.INVALID_ARGUMENT, "today_yyyymmdd is out of range", "invalid_argument"
            )
        return today
    raise TypeError(f"today must be a datetime.date, an int YYYYMMDD or None, not {type(today).__name__}")


def _to_bytes(text: str | bytes, what: str) -> bytes:
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"{what} must be str or bytes, not {type(text).__name__}")


def check_id(number: str | bytes, today: datetime.date | int | None = None) -> IdResult:
    """Checks one identity number (personnummer or samordningsnummer).

    Accepted forms: YYYYMMDDNNNN, YYYYMMDD-NNNN, YYMMDDNNNN, YYMMDD-NNNN, YYMMDD+NNNN, nothing
    else (not even surrounding spaces). ``today`` resolves the century of ten-digit forms (see
    the module docstring). Raises VarsamError only when the call itself fails (e.g. an int
    ``today`` that is not a real date); an invalid number is a result with valid=False.
    """
    data = _to_bytes(number, "number")
    result = _IdResultStruct()
    result.struct_size = ctypes.sizeof(_IdResultStruct)
    _check(lib.varsam_id_check(data, len(data), _today_arg(today), ctypes.byref(result)))

    if not result.valid:
        return IdResult(
            valid=False,
            error=_ID_ERROR_IDS.get(result.error, "unknown"),
            error_message=_decode(lib.varsam_id_error_message(result.error)),
            kind=None,
            sex=None,
            official_test_number=False,
            birth_date=None,
            normalized=None,
        )
    return IdResult(
        valid=True,
        error=None,
        error_message=None,
        kind=_KIND_NAMES.get(result.kind),
        sex=_SEX_NAMES.get(result.sex),
        official_test_number=bool(result.official_test_number),
        birth_date=datetime.date(result.birth_year, result.birth_month, result.birth_day),
        normalized=result.normalized.decode("ascii") or None,
    )


def find_ids(text: str | bytes, today: datetime.date | int | None = None) -> list[dict]:
    """Finds the identity numbers in a free text, in text order.

    Every form check_id accepts counts, and the same with a space in place of the separator;
    only candidates with a valid check digit, date and century. Returns one dict per match:
    ``{"offset": int, "length": int, "normalized": "YYYYMMDDNNNN", "kind": "personnummer" |
    "samordningsnummer" | "interimsnummer", "official_test_number": bool}``.

    ``offset`` and ``length`` are in BYTES of the UTF-8 encoding of ``text`` (of ``text``
    itself when it is bytes), not in characters: ``text.encode("utf-8")[offset:offset+length]``
    is the match. Use char_span() for str indices.
    """
    data = _to_bytes(text, "text")
    out = ctypes.c_void_p()
    status = lib.varsam_id_find(data, len(data), _today_arg(today), ctypes.byref(out))
    try:
        _check(status)
        if not out.value:
            raise VarsamError(Status.INTERNAL, "varsam_id_find returned OK without a result")
        raw = ctypes.string_at(out.value)
    finally:
        lib.varsam_free(out)  # varsam_free(NULL) does nothing
    return json.loads(raw.decode("utf-8"))


def char_span(text: str, match: dict) -> tuple[int, int]:
    """Converts a find_ids() match on the str ``text`` to (start, end) str indices, so that
    ``text[start:end]`` is the number as written."""
    encoded = text.encode("utf-8")
    start = len(encoded[: match["offset"]].decode("utf-8"))
    end = start + len(encoded[match["offset"] : match["offset"] + match["length"]].decode("utf-8"))
    return start, end


# ---- Instruments ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Flag:
    """A flag raised on a scored form: its code (e.g. "suicide_risk_followup") and severity
    ("info", "warning" or "critical")."""

    code: str
    severity: str


@dataclasses.dataclass(frozen=True)
class Score:
    """One form's score (varsam_score_result)."""

    instrument: str
    total: float | None  # None when too many items are missing to score
    band: str | None  # the band id ("moderate"); None when none applies
    band_index: int | None  # index of the band in the instrument's band ids; None when none
    answered: int
    missing: int
    prorated: bool  # the total was prorated over missing items
    flags: tuple[Flag, ...]  # the first SCORE_MAX_FLAGS flags raised, in definition order
    flag_bits: int  # bit i: the instrument's flag i was raised (all of them)
    flag_count: int  # flags raised, even beyond ``flags``
    max_severity: str | None  # severity of the worst flag raised; None when none

    @property
    def scored(self) -> bool:
        return self.total is not None


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """The columns score_batch() wrote, one entry per form."""

    total: array.array  # 'd': the total, NaN when not scored
    band: array.array  # 'i': band index, -1 when none
    flags: array.array  # 'I': flag bits
    status: array.array  # 'i': 0 scored, 1 too many missing, 2 invalid answers
    invalid_forms: int  # forms with status 2


def _bad(message: str) -> VarsamError:
    return VarsamError(Status.INVALID_ARGUMENT, message, "invalid_argument")


def _id_arg(instrument: str | bytes, what: str = "instrument") -> bytes:
    data = _to_bytes(instrument, what)
    if b"\0" in data:
        # ctypes would cut the id at the NUL and score another instrument.
        raise _bad(f"{what}: contains a NUL character")
    return data


def _answer(value, item: int) -> float:
    if value is None:
        return MISSING
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"item {item}: an answer must be a number or None")
    try:
        return float(value)
    except OverflowError:  # an int beyond any double: out of every range, like infinity
        return math.inf if value > 0 else -math.inf


def _answers(responses) -> array.array:
    if isinstance(responses, (str, bytes)):
        raise TypeError("responses must be a sequence of numbers or None")
    return array.array("d", (_answer(v, i) for i, v in enumerate(responses, 1)))


def _int32(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int or None")
    if not -(2**31) <= value < 2**31:
        raise _bad(f"{what}: out of range")
    return value


def _sex_code(sex, what: str = "sex") -> int:
    if sex is None or isinstance(sex, str):
        if sex not in _SEX_CODES:
            raise _bad(f'{what}: must be "female", "male" or None')
        return _SEX_CODES[sex]
    return _int32(sex, what)  # a varsam_sex int; the library refuses unknown values


def _age_code(age, what: str = "age") -> int:
    if age is None:
        return -1
    if _int32(age, what) < 0:
        raise _bad(f"{what}: must be a whole number of years, at least 0, or None")
    return age


def _previous_code(previous_total, what: str = "previous_total") -> float:
    if previous_total is None:
        return MISSING
    if isinstance(previous_total, bool) or not isinstance(previous_total, numbers.Real):
        raise TypeError(f"{what} must be a number or None")
    return float(previous_total)


def _c_array(data: array.array, ctype):
    """A ctypes pointer into ``data``'s buffer (no copy); NULL when it is empty."""
    if len(data) == 0:
        return None
    return ctypes.cast((ctype * len(data)).from_buffer(data), ctypes.POINTER(ctype))


def _take_json(status: int, out: ctypes.c_void_p, function: str):
    """Checks the status, parses the JSON the library returned and frees it."""
    try:
        _check(status)
        if not out.value:
            raise VarsamError(Status.INTERNAL, f"{function} returned OK without a result")
        raw = ctypes.string_at(out.value)
    finally:
        lib.varsam_free(out)
    return json.loads(raw.decode("utf-8"))


def score(
    instrument: str,
    responses,
    sex: str | int | None = None,
    age: int | None = None,
    previous_total: float | None = None,
) -> Score:
    """Scores one form through varsam_score().

    ``responses`` holds one answer per item in item order (numbers; ``None`` or NaN for an
    unanswered item). ``sex`` ("female", "male" or None), ``age`` (whole years or None) and
    ``previous_total`` (the previous session's total or None) feed sex- and age-specific
    cut-offs and change rules. Raises VarsamError: ``not_found`` for an unknown instrument,
    ``invalid_argument`` for a wrong number of answers or a bad answer (the message names the
    item, never the answer).
    """
    instrument_id = _id_arg(instrument)
    answers = _answers(responses)
    respondent = None
    if sex is not None or age is not None or previous_total is not None:
        respondent = _RespondentStruct()
        respondent.struct_size = ctypes.sizeof(_RespondentStruct)
        respondent.sex = _sex_code(sex)
        respondent.age = _age_code(age)
        respondent.previous_total = _previous_code(previous_total)
    result = _ScoreResultStruct()
    result.struct_size = ctypes.sizeof(_ScoreResultStruct)
    # A zero-length answer list still needs a non-NULL pointer for the count check to speak.
    pointer = _c_array(answers, ctypes.c_double) or (ctypes.c_double * 1)()
    _check(
        lib.varsam_score(
            instrument_id,
            ctypes.cast(pointer, ctypes.POINTER(ctypes.c_double)),
            len(answers),
            ctypes.byref(respondent) if respondent is not None else None,
            ctypes.byref(result),
        )
    )
    listed = min(result.flag_count, SCORE_MAX_FLAGS)
    return Score(
        instrument=instrument_id.decode("utf-8"),
        total=result.total if result.scored else None,
        band=_decode(result.band) if result.band is not None else None,
        band_index=result.band_index if result.band_index >= 0 else None,
        answered=result.answered,
        missing=result.missing,
        prorated=bool(result.prorated),
        flags=tuple(
            Flag(
                _decode(result.flags[i]),
                _SEVERITY_NAMES.get(result.flag_severities[i], "unknown"),
            )
            for i in range(listed)
        ),
        flag_bits=result.flag_bits,
        flag_count=result.flag_count,
        max_severity=_SEVERITY_NAMES.get(result.max_severity, "unknown"),
    )


def score_json(request: str | bytes | collections.abc.Mapping) -> dict:
    """Scores one form given as JSON through varsam_score_json() and returns the result as
    `varsam score --json` prints it: ``{"instrument", "total", "subscales", "band", "flags":
    [{"code", "severity", "message"}], "answered", "missing", "prorated"}``.

    ``request`` is the JSON text, or a mapping encoded here: ``{"instrument": "phq9",
    "responses": [1, 2, None, ...], "sex": "female" | "male" | None, "age": N | None,
    "previous_total": N | None, "language": "en" | "sv"}`` (NaN answers become null). Errors
    as score(); an unknown key or a value of the wrong type is ``invalid_argument``.
    """
    if isinstance(request, collections.abc.Mapping):
        request = dict(request)
        if isinstance(request.get("responses"), collections.abc.Sequence) and not isinstance(
            request["responses"], (str, bytes)
        ):
            request["responses"] = [
                None if isinstance(v, float) and math.isnan(v) else v for v in request["responses"]
            ]
        request = json.dumps(request)
    data = _to_bytes(request, "request")
    out = ctypes.c_void_p()
    status = lib.varsam_score_json(data, len(data), ctypes.byref(out))
    return _take_json(status, out, "varsam_score_json")


def _column(values, forms: int, convert, typecode: str, what: str) -> array.array | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be a sequence with one entry per form")
    column = array.array(typecode, (convert(v, f"{what}[{i}]") for i, v in enumerate(values)))
    if len(column) != forms:
        raise _bad(f"{what}: {len(column)} entries for {forms} forms")
    return column


def _require_known(instrument_id: bytes) -> None:
    """NOT_FOUND unless the instrument exists (for an empty batch, which has no row to tell
    its item count)."""
    if not any(d.get("id") == instrument_id.decode("utf-8", "replace") for d in instruments()):
        raise VarsamError(Status.NOT_FOUND, "unknown instrument", "not_found")


def score_batch(
    instrument: str,
    responses,
    *,
    items_per_form: int | None = None,
    sex=None,
    age=None,
    previous_total=None,
) -> BatchResult:
    """Scores many forms of one instrument through varsam_score_batch().

    ``responses`` is either a sequence of rows (one sequence of answers per form) or, with
    ``items_per_form``, a flat sequence of forms × items answers in row order; an
    ``array.array('d')`` is passed without copying. ``None`` or NaN is a missing answer.
    ``sex``, ``age`` and ``previous_total`` are optional columns with one entry per form (None
    for unknown). A form with bad answers does not stop the batch: it gets status 2 and counts
    in ``invalid_forms``. Raises VarsamError for an unknown instrument or a wrong shape.
    """
    instrument_id = _id_arg(instrument)
    if items_per_form is None:
        if isinstance(responses, (str, bytes)) or not isinstance(
            responses, collections.abc.Iterable
        ):
            raise TypeError("responses must be a sequence of rows (or flat, with items_per_form)")
        rows = [_answers(row) for row in responses]
        if not rows:
            _require_known(instrument_id)
            return BatchResult(
                array.array("d"), array.array("i"), array.array("I"), array.array("i"), 0
            )
        items_per_form = len(rows[0])
        if any(len(row) != items_per_form for row in rows):
            raise _bad("responses: the rows are not all of the same length")
        flat = array.array("d")
        for row in rows:
            flat.extend(row)
    else:
        items_per_form = _int32(items_per_form, "items_per_form")
        if items_per_form <= 0:
            raise _bad("items_per_form: must be at least 1")
        if isinstance(responses, array.array) and responses.typecode == "d":
            flat = responses
        else:
            flat = _answers(responses)
        if len(flat) % items_per_form != 0:
            raise _bad("responses: not a whole number of forms")
    forms = len(flat) // items_per_form

    sex_column = _column(sex, forms, _sex_code, "i", "sex")
    age_column = _column(age, forms, _age_code, "i", "age")
    previous_column = _column(previous_total, forms, _previous_code, "d", "previous_total")
    result = BatchResult(
        total=array.array("d", bytes(8 * forms)),
        band=array.array("i", bytes(4 * forms)),
        flags=array.array("I", bytes(4 * forms)),
        status=array.array("i", bytes(4 * forms)),
        invalid_forms=0,
    )
    assert result.band.itemsize == 4 and result.flags.itemsize == 4

    columns = _ScoreColumnsStruct()
    columns.struct_size = ctypes.sizeof(_ScoreColumnsStruct)
    if sex_column is not None:
        columns.sex = _c_array(sex_column, ctypes.c_int32)
    if age_column is not None:
        columns.age = _c_array(age_column, ctypes.c_int32)
    if previous_column is not None:
        columns.previous_total = _c_array(previous_column, ctypes.c_double)
    columns.total = _c_array(result.total, ctypes.c_double)
    columns.band = _c_array(result.band, ctypes.c_int32)
    columns.flags = _c_array(result.flags, ctypes.c_uint32)
    columns.status = _c_array(result.status, ctypes.c_int32)
    invalid = ctypes.c_size_t(0)
    _check(
        lib.varsam_score_batch(
            instrument_id,
            _c_array(flat, ctypes.c_double),
            forms,
            items_per_form,
            ctypes.byref(columns),
            ctypes.byref(invalid),
        )
    )
    return dataclasses.replace(result, invalid_forms=invalid.value)


def instruments() -> list[dict]:
    """Every instrument known (built-in and loaded), as varsam_instrument_list() describes them:
    id, names, items, total range, band ids in index order, flag codes in bit order, subscales,
    settings, sources, licence."""
    out = ctypes.c_void_p()
    return _take_json(lib.varsam_instrument_list(ctypes.byref(out)), out, "varsam_instrument_list")


def load_instrument(definition: str | bytes | collections.abc.Mapping) -> None:
    """Loads a host's own instrument definition (docs/instrument-format.md; JSON text or a
    mapping). Raises VarsamError: ``invalid_argument`` naming the problem for a bad definition,
    ``already_exists`` when its id is taken. Loaded instruments stay for the process."""
    if isinstance(definition, collections.abc.Mapping):
        definition = json.dumps(definition)
    data = _to_bytes(definition, "definition")
    _check(lib.varsam_instrument_load(data, len(data)))


def configure_instrument(instrument: str, settings: collections.abc.Mapping) -> None:
    """Changes settings of an instrument (cut-offs the sources leave open), e.g.
    ``configure_instrument("srs", {"alliance_cutoff": 35})``. The instrument is rebuilt and
    validated again; on any error the old one stays. Raises VarsamError: ``not_found``, or
    ``invalid_argument`` for an unknown setting or a value out of its range. Applies to the
    whole process."""
    if not isinstance(settings, collections.abc.Mapping):
        raise TypeError("settings must be a mapping of setting names to numbers")
    data = json.dumps(dict(settings)).encode("utf-8")
    _check(lib.varsam_instrument_configure(_id_arg(instrument), data, len(data)))


# ---- The engine: purpose-checked access, audit, suggestions and decisions -------------------


def _json_arg(value, what: str) -> bytes:
    """JSON text (str or bytes) as is; anything else encoded with json.dumps."""
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return _to_bytes(value, what)
    return json.dumps(value).encode("utf-8")


def _c_text(text: str | bytes, what: str) -> bytes:
    """A NUL-terminated string argument (ids, references, outcomes)."""
    data = _to_bytes(text, what)
    if b"\0" in data:
        raise _bad(f"{what}: contains a NUL character")
    return data


def _int64(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int")
    if not -(2**63) <= value < 2**63:
        raise _bad(f"{what}: out of range")
    return value


class Context:
    """An access context (capi/varsam.h, varsam_context): who, in which role, for which
    organisation and purpose, in which case, about which client, when. Made from its JSON form,
    as a mapping or JSON text::

        Context({"actor": "a-17", "role": "handlaggare",
                 "organisation": {"kind": "socialnamnd", "id": "0180"},
                 "purpose": "handlaggning",
                 "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": True,
                          "client": "k-1"},
                 "subject_client": "k-1", "time": "2026-11-28T10:00:00Z"})

    A bad context raises VarsamError (invalid_argument) naming the key, never its value. A
    context is immutable and may be shared between threads; it is freed with close() or when
    collected.
    """

    def __init__(self, spec: str | bytes | collections.abc.Mapping) -> None:
        self._handle = ctypes.c_void_p()
        data = _json_arg(dict(spec) if isinstance(spec, collections.abc.Mapping) else spec,
                         "context")
        _check(lib.varsam_context_from_json(data, len(data), ctypes.byref(self._handle)))

    @classmethod
    def from_fields(
        cls,
        *,
        actor: str,
        role: str,
        organisation_kind: str,
        purpose: str,
        time: datetime.datetime,
        organisation_id: str | None = None,
        case_ref: str | None = None,
        case_kind: str | None = None,
        case_led_to_investigation: bool = False,
        case_client: str | None = None,
        subject_client: str | None = None,
        ethics_approval: str | None = None,
    ) -> "Context":
        """The same context through varsam_context_new (time: an aware datetime)."""
        if time.tzinfo is None:
            raise TypeError("time must be a timezone-aware datetime")
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

        def text(value, what):
            return None if value is None else _c_text(value, what)

        fields = _ContextFieldsStruct(
            struct_size=ctypes.sizeof(_ContextFieldsStruct),
            actor=text(actor, "actor"),
            role=text(role, "role"),
            organisation_kind=text(organisation_kind, "organisation_kind"),
            organisation_id=text(organisation_id, "organisation_id"),
            purpose=text(purpose, "purpose"),
            case_ref=text(case_ref, "case_ref"),
            case_kind=text(case_kind, "case_kind"),
            case_led_to_investigation=1 if case_led_to_investigation else 0,
            case_client=text(case_client, "case_client"),
            subject_client=text(subject_client, "subject_client"),
            time_unix_micros=(time - epoch) // datetime.timedelta(microseconds=1),
            ethics_approval=text(ethics_approval, "ethics_approval"),
        )
        self = cls.__new__(cls)
        self._handle = ctypes.c_void_p()
        _check(lib.varsam_context_new(ctypes.byref(fields), ctypes.byref(self._handle)))
        return self

    def to_json(self) -> dict:
        """The context's JSON form (varsam_context_to_json), parsed."""
        out = ctypes.c_void_p()
        return _take_json(lib.varsam_context_to_json(self._ptr(), ctypes.byref(out)), out,
                          "varsam_context_to_json")

    def _ptr(self) -> ctypes.c_void_p:
        if not self._handle:
            raise ValueError("the context is closed")
        return self._handle

    def close(self) -> None:
        handle, self._handle = getattr(self, "_handle", None), ctypes.c_void_p()
        if handle:
            lib.varsam_context_free(handle)

    def __del__(self) -> None:
        self.close()


def policy_check(context: Context, action: str, resource=None) -> dict:
    """The built-in pack's decision on ``action`` for ``context`` (varsam_policy_check), not
    audited: ``{"decision": "allow"|"deny", "rules", "citations", "explanation",
    "explanation_sv"}``. A denial is an answer, not an exception."""
    data = b"" if resource is None else _json_arg(resource, "resource")
    out = ctypes.c_void_p()
    status = lib.varsam_policy_check(
        context._ptr(), _c_text(action, "action"), data, len(data), ctypes.byref(out)
    )
    return _take_json(status, out, "varsam_policy_check")


def _fill_key(get_key, buffer) -> int:
    """Copies the 32-byte key that get_key() returns into the C buffer, then wipes the copy.
    Returns the status for the C callback: an exception cannot cross into C, so it refuses."""
    try:
        raw = get_key()
        if raw is None:
            return Status.UNAUTHENTICATED
        raw = bytearray(raw)
        if len(raw) != 32:
            return Status.INVALID_ARGUMENT
        for i in range(32):
            buffer[i] = raw[i]
        raw[:] = bytes(32)
        return Status.OK
    except Exception:
        return Status.UNAUTHENTICATED


class Engine:
    """A varsam engine (capi/varsam.h, varsam_engine): the store, the policy packs and the
    audit log. Every call is guard -> audit event -> work; a refusal raises PermissionDenied.
    Use as a context manager, or call close()::

        with varsam.Engine("/var/lib/varsam", key=signing_key) as engine:
            result = engine.score(context, {"instrument": "phq9", "responses": [...]})

    ``key`` is the 32 raw bytes of the Ed25519 audit signing key, or a callable returning them
    (called once, at open). An engine may be used from any number of threads at once.

    For register submission give ``pseudonym_key``: 32 bytes (the key of ``key_epoch``), or a
    callable ``pseudonym_key(epoch) -> bytes`` (called once, at open); ``register_levels`` may
    set {"age_level": 1, "period_level": 2} (varsam_engine_open_with_keys).
    """

    def __init__(
        self,
        store: str,
        key,
        *,
        policy_packs=(),
        checkpoint_every_events: int | None = None,
        checkpoint_every_seconds: int | None = None,
        pseudonym_key=None,
        key_epoch: int = 0,
        register_levels=None,
    ) -> None:
        self._handle = ctypes.c_void_p()
        options = {"store": store}
        if policy_packs:
            options["policy_packs"] = [
                p if isinstance(p, str) else json.dumps(p) for p in policy_packs
            ]
        if checkpoint_every_events is not None:
            options["checkpoint_every_events"] = checkpoint_every_events
        if checkpoint_every_seconds is not None:
            options["checkpoint_every_seconds"] = checkpoint_every_seconds
        options["register"] = {"key_epoch": key_epoch, **dict(register_levels or {})}
        data = json.dumps(options).encode("utf-8")

        def give_key(user_data, buffer):
            return _fill_key(lambda: key() if callable(key) else key, buffer)

        def give_pseudonym_key(user_data, epoch, buffer):
            return _fill_key(
                lambda: pseudonym_key(epoch) if callable(pseudonym_key) else pseudonym_key,
                buffer)

        # Both callbacks are called only during the open.
        keys = _EngineKeysStruct()
        keys.struct_size = ctypes.sizeof(_EngineKeysStruct)
        keys.audit_key = _KEY_CALLBACK(give_key)
        keys.pseudonym_key = (_PSEUDONYM_KEY_CALLBACK(give_pseudonym_key)
                              if pseudonym_key is not None else _PSEUDONYM_KEY_CALLBACK())
        _check(lib.varsam_engine_open_with_keys(data, len(data), ctypes.byref(keys),
                                                ctypes.byref(self._handle)))

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Writes a final signed checkpoint and closes the engine. Idempotent."""
        handle, self._handle = getattr(self, "_handle", None), ctypes.c_void_p()
        if handle:
            lib.varsam_engine_close(handle)

    def __del__(self) -> None:
        self.close()

    def _ptr(self) -> ctypes.c_void_p:
        if not self._handle:
            raise ValueError("the engine is closed")
        return self._handle

    def _json_call(self, function: str, *args):
        out = ctypes.c_void_p()
        status = getattr(lib, function)(*args, ctypes.byref(out))
        return _take_json(status, out, function)

    def check(self, context: Context, action: str, resource=None) -> dict:
        """The policy's decision on ``action`` (audited, result "checked"); a denial is an
        answer here, not an exception. The dict as policy_check() returns it."""
        data = b"" if resource is None else _json_arg(resource, "resource")
        return self._json_call("varsam_engine_check", self._ptr(), context._ptr(),
                               _c_text(action, "action"), data, len(data))

    def score(self, context: Context, request) -> dict:
        """Action "score": the score_json() result plus "suggestions": [{"id", "flag"}], one
        open suggestion per flag raised."""
        if isinstance(request, collections.abc.Mapping):
            request = dict(request)
            if isinstance(request.get("responses"), collections.abc.Sequence):
                request["responses"] = [
                    None if isinstance(v, float) and math.isnan(v) else v
                    for v in request["responses"]
                ]
        data = _json_arg(request, "request")
        return self._json_call("varsam_engine_score", self._ptr(), context._ptr(), data,
                               len(data))

    def journal_append(self, context: Context, measurement) -> int:
        """Action "journal.write": appends one measurement (a mapping or JSON text with
        client_ref, case_ref, case_kind, instrument, session, date "YYYY-MM-DD", responses,
        total, band, flags) into the context's case. A known instrument's responses must fit
        it; without a total, the form is scored from them when it can be. Returns the store's
        id."""
        if isinstance(measurement, collections.abc.Mapping):
            measurement = dict(measurement)
            if isinstance(measurement.get("date"), datetime.date):
                measurement["date"] = measurement["date"].isoformat()
        data = _json_arg(measurement, "measurement")
        out = ctypes.c_int64()
        _check(lib.varsam_engine_journal_append(self._ptr(), context._ptr(), data, len(data),
                                                ctypes.byref(out)))
        return out.value

    def history(self, context: Context, client_ref: str) -> list[dict]:
        """Action "journal.read": the client's measurements, each with its "id"."""
        return self._json_call("varsam_engine_journal_history", self._ptr(), context._ptr(),
                               _c_text(client_ref, "client_ref"))

    def open_suggestions(self, context: Context) -> list[dict]:
        """The open suggestions of the context's case: [{"id", "kind", "created", "content"}]."""
        return self._json_call("varsam_engine_suggestions_open", self._ptr(), context._ptr())

    def record_decision(self, context: Context, suggestion_id: str, outcome: str,
                        rationale: str = "") -> int:
        """Action "decision.record": an officer's decision ("accepted", "rejected",
        "modified") on an open suggestion. PermissionDenied (human-decides) for a role that is
        not a human officer's; failed_precondition when already decided. Returns its id."""
        out = ctypes.c_int64()
        _check(lib.varsam_engine_decision_record(
            self._ptr(), context._ptr(), _c_text(suggestion_id, "suggestion_id"),
            _c_text(outcome, "outcome"), _c_text(rationale, "rationale"), ctypes.byref(out)))
        return out.value

    def override_rates(self, context: Context, start: datetime.date | int,
                       end: datetime.date | int) -> list[dict]:
        """Action "insight.query": per kind and code, suggestions made from start to end
        (inclusive) and how officers decided them; counts only."""
        return self._json_call("varsam_engine_override_rates", self._ptr(), context._ptr(),
                               _today_arg(start), _today_arg(end))

    def verify_audit(self, context: Context) -> dict:
        """Action "audit.read": {"ok", "events", "checkpoints", "first_bad_seq", "reason",
        "signatures_checked", "root"}."""
        return self._json_call("varsam_engine_audit_verify", self._ptr(), context._ptr())

    def prove_inclusion(self, context: Context, seq: int, tree_size: int = 0) -> dict:
        """Action "audit.read": {"seq", "tree_size", "leaf_hash", "root", "path"}."""
        return self._json_call("varsam_engine_audit_prove_inclusion", self._ptr(),
                               context._ptr(), _int64(seq, "seq"),
                               _int64(tree_size, "tree_size"))

    def prove_consistency(self, context: Context, old_size: int, new_size: int = 0) -> dict:
        """Action "audit.read": {"old_size", "new_size", "old_root", "new_root", "path"}."""
        return self._json_call("varsam_engine_audit_prove_consistency", self._ptr(),
                               context._ptr(), _int64(old_size, "old_size"),
                               _int64(new_size, "new_size"))

    def register_submit(self, context: Context, episodes) -> None:
        """Action "register.submit" for the context's case: episodes (a list of mappings, or
        JSON text) as varsam_register_submit takes them ({"personnummer" or "client_ref",
        "age", "sex", "postal_code", "intervention", "start", "end", "outcome",
        "measurements", "field_classes"}); dates may be datetime.date. All are stored or none.
        PermissionDenied for a report that led to no investigation (reports-stay-out) or
        trade-union data (never-union); VarsamError invalid_argument naming the episode and
        field, failed_precondition without a pseudonym key."""
        if isinstance(episodes, collections.abc.Sequence) and not isinstance(episodes, str):
            episodes = [_dates_as_text(e) for e in episodes]
        data = _json_arg(episodes, "episodes")
        _check(lib.varsam_register_submit(self._ptr(), context._ptr(), data, len(data)))

    def register_submit_cases(self, context: Context, cases, threads: int = 1) -> dict:
        """Case lines, as `varsam register submit --in` reads them (varsam_register_submit_cases):
        JSON-lines text (str or bytes, e.g. a file `varsam synth --register` wrote), or a list of
        mappings {"case": {...}, "episodes": [...]} (dates may be datetime.date). Each case is
        its own "register.submit" call in ``context`` with the line's case; up to ``threads``
        (1..64) at once. Returns what `varsam register submit --json` prints: {"cases",
        "submitted", "episodes", "measurements", "refused", "invalid", "rejected": [{"line",
        "status", "message"}]}. A bad line raises VarsamError invalid_argument ("line 3: ...")
        and nothing is submitted."""
        if isinstance(cases, collections.abc.Sequence) and not isinstance(
                cases, (str, bytes, bytearray, memoryview)):
            lines = []
            for c in cases:
                if isinstance(c, collections.abc.Mapping):
                    c = dict(c)
                    if "episodes" in c and isinstance(c["episodes"], collections.abc.Sequence):
                        c["episodes"] = [_dates_as_text(e) for e in c["episodes"]]
                lines.append(json.dumps(c))
            data = "".join(line + "\n" for line in lines).encode("utf-8")
        else:
            data = _to_bytes(cases, "cases")
        if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 64:
            raise _bad("threads: must be an int from 1 to 64")
        return self._json_call("varsam_register_submit_cases", self._ptr(), context._ptr(), data,
                               len(data), threads)

    def register_export(self, context: Context, **options) -> dict:
        """Action "register.export": a k-anonymous release, {"header", "rows", "report"}.
        Options as varsam_register_export takes them: k=5, l=0, max_suppression=0.0,
        metric="loss" | "discernibility", filter={"case_kind", "intervention", "region",
        "key_epoch"}."""
        data = json.dumps(options).encode("utf-8")
        return self._json_call("varsam_register_export", self._ptr(), context._ptr(), data,
                               len(data))

    def model_train(self, context: Context, spec, title: str | None = None) -> dict:
        """Action "model.train" (varsam_model_train): trains a model from the register's rows by
        ``spec`` (a mapping or JSON text; docs/models.md, "The specification") and keeps it
        beside the register. Returns {"id", "sha256", "model": <the model file>}. Raises
        PermissionDenied naming the rule (a private provider; a spec naming trade_union or
        another special category), VarsamError invalid_argument naming the spec's field."""
        data = _json_arg(spec, "spec")
        name = None if title is None else _c_text(title, "title")
        return self._json_call("varsam_model_train", self._ptr(), context._ptr(), data, len(data),
                               name)

    def model_add(self, context: Context, model) -> dict:
        """Action "model.train" (varsam_model_add): keeps a host's evidence-based model file
        (a mapping or JSON text) beside the register. Returns {"id", "sha256", "model"}."""
        data = _json_arg(model, "model")
        return self._json_call("varsam_model_add", self._ptr(), context._ptr(), data, len(data))

    def model_apply(self, context: Context, model_id: str, case) -> dict:
        """Action "model.apply" (varsam_model_apply): applies the kept model ``model_id`` to one
        case's features ({"age_band": "18-24", "sex": "female", ...}). Returns the prediction
        with its explanation and "suggestion": the id of the open suggestion stored for it, or
        None when it was applied in memory (an evidence-based model in an anmälan or
        förhandsbedömning). A register-trained model in such a case raises PermissionDenied
        (reports-evidence-only); an unknown id VarsamError not_found."""
        data = _json_arg(case, "case")
        return self._json_call("varsam_model_apply", self._ptr(), context._ptr(),
                               _c_text(model_id, "model_id"), data, len(data))

    def models(self, context: Context) -> list[dict]:
        """Action "insight.query" (varsam_model_list): the kept models, [{"id", "sha256",
        "kind", "title", "created"}], oldest first."""
        return self._json_call("varsam_model_list", self._ptr(), context._ptr())

    def outcomes_trajectory(self, context: Context, instrument: str,
                            case_ref: str | None = None) -> dict:
        """Action "journal.read" (varsam_outcomes_trajectory): the context's subject client's
        series of ``instrument`` in the case ``case_ref`` (None: the context's case, or the
        latest one), {"client", "case", "instrument", "intake", "cutoff", "sessions":
        [{"session", "date", "total", "change", "category", "rci", "reliable_change",
        "clinical"}]}, each later session judged by the Jacobson-Truax rule. VarsamError
        not_found for an unknown instrument or a case without a series."""
        case = None if case_ref is None else _c_text(case_ref, "case_ref")
        return self._json_call("varsam_outcomes_trajectory", self._ptr(), context._ptr(),
                               _c_text(instrument, "instrument"), case)

    def outcomes_fit_etr(self, context: Context, spec, title: str | None = None) -> dict:
        """Action "model.train" (varsam_outcomes_fit_etr): expected-treatment-response curves
        fitted from the register's series by ``spec`` (a mapping or JSON text: {"instrument",
        "boundary_percentile", "max_session", "min_support", "bin_width"}, all but instrument
        optional) and kept beside the register. Returns {"id", "sha256", "model": <the curve
        file, "varsam-etr/1">}. Raises PermissionDenied naming the rule (a private provider),
        VarsamError invalid_argument naming the spec's key."""
        data = _json_arg(spec, "spec")
        name = None if title is None else _c_text(title, "title")
        return self._json_call("varsam_outcomes_fit_etr", self._ptr(), context._ptr(), data,
                               len(data), name)

    def outcomes_monitor(self, context: Context, model_id: str, client=None) -> dict:
        """Actions "journal.read" and "model.apply" (varsam_outcomes_monitor): the context's
        subject client's series in the context's case against the kept curves ``model_id``.
        Each session below the boundary (and each alliance concern) becomes an open suggestion
        of kind "outcome" once. Returns {"model", "sha256", "instrument", "case", "supported",
        "intake", "levels" (curves with predictors; else None), "sessions": [{"session", "total", "change", "expected", "boundary",
        "track"}], "alliance_concerns", "raised": [{"suggestion", "reason", "session"}]}.
        For curves fitted with predictors, ``client`` (a mapping or JSON text: {"intervention",
        "age"}) tells the client's levels (varsam_outcomes_monitor_client).
        Raises PermissionDenied in an anmälan or förhandsbedömning (reports-evidence-only);
        VarsamError not_found for an id that is not kept curves, invalid_argument for curves
        with predictors without the client's levels."""
        facts = None if client is None else _json_arg(client, "client")
        return self._json_call("varsam_outcomes_monitor_client", self._ptr(), context._ptr(),
                               _c_text(model_id, "model_id"), facts,
                               0 if facts is None else len(facts))

    def outcomes_benchmarks(self, context: Context, spec, curves_id: str | None = None) -> dict:
        """Action "insight.query" (varsam_outcomes_benchmarks): agency benchmarks of one
        instrument from the register by ``spec`` (a mapping or JSON text: {"instrument", "by":
        "service" | "intervention" | "region", "min_people", "max_session"}, all but instrument
        optional), with the kept curves ``curves_id`` when given for the share reaching target.
        Returns the "varsam-outcome-benchmarks/1" document: {"format", "instrument", "by", "k",
        "target", "curves", "period_from", "period_to", "adjustment", "unlinked_series",
        "groups": [{"group", "service", "protected", "people", "series", "mean_intake",
        "effect_size", "severity_adjusted_effect_size", "target_series", "reaching_target",
        "reliable_improvement", "reliable_deterioration", "recovered", "ended_series",
        "dropout"}]}, the service first; a group of fewer than k people is protected (every
        figure None). Raises PermissionDenied naming the rule (a private provider), VarsamError
        invalid_argument naming the spec's key, not_found for an unknown instrument or curves."""
        data = _json_arg(spec, "spec")
        curves = None if curves_id is None else _c_text(curves_id, "curves_id")
        return self._json_call("varsam_outcomes_benchmarks", self._ptr(), context._ptr(), data,
                               len(data), curves)

    def insight_query(self, context: Context, query, format: str = "json") -> dict | str:
        """Action "insight.query" (varsam_insight_query; the follow-up purposes): a table of
        group insights from the register, protected before release (docs/insights.md). ``query``
        is a mapping or JSON text: {"measure": {"kind": "episodes" | "people" | "share" |
        "mean" | "median", "of", "instrument", "outcome"}, "dimensions": [...] (at most 4),
        "filters": {dimension: [values]}, "margins": bool, "protection": {"threshold",
        "dominance", "p_percent", "secondary", "protection_share", "cell_key", "dp"}}.

        ``format`` "json" returns the "varsam-insight/1" document as a dict: {"format",
        "query" (canonical), "methods", "dimensions", "cells": [{"levels" (None for a
        margin), "value" (None when protected), "status" ("published" | "zero" |
        "protected"), "flag"}]}; "csv" returns CSV text (".." protected, "\u2013" zero,
        "Totalt" a margin) and "html" a self-contained page (no script), both as str.

        Raises PermissionDenied naming the rule (a private provider, an officer in case
        handling); VarsamError invalid_argument naming the query's field ("query.measure.of"),
        never its value, or for a format the library does not know; failed_precondition when the table's groups
        differ from an earlier release's by fewer than the threshold ("insight:
        differencing"); resource_exhausted past the organisation's cell or epsilon budget."""
        data = _json_arg(query, "query")
        form = _c_text(format, "format")
        if format == "json":
            return self._json_call("varsam_insight_query", self._ptr(), context._ptr(), data,
                                   len(data), form)
        out = ctypes.c_void_p()
        try:
            _check(lib.varsam_insight_query(self._ptr(), context._ptr(), data, len(data), form,
                                            ctypes.byref(out)))
            if not out.value:
                raise VarsamError(Status.INTERNAL,
                                  "varsam_insight_query returned OK without a result")
            return ctypes.string_at(out.value).decode("utf-8")
        finally:
            lib.varsam_free(out)

    def outcomes_report_html(self, context: Context, instrument: str,
                             model_id: str | None = None, language: str = "sv",
                             client=None) -> str:
        """Action "journal.read", and "model.apply" with curves (varsam_outcomes_report_html):
        the client chart of the context's subject client's ``instrument`` series in the
        context's case, with the kept curves ``model_id`` when given, as a self-contained HTML page (inline SVG, no script) in
        ``language`` "sv" or "en"; ``client`` as for outcomes_monitor."""
        model = None if model_id is None else _c_text(model_id, "model_id")
        facts = None if client is None else _json_arg(client, "client")
        out = ctypes.c_void_p()
        try:
            _check(lib.varsam_outcomes_report_html_client(
                self._ptr(), context._ptr(), _c_text(instrument, "instrument"), model,
                _c_text(language, "language"), facts, 0 if facts is None else len(facts),
                ctypes.byref(out)))
            if not out.value:
                raise VarsamError(Status.INTERNAL,
                                  "varsam_outcomes_report_html_client returned OK without a "
                                  "result")
            return ctypes.string_at(out.value).decode("utf-8")
        finally:
            lib.varsam_free(out)

    @property
    def audit_public_key(self) -> str:
        """The audit public key (raw Ed25519) as 64 hex digits."""
        buffer = ctypes.create_string_buffer(65)
        _check(lib.varsam_engine_audit_public_key(self._ptr(), buffer))
        return buffer.value.decode("ascii")


def model_card(model, format: str = "markdown") -> str:
    """The card of a model file (a mapping or JSON text) as "markdown" or "html"
    (varsam_model_card; no engine). Raises VarsamError data_loss when the file's hash does not
    match its content."""
    data = _json_arg(model, "model")
    out = ctypes.c_void_p()
    try:
        _check(lib.varsam_model_card(data, len(data), _c_text(format, "format"),
                                     ctypes.byref(out)))
        if not out.value:
            raise VarsamError(Status.INTERNAL, "varsam_model_card returned OK without a result")
        return ctypes.string_at(out.value).decode("utf-8")
    finally:
        lib.varsam_free(out)


def _dates_as_text(value):
    """A copy of a mapping (and its measurements) with datetime.date values as "YYYY-MM-DD"."""
    if not isinstance(value, collections.abc.Mapping):
        return value
    out = {}
    for k, v in value.items():
        if isinstance(v, datetime.date):
            v = v.isoformat()
        elif isinstance(v, collections.abc.Sequence) and not isinstance(v, (str, bytes)):
            v = [_dates_as_text(item) for item in v]
        out[k] = v
    return out


# ---- Anonymisation -------------------------------------------------------------------------


def anonymize(request, key=None) -> dict:
    """Anonymises a batch of records through the pipeline (varsam_anonymize).

    ``request`` is the request as a mapping (or its JSON text): {"schema": {...}, "records":
    [{"field": "value", ...}, ...], "k": 5, "l": 0, "sensitive": None, "max_suppression": 0.0,
    "key_epoch": 0, "names": [...], "today": "YYYY-MM-DD", "hierarchies": {"FILE": "csv"}}.
    ``key`` gives the pseudonym key: 32 bytes (for the request's key_epoch), or a callable
    ``key(epoch) -> bytes`` (32 bytes; None or an exception refuses), or None when no field has
    a pseudonym kind. Returns {"header": [...], "rows": [[...], ...], "report": {...}}. Raises
    VarsamError: invalid_argument (named key, field or record index, never a value),
    failed_precondition (a forbidden value, no generalisation, no key), unauthenticated (the
    key was refused).
    """
    data = _json_arg(request, "request")
    if key is not None and not callable(key):
        fixed = bytes(key)
        if len(fixed) != 32:
            raise _bad("key: must be 32 bytes")

    def give_key(user_data, epoch, buffer):
        return _fill_key(lambda: key(epoch) if callable(key) else fixed, buffer)

    # A NULL function pointer when there is no key.
    callback = _PSEUDONYM_KEY_CALLBACK(give_key) if key is not None else _PSEUDONYM_KEY_CALLBACK()
    out = ctypes.c_void_p()
    status = lib.varsam_anonymize(data, len(data), callback, None, ctypes.byref(out))
    return _take_json(status, out, "varsam_anonymize")
