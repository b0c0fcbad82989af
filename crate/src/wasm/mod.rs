//! The JavaScript API: a thin marshalling layer over the core, and the only
//! place with `#[wasm_bindgen]`. No image logic lives here: every function
//! converts arguments, calls the core, and turns errors into JS `Error`s.

mod autosave;
mod brand;
mod doc;
mod esrgan;
mod fill;
mod heal;
mod host;
mod mask;
mod open;
mod paint;
mod plugin;
mod provider;
mod resample;
mod text;
mod view;

use crate::engine::{BackendPreference, Engine};
use crate::ops::blend::{self, BlendMode, CompositeOptions};
use crate::plugin::Registry;
use crate::{image_io, Error};
use image::{GrayImage, RgbaImage};
use serde::Deserialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A canvas rectangle as `{x, y, width, height}`, or `null`; shared by every area that
/// answers with one (documents, masks, resampling).
fn rect_to_js(rect: Option<crate::doc::Rect>) -> Result<JsValue, JsError> {
    #[derive(serde::Serialize)]
    struct RectInfo {
        x: i32,
        y: i32,
        width: u32,
        height: u32,
    }
    match rect {
        None => Ok(JsValue::NULL),
        Some(r) => serde_wasm_bindgen::to_value(&RectInfo {
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
        })
        .map_err(|e| JsError::new(&e.to_string())),
    }
}

/// Reports Rust panics on the console instead of an opaque "unreachable".
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("retouch panicked: {info}").into());
    }));
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Every plugin manifest compiled into the core, as plain JS objects.
#[wasm_bindgen]
pub fn manifests() -> Result<JsValue, JsError> {
    let registry = Registry::builtin().map_err(js_error)?;
    serde_wasm_bindgen::to_value(registry.manifests()).map_err(|e| JsError::new(&e.to_string()))
}

/// An RGBA8 image with straight alpha.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Image {
    inner: RgbaImage,
}

#[wasm_bindgen]
impl Image {
    /// Wraps `width`×`height` RGBA bytes (e.g. from `ImageData.data`).
    #[wasm_bindgen(js_name = fromRgba)]
    pub fn from_rgba(width: u32, height: u32, rgba: Vec<u8>) -> Result<Image, JsError> {
        image_io::check_dimensions(width, height).map_err(js_error)?;
        let expected = width as usize * height as usize * 4;
        let got = rgba.len();
        RgbaImage::from_raw(width, height, rgba)
            .map(|inner| Image { inner })
            .ok_or_else(|| {
                js_error(Error::SizeMismatch(format!(
                    "{width}×{height} RGBA needs {expected} bytes, got {got}"
                )))
            })
    }

    /// Decodes PNG, JPEG, WebP, GIF or BMP bytes.
    pub fn decode(bytes: &[u8]) -> Result<Image, JsError> {
        image_io::decode_rgba(bytes)
            .map(|inner| Image { inner })
            .map_err(js_error)
    }

    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.inner.width()
    }

    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.inner.height()
    }

    /// A copy of the RGBA bytes, row by row.
    pub fn rgba(&self) -> Vec<u8> {
        self.inner.as_raw().clone()
    }

    /// The image encoded as PNG.
    #[wasm_bindgen(js_name = encodePng)]
    pub fn encode_png(&self) -> Result<Vec<u8>, JsError> {
        image_io::encode_png(&self.inner).map_err(js_error)
    }
}

/// An 8-bit coverage mask.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Mask {
    inner: GrayImage,
}

#[wasm_bindgen]
impl Mask {
    /// Wraps `width`×`height` coverage bytes (0 = untouched, 255 = full).
    #[wasm_bindgen(js_name = fromValues)]
    pub fn from_values(width: u32, height: u32, values: Vec<u8>) -> Result<Mask, JsError> {
        image_io::check_dimensions(width, height).map_err(js_error)?;
        let got = values.len();
        GrayImage::from_raw(width, height, values)
            .map(|inner| Mask { inner })
            .ok_or_else(|| {
                js_error(Error::SizeMismatch(format!(
                    "{width}×{height} mask needs {} bytes, got {got}",
                    width * height
                )))
            })
    }

    /// Decodes a mask image: its alpha channel when it has one, else its luma.
    pub fn decode(bytes: &[u8]) -> Result<Mask, JsError> {
        image_io::decode_mask(bytes)
            .map(|inner| Mask { inner })
            .map_err(js_error)
    }

    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.inner.width()
    }

    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.inner.height()
    }

    /// A copy of the coverage bytes, row by row.
    pub fn values(&self) -> Vec<u8> {
        self.inner.as_raw().clone()
    }
}

/// Composite parameters as JS passes them; names follow the manifest's params.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CompositeParams {
    #[serde(default = "default_mode")]
    mode: String,
    #[serde(default = "default_opacity")]
    opacity: f32,
    #[serde(default)]
    offset_x: i32,
    #[serde(default)]
    offset_y: i32,
    #[serde(default, alias = "linear_light")]
    linear_light: bool,
    #[serde(default)]
    seed: u32,
}

fn default_mode() -> String {
    "normal".into()
}

fn default_opacity() -> f32 {
    1.0
}

