//! Native benchmark of the filter plugin host (`plugin::filter_host`, wasmtime sandbox): an
//! identity plugin through the whole host path (tiling, halo gathering, copies in and out of the
//! sandbox, canary checks) on a 4096×4096 image; the unsharp-mask example plugin
//! (`plugins/unsharp-mask`, built by `./build.sh plugins`) against the same filter compiled for
//! the host (its source included below) and against the core's own unsharp mask on
//! a 1024×1024 image; and the sandbox's start-up cost (a run on a 1×1 image: module
//! compilation, instantiation, buffers, one tile).
//! `cargo run -p retouch --release --example bench_plugins`. Images are the test photos tiled
//! (`bench_kit::photo_mosaic`); timed as `bench_kit` says.

mod bench_kit;

/// The unsharp-mask example plugin's source, compiled for the host (its crate is a cdylib for
/// WebAssembly only: an rlib beside it would cost the module its link-time optimisation).
#[allow(unused_attributes)] // its `#![no_std]` is for the module
#[path = "../../plugins/unsharp-mask/src/lib.rs"]
mod unsharp_plugin;

use retouch::doc::Rect;
use retouch::ops::adjust::{adjust_cpu, Adjustment, UnsharpMask};
use retouch::plugin::abi::ParamValue;
use retouch::plugin::bundle::Bundle;
use retouch::plugin::filter_host::{bands, place, tiles, FilterRun, FilterSource};
use retouch_plugin_sdk::{Filter, Params, Tile};
use std::collections::BTreeMap;
use std::path::Path;

/// The smallest ABI-conforming plugin: `retouch_filter` copies the input tile to the output
/// with one `memory.copy` (halo 0), so its time is the host's.
const IDENTITY: &str = r#"(module
  (memory (export "memory") 1 1024)
  (func (export "retouch_abi_version") (result i32) i32.const 1)
  (func (export "retouch_alloc") (param $len i32) (result i32) (local $pages i32)
    local.get $len
    i32.const 65535
    i32.add
    i32.const 16
    i32.shr_u
    memory.grow
    local.tee $pages
    i32.const -1
    i32.eq
    if (result i32) i32.const 0 else local.get $pages i32.const 16 i32.shl end)
  (func (export "retouch_halo") (param i32 i32) (result i32) i32.const 0)
  (func (export "retouch_filter")
    (param $in i32) (param $in_w i32) (param $in_h i32) (param $out i32) (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (result i32)
    local.get $out
    local.get $in
    local.get $in_w
    local.get $in_h
    i32.mul
    i32.const 4
    i32.mul
    memory.copy
    i32.const 0))"#;

const MANIFEST: &str = r#"{
  "id": "bench.identity", "name": "Identity", "version": "1.0.0", "kind": "filter",
  "description": "Returns its input.",
  "entry": { "type": "wasm", "module": "identity.wasm", "memory_limit_mb": 64, "time_limit_ms": 60000 },
  "inputs": [{ "id": "image", "type": "image" }], "outputs": [{ "id": "image", "type": "image" }]
}"#;

