//! Brush: paint or erase a selection with round dabs along a stroke.
//!
//! Dabs are placed at the stroke's first point and then every
//! `spacing × diameter` pixels along the polyline through its points (at least
//! every half pixel). A dab covers `a(r)` of a pixel whose centre is `r` from
//! the dab's centre: 1 out to `hardness × R` (R = diameter / 2, and at most
//! `R − 1`, so even a hard brush has a one-pixel anti-aliased rim), then a
//! smoothstep down to 0 at R. Painting moves a pixel towards 255 by
//! `a × flow` of the remaining distance, erasing towards 0; dabs build up
//! within a stroke like Photoshop's flow. Coverage and flow are quantised to
//! 8 bits and applied in integers so that both backends agree.
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
use crate::{Error, Result};
use image::GrayImage;

/// The largest brush diameter, in pixels.
pub const MAX_DIAMETER: f32 = 5000.0;
/// The most dabs one stroke may place.
pub const MAX_DABS: usize = 1_000_000;

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

/// The part of the mask a stroke changed, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirtyRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

fn check_range(name: &str, value: f32, low: f32, high: f32) -> Result<()> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("{value} is outside {low} to {high}"),
        ))
    }
}

/// Checks everything and places the dabs, before any pixel is touched.
fn plan(mask: &GrayImage, points: &[(f32, f32)], o: &BrushOptions) -> Result<cpu::Stroke> {
    check_range("diameter", o.diameter, 1.0, MAX_DIAMETER)?;
    check_range("hardness", o.hardness, 0.0, 1.0)?;
    check_range("spacing", o.spacing, 0.01, 10.0)?;
    check_range("flow", o.flow, 0.0, 1.0)?;
    if points.is_empty() {
        return Err(Error::param("points", "a stroke needs at least one point"));
    }
    if let Some((x, y)) = points
        .iter()
        .find(|(x, y)| !x.is_finite() || !y.is_finite())
    {
        return Err(Error::param(
            "points",
            format!("({x}, {y}) is not a finite point"),
        ));
    }
    cpu::Stroke::new(mask.dimensions(), points, o)
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
    let Some(rect) = stroke.dirty else {
        return Ok(None);
    };
    match engine.gpu() {
        Some(gpu) => gpu::paint(gpu, mask, &stroke, rect, gpu.max_binding_bytes()).await?,
        None => cpu::paint(mask, &stroke, rect),
    }
    Ok(Some(rect))
}
