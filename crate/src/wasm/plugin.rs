//! Third-party filter plugins in the browser: bundles checked by the core (`PluginBundle`), the
//! crop and preview proxy a filter reads from the document, and `PluginRun`, which the plugin
//! Worker (`web/workers/plugin-worker.js`) uses to run the core's filter host over a module
//! the browser's own WebAssembly engine instantiated, or the WGSL shader on the Worker's own
//! WebGPU engine (`PluginBundle.runShader`) when the page runs on WebGPU. The Worker is terminated at the time
//! limit or on Cancel; the module's memory maximum (checked at validation) is enforced by the
//! browser. No image logic here: tiling, halo, checks and blending are the core's.

use super::doc::Project;
use super::{js_error, rect_to_js, RetouchEngine};
use crate::doc::filter::FilterProxy;
use crate::doc::Rect;
use crate::plugin::abi::{self, ParamValue};
use crate::plugin::bundle::Bundle;
use crate::plugin::filter_host::{FilterRun, FilterSource, Implementation};
use crate::plugin::instance::{plugin_error, ModuleRuntime, PluginInstance};
use crate::{Error, Result};
use image::RgbaImage;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A `.retouchplugin` bundle that passed every check (`PluginBundle.fromBytes(bytes)`).
#[wasm_bindgen]
pub struct PluginBundle {
    inner: Bundle,
}

