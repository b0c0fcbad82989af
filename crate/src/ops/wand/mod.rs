//! Magic wand: select the pixels that look like the one clicked.
//!
//! A pixel matches when each of its R, G, B and A channels is within
//! `tolerance` of the seed pixel's (the largest channel difference, as
//! Photoshop's and GIMP's wands measure it). Contiguous mode selects the
//! matching pixels 4-connected to the seed (a scanline flood fill, checked
//! against a plain breadth-first fill in the tests); global mode selects every
//! matching pixel. The image is whatever the caller samples from — the current
//! layer or the composite.
//!
//! Anti-aliasing replaces each pixel with the mean of the hard selection over
//! its 3×3 neighbourhood (clipped to the canvas), which only changes pixels
//! within one pixel of the selection's edge.
//!
//! A flood fill is a serial walk over connected pixels, so it has no GPU
//! version; colour range (see [`crate::ops::color_range`]) is the parallel
//! per-pixel counterpart.

mod cpu;
#[cfg(test)]
mod tests;

use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// How the wand selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WandOptions {
    /// The pixel clicked; must lie on the image.
    pub seed: (u32, u32),
    /// Largest per-channel difference from the seed that still matches.
    pub tolerance: u8,
    /// Only pixels connected to the seed (true) or every matching pixel.
    pub contiguous: bool,
    /// Soften the edge by one pixel.
    pub anti_alias: bool,
}

impl Default for WandOptions {
    fn default() -> Self {
        WandOptions {
            seed: (0, 0),
            tolerance: 32,
            contiguous: true,
            anti_alias: true,
        }
    }
}

/// Fails unless `point` lies on a `width`×`height` image.
pub fn check_on_image(name: &str, point: (u32, u32), width: u32, height: u32) -> Result<()> {
    if point.0 < width && point.1 < height {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!(
                "({}, {}) is outside the {width}×{height} image",
                point.0, point.1
            ),
        ))
    }
}

/// The magic wand selection on `image` (see the module docs).
pub fn magic_wand(image: &RgbaImage, options: &WandOptions) -> Result<GrayImage> {
    check_on_image("seed", options.seed, image.width(), image.height())?;
    let matches = cpu::Matcher::new(
        image.get_pixel(options.seed.0, options.seed.1).0,
        options.tolerance,
    );
    let mut selection = if options.contiguous {
        cpu::flood_fill(image, options.seed, &matches)
    } else {
        cpu::select_matching(image, &matches)
    };
    if options.anti_alias {
        cpu::soften_edge(&mut selection);
    }
    Ok(selection)
}
