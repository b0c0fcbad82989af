//! Content-Aware Fill for the page's Generate panel: marshalling only, see
//! [`crate::doc::Document::content_aware_fill`].

use super::doc::{settled, Project};
use super::{js_error, Mask, RetouchEngine};
use crate::ops::fill::{ColorAdaptation, FillOptions, DEFAULT_PATCH};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Project {
    /// Fills the selection from the visible image into a new top layer
    /// named "Content-Aware Fill" (one history step), on `engine`'s backend,
    /// and resolves to its id. `sampleArea` (canvas-sized, > 0 may be
    /// sampled; default: around the hole; taken over, so the JS object is
    /// emptied), `patch` (odd, 3–21, default 7), `seed` (default 0),
    /// `colorAdaptation` ("off", "low" or "high"; default "off"). Rejects,
    /// changing nothing, without a selection or with bad options.
    #[wasm_bindgen(js_name = contentAwareFill)]
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    pub fn content_aware_fill(
        &self,
        engine: &RetouchEngine,
        sample_area: Option<Mask>,
        patch: Option<u32>,
        seed: Option<u32>,
        color_adaptation: Option<String>,
    ) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let adaptation = color_adaptation.map_or(Ok(ColorAdaptation::Off), |name| {
            ColorAdaptation::parse(&name)
        });
        wasm_bindgen_futures::future_to_promise(async move {
            let options = FillOptions {
                patch: patch.unwrap_or(DEFAULT_PATCH),
                seed: seed.map_or(0, u64::from),
                color_adaptation: adaptation.map_err(js_error)?,
            };
            let mut doc = settled(&doc)?;
            let id = doc
                .content_aware_fill(&engine, sample_area.as_ref().map(|m| &m.inner), &options)
                .await
                .map_err(js_error)?;
            Ok(JsValue::from(id))
        })
    }
}
