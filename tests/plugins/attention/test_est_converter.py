#!/usr/bin/env python3
"""scripts/est_from_pytorch.py end to end: a state dict with the authors' parameter names and
shapes (libs/EST.py: EST, ESTLayer, Memory; made here with torch, as torch.save of
model.state_dict() writes it) is converted, run by `ransim run` with weights_file, and the
recorded states and predictions compared with the authors' forward pass written out with
torch operations (inference mode). Then the converter's errors: a missing tensor, a
mis-shaped one, a file that is no state dict.

    test_est_converter.py SOURCE_DIR RANSIM_CLI PLUGIN_DIR WORK_DIR
"""
import math
import os
import subprocess
import sys

import h5py
import numpy as np
import torch

SOURCE, CLI, PLUGINS, WORK = sys.argv[1:5]
CONVERTER = os.path.join(SOURCE, "scripts", "est_from_pytorch.py")
L, M, R, D, I, O = 2, 3, 16, 4, 2, 2
TOKENS, LANES = 80, 2


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def authors_state_dict(gen):
    """Random values in the authors' names and shapes (float32, their default dtype)."""
    def u(*shape, lo=-1.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=gen)

    sd = {"fc_in": torch.randn(I, D, generator=gen), "fc_out": torch.randn(D, O, generator=gen)}
    for l in range(L):
        p = f"est_layers.{l}."
        W = torch.randn(M, R, R, generator=gen) * (torch.rand(M, R, R, generator=gen) < 0.2)
        radius = torch.linalg.eigvals(W.double()).abs().max(dim=-1).values.float().view(M, 1, 1)
        sd.update({
            p + "norm1.weight": u(D, lo=0.5, hi=1.5), p + "norm2.weight": u(D, lo=0.5, hi=1.5),
            p + "norm3.weight": u(D, lo=0.5, hi=1.5),
            p + "memory.W": W / radius, p + "memory.Win": (torch.rand(M, D, R, generator=gen) < 0.4).float(),
            p + "memory.bias": (torch.rand(M, 1, R, generator=gen) < 0.5).float(),
            p + "memory.Wout": torch.randn(M, R, D, generator=gen), p + "memory.sr": u(M, 1, 1, lo=0, hi=1),
            p + "memory.adaptive_lr": u(M, D, 1, lo=0, hi=1), p + "memory.temperature": torch.tensor([0.7]),
            p + "Wq": u(M, D, D), p + "Wk": u(M, D, D), p + "Wv": u(M, D, D),
            p + "SWq": u(D, D), p + "SWk": u(D, D), p + "SWv": u(D, D),
            p + "Wreduce.weight": u(D, M * D), p + "Wreduce.bias": u(D),
            p + "ff_in.weight": u(4 * D, D), p + "ff_in.bias": u(4 * D),
            p + "ff_out.weight": u(D, 4 * D), p + "ff_out.bias": u(D)})
    return sd


def rms(x, g):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-8) * g


def attention(q, k, v):  # scaled dot-product attention over the second-to-last axis of k, v
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v


def forward(sd, X):
    """The authors' EST.forward for all tokens: X [B, T, I] -> states [T, B, L, M, R], Y [T, B, O]."""
    sd = {k: v.double() for k, v in sd.items()}
    B = X.shape[0]
    S = torch.zeros(B, L, M, R, dtype=torch.float64)
    states, preds = [], []
    for t in range(X.shape[1]):
        emb = X[:, t] @ sd["fc_in"]
        new = []
        for l in range(L):
            g = lambda k: sd[f"est_layers.{l}.{k}"]  # noqa: E731
            Si = S[:, l]
            P = (Si.unsqueeze(2) @ g("memory.Wout")).squeeze(2)                  # [B, M, D]
            Q = emb.view(B, 1, 1, D) @ g("Wq")                                     # [B, M, 1, D]
            K = P.unsqueeze(1) @ g("Wk").unsqueeze(0)                              # [B, M, M, D]
            V = P.unsqueeze(1) @ g("Wv").unsqueeze(0)
            upd = rms(attention(Q, K, V).squeeze(2) + emb.unsqueeze(1), g("norm1.weight"))
            x = upd.view(B, M, 1, D)
            lr = torch.softmax((x @ g("memory.adaptive_lr")) / g("memory.temperature"), dim=1)
            echo = Si.view(B, M, 1, R) @ (g("memory.W") * g("memory.sr"))
            pre = x @ g("memory.Win") + echo + g("memory.bias")
            Sn = ((1 - lr) * Si.view(B, M, 1, R) + lr * torch.tanh(pre)).squeeze(2)
            Sout = (Sn.unsqueeze(2) @ g("memory.Wout")).squeeze(2)
            sa = attention(Sout @ g("SWq"), Sout @ g("SWk"), Sout @ g("SWv"))
            su = rms(sa + Sout, g("norm2.weight"))
            red = su.reshape(B, M * D) @ g("Wreduce.weight").T + g("Wreduce.bias")
            z = torch.nn.functional.gelu(red @ g("ff_in.weight").T + g("ff_in.bias"))
            emb = rms(z @ g("ff_out.weight").T + g("ff_out.bias") + red, g("norm3.weight"))
            new.append(Sn)
        S = torch.stack(new, dim=1)
        states.append(S.clone())
        preds.append(emb @ sd["fc_out"])
    return torch.stack(states).numpy(), torch.stack(preds).numpy()


