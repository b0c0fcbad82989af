//! The brand kit for the page's Brand kit panel and for provider jobs: marshalling only, see
//! [`crate::doc::brand`]. Every change is an undoable step of the project.

use super::doc::Project;
use super::js_error;
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
}
