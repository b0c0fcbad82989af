//! Ingestion: a provider's answer becomes a new layer that changes only the selected pixels.
//!
//! No provider can be trusted with the pixels outside the selection (gpt-image models repaint
//! "protected" areas, Gemini takes no mask at all, every model drifts in colour and exposure).
//! So the answer is only ever a source of pixels *inside* the feathered selection:
//!
//! 1. decode it, whatever size the provider chose, and map it back onto the crop (Lanczos3);
//! 2. colour-match it to its surroundings: on a ring of pixels just **outside** the selection
//!    (past a small guard band)
//!    both the original and the answer exist, so the provider's drift is measured exactly
//!    where the patch must meet the original; a per-channel gain and offset (mean and standard
//!    deviation matching, in gamma-encoded RGB, where a model's exposure and white-balance
//!    drift is close to affine) is fitted there and applied to the patch;
//! 3. harmonise it in the gradient domain (on by default): the patch keeps its gradients and
//!    takes its values at the edge of the feathered selection from the original (a Poisson
//!    solve, [`crate::ops::poisson`]), so drift that varies across the frame — exposure fall-off,
//!    a white balance that shifts — vanishes at the seam, which one gain and offset cannot do.
//!    Selections under [`HARMONISE_MIN_PIXELS`] (or with no original pixel around them) keep
//!    the fit of step 2 alone;
//! 4. build the layer: the patch with alpha = the answer's alpha × the feathered
//!    coverage. Where coverage is 0 the layer is transparent, so compositing it leaves those
//!    pixels bit-exact, whatever the provider returned;
//! 5. measure the seam on the composite (see [`SeamMetrics`]).

use image::{imageops, GrayImage, Luma, RgbaImage};
use serde::{Deserialize, Serialize};

use super::plan::{
    edit_coverage, extended_crop, outpaint_coverage, outpaint_region, scale, CropRect, JobPlan,
};
use super::provenance::Provenance;
use super::seam::{edge_continuity, seam_metrics, SeamMetrics};
use crate::image_io;
use crate::ops::blend::{composite_cpu_in_place, CompositeOptions};
use crate::ops::morphology;
use crate::ops::poisson::{blend_cpu, PoissonOptions};
use crate::{Error, Result};

/// Width of the ring outside the selection that the colour match learns from, in pixels: wide
/// enough for stable statistics, narrow enough to stay local.
pub const MATCH_RING: u32 = 12;
/// Pixels right next to the edit region are left out of the match ring: providers repaint a
/// little beyond the mask they were given (and the mask was resampled on the way).
pub const MATCH_GUARD: u32 = 3;
/// Fewer ring pixels than this give no reliable statistics; the patch is then left as is.
const MIN_RING_PIXELS: usize = 16;
/// Bounds of the fitted gain, so a flat ring cannot blow the patch's contrast up.
const GAIN_RANGE: (f64, f64) = (0.5, 2.0);
/// Feathered selections with fewer pixels than this are not harmonised: the solve would
/// replace their few values by the surroundings' average, losing the answer's tone.
pub const HARMONISE_MIN_PIXELS: usize = 64;

/// The per-channel correction fitted on the ring: `out = gain · in + offset`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColourCorrection {
    pub gain: [f64; 3],
    pub offset: [f64; 3],
    pub ring_pixels: u64,
}

/// A provider's answer, ready to become a layer.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// Crop-sized RGBA, transparent outside the feathered selection.
    pub layer: RgbaImage,
    /// Where the layer's top-left corner sits on the canvas (the crop's corner).
    pub offset: (u32, u32),
    /// The layer's name: the prompt's first words.
    pub name: String,
    pub metrics: SeamMetrics,
    pub correction: Option<ColourCorrection>,
    /// Whether the patch was harmonised in the gradient domain.
    pub harmonised: bool,
    pub provenance: Provenance,
}

