#!/usr/bin/env bash
# The README's "fix the text" before/after, made with the CLI from a real
# photograph (crate/tests/photos/coffee.png): a generated-looking headline
# (misspelt, warped and blurred lettering laid over the photo), then the fix:
# select the lettering (colour range inside a marquee, grown), remove it with
# content-aware fill, set the copy again as a text layer in the shipped font,
# export. Writes docs/fix-the-text-before.png and docs/fix-the-text-after.png;
# the steps in between go to tests/out/fix-the-text/. Deterministic (the fill
# is seeded). CLI=path/to/retouch picks the binary (default: the debug build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${CLI:-${CARGO_TARGET_DIR:-$root/target}/debug/retouch}"
work="$root/tests/out/fix-the-text"
rm -rf "$work" && mkdir -p "$work"
before="$root/docs/fix-the-text-before.png"
after="$root/docs/fix-the-text-after.png"
cream='#fff1d6'
set -x

# The "generated" image: the photo enlarged, with mushy, misspelt lettering.
"$cli" resize "$root/crate/tests/photos/coffee.png" --scale 2.5 -o "$work/photo.png"
"$cli" render-text --text "Fersh Cofee Evrey Mornig" --size 30 --color "$cream" --stroke-width 0.8 --stroke-color "$cream" -o "$work/lettering.png"
"$cli" transform "$work/lettering.png" --skew-x -0.3 --rotate -3 --scale 1.1,0.85 --canvas fit --backend cpu -o "$work/warped.png"
"$cli" adjust "$work/warped.png" --gaussian-blur sigma=1.0 --backend cpu -o "$work/mushy.png"
"$cli" composite "$work/photo.png" "$work/mushy.png" --offset 24,14 --backend cpu -o "$work/before.png"

# 1. Select the lettering: its colour, inside a marquee over the headline, grown.
"$cli" mask range "$work/before.png" --color "${cream#\#}" --fuzziness 140 -o "$work/range.png"
"$cli" mask rect 0,16,480,70 --input "$work/range.png" --mode intersect -o "$work/marquee.png"
"$cli" mask grow "$work/marquee.png" --by 7 -o "$work/selection.png"
# 2. Remove it with content-aware fill.
"$cli" fill "$work/before.png" --mask "$work/selection.png" --seed 1 -o "$work/erased.png"
# 3. Set the headline again in real type (the shipped Noto Sans), as a text layer.
"$cli" project new "$work/fixed.ora" --from "$work/erased.png"
"$cli" project add-text "$work/fixed.ora" --text "Fresh Coffee Every Morning" --size 31 --color "$cream" --shadow 1,1,3 --at 22,20
# 4. Export.
"$cli" export "$work/fixed.ora" -o "$work/after.png"
# The README's copies, smaller.
"$cli" export "$work/before.png" --long-edge 360 -o "$before"
"$cli" export "$work/after.png" --long-edge 360 -o "$after"
