//! `retouch paint IN -o OUT --tool brush|eraser|clone --points "x,y x,y …"
//! [--color RRGGBB] [--diameter] [--hardness] [--spacing] [--opacity]
//! [--flow] [--source x,y] [--mask M] [--backend]`: one stroke of the paint
//! brush, eraser or clone stamp (inside the mask when given), as the editor
//! paints it.

use crate::output::{encode_for, read, write_atomic};
use retouch::doc::{Document, LayerProperties, StrokeTool};
use retouch::ops::paint::{parse_hex_color, PaintOptions};
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The image to paint on (PNG, JPEG or WebP).
    input: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// brush, eraser or clone.
    #[arg(long)]
    tool: String,
    /// The stroke: points "x,y x,y …" in pixels.
    #[arg(long)]
    points: String,
    /// The brush colour, RRGGBB.
    #[arg(long, default_value = "000000")]
    color: String,
    /// Diameter in pixels.
    #[arg(long, default_value_t = PaintOptions::default().diameter)]
    diameter: f32,
    /// Hardness, 0–100 %.
    #[arg(long, default_value_t = PaintOptions::default().hardness)]
    hardness: f32,
    /// Dab spacing, % of the diameter.
    #[arg(long, default_value_t = PaintOptions::default().spacing)]
    spacing: f32,
    /// Opacity, 0–100 %.
    #[arg(long, default_value_t = PaintOptions::default().opacity)]
    opacity: f32,
    /// Flow, 0–100 %.
    #[arg(long, default_value_t = PaintOptions::default().flow)]
    flow: f32,
    /// The clone source "x,y": where the stroke's first point copies from.
    #[arg(long)]
    source: Option<String>,
    /// Paint only where this greyscale mask (the image's size) is white.
    #[arg(long)]
    mask: Option<PathBuf>,
    /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter).
    #[arg(long, default_value = "auto")]
    backend: String,
}

pub(crate) fn parse_point(name: &str, text: &str) -> Result<(f32, f32)> {
    let bad = || Error::param(name, format!("'{text}' is not x,y"));
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    Ok((
        x.trim().parse().map_err(|_| bad())?,
        y.trim().parse().map_err(|_| bad())?,
    ))
}

pub fn run(args: Args) -> Result<()> {
    let points = args
        .points
        .split_whitespace()
        .map(|p| parse_point("points", p))
        .collect::<Result<Vec<_>>>()?;
    let tool = match args.tool.as_str() {
        "brush" => StrokeTool::Brush {
            color: parse_hex_color(&args.color)?,
        },
        "eraser" => StrokeTool::Eraser,
        "clone" => {
            let source = args
                .source
                .as_deref()
                .ok_or_else(|| Error::param("source", "the clone stamp needs --source x,y"))?;
            StrokeTool::CloneStamp {
                source: parse_point("source", source)?,
            }
        }
        other => {
            return Err(Error::param(
                "tool",
                format!("'{other}' is not brush, eraser or clone"),
            ))
        }
    };
    let options = PaintOptions {
        diameter: args.diameter,
        hardness: args.hardness,
        spacing: args.spacing,
        opacity: args.opacity,
        flow: args.flow,
    };
    let pixels = image_io::decode_rgba(&read(&args.input)?)
        .map_err(|e| Error::Io(format!("{}: {e}", args.input.display())))?;
    let mut document = Document::new(pixels.width(), pixels.height())?;
    let layer = document.add_layer(LayerProperties::named("Image"), pixels, None, None)?;
    if let Some(path) = &args.mask {
        document.set_selection(Some(image_io::decode_mask(&read(path)?)?), "Mask")?;
    }
    let engine = crate::engine(&args.backend)?;
    pollster::block_on(document.paint_stroke(&engine, layer, &points, &options, tool))?;
    let out = &document.layer(layer)?.pixels;
    write_atomic(&args.output, &encode_for(&args.output, out)?)
}
