"""Tests for the ctypes binding varsam.py, run against a built libvarsam:

    VARSAM_LIBRARY=/path/to/libvarsam.so \
        python3 -m unittest discover -s examples/python -p 'test_*.py' -v

Every identity number used here is one of Skatteverket's official test numbers
(data/skatteverket-testpersonnummer.txt) or is derived from one in the test (another check digit,
day + 60), never a real person's. Every answer to an instrument is made up.
"""

from __future__ import annotations

import array
import concurrent.futures
import csv
import io
import json
import math
import ctypes
import dataclasses
import datetime
import os
import re
import tempfile
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
        # The twelve-digit form with "+" says 100 or older: for someone born 1980, a contradiction.
        self.assertEqual(varsam.check_id("19800102+2386", today=TODAY).error, "century")

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
        ids = ["format", "check_digit", "no_such_date", "century", "serial"]
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


# ---- Instruments ---------------------------------------------------------------------------

# A host's own instrument (docs/instrument-format.md): three items 0-4, item 3 only 0, 2 or 4;
# two bands; a flag on item 1 whose cut-off is a setting.
WELLBEING = {
    "format": "varsam-instrument/1",
    "id": "wellbeing-3",
    "name": {"en": "Wellbeing check (3 items)", "sv": "Välmående (3 frågor)"},
    "items": {"count": 3, "min": 0, "max": 4, "groups": [{"items": [3], "values": [0, 2, 4]}]},
    "total": {"range": [0, 12]},
    "bands": [
        {"id": "low", "min": 0, "max": 5, "label": {"en": "Low", "sv": "Låg"}},
        {"id": "high", "min": 6, "label": {"en": "High", "sv": "Hög"}},
    ],
    "flags": [
        {
            "code": "item1_high",
            "severity": "warning",
            "message": {"en": "Item 1 is high", "sv": "Fråga 1 är hög"},
            "any": [{"on": "item", "items": [1], "at_least": {"setting": "item1_cutoff"}}],
        }
    ],
    "settings": {"item1_cutoff": {"default": 3, "min": 1, "max": 4, "note": "made up"}},
    "sources": [{"cite": "A made-up instrument of varsam's binding tests"}],
    "licence": "Test data; no licence needed.",
}

BUILTIN_IDS = [
    "soc13", "soc29", "ors", "cors", "srs", "csrs", "audit", "audit-c", "dudit", "phq9", "gad7",
    "core10", "k10",
]

AUDIT_7 = [2, 1, 1, 1, 0, 0, 0, 0, 0, 2]  # total 7: hazardous for women, low risk for men
PHQ9_8 = [1, 1, 2, 1, 0, 1, 1, 0, 1]  # total 8 (mild), item 9 answered


def setUpModule():
    # The registry is process-wide; loading twice would be ALREADY_EXISTS.
    if "wellbeing-3" not in {d["id"] for d in varsam.instruments()}:
        varsam.load_instrument(WELLBEING)


class ScoreTest(unittest.TestCase):
    def test_phq9_item_9_raises_the_critical_flag(self):
        s = varsam.score("phq9", PHQ9_8)
        self.assertIsInstance(s, varsam.Score)
        self.assertEqual((s.instrument, s.total, s.band), ("phq9", 8.0, "mild"))
        self.assertEqual(s.band_index, 1)
        self.assertTrue(s.scored)
        self.assertEqual((s.answered, s.missing, s.prorated), (9, 0, False))
        self.assertEqual(s.flags[0], varsam.Flag("suicide_risk_followup", "critical"))
        self.assertEqual(s.max_severity, "critical")
        self.assertEqual(s.flag_count, len(s.flags))
        self.assertEqual(s.flag_bits & 1, 1)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            s.total = 0  # type: ignore[misc]

    def test_no_flags(self):
        s = varsam.score("phq9", [0] * 9)
        self.assertEqual(
            (s.total, s.band, s.flags, s.flag_bits, s.max_severity), (0.0, "none", (), 0, None)
        )

    def test_audit_band_depends_on_sex(self):
        self.assertEqual(varsam.score("audit", AUDIT_7, sex="female").band, "hazardous")
        self.assertEqual(varsam.score("audit", AUDIT_7, sex="male").band, "low_risk")
        self.assertEqual(varsam.score("audit", AUDIT_7, sex=2).band, "low_risk")  # varsam_sex
        unknown = varsam.score("audit", AUDIT_7)
        self.assertEqual(unknown.total, 7.0)
        self.assertIsNone(unknown.band)
        self.assertIsNone(unknown.band_index)

    def test_core10_prorates_one_missing_item(self):
        for missing in (None, math.nan, varsam.MISSING):
            with self.subTest(missing=missing):
                s = varsam.score("core10", [1, 3, missing, 1, 2, 0, 1, 2, 1, 1])
                self.assertTrue(s.prorated)
                self.assertEqual((s.answered, s.missing), (9, 1))
                self.assertAlmostEqual(s.total, 100 / 9)  # items 2, 3 reversed; 10 x mean
                self.assertEqual(s.band, "mild")

    def test_too_many_missing_gives_no_total(self):
        s = varsam.score("phq9", [1, None, 2, 1, 0, 1, 1, 0, 0])
        self.assertIsNone(s.total)
        self.assertFalse(s.scored)
        self.assertIsNone(s.band)
        self.assertEqual(s.missing, 1)

    def test_srs_drop_since_last_session(self):
        self.assertEqual(varsam.score("srs", [9, 9, 9, 9]).flags, ())
        s = varsam.score("srs", [9, 9, 9, 9], previous_total=38)
        self.assertEqual([f.code for f in s.flags], ["alliance_concern"])
        self.assertEqual(s.flags[0].severity, "warning")
        self.assertEqual(varsam.score("srs", [9, 9.5, 9, 9], previous_total=36).flags, ())

    def test_host_instrument(self):
        s = varsam.score("wellbeing-3", [1, 2, 4])
        self.assertEqual((s.total, s.band, s.band_index), (7.0, "high", 1))
        s = varsam.score("wellbeing-3", [3, 0, 0], sex="female", age=40, previous_total=2)
        self.assertEqual((s.total, s.band), (3.0, "low"))
        self.assertEqual(s.flags, (varsam.Flag("item1_high", "warning"),))

    def test_answers_from_any_sequence(self):
        self.assertEqual(varsam.score("phq9", tuple(PHQ9_8)).total, 8.0)
        self.assertEqual(varsam.score("phq9", array.array("d", PHQ9_8)).total, 8.0)
        self.assertEqual(varsam.score("phq9", iter(PHQ9_8)).total, 8.0)


