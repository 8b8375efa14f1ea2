#!/usr/bin/env python3
"""Peer comparison for scrubbing free text: varsam's Scrubber vs. the same patterns in Python's re.

docs/performance.md gives performance figures as ratios against a reference. The reference here is
what a host would otherwise write: Python's standard `re` with the patterns and rules of
include/varsam/scrub.h, on the same matching view (varsam/core.h): every dash read as "-",
every space separator as " ", invisible format characters as nothing, digits of any script and
fullwidth forms as ASCII (a str.translate table from the reading that
scripts/render-matching-table.py defines, used only for texts that hold such a character, with
the offsets mapped back). Then identity numbers (the written
forms of ident::Scan with dots, slashes and pairs, then check digit, date and century in
Python), Swedish phone numbers (7..9 digits after the trunk 0 or +46, dots only all the way,
no dates; a bare ten-digit run only when it starts 07), e-mail addresses (also "(at)",
"snabel-a", " punkt " …), postal codes ("NNN NN", or "NNNNN" before a capitalised word),
street addresses (a street suffix and a number), and names (the client's own,
case-insensitive, one compiled pattern per client; a host list of common first names with a
capital initial, one pattern for all) — with the same overlap rule (longest, then kind
priority, then the earlier start) and the same placeholders.

The notes are the synthetic ones of `varsam synth --clients N --seed S` (notes.csv, names from
clients.csv); bench_scrub makes the same notes in-process (2,000 clients, seed 1, the
defaults here) and reports its BM_Scrub throughput, which this script runs and reads. Both
figures are one thread; Python's is the best of --repeat runs.

Usage:
  scripts/bench-scrub-vs-python.py [--build build/asr] [--clients 2000] [--seed 1] [--repeat 3]

Standard library only.
"""

import argparse
import csv
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The host list of bench/bench_scrub.cc: synth::FirstNames() (src/synth/names.cc).
HOST_NAMES = (
    "Anna Eva Maria Karin Sara Kristina Lena Emma Kerstin Marie Malin Ingrid Jenny Hanna Linnéa "
    "Sofia Elin Ida Johanna Elsa Maja Alice Julia Ebba Wilma Agnes Frida Astrid Ella Klara Åsa "
    "Märta Lars Mikael Anders Johan Erik Per Karl Peter Jan Thomas Daniel Fredrik Hans Andreas "
    "Stefan Oscar William Liam Lucas Hugo Elias Alexander Noah Adam Nils Axel Olle Viktor Björn "
    "Göran Sven Måns").split()

# Kind priority (scrub.h): earlier wins a tie in length.
PNR, SAM, EMAIL, PHONE, ADDRESS, POSTAL, NAME = range(7)
PLACEHOLDER = ["[PERSONNUMMER]", "[SAMORDNINGSNUMMER]", "[EPOST]", "[TELEFON]", "[ADRESS]",
               "[POSTNUMMER]", "[NAMN]"]

LETTER = r"[^\W\d_]"
UPPER = r"[A-ZÀ-ÖØ-Þ]"

IDENT = re.compile(
    r"(?<![0-9])(?:(?P<d12>[0-9]{8}|[0-9]{4} {1,2}[0-9]{2} {1,2}[0-9]{2})"
    r"(?P<s12> {0,2}[-./] {0,2}| {1,2})?(?P<n12>[0-9]{4}|[0-9]{2} {1,2}[0-9]{2})"
    r"|(?P<d10>[0-9]{6}|[0-9]{2} {1,2}[0-9]{2} {1,2}[0-9]{2})"
    r"(?P<s10> {0,2}[-+./] {0,2}| {1,2})?(?P<n10>[0-9]{4}|[0-9]{2} {1,2}[0-9]{2}))(?![0-9])")