/// What ingestion needs besides the plan and the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngestOptions {
    /// Colour-match the patch to its surroundings (default on).
    #[serde(default = "yes")]
    pub colour_match: bool,
    /// Harmonise the patch in the gradient domain (default on): it keeps its gradients and
    /// takes its values at the selection's edge from the original.
    #[serde(default = "yes")]
    pub harmonise: bool,
    /// When the answer arrived (ISO 8601 from the host's clock; wasm has none of its own).
    pub created_at: String,
    /// Which variant this is, from 0.
    #[serde(default)]
    pub variant: u32,
    /// The seed the provider reported, if any.
    #[serde(default)]
    pub seed: Option<u64>,
}

fn yes() -> bool {
    true
}

/// Turns `answer` (PNG, JPEG, WebP, GIF or BMP bytes of any size) into a layer over `plan.crop` of
/// `image`, composited under `selection` feathered by `plan.feather`. `image` and `selection`
/// must be the ones the plan was made from.
pub fn ingest(
    image: &RgbaImage,
    selection: &GrayImage,
    plan: &JobPlan,
    answer: &[u8],
    options: &IngestOptions,
) -> Result<Ingested> {
    let patch = image_io::decode_rgba(answer)?;
    ingest_decoded(image, selection, plan, &patch, options)
}

/// [`ingest`] for an already decoded answer.
pub fn ingest_decoded(
    image: &RgbaImage,
    selection: &GrayImage,
    plan: &JobPlan,
    answer: &RgbaImage,
    options: &IngestOptions,
) -> Result<Ingested> {
    let crop = plan.crop;
    if image.dimensions() != (plan.canvas_width, plan.canvas_height)
        || selection.dimensions() != image.dimensions()
    {
        return Err(Error::SizeMismatch(format!(
            "the plan is for a {}×{} canvas; got a {}×{} image and a {}×{} selection",
            plan.canvas_width,
            plan.canvas_height,
            image.width(),
            image.height(),
            selection.width(),
            selection.height()
        )));
    }
    check_crop(crop, image.dimensions())?;
    let original = imageops::crop_imm(image, crop.x, crop.y, crop.width, crop.height).to_image();
    let coverage = edit_coverage(selection, crop, plan.feather)?;
    let selected =
        imageops::crop_imm(selection, crop.x, crop.y, crop.width, crop.height).to_image();
    finish(plan, &original, answer, &coverage, &selected, options)
}

/// Turns `answer` into the layer that fills the new area of an outpaint plan (see
/// [`super::plan_outpaint`]). `image` is the composite the plan was made from (the old canvas);
/// the layer's offset is on the **new** canvas, which the caller extends by the plan's sides
/// (`Document::extend_canvas_with_layer` does both in one undoable step).
pub fn ingest_outpaint(
    image: &RgbaImage,
    plan: &JobPlan,
    answer: &[u8],
    options: &IngestOptions,
) -> Result<Ingested> {
    let patch = image_io::decode_rgba(answer)?;
    ingest_outpaint_decoded(image, plan, &patch, options)
}

/// [`ingest_outpaint`] for an already decoded answer.
pub fn ingest_outpaint_decoded(
    image: &RgbaImage,
    plan: &JobPlan,
    answer: &RgbaImage,
    options: &IngestOptions,
) -> Result<Ingested> {
    let outpaint = plan
        .outpaint
        .as_ref()
        .ok_or_else(|| Error::param("plan", "is not an outpaint plan"))?;
    let crop = plan.crop;
    let canvas = outpaint.new_canvas()?;
    if image.dimensions() != (outpaint.old_width, outpaint.old_height)
        || canvas != (plan.canvas_width, plan.canvas_height)
    {
        return Err(Error::SizeMismatch(format!(
            "the plan extends a {}×{} canvas to {}×{}; got a {}×{} image",
            outpaint.old_width,
            outpaint.old_height,
            plan.canvas_width,
            plan.canvas_height,
            image.width(),
            image.height()
        )));
    }
    check_crop(crop, canvas)?;
    let original = extended_crop(image, outpaint, crop);
    let coverage = outpaint_coverage(outpaint, crop)?;
    let selected = outpaint_region(outpaint, crop);
    finish(plan, &original, answer, &coverage, &selected, options)
}

