//! A document's layers held on the GPU between full recompositions.
//!
//! Recomposing on the GPU layer by layer uploads the backdrop and the layer
//! and reads the backdrop back for every layer. Here each visible layer's
//! pixels and mask stay in GPU buffers while the document lives on that
//! device: a render re-uploads only the rows edits changed since the last one
//! (every edit marks the canvas area it changed — the record the CPU's region
//! path relies on too — and, where it knows, whose pixels: an edit of one
//! layer re-uploads that layer's rows alone, a change of opacity or order
//! none) and recomposes that area of a canvas also held there, in one
//! submission. The page presents that canvas straight from the GPU;
//! other callers read it back once.
//!
//! A stroke painted live is painted here too: the held copy of its layer
//! gets each render's new dabs on the GPU ([`GpuLiveStroke`], kept beside
//! the copy for the stroke's life), while the layer on the CPU waits for
//! them until something reads it (see [`super::Document::render_held`]).

use super::geometry::{DirtyRegion, LayerChanged, Rect};
use super::layer::{Layer, LayerId};
use super::paint::to_canvas;
use super::render::{shown, Preview};
use super::stack::LayerStack;
use crate::engine::GpuContext;
use crate::ops::blend::{composite_stack_into, GpuCanvas, GpuLayer};
use crate::ops::dab::DirtyRect;
use crate::ops::paint::{GpuLiveStroke, LiveStroke, PlacedDabs};
use crate::Result;
use image::{GrayImage, RgbaImage};
use std::collections::HashMap;

/// The held copies, and what of them edits have made stale.
#[derive(Debug)]
pub(crate) struct ResidentLayers {
    /// The device the copies live on: another engine's device starts afresh.
    device: wgpu::Device,
    held: HashMap<LayerId, Held>,
    /// The composite of the held copies, once one was made.
    canvas: Option<GpuCanvas>,
    /// The canvas area edits changed since the copies (and the canvas)
    /// were last brought up to date.
    stale: DirtyRegion,
}

#[derive(Debug)]
struct Held {
    offset: (i32, i32),
    copy: GpuLayer,
    /// The stroke being painted into `copy`, from its first dab painted
    /// there: a new copy (a whole upload) starts without one.
    stroke: Option<GpuLiveStroke>,
}

/// The open stroke's dabs placed since the last render, to paint in the
/// held copy of its layer.
pub(crate) struct StrokeDabs<'a> {
    pub layer: LayerId,
    pub stroke: &'a LiveStroke,
    /// Whether none of the stroke's dabs is painted anywhere yet, so the
    /// held copy, once current, is the layer as it was before the stroke.
    pub first: bool,
    /// The dabs each call placed, with the selection over their rectangle
    /// when there is one.
    pub placed: Vec<(PlacedDabs, Option<GrayImage>)>,
}

/// What [`ResidentLayers::recompose`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recomposed {
    /// The canvas area recomposed, `None` when the canvas was current.
    pub area: Option<Rect>,
    /// Whether the stroke's dabs were painted in the held copy (else they
    /// are the CPU's to paint).
    pub painted: bool,
}

impl ResidentLayers {
    pub fn new(gpu: &GpuContext) -> ResidentLayers {
        ResidentLayers {
            device: gpu.device().clone(),
            held: HashMap::new(),
            canvas: None,
            stale: DirtyRegion::default(),
        }
    }

    /// Whether the copies live on `gpu`'s device.
    pub fn is_on(&self, gpu: &GpuContext) -> bool {
        self.device == *gpu.device()
    }

    /// Records what an edit changed, for the next [`ResidentLayers::recompose`].
    pub fn note(&mut self, dirty: &DirtyRegion) {
        self.stale.merge(dirty);
    }

    /// Whether the canvas and every layer `preview` shows can each be bound
    /// whole on `gpu`, and all of them held within [`HELD_BUDGET_BYTES`]
    /// (else the banded path serves them).
    pub fn can_hold(gpu: &GpuContext, stack: &LayerStack, preview: Option<&Preview>) -> bool {
        ResidentLayers::can_hold_within(gpu, stack, preview, HELD_BUDGET_BYTES)
    }

    /// [`ResidentLayers::can_hold`] within a budget of `budget` bytes.
    pub(super) fn can_hold_within(
        gpu: &GpuContext,
        stack: &LayerStack,
        preview: Option<&Preview>,
        budget: u64,
    ) -> bool {
        let fits = |l: &Layer| GpuLayer::fits(gpu, l.pixels.width(), l.pixels.height());
        GpuLayer::fits(gpu, stack.width, stack.height)
            && held_layers(stack, preview).all(fits)
            && held_bytes(stack, preview) <= budget
    }

