#!/usr/bin/env python3
"""A Python loop of Session.step(1) against one Session.step(N) (docs/performance.md, "Python").

    PYTHONPATH=build/python python3 bench/python_step_loop.py [ROUNDS] [TOKENS] [UNITS]

A leaky reservoir of UNITS units (default 1000; recurrent density 0.1, Euler with dt = T, one
lane), TOKENS tokens (default 1000) stepped either one call per token (A) or in one call (B),
each on a fresh Session built outside the timing. A and B alternate, their order swapped every
round; prints the medians of the times per token and of the per-round ratios A/B, with the load
average and the CPU as /proc/cpuinfo names it."""
import statistics
import sys
import time

import ransim

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 21
tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
units = int(sys.argv[3]) if len(sys.argv) > 3 else 1000

SCENARIO = {
    "seed": 1,
    "simulation": {"integrator": "euler", "dt": 1.0, "token_period": 1.0},
    # Training spans every timed token: the readout fit (once, at the end of training) stays out.
    "task": {"kind": "narma10", "warmup": 10, "train": tokens + 10, "test": 10},
    "population": {"res": {"kind": "leaky", "size": units, "tau": 2.0}},
    "projection": [
        {"from": "res", "to": "res", "density": 0.1, "spectral_radius": 0.9},
        {"from": "input", "to": "res", "density": 1.0, "scale": 0.2},
    ],
    "readout": {"ridge": 1e-6},
}


def loop_of_single_steps():
    s = ransim.Session(SCENARIO)
    start = time.perf_counter()
    for _ in range(tokens):
        s.step(1)
    elapsed = time.perf_counter() - start
    assert s.token == tokens
    return elapsed


def one_call():
    s = ransim.Session(SCENARIO)
    start = time.perf_counter()
    s.step(tokens)
    elapsed = time.perf_counter() - start
    assert s.token == tokens
    return elapsed


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


times = {"A": [], "B": []}
for r in range(rounds):
    for which in ("A", "B") if r % 2 == 0 else ("B", "A"):
        times[which].append(loop_of_single_steps() if which == "A" else one_call())
ratio = statistics.median(a / b for a, b in zip(times["A"], times["B"]))
per_token = {w: statistics.median(t) / tokens * 1e6 for w, t in times.items()}
print(f"cpu: {cpu_name()}; load {' '.join(open('/proc/loadavg').read().split()[:3])}")
print(f"{units} leaky units, {tokens} tokens, {rounds} rounds")
print(f"A step(1) x {tokens}: {per_token['A']:.2f} us/token   "
      f"B step({tokens}): {per_token['B']:.2f} us/token   median A/B {ratio:.3f}")
