//! A document's layers held on the GPU between full recompositions.
//!
//! Recomposing on the GPU layer by layer uploads the backdrop and the layer
//! and reads the backdrop back for every layer. Here each visible layer's
//! pixels and mask stay in GPU buffers while the document lives on that
//! device: a render re-uploads only the rows edits changed since the last one
//! (every edit marks the canvas area it changed — the record the CPU's region
//! path relies on too), composites the whole stack in one submission, and
//! reads the canvas back once.

use super::geometry::{DirtyRegion, Rect};
use super::layer::{Layer, LayerId};
use super::render::{shown, Preview};
use super::stack::LayerStack;
use crate::engine::GpuContext;
use crate::ops::blend::{composite_stack_gpu, GpuLayer};
use crate::Result;
use image::RgbaImage;
use std::collections::HashMap;

/// The held copies, and what of them edits have made stale.
#[derive(Debug)]
pub(crate) struct ResidentLayers {
    /// The device the copies live on: another engine's device starts afresh.
    device: wgpu::Device,
    held: HashMap<LayerId, Held>,
    /// The canvas area edits changed since the copies were last brought up to date.
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
            stale: DirtyRegion::default(),
        }
    }

    /// Whether the copies live on `gpu`'s device.
    pub fn is_on(&self, gpu: &GpuContext) -> bool {
        self.device == *gpu.device()
    }

    /// Records what an edit changed, for the next [`ResidentLayers::compose`].
    pub fn note(&mut self, dirty: &DirtyRegion) {
        if dirty.everything {
            self.stale.add_everything();
        }
        if let Some(rect) = dirty.rect {
            self.stale.add(rect);
        }
    }

    /// Brings the held copies up to date with `stack` and composites it as
    /// `preview` shows it. `None` (and nothing changed) when the canvas or a
    /// layer is too large to bind whole: the caller takes the banded path.
    pub async fn compose(
        &mut self,
        gpu: &GpuContext,
        stack: &LayerStack,
        preview: Option<&Preview>,
    ) -> Result<Option<RgbaImage>> {
        let visible = || stack.layers.iter().filter(|l| !l.is_invisible());
        let stand_in = match preview {
            Some(Preview::StandIn(layer)) => Some(&**layer),
            _ => None,
        };
        let fits = |l: &Layer| GpuLayer::fits(gpu, l.pixels.width(), l.pixels.height());
        if !GpuLayer::fits(gpu, stack.width, stack.height) || !visible().chain(stand_in).all(fits) {
            return Ok(None);
        }
        self.bring_up_to_date(gpu, visible());
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
        composite_stack_gpu(gpu, (stack.width, stack.height), &layers)
            .await
            .map(Some)
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

/// The rows of a layer at `bounds` that `rect` (inside them) covers.
fn layer_rows(rect: Rect, bounds: Rect) -> std::ops::Range<u32> {
    (rect.y - bounds.y) as u32..(rect.bottom() - i64::from(bounds.y)) as u32
}
