"""The anchors of `./build.sh bench`: the same operations through Pillow and
OpenCV, on the same inputs, timed the way crate/examples/bench_kit times ours
(wall clock, median of 7 runs after one warm-up run).

Started by crate/examples/bench_anchors.rs with the folder of its input files
and the thread count; it then reads one operation per line on stdin and
answers the median in seconds, so that ours and the anchors interleave.
"""

import sys
import time

import cv2
import numpy as np
from PIL import Image, ImageFilter

RUNS = 7


def median(work):
    work()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[RUNS // 2]


def main():
    folder, threads = sys.argv[1], int(sys.argv[2])
    cv2.setNumThreads(threads)

    def raw(name, channels):
        with open(f"{folder}/{name}.txt") as f:
            width, height = map(int, f.read().split())
        data = np.fromfile(f"{folder}/{name}.raw", np.uint8)
        shape = (height, width, channels) if channels > 1 else (height, width)
        return data.reshape(shape)

    base, layer = raw("base", 4), raw("layer", 4)
    selection, wand_image, small = raw("selection", 1), raw("wand", 4), raw("small", 4)
    pil = {name: Image.fromarray(a, "RGBA") for name, a in
           [("base", base), ("layer", layer), ("small", small)]}
    pil_selection = Image.fromarray(selection, "L")
    wand_bgr = np.ascontiguousarray(wand_image[:, :, 2::-1])
    h, w = selection.shape

    def flood(tolerance):
        mask = np.zeros((h + 2, w + 2), np.uint8)
        flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
        diff = (tolerance,) * 3
        cv2.floodFill(wand_bgr, mask, (0, 0), 0, diff, diff, flags)
        return mask

    def ellipse(radius):
        return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))

    ops = {
        "pil-alpha-composite": lambda: Image.alpha_composite(pil["base"], pil["layer"]),
        "cv2-multiply": lambda: cv2.multiply(base, layer, scale=1 / 255),
        "pil-lanczos": lambda: pil["small"].resize((2 * small.shape[1], 2 * small.shape[0]),
                                                    Image.LANCZOS),
        "cv2-lanczos4": lambda: cv2.resize(small, (2 * small.shape[1], 2 * small.shape[0]),
                                           interpolation=cv2.INTER_LANCZOS4),
    }
    for line in sys.stdin:
        name, *args = line.split()
        if name == "cv2-gaussian":
            sigma = float(args[0])
            work = lambda: cv2.GaussianBlur(selection, (0, 0), sigma)
        elif name == "pil-gaussian":
            sigma = float(args[0])
            work = lambda: pil_selection.filter(ImageFilter.GaussianBlur(sigma))
        elif name == "cv2-dilate":
            kernel = ellipse(int(args[0]))
            work = lambda: cv2.dilate(selection, kernel)
        elif name == "cv2-floodfill":
            tolerance = int(args[0])
            work = lambda: flood(tolerance)
        else:
            work = ops[name]
        print(median(work), flush=True)


if __name__ == "__main__":
    main()
