//! Decoding, encoding and reading regions out at the core's boundary. Every
//! decode checks the header's dimensions against the limits before any pixel
//! is allocated.

use crate::{Error, Result};
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageBuffer, ImageDecoder, ImageFormat, Pixel, RgbaImage};
use std::io::Cursor;

mod webp_lossless;
pub use webp_lossless::write_webp_in_bands;

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

/// How much of a file [`check_input_size`] wants to see: enough for the
/// headers of every format (a JPEG's frame header may follow up to 64 KiB
/// of EXIF and a few APP segments).
pub const INPUT_PREFIX_BYTES: usize = 256 * 1024;
/// Room for what an image file may hold besides its pixels: metadata (ICC
/// up to 4 MiB, EXIF, text) and container overhead.
const INPUT_SLACK_BYTES: u64 = 16 << 20;
/// The largest `.ora` read (its entries' inflated total, see `ora::LoadLimits`) plus zip overhead.
const MAX_PROJECT_FILE_BYTES: u64 = (4 << 30) + (64 << 20);

/// Checks a file before it is read whole, from its first bytes (`prefix`,
/// up to [`INPUT_PREFIX_BYTES`]) and its length: it must look like a PNG,
/// JPEG, WebP, GIF, BMP or OpenRaster file, and be no larger than such a
/// file of the size its header states could plausibly be (pixels at 8 bytes
/// each, as 16-bit RGBA, plus metadata), so a 6 GiB file is refused after
/// 256 KiB, not after 6 GB. A header that cannot be read from the prefix
/// bounds the file by the largest image accepted.
pub fn check_input_size(prefix: &[u8], file_len: u64) -> Result<()> {
    let zip = prefix.starts_with(b"PK\x03\x04");
    let format = image::guess_format(prefix).ok().filter(|f| {
        matches!(
            f,
            ImageFormat::Png
                | ImageFormat::Jpeg
                | ImageFormat::WebP
                | ImageFormat::Gif
                | ImageFormat::Bmp
        )
    });
    let (kind, limit) = match (zip, format) {
        (true, _) => ("an OpenRaster project".to_string(), MAX_PROJECT_FILE_BYTES),
        (false, Some(format)) => {
            let pixels = image::ImageReader::with_format(Cursor::new(prefix), format)
                .into_dimensions()
                .ok()
                .filter(|&(w, h)| w > 0 && h > 0)
                .map(|(w, h)| u64::from(w) * u64::from(h))
                .unwrap_or(MAX_PIXELS)
                .min(MAX_PIXELS);
            (
                format!("a {format:?} image of its size"),
                pixels * 8 + INPUT_SLACK_BYTES,
            )
        }
        (false, None) => {
            return Err(Error::Decode(
                "not an OpenRaster project (.ora) nor a PNG, JPEG, WebP, GIF or BMP image".into(),
            ))
        }
    };
    if file_len > limit {
        return Err(Error::TooLarge(format!(
            "the file is {file_len} bytes, more than {kind} can plausibly take ({limit} bytes): \
             it is damaged or not what it claims to be"
        )));
    }
    Ok(())
}

/// A copy of the `width`×`height` rectangle at `x`,`y` of `image` (the
/// `what`: "canvas", "layer", "mask", ...), refused unless it lies inside:
/// how callers outside the core (the page, the CLI) read part of an image.
pub fn region<P: Pixel + 'static>(
    image: &ImageBuffer<P, Vec<P::Subpixel>>,
    what: &str,
    (x, y, width, height): (u32, u32, u32, u32),
) -> Result<ImageBuffer<P, Vec<P::Subpixel>>> {
    let fits =
        |start: u32, len: u32, size: u32| start.checked_add(len).is_some_and(|end| end <= size);
    if !fits(x, width, image.width()) || !fits(y, height, image.height()) {
        return Err(Error::param(
            "region",
            format!(
                "{width}×{height} at {x},{y} is not inside the {}×{} {what}",
                image.width(),
                image.height()
            ),
        ));
    }
    Ok(image::imageops::crop_imm(image, x, y, width, height).to_image())
}

/// Formats that can be opened: PNG, JPEG and WebP always; GIF, BMP and
/// TIFF when the `image` crate is built with their features (see the root
/// Cargo.toml), otherwise they are refused by name.
fn reader(bytes: &[u8]) -> Result<image::ImageReader<Cursor<&[u8]>>> {
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Decode(e.to_string()))?;
    match reader.format() {
        Some(format) if format.reading_enabled() && is_openable(format) => Ok(reader),
        Some(other) => Err(Error::Decode(format!(
            "{other:?} files are not supported (use {})",
            supported_names()
        ))),
        None => Err(Error::Decode(format!("not a {} file", supported_names()))),
    }
}

