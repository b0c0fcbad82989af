//! `retouch paint IN -o OUT --tool brush|eraser|clone --points "x,y x,y …"
//! [--color RRGGBB] [--diameter] [--hardness] [--spacing] [--opacity]
//! [--flow] [--source x,y] [--mask M] [--backend]`: one stroke of the paint
//! brush, eraser or clone stamp (inside the mask when given), as the editor
//! paints it.

use crate::stroke::{source_point, StrokeArgs};
use retouch::doc::StrokeTool;
use retouch::ops::paint::{parse_hex_color, PaintOptions};
use retouch::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    stroke: StrokeArgs,
    /// brush, eraser or clone.
    #[arg(long)]
    tool: String,
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
    #[arg(long, allow_hyphen_values = true)]
    source: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let tool = match args.tool.as_str() {
        "brush" => StrokeTool::Brush {
            color: parse_hex_color(&args.color)?,
        },
        "eraser" => StrokeTool::Eraser,
        "clone" => StrokeTool::CloneStamp {
            source: source_point(args.source.as_deref(), "the clone stamp needs --source x,y")?,
        },
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
    args.stroke.run(|document, engine, layer, points| {
        pollster::block_on(document.paint_stroke(engine, layer, points, &options, tool))?;
        Ok(())
    })
}
