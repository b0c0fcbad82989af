//! The plugin host against hand-written WAT modules: well-behaved ones prove the tiling, halo
//! and coordinates; hostile ones prove each sandbox guarantee of docs/plugin-abi.md (stopped
//! with a clear message, the document bit-exact and its history unchanged).

use super::abi::ParamValue;
use super::bundle::{sha256_hex, Bundle};
use super::filter_host::{apply_to_layer, FilterRun, FilterSource, TILE};
use super::sandbox::Sandbox;
use crate::doc::{Document, LayerProperties, Rect};
use crate::engine::Engine;
use crate::test_kit;
use crate::Error;
use image::{GrayImage, Luma, RgbaImage};
use std::collections::BTreeMap;
use std::io::Write;

/// A module implementing the ABI whose `retouch_filter` runs `body` (locals `$y`, `$x`, `$i`
/// free to use) and whose halo is `halo` (WAT returning an i32). `imports` go first.
fn module(imports: &str, memory: &str, halo: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  {imports}
  (memory (export "memory") {memory})
  (global $next (mut i32) (i32.const 1024))
  (func (export "retouch_abi_version") (result i32) i32.const 1)
  (func (export "retouch_alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $end i32)
    global.get $next
    local.set $ptr
    local.get $ptr
    local.get $len
    i32.add
    i32.const 15
    i32.add
    i32.const -16
    i32.and
    local.set $end
    (block $ok
      (loop $grow
        local.get $end
        memory.size
        i32.const 65536
        i32.mul
        i32.le_u
        br_if $ok
        i32.const 1
        memory.grow
        i32.const -1
        i32.eq
        (if (then i32.const 0 return))
        br $grow))
    local.get $end
    global.set $next
    local.get $ptr)
  (func (export "retouch_halo") (param $pp i32) (param $pl i32) (result i32) {halo})
  (func (export "retouch_filter")
    (param $in i32) (param $iw i32) (param $ih i32) (param $out i32) (param $ow i32)
    (param $oh i32) (param $halo i32) (param $pp i32) (param $pl i32) (param $tx i32)
    (param $ty i32) (param $w i32) (param $h i32) (result i32)
    (local $y i32) (local $x i32) (local $i i32)
    {body})
)"#
    ))
    .unwrap()
}

/// Copies the input's row `y + halo`, starting at column `halo - shift`, to output row `y`:
/// the identity for `shift` 0, the pixel `shift` to the left otherwise.
fn copy_rows(shift: u32) -> String {
    format!(
        r#"(block $done
      (loop $rows
        local.get $y
        local.get $oh
        i32.ge_u
        br_if $done
        ;; out + y * ow * 4
        local.get $out
        local.get $y
        local.get $ow
        i32.mul
        i32.const 4
        i32.mul
        i32.add
        ;; in + ((y + halo) * iw + halo - shift) * 4
        local.get $in
        local.get $y
        local.get $halo
        i32.add
        local.get $iw
        i32.mul
        local.get $halo
        i32.add
        i32.const {shift}
        i32.sub
        i32.const 4
        i32.mul
        i32.add
        local.get $ow
        i32.const 4
        i32.mul
        memory.copy
        local.get $y
        i32.const 1
        i32.add
        local.set $y
        br $rows))
    i32.const 0"#
    )
}

/// 4 MiB: room for one run's tile buffers (512² + halo, in and out).
const MEMORY: &str = "1 64";

fn manifest(id: &str, params: &str) -> serde_json::Value {
    serde_json::json!({
        "id": format!("test.{id}"),
        "name": id,
        "version": "1.0.0",
        "kind": "filter",
        "description": "A test plugin.",
        "entry": { "type": "wasm", "module": "filter.wasm", "memory_limit_mb": 4, "time_limit_ms": 200 },
        "params": serde_json::from_str::<serde_json::Value>(params).unwrap(),
        "inputs": [{ "id": "image", "type": "image" }],
        "outputs": [{ "id": "image", "type": "image" }]
    })
}

/// A zip with these entries, in order.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A bundle of `manifest` with its files listed and hashed, and those files.
fn bundle_bytes(mut manifest: serde_json::Value, files: &[(&str, &[u8])]) -> Vec<u8> {
    manifest["files"] = files
        .iter()
        .map(|(name, data)| (name.to_string(), sha256_hex(data).into()))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let json = manifest.to_string();
    let mut entries = vec![("manifest.json", json.as_bytes())];
    entries.extend_from_slice(files);
    zip(&entries)
}

fn bundle(wasm: &[u8]) -> Bundle {
    Bundle::from_bytes(&bundle_bytes(
        manifest("probe", "[]"),
        &[("filter.wasm", wasm)],
    ))
    .unwrap()
}