/// Refuses a crop (from a plan that came back from JS, so not trusted) that is empty or
/// does not lie inside a `canvas`-sized image; sums cannot overflow.
fn check_crop(crop: CropRect, canvas: (u32, u32)) -> Result<()> {
    let inside = |start: u32, size: u32, limit: u32| {
        size > 0 && start.checked_add(size).is_some_and(|end| end <= limit)
    };
    if !inside(crop.x, crop.width, canvas.0) || !inside(crop.y, crop.height, canvas.1) {
        return Err(Error::param("plan.crop", "lies outside the canvas"));
    }
    Ok(())
}

/// Maps the answer onto the crop, colour-matches and harmonises it, and builds the layer and
/// its metrics.
fn finish(
    plan: &JobPlan,
    original: &RgbaImage,
    answer: &RgbaImage,
    coverage: &GrayImage,
    selected: &GrayImage,
    options: &IngestOptions,
) -> Result<Ingested> {
    let crop = plan.crop;
    let patch = scale(answer, crop.width, crop.height);
    let correction = if options.colour_match {
        fit_correction(original, &patch, coverage)?
    } else {
        None
    };
    let matched = match &correction {
        Some(k) => corrected(&patch, k),
        None => patch.clone(),
    };
    let harmonised = if options.harmonise {
        harmonise(original, &matched, coverage)?
    } else {
        None
    };
    let layer = build_layer(harmonised.as_ref().unwrap_or(&matched), coverage);
    let metrics = measure(original, &patch, &layer, coverage, selected)?;
    let name = layer_name(&plan.prompt);
    Ok(Ingested {
        layer,
        offset: (crop.x, crop.y),
        name,
        metrics,
        correction,
        harmonised: harmonised.is_some(),
        provenance: Provenance::new(
            plan,
            &options.created_at,
            options.seed,
            options.variant,
            correction.is_some(),
            harmonised.is_some(),
        ),
    })
}

/// 255 where `mask` is above `threshold`, else 0.
fn binary(mask: &GrayImage, threshold: u8) -> GrayImage {
    GrayImage::from_fn(mask.width(), mask.height(), |x, y| {
        Luma([if mask.get_pixel(x, y).0[0] > threshold {
            255
        } else {
            0
        }])
    })
}

/// Fits the per-channel gain and offset that map the answer's ring statistics onto the
/// original's; `None` when the ring is too thin to trust.
fn fit_correction(
    original: &RgbaImage,
    patch: &RgbaImage,
    coverage: &GrayImage,
) -> Result<Option<ColourCorrection>> {
    let inside = binary(coverage, 0);
    let guard = morphology::grow_cpu(&inside, MATCH_GUARD)?;
    let grown = morphology::grow_cpu(&inside, MATCH_GUARD + MATCH_RING)?;
    let mut sums = [[0f64; 4]; 3]; // per channel: Σo, Σo², Σp, Σp²
    let mut count = 0usize;
    for ((g, i), (o, p)) in grown
        .pixels()
        .zip(guard.pixels())
        .zip(original.pixels().zip(patch.pixels()))
    {
        if g.0[0] == 0 || i.0[0] != 0 {
            continue;
        }
        count += 1;
        for (sum, (&ov, &pv)) in sums.iter_mut().zip(o.0.iter().zip(&p.0)) {
            let (ov, pv) = (f64::from(ov), f64::from(pv));
            sum[0] += ov;
            sum[1] += ov * ov;
            sum[2] += pv;
            sum[3] += pv * pv;
        }
    }
    if count < MIN_RING_PIXELS {
        return Ok(None);
    }
    let n = count as f64;
    let mut gain = [1.0; 3];
    let mut offset = [0.0; 3];
    for c in 0..3 {
        let mean_o = sums[c][0] / n;
        let mean_p = sums[c][2] / n;
        let sd_o = (sums[c][1] / n - mean_o * mean_o).max(0.0).sqrt();
        let sd_p = (sums[c][3] / n - mean_p * mean_p).max(0.0).sqrt();
        // A flat ring says nothing about contrast: match the mean only.
        gain[c] = if sd_p > 1.0 && sd_o > 1.0 {
            (sd_o / sd_p).clamp(GAIN_RANGE.0, GAIN_RANGE.1)
        } else {
            1.0
        };
        offset[c] = mean_o - gain[c] * mean_p;
    }
    Ok(Some(ColourCorrection {
        gain,
        offset,
        ring_pixels: count as u64,
    }))
}

