//! Compositing the layer stack, and keeping the composite up to date by
//! recomposing only what edits made dirty.
//!
//! Every edit marks the canvas rectangle it changed (see [`DirtyRegion`]).
//! Bringing the composite up to date then clears that rectangle and blends
//! every visible layer's overlapping part into it, bottom to top, through the
//! compositor of [`crate::ops::blend`]. Layers are composited onto the whole
//! canvas-sized image at their true offsets, so position-dependent modes
//! (dissolve's pattern) give exactly what a full recomposition gives.
//!
//! Small dirty rectangles are recomposed on the CPU: for a brush dab, a GPU
//! upload and read-back costs more than the blending. A full recomposition
//! (first render, canvas change, or a dirty area above a quarter of the
//! canvas) runs on the engine, so on the GPU when there is one — from the
//! layers held there between renders ([`super::resident`]), brought up to
//! date by the rows edits changed, in one submission and one read-back; GPU
//! and CPU results agree within the compositor's ±1 parity contract.
//!
//! A view that presents straight from the GPU (the page's WebGPU canvas)
//! renders with [`CompositeCache::render_held`] instead: every change, a
//! dab's as well as a full one, is recomposed in the canvas held on the GPU
//! and nothing comes back; a live stroke's dabs are painted there too, in
//! the held copy of the layer (see [`super::paint`]). The CPU composite then
//! lags where the GPU recomposed (`behind`); whatever reads it on the CPU
//! first recomposes that area there ([`CompositeCache::catch_up_cpu`]), so
//! saving, exporting and the CPU-only tools always see the current document.

use super::geometry::{DirtyRegion, Rect};
use super::layer::{Layer, LayerId};
use super::resident::{Recomposed, ResidentLayers, StrokeDabs};
use super::stack::LayerStack;
use crate::engine::{Engine, GpuContext};
use crate::ops::blend::{self, composite_cpu_in_place, GpuCanvas, GpuLayer};
use crate::Result;
use image::{GrayImage, RgbaImage};
use std::borrow::Cow;

/// A dirty area above this fraction of the canvas is recomposed in full.
const FULL_RECOMPOSE_DIVISOR: u64 = 4;

/// The cached composite and what of it is stale.
#[derive(Debug, Default)]
pub(crate) struct CompositeCache {
    pub image: Option<RgbaImage>,
    pub dirty: DirtyRegion,
    /// Where `image` lags the composite held on the GPU: areas recomposed
    /// there for a view that presents from it, not brought to the CPU.
    behind: DirtyRegion,
    /// How a tool's preview shows one layer meanwhile (display only).
    pub preview: Option<Preview>,
    /// The layers held on the GPU, once a full recomposition ran there.
    resident: Option<ResidentLayers>,
    /// Whether the last render was held on the GPU for a view presenting
    /// it: a stroke begun now is painted there too.
    held_view: bool,
}

/// How the composite shows one layer while a tool previews a change to it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Preview {
    /// Left out: Free Transform draws the layer under its matrix over the canvas.
    Hidden(LayerId),
    /// Shown as this stand-in with the same id: the layer with the hole a
    /// floating selection leaves while Free Transform draws the float.
    StandIn(Box<Layer>),
}

impl Preview {
    pub fn layer(&self) -> LayerId {
        match self {
            Preview::Hidden(id) => *id,
            Preview::StandIn(layer) => layer.id,
        }
    }
}

/// The stack's layers, bottom first, as `preview` shows them.
pub(super) fn shown<'a>(
    stack: &'a LayerStack,
    preview: Option<&'a Preview>,
) -> impl Iterator<Item = &'a Layer> {
    stack.layers.iter().filter_map(move |layer| match preview {
        Some(Preview::Hidden(id)) if *id == layer.id => None,
        Some(Preview::StandIn(stand_in)) if stand_in.id == layer.id => Some(&**stand_in),
        _ => Some(layer),
    })
}

