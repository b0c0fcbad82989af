#!/usr/bin/env python3
"""Independent references for `retouch adjust`, from libraries nobody here
wrote: Pillow (ImageEnhance, Image.point LUTs, Image.blend, the
UnsharpMask filter), SciPy (PchipInterpolator, ndimage.gaussian_filter)
and Python's colorsys (HLS). Each formula is the one documented in
crate/src/ops/adjust/mod.rs, written here from that text.

    reference.py crop IN X,Y,W,H OUT   (writes a crop of IN, the test photo)
    reference.py CASES.json

CASES.json is a list of {"input", "outputs": [paths], "kind", "params",
"tolerance"}; each output must be within `tolerance` levels of the
reference on every channel. Prints one JSON line per case
({"kind", "output", "max_diff", "mean_diff", "tolerance"}) and exits
non-zero if any exceeds its tolerance.
"""

import colorsys
import json
import sys

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter
from scipy.interpolate import PchipInterpolator
from scipy.ndimage import gaussian_filter


def levels(img, p):
    ib, iw = p.get("input_black", 0), p.get("input_white", 255)
    ob, ow = p.get("output_black", 0), p.get("output_white", 255)
    gamma = p.get("gamma", 1)
    v = np.arange(256, dtype=np.float64)
    t = np.clip((v - ib) / (iw - ib), 0, 1)
    lut = np.clip(np.round(ob + t ** (1 / gamma) * (ow - ob)), 0, 255).astype(int).tolist()
    return img.convert("RGB").point(lut * 3)


def pchip(text):
    pts = [tuple(float(c) for c in pair.split(":")) for pair in text.split(",")]
    xs, ys = zip(*pts)
    f = PchipInterpolator(xs, ys)
    return lambda v: f(np.clip(v, xs[0], xs[-1]))


def curves(img, p):
    ident = "0:0,255:255"
    master = pchip(p.get("master", ident))
    v = np.arange(256, dtype=np.float64)
    lut = []
    for c in ("red", "green", "blue"):
        out = master(pchip(p.get(c, ident))(v))
        lut += np.clip(np.round(out), 0, 255).astype(int).tolist()
    return img.convert("RGB").point(lut)


def brightness_contrast(img, p):
    out = img.convert("RGB")
    out = ImageEnhance.Brightness(out).enhance(1 + p.get("brightness", 0) / 100)
    grey = Image.new("RGB", out.size, (128, 128, 128))
    return Image.blend(grey, out, 1 + p.get("contrast", 0) / 100)


def per_pixel(img, f):
    a = np.asarray(img.convert("RGB"), dtype=np.float64) / 255
    flat = a.reshape(-1, 3)
    out = np.array([f(*px) for px in flat]).reshape(a.shape)
    return np.clip(np.floor(out * 255 + 0.5), 0, 255).astype(np.uint8)


def hue_saturation(img, p):
    hue, sat, light = p.get("hue", 0) / 360, p.get("saturation", 0) / 100, p.get("lightness", 0) / 100

    def f(r, g, b):
        h, l, s = colorsys.rgb_to_hls(r, g, b)
        l = l * (1 + light) if light < 0 else l + (1 - l) * light
        s = min(max(s * (1 + sat), 0), 1)
        return colorsys.hls_to_rgb((h + hue) % 1, l, s)

    return per_pixel(img, f)


def color_balance(img, p):
    ranges = ("shadows", "midtones", "highlights")
    axes = ("cyan_red", "magenta_green", "yellow_blue")
    shift = [[p.get(f"{r}_{a}", 0) / 100 for a in axes] for r in ranges]
    preserve = p.get("preserve_luminosity", True)
    a_, b_, scale = 0.25, 0.333, 0.7

    def f(r, g, b):
        l = colorsys.rgb_to_hls(r, g, b)[1]
        w = (
            min(max((l - b_) / -a_ + 0.5, 0), 1) * scale,
            min(max((l - b_) / a_ + 0.5, 0), 1) * min(max((l + b_ - 1) / -a_ + 0.5, 0), 1) * scale,
            min(max((l + b_ - 1) / a_ + 0.5, 0), 1) * scale,
        )
        out = [min(max(v + sum(shift[k][c] * w[k] for k in range(3)), 0), 1) for c, v in enumerate((r, g, b))]
        if preserve:
            h, _, s = colorsys.rgb_to_hls(*out)
            out = colorsys.hls_to_rgb(h, l, s)
        return out

    return per_pixel(img, f)


def gaussian_blur(img, p):
    a = np.asarray(img.convert("RGB"), dtype=np.float64)
    sigma = p.get("sigma", 2)
    out = np.stack([gaussian_filter(a[..., c], sigma, mode="nearest", truncate=8) for c in range(3)], -1)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def unsharp_mask(img, p):
    return img.convert("RGB").filter(
        ImageFilter.UnsharpMask(p.get("radius", 1), int(p.get("amount", 100)), int(p.get("threshold", 0)))
    )


def unsharp_mask_scipy(img, p):
    """The same unsharp mask over SciPy's exact Gaussian (blur rounded to 8 bits)."""
    a = np.asarray(img.convert("RGB"), dtype=np.float64)
    blurred = np.asarray(gaussian_blur(img, {"sigma": p.get("radius", 1)}), dtype=np.float64)
    d = a - blurred
    out = np.where(np.abs(d) >= p.get("threshold", 0), a + d * p.get("amount", 100) / 100, a)
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


REFERENCES = {
    "levels": levels,
    "curves": curves,
    "brightness_contrast": brightness_contrast,
    "hue_saturation": hue_saturation,
    "color_balance": color_balance,
    "gaussian_blur": gaussian_blur,
    "unsharp_mask": unsharp_mask,
    "unsharp_mask_scipy": unsharp_mask_scipy,
}


def main():
    if sys.argv[1] == "crop":
        x, y, w, h = (int(v) for v in sys.argv[3].split(","))
        Image.open(sys.argv[2]).convert("RGBA").crop((x, y, x + w, y + h)).save(sys.argv[4])
        return
    cases = json.load(open(sys.argv[1]))
    failed = False
    for case in cases:
        img = Image.open(case["input"])
        want = np.asarray(REFERENCES[case["reference"]](img, case["params"]), dtype=np.int16)[..., :3]
        for output in case["outputs"]:
            got = np.asarray(Image.open(output).convert("RGB"), dtype=np.int16)
            diff = np.abs(got - want)
            result = {
                "reference": case["reference"],
                "output": output,
                "max_diff": int(diff.max()),
                "mean_diff": round(float(diff.mean()), 4),
                "tolerance": case["tolerance"],
            }
            print(json.dumps(result))
            failed |= result["max_diff"] > case["tolerance"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
