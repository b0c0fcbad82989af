//! The document's operations. Each checks everything first (a failed command
//! changes nothing and records nothing), applies one [`Change`], and records
//! its inverse in history under the name a history panel shows. Commands that
//! would change nothing record nothing.
//!
//! The selection is part of the document like the layers: setting it is a
//! command (so "Select", "Feather Selection" and "Deselect" appear in, and
//! are undone through, the same history), and crop and canvas size cut or
//! pad it with the canvas.

use super::change::Change;
use super::geometry::{Anchor, Rect};
use super::layer::{Layer, LayerId, LayerProperties};
use super::render::{apply_mask, compose_layers_cpu};
use super::tiles::{Plane, RasterRef, TilePatch};
use super::Document;
use crate::image_io::check_dimensions;
use crate::memory;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

impl Document {
    /// Adds a layer at `index` in the stack (0 = bottom; `None` = top) and
    /// returns its id. `mask`, when given, must be the size of `pixels`.
    pub fn add_layer(
        &mut self,
        props: LayerProperties,
        pixels: RgbaImage,
        mask: Option<GrayImage>,
        index: Option<usize>,
    ) -> Result<LayerId> {
        props.validate()?;
        check_dimensions(pixels.width(), pixels.height())?;
        if let Some(mask) = &mask {
            check_mask_size(mask, &pixels)?;
        }
        let index = index.unwrap_or(self.stack.layers.len());
        if index > self.stack.layers.len() {
            return Err(Error::param(
                "index",
                format!(
                    "{index} is past the top of {} layers",
                    self.stack.layers.len()
                ),
            ));
        }
        let id = self.take_id();
        let layer = Layer {
            text: None,
            id,
            props,
            pixels,
            mask,
        };
        self.commit(
            "Add Layer",
            Change::Insert {
                index,
                layer: Box::new(layer),
            },
        );
        Ok(id)
    }

    /// Adds a transparent canvas-sized layer on top.
    pub fn new_layer(&mut self, name: impl Into<String>) -> Result<LayerId> {
        let (w, h) = (self.width(), self.height());
        self.check_memory("a new layer", memory::rgba8(w, h))?;
        let pixels = RgbaImage::new(self.width(), self.height());
        self.add_layer(LayerProperties::named(name), pixels, None, None)
    }

    pub fn delete_layer(&mut self, id: LayerId) -> Result<()> {
        let index = self.index_of(id)?;
        self.commit("Delete Layer", Change::Remove { index });
        Ok(())
    }

    /// Copies a layer (pixels, mask, properties) just above it; returns the
    /// copy's id.
    pub fn duplicate_layer(&mut self, id: LayerId) -> Result<LayerId> {
        let index = self.index_of(id)?;
        let layer = &self.stack.layers[index];
        let (w, h) = layer.pixels.dimensions();
        let mask = layer.mask.as_ref().map_or(0, |m| m.as_raw().len() as u64);
        self.check_memory("duplicating the layer", memory::rgba8(w, h) + mask)?;
        let mut copy = self.stack.layers[index].clone();
        copy.id = self.take_id();
        copy.props.name = format!("{} copy", copy.props.name);
        let copy_id = copy.id;
        self.commit(
            "Duplicate Layer",
            Change::Insert {
                index: index + 1,
                layer: Box::new(copy),
            },
        );
        Ok(copy_id)
    }

    /// Moves a layer to position `to` in the stack (0 = bottom).
    pub fn move_layer(&mut self, id: LayerId, to: usize) -> Result<()> {
        let from = self.index_of(id)?;
        if to >= self.stack.layers.len() {
            return Err(Error::param(
                "index",
                format!("{to} is past the top of {} layers", self.stack.layers.len()),
            ));
        }
        if from != to {
            self.commit("Move Layer", Change::Move { from, to });
        }
        Ok(())
    }

    pub fn rename_layer(&mut self, id: LayerId, name: impl Into<String>) -> Result<()> {
        let mut props = self.layer(id)?.props.clone();
        props.name = name.into();
        self.set_layer_properties(id, props)
    }

