//! The seam metric, and ingestion of realistic answers on real photographs: answers that drift
//! across the frame, add noise, shift the content or repaint the selection, and one that does
//! not fit at all, which the gate must flag.

use image::{GrayImage, Luma, Rgba, RgbaImage};

use super::plan::scale;
use super::tests::{capabilities, ellipse, options, request, OPENAI};
use super::*;
use crate::ops::fill::{fill_cpu, FillOptions};
use crate::test_kit::{photo, PHOTOS};
use crate::test_rng::Rng;

#[test]
fn an_unchanged_image_has_no_seam_and_no_difference() {
    let image = photo("coffee");
    let selection = ellipse(192, 144, 60.0, 40.0, 70.0, 50.0);
    let m = seam_metrics(&image, &image, &selection, &selection).unwrap();
    assert_eq!(m.edge_delta_e, 0.0);
    assert_eq!(m.edge_delta_e_p95, 0.0);
    assert_eq!(m.inside_delta_e, 0.0);
    assert_eq!(m.changed_outside, 0);
    assert!(m.edge_pairs > 100 && m.inside_pixels > 2000, "{m:?}");
    assert!(!m.visible_seam);
}

#[test]
fn a_pasted_offset_is_a_seam_and_a_removal_is_not() {
    let image = photo("chelsea");
    let selection = ellipse(192, 144, 60.0, 40.0, 70.0, 50.0);
    let inside = |x: u32, y: u32| selection.get_pixel(x, y).0[0] > 127;
    // The selection brightened by 20 levels: a step all along the edge.
    let brighter = RgbaImage::from_fn(192, 144, |x, y| {
        let mut p = *image.get_pixel(x, y);
        if inside(x, y) {
            for v in &mut p.0[..3] {
                *v = v.saturating_add(20);
            }
        }
        p
    });
    let m = seam_metrics(&image, &brighter, &selection, &selection).unwrap();
    assert!(
        m.edge_delta_e > VISIBLE_SEAM_DELTA_E && m.visible_seam,
        "{m:?}"
    );
    // The selection repainted with the colour just outside it, row by row: a removal that
    // continues the surroundings. It differs inside, but adds no step at the edge.
    let removed = RgbaImage::from_fn(192, 144, |x, y| {
        if !inside(x, y) {
            return *image.get_pixel(x, y);
        }
        let left = (0..x).rev().find(|&x| !inside(x, y)).unwrap_or(0);
        *image.get_pixel(left, y)
    });
    let m = seam_metrics(&image, &removed, &selection, &selection).unwrap();
    assert!(m.inside_delta_e > 3.0, "{m:?}");
    assert!(m.edge_delta_e < 1.0 && !m.visible_seam, "{m:?}");
    // Bad sizes are refused by name.
    let small = GrayImage::new(10, 10);
    let error = seam_metrics(&image, &image, &small, &small).unwrap_err();
    assert!(error.to_string().contains("mask"), "{error}");
}

/// What a provider might send back for a crop, in the crop's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    /// The scene under gain and offset that vary across the frame (white balance shifting
    /// left to right, exposure falling off towards the corners).
    Drift,
    /// [`Answer::Drift`] plus Gaussian-like noise (σ ≈ 3 levels).
    DriftNoise,
    /// [`Answer::Drift`] of the scene shifted by 2 px right and 1 px down.
    DriftShift,
    /// [`Answer::Drift`] of the scene with the selection repainted (content-aware fill).
    DriftNewContent,
    /// Another photograph pasted into the selection, the context left as sent.
    Mismatched,
}

const DRIFTING: [Answer; 4] = [
    Answer::Drift,
    Answer::DriftNoise,
    Answer::DriftShift,
    Answer::DriftNewContent,
];

/// The photograph pasted into `name` for [`Answer::Mismatched`]: one of another tone (grey
/// texture into grey texture would be a change of content, not of colour, see the seam docs).
fn pasted_into(name: &str) -> &'static str {
    match name {
        "chelsea" => "rocket",
        "coffee" => "grass",
        "astronaut" => "brick",
        "grass" => "chelsea",
        "brick" => "coffee",
        _ => "astronaut",
    }
}

/// The spatially varying drift at (`u`, `v`) of the crop (0 to 1) on channel `c`.
fn drift(c: usize, value: f32, u: f32, v: f32) -> f32 {
    let gain = [1.06 + 0.14 * u, 1.04 - 0.10 * v, 0.92 + 0.10 * u * v][c];
    let offset = [8.0 - 12.0 * v, 2.0 + 6.0 * u, -10.0 + 14.0 * u][c];
    let falloff = 1.0 - 0.3 * ((u - 0.5).powi(2) + (v - 0.5).powi(2));
    (gain * value + offset) * falloff
}

