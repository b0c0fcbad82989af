//! The brand kit's undoable commands: style, palette, reference images. Each is one
//! history step; a bad value is refused before anything changes.

use super::brand::{check_style, normalise_reference, parse_palette, BrandKit, MAX_REFERENCES};
use super::change::Change;
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