fn run(bundle: &Bundle, image: &RgbaImage, area: Rect) -> crate::Result<RgbaImage> {
    FilterRun::new(bundle, &BTreeMap::new())?.run_wasm(image, area)
}

fn photo(width: u32, height: u32) -> RgbaImage {
    image::imageops::resize(
        &test_kit::photo("coffee"),
        width,
        height,
        image::imageops::FilterType::Triangle,
    )
}

#[test]
fn the_identity_returns_every_tile_unchanged() {
    let image = photo(TILE * 2 + 37, TILE + 5);
    let plugin = bundle(&module("", MEMORY, "i32.const 0", &copy_rows(0)));
    let whole = Rect::new(0, 0, image.width(), image.height());
    assert_eq!(run(&plugin, &image, whole).unwrap(), image);
}

#[test]
fn the_halo_repeats_edge_pixels_and_tiles_see_their_neighbours() {
    // Each output pixel is the input two to the left: across tile seams that is the
    // neighbouring tile's pixel, at the left border the edge pixel repeated.
    let image = photo(TILE + 300, 700);
    let plugin = bundle(&module("", MEMORY, "i32.const 2", &copy_rows(2)));
    let area = Rect::new(1, 3, image.width() - 1, image.height() - 3);
    let out = run(&plugin, &image, area).unwrap();
    for (x, y, pixel) in out.enumerate_pixels() {
        let source = (x as i64 + 1 - 2).max(0) as u32;
        assert_eq!(pixel, image.get_pixel(source, y + 3), "{x},{y}");
    }
}

#[test]
fn bands_filtered_on_several_threads_give_one_threads_bytes() {
    // Three rows of tiles (the last partial), an area off the corner, a halo across the bands'
    // seams: two and three threads (one instance each) equal one.
    let image = photo(TILE + 100, 2 * TILE + 200);
    let plugin = bundle(&module("", MEMORY, "i32.const 2", &copy_rows(2)));
    let area = Rect::new(1, 3, image.width() - 1, image.height() - 3);
    let one = crate::parallel::with_threads(1, || run(&plugin, &image, area)).unwrap();
    for threads in [2, 3] {
        let several = crate::parallel::with_threads(threads, || run(&plugin, &image, area));
        assert_eq!(several.unwrap(), one, "{threads} threads");
    }
    // A plugin that fails fails the same way on several threads.
    let endless = bundle(&module(
        "",
        MEMORY,
        "i32.const 0",
        "(loop $forever br $forever) i32.const 0",
    ));
    let err = crate::parallel::with_threads(2, || run(&endless, &image, area)).unwrap_err();
    assert!(err.to_string().contains("time limit"), "{err}");
}

#[test]
fn a_crop_holding_the_area_and_its_halo_gives_the_whole_layers_result() {
    // What the browser hands its Worker: only the area grown by the halo, cut from the layer
    // (clamped at the layer's border), yet the same bytes as filtering the whole layer.
    let image = photo(TILE + 300, 300);
    let plugin = bundle(&module("", MEMORY, "i32.const 3", &copy_rows(3)));
    let filter = FilterRun::new(&plugin, &BTreeMap::new()).unwrap();
    for area in [
        Rect::new(0, 5, 520, 200),
        Rect::new(200, 0, image.width() - 200, 300),
    ] {
        let expected = filter.run_wasm(&image, area).unwrap();
        let reach = FilterSource::reach(area, 3, image.dimensions());
        let crop = image::imageops::crop_imm(
            &image,
            reach.x as u32,
            reach.y as u32,
            reach.width,
            reach.height,
        )
        .to_image();
        let source = FilterSource {
            pixels: &crop,
            origin: (reach.x as u32, reach.y as u32),
            layer_size: image.dimensions(),
        };
        let wasm = plugin.module().unwrap();
        let mut instance = Sandbox::instantiate("test.probe", wasm, 4, 200).unwrap();
        let halo = filter.module_halo(&mut instance).unwrap();
        assert_eq!(halo, 3);
        let mut tiles_seen = Vec::new();
        let out = filter
            .run_module(&mut instance, halo, &source, area, |done, total| {
                tiles_seen.push((done, total))
            })
            .unwrap();
        assert_eq!(out, expected, "{area:?}");
        assert_eq!(tiles_seen.last(), Some(&(2, 2)), "progress after each tile");
        // A crop one pixel short of the halo is refused, naming what it lacks.
        let short = FilterSource {
            pixels: &crop,
            origin: (reach.x as u32, reach.y as u32),
            layer_size: image.dimensions(),
        };
        let mut instance = Sandbox::instantiate("test.probe", wasm, 4, 200).unwrap();
        let err = filter
            .run_module(&mut instance, 4, &short, area, |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("do not hold"), "{err}");
    }
}

