//! Paint brush, eraser and clone stamp strokes on a layer's pixels (see
//! [`crate::ops::paint`]): canvas points are mapped onto the layer, the
//! selection (when there is one) limits and scales the stroke, only the
//! stroke's dirty rectangle is painted on the engine, and the changed tiles
//! are committed as one history step named after the tool ("Brush",
//! "Eraser", "Clone Stamp"). Any bad parameter is refused before anything
//! changes.
//!
//! A stroke painted live on a document a view presents from the GPU
//! ([`Document::render_held`]) is painted there: each render paints the
//! dabs placed since in the held copy of the layer, and the layer on the
//! CPU waits for them (nothing is read back) until something reads it —
//! the stroke's end, a render on the CPU, an export — which first paints
//! them on the CPU ([`Document::catch_up_stroke`]), to the same bytes.

use super::geometry::{DirtyRegion, Rect};
use super::heal::LiveHeal;
use super::layer::LayerId;
use super::render::Held;
use super::resident::StrokeDabs;
use super::Document;
use crate::engine::Engine;
use crate::engine::GpuContext;
use crate::memory;
use crate::ops::paint::{
    self, DirtyRect, LiveStroke, PaintOptions, PaintStroke, PaintTool, PlacedDabs,
};
use crate::{Error, Result};
use image::{GrayImage, Luma};

/// Which tool paints a stroke, in canvas coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrokeTool {
    /// Paints an RGB colour.
    Brush { color: [u8; 3] },
    /// Removes alpha.
    Eraser,
    /// Copies from `source`, the canvas point that corresponds to the
    /// stroke's first point ("aligned": the offset between them is rounded
    /// to whole pixels and stays fixed for the stroke). Sources off the
    /// canvas contribute nothing.
    CloneStamp { source: (f32, f32) },
}

/// A stroke being painted point by point on a layer (see
/// [`Document::begin_stroke`] and [`Document::begin_heal_stroke`]).
pub(crate) struct OpenStroke {
    layer: LayerId,
    /// The layer's canvas offset when the stroke began.
    origin: (i32, i32),
    live: Live,
    on_gpu: OnGpu,
    /// The dabs placed since the last render held on the GPU, call by call.
    for_gpu: Vec<PlacedDabs>,
}

/// Whether a paint stroke is painted on the GPU (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnGpu {
    /// Not yet: the next render held on the GPU starts, if the layer is
    /// held there and no dab is painted anywhere yet.
    NotYet,
    /// In the held copy of the layer, as renders held on the GPU come.
    Painting,
    /// On the CPU only, as the points come.
    Off,
}

/// What an open stroke does with its dabs.
enum Live {
    /// Brush, eraser, clone stamp: the dabs build up one coverage.
    Paint(LiveStroke),
    /// Healing brush: each dab is healed in turn.
    Heal(LiveHeal),
}

impl std::fmt::Debug for OpenStroke {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenStroke")
            .field("layer", &self.layer)
            .field("dirty", &self.dirty())
            .finish_non_exhaustive()
    }
}

impl OpenStroke {
    /// A Healing brush stroke on layer `layer` at canvas offset `origin`.
    pub(super) fn healing(layer: LayerId, origin: (i32, i32), live: LiveHeal) -> OpenStroke {
        OpenStroke {
            layer,
            origin,
            live: Live::Heal(live),
            on_gpu: OnGpu::Off,
            for_gpu: Vec::new(),
        }
    }

    pub(super) fn layer(&self) -> LayerId {
        self.layer
    }

    pub(super) fn origin(&self) -> (i32, i32) {
        self.origin
    }

    /// The Healing brush stroke, `None` for a paint stroke.
    pub(super) fn into_healing(self) -> Option<LiveHeal> {
        match self.live {
            Live::Heal(heal) => Some(heal),
            Live::Paint(_) => None,
        }
    }

    /// The Healing brush stroke, `None` for a paint stroke.
    pub(super) fn healing_mut(&mut self) -> Option<&mut LiveHeal> {
        match &mut self.live {
            Live::Heal(heal) => Some(heal),
            Live::Paint(_) => None,
        }
    }

    /// The layer pixels the stroke so far may have changed.
    fn dirty(&self) -> Option<DirtyRect> {
        match &self.live {
            Live::Paint(paint) => paint.dirty(),
            Live::Heal(heal) => heal.dirty(),
        }
    }

    /// The layer's pixels as they were before the stroke, for what must not
    /// see a stroke in progress (the autosave).
    pub(crate) fn before(&self, layer: LayerId) -> Option<&image::RgbaImage> {
        (self.layer == layer).then(|| match &self.live {
            Live::Paint(paint) => paint.before(),
            Live::Heal(heal) => heal.before(),
        })
    }

