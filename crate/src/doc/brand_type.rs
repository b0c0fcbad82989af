//! The brand kit's typography: font files (each stored once, by SHA-256, with
//! its licence text) and named text styles ("headline", "body": a kit font,
//! a size and a palette colour, optionally line height, tracking and
//! alignment) that a text layer can be set in.
//!
//! Stored (in a project's `kit.json`, the autosave state, a stored history
//! step) as JSON naming the fonts by key; the font files are stored once
//! each beside it, with the text layers' fonts. Reading it back checks it
//! as when it was set.

use super::brand::{format_colour, parse_colour};
use super::text::{FontTable, TextSource};
use crate::text::{Align, Font, TextStyle};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Most font files a kit holds (a family's weights and a script or two).
pub const MAX_BRAND_FONTS: usize = 8;
/// Most named text styles.
pub const MAX_TEXT_STYLES: usize = 16;
/// Longest style name, in characters.
pub const MAX_STYLE_NAME_CHARS: usize = 40;
/// Longest licence text kept, in characters (the SIL OFL is about 4 400).
pub const MAX_LICENCE_CHARS: usize = 32_000;

/// The name table entries that carry a font's licence: its description and URL.
const NAME_LICENCE: u16 = 13;
const NAME_LICENCE_URL: u16 = 14;

/// A font file in the kit and the licence it is used under.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandFont {
    pub font: Font,
    pub licence: String,
}

/// A named text style of the kit; `font` is the key ([`Font::key`]) of one
/// of the kit's fonts, `color` one of its palette colours (`#rrggbb`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamedTextStyle {
    pub name: String,
    pub font: String,
    pub size: f32,
    pub color: String,
    #[serde(default)]
    pub line_height: Option<f32>,
    #[serde(default)]
    pub tracking: Option<f32>,
    #[serde(default)]
    pub align: Option<Align>,
}

impl NamedTextStyle {
    /// Checks the style on its own (its name, colour and the values a text
    /// style may take) and writes its colour in lower case; whether its font
    /// and colour are in the kit is [`check_style_in_kit`]'s part.
    pub fn normalised(mut self) -> Result<NamedTextStyle> {
        let name = self.name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_STYLE_NAME_CHARS {
            return Err(Error::param(
                "style name",
                format!("'{name}' must be 1 to {MAX_STYLE_NAME_CHARS} characters"),
            ));
        }
        self.name = name.to_owned();
        self.color = format_colour(parse_colour(&self.color).map_err(|_| {
            Error::param(
                "style colour",
                format!("'{}' is not a colour written as #rrggbb", self.color),
            )
        })?);
        self.apply_to(TextStyle::new(self.size)).validate()?;
        Ok(self)
    }

    /// `style` with this style's size, colour and the optional values it sets.
    pub fn apply_to(&self, mut style: TextStyle) -> TextStyle {
        style.size = self.size;
        if let Ok([r, g, b]) = parse_colour(&self.color) {
            style.color = [r, g, b, 255];
        }
        style.line_height = self.line_height.unwrap_or(style.line_height);
        style.tracking = self.tracking.unwrap_or(style.tracking);
        style.align = self.align.unwrap_or(style.align);
        style
    }
}

/// A kit font from a file the user opened: checked as any font, its licence
/// `licence` (a licence file's text) or else the font's own name-table
/// licence entries; a font with neither is refused, so the kit always
/// knows the terms its fonts are used under.
pub fn brand_font(name: &str, bytes: Vec<u8>, licence: Option<&str>) -> Result<BrandFont> {
    let font = Font::from_bytes(name, bytes)?;
    let licence = match licence.map(str::trim).filter(|l| !l.is_empty()) {
        Some(text) => text.to_owned(),
        None => name_table_licence(&font).ok_or_else(|| {
            Error::param(
                "font",
                format!(
                    "'{name}' names no licence in its name table: add its licence file \
                     (for example OFL.txt) with it"
                ),
            )
        })?,
    };
    check_licence(name, &licence)?;
    Ok(BrandFont { font, licence })
}

/// The font's licence description and URL (name IDs 13 and 14), one a line.
fn name_table_licence(font: &Font) -> Option<String> {
    let face = ttf_parser::Face::parse(font.bytes(), 0).ok()?;
    let mut parts: Vec<String> = Vec::new();
    for id in [NAME_LICENCE, NAME_LICENCE_URL] {
        let entry = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == id)
            .find_map(|n| n.to_string())
            .filter(|s| !s.trim().is_empty());
        parts.extend(entry.map(|s| s.trim().to_owned()));
    }
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn check_licence(name: &str, licence: &str) -> Result<()> {
    let chars = licence.chars().count();
    if chars > MAX_LICENCE_CHARS {
        return Err(Error::param(
            "licence",
            format!("the licence of '{name}' is {chars} characters; at most {MAX_LICENCE_CHARS} are kept"),
        ));
    }
    Ok(())
}

