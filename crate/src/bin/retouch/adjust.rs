//! `retouch adjust IN -o OUT (--levels P | --curves P | ...) [--mask M]
//! [--backend]`: one adjustment, its parameters written `name=value`
//! separated by spaces (`--levels "input_black=10 gamma=1.2"`; absent ones
//! take their defaults, as in the manifests), inside the mask when given.

use crate::output::{encode_for, read, write_atomic};
use retouch::doc::{Document, LayerProperties};
use retouch::ops::adjust::Adjustment;
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("adjustment").required(true).args([
    "levels", "curves", "brightness_contrast", "hue_saturation", "color_balance",
    "gaussian_blur", "unsharp_mask",
])))]
pub struct Args {
    /// The image to adjust (PNG, JPEG, WebP, GIF or BMP).
    input: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// input_black, input_white, gamma, output_black, output_white.
    #[arg(long, value_name = "PARAMS")]
    levels: Option<String>,
    /// master, red, green, blue: points x:y,x:y,… (0–255).
    #[arg(long, value_name = "PARAMS")]
    curves: Option<String>,
    /// brightness, contrast (−100 to 100).
    #[arg(long, value_name = "PARAMS")]
    brightness_contrast: Option<String>,
    /// hue (−180 to 180), saturation, lightness (−100 to 100).
    #[arg(long, value_name = "PARAMS")]
    hue_saturation: Option<String>,
    /// {shadows,midtones,highlights}_{cyan_red,magenta_green,yellow_blue}
    /// (−100 to 100), preserve_luminosity (true/false).
    #[arg(long, value_name = "PARAMS")]
    color_balance: Option<String>,
    /// sigma (px).
    #[arg(long, value_name = "PARAMS")]
    gaussian_blur: Option<String>,
    /// amount (%), radius (px), threshold (levels).
    #[arg(long, value_name = "PARAMS")]
    unsharp_mask: Option<String>,
    /// Adjust only where this greyscale mask (the image's size) is white;
    /// grey blends, black keeps the input exactly.
    #[arg(long)]
    mask: Option<PathBuf>,
    /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter).
    #[arg(long, default_value = "auto")]
    backend: String,
}

/// The adjustment named by the one flag given, from its `name=value` list.
fn adjustment(args: &Args) -> Result<Adjustment> {
    let flags = [
        ("levels", &args.levels),
        ("curves", &args.curves),
        ("brightness_contrast", &args.brightness_contrast),
        ("hue_saturation", &args.hue_saturation),
        ("color_balance", &args.color_balance),
        ("gaussian_blur", &args.gaussian_blur),
        ("unsharp_mask", &args.unsharp_mask),
    ];
    let (kind, params) = flags
        .iter()
        .find_map(|(kind, params)| params.as_ref().map(|p| (*kind, p)))
        .expect("clap requires one adjustment");
    let mut object = serde_json::Map::new();
    object.insert("kind".into(), kind.into());
    for pair in params.split_whitespace() {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| Error::param(kind, format!("'{pair}' is not name=value")))?;
        let value = match value {
            "true" => true.into(),
            "false" => false.into(),
            _ => match value.parse::<f64>() {
                Ok(number) => number.into(),
                Err(_) => value.into(),
            },
        };
        object.insert(name.into(), value);
    }
    Adjustment::from_json(&serde_json::Value::Object(object).to_string())
}

pub fn run(args: Args) -> Result<()> {
    let adjustment = adjustment(&args)?;
    let pixels = image_io::decode_rgba(&read(&args.input)?)
        .map_err(|e| Error::Io(format!("{}: {e}", args.input.display())))?;
    let mask = args
        .mask
        .as_ref()
        .map(|path| image_io::decode_mask(&read(path)?))
        .transpose()?;
    let mut document = Document::new(pixels.width(), pixels.height())?;
    let layer = document.add_layer(LayerProperties::named("Image"), pixels, None, None)?;
    if let Some(mask) = mask {
        document.set_selection(Some(mask), "Mask")?;
    }
    let engine = crate::engine(&args.backend)?;
    pollster::block_on(document.adjust_layer(&engine, layer, &adjustment))?;
    let out = &document.layer(layer)?.pixels;
    write_atomic(&args.output, &encode_for(&args.output, out)?)
}
