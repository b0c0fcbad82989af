//! Outpainting: planning a job that extends the canvas by new area on some sides.
//!
//! The crop follows the same rules as an edit's (see [`super::edit`]): it covers the whole new
//! area plus a margin of the existing picture for context, grown to the provider's nearest
//! aspect ratio and clipped to the **new** canvas. The new area is sent transparent and marked
//! for editing together with a band of [`OutpaintRequest::overlap`] pixels of the old picture,
//! so the provider repaints across the join and the feathered composite hides it.
//!
//! Providers with a native outpaint endpoint (a mask convention *and* `outpaint` among their
//! operations: Stability) get the kept part of the crop and the number of pixels to add on
//! each side instead of a mask, as that API expects; the answer covers the same crop either way.

use image::{imageops, GrayImage, Luma, RgbaImage};
use serde::{Deserialize, Serialize};

use super::toolkit::{
    check_upload, check_variants, choose_model, compose_prompt, context_crop, encode_mask,
    feather_reach, native_size, one, scale, BrandKit, CropRect, JobPlan, OutpaintPlan, PlannedJob,
    SideAmounts, MIN_MARGIN,
};
use crate::image_io;
use crate::ops::feather;
use crate::plugin::{Capabilities, MaskConvention, Operation};
use crate::{Error, Result};

/// Pixels of the old picture the fill blends over by default.
pub const OUTPAINT_OVERLAP: u32 = 16;
/// The most an overlap may be: beyond it the "extension" repaints the picture.
pub const MAX_OUTPAINT_OVERLAP: u32 = 128;
/// The most the provider's answer may be enlarged (per side) to cover the crop. Beyond 3× a
/// fill made at about 1 MP is visibly softer than the photo it extends, so the plan refuses
/// and asks for a smaller step instead.
pub const MAX_OUTPAINT_UPSCALE: f64 = 3.0;
/// Stability's outpaint takes at most 2000 px per side (`left`, `right`, `up`, `down`).
pub const MAX_NATIVE_SIDE: u32 = 2000;
/// The smallest side of the image a native outpaint endpoint accepts (Stability: 64 px).
const MIN_NATIVE_INPUT_SIDE: u32 = 64;
/// What is asked for when the user typed nothing (short: it also names the layer).
const DEFAULT_PROMPT: &str = "Extend the picture naturally";

/// What the user asked for: pixels to add per side and the usual job settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutpaintRequest {
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub left: u32,
    #[serde(default)]
    pub top: u32,
    #[serde(default)]
    pub right: u32,
    #[serde(default)]
    pub bottom: u32,
    /// Pixels of the existing picture sent as context; by default the thickest new strip, at
    /// least [`MIN_MARGIN`].
    #[serde(default)]
    pub margin: Option<u32>,
    /// Pixels of the old picture the fill is blended over (default [`OUTPAINT_OVERLAP`]).
    #[serde(default)]
    pub overlap: Option<u32>,
    #[serde(default = "one")]
    pub variants: u32,
    #[serde(default)]
    pub seed: Option<u32>,
    #[serde(default)]
    pub brand_kit: Option<BrandKit>,
    #[serde(default)]
    pub reference_images: u32,
}

