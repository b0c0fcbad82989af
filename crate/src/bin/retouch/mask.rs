//! `retouch mask <tool> ... -o OUT.png`: every selection tool, scriptable.
//!
//! Tools that draw a shape (rect, ellipse, polygon, wand, range) combine it
//! with `--input MASK` using `--mode` (replace, add, subtract, intersect), or
//! start from an empty `--size W×H` canvas. The brush paints into `--input`
//! or an empty canvas. Modifiers (feather, grow, shrink, border, smooth,
//! invert) read a mask and write the modified one. Every parameter is checked
//! before any file is written.

use crate::output::{read, write_atomic};
use clap::{Args as ClapArgs, Subcommand};
use image::GrayImage;
use retouch::ops::brush::{self, BrushOptions};
use retouch::ops::paint::parse_hex_color;
use retouch::ops::select::{self, CombineMode, Rect};
use retouch::ops::wand::{self, WandOptions};
use retouch::ops::{color_range, feather, morphology};
use retouch::{image_io, Error, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    tool: Tool,
    /// Output mask PNG (8-bit greyscale).
    #[arg(short, long, global = true)]
    output: Option<PathBuf>,
    /// auto, cpu or gpu (for feather, grow, shrink, border, range and brush).
    #[arg(long, default_value = "auto", global = true)]
    backend: String,
}

/// The selection a shape is combined with.
#[derive(ClapArgs)]
struct Canvas {
    /// The current selection (a mask PNG); the new shape is combined with it.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Canvas size W×H (e.g. 800x600) when there is no --input.
    #[arg(long)]
    size: Option<String>,
    /// replace, add, subtract or intersect.
    #[arg(long, default_value = "replace")]
    mode: String,
}

#[derive(Subcommand)]
enum Tool {
    /// Rectangular marquee X,Y,W,H (anti-aliased).
    Rect {
        rect: String,
        /// Fixed width/height ratio: the height becomes W / RATIO.
        #[arg(long)]
        ratio: Option<f32>,
        #[command(flatten)]
        canvas: Canvas,
    },
    /// Elliptical marquee inscribed in X,Y,W,H.
    Ellipse {
        rect: String,
        /// Fixed width/height ratio: the height becomes W / RATIO.
        #[arg(long)]
        ratio: Option<f32>,
        #[command(flatten)]
        canvas: Canvas,
    },
    /// Polygon / freehand lasso through "X,Y X,Y X,Y ..." (non-zero winding).
    Polygon {
        #[arg(allow_hyphen_values = true)]
        points: String,
        #[command(flatten)]
        canvas: Canvas,
    },
    /// Magic wand on IMAGE from a seed pixel.
    Wand {
        image: PathBuf,
        /// The pixel clicked, X,Y.
        #[arg(long)]
        seed: String,
        /// Largest per-channel difference, 0 to 255.
        #[arg(long, default_value_t = 32)]
        tolerance: u8,
        /// Select matching pixels anywhere, not only those connected to the seed.
        #[arg(long)]
        global: bool,
        /// Hard edge instead of an anti-aliased one.
        #[arg(long)]
        hard: bool,
        #[command(flatten)]
        canvas: Canvas,
    },
    /// Colour range on IMAGE: colours near the given or sampled ones.
    Range {
        image: PathBuf,
        /// A colour as RRGGBB (repeatable).
        #[arg(long = "color")]
        colors: Vec<String>,
        /// A pixel X,Y whose colour to select (repeatable).
        #[arg(long = "sample")]
        samples: Vec<String>,
        /// 0 to 200: how far a colour may be and still be partly selected.
        #[arg(long, default_value_t = 40.0)]
        fuzziness: f32,
        #[command(flatten)]
        canvas: Canvas,
    },
    /// Paint (or erase) a brush stroke through "X,Y X,Y ...".
    Brush {
        #[arg(allow_hyphen_values = true)]
        points: String,
        #[arg(long, default_value_t = 40.0)]
        diameter: f32,
        #[arg(long, default_value_t = 0.8)]
        hardness: f32,
        /// Distance between dabs as a fraction of the diameter.
        #[arg(long, default_value_t = 0.25)]
        spacing: f32,
        #[arg(long, default_value_t = 1.0)]
        flow: f32,
        #[arg(long)]
        erase: bool,
        #[command(flatten)]
        canvas: Canvas,
    },
    /// Gaussian feather, σ = radius / 2.
    Feather {
        mask: PathBuf,
        #[arg(long, allow_negative_numbers = true)]
        radius: f32,
    },
    /// Grow by N px (round, exact Euclidean distance).
    Grow {
        mask: PathBuf,
        #[arg(long)]
        by: u32,
    },
    /// Shrink by N px (round, exact Euclidean distance).
    Shrink {
        mask: PathBuf,
        #[arg(long)]
        by: u32,
    },
    /// A band of the given width centred on the selection's edge.
    Border {
        mask: PathBuf,
        #[arg(long)]
        width: u32,
    },
    /// Majority filter: removes specks and jagged edges.
    Smooth {
        mask: PathBuf,
        #[arg(long)]
        radius: u32,
    },
    /// Invert the selection.
    Invert { mask: PathBuf },
    /// Select a layer's pixels: the image's alpha channel as the selection.
    Alpha { image: PathBuf },
    /// Select everything on a W×H canvas.
    All {
        #[arg(long)]
        size: String,
    },
    /// Select nothing on a W×H canvas.
    None {
        #[arg(long)]
        size: String,
    },
}