#[wasm_bindgen]
impl PluginBundle {
    /// Reads and checks a bundle: zip, manifest, hashes, paths, the module's imports, exports
    /// and memory maximum. Throws naming what is wrong.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<PluginBundle, JsError> {
        Ok(PluginBundle {
            inner: Bundle::from_bytes(bytes).map_err(js_error)?,
        })
    }

    /// The manifest as a plain object.
    pub fn manifest(&self) -> Result<JsValue, JsError> {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        serde::Serialize::serialize(&self.inner.manifest, &serializer)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// The WebAssembly module's bytes, or `undefined` for a WGSL-only plugin.
    pub fn module(&self) -> Option<Vec<u8>> {
        self.inner.module().map(<[u8]>::to_vec)
    }

    /// The icon's bytes, or `undefined` when the manifest names none.
    pub fn icon(&self) -> Option<Vec<u8>> {
        self.inner.icon().map(|(bytes, _)| bytes.to_vec())
    }

    /// The icon's media type ("image/png" or "image/svg+xml"), or `undefined`.
    #[wasm_bindgen(getter, js_name = iconType)]
    pub fn icon_type(&self) -> Option<String> {
        self.inner.icon().map(|(_, kind)| kind.to_string())
    }

    /// The README's text, or `undefined` when the manifest names none.
    pub fn readme(&self) -> Option<String> {
        self.inner.readme().map(str::to_string)
    }

    /// Whether it carries a WGSL shader (run on WebGPU when the page is on it).
    #[wasm_bindgen(getter, js_name = hasShader)]
    pub fn has_shader(&self) -> bool {
        self.inner.shader().is_some()
    }

    /// `{ memoryMiB, timeoutMs }`: the limits as the host enforces them (the manifest's,
    /// capped by the host); `memoryMiB` is null for a shader-only plugin (no module memory).
    pub fn limits(&self) -> Result<JsValue, JsError> {
        let run = FilterRun::new(&self.inner, &BTreeMap::new()).map_err(js_error)?;
        let memory = match self.inner.module() {
            Some(_) => JsValue::from(run.module_limits().map_err(js_error)?.0),
            None => JsValue::NULL,
        };
        let out = Object::new();
        set(&out, "memoryMiB", &memory)?;
        set(&out, "timeoutMs", &run.time_limit_ms().into())?;
        Ok(out.into())
    }

    /// Which implementation `engine` runs: "wgsl" on a WebGPU engine when there is a shader,
    /// else "wasm"; throws "needs WebGPU" for a shader-only plugin on the CPU.
    #[wasm_bindgen(js_name = implementationFor)]
    pub fn implementation_for(&self, engine: &RetouchEngine) -> Result<String, JsError> {
        let run = FilterRun::new(&self.inner, &BTreeMap::new()).map_err(js_error)?;
        Ok(
            match run.implementation_for(&engine.inner).map_err(js_error)? {
                Implementation::Wgsl => "wgsl",
                Implementation::Wasm => "wasm",
            }
            .to_string(),
        )
    }

    /// The halo the shader reads with `values` (the crop must hold the area grown by it).
    #[wasm_bindgen(js_name = shaderHalo)]
    pub fn shader_halo(&self, values: JsValue) -> Result<u32, JsError> {
        let run = FilterRun::new(&self.inner, &param_values(values)?).map_err(js_error)?;
        Ok(run.shader_halo())
    }

    /// Filters `area` of `crop` (the shapes `PluginRun.run` takes) with the WGSL shader on
    /// `engine`'s GPU, calling `onTile(done, total)` after each tile; resolves to the area's
    /// RGBA bytes. Nothing is shared with the document: the crop is the Worker's copy.
    #[wasm_bindgen(js_name = runShader)]
    pub fn run_shader(
        &self,
        engine: &RetouchEngine,
        values: JsValue,
        crop: JsValue,
        area: JsValue,
        on_tile: Function,
    ) -> js_sys::Promise {
        let prepared = param_values(values)
            .and_then(|values| Ok((values, crop_from_js(&crop)?, area_from_js(&area)?)));
        let (values, crop, area) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => return js_sys::Promise::reject(&e.into()),
        };
        let bundle = self.inner.clone();
        let engine = Rc::clone(&engine.inner);
        wasm_bindgen_futures::future_to_promise(async move {
            let run = FilterRun::new(&bundle, &values).map_err(js_error)?;
            let gpu = engine.gpu().ok_or_else(|| {
                js_error(plugin_error(
                    run_id(&bundle),
                    "needs WebGPU: the engine is on the CPU",
                ))
            })?;
            let out = run
                .run_wgsl(gpu, &crop.source(), area, |done, total| {
                    let _ = on_tile.call2(&JsValue::NULL, &done.into(), &total.into());
                })
                .await
                .map_err(js_error)?;
            Ok(Uint8Array::from(out.as_raw().as_slice()).into())
        })
    }

    /// Checks parameter values (`{ id: value }`; unknown ids, wrong types and values out of
    /// range are refused naming the parameter).
    #[wasm_bindgen(js_name = checkParams)]
    pub fn check_params(&self, values: JsValue) -> Result<(), JsError> {
        FilterRun::new(&self.inner, &param_values(values)?).map_err(js_error)?;
        Ok(())
    }
}

/// Parameter values from `{ id: number | boolean | string }`.
fn param_values(values: JsValue) -> Result<BTreeMap<String, ParamValue>, JsError> {
    if values.is_undefined() || values.is_null() {
        return Ok(BTreeMap::new());
    }
    let entries = Object::entries(values.unchecked_ref());
    let mut out = BTreeMap::new();
    for entry in entries.iter() {
        let pair: Array = entry.unchecked_into();
        let id = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        let parsed = if let Some(b) = value.as_bool() {
            ParamValue::Boolean(b)
        } else if let Some(n) = value.as_f64() {
            ParamValue::Number(n)
        } else if let Some(text) = value.as_string() {
            ParamValue::Text(text)
        } else {
            return Err(js_error(Error::param(
                id,
                "must be a number, true/false or text",
            )));
        };
        out.insert(id, parsed);
    }
    Ok(out)
}

fn set(target: &Object, key: &str, value: &JsValue) -> Result<(), JsError> {
    Reflect::set(target, &key.into(), value)
        .map(|_| ())
        .map_err(|_| JsError::new("cannot build the answer object"))
}

