//! `retouch heal IMAGE --mask M --source-offset DX,DY -o OUT [--screening L]
//! [--backend]`: the healing brush on a mask: texture from DX,DY away,
//! blended in the gradient domain so the tone comes from around the mask.

use crate::output::{encode_for, read, write_atomic};
use retouch::ops::poisson::{heal, PoissonOptions};
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The image to heal (PNG, JPEG, WebP, GIF or BMP).
    input: PathBuf,
    /// What to heal: pixels above 0 (alpha channel, or luma when opaque).
    #[arg(long)]
    mask: PathBuf,
    /// Where the texture comes from, relative to the mask: DX,DY in pixels.
    #[arg(long, allow_hyphen_values = true)]
    source_offset: String,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// Screening weight λ, 0 to 10: 0 takes only the texture, larger values
    /// keep more of the source's own colour.
    #[arg(long, default_value_t = 0.0)]
    screening: f32,
    /// auto, cpu or gpu.
    #[arg(long, default_value = "auto")]
    backend: String,
}

fn parse_offset(text: &str) -> Result<(i32, i32)> {
    let bad = || {
        Error::param(
            "source-offset",
            format!("{text:?} is not DX,DY (two whole numbers of pixels)"),
        )
    };
    let (dx, dy) = text.split_once(',').ok_or_else(bad)?;
    Ok((
        dx.trim().parse().map_err(|_| bad())?,
        dy.trim().parse().map_err(|_| bad())?,
    ))
}

pub fn run(args: Args) -> Result<()> {
    let offset = parse_offset(&args.source_offset)?;
    let options = PoissonOptions {
        screening: args.screening,
    };
    let engine = crate::engine(&args.backend)?;
    let label = |path: &PathBuf, e: Error| Error::Io(format!("{}: {e}", path.display()));
    let mut image =
        image_io::decode_rgba(&read(&args.input)?).map_err(|e| label(&args.input, e))?;
    let mask = image_io::decode_mask(&read(&args.mask)?).map_err(|e| label(&args.mask, e))?;
    let healed = pollster::block_on(heal(&engine, &image, &mask, offset, &options))?;
    image::imageops::replace(
        &mut image,
        &healed.pixels,
        i64::from(healed.x),
        i64::from(healed.y),
    );
    write_atomic(&args.output, &encode_for(&args.output, &image)?)
}
