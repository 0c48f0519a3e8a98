#!/usr/bin/python3
"""PyTorch speed peer for `inceptionist-cli bench` (same weights, same step).

One step: forward to the deepest requested layer, loss = sum of layer means,
backward to the input, gradient /= std + 1e-8, img += 0.01 * gradient, clip
to [-1, 1].  float32, NCHW, BatchNormalization folded into the convolutions.

  torch_bench.py [--size 512] [--layers mixed3,mixed5] [--steps 5]
      prints seconds_per_step=<median> last
  --device cuda runs the peer on the GPU (the default is the CPU, with
  --threads threads); each timed step then ends with a synchronisation.
  torch_bench.py --profile [--size 512] [--layers ...] [--steps 5]
      the step's time per kind of layer (torch.profiler), named as in
      `inceptionist-cli bench --profile`, to compare the two kind by kind
  torch_bench.py --preset tf-tutorial --image PATH [--steps-per-octave 100]
                 [--tile N]
      the TensorFlow tutorial's octave recipe; prints seconds_total=<value>
      last.  --tile 0 (default): whole image, no roll.  --tile N: each step
      as inceptionist's (core/dream.c, core/dream-tiles.c, core/tiler.c):
      roll the image by a seeded uniform shift in [-N, N) per axis, split it
      into ceil(side / N) tiles per axis with equal cores and a 32-px halo,
      one forward + backward per tile, each tile's gradient weighted by its
      input's share of the image and kept on its core, roll back, then the
      same normalisation and update over the whole gradient.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsfwjs_model  # noqa: E402

STEP_SIZE = 0.01
TILE_HALO = 32  # INC_DREAM_TILE_HALO


def parse_layers(text):
    """'mixed3,mixed5' or 'mixed3:1,mixed5:1.5' -> [(name, weight)]."""
    out = []
    for item in text.split(","):
        name, _, w = item.strip().partition(":")
        if not name:
            raise ValueError("empty layer name in --layers")
        out.append((name, float(w) if w else 1.0))
    return out


def plan_axis(length, tile, halo, min_input):
    """core/tiler.c's plan_axis: [(start, size, core_start, core_size)]."""
    n = 1 if tile <= 0 or length <= tile else -(-length // tile)
    spans = []
    for i in range(n):
        # Equal cores: the remainder is spread, not left as a sliver.
        c0, c1 = length * i // n, length * (i + 1) // n
        s0, s1 = max(c0 - halo, 0), min(c1 + halo, length)
        want = min(min_input, length)
        if s1 - s0 < want:  # too small for the layers: grow inside the image
            s0 = max(s0 - (want - (s1 - s0) + 1) // 2, 0)
            s1 = min(s0 + want, length)
            s0 = s1 - want
        spans.append((s0, s1 - s0, c0, c1 - c0))
    return spans


def tile_plan(width, height, tile, halo=TILE_HALO, min_input=1):
    """inc_tiler_plan, row-major: [(x, y, w, h, core_x, core_y, core_w, core_h)]."""
    xs = plan_axis(width, tile, halo, min_input)
    ys = plan_axis(height, tile, halo, min_input)
    return [(x, y, w, h, cx, cy, cw, ch)
            for y, h, cy, ch in ys for x, w, cx, cw in xs]


def min_input_side(graph, names):
    """The C engine's min_input_side (the tiler's min_input): the smallest
    square input giving every layer >= 1 position, from the layers' windows
    as core/model.c's out_dim counts them (no forward passes needed)."""
    def dim(v, k, s, same):
        return -(-v // s) if same else ((v - k) // s + 1 if v >= k else 0)

    def side(s):
        out = {}
        for layer in graph.layers:  # topological order
            c = layer["config"]
            v = min((out[i] for i in graph.inputs[layer["name"]]), default=s)
            k = c.get("kernel_size") or c.get("pool_size")
            if k and v >= 1:
                st, same = c.get("strides") or k, c["padding"] == "same"
                v = min(dim(v, k[0], st[0], same), dim(v, k[1], st[1], same))
            out[layer["name"]] = v
        return min(out[n] for n in names)

    for s in range(1, 4097):
        if side(s) >= 1:
            return s
    raise ValueError("no input side up to 4096 reaches " + ",".join(names))


def make_step(graph, layers, step_size=STEP_SIZE, tile=0, min_input=1, rng=None):
    """tile <= 0: one pass over the whole image.  tile > 0: inceptionist's
    tiled step (see the module docstring); rng draws the roll."""
    names = [n for n, _ in layers]

    def grad_of(x):
        x = x.detach().requires_grad_(True)
        acts = graph.run(x, names)
        loss = sum(w * acts[n].mean() for n, w in layers)
        (g,) = torch.autograd.grad(loss, x)
        return g, float(loss)

    def step(img):
        if tile <= 0:
            g, loss = grad_of(img)
        else:
            height, width = img.shape[2:]
            area = float(width * height)
            # core/dream.c: g_rand_int_range (-tile, tile), x then y.
            sx, sy = (int(v) for v in rng.randint(-tile, tile, size=2))
            rolled = torch.roll(img, (sy, sx), dims=(2, 3))
            g, loss = torch.empty_like(img), 0.0
            for x, y, w, h, cx, cy, cw, ch in tile_plan(width, height, tile,
                                                         TILE_HALO, min_input):
                tg, tl = grad_of(rolled[:, :, y:y + h, x:x + w])
                # The tile's loss is a mean over its own positions: weighted
                # by its input's share of the image it stands for the whole
                # image's gradient.  The loss is weighted by core area.
                g[:, :, cy:cy + ch, cx:cx + cw] = (w * h / area) * \
                    tg[:, :, cy - y:cy - y + ch, cx - x:cx - x + cw]
                loss += tl * cw * ch / area
            g = torch.roll(g, (-sy, -sx), dims=(2, 3))
        g = g / (g.std(unbiased=False) + 1e-8)
        with torch.no_grad():
            return torch.clamp(img + step_size * g, -1.0, 1.0), loss

    return step


def load_image(path, max_dim):
    """RGB image -> float32 (H, W, 3) in [-1, 1]; a .npy is taken as is."""
    if path.endswith(".npy"):
        arr = np.load(path)
        if arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError("%s: expected shape (H, W, 3), got %s" % (path, arr.shape))
        return arr.astype(np.float32)
    try:
        from PIL import Image
    except ImportError:
        raise SystemExit("PIL is not available; pass a .npy input instead")
    img = Image.open(path).convert("RGB")
    if max_dim:
        img.thumbnail((max_dim, max_dim))
    return np.asarray(img, dtype=np.float32) / 127.5 - 1.0


def resize(img, h, w):
    # Bilinear with half-pixel centres, no antialias: tf.image.resize's default.
    return F.interpolate(img, size=(h, w), mode="bilinear", align_corners=False)


def synchronize(device):
    """Waits for the device's queued work: a GPU step is timed to its end."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_tf_tutorial(graph, img_hwc, layers, steps_per_octave, octaves, scale,
                    tile=0, seed=0, device=torch.device("cpu")):
    min_input = min_input_side(graph, [n for n, _ in layers]) if tile > 0 else 1
    step = make_step(graph, layers, tile=tile, min_input=min_input,
                     rng=np.random.RandomState(seed))
    img = nsfwjs_model.hwc_to_nchw(img_hwc, torch.float32).to(device)
    base = np.array(img.shape[2:], dtype=np.float32)
    t0 = time.perf_counter()
    for octave in octaves:
        # float32 product then truncation, as tf.cast(..., tf.int32) does.
        h, w = (base * np.float32(scale ** octave)).astype(np.int32)
        img = resize(img, int(h), int(w))
        ts = time.perf_counter()
        for _ in range(steps_per_octave):
            img, loss = step(img)
        synchronize(device)
        print("octave %+d: %dx%d, %d tiles, %d steps, %.3f s, loss %.5f" % (
            octave, w, h, len(tile_plan(int(w), int(h), tile)), steps_per_octave,
            time.perf_counter() - ts, loss), flush=True)
    img = resize(img, int(base[0]), int(base[1]))
    synchronize(device)
    return img, time.perf_counter() - t0


def save_output(path, img):
    hwc = nsfwjs_model.nchw_to_hwc(img).astype(np.float32)
    if path.endswith(".npy"):
        np.save(path, hwc)
        return
    from PIL import Image
    Image.fromarray((255 * (hwc + 1.0) / 2.0).astype(np.uint8)).save(path)


def warmed_step(graph, layers, size, seed, device=torch.device("cpu")):
    """The benchmark's step and a seeded random size x size image, after one
    warm-up step."""
    rng = np.random.RandomState(seed)
    img = torch.from_numpy(rng.uniform(-1, 1, (1, 3, size, size)).astype(np.float32))
    img = img.to(device)
    step = make_step(graph, layers)
    img, _ = step(img)
    synchronize(device)
    return step, img


def conv_kind(kernel_hw, stride):
    """'conv 3x3', 'conv 1x7', 'conv 3x3/2': inceptionist's kind names."""
    name = "conv %dx%d" % tuple(kernel_hw)
    return name if stride == 1 else "%s/%d" % (name, stride)


def label_forward(graph):
    """Wraps each layer's forward in a profiler range named by its kind
    (on this graph object only: the forward ops carry no layer of their own
    in torch.profiler's events)."""
    apply = graph._apply
    kinds = {"Conv2D": None, "MaxPooling2D": "maxpool", "AveragePooling2D": "avgpool",
             "Activation": "relu", "Concatenate": "concatenation"}

    def labelled(layer, xs):
        kind = layer["class_name"]
        if kind not in kinds:
            return apply(layer, xs)
        c = layer["config"]
        name = kinds[kind] or conv_kind(c["kernel_size"], c["strides"][0])
        with torch.profiler.record_function("%s forward" % name):
            return apply(layer, xs)

    graph._apply = labelled


def backward_kind(event):
    """The kind of an autograd op, from its name and input shapes."""
    if event.name == "aten::convolution_backward":
        grad_out, inp, weight = event.input_shapes[:3]
        kh, kw = weight[2:]
        out_h, in_h = grad_out[2], inp[2]
        # The peer pads explicitly, so the convolution itself is 'valid'.
        stride = (in_h - kh) // (out_h - 1) if out_h > 1 else 1
        return conv_kind((kh, kw), stride) + " backward"
    return {"aten::max_pool2d_with_indices_backward": "maxpool backward",
            "aten::avg_pool2d_backward": "avgpool backward",
            "aten::threshold_backward": "relu backward"}.get(event.name)


def profile_step(graph, layers, size, steps, seed):
    """Prints milliseconds a step per kind of layer, largest first."""
    from torch.profiler import ProfilerActivity, profile

    label_forward(graph)
    step, img = warmed_step(graph, layers, size, seed)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            img, _ = step(img)
        wall = (time.perf_counter() - t0) / steps
    per_kind = {}
    for event in prof.events():
        if event.name.endswith(" forward"):
            kind = event.name
        else:
            kind = backward_kind(event)
        if kind is not None:
            per_kind[kind] = per_kind.get(kind, 0.0) + event.cpu_time_total / 1e3 / steps
    print("# profile per kind, per step (torch.profiler, %d steps at %dx%d; "
          "profiled step %.3f s)" % (steps, size, size, wall))
    print("# %-32s %8s %6s" % ("name", "ms/step", "share"))
    for kind, ms in sorted(per_kind.items(), key=lambda kv: -kv[1]):
        print("  %-32s %8.2f %5.1f%%" % (kind, ms, 100.0 * ms / (wall * 1e3)))
    rest = wall * 1e3 - sum(per_kind.values())
    print("  %-32s %8.2f %5.1f%%" % ("other (autograd, update)", rest, 100.0 * rest / (wall * 1e3)))


def main():
    ap = argparse.ArgumentParser(description="PyTorch DeepDream step benchmark")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--layers", default="mixed3,mixed5")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", choices=["tf-tutorial"])
    ap.add_argument("--profile", action="store_true",
                    help="print the step's time per kind of layer instead")
    ap.add_argument("--image", help="input image (or .npy in [-1, 1]) for --preset")
    ap.add_argument("--max-dim", type=int, default=0, help="shrink the image first")
    ap.add_argument("--steps-per-octave", type=int, default=100)
    ap.add_argument("--tile", type=int, default=0,
                    help="--preset: tile side as inceptionist's --tile (0 = untiled)")
    ap.add_argument("--output", help="write the --preset result (PNG or .npy)")
    args = ap.parse_args()

    if args.size < 75 or args.steps < 1 or args.threads < 1:
        ap.error("--size must be >= 75, --steps and --threads >= 1")
    if args.preset and not args.image:
        ap.error("--preset needs --image")
    if args.tile < 0:
        ap.error("--tile must be >= 0")
    try:
        device = torch.device(args.device)
    except RuntimeError as e:
        ap.error("--device: %s" % e)
    if device.type == "cuda" and not torch.cuda.is_available():
        ap.error("--device %s: this torch sees no CUDA device" % args.device)
    if device.type == "cuda" and args.profile:
        ap.error("--profile times CPU operators only; run it with --device cpu")
    layers = parse_layers(args.layers)
    torch.set_num_threads(args.threads)
    model_dir = args.model_dir or nsfwjs_model.default_model_dir()
    try:
        graph = nsfwjs_model.load(model_dir, dtype=torch.float32, fold_bn=True)
    except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
        print("torch_bench: cannot load the model from %s: %s" % (model_dir, e),
              file=sys.stderr)
        return 1
    graph.to(device)
    where = (torch.cuda.get_device_name(device) if device.type == "cuda"
             else "%d threads" % torch.get_num_threads())
    print("torch %s, %s, layers %s" % (
        torch.__version__, where, ",".join("%s:%g" % lw for lw in layers)), flush=True)

    if args.preset == "tf-tutorial":
        img = load_image(args.image, args.max_dim)
        print("image %dx%d" % (img.shape[1], img.shape[0]), flush=True)
        out, total = run_tf_tutorial(graph, img, layers, args.steps_per_octave,
                                     range(-2, 3), 1.3, args.tile, args.seed, device)
        if args.output:
            save_output(args.output, out)
        print("seconds_total=%.3f" % total)
        return 0

    if args.profile:
        profile_step(graph, layers, args.size, args.steps, args.seed)
        return 0

    step, img = warmed_step(graph, layers, args.size, args.seed, device)
    times = []
    for i in range(args.steps):
        t0 = time.perf_counter()
        img, loss = step(img)
        synchronize(device)
        times.append(time.perf_counter() - t0)
        print("step %d: %.3f s, loss %.5f" % (i + 1, times[-1], loss), flush=True)
    print("size %dx%d: median %.3f s, mean %.3f s" % (
        args.size, args.size, statistics.median(times), statistics.mean(times)))
    print("seconds_per_step=%.4f" % statistics.median(times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