#[test]
fn tiles_know_where_they_are_in_the_image() {
    // Writes (tile_x + x) & 255, (tile_y + y) & 255, image_w & 255, 255 per pixel.
    let body = r#"(block $done
      (loop $rows
        local.get $y
        local.get $oh
        i32.ge_u
        br_if $done
        i32.const 0
        local.set $x
        (block $row_done
          (loop $cols
            local.get $x
            local.get $ow
            i32.ge_u
            br_if $row_done
            local.get $out
            local.get $y
            local.get $ow
            i32.mul
            local.get $x
            i32.add
            i32.const 4
            i32.mul
            i32.add
            local.get $tx
            local.get $x
            i32.add
            i32.const 255
            i32.and
            local.get $ty
            local.get $y
            i32.add
            i32.const 255
            i32.and
            i32.const 8
            i32.shl
            i32.or
            local.get $w
            i32.const 255
            i32.and
            i32.const 16
            i32.shl
            i32.or
            i32.const 0xff000000
            i32.or
            i32.store
            local.get $x
            i32.const 1
            i32.add
            local.set $x
            br $cols))
        local.get $y
        i32.const 1
        i32.add
        local.set $y
        br $rows))
    i32.const 0"#;
    let image = photo(1100, 600);
    let plugin = bundle(&module("", MEMORY, "i32.const 0", body));
    let area = Rect::new(90, 40, 1000, 555);
    let out = run(&plugin, &image, area).unwrap();
    for (x, y, pixel) in out.enumerate_pixels() {
        let expected = [(x + 90) as u8, (y + 40) as u8, (1100 & 255) as u8, 255];
        assert_eq!(pixel.0, expected, "{x},{y}");
    }
}

/// A document with one photo layer, a selection on part of it, and one history step.
fn document() -> (Document, crate::doc::LayerId) {
    let image = photo(640, 480);
    let mut doc = Document::new(640, 480).unwrap();
    let id = doc
        .add_layer(LayerProperties::named("Photo"), image, None, None)
        .unwrap();
    let selection = GrayImage::from_fn(640, 480, |x, y| {
        Luma([if (100..600).contains(&x) && (50..300).contains(&y) {
            if x < 350 {
                255
            } else {
                100
            }
        } else {
            0
        }])
    });
    doc.set_selection(Some(selection), "Select").unwrap();
    (doc, id)
}

#[test]
fn a_plugin_filters_inside_the_selection_in_one_undo_step() {
    // Inverts RGB: out = in ^ 0x00ffffff for every pixel of the (halo-free) tile.
    let body = r#"(block $done
      (loop $px
        local.get $i
        local.get $ow
        local.get $oh
        i32.mul
        i32.ge_u
        br_if $done
        local.get $out
        local.get $i
        i32.const 4
        i32.mul
        i32.add
        local.get $in
        local.get $i
        i32.const 4
        i32.mul
        i32.add
        i32.load
        i32.const 0x00ffffff
        i32.xor
        i32.store
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $px))
    i32.const 0"#;
    let plugin = bundle(&module("", MEMORY, "i32.const 0", body));
    let (mut doc, id) = document();
    let before = doc.layer(id).unwrap().pixels.clone();
    let steps = doc.history().len();
    let filter = FilterRun::new(&plugin, &BTreeMap::new()).unwrap();
    pollster::block_on(apply_to_layer(&mut doc, &Engine::cpu(), id, &filter)).unwrap();
    assert_eq!(doc.history().len(), steps + 1);
    let selection = doc.selection().unwrap().clone();
    let after = doc.layer(id).unwrap().pixels.clone();
    for (x, y, p) in after.enumerate_pixels() {
        let b = before.get_pixel(x, y);
        match selection.get_pixel(x, y)[0] {
            0 => assert_eq!(p, b, "{x},{y} outside the selection must be bit-exact"),
            255 => assert_eq!(p.0, [255 - b[0], 255 - b[1], 255 - b[2], b[3]], "{x},{y}"),
            _ => assert_ne!(p, b, "{x},{y} half selected"),
        }
    }
    doc.undo().unwrap();
    assert_eq!(doc.layer(id).unwrap().pixels, before);
}

/// Runs `wasm` on the document and checks it fails with a message containing `expected`,
/// leaving the layer bit-exact and the history as it was.
fn refused_and_unchanged(wasm: &[u8], expected: &str) {
    let plugin = bundle(wasm);
    let (mut doc, id) = document();
    let before = doc.layer(id).unwrap().pixels.clone();
    let steps = doc.history().len();
    let filter = FilterRun::new(&plugin, &BTreeMap::new()).unwrap();
    let err = pollster::block_on(apply_to_layer(&mut doc, &Engine::cpu(), id, &filter))
        .expect_err("a hostile plugin must fail");
    let message = err.to_string();
    assert!(matches!(err, Error::Plugin { .. }), "{message}");
    assert!(message.contains("test.probe"), "{message}");
    assert!(message.contains(expected), "{message}");
    assert_eq!(doc.layer(id).unwrap().pixels, before);
    assert_eq!(doc.history().len(), steps);
}

