//! Reading inputs and writing outputs for the CLI.

use retouch::{Error, Result};
use std::path::Path;

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, renamed
/// into place, so a failure never leaves a partial output.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::Io(format!("{} is not a file name", path.display())))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::Io(format!("cannot write {}: {e}", path.display()))
    })
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
