"""ransim.compare(): the table as a list of dicts with the CSV's columns and values."""
import csv
import math
import subprocess

import pytest

import ransim

MODEL = """
[model.{name}]
simulation = {{ integrator = "euler", dt = 1.0 }}
readout = {{ ridge = 1e-6 }}
population.res = {{ kind = "leaky", size = {size}, tau = 2.0 }}
[[model.{name}.projection]]
from = "res"
to = "res"
spectral_radius = 0.9
[[model.{name}.projection]]
from = "input"
to = "res"
"""

CONFIG = """
description = "two leaky reservoirs on NARMA-10"
seeds = [1, 2]

[task.narma10]
warmup = 20
train = 200
test = 100
""" + MODEL.format(name="small", size=20) + MODEL.format(name="large", size=40)


def test_rows_equal_the_cli_csv(tmp_path, cli):
    config = tmp_path / "compare.toml"
    config.write_text(CONFIG)
    r = subprocess.run([cli, "compare", str(config), "--out", str(tmp_path / "cli"), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "cli.csv", newline="") as f:
        expected = list(csv.DictReader(f))
    rows = ransim.compare(str(config), out=str(tmp_path / "py"))
    assert (tmp_path / "py.csv").exists() and (tmp_path / "py.md").exists()
    assert [list(row) for row in rows] == [list(row) for row in expected]  # the same columns, in order
    assert [(row["model"], row["task"]) for row in rows] == [("small", "narma10"), ("large", "narma10")]
    for row, text in zip(rows, expected):
        assert row["completed"] == row["runs"] == 2
        assert row["higher_is_better"] is False
        for column, value in text.items():
            if column == "wall_seconds":
                assert row[column] > 0
            elif value == "null":
                assert math.isnan(row[column]), column
            elif column in ("task", "metric", "model", "higher_is_better"):
                assert str(row[column]).lower() == value, column
            else:
                assert row[column] == float(value), column


def test_overrides_apply_to_every_run(tmp_path):
    config = tmp_path / "compare.toml"
    config.write_text(CONFIG)
    base = ransim.compare(str(config))
    changed = ransim.compare(str(config), **{"readout.ridge": 1e-2})
    assert [r["mean"] for r in base] != [r["mean"] for r in changed]
    assert [r["state_size"] for r in changed] == [20, 40]


def test_bad_config_names_file_line_col(tmp_path):
    config = tmp_path / "compare.toml"
    config.write_text(CONFIG.replace("size = 40", "size = -40"))
    with pytest.raises(ransim.InputError, match=r"compare.toml:\d+:\d+"):
        ransim.compare(str(config))