/// What [`CompositeCache::render_held`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The held canvas is current; the area recomposed (none when nothing
    /// had changed).
    Recomposed(Option<Rect>),
    /// The document is too large to hold whole on this device: nothing was
    /// done, render it through [`CompositeCache::render`].
    TooLarge,
}

/// What a render has to do.
enum Work {
    Nothing,
    Region(Rect),
    Everything,
}

impl CompositeCache {
    /// What bringing the CPU composite up to date takes: what edits made
    /// dirty and what was rendered on the GPU only.
    fn work(&self, stack: &LayerStack) -> Work {
        let mut stale = self.dirty.clone();
        stale.merge(&self.behind);
        self.work_for(stack, &stale)
    }

    /// What recomposing `stale` on the CPU takes.
    fn work_for(&self, stack: &LayerStack, stale: &DirtyRegion) -> Work {
        let canvas = Rect::new(0, 0, stack.width, stack.height);
        let size_matches = self
            .image
            .as_ref()
            .is_some_and(|i| i.dimensions() == (stack.width, stack.height));
        if !size_matches || stale.everything {
            return Work::Everything;
        }
        match stale.rect.and_then(|r| r.intersect(&canvas)) {
            None => Work::Nothing,
            Some(r) => Work::Region(r),
        }
    }

    /// Brings the composite up to date on the CPU; returns the canvas
    /// rectangle that was recomposed.
    pub fn render_cpu(&mut self, stack: &LayerStack) -> Result<Option<Rect>> {
        self.held_view = false;
        let rect = self.compose_cpu(stack, self.work(stack))?;
        self.settle_dirty();
        Ok(rect)
    }

    /// Does `work` on the CPU (a fresh composite for everything); returns
    /// the canvas rectangle recomposed.
    fn compose_cpu(&mut self, stack: &LayerStack, work: Work) -> Result<Option<Rect>> {
        let canvas = Rect::new(0, 0, stack.width, stack.height);
        let rect = match work {
            Work::Nothing => None,
            Work::Region(rect) => Some(rect),
            Work::Everything => {
                // The old composite goes first, so two are never held.
                self.image = None;
                self.image = Some(RgbaImage::new(stack.width, stack.height));
                Some(canvas)
            }
        };
        if let Some(rect) = rect {
            let image = self.image.as_mut().expect("allocated above or earlier");
            compose_region_cpu(stack, self.preview.as_ref(), image, rect)?;
        }
        Ok(rect)
    }

    /// Recomposes at most about `max_pixels` of what is stale on the CPU —
    /// the top rows of the dirty rectangle — and leaves the rest dirty, so
    /// the page can show a large render band by band and stay responsive
    /// between bands. Returns the band and whether anything is left.
    pub fn render_cpu_band(
        &mut self,
        stack: &LayerStack,
        max_pixels: u64,
    ) -> Result<(Option<Rect>, bool)> {
        self.held_view = false;
        let canvas = Rect::new(0, 0, stack.width, stack.height);
        let rect = match self.work(stack) {
            Work::Nothing => {
                self.settle_dirty();
                return Ok((None, false));
            }
            Work::Region(rect) => rect,
            Work::Everything => {
                self.image = Some(RgbaImage::new(stack.width, stack.height));
                canvas
            }
        };
        let rows =
            (max_pixels / u64::from(rect.width.max(1))).clamp(1, u64::from(rect.height)) as u32;
        let band = Rect::new(rect.x, rect.y, rect.width, rows);
        let image = self.image.as_mut().expect("allocated above or earlier");
        compose_region_cpu(stack, self.preview.as_ref(), image, band)?;
        self.settle_dirty();
        let more = rows < rect.height;
        if more {
            // The held layers were told of every change above: only the
            // CPU composite is left to do below the band.
            self.dirty.add_arrangement(Rect::new(
                rect.x,
                rect.y + rows as i32,
                rect.width,
                rect.height - rows,
            ));
        }
        Ok((Some(band), more))
    }

    /// The cached composite when it is up to date and shows the document as
    /// it is (no tool preview): what saving and exporting can use as it lies.
    pub fn current(&self, stack: &LayerStack) -> Option<&RgbaImage> {
        match (self.work(stack), &self.preview) {
            (Work::Nothing, None) => self.image.as_ref(),
            _ => None,
        }
    }

