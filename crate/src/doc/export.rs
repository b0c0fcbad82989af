//! Exporting a flattened image: PNG, JPEG (with a quality) or WebP, at the
//! original size or a size preset.
//!
//! WebP is written lossless: the `image` crate (0.25) only has a lossless
//! WebP encoder. JPEG has no alpha, so transparent pixels are composited over
//! white first, as image editors do on export.

use crate::image_io::{check_dimensions, SourceMetadata};
use crate::memory;
use crate::ops::resample::{self, ResizeOptions};
use crate::{Error, Result};
use image::{ImageEncoder, RgbImage, RgbaImage};

/// The output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Png,
    /// Quality 1 to 100.
    Jpeg {
        quality: u8,
    },
    /// Lossless (the only WebP encoder available).
    WebP,
}

/// JPEG quality when none is given.
pub const DEFAULT_JPEG_QUALITY: u8 = 90;

impl ExportFormat {
    /// The format of a file extension (`png`, `jpg`/`jpeg`, `webp`).
    /// `quality` is only meaningful for JPEG.
    pub fn from_extension(extension: &str, quality: Option<u8>) -> Result<ExportFormat> {
        let format = match extension.to_ascii_lowercase().as_str() {
            "png" => ExportFormat::Png,
            "jpg" | "jpeg" => ExportFormat::Jpeg {
                quality: quality.unwrap_or(DEFAULT_JPEG_QUALITY),
            },
            "webp" => ExportFormat::WebP,
            other => {
                return Err(Error::param(
                    "format",
                    format!("'{other}' is not one of: png, jpg, jpeg, webp"),
                ))
            }
        };
        if quality.is_some() && !matches!(format, ExportFormat::Jpeg { .. }) {
            return Err(Error::param(
                "quality",
                "only JPEG takes a quality (PNG and WebP are lossless)",
            ));
        }
        if let ExportFormat::Jpeg { quality } = format {
            if !(1..=100).contains(&quality) {
                return Err(Error::param(
                    "quality",
                    format!("{quality} is outside 1 to 100"),
                ));
            }
        }
        Ok(format)
    }
}

/// The size of the exported image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizePreset {
    #[default]
    Original,
    /// Scaled, keeping the aspect ratio, so the longer side is this long
    /// (presets 1080, 2048, 4096; up or down).
    LongEdge(u32),
    /// Exactly this size (stretched if the aspect ratio differs).
    Exact(u32, u32),
}

impl SizePreset {
    /// Refuses an empty size, as a parameter error naming it (before any
    /// image is read): a zero long edge used to give a 1×1 image.
    pub fn validate(self) -> Result<()> {
        match self {
            SizePreset::LongEdge(0) => Err(Error::param(
                "long-edge",
                "0 is not a size: give the longer side in pixels, at least 1",
            )),
            SizePreset::Exact(w, h) if w == 0 || h == 0 => Err(Error::param(
                "size",
                format!("{w}x{h} is empty: both sides must be at least 1 px"),
            )),
            _ => Ok(()),
        }
    }

    /// The output size for an image of `width`×`height`.
    pub fn output_size(self, width: u32, height: u32) -> Result<(u32, u32)> {
        self.validate()?;
        let size = match self {
            SizePreset::Original => (width, height),
            SizePreset::LongEdge(edge) => {
                let long = u64::from(width.max(height));
                let scale = |side: u32| {
                    ((u64::from(side) * u64::from(edge) + long / 2) / long).max(1) as u32
                };
                (scale(width), scale(height))
            }
            SizePreset::Exact(w, h) => (w, h),
        };
        check_dimensions(size.0, size.1)?;
        Ok(size)
    }
}

/// Encodes `image` in `format` at `size`.
pub fn export_image(image: &RgbaImage, format: ExportFormat, size: SizePreset) -> Result<Vec<u8>> {
    export_image_with_metadata(image, format, size, &SourceMetadata::default())
}

/// Like [`export_image`], embedding the source's ICC profile and EXIF (all
/// three formats can hold both), so a photo keeps its colour space and
/// camera data through the edit. The EXIF orientation was reset on import
/// (the pixels are upright), so viewers do not turn the export again.
pub fn export_image_with_metadata(
    image: &RgbaImage,
    format: ExportFormat,
    size: SizePreset,
    metadata: &SourceMetadata,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_export(image, format, size, metadata, &mut out)?;
    Ok(out)
}

