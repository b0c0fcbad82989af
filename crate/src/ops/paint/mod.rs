//! Paint brush, eraser and clone stamp on RGBA8 straight-alpha pixels, with
//! Photoshop's stroke semantics.
//!
//! The dabs are [`crate::ops::dab`]'s (placement, hardness profile, the
//! integer coverage both backends share). Within one stroke the dabs build a
//! stroke coverage `S` (0..=255): each dab moves it `coverage × flow` of the
//! way to 255, so flow builds up where dabs overlap. The stroke is then
//! applied once, at alpha `a = S × opacity × selection` (all 0..=255, rounded
//! once), so a stroke — even one crossing itself — never contributes more
//! than its opacity, and only inside the selection (its coverage scales the
//! effect; pixels it leaves out stay bit-exact).
//!
//! - Brush: the colour, source-over the pixel at alpha `a` (W3C "normal" on
//!   straight alpha: `αo = a + αd(1 − a)`, `Co = (C·a + Cd·αd(1 − a)) / αo`).
//! - Eraser: `αo = αd(1 − a)`; colour is kept.
//! - Clone stamp: the pixel at `p + offset` in the image *as it was before
//!   the stroke* (no feedback), source-over at alpha `a × αsource` (rounded
//!   to 8 bits); a source outside `source_area` is transparent, so it
//!   contributes nothing.
//!
//! Every step is on integers with the rounding written in `cpu.rs`, mirrored
//! line for line by `paint.wgsl`: CPU and GPU results are bit-exact equal.
//! Only the dirty rectangle is read and returned.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::Engine;
use crate::ops::dab::{check_range, DabPlacer, DabShape, Dabs};
pub use crate::ops::dab::{DirtyRect, MAX_DABS, MAX_DIAMETER};
use crate::{Error, Result};
pub use gpu::GpuLiveStroke;
use image::{GrayImage, RgbaImage};

/// The most points one stroke may have.
pub const MAX_POINTS: usize = 100_000;

/// A colour written `#RRGGBB` (or `RRGGBB`), as colour pickers give it.
pub fn parse_hex_color(text: &str) -> Result<[u8; 3]> {
    let hex = text.trim_start_matches('#');
    let bad = || Error::param("color", format!("'{text}' is not a colour RRGGBB"));
    if hex.len() != 6 || !hex.is_ascii() {
        return Err(bad());
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([channel(0)?, channel(2)?, channel(4)?])
}

/// What a stroke does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaintTool {
    /// Paints this colour (RGB; the stroke's alpha comes from opacity).
    Brush { color: [u8; 3] },
    /// Removes alpha.
    Eraser,
    /// Copies the pixel `offset` away (source = target + offset), from inside
    /// `source_area` only (e.g. the canvas).
    CloneStamp {
        offset: (i32, i32),
        source_area: DirtyRect,
    },
}

impl PaintTool {
    /// The name of its history step.
    pub fn name(&self) -> &'static str {
        match self {
            PaintTool::Brush { .. } => "Brush",
            PaintTool::Eraser => "Eraser",
            PaintTool::CloneStamp { .. } => "Clone Stamp",
        }
    }
}

/// The brush's settings, in the units the options bar shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaintOptions {
    /// Diameter in pixels, 1 to [`MAX_DIAMETER`].
    pub diameter: f32,
    /// Hardness, 0 to 100 %.
    pub hardness: f32,
    /// Distance between dabs, 1 to 1000 % of the diameter.
    pub spacing: f32,
    /// The most one stroke contributes, 0 to 100 %.
    pub opacity: f32,
    /// Each dab's strength, 0 to 100 %: dabs build up to the opacity.
    pub flow: f32,
}

impl Default for PaintOptions {
    fn default() -> Self {
        PaintOptions {
            diameter: 40.0,
            hardness: 80.0,
            spacing: 25.0,
            opacity: 100.0,
            flow: 100.0,
        }
    }
}

