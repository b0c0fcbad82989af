//! Decoding and encoding at the core's boundary. Every decode checks the
//! header's dimensions against the limits before any pixel is allocated.

use crate::{Error, Result};
use image::{GrayImage, ImageFormat, RgbaImage};
use std::io::Cursor;

/// Longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 16384;
/// Largest pixel count accepted (268 MP).
pub const MAX_PIXELS: u64 = 268_435_456;

/// Checks dimensions against [`MAX_SIDE`] and [`MAX_PIXELS`].
pub fn check_dimensions(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::Decode(format!(
            "the image is empty ({width}×{height})"
        )));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Error::TooLarge(format!(
            "{width}×{height} exceeds the limit of {MAX_SIDE} px per side and {} MP",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

fn reader(bytes: &[u8]) -> Result<image::ImageReader<Cursor<&[u8]>>> {
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Decode(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) => Ok(reader),
        Some(other) => Err(Error::Decode(format!(
            "{other:?} files are not supported (use PNG, JPEG or WebP)"
        ))),
        None => Err(Error::Decode("not a PNG, JPEG or WebP file".into())),
    }
}

fn decode_dynamic(bytes: &[u8]) -> Result<image::DynamicImage> {
    let (width, height) = reader(bytes)?
        .into_dimensions()
        .map_err(|e| Error::Decode(e.to_string()))?;
    check_dimensions(width, height)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    let mut reader = reader(bytes)?;
    reader.limits(limits);
    reader.decode().map_err(|e| Error::Decode(e.to_string()))
}

/// Decodes PNG, JPEG or WebP bytes to RGBA8 (straight alpha).
pub fn decode_rgba(bytes: &[u8]) -> Result<RgbaImage> {
    Ok(decode_dynamic(bytes)?.into_rgba8())
}

/// Decodes a mask: the alpha channel when the image has one, else its luma.
pub fn decode_mask(bytes: &[u8]) -> Result<GrayImage> {
    let img = decode_dynamic(bytes)?;
    if img.color().has_alpha() {
        let rgba = img.into_rgba8();
        let (w, h) = rgba.dimensions();
        let alpha = rgba.pixels().map(|p| p.0[3]).collect();
        Ok(GrayImage::from_raw(w, h, alpha).expect("one byte per pixel"))
    } else {
        Ok(img.into_luma8())
    }
}

/// Encodes RGBA8 as PNG.
pub fn encode_png(image: &RgbaImage) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| Error::Encode(e.to_string()))?;
    Ok(out.into_inner())
}

/// Encodes a mask as 8-bit greyscale PNG.
pub fn encode_mask_png(mask: &GrayImage) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    mask.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| Error::Encode(e.to_string()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_png() {
        let img = RgbaImage::from_fn(5, 3, |x, y| {
            image::Rgba([x as u8 * 40, y as u8 * 80, 7, 128 + x as u8])
        });
        assert_eq!(decode_rgba(&encode_png(&img).unwrap()).unwrap(), img);
    }

    #[test]
    fn rejects_garbage_and_truncated_files() {
        assert!(matches!(
            decode_rgba(b"not an image"),
            Err(Error::Decode(_))
        ));
        let png = encode_png(&RgbaImage::new(64, 64)).unwrap();
        assert!(matches!(
            decode_rgba(&png[..png.len() / 2]),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn rejects_absurd_header_dimensions_before_allocating() {
        // A valid PNG header claiming 100000×100000 pixels, with no pixel data.
        let mut png = encode_png(&RgbaImage::new(1, 1)).unwrap();
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(decode_rgba(&png), Err(Error::TooLarge(_))));
    }

    #[test]
    fn mask_uses_alpha_when_present_else_luma() {
        let rgba = RgbaImage::from_pixel(2, 2, image::Rgba([255, 255, 255, 40]));
        assert!(decode_mask(&encode_png(&rgba).unwrap())
            .unwrap()
            .pixels()
            .all(|p| p.0[0] == 40));
        let grey = GrayImage::from_pixel(2, 2, image::Luma([99]));
        assert!(decode_mask(&encode_mask_png(&grey).unwrap())
            .unwrap()
            .pixels()
            .all(|p| p.0[0] == 99));
    }

    /// CRC-32 (PNG's chunk checksum), so the forged header is well-formed.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