/// A module the browser instantiated, reached through its exports.
struct BrowserModule {
    plugin: String,
    exports: Object,
    memory: js_sys::WebAssembly::Memory,
    /// The memory's declared maximum, in 64 KiB pages.
    max_memory_pages: u64,
    /// The messages the Worker's `retouch.log` import collected.
    log: Array,
}

impl BrowserModule {
    fn bytes(&self) -> Uint8Array {
        Uint8Array::new(&self.memory.buffer())
    }

    fn range(&self, at: usize, len: usize) -> Result<Uint8Array> {
        let bytes = self.bytes();
        let size = bytes.length() as usize;
        match at.checked_add(len) {
            Some(end) if end <= size => Ok(bytes.subarray(at as u32, end as u32)),
            _ => Err(plugin_error(
                &self.plugin,
                format!("its buffer at {at} ({len} bytes) lies outside its {size} bytes of memory"),
            )),
        }
    }
}

impl ModuleRuntime for BrowserModule {
    fn call(&mut self, export: &'static str, args: &[i32]) -> Result<i32> {
        let function: Function = Reflect::get(&self.exports, &export.into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| plugin_error(&self.plugin, format!("it has no function '{export}'")))?;
        let args: Array = args.iter().map(|a| JsValue::from(*a)).collect();
        match function.apply(&JsValue::NULL, &args) {
            Ok(value) => Ok(value.as_f64().unwrap_or(0.0) as i32),
            Err(thrown) => {
                let message = thrown
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
                    .unwrap_or_else(|| format!("{thrown:?}"));
                let full = self.memory_len() as u64 >= self.max_memory_pages * 65536;
                Err(plugin_error(
                    &self.plugin,
                    if full {
                        format!(
                            "trapped in {export}: {message}, with its memory at its limit of \
                             {} MiB: it ran out of memory",
                            abi::pages_to_mib(self.max_memory_pages)
                        )
                    } else {
                        format!("trapped in {export}: {message}")
                    },
                ))
            }
        }
    }

    fn write(&mut self, at: usize, bytes: &[u8]) -> Result<()> {
        self.range(at, bytes.len())?.copy_from(bytes);
        Ok(())
    }

    fn read(&mut self, at: usize, out: &mut [u8]) -> Result<()> {
        self.range(at, out.len())?.copy_to(out);
        Ok(())
    }

    /// The plugin's memory is another WebAssembly instance's, reached through JavaScript.
    fn memory_mut(&mut self) -> Option<&mut [u8]> {
        None
    }

    fn memory_len(&self) -> usize {
        self.memory
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length() as usize
    }