/// The answer of `kind` for the crop `crop` of `image`, as the provider sends it (at the
/// plan's size).
fn answer(
    kind: Answer,
    image: &RgbaImage,
    selection: &GrayImage,
    plan: &JobPlan,
    name: &str,
) -> RgbaImage {
    let scene = match kind {
        Answer::DriftNewContent => {
            fill_cpu(image, selection, None, &FillOptions::default())
                .unwrap()
                .image
        }
        Answer::Mismatched => {
            let other = photo(pasted_into(name));
            RgbaImage::from_fn(image.width(), image.height(), |x, y| {
                if selection.get_pixel(x, y).0[0] > 0 {
                    *other.get_pixel(x, y)
                } else {
                    *image.get_pixel(x, y)
                }
            })
        }
        _ => image.clone(),
    };
    let crop = plan.crop;
    let mut rng = Rng(0x5eed_0000 + crop.x as u64);
    let shift = if kind == Answer::DriftShift {
        (2, 1)
    } else {
        (0, 0)
    };
    let in_crop = RgbaImage::from_fn(crop.width, crop.height, |x, y| {
        let sx = (crop.x + x).saturating_sub(shift.0);
        let sy = (crop.y + y).saturating_sub(shift.1);
        let p = scene.get_pixel(sx, sy).0;
        if kind == Answer::Mismatched {
            return Rgba(p);
        }
        let (u, v) = (x as f32 / crop.width as f32, y as f32 / crop.height as f32);
        let mut out = [0u8, 0, 0, 255];
        for c in 0..3 {
            let noise = if kind == Answer::DriftNoise {
                // The sum of four uniforms on ±3 has σ ≈ 3.5.
                (0..4).map(|_| (rng.next() % 7) as f32 - 3.0).sum::<f32>()
            } else {
                0.0
            };
            out[c] = (drift(c, f32::from(p[c]), u, v) + noise)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
        Rgba(out)
    });
    scale(&in_crop, plan.width, plan.height)
}

/// The selection every photograph gets: an object-sized ellipse off centre.
fn selection() -> GrayImage {
    ellipse(192, 144, 70.0, 44.0, 56.0, 48.0)
}

/// Ingests the `kind` answer on every photograph with `harmonise` on or off; the metrics.
fn ingest_all(kind: Answer, harmonise: bool) -> Vec<(&'static str, SeamMetrics)> {
    let selection = selection();
    let mut req = request("remove the object");
    req.feather = 2.0;
    let mut how = options();
    how.harmonise = harmonise;
    PHOTOS
        .iter()
        .map(|&name| {
            let image = photo(name);
            let job = plan_edit(OPENAI, &capabilities(OPENAI), &image, &selection, &req).unwrap();
            let sent = answer(kind, &image, &selection, &job.plan, name);
            let ingested = ingest_decoded(&image, &selection, &job.plan, &sent, &how).unwrap();
            assert_eq!(ingested.harmonised, harmonise, "{name} {kind:?}");
            assert_eq!(ingested.metrics.changed_outside, 0, "{name} {kind:?}");
            (name, ingested.metrics)
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (values[(n - 1) / 2] + values[n / 2]) / 2.0
}

#[test]
fn drifting_answers_on_photographs_meet_the_original_at_the_edge() {
    for kind in DRIFTING {
        let harmonised = ingest_all(kind, true);
        let fitted = ingest_all(kind, false);
        for ((name, h), (_, f)) in harmonised.iter().zip(&fitted) {
            eprintln!(
                "{kind:?} {name}: edge ΔE00 median raw {:.2}, fit {:.2}, harmonised {:.2} \
                 (p95 {:.2}); inside {:.2}",
                h.edge_delta_e_raw.unwrap(),
                f.edge_delta_e,
                h.edge_delta_e,
                h.edge_delta_e_p95,
                h.inside_delta_e
            );
            // Where only the colour drifts nothing may show; noise is a texture of its own
            // that can show against a clean, smooth surround (grain mismatch).
            if matches!(kind, Answer::Drift | Answer::DriftNewContent) {
                assert!(!h.visible_seam, "{kind:?} {name}: {h:?}");
            }
        }
        let edge = median(harmonised.iter().map(|(_, m)| m.edge_delta_e).collect());
        let fit = median(fitted.iter().map(|(_, m)| m.edge_delta_e).collect());
        let raw = median(
            harmonised
                .iter()
                .map(|(_, m)| m.edge_delta_e_raw.unwrap())
                .collect(),
        );
        eprintln!(
            "{kind:?}: median over the photographs: raw {raw:.2}, fit {fit:.2}, \
             harmonised {edge:.2}"
        );
        assert!(
            edge < fit,
            "{kind:?}: harmonising should beat the fit alone"
        );
        // The goal: within ΔE00 1 of the original's own step where only the colour drifts;
        // noise and a shifted scene add steps of their own that no blend should erase.
        let goal = match kind {
            Answer::Drift | Answer::DriftNewContent => 1.0,
            _ => VISIBLE_SEAM_DELTA_E,
        };
        assert!(edge <= goal, "{kind:?}: {edge:.2} > {goal}");
    }
}

#[test]
fn a_mismatched_patch_is_flagged() {
    for (name, m) in ingest_all(Answer::Mismatched, true) {
        eprintln!(
            "Mismatched {name}: edge ΔE00 median {:.2} (p95 {:.2})",
            m.edge_delta_e, m.edge_delta_e_p95
        );
        assert!(m.visible_seam, "{name}: {m:?}");
    }
}

#[test]
fn tiny_selections_fall_back_to_the_colour_fit() {
    let image = photo("rocket");
    let mut selection = GrayImage::new(192, 144);
    for (x, y) in [(90, 70), (91, 70), (90, 71)] {
        selection.put_pixel(x, y, Luma([255]));
    }
    let job = plan_edit(
        OPENAI,
        &capabilities(OPENAI),
        &image,
        &selection,
        &request("x"),
    )
    .unwrap();
    let sent = answer(Answer::Drift, &image, &selection, &job.plan, "rocket");
    let ingested = ingest_decoded(&image, &selection, &job.plan, &sent, &options()).unwrap();
    assert!(!ingested.harmonised && ingested.correction.is_some());
    assert!(!ingested.provenance.harmonised);
    assert_eq!(ingested.metrics.changed_outside, 0);
}
