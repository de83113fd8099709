#!/usr/bin/env python3
"""The scripts of bench/ that issue 20's measurements rest on run, and refuse bad arguments.

Run by CTest (tests/CMakeLists.txt) with the paths of this build's programs in the environment:
RANSIM_SOURCE_DIR, RANSIM_BENCH_LANES (ransim_bench_lanes), RANSIM_LIB_DIR (the folder of
libransim.so.0), RANSIM_NETWORK_BUILD (ransim_network_build). No timing is checked: only that
each script gets its numbers and prints what the docs say it prints.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ['RANSIM_SOURCE_DIR']
LANES_BENCH = os.environ['RANSIM_BENCH_LANES']
LIB_DIR = os.environ['RANSIM_LIB_DIR']
NETWORK_BUILD = os.environ['RANSIM_NETWORK_BUILD']


def run(*args, timeout=240):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)


def lane_sweep(*args):
    return run(sys.executable, os.path.join(SOURCE, 'bench', 'lane_sweep.py'), *args)


class LaneSweep(unittest.TestCase):
    def test_one_round_prints_each_lane_count_and_the_verdict(self):
        out = lane_sweep(LANES_BENCH, '--rounds', '1', '--lanes', '1,8', '--min-time', '0.01')
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = {int(m.group(1)): float(m.group(2))
                for m in re.finditer(r'lanes +(\d+) .*per-seq-step/one-lane +([0-9.]+)', out.stdout)}
        self.assertEqual(sorted(rows), [1, 8], out.stdout)
        # One lane against itself: the same run on both sides of the pair, a ratio of exactly 1.
        self.assertEqual(rows[1], 1.0)
        self.assertGreater(rows[8], 0.0)
        self.assertRegex(out.stdout, r'item 1: (met|not met)')
        self.assertIn('round 1/1', out.stderr)  # progress

    def test_a_steadily_drifting_clock_cancels_out(self):
        # A stand-in for ransim_bench_lanes whose every process takes 10% of the first one's
        # time longer than the one before (a clock drifting down at a steady rate), and where
        # L lanes cost 0.25 L times one lane at the same moment: the sweep, one lane on either
        # side of each lane count, must find exactly 0.25, the mean of a linear drift at both
        # ends being its value in the middle (a pair of two processes is off by one step of
        # the drift, ~10%).
        with tempfile.TemporaryDirectory() as folder:
            fake, count = os.path.join(folder, 'bench'), os.path.join(folder, 'count')
            with open(fake, 'w') as f:
                f.write(f"""#!{sys.executable}
import json, re, sys
n = int(open({count!r}).read()) if __import__('os').path.exists({count!r}) else 0
open({count!r}, 'w').write(str(n + 1))
lanes = int(re.search(r'lanes:(\\d+)', ' '.join(sys.argv)).group(1))
t = 10.0 * (1 + 0.1 * n) * (1.0 if lanes == 1 else 0.25 * lanes)
print(json.dumps({{'benchmarks': [{{'real_time': t, 'cpu_time': t}}]}}))
""")
            os.chmod(fake, 0o755)
            out = lane_sweep(fake, '--rounds', '3', '--lanes', '1,8,64')
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = re.findall(r'lanes +(\d+) .*per-seq-step/one-lane +([0-9.]+)', out.stdout)
        self.assertEqual(rows, [('1', '1.000'), ('8', '0.250'), ('64', '0.250')], out.stdout)

    def test_two_libraries_print_their_ratio(self):
        out = lane_sweep(LANES_BENCH, '--ab', LIB_DIR, LIB_DIR, '--kind', 'Product', '--rounds', '1',
                         '--lanes', '1', '--min-time', '0.01')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r'lanes +1 +A .* B .* B/A +[0-9.]+')

    def test_bad_arguments_are_refused_with_a_message(self):
        for args, says in [(['--lanes', '3,x'], '--lanes'), (['--lanes', '0'], '--lanes'),
                           (['--lanes', '257'], '--lanes'), (['--rounds', '0'], '--rounds'),
                           (['--kind', 'Walk'], '--kind')]:
            out = lane_sweep(LANES_BENCH, *args)
            self.assertEqual(out.returncode, 2, args)
            self.assertIn(says, out.stderr, args)
        out = lane_sweep(os.path.join(SOURCE, 'no_such_binary'))
        self.assertEqual(out.returncode, 2)
        self.assertIn('not an executable', out.stderr)
        self.assertIn('RANSIM_BUILD_BENCH', out.stderr)  # the CMake option that builds it


class ReservoirPySideBySide(unittest.TestCase):
    def script(self, *args):
        return run(sys.executable, os.path.join(SOURCE, 'bench', 'reservoirpy_side_by_side.py'), *args)

    def test_a_tree_without_reservoirpy_is_refused_before_anything_runs(self):
        out = self.script('--reservoirpy', SOURCE, '--shim', '')
        self.assertEqual(out.returncode, 2)
        self.assertIn('--reservoirpy', out.stderr)
        self.assertIn('holds no reservoirpy package', out.stderr)

    def test_unknown_workloads_missing_folders_and_no_rounds_are_refused(self):
        with tempfile.TemporaryDirectory() as tree:
            os.mkdir(os.path.join(tree, 'reservoirpy'))  # passes the tree's check, runs nothing
            for args, says in [(['--shim', os.path.join(tree, 'no_such_folder')], '--shim'),
                               (['--shim', '', '--only', 'step1000,walk'], "unknown workload 'walk'"),
                               (['--shim', '', '--rounds', '0'], '--rounds'),
                               (['--shim', '', '--bench', os.path.join(tree, 'no_such_binary')], '--bench')]:
                out = self.script('--reservoirpy', tree, *args)
                self.assertEqual(out.returncode, 2, args)
                self.assertIn(says, out.stderr, args)


class NetworkBuild(unittest.TestCase):
    scenario = os.path.join(SOURCE, 'bench', 'network_build_10k.toml')

    def test_the_build_check_scenario_runs_at_a_small_size(self):
        # The scenario itself, shrunk by the same --set its header documents for 10^5 units.
        out = run(NETWORK_BUILD, self.scenario, '--set', 'population.res.size=300')
        self.assertEqual(out.returncode, 0, out.stderr)
        for key in ('build_s', 'first_step_s', 'per_step_s'):
            self.assertRegex(out.stdout, key + r' [0-9.e+-]+')

    def test_a_bad_setting_names_itself(self):
        out = run(NETWORK_BUILD, self.scenario, '--set', 'population.res.size=-5')
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('size', out.stderr)
        out = run(NETWORK_BUILD)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('usage', out.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
