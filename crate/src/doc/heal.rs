//! The healing tools as document commands: the Spot Healing brush, the
//! Remove tool and the Healing brush. A stroke's round dabs (the paint
//! tools', [`crate::ops::dab`]) give its coverage on the active layer; then
//!
//! - **Spot Healing** rebuilds the stroke grown a little from the rest of
//!   the layer (content-aware fill) and blends it in the gradient domain
//!   ([`crate::ops::poisson::spot_heal`]): texture from elsewhere, tone from
//!   around the stroke;
//! - **Remove** does the same over the stroke grown by [`REMOVE_GROW`] more,
//!   with [`REMOVE_PATCH`] px patches: an object's soft edge and thin shadow
//!   go with it, and larger patches keep structure over fine grain;
//! - **Healing** copies the texture at a fixed offset (from the stroke's
//!   first point to the Alt-clicked source) and blends it in the gradient
//!   domain ([`crate::ops::poisson::blend`]), so tone comes from the
//!   destination.
//!
//! Each stroke is one history step named after the tool; the work and the
//! step cover only a window around the stroke, and pixels outside the
//! (grown) stroke, or outside the selection when there is one, are
//! bit-exact. A stroke off the canvas, a layer with nothing under the
//! stroke, a source off the canvas and bad options are refused, by name,
//! before anything changes.

use super::geometry::Rect;
use super::layer::LayerId;
use super::paint::{to_canvas, OpenStroke};
use super::Document;
use crate::engine::Engine;
use crate::memory;
use crate::ops::brush::{paint_stroke_cpu, BrushOptions};
use crate::ops::dab::{check_range, DabShape, Dabs, DirtyRect, MAX_DIAMETER};
use crate::ops::fill::{FillOptions, DEFAULT_PATCH};
use crate::ops::morphology;
use crate::ops::poisson::{self, PoissonOptions, SPOT_FILL_GROW};
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// How much further than Spot Healing the Remove tool grows its stroke, in
/// pixels.
pub const REMOVE_GROW: u32 = 4;
/// The Remove tool's fill patch side, in pixels.
pub const REMOVE_PATCH: u32 = 9;

/// The Healing brush's name, and its history steps'.
const HEALING_BRUSH: &str = "Healing Brush";

/// Which healing tool a stroke uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HealTool {
    /// Rebuilds the stroke from the layer around it (content-aware fill,
    /// then a gradient-domain blend).
    SpotHealing,
    /// Spot Healing over a wider stroke, with larger patches, for objects.
    Remove,
    /// Copies texture from `source`, the canvas point that corresponds to
    /// the stroke's first point (the offset is rounded to whole pixels), and
    /// takes tone from around the stroke.
    Healing { source: (f32, f32) },
}

impl HealTool {
    /// The tool's name, which is also its history step's.
    pub fn name(&self) -> &'static str {
        match self {
            HealTool::SpotHealing => "Spot Healing Brush",
            HealTool::Remove => "Remove Tool",
            HealTool::Healing { .. } => HEALING_BRUSH,
        }
    }
}

/// The brush, in the units the options bar shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealOptions {
    /// Diameter in pixels, 1 to [`MAX_DIAMETER`].
    pub diameter: f32,
    /// Hardness, 0 to 100 %: a soft brush reaches a little further.
    pub hardness: f32,
    /// Distance between dabs, 1 to 1000 % of the diameter.
    pub spacing: f32,
    /// The fill's seed (Spot Healing and Remove): the same seed heals alike.
    pub seed: u64,
}

impl Default for HealOptions {
    fn default() -> Self {
        HealOptions {
            diameter: 40.0,
            hardness: 100.0,
            spacing: 25.0,
            seed: 0,
        }
    }
}

/// A stroke's coverage on a layer: `mask` covers the layer rectangle `rect`.
struct Coverage {
    rect: Rect,
    mask: GrayImage,
}

