//! Content-aware fill: replaces the selected pixels with texture found
//! elsewhere in the image, offline, as Photoshop's Content-Aware Fill does.
//!
//! **Algorithm.** Multi-scale PatchMatch (Barnes et al., "PatchMatch: a
//! randomized correspondence algorithm for structural image editing", 2009)
//! with EM-style voting (Wexler, Shechtman & Irani, "Space-time completion of
//! video", 2007). The working window is reduced to a pyramid until the hole is
//! a few patches across; the coarsest hole starts as a smooth fill from its
//! edge. At each level, for every patch that overlaps the hole, PatchMatch
//! finds a similar patch lying wholly inside the sampling area (propagation
//! from scan-order neighbours, then random search in halving windows), and
//! each hole pixel becomes the mean of the colours those patches put on it,
//! weighted by how well each patch matched. A few such EM rounds run per
//! level; the field and the estimate are then carried to the next finer level.
//!
//! **Where sources come from.** Only from the sampling area, minus the hole:
//! a source patch must lie wholly inside it, so no fill pixel is copied from
//! outside it (tests check this on the returned field). By default the
//! sampling area is everything outside the hole within a context window (the
//! hole's bounding box grown by its longer side on every side, clipped to
//! the canvas), which keeps the cost proportional to the hole, not to the
//! photo; with an explicit sampling area the window is the box around the
//! hole and the area.
//!
//! **Determinism.** Every random draw is a hash of the seed, the level, the
//! pass and the pixel, so a seed always gives the same fill. Pixels outside
//! the hole (coverage 0) are returned bit-exact; a soft selection's partial
//! coverage is applied by the caller (the document's fill layer carries it
//! as alpha).
//!
//! **Backends.** `cpu.rs` is the reference. On the GPU (`gpu.rs`,
//! `fill.wgsl`) each level's PatchMatch passes and votes run as compute
//! dispatches, the propagation a jump flood instead of the CPU's scan order,
//! so the two backends draw different fields: the contract is the same
//! quality (tested on photographs), a deterministic result for a seed on
//! each backend, and pixels outside the hole bit-exact on both.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::Engine;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// The default patch side, in pixels.
pub const DEFAULT_PATCH: u32 = 7;
/// The smallest and largest patch sides (odd).
pub const MIN_PATCH: u32 = 3;
pub const MAX_PATCH: u32 = 21;

/// How the fill runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillOptions {
    /// Patch side in pixels: odd, [`MIN_PATCH`] to [`MAX_PATCH`].
    pub patch: u32,
    /// Seed of every random draw: the same seed gives the same fill.
    pub seed: u64,
    /// How far a source patch's colours may be adjusted to the hole's.
    pub color_adaptation: ColorAdaptation,
}

impl Default for FillOptions {
    fn default() -> Self {
        FillOptions {
            patch: DEFAULT_PATCH,
            seed: 0,
            color_adaptation: ColorAdaptation::Off,
        }
    }
}

/// Colour adaptation, as in Photoshop's Content-Aware Fill: a source patch
/// may be brightened or darkened and its contrast changed, per colour
/// channel, to match the patch it fills — so texture from a lit part of
/// the image can fill a shaded one. Each candidate is compared, and votes,
/// as `gain · colour + bias`, with the gain the ratio of the two patches'
/// standard deviations and the bias what then matches their means, each
/// clamped to the level's range (after the gain-and-bias search of Darabi
/// et al., "Image Melding", 2012). Alpha is never adapted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorAdaptation {
    /// Patches are copied as they are.
    #[default]
    Off,
    /// Gain 0.9–1.1, bias ±12 levels: a little exposure drift.
    Low,
    /// Gain 0.7–1.4, bias ±40 levels: texture across light and shade.
    High,
}