    /// Brings the composite up to date, on the engine's backend for a full
    /// recomposition (see the module docs).
    pub async fn render(&mut self, engine: &Engine, stack: &LayerStack) -> Result<Option<Rect>> {
        self.held_view = false;
        let canvas = Rect::new(0, 0, stack.width, stack.height);
        let full = match self.work(stack) {
            Work::Everything => true,
            Work::Region(r) => r.area() * FULL_RECOMPOSE_DIVISOR > canvas.area(),
            Work::Nothing => false,
        };
        let gpu = match engine.gpu() {
            Some(gpu) if full => gpu,
            _ => {
                if full {
                    self.dirty.add_everything();
                }
                return self.render_cpu(stack);
            }
        };
        if !self.resident.as_ref().is_some_and(|r| r.is_on(gpu)) {
            self.resident = Some(ResidentLayers::new(gpu));
        }
        self.settle_dirty();
        let resident = self.resident.as_mut().expect("made above");
        let composed = match resident.compose(gpu, stack, self.preview.as_ref()).await {
            Ok(Some(image)) => Ok(image),
            // Too large to hold: the banded path, layer by layer.
            Ok(None) => {
                self.resident = None;
                compose_with_engine(engine, stack, self.preview.as_ref()).await
            }
            Err(error) => {
                // What the copies hold is unknown now: start afresh next time.
                self.resident = None;
                Err(error)
            }
        };
        match composed {
            Ok(image) => {
                self.image = Some(image);
                Ok(Some(canvas))
            }
            Err(error) => {
                // Nothing was recomposed: all of it is still to do.
                self.dirty.add_everything();
                Err(error)
            }
        }
    }

    /// Marks the composite up to date, passing what was stale on to the
    /// layers held on the GPU (their copies are brought up to date when a
    /// full recomposition next runs there).
    fn settle_dirty(&mut self) {
        self.pass_dirty_on();
        self.behind = DirtyRegion::default();
    }

    /// Passes what edits made stale on to the layers held on the GPU.
    fn pass_dirty_on(&mut self) {
        if let Some(resident) = &mut self.resident {
            resident.note(&self.dirty);
        }
        self.dirty = DirtyRegion::default();
    }

    /// Recomposes on the GPU, in the canvas held there, what edits changed
    /// since the last render there, reading nothing back: for a view that
    /// presents that canvas ([`CompositeCache::held_canvas`]). `dabs`, the
    /// open stroke's new dabs, are painted in the held copy of their layer
    /// when it can take them, and recomposed. The CPU composite is left
    /// behind in that area. Returns what was recomposed, or
    /// `Held::TooLarge` (nothing done) when the document cannot be held
    /// whole on this device; and whether the dabs were painted.
    pub async fn render_held(
        &mut self,
        gpu: &GpuContext,
        stack: &LayerStack,
        dabs: Option<StrokeDabs<'_>>,
    ) -> Result<(Held, bool)> {
        if !ResidentLayers::can_hold(gpu, stack, self.preview.as_ref()) {
            // What is dirty stays dirty, for the render the caller makes instead.
            self.held_view = false;
            return Ok((Held::TooLarge, false));
        }
        if !self.resident.as_ref().is_some_and(|r| r.is_on(gpu)) {
            self.resident = Some(ResidentLayers::new(gpu));
        }
        self.pass_dirty_on();
        let resident = self.resident.as_mut().expect("made above");
        let recomposed = resident
            .recompose(gpu, stack, self.preview.as_ref(), dabs)
            .await;
        let Recomposed { area, painted } = match recomposed {
            Ok(recomposed) => recomposed,
            Err(error) => {
                self.dirty.add_everything();
                return Err(error);
            }
        };
        if let Some(area) = area {
            let size = (stack.width, stack.height);
            if self.image.as_ref().is_some_and(|i| i.dimensions() != size) {
                // A CPU composite of another size is of no use: dropped now.
                self.image = None;
            }
            self.behind.add_arrangement(area);
        }
        self.held_view = true;
        Ok((Held::Recomposed(area), painted))
    }

