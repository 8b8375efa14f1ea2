"""Which identity numbers in a text are not Skatteverket's official test numbers.

The project's rule (CONTRIBUTING.md, "No personal data in messages"): tests, docs, examples and
fuzz corpora hold only official test numbers, never invented ones. Two readings of a text, and a
number either finds that is not on the list is foreign:

- varsam's own scanner (through the ctypes binding) finds every identity number it takes for
  valid, read against each of the reference dates below, in every form and separator it reads;
- a plainer reading finds what merely looks like one: ten digits (YYMMDDNNNN) or twelve
  (YYYYMMDDNNNN, from 18, 19 or 20), a '-', '+' or space before the last four or not, a month
  from 01 to 12, a day from 01 to 31 (or 61 to 91), and a Luhn check digit that holds — whatever
  the date, the century or the serial. varsam refuses many of these (serial 000, 30 February, a
  '+' that does not fit the age), but they look real to a reader, and so they are kept out too.

A ten-digit number counts as official when an official number ends in its ten digits (any
century); a twelve-digit one only when it is on the list itself.

Used by the privacy test over the whole project and by `scripts/fuzz --keep`, which drops every
input a fuzzer found that holds such a number (fuzzers invent valid numbers all the time):

    VARSAM_LIBRARY=build/release/libvarsam.so.0 python3 tests/privacy/official_numbers.py \\
        [--remove] FILE...

prints each file holding a number that is not an official test number, removes it with
--remove, and exits 1 when it printed any (0 with --remove, which is a cleaning step).
"""

from __future__ import annotations

import datetime
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "python"))

import varsam  # noqa: E402

# The reference dates the tests use; fixed, so the verdict does not change with the clock.
REFERENCE_DATES = (datetime.date(2024, 6, 1), datetime.date(2026, 11, 28))

LISTED = frozenset((ROOT / "data" / "skatteverket-testpersonnummer.txt").read_text().split())
LISTED_TEN = frozenset(n[2:] for n in LISTED)

# Ten or twelve digits not inside a longer run of digits, the last four after an optional
# separator.
LOOKS_LIKE = re.compile(rb"(?<![0-9])((?:18|19|20)?)([0-9]{6})([-+ ]?)([0-9]{4})(?![0-9])")


def luhn_holds(ten: str) -> bool:
    total = 0
    for i, c in enumerate(ten):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return total % 10 == 0


def official(digits: str) -> bool:
    """Whether ten or twelve digits are an official test number (ten: in any century)."""
    return digits in LISTED if len(digits) == 12 else digits in LISTED_TEN


def looks_real(data: bytes) -> list[int]:
    """The byte offsets of the numbers the plain reading finds that are not official."""
    foreign = []
    for m in LOOKS_LIKE.finditer(data):
        century, date, _, serial = (g.decode() for g in m.groups())
        month, day = int(date[2:4]), int(date[4:6])
        if not (1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)):
            continue
        if luhn_holds(date + serial) and not official(century + date + serial):
            foreign.append(m.start())
    return foreign


def scan(data: bytes) -> tuple[int, list[int]]:
    """Returns (how many valid numbers varsam's scanner found, the byte offsets of the numbers
    either reading finds that are not official test numbers) in ``data``, read as UTF-8 with
    undecodable bytes replaced for the scanner."""
    text = data.decode("utf-8", errors="replace")
    found = 0
    foreign = set(looks_real(data))
    for today in REFERENCE_DATES:
        for m in varsam.find_ids(text, today=today):
            found += 1
            normalized = m["normalized"]
            ten_digit_form = m["length"] in (10, 11)
            if m["official_test_number"] or (ten_digit_form and official(normalized[2:])):
                continue
            foreign.add(m["offset"])
    return found, sorted(foreign)


def main(argv: list[str]) -> int:
    remove = argv[:1] == ["--remove"]
    paths = argv[1:] if remove else argv
    if not paths:
        print(__doc__.strip().splitlines()[-5], file=sys.stderr)
        return 2
    printed = 0
    for name in paths:
        path = pathlib.Path(name)
        _, foreign = scan(path.read_bytes())
        if foreign:
            printed += 1
            print(f"{path}: not an official test number at byte {foreign[0]}")
            if remove:
                path.unlink()
    return 0 if remove or printed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
