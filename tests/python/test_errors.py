"""Bad input raises ransim.InputError carrying the C++ message (never a crash)."""
import numpy as np
import pytest

import ransim


def test_bad_value_names_the_key_and_the_line(leaky_text):
    bad = leaky_text.replace("tau = 2.0", "tau = -1.0")
    with pytest.raises(ransim.InputError) as e:
        ransim.run(bad)
    # The scenario parser's message: <string>:line:col: key: expected ..., found ...
    line = bad.splitlines().index("tau = -1.0") + 1
    assert f"<string>:{line}:" in str(e.value)
    assert "population.res.tau: expected a real number > 0" in str(e.value)
    assert "found the number -1" in str(e.value)


def test_input_error_is_a_value_error_and_run_error_a_runtime_error():
    assert issubclass(ransim.InputError, ValueError)
    assert issubclass(ransim.RunError, RuntimeError)


def test_bad_override_names_the_key(leaky_text):
    with pytest.raises(ransim.InputError, match="population.res.size"):
        ransim.run(leaky_text, **{"population.res.size": "many"})
    with pytest.raises(ransim.InputError, match="population.res.tau"):
        ransim.run(leaky_text, set={"population.res.tau": object()})


def test_missing_file_and_wrong_types(tmp_path):
    with pytest.raises(ransim.InputError, match="nope.toml"):
        ransim.run(str(tmp_path / "nope.toml"))
    with pytest.raises(ransim.InputError, match="expected a path, TOML text or a dict"):
        ransim.run(42)
    with pytest.raises(ransim.InputError, match="task"):
        ransim.run({"population": {"res": {"kind": "leaky", "size": 10}}})


def test_session_errors(leaky_text):
    s = ransim.Session(leaky_text)
    with pytest.raises(ransim.InputError, match="no population named 'cortex'"):
        s.state("cortex")
    with pytest.raises(ransim.InputError, match="no variable named 'attention'"):
        s.attention("res")
    with pytest.raises(ransim.InputError, match="res.size cannot change during a run"):
        s.set_parameter("res", "size", 10)
    with pytest.raises(ransim.InputError, match="res.tau: expected a real number > 0"):
        s.set_parameter("res", "tau", -2.0)
    with pytest.raises(ransim.InputError, match="fitted after token 220"):
        s.fit_readout(1e-3)
    with pytest.raises(ransim.InputError, match="no ridge readout|expected weights shaped"):
        s.set_readout([[1.0]])
    with pytest.raises(ransim.InputError, match="step: n must be >= 0, found -1"):
        s.step(-1)
    assert s.step(0) == 0


def test_negative_counts_are_named():
    # Counts are ints >= 0; a negative one names the function and the argument (pybind11 alone
    # would say "incompatible function arguments").
    weights = np.full((2, 4), 0.25)
    with pytest.raises(ransim.InputError, match="normalised_entropy: groups must be >= 0, found -2"):
        ransim.analysis.normalised_entropy(weights, groups=-2)
    with pytest.raises(ransim.InputError, match="power_spectrum: segment must be >= 0, found -8"):
        ransim.analysis.power_spectrum(np.zeros((64, 1)), 1.0, -8)
    for name in ("settle", "tokens", "seed"):
        with pytest.raises(ransim.InputError, match=f"largest_lyapunov: {name} must be >= 0, found -1"):
            ransim.analysis.largest_lyapunov(np.eye(2) * 0.5, **{name: -1})
