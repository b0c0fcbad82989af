//! Exporting a flattened image: PNG, JPEG (with a quality) or WebP, at the
//! original size or a size preset.
//!
//! WebP is written lossless, by our banded encoder
//! ([`image_io::write_webp_in_bands`]): the `image` crate's (the only other
//! one) takes the image whole. JPEG has no alpha, so transparent pixels are composited over
//! white first, as image editors do on export.

use super::{render, Document};
use crate::image_io::{self, check_dimensions, SourceMetadata};
use crate::memory;
use crate::ops::resample::{self, ResizeOptions};
use crate::{Error, Result};
use image::{ImageEncoder, RgbaImage};

/// The output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Png,
    /// Quality 1 to 100.
    Jpeg {
        quality: u8,
    },
    /// Lossless.
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

/// What an export encodes: an image held whole, or a document's composite,
/// made band by band as it is encoded ([`Document::composite_bands`]), so
/// exporting a document never holds a second canvas-sized image.
#[derive(Clone, Copy)]
pub enum ExportSource<'a> {
    Image(&'a RgbaImage),
    Document(&'a Document),
}

impl ExportSource<'_> {
    fn dimensions(self) -> (u32, u32) {
        match self {
            ExportSource::Image(image) => image.dimensions(),
            ExportSource::Document(doc) => (doc.width(), doc.height()),
        }
    }

    /// Hands the pixels to `f` a band of whole rows at a time, top to bottom.
    fn bands(self, f: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        match self {
            ExportSource::Image(image) => f(image.as_raw()),
            ExportSource::Document(doc) => doc.composite_bands(f),
        }
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
    write_export(ExportSource::Image(image), format, size, metadata, &mut out)?;
    Ok(out)
}

/// The peak memory of [`write_export`] of an image besides the image: the
/// resized copy and its resampling (see [`resize_memory`]), and for JPEG
/// the copy over white. The encoded file goes to the writer as it is made.
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

/// The peak memory of [`write_export`] of a `canvas`-sized document's
/// composite besides the document's pixels: [`export_memory`] and the bands
/// the composite is made in.
pub fn document_export_memory(
    canvas: (u32, u32),
    format: ExportFormat,
    size: SizePreset,
) -> Result<u64> {
    Ok(export_memory(canvas, format, size)? + render::composite_band_memory(canvas.0))
}

/// Encodes `source` in `format` at `size`, writing the encoded file to
/// `out` as it is made (not held whole in memory). Refuses first when the
/// peak would pass the memory budget.
pub fn write_export(
    source: ExportSource<'_>,
    format: ExportFormat,
    size: SizePreset,
    metadata: &SourceMetadata,
    mut out: impl std::io::Write,
) -> Result<()> {
    metadata.check()?;
    let from = source.dimensions();
    let (w, h) = size.output_size(from.0, from.1)?;
    let peak = match source {
        ExportSource::Image(_) => {
            memory::rgba8(from.0, from.1) + export_memory(from, format, size)?
        }
        ExportSource::Document(doc) => {
            doc.memory_held() + document_export_memory(from, format, size)?
        }
    };
    memory::check(&format!("exporting a {w}×{h} image"), peak)?;
    let resized = if (w, h) == from {
        None
    } else if let ExportSource::Image(image) = source {
        Some(resize(image, w, h)?)
    } else {
        let mut resize = resample::BandedResize::new(from, &ResizeOptions::new(w, h))?;
        source.bands(&mut |rows| {
            resize.push_rows(rows);
            Ok(())
        })?;
        Some(resize.finish())
    };
    // What is encoded: the resized image, or the source at its own size.
    let source = match &resized {
        Some(image) => ExportSource::Image(image),
        None => source,
    };
    let encoded = match format {
        ExportFormat::Png => {
            return image_io::write_png_in_bands((w, h), metadata, out, |band| source.bands(band))
        }
        ExportFormat::Jpeg { quality } => {
            let mut rgb = Vec::with_capacity(memory::rgba8(w, h) as usize / 4 * 3);
            source.bands(&mut |rows| {
                over_white(rows, &mut rgb);
                Ok(())
            })?;
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
            return image_io::write_webp_in_bands((w, h), metadata, out, |band| source.bands(band))
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

/// A thumbnail no longer than `max_side` on either side (never enlarged),
/// made from an image handed over a band of rows at a time (see
/// [`resample::BandedResize`]).
pub enum Thumbnail {
    /// The image is small enough already: its rows are kept as they are.
    Copy {
        size: (u32, u32),
        rows: Vec<u8>,
    },
    Resize(resample::BandedResize),
}

impl Thumbnail {
    pub fn new(size: (u32, u32), max_side: u32) -> Result<Thumbnail> {
        let (w, h) = size;
        if w.max(h) <= max_side {
            let rows = Vec::with_capacity(memory::rgba8(w, h) as usize);
            return Ok(Thumbnail::Copy { size, rows });
        }
        let (tw, th) = SizePreset::LongEdge(max_side).output_size(w, h)?;
        resample::BandedResize::new(size, &ResizeOptions::new(tw, th)).map(Thumbnail::Resize)
    }

    /// The bytes a thumbnail of a `size` image allocates.
    pub fn memory(size: (u32, u32), max_side: u32) -> u64 {
        let (w, h) = size;
        match SizePreset::LongEdge(max_side).output_size(w, h) {
            Ok(to) if w.max(h) > max_side => resize_memory(size, to),
            _ => memory::rgba8(w, h),
        }
    }

    /// The image's next whole rows.
    pub fn push_rows(&mut self, band: &[u8]) {
        match self {
            Thumbnail::Copy { rows, .. } => rows.extend_from_slice(band),
            Thumbnail::Resize(resize) => resize.push_rows(band),
        }
    }

    /// The thumbnail, once every row was pushed.
    pub fn finish(self) -> RgbaImage {
        match self {
            Thumbnail::Copy { size, rows } => {
                RgbaImage::from_raw(size.0, size.1, rows).expect("every row pushed")
            }
            Thumbnail::Resize(resize) => resize.finish(),
        }
    }
}

/// Straight-alpha RGBA rows composited over opaque white, appended to `rgb`.
fn over_white(rows: &[u8], rgb: &mut Vec<u8>) {
    for p in rows.chunks_exact(4) {
        let a = u32::from(p[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        rgb.extend_from_slice(&[mix(p[0]), mix(p[1]), mix(p[2])]);
    }
}
