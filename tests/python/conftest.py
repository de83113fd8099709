"""Fixtures of the pytest suite of the Python module ransim (python/, docs/python.md).

ctest runs it with PYTHONPATH at the build's module, RANSIM_SOURCE_DIR the repository and
RANSIM_CLI the build's `ransim` (tests/python/CMakeLists.txt)."""
import os

import pytest

SOURCE = os.environ.get("RANSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("RANSIM_CLI", "")

# A small leaky reservoir on NARMA-10, Euler with dt = T (the discrete ESN): quick to run.
LEAKY = """
seed = 3
[simulation]
integrator = "euler"
dt = 1.0
token_period = 1.0
[task]
kind = "narma10"
warmup = 20
train = 200
test = 80
[population.res]
kind = "leaky"
size = 50
tau = 2.0
[[projection]]
from = "res"
to = "res"
density = 0.2
spectral_radius = 0.9
[[projection]]
from = "input"
to = "res"
density = 1.0
scale = 0.3
[readout]
ridge = 1e-6
"""


@pytest.fixture
def leaky_text():
    return LEAKY


@pytest.fixture
def source_dir():
    return os.path.abspath(SOURCE)


@pytest.fixture
def cli():
    assert CLI and os.path.exists(CLI), "RANSIM_CLI must name the build's ransim (ctest sets it)"
    return CLI
