"""ransim.run(): scenarios as a path, TOML text and a dict; overrides; the recorded series."""
import json
import subprocess
import tomllib

import h5py
import numpy as np
import pytest

import ransim


def test_text_dict_and_path_give_the_same_run(leaky_text, tmp_path):
    # The same scenario three ways must give bitwise the same metrics (same seed, same code).
    path = tmp_path / "leaky.toml"
    path.write_text(leaky_text)
    from_text = ransim.run(leaky_text)
    from_dict = ransim.run(tomllib.loads(leaky_text))
    from_path = ransim.run(str(path))
    from_pathlib = ransim.run(path)
    assert from_text["status"] == "complete"
    assert from_text["tokens"] == 300
    assert from_text["metrics"] == from_dict["metrics"] == from_path["metrics"] == from_pathlib["metrics"]
    assert "nrmse_test" in from_text["metrics"]


def test_overrides_as_keywords_and_set_dict_match_the_cli(leaky_text, tmp_path, cli):
    # --set population.res.tau=1.5 --seed 9 from the command line is the reference.
    path = tmp_path / "leaky.toml"
    path.write_text(leaky_text)
    r = subprocess.run([cli, "run", str(path), "--set", "population.res.tau=1.5", "--seed", "9", "--json",
                        "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cli_metrics = json.loads(r.stdout)["metrics"]
    by_keywords = ransim.run(str(path), seed=9, **{"population.res.tau": 1.5})
    by_set = ransim.run(str(path), set={"population.res.tau": 1.5, "seed": 9})
    assert by_keywords["metrics"] == by_set["metrics"]
    for name, value in cli_metrics.items():  # the CLI prints 17 significant digits
        assert by_keywords["metrics"][name] == pytest.approx(value, rel=1e-15, abs=0), name
    assert by_keywords["metrics"] != ransim.run(str(path))["metrics"]


def test_recorded_series_equal_the_recording_bitwise(leaky_text, tmp_path):
    out = tmp_path / "run.h5"
    r = ransim.run(leaky_text, record=True, out=str(out))
    assert r["out"] == str(out)
    series = r["series"]
    with h5py.File(out) as f:
        state = f["/processing/res/state/data"][:]
        assert series["res.state"].dtype == np.float64
        assert series["res.state"].shape == state.shape == (300, 1, 50)
        assert np.array_equal(series["res.state"], state)
        assert np.array_equal(series["input"], f["/acquisition/input/data"][:])


def test_record_without_a_file_uses_a_temporary_one(leaky_text):
    r = ransim.run(leaky_text, record=True)
    assert r["out"] is None
    assert r["series"]["res.state"].shape == (300, 1, 50)


def test_an_existing_recording_is_replaced_only_with_overwrite(leaky_text, tmp_path):
    out = tmp_path / "run.h5"
    out.write_bytes(b"keep me")
    with pytest.raises(ransim.InputError):
        ransim.run(leaky_text, out=str(out))
    assert out.read_bytes() == b"keep me"
    ransim.run(leaky_text, out=str(out), overwrite=True)
    with h5py.File(out) as f:
        assert f.attrs["status"] == "complete"
