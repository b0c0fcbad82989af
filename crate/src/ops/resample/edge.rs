//! The edge-adaptive upscaler.
//!
//! [`upscale`] is Lanczos3, then iterative back-projection against the
//! source (see [`back_project`]), then contrast-adaptive sharpening (see
//! [`sharpen`]), all on premultiplied values (0 to 1) in the chosen
//! space; it beats Lanczos3 by 0.49 dB PSNR at ×2 and 0.40 dB at ×4
//! (tests/quality/RESULTS.md). On the GPU the start is `resample.wgsl`'s
//! Lanczos3 and `edge.wgsl` runs the rest in the same f32 order, from the
//! same [`Axis`] tables, tile by tile (see [`Axis::window`]); this file is
//! the reference for its parity tests.
//!
//! An earlier version started from an edge-directed interpolation (a kernel
//! steered along the local structure tensor's edge direction, after AMD
//! FidelityFX Super Resolution 1's edge-adaptive upsampling). It measured
//! 0.7 dB PSNR *below* Lanczos3 at ×2, with or without back-projection, so
//! it was dropped; tests/quality/RESULTS.md keeps the history.

use super::cpu::{convolve16, premultiplied16_to_rgba8, to_premultiplied16};
use super::ResizeOptions;
use crate::parallel::for_each_part;
use image::RgbaImage;
use std::ops::Range;

/// Sharpening gain at sharpness 1.
pub(crate) const GAIN: f32 = 2.0;

/// The sharpened value of pixel `c` of the upsampled plane, from its
/// neighbours above, left, right and below (edges clamped to the image)
/// (contrast-adaptive sharpening): it moves away from the mean of its four
/// neighbours by `GAIN · sharpness`, and is then clamped to the range of
/// itself and those neighbours, so detail the interpolation softened comes
/// back and no halo can overshoot a local extreme.
#[inline(always)]
fn sharpen(c: [f32; 4], around: &[[f32; 4]; 4], sharpness: f32) -> [f32; 4] {
    let gain = GAIN * sharpness;
    std::array::from_fn(|k| sharpened(c[k], around.map(|p| p[k]), gain))
}

/// One channel of [`sharpen`]: value `c` and the same channel of the
/// pixels above, left, right and below it.
#[inline(always)]
fn sharpened(c: f32, around: [f32; 4], gain: f32) -> f32 {
    let (mut lo, mut hi, mut mean) = (c, c, 0.0);
    for p in around {
        lo = lesser(lo, p);
        hi = greater(hi, p);
        mean += 0.25 * p;
    }
    limit(c + gain * (c - mean), lo, hi)
}

