#!/usr/bin/env python3
"""Training speed side by side: `ransim train` against a PyTorch re-implementation of the same
network (docs/performance.md, "Training against PyTorch").

The scenario must be figure C as scenarios/train_ran_figure_c.toml builds it: cortex_qkv units
(context_mode "time", one head, no biases, scaled scores, no feed-forward), hippocampus_memory
units (relu, per-unit store), a dense input projection into the cortex, identity routing, a
delayed-recall task, a cross-entropy readout and the integrator "euler" or "rk4".

Both trainings start from the same weights: the script runs `ransim run SCENARIO` once and
reads the drawn weights from the recording's /network. Both see the same batches: the script
regenerates them as ransim's Trainer draws them (std::mt19937_64 seeded through std::seed_seq
from train.seed and the stream name "train.epoch.E", delayed_recall's symbols from
uniform(0, alphabet)), re-implemented below. Both run the same steps: the token's tick (the
working memory takes the drive), the fixed Euler or RK4 steps, truncated backpropagation over
windows of train.window tokens (state and working memory carried, not their gradients), Adam
with ransim's formula and clipping, the validation loss after every epoch.

  --check   trains both for a few short epochs (task.train = 3 windows) and compares the train
            and validation losses of every epoch: equal to ~1e-10 means the comparison is fair
            (exit 1 if not; tests/train/CMakeLists runs it when torch is installed).
  otherwise alternates ransim and PyTorch `--rounds` times, `--epochs` epochs each, and prints
            the median epoch time of each run and the median of the per-round ratios.

Needs Debian's python3-torch, python3-h5py and python3-numpy (run it with /usr/bin/python3).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

import h5py
import numpy as np
import torch

MASK32, MASK64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF


# --- ransim's random streams (core/sdk/ransim/rng.hpp) ---------------------------------------

def fnv1a(text):
    h = 1469598103934665603
    for c in text.encode():
        h = ((h ^ c) * 1099511628211) & MASK64
    return h


def seed_seq(values, n):
    """std::seed_seq::generate (C++ [rand.util.seedseq]): n 32-bit words from `values`."""
    s, b = len(values), [0x8B8B8B8B] * n
    t = 11 if n >= 623 else 7 if n >= 68 else 5 if n >= 39 else 3 if n >= 7 else (n - 1) // 2
    p = (n - t) // 2
    q = p + t
    mix = lambda x: x ^ (x >> 27)
    for k in range(max(s + 1, n)):
        r1 = (1664525 * mix(b[k % n] ^ b[(k + p) % n] ^ b[(k - 1) % n])) & MASK32
        r2 = (r1 + (s if k == 0 else k % n + values[k - 1] if k <= s else k % n)) & MASK32
        b[(k + p) % n] = (b[(k + p) % n] + r1) & MASK32
        b[(k + q) % n] = (b[(k + q) % n] + r2) & MASK32
        b[k % n] = r2
    for k in range(max(s + 1, n), max(s + 1, n) + n):
        r3 = (1566083941 * mix((b[k % n] + b[(k + p) % n] + b[(k - 1) % n]) & MASK32)) & MASK32
        r4 = (r3 - k % n) & MASK32
        b[(k + p) % n] ^= r3
        b[(k + q) % n] ^= r4
        b[k % n] = r4
    return b


class Mt19937_64:
    """std::mt19937_64 seeded from a std::seed_seq, as make_rng(seed, stream) builds it."""

    def __init__(self, seed, stream):
        h = fnv1a(stream)
        words = seed_seq([seed & MASK32, seed >> 32, h & MASK32, h >> 32], 624)
        self.mt = [words[2 * i] | (words[2 * i + 1] << 32) for i in range(312)]
        self.index = 312

    def _twist(self):
        mt = self.mt
        for i in range(312):
            x = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % 312] & 0x7FFFFFFF)
            mt[i] = mt[(i + 156) % 312] ^ (x >> 1) ^ (0xB5026F5AA96619E9 if x & 1 else 0)
        self.index = 0

    def __call__(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64

    def uniform(self, lo, hi):
        return lo + (hi - lo) * ((self() >> 11) * 2.0**-53)


def delayed_recall(seed, stream, lanes, total, delay, alphabet):
    """DelayedRecallTask::generate: one-hot inputs and targets [total, lanes, alphabet]."""
    rng = Mt19937_64(seed, stream)
    u = np.zeros((total, lanes, alphabet))
    t = np.zeros((total, lanes, alphabet))
    for b in range(lanes):
        sym = [int(rng.uniform(0.0, float(alphabet))) for _ in range(total + delay)]
        for k in range(total):
            u[k, b, sym[delay + k]] = 1.0
            t[k, b, sym[k]] = 1.0
    return torch.from_numpy(u), torch.from_numpy(t)


# --- the network, read from a recording's /network --------------------------------------------

def csr_dense(group):
    rows, cols = (int(v) for v in group.attrs["shape"])
    m = np.zeros((rows, cols))
    data, idx, ptr = group["data"][()], group["indices"][()], group["indptr"][()]
    for i in range(rows):
        m[i, idx[ptr[i]:ptr[i + 1]]] = data[ptr[i]:ptr[i + 1]]
    return m


def routing(group, sources):
    """An identity projection as (gain, index into the concatenated sources) per target slot."""
    mats = [csr_dense(group["weights_from_" + s]) for s in sources]
    full = np.concatenate(mats, axis=1)
    index = np.argmax(np.abs(full), axis=1)
    gain = full[np.arange(full.shape[0]), index]
    if not np.all(gain == gain[0]) or np.count_nonzero(full) != full.shape[0]:
        sys.exit("train_vs_pytorch: projection " + group.name + " is not identity routing with one gain")
    return float(gain[0]), torch.from_numpy(index)


class FigureC:
    """Figure C's token map and loss in PyTorch, on [lanes, units, 1, dim] tensors."""

    def __init__(self, recording, sc):
        f = h5py.File(recording, "r")
        pops, projs = f["network/populations"], f["network/projections"]
        cx, hp = pops["cortex"], pops["hippocampus"]
        for key, want in (("heads", 1), ("bias", 0), ("feed_forward", 0), ("shared_weights", 0)):
            if int(cx[key][()]) != want:
                sys.exit(f"train_vs_pytorch: cortex {key} = {cx[key][()]} is not re-implemented")
        if cx["scores"][()] != b"scaled" or cx["context_mode"][()] != b"time":
            sys.exit("train_vs_pytorch: only scaled scores over the time window are re-implemented")
        if hp["activation"][()] != b"relu" or int(hp["shared_store"][()]) or int(hp["shared_weights"][()]):
            sys.exit("train_vs_pytorch: only a relu per-unit hippocampus store is re-implemented")
        if float(cx["initial_state"][()]) != 0 or float(hp["initial_state"][()]) != 0:
            sys.exit("train_vs_pytorch: initial_state must be 0")
        self.U, self.D = int(cx["units"][()]), int(cx["dim"][()])
        self.Uh, self.S = int(hp["units"][()]), int(hp["slots"][()])
        U, D, Uh, S = self.U, self.D, self.Uh, self.S
        self.c = int(cx["context"][()])
        self.tau_c, self.tau_h = float(cx["tau"][()]), float(hp["tau"][()])
        self.scale = 1.0 / (math.sqrt(D) * float(cx["temperature"][()]))
        t = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=torch.float64)
        self.params = {
            "W_q": t(cx["W_q"][()].reshape(U, D, D)),
            "W_k": t(cx["W_k"][()].reshape(U, D, D)),
            "W_v": t(cx["W_v"][()].reshape(U, D, D)),
            "W_o": t(cx["W_o"][()].reshape(U, D, D)),
            "keys": t(hp["memory_keys"][()].reshape(Uh, S, D)),
            "values": t(hp["memory_values"][()].reshape(Uh, S, D)),
            "bias": t(hp["memory_bias"][()]),
            "W_in": t(csr_dense(projs["input/weights_from_input"])),
        }
        self.gain_c, self.route_c = routing(projs["cortex+hippocampus_to_cortex"], ["cortex", "hippocampus"])
        self.gain_h, self.route_h = routing(projs["cortex+input_to_hippocampus"], ["cortex", "input"])
        sim = sc["simulation"]
        self.steps = round(sim["token_period"] / sim["dt"])
        self.h = sim["token_period"] / self.steps
        self.rk4 = sim.get("integrator", "rk4") == "rk4"
        if sim.get("integrator", "rk4") not in ("rk4", "euler"):
            sys.exit("train_vs_pytorch: integrator must be euler or rk4")

    def prepare(self):
        """The products the token map uses, formed once per gradient step (as ransim does): the
        keys' side of the scores scale W_k^T W_q and the output W_o W_v, per unit; the transposed
        memory keys."""
        p = self.params
        self.w_kq = self.scale * p["W_k"].transpose(1, 2) @ p["W_q"]
        self.w_ov_t = (p["W_o"] @ p["W_v"]).transpose(1, 2)
        self.keys_t = p["keys"].transpose(1, 2)
        self.bias = p["bias"].unsqueeze(1)

    def drives(self, hc, hh, u):
        """The cortex's and the hippocampus's drive [L, U, 1, D] at states hc, hh and input u [L, M]."""
        p, L = self.params, hc.shape[0]
        flat_c, flat_h = hc.reshape(L, -1), hh.reshape(L, -1)
        zc = u @ p["W_in"].T + self.gain_c * torch.cat([flat_c, flat_h], 1)[:, self.route_c]
        zh = self.gain_h * torch.cat([flat_c, u], 1)[:, self.route_h]
        return zc.reshape(L, self.U, 1, self.D), zh.reshape(L, self.Uh, 1, self.D)

    def derivative(self, hc, hh, u, past):
        """dx/dt of both populations; past: the working memory's rows [L, U, n-1, D] or None."""
        zc, zh = self.drives(hc, hh, u)
        rows = zc if past is None else torch.cat([past, zc], 2)  # oldest first, the live drive last
        a = torch.softmax(rows @ (self.w_kq @ zc.transpose(2, 3)), dim=2)  # [L, U, n, 1]
        o = (a.transpose(2, 3) @ rows) @ self.w_ov_t
        r = torch.relu(zh @ self.keys_t + self.bias) @ self.params["values"]
        return (torch.tanh(o) - hc) / self.tau_c, (torch.tanh(r) - hh) / self.tau_h

    def token(self, hc, hh, u, past):
        """One token: the tick (the working memory's sample), then the fixed steps."""
        sample = self.drives(hc, hh, u)[0]
        rows = torch.cat(past, 2) if past else None
        h = self.h
        for _ in range(self.steps):
            k1 = self.derivative(hc, hh, u, rows)
            if not self.rk4:
                hc, hh = hc + h * k1[0], hh + h * k1[1]
                continue
            k2 = self.derivative(hc + h / 2 * k1[0], hh + h / 2 * k1[1], u, rows)
            k3 = self.derivative(hc + h / 2 * k2[0], hh + h / 2 * k2[1], u, rows)
            k4 = self.derivative(hc + h * k3[0], hh + h * k3[1], u, rows)
            hc = hc + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            hh = hh + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        past = (past + [sample])[-(self.c - 1):] if self.c > 1 else []
        return hc, hh, past

    def start(self, lanes):
        zeros = torch.zeros(lanes, self.U, 1, self.D, dtype=torch.float64)
        return zeros, torch.zeros(lanes, self.Uh, 1, self.D, dtype=torch.float64), []

    @staticmethod
    def loss(readout, hc, hh, target):
        """Cross-entropy of softmax(W [features; 1]) summed over the lanes."""
        L = hc.shape[0]
        phi = torch.cat([hc.reshape(L, -1), hh.reshape(L, -1), torch.ones(L, 1, dtype=torch.float64)], 1)
        return -(target * torch.log_softmax(phi @ readout.T, dim=1)).sum()