fn is_openable(format: ImageFormat) -> bool {
    matches!(
        format,
        ImageFormat::Png
            | ImageFormat::Jpeg
            | ImageFormat::WebP
            | ImageFormat::Gif
            | ImageFormat::Bmp
            | ImageFormat::Tiff
    )
}

/// The openable formats compiled in, for error messages.
fn supported_names() -> String {
    let names: Vec<&str> = [
        (ImageFormat::Png, "PNG"),
        (ImageFormat::Jpeg, "JPEG"),
        (ImageFormat::WebP, "WebP"),
        (ImageFormat::Gif, "GIF"),
        (ImageFormat::Bmp, "BMP"),
        (ImageFormat::Tiff, "TIFF"),
    ]
    .into_iter()
    .filter(|(f, _)| f.reading_enabled())
    .map(|(_, name)| name)
    .collect();
    names.join(", ")
}

/// Largest ICC profile read or written (after inflating): real profiles
/// are a few KB, the largest in use (device-link, large LUTs) about 1–2 MB.
pub const MAX_ICC_BYTES: usize = 4 << 20;
/// Largest EXIF block read or written: what one JPEG APP1 segment can hold
/// (65,535 bytes less its length field and the `Exif\0\0` header), so every
/// export format can carry whatever is accepted.
pub const MAX_EXIF_BYTES: usize = 65_535 - 2 - 6;

/// The colour profile and EXIF of a source file, which an export can carry
/// over so the result looks the same in colour-managed viewers and keeps its
/// camera data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMetadata {
    /// The embedded ICC profile, as stored (at most [`MAX_ICC_BYTES`]).
    pub icc_profile: Option<Vec<u8>>,
    /// The raw EXIF block (TIFF structure, starting `II*\0` or `MM\0*`), with
    /// its orientation reset to "normal" because the pixels were already
    /// turned upright on import: keeping the tag would turn them again. At
    /// most [`MAX_EXIF_BYTES`].
    pub exif: Option<Vec<u8>>,
}

impl SourceMetadata {
    pub fn is_empty(&self) -> bool {
        self.icc_profile.is_none() && self.exif.is_none()
    }

    /// Refuses a profile or EXIF block beyond the caps. Decoding, project
    /// loading, setting and exporting all apply it, so nothing is written
    /// that could not be read back.
    pub fn check(&self) -> Result<()> {
        check_metadata_len(
            "ICC profile",
            self.icc_profile.as_ref().map(Vec::len),
            MAX_ICC_BYTES,
        )?;
        check_metadata_len(
            "EXIF block",
            self.exif.as_ref().map(Vec::len),
            MAX_EXIF_BYTES,
        )
    }
}

fn check_metadata_len(what: &str, len: Option<usize>, max: usize) -> Result<()> {
    match len {
        Some(len) if len > max => Err(Error::TooLarge(format!(
            "its {what} is {len} bytes, beyond the limit of {max} bytes"
        ))),
        _ => Ok(()),
    }
}

/// Checks a PNG's metadata chunks before any decoder inflates them: an
/// `iCCP` profile is refused when its compressed bytes, or what they inflate
/// to, pass [`MAX_ICC_BYTES`] (inflating stops one byte past the cap, so a
/// profile "bomb" costs at most that much memory); an `eXIf` chunk past
/// [`MAX_EXIF_BYTES`] is refused. Chunks are walked by their length fields
/// only; anything malformed is left for the decoder to report.
fn check_png_metadata(png: &[u8]) -> Result<()> {
    let mut at = 8;
    while let Some(header) = png.get(at..at + 8) {
        let len = u32::from_be_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        let kind = &header[4..8];
        let data = png.get(at + 8..).map(|rest| &rest[..len.min(rest.len())]);
        let data = data.unwrap_or_default();
        match kind {
            b"iCCP" => {
                check_metadata_len("ICC profile (compressed)", Some(len), MAX_ICC_BYTES)?;
                // Profile name, NUL, compression method, then zlib data.
                if let Some(nul) = data.iter().position(|&b| b == 0) {
                    let compressed = data.get(nul + 2..).unwrap_or_default();
                    let mut inflated = Vec::new();
                    let limit = MAX_ICC_BYTES as u64 + 1;
                    let _ = std::io::Read::read_to_end(
                        &mut std::io::Read::take(flate2::read::ZlibDecoder::new(compressed), limit),
                        &mut inflated,
                    );
                    if inflated.len() > MAX_ICC_BYTES {
                        return Err(Error::TooLarge(format!(
                            "its ICC profile inflates beyond the limit of {MAX_ICC_BYTES} bytes"
                        )));
                    }
                }
            }
            b"eXIf" => check_metadata_len("EXIF block", Some(len), MAX_EXIF_BYTES)?,
            b"IEND" => break,
            _ => {}
        }
        // Length, type, data and CRC.
        at = at.saturating_add(12).saturating_add(len);
    }
    Ok(())
}