class ScoreErrorTest(unittest.TestCase):
    def assertFails(self, status_name, call, *contains):
        with self.assertRaises(varsam.VarsamError) as cm:
            call()
        e = cm.exception
        self.assertEqual(e.status_name, status_name)
        self.assertEqual(e.status, varsam.Status[status_name.upper()])
        self.assertTrue(e.message)
        for text in contains:
            self.assertIn(text, e.message)
        return e

    def test_unknown_instrument(self):
        e = self.assertFails("not_found", lambda: varsam.score("phq10", PHQ9_8), "phq10")
        self.assertEqual(e.status, 5)

    def test_wrong_count(self):
        self.assertFails("invalid_argument", lambda: varsam.score("phq9", PHQ9_8[:8]), "9 items")
        self.assertFails("invalid_argument", lambda: varsam.score("phq9", PHQ9_8 + [0]), "9 items")
        self.assertFails("invalid_argument", lambda: varsam.score("phq9", []), "9 items")

    def test_bad_answers_name_the_item_never_the_answer(self):
        cases = [
            ("phq9", [1, 1, 2, 1, 0, 1, 1, 0, 7], "item 9"),  # out of range
            ("phq9", [1, 1, 2, 1, 0, 1, 1, 0.25, 1], "item 8"),  # decimals
            ("phq9", [math.inf, 1, 2, 1, 0, 1, 1, 0, 1], "item 1"),
            ("phq9", [1, -math.inf, 2, 1, 0, 1, 1, 0, 1], "item 2"),
            ("phq9", [1, 1, 10**400, 1, 0, 1, 1, 0, 1], "item 3"),  # too big for a double
            ("audit", AUDIT_7[:8] + [1, 0], "item 9"),  # items 9-10 take 0, 2, 4
            ("audit", AUDIT_7[:8] + [3, 0], "item 9"),
            ("audit", AUDIT_7[:9] + [3], "item 10"),
            ("wellbeing-3", [1, 1, 3], "item 3"),
            ("wellbeing-3", [4.75, 1, 2], "item 1"),
        ]
        for instrument, answers, item in cases:
            with self.subTest(instrument=instrument, answers=answers):
                e = self.assertFails(
                    "invalid_argument", lambda: varsam.score(instrument, answers), item
                )
                self.assertNotIn("0.25", e.message)
                self.assertNotIn("4.75", e.message)

    def test_bad_respondent(self):
        bad = "invalid_argument"
        self.assertFails(bad, lambda: varsam.score("audit", AUDIT_7, sex="other"), "sex")
        self.assertFails(bad, lambda: varsam.score("audit", AUDIT_7, sex=3), "sex")
        self.assertFails(bad, lambda: varsam.score("audit", AUDIT_7, age=-1), "age")
        self.assertFails(bad, lambda: varsam.score("audit", AUDIT_7, age=2**40), "age")
        self.assertFails(
            bad, lambda: varsam.score("srs", [9] * 4, previous_total=math.inf), "previous_total"
        )
        with self.assertRaises(TypeError):
            varsam.score("audit", AUDIT_7, age=30.5)  # type: ignore[arg-type]
        # A NaN previous total is none.
        self.assertEqual(varsam.score("srs", [9] * 4, previous_total=math.nan).flags, ())

    def test_wrong_types(self):
        with self.assertRaises(TypeError):
            varsam.score("phq9", [1, 1, "2", 1, 0, 1, 1, 0, 1])
        with self.assertRaises(TypeError):
            varsam.score("phq9", [True] * 9)
        with self.assertRaises(TypeError):
            varsam.score("phq9", "112101101")
        with self.assertRaises(TypeError):
            varsam.score(9, PHQ9_8)  # type: ignore[arg-type]

    def test_nul_in_the_id(self):
        self.assertFails("invalid_argument", lambda: varsam.score("phq9\0x", PHQ9_8), "NUL")

    def test_low_level_calls(self):
        lib = varsam.lib
        answers = (ctypes.c_double * 9)(*PHQ9_8)
        result = varsam._ScoreResultStruct()
        result.struct_size = 8  # smaller than version 0.1
        bad = varsam.Status.INVALID_ARGUMENT
        self.assertEqual(lib.varsam_score(b"phq9", answers, 9, None, ctypes.byref(result)), bad)
        self.assertIn(b"struct_size", lib.varsam_last_error())
        self.assertEqual(result.total, 0.0)  # nothing written
        result.struct_size = ctypes.sizeof(result)
        self.assertEqual(lib.varsam_score(None, answers, 9, None, ctypes.byref(result)), bad)
        self.assertEqual(lib.varsam_score(b"phq9", None, 9, None, ctypes.byref(result)), bad)
        self.assertEqual(lib.varsam_score(b"phq9", answers, 9, None, None), bad)
        respondent = varsam._RespondentStruct()
        respondent.struct_size = 4
        self.assertEqual(
            lib.varsam_score(b"phq9", answers, 9, ctypes.byref(respondent), ctypes.byref(result)),
            bad,
        )
        self.assertIn(b"respondent", lib.varsam_last_error())
        status = lib.varsam_score(b"phq9", answers, 9, None, ctypes.byref(result))
        self.assertEqual(status, varsam.Status.OK)
        self.assertEqual((result.total, result.band), (8.0, b"mild"))


class ScoreJsonTest(unittest.TestCase):
    KEYS = {"instrument", "total", "subscales", "band", "flags", "answered", "missing", "prorated"}

    def test_keys_and_types(self):
        out = varsam.score_json({"instrument": "phq9", "responses": PHQ9_8})
        self.assertEqual(set(out), self.KEYS)
        self.assertEqual(out["instrument"], "phq9")
        self.assertEqual(out["total"], 8)
        self.assertIsInstance(out["total"], int)  # whole totals print as integers
        self.assertEqual(out["band"], "mild")
        self.assertEqual(out["subscales"], {})
        self.assertEqual((out["answered"], out["missing"], out["prorated"]), (9, 0, False))
        self.assertEqual(len(out["flags"]), 1)
        flag = out["flags"][0]
        self.assertEqual(set(flag), {"code", "severity", "message"})
        self.assertEqual((flag["code"], flag["severity"]), ("suicide_risk_followup", "critical"))
        self.assertTrue(flag["message"])

    def test_same_as_score(self):
        typed = varsam.score("core10", [1, 3, None, 1, 2, 0, 1, 2, 1, 1])
        answers = [1, 3, math.nan, 1, 2, 0, 1, 2, 1, 1]
        out = varsam.score_json({"instrument": "core10", "responses": answers})
        self.assertAlmostEqual(out["total"], typed.total)
        self.assertEqual((out["band"], out["prorated"], out["missing"]), (typed.band, True, 1))

    def test_text_request_and_swedish(self):
        request = json.dumps(
            {
                "instrument": "audit",
                "responses": AUDIT_7,
                "sex": "female",
                "age": 40,
                "previous_total": None,
                "language": "sv",
            }
        )
        out = varsam.score_json(request)
        self.assertEqual(out["band"], "hazardous")
        en = varsam.score_json({"instrument": "wellbeing-3", "responses": [4, 0, 0]})
        sv = varsam.score_json(
            {"instrument": "wellbeing-3", "responses": [4, 0, 0], "language": "sv"}
        )
        self.assertEqual(en["flags"][0]["message"], "Item 1 is high")
        self.assertEqual(sv["flags"][0]["message"], "Fråga 1 är hög")
        self.assertEqual(varsam.score_json(request.encode())["total"], 7)

    def test_subscales(self):
        out = varsam.score_json({"instrument": "soc13", "responses": [4] * 13})
        self.assertEqual(
            set(out["subscales"]), {"comprehensibility", "manageability", "meaningfulness"}
        )
        self.assertEqual(out["total"], 52)

    def test_strict_requests(self):
        cases = [
            ({"instrument": "phq9", "responses": PHQ9_8, "bogus": 1}, "'bogus'"),
            ({"instrument": "phq9", "responses": PHQ9_8[:8] + ["1"]}, "item 9"),
            ({"instrument": "phq9", "responses": PHQ9_8[:8] + [True]}, "item 9"),
            ({"instrument": "phq9", "responses": "1,1,1"}, "responses"),
            ({"instrument": "phq9", "responses": PHQ9_8, "sex": "f"}, "sex"),
            ({"instrument": "phq9", "responses": PHQ9_8, "age": 30.5}, "age"),
            ({"instrument": "phq9", "responses": PHQ9_8, "language": "de"}, "language"),
            ({"instrument": "phq9", "responses": PHQ9_8[:8] + [7]}, "item 9"),
            ({"instrument": "phq9"}, "responses"),
            ({"responses": PHQ9_8}, "instrument"),
            ({"instrument": 9, "responses": PHQ9_8}, "instrument"),
        ]
        for request, contains in cases:
            with self.subTest(request=request):
                with self.assertRaises(varsam.VarsamError) as cm:
                    varsam.score_json(request)
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn(contains, cm.exception.message)
        for text in ("", "[]", "{", '{"instrument": "phq9", "responses": [Infinity]}'):
            with self.subTest(text=text):
                with self.assertRaises(varsam.VarsamError) as cm:
                    varsam.score_json(text)
                self.assertEqual(cm.exception.status_name, "invalid_argument")
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.score_json({"instrument": "phq10", "responses": PHQ9_8})
        self.assertEqual(cm.exception.status_name, "not_found")


