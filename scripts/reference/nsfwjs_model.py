#!/usr/bin/python3
"""Independent PyTorch rebuild of the nsfwjs InceptionV3 layers-model.

Used only to make test reference data and to benchmark against; the product
never runs it.  The graph is walked from the Keras topology in model.min.js,
the weights are dequantised from the shard files, and BatchNormalization is
applied the way Keras does at inference (not folded into the convolutions,
so this stays independent of the C importer).  Padding follows TensorFlow:
'same' puts the smaller half of the padding before, the larger after; 'same'
average pools divide by the number of real pixels.

Run it directly for a self-check at 299x299:
    /usr/bin/python3 scripts/reference/nsfwjs_model.py --check
"""

import argparse
import base64
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

MODEL_FILE = "model.min.js"
PKG_SUBDIR = os.path.join("package", "dist", "models", "inception_v3")

# The shard and model files are UMD bundles; node evaluates them and hands
# back plain JSON on stdout.
_NODE_LOADER = r"""
const path = require("path");
const dir = process.argv[1];
const m = require(path.join(dir, "model.min.js"));
const paths = m.weightsManifest.flatMap(g => g.paths);
const shards = paths.map(p => {
  const s = require(path.join(dir, p + ".min.js"));
  if (typeof s !== "string") throw new Error(p + ": not a base64 string");
  return s;
});
process.stdout.write(JSON.stringify({model: m, shards: shards}));
"""


def default_model_dir():
    """Where the unpacked model lives, in the order the tools look."""
    env = os.environ.get("INCEPTIONIST_NSFWJS_DIR")
    if env:
        return env
    # scripts/run-tests.sh (fetch-model.sh --unpack) unpacks it there.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    candidates = [
        os.path.join(root, "build", "nsfwjs", PKG_SUBDIR),
    ]
    for c in candidates:
        if os.path.isfile(os.path.join(c, MODEL_FILE)):
            return c
    return candidates[0]


def resolve_model_dir(path):
    """Accept the inception_v3 directory itself or a package root above it."""
    if os.path.isfile(os.path.join(path, MODEL_FILE)):
        return path
    for sub in (os.path.join("dist", "models", "inception_v3"), PKG_SUBDIR):
        p = os.path.join(path, sub)
        if os.path.isfile(os.path.join(p, MODEL_FILE)):
            return p
    raise FileNotFoundError("no %s under %s" % (MODEL_FILE, path))


def load_package(model_dir):
    """Return (keras model_config, {weight name: float32 ndarray})."""
    model_dir = resolve_model_dir(model_dir)
    proc = subprocess.run(["node", "-e", _NODE_LOADER, os.path.abspath(model_dir)],
                          check=True, stdout=subprocess.PIPE)
    blob = json.loads(proc.stdout)
    topo = blob["model"]["modelTopology"]
    manifest = blob["model"]["weightsManifest"]
    data = b"".join(base64.b64decode(s) for s in blob["shards"])

    weights = {}
    offset = 0
    for group in manifest:
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"], dtype=np.int64))
            q = spec.get("quantization")
            if q is None:
                nbytes = 4 * count
                arr = np.frombuffer(data, "<f4", count, offset).copy()
            else:
                if q["dtype"] != "uint8":
                    raise ValueError("unsupported quantisation " + q["dtype"])
                nbytes = count
                raw = np.frombuffer(data, np.uint8, count, offset)
                # Same arithmetic as tfjs: double precision, stored as float32.
                arr = (q["min"] + q["scale"] * raw.astype(np.float64)).astype(np.float32)
            weights[spec["name"]] = arr.reshape(spec["shape"])
            offset += nbytes
    if offset != len(data):
        raise ValueError("manifest covers %d bytes, shards hold %d" % (offset, len(data)))
    return topo["model_config"], weights


def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _tf_pad(x, kernel, strides, padding, value=0.0):
    """Pad an NCHW tensor the way TensorFlow's 'same' does."""
    if padding == "valid":
        return x
    if padding != "same":
        raise ValueError("padding " + padding)
    top, bottom = _same_pads(x.shape[2], kernel[0], strides[0])
    left, right = _same_pads(x.shape[3], kernel[1], strides[1])
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


