"""ransim.Session: stepping, zero-copy state views, derived variables, live parameters, the
readout. Expected values come from the command line's recording of the same scenario (an
independent path through the code: `ransim run`, the recorder, HDF5, h5py)."""
import gc
import os
import subprocess

import h5py
import numpy as np
import pytest

import ransim

# Figure C (cortex QKV + hippocampus memory units), shortened to 100 tokens and run on 3 lanes.
FIGURE_C_SETS = {"task.warmup": 10, "task.train": 60, "task.test": 30, "simulation.lanes": 3}


def cli_recording(cli, scenario, sets, out):
    args = [cli, "run", scenario, "--out", str(out), "--quiet"]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_states_attention_and_memory_equal_the_cli_recording_bitwise(source_dir, cli, tmp_path):
    scenario = os.path.join(source_dir, "scenarios", "ran_figure_c.toml")
    out = tmp_path / "figure_c.h5"
    cli_recording(cli, scenario, FIGURE_C_SETS, out)
    s = ransim.Session(scenario, set=FIGURE_C_SETS)
    states, attention, memory = [], [], []
    while s.step(1):
        states.append(np.array(s.state("cortex")))
        attention.append(s.attention("cortex"))
        memory.append(s.memory("hippocampus"))
    assert s.token == s.total == 100 and s.status == "complete"
    with h5py.File(out) as f:
        recorded = f["/processing/cortex/state/data"][:]  # [tokens, lanes, units, dim]
        assert recorded.shape == (100, 3, 32, 4)
        assert np.array_equal(np.stack(states), recorded)
        assert np.array_equal(np.stack(attention), f["/processing/cortex/attention/data"][:])
        assert np.array_equal(np.stack(memory), f["/processing/hippocampus/memory/data"][:])
        metrics = s.finish()
        assert metrics["nrmse_test"] == f["/analysis/metrics/nrmse_test"][()]


def test_state_is_a_view_without_copy_that_keeps_the_session_alive(leaky_text):
    s = ransim.Session(leaky_text, **{"simulation.lanes": 4})
    view = s.state("res")
    assert view.shape == (4, 50, 1)
    assert view.base is s                      # the Session owns the memory
    assert not view.flags.owndata and not view.flags.writeable
    address = view.__array_interface__["data"][0]
    before = view.copy()
    s.step(5)
    assert view.__array_interface__["data"][0] == address
    assert s.state("res").__array_interface__["data"][0] == address
    assert not np.array_equal(view, before)    # the view follows the simulation
    # Lanes fastest in memory: lane b of unit u sits at u * lanes + b.
    assert view.strides == (8, 4 * 8, 4 * 8)
    del s
    gc.collect()
    after = view.copy()                        # still readable: the view holds the session
    assert after.shape == (4, 50, 1) and np.isfinite(after).all()
    assert isinstance(view.base, ransim.Session) and view.base.token == 5


def test_step_counts_and_stops_at_the_end(leaky_text):
    s = ransim.Session(leaky_text)
    assert s.step(250) == 250 and s.token == 250
    assert s.step(1000) == 50 and s.done
    assert s.step(1) == 0


def test_live_parameter_changes_the_next_steps(leaky_text):
    # Two sessions, the same until tau changes in one of them after 10 tokens. Euler with
    # dt = T (docs/architecture.md): x' = (1 - a) x + a f(W x + W_in u + b), a = dt / tau, and
    # f is the same in both from the same x and u. tau 2 -> a = 1/2, tau 1 -> a = 1: the one
    # left at tau = 2 steps to (x + x_b) / 2, x_b = f the new state of the other.
    a, b = ransim.Session(leaky_text), ransim.Session(leaky_text)
    a.step(10), b.step(10)
    assert np.array_equal(a.state("res"), b.state("res"))
    assert a.live_parameters("res") == ["tau"]
    x = np.array(a.state("res"))
    b.set_parameter("res", "tau", 1.0)
    a.step(1), b.step(1)
    np.testing.assert_allclose(a.state("res"), (x + b.state("res")) / 2, rtol=1e-13, atol=1e-15)
    assert not np.allclose(a.state("res"), b.state("res"))


def test_readout_fit_get_and_set(leaky_text):
    s = ransim.Session(leaky_text)
    assert s.prediction() is None
    s.step(220)  # warmup + train: the readout is fitted here
    w = s.readout()
    assert w.shape == (51, 1)                  # 50 features + bias, 1 output
    # The prediction is features . W[:-1] + bias.
    s.step(1)
    y = s.prediction()
    x = s.state("res")[0, :, 0]
    assert y.shape == (1, 1)
    assert y[0, 0] == pytest.approx(x @ w[:-1, 0] + w[-1, 0], rel=1e-12)
    # Setting weights: the bias alone predicts the bias.
    s.set_readout(np.vstack([np.zeros((50, 1)), [[0.25]]]))
    s.step(1)
    assert s.prediction()[0, 0] == 0.25
    assert np.array_equal(s.readout()[-1], [0.25])
    # A new fit with another ridge gives other weights than the scenario's 1e-6.
    s.fit_readout(1e-6)
    assert np.array_equal(s.readout(), w)      # the same ridge: the same weights, bitwise
    s.fit_readout(10.0)
    assert not np.allclose(s.readout(), w)


def test_population_weights_and_variables(leaky_text):
    s = ransim.Session(leaky_text)
    assert s.populations == ["res"]
    assert s.variables("res")[0] == "state"
    for name, w in s.weights("res").items():
        assert w.ndim == 2 and np.isfinite(w).all(), name
    s.step(3)
    assert np.array_equal(s.variable("res", "state"), np.array(s.state("res")).reshape(1, 50))
    assert s.input().shape == (1, 1)


def test_set_weight_changes_the_next_step(leaky_text):
    # Euler with dt = T, tau = 2 (a = 1/2): x' = x / 2 + tanh(W x + W_in u + b) / 2. With the
    # recurrent and input matrices set to zero, x' = x / 2 + tanh(b) / 2 for the bias b we set.
    s = ransim.Session(leaky_text)
    assert s.settable_weights() == ["res.bias", "res_to_res", "input_to_res"]
    s.step(5)
    x = np.array(s.state("res")[0, :, 0])
    b = np.linspace(-1, 1, 50)
    s.set_weight("res.bias", b)
    s.set_weight("res_to_res", np.zeros((50, 50)))
    s.set_weight("input_to_res", np.zeros((50, 1)))
    s.step(1)
    np.testing.assert_allclose(s.state("res")[0, :, 0], x / 2 + np.tanh(b) / 2, rtol=1e-14, atol=1e-15)
    assert np.array_equal(s.weights("res")["bias"][:, 0], b)
    with pytest.raises(ransim.InputError, match="'res.bias' is 50 x 1, found 3 x 1"):
        s.set_weight("res.bias", np.zeros(3))
    with pytest.raises(ransim.InputError, match="no weight 'res.tau' can be set"):
        s.set_weight("res.tau", np.zeros(1))
    with pytest.raises(ransim.InputError, match="outside its sparsity"):
        s.set_weight("res_to_res", np.ones((50, 50)))
