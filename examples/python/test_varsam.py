"""Tests for the ctypes binding varsam.py, run against a built libvarsam:

    VARSAM_LIBRARY=/path/to/libvarsam.so \
        python3 -m unittest discover -s examples/python -p 'test_*.py' -v

Every identity number used here is one of Skatteverket's official test numbers
(data/skatteverket-testpersonnummer.txt) or is derived from one in the test (another check digit,
day + 60), never a real person's.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import datetime
import os
import re
import time
import unittest

import varsam

DATA_FILE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "..",
    "data",
    "skatteverket-testpersonnummer.txt",
)

# The reference date of the fixed-date tests: ten-digit forms resolve their century against it.
TODAY = datetime.date(2026, 11, 28)


def luhn_digit(nine_digits: str) -> str:
    """The Luhn check digit of the nine digits YYMMDDNNN (weights 2, 1, 2, 1, ...)."""
    assert len(nine_digits) == 9 and nine_digits.isdigit(), nine_digits
    total = 0
    for i, c in enumerate(nine_digits):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


def with_check_digit(first_eleven: str) -> str:
    """YYYYMMDDNNN + its check digit (computed over the last nine of the eleven digits)."""
    return first_eleven + luhn_digit(first_eleven[2:11])


def load_test_numbers() -> list[str]:
    with open(DATA_FILE, encoding="ascii") as f:
        return [line.strip() for line in f if line.strip()]


class LuhnHelperTest(unittest.TestCase):
    """The test's own Luhn helper agrees with the official list (so derived numbers are right)."""

    def test_helper_reproduces_official_check_digits(self):
        for n in ("198001022386", "200002292399", "189001019802", "192610069185"):
            self.assertEqual(luhn_digit(n[2:11]), n[11], n)


