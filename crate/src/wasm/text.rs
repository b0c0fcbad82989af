//! Text layers for the page's Type tool: marshalling only, see
//! [`crate::doc::text`]. Fonts are opened once into a [`FontSet`] (the
//! primary font first, then its fallbacks); a text's source travels as a
//! plain object (`TextPatch`) and comes back as one (`textSource`).

use super::doc::Project;
use super::js_error;
use crate::doc::{Document, TextSource};
use crate::text::{self, Align, Font, Shadow, Stroke, TextStyle};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// Font files, checked when added, in fallback order.
#[wasm_bindgen]
#[derive(Default)]
pub struct FontSet {
    fonts: Vec<Font>,
}

#[wasm_bindgen]
impl FontSet {
    #[wasm_bindgen(constructor)]
    pub fn new() -> FontSet {
        FontSet::default()
    }

    /// Adds a TTF/OTF file (copied) after the fonts already in the set;
    /// a malformed file is refused naming `name`.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> std::result::Result<(), JsError> {
        self.fonts
            .push(Font::from_bytes(name, bytes.to_vec()).map_err(js_error)?);
        Ok(())
    }

    /// The fonts' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.fonts.iter().map(|f| f.name().to_owned()).collect()
    }
}

/// A text's source as JS passes it: `{ text, size, lineHeight, tracking,
/// color: '#rrggbb[aa]', align: 'left'|'center'|'right', width (0 or null:
/// no box), stroke: { width, color } | null, shadow: { dx, dy, blur, color }
/// | null, scale, rotation, brandStyle }`. Absent fields keep their value (a
/// new text starts black, 48 px, left-aligned, line height 1.2, upright,
/// scale 1). `brandStyle` names a text style of the brand kit, applied first
/// (its font leads, its size, colour and optional values), so the other
/// fields given override it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TextPatch {
    text: Option<String>,
    size: Option<f32>,
    line_height: Option<f32>,
    tracking: Option<f32>,
    color: Option<String>,
    align: Option<String>,
    #[serde(default, deserialize_with = "present")]
    width: Option<Option<f32>>,
    #[serde(default, deserialize_with = "present")]
    stroke: Option<Option<StrokeSpec>>,
    #[serde(default, deserialize_with = "present")]
    shadow: Option<Option<ShadowSpec>>,
    scale: Option<f32>,
    rotation: Option<f32>,
    brand_style: Option<String>,
}

/// Tells a field given as `null` (`Some(None)`: remove it) from one left out (`None`).
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct StrokeSpec {
    width: f32,
    color: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ShadowSpec {
    dx: f32,
    dy: f32,
    blur: f32,
    color: String,
}

/// What `textSource` answers: the patch's fields, all present, plus the
/// fonts' names and where the text box's top-left lies on the canvas.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TextInfo {
    text: String,
    fonts: Vec<String>,
    size: f32,
    line_height: f32,
    tracking: f32,
    color: String,
    align: Align,
    width: Option<f32>,
    stroke: Option<StrokeSpec>,
    shadow: Option<ShadowSpec>,
    scale: f32,
    rotation: f32,
    x: i32,
    y: i32,
}

/// What `textCarets` answers: the text box's canvas position `x`, `y`,
/// `width`, `height` and `rotation` (degrees clockwise about its top-left), the caret's reach above and
/// below a baseline, and per line its baseline (from the box's top) and its
/// stops `[index, x]`: every character boundary as a UTF-16 index into the
/// text (a JS string index) and the caret's x from the box's left, in
/// logical order, the line's end last.
#[derive(Serialize)]
struct CaretInfo {
    x: i32,
    y: i32,
    rotation: f32,
    width: f32,
    height: f32,
    ascent: f32,
    descent: f32,
    lines: Vec<CaretLine>,
}

#[derive(Serialize)]
struct CaretLine {
    baseline: f32,
    stops: Vec<(usize, f32)>,
}

fn hex(c: [u8; 4]) -> String {
    format!("#{:02x}{:02x}{:02x}{:02x}", c[0], c[1], c[2], c[3])
}