    /// Whether the last render was held on the GPU for a view presenting it.
    pub fn presents_held(&self) -> bool {
        self.held_view
    }

    /// Drops what an ended stroke kept on the GPU.
    pub fn forget_stroke(&mut self) {
        if let Some(resident) = &mut self.resident {
            resident.forget_stroke();
        }
    }

    /// The copy of `layer` held on `gpu`, when it is current (see
    /// [`ResidentLayers::current_copy`]): an edit of the layer may be made
    /// in it too, then [`CompositeCache::held_copy_changed_too`] told.
    pub fn current_held_copy(&self, gpu: &GpuContext, layer: &Layer) -> Option<&GpuLayer> {
        let resident = self.resident.as_ref()?;
        resident.current_copy(gpu, layer, &self.dirty)
    }

    /// Takes note that the edit just made to layer `id` within canvas
    /// `area` was made in its held copy too, so that copy is not uploaded
    /// again (the composite there is still recomposed). Returns whether the
    /// note was taken: not when other changes to the layer are pending.
    pub fn held_copy_changed_too(&mut self, id: LayerId, area: Rect) -> bool {
        self.dirty.forget_layer_change(id, area)
    }

    /// Takes note that the held copy of layer `id` may differ from the
    /// layer within canvas `area` (a kernel in it failed, or the edit it
    /// was part of was refused): it is uploaded there again.
    pub fn held_copy_differs(&mut self, id: LayerId, area: Rect) {
        self.dirty.add_layer(id, area);
    }

    /// The composite [`CompositeCache::render_held`] keeps on the GPU.
    pub fn held_canvas(&self) -> Option<&GpuCanvas> {
        self.resident.as_ref().and_then(|r| r.canvas())
    }

    /// Brings the CPU composite level with what was rendered on the GPU
    /// only, recomposing that area on the CPU (edits since the last render
    /// stay to be rendered).
    pub fn catch_up_cpu(&mut self, stack: &LayerStack) -> Result<()> {
        if self.behind.is_clean() {
            return Ok(());
        }
        self.compose_cpu(stack, self.work_for(stack, &self.behind))?;
        self.behind = DirtyRegion::default();
        Ok(())
    }
}

/// The whole stack as `preview` shows it, composited over transparency on
/// the engine's backend.
pub(super) async fn compose_with_engine(
    engine: &Engine,
    stack: &LayerStack,
    preview: Option<&Preview>,
) -> Result<RgbaImage> {
    let mut out = RgbaImage::new(stack.width, stack.height);
    for layer in shown(stack, preview).filter(|l| !l.is_invisible()) {
        let options = layer.props.composite_options();
        out = blend::composite(engine, &out, &layer.pixels, layer.mask.as_ref(), &options).await?;
    }
    Ok(out)
}

/// Pixels in one band of [`for_each_composite_band`]: 4 MiB of RGBA8.
const BAND_PIXELS: u64 = 1 << 20;

/// The bytes [`for_each_composite_band`] allocates when it composes: the
/// band, and one layer's part of it at a time.
pub(crate) fn composite_band_memory(width: u32) -> u64 {
    let rows = band_rows(width);
    crate::memory::rgba8(width, rows) * 2
}

fn band_rows(width: u32) -> u32 {
    (BAND_PIXELS / u64::from(width.max(1))).max(1) as u32
}

