//! Job planning: what to send a provider for an edit of the selected region or for new canvas
//! area around the picture.
//!
//! Providers work at a native resolution (about 1 MP) and at a few aspect ratios. Shrinking a
//! whole 6000 px photo to 1024 px would throw away the detail the fix needs, so the plan sends
//! a **context crop**: the selection's bounding box plus a margin of surroundings (the model
//! needs context to continue textures and light), grown to the provider's nearest supported
//! aspect ratio, clipped to the canvas, then scaled to the provider's native size. Only the
//! crop is resampled for the trip; untouched pixels are never resampled because ingestion
//! composites the answer back under the mask.
//!
//! - [`toolkit`]: the plan's shape and the steps every planner shares.
//! - [`edit`]: planning an edit of the selected region ([`plan_edit`]).
//! - [`outpaint`]: planning new canvas area around the picture ([`plan_outpaint`]).

mod edit;
mod outpaint;
mod toolkit;

pub use edit::{plan_edit, JobRequest};
pub(crate) use outpaint::{extended_crop, outpaint_coverage, outpaint_region};
pub use outpaint::{
    plan_outpaint, OutpaintRequest, MAX_NATIVE_SIDE, MAX_OUTPAINT_OVERLAP, MAX_OUTPAINT_UPSCALE,
    OUTPAINT_OVERLAP,
};
pub(crate) use toolkit::{edit_coverage, scale};
pub use toolkit::{
    BrandKit, CropRect, JobPlan, OutpaintPlan, PlannedJob, SideAmounts, MAX_VARIANTS, MIN_MARGIN,
};