class ScoreBatchTest(unittest.TestCase):
    ROWS = [
        [0] * 9,  # 0, none
        [3] * 9,  # 27, severe, item 9 flag
        PHQ9_8[:8] + [5],  # invalid
        PHQ9_8[:8] + [None],  # too many missing
        PHQ9_8,
    ]

    def check(self, result):
        self.assertIsInstance(result, varsam.BatchResult)
        self.assertEqual(list(result.status), [0, 0, 2, 1, 0])
        self.assertEqual(result.invalid_forms, 1)
        self.assertEqual(result.total[0], 0)
        self.assertEqual(result.total[1], 27)
        self.assertTrue(math.isnan(result.total[2]))
        self.assertTrue(math.isnan(result.total[3]))
        self.assertEqual(result.total[4], 8)
        self.assertEqual(list(result.band), [0, 4, -1, -1, 1])
        self.assertEqual(result.flags[2], 0)
        # Each row agrees with score().
        for i in (0, 1, 4):
            s = varsam.score("phq9", self.ROWS[i])
            self.assertEqual(
                (result.total[i], result.band[i], result.flags[i]),
                (s.total, s.band_index, s.flag_bits),
            )

    def test_rows(self):
        self.check(varsam.score_batch("phq9", self.ROWS))

    def test_flat_array_without_copy(self):
        flat = array.array("d", [math.nan if v is None else v for row in self.ROWS for v in row])
        self.check(varsam.score_batch("phq9", flat, items_per_form=9))
        self.check(varsam.score_batch("phq9", list(flat), items_per_form=9))

    def test_respondent_columns(self):
        rows = [AUDIT_7, AUDIT_7, AUDIT_7]
        out = varsam.score_batch("audit", rows, sex=["female", "male", None], age=[30, None, 50])
        self.assertEqual(list(out.status), [0, 0, 0])
        self.assertEqual(out.band[2], -1)  # sex unknown: no band
        self.assertNotEqual(out.band[0], out.band[1])
        self.assertEqual(out.band[0], varsam.score("audit", AUDIT_7, sex="female").band_index)
        self.assertEqual(out.band[1], varsam.score("audit", AUDIT_7, sex="male").band_index)
        srs = varsam.score_batch("srs", [[9] * 4, [9] * 4], previous_total=[38, None])
        self.assertEqual(list(srs.flags), [1, 0])

    def test_empty(self):
        out = varsam.score_batch("phq9", [])
        self.assertEqual((len(out.total), out.invalid_forms), (0, 0))
        out = varsam.score_batch("phq9", array.array("d"), items_per_form=9)
        self.assertEqual(len(out.status), 0)
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.score_batch("phq10", [])
        self.assertEqual(cm.exception.status_name, "not_found")

    def test_shape_errors(self):
        def fails(call, status="invalid_argument"):
            with self.assertRaises(varsam.VarsamError) as cm:
                call()
            self.assertEqual(cm.exception.status_name, status)
            self.assertTrue(cm.exception.message)

        fails(lambda: varsam.score_batch("phq9", [[0] * 9, [0] * 8]))
        fails(lambda: varsam.score_batch("phq9", [[0] * 8, [0] * 8]))  # not the item count
        fails(lambda: varsam.score_batch("phq9", [0] * 17, items_per_form=9))
        fails(lambda: varsam.score_batch("phq9", [0] * 16, items_per_form=8))
        fails(lambda: varsam.score_batch("phq9", [[0] * 9], sex=["female", "male"]))
        fails(lambda: varsam.score_batch("phq9", [[0] * 9], sex=["other"]))
        fails(lambda: varsam.score_batch("phq10", [[0] * 9]), "not_found")


class InstrumentListTest(unittest.TestCase):
    def test_builtins_in_order_then_loaded(self):
        listed = varsam.instruments()
        ids = [d["id"] for d in listed]
        self.assertEqual(ids[:13], BUILTIN_IDS)
        self.assertIn("wellbeing-3", ids[13:])
        for d in listed:
            self.assertIsInstance(d["name"]["en"], str)
            self.assertIsInstance(d["name"]["sv"], str)
            self.assertTrue(d["sources"])
            self.assertIsInstance(d["licence"], str)


class LoadAndConfigureTest(unittest.TestCase):
    def test_load_errors(self):
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.load_instrument(WELLBEING)
        self.assertEqual(cm.exception.status_name, "already_exists")
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.load_instrument({**WELLBEING, "id": "wellbeing-x", "colour": "blue"})
        self.assertEqual(cm.exception.status_name, "invalid_argument")
        self.assertIn("colour", cm.exception.message)
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.load_instrument('{"format": "varsam-instrument/1"')
        self.assertEqual(cm.exception.status_name, "invalid_argument")
        self.assertNotIn("wellbeing-x", [d["id"] for d in varsam.instruments()])

    def test_load_from_text(self):
        definition = {**WELLBEING, "id": "wellbeing-text"}
        if "wellbeing-text" not in [d["id"] for d in varsam.instruments()]:
            varsam.load_instrument(json.dumps(definition))
        self.assertEqual(varsam.score("wellbeing-text", [0, 0, 2]).total, 2)

    def test_configure_srs_alliance_cutoff(self):
        self.assertEqual(varsam.score("srs", [9] * 4).flags, ())  # 36 is not below 36
        varsam.configure_instrument("srs", {"alliance_cutoff": 37})
        try:
            codes = [f.code for f in varsam.score("srs", [9] * 4).flags]
            self.assertEqual(codes, ["alliance_concern"])
            srs = [d for d in varsam.instruments() if d["id"] == "srs"][0]
            self.assertIn("37", json.dumps(srs["settings"]))
        finally:
            varsam.configure_instrument("srs", {"alliance_cutoff": 36})
        self.assertEqual(varsam.score("srs", [9] * 4).flags, ())

    def test_configure_errors(self):
        def fails(status, call, contains=None):
            with self.assertRaises(varsam.VarsamError) as cm:
                call()
            self.assertEqual(cm.exception.status_name, status)
            if contains:
                self.assertIn(contains, cm.exception.message)

        configure = varsam.configure_instrument
        fails("invalid_argument", lambda: configure("srs", {"no_such": 1}), "no_such")
        fails("invalid_argument", lambda: configure("srs", {"alliance_cutoff": 41}), "cutoff")
        fails("invalid_argument", lambda: configure("srs", {"alliance_cutoff": "37"}))
        fails("not_found", lambda: configure("phq10", {"alliance_cutoff": 37}))
        with self.assertRaises(TypeError):
            varsam.configure_instrument("srs", [("alliance_cutoff", 37)])  # type: ignore[arg-type]
        self.assertEqual(varsam.score("srs", [9] * 4).flags, ())  # the old one stays


class ScoreThreadTest(unittest.TestCase):
    def test_concurrent_scores_and_thread_local_errors(self):
        def work(i):
            if i % 3 == 0:
                try:
                    varsam.score("phq9", PHQ9_8[:8] + [9])
                except varsam.VarsamError as e:
                    return "item 9" in e.message
                return False
            if i % 3 == 1:
                return varsam.score("phq9", PHQ9_8).total == 8
            return varsam.score_batch("phq9", [PHQ9_8] * 50).total[49] == 8

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            self.assertTrue(all(pool.map(work, range(300))))


if __name__ == "__main__":
    unittest.main()


# ---- The engine -------------------------------------------------------------------------------

TEST_KEY = bytes(range(1, 33))  # a made-up audit signing key

OFFICER = {
    "actor": "a-17", "role": "handlaggare",
    "organisation": {"kind": "socialnamnd", "id": "0180"}, "purpose": "handlaggning",
    "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": True, "client": "k-1"},
    "subject_client": "k-1", "time": "2026-11-28T10:00:00Z", "ethics_approval": None,
}
FOLLOW_UP = dict(OFFICER, role="arbetsledare", purpose="uppfoljning", case=None,
                 subject_client=None)
AUDITOR = dict(FOLLOW_UP, purpose="tillsyn")


