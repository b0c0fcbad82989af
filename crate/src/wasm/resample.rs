//! Resizing and upscaling for JavaScript: thin marshalling over
//! `crate::ops::resample`; parameter names follow the resize manifest.

use super::{js_error, rect_to_js, Image, RetouchEngine};
use crate::doc::Rect;
use crate::ops::resample::{self, Filter, ResizeOptions, DEFAULT_SHARPNESS};
use serde::Deserialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Resize parameters as JS passes them: `width` and `height`, or `scale`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ResizeParams {
    width: Option<u32>,
    height: Option<u32>,
    scale: Option<f64>,
    #[serde(default = "default_filter")]
    filter: String,
    #[serde(default = "default_sharpness")]
    sharpness: f32,
    #[serde(default, alias = "linear_light")]
    linear_light: bool,
    /// The AI upscaler's network (the resize manifest's `model`): read by
    /// the page's ESRGAN job, not by the filters here.
    #[serde(default, rename = "model")]
    _model: Option<serde::de::IgnoredAny>,
}

fn default_filter() -> String {
    Filter::Lanczos3.name().into()
}

fn default_sharpness() -> f32 {
    DEFAULT_SHARPNESS
}

impl ResizeParams {
    pub(super) fn from_js(params: JsValue) -> Result<ResizeParams, JsError> {
        serde_wasm_bindgen::from_value(params)
            .map_err(|e| JsError::new(&format!("invalid resize parameters: {e}")))
    }

    /// The options for a `src_width`×`src_height` source.
    pub(super) fn options(&self, src_width: u32, src_height: u32) -> crate::Result<ResizeOptions> {
        let (width, height) = match (self.width, self.height, self.scale) {
            (Some(w), Some(h), None) => (w, h),
            (None, None, Some(scale)) => resample::scaled_size(src_width, src_height, scale)?,
            _ => {
                return Err(crate::Error::param(
                    "size",
                    "give either width and height, or scale",
                ))
            }
        };
        if self.filter == "esrgan" {
            return Err(crate::Error::param(
                "filter",
                "esrgan runs tile by tile as an EsrganJob (the page's AI upscale), not as a resize",
            ));
        }
        Ok(ResizeOptions {
            width,
            height,
            filter: Filter::from_name(&self.filter)?,
            linear_light: self.linear_light,
            sharpness: self.sharpness,
        })
    }
}

#[wasm_bindgen]
impl RetouchEngine {
    /// Resolves to a resized copy of `image`. `params`: `{ width, height }`
    /// or `{ scale }`, plus optional `filter` ("nearest", "bilinear",
    /// "bicubic", "mitchell", "lanczos3" (default) or "edge"), `sharpness`
    /// (edge only, 0 to 1) and `linearLight`.
    pub fn resize(&self, image: &Image, params: JsValue) -> js_sys::Promise {
        let (engine, src) = (Rc::clone(&self.inner), image.inner.clone());
        let params = ResizeParams::from_js(params);
        wasm_bindgen_futures::future_to_promise(async move {
            let options = params?
                .options(src.width(), src.height())
                .map_err(js_error)?;
            let out = resample::resize(&engine, &src, &options)
                .await
                .map_err(js_error)?;
            Ok(Image { inner: out }.into())
        })
    }
}

/// The largest side, in output pixels, of what a before/after view compares.
const COMPARE_SIDE: u32 = 768;

/// The window `{ x, y, width, height }` of the region (x, y, width, height)
/// that a before/after view of an enlargement by `scale` compares: at most
/// 768 output pixels a side, centred on the region.
#[wasm_bindgen(js_name = compareWindow)]
pub fn compare_window(
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    scale: f64,
) -> Result<JsValue, JsError> {
    rect_to_js(Some(
        Rect::new(x, y, width, height).compare_window(scale, COMPARE_SIDE),
    ))
}

/// A rectangle of a `fromWidth`×`fromHeight` space carried onto the same
/// content in a `toWidth`×`toHeight` one (after Image Size, or onto an
/// upscaled region), whole pixels, inside the new space.
#[wasm_bindgen(js_name = scaleRect)]
#[allow(clippy::too_many_arguments)]
pub fn scale_rect(
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    from_width: u32,
    from_height: u32,
    to_width: u32,
    to_height: u32,
) -> Result<JsValue, JsError> {
    let rect = Rect::new(x, y, width, height);
    rect_to_js(Some(
        rect.scaled_between((from_width, from_height), (to_width, to_height)),
    ))
}

/// `{ width, height }` of a `width`×`height` image resized by `scale`, as Image Size makes
/// it (so a host's size limit can refuse an upscale before any work).
#[wasm_bindgen(js_name = scaledSize)]
pub fn scaled_size(width: u32, height: u32, scale: f64) -> Result<JsValue, JsError> {
    let (width, height) =
        crate::ops::resample::scaled_size(width, height, scale).map_err(js_error)?;
    rect_to_js(Some(Rect::new(0, 0, width, height)))
}
