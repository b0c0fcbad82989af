//! Dab placement and painting on the CPU, mirrored by brush.wgsl.

use super::{BrushOptions, DirtyRect, MAX_DABS};
use crate::{Error, Result};
use image::GrayImage;

/// A planned stroke: dab centres and the constants of the dab profile.
pub(super) struct Stroke {
    pub dabs: Vec<(f32, f32)>,
    pub radius: f32,
    /// Radius painted at full strength.
    pub hard_radius: f32,
    /// Flow on 0..=255.
    pub flow: u32,
    pub erase: bool,
    pub dirty: Option<DirtyRect>,
}

impl Stroke {
    pub fn new(canvas: (u32, u32), points: &[(f32, f32)], o: &BrushOptions) -> Result<Stroke> {
        let radius = o.diameter / 2.0;
        let step = (o.spacing * o.diameter).max(0.5);
        let mut dabs = vec![points[0]];
        // Distance still to travel along the stroke before the next dab.
        let mut until_next = step;
        for pair in points.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            let length = (x1 - x0).hypot(y1 - y0);
            let mut travelled = until_next;
            while travelled <= length {
                if dabs.len() >= MAX_DABS {
                    return Err(Error::param(
                        "points",
                        format!("the stroke would need more than {MAX_DABS} dabs"),
                    ));
                }
                let t = travelled / length;
                dabs.push((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t));
                travelled += step;
            }
            until_next = travelled - length;
        }
        let dirty = dirty_rect(canvas, &dabs, radius);
        Ok(Stroke {
            dabs,
            radius,
            hard_radius: (o.hardness * radius).min(radius - 1.0).max(0.0),
            flow: (o.flow * 255.0 + 0.5) as u32,
            erase: o.erase,
            dirty,
        })
    }

    /// The dab's coverage of a pixel whose centre is `r²` from the dab's, on 0..=255.
    #[inline]
    pub fn coverage(&self, r2: f32) -> u32 {
        if r2 >= self.radius * self.radius {
            return 0;
        }
        let r = r2.sqrt();
        if r <= self.hard_radius {
            return 255;
        }
        let t = (self.radius - r) / (self.radius - self.hard_radius);
        ((t * t * (3.0 - 2.0 * t)) * 255.0 + 0.5) as u32
    }
}

/// The union of the dabs' bounds, clipped to the canvas.
fn dirty_rect(canvas: (u32, u32), dabs: &[(f32, f32)], radius: f32) -> Option<DirtyRect> {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(x, y) in dabs {
        x0 = x0.min(x - radius);
        y0 = y0.min(y - radius);
        x1 = x1.max(x + radius);
        y1 = y1.max(y + radius);
    }
    let clip = |v: f32, size: u32| v.clamp(0.0, size as f32) as u32;
    let (left, top) = (clip(x0.floor(), canvas.0), clip(y0.floor(), canvas.1));
    let (right, bottom) = (clip(x1.ceil(), canvas.0), clip(y1.ceil(), canvas.1));
    (right > left && bottom > top).then_some(DirtyRect {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    })
}

/// Applies one dab's `coverage` (0..=255) with `flow` (0..=255) to `value`.
#[inline]
pub(super) fn apply(value: u8, coverage: u32, flow: u32, erase: bool) -> u8 {
    let strength = coverage * flow; // out of 255²
    let v = u32::from(value);
    if erase {
        (v - (v * strength + 32512) / 65025) as u8
    } else {
        (v + ((255 - v) * strength + 32512) / 65025) as u8
    }
}

/// Paints every dab, each over its own bounds inside `rect`.
pub(super) fn paint(mask: &mut GrayImage, stroke: &Stroke, rect: DirtyRect) {
    let width = mask.width() as usize;
    let r = stroke.radius;
    let raw: &mut [u8] = mask;
    for &(cx, cy) in &stroke.dabs {
        let x0 = ((cx - r).floor().max(rect.x as f32)) as u32;
        let x1 = ((cx + r).ceil().min((rect.x + rect.width) as f32)) as u32;
        let y0 = ((cy - r).floor().max(rect.y as f32)) as u32;
        let y1 = ((cy + r).ceil().min((rect.y + rect.height) as f32)) as u32;
        for y in y0..y1 {
            let dy = y as f32 + 0.5 - cy;
            let row = &mut raw[y as usize * width..][..width];
            for x in x0..x1 {
                let dx = x as f32 + 0.5 - cx;
                let coverage = stroke.coverage(dx * dx + dy * dy);
                if coverage > 0 {
                    let value = &mut row[x as usize];
                    *value = apply(*value, coverage, stroke.flow, stroke.erase);
                }
            }
        }
    }
}
