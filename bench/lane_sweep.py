#!/usr/bin/env python3
"""The lane sweep (docs/performance.md, "Lane counts"), measured in alternating rounds.

Each configuration runs in its own process (`ransim_bench_lanes`, one benchmark), so a vCPU
that runs slow for a while slows both sides of a pair, not one row of a table.

One library (the default): in each round, every lane count L runs between two runs of one
lane, and is set against their mean, so that a drifting clock (docs/performance.md: the VM's
does, over minutes) cancels out to first order; prints the medians over rounds of the
cost per sequence-step against one lane, and the verdict on issue 20's item 1 (at most 1 at
every lane count, at most 0.2 from 8 lanes on):

    bench/lane_sweep.py build/bin/ransim_bench_lanes --rounds 5

Two libraries (--ab LIB_A LIB_B, folders holding a libransim.so.0 each; the binary finds its
library through LD_LIBRARY_PATH before its own runpath): A and B alternate on every lane count,
the order swapped every round; prints the medians of the per-round ratios B/A, and the cost
per sequence-step against one lane of each library (its two one-lane runs around it):

    bench/lane_sweep.py build/bin/ransim_bench_lanes --ab OLD_LIB NEW_LIB --cpu-time

--cpu-time compares CPU times instead of wall times (on a machine shared with other jobs,
where a process gets a varying share of a core; the benchmarks run one thread).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

LANES = [1, 2, 3, 4, 7, 8, 9, 16, 63, 64, 65, 128, 256]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('bench', help='the ransim_bench_lanes binary')
    p.add_argument('--kind', choices=['Step', 'Product'], default='Step',
                   help='the whole leaky step (default) or the sparse product alone')
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--lanes', default=','.join(map(str, LANES)), help='comma-separated lane counts')
    p.add_argument('--single', action='store_true', help='single precision (item 1 is about double)')
    p.add_argument('--ab', nargs=2, metavar=('LIB_A', 'LIB_B'), help='compare two libraries')
    p.add_argument('--cpu-time', action='store_true')
    p.add_argument('--min-time', type=float, default=0.15, help='seconds per benchmark run')
    a = p.parse_args()
    try:
        a.lanes = [int(x) for x in a.lanes.split(',')]
    except ValueError:
        p.error(f'--lanes: not a comma-separated list of integers: {a.lanes!r}')
    if any(lanes < 1 or lanes > 256 for lanes in a.lanes):
        p.error('--lanes: the benchmark has lane counts 1 to 256')
    if a.rounds < 1:
        p.error('--rounds: at least 1')
    if not a.min_time > 0:
        p.error('--min-time: seconds, more than 0')
    if not os.access(a.bench, os.X_OK):
        p.error(f'{a.bench}: not an executable (built with RANSIM_BUILD_BENCH=ON, the default: '
                'build/bin/ransim_bench_lanes)')
    return a


def main():
    a = parse_args()
    field = 'cpu_time' if a.cpu_time else 'real_time'

    def run(lanes, lib=None):
        name = f'BM_LaneSweep{a.kind}/N:1000/lanes:{lanes}/single:{int(a.single)}/real_time$'
        env = dict(os.environ, LD_LIBRARY_PATH=lib) if lib else None
        out = subprocess.run([a.bench, f'--benchmark_filter={name}', f'--benchmark_min_time={a.min_time}',
                              '--benchmark_format=json'], env=env, capture_output=True, text=True)
        try:
            return json.loads(out.stdout)['benchmarks'][0][field]
        except (ValueError, KeyError, IndexError):
            sys.exit(f'{a.bench} gave no result for {name} (exit {out.returncode}): '
                     f'{out.stderr.strip()[-300:]}')

    libs = {'A': a.ab[0], 'B': a.ab[1]} if a.ab else {'A': None}
    # times[lib][lanes]: one per round; one[lib][lanes]: the mean of the one-lane runs around it.
    times = {w: {l: [] for l in a.lanes} for w in libs}
    one = {w: {l: [] for l in a.lanes} for w in libs}
    for r in range(a.rounds):
        print(f'round {r + 1}/{a.rounds}', file=sys.stderr, flush=True)
        for l in a.lanes:
            order = list(libs) if r % 2 == 0 else list(reversed(libs))
            for w in order:
                if l == 1:  # one lane against itself: the same run on both sides, exactly 1
                    t = run(1, libs[w])
                    times[w][l].append(t)
                    one[w][l].append(t)
                    continue
                before, t, after = run(1, libs[w]), run(l, libs[w]), run(1, libs[w])
                times[w][l].append(t)
                one[w][l].append((before + after) / 2)

    print('load average', ' '.join(open('/proc/loadavg').read().split()[:3]), '|', field, '|',
          f'{a.rounds} rounds | {a.kind} | {"single" if a.single else "double"}')
    verdict = True
    for l in a.lanes:
        per_seq = {w: statistics.median([t / l / o for t, o in zip(times[w][l], one[w][l])]) for w in libs}
        line = f'lanes {l:4d}  ' + '  '.join(f'{w} {statistics.median(times[w][l]):9.1f} us, '
                                             f'per-seq-step/one-lane {per_seq[w]:5.3f}' for w in libs)
        if a.ab:
            ratio = statistics.median([b / x for x, b in zip(times['A'][l], times['B'][l])])
            line += f'  B/A {ratio:5.2f}'
        target = 0.2 if l >= 8 else 1.0
        last = per_seq[list(libs)[-1]]
        ok = last <= target
        verdict = verdict and ok
        print(line + f'  (target <= {target}: {"met" if ok else "not met"})')
    print('item 1:', 'met' if verdict else 'not met',
          '(at most 1 at every lane count, at most 0.2 from 8 lanes on)')


if __name__ == '__main__':
    main()
