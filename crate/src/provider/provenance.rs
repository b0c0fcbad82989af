//! Provenance of a generated layer: who made which pixels from what, so an export can carry an
//! honest record (as a JSON sidecar) of the AI's part in the image.

use serde::{Deserialize, Serialize};

use super::plan::{CropRect, JobPlan};
use crate::plugin::Operation;
use crate::{Error, Result};

/// One generated layer's origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// Plugin id of the provider, e.g. `retouch.provider.openai`.
    pub provider: String,
    pub model: String,
    pub operation: Operation,
    /// The prompt as sent (user text, region hint, brand style).
    pub prompt: String,
    /// The canvas region that was sent and replaced.
    pub crop: CropRect,
    /// The size the provider worked at, `WxH`.
    pub sent_size: String,
    /// ISO 8601 time the answer arrived.
    pub created_at: String,
    pub seed: Option<u64>,
    pub variant: u32,
    /// Whether the patch was colour-matched to its surroundings.
    pub colour_matched: bool,
    /// Whether the patch was harmonised in the gradient domain (absent in older records).
    #[serde(default)]
    pub harmonised: bool,
    /// The program that composited it.
    pub software: String,
}

impl Provenance {
    /// The record of `variant` of the job `plan` describes, answered at `created_at` (ISO 8601);
    /// the seed the provider reported wins over the one the plan asked for. Takes plain values,
    /// not ingestion's options, so provenance depends on the plan alone.
    pub(crate) fn new(
        plan: &JobPlan,
        created_at: &str,
        reported_seed: Option<u64>,
        variant: u32,
        colour_matched: bool,
        harmonised: bool,
    ) -> Self {
        Provenance {
            provider: plan.provider.clone(),
            model: plan.model.clone(),
            operation: plan.operation,
            prompt: plan.prompt.clone(),
            crop: plan.crop,
            sent_size: plan.size.clone(),
            created_at: created_at.to_owned(),
            seed: reported_seed.or(plan.seed.map(u64::from)),
            variant,
            colour_matched,
            harmonised,
            software: format!("retouch {}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The record as pretty-printed JSON, for a sidecar file.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Encode(e.to_string()))
    }
}