class Adam:
    """core/train/adam.hpp over the parameters as one vector: the gradient clipped to norm `clip`."""

    def __init__(self, params, lr, beta1, beta2, weight_decay, clip, eps=1e-8):
        self.params, self.lr, self.b1, self.b2 = params, lr, beta1, beta2
        self.wd, self.clip, self.eps, self.t = weight_decay, clip, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self):
        grads = [p.grad for p in self.params]
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads))
        factor = self.clip / norm if self.clip > 0 and norm > self.clip else 1.0
        self.t += 1
        c1, c2 = 1.0 - self.b1**self.t, 1.0 - self.b2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            g = g * factor
            m.mul_(self.b1).add_((1 - self.b1) * g)
            v.mul_(self.b2).add_((1 - self.b2) * g * g)
            p.sub_(self.lr * ((m / c1) / (torch.sqrt(v / c2) + self.eps) + self.wd * p))
            p.grad = None


class TorchTrainer:
    def __init__(self, recording, sc):
        self.net = FigureC(recording, sc)
        task, tr = sc["task"], sc["train"]
        self.task, self.tr = task, tr
        self.lanes, self.window = tr.get("batch", 8), tr.get("window", 50)
        self.warmup, self.train = task["warmup"], task["train"]
        self.total = task["warmup"] + task["train"] + task.get("validation", 0) + task["test"]
        alphabet = task["alphabet"]
        features = 2 * self.net.U * self.net.D if self.net.Uh == self.net.U else None
        self.readout = torch.zeros(alphabet, features + 1, dtype=torch.float64)
        params = [self.net.params[k] for k in ("W_q", "W_k", "W_v", "W_o", "keys", "values", "bias", "W_in")]
        for p in params + [self.readout]:
            p.requires_grad_(True)
        self.adam = Adam(params + [self.readout], tr.get("lr", 1e-3), tr.get("beta1", 0.9),
                         tr.get("beta2", 0.999), tr.get("weight_decay", 0.0), tr.get("clip", 1.0))
        self.seed = tr.get("seed", 1)
        self.validation = self.batch("train.validation")

    def batch(self, stream):
        return delayed_recall(self.seed, stream, self.lanes, self.total, self.task["delay"],
                              self.task["alphabet"])

    def warm_up(self, u):
        self.net.prepare()
        hc, hh, past = self.net.start(self.lanes)
        for k in range(self.warmup):
            hc, hh, past = self.net.token(hc, hh, u[k], past)
        return hc, hh, past

    def epoch(self, e):
        u, t = self.batch(f"train.epoch.{e}")
        total = 0.0
        with torch.no_grad():
            hc, hh, past = self.warm_up(u)
        end_all = self.warmup + self.train
        for start in range(self.warmup, end_all, self.window):
            end = min(start + self.window, end_all)
            hc, hh, past = hc.detach(), hh.detach(), [p.detach() for p in past]
            self.net.prepare()
            loss = 0
            for k in range(start, end):
                hc, hh, past = self.net.token(hc, hh, u[k], past)
                loss = loss + self.net.loss(self.readout, hc, hh, t[k])
            total += float(loss)
            (loss / ((end - start) * self.lanes)).backward()
            self.adam.step()
        return total / (self.train * self.lanes)

    @torch.no_grad()
    def validate(self):
        u, t = self.validation
        hc, hh, past = self.warm_up(u)
        total = 0.0
        for k in range(self.warmup, self.warmup + self.train):
            hc, hh, past = self.net.token(hc, hh, u[k], past)
            total += float(self.net.loss(self.readout, hc, hh, t[k]))
        return total / (self.train * self.lanes)