/// Whether a JPEG's marker stream reaches its end-of-image marker. A JPEG
/// cut short decodes "successfully" as far as the decoder is concerned (the
/// missing blocks come out flat grey), so its end is checked here: segments
/// are skipped by their lengths (an EXIF thumbnail's own end marker sits
/// inside one), entropy-coded data up to the next real marker.
fn jpeg_reaches_end(jpeg: &[u8]) -> bool {
    let next_ff = |from: usize| {
        jpeg.get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xff))
            .map(|offset| from + offset)
    };
    let mut at = 2;
    loop {
        // Stray bytes (tolerated, as libjpeg does) and fill bytes before a marker.
        let Some(ff) = next_ff(at) else {
            return false;
        };
        at = ff;
        while jpeg.get(at) == Some(&0xff) {
            at += 1;
        }
        let Some(&marker) = jpeg.get(at) else {
            return false;
        };
        at += 1;
        match marker {
            0xd9 => return true,
            // Standalone markers (restart, TEM) and stray stuffing.
            0xd0..=0xd7 | 0x01 | 0x00 => continue,
            _ => {}
        }
        let Some(len) = jpeg.get(at..at + 2) else {
            return false;
        };
        at += usize::from(u16::from_be_bytes([len[0], len[1]]));
        if marker == 0xda {
            // Scan data: up to the next 0xFF not followed by a stuffed zero
            // or a restart marker.
            loop {
                let Some(ff) = next_ff(at) else {
                    return false;
                };
                match jpeg.get(ff + 1) {
                    None => return false,
                    Some(0x00 | 0xd0..=0xd7) => at = ff + 2,
                    Some(_) => {
                        at = ff;
                        break;
                    }
                }
            }
        }
    }
}

/// How a decode treats EXIF orientation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Orient {
    /// Turn the pixels upright, as viewers show the file.
    Upright,
    /// Keep the stored pixel order (files inside a project, whose geometry
    /// the project defines).
    AsStored,
}

/// How a decode treats a file whose pixels end early or are damaged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Damage {
    /// An error ([`Error::Truncated`]).
    Refuse,
    /// Keep what could be decoded (the rest is zero: transparent, or black
    /// where the format has no alpha) and say why.
    Accept,
}

/// A decoded image, possibly partial.
struct Decoded {
    image: DynamicImage,
    metadata: SourceMetadata,
    /// Why the pixels are incomplete, when [`Damage::Accept`] kept them.
    damage: Option<String>,
}

fn decode_dynamic(bytes: &[u8], orient: Orient, on_damage: Damage) -> Result<Decoded> {
    let decode_error = |e: image::ImageError| Error::Decode(e.to_string());
    // Metadata chunks first: even reading the header makes the PNG decoder
    // inflate an iCCP chunk (up to the image crate's 512 MiB default).
    if bytes.starts_with(b"\x89PNG") {
        check_png_metadata(bytes)?;
    }
    // Then the header alone, so absurd dimensions are refused before any
    // decoder state or pixel buffer is allocated.
    let probe = reader(bytes)?;
    let format = probe.format();
    let (width, height) = probe.into_dimensions().map_err(decode_error)?;
    check_dimensions(width, height)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    let max_alloc = MAX_PIXELS * 4 + (64 << 20);
    limits.max_alloc = Some(max_alloc);
    let mut reader = reader(bytes)?;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // Decoders re-check the sides in `into_decoder`; the buffer size (16-bit
    // and float formats need more than 4 bytes a pixel) is checked here.
    if decoder.total_bytes() > max_alloc {
        return Err(Error::TooLarge(format!(
            "{width}×{height} at {} bytes a pixel needs more memory than allowed",
            decoder.color_type().bytes_per_pixel()
        )));
    }
    let icc_profile = decoder.icc_profile().ok().flatten();
    // Damaged metadata must not make a readable image unreadable.
    let mut exif = decoder.exif_metadata().ok().flatten();
    let metadata_orientation = match (&mut exif, orient) {
        (Some(chunk), Orient::Upright) => {
            Orientation::remove_from_exif_chunk(chunk).unwrap_or(Orientation::NoTransforms)
        }
        _ => Orientation::NoTransforms,
    };
    let metadata = SourceMetadata { icc_profile, exif };
    metadata.check()?;
    let (width, height) = decoder.dimensions();
    let color = decoder.color_type();
    // The file, the decoder's buffer, its RGBA8 conversion and a turned copy.
    let converted = if color == image::ColorType::Rgba8 {
        0
    } else {
        crate::memory::rgba8(width, height)
    };
    let turned = match metadata_orientation {
        Orientation::NoTransforms | Orientation::FlipHorizontal | Orientation::FlipVertical => 0,
        _ => crate::memory::rgba8(width, height),
    };
    crate::memory::check(
        &format!("decoding a {width}×{height} image"),
        bytes.len() as u64 + decoder.total_bytes() + converted + turned,
    )?;
    let mut buffer = vec![0u8; decoder.total_bytes() as usize];
    let mut damage = decoder.read_image(&mut buffer).err().map(|e| e.to_string());
    if damage.is_none() && format == Some(ImageFormat::Jpeg) && !jpeg_reaches_end(bytes) {
        damage = Some("the JPEG ends before its end-of-image marker".into());
    }
    if let (Some(why), Damage::Refuse) = (&damage, on_damage) {
        return Err(Error::Truncated(why.clone()));
    }
    let mut image = dynamic_from_raw(width, height, color, buffer)?;
    image.apply_orientation(metadata_orientation);
    Ok(Decoded {
        image,
        metadata,
        damage,
    })
}