/// The peak memory of [`write_export`] besides `image`: the resized copy
/// and its resampling (see [`resize_memory`]), and for JPEG the copy over
/// white. The encoded file goes to the writer as it is made.
pub fn export_memory(from: (u32, u32), format: ExportFormat, size: SizePreset) -> Result<u64> {
    let to = size.output_size(from.0, from.1)?;
    let resized = if to == from {
        0
    } else {
        resize_memory(from, to)
    };
    let over_white = match format {
        ExportFormat::Jpeg { .. } => memory::rgba8(to.0, to.1) / 4 * 3,
        _ => 0,
    };
    Ok(resized + over_white)
}

/// Like [`export_image_with_metadata`], writing the encoded file to `out`
/// as it is made (not held whole in memory).
pub fn write_export(
    image: &RgbaImage,
    format: ExportFormat,
    size: SizePreset,
    metadata: &SourceMetadata,
    mut out: impl std::io::Write,
) -> Result<()> {
    metadata.check()?;
    let (w, h) = size.output_size(image.width(), image.height())?;
    memory::check(
        &format!("exporting a {w}×{h} image"),
        memory::rgba8(image.width(), image.height())
            + export_memory(image.dimensions(), format, size)?,
    )?;
    let resized;
    let image = if (w, h) == image.dimensions() {
        image
    } else {
        resized = resize(image, w, h)?;
        &resized
    };
    let encoded = match format {
        ExportFormat::Png => {
            let encoder = image::codecs::png::PngEncoder::new(&mut out);
            write_with_metadata(
                encoder,
                image,
                w,
                h,
                image::ExtendedColorType::Rgba8,
                metadata,
            )
        }
        ExportFormat::Jpeg { quality } => {
            let rgb = over_white(image);
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
            write_with_metadata(
                encoder,
                &rgb,
                w,
                h,
                image::ExtendedColorType::Rgb8,
                metadata,
            )
        }
        ExportFormat::WebP => {
            let encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
            write_with_metadata(
                encoder,
                image,
                w,
                h,
                image::ExtendedColorType::Rgba8,
                metadata,
            )
        }
    };
    encoded.map_err(|e| Error::Encode(e.to_string()))
}

fn write_with_metadata(
    mut encoder: impl ImageEncoder,
    bytes: &[u8],
    width: u32,
    height: u32,
    color: image::ExtendedColorType,
    metadata: &SourceMetadata,
) -> image::ImageResult<()> {
    // The PNG, JPEG and WebP encoders all accept both; an encoder that did
    // not would return Unsupported, which is reported rather than ignored.
    let unsupported = |e: image::error::UnsupportedError| image::ImageError::Unsupported(e);
    if let Some(icc) = &metadata.icc_profile {
        encoder.set_icc_profile(icc.clone()).map_err(unsupported)?;
    }
    if let Some(exif) = &metadata.exif {
        encoder
            .set_exif_metadata(exif.clone())
            .map_err(unsupported)?;
    }
    encoder.write_image(bytes, width, height, color)
}

/// Resamples to `width`×`height` with Lanczos3 on premultiplied alpha (so
/// transparent pixels' colours do not bleed into visible edges), through the
/// resampler every other resize uses: [`resample::resize_cpu`].
///
/// Not `image::imageops::resize` on float pixels: it clamps float samples to
/// 0–1, so premultiplied values on a 0–255 scale came out as colour 255 and
/// alpha 1 — a blank export at every size preset (issue 11).
pub fn resize(image: &RgbaImage, width: u32, height: u32) -> Result<RgbaImage> {
    resample::resize_cpu(image, &ResizeOptions::new(width, height))
}

/// The peak memory of [`resize`] from `from` to `to`, besides the source.
pub fn resize_memory(from: (u32, u32), to: (u32, u32)) -> u64 {
    resample::peak_memory(from, to, resample::Filter::Lanczos3)
}

/// A thumbnail no longer than `max_side` on either side (never enlarged).
/// Fails only when resampling would pass the memory budget.
pub fn thumbnail(image: &RgbaImage, max_side: u32) -> Result<RgbaImage> {
    let (w, h) = image.dimensions();
    if w.max(h) <= max_side {
        return Ok(image.clone());
    }
    let (tw, th) = SizePreset::LongEdge(max_side).output_size(w, h)?;
    resize(image, tw, th)
}

/// Straight-alpha RGBA composited over opaque white.
fn over_white(image: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let [r, g, b, a] = image.get_pixel(x, y).0.map(u32::from);
        let mix = |c: u32| ((c * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([mix(r), mix(g), mix(b)])
    })
}
