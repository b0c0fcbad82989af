//! Reading inputs and writing outputs for the CLI. Every error names the
//! file it is about; every output goes through the core's atomic write.

use image::RgbaImage;
use retouch::image_io::{self, SourceMetadata};
use retouch::{Error, Result};
use std::path::Path;

pub use retouch::atomic_write::{write_atomic, write_atomic_with};

/// Reads a whole file, naming it in the error, after checking from its
/// first bytes and its length that it is an image or project of a
/// plausible size ([`image_io::check_input_size`]): nothing huge is read
/// only to be refused.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let cannot = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    let mut bytes = Vec::new();
    (&mut file)
        .take(image_io::INPUT_PREFIX_BYTES as u64)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    image_io::check_input_size(&bytes, len).map_err(|e| in_file(path, e))?;
    file.read_to_end(&mut bytes).map_err(cannot)?;
    Ok(bytes)
}

/// Opens a project for reading as it is needed (the zip's directory, then
/// one entry at a time), naming the file in the error: a project is never
/// read whole into memory.
pub fn open_project_file(path: &Path) -> Result<std::io::BufReader<std::fs::File>> {
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))
}

/// An error about the file at `path`, named in the message (parameter
/// errors stay parameter errors).
pub fn in_file(path: &Path, error: Error) -> Error {
    match error {
        Error::InvalidParameter { .. } | Error::Io(_) => error,
        Error::Truncated(_) => Error::Io(format!(
            "{}: {error} (--allow-partial opens what can be decoded)",
            path.display()
        )),
        other => Error::Io(format!("{}: {other}", path.display())),
    }
}

/// Reads and decodes an image with its metadata. A truncated or damaged
/// file is an error unless `allow_partial`, which opens what can be decoded
/// and prints a warning naming the file.
pub fn open_image(path: &Path, allow_partial: bool) -> Result<(RgbaImage, SourceMetadata)> {
    decode_image(path, &read(path)?, allow_partial)
}

/// [`open_image`] of the file's bytes, already read.
pub fn decode_image(
    path: &Path,
    bytes: &[u8],
    allow_partial: bool,
) -> Result<(RgbaImage, SourceMetadata)> {
    if !allow_partial {
        return image_io::decode_rgba_with_metadata(bytes).map_err(|e| in_file(path, e));
    }
    let (image, metadata, damage) =
        image_io::decode_rgba_allowing_damage(bytes).map_err(|e| in_file(path, e))?;
    if let Some(why) = damage {
        eprintln!(
            "retouch: warning: {}: the image is truncated or damaged ({why}); \
             opened what could be decoded, the rest is empty",
            path.display()
        );
    }
    Ok((image, metadata))
}

/// Reads and decodes a mask, naming the file in errors.
pub fn open_mask(path: &Path) -> Result<image::GrayImage> {
    image_io::decode_mask(&read(path)?).map_err(|e| in_file(path, e))
}

/// Encodes by the output's extension: PNG only for now.
pub fn encode_for(path: &Path, image: &image::RgbaImage) -> Result<Vec<u8>> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => retouch::image_io::encode_png(image),
        _ => Err(Error::param(
            "output",
            format!("{}: only .png output is supported", path.display()),
        )),
    }
}