impl Document {
    /// Heals a stroke through canvas `points` on layer `id` with `tool`, as
    /// one history step named after it; returns the canvas rectangle it
    /// could change. Refused, changing nothing, on a hidden or locked layer,
    /// a stroke that misses the canvas or the layer, a layer with no pixels
    /// under and around the stroke, a healing source off the canvas (or the
    /// stroke's own first point) and options out of range (by name).
    pub async fn heal_stroke(
        &mut self,
        engine: &Engine,
        id: LayerId,
        points: &[(f32, f32)],
        options: &HealOptions,
        tool: HealTool,
    ) -> Result<Rect> {
        let (bounds, on_canvas) = self.heal_target(id)?;
        let layer = self.layer(id)?;
        let local: Vec<(f32, f32)> = points
            .iter()
            .map(|&(x, y)| (x - bounds.x as f32, y - bounds.y as f32))
            .collect();
        let stroke = coverage(layer.pixels.dimensions(), on_canvas, &local, options)?;
        let (at, pixels) = match tool {
            HealTool::SpotHealing | HealTool::Remove => {
                let remove = tool == HealTool::Remove;
                spot(engine, &layer.pixels, on_canvas, stroke, options, remove).await?
            }
            HealTool::Healing { source } => {
                let offset = source_offset(bounds, on_canvas, source, local[0])?;
                healing(engine, &layer.pixels, on_canvas, stroke, offset).await?
            }
        };
        self.record_heal(id, bounds, at, pixels, tool.name())
    }

    /// Records healed `pixels` at layer position `at` of layer `id` (at
    /// `bounds`) as one history step `name`, mixed by the selection when
    /// there is one; returns the canvas rectangle.
    fn record_heal(
        &mut self,
        id: LayerId,
        bounds: Rect,
        at: (u32, u32),
        pixels: RgbaImage,
        name: &str,
    ) -> Result<Rect> {
        let area = Rect::new(
            bounds.x + at.0 as i32,
            bounds.y + at.1 as i32,
            pixels.width(),
            pixels.height(),
        );
        let pixels = match self.selection_over(area) {
            Some(selection) => {
                let before = crop(&self.layer(id)?.pixels, at, pixels.dimensions());
                within_selection(&before, &pixels, &selection)
            }
            None => pixels,
        };
        self.paint_pixels(id, (area.x, area.y), &pixels, name)?;
        Ok(area)
    }

    /// Ends the open Healing brush stroke `open`: the layer gets back its
    /// pixels from before the stroke, and the whole stroke healed at once
    /// from them (on the CPU, exactly what [`Document::heal_stroke`] gives
    /// a CPU engine) is recorded as one step — so the dab-by-dab preview's
    /// seams, where an early dab's edge ran over what a later dab healed,
    /// do not stay. Returns the canvas rectangle recorded.
    pub(super) fn end_heal_stroke(&mut self, open: OpenStroke) -> Result<Option<Rect>> {
        let (id, origin) = (open.layer(), open.origin());
        let heal = open.into_healing().expect("a healing stroke");
        let whole = heal.whole_stroke();
        let index = self.index_of(id)?;
        if let Some(rect) = heal.dirty() {
            self.cache.dirty.add_layer(id, to_canvas(origin, rect));
        }
        self.stack.layers[index].pixels = heal.into_before();
        let Some((at, pixels)) = whole? else {
            return Ok(None);
        };
        let bounds = self.layer(id)?.bounds();
        self.record_heal(id, bounds, at, pixels, HEALING_BRUSH)
            .map(Some)
    }

    /// Starts a Healing brush stroke on layer `id` that heals while the
    /// pointer moves: each dab, as it is placed, takes the texture at the
    /// stroke's offset to `source` (from the layer as it was before the
    /// stroke) and is blended in the gradient domain with the layer as it
    /// is, earlier dabs included — so what shows depends only on the
    /// points, not on how they were batched. `points` (canvas; one at
    /// least) heal now, [`Document::add_stroke_points`] continues,
    /// [`Document::end_stroke`] heals the whole stroke at once from the
    /// layer as it was before (bit for bit what [`Document::heal_stroke`]
    /// gives a CPU engine) and records it as one history step ("Healing
    /// Brush"), and [`Document::cancel_stroke`] drops it, as for a live
    /// paint stroke. Dabs run on the CPU (a 40 px dab takes about a
    /// millisecond). Returns the canvas rectangle healed (`None` when the
    /// points miss the layer). Refused, changing nothing, as
    /// [`Document::heal_stroke`] refuses.
    pub fn begin_heal_stroke(
        &mut self,
        id: LayerId,
        points: &[(f32, f32)],
        options: &HealOptions,
        source: (f32, f32),
    ) -> Result<Option<Rect>> {
        // One stroke at a time: one left open is recorded first.
        self.end_stroke()?;
        let (bounds, on_canvas) = self.heal_target(id)?;
        let &(x, y) = points
            .first()
            .ok_or_else(|| Error::param("points", "a stroke needs at least one point"))?;
        let first = (x - bounds.x as f32, y - bounds.y as f32);
        let offset = source_offset(bounds, on_canvas, source, first)?;
        let layer = self.layer(id)?;
        let (w, h) = layer.pixels.dimensions();
        memory::check(
            "the stroke's copy of the layer",
            self.memory_held() + memory::rgba8(w, h),
        )?;
        let live = LiveHeal::begin(layer.pixels.clone(), on_canvas, options, offset)?;
        self.stroke = Some(OpenStroke::healing(id, (bounds.x, bounds.y), live));
        let healed = self.add_stroke_points(points);
        if healed.is_err() {
            self.cancel_stroke();
        }
        healed
    }