impl ColorAdaptation {
    /// Parses `off`, `low` or `high`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "off" => Ok(Self::Off),
            "low" => Ok(Self::Low),
            "high" => Ok(Self::High),
            other => Err(Error::param(
                "color-adaptation",
                format!("'{other}' is not one of: off, low, high"),
            )),
        }
    }

    /// The option's name, as [`ColorAdaptation::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Low => "low",
            Self::High => "high",
        }
    }

    /// The gain range and the largest bias (levels), or `None` when off.
    pub(crate) fn limits(self) -> Option<AdaptationLimits> {
        match self {
            Self::Off => None,
            Self::Low => Some(AdaptationLimits {
                gain: (0.9, 1.1),
                bias: 12.0,
            }),
            Self::High => Some(AdaptationLimits {
                gain: (0.7, 1.4),
                bias: 40.0,
            }),
        }
    }
}

/// The ranges a colour adaptation keeps gain and bias in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AdaptationLimits {
    pub gain: (f32, f32),
    pub bias: f32,
}

impl AdaptationLimits {
    /// The gain and bias that carry a source patch of colour `mean_s` and
    /// spread `std_s` to a target of `mean_t`, `std_t` (one channel), each
    /// clamped; `fill.wgsl`'s `transfer` mirrors it.
    #[inline(always)]
    pub(crate) fn transfer(&self, mean_s: f32, std_s: f32, mean_t: f32, std_t: f32) -> (f32, f32) {
        let gain = (std_t / std_s.max(1.0)).clamp(self.gain.0, self.gain.1);
        let bias = (mean_t - gain * mean_s).clamp(-self.bias, self.bias);
        (gain, bias)
    }
}

/// One entry of the final nearest-neighbour field: the patch centred at
/// `target` (canvas coordinates) was filled from the patch centred at
/// `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchSource {
    pub target: (u32, u32),
    pub source: (u32, u32),
}

/// A fill's result.
#[derive(Debug, Clone)]
pub struct Filled {
    /// The image with every hole pixel replaced; all others bit-exact.
    pub image: RgbaImage,
    /// The finest level's field, one entry per patch overlapping the hole:
    /// every fill pixel is a weighted mean of pixels of these source patches.
    pub sources: Vec<PatchSource>,
    /// The patch side the field refers to.
    pub patch: u32,
}

/// The canvas rectangle the fill works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The box of the pixels with coverage > 0, as (x0, y0, x1, y1) exclusive.
fn covered(mask: &GrayImage) -> Option<(u32, u32, u32, u32)> {
    let (x, y, w, h) = crate::ops::select::covered_box(mask)?;
    Some((x, y, x + w, y + h))
}

fn check_patch(patch: u32) -> Result<()> {
    if (MIN_PATCH..=MAX_PATCH).contains(&patch) && patch % 2 == 1 {
        Ok(())
    } else {
        Err(Error::param(
            "patch",
            format!("{patch} px is not an odd size from {MIN_PATCH} to {MAX_PATCH}"),
        ))
    }
}

fn check_size(name: &str, mask: &GrayImage, (width, height): (u32, u32)) -> Result<()> {
    if mask.dimensions() == (width, height) {
        Ok(())
    } else {
        Err(Error::SizeMismatch(format!(
            "the {name} is {}×{} but the image is {width}×{height}",
            mask.width(),
            mask.height(),
        )))
    }
}

/// Checks the inputs and chooses the working window (see the module docs):
/// the rectangle of a `size` image that a fill of `hole` reads and writes.
/// Filling that crop alone (the image, the hole and the sampling area
/// cropped alike) gives the same pixels there, since a crop to its window
/// is its own window and every random draw is keyed by a position within
/// the window: a caller holding a large image composes the window only.
pub(crate) fn working_window(
    size: (u32, u32),
    hole: &GrayImage,
    sample_area: Option<&GrayImage>,
    options: &FillOptions,
) -> Result<Window> {
    check_patch(options.patch)?;
    check_size("mask", hole, size)?;
    if let Some(area) = sample_area {
        check_size("sample area", area, size)?;
    }
    let (width, height) = size;
    let (hx0, hy0, hx1, hy1) =
        covered(hole).ok_or_else(|| Error::param("mask", "the selection to fill is empty"))?;
    let (x0, y0, x1, y1) = match sample_area {
        Some(area) => {
            let (sx0, sy0, sx1, sy1) = covered(area)
                .ok_or_else(|| Error::param("sample-area", "the sampling area is empty"))?;
            let grow = options.patch;
            (
                hx0.min(sx0).saturating_sub(grow),
                hy0.min(sy0).saturating_sub(grow),
                hx1.max(sx1).saturating_add(grow).min(width),
                hy1.max(sy1).saturating_add(grow).min(height),
            )
        }
        None => {
            let margin = (hx1 - hx0).max(hy1 - hy0).max(4 * options.patch);
            (
                hx0.saturating_sub(margin),
                hy0.saturating_sub(margin),
                hx1.saturating_add(margin).min(width),
                hy1.saturating_add(margin).min(height),
            )
        }
    };
    let window = Window {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    };
    if !has_source_patch(hole, sample_area, window, options.patch) {
        return Err(Error::param(
            "sample-area",
            format!(
                "no {p}×{p} patch fits inside the sampling area outside the selection",
                p = options.patch
            ),
        ));
    }
    Ok(window)
}