#[test]
fn an_endless_loop_is_stopped_at_the_time_limit() {
    let endless = module(
        "",
        MEMORY,
        "i32.const 0",
        "(loop $forever br $forever) i32.const 0",
    );
    refused_and_unchanged(&endless, "time limit of 200 ms");
}

#[test]
fn a_module_is_compiled_once_and_each_run_keeps_its_own_limits() {
    // An endless loop with a custom section naming this test: bytes no other test compiles.
    let mut wasm = module(
        "",
        MEMORY,
        "i32.const 0",
        "(loop $forever br $forever) i32.const 0",
    );
    let name = b"test.compiled-once";
    wasm.extend([0, name.len() as u8 + 1, name.len() as u8]);
    wasm.extend(name);
    assert!(!super::sandbox::is_compiled(&wasm));
    let plugin = bundle(&wasm);
    let image = photo(TILE + 10, 40);
    let whole = Rect::new(0, 0, image.width(), image.height());
    for attempt in 0..2 {
        let started = std::time::Instant::now();
        let err = run(&plugin, &image, whole).unwrap_err().to_string();
        assert!(err.contains("time limit of 200 ms"), "{err}");
        assert!(
            super::sandbox::is_compiled(&wasm),
            "kept after run {attempt}"
        );
        // The shared clock's deadline counts from each call: a later run of the kept module
        // still gets its whole 200 ms (200 ticks of at least 1 ms), not what an earlier left.
        let ran = started.elapsed();
        assert!(ran >= std::time::Duration::from_millis(200), "{ran:?}");
    }
}

#[test]
fn growing_memory_past_the_limit_fails_cleanly() {
    // Grows one page at a time until memory.grow fails, then traps as a Rust plugin's
    // allocator would.
    let hog = module(
        "",
        MEMORY,
        "i32.const 0",
        "(loop $more i32.const 1 memory.grow i32.const -1 i32.ne br_if $more) unreachable",
    );
    refused_and_unchanged(&hog, "ran out of memory");
}

#[test]
fn traps_are_reported() {
    refused_and_unchanged(
        &module("", MEMORY, "i32.const 0", "unreachable"),
        "trapped in retouch_filter",
    );
    let out_of_bounds = module(
        "",
        MEMORY,
        "i32.const 0",
        "i32.const -8 i32.load drop i32.const 0",
    );
    refused_and_unchanged(&out_of_bounds, "out of bounds");
    refused_and_unchanged(
        &module("", MEMORY, "i32.const 0", "i32.const 7"),
        "error code 7",
    );
}

#[test]
fn an_output_never_written_or_of_the_wrong_size_is_refused() {
    refused_and_unchanged(
        &module("", MEMORY, "i32.const 0", "i32.const 0"),
        "never wrote row 0",
    );
    // Writes only the first half of the rows, as a plugin that got the height wrong would.
    let half = copy_rows(0).replace(
        "local.get $oh\n        i32.ge_u",
        "local.get $oh\n        i32.const 1\n        i32.shr_u\n        i32.ge_u",
    );
    refused_and_unchanged(&module("", MEMORY, "i32.const 0", &half), "never wrote row");
}

#[test]
fn a_wrong_abi_version_or_halo_is_refused() {
    let v2 = wat::parse_str(
        r#"(module
  (memory (export "memory") 1 1)
  (func (export "retouch_abi_version") (result i32) i32.const 2)
  (func (export "retouch_alloc") (param i32) (result i32) i32.const 0)
  (func (export "retouch_halo") (param i32 i32) (result i32) i32.const 0)
  (func (export "retouch_filter") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (result i32) i32.const 0))"#,
    )
    .unwrap();
    refused_and_unchanged(&v2, "built for plugin ABI 2");
    refused_and_unchanged(
        &module("", MEMORY, "i32.const 5000", &copy_rows(0)),
        "retouch_halo returned 5000",
    );
}

/// The refusal of a bundle, as text.
fn bundle_refusal(bytes: &[u8]) -> String {
    Bundle::from_bytes(bytes)
        .expect_err("the bundle must be refused")
        .to_string()
}

