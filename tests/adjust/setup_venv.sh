#!/usr/bin/env bash
# Test-only Python environment for the cross-checks of adjustments and
# painting: Pillow, NumPy, SciPy and scikit-image (implementations nobody
# here wrote), in
# tests/out/adjust-venv, which git ignores. Idempotent; prints the venv's python.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../out/adjust-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import PIL, numpy, scipy, skimage' 2>/dev/null; then
  mkdir -p "$here/../out"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check pillow==13.0.0 numpy==2.4.6 scipy==1.17.1 scikit-image==0.26.0 >&2
fi
echo "$venv/bin/python"
