//! Text layers: a layer that keeps the source it was set from (the string,
//! its fonts, the style, a scale and a rotation) beside the pixels the core
//! rendered from it, so editing or transforming the text renders it again
//! (never resamples it), and saving keeps it editable.
//!
//! The text box's top-left is kept relative to the layer's pixels
//! ([`TextLayer::anchor`]), so moving the layer, cropping or growing the
//! canvas move the text with it. Pixel tools refuse a text layer
//! ([`Layer::check_pixels_editable`](super::Layer::check_pixels_editable));
//! [`Document::rasterize_text_layer`] turns it into an ordinary layer first.
//!
//! Stored (in a project, the autosave, a stored history step) the source is
//! JSON naming its fonts by their SHA-256 ([`Font::key`]); the font files
//! are stored once each beside it. Reading it back checks it like any file.

use super::change::Change;
use super::geometry::Rect;
use super::layer::{Layer, LayerId, LayerProperties};
use super::tiles::{Plane, RasterRef, TilePatch};
use super::Document;
use crate::ops::transform::Affine;
use crate::text::{self, Font, Placement, RenderedText, TextStyle};
use crate::{Error, Result};
use image::GrayImage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The smallest and largest scale of a text layer's transform.
pub const MIN_SCALE: f32 = 0.01;
pub const MAX_SCALE: f32 = 100.0;
/// Fonts a text layer may name (the primary and its fallbacks).
pub const MAX_FONTS: usize = 16;
/// Longest name of a layer made from its text.
const NAME_CHARS: usize = 40;

/// What a text layer is rendered from.
#[derive(Debug, Clone, PartialEq)]
pub struct TextSource {
    pub text: String,
    /// The primary font first, then the fallbacks for characters it lacks.
    pub fonts: Vec<Font>,
    pub style: TextStyle,
    /// The transform's scale: size, box width, stroke and shadow grow with it.
    pub scale: f32,
    /// The transform's rotation in degrees, clockwise, about the text box's top-left.
    pub rotation: f32,
}

/// A layer's text: its source and where the text box's top-left lies in
/// the layer's pixels (canvas position = layer offset + anchor).
#[derive(Debug, Clone, PartialEq)]
pub struct TextLayer {
    pub source: TextSource,
    pub anchor: (i32, i32),
}

/// See [`Document::text_carets`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextCarets {
    /// The text box's top-left on the canvas.
    pub position: (i32, i32),
    /// Degrees clockwise about that point.
    pub rotation: f32,
    /// The text box's width and height (before the turn).
    pub size: (f32, f32),
    /// A caret's reach above and below the baseline.
    pub ascent: f32,
    pub descent: f32,
    pub lines: Vec<text::LineCarets>,
}

/// Fonts by [`Font::key`], for reading stored sources.
pub type FontTable = BTreeMap<String, Font>;

impl TextSource {
    /// `text` in `fonts` with `style`, unscaled and upright.
    pub fn new(text: impl Into<String>, fonts: Vec<Font>, style: TextStyle) -> TextSource {
        TextSource {
            text: text.into(),
            fonts,
            style,
            scale: 1.0,
            rotation: 0.0,
        }
    }

    /// Refuses a source no layer should hold, naming the parameter.
    pub fn validate(&self) -> Result<()> {
        text::validate_text(&self.text)?;
        if self.fonts.is_empty() || self.fonts.len() > MAX_FONTS {
            return Err(Error::param(
                "font",
                format!(
                    "a text layer names 1 to {MAX_FONTS} fonts, not {}",
                    self.fonts.len()
                ),
            ));
        }
        if !self.scale.is_finite() || !(MIN_SCALE..=MAX_SCALE).contains(&self.scale) {
            return Err(Error::param(
                "scale",
                format!("{} is outside {MIN_SCALE} to {MAX_SCALE}", self.scale),
            ));
        }
        if !self.rotation.is_finite() || self.rotation.abs() > 360.0 {
            return Err(Error::param(
                "rotation",
                format!("{} is outside -360 to 360 degrees", self.rotation),
            ));
        }
        self.style.validate()?;
        self.scaled_style().validate()
    }

