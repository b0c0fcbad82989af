#!/usr/bin/env python3
"""Independent checks of OpenRaster files written by the `retouch` CLI.

Nothing here shares code with the Rust writer:
  * the container is checked with the standard library (zipfile, ElementTree,
    a hand-read PNG header) against the OpenRaster layout;
  * the layers are then read back with pyora, an ORA package from PyPI that
    nobody here wrote, and compared with the images the project was built
    from (properties exactly, pixels byte for byte via Pillow), and pyora's
    own renderer is compared with our mergedimage.png.

Usage:
  check_ora.py make-inputs DIR          write base.png, top.png, mask.png
  check_ora.py check PROJECT.ora EXPECT.json [EXPORT.png]

EXPECT.json: {"width", "height", "render_tolerance": int or null,
  "layers": [top layer first: {"name", "x", "y", "opacity", "visible",
             "composite_op", "blend_mode", "image", "masked"}]}
"""

import json
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile
import zlib

NS = "{urn:retouch:openraster:1}"


def png(width, height, channels, pixel):
    """A minimal 8-bit PNG (greyscale or RGBA) from pixel(x, y) -> tuple."""
    colour_type = {1: 0, 4: 6}[channels]
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in pixel(x, y)) for y in range(height)
    )

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def make_inputs(directory):
    images = {
        "base.png": png(64, 48, 4, lambda x, y: (x * 4, y * 5, (x * y) % 256, 255)),
        "top.png": png(40, 30, 4, lambda x, y: (255 - x * 6, 40 + y * 7, 90, (x * 13 + y * 7) % 256)),
        "mask.png": png(40, 30, 1, lambda x, y: ((x * 9) % 256,)),
    }
    for name, data in images.items():
        with open(f"{directory}/{name}", "wb") as f:
            f.write(data)


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR", "PNG without IHDR first"
    return struct.unpack(">II", data[16:24])


def check_container(path, expect):
    with open(path, "rb") as f:
        raw = f.read()
    # OpenRaster: the first local file header is an uncompressed `mimetype`.
    assert raw[:4] == b"PK\x03\x04", "not a zip"
    assert raw[30:38] == b"mimetype", "mimetype is not the first entry"
    with zipfile.ZipFile(path) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED, "mimetype is compressed"
        assert z.read("mimetype") == b"image/openraster"
        assert z.testzip() is None, "CRC error"
        root = ET.fromstring(z.read("stack.xml"))
        assert root.tag == "image"
        size = (int(root.get("w")), int(root.get("h")))
        assert size == (expect["width"], expect["height"]), size
        layers = root.find("stack").findall("layer")
        assert len(layers) == len(expect["layers"]), len(layers)
        for element, want in zip(layers, expect["layers"]):
            got = {
                "name": element.get("name"),
                "x": int(element.get("x")),
                "y": int(element.get("y")),
                "opacity": float(element.get("opacity")),
                "visible": element.get("visibility") == "visible",
                "composite_op": element.get("composite-op"),
                "blend_mode": element.get(NS + "blend-mode"),
                "masked": element.get(NS + "mask") is not None,
            }
            for key, value in got.items():
                assert value == want[key], f"layer {want['name']!r}: {key} {value!r} != {want[key]!r}"
            png_size(z.read(element.get("src")))
            if got["masked"]:
                png_size(z.read(element.get(NS + "mask")))
        thumb = png_size(z.read("Thumbnails/thumbnail.png"))
        assert max(thumb) <= 256, thumb
        assert png_size(z.read("mergedimage.png")) == size


def check_with_pyora(path, expect, export):
    from PIL import Image, ImageChops
    from pyora import Project

    project = Project.load(path)
    assert tuple(project.dimensions) == (expect["width"], expect["height"])
    layers = list(project.iter_layers)  # bottom first
    wanted = list(reversed(expect["layers"]))
    assert len(layers) == len(wanted)
    for layer, want in zip(layers, wanted):
        assert layer.name == want["name"], (layer.name, want["name"])
        assert tuple(layer.offsets) == (want["x"], want["y"])
        assert abs(layer.opacity - want["opacity"]) < 1e-6
        assert layer.visible == want["visible"]
        assert layer.composite_op == want["composite_op"]
        ours = layer.get_image_data(raw=True).convert("RGBA")
        source = Image.open(want["image"]).convert("RGBA")
        assert ours.size == source.size
        assert ours.tobytes() == source.tobytes(), f"pixels of {want['name']!r} differ"
    merged = project.get_image_data(use_original=True).convert("RGBA")
    if expect.get("render_tolerance") is not None:
        rendered = project.get_image_data(use_original=False).convert("RGBA")
        diff = max(ImageChops.difference(rendered, merged).getextrema(), key=lambda e: e[1])[1]
        print(f"pyora render vs mergedimage.png: max difference {diff}")
        assert diff <= expect["render_tolerance"], diff
    if export:
        exported = Image.open(export).convert("RGBA")
        assert exported.tobytes() == merged.tobytes(), "export differs from mergedimage.png"


def main(argv):
    if argv[1:2] == ["make-inputs"]:
        make_inputs(argv[2])
        return 0
    if argv[1:2] == ["check"] and len(argv) in (4, 5):
        with open(argv[3]) as f:
            expect = json.load(f)
        check_container(argv[2], expect)
        check_with_pyora(argv[2], expect, argv[4] if len(argv) == 5 else None)
        print(f"{argv[2]}: OK")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
