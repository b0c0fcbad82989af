//! A document's layers held on the GPU between full recompositions.
//!
//! Recomposing on the GPU layer by layer uploads the backdrop and the layer
//! and reads the backdrop back for every layer. Here each visible layer's
//! pixels and mask stay in GPU buffers while the document lives on that
//! device: a render re-uploads only the rows edits changed since the last one
//! (every edit marks the canvas area it changed — the record the CPU's region
//! path relies on too) and recomposes that area of a canvas also held there,
//! in one submission. The page presents that canvas straight from the GPU;
//! other callers read it back once.

use super::geometry::{DirtyRegion, Rect};
use super::layer::{Layer, LayerId};
use super::render::{shown, Preview};
use super::stack::LayerStack;
use crate::engine::GpuContext;
use crate::ops::blend::{composite_stack_into, GpuCanvas, GpuLayer};
use crate::ops::dab::DirtyRect;
use crate::Result;
use image::RgbaImage;
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
    /// whole on `gpu` (else the banded path serves them).
    pub fn can_hold(gpu: &GpuContext, stack: &LayerStack, preview: Option<&Preview>) -> bool {
        let fits = |l: &Layer| GpuLayer::fits(gpu, l.pixels.width(), l.pixels.height());
        GpuLayer::fits(gpu, stack.width, stack.height)
            && stack
                .layers
                .iter()
                .filter(|l| !l.is_invisible())
                .chain(stand_in_of(preview))
                .all(fits)
    }

    /// The composite held on the GPU, when [`ResidentLayers::recompose`]
    /// made one (current as of its last call).
    pub fn canvas(&self) -> Option<&GpuCanvas> {
        self.canvas.as_ref()
    }

    /// Brings the held copies up to date with `stack` and recomposes, on
    /// the GPU and in one submission, the area of the held canvas that
    /// edits changed since the last call (all of it the first time, or when
    /// the canvas changed size): that area, or `None` when the canvas was
    /// current. Nothing is read back. The caller has checked
    /// [`ResidentLayers::can_hold`].
    pub async fn recompose(
        &mut self,
        gpu: &GpuContext,
        stack: &LayerStack,
        preview: Option<&Preview>,
    ) -> Result<Option<Rect>> {
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
        let area = if self.stale.everything {
            Some(canvas_rect)
        } else {
            self.stale.rect.and_then(|r| r.intersect(&canvas_rect))
        };
        self.bring_up_to_date(gpu, visible());
        let Some(area) = area else {
            return Ok(None);
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
        Ok(Some(area))
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
        self.recompose(gpu, stack, preview).await?;
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
            let copy = match self.held.remove(&layer.id) {
                Some(h)
                    if h.offset == layer.props.offset && h.copy.matches(&layer.pixels, mask) =>
                {
                    let bounds = layer.bounds();
                    if let Some(rows) = stale.rect.and_then(|r| r.intersect(&bounds)) {
                        h.copy
                            .update_rows(gpu, &layer.pixels, mask, layer_rows(rows, bounds));
                    }
                    h.copy
                }
                _ => GpuLayer::upload(gpu, &layer.pixels, mask),
            };
            let offset = layer.props.offset;
            held.insert(layer.id, Held { offset, copy });
        }
        self.held = held;
    }
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