    /// Heals the dabs that layer `points` add to the open Healing brush
    /// stroke; returns the layer rectangle they changed.
    pub(super) fn add_heal_points(&mut self, points: &[(f32, f32)]) -> Result<Option<DirtyRect>> {
        let open = self.stroke.as_mut().expect("the caller found a stroke");
        let (layer, origin) = (open.layer(), open.origin());
        let dabs = open
            .healing_mut()
            .expect("a healing stroke")
            .place(points)?;
        let index = self
            .stack
            .index_of(layer)
            .expect("an open stroke's layer exists");
        let mut changed: Option<DirtyRect> = None;
        for dab in &dabs {
            let window = Rect::new(
                origin.0 + dab.window.x,
                origin.1 + dab.window.y,
                dab.window.width,
                dab.window.height,
            );
            let selection = self.selection_over(window);
            let open = self.stroke.as_mut().expect("still open");
            let heal = open.healing_mut().expect("a healing stroke");
            let pixels = &mut self.stack.layers[index].pixels;
            if let Some(rect) = heal.heal(pixels, dab, selection.as_ref())? {
                changed = Some(changed.map_or(rect, |c| c.union(&rect)));
            }
        }
        Ok(changed)
    }

    /// Checks that layer `id` can be healed; returns its bounds and its part
    /// on the canvas (in layer pixels).
    fn heal_target(&self, id: LayerId) -> Result<(Rect, Rect)> {
        let layer = self.layer(id)?;
        layer.check_pixels_editable("heal it")?;
        if !layer.props.visible {
            return Err(Error::param(
                "layer",
                format!("'{}' is hidden: show it to heal it", layer.props.name),
            ));
        }
        let bounds = layer.bounds();
        let on_canvas = Rect::new(0, 0, self.width(), self.height())
            .intersect(&bounds)
            .map(|r| r.translated(-bounds.x, -bounds.y))
            .ok_or_else(|| {
                Error::param(
                    "layer",
                    format!("'{}' lies off the canvas", layer.props.name),
                )
            })?;
        Ok((bounds, on_canvas))
    }
}

/// The brush `options` describe, checked by name.
fn brush_of(options: &HealOptions) -> Result<BrushOptions> {
    check_range("diameter", options.diameter, 1.0, MAX_DIAMETER)?;
    check_range("hardness", options.hardness, 0.0, 100.0)?;
    check_range("spacing", options.spacing, 1.0, 1000.0)?;
    Ok(BrushOptions {
        diameter: options.diameter,
        hardness: options.hardness / 100.0,
        spacing: options.spacing / 100.0,
        flow: 1.0,
        erase: false,
    })
}

/// The dab shape of `brush`.
fn shape_of(brush: &BrushOptions) -> DabShape {
    DabShape {
        diameter: brush.diameter,
        hardness: brush.hardness,
        spacing: brush.spacing,
    }
}