/// Wraps a decoder's output buffer (native-endian samples) as an image.
fn dynamic_from_raw(
    width: u32,
    height: u32,
    color: image::ColorType,
    bytes: Vec<u8>,
) -> Result<DynamicImage> {
    use image::ColorType as C;
    fn samples<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
        bytes
            .chunks_exact(std::mem::size_of::<T>())
            .map(bytemuck::pod_read_unaligned)
            .collect()
    }
    let image =
        match color {
            C::L8 => ImageBuffer::from_raw(width, height, bytes).map(DynamicImage::ImageLuma8),
            C::La8 => ImageBuffer::from_raw(width, height, bytes).map(DynamicImage::ImageLumaA8),
            C::Rgb8 => ImageBuffer::from_raw(width, height, bytes).map(DynamicImage::ImageRgb8),
            C::Rgba8 => ImageBuffer::from_raw(width, height, bytes).map(DynamicImage::ImageRgba8),
            C::L16 => {
                ImageBuffer::from_raw(width, height, samples(&bytes)).map(DynamicImage::ImageLuma16)
            }
            C::La16 => ImageBuffer::from_raw(width, height, samples(&bytes))
                .map(DynamicImage::ImageLumaA16),
            C::Rgb16 => {
                ImageBuffer::from_raw(width, height, samples(&bytes)).map(DynamicImage::ImageRgb16)
            }
            C::Rgba16 => {
                ImageBuffer::from_raw(width, height, samples(&bytes)).map(DynamicImage::ImageRgba16)
            }
            C::Rgb32F => {
                ImageBuffer::from_raw(width, height, samples(&bytes)).map(DynamicImage::ImageRgb32F)
            }
            C::Rgba32F => ImageBuffer::from_raw(width, height, samples(&bytes))
                .map(DynamicImage::ImageRgba32F),
            _ => None,
        };
    image.ok_or_else(|| Error::Decode(format!("{color:?} pixels are not supported")))
}

/// The width and height in an image file's header (nothing is decoded).
/// A PNG's metadata is checked first, as [`decode_rgba`] does: reading the
/// header alone makes the PNG decoder inflate an iCCP chunk.
pub fn image_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    if bytes.starts_with(b"\x89PNG") {
        check_png_metadata(bytes)?;
    }
    reader(bytes)?
        .into_dimensions()
        .map_err(|e| Error::Decode(e.to_string()))
}

/// Decodes an image file (PNG, JPEG, WebP; GIF's first frame and BMP, and
/// TIFF if its feature is turned on) to RGBA8 (straight alpha), turned
/// upright by its EXIF orientation as viewers show it. A file cut short or
/// damaged part way is an [`Error::Truncated`].
pub fn decode_rgba(bytes: &[u8]) -> Result<RgbaImage> {
    Ok(decode_dynamic(bytes, Orient::Upright, Damage::Refuse)?
        .image
        .into_rgba8())
}

/// Like [`decode_rgba`], also returning the ICC profile and EXIF to carry
/// over to an export (see [`SourceMetadata`]).
pub fn decode_rgba_with_metadata(bytes: &[u8]) -> Result<(RgbaImage, SourceMetadata)> {
    let decoded = decode_dynamic(bytes, Orient::Upright, Damage::Refuse)?;
    Ok((decoded.image.into_rgba8(), decoded.metadata))
}

/// Like [`decode_rgba_with_metadata`], but a truncated or partly damaged
/// file opens with what could be decoded (the rest transparent, or black
/// where the format has no alpha); the third value says why it is
/// incomplete, for a warning. For a user who chose to recover such a file.
pub fn decode_rgba_allowing_damage(
    bytes: &[u8],
) -> Result<(RgbaImage, SourceMetadata, Option<String>)> {
    let decoded = decode_dynamic(bytes, Orient::Upright, Damage::Accept)?;
    Ok((decoded.image.into_rgba8(), decoded.metadata, decoded.damage))
}