    /// Sets all of a layer's properties at once. The history entry is named
    /// after what changed ("Hide Layer", "Layer Opacity", ...). A locked layer
    /// cannot be moved unless the same call unlocks it.
    pub fn set_layer_properties(&mut self, id: LayerId, props: LayerProperties) -> Result<()> {
        props.validate()?;
        let old = &self.layer(id)?.props;
        if old.locked && props.locked && old.offset != props.offset {
            self.layer(id)?.check_unlocked("move it")?;
        }
        let Some(name) = properties_entry_name(old, &props) else {
            return Ok(());
        };
        self.commit(
            name,
            Change::Properties {
                id,
                props: Box::new(props),
            },
        );
        Ok(())
    }

    /// Merges a layer into the one below it. The upper layer is blended with
    /// its mode, opacity and mask onto the lower layer's pixels (its mask
    /// applied); the result covers both and keeps the lower layer's id, name,
    /// mode and opacity, as Photoshop's Merge Down does. Returns the id.
    pub fn merge_down(&mut self, id: LayerId) -> Result<LayerId> {
        let index = self.index_of(id)?;
        if index == 0 {
            return Err(Error::param(
                "layer",
                "merge down needs a layer below this one",
            ));
        }
        let (lower, upper) = (&self.stack.layers[index - 1], &self.stack.layers[index]);
        for layer in [lower, upper] {
            layer.check_unlocked("merge it")?;
            if !layer.props.visible {
                return Err(Error::param(
                    "layer",
                    format!("'{}' is hidden: show it to merge", layer.props.name),
                ));
            }
        }
        let area = lower.bounds().union(&upper.bounds());
        check_dimensions(area.width, area.height)?;
        // The merged pixels and the lower layer's masked copy.
        self.check_memory(
            "merging the layers",
            memory::rgba8(area.width, area.height) * 2,
        )?;
        let mut pixels = RgbaImage::new(area.width, area.height);
        let lower_pixels = match &lower.mask {
            Some(mask) => apply_mask(&lower.pixels, mask),
            None => lower.pixels.clone(),
        };
        let at = lower.bounds().translated(-area.x, -area.y);
        image::imageops::replace(&mut pixels, &lower_pixels, at.x.into(), at.y.into());
        compose_layers_cpu([upper], &mut pixels, (area.x, area.y), area)?;
        let merged = Layer {
            text: None,
            id: lower.id,
            props: LayerProperties {
                offset: (area.x, area.y),
                ..lower.props.clone()
            },
            pixels,
            mask: None,
        };
        let merged_id = merged.id;
        self.commit(
            "Merge Down",
            Change::Batch(vec![
                Change::Remove { index },
                Change::Remove { index: index - 1 },
                Change::Insert {
                    index: index - 1,
                    layer: Box::new(merged),
                },
            ]),
        );
        Ok(merged_id)
    }

    /// Replaces every layer by one canvas-sized layer holding the composite
    /// of the visible ones (hidden layers are discarded). Returns its id.
    pub fn flatten(&mut self) -> Result<LayerId> {
        if self.stack.layers.is_empty() {
            return Err(Error::param("document", "there are no layers to flatten"));
        }
        // The composite (when it is not cached) and the layer copied from it.
        let (w, h) = (self.width(), self.height());
        let composite = if self.rendered().is_some() { 1 } else { 2 };
        self.check_memory("flattening", memory::rgba8(w, h) * composite)?;
        let pixels = self.composite_cpu()?.clone();
        let layer = Layer {
            text: None,
            id: self.take_id(),
            props: LayerProperties::named("Background"),
            pixels,
            mask: None,
        };
        let id = layer.id;
        let mut changes: Vec<Change> = (0..self.stack.layers.len())
            .rev()
            .map(|index| Change::Remove { index })
            .collect();
        changes.push(Change::Insert {
            index: 0,
            layer: Box::new(layer),
        });
        self.commit("Flatten Image", Change::Batch(changes));
        Ok(id)
    }

