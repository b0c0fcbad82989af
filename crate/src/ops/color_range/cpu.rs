//! Colour range on the CPU, mirrored operation for operation by color_range.wgsl.

use image::{GrayImage, RgbaImage};

/// Coverage of one pixel: `1 − √(min d²) / fuzziness`, rounded to 0–255.
pub(super) fn coverage(pixel: [u8; 3], colors: &[[u8; 3]], fuzziness: f32) -> u8 {
    let nearest = colors
        .iter()
        .map(|c| {
            let d: [i32; 3] = std::array::from_fn(|i| i32::from(pixel[i]) - i32::from(c[i]));
            d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
        })
        .min()
        .unwrap_or(i32::MAX);
    if nearest == 0 {
        return 255;
    }
    if fuzziness == 0.0 {
        return 0;
    }
    let selected = (1.0 - (nearest as f32).sqrt() / fuzziness).max(0.0);
    (selected * 255.0 + 0.5) as u8
}

pub(super) fn color_range(image: &RgbaImage, colors: &[[u8; 3]], fuzziness: f32) -> GrayImage {
    let values = image
        .as_raw()
        .chunks_exact(4)
        .map(|p| coverage([p[0], p[1], p[2]], colors, fuzziness))
        .collect();
    GrayImage::from_raw(image.width(), image.height(), values).expect("one value per pixel")
}