PHONE_RE = re.compile(
    r"(?<![0-9A-Za-z+-])(?:(?:\+46|0046|\(\+46\))[ .-]?(?:\(0\) ?)?[1-9][0-9]*(?:[ .-][0-9]+)*"
    r"|(?:0[1-9][0-9]*|\(0[1-9][0-9]{0,2}\))(?:(?: ?[-/.] ?| )[0-9]+)?(?:[ .-][0-9]+)*)")
_OPEN, _CLOSE = r" {0,2}[(\[{<] ?", r" ?[)\]}>] {0,2}"
_WORD_DOT = (r"(?: {1,3}\. {1,3}|" + _OPEN + r"(?i:dot|punkt|\.)" + _CLOSE +
             r"| {1,3}(?i:dot|punkt) {1,3})")
_WRITTEN_AT = (r"(?: {1,3}@ {1,3}|" + _OPEN + r"(?i:at|a|@|snabel[- ]?a)" + _CLOSE +
               r"| {1,3}(?i:at|snabel[- ]?a) {1,3})")
_LABEL = r"[^\W_]+(?:-[^\W_]+)*"
_WORD = r"[\w.%+-]+"
_TLD = r"(?:" + LETTER + r"){2,}"
EMAIL_RE = re.compile(_WORD + "@" + _LABEL + r"(?:\." + _LABEL + r")*\." + _TLD)
# As the Scrubber does: the written-out pattern only for texts that hold a written-out "at",
# or a written-out dot beside a plain "@".
EMAIL_WRITTEN_RE = re.compile(_WORD + "(?:" + _WORD_DOT + _WORD + ")*(?:@|" + _WRITTEN_AT + ")" +
                              _LABEL + r"(?:(?:\.|" + _WORD_DOT + ")" + _LABEL + r")*(?:\.|" +
                              _WORD_DOT + ")" + _TLD)
EMAIL_TRIGGER_RE = re.compile(_WRITTEN_AT + "|@" + _LABEL + r"(?:\." + _LABEL + ")*" + _WORD_DOT +
                              "|" + _WORD_DOT + _WORD + "@")
POSTAL_RE = re.compile(
    r"(?<![0-9A-Za-z+/.,])(?<![0-9][ -])[1-9][0-9]{2}(?: [0-9]{2}(?![0-9A-Za-z/])(?![ -][0-9])"
    r"(?![,.][0-9])|[0-9]{2}(?= " + UPPER + r"))")
ADDRESS_RE = re.compile(
    r"(?<![0-9])(?:" + LETTER + r"+(?i:gatan|vägen|gränd|backen|torget|stigen|allén|allen|gången|"
    r"slingan|stråket|kajen|promenaden)|" + UPPER + LETTER + r"*(?:plan|leden|torg|väg|gata|gränd|"
    r"allé)) ?[0-9]{1,3}(?:-[0-9]{1,3})?(?:[A-Za-z](?!\w)| [A-Z](?!\w))?(?![0-9])")


def _view_table():
    """The matching view as a str.translate table: the reading of scripts/render-matching-table.py
    (the one definition of the view, also behind src/core/matching_table.h)."""
    spec = importlib.util.spec_from_file_location(
        "render_matching_table", os.path.join(ROOT, "scripts", "render-matching-table.py"))
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    table = {}
    for cp in range(0x80, 0x110000):
        reads_as = render.reads_as(cp)
        if reads_as is not None:
            table[cp] = "" if reads_as == render.NOTHING else chr(reads_as)
    return table


VIEW_TABLE = _view_table()


def _ranges(code_points):
    ranges = []
    for c in sorted(code_points):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "")
                   for a, b in ranges)


NEEDS_VIEW = re.compile("[" + _ranges(VIEW_TABLE) + "]")


def matching_view(text):
    """(view, starts, ends): the view and, per view character, its original [start, end)."""
    if text.isascii() or not NEEDS_VIEW.search(text):
        return text, None, None
    view, starts, ends = [], [], []
    for i, ch in enumerate(text):
        r = VIEW_TABLE.get(ord(ch), ch)
        if r:
            view.append(r)
            starts.append(i)
            ends.append(i + 1)
    return "".join(view), starts, ends