    /// Gives a layer a mask: `mask` (the layer's size), or white (reveal all).
    pub fn add_layer_mask(&mut self, id: LayerId, mask: Option<GrayImage>) -> Result<()> {
        let layer = self.layer(id)?;
        layer.check_unlocked("add a mask")?;
        if layer.mask.is_some() {
            return Err(Error::param(
                "layer",
                format!("'{}' already has a mask", layer.props.name),
            ));
        }
        let (w, h) = layer.pixels.dimensions();
        let mask = match mask {
            Some(mask) => {
                check_mask_size(&mask, &layer.pixels)?;
                mask
            }
            None => GrayImage::from_pixel(w, h, image::Luma([255])),
        };
        self.commit(
            "Add Layer Mask",
            Change::Mask {
                id,
                mask: Some(mask),
            },
        );
        Ok(())
    }

    /// Multiplies the mask into the layer's alpha and removes the mask.
    pub fn apply_layer_mask(&mut self, id: LayerId) -> Result<()> {
        let layer = self.layer(id)?;
        layer.check_pixels_editable("apply its mask")?;
        let Some(mask) = &layer.mask else {
            return Err(no_mask(layer));
        };
        let applied = apply_mask(&layer.pixels, mask);
        let (w, h) = layer.pixels.dimensions();
        let patch = TilePatch::from_region(
            id,
            Plane::Pixels,
            RasterRef {
                bytes: &layer.pixels,
                width: w,
                bytes_per_pixel: 4,
            },
            Rect::new(0, 0, w, h),
            &applied,
        );
        self.commit(
            "Apply Layer Mask",
            Change::Batch(vec![Change::Tiles(patch), Change::Mask { id, mask: None }]),
        );
        Ok(())
    }

    pub fn delete_layer_mask(&mut self, id: LayerId) -> Result<()> {
        let layer = self.layer(id)?;
        layer.check_unlocked("delete its mask")?;
        if layer.mask.is_none() {
            return Err(no_mask(layer));
        }
        self.commit("Delete Layer Mask", Change::Mask { id, mask: None });
        Ok(())
    }

    /// Makes `rect` (canvas coordinates, may reach beyond the canvas) the new
    /// canvas. Layers keep their pixels beyond the new edges, so a crop can
    /// be widened again later without loss.
    pub fn crop(&mut self, rect: Rect) -> Result<()> {
        check_dimensions(rect.width, rect.height)?;
        let change = self.canvas_change(rect.width, rect.height, (-rect.x, -rect.y));
        self.commit("Crop", change);
        Ok(())
    }

    /// Resizes the canvas to `width`×`height`, keeping the content at
    /// `anchor` (expanding adds transparent space; shrinking hides, not
    /// deletes, what falls outside).
    pub fn resize_canvas(&mut self, width: u32, height: u32, anchor: Anchor) -> Result<()> {
        check_dimensions(width, height)?;
        let shift = anchor.shift((self.width(), self.height()), (width, height));
        let change = self.canvas_change(width, height, shift);
        self.commit("Canvas Size", change);
        Ok(())
    }

    /// Adds `left`, `top`, `right` and `bottom` pixels of canvas and puts
    /// `pixels` (placed by `props.offset` on the new canvas) on top of the
    /// stack, as one history entry: an outpaint is undone as one step, back
    /// to the old canvas size. Existing layers only move, so their pixels
    /// stay bit-exact. Returns the new layer's id.
    pub fn extend_canvas_with_layer(
        &mut self,
        (left, top, right, bottom): (u32, u32, u32, u32),
        props: LayerProperties,
        pixels: RgbaImage,
    ) -> Result<LayerId> {
        props.validate()?;
        check_dimensions(pixels.width(), pixels.height())?;
        let grow = |old: u32, a: u32, b: u32| old.checked_add(a)?.checked_add(b);
        let (Some(width), Some(height)) = (
            grow(self.width(), left, right),
            grow(self.height(), top, bottom),
        ) else {
            return Err(Error::TooLarge("the extended canvas overflows".into()));
        };
        check_dimensions(width, height)?;
        let shift =
            |v: u32| i32::try_from(v).map_err(|_| Error::TooLarge(format!("{v} px is too far")));
        let canvas = self.canvas_change(width, height, (shift(left)?, shift(top)?));
        let id = self.take_id();
        let layer = Layer {
            text: None,
            id,
            props,
            pixels,
            mask: None,
        };
        let insert = Change::Insert {
            index: self.stack.layers.len(),
            layer: Box::new(layer),
        };
        self.commit("Generative Expand", Change::Batch(vec![canvas, insert]));
        Ok(id)
    }

