//! `retouch fill IMAGE --mask M -o OUT [--sample-area S] [--patch N] [--seed N]
//! [--color-adaptation off|low|high] [--backend]`: content-aware fill of the
//! mask's pixels (> 0) from the rest.

use crate::output::{encode_for, read, write_atomic};
use retouch::ops::fill::{check, fill, ColorAdaptation, FillOptions, DEFAULT_PATCH};
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The image to fill (PNG, JPEG, WebP, GIF or BMP).
    input: PathBuf,
    /// What to fill: pixels above 0 (alpha channel, or luma when opaque).
    #[arg(long)]
    mask: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// Where texture may come from (> 0); default: around the hole.
    #[arg(long)]
    sample_area: Option<PathBuf>,
    /// Patch side in pixels: odd, 3 to 21.
    #[arg(long, default_value_t = DEFAULT_PATCH)]
    patch: u32,
    /// Seed of the random search: the same seed gives the same fill.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How far source patches may be brightened, darkened or have their
    /// contrast changed to match the hole: off, low or high.
    #[arg(long, default_value = "off")]
    color_adaptation: String,
    /// auto, cpu or gpu: where PatchMatch and the votes run.
    #[arg(long, default_value = "auto")]
    backend: String,
}

pub fn run(args: Args) -> Result<()> {
    let options = FillOptions {
        patch: args.patch,
        seed: args.seed,
        color_adaptation: ColorAdaptation::parse(&args.color_adaptation)?,
    };
    let label = |path: &PathBuf, e: Error| Error::Io(format!("{}: {e}", path.display()));
    let image = image_io::decode_rgba(&read(&args.input)?).map_err(|e| label(&args.input, e))?;
    let hole = image_io::decode_mask(&read(&args.mask)?).map_err(|e| label(&args.mask, e))?;
    let sample_area = match &args.sample_area {
        Some(path) => Some(image_io::decode_mask(&read(path)?).map_err(|e| label(path, e))?),
        None => None,
    };
    // Bad input is refused before a GPU is opened (and its driver speaks).
    check(&image, &hole, sample_area.as_ref(), &options)?;
    let engine = crate::engine(&args.backend)?;
    let filled = pollster::block_on(fill(&engine, &image, &hole, sample_area.as_ref(), &options))?;
    write_atomic(&args.output, &encode_for(&args.output, &filled.image)?)
}
