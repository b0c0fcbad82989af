//! Scanline rasterisation of selection shapes with anti-aliased coverage.
//!
//! Each pixel row is sampled on [`SUBSCANLINES`] horizontal lines; on each,
//! the shape is a set of spans `[x0, x1)` whose exact horizontal coverage is
//! accumulated per pixel (fractional ends directly, whole pixels through a
//! difference array, so a span costs O(1) whatever its length).

use super::Rect;
use image::GrayImage;

/// Sub-scanlines per pixel row: coverage is sampled in steps of 1/16 vertically.
pub const SUBSCANLINES: u32 = 16;

/// Sums span coverage for one pixel row.
struct RowCoverage {
    /// Coverage of pixels partly covered at a span's end, in pixel widths.
    partial: Vec<f32>,
    /// Difference array of whole covered pixels: +1 where a run starts, −1 after it ends.
    runs: Vec<f32>,
    width: f64,
}

impl RowCoverage {
    fn new(width: u32) -> Self {
        RowCoverage {
            partial: vec![0.0; width as usize],
            runs: vec![0.0; width as usize + 1],
            width: f64::from(width),
        }
    }

    /// Adds the span `[x0, x1)`, clipped to the row.
    fn add_span(&mut self, x0: f64, x1: f64) {
        let (x0, x1) = (x0.max(0.0), x1.min(self.width));
        if x1 <= x0 {
            return;
        }
        let (first, last) = (x0.floor() as usize, x1.floor() as usize);
        if first == last {
            self.partial[first] += (x1 - x0) as f32;
            return;
        }
        self.partial[first] += (first as f64 + 1.0 - x0) as f32;
        self.runs[first + 1] += 1.0;
        self.runs[last] -= 1.0;
        if let Some(p) = self.partial.get_mut(last) {
            *p += (x1 - last as f64) as f32;
        }
    }

    /// Writes the row's coverage (after `samples` sub-scanlines) and resets.
    fn finish(&mut self, out: &mut [u8], samples: u32) {
        let scale = 255.0 / samples as f32;
        let mut whole = 0.0f32;
        for ((o, p), r) in out.iter_mut().zip(&mut self.partial).zip(&mut self.runs) {
            whole += *r;
            *o = ((whole + *p) * scale).min(255.0).round() as u8;
            *p = 0.0;
            *r = 0.0;
        }
        self.runs[out.len()] = 0.0;
    }
}

/// Rows `[first, last)` of the canvas that `[y0, y1)` touches.
fn row_range(y0: f64, y1: f64, height: u32) -> std::ops::Range<u32> {
    let first = y0.floor().clamp(0.0, f64::from(height)) as u32;
    let last = y1.ceil().clamp(0.0, f64::from(height)) as u32;
    first..last.max(first)
}

/// Sub-scanline `j` of pixel row `y`, at the centre of its band.
fn subscanline(y: u32, j: u32) -> f64 {
    f64::from(y) + (f64::from(j) + 0.5) / f64::from(SUBSCANLINES)
}

/// Length of `[a, a+1)` ∩ `[lo, hi)`.
fn overlap(a: f64, lo: f64, hi: f64) -> f64 {
    ((a + 1.0).min(hi) - a.max(lo)).max(0.0)
}

/// Exact-area rectangle: coverage is separable, `cx(x) · cy(y)`.
pub fn rectangle(width: u32, height: u32, rect: Rect) -> GrayImage {
    let (x0, y0) = (f64::from(rect.x), f64::from(rect.y));
    let (x1, y1) = (x0 + f64::from(rect.width), y0 + f64::from(rect.height));
    let cover_x: Vec<f64> = (0..width).map(|x| overlap(f64::from(x), x0, x1)).collect();
    let mut mask = GrayImage::new(width, height);
    for y in row_range(y0, y1, height) {
        let cy = overlap(f64::from(y), y0, y1);
        let row = &mut mask.as_mut()[(y * width) as usize..][..width as usize];
        for (o, cx) in row.iter_mut().zip(&cover_x) {
            *o = (cx * cy * 255.0).round() as u8;
        }
    }
    mask
}

