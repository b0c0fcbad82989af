//! The brand kit's undoable commands: style, palette, reference images, fonts and named
//! text styles. Each is one history step; a bad value is refused before anything changes.

use super::brand::{check_style, normalise_reference, parse_palette, BrandKit, MAX_REFERENCES};
use super::brand_type::{
    brand_font, check_style_in_kit, find_style, styled_source, NamedTextStyle, MAX_BRAND_FONTS,
    MAX_TEXT_STYLES,
};
use super::change::Change;
use super::text::TextSource;
use super::Document;
use crate::{Error, Result};

impl Document {
    /// The brand kit (empty when none was set).
    pub fn brand_kit(&self) -> &BrandKit {
        &self.stack.brand
    }

    /// Sets the style text, recorded as "Brand style"; unchanged text records nothing.
    pub fn set_brand_style(&mut self, style: &str) -> Result<()> {
        check_style(style)?;
        if style == self.stack.brand.style {
            return Ok(());
        }
        let palette = self.stack.brand.palette.clone();
        self.commit(
            "Brand style",
            Change::BrandText {
                style: style.to_owned(),
                palette,
            },
        );
        Ok(())
    }

    /// Sets the palette (`#rrggbb` strings), recorded as "Brand palette"; a bad colour
    /// changes nothing.
    pub fn set_brand_palette<S: AsRef<str>>(&mut self, colours: &[S]) -> Result<()> {
        let palette = parse_palette(colours)?;
        if palette == self.stack.brand.palette {
            return Ok(());
        }
        let style = self.stack.brand.style.clone();
        self.commit("Brand palette", Change::BrandText { style, palette });
        Ok(())
    }

    /// Adds a reference image (any image file; see [`normalise_reference`]) at the end,
    /// recorded as "Add brand reference"; returns its index.
    pub fn add_brand_reference(&mut self, bytes: &[u8]) -> Result<usize> {
        let index = self.stack.brand.references.len();
        if index >= MAX_REFERENCES {
            return Err(Error::param(
                "reference image",
                format!("the brand kit holds at most {MAX_REFERENCES}; remove one first"),
            ));
        }
        let png = normalise_reference(bytes)?;
        self.commit(
            "Add brand reference",
            Change::InsertReference { index, png },
        );
        Ok(index)
    }

    /// Removes reference image `index`, recorded as "Remove brand reference".
    pub fn remove_brand_reference(&mut self, index: usize) -> Result<()> {
        let count = self.stack.brand.references.len();
        if index >= count {
            return Err(Error::param(
                "reference image",
                format!("there is no reference {index} (the kit holds {count})"),
            ));
        }
        self.commit("Remove brand reference", Change::RemoveReference { index });
        Ok(())
    }
}

impl Document {
    /// Adds a font file to the kit (checked as any font; see [`brand_font`] for its licence),
    /// recorded as "Add brand font"; returns its key. A file the kit holds already changes
    /// nothing (fonts are stored once, by SHA-256).
    pub fn add_brand_font(
        &mut self,
        name: &str,
        bytes: Vec<u8>,
        licence: Option<&str>,
    ) -> Result<String> {
        let font = brand_font(name, bytes, licence)?;
        let key = font.font.key().to_owned();
        let kit = &self.stack.brand;
        if kit.fonts.iter().any(|f| f.font.key() == key) {
            return Ok(key);
        }
        if kit.fonts.len() >= MAX_BRAND_FONTS {
            return Err(Error::param(
                "font",
                format!("the brand kit holds at most {MAX_BRAND_FONTS} fonts; remove one first"),
            ));
        }
        let mut fonts = kit.fonts.clone();
        fonts.push(font);
        let styles = kit.text_styles.clone();
        self.commit("Add brand font", Change::BrandType { fonts, styles });
        Ok(key)
    }

    /// Removes the kit font `key`, recorded as "Remove brand font"; refused while a style
    /// uses it.
    pub fn remove_brand_font(&mut self, key: &str) -> Result<()> {
        let kit = &self.stack.brand;
        let Some(index) = kit.fonts.iter().position(|f| f.font.key() == key) else {
            return Err(Error::param(
                "font",
                format!("'{key}' is not a font of the brand kit"),
            ));
        };
        if let Some(style) = kit.text_styles.iter().find(|s| s.font == key) {
            return Err(Error::param(
                "font",
                format!(
                    "'{}' is used by the style '{}': change or remove the style first",
                    kit.fonts[index].font.name(),
                    style.name
                ),
            ));
        }
        let mut fonts = kit.fonts.clone();
        fonts.remove(index);
        let styles = kit.text_styles.clone();
        self.commit("Remove brand font", Change::BrandType { fonts, styles });
        Ok(())
    }

    /// Defines a named text style (font from the kit, colour from its palette), replacing
    /// one of the same name; recorded as "Brand text style". The same style again records
    /// nothing; a bad value changes nothing.
    pub fn set_brand_text_style(&mut self, style: NamedTextStyle) -> Result<()> {
        let style = style.normalised()?;
        let kit = &self.stack.brand;
        check_style_in_kit(&style, &kit.fonts, &kit.palette)?;
        let mut styles = kit.text_styles.clone();
        let full = styles.len() >= MAX_TEXT_STYLES;
        match styles.iter_mut().find(|s| s.name == style.name) {
            Some(old) if *old == style => return Ok(()),
            Some(old) => *old = style,
            None if full => {
                return Err(Error::param(
                    "style",
                    format!(
                    "the brand kit holds at most {MAX_TEXT_STYLES} text styles; remove one first"
                ),
                ))
            }
            None => styles.push(style),
        }
        let fonts = kit.fonts.clone();
        self.commit("Brand text style", Change::BrandType { fonts, styles });
        Ok(())
    }

    /// Removes the named text style, recorded as "Remove brand text style".
    pub fn remove_brand_text_style(&mut self, name: &str) -> Result<()> {
        let kit = &self.stack.brand;
        find_style(&kit.text_styles, name)?;
        let styles = kit
            .text_styles
            .iter()
            .filter(|s| s.name != name)
            .cloned()
            .collect();
        let fonts = kit.fonts.clone();
        self.commit(
            "Remove brand text style",
            Change::BrandType { fonts, styles },
        );
        Ok(())
    }

    /// `source` set in the kit's style `name` (see [`styled_source`]); an unknown name is
    /// refused, naming the styles there are.
    pub fn brand_styled_source(&self, source: TextSource, name: &str) -> Result<TextSource> {
        let kit = &self.stack.brand;
        styled_source(source, find_style(&kit.text_styles, name)?, &kit.fonts)
    }
}
