//! A history step as bytes, for the autosave, and its checked replay.
//!
//! The autosave keeps the tile history (see [`super::history`]) so that Undo
//! and Redo work after a reload. A stored step is the [`Change`] it holds,
//! written as a small little-endian binary record (pixel data raw, as the
//! autosave stores tiles). The store may be damaged like any file, so
//! decoding checks every size before allocating, and a decoded change is
//! replayed with [`Change::apply_checked`], which refuses (changing nothing) a
//! change that does not fit the state it is applied to, where a trusted
//! [`Change::apply`] would panic.

use super::brand::{self, MAX_PALETTE, MAX_REFERENCES};
use super::brand_type::StoredBrandType;
use super::change::Change;
use super::geometry::{DirtyRegion, Rect};
use super::layer::{Layer, LayerId, LayerProperties};
use super::stack::LayerStack;
use super::text::{FontTable, TextLayer};
use super::tiles::{Plane, TilePatch};
use crate::image_io::check_dimensions;
use crate::ops::blend::BlendMode;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// Deepest nesting of batches accepted (commands nest one or two levels).
const MAX_BATCH_DEPTH: usize = 8;

const INSERT: u8 = 0;
const REMOVE: u8 = 1;
const MOVE: u8 = 2;
const PROPERTIES: u8 = 3;
const MASK: u8 = 4;
const TILES: u8 = 5;
const SELECTION: u8 = 6;
const CANVAS: u8 = 7;
const BRAND_TEXT: u8 = 8;
const INSERT_REFERENCE: u8 = 9;
const REMOVE_REFERENCE: u8 = 10;
const BATCH: u8 = 11;
/// An insert of a text layer: [`INSERT`]'s fields, then its source's JSON.
const INSERT_TEXT: u8 = 12;
/// The brand kit's fonts and text styles: their JSON (fonts by key).
const BRAND_TYPE: u8 = 13;
/// A text layer's source and anchor: the layer id, then their JSON.
const TEXT: u8 = 14;