    fn into_before(self) -> image::RgbaImage {
        match self.live {
            Live::Paint(paint) => paint.into_before(),
            Live::Heal(heal) => heal.into_before(),
        }
    }
}

impl Document {
    /// Paints a stroke through canvas `points` on layer `id` as one history
    /// step; returns the canvas rectangle it could change (`None` when it
    /// misses the layer, which records nothing). A hidden or locked layer is
    /// refused, as is any parameter out of range (by name).
    pub async fn paint_stroke(
        &mut self,
        engine: &Engine,
        id: LayerId,
        points: &[(f32, f32)],
        options: &PaintOptions,
        tool: StrokeTool,
    ) -> Result<Option<Rect>> {
        let (bounds, tool) = self.stroke_target(id, points, tool)?;
        let local = to_layer((bounds.x, bounds.y), points);
        let layer = self.layer(id)?;
        let stroke = PaintStroke::plan(layer.pixels.dimensions(), &local, options, tool)?;
        let Some(rect) = stroke.dirty() else {
            return Ok(None);
        };
        let area = to_canvas((bounds.x, bounds.y), rect);
        let selection = self.selection_over(area);
        let layer = self.layer(id)?;
        let painted = paint::paint(engine, &layer.pixels, &stroke, selection.as_ref()).await?;
        let (_, pixels) = painted.expect("the stroke has a dirty rectangle");
        self.paint_pixels(id, (area.x, area.y), &pixels, tool.name())?;
        Ok(Some(area))
    }

    /// Starts a stroke on layer `id` that the page paints while the pointer
    /// moves: `points` (canvas; one at least) are painted at once, more
    /// follow with [`Document::add_stroke_points`], and
    /// [`Document::end_stroke`] records the whole stroke as one history
    /// step, with the pixels [`Document::paint_stroke`] gives for all the
    /// points at once (bit for bit). Meanwhile the layer shows the stroke
    /// so far (renders, exports) but history and the autosave do not; any
    /// other edit, undo or redo ends the stroke first. Returns the canvas
    /// rectangle repainted (`None` when the points miss the layer). Refused,
    /// changing nothing, as `paint_stroke` refuses.
    pub fn begin_stroke(
        &mut self,
        id: LayerId,
        points: &[(f32, f32)],
        options: &PaintOptions,
        tool: StrokeTool,
    ) -> Result<Option<Rect>> {
        // One stroke at a time: one left open is recorded first.
        self.end_stroke()?;
        let (bounds, tool) = self.stroke_target(id, points, tool)?;
        let layer = self.layer(id)?;
        let (w, h) = layer.pixels.dimensions();
        memory::check(
            "the stroke's copy of the layer",
            self.memory_held() + memory::rgba8(w, h) + u64::from(w) * u64::from(h),
        )?;
        let live = LiveStroke::begin(layer.pixels.clone(), options, tool)?;
        let on_gpu = if self.cache.presents_held() {
            OnGpu::NotYet
        } else {
            OnGpu::Off
        };
        self.stroke = Some(OpenStroke {
            layer: id,
            origin: (bounds.x, bounds.y),
            live: Live::Paint(live),
            on_gpu,
            for_gpu: Vec::new(),
        });
        let painted = self.add_stroke_points(points);
        if painted.is_err() {
            self.cancel_stroke();
        }
        painted
    }

    /// Continues the open stroke through canvas `points`; returns the canvas
    /// rectangle repainted (`None` when they miss the layer). With no stroke
    /// open, or bad points, it is an error that changes nothing.
    pub fn add_stroke_points(&mut self, points: &[(f32, f32)]) -> Result<Option<Rect>> {
        let Some(open) = self.stroke.as_ref() else {
            return Err(no_stroke());
        };
        let (layer, origin) = (open.layer, open.origin);
        let local = to_layer(origin, points);
        let changed = match open.live {
            Live::Paint(_) => self.add_paint_points(&local)?,
            Live::Heal(_) => {
                let healed = self.add_heal_points(&local)?;
                if let Some(rect) = healed {
                    self.cache.dirty.add_layer(layer, to_canvas(origin, rect));
                }
                healed
            }
        };
        Ok(changed.map(|rect| to_canvas(origin, rect)))
    }

