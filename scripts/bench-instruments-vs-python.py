#!/usr/bin/env python3
"""Peer comparison for batch scoring: varsam vs. the same rules written in plain Python.

docs/performance.md gives performance figures as ratios against a reference. The reference here is
what a host re-scoring a history would otherwise write by hand: a loop over the forms that
checks every answer (a number, in range, a whole number, AUDIT items 9-10 only 0/2/4), sums,
picks the band (AUDIT by sex) and raises the flags (PHQ-9 item 9; AUDIT items 4-6 >= 2,
items 9-10 = 4, sex unknown). varsam is called through its C API, varsam_score_batch() in the
shared library, through the declarations of the ctypes binding (examples/python/varsam.py)
but without its conversions, on the same forms in array('d') buffers; its time includes the
call, not the building of the input.

The forms are synthetic: answers drawn uniformly from each item's allowed values with a fixed
seed, respondents alternating female/male. Both sides must give identical totals, bands and
flags.

Usage:
  scripts/bench-instruments-vs-python.py [path/to/libvarsam.so] [--forms N] [--repeat N]

Standard library only.
"""

import argparse
import array
import ctypes
import math
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LIBRARY = os.path.join(ROOT, "build", "release", "libvarsam.so")


def pointer(buffer, ctype):
    address, _ = buffer.buffer_info()
    return ctypes.cast(address, ctypes.POINTER(ctype))


# ---- The hand-written reference (the rules of data/instruments/{phq9,audit}.json) ------------

PHQ9_BANDS = [(0, 0), (5, 1), (10, 2), (15, 3), (20, 4)]  # (min, band index)
AUDIT_BANDS = {1: [(0, 0), (6, 1), (16, 2), (20, 3)], 2: [(0, 0), (8, 1), (16, 2), (20, 3)]}


def band_of(bands, total):
    index = -1
    for start, band in bands:
        if start <= total:
            index = band
    return index


def whole(x, low, high):
    return isinstance(x, float) and not math.isnan(x) and low <= x <= high and x == int(x)


def python_phq9(answers, n, sex):
    totals, bands, flags = [], [], []
    for f in range(len(answers) // n):
        row = answers[f * n:(f + 1) * n]
        if not all(whole(x, 0, 3) for x in row):
            raise ValueError(f"form {f}: bad answer")
        total = sum(row)
        totals.append(total)
        bands.append(band_of(PHQ9_BANDS, total))
        flags.append(1 if row[8] >= 1 else 0)
    return totals, bands, flags


def python_audit(answers, n, sex):
    totals, bands, flags = [], [], []
    for f in range(len(answers) // n):
        row = answers[f * n:(f + 1) * n]
        if not all(whole(x, 0, 4) for x in row) or row[8] not in (0, 2, 4) or \
                row[9] not in (0, 2, 4):
            raise ValueError(f"form {f}: bad answer")
        total = sum(row)
        totals.append(total)
        bands.append(band_of(AUDIT_BANDS[sex[f]], total) if sex[f] in AUDIT_BANDS else -1)
        bits = 0
        if max(row[3:6]) >= 2:
            bits |= 1
        if row[8] == 4 or row[9] == 4:
            bits |= 2
        if sex[f] == 0:
            bits |= 4
        flags.append(bits)
    return totals, bands, flags


INSTRUMENTS = {
    # id: (items, allowed values per item, reference)
    "phq9": (9, [range(4)] * 9, python_phq9),
    "audit": (10, [range(5)] * 8 + [(0, 2, 4)] * 2, python_audit),
}


def forms(instrument, count, seed):
    n, allowed, _ = INSTRUMENTS[instrument]
    rng = random.Random(seed)
    answers = array.array("d", (float(rng.choice(allowed[i % n])) for i in range(count * n)))
    sex = array.array("i", (1 + f % 2 for f in range(count)))
    return answers, sex


def run(varsam, instrument, count, repeat):
    lib = varsam.lib
    n, _, reference = INSTRUMENTS[instrument]
    answers, sex = forms(instrument, count, 2026)
    total = array.array("d", bytes(8 * count))
    band = array.array("i", bytes(4 * count))
    flags = array.array("I", bytes(4 * count))
    columns = varsam._ScoreColumnsStruct()  # the binding's declaration of the C struct
    columns.struct_size = ctypes.sizeof(columns)
    columns.sex = pointer(sex, ctypes.c_int32)
    columns.total = pointer(total, ctypes.c_double)
    columns.band = pointer(band, ctypes.c_int32)
    columns.flags = pointer(flags, ctypes.c_uint32)
    invalid = ctypes.c_size_t(0)
    data = pointer(answers, ctypes.c_double)

    best_varsam = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        status = lib.varsam_score_batch(instrument.encode(), data, count, n,
                                        ctypes.byref(columns), ctypes.byref(invalid))
        best_varsam = min(best_varsam, time.perf_counter() - start)
        if status != 0 or invalid.value != 0:
            sys.exit(f"varsam_score_batch failed: {lib.varsam_last_error().decode()}")

    best_python = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        expected = reference(answers, n, sex)
        best_python = min(best_python, time.perf_counter() - start)

    if list(total) != expected[0] or list(band) != expected[1] or list(flags) != expected[2]:
        sys.exit(f"{instrument}: varsam and the Python reference disagree")
    python_rate = count / best_python
    varsam_rate = count / best_varsam
    print(f"| `{instrument}` | {count:,} | {python_rate / 1e6:.3f} M forms/s | "
          f"{varsam_rate / 1e6:.1f} M forms/s | **{varsam_rate / python_rate:.0f}×** |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", nargs="?",
                        default=os.environ.get("VARSAM_LIBRARY", DEFAULT_LIBRARY))
    parser.add_argument("--forms", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    # The ctypes binding (examples/python/varsam.py) loads the library and declares the C API;
    # the batch call below goes straight to the C function, without the binding's conversions.
    os.environ["VARSAM_LIBRARY"] = args.library
    sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
    import varsam  # noqa: E402

    print("| instrument | forms | Python by hand | varsam_score_batch | ratio |")
    print("|---|---|---|---|---|")
    for instrument in INSTRUMENTS:
        run(varsam, instrument, args.forms, args.repeat)
    print("identical totals, bands and flags on both sides")


if __name__ == "__main__":
    main()
