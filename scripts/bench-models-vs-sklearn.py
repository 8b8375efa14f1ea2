#!/usr/bin/env python3
"""Peer comparison for the models' learner: varsam's L2 logistic fit vs. scikit-learn's.

docs/performance.md gives performance figures as ratios against a reference, both sides in one
run on the same data. Here the reference is scikit-learn's LogisticRegression (Debian's
python3-sklearn; solver lbfgs, l2 penalty, C = 1/lambda), which minimises the same objective
as varsam: -loglik + lambda/2 |w|^2 with the intercept not penalised (sklearn 1.2's lbfgs path
puts the intercept last in its parameter vector and applies l2_reg_strength = 1/C to the
weights only). Its newton-cholesky solver, the fastest sklearn has for many rows and few
columns, is timed as well.

The data: --rows episodes (default 1,000,000) of synthetic people with 1 to 4 episodes each,
seven one-hot features the shape of the register's (age band, sex, region, case kind,
intervention, intake-total bins, earlier episodes: 45 indicator columns), labels drawn from a
known logistic model (TRUTH below), numpy's PCG64 with a fixed seed. It is made once and
written as one CSV (label, group, then the 45 columns), which both sides read. A held-out set
of 200,000 episodes from the same model, kept in memory, measures both fits' AUC.

Timed in every round, wall clock and the process's CPU clock, one thread on both sides
(OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1, ...; the BLAS in use is printed):
  read   Python: pandas.read_csv and numpy.loadtxt (the faster counts), to a float64 X and y.
         varsam: bench/bench_models_csv reading the file into a TrainingSet.
  fit    Python: LogisticRegression(...).fit(X, y) on the matrix in memory.
         varsam: one fit on every row from the TrainingSet in memory (weighted distinct rows,
         Newton, standard errors).
  end to end = read + fit, within each process (interpreter start and imports not counted).
  cv     varsam only: models::Fit as a host calls it (5 folds, the final fit, the evaluation).
Rounds alternate sides (sklearn, then varsam); the medians are reported.

Agreement, checked: every coefficient (the intercept included) within 1e-3 of the other side's,
and the held-out AUC within 0.002. Exit status 1 when they differ. Printed as well: the largest
component of the objective's gradient at each sklearn solution (varsam stops at 1e-10 per row).
sklearn is given tol=1e-10 and max_iter=100000, but 1.2's lbfgs path does not pass SciPy's
ftol, so L-BFGS-B stops at its default relative decrease of the objective (factr 1e7, about
2.2e-9), whatever tol says.

Usage:
  scripts/bench-models-vs-sklearn.py [--build build/bench] [--rows 1000000] [--rounds 3]
                                     [--lambda 1] [--seed 20261204] [--csv PATH]

Installs the packages of scripts/peer-packages.txt with apt-get when they are missing, then
runs under Debian's /usr/bin/python3 (whose packages they are).
"""

import os

# One thread: set before numpy, scipy and sklearn start their thread pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

import peer_packages  # noqa: E402  (scripts/peer_packages.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBIAN_PYTHON = "/usr/bin/python3"

# The known model: the first level of each feature is the reference (effect 0).
COUNTIES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18",
            "19", "20", "21", "22", "23", "24", "25", "suppressed"]
INTERCEPT = -1.0
TRUTH = [
    ("age_band", ["25-34", "0-17", "18-24", "35-49", "50-64", "65+"],
     [.25, .15, .15, .2, .15, .1], [0, .3, .5, -.3, -.6, -.8]),
    ("sex", ["female", "male", "unknown"], [.52, .45, .03], [0, .4, .1]),
    ("region", COUNTIES, [8.0 if i == 0 else 1.0 + i % 4 for i in range(len(COUNTIES))],
     [0.0 if i == 0 else 0.05 * (i % 5 - 2) for i in range(len(COUNTIES))]),
    ("case_kind", ["insats", "anmalan", "forhandsbedomning", "utredning", "uppfoljning"],
     [.4, .2, .15, .15, .1], [0, .2, -.1, .3, -.4]),
    ("intervention", ["none", "stodsamtal", "familjebehandling", "kontaktperson", "boendestod",
                      "missbruk_oppenvard"], [.3, .2, .15, .15, .1, .1], [0, .6, -.5, .2, -.3, .4]),
    ("intake_total", ["lt5", "5-9", "10-14", "15-19", "ge20", "missing"],
     [.2, .2, .2, .15, .15, .1], [0, .4, .8, 1.0, 1.2, .2]),
]
EARLIER = ("earlier_episodes", ["0", "1", "2", "3+"], [0, .3, .5, .6])
EPISODES_PER_PERSON = [.55, .25, .12, .08]  # 1, 2, 3, 4 episodes


