"""Tests of the CLI contract (docs/cli.md) against a built binary:

    VARSAM_CLI=/path/to/bin/varsam python3 -m unittest discover -s tests/cli -p 'test_*.py' -v

Standard library only. Every identity number here is one of Skatteverket's official test numbers
(data/skatteverket-testpersonnummer.txt) or derived from one in the test (another check digit or
another date, with its Luhn digit recomputed), never a real person's. Every answer to an
instrument is made up.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import tempfile
import unittest

CLI = os.environ.get("VARSAM_CLI")

# Exit codes (docs/cli.md, "Exit codes").
EXIT_OK = 0
EXIT_NO = 1
EXIT_USAGE = 64
EXIT_DATAERR = 65
EXIT_NOINPUT = 66
EXIT_DENIED = 77

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
        expected_errors = ["check_digit", "format", "century", "no_such_date"]
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
            for sub in ("version", "id", "score", "demo"):
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
    # (docs/cli.md: diagnostics never hold an argument's value).
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

    def test_demo_fills_the_register_and_releases_it_k_anonymously(self):
        p = run("demo")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        section = p.stdout[p.stdout.index("The compilation register"):]
        self.assertIn("reports-stay-out", section)  # a report case refused
        self.assertRegex(section, r"ALLOW \d+ episodes")
        self.assertRegex(section, r"5-anonymous release .*: \d+ rows, \d+ suppressed")
        self.assertRegex(section, r"records above 0.2: \d+ -> 0,")
        self.assertRegex(section, r"recall \d\.\d{3}, precision \d\.\d{3}")

    def test_demo_trains_a_model_explains_it_and_refuses_it_in_a_report(self):
        p = run("demo")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        section = p.stdout[p.stdout.index("== Models learned from the register"):]
        self.assertRegex(section, r"ALLOW an analyst trains a model .*\n +\d+ episodes of \d+ "
                                  r"pseudonyms")
        self.assertRegex(section, r"model [0-9a-f]{32}, sha256 [0-9a-f]{16}")
        self.assertRegex(section, r"AUC 0\.\d{3} \[0\.\d{3}, [01]\.\d{3}\], Brier 0\.\d{3}, ECE")
        self.assertRegex(section, r"sex +female +\d+ +\d+\.\d %")
        self.assertRegex(section, r"sex +male +\d+ +\d+\.\d %")
        self.assertIn("largest gap:", section)
        self.assertRegex(section, r"probability of dropout \d+\.\d %")
        self.assertIn("why: The case's", section)
        self.assertRegex(section, r"open suggestion [0-9a-f]{12}")
        self.assertIn("DENY  the same model in a report of concern", section)
        self.assertIn("reports-evidence-only", section)

    def test_demo_fits_curves_alerts_and_writes_the_client_chart(self):
        with tempfile.TemporaryDirectory() as tmp:
            chart = os.path.join(tmp, "chart.html")
            p = run("demo", "--chart", chart)
            self.assertEqual(p.returncode, EXIT_OK, p.stderr)
            section = p.stdout[p.stdout.index("== Outcome monitoring"):]
            self.assertRegex(section, r"ALLOW an analyst fits expected-treatment-response curves"
                                      r" .*\n +\d+ series of \d+ people")
            self.assertRegex(section, r"curves [0-9a-f]{32}, sha256 [0-9a-f]{16}")
            self.assertRegex(section, r"below_boundary +(no_reliable_change|reliably_"
                                      r"deteriorated)")
            self.assertRegex(section, r"open suggestions of kind outcome: [1-9]\d* below")
            self.assertIn("is below the not-on-track boundary", section)
            self.assertIn("records the decision (accepted)", section)
            with open(chart, encoding="utf-8") as f:
                html = f.read()
            self.assertIn("<svg", html)
            self.assertNotIn("<script", html)

    def test_demo_releases_a_protected_table_and_refuses_differencing(self):
        p = run("demo")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        section = p.stdout[p.stdout.index("== Group insights"):]
        self.assertIn("ALLOW an analyst asks how many people had an intervention", section)
        rows = re.findall(r"^      (\d\d|total) +(\S+) +(\S+) +(\S+)$", section, re.M)
        self.assertGreater(len(rows), 5)
        self.assertEqual(rows[-1][0], "total")
        markers = {cell for row in rows for cell in row[1:]}
        self.assertIn("..", markers)  # small counties protected
        for row in rows:
            for cell in row[1:]:
                if cell not in ("..", "\u2013"):
                    self.assertGreaterEqual(int(cell), 3)  # 5 or more people, +-2 cell key
        self.assertRegex(section, r"methods: threshold 5 people; secondary suppression \(linear "
                                  r"programming\): \d+ complementary cells")
        self.assertRegex(section, r"DENY  the same table for everyone but the [1-4] (person|people)"
                                  r" whose \w+ is")
        self.assertIn("insight: differencing", section)

    def test_demo_scores_instruments(self):
        p = run("demo")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("Instruments", p.stdout)
        for text in ("[phq9]", "suicide_risk_followup", "CRITICAL", "[audit]", "hazardous",
                     "low_risk", "[core10]", "prorated", "[srs]", "alliance_concern"):
            self.assertIn(text, p.stdout)


# ---- varsam score ------------------------------------------------------------------------

BUILTIN_IDS = [
    "soc13", "soc29", "ors", "cors", "srs", "csrs", "audit", "audit-c", "dudit", "phq9", "gad7",
    "core10", "k10",
]
SCORE_KEYS = {"instrument", "total", "subscales", "band", "flags", "answered", "missing",
              "prorated"}
PHQ9_8 = "1,1,2,1,0,1,1,0,1"  # total 8 (mild), item 9 answered
AUDIT_7 = "2,1,1,1,0,0,0,0,0,2"  # total 7: hazardous for women, low risk for men

# A host's own instrument (docs/instrument-format.md): three items 0-4, two bands, a flag on
# item 1.
WELLBEING = {
    "format": "varsam-instrument/1",
    "id": "wellbeing-3",
    "name": {"en": "Wellbeing check (3 items)", "sv": "Välmående (3 frågor)"},
    "items": {"count": 3, "min": 0, "max": 4},
    "total": {"range": [0, 12]},
    "bands": [
        {"id": "low", "min": 0, "max": 5, "label": {"en": "Low", "sv": "Låg"}},
        {"id": "high", "min": 6, "label": {"en": "High", "sv": "Hög"}},
    ],
    "flags": [
        {"code": "item1_high", "severity": "warning",
         "message": {"en": "Item 1 is high", "sv": "Fråga 1 är hög"},
         "any": [{"on": "item", "items": [1], "at_least": 3}]},
    ],
    "sources": [{"cite": "A made-up instrument of varsam's CLI tests"}],
    "licence": "Test data; no licence needed.",
}


class ScoreCase(CliTestCase):
    def score_json(self, *args: str) -> dict:
        p = run("score", "--json", *args)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertEqual(p.stdout.count("\n"), 1)  # one document, one line
        out = json.loads(p.stdout)
        self.assertIsInstance(out, dict)
        return out

    def assertFails(self, code: int, *args: str) -> str:
        p = run("score", *args)
        self.assertEqual(p.returncode, code, f"{args}: {p.stdout!r} {p.stderr!r}")
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)  # one line
        self.assertTrue(p.stderr.startswith("varsam: "), p.stderr)
        return p.stderr


class ScoreJsonTest(ScoreCase):
    def test_keys_and_types(self):
        out = self.score_json("phq9", "--responses", PHQ9_8)
        self.assertEqual(set(out), SCORE_KEYS)
        self.assertEqual(out["instrument"], "phq9")
        self.assertIsInstance(out["total"], int)  # whole totals are integers
        self.assertNotIsInstance(out["total"], bool)
        self.assertEqual(out["total"], 8)
        self.assertEqual(out["band"], "mild")
        self.assertIsInstance(out["subscales"], dict)
        self.assertIsInstance(out["answered"], int)
        self.assertIsInstance(out["missing"], int)
        self.assertIs(out["prorated"], False)
        self.assertEqual((out["answered"], out["missing"]), (9, 0))
        self.assertIsInstance(out["flags"], list)
        for flag in out["flags"]:
            self.assertEqual(set(flag), {"code", "severity", "message"})
            self.assertIn(flag["severity"], ("info", "warning", "critical"))
            self.assertIsInstance(flag["message"], str)
            self.assertTrue(flag["message"])

    def test_phq9_item_9_is_a_critical_flag(self):
        out = self.score_json("phq9", "--responses", PHQ9_8)
        flags = {f["code"]: f["severity"] for f in out["flags"]}
        self.assertEqual(flags.get("suicide_risk_followup"), "critical")
        out = self.score_json("phq9", "--responses", "3,3,3,3,3,3,3,3,0")
        self.assertEqual((out["total"], out["band"]), (24, "severe"))
        self.assertNotIn("suicide_risk_followup", [f["code"] for f in out["flags"]])

    def test_band_ids_of_the_contract(self):
        cases = [
            ("phq9", "0,0,0,0,0,0,0,0,0", [], "none"),
            ("phq9", "2,2,2,2,2,0,0,0,0", [], "moderate"),
            ("phq9", "2,2,2,2,2,2,2,2,0", [], "moderately_severe"),
            ("gad7", "3,3,3,1,0,0,0", [], "moderate"),
            ("audit", AUDIT_7, ["--sex", "female"], "hazardous"),
            ("audit", AUDIT_7, ["--sex", "male"], "low_risk"),
            ("audit", AUDIT_7, [], None),  # no sex, no band
            ("audit-c", "2,2,1", ["--sex", "female"], "risky"),
            ("audit-c", "2,2,1", ["--sex", "male"], "low_risk"),
            ("k10", "1,1,1,1,1,1,1,1,1,1", [], "low"),
            ("ors", "5,5,5,5", [], "clinical"),
            ("srs", "9,9,9,9", [], None),
            ("soc13", "4,4,4,4,4,4,4,4,4,4,4,4,4", [], None),
        ]
        for instrument, responses, extra, band in cases:
            with self.subTest(instrument=instrument, responses=responses, extra=extra):
                out = self.score_json(instrument, "--responses", responses, *extra)
                self.assertEqual(out["band"], band)
                self.assertEqual(out["instrument"], instrument)

    def test_empty_entries_are_missing(self):
        out = self.score_json("core10", "--responses", "1,3,,1,2,0,1,2,1,1")
        self.assertEqual((out["answered"], out["missing"]), (9, 1))
        self.assertIs(out["prorated"], True)
        self.assertAlmostEqual(out["total"], 100 / 9)  # items 2, 3 reversed; 10 x mean
        self.assertEqual(out["band"], "mild")
        # Too many missing: no total, no band.
        out = self.score_json("phq9", "--responses", "1,1,,1,0,1,1,0,")
        self.assertIsNone(out["total"])
        self.assertIsNone(out["band"])
        self.assertEqual(out["missing"], 2)
        out = self.score_json("phq9", "--responses", ",,,,,,,,")
        self.assertEqual((out["answered"], out["missing"], out["total"]), (0, 9, None))

    def test_subscales(self):
        out = self.score_json("soc13", "--responses", ",".join(["4"] * 13))
        self.assertEqual(set(out["subscales"]),
                         {"comprehensibility", "manageability", "meaningfulness"})
        for value in out["subscales"].values():
            self.assertIsInstance(value, (int, float))

    def test_previous_total_and_decimals(self):
        self.assertEqual(self.score_json("srs", "--responses", "9,9,9.5,9")["flags"], [])
        out = self.score_json("srs", "--responses", "9,9,9.5,9", "--previous-total", "38.5")
        self.assertEqual([f["code"] for f in out["flags"]], ["alliance_concern"])
        self.assertEqual(out["total"], 36.5)

    def test_swedish(self):
        en = self.score_json("phq9", "--responses", PHQ9_8)
        sv = self.score_json("phq9", "--responses", PHQ9_8, "--lang", "sv")
        self.assertEqual([f["code"] for f in sv["flags"]], [f["code"] for f in en["flags"]])
        self.assertNotEqual(sv["flags"][0]["message"], en["flags"][0]["message"])

    def test_age_is_accepted(self):
        out = self.score_json("cors", "--responses", "8,8,8,8", "--age", "9")
        self.assertEqual(out["band"], "non_clinical")


class ScoreTextTest(ScoreCase):
    def test_text_for_people(self):
        p = run("score", "phq9", "--responses", PHQ9_8)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertIn("[phq9]", p.stdout)
        self.assertIn("PHQ-9", p.stdout)
        self.assertIn("8 (range 0-27)", p.stdout)
        self.assertIn("mild (Mild)", p.stdout)
        self.assertIn("missing 0", p.stdout)
        self.assertRegex(p.stdout, r"(?m)^CRITICAL\s+suicide_risk_followup: \S")

    def test_prorated_and_swedish(self):
        p = run("score", "core10", "--responses", "1,3,,1,2,0,1,2,1,1")
        self.assertIn("11.11", p.stdout)
        self.assertIn("prorated", p.stdout)
        p = run("score", "core10", "--responses", "1,3,,1,2,0,1,2,1,1", "--lang", "sv")
        self.assertEqual(p.returncode, EXIT_OK)
        self.assertIn("Summa", p.stdout)


class ScoreListTest(ScoreCase):
    def test_list_json_has_all_13(self):
        p = run("score", "--list", "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        out = json.loads(p.stdout)
        self.assertIsInstance(out, list)
        self.assertEqual([d["id"] for d in out], BUILTIN_IDS)
        for d in out:
            self.assertIsInstance(d["name"]["en"], str)
            self.assertIsInstance(d["name"]["sv"], str)

    def test_list_text(self):
        p = run("score", "--list")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        lines = p.stdout.splitlines()
        self.assertRegex(lines[0], r"^id\s+name\s+items\s+bands$")
        self.assertEqual([line.split()[0] for line in lines[1:]], BUILTIN_IDS)
        phq9 = next(line for line in lines if line.startswith("phq9 "))
        self.assertIn("none, mild, moderate, moderately_severe, severe", phq9)
        self.assertRegex(phq9, r"\s9\s")

    def test_list_excludes_scoring(self):
        self.assertUsageError("score", "--list", "phq9")
        self.assertUsageError("score", "--list", "--responses", "1")


class ScoreErrorTest(ScoreCase):
    def test_unknown_instrument_is_a_usage_error(self):
        err = self.assertFails(EXIT_USAGE, "phq10", "--responses", PHQ9_8)
        self.assertIn("varsam score --list", err)
        self.assertNotIn("phq10", err)  # arguments are never echoed

    def test_missing_arguments(self):
        self.assertUsageError("score")
        self.assertUsageError("score", "phq9")
        self.assertUsageError("score", "--responses", PHQ9_8)
        self.assertUsageError("score", "phq9", "--responses")

    def test_bad_options(self):
        for extra in (["--sex", "other"], ["--sex", ""], ["--age", "-1"], ["--age", "old"],
                      ["--age", "30.5"], ["--lang", "de"], ["--previous-total", "x"],
                      ["--previous-total", "inf"], ["--bogus"]):
            with self.subTest(extra=extra):
                self.assertUsageError("score", "phq9", "--responses", PHQ9_8, *extra)

    def test_a_non_number_names_the_item_not_the_value(self):
        for responses, item in (("1,1,seven,1,0,1,1,0,1", "item 3"),
                                ("1,1,2,1,0,1,1,0,1x", "item 9"),
                                ("nan,1,2,1,0,1,1,0,1", "item 1"),
                                ("1,inf,2,1,0,1,1,0,1", "item 2"),
                                ("1,1,2,1,0,1,1,0,0x1", "item 9")):
            with self.subTest(responses=responses):
                err = self.assertFails(EXIT_DATAERR, "phq9", "--responses", responses)
                self.assertIn(item, err)
                for value in ("seven", "1x", "nan", "inf", "0x1"):
                    self.assertNotIn(value, err.replace("varsam:", ""))

    def test_bad_answers_exit_65_naming_the_item(self):
        cases = [
            ("phq9", "1,1,2,1,0,1,1,0,7", "item 9"),  # out of range
            ("phq9", "1,1,2,1,0,1,1,0.5,1", "item 8"),  # decimals
            ("phq9", "-1,1,2,1,0,1,1,0,1", "item 1"),
            ("audit", "2,1,1,1,0,0,0,0,1,0", "item 9"),  # items 9-10 take 0, 2, 4
            ("audit", "2,1,1,1,0,0,0,0,3,0", "item 9"),
            ("audit", "2,1,1,1,0,0,0,0,0,3", "item 10"),
        ]
        for instrument, responses, item in cases:
            with self.subTest(instrument=instrument, responses=responses):
                err = self.assertFails(EXIT_DATAERR, instrument, "--responses", responses)
                self.assertIn(item, err)
                self.assertNotIn("0.5", err)

    def test_wrong_number_of_answers(self):
        err = self.assertFails(EXIT_DATAERR, "phq9", "--responses", "1,1,1")
        self.assertIn("9 items", err)
        self.assertFails(EXIT_DATAERR, "phq9", "--responses", PHQ9_8 + ",1")
        self.assertFails(EXIT_DATAERR, "phq9", "--responses", "")

    def test_no_personal_data_in_errors(self):
        number = "198001022386"
        for args, code in (([number, "--responses", PHQ9_8], EXIT_USAGE),
                           (["phq9", "--responses", number], EXIT_DATAERR),
                           (["phq9", "--responses", "1,1,1,1,1,1,1,1," + number], EXIT_DATAERR),
                           (["phq9", "--responses", "800102-2386,1,1,1,1,1,1,1,1"], EXIT_DATAERR),
                           (["phq9", "--responses", PHQ9_8, "--definition", number],
                            EXIT_NOINPUT)):
            with self.subTest(args=args):
                err = self.assertFails(code, *args)
                self.assertNotIn("2386", err)


class ScoreDefinitionTest(ScoreCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name: str, content) -> str:
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            if not isinstance(content, str):
                content = json.dumps(content, ensure_ascii=False)
            f.write(content)
        return path

    def test_host_definition_is_scored(self):
        path = self.write("wellbeing.json", WELLBEING)
        out = self.score_json("wellbeing-3", "--responses", "3,2,2", "--definition", path)
        self.assertEqual(set(out), SCORE_KEYS)
        self.assertEqual((out["instrument"], out["total"], out["band"]), ("wellbeing-3", 7, "high"))
        self.assertEqual(out["flags"], [{"code": "item1_high", "severity": "warning",
                                         "message": "Item 1 is high"}])
        out = self.score_json("wellbeing-3", "--responses", "1,,2", "--definition", path,
                              "--lang", "sv")
        self.assertIsNone(out["total"])
        p = run("score", "wellbeing-3", "--responses", "4,0,0", "--definition", path)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("Wellbeing check (3 items) [wellbeing-3]", p.stdout)
        self.assertIn("low (Low)", p.stdout)
        self.assertRegex(p.stdout, r"(?m)^WARNING\s+item1_high: Item 1 is high$")
        err = self.assertFails(EXIT_DATAERR, "wellbeing-3", "--responses", "5,0,0",
                               "--definition", path)
        self.assertIn("item 1", err)

    def test_host_definition_is_listed(self):
        path = self.write("wellbeing.json", WELLBEING)
        p = run("score", "--list", "--json", "--definition", path)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual([d["id"] for d in json.loads(p.stdout)], BUILTIN_IDS + ["wellbeing-3"])
        # Without --definition it is gone: the CLI keeps nothing between runs.
        p = run("score", "--list", "--json")
        self.assertNotIn("wellbeing-3", [d["id"] for d in json.loads(p.stdout)])

    def test_missing_file_exits_66(self):
        path = os.path.join(self.dir.name, "nothing-here.json")
        err = self.assertFails(EXIT_NOINPUT, "wellbeing-3", "--responses", "1,1,1",
                               "--definition", path)
        self.assertIn("--definition", err)
        self.assertNotIn(self.dir.name, err)  # the path is an argument: not echoed
        self.assertFails(EXIT_NOINPUT, "--list", "--definition", self.dir.name)  # a directory

    def test_bad_definition_exits_65_with_the_loaders_message(self):
        bad = dict(WELLBEING, total={"range": [0, 13]})  # the items give 0-12
        path = self.write("bad.json", bad)
        err = self.assertFails(EXIT_DATAERR, "wellbeing-3", "--responses", "1,1,1",
                               "--definition", path)
        self.assertIn("wellbeing-3", err)
        self.assertIn("range", err)
        path = self.write("unknown-field.json", dict(WELLBEING, colour="blue"))
        self.assertIn("colour", self.assertFails(EXIT_DATAERR, "--list", "--definition", path))
        path = self.write("not-json.json", "{\"format\": ")
        self.assertFails(EXIT_DATAERR, "--list", "--definition", path)
        # A built-in id cannot be replaced.
        path = self.write("phq9.json", dict(WELLBEING, id="phq9"))
        err = self.assertFails(EXIT_DATAERR, "phq9", "--responses", PHQ9_8, "--definition", path)
        self.assertIn("phq9", err)


# ---- varsam store ------------------------------------------------------------------------

EXIT_SOFTWARE = 70
EXIT_IOERR = 74

STORE_PARTS = {
    "journal": {"measurements", "suggestions", "decisions"},
    "register": {"episodes", "measurements", "models", "releases"},
    "audit": {"events", "checkpoints"},
}

# No server listens on port 1: connecting fails, and the password must not show anywhere.
STORE_PASSWORD = "Hemligt-l0senord-7"


class StoreTest(CliTestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.store = os.path.join(self.dir.name, "store")

    def store_json(self, command: str, store: str) -> dict:
        p = run("store", command, "--store", store, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertEqual(p.stdout.count("\n"), 1)  # one document, one line
        return json.loads(p.stdout)

    def assertStoreFails(self, code: int, *args: str) -> str:
        p = run("store", *args)
        self.assertEqual(p.returncode, code, f"{args}: {p.stdout!r} {p.stderr!r}")
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)  # one line
        return p.stderr

    def test_init_creates_three_database_files_and_info_describes_them(self):
        out = self.store_json("init", self.store)
        for name in ("journal.db", "register.db", "audit.db"):
            self.assertTrue(os.path.isfile(os.path.join(self.store, name)), name)
        self.assertEqual(out, self.store_json("info", self.store))
        self.assertEqual(list(out), ["backend", "location", "parts"])
        self.assertEqual(out["backend"], "sqlite")
        self.assertEqual(out["location"], self.store)
        self.assertEqual([p["part"] for p in out["parts"]], ["journal", "register", "audit"])
        for part in out["parts"]:
            self.assertEqual(list(part), ["part", "schema_version", "rows"])
            self.assertEqual(part["schema_version"], 5)
            self.assertEqual(set(part["rows"]), STORE_PARTS[part["part"]])
            self.assertEqual(set(part["rows"].values()), {0})

    def test_init_is_idempotent(self):
        self.store_json("init", self.store)
        p = run("store", "init", "--store", self.store)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("store initialised", p.stdout)
        self.assertEqual(self.store_json("info", self.store)["parts"][0]["schema_version"], 5)

    def test_info_text(self):
        self.store_json("init", self.store)
        p = run("store", "info", "--store", self.store)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["backend", "sqlite"])
        self.assertEqual(lines[1].split(), ["location", self.store])
        self.assertTrue(lines[2].startswith("journal "), lines)
        self.assertIn("schema 5", lines[2])
        self.assertIn("suggestions 0", lines[2])
        self.assertTrue(lines[3].startswith("register "), lines)
        self.assertIn("episodes 0", lines[3])
        self.assertTrue(lines[4].startswith("audit "), lines)
        self.assertIn("events 0", lines[4])

    def test_info_on_a_missing_store_exits_66_and_creates_nothing(self):
        err = self.assertStoreFails(EXIT_NOINPUT, "info", "--store", self.store)
        self.assertNotIn(self.dir.name, err)
        self.assertFalse(os.path.exists(self.store))
        # A directory without the files is no store either.
        os.mkdir(self.store)
        self.assertStoreFails(EXIT_NOINPUT, "info", "--store", self.store)
        self.assertEqual(os.listdir(self.store), [])

    def test_bad_store_arguments_exit_64(self):
        self.assertStoreFails(EXIT_USAGE, "info", "--store", "")
        self.assertStoreFails(EXIT_USAGE, "init", "--store", "mysql://db.example/varsam")
        self.assertStoreFails(EXIT_USAGE, "info")  # no --store
        self.assertStoreFails(EXIT_USAGE, "info", "--store", self.store, "extra")
        self.assertEqual(run("store").returncode, EXIT_USAGE)  # no subcommand

    def test_a_location_that_cannot_be_created_exits_74(self):
        blocker = os.path.join(self.dir.name, "a-file")
        with open(blocker, "w", encoding="utf-8") as f:
            f.write("not a directory\n")
        self.assertStoreFails(EXIT_IOERR, "init", "--store", os.path.join(blocker, "store"))

    def test_a_newer_store_is_refused_naming_the_version(self):
        newer = self.store_json("init", self.store)["parts"][2]["schema_version"] + 1
        with sqlite3.connect(os.path.join(self.store, "audit.db")) as db:
            db.execute("UPDATE varsam_schema SET version = ?", (newer,))
        err = self.assertStoreFails(EXIT_DATAERR, "info", "--store", self.store)
        self.assertIn("audit.db", err)
        self.assertIn(f"version {newer}", err)

    def test_info_counts_rows(self):
        self.store_json("init", self.store)
        with sqlite3.connect(os.path.join(self.store, "audit.db")) as db:
            db.executemany("INSERT INTO events (seq, payload) VALUES (?, ?)",
                           [(1, b"one"), (2, b"two"), (3, b"three")])
        out = self.store_json("info", self.store)
        self.assertEqual(out["parts"][2]["rows"], {"events": 3, "checkpoints": 0})
        self.assertEqual(out["parts"][1]["rows"], {"episodes": 0, "measurements": 0, "models": 0,
                                                      "releases": 0})

    def test_a_uri_password_is_never_printed(self):
        uris = [
            f"postgresql://varsam:{STORE_PASSWORD}@127.0.0.1:1/varsam",
            f"postgres://varsam:{STORE_PASSWORD}@127.0.0.1:1/varsam?connect_timeout=2",
            f"postgresql://varsam@127.0.0.1:1/varsam?password={STORE_PASSWORD}",
        ]
        for uri in uris:
            for command in ("init", "info"):
                for extra in ((), ("--json",)):
                    p = run("store", command, "--store", uri, *extra)
                    self.assertNotEqual(p.returncode, EXIT_OK, uri)
                    self.assertIn(p.returncode, (EXIT_IOERR, EXIT_NOINPUT), p.stderr)
                    self.assertNotIn(STORE_PASSWORD, p.stdout + p.stderr)
                    self.assertEqual(p.stdout, "")

    def test_a_malformed_uri_is_bad_input(self):
        uri = f"postgresql://varsam:{STORE_PASSWORD}@127.0.0.1:1/varsam?no_such_option=1"
        p = run("store", "info", "--store", uri)
        self.assertIn(p.returncode, (EXIT_USAGE, EXIT_DATAERR), p.stderr)
        self.assertNotIn(STORE_PASSWORD, p.stdout + p.stderr)

    def test_demo_keeps_its_store_with_store(self):
        p = run("demo", "--store", self.store)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("Storage", p.stdout)
        out = self.store_json("info", self.store)
        journal, register, audit = out["parts"]
        self.assertGreater(journal["rows"]["measurements"], 100)
        # the register: episodes of investigations and interventions, never of reports
        self.assertGreater(register["rows"]["episodes"], 100)
        self.assertGreater(register["rows"]["measurements"], register["rows"]["episodes"])
        # score, a denied journal read, a refused and an accepted decision, the verification;
        # then seven register submissions (two refused: reports that led to no investigation)
        # and one release; then a model's training (its decision and its hash) and two
        # applications (one refused in a report case); then the curves' fit (its decision and
        # its hash), a client's monitoring (the journal read and the curves applied), the
        # officer's reading of the alert (the open suggestions) and decision on it, and the
        # client chart (a journal read and the curves applied); then an
        # insight table (its decision and its release) and a differencing query (its decision
        # and its refusal)
        self.assertEqual(audit["rows"]["events"], 29)
        self.assertEqual(audit["rows"]["checkpoints"], 5)  # signed when each engine closed
        p = run("audit", "verify", "--store", self.store, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        report = json.loads(p.stdout)
        self.assertEqual((report["ok"], report["events"], report["checkpoints"]), (True, 29, 5))
        self.assertIsNone(report["first_bad_seq"])
        self.assertIsNone(report["reason"])
        # An audit event's byte changed behind the store's back (triggers dropped) is found.
        with sqlite3.connect(os.path.join(self.store, "audit.db")) as db:
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
                db.execute(f'DROP TRIGGER "{name}"')
            payload = bytearray(db.execute("SELECT payload FROM events WHERE seq = 1").fetchone()[0])
            payload[-1] ^= 0x01
            db.execute("UPDATE events SET payload = ? WHERE seq = 1", (bytes(payload),))
        p = run("audit", "verify", "--store", self.store, "--json")
        self.assertEqual(p.returncode, EXIT_NO, p.stderr)
        self.assertEqual(json.loads(p.stdout)["first_bad_seq"], 1)

    def test_audit_proofs_of_inclusion_and_consistency(self):
        self.assertEqual(run("demo", "--store", self.store).returncode, EXIT_OK)
        p = run("audit", "proof", "--store", self.store, "--seq", "2", "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        proof = json.loads(p.stdout)
        self.assertEqual(list(proof), ["seq", "tree_size", "leaf_hash", "root", "path", "verified"])
        self.assertEqual((proof["seq"], proof["tree_size"], proof["verified"]), (2, 29, True))
        p = run("audit", "proof", "--store", self.store, "--old-size", "2", "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        consistency = json.loads(p.stdout)
        self.assertEqual(list(consistency),
                         ["old_size", "new_size", "old_root", "new_root", "path", "verified"])
        self.assertEqual((consistency["old_size"], consistency["new_size"]), (2, 29))
        self.assertEqual(consistency["new_root"], proof["root"])
        self.assertTrue(consistency["verified"])
        self.assertTrue(consistency["path"])
        p = run("audit", "proof", "--store", self.store, "--old-size", "3", "--size", "4")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("proof verifies", p.stdout)
        self.assertEqual(run("audit", "proof", "--store", self.store).returncode, EXIT_USAGE)
        self.assertEqual(run("audit", "proof", "--store", self.store, "--seq", "1",
                             "--old-size", "1").returncode, EXIT_USAGE)
        self.assertEqual(run("audit", "proof", "--store", self.store,
                             "--old-size", "30").returncode, EXIT_DATAERR)

    def test_demo_without_store_leaves_nothing_behind(self):
        before = set(os.listdir(tempfile.gettempdir()))
        p = run("demo")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        after = set(os.listdir(tempfile.gettempdir()))
        self.assertEqual({n for n in after - before if n.startswith("varsam-demo-")}, set())


POLICY_CONTEXT = {
    "actor": "a-17", "role": "handlaggare",
    "organisation": {"kind": "socialnamnd", "id": "0180"}, "purpose": "handlaggning",
    "case": {"ref": "c-9", "kind": "utredning", "led_to_investigation": True, "client": "k-1"},
    "subject_client": "k-1", "time": "2026-11-28T10:00:00Z", "ethics_approval": None,
}


class PolicyTest(CliTestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def check(self, context: dict, action: str) -> subprocess.CompletedProcess:
        path = os.path.join(self.dir.name, "context.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(context, f)
        return run("policy", "check", "--context", path, "--action", action, "--json")

    def test_own_case_is_allowed_with_its_rule(self):
        p = self.check(POLICY_CONTEXT, "score")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(list(out), ["decision", "rules", "citations", "explanation"])
        self.assertEqual(out["decision"], "allow")
        self.assertIn("own-case", out["rules"])

    def test_private_provider_follow_up_is_denied_exit_77(self):
        context = dict(POLICY_CONTEXT, purpose="uppfoljning", case=None, subject_client=None,
                       organisation={"kind": "privat_utforare", "id": "0180"})
        p = self.check(context, "insight.query")
        self.assertEqual(p.returncode, 77, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["decision"], "deny")
        self.assertIn("private-provider", out["rules"])

    def test_no_permit_is_no_lawful_basis(self):
        p = self.check(dict(POLICY_CONTEXT, purpose="statistik"), "journal.read")
        self.assertEqual(p.returncode, 77, p.stderr)
        self.assertEqual(json.loads(p.stdout)["rules"], ["no-lawful-basis"])

    def test_context_naming_its_organisation_twice_is_refused(self):
        # RFC 8259 section 4: names SHOULD be unique; parsers that keep the first and those that
        # keep the last would read two different contexts, so the CLI refuses it.
        path = os.path.join(self.dir.name, "twice.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write('{"actor": "a-17", "role": "handlaggare", '
                    '"organisation": {"kind": "privat_utforare", "id": "0180"}, '
                    '"organisation": {"kind": "socialnamnd", "id": "0180"}, '
                    '"purpose": "handlaggning", "time": "2026-11-28T10:00:00Z"}')
        p = run("policy", "check", "--context", path, "--action", "score", "--json")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("context: duplicate key at /organisation", p.stderr)
        self.assertNotIn("privat_utforare", p.stdout + p.stderr)

    def test_bad_context_is_bad_input_and_not_echoed(self):
        p = self.check(dict(POLICY_CONTEXT, role="198001022386"), "score")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertNotIn("198001022386", p.stdout + p.stderr)


ANON_SCHEMA = {
    "format": "varsam-anonymize-schema/1",
    "fields": [
        {"name": "personnummer", "role": "direct_identifier", "pseudonym": "personnummer"},
        {"name": "namn", "role": "direct_identifier", "person_name": True},
        {"name": "telefon", "role": "direct_identifier"},
        {"name": "epost", "role": "direct_identifier"},
        {"name": "alder", "role": "quasi_identifier", "hierarchy": "age"},
        {"name": "kon", "role": "quasi_identifier", "hierarchy": "sex"},
        {"name": "postnummer", "role": "quasi_identifier", "hierarchy": "geography"},
        {"name": "insats", "role": "quasi_identifier", "hierarchy": {"csv": "insats.csv"}},
        {"name": "utfall", "role": "sensitive"},
        {"name": "anteckning", "role": "free_text"},
        {"name": "fackforening", "role": "forbidden"},
    ],
}
ANON_QI = ("alder", "kon", "postnummer", "insats")
ANON_HIERARCHY = (
    "ekonomiskt bistånd;försörjning;insats;*\n"
    "hemtjänst;omsorg;insats;*\n"
    "boendestöd;omsorg;insats;*\n"
    "familjebehandling;stöd, råd;insats;*\n"
)
ANON_FIRST = ["Anna", "Lars", "Karin", "Erik", "Maria", "Johan", "Ingrid", "Mikael"]
ANON_SUR = ["Bergström", "Lindqvist", "Holmberg", "Sandberg", "Nyström"]
ANON_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def official_numbers(first_year: int, last_year: int, count: int) -> list[str]:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                        "skatteverket-testpersonnummer.txt")
    out = []
    with open(path, encoding="ascii") as f:
        for line in f:
            n = line.strip()
            if len(n) == 12 and first_year <= int(n[:4]) <= last_year:
                out.append(n)
    step = max(1, len(out) // count)
    return out[::step][:count]


def postal_codes(count: int) -> list[str]:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "se-geo",
                        "postal_to_municipality.csv")
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["postal_code"] for r in rows[:count]]


class AnonymizeTest(CliTestCase):
    """`varsam anonymize` (docs/cli.md; docs/anonymisation.md, "Using the pipeline")."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        d = self.dir.name
        self.schema = os.path.join(d, "schema.json")
        with open(self.schema, "w", encoding="utf-8") as f:
            json.dump(ANON_SCHEMA, f)
        with open(os.path.join(d, "insats.csv"), "w", encoding="utf-8") as f:
            f.write(ANON_HIERARCHY)
        self.key = os.path.join(d, "key.hex")
        with open(self.key, "w", encoding="ascii") as f:
            f.write(ANON_KEY + "\n")
        self.input = os.path.join(d, "in.csv")
        self.out = os.path.join(d, "out.csv")
        self.report = os.path.join(d, "report.json")
        self.records, self.identifiers = self.make_records(80)
        self.write_input(self.records)

    def make_records(self, n: int) -> tuple[list[dict], list[str]]:
        numbers = official_numbers(1950, 2000, n)
        codes = postal_codes(12)
        interventions = ["ekonomiskt bistånd", "hemtjänst", "boendestöd", "familjebehandling"]
        records, identifiers = [], []
        for i in range(n):
            pnr = numbers[i]
            first, sur = ANON_FIRST[i % len(ANON_FIRST)], ANON_SUR[i % len(ANON_SUR)]
            relative = ANON_FIRST[(i + 3) % len(ANON_FIRST)]
            phone = "070-17406" + f"{i % 100:02d}"
            mail = f"{first.lower()}.{sur[0].lower()}{i}@example.se"
            short = pnr[2:8] + "-" + pnr[8:]
            note = (f'Samtal med {first} {sur}, "bra", om {relative}s skola.\n'
                    f"Nås på {phone} eller {mail.upper()}; pnr {short},\r\n"
                    f"{relative.upper()} ringde.  {pnr[:8]} {pnr[8:]}")
            records.append({
                "personnummer": pnr if i % 2 else short,
                "namn": f"{first} {sur}; {relative} {sur}",
                "telefon": phone,
                "epost": mail,
                "alder": str(20 + i % 50),
                "kon": ["female", "male"][i % 2],
                "postnummer": codes[i % len(codes)],
                "insats": interventions[i % 4],
                "utfall": ["improved", "unchanged", "dropout"][i % 3],
                "anteckning": note,
                "fackforening": "",
            })
            identifiers += [pnr, pnr[2:], short, pnr[:8] + "-" + pnr[8:], phone,
                            "07017406" + phone[-2:], mail, mail.upper()]
        names = ANON_FIRST + ANON_SUR
        return records, identifiers + names + [n.upper() for n in names]

    def write_input(self, records: list[dict]) -> None:
        fields = [f["name"] for f in ANON_SCHEMA["fields"]]
        with open(self.input, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, lineterminator="\r\n")
            w.writeheader()
            w.writerows(records)

    def anonymize(self, *extra: str, key: str | None = None) -> subprocess.CompletedProcess:
        return run("anonymize", "--in", self.input, "--schema", self.schema, "--out", self.out,
                   "--key-file", key or self.key, "--report", self.report,
                   "--today", TODAY, *extra)

    def read_output(self) -> tuple[list[str], list[dict]]:
        with open(self.out, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]

    def test_notes_pasted_from_a_word_processor_hold_no_identifier(self):
        # Case notes as they arrive from Word, e-mail and PDFs: en dashes, no-break and narrow
        # no-break spaces, a soft hyphen inside a number, fullwidth digits, an e-mail address
        # written out. None of it may reach the release (docs/anonymisation.md, "The matching
        # view").
        fullwidth = {ord(c): chr(0xFF10 + int(c)) for c in "0123456789"}
        for i, r in enumerate(self.records):
            pnr = r["personnummer"] if len(r["personnummer"]) == 12 else "19" + \
                r["personnummer"].replace("-", "")
            r["anteckning"] = (
                f"Klienten nås på 070\u2013174\u00a006\u00a0{i % 100:02d} eller "
                f"+46\u202f70\u202f174\u202f06\u202f{i % 100:02d}; pnr {pnr[2:8]}\u2013{pnr[8:]}, "
                f"{pnr[:4]}\u00ad{pnr[4:]} och {pnr[2:].translate(fullwidth)}. Mejla "
                f"{r['epost'].split('@')[0].replace('.', ' punkt ')} (at) example punkt se, "
                f"post till Storgatan\u00a0{i + 1}, 123\u202f45 Storby.")
        self.write_input(self.records)
        p = self.anonymize("--k", "1")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        _, rows = self.read_output()
        self.assertEqual(len(rows), len(self.records))
        for r in rows:
            note = r["anteckning"]
            self.assertEqual(re.sub(r"\D", "", note), "", note)  # no digit of any script left
            self.assertNotIn("example", note)
            self.assertNotIn("Storgatan", note)
            for placeholder in ("[TELEFON]", "[PERSONNUMMER]", "[EPOST]", "[ADRESS]",
                                "[POSTNUMMER]"):
                self.assertIn(placeholder, note)

    def test_release_holds_no_identifier_and_is_k_anonymous_and_l_diverse(self):
        p = self.anonymize("--k", "4", "--l", "2", "--sensitive", "utfall",
                           "--max-suppression", "0.1")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(p.stderr, "")  # not a terminal: no progress line
        with open(self.out, "rb") as f:
            raw = f.read().decode("utf-8")
        for ident in self.identifiers:
            self.assertNotRegex(raw, r"(?<![\w-])" + re.escape(ident) + r"(?![\w])",
                                "an identifier of the input is in the output")
        header, rows = self.read_output()
        self.assertEqual(header, ["personnummer", "alder", "kon", "postnummer", "insats",
                                  "utfall", "anteckning"])
        self.assertGreater(len(rows), 0)
        classes: dict[tuple, list[str]] = {}
        for r in rows:
            self.assertTrue(r["personnummer"].startswith("p1_"))
            self.assertEqual(len(r["personnummer"]), 46)
            classes.setdefault(tuple(r[q] for q in ANON_QI), []).append(r["utfall"])
        for key, values in classes.items():
            self.assertGreaterEqual(len(values), 4, key)
            self.assertGreaterEqual(len(set(values)), 2, key)
        # Quoted fields with commas, quotes and line breaks survive the round trip.
        self.assertIn('"bra", om', rows[0]["anteckning"])
        self.assertIn("\n", rows[0]["anteckning"])
        self.assertIn("[PERSONNUMMER]", rows[0]["anteckning"])

    def test_report(self):
        p = self.anonymize("--k", "3")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        with open(self.report, encoding="utf-8") as f:
            report = json.load(f)
        self.assertEqual(list(report), ["format", "records_in", "records_out", "suppressed",
                                        "model", "levels", "metric", "risk", "scrubbed",
                                        "search"])
        self.assertEqual(report["format"], "varsam-anonymize-report/1")
        self.assertEqual(report["records_in"], 80)
        self.assertEqual(report["records_out"] + report["suppressed"], 80)
        self.assertEqual(list(report["levels"]), list(ANON_QI))
        self.assertEqual(list(report["metric"]), ["name", "value"])
        self.assertEqual(report["metric"]["name"], "loss")
        self.assertEqual(list(report["risk"]), ["threshold", "before", "after"])
        for state in ("before", "after"):
            self.assertEqual(list(report["risk"][state]),
                             ["records", "classes", "max_risk", "average_risk",
                              "records_at_risk", "class_sizes"])
        self.assertLessEqual(report["risk"]["after"]["max_risk"], 1 / 3)
        self.assertEqual(sum(s * c for s, c in report["risk"]["after"]["class_sizes"]),
                         report["records_out"])
        self.assertEqual(list(report["scrubbed"]),
                         ["personnummer", "samordningsnummer", "email", "phone", "address",
                          "postal_code", "name"])
        self.assertGreaterEqual(report["scrubbed"]["personnummer"], 160)
        self.assertGreaterEqual(report["scrubbed"]["phone"], 80)
        self.assertGreaterEqual(report["scrubbed"]["email"], 80)
        self.assertNotIn(ANON_KEY, p.stdout + p.stderr)
        # The same input and key: the same output.
        with open(self.out, "rb") as f:
            first = f.read()
        self.assertEqual(self.anonymize("--k", "3").returncode, EXIT_OK)
        with open(self.out, "rb") as f:
            self.assertEqual(f.read(), first)

    def test_bad_key_file_is_65_and_never_printed(self):
        for content in (ANON_KEY[:-1], ANON_KEY + "0", "zz" + ANON_KEY[2:], "", "not a key"):
            with self.subTest(length=len(content)):
                with open(self.key, "w", encoding="ascii") as f:
                    f.write(content)
                p = self.anonymize("--k", "2")
                self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
                self.assertIn("key", p.stderr)
                if content:
                    self.assertNotIn(content, p.stdout + p.stderr)
                self.assertFalse(os.path.exists(self.out))

    def test_missing_files_are_66(self):
        p = self.anonymize("--k", "2", key=os.path.join(self.dir.name, "nokey"))
        self.assertEqual(p.returncode, EXIT_NOINPUT, p.stderr)
        self.input = os.path.join(self.dir.name, "missing.csv")
        self.assertEqual(self.anonymize("--k", "2").returncode, EXIT_NOINPUT)

    def test_bad_csv_line_is_65_naming_the_line(self):
        with open(self.input, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        # Records 1..: each record spans 3 physical lines (the note has two line breaks).
        bad_line = 1 + 3 * 2 + 1  # the first line of the third record
        text_lines = lines[:]
        text_lines[bad_line - 1] = 'x"y' + text_lines[bad_line - 1]
        with open(self.input, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(text_lines))
        p = self.anonymize("--k", "2")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn(f"line {bad_line}", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)
        for ident in self.identifiers:
            self.assertNotIn(ident, p.stderr)
        self.assertFalse(os.path.exists(self.out))
        # An unclosed quote, and a record with too few fields.
        with open(self.input, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(f["name"] for f in ANON_SCHEMA["fields"]) + "\r\n" + 'a,"b\r\n')
        p = self.anonymize("--k", "2")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("line 2", p.stderr)
        with open(self.input, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(f["name"] for f in ANON_SCHEMA["fields"]) + "\r\n" + "a,b\r\n")
        p = self.anonymize("--k", "2")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("line 2", p.stderr)

    def test_forbidden_field_with_a_value_is_65_naming_field_and_line(self):
        self.records[4]["fackforening"] = "Kommunal"
        self.write_input(self.records)
        p = self.anonymize("--k", "2")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("fackforening", p.stderr)
        self.assertIn(f"line {2 + 3 * 4}", p.stderr)
        self.assertNotIn("Kommunal", p.stderr)
        self.assertNotIn(self.records[4]["personnummer"], p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_header_must_hold_every_schema_field(self):
        fields = [f["name"] for f in ANON_SCHEMA["fields"] if f["name"] != "utfall"]
        with open(self.input, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            w.writerows(self.records)
        p = self.anonymize("--k", "2")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("utfall", p.stderr)

    def test_names_file_bom_lf_and_no_final_line_end(self):
        fields = [f["name"] for f in ANON_SCHEMA["fields"]]
        rows = []
        for r in self.records[:6]:
            r = dict(r, anteckning="Samtal med Zebulon och Quistgaard om boende")
            rows.append(",".join(
                '"' + r[f].replace('"', '""') + '"' if any(c in r[f] for c in ',"\r\n') else r[f]
                for f in fields))
        with open(self.input, "w", encoding="utf-8", newline="") as f:
            f.write("\ufeff" + ",".join(fields) + "\n\n" + "\n".join(rows))  # no final \n
        names = os.path.join(self.dir.name, "names.txt")
        with open(names, "w", encoding="utf-8") as f:
            f.write("Zebulon\n  Quistgaard  \n\n")
        p = self.anonymize("--k", "1", "--names", names)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        _, out = self.read_output()
        self.assertEqual(len(out), 6)
        for r in out:
            self.assertEqual(r["anteckning"], "Samtal med [NAMN] och [NAMN] om boende")
        p = self.anonymize("--k", "1", "--names", os.path.join(self.dir.name, "nonames.txt"))
        self.assertEqual(p.returncode, EXIT_NOINPUT, p.stderr)

    def test_no_key_file_for_a_pseudonym_is_65(self):
        p = run("anonymize", "--in", self.input, "--schema", self.schema, "--out", self.out,
                "--k", "2", "--today", TODAY)
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("key", p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_k_above_the_records_is_65(self):
        p = self.anonymize("--k", "81")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertFalse(os.path.exists(self.out))


def client_schema() -> dict:
    """A schema for `varsam synth`'s clients.csv (docs/synth.md)."""
    direct = {"role": "direct_identifier"}
    return {"format": "varsam-anonymize-schema/1", "fields": [
        dict(direct, name="client_id", pseudonym="client_ref"),
        dict(direct, name="personnummer", pseudonym="personnummer"),
        {"name": "sex", "role": "quasi_identifier", "hierarchy": "sex"},
        {"name": "birth_date", "role": "quasi_identifier", "hierarchy": "date"},
        dict(direct, name="first_name", person_name=True),
        dict(direct, name="surname", person_name=True),
        dict(direct, name="street_address"),
        {"name": "postal_code", "role": "quasi_identifier", "hierarchy": "geography"},
        dict(direct, name="locality"),
        # Kept here so that the comparison covers kept columns too (anonymisation.md drops them).
        {"name": "municipality_code", "role": "insensitive"},
        {"name": "county_code", "role": "insensitive"},
        dict(direct, name="phone"),
        dict(direct, name="email"),
    ]}


def measurement_schema() -> dict:
    """A schema for `varsam synth`'s measurements.csv (docs/synth.md)."""
    direct = {"role": "direct_identifier"}
    return {"format": "varsam-anonymize-schema/1", "fields": [
        dict(direct, name="client_id", pseudonym="client_ref"),
        dict(direct, name="case_id", pseudonym="client_ref"),
        {"name": "case_kind", "role": "insensitive"},
        {"name": "instrument", "role": "insensitive"},
        {"name": "session", "role": "insensitive"},
        {"name": "date", "role": "quasi_identifier", "hierarchy": "date"},
        {"name": "responses", "role": "insensitive"},
        {"name": "total", "role": "insensitive"},
        {"name": "band", "role": "insensitive"},
        {"name": "flags", "role": "insensitive"},
    ]}


class ExcelCsvTest(CliTestCase):
    """Swedish spreadsheets as they arrive: `varsam synth --excel` writes the files Excel saves
    with Swedish settings, and `varsam anonymize` reads them to the same release as the plain
    RFC 4180 files of the same seed (docs/cli.md, "CSV input")."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.plain = os.path.join(d, "plain")
        cls.excel = os.path.join(d, "excel")
        for out, extra in ((cls.plain, ()), (cls.excel, ("--excel",))):
            p = run("synth", "--clients", "300", "--seed", "11", "--out", out, *extra)
            assert p.returncode == EXIT_OK, p.stderr
        cls.key = os.path.join(d, "key.hex")
        with open(cls.key, "w", encoding="ascii") as f:
            f.write(ANON_KEY + "\n")
        cls.schemas = {}
        for name, schema in (("clients", client_schema()), ("measurements",
                                                             measurement_schema())):
            path = os.path.join(d, name + ".schema.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(schema, f)
            cls.schemas[name] = path

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def anonymize(self, table: str, path: str, *extra: str) -> tuple[subprocess.CompletedProcess,
                                                                     bytes, bytes]:
        out = path + ".out.csv"
        report = path + ".report.json"
        for f in (out, report):
            if os.path.exists(f):
                os.remove(f)
        k = ("--k", "5", "--max-suppression", "0.3") if table == "clients" else ("--k", "1")
        p = run("anonymize", "--in", path, "--schema", self.schemas[table], "--out", out,
                "--report", report, "--key-file", self.key, "--today", TODAY, *k, *extra)
        if p.returncode != EXIT_OK:
            return p, b"", b""
        with open(out, "rb") as f, open(report, "rb") as g:
            return p, f.read(), g.read()

    def raw(self, directory: str, table: str) -> bytes:
        with open(os.path.join(directory, table + ".csv"), "rb") as f:
            return f.read()

    def test_the_excel_files_are_as_swedish_excel_saves_them(self):
        raw = self.raw(self.excel, "clients")
        self.assertTrue(raw.startswith(b"\xef\xbb\xbfclient_id;personnummer;sex;birth_date;"))
        self.assertNotIn(b"sep=", raw[:16])
        lines = raw[3:].split(b"\r\n")
        self.assertEqual(lines[-1], b"")
        self.assertNotIn(b"\n", b"".join(lines))  # every line end is CRLF
        rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""),
                               delimiter=";"))
        plain = list(csv.reader(io.StringIO(self.raw(self.plain, "clients").decode("utf-8"),
                                            newline="")))
        self.assertEqual(rows[0], plain[0])
        self.assertEqual(len(rows), len(plain))
        sexes = {"female": "kvinna", "male": "man"}
        for e, p in zip(rows[1:], plain[1:]):
            self.assertEqual(e[2], sexes[p[2]])
            self.assertEqual(e[3], p[3].replace("-", ""))
            self.assertRegex(e[3], r"^\d{8}$")
            self.assertEqual(e[:2] + e[4:], p[:2] + p[4:])
        # Numbers with decimals carry a decimal comma; lists keep their points.
        m = list(csv.reader(io.StringIO(self.raw(self.excel, "measurements")[3:].decode(),
                                        newline=""), delimiter=";"))
        pm = list(csv.DictReader(io.StringIO(self.raw(self.plain, "measurements").decode(),
                                             newline="")))
        total = m[0].index("total")
        fractional = [r for r in pm if "." in r["total"]]
        self.assertGreater(len(fractional), 0)
        for e, p in zip(m[1:], pm):
            self.assertEqual(e[total], p["total"].replace(".", ","))
            self.assertEqual(e[m[0].index("responses")], p["responses"])

    def test_anonymize_reads_the_excel_files_to_the_plain_files_release(self):
        for table in ("clients", "measurements"):
            with self.subTest(table=table):
                p, plain_out, plain_report = self.anonymize(
                    table, os.path.join(self.plain, table + ".csv"))
                self.assertEqual(p.returncode, EXIT_OK, p.stderr)
                p, excel_out, excel_report = self.anonymize(
                    table, os.path.join(self.excel, table + ".csv"))
                self.assertEqual(p.returncode, EXIT_OK, p.stderr)
                self.assertGreater(plain_out.count(b"\r\n"), 100)
                self.assertEqual(excel_out, plain_out)
                self.assertEqual(excel_report, plain_report)
                # Forced, and named by a sep= line before the byte-order mark: the same.
                path = os.path.join(self.tmp.name, table + ".sep.csv")
                with open(path, "wb") as f:
                    f.write(b"sep=;\r\n" + self.raw(self.excel, table))
                self.assertEqual(self.anonymize(table, path)[1], plain_out)
                p, forced, _ = self.anonymize(table, os.path.join(self.excel, table + ".csv"),
                                              "--delimiter", ";")
                self.assertEqual(forced, plain_out, p.stderr)

    def test_sex_as_k_m_flicka_pojke_in_any_case_gives_the_same_release(self):
        raw = self.raw(self.excel, "clients")
        rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))
        forms = {"kvinna": ["K", "k", "Kvinna", "FLICKA"], "man": ["M", "m", "MAN", "Pojke"]}
        for i, r in enumerate(rows[1:]):
            r[2] = forms[r[2]][i % 4]
        path = os.path.join(self.tmp.name, "forms.csv")
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)
        _, plain_out, _ = self.anonymize("clients", os.path.join(self.plain, "clients.csv"))
        p, out, _ = self.anonymize("clients", path)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(out, plain_out)

    def test_windows_1252_is_refused_naming_the_line_and_how_to_save_utf8(self):
        text = self.raw(self.excel, "clients")[3:].decode("utf-8")
        cp1252 = text.encode("cp1252")
        first = next(i for i, line in enumerate(cp1252.split(b"\n"), 1)
                     if any(b >= 0x80 for b in line))
        path = os.path.join(self.tmp.name, "ansi.csv")
        with open(path, "wb") as f:
            f.write(cp1252)
        p, _, _ = self.anonymize("clients", path)
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn(f"line {first}:", p.stderr)
        self.assertIn("Spara som → CSV UTF-8 (kommaavgränsad)", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)
        bad = cp1252.split(b"\n")[first - 1].decode("cp1252").rstrip("\r").split(";")
        for value in bad:
            if len(value) > 2:
                self.assertNotIn(value, p.stderr)

    def test_a_header_mismatch_names_the_delimiter_and_the_schemas_fields(self):
        path = os.path.join(self.excel, "clients.csv")
        p, _, _ = self.anonymize("clients", path, "--delimiter", ",")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("line 1:", p.stderr)
        self.assertIn("comma (,) (as given)", p.stderr)
        names = [f["name"] for f in client_schema()["fields"]]
        self.assertIn(", ".join(f"'{n}'" for n in names), p.stderr)
        # Found rather than given: a schema whose fields the file lacks.
        p, _, _ = self.anonymize("measurements", path)
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("semicolon (;) (found on the header line", p.stderr)
        self.assertIn("'responses'", p.stderr)
        self.assertNotIn("kvinna", p.stderr)
        p = run("anonymize", "--in", path, "--schema", self.schemas["clients"], "--out",
                path + ".x", "--k", "2", "--delimiter", "|")
        self.assertEqual(p.returncode, EXIT_USAGE, p.stderr)
        self.assertIn("--delimiter", p.stderr)


class SynthGroundTruthTest(CliTestCase):
    """`varsam synth --ground-truth` (docs/synth.md, "The ground truth for models")."""

    def cases(self, *extra: str) -> list[dict[str, str]]:
        with tempfile.TemporaryDirectory() as d:
            p = run("synth", "--clients", "400", "--seed", "5", "--out", d, *extra)
            self.assertEqual(p.returncode, EXIT_OK, p.stderr)
            with open(os.path.join(d, "cases.csv"), encoding="utf-8", newline="") as f:
                return list(csv.DictReader(f))

    def test_the_truth_makes_no_follow_up_and_later_chains(self):
        plain = self.cases()
        truth = self.cases("--ground-truth")
        self.assertIn("uppfoljning", {c["case_kind"] for c in plain})
        self.assertNotIn("uppfoljning", {c["case_kind"] for c in truth})
        # Without the truth a client has one chain, so at most one intervention; with it, a new
        # case after an intervention starts another chain.
        def most_interventions(rows: list[dict[str, str]]) -> int:
            count: dict[str, int] = {}
            for c in rows:
                if c["case_kind"] == "insats":
                    count[c["client_id"]] = count.get(c["client_id"], 0) + 1
            return max(count.values())
        self.assertEqual(most_interventions(plain), 1)
        self.assertGreater(most_interventions(truth), 1)
        self.assertEqual(truth, self.cases("--ground-truth"))  # deterministic for a seed


REGISTER_CONTEXT = {"actor": "u-4", "role": "analytiker",
                    "organisation": {"kind": "socialnamnd", "id": "0180"},
                    "purpose": "uppfoljning", "time": "2026-11-28T10:00:00Z"}
QUASI = ["age_band", "sex", "region", "case_kind", "intervention", "start_period", "end_period"]


class RegisterTest(CliTestCase):
    """`varsam register submit|export` (docs/cli.md; docs/anonymisation.md, "The register")."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        d = self.dir.name
        self.store = os.path.join(d, "store")
        self.cases = os.path.join(d, "cases.jsonl")
        p = run("synth", "--clients", "250", "--seed", "5", "--register", self.cases)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        with open(self.cases, encoding="utf-8") as f:
            self.lines = [json.loads(line) for line in f]
        self.context = self.write("context.json", json.dumps(REGISTER_CONTEXT))
        self.key = self.write("key.hex", "5a" * 32 + "\n")
        self.audit_key = self.write("audit.hex", "  " + "c3" * 32 + "\n")

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def submit(self, *extra: str, cases: str | None = None) -> subprocess.CompletedProcess:
        return run("register", "submit", "--store", self.store, "--context", self.context,
                   "--in", cases or self.cases, "--key-file", self.key,
                   "--audit-key-file", self.audit_key, "--key-epoch", "2", *extra)

    def export(self, *extra: str) -> subprocess.CompletedProcess:
        return run("register", "export", "--store", self.store, "--context", self.context,
                   "--audit-key-file", self.audit_key, "--out",
                   os.path.join(self.dir.name, "release.csv"), *extra)

    def release(self) -> list[dict]:
        with open(os.path.join(self.dir.name, "release.csv"), encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def identifiers(self) -> list[str]:
        out = set()
        for line in self.lines:
            for e in line["episodes"]:
                n = e["personnummer"]
                out.update([n, n[2:], n[:8] + "-" + n[8:], n[2:8] + "-" + n[8:]])
        return sorted(out)

    def test_submit_refuses_reports_and_takes_the_rest(self):
        p = self.submit("--json")
        self.assertEqual(p.returncode, EXIT_DENIED, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(list(out), ["cases", "submitted", "episodes", "measurements", "refused",
                                     "invalid", "rejected"])
        self.assertEqual(out["cases"], len(self.lines))
        self.assertEqual(out["invalid"], 0)
        self.assertEqual(out["submitted"] + out["refused"], out["cases"])
        refused = {r["line"] for r in out["rejected"]}
        self.assertEqual(len(refused), out["refused"])
        for number, line in enumerate(self.lines, start=1):
            report = (line["case"]["kind"] in ("anmalan", "forhandsbedomning")
                      and not line["case"]["led_to_investigation"])
            self.assertEqual(number in refused, report, line["case"])
        self.assertGreater(out["refused"], 0)
        for r in out["rejected"]:
            self.assertEqual(r["status"], "permission_denied")
            self.assertIn("reports-stay-out", r["message"])
        submitted = [l for i, l in enumerate(self.lines, start=1) if i not in refused]
        self.assertEqual(out["episodes"], sum(len(l["episodes"]) for l in submitted))
        self.assertEqual(out["measurements"],
                         sum(len(e["measurements"]) for l in submitted for e in l["episodes"]))
        # The register's bytes hold no identity number in any written form, no client id.
        with open(os.path.join(self.store, "register.db"), "rb") as f:
            register = f.read()
        for identifier in self.identifiers() + [l["case"]["client"] for l in self.lines]:
            self.assertNotIn(identifier.encode(), register)
        # No store file holds an identity number.
        for name in os.listdir(self.store):
            with open(os.path.join(self.store, name), "rb") as f:
                data = f.read()
            for identifier in self.identifiers():
                self.assertNotIn(identifier.encode(), data, name)

    def test_text_output_lists_the_refused_lines(self):
        p = self.submit()
        self.assertEqual(p.returncode, EXIT_DENIED, p.stderr)
        self.assertRegex(p.stdout, r"^\d+ cases read; \d+ submitted \(\d+ episodes, \d+ "
                                   r"measurements, key epoch 2\); \d+ refused by the policy; "
                                   r"0 invalid\n$")
        self.assertRegex(p.stderr, r"varsam: --in: line \d+: permission denied by reports-stay-out")

    def test_export_is_k_anonymous_by_an_independent_count(self):
        self.submit()
        report_path = os.path.join(self.dir.name, "report.json")
        p = self.export("--k", "5", "--max-suppression", "0.05", "--report", report_path, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        report = json.loads(p.stdout)
        with open(report_path, encoding="utf-8") as f:
            self.assertEqual(json.load(f), report)
        self.assertEqual(report["format"], "varsam-register-release/1")
        self.assertEqual(list(report["levels"]), QUASI)
        rows = self.release()
        self.assertEqual(len(rows), report["records_out"])
        self.assertEqual(report["records_in"], report["records_out"] + report["suppressed"])
        self.assertLessEqual(report["suppressed"], report["model"]["suppression_limit"])
        classes = {}
        for row in rows:
            self.assertEqual(list(row), QUASI + ["outcome"])
            key = tuple(row[q] for q in QUASI)
            classes[key] = classes.get(key, 0) + 1
        self.assertGreaterEqual(min(classes.values()), 5)
        self.assertEqual(len(classes), report["risk"]["after"]["classes"])
        with open(os.path.join(self.dir.name, "release.csv"), encoding="utf-8") as f:
            text = f.read()
        for identifier in self.identifiers():
            self.assertNotIn(identifier, text)
        self.assertNotIn("p1_", text)

    def test_export_l_diverse_and_filtered(self):
        self.submit()
        p = self.export("--k", "3", "--l", "2", "--max-suppression", "0.1",
                        "--case-kind", "insats", "--key-epoch", "2", "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        report = json.loads(p.stdout)
        self.assertEqual(report["filter"], {"case_kind": "insats", "intervention": None,
                                            "region": None, "key_epoch": 2})
        outcomes = {}
        for row in self.release():
            self.assertEqual(row["case_kind"], "insats")
            outcomes.setdefault(tuple(row[q] for q in QUASI), set()).add(row["outcome"])
        self.assertTrue(outcomes)
        self.assertGreaterEqual(min(len(v) for v in outcomes.values()), 2)
        # Another epoch's rows: none.
        p = self.export("--k", "3", "--key-epoch", "7", "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(json.loads(p.stdout)["records_in"], 0)

    def test_export_text_and_refusals(self):
        self.submit()
        p = self.export("--k", "5", "--max-suppression", "0.05")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertRegex(p.stdout, r"^\d+ episodes, \d+ released, \d+ suppressed; 5-anonymous; "
                                   r"levels above the register's: age_band \+\d")
        # No generalisation gives classes of a million.
        p = self.export("--k", "1000000")
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        # An officer handling cases may not release the register.
        officer = dict(REGISTER_CONTEXT, role="handlaggare", purpose="handlaggning")
        self.context = self.write("officer.json", json.dumps(officer))
        p = self.export("--k", "5")
        self.assertEqual(p.returncode, EXIT_DENIED, p.stderr)
        self.assertIn("permission denied", p.stderr)

    def test_a_bad_line_stops_everything_before_anything_is_submitted(self):
        lines = [json.dumps(l) for l in self.lines[:6]]
        bad = json.loads(lines[2])
        bad["episodes"][0]["namn"] = "Anna Berg"
        lines[2] = json.dumps(bad)
        cases = self.write("bad.jsonl", "\n".join(lines) + "\n")
        p = self.submit(cases=cases)
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("line 3: episodes[0]: unknown key 'namn'", p.stderr)
        self.assertNotIn("Anna", p.stderr)
        self.assertFalse(os.path.exists(self.store))
        for text, where in [("{\"case\": 1, \"episodes\": []}", "line 1: "),
                            ("[1, 2]", "line 1: "), ("\n\n{", "line 3: ")]:
            p = self.submit(cases=self.write("bad2.jsonl", text))
            self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
            self.assertIn(where, p.stderr)

    def test_an_invalid_case_is_named_and_the_others_go_in(self):
        lines = [l for l in self.lines if l["case"]["kind"] == "insats"][:5]
        number = lines[1]["episodes"][0]["personnummer"]
        lines[1]["episodes"][0]["intervention"] = " " + number[2:8] + "-" + number[8:]
        cases = self.write("mixed.jsonl", "".join(json.dumps(l) + "\n" for l in lines))
        p = self.submit("--json", cases=cases)
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual((out["submitted"], out["invalid"], out["refused"]), (4, 1, 0))
        self.assertEqual(out["rejected"][0]["line"], 2)
        self.assertEqual(out["rejected"][0]["status"], "invalid_argument")
        self.assertNotIn(number[2:8], p.stdout + p.stderr)

    def test_standard_input_and_a_case_from_the_context(self):
        line = next(l for l in self.lines if l["case"]["kind"] == "utredning")
        context = dict(REGISTER_CONTEXT, case=line["case"])
        self.context = self.write("case.json", json.dumps(context))
        p = subprocess.run(
            [CLI, "register", "submit", "--store", self.store, "--context", self.context,
             "--in", "-", "--key-file", self.key, "--audit-key-file", self.audit_key, "--json"],
            input=json.dumps({"episodes": line["episodes"]}) + "\n", capture_output=True,
            text=True, timeout=60)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(json.loads(p.stdout)["submitted"], 1)
        # The audit log has the call, and verifies.
        p = run("audit", "verify", "--store", self.store, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(json.loads(p.stdout)["events"], 1)

    def test_keys_and_files(self):
        p = self.submit(cases=os.path.join(self.dir.name, "missing.jsonl"))
        self.assertEqual(p.returncode, EXIT_NOINPUT, p.stderr)
        secret = "zz" + "5a" * 31
        self.key = self.write("bad.hex", secret)
        p = self.submit()
        self.assertEqual(p.returncode, EXIT_DATAERR, p.stderr)
        self.assertIn("--key-file: must hold exactly 64 hex digits", p.stderr)
        self.assertNotIn(secret, p.stderr)
        self.assertEqual(self.assertUsageError("register", "submit", "--store", self.store).returncode,
                         EXIT_USAGE)
        self.assertUsageError("register", "export", "--store", self.store, "--context",
                              self.context, "--audit-key-file", self.audit_key, "--out", "x.csv",
                              "--k", "5", "--metric", "entropy")




# ---- varsam model ------------------------------------------------------------------------

MODEL_SPEC = {"target": "dropout",
              "population": {"case_kinds": ["insats"],
                             "interventions": ["missbruk_oppenvard", "missbruk_institution",
                                               "familjebehandling", "kontaktperson",
                                               "boendestod", "placering_familjehem",
                                               "placering_hvb", "stodsamtal", "arbetstraning",
                                               "annat"]},
              "features": ["age_band", "sex", "intervention",
                           {"feature": "intake_total", "instrument": "ors", "bins": 4}],
              "fairness": {"bootstrap": 20},
              "learner": {"kind": "logistic", "l2": [0.3, 3], "folds": 4, "seed": 1},
              "min_support": 10}
MODEL_OFFICER = {"actor": "a-17", "role": "handlaggare",
                 "organisation": {"kind": "socialnamnd", "id": "0180"},
                 "purpose": "handlaggning",
                 "case": {"ref": "c-9", "kind": "insats", "led_to_investigation": True,
                          "client": "k-1"},
                 "subject_client": "k-1", "time": "2026-11-28T10:00:00Z"}
MODEL_CASE = {"age_band": "30-34", "sex": "male", "intervention": "missbruk_oppenvard",
              "intake_total:ors": 12.5}


class ModelTest(CliTestCase):
    """`varsam model train|apply|list|card` (docs/cli.md; docs/models.md, "Through the
    engine") on a register of `varsam synth --register` cases."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.store = os.path.join(d, "store")
        cases = os.path.join(d, "cases.jsonl")
        p = run("synth", "--clients", "800", "--seed", "5", "--register", cases)
        assert p.returncode == EXIT_OK, p.stderr
        cls.analyst = cls.write_file("analyst.json", json.dumps(REGISTER_CONTEXT))
        cls.officer = cls.write_file("officer.json", json.dumps(MODEL_OFFICER))
        cls.audit_key = cls.write_file("audit.hex", "c3" * 32 + "\n")
        key = cls.write_file("key.hex", "5a" * 32 + "\n")
        cls.spec = cls.write_file("spec.json", json.dumps(MODEL_SPEC))
        cls.case = cls.write_file("case.json", json.dumps(MODEL_CASE))
        p = run("register", "submit", "--store", cls.store, "--context", cls.analyst, "--in",
                cases, "--key-file", key, "--audit-key-file", cls.audit_key, "--key-epoch", "1")
        assert p.returncode == EXIT_DENIED, p.stderr  # the reports that led nowhere are refused
        cls.model_file = os.path.join(d, "model.json")
        p = cls.engine_run("train", cls.analyst, "--spec", cls.spec, "--out", cls.model_file,
                           "--title", "Avbrott i insats, syntetiskt", "--json")
        assert p.returncode == EXIT_OK, p.stderr
        cls.trained = json.loads(p.stdout)
        cls.train_stderr = p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def write_file(cls, name: str, text: str) -> str:
        path = os.path.join(cls.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    @classmethod
    def engine_run(cls, command: str, context: str, *extra: str) -> subprocess.CompletedProcess:
        return run("model", command, "--store", cls.store, "--context", context,
                   "--audit-key-file", cls.audit_key, *extra)

    def assertRefused(self, code: int, p: subprocess.CompletedProcess, needle: str) -> None:
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(needle, p.stderr)

    def test_train_writes_the_model_file_and_keeps_it(self):
        self.assertEqual(list(self.trained), ["id", "sha256", "name", "rows", "pseudonyms", "auc",
                                              "auc_low", "auc_high", "brier", "ece",
                                              "calibration_slope"])
        self.assertRegex(self.trained["id"], "^[0-9a-f]{32}$")
        self.assertEqual(self.train_stderr, "")  # no progress when stderr is not a terminal
        with open(self.model_file, encoding="utf-8") as f:
            model = json.load(f)
        self.assertEqual(model["format"], "varsam-model/1")
        self.assertEqual(model["sha256"], self.trained["sha256"])
        self.assertEqual(model["name"], "Avbrott i insats, syntetiskt")
        self.assertEqual(model["training"]["rows"], self.trained["rows"])
        self.assertLess(self.trained["auc_low"], self.trained["auc"])
        p = self.engine_run("list", self.analyst, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        listed = json.loads(p.stdout)
        self.assertIn(self.trained["id"], [m["id"] for m in listed])
        self.assertEqual(list(listed[0]), ["id", "sha256", "kind", "title", "created"])
        p = self.engine_run("list", self.analyst)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn(self.trained["id"] + "  2026-11-28T10:00:00Z  register_trained", p.stdout)

    def test_apply_is_an_open_suggestion_with_its_reasons(self):
        p = self.engine_run("apply", self.officer, "--model", self.trained["id"], "--case",
                            self.case, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["model"], self.trained["id"])
        self.assertEqual(out["sha256"], self.trained["sha256"])
        self.assertRegex(out["suggestion"], "^[0-9a-f]{32}$")
        self.assertTrue(0 < out["probability"] < 1)
        self.assertLessEqual(out["band"][0], out["band"][1])
        self.assertEqual([part["feature"] for part in out["parts"]],
                         ["age_band", "sex", "intervention", "intake_total:ors"])
        self.assertTrue(out["summary_en"] and out["summary_sv"])
        p = self.engine_run("apply", self.officer, "--model", self.trained["id"], "--case",
                            self.case, "--lang", "sv")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("sannolikhet", p.stdout)
        self.assertIn("öppet förslag", p.stdout)
        self.assertIn("handläggaren beslutar", p.stdout)

    def test_refusals_name_the_rule_and_store_nothing(self):
        report = self.write_file("report.json", json.dumps(dict(
            MODEL_OFFICER, case=dict(MODEL_OFFICER["case"], kind="anmalan",
                                     led_to_investigation=False))))
        self.assertRefused(EXIT_DENIED, self.engine_run(
            "apply", report, "--model", self.trained["id"], "--case", self.case),
            "reports-evidence-only")
        self.assertRefused(EXIT_NOINPUT, self.engine_run(
            "apply", self.officer, "--model", "0" * 32, "--case", self.case), "no kept model")
        bad_case = self.write_file("bad-case.json", json.dumps({"shoe_size": 44}))
        self.assertRefused(EXIT_DATAERR, self.engine_run(
            "apply", self.officer, "--model", self.trained["id"], "--case", bad_case), "--case")
        provider = self.write_file("provider.json", json.dumps(dict(
            REGISTER_CONTEXT, organisation={"kind": "privat_utforare", "id": "0180"})))
        out = os.path.join(self.tmp.name, "refused.json")
        self.assertRefused(EXIT_DENIED, self.engine_run(
            "train", provider, "--spec", self.spec, "--out", out), "private-provider")
        union = self.write_file("union.json", json.dumps(dict(
            MODEL_SPEC, features=["age_band", "trade_union"])))
        self.assertRefused(EXIT_DENIED, self.engine_run(
            "train", self.analyst, "--spec", union, "--out", out), "never-union-features")
        bad = self.write_file("bad-spec.json", json.dumps(dict(MODEL_SPEC, min_support=1)))
        self.assertRefused(EXIT_DATAERR, self.engine_run(
            "train", self.analyst, "--spec", bad, "--out", out), "--spec: spec.min_support")
        self.assertFalse(os.path.exists(out))
        p = self.engine_run("list", self.analyst, "--json")
        self.assertEqual([m["id"] for m in json.loads(p.stdout)
                          if m["kind"] == "register_trained"], [self.trained["id"]])

    def test_an_evidence_based_model_applies_in_a_report_in_memory(self):
        evidence = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                "model-evidence-example.json")
        refused = self.engine_run("add", self.officer, "--file", evidence)
        self.assertEqual(refused.returncode, EXIT_DENIED, refused.stderr)
        p = self.engine_run("add", self.analyst, "--file", evidence, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        added = json.loads(p.stdout)
        self.assertEqual(list(added), ["id", "sha256", "name"])
        report = self.write_file("report-evidence.json", json.dumps(dict(
            MODEL_OFFICER, case=dict(MODEL_OFFICER["case"], ref="c-11", kind="anmalan",
                                     led_to_investigation=False))))
        answers = self.write_file("answers.json", json.dumps({
            "earlier_reports": "one", "child_under_3": "yes", "caregiver_substance_use": "yes",
            "protective_network": "yes"}))
        p = self.engine_run("apply", report, "--model", added["id"], "--case", answers, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        out = json.loads(p.stdout)
        self.assertIsNone(out["suggestion"])
        self.assertEqual((out["points"], out["points_label"]), (4, "high"))
        p = self.engine_run("apply", report, "--model", added["id"], "--case", answers)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("Nothing stored but the audit event", p.stdout)
        with open(self.model_file, encoding="utf-8") as f:
            trained = self.write_file("trained-as-evidence.json", f.read())
        self.assertRefused(EXIT_DATAERR, self.engine_run("add", self.analyst, "--file", trained),
                           "--file")

    def test_card_as_markdown_and_html(self):
        p = run("model", "card", self.model_file)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertTrue(p.stdout.startswith("# Model card: Avbrott i insats, syntetiskt"))
        self.assertIn(self.trained["sha256"], p.stdout)
        html = os.path.join(self.tmp.name, "card.html")
        p = run("model", "card", self.model_file, "--html", html)
        self.assertEqual((p.returncode, p.stdout), (EXIT_OK, ""), p.stderr)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertIn("<svg", page)
        self.assertNotIn("<script", page)
        with open(self.model_file, encoding="utf-8") as f:
            changed = json.load(f)
        changed["name"] = "Något annat"
        tampered = self.write_file("tampered.json", json.dumps(changed))
        p = run("model", "card", tampered)
        self.assertEqual(p.returncode, EXIT_IOERR, p.stderr)
        self.assertIn("sha256", p.stderr)
        self.assertEqual(run("model", "card").returncode, EXIT_USAGE)
        self.assertEqual(run("model").returncode, EXIT_USAGE)


# ---- varsam outcomes, varsam report ------------------------------------------------------

class OutcomesTest(CliTestCase):
    """`varsam outcomes trajectory|fit|monitor` and `varsam report client` (docs/cli.md) on a
    `varsam synth` population: its cases in the register, its forms in the journal."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.store = os.path.join(d, "store")
        cases = os.path.join(d, "cases.jsonl")
        p = run("synth", "--clients", "400", "--seed", "5", "--register", cases, "--store",
                cls.store)
        assert p.returncode == EXIT_OK, p.stderr
        cls.analyst = cls.write_file("analyst.json", json.dumps(REGISTER_CONTEXT))
        cls.audit_key = cls.write_file("audit.hex", "c3" * 32 + "\n")
        key = cls.write_file("key.hex", "5a" * 32 + "\n")
        p = run("register", "submit", "--store", cls.store, "--context", cls.analyst, "--in",
                cases, "--key-file", key, "--audit-key-file", cls.audit_key, "--key-epoch", "1")
        assert p.returncode == EXIT_DENIED, p.stderr  # the reports that led nowhere are refused
        # The insats whose ORS falls furthest from a middling intake: the client to follow.
        worst = None
        with open(cases, encoding="utf-8") as f:
            for line in f:
                c = json.loads(line)
                if c["case"]["kind"] != "insats":
                    continue
                for e in c["episodes"]:
                    ors = [m["total"] for m in e["measurements"]
                           if m["instrument"] == "ors" and m["session"] > 0]
                    if len(ors) >= 4 and 15 <= ors[0] < 30 and (
                            worst is None or min(ors) - ors[0] < worst[0]):
                        worst = (min(ors) - ors[0], c["case"], len(ors))
        assert worst is not None
        cls.case, cls.sessions = worst[1], worst[2]
        cls.client = cls.case["client"]
        cls.officer = cls.write_file("officer.json", json.dumps(dict(
            MODEL_OFFICER, case=cls.case, subject_client=cls.client)))
        p = cls.engine_run("outcomes", "fit", cls.analyst, "--spec",
                           '{"instrument": "ors", "min_support": 5}', "--title",
                           "ORS, syntetiskt", "--json")
        assert p.returncode == EXIT_OK, p.stderr
        cls.fitted = json.loads(p.stdout)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def write_file(cls, name: str, text: str) -> str:
        path = os.path.join(cls.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    @classmethod
    def engine_run(cls, group: str, command: str, context: str,
                   *extra: str) -> subprocess.CompletedProcess:
        return run(group, command, "--store", cls.store, "--context", context,
                   "--audit-key-file", cls.audit_key, *extra)

    def assertRefused(self, code: int, p: subprocess.CompletedProcess, needle: str) -> None:
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(needle, p.stderr)

    def test_trajectory_table_json_and_refusals(self):
        p = self.engine_run("outcomes", "trajectory", self.officer, "--instrument", "ors",
                            "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        t = json.loads(p.stdout)
        self.assertEqual(list(t), ["client", "case", "instrument", "intake", "cutoff", "sessions"])
        self.assertEqual((t["client"], t["case"], t["instrument"]),
                         (self.client, self.case["ref"], "ors"))
        self.assertEqual(len(t["sessions"]), self.sessions)
        self.assertEqual(list(t["sessions"][0]), ["session", "date", "total", "change",
                                                  "category", "rci", "reliable_change",
                                                  "clinical"])
        self.assertEqual(t["sessions"][0]["total"], t["intake"])
        self.assertIsNone(t["sessions"][0]["category"])
        # The client's ORS falls furthest: at least one session is reliably worse (5 points).
        self.assertIn("reliably_deteriorated", [s["category"] for s in t["sessions"]])
        p = self.engine_run("outcomes", "trajectory", self.officer, "--instrument", "ors",
                            "--case", self.case["ref"])
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("session  date", p.stdout)
        self.assertIn("intake", p.stdout)
        self.assertIn("reliably deteriorated", p.stdout)
        self.assertRefused(EXIT_NOINPUT, self.engine_run(
            "outcomes", "trajectory", self.officer, "--instrument", "ors", "--case", "K9999999-1"),
            "no series")
        self.assertRefused(EXIT_USAGE, self.engine_run(
            "outcomes", "trajectory", self.officer, "--instrument", "198001022386"),
            "--instrument")
        other = self.write_file("other-client.json", json.dumps(dict(
            MODEL_OFFICER, case=self.case, subject_client="K9999999")))
        self.assertRefused(EXIT_DENIED, self.engine_run(
            "outcomes", "trajectory", other, "--instrument", "ors"), "no-other-clients")
        self.assertUsageError("outcomes", "trajectory", "--store", self.store)

    def test_fit_keeps_curves_and_names_a_bad_key(self):
        self.assertEqual(list(self.fitted), ["id", "sha256", "model"])
        self.assertRegex(self.fitted["id"], "^[0-9a-f]{32}$")
        model = self.fitted["model"]
        self.assertEqual((model["format"], model["kind"], model["name"]),
                         ("varsam-etr/1", "etr", "ORS, syntetiskt"))
        self.assertEqual(model["sha256"], self.fitted["sha256"])
        self.assertNotIn("K000", json.dumps(model))  # aggregates only
        p = self.engine_run("model", "list", self.analyst, "--json")
        self.assertIn((self.fitted["id"], "etr"),
                      [(m["id"], m["kind"]) for m in json.loads(p.stdout)])
        spec = self.write_file("etr-spec.json", json.dumps({"instrument": "ors",
                                                            "boundary_percentile": 20}))
        p = self.engine_run("outcomes", "fit", self.analyst, "--spec", spec)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertTrue(p.stdout.startswith("fitted curves "))
        self.assertIn("percentile 20", p.stdout)
        bad = self.engine_run("outcomes", "fit", self.analyst, "--spec",
                              '{"instrument": "ors", "max_sessions": 198001022386}')
        self.assertRefused(EXIT_DATAERR, bad, "--spec: spec: unknown key 'max_sessions'")
        self.assertNotIn("198001022386", bad.stderr)
        self.assertRefused(EXIT_DATAERR, self.engine_run(
            "outcomes", "fit", self.analyst, "--spec", '{"instrument": "ors", "min_support": 1}'),
            "--spec: spec.min_support")
        provider = self.write_file("provider.json", json.dumps(dict(
            REGISTER_CONTEXT, organisation={"kind": "privat_utforare", "id": "0180"})))
        self.assertRefused(EXIT_DENIED, self.engine_run(
            "outcomes", "fit", provider, "--spec", spec), "private-provider")
        self.assertRefused(EXIT_NOINPUT, self.engine_run(
            "outcomes", "fit", self.analyst, "--spec", os.path.join(self.tmp.name, "none.json")),
            "--spec")

    def test_monitor_raises_outcome_suggestions_once(self):
        report = self.write_file("report.json", json.dumps(dict(
            MODEL_OFFICER, case=dict(self.case, kind="anmalan", led_to_investigation=False),
            subject_client=self.client)))
        self.assertRefused(EXIT_DENIED, self.engine_run(
            "outcomes", "monitor", report, "--model", self.fitted["id"]), "reports-evidence-only")
        self.assertRefused(EXIT_NOINPUT, self.engine_run(
            "outcomes", "monitor", self.officer, "--model", "0" * 32), "no kept model")
        p = self.engine_run("outcomes", "monitor", self.officer, "--model", self.fitted["id"],
                            "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(list(out), ["model", "sha256", "instrument", "case", "supported",
                                     "intake", "levels", "sessions", "alliance_concerns",
                                     "raised"])
        self.assertIsNone(out["levels"])  # curves without predictors
        self.assertEqual((out["model"], out["sha256"]), (self.fitted["id"], self.fitted["sha256"]))
        self.assertTrue(out["supported"])
        self.assertEqual(list(out["sessions"][0]), ["session", "total", "change", "expected",
                                                    "boundary", "track"])
        below = [s["session"] for s in out["sessions"] if s["track"] == "below_boundary"]
        self.assertTrue(below)
        self.assertEqual(sorted(r["session"] for r in out["raised"]
                                if r["reason"] == "below_boundary"), below)
        for r in out["raised"]:
            self.assertRegex(r["suggestion"], "^[0-9a-f]{32}$")
        p = self.engine_run("outcomes", "monitor", self.officer, "--model", self.fitted["id"])
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("BELOW BOUNDARY", p.stdout)
        self.assertIn("no new suggestion raised", p.stdout)

    def test_report_client_writes_the_chart(self):
        out = os.path.join(self.tmp.name, "report.html")
        p = run("report", "client", "--store", self.store, "--context", self.officer,
                "--audit-key-file", self.audit_key, "--client", self.client, "--instrument",
                "ors", "--model", self.fitted["id"], "--out", out, "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(list(json.loads(p.stdout)), ["instrument", "model", "language", "bytes"])
        with open(out, encoding="utf-8") as f:
            page = f.read()
        self.assertIn("<svg", page)
        self.assertNotIn("<script", page)
        self.assertIn('lang="sv"', page)
        english = os.path.join(self.tmp.name, "report-en.html")
        p = run("report", "client", "--store", self.store, "--context", self.officer,
                "--audit-key-file", self.audit_key, "--client", self.client, "--instrument",
                "ors", "--lang", "en", "--out", english)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("client chart written", p.stdout)
        # Drawing the curves applies them: in an anmälan the chart with them is refused, and
        # nothing is written; without them it is the client's own journal.
        report = self.write_file("report.json", json.dumps(dict(
            MODEL_OFFICER, case=dict(self.case, kind="anmalan", led_to_investigation=False),
            subject_client=self.client)))
        in_report = os.path.join(self.tmp.name, "in-report.html")
        p = run("report", "client", "--store", self.store, "--context", report,
                "--audit-key-file", self.audit_key, "--client", self.client, "--instrument",
                "ors", "--model", self.fitted["id"], "--out", in_report)
        self.assertRefused(EXIT_DENIED, p, "reports-evidence-only")
        self.assertFalse(os.path.exists(in_report))
        p = run("report", "client", "--store", self.store, "--context", report,
                "--audit-key-file", self.audit_key, "--client", self.client, "--instrument",
                "ors", "--out", in_report)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        # The page must be about the context's subject client: a mismatch is refused, unechoed.
        mismatch = os.path.join(self.tmp.name, "mismatch.html")
        p = run("report", "client", "--store", self.store, "--context", self.officer,
                "--audit-key-file", self.audit_key, "--client", "198001022386",
                "--instrument", "ors", "--out", mismatch)
        self.assertRefused(EXIT_DATAERR, p, "--client")
        self.assertNotIn("198001022386", p.stderr)
        self.assertFalse(os.path.exists(mismatch))
        self.assertUsageError("report", "client", "--store", self.store, "--context",
                              self.officer, "--audit-key-file", self.audit_key, "--client",
                              self.client, "--instrument", "ors", "--lang", "de", "--out",
                              mismatch)
        self.assertEqual(run("report").returncode, EXIT_USAGE)
        self.assertEqual(run("outcomes").returncode, EXIT_USAGE)

    BENCHMARK_KEYS = ["format", "instrument", "by", "k", "target", "curves", "period_from",
                      "period_to", "adjustment", "unlinked_series", "groups"]
    FIGURES = ["people", "series", "mean_intake", "effect_size", "severity_adjusted_effect_size",
               "target_series", "reaching_target", "reliable_improvement",
               "reliable_deterioration", "recovered", "ended_series", "dropout"]

    def benchmarks(self, *extra: str) -> subprocess.CompletedProcess:
        return self.engine_run("outcomes", "benchmarks", self.analyst, "--instrument", "ors",
                               *extra)

    def test_benchmarks_json_protects_groups_below_k(self):
        p = self.benchmarks("--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        b = json.loads(p.stdout)
        self.assertEqual(list(b), self.BENCHMARK_KEYS)
        self.assertEqual((b["format"], b["instrument"], b["by"], b["k"], b["target"],
                          b["curves"]),
                         ("varsam-outcome-benchmarks/1", "ors", "intervention", 5, "recovered",
                          None))
        service, groups = b["groups"][0], b["groups"][1:]
        self.assertEqual(list(service), ["group", "service", "protected", *self.FIGURES])
        self.assertEqual((service["group"], service["service"], service["protected"]),
                         ("service", True, False))
        self.assertGreaterEqual(service["people"], 5)
        self.assertAlmostEqual(service["severity_adjusted_effect_size"], service["effect_size"])
        self.assertEqual([g["group"] for g in groups], sorted(g["group"] for g in groups))
        self.assertTrue(groups)
        protected = [g for g in groups if g["protected"]]
        # A lone protected group would be the service less the others: never exactly one.
        self.assertNotEqual(len(protected), 1)
        for g in protected:
            self.assertEqual([g[f] for f in self.FIGURES], [None] * len(self.FIGURES), g["group"])
        for g in groups:
            if not g["protected"]:
                self.assertGreaterEqual(g["people"], 5)
        self.assertNotIn("K000", p.stdout)  # aggregates only

        # The table for people: a row per group, a protected one with its name and nothing else.
        p = self.benchmarks("--by", "intervention")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        lines = p.stdout.splitlines()
        self.assertIn("benchmarks by intervention, k 5", lines[0])
        header = next(line for line in lines if line.startswith("group"))
        for column in ("people", "series", "SAES", "ES", "target", "improved", "worsened",
                       "dropout"):
            self.assertIn(column, header.split())
        rows = {line.split()[0]: line for line in lines[lines.index(header) + 1:]
                if line.split() and line.split()[0] in {g["group"] for g in b["groups"]}}
        self.assertEqual(set(rows), {g["group"] for g in b["groups"]})
        self.assertEqual(rows["service"].split()[1:3],
                         [str(service["people"]), str(service["series"])])
        for g in groups:
            self.assertEqual("protected (fewer than k)" in rows[g["group"]], g["protected"])

        # k above the service's people: every row protected, the adjustment withheld.
        p = self.benchmarks("--by", "region", "--k", "100000", "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        b = json.loads(p.stdout)
        self.assertEqual((b["by"], b["k"], b["adjustment"], b["unlinked_series"]),
                         ("region", 100000, None, None))
        self.assertTrue(all(g["protected"] and g["people"] is None for g in b["groups"]))
        p = self.benchmarks("--by", "service", "--k", "100000")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertRegex(p.stdout, r"\nservice +protected \(fewer than k\)\n")

    def test_benchmarks_with_curves_and_refusals(self):
        p = self.benchmarks("--by", "service", "--curves", self.fitted["id"], "--json")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        b = json.loads(p.stdout)
        self.assertEqual((b["target"], b["curves"]), ("etr", self.fitted["sha256"]))
        self.assertEqual([g["group"] for g in b["groups"]], ["service"])
        p = self.benchmarks("--by", "service", "--curves", self.fitted["id"])
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn(self.fitted["sha256"], p.stdout)
        self.assertRefused(EXIT_NOINPUT, self.benchmarks("--curves", "0" * 32), "no model with this id")
        provider = self.write_file("benchmarks-provider.json", json.dumps(dict(
            REGISTER_CONTEXT, organisation={"kind": "privat_utforare", "id": "0180"})))
        self.assertRefused(EXIT_DENIED, self.engine_run(
            "outcomes", "benchmarks", provider, "--instrument", "ors"), "private-provider")
        # Usage errors name the option, never the value.
        for option, value in (("--by", "198001022386"), ("--k", "1"),
                              ("--instrument", "198001022386")):
            args = [] if option == "--instrument" else ["--instrument", "ors"]
            p = self.engine_run("outcomes", "benchmarks", self.analyst, *args, option, value)
            self.assertRefused(EXIT_USAGE, p, option)
            self.assertNotIn("198001022386", p.stderr)
        self.assertUsageError("outcomes", "benchmarks", "--store", self.store, "--context",
                              self.analyst, "--audit-key-file", self.audit_key)


# ---- varsam insight ---------------------------------------------------------------------

class InsightTest(CliTestCase):
    """`varsam insight` (docs/cli.md; docs/insights.md) on a register of `varsam synth --register`
    cases, filled as the outcomes tests fill theirs; expected counts are computed here from the
    case lines the register took."""

    # Episodes of insatser by intervention and outcome: small cells, zeros and margins.
    QUERY = {"measure": {"kind": "episodes"}, "dimensions": ["intervention", "outcome"],
             "filters": {"case_kind": ["insats"]}, "margins": True}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.store = os.path.join(d, "store")
        cases = os.path.join(d, "cases.jsonl")
        p = run("synth", "--clients", "400", "--seed", "5", "--register", cases)
        assert p.returncode == EXIT_OK, p.stderr
        cls.analyst = cls.write_file("analyst.json", json.dumps(REGISTER_CONTEXT))
        cls.audit_key = cls.write_file("audit.hex", "c3" * 32 + "\n")
        key = cls.write_file("key.hex", "5a" * 32 + "\n")
        p = run("register", "submit", "--store", cls.store, "--context", cls.analyst, "--in",
                cases, "--key-file", key, "--audit-key-file", cls.audit_key, "--key-epoch", "1",
                "--json")
        assert p.returncode == EXIT_DENIED, p.stderr  # the reports that led nowhere are refused
        refused = {r["line"] for r in json.loads(p.stdout)["rejected"]}
        with open(cases, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
        # The register's episodes, each with its case's kind.
        cls.episodes = [dict(e, case_kind=line["case"]["kind"])
                        for number, line in enumerate(lines, start=1) if number not in refused
                        for e in line["episodes"]]
        assert cls.episodes
        cls.query = cls.write_file("query.json", json.dumps(cls.QUERY))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def write_file(cls, name: str, text: str) -> str:
        path = os.path.join(cls.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    @classmethod
    def insight(cls, *extra: str, context: str | None = None) -> subprocess.CompletedProcess:
        return run("insight", "--store", cls.store, "--context", context or cls.analyst,
                   "--audit-key-file", cls.audit_key, *extra)

    def context_of(self, name: str, **fields) -> str:
        return self.write_file(name, json.dumps(dict(REGISTER_CONTEXT, **fields)))

    def cell_episodes(self, dimensions: list[str], levels: list,
                      filters: dict | None = None) -> list[dict]:
        """The register's episodes that `filters` keep in the cell at `levels` (None: a
        margin)."""
        return [e for e in self.episodes
                if all(e[d] in v for d, v in (filters or {}).items())
                and all(want is None or e[d] == want for d, want in zip(dimensions, levels))]

    def assertRefused(self, code: int, p: subprocess.CompletedProcess, needle: str) -> None:
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(needle, p.stderr)

    def test_grouped_in_the_store_the_table_is_the_same(self):
        # --group-in-store groups in the register's database (docs/insights.md, "Aggregation
        # in the store"): the same cells, statuses and values as the library's grouping.
        by_library = self.insight("--query", self.query)
        self.assertEqual(by_library.returncode, EXIT_OK, by_library.stderr)
        in_store = self.insight("--group-in-store", "--query", self.query)
        self.assertEqual(in_store.returncode, EXIT_OK, in_store.stderr)
        self.assertEqual(json.loads(in_store.stdout), json.loads(by_library.stdout))
        self.assertIn("published", in_store.stdout)

    def test_json_is_the_registers_counts_protected(self):
        p = self.insight("--query", self.query)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        table = json.loads(p.stdout)
        self.assertEqual(list(table), ["format", "query", "methods", "dimensions", "cells"])
        self.assertEqual((table["format"], table["dimensions"]),
                         ("varsam-insight/1", ["intervention", "outcome"]))
        self.assertEqual(table["methods"][0], "threshold 5 people")
        filters = self.QUERY["filters"]
        kept = self.cell_episodes([], [], filters)
        interventions = {e["intervention"] for e in kept}
        outcomes = {e["outcome"] for e in kept}
        self.assertEqual(len(table["cells"]), (len(interventions) + 1) * (len(outcomes) + 1))
        statuses = collections.Counter(cell["status"] for cell in table["cells"])
        self.assertEqual(set(statuses), {"published", "protected", "zero"})
        for cell in table["cells"]:
            inside = self.cell_episodes(table["dimensions"], cell["levels"], filters)
            people = len({e["personnummer"] for e in inside})
            if cell["status"] == "published":
                # No noise asked: the register's count, of at least 5 people.
                self.assertEqual(cell["value"], len(inside), cell)
                self.assertGreaterEqual(people, 5, cell)
            elif cell["status"] == "protected":
                self.assertIsNone(cell["value"])
            else:
                self.assertEqual((cell["status"], cell["value"], len(inside)), ("zero", 0, 0))
            if 0 < people < 5:
                self.assertEqual(cell["status"], "protected", cell)
        # Secondary suppression: more cells protected than those of fewer than 5 people.
        small = sum(1 for cell in table["cells"] if 0 < len({e["personnummer"] for e in (
            self.cell_episodes(table["dimensions"], cell["levels"], filters))}) < 5)
        self.assertGreater(statuses["protected"], small)
        self.assertNotIn("K000", p.stdout)  # aggregates only
        # Inline JSON gives the same table (the same query again is not a new release's risk).
        p = self.insight("--query", json.dumps(self.QUERY))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(json.loads(p.stdout), table)

        # People: a published count is the number of distinct people, at least 5.
        p = self.insight("--query", '{"measure": {"kind": "people"}, "dimensions": ["sex"]}')
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        for cell in json.loads(p.stdout)["cells"]:
            people = {e["personnummer"] for e in self.cell_episodes(["sex"], cell["levels"])}
            self.assertEqual(cell["value"], len(people))
            self.assertGreaterEqual(cell["value"], 5)

    def test_csv_html_and_out(self):
        p = self.insight("--query", self.query)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        table = json.loads(p.stdout)
        out = os.path.join(self.tmp.name, "table.csv")
        p = self.insight("--query", self.query, "--format", "csv", "--out", out)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertRegex(p.stderr, r"^insight [0-9a-f]{32} written to --out \(\d+ bytes\)\n$")
        with open(out, "rb") as f:
            data = f.read()
        self.assertTrue(data.endswith(b"\r\n"))  # RFC 4180 line ends
        rows = list(csv.reader(data.decode("utf-8").splitlines()))
        self.assertEqual(rows[0], ["intervention", "outcome", "value"])
        self.assertEqual(len(rows) - 1, len(table["cells"]))
        for row, cell in zip(rows[1:], table["cells"]):
            self.assertEqual(row[:2], [level if level is not None else "Totalt"
                                       for level in cell["levels"]])
            marker = {"protected": "..", "zero": "\u2013"}.get(cell["status"])
            self.assertEqual(row[2], marker or str(cell["value"]), row)
        p = self.insight("--query", self.query, "--format", "csv")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(p.stdout, data.decode("utf-8").replace("\r\n", "\n"))

        page = os.path.join(self.tmp.name, "table.html")
        p = self.insight("--query", self.query, "--format", "html", "--out", page)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        with open(page, encoding="utf-8") as f:
            html = f.read()
        self.assertTrue(html.lstrip().lower().startswith("<!doctype html"))
        self.assertIn("<svg", html)
        self.assertNotIn("<script", html.lower())
        self.assertNotIn("K000", html)

    def test_exit_codes(self):
        # 64: a bad --format or no --query, named, nothing written.
        p = self.insight("--query", self.query, "--format", "xml")
        self.assertRefused(EXIT_USAGE, p, "--format")
        # --json is --format json; with another format it is a contradiction, not ignored.
        p = self.insight("--query", self.query, "--json", "--format", "csv")
        self.assertRefused(EXIT_USAGE, p, "--json and --format csv")
        self.assertUsageError("insight", "--store", self.store, "--context", self.analyst,
                              "--audit-key-file", self.audit_key)
        # 65: a bad query names the field, never the value.
        for query, field in (
                ('{"measure": {"kind": "mean", "of": "198001022386"}}', "query.measure.of"),
                ('{"measure": {"kind": "people"}, "filters": {"region": ["198001022386"]}}',
                 "query.filters.region[0]"),
                ('{"measure": {"kind": "people"}, "dimensions": ["sex", "sex"]}',
                 "query.dimensions[1]"),
                ('{"measure": {"kind": "people"}, "protection": {"dp": {"epsilon": 0}}}',
                 "query.protection.dp.epsilon")):
            p = self.insight("--query", query)
            self.assertRefused(EXIT_DATAERR, p, field)
            self.assertNotIn("198001022386", p.stderr)
        # 66: a query file that is not there.
        self.assertRefused(EXIT_NOINPUT, self.insight(
            "--query", os.path.join(self.tmp.name, "missing.json")), "--query")
        # 77: the policy refuses a private provider and an officer handling a case.
        provider = self.context_of("insight-provider.json",
                                   organisation={"kind": "privat_utforare", "id": "0180"})
        self.assertRefused(EXIT_DENIED, self.insight("--query", self.query, context=provider),
                           "private-provider")
        officer = self.write_file("insight-officer.json", json.dumps(MODEL_OFFICER))
        p = self.insight("--query", self.query, context=officer)
        self.assertEqual(p.returncode, EXIT_DENIED, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_differencing_is_refused_with_65(self):
        # A group of the register and the same less 1 to 4 people, found from the case lines:
        # one value of a dimension, then the same with all but one value of another.
        values = {d: sorted({e[d] for e in self.episodes})
                  for d in ("case_kind", "intervention", "outcome", "sex")}

        def population(filters: dict) -> set:
            return {e["personnummer"] for e in self.episodes
                    if all(e[d] in v for d, v in filters.items())}

        found = None
        for a, b in ((a, b) for a in values for b in values if a != b):
            for av in values[a]:
                base = population({a: [av]})
                for bv in values[b]:
                    rest = [v for v in values[b] if v != bv]
                    if len(base) >= 10 and rest and 1 <= len(base - population(
                            {a: [av], b: rest})) < 5:
                        found = ({a: [av]}, {a: [av], b: rest})
                        break
                if found:
                    break
            if found:
                break
        self.assertIsNotNone(found)
        wide, narrow = found
        # Another board's release history: nothing of the other tests' releases.
        board = self.context_of("insight-board.json",
                                organisation={"kind": "socialnamnd", "id": "0183"})
        wide_query = json.dumps({"measure": {"kind": "people"}, "filters": wide})
        narrow_query = json.dumps({"measure": {"kind": "people"}, "filters": narrow})
        p = self.insight("--query", wide_query, context=board)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(json.loads(p.stdout)["cells"][0]["value"], len(population(wide)))
        p = self.insight("--query", narrow_query, context=board)
        self.assertRefused(EXIT_DATAERR, p, "differencing")
        # Alone, in a board that released nothing this month, the narrow table is released.
        fresh = self.context_of("insight-fresh.json",
                                organisation={"kind": "socialnamnd", "id": "0184"})
        p = self.insight("--query", narrow_query, context=fresh)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(json.loads(p.stdout)["cells"][0]["value"], len(population(narrow)))


if __name__ == "__main__":
    unittest.main()