// Plain compare-and-select forms of min, max and clamp for values that are
// never NaN: they vectorise, where `f32::min`/`max` (NaN handling) and
// `f32::clamp` (which asserts lo ≤ hi) kept these loops scalar. The values
// are the same (a zero's sign aside, which quantises alike).
#[inline(always)]
fn lesser(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

#[inline(always)]
fn greater(a: f32, b: f32) -> f32 {
    if b > a {
        b
    } else {
        a
    }
}

/// `x` within `lo..=hi` (lo ≤ hi).
#[inline(always)]
fn limit(x: f32, lo: f32, hi: f32) -> f32 {
    lesser(greater(x, lo), hi)
}

/// The source position of output pixel `o` along an axis scaled by `scale`
/// (source size / output size), pixel centres at integers.
pub(crate) fn source_position(o: u32, scale: f32) -> f32 {
    (o as f32 + 0.5) * scale - 0.5
}

/// Quantises a premultiplied value to 16 bits, rounded; NaN gives 0.
/// Clamped by compare-and-select (which sends NaN to 0 too), the product
/// is a finite value in 0.5..=65535.5, so the conversion needs none of a
/// saturating cast's checks, which kept the quantising loops scalar.
pub(crate) fn to_u16(v: f32) -> u16 {
    let v = if v > 0.0 { v } else { 0.0 };
    let v = if v < 1.0 { v } else { 1.0 };
    // SAFETY: `v` is within 0..=1 (not NaN), so the rounded product is
    // finite and within i32's range.
    unsafe { (v * 65535.0 + 0.5).to_int_unchecked::<i32>() as u16 }
}

/// Back-projection rounds: each one moves the estimate by the upsampled
/// error between the source and the estimate shrunk back. Two rounds take
/// most of the gain (see tests/quality/RESULTS.md); more mostly add time.
pub(crate) const BACK_PROJECTIONS: usize = 3;

/// One axis of back-projection between `small` source pixels and `big`
/// output pixels: the tables both backends use, so that they agree bit for
/// bit on weights and positions.
pub(crate) struct Axis {
    /// Per source pixel: the first output pixel of its footprint and the
    /// area-average weights of the footprint's pixels (the fraction of the
    /// source pixel each covers).
    pub down: Vec<(usize, Vec<f32>)>,
    /// Per output pixel: the bilinear taps on the source grid (left index,
    /// right index, right weight).
    pub taps: Vec<(usize, usize, f32)>,
    /// Per output pixel: the source pixel that contains its centre, the
    /// middle of its 3×3 clamp range.
    pub cells: Vec<usize>,
}

impl Axis {
    pub(crate) fn new(small: u32, big: u32) -> Axis {
        let ratio = f64::from(big) / f64::from(small);
        let down = (0..small)
            .map(|i| {
                let (a, b) = (f64::from(i) * ratio, f64::from(i + 1) * ratio);
                let first = a.floor() as usize;
                let last = (b.ceil() as usize).min(big as usize);
                let weights = (first..last)
                    .map(|o| ((b.min(o as f64 + 1.0) - a.max(o as f64)).max(0.0) / ratio) as f32)
                    .collect();
                (first, weights)
            })
            .collect();
        let scale = small as f32 / big as f32;
        let taps = (0..big)
            .map(|o| {
                let p = source_position(o, scale).clamp(0.0, (small - 1) as f32);
                let left = p.floor();
                let right = (left as usize + 1).min(small as usize - 1);
                (left as usize, right, p - left)
            })
            .collect();
        let cells = (0..big)
            .map(|o| (((o as f32 + 0.5) * scale) as usize).min(small as usize - 1))
            .collect();
        Axis { down, taps, cells }
    }

    /// The output pixels source pixels `sources` shrink from.
    fn footprint(&self, sources: Range<usize>) -> Range<usize> {
        let (first, _) = &self.down[sources.start];
        let (last, weights) = &self.down[sources.end - 1];
        *first..last + weights.len()
    }

    /// The output pixels of the Lanczos3 start that output pixels `outputs`
    /// depend on after [`BACK_PROJECTIONS`] rounds and sharpening: a GPU
    /// tile computes this window and keeps only `outputs`. Walking back from
    /// the end: sharpening reads one pixel around; a round reads the
    /// previous estimate at the same pixels, and the error at their bilinear
    /// taps, which shrinks from those taps' footprints. About two source
    /// pixels per round, whatever the scale.
    pub(crate) fn window(&self, outputs: Range<u32>) -> Range<u32> {
        let size = self.taps.len();
        let mut needed =
            (outputs.start as usize).saturating_sub(1)..(outputs.end as usize + 1).min(size);
        for _ in 0..BACK_PROJECTIONS {
            let sources = self.taps[needed.start].0..self.taps[needed.end - 1].1 + 1;
            let footprint = self.footprint(sources);
            needed = needed.start.min(footprint.start)..needed.end.max(footprint.end);
        }
        needed.start as u32..needed.end as u32
    }

    /// The source pixels whose whole footprint lies in output `window`: the
    /// errors a tile can compute exactly.
    pub(crate) fn sources_within(&self, window: &Range<u32>) -> Range<u32> {
        let (start, end) = (window.start as usize, window.end as usize);
        let first = self.down.partition_point(|(first, _)| *first < start);
        let last = self
            .down
            .partition_point(|(first, weights)| first + weights.len() <= end);
        first as u32..last as u32
    }
}

/// Output tiles are this many pixels a side: each runs every round over
/// its window (the tile and the halo its result depends on, see
/// [`Axis::window`]), so a tile's working set stays in the core's cache and
/// no plane of the whole output is ever made (touching fresh memory costs
/// a page fault per 4 KiB). At ×2 a 128 px tile's window is 140 px a
/// side, a fifth more pixels; tiles of 96 to 256 px measured within 3 % of
/// each other on two threads.
const TILE: usize = 128;

/// Upscales `src` to the options' size (validated: not smaller on either
/// axis): Lanczos3, [`BACK_PROJECTIONS`] rounds of back-projection (see
/// [`back_project`]), then sharpening, tile by tile (see [`TILE`]), bands
/// of tiles on every core. A tile's pixels equal the whole image's, as on
/// the GPU, which tiles the same way.
///
/// Why Lanczos3 as the start: back-projection only fixes what the shrink
/// can see, and keeps the start's detail beyond it.
pub(super) fn upscale(src: &RgbaImage, options: &ResizeOptions) -> RgbaImage {
    let (w, h) = (options.width as usize, options.height as usize);
    let values = to_premultiplied16(src, options.linear_light);
    let start = convolve16(&values, src.width(), src.height(), &start_options(options));
    let image = Image {
        start: &start,
        width: w,
        height: h,
        source: &values,
        source_width: src.width() as usize,
        source_height: src.height() as usize,
        axes: [
            Axis::new(src.width(), options.width),
            Axis::new(src.height(), options.height),
        ],
        options,
    };
    let mut out = vec![0u8; w * h * 4];
    let bands: Vec<_> = out.chunks_mut(TILE * w * 4).enumerate().collect();
    for_each_part(bands, |(band, rows)| {
        let mut tile = TileBuffers::default();
        let ys = band * TILE..(band * TILE + TILE).min(h);
        for x in (0..w).step_by(TILE) {
            image.upscale_tile(x..(x + TILE).min(w), ys.clone(), &mut tile, rows);
        }
    });
    RgbaImage::from_raw(options.width, options.height, out).expect("four bytes per pixel")
}

/// What every tile of one upscale reads.
struct Image<'a> {
    /// The Lanczos3 start, 16-bit premultiplied RGBA.
    start: &'a [u16],
    width: usize,
    height: usize,
    /// The source, 16-bit premultiplied RGBA.
    source: &'a [u16],
    source_width: usize,
    source_height: usize,
    axes: [Axis; 2],
    options: &'a ResizeOptions,
}

