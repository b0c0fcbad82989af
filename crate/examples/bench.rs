//! `./build.sh bench`: compositor throughput on a 4096×4096 image, native,
//! single thread unless a row says otherwise, in MP/s (megapixels of layer processed per second; timed as
//! `bench_kit` says). Not a test: speed goals live here.

mod bench_kit;

use image::{GrayImage, Luma, Rgba, RgbaImage};
use retouch::engine::{BackendPreference, Engine};
use retouch::ops::blend::{
    composite, composite_cpu, composite_cpu_in_place, BlendMode, CompositeOptions,
};
use std::time::Duration;

const SIDE: u32 = 4096;

fn report(label: &str, time: Duration) {
    println!(
        "{label:<44} {:>8.1} MP/s  ({:.2} ms, median of {})",
        bench_kit::mp_per_s(u64::from(SIDE) * u64::from(SIDE), time),
        time.as_secs_f64() * 1e3,
        bench_kit::RUNS
    );
}

fn main() {
    // Single thread unless RETOUCH_THREADS says otherwise (the pool reads it once).
    if std::env::var_os("RETOUCH_THREADS").is_none() {
        std::env::set_var("RETOUCH_THREADS", "1");
    }
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

    let options_for = |mode| CompositeOptions {
        mode,
        opacity: 0.8,
        ..Default::default()
    };
    // The in-place kernel, with the reset of the target between runs (subtracted below).
    let kernel_over = |backdrop: &RgbaImage, mode| {
        let options = options_for(mode);
        let mut target = backdrop.clone();
        bench_kit::median(|| {
            target.copy_from_slice(backdrop);
            composite_cpu_in_place(&mut target, &layer, Some(&mask), &options).unwrap();
        })
    };
    let kernel = |mode| kernel_over(&base, mode);
    let copy = {
        let mut target = base.clone();
        // Kept observable: unread, the copy was optimised away (0 ms subtracted).
        bench_kit::median(|| {
            target.copy_from_slice(&base);
            std::hint::black_box(&mut target);
        })
    };
    // Roofline: copying the backdrop moves 8 of the 13 bytes a blended pixel does.
    println!(
        "memcpy of the {SIDE}x{SIDE} backdrop: {:.2} ms ({:.1} GB/s)",
        copy.as_secs_f64() * 1e3,
        2.0 * f64::from(SIDE * SIDE * 4) / copy.as_secs_f64() / 1e9
    );
    for mode in BlendMode::ALL {
        report(
            &format!("native cpu {}+mask {SIDE}x{SIDE} (kernel)", mode.name()),
            kernel(mode).saturating_sub(copy),
        );
        if matches!(mode, BlendMode::Normal | BlendMode::Multiply) {
            // What the wasm API does: validate, copy the backdrop, blend.
            let options = options_for(mode);
            let t = bench_kit::median(|| {
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
    }
    // Over a translucent backdrop (a layer on a transparent or soft-edged
    // one): every alpha level, so the opaque blocks' byte paths never apply.
    let translucent = RgbaImage::from_fn(SIDE, SIDE, |x, y| {
        let [r, g, b, _] = base.get_pixel(x, y).0;
        Rgba([r, g, b, ((x * 5 + y * 11) % 255) as u8])
    });
    for mode in [
        BlendMode::Normal,
        BlendMode::Multiply,
        BlendMode::Screen,
        BlendMode::Overlay,
        BlendMode::Darken,
        BlendMode::ColorBurn,
        BlendMode::SoftLight,
        BlendMode::Hue,
    ] {
        report(
            &format!(
                "native cpu {}+mask {SIDE}x{SIDE} over a translucent backdrop (kernel)",
                mode.name()
            ),
            kernel_over(&translucent, mode).saturating_sub(copy),
        );
    }
    // Over a cleared backdrop (the first layer of every recomposition).
    let cleared = RgbaImage::new(SIDE, SIDE);
    for mode in [
        BlendMode::Normal,
        BlendMode::Multiply,
        BlendMode::Screen,
        BlendMode::Hue,
    ] {
        report(
            &format!(
                "native cpu {}+mask {SIDE}x{SIDE} over a cleared backdrop (kernel)",
                mode.name()
            ),
            kernel_over(&cleared, mode).saturating_sub(copy),
        );
    }
    // Row bands on 2 threads (the reset copy stays on one).
    for mode in [BlendMode::Normal, BlendMode::Multiply] {
        let t = retouch::parallel::with_threads(2, || kernel(mode));
        report(
            &format!(
                "native cpu {}+mask {SIDE}x{SIDE} (kernel, 2 threads)",
                mode.name()
            ),
            t.saturating_sub(copy),
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
                let t = bench_kit::median(|| {
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
