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
SCORES = [("scaled", None), ("standardised", 0.5), ("standardised", 1.0), ("standardised", 2.0),
          ("standardised", 4.0)]
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


def cell(build, scenario, pop, c, scores, sharpness):
    model = [f"population.{pop}.context={c}", f'population.{pop}.scores="{scores}"']
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


PANELS = [("MG nrmse (lower is better)", 5, True), ("memory capacity", 6, False),
          ("recall accuracy, delay 5", 7, False)]
COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]


def plot(table, out, title):
    """Each metric against the attention entropy, one line per context length c (from the
    scaled scores at entropy ~1 to the sharpest standardised scores)."""
    import math
    lines = {}
    for line in open(table):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0].isdigit():
            lines.setdefault(int(cells[0]), []).append(
                [float(cells[3])] + [float(cells[i].split()[0]) for i in (5, 6, 7)])
    left, top, pw, ph, gap, h = 60, 40, 250, 230, 70, 330
    w = left + 3 * pw + 2 * gap + 70  # room for the legend
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
           f'font-size="12"><rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">{title}: test metric against '
           f'the mean attention entropy (1 = uniform)</text>']
    for p, (name, col, log) in enumerate(PANELS):
        x0 = left + p * (pw + gap)
        values = [row[col - 4] for rows in lines.values() for row in rows]
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
        for i, (c, rows) in enumerate(sorted(lines.items())):
            pts = " ".join(f"{px(r[0]):.1f},{py(r[col - 4]):.1f}" for r in rows)
            svg.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS[i % 6]}" stroke-width="2"/>')
            svg += [f'<circle cx="{px(r[0]):.1f}" cy="{py(r[col - 4]):.1f}" r="3" fill="{COLOURS[i % 6]}"/>'
                    for r in rows]
            if p == len(PANELS) - 1:
                svg.append(f'<text x="{x0 + pw + 8}" y="{top + 14 + 16 * i}" fill="{COLOURS[i % 6]}">c = {c}</text>')
    svg.append("</svg>")
    open(out, "w").write("\n".join(svg) + "\n")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "plot":
        return plot(*sys.argv[2:])
    if len(sys.argv) != 4:
        sys.exit("usage: attention_regime.py BUILD SCENARIO POPULATION | plot TABLE.md OUT.svg TITLE")
    build, scenario, pop = sys.argv[1:]
    print(f"`{scenario}`, population `{pop}`; ridge chosen on validation from {RIDGES} (in brackets)\n")
    print("| c | scores | sharpness | entropy | lambda/token | MG nrmse | memory capacity | recall acc. (delay 5) |")
    print("|---|---|---|---|---|---|---|---|")
    for c in CONTEXTS:
        for scores, sharpness in SCORES:
            r = cell(build, scenario, pop, c, scores, sharpness)
            mg, mc, dr = r["mackey_glass"], r["memory_capacity"], r["delayed_recall"]
            print(f"| {c} | {scores} | {sharpness if sharpness else '-'} | {r['entropy']:.3f} | "
                  f"{r['lambda']:+.3f} | {mg[0]:.4f} ({mg[1]:g}) | {mc[0]:.2f} ({mc[1]:g}) | "
                  f"{dr[0]:.3f} ({dr[1]:g}) |", flush=True)
            print(f"attention_regime: c = {c}, {scores} {sharpness or ''} done", file=sys.stderr)


if __name__ == "__main__":
    main()
