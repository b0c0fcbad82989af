//! Native benchmark of the mask toolkit on a 4096×4096 mask, on every core
//! (feather and morphology split their work) or `RETOUCH_THREADS` of them:
//! `cargo run -p retouch --release --example bench_masks`. Prints the median
//! of several runs in megapixels per second (and milliseconds for a dab).
//! An argument runs only the benchmarks whose names contain it (`-- feather`),
//! so that one kernel can be timed or profiled on its own. Timed as `timing`
//! says.

mod bench_kit;

use image::GrayImage;
use image::RgbaImage;
use retouch::ops::brush::{self, BrushOptions};
use retouch::ops::select::{self, Rect};
use retouch::ops::wand::{self, WandOptions};
use retouch::ops::{feather, morphology};

const SIDE: u32 = 4096;

/// Times `work` and prints its rate over `pixels`, unless `filter` excludes `name`.
fn bench<T>(filter: &Option<String>, name: &str, pixels: u64, work: impl FnMut() -> T) {
    if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
        return;
    }
    let time = bench_kit::median(work);
    let mp_per_s = bench_kit::mp_per_s(pixels, time);
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
    let filter = std::env::args().nth(1);
    let pixels = u64::from(SIDE) * u64::from(SIDE);
    let mask = selection();
    let threads = std::env::var("RETOUCH_THREADS").unwrap_or_else(|_| "every core".into());
    println!(
        "{SIDE}×{SIDE} mask, native CPU, threads: {threads}, median of {} runs",
        bench_kit::RUNS
    );
    for radius in [2.0, 20.0, 200.0] {
        bench(&filter, &format!("feather r={radius}"), pixels, || {
            feather::feather_cpu(&mask, radius).expect("feather")
        });
    }
    for distance in [5, 30, 100] {
        bench(&filter, &format!("grow {distance}"), pixels, || {
            morphology::grow_cpu(&mask, distance).expect("grow")
        });
        bench(&filter, &format!("shrink {distance}"), pixels, || {
            morphology::shrink_cpu(&mask, distance).expect("shrink")
        });
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
        let name = format!("wand fill (anti-alias {anti_alias})");
        bench(&filter, &name, pixels, || {
            wand::magic_wand(&image, &options).expect("wand")
        });
    }
    let mut painted = mask.clone();
    for diameter in [50.0, 300.0] {
        let options = BrushOptions {
            diameter,
            hardness: 0.5,
            ..BrushOptions::default()
        };
        let dab_pixels = (diameter * diameter) as u64;
        bench(
            &filter,
            &format!("one brush dab, {diameter} px"),
            dab_pixels,
            || {
                let centre = [(2000.0, 2000.0)];
                brush::paint_stroke_cpu(&mut painted, &centre, &options).expect("dab")
            },
        );
    }
}
