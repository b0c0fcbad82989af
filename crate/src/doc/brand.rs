//! The document's brand kit: style text and a palette added to every provider prompt, and
//! reference images sent with each job to providers that take them.
//!
//! It lives in the layer stack, so changing it is an undoable step like any edit (the
//! changes are small: text, a few colours, or one reference image inserted or removed; the
//! commands are in `brand_commands`, which builds on this module, not the other way round).
//! Reference images are normalised here once, when added: decoded with the image limits,
//! scaled down to [`MAX_REFERENCE_SIDE`] on the long side and re-encoded as PNG, so what
//! the page shows, sends and saves is the same small PNG. Fonts and named text styles are
//! in `brand_type`.

use super::brand_type::{BrandFont, NamedTextStyle};
use super::export::SizePreset;
use super::text::FontTable;
use crate::image_io;
use crate::ops::resample::{self, ResizeOptions};
use crate::provider;
use crate::{Error, Result};
use std::io::Cursor;

/// Most reference images a kit holds (OpenAI takes 16 images an edit, Gemini a few more).
pub const MAX_REFERENCES: usize = 8;
/// Longest side of a stored reference image: providers work at about 1 MP, so larger
/// references only cost upload time.
pub const MAX_REFERENCE_SIDE: u32 = 1024;
/// Largest reference file accepted before decoding (a big camera JPEG fits).
pub const MAX_REFERENCE_FILE_BYTES: usize = 64 << 20;
/// Most palette colours.
pub const MAX_PALETTE: usize = 16;
/// Longest style text, in characters: it goes into every prompt.
pub const MAX_STYLE_CHARS: usize = 2000;

/// See the module docs. Colours are sRGB; references are normalised PNG bytes; the fonts
/// and named text styles are [`super::brand_type`]'s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrandKit {
    pub style: String,
    pub palette: Vec<[u8; 3]>,
    pub references: Vec<Vec<u8>>,
    pub fonts: Vec<BrandFont>,
    pub text_styles: Vec<NamedTextStyle>,
}

impl BrandKit {
    pub fn is_empty(&self) -> bool {
        self.style.trim().is_empty()
            && self.palette.is_empty()
            && self.references.is_empty()
            && self.fonts.is_empty()
            && self.text_styles.is_empty()
    }

    /// The kit's fonts by key, to store them beside what names them.
    pub(crate) fn font_table(&self) -> FontTable {
        self.fonts
            .iter()
            .map(|f| (f.font.key().to_owned(), f.font.clone()))
            .collect()
    }

    /// The palette as `#rrggbb` strings.
    pub fn palette_hex(&self) -> Vec<String> {
        self.palette.iter().map(|&c| format_colour(c)).collect()
    }

    /// The style and palette as a provider job carries them (the plan puts them in the
    /// prompt); `None` when neither is set.
    pub fn prompt_kit(&self) -> Option<provider::BrandKit> {
        (!self.style.trim().is_empty() || !self.palette.is_empty()).then(|| provider::BrandKit {
            style: self.style.trim().to_owned(),
            palette: self.palette_hex(),
        })
    }
}

/// Parses `#rrggbb` (either case).
pub fn parse_colour(text: &str) -> Result<[u8; 3]> {
    let bad = || {
        Error::param(
            "palette",
            format!("'{text}' is not a colour written as #rrggbb"),
        )
    };
    let hex = text.strip_prefix('#').ok_or_else(bad)?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([channel(0)?, channel(2)?, channel(4)?])
}

/// `#rrggbb`, lower case.
pub fn format_colour([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Checks style text against the limits.
pub fn check_style(style: &str) -> Result<()> {
    let chars = style.chars().count();
    if chars > MAX_STYLE_CHARS {
        return Err(Error::param(
            "style",
            format!("is {chars} characters; at most {MAX_STYLE_CHARS} are kept"),
        ));
    }
    Ok(())
}

/// Parses a palette of `#rrggbb` strings, all or nothing.
pub fn parse_palette<S: AsRef<str>>(colours: &[S]) -> Result<Vec<[u8; 3]>> {
    if colours.len() > MAX_PALETTE {
        return Err(Error::param(
            "palette",
            format!(
                "has {} colours; at most {MAX_PALETTE} are kept",
                colours.len()
            ),
        ));
    }
    colours.iter().map(|c| parse_colour(c.as_ref())).collect()
}

/// A reference image as the kit stores it: any image file the editor opens, turned upright,
/// scaled down to [`MAX_REFERENCE_SIDE`] on the long side, as PNG.
pub fn normalise_reference(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.len() > MAX_REFERENCE_FILE_BYTES {
        return Err(Error::TooLarge(format!(
            "the reference image is {} bytes; at most {MAX_REFERENCE_FILE_BYTES} are accepted",
            bytes.len()
        )));
    }
    let image = image_io::decode_rgba(bytes)?;
    let (w, h) = image.dimensions();
    if w.max(h) <= MAX_REFERENCE_SIDE {
        return image_io::encode_png(&image);
    }
    // The SIMD resampler: a camera photo shrinks in well under a second, also in wasm.
    let (tw, th) = SizePreset::LongEdge(MAX_REFERENCE_SIDE).output_size(w, h)?;
    image_io::encode_png(&resample::resize_cpu(&image, &ResizeOptions::new(tw, th))?)
}

/// Checks a reference PNG read from a project: within [`MAX_REFERENCE_SIDE`] and decodable.
/// Kept as stored (it was normalised when added).
pub(crate) fn check_stored_reference(png: &[u8]) -> Result<()> {
    let (w, h) = image::ImageReader::with_format(Cursor::new(png), image::ImageFormat::Png)
        .into_dimensions()
        .map_err(|e| Error::Decode(format!("a brand reference is not a readable PNG: {e}")))?;
    if w.max(h) > MAX_REFERENCE_SIDE {
        return Err(Error::TooLarge(format!(
            "a brand reference is {w}×{h}; at most {MAX_REFERENCE_SIDE} px a side are stored"
        )));
    }
    image_io::decode_rgba(png).map(|_| ())
}
