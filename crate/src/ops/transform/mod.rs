//! Free transform: renders an RGBA8 image (straight alpha) under an affine
//! map — move, scale, rotate, skew — into a rectangle of the destination
//! (the canvas), as Photoshop's Ctrl+T does to a layer.
//!
//! **Sampling.** Destination pixel `(X, Y)` shows the source at
//! `M⁻¹(X + ½, Y + ½) − ½` (pixel centres map to pixel centres), read with
//! the bicubic of Keys (a = −0.5, Catmull–Rom) over a 4×4 neighbourhood of
//! premultiplied colours. Source pixels outside the image are transparent,
//! so the transformed edges come out anti-aliased; a destination pixel whose
//! 16 taps all miss the image is `(0, 0, 0, 0)`. Colour is divided back by
//! the interpolated alpha and everything is rounded to the nearest level and
//! clamped (the bicubic rings by up to ~7 % at hard edges). At integer
//! offsets the weights are exactly (0, 1, 0, 0), so moves by whole pixels
//! and turns by multiples of 90° are bit-exact copies.
//!
//! **Scale.** A 4×4 bicubic only filters properly between about half and
//! double size. Where the map shrinks an axis below ½, the source is first
//! resized by that axis' factor with Lanczos3 ([`crate::ops::resample`]), so
//! the residual warp stays near unit scale and fine detail does not alias.
//! With [`Resampler::Edge`], enlargements go through the edge-adaptive
//! upscaler the same way and the bicubic only does the rest of the map
//! (rotation, skew, the fraction of the scale).
//!
//! **Backends.** The destination is cut into tiles; for each, the source
//! coordinate of its first pixel and the steps per pixel along x and y are
//! computed once in f64 and both backends then evaluate the same f32
//! formula (cpu.rs and transform.wgsl mirror each other), so they agree
//! within ±1. Each GPU tile uploads only the part of the source its taps
//! reach.

mod cpu;
pub mod float;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::{tiling, Engine};
use crate::image_io::MAX_SIDE;
use crate::ops::resample::{self, Filter, ResizeOptions};
use crate::{Error, Result};
use image::RgbaImage;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Destination tiles are at most this many pixels on a side.
const TILE: u32 = 512;
/// Below this scale along an axis, the source is resized first (see the module docs).
const MIN_DIRECT_SCALE: f64 = 0.5;
/// The edge upscaler's pre-pass never makes the source larger than this (pixels).
const MAX_PRESCALED_PIXELS: f64 = 64.0 * 1024.0 * 1024.0;
/// The largest enlargement a transform may ask for along an axis.
pub const MAX_SCALE: f64 = 64.0;
/// The smallest |determinant|: a map that squashes a layer flatter than this
/// is refused rather than producing an empty layer.
pub const MIN_AREA_SCALE: f64 = 1e-4;

/// An affine map from source pixel coordinates (continuous; the source's
/// top-left corner is (0, 0)) to destination coordinates, in the order of
/// SVG's and the canvas API's `matrix(a, b, c, d, e, f)`:
/// `x' = a·x + c·y + e`, `y' = b·x + d·y + f`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
    pub e: f64,
    pub f: f64,
}

impl Affine {
    pub const IDENTITY: Affine = Affine::new(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);

    pub const fn new(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64) -> Affine {
        Affine { a, b, c, d, e, f }
    }

    pub const fn translate(x: f64, y: f64) -> Affine {
        Affine::new(1.0, 0.0, 0.0, 1.0, x, y)
    }

    pub const fn scale(x: f64, y: f64) -> Affine {
        Affine::new(x, 0.0, 0.0, y, 0.0, 0.0)
    }