    /// Places the dabs that layer `points` add to the open paint stroke and
    /// paints them on the CPU now, or leaves them to the next render held
    /// on the GPU; returns the layer rectangle they change.
    fn add_paint_points(&mut self, points: &[(f32, f32)]) -> Result<Option<DirtyRect>> {
        let open = self.stroke.as_mut().expect("the caller found a stroke");
        let Live::Paint(live) = &mut open.live else {
            unreachable!("the caller found a paint stroke");
        };
        let Some(placed) = live.add(points)? else {
            return Ok(None);
        };
        let rect = placed.rect;
        if open.on_gpu == OnGpu::Off {
            self.catch_up_stroke()?;
        } else {
            open.for_gpu.push(placed);
        }
        Ok(Some(rect))
    }

    /// Paints on the CPU the open stroke's dabs that wait for it (painted
    /// only on the GPU so far, or not yet anywhere), so that what reads the
    /// layer sees the stroke so far; marks for the next render what views
    /// have not shown yet. Nothing happens when none wait.
    pub fn catch_up_stroke(&mut self) -> Result<()> {
        let Some(open) = self.stroke.as_mut() else {
            return Ok(());
        };
        let Live::Paint(live) = &mut open.live else {
            return Ok(());
        };
        if !live.has_unpainted() {
            return Ok(());
        }
        let origin = open.origin;
        // Views that render on the GPU show the dabs it painted already:
        // only those still waiting for it are new to them.
        let waiting_for_gpu = open
            .for_gpu
            .iter()
            .map(|placed| placed.rect)
            .reduce(|a, b| a.union(&b));
        let (on_gpu, layer) = (open.on_gpu, open.layer);
        let stack = &mut self.stack;
        let index = stack
            .index_of(layer)
            .expect("an open stroke's layer exists");
        let selection = stack.selection.as_ref();
        let pixels = &mut stack.layers[index].pixels;
        let painted = live.catch_up(pixels, |rect| {
            selection_over(selection, to_canvas(origin, rect))
        })?;
        let new_to_views = match on_gpu {
            OnGpu::Painting => waiting_for_gpu,
            OnGpu::NotYet | OnGpu::Off => painted,
        };
        if let Some(rect) = new_to_views {
            self.cache.dirty.add_layer(layer, to_canvas(origin, rect));
        }
        Ok(())
    }

    /// Whether the open stroke is painted on the GPU alone so far: its dabs
    /// in the copy of its layer held there for a view, none yet on the CPU
    /// (nothing read the layer meanwhile; see the module docs).
    pub fn stroke_on_gpu(&self) -> bool {
        self.stroke.as_ref().is_some_and(|open| match &open.live {
            Live::Paint(live) => open.on_gpu == OnGpu::Painting && !live.painted_on_cpu(),
            Live::Heal(_) => false,
        })
    }

    /// Whether dabs of the open stroke wait to be painted on the CPU.
    #[cfg(test)]
    pub(super) fn stroke_waits_for_cpu(&self) -> bool {
        self.stroke.as_ref().is_some_and(|open| match &open.live {
            Live::Paint(live) => live.has_unpainted(),
            Live::Heal(_) => false,
        })
    }

    /// Recomposes on `gpu` what changed, as [`Document::render`] does but in
    /// a canvas held there for a view that presents it
    /// ([`Document::held_canvas`]), reading nothing back; the dabs of a
    /// stroke in progress are painted there too (see the module docs).
    /// See [`render::CompositeCache::render_held`](super::render::CompositeCache::render_held).
    pub async fn render_held(&mut self, gpu: &GpuContext) -> Result<Held> {
        if !self.cache.dirty.is_clean() {
            // Rows go up from the CPU's layers only when those hold every
            // dab: a copy painted further on the GPU is never set back.
            self.catch_up_stroke()?;
        }
        let dabs = stroke_dabs_for_gpu(&mut self.stroke, self.stack.selection.as_ref());
        let gave_dabs = dabs.is_some();
        let rendered = self.cache.render_held(gpu, &self.stack, dabs).await;
        let (held, painted) = match rendered {
            Ok(done) => done,
            Err(error) => {
                self.paint_stroke_on_cpu_only()?;
                return Err(error);
            }
        };
        if let Some(open) = self.stroke.as_mut().filter(|_| gave_dabs) {
            open.on_gpu = if painted { OnGpu::Painting } else { OnGpu::Off };
        }
        if !gave_dabs || painted {
            return Ok(held);
        }
        // The layer's copy could not take them: the CPU paints the stroke
        // from now on, and what it painted is recomposed too.
        self.paint_stroke_on_cpu_only()?;
        match held {
            Held::Recomposed(area) => {
                let (again, _) = self.cache.render_held(gpu, &self.stack, None).await?;
                let Held::Recomposed(more) = again else {
                    return Ok(again);
                };
                Ok(Held::Recomposed(match (area, more) {
                    (Some(a), Some(b)) => Some(a.union(&b)),
                    (a, b) => a.or(b),
                }))
            }
            Held::TooLarge => Ok(held),
        }
    }