# --- running both ---------------------------------------------------------------------------

def ransim_cmd(args, sets, out):
    cmd = [args.ransim, "train", args.scenario, "--out", out, "--overwrite"]
    for d in args.plugin_dir:
        cmd += ["--plugin-dir", d]
    for s in sets:
        cmd += ["--set", s]
    return cmd


def initial_weights(args, sets, folder):
    path = os.path.join(folder, "initial.h5")
    cmd = [args.ransim, "run", args.scenario, "--out", path, "--overwrite", "--quiet"]
    for d in args.plugin_dir:
        cmd += ["--plugin-dir", d]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return path


def cpu_seconds(pid):
    """User + system CPU time of a running process (/proc/PID/stat, fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def differences(stamps):
    return [b - a for a, b in zip(stamps, stamps[1:])]


def ransim_epochs(args, sets, folder):
    """Runs `ransim train`; the wall and CPU seconds between its consecutive epoch lines."""
    cmd = ransim_cmd(args, sets, os.path.join(folder, "trained.h5"))
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    wall, cpu = [], []
    for line in proc.stderr:
        if line.startswith("epoch "):
            wall.append(time.perf_counter())
            cpu.append(cpu_seconds(proc.pid))
    if proc.wait() != 0:
        sys.exit("train_vs_pytorch: ransim train failed")
    return differences(wall), differences(cpu)


def torch_epochs(args, sc, recording, epochs):
    """Wall and CPU seconds of each epoch after the first (left out, as for ransim)."""
    trainer = TorchTrainer(recording, sc)
    wall, cpu = [time.perf_counter()], [time.process_time()]
    for e in range(1, epochs + 1):
        trainer.epoch(e)
        trainer.validate()
        wall.append(time.perf_counter())
        cpu.append(time.process_time())
    return differences(wall[1:]), differences(cpu[1:])


def overridden(sc, sets):
    """The scenario with --set key=value overrides of the tables this script reads."""
    sc = json.loads(json.dumps(sc))
    for s in sets:
        key, value = s.split("=", 1)
        table, name = key.split(".", 1)
        sc[table][name] = tomllib.loads("v = " + value)["v"]
    return sc


def check(args, sc, folder):
    sets = [f"task.train={3 * sc['train'].get('window', 50)}", "task.test=20", "train.epochs=2"]
    sc = overridden(sc, sets + [f"simulation.threads={args.threads}"])
    out = subprocess.run(ransim_cmd(args, sets + ["train.patience=0"], os.path.join(folder, "check.h5")) +
                         ["--json", "--quiet"], check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    trainer = TorchTrainer(initial_weights(args, sets[:2], folder), sc)
    worst = 0.0
    for e in (1, 2):
        ours = (trainer.epoch(e), trainer.validate())
        theirs = (report["loss_train"][e - 1], report["loss_validation"][e - 1])
        for name, a, b in zip(("train", "validation"), ours, theirs):
            rel = abs(a - b) / abs(b)
            worst = max(worst, rel)
            print(f"epoch {e} {name:10s} loss  ransim {b:.15f}  pytorch {a:.15f}  "
                  f"relative difference {rel:.1e}")
    print(f"worst relative difference {worst:.1e} (bound {args.tolerance:g})")
    return 0 if worst <= args.tolerance else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ransim", default="build/bin/ransim")
    ap.add_argument("--scenario", default="scenarios/train_ran_figure_c.toml")
    ap.add_argument("--plugin-dir", action="append", default=[])
    ap.add_argument("--epochs", type=int, default=6, help="epochs per run (the first is not timed)")
    ap.add_argument("--rounds", type=int, default=3, help="ransim and PyTorch runs, alternating")
    ap.add_argument("--threads", type=int, default=1, help="simulation.threads and torch.set_num_threads")
    ap.add_argument("--check", action="store_true", help="compare the losses instead of timing")
    ap.add_argument("--tolerance", type=float, default=1e-10)
    ap.add_argument("--folder", help="for the recordings (default: a temporary folder)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.scenario, "rb") as f:
        sc = tomllib.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or tmp
        os.makedirs(folder, exist_ok=True)
        if args.check:
            return check(args, sc, folder)
        sets = [f"train.epochs={args.epochs}", "train.patience=0", f"simulation.threads={args.threads}"]
        sc = overridden(sc, sets)
        recording = initial_weights(args, [], folder)
        ratios, cpu_ratios = [], []
        print(f"{args.epochs} epochs per run (the first not timed), {args.threads} thread(s), load average "
              f"{os.getloadavg()[0]:.2f} at the start; medians over the epochs, wall (CPU) seconds")
        for r in range(args.rounds):
            a, a_cpu = (statistics.median(v) for v in ransim_epochs(args, sets, folder))
            b, b_cpu = (statistics.median(v) for v in torch_epochs(args, sc, recording, args.epochs))
            ratios.append(b / a)
            cpu_ratios.append(b_cpu / a_cpu)
            print(f"round {r + 1}: ransim {a:.3f} ({a_cpu:.3f}) s/epoch, "
                  f"PyTorch {b:.3f} ({b_cpu:.3f}) s/epoch, "
                  f"PyTorch / ransim {b / a:.2f} ({b_cpu / a_cpu:.2f})", flush=True)
        print(f"median ratio PyTorch / ransim: {statistics.median(ratios):.2f} wall, "
              f"{statistics.median(cpu_ratios):.2f} CPU (load average {os.getloadavg()[0]:.2f} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
