//! Retouch: the editing core for the last mile of AI image production.
//!
//! Every pixel operation lives in [`ops`]; each has a CPU reference, and most
//! a GPU version run through the [`engine`] (see [`ops`] for which). The CLI (`src/bin`), the wasm API
//! ([`wasm`], wasm32 only) and the tests all call the same functions.

#[cfg(not(target_arch = "wasm32"))]
pub mod atomic_write;
pub mod doc;
pub mod engine;
pub mod error;
pub mod host_pixels;
mod huge_pages;
pub mod image_io;
pub mod memory;
pub mod ops;
pub mod parallel;
pub mod plugin;
pub mod provider;
mod simd;
#[cfg(test)]
mod test_kit;
#[cfg(test)]
mod test_rng;
pub mod text;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