    fn log(&self) -> String {
        self.log
            .iter()
            .filter_map(|m| m.as_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One run of a plugin in its Worker: `new PluginRun(bundle, values, exports, log)` checks the
/// module's ABI version and asks its halo; `run(...)` filters.
#[wasm_bindgen]
pub struct PluginRun {
    bundle: Bundle,
    values: Vec<f32>,
    instance: PluginInstance<BrowserModule>,
    halo: u32,
}

#[wasm_bindgen]
impl PluginRun {
    /// `exports`: the instance's exports; `log`: the array the Worker's `retouch.log` import
    /// pushes messages to.
    #[wasm_bindgen(constructor)]
    pub fn new(
        bundle: &PluginBundle,
        values: JsValue,
        exports: Object,
        log: Array,
    ) -> Result<PluginRun, JsError> {
        let bundle = bundle.inner.clone();
        let run = FilterRun::new(&bundle, &param_values(values)?).map_err(js_error)?;
        let (memory_limit, _) = run.module_limits().map_err(js_error)?;
        let wasm = bundle.module().expect("module_limits checked the module");
        let info = abi::inspect_module(wasm, memory_limit).map_err(js_error)?;
        let memory = Reflect::get(&exports, &"memory".into())
            .ok()
            .and_then(|m| m.dyn_into().ok())
            .ok_or_else(|| js_error(plugin_error(run_id(&bundle), "it exports no memory")))?;
        let module = BrowserModule {
            plugin: run_id(&bundle).to_string(),
            exports,
            memory,
            max_memory_pages: info.max_memory_pages,
            log,
        };
        let mut instance = PluginInstance::new(run_id(&bundle), module).map_err(js_error)?;
        let halo = run.module_halo(&mut instance).map_err(js_error)?;
        let values = run.values;
        Ok(PluginRun {
            bundle,
            values,
            instance,
            halo,
        })
    }

    /// The halo the plugin asks for with these values (the crop must hold the area grown by it).
    #[wasm_bindgen(getter)]
    pub fn halo(&self) -> u32 {
        self.halo
    }

    /// Filters `area` (`{x, y, width, height}`, layer coordinates) of a crop of a layer
    /// (`crop`: `{ pixels, x, y, width, height, layerWidth, layerHeight }`), calling
    /// `onTile(done, total)` after each tile; returns the area's RGBA bytes.
    pub fn run(
        &mut self,
        crop: JsValue,
        area: JsValue,
        on_tile: &Function,
    ) -> Result<Uint8Array, JsError> {
        let crop = crop_from_js(&crop)?;
        let source = crop.source();
        let area = area_from_js(&area)?;
        let run = FilterRun {
            bundle: &self.bundle,
            values: self.values.clone(),
        };
        // Each filtered row goes straight into the array handed back: no image of the area in
        // this module's memory, and no copy of one into JavaScript at the end.
        let out = Uint8Array::new_with_length(area.width * area.height * 4);
        let put = |at: usize, row: &[u8]| {
            let at = at as u32;
            out.subarray(at, at + row.len() as u32).copy_from(row);
        };
        run.run_module_rows(
            &mut self.instance,
            self.halo,
            &source,
            area,
            put,
            |done, total| {
                let _ = on_tile.call2(&JsValue::NULL, &done.into(), &total.into());
            },
        )
        .map_err(js_error)?;
        Ok(out)
    }
}

fn number(of: &JsValue, key: &str) -> Result<f64, JsError> {
    Reflect::get(of, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .ok_or_else(|| JsError::new(&format!("{key} must be a number")))
}

/// A crop of a layer handed over from JavaScript, owned (a [`FilterSource`] borrows it).
struct Crop {
    pixels: RgbaImage,
    origin: (u32, u32),
    layer_size: (u32, u32),
}

impl Crop {
    fn source(&self) -> FilterSource<'_> {
        FilterSource {
            pixels: &self.pixels,
            origin: self.origin,
            layer_size: self.layer_size,
        }
    }
}

/// A crop `{ pixels, x, y, width, height, layerWidth, layerHeight }`.
fn crop_from_js(crop: &JsValue) -> Result<Crop, JsError> {
    let pixels: Uint8Array = Reflect::get(crop, &"pixels".into())
        .ok()
        .and_then(|p| p.dyn_into().ok())
        .ok_or_else(|| JsError::new("crop.pixels must be a Uint8Array"))?;
    let (width, height) = (
        number(crop, "width")? as u32,
        number(crop, "height")? as u32,
    );
    let pixels = RgbaImage::from_raw(width, height, pixels.to_vec()).ok_or_else(|| {
        js_error(Error::SizeMismatch(format!(
            "the crop's pixels do not hold {width}×{height} RGBA"
        )))
    })?;
    let origin = (number(crop, "x")? as u32, number(crop, "y")? as u32);
    let layer_size = (
        number(crop, "layerWidth")? as u32,
        number(crop, "layerHeight")? as u32,
    );
    Ok(Crop {
        pixels,
        origin,
        layer_size,
    })
}

/// `{ x, y, width, height }` as a rectangle.
fn area_from_js(area: &JsValue) -> Result<Rect, JsError> {
    Ok(Rect::new(
        number(area, "x")? as i32,
        number(area, "y")? as i32,
        number(area, "width")? as u32,
        number(area, "height")? as u32,
    ))
}

fn run_id(bundle: &Bundle) -> &str {
    &bundle.manifest.id
}

/// A filter dialog's preview proxy (`Project.filterProxy`).
#[wasm_bindgen]
pub struct FilterPreview {
    inner: FilterProxy,
}

#[wasm_bindgen]
impl FilterPreview {
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.inner.pixels.width()
    }

    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.inner.pixels.height()
    }

    /// The proxy's RGBA bytes (what the plugin filters).
    pub fn pixels(&self) -> Vec<u8> {
        self.inner.pixels.as_raw().clone()
    }

    /// The proxy after the filter, inside the selection only (RGBA bytes to draw).
    pub fn blend(&self, filtered: Vec<u8>) -> Result<Vec<u8>, JsError> {
        let (w, h) = self.inner.pixels.dimensions();
        let filtered = RgbaImage::from_raw(w, h, filtered).ok_or_else(|| {
            js_error(Error::SizeMismatch(format!(
                "the filtered preview does not hold {w}×{h} RGBA"
            )))
        })?;
        Ok(self.inner.blend(&filtered).map_err(js_error)?.into_raw())
    }
}

#[wasm_bindgen]
impl Project {
    /// What filtering layer `id` inside the selection reads with a halo of `halo`:
    /// `{ area (canvas), areaOnLayer, crop: { pixels, x, y, width, height, layerWidth,
    /// layerHeight } }`, the shape `PluginRun.run` takes.
    #[wasm_bindgen(js_name = filterCrop)]
    pub fn filter_crop(&self, id: u32, halo: u32) -> Result<JsValue, JsError> {
        let doc = self.doc()?;
        let crop = doc.filter_crop(id, halo).map_err(js_error)?;
        let source = Object::new();
        set(
            &source,
            "pixels",
            &Uint8Array::from(crop.pixels.as_raw().as_slice()).into(),
        )?;
        set(&source, "x", &crop.origin.0.into())?;
        set(&source, "y", &crop.origin.1.into())?;
        set(&source, "width", &crop.pixels.width().into())?;
        set(&source, "height", &crop.pixels.height().into())?;
        set(&source, "layerWidth", &crop.layer_size.0.into())?;
        set(&source, "layerHeight", &crop.layer_size.1.into())?;
        let out = Object::new();
        set(&out, "area", &rect_to_js(Some(crop.area))?)?;
        set(&out, "areaOnLayer", &rect_to_js(Some(crop.area_on_layer))?)?;
        set(&out, "crop", &source)?;
        Ok(out.into())
    }

