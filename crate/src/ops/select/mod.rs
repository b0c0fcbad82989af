//! Selection shapes and how they combine with the current selection.
//!
//! A selection is a mask ([`GrayImage`]): 8-bit coverage the size of the
//! document, 0 = not selected, 255 = fully selected, anything between is a
//! partially selected (anti-aliased or feathered) pixel.
//!
//! Shapes are given in document pixel coordinates where pixel `(x, y)` spans
//! the square `[x, x+1) × [y, y+1)`; their coverage is the fraction of that
//! square the shape covers. Shapes may extend past the canvas and are clipped
//! to it, as a marquee or lasso dragged past the edge is in every editor; only
//! non-finite coordinates are rejected.
//!
//! Shapes are cheap scanline work with no neighbourhood, so they have no GPU
//! version: uploading the mask would cost more than drawing it.

mod cpu;
#[cfg(test)]
mod tests;

use crate::image_io::{MAX_PIXELS, MAX_SIDE};
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// An axis-aligned rectangle in document pixels (may reach past the canvas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    /// The rectangle a marquee drag from `anchor` to `to` spans. With a fixed
    /// `ratio` (width / height) the rectangle keeps that ratio, grows from the
    /// anchor towards the pointer, and is as large as the drag allows on its
    /// longer side — the way marquee tools constrain a drag.
    pub fn from_drag(anchor: (f32, f32), to: (f32, f32), ratio: Option<f32>) -> Result<Rect> {
        check_point("anchor", anchor)?;
        check_point("to", to)?;
        let (dx, dy) = (to.0 - anchor.0, to.1 - anchor.1);
        let (width, height) = match ratio {
            None => (dx.abs(), dy.abs()),
            Some(r) if r.is_finite() && r > 0.0 => {
                let width = dx.abs().max(dy.abs() * r);
                (width, width / r)
            }
            Some(r) => {
                return Err(Error::param(
                    "ratio",
                    format!("{r} is not a positive width/height ratio"),
                ))
            }
        };
        Ok(Rect {
            x: if dx < 0.0 { anchor.0 - width } else { anchor.0 },
            y: if dy < 0.0 {
                anchor.1 - height
            } else {
                anchor.1
            },
            width,
            height,
        })
    }

    fn check(&self) -> Result<()> {
        check_point("rect", (self.x, self.y))?;
        for (name, value) in [("width", self.width), ("height", self.height)] {
            if !value.is_finite() || value < 0.0 {
                return Err(Error::param(
                    "rect",
                    format!("{name} {value} is not a finite size ≥ 0"),
                ));
            }
        }
        Ok(())
    }
}

/// How a new shape changes the current selection (Photoshop's four modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CombineMode {
    /// The shape becomes the selection.
    #[default]
    Replace,
    /// Union: `max(selection, shape)`.
    Add,
    /// Difference: `min(selection, 255 − shape)`.
    Subtract,
    /// Intersection: `min(selection, shape)`.
    Intersect,
}

impl CombineMode {
    /// Every mode with its CLI and manifest name.
    pub const NAMES: [(&'static str, CombineMode); 4] = [
        ("replace", CombineMode::Replace),
        ("add", CombineMode::Add),
        ("subtract", CombineMode::Subtract),
        ("intersect", CombineMode::Intersect),
    ];

    /// Parses `replace`, `add`, `subtract` or `intersect`.
    pub fn from_name(name: &str) -> Result<CombineMode> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, mode)| *mode)
            .ok_or_else(|| {
                Error::param(
                    "mode",
                    format!("'{name}' is not one of: replace, add, subtract, intersect"),
                )
            })
    }
}

/// Checks that a canvas of `width`×`height` can be allocated as a mask.
pub fn check_canvas(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::param(
            "size",
            format!("the canvas is empty ({width}×{height})"),
        ));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Error::TooLarge(format!(
            "{width}×{height} exceeds the limit of {MAX_SIDE} px per side and {} MP",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

/// Fails with [`Error::SizeMismatch`] unless both masks have the same size.
pub fn check_same_size(what: &str, mask: &GrayImage, expected: (u32, u32)) -> Result<()> {
    if mask.dimensions() == expected {
        return Ok(());
    }
    Err(Error::SizeMismatch(format!(
        "the {what} is {}×{} but the canvas is {}×{}",
        mask.width(),
        mask.height(),
        expected.0,
        expected.1
    )))
}

fn check_point(name: &str, (x, y): (f32, f32)) -> Result<()> {
    if x.is_finite() && y.is_finite() {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("({x}, {y}) is not a finite point"),
        ))
    }
}

/// Everything selected.
pub fn select_all(width: u32, height: u32) -> Result<GrayImage> {
    check_canvas(width, height)?;
    Ok(GrayImage::from_pixel(width, height, image::Luma([255])))
}

/// Nothing selected.
pub fn deselect(width: u32, height: u32) -> Result<GrayImage> {
    check_canvas(width, height)?;
    Ok(GrayImage::new(width, height))
}

/// A selection from a layer's alpha (Photoshop's "select layer pixels"): the
/// layer's alpha channel placed at `offset` on a `width`×`height` canvas;
/// the canvas outside the layer is unselected.
pub fn from_alpha(
    width: u32,
    height: u32,
    layer: &RgbaImage,
    offset: (i32, i32),
) -> Result<GrayImage> {
    check_canvas(width, height)?;
    let mut mask = GrayImage::new(width, height);
    for (x, y, pixel) in layer.enumerate_pixels() {
        let (cx, cy) = (
            i64::from(x) + i64::from(offset.0),
            i64::from(y) + i64::from(offset.1),
        );
        if (0..i64::from(width)).contains(&cx) && (0..i64::from(height)).contains(&cy) {
            mask.put_pixel(cx as u32, cy as u32, image::Luma([pixel.0[3]]));
        }
    }
    Ok(mask)
}

