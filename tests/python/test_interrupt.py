"""Ctrl-C and the GIL: SIGINT stops run() and Session.step() with KeyboardInterrupt, and other
Python threads run while a session simulates."""
import os
import signal
import subprocess
import sys
import threading
import time

import ransim

# Long enough (about 10^5 tokens of 300 units) that SIGINT arrives while it simulates.
LONG = {
    "simulation": {"integrator": "rk4", "dt": 0.25},
    "task": {"kind": "narma10", "warmup": 10, "train": 100000, "test": 10},
    "population": {"res": {"kind": "leaky", "size": 300, "tau": 2.0}},
    "projection": [{"from": "res", "to": "res", "spectral_radius": 0.9}, {"from": "input", "to": "res"}],
}

CHILD = r"""
import ransim, sys, time
scenario = %r
what = sys.argv[1]
if what == "step":
    s = ransim.Session(scenario)
    print("ready", flush=True)
    try:
        s.step(10**6)
    except KeyboardInterrupt:
        k = s.token
        assert 0 < k < s.total, k
        assert s.step(2) == 2 and s.token == k + 2   # the session goes on from where it stopped
        print("interrupted", k, flush=True)
else:
    print("ready", flush=True)
    try:
        ransim.run(scenario, out=sys.argv[2])
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""


def interrupt_child(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(ransim.__file__)))
    child = subprocess.Popen([sys.executable, "-c", CHILD % (LONG,)] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert child.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    return out


def test_ctrl_c_stops_step_between_tokens(tmp_path):
    assert interrupt_child(["step"], tmp_path).startswith("interrupted")


def test_ctrl_c_stops_run_and_finishes_the_recording(tmp_path):
    import h5py
    out = tmp_path / "run.h5"
    assert interrupt_child(["run", str(out)], tmp_path).startswith("interrupted")
    with h5py.File(out) as f:
        assert f.attrs["status"] == "interrupted"
        # Stopped before the end (the signal may come while the network is still being built).
        assert f["/processing/res/state/data"].shape[0] < 100020


def test_other_threads_run_while_a_session_steps(leaky_text):
    # A counter thread advances only if the stepping thread released the GIL.
    s = ransim.Session(leaky_text, **{"task.train": 20000, "population.res.size": 300})
    ticks, stop = [0], threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    time.sleep(0.05)
    before = ticks[0]
    s.step(15000)
    during = ticks[0] - before
    stop.set()
    counter.join()
    assert s.token == 15000
    assert during > 1000, during