    /// Clockwise on screen (y points down) by `degrees` about the origin.
    /// Quarter turns are exact (no 6e-17 residue), so they copy pixels.
    pub fn rotate_degrees(degrees: f64) -> Affine {
        let quarter = degrees / 90.0;
        let (sin, cos) = if quarter == quarter.round() {
            [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, 0.0)][quarter.rem_euclid(4.0) as usize]
        } else {
            degrees.to_radians().sin_cos()
        };
        Affine::new(cos, sin, -sin, cos, 0.0, 0.0)
    }

    /// `self` applied after `first`.
    pub fn after(&self, first: &Affine) -> Affine {
        Affine::new(
            self.a * first.a + self.c * first.b,
            self.b * first.a + self.d * first.b,
            self.a * first.c + self.c * first.d,
            self.b * first.c + self.d * first.d,
            self.a * first.e + self.c * first.f + self.e,
            self.b * first.e + self.d * first.f + self.f,
        )
    }

    pub fn apply(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            self.a * x + self.c * y + self.e,
            self.b * x + self.d * y + self.f,
        )
    }

    pub fn determinant(&self) -> f64 {
        self.a * self.d - self.b * self.c
    }

    /// The inverse map; `None` when the map is singular.
    pub fn inverse(&self) -> Option<Affine> {
        let det = self.determinant();
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let (a, b, c, d) = (self.d / det, -self.b / det, -self.c / det, self.a / det);
        Some(Affine::new(
            a,
            b,
            c,
            d,
            -(a * self.e + c * self.f),
            -(b * self.e + d * self.f),
        ))
    }

    /// How much the map stretches the source's x and y axes.
    pub fn axis_scales(&self) -> (f64, f64) {
        (self.a.hypot(self.b), self.c.hypot(self.d))
    }

    /// The smallest box with integer corners holding the image of a
    /// `width`×`height` source: (left, top, right, bottom).
    pub fn bounds_of(&self, width: u32, height: u32) -> (f64, f64, f64, f64) {
        let (w, h) = (f64::from(width), f64::from(height));
        let corners = [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)].map(|p| self.apply(p));
        let fold = |pick: fn(&(f64, f64)) -> f64, better: fn(f64, f64) -> f64| {
            corners
                .iter()
                .map(pick)
                .reduce(better)
                .expect("four corners")
        };
        (
            fold(|p| p.0, f64::min).floor(),
            fold(|p| p.1, f64::min).floor(),
            fold(|p| p.0, f64::max).ceil(),
            fold(|p| p.1, f64::max).ceil(),
        )
    }

    /// Refuses maps that are not finite, flatten the image, or enlarge it
    /// past [`MAX_SCALE`], naming the problem.
    pub fn validate(&self) -> Result<()> {
        let values = [self.a, self.b, self.c, self.d, self.e, self.f];
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::param(
                "matrix",
                "every entry must be a finite number",
            ));
        }
        if values[4..].iter().any(|v| v.abs() > 1e9) {
            return Err(Error::param("matrix", "the translation is out of range"));
        }
        if self.determinant().abs() < MIN_AREA_SCALE {
            return Err(Error::param(
                "matrix",
                "the transform squashes the layer flat (its scale is too close to 0)",
            ));
        }
        let (sx, sy) = self.axis_scales();
        if sx > MAX_SCALE || sy > MAX_SCALE {
            return Err(Error::param(
                "matrix",
                format!("the transform enlarges more than {MAX_SCALE}×"),
            ));
        }
        Ok(())
    }
}

/// The resampler of a transform (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resampler {
    /// Bicubic (Catmull–Rom), with a Lanczos3 pre-pass for strong reductions.
    #[default]
    Bicubic,
    /// As bicubic, but enlargements first go through the edge-adaptive upscaler.
    Edge,
}

impl Resampler {
    pub fn parse(name: &str) -> Result<Resampler> {
        match name {
            "bicubic" => Ok(Resampler::Bicubic),
            "edge" => Ok(Resampler::Edge),
            other => Err(Error::param(
                "resampler",
                format!("'{other}' is not one of: bicubic, edge"),
            )),
        }
    }
}

/// The destination rectangle a warp fills: its top-left pixel and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// Where one destination tile samples the source: the source coordinate
/// (already less ½, see the module docs) of the tile's first pixel, and how
/// it moves per pixel along x and along y. Both backends evaluate
/// `origin + i·step_x + j·step_y` in f32 from these values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TileSampling {
    pub origin: [f32; 2],
    pub step_x: [f32; 2],
    pub step_y: [f32; 2],
}

impl TileSampling {
    /// The sampling of the destination pixel at canvas `(x, y)` under `to_source`.
    pub fn at(to_source: &Affine, x: i32, y: i32) -> TileSampling {
        let (sx, sy) = to_source.apply((f64::from(x) + 0.5, f64::from(y) + 0.5));
        TileSampling {
            origin: [(sx - 0.5) as f32, (sy - 0.5) as f32],
            step_x: [to_source.a as f32, to_source.b as f32],
            step_y: [to_source.c as f32, to_source.d as f32],
        }
    }

