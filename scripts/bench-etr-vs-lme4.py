#!/usr/bin/env python3
"""Peer comparison for the outcome curves: varsam's REML fit vs. R's lme4::lmer.

docs/performance.md gives performance figures as ratios against a reference, both sides in one
run on the same data. Here the reference is lme4 (Debian's r-cran-lme4), the package whose
formulation varsam's fit follows (Bates, Maechler, Bolker & Walker 2015, J Stat Softw 67(1)):
the expected-treatment-response model of varsam/outcomes.h,
  lmer(total ~ intake * log_session + (log_session | series), data, REML = TRUE),
fixed effects (intercept), log(session), intake and their interaction, a random intercept and
slope per series with an unstructured 2 x 2 covariance, fitted by REML. With --predictors
(intervention, age_band or both, comma-separated) the series are those varsam fits with them
(outcomes::DesignEtr: linked to their insats episodes, levels of fewer than 5 people pooled),
each level but a reference one a 0/1 column p1, p2, ... of the CSV, and both sides fit
  lmer(total ~ (intake + p1 + p2 + ...) * log_session + (log_session | series), ...). lme4 minimises the
profiled REML criterion with BOBYQA (nloptwrap) over the relative covariance factor and does
its linear algebra on sparse matrices (CHOLMOD); varsam minimises the same criterion with
Nelder-Mead, evaluated series by series in closed 2 x 2 blocks.

The data: the synthetic population of varsam/synth.h (--clients, default 100,000; --seed),
submitted through the engine into a fresh SQLite register, its ORS rows read back and made
into series by outcomes::BuildSeries, written once as a long CSV
  series,session,log_session,total,intake[,p1,p2,...]
(every number at full precision) by `bench_outcomes_csv --export`. Both sides read that file.

Timed in every round, wall clock and the process's CPU clock, one thread on both sides
(OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1, ...):
  read  R: read.csv into a data frame (proc.time around it).
        varsam: bench_outcomes_csv reading the file into a SeriesSet.
  fit   R: the lmer call above on the data frame in memory (proc.time: elapsed, and
        user + system of the process), the series column turned into a factor by lmer itself.
        varsam: outcomes::FitMixed on the SeriesSet in memory.
  end to end = read + fit, within each process (R's start and library(lme4) not counted).
Rounds alternate sides (R, then varsam), each side a fresh process; medians are reported.

Agreement, checked: every fixed effect within 1e-3 relative of lme4's; each variance component
(intercept variance, slope variance, their covariance, the residual variance) within 1e-2
relative. Exit status 1 when they differ. Printed beside: the standard errors, both REML
criteria (-2 REML log-likelihood), and lme4's own deviance function evaluated at both sides'
covariance parameters (theta), which tells an optimiser that stopped early from a different
criterion.

Usage:
  scripts/bench-etr-vs-lme4.py [--build build/bench] [--clients 100000] [--seed 20261204]
                               [--rounds 3] [--csv PATH] [--predictors intervention,age_band]

Installs the packages of scripts/peer-packages.txt with apt-get when they are missing.
"""

import os

# One thread: R's BLAS (OpenBLAS when installed) and any OpenMP pool read these at start.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile

import peer_packages  # noqa: E402  (scripts/peer_packages.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COMPONENTS = [("var_intercept", "intercept variance"), ("var_slope", "slope variance"),
              ("cov_intercept_slope", "covariance"), ("sigma2", "residual variance")]