/// Refuses a style whose font is not one of `fonts` or whose colour is not
/// in `palette`.
pub fn check_style_in_kit(
    style: &NamedTextStyle,
    fonts: &[BrandFont],
    palette: &[[u8; 3]],
) -> Result<()> {
    if !fonts.iter().any(|f| f.font.key() == style.font) {
        return Err(Error::param(
            "style font",
            format!(
                "the style '{}' names a font that is not in the brand kit",
                style.name
            ),
        ));
    }
    let colour = parse_colour(&style.color)?;
    if !palette.contains(&colour) {
        return Err(Error::param(
            "style colour",
            format!(
                "{} is not in the brand palette: add it to the palette first",
                style.color
            ),
        ));
    }
    Ok(())
}

/// The style named `name` among `styles`; an unknown name is refused,
/// listing the names there are.
pub fn find_style<'a>(styles: &'a [NamedTextStyle], name: &str) -> Result<&'a NamedTextStyle> {
    styles.iter().find(|s| s.name == name).ok_or_else(|| {
        let known: Vec<&str> = styles.iter().map(|s| s.name.as_str()).collect();
        Error::param(
            "style",
            if known.is_empty() {
                format!("'{name}' is not a style of the brand kit, which has none")
            } else {
                format!(
                    "'{name}' is not a style of the brand kit (it has {})",
                    known.join(", ")
                )
            },
        )
    })
}

/// `source` set in `style`: the style's kit font first, then the fonts the
/// source had (as fallbacks for characters it lacks), and the style's size,
/// colour and optional values; the string, box width, effects and
/// transform are kept.
pub fn styled_source(
    source: TextSource,
    style: &NamedTextStyle,
    fonts: &[BrandFont],
) -> Result<TextSource> {
    let font = fonts
        .iter()
        .find(|f| f.font.key() == style.font)
        .ok_or_else(|| {
            Error::param(
                "style font",
                format!("the font of the style '{}' is not in the kit", style.name),
            )
        })?;
    let mut set = vec![font.font.clone()];
    set.extend(
        source
            .fonts
            .iter()
            .filter(|f| f.key() != style.font)
            .cloned(),
    );
    set.truncate(super::text::MAX_FONTS);
    Ok(TextSource {
        fonts: set,
        style: style.apply_to(source.style),
        ..source
    })
}

/// The kit's typography as stored (see the module docs).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredBrandType {
    #[serde(default)]
    fonts: Vec<StoredBrandFont>,
    #[serde(default)]
    styles: Vec<NamedTextStyle>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredBrandFont {
    name: String,
    sha256: String,
    licence: String,
}

impl StoredBrandType {
    pub fn new(fonts: &[BrandFont], styles: &[NamedTextStyle]) -> StoredBrandType {
        StoredBrandType {
            fonts: fonts
                .iter()
                .map(|f| StoredBrandFont {
                    name: f.font.name().to_owned(),
                    sha256: f.font.key().to_owned(),
                    licence: f.licence.clone(),
                })
                .collect(),
            styles: styles.to_vec(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fonts.is_empty() && self.styles.is_empty()
    }

    /// The keys of the font files it names (to read before [`StoredBrandType::resolve`]).
    pub fn font_keys(&self) -> impl Iterator<Item = &str> {
        self.fonts.iter().map(|f| f.sha256.as_str())
    }

    /// The fonts (found in `table`) and styles, checked as when set; `what`
    /// names where they came from in a message.
    pub fn resolve(
        self,
        table: &FontTable,
        what: &str,
    ) -> Result<(Vec<BrandFont>, Vec<NamedTextStyle>)> {
        let refuse = |why: String| {
            Error::Decode(format!(
                "the brand kit's typography {what} is not valid: {why}"
            ))
        };
        if self.fonts.len() > MAX_BRAND_FONTS || self.styles.len() > MAX_TEXT_STYLES {
            return Err(refuse("it holds too many fonts or styles".into()));
        }
        let mut fonts: Vec<BrandFont> = Vec::with_capacity(self.fonts.len());
        for stored in self.fonts {
            let font = table.get(&stored.sha256).ok_or_else(|| {
                refuse(format!(
                    "its font '{}' (SHA-256 {}) is not stored with it",
                    stored.name, stored.sha256
                ))
            })?;
            if fonts.iter().any(|f| f.font.key() == stored.sha256) {
                return Err(refuse(format!("it lists the font '{}' twice", stored.name)));
            }
            check_licence(&stored.name, &stored.licence).map_err(|e| refuse(e.to_string()))?;
            fonts.push(BrandFont {
                font: font.renamed(&stored.name),
                licence: stored.licence,
            });
        }
        let mut styles: Vec<NamedTextStyle> = Vec::with_capacity(self.styles.len());
        for style in self.styles {
            // The palette may have changed since: only the font must be there.
            let style = style.normalised().map_err(|e| refuse(e.to_string()))?;
            if !fonts.iter().any(|f| f.font.key() == style.font) {
                return Err(refuse(format!(
                    "the style '{}' names a font it does not hold",
                    style.name
                )));
            }
            if styles.iter().any(|s| s.name == style.name) {
                return Err(refuse(format!("it names the style '{}' twice", style.name)));
            }
            styles.push(style);
        }
        Ok((fonts, styles))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    pub fn from_json(json: &str, what: &str) -> Result<StoredBrandType> {
        serde_json::from_str(json).map_err(|e| {
            Error::Decode(format!(
                "the brand kit's typography {what} is not valid: {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests;
