//! Native single-thread benchmark of the mask toolkit on a 4096×4096 mask:
//! `cargo run -p retouch --release --example bench_masks`. Prints the median
//! of several runs in megapixels per second (and milliseconds for a dab).

use image::GrayImage;
use image::RgbaImage;
use retouch::ops::brush::{self, BrushOptions};
use retouch::ops::select::{self, Rect};
use retouch::ops::wand::{self, WandOptions};
use retouch::ops::{feather, morphology};
use std::time::{Duration, Instant};

const SIDE: u32 = 4096;
const RUNS: usize = 5;

/// Median wall time of `RUNS` calls of `work`.
fn median_time(mut work: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn report(name: &str, pixels: u64, time: Duration) {
    let mp_per_s = pixels as f64 / 1e6 / time.as_secs_f64();
    println!(
        "{name:<32} {mp_per_s:>9.1} MP/s  ({:.2} ms)",
        time.as_secs_f64() * 1e3
    );
}

/// A large anti-aliased ellipse: the typical selection being modified.
fn selection() -> GrayImage {
    let size = SIDE as f32;
    let rect = Rect {
        x: size * 0.1,
        y: size * 0.15,
        width: size * 0.8,
        height: size * 0.7,
    };
    select::ellipse(SIDE, SIDE, rect).expect("a valid ellipse")
}

fn main() {
    let pixels = u64::from(SIDE) * u64::from(SIDE);
    let mask = selection();
    println!("{SIDE}×{SIDE} mask, native CPU, single thread, median of {RUNS} runs");
    for radius in [2.0, 20.0, 200.0] {
        let time = median_time(|| {
            std::hint::black_box(feather::feather_cpu(&mask, radius).expect("feather"));
        });
        report(&format!("feather r={radius}"), pixels, time);
    }
    for distance in [5, 30, 100] {
        let time = median_time(|| {
            std::hint::black_box(morphology::grow_cpu(&mask, distance).expect("grow"));
        });
        report(&format!("grow {distance}"), pixels, time);
        let time = median_time(|| {
            std::hint::black_box(morphology::shrink_cpu(&mask, distance).expect("shrink"));
        });
        report(&format!("shrink {distance}"), pixels, time);
    }
    // The wand floods the background around a differently coloured ellipse.
    let image = RgbaImage::from_fn(SIDE, SIDE, |x, y| {
        let inside = mask.as_raw()[(y * SIDE + x) as usize] >= 128;
        image::Rgba(if inside {
            [200, 40, 40, 255]
        } else {
            [30, 90, 160 + (x % 7) as u8, 255]
        })
    });
    for anti_alias in [false, true] {
        let options = WandOptions {
            seed: (0, 0),
            tolerance: 16,
            contiguous: true,
            anti_alias,
        };
        let time = median_time(|| {
            std::hint::black_box(wand::magic_wand(&image, &options).expect("wand"));
        });
        report(
            &format!("wand fill (anti-alias {anti_alias})"),
            pixels,
            time,
        );
    }
    let mut painted = mask.clone();
    for diameter in [50.0, 300.0] {
        let options = BrushOptions {
            diameter,
            hardness: 0.5,
            ..BrushOptions::default()
        };
        let time = median_time(|| {
            let centre = [(2000.0, 2000.0)];
            std::hint::black_box(
                brush::paint_stroke_cpu(&mut painted, &centre, &options).expect("dab"),
            );
        });
        let dab_pixels = (diameter * diameter) as u64;
        report(&format!("one brush dab, {diameter} px"), dab_pixels, time);
    }
}
