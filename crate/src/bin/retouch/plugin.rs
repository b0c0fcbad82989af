//! `retouch plugin validate B | pack DIR -o B | run B IN -o OUT [--param id=value]... [--mask M]
//! [--backend cpu|gpu] | test B [--image IN]... [--param id=value]... [--tolerance N] | list`:
//! third-party filter plugins (docs/plugins.md).

use crate::output::{encode_for, read, write_atomic};
use image::RgbaImage;
use retouch::doc::{Document, LayerProperties, Rect};
use retouch::engine::{BackendPreference, Engine};
use retouch::plugin::abi::ParamValue;
use retouch::plugin::bundle::Bundle;
use retouch::plugin::filter_host::{apply_to_layer, FilterRun, FilterSource};
use retouch::plugin::Registry;
use retouch::{image_io, Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

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
    /// Run every implementation a bundle has (wasm on the CPU, WGSL on a GPU) on sample
    /// photographs; print how far apart they are and how fast each runs.
    Test {
        bundle: PathBuf,
        /// An image to test on instead of the built-in photographs; repeat for more.
        #[arg(long = "image", value_name = "IN")]
        images: Vec<PathBuf>,
        /// A parameter value, id=value; repeat for more (the manifest's defaults otherwise).
        #[arg(long = "param", value_name = "ID=VALUE")]
        params: Vec<String>,
        /// The largest difference (levels, any channel) allowed between wasm and WGSL.
        #[arg(long, default_value_t = 1)]
        tolerance: u8,
    },
    /// List the built-in plugins.
    List,
}

/// The photographs `plugin test` runs on by default: the test kit's 192×144 crops of
/// scikit-image's samples (crate/tests/photos), built in so the command works anywhere.
const SAMPLE_PHOTOS: [(&str, &[u8]); 6] = [
    (
        "chelsea",
        include_bytes!("../../../tests/photos/chelsea.png"),
    ),
    ("coffee", include_bytes!("../../../tests/photos/coffee.png")),
    (
        "astronaut",
        include_bytes!("../../../tests/photos/astronaut.png"),
    ),
    ("grass", include_bytes!("../../../tests/photos/grass.png")),
    ("brick", include_bytes!("../../../tests/photos/brick.png")),
    ("rocket", include_bytes!("../../../tests/photos/rocket.png")),
];

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
        Command::Test {
            bundle,
            images,
            params: pairs,
            tolerance,
        } => test(&bundle, &images, &params(&pairs)?, tolerance),
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

/// One implementation's run: its output and the seconds it took (sandbox or pipeline start-up
/// included).
fn timed(run: impl FnOnce() -> Result<RgbaImage>) -> Result<(RgbaImage, f64)> {
    let start = Instant::now();
    let out = run()?;
    Ok((out, start.elapsed().as_secs_f64()))
}

fn max_difference(a: &RgbaImage, b: &RgbaImage) -> u8 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

/// `plugin test`: each implementation on each image, their largest difference and speed.
fn test(
    path: &std::path::Path,
    images: &[PathBuf],
    given: &BTreeMap<String, ParamValue>,
    tolerance: u8,
) -> Result<()> {
    let bundle = Bundle::read(path)?;
    let filter = FilterRun::new(&bundle, given)?;
    let m = &bundle.manifest;
    println!("{} {} ({})", m.id, m.version, m.name);
    let samples: Vec<(String, RgbaImage)> = if images.is_empty() {
        SAMPLE_PHOTOS
            .iter()
            .map(|(name, bytes)| Ok((name.to_string(), image_io::decode_rgba(bytes)?)))
            .collect::<Result<_>>()?
    } else {
        images
            .iter()
            .map(|path| {
                let pixels = image_io::decode_rgba(&read(path)?)
                    .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
                Ok((path.display().to_string(), pixels))
            })
            .collect::<Result<_>>()?
    };
    let wasm = bundle.module().is_some();
    let gpu = match bundle.shader() {
        None => None,
        Some(_) => match pollster::block_on(Engine::new(BackendPreference::Gpu)) {
            Ok(engine) => {
                println!("WGSL on {}", engine.adapter_description());
                Some(engine)
            }
            Err(e) if wasm => {
                println!("WGSL: not run, it needs WebGPU (a GPU adapter): {e}");
                None
            }
            Err(e) => {
                return Err(Error::Plugin {
                    plugin: m.id.clone(),
                    message: format!(
                        "needs WebGPU: it has only a WGSL shader and no GPU adapter is here ({e})"
                    ),
                })
            }
        },
    };
    println!(
        "{:<24} {:>9} {:>10} {:>10} {:>10}",
        "image", "size", "wasm MP/s", "WGSL MP/s", "max diff"
    );
    let (mut pixels, mut wasm_seconds, mut wgsl_seconds, mut worst) = (0.0, 0.0, 0.0, None);
    let speed = |seconds: f64, megapixels: f64| format!("{:.2}", megapixels / seconds);
    for (name, image) in &samples {
        let area = Rect::new(0, 0, image.width(), image.height());
        let megapixels = f64::from(image.width() * image.height()) / 1e6;
        let cpu = wasm
            .then(|| timed(|| filter.run_wasm(image, area)))
            .transpose()?;
        let shader = gpu
            .as_ref()
            .and_then(Engine::gpu)
            .map(|context| {
                timed(|| {
                    pollster::block_on(filter.run_wgsl(
                        context,
                        &FilterSource::whole(image),
                        area,
                        |_, _| {},
                    ))
                })
            })
            .transpose()?;
        let difference = match (&cpu, &shader) {
            (Some((a, _)), Some((b, _))) => Some(max_difference(a, b)),
            _ => None,
        };
        worst = worst.max(difference);
        pixels += megapixels;
        wasm_seconds += cpu.as_ref().map_or(0.0, |c| c.1);
        wgsl_seconds += shader.as_ref().map_or(0.0, |s| s.1);
        println!(
            "{:<24} {:>9} {:>10} {:>10} {:>10}",
            name,
            format!("{}×{}", image.width(), image.height()),
            cpu.as_ref().map_or("-".into(), |c| speed(c.1, megapixels)),
            shader
                .as_ref()
                .map_or("-".into(), |s| speed(s.1, megapixels)),
            difference.map_or("-".into(), |d| d.to_string()),
        );
    }
    println!(
        "{:<24} {:>9} {:>10} {:>10}",
        "all (start-up included)",
        format!("{pixels:.2} MP"),
        if wasm {
            speed(wasm_seconds, pixels)
        } else {
            "-".into()
        },
        if gpu.is_some() {
            speed(wgsl_seconds, pixels)
        } else {
            "-".into()
        },
    );
    match worst {
        Some(worst) if worst > tolerance => Err(Error::Plugin {
            plugin: m.id.clone(),
            message: format!(
                "its wasm module and WGSL shader differ by up to {worst} levels, above the \
                 bound of {tolerance}"
            ),
        }),
        Some(worst) => {
            println!(
                "parity: wasm and WGSL differ by at most {worst} levels (bound {tolerance}): ok"
            );
            Ok(())
        }
        None => {
            println!("parity: not checked (one implementation ran)");
            Ok(())
        }
    }
}