impl Change {
    /// The change as bytes (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes());
        write_change(&mut out, self);
        out
    }

    /// Reads a change written by [`Change::encode`], the fonts of text
    /// layers found in `fonts`; a damaged record is an error naming `what`.
    pub fn decode(bytes: &[u8], what: &str, fonts: &FontTable) -> Result<Change> {
        let mut reader = Reader { bytes, what, fonts };
        let change = reader.change(0)?;
        if !reader.bytes.is_empty() {
            return Err(reader.damaged("bytes follow its end"));
        }
        Ok(change)
    }

    /// Adds the fonts of the text layers this change holds to `fonts`.
    pub fn collect_fonts(&self, fonts: &mut FontTable) {
        match self {
            Change::Insert { layer, .. } => {
                if let Some(text) = &layer.text {
                    for font in &text.source.fonts {
                        fonts
                            .entry(font.key().to_owned())
                            .or_insert_with(|| font.clone());
                    }
                }
            }
            Change::Text { text, .. } => {
                for font in &text.source.fonts {
                    fonts
                        .entry(font.key().to_owned())
                        .or_insert_with(|| font.clone());
                }
            }
            Change::BrandType { fonts: kit, .. } => {
                for brand_font in kit {
                    let font = &brand_font.font;
                    fonts
                        .entry(font.key().to_owned())
                        .or_insert_with(|| font.clone());
                }
            }
            Change::Batch(changes) => changes.iter().for_each(|c| c.collect_fonts(fonts)),
            _ => {}
        }
    }

    /// Applies the change after checking that it fits `stack` (layers and
    /// indices exist, rasters have the sizes it assumes, ids are below
    /// `next_id`); returns its inverse. On refusal nothing has changed (a
    /// batch reverts the parts it applied).
    pub fn apply_checked(
        self,
        stack: &mut LayerStack,
        dirty: &mut DirtyRegion,
        next_id: LayerId,
    ) -> Result<Change> {
        if let Change::Batch(changes) = self {
            let mut inverses = Vec::with_capacity(changes.len());
            for change in changes {
                match change.apply_checked(stack, dirty, next_id) {
                    Ok(inverse) => inverses.push(inverse),
                    Err(error) => {
                        for inverse in inverses.into_iter().rev() {
                            inverse.apply(stack, dirty);
                        }
                        return Err(error);
                    }
                }
            }
            inverses.reverse();
            return Ok(Change::Batch(inverses));
        }
        self.check(stack, next_id)?;
        Ok(self.apply(stack, dirty))
    }

    /// Whether [`Change::apply`] can apply this (non-batch) change to `stack`.
    fn check(&self, stack: &LayerStack, next_id: LayerId) -> Result<()> {
        let misfit = |why: String| Err(Error::Decode(format!("a stored history step {why}")));
        let layer = |id: LayerId| stack.layers.iter().find(|l| l.id == id);
        let count = stack.layers.len();
        match self {
            Change::Insert { index, layer: new } => {
                if *index > count || layer(new.id).is_some() || new.id >= next_id {
                    return misfit(format!("inserts layer {} at {index} of {count}", new.id));
                }
                if new
                    .mask
                    .as_ref()
                    .is_some_and(|m| m.dimensions() != new.pixels.dimensions())
                {
                    return misfit("inserts a layer whose mask is not its size".into());
                }
                new.props.validate()
            }
            Change::Remove { index } if *index >= count => {
                misfit(format!("removes layer {index} of {count}"))
            }
            Change::Move { from, to } if *from >= count || *to >= count => {
                misfit(format!("moves layer {from} to {to} of {count}"))
            }
            Change::Properties { id, props } => match layer(*id) {
                None => misfit(format!("changes layer {id}, which is not there")),
                Some(_) => props.validate(),
            },
            Change::Mask { id, mask } => match layer(*id) {
                None => misfit(format!("masks layer {id}, which is not there")),
                Some(l)
                    if mask
                        .as_ref()
                        .is_some_and(|m| m.dimensions() != l.pixels.dimensions()) =>
                {
                    misfit(format!("sets a mask of another size on layer {id}"))
                }
                Some(_) => Ok(()),
            },
            Change::Text { id, .. } => match layer(*id) {
                Some(l) if l.text.is_some() => Ok(()),
                _ => misfit(format!(
                    "sets the text of layer {id}, which is not a text layer"
                )),
            },
            Change::Selection { mask } => match mask {
                Some(m) if m.dimensions() != (stack.width, stack.height) => {
                    misfit("sets a selection of another size than the canvas".into())
                }
                _ => Ok(()),
            },
            Change::Tiles(patch) => {
                let size = match patch.plane {
                    Plane::Selection => stack
                        .selection
                        .as_ref()
                        .filter(|s| s.dimensions() == (stack.width, stack.height))
                        .map(GrayImage::dimensions),
                    Plane::Pixels => layer(patch.layer).map(|l| l.pixels.dimensions()),
                    Plane::Mask => layer(patch.layer)
                        .and_then(|l| l.mask.as_ref())
                        .map(GrayImage::dimensions),
                };
                match size {
                    Some((w, h)) if patch.fits(w, h) => Ok(()),
                    _ => misfit("patches a raster that is not there or smaller".into()),
                }
            }
            Change::Canvas { width, height, .. } => check_dimensions(*width, *height),
            Change::BrandText { style, palette } => {
                brand::check_style(style)?;
                if palette.len() > MAX_PALETTE {
                    return misfit("sets too many palette colours".into());
                }
                Ok(())
            }
            Change::InsertReference { index, png } => {
                let references = stack.brand.references.len();
                if *index > references || references >= MAX_REFERENCES {
                    return misfit(format!("inserts reference {index} of {references}"));
                }
                brand::check_stored_reference(png)
            }
            Change::RemoveReference { index } if *index >= stack.brand.references.len() => {
                misfit(format!("removes reference {index}, which is not there"))
            }
            // Checked when decoded (StoredBrandType::resolve).
            Change::BrandType { .. }
            | Change::Remove { .. }
            | Change::Move { .. }
            | Change::RemoveReference { .. }
            | Change::Batch(_) => Ok(()),
        }
    }
}