    /// Stops painting the open stroke on the GPU: the CPU paints what waits
    /// and, from now on, the points as they come.
    pub(super) fn paint_stroke_on_cpu_only(&mut self) -> Result<()> {
        if let Some(open) = self.stroke.as_mut() {
            if let Live::Paint(_) = open.live {
                open.on_gpu = OnGpu::Off;
                open.for_gpu.clear();
            }
        }
        self.catch_up_stroke()
    }

    /// Records the open stroke as one history step named after its tool;
    /// returns the canvas rectangle it changed (`None` when it missed the
    /// layer, which records nothing, or when no stroke is open).
    pub fn end_stroke(&mut self) -> Result<Option<Rect>> {
        if self.stroke.is_none() {
            return Ok(None);
        }
        // What recording would drop anyway, before noting what views lack.
        self.drop_stand_in();
        let unrendered = self.unrendered_with_stroke();
        self.catch_up_stroke()?;
        let Some(open) = self.stroke.take() else {
            return Ok(None);
        };
        self.cache.forget_stroke();
        let name = match &open.live {
            Live::Paint(paint) => paint.tool().name(),
            Live::Heal(_) => return self.end_heal_stroke(open),
        };
        let index = self.index_of(open.layer)?;
        let Some(rect) = open.dirty() else {
            return Ok(None);
        };
        let area = to_canvas(open.origin, rect);
        let layer = &mut self.stack.layers[index];
        let painted =
            image::imageops::crop_imm(&layer.pixels, rect.x, rect.y, rect.width, rect.height)
                .to_image();
        // History records the change from the pixels before the stroke.
        let id = open.layer;
        layer.pixels = open.into_before();
        if let Err(error) = self.paint_pixels(id, (area.x, area.y), &painted, name) {
            // The layer is as it was before the stroke: views must show it.
            self.cache.dirty.add_layer(id, area);
            return Err(error);
        }
        // Recording changed no pixel: views have to render only what they
        // had not rendered of the stroke (on the GPU, its held copy of the
        // layer holds the same bytes).
        self.cache.dirty = unrendered;
        Ok(Some(area))
    }

    /// What views have not rendered yet: what edits made dirty, and the
    /// open paint stroke's dabs still waiting for a render held on the GPU.
    fn unrendered_with_stroke(&self) -> DirtyRegion {
        let mut unrendered = self.cache.dirty.clone();
        if let Some(open) = &self.stroke {
            for placed in &open.for_gpu {
                unrendered.add_layer(open.layer, to_canvas(open.origin, placed.rect));
            }
        }
        unrendered
    }

    /// Records a stroke left open before another change or a move in
    /// history; one that cannot be recorded is dropped, leaving the layer
    /// as it was before the stroke.
    pub(crate) fn settle_stroke(&mut self) {
        if self.end_stroke().is_err() {
            self.cancel_stroke();
        }
    }

    /// Drops the open stroke: the layer gets back its pixels from before it,
    /// bit for bit, and nothing is recorded. Nothing happens with none open.
    pub fn cancel_stroke(&mut self) {
        let Some(open) = self.stroke.take() else {
            return;
        };
        self.cache.forget_stroke();
        let Some(index) = self.stack.index_of(open.layer) else {
            return;
        };
        let area = match open.dirty() {
            Some(rect) => to_canvas(open.origin, rect),
            None => return,
        };
        let id = open.layer;
        self.stack.layers[index].pixels = open.into_before();
        self.cache.dirty.add_layer(id, area);
    }

    /// Checks that layer `id` can take a stroke and resolves the tool on it:
    /// the layer's bounds and the tool in its pixel coordinates.
    fn stroke_target(
        &self,
        id: LayerId,
        points: &[(f32, f32)],
        tool: StrokeTool,
    ) -> Result<(Rect, PaintTool)> {
        let layer = self.layer(id)?;
        layer.check_pixels_editable("paint on it")?;
        if !layer.props.visible {
            return Err(Error::param(
                "layer",
                format!("'{}' is hidden: show it to paint on it", layer.props.name),
            ));
        }
        let bounds = layer.bounds();
        let tool = match tool {
            StrokeTool::Brush { color } => PaintTool::Brush { color },
            StrokeTool::Eraser => PaintTool::Eraser,
            StrokeTool::CloneStamp { source } => self.clone_tool(bounds, source, points)?,
        };
        Ok((bounds, tool))
    }