/// A tile's working buffers, reused from tile to tile.
#[derive(Default)]
struct TileBuffers {
    /// The part of the source the tile reads, as f32.
    source: Vec<f32>,
    /// The estimate over the window, row-major.
    estimate: Vec<[f32; 4]>,
    /// Per window row, its area-average shrink at the error columns.
    narrowed: Vec<[f32; 4]>,
    /// The error at the tile's error pixels.
    error: Vec<[f32; 4]>,
    /// The clamp ranges of the cells the window's pixels lie in.
    ranges: ClampRanges,
    /// One output row's sharpened 16-bit values.
    quantised: Vec<u16>,
}

impl Image<'_> {
    /// Upscales the output pixels `xs` × `ys` into `rows` (the band of
    /// whole output rows from `ys.start`).
    fn upscale_tile(
        &self,
        xs: Range<usize>,
        ys: Range<usize>,
        tile: &mut TileBuffers,
        rows: &mut [u8],
    ) {
        let span_x = Span::new(&self.axes[0], xs.clone());
        let span_y = Span::new(&self.axes[1], ys.clone());
        let ww = span_x.window.len();
        tile.estimate.resize(ww * span_y.window.len(), [0.0; 4]);
        let window_rows = tile.estimate.chunks_exact_mut(ww);
        for (row, y) in window_rows.zip(span_y.window.clone()) {
            let values = &self.start[(y * self.width + span_x.window.start) * 4..][..ww * 4];
            unit_values(values, row.as_flattened_mut());
        }
        let source = self.source_region(&span_x, &span_y, &mut tile.source);
        clamp_ranges(&source, &span_x, &span_y, &mut tile.ranges);
        back_project(
            &mut tile.estimate,
            &source,
            (&span_x, &span_y),
            (&tile.ranges.lo, &tile.ranges.hi),
            (&mut tile.narrowed, &mut tile.error),
        );
        // Sharpen, quantise and store the tile's rows, from the window's.
        let (w, h, o) = (self.width, self.height, self.options);
        let window_row = |y: usize| &tile.estimate[(y - span_y.window.start) * ww..][..ww];
        let columns = xs.start - span_x.window.start..xs.end - span_x.window.start;
        for y in ys.clone() {
            let neighbours = [
                window_row(y.saturating_sub(1)),
                window_row(y),
                window_row((y + 1).min(h - 1)),
            ];
            tile.quantised.resize(columns.len() * 4, 0);
            sharpen_row(
                neighbours,
                columns.clone(),
                o.sharpness,
                &mut tile.quantised,
            );
            let row = &mut rows[((y - ys.start) * w + xs.start) * 4..][..xs.len() * 4];
            to_rgba8_row(&tile.quantised, o.linear_light, row);
        }
    }

    /// The source pixels a tile reads (its cells and one pixel around them,
    /// and its error pixels), converted to f32 from 0 to 1.
    fn source_region<'b>(
        &self,
        span_x: &Span,
        span_y: &Span,
        buffer: &'b mut Vec<f32>,
    ) -> SourceRegion<'b> {
        let (sw, sh) = (self.source_width, self.source_height);
        let around = |span: &Span, size: usize| {
            span.cells.start.saturating_sub(1).min(span.errors.start)
                ..(span.cells.end + 1).min(size).max(span.errors.end)
        };
        let (columns, rows) = (around(span_x, sw), around(span_y, sh));
        let n = columns.len() * 4;
        buffer.resize(rows.len() * n, 0.0);
        for (out, y) in buffer.chunks_exact_mut(n).zip(rows.clone()) {
            unit_values(&self.source[(y * sw + columns.start) * 4..][..n], out);
        }
        SourceRegion {
            values: buffer,
            columns,
            rows,
            width: sw,
            height: sh,
        }
    }
}