class KerasGraph:
    """A Keras functional model config evaluated with torch ops (NCHW)."""

    def __init__(self, model_config, weights, dtype=torch.float64, fold_bn=False):
        cfg = model_config["config"]
        self.layers = cfg["layers"]
        self.by_name = {l["name"]: l for l in self.layers}
        self.dtype = dtype
        self.params = {}
        self.inputs = {}
        for layer in self.layers:
            nodes = layer["inbound_nodes"]
            if len(nodes) > 1:
                raise ValueError(layer["name"] + ": shared layers not supported")
            self.inputs[layer["name"]] = [n[0] for n in nodes[0]] if nodes else []
        self.input_name = cfg["input_layers"][0][0]
        self._load(weights)
        self.folded = set()
        if fold_bn:
            self._fold_bn()

    def to(self, device):
        """Moves the weights to a torch device ("cuda" for a GPU peer)."""
        for p in self.params.values():
            for k, v in p.items():
                if isinstance(v, torch.Tensor):
                    p[k] = v.to(device)
        return self

    def _t(self, arr):
        return torch.from_numpy(np.ascontiguousarray(arr)).to(self.dtype)

    def _load(self, weights):
        for layer in self.layers:
            name, kind, c = layer["name"], layer["class_name"], layer["config"]
            if kind == "Conv2D":
                if tuple(c["dilation_rate"]) != (1, 1) or c["activation"] != "linear":
                    raise ValueError(name + ": unsupported Conv2D config")
                # Keras HWIO -> torch OIHW.
                k = weights[name + "/kernel"].transpose(3, 2, 0, 1)
                p = {"w": self._t(k)}
                p["b"] = self._t(weights[name + "/bias"]) if c["use_bias"] else None
                self.params[name] = p
            elif kind == "BatchNormalization":
                if c["axis"] not in (3, -1):
                    raise ValueError(name + ": BN axis must be channels")
                p = {"mean": self._t(weights[name + "/moving_mean"]),
                     "var": self._t(weights[name + "/moving_variance"]),
                     "eps": float(c["epsilon"])}
                p["beta"] = self._t(weights[name + "/beta"]) if c["center"] else None
                p["gamma"] = self._t(weights[name + "/gamma"]) if c["scale"] else None
                self.params[name] = p
            elif kind == "Dense":
                p = {"w": self._t(weights[name + "/kernel"])}
                p["b"] = self._t(weights[name + "/bias"]) if c["use_bias"] else None
                self.params[name] = p

    def _fold_bn(self):
        """Fold each BN into the conv that alone feeds it (benchmark speed)."""
        consumers = {}
        for name, ins in self.inputs.items():
            for i in ins:
                consumers.setdefault(i, []).append(name)
        for layer in self.layers:
            if layer["class_name"] != "BatchNormalization":
                continue
            src = self.inputs[layer["name"]][0]
            if self.by_name[src]["class_name"] != "Conv2D" or len(consumers[src]) != 1:
                continue
            bn, conv = self.params[layer["name"]], self.params[src]
            inv = torch.rsqrt(bn["var"] + bn["eps"])
            if bn["gamma"] is not None:
                inv = inv * bn["gamma"]
            b = conv["b"] if conv["b"] is not None else torch.zeros_like(inv)
            b = (b - bn["mean"]) * inv
            if bn["beta"] is not None:
                b = b + bn["beta"]
            conv["w"] = (conv["w"] * inv[:, None, None, None]).contiguous()
            conv["b"] = b
            self.folded.add(layer["name"])

    def _needed(self, targets):
        need, stack = set(), list(targets)
        while stack:
            n = stack.pop()
            if n in need:
                continue
            if n not in self.by_name:
                raise KeyError("no layer named " + n)
            need.add(n)
            stack.extend(self.inputs[n])
        return need

    def _apply(self, layer, xs):
        name, kind, c = layer["name"], layer["class_name"], layer["config"]
        if kind == "Conv2D":
            p = self.params[name]
            x = _tf_pad(xs[0], c["kernel_size"], c["strides"], c["padding"])
            return F.conv2d(x, p["w"], p["b"], stride=tuple(c["strides"]))
        if kind == "BatchNormalization":
            if name in self.folded:
                return xs[0]
            p = self.params[name]
            shape = (1, -1, 1, 1)
            y = (xs[0] - p["mean"].view(shape)) * torch.rsqrt(p["var"] + p["eps"]).view(shape)
            if p["gamma"] is not None:
                y = y * p["gamma"].view(shape)
            if p["beta"] is not None:
                y = y + p["beta"].view(shape)
            return y
        if kind == "Activation":
            return _activation(c["activation"], xs[0])
        if kind == "MaxPooling2D":
            x = _tf_pad(xs[0], c["pool_size"], c["strides"], c["padding"], float("-inf"))
            return F.max_pool2d(x, c["pool_size"], c["strides"])
        if kind == "AveragePooling2D":
            k, s = c["pool_size"], c["strides"]
            x = _tf_pad(xs[0], k, s, c["padding"])
            sums = F.avg_pool2d(x, k, s)
            if x.shape == xs[0].shape:
                return sums
            # Divide by the real pixels only, as TensorFlow does.
            ones = torch.ones((1, 1) + tuple(xs[0].shape[2:]), dtype=x.dtype,
                              device=x.device)
            counts = F.avg_pool2d(_tf_pad(ones, k, s, c["padding"]), k, s)
            return sums / counts
        if kind == "Concatenate":
            if c["axis"] not in (3, -1):
                raise ValueError(name + ": concat axis must be channels")
            return torch.cat(xs, dim=1)
        if kind == "Flatten":
            # Keras flattens channel-last.
            return xs[0].permute(0, 2, 3, 1).reshape(xs[0].shape[0], -1)
        if kind == "Dense":
            p = self.params[name]
            y = xs[0] @ p["w"]
            if p["b"] is not None:
                y = y + p["b"]
            return _activation(c["activation"], y)
        if kind == "Dropout":
            return xs[0]
        raise ValueError("unsupported layer %s (%s)" % (name, kind))

    def run(self, x, outputs):
        """x: NCHW tensor.  Returns {name: NCHW (or 2-D) tensor}."""
        need = self._needed(outputs)
        remaining = {}
        for n in need:
            for i in self.inputs[n]:
                remaining[i] = remaining.get(i, 0) + 1
        keep = set(outputs)
        acts = {}
        for layer in self.layers:
            name = layer["name"]
            if name not in need:
                continue
            if name == self.input_name:
                acts[name] = x
                continue
            ins = self.inputs[name]
            acts[name] = self._apply(layer, [acts[i] for i in ins])
            for i in ins:
                remaining[i] -= 1
                if remaining[i] == 0 and i not in keep:
                    del acts[i]
        return {n: acts[n] for n in outputs}