/// Decodes a PNG stored inside a project: no orientation is applied, since
/// the project (not the file's metadata) defines where its pixels go.
pub(crate) fn decode_rgba_as_stored(bytes: &[u8]) -> Result<RgbaImage> {
    Ok(decode_dynamic(bytes, Orient::AsStored, Damage::Refuse)?
        .image
        .into_rgba8())
}

/// Decodes a mask: the alpha channel when the image has one, else its luma;
/// turned upright like [`decode_rgba`], so it lines up with the image a
/// viewer shows.
pub fn decode_mask(bytes: &[u8]) -> Result<GrayImage> {
    mask_of(decode_dynamic(bytes, Orient::Upright, Damage::Refuse)?.image)
}

/// Like [`decode_mask`] for a mask stored inside a project (no orientation).
pub(crate) fn decode_mask_as_stored(bytes: &[u8]) -> Result<GrayImage> {
    mask_of(decode_dynamic(bytes, Orient::AsStored, Damage::Refuse)?.image)
}

fn mask_of(img: DynamicImage) -> Result<GrayImage> {
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
    let mut out = Vec::new();
    write_png(image, &mut out)?;
    Ok(out)
}

/// Encodes RGBA8 as PNG into `out` as it goes (the encoded file is never
/// held whole).
pub fn write_png(image: &RgbaImage, out: impl std::io::Write) -> Result<()> {
    write_png_in_bands(
        image.dimensions(),
        &SourceMetadata::default(),
        out,
        |band| band(image.as_raw()),
    )
}

