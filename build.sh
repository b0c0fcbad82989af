#!/usr/bin/env bash
# Retouch build entry point. Every subcommand is idempotent and works on a
# fresh Debian 12 machine as root.
#   setup             install toolchains and test tools that are missing
#   build             release wasm -> wasm-bindgen -> web/pkg (+ wasm-opt when present),
#                     then the example plugins (see plugins)
#   plugins           the example filter plugins (plugins/) -> web/pkg/plugins/*.retouchplugin
#   serve [PORT]      build, then serve web/ on 127.0.0.1 (default 8080)
#   test              setup, fmt, clippy, native tests (GPU on software Vulkan), wasm build, browser tests
#   bench             benchmarks (native CPU, GPU, wasm in Node)
#   package           dist/web: the installable offline web app; dist/photoshop (+ .ccx),
#                     dist/figma, dist/express: the design-tool host bundles
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
# wgpu's Vulkan loader warns without it; harmless, but keep logs clean.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/retouch-runtime}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

wasm_bindgen_version() {
  # The exact wasm-bindgen version in Cargo.lock: the CLI must match it.
  awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock
}

setup() {
  if ! command -v cargo >/dev/null; then
    log "installing Rust"
    apt_install curl ca-certificates
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  fi
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
  rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  local want; want=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (about 10 minutes, once)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
  local missing=()
  for pkg in chromium mesa-vulkan-drivers libvulkan1 binaryen python3-venv; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  # Node may come from another repository than Debian's (with npm bundled).
  command -v python3 >/dev/null || missing+=(python3)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    log "installing test tools (npm ci)"
    (cd tests && npm ci --no-audit --no-fund)
  fi
  log "the shipped fonts (fonts/install.sh)"
  bash fonts/install.sh >/dev/null
}

