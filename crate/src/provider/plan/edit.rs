//! The edit planner: a context crop around the selection, at the provider's native size, with
//! the mask in its convention (or, for a provider without masks, the region in words).

use image::{imageops, GrayImage, RgbaImage};
use serde::{Deserialize, Serialize};

use super::toolkit::{
    check_upload, check_variants, choose_model, compose_prompt, context_crop, edit_coverage,
    encode_mask, feather_reach, native_size, one, scale, BrandKit, CropRect, JobPlan, PlannedJob,
    MIN_MARGIN,
};
use crate::image_io;
use crate::ops::feather;
use crate::plugin::{Capabilities, MaskConvention, Operation};
use crate::{Error, Result};

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobRequest {
    pub prompt: String,
    /// A model the provider lists; its first model when absent.
    #[serde(default)]
    pub model: Option<String>,
    /// `edit_mask` (default), `edit_instruction` or `erase`.
    #[serde(default = "default_operation")]
    pub operation: Operation,
    #[serde(default)]
    pub brand_kit: Option<BrandKit>,
    /// Pixels of context around the selection; by default a quarter of its larger side, at
    /// least [`MIN_MARGIN`].
    #[serde(default)]
    pub margin: Option<u32>,
    /// Feather radius of the composite mask, in pixels (see `ops::feather`).
    #[serde(default)]
    pub feather: f32,
    /// How many variants to ask for.
    #[serde(default = "one")]
    pub variants: u32,
    #[serde(default)]
    pub seed: Option<u32>,
    /// Reference images the page can attach (brand kit and user); the plan caps the count.
    #[serde(default)]
    pub reference_images: u32,
}

fn default_operation() -> Operation {
    Operation::EditMask
}

/// Plans an edit of `image` inside `selection` (same size, coverage 0–255) for a provider.
pub fn plan_edit(
    provider: &str,
    capabilities: &Capabilities,
    image: &RgbaImage,
    selection: &GrayImage,
    request: &JobRequest,
) -> Result<PlannedJob> {
    if image.dimensions() != selection.dimensions() {
        return Err(Error::SizeMismatch(format!(
            "the selection is {}×{} but the image is {}×{}",
            selection.width(),
            selection.height(),
            image.width(),
            image.height()
        )));
    }
    let operation = choose_operation(capabilities, request.operation)?;
    let model = choose_model(provider, capabilities, request.model.as_deref())?;
    check_variants(request.variants)?;
    if request.prompt.trim().is_empty() && operation != Operation::Erase {
        return Err(Error::param(
            "prompt",
            "say what should be in the selection",
        ));
    }
    if !(request.feather.is_finite() && (0.0..=feather::MAX_RADIUS).contains(&request.feather)) {
        return Err(Error::param(
            "feather",
            format!(
                "{} is outside 0 to {} px",
                request.feather,
                feather::MAX_RADIUS
            ),
        ));
    }
    let bbox = selection_bounds(selection)
        .ok_or_else(|| Error::param("selection", "is empty: select the region to fix first"))?;
    let reach = feather_reach(request.feather);
    let margin = request
        .margin
        .unwrap_or_else(|| MIN_MARGIN.max(bbox.width.max(bbox.height) / 4))
        + reach;
    let canvas = image.dimensions();
    let crop = context_crop(bbox, margin, canvas, capabilities);
    let (width, height, aspect_ratio) = native_size(capabilities, crop);

    let crop_image = imageops::crop_imm(image, crop.x, crop.y, crop.width, crop.height).to_image();
    let coverage = edit_coverage(selection, crop, request.feather)?;
    let scaled = scale(&crop_image, width, height);
    let mask_png = encode_mask(capabilities.mask, &coverage, &scaled)?;
    let image_png = image_io::encode_png(&scaled)?;
    check_upload(provider, capabilities, &image_png, mask_png.as_deref())?;
    let per_call = capabilities.variants_per_call.min(request.variants);
    let plan = JobPlan {
        provider: provider.to_owned(),
        model,
        operation,
        canvas_width: canvas.0,
        canvas_height: canvas.1,
        crop,
        width,
        height,
        size: format!("{width}x{height}"),
        aspect_ratio,
        mask_convention: capabilities.mask,
        feather: request.feather,
        prompt: compose_prompt(
            &request.prompt,
            (capabilities.mask == MaskConvention::None)
                .then(|| region_hint(&coverage))
                .flatten(),
            request.brand_kit.as_ref(),
        ),
        variants: request.variants,
        variants_per_call: per_call,
        calls: request.variants.div_ceil(per_call),
        seed: request.seed,
        reference_images: request
            .reference_images
            .min(capabilities.max_reference_images),
        outpaint: None,
    };
    Ok(PlannedJob {
        plan,
        image_png,
        mask_png,
    })
}

/// The operation the provider runs: an edit with a mask where it takes one, else an
/// instruction edit in which the crop and the prompt carry the region.
fn choose_operation(capabilities: &Capabilities, wanted: Operation) -> Result<Operation> {
    let offers = |op| capabilities.operations.contains(&op);
    match wanted {
        Operation::EditMask | Operation::EditInstruction | Operation::Erase if offers(wanted) => {
            Ok(wanted)
        }
        Operation::EditMask if offers(Operation::EditInstruction) => Ok(Operation::EditInstruction),
        Operation::EditInstruction if offers(Operation::EditMask) => Ok(Operation::EditMask),
        Operation::EditMask | Operation::EditInstruction | Operation::Erase => Err(Error::param(
            "operation",
            format!("the provider does not offer {wanted:?}"),
        )),
        _ => Err(Error::param(
            "operation",
            format!("{wanted:?} does not edit a selection; plan_edit plans edits"),
        )),
    }
}

/// Bounding box of the pixels with coverage above 0.
pub(crate) fn selection_bounds(selection: &GrayImage) -> Option<CropRect> {
    let (x, y, width, height) = crate::ops::select::covered_box(selection)?;
    Some(CropRect {
        x,
        y,
        width,
        height,
    })
}

/// Where the edit is, in words, for a provider that takes no mask.
fn region_hint(coverage: &GrayImage) -> Option<String> {
    let region = selection_bounds(coverage)?;
    let (w, h) = (f64::from(coverage.width()), f64::from(coverage.height()));
    let cx = (f64::from(region.x) + f64::from(region.width) / 2.0) / w;
    let cy = (f64::from(region.y) + f64::from(region.height) / 2.0) / h;
    let third = |v: f64, names: [&'static str; 3]| names[((v * 3.0) as usize).min(2)];
    let vertical = third(cy, ["top", "middle", "bottom"]);
    let horizontal = third(cx, ["left", "centre", "right"]);
    let place = match (vertical, horizontal) {
        ("middle", "centre") => "centre".to_owned(),
        (v, h) => format!("{v} {h}"),
    };
    Some(format!(
        "Change only the region in the {place} of the image (about {:.0} % × {:.0} % of it). \
         Keep everything else exactly as it is: same framing, size, colours and lighting.",
        100.0 * f64::from(region.width) / w,
        100.0 * f64::from(region.height) / h
    ))
}
