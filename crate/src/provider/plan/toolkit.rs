//! What every planner shares: the plan's shape ([`JobPlan`], its outpaint part, the crop) and
//! the steps both an edit and an outpaint take — the context crop, the provider's native size,
//! the feathered coverage, the mask in the provider's convention, the prompt, the model and the
//! size checks. Depends on neither planner, so each planner and ingestion build on it alone.

use image::{imageops, GrayImage, Luma, Rgba, RgbaImage};
use serde::{Deserialize, Serialize};

use crate::image_io::{self, check_dimensions};
use crate::ops::feather;
use crate::plugin::{Capabilities, MaskConvention, Operation};
use crate::{Error, Result};

/// A rectangle of the canvas, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CropRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The part of a brand kit that goes into the prompt: style text and a palette (the document
/// keeps the whole kit, see `doc::brand`; its reference images are counted in
/// [`JobRequest::reference_images`] and the plan says how many fit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BrandKit {
    #[serde(default)]
    pub style: String,
    /// `#rrggbb` colours.
    #[serde(default)]
    pub palette: Vec<String>,
}

/// The plan handed to the bridge and, unchanged, back to ingestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobPlan {
    pub provider: String,
    pub model: String,
    pub operation: Operation,
    pub canvas_width: u32,
    pub canvas_height: u32,
    /// The part of the canvas that is sent, and that the answer is mapped back onto.
    pub crop: CropRect,
    /// The size the crop is scaled to for the provider.
    pub width: u32,
    pub height: u32,
    /// `WxH`, as OpenAI's `size` field wants it.
    pub size: String,
    /// The provider's ratio name (Gemini's `aspectRatio`), where it has one.
    pub aspect_ratio: Option<String>,
    pub mask_convention: MaskConvention,
    pub feather: f32,
    /// The prompt as sent: the user's text, the region hint for mask-less providers, the
    /// brand kit's style.
    pub prompt: String,
    pub variants: u32,
    /// Images per call and the number of calls that make up the variants.
    pub variants_per_call: u32,
    pub calls: u32,
    pub seed: Option<u32>,
    pub reference_images: u32,
    /// For a canvas extension: where the new area is and how it is asked for.
    #[serde(default)]
    pub outpaint: Option<OutpaintPlan>,
}

/// A plan with the encoded payload.
#[derive(Debug, Clone)]
pub struct PlannedJob {
    pub plan: JobPlan,
    /// The scaled crop, PNG.
    pub image_png: Vec<u8>,
    /// The scaled mask in the provider's convention, PNG; `None` for mask-less providers.
    pub mask_png: Option<Vec<u8>>,
}

/// The least context around a selection, in pixels.
pub const MIN_MARGIN: u32 = 32;
/// Most variants one job may ask for.
pub const MAX_VARIANTS: u32 = 10;

/// Pixels to add on each side, in the names Stability's outpaint uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideAmounts {
    pub left: u32,
    pub right: u32,
    pub up: u32,
    pub down: u32,
}

/// The outpaint part of a [`JobPlan`]; the plan's canvas is the extended one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutpaintPlan {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    /// The canvas before the extension.
    pub old_width: u32,
    pub old_height: u32,
    pub overlap: u32,
    /// For a native outpaint endpoint: the sides to add, in sent pixels; the image sent is the
    /// kept (old) part of the crop and the answer is the whole crop. `None`: the crop is sent
    /// with the new area transparent, and a mask where the provider takes one.
    pub native: Option<SideAmounts>,
    /// How much the answer is enlarged to cover the crop (1 or less: no enlargement).
    pub upscale: f64,
}

impl OutpaintPlan {
    /// The extended canvas's size; an error for sides past the image limits (a plan coming back
    /// from JS is not trusted).
    pub fn new_canvas(&self) -> Result<(u32, u32)> {
        let grow = |old: u32, a: u32, b: u32| {
            old.checked_add(a)
                .and_then(|v| v.checked_add(b))
                .ok_or_else(|| Error::TooLarge(format!("{old} + {a} + {b} px overflows")))
        };
        let size = (
            grow(self.old_width, self.left, self.right)?,
            grow(self.old_height, self.top, self.bottom)?,
        );
        check_dimensions(size.0, size.1)?;
        Ok(size)
    }

    /// Where the old canvas sits on the new one.
    pub fn old_rect(&self) -> CropRect {
        CropRect {
            x: self.left,
            y: self.top,
            width: self.old_width,
            height: self.old_height,
        }
    }
}

