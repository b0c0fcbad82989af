//! `retouch render-text`: set a text in a font and write it as a PNG (and
//! optionally its glyph positions as JSON), the same pixels as a text layer.
//! The text options are shared with `retouch project add-text`.

use crate::output::{encode_for, write_atomic};
use retouch::text::{self, Align, Font, Shadow, Stroke, TextStyle};
use retouch::{Error, Result};
use std::path::{Path, PathBuf};

/// How to set the text: everything a text layer keeps.
#[derive(clap::Args)]
pub struct TextArgs {
    /// The text; "\n" starts a new paragraph.
    #[arg(long)]
    pub text: String,
    /// The font file (TTF/OTF, or a WOFF/WOFF2 web font); may be given again for fallback fonts, tried
    /// in order for characters the first lacks. Default: the shipped Noto Sans.
    /// The shipped fonts are always the last fallbacks.
    #[arg(long)]
    pub font: Vec<PathBuf>,
    /// Pixels per em.
    #[arg(long, default_value_t = 48.0)]
    pub size: f32,
    /// #RRGGBB or #RRGGBBAA.
    #[arg(long, default_value = "#000000")]
    pub color: String,
    /// Baseline to baseline, as a multiple of the size.
    #[arg(long, default_value_t = 1.2)]
    pub line_height: f32,
    /// Extra space per character in thousandths of an em.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub tracking: f32,
    /// left, center or right.
    #[arg(long, default_value = "left")]
    pub align: String,
    /// Box width in pixels: lines are broken to fit it.
    #[arg(long)]
    pub width: Option<f32>,
    /// An outline this many pixels wide outside the glyphs.
    #[arg(long)]
    pub stroke_width: Option<f32>,
    #[arg(long, default_value = "#ffffff")]
    pub stroke_color: String,
    /// A drop shadow: DX,DY,BLUR in pixels.
    #[arg(long, allow_hyphen_values = true)]
    pub shadow: Option<String>,
    #[arg(long, default_value = "#00000080")]
    pub shadow_color: String,
}

impl TextArgs {
    /// The style these options describe, checked.
    pub fn style(&self) -> Result<TextStyle> {
        let shadow = match &self.shadow {
            None => None,
            Some(spec) => {
                let parts: Vec<f32> = spec
                    .split(',')
                    .map(|p| p.trim().parse::<f32>())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| Error::param("shadow", format!("'{spec}' is not DX,DY,BLUR")))?;
                let [dx, dy, blur] = parts[..] else {
                    return Err(Error::param(
                        "shadow",
                        format!("'{spec}' is not DX,DY,BLUR"),
                    ));
                };
                Some(Shadow {
                    dx,
                    dy,
                    blur,
                    color: text::parse_color("shadow color", &self.shadow_color)?,
                })
            }
        };
        let style = TextStyle {
            size: self.size,
            line_height: self.line_height,
            tracking: self.tracking,
            color: text::parse_color("color", &self.color)?,
            align: self.align.parse::<Align>()?,
            width: self.width,
            stroke: match self.stroke_width {
                Some(width) => Some(Stroke {
                    width,
                    color: text::parse_color("stroke color", &self.stroke_color)?,
                }),
                None => None,
            },
            shadow,
        };
        style.validate()?;
        Ok(style)
    }

    /// The fonts named by --font, then the shipped ones that are installed.
    pub fn fonts(&self) -> Result<Vec<Font>> {
        let mut fonts = self
            .font
            .iter()
            .map(|path| open_font(path))
            .collect::<Result<Vec<_>>>()?;
        fonts.extend(shipped_fonts()?);
        if fonts.is_empty() {
            return Err(Error::param(
                "font",
                "none given (--font FILE) and the shipped fonts are not installed: run fonts/install.sh or set RETOUCH_FONTS",
            ));
        }
        Ok(fonts)
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub text: TextArgs,
    /// The PNG to write (transparent outside the text).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Degrees clockwise about the text box's top-left: the outlines are
    /// turned before they are rasterised, as a rotated text layer's are.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub rotation: f32,
    /// Also write the placed glyphs as JSON: font index, glyph id, pen x and
    /// baseline y in pixels from the image's top-left (turned with the
    /// text), cluster (byte offset).
    #[arg(long)]
    pub glyphs: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let style = args.text.style()?;
    let fonts = args.text.fonts()?;
    let layout = text::layout(&args.text.text, &fonts, &style)?;
    let rendered = text::render_rotated(&layout, &fonts, &style, args.rotation)?;
    let png = encode_for(&args.output, &rendered.image)?;
    let glyphs_json = args.glyphs.as_ref().map(|_| {
        let (ox, oy) = rendered.origin;
        let glyphs: Vec<serde_json::Value> = layout
            .glyphs
            .iter()
            .map(|g| {
                let (x, y) = text::turn_point(args.rotation, (g.x, g.y));
                serde_json::json!({
                    "font": g.font, "id": g.id, "cluster": g.cluster,
                    "x": x - ox as f32, "y": y - oy as f32,
                })
            })
            .collect();
        serde_json::json!({ "fonts": fonts.iter().map(Font::name).collect::<Vec<_>>(), "glyphs": glyphs }).to_string()
    });
    write_atomic(&args.output, &png)?;
    if let (Some(path), Some(json)) = (&args.glyphs, glyphs_json) {
        write_atomic(path, json.as_bytes())?;
    }
    Ok(())
}

/// Reads and checks a font file, naming it in errors.
pub fn open_font(path: &Path) -> Result<Font> {
    let cannot = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", path.display()));
    let len = std::fs::metadata(path).map_err(cannot)?.len();
    if len > text::font::MAX_FONT_BYTES as u64 {
        return Err(Error::param(
            "font",
            format!(
                "{} is {len} bytes; fonts are limited to {}",
                path.display(),
                text::font::MAX_FONT_BYTES
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Font::from_bytes(&name, bytes)
        .map_err(|e| Error::param("font", format!("{}: {e}", path.display())))
}

/// The fonts fonts/install.sh installs (RETOUCH_FONTS names another folder):
/// Noto Sans, then Noto Sans Arabic and Devanagari as fallbacks.
pub fn shipped_fonts() -> Result<Vec<Font>> {
    let folder = std::env::var_os("RETOUCH_FONTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../fonts/shipped"));
    [
        "NotoSans-Regular.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansDevanagari-Regular.ttf",
    ]
    .iter()
    .map(|name| folder.join(name))
    .filter(|path| path.exists())
    .map(|path| open_font(&path))
    .collect()
}
