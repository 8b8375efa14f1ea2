#!/usr/bin/env python3
"""Peer comparison for keyed pseudonyms: varsam vs. Python's hmac + hashlib + base64.

docs/performance.md gives performance figures as ratios against a reference. The reference here is
what a host would write in Python: for each identifier, HMAC-SHA-256 under the epoch key of
b"varsam-pseudonym/1" NUL kind NUL value, base64url without padding, "p1_" in front. Three
Python ways are timed (CPU time, as Google Benchmark counts it) and the fastest is the
reference:
  - hmac.new(key, msg, hashlib.sha256).digest()       the textbook way
  - hmac.digest(key, msg, "sha256")                   the one-shot C fast path (3.7+)
  - copy() of an hmac object keyed once with the prefix (the same precomputation varsam does)

Inputs, the same on both sides: the 41,493 official test personnummer of
data/skatteverket-testpersonnummer.txt (twelve digits), and the client refs "K-000000"..
"K-041492". Key: bytes 0..31 (epoch 1). varsam's figures come from bench/bench_pseudonym
(BM_PseudonymPersonnummer/0, BM_PseudonymClientRef/0: midstate engine, caller buffer;
BM_PseudonymPersonnummerString: returning std::string), run here with JSON output. varsam
validates and normalises every personnummer per call (Luhn, date); the Python side does not, in
Python's favour.

Identical outputs are checked twice: both sides must give the known answers below (the same
vectors as tests/pseudonym_test.cc), and the first 48 bits of SHA-256 over all pseudonyms of
the inputs (BM_PseudonymChecksum's counters) must equal Python's.

Usage:
  scripts/bench-pseudonym-vs-python.py [path/to/bench_pseudonym] [--repeat N] [--min-time S]

Standard library only. Exit status 1 when the outputs differ.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CANDIDATES = [os.path.join(ROOT, "build", d, "bench", "bench_pseudonym")
              for d in ("release", "apr", "bench")]
DOMAIN = b"varsam-pseudonym/1\0"
KEY = bytes(range(32))

# (kind, value, pseudonym under KEY) — tests/pseudonym_test.cc kKnown, epoch 1.
KNOWN = [
    ("personnummer", "198501012382", "p1_ZwC28aGh_IzNaxHKcKgiTkoFBJ5U1lbqCv2QHivv4f8"),
    ("personnummer", "201001012390", "p1_DyzqBE6JRzqMk3XD5aq2moPn9x_mt02qbExkSdLzMRw"),
    ("client_ref", "K-1001", "p1_uJWlZPbkGkz5z7HIYbhtxIh9EKJSacTF148uzj7gA6Y"),
    ("case_ref", "K-1001", "p1_S9YC_bcJhDWHhg9HPjyY3ibAWML7LD1p3OQCHLqeppM"),
    ("client_ref", "\u00c5sa-17", "p1_i8qtzVXoCEGqb-_3DI5ZvYWk_ckJwj3Lvfqe8QtwfS8"),
]


def encode(mac):
    return "p1_" + base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def way_new(kind, values):
    prefix = DOMAIN + kind.encode() + b"\0"
    sha256 = hashlib.sha256
    return [encode(hmac.new(KEY, prefix + v, sha256).digest()) for v in values]


def way_digest(kind, values):
    prefix = DOMAIN + kind.encode() + b"\0"
    return [encode(hmac.digest(KEY, prefix + v, "sha256")) for v in values]


def way_copy(kind, values):
    base = hmac.new(KEY, DOMAIN + kind.encode() + b"\0", hashlib.sha256)
    out = []
    for v in values:
        h = base.copy()
        h.update(v)
        out.append(encode(h.digest()))
    return out


WAYS = {"hmac.new": way_new, "hmac.digest": way_digest, "hmac copy": way_copy}


def best_rate(way, kind, values, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        way(kind, values)
        best = min(best, time.process_time() - start)
    return len(values) / best


def run_bench(binary, min_time):
    pattern = ("BM_PseudonymPersonnummer/0$|BM_PseudonymPersonnummerString|"
               "BM_PseudonymClientRef/0$|BM_PseudonymChecksum")
    out = subprocess.run([binary, f"--benchmark_filter={pattern}", "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}"],
                         check=True, capture_output=True, text=True).stdout
    return {b["name"]: b for b in json.loads(out)["benchmarks"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bench", nargs="?", help="path to bench_pseudonym")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=1.0)
    args = parser.parse_args()
    binary = args.bench or next((c for c in CANDIDATES if os.path.exists(c)), None)
    if binary is None:
        sys.exit("bench_pseudonym not found; build with -DVARSAM_BUILD_BENCH=ON and pass its path")

    with open(os.path.join(ROOT, "data", "skatteverket-testpersonnummer.txt")) as f:
        numbers = [line.strip() for line in f if line.strip()]
    refs = ["K-%06d" % i for i in range(len(numbers))]
    inputs = {"personnummer": [n.encode() for n in numbers],
              "client_ref": [r.encode() for r in refs]}

    # 1. The known answers, by every Python way.
    failures = 0
    for kind, value, expected in KNOWN:
        for name, way in WAYS.items():
            got = way(kind, [value.encode("utf-8")])[0]
            if got != expected:
                print(f"MISMATCH {name} {kind}: {got} != {expected}")
                failures += 1
    # 2. The checksum over all inputs.
    all_text = "".join(way_digest("personnummer", inputs["personnummer"]) +
                       way_digest("client_ref", inputs["client_ref"])).encode("ascii")
    digest = hashlib.sha256(all_text).digest()
    python_checksum = [digest[2 * i] * 256 + digest[2 * i + 1] for i in range(3)]

    results = run_bench(binary, args.min_time)
    check = results.get("BM_PseudonymChecksum/iterations:1", {})
    varsam_checksum = [int(check.get(f"checksum{i}", -1)) for i in range(3)]
    if "error_occurred" in check or any(b.get("error_occurred") for b in results.values()):
        print("MISMATCH: varsam's bench reported an error (its known answers failed?)")
        failures += 1
    if varsam_checksum != python_checksum:
        print(f"MISMATCH checksum: varsam {varsam_checksum} != python {python_checksum}")
        failures += 1
    print(f"identical outputs: {'yes' if failures == 0 else 'NO'} "
          f"({len(KNOWN)} known answers; checksum over {2 * len(numbers):,} pseudonyms)")

    print(f"\n{'inputs':<14}{'way':<38}{'pseudonyms/s':>14}{'vs Python':>11}")
    for kind, bench_names in (("personnummer", ["BM_PseudonymPersonnummer/0",
                                                "BM_PseudonymPersonnummerString"]),
                              ("client_ref", ["BM_PseudonymClientRef/0"])):
        rates = {name: best_rate(way, kind, inputs[kind], args.repeat)
                 for name, way in WAYS.items()}
        reference = max(rates.values())
        for name, rate in rates.items():
            print(f"{kind:<14}{'Python ' + name:<38}{rate:>14,.0f}{rate / reference:>10.2f}x")
        for bench in bench_names:
            rate = results[bench]["items_per_second"]
            print(f"{kind:<14}{'varsam ' + bench:<38}{rate:>14,.0f}{rate / reference:>10.2f}x")
    print("\n(goal: >= 1,000,000/s on one core and >= 3x the fastest Python way)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