/// Source pixels `columns` × `rows` as f32, flat, row-major, of a source
/// `width` × `height`.
struct SourceRegion<'a> {
    values: &'a [f32],
    columns: Range<usize>,
    rows: Range<usize>,
    width: usize,
    height: usize,
}

impl SourceRegion<'_> {
    /// Pixels `columns` of source row `y`, flat.
    fn row(&self, y: usize, columns: Range<usize>) -> &[f32] {
        let n = self.columns.len() * 4;
        let row = &self.values[(y - self.rows.start) * n..][..n];
        &row[(columns.start - self.columns.start) * 4..(columns.end - self.columns.start) * 4]
    }
}

/// The clamp ranges of a tile's cells, and the rows they are made from.
#[derive(Default)]
struct ClampRanges {
    /// The lower and upper limit of each cell, flat, row-major.
    lo: Vec<f32>,
    hi: Vec<f32>,
    /// One row of cells' min and max down three source rows, and one of
    /// those source rows, each padded by a pixel on either side.
    column_lo: Vec<f32>,
    column_hi: Vec<f32>,
    padded: Vec<f32>,
}

/// The min and max of the 3×3 source pixels around each of a tile's cells
/// (edges clamped to the image), as flat rows over the cells: down each
/// column of three rows, then across three columns, as flat lanes (each
/// row padded by its edge pixel where the image ends, so every cell has a
/// column on either side).
fn clamp_ranges(source: &SourceRegion, span_x: &Span, span_y: &Span, ranges: &mut ClampRanges) {
    let (sw, sh) = (source.width, source.height);
    let cells = span_x.cells.clone();
    let n = cells.len() * 4;
    let padded_row = |y: usize, out: &mut Vec<f32>| {
        out.clear();
        if cells.start == 0 {
            out.extend_from_slice(source.row(y, 0..1));
        }
        out.extend_from_slice(
            source.row(y, cells.start.saturating_sub(1)..(cells.end + 1).min(sw)),
        );
        if cells.end == sw {
            out.extend_from_slice(source.row(y, sw - 1..sw));
        }
    };
    let ClampRanges {
        lo,
        hi,
        column_lo,
        column_hi,
        padded,
    } = ranges;
    lo.resize(span_y.cells.len() * n, 0.0);
    hi.resize(span_y.cells.len() * n, 0.0);
    let rows = lo.chunks_exact_mut(n).zip(hi.chunks_exact_mut(n));
    for ((lo, hi), cy) in rows.zip(span_y.cells.clone()) {
        padded_row(cy.saturating_sub(1), column_lo);
        column_hi.clone_from(column_lo);
        for y in [cy, (cy + 1).min(sh - 1)] {
            padded_row(y, padded);
            extremes(column_lo, column_hi, padded);
        }
        extremes_across(column_lo, column_hi, (lo, hi));
    }
}

