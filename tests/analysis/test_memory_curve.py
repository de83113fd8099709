#!/usr/bin/env python3
"""`ransim analyze` on a figure C recording against an independent numpy computation.

    test_memory_curve.py SOURCE_DIR RANSIM_CLI PLUGIN_DIR WORK_DIR

Records scenarios/ran_figure_c.toml on the memory capacity task (shortened with --set), runs
`ransim analyze --json`, and recomputes from the same file with h5py and numpy:
  - the memory curve: over the test split's tokens (/analysis/split, attribute test) and all
    lanes, r^2(d) = the squared Pearson correlation (numpy.corrcoef) of the readout's output
    column d with the target column d, and its sum against /analysis/metrics/memory_capacity_test;
  - the PCA of the cortex state: numpy.linalg.eigvalsh of numpy.cov;
  - the mean attention entropy of the cortex per token.
Exit status 0 when all agree; each disagreement is printed.
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

SOURCE, CLI, PLUGINS, WORK = (os.path.abspath(a) for a in sys.argv[1:5])
SETS = ["task.kind=memory_capacity", "task.max_delay=30", "task.warmup=50", "task.train=800", "task.test=300",
        "readout.ridge=1e-3"]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def ransim(*args):
    r = subprocess.run([CLI, *args, "--plugin-dir", PLUGINS], cwd=WORK, capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        sys.exit(f"`ransim {' '.join(args)}` exited {r.returncode}: {r.stderr.strip()[-800:]}")
    return r.stdout


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    sets = [w for s in SETS for w in ("--set", s)]
    scenario = os.path.join(SOURCE, "scenarios", "ran_figure_c.toml")
    ransim("run", scenario, *sets, "--out", "fig_c.h5", "--quiet")
    report = json.loads(ransim("analyze", "fig_c.h5", "--out", "fig_c_analysis", "--json"))
    for ext in (".md", ".json", ".png", ".svg"):
        path = os.path.join(WORK, "fig_c_analysis" + ext)
        check(os.path.getsize(path) > 100, f"{path} missing or empty")

    with h5py.File(os.path.join(WORK, "fig_c.h5"), "r") as f:
        first, end = f["/analysis/split"].attrs["test"]
        y = f["/acquisition/target/data"][first:end]          # [tokens, lanes, delays]
        yhat = f["/analysis/readout/output/data"][first:end]
        y, yhat = y.reshape(-1, y.shape[-1]), yhat.reshape(-1, yhat.shape[-1])
        r2 = np.array([np.corrcoef(y[:, d], yhat[:, d])[0, 1] ** 2 for d in range(y.shape[1])])
        stored = f["/analysis/metrics/memory_capacity_test"][()]
        x = f["/processing/cortex/state/data"][()]
        x = x.reshape(x.shape[0] * x.shape[1], -1)
        variance = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1].clip(min=0)
        entropy = f["/processing/cortex/attention_entropy/data"][()].mean(axis=(1, 2))

    curve = report["memory_curve"]
    check(curve["available"], "no memory curve: " + curve["note"])
    check(curve["test"] == [int(first), int(end)], f"test tokens {curve['test']} != {[first, end]}")
    ours = np.array(curve["r2"])
    check(ours.shape == r2.shape, f"memory curve of {ours.shape} delays, numpy's of {r2.shape}")
    check(ours.shape == r2.shape and np.max(np.abs(ours - r2)) < 1e-9, "memory curve differs from numpy's")
    check(abs(r2.sum() - stored) < 1e-9 * stored, f"numpy's sum {r2.sum()} != memory_capacity_test {stored}")
    check(abs(curve["sum"] - stored) < 1e-12 * stored, f"analyze's sum {curve['sum']} != {stored}")

    cortex = next(p for p in report["populations"] if p["name"] == "cortex")
    pca = np.array(cortex["pca"]["variance"])
    check(np.max(np.abs(pca - variance)) < 1e-9 * variance[0], "PCA variances differ from numpy's")
    pr = variance.sum() ** 2 / (variance ** 2).sum()
    check(abs(cortex["pca"]["participation_ratio"] - pr) < 1e-9 * pr, "participation ratio differs")
    over_time = np.array(cortex["attention_entropy"]["over_time"])
    check(np.max(np.abs(over_time - entropy)) < 1e-12, "attention entropy over time differs")

    for f in failures:
        print("FAIL " + f)
    print(f"analyze vs numpy: {len(failures)} failures; memory capacity {stored:.6f} "
          f"over tokens [{first}, {end})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
