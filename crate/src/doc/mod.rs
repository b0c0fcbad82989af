//! The document: a canvas with an ordered stack of raster layers, every change
//! an undoable named command, a composite kept up to date by dirty
//! rectangles, and OpenRaster project files.
//!
//! - [`layer`]: a layer's pixels, optional mask and properties.
//! - `stack`: the state history can change (canvas size, layers, selection,
//!   brand kit); `change`: the reversible primitive edits of it.
//! - [`commands`]: the operations (add, delete, duplicate, reorder, rename,
//!   properties, merge down, flatten, masks, crop, canvas size, paint,
//!   selection), each recorded in history under a human-readable name.
//! - [`history`]: undo, redo, jump; memory-bounded by a byte budget.
//! - [`tiles`]: pixel edits stored as changed 256×256 tiles.
//! - [`render`]: the composite of the stack and dirty-rectangle recomposition.
//! - [`ora`]: OpenRaster (.ora) load and save, with hostile-file limits.
//! - [`project_file`]: native read-modify-write of a project file that
//!   refuses to overwrite someone else's concurrent change.
//! - [`export`]: flattened PNG/JPEG/WebP with size presets.
//! - `resample`: image size and region upscale (async: they run on the
//!   engine).
//! - `adjust`: adjustments (levels, curves, blur, …) of a layer inside the
//!   selection, and their live preview (async: they run on the engine).
//! - [`brand`]: the brand kit (style, palette, reference images);
//!   `brand_commands`: its undoable edits; [`brand_type`]: its fonts and
//!   named text styles.
//! - [`autosave`]: incremental autosave (changed tiles since the last save)
//!   and recovery from what was stored.
//! - `fill`: Content-Aware Fill of the selection into a new layer.
//! - `transform`: Free Transform of a layer (move, scale, rotate, skew).
//! - `paint`: paint brush, eraser and clone stamp strokes, one step each
//!   (async: they run on the engine).
//! - [`text`]: text layers, rendered from the source they keep.

mod adjust;
pub mod autosave;
pub mod brand;
mod brand_commands;
pub mod brand_type;
mod change;
pub mod commands;
pub mod export;
mod fill;
pub mod filter;
pub mod geometry;
mod heal;
pub mod history;
pub mod layer;
mod lettering;
pub mod ora;
mod paint;
#[cfg(not(target_arch = "wasm32"))]
pub mod project_file;
pub mod render;
mod resample;
mod resident;
mod stack;
mod stored_change;
#[cfg(test)]
mod tests;
pub mod text;
pub mod tiles;
mod transform;

pub use autosave::{AutosaveBaseline, AutosaveChanges, AutosaveRestore, RestoredHistory};
pub use brand::BrandKit;
pub use brand_type::{BrandFont, NamedTextStyle};
pub use fill::FILL_LAYER_NAME;
pub use geometry::{Anchor, Rect};
pub use heal::{HealOptions, HealTool};
pub use history::{History, HistoryItem, Trimmed};
pub use layer::{Layer, LayerId, LayerProperties};
pub use paint::StrokeTool;
pub use render::Held;
pub use text::{TextCarets, TextLayer, TextSource};
pub use tiles::Plane;

use crate::engine::Engine;
use crate::image_io::{check_dimensions, SourceMetadata};
use crate::memory;
use crate::ops::blend::GpuCanvas;
use crate::{Error, Result};
use change::Change;
use image::{GrayImage, RgbaImage};
use render::CompositeCache;
use stack::LayerStack;
use std::collections::BTreeMap;

/// A layered document with its history and cached composite.
#[derive(Debug)]
pub struct Document {
    stack: LayerStack,
    history: History,
    cache: CompositeCache,
    next_id: LayerId,
    last_trim: Trimmed,
    /// The opened file's ICC profile and EXIF, for exports that keep them.
    source: SourceMetadata,
    /// Opaque JSON per layer (how a layer was generated: provider, prompt,
    /// seed, ...), kept by id outside history: it describes a layer rather
    /// than being an edit, and stays attached when a deleted layer is
    /// brought back by undo.
    provenance: BTreeMap<LayerId, String>,
    /// A stroke the page paints while the pointer moves, not yet in history.
    stroke: Option<paint::OpenStroke>,
}

impl Document {
    /// An empty (layerless, transparent) canvas.
    pub fn new(width: u32, height: u32) -> Result<Document> {
        check_dimensions(width, height)?;
        Ok(Document {
            stack: LayerStack {
                width,
                height,
                layers: Vec::new(),
                selection: None,
                brand: BrandKit::default(),
            },
            history: History::default(),
            cache: CompositeCache::default(),
            next_id: 1,
            last_trim: Trimmed::default(),
            source: SourceMetadata::default(),
            provenance: BTreeMap::new(),
            stroke: None,
        })
    }

