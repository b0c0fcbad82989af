//! Pixel operations, one folder per kernel family. Each family has a CPU
//! reference (`cpu.rs`) and its tests; `mod.rs` is the API callers use. The
//! families where bandwidth dominates also have a WGSL kernel with its driver
//! (`gpu.rs`), held to the CPU by parity tests, and `mod.rs` picks the
//! backend; selection shapes (`select`), the magic wand (`wand`) and
//! Content-Aware Fill (`fill`) are CPU only. Gradient-domain blending
//! (`poisson`) relaxes on the GPU and builds its pyramid on the CPU.
//! `present` draws a composite held on the GPU onto a canvas's texture.

pub mod adjust;
pub mod blend;
pub mod brush;
pub mod color_range;
pub mod dab;
pub mod esrgan;
pub mod feather;
pub mod fill;
pub mod morphology;
pub mod paint;
pub mod poisson;
pub mod present;
pub mod resample;
pub mod select;
pub mod transform;
pub mod wand;
