//! `retouch project new|info|add-layer|add-text|edit-text` and `retouch export`: build, inspect
//! and flatten OpenRaster projects from scripts and tests.

use crate::output::{
    decode_image, in_file, open_image, open_mask, open_project_file, read, write_atomic_with,
};
use crate::text::TextArgs;
use retouch::doc::export::{
    document_export_memory, export_memory, write_export, ExportFormat, ExportSource, SizePreset,
};
use retouch::doc::ora::{summarize_ora, LoadLimits, ProjectSummary};
use retouch::doc::project_file::{ProjectFile, DEFAULT_LOCK_WAIT};
use retouch::doc::{Document, LayerProperties, TextSource};
use retouch::image_io::SourceMetadata;
use retouch::ops::blend::BlendMode;
use retouch::{image_io, memory, Error, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ProjectCommand,
}

#[derive(clap::Subcommand)]
enum ProjectCommand {
    /// Create a project: an empty canvas (--size) or one layer from an image (--from).
    New {
        /// The .ora file to write.
        output: PathBuf,
        /// Canvas size, WxH (e.g. 1920x1080).
        #[arg(long, conflicts_with = "from", required_unless_present = "from")]
        size: Option<String>,
        /// An image that becomes the first layer (upright by its EXIF
        /// orientation) and sets the size.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Open a truncated or damaged --from image with what can be decoded
        /// (a warning says so) instead of refusing it.
        #[arg(long, requires = "from")]
        allow_partial: bool,
    },
    /// Print the canvas size and every layer (bottom first).
    Info {
        project: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add an image as a new top layer.
    AddLayer {
        project: PathBuf,
        /// The layer's pixels (an image file, upright by its EXIF orientation).
        image: PathBuf,
        /// Layer name (default: the image's file name).
        #[arg(long)]
        name: Option<String>,
        /// Position on the canvas, X,Y in pixels (may be negative).
        #[arg(long, default_value = "0,0", allow_hyphen_values = true)]
        offset: String,
        /// Blend mode, e.g. normal, multiply, color-burn.
        #[arg(long, default_value = "normal")]
        mode: String,
        /// Opacity, 0 to 1.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        opacity: f32,
        /// A layer mask the size of the image (alpha channel, or luma when opaque).
        #[arg(long)]
        mask: Option<PathBuf>,
        /// Add the layer hidden.
        #[arg(long)]
        hidden: bool,
        /// Write the result here instead of updating the project in place.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Add a truncated or damaged image with what can be decoded (a
        /// warning says so) instead of refusing it.
        #[arg(long)]
        allow_partial: bool,
    },
    /// Add a text layer on top, set in real type and rendered by the core
    /// (the same pixels as `retouch render-text`); it stays editable.
    AddText {
        project: PathBuf,
        #[command(flatten)]
        text: TextArgs,
        /// Where the text box's top-left goes on the canvas, X,Y in pixels.
        #[arg(long, default_value = "0,0", allow_hyphen_values = true)]
        at: String,
        /// Scale of the text (size, box and effects), rendered at that size.
        #[arg(long, default_value_t = 1.0)]
        scale: f32,
        /// Degrees clockwise about the text box's top-left.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        rotation: f32,
        /// A text style of the project's brand kit (e.g. headline): its font
        /// leads (the --font ones follow as fallbacks) and its size, colour
        /// and any line height, tracking and alignment it sets replace the
        /// options'.
        #[arg(long)]
        style: Option<String>,
        /// Write the result here instead of updating the project in place.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Change a text layer's text, style, transform or position; it is
    /// rendered again from its source. Options not given stay as they are.
    EditText {
        project: PathBuf,
        /// The layer's index, bottom first (as `project info` lists them).
        #[arg(long)]
        layer: usize,
        #[command(flatten)]
        edits: TextEdits,
        /// Write the result here instead of updating the project in place.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// What `project edit-text` may change; each is optional.
#[derive(clap::Args)]
struct TextEdits {
    #[arg(long)]
    text: Option<String>,
    /// Font files replacing the layer's (the shipped fonts stay the last fallbacks).
    #[arg(long)]
    font: Vec<PathBuf>,
    #[arg(long)]
    size: Option<f32>,
    /// #RRGGBB or #RRGGBBAA.
    #[arg(long)]
    color: Option<String>,
    #[arg(long)]
    line_height: Option<f32>,
    #[arg(long, allow_hyphen_values = true)]
    tracking: Option<f32>,
    /// left, center or right.
    #[arg(long)]
    align: Option<String>,
    /// Box width in pixels; 0 removes the box (one line per paragraph).
    #[arg(long)]
    width: Option<f32>,
    #[arg(long)]
    scale: Option<f32>,
    #[arg(long, allow_hyphen_values = true)]
    rotation: Option<f32>,
    /// Move the text box's top-left to X,Y on the canvas.
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
}

impl TextEdits {
    /// `source` with these edits applied (checked when it is rendered).
    fn apply(&self, mut source: TextSource) -> Result<TextSource> {
        if let Some(text) = &self.text {
            source.text = text.clone();
        }
        if !self.font.is_empty() {
            source.fonts = self
                .font
                .iter()
                .map(|path| crate::text::open_font(path))
                .collect::<Result<Vec<_>>>()?;
            source.fonts.extend(crate::text::shipped_fonts()?);
        }
        let style = &mut source.style;
        if let Some(size) = self.size {
            style.size = size;
        }
        if let Some(color) = &self.color {
            style.color = retouch::text::parse_color("color", color)?;
        }
        if let Some(line_height) = self.line_height {
            style.line_height = line_height;
        }
        if let Some(tracking) = self.tracking {
            style.tracking = tracking;
        }
        if let Some(align) = &self.align {
            style.align = align.parse()?;
        }
        if let Some(width) = self.width {
            style.width = (width != 0.0).then_some(width);
        }
        if let Some(scale) = self.scale {
            source.scale = scale;
        }
        if let Some(rotation) = self.rotation {
            source.rotation = rotation;
        }
        Ok(source)
    }
}

/// `retouch export IN -o OUT.png|jpg|webp [--quality Q] [--long-edge N | --size WxH]`
#[derive(clap::Args)]
pub struct ExportArgs {
    /// A project (.ora) or an image.
    input: PathBuf,
    /// Output file; its extension picks the format (png, jpg/jpeg, webp).
    #[arg(short, long)]
    output: PathBuf,
    /// JPEG quality, 1 to 100 (default 90). WebP is written lossless.
    #[arg(long)]
    quality: Option<u8>,
    /// Scale so the longer side is N pixels (e.g. 1080, 2048, 4096).
    #[arg(long, conflicts_with = "size")]
    long_edge: Option<u32>,
    /// Exact output size, WxH.
    #[arg(long)]
    size: Option<String>,
    /// Embed the source image's ICC profile and EXIF (for a project: those
    /// of the image it was created from).
    #[arg(long)]
    keep_metadata: bool,
    /// Export a truncated or damaged input image with what can be decoded
    /// (a warning says so) instead of refusing it.
    #[arg(long)]
    allow_partial: bool,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        ProjectCommand::New {
            output,
            size,
            from,
            allow_partial,
        } => {
            let doc = match (size, from) {
                (_, Some(image)) => {
                    // Upright by EXIF orientation; the ICC profile and EXIF
                    // are kept in the project for `export --keep-metadata`.
                    let (pixels, source) = open_image(&image, allow_partial)?;
                    let mut doc = Document::new(pixels.width(), pixels.height())?;
                    doc.add_layer(
                        LayerProperties::named(file_stem(&image)),
                        pixels,
                        None,
                        None,
                    )?;
                    doc.set_source_metadata(source)?;
                    doc
                }
                (Some(size), None) => {
                    let (w, h) = parse_size(&size)?;
                    Document::new(w, h)?
                }
                (None, None) => unreachable!("clap requires --size or --from"),
            };
            save(doc, &output)
        }
        ProjectCommand::Info { project, json } => {
            // Only stack.xml and the layers' PNG headers: no pixels.
            let summary =
                summarize_ora(open_project_file(&project)?).map_err(|e| in_file(&project, e))?;
            if json {
                println!("{}", info_json(&summary));
            } else {
                print_info(&summary);
            }
            Ok(())
        }
        ProjectCommand::AddLayer {
            project,
            image,
            name,
            offset,
            mode,
            opacity,
            mask,
            hidden,
            output,
            allow_partial,
        } => {
            // Parameters first: a bad one must not wait for a lock.
            let props = LayerProperties {
                name: name.unwrap_or_else(|| file_stem(&image)),
                visible: !hidden,
                opacity,
                mode: BlendMode::from_name(&mode)?,
                locked: false,
                offset: parse_pair(&offset, "offset")?,
            };
            if let Some(path) = &output {
                check_project_name(path)?;
            }
            let (pixels, _) = open_image(&image, allow_partial)?;
            let mask = mask.as_deref().map(open_mask).transpose()?;
            match output {
                Some(output) => {
                    let mut doc = open(&project)?;
                    doc.add_layer(props, pixels, mask, None)?;
                    save(doc, &output)
                }
                None => {
                    // In place: under the project's lock, and refused if
                    // someone else changed it meanwhile (no lost update).
                    let file = ProjectFile::open_for_update(&project, DEFAULT_LOCK_WAIT)?;
                    let mut doc = file.load().map_err(|e| in_file(&project, e))?;
                    doc.add_layer(props, pixels, mask, None)?;
                    file.save(&mut doc)
                }
            }
        }
        ProjectCommand::AddText {
            project,
            text,
            at,
            scale,
            rotation,
            style,
            output,
        } => add_text(
            &project,
            &text,
            &at,
            (scale, rotation),
            style.as_deref(),
            output,
        ),
        ProjectCommand::EditText {
            project,
            layer,
            edits,
            output,
        } => edit_text(&project, layer, &edits, output),
    }
}

/// Opens `project`, runs `edit` on it and saves it: to `output` when
/// given, else in place under the project's lock (refused if someone else
/// changed it meanwhile: no lost update).
fn update(
    project: &Path,
    output: Option<PathBuf>,
    edit: impl FnOnce(&mut Document) -> Result<()>,
) -> Result<()> {
    match output {
        Some(output) => {
            check_project_name(&output)?;
            let mut doc = open(project)?;
            edit(&mut doc)?;
            save(doc, &output)
        }
        None => {
            let file = ProjectFile::open_for_update(project, DEFAULT_LOCK_WAIT)?;
            let mut doc = file.load().map_err(|e| in_file(project, e))?;
            edit(&mut doc)?;
            file.save(&mut doc)
        }
    }
}

fn add_text(
    project: &Path,
    text: &TextArgs,
    at: &str,
    (scale, rotation): (f32, f32),
    brand_style: Option<&str>,
    output: Option<PathBuf>,
) -> Result<()> {
    // Parameters and fonts first: a bad one must not wait for a lock.
    let at = parse_pair(at, "at")?;
    let source = TextSource {
        scale,
        rotation,
        ..TextSource::new(text.text.clone(), text.fonts()?, text.style()?)
    };
    source.validate()?;
    update(project, output, |doc| {
        let source = match brand_style {
            Some(name) => doc.brand_styled_source(source, name)?,
            None => source,
        };
        doc.add_text_layer(source, at).map(drop)
    })
}

fn edit_text(
    project: &Path,
    index: usize,
    edits: &TextEdits,
    output: Option<PathBuf>,
) -> Result<()> {
    let at = edits
        .at
        .as_deref()
        .map(|at| parse_pair(at, "at"))
        .transpose()?;
    update(project, output, |doc| {
        let layer = doc.layers().get(index).ok_or_else(|| {
            Error::param(
                "layer",
                format!("{index} is past the top of {} layers", doc.layers().len()),
            )
        })?;
        let id = layer.id;
        let text = layer.text.as_ref().ok_or_else(|| {
            Error::param(
                "layer",
                format!("{index} ('{}') is not a text layer", layer.props.name),
            )
        })?;
        let source = edits.apply(text.source.clone())?;
        if let Some(at) = at {
            let now = doc.text_position(id)?;
            let mut props = doc.layer(id)?.props.clone();
            props.offset = (props.offset.0 + at.0 - now.0, props.offset.1 + at.1 - now.1);
            doc.set_layer_properties(id, props)?;
        }
        doc.edit_text_layer(id, source)
    })
}

pub fn export(args: ExportArgs) -> Result<()> {
    let extension = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let format = ExportFormat::from_extension(extension, args.quality)?;
    let size = match (args.long_edge, args.size) {
        (Some(edge), _) => SizePreset::LongEdge(edge),
        (None, Some(size)) => {
            let (w, h) = parse_size(&size)?;
            SizePreset::Exact(w, h)
        }
        (None, None) => SizePreset::Original,
    };
    // Parameters are checked before the input is read.
    size.validate()?;
    let input = &args.input;
    // The whole peak is checked before anything is decoded: the layers (or
    // the image) and the export's own work (a project's composite is made
    // band by band as it is encoded), plus what is read: an image file
    // whole, a project's largest entry at a time.
    let (doc, image, source) = if is_project(input) {
        let summary = summarize_ora(open_project_file(input)?).map_err(|e| in_file(input, e))?;
        let layers: u64 = summary
            .layers
            .iter()
            .map(|l| memory::rgba8(l.width, l.height) * 5 / 4)
            .sum();
        let canvas = (summary.width, summary.height);
        let file_len = std::fs::metadata(input)
            .map_err(|e| Error::Io(format!("cannot read {}: {e}", input.display())))?
            .len();
        // Its largest entry at a time (at most the file) and the layers.
        let work = document_export_memory(canvas, format, size).map_err(|e| in_file(input, e))?;
        check_export_memory(input, canvas, file_len + layers + work)?;
        let doc = Document::read_ora(open_project_file(input)?, &LoadLimits::default())
            .map_err(|e| in_file(input, e))?;
        let source = doc.source_metadata().clone();
        (Some(doc), None, source)
    } else {
        let bytes = read(input)?;
        let (w, h) = image_io::image_dimensions(&bytes).map_err(|e| in_file(input, e))?;
        let held = bytes.len() as u64 + memory::rgba8(w, h);
        let work = export_memory((w, h), format, size).map_err(|e| in_file(input, e))?;
        check_export_memory(input, (w, h), held + work)?;
        let (image, source) = decode_image(input, &bytes, args.allow_partial)?;
        (None, Some(image), source)
    };
    let metadata = if args.keep_metadata {
        source
    } else {
        SourceMetadata::default()
    };
    let source = match (&doc, &image) {
        (Some(doc), _) => ExportSource::Document(doc),
        (None, Some(image)) => ExportSource::Image(image),
        (None, None) => unreachable!("a project or an image was opened"),
    };
    write_atomic_with(&args.output, |file| {
        write_export(source, format, size, &metadata, file)
    })
}

/// Refuses an export whose `peak` (what reading `input` holds plus the
/// export's resampling and encoding) would pass the memory budget.
fn check_export_memory(input: &Path, canvas: (u32, u32), peak: u64) -> Result<()> {
    memory::check(
        &format!("exporting {} ({}×{})", input.display(), canvas.0, canvas.1),
        peak,
    )
}

fn is_project(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ora"))
}

/// Loads a project; errors name the file (the CLI only prints them).
fn open(path: &Path) -> Result<Document> {
    Document::read_ora(open_project_file(path)?, &LoadLimits::default())
        .map_err(|e| in_file(path, e))
}

fn check_project_name(path: &Path) -> Result<()> {
    if is_project(path) {
        Ok(())
    } else {
        Err(Error::param(
            "output",
            format!("{}: projects are saved as .ora", path.display()),
        ))
    }
}

fn save(mut doc: Document, path: &Path) -> Result<()> {
    check_project_name(path)?;
    doc.save_ora_file(path)
}

fn print_info(summary: &ProjectSummary) {
    println!("canvas: {}x{}", summary.width, summary.height);
    println!("layers: {} (bottom first)", summary.layers.len());
    for (index, layer) in summary.layers.iter().enumerate() {
        let p = &layer.props;
        let (w, h) = (layer.width, layer.height);
        println!(
            "  {index}: '{}' {w}x{h} at {},{} {} opacity {}{}{}{}{}",
            p.name,
            p.offset.0,
            p.offset.1,
            p.mode.name(),
            p.opacity,
            if p.visible { "" } else { " hidden" },
            if p.locked { " locked" } else { "" },
            if layer.masked { " masked" } else { "" },
            if layer.text { " text" } else { "" },
        );
    }
}

fn info_json(summary: &ProjectSummary) -> serde_json::Value {
    let layers: Vec<serde_json::Value> = summary
        .layers
        .iter()
        .map(|layer| {
            let p = &layer.props;
            serde_json::json!({
                "name": p.name,
                "width": layer.width,
                "height": layer.height,
                "x": p.offset.0,
                "y": p.offset.1,
                "mode": p.mode.name(),
                "opacity": p.opacity,
                "visible": p.visible,
                "locked": p.locked,
                "mask": layer.masked,
                "text": layer.text,
            })
        })
        .collect();
    serde_json::json!({ "width": summary.width, "height": summary.height, "layers": layers })
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "Layer".into(), |s| s.to_string_lossy().into_owned())
}

/// Parses `WxH` (also `W×H`).
fn parse_size(text: &str) -> Result<(u32, u32)> {
    let invalid = || Error::param("size", format!("'{text}' is not WxH, e.g. 1920x1080"));
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(invalid)?;
    let w = w.trim().parse().map_err(|_| invalid())?;
    let h = h.trim().parse().map_err(|_| invalid())?;
    if w == 0 || h == 0 {
        return Err(Error::param(
            "size",
            format!("'{text}' is empty: both sides must be at least 1 px"),
        ));
    }
    image_io::check_dimensions(w, h).map_err(|e| Error::param("size", e.to_string()))?;
    Ok((w, h))
}

/// Parses `X,Y`.
fn parse_pair(text: &str, name: &str) -> Result<(i32, i32)> {
    let invalid = || Error::param(name, format!("'{text}' is not X,Y, e.g. 10,-5"));
    let (x, y) = text.split_once(',').ok_or_else(invalid)?;
    Ok((
        x.trim().parse().map_err(|_| invalid())?,
        y.trim().parse().map_err(|_| invalid())?,
    ))
}
