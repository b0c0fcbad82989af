#!/usr/bin/env python3
"""Optional manual cross-check of `retouch resize` (lanczos3, bicubic) against
Pillow's Image.resize (LANCZOS, BICUBIC), an implementation nobody here
wrote, on random opaque and translucent images, enlarging, shrinking and odd
ratios. Not run in CI: the check CI runs is the Rust test
`lanczos3_and_bicubic_match_a_direct_f64_evaluation` (crate/src/ops/resample/
tests.rs), which compares the CPU and GPU paths with a direct 2-D f64
evaluation of the kernels within ±1.

Against Pillow, two two-pass implementations are compared, and each rounds an
8-bit intermediate after its first pass: Pillow filters rows first,
fast_image_resize columns first, so opaque images may differ by 2 (each is
within 1 of the exact value, which the Rust test checks). Exits non-zero on
an opaque difference above OPAQUE_TOLERANCE. Translucent results are printed
for information only: Pillow premultiplies with 8-bit precision and we use
16 bits, so they differ by a few levels (3–4 seen) by design.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pillow numpy
    cargo build --release --bin retouch
    /tmp/venv/bin/python tests/resample/pillow_crosscheck.py [--retouch PATH]

Pillow filters translucent images premultiplied with 8-bit precision, so for
those the comparison is of premultiplied colour (what shows when composited),
where both must agree within ±1; opaque images are compared as they are.
"""

import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

FILTERS = {"lanczos3": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC}
# Colours stay within LOW..HIGH so that ringing never leaves 0..255 between
# the passes: Pillow filters rows first and fast_image_resize columns first,
# and each clips its 8-bit intermediate, so clipped overshoot would differ by
# pass order alone, not by any error in either.
LOW, HIGH = 40, 215
OPAQUE_TOLERANCE = 2
CASES = [((64, 48), (128, 96)), ((97, 61), (40, 23)), ((33, 70), (91, 17)), ((200, 150), (67, 211))]


def random_image(rng, w, h, opaque):
    """Blocks of random colour plus noise: edges, flats and texture."""
    block = int(rng.integers(1, 6))
    cells = rng.integers(LOW, HIGH + 1, size=(h // block + 1, w // block + 1, 4), dtype=np.uint8)
    img = np.repeat(np.repeat(cells, block, axis=0), block, axis=1)[:h, :w].copy()
    img[..., :3] = np.clip(img[..., :3].astype(int) + rng.integers(-6, 7, (h, w, 3)), LOW, HIGH)
    if opaque:
        img[..., 3] = 255
    return img


def premultiplied(img):
    return np.round(img[..., :3].astype(np.float64) * img[..., 3:4] / 255.0)


def main():
    parser = argparse.ArgumentParser()
    root = pathlib.Path(__file__).resolve().parents[2]
    parser.add_argument("--retouch", default=str(root / "target/release/retouch"))
    args = parser.parse_args()
    rng = np.random.default_rng(20240611)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for (sw, sh), (w, h) in CASES:
            for opaque in (True, False):
                src = random_image(rng, sw, sh, opaque)
                src_path = tmp / "src.png"
                Image.fromarray(src, "RGBA").save(src_path)
                for name, pil_filter in FILTERS.items():
                    out_path = tmp / "out.png"
                    subprocess.run([args.retouch, "resize", str(src_path), "-o", str(out_path),
                                    "--size", f"{w}x{h}", "--filter", name, "--backend", "cpu"],
                                   check=True)
                    ours = np.asarray(Image.open(out_path).convert("RGBA"))
                    theirs = np.asarray(Image.fromarray(src, "RGBA").resize((w, h), pil_filter))
                    if opaque:
                        diff = np.abs(ours.astype(int) - theirs.astype(int)).max()
                    else:
                        colour = np.abs(premultiplied(ours) - premultiplied(theirs)).max()
                        alpha = np.abs(ours[..., 3].astype(int) - theirs[..., 3].astype(int)).max()
                        diff = max(colour, alpha)
                    if opaque:
                        verdict = "ok" if diff <= OPAQUE_TOLERANCE else "FAIL"
                        failures += diff > OPAQUE_TOLERANCE
                    else:
                        verdict = "info"
                    kind = "opaque" if opaque else "translucent"
                    print(f"{verdict}: {name} {sw}×{sh} → {w}×{h} {kind}: max difference {diff:g}")
    print(f"{len(CASES) * len(FILTERS) - failures} opaque passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
