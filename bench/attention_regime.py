#!/usr/bin/env python3
"""The attention regime study of docs/models.md: for one figure scenario, each context length c
and each way of scoring (the transformer's scaled scores, and standardised scores at several
sharpness values), the mean attention entropy, the largest Lyapunov exponent under the
Mackey-Glass drive, and the test metric of Mackey-Glass, memory capacity and delayed recall.

The ridge of every cell is chosen on validation data, never on the test tokens: the readout
is fitted on the first 1500 training tokens and scored on the last 500 (all inside the
scenario's training part), for each ridge of RIDGES; the best one is then used for the run
on the full training part and the test part. The test part is touched once per cell.

    python3 bench/attention_regime.py build scenarios/ran_figure_c.toml cortex > table.md

BUILD is the build directory (bin/ransim, bin/ransim_echo_state). Markdown goes to stdout,
one line of progress per cell to stderr. The figure of docs/models.md is drawn from that
table (SVG, no plotting library needed):

    python3 bench/attention_regime.py plot table.md docs/images/attention_regime_c.svg "Figure C"
"""
import json
import re
import subprocess
import sys

CONTEXTS = [4, 8, 16, 32]
# (scores, sharpness, position_bias): the transformer's scores; selection by content
# (standardised scores at growing sharpness); selection by position (relative-position biases
# of growing spread on the scaled scores).
SCORES = [("scaled", None, 0), ("standardised", 0.5, 0), ("standardised", 1.0, 0), ("standardised", 2.0, 0),
          ("standardised", 4.0, 0), ("scaled", None, 1.0), ("scaled", None, 2.0), ("scaled", None, 4.0),
          ("scaled", None, 8.0)]
RIDGES = [1e-9, 1e-7, 1e-5, 1e-3, 1e-1]
TASKS = [  # (kind, metric, extra overrides)
    ("mackey_glass", "nrmse", []),
    ("memory_capacity", "memory_capacity", []),
    ("delayed_recall", "accuracy", ["task.delay=5"]),
]
TRAIN, TEST, VALIDATION = 2000, 1000, 500


def run(build, scenario, sets):
    cmd = [f"{build}/bin/ransim", "run", scenario, "--json"]
    for s in sets:
        cmd += ["--set", s]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"attention_regime: {' '.join(cmd)} failed:\n{done.stderr}")
    return json.loads(done.stdout)["metrics"]


def lyapunov(build, scenario, sets, key, value):
    cmd = [f"{build}/bin/ransim_echo_state", scenario, key, str(value)]
    for s in sets:
        cmd += ["--set", s]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return float(re.findall(r"^\| \S+ \| (\S+) \|", out, re.M)[-1])


def cell(build, scenario, pop, c, scores, sharpness, position_bias):
    model = [f"population.{pop}.context={c}", f'population.{pop}.scores="{scores}"',
             f"population.{pop}.position_bias={position_bias}"]
    if sharpness is not None:
        model.append(f"population.{pop}.sharpness={sharpness}")
    row = {}
    for kind, metric, extra in TASKS:
        base = model + [f'task.kind="{kind}"'] + extra
        lower_is_better = metric == "nrmse"

        def validation_score(ridge):
            m = run(build, scenario, base + [f"readout.ridge={ridge}", f"task.train={TRAIN - VALIDATION}",
                                             f"task.test={VALIDATION}"])
            return m[f"{metric}_test"]

        scored = [(validation_score(r), r) for r in RIDGES]
        best = min(scored)[1] if lower_is_better else max(scored)[1]
        m = run(build, scenario, base + [f"readout.ridge={best}", f"task.train={TRAIN}", f"task.test={TEST}"])
        row[kind] = (m[f"{metric}_test"], best)
        if kind == "mackey_glass":
            row["entropy"] = m[f"attention_entropy_{pop}"]
    row["lambda"] = lyapunov(build, scenario, model, f"population.{pop}.context", c)
    return row


PANELS = [("MG nrmse (lower is better)", 6, True), ("memory capacity", 7, False),
          ("recall accuracy, delay 5", 8, False)]
COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]


