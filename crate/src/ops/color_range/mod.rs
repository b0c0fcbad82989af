//! Colour range: select pixels by how close their colour is to sampled colours.
//!
//! For each pixel, `d` is the Euclidean distance in gamma-encoded 8-bit RGB
//! (0 to 441) to the nearest sampled colour; its coverage is
//! `1 − d / fuzziness`, clamped to 0–1, so identical colours are fully
//! selected and colours `fuzziness` away or further are not selected at all.
//! Fuzziness 0 selects exact matches only. Alpha is ignored: a transparent
//! pixel still has the colour it stores.
//!
//! A pure per-pixel function: the GPU version computes the same f32 formula
//! and agrees with the CPU within ±1.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::Engine;
use crate::ops::wand::check_on_image;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// The largest fuzziness (as in Photoshop's Color Range).
pub const MAX_FUZZINESS: f32 = 200.0;
/// The most colours one selection may sample.
pub const MAX_COLORS: usize = 64;

/// The RGB colours at `points` of `image`, for [`color_range`]. Fails when a
/// point lies off the image.
pub fn sample_colors(image: &RgbaImage, points: &[(u32, u32)]) -> Result<Vec<[u8; 3]>> {
    points
        .iter()
        .map(|&p| {
            check_on_image("points", p, image.width(), image.height())?;
            let [r, g, b, _] = image.get_pixel(p.0, p.1).0;
            Ok([r, g, b])
        })
        .collect()
}

fn check(colors: &[[u8; 3]], fuzziness: f32) -> Result<()> {
    if colors.is_empty() || colors.len() > MAX_COLORS {
        return Err(Error::param(
            "colors",
            format!("give 1 to {MAX_COLORS} colours, got {}", colors.len()),
        ));
    }
    if !fuzziness.is_finite() || !(0.0..=MAX_FUZZINESS).contains(&fuzziness) {
        return Err(Error::param(
            "fuzziness",
            format!("{fuzziness} is outside 0 to {MAX_FUZZINESS}"),
        ));
    }
    Ok(())
}

/// The colour range selection on the CPU.
pub fn color_range_cpu(image: &RgbaImage, colors: &[[u8; 3]], fuzziness: f32) -> Result<GrayImage> {
    check(colors, fuzziness)?;
    Ok(cpu::color_range(image, colors, fuzziness))
}

/// The colour range selection on the engine's backend.
pub async fn color_range(
    engine: &Engine,
    image: &RgbaImage,
    colors: &[[u8; 3]],
    fuzziness: f32,
) -> Result<GrayImage> {
    check(colors, fuzziness)?;
    match engine.gpu() {
        Some(gpu) => gpu::color_range(gpu, image, colors, fuzziness, gpu.max_binding_bytes()).await,
        None => Ok(cpu::color_range(image, colors, fuzziness)),
    }
}