    /// The change that resizes the canvas and moves its content by `shift`.
    /// Layers keep all their pixels (they only move), but the selection is
    /// canvas-sized, so it is cut or padded with "not selected" to the new
    /// canvas; history keeps the old selection whole, so undo is exact.
    fn canvas_change(&self, width: u32, height: u32, shift: (i32, i32)) -> Change {
        let canvas = Change::Canvas {
            width,
            height,
            shift,
        };
        match &self.stack.selection {
            None => canvas,
            Some(old) => {
                let mut moved = GrayImage::new(width, height);
                image::imageops::replace(&mut moved, old, shift.0.into(), shift.1.into());
                Change::Batch(vec![Change::Selection { mask: Some(moved) }, canvas])
            }
        }
    }

    /// Replaces the selection by `mask` (canvas-sized coverage, 255 =
    /// selected) or removes it (`None`), as one history entry named `name`
    /// ("Select", "Deselect", "Feather Selection", ...; empty picks "Select"
    /// or "Deselect"). The selection tools compute the mask; this makes it
    /// part of the document, so it is undoable and saved with the project.
    /// When a selection is replaced, only the 256×256 tiles that differ are
    /// kept, so adding a small marquee to a 4K selection costs those tiles.
    /// Setting the same selection again records nothing.
    pub fn set_selection(&mut self, mask: Option<GrayImage>, name: &str) -> Result<()> {
        let (width, height) = (self.width(), self.height());
        if let Some(mask) = &mask {
            if mask.dimensions() != (width, height) {
                return Err(Error::SizeMismatch(format!(
                    "the selection is {}×{} but the canvas is {width}×{height}",
                    mask.width(),
                    mask.height()
                )));
            }
        }
        let name = match (name, &mask) {
            ("", Some(_)) => "Select",
            ("", None) => "Deselect",
            (name, _) => name,
        };
        if let Some(change) = self.selection_change(mask) {
            self.commit(name, change);
        }
        Ok(())
    }

    /// The change that makes `mask` (canvas-sized) the selection: changed
    /// tiles when there is one already, `None` when nothing would change.
    pub(super) fn selection_change(&self, mask: Option<GrayImage>) -> Option<Change> {
        let (width, height) = (self.width(), self.height());
        match (&self.stack.selection, mask) {
            (None, None) => None,
            (Some(current), Some(mask)) => {
                let patch = TilePatch::from_region(
                    0,
                    Plane::Selection,
                    RasterRef {
                        bytes: current,
                        width,
                        bytes_per_pixel: 1,
                    },
                    Rect::new(0, 0, width, height),
                    &mask,
                );
                (!patch.is_empty()).then_some(Change::Tiles(patch))
            }
            (_, mask) => Some(Change::Selection { mask }),
        }
    }

    /// Writes `pixels` into a layer with their top-left at canvas position
    /// `at`; what falls outside the layer is ignored. This is how brush
    /// strokes and provider results land: `name` is the history entry
    /// ("Brush Stroke", "Generative Fill", ...). Only changed tiles are kept.
    pub fn paint_pixels(
        &mut self,
        id: LayerId,
        at: (i32, i32),
        pixels: &RgbaImage,
        name: &str,
    ) -> Result<()> {
        let area = Rect::new(at.0, at.1, pixels.width(), pixels.height());
        self.paint(id, Plane::Pixels, area, pixels, name)
    }

    /// Clears the selected pixels of a layer, as Photoshop's Delete does: each
    /// pixel's alpha keeps only the part the selection leaves uncovered
    /// (a soft edge clears partly). One history step, "Clear"; nothing
    /// selected on the layer is an error that changes nothing.
    pub fn clear_selected(&mut self, id: LayerId) -> Result<()> {
        let layer = self.layer(id)?;
        let nothing = || Error::param("selection", "nothing is selected on this layer");
        let selection = self.stack.selection.as_ref().ok_or_else(nothing)?;
        let selected = self.selection_bounds().ok_or_else(nothing)?;
        let part = selected.intersect(&layer.bounds()).ok_or_else(nothing)?;
        let (ox, oy) = layer.props.offset;
        let cleared = RgbaImage::from_fn(part.width, part.height, |px, py| {
            let (cx, cy) = (part.x + px as i32, part.y + py as i32);
            let mut pixel = *layer.pixels.get_pixel((cx - ox) as u32, (cy - oy) as u32);
            let kept = 255 - u32::from(selection.get_pixel(cx as u32, cy as u32)[0]);
            pixel[3] = ((u32::from(pixel[3]) * kept + 127) / 255) as u8;
            pixel
        });
        self.paint_pixels(id, (part.x, part.y), &cleared, "Clear")
    }

