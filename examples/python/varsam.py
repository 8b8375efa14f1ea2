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

import ctypes
import ctypes.util
import dataclasses
import datetime
import enum
import json
import os

__all__ = [
    "HEADER_VERSION_MAJOR",
    "HEADER_VERSION_MINOR",
    "HEADER_VERSION_PATCH",
    "HEADER_VERSION_NUMBER",
    "Status",
    "IdResult",
    "VarsamError",
    "version",
    "version_number",
    "status_name",
    "id_error_message",
    "check_id",
    "find_ids",
    "char_span",
    "library_path",
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
_KIND_NAMES = {1: "personnummer", 2: "samordningsnummer"}
_SEX_NAMES = {1: "female", 2: "male"}
_ID_ERROR_IDS = {0: None, 1: "format", 2: "check_digit", 3: "no_such_date", 4: "century"}
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


# ---- Loading the library -------------------------------------------------------------------


def _find_library() -> str:
    explicit = os.environ.get("VARSAM_LIBRARY")
    if explicit:
        return explicit
    found = ctypes.util.find_library("varsam")
    if found:
        return found
    return "libvarsam.so.0"


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


def _check(status: int) -> None:
    """Raises VarsamError for a non-OK status. Call right after the failed call, on the same
    thread: the message is thread-local and valid only until the next varsam_* call."""
    if status != Status.OK:
        message = _decode(lib.varsam_last_error())
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
    error: str | None  # None, "format", "check_digit", "no_such_date" or "century"
    error_message: str | None  # short English reason, without any part of the number
    kind: str | None  # "personnummer", "samordningsnummer" or None
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
    "samordningsnummer", "official_test_number": bool}``.

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