fn parse_numbers(name: &str, text: &str, count: usize) -> Result<Vec<f32>> {
    let bad = || {
        Error::param(
            name,
            format!("'{text}' is not {count} comma-separated numbers"),
        )
    };
    let numbers: Vec<f32> = text
        .split(',')
        .map(|part| part.trim().parse::<f32>().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    if numbers.len() == count {
        Ok(numbers)
    } else {
        Err(bad())
    }
}

fn parse_rect(text: &str, ratio: Option<f32>) -> Result<Rect> {
    let n = parse_numbers("rect", text, 4)?;
    let rect = Rect::from_drag((n[0], n[1]), (n[0] + n[2], n[1] + n[3]), ratio)?;
    Ok(rect)
}

fn parse_points(text: &str) -> Result<Vec<(f32, f32)>> {
    text.split_whitespace()
        .map(|pair| parse_numbers("points", pair, 2).map(|n| (n[0], n[1])))
        .collect()
}

fn parse_pixel(name: &str, text: &str) -> Result<(u32, u32)> {
    let bad = || Error::param(name, format!("'{text}' is not X,Y in whole pixels ≥ 0"));
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    Ok((
        x.trim().parse().map_err(|_| bad())?,
        y.trim().parse().map_err(|_| bad())?,
    ))
}

fn parse_size(text: &str) -> Result<(u32, u32)> {
    let bad = || Error::param("size", format!("'{text}' is not W×H, e.g. 800x600"));
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let size = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    select::check_canvas(size.0, size.1)?;
    Ok(size)
}

fn read_mask(path: &Path) -> Result<GrayImage> {
    image_io::decode_mask(&read(path)?).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

fn read_image(path: &Path) -> Result<image::RgbaImage> {
    image_io::decode_rgba(&read(path)?).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

impl Canvas {
    /// The current selection: --input, else an empty canvas of --size.
    fn selection(&self) -> Result<GrayImage> {
        match (&self.input, &self.size) {
            (Some(path), _) => read_mask(path),
            (None, Some(size)) => {
                let (w, h) = parse_size(size)?;
                select::deselect(w, h)
            }
            (None, None) => Err(Error::param("size", "give --input MASK or --size W×H")),
        }
    }

    /// Combines `shape` into the current selection with --mode.
    fn combine(&self, selection: GrayImage, shape: &GrayImage) -> Result<GrayImage> {
        let mode = CombineMode::from_name(&self.mode)?;
        let mut selection = selection;
        select::combine(&mut selection, shape, mode)?;
        Ok(selection)
    }

    fn with_shape(&self, draw: impl FnOnce(u32, u32) -> Result<GrayImage>) -> Result<GrayImage> {
        CombineMode::from_name(&self.mode)?;
        let selection = self.selection()?;
        let shape = draw(selection.width(), selection.height())?;
        self.combine(selection, &shape)
    }
}

pub fn run(args: Args) -> Result<()> {
    let output = args
        .output
        .ok_or_else(|| Error::param("output", "give the output mask with -o OUT.png"))?;
    if !output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        return Err(Error::param(
            "output",
            format!("{}: masks are written as .png", output.display()),
        ));
    }
    let engine = || crate::engine(&args.backend);
    let mask = match args.tool {
        Tool::Rect {
            rect,
            ratio,
            canvas,
        } => {
            let rect = parse_rect(&rect, ratio)?;
            canvas.with_shape(|w, h| select::rectangle(w, h, rect))?
        }
        Tool::Ellipse {
            rect,
            ratio,
            canvas,
        } => {
            let rect = parse_rect(&rect, ratio)?;
            canvas.with_shape(|w, h| select::ellipse(w, h, rect))?
        }
        Tool::Polygon { points, canvas } => {
            let points = parse_points(&points)?;
            canvas.with_shape(|w, h| select::polygon(w, h, &points))?
        }
        Tool::Wand {
            image,
            seed,
            tolerance,
            global,
            hard,
            canvas,
        } => {
            let options = WandOptions {
                seed: parse_pixel("seed", &seed)?,
                tolerance,
                contiguous: !global,
                anti_alias: !hard,
            };
            let image = read_image(&image)?;
            let size = image.dimensions();
            let shape = wand::magic_wand(&image, &options)?;
            let canvas = Canvas {
                size: Some(format!("{}x{}", size.0, size.1)),
                ..canvas
            };
            canvas.with_shape(|_, _| Ok(shape))?
        }
        Tool::Range {
            image,
            colors,
            samples,
            fuzziness,
            canvas,
        } => {
            let mut colors: Vec<[u8; 3]> = colors
                .iter()
                .map(|c| parse_hex_color(c))
                .collect::<Result<_>>()?;
            let points: Vec<(u32, u32)> = samples
                .iter()
                .map(|s| parse_pixel("sample", s))
                .collect::<Result<_>>()?;
            let image = read_image(&image)?;
            colors.extend(color_range::sample_colors(&image, &points)?);
            let shape = pollster::block_on(color_range::color_range(
                &engine()?,
                &image,
                &colors,
                fuzziness,
            ))?;
            let size = image.dimensions();
            let canvas = Canvas {
                size: Some(format!("{}x{}", size.0, size.1)),
                ..canvas
            };
            canvas.with_shape(|_, _| Ok(shape))?
        }
        Tool::Brush {
            points,
            diameter,
            hardness,
            spacing,
            flow,
            erase,
            canvas,
        } => {
            let points = parse_points(&points)?;
            let options = BrushOptions {
                diameter,
                hardness,
                spacing,
                flow,
                erase,
            };
            let mut mask = canvas.selection()?;
            pollster::block_on(brush::paint_stroke(
                &engine()?,
                &mut mask,
                &points,
                &options,
            ))?;
            mask
        }
        Tool::Feather { mask, radius } => {
            pollster::block_on(feather::feather(&engine()?, &read_mask(&mask)?, radius))?
        }
        Tool::Grow { mask, by } => {
            pollster::block_on(morphology::grow(&engine()?, &read_mask(&mask)?, by))?
        }
        Tool::Shrink { mask, by } => {
            pollster::block_on(morphology::shrink(&engine()?, &read_mask(&mask)?, by))?
        }
        Tool::Border { mask, width } => {
            pollster::block_on(morphology::border(&engine()?, &read_mask(&mask)?, width))?
        }
        Tool::Smooth { mask, radius } => morphology::smooth(&read_mask(&mask)?, radius)?,
        Tool::Invert { mask } => {
            let mut mask = read_mask(&mask)?;
            select::invert(&mut mask);
            mask
        }
        Tool::Alpha { image } => {
            let layer = read_image(&image)?;
            select::from_alpha(layer.width(), layer.height(), &layer, (0, 0))?
        }
        Tool::All { size } => {
            let (w, h) = parse_size(&size)?;
            select::select_all(w, h)?
        }
        Tool::None { size } => {
            let (w, h) = parse_size(&size)?;
            select::deselect(w, h)?
        }
    };
    write_atomic(&output, &image_io::encode_mask_png(&mask)?)
}