class VersionTest(unittest.TestCase):
    def test_version_string_is_semver(self):
        self.assertRegex(varsam.version(), r"^\d+\.\d+\.\d+$")

    def test_version_number_matches_string(self):
        major, minor, patch = (int(p) for p in varsam.version().split("."))
        self.assertIsInstance(varsam.version_number(), int)
        self.assertEqual(varsam.version_number(), major * 1000000 + minor * 1000 + patch)

    def test_major_version_matches_binding_header(self):
        self.assertEqual(varsam.version_number() // 1000000, varsam.HEADER_VERSION_MAJOR)


class CheckIdValidTest(unittest.TestCase):
    def test_official_test_numbers_validate(self):
        # number -> (birth date, sex from the second-to-last digit: even female, odd male)
        cases = {
            "198001022386": (datetime.date(1980, 1, 2), "female"),
            "200002292399": (datetime.date(2000, 2, 29), "male"),  # leap day
            "189001019802": (datetime.date(1890, 1, 1), "female"),
            "192610069185": (datetime.date(1926, 10, 6), "female"),
        }
        for number, (birth_date, sex) in cases.items():
            with self.subTest(number=number):
                r = varsam.check_id(number, today=TODAY)
                self.assertIsInstance(r, varsam.IdResult)
                self.assertTrue(r.valid)
                self.assertIsNone(r.error)
                self.assertIsNone(r.error_message)
                self.assertEqual(r.kind, "personnummer")
                self.assertEqual(r.sex, sex)
                self.assertIs(r.official_test_number, True)
                self.assertEqual(r.birth_date, birth_date)
                self.assertEqual(r.normalized, number)

    def test_twelve_digit_form_with_dash(self):
        r = varsam.check_id("19800102-2386", today=TODAY)
        self.assertTrue(r.valid)
        self.assertEqual(r.normalized, "198001022386")

    def test_ten_digit_forms_normalise(self):
        cases = {
            "800102-2386": "198001022386",
            "8001022386": "198001022386",  # no separator reads as "-"
            "900101+9802": "189001019802",  # + : 100 or older
            "261006+9185": "192610069185",  # turned 100 on 2026-10-06
            "000229-2399": "200002292399",
        }
        for text, normalized in cases.items():
            with self.subTest(text=text):
                r = varsam.check_id(text, today=TODAY)
                self.assertTrue(r.valid, r)
                self.assertEqual(r.normalized, normalized)
                self.assertTrue(r.official_test_number)

    def test_dash_resolves_to_the_last_hundred_years(self):
        # "-" means under 100 in the reference year: on 2024-06-01, 240101-2394 was born in 2024.
        r = varsam.check_id("240101-2394", today=datetime.date(2024, 6, 1))
        self.assertTrue(r.valid)
        self.assertEqual(r.birth_date, datetime.date(2024, 1, 1))
        self.assertEqual(r.normalized, "202401012394")
        self.assertTrue(r.official_test_number)

    def test_century_follows_today(self):
        # The person born 1927-01-08 is written with "-" in 2026 and with "+" from 2027.
        self.assertEqual(
            varsam.check_id("270108-9167", today=TODAY).birth_date, datetime.date(1927, 1, 8)
        )
        r = varsam.check_id("270108+9167", today=datetime.date(2027, 1, 1))
        self.assertEqual(r.birth_date, datetime.date(1927, 1, 8))
        self.assertTrue(r.official_test_number)
        self.assertEqual(varsam.check_id("270108-9167", today=datetime.date(2027, 1, 1)).error, "century")

    def test_born_today_and_born_tomorrow(self):
        # Official test numbers born 2024-01-01 and 2024-01-02, checked on 2024-01-01.
        new_year = datetime.date(2024, 1, 1)
        r = varsam.check_id("240101-2394", today=new_year)
        self.assertTrue(r.valid)
        self.assertEqual(r.birth_date, new_year)
        # Born tomorrow cannot be 2024, and 1924 would need "+": the separator contradicts today.
        r = varsam.check_id("240102-2385", today=new_year)
        self.assertFalse(r.valid)
        self.assertEqual(r.error, "century")
        self.assertTrue(r.error_message)

    def test_samordningsnummer(self):
        # 198001022386 with day 02 + 60 = 62 and a recomputed check digit.
        number = with_check_digit("19800162238")
        self.assertEqual((number[6:8], number[:6] + number[8:11]), ("62", "198001238"))
        for text in (number, number[2:8] + "-" + number[8:]):
            with self.subTest(text=text):
                r = varsam.check_id(text, today=TODAY)
                self.assertTrue(r.valid, r)
                self.assertEqual(r.kind, "samordningsnummer")
                self.assertEqual(r.birth_date, datetime.date(1980, 1, 2))  # day - 60
                self.assertEqual(r.normalized, number)
                self.assertEqual(r.sex, "female")

    def test_bytes_input(self):
        self.assertTrue(varsam.check_id(b"198001022386").valid)

    def test_default_today(self):
        # today=None is "today in Sweden"; a twelve-digit number does not depend on it.
        self.assertTrue(varsam.check_id("198001022386").valid)

    def test_result_is_frozen(self):
        r = varsam.check_id("198001022386")
        with self.assertRaises(dataclasses.FrozenInstanceError):
            r.valid = False  # type: ignore[misc]


class CheckIdInvalidTest(unittest.TestCase):
    def assertInvalid(self, text, error):
        r = varsam.check_id(text, today=TODAY)
        self.assertFalse(r.valid, text)
        self.assertEqual(r.error, error, text)
        self.assertIsInstance(r.error_message, str)
        self.assertTrue(r.error_message)
        digits = re.sub(r"\D", "", text if isinstance(text, str) else "")
        if len(digits) >= 6:
            self.assertNotIn(digits[-4:], r.error_message)  # no part of the number
        self.assertIsNone(r.kind)
        self.assertIsNone(r.sex)
        self.assertIsNone(r.birth_date)
        self.assertIsNone(r.normalized)
        self.assertFalse(r.official_test_number)
        return r

    def test_check_digit(self):
        r = self.assertInvalid("198001022387", "check_digit")  # last digit changed
        self.assertEqual(r.error_message, varsam.id_error_message("check_digit"))
        self.assertInvalid("800102-2385", "check_digit")

    def test_format(self):
        for text in (
            "abc",
            "19800102+2386",  # + only in the ten-digit form
            "",
            " 198001022386",
            "198001022386 ",
            "800102 2386",  # a space is not a separator for check_id
            "8001022386x",
            "1980010223860",
            "19800102\x002386",  # NUL inside: the explicit length is passed
            "80010２-2386",  # a full-width digit
            "åäö",
        ):
            with self.subTest(text=text):
                self.assertInvalid(text, "format")

    def test_no_such_date(self):
        # 1900 was not a leap year; check digit correct, so the date is what fails.
        text = "19000229-000" + luhn_digit("000229000")
        self.assertInvalid(text, "no_such_date")
        self.assertInvalid(with_check_digit("19800230238"), "no_such_date")
        self.assertInvalid(with_check_digit("19801301238"), "no_such_date")
        self.assertInvalid(with_check_digit("19800100238"), "no_such_date")

    def test_error_messages_are_distinct(self):
        ids = ["format", "check_digit", "no_such_date", "century"]
        messages = [varsam.id_error_message(i) for i in ids]
        self.assertEqual(len(set(messages)), len(ids))
        self.assertEqual(varsam.id_error_message(2), varsam.id_error_message("check_digit"))


class OfficialListTest(unittest.TestCase):
    def test_every_official_test_number_validates(self):
        numbers = load_test_numbers()
        self.assertEqual(len(numbers), 41493)
        # All 41,493 through ctypes take about 0.1-0.2 s, so every number is checked.
        start = time.perf_counter()
        failures = []
        for n in numbers:
            r = varsam.check_id(n, today=TODAY)
            if not (r.valid and r.official_test_number and r.normalized == n and r.kind == "personnummer"):
                failures.append(n)
        elapsed = time.perf_counter() - start
        self.assertEqual(failures[:10], [], f"{len(failures)} of {len(numbers)} failed")
        self.assertLess(elapsed, 30.0)

    def test_changed_check_digit_is_not_an_official_number(self):
        # Every 97th number with the check digit changed: invalid, never official.
        for n in load_test_numbers()[::97]:
            wrong = n[:11] + str((int(n[11]) + 1) % 10)
            r = varsam.check_id(wrong, today=TODAY)
            self.assertEqual(r.error, "check_digit", wrong)


class FindIdsTest(unittest.TestCase):
    def test_byte_offsets_in_text_with_swedish_letters(self):
        text = "Åsa på äldreboendet (800102-2386) träffade sin mor, 189001019802, i går."
        encoded = text.encode("utf-8")
        matches = varsam.find_ids(text, today=TODAY)
        self.assertEqual(len(matches), 2)
        first, second = matches
        self.assertEqual(first["offset"], encoded.index(b"800102-2386"))
        self.assertEqual(first["length"], 11)
        self.assertEqual(first["normalized"], "198001022386")
        self.assertEqual(first["kind"], "personnummer")
        self.assertIs(first["official_test_number"], True)
        self.assertEqual(second["offset"], encoded.index(b"189001019802"))
        self.assertEqual(second["length"], 12)
        self.assertEqual(second["normalized"], "189001019802")
        # Offsets are bytes: Å, å, ä are two bytes each, so they differ from str indices.
        self.assertEqual(first["offset"], text.index("800102-2386") + 3)
        self.assertEqual(second["offset"], text.index("189001019802") + 4)
        for m in matches:
            self.assertEqual(
                set(m), {"offset", "length", "normalized", "kind", "official_test_number"}
            )
            start, end = varsam.char_span(text, m)
            self.assertEqual(text[start:end], encoded[m["offset"] : m["offset"] + m["length"]].decode())

    def test_space_separator_and_samordningsnummer(self):
        samordning = with_check_digit("19800162238")
        text = f"ö 800102 2386 ö {samordning[2:8]}-{samordning[8:]}"
        matches = varsam.find_ids(text, today=TODAY)
        self.assertEqual([m["normalized"] for m in matches], ["198001022386", samordning])
        self.assertEqual([m["kind"] for m in matches], ["personnummer", "samordningsnummer"])
        self.assertEqual(matches[0]["offset"], len("ö ".encode()))

    def test_only_valid_candidates(self):
        no_such_date = with_check_digit("19000229000")  # 1900 was not a leap year
        text = (
            f"Tel 070-1234567, fel 198001022387, datum {no_such_date[:8]}-{no_such_date[8:]},"
            " ok 200002292399."
        )
        matches = varsam.find_ids(text, today=TODAY)
        self.assertEqual([m["normalized"] for m in matches], ["200002292399"])

    def test_century_uses_today(self):
        self.assertEqual(
            varsam.find_ids("x 270108-9167 x", today=TODAY)[0]["normalized"], "192701089167"
        )
        self.assertEqual(
            varsam.find_ids("x 261006+9185 x", today=TODAY)[0]["normalized"], "192610069185"
        )

    def test_no_matches_and_empty_text(self):
        self.assertEqual(varsam.find_ids("Inga nummer här, bara åäö.", today=TODAY), [])
        self.assertEqual(varsam.find_ids("", today=TODAY), [])

    def test_bytes_that_are_not_utf8(self):
        matches = varsam.find_ids(b"\xff\xfe 800102-2386", today=TODAY)
        self.assertEqual(len(matches), 1)
        self.assertEqual(matches[0]["offset"], 3)

    def test_many_calls_do_not_leak_or_crash(self):
        text = "a 800102-2386 b 189001019802 " * 50
        for _ in range(200):
            self.assertEqual(len(varsam.find_ids(text, today=TODAY)), 100)


class ErrorTest(unittest.TestCase):
    def assertInvalidArgument(self, call):
        with self.assertRaises(varsam.VarsamError) as cm:
            call()
        e = cm.exception
        self.assertIsInstance(e, Exception)
        self.assertEqual(e.status, 3)
        self.assertIsInstance(e.status, int)
        self.assertEqual(e.status_name, "invalid_argument")
        self.assertTrue(e.message)
        self.assertIn(e.message, str(e))
        self.assertNotIn("2386", str(e))  # no part of the number
        return e

    def test_today_that_is_not_a_real_date(self):
        for today in (20261332, 20260229, 20261100, 20260001, -1, 101, 2**31 - 1):
            with self.subTest(today=today):
                self.assertInvalidArgument(lambda: varsam.check_id("198001022386", today=today))
                self.assertInvalidArgument(lambda: varsam.find_ids("800102-2386", today=today))

    def test_today_out_of_int32_range(self):
        self.assertInvalidArgument(lambda: varsam.check_id("198001022386", today=2**40 + 20261128))

    def test_today_of_wrong_type(self):
        with self.assertRaises(TypeError):
            varsam.check_id("198001022386", today="2026-11-28")  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            varsam.check_id(198001022386)  # type: ignore[arg-type]

    def test_int_today_equals_date_today(self):
        self.assertEqual(
            varsam.check_id("270108-9167", today=20261128),
            varsam.check_id("270108-9167", today=TODAY),
        )

    def test_low_level_calls(self):
        lib = varsam.lib
        # A struct_size smaller than the 0.1 struct is refused, and nothing is written.
        result = varsam._IdResultStruct()
        result.struct_size = 4
        status = lib.varsam_id_check(b"198001022386", 12, 20261128, ctypes.byref(result))
        self.assertEqual(status, varsam.Status.INVALID_ARGUMENT)
        self.assertTrue(lib.varsam_last_error())
        self.assertEqual(result.valid, 0)
        # A NULL number.
        result.struct_size = ctypes.sizeof(result)
        self.assertEqual(
            lib.varsam_id_check(None, 0, 20261128, ctypes.byref(result)),
            varsam.Status.INVALID_ARGUMENT,
        )
        # The raw int today through the C function.
        self.assertEqual(
            lib.varsam_id_check(b"198001022386", 12, 20261332, ctypes.byref(result)),
            varsam.Status.INVALID_ARGUMENT,
        )
        self.assertEqual(varsam.status_name(status), "invalid_argument")
        # varsam_id_find with a NULL text and a length: refused, *json_out stays NULL.
        out = ctypes.c_void_p()
        self.assertEqual(
            lib.varsam_id_find(None, 5, 20261128, ctypes.byref(out)),
            varsam.Status.INVALID_ARGUMENT,
        )
        self.assertIsNone(out.value)
        lib.varsam_free(None)  # a no-op

    def test_status_names(self):
        self.assertEqual(varsam.status_name(0), "ok")
        self.assertEqual(varsam.status_name(3), "invalid_argument")
        self.assertEqual(varsam.status_name(7), "permission_denied")
        self.assertEqual(varsam.status_name(12345), "unknown")
        for s in varsam.Status:
            self.assertEqual(varsam.status_name(s), s.name.lower())


class ThreadTest(unittest.TestCase):
    def test_concurrent_calls_and_thread_local_errors(self):
        def work(i):
            if i % 2:
                try:
                    varsam.check_id("198001022386", today=20261332)
                except varsam.VarsamError as e:
                    return e.status_name
                return "no error"
            return varsam.check_id("800102-2386", today=TODAY).normalized

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(400)))
        for i, r in enumerate(results):
            self.assertEqual(r, "invalid_argument" if i % 2 else "198001022386")


if __name__ == "__main__":
    unittest.main()
