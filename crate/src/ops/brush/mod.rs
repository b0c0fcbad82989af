//! Brush: paint or erase a selection with round dabs along a stroke.
//!
//! The dabs — placement along the stroke, the coverage profile with its
//! hardness — are [`crate::ops::dab`]'s, shared with the paint tools.
//! Painting moves a pixel towards 255 by `coverage × flow` of the remaining
//! distance, erasing towards 0; dabs build up within a stroke like
//! Photoshop's flow. Coverage and flow are 8-bit integers, so both backends
//! agree exactly.
//!
//! Only the dirty rectangle — the union of the dabs' bounds, clipped to the
//! canvas — is read or written, and it is returned so the caller can refresh
//! just that part. Stroke points may lie off the canvas (a stroke may pass
//! over the edge); dabs are clipped.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::Engine;
use crate::Result;
use image::GrayImage;

use crate::ops::dab::{check_range, DabShape, Dabs};
pub use crate::ops::dab::{DirtyRect, MAX_DABS, MAX_DIAMETER};

/// How the brush paints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrushOptions {
    /// Dab diameter in pixels, 1 to [`MAX_DIAMETER`].
    pub diameter: f32,
    /// Share of the radius painted at full strength, 0 to 1.
    pub hardness: f32,
    /// Distance between dabs as a fraction of the diameter, 0.01 to 10.
    pub spacing: f32,
    /// Strength of each dab, 0 to 1.
    pub flow: f32,
    /// Erase (towards 0) instead of paint (towards 255).
    pub erase: bool,
}

impl Default for BrushOptions {
    fn default() -> Self {
        BrushOptions {
            diameter: 40.0,
            hardness: 0.8,
            spacing: 0.25,
            flow: 1.0,
            erase: false,
        }
    }
}

/// Checks everything and places the dabs, before any pixel is touched.
fn plan(mask: &GrayImage, points: &[(f32, f32)], o: &BrushOptions) -> Result<cpu::Stroke> {
    check_range("diameter", o.diameter, 1.0, MAX_DIAMETER)?;
    check_range("hardness", o.hardness, 0.0, 1.0)?;
    check_range("spacing", o.spacing, 0.01, 10.0)?;
    check_range("flow", o.flow, 0.0, 1.0)?;
    let shape = DabShape {
        diameter: o.diameter,
        hardness: o.hardness,
        spacing: o.spacing,
    };
    Ok(cpu::Stroke {
        dabs: Dabs::place(mask.dimensions(), points, &shape)?,
        flow: (o.flow * 255.0 + 0.5) as u32,
        erase: o.erase,
    })
}

/// Paints a stroke into `mask` on the CPU; returns the dirty rectangle, or
/// `None` when the stroke misses the canvas. On error `mask` is unchanged.
pub fn paint_stroke_cpu(
    mask: &mut GrayImage,
    points: &[(f32, f32)],
    options: &BrushOptions,
) -> Result<Option<DirtyRect>> {
    let stroke = plan(mask, points, options)?;
    Ok(stroke
        .dabs
        .dirty
        .inspect(|&rect| cpu::paint(mask, &stroke, rect)))
}

/// Paints a stroke into `mask` on the engine's backend; see [`paint_stroke_cpu`].
pub async fn paint_stroke(
    engine: &Engine,
    mask: &mut GrayImage,
    points: &[(f32, f32)],
    options: &BrushOptions,
) -> Result<Option<DirtyRect>> {
    let stroke = plan(mask, points, options)?;
    let Some(rect) = stroke.dabs.dirty else {
        return Ok(None);
    };
    match engine.gpu().filter(|_| stroke.dabs.suits_gpu(rect)) {
        Some(gpu) => gpu::paint(gpu, mask, &stroke, rect, gpu.max_binding_bytes()).await?,
        None => cpu::paint(mask, &stroke, rect),
    }
    Ok(Some(rect))
}
