//! `CanvasView`: a `<canvas>` that shows a project straight from the GPU.

use super::{js_error, RetouchEngine};
use crate::engine::Engine;
use crate::ops::present;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A canvas whose WebGPU context presents projects rendered on one engine's
/// GPU (`Project.renderTo`): no read-back to draw.
#[wasm_bindgen]
pub struct CanvasView {
    pub(super) engine: Rc<Engine>,
    pub(super) inner: Rc<RefCell<present::CanvasView>>,
}

#[wasm_bindgen]
impl RetouchEngine {
    /// Takes `canvas`'s WebGPU context for presenting. Fails on the CPU
    /// engine, or when the canvas already has another context.
    #[wasm_bindgen(js_name = canvasView)]
    pub fn canvas_view(&self, canvas: web_sys::HtmlCanvasElement) -> Result<CanvasView, JsError> {
        let gpu = self
            .inner
            .gpu()
            .ok_or_else(|| JsError::new("presenting needs the WebGPU engine"))?;
        let view = present::CanvasView::new(gpu, canvas).map_err(js_error)?;
        Ok(CanvasView {
            engine: Rc::clone(&self.inner),
            inner: Rc::new(RefCell::new(view)),
        })
    }

    /// How many results this engine has read back from the GPU (0 on the
    /// CPU): what presenting from the GPU avoids; tests count it.
    #[wasm_bindgen(js_name = readBacks)]
    pub fn read_backs(&self) -> f64 {
        self.inner.gpu().map_or(0, |gpu| gpu.read_backs()) as f64
    }

    /// How many bytes this engine has uploaded to the GPU (0 on the CPU):
    /// what holding the document there keeps to what changed; tests count it.
    #[wasm_bindgen(js_name = uploadedBytes)]
    pub fn uploaded_bytes(&self) -> f64 {
        self.inner.gpu().map_or(0, |gpu| gpu.uploaded_bytes()) as f64
    }
}