def ensure_packages():
    """Installs the missing packages of scripts/peer-packages.txt, then runs under Debian's
    interpreter if this one cannot import them."""
    peer_packages.ensure_installed()
    try:
        import numpy, pandas, sklearn  # noqa: F401,E401
    except ImportError:
        if os.path.realpath(sys.executable) == os.path.realpath(DEBIAN_PYTHON):
            raise
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)


def column_names():
    names = []
    for name, levels, _, _ in TRUTH:
        names += [f"{name}={level}" for level in levels[1:]]
    return names + [f"{EARLIER[0]}={level}" for level in EARLIER[1][1:]]


def true_coefficients():
    coefficients = [INTERCEPT]
    for _, _, _, effects in TRUTH:
        coefficients += effects[1:]
    return coefficients + EARLIER[2][1:]


def make_data(rng, rows, first_person):
    """Episodes of people with 1 to 4 episodes: one-hot X (uint8), labels, groups, true logits."""
    import numpy as np
    people = rng.choice(4, size=rows, p=EPISODES_PER_PERSON) + 1
    group = np.repeat(np.arange(rows), people)[:rows]
    starts = np.concatenate(([0], np.cumsum(people)[:-1]))
    episode = np.arange(rows) - starts[group]
    x = np.zeros((rows, len(column_names())), dtype=np.uint8)
    logit = np.full(rows, INTERCEPT)
    column = 0
    for _, levels, weights, effects in TRUTH:
        w = np.array(weights) / sum(weights)
        level = rng.choice(len(levels), size=rows, p=w)
        logit += np.array(effects)[level]
        for l in range(1, len(levels)):
            x[:, column + l - 1] = level == l
        column += len(levels) - 1
    logit += np.array(EARLIER[2])[episode]
    for l in range(1, 4):
        x[:, column + l - 1] = episode == l
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.uint8)
    return x, y, group + first_person, logit