    /// The selection over the canvas rectangle `area` (0 off the canvas),
    /// `None` when nothing is selected.
    pub(super) fn selection_over(&self, area: Rect) -> Option<GrayImage> {
        selection_over(self.selection(), area)
    }

    /// The clone stamp for a layer at `bounds`: the whole-pixel offset from
    /// the stroke's first point to `source`, sampling only the layer's part
    /// on the canvas.
    fn clone_tool(
        &self,
        bounds: Rect,
        source: (f32, f32),
        points: &[(f32, f32)],
    ) -> Result<PaintTool> {
        if !source.0.is_finite() || !source.1.is_finite() {
            return Err(Error::param(
                "source",
                format!("({}, {}) is not a finite point", source.0, source.1),
            ));
        }
        let Some(&(x, y)) = points.first() else {
            return Err(Error::param("points", "a stroke needs at least one point"));
        };
        let offset = |to: f32, from: f32| {
            let d = (to - from).round();
            if d.abs() > 1e8 {
                Err(Error::param(
                    "source",
                    format!("({}, {}) is too far off the canvas", source.0, source.1),
                ))
            } else {
                Ok(d as i32)
            }
        };
        let canvas = Rect::new(0, 0, self.width(), self.height());
        let source_area = match canvas.intersect(&bounds) {
            Some(on) => DirtyRect {
                x: (on.x - bounds.x) as u32,
                y: (on.y - bounds.y) as u32,
                width: on.width,
                height: on.height,
            },
            None => DirtyRect {
                x: 0,
                y: 0,
                width: 0,
                height: 0,
            },
        };
        Ok(PaintTool::CloneStamp {
            offset: (offset(source.0, x)?, offset(source.1, y)?),
            source_area,
        })
    }
}

/// The open paint stroke's dabs placed since the last render held on the
/// GPU, when it paints there (or may start to): taken from the stroke.
/// `selection` is the document's.
fn stroke_dabs_for_gpu<'a>(
    stroke: &'a mut Option<OpenStroke>,
    selection: Option<&GrayImage>,
) -> Option<StrokeDabs<'a>> {
    let open = stroke.as_mut()?;
    let Live::Paint(live) = &open.live else {
        return None;
    };
    let first = match open.on_gpu {
        OnGpu::Off => return None,
        OnGpu::NotYet => !live.painted_on_cpu(),
        OnGpu::Painting => false,
    };
    if open.for_gpu.is_empty() {
        return None;
    }
    let origin = open.origin;
    let placed = std::mem::take(&mut open.for_gpu)
        .into_iter()
        .map(|placed| {
            let under = selection_over(selection, to_canvas(origin, placed.rect));
            (placed, under)
        })
        .collect();
    Some(StrokeDabs {
        layer: open.layer,
        stroke: live,
        first,
        placed,
    })
}

/// `selection` (canvas-sized) over the canvas rectangle `area`, 0 off the canvas.
fn selection_over(selection: Option<&GrayImage>, area: Rect) -> Option<GrayImage> {
    selection.map(|selection| {
        GrayImage::from_fn(area.width, area.height, |x, y| {
            let (cx, cy) = (area.x + x as i32, area.y + y as i32);
            let on_canvas = cx >= 0
                && cy >= 0
                && (cx as u32) < selection.width()
                && (cy as u32) < selection.height();
            if on_canvas {
                *selection.get_pixel(cx as u32, cy as u32)
            } else {
                Luma([0])
            }
        })
    })
}

/// Canvas points in the pixel coordinates of a layer whose top-left corner
/// is at canvas `origin`.
fn to_layer(origin: (i32, i32), points: &[(f32, f32)]) -> Vec<(f32, f32)> {
    let (ox, oy) = (origin.0 as f32, origin.1 as f32);
    points.iter().map(|&(x, y)| (x - ox, y - oy)).collect()
}

/// A rectangle of a layer whose top-left corner is at canvas `origin`.
pub(super) fn to_canvas(origin: (i32, i32), rect: DirtyRect) -> Rect {
    Rect::new(
        origin.0 + rect.x as i32,
        origin.1 + rect.y as i32,
        rect.width,
        rect.height,
    )
}