    /// Opens an image file (see [`crate::image_io::decode_rgba`]) as a
    /// document of its size with one "Background" layer, turned upright by
    /// its EXIF orientation, remembering its ICC profile and EXIF for
    /// [`Document::source_metadata`]. History starts empty.
    pub fn from_image_file(bytes: &[u8]) -> Result<Document> {
        let (pixels, source) = crate::image_io::decode_rgba_with_metadata(bytes)?;
        Document::from_decoded_image(pixels, source)
    }

    /// A document of an image decoded elsewhere (e.g. in a page's worker by
    /// [`crate::image_io::decode_rgba_with_metadata`]): one "Background"
    /// layer and the file's metadata. History starts empty.
    pub fn from_decoded_image(pixels: RgbaImage, source: SourceMetadata) -> Result<Document> {
        let mut document = Document::new(pixels.width(), pixels.height())?;
        document.add_layer(LayerProperties::named("Background"), pixels, None, None)?;
        document.source = source;
        document.forget_history();
        Ok(document)
    }

    /// The ICC profile and EXIF of the file the document was opened from
    /// (saved in the project), for exports that keep them.
    pub fn source_metadata(&self) -> &SourceMetadata {
        &self.source
    }

    /// Replaces the source metadata (e.g. when a page decodes the file
    /// itself). Not an edit: it is not recorded in history. Refused, changing
    /// nothing, past the caps every reader applies
    /// ([`SourceMetadata::check`]), so a saved project always reopens.
    pub fn set_source_metadata(&mut self, metadata: SourceMetadata) -> Result<()> {
        metadata.check()?;
        self.source = metadata;
        Ok(())
    }

    /// A layer's provenance JSON, if any was set.
    pub fn provenance(&self, id: LayerId) -> Option<&str> {
        self.provenance.get(&id).map(String::as_str)
    }

    /// Sets (or with `None` removes) a layer's provenance: any JSON value,
    /// stored as given and saved with the project. It is checked to be JSON
    /// so the saved file stays readable; it is not recorded in history.
    pub fn set_provenance(&mut self, id: LayerId, json: Option<String>) -> Result<()> {
        self.layer(id)?;
        match json {
            Some(json) => {
                check_json("provenance", &json)?;
                self.provenance.insert(id, json);
            }
            None => {
                self.provenance.remove(&id);
            }
        }
        Ok(())
    }

    pub fn width(&self) -> u32 {
        self.stack.width
    }

    pub fn height(&self) -> u32 {
        self.stack.height
    }

    /// The layers, bottom first. Their pixels lack the dabs of a stroke
    /// painted on the GPU until [`Document::catch_up_stroke`].
    pub fn layers(&self) -> &[Layer] {
        &self.stack.layers
    }

    /// Layer `id` (see [`Document::layers`]).
    pub fn layer(&self, id: LayerId) -> Result<&Layer> {
        self.stack
            .layers
            .iter()
            .find(|l| l.id == id)
            .ok_or_else(|| no_layer(id))
    }

    /// Position of a layer in the stack (0 = bottom).
    pub fn index_of(&self, id: LayerId) -> Result<usize> {
        self.stack.index_of(id).ok_or_else(|| no_layer(id))
    }

    /// The selection (canvas-sized coverage, 255 = selected), `None` when
    /// nothing is selected and tools act on the whole canvas.
    pub fn selection(&self) -> Option<&GrayImage> {
        self.stack.selection.as_ref()
    }