def _activation(kind, x):
    if kind == "relu":
        return F.relu(x)
    if kind == "linear":
        return x
    if kind == "softmax":
        return F.softmax(x, dim=-1)
    raise ValueError("unsupported activation " + kind)


def load(model_dir=None, dtype=torch.float64, fold_bn=False):
    cfg, weights = load_package(model_dir or default_model_dir())
    return KerasGraph(cfg, weights, dtype=dtype, fold_bn=fold_bn)


def hwc_to_nchw(x, dtype):
    return torch.from_numpy(np.ascontiguousarray(x)).to(dtype).permute(2, 0, 1).unsqueeze(0)


def nchw_to_hwc(t):
    return t.detach()[0].permute(1, 2, 0).cpu().numpy()


def forward(x, layers, graph=None):
    """x: (H, W, 3) array in [-1, 1].  Returns {layer: (H', W', C) ndarray}."""
    graph = graph or load()
    acts = graph.run(hwc_to_nchw(x, graph.dtype), list(layers))
    return {n: nchw_to_hwc(a) for n, a in acts.items()}


def _check(model_dir):
    g = load(model_dir)
    expect = {"mixed0": (35, 35, 256), "mixed1": (35, 35, 288), "mixed2": (35, 35, 288)}
    for i in range(3, 8):
        expect["mixed%d" % i] = (17, 17, 768)
    expect.update({"mixed8": (8, 8, 1280), "mixed9": (8, 8, 2048), "mixed10": (8, 8, 2048)})
    rng = np.random.RandomState(1)
    yy, xx = np.mgrid[0:299, 0:299] / 298.0
    inputs = {
        "gradient": np.stack([xx * 2 - 1, yy * 2 - 1, (xx - yy)], -1),
        "noise": rng.uniform(-1, 1, (299, 299, 3)),
        "grey": np.zeros((299, 299, 3)),
    }
    ok = True
    for label, img in inputs.items():
        x = hwc_to_nchw(img, g.dtype)
        out = g.run(x, list(expect) + ["dense_3"])
        for n, shp in expect.items():
            got = tuple(nchw_to_hwc(out[n]).shape)
            if got != shp:
                ok = False
                print("FAIL %s: %s != %s" % (n, got, shp))
        p = out["dense_3"][0].numpy()
        good = np.all(np.isfinite(p)) and np.all(p >= 0) and abs(p.sum() - 1) < 1e-9
        ok = ok and good
        print("%-8s softmax=%s sum=%.12f %s" % (label, np.array2string(p, precision=4),
                                                p.sum(), "ok" if good else "BAD"))
    print("shapes at 299x299:", "ok" if ok else "MISMATCH")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--check", action="store_true", help="299x299 shape and head check")
    args = ap.parse_args()
    if not args.check:
        ap.print_help()
        return 0
    return 0 if _check(args.model_dir) else 1


if __name__ == "__main__":
    sys.exit(main())
