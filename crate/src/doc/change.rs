//! The reversible primitive edits every document command is made of.
//!
//! Applying a [`Change`] returns its inverse, built from the data it displaced:
//! removing a layer returns "insert this layer", swapping tiles returns the old
//! tiles. History keeps only that inverse, so the data of an edit lives either
//! in the document or in history, never in both; undo and redo are the same
//! call. Commands check every precondition before building a change, so
//! applying one cannot fail.

use super::brand_type::{BrandFont, NamedTextStyle};
use super::geometry::DirtyRegion;
use super::layer::{Layer, LayerId, LayerProperties};
use super::stack::LayerStack;
use super::text::TextLayer;
use super::tiles::{Plane, TilePatch};
use image::GrayImage;

/// One reversible edit; see the module docs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    Insert {
        index: usize,
        layer: Box<Layer>,
    },
    Remove {
        index: usize,
    },
    Move {
        from: usize,
        to: usize,
    },
    Properties {
        id: LayerId,
        props: Box<LayerProperties>,
    },
    Mask {
        id: LayerId,
        mask: Option<GrayImage>,
    },
    Tiles(TilePatch),
    /// Sets a text layer's source and anchor (its pixels change by a
    /// [`Change::Tiles`] beside it: typing re-renders only changed glyphs).
    Text {
        id: LayerId,
        text: Box<TextLayer>,
    },
    /// Replaces the whole selection: used when one appears or disappears
    /// (select after none, deselect) and when the canvas size changes;
    /// changes of an existing selection are [`Change::Tiles`] patches.
    Selection {
        mask: Option<GrayImage>,
    },
    /// Sets the canvas size and moves every layer by `shift`.
    Canvas {
        width: u32,
        height: u32,
        shift: (i32, i32),
    },
    /// Sets the brand kit's style text and palette.
    BrandText {
        style: String,
        palette: Vec<[u8; 3]>,
    },
    /// Inserts a brand reference image (normalised PNG bytes).
    InsertReference {
        index: usize,
        png: Vec<u8>,
    },
    RemoveReference {
        index: usize,
    },
    /// Sets the brand kit's fonts and named text styles (the font files are
    /// shared, so this costs a few bytes each).
    BrandType {
        fonts: Vec<BrandFont>,
        styles: Vec<NamedTextStyle>,
    },
    /// Several changes applied in order (undone in reverse).
    Batch(Vec<Change>),
}

/// Rough bookkeeping cost of a change beyond its pixel data.
const CHANGE_OVERHEAD: usize = 64;

impl Change {
    /// Applies the change, marks what it altered as dirty, and returns the
    /// change that reverts it.
    pub fn apply(self, stack: &mut LayerStack, dirty: &mut DirtyRegion) -> Change {
        match self {
            Change::Insert { index, layer } => {
                // A layer of the same id may have been here before: its
                // pixels are new wherever it lies.
                dirty.add_layer(layer.id, layer.bounds());
                stack.layers.insert(index, *layer);
                Change::Remove { index }
            }
            Change::Remove { index } => {
                let layer = stack.layers.remove(index);
                dirty.add_layer(layer.id, layer.bounds());
                Change::Insert {
                    index,
                    layer: Box::new(layer),
                }
            }
            Change::Move { from, to } => {
                let layer = stack.layers.remove(from);
                dirty.add_arrangement(layer.bounds());
                stack.layers.insert(to, layer);
                Change::Move { from: to, to: from }
            }
            Change::Properties { id, mut props } => {
                let layer = stack.recorded_layer(id);
                let before = layer.bounds();
                std::mem::swap(&mut layer.props, &mut props);
                dirty.add_arrangement(before.union(&layer.bounds()));
                Change::Properties { id, props }
            }
            Change::Mask { id, mut mask } => {
                let layer = stack.recorded_layer(id);
                std::mem::swap(&mut layer.mask, &mut mask);
                dirty.add_layer(id, layer.bounds());
                Change::Mask { id, mask }
            }
            Change::Text { id, mut text } => {
                // Not drawn by itself: the pixels' patch marks what changed.
                let layer = stack.recorded_layer(id);
                let kept = layer
                    .text
                    .as_mut()
                    .expect("text changes target text layers");
                std::mem::swap(kept, &mut text);
                Change::Text { id, text }
            }
            Change::Selection { mut mask } => {
                // The selection is not drawn into the composite: nothing dirty.
                std::mem::swap(&mut stack.selection, &mut mask);
                Change::Selection { mask }
            }
            Change::Tiles(mut patch) if patch.plane == Plane::Selection => {
                let width = stack.width;
                let selection = stack
                    .selection
                    .as_mut()
                    .expect("selection patches are recorded while there is a selection");
                patch.swap(selection, width);
                Change::Tiles(patch)
            }
            Change::Tiles(mut patch) => {
                let layer = stack.recorded_layer(patch.layer);
                let width = layer.pixels.width();
                match patch.plane {
                    Plane::Pixels => patch.swap(&mut layer.pixels, width),
                    Plane::Mask => patch.swap(
                        layer
                            .mask
                            .as_mut()
                            .expect("mask patches target masked layers"),
                        width,
                    ),
                    Plane::Selection => unreachable!("handled above"),
                }
                if let Some(changed) = patch.bounds() {
                    let (x, y) = layer.props.offset;
                    dirty.add_layer(patch.layer, changed.translated(x, y));
                }
                Change::Tiles(patch)
            }
            Change::Canvas {
                width,
                height,
                shift,
            } => {
                let old = (stack.width, stack.height);
                stack.width = width;
                stack.height = height;
                for layer in &mut stack.layers {
                    layer.props.offset.0 += shift.0;
                    layer.props.offset.1 += shift.1;
                }
                dirty.add_everything();
                Change::Canvas {
                    width: old.0,
                    height: old.1,
                    shift: (-shift.0, -shift.1),
                }
            }
            // The brand kit is not drawn: nothing dirty.
            Change::BrandText {
                mut style,
                mut palette,
            } => {
                std::mem::swap(&mut stack.brand.style, &mut style);
                std::mem::swap(&mut stack.brand.palette, &mut palette);
                Change::BrandText { style, palette }
            }
            Change::InsertReference { index, png } => {
                stack.brand.references.insert(index, png);
                Change::RemoveReference { index }
            }
            Change::RemoveReference { index } => Change::InsertReference {
                index,
                png: stack.brand.references.remove(index),
            },
            Change::BrandType {
                mut fonts,
                mut styles,
            } => {
                std::mem::swap(&mut stack.brand.fonts, &mut fonts);
                std::mem::swap(&mut stack.brand.text_styles, &mut styles);
                Change::BrandType { fonts, styles }
            }
            Change::Batch(changes) => {
                let mut inverses: Vec<Change> =
                    changes.into_iter().map(|c| c.apply(stack, dirty)).collect();
                inverses.reverse();
                Change::Batch(inverses)
            }
        }
    }

