"""Tests of the CLI contract (docs: design/contracts.md, "CLI contract") against a built binary:

    VARSAM_CLI=/path/to/bin/varsam python3 -m unittest discover -s tests/cli -p 'test_*.py' -v

Standard library only. Every identity number here is one of Skatteverket's official test numbers
(data/skatteverket-testpersonnummer.txt) or derived from one in the test (another check digit or
another date, with its Luhn digit recomputed), never a real person's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import unittest

CLI = os.environ.get("VARSAM_CLI")

# Exit codes (contracts.md).
EXIT_OK = 0
EXIT_NO = 1
EXIT_USAGE = 64

TODAY = "2026-11-28"

VALID_KEYS = {
    "input",
    "valid",
    "kind",
    "normalized",
    "birth_date",
    "sex",
    "official_test_number",
    "error",
}
INVALID_KEYS = VALID_KEYS | {"error_message"}


def luhn_digit(nine_digits: str) -> str:
    total = 0
    for i, c in enumerate(nine_digits):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)




def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )


@unittest.skipUnless(CLI, "set VARSAM_CLI to the path of the varsam binary")
class CliTestCase(unittest.TestCase):
    def check_json(self, *numbers: str, today: str = TODAY) -> tuple[int, list[dict]]:
        p = run("id", "check", "--json", "--today", today, *numbers)
        self.assertIn(p.returncode, (EXIT_OK, EXIT_NO), p.stderr)
        for n in numbers:
            self.assertNotIn(n, p.stderr)
        out = json.loads(p.stdout)
        self.assertIsInstance(out, list)
        self.assertEqual([o["input"] for o in out], list(numbers))
        return p.returncode, out

    def check_one(self, number: str, today: str = TODAY) -> dict:
        return self.check_json(number, today=today)[1][0]

    def assertUsageError(self, *args: str) -> subprocess.CompletedProcess:
        p = run(*args)
        self.assertEqual(p.returncode, EXIT_USAGE, f"{args}: {p.stdout!r} {p.stderr!r}")
        self.assertEqual(p.stdout, "", args)
        self.assertTrue(p.stderr.strip(), args)
        return p


class VersionTest(CliTestCase):
    def test_version_json(self):
        p = run("version", "--json")
        self.assertEqual(p.returncode, EXIT_OK)
        out = json.loads(p.stdout)
        self.assertIsInstance(out, dict)
        self.assertEqual(set(out), {"version", "version_number"})
        self.assertIsInstance(out["version"], str)
        self.assertRegex(out["version"], r"^\d+\.\d+\.\d+$")
        self.assertIsInstance(out["version_number"], int)
        self.assertNotIsInstance(out["version_number"], bool)
        major, minor, patch = (int(x) for x in out["version"].split("."))
        self.assertEqual(out["version_number"], major * 1000000 + minor * 1000 + patch)
        self.assertEqual(p.stdout.count("\n"), 1)  # one document, one line

    def test_version_text(self):
        p = run("version")
        self.assertEqual(p.returncode, EXIT_OK)
        version = json.loads(run("version", "--json").stdout)["version"]
        self.assertIn(version, p.stdout)


class IdCheckJsonTest(CliTestCase):
    def test_all_valid_in_input_order(self):
        numbers = ["198001022386", "800102-2386", "19800102-2386", "900101+9802", "200002292399"]
        code, out = self.check_json(*numbers)
        self.assertEqual(code, EXIT_OK)
        self.assertEqual(len(out), len(numbers))
        for o in out:
            self.assertEqual(set(o), VALID_KEYS, o)
            self.assertIs(o["valid"], True)
            self.assertIsNone(o["error"])
            self.assertEqual(o["kind"], "personnummer")
            self.assertRegex(o["normalized"], r"^\d{12}$")
            self.assertRegex(o["birth_date"], r"^\d{4}-\d{2}-\d{2}$")
            self.assertIn(o["sex"], ("female", "male"))
            self.assertIs(o["official_test_number"], True)
        self.assertEqual(
            [o["normalized"] for o in out],
            ["198001022386", "198001022386", "198001022386", "189001019802", "200002292399"],
        )
        self.assertEqual(out[0]["birth_date"], "1980-01-02")
        self.assertEqual(out[0]["sex"], "female")
        self.assertEqual(out[4]["birth_date"], "2000-02-29")
        self.assertEqual(out[4]["sex"], "male")

    def test_any_invalid_exits_1(self):
        wrong_check = "198001022387"
        no_such_date = "19000229-000" + luhn_digit("000229000")
        numbers = ["198001022386", wrong_check, "abc", "19800102+2386", no_such_date]
        code, out = self.check_json(*numbers)
        self.assertEqual(code, EXIT_NO)
        self.assertEqual(set(out[0]), VALID_KEYS)
        self.assertIs(out[0]["valid"], True)
        expected_errors = ["check_digit", "format", "format", "no_such_date"]
        for o, error in zip(out[1:], expected_errors):
            self.assertEqual(set(o), INVALID_KEYS, o)
            self.assertIs(o["valid"], False)
            self.assertEqual(o["error"], error)
            self.assertIsInstance(o["error_message"], str)
            self.assertTrue(o["error_message"])
            self.assertNotIn(o["input"], o["error_message"])
            for key in ("kind", "normalized", "birth_date", "sex"):
                self.assertIsNone(o[key], key)
            self.assertIs(o["official_test_number"], False)

    def test_single_invalid_exits_1(self):
        code, out = self.check_json("198001022387")
        self.assertEqual(code, EXIT_NO)
        self.assertEqual(out[0]["error"], "check_digit")

    def test_samordningsnummer(self):
        number = "19800162238" + luhn_digit("800162238")  # 198001022386, day 02 + 60
        o = self.check_one(number)
        self.assertIs(o["valid"], True)
        self.assertEqual(o["kind"], "samordningsnummer")
        self.assertEqual(o["birth_date"], "1980-01-02")
        self.assertEqual(o["normalized"], number)

    def test_non_ascii_input_is_echoed_as_valid_json(self):
        code, out = self.check_json("åäö")
        self.assertEqual(code, EXIT_NO)
        self.assertEqual(out[0]["error"], "format")


class CenturyBoundaryTest(CliTestCase):
    """The separator of ten-digit forms around 2026-11-28: `+` means the person turns 100 or
    more in the reference year, `-` (or none) less than 100."""

    def test_plus_resolves_to_1926(self):
        o = self.check_one("261006+9185")
        self.assertIs(o["valid"], True)
        self.assertEqual(o["normalized"], "192610069185")
        self.assertEqual(o["birth_date"], "1926-10-06")
        self.assertIs(o["official_test_number"], True)

    def test_dash_resolves_to_this_year(self):
        o = self.check_one("240101-2394", today="2024-06-01")
        self.assertIs(o["valid"], True)
        self.assertEqual(o["normalized"], "202401012394")
        self.assertEqual(o["birth_date"], "2024-01-01")
        self.assertIs(o["official_test_number"], True)

    def test_1927_is_written_with_dash_in_2026(self):
        o = self.check_one("270108-9167")
        self.assertIs(o["valid"], True)
        self.assertEqual(o["normalized"], "192701089167")
        self.assertEqual(o["birth_date"], "1927-01-08")
        self.assertIs(o["official_test_number"], True)
        # With `+` in 2026 it cannot be 1927 (that person is 99 this year).
        o = self.check_one("270108+9167")
        self.assertNotEqual(o["birth_date"], "1927-01-08")
        if o["valid"]:
            self.assertLessEqual(int(o["birth_date"][:4]), 1926)

    def test_1927_is_written_with_plus_from_2027(self):
        o = self.check_one("270108+9167", today="2027-01-01")
        self.assertIs(o["valid"], True)
        self.assertEqual(o["birth_date"], "1927-01-08")
        o = self.check_one("270108-9167", today="2027-01-01")
        self.assertIs(o["valid"], False)
        self.assertEqual(o["error"], "century")
        # 240101-2394 still resolves to 2024 a year later.
        self.assertEqual(self.check_one("240101-2394", today="2025-01-01")["birth_date"], "2024-01-01")

    def test_born_today_and_tomorrow(self):
        # Official test numbers born 2024-01-01 and 2024-01-02, checked on 2024-01-01.
        today = self.check_one("240101-2394", today="2024-01-01")
        self.assertIs(today["valid"], True)
        self.assertEqual(today["birth_date"], "2024-01-01")
        # Tomorrow cannot be 2024 and 1924 would need `+`.
        tomorrow = self.check_one("240102-2385", today="2024-01-01")
        self.assertIs(tomorrow["valid"], False)
        self.assertEqual(tomorrow["error"], "century")

    def test_today_decides(self):
        # On 2026-11-28 the birthday 12-04 is still to come: `-` contradicts, `+` is 1926.
        self.assertEqual(self.check_one("261204-9029", today="2026-11-28")["error"], "century")
        self.assertEqual(
            self.check_one("261204+9029", today="2026-11-28")["birth_date"], "1926-12-04"
        )


class IdCheckTextTest(CliTestCase):
    def test_text_output(self):
        p = run("id", "check", "--today", TODAY, "800102-2386")
        self.assertEqual(p.returncode, EXIT_OK)
        self.assertIn("198001022386", p.stdout)
        self.assertIn("official test number", p.stdout)
        self.assertEqual(p.stderr, "")

    def test_text_output_invalid(self):
        p = run("id", "check", "--today", TODAY, "198001022386", "198001022387")
        self.assertEqual(p.returncode, EXIT_NO)
        self.assertEqual(len(p.stdout.strip().splitlines()), 2)
        self.assertNotIn("198001022387", p.stderr)


class UsageErrorTest(CliTestCase):
    def test_no_subcommand(self):
        self.assertUsageError()

    def test_id_without_subcommand(self):
        self.assertUsageError("id")

    def test_unknown_subcommand(self):
        self.assertUsageError("frobnicate")

    def test_unknown_flag(self):
        self.assertUsageError("id", "check", "--bogus", "198001022386")
        self.assertUsageError("version", "--bogus")

    def test_missing_number(self):
        self.assertUsageError("id", "check")
        self.assertUsageError("id", "check", "--json", "--today", TODAY)

    def test_missing_today_value(self):
        self.assertUsageError("id", "check", "--json", "--today")

    def test_bad_today(self):
        for today in ("2026-02-30", "2026-13-01", "2026-11-00", "20261128", "yesterday", "2026-11-28x"):
            with self.subTest(today=today):
                p = self.assertUsageError("id", "check", "--json", "--today", today, "198001022386")
                self.assertIn("--today", p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)  # one line


    # An explicitly empty `--today ""` (an unset shell variable, say) is a bad date, not
    # "use the system date": that would silently change how ten-digit forms resolve.
    def test_empty_today(self):
        self.assertUsageError("id", "check", "--json", "--today", "", "198001022386")


class HelpTest(CliTestCase):
    def test_help(self):
        for flag in ("--help", "-h"):
            p = run(flag)
            self.assertEqual(p.returncode, EXIT_OK)
            for sub in ("version", "id", "demo"):
                self.assertRegex(p.stdout, rf"(?m)^\s+{sub}\s")

    def test_subcommand_help(self):
        p = run("id", "check", "--help")
        self.assertEqual(p.returncode, EXIT_OK)
        for word in ("--today", "--json", "NUMBER"):
            self.assertIn(word, p.stdout)


class NoPersonalDataOnStderrTest(CliTestCase):
    NUMBERS = ["198001022386", "800102-2386", "198001022387", "19000229-000" + luhn_digit("000229000")]

    def assertClean(self, p: subprocess.CompletedProcess) -> None:
        digits = re.sub(r"\D", "", p.stderr)
        for n in self.NUMBERS:
            self.assertNotIn(n, p.stderr)
            self.assertNotIn(re.sub(r"\D", "", n)[-10:], digits)

    def test_invalid_numbers(self):
        p = run("id", "check", "--today", TODAY, *self.NUMBERS)
        self.assertEqual(p.returncode, EXIT_NO)
        self.assertClean(p)
        p = run("id", "check", "--json", "--today", TODAY, *self.NUMBERS)
        self.assertEqual(p.returncode, EXIT_NO)
        self.assertClean(p)

    def test_usage_errors_with_numbers(self):
        for args in (
            ["id", "check", "--today", "2026-02-30", *self.NUMBERS],
            ["id", "check", "--today", "198001022386", *self.NUMBERS],
            ["id", "check", "--bogus", *self.NUMBERS],
            ["id", "check", *self.NUMBERS, "--bogus"],
            ["id", *self.NUMBERS],
            [*self.NUMBERS],
        ):
            with self.subTest(args=args):
                p = run(*args)
                self.assertEqual(p.returncode, EXIT_USAGE)
                self.assertClean(p)

    # A stray argument may be a personnummer: usage errors never echo arguments
    # ("Errors ... with no personal data in it", contracts.md).
    def test_stray_argument_is_not_echoed(self):
        for args in (["version", "198001022386"], ["demo", "800102-2386"]):
            p = run(*args)
            self.assertEqual(p.returncode, EXIT_USAGE)
            self.assertClean(p)


class DemoTest(CliTestCase):
    def test_demo(self):
        p = run("demo")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("official test number", p.stdout)
        self.assertEqual(p.stderr, "")


if __name__ == "__main__":
    unittest.main()
