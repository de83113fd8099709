#!/usr/bin/env python3
"""Convert an Echo State Transformer state dict (the authors' PyTorch code, libs/EST.py of
Naowak/Echo-State-Transformer, saved with torch.save(model.state_dict(), PATH)) to the HDF5
weight layout of ransim's echo_state_transformer plugin (its README, "Weights").

    python3 scripts/est_from_pytorch.py model.pt est.h5 [--group /est]

then, in a scenario:

    [population.est]
    kind = "echo_state_transformer"
    weights_file = "est.h5"      # the shape parameters are printed by this script
    ...

Every tensor is checked against the shapes that fc_in and the first layer's memory imply;
a missing, mis-shaped, non-finite or unexpected tensor is an error naming it (exit 2).
The reservoir W is used densely: the authors' sparse product reads the positions of the
nonzeros of W, which in their state dict are the nonzeros themselves.

Needs python3 with torch (Debian: python3-torch), h5py and numpy.
"""
import argparse
import re
import sys


class ConvertError(Exception):
    pass


def load_state_dict(path):
    import torch

    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many kinds; all mean the file is not a state dict
        raise ConvertError(f"{path}: not a file torch.load can read ({type(e).__name__}: {e})")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ConvertError(f"{path}: expected a state dict (torch.save(model.state_dict(), ...)), "
                           f"found {type(obj).__name__}")
    return {k: v.detach().to(torch.float64).numpy() for k, v in obj.items() if hasattr(v, "detach")}


LAYER_KEYS = ["memory.W", "memory.Win", "memory.bias", "memory.Wout", "memory.sr", "memory.adaptive_lr",
              "memory.temperature", "Wq", "Wk", "Wv", "SWq", "SWk", "SWv", "norm1.weight", "norm2.weight",
              "norm3.weight", "Wreduce.weight", "Wreduce.bias", "ff_in.weight", "ff_in.bias",
              "ff_out.weight", "ff_out.bias"]


def expected_shapes(M, R, D):
    return {"memory.W": (M, R, R), "memory.Win": (M, D, R), "memory.bias": (M, 1, R),
            "memory.Wout": (M, R, D), "memory.sr": (M, 1, 1), "memory.adaptive_lr": (M, D, 1),
            "memory.temperature": (1,), "Wq": (M, D, D), "Wk": (M, D, D), "Wv": (M, D, D),
            "SWq": (D, D), "SWk": (D, D), "SWv": (D, D), "norm1.weight": (D,), "norm2.weight": (D,),
            "norm3.weight": (D,), "Wreduce.weight": (D, M * D), "Wreduce.bias": (D,),
            "ff_in.weight": (4 * D, D), "ff_in.bias": (4 * D,), "ff_out.weight": (D, 4 * D),
            "ff_out.bias": (D,)}


# ransim dataset name, state dict key, rows of one layer's block in the stacked 2-D layout.
DATASETS = [("W", "memory.W"), ("Win", "memory.Win"), ("bias", "memory.bias"), ("Wout", "memory.Wout"),
            ("sr", "memory.sr"), ("adaptive_lr", "memory.adaptive_lr"), ("temperature", "memory.temperature"),
            ("Wq", "Wq"), ("Wk", "Wk"), ("Wv", "Wv"), ("SWq", "SWq"), ("SWk", "SWk"), ("SWv", "SWv"),
            ("norm1", "norm1.weight"), ("norm2", "norm2.weight"), ("norm3", "norm3.weight"),
            ("Wreduce", "Wreduce.weight"), ("Wreduce_bias", "Wreduce.bias"), ("ff_in", "ff_in.weight"),
            ("ff_in_bias", "ff_in.bias"), ("ff_out", "ff_out.weight"), ("ff_out_bias", "ff_out.bias")]


def tensor(sd, path, key, shape=None, ndim=None):
    import numpy as np

    if key not in sd:
        raise ConvertError(f"{path}: missing tensor '{key}'")
    t = sd[key]
    if ndim is not None and t.ndim != ndim:
        raise ConvertError(f"{path}: tensor '{key}' has shape {list(t.shape)}, expected {ndim} dimensions")
    if shape is not None and tuple(t.shape) != tuple(shape):
        raise ConvertError(f"{path}: tensor '{key}' has shape {list(t.shape)}, expected {list(shape)}")
    if not np.all(np.isfinite(t)):
        raise ConvertError(f"{path}: tensor '{key}' has non-finite values")
    return t