/// A checked, planned stroke over an image of a given size.
pub struct PaintStroke {
    dabs: Dabs,
    /// Flow and opacity on 0..=255.
    flow: u32,
    opacity: u32,
    tool: PaintTool,
}

/// A percentage as 0..=255.
fn to_level(percent: f32) -> u32 {
    (percent / 100.0 * 255.0 + 0.5) as u32
}

impl PaintStroke {
    /// Checks every parameter (naming the bad one) and places the dabs over
    /// an image of `size`. Stroke points may lie off the image.
    pub fn plan(
        size: (u32, u32),
        points: &[(f32, f32)],
        options: &PaintOptions,
        tool: PaintTool,
    ) -> Result<PaintStroke> {
        let (shape, flow, opacity) = checked_levels(options)?;
        check_point_count(points.len(), 0)?;
        Ok(PaintStroke {
            dabs: Dabs::place(size, points, &shape)?,
            flow,
            opacity,
            tool,
        })
    }

    /// What the stroke can change: the dabs' bounds on the image, or `None`
    /// when it misses the image.
    pub fn dirty(&self) -> Option<DirtyRect> {
        self.dabs.dirty
    }
}

/// Checks every option (naming the bad one): the dab shape, flow and opacity on 0..=255.
fn checked_levels(options: &PaintOptions) -> Result<(DabShape, u32, u32)> {
    let o = options;
    check_range("diameter", o.diameter, 1.0, MAX_DIAMETER)?;
    check_range("hardness", o.hardness, 0.0, 100.0)?;
    check_range("spacing", o.spacing, 1.0, 1000.0)?;
    check_range("opacity", o.opacity, 0.0, 100.0)?;
    check_range("flow", o.flow, 0.0, 100.0)?;
    let shape = DabShape {
        diameter: o.diameter,
        hardness: o.hardness / 100.0,
        spacing: o.spacing / 100.0,
    };
    Ok((shape, to_level(o.flow), to_level(o.opacity)))
}

/// Refuses `adding` points to a stroke that has `had` when the total passes [`MAX_POINTS`].
fn check_point_count(adding: usize, had: usize) -> Result<()> {
    if adding + had > MAX_POINTS {
        return Err(Error::param(
            "points",
            format!(
                "{} points is more than the {MAX_POINTS} a stroke may have",
                adding + had
            ),
        ));
    }
    Ok(())
}

/// A stroke painted while its points arrive (a drag in progress): each
/// [`LiveStroke::add`] places only the new dabs; [`LiveStroke::catch_up`]
/// paints the dabs placed since on the CPU — builds them up into the stroke
/// coverage `S` (kept for the whole image) and recomputes only their
/// rectangles from the pixels as they were before the stroke — and
/// [`GpuLiveStroke`] does the same into a layer held on the GPU. Since every
/// pixel is a function of the pixels before, `S` and the selection, and `S`
/// gets the same dabs in the same order, the result after the last point is
/// bit for bit what [`paint`] gives for the whole stroke at once, however
/// the dabs were split between calls and backends.
pub struct LiveStroke {
    placer: DabPlacer,
    /// The dab shape's coverage model (no centres).
    model: Dabs,
    flow: u32,
    opacity: u32,
    tool: PaintTool,
    points: usize,
    /// The image as it was before the stroke.
    before: RgbaImage,
    /// `S` over the whole image, as of the dabs painted on the CPU.
    coverage: Vec<u8>,
    dirty: Option<DirtyRect>,
    /// Dabs placed but not painted on the CPU yet (1/16 px, in stroke
    /// order), and the rectangles they repaint.
    unpainted: Vec<[i32; 2]>,
    unpainted_rects: Vec<DirtyRect>,
    /// Whether [`LiveStroke::catch_up`] has painted anything.
    painted_on_cpu: bool,
}

/// The dabs one [`LiveStroke::add`] placed.
pub struct PlacedDabs {
    /// What they can change.
    pub rect: DirtyRect,
    /// Their centres in 1/16 px, in stroke order.
    pub centres: Vec<[i32; 2]>,
}