    /// The style as rendered: every length times the scale (tracking and
    /// line height are relative to the size already).
    pub fn scaled_style(&self) -> TextStyle {
        let k = self.scale;
        let mut style = self.style;
        style.size *= k;
        style.width = style.width.map(|w| w * k);
        if let Some(stroke) = &mut style.stroke {
            stroke.width *= k;
        }
        if let Some(shadow) = &mut style.shadow {
            shadow.dx *= k;
            shadow.dy *= k;
            shadow.blur *= k;
        }
        style
    }

    /// Sets and renders the text (checked first).
    pub fn render(&self) -> Result<RenderedText> {
        self.validate()?;
        let style = self.scaled_style();
        let layout = text::layout(&self.text, &self.fonts, &style)?;
        text::render_rotated(&layout, &self.fonts, &style, self.rotation)
    }

    /// A layer name from the text: its first line, shortened.
    fn layer_name(&self) -> String {
        let first = self.text.trim().lines().next().unwrap_or_default().trim();
        let mut name: String = first.chars().take(NAME_CHARS).collect();
        if first.chars().count() > NAME_CHARS {
            name.push('…');
        }
        name
    }
}

/// The source as stored: JSON, fonts by key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredText {
    text: String,
    fonts: Vec<StoredFont>,
    style: TextStyle,
    scale: f32,
    rotation: f32,
    anchor: (i32, i32),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFont {
    name: String,
    sha256: String,
}

impl TextLayer {
    /// The stored JSON (see the module docs).
    pub fn to_json(&self) -> String {
        let source = &self.source;
        let stored = StoredText {
            text: source.text.clone(),
            fonts: source
                .fonts
                .iter()
                .map(|f| StoredFont {
                    name: f.name().to_owned(),
                    sha256: f.key().to_owned(),
                })
                .collect(),
            style: source.style,
            scale: source.scale,
            rotation: source.rotation,
            anchor: self.anchor,
        };
        serde_json::to_string(&stored).expect("plain data serialises")
    }