apt_install() {
  log "apt-get install $*"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

build() {
  log "building wasm"
  cargo build -p retouch --lib --target wasm32-unknown-unknown --release
  local wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/retouch.wasm"
  if command -v wasm-opt >/dev/null; then
    # Optimise before wasm-bindgen: Debian's wasm-opt (108) run on bindgen's
    # output rewires its externref table and the module no longer loads.
    wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types \
      "$wasm" -o "${wasm%.wasm}.opt.wasm"
    wasm="${wasm%.wasm}.opt.wasm"
  fi
  rm -rf web/pkg
  wasm-bindgen --target web --out-dir web/pkg --out-name retouch "$wasm"
  example_plugins
  # The shipped open-licence fonts, each with its licence, so text works offline.
  mkdir -p web/pkg/fonts && cp "$(bash fonts/install.sh)"/* web/pkg/fonts/
  esrgan_models
  write_precache_list
}

esrgan_models() {
  # The AI upscaler's networks, converted from the registry packages that
  # setup installs (tests/package.json) by the CLI's converter: no network at
  # run time. The CLI also finds them here (see crate/src/bin/retouch/model.rs).
  local packages=tests/node_modules/@upscalerjs
  if [ ! -d "$packages/esrgan-thick" ]; then
    echo "missing $packages/esrgan-*: run ./build.sh setup first" >&2
    return 1
  fi
  log "converting the ESRGAN networks into web/pkg/models"
  cargo build --quiet -p retouch --bin retouch
  local cli="${CARGO_TARGET_DIR:-target}/debug/retouch" size scale version range
  mkdir -p web/pkg/models
  for size in slim medium thick; do
    version=$(node -p "require('./$packages/esrgan-$size/package.json').version")
    # The pixel range each was trained on, as its package's model definition
    # declares it (inputRange): 0..255 for slim and medium, 0..1 for thick.
    range=255
    [ "$size" = thick ] && range=1
    for scale in 2 3 4; do
      "$cli" model convert "$packages/esrgan-$size/models/x$scale/model.json" --range "$range" \
        -o "web/pkg/models/esrgan-$size-x$scale.rtnet" --source "@upscalerjs/esrgan-$size $version x$scale (MIT)"
    done
  done
}

# The cargo target folder as an absolute path: the plugins workspace builds from plugins/,
# and must share the root's folder (its own plugins/target would be another full build).
target_dir() {
  realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}"
}

example_plugins() {
  # The example filter plugins: WebAssembly modules built in their own small workspace
  # (plugins/, release, a few seconds), each packed with its manifest (and shader) by
  # `retouch plugin pack` into web/pkg/plugins/NAME.retouchplugin (with its icon and README), listed in index.json for
  # the page's "Install example plugins". The template (plugins/template) is built, not shipped.
  log "building the example plugins"
  local target; target=$(target_dir)
  (cd plugins && CARGO_TARGET_DIR="$target" cargo build --release --quiet)
  cargo build --quiet -p retouch --bin retouch
  local stage="$target/plugin-bundles" out="web/pkg/plugins" names=()
  rm -rf "$stage" "$out" && mkdir -p "$stage" "$out"
  for dir in plugins/*/; do
    local name; name=$(basename "$dir")
    [ "$name" = template ] || [ ! -f "$dir/manifest.json" ] && continue
    mkdir -p "$stage/$name"
    cp "$dir/manifest.json" "$stage/$name/"
    cp "$target/wasm32-unknown-unknown/release/${name//-/_}.wasm" "$stage/$name/$name.wasm"
    find "$dir" -maxdepth 1 \( -name '*.wgsl' -o -name 'icon.svg' -o -name 'icon.png' -o -name 'README.md' \) -exec cp {} "$stage/$name/" \;
    "$target/debug/retouch" plugin pack "$stage/$name" -o "$out/$name.retouchplugin"
    names+=("\"$name.retouchplugin\"")
  done
  local list; list=$(IFS=,; echo "${names[*]}")
  printf '{ "bundles": [%s] }\n' "${list//,/, }" > "$out/index.json"
}

write_precache_list() {
  # What the service worker (web/sw.js) stores for offline use: every file of
  # the app, listed at build time so a new module is never left out. The ESRGAN
  # networks (5.5 MB in all) are left out: the page's AI upscale fetches the one
  # it needs on first use, and sw.js caches it then for offline use.
  local files
  files=$(cd web && find . -type f ! -name '*.d.ts' ! -name 'sw.js' ! -path './pkg/precache.json' ! -path './pkg/package.json' ! -path './pkg/models/*' \
    | sed 's|^\./||' | LC_ALL=C sort | sed 's|.*|    "&"|' | paste -sd, -)
  printf '{\n  "files": [\n    "./",\n%s\n  ]\n}\n' "${files//,/,$'\n'}" > web/pkg/precache.json
}

package() {
  # The installable web app: web/ as it is served, with the wasm built.
  build
  rm -rf dist/web && mkdir -p dist
  cp -r web dist/web
  rm -f dist/web/pkg/*.d.ts
  log "dist/web: the offline web app (serve it over http(s); it installs as an app)"
  # The host bundles are built from dist/web; the Figma one is bundled with esbuild (a test tool).
  [ -x tests/node_modules/.bin/esbuild ] || (cd tests && npm ci --no-audit --no-fund)
  node plugin-manifest/hosts/package.mjs
  log "dist/photoshop, dist/retouch-photoshop.ccx, dist/figma, dist/express: the host bundles (see docs/hosts.md)"
}

serve() {
  local port="${1:-8080}"
  command -v wasm-bindgen >/dev/null || setup
  build
  log "serving web/ at http://127.0.0.1:$port/ (Ctrl-C to stop)"
  exec python3 - "$port" <<'PY'
import functools, http.server, sys
handler = http.server.SimpleHTTPRequestHandler
handler.extensions_map.update({".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json"})
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), functools.partial(handler, directory="web"))
print(f"http://127.0.0.1:{server.server_port}/", flush=True)
server.serve_forever()
PY
}

run_tests() {
  setup
  log "cargo fmt --check"
  cargo fmt --all -- --check
  log "cargo clippy"
  cargo clippy --workspace --all-targets -- -D warnings
  cargo clippy -p retouch --lib --target wasm32-unknown-unknown -- -D warnings
  (cd plugins && cargo fmt --all -- --check && CARGO_TARGET_DIR="$(target_dir)" cargo clippy --release -- -D warnings)
  # The GPU/CPU parity tests of the AI upscaler run the shipped networks.
  esrgan_models
  log "native tests (GPU tests required: software Vulkan adapter)"
  RETOUCH_REQUIRE_GPU=1 cargo test --workspace
  # The host tests load the packaged bundles (dist/): package builds the wasm first.
  package
  log "browser and node tests"
  (cd tests && node --test)
}

bench() {
  setup
  example_plugins # bench_plugins runs the unsharp-mask example
  for example in bench bench_masks bench_resample bench_doc bench_fill bench_poisson bench_heal bench_plugins bench_text; do
    log "cargo run --release --example $example"
    cargo run -p retouch --release --example "$example"
  done
  log "our kernels beside Pillow and OpenCV (throwaway venv in tests/out/anchor-venv)"
  RETOUCH_ANCHOR_PYTHON=$(bash tests/bench/setup_anchor_venv.sh) \
    cargo run -p retouch --release --example bench_anchors
  build
  (cd tests && node bench/wasm-bench.mjs)
  (cd tests && node bench/plugin-browser-bench.mjs)
  (cd tests && node bench/esrgan-page-bench.mjs)
  (cd tests && node bench/present-page-bench.mjs --rounds 1)
  (cd tests && RUNS=101 node bench/text-layer-bench.mjs)
}

case "${1:-}" in
  setup) setup ;;
  build) build ;;
  plugins) example_plugins ;;
  serve) shift; serve "$@" ;;
  test) run_tests ;;
  bench) shift; bench "$@" ;;
  package) package ;;
  *) echo "usage: ./build.sh setup|build|plugins|serve [PORT]|test|bench|package" >&2; exit 2 ;;
esac
