//! `retouch composite BASE LAYER -o OUT [--mode] [--opacity] [--mask] [--offset] [--backend]`

use crate::output::{encode_for, read, write_atomic};
use retouch::ops::blend::{self, BlendMode, CompositeOptions};
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The backdrop image (PNG, JPEG, WebP, GIF or BMP).
    base: PathBuf,
    /// The layer composited over it.
    layer: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// Blend mode, e.g. normal, multiply, color-burn.
    #[arg(long, default_value = "normal")]
    mode: String,
    /// Opacity, 0 to 1.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    opacity: f32,
    /// Mask the size of the layer (alpha channel, or luma when opaque).
    #[arg(long)]
    mask: Option<PathBuf>,
    /// Layer position on the base, X,Y in pixels (may be negative).
    #[arg(long, default_value = "0,0", allow_hyphen_values = true)]
    offset: String,
    /// Blend on linear-light values.
    #[arg(long)]
    linear_light: bool,
    /// Seed of the dissolve pattern.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter).
    #[arg(long, default_value = "auto")]
    backend: String,
}

fn parse_offset(text: &str) -> Result<(i32, i32)> {
    let bad = || Error::param("offset", format!("'{text}' is not X,Y in whole pixels"));
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    Ok((
        x.trim().parse().map_err(|_| bad())?,
        y.trim().parse().map_err(|_| bad())?,
    ))
}

pub fn run(args: Args) -> Result<()> {
    // Check every parameter before touching any file.
    let options = CompositeOptions {
        mode: BlendMode::from_name(&args.mode)?,
        opacity: args.opacity,
        offset: parse_offset(&args.offset)?,
        linear_light: args.linear_light,
        dissolve_seed: args.seed,
        backdrop_origin: (0, 0),
    };
    // "FILE: what is wrong", one line.
    let label = |path: &PathBuf, e: Error| Error::Io(format!("{}: {e}", path.display()));
    let base = image_io::decode_rgba(&read(&args.base)?).map_err(|e| label(&args.base, e))?;
    let layer = image_io::decode_rgba(&read(&args.layer)?).map_err(|e| label(&args.layer, e))?;
    let mask = match &args.mask {
        Some(path) => Some(image_io::decode_mask(&read(path)?).map_err(|e| label(path, e))?),
        None => None,
    };
    blend::validate(&layer, mask.as_ref(), &options)?;
    let engine = crate::engine(&args.backend)?;
    let out = pollster::block_on(blend::composite(
        &engine,
        &base,
        &layer,
        mask.as_ref(),
        &options,
    ))?;
    write_atomic(&args.output, &encode_for(&args.output, &out)?)
}
