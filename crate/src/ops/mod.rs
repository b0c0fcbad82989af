//! Pixel operations, one folder per kernel family. Each family has a CPU
//! reference (`cpu.rs`), a WGSL kernel with its driver (`gpu.rs`) and parity
//! tests; `mod.rs` is the API callers use, which picks the backend.

pub mod adjust;
pub mod blend;
pub mod brush;
pub mod color_range;
pub mod dab;
pub mod feather;
pub mod fill;
pub mod morphology;
pub mod paint;
pub mod resample;
pub mod select;
pub mod wand;