impl LiveStroke {
    /// Starts a stroke on `before` (the image as it is now), checking every
    /// option by name. No dab is placed until [`LiveStroke::add`].
    pub fn begin(before: RgbaImage, options: &PaintOptions, tool: PaintTool) -> Result<LiveStroke> {
        let (shape, flow, opacity) = checked_levels(options)?;
        let placer = DabPlacer::new(before.dimensions(), &shape);
        Ok(LiveStroke {
            model: placer.shape_only(),
            placer,
            flow,
            opacity,
            tool,
            points: 0,
            coverage: vec![0; before.width() as usize * before.height() as usize],
            before,
            dirty: None,
            unpainted: Vec::new(),
            unpainted_rects: Vec::new(),
            painted_on_cpu: false,
        })
    }

    /// Continues the stroke through `points` (image coordinates; the first
    /// call needs one at least): places the new dabs, to be painted by
    /// [`LiveStroke::catch_up`] (and, where the image is held on the GPU,
    /// by [`GpuLiveStroke::paint`]). `None` when they miss the image. A
    /// refused call (bad point, too many points or dabs) changes nothing.
    pub fn add(&mut self, points: &[(f32, f32)]) -> Result<Option<PlacedDabs>> {
        check_point_count(points.len(), self.points)?;
        let centres = self.placer.extend(points)?;
        self.points += points.len();
        let Some(rect) = self.placer.dirty_of(&centres) else {
            return Ok(None);
        };
        let centres = crate::ops::dab::fixed_centres(&centres);
        self.unpainted.extend_from_slice(&centres);
        self.unpainted_rects.push(rect);
        self.dirty = Some(match self.dirty {
            Some(dirty) => dirty.union(&rect),
            None => rect,
        });
        Ok(Some(PlacedDabs { rect, centres }))
    }

    /// Paints the dabs placed since the last call into `target`, an image
    /// the size of the one the stroke began on, on the CPU: builds them into
    /// `S` and rewrites their rectangles, each scaled by `selection(rect)`
    /// (the rectangle's size, `None` without a selection). Returns what it
    /// rewrote, `None` when nothing was waiting.
    pub fn catch_up(
        &mut self,
        target: &mut RgbaImage,
        selection: impl Fn(DirtyRect) -> Option<GrayImage>,
    ) -> Result<Option<DirtyRect>> {
        if target.dimensions() != self.before.dimensions() {
            return Err(Error::SizeMismatch(format!(
                "the stroke began on a {}×{} image, not {}×{}",
                self.before.width(),
                self.before.height(),
                target.width(),
                target.height()
            )));
        }
        let Some(first) = self.unpainted_rects.first().copied() else {
            return Ok(None);
        };
        let (width, height) = self.before.dimensions();
        let whole = DirtyRect {
            x: 0,
            y: 0,
            width,
            height,
        };
        // Every rectangle's selection is checked before anything changes.
        let selections = self
            .unpainted_rects
            .iter()
            .map(|&rect| {
                let under = selection(rect);
                check_inputs(&self.before, rect, under.as_ref()).map(|()| under)
            })
            .collect::<Result<Vec<_>>>()?;
        let centres = std::mem::take(&mut self.unpainted);
        cpu::build_coverage(&self.model, &centres, self.flow, &mut self.coverage, whole);
        let rects = std::mem::take(&mut self.unpainted_rects);
        for (&rect, under) in rects.iter().zip(&selections) {
            self.repaint(target, rect, under.as_ref());
        }
        self.painted_on_cpu = true;
        Ok(Some(rects.iter().fold(first, |all, r| all.union(r))))
    }

    /// Whether dabs wait for [`LiveStroke::catch_up`].
    pub fn has_unpainted(&self) -> bool {
        !self.unpainted_rects.is_empty()
    }

    /// Whether [`LiveStroke::catch_up`] has painted anything: the image it
    /// painted is no longer the image before the stroke.
    pub fn painted_on_cpu(&self) -> bool {
        self.painted_on_cpu
    }

