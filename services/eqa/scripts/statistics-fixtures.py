#!/usr/bin/env python3
"""Independent reference values for services/eqa/src/statistics.

Each statistic is implemented here from its published formula with numpy/scipy (not by translating
the TypeScript), applied to seeded random data sets, and written to
services/eqa/test/fixtures/statistics/*.json, which test/statistics-independent.test.ts reads.

Regenerate (python3 with numpy and scipy; run from anywhere):
    python3 services/eqa/scripts/statistics-fixtures.py
The output is deterministic for a given numpy/scipy version (seeded generators); the versions used
are recorded in every file.

References: ISO 13528:2015 C.2 (median, MADe, nIQR), C.3 (algorithm A); Grubbs 1969, Technometrics
11:1-21; Dixon 1950/1951, Rorabacher 1991 Anal. Chem. 63:139; ISO 13528:2015 Annex B (homogeneity,
stability); Welch 1947 (t-test); ordinary least squares (slope method).
"""

import json
import math
import pathlib

import numpy as np
import scipy
from scipy import stats

GENERATOR_VERSION = 1
OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "statistics"
META = {"generator": "services/eqa/scripts/statistics-fixtures.py", "generatorVersion": GENERATOR_VERSION,
        "numpy": np.__version__, "scipy": scipy.__version__}


