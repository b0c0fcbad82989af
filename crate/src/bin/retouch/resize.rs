//! `retouch resize IN -o OUT (--scale F | --size WxH) [--region X,Y,W,H]
//! [--filter] [--sharpness] [--linear-light] [--backend]`, and the AI
//! upscaler: `--filter esrgan --scale 2|3|4 [--model slim|medium|thick] [--models DIR]`.

use crate::output::{encode_for, open_image, write_atomic};
use retouch::ops::esrgan;
use retouch::ops::resample::{self, Filter, ResizeOptions, DEFAULT_SHARPNESS};
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["scale", "size"])))]
pub struct Args {
    /// The image to resize (PNG, JPEG, WebP, GIF or BMP).
    input: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// Scale factor for both sides, e.g. 2 or 0.5.
    #[arg(long, allow_negative_numbers = true)]
    scale: Option<f64>,
    /// Exact output size, WxH in pixels.
    #[arg(long)]
    size: Option<String>,
    /// Resize only this rectangle of the input, X,Y,W,H in pixels (`--scale`
    /// applies to the rectangle): to upscale a detail without the rest.
    #[arg(long)]
    region: Option<String>,
    /// nearest, bilinear, bicubic, mitchell, lanczos3, edge (Lanczos3 plus
    /// back-projection and sharpening; enlarges only) or esrgan (the AI
    /// upscaler, offline, on the chosen backend: --scale 2, 3 or 4).
    #[arg(long, default_value = "lanczos3")]
    filter: String,
    /// esrgan only: the network, slim (fastest), medium or thick (largest, slowest).
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: String,
    /// esrgan only: the folder of converted networks (see `retouch model`).
    #[arg(long)]
    models: Option<PathBuf>,
    /// Edge filter only: sharpening, 0 to 1.
    #[arg(long, default_value_t = DEFAULT_SHARPNESS, allow_negative_numbers = true)]
    sharpness: f32,
    /// Filter linear-light values instead of gamma-encoded sRGB.
    #[arg(long)]
    linear_light: bool,
    /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter).
    #[arg(long, default_value = "auto")]
    backend: String,
    /// Resize a truncated or damaged input with what can be decoded (a
    /// warning says so) instead of refusing it.
    #[arg(long)]
    allow_partial: bool,
}

fn parse_size(text: &str) -> Result<(u32, u32)> {
    let bad = || Error::param("size", format!("'{text}' is not WxH in whole pixels"));
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    Ok((
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    ))
}

fn parse_region(text: &str) -> Result<[u32; 4]> {
    let bad = || Error::param("region", format!("'{text}' is not X,Y,W,H in whole pixels"));
    let parts: Vec<u32> = text
        .split(',')
        .map(|p| p.trim().parse().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    let region: [u32; 4] = parts.try_into().map_err(|_| bad())?;
    if region[2] == 0 || region[3] == 0 {
        return Err(Error::param("region", format!("'{text}' is empty")));
    }
    Ok(region)
}

/// The network `--filter esrgan` uses unless `--model` says otherwise: slim
/// gives 0.26 dB less than medium at ×4 in a third of the time (BENCHMARKS.md).
const DEFAULT_MODEL: &str = "slim";

pub fn run(args: Args) -> Result<()> {
    if args.filter == "esrgan" {
        return run_esrgan(args);
    }
    // Check every parameter that does not need the image before reading it.
    let filter = Filter::from_name(&args.filter)?;
    let size = args.size.as_deref().map(parse_size).transpose()?;
    let region = args.region.as_deref().map(parse_region).transpose()?;
    if let Some((w, h)) = size {
        resample::check_output_size(w, h)?;
    }
    if let Some(scale) = args.scale {
        resample::scaled_size(1, 1, scale)?;
    }
    let (src, _) = open_image(&args.input, args.allow_partial)?;
    let src = match region {
        Some([x, y, w, h]) => image_io::region(&src, "image", (x, y, w, h))?,
        None => src,
    };
    let (width, height) = match (size, args.scale) {
        (Some(size), _) => size,
        (None, Some(scale)) => resample::scaled_size(src.width(), src.height(), scale)?,
        (None, None) => unreachable!("clap requires --scale or --size"),
    };
    let options = ResizeOptions {
        width,
        height,
        filter,
        linear_light: args.linear_light,
        sharpness: args.sharpness,
    };
    resample::validate(src.width(), src.height(), &options)?;
    let engine = crate::engine(&args.backend)?;
    let out = pollster::block_on(resample::resize(&engine, &src, &options))?;
    write_atomic(&args.output, &encode_for(&args.output, &out)?)
}

/// `--filter esrgan`: a whole-number scale the networks exist for, then the
/// network on the `--backend`'s engine (colour) and the edge upscaler (alpha).
fn run_esrgan(args: Args) -> Result<()> {
    let scale = match args.scale {
        Some(s) if [2.0, 3.0, 4.0].contains(&s) => s as u32,
        Some(s) => {
            return Err(Error::param(
                "scale",
                format!("{s} is not available for esrgan; the networks enlarge ×2, ×3 or ×4"),
            ))
        }
        None => {
            return Err(Error::param(
                "size",
                "esrgan enlarges by a whole factor: use --scale 2, 3 or 4",
            ))
        }
    };
    esrgan::model_file(&args.model, f64::from(scale))?;
    if args.linear_light {
        return Err(Error::param(
            "linear-light",
            "not used by esrgan (the network works on sRGB values)",
        ));
    }
    let region = args.region.as_deref().map(parse_region).transpose()?;
    let engine = crate::engine(&args.backend)?;
    let upscaler = crate::model::load_upscaler(&args.model, scale, args.models.as_deref())?;
    let (src, _) = open_image(&args.input, args.allow_partial)?;
    let src = match region {
        Some([x, y, w, h]) => image_io::region(&src, "image", (x, y, w, h))?,
        None => src,
    };
    let out = pollster::block_on(esrgan::upscale_on(&engine, &upscaler, &src))?;
    write_atomic(&args.output, &encode_for(&args.output, &out)?)
}
