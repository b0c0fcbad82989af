//! The AI upscaler for JavaScript: a network read from its `.rtnet` bytes
//! and an upscale run one tile per call, so the page can show progress and
//! stop between tiles. Thin marshalling over `crate::ops::esrgan`.

use super::{js_error, Image};
use crate::ops::esrgan::{self, UpscaleJob, Upscaler};
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

/// The file name of a shipped network (`"slim"` or `"medium"`, scale 2, 3 or
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