class ContextTest(unittest.TestCase):
    def test_round_trip(self):
        self.assertEqual(varsam.Context(OFFICER).to_json(), OFFICER)
        self.assertEqual(varsam.Context(json.dumps(OFFICER)).to_json(), OFFICER)

    def test_from_fields_equals_json_form(self):
        context = varsam.Context.from_fields(
            actor="a-17", role="handlaggare", organisation_kind="socialnamnd",
            organisation_id="0180", purpose="handlaggning", case_ref="c-9",
            case_kind="utredning", case_led_to_investigation=True, case_client="k-1",
            subject_client="k-1",
            time=datetime.datetime(2026, 11, 28, 10, tzinfo=datetime.timezone.utc))
        self.assertEqual(context.to_json(), OFFICER)

    def test_bad_role_names_the_key_not_the_value(self):
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.Context(dict(OFFICER, role="chef-xyz"))
        self.assertEqual(cm.exception.status_name, "invalid_argument")
        self.assertIn("role", cm.exception.message)
        self.assertNotIn("chef-xyz", cm.exception.message)

    def test_policy_check(self):
        allow = varsam.policy_check(varsam.Context(OFFICER), "score")
        self.assertEqual(list(allow),
                         ["decision", "rules", "citations", "explanation", "explanation_sv"])
        self.assertEqual(allow["decision"], "allow")
        self.assertIn("own-case", allow["rules"])
        provider = dict(FOLLOW_UP, organisation={"kind": "privat_utforare", "id": "0180"})
        deny = varsam.policy_check(varsam.Context(provider), "insight.query")
        self.assertEqual(deny["decision"], "deny")
        self.assertIn("private-provider", deny["rules"])


class EngineTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.engine = varsam.Engine(self.dir.name, key=TEST_KEY, checkpoint_every_events=4)
        self.addCleanup(self.engine.close)
        self.officer = varsam.Context(OFFICER)

    def test_bad_options_and_refused_key(self):
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.Engine(self.dir.name, key=TEST_KEY, checkpoint_every_events=-1)
        self.assertEqual(cm.exception.status_name, "invalid_argument")
        with tempfile.TemporaryDirectory() as other:
            with self.assertRaises(varsam.VarsamError) as cm:
                varsam.Engine(other, key=lambda: 1 / 0)  # the callback fails: refused
            self.assertEqual(cm.exception.status_name, "unauthenticated")
            with self.assertRaises(varsam.VarsamError) as cm:
                varsam.Engine(other, key=b"short")
            self.assertEqual(cm.exception.status_name, "unauthenticated")

    def test_context_manager(self):
        with tempfile.TemporaryDirectory() as other:
            with varsam.Engine(other, key=lambda: TEST_KEY) as engine:
                self.assertEqual(len(engine.audit_public_key), 64)
            with self.assertRaises(ValueError):
                engine.verify_audit(varsam.Context(AUDITOR))

    def test_case_and_audit(self):
        engine, officer = self.engine, self.officer
        events = 0
        self.assertEqual(engine.check(officer, "score")["decision"], "allow")
        events += 1
        result = engine.score(officer, {"instrument": "phq9", "responses": PHQ9_8})
        events += 1
        self.assertEqual(result["total"], 8)
        self.assertTrue(result["suggestions"])
        suggestion = result["suggestions"][0]["id"]
        self.assertRegex(suggestion, r"^[0-9a-f]{32}$")
        self.assertEqual([s["flag"] for s in result["suggestions"]],
                         [f["code"] for f in result["flags"]])
        self.assertIn(suggestion, [s["id"] for s in engine.open_suggestions(officer)])
        events += 1

        with self.assertRaises(varsam.PermissionDenied) as cm:
            engine.record_decision(varsam.Context(dict(OFFICER, role="system")), suggestion,
                                   "accepted", "auto")
        events += 1
        self.assertIn("human-decides", cm.exception.message)
        self.assertEqual(cm.exception.status_name, "permission_denied")
        self.assertGreater(engine.record_decision(officer, suggestion, "accepted", "agreed"), 0)
        events += 1
        with self.assertRaises(varsam.VarsamError) as cm:
            engine.record_decision(officer, suggestion, "rejected", "again")
        events += 1
        self.assertEqual(cm.exception.status_name, "failed_precondition")
        self.assertNotIn(suggestion, [s["id"] for s in engine.open_suggestions(officer)])
        events += 1

        measurement = {"client_ref": "k-1", "case_ref": "c-9", "case_kind": "utredning",
                       "instrument": "phq9", "session": 1, "date": datetime.date(2026, 11, 28),
                       "responses": PHQ9_8, "total": 8, "band": "mild",
                       "flags": ["suicide_risk_followup"]}
        measurement_id = engine.journal_append(officer, measurement)
        events += 1
        history = engine.history(officer, "k-1")
        events += 1
        self.assertEqual(history, [dict(measurement, id=measurement_id, date="2026-11-28")])
        with self.assertRaises(varsam.VarsamError):
            engine.history(officer, "k-2")
        events += 1

        rates = engine.override_rates(varsam.Context(FOLLOW_UP), datetime.date(2026, 11, 1),
                                      20261130)
        events += 1
        rate = next(r for r in rates if r["code"] == "phq9/suicide_risk_followup")
        self.assertEqual((rate["decided"], rate["accepted"], rate["override_rate"]), (1, 1, 0))

        with self.assertRaises(varsam.PermissionDenied):
            engine.verify_audit(officer)
        events += 1
        auditor = varsam.Context(AUDITOR)
        report = engine.verify_audit(auditor)
        events += 1
        self.assertTrue(report["ok"], report)
        self.assertEqual(report["events"], events)
        self.assertTrue(report["signatures_checked"])
        proof = engine.prove_inclusion(auditor, 1)
        self.assertEqual(proof["seq"], 1)
        proof = engine.prove_consistency(auditor, 2, events)
        self.assertEqual((proof["old_size"], proof["new_size"]), (2, events))
        with self.assertRaises(varsam.VarsamError) as cm:
            engine.prove_inclusion(auditor, 10**6)
        self.assertEqual(cm.exception.status_name, "out_of_range")


class RegisterTest(unittest.TestCase):
    """Engine.register_submit / register_export: official test numbers only."""

    NUMBERS = ["198501012382", "198501022381", "198501032380", "198501042389", "198501052396",
               "198501042397"]
    ANALYST = dict(OFFICER, role="analytiker", purpose="uppfoljning",
                   case={"ref": "c-9", "kind": "insats", "led_to_investigation": True,
                         "client": "k-1"})

    def episode(self, number: str, age: int) -> dict:
        return {"personnummer": number, "age": age, "sex": "female", "postal_code": "11120",
                "intervention": "familjebehandling", "start": datetime.date(2026, 3, 15),
                "end": None, "outcome": "",
                "measurements": [{"instrument": "phq9", "session": 1,
                                  "date": datetime.date(2026, 3, 16), "total": 14,
                                  "band": "moderate"}]}

    def test_submit_and_release(self):
        with tempfile.TemporaryDirectory() as store:
            keys = []
            with varsam.Engine(store, key=TEST_KEY, key_epoch=2,
                               pseudonym_key=lambda epoch: keys.append(epoch) or bytes(32 * [7]),
                               register_levels={"age_level": 2}) as engine:
                self.assertEqual(keys, [2])
                analyst = varsam.Context(self.ANALYST)
                engine.register_submit(analyst, [self.episode(n, 30 + i)
                                                 for i, n in enumerate(self.NUMBERS)])
                report = dict(self.ANALYST, case=dict(self.ANALYST["case"], kind="anmalan",
                                                      led_to_investigation=False))
                with self.assertRaises(varsam.PermissionDenied) as cm:
                    engine.register_submit(varsam.Context(report), [self.episode(self.NUMBERS[0], 40)])
                self.assertIn("reports-stay-out", cm.exception.message)
                bad = self.episode(self.NUMBERS[1], 41)
                bad["sex"] = self.NUMBERS[1]
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.register_submit(analyst, [self.episode(self.NUMBERS[2], 42), bad])
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn("register submission 1", cm.exception.message)
                self.assertNotIn(self.NUMBERS[1][2:8], cm.exception.message)

                release = engine.register_export(analyst, k=3, filter={"key_epoch": 2})
                self.assertEqual(release["header"][:3], ["age_band", "sex", "region"])
                self.assertEqual(release["report"]["records_in"], 6)  # nothing of the bad batch
                classes = {}
                for row in release["rows"]:
                    classes[tuple(row[:7])] = classes.get(tuple(row[:7]), 0) + 1
                self.assertGreaterEqual(min(classes.values()), 3)
                text = json.dumps(release)
                for n in self.NUMBERS:
                    self.assertNotIn(n[2:], text)
                self.assertNotIn("p1_", text)
            with varsam.Engine(store, key=TEST_KEY) as keyless:
                with self.assertRaises(varsam.VarsamError) as cm:
                    keyless.register_submit(varsam.Context(self.ANALYST),
                                            [self.episode(self.NUMBERS[0], 40)])
                self.assertEqual(cm.exception.status_name, "failed_precondition")
            with self.assertRaises(varsam.VarsamError) as cm:
                varsam.Engine(store, key=TEST_KEY, pseudonym_key=lambda epoch: None)
            self.assertEqual(cm.exception.status_name, "unauthenticated")


    def test_submit_case_lines(self):
        """The same case lines as `varsam register submit` reads, from Python."""
        def line(ref: str, kind: str, led: bool, number: str, age: int) -> dict:
            return {"case": {"ref": ref, "kind": kind, "led_to_investigation": led,
                             "client": "k-" + ref},
                    "episodes": [self.episode(number, age)]}
        with tempfile.TemporaryDirectory() as store:
            with varsam.Engine(store, key=TEST_KEY, key_epoch=1,
                               pseudonym_key=lambda epoch: bytes(32 * [9])) as engine:
                analyst = varsam.Context(self.ANALYST)
                out = engine.register_submit_cases(analyst, [
                    line("c-1", "utredning", True, self.NUMBERS[0], 31),
                    line("c-2", "anmalan", False, self.NUMBERS[1], 32),
                    {"episodes": [self.episode(self.NUMBERS[2], 33)]},
                ], threads=2)
                self.assertEqual(list(out), ["cases", "submitted", "episodes", "measurements",
                                             "refused", "invalid", "rejected"])
                self.assertEqual((out["cases"], out["submitted"], out["refused"], out["invalid"]),
                                 (3, 2, 1, 0))
                self.assertEqual([(r["line"], r["status"]) for r in out["rejected"]],
                                 [(2, "permission_denied")])
                # JSON-lines text as is; a bad line names the line and the key.
                text = json.dumps({"episodes": [dict(self.episode(self.NUMBERS[3], 34),
                                                     start="2026-03-15", namn="Anna")]},
                                  default=str)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.register_submit_cases(analyst, "\n" + text + "\n")
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn("line 2: episodes[0]: unknown key 'namn'", cm.exception.message)
                self.assertNotIn("Anna", cm.exception.message)
                self.assertEqual(engine.register_export(analyst, k=1)["report"]["records_in"], 2)