crate::simd::widest_vectors! {
    /// Lowers `lo` and raises `hi` to `values` where those pass them.
    fn extremes(lo: &mut [f32], hi: &mut [f32], values: &[f32]) = extremes_lanes;
}

#[inline(always)]
fn extremes_lanes(lo: &mut [f32], hi: &mut [f32], values: &[f32]) {
    let n = values.len();
    for ((lo, hi), &v) in lo[..n].iter_mut().zip(&mut hi[..n]).zip(values) {
        *lo = lesser(*lo, v);
        *hi = greater(*hi, v);
    }
}

crate::simd::widest_vectors! {
    /// Per pixel of `out`, the min of `lo` and the max of `hi` over that
    /// pixel and the next two (flat RGBA: four values apart).
    fn extremes_across(lo: &[f32], hi: &[f32], out: (&mut [f32], &mut [f32])) = across_lanes;
}

#[inline(always)]
fn across_lanes(lo: &[f32], hi: &[f32], (out_lo, out_hi): (&mut [f32], &mut [f32])) {
    let n = out_lo.len();
    let (lo, hi, out_hi) = (&lo[..n + 8], &hi[..n + 8], &mut out_hi[..n]);
    for i in 0..n {
        out_lo[i] = lesser(lesser(lo[i], lo[i + 4]), lo[i + 8]);
        out_hi[i] = greater(greater(hi[i], hi[i + 4]), hi[i + 8]);
    }
}

/// One axis of a tile: its window of the estimate, the error pixels whose
/// footprint lies in it ([`Axis::sources_within`]), the source cells its
/// pixels lie in, and the axis tables relative to those.
struct Span<'a> {
    window: Range<usize>,
    errors: Range<usize>,
    cells: Range<usize>,
    /// Per error pixel: its footprint's first pixel (in the window) and the
    /// area-average weights.
    down: Vec<(usize, &'a [f32])>,
    /// Per window pixel: its bilinear taps (error indices, clamped to the
    /// tile's errors: the pixels the tile keeps never need the others) and
    /// the right tap's weight.
    taps: Vec<(usize, usize, f32)>,
    /// Per window pixel: its cell, from the first of `cells`.
    cell_of: Vec<usize>,
}

