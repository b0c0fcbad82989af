//! Native single-thread benchmark of the healing tools as the editor runs
//! them (`Document::heal_stroke`, the history step included) on a 12 MP
//! (4000×3000) photograph: one Healing-brush dab (40 px, texture 600 px to
//! the left), and a Spot Healing and a Remove stroke 40 px wide and 40 px
//! long. `cargo run -p retouch --release --example bench_heal`. The
//! photograph is the six test photos of `crate/tests/photos` tiled with
//! mirroring. Wall time, median of `bench_kit::RUNS` after a warm-up; each
//! stroke is undone between runs (not timed).

mod bench_kit;

use retouch::doc::{Document, HealOptions, HealTool, LayerProperties};
use retouch::engine::Engine;
use std::time::{Duration, Instant};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

fn measure(doc: &mut Document, layer: u32, label: &str, points: &[(f32, f32)], tool: HealTool) {
    let engine = Engine::cpu();
    let options = HealOptions {
        diameter: 40.0,
        ..HealOptions::default()
    };
    let mut times: Vec<Duration> = (0..=bench_kit::RUNS)
        .map(|_| {
            let start = Instant::now();
            pollster::block_on(doc.heal_stroke(&engine, layer, points, &options, tool))
                .expect("a valid stroke");
            let time = start.elapsed();
            doc.undo().expect("the stroke's step");
            time
        })
        .skip(1)
        .collect();
    times.sort();
    println!(
        "{label}: {:.1} ms (median of {})",
        times[times.len() / 2].as_secs_f64() * 1e3,
        bench_kit::RUNS
    );
}

fn main() {
    let image = bench_kit::photo_mosaic(WIDTH, HEIGHT);
    let mut doc = Document::new(WIDTH, HEIGHT).expect("a document");
    let layer = doc
        .add_layer(LayerProperties::named("Photo"), image, None, None)
        .expect("a layer");
    println!("healing tools, {WIDTH}×{HEIGHT} document, single thread, 40 px brush");
    measure(
        &mut doc,
        layer,
        "healing dab",
        &[(2100.0, 1500.0)],
        HealTool::Healing {
            source: (1500.0, 1500.0),
        },
    );
    let stroke = [(2000.0, 1500.0), (2040.0, 1500.0)];
    measure(
        &mut doc,
        layer,
        "spot healing, 40 px stroke",
        &stroke,
        HealTool::SpotHealing,
    );
    measure(
        &mut doc,
        layer,
        "remove, 40 px stroke",
        &stroke,
        HealTool::Remove,
    );
}
