//! Content-Aware Fill for the page's Generate panel: marshalling only, see
//! [`crate::doc::Document::content_aware_fill`].

use super::doc::Project;
use super::{js_error, Mask};
use crate::ops::fill::{FillOptions, DEFAULT_PATCH};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Project {
    /// Fills the selection from the visible image into a new top layer
    /// named "Content-Aware Fill" (one history step) and returns its id.
    /// `sampleArea` (canvas-sized, > 0 may be sampled; default: around the
    /// hole; taken over, so the JS object is emptied), `patch` (odd, 3–21,
    /// default 7), `seed` (default 0). Fails,
    /// changing nothing, without a selection or with bad options.
    #[wasm_bindgen(js_name = contentAwareFill)]
    pub fn content_aware_fill(
        &self,
        sample_area: Option<Mask>,
        patch: Option<u32>,
        seed: Option<u32>,
    ) -> Result<u32, JsError> {
        let options = FillOptions {
            patch: patch.unwrap_or(DEFAULT_PATCH),
            seed: seed.map_or(0, u64::from),
        };
        self.doc()?
            .content_aware_fill(sample_area.as_ref().map(|m| &m.inner), &options)
            .map_err(js_error)
    }
}
