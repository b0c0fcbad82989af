"""Checks `retouch render-text` against implementations nobody here wrote.

Reads a cases JSON (list of {name, font, size, text, png, glyphs}) written by
tests/text.test.mjs and, per case:
  shaping   HarfBuzz (uharfbuzz) shapes the same string in the same font: the
            glyph ids and clusters must be equal and every glyph's position
            (pen + offset, relative to the first) within POSITION_PX of ours.
  FreeType  FreeType (freetype-py, unhinted, as we draw) renders every glyph by
            id at our sub-pixel position; the combined coverage against ours:
            relative L1 (sum |ours - FreeType| / sum FreeType) under L1_FT, ink
            centroids within CENTROID_FT px, total ink within INK_FT.
  Pillow    Pillow's ImageFont (FreeType hinted, raqm shaping) draws the whole
            string at our pen origin. Pillow puts each glyph's bitmap on whole
            pixels and hints (rounding advances), so its bounds are loose: ink
            centroid within CENTROID_PIL px, total ink within INK_PIL, L1 under L1_PIL.
Prints one line per case; exits 1 when any case fails.
"""
import json
import sys

import freetype
import numpy as np
import uharfbuzz as hb
from PIL import Image, ImageDraw, ImageFont, features

POSITION_PX = 1 / 64
L1_FT, CENTROID_FT, INK_FT = 0.04, 0.1, 0.02
L1_PIL, CENTROID_PIL, INK_PIL = 0.5, 1.5, 0.08


def harfbuzz_glyphs(font_path, size, text):
    """HarfBuzz's shaping of `text`: (glyph id, cluster, x, y) per glyph, the
    pen plus the glyph's offset in px on one baseline, y down."""
    face = hb.Face(hb.Blob.from_file_path(font_path))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(hb.Font(face), buf, {})
    scale = size / face.upem
    pen, out = 0.0, []
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions):
        out.append((info.codepoint, info.cluster, pen + pos.x_offset * scale, -pos.y_offset * scale))
        pen += pos.x_advance * scale
    return out


def freetype_glyphs(font_path, size, glyphs, shape_, matrix=(1.0, 0.0, 0.0, 1.0)):
    """FreeType's coverage (unhinted) of our glyphs, each drawn by id at our
    sub-pixel pen and transformed by `matrix` (FT_Matrix xx, xy, yx, yy, in
    FreeType's y-up space) about it; and the pixel box each glyph covers."""
    face = freetype.Face(font_path)
    face.set_char_size(int(round(size * 64)))
    fixed = [int(round(v * 0x10000)) for v in matrix]
    # Drawn with a margin, in case FreeType's bitmap reaches past our image.
    margin = 8
    canvas = np.zeros((shape_[0] + 2 * margin, shape_[1] + 2 * margin))
    boxes = []
    for g in glyphs:
        ix, iy = int(np.floor(g["x"])), int(np.floor(g["y"]))
        delta = freetype.FT_Vector(int(round((g["x"] - ix) * 64)), int(round(-(g["y"] - iy) * 64)))
        face.set_transform(freetype.FT_Matrix(*fixed), delta)
        face.load_glyph(g["id"], freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_NO_BITMAP)
        face.glyph.render(freetype.FT_RENDER_MODE_NORMAL)
        bm = face.glyph.bitmap
        if bm.width == 0 or bm.rows == 0:
            continue
        cov = np.array(bm.buffer, float).reshape(bm.rows, bm.pitch)[:, : bm.width] / 255
        left, top = ix + face.glyph.bitmap_left, iy - face.glyph.bitmap_top
        region = canvas[margin + top : margin + top + bm.rows, margin + left : margin + left + bm.width]
        region[:] = region + cov - region * cov
        boxes.append((max(top, 0), max(left, 0), top + bm.rows, left + bm.width))
    if canvas[:margin].any() or canvas[-margin:].any() or canvas[:, :margin].any() or canvas[:, -margin:].any():
        raise SystemExit("FreeType's glyphs reach past our image: it is cut too tight")
    return canvas[margin:-margin, margin:-margin], boxes


def centroid(m):
    ys, xs = np.indices(m.shape)
    return np.array([(xs * m).sum(), (ys * m).sum()]) / m.sum()


def compare(ours, theirs, bounds, label, problems):
    l1_bound, centroid_bound, ink_bound = bounds
    shift = np.abs(centroid(ours) - centroid(theirs)).max()
    ink = ours.sum() / theirs.sum() - 1
    l1 = np.abs(ours - theirs).sum() / theirs.sum()
    if shift > centroid_bound:
        problems.append(f"{label}: ink centroid {shift:.3f} px apart (bound {centroid_bound})")
    if abs(ink) > ink_bound:
        problems.append(f"{label}: total ink {ink:+.2%} (bound ±{ink_bound:.0%})")
    if l1 > l1_bound:
        problems.append(f"{label}: coverage L1 {l1:.3f} (bound {l1_bound})")
    return f"{label}: L1 {l1:.3f}, centroid {shift:.3f} px, ink {ink:+.2%}"


def check(case):
    problems = []
    ours = json.load(open(case["glyphs"]))["glyphs"]
    theirs = harfbuzz_glyphs(case["font"], case["size"], case["text"])
    # Our clusters are UTF-8 byte offsets, uharfbuzz's (a str buffer) code point indices.
    char_at = {len(case["text"][:i].encode()): i for i in range(len(case["text"]) + 1)}
    ours_ids = [(g["id"], char_at[g["cluster"]]) for g in ours]
    theirs_ids = [(gid, cluster) for gid, cluster, _, _ in theirs]
    if ours_ids != theirs_ids:
        problems.append(f"glyphs/clusters differ: ours {ours_ids} HarfBuzz {theirs_ids}")
    origin = ours[0]["x"] - theirs[0][2]
    worst = max(abs(g["x"] - origin - x) for g, (_, _, x, _) in zip(ours, theirs))
    if worst > POSITION_PX:
        problems.append(f"a glyph is {worst:.3f} px from HarfBuzz's position")
    parts = [f"{len(ours)} glyphs, ids and clusters {'equal' if ours_ids == theirs_ids else 'DIFFERENT'} to HarfBuzz's, positions within {worst:.4f} px"]

    image = Image.open(case["png"])
    a = np.asarray(image)[:, :, 3].astype(float) / 255
    ft, _ = freetype_glyphs(case["font"], case["size"], ours, a.shape)
    parts.append(compare(a, ft, (L1_FT, CENTROID_FT, INK_FT), "FreeType", problems))

    pil = Image.new("L", image.size, 0)
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    font = ImageFont.truetype(case["font"], case["size"], layout_engine=engine)
    ImageDraw.Draw(pil).text((origin, ours[0]["y"]), case["text"], font=font, fill=255, anchor="ls")
    label = f"Pillow ({'raqm' if engine == ImageFont.Layout.RAQM else 'basic'})"
    parts.append(compare(a, np.asarray(pil).astype(float) / 255, (L1_PIL, CENTROID_PIL, INK_PIL), label, problems))
    print(f"{case['name']}: " + "; ".join(parts))
    for p in problems:
        print(f"  FAIL {p}")
    return not problems


def run(check):
    """Checks every case of the JSON file named on the command line; exits 1 when any fails."""
    cases = json.load(open(sys.argv[1]))
    ok = [check(c) for c in cases]
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    run(check)
