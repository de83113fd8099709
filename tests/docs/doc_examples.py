#!/usr/bin/env python3
"""Runs the code examples of the project's documentation, so that none can go stale.

    doc_examples.py SOURCE_DIR RANSIM_CLI PLUGIN_DIR

Markdown files: README.md, CONTRIBUTING.md, docs/*.md (but file-format.md, which
test_docs_file_format.py runs), plugins/**/README.md. For each fenced
block, by its language:
  python  run in a fresh directory. A block that opens a recording says first how it was
          made, in a comment: `# made by: ransim run scenarios/X.toml --out run.h5`; that
          command is run there first. A block that imports the module ransim (docs/python.md;
          ctest puts it on PYTHONPATH) finds the repository's scenarios/ in that directory.
  toml    a scenario ([task] present) is run; a population table alone is run inside a
          small scenario (NARMA-10, an input projection). A block marked `toml fragment`
          (part of a larger file) is only parsed as TOML.
  sh      each `ransim` command's scenario files must exist and its flags must be ones
          `ransim --help` lists; `ransim info` is run.
Exit status 0 when every example ran; otherwise each failure names the file and line.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib

SOURCE, CLI, PLUGINS = (os.path.abspath(a) for a in sys.argv[1:4])
failures = []
counts = {}


def fail(where, what):
    failures.append(f"{where}: {what}")


def blocks(path):
    """(line, language, info, text) of each fenced block."""
    out, lang, start, lines = [], None, 0, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if lang is None and line.startswith("```") and line.strip() != "```":
                lang, start, lines = line[3:].strip(), n, []
            elif lang is not None and line.strip() == "```":
                out.append((start, lang.split()[0], lang, "".join(lines)))
                lang = None
            elif lang is not None:
                lines.append(line)
    return out


def ransim(args, cwd, where):
    r = subprocess.run([CLI] + args + ["--plugin-dir", PLUGINS], cwd=cwd, capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        fail(where, f"`ransim {' '.join(args)}` exited {r.returncode}: {r.stderr.strip()[-400:]}")
    return r.returncode == 0


def resolve(arg):
    return os.path.join(SOURCE, arg) if not os.path.isabs(arg) else arg


def check_python(where, text):
    with tempfile.TemporaryDirectory() as d:
        for made in re.findall(r"^# made by: (?:build/bin/)?ransim (.+)$", text, re.M):
            args = shlex.split(made)
            args = [resolve(a) if a.endswith(".toml") else a for a in args]
            if not ransim(args + ["--quiet"], d, where):
                return
        if re.search(r"^import ransim", text, re.M):
            os.symlink(os.path.join(SOURCE, "scenarios"), os.path.join(d, "scenarios"))
        if "h5py.File(" in text and "# made by:" not in text:
            fail(where, "opens a recording but does not say how it was made (# made by: ransim run ...)")
            return
        r = subprocess.run([sys.executable, "-c", text], cwd=d, capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            fail(where, "the python example fails:\n" + r.stderr.strip()[-1500:])


SMALL_TASK = '[task]\nkind = "narma10"\nwarmup = 10\ntrain = 100\ntest = 50\n'


def check_toml(where, info, text):
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        fail(where, f"not valid TOML: {e}")
        return
    if "fragment" in info.split()[1:]:
        return
    if "task" not in doc and "population" in doc:
        name = next(iter(doc["population"]))
        text = SMALL_TASK + text + f'\n[[projection]]\nfrom = "input"\nto = "{name}"\ndensity = 1.0\n'
    elif "task" not in doc:
        fail(where, "a toml example that is neither a scenario nor a population table; "
                    "mark it `toml fragment` if it is part of a larger file")
        return
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "example.toml"), "w") as f:
            f.write(text)
        ransim(["run", "example.toml", "--quiet", "--set", "task.warmup=10", "--set", "task.train=100",
                "--set", "task.test=50"], d, where)


def check_sh(where, text, flags):
    text = text.replace("\\\n", " ")
    for n, line in enumerate(text.splitlines()):
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words[:1] == ["xvfb-run"]:
            words = [w for w in words[1:] if w != "-a"]
        if not words or os.path.basename(words[0]) != "ransim" or len(words) < 2:
            continue
        at = f"{where} (+{n})"
        if words[1] == "info":
            ransim(["info"], SOURCE, at)
        for w in words[2:]:
            if w.startswith("--") and w not in flags:
                fail(at, f"`{w}` is not a flag of ransim (ransim --help)")
            if re.match(r"^(scenarios|tests)/.*\.toml$", w) and not os.path.exists(resolve(w)):
                fail(at, f"{w} does not exist")


def main():
    usage = subprocess.run([CLI, "--help"], capture_output=True, text=True).stdout
    flags = set(re.findall(r"--[a-z][a-z-]*", usage))
    files = [os.path.join(SOURCE, f) for f in ("README.md", "CONTRIBUTING.md")]
    # docs_file_format (test_docs_file_format.py) runs that page's examples and checks its
    # paths against a recording, so it is left out here: no page runs twice.
    files += [f for f in sorted(glob.glob(os.path.join(SOURCE, "docs", "*.md")))
              if os.path.basename(f) != "file-format.md"]
    files += sorted(glob.glob(os.path.join(SOURCE, "plugins", "**", "README.md"), recursive=True))
    for path in filter(os.path.exists, files):
        rel = os.path.relpath(path, SOURCE)
        for line, lang, info, text in blocks(path):
            where = f"{rel}:{line}"
            if lang == "python":
                check_python(where, text)
            elif lang == "toml":
                check_toml(where, info, text)
            elif lang == "sh":
                check_sh(where, text, flags)
            else:
                continue
            counts[lang] = counts.get(lang, 0) + 1
    for f in failures:
        print("FAIL " + f)
    ran = sum(counts.values())
    print(f"doc examples: {ran - len(failures)} passed, {len(failures)} failed "
          f"({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))})")
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