def luhn_ok(ten):
    total = 0
    for i, ch in enumerate(ten[:9]):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(ten[9])


def ident_spans(text, today_year=2025):
    for m in IDENT.finditer(text):
        if m.group("d12"):
            sep = m.group("s12") or ""
            digits = re.sub("[^0-9]", "", m.group("d12") + m.group("n12"))
            ten = digits[2:]
            year = int(digits[:4])
            if year > today_year or year <= today_year - 200:
                continue
        else:
            sep = m.group("s10") or ""
            ten = re.sub("[^0-9]", "", m.group("d10") + m.group("n10"))
            yy = int(ten[:2])
            # century: '+' → at least 100 this year; any other separator → at most 99
            year = 2000 + yy if 2000 + yy <= today_year else 1900 + yy
            if "+" in sep:
                year -= 100
        month, day = int(ten[2:4]), int(ten[4:6])
        kind = PNR
        if day > 60:
            day -= 60
            kind = SAM
        if not (1 <= month <= 12 and 1 <= day <= 31) or not luhn_ok(ten):
            continue
        yield m.start(), m.end(), kind


PAYMENT_WORD = re.compile(r"(?<![A-Za-z])(?i:ocr|bankgiro|bg|plusgiro|pg|konto|kontonr|kontonummer|"
                          r"referens|ref|faktura|fakturanr|fakturanummer|dnr|diarienummer|"
                          r"clearingnummer)[ :.]*$")


GROUPS = re.compile(r"[0-9]+")


def phone_end(text, start, end):
    international = text[start] == "+" or text.startswith("00", start) or \
        text.startswith("(+", start)
    span = text[start:end]
    while True:
        digits = span.replace("(0)", "") if international else span
        groups = [(g.start(), g.end()) for g in GROUPS.finditer(digits)]
        n = sum(e - s for s, e in groups)
        nsn = n - (4 if digits.startswith("00") else 2) if international else n - 1
        if nsn > 9:
            cut = max(span.rfind(" "), span.rfind("-"), span.rfind("."))
            if cut <= 0:
                return None
            span = span[:cut].rstrip(" -.")
            continue
        if nsn < 7:
            return None
        if not international and span.isdigit():
            if n == 10 and (span[1] != "7" or span[2] not in "02369"):
                return None
            if PAYMENT_WORD.search(text, 0, start):
                return None
        seps = [digits[groups[i][1]:groups[i + 1][0]] for i in range(len(groups) - 1)]
        sub = seps[2 if international else 1:]
        if any("." in x for x in sub) and any(x != "." for x in sub):
            return None
        if not international and [e - s for s, e in groups] == [2, 2, 4] and \
                seps[0] == seps[1] and seps[0] in (".", "-", "/") and \
                1 <= int(digits[groups[1][0]:groups[1][1]]) <= 12:
            return None
        end = start + len(span)
        if end < len(text) and text[end].isdigit():
            return None
        return end