    /// Writes the stroke's pixels over `rect` into `target`, from `S`; the
    /// caller has checked `rect` and `selection` ([`check_inputs`]).
    fn repaint(&self, target: &mut RgbaImage, rect: DirtyRect, selection: Option<&GrayImage>) {
        let width = self.before.width();
        for py in 0..rect.height {
            for px in 0..rect.width {
                let (x, y) = (rect.x + px, rect.y + py);
                let s = self.coverage[(y * width + x) as usize];
                let selected = selection.map_or(255, |m| m.get_pixel(px, py)[0]);
                let pixel =
                    cpu::painted_pixel(&self.before, self.tool, self.opacity, (x, y), s, selected);
                target.put_pixel(x, y, pixel);
            }
        }
    }

    /// What the whole stroke so far can change (the union of the rectangles
    /// [`LiveStroke::add`] placed dabs in), `None` while it missed the image.
    pub fn dirty(&self) -> Option<DirtyRect> {
        self.dirty
    }

    pub fn tool(&self) -> PaintTool {
        self.tool
    }

    /// The image as it was before the stroke.
    pub fn before(&self) -> &RgbaImage {
        &self.before
    }

    /// Gives back the image as it was before the stroke.
    pub fn into_before(self) -> RgbaImage {
        self.before
    }
}

/// `source` over `dest` at full strength (straight alpha, W3C normal, the
/// brush's integer arithmetic): a transparent `source` leaves `dest`
/// bit-exact.
pub fn source_over(dest: [u8; 4], source: [u8; 4]) -> [u8; 4] {
    cpu::apply(dest, source, 255, false)
}

/// Checks that `image` holds the stroke's rectangle and that the
/// selection, if any, is the dirty rectangle's size.
fn check_inputs(image: &RgbaImage, rect: DirtyRect, selection: Option<&GrayImage>) -> Result<()> {
    let fits = rect.x + rect.width <= image.width() && rect.y + rect.height <= image.height();
    if !fits {
        return Err(Error::SizeMismatch(format!(
            "the stroke was planned for a larger image than {}×{}",
            image.width(),
            image.height()
        )));
    }
    if let Some(selection) = selection {
        if selection.dimensions() != (rect.width, rect.height) {
            return Err(Error::SizeMismatch(format!(
                "the selection is {}×{} but the stroke's rectangle is {}×{}",
                selection.width(),
                selection.height(),
                rect.width,
                rect.height
            )));
        }
    }
    Ok(())
}

/// The stroke's dirty rectangle and its pixels after the stroke, on the CPU.
/// `image` is not changed; `selection` (the rectangle's size, when there is
/// one) scales the effect. `None` when the stroke misses the image.
pub fn paint_cpu(
    image: &RgbaImage,
    stroke: &PaintStroke,
    selection: Option<&GrayImage>,
) -> Result<Option<(DirtyRect, RgbaImage)>> {
    let Some(rect) = stroke.dirty() else {
        return Ok(None);
    };
    check_inputs(image, rect, selection)?;
    Ok(Some((rect, cpu::paint(image, stroke, rect, selection))))
}

/// [`paint_cpu`] on the engine's backend (the CPU for strokes too long for
/// the GPU kernel, see [`crate::ops::dab`]); the same pixels, bit for bit.
pub async fn paint(
    engine: &Engine,
    image: &RgbaImage,
    stroke: &PaintStroke,
    selection: Option<&GrayImage>,
) -> Result<Option<(DirtyRect, RgbaImage)>> {
    let Some(rect) = stroke.dirty() else {
        return Ok(None);
    };
    check_inputs(image, rect, selection)?;
    let pixels = match engine.gpu().filter(|_| stroke.dabs.suits_gpu(rect)) {
        Some(gpu) => {
            gpu::paint(gpu, image, stroke, rect, selection, gpu.max_binding_bytes()).await?
        }
        None => cpu::paint(image, stroke, rect, selection),
    };
    Ok(Some((rect, pixels)))
}
