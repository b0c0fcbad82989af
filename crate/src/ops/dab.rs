//! The round dab shared by every brush (the selection brush in
//! [`crate::ops::brush`], the paint brush, eraser and clone stamp in
//! [`crate::ops::paint`]): where dabs go along a stroke, how much of a pixel
//! one covers, and the rectangle a stroke can touch.
//!
//! Dabs are placed at the stroke's first point and then every
//! `spacing × diameter` pixels along the polyline through its points (at least
//! every half pixel). A dab covers `a(r)` of a pixel whose centre is `r` from
//! the dab's centre: 1 out to `hardness × R` (R = diameter / 2, and at most
//! `R − 1`, so even a hard brush has a one-pixel anti-aliased rim), then a
//! smoothstep down to 0 at R, rounded to 0..=255.
//!
//! So that the CPU and the WGSL kernels agree bit for bit, coverage is
//! evaluated on integers only: dab centres and pixel centres are in 1/16
//! pixel, `r²` is an exact integer, and the profile is a table of 256
//! thresholds on `r²` (level `k` covers `r² < thresholds[k]`), built once per
//! stroke on the CPU and searched the same way by both backends (`dab.wgsl`).

use crate::engine::GpuContext;
use crate::{Error, Result};

/// The largest brush diameter, in pixels.
pub const MAX_DIAMETER: f32 = 5000.0;
/// The most dabs one stroke may place.
pub const MAX_DABS: usize = 1_000_000;
/// The most pixels a stroke's dabs may cover in all (each dab counted over
/// the part of its box on the canvas): what a stroke costs on the CPU. About
/// 8.6 billion, a few seconds; a 5000 px brush reaches it after about 340
/// dabs, a 100 px brush after about 850,000.
pub const MAX_DAB_PIXELS: u64 = 1 << 33;
/// The most dab-by-pixel tests worth sending to a GPU kernel, which tries
/// every dab at every pixel of the rectangle; past it (a long thin stroke
/// across a big image) the CPU, which visits each dab's box only, is faster.
/// Both give the same result.
pub(crate) const MAX_GPU_DAB_TESTS: u64 = 1 << 31;
/// Sub-pixel steps per pixel of dab and pixel centres.
const SUBPIXEL: f32 = 16.0;

/// The part of an image a stroke (or any edit) changed, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirtyRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl DirtyRect {
    /// The smallest rectangle holding both.
    pub fn union(&self, other: &DirtyRect) -> DirtyRect {
        let (x, y) = (self.x.min(other.x), self.y.min(other.y));
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        DirtyRect {
            x,
            y,
            width: right - x,
            height: bottom - y,
        }
    }
}

/// The dab's shape and spacing, with hardness and spacing as fractions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DabShape {
    /// Diameter in pixels, 1 to [`MAX_DIAMETER`].
    pub diameter: f32,
    /// Share of the radius painted at full strength, 0 to 1.
    pub hardness: f32,
    /// Distance between dabs as a fraction of the diameter, 0.01 to 10.
    pub spacing: f32,
}

/// Refuses a value outside `low..=high` (or not finite), naming the parameter.
pub(crate) fn check_range(name: &str, value: f32, low: f32, high: f32) -> Result<()> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("{value} is outside {low} to {high}"),
        ))
    }
}

/// A planned stroke: dab centres, the coverage table and the dirty rectangle.
pub(crate) struct Dabs {
    /// Dab centres in pixels, in stroke order.
    pub centres: Vec<(f32, f32)>,
    /// Level `k` (1..=255) covers pixels with `r² < thresholds[k]`, `r²` in
    /// 1/256 px²; `thresholds[0]` is `u32::MAX`. Non-increasing.
    pub thresholds: [u32; 256],
    /// Beyond this many 1/16 px on either axis a dab covers nothing.
    pub reach: i32,
    pub dirty: Option<DirtyRect>,
}

impl Dabs {
    /// Places the dabs of a stroke over a `canvas`-sized image. The shape's
    /// ranges are the caller's to check (in its own units); the points are
    /// checked here: at least one, all finite, at most [`MAX_DABS`] dabs.
    pub fn place(canvas: (u32, u32), points: &[(f32, f32)], shape: &DabShape) -> Result<Dabs> {
        let mut placer = DabPlacer::new(canvas, shape);
        let centres = placer.extend(points)?;
        Ok(Dabs {
            dirty: dirty_rect(canvas, &centres, placer.radius),
            centres,
            ..placer.shape_only()
        })
    }

    /// Whether the GPU kernels should paint `rect`: at most
    /// [`MAX_GPU_DAB_TESTS`] dab-by-pixel tests.
    pub fn suits_gpu(&self, rect: DirtyRect) -> bool {
        self.centres.len() as u64 * u64::from(rect.width) * u64::from(rect.height)
            <= MAX_GPU_DAB_TESTS
    }

