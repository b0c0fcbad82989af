//! Layer compositing with the 27 Photoshop blend modes.
//!
//! A layer (RGBA8 sRGB, straight alpha) is placed at an offset over a backdrop
//! and blended with an opacity and an optional 8-bit mask the size of the
//! layer. Where the W3C Compositing and Blending Level 1 spec defines a mode,
//! its formula and its source-over compositing are used, so results match CSS
//! `mix-blend-mode` and canvas `globalCompositeOperation`:
//!
//! ```text
//! αs = layer alpha × mask × opacity          (coverage)
//! Cs' = (1 − αb)·Cs + αb·B(Cb, Cs)
//! αo = αs + αb·(1 − αs)
//! Co = (αs·Cs' + αb·Cb·(1 − αs)) / αo
//! ```
//!
//! Pixels with zero coverage are left bit-exact. Blending happens on
//! gamma-encoded values unless `linear_light` is set.

mod cpu;
#[cfg(vector_rows)]
mod cpu_vector;
mod gpu;
mod nonseparable;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

pub use cpu::composite_cpu_in_place;
pub use gpu::{composite_stack_into, GpuCanvas, GpuLayer};

use crate::engine::Engine;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// The Photoshop blend modes, in Photoshop's menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum BlendMode {
    Normal,
    Dissolve,
    Darken,
    Multiply,
    ColorBurn,
    LinearBurn,
    DarkerColor,
    Lighten,
    Screen,
    ColorDodge,
    LinearDodge,
    LighterColor,
    Overlay,
    SoftLight,
    HardLight,
    VividLight,
    LinearLight,
    PinLight,
    HardMix,
    Difference,
    Exclusion,
    Subtract,
    Divide,
    Hue,
    Saturation,
    Color,
    Luminosity,
}

impl BlendMode {
    /// Every mode, in menu order; `ALL[m as usize] == m`.
    pub const ALL: [BlendMode; 27] = [
        BlendMode::Normal,
        BlendMode::Dissolve,
        BlendMode::Darken,
        BlendMode::Multiply,
        BlendMode::ColorBurn,
        BlendMode::LinearBurn,
        BlendMode::DarkerColor,
        BlendMode::Lighten,
        BlendMode::Screen,
        BlendMode::ColorDodge,
        BlendMode::LinearDodge,
        BlendMode::LighterColor,
        BlendMode::Overlay,
        BlendMode::SoftLight,
        BlendMode::HardLight,
        BlendMode::VividLight,
        BlendMode::LinearLight,
        BlendMode::PinLight,
        BlendMode::HardMix,
        BlendMode::Difference,
        BlendMode::Exclusion,
        BlendMode::Subtract,
        BlendMode::Divide,
        BlendMode::Hue,
        BlendMode::Saturation,
        BlendMode::Color,
        BlendMode::Luminosity,
    ];

    /// The CLI and manifest name, e.g. `color-burn`.
    pub fn name(self) -> &'static str {
        match self {
            BlendMode::Normal => "normal",
            BlendMode::Dissolve => "dissolve",
            BlendMode::Darken => "darken",
            BlendMode::Multiply => "multiply",
            BlendMode::ColorBurn => "color-burn",
            BlendMode::LinearBurn => "linear-burn",
            BlendMode::DarkerColor => "darker-color",
            BlendMode::Lighten => "lighten",
            BlendMode::Screen => "screen",
            BlendMode::ColorDodge => "color-dodge",
            BlendMode::LinearDodge => "linear-dodge",
            BlendMode::LighterColor => "lighter-color",
            BlendMode::Overlay => "overlay",
            BlendMode::SoftLight => "soft-light",
            BlendMode::HardLight => "hard-light",
            BlendMode::VividLight => "vivid-light",
            BlendMode::LinearLight => "linear-light",
            BlendMode::PinLight => "pin-light",
            BlendMode::HardMix => "hard-mix",
            BlendMode::Difference => "difference",
            BlendMode::Exclusion => "exclusion",
            BlendMode::Subtract => "subtract",
            BlendMode::Divide => "divide",
            BlendMode::Hue => "hue",
            BlendMode::Saturation => "saturation",
            BlendMode::Color => "color",
            BlendMode::Luminosity => "luminosity",
        }
    }

    /// Parses a CLI/manifest name; the error lists the valid names.
    pub fn from_name(name: &str) -> Result<BlendMode> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                Error::param(
                    "mode",
                    format!(
                        "unknown blend mode '{name}'; valid modes: {}",
                        valid.join(", ")
                    ),
                )
            })
    }

    /// True for the modes the W3C spec defines (and browsers implement).
    pub fn is_w3c(self) -> bool {
        use BlendMode::*;
        matches!(
            self,
            Normal
                | Darken
                | Multiply
                | ColorBurn
                | Lighten
                | Screen
                | ColorDodge
                | Overlay
                | SoftLight
                | HardLight
                | Difference
                | Exclusion
                | Hue
                | Saturation
                | Color
                | Luminosity
        )
    }
}