impl<'a> Span<'a> {
    fn new(axis: &'a Axis, outputs: Range<usize>) -> Span<'a> {
        let window = axis.window(outputs.start as u32..outputs.end as u32);
        let errors = axis.sources_within(&window);
        let (window, errors) = (
            window.start as usize..window.end as usize,
            errors.start as usize..errors.end as usize,
        );
        let cells = axis.cells[window.start]..axis.cells[window.end - 1] + 1;
        let down = axis.down[errors.clone()]
            .iter()
            .map(|(first, weights)| (first - window.start, weights.as_slice()))
            .collect();
        let tap = |i: usize| i.clamp(errors.start, errors.end - 1) - errors.start;
        let taps = axis.taps[window.clone()]
            .iter()
            .map(|&(left, right, weight)| (tap(left), tap(right), weight))
            .collect();
        let cell_of = axis.cells[window.clone()]
            .iter()
            .map(|c| c - cells.start)
            .collect();
        Span {
            window,
            errors,
            cells,
            down,
            taps,
            cell_of,
        }
    }
}

/// Iterative back-projection (Irani and Peleg) over one tile's window
/// (`estimate`, row-major): the benchmark's, and most drafts', degradation
/// is an area-average shrink, so an enlargement `x` is only consistent with
/// its source `y` if shrinking it gives `y` back. Each round computes the
/// error `y − D(x)` on the source grid (D: area average) and adds it back
/// upsampled bilinearly (a smooth U, so the correction cannot add
/// jaggies). The result is clamped per channel to the range of the 3×3
/// source pixels around each output pixel (`range`, per cell):
/// back-projection may legitimately push a peak past its 2×2 neighbours (a
/// shrunk peak is lower than the true one), but never beyond the
/// neighbourhood, which rules out ringing halos.
fn back_project(
    estimate: &mut [[f32; 4]],
    source: &SourceRegion,
    (span_x, span_y): (&Span, &Span),
    range: (&[f32], &[f32]),
    (narrowed, error): (&mut Vec<[f32; 4]>, &mut Vec<[f32; 4]>),
) {
    let (ww, ew, eh) = (
        span_x.window.len(),
        span_x.errors.len(),
        span_y.errors.len(),
    );
    narrowed.resize(span_y.window.len() * ew, [0.0; 4]);
    error.resize(ew * eh, [0.0; 4]);
    for row in 0..span_y.window.len() {
        shrink_row(
            &estimate[row * ww..][..ww],
            &span_x.down,
            &mut narrowed[row * ew..][..ew],
        );
    }
    // The clamp limits do not change from round to round.
    let mut limits = RowLimits::new(range, span_x.cells.len(), &span_x.cell_of);
    for round in 0..BACK_PROJECTIONS {
        // D(x) vertically and the error y − D(x).
        for (j, (first, weights)) in span_y.down.iter().enumerate() {
            let out = error[j * ew..][..ew].as_flattened_mut();
            out.fill(0.0);
            for (k, &weight) in weights.iter().enumerate() {
                let row = narrowed[(first + k) * ew..][..ew].as_flattened();
                for (acc, &p) in out.iter_mut().zip(row) {
                    *acc += weight * p;
                }
            }
            let y = span_y.errors.start + j;
            let src = source.row(y, span_x.errors.clone());
            for (e, &s) in out.iter_mut().zip(src) {
                *e = s - *e;
            }
        }
        // x += U(error), clamped to the source neighbourhood; then the
        // next round's horizontal D(x) of the updated row.
        let mut upsampled = UpsampledErrors::new(error, ew, &span_x.taps);
        for (row, (&(top, bottom, fy), &cell)) in
            span_y.taps.iter().zip(&span_y.cell_of).enumerate()
        {
            let estimate_row = &mut estimate[row * ww..][..ww];
            let (upper, lower) = upsampled.rows(top, bottom);
            let (lo, hi) = limits.row(cell);
            correct_values(
                estimate_row.as_flattened_mut(),
                (upper, lower),
                fy,
                (lo, hi),
            );
            if round + 1 < BACK_PROJECTIONS {
                shrink_row(estimate_row, &span_x.down, &mut narrowed[row * ew..][..ew]);
            }
        }
    }
}

/// One row's area-average shrink along x, at the error columns.
fn shrink_row(row: &[[f32; 4]], down: &[(usize, &[f32])], out: &mut [[f32; 4]]) {
    for (out, &(first, weights)) in out.iter_mut().zip(down) {
        // Two pixels to a footprint (every one at ×2): the same sum, unrolled.
        if let [a, b] = *weights {
            let (p, q) = (row[first], row[first + 1]);
            *out = std::array::from_fn(|c| 0.0 + a * p[c] + b * q[c]);
            continue;
        }
        let mut acc = [0.0f32; 4];
        for (k, wgt) in weights.iter().enumerate() {
            let p = row[first + k];
            for c in 0..4 {
                acc[c] += wgt * p[c];
            }
        }
        *out = acc;
    }
}

/// A round's error rows upsampled along x (bilinearly, at a span's taps),
/// for the window's rows top to bottom: output rows share error rows (two
/// to each at ×2), so each is upsampled once rather than for every output
/// row that reads it.
struct UpsampledErrors<'a> {
    error: &'a [[f32; 4]],
    width: usize,
    taps: &'a [(usize, usize, f32)],
    /// The two most recent rows: error row (`usize::MAX` for none yet) and
    /// its flat upsampled values.
    rows: [(usize, Vec<f32>); 2],
}

impl<'a> UpsampledErrors<'a> {
    fn new(error: &'a [[f32; 4]], width: usize, taps: &'a [(usize, usize, f32)]) -> Self {
        let empty = || (usize::MAX, vec![0.0; taps.len() * 4]);
        UpsampledErrors {
            error,
            width,
            taps,
            rows: [empty(), empty()],
        }
    }

    /// Error rows `top` and `bottom` (`top` ≤ `bottom`, as output rows go
    /// down), upsampled.
    fn rows(&mut self, top: usize, bottom: usize) -> (&[f32], &[f32]) {
        if self.rows[1].0 == top {
            self.rows.swap(0, 1);
        }
        if self.rows[0].0 != top {
            self.fill(0, top);
        }
        if bottom == top {
            return (&self.rows[0].1, &self.rows[0].1);
        }
        if self.rows[1].0 != bottom {
            self.fill(1, bottom);
        }
        (&self.rows[0].1, &self.rows[1].1)
    }

