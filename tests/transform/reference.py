"""Checks `retouch transform` outputs against Pillow's affine transform.

Pillow's affine BICUBIC is a cubic convolution with a = -1 (ours: a = -0.5,
checked exactly against image-rs elsewhere), so values differ by a few
levels at edges; what this checks is the geometry: pixel centres, the sense
of rotation and skew, the matrix order. Compared where every tap of both
kernels lies inside the source. A negative control shows the threshold
catches a geometry error of half a pixel.

Usage: reference.py CASES.json  (a list of {input, output, matrix, tolerance})
Prints one line per case; exits 1 when a case fails.
"""
import json
import sys

import numpy as np
from PIL import Image


def inverse(m):
    a, b, c, d, e, f = m
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return ia, ib, ic, id_, -(ia * e + ic * f), -(ib * e + id_ * f)


def pillow(src, matrix, size):
    ia, ib, ic, id_, ie, if_ = inverse(matrix)
    # Pillow maps output (x, y) to input (a·x + b·y + c, d·x + e·y + f).
    data = (ia, ic, ie, ib, id_, if_)
    return np.asarray(src.transform(size, Image.AFFINE, data, resample=Image.BICUBIC)).astype(np.int16)


def interior(matrix, size, src_size):
    """Output pixels whose sample point has every tap inside the source."""
    ia, ib, ic, id_, ie, if_ = inverse(matrix)
    w, h = size
    x, y = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    u = ia * x + ic * y + ie - 0.5
    v = ib * x + id_ * y + if_ - 0.5
    sw, sh = src_size
    return (u >= 2) & (v >= 2) & (u <= sw - 4) & (v <= sh - 4)


def main():
    failed = False
    for case in json.load(open(sys.argv[1])):
        src = Image.open(case["input"]).convert("RGBA")
        ours = np.asarray(Image.open(case["output"]).convert("RGBA")).astype(np.int16)
        size = (ours.shape[1], ours.shape[0])
        inside = interior(case["matrix"], size, src.size)
        theirs = pillow(src, case["matrix"], size)
        diff = np.abs(ours - theirs)[inside][:, :3]
        a, b, c, d, e, f = case["matrix"]
        shifted = pillow(src, (a, b, c, d, e + 0.5, f + 0.5), size)
        control = np.abs(ours - shifted)[inside][:, :3]
        mean, p99, wrong = diff.mean(), np.percentile(diff, 99), control.mean()
        ok = inside.sum() > 1000 and mean <= case["tolerance"] and wrong > 2 * case["tolerance"]
        failed |= not ok
        print(
            f"{'ok' if ok else 'FAIL'} {case['name']}: mean |diff| {mean:.3f} (≤ {case['tolerance']}), "
            f"99th percentile {p99:.0f}, half a pixel off would give {wrong:.3f}, {inside.sum()} px compared"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
