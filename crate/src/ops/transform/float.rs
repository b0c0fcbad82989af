//! The floating selection of Free Transform with a selection (Photoshop's
//! Ctrl+T on selected pixels): lifting the selected pixels out of a layer
//! and dropping them, transformed, back onto it. Integer arithmetic only:
//! the resampling between the two is the warp of the parent module.
//!
//! A pixel with alpha `a` under selection coverage `s` (0..=255) goes into
//! the float with alpha `round(a·s / 255)` (selection-weighted, so a
//! feathered edge floats partly) and keeps `round(a·(255 − s) / 255)` in
//! the layer (the hole: Photoshop's Delete, [`crate::doc::Document::clear_selected`]).
//! Colour is kept in both. Where `s` is 0 the layer keeps the pixel
//! bit-exact; the float is dropped with source-over, which leaves the layer
//! bit-exact wherever the transformed float is transparent.

use crate::ops::paint::source_over;
use image::{GrayImage, Rgba, RgbaImage};

/// Splits the part of `layer` at `at` (its top-left pixel in the layer)
/// covered by `selection` (its size): returns the float (the selection's
/// size, selection-weighted alpha) and the whole layer with the hole.
pub fn lift(layer: &RgbaImage, at: (u32, u32), selection: &GrayImage) -> (RgbaImage, RgbaImage) {
    let mut holed = layer.clone();
    let float = RgbaImage::from_fn(selection.width(), selection.height(), |x, y| {
        let s = u32::from(selection.get_pixel(x, y)[0]);
        let pixel = holed.get_pixel_mut(at.0 + x, at.1 + y);
        let a = u32::from(pixel[3]);
        let mut floated = *pixel;
        floated[3] = ((a * s + 127) / 255) as u8;
        pixel[3] = ((a * (255 - s) + 127) / 255) as u8;
        if floated[3] == 0 {
            Rgba([0; 4])
        } else {
            floated
        }
    });
    (float, holed)
}

/// Draws `float` over `layer` with its top-left pixel at `at` (layer
/// coordinates; what falls outside the layer is dropped), source-over.
pub fn drop_onto(layer: &mut RgbaImage, float: &RgbaImage, at: (i64, i64)) {
    let (width, height) = (i64::from(layer.width()), i64::from(layer.height()));
    for (x, y, pixel) in float.enumerate_pixels() {
        let (lx, ly) = (at.0 + i64::from(x), at.1 + i64::from(y));
        if pixel[3] == 0 || lx < 0 || ly < 0 || lx >= width || ly >= height {
            continue;
        }
        let dest = layer.get_pixel_mut(lx as u32, ly as u32);
        dest.0 = source_over(dest.0, pixel.0);
    }
}
