//! The document API for the page's layers and history panels: a thin
//! marshalling layer over [`crate::doc`]. Layers are addressed by id; every
//! edit lands in history under the name the history panel shows.
//!
//! The document sits in an `Rc<RefCell<_>>` so that `render(engine)` can
//! keep it across the GPU's await; a call made while a render is in flight
//! gets a "busy" error instead of a panic.

use super::resample::ResizeParams;
use super::view::CanvasView;
use super::{js_error, rect_to_js, Image, Mask, RetouchEngine};
use crate::doc::export::{export_image_with_metadata, ExportFormat, SizePreset};
use crate::doc::{Anchor, AutosaveBaseline, Document, Held, LayerProperties, Rect, Trimmed};
use crate::image_io::SourceMetadata;
use crate::ops::adjust::Adjustment;
use crate::ops::blend::BlendMode;
use crate::ops::present;
use crate::ops::transform::{Affine, Resampler};
use crate::Error;
use serde::{Deserialize, Serialize};
use std::cell::{RefCell, RefMut};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The document borrowed for a call, a stroke painted on the GPU caught up
/// on the CPU first, so that what the call reads holds the stroke so far.
pub(super) fn settled(doc: &RefCell<Document>) -> Result<RefMut<'_, Document>, JsError> {
    let mut doc = doc.try_borrow_mut().map_err(|_| busy())?;
    doc.catch_up_stroke().map_err(js_error)?;
    Ok(doc)
}

/// A layered document with undo history (`new Project(width, height)`).
#[wasm_bindgen]
pub struct Project {
    pub(super) doc: Rc<RefCell<Document>>,
    /// What the page's autosave has stored of this document (see `autosave.rs`).
    pub(super) autosaved: RefCell<AutosaveBaseline>,
}

/// A layers-panel row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LayerInfo {
    id: u32,
    name: String,
    visible: bool,
    opacity: f32,
    mode: &'static str,
    locked: bool,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    has_mask: bool,
    /// A text layer: `textSource` reads its source.
    is_text: bool,
}

/// Properties as JS passes them; absent fields keep their current value.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PropertiesPatch {
    name: Option<String>,
    visible: Option<bool>,
    opacity: Option<f32>,
    mode: Option<String>,
    locked: Option<bool>,
    x: Option<i32>,
    y: Option<i32>,
}

impl PropertiesPatch {
    fn from_js(value: JsValue) -> Result<Self, JsError> {
        if value.is_undefined() || value.is_null() {
            return Ok(Self::default());
        }
        serde_wasm_bindgen::from_value(value)
            .map_err(|e| JsError::new(&format!("invalid layer properties: {e}")))
    }

    fn apply_to(self, mut props: LayerProperties) -> Result<LayerProperties, Error> {
        if let Some(name) = self.name {
            props.name = name;
        }
        if let Some(mode) = self.mode {
            props.mode = BlendMode::from_name(&mode)?;
        }
        props.visible = self.visible.unwrap_or(props.visible);
        props.opacity = self.opacity.unwrap_or(props.opacity);
        props.locked = self.locked.unwrap_or(props.locked);
        props.offset = (
            self.x.unwrap_or(props.offset.0),
            self.y.unwrap_or(props.offset.1),
        );
        Ok(props)
    }
}

/// The history panel's content.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryInfo {
    entries: Vec<HistoryEntryInfo>,
    /// How many entries are applied (0: the oldest state kept).
    position: usize,
    bytes: usize,
    budget: usize,
    dropped_total: usize,
}

#[derive(Serialize)]
struct HistoryEntryInfo {
    name: String,
    bytes: usize,
    applied: bool,
}

#[derive(Serialize)]
struct TrimInfo {
    entries: usize,
    bytes: usize,
}