impl TextPatch {
    /// Through JSON values, so a misspelt field is refused by name
    /// (serde-wasm-bindgen reads only the fields a struct names).
    fn from_js(value: JsValue) -> std::result::Result<TextPatch, JsError> {
        let invalid =
            |e: &dyn std::fmt::Display| JsError::new(&format!("invalid text source: {e}"));
        let json: serde_json::Value =
            serde_wasm_bindgen::from_value(value).map_err(|e| invalid(&e))?;
        serde_json::from_value(json).map_err(|e| invalid(&e))
    }

    /// `source` with the patch applied (checked when it is rendered), its
    /// brand style found in `doc`'s kit.
    fn apply(self, source: TextSource, doc: &Document) -> Result<TextSource> {
        let mut source = match &self.brand_style {
            Some(name) => doc.brand_styled_source(source, name)?,
            None => source,
        };
        let style = &mut source.style;
        if let Some(text) = self.text {
            source.text = text;
        }
        style.size = self.size.unwrap_or(style.size);
        style.line_height = self.line_height.unwrap_or(style.line_height);
        style.tracking = self.tracking.unwrap_or(style.tracking);
        if let Some(color) = self.color {
            style.color = text::parse_color("color", &color)?;
        }
        if let Some(align) = self.align {
            style.align = align.parse()?;
        }
        if let Some(width) = self.width {
            style.width = width.filter(|&w| w != 0.0);
        }
        if let Some(stroke) = self.stroke {
            style.stroke = match stroke {
                Some(s) => Some(Stroke {
                    width: s.width,
                    color: text::parse_color("stroke color", &s.color)?,
                }),
                None => None,
            };
        }
        if let Some(shadow) = self.shadow {
            style.shadow = match shadow {
                Some(s) => Some(Shadow {
                    dx: s.dx,
                    dy: s.dy,
                    blur: s.blur,
                    color: text::parse_color("shadow color", &s.color)?,
                }),
                None => None,
            };
        }
        source.scale = self.scale.unwrap_or(source.scale);
        source.rotation = self.rotation.unwrap_or(source.rotation);
        Ok(source)
    }
}

#[wasm_bindgen]
impl Project {
    /// Adds a text layer on top, set from `source` (a `TextPatch`; `text` is
    /// required) in `fonts`, its text box's top-left at canvas (x, y); one
    /// step "Add Text". Returns the layer's id.
    #[wasm_bindgen(js_name = addTextLayer)]
    pub fn add_text_layer(
        &self,
        source: JsValue,
        fonts: &FontSet,
        x: i32,
        y: i32,
    ) -> std::result::Result<u32, JsError> {
        let patch = TextPatch::from_js(source)?;
        if patch.text.is_none() {
            return Err(js_error(Error::param("text", "is missing")));
        }
        let blank = TextSource::new("", fonts.fonts.clone(), TextStyle::new(48.0));
        let mut doc = self.doc()?;
        let source = patch.apply(blank, &doc).map_err(js_error)?;
        doc.add_text_layer(source, (x, y)).map_err(js_error)
    }

    /// Changes a text layer's source (a `TextPatch`: only the fields given);
    /// it is rendered again where its text box lies, one step ("Edit Text",
    /// or "Transform Text" for scale and rotation alone). The same source
    /// again records nothing.
    #[wasm_bindgen(js_name = editTextLayer)]
    pub fn edit_text_layer(&self, id: u32, patch: JsValue) -> std::result::Result<(), JsError> {
        self.edit_text(id, patch, None)
    }

    /// [`edit_text_layer`](Self::edit_text_layer) that also sets the layer's
    /// fonts to `fonts` (borrowed: the page keeps the set for the texts it
    /// sets next), in the same step.
    #[wasm_bindgen(js_name = editTextLayerFonts)]
    pub fn edit_text_layer_fonts(
        &self,
        id: u32,
        patch: JsValue,
        fonts: &FontSet,
    ) -> std::result::Result<(), JsError> {
        self.edit_text(id, patch, Some(fonts))
    }