fn no_stroke() -> Error {
    Error::param("stroke", "no stroke is being painted (begin one first)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::LayerProperties;
    use image::{Rgba, RgbaImage};

    fn picture(width: u32, height: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, y| {
            Rgba([
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x ^ y) % 256) as u8,
                255,
            ])
        })
    }

    fn document() -> (Document, LayerId) {
        let mut doc = Document::new(300, 200).unwrap();
        let id = doc
            .add_layer(
                LayerProperties::named("Photo"),
                picture(300, 200),
                None,
                None,
            )
            .unwrap();
        (doc, id)
    }

    fn stroke(
        doc: &mut Document,
        id: LayerId,
        points: &[(f32, f32)],
        options: &PaintOptions,
        tool: StrokeTool,
    ) -> Result<Option<Rect>> {
        pollster::block_on(doc.paint_stroke(&Engine::cpu(), id, points, options, tool))
    }

    const RED: StrokeTool = StrokeTool::Brush { color: [255, 0, 0] };

    #[test]
    fn each_tool_is_one_named_step_inside_its_rectangle_and_undo_restores() {
        let (mut doc, id) = document();
        let before = doc.layer(id).unwrap().pixels.clone();
        let o = PaintOptions {
            diameter: 20.0,
            ..PaintOptions::default()
        };
        let tools = [
            (RED, "Brush"),
            (StrokeTool::Eraser, "Eraser"),
            (
                StrokeTool::CloneStamp {
                    source: (200.0, 150.0),
                },
                "Clone Stamp",
            ),
        ];
        for (tool, name) in tools {
            let steps = doc.history().position();
            let rect = stroke(&mut doc, id, &[(50.0, 50.0), (120.0, 80.0)], &o, tool)
                .unwrap()
                .unwrap();
            // The last dab (25 % spacing) stops 1.2 px short of (120, 80).
            assert_eq!(rect, Rect::new(40, 40, 89, 50));
            assert_eq!(doc.history().position(), steps + 1);
            assert_eq!(doc.history().items()[steps].name, name);
            let after = &doc.layer(id).unwrap().pixels;
            for (x, y, p) in after.enumerate_pixels() {
                let inside = (40..130).contains(&x) && (40..90).contains(&y);
                assert!(inside || p == before.get_pixel(x, y), "{name}: ({x}, {y})");
            }
            assert_ne!(after, &before, "{name} changed nothing");
            assert_eq!(doc.undo().as_deref(), Some(name));
            assert_eq!(doc.layer(id).unwrap().pixels, before, "{name}");
        }
    }

    #[test]
    fn the_clone_source_is_aligned_to_the_first_point_and_off_canvas_gives_nothing() {
        let (mut doc, id) = document();
        let before = doc.layer(id).unwrap().pixels.clone();
        let o = PaintOptions {
            diameter: 10.0,
            hardness: 100.0,
            ..PaintOptions::default()
        };
        let tool = StrokeTool::CloneStamp {
            source: (220.4, 140.0),
        };
        stroke(&mut doc, id, &[(100.0, 40.0), (160.0, 40.0)], &o, tool).unwrap();
        let after = &doc.layer(id).unwrap().pixels;
        for x in 100..160 {
            assert_eq!(
                after.get_pixel(x, 40),
                before.get_pixel(x + 120, 140),
                "x = {x}"
            );
        }
        // The source runs off the canvas's right edge at x = 300: nothing there.
        let mut doc2 = document().0;
        let tool = StrokeTool::CloneStamp {
            source: (290.0, 100.0),
        };
        stroke(&mut doc2, id, &[(100.0, 100.0), (140.0, 100.0)], &o, tool).unwrap();
        let after = &doc2.layer(id).unwrap().pixels;
        assert_eq!(after.get_pixel(105, 100), before.get_pixel(295, 100));
        assert_eq!(after.get_pixel(130, 100), before.get_pixel(130, 100));
    }

    #[test]
    fn strokes_follow_the_layer_offset_and_the_selection() {
        let (mut doc, _) = document();
        let patch = doc
            .add_layer(
                LayerProperties {
                    offset: (100, 50),
                    ..LayerProperties::named("Patch")
                },
                RgbaImage::new(100, 100),
                None,
                None,
            )
            .unwrap();
        let selection = image::GrayImage::from_fn(300, 200, |x, _| {
            image::Luma([if x < 150 { 255 } else { 0 }])
        });
        doc.set_selection(Some(selection), "").unwrap();
        let o = PaintOptions {
            diameter: 20.0,
            hardness: 100.0,
            ..PaintOptions::default()
        };
        stroke(&mut doc, patch, &[(120.0, 100.0), (180.0, 100.0)], &o, RED).unwrap();
        let pixels = &doc.layer(patch).unwrap().pixels;
        // Canvas (130, 100) is layer (30, 50): selected; canvas (170, 100) is not.
        assert_eq!(pixels.get_pixel(30, 50).0, [255, 0, 0, 255]);
        assert_eq!(pixels.get_pixel(70, 50).0, [0, 0, 0, 0]);
    }

    #[test]
    fn bad_strokes_are_refused_and_change_nothing() {
        let (mut doc, id) = document();
        let steps = doc.history().len();
        let o = PaintOptions::default();
        let bad = PaintOptions {
            opacity: 150.0,
            ..o
        };
        let cases: [(&str, Result<Option<Rect>>); 4] = [
            ("opacity", stroke(&mut doc, id, &[(5.0, 5.0)], &bad, RED)),
            ("points", stroke(&mut doc, id, &[], &o, RED)),
            (
                "source",
                stroke(
                    &mut doc,
                    id,
                    &[(5.0, 5.0)],
                    &o,
                    StrokeTool::CloneStamp {
                        source: (f32::NAN, 0.0),
                    },
                ),
            ),
            ("layer", stroke(&mut doc, 99, &[(5.0, 5.0)], &o, RED)),
        ];
        for (name, result) in cases {
            match result {
                Err(Error::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        // A stroke that misses the layer records nothing.
        assert_eq!(
            stroke(&mut doc, id, &[(-100.0, -100.0)], &o, RED).unwrap(),
            None
        );
        assert_eq!(doc.history().len(), steps);
        let mut props = doc.layer(id).unwrap().props.clone();
        props.visible = false;
        doc.set_layer_properties(id, props).unwrap();
        let steps = doc.history().len();
        assert!(stroke(&mut doc, id, &[(5.0, 5.0)], &o, RED).is_err());
        assert_eq!(doc.history().len(), steps);
    }

    /// A photograph layer at an offset, a soft selection, and a wiggly
    /// stroke whose points arrive in uneven batches, as pointer moves do.
    fn live_case() -> (Document, LayerId, Vec<(f32, f32)>) {
        let mut doc = Document::new(240, 180).unwrap();
        let props = LayerProperties {
            offset: (30, 20),
            ..LayerProperties::named("Photo")
        };
        let id = doc
            .add_layer(props, crate::test_kit::photo("coffee"), None, None)
            .unwrap();
        let selection = image::GrayImage::from_fn(240, 180, |x, y| {
            image::Luma([((x * 3 + y) % 256) as u8 | if x < 120 { 255 } else { 0 }])
        });
        doc.set_selection(Some(selection), "").unwrap();
        let points = (0..40)
            .map(|i| {
                let t = i as f32 * 0.37;
                (
                    20.0 + i as f32 * 5.3,
                    90.0 + 40.0 * t.sin() + (i % 3) as f32 * 0.4,
                )
            })
            .collect();
        (doc, id, points)
    }

    #[test]
    fn a_live_stroke_ends_bit_exact_with_the_whole_stroke_at_once_as_one_step() {
        live_stroke_matches_whole_stroke(&Engine::cpu());
    }

    /// The whole strokes on the GPU (the page's engine when it has one).
    #[test]
    #[cfg_attr(
        not(gpu_tests),
        ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
    )]
    fn a_live_stroke_ends_bit_exact_with_the_whole_stroke_painted_on_the_gpu() {
        live_stroke_matches_whole_stroke(crate::engine::test_gpu_engine());
    }

    /// Several brush settings, the eraser and the clone stamp, on a photograph
    /// under a soft selection: a live stroke fed in batches of points ends
    /// with the pixels of the whole stroke painted at once on `engine`.
    fn live_stroke_matches_whole_stroke(engine: &Engine) {
        let settings = [
            (PaintOptions::default(), RED),
            (
                PaintOptions {
                    diameter: 17.0,
                    hardness: 0.0,
                    spacing: 10.0,
                    opacity: 60.0,
                    flow: 35.0,
                },
                StrokeTool::Brush {
                    color: [20, 200, 90],
                },
            ),
            (
                PaintOptions {
                    diameter: 33.0,
                    hardness: 50.0,
                    spacing: 3.0,
                    opacity: 80.0,
                    flow: 20.0,
                },
                StrokeTool::Eraser,
            ),
            (
                PaintOptions {
                    diameter: 25.0,
                    hardness: 90.0,
                    spacing: 40.0,
                    opacity: 100.0,
                    flow: 70.0,
                },
                StrokeTool::CloneStamp {
                    source: (150.0, 40.0),
                },
            ),
        ];
        for (options, tool) in settings {
            let (mut whole, id, points) = live_case();
            let at_once =
                pollster::block_on(whole.paint_stroke(engine, id, &points, &options, tool))
                    .unwrap();
            let (mut live, _, _) = live_case();
            let steps = live.history().position();
            let before = live.layer(id).unwrap().pixels.clone();
            let mut painted = live.begin_stroke(id, &points[..1], &options, tool).unwrap();
            let mut seen_change = false;
            for batch in points[1..].chunks(3) {
                let rect = live.add_stroke_points(batch).unwrap();
                painted = match (painted, rect) {
                    (Some(a), Some(b)) => Some(a.union(&b)),
                    (a, b) => a.or(b),
                };
                seen_change |= live.layer(id).unwrap().pixels != before;
            }
            assert!(seen_change, "{tool:?}: nothing showed during the stroke");
            assert_eq!(live.history().position(), steps, "{tool:?}");
            let ended = live.end_stroke().unwrap();
            assert_eq!(ended, at_once, "{tool:?}");
            assert_eq!(painted, at_once, "{tool:?}");
            assert_eq!(
                live.layer(id).unwrap().pixels,
                whole.layer(id).unwrap().pixels,
                "{tool:?}: the live stroke differs from the whole stroke"
            );
            assert_eq!(live.history().position(), steps + 1);
            assert_eq!(live.undo().as_deref(), Some(tool_name(tool)));
            assert_eq!(live.layer(id).unwrap().pixels, before, "{tool:?}");
        }
    }

    fn tool_name(tool: StrokeTool) -> &'static str {
        match tool {
            StrokeTool::Brush { .. } => "Brush",
            StrokeTool::Eraser => "Eraser",
            StrokeTool::CloneStamp { .. } => "Clone Stamp",
        }
    }

    #[test]
    fn a_live_stroke_shows_in_the_composite_but_not_in_the_autosave_and_cancel_restores() {
        let (mut doc, id, points) = live_case();
        let before = doc.layer(id).unwrap().pixels.clone();
        let composite_before = doc.composite_cpu().unwrap().clone();
        let mut baseline = crate::doc::AutosaveBaseline::default();
        let saved_before = doc.autosave_changes(&mut baseline).unwrap();
        let rect = doc
            .begin_stroke(id, &points[..5], &PaintOptions::default(), RED)
            .unwrap()
            .unwrap();
        let shown = doc.composite_cpu().unwrap();
        let (cx, cy) = (
            rect.x as u32 + rect.width / 2,
            rect.y as u32 + rect.height / 2,
        );
        assert_ne!(shown.get_pixel(cx, cy), composite_before.get_pixel(cx, cy));
        // The autosave still sees the layer as history does.
        let mut fresh = crate::doc::AutosaveBaseline::default();
        let saved_during = doc.autosave_changes(&mut fresh).unwrap();
        assert_eq!(saved_during.keys, saved_before.keys);
        assert_eq!(saved_during.pieces, saved_before.pieces);
        assert!(saved_during.bytes == saved_before.bytes);
        doc.cancel_stroke();
        assert_eq!(doc.layer(id).unwrap().pixels, before);
        assert_eq!(doc.composite_cpu().unwrap(), &composite_before);
        assert_eq!(doc.end_stroke().unwrap(), None);
    }

    #[test]
    fn another_edit_or_undo_records_the_open_stroke_first_and_bad_points_change_nothing() {
        let (mut doc, id, points) = live_case();
        let steps = doc.history().position();
        doc.begin_stroke(id, &points[..4], &PaintOptions::default(), RED)
            .unwrap();
        let err = doc
            .add_stroke_points(&[(f32::NAN, 3.0)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("points"), "{err}");
        let painted = doc.layer(id).unwrap().pixels.clone();
        // Undo first records the stroke, then takes it back.
        assert_eq!(doc.undo().as_deref(), Some("Brush"));
        assert_eq!(doc.history().position(), steps);
        doc.redo();
        assert_eq!(doc.layer(id).unwrap().pixels, painted);
        // Another edit while a stroke is open: the stroke is its own step.
        doc.begin_stroke(
            id,
            &points[4..8],
            &PaintOptions::default(),
            StrokeTool::Eraser,
        )
        .unwrap();
        doc.set_selection(None, "").unwrap();
        let names: Vec<_> = doc
            .history()
            .items()
            .iter()
            .map(|i| i.name.clone())
            .collect();
        assert_eq!(names[names.len() - 2..], ["Eraser", "Deselect"]);
        assert!(doc.add_stroke_points(&[(1.0, 1.0)]).is_err());
    }
}