/// `patch` under the fitted correction (alpha untouched).
fn corrected(patch: &RgbaImage, correction: &ColourCorrection) -> RgbaImage {
    let mut out = patch.clone();
    for px in out.pixels_mut() {
        for ((value, gain), offset) in px.0.iter_mut().zip(correction.gain).zip(correction.offset) {
            *value = (gain * f64::from(*value) + offset)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// `patch` blended into `original` in the gradient domain over the feathered selection (and
/// wherever either has no colour, so a transparent pixel never serves as a boundary value);
/// `None` when the selection is too small or nothing of the original surrounds it.
fn harmonise(
    original: &RgbaImage,
    patch: &RgbaImage,
    coverage: &GrayImage,
) -> Result<Option<RgbaImage>> {
    let region = GrayImage::from_fn(coverage.width(), coverage.height(), |x, y| {
        let colourless = original.get_pixel(x, y).0[3] == 0 || patch.get_pixel(x, y).0[3] == 0;
        image::Luma([if coverage.get_pixel(x, y).0[0] > 0 || colourless {
            255
        } else {
            0
        }])
    });
    let selected = coverage.pixels().filter(|c| c.0[0] > 0).count();
    let boundary = region.pixels().any(|r| r.0[0] == 0);
    if selected < HARMONISE_MIN_PIXELS || !boundary {
        return Ok(None);
    }
    let blended = blend_cpu(original, patch, &region, &PoissonOptions::default())?;
    // The solve keeps the original's alpha; the layer needs the answer's.
    Ok(Some(RgbaImage::from_fn(
        patch.width(),
        patch.height(),
        |x, y| {
            let mut px = *blended.get_pixel(x, y);
            px.0[3] = patch.get_pixel(x, y).0[3];
            px
        },
    )))
}

/// The layer: the patch, alpha = answer alpha × coverage.
fn build_layer(patch: &RgbaImage, coverage: &GrayImage) -> RgbaImage {
    RgbaImage::from_fn(patch.width(), patch.height(), |x, y| {
        let mut px = patch.get_pixel(x, y).0;
        let cov = u32::from(coverage.get_pixel(x, y).0[0]);
        px[3] = ((u32::from(px[3]) * cov + 127) / 255) as u8;
        if px[3] == 0 {
            px = [0; 4];
        }
        image::Rgba(px)
    })
}

/// Composites `layer` over the original crop with the blend kernel the document uses and
/// measures the seam along the edge of `selected` (the unfeathered selection), the difference
/// inside the feathered `coverage` and the pixels that changed outside it; the raw figure
/// composites the answer as it came.
fn measure(
    original: &RgbaImage,
    patch: &RgbaImage,
    layer: &RgbaImage,
    coverage: &GrayImage,
    selected: &GrayImage,
) -> Result<SeamMetrics> {
    let composite = |layer: &RgbaImage| -> Result<RgbaImage> {
        let mut out = original.clone();
        composite_cpu_in_place(&mut out, layer, None, &CompositeOptions::default())?;
        Ok(out)
    };
    let mut metrics = seam_metrics(original, &composite(layer)?, selected, coverage)?;
    let raw = composite(&build_layer(patch, coverage))?;
    metrics.edge_delta_e_raw = Some(edge_continuity(original, &raw, selected, coverage)?.0);
    Ok(metrics)
}

/// The layer is named after the prompt, as a retoucher would name it: its first line, cut at
/// a word boundary.
fn layer_name(prompt: &str) -> String {
    const MAX: usize = 40;
    let line = prompt.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return "Generated fill".to_owned();
    }
    if line.chars().count() <= MAX {
        return line.to_owned();
    }
    let cut: String = line.chars().take(MAX).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}
