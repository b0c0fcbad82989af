//! Native single-thread benchmark of Content-Aware Fill: a 0.25 MP hole (a
//! disc of radius 282 px) in a 12 MP (4000×3000) photograph, default options.
//! `cargo run -p retouch --release --example bench_fill`. The photograph is
//! the six test photos of `crate/tests/photos` tiled with mirroring (real
//! texture everywhere; the fill only reads a window around the hole). Each
//! run uses another seed; timed as `bench_kit` says. The CPU is timed with
//! colour adaptation off (the default) and high. The same fill is also
//! timed on the GPU backend when an adapter exists (on a software adapter
//! such as llvmpipe that figure is reported, not judged).

mod bench_kit;

use image::{GrayImage, Luma};
use retouch::engine::{BackendPreference, Engine};
use retouch::ops::fill::{fill, fill_cpu, ColorAdaptation, FillOptions};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const RADIUS: f32 = 282.0;

fn main() {
    let image = bench_kit::photo_mosaic(WIDTH, HEIGHT);
    let (cx, cy) = (WIDTH as f32 * 0.45, HEIGHT as f32 * 0.55);
    let hole = GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        Luma([if d <= RADIUS { 255 } else { 0 }])
    });
    let area = hole.iter().filter(|&&v| v > 0).count();
    println!(
        "content-aware fill, {WIDTH}×{HEIGHT} image, hole {:.3} MP, patch 7, single thread",
        area as f64 / 1e6
    );
    let mut seed = 0;
    let time = bench_kit::median(|| {
        seed += 1;
        let options = FillOptions {
            seed,
            ..FillOptions::default()
        };
        fill_cpu(&image, &hole, None, &options).expect("a valid fill")
    });
    println!(
        "CPU: {:.3} s (median of {})",
        time.as_secs_f64(),
        bench_kit::RUNS
    );
    let time = bench_kit::median(|| {
        seed += 1;
        let options = FillOptions {
            seed,
            color_adaptation: ColorAdaptation::High,
            ..FillOptions::default()
        };
        fill_cpu(&image, &hole, None, &options).expect("a valid fill")
    });
    println!(
        "CPU, colour adaptation high: {:.3} s (median of {})",
        time.as_secs_f64(),
        bench_kit::RUNS
    );
    let engine = match pollster::block_on(Engine::new(BackendPreference::Gpu)) {
        Ok(engine) => engine,
        Err(e) => return println!("GPU: skipped ({e})"),
    };
    let time = bench_kit::median(|| {
        seed += 1;
        let options = FillOptions {
            seed,
            ..FillOptions::default()
        };
        pollster::block_on(fill(&engine, &image, &hole, None, &options)).expect("a valid fill")
    });
    println!(
        "GPU ({}): {:.3} s (median of {})",
        engine.adapter_description(),
        time.as_secs_f64(),
        bench_kit::RUNS
    );
}