def convert(pt, h5, expect_ok=True):
    r = subprocess.run([sys.executable, CONVERTER, pt, h5, "--group", "/est"], capture_output=True, text=True)
    if expect_ok and r.returncode != 0:
        fail(f"converter failed: {r.stderr}")
    return r


def expect_error(sd, name, words):
    pt = os.path.join(WORK, name + ".pt")
    torch.save(sd, pt)
    r = convert(pt, os.path.join(WORK, name + ".h5"), expect_ok=False)
    if r.returncode != 2 or words not in r.stderr:
        fail(f"{name}: expected exit 2 and '{words}', got {r.returncode}: {r.stderr}")


def main():
    os.makedirs(WORK, exist_ok=True)
    gen = torch.Generator().manual_seed(4)
    sd = authors_state_dict(gen)
    pt, h5 = os.path.join(WORK, "est.pt"), os.path.join(WORK, "est.h5")
    torch.save(sd, pt)
    printed = convert(pt, h5).stdout
    for line in ["layers = 2", "memory_units = 3", "memory_dim = 16", "attention_dim = 4", "output_dim = 2"]:
        if line not in printed:
            fail(f"converter did not print '{line}': {printed}")
    scenario = os.path.join(WORK, "est.toml")
    with open(scenario, "w") as f:
        f.write(f"""seed = 1
[simulation]
integrator = "euler"
dt = 1.0
token_period = 1.0
lanes = {LANES}
[task]
kind = "random_sequence"
dim = {I}
steps = {TOKENS}
[population.est]
kind = "echo_state_transformer"
input_dim = {I}
layers = {L}
memory_units = {M}
memory_dim = {R}
attention_dim = {D}
output_dim = {O}
weights_file = "{h5}"
weights_group = "/est"
[[projection]]
from = "input"
to = "est"
kind = "identity"
map = "ordered"
[record]
variables = ["est.state", "est.prediction"]
""")
    out = os.path.join(WORK, "run.h5")
    r = subprocess.run([CLI, "run", scenario, "--out", out, "--overwrite", "--plugin-dir", PLUGINS],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"ransim run failed ({r.returncode}): {r.stderr}")
    with h5py.File(out, "r") as f:
        X = f["/acquisition/input/data"][()]                  # [T, B, I]
        got_states = f["/processing/est/state/data"][()]      # [T, B, L*M, R]
        got_pred = f["/processing/est/prediction/data"][()]   # [T, B, 1, O]
    want_states, want_pred = forward(sd, torch.from_numpy(X).double().transpose(0, 1))
    dev_s = np.abs(got_states.reshape(want_states.shape) - want_states).max() / np.abs(want_states).max()
    dev_p = np.abs(got_pred.reshape(want_pred.shape) - want_pred).max() / np.abs(want_pred).max()
    print(f"tokens {X.shape[0]}, lanes {X.shape[1]}: rel dev states {dev_s:.2e}, predictions {dev_p:.2e}")
    if not (dev_s <= 1e-12 and dev_p <= 1e-12):
        fail("ransim with the converted weights differs from the authors' forward pass")

    missing = dict(sd)
    del missing["est_layers.1.memory.sr"]
    expect_error(missing, "missing", "missing tensor 'est_layers.1.memory.sr'")
    bad = dict(sd)
    bad["est_layers.0.Wk"] = torch.zeros(M, D, D + 1)
    expect_error(bad, "misshaped",
                 f"tensor 'est_layers.0.Wk' has shape [{M}, {D}, {D + 1}], expected [{M}, {D}, {D}]")
    expect_error([1, 2], "notadict", "expected a state dict")
    print("ok")


if __name__ == "__main__":
    main()
