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
        [--filters lanczos3,edge] [--esrgan slim,medium,thick [--models DIR]]
        [--downscale area|bicubic]

--esrgan adds the AI upscaler with those networks (`--filter esrgan --model M`);
the total wall time of each variant over the set is printed as well.

--downscale bicubic makes the inputs the way DIV2K's were (antialiased
bicubic), the degradation the networks were trained on; the default is area
averaging.

--crops writes a side-by-side crop (original, lanczos3, edge) per factor.
"""

import argparse
import pathlib
import subprocess
import sys
import tempfile
import time

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


def bicubic_downscale(img, factor):
    """Antialiased bicubic (Keys, a = −0.5: MATLAB's `imresize`, through
    Pillow), the degradation DIV2K's low-resolution images, which the ESRGAN
    networks were trained on, were made with."""
    from PIL import Image  # installed with scikit-image (through imageio)

    h, w, _ = img.shape
    small = Image.fromarray(img).resize((w // factor, h // factor), Image.Resampling.BICUBIC)
    return np.asarray(small)


DOWNSCALE = {"area": area_downscale, "bicubic": bicubic_downscale}


def upscale(retouch, small_path, out_path, size, filt, param, factor, models):
    args = [retouch, "resize", str(small_path), "-o", str(out_path), "--filter", filt]
    if filt == "esrgan":
        args += ["--scale", str(factor), "--model", param]
        if models:
            args += ["--models", models]
    else:
        args += ["--size", f"{size[1]}x{size[0]}", "--backend", "cpu"]
    if filt == "edge":
        args += ["--sharpness", str(param)]
    subprocess.run(args, check=True)
    return io.imread(out_path)[..., :3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = pathlib.Path(__file__).resolve().parents[2]
    parser.add_argument("--retouch", default=str(root / "target/release/retouch"))
    parser.add_argument("--sharpness", default="0.1",
                        help="comma-separated sharpness values for the edge filter")
    parser.add_argument("--crops", help="folder for side-by-side crops")
    parser.add_argument("--filters", default=",".join(FILTERS),
                        help="comma-separated classical filters to measure")
    parser.add_argument("--esrgan", default="", help="comma-separated ESRGAN networks (slim, medium, thick)")
    parser.add_argument("--factors", default=",".join(map(str, FACTORS)),
                        help="comma-separated factors (2, 4)")
    parser.add_argument("--models", help="folder of converted networks (default: the CLI's search)")
    parser.add_argument("--downscale", choices=sorted(DOWNSCALE), default="area",
                        help="how the low-resolution inputs are made (default: area averaging)")
    args = parser.parse_args()
    sharpness = [float(s) for s in args.sharpness.split(",")]
    filters = args.filters.split(",")
    variants = [(f, None) for f in FILTERS if f != "edge" and f in filters]
    variants += [("edge", s) for s in sharpness if "edge" in filters]
    variants += [("esrgan", m) for m in args.esrgan.split(",") if m]
    seconds = {}
    factors = [int(f) for f in args.factors.split(",")]

    scores = {}  # (factor, filter, sharpness) -> list of (psnr, ssim)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for name, img in images():
            for factor in factors:
                small = tmp / f"{name}-{factor}.png"
                io.imsave(small, DOWNSCALE[args.downscale](img, factor), check_contrast=False)
                for filt, sharp in variants:
                    out = tmp / f"{name}-{factor}-{filt}.png"
                    start = time.perf_counter()
                    up = upscale(args.retouch, small, out, img.shape[:2], filt, sharp, factor,
                                 args.models)
                    seconds[(factor, filt, sharp)] = (seconds.get((factor, filt, sharp), 0)
                                                      + time.perf_counter() - start)
                    psnr = peak_signal_noise_ratio(img, up, data_range=255)
                    ssim = structural_similarity(img, up, channel_axis=2, data_range=255)
                    scores.setdefault((factor, filt, sharp), []).append((psnr, ssim))
                    if args.crops and name == "astronaut" and filt in ("lanczos3", "edge", "esrgan"):
                        crop = up[40:200, 140:300]
                        pathlib.Path(args.crops).mkdir(parents=True, exist_ok=True)
                        io.imsave(pathlib.Path(args.crops) / f"x{factor}-{filt}{'-' + sharp if filt == 'esrgan' else ''}.png", crop,
                                  check_contrast=False)
            if args.crops and name == "astronaut":
                io.imsave(pathlib.Path(args.crops) / "original.png", img[40:200, 140:300],
                          check_contrast=False)
            print(f"  {name}: {img.shape[1]}×{img.shape[0]}", file=sys.stderr)

    print("| factor | filter | PSNR (dB) | SSIM | seconds (whole set) |")
    print("|---|---|---|---|---|")
    for factor in factors:
        for filt, sharp in variants:
            values = np.array(scores[(factor, filt, sharp)])
            label = (filt if sharp is None else f"{filt} (sharpness {sharp:g})" if filt == "edge"
                     else f"{filt} ({sharp})")
            print(f"| ×{factor} | {label} | {values[:, 0].mean():.2f} | {values[:, 1].mean():.4f} "
                  f"| {seconds[(factor, filt, sharp)]:.1f} |")
    for factor in factors:
        if (factor, "lanczos3", None) not in scores:
            continue
        lanczos = np.array(scores[(factor, "lanczos3", None)])[:, 0].mean()
        for filt, sharp in variants:
            if filt in ("edge", "esrgan"):
                value = np.array(scores[(factor, filt, sharp)])[:, 0].mean()
                print(f"×{factor}: {filt} ({sharp}) − lanczos3 = {value - lanczos:+.2f} dB PSNR")


if __name__ == "__main__":
    main()