/// Plans extending `image` (the current composite) by the request's sides with `provider`.
pub fn plan_outpaint(
    provider: &str,
    capabilities: &Capabilities,
    image: &RgbaImage,
    request: &OutpaintRequest,
) -> Result<PlannedJob> {
    let (old_width, old_height) = image.dimensions();
    let OutpaintRequest {
        left,
        top,
        right,
        bottom,
        ..
    } = *request;
    if left == 0 && top == 0 && right == 0 && bottom == 0 {
        return Err(Error::param(
            "extend",
            "add pixels on at least one side (left, top, right or bottom)",
        ));
    }
    let overlap = request.overlap.unwrap_or(OUTPAINT_OVERLAP);
    let mut outpaint = OutpaintPlan {
        left,
        top,
        right,
        bottom,
        old_width,
        old_height,
        overlap,
        native: None,
        upscale: 1.0,
    };
    let canvas = outpaint.new_canvas()?;
    if overlap > MAX_OUTPAINT_OVERLAP {
        return Err(Error::param(
            "overlap",
            format!("{overlap} is above {MAX_OUTPAINT_OVERLAP} px"),
        ));
    }
    let native_endpoint = capabilities.operations.contains(&Operation::Outpaint)
        && capabilities.mask != MaskConvention::None;
    let offers = |op| capabilities.operations.contains(&op);
    let usable = native_endpoint
        || match capabilities.mask {
            MaskConvention::None => {
                offers(Operation::Outpaint) || offers(Operation::EditInstruction)
            }
            _ => offers(Operation::EditMask),
        };
    if !usable {
        return Err(Error::param(
            "operation",
            format!("{provider} can neither outpaint nor edit with a mask"),
        ));
    }
    let model = choose_model(provider, capabilities, request.model.as_deref())?;
    check_variants(request.variants)?;
    let feather = overlap_feather(overlap);

    let thickest = [left, top, right, bottom].into_iter().max().unwrap_or(0);
    let margin = request
        .margin
        .unwrap_or(MIN_MARGIN.max(thickest))
        .saturating_add(overlap + feather_reach(feather));
    let mut crop = context_crop(
        new_area_bounds(&outpaint, canvas),
        margin,
        canvas,
        capabilities,
    );
    if native_endpoint {
        crop = fit_kept_aspect(crop, &outpaint, canvas, capabilities)?;
    }
    let (width, height, aspect_ratio) = native_size(capabilities, crop);
    let upscale =
        (f64::from(crop.width) / f64::from(width)).max(f64::from(crop.height) / f64::from(height));
    if upscale > MAX_OUTPAINT_UPSCALE {
        return Err(Error::TooLarge(format!(
            "the new area needs a {}×{} crop but {provider} works at {width}×{height}: its fill \
             would be enlarged {upscale:.1}× (at most {MAX_OUTPAINT_UPSCALE}×). Extend by less \
             at a time, or one side at a time",
            crop.width, crop.height
        )));
    }
    outpaint.upscale = upscale;

    let (image_png, mask_png) = if native_endpoint {
        let (kept_png, sides) = native_payload(image, &outpaint, crop, (width, height))?;
        outpaint.native = Some(sides);
        (kept_png, None)
    } else {
        let scaled = scale(&extended_crop(image, &outpaint, crop), width, height);
        let coverage = outpaint_coverage(&outpaint, crop)?;
        let mask = encode_mask(capabilities.mask, &coverage, &scaled)?;
        (image_io::encode_png(&scaled)?, mask)
    };
    check_upload(provider, capabilities, &image_png, mask_png.as_deref())?;

    let text = if request.prompt.trim().is_empty() {
        DEFAULT_PROMPT
    } else {
        request.prompt.as_str()
    };
    let hint = (capabilities.mask == MaskConvention::None).then(|| sides_hint(&outpaint));
    let per_call = capabilities.variants_per_call.min(request.variants);
    let plan = JobPlan {
        provider: provider.to_owned(),
        model,
        operation: Operation::Outpaint,
        canvas_width: canvas.0,
        canvas_height: canvas.1,
        crop,
        width,
        height,
        size: format!("{width}x{height}"),
        aspect_ratio,
        mask_convention: capabilities.mask,
        feather,
        prompt: compose_prompt(text, hint, request.brand_kit.as_ref()),
        variants: request.variants,
        variants_per_call: per_call,
        calls: request.variants.div_ceil(per_call),
        seed: request.seed,
        reference_images: request
            .reference_images
            .min(capabilities.max_reference_images),
        outpaint: Some(outpaint),
    };
    Ok(PlannedJob {
        plan,
        image_png,
        mask_png,
    })
}

/// The largest feather whose spread stays within `overlap`, so the new area is fully covered
/// while the fill fades out inside the old picture (see [`feather_reach`]).
pub(crate) fn overlap_feather(overlap: u32) -> f32 {
    (overlap.saturating_sub(1) as f32 / 1.7).floor()
}

/// Bounding box of the new area on the new canvas.
fn new_area_bounds(plan: &OutpaintPlan, canvas: (u32, u32)) -> CropRect {
    let old = plan.old_rect();
    let span = |before: u32, after: u32, across: bool, start: u32, size: u32, limit: u32| {
        let lo = if before > 0 || across {
            0
        } else {
            start + size
        };
        let hi = if after > 0 || across { limit } else { start };
        (lo, hi - lo)
    };
    let (x, width) = span(
        plan.left,
        plan.right,
        plan.top > 0 || plan.bottom > 0,
        old.x,
        old.width,
        canvas.0,
    );
    let (y, height) = span(
        plan.top,
        plan.bottom,
        plan.left > 0 || plan.right > 0,
        old.y,
        old.height,
        canvas.1,
    );
    CropRect {
        x,
        y,
        width,
        height,
    }
}

