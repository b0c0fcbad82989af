//! `retouch heal-stroke IMAGE -o OUT --points "x,y x,y …" [--tool
//! spot|remove|healing] [--diameter N] [--hardness] [--spacing] [--seed N]
//! [--source x,y] [--mask M] [--backend]`: one stroke of the Spot Healing
//! brush, the Remove tool or the Healing brush, as the editor heals it.

use crate::stroke::{source_point, StrokeArgs};
use retouch::doc::{HealOptions, HealTool};
use retouch::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    stroke: StrokeArgs,
    /// spot (Spot Healing brush), remove (Remove tool) or healing (Healing
    /// brush, with --source).
    #[arg(long, default_value = "spot")]
    tool: String,
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
}

pub fn run(args: Args) -> Result<()> {
    let tool = match args.tool.as_str() {
        "spot" => HealTool::SpotHealing,
        "remove" => HealTool::Remove,
        "healing" => HealTool::Healing {
            source: source_point(
                args.source.as_deref(),
                "the healing brush needs --source x,y",
            )?,
        },
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
    args.stroke.run(|document, engine, layer, points| {
        pollster::block_on(document.heal_stroke(engine, layer, points, &options, tool))?;
        Ok(())
    })
}
