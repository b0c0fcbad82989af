//! `retouch seam ORIGINAL RESULT --mask M [--gate]`: how visible the seam of an edit is, as
//! JSON on stdout — the edge continuity (the colour step across the mask's edge beyond the
//! original's own step, ΔE2000 median and 95th percentile) first, the difference from the
//! original inside second (see `retouch::provider::seam_metrics`). `--gate` fails when the
//! seam is visible.

use crate::output::{open_image, open_mask};
use retouch::provider::{seam_metrics, VISIBLE_SEAM_DELTA_E};
use retouch::{Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The image before the edit.
    original: PathBuf,
    /// The image after the edit, the same size.
    result: PathBuf,
    /// The edited region: above 127 is the selection whose edge is measured, above 0 may
    /// change (a feathered mask).
    #[arg(long)]
    mask: PathBuf,
    /// Exit with an error when the median edge step exceeds the visible-seam threshold.
    #[arg(long)]
    gate: bool,
}

pub fn run(args: Args) -> Result<()> {
    let (original, _) = open_image(&args.original, false)?;
    let (result, _) = open_image(&args.result, false)?;
    let mask = open_mask(&args.mask)?;
    let metrics = seam_metrics(&original, &result, &mask, &mask)?;
    let json = serde_json::to_string(&metrics).map_err(|e| Error::Encode(e.to_string()))?;
    println!("{json}");
    if args.gate && metrics.visible_seam {
        return Err(Error::param(
            "gate",
            format!(
                "visible seam: the edge step exceeds the original's by ΔE2000 {:.2} (median), \
                 over {VISIBLE_SEAM_DELTA_E}",
                metrics.edge_delta_e
            ),
        ));
    }
    Ok(())
}
