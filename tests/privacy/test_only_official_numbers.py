"""No real person's number in the project (CONTRIBUTING.md, "No personal data in messages":
tests, docs, examples and fuzz corpora use only Skatteverket's official test numbers, never
invented ones).

varsam's own scanner (through the ctypes binding) reads every text file of the project but the
list itself and the build trees; official_numbers.py says which numbers count. Numbers derived
by a rule (samordningsnummer, impossible dates) are built by the tests at run time and never
written down.

    VARSAM_LIBRARY=build/release/libvarsam.so python3 -m unittest discover -s tests/privacy
"""

from __future__ import annotations

import pathlib
import unittest

from official_numbers import ROOT, scan

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
        checked = 0
        offenders = []
        for path in project_files():
            found, foreign = scan(path.read_bytes())
            checked += found
            offenders += [f"{path.relative_to(ROOT)} at byte {offset}" for offset in foreign]
        self.assertGreater(checked, 100, "the scan found the project's test numbers")
        self.assertEqual(offenders, [], "numbers that are not official test numbers")


if __name__ == "__main__":
    unittest.main()
