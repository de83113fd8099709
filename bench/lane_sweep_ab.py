#!/usr/bin/env python3
# Old and new library alternating on the lane sweep (docs/performance.md, "Lane counts"): each
# configuration in its own process, the order of A and B swapped every round; prints medians
# of the times, of the per-round ratios B/A, and of the cost per sequence-step against one lane
# in the same round.
#   bench/lane_sweep_ab.py [--cpu-time] BENCH LIB_A LIB_B Step|Product ROUNDS 1,2,3,...[ SINGLE]
# BENCH: build/bin/ransim_bench_lanes; LIB_A, LIB_B: folders holding a libransim.so.0 each (the
# binary finds its library through LD_LIBRARY_PATH before its own runpath). --cpu-time: compare
# CPU times instead of wall times (on a machine shared with other jobs, where a process gets a
# varying share of a core; the benchmarks run one thread).
import subprocess, sys, json, statistics, os
args = [a for a in sys.argv[1:] if a != '--cpu-time']
field = 'cpu_time' if '--cpu-time' in sys.argv[1:] else 'real_time'
bench, liba, libb, kind, rounds = args[0], args[1], args[2], args[3], int(args[4])
lanes = [int(x) for x in args[5].split(',')]
single = args[6] if len(args) > 6 else '0'
def run(lib, l):
    f = f'BM_LaneSweep{kind}/N:1000/lanes:{l}/single:{single}/real_time$'
    out = subprocess.run([bench, f'--benchmark_filter={f}', '--benchmark_min_time=0.15', '--benchmark_format=json'],
                         env=dict(os.environ, LD_LIBRARY_PATH=lib), capture_output=True, text=True).stdout
    return json.loads(out)['benchmarks'][0][field]
res = {l: {'A': [], 'B': []} for l in lanes}
for r in range(rounds):  # A first in even rounds, B first in odd ones
    for l in lanes:
        order = ['A', 'B'] if r % 2 == 0 else ['B', 'A']
        for w in order:
            res[l][w].append(run(liba if w == 'A' else libb, l))
print('load', open('/proc/loadavg').read().split()[:3], field)
one = res[lanes[0]]
for l in lanes:
    a, b = res[l]['A'], res[l]['B']
    ratio = statistics.median([y / x for x, y in zip(a, b)])
    # per sequence-step against one lane in the same round
    pa = statistics.median([x / l / o for x, o in zip(a, one['A'])])
    pb = statistics.median([y / l / o for y, o in zip(b, one['B'])])
    print(f'lanes {l:4d}  A {statistics.median(a):9.1f} us  B {statistics.median(b):9.1f} us  B/A {ratio:5.2f}  '
          f'per-seq-step/one-lane A {pa:5.3f} B {pb:5.3f}  (B min {min(b):.1f})')