def convert(sd, path):
    """The ransim datasets (name -> 2-D float64 array) and the shape parameters."""
    import numpy as np

    layer_ids = sorted({int(m.group(1)) for k in sd for m in [re.match(r"est_layers\.(\d+)\.", k)] if m})
    if not layer_ids:
        raise ConvertError(f"{path}: no tensor 'est_layers.<n>.*': not an Echo State Transformer state dict")
    if layer_ids != list(range(len(layer_ids))):
        raise ConvertError(f"{path}: layers {layer_ids} are not numbered 0..{len(layer_ids) - 1}")
    L = len(layer_ids)
    fc_in = tensor(sd, path, "fc_in", ndim=2)
    I, D = fc_in.shape
    W0 = tensor(sd, path, "est_layers.0.memory.W", ndim=3)
    M, R = W0.shape[0], W0.shape[1]
    shapes = expected_shapes(M, R, D)
    known = {"fc_in", "fc_out"} | {f"est_layers.{l}.{k}" for l in range(L) for k in LAYER_KEYS}
    unexpected = sorted(set(sd) - known)
    if unexpected:
        raise ConvertError(f"{path}: unexpected tensors {unexpected} (an EST state dict has fc_in, "
                           f"fc_out and est_layers.<n>.{{{', '.join(LAYER_KEYS)}}})")
    out = {"fc_in": fc_in}
    for name, key in DATASETS:
        blocks = [tensor(sd, path, f"est_layers.{l}.{key}", shapes[key]) for l in range(L)]
        stacked = np.stack(blocks)  # [L, ...]
        if key.startswith("memory.") and key != "memory.temperature":
            rows = {"memory.bias": 1, "memory.sr": 1}.get(key, stacked.shape[-2])
            out[name] = stacked.reshape(L * M * rows, -1)
        elif stacked.ndim == 4:  # Wq, Wk, Wv: [L, M, D, D]
            out[name] = stacked.reshape(L * M * D, D)
        elif stacked.ndim == 2:  # vectors per layer: [L, n]
            out[name] = stacked
        else:  # [L, rows, cols]
            out[name] = stacked.reshape(-1, stacked.shape[-1])
    O = 0
    if "fc_out" in sd:
        fc_out = tensor(sd, path, "fc_out", ndim=2)
        if fc_out.shape[0] != D:
            raise ConvertError(f"{path}: tensor 'fc_out' has shape {list(fc_out.shape)}, expected [{D}, O]")
        out["fc_out"] = fc_out
        O = fc_out.shape[1]
    if np.any(out["temperature"] == 0):
        raise ConvertError(f"{path}: a memory.temperature is 0 (the leak softmax divides by it)")
    params = {"input_dim": I, "layers": L, "memory_units": M, "memory_dim": R, "attention_dim": D,
              "output_dim": O}
    return out, params


def write(datasets, out_path, group):
    import h5py

    with h5py.File(out_path, "w") as f:
        g = f.require_group(group) if group.strip("/") else f
        for name, value in datasets.items():
            g.create_dataset(name, data=value)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("state_dict", help="file written by torch.save(model.state_dict(), ...)")
    ap.add_argument("out", help="HDF5 file to write (ransim's weights_file)")
    ap.add_argument("--group", default="/", help="group for the datasets (weights_group), default /")
    args = ap.parse_args(argv)
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        print(f"est_from_pytorch: {e.name} is missing: apt-get install python3-torch python3-h5py "
              "python3-numpy", file=sys.stderr)
        return 2
    try:
        datasets, params = convert(load_state_dict(args.state_dict), args.state_dict)
        write(datasets, args.out, args.group)
    except ConvertError as e:
        print(f"est_from_pytorch: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"est_from_pytorch: {args.out}: {e}", file=sys.stderr)
        return 2
    print(f'# {args.out}: {len(datasets)} datasets under {args.group}; in the population table:')
    print('kind = "echo_state_transformer"')
    for k, v in params.items():
        print(f"{k} = {v}")
    print(f'weights_file = "{args.out}"\nweights_group = "{args.group}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