def plot(table, out, title):
    """Each metric against the attention entropy, two lines per context length c, both from the
    scaled scores at entropy ~1: solid, selection by content (standardised scores, growing
    sharpness); dashed, selection by position (growing position bias)."""
    import math
    lines = {}
    for line in open(table):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[0].isdigit():
            point = [float(cells[4])] + [float(cells[i].split()[0]) for i in (6, 7, 8)]
            c, by_position = int(cells[0]), cells[3] != "0"
            if cells[1] == "scaled" and not by_position:  # the common start of both lines
                lines.setdefault((c, False), []).append(point)
                lines.setdefault((c, True), []).append(point)
            else:
                lines.setdefault((c, by_position), []).append(point)
    left, top, pw, ph, gap, h = 60, 40, 250, 230, 70, 330
    w = left + 3 * pw + 2 * gap + 70  # room for the legend
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
           f'font-size="12"><rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">{title}: test metric against '
           f'the mean attention entropy (1 = uniform)</text>']
    for p, (name, col, log) in enumerate(PANELS):
        x0 = left + p * (pw + gap)
        values = [row[col - 5] for rows in lines.values() for row in rows]
        f = math.log10 if log else (lambda v: v)
        lo, hi = f(min(values)), f(max(values))
        lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
        px = lambda e: x0 + e * pw
        py = lambda v: top + ph - (f(v) - lo) / (hi - lo) * ph
        svg.append(f'<rect x="{x0}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
        svg.append(f'<text x="{x0 + pw / 2}" y="{top + ph + 32}" text-anchor="middle">attention entropy</text>')
        svg.append(f'<text x="{x0 + pw / 2}" y="{top - 8}" text-anchor="middle">{name}</text>')
        for e in (0, 0.5, 1):
            svg.append(f'<text x="{px(e)}" y="{top + ph + 15}" text-anchor="middle">{e:g}</text>')
        for k in range(5):
            t = lo + (hi - lo) * k / 4
            label = f"{10 ** t:.3g}" if log else f"{t:.3g}"
            svg.append(f'<text x="{x0 - 4}" y="{top + ph - ph * k / 4 + 4}" text-anchor="end">{label}</text>')
        contexts = sorted({c for c, _ in lines})
        for (c, by_position), rows in sorted(lines.items()):
            colour = COLOURS[contexts.index(c) % 6]
            dash = ' stroke-dasharray="5,3"' if by_position else ""
            pts = " ".join(f"{px(r[0]):.1f},{py(r[col - 5]):.1f}" for r in rows)
            svg.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            svg += [f'<circle cx="{px(r[0]):.1f}" cy="{py(r[col - 5]):.1f}" r="3" fill="{colour}"/>' for r in rows]
        if p == len(PANELS) - 1:
            for i, c in enumerate(contexts):
                svg.append(f'<text x="{x0 + pw + 8}" y="{top + 14 + 16 * i}" fill="{COLOURS[i % 6]}">c = {c}</text>')
            svg.append(f'<text x="{x0 + pw + 8}" y="{top + 30 + 16 * len(contexts)}">solid: content</text>')
            svg.append(f'<text x="{x0 + pw + 8}" y="{top + 46 + 16 * len(contexts)}">dashed: position</text>')
    svg.append("</svg>")
    open(out, "w").write("\n".join(svg) + "\n")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "plot":
        return plot(*sys.argv[2:])
    if len(sys.argv) != 4:
        sys.exit("usage: attention_regime.py BUILD SCENARIO POPULATION | plot TABLE.md OUT.svg TITLE")
    build, scenario, pop = sys.argv[1:]
    print(f"`{scenario}`, population `{pop}`; ridge chosen on validation from {RIDGES} (in brackets)\n")
    print("| c | scores | sharpness | position bias | entropy | lambda/token | MG nrmse | memory capacity | "
          "recall acc. (delay 5) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in CONTEXTS:
        for scores, sharpness, position_bias in SCORES:
            r = cell(build, scenario, pop, c, scores, sharpness, position_bias)
            mg, mc, dr = r["mackey_glass"], r["memory_capacity"], r["delayed_recall"]
            print(f"| {c} | {scores} | {sharpness if sharpness else '-'} | {position_bias:g} | {r['entropy']:.3f} | "
                  f"{r['lambda']:+.3f} | {mg[0]:.4f} ({mg[1]:g}) | {mc[0]:.2f} ({mc[1]:g}) | "
                  f"{dr[0]:.3f} ({dr[1]:g}) |", flush=True)
            print(f"attention_regime: c = {c}, {scores} {sharpness or ''} position {position_bias:g} done",
                  file=sys.stderr)


if __name__ == "__main__":
    main()