fn write_change(out: &mut Vec<u8>, change: &Change) {
    match change {
        Change::Insert { index, layer } => {
            out.push(if layer.text.is_some() {
                INSERT_TEXT
            } else {
                INSERT
            });
            put_u32(out, *index as u32);
            put_u32(out, layer.id);
            write_props(out, &layer.props);
            let (w, h) = layer.pixels.dimensions();
            put_u32(out, w);
            put_u32(out, h);
            out.extend_from_slice(layer.pixels.as_raw());
            write_gray(out, layer.mask.as_ref());
            if let Some(text) = &layer.text {
                put_bytes(out, text.to_json().as_bytes());
            }
        }
        Change::Remove { index } => {
            out.push(REMOVE);
            put_u32(out, *index as u32);
        }
        Change::Move { from, to } => {
            out.push(MOVE);
            put_u32(out, *from as u32);
            put_u32(out, *to as u32);
        }
        Change::Properties { id, props } => {
            out.push(PROPERTIES);
            put_u32(out, *id);
            write_props(out, props);
        }
        Change::Mask { id, mask } => {
            out.push(MASK);
            put_u32(out, *id);
            write_gray(out, mask.as_ref());
        }
        Change::Tiles(patch) => {
            out.push(TILES);
            put_u32(out, patch.layer);
            out.push(match patch.plane {
                Plane::Pixels => 0,
                Plane::Mask => 1,
                Plane::Selection => 2,
            });
            put_u32(out, patch.tiles().count() as u32);
            for (rect, bytes) in patch.tiles() {
                put_u32(out, rect.x as u32);
                put_u32(out, rect.y as u32);
                put_u32(out, rect.width);
                put_u32(out, rect.height);
                out.extend_from_slice(bytes);
            }
        }
        Change::Selection { mask } => {
            out.push(SELECTION);
            write_gray(out, mask.as_ref());
        }
        Change::Canvas {
            width,
            height,
            shift,
        } => {
            out.push(CANVAS);
            put_u32(out, *width);
            put_u32(out, *height);
            put_u32(out, shift.0 as u32);
            put_u32(out, shift.1 as u32);
        }
        Change::BrandText { style, palette } => {
            out.push(BRAND_TEXT);
            put_bytes(out, style.as_bytes());
            put_u32(out, palette.len() as u32);
            palette.iter().for_each(|c| out.extend_from_slice(c));
        }
        Change::InsertReference { index, png } => {
            out.push(INSERT_REFERENCE);
            put_u32(out, *index as u32);
            put_bytes(out, png);
        }
        Change::RemoveReference { index } => {
            out.push(REMOVE_REFERENCE);
            put_u32(out, *index as u32);
        }
        Change::BrandType { fonts, styles } => {
            out.push(BRAND_TYPE);
            put_bytes(
                out,
                StoredBrandType::new(fonts, styles).to_json().as_bytes(),
            );
        }
        Change::Text { id, text } => {
            out.push(TEXT);
            put_u32(out, *id);
            put_bytes(out, text.to_json().as_bytes());
        }
        Change::Batch(changes) => {
            out.push(BATCH);
            put_u32(out, changes.len() as u32);
            changes.iter().for_each(|c| write_change(out, c));
        }
    }
}

fn write_props(out: &mut Vec<u8>, props: &LayerProperties) {
    put_bytes(out, props.name.as_bytes());
    out.push(u8::from(props.visible));
    out.extend_from_slice(&props.opacity.to_le_bytes());
    put_bytes(out, props.mode.name().as_bytes());
    out.push(u8::from(props.locked));
    put_u32(out, props.offset.0 as u32);
    put_u32(out, props.offset.1 as u32);
}

fn write_gray(out: &mut Vec<u8>, mask: Option<&GrayImage>) {
    match mask {
        None => out.push(0),
        Some(mask) => {
            out.push(1);
            put_u32(out, mask.width());
            put_u32(out, mask.height());
            out.extend_from_slice(mask.as_raw());
        }
    }
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

/// Reads a stored change, refusing anything short or out of range.
struct Reader<'a> {
    bytes: &'a [u8],
    what: &'a str,
    fonts: &'a FontTable,
}

impl<'a> Reader<'a> {
    fn damaged(&self, why: &str) -> Error {
        Error::Decode(format!(
            "the autosaved history step '{}' is damaged: {why}",
            self.what
        ))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        if len > self.bytes.len() {
            return Err(self.damaged("it ends early"));
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn i32(&mut self) -> Result<i32> {
        Ok(self.u32()? as i32)
    }

    fn index(&mut self) -> Result<usize> {
        Ok(self.u32()? as usize)
    }

    fn flag(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.damaged("a flag is neither 0 nor 1")),
        }
    }

