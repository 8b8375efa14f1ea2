#!/usr/bin/env python3
"""Peer comparison for finding identity numbers in text: varsam vs. Python's `re`.

docs/performance.md gives performance figures as ratios against a reference tool. The reference here
is what a host would otherwise write: one `re` pattern for the forms the text holds
(YYYYMMDDNNNN, YYYYMMDD-NNNN, YYMMDDNNNN, YYMMDD-NNNN, YYMMDD+NNNN, and a space in place of the
separator) followed by the same Luhn, date and century checks in Python. The text is ASCII, so
its matching view (varsam/core.h) is the text itself, and it holds none of the other forms
ident::Scan reads (dots, slashes, digit pairs: scripts/bench-scrub-vs-python.py has those). varsam is called
through its C API, varsam_id_find() in the shared library, with ctypes; its time includes
building the JSON result (not decoding it in Python).

The text is the one bench/bench_ident.cc scans (same generator, byte for byte): about 4 MiB
of Swedish case-note prose with dates, phone numbers, amounts and, every ~300 bytes, one of
Skatteverket's official test numbers. Both sides must find exactly the same matches.

Usage:
  scripts/bench-ident-vs-python.py [path/to/libvarsam.so] [--repeat N]
  VARSAM_LIBRARY=build/libvarsam.so scripts/bench-ident-vs-python.py

Standard library only.
"""

import argparse
import ctypes
import json
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "skatteverket-testpersonnummer.txt")

TODAY = (2026, 11, 28)  # the reference date, as in bench/bench_ident.cc
TODAY_INT = TODAY[0] * 10000 + TODAY[1] * 100 + TODAY[2]

# ---- The text: keep in step with bench/bench_ident.cc -----------------------------------------

MASK = (1 << 64) - 1
SEED = 0x76617273616D2131  # "varsam!1"
TEXT_BYTES = 4 << 20
NUMBER_EVERY = 300

WORDS = [
    "och", "att", "det", "som", "på", "är", "för", "med", "har", "inte", "en", "av", "till",
    "om", "kan", "vid", "efter", "också", "där", "både", "när", "sin", "hos", "under",
    "klienten", "socialsekreterare", "besök", "hemmet", "uppföljning", "åtgärd", "ärende",
    "önskemål", "föräldrar", "barnet", "skolan", "överenskommelse", "utredning", "bistånd",
    "försörjningsstöd", "läkare", "vårdnadshavare", "möte", "träffades", "kontakt", "enligt",
    "beslut", "insats", "väntar", "återkommer", "närvarande", "hälsa", "år", "månad", "vecka",
    "kväll", "öppenvård", "följande", "bedömning", "behov", "stöd", "boende", "hyra", "skuld",
    "målsättning", "förälder", "syskon", "journal", "anteckning", "samtal", "telefon",
    "överförmyndare", "god", "man", "Malmö", "Göteborg", "Västerås", "Örebro", "Umeå",
    "Jönköping", "Linköping", "Norrköping", "Gävle", "Sundsvall", "Luleå", "Borås", "Växjö"]
WORDS_UTF8 = [w.encode("utf-8") for w in WORDS]