    fn fill(&mut self, slot: usize, error_row: usize) {
        let error = &self.error[error_row * self.width..][..self.width];
        let (index, values) = &mut self.rows[slot];
        *index = error_row;
        for (out, &(left, right, fx)) in values.chunks_exact_mut(4).zip(self.taps) {
            let (a, b) = (error[left], error[right]);
            for k in 0..4 {
                out[k] = a[k] + fx * (b[k] - a[k]);
            }
        }
    }
}

/// The clamp range of every pixel of a window row, flat, from the ranges
/// of the cells (source pixels) its pixels lie in; kept while consecutive
/// rows lie in the same row of cells.
struct RowLimits<'a> {
    /// Lower and upper limits per cell, flat, row-major.
    range: (&'a [f32], &'a [f32]),
    width: usize,
    cell_of: &'a [usize],
    cell_row: usize,
    lo: Vec<f32>,
    hi: Vec<f32>,
}

impl<'a> RowLimits<'a> {
    fn new(range: (&'a [f32], &'a [f32]), width: usize, cell_of: &'a [usize]) -> Self {
        let n = cell_of.len() * 4;
        RowLimits {
            range,
            width,
            cell_of,
            cell_row: usize::MAX,
            lo: vec![0.0; n],
            hi: vec![0.0; n],
        }
    }

    /// The lower and upper limits of a row whose pixels lie in row
    /// `cell_row` of the cells.
    fn row(&mut self, cell_row: usize) -> (&[f32], &[f32]) {
        if self.cell_row != cell_row {
            self.cell_row = cell_row;
            let n = self.width * 4;
            let lo_row = &self.range.0[cell_row * n..][..n];
            let hi_row = &self.range.1[cell_row * n..][..n];
            let pixels = self.lo.chunks_exact_mut(4).zip(self.hi.chunks_exact_mut(4));
            for ((lo, hi), &x) in pixels.zip(self.cell_of) {
                lo.copy_from_slice(&lo_row[x * 4..][..4]);
                hi.copy_from_slice(&hi_row[x * 4..][..4]);
            }
        }
        (&self.lo, &self.hi)
    }
}

crate::simd::widest_vectors! {
    /// 16-bit values as f32 from 0 to 1 (how both backends' planes are
    /// made).
    fn unit_values(values: &[u16], out: &mut [f32]) = unit_lanes;
}

#[inline(always)]
fn unit_lanes(values: &[u16], out: &mut [f32]) {
    for (out, &v) in out.iter_mut().zip(values) {
        *out = f32::from(v) / 65535.0;
    }
}

crate::simd::widest_vectors! {
    /// Adds the upsampled error to one flat row of the estimate: between
    /// its `upper` and `lower` error rows by `fy`, clamped to `lo..=hi`.
    fn correct_values(
        row: &mut [f32],
        rows: (&[f32], &[f32]),
        fy: f32,
        limits: (&[f32], &[f32]),
    ) = correct_lanes;
}

#[inline(always)]
fn correct_lanes(
    row: &mut [f32],
    (upper, lower): (&[f32], &[f32]),
    fy: f32,
    (lo, hi): (&[f32], &[f32]),
) {
    let n = row.len();
    let (upper, lower, lo, hi) = (&upper[..n], &lower[..n], &lo[..n], &hi[..n]);
    for (i, p) in row.iter_mut().enumerate() {
        *p = limit(*p + upper[i] + fy * (lower[i] - upper[i]), lo[i], hi[i]);
    }
}

/// The Lanczos3 start's options. It is always 16-bit premultiplied, even
/// for opaque sRGB images (which Lanczos3 alone filters as 8-bit values):
/// an 8-bit start differs between backends by one level where a value sits
/// on a rounding boundary (fast_image_resize's 8-bit path is fixed-point,
/// the GPU's f32), and sharpening multiplies an isolated difference by up to
/// 1 + [`GAIN`], so at sharpness 1 the results differed by 3. The 16-bit
/// start also scores 0.05 dB higher at ×2 (tests/quality/RESULTS.md).
pub(super) fn start_options(options: &ResizeOptions) -> ResizeOptions {
    ResizeOptions {
        filter: super::Filter::Lanczos3,
        ..*options
    }
}

