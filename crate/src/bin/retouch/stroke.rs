//! What the one-stroke commands (`paint`, `heal-stroke`) share: the image
//! and output, the stroke's points, the mask, the backend, and the run that
//! loads the image as a one-layer document, strokes it and writes the layer.

use crate::output::{encode_for, read, write_atomic};
use retouch::doc::{Document, LayerId, LayerProperties};
use retouch::engine::Engine;
use retouch::{image_io, Error, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct StrokeArgs {
    /// The image to stroke (PNG, JPEG or WebP).
    input: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    output: PathBuf,
    /// The stroke: points "x,y x,y …" in pixels.
    #[arg(long, allow_hyphen_values = true)]
    points: String,
    /// Stroke only where this greyscale mask (the image's size) is white.
    #[arg(long)]
    mask: Option<PathBuf>,
    /// auto (a hardware GPU, else the CPU), cpu or gpu (any adapter).
    #[arg(long, default_value = "auto")]
    backend: String,
}

impl StrokeArgs {
    /// Checks the points, loads the image as the layer "Image" of a new
    /// document (the mask as its selection), runs `stroke(document, engine,
    /// layer, points)` and writes the layer: nothing is written on an error.
    pub fn run(
        &self,
        stroke: impl FnOnce(&mut Document, &Engine, LayerId, &[(f32, f32)]) -> Result<()>,
    ) -> Result<()> {
        let points = self
            .points
            .split_whitespace()
            .map(|p| parse_point("points", p))
            .collect::<Result<Vec<_>>>()?;
        let pixels = image_io::decode_rgba(&read(&self.input)?)
            .map_err(|e| Error::Io(format!("{}: {e}", self.input.display())))?;
        let mut document = Document::new(pixels.width(), pixels.height())?;
        let layer = document.add_layer(LayerProperties::named("Image"), pixels, None, None)?;
        if let Some(path) = &self.mask {
            document.set_selection(Some(image_io::decode_mask(&read(path)?)?), "Mask")?;
        }
        let engine = crate::engine(&self.backend)?;
        stroke(&mut document, &engine, layer, &points)?;
        let out = &document.layer(layer)?.pixels;
        write_atomic(&self.output, &encode_for(&self.output, out)?)
    }
}

/// A source point "x,y" (clone stamp, healing brush), or `missing` as the
/// message when none was given.
pub fn source_point(source: Option<&str>, missing: &str) -> Result<(f32, f32)> {
    let source = source.ok_or_else(|| Error::param("source", missing))?;
    parse_point("source", source)
}

fn parse_point(name: &str, text: &str) -> Result<(f32, f32)> {
    let bad = || Error::param(name, format!("'{text}' is not x,y"));
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    Ok((
        x.trim().parse().map_err(|_| bad())?,
        y.trim().parse().map_err(|_| bad())?,
    ))
}
