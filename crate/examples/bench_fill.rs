//! Native single-thread benchmark of Content-Aware Fill: a 0.25 MP hole (a
//! disc of radius 282 px) in a 12 MP (4000×3000) photograph, default options.
//! `cargo run -p retouch --release --example bench_fill`. The photograph is
//! the six test photos of `crate/tests/photos` tiled with mirroring (real
//! texture everywhere; the fill only reads a window around the hole). Each
//! run uses another seed; timed as `bench_kit` says. The CPU is timed with
//! colour adaptation off (the default) and high. The same fill is also
//! timed on the GPU backend when an adapter exists (on a software adapter
//! such as llvmpipe that figure is reported, not judged). Then a blemish is
//! filled through the document, as the page does, beside the steps the
//! document took before it read the fill's window alone.

mod bench_kit;

use image::{GrayImage, Luma};
use retouch::doc::{Document, LayerProperties};
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
    in_a_document(&image);
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

/// A blemish (a disc of radius 30 px) filled in a three-layer document of
/// `photo`'s size whose CPU composite was never made — as on the page's
/// WebGPU view, which composes on the GPU alone. Before, the document made
/// the whole composite on the CPU, copied it and filled the copy; now it
/// composes the fill's window only. Both are timed from fresh documents.
fn in_a_document(photo: &image::RgbaImage) {
    let (w, h) = photo.dimensions();
    let (cx, cy) = (w as f32 * 0.3, h as f32 * 0.4);
    let blemish = GrayImage::from_fn(w, h, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        Luma([if d <= 30.0 { 255 } else { 0 }])
    });
    let documents = || -> Vec<Document> {
        (0..=bench_kit::RUNS)
            .map(|_| {
                let mut doc = Document::new(w, h).expect("a canvas");
                let shade = image::RgbaImage::from_fn(w, h, |x, y| {
                    image::Rgba([(x % 256) as u8, (y % 256) as u8, 160, 90])
                });
                for (name, pixels) in [
                    ("Photo", photo.clone()),
                    ("Shade", shade.clone()),
                    ("Glow", shade),
                ] {
                    doc.add_layer(LayerProperties::named(name), pixels, None, None)
                        .expect("a layer");
                }
                doc.set_selection(Some(blemish.clone()), "Select")
                    .expect("a selection");
                doc
            })
            .collect()
    };
    let options = FillOptions::default();
    let cpu = Engine::cpu();
    let mut before = documents();
    let old = bench_kit::median(|| {
        let mut doc = before.pop().expect("a document per run");
        let composite = doc.composite_cpu().expect("the composite").clone();
        fill_cpu(&composite, &blemish, None, &options).expect("a valid fill")
    });
    let mut after = documents();
    let new = bench_kit::median(|| {
        let mut doc = after.pop().expect("a document per run");
        pollster::block_on(doc.content_aware_fill(&cpu, None, &options)).expect("a valid fill")
    });
    println!(
        "a 60 px blemish in a three-layer {w}×{h} document, CPU: the whole composite made, copied and filled (before) {:.1} ms; the fill's window composed and filled (now) {:.1} ms (medians of {})",
        old.as_secs_f64() * 1e3,
        new.as_secs_f64() * 1e3,
        bench_kit::RUNS
    );
}
