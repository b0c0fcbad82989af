//! `retouch model convert MODEL_JSON -o OUT.rtnet` and `retouch model info
//! FILE`: the ESRGAN networks' weights, converted from TensorFlow.js at
//! build time, and where the CLI finds them.
//!
//! Converted networks are named `esrgan-<size>-x<scale>.rtnet`. The CLI
//! looks for them, in order, in `--models DIR`, `$RETOUCH_MODELS`, a
//! `models/` folder beside the executable, and the source tree's
//! `web/pkg/models/` (where `./build.sh build` writes them).

use crate::output::write_atomic;
use retouch::ops::esrgan::{self, Network, Precision, Upscaler};
use retouch::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Convert a TensorFlow.js layers model (model.json + weight shards) to
    /// a Retouch network file.
    Convert {
        /// The model.json; its shards are read from the same folder.
        model_json: PathBuf,
        /// The .rtnet file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Weight precision: f16 (half the size) or f32.
        #[arg(long, default_value = "f16")]
        precision: String,
        /// The pixel range the network was trained on (255: values 0..255).
        #[arg(long, default_value_t = 255.0)]
        range: f32,
        /// Where the weights came from, recorded in the file.
        #[arg(long, default_value = "")]
        source: String,
    },
    /// Print a network file's source, scale, halo and layers.
    Info {
        /// A .rtnet file.
        file: PathBuf,
    },
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Convert {
            model_json,
            output,
            precision,
            range,
            source,
        } => {
            let precision = match precision.as_str() {
                "f16" => Precision::F16,
                "f32" => Precision::F32,
                other => {
                    return Err(Error::param(
                        "precision",
                        format!("'{other}' is not f16 or f32"),
                    ))
                }
            };
            let name = model_json.display().to_string();
            let text = std::fs::read_to_string(&model_json)
                .map_err(|e| Error::Io(format!("cannot read {name}: {e}")))?;
            let folder = model_json.parent().unwrap_or(Path::new(".")).to_path_buf();
            let source = if source.is_empty() {
                name.clone()
            } else {
                source
            };
            let network = esrgan::from_tfjs(&text, &name, source, range, |shard| {
                let path = folder.join(shard);
                std::fs::read(&path)
                    .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))
            })?;
            write_atomic(&output, &network.to_bytes(precision))
        }
        Command::Info { file } => {
            let network = read_network(&file)?;
            println!("source: {}", network.source);
            println!("scale: {}", network.scale);
            println!("halo: {} px", network.halo());
            for layer in &network.layers {
                println!("{}: {:?}", layer.name, layer.op);
            }
            Ok(())
        }
    }
}

fn read_network(path: &Path) -> Result<Network> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
    Network::from_bytes(&bytes, &path.display().to_string())
}

/// The folders searched for networks, in order.
fn model_folders(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut folders = Vec::new();
    if let Some(dir) = explicit {
        folders.push(dir.to_path_buf());
        return folders;
    }
    if let Some(dir) = std::env::var_os("RETOUCH_MODELS") {
        folders.push(PathBuf::from(dir));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        folders.push(exe_dir.join("models"));
    }
    folders.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/pkg/models"));
    folders
}

/// Loads `esrgan-<size>-x<scale>.rtnet` from the first folder that has it;
/// the error lists where it looked and how to make the file.
pub fn load_upscaler(size: &str, scale: u32, explicit: Option<&Path>) -> Result<Upscaler> {
    let name = esrgan::model_file(size, f64::from(scale))?;
    let folders = model_folders(explicit);
    for folder in &folders {
        let path = folder.join(&name);
        if path.is_file() {
            let network = read_network(&path)?;
            if network.scale != scale as usize {
                return Err(Error::param(
                    "model",
                    format!(
                        "{} enlarges ×{}, not ×{scale}",
                        path.display(),
                        network.scale
                    ),
                ));
            }
            return Ok(Upscaler::new(network));
        }
    }
    let looked: Vec<String> = folders.iter().map(|f| f.display().to_string()).collect();
    Err(Error::param(
        "model",
        format!(
            "{name} not found (looked in {}); run ./build.sh build, or point --models or RETOUCH_MODELS at a folder of converted networks",
            looked.join(", ")
        ),
    ))
}