#[test]
fn modules_with_foreign_imports_are_refused_naming_them() {
    for (import, name) in [
        (
            r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#,
            "wasi_snapshot_preview1.fd_write",
        ),
        (
            r#"(import "env" "fetch" (func (param i32 i32)))"#,
            "env.fetch",
        ),
        (
            r#"(import "retouch" "open_file" (func))"#,
            "retouch.open_file",
        ),
    ] {
        let wasm = module(import, MEMORY, "i32.const 0", &copy_rows(0));
        let message = bundle_refusal(&bundle_bytes(
            manifest("probe", "[]"),
            &[("filter.wasm", &wasm)],
        ));
        assert!(message.contains(name), "{message}");
        assert!(message.contains("does not offer"), "{message}");
    }
    // The host's own imports are fine.
    let allowed = module(
        r#"(import "retouch" "log" (func (param i32 i32))) (import "retouch" "cancelled" (func (result i32)))"#,
        MEMORY,
        "i32.const 0",
        &copy_rows(0),
    );
    bundle(&allowed);
}

/// Inverts red, green and blue (halo 0) sixteen bytes at a time with fixed-width SIMD, the last
/// pixels of a row one at a time; `xor` is the instruction doing it (`v128.xor`, or a relaxed
/// SIMD instruction to prove those are refused).
fn simd_invert(xor: &str) -> String {
    format!(
        r#"(block $done
      (loop $rows
        local.get $y
        local.get $oh
        i32.ge_u
        br_if $done
        ;; $x: the row's offset in bytes (input and output rows match: halo 0)
        local.get $y
        local.get $ow
        i32.mul
        i32.const 4
        i32.mul
        local.set $x
        i32.const 0
        local.set $i
        (block $vectors_done
          (loop $vectors
            local.get $i
            i32.const 16
            i32.add
            local.get $ow
            i32.const 4
            i32.mul
            i32.gt_u
            br_if $vectors_done
            local.get $out
            local.get $x
            i32.add
            local.get $i
            i32.add
            local.get $in
            local.get $x
            i32.add
            local.get $i
            i32.add
            v128.load
            v128.const i32x4 0x00ffffff 0x00ffffff 0x00ffffff 0x00ffffff
            {xor}
            v128.store
            local.get $i
            i32.const 16
            i32.add
            local.set $i
            br $vectors))
        (block $pixels_done
          (loop $pixels
            local.get $i
            local.get $ow
            i32.const 4
            i32.mul
            i32.ge_u
            br_if $pixels_done
            local.get $out
            local.get $x
            i32.add
            local.get $i
            i32.add
            local.get $in
            local.get $x
            i32.add
            local.get $i
            i32.add
            i32.load
            i32.const 0x00ffffff
            i32.xor
            i32.store
            local.get $i
            i32.const 4
            i32.add
            local.set $i
            br $pixels))
        local.get $y
        i32.const 1
        i32.add
        local.set $y
        br $rows))
    i32.const 0"#
    )
}

#[test]
fn fixed_width_simd_runs_and_relaxed_simd_is_refused() {
    // A width that is not a multiple of four pixels leaves a scalar tail in every row.
    let image = photo(TILE + 7, 61);
    let plugin = bundle(&module("", MEMORY, "i32.const 0", &simd_invert("v128.xor")));
    let whole = Rect::new(0, 0, image.width(), image.height());
    let mut inverted = image.clone();
    for pixel in inverted.pixels_mut() {
        for c in 0..3 {
            pixel[c] = 255 - pixel[c];
        }
    }
    assert_eq!(run(&plugin, &image, whole).unwrap(), inverted);
    // Relaxed SIMD may give different results on different machines, so the ABI refuses it.
    let relaxed = module(
        "",
        MEMORY,
        "i32.const 0",
        &simd_invert("i8x16.relaxed_swizzle"),
    );
    let message = bundle_refusal(&bundle_bytes(
        manifest("probe", "[]"),
        &[("filter.wasm", &relaxed)],
    ));
    assert!(message.contains("relaxed SIMD"), "{message}");
}

