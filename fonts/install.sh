#!/usr/bin/env bash
# The fonts Retouch ships, taken from the npm registry (exact versions in
# package-lock.json) and copied with their licence (SIL OFL 1.1) into
# fonts/shipped/, which git ignores: the CLI's default font, the page's
# (./build.sh build copies them into web/pkg/fonts/) and the tests'.
# Idempotent; prints the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/shipped"
if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi
mkdir -p "$out"
for pair in noto-sans:NotoSans noto-sans-arabic:NotoSansArabic noto-sans-devanagari:NotoSansDevanagari; do
  pkg="$here/node_modules/@expo-google-fonts/${pair%%:*}"
  cp "$pkg/400Regular/${pair#*:}_400Regular.ttf" "$out/${pair#*:}-Regular.ttf"
  cp "$pkg/LICENSE_FONT" "$out/${pair#*:}-OFL.txt"
done
echo "$out"
