//! Font files: checked once when they are opened, then shared cheaply (the
//! bytes sit behind an `Arc`, so a text layer, its history steps and the
//! renderer all hold the same file).

use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The largest font file accepted (CJK fonts run to 20 MB; anything past
/// this is more likely damaged or hostile than a font).
pub const MAX_FONT_BYTES: usize = 64 << 20;

/// An OpenType font (TrueType or CFF outlines) that has passed [`Font::from_bytes`].
#[derive(Clone)]
pub struct Font {
    name: String,
    data: Arc<[u8]>,
    /// SHA-256 of the file (hex): how projects and the autosave refer to it.
    key: Arc<str>,
    units_per_em: f32,
    ascender: f32,
    descender: f32,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Font({:?}, {} bytes)", self.name, self.data.len())
    }
}

impl PartialEq for Font {
    fn eq(&self, other: &Font) -> bool {
        self.name == other.name && self.key == other.key
    }
}

impl Font {
    /// Checks `bytes` as a font file named `name` (what messages call it):
    /// it must parse, map Unicode characters to glyphs and carry outlines.
    /// WOFF and WOFF2 web fonts are unpacked to the font they carry; font
    /// collections are refused with what to do instead.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<Font> {
        let refuse = |why: &str| Error::param("font", format!("'{name}' {why}"));
        if bytes.len() > MAX_FONT_BYTES {
            return Err(refuse(&format!(
                "is {} bytes; fonts are limited to {MAX_FONT_BYTES}",
                bytes.len()
            )));
        }
        // A web font is the TrueType/OpenType file it carries: that is what is kept, drawn,
        // and saved into projects (so a reader never needs a WOFF decoder).
        let bytes = match bytes.get(..4) {
            Some(b"wOF2") => unwrap_web_font(name, "WOFF2", wuff::decompress_woff2(&bytes))?,
            Some(b"wOFF") => unwrap_web_font(name, "WOFF", wuff::decompress_woff1(&bytes))?,
            _ => bytes,
        };
        if bytes.starts_with(b"ttcf") {
            return Err(refuse(
                "is a font collection (TTC): use one of its fonts as a TTF or OTF file",
            ));
        }
        let face = ttf_parser::Face::parse(&bytes, 0)
            .map_err(|e| refuse(&format!("is not a readable TrueType/OpenType font ({e})")))?;
        let units_per_em = face.units_per_em();
        if !(16..=16384).contains(&units_per_em) {
            return Err(refuse(&format!(
                "has {units_per_em} units per em (16 to 16384 are valid)"
            )));
        }
        let has_unicode_cmap = face
            .tables()
            .cmap
            .is_some_and(|cmap| cmap.subtables.into_iter().any(|s| s.is_unicode()));
        if !has_unicode_cmap {
            return Err(refuse("maps no Unicode characters to glyphs (no cmap)"));
        }
        let tables = face.tables();
        if tables.glyf.is_none() && tables.cff.is_none() && tables.cff2.is_none() {
            return Err(refuse(
                "has no glyph outlines (only TrueType and CFF outlines are drawn)",
            ));
        }
        let (ascender, descender) = (f32::from(face.ascender()), f32::from(face.descender()));
        if ascender <= descender {
            return Err(refuse("has an ascender below its descender"));
        }
        let key: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Font {
            name: name.to_string(),
            key: Arc::from(key),
            units_per_em: f32::from(units_per_em),
            ascender,
            descender,
            data: Arc::from(bytes),
        })
    }

    /// The name it was opened under (a file name or a brand kit's label).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SHA-256 of the file in hex, naming it in projects and the autosave.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The same file under another name (the bytes are shared, not copied).
    pub fn renamed(&self, name: &str) -> Font {
        Font {
            name: name.to_string(),
            ..self.clone()
        }
    }

    /// [`Font::key`], shared (the glyph cache keys on it).
    pub(crate) fn shared_key(&self) -> Arc<str> {
        self.key.clone()
    }

    /// The font file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The parsed face; cheap (it reads the table directory), and never
    /// fails for a font that passed [`Font::from_bytes`].
    pub(crate) fn face(&self) -> rustybuzz::Face<'_> {
        rustybuzz::Face::from_slice(&self.data, 0).expect("checked when the font was opened")
    }

    /// Pixels per font unit at `size` px per em.
    pub(crate) fn scale(&self, size: f32) -> f32 {
        size / self.units_per_em
    }

    /// Height above the baseline, in font units (hhea/OS/2).
    pub(crate) fn ascender(&self) -> f32 {
        self.ascender
    }

    /// Depth below the baseline, in font units (negative).
    pub(crate) fn descender(&self) -> f32 {
        self.descender
    }
}

/// The TrueType/OpenType file inside a WOFF or WOFF2 web font (`kind`), decoded, or why not.
fn unwrap_web_font(
    name: &str,
    kind: &str,
    decoded: std::result::Result<Vec<u8>, wuff::WuffErr>,
) -> Result<Vec<u8>> {
    let refuse = |why: String| Error::param("font", format!("'{name}' {why}"));
    let font = decoded.map_err(|_| {
        refuse(format!(
            "is a damaged {kind} web font (its tables do not decompress): use another copy, or \
             its TTF or OTF file"
        ))
    })?;
    if font.len() > MAX_FONT_BYTES {
        return Err(refuse(format!(
            "unpacks to {} bytes; fonts are limited to {MAX_FONT_BYTES}",
            font.len()
        )));
    }
    Ok(font)
}