/// Encodes a `width`×`height` RGBA8 PNG into `out` from pixels handed over
/// a band of whole rows at a time: `bands` calls its argument with each
/// band, top to bottom. Neither the pixels nor the file are held whole. The
/// settings are those of image's `PngEncoder` (balanced compression,
/// adaptive filters); the ICC profile and EXIF go into their chunks.
pub fn write_png_in_bands<W: std::io::Write>(
    (width, height): (u32, u32),
    metadata: &SourceMetadata,
    out: W,
    bands: impl FnOnce(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()>,
) -> Result<()> {
    use std::borrow::Cow;
    use std::io::Write;
    let encode = |e: png::EncodingError| Error::Encode(format!("cannot encode the PNG: {e}"));
    let mut info = png::Info::with_size(width, height);
    info.icc_profile = metadata.icc_profile.as_deref().map(Cow::Borrowed);
    info.exif_metadata = metadata.exif.as_deref().map(Cow::Borrowed);
    let mut encoder = png::Encoder::with_info(out, info).map_err(encode)?;
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    encoder.set_filter(png::Filter::Adaptive);
    let mut writer = encoder.write_header().map_err(encode)?;
    let mut stream = writer.stream_writer().map_err(encode)?;
    let expected = u64::from(width) * u64::from(height) * 4;
    let mut written = 0u64;
    bands(&mut |rows: &[u8]| {
        written += rows.len() as u64;
        if written > expected {
            return Err(Error::Encode(format!(
                "more pixels than a {width}×{height} PNG holds"
            )));
        }
        stream
            .write_all(rows)
            .map_err(|e| Error::Encode(format!("cannot encode the PNG: {e}")))
    })?;
    if written != expected {
        return Err(Error::Encode(format!(
            "{written} bytes of pixels for a {width}×{height} PNG, which needs {expected}"
        )));
    }
    stream.finish().map_err(encode)?;
    writer.finish().map_err(encode)
}

/// Encodes a mask as 8-bit greyscale PNG.
pub fn encode_mask_png(mask: &GrayImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_mask_png(mask, &mut out)?;
    Ok(out)
}

/// Encodes a mask as 8-bit greyscale PNG into `out` as it goes.
pub fn write_mask_png(mask: &GrayImage, out: impl std::io::Write) -> Result<()> {
    use image::ImageEncoder;
    image::codecs::png::PngEncoder::new(out)
        .write_image(
            mask.as_raw(),
            mask.width(),
            mask.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(|e| Error::Encode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    #[test]
    fn input_sizes_are_checked_against_the_header() {
        let png = encode_png(&RgbaImage::new(100, 50)).unwrap();
        // 100×50 at 8 bytes a pixel plus the metadata allowance.
        let limit = 100 * 50 * 8 + INPUT_SLACK_BYTES;
        assert!(check_input_size(&png, png.len() as u64).is_ok());
        assert!(check_input_size(&png, limit).is_ok());
        let err = check_input_size(&png, limit + 1).unwrap_err();
        assert!(matches!(err, Error::TooLarge(_)), "{err}");
        let err = check_input_size(b"GIF? no, plain text", 10)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not an OpenRaster project (.ora) nor a PNG, JPEG"),
            "{err}"
        );
        // A project is bounded by what the loader would inflate at most.
        assert!(check_input_size(b"PK\x03\x04rest", 1 << 30).is_ok());
        assert!(check_input_size(b"PK\x03\x04rest", 6 << 30).is_err());
        // A header cut off in the prefix: bounded by the largest image.
        let cut = &png[..12];
        assert!(check_input_size(cut, 1 << 30).is_ok());
        assert!(check_input_size(cut, MAX_PIXELS * 8 + INPUT_SLACK_BYTES + 1).is_err());
    }

    #[test]
    fn round_trips_png() {
        let img = RgbaImage::from_fn(5, 3, |x, y| {
            image::Rgba([x as u8 * 40, y as u8 * 80, 7, 128 + x as u8])
        });
        assert_eq!(decode_rgba(&encode_png(&img).unwrap()).unwrap(), img);
    }

    #[test]
    fn region_copies_inside_and_refuses_outside() {
        let mask = GrayImage::from_fn(6, 4, |x, y| image::Luma([(y * 6 + x) as u8]));
        let part = region(&mask, "mask", (2, 1, 3, 2)).unwrap();
        assert_eq!(part.into_raw(), [8, 9, 10, 14, 15, 16]);
        for outside in [(4, 0, 3, 1), (0, 3, 1, 2), (u32::MAX, 0, 2, 1)] {
            let error = region(&mask, "mask", outside).unwrap_err().to_string();
            assert!(error.contains("not inside the 6×4 mask"), "{error}");
        }
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
            Err(Error::Truncated(_))
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

    /// A little-endian EXIF block (TIFF header, one IFD) holding only the
    /// orientation tag (0x0112, SHORT), written by hand so the test does not
    /// depend on any EXIF writer.
    fn exif_with_orientation(orientation: u8) -> Vec<u8> {
        let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
        tiff.extend_from_slice(&[1, 0]); // one entry
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0]);
        tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
        tiff
    }

    /// A JPEG of `image` with an APP1 "Exif" segment inserted by hand
    /// right after the SOI marker.
    fn jpeg_with_exif(image: &image::RgbImage, exif: &[u8]) -> Vec<u8> {
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
            .encode_image(image)
            .unwrap();
        assert_eq!(&plain[..2], &[0xff, 0xd8]);
        let length = (2 + 6 + exif.len()) as u16;
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe1];
        jpeg.extend_from_slice(&length.to_be_bytes());
        jpeg.extend_from_slice(b"Exif\0\0");
        jpeg.extend_from_slice(exif);
        jpeg.extend_from_slice(&plain[2..]);
        jpeg
    }

    /// 32×16: left half red, right half blue (whole 8×8 JPEG blocks, so
    /// the colours survive compression).
    fn halves() -> image::RgbImage {
        image::RgbImage::from_fn(32, 16, |x, _| {
            if x < 16 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        })
    }

    fn is_red(p: &image::Rgba<u8>) -> bool {
        p.0[0] > 200 && p.0[2] < 60
    }

    fn is_blue(p: &image::Rgba<u8>) -> bool {
        p.0[2] > 200 && p.0[0] < 60
    }

    #[test]
    fn jpeg_exif_orientation_is_applied_and_reset() {
        // 6: the camera was turned 90° clockwise; viewers rotate the stored
        // pixels 90° clockwise, so the red left half ends up on top.
        let jpeg = jpeg_with_exif(&halves(), &exif_with_orientation(6));
        let (upright, metadata) = decode_rgba_with_metadata(&jpeg).unwrap();
        assert_eq!(upright.dimensions(), (16, 32));
        assert!(
            is_red(upright.get_pixel(8, 4)),
            "{:?}",
            upright.get_pixel(8, 4)
        );
        assert!(is_blue(upright.get_pixel(8, 28)));
        assert_eq!(decode_rgba(&jpeg).unwrap(), upright);
        // The EXIF is kept, with the orientation now "normal" (1).
        let exif = metadata.exif.unwrap();
        assert_eq!(exif, exif_with_orientation(1));
        assert_eq!(metadata.icc_profile, None);
        // 3: upside down; 8: 90° counter-clockwise (red half at the bottom).
        let flipped = decode_rgba(&jpeg_with_exif(&halves(), &exif_with_orientation(3))).unwrap();
        assert_eq!(flipped.dimensions(), (32, 16));
        assert!(is_blue(flipped.get_pixel(4, 8)) && is_red(flipped.get_pixel(28, 8)));
        let left = decode_rgba(&jpeg_with_exif(&halves(), &exif_with_orientation(8))).unwrap();
        assert_eq!(left.dimensions(), (16, 32));
        assert!(is_blue(left.get_pixel(8, 4)) && is_red(left.get_pixel(8, 28)));
        // A masks follows its image.
        let mask = decode_mask(&jpeg_with_exif(&halves(), &exif_with_orientation(6))).unwrap();
        assert_eq!(mask.dimensions(), (16, 32));
    }

    #[test]
    fn png_orientation_applies_on_import_but_not_inside_projects() {
        let img = RgbaImage::from_fn(3, 2, |x, y| image::Rgba([x as u8, y as u8, 0, 255]));
        let mut png = Vec::new();
        let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
        encoder.set_exif_metadata(exif_with_orientation(3)).unwrap();
        encoder
            .write_image(&img, 3, 2, image::ExtendedColorType::Rgba8)
            .unwrap();
        let upright = decode_rgba(&png).unwrap();
        assert_eq!(upright.get_pixel(0, 0).0, [2, 1, 0, 255]);
        assert_eq!(decode_rgba_as_stored(&png).unwrap(), img);
    }

    #[test]
    fn metadata_round_trips_through_every_export_format() {
        use crate::doc::export::{export_image_with_metadata, ExportFormat, SizePreset};
        let (img, metadata) =
            decode_rgba_with_metadata(&jpeg_with_exif(&halves(), &exif_with_orientation(6)))
                .unwrap();
        let metadata = SourceMetadata {
            icc_profile: Some(b"not a real profile, but bytes to carry".to_vec()),
            ..metadata
        };
        for format in [
            ExportFormat::Png,
            ExportFormat::Jpeg { quality: 90 },
            ExportFormat::WebP,
        ] {
            let bytes =
                export_image_with_metadata(&img, format, SizePreset::Original, &metadata).unwrap();
            let (again, kept) = decode_rgba_with_metadata(&bytes).unwrap();
            assert_eq!(kept, metadata, "{format:?}");
            // Orientation was reset, so the export is not turned again.
            assert_eq!(again.dimensions(), (16, 32), "{format:?}");
            let plain =
                crate::doc::export::export_image(&img, format, SizePreset::Original).unwrap();
            assert!(decode_rgba_with_metadata(&plain).unwrap().1.is_empty());
        }
    }

    #[test]
    fn gif_opens_its_first_frame_and_bmp_opens() {
        use image::codecs::gif::GifEncoder;
        let frame =
            |v: u8| image::Frame::new(RgbaImage::from_pixel(6, 4, image::Rgba([v, 0, 0, 255])));
        let mut gif = Vec::new();
        GifEncoder::new(&mut gif)
            .encode_frames([frame(200), frame(50)])
            .unwrap();
        let first = decode_rgba(&gif).unwrap();
        assert_eq!(first.dimensions(), (6, 4));
        assert!(first.pixels().all(|p| p.0 == [200, 0, 0, 255]));

        let img = RgbaImage::from_fn(5, 3, |x, y| image::Rgba([x as u8, y as u8, 7, 255]));
        let mut bmp = Vec::new();
        image::codecs::bmp::BmpEncoder::new(&mut bmp)
            .write_image(&img, 5, 3, image::ExtendedColorType::Rgba8)
            .unwrap();
        assert_eq!(decode_rgba(&bmp).unwrap(), img);

        // The limits hold for these formats too: headers claiming absurd
        // sizes are refused before decoding.
        let mut huge_gif = gif.clone();
        huge_gif[6..8].copy_from_slice(&20_000u16.to_le_bytes());
        // The first frame's descriptor (after the global colour table) also
        // claims a huge width.
        let descriptor = huge_gif.iter().position(|&b| b == 0x2c).unwrap();
        huge_gif[descriptor + 5..descriptor + 7].copy_from_slice(&20_000u16.to_le_bytes());
        let error = decode_rgba(&huge_gif).unwrap_err();
        assert!(matches!(error, Error::TooLarge(_)), "{error:?}");
        let mut huge_bmp = bmp.clone();
        huge_bmp[18..22].copy_from_slice(&20_000i32.to_le_bytes());
        huge_bmp[22..26].copy_from_slice(&20_000i32.to_le_bytes());
        let error = decode_rgba(&huge_bmp).unwrap_err();
        assert!(matches!(error, Error::TooLarge(_)), "{error:?}");
    }

    #[test]
    fn tiff_is_refused_by_name() {
        // TIFF is not compiled in (its decoder adds ~290 KB of wasm).
        let tiff = b"II\x2a\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00";
        let error = decode_rgba(tiff).unwrap_err().to_string();
        assert!(error.contains("Tiff files are not supported"), "{error}");
        assert!(error.contains("PNG, JPEG, WebP, GIF, BMP"), "{error}");
    }

    /// The writer never writes what the reader refuses: around both caps,
    /// setting the metadata on a document, saving and reopening it, and
    /// exporting it in every format either all succeed and give back the
    /// same bytes, or all refuse.
    #[test]
    fn metadata_caps_agree_between_writers_and_readers() {
        use crate::doc::export::{export_image_with_metadata, ExportFormat, SizePreset};
        use crate::doc::Document;
        let img = RgbaImage::from_fn(16, 8, |x, y| {
            image::Rgba([x as u8 * 9, y as u8 * 20, 50, 255])
        });
        let exif_of = |len: usize| {
            let mut exif = exif_with_orientation(1);
            exif.resize(len, 0xa5);
            exif
        };
        let cases = [
            (Some(MAX_ICC_BYTES), None),
            (Some(MAX_ICC_BYTES + 1), None),
            (None, Some(MAX_EXIF_BYTES)),
            (None, Some(MAX_EXIF_BYTES + 1)),
            (Some(3000), Some(200)),
        ];
        for (icc, exif) in cases {
            let metadata = SourceMetadata {
                icc_profile: icc.map(|len| (0..len).map(|i| (i * 7 % 251) as u8).collect()),
                exif: exif.map(exif_of),
            };
            let within =
                icc.is_none_or(|l| l <= MAX_ICC_BYTES) && exif.is_none_or(|l| l <= MAX_EXIF_BYTES);
            let mut doc = Document::new(16, 8).unwrap();
            let set = doc.set_source_metadata(metadata.clone());
            assert_eq!(set.is_ok(), within, "{icc:?} {exif:?}: {set:?}");
            if within {
                let reopened = Document::from_ora(&doc.to_ora().unwrap()).unwrap();
                assert_eq!(reopened.source_metadata(), &metadata);
            } else {
                assert!(matches!(set, Err(Error::TooLarge(_))));
                assert!(
                    doc.source_metadata().is_empty(),
                    "a refused set changed nothing"
                );
            }
            for format in [
                ExportFormat::Png,
                ExportFormat::Jpeg { quality: 90 },
                ExportFormat::WebP,
            ] {
                let exported =
                    export_image_with_metadata(&img, format, SizePreset::Original, &metadata);
                assert_eq!(exported.is_ok(), within, "{format:?} {icc:?} {exif:?}");
                if let Ok(bytes) = exported {
                    let (_, read) = decode_rgba_with_metadata(&bytes).unwrap();
                    assert_eq!(read, metadata, "{format:?} {icc:?} {exif:?}");
                }
            }
        }
    }

    #[test]
    fn a_png_exif_chunk_past_the_cap_is_refused() {
        let img = RgbaImage::new(4, 4);
        let mut png = Vec::new();
        let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
        let mut exif = exif_with_orientation(1);
        exif.resize(MAX_EXIF_BYTES + 1, 0);
        encoder.set_exif_metadata(exif).unwrap();
        encoder
            .write_image(&img, 4, 4, image::ExtendedColorType::Rgba8)
            .unwrap();
        let error = decode_rgba(&png).unwrap_err().to_string();
        assert!(error.contains("EXIF block"), "{error}");
    }

    #[test]
    fn truncated_jpeg_is_an_error_unless_damage_is_allowed() {
        let photo = image::load_from_memory(include_bytes!("../../web/samples/base.png"))
            .unwrap()
            .into_rgb8();
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
            .encode_image(&photo)
            .unwrap();
        assert!(jpeg_reaches_end(&jpeg));
        let whole = decode_rgba(&jpeg).unwrap();
        // With an EXIF block (whose own bytes could hold 0xFFD9) and trailing
        // bytes after the end marker, as some cameras write.
        let mut with_extras = jpeg_with_exif(&halves(), &[0xff, 0xd9, 0, 0, 0, 0, 0, 0]);
        with_extras.extend_from_slice(b"trailer");
        assert!(jpeg_reaches_end(&with_extras));
        for keep in [0.3, 0.9, 0.999] {
            let cut = &jpeg[..(jpeg.len() as f64 * keep) as usize];
            assert!(!jpeg_reaches_end(cut));
            let error = decode_rgba(cut).unwrap_err();
            assert!(matches!(error, Error::Truncated(_)), "{keep}: {error:?}");
            let (partial, _, damage) = decode_rgba_allowing_damage(cut).unwrap();
            assert!(damage.is_some(), "{keep}");
            assert_eq!(partial.dimensions(), whole.dimensions());
            // The top eighth decodes as in the whole file.
            let rows = (whole.height() / 8) as usize * whole.width() as usize * 4;
            assert_eq!(partial.as_raw()[..rows], whole.as_raw()[..rows], "{keep}");
        }
        let (_, _, damage) = decode_rgba_allowing_damage(&jpeg).unwrap();
        assert_eq!(damage, None);
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