/// The coverage of a stroke through layer `points`, limited to the layer's
/// part on the canvas. A stroke that covers none of it is refused.
fn coverage(
    size: (u32, u32),
    on_canvas: Rect,
    points: &[(f32, f32)],
    options: &HealOptions,
) -> Result<Coverage> {
    let brush = brush_of(options)?;
    let off_canvas = || Error::param("points", "the stroke misses the canvas");
    let dirty = Dabs::place(size, points, &shape_of(&brush))?
        .dirty
        .ok_or_else(off_canvas)?;
    let dirty = Rect::new(dirty.x as i32, dirty.y as i32, dirty.width, dirty.height);
    let rect = dirty.intersect(&on_canvas).ok_or_else(off_canvas)?;
    let mut mask = GrayImage::new(rect.width, rect.height);
    let shifted: Vec<(f32, f32)> = points
        .iter()
        .map(|&(x, y)| (x - rect.x as f32, y - rect.y as f32))
        .collect();
    paint_stroke_cpu(&mut mask, &shifted, &brush)?;
    if mask.pixels().all(|p| p.0[0] == 0) {
        return Err(off_canvas());
    }
    Ok(Coverage { rect, mask })
}

/// `rect` grown by `margin` on every side and clipped to `limit`.
fn grown(rect: Rect, margin: u32, limit: Rect) -> Rect {
    let m = margin.min(i32::MAX as u32 / 4) as i32;
    Rect::new(
        rect.x - m,
        rect.y - m,
        rect.width + 2 * m as u32,
        rect.height + 2 * m as u32,
    )
    .intersect(&limit)
    .expect("a rectangle inside the limit, grown, still meets it")
}

fn crop(image: &RgbaImage, at: (u32, u32), size: (u32, u32)) -> RgbaImage {
    image::imageops::crop_imm(image, at.0, at.1, size.0, size.1).to_image()
}

/// The stroke's coverage placed into a `window`-sized mask.
fn placed(stroke: &Coverage, window: Rect) -> GrayImage {
    let mut mask = GrayImage::new(window.width, window.height);
    image::imageops::replace(
        &mut mask,
        &stroke.mask,
        i64::from(stroke.rect.x - window.x),
        i64::from(stroke.rect.y - window.y),
    );
    mask
}

fn refuse_transparent(pixels: &RgbaImage) -> Result<()> {
    if pixels.pixels().all(|p| p.0[3] == 0) {
        return Err(Error::param(
            "layer",
            "the layer is empty under and around the stroke: pick a layer with pixels there",
        ));
    }
    Ok(())
}

/// Spot Healing (or Remove) over a window around the stroke: room for the
/// fill's sampling area (the hole's size around it) and the solve's margin.
/// Returns the layer position and pixels of the rectangle that can change.
async fn spot(
    engine: &Engine,
    layer: &RgbaImage,
    on_canvas: Rect,
    stroke: Coverage,
    options: &HealOptions,
    remove: bool,
) -> Result<((u32, u32), RgbaImage)> {
    let (extra, patch) = if remove {
        (REMOVE_GROW, REMOVE_PATCH)
    } else {
        (0, DEFAULT_PATCH)
    };
    let grow = SPOT_FILL_GROW + extra;
    let hole_side = stroke.rect.width.max(stroke.rect.height) + 2 * grow;
    let window = grown(stroke.rect, grow + hole_side + 4 * patch + 2, on_canvas);
    let (wx, wy) = (window.x as u32, window.y as u32);
    let image = crop(layer, (wx, wy), (window.width, window.height));
    refuse_transparent(&image)?;
    let mut mask = placed(&stroke, window);
    if extra > 0 {
        mask = morphology::grow_cpu(&mask, extra)?;
    }
    let fill = FillOptions {
        patch,
        seed: options.seed,
        ..FillOptions::default()
    };
    let healed = poisson::spot_heal(engine, &image, &mask, &fill).await?;
    Ok(((wx + healed.x, wy + healed.y), healed.pixels))
}

/// The whole-pixel offset from the stroke's first point to the canvas point
/// `source`, which must lie on the layer's part of the canvas.
fn source_offset(
    bounds: Rect,
    on_canvas: Rect,
    source: (f32, f32),
    first: (f32, f32),
) -> Result<(i32, i32)> {
    let (sx, sy) = (source.0 - bounds.x as f32, source.1 - bounds.y as f32);
    let inside = sx.is_finite()
        && sy.is_finite()
        && sx >= on_canvas.x as f32
        && sy >= on_canvas.y as f32
        && sx < on_canvas.right() as f32
        && sy < on_canvas.bottom() as f32;
    if !inside {
        return Err(Error::param(
            "source",
            format!(
                "({}, {}) is off the canvas or the layer: Alt-click a point on the image",
                source.0, source.1
            ),
        ));
    }
    let offset = ((sx - first.0).round() as i32, (sy - first.1).round() as i32);
    if offset == (0, 0) {
        return Err(Error::param(
            "source",
            "the source is where the stroke starts: Alt-click another point",
        ));
    }
    Ok(offset)
}