    /// The dab centres in 1/16 px, as both backends use them.
    pub fn fixed_centres(&self) -> Vec<[i32; 2]> {
        fixed_centres(&self.centres)
    }

    /// The dab centres and thresholds as the storage buffers both brush
    /// kernels bind (dab.wgsl's `dabs` and `thresholds`), and how many dabs.
    pub fn gpu_buffers(&self, gpu: &GpuContext) -> (wgpu::Buffer, wgpu::Buffer, u32) {
        let centres = self.fixed_centres();
        let dabs = gpu.storage_buffer("dabs", bytemuck::cast_slice(&centres));
        let thresholds =
            gpu.storage_buffer("dab thresholds", bytemuck::cast_slice(&self.thresholds));
        (dabs, thresholds, centres.len() as u32)
    }

    /// The pixel bounds `x0..x1, y0..y1` of the dab at `centre` (1/16 px)
    /// inside `rect`; empty ranges when it misses.
    pub fn bounds(
        &self,
        centre: [i32; 2],
        rect: DirtyRect,
    ) -> (std::ops::Range<u32>, std::ops::Range<u32>) {
        let span = |c: i32, start: u32, len: u32| {
            let low = ((c - self.reach).div_euclid(16)).max(start as i32);
            let high = ((c + self.reach).div_euclid(16) + 1).min((start + len) as i32);
            low.max(0) as u32..high.max(low.max(0)) as u32
        };
        (
            span(centre[0], rect.x, rect.width),
            span(centre[1], rect.y, rect.height),
        )
    }

    /// The coverage (0..=255) of pixel `(x, y)` by the dab at `centre`;
    /// mirrors `dab_coverage` in dab.wgsl.
    #[inline]
    pub fn coverage(&self, centre: [i32; 2], x: u32, y: u32) -> u32 {
        let dx = (x as i32 * 16 + 8) - centre[0];
        let dy = (y as i32 * 16 + 8) - centre[1];
        if dx.abs() >= self.reach || dy.abs() >= self.reach {
            return 0;
        }
        let r2 = (dx * dx) as u32 + (dy * dy) as u32;
        // The largest level whose threshold is above r² (thresholds[0] always is).
        let mut level = 0;
        let mut step = 128;
        while step > 0 {
            if self.thresholds[level + step] > r2 {
                level += step;
            }
            step /= 2;
        }
        level as u32
    }
}

/// Places dabs along a stroke whose points arrive a few at a time (a drag
/// in progress): [`DabPlacer::extend`] continues exactly where the previous
/// call stopped, so the centres of all calls together are those
/// [`Dabs::place`] gives for all the points at once, bit for bit.
pub(crate) struct DabPlacer {
    canvas: (u32, u32),
    radius: f32,
    hard_radius: f32,
    /// Distance between dabs along the stroke.
    step: f32,
    /// The stroke's last point so far; `None` before the first.
    last: Option<(f32, f32)>,
    /// Distance still to travel along the stroke before the next dab.
    until_next: f32,
    placed: usize,
    /// The dab-box pixels placed so far (see [`MAX_DAB_PIXELS`]).
    work: u64,
}

impl DabPlacer {
    /// The shape's ranges are the caller's to check (in its own units).
    pub fn new(canvas: (u32, u32), shape: &DabShape) -> DabPlacer {
        let radius = shape.diameter / 2.0;
        DabPlacer {
            canvas,
            radius,
            hard_radius: (shape.hardness * radius).min(radius - 1.0).max(0.0),
            step: (shape.spacing * shape.diameter).max(0.5),
            last: None,
            until_next: 0.0,
            placed: 0,
            work: 0,
        }
    }

    /// The coverage model without dabs: thresholds and reach.
    pub fn shape_only(&self) -> Dabs {
        Dabs {
            centres: Vec::new(),
            thresholds: thresholds(self.radius, self.hard_radius),
            reach: (self.radius * SUBPIXEL).ceil() as i32 + 1,
            dirty: None,
        }
    }

