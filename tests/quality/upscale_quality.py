#!/usr/bin/env python3
"""Upscaling quality benchmark for `retouch resize`.

Natural photographs (the public-domain samples bundled with scikit-image) are
shrunk ×2 and ×4 by area averaging, enlarged back with each filter through the
CLI, and compared with the original: PSNR (dB) and SSIM on RGB, averaged over
the set. scikit-image is needed only here; install it into a throwaway venv:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scikit-image
    cargo build --release --bin retouch
    /tmp/venv/bin/python tests/quality/upscale_quality.py [--retouch PATH]
        [--sharpness 0.1,0.25,0.5] [--crops DIR]   (default: 0.1, the core's)

--crops writes a side-by-side crop (original, lanczos3, edge) per factor.
"""

import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from skimage import data, io
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

FILTERS = ["nearest", "bilinear", "bicubic", "mitchell", "lanczos3", "edge"]
FACTORS = [2, 4]


def images():
    """RGB uint8 test photographs, cropped to a multiple of 4 px."""
    samples = {
        "astronaut": data.astronaut(),
        "chelsea": data.chelsea(),
        "coffee": data.coffee(),
        "rocket": data.rocket(),
        "motorcycle": data.stereo_motorcycle()[0],
        "immunohistochemistry": data.immunohistochemistry(),
        "retina": data.retina(),
    }
    for name, img in samples.items():
        img = np.asarray(img)[..., :3]
        h, w = (img.shape[0] // 4) * 4, (img.shape[1] // 4) * 4
        yield name, np.ascontiguousarray(img[:h, :w])


def area_downscale(img, factor):
    """Mean of each factor×factor block, rounded to uint8."""
    h, w, c = img.shape
    blocks = img.reshape(h // factor, factor, w // factor, factor, c).astype(np.float64)
    return np.clip(np.round(blocks.mean(axis=(1, 3))), 0, 255).astype(np.uint8)


def upscale(retouch, small_path, out_path, size, filt, sharpness):
    args = [retouch, "resize", str(small_path), "-o", str(out_path),
            "--size", f"{size[1]}x{size[0]}", "--filter", filt, "--backend", "cpu"]
    if filt == "edge":
        args += ["--sharpness", str(sharpness)]
    subprocess.run(args, check=True)
    return io.imread(out_path)[..., :3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = pathlib.Path(__file__).resolve().parents[2]
    parser.add_argument("--retouch", default=str(root / "target/release/retouch"))
    parser.add_argument("--sharpness", default="0.1",
                        help="comma-separated sharpness values for the edge filter")
    parser.add_argument("--crops", help="folder for side-by-side crops")
    args = parser.parse_args()
    sharpness = [float(s) for s in args.sharpness.split(",")]
    variants = [(f, None) for f in FILTERS if f != "edge"] + [("edge", s) for s in sharpness]

    scores = {}  # (factor, filter, sharpness) -> list of (psnr, ssim)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for name, img in images():
            for factor in FACTORS:
                small = tmp / f"{name}-{factor}.png"
                io.imsave(small, area_downscale(img, factor), check_contrast=False)
                for filt, sharp in variants:
                    out = tmp / f"{name}-{factor}-{filt}.png"
                    up = upscale(args.retouch, small, out, img.shape[:2], filt, sharp)
                    psnr = peak_signal_noise_ratio(img, up, data_range=255)
                    ssim = structural_similarity(img, up, channel_axis=2, data_range=255)
                    scores.setdefault((factor, filt, sharp), []).append((psnr, ssim))
                    if args.crops and name == "astronaut" and filt in ("lanczos3", "edge"):
                        crop = up[40:200, 140:300]
                        pathlib.Path(args.crops).mkdir(parents=True, exist_ok=True)
                        io.imsave(pathlib.Path(args.crops) / f"x{factor}-{filt}.png", crop,
                                  check_contrast=False)
            if args.crops and name == "astronaut":
                io.imsave(pathlib.Path(args.crops) / "original.png", img[40:200, 140:300],
                          check_contrast=False)
            print(f"  {name}: {img.shape[1]}×{img.shape[0]}", file=sys.stderr)

    print("| factor | filter | PSNR (dB) | SSIM |")
    print("|---|---|---|---|")
    for factor in FACTORS:
        for filt, sharp in variants:
            values = np.array(scores[(factor, filt, sharp)])
            label = filt if sharp is None else f"{filt} (sharpness {sharp:g})"
            print(f"| ×{factor} | {label} | {values[:, 0].mean():.2f} | {values[:, 1].mean():.4f} |")
    for factor in FACTORS:
        lanczos = np.array(scores[(factor, "lanczos3", None)])[:, 0].mean()
        for sharp in sharpness:
            edge = np.array(scores[(factor, "edge", sharp)])[:, 0].mean()
            print(f"×{factor}: edge (sharpness {sharp:g}) − lanczos3 = {edge - lanczos:+.2f} dB PSNR")


if __name__ == "__main__":
    main()
