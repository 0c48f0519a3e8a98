#!/usr/bin/python3
"""Write the network reference data in tests/data/ from the PyTorch rebuild.

For each size H x W it writes
  ref-HxW-input.npy    deterministic input, float32 (H, W, 3) in [-1, 1]
  ref-HxW-mixed3.npy   activations, float32 (H', W', 768)
  ref-HxW-mixed5.npy
  ref-HxW-grad.npy     d/dx [mean(mixed3) + mean(mixed5)]
  ref-HxW-grad-sq.npy  d/dx [mean(mixed3^2) + mean(mixed5^2)]
  ref-HxW-grad-ch7.npy d/dx mean(mixed5[..., 7])
  ref-HxW.json         the three objective values (float64)
All of it is computed in float64 from the float32 input.
"""

import argparse
import io
import json
import os
import sys
import tempfile

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsfwjs_model  # noqa: E402

SIZES = [(147, 147), (120, 200)]
CHANNEL = 7


def make_input(h, w, seed=20240611):
    """Smooth gradients, a few hard-edged shapes and seeded noise."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = xx / max(w - 1, 1), yy / max(h - 1, 1)
    img = np.stack([
        0.8 * (2 * u - 1),
        0.7 * np.sin(2 * np.pi * (0.8 * v + 0.3 * u)),
        0.6 * (2 * v - 1) * (1 - u),
    ], axis=-1)
    # A disc, a rectangle and a diagonal stripe give the network edges.
    disc = (u - 0.3) ** 2 + ((v - 0.35) * h / w) ** 2 < 0.02
    img[disc] = [0.9, -0.6, 0.2]
    rect = (u > 0.55) & (u < 0.85) & (v > 0.55) & (v < 0.8)
    img[rect] = [-0.7, 0.5, 0.8]
    stripe = np.abs((u - v) - 0.1) < 0.04
    img[stripe, 2] = -0.9
    rng = np.random.RandomState(seed + 1000 * h + w)
    img += rng.normal(0.0, 0.08, img.shape)
    return np.clip(img, -1.0, 1.0).astype(np.float32)


def save_atomic(path, write):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_npy(path, arr):
    arr = np.ascontiguousarray(arr, dtype="<f4")
    save_atomic(path, lambda f: np.save(f, arr, allow_pickle=False))


def save_json(path, obj):
    text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
    save_atomic(path, lambda f: f.write(text.encode()))


def reference_for(graph, img):
    x = nsfwjs_model.hwc_to_nchw(img, torch.float64).requires_grad_(True)
    acts = graph.run(x, ["mixed3", "mixed5"])
    m3, m5 = acts["mixed3"], acts["mixed5"]
    objectives = {
        "L": m3.mean() + m5.mean(),
        "L2": (m3 ** 2).mean() + (m5 ** 2).mean(),
        "channel": m5[0, CHANNEL].mean(),
    }
    grads = {}
    for key, val in objectives.items():
        (g,) = torch.autograd.grad(val, x, retain_graph=True)
        grads[key] = nsfwjs_model.nchw_to_hwc(g)
    return ({k: nsfwjs_model.nchw_to_hwc(v) for k, v in acts.items()},
            {k: float(v.item()) for k, v in objectives.items()}, grads)


def main():
    ap = argparse.ArgumentParser(description="write tests/data/ref-* files")
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data"))
    args = ap.parse_args()

    torch.set_grad_enabled(True)
    graph = nsfwjs_model.load(args.model_dir, dtype=torch.float64)
    out = os.path.normpath(args.out)
    os.makedirs(out, exist_ok=True)
    written = []
    for h, w in SIZES:
        img = make_input(h, w)
        acts, objs, grads = reference_for(graph, img)
        base = os.path.join(out, "ref-%dx%d" % (h, w))
        files = {
            "-input.npy": img,
            "-mixed3.npy": acts["mixed3"],
            "-mixed5.npy": acts["mixed5"],
            "-grad.npy": grads["L"],
            "-grad-sq.npy": grads["L2"],
            "-grad-ch7.npy": grads["channel"],
        }
        for suffix, arr in files.items():
            save_npy(base + suffix, arr)
            written.append(base + suffix)
        save_json(base + ".json", {
            "height": h, "width": w,
            "L": objs["L"], "L2": objs["L2"], "channel": objs["channel"],
            "objectives": {
                "L": "mean(mixed3) + mean(mixed5)",
                "L2": "mean(mixed3^2) + mean(mixed5^2)",
                "channel": "mean(mixed5[..., %d])" % CHANNEL,
            },
        })
        written.append(base + ".json")
        print("%dx%d: mixed3 %s mixed5 %s L=%.17g L2=%.17g channel=%.17g" % (
            h, w, acts["mixed3"].shape, acts["mixed5"].shape,
            objs["L"], objs["L2"], objs["channel"]))
    total = 0
    for p in written:
        size = os.path.getsize(p)
        total += size
        print("%9d  %s" % (size, os.path.relpath(p)))
    print("%9d  total" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