#[test]
fn modules_without_a_memory_cap_within_the_limit_are_refused() {
    let unbounded = module("", "1", "i32.const 0", &copy_rows(0));
    let message = bundle_refusal(&bundle_bytes(
        manifest("probe", "[]"),
        &[("filter.wasm", &unbounded)],
    ));
    assert!(message.contains("declares no maximum"), "{message}");
    // 128 pages = 8 MiB, above the manifest's 4.
    let greedy = module("", "1 128", "i32.const 0", &copy_rows(0));
    let message = bundle_refusal(&bundle_bytes(
        manifest("probe", "[]"),
        &[("filter.wasm", &greedy)],
    ));
    assert!(
        message.contains("8 MiB, above the limit of 4 MiB"),
        "{message}"
    );
    let missing_export = wat::parse_str(r#"(module (memory (export "memory") 1 1))"#).unwrap();
    let message = bundle_refusal(&bundle_bytes(
        manifest("probe", "[]"),
        &[("filter.wasm", &missing_export)],
    ));
    assert!(message.contains("retouch_abi_version"), "{message}");
}

#[test]
fn malformed_bundles_are_refused_naming_the_problem() {
    let wasm = module("", MEMORY, "i32.const 0", &copy_rows(0));
    let good = manifest("probe", "[]");
    assert!(bundle_refusal(b"not a zip at all").contains("not a zip file"));
    let mut bad_manifest = good.clone();
    bad_manifest["version"] = "one".into();
    let message = bundle_refusal(&bundle_bytes(bad_manifest, &[("filter.wasm", &wasm)]));
    assert!(message.contains("version"), "{message}");
    // A file changed after packing.
    let mut tampered = bundle_bytes(good.clone(), &[("filter.wasm", &wasm)]);
    let changed = {
        let mut m = good.clone();
        m["files"] = serde_json::json!({ "filter.wasm": sha256_hex(b"something else") });
        zip(&[
            ("manifest.json", m.to_string().as_bytes()),
            ("filter.wasm", &wasm),
        ])
    };
    let message = bundle_refusal(&changed);
    assert!(message.contains("SHA-256 of 'filter.wasm'"), "{message}");
    // Zip slip: an entry that climbs out.
    let mut slip = good.clone();
    slip["files"] = serde_json::json!({ "filter.wasm": sha256_hex(&wasm) });
    let message = bundle_refusal(&zip(&[
        ("manifest.json", slip.to_string().as_bytes()),
        ("filter.wasm", &wasm),
        ("../../evil.sh", b"rm -rf"),
    ]));
    assert!(message.contains("'../../evil.sh'"), "{message}");
    assert!(message.contains("escape"), "{message}");
    // A file not listed.
    let message = bundle_refusal(&zip(&[
        ("manifest.json", slip.to_string().as_bytes()),
        ("filter.wasm", &wasm),
        ("extra.txt", b"hello"),
    ]));
    assert!(message.contains("'extra.txt' is not listed"), "{message}");
    // No manifest.
    assert!(bundle_refusal(&zip(&[("filter.wasm", &wasm)])).contains("no manifest.json"));
    // Oversize: a 17 MiB file (stored, so the zip is that big too).
    tampered.resize(17 << 20, 0);
    assert!(bundle_refusal(&tampered).contains("16 MiB"));
}

#[test]
fn an_icon_and_a_readme_travel_in_the_bundle_and_are_checked() {
    let wasm = module("", MEMORY, "i32.const 0", &copy_rows(0));
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16"/></svg>"#;
    let readme = "# Probe\n\nCopies rows.\n".as_bytes();
    let mut with = manifest("probe", "[]");
    with["icon"] = "icon.svg".into();
    with["readme"] = "README.md".into();
    let files: [(&str, &[u8]); 3] = [
        ("filter.wasm", &wasm),
        ("icon.svg", svg),
        ("README.md", readme),
    ];
    let good = Bundle::from_bytes(&bundle_bytes(with.clone(), &files)).unwrap();
    assert_eq!(good.icon(), Some((&svg[..], "image/svg+xml")));
    assert_eq!(good.readme(), Some("# Probe\n\nCopies rows.\n"));
    // A PNG icon is read by its header.
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(photo(32, 32))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let mut with_png = with.clone();
    with_png["icon"] = "icon.png".into();
    let bundle = Bundle::from_bytes(&bundle_bytes(
        with_png.clone(),
        &[
            ("filter.wasm", &wasm),
            ("icon.png", &png),
            ("README.md", readme),
        ],
    ))
    .unwrap();
    assert_eq!(bundle.icon().map(|(_, kind)| kind), Some("image/png"));

    type Files<'a> = Vec<(&'a str, &'a [u8])>;
    let refusals: [(serde_json::Value, Files, &str); 5] = [
        (
            with.clone(),
            vec![("filter.wasm", &wasm), ("README.md", readme)],
            "its icon 'icon.svg' is missing",
        ),
        (
            with_png,
            vec![
                ("filter.wasm", &wasm),
                ("icon.png", svg),
                ("README.md", readme),
            ],
            "its icon 'icon.png' is not a readable PNG",
        ),
        (
            with.clone(),
            vec![
                ("filter.wasm", &wasm),
                ("icon.svg", b"<html></html>"),
                ("README.md", readme),
            ],
            "not a readable SVG document",
        ),
        (
            with.clone(),
            vec![
                ("filter.wasm", &wasm),
                ("icon.svg", svg),
                ("README.md", &[0xff, 0xfe, 0]),
            ],
            "its README 'README.md' is not UTF-8 text",
        ),
        (
            {
                let mut m = with.clone();
                m["icon"] = "icon.gif".into();
                m
            },
            vec![
                ("filter.wasm", &wasm),
                ("icon.gif", svg),
                ("README.md", readme),
            ],
            "'icon.gif' must end with .png or .svg",
        ),
    ];
    for (manifest, files, expected) in refusals {
        let message = bundle_refusal(&bundle_bytes(manifest, &files));
        assert!(message.contains(expected), "{expected}: {message}");
    }
    let big = vec![b'a'; (256 << 10) + 1];
    let message = bundle_refusal(&bundle_bytes(
        with,
        &[
            ("filter.wasm", &wasm),
            ("icon.svg", svg),
            ("README.md", &big),
        ],
    ));
    assert!(message.contains("above the 256 KiB limit"), "{message}");
}

#[test]
fn parameters_are_checked_and_passed_in_manifest_order() {
    let params = r##"[
      { "id": "amount", "label": "Amount", "type": "number", "min": 0, "max": 10, "step": 0.5, "default": 2 },
      { "id": "mode", "label": "Mode", "type": "enum", "values": [{ "value": "a", "label": "A" }, { "value": "b", "label": "B" }], "default": "a" },
      { "id": "tint", "label": "Tint", "type": "color", "default": "#ff8000" },
      { "id": "on", "label": "On", "type": "boolean", "default": false }
    ]"##;
    let wasm = module("", MEMORY, "i32.const 0", &copy_rows(0));
    let bundle = Bundle::from_bytes(&bundle_bytes(
        manifest("probe", params),
        &[("filter.wasm", &wasm)],
    ))
    .unwrap();
    let given = |pairs: &[(&str, &str)]| -> BTreeMap<String, ParamValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), ParamValue::parse(v)))
            .collect()
    };
    let run = FilterRun::new(&bundle, &given(&[("mode", "b"), ("on", "true")])).unwrap();
    assert_eq!(run.values, [2.0, 1.0, 1.0, 128.0 / 255.0, 0.0, 1.0]);
    for (pairs, name) in [
        (vec![("amount", "11")], "amount"),
        (vec![("mode", "c")], "mode"),
        (vec![("tint", "red")], "tint"),
        (vec![("size", "3")], "size"),
    ] {
        let err = FilterRun::new(&bundle, &given(&pairs)).err().unwrap();
        assert!(
            matches!(&err, Error::InvalidParameter { name: n, .. } if n == name),
            "{err}"
        );
    }
}