/// The box `(x, y, width, height)` around every pixel with coverage above 0,
/// `None` when nothing is covered: what "the selection's bounding box" means
/// for the tools that act on a rectangle (provider crops, region upscale).
pub fn covered_box(mask: &GrayImage) -> Option<(u32, u32, u32, u32)> {
    let width = mask.width() as usize;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (y, row) in mask.as_raw().chunks_exact(width.max(1)).enumerate() {
        let Some(first) = row.iter().position(|&v| v > 0) else {
            continue;
        };
        let last = row.iter().rposition(|&v| v > 0).unwrap_or(first);
        x0 = x0.min(first);
        x1 = x1.max(last + 1);
        y0 = y0.min(y);
        y1 = y + 1;
    }
    (x0 < x1 && y0 < y1).then(|| (x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32))
}

/// The selection's edge, what marching ants trace: 255 on every selected
/// pixel (coverage ≥ 128, the 50 % line Photoshop draws) that touches an
/// unselected one across a side, or the canvas border; 0 elsewhere.
pub fn outline(mask: &GrayImage) -> GrayImage {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let raw = mask.as_raw();
    let selected = |x: usize, y: usize| raw[y * width + x] >= 128;
    let mut edge = vec![0u8; raw.len()];
    for y in 0..height {
        for x in 0..width {
            if !selected(x, y) {
                continue;
            }
            let border = x == 0 || y == 0 || x + 1 == width || y + 1 == height;
            if border
                || !selected(x - 1, y)
                || !selected(x + 1, y)
                || !selected(x, y - 1)
                || !selected(x, y + 1)
            {
                edge[y * width + x] = 255;
            }
        }
    }
    GrayImage::from_raw(mask.width(), mask.height(), edge).expect("the edge has the mask's size")
}

/// Inverts the selection in place: coverage `c` becomes `255 − c`.
pub fn invert(mask: &mut GrayImage) {
    for value in mask.iter_mut() {
        *value = 255 - *value;
    }
}

/// Combines `shape` into `selection` with `mode`. Fails, changing nothing,
/// when the sizes differ.
pub fn combine(selection: &mut GrayImage, shape: &GrayImage, mode: CombineMode) -> Result<()> {
    check_same_size("shape", shape, selection.dimensions())?;
    let pairs = selection.iter_mut().zip(shape.iter());
    match mode {
        CombineMode::Replace => selection.copy_from_slice(shape),
        CombineMode::Add => pairs.for_each(|(s, &n)| *s = (*s).max(n)),
        CombineMode::Subtract => pairs.for_each(|(s, &n)| *s = (*s).min(255 - n)),
        CombineMode::Intersect => pairs.for_each(|(s, &n)| *s = (*s).min(n)),
    }
    Ok(())
}

/// A rectangular marquee on a `width`×`height` canvas, with exact
/// anti-aliasing: each pixel's coverage is the area of the pixel inside `rect`.
pub fn rectangle(width: u32, height: u32, rect: Rect) -> Result<GrayImage> {
    check_canvas(width, height)?;
    rect.check()?;
    Ok(cpu::rectangle(width, height, rect))
}

/// An elliptical marquee inscribed in `rect`, anti-aliased (see
/// [`polygon`] for how coverage is measured).
pub fn ellipse(width: u32, height: u32, rect: Rect) -> Result<GrayImage> {
    check_canvas(width, height)?;
    rect.check()?;
    Ok(cpu::ellipse(width, height, rect))
}

/// The most edge crossings (edges × sub-scanlines each spans on the
/// canvas) a polygon may have: its rasterisation costs about that many
/// steps besides the mask's pixels. An ordinary lasso has a few per row
/// (about 2 × 16 × height); 11,000 points zigzagging across a 16384²
/// canvas would have 2.9 billion (100 s).
pub const MAX_POLYGON_CROSSINGS: u64 = 1 << 27;

/// A polygon or freehand lasso through `points` (closed automatically),
/// filled with the non-zero winding rule, so self-intersecting outlines and
/// loops drawn twice stay selected. Coverage is exact horizontally and
/// sampled on [`cpu::SUBSCANLINES`] sub-scanlines per pixel vertically.
/// Fails with fewer than 3 points; points off the canvas are fine.
pub fn polygon(width: u32, height: u32, points: &[(f32, f32)]) -> Result<GrayImage> {
    check_canvas(width, height)?;
    if points.len() < 3 {
        return Err(Error::param(
            "points",
            format!("a polygon needs at least 3 points, got {}", points.len()),
        ));
    }
    for &p in points {
        check_point("points", p)?;
    }
    let crossings = cpu::polygon_crossings(height, points);
    if crossings > MAX_POLYGON_CROSSINGS {
        return Err(Error::param(
            "points",
            format!(
                "the outline's {} edges cross the {height} rows {crossings} times in all, \
                 more than the {MAX_POLYGON_CROSSINGS} a polygon may (a few seconds' work); \
                 use fewer points or a simpler outline",
                points.len()
            ),
        ));
    }
    Ok(cpu::polygon(width, height, points))
}