    /// Reads a stored source, its fonts found in `fonts`; `what` names where
    /// it came from in the message when it is malformed, names a font that
    /// is not there, or holds values no layer may have.
    pub fn from_json(json: &str, fonts: &FontTable, what: &str) -> Result<TextLayer> {
        let refuse = |why: String| {
            Error::Decode(format!("the text layer source {what} is not valid: {why}"))
        };
        let stored: StoredText = serde_json::from_str(json).map_err(|e| refuse(e.to_string()))?;
        let fonts = stored
            .fonts
            .iter()
            .map(|f| match fonts.get(&f.sha256) {
                Some(font) => Ok(font.renamed(&f.name)),
                None => Err(refuse(format!(
                    "its font '{}' (SHA-256 {}) is not stored with it",
                    f.name, f.sha256
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        let source = TextSource {
            text: stored.text,
            fonts,
            style: stored.style,
            scale: stored.scale,
            rotation: stored.rotation,
        };
        source.validate().map_err(|e| refuse(e.to_string()))?;
        Ok(TextLayer {
            source,
            anchor: stored.anchor,
        })
    }

    /// The font keys a stored source names, to know which font files to
    /// read before [`TextLayer::from_json`]; malformed JSON is refused.
    pub fn font_keys(json: &str, what: &str) -> Result<Vec<String>> {
        let stored: StoredText = serde_json::from_str(json).map_err(|e| {
            Error::Decode(format!("the text layer source {what} is not valid: {e}"))
        })?;
        Ok(stored.fonts.into_iter().map(|f| f.sha256).collect())
    }
}

/// A font file read back from a store, checked to be the file `key` names.
pub fn stored_font(key: &str, bytes: Vec<u8>, what: &str) -> Result<Font> {
    let font = Font::from_bytes(what, bytes)
        .map_err(|e| Error::Decode(format!("the stored font {what} is not valid: {e}")))?;
    if font.key() != key {
        return Err(Error::Decode(format!(
            "the stored font {what} is damaged: its SHA-256 is not {key}"
        )));
    }
    Ok(font)
}

/// Every font the layers' text sources use, once each, by key.
pub(crate) fn fonts_of<'a>(layers: impl IntoIterator<Item = &'a Layer>) -> FontTable {
    let mut table = FontTable::new();
    for layer in layers {
        if let Some(text) = &layer.text {
            for font in &text.source.fonts {
                table
                    .entry(font.key().to_owned())
                    .or_insert_with(|| font.clone());
            }
        }
    }
    table
}

impl Document {
    /// Adds a text layer on top with its text box's top-left at canvas
    /// position `at`, rendered from `source`; one step ("Add Text").
    pub fn add_text_layer(&mut self, source: TextSource, at: (i32, i32)) -> Result<LayerId> {
        let rendered = source.render()?;
        let (ox, oy) = rendered.origin;
        let layer = Layer {
            id: self.take_id(),
            props: LayerProperties {
                offset: (at.0 + ox, at.1 + oy),
                ..LayerProperties::named(source.layer_name())
            },
            pixels: rendered.image,
            mask: None,
            text: Some(Box::new(TextLayer {
                source,
                anchor: (-ox, -oy),
            })),
        };
        let id = layer.id;
        self.commit(
            "Add Text",
            Change::Insert {
                index: self.stack.layers.len(),
                layer: Box::new(layer),
            },
        );
        Ok(id)
    }

    /// Where a text layer's text box's top-left lies on the canvas.
    pub fn text_position(&self, id: LayerId) -> Result<(i32, i32)> {
        let layer = self.layer(id)?;
        let text = text_of(layer)?;
        Ok((
            layer.props.offset.0 + text.anchor.0,
            layer.props.offset.1 + text.anchor.1,
        ))
    }

    /// Sets a text layer's source (string, fonts, style, scale, rotation)
    /// and renders it again where its text box lies; one step, "Transform
    /// Text" when only the scale or rotation changed, else "Edit Text". An
    /// unchanged source records nothing.
    pub fn edit_text_layer(&mut self, id: LayerId, source: TextSource) -> Result<()> {
        let old = text_of(self.layer(id)?)?;
        if old.source == source {
            return Ok(());
        }
        let only_transform = TextSource {
            scale: source.scale,
            rotation: source.rotation,
            ..old.source.clone()
        } == source;
        let at = self.text_position(id)?;
        let name = if only_transform {
            "Transform Text"
        } else {
            "Edit Text"
        };
        self.render_text_layer(id, source, at, name)
    }

    /// Free Transform of a text layer: `map` (from the layer's pixels to the
    /// canvas) must be a move, uniform scale and rotation, which become the
    /// source's scale, rotation and position, and the text is rendered
    /// again: as sharp as before at any size. Skews and uneven scales are
    /// refused (rasterize the layer to distort it).
    pub(crate) fn transform_text_layer(&mut self, id: LayerId, map: &Affine) -> Result<()> {
        map.validate()?;
        let text = text_of(self.layer(id)?)?;
        let scale = map.a.hypot(map.b);
        let similar = |x: f64, y: f64| (x - y).abs() <= 1e-6 * scale.max(1.0);
        if !(similar(map.a, map.d) && similar(map.b, -map.c)) || scale == 0.0 {
            return Err(Error::param(
                "matrix",
                "a text layer can be moved, scaled evenly and rotated; rasterize it to skew or distort it",
            ));
        }
        let turn = map.b.atan2(map.a).to_degrees();
        let (x, y) = map.apply((f64::from(text.anchor.0), f64::from(text.anchor.1)));
        let rotation = (f64::from(text.source.rotation) + turn + 180.0).rem_euclid(360.0) - 180.0;
        let source = TextSource {
            scale: (f64::from(text.source.scale) * scale) as f32,
            rotation: rotation as f32,
            ..text.source.clone()
        };
        let at = (x.round() as i32, y.round() as i32);
        self.render_text_layer(id, source, at, "Free Transform")
    }

    /// Text layer `layer` for Image Size by `factor`: its scale and text
    /// position times `factor`, rendered again; `mask` (already resized,
    /// placed at canvas `mask_at`) is carried over where it lies.
    pub(super) fn rescaled_text_layer(
        &self,
        layer: &Layer,
        factor: f64,
        mask: Option<GrayImage>,
        mask_at: (i32, i32),
    ) -> Result<Layer> {
        let text = text_of(layer)?;
        let (x, y) = self.text_position(layer.id)?;
        let source = TextSource {
            scale: (f64::from(text.source.scale) * factor) as f32,
            ..text.source.clone()
        };
        let at = (
            (f64::from(x) * factor).round() as i32,
            (f64::from(y) * factor).round() as i32,
        );
        let rendered = source.render()?;
        let (ox, oy) = rendered.origin;
        let offset = (at.0 + ox, at.1 + oy);
        let mask = mask.map(|m| replace_mask(&m, mask_at, offset, rendered.image.dimensions()));
        Ok(Layer {
            id: layer.id,
            props: LayerProperties {
                offset,
                ..layer.props.clone()
            },
            pixels: rendered.image,
            mask,
            text: Some(Box::new(TextLayer {
                source,
                anchor: (-ox, -oy),
            })),
        })
    }

    /// Where the cursor can stand in text layer `id`, for editing it on
    /// the canvas: the layout's lines and caret stops (rendered pixels,
    /// from the text box's top-left before the turn), the text box's canvas
    /// position and the rotation to turn them by.
    pub fn text_carets(&self, id: LayerId) -> Result<TextCarets> {
        let text = text_of(self.layer(id)?)?;
        let source = &text.source;
        let laid = text::layout(&source.text, &source.fonts, &source.scaled_style())?;
        Ok(TextCarets {
            position: self.text_position(id)?,
            rotation: source.rotation,
            size: (laid.width, laid.height),
            ascent: laid.ascent,
            descent: laid.descent,
            lines: laid.lines,
        })
    }

    /// Typing on the canvas: sets a text layer's string and renders it
    /// again, one step "Edit Text". With `continues`, an edit that follows
    /// the layer's previous typed edit (nothing else done since) joins its
    /// step, so one Undo takes back everything typed in one go.
    pub fn type_text(&mut self, id: LayerId, text: String, continues: bool) -> Result<()> {
        let old = text_of(self.layer(id)?)?;
        if old.source.text == text {
            return Ok(());
        }
        let source = TextSource {
            text,
            ..old.source.clone()
        };
        // A layer still named after its text keeps following it, as in
        // Photoshop; one the user renamed keeps its name.
        let name = &self.layer(id)?.props.name;
        let rename = (*name == old.source.layer_name()).then(|| source.layer_name());
        let at = self.text_position(id)?;
        let change = self.text_change(id, source, at, rename)?;
        self.commit_typing("Edit Text", change, id, continues);
        Ok(())
    }

    /// Renders `source` as layer `id`'s pixels with the text box's top-left
    /// at canvas `at`, as one step `name`.
    fn render_text_layer(
        &mut self,
        id: LayerId,
        source: TextSource,
        at: (i32, i32),
        name: &str,
    ) -> Result<()> {
        let change = self.text_change(id, source, at, None)?;
        self.commit(name, change);
        Ok(())
    }

    /// The change that renders `source` as layer `id`'s pixels with the
    /// text box's top-left at canvas `at`: the changed glyphs' tiles when
    /// only the string changed (see [`retyped`]), else the layer replaced.
    /// A mask is kept where it lies on the canvas (new area shows). With
    /// `rename`, the layer takes that name too.
    fn text_change(
        &self,
        id: LayerId,
        source: TextSource,
        at: (i32, i32),
        rename: Option<String>,
    ) -> Result<Change> {
        let index = self.index_of(id)?;
        let layer = &self.stack.layers[index];
        layer.check_unlocked("edit its text")?;
        let props = LayerProperties {
            name: rename.unwrap_or_else(|| layer.props.name.clone()),
            ..layer.props.clone()
        };
        if let Some(patch) = retyped(layer, &source)? {
            let anchor = text_of(layer)?.anchor;
            let mut parts = vec![
                Change::Tiles(patch),
                Change::Text {
                    id,
                    text: Box::new(TextLayer { source, anchor }),
                },
            ];
            if props != layer.props {
                parts.push(Change::Properties {
                    id,
                    props: Box::new(props),
                });
            }
            return Ok(Change::Batch(parts));
        }
        let rendered = source.render()?;
        let (ox, oy) = rendered.origin;
        let offset = (at.0 + ox, at.1 + oy);
        let mask = layer.mask.as_ref().map(|mask| {
            replace_mask(
                mask,
                layer.props.offset,
                offset,
                rendered.image.dimensions(),
            )
        });
        let edited = Layer {
            id,
            props: LayerProperties { offset, ..props },
            pixels: rendered.image,
            mask,
            text: Some(Box::new(TextLayer {
                source,
                anchor: (-ox, -oy),
            })),
        };
        Ok(Change::Batch(vec![
            Change::Remove { index },
            Change::Insert {
                index,
                layer: Box::new(edited),
            },
        ]))
    }

    /// Turns a text layer into an ordinary one (its pixels as they are, the
    /// source dropped), so pixel tools can work on it; one step.
    pub fn rasterize_text_layer(&mut self, id: LayerId) -> Result<()> {
        let index = self.index_of(id)?;
        let layer = &self.stack.layers[index];
        text_of(layer)?;
        let raster = Layer {
            text: None,
            ..layer.clone()
        };
        self.commit(
            "Rasterize Type",
            Change::Batch(vec![
                Change::Remove { index },
                Change::Insert {
                    index,
                    layer: Box::new(raster),
                },
            ]),
        );
        Ok(())
    }
}

/// Typing's fast path: when `source` differs from `layer`'s only in its
/// string, the text keeps its place and image size (a wrapped paragraph
/// whose line count holds), and it has no stroke or shadow, the new
/// pixels are the old ones with the changed glyphs' boxes drawn again —
/// bit for bit a whole render (the same glyphs in the same order give the
/// same coverage). Returns that patch, or `None` where a whole render is
/// needed.
fn retyped(layer: &Layer, source: &TextSource) -> Result<Option<TilePatch>> {
    let old = text_of(layer)?;
    let same_setting = TextSource {
        text: source.text.clone(),
        ..old.source.clone()
    } == *source;
    let style = source.scaled_style();
    if !same_setting || style.stroke.is_some() || style.shadow.is_some() {
        return Ok(None);
    }
    source.validate()?;
    let fonts = &source.fonts;
    let (now, then) = (
        text::layout(&source.text, fonts, &style)?,
        text::layout(&old.source.text, fonts, &style)?,
    );
    let now = Placement::new(&now, fonts, &style, source.rotation)?;
    let then = Placement::new(&then, fonts, &style, source.rotation)?;
    let (ax, ay) = old.anchor;
    if (now.origin(), now.size()) != (then.origin(), then.size())
        || now.origin() != (-ax, -ay)
        || now.size() != layer.pixels.dimensions()
    {
        return Ok(None);
    }
    let Some(part) = now.changed_part(&then) else {
        return Ok(Some(TilePatch::from_tiles(
            layer.id,
            Plane::Pixels,
            Vec::new(),
        )));
    };
    let pixels = now.render_part(part).expect("a text without effects");
    let region = Rect::new(part.x0, part.y0, part.width(), part.height());
    Ok(Some(TilePatch::from_region(
        layer.id,
        Plane::Pixels,
        RasterRef {
            bytes: layer.pixels.as_raw(),
            width: layer.pixels.width(),
            bytes_per_pixel: 4,
        },
        region,
        pixels.as_raw(),
    )))
}

fn text_of(layer: &Layer) -> Result<&TextLayer> {
    layer.text.as_deref().ok_or_else(|| {
        Error::param(
            "layer",
            format!("'{}' is not a text layer", layer.props.name),
        )
    })
}

/// `mask` (placed at canvas `from`) carried to a `size` raster placed at
/// `to`: where they overlap it keeps its values, elsewhere it shows (255).
fn replace_mask(mask: &GrayImage, from: (i32, i32), to: (i32, i32), size: (u32, u32)) -> GrayImage {
    let mut out = GrayImage::from_pixel(size.0, size.1, image::Luma([255]));
    let (dx, dy) = (from.0 - to.0, from.1 - to.1);
    for (x, y, value) in mask.enumerate_pixels() {
        let (tx, ty) = (x as i32 + dx, y as i32 + dy);
        if tx >= 0 && ty >= 0 && (tx as u32) < size.0 && (ty as u32) < size.1 {
            out.put_pixel(tx as u32, ty as u32, *value);
        }
    }
    out
}

#[cfg(test)]
mod tests;