    /// The composite held on the GPU, when [`ResidentLayers::recompose`]
    /// made one (current as of its last call).
    pub fn canvas(&self) -> Option<&GpuCanvas> {
        self.canvas.as_ref()
    }

    /// Brings the held copies up to date with `stack`, paints `dabs` (when
    /// given) in the held copy of their layer when it can, and recomposes,
    /// on the GPU and in one submission, the area of the held canvas that
    /// changed since the last call (all of it the first time, or when the
    /// canvas changed size). Nothing is read back. The caller has checked
    /// [`ResidentLayers::can_hold`].
    pub async fn recompose(
        &mut self,
        gpu: &GpuContext,
        stack: &LayerStack,
        preview: Option<&Preview>,
        dabs: Option<StrokeDabs<'_>>,
    ) -> Result<Recomposed> {
        debug_assert!(ResidentLayers::can_hold(gpu, stack, preview));
        let visible = || stack.layers.iter().filter(|l| !l.is_invisible());
        let stand_in = stand_in_of(preview);
        let canvas_rect = Rect::new(0, 0, stack.width, stack.height);
        let size = (stack.width, stack.height);
        if self.canvas.as_ref().is_none_or(|c| c.size() != size) {
            // The old canvas goes first, so two are never held.
            self.canvas = None;
            self.canvas = Some(GpuCanvas::new(gpu, size));
            self.stale.add_everything();
        }
        let mut area = if self.stale.everything {
            Some(canvas_rect)
        } else {
            self.stale.rect.and_then(|r| r.intersect(&canvas_rect))
        };
        self.bring_up_to_date(gpu, visible());
        let painted = match dabs {
            Some(dabs) => self.paint(gpu, dabs).await,
            None => Ok(None),
        };
        let painted = match painted {
            Ok(painted) => painted,
            Err(error) => {
                // What the copy holds is unknown now: all of it is stale.
                self.stale.add_everything();
                return Err(error);
            }
        };
        if let Some(dabs_area) = painted.and_then(|a| a.intersect(&canvas_rect)) {
            area = Some(area.map_or(dabs_area, |a| a.union(&dabs_area)));
        }
        let painted = painted.is_some();
        let Some(area) = area else {
            return Ok(Recomposed {
                area: None,
                painted,
            });
        };
        // The stand-in is shown for a moment only: uploaded, never held.
        let stand_in_copy = stand_in.map(|l| GpuLayer::upload(gpu, &l.pixels, l.mask.as_ref()));
        let layers: Vec<_> = shown(stack, preview)
            .filter(|l| !l.is_invisible())
            .map(|layer| {
                let copy = match (stand_in, &stand_in_copy) {
                    (Some(s), Some(copy)) if std::ptr::eq(s, layer) => copy,
                    _ => &self.held[&layer.id].copy,
                };
                (copy, layer.props.composite_options())
            })
            .collect();
        let canvas = self.canvas.as_ref().expect("made above");
        let within = DirtyRect {
            x: area.x as u32,
            y: area.y as u32,
            width: area.width,
            height: area.height,
        };
        if let Err(error) = composite_stack_into(gpu, canvas, within, &layers).await {
            // What the canvas holds there is unknown now: all of it is stale.
            self.stale.add_everything();
            return Err(error);
        }
        Ok(Recomposed {
            area: Some(area),
            painted,
        })
    }

    /// Paints `dabs` in the held copy of their layer: returns the canvas
    /// area they changed, or `None` (nothing done) when that copy is not
    /// held, or was made afresh since the stroke's earlier dabs were painted
    /// in it.
    async fn paint(&mut self, gpu: &GpuContext, dabs: StrokeDabs<'_>) -> Result<Option<Rect>> {
        let Some(held) = self.held.get_mut(&dabs.layer) else {
            return Ok(None);
        };
        if dabs.first {
            held.stroke = Some(GpuLiveStroke::begin(gpu, dabs.stroke, held.copy.pixels()));
        }
        let Some(live) = &held.stroke else {
            return Ok(None);
        };
        let pixels = held.copy.pixels();
        let mut changed: Option<Rect> = None;
        for (placed, selection) in &dabs.placed {
            live.paint(gpu, dabs.stroke, pixels, placed, selection.as_ref())
                .await?;
            let area = to_canvas(held.offset, placed.rect);
            changed = Some(changed.map_or(area, |c| c.union(&area)));
        }
        Ok(changed)
    }

