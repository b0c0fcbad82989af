#!/usr/bin/env bash
# Throwaway Python environment for the benchmark anchors (Pillow, OpenCV,
# NumPy: what a user would otherwise reach for), in tests/out/anchor-venv,
# which git ignores; reruns reuse it. Idempotent; prints the venv's python.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../out/anchor-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import PIL, numpy, cv2' 2>/dev/null; then
  mkdir -p "$here/../out"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check pillow numpy opencv-python-headless >&2
fi
echo "$venv/bin/python"