    /// The source pixels whose taps a `width`×`height` tile reads,
    /// (left, top, right, bottom) exclusive, unclipped.
    pub fn footprint(&self, width: u32, height: u32) -> (i64, i64, i64, i64) {
        let corner = |i: f32, j: f32| {
            (
                self.origin[0] + i * self.step_x[0] + j * self.step_y[0],
                self.origin[1] + i * self.step_x[1] + j * self.step_y[1],
            )
        };
        let (w, h) = (
            width.saturating_sub(1) as f32,
            height.saturating_sub(1) as f32,
        );
        let corners = [
            corner(0.0, 0.0),
            corner(w, 0.0),
            corner(0.0, h),
            corner(w, h),
        ];
        let min_x = corners.iter().map(|p| p.0).fold(f32::INFINITY, f32::min);
        let min_y = corners.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
        let max_x = corners
            .iter()
            .map(|p| p.0)
            .fold(f32::NEG_INFINITY, f32::max);
        let max_y = corners
            .iter()
            .map(|p| p.1)
            .fold(f32::NEG_INFINITY, f32::max);
        // Taps reach one pixel left of floor(u) and two to its right; one
        // more on each side covers f32 rounding of the corners.
        (
            min_x.floor() as i64 - 2,
            min_y.floor() as i64 - 2,
            max_x.floor() as i64 + 4,
            max_y.floor() as i64 + 4,
        )
    }
}

/// The destination tiles of `area`, at most `tile` pixels on a side, as areas.
pub(crate) fn tiles(area: Area, tile: u32) -> impl Iterator<Item = Area> {
    tiling::tiles(area.width, area.height, tile).map(move |(xs, ys)| Area {
        x: area.x + xs.start as i32,
        y: area.y + ys.start as i32,
        width: xs.len() as u32,
        height: ys.len() as u32,
    })
}

/// `source` under `to_dest`, over the destination `area`, with `resampler`
/// (see the module docs), on the engine's backend.
pub async fn transform(
    engine: &Engine,
    source: &RgbaImage,
    to_dest: &Affine,
    area: Area,
    resampler: Resampler,
) -> Result<RgbaImage> {
    to_dest.validate()?;
    let (prepared, to_dest) = prescale(engine, source, to_dest, resampler).await?;
    warp(engine, &prepared, &to_dest, area).await
}

/// The bicubic warp alone, with no pre-pass: what both backends compute.
pub async fn warp(
    engine: &Engine,
    source: &RgbaImage,
    to_dest: &Affine,
    area: Area,
) -> Result<RgbaImage> {
    to_dest.validate()?;
    match engine.gpu() {
        Some(gpu) => gpu::warp(gpu, source, to_dest, area, TILE, gpu.max_binding_bytes()).await,
        None => Ok(cpu::warp_cpu(source, to_dest, area)),
    }
}

/// Resizes `source` before the warp where the map shrinks an axis below ½
/// (Lanczos3) or, with the edge resampler, enlarges it (edge upscaler).
/// Returns the image to warp (the source itself when no pre-pass is needed:
/// a layer is not copied for nothing) and the map from it to the destination.
async fn prescale<'a>(
    engine: &Engine,
    source: &'a RgbaImage,
    to_dest: &Affine,
    resampler: Resampler,
) -> Result<(Cow<'a, RgbaImage>, Affine)> {
    let (sx, sy) = to_dest.axis_scales();
    let shrinks = sx < MIN_DIRECT_SCALE || sy < MIN_DIRECT_SCALE;
    let enlarges = resampler == Resampler::Edge && sx > 1.0 && sy > 1.0;
    if !shrinks && !enlarges {
        return Ok((Cow::Borrowed(source), *to_dest));
    }
    let (w, h) = (f64::from(source.width()), f64::from(source.height()));
    let (mut fx, mut fy) = if enlarges {
        (sx, sy)
    } else {
        (sx.min(1.0), sy.min(1.0))
    };
    let growth = (w * fx * h * fy / MAX_PRESCALED_PIXELS).max(1.0).sqrt();
    fx /= growth;
    fy /= growth;
    let width = (w * fx).round().clamp(1.0, f64::from(MAX_SIDE)) as u32;
    let height = (h * fy).round().clamp(1.0, f64::from(MAX_SIDE)) as u32;
    let upscaler_refuses = enlarges && (width < source.width() || height < source.height());
    if (width, height) == source.dimensions() || upscaler_refuses {
        return Ok((Cow::Borrowed(source), *to_dest));
    }
    let options = ResizeOptions {
        filter: if enlarges {
            Filter::Edge
        } else {
            Filter::Lanczos3
        },
        ..ResizeOptions::new(width, height)
    };
    let resized = resample::resize(engine, source, &options).await?;
    let back = Affine::scale(w / f64::from(width), h / f64::from(height));
    Ok((Cow::Owned(resized), to_dest.after(&back)))
}
