#!/usr/bin/env python3
"""Independent reference for `retouch seam` (the seam metric, see
crate/src/provider/seam.rs): the same figures computed with scikit-image's
sRGB→CIELAB conversion (skimage.color.rgb2lab, D65) and CIEDE2000
(skimage.color.deltaE_ciede2000), vectorised with NumPy.

    reference.py prepare PHOTOS_DIR OUTDIR   (writes, per photograph, the original,
                                              an elliptical mask and three edited results)
    reference.py CASES.json

Edge continuity: for every 4-neighbour pair p (mask > 127) / q (mask <= 127),
moved apart along the pair's direction to the first pixel with mask 255 inside
and the first with mask 0 outside (a feathered edge),
excess = max(0, ΔE00(result_p, result_q) − ΔE00(original_p, original_q));
median and 95th percentile (nearest rank). Inside: median ΔE00(original,
result) over mask > 0. CASES.json is a list of {"original", "result", "mask",
"metrics": the CLI's JSON}. Prints one JSON line per case and exits non-zero
if a figure differs by more than TOLERANCE.
"""

import json
import sys

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

TOLERANCE = 0.02
PHOTOS = ["chelsea", "coffee", "astronaut", "grass", "brick", "rocket"]
# The photograph pasted into each: one of another tone (grey texture into grey texture is a
# change of content the colour-continuity figure does not claim to see).
PASTED = {"chelsea": "rocket", "coffee": "grass", "astronaut": "brick",
          "grass": "chelsea", "brick": "coffee", "rocket": "astronaut"}


def rgb(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)


def prepare(photos, outdir):
    cases = []
    for i, name in enumerate(PHOTOS):
        original = rgb(f"{photos}/{name}.png")
        h, w, _ = original.shape
        y, x = np.mgrid[0:h, 0:w]
        radius = np.sqrt(((x - 98) / 28.0) ** 2 + ((y - 68) / 24.0) ** 2)
        inside = radius <= 1
        # Every other photograph gets a feathered mask: 255 inside, falling to 0 over ~4 px.
        soft = np.clip((1.15 - radius) / 0.15, 0, 1) if i % 2 else inside.astype(np.float64)
        u, v = x / w, y / h
        # A drift across the frame (gain and offset varying with position).
        gain = np.stack([1.06 + 0.14 * u, 1.04 - 0.10 * v, 0.92 + 0.10 * u * v], -1)
        offset = np.stack([8 - 12 * v, 2 + 6 * u, -10 + 14 * u], -1)
        drifted = np.clip(np.round(original * gain + offset), 0, 255)
        # Another photograph pasted in, and a small drift (2 levels).
        other = rgb(f"{photos}/{PASTED[name]}.png")
        results = {
            "drift": drifted,
            "pasted": other,
            "slight": np.clip(original + 2, 0, 255),
        }
        Image.fromarray(original.astype(np.uint8)).save(f"{outdir}/{name}.png")
        mask = f"{outdir}/{name}-mask.png"
        alpha = np.round(soft * 255)
        Image.fromarray(alpha.astype(np.uint8)).save(mask)
        for kind, edited in results.items():
            result = np.round(original + (edited - original) * (alpha[..., None] / 255.0))
            path = f"{outdir}/{name}-{kind}.png"
            Image.fromarray(result.astype(np.uint8)).save(path)
            cases.append({"original": f"{outdir}/{name}.png", "result": path, "mask": mask})
    json.dump(cases, open(f"{outdir}/cases.json", "w"))


def walk_pairs(mask):
    """The (inside, outside) pixel pairs across the edge of mask > 127: from each
    4-neighbour pair, inwards to the first pixel with mask 255 and outwards to the
    first with mask 0 (a feathered edge is measured whole)."""
    h, w = mask.shape
    selected = mask > 127
    pairs = []
    for y, x in zip(*np.nonzero(selected)):
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            qx, qy = x + dx, y + dy
            if not (0 <= qx < w and 0 <= qy < h) or selected[qy, qx]:
                continue
            ix, iy = x, y
            while mask[iy, ix] < 255:
                nx, ny = ix - dx, iy - dy
                if not (0 <= nx < w and 0 <= ny < h) or not selected[ny, nx]:
                    break
                ix, iy = nx, ny
            while mask[qy, qx] > 0:
                nx, ny = qx + dx, qy + dy
                if not (0 <= nx < w and 0 <= ny < h):
                    break
                qx, qy = nx, ny
            pairs.append((iy, ix, qy, qx))
    return np.array(pairs).T


def figures(original, result, mask):
    lab_o, lab_r = rgb2lab(original / 255.0), rgb2lab(result / 255.0)
    iy, ix, qy, qx = walk_pairs(mask)
    own = deltaE_ciede2000(lab_o[iy, ix], lab_o[qy, qx])
    step = deltaE_ciede2000(lab_r[iy, ix], lab_r[qy, qx])
    excess = np.sort(np.maximum(0.0, step - own))
    n = len(excess)
    p95 = excess[min(max(int(np.ceil(0.95 * n)), 1), n) - 1]
    inside = deltaE_ciede2000(lab_o[mask > 0], lab_r[mask > 0])
    return {
        "edgeDeltaE": float(np.median(excess)),
        "edgeDeltaEP95": float(p95),
        "edgePairs": n,
        "insideDeltaE": float(np.median(inside)),
    }


def check(cases_path):
    failed = False
    for case in json.load(open(cases_path)):
        mask = np.asarray(Image.open(case["mask"]).convert("L"))
        ours = case["metrics"]
        theirs = figures(rgb(case["original"]), rgb(case["result"]), mask)
        bad = [
            key
            for key, value in theirs.items()
            if abs(value - ours[key]) > (0 if key == "edgePairs" else TOLERANCE)
        ]
        failed |= bool(bad)
        print(json.dumps({"result": case["result"], "ours": ours, "scikit-image": theirs, "differs": bad}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[1])
