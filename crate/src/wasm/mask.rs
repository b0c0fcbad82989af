//! The selection tools for JavaScript: marquee, lasso, wand, colour range,
//! brush, feather, grow/shrink, border, smooth, invert and combine. Thin
//! marshalling over `crate::ops`; names follow the tools' manifests.
//!
//! Point lists arrive as flat `[x0, y0, x1, y1, ...]` arrays (a
//! `Float32Array`), colours as flat `[r, g, b, ...]` bytes. Kernels with a GPU
//! version run on the engine's backend and return promises; the brush paints
//! in place on the CPU, because an interactive dab touches a small rectangle
//! and a GPU round trip per dab would cost more than the dab itself.

use super::{js_error, Image, Mask, RetouchEngine};
use crate::doc;
use crate::ops::brush::{self, BrushOptions};
use crate::ops::select::{self, CombineMode, Rect};
use crate::ops::wand::{self, WandOptions};
use crate::ops::{color_range, feather, morphology, resample};
use crate::{image_io, Error};
use serde::Deserialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Flat `[x0, y0, x1, y1, …]` as points.
pub(super) fn points(flat: &[f32]) -> Result<Vec<(f32, f32)>, JsError> {
    if !flat.len().is_multiple_of(2) {
        return Err(js_error(Error::param(
            "points",
            format!("{} numbers do not make x, y pairs", flat.len()),
        )));
    }
    Ok(flat.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

fn rect(x: f32, y: f32, width: f32, height: f32, ratio: Option<f32>) -> Result<Rect, JsError> {
    Rect::from_drag((x, y), (x + width, y + height), ratio).map_err(js_error)
}

fn wrap(result: crate::Result<image::GrayImage>) -> Result<Mask, JsError> {
    result.map(|inner| Mask { inner }).map_err(js_error)
}

/// Brush parameters as JS passes them; names follow the brush manifest.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrushParams {
    #[serde(default = "default_diameter")]
    diameter: f32,
    #[serde(default = "default_hardness")]
    hardness: f32,
    #[serde(default = "default_spacing")]
    spacing: f32,
    #[serde(default = "default_flow")]
    flow: f32,
    #[serde(default)]
    erase: bool,
}

fn default_diameter() -> f32 {
    BrushOptions::default().diameter
}
fn default_hardness() -> f32 {
    BrushOptions::default().hardness
}
fn default_spacing() -> f32 {
    BrushOptions::default().spacing
}
fn default_flow() -> f32 {
    BrushOptions::default().flow
}

/// The rectangle `{ x, y, width, height }` a marquee drag from `(ax, ay)` to
/// `(bx, by)` spans; with `ratio` (width / height) it keeps that ratio and
/// grows from the anchor towards the pointer. The page previews and selects
/// exactly this rectangle, so both follow the core's rule.
#[wasm_bindgen(js_name = marqueeRect)]
pub fn marquee_rect(
    ax: f32,
    ay: f32,
    bx: f32,
    by: f32,
    ratio: Option<f32>,
) -> Result<JsValue, JsError> {
    let r = Rect::from_drag((ax, ay), (bx, by), ratio).map_err(js_error)?;
    let object = js_sys::Object::new();
    for (key, value) in [
        ("x", r.x),
        ("y", r.y),
        ("width", r.width),
        ("height", r.height),
    ] {
        js_sys::Reflect::set(&object, &key.into(), &f64::from(value).into())
            .map_err(|_| JsError::new("cannot build the rectangle"))?;
    }
    Ok(object.into())
}

#[wasm_bindgen]
impl Mask {
    /// Everything selected.
    pub fn all(width: u32, height: u32) -> Result<Mask, JsError> {
        wrap(select::select_all(width, height))
    }

    /// Nothing selected.
    pub fn none(width: u32, height: u32) -> Result<Mask, JsError> {
        wrap(select::deselect(width, height))
    }

    /// A rectangular marquee; with `ratio` (width / height) the height follows the width.
    pub fn rectangle(
        width: u32,
        height: u32,
        x: f32,
        y: f32,
        rect_width: f32,
        rect_height: f32,
        ratio: Option<f32>,
    ) -> Result<Mask, JsError> {
        let r = rect(x, y, rect_width, rect_height, ratio)?;
        wrap(select::rectangle(width, height, r))
    }

    /// An elliptical marquee inscribed in the rectangle.
    pub fn ellipse(
        width: u32,
        height: u32,
        x: f32,
        y: f32,
        rect_width: f32,
        rect_height: f32,
        ratio: Option<f32>,
    ) -> Result<Mask, JsError> {
        let r = rect(x, y, rect_width, rect_height, ratio)?;
        wrap(select::ellipse(width, height, r))
    }

    /// A polygon or freehand lasso through flat `[x0, y0, x1, y1, ...]` points.
    pub fn polygon(width: u32, height: u32, points: &[f32]) -> Result<Mask, JsError> {
        let points = self::points(points)?;
        wrap(select::polygon(width, height, &points))
    }

    /// The magic wand on `image` from the seed pixel.
    #[wasm_bindgen(js_name = magicWand)]
    pub fn magic_wand(
        image: &Image,
        seed_x: u32,
        seed_y: u32,
        tolerance: u8,
        contiguous: bool,
        anti_alias: bool,
    ) -> Result<Mask, JsError> {
        let options = WandOptions {
            seed: (seed_x, seed_y),
            tolerance,
            contiguous,
            anti_alias,
        };
        wrap(wand::magic_wand(&image.inner, &options))
    }

    /// A selection from a layer's alpha placed at (`x`, `y`) on a
    /// `width`×`height` canvas.
    #[wasm_bindgen(js_name = fromLayerAlpha)]
    pub fn from_layer_alpha(
        width: u32,
        height: u32,
        layer: &Image,
        x: i32,
        y: i32,
    ) -> Result<Mask, JsError> {
        wrap(select::from_alpha(width, height, &layer.inner, (x, y)))
    }

    /// Combines `shape` into this selection: "replace", "add", "subtract" or "intersect".
    pub fn combine(&mut self, shape: &Mask, mode: &str) -> Result<(), JsError> {
        let mode = CombineMode::from_name(mode).map_err(js_error)?;
        select::combine(&mut self.inner, &shape.inner, mode).map_err(js_error)
    }

    /// The selection's edge (255 on selected pixels next to unselected ones):
    /// what the page's marching ants trace.
    pub fn outline(&self) -> Mask {
        Mask {
            inner: select::outline(&self.inner),
        }
    }

    /// Inverts the selection in place.
    pub fn invert(&mut self) {
        select::invert(&mut self.inner);
    }

    /// A smoothed copy (majority filter of the given radius).
    pub fn smooth(&self, radius: u32) -> Result<Mask, JsError> {
        wrap(morphology::smooth(&self.inner, radius))
    }

    /// Paints a stroke through flat points in place; `params`: `{ diameter,
    /// hardness, spacing, flow, erase }`, all optional. Returns the dirty
    /// rectangle `[x, y, width, height]`, or `undefined` when nothing changed.
    #[wasm_bindgen(js_name = paintStroke)]
    pub fn paint_stroke(
        &mut self,
        points: &[f32],
        params: JsValue,
    ) -> Result<Option<Vec<u32>>, JsError> {
        let params: BrushParams = if params.is_undefined() || params.is_null() {
            serde_wasm_bindgen::from_value(js_sys::Object::new().into())
        } else {
            serde_wasm_bindgen::from_value(params)
        }
        .map_err(|e| JsError::new(&format!("invalid brush parameters: {e}")))?;
        let options = BrushOptions {
            diameter: params.diameter,
            hardness: params.hardness,
            spacing: params.spacing,
            flow: params.flow,
            erase: params.erase,
        };
        let points = self::points(points)?;
        let dirty =
            brush::paint_stroke_cpu(&mut self.inner, &points, &options).map_err(js_error)?;
        Ok(dirty.map(|r| vec![r.x, r.y, r.width, r.height]))
    }

    /// The coverage bytes of one rectangle, row by row (e.g. a brush's dirty rectangle).
    #[wasm_bindgen(js_name = regionValues)]
    pub fn region_values(
        &self,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    ) -> Result<Vec<u8>, JsError> {
        image_io::region(&self.inner, "mask", (x, y, width, height))
            .map(|region| region.into_raw())
            .map_err(js_error)
    }

    /// The box around every covered pixel, `{ x, y, width, height }`, or
    /// `null` when nothing is covered.
    pub fn bounds(&self) -> Result<JsValue, JsError> {
        let covered = select::covered_box(&self.inner);
        super::rect_to_js(covered.map(|(x, y, w, h)| doc::Rect::new(x as i32, y as i32, w, h)))
    }

    /// The mask as an 8-bit greyscale PNG.
    #[wasm_bindgen(js_name = encodePng)]
    pub fn encode_png(&self) -> Result<Vec<u8>, JsError> {
        image_io::encode_mask_png(&self.inner).map_err(js_error)
    }
}

#[wasm_bindgen]
impl RetouchEngine {
    /// Resolves to a feathered copy of `mask` (radius 0 to 250 px, σ = radius / 2).
    pub fn feather(&self, mask: &Mask, radius: f32) -> js_sys::Promise {
        let (engine, mask) = (Rc::clone(&self.inner), mask.inner.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(wrap(feather::feather(&engine, &mask, radius).await)?.into())
        })
    }

    /// Resolves to `mask` resized to `width`×`height` (bilinear coverage,
    /// as masks follow an Image Size).
    #[wasm_bindgen(js_name = resizeMask)]
    pub fn resize_mask(&self, mask: &Mask, width: u32, height: u32) -> js_sys::Promise {
        let (engine, mask) = (Rc::clone(&self.inner), mask.inner.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(wrap(resample::resize_coverage(&engine, &mask, width, height).await)?.into())
        })
    }

    /// Resolves to `mask` grown by `distance` px.
    pub fn grow(&self, mask: &Mask, distance: u32) -> js_sys::Promise {
        let (engine, mask) = (Rc::clone(&self.inner), mask.inner.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(wrap(morphology::grow(&engine, &mask, distance).await)?.into())
        })
    }

    /// Resolves to `mask` shrunk by `distance` px.
    pub fn shrink(&self, mask: &Mask, distance: u32) -> js_sys::Promise {
        let (engine, mask) = (Rc::clone(&self.inner), mask.inner.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(wrap(morphology::shrink(&engine, &mask, distance).await)?.into())
        })
    }

    /// Resolves to a band `width` px wide around the selection's edge.
    pub fn border(&self, mask: &Mask, width: u32) -> js_sys::Promise {
        let (engine, mask) = (Rc::clone(&self.inner), mask.inner.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(wrap(morphology::border(&engine, &mask, width).await)?.into())
        })
    }

    /// Resolves to the colour range selection of `image` for flat `[r, g, b, ...]`
    /// colours and flat `[x, y, ...]` sample pixels, with `fuzziness` 0 to 200.
    #[wasm_bindgen(js_name = colorRange)]
    pub fn color_range(
        &self,
        image: &Image,
        colors: &[u8],
        samples: &[u32],
        fuzziness: f32,
    ) -> js_sys::Promise {
        let (engine, image) = (Rc::clone(&self.inner), image.inner.clone());
        let mut palette: Vec<[u8; 3]> =
            colors.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
        let points: Vec<(u32, u32)> = samples.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        let ragged = !colors.len().is_multiple_of(3) || !samples.len().is_multiple_of(2);
        wasm_bindgen_futures::future_to_promise(async move {
            if ragged {
                return Err(js_error(Error::param(
                    "colors",
                    "colours are [r, g, b, ...] bytes and samples [x, y, ...] pairs",
                ))
                .into());
            }
            palette.extend(color_range::sample_colors(&image, &points).map_err(js_error)?);
            let result = color_range::color_range(&engine, &image, &palette, fuzziness).await;
            Ok(wrap(result)?.into())
        })
    }
}