# The R side. `Rscript PROGRAM CSV` reads, fits and prints one JSON line; `Rscript PROGRAM CSV
# theta t1 t2 t3 ...` prints lme4's REML criterion at each theta (lower Cholesky factor of the
# relative covariance, column by column: lme4's order and varsam's l00, l10, l11). The JSON is
# written by hand so that no package beyond lme4 is needed.
R_PROGRAM = r"""
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(lme4))
num <- function(x) sprintf("%.17g", x)
arr <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
str <- function(x) paste0("\"", gsub("[\"\\\\]", "'", paste(x, collapse = "; ")), "\"")
cpu <- function(t) unname(t[["user.self"]] + t[["sys.self"]])
t0 <- proc.time()
data <- read.csv(args[1])
read <- proc.time() - t0
covariates <- c("intake", grep("^p[0-9]+$", names(data), value = TRUE))
model <- as.formula(paste0("total ~ (", paste(covariates, collapse = " + "),
                           ") * log_session + (log_session | series)"))
if (length(args) >= 2 && args[2] == "theta") {
  devfun <- lmer(model, data, REML = TRUE, devFunOnly = TRUE)
  theta <- as.numeric(args[-(1:2)])
  crit <- sapply(seq(1, length(theta), by = 3), function(i) devfun(theta[i:(i + 2)]))
  cat(paste0("{\"reml_criterion\": ", arr(crit), "}\n"))
  quit(save = "no")
}
warnings <- character(0)
t0 <- proc.time()
fit <- withCallingHandlers(
  lmer(model, data, REML = TRUE),
  warning = function(w) {
    warnings <<- c(warnings, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
fitted <- proc.time() - t0
v <- VarCorr(fit)$series
cat(paste0(
  "{\"read_seconds\": ", num(read[["elapsed"]]), ", \"read_cpu_seconds\": ", num(cpu(read)),
  ", \"fit_seconds\": ", num(fitted[["elapsed"]]), ", \"fit_cpu_seconds\": ", num(cpu(fitted)),
  ", \"rows\": ", nrow(data), ", \"groups\": ", ngrps(fit)[["series"]],
  ", \"names\": [", paste0("\"", names(fixef(fit)), "\"", collapse = ", "), "]",
  ", \"beta\": ", arr(fixef(fit)),
  ", \"beta_se\": ", arr(sqrt(diag(as.matrix(vcov(fit))))),
  ", \"sigma2\": ", num(sigma(fit)^2),
  ", \"var_intercept\": ", num(v[1, 1]), ", \"var_slope\": ", num(v[2, 2]),
  ", \"cov_intercept_slope\": ", num(v[1, 2]),
  ", \"reml_criterion\": ", num(REMLcrit(fit)),
  ", \"theta\": ", arr(getME(fit, "theta")),
  ", \"evaluations\": ", fit@optinfo$feval,
  ", \"optimizer\": ", str(fit@optinfo$optimizer),
  ", \"convergence\": ", str(unlist(fit@optinfo$conv$lme4$messages)),
  ", \"warnings\": ", str(warnings),
  ", \"lme4\": ", str(as.character(packageVersion("lme4"))),
  ", \"matrix\": ", str(as.character(packageVersion("Matrix"))),
  ", \"r\": ", str(R.version.string),
  ", \"blas\": ", str(if (is.null(sessionInfo()$BLAS)) "" else sessionInfo()$BLAS),
  "}\n"))
"""


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def varsam_theta(fit):
    """lme4's theta (l00, l10, l11) from varsam's variance components: Sigma = sigma^2 L L'."""
    l00 = math.sqrt(fit["var_intercept"] / fit["sigma2"])
    l10 = fit["cov_intercept_slope"] / (fit["sigma2"] * l00)
    l11 = math.sqrt(max(fit["var_slope"] / fit["sigma2"] - l10 * l10, 0.0))
    return [l00, l10, l11]


