//! How visible the seam of an edit is, measured so that a correct removal is not penalised.
//!
//! **Edge continuity (the headline).** A seam is a colour step across the selection's edge that
//! the picture did not have. For every pair of 4-neighbours `p` (selected) and `q` (not
//! selected) along the edge, the step `ΔE00(result_p, result_q)` is compared with the
//! original's own step there, `ΔE00(original_p, original_q)`; the excess
//! `max(0, result step − original step)` is the seam at that pair. Where the edge is feathered,
//! `p` and `q` move apart along the pair's direction to the first fully replaced pixel inside
//! and the first untouched one outside, so a step spread over the feather is measured whole.
//! Only the excess counts: a step *weaker* than the original's is what removing an object that
//! crossed the edge looks like, not a seam. Where the original has no colour at `p` (an
//! outpaint's new area), its step is taken one pixel further out, between `q` and its
//! neighbour away from the edge. Reported as the median and the 95th percentile over the
//! pairs; a median below 1 is at the threshold of what an observer notices side by side.
//! A patch whose texture differs but whose tone matches (grey gravel pasted into grey grass)
//! adds little step and is not flagged: this measures colour continuity, not content.
//!
//! **Difference inside (secondary).** The median ΔE00 between the result and the original over
//! the pixels the edit may change. It says how much the edit changed, not whether it shows: a
//! good removal scores high here by design.

use image::{GrayImage, RgbaImage};
use serde::{Deserialize, Serialize};

use super::colour::{ciede2000, srgb_to_lab, Lab};
use crate::{Error, Result};

/// The edge continuity median above which a seam counts as visible (ΔE00 2 is a difference
/// most observers see side by side).
pub const VISIBLE_SEAM_DELTA_E: f64 = 2.0;

/// How visible an edit's seam is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeamMetrics {
    /// Median excess colour step across the selection's (feathered) edge over the original's
    /// own step, in ΔE00 (see the module docs): the headline figure.
    pub edge_delta_e: f64,
    /// The 95th percentile of the same excess.
    pub edge_delta_e_p95: f64,
    /// Neighbour pairs across the edge that were measured.
    pub edge_pairs: u64,
    /// The edge median for the answer composited as it came (no colour match, no
    /// harmonisation), to show what those bought; `None` where there is no such answer.
    pub edge_delta_e_raw: Option<f64>,
    /// Median ΔE00 between the result and the original inside the (feathered) selection.
    pub inside_delta_e: f64,
    /// Pixels that [`SeamMetrics::inside_delta_e`] is over.
    pub inside_pixels: u64,
    /// Pixels outside the feathered selection whose value changed; must be 0.
    pub changed_outside: u64,
    /// Whether the median edge step exceeds [`VISIBLE_SEAM_DELTA_E`]: the gate that flags an
    /// answer that does not fit its surroundings.
    pub visible_seam: bool,
}

/// How far the walk across a feathered edge goes, in pixels, each way.
const MAX_WALK: i64 = 256;

