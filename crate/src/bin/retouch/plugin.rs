//! `retouch plugin validate B | pack DIR -o B | run B IN -o OUT [--param id=value]... [--mask M]
//! [--backend cpu|gpu] | list`: third-party filter plugins (docs/plugins.md).

use crate::output::{encode_for, read, write_atomic};
use retouch::doc::{Document, LayerProperties};
use retouch::plugin::abi::ParamValue;
use retouch::plugin::bundle::Bundle;
use retouch::plugin::filter_host::{apply_to_layer, FilterRun};
use retouch::plugin::Registry;
use retouch::{image_io, Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Check a .retouchplugin bundle: manifest, hashes, paths, module imports and limits.
    Validate { bundle: PathBuf },
    /// Pack a plugin folder (manifest.json and its files) into a bundle.
    Pack {
        dir: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run a filter plugin on an image (inside a mask when given).
    Run {
        bundle: PathBuf,
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// A parameter value, id=value; repeat for more.
        #[arg(long = "param", value_name = "ID=VALUE")]
        params: Vec<String>,
        /// Filter only where this greyscale mask (the image's size) is white.
        #[arg(long)]
        mask: Option<PathBuf>,
        /// cpu (the wasm module) or gpu (the WGSL shader, any adapter); auto picks.
        #[arg(long, default_value = "auto")]
        backend: String,
    },
    /// List the built-in plugins.
    List,
}

fn params(pairs: &[String]) -> Result<BTreeMap<String, ParamValue>> {
    pairs
        .iter()
        .map(|pair| {
            let (id, value) = pair
                .split_once('=')
                .ok_or_else(|| Error::param("param", format!("'{pair}' is not id=value")))?;
            Ok((id.to_string(), ParamValue::parse(value)))
        })
        .collect()
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Validate { bundle } => {
            let checked = Bundle::read(&bundle)?;
            let m = &checked.manifest;
            println!("{} {} ({}): valid", m.id, m.version, m.name);
            Ok(())
        }
        Command::Pack { dir, output } => write_atomic(&output, &Bundle::pack(&dir)?),
        Command::Run {
            bundle,
            input,
            output,
            params: pairs,
            mask,
            backend,
        } => {
            let bundle = Bundle::read(&bundle)?;
            let filter = FilterRun::new(&bundle, &params(&pairs)?)?;
            let pixels = image_io::decode_rgba(&read(&input)?)
                .map_err(|e| Error::Io(format!("{}: {e}", input.display())))?;
            let mut document = Document::new(pixels.width(), pixels.height())?;
            let layer = document.add_layer(LayerProperties::named("Image"), pixels, None, None)?;
            if let Some(mask) = mask {
                document.set_selection(Some(image_io::decode_mask(&read(&mask)?)?), "Mask")?;
            }
            let engine = crate::engine(&backend)?;
            pollster::block_on(apply_to_layer(&mut document, &engine, layer, &filter))?;
            write_atomic(
                &output,
                &encode_for(&output, &document.layer(layer)?.pixels)?,
            )
        }
        Command::List => {
            let registry = Registry::builtin()?;
            for manifest in registry.manifests() {
                println!(
                    "{}\t{}\t{:?}\t{}",
                    manifest.id, manifest.version, manifest.kind, manifest.name
                );
            }
            Ok(())
        }
    }
}