/// The Healing brush over a window around the stroke (the solve's margin):
/// the layer at each pixel plus `offset` (clamped to the layer's part on the
/// canvas) blended over the stroke in the gradient domain.
async fn healing(
    engine: &Engine,
    layer: &RgbaImage,
    on_canvas: Rect,
    stroke: Coverage,
    offset: (i32, i32),
) -> Result<((u32, u32), RgbaImage)> {
    let (window, destination, source, mask) = healing_inputs(layer, on_canvas, &stroke, offset)?;
    let pixels = poisson::blend(
        engine,
        &destination,
        &source,
        &mask,
        &PoissonOptions::default(),
    )
    .await?;
    Ok(((window.x as u32, window.y as u32), pixels))
}

/// [`healing`] on the CPU.
fn healing_cpu(
    layer: &RgbaImage,
    on_canvas: Rect,
    stroke: Coverage,
    offset: (i32, i32),
) -> Result<((u32, u32), RgbaImage)> {
    let (window, destination, source, mask) = healing_inputs(layer, on_canvas, &stroke, offset)?;
    let pixels = poisson::blend_cpu(&destination, &source, &mask, &PoissonOptions::default())?;
    Ok(((window.x as u32, window.y as u32), pixels))
}

/// What the Healing brush blends: the window around the stroke, the layer
/// there, the texture at `offset` and the stroke's coverage.
fn healing_inputs(
    layer: &RgbaImage,
    on_canvas: Rect,
    stroke: &Coverage,
    offset: (i32, i32),
) -> Result<(Rect, RgbaImage, RgbaImage, GrayImage)> {
    let window = healing_window(stroke.rect, on_canvas);
    let (wx, wy) = (window.x as u32, window.y as u32);
    let destination = crop(layer, (wx, wy), (window.width, window.height));
    refuse_transparent(&destination)?;
    let source = offset_source(layer, window, offset, on_canvas);
    Ok((window, destination, source, placed(stroke, window)))
}

/// The window a healing blend over `rect` works in: at least the solve's
/// own margin (see `ops::poisson`), so it sees the same window it would on
/// the whole layer.
fn healing_window(rect: Rect, on_canvas: Rect) -> Rect {
    grown(rect, rect.width.max(rect.height) / 4 + 4, on_canvas)
}

/// The healing source over `window`: the layer at each pixel plus `offset`,
/// clamped to the layer's part on the canvas.
fn offset_source(
    layer: &RgbaImage,
    window: Rect,
    offset: (i32, i32),
    on_canvas: Rect,
) -> RgbaImage {
    let clamp = |v: i64, low: i32, high: i64| v.clamp(i64::from(low), high - 1) as u32;
    let (wx, wy) = (window.x as u32, window.y as u32);
    RgbaImage::from_fn(window.width, window.height, |x, y| {
        let sx = clamp(
            i64::from(wx + x) + i64::from(offset.0),
            on_canvas.x,
            on_canvas.right(),
        );
        let sy = clamp(
            i64::from(wy + y) + i64::from(offset.1),
            on_canvas.y,
            on_canvas.bottom(),
        );
        *layer.get_pixel(sx, sy)
    })
}

/// `after` where `selection` is 255, `before` where it is 0, mixed between.
fn within_selection(before: &RgbaImage, after: &RgbaImage, selection: &GrayImage) -> RgbaImage {
    RgbaImage::from_fn(after.width(), after.height(), |x, y| {
        let s = u32::from(selection.get_pixel(x, y).0[0]);
        let (b, a) = (before.get_pixel(x, y).0, after.get_pixel(x, y).0);
        image::Rgba(
            [0, 1, 2, 3]
                .map(|c| ((u32::from(a[c]) * s + u32::from(b[c]) * (255 - s) + 127) / 255) as u8),
        )
    })
}

mod live;
pub(super) use live::LiveHeal;

#[cfg(test)]
mod tests;