    /// The dab centres `points` add to the stroke (the first call needs at
    /// least one point). Checks the points (all finite) and the stroke's
    /// totals ([`MAX_DABS`], [`MAX_DAB_PIXELS`]); a refused call changes
    /// nothing, so the stroke so far stands.
    pub fn extend(&mut self, points: &[(f32, f32)]) -> Result<Vec<(f32, f32)>> {
        if points.is_empty() && self.last.is_none() {
            return Err(Error::param("points", "a stroke needs at least one point"));
        }
        if let Some((x, y)) = points
            .iter()
            .find(|(x, y)| !x.is_finite() || !y.is_finite())
        {
            return Err(Error::param(
                "points",
                format!("({x}, {y}) is not a finite point"),
            ));
        }
        let mut centres = Vec::new();
        let mut until_next = self.until_next;
        let mut previous = match self.last {
            Some(last) => last,
            None => {
                centres.push(points[0]);
                until_next = self.step;
                points[0]
            }
        };
        for &(x1, y1) in points.iter().skip(usize::from(self.last.is_none())) {
            let (x0, y0) = previous;
            let length = (x1 - x0).hypot(y1 - y0);
            let mut travelled = until_next;
            while travelled <= length {
                if self.placed + centres.len() >= MAX_DABS {
                    return Err(Error::param(
                        "points",
                        format!("the stroke would need more than {MAX_DABS} dabs"),
                    ));
                }
                let t = travelled / length;
                centres.push((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t));
                travelled += self.step;
            }
            until_next = travelled - length;
            previous = (x1, y1);
        }
        let work = self.work + dab_pixels(self.canvas, &centres, self.radius);
        if work > MAX_DAB_PIXELS {
            return Err(Error::param(
                "points",
                format!(
                    "the stroke's {} dabs of {} px would cover {work} pixels in all, \
                     more than the {MAX_DAB_PIXELS} a stroke may; \
                     use a smaller brush, a wider spacing or a shorter stroke",
                    self.placed + centres.len(),
                    self.radius * 2.0
                ),
            ));
        }
        self.last = Some(previous);
        self.until_next = until_next;
        self.placed += centres.len();
        self.work = work;
        Ok(centres)
    }

    /// The rectangle `centres` (from [`DabPlacer::extend`]) can change,
    /// clipped to the canvas; the union over calls is the whole stroke's.
    pub fn dirty_of(&self, centres: &[(f32, f32)]) -> Option<DirtyRect> {
        dirty_rect(self.canvas, centres, self.radius)
    }
}

/// Dab centres in 1/16 px, as both backends use them.
pub(crate) fn fixed_centres(centres: &[(f32, f32)]) -> Vec<[i32; 2]> {
    let fixed = |v: f32| (v * SUBPIXEL).round().clamp(-1e9, 1e9) as i32;
    centres.iter().map(|&(x, y)| [fixed(x), fixed(y)]).collect()
}

/// The pixels the dabs' boxes cover on the canvas, summed over the dabs.
fn dab_pixels(canvas: (u32, u32), centres: &[(f32, f32)], radius: f32) -> u64 {
    let span = |c: f32, size: u32| {
        let low = (c - radius - 1.0).floor().max(0.0);
        let high = (c + radius + 1.0).ceil().min(size as f32);
        (high - low).max(0.0) as u64
    };
    centres
        .iter()
        .map(|&(x, y)| span(x, canvas.0) * span(y, canvas.1))
        .sum()
}

/// The dab profile at `r²` (in 1/256 px²), rounded to 0..=255.
fn profile(r2: u32, radius: f64, hard_radius: f64) -> u32 {
    let r = f64::from(r2).sqrt() / f64::from(SUBPIXEL);
    if r >= radius {
        0
    } else if r <= hard_radius {
        255
    } else {
        let t = (radius - r) / (radius - hard_radius);
        (t * t * (3.0 - 2.0 * t) * 255.0 + 0.5) as u32
    }
}

/// For each level k, the smallest `r²` whose coverage is below k (binary
/// search: the profile does not grow with r).
fn thresholds(radius: f32, hard_radius: f32) -> [u32; 256] {
    let (radius, hard_radius) = (f64::from(radius), f64::from(hard_radius));
    let outside = (radius * f64::from(SUBPIXEL)).powi(2).ceil() as u32 + 1;
    let mut table = [0u32; 256];
    table[0] = u32::MAX;
    for (k, threshold) in table.iter_mut().enumerate().skip(1) {
        let (mut low, mut high) = (0u32, outside);
        while low < high {
            let mid = low + (high - low) / 2;
            if profile(mid, radius, hard_radius) < k as u32 {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        *threshold = low;
    }
    table
}

/// The union of the dabs' bounds, clipped to the canvas.
fn dirty_rect(canvas: (u32, u32), dabs: &[(f32, f32)], radius: f32) -> Option<DirtyRect> {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(x, y) in dabs {
        x0 = x0.min(x - radius);
        y0 = y0.min(y - radius);
        x1 = x1.max(x + radius);
        y1 = y1.max(y + radius);
    }
    let clip = |v: f32, size: u32| v.clamp(0.0, size as f32) as u32;
    let (left, top) = (clip(x0.floor(), canvas.0), clip(y0.floor(), canvas.1));
    let (right, bottom) = (clip(x1.ceil(), canvas.0), clip(y1.ceil(), canvas.1));
    (right > left && bottom > top).then_some(DirtyRect {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    })
}

/// Adds one dab's `coverage` (0..=255) at `flow` (0..=255) to `value`,
/// moving it that share of the way to 255: dabs build up within a stroke.
/// The step is rounded up, so repeated dabs at any flow reach 255.
#[inline]
pub(crate) fn build_up(value: u32, coverage: u32, flow: u32) -> u32 {
    value + ((255 - value) * coverage * flow).div_ceil(65025)
}
