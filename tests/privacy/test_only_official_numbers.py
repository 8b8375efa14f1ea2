"""No real person's number in the project (DEVELOPERS.md: "tests, docs and examples use only
numbers from Skatteverket's test list ... never a real or invented real-looking personnummer").

varsam's own scanner (through the ctypes binding) reads every text file of the project but the
list itself and the build trees. Each valid identity number it finds must be an official test
number, a samordningsnummer whose day - 60 twin is one (the documented +60 rule), or belong to
someone born before 1880, who cannot be alive (such numbers arise only when a test reads a
ten-digit form against a reference date on purpose).

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


def luhn(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


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
                    if m["official_test_number"] or int(n[:4]) < 1880:
                        continue
                    if m["kind"] == "samordningsnummer":
                        twin = n[:6] + f"{int(n[6:8]) - 60:02d}" + n[8:11]
                        twin += luhn(twin[2:11])
                        if varsam.check_id(twin).official_test_number:
                            continue
                    offenders.append(f"{path.relative_to(ROOT)} at byte {m['offset']}")
        self.assertGreater(checked, 100, "the scan found the project's test numbers")
        self.assertEqual(offenders, [], "numbers that are not official test numbers")


if __name__ == "__main__":
    unittest.main()
