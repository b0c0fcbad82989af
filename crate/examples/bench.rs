//! `./build.sh bench`: compositor throughput on a 4096×4096 image, native,
//! single thread. Prints the median of several runs in MP/s (megapixels of
//! layer processed per second of the thread's CPU time, which other load on
//! the machine does not inflate). Not a test: speed goals live here.

use image::{GrayImage, Luma, Rgba, RgbaImage};
use retouch::engine::{BackendPreference, Engine};
use retouch::ops::blend::{
    composite, composite_cpu, composite_cpu_in_place, BlendMode, CompositeOptions,
};
use std::time::Instant;

const SIDE: u32 = 4096;
const RUNS: usize = 7;

/// Seconds this thread has spent on a CPU (Linux), so that other processes
/// competing for the 2 cores do not count; wall time elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn median_seconds(mut run: impl FnMut()) -> f64 {
    run(); // warm-up: caches, pipeline compilation
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| match thread_cpu_seconds() {
            Some(start) => {
                run();
                thread_cpu_seconds().unwrap_or(start) - start
            }
            None => {
                let t = Instant::now();
                run();
                t.elapsed().as_secs_f64()
            }
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

fn wall_median_seconds(mut run: impl FnMut()) -> f64 {
    run();
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

fn report(label: &str, seconds: f64) {
    let mp = f64::from(SIDE) * f64::from(SIDE) / 1e6;
    println!(
        "{label:<44} {:>8.1} MP/s  ({:.2} ms, median of {RUNS})",
        mp / seconds,
        seconds * 1e3
    );
}

fn main() {
    // A photo-like backdrop (opaque gradient), a layer with varied alpha and a
    // soft mask: no pixel takes a trivial shortcut more often than in real use.
    let base = RgbaImage::from_fn(SIDE, SIDE, |x, y| {
        Rgba([(x / 16) as u8, (y / 16) as u8, ((x + y) / 32) as u8, 255])
    });
    let layer = RgbaImage::from_fn(SIDE, SIDE, |x, y| {
        Rgba([
            (y / 16) as u8,
            (x / 16) as u8,
            128,
            ((x * 7 + y * 3) % 256) as u8,
        ])
    });
    let mask = GrayImage::from_fn(SIDE, SIDE, |x, y| Luma([((x ^ y) % 256) as u8]));

    for mode in [BlendMode::Normal, BlendMode::Multiply] {
        let options = CompositeOptions {
            mode,
            opacity: 0.8,
            ..Default::default()
        };
        let mut target = base.clone();
        let t = median_seconds(|| {
            target.copy_from_slice(&base);
            composite_cpu_in_place(&mut target, &layer, Some(&mask), &options).unwrap();
        });
        // Subtract the copy that resets the target between runs.
        let copy = median_seconds(|| target.copy_from_slice(&base));
        if mode == BlendMode::Normal {
            // Roofline: copying the backdrop moves 8 of the 13 bytes a blended pixel does.
            println!(
                "memcpy of the {SIDE}x{SIDE} backdrop: {:.2} ms ({:.1} GB/s)",
                copy * 1e3,
                2.0 * f64::from(SIDE * SIDE * 4) / copy / 1e9
            );
        }
        report(
            &format!("native cpu {}+mask {SIDE}x{SIDE} (kernel)", mode.name()),
            t - copy,
        );
        // What the wasm API does: validate, copy the backdrop, blend.
        let t = median_seconds(|| {
            composite_cpu(&base, &layer, Some(&mask), &options).unwrap();
        });
        report(
            &format!(
                "native cpu {}+mask {SIDE}x{SIDE} (API, new result)",
                mode.name()
            ),
            t,
        );
    }

    match pollster::block_on(Engine::new(BackendPreference::Gpu)) {
        Ok(engine) => {
            println!("gpu adapter: {}", engine.adapter_description());
            for mode in [BlendMode::Normal, BlendMode::Multiply] {
                let options = CompositeOptions {
                    mode,
                    opacity: 0.8,
                    ..Default::default()
                };
                // The GPU works outside this thread: wall time here.
                let t = wall_median_seconds(|| {
                    pollster::block_on(composite(&engine, &base, &layer, Some(&mask), &options))
                        .unwrap();
                });
                report(
                    &format!(
                        "gpu {}+mask {SIDE}x{SIDE} (incl. upload/read-back)",
                        mode.name()
                    ),
                    t,
                );
            }
        }
        Err(e) => println!("gpu: not measured ({e})"),
    }
}
