"""official_numbers.py, the rule the privacy test and `scripts/fuzz --keep` share: an official
test number passes, a valid number that is not on Skatteverket's list does not, and --remove
drops exactly the files holding one. The number that is not on the list is made here at run
time from an official one (another serial, the check digit varsam finds valid) and never
written down.

    VARSAM_LIBRARY=build/release/libvarsam.so python3 -m unittest discover -s tests/privacy
"""

from __future__ import annotations

import pathlib
import tempfile
import unittest

from official_numbers import ROOT, luhn_holds, main, scan

import varsam  # noqa: E402  (official_numbers puts examples/python on the path)


def official_and_invented() -> tuple[str, str]:
    """An official test number (twelve digits) and a valid one of the same date with another
    serial that is not on the list (varsam's own check says which check digit is valid)."""
    listed = set((ROOT / "data" / "skatteverket-testpersonnummer.txt").read_text().split())
    official = sorted(n for n in listed if n.startswith("19"))[0]
    for serial in range(100, 1000):
        for digit in "0123456789":
            candidate = f"{official[:8]}{serial:03d}{digit}"
            if candidate not in listed and varsam.check_id(candidate).valid:
                return official, candidate
    raise AssertionError("every serial of the date is on the list")


class OfficialNumbersTest(unittest.TestCase):
    def test_an_official_number_passes_and_an_invented_one_does_not(self):
        official, invented = official_and_invented()
        found, foreign = scan(f"ärende {official}-".encode())
        self.assertGreaterEqual(found, 1)
        self.assertEqual(foreign, [])
        found, foreign = scan(f"x {invented[:8]}-{invented[8:]} y".encode())
        self.assertGreaterEqual(found, 1)
        self.assertEqual(set(foreign), {2})

    def test_a_look_alike_varsam_refuses_is_foreign_too(self):
        # Serial 000 with a check digit that holds: never issued, refused by varsam, but it
        # looks like a real number to a reader.
        official, _ = official_and_invented()
        ten = next(f"{official[2:8]}000{d}" for d in "0123456789"
                   if luhn_holds(f"{official[2:8]}000{d}"))
        self.assertFalse(varsam.check_id(ten).valid)
        _, foreign = scan(f"nr {ten[:6]}-{ten[6:]}".encode())
        self.assertEqual(foreign, [3])
        _, foreign = scan(f"nr {official[2:8]}-{official[8:]} och {official}".encode())
        self.assertEqual(foreign, [])

    def test_remove_drops_only_the_files_holding_one(self):
        official, invented = official_and_invented()
        with tempfile.TemporaryDirectory() as d:
            keep = pathlib.Path(d, "keep")
            drop = pathlib.Path(d, "drop")
            keep.write_bytes(f"{official}\n".encode() + b"\xff\x00")
            drop.write_bytes(b"\x01" + invented.encode())
            self.assertEqual(main([str(keep), str(drop)]), 1)  # reported, nothing removed
            self.assertTrue(drop.exists())
            self.assertEqual(main(["--remove", str(keep), str(drop)]), 0)
            self.assertTrue(keep.exists())
            self.assertFalse(drop.exists())


if __name__ == "__main__":
    unittest.main()
