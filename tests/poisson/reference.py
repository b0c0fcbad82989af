#!/usr/bin/env python3
"""Independent reference for `retouch heal` (gradient-domain blending, see
crate/src/ops/poisson/mod.rs): the same linear system assembled with SciPy's
sparse matrices from the equation in the module docs and solved directly
with scipy.sparse.linalg.spsolve, in float64.

    reference.py prepare PHOTO OUTDIR   (writes OUTDIR/photo.png, a crop of PHOTO,
                                         and OUTDIR/mask.png, an irregular hole)
    reference.py CASES.json

CASES.json is a list of {"input", "mask", "offset": [dx, dy], "screening",
"outputs": [paths], "tolerance"}. The source of pixel (x, y) is the input at
(x + dx, y + dy), clamped to the canvas. Each output must equal the input
outside the mask and be within `tolerance` levels of the solve inside it.
Prints one JSON line per output and exits non-zero if any fails.
"""

import json
import sys

import numpy as np
from PIL import Image
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve


def prepare(photo, outdir):
    img = Image.open(photo).convert("RGB").crop((300, 120, 540, 320))
    img.save(f"{outdir}/photo.png")
    h, w = img.height, img.width
    y, x = np.mgrid[0:h, 0:w]
    ellipse = ((x - 110) / 60.0) ** 2 + ((y - 95) / 45.0) ** 2 <= 1
    bite = (x > 140) & (y < 80)
    arm = (np.abs(y - 95) < 3) & (x > 20) & (x < 110)
    hole = (ellipse & ~bite) | arm
    Image.fromarray(np.where(hole, 255, 0).astype(np.uint8)).save(f"{outdir}/mask.png")


def solve(dest, mask, offset, screening):
    h, w, _ = dest.shape
    dx, dy = offset
    ys = np.clip(np.arange(h) + dy, 0, h - 1)
    xs = np.clip(np.arange(w) + dx, 0, w - 1)
    src = dest[ys][:, xs]
    inside = mask > 0
    index = -np.ones((h, w), dtype=np.int64)
    index[inside] = np.arange(inside.sum())
    n = int(inside.sum())
    rows, cols, vals = [], [], []
    rhs = np.zeros((n, 3))
    for y, x in zip(*np.nonzero(inside)):
        p = index[y, x]
        degree = 0
        for qy, qx in ((y, x - 1), (y, x + 1), (y - 1, x), (y + 1, x)):
            if not (0 <= qy < h and 0 <= qx < w):
                continue
            degree += 1
            rhs[p] += src[y, x] - src[qy, qx]
            if inside[qy, qx]:
                rows.append(p)
                cols.append(index[qy, qx])
                vals.append(-1.0)
            else:
                rhs[p] += dest[qy, qx]
        rows.append(p)
        cols.append(p)
        vals.append(degree + screening)
        rhs[p] += screening * src[y, x]
    a = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
    out = dest.copy()
    for c in range(3):
        out[..., c][inside] = spsolve(a, rhs[:, c])
    return np.clip(np.round(out), 0, 255)


def check(cases_path):
    failed = False
    for case in json.load(open(cases_path)):
        dest = np.asarray(Image.open(case["input"]).convert("RGB"), dtype=np.float64)
        mask = np.asarray(Image.open(case["mask"]).convert("L"))
        expected = solve(dest, mask, case["offset"], case["screening"])
        inside = mask > 0
        for path in case["outputs"]:
            got = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
            diff = np.abs(got - expected)
            outside_changed = int((got[~inside] != dest[~inside]).sum())
            worst = float(diff[inside].max())
            ok = worst <= case["tolerance"] and outside_changed == 0
            failed |= not ok
            print(json.dumps({
                "output": path, "max_diff": worst, "mean_diff": float(diff[inside].mean()),
                "outside_changed": outside_changed, "tolerance": case["tolerance"], "ok": ok,
            }))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[1])