class Rng:
    """splitmix64, as in the C++ benchmark."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def load_numbers():
    with open(DATA, encoding="ascii") as f:
        return [line.strip() for line in f if line.strip()]


def number_in_form(twelve, form):
    hundred = TODAY[0] - int(twelve[:4]) >= 100
    if form == 0:
        return twelve
    if form == 1:
        return twelve[:8] + "-" + twelve[8:]
    if form == 2:
        return twelve[2:8] + ("+" if hundred else "-") + twelve[8:]
    return twelve[2:8] + ("+" if hundred else " ") + twelve[8:]


def make_text(numbers, with_numbers=True):
    """Returns (text as UTF-8 bytes, how many identity numbers were put in)."""
    rng = Rng(SEED)
    parts = []
    size = 0
    last_number_end = 0
    count = 0
    while size < TEXT_BYTES:
        if with_numbers and size - last_number_end >= NUMBER_EVERY:
            n = numbers[rng.below(len(numbers))]
            token = number_in_form(n, rng.below(4)).encode("ascii")
            size += len(token)
            last_number_end = size
            count += 1
        else:
            kind = rng.below(100)
            if kind < 78:
                token = WORDS_UTF8[rng.below(len(WORDS_UTF8))]
            elif kind < 84:
                year = 2015 + rng.below(12)
                month = 1 + rng.below(12)
                day = 1 + rng.below(28)
                token = b"%04d-%02d-%02d" % (year, month, day)
            elif kind < 89:
                a, b, c, d = rng.below(10), rng.below(1000), rng.below(100), rng.below(100)
                token = b"07%d-%03d %02d %02d" % (a, b, c, d)
            elif kind < 95:
                token = b"%d kr" % rng.below(100000)
            else:
                h, m = rng.below(24), rng.below(60)
                token = b"kl %02d.%02d" % (h, m)
            size += len(token)
        parts.append(token)
        end = rng.below(16)
        sep = b".\n" if end == 0 else b". " if end < 3 else b", " if end == 3 else b" "
        parts.append(sep)
        size += len(sep)
    return b"".join(parts), count


# ---- The reference: `re` and the checks in Python ----------------------------------------------

# A candidate stands alone (no digit before or after). `+` only after six digits.
PATTERN = re.compile(rb"(?<![0-9])(?:([0-9]{8})[- ]([0-9]{4})|([0-9]{6})([-+ ])([0-9]{4})"
                     rb"|([0-9]{12})|([0-9]{10}))(?![0-9])")
DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]
DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def valid_date(year, month, day):
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    return day <= DAYS[month - 1] + (1 if month == 2 and leap else 0)


def check(century, yymmdd, sep, serial):
    """Returns the normalised twelve digits, or None. `century` is None for ten-digit forms."""
    d = yymmdd + serial[:3]
    s = sum(DOUBLED[ord(d[i]) - 48] if i % 2 == 0 else ord(d[i]) - 48 for i in range(9))
    if chr(48 + (10 - s % 10) % 10) != serial[3]:
        return None
    yy, month, raw_day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    day = raw_day - 60 if raw_day > 60 else raw_day
    if century is not None:
        year = century * 100 + yy
    else:
        limit = TODAY[0] - 100 if sep == "+" else TODAY[0]
        year = limit - ((limit % 100) - yy) % 100
    if not valid_date(year, month, day):
        return None
    if century is None and sep != "+" and (year, month, day) > TODAY:
        return None
    return "%04d" % year + yymmdd[2:] + serial


def python_find(text):
    """[(offset, length, normalised)] like varsam_id_find."""
    found = []
    for m in PATTERN.finditer(text):
        g = m.groups()
        if g[0] is not None:
            a = g[0].decode()
            n = check(int(a[:2]), a[2:], "-", g[1].decode())
        elif g[2] is not None:
            n = check(None, g[2].decode(), g[3].decode(), g[4].decode())
        elif g[5] is not None:
            a = g[5].decode()
            n = check(int(a[:2]), a[2:8], "-", a[8:])
        else:
            a = g[6].decode()
            n = check(None, a[:6], "-", a[6:])
        if n is not None:
            found.append((m.start(), m.end() - m.start(), n))
    return found


# ---- varsam through ctypes ------------------------------------------------------------------------

def load_varsam(path):
    lib = ctypes.CDLL(path)
    lib.varsam_id_find.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int32,
                                   ctypes.POINTER(ctypes.c_void_p)]
    lib.varsam_id_find.restype = ctypes.c_int
    lib.varsam_free.argtypes = [ctypes.c_void_p]
    lib.varsam_free.restype = None
    lib.varsam_last_error.argtypes = []
    lib.varsam_last_error.restype = ctypes.c_char_p
    return lib


def varsam_find_raw(lib, text):
    """Calls varsam_id_find; returns the JSON bytes."""
    out = ctypes.c_void_p()
    status = lib.varsam_id_find(text, len(text), TODAY_INT, ctypes.byref(out))
    if status != 0:
        raise RuntimeError("varsam_id_find: status %d: %s"
                           % (status, lib.varsam_last_error().decode()))
    try:
        return ctypes.string_at(out.value)
    finally:
        lib.varsam_free(out)


def best_of(repeat, fn):
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library", nargs="?", default=os.environ.get("VARSAM_LIBRARY"),
                        help="path to libvarsam.so (default: $VARSAM_LIBRARY)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per side; the best counts")
    args = parser.parse_args()
    if not args.library:
        parser.error("give the path to libvarsam.so or set VARSAM_LIBRARY")

    lib = load_varsam(args.library)
    text, inserted = make_text(load_numbers())
    mb = len(text) / 1e6

    t_py, py = best_of(args.repeat, lambda: python_find(text))
    t_vs, raw = best_of(max(args.repeat, 20), lambda: varsam_find_raw(lib, text))
    vs = [(m["offset"], m["length"], m["normalized"]) for m in json.loads(raw)]

    print("text: %d bytes, %d official test numbers put in" % (len(text), inserted))
    print("python re + checks : %8.1f MB/s  (%.2f ms, %d matches)"
          % (mb / t_py, t_py * 1e3, len(py)))
    print("varsam_id_find     : %8.1f MB/s  (%.2f ms, %d matches, incl. JSON output)"
          % (mb / t_vs, t_vs * 1e3, len(vs)))
    print("ratio varsam/python: %.1fx" % (t_py / t_vs))
    ok = len(py) == len(vs) == inserted and py == vs
    if not ok:
        print("MISMATCH: python %d, varsam %d, inserted %d matches%s"
              % (len(py), len(vs), inserted, "" if len(py) != len(vs) else " (contents differ)"),
              file=sys.stderr)
        return 1
    print("same matches: yes (%d, identical offsets, lengths and digits)" % len(vs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
