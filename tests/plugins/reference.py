#!/usr/bin/env python3
"""Independent references for the example plugins (plugins/), written from the formulas in
each plugin's doc comment with NumPy and SciPy (implementations nobody here wrote): the unsharp
mask's blur is scipy.ndimage.gaussian_filter (truncate=3, mode='nearest', in float64); levels,
film grain and vignette are their formulas in float64 NumPy.

    reference.py prepare PHOTO OUT_DIR   (writes photo.png, a 700x480 crop, and tall.png,
                                          its 480x700 transpose, so tiles meet both ways)
    reference.py CASES.json

CASES.json is a list of {"plugin", "input", "outputs": [paths], "params", "tolerance",
"outliers"}: every channel of every output must be within `tolerance` levels of the reference,
except at most `outliers` (a fraction) of the values (the unsharp mask's threshold crossings).
Prints one JSON line per output and exits non-zero when one is off.
"""

import json
import sys

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter


def rounded(x):
    return np.floor(np.clip(x, 0, 255) + 0.5)


def unsharp_mask(rgb, p, shape):
    sigma = p.get("radius", 1.5)
    blurred = np.floor(gaussian_filter(rgb, sigma=(sigma, sigma, 0), truncate=3.0, mode="nearest") + 0.5)
    d = rgb - blurred
    sharpened = rounded(rgb + d * p.get("amount", 100) / 100)
    return np.where(np.abs(d) >= p.get("threshold", 0), sharpened, rgb)


def levels(rgb, p, shape):
    ib, iw = p.get("input_black", 0), p.get("input_white", 255)
    ob, ow = p.get("output_black", 0), p.get("output_white", 255)
    t = np.clip((rgb - ib) / max(iw - ib, 1), 0, 1)
    return rounded(ob + t ** (1 / p.get("gamma", 1)) * (ow - ob))


def lowbias32(x):
    """Chris Wellons' lowbias32 hash, wrapping in uint32 as the plugin does."""
    x = np.array(x, dtype=np.uint32)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x7FEB352D)
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def film_grain(rgb, p, shape):
    height, width = shape
    size, seed = max(p.get("size", 1.5), 1), int(p.get("seed", 1))
    strength = p.get("amount", 30) / 100 * 48
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    gx, gy = x / size, y / size
    fx, fy = np.floor(gx), np.floor(gy)
    sx, sy = [t * t * (3 - 2 * t) for t in (gx - fx, gy - fy)]
    ix, iy = fx.astype(np.uint32), fy.astype(np.uint32)

    def lattice(ix, iy, channel):
        h = lowbias32(ix ^ lowbias32(iy ^ lowbias32(np.uint32((seed * 4 + channel) & 0xFFFFFFFF))))
        return (h >> np.uint32(8)).astype(np.float64) / 8388607.5 - 1

    def noise(channel):
        top = lattice(ix, iy, channel) * (1 - sx) + lattice(ix + 1, iy, channel) * sx
        bottom = lattice(ix, iy + 1, channel) * (1 - sx) + lattice(ix + 1, iy + 1, channel) * sx
        return top * (1 - sy) + bottom * sy

    monochrome = p.get("monochrome", True)
    n = np.stack([noise(3)] * 3 if monochrome else [noise(c) for c in range(3)], axis=-1)
    luma = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]) / 255
    weight = strength * (0.25 + 3 * luma * (1 - luma))
    return rounded(rgb + n * weight[..., None])


def vignette(rgb, p, shape):
    height, width = shape
    amount = p.get("amount", -40) / 100
    midpoint, feather = p.get("midpoint", 60) / 100, max(p.get("feather", 60), 1) / 100
    cx, cy = width / 2, height / 2
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    d = np.hypot((x + 0.5 - cx) / cx, (y + 0.5 - cy) / cy) / np.sqrt(2)
    s = np.clip((d - (midpoint - feather / 2)) / feather, 0, 1)
    k = (amount * s * s * (3 - 2 * s))[..., None]
    return rounded(np.where(k < 0, rgb * (1 + k), rgb + (255 - rgb) * k))


PLUGINS = {
    "unsharp-mask": unsharp_mask,
    "levels": levels,
    "film-grain": film_grain,
    "vignette": vignette,
}


def prepare(photo, out):
    image = Image.open(photo).convert("RGBA").crop((300, 0, 1000, 480))
    image.save(f"{out}/photo.png")
    image.transpose(Image.Transpose.TRANSPOSE).save(f"{out}/tall.png")


def main():
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
        return
    failed = False
    for case in json.load(open(sys.argv[1])):
        source = np.asarray(Image.open(case["input"]).convert("RGBA")).astype(np.float64)
        expected = PLUGINS[case["plugin"]](source[..., :3], case["params"], source.shape[:2])
        for output in case["outputs"]:
            got = np.asarray(Image.open(output).convert("RGBA")).astype(np.float64)
            diff = np.abs(got[..., :3] - expected)
            alpha_kept = bool(np.array_equal(got[..., 3], source[..., 3]))
            over = float(np.mean(diff > case["tolerance"]))
            ok = alpha_kept and over <= case.get("outliers", 0)
            failed |= not ok
            print(json.dumps({
                "plugin": case["plugin"], "params": case["params"], "output": output,
                "max_diff": float(diff.max()), "mean_diff": round(float(diff.mean()), 4),
                "tolerance": case["tolerance"], "over_tolerance": over, "alpha_kept": alpha_kept,
                "ok": ok,
            }))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
