//! Spot Healing, Remove and Healing brush strokes for the page's tools:
//! marshalling only, see [`crate::doc::Document::heal_stroke`] and
//! [`crate::doc::Document::begin_heal_stroke`].

use super::doc::{settled, Project};
use super::mask::points as points_of;
use super::paint::{alt_click_source, stroke_params, unknown_tool};
use super::rect_to_js;
use super::{js_error, RetouchEngine};
use crate::doc::{HealOptions, HealTool};
use serde::Deserialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A healing stroke's parameters as the page sends them (the manifests'
/// names and units); absent ones take the defaults.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HealParams {
    tool: String,
    diameter: Option<f32>,
    hardness: Option<f32>,
    spacing: Option<f32>,
    seed: Option<u32>,
    /// The healing source, a canvas point.
    source_x: Option<f32>,
    source_y: Option<f32>,
}

fn heal_from_js(params: JsValue) -> Result<(HealOptions, HealTool), JsError> {
    let p: HealParams = stroke_params(params)?;
    let d = HealOptions::default();
    let options = HealOptions {
        diameter: p.diameter.unwrap_or(d.diameter),
        hardness: p.hardness.unwrap_or(d.hardness),
        spacing: p.spacing.unwrap_or(d.spacing),
        seed: p.seed.map_or(d.seed, u64::from),
    };
    let tool = match p.tool.as_str() {
        "spot" => HealTool::SpotHealing,
        "remove" => HealTool::Remove,
        "healing" => HealTool::Healing {
            source: alt_click_source(p.source_x, p.source_y, "healing")?,
        },
        other => return Err(unknown_tool(other, "spot, remove or healing")),
    };
    Ok((options, tool))
}

#[wasm_bindgen]
impl Project {
    /// Heals a stroke through flat canvas points `[x0, y0, x1, y1, …]` on
    /// layer `id` as one history step. `params`: `{ tool: "spot" | "remove"
    /// | "healing", diameter (px), hardness, spacing (percent), seed,
    /// sourceX, sourceY }`. Resolves to the canvas rectangle it could
    /// change; rejects, changing nothing, on a stroke off the canvas, an
    /// empty layer, a source off the canvas or bad parameters.
    #[wasm_bindgen(js_name = healStroke)]
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    pub fn heal_stroke(
        &self,
        engine: &RetouchEngine,
        id: u32,
        points: Vec<f32>,
        params: JsValue,
    ) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let stroke = heal_from_js(params);
        wasm_bindgen_futures::future_to_promise(async move {
            let (options, tool) = stroke?;
            let points = points_of(&points)?;
            let mut doc = settled(&doc)?;
            let rect = doc
                .heal_stroke(&engine, id, &points, &options, tool)
                .await
                .map_err(js_error)?;
            Ok(rect_to_js(Some(rect))?)
        })
    }

    /// Starts a Healing brush stroke on layer `id` that heals dab by dab
    /// while the pointer moves (see `Document::begin_heal_stroke`): the
    /// first flat canvas points heal now, `addStrokePoints` continues,
    /// `endStroke` heals the whole stroke at once and records it as one
    /// history step (what `healStroke` gives a CPU engine), `cancelStroke`
    /// drops it.
    /// `params` as for `healStroke`, with `tool: "healing"` (Spot Healing
    /// and Remove heal the whole stroke on release). Returns the canvas
    /// rectangle healed, or null.
    #[wasm_bindgen(js_name = beginHealStroke)]
    pub fn begin_heal_stroke(
        &self,
        id: u32,
        points: Vec<f32>,
        params: JsValue,
    ) -> Result<JsValue, JsError> {
        let (options, tool) = heal_from_js(params)?;
        let HealTool::Healing { source } = tool else {
            return Err(JsError::new(
                "tool: only the Healing brush heals while painting; Spot Healing and Remove heal the stroke on release",
            ));
        };
        let points = points_of(&points)?;
        let rect = self
            .doc()?
            .begin_heal_stroke(id, &points, &options, source)
            .map_err(js_error)?;
        rect_to_js(rect)
    }
}