class ModelTest(unittest.TestCase):
    """Engine.model_train / model_apply / models and model_card (varsam_model_*): a register of
    synthetic episodes of official test numbers, a model trained from it, applied in a case."""

    SPEC = {"target": "dropout", "population": {"case_kinds": ["insats"]},
            "features": ["age_band", "sex"], "fairness": {"bootstrap": 0},
            "learner": {"kind": "logistic", "l2": 1, "folds": 3, "seed": 5}, "min_support": 5}

    def cases(self) -> list[dict]:
        """One case line per official test number of 1985-1995 (up to 600): dropout far more
        often for men, as a synthetic rule (seeded, so the register is the same every run)."""
        import random
        rng = random.Random(20261205)
        numbers = [n for n in load_test_numbers() if "1985" <= n[:4] <= "1995"][:600]
        lines = []
        for i, number in enumerate(numbers):
            male = int(number[10]) % 2 == 1  # the sex digit
            dropout = rng.random() < (0.6 if male else 0.2)
            lines.append({
                "case": {"ref": f"c-{i}", "kind": "insats", "led_to_investigation": True,
                         "client": f"k-{i}"},
                "episodes": [{"personnummer": number, "age": 25 + i % 30,
                              "sex": "male" if male else "female", "postal_code": "11120",
                              "intervention": "stodsamtal", "start": "2025-02-03",
                              "end": "2025-09-30",
                              "outcome": "dropout" if dropout else "completed"}]})
        return lines

    def test_train_apply_decide_and_card(self):
        with tempfile.TemporaryDirectory() as store:
            with varsam.Engine(store, key=TEST_KEY, key_epoch=1,
                               pseudonym_key=lambda epoch: bytes(32 * [5])) as engine:
                analyst = varsam.Context(dict(FOLLOW_UP, role="analytiker"))
                out = engine.register_submit_cases(analyst, self.cases(), threads=2)
                self.assertEqual(out["invalid"] + out["refused"], 0)

                trained = engine.model_train(analyst, self.SPEC, title="Avbrott, syntetiskt")
                self.assertRegex(trained["id"], "^[0-9a-f]{32}$")
                self.assertEqual(trained["model"]["sha256"], trained["sha256"])
                self.assertEqual(trained["model"]["name"], "Avbrott, syntetiskt")
                self.assertEqual([m["id"] for m in engine.models(analyst)], [trained["id"]])
                # The sex coefficient has the synthetic rule's sign: men drop out more.
                coefficients = {c["name"]: c["estimate"]
                                for c in trained["model"]["coefficients"]}
                self.assertGreater(coefficients["sex=male"], 0)

                officer = varsam.Context(dict(OFFICER, case=dict(OFFICER["case"], kind="insats")))
                applied = engine.model_apply(officer, trained["id"],
                                             {"age_band": "25-29", "sex": "male"})
                self.assertEqual(applied["sha256"], trained["sha256"])
                self.assertRegex(applied["suggestion"], "^[0-9a-f]{32}$")
                self.assertGreater(applied["probability"], 0.3)
                self.assertTrue(applied["summary_en"] and applied["summary_sv"])
                open_ids = [s["id"] for s in engine.open_suggestions(officer)]
                self.assertEqual(open_ids, [applied["suggestion"]])
                engine.record_decision(officer, applied["suggestion"], "accepted", "Samtal bokat.")
                self.assertEqual(engine.open_suggestions(officer), [])

                report = varsam.Context(dict(OFFICER, case=dict(OFFICER["case"], kind="anmalan",
                                                                led_to_investigation=False)))
                with self.assertRaises(varsam.PermissionDenied) as cm:
                    engine.model_apply(report, trained["id"], {"sex": "male"})
                self.assertIn("reports-evidence-only", cm.exception.message)
                with self.assertRaises(varsam.PermissionDenied) as cm:
                    engine.model_train(analyst, dict(self.SPEC, features=["sex", "trade_union"]))
                self.assertIn("never-union-features", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.model_apply(officer, "0" * 32, {})
                self.assertEqual(cm.exception.status_name, "not_found")
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.model_train(analyst, dict(self.SPEC, min_support=1))
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn("min_support", cm.exception.message)
                self.assertEqual(len(engine.models(analyst)), 1)

                card = varsam.model_card(trained["model"])
                self.assertIn("Avbrott, syntetiskt", card)
                html = varsam.model_card(json.dumps(trained["model"]), format="html")
                self.assertIn("<svg", html)
                changed = dict(trained["model"], name="Något annat")
                with self.assertRaises(varsam.VarsamError) as cm:
                    varsam.model_card(changed)
                self.assertEqual(cm.exception.status_name, "data_loss")


class OutcomesTest(unittest.TestCase):
    """Engine.outcomes_* (varsam_outcomes_*): ORS curves fitted from a register of synthetic
    clients (host references, no identity numbers), a client whose ORS falls monitored, the
    outcome suggestion decided by an officer, and the client chart."""

    OFFICER = dict(OFFICER, case=dict(OFFICER["case"], kind="insats"))
    SPEC = {"instrument": "ors", "boundary_percentile": 10, "min_support": 5}

    def cases(self) -> list[dict]:
        """One case per synthetic client: an ORS series rising from its intake (seeded)."""
        import random
        rng = random.Random(20261128)
        lines = []
        for i in range(120):
            intake = round(rng.uniform(6, 34), 1)
            sessions = rng.randint(3, 8)
            measurements = []
            for s in range(1, sessions + 1):
                total = intake if s == 1 else min(40.0, max(0.0, intake + 0.35 * (40 - intake)
                                                            * math.log(s) / math.log(8)
                                                            + rng.gauss(0, 2)))
                measurements.append({"instrument": "ors", "session": s,
                                     "date": datetime.date(2025, 2, 3) + datetime.timedelta(weeks=s - 1),
                                     "total": round(total, 1)})
            lines.append({"case": {"ref": f"rc-{i}", "kind": "insats",
                                   "led_to_investigation": True, "client": f"r-{i}"},
                          "episodes": [{"client_ref": f"r-{i}", "age": 20 + i % 50,
                                        "sex": "female" if i % 2 else "male",
                                        "postal_code": "11120", "intervention": "stodsamtal",
                                        "start": datetime.date(2025, 2, 3),
                                        "measurements": measurements}]})
        return lines

    def test_fit_monitor_decide_and_chart(self):
        with tempfile.TemporaryDirectory() as store:
            with varsam.Engine(store, key=TEST_KEY, key_epoch=1,
                               pseudonym_key=lambda epoch: bytes(32 * [6])) as engine:
                analyst = varsam.Context(dict(FOLLOW_UP, role="analytiker"))
                out = engine.register_submit_cases(analyst, self.cases(), threads=2)
                self.assertEqual((out["submitted"], out["invalid"], out["refused"]), (120, 0, 0))

                fitted = engine.outcomes_fit_etr(analyst, self.SPEC, title="ORS, syntetiskt")
                self.assertEqual(list(fitted), ["id", "sha256", "model"])
                self.assertRegex(fitted["id"], "^[0-9a-f]{32}$")
                self.assertEqual(fitted["model"]["format"], "varsam-etr/1")
                self.assertEqual(fitted["model"]["sha256"], fitted["sha256"])
                self.assertEqual(fitted["model"]["name"], "ORS, syntetiskt")
                self.assertGreater(fitted["model"]["fit"]["beta"][1], 0)  # rising with log(s)
                self.assertNotIn("r-1", json.dumps(fitted))
                self.assertIn(fitted["id"], [m["id"] for m in engine.models(analyst)
                                             if m["kind"] == "etr"])

                officer = varsam.Context(self.OFFICER)
                # As a case system sends them: the client's marks, unscored (the engine totals).
                for session, total in enumerate([18, 22, 17, 9.5, 8], start=1):
                    engine.journal_append(officer, {
                        "client_ref": "k-1", "case_ref": "c-9", "case_kind": "insats",
                        "instrument": "ors", "session": session,
                        "date": datetime.date(2026, 9, 7) + datetime.timedelta(weeks=session - 1),
                        "responses": [total / 4] * 4})
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.journal_append(officer, {
                        "client_ref": "k-1", "case_ref": "c-9", "case_kind": "insats",
                        "instrument": "ors", "session": 6, "date": datetime.date(2026, 10, 19),
                        "responses": [5, 5, 5]})
                self.assertEqual(cm.exception.status_name, "invalid_argument")

                trajectory = engine.outcomes_trajectory(officer, "ors")
                self.assertEqual(list(trajectory), ["client", "case", "instrument", "intake",
                                                    "cutoff", "sessions"])
                self.assertEqual((trajectory["client"], trajectory["case"], trajectory["intake"]),
                                 ("k-1", "c-9", 18))
                self.assertEqual([s["session"] for s in trajectory["sessions"]], [1, 2, 3, 4, 5])
                self.assertEqual([s["total"] for s in trajectory["sessions"]],
                                 [18, 22, 17, 9.5, 8])
                self.assertEqual(list(trajectory["sessions"][0]),
                                 ["session", "date", "total", "change", "category", "rci",
                                  "reliable_change", "clinical"])
                self.assertIsNone(trajectory["sessions"][0]["category"])
                # ORS 18 -> 9.5 is worse by more than the reliable change of 5 points.
                self.assertEqual(trajectory["sessions"][3]["category"], "reliably_deteriorated")
                self.assertEqual(trajectory["sessions"][3]["date"], "2026-09-28")
                self.assertEqual(engine.outcomes_trajectory(officer, "ors", case_ref="c-9"),
                                 trajectory)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_trajectory(officer, "phq9")
                self.assertEqual(cm.exception.status_name, "not_found")

                outcome = engine.outcomes_monitor(officer, fitted["id"])
                self.assertEqual(outcome["sha256"], fitted["sha256"])
                self.assertTrue(outcome["supported"])
                self.assertIsNone(outcome["levels"])  # curves without predictors
                tracks = {s["session"]: s["track"] for s in outcome["sessions"]}
                self.assertIsNone(tracks[1])
                self.assertEqual((tracks[4], tracks[5]), ("below_boundary", "below_boundary"))
                raised = {(r["reason"], r["session"]): r["suggestion"] for r in outcome["raised"]}
                self.assertIn(("below_boundary", 4), raised)
                self.assertEqual(engine.outcomes_monitor(officer, fitted["id"])["raised"], [])

                open_outcomes = [s for s in engine.open_suggestions(officer)
                                 if s["kind"] == "outcome"]
                self.assertEqual(sorted(s["id"] for s in open_outcomes), sorted(raised.values()))
                first = raised[("below_boundary", 4)]
                content = next(s["content"] for s in open_outcomes if s["id"] == first)
                self.assertEqual((content["reason"], content["session"]), ("below_boundary", 4))
                self.assertIn("inget beslut", content["message_sv"])
                engine.record_decision(officer, first, "accepted", "Samtal om upplägget bokat.")
                self.assertNotIn(first, [s["id"] for s in engine.open_suggestions(officer)])

                page = engine.outcomes_report_html(officer, "ors", fitted["id"])
                self.assertIn("<svg", page)
                self.assertNotIn("<script", page)
                self.assertIn("<svg", engine.outcomes_report_html(officer, "ors", language="en"))

                report = varsam.Context(dict(self.OFFICER, case=dict(
                    self.OFFICER["case"], kind="anmalan", led_to_investigation=False)))
                with self.assertRaises(varsam.PermissionDenied) as cm:
                    engine.outcomes_monitor(report, fitted["id"])
                self.assertIn("reports-evidence-only", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_fit_etr(analyst, {"instrument": "ors", "max_sessions": 9})
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn("max_sessions", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_fit_etr(analyst, {"instrument": "ors",
                                                      "min_support": "198001022386"})
                self.assertIn("spec.min_support", cm.exception.message)
                self.assertNotIn("198001022386", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_report_html(officer, "ors", language="de")
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_monitor(officer, "0" * 32)
                self.assertEqual(cm.exception.status_name, "not_found")
                # The client's facts for curves with predictors: ignored by curves without,
                # strict JSON, never echoing a value.
                self.assertEqual(engine.outcomes_monitor(
                    officer, fitted["id"], {"intervention": "stodsamtal", "age": 34})["raised"],
                    [])
                self.assertIn("<svg", engine.outcomes_report_html(
                    officer, "ors", fitted["id"], client='{"age": 34}'))
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_monitor(officer, fitted["id"], {"age": "198001022386"})
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn("client.age", cm.exception.message)
                self.assertNotIn("198001022386", cm.exception.message)

    def test_benchmarks_protect_small_groups(self):
        with tempfile.TemporaryDirectory() as store:
            with varsam.Engine(store, key=TEST_KEY, key_epoch=1,
                               pseudonym_key=lambda epoch: bytes(32 * [6])) as engine:
                analyst = varsam.Context(dict(FOLLOW_UP, role="analytiker"))
                cases = self.cases()
                # Three clients with another intervention: a group below k = 5.
                for line in cases[:3]:
                    line["episodes"][0]["intervention"] = "familjebehandling"
                out = engine.register_submit_cases(analyst, cases, threads=2)
                self.assertEqual(out["submitted"], 120)

                b = engine.outcomes_benchmarks(analyst, {"instrument": "ors"})
                self.assertEqual(list(b), ["format", "instrument", "by", "k", "target", "curves",
                                           "period_from", "period_to", "adjustment",
                                           "unlinked_series", "groups"])
                self.assertEqual((b["format"], b["by"], b["k"], b["target"], b["curves"]),
                                 ("varsam-outcome-benchmarks/1", "intervention", 5, "recovered",
                                  None))
                self.assertEqual(b["unlinked_series"], 0)
                groups = {g["group"]: g for g in b["groups"]}
                self.assertEqual(list(groups), ["service", "familjebehandling", "stodsamtal"])
                service = groups["service"]
                self.assertTrue(service["service"])
                self.assertEqual((service["people"], service["series"]), (120, 120))
                # The service's SAES equals its effect size (the residuals sum to zero).
                self.assertAlmostEqual(service["severity_adjusted_effect_size"],
                                       service["effect_size"])
                # Three people are fewer than k; the other group is then protected too, or the
                # service less it would give the three.
                for name in ("familjebehandling", "stodsamtal"):
                    self.assertTrue(groups[name]["protected"])
                    self.assertIsNone(groups[name]["people"])
                    self.assertIsNone(groups[name]["effect_size"])
                self.assertNotIn("r-1", json.dumps(b))

                fitted = engine.outcomes_fit_etr(analyst, self.SPEC)
                with_curves = engine.outcomes_benchmarks(
                    analyst, '{"instrument": "ors", "by": "service", "min_people": 3}',
                    curves_id=fitted["id"])
                self.assertEqual((with_curves["target"], with_curves["curves"], with_curves["k"]),
                                 ("etr", fitted["sha256"], 3))
                self.assertEqual([g["group"] for g in with_curves["groups"]], ["service"])
                self.assertGreater(with_curves["groups"][0]["target_series"], 0)
                by_intervention = engine.outcomes_benchmarks(
                    analyst, {"instrument": "ors", "min_people": 3})
                self.assertEqual([g["people"] for g in by_intervention["groups"]], [120, 3, 117])

                provider = varsam.Context(dict(FOLLOW_UP, role="analytiker", organisation={
                    "kind": "privat_utforare", "id": "0180"}))
                with self.assertRaises(varsam.PermissionDenied) as cm:
                    engine.outcomes_benchmarks(provider, {"instrument": "ors"})
                self.assertIn("private-provider", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_benchmarks(analyst, {"instrument": "ors", "k": 5})
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn("spec: unknown key 'k'", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_benchmarks(analyst, {"instrument": "ors",
                                                         "by": "198001022386"})
                self.assertIn("spec.by", cm.exception.message)
                self.assertNotIn("198001022386", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.outcomes_benchmarks(analyst, {"instrument": "ors"}, curves_id="0" * 32)
                self.assertEqual(cm.exception.status_name, "not_found")


class InsightTest(unittest.TestCase):
    """Engine.insight_query (varsam_insight_query): group insights from a register of synthetic
    clients (host references, no identity numbers), protected before release; the expected
    counts are computed here from the cases submitted."""

    ANALYST = dict(FOLLOW_UP, role="analytiker")
    # People by intervention and sex, with margins; counts exact (no cell key, no noise).
    QUERY = {"measure": {"kind": "people"}, "dimensions": ["intervention", "sex"],
             "margins": True}

    def cases(self) -> list[dict]:
        """60 clients, one insats each; clients 1, 3 and 5 (all female) in familjebehandling,
        the rest in stodsamtal: a cell of 3, its margin of 3 and a zero (no male there)."""
        lines = []
        for i in range(60):
            lines.append({"case": {"ref": f"ic-{i}", "kind": "insats",
                                   "led_to_investigation": True, "client": f"q-{i}"},
                          "episodes": [{"client_ref": f"q-{i}", "age": 20 + i % 50,
                                        "sex": "female" if i % 2 else "male",
                                        "postal_code": "11120",
                                        "intervention": ("familjebehandling" if i in (1, 3, 5)
                                                         else "stodsamtal"),
                                        "start": datetime.date(2025, 2, 3),
                                        "measurements": []}]})
        return lines

    @staticmethod
    def expected_people(lines: list[dict], levels: list) -> int:
        """The distinct clients of the cell at `levels` ([intervention, sex], None a margin)."""
        people = set()
        for line in lines:
            for e in line["episodes"]:
                if all(want is None or e[key] == want
                       for key, want in zip(("intervention", "sex"), levels)):
                    people.add(e["client_ref"])
        return len(people)

    def test_a_protected_table_with_margins(self):
        with tempfile.TemporaryDirectory() as store:
            with varsam.Engine(store, key=TEST_KEY, key_epoch=1,
                               pseudonym_key=lambda epoch: bytes(32 * [6])) as engine:
                analyst = varsam.Context(self.ANALYST)
                lines = self.cases()
                out = engine.register_submit_cases(analyst, lines)
                self.assertEqual(out["submitted"], 60)

                table = engine.insight_query(analyst, self.QUERY)
                self.assertEqual(list(table), ["format", "query", "methods", "dimensions",
                                               "cells"])
                self.assertEqual((table["format"], table["dimensions"]),
                                 ("varsam-insight/1", ["intervention", "sex"]))
                self.assertEqual(table["query"]["measure"], {"kind": "people"})
                self.assertEqual(table["query"]["protection"]["threshold"], 5)
                self.assertEqual(table["methods"][0], "threshold 5 people")
                self.assertTrue(table["methods"][1].startswith("secondary suppression"))
                # 2 interventions and their margin times 2 sexes and theirs.
                self.assertEqual(len(table["cells"]), 9)
                protected = set()
                for cell in table["cells"]:
                    self.assertEqual(list(cell), ["levels", "value", "status", "flag"])
                    want = self.expected_people(lines, cell["levels"])
                    if cell["status"] == "published":
                        # Exact counts (no noise asked), and never fewer than 5 people.
                        self.assertEqual(cell["value"], want, cell)
                        self.assertGreaterEqual(want, 5, cell)
                    elif cell["status"] == "zero":
                        self.assertEqual((cell["value"], want), (0, 0), cell)
                    else:
                        self.assertEqual(cell["status"], "protected")
                        self.assertIsNone(cell["value"])
                        self.assertTrue(cell["flag"])
                        protected.add(tuple(cell["levels"]))
                    if 0 < want < 5:
                        self.assertEqual(cell["status"], "protected", cell)
                # The two cells of 3 people, and complements: neither is the only protected
                # cell of its row or column (it would be its margin less the published parts).
                primary = [("familjebehandling", "female"), ("familjebehandling", None)]
                for cell in primary:
                    self.assertIn(cell, protected)
                    for d in (0, 1):
                        along = [other for other in protected
                                 if other[1 - d] == cell[1 - d] and other != cell]
                        self.assertTrue(along, (cell, d))
                self.assertGreater(len(protected), len(primary))
                text = json.dumps(table)
                self.assertNotIn("q-1", text)
                self.assertNotIn("p1_", text)

                # CSV: a row per cell in the same order, with the Swedish markers.
                csv_text = engine.insight_query(analyst, json.dumps(self.QUERY), format="csv")
                self.assertIsInstance(csv_text, str)
                rows = list(csv.reader(io.StringIO(csv_text)))
                self.assertEqual(rows[0], ["intervention", "sex", "value"])
                self.assertEqual(len(rows) - 1, len(table["cells"]))
                for row, cell in zip(rows[1:], table["cells"]):
                    self.assertEqual(row[:2], [level if level is not None else "Totalt"
                                               for level in cell["levels"]])
                    marker = {"protected": "..", "zero": "\u2013"}.get(cell["status"])
                    self.assertEqual(row[2], marker or str(cell["value"]), row)
                self.assertIn("..", csv_text)
                self.assertIn("Totalt", csv_text)
                # Without margins nothing needs complementing: the empty cell is a zero. (Asked
                # by another board: its groups differ from this table's margins by the three,
                # which the differencing guard refuses within one organisation and month.)
                other = varsam.Context(dict(self.ANALYST, organisation={
                    "kind": "socialnamnd", "id": "0181"}))
                plain = engine.insight_query(other, dict(self.QUERY, margins=False),
                                             format="csv")
                self.assertEqual(plain.split("\r\n"),
                                 ["intervention,sex,value", "familjebehandling,female,..",
                                  "familjebehandling,male,\u2013", "stodsamtal,female,27",
                                  "stodsamtal,male,30", ""])

                page = engine.insight_query(analyst, self.QUERY, format="html")
                self.assertIsInstance(page, str)
                self.assertIn("<svg", page)
                self.assertNotIn("<script", page.lower())
                self.assertIn("familjebehandling", page)

    def test_refusals(self):
        with tempfile.TemporaryDirectory() as store:
            with varsam.Engine(store, key=TEST_KEY, key_epoch=1,
                               pseudonym_key=lambda epoch: bytes(32 * [6])) as engine:
                analyst = varsam.Context(self.ANALYST)
                self.assertEqual(engine.register_submit_cases(analyst, self.cases())["submitted"],
                                 60)
                by_sex = {"measure": {"kind": "people"}, "dimensions": ["sex"]}

                provider = varsam.Context(dict(self.ANALYST, organisation={
                    "kind": "privat_utforare", "id": "0180"}))
                with self.assertRaises(varsam.PermissionDenied) as cm:
                    engine.insight_query(provider, by_sex)
                self.assertIn("private-provider", cm.exception.message)
                officer = varsam.Context(dict(OFFICER, case=dict(OFFICER["case"], kind="insats")))
                with self.assertRaises(varsam.PermissionDenied):
                    engine.insight_query(officer, by_sex)

                # Everyone, then everyone but the three in familjebehandling: subtracting the
                # two tables would show the three. Refused, and a repeat of the first is not.
                first = engine.insight_query(analyst, by_sex)
                self.assertEqual([c["value"] for c in first["cells"]], [30, 30])
                self.assertEqual(engine.insight_query(analyst, by_sex), first)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.insight_query(analyst, dict(by_sex, filters={
                        "intervention": ["stodsamtal"]}))
                self.assertEqual(cm.exception.status_name, "failed_precondition")
                self.assertIn("differencing", cm.exception.message)
                # The same query in another organisation has no earlier release to subtract.
                other = varsam.Context(dict(self.ANALYST, organisation={
                    "kind": "socialnamnd", "id": "0181"}))
                self.assertEqual(
                    [c["value"] for c in engine.insight_query(other, dict(by_sex, filters={
                        "intervention": ["stodsamtal"]}))["cells"]], [27, 30])

                # A bad query names the field, never the value; so does a bad format.
                for query, field in (
                        ({"measure": {"kind": "mean", "of": "198001022386"}}, "query.measure.of"),
                        ({"measure": {"kind": "people"}, "dimensions": ["198001022386"]},
                         "query.dimensions[0]"),
                        ({"measure": {"kind": "people"}, "filters": {"sex": ["198001022386"]}},
                         "query.filters.sex[0]"),
                        ({"measure": {"kind": "people"}, "protection": {"threshold": 1}},
                         "query.protection.threshold"),
                        ({"measure": {"kind": "people"}, "198001022386": 1}, "query"),
                        ('{"measure": ', "query")):
                    with self.assertRaises(varsam.VarsamError) as cm:
                        engine.insight_query(analyst, query)
                    self.assertEqual(cm.exception.status_name, "invalid_argument", query)
                    self.assertIn(field, cm.exception.message)
                    self.assertNotIn("198001022386", cm.exception.message)
                with self.assertRaises(varsam.VarsamError) as cm:
                    engine.insight_query(analyst, by_sex, format="xml")
                self.assertEqual(cm.exception.status_name, "invalid_argument")
                self.assertIn("format", cm.exception.message)


class AnonymizeTest(unittest.TestCase):
    """varsam.anonymize: official test numbers, names, example.se addresses."""

    KEY = bytes(range(0xA0, 0xC0))
    SCHEMA = {
        "format": "varsam-anonymize-schema/1",
        "fields": [
            {"name": "personnummer", "role": "direct_identifier", "pseudonym": "personnummer"},
            {"name": "namn", "role": "direct_identifier", "person_name": True},
            {"name": "epost", "role": "direct_identifier"},
            {"name": "alder", "role": "quasi_identifier", "hierarchy": "age"},
            {"name": "insats", "role": "quasi_identifier", "hierarchy": {"csv": "insats.csv"}},
            {"name": "utfall", "role": "sensitive"},
            {"name": "anteckning", "role": "free_text"},
            {"name": "fackforening", "role": "forbidden"},
        ],
    }
    PEOPLE = [
        ("198501012382", "Anna Berg", 31, "samtal", "battre"),
        ("198501022381", "Karin Ek", 33, "stod", "samma"),
        ("198501032380", "Maria Holm", 35, "samtal", "battre"),
        ("198501042389", "Eva Lund", 36, "stod", "samma"),
        ("198501052396", "Lars Strand", 37, "boende", "battre"),
        ("198501042397", "Per Nyberg", 38, "samtal", "samma"),
    ]

    def request(self, k=3, epoch=3, **changes):
        records = []
        for number, name, age, insats, utfall in self.PEOPLE:
            email = name.lower().replace(" ", ".") + "@example.se"
            records.append({
                "personnummer": number, "namn": name, "epost": email, "alder": age,
                "insats": insats, "utfall": utfall,
                "anteckning": f"{name} ({number}) skrev fran {email}",
            })
        request = {
            "schema": self.SCHEMA, "records": records, "k": k, "key_epoch": epoch,
            "today": "2026-11-28", "names": ["Lindqvist"],
            "hierarchies": {"insats.csv": "samtal;oppenvard;*\nstod;oppenvard;*\n"
                                          "boende;heldygn;*\n"},
        }
        request.update(changes)
        return request

    def test_release_keeps_k_and_no_identifiers(self):
        result = varsam.anonymize(self.request(), self.KEY)
        self.assertEqual(result["header"],
                         ["personnummer", "alder", "insats", "utfall", "anteckning"])
        report = result["report"]
        self.assertEqual(report["format"], "varsam-anonymize-report/1")
        self.assertEqual(report["records_in"], 6)
        self.assertEqual(report["records_out"], len(result["rows"]))
        self.assertEqual(report["model"]["k"], 3)
        self.assertEqual(set(report["levels"]), {"alder", "insats"})
        # k holds: every combination of released quasi-identifiers occurs at least 3 times.
        classes = {}
        for row in result["rows"]:
            classes[(row[1], row[2])] = classes.get((row[1], row[2]), 0) + 1
        self.assertTrue(all(n >= 3 for n in classes.values()), classes)
        self.assertGreaterEqual(min(size for size, _ in report["risk"]["after"]["class_sizes"]), 3)
        text = json.dumps(result, ensure_ascii=False)
        for number, name, *_ in self.PEOPLE:
            self.assertNotIn(number, text)
            for word in name.split():
                self.assertNotIn(word, text)
        self.assertNotIn("example.se", text)
        self.assertTrue(all(row[0].startswith("p1_") for row in result["rows"]))

    def test_key_as_callable_and_same_pseudonyms(self):
        asked = []

        def key(epoch):
            asked.append(epoch)
            return self.KEY if epoch == 3 else None

        first = varsam.anonymize(self.request(), key)
        self.assertEqual(asked, [3])
        self.assertEqual(first, varsam.anonymize(json.dumps(self.request()), self.KEY))
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.anonymize(self.request(epoch=4), key)
        self.assertEqual(cm.exception.status_name, "unauthenticated")
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.anonymize(self.request(), lambda epoch: 1 / 0)
        self.assertEqual(cm.exception.status_name, "unauthenticated")
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.anonymize(self.request())
        self.assertEqual(cm.exception.status_name, "failed_precondition")
        with self.assertRaises(varsam.VarsamError):
            varsam.anonymize(self.request(), b"short")

    def test_forbidden_value_refuses_naming_field_and_index(self):
        request = self.request()
        request["records"][4]["fackforening"] = "Kommunal"
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.anonymize(request, self.KEY)
        self.assertEqual(cm.exception.status_name, "failed_precondition")
        message = str(cm.exception)
        self.assertIn("request.records[4]", message)
        self.assertIn("fackforening", message)
        self.assertNotIn("Kommunal", message)

    def test_bad_requests(self):
        request = self.request()
        request["records"][1]["hemlig"] = "x"
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.anonymize(request, self.KEY)
        self.assertEqual(cm.exception.status_name, "invalid_argument")
        self.assertIn("request.records[1]", str(cm.exception))
        self.assertIn("hemlig", str(cm.exception))
        for changes in ({"k": 0}, {"l": 1, "sensitive": "utfall"}, {"l": 2},
                        {"max_suppression": 2}, {"today": "2026-02-30"}, {"lattice": True},
                        {"hierarchies": {}}, {"records": {}}):
            with self.subTest(changes=changes):
                with self.assertRaises(varsam.VarsamError) as cm:
                    varsam.anonymize(self.request(**changes), self.KEY)
                self.assertEqual(cm.exception.status_name, "invalid_argument")
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.anonymize(self.request(k=7), self.KEY)
        self.assertEqual(cm.exception.status_name, "failed_precondition")
        with self.assertRaises(varsam.VarsamError) as cm:
            varsam.anonymize("{not json", self.KEY)
        self.assertEqual(cm.exception.status_name, "invalid_argument")

