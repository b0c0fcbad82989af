//! Writes the `.retouchplugin` bundles the browser tests install (tests/browser/plugins.test.mjs),
//! built from WAT like the core's own plugin tests (crate/src/plugin/host_tests.rs):
//!
//! - `test-invert.retouchplugin`: inverts red, green and blue of the pixel `shift` to the left
//!   (halo = `shift`, so the tiles' halo and the layer's clamped edge show in the result);
//! - `endless.retouchplugin`: `retouch_filter` loops forever (time limit 500 ms);
//! - `greedy.retouchplugin`: grows its memory until refused, then traps (4 MiB limit);
//! - `fetch.retouchplugin` and `wasi.retouchplugin`: import `env.fetch` / WASI's `fd_write`;
//! - `tampered.retouchplugin`: the invert bundle with its module changed after hashing;
//! - `wgsl-invert.retouchplugin`: the invert filter as a WGSL shader only (halo rule: `shift`
//!   pixels), so on WebGPU it gives `test-invert`'s bytes and without it "needs WebGPU";
//! - `identity.retouchplugin`: with shift 0, copies each input tile to its output in one
//!   `memory.copy`, so a run's time is the host's (tests/bench/plugin-browser-bench.mjs).
//!
//! `cargo run -p retouch --example plugin_test_bundles -- OUT_DIR`

use retouch::plugin::bundle::sha256_hex;
use std::io::Write;
use std::path::PathBuf;

/// A module implementing the ABI (a bump allocator that grows the memory as needed) whose
/// `retouch_filter` runs `body` (locals `$x`, `$y`, `$src`, `$dst` free) and whose halo is the
/// first parameter value, truncated. `imports` go first.
fn module(imports: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  {imports}
  (memory (export "memory") 1 64)
  (global $next (mut i32) (i32.const 1024))
  (func (export "retouch_abi_version") (result i32) i32.const 1)
  (func (export "retouch_alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $next))
    (local.set $end (i32.and (i32.add (i32.add (local.get $ptr) (local.get $len)) (i32.const 15))
                             (i32.const -16)))
    (block $ok
      (loop $grow
        (br_if $ok (i32.le_u (local.get $end) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (return (i32.const 0))))
        (br $grow)))
    (global.set $next (local.get $end))
    (local.get $ptr))
  (func (export "retouch_halo") (param $pp i32) (param $pl i32) (result i32)
    (if (result i32) (i32.ge_u (local.get $pl) (i32.const 4))
      (then (i32.trunc_sat_f32_u (f32.load (local.get $pp))))
      (else (i32.const 0))))
  (func (export "retouch_filter")
    (param $in i32) (param $iw i32) (param $ih i32) (param $out i32) (param $ow i32)
    (param $oh i32) (param $halo i32) (param $pp i32) (param $pl i32) (param $tx i32)
    (param $ty i32) (param $w i32) (param $h i32) (result i32)
    (local $x i32) (local $y i32) (local $src i32) (local $dst i32)
    {body})
)"#
    ))
    .expect("the test modules are valid WAT")
}

/// Output (x, y) = input (x, y + halo) with red, green and blue inverted: the pixel `halo`
/// columns to the left of the output pixel's own.
const INVERT_SHIFTED: &str = r#"
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $x (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $x) (local.get $ow)))
            (local.set $src (i32.add (local.get $in)
              (i32.shl (i32.add (i32.mul (i32.add (local.get $y) (local.get $halo)) (local.get $iw))
                                (local.get $x)) (i32.const 2))))
            (local.set $dst (i32.add (local.get $out)
              (i32.shl (i32.add (i32.mul (local.get $y) (local.get $ow)) (local.get $x)) (i32.const 2))))
            (i32.store8 (local.get $dst) (i32.sub (i32.const 255) (i32.load8_u (local.get $src))))
            (i32.store8 offset=1 (local.get $dst) (i32.sub (i32.const 255) (i32.load8_u offset=1 (local.get $src))))
            (i32.store8 offset=2 (local.get $dst) (i32.sub (i32.const 255) (i32.load8_u offset=2 (local.get $src))))
            (i32.store8 offset=3 (local.get $dst) (i32.load8_u offset=3 (local.get $src)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))
    (i32.const 0)"#;

/// The input tile as it is, for a halo of 0 (the shift parameter at 0).
const IDENTITY: &str = r#"
    (memory.copy (local.get $out) (local.get $in)
      (i32.shl (i32.mul (local.get $iw) (local.get $ih)) (i32.const 2)))
    (i32.const 0)"#;

const ENDLESS: &str = "(loop $forever (br $forever)) (i32.const 0)";

/// Grows the memory a page at a time until refused, then traps as a plugin that cannot get
/// its buffer would.
const GREEDY: &str = r#"
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable"#;

const SHIFT_PARAM: &str = r#"[{ "id": "shift", "type": "number", "label": "Shift", "min": 0,
  "max": 8, "step": 1, "default": 1, "unit": "px" }]"#;