/// How a layer is composited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompositeOptions {
    pub mode: BlendMode,
    /// 0 to 1.
    pub opacity: f32,
    /// Position of the layer's top-left corner on the backdrop, in pixels.
    pub offset: (i32, i32),
    /// Blend on linear-light values instead of gamma-encoded ones.
    pub linear_light: bool,
    /// Seed of dissolve's per-pixel pattern: the same seed gives the same result.
    pub dissolve_seed: u32,
    /// Where the backdrop's top-left pixel lies in the document. Dissolve's
    /// pattern is keyed to document positions, so a backdrop that is only
    /// part of the canvas (a band, a region) gets the pattern the whole
    /// canvas shows there.
    pub backdrop_origin: (i32, i32),
}

impl Default for CompositeOptions {
    fn default() -> Self {
        CompositeOptions {
            mode: BlendMode::Normal,
            opacity: 1.0,
            offset: (0, 0),
            linear_light: false,
            dissolve_seed: 0,
            backdrop_origin: (0, 0),
        }
    }
}

/// The part of the backdrop a layer covers, with the matching layer origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overlap {
    /// Top-left of the overlap on the backdrop.
    pub base_x: u32,
    pub base_y: u32,
    /// Top-left of the overlap on the layer.
    pub layer_x: u32,
    pub layer_y: u32,
    pub width: u32,
    pub height: u32,
}

impl Overlap {
    /// The rectangle where a `layer_w`×`layer_h` layer at `offset` meets the
    /// backdrop, or `None` when they do not meet.
    pub(crate) fn new(base: (u32, u32), layer: (u32, u32), offset: (i32, i32)) -> Option<Overlap> {
        let x0 = i64::from(offset.0).max(0);
        let y0 = i64::from(offset.1).max(0);
        let x1 = (i64::from(offset.0) + i64::from(layer.0)).min(i64::from(base.0));
        let y1 = (i64::from(offset.1) + i64::from(layer.1)).min(i64::from(base.1));
        (x1 > x0 && y1 > y0).then(|| Overlap {
            base_x: x0 as u32,
            base_y: y0 as u32,
            layer_x: (x0 - i64::from(offset.0)) as u32,
            layer_y: (y0 - i64::from(offset.1)) as u32,
            width: (x1 - x0) as u32,
            height: (y1 - y0) as u32,
        })
    }
}

/// Checks parameters and sizes before anything is computed; callers may run
/// it early (before opening a GPU, say) to fail fast.
pub fn validate(
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    options: &CompositeOptions,
) -> Result<()> {
    validate_options(options)?;
    if let Some(mask) = mask {
        if mask.dimensions() != layer.dimensions() {
            return Err(Error::SizeMismatch(format!(
                "the mask is {}×{} but the layer is {}×{}",
                mask.width(),
                mask.height(),
                layer.width(),
                layer.height()
            )));
        }
    }
    Ok(())
}

/// Checks the options that do not depend on the images.
pub(crate) fn validate_options(options: &CompositeOptions) -> Result<()> {
    if !options.opacity.is_finite() || !(0.0..=1.0).contains(&options.opacity) {
        return Err(Error::param(
            "opacity",
            format!("{} is outside 0 to 1", options.opacity),
        ));
    }
    Ok(())
}

/// Composites `layer` over `base` and returns the result, on the engine's
/// backend. `base` is not modified; on error nothing is produced.
pub async fn composite(
    engine: &Engine,
    base: &RgbaImage,
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    options: &CompositeOptions,
) -> Result<RgbaImage> {
    let Some(gpu) = engine.gpu() else {
        return composite_cpu(base, layer, mask, options);
    };
    validate(layer, mask, options)?;
    let mut out = base.clone();
    gpu::composite_gpu_in_place(gpu, &mut out, layer, mask, options).await?;
    Ok(out)
}

/// [`composite`] on the CPU, synchronously: for callers that have no
/// executor or must not copy their inputs into a future.
pub fn composite_cpu(
    base: &RgbaImage,
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    options: &CompositeOptions,
) -> Result<RgbaImage> {
    validate(layer, mask, options)?;
    let (width, height) = base.dimensions();
    let copy = crate::huge_pages::copy_of(base.as_raw());
    let mut out = RgbaImage::from_raw(width, height, copy).expect("a copy is the same size");
    composite_cpu_in_place(&mut out, layer, mask, options)?;
    Ok(out)
}