    /// The held copy of `layer` when it is current: held on `gpu` in the
    /// layer's shape and place, with no edit of the layer since it was
    /// brought up to date (neither in the record kept here nor in
    /// `pending`, the edits not passed on yet) and no stroke painted in it.
    /// A kernel may then change the copy as the edit it is part of changes
    /// the layer, and the record of that edit be forgotten (see
    /// [`DirtyRegion::forget_layer_change`]): the copy is not uploaded again.
    pub fn current_copy(
        &self,
        gpu: &GpuContext,
        layer: &Layer,
        pending: &DirtyRegion,
    ) -> Option<&GpuLayer> {
        let held = self.held.get(&layer.id).filter(|_| self.is_on(gpu))?;
        let unchanged = [&self.stale, pending]
            .iter()
            .all(|record| record.layer_changed(layer.id) == LayerChanged::Nowhere);
        let current = unchanged
            && held.stroke.is_none()
            && held.offset == layer.props.offset
            && held.copy.matches(&layer.pixels, layer.mask.as_ref());
        current.then_some(&held.copy)
    }

    /// Drops what a stroke kept on the GPU, once it has ended.
    pub fn forget_stroke(&mut self) {
        for held in self.held.values_mut() {
            held.stroke = None;
        }
    }

    /// Brings the held canvas up to date (see [`ResidentLayers::recompose`])
    /// and reads it back whole, once. `None` (and nothing changed) when the
    /// canvas or a layer is too large to bind whole.
    pub async fn compose(
        &mut self,
        gpu: &GpuContext,
        stack: &LayerStack,
        preview: Option<&Preview>,
    ) -> Result<Option<RgbaImage>> {
        if !ResidentLayers::can_hold(gpu, stack, preview) {
            return Ok(None);
        }
        self.recompose(gpu, stack, preview, None).await?;
        let canvas = self.canvas.as_ref().expect("recomposed above");
        canvas.read_rows(gpu, 0..stack.height).await.map(Some)
    }

    /// Holds a copy of each of `layers` (and no other): the stale rows of
    /// those held already, a whole upload for new ones or ones whose shape
    /// or place changed.
    fn bring_up_to_date<'a>(&mut self, gpu: &GpuContext, layers: impl Iterator<Item = &'a Layer>) {
        let stale = std::mem::take(&mut self.stale);
        if stale.everything {
            self.held.clear();
        }
        let mut held = HashMap::with_capacity(self.held.len());
        for layer in layers {
            let mask = layer.mask.as_ref();
            let kept = match self.held.remove(&layer.id) {
                Some(h)
                    if h.offset == layer.props.offset && h.copy.matches(&layer.pixels, mask) =>
                {
                    let bounds = layer.bounds();
                    // (Everything stale cleared every copy above.)
                    let changed = match stale.layer_changed(layer.id) {
                        LayerChanged::Within(rect) => rect.intersect(&bounds),
                        LayerChanged::Nowhere | LayerChanged::Everywhere => None,
                    };
                    if let Some(rows) = changed {
                        h.copy
                            .update_rows(gpu, &layer.pixels, mask, layer_rows(rows, bounds));
                    }
                    h
                }
                _ => Held {
                    offset: layer.props.offset,
                    copy: GpuLayer::upload(gpu, &layer.pixels, mask),
                    stroke: None,
                },
            };
            held.insert(layer.id, kept);
        }
        self.held = held;
    }
}

/// The most the held layers, their masks and the canvas may take on the
/// GPU together. WebGPU tells nothing of a device's memory; 2 GiB holds a
/// 48 MP photo with eight layers, or a 24 MP one with twenty, on any GPU
/// with memory to spare for the page's other work. A larger document is
/// served by the banded path, which holds one band at a time.
const HELD_BUDGET_BYTES: u64 = 2 << 30;

/// The layers held while `preview` shows: the visible ones, and the stand-in.
fn held_layers<'a>(
    stack: &'a LayerStack,
    preview: Option<&'a Preview>,
) -> impl Iterator<Item = &'a Layer> {
    stack
        .layers
        .iter()
        .filter(|l| !l.is_invisible())
        .chain(stand_in_of(preview))
}

/// What holding `stack` as `preview` shows it takes on the GPU, in bytes.
pub(super) fn held_bytes(stack: &LayerStack, preview: Option<&Preview>) -> u64 {
    let canvas = u64::from(stack.width) * u64::from(stack.height) * 4;
    canvas
        + held_layers(stack, preview)
            .map(|l| {
                let (width, height) = l.pixels.dimensions();
                let mask = l.mask.as_ref().map_or(0, |_| 1);
                u64::from(width) * u64::from(height) * (4 + mask)
            })
            .sum::<u64>()
}

/// The layer a preview shows in another's place, if any.
fn stand_in_of(preview: Option<&Preview>) -> Option<&Layer> {
    match preview {
        Some(Preview::StandIn(layer)) => Some(layer),
        _ => None,
    }
}

/// The rows of a layer at `bounds` that `rect` (inside them) covers.
fn layer_rows(rect: Rect, bounds: Rect) -> std::ops::Range<u32> {
    (rect.y - bounds.y) as u32..(rect.bottom() - i64::from(bounds.y)) as u32
}