    /// A text layer's source (see `TextInfo`), `null` for other layers.
    #[wasm_bindgen(js_name = textSource)]
    pub fn text_source(&self, id: u32) -> std::result::Result<JsValue, JsError> {
        let doc = self.doc()?;
        let layer = doc.layer(id).map_err(js_error)?;
        let Some(text) = &layer.text else {
            return Ok(JsValue::NULL);
        };
        let (x, y) = doc.text_position(id).map_err(js_error)?;
        let (source, style) = (&text.source, &text.source.style);
        let info = TextInfo {
            text: source.text.clone(),
            fonts: source.fonts.iter().map(|f| f.name().to_owned()).collect(),
            size: style.size,
            line_height: style.line_height,
            tracking: style.tracking,
            color: hex(style.color),
            align: style.align,
            width: style.width,
            stroke: style.stroke.map(|s| StrokeSpec {
                width: s.width,
                color: hex(s.color),
            }),
            shadow: style.shadow.map(|s| ShadowSpec {
                dx: s.dx,
                dy: s.dy,
                blur: s.blur,
                color: hex(s.color),
            }),
            scale: source.scale,
            rotation: source.rotation,
            x,
            y,
        };
        serde_wasm_bindgen::to_value(&info).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Typing on the canvas: sets text layer `id`'s string (one step "Edit
    /// Text"); with `continues`, an edit right after the layer's previous
    /// typed one joins its step (see [`Document::type_text`]).
    #[wasm_bindgen(js_name = typeText)]
    pub fn type_text(
        &self,
        id: u32,
        text: String,
        continues: bool,
    ) -> std::result::Result<(), JsError> {
        self.doc()?.type_text(id, text, continues).map_err(js_error)
    }

    /// Where the cursor can stand in text layer `id` (see `CaretInfo`).
    #[wasm_bindgen(js_name = textCarets)]
    pub fn text_carets(&self, id: u32) -> std::result::Result<JsValue, JsError> {
        let doc = self.doc()?;
        let carets = doc.text_carets(id).map_err(js_error)?;
        let text = &doc
            .layer(id)
            .map_err(js_error)?
            .text
            .as_ref()
            .expect("text_carets checked it is a text layer")
            .source
            .text;
        // UTF-16 index at each character boundary's byte offset.
        let mut utf16_at = vec![0; text.len() + 1];
        let mut units = 0;
        for (at, c) in text.char_indices() {
            utf16_at[at] = units;
            units += c.len_utf16();
        }
        utf16_at[text.len()] = units;
        let info = CaretInfo {
            x: carets.position.0,
            y: carets.position.1,
            rotation: carets.rotation,
            width: carets.size.0,
            height: carets.size.1,
            ascent: carets.ascent,
            descent: carets.descent,
            lines: carets
                .lines
                .iter()
                .map(|line| CaretLine {
                    baseline: line.baseline,
                    stops: line
                        .stops
                        .iter()
                        .map(|&(at, x)| (utf16_at[at], x))
                        .collect(),
                })
                .collect(),
        };
        serde_wasm_bindgen::to_value(&info).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The colour of the lettering under the selection as `#rrggbb` (see
    /// [`Document::lettering_colour`]), `undefined` without a selection or
    /// when it holds no lettering (a flat area).
    #[wasm_bindgen(js_name = letteringColor)]
    pub fn lettering_color(&self) -> std::result::Result<Option<String>, JsError> {
        let colour = self.doc()?.lettering_colour().map_err(js_error)?;
        Ok(colour.map(crate::doc::brand::format_colour))
    }

    /// Turns a text layer into an ordinary one (one step "Rasterize Type").
    #[wasm_bindgen(js_name = rasterizeTextLayer)]
    pub fn rasterize_text_layer(&self, id: u32) -> std::result::Result<(), JsError> {
        self.doc()?.rasterize_text_layer(id).map_err(js_error)
    }
}

impl Project {
    fn edit_text(
        &self,
        id: u32,
        patch: JsValue,
        fonts: Option<&FontSet>,
    ) -> std::result::Result<(), JsError> {
        let patch = TextPatch::from_js(patch)?;
        let mut doc = self.doc()?;
        let layer = doc.layer(id).map_err(js_error)?;
        let mut source = match &layer.text {
            Some(text) => text.source.clone(),
            None => {
                return Err(js_error(Error::param(
                    "layer",
                    format!("'{}' is not a text layer", layer.props.name),
                )))
            }
        };
        if let Some(fonts) = fonts {
            source.fonts = fonts.fonts.clone();
        }
        let source = patch.apply(source, &doc).map_err(js_error)?;
        doc.edit_text_layer(id, source).map_err(js_error)
    }
}