    /// Writes a filter's result for canvas rectangle `(x, y, width, height)` (which must be
    /// `filterCrop`'s area) on layer `id` inside the selection, as one history step `name`.
    #[wasm_bindgen(js_name = applyFilteredArea)]
    #[allow(clippy::too_many_arguments)]
    pub fn apply_filtered_area(
        &self,
        id: u32,
        x: i32,
        y: i32,
        width: u32,
        height: u32,
        pixels: Vec<u8>,
        name: &str,
    ) -> Result<(), JsError> {
        let filtered = RgbaImage::from_raw(width, height, pixels).ok_or_else(|| {
            js_error(Error::SizeMismatch(format!(
                "the filtered pixels do not hold {width}×{height} RGBA"
            )))
        })?;
        self.doc()?
            .apply_filtered_area(id, Rect::new(x, y, width, height), &filtered, name)
            .map_err(js_error)
    }

    /// The area filtering layer `id` would change, scaled down to fit `maxSide`, for a live
    /// preview.
    #[wasm_bindgen(js_name = filterProxy)]
    pub fn filter_proxy(&self, id: u32, max_side: u32) -> Result<FilterPreview, JsError> {
        Ok(FilterPreview {
            inner: self.doc()?.filter_proxy(id, max_side).map_err(js_error)?,
        })
    }
}