/// [`sharpen`] (if `sharpness` > 0) and [`to_u16`] of pixels `columns`
/// of a window row, from the rows above, at and below it: a pixel at the
/// row's ends (whose left or right neighbour is clamped to itself) alone,
/// the rest as flat lanes where a pixel's neighbours are four values away.
fn sharpen_row(
    [above, middle, below]: [&[[f32; 4]]; 3],
    columns: Range<usize>,
    sharpness: f32,
    out: &mut [u16],
) {
    let first = columns.start;
    if sharpness <= 0.0 {
        for (q, &v) in out.iter_mut().zip(middle[columns].as_flattened()) {
            *q = to_u16(v);
        }
        return;
    }
    let w = middle.len();
    for x in [0, w - 1] {
        if columns.contains(&x) {
            let around = [
                above[x],
                middle[x.saturating_sub(1)],
                middle[(x + 1).min(w - 1)],
                below[x],
            ];
            let p = sharpen(middle[x], &around, sharpness);
            out[(x - first) * 4..][..4].copy_from_slice(&p.map(to_u16));
        }
    }
    let inner = columns.start.max(1)..columns.end.min(w - 1);
    if inner.start >= inner.end {
        return;
    }
    let (start, end) = (inner.start * 4, inner.end * 4);
    let (above, middle, below) = (
        above.as_flattened(),
        middle.as_flattened(),
        below.as_flattened(),
    );
    sharpen_values(
        Neighbourhood {
            centre: &middle[start..end],
            above: &above[start..end],
            left: &middle[start - 4..end - 4],
            right: &middle[start + 4..end + 4],
            below: &below[start..end],
        },
        GAIN * sharpness,
        &mut out[start - first * 4..end - first * 4],
    );
}

/// Equal-length lanes: each value and the same channel of the pixels
/// above, left, right and below it.
struct Neighbourhood<'a> {
    centre: &'a [f32],
    above: &'a [f32],
    left: &'a [f32],
    right: &'a [f32],
    below: &'a [f32],
}

crate::simd::widest_vectors! {
    /// [`sharpened`] then [`to_u16`], lane by lane.
    fn sharpen_values(around: Neighbourhood, gain: f32, out: &mut [u16]) = sharpen_lanes;
}

#[inline(always)]
fn sharpen_lanes(around: Neighbourhood, gain: f32, out: &mut [u16]) {
    let n = around.centre.len();
    let (above, left, right, below) = (
        &around.above[..n],
        &around.left[..n],
        &around.right[..n],
        &around.below[..n],
    );
    for (i, (out, &c)) in out[..n].iter_mut().zip(around.centre).enumerate() {
        *out = to_u16(sharpened(c, [above[i], left[i], right[i], below[i]], gain));
    }
}

/// [`premultiplied16_to_rgba8`] over a row of quantised values, with runs
/// of opaque pixels (the common case) as flat lanes: for those every
/// channel, alpha included, is the same rounding from 16 bits to 8.
fn to_rgba8_row(values: &[u16], linear_light: bool, out: &mut [u8]) {
    const RUN: usize = 64;
    for (values, out) in values.chunks(RUN).zip(out.chunks_mut(RUN)) {
        if !linear_light && values.chunks_exact(4).all(|p| p[3] == u16::MAX) {
            opaque_to_bytes(values, out);
        } else {
            for (out, p) in out.chunks_exact_mut(4).zip(values.chunks_exact(4)) {
                let p = [p[0], p[1], p[2], p[3]];
                out.copy_from_slice(&premultiplied16_to_rgba8(p, linear_light));
            }
        }
    }
}

crate::simd::widest_vectors! {
    /// Opaque premultiplied 16-bit values (equal to their straight ones)
    /// to 8 bits, rounded.
    fn opaque_to_bytes(values: &[u16], out: &mut [u8]) = opaque_to_bytes_lanes;
}

#[inline(always)]
fn opaque_to_bytes_lanes(values: &[u16], out: &mut [u8]) {
    for (out, &v) in out.iter_mut().zip(values) {
        *out = ((u32::from(v) + 128) / 257) as u8;
    }
}