    /// The selection's bounding box (pixels with any coverage), `None`
    /// without a selection or when it covers nothing.
    pub fn selection_bounds(&self) -> Option<Rect> {
        let (x, y, width, height) = crate::ops::select::covered_box(self.selection()?)?;
        Some(Rect::new(x as i32, y as i32, width, height))
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    /// Undoes the newest entry; returns its name, `None` when nothing is left.
    pub fn undo(&mut self) -> Option<String> {
        self.settle_stroke();
        self.drop_stand_in();
        self.history.undo(&mut self.stack, &mut self.cache.dirty)
    }

    /// Redoes the oldest undone entry; returns its name, `None` at the end.
    pub fn redo(&mut self) -> Option<String> {
        self.settle_stroke();
        self.drop_stand_in();
        self.history.redo(&mut self.stack, &mut self.cache.dirty)
    }

    /// Goes to the state after the first `position` history entries
    /// (0: the oldest state still in history).
    pub fn jump_to(&mut self, position: usize) -> Result<()> {
        self.settle_stroke();
        self.drop_stand_in();
        self.history
            .jump(position, &mut self.stack, &mut self.cache.dirty)
    }

    /// Leaves `layer` out of the composite (display only: exports and
    /// history are unaffected) while a tool previews it elsewhere; `None`
    /// shows every layer again. Unknown ids are refused.
    pub fn set_preview_hidden(&mut self, layer: Option<LayerId>) -> Result<()> {
        if let Some(id) = layer {
            self.layer(id)?;
        }
        self.set_preview(layer.map(render::Preview::Hidden));
        Ok(())
    }

    /// Drops a preview stand-in before the stack changes under it (it would
    /// show the layer as it was).
    fn drop_stand_in(&mut self) {
        if matches!(self.cache.preview, Some(render::Preview::StandIn(_))) {
            self.set_preview(None);
        }
    }

    /// Shows the composite with `preview` (display only), marking the
    /// layers it changes dirty — as an arrangement: no layer's pixels
    /// change (a stand-in is shown in its layer's place, never held).
    fn set_preview(&mut self, preview: Option<render::Preview>) {
        if self.cache.preview == preview {
            return;
        }
        let ids = [&self.cache.preview, &preview].map(|p| p.as_ref().map(render::Preview::layer));
        for id in ids.into_iter().flatten() {
            if let Some(index) = self.stack.index_of(id) {
                self.cache
                    .dirty
                    .add_arrangement(self.stack.layers[index].bounds());
            }
        }
        self.cache.preview = preview;
    }

    /// Sets the history budget in bytes and drops entries beyond it now.
    pub fn set_history_budget(&mut self, bytes: usize) -> Trimmed {
        self.last_trim = self.history.set_budget(bytes);
        self.last_trim
    }

    /// History entries the last command or budget change dropped to stay
    /// within the budget (zero when none), for the UI to report.
    pub fn last_trim(&self) -> Trimmed {
        self.last_trim
    }

    /// Brings the cached composite up to date on the CPU, recomposing only
    /// what changed; returns the canvas rectangle that was recomposed.
    pub fn render_cpu(&mut self) -> Result<Option<Rect>> {
        // A view that renders here no longer presents from the GPU.
        self.paint_stroke_on_cpu_only()?;
        self.cache.render_cpu(&self.stack)
    }

    /// Recomposes at most about `max_pixels` of the stale composite on the
    /// CPU (the top rows of what is dirty) and leaves the rest for the next
    /// call: the recomposed band and whether more is left.
    pub fn render_cpu_band(&mut self, max_pixels: u64) -> Result<(Option<Rect>, bool)> {
        // A view that renders here no longer presents from the GPU.
        self.paint_stroke_on_cpu_only()?;
        self.cache.render_cpu_band(&self.stack, max_pixels)
    }

    /// Like [`Document::render_cpu`], but a full recomposition runs on the
    /// engine (the GPU when it has one); see [`render`].
    pub async fn render(&mut self, engine: &Engine) -> Result<Option<Rect>> {
        // A view that renders here no longer presents from the GPU.
        self.paint_stroke_on_cpu_only()?;
        self.cache.render(engine, &self.stack).await
    }

    /// The composite [`Document::render_held`] keeps on the GPU.
    pub fn held_canvas(&self) -> Option<&GpuCanvas> {
        self.cache.held_canvas()
    }

    /// The bytes of pixels the document holds: layers, masks, the
    /// selection, the cached composite and history's stored tiles. What an
    /// operation adds to this is its own estimate (see [`crate::memory`]).
    pub fn memory_held(&self) -> u64 {
        let layers: u64 = self
            .stack
            .layers
            .iter()
            .map(|layer| {
                let (w, h) = layer.pixels.dimensions();
                memory::rgba8(w, h) + layer.mask.as_ref().map_or(0, |m| m.as_raw().len() as u64)
            })
            .sum();
        let selection = self.selection().map_or(0, |s| s.as_raw().len() as u64);
        let composite = self.rendered().map_or(0, |c| c.as_raw().len() as u64);
        layers + selection + composite + self.history.bytes() as u64
    }

    /// Refuses `operation` when the `bytes` it allocates on top of what the
    /// document holds would pass the memory budget: checked before the
    /// operation allocates, so a refusal changes nothing.
    pub(crate) fn check_memory(&self, operation: &str, bytes: u64) -> Result<()> {
        memory::check(operation, self.memory_held().saturating_add(bytes))
    }

    /// The composite of the visible layers, brought up to date on the CPU.
    /// Refuses first when making it would pass the memory budget. A layer
    /// hidden for a preview is shown again: what is saved, filled or
    /// resampled from the composite must hold every layer.
    pub fn composite_cpu(&mut self) -> Result<&RgbaImage> {
        self.set_preview_hidden(None)?;
        if self.rendered().is_none() {
            let (w, h) = (self.width(), self.height());
            self.check_memory(&format!("the {w}×{h} composite"), memory::rgba8(w, h))?;
        }
        self.render_cpu()?;
        Ok(self.rendered().expect("rendered above"))
    }

    /// Hands the composite of the visible layers to `f` a band of whole
    /// rows at a time, top to bottom: the cached composite where it is up to
    /// date, else each band composed on its own, so saving and exporting
    /// never make a second canvas-sized image. Tool previews are left out.
    pub fn composite_bands(&self, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let current = self.cache.current(&self.stack);
        render::for_each_composite_band(&self.stack, current, &mut f)
    }

    /// The composite of the visible layers within `area` (inside the
    /// canvas; tool previews left out): a crop of the cached composite where
    /// it is up to date, else that area composed on its own — the same
    /// pixels, for an operation that reads a part of the image and need not
    /// bring the whole composite up to date for it.
    pub(crate) fn composite_area(&self, area: Rect) -> Result<RgbaImage> {
        match self.cache.current(&self.stack) {
            Some(image) => Ok(render::crop(image, area)),
            None => render::compose_area(&self.stack, area),
        }
    }

    /// The bytes [`Document::composite_bands`] allocates: none when the
    /// cached composite is current, else a few bands' worth.
    pub fn composite_bands_memory(&self) -> u64 {
        match self.cache.current(&self.stack) {
            Some(_) => 0,
            None => render::composite_band_memory(self.width()),
        }
    }

    /// A layer's pixels as history knows them: without a stroke in progress
    /// (see [`Document::begin_stroke`]).
    pub(crate) fn committed_pixels<'a>(&'a self, layer: &'a Layer) -> &'a RgbaImage {
        self.stroke
            .as_ref()
            .and_then(|open| open.before(layer.id))
            .unwrap_or(&layer.pixels)
    }

    /// The composite as of the last render (stale after an edit until the
    /// next render), `None` before the first. After renders held on the GPU
    /// only, see [`Document::rendered_on_cpu`].
    pub fn rendered(&self) -> Option<&RgbaImage> {
        self.cache.image.as_ref()
    }

    /// [`Document::rendered`], first brought level on the CPU with what was
    /// rendered on the GPU only ([`Document::render_held`]).
    pub fn rendered_on_cpu(&mut self) -> Result<Option<&RgbaImage>> {
        self.catch_up_stroke()?;
        self.cache.catch_up_cpu(&self.stack)?;
        Ok(self.cache.image.as_ref())
    }

    /// Applies `change` and records its inverse in history under `name`.
    fn commit(&mut self, name: impl Into<String>, change: Change) {
        // Changes are built from the layers as they are, a stroke in
        // progress included: it goes into history first.
        self.settle_stroke();
        self.drop_stand_in();
        let undo = change.apply(&mut self.stack, &mut self.cache.dirty);
        self.last_trim = self.history.push(name.into(), undo);
    }

    /// [`Document::commit`] for a typed edit of text layer `layer`: with
    /// `continues`, joined to the step of the layer's previous typed edit
    /// when that is still the newest step.
    fn commit_typing(&mut self, name: &str, change: Change, layer: LayerId, continues: bool) {
        self.settle_stroke();
        self.drop_stand_in();
        let undo = change.apply(&mut self.stack, &mut self.cache.dirty);
        self.last_trim = self
            .history
            .push_typing(name.into(), undo, layer, continues);
    }

    /// Starts history afresh (after loading a project), keeping the budget.
    fn forget_history(&mut self) {
        self.history = History::with_budget(self.history.budget());
        self.last_trim = Trimmed::default();
    }

    fn take_id(&mut self) -> LayerId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

/// Largest provenance or brand-kit JSON accepted (and read from a project).
pub const MAX_JSON_BYTES: usize = 1 << 20;

fn check_json(what: &str, json: &str) -> Result<()> {
    if json.len() > MAX_JSON_BYTES {
        return Err(Error::TooLarge(format!(
            "the {what} is {} bytes; at most {MAX_JSON_BYTES} are accepted",
            json.len()
        )));
    }
    serde_json::from_str::<serde::de::IgnoredAny>(json)
        .map_err(|e| Error::param(what, format!("not valid JSON: {e}")))?;
    Ok(())
}

fn no_layer(id: LayerId) -> Error {
    Error::param("layer", format!("there is no layer with id {id}"))
}