    fn blob(&mut self) -> Result<&'a [u8]> {
        let len = self.index()?;
        self.take(len)
    }

    fn text(&mut self) -> Result<String> {
        let bytes = self.blob()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.damaged("a text is not UTF-8"))
    }

    /// `width`×`height`×`bpp` bytes, the size checked before anything is allocated.
    fn raster(&mut self, width: u32, height: u32, bpp: usize) -> Result<Vec<u8>> {
        check_dimensions(width, height)?;
        Ok(self.take(width as usize * height as usize * bpp)?.to_vec())
    }

    fn gray(&mut self) -> Result<Option<GrayImage>> {
        if !self.flag()? {
            return Ok(None);
        }
        let (width, height) = (self.u32()?, self.u32()?);
        let raw = self.raster(width, height, 1)?;
        Ok(GrayImage::from_raw(width, height, raw))
    }

    fn props(&mut self) -> Result<LayerProperties> {
        let props = LayerProperties {
            name: self.text()?,
            visible: self.flag()?,
            opacity: f32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")),
            mode: BlendMode::from_name(&self.text()?)?,
            locked: self.flag()?,
            offset: (self.i32()?, self.i32()?),
        };
        props.validate()?;
        Ok(props)
    }

    fn change(&mut self, depth: usize) -> Result<Change> {
        Ok(match self.u8()? {
            tag @ (INSERT | INSERT_TEXT) => {
                let index = self.index()?;
                let id = self.u32()?;
                let props = self.props()?;
                let (width, height) = (self.u32()?, self.u32()?);
                let raw = self.raster(width, height, 4)?;
                let pixels = RgbaImage::from_raw(width, height, raw).expect("sized above");
                let mask = self.gray()?;
                let text = match tag {
                    INSERT_TEXT => {
                        let json = self.text()?;
                        let what = format!("in the history step '{}'", self.what);
                        Some(Box::new(TextLayer::from_json(&json, self.fonts, &what)?))
                    }
                    _ => None,
                };
                Change::Insert {
                    index,
                    layer: Box::new(Layer {
                        text,
                        id,
                        props,
                        pixels,
                        mask,
                    }),
                }
            }
            REMOVE => Change::Remove {
                index: self.index()?,
            },
            MOVE => Change::Move {
                from: self.index()?,
                to: self.index()?,
            },
            PROPERTIES => Change::Properties {
                id: self.u32()?,
                props: Box::new(self.props()?),
            },
            MASK => Change::Mask {
                id: self.u32()?,
                mask: self.gray()?,
            },
            TILES => {
                let layer = self.u32()?;
                let plane = match self.u8()? {
                    0 => Plane::Pixels,
                    1 => Plane::Mask,
                    2 => Plane::Selection,
                    _ => return Err(self.damaged("it names an unknown plane")),
                };
                let count = self.index()?;
                let mut tiles = Vec::new();
                for _ in 0..count {
                    let (x, y) = (self.i32()?, self.i32()?);
                    let (width, height) = (self.u32()?, self.u32()?);
                    let bytes = self.raster(width, height, plane.bytes_per_pixel())?;
                    tiles.push((Rect::new(x, y, width, height), bytes));
                }
                Change::Tiles(TilePatch::from_tiles(layer, plane, tiles))
            }
            SELECTION => Change::Selection { mask: self.gray()? },
            CANVAS => Change::Canvas {
                width: self.u32()?,
                height: self.u32()?,
                shift: (self.i32()?, self.i32()?),
            },
            BRAND_TEXT => {
                let style = self.text()?;
                let count = self.index()?;
                let colours =
                    self.take(count.checked_mul(3).ok_or_else(|| self.damaged("size"))?)?;
                Change::BrandText {
                    style,
                    palette: colours
                        .chunks_exact(3)
                        .map(|c| [c[0], c[1], c[2]])
                        .collect(),
                }
            }
            INSERT_REFERENCE => Change::InsertReference {
                index: self.index()?,
                png: self.blob()?.to_vec(),
            },
            REMOVE_REFERENCE => Change::RemoveReference {
                index: self.index()?,
            },
            BRAND_TYPE => {
                let json = self.text()?;
                let what = format!("in the history step '{}'", self.what);
                let (fonts, styles) =
                    StoredBrandType::from_json(&json, &what)?.resolve(self.fonts, &what)?;
                Change::BrandType { fonts, styles }
            }
            TEXT => {
                let id = self.u32()?;
                let json = self.text()?;
                let what = format!("in the history step '{}'", self.what);
                Change::Text {
                    id,
                    text: Box::new(TextLayer::from_json(&json, self.fonts, &what)?),
                }
            }
            BATCH if depth < MAX_BATCH_DEPTH => {
                let count = self.index()?;
                let mut changes = Vec::new();
                for _ in 0..count {
                    changes.push(self.change(depth + 1)?);
                }
                Change::Batch(changes)
            }
            BATCH => return Err(self.damaged("its batches nest too deep")),
            tag => return Err(self.damaged(&format!("unknown change kind {tag}"))),
        })
    }
}
