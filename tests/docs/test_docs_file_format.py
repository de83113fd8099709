#!/usr/bin/env python3
"""docs/file-format.md against a real recording, so that the page cannot go stale.

    test_docs_file_format.py SOURCE_DIR RANSIM_CLI PLUGIN_DIR

1. Each python block of the page is run in a fresh directory, after the command its first
   line names (`# made by: ransim run scenarios/X.toml --out run.h5`).
2. Every absolute path the page names in backticks (placeholders such as <name> filled in
   for the quick start's reservoir `res`) must exist in that scenario's recording, except in
   the sections about episode runs and comparisons, which describe other files.
Exit status 0 when both hold; otherwise each failure is printed with its line.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

import h5py

SOURCE, CLI, PLUGINS = (os.path.abspath(a) for a in sys.argv[1:4])
DOC = os.path.join(SOURCE, "docs", "file-format.md")
OTHER_FILES = ("### Episode runs", "### Comparisons")  # sections about other recordings
QUICK_START = "run scenarios/quickstart.toml --out run.h5"
# Sections about a stream recording made with other settings: checked against that recording.
OTHER_RUNS = {"### `/analysis/ridge_selection`": QUICK_START + " --set readout.ridge=auto --set task.validation=50"}
FILL = [  # placeholder -> the quick start's name, most specific first
    ("/network/projections/<name>", "/network/projections/res_to_res"),
    ("weights_from_<source>", "weights_from_res"),
    ("/network/populations/<name>", "/network/populations/res"),
    ("/processing/<population>/<variable>", "/processing/res/state"),
    ("/processing/<name>", "/processing/res"),
    ("/analysis/metrics/<name>", "/analysis/metrics/nrmse_test"),
]
failures = []


def python_blocks(lines):
    """(line number, text) of each ```python block."""
    out, start, body = [], None, []
    for n, line in enumerate(lines, 1):
        if start is None and line.strip() == "```python":
            start, body = n, []
        elif start is not None and line.strip() == "```":
            out.append((start, "".join(body)))
            start = None
        elif start is not None:
            body.append(line)
    return out


def make_recording(command, directory):
    args = shlex.split(command)
    args = [os.path.join(SOURCE, a) if a.endswith(".toml") else a for a in args]
    r = subprocess.run([CLI] + args + ["--quiet", "--plugin-dir", PLUGINS], cwd=directory,
                       capture_output=True, text=True, timeout=600)
    return r.returncode == 0, r.stderr.strip()[-400:]


def run_blocks(lines):
    for line, text in python_blocks(lines):
        made = re.match(r"# made by: (?:build/bin/)?ransim (.+)\n", text)
        if not made:
            failures.append(f"docs/file-format.md:{line}: the block does not start with `# made by: ...`")
            continue
        with tempfile.TemporaryDirectory() as d:
            ok, err = make_recording(made.group(1), d)
            if not ok:
                failures.append(f"docs/file-format.md:{line}: `ransim {made.group(1)}` failed: {err}")
                continue
            r = subprocess.run([sys.executable, "-c", text], cwd=d, capture_output=True, text=True,
                               timeout=600)
            if r.returncode != 0:
                failures.append(f"docs/file-format.md:{line}: the example fails:\n{r.stderr.strip()[-1500:]}")


def documented_paths(lines):
    """(line number, path, the command of the recording that must hold it) of each path in
    backticks outside the sections on other files."""
    out, skip, run = [], False, QUICK_START
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            skip = line.strip().startswith(OTHER_FILES)
            run = next((cmd for head, cmd in OTHER_RUNS.items() if line.strip().startswith(head)), QUICK_START)
        if skip:
            continue
        for path in re.findall(r"`(/(?:general|acquisition|processing|analysis|network)[^`\s\[]*)", line):
            for placeholder, name in FILL:
                path = path.replace(placeholder, name)
            if "<" not in path and "..." not in path:
                out.append((n, path.rstrip("/"), run))
    return out


def check_paths(lines):
    paths = documented_paths(lines)
    for run in dict.fromkeys(cmd for _, _, cmd in paths):
        with tempfile.TemporaryDirectory() as d:
            ok, err = make_recording(run, d)
            if not ok:
                failures.append(f"`ransim {run}` did not run: {err}")
                continue
            with h5py.File(os.path.join(d, "run.h5"), "r") as f:
                for line, path, cmd in paths:
                    if cmd == run and path not in f:
                        failures.append(f"docs/file-format.md:{line}: {path} is not in the recording of "
                                        f"`ransim {run}`")
    return len(paths)


def main():
    with open(DOC, encoding="utf-8") as f:
        lines = f.readlines()
    run_blocks(lines)
    checked = check_paths(lines)
    for failure in failures:
        print("FAIL " + failure)
    print(f"docs/file-format.md: {len(python_blocks(lines))} python blocks, {checked} paths checked, "
          f"{len(failures)} failures")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
