//! Opening an image without blocking the page: a worker decodes the file
//! (`decodeImageFile`) and hands the pixels and metadata over; the page's
//! core makes the document of them (`Project.fromDecodedImage`).

use super::doc::Project;
use super::js_error;
use crate::doc::Document;
use crate::image_io::{self, SourceMetadata};
use image::RgbaImage;
use wasm_bindgen::prelude::*;

/// An image file decoded as `Project.fromImageFile` does (upright, with its
/// ICC profile and EXIF), for handing over to another thread.
#[wasm_bindgen]
pub struct DecodedImage {
    pixels: RgbaImage,
    source: SourceMetadata,
}

/// How many of a file's first bytes `checkInputSize` wants to see.
#[wasm_bindgen(js_name = inputPrefixBytes)]
pub fn input_prefix_bytes() -> u32 {
    image_io::INPUT_PREFIX_BYTES as u32
}

/// Checks a file from its first bytes and its length before the page reads
/// it whole ([`image_io::check_input_size`]): an image or project no larger
/// than its header's size makes plausible, else an error saying why.
#[wasm_bindgen(js_name = checkInputSize)]
pub fn check_input_size(prefix: &[u8], file_len: f64) -> Result<(), JsError> {
    image_io::check_input_size(prefix, file_len.max(0.0) as u64).map_err(js_error)
}

/// Decodes an image file (PNG, JPEG, WebP, ...) within the image limits.
#[wasm_bindgen(js_name = decodeImageFile)]
pub fn decode_image_file(bytes: &[u8]) -> Result<DecodedImage, JsError> {
    let (pixels, source) = image_io::decode_rgba_with_metadata(bytes).map_err(js_error)?;
    Ok(DecodedImage { pixels, source })
}

#[wasm_bindgen]
impl DecodedImage {
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.pixels.width()
    }

    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.pixels.height()
    }

    /// The RGBA bytes (moved out: a second call is empty).
    #[wasm_bindgen(js_name = takeRgba)]
    pub fn take_rgba(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pixels).into_raw()
    }

    #[wasm_bindgen(getter, js_name = iccProfile)]
    pub fn icc_profile(&self) -> Option<Vec<u8>> {
        self.source.icc_profile.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn exif(&self) -> Option<Vec<u8>> {
        self.source.exif.clone()
    }
}

#[wasm_bindgen]
impl Project {
    /// A project of pixels a worker decoded (`decodeImageFile`): one
    /// "Background" layer, the metadata kept for exports; history empty.
    #[wasm_bindgen(js_name = fromDecodedImage)]
    pub fn from_decoded_image(
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        icc_profile: Option<Vec<u8>>,
        exif: Option<Vec<u8>>,
    ) -> Result<Project, JsError> {
        image_io::check_dimensions(width, height).map_err(js_error)?;
        let got = rgba.len();
        let pixels = RgbaImage::from_raw(width, height, rgba).ok_or_else(|| {
            JsError::new(&format!("{got} bytes are not {width}×{height} RGBA pixels"))
        })?;
        let source = SourceMetadata { icc_profile, exif };
        Ok(Project::wrap(
            Document::from_decoded_image(pixels, source).map_err(js_error)?,
        ))
    }
}
