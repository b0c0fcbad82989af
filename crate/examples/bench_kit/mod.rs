//! What the native benchmarks share. The one timing method of every native
//! benchmark (`./build.sh bench`):
//! wall-clock time, the median of [`RUNS`] runs after one warm-up run, every
//! result passed through `black_box` so the work cannot be optimised away.
//! Wall time, not thread CPU time, because GPU work and worker threads run
//! outside the calling thread; on a noisy machine read medians and compare
//! ratios taken in the same run.
//!
//! Each example compiles its own copy and uses part of it.
#![allow(dead_code)]

use image::RgbaImage;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Timed runs per figure (after the warm-up).
pub const RUNS: usize = 7;

/// The median wall time of `work` over [`RUNS`] runs, after one warm-up run
/// (caches, pipeline compilation, page faults).
pub fn median<T>(mut work: impl FnMut() -> T) -> Duration {
    black_box(work());
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// Megapixels per second for `pixels` processed in `time`.
pub fn mp_per_s(pixels: u64, time: Duration) -> f64 {
    pixels as f64 / 1e6 / time.as_secs_f64()
}

/// A `width`×`height` photograph: the six test photos of `crate/tests/photos`
/// tiled in a grid, every other tile mirrored so edges meet (real texture
/// everywhere, as the fill and heal benchmarks need).
pub fn photo_mosaic(width: u32, height: u32) -> RgbaImage {
    let photos: Vec<RgbaImage> = ["chelsea", "coffee", "astronaut", "grass", "brick", "rocket"]
        .iter()
        .map(|name| {
            let path = format!("{}/tests/photos/{name}.png", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).expect("a test photo");
            retouch::image_io::decode_rgba(&bytes).expect("a PNG")
        })
        .collect();
    let (tw, th) = photos[0].dimensions();
    RgbaImage::from_fn(width, height, |x, y| {
        let (col, row) = (x / tw, y / th);
        let tile = &photos[((col + 2 * row) as usize) % photos.len()];
        let (mut u, mut v) = (x % tw, y % th);
        if col % 2 == 1 {
            u = tw - 1 - u;
        }
        if row % 2 == 1 {
            v = th - 1 - v;
        }
        *tile.get_pixel(u, v)
    })
}
