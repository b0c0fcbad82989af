//! The AI upscaler for JavaScript: a network read from its `.rtnet` bytes
//! and an upscale run one tile per call, so the page can show progress and
//! stop between tiles, on the CPU (`EsrganJob`) or on the engine's WebGPU
//! device (`EsrganGpu`). Thin marshalling over `crate::ops::esrgan`.

use super::{js_error, Image, RetouchEngine};
use crate::engine::Engine;
use crate::ops::esrgan::{self, GpuUpscaler, UpscaleJob, Upscaler};
use crate::Error;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A converted ESRGAN network, ready to run.
#[wasm_bindgen]
pub struct EsrganModel {
    inner: Rc<Upscaler>,
}

#[wasm_bindgen]
impl EsrganModel {
    /// Reads a `.rtnet` file's bytes, checking them; `name` names the file in errors.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<EsrganModel, JsError> {
        let inner = Upscaler::from_bytes(bytes, name).map_err(js_error)?;
        Ok(EsrganModel {
            inner: Rc::new(inner),
        })
    }

    /// The enlargement factor.
    #[wasm_bindgen(getter)]
    pub fn scale(&self) -> u32 {
        self.inner.scale()
    }
}

/// A network's weights uploaded to an engine's WebGPU device, kept for the
/// next run (`EsrganGpu.upload(engine, model)`).
#[wasm_bindgen]
pub struct EsrganGpu {
    engine: Rc<Engine>,
    upscaler: Rc<Upscaler>,
    weights: Rc<GpuUpscaler>,
}

#[wasm_bindgen]
impl EsrganGpu {
    /// Uploads `model`'s weights to `engine`'s GPU; throws on a CPU engine.
    pub fn upload(engine: &RetouchEngine, model: &EsrganModel) -> Result<EsrganGpu, JsError> {
        let gpu = engine.inner.gpu().ok_or_else(|| {
            js_error(Error::Gpu(
                "the AI upscaler's GPU path needs a WebGPU engine".into(),
            ))
        })?;
        Ok(EsrganGpu {
            engine: Rc::clone(&engine.inner),
            upscaler: Rc::clone(&model.inner),
            weights: Rc::new(GpuUpscaler::new(gpu, &model.inner)),
        })
    }

    /// Upscales `image` on the GPU, tile by tile (the tiles and halo of the
    /// native GPU path, `upscale_on`), calling `onTile(done, total)` after
    /// each; resolves to the upscaled [`Image`].
    pub fn upscale(&self, image: &Image, on_tile: js_sys::Function) -> js_sys::Promise {
        let (engine, upscaler, weights) = (
            Rc::clone(&self.engine),
            Rc::clone(&self.upscaler),
            Rc::clone(&self.weights),
        );
        let src = image.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let gpu = engine.gpu().expect("upload checked the GPU");
            let mut job = UpscaleJob::for_gpu(upscaler, src, &weights).map_err(js_error)?;
            let report = |job: &UpscaleJob<Rc<Upscaler>>| {
                let (done, total) = (job.done() as u32, job.total() as u32);
                let _ = on_tile.call2(&JsValue::NULL, &done.into(), &total.into());
            };
            report(&job);
            while job.step_on_gpu(gpu, &weights).await.map_err(js_error)? {
                report(&job);
            }
            report(&job);
            Ok(Image {
                inner: job.finish().map_err(js_error)?,
            }
            .into())
        })
    }
}

/// The file name of a shipped network (`"slim"`, `"medium"` or `"thick"`, scale 2, 3 or
/// 4), e.g. `esrgan-slim-x2.rtnet`; an error names a model or scale that
/// does not exist.
#[wasm_bindgen(js_name = esrganModelFile)]
pub fn esrgan_model_file(model: &str, scale: f64) -> Result<String, JsError> {
    esrgan::model_file(model, scale).map_err(js_error)
}

/// One upscale of an image by a model, run tile by tile.
#[wasm_bindgen]
pub struct EsrganJob {
    inner: UpscaleJob<Rc<Upscaler>>,
}

#[wasm_bindgen]
impl EsrganJob {
    /// Prepares the upscale of `image` (sizes and memory checked, alpha
    /// upscaled); no tile runs yet.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &EsrganModel, image: &Image) -> Result<EsrganJob, JsError> {
        let inner =
            UpscaleJob::new(Rc::clone(&model.inner), image.inner.clone()).map_err(js_error)?;
        Ok(EsrganJob { inner })
    }

    /// Runs the next tile; returns whether tiles are left.
    pub fn step(&mut self) -> bool {
        self.inner.step()
    }

    /// Tiles run so far.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> u32 {
        self.inner.done() as u32
    }

    /// Tiles in all.
    #[wasm_bindgen(getter)]
    pub fn total(&self) -> u32 {
        self.inner.total() as u32
    }

    /// The upscaled image, once every tile has run.
    pub fn finish(&mut self) -> Result<Image, JsError> {
        let inner = self.inner.finish().map_err(js_error)?;
        Ok(Image { inner })
    }
}
