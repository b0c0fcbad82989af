#!/usr/bin/env python3
"""Independent checks of `retouch paint`, with references nobody here wrote:
scikit-image's disk rasteriser (skimage.draw.disk) for where a hard dab
paints at full strength and where it cannot reach, NumPy for the
straight-alpha "normal" compositing and the eraser (the W3C formulas, in
float), and a NumPy shifted copy for the clone stamp.

    reference.py make OUT.png opaque|translucent   (a seeded test picture)
    reference.py CASES.json

CASES.json is a list of {"check", "input", "outputs": [paths], "params"};
prints one JSON line per output ({"check", "output", "max_diff", "checked"})
and exits non-zero when any check fails.
"""

import json
import sys

import numpy as np
from PIL import Image
from skimage.draw import disk


def make(path, kind):
    rng = np.random.default_rng(7)
    h, w = 90, 120
    y, x = np.mgrid[0:h, 0:w]
    rgba = np.stack([(x * 2) % 256, (y * 3) % 256, (x * y) % 256, np.full_like(x, 255)], -1)
    rgba = (rgba + rng.integers(0, 40, rgba.shape)) % 256
    if kind == "opaque":
        rgba[..., 3] = 255
    Image.fromarray(rgba.astype(np.uint8), "RGBA").save(path)


def load(path):
    return np.asarray(Image.open(path).convert("RGBA"), dtype=np.float64)


def dab_zones(shape, centre, diameter):
    """Pixels a hard dab must paint fully (centres within R − 1, by
    skimage's disk: pixel (r, c) has its centre at (c + 0.5, r + 0.5) in
    our coordinates) and pixels it cannot touch (outside R)."""
    radius = diameter / 2
    rc = (centre[1] - 0.5, centre[0] - 0.5)
    full = np.zeros(shape[:2], bool)
    full[disk(rc, radius - 1, shape=shape[:2])] = True
    reach = np.zeros(shape[:2], bool)
    reach[disk(rc, radius, shape=shape[:2])] = True
    return full, ~reach


def hex_rgb(text):
    return np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)], np.float64)


def over(dest, rgb, alpha):
    """Straight-alpha source-over of colour `rgb` at `alpha` (0–1) on `dest`."""
    da = dest[..., 3:4] / 255
    out_a = alpha + da * (1 - alpha)
    out_rgb = (rgb * alpha + dest[..., :3] * da * (1 - alpha)) / np.maximum(out_a, 1e-12)
    return np.concatenate([out_rgb, out_a * 255], -1)


def check_brush(before, after, p):
    full, untouched = dab_zones(before.shape, p["centre"], p["diameter"])
    a = round(p["opacity"] / 100 * 255) / 255
    want = over(before, hex_rgb(p["color"]), a)
    return [(after[full], want[full]), (after[untouched], before[untouched])]


def check_eraser(before, after, p):
    full, untouched = dab_zones(before.shape, p["centre"], p["diameter"])
    a = round(p["opacity"] / 100 * 255) / 255
    want = before.copy()
    want[..., 3] = before[..., 3] * (1 - a)
    return [(after[full], want[full]), (after[untouched], before[untouched])]


def segment_distance(shape, start, end):
    """Distance of each pixel centre to the segment start–end."""
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))


def check_clone(before, after, p):
    (start, end), (sx, sy) = p["points"], p["source"]
    ox, oy = round(sx - start[0]), round(sy - start[1])
    h, w = before.shape[:2]
    # The picture shifted by the offset (NumPy), and where that source exists.
    shifted = np.zeros_like(before)
    has_source = np.zeros((h, w), bool)
    ys, xs = slice(max(0, -oy), min(h, h - oy)), slice(max(0, -ox), min(w, w - ox))
    shifted[ys, xs] = before[ys.start + oy : ys.stop + oy, xs.start + ox : xs.stop + ox]
    has_source[ys, xs] = True
    distance = segment_distance(before.shape, start, end)
    radius = p["diameter"] / 2
    # Dabs every `spacing` px: full strength within √((R − 1)² − (step/2)²) of the line.
    step = p["diameter"] * p["spacing"] / 100
    full = distance <= np.sqrt((radius - 1) ** 2 - (step / 2) ** 2) - 0.01
    untouched = distance >= radius + 0.5
    return [
        (after[full & has_source], shifted[full & has_source]),
        (after[full & ~has_source], before[full & ~has_source]),
        (after[untouched], before[untouched]),
    ]


CHECKS = {"brush": check_brush, "eraser": check_eraser, "clone": check_clone}


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
        return
    failed = False
    for case in json.load(open(sys.argv[1])):
        before = load(case["input"])
        for output in case["outputs"]:
            after = load(output)
            pairs = CHECKS[case["check"]](before, after, case["params"])
            diffs = [np.abs(got - want) for got, want in pairs]
            checked = [int(d.size) for d in diffs]
            worst = max(float(d.max()) if d.size else 0.0 for d in diffs)
            # Our integer result is the float one rounded once: within half a level.
            ok = worst <= 0.5 + 1e-6 and all(c > 0 for c in checked)
            print(json.dumps({"check": case["check"], "output": output, "max_diff": round(worst, 3), "checked": checked}))
            failed |= not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
