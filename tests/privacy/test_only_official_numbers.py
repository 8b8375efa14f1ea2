"""No real person's number in the project (CONTRIBUTING.md, "No personal data in messages":
tests, docs and examples use only Skatteverket's official test numbers, never invented ones).

varsam's own scanner (through the ctypes binding) reads every text file of the project but the
list itself and the build trees. Each valid identity number it finds must be an official test
number. The one exception is an official number written in a ten-digit form that, read against
one of the reference dates, means someone born before 1880 (tests of the `+` rule do this on
purpose; nobody such is alive). Numbers derived by a rule (samordningsnummer, impossible dates)
are built by the tests at run time and never written down.

    VARSAM_LIBRARY=build/release/libvarsam.so python3 -m unittest discover -s tests/privacy
"""

from __future__ import annotations

import datetime
import os
import pathlib
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "python"))

import varsam  # noqa: E402

SKIP_DIRS = {".git", "build", "__pycache__", "data"}
TEXT_SUFFIXES = {".md", ".h", ".cc", ".c", ".py", ".txt", ".tsv", ".json", ".cmake", ".in", ""}


def project_files():
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.startswith("build") for part in rel.parts[:-1]):
            continue
        if path.is_file() and path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
            yield path


class OnlyOfficialNumbersTest(unittest.TestCase):
    def test_every_number_in_the_project_is_an_official_test_number(self):
        # The reference dates the tests use; fixed, so the verdict does not change with the clock.
        reference_dates = [datetime.date(2024, 6, 1), datetime.date(2026, 11, 28)]
        checked = 0
        offenders = []
        for path in project_files():
            text = path.read_bytes().decode("utf-8", errors="replace")
            for today in reference_dates:
                for m in varsam.find_ids(text, today=today):
                    checked += 1
                    n = m["normalized"]
                    ten_digit_form = m["length"] in (10, 11)
                    if m["official_test_number"] or (ten_digit_form and int(n[:4]) < 1880):
                        continue
                    offenders.append(f"{path.relative_to(ROOT)} at byte {m['offset']}")
        self.assertGreater(checked, 100, "the scan found the project's test numbers")
        self.assertEqual(offenders, [], "numbers that are not official test numbers")


if __name__ == "__main__":
    unittest.main()
