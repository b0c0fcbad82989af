//! Provider-agnostic AI editing: plan a job, then ingest the answer. No HTTP here — the thin JS
//! modules in `web/bridge/` talk to the providers; this module decides what they send and makes
//! what comes back safe to paste.
//!
//! - [`plan_edit`] cuts a context crop around the selection at the provider's native size and
//!   aspect ratio and encodes the image and mask in the provider's convention
//!   (capabilities from the provider's manifest, see [`crate::plugin::Capabilities`]).
//! - [`ingest`] maps the answer back onto the crop, colour-matches it to its surroundings,
//!   harmonises it in the gradient domain and turns it into a layer that leaves every pixel
//!   outside the feathered selection bit-exact, with seam metrics ([`seam_metrics`]: edge
//!   continuity first) and a [`Provenance`] record.
//! - [`plan_outpaint`] and [`ingest_outpaint`] do the same for new canvas area around the
//!   picture (outpainting); the document extends the canvas and adds the layer in one step.
//! - [`mock_answer`] draws the offline demo provider's answers.

mod colour;
mod ingest;
mod mock;
mod plan;
mod provenance;
mod seam;
#[cfg(test)]
mod seam_tests;
#[cfg(test)]
mod tests;

pub use colour::{ciede2000, srgb_to_lab, Lab};
pub use ingest::{
    ingest, ingest_decoded, ingest_outpaint, ingest_outpaint_decoded, ColourCorrection,
    IngestOptions, Ingested, HARMONISE_MIN_PIXELS, MATCH_GUARD, MATCH_RING,
};
pub use mock::{mock_answer, DRIFT_GAIN, DRIFT_OFFSET};
pub use plan::{
    plan_edit, plan_outpaint, BrandKit, CropRect, JobPlan, JobRequest, OutpaintPlan,
    OutpaintRequest, PlannedJob, SideAmounts, MAX_NATIVE_SIDE, MAX_OUTPAINT_OVERLAP,
    MAX_OUTPAINT_UPSCALE, MAX_VARIANTS, MIN_MARGIN, OUTPAINT_OVERLAP,
};
pub use provenance::Provenance;
pub use seam::{edge_continuity, seam_metrics, SeamMetrics, VISIBLE_SEAM_DELTA_E};