def write_csv(path, x, y, group):
    """label,group,columns...: fixed width (group as 7 digits), built as bytes at once."""
    import numpy as np
    rows, columns = x.shape
    width = 2 + 8 + 2 * columns
    out = np.empty((rows, width), dtype=np.uint8)
    out[:, 0] = y + ord("0")
    out[:, 1] = ord(",")
    for d in range(7):
        out[:, 2 + d] = (group // 10 ** (6 - d)) % 10 + ord("0")
    out[:, 9] = ord(",")
    out[:, 10::2] = x + ord("0")
    out[:, 11::2] = ord(",")
    out[:, -1] = ord("\n")
    with open(path, "wb") as f:
        f.write(("label,group," + ",".join(column_names()) + "\n").encode())
        out.tofile(f)


def clocks():
    return time.perf_counter(), time.process_time()


def since(start):
    wall, cpu = clocks()
    return wall - start[0], cpu - start[1]


def read_pandas(path):
    import numpy as np
    import pandas as pd
    frame = pd.read_csv(path)
    y = frame["label"].to_numpy(dtype=np.float64)
    x = frame.drop(columns=["label", "group"]).to_numpy(dtype=np.float64)
    return np.ascontiguousarray(x), y


def read_numpy(path):
    import numpy as np
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return np.ascontiguousarray(data[:, 2:]), np.ascontiguousarray(data[:, 0])


def fit_sklearn(solver, x, y, lam):
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(penalty="l2", C=1.0 / lam, solver=solver, tol=1e-10,
                               max_iter=100000)
    model.fit(x, y)
    return model


def run_varsam(binary, path, lam, folds):
    out = subprocess.run([binary, path, "--lambda", repr(lam), "--folds", str(folds)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def auc(labels, scores):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(labels, scores)


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "bench"),
                        help="build directory with bench/bench_models_csv")
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lambda", dest="lam", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--csv", help="where to write the CSV (default: a temporary file)")
    parser.add_argument("--solvers", default="lbfgs,newton-cholesky")
    args = parser.parse_args()
    ensure_packages()
    import numpy as np
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    binary = os.path.join(args.build, "bench", "bench_models_csv")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found; build it: cmake --build {args.build} --target "
                 "bench_models_csv (configured with -DVARSAM_BUILD_BENCH=ON)")
    solvers = args.solvers.split(",")

    rng = np.random.default_rng(args.seed)
    x, y, group, _ = make_data(rng, args.rows, 0)
    x_test, y_test, _, logit_test = make_data(rng, 200000, args.rows)
    tmp = None
    path = args.csv
    if path is None:
        tmp = tempfile.TemporaryDirectory(prefix="varsam-models-peer-")
        path = os.path.join(tmp.name, "training.csv")
    write_csv(path, x, y, group)
    del x, y, group
    print(f"data: {args.rows:,} rows x {len(column_names())} columns, {os.path.getsize(path):,} "
          f"bytes of CSV, seed {args.seed}, lambda {args.lam} (C = {1 / args.lam:g})")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"scikit-learn {sklearn.__version__}, pandas {__import__('pandas').__version__}")
    for pool in threadpool_info():
        print(f"thread pool: {pool.get('internal_api')} {pool.get('version', '')} "
              f"num_threads={pool.get('num_threads')}")

    times = {}  # name -> list of (wall, cpu)
    models = {}
    gradients = {}
    varsam = None
    for r in range(args.rounds):
        readings = {}
        for name, reader in (("pandas.read_csv", read_pandas), ("numpy.loadtxt", read_numpy)):
            start = clocks()
            readings[name] = reader(path)
            times.setdefault("read " + name, []).append(since(start))
        xs, ys = readings["pandas.read_csv"]
        del readings
        for solver in solvers:
            start = clocks()
            models[solver] = fit_sklearn(solver, xs, ys, args.lam)
            times.setdefault("fit sklearn " + solver, []).append(since(start))
        if r == args.rounds - 1:
            # How close each solution is to the optimum: the largest component of the gradient
            # of -loglik + lambda/2 |w|^2 (varsam stops at 1e-10 per row).
            for solver in solvers:
                m = models[solver]
                p = 1 / (1 + np.exp(-(xs @ m.coef_[0] + m.intercept_[0])))
                g = np.concatenate(([np.sum(ys - p)], xs.T @ (ys - p) - args.lam * m.coef_[0]))
                gradients[solver] = np.abs(g).max()
        del xs, ys
        varsam = run_varsam(binary, path, args.lam, args.folds)
        for key in ("read", "fit", "cv"):
            times.setdefault(key + " varsam", []).append(
                (varsam[key + "_seconds"], varsam[key + "_cpu_seconds"]))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1][0]:.3f} s" for k, v in times.items()),
              flush=True)

    # Agreement: coefficients, and AUC on the held-out episodes.
    failures = 0
    names = ["(intercept)"] + column_names()
    if varsam["names"] != names:
        print("MISMATCH: varsam read other column names")
        failures += 1
    beta_v = np.array(varsam["coefficients"])
    truth = np.array(true_coefficients())
    auc_bayes = auc(y_test, logit_test)
    auc_v = auc(y_test, x_test @ beta_v[1:] + beta_v[0])
    print(f"\nheld-out AUC ({len(y_test):,} episodes): Bayes {auc_bayes:.5f}, varsam {auc_v:.5f}; "
          f"varsam's largest distance from the truth {np.abs(beta_v - truth).max():.4f}")
    for solver in solvers:
        m = models[solver]
        beta_s = np.concatenate((m.intercept_, m.coef_[0]))
        diff = np.abs(beta_s - beta_v)
        auc_s = auc(y_test, x_test @ beta_s[1:] + beta_s[0])
        ok = diff.max() <= 1e-3 and abs(auc_s - auc_v) <= 0.002
        failures += 0 if ok else 1
        print(f"sklearn {solver}: {int(m.n_iter_[0])} iterations, largest gradient component "
              f"{gradients[solver]:.2g}; largest coefficient difference "
              f"{diff.max():.2e} ({names[int(diff.argmax())]}); AUC {auc_s:.5f} "
              f"(difference {abs(auc_s - auc_v):.1e}) -> {'agree' if ok else 'DIFFER'}")

    read_py = min(("read pandas.read_csv", "read numpy.loadtxt"),
                  key=lambda k: median(t[0] for t in times[k]))

    def med(key, clock):
        return median(t[clock] for t in times[key])

    print(f"\nmedians of {args.rounds} rounds (wall s / CPU s), one thread each:")
    for key in times:
        print(f"  {key:<30}{med(key, 0):>9.3f}{med(key, 1):>9.3f}")
    print(f"\n{'':<26}{'sklearn wall':>13}{'varsam wall':>13}{'ratio':>8}"
          f"{'sklearn CPU':>13}{'varsam CPU':>12}{'ratio':>8}")
    for solver in solvers:
        fit_key = "fit sklearn " + solver
        rows = [("fit alone", [fit_key], ["fit varsam"]),
                ("end to end", [read_py, fit_key], ["read varsam", "fit varsam"])]
        for label, peer, ours in rows:
            cells = []
            for clock in (0, 1):
                a = sum(med(k, clock) for k in peer)
                b = sum(med(k, clock) for k in ours)
                cells.append((a, b, a / b))
            print(f"{label + ' (' + solver + ')':<26}" +
                  "".join(f"{a:>13.3f}{b:>13.3f}{q:>7.1f}x" if i == 0 else
                          f"{a:>13.3f}{b:>12.3f}{q:>7.1f}x" for i, (a, b, q) in enumerate(cells)))
    print(f"(python reads with {read_py.split()[1]}; varsam's Fit with {args.folds}-fold CV, final "
          f"fit and evaluation: {med('cv varsam', 0):.3f} s wall; goals: fit alone >= 5x and "
          "end to end >= 3x against lbfgs)")
    print(f"agreement: {'yes' if failures == 0 else 'NO'}")
    if tmp is not None:
        tmp.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
