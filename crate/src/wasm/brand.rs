//! The brand kit for the page's Brand kit panel and for provider jobs: marshalling only, see
//! [`crate::doc::brand`]. Every change is an undoable step of the project.

use super::doc::Project;
use super::js_error;
use crate::doc::NamedTextStyle;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Project {
    /// The brand kit's style text ('' when none).
    #[wasm_bindgen(js_name = brandStyle)]
    pub fn brand_style(&self) -> Result<String, JsError> {
        Ok(self.doc()?.brand_kit().style.clone())
    }

    /// Sets the style text (one history step; unchanged text records none).
    #[wasm_bindgen(js_name = setBrandStyle)]
    pub fn set_brand_style(&self, style: &str) -> Result<(), JsError> {
        self.doc()?.set_brand_style(style).map_err(js_error)
    }

    /// The palette as `#rrggbb` strings.
    #[wasm_bindgen(js_name = brandPalette)]
    pub fn brand_palette(&self) -> Result<Vec<String>, JsError> {
        Ok(self.doc()?.brand_kit().palette_hex())
    }

    /// Replaces the palette with `#rrggbb` strings (one history step); a bad colour changes
    /// nothing.
    #[wasm_bindgen(js_name = setBrandPalette)]
    pub fn set_brand_palette(&self, colours: Vec<String>) -> Result<(), JsError> {
        self.doc()?.set_brand_palette(&colours).map_err(js_error)
    }

    /// How many reference images the kit holds.
    #[wasm_bindgen(js_name = brandReferenceCount)]
    pub fn brand_reference_count(&self) -> Result<usize, JsError> {
        Ok(self.doc()?.brand_kit().references.len())
    }

    /// The reference images as PNG bytes, in order (for thumbnails and for sending).
    #[wasm_bindgen(js_name = brandReferences)]
    pub fn brand_references(&self) -> Result<Array, JsError> {
        let doc = self.doc()?;
        Ok(doc
            .brand_kit()
            .references
            .iter()
            .map(|png| JsValue::from(Uint8Array::from(png.as_slice())))
            .collect())
    }

    /// Adds an image file (PNG, JPEG, WebP, …) as a reference, normalised by the core (at
    /// most 1024 px a side, PNG); one history step. Returns its index.
    #[wasm_bindgen(js_name = addBrandReference)]
    pub fn add_brand_reference(&self, bytes: &[u8]) -> Result<usize, JsError> {
        self.doc()?.add_brand_reference(bytes).map_err(js_error)
    }

    /// Removes reference image `index` (one history step).
    #[wasm_bindgen(js_name = removeBrandReference)]
    pub fn remove_brand_reference(&self, index: usize) -> Result<(), JsError> {
        self.doc()?.remove_brand_reference(index).map_err(js_error)
    }

    /// `{style, palette}` as `planProviderJob`'s `brandKit` takes it, or `undefined` when the
    /// kit has neither.
    #[wasm_bindgen(js_name = brandPromptKit)]
    pub fn brand_prompt_kit(&self) -> Result<JsValue, JsError> {
        match self.doc()?.brand_kit().prompt_kit() {
            Some(kit) => {
                serde_wasm_bindgen::to_value(&kit).map_err(|e| JsError::new(&e.to_string()))
            }
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The kit's fonts as `[{key, name, licence}]`, in order.
    #[wasm_bindgen(js_name = brandFonts)]
    pub fn brand_fonts(&self) -> Result<JsValue, JsError> {
        let doc = self.doc()?;
        let fonts: Vec<BrandFontInfo> = doc
            .brand_kit()
            .fonts
            .iter()
            .map(|f| BrandFontInfo {
                key: f.font.key().to_owned(),
                name: f.font.name().to_owned(),
                licence: f.licence.clone(),
            })
            .collect();
        serde_wasm_bindgen::to_value(&fonts).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Adds a TTF/OTF file to the kit (one history step), with `licence` (a licence file's
    /// text) or else the licence named in the font; a malformed file or one with no licence
    /// is refused. Returns its key (SHA-256); a file the kit holds already changes nothing.
    #[wasm_bindgen(js_name = addBrandFont)]
    pub fn add_brand_font(
        &self,
        name: &str,
        bytes: &[u8],
        licence: Option<String>,
    ) -> Result<String, JsError> {
        self.doc()?
            .add_brand_font(name, bytes.to_vec(), licence.as_deref())
            .map_err(js_error)
    }

    /// Removes the kit font `key` (one history step); refused while a style uses it.
    #[wasm_bindgen(js_name = removeBrandFont)]
    pub fn remove_brand_font(&self, key: &str) -> Result<(), JsError> {
        self.doc()?.remove_brand_font(key).map_err(js_error)
    }

    /// The named text styles as `[{name, font (a key), size, color, lineHeight?, tracking?,
    /// align?}]`.
    #[wasm_bindgen(js_name = brandTextStyles)]
    pub fn brand_text_styles(&self) -> Result<JsValue, JsError> {
        let doc = self.doc()?;
        serde_wasm_bindgen::to_value(&doc.brand_kit().text_styles)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Defines (or replaces, by name) a text style given as `brandTextStyles` lists them; its
    /// font must be a kit font and its colour a palette colour. One history step.
    #[wasm_bindgen(js_name = setBrandTextStyle)]
    pub fn set_brand_text_style(&self, style: JsValue) -> Result<(), JsError> {
        let invalid = |e: &dyn std::fmt::Display| JsError::new(&format!("invalid text style: {e}"));
        // Through JSON values, so a misspelt field is refused by name.
        let json: serde_json::Value =
            serde_wasm_bindgen::from_value(style).map_err(|e| invalid(&e))?;
        let style: NamedTextStyle = serde_json::from_value(json).map_err(|e| invalid(&e))?;
        self.doc()?.set_brand_text_style(style).map_err(js_error)
    }

    /// Removes the named text style (one history step).
    #[wasm_bindgen(js_name = removeBrandTextStyle)]
    pub fn remove_brand_text_style(&self, name: &str) -> Result<(), JsError> {
        self.doc()?.remove_brand_text_style(name).map_err(js_error)
    }
}

/// A kit font as `brandFonts` lists it.
#[derive(serde::Serialize)]
struct BrandFontInfo {
    key: String,
    name: String,
    licence: String,
}