def write(name, payload):
    OUT.mkdir(parents=True, exist_ok=True)
    body = {"meta": META, **payload}
    (OUT / name).write_text(json.dumps(body, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def floats(a):
    return [float(v) for v in a]


# ---------------------------------------------------------------- data sets
def data_sets():
    rng = np.random.default_rng(20240607)
    sets = []
    for n in (5, 8, 12, 20, 30, 50, 200):
        x = rng.normal(100.0, 5.0, n)
        k = 0 if n == 5 else (1 if n < 20 else 3)
        for j in range(k):  # contaminating outliers: +8 sigma, -6 sigma, +12 sigma
            x[j] = 100.0 + 5.0 * (8.0, -6.0, 12.0)[j] + rng.normal(0, 1)
        sets.append({"name": f"normal-n{n}-outliers{k}", "values": floats(np.round(x, 4))})
    # ties: results reported to one decimal from a narrow distribution, many identical values
    for n in (7, 15, 40):
        x = np.round(rng.normal(5.0, 0.12, n), 1)
        x[0] = 5.9
        sets.append({"name": f"ties-n{n}", "values": floats(x)})
    sets.append({"name": "ties-mad0-n7", "values": [5.0, 5.0, 5.0, 5.0, 5.1, 4.9, 6.0]})
    sets.append({"name": "lognormal-n25", "values": floats(np.round(rng.lognormal(1.0, 0.6, 25), 4))})
    sets.append({"name": "lognormal-n11", "values": floats(np.round(rng.lognormal(3.0, 0.3, 11), 4))})
    sets.append({"name": "small-n3", "values": [10.0, 10.4, 13.1]})
    sets.append({"name": "small-n4", "values": [2.31, 2.29, 2.35, 2.11]})
    return sets


# ---------------------------------------------------------------- robust statistics (ISO 13528 C.2, C.3)
def algorithm_a(x, rule):
    """ISO 13528:2015 C.3.1. rule 'iso': stop when s* is unchanged in its 3rd significant figure and
    x* in the same decimal place; rule 'fixed': iterate to machine precision (the fixed point)."""
    x = np.asarray(x, dtype=float)
    xs = float(np.median(x))
    ss = 1.483 * float(stats.median_abs_deviation(x, scale=1.0))
    if ss == 0:
        return None
    for it in range(1, 10001):
        d = 1.5 * ss
        w = np.clip(x, xs - d, xs + d)
        nx = float(np.mean(w))
        ns = 1.134 * float(np.std(w, ddof=1))
        if rule == "iso":
            place = 10.0 ** (math.floor(math.log10(ns)) - 2)
            stop = round(ss / place) == round(ns / place) and round(xs / place) == round(nx / place)
        else:
            stop = abs(nx - xs) <= 1e-15 * abs(nx) and abs(ns - ss) <= 1e-15 * ns
        xs, ss = nx, ns
        if stop:
            return {"mean": xs, "sd": ss, "iterations": it}
    raise RuntimeError("algorithm A did not converge")


def robust_fixture(sets):
    cases = []
    for s in sets:
        x = np.asarray(s["values"])
        mad = float(stats.median_abs_deviation(x, scale=1.0))
        q1, q3 = np.quantile(x, [0.25, 0.75])  # numpy default = Hyndman-Fan type 7
        case = {
            "name": s["name"], "values": s["values"],
            "median": float(np.median(x)), "mad": mad, "madE": 1.483 * mad,
            # scipy's scale='normal' uses 1/Phi^-1(3/4) = 1.482602...; ISO 13528 rounds it to 1.483.
            "madNormalScipy": float(stats.median_abs_deviation(x, scale="normal")),
            "q1": float(q1), "q3": float(q3),
            "nIQR": 0.7413 * float(stats.iqr(x)),
            "mean": float(np.mean(x)), "sd": float(np.std(x, ddof=1)),
            "algorithmA": algorithm_a(x, "iso"), "algorithmAFixedPoint": algorithm_a(x, "fixed"),
        }
        cases.append(case)
    write("robust.json", {"cases": cases})


# ---------------------------------------------------------------- Grubbs (Grubbs 1969)
def grubbs_critical(n, alpha):
    t = stats.t.ppf(1 - alpha / (2 * n), n - 2)
    return (n - 1) / math.sqrt(n) * math.sqrt(t * t / (n - 2 + t * t))


def grubbs(values, alpha, iterate):
    idx = list(range(len(values)))
    cur = list(values)
    steps = []
    while len(cur) >= 3:
        x = np.asarray(cur)
        m, s = x.mean(), x.std(ddof=1)
        dev = np.abs(x - m)
        j = int(np.argmax(dev))  # first maximum, as the tie rule documented in grubbs.ts
        g = 0.0 if s == 0 else float(dev[j] / s)
        gc = grubbs_critical(len(cur), alpha)
        steps.append({"index": idx[j], "value": cur[j], "n": len(cur), "g": g, "gCritical": gc, "significant": g > gc})
        if g <= gc or not iterate:
            break
        del cur[j]
        del idx[j]
    return steps


def grubbs_fixture(sets):
    cases = []
    for s in sets:
        for alpha in (0.05, 0.01):
            cases.append({"name": s["name"], "alpha": alpha, "values": s["values"],
                          "single": grubbs(s["values"], alpha, False), "iterated": grubbs(s["values"], alpha, True)})
    crit = [{"n": n, "alpha": a, "gCritical": grubbs_critical(n, a)} for n in (3, 4, 5, 8, 10, 20, 30, 50, 100, 500) for a in (0.1, 0.05, 0.01)]
    write("grubbs.json", {"cases": cases, "critical": crit})


# ---------------------------------------------------------------- Dixon (Dixon 1950/1951; Rorabacher 1991)
# The critical values are not copied from any table here: they are simulated (Monte Carlo under
# normality) so that the TypeScript table, transcribed from Rorabacher (1991), can be checked.


def dixon_ratios(x, stat):
    x = np.sort(np.asarray(x, dtype=float), axis=-1)
    n = x.shape[-1]
    o = lambda i: x[..., i - 1]  # 1-based order statistic
    num_den = {
        "r10": ((o(2) - o(1), o(n) - o(1)), (o(n) - o(n - 1), o(n) - o(1))),
        "r11": ((o(2) - o(1), o(n - 1) - o(1)), (o(n) - o(n - 1), o(n) - o(2))),
        "r21": ((o(3) - o(1), o(n - 1) - o(1)), (o(n) - o(n - 2), o(n) - o(2))),
        "r22": ((o(3) - o(1), o(n - 2) - o(1)), (o(n) - o(n - 2), o(n) - o(3))),
    }[stat]
    out = []
    for num, den in num_den:
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(den == 0, 0.0, num / np.where(den == 0, 1.0, den)))
    return out


def default_stat(n):
    return "r10" if n <= 7 else "r11" if n <= 10 else "r21" if n <= 13 else "r22"


def dixon_fixture(sets):
    rng = np.random.default_rng(19910201)
    reps = 400_000
    crit = []
    ranges = {"r10": range(3, 31), "r11": range(4, 31), "r21": range(5, 31), "r22": range(6, 31)}
    for stat, ns in ranges.items():
        for n in ns:
            z = rng.standard_normal((reps, n))
            low, high = dixon_ratios(z, stat)
            both = np.maximum(low, high)  # two-sided: the larger of the two ratios
            row = {"statistic": stat, "n": n}
            for a in (0.1, 0.05, 0.01):
                # The critical value at alpha, and the values whose actual level would be k x alpha,
                # so a test can bound the actual significance level of a tabulated value.
                row[str(a)] = {"critical": float(np.quantile(both, 1 - a)),
                               "atLevel": {str(k): float(np.quantile(both, 1 - k * a)) for k in (0.4, 0.8, 1.2, 1.25)}}
            crit.append(row)
    cases = []
    for s in sets:
        n = len(s["values"])
        if n > 30:
            continue
        stat = default_stat(n)
        low, high = dixon_ratios(s["values"], stat)
        low, high = float(low), float(high)
        cases.append({"name": s["name"], "values": s["values"], "statistic": stat, "low": low, "high": high,
                      "side": "high" if high > low else "low", "ratio": max(low, high)})
    write("dixon.json", {"monteCarloReplicates": reps, "critical": crit, "cases": cases})


# ---------------------------------------------------------------- homogeneity (ISO 13528:2015 B.3, one-way ANOVA)
def homogeneity_fixture():
    rng = np.random.default_rng(13528)
    cases = []
    for g, m, between in ((10, 2, 0.0), (10, 2, 0.5), (12, 3, 0.2), (6, 4, 1.5), (20, 2, 0.05)):
        unit = rng.normal(0, between, g) if between > 0 else np.zeros(g)
        data = np.round(50.0 + unit[:, None] + rng.normal(0, 0.4, (g, m)), 3)
        f, p = stats.f_oneway(*data)
        means = data.mean(axis=1)
        ms_between = m * float(np.var(means, ddof=1))
        ms_within = float(np.mean(np.var(data, axis=1, ddof=1)))
        cases.append({"samples": data.tolist(), "f": float(f), "p": float(p),
                      "msBetween": ms_between, "msWithin": ms_within,
                      # s_s^2 = (MS_between - MS_within) / m, floored at 0 (ISO 13528:2015 B.3)
                      "ss": math.sqrt(max(0.0, (ms_between - ms_within) / m)),
                      "sx": float(np.std(means, ddof=1)), "sw": math.sqrt(ms_within), "grandMean": float(means.mean())})
    write("homogeneity.json", {"cases": cases})


# ---------------------------------------------------------------- stability (Welch t-test)
def stability_fixture():
    rng = np.random.default_rng(20170101)
    cases = []
    for n1, n2, shift, sd2 in ((3, 3, 0.0, 0.3), (5, 4, 0.4, 0.3), (6, 6, 0.05, 0.9), (10, 3, -0.6, 0.2), (2, 8, 0.2, 0.5)):
        before = np.round(rng.normal(20.0, 0.3, n1), 3)
        after = np.round(rng.normal(20.0 + shift, sd2, n2), 3)
        res = stats.ttest_ind(before, after, equal_var=False)
        cases.append({"before": floats(before), "after": floats(after), "t": float(res.statistic),
                      "df": float(res.df), "pValue": float(res.pvalue),
                      "tCritical": float(stats.t.ppf(0.975, res.df)),
                      "difference": abs(float(before.mean() - after.mean()))})
    write("stability.json", {"alpha": 0.05, "cases": cases})


# ---------------------------------------------------------------- slope method (ordinary least squares)
def slope_fixture():
    rng = np.random.default_rng(5725)
    cases = []
    for n, b, a, noise in ((5, 1.0, 0.0, 0.05), (5, 1.08, 0.0, 0.02), (8, 0.97, 0.3, 0.1), (3, 1.0, 0.1, 0.05), (12, 1.01, -0.2, 0.3)):
        ref = np.round(np.sort(rng.uniform(2.0, 20.0, n)), 2)
        meas = np.round(a + b * ref + rng.normal(0, noise, n), 3)
        lr = stats.linregress(ref, meas)
        t = float(stats.t.ppf(0.975, n - 2))
        cases.append({"reference": floats(ref), "measured": floats(meas), "slope": float(lr.slope),
                      "intercept": float(lr.intercept), "slopeSe": float(lr.stderr),
                      "interceptSe": float(lr.intercept_stderr), "r": float(lr.rvalue), "tCritical": t,
                      "slopeCi": [float(lr.slope - t * lr.stderr), float(lr.slope + t * lr.stderr)],
                      "interceptCi": [float(lr.intercept - t * lr.intercept_stderr), float(lr.intercept + t * lr.intercept_stderr)]})
    write("slope.json", {"alpha": 0.05, "cases": cases})


# ---------------------------------------------------------------- fitness for purpose
def fitness_fixture():
    cases = []
    for x, pct, ab in ((5.0, 10.0, 0.2), (1.2, 10.0, 0.2), (140.0, 3.0, None), (0.05, None, 0.02), (-3.0, 5.0, 0.1), (2.0, 10.0, 0.2)):
        limbs = [v for v in ((pct / 100.0) * abs(x) if pct is not None else None, ab) if v is not None]
        tea = max(limbs)
        cases.append({"assignedValue": x, "percent": pct, "absolute": ab, "allowedError": tea,
                      "lower": x - tea, "upper": x + tea, "sigmaPt3": tea / 3.0, "sigmaPt2": tea / 2.0})
    write("fitness.json", {"cases": cases})


if __name__ == "__main__":
    sets = data_sets()
    robust_fixture(sets)
    grubbs_fixture(sets)
    dixon_fixture(sets)
    homogeneity_fixture()
    stability_fixture()
    slope_fixture()
    fitness_fixture()
    print(f"wrote {sorted(p.name for p in OUT.glob('*.json'))} to {OUT}")