    /// One change doing what `self` then `older` do (undoing a typed edit,
    /// then the typing before it), as one flat batch. Once the batch starts
    /// by putting a layer back whole, a newer change to that layer alone
    /// adds nothing (the layer is replaced afterwards anyway) and is left
    /// out, so typing that re-renders a whole layer keeps one copy of it.
    pub fn followed_by_older(self, older: Change) -> Change {
        let parts = |change: Change| match change {
            Change::Batch(parts) => parts,
            single => vec![single],
        };
        let older = parts(older);
        if let [Change::Remove { index }, Change::Insert { index: at, layer }, ..] =
            older.as_slice()
        {
            if index == at && self.only_changes_layer(*index, layer.id) {
                return Change::Batch(older);
            }
        }
        let mut merged = parts(self);
        merged.extend(older);
        Change::Batch(merged)
    }

    /// Whether the change alters layer `id` (at `index`) and nothing else.
    fn only_changes_layer(&self, index: usize, id: LayerId) -> bool {
        match self {
            Change::Tiles(patch) => patch.plane != Plane::Selection && patch.layer == id,
            Change::Text { id: changed, .. } | Change::Properties { id: changed, .. } => {
                *changed == id
            }
            Change::Remove { index: removed } => *removed == index,
            Change::Insert { index: at, layer } => *at == index && layer.id == id,
            Change::Batch(parts) => parts.iter().all(|p| p.only_changes_layer(index, id)),
            _ => false,
        }
    }

    /// Bytes this change keeps alive, for the history budget.
    pub fn bytes(&self) -> usize {
        CHANGE_OVERHEAD
            + match self {
                Change::Insert { layer, .. } => layer.pixel_bytes() + layer.props.name.len(),
                Change::Properties { props, .. } => props.name.len(),
                Change::Mask { mask, .. } | Change::Selection { mask } => {
                    mask.as_ref().map_or(0, |m| m.as_raw().len())
                }
                Change::Tiles(patch) => patch.bytes(),
                Change::Text { text, .. } => text.source.text.len(),
                Change::Batch(changes) => changes.iter().map(Change::bytes).sum(),
                Change::BrandText { style, palette } => style.len() + palette.len() * 3,
                Change::InsertReference { png, .. } => png.len(),
                Change::BrandType { fonts, styles } => {
                    (fonts.len() + styles.len()) * CHANGE_OVERHEAD
                        + fonts.iter().map(|f| f.licence.len()).sum::<usize>()
                }
                Change::Remove { .. }
                | Change::Move { .. }
                | Change::Canvas { .. }
                | Change::RemoveReference { .. } => 0,
            }
    }
}
