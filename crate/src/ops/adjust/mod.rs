//! Adjustments: the tonal, colour and sharpness filters a retoucher applies to
//! a layer (Photoshop's Image → Adjustments plus Gaussian Blur and Unsharp
//! Mask). Colours are straight-alpha RGBA8 in gamma-encoded sRGB; alpha is
//! never changed except by the blur, which blurs it with the colour.
//!
//! The exact formulas, with `v` a channel value in 0–255 and results rounded
//! to the nearest level and clamped to 0–255:
//!
//! - **Levels** (`input_black` `ib`, `input_white` `iw`, `gamma` `γ`,
//!   `output_black` `ob`, `output_white` `ow`):
//!   `t = clamp((v − ib) / (iw − ib), 0, 1)`, `out = ob + t^(1/γ) · (ow − ob)`.
//!   γ > 1 brightens the midtones, as Photoshop's middle slider does;
//!   `ob > ow` inverts.
//! - **Curves**: per channel `out = master(channel(v))`, each curve the
//!   monotone piecewise cubic through its control points (the
//!   Fritsch–Butland derivatives of SciPy's `PchipInterpolator`, so a curve
//!   never overshoots between points), flat beyond the first and last point.
//!   Points are written `x:y` (0–255) separated by commas, `x` increasing.
//! - **Brightness/contrast** (−100 to 100 each): `v₁ = v · (1 + b/100)` (as
//!   Pillow's `ImageEnhance.Brightness`), then
//!   `out = 128 + (v₁ − 128) · (1 + c/100)` (Pillow's `ImageEnhance.Contrast`
//!   about a fixed mid-grey, so a selection's result does not depend on the
//!   rest of the layer); `v₁` is not rounded between the two.
//! - **Hue/saturation** (hue −180 to 180°, saturation and lightness −100 to
//!   100), on the pixel's HSL: `h += hue`; `s = clamp(s · (1 + sat/100), 0, 1)`;
//!   lightness `L = light/100`: `l = l · (1 + L)` when `L < 0`, else
//!   `l = l + (1 − l) · L` (GIMP's Hue-Saturation, Photoshop's master range).
//! - **Colour balance**: three sliders per tonal range (cyan–red,
//!   magenta–green, yellow–blue, −100 to 100, as Photoshop's) add to R, G and
//!   B in 0–1 units, each weighted by the pixel's HSL lightness `l` (GIMP's
//!   masks, `a = 0.25`, `b = 0.333`, scale 0.7):
//!   shadows `clamp((l − b)/−a + ½, 0, 1)`, highlights
//!   `clamp((l + b − 1)/a + ½, 0, 1)`, midtones
//!   `clamp((l − b)/a + ½, 0, 1) · clamp((l + b − 1)/−a + ½, 0, 1)`; each
//!   channel is clamped to 0–1; with `preserve_luminosity` the result takes
//!   back the original HSL lightness.
//! - **Gaussian blur** (`sigma`, the standard deviation in pixels, 0.3 to
//!   125): the feather's recursive Gaussian ([`crate::ops::feather`], within
//!   ±1 of a direct convolution, clamp to edge) on each channel;
//!   translucent images are blurred premultiplied (8-bit) so transparent
//!   pixels lend no colour.
//! - **Unsharp mask** (`amount` 1–500 %, `radius` the blur's σ 0.3–125 px,
//!   `threshold` 0–255 levels), per colour channel as Photoshop and Pillow:
//!   `d = v − blur(v)` (the blurred value rounded to 8 bits); when
//!   `|d| ≥ threshold`, `out = v + d · amount/100`, else `out = v`.
//!
//! Levels, curves and brightness/contrast become one 256-entry table per
//! channel built on the CPU; both backends look pixels up in the same table,
//! so they agree exactly. Hue/saturation, colour balance and the unsharp
//! step are per-pixel f32 formulas that the WGSL mirrors (±1). The blur's
//! backends agree within ±1, so the unsharp mask's agree within
//! `1 + amount/100`, except where that ±1 moves a pixel's difference across
//! the threshold: there, up to `(threshold + 1) · amount/100`.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::{Engine, GpuContext};
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// One adjustment and its parameters, as the manifests name them: `kind` is
/// the manifest's kernel without `adjust.` (`adjust.hue_saturation` →
/// `hue_saturation`), the other fields its parameter ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Adjustment {
    Levels(Levels),
    Curves(Curves),
    BrightnessContrast(BrightnessContrast),
    HueSaturation(HueSaturation),
    ColorBalance(ColorBalance),
    GaussianBlur(GaussianBlur),
    UnsharpMask(UnsharpMask),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Levels {
    pub input_black: f32,
    pub input_white: f32,
    pub gamma: f32,
    pub output_black: f32,
    pub output_white: f32,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            input_black: 0.0,
            input_white: 255.0,
            gamma: 1.0,
            output_black: 0.0,
            output_white: 255.0,
        }
    }
}