/// Whether some patch inside `window` is wholly sampleable.
fn has_source_patch(
    hole: &GrayImage,
    sample_area: Option<&GrayImage>,
    window: Window,
    patch: u32,
) -> bool {
    if window.width < patch || window.height < patch {
        return false;
    }
    // Per column, the run of sampleable pixels ending at the current row;
    // a patch fits where `patch` consecutive columns all have runs ≥ patch.
    let mut runs = vec![0u32; window.width as usize];
    for y in window.y..window.y + window.height {
        let mut wide = 0;
        for (i, run) in runs.iter_mut().enumerate() {
            let x = window.x + i as u32;
            let ok = hole.get_pixel(x, y).0[0] == 0
                && sample_area.is_none_or(|a| a.get_pixel(x, y).0[0] > 0);
            *run = if ok { *run + 1 } else { 0 };
            wide = if *run >= patch { wide + 1 } else { 0 };
            if wide >= patch {
                return true;
            }
        }
    }
    false
}

/// Fills the pixels of `image` where `hole` is > 0 from patches of
/// `sample_area` (> 0; `None`: everything outside the hole, near it), on the
/// CPU. Fails, changing nothing, on an empty hole, a bad patch size,
/// mismatched sizes or a sampling area with no room for a patch.
pub fn fill_cpu(
    image: &RgbaImage,
    hole: &GrayImage,
    sample_area: Option<&GrayImage>,
    options: &FillOptions,
) -> Result<Filled> {
    let window = working_window(image.dimensions(), hole, sample_area, options)?;
    Ok(cpu::fill(image, hole, sample_area, window, options))
}

/// Checks a fill's inputs as [`fill_cpu`] does, filling nothing: what a
/// caller runs before it pays for opening a GPU.
pub fn check(
    image: &RgbaImage,
    hole: &GrayImage,
    sample_area: Option<&GrayImage>,
    options: &FillOptions,
) -> Result<()> {
    working_window(image.dimensions(), hole, sample_area, options).map(drop)
}

/// [`fill_cpu`] on the engine's backend: each level's PatchMatch and votes
/// on the GPU when there is one (a level too large for the device's
/// bindings runs on the CPU).
pub async fn fill(
    engine: &Engine,
    image: &RgbaImage,
    hole: &GrayImage,
    sample_area: Option<&GrayImage>,
    options: &FillOptions,
) -> Result<Filled> {
    let window = working_window(image.dimensions(), hole, sample_area, options)?;
    let Some(gpu) = engine.gpu() else {
        return Ok(cpu::fill(image, hole, sample_area, window, options));
    };
    let mut pyramid = cpu::Pyramid::new(image, hole, sample_area, window, options);
    while let Some(mut stage) = pyramid.next_stage() {
        let level = pyramid.level_mut();
        if gpu::fits(gpu, level.pixels.len(), stage.field.adaptation.is_some()) {
            gpu::run(gpu, &mut stage, level).await?;
        } else {
            stage.run_cpu(level);
        }
        pyramid.finish_stage(stage);
    }
    Ok(pyramid.finish(image, options.patch))
}