/// The ABI's WGSL declarations (docs/plugin-abi.md), for the test shaders.
const WGSL_BINDINGS: &str = r#"
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
"#;

/// A WGSL-only bundle running `main_body` with a halo of `reach` pixels (a parameter, 0–8,
/// default 2, through the manifest's halo rule).
fn wgsl_bundle(main_body: &str) -> Bundle {
    let shader = format!(
        "{WGSL_BINDINGS}\n@compute @workgroup_size(8, 8)\nfn main(@builtin(global_invocation_id) id: vec3<u32>) {{\n{main_body}\n}}"
    );
    let mut manifest = manifest(
        "probe",
        r#"[{ "id": "reach", "label": "Reach", "type": "number", "min": 0, "max": 8, "step": 1, "default": 2 }]"#,
    );
    manifest["entry"] =
        serde_json::json!({ "type": "wgsl", "shader": "filter.wgsl", "time_limit_ms": 1000 });
    manifest["halo"] = serde_json::json!({ "param": "reach", "per_unit": 1 });
    Bundle::from_bytes(&bundle_bytes(
        manifest,
        &[("filter.wgsl", shader.as_bytes())],
    ))
    .unwrap()
}

/// Each output pixel: the input `reach` pixels to the left and `reach` below (across tile seams,
/// the edge repeated at the border), with red = (layer x + layer y) & 255 and alpha =
/// (image width ^ image height) & 255, so the halo, the tile origin and the image size all show.
const NEIGHBOUR_SHADER: &str = r#"
  if (id.x >= tile.size.x || id.y >= tile.size.y) { return; }
  let reach = u32(tile.params[0].x);
  let stride = tile.size.x + 2u * tile.halo;
  let source = input[(id.y + tile.halo + reach) * stride + id.x + tile.halo - reach];
  let layer = tile.origin + id.xy;
  let red = (layer.x + layer.y) & 255u;
  let alpha = (tile.image.x ^ tile.image.y) & 255u;
  output[id.y * tile.size.x + id.x] = (source & 0x00ffff00u) | red | (alpha << 24u);