/// `a ∩ b`, possibly empty (width or height 0).
fn intersect(a: CropRect, b: CropRect) -> CropRect {
    let x0 = a.x.max(b.x);
    let y0 = a.y.max(b.y);
    let x1 = (a.x + a.width).min(b.x + b.width).max(x0);
    let y1 = (a.y + a.height).min(b.y + b.height).max(y0);
    CropRect {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

/// A native outpaint endpoint limits the aspect ratio of the image it is given (the kept part
/// of the crop). A thin kept strip is widened (or heightened) into the old picture; if the old
/// picture cannot provide that, the request cannot be made.
fn fit_kept_aspect(
    mut crop: CropRect,
    plan: &OutpaintPlan,
    canvas: (u32, u32),
    capabilities: &Capabilities,
) -> Result<CropRect> {
    let (min_aspect, max_aspect) = capabilities
        .flexible_size
        .as_ref()
        .map_or((0.4, 2.5), |f| (f.min_aspect, f.max_aspect));
    let old = plan.old_rect();
    // Widens `[start, start + size)` towards `[lo, lo + len)` until it holds `need` of it.
    let widen = |start: &mut u32, size: &mut u32, lo: u32, len: u32, need: u32, limit: u32| {
        let kept = (*start + *size)
            .min(lo + len)
            .saturating_sub((*start).max(lo));
        let mut missing = need.min(len).saturating_sub(kept);
        let grow_after = (lo + len).saturating_sub(*start + *size).min(missing);
        *size += grow_after;
        missing -= grow_after;
        let grow_before = start.saturating_sub(lo).min(missing);
        *start -= grow_before;
        *size += grow_before;
        *size = (*size).min(limit - *start);
    };
    let kept = intersect(crop, old);
    let aspect = f64::from(kept.width) / f64::from(kept.height.max(1));
    if aspect < min_aspect {
        let need = (min_aspect * f64::from(kept.height)).ceil() as u32;
        widen(
            &mut crop.x,
            &mut crop.width,
            old.x,
            old.width,
            need,
            canvas.0,
        );
    } else if aspect > max_aspect {
        let need = (f64::from(kept.width) / max_aspect).ceil() as u32;
        widen(
            &mut crop.y,
            &mut crop.height,
            old.y,
            old.height,
            need,
            canvas.1,
        );
    }
    let kept = intersect(crop, old);
    let aspect = f64::from(kept.width) / f64::from(kept.height.max(1));
    let crop_aspect = f64::from(crop.width) / f64::from(crop.height);
    let ok = |a: f64| (min_aspect - 1e-9..=max_aspect + 1e-9).contains(&a);
    if !ok(aspect) || !ok(crop_aspect) {
        return Err(Error::param(
            "extend",
            format!(
                "this provider's outpaint needs the kept picture ({}×{} px) and the result \
                 ({}×{} px) between {min_aspect}:1 and {max_aspect}:1; extend by a different \
                 amount or use another provider",
                kept.width, kept.height, crop.width, crop.height
            ),
        ));
    }
    Ok(crop)
}

/// The crop of the extended canvas: the old picture where it lies, transparent elsewhere.
pub(crate) fn extended_crop(image: &RgbaImage, plan: &OutpaintPlan, crop: CropRect) -> RgbaImage {
    let mut out = RgbaImage::new(crop.width, crop.height);
    imageops::replace(
        &mut out,
        image,
        i64::from(plan.left) - i64::from(crop.x),
        i64::from(plan.top) - i64::from(crop.y),
    );
    out
}

/// 255 on the new area and on the overlap band of the old picture along the extended sides,
/// over `area` of the new canvas: the unfeathered region (where the seam is measured).
pub(crate) fn outpaint_region(plan: &OutpaintPlan, area: CropRect) -> GrayImage {
    let old = plan.old_rect();
    let band = plan.overlap;
    GrayImage::from_fn(area.width, area.height, |x, y| {
        let (x, y) = (area.x + x, area.y + y);
        let inside = x >= old.x && x < old.x + old.width && y >= old.y && y < old.y + old.height;
        let near = |extended: u32, distance: u32| extended > 0 && distance < band;
        let selected = !inside
            || near(plan.left, x - old.x)
            || near(plan.right, old.x + old.width - 1 - x)
            || near(plan.top, y - old.y)
            || near(plan.bottom, old.y + old.height - 1 - y);
        Luma([if selected { 255 } else { 0 }])
    })
}

/// The composite coverage over `crop`: the region feathered by the plan's feather, and full on
/// the new area whatever the feather (nothing lies under it to show through).
pub(crate) fn outpaint_coverage(plan: &OutpaintPlan, crop: CropRect) -> Result<GrayImage> {
    let radius = overlap_feather(plan.overlap);
    if !(0.0..=feather::MAX_RADIUS).contains(&radius) {
        return Err(Error::param("plan.overlap", "is out of range"));
    }
    let canvas = plan.new_canvas()?;
    let halo = feather_reach(radius) * 2;
    let hx = crop.x.saturating_sub(halo);
    let hy = crop.y.saturating_sub(halo);
    let area = CropRect {
        x: hx,
        y: hy,
        width: (crop.x + crop.width + halo).min(canvas.0) - hx,
        height: (crop.y + crop.height + halo).min(canvas.1) - hy,
    };
    let feathered = feather::feather_cpu(&outpaint_region(plan, area), radius)?;
    let old = plan.old_rect();
    Ok(GrayImage::from_fn(crop.width, crop.height, |x, y| {
        let (cx, cy) = (crop.x + x, crop.y + y);
        let inside =
            cx >= old.x && cx < old.x + old.width && cy >= old.y && cy < old.y + old.height;
        if inside {
            *feathered.get_pixel(cx - hx, cy - hy)
        } else {
            Luma([255])
        }
    }))
}

/// What a native outpaint endpoint gets: the kept part of the crop at the sent scale, and the
/// pixels to add on each side so that the answer is `sent` (the crop's sent size).
fn native_payload(
    image: &RgbaImage,
    plan: &OutpaintPlan,
    crop: CropRect,
    sent: (u32, u32),
) -> Result<(Vec<u8>, SideAmounts)> {
    let kept = intersect(crop, plan.old_rect());
    let sx = f64::from(sent.0) / f64::from(crop.width);
    let sy = f64::from(sent.1) / f64::from(crop.height);
    let at = |v: u32, s: f64| (f64::from(v) * s).round() as u32;
    let kept_width = at(kept.width, sx).clamp(1, sent.0);
    let kept_height = at(kept.height, sy).clamp(1, sent.1);
    let left = at(kept.x - crop.x, sx).min(sent.0 - kept_width);
    let up = at(kept.y - crop.y, sy).min(sent.1 - kept_height);
    let sides = SideAmounts {
        left,
        right: sent.0 - kept_width - left,
        up,
        down: sent.1 - kept_height - up,
    };
    if kept_width < MIN_NATIVE_INPUT_SIDE || kept_height < MIN_NATIVE_INPUT_SIDE {
        return Err(Error::param(
            "extend",
            format!(
                "the kept picture would be sent at {kept_width}×{kept_height} px; the provider \
                 needs at least {MIN_NATIVE_INPUT_SIDE} px a side: extend by less"
            ),
        ));
    }
    let largest = sides.left.max(sides.right).max(sides.up).max(sides.down);
    if largest > MAX_NATIVE_SIDE {
        return Err(Error::TooLarge(format!(
            "the provider would have to add {largest} px on one side (at most {MAX_NATIVE_SIDE})"
        )));
    }
    let kept_image = imageops::crop_imm(
        image,
        kept.x - plan.left,
        kept.y - plan.top,
        kept.width,
        kept.height,
    )
    .to_image();
    let png = image_io::encode_png(&scale(&kept_image, kept_width, kept_height))?;
    Ok((png, sides))
}

/// For a provider without a mask: which part of the sent image is new, in words.
fn sides_hint(plan: &OutpaintPlan) -> String {
    let names: Vec<&str> = [
        (plan.left, "left"),
        (plan.top, "top"),
        (plan.right, "right"),
        (plan.bottom, "bottom"),
    ]
    .into_iter()
    .filter(|(amount, _)| *amount > 0)
    .map(|(_, name)| name)
    .collect();
    let sides = match names.as_slice() {
        [one] => format!("the {one} edge"),
        [init @ .., last] => format!("the {} and {last} edges", init.join(", ")),
        [] => "the edges".to_owned(),
    };
    format!(
        "The transparent area along {sides} of the image is new canvas: fill it by continuing \
         the picture seamlessly. Keep the visible picture exactly as it is: same framing, size, \
         colours and lighting."
    )
}
