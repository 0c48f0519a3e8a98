#!/usr/bin/python3
"""Writes the reference arrays that tests/test-image.c checks inc_image_resize
against: a fixed (6, 7, 2) input and torch's bilinear resize
(align_corners=False, antialias=False) of it to several sizes.

Run from tests/data with a Python that has torch and numpy:
    /usr/bin/python3 make-resize-reference.py
"""
import numpy as np
import torch
import torch.nn.functional as F

SIZES = [(13, 11), (3, 4), (2, 9), (1, 1), (5, 20), (6, 7)]  # (height, width)

rng = np.random.default_rng(20240601)
src = rng.uniform(-1.0, 1.0, size=(6, 7, 2)).astype(np.float32)
np.save("resize-input.npy", src)

x = torch.from_numpy(src).permute(2, 0, 1).unsqueeze(0)  # (1, C, H, W)
for h, w in SIZES:
    y = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False,
                      antialias=False)
    out = y.squeeze(0).permute(1, 2, 0).contiguous().numpy().astype(np.float32)
    np.save(f"resize-{h}x{w}.npy", out)
