#!/usr/bin/env python3
"""Content-aware fill quality benchmark for `retouch fill`, next to OpenCV's inpainting.

Six natural photographs (scikit-image's bundled public-domain/CC0 samples) get a hole of three
sizes (blemish r=6, object r=20, large region r=45 px; discs placed in textured areas). Each
method fills it; inside the hole we measure PSNR and SSIM against the original (how close to
what was there) and the texture distance (total variation between the gradient-magnitude
histograms of the filled hole and of a ring around it, 0 = same texture statistics, 1 =
disjoint; blurry fills score badly). Methods: `retouch fill` (default options, seed 0), OpenCV
`inpaint` Telea and Navier-Stokes (radius 5), and G'MIC's patch-based `inpaint` (Debian package
`gmic`, when it is installed; parameters in `GMIC_INPAINT`). Dependencies only here, in a
throwaway venv:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scikit-image opencv-python-headless
    cargo build --release --bin retouch
    /tmp/venv/bin/python tests/quality/fill_quality.py [--retouch PATH] [--gmic PATH] [--crops DIR]
"""

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np
from skimage import data, io
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

RADII = [6, 20, 45]
# G'MIC's patch-based inpaint (`inpaint [mask],patch_size,lookup_size,lookup_factor,
# lookup_increment,blend_size,blend_threshold,blend_decay,blend_scales,is_blend_outer`):
# 7 px patches like retouch's default, the rest G'MIC's own defaults.
GMIC_INPAINT = "7,16,0.1,1,1.2,0,0.05,10,1"


def images():
    """RGB uint8 photographs and, per photo, a hole centre in a textured area."""
    return {
        "astronaut": (data.astronaut(), (300, 350)),
        "chelsea": (data.chelsea(), (180, 120)),
        "coffee": (data.coffee(), (260, 120)),
        "rocket": (data.rocket(), (330, 420)),
        "grass": (np.stack([data.grass()] * 3, -1), (256, 256)),
        "brick": (np.stack([data.brick()] * 3, -1), (256, 256)),
    }


def disc(shape, centre, radius):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return ((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2) <= radius**2


def grad_hist(gray, where):
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt(gx * gx + gy * gy)
    inner = cv2.erode(where.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    values = mag[inner]
    hist, _ = np.histogram(np.minimum(values, 255), bins=16, range=(0, 256))
    return hist / max(1, hist.sum())


def texture_distance(img, hole, radius):
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)).astype(bool) & ~hole
    return 0.5 * np.abs(grad_hist(gray, hole) - grad_hist(gray, ring)).sum()


def hole_metrics(original, filled, hole, radius):
    ys, xs = np.nonzero(hole)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    a, b = original[y0:y1, x0:x1], filled[y0:y1, x0:x1]
    m = hole[y0:y1, x0:x1]
    psnr = peak_signal_noise_ratio(original[hole], filled[hole], data_range=255)
    _, ssim_map = structural_similarity(a, b, channel_axis=2, data_range=255, full=True, win_size=min(7, (min(a.shape[:2]) // 2) * 2 + 1))
    return psnr, float(ssim_map[m].mean()), texture_distance(filled, hole, radius)


def run_retouch(binary, img, hole, tmp):
    src, mask, out = tmp / "in.png", tmp / "mask.png", tmp / "out.png"
    io.imsave(src, img, check_contrast=False)
    io.imsave(mask, (hole * 255).astype(np.uint8), check_contrast=False)
    subprocess.run([binary, "fill", str(src), "--mask", str(mask), "-o", str(out)], check=True)
    return io.imread(out)[..., :3]


def run_gmic(binary, img, hole, tmp):
    src, mask, out = tmp / "in.png", tmp / "mask.png", tmp / "gmic.png"
    io.imsave(src, img, check_contrast=False)
    io.imsave(mask, (hole * 255).astype(np.uint8), check_contrast=False)
    command = [binary, "-v", "-1", str(src), str(mask), "inpaint[0]", f"[1],{GMIC_INPAINT}", "keep[0]", "output", str(out)]
    subprocess.run(command, check=True)
    return io.imread(out)[..., :3]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--retouch", default="target/release/retouch")
    parser.add_argument("--gmic", default=shutil.which("gmic"), help="G'MIC's CLI (default: gmic on PATH; skipped without it)")
    parser.add_argument("--crops", help="write a side-by-side crop per hole size here")
    args = parser.parse_args()
    methods = ["retouch", "telea", "ns"] + (["gmic"] if args.gmic else [])
    totals = {(m, r): [] for m in methods for r in RADII}
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        for name, (img, centre) in images().items():
            img = np.ascontiguousarray(img[..., :3])
            for radius in RADII:
                hole = disc(img.shape, centre, radius)
                mask8 = (hole * 255).astype(np.uint8)
                results = {
                    "retouch": run_retouch(args.retouch, img, hole, tmp),
                    "telea": cv2.inpaint(img, mask8, 5, cv2.INPAINT_TELEA),
                    "ns": cv2.inpaint(img, mask8, 5, cv2.INPAINT_NS),
                }
                if args.gmic:
                    results["gmic"] = run_gmic(args.gmic, img, hole, tmp)
                for method, filled in results.items():
                    totals[(method, radius)].append(hole_metrics(img, filled, hole, radius))
                if args.crops and name == "grass":
                    pad = radius * 2
                    y, x = centre
                    crop = lambda im: im[max(0, y - pad): y + pad, max(0, x - pad): x + pad]
                    shown = [crop(img)] + [crop(results[m]) for m in methods]
                    io.imsave(pathlib.Path(args.crops) / f"fill-r{radius}.png", np.concatenate(shown, 1), check_contrast=False)
    print("| hole | method | PSNR (dB) | SSIM | texture distance (lower is better) |")
    print("|---|---|---|---|---|")
    for radius in RADII:
        for method in methods:
            v = np.array(totals[(method, radius)])
            print(f"| r={radius} px | {method} | {v[:, 0].mean():.2f} | {v[:, 1].mean():.3f} | {v[:, 2].mean():.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
