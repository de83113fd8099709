"""ransim.analysis and ransim.analyze(): the measures of `ransim analyze` on numpy arrays,
against closed forms and numpy, and the analysis of a recording as a dict."""
import math

import h5py
import numpy as np
import pytest

import ransim
from ransim import analysis


def test_memory_curve_closed_form_and_numpy():
    # Column 0 an affine copy (1), column 1 the target plus an orthogonal signal of equal norm
    # (0.5), column 2 a constant (no variance: 0).
    target = np.array([[1, 1, 1], [-1, -1, -1], [1, 1, 1], [-1, -1, -1]], dtype=float)
    output = np.array([[1, 2, 7], [5, 0, 7], [1, 0, 7], [5, -2, 7]], dtype=float)
    assert analysis.memory_curve(target, output) == pytest.approx([1.0, 0.5, 0.0], abs=1e-15)
    rng = np.random.default_rng(4)
    y = rng.normal(size=(300, 5))
    yhat = y + rng.normal(size=(300, 5)) * np.arange(1, 6)
    expected = [np.corrcoef(y[:, d], yhat[:, d])[0, 1] ** 2 for d in range(5)]
    assert analysis.memory_curve(y, yhat) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ransim.InputError, match="memory curve: target is 4 x 3 but output is 4 x 2"):
        analysis.memory_curve(target, output[:, :2])


def test_normalised_entropy_uniform_rows_are_one():
    weights = np.array([[0.25, 0.25, 0.25, 0.25], [0, 0, 1, 0], [0.5, 0.5, 0, 0]])
    assert analysis.normalised_entropy(weights) == pytest.approx([1.0, 0.0, 1.0], abs=1e-15)
    assert analysis.normalised_entropy(np.array([[0.5, 0.5, 1, 0]]), groups=2) == pytest.approx([0.5])


def test_slot_usage():
    m = np.array([[1.0, 0.5, 0.0], [2.0, 0.01, 0.019], [1.0, 0.02, 0.005], [0.0, -1.0, 0.0]])
    u = analysis.slot_usage(m)
    assert u["dead"] == 1
    assert u["slot_share"] == pytest.approx([0.75, 0.5, 0.0])
    assert u["sample_share"] == pytest.approx([2 / 3, 1 / 3, 2 / 3, 0])


def test_pca_against_numpy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    p = analysis.pca(x)
    expected = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    assert p["variance"] == pytest.approx(expected, rel=1e-10)
    assert p["explained"].sum() == pytest.approx(1.0)
    assert p["participation_ratio"] == pytest.approx(expected.sum() ** 2 / (expected ** 2).sum(), rel=1e-10)


def test_power_spectrum_of_a_sine():
    rate, amplitude, f0 = 10.0, 2.0, 32 * 10.0 / 256
    t = np.arange(2048) / rate
    frequency, power = analysis.power_spectrum(amplitude * np.sin(2 * np.pi * f0 * t), rate, 256)
    assert frequency[np.argmax(power)] == pytest.approx(f0)
    # Parseval: the density summed times the bin width is A^2 / 2.
    assert power.sum() * rate / 256 == pytest.approx(amplitude ** 2 / 2, rel=1e-9)


def test_largest_lyapunov_of_a_map_and_a_scenario(leaky_text):
    c, s = math.cos(0.7), math.sin(0.7)
    rotation = 0.8 * np.array([[c, -s], [s, c]])
    assert analysis.largest_lyapunov(rotation) == pytest.approx(math.log(0.8), abs=1e-12)
    # The leaky reservoir (spectral radius 0.9, tanh) forgets: a negative exponent, and the
    # same number for the same scenario given twice.
    first = analysis.largest_lyapunov(leaky_text, settle=50, tokens=100)
    assert first < 0
    assert analysis.largest_lyapunov(leaky_text, settle=50, tokens=100) == first
    with pytest.raises(ransim.InputError, match="tokens must be at least 1"):
        analysis.largest_lyapunov(rotation, tokens=0)


def test_analyze_a_recording(leaky_text, tmp_path):
    out = str(tmp_path / "mc.h5")
    result = ransim.run(leaky_text, out=out, **{"task.kind": "memory_capacity", "task.max_delay": 10})
    report = ransim.analyze(out)
    curve = report["memory_curve"]
    assert curve["available"], curve["note"]
    assert curve["sum"] == pytest.approx(result["metrics"]["memory_capacity_test"], rel=1e-12)
    # The same curve from the arrays of the file.
    with h5py.File(out, "r") as f:
        first, end = f["/analysis/split"].attrs["test"]
        y = f["/acquisition/target/data"][first:end].reshape(-1, 10)
        yhat = f["/analysis/readout/output/data"][first:end].reshape(-1, 10)
    assert curve["r2"] == pytest.approx(list(analysis.memory_curve(y, yhat)), rel=1e-12)
    res = report["populations"][0]
    assert res["name"] == "res" and not res["attention_entropy"]["available"]
    with pytest.raises(ransim.InputError, match="cannot open the file: no such file"):
        ransim.analyze(str(tmp_path / "missing.h5"))
