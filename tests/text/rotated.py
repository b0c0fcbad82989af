"""Checks `retouch render-text --rotation` against FreeType's own rotation.

Reads a cases JSON (list of {name, font, size, text, rotation, png, glyphs})
written by tests/text.test.mjs. FreeType (freetype-py, unhinted, as we draw)
turns every glyph outline itself (FT_Set_Transform with the rotation matrix
and our sub-pixel pen position as the delta) and renders it; per case:
  positions  HarfBuzz (uharfbuzz) shapes the string upright; its pen positions
             turned by the angle here (float64) must be within POSITION_PX of
             the positions we report for the turned text.
  glyphs     around every glyph (FreeType's bitmap box of it), the ink
             centroid of our image and of FreeType's within GLYPH_PX.
  coverage   the whole string: relative L1 (sum |ours - FreeType| / sum
             FreeType) under L1_ROT, ink centroids within CENTROID_ROT px,
             total ink within INK_ROT. The string's centroid is looser than a
             glyph's: the two rasterisers' ink differs by 0.1 to 2.3 % from
             glyph to glyph (curve flattening), which over a 550 px string
             moves the centroid by a few tenths of a pixel (0.27 measured at
             15 degrees) while every glyph stays within 0.09 px.
Prints one line per case; exits 1 when any case fails.
"""
import json
import math

import numpy as np
from PIL import Image

from reference import centroid, compare, freetype_glyphs, harfbuzz_glyphs, run

POSITION_PX = 1 / 64
GLYPH_PX = 0.1
L1_ROT, CENTROID_ROT, INK_ROT = 0.04, 0.35, 0.02


def check(case):
    problems = []
    degrees = case["rotation"]
    ours = json.load(open(case["glyphs"]))["glyphs"]
    theirs = harfbuzz_glyphs(case["font"], case["size"], case["text"])
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    # HarfBuzz's pens (on one baseline), turned clockwise on screen.
    turned = [(c * x - s * y, s * x + c * y) for _, _, x, y in theirs]
    x0, y0 = ours[0]["x"] - turned[0][0], ours[0]["y"] - turned[0][1]
    worst = max(math.hypot(g["x"] - x0 - x, g["y"] - y0 - y) for g, (x, y) in zip(ours, turned))
    if len(ours) != len(theirs) or worst > POSITION_PX:
        problems.append(f"pen positions {worst:.4f} px from HarfBuzz's turned (bound {POSITION_PX:.4f})")
    parts = [f"{len(ours)} glyphs, pens within {worst:.4f} px of HarfBuzz's turned"]

    a = np.asarray(Image.open(case["png"]))[:, :, 3].astype(float) / 255
    # Clockwise on a y-down screen is counter-clockwise in FreeType's y-up
    # space turned the other way: x' = c·x + s·y, y' = −s·x + c·y.
    ft, boxes = freetype_glyphs(case["font"], case["size"], ours, a.shape, (c, s, -s, c))
    if ft.shape != a.shape or ft.sum() == 0:
        problems.append("FreeType drew nothing inside our image")
    shifts = []
    for top, left, bottom, right in boxes:
        mine = a[top:bottom, left:right]
        ref = ft[top:bottom, left:right]
        if ref.sum() > 1 and mine.sum() > 1:
            shifts.append(np.abs(centroid(mine) - centroid(ref)).max())
    glyph_shift = max(shifts)
    if glyph_shift > GLYPH_PX:
        problems.append(f"a glyph's ink centroid is {glyph_shift:.3f} px from FreeType's (bound {GLYPH_PX})")
    parts.append(f"glyph centroids within {glyph_shift:.3f} px")
    parts.append(compare(a, ft, (L1_ROT, CENTROID_ROT, INK_ROT), "FreeType", problems))
    print(f"{case['name']} at {degrees}°: " + "; ".join(parts))
    for p in problems:
        print(f"  FAIL {p}")
    return not problems


if __name__ == "__main__":
    run(check)