fn identity_bundle() -> Bundle {
    let dir = std::env::temp_dir().join(format!("retouch-bench-identity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    std::fs::write(dir.join("manifest.json"), MANIFEST).expect("the manifest written");
    let wasm = wat::parse_str(IDENTITY).expect("valid WAT");
    std::fs::write(dir.join("identity.wasm"), wasm).expect("the module written");
    let bytes = Bundle::pack(&dir).expect("a valid bundle");
    std::fs::remove_dir_all(&dir).ok();
    Bundle::from_bytes(&bytes).expect("a valid bundle")
}

fn whole(image: &image::RgbaImage) -> Rect {
    Rect::new(0, 0, image.width(), image.height())
}

/// The unsharp-mask plugin's own filter compiled for the host, run as the host runs its
/// module: the same 512² tiles and halo (gathered by the host's code), the rows of tiles in one
/// band per thread, every output tile placed into the result. What is left between this and
/// the module's run is the sandbox: WebAssembly code, copies in and out, the canary.
fn unsharp_native(image: &image::RgbaImage, params: &[u8]) -> image::RgbaImage {
    let filter =
        unsharp_plugin::UnsharpMask::from_params(&mut Params::new(params)).expect("params");
    let halo = filter.halo();
    let source = FilterSource::whole(image);
    let (width, height) = image.dimensions();
    let mut out = image::RgbaImage::new(width, height);
    retouch::parallel::for_each_part(bands(whole(image), &mut out), |(band, pixels)| {
        let mut input = Vec::new();
        let mut output = Vec::new();
        for tile in tiles(band) {
            let (w, h) = (tile.width as usize, tile.height as usize);
            input.resize((w + 2 * halo as usize) * (h + 2 * halo as usize) * 4, 0);
            output.resize(w * h * 4, 0);
            source.gather(tile, halo, &mut input);
            let origin = (tile.x as u32, tile.y as u32);
            let size = (tile.width, tile.height);
            let mut call = Tile::new(&input, &mut output, size, halo, origin, (width, height));
            filter.filter(&mut call).expect("filters");
            place(pixels, band, tile, &output);
        }
    });
    out
}

fn main() {
    let identity = identity_bundle();
    let run = FilterRun::new(&identity, &BTreeMap::new()).expect("no parameters");

    let big = bench_kit::photo_mosaic(4096, 4096);
    let time = bench_kit::median(|| run.run_wasm(&big, whole(&big)).expect("identity runs"));
    println!(
        "identity plugin, host path, 4096×4096: {:.1} ms, {:.0} MP/s",
        time.as_secs_f64() * 1e3,
        bench_kit::mp_per_s(4096 * 4096, time)
    );

    let pixel = bench_kit::photo_mosaic(1, 1);
    let time = bench_kit::median(|| run.run_wasm(&pixel, whole(&pixel)).expect("identity runs"));
    println!(
        "sandbox start-up (identity, 1×1 image): {:.3} ms",
        time.as_secs_f64() * 1e3
    );

    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/pkg/plugins/unsharp-mask.retouchplugin");
    let unsharp = Bundle::read(&path)
        .unwrap_or_else(|e| panic!("{e} (build the example plugins: ./build.sh plugins)"));
    let (amount, radius) = (100.0, 1.5);
    let params = BTreeMap::from([
        ("amount".to_string(), ParamValue::Number(amount)),
        ("radius".to_string(), ParamValue::Number(radius)),
    ]);
    let plugin = FilterRun::new(&unsharp, &params).expect("valid parameters");
    let time = bench_kit::median(|| plugin.run_wasm(&pixel, whole(&pixel)).expect("runs"));
    println!(
        "sandbox start-up (unsharp-mask example, 1×1 image): {:.3} ms",
        time.as_secs_f64() * 1e3
    );

    let image = bench_kit::photo_mosaic(1024, 1024);
    let plugin_time = bench_kit::median(|| plugin.run_wasm(&image, whole(&image)).expect("runs"));
    let params_bytes = retouch::plugin::abi::params_bytes(&[amount as f32, radius as f32, 0.0]);
    assert_eq!(
        unsharp_native(&image, &params_bytes),
        plugin.run_wasm(&image, whole(&image)).expect("runs"),
        "the filter compiled for the host gives the module's bytes"
    );
    let native_time = bench_kit::median(|| unsharp_native(&image, &params_bytes));
    let core = Adjustment::UnsharpMask(UnsharpMask {
        amount: amount as f32,
        radius: radius as f32,
        threshold: 0.0,
    });
    let core_time = bench_kit::median(|| adjust_cpu(&image, &core).expect("valid"));
    let ms = |t: std::time::Duration| t.as_secs_f64() * 1e3;
    println!(
        "unsharp mask 1024×1024 (amount {amount}, radius {radius}): plugin {:.1} ms ({:.2} MP/s), \
         the same filter compiled natively {:.1} ms: plugin/native {:.2}×; \
         core (Deriche blur) {:.1} ms ({:.1} MP/s): plugin/core {:.1}×",
        ms(plugin_time),
        bench_kit::mp_per_s(1 << 20, plugin_time),
        ms(native_time),
        plugin_time.as_secs_f64() / native_time.as_secs_f64(),
        ms(core_time),
        bench_kit::mp_per_s(1 << 20, core_time),
        plugin_time.as_secs_f64() / core_time.as_secs_f64()
    );
}
