//! Native benchmark of the CPU resampler (every core, or `RETOUCH_THREADS`):
//! `cargo run -p retouch --release --example bench_resample`. The headline
//! figure is Lanczos3 ×2 of a 2048×2048 photo-like image, in megapixels of
//! output per second (median of several runs); the goal is ≥ 150 MP/s. The
//! edge upscaler ×2 of 2048² is also timed on the GPU when an adapter exists
//! (including upload, tiling and read-back). Timed as `bench_kit` says.

mod bench_kit;

use image::{Rgba, RgbaImage};
use retouch::engine::{BackendPreference, Engine};
use retouch::ops::resample::{self, Filter, ResizeOptions};
use std::time::Duration;

const SIDE: u32 = 2048;

/// Smooth gradients with fine texture, opaque or with a soft alpha ramp.
fn photo(translucent: bool) -> RgbaImage {
    RgbaImage::from_fn(SIDE, SIDE, |x, y| {
        let t = ((x * 7 + y * 13) % 17) as u8;
        let a = if translucent {
            (64 + x * 191 / SIDE) as u8
        } else {
            255
        };
        Rgba([
            (x / 8) as u8 ^ t,
            (y / 8) as u8,
            ((x + y) / 16) as u8 ^ t,
            a,
        ])
    })
}

fn bench(name: &str, src: &RgbaImage, options: ResizeOptions) {
    let time = bench_kit::median(|| resample::resize_cpu(src, &options).unwrap());
    report(name, options, time);
}

fn bench_gpu(name: &str, engine: &Engine, src: &RgbaImage, options: ResizeOptions) {
    let time =
        bench_kit::median(|| pollster::block_on(resample::resize(engine, src, &options)).unwrap());
    report(name, options, time);
}

fn report(name: &str, options: ResizeOptions, time: Duration) {
    let out_pixels = u64::from(options.width) * u64::from(options.height);
    let mp_per_s = bench_kit::mp_per_s(out_pixels, time);
    println!(
        "{name:<44} {mp_per_s:>8.1} MP/s output  ({:.1} ms)",
        time.as_secs_f64() * 1e3
    );
}

fn main() {
    let threads = std::env::var("RETOUCH_THREADS").unwrap_or_else(|_| "every core".into());
    println!(
        "native CPU, threads: {threads}, median of {} runs",
        bench_kit::RUNS
    );
    let opaque = photo(false);
    let translucent = photo(true);
    let up = |filter, linear_light| ResizeOptions {
        filter,
        linear_light,
        ..ResizeOptions::new(SIDE * 2, SIDE * 2)
    };
    bench(
        "lanczos3 ×2, opaque sRGB (goal ≥ 150)",
        &opaque,
        up(Filter::Lanczos3, false),
    );
    bench(
        "lanczos3 ×2, translucent (16-bit)",
        &translucent,
        up(Filter::Lanczos3, false),
    );
    bench(
        "lanczos3 ×2, linear light (16-bit)",
        &opaque,
        up(Filter::Lanczos3, true),
    );
    bench(
        "bicubic ×2, opaque sRGB",
        &opaque,
        up(Filter::CatmullRom, false),
    );
    bench(
        "bilinear ×2, opaque sRGB",
        &opaque,
        up(Filter::Bilinear, false),
    );
    bench("nearest ×2", &opaque, up(Filter::Nearest, false));
    let half = ResizeOptions::new(SIDE / 2, SIDE / 2);
    bench("lanczos3 ×½, opaque sRGB", &opaque, half);
    let small = RgbaImage::from_fn(512, 512, |x, y| *opaque.get_pixel(x * 4, y * 4));
    let edge = ResizeOptions {
        filter: Filter::Edge,
        ..ResizeOptions::new(1024, 1024)
    };
    bench("edge ×2 of 512²", &small, edge);
    let edge = up(Filter::Edge, false);
    bench("edge ×2, opaque sRGB (CPU)", &opaque, edge);
    match pollster::block_on(Engine::new(BackendPreference::Gpu)) {
        Ok(engine) => {
            println!("GPU: {}", engine.adapter_description());
            bench_gpu("edge ×2, opaque sRGB (GPU)", &engine, &opaque, edge);
        }
        Err(e) => println!("edge ×2 on the GPU: skipped ({e})"),
    }
}
