#!/usr/bin/env python3
"""ransim and ReservoirPy side by side on the same workloads (docs/performance.md, "ReservoirPy").

  bench/reservoirpy_side_by_side.py --reservoirpy DIR --shim DIR [--bench build/bin/ransim_bench]
                                    [--rounds 3] [--only step1000,ridge]

DIR of --reservoirpy: a source tree of ReservoirPy (its public repository, never committed
here); --shim: a folder put first on PYTHONPATH for ReservoirPy's process (back-filled numpy,
scipy or joblib APIs its version needs), or "" for none. ReservoirPy runs under --python
(default: Debian's /usr/bin/python3) with OPENBLAS_NUM_THREADS set to the cores of the workload.

Workloads (ransim: Google Benchmark rows of ransim_bench; ReservoirPy: the same network built
with its Reservoir and Ridge nodes, in a process of its own):
  step100, step1000, step2000  a leaky tanh reservoir (recurrent density 0.1, spectral radius
                               0.9, leak 1/3, one dense input), one sequence, one core: time a step
  step1000_2cores              the same on two cores (ransim threads = 2)
  step1000_single, step2000_single
                               ransim in single precision against ReservoirPy (double), one core
  step1000_2cores_single       the same on two cores
  ridge                        a ridge fit of 10000 samples x 1000 features, one output, one core
  seq64                        64 sequences of N = 1000 at once, one core: time per sequence-step
Each round runs every workload once on each side, the side going first alternating between
rounds; the table gives the medians of the times and of the per-round ratios ransim /
ReservoirPy (below 1: ransim faster), with their range, and issue 20's target where it sets one.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# name: (ransim_bench row, the field read from it, cores, ReservoirPy worker arguments)
WORKLOADS = {
    "step100": ("BM_LeakyStep/N:100/lanes:1/threads:1/single:0", "real_time", 1, ["step", "100", "6000"]),
    "step1000": ("BM_LeakyStep/N:1000/lanes:1/threads:1/single:0", "real_time", 1, ["step", "1000", "3000"]),
    "step2000": ("BM_LeakyStep/N:2000/lanes:1/threads:1/single:0", "real_time", 1, ["step", "2000", "1500"]),
    "step1000_2cores": ("BM_LeakyStep/N:1000/lanes:1/threads:2/single:0", "real_time", 2,
                        ["step", "1000", "3000"]),
    "step1000_single": ("BM_LeakyStep/N:1000/lanes:1/threads:1/single:1", "real_time", 1,
                        ["step", "1000", "3000"]),
    "step2000_single": ("BM_LeakyStep/N:2000/lanes:1/threads:1/single:1", "real_time", 1,
                        ["step", "2000", "1500"]),
    "step1000_2cores_single": ("BM_LeakyStep/N:1000/lanes:1/threads:2/single:1", "real_time", 2,
                               ["step", "1000", "3000"]),
    "ridge": ("BM_RidgeFit/samples:10000/features:1000", "real_time", 1, ["ridge", "10000", "1000"]),
    "seq64": ("BM_LeakyStep/N:1000/lanes:64/threads:1/single:0", "per_seq_step", 1,
              ["batch", "1000", "64", "100"]),
}
# Issue 20's targets for ransim / ReservoirPy (item 3: one core N = 1000 and 2000, two cores
# N = 1000), shown beside the ratios; in either precision.
TARGETS = {"step1000": 0.33, "step1000_single": 0.33, "step2000": 0.4, "step2000_single": 0.4,
           "step1000_2cores": 0.25, "step1000_2cores_single": 0.25}
# ransim_bench reports real_time in its row's unit (us for steps, ms for the fit) and
# per_seq_step in seconds; everything below is in microseconds.
TO_US = {"us": 1.0, "ms": 1e3, "ns": 1e-3, "s": 1e6}


def worker(args):
    """Runs inside ReservoirPy's process: prints the time of one workload in microseconds."""
    import numpy as np
    from reservoirpy.nodes import Reservoir, Ridge

    def reservoir(units):
        node = Reservoir(units, sr=0.9, lr=1 / 3, rc_connectivity=0.1, input_connectivity=1.0, seed=1)
        node.initialize(np.zeros((1, 1)))
        return node

    def fastest(run, repeats):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    kind, numbers = args[0], [int(a) for a in args[1:]]
    rng = np.random.default_rng(0)
    if kind == "step":  # units, steps: one sequence, the time of a step
        units, steps = numbers
        node, inputs = reservoir(units), rng.uniform(-1, 1, (steps, 1))
        node.run(inputs[:100])
        seconds = fastest(lambda: node.run(inputs), 3) / steps
    elif kind == "ridge":  # samples, features: the time of a fit
        samples, features = numbers
        states, targets = rng.standard_normal((samples, features)), rng.standard_normal((samples, 1))
        seconds = fastest(lambda: Ridge(ridge=1e-6).fit(states, targets), 3)
    elif kind == "batch":  # units, sequences, steps: the time of a sequence-step
        units, sequences, steps = numbers
        node, inputs = reservoir(units), rng.uniform(-1, 1, (sequences, steps, 1))
        node.run(inputs[:, :10])
        seconds = fastest(lambda: node.run(inputs), 3) / (sequences * steps)
    else:
        raise SystemExit(f"worker: unknown workload '{kind}'")
    print(f"{seconds * 1e6:.6f}")


