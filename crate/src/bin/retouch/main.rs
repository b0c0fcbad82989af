//! The native `retouch` command line: every core operation, scriptable.
//! Bad input prints one clear line on stderr and exits non-zero; outputs are
//! written to a temporary file and renamed, so no partial file is left.

mod adjust;
mod composite;
mod fill;
mod heal;
mod heal_stroke;
mod mask;
mod model;
mod output;
mod paint;
mod plugin;
mod project;
mod resize;
mod seam;
mod stroke;
mod text;
mod transform;

use clap::{Parser, Subcommand};
use retouch::engine::{BackendPreference, Engine};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "retouch",
    version,
    about = "Retouch: fix regions of AI-generated images"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Composite LAYER over BASE with a blend mode, opacity, mask and offset.
    Composite(composite::Args),
    /// Create, inspect and extend OpenRaster (.ora) projects.
    Project(project::Args),
    /// Flatten a project (or convert an image) to PNG, JPEG or WebP.
    Export(project::ExportArgs),
    /// Make or modify a selection mask: marquee, lasso, wand, colour range,
    /// brush, feather, grow, shrink, border, smooth, invert.
    Mask(mask::Args),
    /// Resize or upscale an image: Lanczos3, bicubic, Mitchell, bilinear,
    /// nearest, the edge-adaptive upscaler, or the AI upscaler (ESRGAN).
    Resize(resize::Args),
    /// The AI upscaler's networks: convert a TensorFlow.js model, inspect one.
    Model(model::Args),
    /// Adjust an image (inside a mask): levels, curves, brightness/contrast,
    /// hue/saturation, colour balance, Gaussian blur, unsharp mask.
    Adjust(adjust::Args),
    /// Free transform: scale, rotate, skew and move an image (bicubic or the
    /// edge-adaptive upscaler), or apply a whole affine matrix.
    Transform(transform::Args),
    /// Paint one stroke with the paint brush, eraser or clone stamp.
    Paint(paint::Args),
    /// Content-aware fill: replace the masked pixels with texture from the
    /// rest of the image (PatchMatch), deterministic for a seed.
    Fill(fill::Args),
    /// Third-party filter plugins: validate, pack, run, list.
    Plugin(plugin::Args),
    /// Healing brush on a mask: texture from --source-offset away, blended in
    /// the gradient domain (Poisson) so the tone comes from around the mask.
    Heal(heal::Args),
    /// One stroke of the Spot Healing brush, the Remove tool or the Healing
    /// brush (--source), as the editor heals it.
    HealStroke(heal_stroke::Args),
    /// How visible an edit's seam is: the colour step across the mask's edge against the
    /// original's own step (ΔE2000), and the difference inside, as JSON.
    Seam(seam::Args),
    /// Set a text in a font (shaped, wrapped to --width, aligned) and write
    /// it as a PNG: the same pixels as a text layer.
    RenderText(text::Args),
    /// Print the version, the backend, the adapter and why that backend.
    Info {
        /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter,
        /// software ones included).
        #[arg(long, default_value = "auto")]
        backend: String,
    },
}

/// Opens an engine for a `--backend` argument.
fn engine(backend: &str) -> retouch::Result<Engine> {
    pollster::block_on(Engine::new(BackendPreference::parse(backend)?))
}

fn run(cli: Cli) -> retouch::Result<()> {
    match cli.command {
        Command::Composite(args) => composite::run(args),
        Command::Mask(args) => mask::run(args),
        Command::Resize(args) => resize::run(args),
        Command::Model(args) => model::run(args),
        Command::Adjust(args) => adjust::run(args),
        Command::Fill(args) => fill::run(args),
        Command::Heal(args) => heal::run(args),
        Command::HealStroke(args) => heal_stroke::run(args),
        Command::Seam(args) => seam::run(args),
        Command::RenderText(args) => text::run(args),
        Command::Transform(args) => transform::run(args),
        Command::Paint(args) => paint::run(args),
        Command::Plugin(args) => plugin::run(args),
        Command::Project(args) => project::run(args),
        Command::Export(args) => project::export(args),
        Command::Info { backend } => {
            let engine = engine(&backend)?;
            println!("retouch {}", env!("CARGO_PKG_VERSION"));
            println!("backend: {}", engine.backend());
            println!("adapter: {}", engine.adapter_description());
            let reason = engine.reason();
            if !reason.is_empty() {
                println!("reason: {reason}");
            }
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("retouch: {e}");
            ExitCode::FAILURE
        }
    }
}
