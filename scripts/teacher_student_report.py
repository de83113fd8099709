#!/usr/bin/env python3
"""Reads a `ransim train` recording of scenarios/train_teacher_student.toml (or any training of
a gated_linear population) and reports what the gated-RNN paper reports (docs/models.md):

- the validation loss of the best epoch relative to the teacher output's variance
  (/train/loss_validation over /train/validation_target_variance: both on the validation
  sequences, which no gradient step saw);
- the learned lambda: how many lie within 0.05 of 0 or of 1, and their histogram, drawn as an
  SVG figure with --figure.

Usage: python3 scripts/teacher_student_report.py trained.h5 [--population student] [--figure lambda.svg]
Needs python3-h5py and python3-numpy (scripts/setup.sh installs them).
"""
import argparse
import sys

import h5py
import numpy as np


def read(path, population):
    with h5py.File(path, "r") as f:
        if "train" not in f:
            sys.exit(f"{path}: no /train group (not written by `ransim train`)")
        lam_path = f"network/populations/{population}/lambda"
        if lam_path not in f:
            sys.exit(f"{path}: no /{lam_path} (--population names a gated_linear population)")
        validation = np.asarray(f["train/loss_validation"][()], dtype=float)
        best = int(np.asarray(f["train/best_epoch"][()]).reshape(-1)[0])
        variance = float(np.asarray(f["train/validation_target_variance"][()]).reshape(-1)[0])
        lam = np.asarray(f[lam_path][()], dtype=float).reshape(-1)
    return validation, best, variance, lam


def svg_histogram(lam, bins=20, width=480, height=260):
    counts, edges = np.histogram(lam, bins=bins, range=(min(0.0, lam.min()), max(1.0, lam.max())))
    left, right, top, bottom = 50, 20, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(int(counts.max()), 1)
    bar_w = plot_w / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2}" y="18" text-anchor="middle">learned lambda ({lam.size} neurons)</text>']
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        parts.append(f'<rect x="{left + i * bar_w + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                     f'height="{h:.1f}" fill="#3b6ea8"/>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>')
    for v in np.linspace(edges[0], edges[-1], 6):
        x = left + plot_w * (v - edges[0]) / (edges[-1] - edges[0])
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{v:.1f}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">lambda</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("recording")
    ap.add_argument("--population", default="student")
    ap.add_argument("--figure", help="write the lambda histogram as SVG here")
    args = ap.parse_args()
    validation, best, variance, lam = read(args.recording, args.population)
    if best < 1 or variance <= 0:
        sys.exit(f"{args.recording}: no finished epoch or no validation targets' variance")
    near = np.minimum(np.abs(lam), np.abs(lam - 1.0)) <= 0.05
    print(f"best epoch {best} of {validation.size}: validation loss {validation[best - 1]:.4g}, "
          f"teacher output variance {variance:.4g}, relative loss {validation[best - 1] / variance:.3g}")
    print(f"lambda within 0.05 of 0 or 1: {int(near.sum())} of {lam.size} "
          f"(near 0: {int((np.abs(lam) <= 0.05).sum())}, near 1: {int((np.abs(lam - 1) <= 0.05).sum())})")
    print("lambda sorted: " + " ".join(f"{v:.3f}" for v in np.sort(lam)))
    if args.figure:
        with open(args.figure, "w") as out:
            out.write(svg_histogram(lam))
        print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