impl CompositeParams {
    fn options(&self) -> Result<CompositeOptions, Error> {
        Ok(CompositeOptions {
            mode: BlendMode::from_name(&self.mode)?,
            opacity: self.opacity,
            offset: (self.offset_x, self.offset_y),
            linear_light: self.linear_light,
            dissolve_seed: self.seed,
            backdrop_origin: (0, 0),
        })
    }
}

/// Runs kernels on WebGPU when the browser offers a hardware adapter, else on
/// the CPU (`auto` skips a software adapter such as SwiftShader).
#[wasm_bindgen]
pub struct RetouchEngine {
    inner: Rc<Engine>,
}

/// Creates an engine. `backend` is "auto" (default: a hardware GPU, else the
/// CPU), "gpu" (any WebGPU adapter, software ones included; fails without
/// WebGPU) or "cpu".
#[wasm_bindgen(js_name = createEngine)]
pub async fn create_engine(backend: Option<String>) -> Result<RetouchEngine, JsError> {
    let preference =
        BackendPreference::parse(backend.as_deref().unwrap_or("auto")).map_err(js_error)?;
    let engine = Engine::new(preference).await.map_err(js_error)?;
    Ok(RetouchEngine {
        inner: Rc::new(engine),
    })
}

#[wasm_bindgen]
impl RetouchEngine {
    /// Resolves when this engine's GPU device is lost — a driver reset, the
    /// browser's GPU process restarting, `releaseGpu` — with why; with null
    /// on the CPU engine, or once the engine is gone. The page then starts
    /// another engine: the document lives on the CPU and loses nothing.
    pub fn lost(&self) -> js_sys::Promise {
        let lost = self.inner.gpu().map(|gpu| gpu.when_lost());
        wasm_bindgen_futures::future_to_promise(async move {
            let why = match lost {
                Some(lost) => lost.await,
                None => None,
            };
            Ok(why.map_or(JsValue::NULL, JsValue::from))
        })
    }

    /// Gives the GPU device back now, freeing its memory at once (the page
    /// calls it on an engine it replaces); `lost` then resolves. Nothing
    /// runs on that GPU afterwards. Does nothing on the CPU engine.
    #[wasm_bindgen(js_name = releaseGpu)]
    pub fn release_gpu(&self) {
        if let Some(gpu) = self.inner.gpu() {
            gpu.release();
        }
    }

    /// "gpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend().to_string()
    }

    /// The adapter in use, or "CPU (WebAssembly)".
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.inner.adapter_description()
    }

    /// Why the engine runs where it does: empty on a hardware GPU, else one
    /// sentence ("Auto chose the CPU: the only WebGPU adapter is a software
    /// one (SwiftShader), …").
    #[wasm_bindgen(getter)]
    pub fn reason(&self) -> String {
        self.inner.reason()
    }

    /// The reason as a stable key: "" (hardware GPU), "software-skipped",
    /// "no-adapter", "cpu-requested" or "software-forced".
    #[wasm_bindgen(getter, js_name = reasonCode)]
    pub fn reason_code(&self) -> String {
        self.inner.reason_code().to_string()
    }

    /// Composites `layer` over `base` (neither is changed) and resolves to a
    /// new [`Image`]. `params`: `{ mode, opacity, offsetX, offsetY,
    /// linearLight, seed }`, all optional.
    pub fn composite(&self, base: &Image, layer: &Image, params: JsValue) -> js_sys::Promise {
        self.composite_with(base, layer, None, params)
    }

    /// [`Self::composite`] through `mask` (the size of the layer). The mask is
    /// borrowed, so JS can reuse it.
    #[wasm_bindgen(js_name = compositeMasked)]
    pub fn composite_masked(
        &self,
        base: &Image,
        layer: &Image,
        mask: &Mask,
        params: JsValue,
    ) -> js_sys::Promise {
        self.composite_with(base, layer, Some(&mask.inner), params)
    }
}

impl RetouchEngine {
    fn composite_with(
        &self,
        base: &Image,
        layer: &Image,
        mask: Option<&GrayImage>,
        params: JsValue,
    ) -> js_sys::Promise {
        let params = if params.is_undefined() || params.is_null() {
            JsValue::from(js_sys::Object::new())
        } else {
            params
        };
        let options = match serde_wasm_bindgen::from_value::<CompositeParams>(params) {
            Ok(p) => p.options().map_err(js_error),
            Err(e) => Err(JsError::new(&format!("invalid composite parameters: {e}"))),
        };
        let options = match options {
            Ok(options) => options,
            Err(e) => return js_sys::Promise::reject(&e.into()),
        };
        if self.inner.gpu().is_none() {
            // Nothing to wait for on the CPU: compute now, without copying
            // the inputs into a future.
            return match blend::composite_cpu(&base.inner, &layer.inner, mask, &options) {
                Ok(out) => js_sys::Promise::resolve(&JsValue::from(Image { inner: out })),
                Err(e) => js_sys::Promise::reject(&js_error(e).into()),
            };
        }
        let engine = Rc::clone(&self.inner);
        let (base, layer) = (base.inner.clone(), layer.inner.clone());
        let mask = mask.cloned();
        wasm_bindgen_futures::future_to_promise(async move {
            let out = blend::composite(&engine, &base, &layer, mask.as_ref(), &options)
                .await
                .map_err(js_error)?;
            Ok(Image { inner: out }.into())
        })
    }
}
