#!/usr/bin/env bash
# Test-only Python environment for the text cross-checks: Pillow (its
# ImageFont draws with FreeType) uharfbuzz (HarfBuzz itself) and freetype-py (FreeType by glyph id), neither
# written here, in tests/out/text-venv, which git ignores. Idempotent;
# prints the venv's python.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../out/text-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import PIL, numpy, uharfbuzz, freetype' 2>/dev/null; then
  mkdir -p "$here/../out"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check pillow==13.0.0 numpy==2.4.6 uharfbuzz==0.57.0 freetype-py==2.5.1 >&2
fi
echo "$venv/bin/python"
