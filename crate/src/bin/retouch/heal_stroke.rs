//! `retouch heal-stroke IMAGE -o OUT --points "x,y x,y …" [--tool
//! spot|remove|healing] [--diameter N] [--hardness] [--spacing] [--seed N]
//! [--source x,y] [--mask M] [--backend]`: one stroke of the Spot Healing
//! brush, the Remove tool or the Healing brush, as the editor heals it.

use crate::output::{encode_for, read, write_atomic};
use crate::paint::parse_point;
use retouch::doc::{Document, HealOptions, HealTool, LayerProperties};
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The image to heal (PNG, JPEG or WebP).
    input: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// spot (Spot Healing brush), remove (Remove tool) or healing (Healing
    /// brush, with --source).
    #[arg(long, default_value = "spot")]
    tool: String,
    /// The stroke: points "x,y x,y …" in pixels.
    #[arg(long, allow_hyphen_values = true)]
    points: String,
    /// Brush diameter in pixels (also --size).
    #[arg(long, alias = "size", default_value_t = HealOptions::default().diameter)]
    diameter: f32,
    /// Hardness, 0–100 %.
    #[arg(long, default_value_t = HealOptions::default().hardness)]
    hardness: f32,
    /// Dab spacing, % of the diameter.
    #[arg(long, default_value_t = HealOptions::default().spacing)]
    spacing: f32,
    /// The fill's seed (spot, remove): the same seed heals alike.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The healing source "x,y": where the stroke's first point takes its texture.
    #[arg(long, allow_hyphen_values = true)]
    source: Option<String>,
    /// Heal only where this greyscale mask (the image's size) is white.
    #[arg(long)]
    mask: Option<PathBuf>,
    /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter).
    #[arg(long, default_value = "auto")]
    backend: String,
}

pub fn run(args: Args) -> Result<()> {
    let points = args
        .points
        .split_whitespace()
        .map(|p| parse_point("points", p))
        .collect::<Result<Vec<_>>>()?;
    let tool = match args.tool.as_str() {
        "spot" => HealTool::SpotHealing,
        "remove" => HealTool::Remove,
        "healing" => {
            let source = args
                .source
                .as_deref()
                .ok_or_else(|| Error::param("source", "the healing brush needs --source x,y"))?;
            HealTool::Healing {
                source: parse_point("source", source)?,
            }
        }
        other => {
            return Err(Error::param(
                "tool",
                format!("'{other}' is not spot, remove or healing"),
            ))
        }
    };
    let options = HealOptions {
        diameter: args.diameter,
        hardness: args.hardness,
        spacing: args.spacing,
        seed: args.seed,
    };
    let pixels = image_io::decode_rgba(&read(&args.input)?)
        .map_err(|e| Error::Io(format!("{}: {e}", args.input.display())))?;
    let mut document = Document::new(pixels.width(), pixels.height())?;
    let layer = document.add_layer(LayerProperties::named("Image"), pixels, None, None)?;
    if let Some(path) = &args.mask {
        document.set_selection(Some(image_io::decode_mask(&read(path)?)?), "Mask")?;
    }
    let engine = crate::engine(&args.backend)?;
    pollster::block_on(document.heal_stroke(&engine, layer, &points, &options, tool))?;
    let out = &document.layer(layer)?.pixels;
    write_atomic(&args.output, &encode_for(&args.output, out)?)
}
