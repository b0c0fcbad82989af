//! Painting a selection stroke on the CPU, mirrored by brush.wgsl.

use super::DirtyRect;
use crate::ops::dab::{build_up, Dabs};
use image::GrayImage;

/// A planned selection stroke: its dabs and how they change the mask.
pub(super) struct Stroke {
    pub dabs: Dabs,
    /// Flow on 0..=255.
    pub flow: u32,
    pub erase: bool,
}

/// Applies one dab's `coverage` (0..=255) with `flow` (0..=255) to `value`:
/// towards 255, or towards 0 when erasing.
#[inline]
fn apply(value: u8, coverage: u32, flow: u32, erase: bool) -> u8 {
    let v = u32::from(value);
    if erase {
        (255 - build_up(255 - v, coverage, flow)) as u8
    } else {
        build_up(v, coverage, flow) as u8
    }
}

/// Paints every dab, each over its own bounds inside `rect`.
pub(super) fn paint(mask: &mut GrayImage, stroke: &Stroke, rect: DirtyRect) {
    let width = mask.width() as usize;
    let raw: &mut [u8] = mask;
    for centre in stroke.dabs.fixed_centres() {
        let (xs, ys) = stroke.dabs.bounds(centre, rect);
        for y in ys {
            let row = &mut raw[y as usize * width..][..width];
            for x in xs.clone() {
                let coverage = stroke.dabs.coverage(centre, x, y);
                if coverage > 0 {
                    let value = &mut row[x as usize];
                    *value = apply(*value, coverage, stroke.flow, stroke.erase);
                }
            }
        }
    }
}