impl From<Trimmed> for TrimInfo {
    fn from(t: Trimmed) -> Self {
        TrimInfo {
            entries: t.entries,
            bytes: t.bytes,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceInfo {
    icc_profile: bool,
    exif: bool,
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(value).map_err(|e| JsError::new(&e.to_string()))
}

#[wasm_bindgen]
impl Project {
    /// An empty transparent canvas.
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32) -> Result<Project, JsError> {
        Ok(Project::wrap(
            Document::new(width, height).map_err(js_error)?,
        ))
    }

    /// Opens OpenRaster (.ora) bytes; hostile files are refused with an Error.
    #[wasm_bindgen(js_name = fromOra)]
    pub fn from_ora(bytes: &[u8]) -> Result<Project, JsError> {
        Ok(Project::wrap(Document::from_ora(bytes).map_err(js_error)?))
    }

    /// Opens an image file (PNG, JPEG, WebP, GIF's first frame, BMP) as a
    /// project with one "Background" layer, turned upright by its
    /// EXIF orientation; its ICC profile and EXIF are kept for
    /// `exportImage(..., keepMetadata = true)` and saved in the .ora.
    #[wasm_bindgen(js_name = fromImageFile)]
    pub fn from_image_file(bytes: &[u8]) -> Result<Project, JsError> {
        Ok(Project::wrap(
            Document::from_image_file(bytes).map_err(js_error)?,
        ))
    }

    /// The project as OpenRaster (.ora) bytes.
    #[wasm_bindgen(js_name = toOra)]
    pub fn to_ora(&self) -> Result<Vec<u8>, JsError> {
        self.doc()?.to_ora().map_err(js_error)
    }

    /// The canvas width (read after every render: it leaves a stroke
    /// painted on the GPU waiting).
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> Result<u32, JsError> {
        Ok(self.doc_mid_stroke()?.width())
    }

    /// The canvas height (see `width`).
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> Result<u32, JsError> {
        Ok(self.doc_mid_stroke()?.height())
    }

    /// The layers panel: `[{ id, name, visible, opacity, mode, locked, x, y,
    /// width, height, hasMask, isText }]`, bottom layer first.
    pub fn layers(&self) -> Result<JsValue, JsError> {
        let doc = self.doc()?;
        let rows: Vec<LayerInfo> = doc
            .layers()
            .iter()
            .map(|l| LayerInfo {
                id: l.id,
                name: l.props.name.clone(),
                visible: l.props.visible,
                opacity: l.props.opacity,
                mode: l.props.mode.name(),
                locked: l.props.locked,
                x: l.props.offset.0,
                y: l.props.offset.1,
                width: l.pixels.width(),
                height: l.pixels.height(),
                has_mask: l.mask.is_some(),
                is_text: l.text.is_some(),
            })
            .collect();
        to_js(&rows)
    }

    /// A copy of a layer's RGBA pixels (e.g. for a layer thumbnail).
    #[wasm_bindgen(js_name = layerPixels)]
    pub fn layer_pixels(&self, id: u32) -> Result<Image, JsError> {
        let doc = self.doc()?;
        let layer = doc.layer(id).map_err(js_error)?;
        Ok(Image {
            inner: layer.pixels.clone(),
        })
    }

    /// A copy of a layer's mask, or `undefined` when it has none.
    #[wasm_bindgen(js_name = layerMask)]
    pub fn layer_mask(&self, id: u32) -> Result<Option<Mask>, JsError> {
        let doc = self.doc()?;
        let layer = doc.layer(id).map_err(js_error)?;
        Ok(layer.mask.clone().map(|inner| Mask { inner }))
    }

    /// Adds `image` as a layer at `index` (bottom = 0, default top) with
    /// `props` (`{ name, visible, opacity, mode, locked, x, y }`, all
    /// optional) and an optional mask; returns the new layer's id.
    #[wasm_bindgen(js_name = addLayer)]
    pub fn add_layer(
        &self,
        image: &Image,
        props: JsValue,
        mask: Option<Mask>,
        index: Option<u32>,
    ) -> Result<u32, JsError> {
        let props = PropertiesPatch::from_js(props)?
            .apply_to(LayerProperties::named("Layer"))
            .map_err(js_error)?;
        self.doc()?
            .add_layer(
                props,
                image.inner.clone(),
                mask.map(|m| m.inner),
                index.map(|i| i as usize),
            )
            .map_err(js_error)
    }

    /// Adds a transparent canvas-sized layer on top; returns its id.
    #[wasm_bindgen(js_name = newLayer)]
    pub fn new_layer(&self, name: String) -> Result<u32, JsError> {
        self.doc()?.new_layer(name).map_err(js_error)
    }

    #[wasm_bindgen(js_name = deleteLayer)]
    pub fn delete_layer(&self, id: u32) -> Result<(), JsError> {
        self.doc()?.delete_layer(id).map_err(js_error)
    }

    /// Returns the copy's id.
    #[wasm_bindgen(js_name = duplicateLayer)]
    pub fn duplicate_layer(&self, id: u32) -> Result<u32, JsError> {
        self.doc()?.duplicate_layer(id).map_err(js_error)
    }

    /// Moves a layer to stack position `index` (0 = bottom).
    #[wasm_bindgen(js_name = moveLayer)]
    pub fn move_layer(&self, id: u32, index: u32) -> Result<(), JsError> {
        self.doc()?.move_layer(id, index as usize).map_err(js_error)
    }

    #[wasm_bindgen(js_name = renameLayer)]
    pub fn rename_layer(&self, id: u32, name: String) -> Result<(), JsError> {
        self.doc()?.rename_layer(id, name).map_err(js_error)
    }

    /// Changes some properties (`{ name, visible, opacity, mode, locked, x, y }`)
    /// in one history entry.
    #[wasm_bindgen(js_name = setLayerProperties)]
    pub fn set_layer_properties(&self, id: u32, props: JsValue) -> Result<(), JsError> {
        let patch = PropertiesPatch::from_js(props)?;
        let mut doc = self.doc()?;
        let current = doc.layer(id).map_err(js_error)?.props.clone();
        let props = patch.apply_to(current).map_err(js_error)?;
        doc.set_layer_properties(id, props).map_err(js_error)
    }

    /// Returns the merged layer's id (the lower layer's).
    #[wasm_bindgen(js_name = mergeDown)]
    pub fn merge_down(&self, id: u32) -> Result<u32, JsError> {
        self.doc()?.merge_down(id).map_err(js_error)
    }

    /// Returns the single remaining layer's id.
    pub fn flatten(&self) -> Result<u32, JsError> {
        self.doc()?.flatten().map_err(js_error)
    }

    /// Adds a mask (white, i.e. reveal all, when none is given).
    #[wasm_bindgen(js_name = addLayerMask)]
    pub fn add_layer_mask(&self, id: u32, mask: Option<Mask>) -> Result<(), JsError> {
        self.doc()?
            .add_layer_mask(id, mask.map(|m| m.inner))
            .map_err(js_error)
    }

    #[wasm_bindgen(js_name = applyLayerMask)]
    pub fn apply_layer_mask(&self, id: u32) -> Result<(), JsError> {
        self.doc()?.apply_layer_mask(id).map_err(js_error)
    }

    #[wasm_bindgen(js_name = deleteLayerMask)]
    pub fn delete_layer_mask(&self, id: u32) -> Result<(), JsError> {
        self.doc()?.delete_layer_mask(id).map_err(js_error)
    }

    /// Crops the canvas to a rectangle (layers keep pixels beyond it).
    pub fn crop(&self, x: i32, y: i32, width: u32, height: u32) -> Result<(), JsError> {
        self.doc()?
            .crop(Rect::new(x, y, width, height))
            .map_err(js_error)
    }

    /// Resizes the canvas around `anchor` ("center", "top-left", ...).
    #[wasm_bindgen(js_name = resizeCanvas)]
    pub fn resize_canvas(&self, width: u32, height: u32, anchor: &str) -> Result<(), JsError> {
        let anchor = Anchor::from_name(anchor).map_err(js_error)?;
        self.doc()?
            .resize_canvas(width, height, anchor)
            .map_err(js_error)
    }

    /// Extends the canvas by `left`, `top`, `right` and `bottom` pixels and adds `image` on top
    /// with `props` (as `addLayer`; `x`, `y` on the new canvas) as one history entry
    /// ("Generative Expand"); returns the new layer's id.
    #[wasm_bindgen(js_name = extendCanvasWithLayer)]
    pub fn extend_canvas_with_layer(
        &self,
        left: u32,
        top: u32,
        right: u32,
        bottom: u32,
        image: &Image,
        props: JsValue,
    ) -> Result<u32, JsError> {
        let props = PropertiesPatch::from_js(props)?
            .apply_to(LayerProperties::named("Layer"))
            .map_err(js_error)?;
        self.doc()?
            .extend_canvas_with_layer((left, top, right, bottom), props, image.inner.clone())
            .map_err(js_error)
    }

    /// Writes `image` into a layer at canvas position (x, y) as one history
    /// entry named `name` (e.g. "Brush Stroke", "Generative Fill").
    #[wasm_bindgen(js_name = paintPixels)]
    pub fn paint_pixels(
        &self,
        id: u32,
        x: i32,
        y: i32,
        image: &Image,
        name: &str,
    ) -> Result<(), JsError> {
        self.doc()?
            .paint_pixels(id, (x, y), &image.inner, name)
            .map_err(js_error)
    }

    /// Like `paintPixels`, on the layer's mask.
    #[wasm_bindgen(js_name = paintMask)]
    pub fn paint_mask(
        &self,
        id: u32,
        x: i32,
        y: i32,
        mask: &Mask,
        name: &str,
    ) -> Result<(), JsError> {
        self.doc()?
            .paint_mask(id, (x, y), &mask.inner, name)
            .map_err(js_error)
    }

    /// Makes `mask` (the canvas's size) the selection, as one history entry
    /// named `name` ("Select", "Feather Selection", ...; empty: "Select").
    /// The selection tools (`Mask.*`) compute masks; this makes one part of
    /// the document, so undo, autosave and .ora files keep it. The mask is
    /// copied and the caller's `Mask` stays usable (e.g. for the quick-mask
    /// overlay): wasm-bindgen cannot take an optional *borrowed* class
    /// argument, and an owned one would empty the caller's object, so
    /// removing the selection is `deselect` rather than `setSelection(null)`.
    #[wasm_bindgen(js_name = setSelection)]
    pub fn set_selection(&self, mask: &Mask, name: &str) -> Result<(), JsError> {
        self.doc()?
            .set_selection(Some(mask.inner.clone()), name)
            .map_err(js_error)
    }

    /// Clears the selected pixels of layer `id` (Delete): alpha keeps what the
    /// selection leaves uncovered; one history step.
    #[wasm_bindgen(js_name = clearSelected)]
    pub fn clear_selected(&self, id: u32) -> Result<(), JsError> {
        self.doc()?.clear_selected(id).map_err(js_error)
    }

    /// Leaves layer `id` out of the rendered composite while a tool previews
    /// it elsewhere (Free Transform); `undefined` shows it again. Display
    /// only: no history step, exports and saves keep every layer.
    #[wasm_bindgen(js_name = setPreviewHidden)]
    pub fn set_preview_hidden(&self, id: Option<u32>) -> Result<(), JsError> {
        self.doc()?.set_preview_hidden(id).map_err(js_error)
    }

    /// Removes the selection (tools then act on everything) as one history
    /// entry named `name` (empty: "Deselect"); nothing is recorded when
    /// there is no selection.
    pub fn deselect(&self, name: &str) -> Result<(), JsError> {
        self.doc()?.set_selection(None, name).map_err(js_error)
    }

    /// A copy of the selection, or `undefined` when nothing is selected.
    pub fn selection(&self) -> Result<Option<Mask>, JsError> {
        Ok(self.doc()?.selection().cloned().map(|inner| Mask { inner }))
    }

    /// The history panel: `{ entries: [{ name, bytes, applied }], position,
    /// bytes, budget, droppedTotal }`.
    pub fn history(&self) -> Result<JsValue, JsError> {
        let doc = self.doc()?;
        let history = doc.history();
        to_js(&HistoryInfo {
            entries: history
                .items()
                .into_iter()
                .map(|i| HistoryEntryInfo {
                    name: i.name,
                    bytes: i.bytes,
                    applied: i.applied,
                })
                .collect(),
            position: history.position(),
            bytes: history.bytes(),
            budget: history.budget(),
            dropped_total: history.dropped_total(),
        })
    }

    /// Undoes the newest entry; returns its name, or `undefined` at the start.
    pub fn undo(&self) -> Result<Option<String>, JsError> {
        Ok(self.doc()?.undo())
    }

    /// Redoes the oldest undone entry; returns its name, or `undefined`.
    pub fn redo(&self) -> Result<Option<String>, JsError> {
        Ok(self.doc()?.redo())
    }

    /// Goes to the state after the first `position` history entries.
    #[wasm_bindgen(js_name = jumpTo)]
    pub fn jump_to(&self, position: u32) -> Result<(), JsError> {
        self.doc()?.jump_to(position as usize).map_err(js_error)
    }

    /// Sets the history budget in bytes; returns `{ entries, bytes }` dropped.
    #[wasm_bindgen(js_name = setHistoryBudget)]
    pub fn set_history_budget(&self, bytes: u32) -> Result<JsValue, JsError> {
        let trimmed = self.doc()?.set_history_budget(bytes as usize);
        to_js(&TrimInfo::from(trimmed))
    }

    /// `{ entries, bytes }` the last edit dropped from history to stay within
    /// the budget (the page says so when `entries > 0`).
    #[wasm_bindgen(js_name = lastTrim)]
    pub fn last_trim(&self) -> Result<JsValue, JsError> {
        to_js(&TrimInfo::from(self.doc()?.last_trim()))
    }

    /// Brings the composite up to date on the CPU; returns the recomposed
    /// `{ x, y, width, height }` (to repaint) or `null` when nothing changed.
    #[wasm_bindgen(js_name = renderCpu)]
    pub fn render_cpu(&self) -> Result<JsValue, JsError> {
        let rect = self.doc()?.render_cpu().map_err(js_error)?;
        rect_to_js(rect)
    }

    /// Recomposes at most about `maxPixels` of the stale composite on the
    /// CPU: `{ x, y, width, height, more }` (the band to repaint, and whether
    /// another call is needed) or `null` when nothing was stale. The page
    /// renders a large change band by band, yielding between bands.
    #[wasm_bindgen(js_name = renderCpuBand)]
    pub fn render_cpu_band(&self, max_pixels: f64) -> Result<JsValue, JsError> {
        let (rect, more) = self
            .doc()?
            .render_cpu_band(max_pixels.clamp(1.0, 1e12) as u64)
            .map_err(js_error)?;
        if rect.is_none() {
            return Ok(JsValue::NULL);
        }
        let out = rect_to_js(rect)?;
        js_sys::Reflect::set(&out, &"more".into(), &more.into())
            .map_err(|_| JsError::new("cannot build the render band"))?;
        Ok(out)
    }

    /// Like `renderCpu`, but a full recomposition runs on the engine (WebGPU
    /// when it has one). Resolves to the recomposed rectangle or `null`.
    // Holding the borrow across the GPU await is the point: calls made
    // meanwhile use `try_borrow_mut` and get a "busy" error, never a panic.
    #[allow(clippy::await_holding_refcell_ref)]
    pub fn render(&self, engine: &RetouchEngine) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let mut doc = settled(&doc)?;
            let rect = doc.render(&engine).await.map_err(js_error)?;
            Ok(rect_to_js(rect)?)
        })
    }

    /// Like `render`, for a view that presents from the GPU: what changed
    /// is recomposed in the composite held on `view`'s GPU and drawn on its
    /// canvas; nothing is read back. Resolves, once the GPU has finished
    /// the frame, to `{ rect, presented }`: the recomposed rectangle (or
    /// `null`), and whether the canvas shows it — `false` when the document
    /// is too large to hold on this GPU or to present (a side over its
    /// largest texture) and was rendered for `compositeRegion` instead.
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    #[wasm_bindgen(js_name = renderTo)]
    pub fn render_to(&self, view: &CanvasView) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&view.engine);
        let view = Rc::clone(&view.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            // Not caught up: a stroke's new dabs are painted on the GPU here.
            let mut doc = doc.try_borrow_mut().map_err(|_| busy())?;
            let mut view = view.try_borrow_mut().map_err(|_| busy())?;
            let gpu = engine
                .gpu()
                .ok_or_else(|| JsError::new("the view's engine has no GPU"))?;
            let size = (doc.width(), doc.height());
            let held = if present::Presenter::fits(gpu, size) {
                doc.render_held(gpu).await.map_err(js_error)?
            } else {
                Held::TooLarge
            };
            let (rect, presented) = match held {
                Held::Recomposed(rect) => {
                    let canvas = doc.held_canvas().expect("rendered on the GPU above");
                    view.show(gpu, canvas).await.map_err(js_error)?;
                    (rect, true)
                }
                Held::TooLarge => (doc.render(&engine).await.map_err(js_error)?, false),
            };
            let out = js_sys::Object::new();
            let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&out, &key.into(), value);
            set("rect", &rect_to_js(rect)?)
                .and_then(|_| set("presented", &presented.into()))
                .map_err(|_| JsError::new("cannot build the render result"))?;
            Ok(out.into())
        })
    }

    /// RGBA bytes of a rectangle of the last rendered composite (to
    /// `putImageData` after a render).
    #[wasm_bindgen(js_name = compositeRegion)]
    pub fn composite_region(
        &self,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    ) -> Result<Vec<u8>, JsError> {
        let mut doc = self.doc()?;
        let image = doc
            .rendered_on_cpu()
            .map_err(js_error)?
            .ok_or_else(|| JsError::new("render the project before reading its composite"))?;
        region_bytes(image, "canvas", (x, y, width, height))
    }

    /// RGBA bytes of a rectangle of a layer's own pixels (layer coordinates:
    /// 0,0 is the layer's top-left corner), e.g. for a before/after view.
    #[wasm_bindgen(js_name = layerRegion)]
    pub fn layer_region(
        &self,
        id: u32,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    ) -> Result<Vec<u8>, JsError> {
        let doc = self.doc()?;
        let layer = doc.layer(id).map_err(js_error)?;
        region_bytes(&layer.pixels, "layer", (x, y, width, height))
    }

    /// The selection's bounding box `{ x, y, width, height }`, or `null`
    /// without a selection (or when it covers nothing).
    #[wasm_bindgen(js_name = selectionBounds)]
    pub fn selection_bounds(&self) -> Result<JsValue, JsError> {
        rect_to_js(self.doc()?.selection_bounds())
    }

    /// Resolves when the whole image (every layer, mask and the selection)
    /// is resized, as one "Image Size" history entry. `params` as for
    /// `RetouchEngine.resize`: `{ width, height }` or `{ scale }`, `filter`,
    /// `sharpness`, `linearLight`.
    #[wasm_bindgen(js_name = resizeImage)]
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    pub fn resize_image(&self, engine: &RetouchEngine, params: JsValue) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let params = ResizeParams::from_js(params);
        wasm_bindgen_futures::future_to_promise(async move {
            let mut doc = settled(&doc)?;
            let options = params?
                .options(doc.width(), doc.height())
                .map_err(js_error)?;
            doc.resize_image(&engine, &options)
                .await
                .map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Resolves to the id of a new top layer holding the visible image
    /// inside the rectangle (clipped to the canvas) upscaled by `params`
    /// (as for `resizeImage`; `scale` applies to the clipped region), placed
    /// at the region's top-left corner ("Upscale Region" in history).
    #[wasm_bindgen(js_name = upscaleRegion)]
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    pub fn upscale_region(
        &self,
        engine: &RetouchEngine,
        x: i32,
        y: i32,
        width: u32,
        height: u32,
        params: JsValue,
    ) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let params = ResizeParams::from_js(params);
        wasm_bindgen_futures::future_to_promise(async move {
            let mut doc = settled(&doc)?;
            let region = doc
                .canvas_part(Rect::new(x, y, width, height))
                .map_err(js_error)?;
            let options = params?
                .options(region.width, region.height)
                .map_err(js_error)?;
            let id = doc
                .upscale_region(&engine, region, &options)
                .await
                .map_err(js_error)?;
            Ok(id.into())
        })
    }

    /// Resolves when layer `id` is adjusted inside the selection (the whole
    /// layer without one) as one history entry named after the adjustment.
    /// `params`: `{ kind: "levels" | "curves" | "brightness_contrast" |
    /// "hue_saturation" | "color_balance" | "gaussian_blur" | "unsharp_mask",
    /// ...the manifest's parameters }`; absent ones take their defaults.
    #[wasm_bindgen(js_name = adjustLayer)]
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    pub fn adjust_layer(
        &self,
        engine: &RetouchEngine,
        id: u32,
        params: JsValue,
    ) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let adjustment = adjustment_from_js(params);
        wasm_bindgen_futures::future_to_promise(async move {
            let adjustment = adjustment?;
            let mut doc = settled(&doc)?;
            doc.adjust_layer(&engine, id, &adjustment)
                .await
                .map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Resolves when layer `id` is transformed (Free Transform, one history
    /// entry): `matrix` is `[a, b, c, d, e, f]` as in SVG's `matrix()`, from
    /// the layer's own pixel coordinates to the canvas; `resampler` is
    /// "bicubic" or "edge". The result is clipped to the canvas.
    #[wasm_bindgen(js_name = transformLayer)]
    pub fn transform_layer(
        &self,
        engine: &RetouchEngine,
        id: u32,
        matrix: Vec<f64>,
        resampler: &str,
    ) -> js_sys::Promise {
        self.transform(engine, id, &matrix, resampler, false)
    }

    /// Resolves when the selected pixels of layer `id` are transformed
    /// (Free Transform with a selection, one history entry; see
    /// `Document::transform_selection`): `matrix` as for `transformLayer`,
    /// from the floating selection's own pixel coordinates (its box is
    /// `selectionFloat`'s) to the canvas.
    #[wasm_bindgen(js_name = transformSelection)]
    pub fn transform_selection(
        &self,
        engine: &RetouchEngine,
        id: u32,
        matrix: Vec<f64>,
        resampler: &str,
    ) -> js_sys::Promise {
        self.transform(engine, id, &matrix, resampler, true)
    }

    /// The floating selection of layer `id` for the transform preview:
    /// `{ x, y, width, height, pixels }` (its canvas box and RGBA bytes with
    /// selection-weighted alpha). Nothing selected on the layer is an error.
    #[wasm_bindgen(js_name = selectionFloat)]
    pub fn selection_float(&self, id: u32) -> Result<JsValue, JsError> {
        let (rect, pixels) = self.doc()?.selection_float(id).map_err(js_error)?;
        let out = rect_to_js(Some(rect))?;
        let bytes = js_sys::Uint8Array::from(pixels.as_raw().as_slice());
        js_sys::Reflect::set(&out, &"pixels".into(), &bytes)
            .map_err(|_| JsError::new("cannot build the float object"))?;
        Ok(out)
    }

    /// Shows layer `id` with the hole its floating selection leaves while
    /// the transform preview draws the float; `undefined` shows it as it
    /// is. Display only: no history step.
    #[wasm_bindgen(js_name = setPreviewFloat)]
    pub fn set_preview_float(&self, id: Option<u32>) -> Result<(), JsError> {
        self.doc()?.set_preview_float(id).map_err(js_error)
    }

    /// Resolves to `{ x, y, width, height, pixels }`: the composite over the
    /// rectangle `adjustLayer` would change, as it would look (RGBA bytes to
    /// draw over the canvas), without changing the project.
    #[wasm_bindgen(js_name = previewAdjustment)]
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    pub fn preview_adjustment(
        &self,
        engine: &RetouchEngine,
        id: u32,
        params: JsValue,
    ) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let adjustment = adjustment_from_js(params);
        wasm_bindgen_futures::future_to_promise(async move {
            let adjustment = adjustment?;
            let doc = settled(&doc)?;
            let (rect, pixels) = doc
                .preview_adjustment(&engine, id, &adjustment)
                .await
                .map_err(js_error)?;
            let out = rect_to_js(Some(rect))?;
            let bytes = js_sys::Uint8Array::from(pixels.as_raw().as_slice());
            js_sys::Reflect::set(&out, &"pixels".into(), &bytes)
                .map_err(|_| JsError::new("cannot build the preview object"))?;
            Ok(out)
        })
    }

    /// The flattened image encoded as `format` ("png", "jpeg"/"jpg", "webp";
    /// WebP is lossless) with an optional JPEG `quality` (1–100) and size:
    /// `longEdge`, or `width` and `height`. With `keepMetadata` the opened
    /// file's ICC profile and EXIF are embedded (see `fromImageFile`).
    #[wasm_bindgen(js_name = exportImage)]
    pub fn export_image(
        &self,
        format: &str,
        quality: Option<u8>,
        long_edge: Option<u32>,
        width: Option<u32>,
        height: Option<u32>,
        keep_metadata: Option<bool>,
    ) -> Result<Vec<u8>, JsError> {
        let format = ExportFormat::from_extension(format, quality).map_err(js_error)?;
        let size = match (long_edge, width, height) {
            (Some(edge), _, _) => SizePreset::LongEdge(edge),
            (None, Some(w), Some(h)) => SizePreset::Exact(w, h),
            (None, None, None) => SizePreset::Original,
            _ => {
                return Err(js_error(Error::param(
                    "size",
                    "give both width and height, or longEdge",
                )))
            }
        };
        let mut doc = self.doc()?;
        let metadata = if keep_metadata.unwrap_or(false) {
            doc.source_metadata().clone()
        } else {
            SourceMetadata::default()
        };
        let image = doc.composite_cpu().map_err(js_error)?;
        export_image_with_metadata(image, format, size, &metadata).map_err(js_error)
    }

    /// `{ iccProfile, exif }`: whether the opened file had them (an export
    /// with `keepMetadata` embeds them).
    #[wasm_bindgen(js_name = sourceMetadata)]
    pub fn source_metadata(&self) -> Result<JsValue, JsError> {
        let doc = self.doc()?;
        let source = doc.source_metadata();
        to_js(&SourceInfo {
            icc_profile: source.icc_profile.is_some(),
            exif: source.exif.is_some(),
        })
    }

    /// A layer's provenance JSON text (how it was generated), or `undefined`.
    pub fn provenance(&self, id: u32) -> Result<Option<String>, JsError> {
        let doc = self.doc()?;
        doc.layer(id).map_err(js_error)?;
        Ok(doc.provenance(id).map(str::to_owned))
    }

    /// Sets a layer's provenance to JSON text (`undefined` removes it). It is
    /// saved in the .ora and not recorded in history.
    #[wasm_bindgen(js_name = setProvenance)]
    pub fn set_provenance(&self, id: u32, json: Option<String>) -> Result<(), JsError> {
        self.doc()?.set_provenance(id, json).map_err(js_error)
    }
}

impl Project {
    pub(super) fn wrap(doc: Document) -> Project {
        Project::with_baseline(doc, AutosaveBaseline::default())
    }

    /// A project whose autosave baseline is `autosaved` (after a recovery).
    pub(super) fn with_baseline(doc: Document, autosaved: AutosaveBaseline) -> Project {
        Project {
            doc: Rc::new(RefCell::new(doc)),
            autosaved: RefCell::new(autosaved),
        }
    }

    /// The document for a call (see [`settled`]).
    pub(super) fn doc(&self) -> Result<RefMut<'_, Document>, JsError> {
        settled(&self.doc)
    }

    /// The document for a call that reads no layer's pixels or continues
    /// the open stroke: its dabs may wait for a render held on the GPU.
    pub(super) fn doc_mid_stroke(&self) -> Result<RefMut<'_, Document>, JsError> {
        self.doc.try_borrow_mut().map_err(|_| busy())
    }

    /// Free Transform of layer `id`, or of its selected pixels only.
    #[allow(clippy::await_holding_refcell_ref)] // see `render`
    fn transform(
        &self,
        engine: &RetouchEngine,
        id: u32,
        matrix: &[f64],
        resampler: &str,
        selection_only: bool,
    ) -> js_sys::Promise {
        let doc = Rc::clone(&self.doc);
        let engine = Rc::clone(&engine.inner);
        let request = affine_from_js(matrix).and_then(|map| {
            let resampler = Resampler::parse(resampler).map_err(js_error)?;
            Ok((map, resampler))
        });
        wasm_bindgen_futures::future_to_promise(async move {
            let (map, resampler) = request?;
            let mut doc = settled(&doc)?;
            let done = if selection_only {
                doc.transform_selection(&engine, id, &map, resampler).await
            } else {
                doc.transform_layer(&engine, id, &map, resampler).await
            };
            done.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// An adjustment from its JS parameters, checked.
fn adjustment_from_js(params: JsValue) -> Result<Adjustment, JsError> {
    let adjustment: Adjustment = serde_wasm_bindgen::from_value(params)
        .map_err(|e| js_error(Error::param("adjustment", e.to_string())))?;
    adjustment.validate().map_err(js_error)?;
    Ok(adjustment)
}

pub(super) fn busy() -> JsError {
    JsError::new("the project is busy (rendering or resampling); try again when that finishes")
}

/// The RGBA bytes of a rectangle `(x, y, width, height)` of `image`.
fn region_bytes(
    image: &image::RgbaImage,
    what: &str,
    rect: (u32, u32, u32, u32),
) -> Result<Vec<u8>, JsError> {
    crate::image_io::region(image, what, rect)
        .map(|region| region.into_raw())
        .map_err(js_error)
}

/// `[a, b, c, d, e, f]` as an [`Affine`].
fn affine_from_js(matrix: &[f64]) -> Result<Affine, JsError> {
    match *matrix {
        [a, b, c, d, e, f] => Ok(Affine::new(a, b, c, d, e, f)),
        _ => Err(JsError::new(&format!(
            "matrix: expected 6 numbers [a, b, c, d, e, f], got {}",
            matrix.len()
        ))),
    }
}
