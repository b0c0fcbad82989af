//! Peak memory of document operations (issue 12; not a timed test):
//! `cargo run -p retouch --example bench_doc_memory` (Linux only: it reads
//! `/proc/self/status`).
//!
//! Each operation runs in a process of its own, on a document of two
//! full-canvas layers (the top one at 70 % opacity), its composite rendered
//! and a centred selection of a tenth of each side's length squared. Before
//! the operation the process's peak resident set is reset to what it holds
//! (`/proc/self/clear_refs`); after it, the new peak less that is what the
//! operation itself needed. Printed beside the estimate the document
//! checks against its budget before allocating (read from the refusal the
//! operation gives under a one-byte budget, less what the document holds
//! and the fixed allowance), so an estimate short of the truth shows up.

use image::{GrayImage, Luma, Rgba, RgbaImage};
use retouch::doc::{Document, LayerId, LayerProperties};
use retouch::engine::Engine;
use retouch::ops::adjust::{Adjustment, Levels};
use retouch::ops::fill::FillOptions;
use retouch::ops::transform::{Affine, Resampler};
use std::process::Command;

const MIB: f64 = 1024.0 * 1024.0;

/// The operations measured.
const OPERATIONS: [&str; 8] = [
    "new layer",
    "duplicate layer",
    "merge down",
    "flatten",
    "levels",
    "rotate layer 20°",
    "rotate selection 20°",
    "content-aware fill",
];

/// Deterministic noise, so no page is shared or compressible.
fn noise(x: u32, y: u32, seed: u32) -> Rgba<u8> {
    let mut h = x.wrapping_mul(0x9e37_79b1) ^ y.wrapping_mul(0x85eb_ca77) ^ seed;
    h ^= h >> 15;
    h = h.wrapping_mul(0x2c1b_3c6d);
    h ^= h >> 12;
    Rgba([h as u8, (h >> 8) as u8, (h >> 16) as u8, 255])
}

/// One field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

fn document(side: u32) -> (Document, [LayerId; 2]) {
    let mut doc = Document::new(side, side).expect("within the limits");
    let base = RgbaImage::from_fn(side, side, |x, y| noise(x, y, 1));
    let bottom = doc
        .add_layer(LayerProperties::named("Photo"), base, None, None)
        .expect("a valid layer");
    let top = RgbaImage::from_fn(side, side, |x, y| noise(x, y, 2));
    let mut props = LayerProperties::named("Retouch");
    props.opacity = 0.7;
    let top = doc
        .add_layer(props, top, None, None)
        .expect("a valid layer");
    let (from, to) = (side * 9 / 20, side * 11 / 20);
    let selection = GrayImage::from_fn(side, side, |x, y| {
        let inside = (from..to).contains(&x) && (from..to).contains(&y);
        Luma([if inside { 255 } else { 0 }])
    });
    doc.set_selection(Some(selection), "Select")
        .expect("the canvas's size");
    (doc, [bottom, top])
}

fn run(operation: &str, doc: &mut Document, [bottom, top]: [LayerId; 2]) -> retouch::Result<()> {
    let engine = Engine::cpu();
    let rotate = Affine::rotate_degrees(20.0);
    match operation {
        "new layer" => doc.new_layer("New").map(drop),
        "duplicate layer" => doc.duplicate_layer(top).map(drop),
        "merge down" => doc.merge_down(top).map(drop),
        "flatten" => doc.flatten().map(drop),
        "levels" => {
            let levels = Adjustment::Levels(Levels {
                gamma: 1.4,
                ..Levels::default()
            });
            pollster::block_on(doc.adjust_layer(&engine, bottom, &levels))
        }
        "rotate layer 20°" => {
            pollster::block_on(doc.transform_layer(&engine, bottom, &rotate, Resampler::Bicubic))
        }
        "rotate selection 20°" => pollster::block_on(doc.transform_selection(
            &engine,
            bottom,
            &rotate,
            Resampler::Bicubic,
        )),
        "content-aware fill" => {
            pollster::block_on(doc.content_aware_fill(&engine, None, &FillOptions::default()))
                .map(drop)
        }
        other => panic!("unknown operation {other}"),
    }
}

/// The bytes `operation` estimates it needs beyond what `doc` holds: the
/// figure in its refusal under a one-byte budget (which changes nothing).
fn estimate(operation: &str, doc: &mut Document, ids: [LayerId; 2]) -> f64 {
    std::env::set_var("RETOUCH_MEMORY_BUDGET", "1");
    let refusal = run(operation, doc, ids).expect_err("refused under a one-byte budget");
    std::env::remove_var("RETOUCH_MEMORY_BUDGET");
    let message = refusal.to_string();
    // "… would need about 1.1 GiB of memory, …"
    let needed = message
        .split("would need about ")
        .nth(1)
        .and_then(|rest| rest.split(" of memory").next())
        .and_then(|amount| {
            retouch::memory::parse_bytes(&amount.replace(" GiB", "G").replace(" MiB", "M"))
        })
        .unwrap_or_else(|| panic!("no estimate in: {message}"));
    needed as f64 - (doc.memory_held() + retouch::memory::BASE_BYTES) as f64
}

/// In a child process: sets up, measures one operation, prints its
/// estimate and the extra peak in bytes.
fn measure(operation: &str, side: u32) {
    let (mut doc, ids) = document(side);
    pollster::block_on(doc.render(&Engine::cpu())).expect("the composite");
    let estimate = estimate(operation, &mut doc, ids);
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak");
    let held = status_bytes("VmRSS:");
    run(operation, &mut doc, ids).unwrap_or_else(|e| panic!("{operation}: {e}"));
    let extra = status_bytes("VmHWM:").saturating_sub(held);
    println!("{estimate} {extra}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [operation, side] = &args[..] {
        measure(operation, side.parse().expect("a side in pixels"));
        return;
    }
    let sides: Vec<u32> = std::env::var("SIDES")
        .unwrap_or_else(|_| "4096 16384".into())
        .split_whitespace()
        .map(|s| s.parse().expect("SIDES: sides in pixels"))
        .collect();
    let me = std::env::current_exe().expect("this program");
    println!(
        "| operation | side | estimate (× RGBA8 canvas) | measured extra peak | × RGBA8 canvas |"
    );
    println!("|---|---:|---:|---:|---:|");
    for side in sides {
        let canvas = f64::from(side) * f64::from(side) * 4.0;
        for operation in OPERATIONS {
            // PatchMatch over a 16384² canvas takes hours on a small machine.
            if operation == "content-aware fill" && side > 4096 {
                continue;
            }
            let out = Command::new(&me)
                .args([operation, &side.to_string()])
                .output()
                .expect("the measuring process");
            if !out.status.success() {
                println!(
                    "| {operation} | {side}² | – | failed: {} | – |",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                continue;
            }
            let printed = String::from_utf8_lossy(&out.stdout);
            let figures: Vec<f64> = printed
                .split_whitespace()
                .map(|f| f.parse().expect("bytes"))
                .collect();
            let [estimate, extra] = figures[..] else {
                panic!("unexpected output: {printed}");
            };
            println!(
                "| {operation} | {side}² | {:.2} | {:.0} MiB | {:.2} |",
                estimate / canvas,
                extra / MIB,
                extra / canvas
            );
        }
    }
}
