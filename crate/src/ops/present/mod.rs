//! Presenting: drawing the composite a GPU holds onto a canvas's texture,
//! so the page shows a document recomposed on the GPU without reading it
//! back.
//!
//! The composite is straight-alpha RGBA8 in a storage buffer
//! ([`crate::ops::blend::GpuCanvas`]); a WebGPU canvas configured with
//! premultiplied alpha wants premultiplied colour. One full-target triangle
//! reads the texel under each fragment and writes `(r·a, g·a, b·a, a)`: a
//! canvas the document's size shows it pixel for pixel, and the page's CSS
//! zoom scales it as it scales a 2D canvas. `cpu.rs` is what the pass writes,
//! computed on the CPU (the parity reference); the browser test holds the
//! screen to what Chromium's own 2D canvas shows for the same composite.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

pub use cpu::premultiplied;
#[cfg(target_arch = "wasm32")]
pub use gpu::CanvasView;
pub use gpu::Presenter;