def name_pattern(words, ignore_case):
    alternatives = "|".join(sorted({re.escape(w) for w in words}, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")s?(?!\w)",
                      re.IGNORECASE if ignore_case else 0)


HOST_RE = name_pattern(HOST_NAMES + [n.upper() for n in HOST_NAMES], ignore_case=False)


def python_scrub(original, record_re):
    text, starts, ends = matching_view(original)
    cand = [(s, e, k) for s, e, k in ident_spans(text)]
    for m in PHONE_RE.finditer(text):
        e = phone_end(text, m.start(), m.end())
        if e:
            cand.append((m.start(), e, PHONE))
    email_re = EMAIL_WRITTEN_RE if EMAIL_TRIGGER_RE.search(text) else EMAIL_RE
    cand += [(m.start(), m.end(), EMAIL) for m in email_re.finditer(text)]
    cand += [(m.start(), m.end(), POSTAL) for m in POSTAL_RE.finditer(text)]
    cand += [(m.start(), m.end(), ADDRESS) for m in ADDRESS_RE.finditer(text)]
    names = sorted([(m.start(), m.end()) for m in record_re.finditer(text)] +
                   [(m.start(), m.end()) for m in HOST_RE.finditer(text)])
    merged = []
    for s, e in names:
        if merged and s == merged[-1][1] + 1 and text[merged[-1][1]] in " -":
            merged[-1][1] = e
        elif not merged or s >= merged[-1][1]:
            merged.append([s, e])
    cand += [(s, e, NAME) for s, e in merged]
    cand.sort(key=lambda c: (c[0] - c[1], c[2], c[0]))
    taken, kept = [], []
    for s, e, k in cand:
        if all(e <= ts or s >= te for ts, te in taken):
            taken.append((s, e))
            kept.append((s, e, k))
    kept.sort()
    if starts is not None:
        kept = [(starts[s], ends[e - 1], k) for s, e, k in kept]
    out, pos = [], 0
    for s, e, k in kept:
        out.append(original[pos:s])
        out.append(PLACEHOLDER[k])
        pos = e
    out.append(original[pos:])
    return "".join(out), len(kept)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "asr"))
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    cli = os.path.join(args.build, "bin", "varsam")
    bench = os.path.join(args.build, "bench", "bench_scrub")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([cli, "synth", "--clients", str(args.clients), "--seed", str(args.seed),
                        "--out", tmp], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "clients.csv"), newline="", encoding="utf-8") as f:
            clients = {r["client_id"]: (r["first_name"], r["surname"]) for r in csv.DictReader(f)}
        with open(os.path.join(tmp, "notes.csv"), newline="", encoding="utf-8") as f:
            notes = [(r["client_id"], r["text"]) for r in csv.DictReader(f)]
    size = sum(len(t.encode("utf-8")) for _, t in notes)

    best = math.inf
    spans = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        spans = 0
        current, record_re = None, None
        for client, text in notes:
            if client != current:  # one compiled pattern per client, as a host would
                current = client
                record_re = name_pattern(list(clients[client]), ignore_case=True)
            _, n = python_scrub(text, record_re)
            spans += n
        best = min(best, time.perf_counter() - start)
    python_rate = size / best

    varsam_rate, varsam_spans = None, None
    if args.clients == 2000 and args.seed == 1 and os.path.exists(bench):
        result = subprocess.run([bench, "--benchmark_filter=BM_Scrub(Find)?$",
                                 "--benchmark_format=json", "--benchmark_min_time=1"],
                                check=True, capture_output=True, text=True)
        for b in json.loads(result.stdout)["benchmarks"]:
            if b["name"] == "BM_Scrub":
                varsam_rate = b["bytes_per_second"]
            elif b["name"] == "BM_ScrubFind":
                varsam_spans = round(b["spans_per_note"] * b["notes"])
    print(f"notes: {len(notes):,} ({size / 1e6:.2f} MB, {args.clients:,} clients, "
          f"seed {args.seed}); spans found: Python {spans:,}, varsam "
          f"{'-' if varsam_spans is None else f'{varsam_spans:,}'}")
    print("| input | Python re | varsam Scrubber | ratio |")
    print("|---|---|---|---|")
    if varsam_rate is None:
        print(f"| synthetic notes | {python_rate / 1e6:.2f} MB/s | (bench_scrub not run: needs "
              f"--clients 2000 --seed 1 and {bench}) | |")
    else:
        print(f"| synthetic notes | {python_rate / 1e6:.2f} MB/s | {varsam_rate / 1e6:.1f} MB/s | "
              f"**{varsam_rate / python_rate:.0f}×** |")


if __name__ == "__main__":
    sys.exit(main())