def cpu_set(cores):
    return ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:cores])


def run_ransim(opts, name):
    row, field, cores, _ = WORKLOADS[name]
    real = "/real_time" if row.startswith("BM_LeakyStep") else ""
    command = ["taskset", "-c", cpu_set(cores), opts.bench, f"--benchmark_filter=^{row}{real}$",
               "--benchmark_min_time=0.5", "--benchmark_format=json"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)["benchmarks"]
    if not rows:
        raise SystemExit(f"{opts.bench} has no benchmark {row}")
    if field == "per_seq_step":
        return rows[0][field] * 1e6
    return rows[0][field] * TO_US[rows[0]["time_unit"]]


def run_reservoirpy(opts, name):
    _, _, cores, arguments = WORKLOADS[name]
    path = [p for p in (opts.shim, opts.reservoirpy, os.environ.get("PYTHONPATH", "")) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), OPENBLAS_NUM_THREADS=str(cores),
               OMP_NUM_THREADS=str(cores))
    command = ["taskset", "-c", cpu_set(cores), opts.python, os.path.abspath(__file__), "--worker",
               *arguments]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"ReservoirPy's run of {name} failed (exit {done.returncode})")
    return float(done.stdout.split()[-1])


def describe_machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return f"CPU '{model}' ({os.cpu_count()} logical), load average {load}"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return worker(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reservoirpy", required=True, help="a ReservoirPy source tree")
    parser.add_argument("--shim", required=True, help="a folder put first on ReservoirPy's PYTHONPATH, or ''")
    parser.add_argument("--bench", default="build/bin/ransim_bench", help="ransim's engine benchmarks")
    parser.add_argument("--python", default="/usr/bin/python3", help="the Python that runs ReservoirPy")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    opts = parser.parse_args()
    names = opts.only.split(",")
    for name in names:
        if name not in WORKLOADS:
            parser.error(f"--only: unknown workload '{name}' (one of {', '.join(WORKLOADS)})")
    if opts.rounds < 1:
        parser.error("--rounds: at least 1")
    if not os.path.isdir(os.path.join(opts.reservoirpy, "reservoirpy")):
        parser.error(f"--reservoirpy: {opts.reservoirpy} holds no reservoirpy package")
    if opts.shim and not os.path.isdir(opts.shim):
        parser.error(f"--shim: {opts.shim} is not a folder")
    if not os.access(opts.bench, os.X_OK):
        parser.error(f"--bench: {opts.bench} is not an executable (build the target ransim_bench)")
    print("before:", describe_machine(), flush=True)
    times = {name: {"ransim": [], "reservoirpy": []} for name in names}
    for round_ in range(opts.rounds):
        for name in names:
            sides = ["ransim", "reservoirpy"] if round_ % 2 == 0 else ["reservoirpy", "ransim"]
            for side in sides:
                run = run_ransim if side == "ransim" else run_reservoirpy
                times[name][side].append(run(opts, name))
        print(f"round {round_ + 1} of {opts.rounds} done", file=sys.stderr, flush=True)
    print("after:", describe_machine())
    print("\n| workload | ransim | ReservoirPy | ransim / ReservoirPy (range) | target |")
    print("|---|---|---|---|---|")
    for name in names:
        ours, theirs = times[name]["ransim"], times[name]["reservoirpy"]
        ratios = [a / b for a, b in zip(ours, theirs)]
        ratio = statistics.median(ratios)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target}: {'met' if ratio <= target else 'not met'}"
        print(f"| {name} | {statistics.median(ours):.4g} us | {statistics.median(theirs):.4g} us | "
              f"**{ratio:.3f}** ({min(ratios):.3f}-{max(ratios):.3f}) | {verdict} |")


if __name__ == "__main__":
    main()