def relative(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    # GNU nproc reads OMP_NUM_THREADS, which this script sets to 1.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, env=env).stdout.strip()
    load = os.getloadavg()
    return f"{nproc} CPUs ({model}), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "bench"),
                        help="build directory with bench/bench_outcomes_csv")
    parser.add_argument("--clients", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--csv", help="where to write the CSV (default: a temporary file)")
    parser.add_argument("--predictors", default="",
                        help="intervention, age_band or both, comma-separated (default: none)")
    args = parser.parse_args()
    peer_packages.ensure_installed()

    binary = os.path.join(args.build, "bench", "bench_outcomes_csv")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found; build it: cmake --build {args.build} --target "
                 "bench_outcomes_csv (configured with -DVARSAM_BUILD_BENCH=ON)")

    tmp = tempfile.TemporaryDirectory(prefix="varsam-etr-peer-")
    path = args.csv or os.path.join(tmp.name, "ors-series.csv")
    program = os.path.join(tmp.name, "lmer.R")
    with open(program, "w") as f:
        f.write(R_PROGRAM)

    print(f"machine: {machine()}", flush=True)
    export = run_json([binary, "--export", path, "--clients", str(args.clients),
                       "--seed", str(args.seed)] +
                      (["--predictors", args.predictors] if args.predictors else []))
    print(f"data: {args.clients:,} synthetic clients (seed {args.seed}) through the engine into "
          f"a SQLite register: {export['register_rows']:,} ORS rows read back, "
          f"{export['series']:,} series of {export['pseudonyms']:,} pseudonyms "
          f"({export['left_out']:,} left out), {export['rows']:,} rows after the intake, "
          f"{os.path.getsize(path):,} bytes of CSV; export "
          + ", ".join(f"{k} {export[k + '_seconds']:.2f} s"
                      for k in ("generate", "submit", "read", "series", "write")), flush=True)
    # The CSV's predictor columns p1, p2, ... are these terms of varsam's model.
    column_terms = {f"p{j + 1}": name for j, name in enumerate(export["predictors"])}
    if column_terms:
        print(f"predictors: {args.predictors}: " +
              ", ".join(f"{k} = {v}" for k, v in column_terms.items()) +
              f"; {export['predictors_left_out']:,} series left out (unlinked or too few); "
              "reference levels " + ", ".join(f"{k} {v[0]}" for k, v in export["levels"].items()),
              flush=True)

    times = {}  # name -> list of (wall, cpu)
    lme4 = varsam = None
    for r in range(args.rounds):
        lme4 = run_json(["Rscript", "--vanilla", program, path])
        varsam = run_json([binary, "--fit", path, "--rounds", "1"])
        for side, result in (("lme4", lme4), ("varsam", varsam)):
            for key in ("read", "fit"):
                times.setdefault(f"{key} {side}", []).append(
                    (result[key + "_seconds"], result[key + "_cpu_seconds"]))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1][0]:.3f} s" for k, v in times.items()),
              flush=True)

    # lme4's own REML criterion at both sides' theta.
    theta_v = varsam_theta(varsam)
    cross = run_json(["Rscript", "--vanilla", program, path, "theta"] +
                     [repr(t) for t in lme4["theta"] + theta_v])["reml_criterion"]

    print(f"\nR: {lme4['r']}, lme4 {lme4['lme4']}, Matrix {lme4['matrix']}, "
          f"optimizer {lme4['optimizer']}, {lme4['evaluations']} evaluations; BLAS {lme4['blas']}")
    if lme4["convergence"] or lme4["warnings"]:
        print(f"lme4 says: {lme4['convergence']} {lme4['warnings']}")
    print(f"varsam: Nelder-Mead, {varsam['evaluations']} evaluations")
    failures = 0
    # varsam's terms by lme4's names for them; lme4's place of each.
    lme4_names = ["(Intercept)" if t == "(intercept)" else t for t in varsam["terms"]]
    if sorted(lme4["names"]) != sorted(lme4_names) or lme4["rows"] != varsam["rows"] or \
            lme4["groups"] != varsam["series"]:
        print(f"MISMATCH: lme4 read {lme4['rows']} rows, {lme4['groups']} groups, "
              f"names {lme4['names']}; varsam {varsam['rows']} rows, {varsam['series']} series, "
              f"terms {varsam['terms']}")
        return 1
    at = [lme4["names"].index(name) for name in lme4_names]

    def label(term):
        head, _, tail = term.partition(":")
        return ":".join([column_terms.get(head, head)] + ([tail] if tail else []))

    width = max([22] + [len(label(t)) + 6 for t in varsam["terms"]])
    print(f"\n{'':<{width}}{'lme4':>22}{'varsam':>22}{'relative':>11}{'limit':>8}")
    for j, term in enumerate(varsam["terms"]):
        d = relative(varsam["beta"][j], lme4["beta"][at[j]])
        ok = d <= 1e-3
        failures += 0 if ok else 1
        print(f"{'beta ' + label(term):<{width}}{lme4['beta'][at[j]]:>22.12g}"
              f"{varsam['beta'][j]:>22.12g}{d:>11.1e}{'1e-3':>8}{'' if ok else '  DIFFER'}")
    for j, term in enumerate(varsam["terms"]):
        d = relative(varsam["beta_se"][j], lme4["beta_se"][at[j]])
        print(f"{'se ' + label(term):<{width}}{lme4['beta_se'][at[j]]:>22.12g}"
              f"{varsam['beta_se'][j]:>22.12g}{d:>11.1e}")
    for key, what in COMPONENTS:
        d = relative(varsam[key], lme4[key])
        ok = d <= 1e-2
        failures += 0 if ok else 1
        print(f"{what:<{width}}{lme4[key]:>22.12g}{varsam[key]:>22.12g}{d:>11.1e}{'1e-2':>8}"
              f"{'' if ok else '  DIFFER'}")
    print(f"{'REML criterion':<{width}}{lme4['reml_criterion']:>22.12g}"
          f"{varsam['reml_criterion']:>22.12g}"
          f"{varsam['reml_criterion'] - lme4['reml_criterion']:>+11.1e} (difference)")
    print(f"{'theta':<{width}}{' '.join(f'{t:.6g}' for t in lme4['theta']):>22} "
          f"{' '.join(f'{t:.6g}' for t in theta_v):>21}")
    print(f"lme4's criterion at lme4's theta {cross[0]:.12g}, at varsam's theta {cross[1]:.12g} "
          f"(varsam's minus lme4's: {cross[1] - cross[0]:+.2e})")

    def med(key, clock):
        return statistics.median(t[clock] for t in times[key])

    print(f"\nmedians of {args.rounds} rounds (wall s / CPU s), one thread each:")
    print(f"{'':<14}{'lme4 wall':>11}{'varsam wall':>13}{'ratio':>8}"
          f"{'lme4 CPU':>11}{'varsam CPU':>12}{'ratio':>8}")
    for label, keys in (("read", ["read"]), ("fit", ["fit"]), ("end to end", ["read", "fit"])):
        cells = []
        for clock in (0, 1):
            a = sum(med(k + " lme4", clock) for k in keys)
            b = sum(med(k + " varsam", clock) for k in keys)
            cells.append(f"{a:>11.3f}{b:>{13 if clock == 0 else 12}.3f}{a / b:>7.1f}x")
        print(f"{label:<14}" + "".join(cells))
    print("(goal: the fit >= 10x on one core)")
    print(f"agreement: {'yes' if failures == 0 else 'NO'}")
    tmp.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