    /// Like [`Document::paint_pixels`], on the layer's mask.
    pub fn paint_mask(
        &mut self,
        id: LayerId,
        at: (i32, i32),
        values: &GrayImage,
        name: &str,
    ) -> Result<()> {
        let area = Rect::new(at.0, at.1, values.width(), values.height());
        self.paint(id, Plane::Mask, area, values, name)
    }

    fn paint(
        &mut self,
        id: LayerId,
        plane: Plane,
        area: Rect,
        bytes: &[u8],
        name: &str,
    ) -> Result<()> {
        let layer = self.layer(id)?;
        match plane {
            Plane::Pixels => layer.check_pixels_editable("paint on it")?,
            _ => layer.check_unlocked("paint on it")?,
        }
        let raster: &[u8] = match plane {
            Plane::Pixels => &layer.pixels,
            Plane::Mask => layer.mask.as_ref().ok_or_else(|| no_mask(layer))?,
            Plane::Selection => unreachable!("the selection is changed by set_selection"),
        };
        let bounds = layer.bounds();
        let Some(part) = area.intersect(&bounds) else {
            return Err(Error::param(
                "region",
                format!(
                    "{}×{} at {},{} lies outside layer '{}'",
                    area.width, area.height, area.x, area.y, layer.props.name
                ),
            ));
        };
        let bpp = plane.bytes_per_pixel();
        let clipped = if part == area {
            bytes.to_vec()
        } else {
            let mut out = Vec::with_capacity(part.area() as usize * bpp);
            for y in part.y..part.y + part.height as i32 {
                let start = ((y - area.y) as usize * area.width as usize
                    + (part.x - area.x) as usize)
                    * bpp;
                out.extend_from_slice(&bytes[start..start + part.width as usize * bpp]);
            }
            out
        };
        let patch = TilePatch::from_region(
            id,
            plane,
            RasterRef {
                bytes: raster,
                width: bounds.width,
                bytes_per_pixel: bpp,
            },
            part.translated(-bounds.x, -bounds.y),
            &clipped,
        );
        if !patch.is_empty() {
            let name = if name.is_empty() { "Paint" } else { name };
            self.commit(name, Change::Tiles(patch));
        }
        Ok(())
    }
}

/// The history name of a properties change, `None` when nothing changed.
fn properties_entry_name(old: &LayerProperties, new: &LayerProperties) -> Option<&'static str> {
    let changes = [
        (old.name != new.name, "Rename Layer"),
        (
            old.visible != new.visible,
            if new.visible {
                "Show Layer"
            } else {
                "Hide Layer"
            },
        ),
        (old.opacity != new.opacity, "Layer Opacity"),
        (old.mode != new.mode, "Blend Mode"),
        (
            old.locked != new.locked,
            if new.locked {
                "Lock Layer"
            } else {
                "Unlock Layer"
            },
        ),
        (old.offset != new.offset, "Move Layer Position"),
    ];
    let mut changed = changes.iter().filter(|(changed, _)| *changed);
    let first = changed.next()?;
    Some(if changed.next().is_some() {
        "Layer Properties"
    } else {
        first.1
    })
}

fn check_mask_size(mask: &GrayImage, pixels: &RgbaImage) -> Result<()> {
    if mask.dimensions() != pixels.dimensions() {
        return Err(Error::SizeMismatch(format!(
            "the mask is {}×{} but the layer is {}×{}",
            mask.width(),
            mask.height(),
            pixels.width(),
            pixels.height()
        )));
    }
    Ok(())
}

fn no_mask(layer: &Layer) -> Error {
    Error::param("layer", format!("'{}' has no layer mask", layer.props.name))
}
