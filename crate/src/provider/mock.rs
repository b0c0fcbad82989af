//! The offline demo provider's pixels (the JS side, `web/bridge/mock.js`, only calls this).
//!
//! It behaves like a real model where it matters to the pipeline: it repaints the selected
//! region (with a pattern tinted by the prompt, so the change is visible and deterministic),
//! and it lets the colours of the **whole** answer drift — brighter, warmer — the way real
//! models do, so the demo shows the colour match and the bit-exact composite at work.

use image::{Rgba, RgbaImage};

use crate::image_io;
use crate::{Error, Result};

/// The drift applied to every channel: `out = gain · in + offset` (brighter and warmer).
pub const DRIFT_GAIN: [f32; 3] = [1.06, 1.04, 0.95];
pub const DRIFT_OFFSET: [f32; 3] = [6.0, 2.0, -3.0];

/// Answers a mock request: `image` and `mask` are PNG bytes as the plan encodes them for the
/// mock provider (mask: greyscale, white = edit, same size). Returns PNG bytes.
pub fn mock_answer(image: &[u8], mask: &[u8], prompt: &str, seed: u32) -> Result<Vec<u8>> {
    let image = image_io::decode_rgba(image)?;
    let mask = image_io::decode_mask(mask)?;
    if mask.dimensions() != image.dimensions() {
        return Err(Error::SizeMismatch(format!(
            "the mask is {}×{} but the image is {}×{}",
            mask.width(),
            mask.height(),
            image.width(),
            image.height()
        )));
    }
    let tint = tint(prompt, seed);
    let answer = RgbaImage::from_fn(image.width(), image.height(), |x, y| {
        let px = image.get_pixel(x, y).0;
        let edit = f32::from(mask.get_pixel(x, y).0[0]) / 255.0;
        // Diagonal stripes, 16 px apart, so the fill is visibly new content.
        let stripe = if ((x + y) / 8) % 2 == 0 { 1.0 } else { 0.75 };
        let mut out = [0u8; 4];
        for c in 0..3 {
            let filled = 0.4 * f32::from(px[c]) + 0.6 * tint[c] * stripe;
            let value = f32::from(px[c]) * (1.0 - edit) + filled * edit;
            out[c] = (DRIFT_GAIN[c] * value + DRIFT_OFFSET[c])
                .round()
                .clamp(0.0, 255.0) as u8;
        }
        out[3] = 255;
        Rgba(out)
    });
    image_io::encode_png(&answer)
}

/// A colour from the prompt and the seed (FNV-1a), so each prompt and variant looks different
/// and the same request always looks the same.
fn tint(prompt: &str, seed: u32) -> [f32; 3] {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in prompt.bytes().chain(seed.to_le_bytes()) {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    [hash & 0xff, (hash >> 8) & 0xff, (hash >> 16) & 0xff].map(|v| 64.0 + (v as f32) * 0.75)
}