/// Hands the composite of the stack's visible layers (no tool preview) to
/// `f` a band of whole rows at a time, top to bottom: slices of `current`
/// (the cached composite, when it is up to date), else each band composed
/// on its own into one reused buffer — the same pixels, since each canvas
/// pixel is blended from the layers' pixels there alone (see the tests).
pub(crate) fn for_each_composite_band(
    stack: &LayerStack,
    current: Option<&RgbaImage>,
    f: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let (width, height) = (stack.width, stack.height);
    let rows = band_rows(width).min(height);
    if let Some(image) = current {
        for band in image.as_raw().chunks(width as usize * 4 * rows as usize) {
            f(band)?;
        }
        return Ok(());
    }
    let mut band = RgbaImage::new(width, rows);
    for y in (0..height).step_by(rows as usize) {
        let band_height = rows.min(height - y);
        if band_height != band.height() {
            band = RgbaImage::new(width, band_height);
        } else {
            band.fill(0);
        }
        let region = Rect::new(0, y as i32, width, band_height);
        compose_layers_cpu(shown(stack, None), &mut band, (0, y as i32), region)?;
        f(band.as_raw())?;
    }
    Ok(())
}

/// The composite of the stack's visible layers (no tool preview) within
/// `area`, inside the canvas, as an image of the area's size.
pub(crate) fn compose_area(stack: &LayerStack, area: Rect) -> Result<RgbaImage> {
    let mut image = RgbaImage::new(area.width, area.height);
    compose_layers_cpu(shown(stack, None), &mut image, (area.x, area.y), area)?;
    Ok(image)
}

/// Recomposes `region` (inside the canvas) of `target`, a canvas-sized image:
/// clears it, then blends each visible layer's part of it (as `preview`
/// shows them), bottom first.
fn compose_region_cpu(
    stack: &LayerStack,
    preview: Option<&Preview>,
    target: &mut RgbaImage,
    region: Rect,
) -> Result<()> {
    clear(target, region);
    compose_layers_cpu(shown(stack, preview), target, (0, 0), region)
}

/// Blends `layers` into `region` of `target`, whose top-left pixel lies at
/// `origin` on the canvas. `region` is in canvas coordinates, inside `target`.
pub(crate) fn compose_layers_cpu<'a>(
    layers: impl IntoIterator<Item = &'a Layer>,
    target: &mut RgbaImage,
    origin: (i32, i32),
    region: Rect,
) -> Result<()> {
    for layer in layers.into_iter().filter(|l| !l.is_invisible()) {
        let bounds = layer.bounds();
        let Some(part) = bounds.intersect(&region) else {
            continue;
        };
        let (pixels, mask) = if part == bounds {
            (
                Cow::Borrowed(&layer.pixels),
                layer.mask.as_ref().map(Cow::Borrowed),
            )
        } else {
            let local = part.translated(-bounds.x, -bounds.y);
            (
                Cow::Owned(crop(&layer.pixels, local)),
                layer.mask.as_ref().map(|m| Cow::Owned(crop(m, local))),
            )
        };
        let mut options = layer.props.composite_options();
        options.offset = (part.x - origin.0, part.y - origin.1);
        options.backdrop_origin = origin;
        composite_cpu_in_place(target, &pixels, mask.as_deref(), &options)?;
    }
    Ok(())
}

/// Sets `rect` (inside the image) to transparent black.
fn clear(image: &mut RgbaImage, rect: Rect) {
    let width = image.width() as usize;
    let raw: &mut [u8] = image;
    for y in rect.y as usize..rect.bottom() as usize {
        let start = (y * width + rect.x as usize) * 4;
        raw[start..start + rect.width as usize * 4].fill(0);
    }
}

/// A copy of `rect` (inside the image).
pub(crate) fn crop<P: image::Pixel<Subpixel = u8> + 'static>(
    image: &image::ImageBuffer<P, Vec<u8>>,
    rect: Rect,
) -> image::ImageBuffer<P, Vec<u8>> {
    image::imageops::crop_imm(image, rect.x as u32, rect.y as u32, rect.width, rect.height)
        .to_image()
}

/// The layer's pixels with its mask multiplied into their alpha, rounded.
pub(crate) fn apply_mask(pixels: &RgbaImage, mask: &GrayImage) -> RgbaImage {
    let mut out = pixels.clone();
    for (p, m) in out.pixels_mut().zip(mask.pixels()) {
        p.0[3] = ((u32::from(p.0[3]) * u32::from(m.0[0]) + 127) / 255) as u8;
    }
    out
}