fn manifest(id: &str, name: &str, time_limit_ms: u32) -> serde_json::Value {
    serde_json::json!({
        "id": format!("test.{id}"),
        "name": name,
        "version": "1.2.0",
        "kind": "filter",
        "description": "A test plugin for the browser tests.",
        "author": "Retouch tests",
        "entry": {
            "type": "wasm",
            "module": "filter.wasm",
            "memory_limit_mb": 4,
            "time_limit_ms": time_limit_ms
        },
        "params": serde_json::from_str::<serde_json::Value>(SHIFT_PARAM).unwrap(),
        "inputs": [{ "id": "image", "type": "image" }],
        "outputs": [{ "id": "image", "type": "image" }]
    })
}

/// [`INVERT_SHIFTED`] as a WGSL shader (docs/plugin-abi.md, "WGSL shaders"): the input pixel
/// `halo` columns to the left, red, green and blue inverted.
const INVERT_SHIFTED_WGSL: &str = r#"
struct Tile {
  origin: vec2<u32>,
  size: vec2<u32>,
  image: vec2<u32>,
  halo: u32,
  param_count: u32,
  params: array<vec4<f32>, 16>,
}
@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> tile: Tile;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= tile.size.x || id.y >= tile.size.y) { return; }
  let stride = tile.size.x + 2u * tile.halo;
  let source = input[(id.y + tile.halo) * stride + id.x];
  output[id.y * tile.size.x + id.x] = (~source & 0x00ffffffu) | (source & 0xff000000u);
}
"#;

/// A bundle of `manifest` holding `wasm` as `filter.wasm`, listed with the SHA-256 of
/// `hashed` (the module itself, unless the test wants a mismatch).
fn bundle(manifest: serde_json::Value, wasm: &[u8], hashed: &[u8]) -> Vec<u8> {
    bundle_of(manifest, "filter.wasm", wasm, hashed)
}

/// A bundle of `manifest` holding `data` as `file`, listed with the SHA-256 of `hashed`.
fn bundle_of(mut manifest: serde_json::Value, file: &str, data: &[u8], hashed: &[u8]) -> Vec<u8> {
    let mut files = serde_json::Map::new();
    files.insert(file.to_string(), sha256_hex(hashed).into());
    manifest["files"] = files.into();
    let json = manifest.to_string();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in [("manifest.json", json.as_bytes()), (file, data)] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("a zip entry");
        zip.write_all(data).expect("zip data");
    }
    zip.finish().expect("a zip").into_inner()
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: plugin_test_bundles OUT_DIR"),
    );
    std::fs::create_dir_all(&out).expect("the output folder");
    let invert = module("", INVERT_SHIFTED);
    let mut tampered = invert.clone();
    *tampered.last_mut().expect("a module has bytes") ^= 1;
    let bundles = [
        (
            "test-invert",
            bundle(manifest("invert", "Test Invert", 10_000), &invert, &invert),
        ),
        (
            "endless",
            bundle(
                manifest("endless", "Endless Loop", 500),
                &module("", ENDLESS),
                &module("", ENDLESS),
            ),
        ),
        (
            "greedy",
            bundle(
                manifest("greedy", "Greedy", 10_000),
                &module("", GREEDY),
                &module("", GREEDY),
            ),
        ),
        ("fetch", {
            let wasm = module(
                r#"(import "env" "fetch" (func $fetch (param i32 i32) (result i32)))"#,
                INVERT_SHIFTED,
            );
            bundle(manifest("fetch", "Fetcher", 1000), &wasm, &wasm)
        }),
        ("wasi", {
            let wasm = module(
                r#"(import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))"#,
                INVERT_SHIFTED,
            );
            bundle(manifest("wasi", "WASI Writer", 1000), &wasm, &wasm)
        }),
        (
            "tampered",
            bundle(
                manifest("invert", "Test Invert", 10_000),
                &tampered,
                &invert,
            ),
        ),
        ("wgsl-invert", {
            let mut manifest = manifest("wgsl-invert", "Test Invert (WGSL)", 10_000);
            manifest["entry"] = serde_json::json!({
                "type": "wgsl", "shader": "filter.wgsl", "time_limit_ms": 10_000
            });
            manifest["halo"] = serde_json::json!({ "param": "shift", "per_unit": 1 });
            let shader = INVERT_SHIFTED_WGSL.as_bytes();
            bundle_of(manifest, "filter.wgsl", shader, shader)
        }),
        (
            "identity",
            bundle(
                manifest("identity", "Identity", 60_000),
                &module("", IDENTITY),
                &module("", IDENTITY),
            ),
        ),
    ];
    for (name, bytes) in bundles {
        let path = out.join(format!("{name}.retouchplugin"));
        std::fs::write(&path, bytes).expect("writing a bundle");
        println!("{}", path.display());
    }
}
