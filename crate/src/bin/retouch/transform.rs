//! `retouch transform IN -o OUT (--matrix a,b,c,d,e,f | [--scale S[,SY]]
//! [--rotate DEG] [--skew-x K] [--translate X,Y]) [--canvas same|fit]
//! [--resampler bicubic|edge] [--mask M] [--backend]`: the free transform of
//! an image. Without `--matrix` the image is scaled, skewed and rotated
//! (clockwise) about its centre, then moved; `--canvas fit` grows or shrinks
//! the output to hold the whole result. With `--mask`, only the pixels the
//! mask selects move, as the editor's Ctrl+T with a selection does (see
//! `Document::transform_selection`): the simple options act about the
//! centre of the mask's box, `--matrix` still maps input to output pixels.

use crate::output::{encode_for, read, write_atomic};
use image::RgbaImage;
use retouch::doc::{Document, LayerProperties};
use retouch::image_io::{self, MAX_SIDE};
use retouch::ops::transform::{self, Affine, Area, Resampler};
use retouch::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The image to transform (PNG, JPEG or WebP).
    input: PathBuf,
    /// Output (PNG, JPEG or WebP by extension).
    #[arg(short, long)]
    output: PathBuf,
    /// The whole map a,b,c,d,e,f (as SVG's matrix(): x' = a·x + c·y + e,
    /// y' = b·x + d·y + f), from input pixels to output pixels.
    #[arg(long, conflicts_with_all = ["scale", "rotate", "skew_x", "translate"])]
    matrix: Option<String>,
    /// Scale about the centre: S, or SX,SY.
    #[arg(long)]
    scale: Option<String>,
    /// Clockwise turn about the centre, in degrees.
    #[arg(long, allow_negative_numbers = true)]
    rotate: Option<f64>,
    /// Horizontal skew about the centre: x moves by K·y.
    #[arg(long, allow_negative_numbers = true)]
    skew_x: Option<f64>,
    /// Move by X,Y pixels after the rest.
    #[arg(long, allow_negative_numbers = true)]
    translate: Option<String>,
    /// same: the output is the input's size; fit: just large enough for the result.
    #[arg(long, default_value = "same")]
    canvas: String,
    /// bicubic, or edge (enlargements through the edge-adaptive upscaler).
    #[arg(long, default_value = "bicubic")]
    resampler: String,
    /// Transform only the pixels this greyscale mask (the image's size)
    /// selects (grey: partly); they leave a transparent hole.
    #[arg(long, conflicts_with = "canvas")]
    mask: Option<PathBuf>,
    /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter).
    #[arg(long, default_value = "auto")]
    backend: String,
}

/// Comma-separated numbers, exactly `count` of them (or 1 repeated, when `count` allows it).
fn numbers(name: &str, text: &str, counts: &[usize]) -> Result<Vec<f64>> {
    let values = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::param(name, format!("'{text}' is not a list of numbers")))?;
    if !counts.contains(&values.len()) || values.iter().any(|v| !v.is_finite()) {
        let want = counts
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(Error::param(
            name,
            format!("expected {want} finite numbers, got '{text}'"),
        ));
    }
    Ok(values)
}

fn map_of(args: &Args, width: u32, height: u32) -> Result<Affine> {
    if let Some(text) = &args.matrix {
        let m = numbers("matrix", text, &[6])?;
        return Ok(Affine::new(m[0], m[1], m[2], m[3], m[4], m[5]));
    }
    let (sx, sy) = match &args.scale {
        Some(text) => match numbers("scale", text, &[1, 2])?[..] {
            [s] => (s, s),
            [x, y] => (x, y),
            _ => unreachable!("one or two numbers"),
        },
        None => (1.0, 1.0),
    };
    let (tx, ty) = match &args.translate {
        Some(text) => {
            let t = numbers("translate", text, &[2])?;
            (t[0], t[1])
        }
        None => (0.0, 0.0),
    };
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let skew = Affine::new(1.0, 0.0, args.skew_x.unwrap_or(0.0), 1.0, 0.0, 0.0);
    Ok(Affine::translate(cx + tx, cy + ty)
        .after(&Affine::rotate_degrees(args.rotate.unwrap_or(0.0)))
        .after(&skew)
        .after(&Affine::scale(sx, sy))
        .after(&Affine::translate(-cx, -cy)))
}

pub fn run(args: Args) -> Result<()> {
    let resampler = Resampler::parse(&args.resampler)?;
    let image = image_io::decode_rgba(&read(&args.input)?)
        .map_err(|e| Error::Io(format!("{}: {e}", args.input.display())))?;
    if let Some(path) = &args.mask {
        return transform_masked(&args, image, path, resampler);
    }
    let mut map = map_of(&args, image.width(), image.height())?;
    map.validate()?;
    let (width, height) = match args.canvas.as_str() {
        "same" => image.dimensions(),
        "fit" => {
            let (left, top, right, bottom) = map.bounds_of(image.width(), image.height());
            let (w, h) = (right - left, bottom - top);
            if w > f64::from(MAX_SIDE) || h > f64::from(MAX_SIDE) {
                return Err(Error::param(
                    "canvas",
                    format!("the result would be {w}×{h} px, over the {MAX_SIDE} px limit"),
                ));
            }
            map = Affine::translate(-left, -top).after(&map);
            (w as u32, h as u32)
        }
        other => {
            return Err(Error::param(
                "canvas",
                format!("'{other}' is not one of: same, fit"),
            ))
        }
    };
    let engine = crate::engine(&args.backend)?;
    let area = Area {
        x: 0,
        y: 0,
        width,
        height,
    };
    let out = pollster::block_on(transform::transform(&engine, &image, &map, area, resampler))?;
    write_atomic(&args.output, &encode_for(&args.output, &out)?)
}

/// `--mask`: the selected pixels float and move over the rest.
fn transform_masked(
    args: &Args,
    image: RgbaImage,
    mask: &Path,
    resampler: Resampler,
) -> Result<()> {
    let mask = image_io::decode_mask(&read(mask)?)?;
    let (width, height) = image.dimensions();
    let mut document = Document::new(width, height)?;
    let layer = document.add_layer(LayerProperties::named("Image"), image, None, None)?;
    document.set_selection(Some(mask), "Mask")?;
    let (rect, _) = document.selection_float(layer)?;
    let to_box = Affine::translate(f64::from(rect.x), f64::from(rect.y));
    let map = match &args.matrix {
        Some(_) => map_of(args, width, height)?.after(&to_box),
        None => to_box.after(&map_of(args, rect.width, rect.height)?),
    };
    let engine = crate::engine(&args.backend)?;
    pollster::block_on(document.transform_selection(&engine, layer, &map, resampler))?;
    // The layer may have grown past the image where the float landed off it.
    let layer = document.layer(layer)?;
    let (x, y) = layer.props.offset;
    let mut out = RgbaImage::new(width, height);
    image::imageops::replace(&mut out, &layer.pixels, i64::from(x), i64::from(y));
    write_atomic(&args.output, &encode_for(&args.output, &out)?)
}
