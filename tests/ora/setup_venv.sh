#!/usr/bin/env bash
# Test-only Python environment for the OpenRaster cross-check: pyora (an ORA
# reader/renderer nobody here wrote) and its dependencies (Pillow, numpy), in
# tests/out/ora-venv, which git ignores. Idempotent; prints the venv's python.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../out/ora-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyora, PIL, numpy' 2>/dev/null; then
  mkdir -p "$here/../out"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyora==0.3.11 >&2
fi
echo "$venv/bin/python"
