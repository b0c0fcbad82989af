//! Native single-thread benchmark of the healing tools as the editor runs
//! them (`Document::heal_stroke`, the history step included) on a 12 MP
//! (4000×3000) photograph: one Healing-brush dab (40 px, texture 600 px to
//! the left), and a Spot Healing and a Remove stroke 40 px wide and 40 px
//! long; and the live Healing brush (`Document::begin_heal_stroke`, as the
//! page strokes it): its start (the layer's copy and the first dab) and
//! each pointer move 10 px on (one dab healed), and its end (the whole
//! stroke healed at once and recorded).
//! `cargo run -p retouch --release --example bench_heal`. The
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

/// The live Healing brush: a stroke begun at `start`, moved 10 px right
/// `moves` times (one `add_stroke_points` each), then ended and undone.
fn measure_live(
    doc: &mut Document,
    layer: u32,
    start: (f32, f32),
    source: (f32, f32),
    moves: usize,
) {
    let options = HealOptions {
        diameter: 40.0,
        ..HealOptions::default()
    };
    let (mut begins, mut steps, mut ends) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=bench_kit::RUNS {
        let clock = Instant::now();
        doc.begin_heal_stroke(layer, &[start], &options, source)
            .expect("a valid stroke");
        let begun = clock.elapsed();
        for i in 1..=moves {
            let clock = Instant::now();
            doc.add_stroke_points(&[(start.0 + 10.0 * i as f32, start.1)])
                .expect("a valid point");
            if run > 0 {
                steps.push(clock.elapsed());
            }
        }
        let clock = Instant::now();
        doc.end_stroke().expect("the stroke's step");
        let ended = clock.elapsed();
        doc.undo().expect("the stroke's step");
        if run > 0 {
            begins.push(begun);
            ends.push(ended);
        }
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1e3
    };
    println!(
        "live healing brush: start (layer copy + first dab) {:.1} ms (median of {}), \
         a 10 px move (one dab) {:.1} ms (median of {}), \
         the end (the whole stroke healed and recorded) {:.1} ms",
        median(&mut begins),
        begins.len(),
        median(&mut steps),
        steps.len(),
        median(&mut ends)
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
    measure_live(&mut doc, layer, (2100.0, 1500.0), (1500.0, 1500.0), 20);
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