/// The ellipse inscribed in `rect`: one span per sub-scanline.
pub fn ellipse(width: u32, height: u32, rect: Rect) -> GrayImage {
    let (rx, ry) = (f64::from(rect.width) / 2.0, f64::from(rect.height) / 2.0);
    let (cx, cy) = (f64::from(rect.x) + rx, f64::from(rect.y) + ry);
    let mut mask = GrayImage::new(width, height);
    if rx == 0.0 || ry == 0.0 {
        return mask;
    }
    let mut coverage = RowCoverage::new(width);
    for y in row_range(cy - ry, cy + ry, height) {
        for j in 0..SUBSCANLINES {
            let t = (subscanline(y, j) - cy) / ry;
            if t * t < 1.0 {
                let half = rx * (1.0 - t * t).sqrt();
                coverage.add_span(cx - half, cx + half);
            }
        }
        coverage.finish(
            &mut mask.as_mut()[(y * width) as usize..][..width as usize],
            SUBSCANLINES,
        );
    }
    mask
}

/// A non-horizontal polygon edge, oriented top to bottom.
struct Edge {
    top: f64,
    bottom: f64,
    x_at_top: f64,
    dx_dy: f64,
    /// +1 if the outline runs downwards along this edge, −1 if upwards.
    winding: i32,
}

/// How many (edge, sub-scanline) crossings [`polygon`] visits on a canvas
/// `height` rows tall: its cost besides the mask's pixels, known before
/// any work.
pub fn polygon_crossings(height: u32, points: &[(f32, f32)]) -> u64 {
    let bottom = f64::from(height);
    let steps = f64::from(SUBSCANLINES);
    (0..points.len())
        .map(|i| {
            let (ay, by) = (points[i].1, points[(i + 1) % points.len()].1);
            let top = f64::from(ay.min(by)).clamp(0.0, bottom);
            let end = f64::from(ay.max(by)).clamp(0.0, bottom);
            ((end - top) * steps).ceil() as u64
        })
        .sum()
}

/// Non-zero winding fill of the closed outline through `points`.
pub fn polygon(width: u32, height: u32, points: &[(f32, f32)]) -> GrayImage {
    let mut edges: Vec<Edge> = Vec::with_capacity(points.len());
    for (i, &(ax, ay)) in points.iter().enumerate() {
        let (bx, by) = points[(i + 1) % points.len()];
        let (ax, ay, bx, by) = (f64::from(ax), f64::from(ay), f64::from(bx), f64::from(by));
        if ay == by {
            continue; // Horizontal edges never cross a scanline.
        }
        let (winding, (tx, ty), (_, dy)) = if ay < by {
            (1, (ax, ay), (bx, by))
        } else {
            (-1, (bx, by), (ax, ay))
        };
        edges.push(Edge {
            top: ty,
            bottom: dy,
            x_at_top: tx,
            dx_dy: (bx - ax) / (by - ay),
            winding,
        });
    }
    edges.sort_unstable_by(|a, b| a.top.total_cmp(&b.top));
    let mut mask = GrayImage::new(width, height);
    let (Some(first), Some(bottom)) = (
        edges.first().map(|e| e.top),
        edges.iter().map(|e| e.bottom).reduce(f64::max),
    ) else {
        return mask;
    };
    let mut coverage = RowCoverage::new(width);
    let mut next_edge = 0;
    let mut active: Vec<usize> = Vec::new();
    let mut crossings: Vec<(f64, i32)> = Vec::new();
    for y in row_range(first, bottom, height) {
        for j in 0..SUBSCANLINES {
            let sy = subscanline(y, j);
            while next_edge < edges.len() && edges[next_edge].top <= sy {
                active.push(next_edge);
                next_edge += 1;
            }
            active.retain(|&e| edges[e].bottom > sy);
            crossings.clear();
            crossings.extend(active.iter().map(|&e| {
                let edge = &edges[e];
                (edge.x_at_top + (sy - edge.top) * edge.dx_dy, edge.winding)
            }));
            crossings.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let mut winding = 0;
            let mut span_start = 0.0;
            for &(x, w) in &crossings {
                let before = winding;
                winding += w;
                if before == 0 && winding != 0 {
                    span_start = x;
                } else if before != 0 && winding == 0 {
                    coverage.add_span(span_start, x);
                }
            }
        }
        coverage.finish(
            &mut mask.as_mut()[(y * width) as usize..][..width as usize],
            SUBSCANLINES,
        );
    }
    mask
}
