#!/usr/bin/env python3
"""Peer comparison for group insights: varsam's protected table vs. pandas' unprotected one.

docs/performance.md gives performance figures as ratios against a reference, both sides in one
run on the same data. Here the reference is pandas (Debian's python3-pandas) grouping a data
frame already in memory; varsam groups register columns already in memory
(insights::Columns) and then protects the table.

The data: `bench_insights_csv --generate N` writes N synthetic register episodes (default ten
million; 1 or 2 episodes a person, skewed age bands, counties and interventions) as
  person,age_band,sex,region,intervention,record_key
Both sides read that file once (not timed in the comparison) and keep it in memory: pandas with
the three grouping columns as categoricals, varsam dictionary-coded.

Timed in every round, wall clock, one thread on both sides:
  pandas   the table age_band x region x intervention with margins: size() of a groupby on each
           of the 2^3 subsets of the three columns (observed levels only), the counts
           before any protection; and, as pandas at its best for episode counts, one groupby
           over the three columns with the margins summed from its small result.
  varsam   the same table through insights::Aggregate (episodes, distinct people per cell for
           the threshold, the record keys' sums) and insights::Protect (threshold 5, secondary
           suppression proven by linear programming, cell key D=2 V=1 js=1): the protected
           table. Aggregate and Protect alone are reported beside.
Agreement, checked: every cell's unprotected count from varsam equals both pandas versions'
(exit status 1 when one differs). Rounds alternate sides; medians are reported.

Usage:
  scripts/bench-insights-vs-pandas.py [--build build/release] [--episodes 10000000]
                                      [--rounds 3] [--csv PATH]

Installs the packages of scripts/peer-packages.txt with apt-get when they are missing, then
runs under Debian's /usr/bin/python3 (whose packages they are).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import itertools
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import peer_packages  # noqa: E402  (scripts/peer_packages.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBIAN_PYTHON = "/usr/bin/python3"
DIMENSIONS = ["age_band", "region", "intervention"]


def pandas_table(frame):
    """Every cell's count, margins included, as {(age_band, region, intervention): count} with
    "*" for a margin ("" is a value: no region, no intervention); and the groupbys' seconds."""
    start = time.perf_counter()
    results = []
    for size in range(len(DIMENSIONS), -1, -1):
        for subset in itertools.combinations(DIMENSIONS, size):
            if subset:
                results.append((subset, frame.groupby(list(subset), observed=True).size()))
            else:
                results.append((subset, len(frame)))
    seconds = time.perf_counter() - start
    return cells_of(results), seconds


def cells_of(results):
    """{(age_band, region, intervention): count} from [(subset, counts)]."""
    cells = {}
    for subset, counts in results:
        if not subset:
            cells[("*", "*", "*")] = int(counts)
            continue
        for key, count in counts.items():
            key = key if isinstance(key, tuple) else (key,)
            values = dict(zip(subset, key))
            cells[tuple(values.get(d, "*") for d in DIMENSIONS)] = int(count)
    return cells


def ensure_packages():
    """Installs the missing packages of scripts/peer-packages.txt, then runs under Debian's
    interpreter if this one cannot import pandas (python3-pandas is Debian's)."""
    peer_packages.ensure_installed()
    try:
        import pandas  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) == os.path.realpath(DEBIAN_PYTHON):
            raise
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)


def pandas_table_from_base(frame):
    """The same cells from one groupby over the three columns, the margins summed from its
    (small) result: what a pandas user after episode counts alone would write. The same
    return as pandas_table."""
    start = time.perf_counter()
    base = frame.groupby(DIMENSIONS, observed=True).size()
    results = []
    for size in range(len(DIMENSIONS), -1, -1):
        for subset in itertools.combinations(DIMENSIONS, size):
            if size == len(DIMENSIONS):
                results.append((subset, base))
            elif subset:
                results.append((subset, base.groupby(level=list(subset), observed=True).sum()))
            else:
                results.append((subset, int(base.sum())))
    seconds = time.perf_counter() - start
    return cells_of(results), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--episodes", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--csv", help="the data file (default: a temporary one)")
    args = parser.parse_args()
    ensure_packages()
    import pandas  # noqa: E402

    program = os.path.join(args.build, "bench", "bench_insights_csv")
    with tempfile.TemporaryDirectory() as tmp:
        csv = args.csv or os.path.join(tmp, "episodes.csv")
        if not os.path.exists(csv):
            subprocess.run([program, "--generate", str(args.episodes), "--csv", csv], check=True)
        counts_path = os.path.join(tmp, "counts.csv")
        # Empty strings stay empty strings (no region, no intervention), not NaN.
        frame = pandas.read_csv(csv, dtype={"person": "int64", "age_band": "category",
                                            "sex": "category", "region": "category",
                                            "intervention": "category", "record_key": "uint64"},
                                keep_default_na=False)
        pandas_seconds, base_seconds, varsam_runs = [], [], []
        cells = base_cells = None
        for r in range(args.rounds):
            cells, seconds = pandas_table(frame)
            pandas_seconds.append(seconds)
            base_cells, seconds = pandas_table_from_base(frame)
            base_seconds.append(seconds)
            command = [program, "--csv", csv, "--rounds", "1"]
            if r == 0:
                command += ["--counts", counts_path]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            varsam_runs.append(json.loads(out.strip().splitlines()[-1]))
        ours = {}
        with open(counts_path) as f:
            for line in f:
                a, reg, i, count = line.rstrip("\n").split(",")
                ours[(a, reg, i)] = int(count)
    # varsam's table holds every combination of the levels (zeros too); pandas only observed.
    differ = [k for k in set(ours) | set(cells) if ours.get(k, 0) != cells.get(k, 0)]
    differ += [k for k in set(ours) | set(base_cells) if ours.get(k, 0) != base_cells.get(k, 0)]
    protected_s = statistics.median(r["protected_table_s"] for r in varsam_runs)
    aggregate_s = statistics.median(r["aggregate_s"] for r in varsam_runs)
    protect_s = statistics.median(r["protect_s"] for r in varsam_runs)
    pandas_s = statistics.median(pandas_seconds)
    base_s = statistics.median(base_seconds)
    last = varsam_runs[-1]
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "pandas": pandas.__version__,
        "episodes": last["episodes"],
        "cells": last["cells"],
        "cells_observed_by_pandas": len(cells),
        "protected_cells": last["protected"],
        "complementary_cells": last["secondary"],
        "counts_identical": not differ,
        "pandas_groupby_s": round(pandas_s, 4),
        "pandas_one_groupby_then_margins_s": round(base_s, 4),
        "varsam_aggregate_s": round(aggregate_s, 4),
        "varsam_protect_s": round(protect_s, 4),
        "varsam_protected_table_s": round(protected_s, 4),
        "speedup_protected_vs_pandas": round(pandas_s / protected_s, 2),
        "speedup_protected_vs_pandas_one_groupby": round(base_s / protected_s, 2),
        "pandas_rounds_s": [round(x, 4) for x in pandas_seconds],
        "pandas_one_groupby_rounds_s": [round(x, 4) for x in base_seconds],
        "varsam_rounds_s": [r["protected_table_s"] for r in varsam_runs],
        "rounds": args.rounds,
    }
    print(json.dumps(report, indent=2))
    if differ:
        print(f"{len(differ)} cells differ, e.g. {differ[:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
