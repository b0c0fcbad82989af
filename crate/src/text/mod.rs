//! Type: text set in real fonts and rendered by the core, so the page, the
//! CLI and the host panels produce the same pixels from the same source.
//!
//! - [`font`]: font files, checked when opened ([`Font::from_bytes`]).
//! - [`layout`]: shaping (rustybuzz, HarfBuzz's rules: kerning, ligatures,
//!   Arabic joining, Indic reordering, mark positioning), font fallback per
//!   character, bidirectional order (UAX #9), line breaking to a box width
//!   (UAX #14), alignment, line height and tracking.
//! - [`render`]: anti-aliased coverage (exact area coverage of the outlines,
//!   no hinting) → RGBA8 straight alpha, with an optional outside stroke and
//!   drop shadow; `glyph_cache` keeps rasterised glyphs between renders
//!   (bit for bit what rasterising again gives), so re-rendering while
//!   typing only rasterises what moved.
//!
//! Everything is f32 arithmetic without transcendental functions in the
//! glyph path, so native and wasm builds give the same bits.

pub mod font;
mod glyph_cache;
pub mod layout;
pub mod render;
#[cfg(test)]
mod tests;

pub use font::Font;
pub use layout::{layout, LineCarets, PlacedGlyph, TextLayout};
pub use render::{render, render_rotated, turn_point, Bounds, Placement, RenderedText};

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The longest text accepted, in characters: a long article fits; past it
/// a layer would be a document of its own.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The largest font size, in pixels per em.
pub const MAX_SIZE: f32 = 1000.0;
/// The widest stroke and the largest shadow blur or offset, in pixels.
pub const MAX_EFFECT_PX: f32 = 200.0;

/// How lines sit in the text box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

impl std::str::FromStr for Align {
    type Err = Error;
    fn from_str(s: &str) -> Result<Align> {
        match s {
            "left" => Ok(Align::Left),
            "center" => Ok(Align::Center),
            "right" => Ok(Align::Right),
            _ => Err(Error::param(
                "align",
                format!("'{s}' is not left, center or right"),
            )),
        }
    }
}

/// An outline drawn around the glyphs, outside them (the fill stays whole).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    /// Pixels beyond the outline.
    pub width: f32,
    /// RGBA, straight alpha.
    pub color: [u8; 4],
}

/// A blurred copy of the text (fill and stroke) under it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shadow {
    /// Offset in pixels (right, down).
    pub dx: f32,
    pub dy: f32,
    /// Feather radius in pixels (σ = radius / 2, as the selection feather).
    pub blur: f32,
    /// RGBA, straight alpha.
    pub color: [u8; 4],
}

/// Everything about how a text is set, apart from the string and the font.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextStyle {
    /// Pixels per em.
    pub size: f32,
    /// Baseline to baseline, as a multiple of the size.
    pub line_height: f32,
    /// Extra space after every character, in thousandths of an em (as in
    /// design tools); negative tightens.
    pub tracking: f32,
    /// RGBA, straight alpha.
    pub color: [u8; 4],
    pub align: Align,
    /// The box width lines are broken to, in pixels; none: one line per paragraph.
    pub width: Option<f32>,
    pub stroke: Option<Stroke>,
    pub shadow: Option<Shadow>,
}

impl TextStyle {
    /// Black, left-aligned, line height 1.2, no tracking, box or effects.
    pub fn new(size: f32) -> TextStyle {
        TextStyle {
            size,
            line_height: 1.2,
            tracking: 0.0,
            color: [0, 0, 0, 255],
            align: Align::Left,
            width: None,
            stroke: None,
            shadow: None,
        }
    }

    /// Refuses values no renderer should meet, naming the parameter.
    pub fn validate(&self) -> Result<()> {
        let in_range = |name: &str, v: f32, lo: f32, hi: f32, unit: &str| {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(Error::param(
                    name,
                    format!("{v} is outside {lo} to {hi}{unit}"),
                ))
            }
        };
        in_range("size", self.size, 1.0, MAX_SIZE, " px")?;
        in_range("line height", self.line_height, 0.5, 5.0, " × the size")?;
        in_range(
            "tracking",
            self.tracking,
            -500.0,
            2000.0,
            " thousandths of an em",
        )?;
        if let Some(width) = self.width {
            in_range("width", width, 1.0, 16384.0, " px")?;
        }
        if let Some(stroke) = self.stroke {
            in_range("stroke width", stroke.width, 0.0, MAX_EFFECT_PX, " px")?;
        }
        if let Some(shadow) = self.shadow {
            in_range(
                "shadow offset",
                shadow.dx,
                -MAX_EFFECT_PX,
                MAX_EFFECT_PX,
                " px",
            )?;
            in_range(
                "shadow offset",
                shadow.dy,
                -MAX_EFFECT_PX,
                MAX_EFFECT_PX,
                " px",
            )?;
            in_range("shadow blur", shadow.blur, 0.0, MAX_EFFECT_PX, " px")?;
        }
        Ok(())
    }
}

/// Checks the string: not empty, not past [`MAX_TEXT_CHARS`].
pub fn validate_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::param("text", "is empty: type something to set"));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Error::param(
            "text",
            format!("has {chars} characters; a text layer holds at most {MAX_TEXT_CHARS}"),
        ));
    }
    Ok(())
}

/// Parses `#RRGGBB` or `#RRGGBBAA` (the CLI's and the page's colour form).
pub fn parse_color(name: &str, value: &str) -> Result<[u8; 4]> {
    let hex = value.strip_prefix('#').unwrap_or(value);
    let bad = || {
        Error::param(
            name,
            format!("'{value}' is not a colour like #RRGGBB or #RRGGBBAA"),
        )
    };
    if !(hex.len() == 6 || hex.len() == 8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    let alpha = if hex.len() == 8 { byte(6)? } else { 255 };
    Ok([byte(0)?, byte(2)?, byte(4)?, alpha])
}