/// Control points per curve, `x:y` pairs separated by commas (see the
/// module docs); the identity is `0:0,255:255`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Curves {
    pub master: String,
    pub red: String,
    pub green: String,
    pub blue: String,
}

/// The identity curve's points.
pub const IDENTITY_CURVE: &str = "0:0,255:255";

impl Default for Curves {
    fn default() -> Self {
        Curves {
            master: IDENTITY_CURVE.into(),
            red: IDENTITY_CURVE.into(),
            green: IDENTITY_CURVE.into(),
            blue: IDENTITY_CURVE.into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrightnessContrast {
    pub brightness: f32,
    pub contrast: f32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HueSaturation {
    pub hue: f32,
    pub saturation: f32,
    pub lightness: f32,
}

/// Slider values per tonal range: `[cyan–red, magenta–green, yellow–blue]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColorBalance {
    pub shadows_cyan_red: f32,
    pub shadows_magenta_green: f32,
    pub shadows_yellow_blue: f32,
    pub midtones_cyan_red: f32,
    pub midtones_magenta_green: f32,
    pub midtones_yellow_blue: f32,
    pub highlights_cyan_red: f32,
    pub highlights_magenta_green: f32,
    pub highlights_yellow_blue: f32,
    pub preserve_luminosity: bool,
}

impl Default for ColorBalance {
    fn default() -> Self {
        ColorBalance {
            shadows_cyan_red: 0.0,
            shadows_magenta_green: 0.0,
            shadows_yellow_blue: 0.0,
            midtones_cyan_red: 0.0,
            midtones_magenta_green: 0.0,
            midtones_yellow_blue: 0.0,
            highlights_cyan_red: 0.0,
            highlights_magenta_green: 0.0,
            highlights_yellow_blue: 0.0,
            preserve_luminosity: true,
        }
    }
}

impl ColorBalance {
    fn sliders(&self) -> [(&'static str, f32); 9] {
        [
            ("shadows_cyan_red", self.shadows_cyan_red),
            ("shadows_magenta_green", self.shadows_magenta_green),
            ("shadows_yellow_blue", self.shadows_yellow_blue),
            ("midtones_cyan_red", self.midtones_cyan_red),
            ("midtones_magenta_green", self.midtones_magenta_green),
            ("midtones_yellow_blue", self.midtones_yellow_blue),
            ("highlights_cyan_red", self.highlights_cyan_red),
            ("highlights_magenta_green", self.highlights_magenta_green),
            ("highlights_yellow_blue", self.highlights_yellow_blue),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussianBlur {
    pub sigma: f32,
}

impl Default for GaussianBlur {
    fn default() -> Self {
        GaussianBlur { sigma: 2.0 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnsharpMask {
    pub amount: f32,
    pub radius: f32,
    pub threshold: f32,
}

impl Default for UnsharpMask {
    fn default() -> Self {
        UnsharpMask {
            amount: 100.0,
            radius: 1.0,
            threshold: 0.0,
        }
    }
}

/// The smallest and largest blur σ (the feather's range, in σ).
pub const SIGMA_RANGE: (f32, f32) = (0.3, 125.0);

fn check_range(name: &str, value: f32, min: f32, max: f32) -> Result<()> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("{value} is outside {min} to {max}"),
        ))
    }
}

impl Adjustment {
    /// Parses an adjustment from JSON (`{"kind": "levels", "gamma": 1.2}`);
    /// absent parameters take their defaults, unknown ones are an error.
    pub fn from_json(json: &str) -> Result<Adjustment> {
        let adjustment: Adjustment =
            serde_json::from_str(json).map_err(|e| Error::param("adjustment", e.to_string()))?;
        adjustment.validate()?;
        Ok(adjustment)
    }

    /// The history entry's name, as Photoshop's menu names it.
    pub fn name(&self) -> &'static str {
        match self {
            Adjustment::Levels(_) => "Levels",
            Adjustment::Curves(_) => "Curves",
            Adjustment::BrightnessContrast(_) => "Brightness/Contrast",
            Adjustment::HueSaturation(_) => "Hue/Saturation",
            Adjustment::ColorBalance(_) => "Color Balance",
            Adjustment::GaussianBlur(_) => "Gaussian Blur",
            Adjustment::UnsharpMask(_) => "Unsharp Mask",
        }
    }

    /// Checks every parameter; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        match self {
            Adjustment::Levels(l) => {
                check_range("input_black", l.input_black, 0.0, 254.0)?;
                check_range("input_white", l.input_white, 1.0, 255.0)?;
                if l.input_white <= l.input_black {
                    return Err(Error::param(
                        "input_white",
                        format!(
                            "{} must be above input_black ({})",
                            l.input_white, l.input_black
                        ),
                    ));
                }
                check_range("gamma", l.gamma, 0.1, 9.99)?;
                check_range("output_black", l.output_black, 0.0, 255.0)?;
                check_range("output_white", l.output_white, 0.0, 255.0)
            }
            Adjustment::Curves(c) => {
                for (name, points) in c.named() {
                    cpu::parse_curve(name, points)?;
                }
                Ok(())
            }
            Adjustment::BrightnessContrast(b) => {
                check_range("brightness", b.brightness, -100.0, 100.0)?;
                check_range("contrast", b.contrast, -100.0, 100.0)
            }
            Adjustment::HueSaturation(h) => {
                check_range("hue", h.hue, -180.0, 180.0)?;
                check_range("saturation", h.saturation, -100.0, 100.0)?;
                check_range("lightness", h.lightness, -100.0, 100.0)
            }
            Adjustment::ColorBalance(c) => c
                .sliders()
                .iter()
                .try_for_each(|&(name, value)| check_range(name, value, -100.0, 100.0)),
            Adjustment::GaussianBlur(g) => {
                check_range("sigma", g.sigma, SIGMA_RANGE.0, SIGMA_RANGE.1)
            }
            Adjustment::UnsharpMask(u) => {
                check_range("amount", u.amount, 1.0, 500.0)?;
                check_range("radius", u.radius, SIGMA_RANGE.0, SIGMA_RANGE.1)?;
                check_range("threshold", u.threshold, 0.0, 255.0)
            }
        }
    }

    /// How far, in pixels, a pixel's result depends on its neighbours: an
    /// adjustment of a region reads this much around it so that the region's
    /// result equals the whole image's there (4σ holds the Gaussian to
    /// below half a level; the recursive filter's tail is shorter).
    pub fn reach(&self) -> u32 {
        match self {
            Adjustment::GaussianBlur(g) => (4.0 * g.sigma).ceil() as u32,
            Adjustment::UnsharpMask(u) => (4.0 * u.radius).ceil() as u32,
            _ => 0,
        }
    }
}

impl Curves {
    fn named(&self) -> [(&'static str, &str); 4] {
        [
            ("master", &self.master),
            ("red", &self.red),
            ("green", &self.green),
            ("blue", &self.blue),
        ]
    }
}

/// Applies `adjustment` to `image` on the CPU; returns the new image.
pub fn adjust_cpu(image: &RgbaImage, adjustment: &Adjustment) -> Result<RgbaImage> {
    adjustment.validate()?;
    Ok(cpu::adjust(image, adjustment))
}

/// Applies `adjustment` to `image` on the engine's backend; `image` is not
/// modified. A bad parameter is an error naming it.
pub async fn adjust(
    engine: &Engine,
    image: &RgbaImage,
    adjustment: &Adjustment,
) -> Result<RgbaImage> {
    adjustment.validate()?;
    match engine.gpu() {
        Some(gpu) => gpu::adjust(engine, gpu, image, adjustment, gpu.max_binding_bytes()).await,
        None => Ok(cpu::adjust(image, adjustment)),
    }
}

/// The rows a blur of `rows` of an image `height` tall reads: those and
/// the blur's reach around them, within the image.
fn held_blur_rows(adjustment: &Adjustment, height: u32, rows: &Range<u32>) -> Range<u32> {
    let reach = adjustment.reach();
    rows.start.saturating_sub(reach)..rows.end.saturating_add(reach).min(height)
}

/// Whether [`adjust_held_rows`] can make `adjustment` on `rows` of a
/// `width`×`height` image held on `gpu`: a per-pixel one always; a blur
/// when the three buffers it adds there (two f32 planes of the rows it
/// reads, the blurred rows) each fit in a band (128 MiB: a 33 MP layer,
/// whole) — a larger one takes the path that crops and uploads the area.
pub fn can_adjust_held(
    gpu: &GpuContext,
    adjustment: &Adjustment,
    (width, height): (u32, u32),
    rows: &Range<u32>,
) -> bool {
    match adjustment {
        Adjustment::GaussianBlur(_) | Adjustment::UnsharpMask(_) => {
            let read = held_blur_rows(adjustment, height, rows);
            u64::from(read.len() as u32) * u64::from(width) * 4 <= gpu.max_binding_bytes()
        }
        _ => true,
    }
}

/// Applies `adjustment` in place to `rows` of a `width`×`height` image held
/// on `gpu` in `pixels` (packed RGBA8 rows, as a layer held there), each
/// pixel blended with its original by `coverage` (a byte per pixel of those
/// rows: 0 keeps it, 255 takes the adjusted one, as a selection applies an
/// adjustment); returns those rows as they then are, read back once.
/// Nothing else is uploaded but the coverage: a blur reads its reach of
/// rows around them there too. A bad parameter, or an adjustment that
/// [cannot be made there](can_adjust_held), is an error that changes
/// nothing.
pub async fn adjust_held_rows(
    gpu: &GpuContext,
    pixels: &wgpu::Buffer,
    (width, height): (u32, u32),
    rows: Range<u32>,
    coverage: &GrayImage,
    adjustment: &Adjustment,
) -> Result<RgbaImage> {
    adjustment.validate()?;
    let rows_height = rows.end.saturating_sub(rows.start);
    if rows.end > height || coverage.dimensions() != (width, rows_height) {
        return Err(Error::SizeMismatch(format!(
            "the coverage ({}×{}) does not cover rows {}–{} of the {width}×{height} image",
            coverage.width(),
            coverage.height(),
            rows.start,
            rows.end
        )));
    }
    if !can_adjust_held(gpu, adjustment, (width, height), &rows) {
        return Err(Error::param(
            "kind",
            format!(
                "{} of {width}×{rows_height} pixels is too large to make in place",
                adjustment.name()
            ),
        ));
    }
    if width == 0 || rows_height == 0 {
        return Ok(RgbaImage::new(width, rows_height));
    }
    let max_band_bytes = gpu.max_binding_bytes();
    gpu::adjust_held(
        gpu,
        pixels,
        (width, height),
        rows,
        coverage,
        adjustment,
        max_band_bytes,
    )
    .await
}
