//! What the presenting pass writes, computed on the CPU.

use image::RgbaImage;

/// `composite` with each colour channel multiplied by its alpha and
/// rounded to the nearest level: the texels a premultiplied canvas receives.
pub fn premultiplied(composite: &RgbaImage) -> RgbaImage {
    let mut out = composite.clone();
    for pixel in out.pixels_mut() {
        let a = u32::from(pixel[3]);
        for c in &mut pixel.0[..3] {
            *c = ((u32::from(*c) * a + 127) / 255) as u8;
        }
    }
    out
}