/// How far a feather of `radius` spreads coverage beyond the selection: σ = r/2, and the
/// Gaussian is below 1/255 of its peak beyond 3.3σ; rounded up with a pixel to spare.
pub(crate) fn feather_reach(radius: f32) -> u32 {
    if radius <= 0.0 {
        0
    } else {
        (radius * 1.7).ceil() as u32 + 1
    }
}

/// The selection's box plus `margin`, grown to the provider's nearest supported aspect ratio,
/// clipped to the canvas.
pub(crate) fn context_crop(
    bbox: CropRect,
    margin: u32,
    canvas: (u32, u32),
    capabilities: &Capabilities,
) -> CropRect {
    let (cw, ch) = (f64::from(canvas.0), f64::from(canvas.1));
    let x0 = (f64::from(bbox.x) - f64::from(margin)).max(0.0);
    let y0 = (f64::from(bbox.y) - f64::from(margin)).max(0.0);
    let x1 = (f64::from(bbox.x + bbox.width) + f64::from(margin)).min(cw);
    let y1 = (f64::from(bbox.y + bbox.height) + f64::from(margin)).min(ch);
    let aspect = (x1 - x0) / (y1 - y0);
    let target = match &capabilities.flexible_size {
        Some(flexible) => aspect.clamp(flexible.min_aspect, flexible.max_aspect),
        None => capabilities
            .sizes
            .iter()
            .map(|s| f64::from(s.width) / f64::from(s.height))
            .min_by(|a, b| (aspect / a).ln().abs().total_cmp(&(aspect / b).ln().abs()))
            .unwrap_or(aspect),
    };
    let (mut w, mut h) = (x1 - x0, y1 - y0);
    if w / h < target {
        w = (h * target).min(cw);
    } else {
        h = (w / target).min(ch);
    }
    // Grow around the centre, then slide back inside the canvas.
    let centre = |lo: f64, hi: f64, size: f64, limit: f64| {
        let start = ((lo + hi) / 2.0 - size / 2.0).clamp(0.0, limit - size);
        let first = start.floor();
        let last = (start + size).ceil().min(limit);
        (first as u32, (last - first) as u32)
    };
    let (x, width) = centre(x0, x1, w, cw);
    let (y, height) = centre(y0, y1, h, ch);
    CropRect {
        x,
        y,
        width,
        height,
    }
}

/// The size the crop is sent at: the fixed size of the nearest ratio, or the flexible target
/// pixel count at the crop's ratio, each side a multiple of the provider's step.
pub(crate) fn native_size(
    capabilities: &Capabilities,
    crop: CropRect,
) -> (u32, u32, Option<String>) {
    let aspect = f64::from(crop.width) / f64::from(crop.height);
    if let Some(f) = &capabilities.flexible_size {
        let aspect = aspect.clamp(f.min_aspect, f.max_aspect);
        let step = f64::from(f.multiple);
        let side = |v: f64| ((v / step).round().max(1.0) * step).max(f64::from(f.min_side));
        let mut width = side((f.target_pixels as f64 * aspect).sqrt());
        let mut height = side(width / aspect);
        // Rounding may leave the pixel limits; step down or up one multiple at a time.
        while width * height > f.max_pixels as f64 && width > step && height > step {
            if width >= height {
                width -= step;
            } else {
                height -= step;
            }
        }
        while width * height < f.min_pixels as f64 {
            width += step;
            height += step;
        }
        return (width as u32, height as u32, None);
    }
    let best = capabilities
        .sizes
        .iter()
        .min_by(|a, b| {
            let ra = f64::from(a.width) / f64::from(a.height);
            let rb = f64::from(b.width) / f64::from(b.height);
            (aspect / ra)
                .ln()
                .abs()
                .total_cmp(&(aspect / rb).ln().abs())
        })
        .expect("validated capabilities list sizes when flexible_size is absent");
    (best.width, best.height, best.aspect_ratio.clone())
}

/// The feathered selection over `crop`: the coverage the answer is composited with. Only a
/// halo around the crop is feathered (the Gaussian does not reach further), so the cost
/// follows the crop, not the canvas.
pub(crate) fn edit_coverage(
    selection: &GrayImage,
    crop: CropRect,
    radius: f32,
) -> Result<GrayImage> {
    let halo = feather_reach(radius) * 2;
    let (w, h) = selection.dimensions();
    let hx = crop.x.saturating_sub(halo);
    let hy = crop.y.saturating_sub(halo);
    let hw = (crop.x + crop.width + halo).min(w) - hx;
    let hh = (crop.y + crop.height + halo).min(h) - hy;
    let region = imageops::crop_imm(selection, hx, hy, hw, hh).to_image();
    let feathered = feather::feather_cpu(&region, radius)?;
    Ok(imageops::crop_imm(
        &feathered,
        crop.x - hx,
        crop.y - hy,
        crop.width,
        crop.height,
    )
    .to_image())
}

