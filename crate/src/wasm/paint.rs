//! Paint brush, eraser and clone stamp strokes for the page's tools:
//! marshalling only, see [`crate::doc::Document::paint_stroke`].

use super::doc::{settled, Project};
use super::mask::points as points_of;
use super::rect_to_js;
use super::{js_error, RetouchEngine};
use crate::doc::StrokeTool;
use crate::ops::paint::{parse_hex_color, PaintOptions};
use crate::Error;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A stroke's parameters as the page sends them (the manifests' names and
/// units); absent ones take the manifests' defaults.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StrokeParams {
    tool: String,
    diameter: Option<f32>,
    hardness: Option<f32>,
    spacing: Option<f32>,
    opacity: Option<f32>,
    flow: Option<f32>,
    color: Option<String>,
    /// The clone source, a canvas point.
    source_x: Option<f32>,
    source_y: Option<f32>,
}

fn stroke_from_js(params: JsValue) -> Result<(PaintOptions, StrokeTool), JsError> {
    let p: StrokeParams = stroke_params(params)?;
    let d = PaintOptions::default();
    let options = PaintOptions {
        diameter: p.diameter.unwrap_or(d.diameter),
        hardness: p.hardness.unwrap_or(d.hardness),
        spacing: p.spacing.unwrap_or(d.spacing),
        opacity: p.opacity.unwrap_or(d.opacity),
        flow: p.flow.unwrap_or(d.flow),
    };
    let tool = match p.tool.as_str() {
        "brush" => StrokeTool::Brush {
            color: parse_hex_color(p.color.as_deref().unwrap_or("#000000")).map_err(js_error)?,
        },
        "eraser" => StrokeTool::Eraser,
        "clone" => StrokeTool::CloneStamp {
            source: alt_click_source(p.source_x, p.source_y, "clone")?,
        },
        other => return Err(unknown_tool(other, "brush, eraser or clone")),
    };
    Ok((options, tool))
}

/// A stroke's parameters from the page, or an error naming what is wrong.
pub(super) fn stroke_params<T: DeserializeOwned>(params: JsValue) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(params)
        .map_err(|e| js_error(Error::param("stroke", e.to_string())))
}

/// The source an Alt-click set (clone stamp, healing brush), or an error
/// asking for one.
pub(super) fn alt_click_source(
    x: Option<f32>,
    y: Option<f32>,
    tool: &str,
) -> Result<(f32, f32), JsError> {
    match (x, y) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(js_error(Error::param(
            "source",
            format!("Alt-click to set the {tool} source first"),
        ))),
    }
}

/// The error for a tool name the stroke does not know.
pub(super) fn unknown_tool(name: &str, known: &str) -> JsError {
    js_error(Error::param("tool", format!("'{name}' is not {known}")))
}

#[wasm_bindgen]
impl Project {
    /// Paints a stroke through flat canvas points `[x0, y0, x1, y1, …]` on
    /// layer `id` as one history step. `params`: `{ tool: "brush" | "eraser"
    /// | "clone", diameter, hardness, spacing, opacity, flow (percent),
    /// color: "#rrggbb", sourceX, sourceY }`. Resolves to the canvas
    /// rectangle it could change, or null when it missed the layer.
    #[wasm_bindgen(js_name = paintStroke)]
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    pub fn paint_stroke(
        &self,
        engine: &RetouchEngine,
        id: u32,
        points: Vec<f32>,
        params: JsValue,
    ) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let stroke = stroke_from_js(params);
        wasm_bindgen_futures::future_to_promise(async move {
            let (options, tool) = stroke?;
            let points = points_of(&points)?;
            let mut doc = settled(&doc)?;
            let rect = doc
                .paint_stroke(&engine, id, &points, &options, tool)
                .await
                .map_err(js_error)?;
            Ok(rect_to_js(rect)?)
        })
    }

    /// Starts a stroke on layer `id` that is painted while the pointer moves
    /// (see `Document::begin_stroke`): the first flat canvas points are
    /// painted now, `addStrokePoints` adds more, `endStroke` records it as
    /// one history step (the pixels `paintStroke` gives for all the points,
    /// bit for bit), `cancelStroke` drops it. `params` as for `paintStroke`.
    /// Returns the canvas rectangle repainted, or null.
    #[wasm_bindgen(js_name = beginStroke)]
    pub fn begin_stroke(
        &self,
        id: u32,
        points: Vec<f32>,
        params: JsValue,
    ) -> Result<JsValue, JsError> {
        let (options, tool) = stroke_from_js(params)?;
        let points = points_of(&points)?;
        let rect = self
            .doc()?
            .begin_stroke(id, &points, &options, tool)
            .map_err(js_error)?;
        rect_to_js(rect)
    }

    /// Continues the open stroke through flat canvas points; returns the
    /// canvas rectangle repainted, or null.
    #[wasm_bindgen(js_name = addStrokePoints)]
    pub fn add_stroke_points(&self, points: Vec<f32>) -> Result<JsValue, JsError> {
        let points = points_of(&points)?;
        let rect = self
            .doc_mid_stroke()?
            .add_stroke_points(&points)
            .map_err(js_error)?;
        rect_to_js(rect)
    }

    /// Whether the open stroke is painted on the GPU alone so far (in the
    /// layer held there for a `CanvasView`, its dabs sent with each
    /// `renderTo`, none painted on the CPU yet).
    #[wasm_bindgen(js_name = strokeOnGpu)]
    pub fn stroke_on_gpu(&self) -> Result<bool, JsError> {
        Ok(self.doc_mid_stroke()?.stroke_on_gpu())
    }

    /// Records the open stroke as one history step; returns the canvas
    /// rectangle it changed, or null (it missed the layer, or none was open).
    #[wasm_bindgen(js_name = endStroke)]
    pub fn end_stroke(&self) -> Result<JsValue, JsError> {
        let rect = self.doc()?.end_stroke().map_err(js_error)?;
        rect_to_js(rect)
    }

    /// Drops the open stroke; the layer is as it was before it.
    #[wasm_bindgen(js_name = cancelStroke)]
    pub fn cancel_stroke(&self) -> Result<(), JsError> {
        self.doc()?.cancel_stroke();
        Ok(())
    }
}