/// The edge continuity of `result` against `original` along the edge of `selected` (> 127)
/// where `coverage` (> 0) may have changed: `(median, 95th percentile, pairs)` of the excess
/// step (see the module docs).
pub fn edge_continuity(
    original: &RgbaImage,
    result: &RgbaImage,
    selected: &GrayImage,
    coverage: &GrayImage,
) -> Result<(f64, f64, u64)> {
    check_sizes(original, result, selected)?;
    check_sizes(original, result, coverage)?;
    let (w, h) = original.dimensions();
    let within = |x: i64, y: i64| x >= 0 && y >= 0 && x < i64::from(w) && y < i64::from(h);
    let at = |mask: &GrayImage, x: i64, y: i64| mask.get_pixel(x as u32, y as u32).0[0];
    let lab = |image: &RgbaImage, x: i64, y: i64| -> Option<Lab> {
        let p = image.get_pixel(x as u32, y as u32).0;
        (p[3] != 0).then(|| srgb_to_lab([p[0], p[1], p[2]]))
    };
    let mut excess = Vec::new();
    for y in 0..i64::from(h) {
        for x in 0..i64::from(w) {
            if at(selected, x, y) <= 127 {
                continue;
            }
            for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                if !within(x + dx, y + dy) || at(selected, x + dx, y + dy) > 127 {
                    continue;
                }
                // Across a feathered edge the step is spread over the band: walk in to the
                // first fully replaced pixel and out to the first untouched one.
                let (mut ix, mut iy) = (x, y);
                for _ in 0..MAX_WALK {
                    let (nx, ny) = (ix - dx, iy - dy);
                    if at(coverage, ix, iy) == 255 || !within(nx, ny) || at(selected, nx, ny) <= 127
                    {
                        break;
                    }
                    (ix, iy) = (nx, ny);
                }
                let (mut ox, mut oy) = (x + dx, y + dy);
                for _ in 0..MAX_WALK {
                    let (nx, ny) = (ox + dx, oy + dy);
                    if at(coverage, ox, oy) == 0 || !within(nx, ny) {
                        break;
                    }
                    (ox, oy) = (nx, ny);
                }
                let Some(outside) = lab(original, ox, oy) else {
                    continue;
                };
                let own_step = match lab(original, ix, iy) {
                    Some(inside) => ciede2000(inside, outside),
                    // No colour inside (an outpaint's new area): the picture's own step next
                    // to the edge, one pixel further out.
                    None => {
                        let (fx, fy) = (ox + dx, oy + dy);
                        let further = if within(fx, fy) {
                            lab(original, fx, fy)
                        } else {
                            None
                        };
                        let Some(further) = further else {
                            continue;
                        };
                        ciede2000(outside, further)
                    }
                };
                let (Some(r_in), Some(r_out)) = (lab(result, ix, iy), lab(result, ox, oy)) else {
                    continue;
                };
                excess.push((ciede2000(r_in, r_out) - own_step).max(0.0));
            }
        }
    }
    let pairs = excess.len() as u64;
    let (median, p95) = median_and_p95(&mut excess);
    Ok((median, p95, pairs))
}

/// Measures `result` against `original` for an edit of the pixels where `coverage` > 0, drawn
/// as `selected` (> 127: the selection before feathering, whose edge is measured).
pub fn seam_metrics(
    original: &RgbaImage,
    result: &RgbaImage,
    selected: &GrayImage,
    coverage: &GrayImage,
) -> Result<SeamMetrics> {
    check_sizes(original, result, coverage)?;
    let (edge_delta_e, edge_delta_e_p95, edge_pairs) =
        edge_continuity(original, result, selected, coverage)?;
    let mut inside = Vec::new();
    let mut changed_outside = 0u64;
    for (cov, (o, r)) in coverage
        .pixels()
        .zip(original.pixels().zip(result.pixels()))
    {
        if cov.0[0] == 0 {
            changed_outside += u64::from(o != r);
        } else if o.0[3] != 0 {
            inside.push(ciede2000(
                srgb_to_lab([o.0[0], o.0[1], o.0[2]]),
                srgb_to_lab([r.0[0], r.0[1], r.0[2]]),
            ));
        }
    }
    let inside_pixels = inside.len() as u64;
    Ok(SeamMetrics {
        edge_delta_e,
        edge_delta_e_p95,
        edge_pairs,
        edge_delta_e_raw: None,
        inside_delta_e: median_and_p95(&mut inside).0,
        inside_pixels,
        changed_outside,
        visible_seam: edge_delta_e > VISIBLE_SEAM_DELTA_E,
    })
}

fn check_sizes(original: &RgbaImage, result: &RgbaImage, mask: &GrayImage) -> Result<()> {
    if result.dimensions() != original.dimensions() || mask.dimensions() != original.dimensions() {
        return Err(Error::SizeMismatch(format!(
            "the original is {}×{}, the result {}×{} and the mask {}×{}",
            original.width(),
            original.height(),
            result.width(),
            result.height(),
            mask.width(),
            mask.height()
        )));
    }
    Ok(())
}

/// The median and the 95th percentile (nearest rank) of `values`; 0 when there are none.
fn median_and_p95(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let mid = n / 2;
    let median = if n % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    };
    let rank = (0.95 * n as f64).ceil() as usize;
    (median, values[rank.clamp(1, n) - 1])
}