/// Lanczos3 (the sharpest of the image crate's filters; a provider's fine texture survives the
/// round trip) to an exact size.
pub(crate) fn scale(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    if image.dimensions() == (width, height) {
        image.clone()
    } else {
        imageops::resize(image, width, height, imageops::FilterType::Lanczos3)
    }
}

/// The mask in the provider's convention, at the sent size. Every pixel the composite may
/// touch (coverage above 0) is marked for editing, so the provider repaints all of it.
pub(crate) fn encode_mask(
    convention: MaskConvention,
    coverage: &GrayImage,
    scaled: &RgbaImage,
) -> Result<Option<Vec<u8>>> {
    let (width, height) = scaled.dimensions();
    let edit = GrayImage::from_fn(coverage.width(), coverage.height(), |x, y| {
        Luma([if coverage.get_pixel(x, y).0[0] > 0 {
            255
        } else {
            0
        }])
    });
    // Triangle spreads the region across the resampled edge; any trace of it counts as edit.
    let edit = imageops::resize(&edit, width, height, imageops::FilterType::Triangle);
    match convention {
        MaskConvention::None => Ok(None),
        MaskConvention::WhiteEdit => {
            let mask = GrayImage::from_fn(width, height, |x, y| {
                Luma([if edit.get_pixel(x, y).0[0] > 0 {
                    255
                } else {
                    0
                }])
            });
            image_io::encode_mask_png(&mask).map(Some)
        }
        MaskConvention::AlphaTransparent => {
            // OpenAI wants a same-size PNG with an alpha channel; alpha 0 = edit.
            let mask = RgbaImage::from_fn(width, height, |x, y| {
                let [r, g, b, _] = scaled.get_pixel(x, y).0;
                let keep = edit.get_pixel(x, y).0[0] == 0;
                Rgba([r, g, b, if keep { 255 } else { 0 }])
            });
            image_io::encode_png(&mask).map(Some)
        }
    }
}

/// The prompt as sent. A mask-less provider learns where to work from `hint`; the brand kit's
/// style and palette follow the user's words.
pub(crate) fn compose_prompt(
    prompt: &str,
    hint: Option<String>,
    brand_kit: Option<&BrandKit>,
) -> String {
    let mut text = prompt.trim().to_owned();
    if let Some(hint) = hint {
        text.push_str("\n\n");
        text.push_str(&hint);
    }
    if let Some(kit) = brand_kit {
        if !kit.style.trim().is_empty() {
            text.push_str(&format!("\n\nStyle: {}", kit.style.trim()));
        }
        if !kit.palette.is_empty() {
            text.push_str(&format!("\nColour palette: {}", kit.palette.join(", ")));
        }
    }
    text
}

/// The requested model, or the provider's first.
pub(crate) fn choose_model(
    provider: &str,
    capabilities: &Capabilities,
    wanted: Option<&str>,
) -> Result<String> {
    match wanted {
        None => Ok(capabilities.models[0].clone()),
        Some(model) if capabilities.models.iter().any(|m| m == model) => Ok(model.to_owned()),
        Some(model) => Err(Error::param(
            "model",
            format!(
                "'{model}' is not offered by {provider} (use one of: {})",
                capabilities.models.join(", ")
            ),
        )),
    }
}

pub(crate) fn check_variants(variants: u32) -> Result<()> {
    if (1..=MAX_VARIANTS).contains(&variants) {
        Ok(())
    } else {
        Err(Error::param(
            "variants",
            format!("{variants} is outside 1 to {MAX_VARIANTS}"),
        ))
    }
}

/// Refuses a request the provider would reject for its size.
pub(crate) fn check_upload(
    provider: &str,
    capabilities: &Capabilities,
    image_png: &[u8],
    mask_png: Option<&[u8]>,
) -> Result<()> {
    let upload = image_png.len() as u64 + mask_png.map_or(0, |m| m.len() as u64);
    if upload > capabilities.max_upload_bytes {
        return Err(Error::TooLarge(format!(
            "the request would be {upload} bytes; {provider} accepts {}",
            capabilities.max_upload_bytes
        )));
    }
    Ok(())
}

/// serde's default for a request's `variants`: one.
pub(super) fn one() -> u32 {
    1
}