"#;

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn a_wgsl_plugin_runs_on_the_gpu_with_the_documented_tiles_halo_and_uniforms() {
    let engine = crate::engine::test_gpu_engine();
    let plugin = wgsl_bundle(NEIGHBOUR_SHADER);
    let image = photo(TILE + 300, TILE + 90);
    let (width, height) = (image.width() as i64, image.height() as i64);
    let area = Rect::new(1, 3, image.width() - 1, image.height() - 3);
    for reach in [0u32, 3] {
        let params = BTreeMap::from([("reach".to_string(), ParamValue::Number(reach.into()))]);
        let filter = FilterRun::new(&plugin, &params).unwrap();
        let out = pollster::block_on(filter.run(engine, &image, area)).unwrap();
        for (x, y, pixel) in out.enumerate_pixels() {
            let (lx, ly) = (i64::from(x) + 1, i64::from(y) + 3);
            let source = image.get_pixel(
                (lx - i64::from(reach)).clamp(0, width - 1) as u32,
                (ly + i64::from(reach)).clamp(0, height - 1) as u32,
            );
            let expected = [
                ((lx + ly) & 255) as u8,
                source[1],
                source[2],
                ((width ^ height) & 255) as u8,
            ];
            assert_eq!(pixel.0, expected, "reach {reach} at {x},{y}");
        }
    }
}

/// The browser's Worker holds only the crop a filter reads (`Project.filterCrop`): the shader
/// run over it gives the whole layer's bytes, and a crop one pixel short is refused.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn a_wgsl_plugin_over_a_crop_equals_it_over_the_whole_layer() {
    let engine = crate::engine::test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let plugin = wgsl_bundle(NEIGHBOUR_SHADER);
    let image = photo(TILE + 200, 300);
    let area = Rect::new(100, 40, TILE, 200);
    let params = BTreeMap::from([("reach".to_string(), ParamValue::Number(3.0))]);
    let filter = FilterRun::new(&plugin, &params).unwrap();
    let halo = filter.shader_halo();
    assert_eq!(halo, 3);
    let whole = pollster::block_on(filter.run(engine, &image, area)).unwrap();
    let reach = FilterSource::reach(area, halo, image.dimensions());
    let crop = |r: Rect| {
        image::imageops::crop_imm(&image, r.x as u32, r.y as u32, r.width, r.height).to_image()
    };
    let pixels = crop(reach);
    let source = FilterSource {
        pixels: &pixels,
        origin: (reach.x as u32, reach.y as u32),
        layer_size: image.dimensions(),
    };
    let mut tiles_done = Vec::new();
    let out = pollster::block_on(filter.run_wgsl(gpu, &source, area, |done, total| {
        tiles_done.push((done, total))
    }))
    .unwrap();
    assert_eq!(out, whole);
    assert_eq!(tiles_done, vec![(1, 1)]);

    let short = Rect::new(reach.x + 1, reach.y, reach.width - 1, reach.height);
    let pixels = crop(short);
    let source = FilterSource {
        pixels: &pixels,
        origin: (short.x as u32, short.y as u32),
        layer_size: image.dimensions(),
    };
    let err = pollster::block_on(filter.run_wgsl(gpu, &source, area, |_, _| {})).unwrap_err();
    assert!(err.to_string().contains("do not hold"), "{err}");
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn broken_wgsl_plugins_are_reported_and_change_nothing() {
    let engine = crate::engine::test_gpu_engine();
    let cases = [
        ("let x: u32 = 1.5;", "does not compile"),
        // Returns before writing: the output still holds the canary.
        ("return;", "never wrote row 0"),
        // Uses only the uniform: the documented layout still binds all three buffers.
        ("if (tile.size.x == 0u) { return; }", "never wrote row 0"),
    ];
    for (body, expected) in cases {
        let plugin = wgsl_bundle(body);
        let (mut doc, id) = document();
        let before = doc.layer(id).unwrap().pixels.clone();
        let steps = doc.history().len();
        let filter = FilterRun::new(&plugin, &BTreeMap::new()).unwrap();
        let err = pollster::block_on(apply_to_layer(&mut doc, engine, id, &filter))
            .expect_err("a broken shader must fail");
        let message = err.to_string();
        assert!(
            message.contains("test.probe") && message.contains(expected),
            "{body}: {message}"
        );
        assert_eq!(doc.layer(id).unwrap().pixels, before);
        assert_eq!(doc.history().len(), steps);
    }
}

#[test]
fn a_wgsl_only_plugin_without_a_gpu_needs_webgpu() {
    let plugin = wgsl_bundle(NEIGHBOUR_SHADER);
    let image = photo(40, 30);
    let filter = FilterRun::new(&plugin, &BTreeMap::new()).unwrap();
    let err = pollster::block_on(filter.run(&Engine::cpu(), &image, Rect::new(0, 0, 40, 30)))
        .expect_err("no GPU, no shader run");
    assert!(err.to_string().contains("needs WebGPU"), "{err}");
}
