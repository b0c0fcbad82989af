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
use crate::parallel::{for_each_part, for_each_row, parts_for};
use image::RgbaImage;
use std::ops::Range;

/// Sharpening gain at sharpness 1.
pub(crate) const GAIN: f32 = 2.0;

/// Premultiplied RGBA as f32, row-major.
pub(crate) struct Plane {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<[f32; 4]>,
}

impl Plane {
    /// The plane of 16-bit premultiplied values, converted row by row on
    /// every core.
    fn from_premultiplied16(values: &[u16], width: u32, height: u32) -> Plane {
        let mut pixels = vec![[0.0f32; 4]; width as usize * height as usize];
        let row_values = width as usize * 4;
        for_each_row(&mut pixels, width as usize, 1, |y, row| {
            let values = &values[y * row_values..(y + 1) * row_values];
            for (p, v) in row.iter_mut().zip(values.chunks_exact(4)) {
                *p = std::array::from_fn(|i| f32::from(v[i]) / 65535.0);
            }
        });
        Plane {
            width,
            height,
            pixels,
        }
    }

    /// The pixel at (x, y), coordinates clamped to the image.
    fn at(&self, x: i64, y: i64) -> [f32; 4] {
        let x = x.clamp(0, i64::from(self.width) - 1) as usize;
        let y = y.clamp(0, i64::from(self.height) - 1) as usize;
        self.pixels[y * self.width as usize + x]
    }
}

/// The sharpened value of pixel `c` of the upsampled plane, from its
/// neighbours above, left, right and below (edges clamped to the image)
/// (contrast-adaptive sharpening): it moves away from the mean of its four
/// neighbours by `GAIN · sharpness`, and is then clamped to the range of
/// itself and those neighbours, so detail the interpolation softened comes
/// back and no halo can overshoot a local extreme.
#[inline(always)]
fn sharpen(c: [f32; 4], around: &[[f32; 4]; 4], sharpness: f32) -> [f32; 4] {
    let gain = GAIN * sharpness;
    std::array::from_fn(|k| {
        let mut lo = c[k];
        let mut hi = c[k];
        let mut mean = 0.0;
        for p in around {
            lo = lesser(lo, p[k]);
            hi = greater(hi, p[k]);
            mean += 0.25 * p[k];
        }
        limit(c[k] + gain * (c[k] - mean), lo, hi)
    })
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

/// Quantises a premultiplied value to 16 bits. (Through i32: the same
/// truncation for these values, a NaN gives 0 either way, and it
/// vectorises where a saturating cast to u16 does not.)
pub(crate) fn to_u16(v: f32) -> u16 {
    (v.clamp(0.0, 1.0) * 65535.0 + 0.5) as i32 as u16
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

/// Iterative back-projection (Irani and Peleg): the benchmark's, and most
/// drafts', degradation is an area-average shrink, so an enlargement `x` is
/// only consistent with its source `y` if shrinking it gives `y` back. Each
/// round computes the error `y − D(x)` on the source grid (D: area average)
/// and adds it back upsampled bilinearly (a smooth U, so the correction
/// cannot add jaggies). The result is clamped per channel to the range of
/// the 3×3 source pixels around each output pixel: back-projection may
/// legitimately push a peak past its 2×2 neighbours (a shrunk peak is lower
/// than the true one), but never beyond the neighbourhood, which rules out
/// ringing halos.
pub(crate) fn back_project(up: &mut Plane, src: &Plane, rounds: usize) {
    let (w, h) = (up.width as usize, up.height as usize);
    let (sw, sh) = (src.width as usize, src.height as usize);
    let (axis_x, axis_y) = (
        Axis::new(src.width, up.width),
        Axis::new(src.height, up.height),
    );
    // The clamp range: min and max of the 3×3 source pixels around the one
    // that contains each output pixel's centre, precomputed per source pixel.
    let mut range = vec![([f32::INFINITY; 4], [f32::NEG_INFINITY; 4]); sw * sh];
    for_each_row(&mut range, sw, 1, |y, row| {
        for (x, r) in row.iter_mut().enumerate() {
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let p = src.at(x as i64 + dx, y as i64 + dy);
                    r.0 = std::array::from_fn(|c| r.0[c].min(p[c]));
                    r.1 = std::array::from_fn(|c| r.1[c].max(p[c]));
                }
            }
        }
    });
    // D(x) horizontally, per row of the estimate: the first round's from
    // the start, each later one's as the previous round updates the row
    // (while it is in cache).
    let mut narrowed = vec![[0.0f32; 4]; sw * h];
    let upsampled = &up.pixels;
    for_each_row(&mut narrowed, sw, 1, |y, row| {
        shrink_row(&upsampled[y * w..(y + 1) * w], &axis_x, row)
    });
    let mut error = vec![[0.0f32; 4]; sw * sh];
    for round in 0..rounds {
        // D(x) vertically and the error y − D(x), row by row on every core
        // (the same sums in the same order).
        let narrowed_rows = &narrowed;
        for_each_row(&mut error, sw, 1, |j, row| {
            let (first, weights) = &axis_y.down[j];
            for (i, out) in row.iter_mut().enumerate() {
                let mut acc = [0.0f32; 4];
                for (k, wgt) in weights.iter().enumerate() {
                    let p = narrowed_rows[(first + k) * sw + i];
                    for c in 0..4 {
                        acc[c] += wgt * p[c];
                    }
                }
                let s = src.pixels[j * sw + i];
                *out = std::array::from_fn(|c| s[c] - acc[c]);
            }
        });
        // x += U(error), clamped to the source neighbourhood; then the
        // next round's horizontal D(x) of the updated row.
        let shrink_next = round + 1 < rounds;
        let band_rows = h.div_ceil(parts_for(w * h));
        let bands: Vec<_> = up
            .pixels
            .chunks_mut(band_rows * w)
            .zip(narrowed.chunks_mut(band_rows * sw))
            .enumerate()
            .collect();
        let (error, range, axis_x, axis_y) = (&error, &range, &axis_x, &axis_y);
        for_each_part(bands, |(band, (rows, narrowed_rows))| {
            let rows = rows
                .chunks_exact_mut(w)
                .zip(narrowed_rows.chunks_exact_mut(sw));
            for (k, (row, narrowed_row)) in rows.enumerate() {
                let y = band * band_rows + k;
                let (top, bottom, fy) = axis_y.taps[y];
                let error_rows = (&error[top * sw..][..sw], &error[bottom * sw..][..sw]);
                let range_row = &range[axis_y.cells[y] * sw..][..sw];
                correct_row(row, error_rows, fy, range_row, axis_x);
                if shrink_next {
                    shrink_row(row, axis_x, narrowed_row);
                }
            }
        });
    }
}

/// One row of the estimate's area-average shrink along x.
fn shrink_row(row: &[[f32; 4]], axis_x: &Axis, out: &mut [[f32; 4]]) {
    for (out, (first, weights)) in out.iter_mut().zip(&axis_x.down) {
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

/// Adds the bilinearly upsampled error (`top` and `bottom` source rows
/// of it, `fy` between them) to one row of the estimate, clamped to each
/// pixel's source neighbourhood (`range_row`, per source column).
fn correct_row(
    row: &mut [[f32; 4]],
    (top, bottom): (&[[f32; 4]], &[[f32; 4]]),
    fy: f32,
    range_row: &[([f32; 4], [f32; 4])],
    axis_x: &Axis,
) {
    let taps = axis_x.taps.iter().zip(&axis_x.cells);
    for (p, (&(left, right, fx), &cell)) in row.iter_mut().zip(taps) {
        let (a, b, c, d) = (top[left], top[right], bottom[left], bottom[right]);
        let (lo, hi) = range_row[cell];
        for k in 0..4 {
            let upper = a[k] + fx * (b[k] - a[k]);
            let lower = c[k] + fx * (d[k] - c[k]);
            p[k] = limit(p[k] + upper + fy * (lower - upper), lo[k], hi[k]);
        }
    }
}

/// Upscales `src` to the options' size (validated: not smaller on either
/// axis): Lanczos3, [`BACK_PROJECTIONS`] rounds of back-projection, then
/// sharpening.
///
/// Why Lanczos3 as the start: back-projection only fixes what the shrink
/// can see, and keeps the start's detail beyond it.
pub(super) fn upscale(src: &RgbaImage, options: &ResizeOptions) -> RgbaImage {
    let (w, h) = (options.width, options.height);
    let values = to_premultiplied16(src, options.linear_light);
    let start = convolve16(&values, src.width(), src.height(), &start_options(options));
    let mut up = Plane::from_premultiplied16(&start, w, h);
    let source = Plane::from_premultiplied16(&values, src.width(), src.height());
    back_project(&mut up, &source, BACK_PROJECTIONS);
    finish(&up, options)
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

/// Sharpens (if asked) and quantises an upsampled plane, row by row on
/// every core: each pixel is sharpened ([`sharpen`]'s arithmetic, from
/// the row above, its own and the one below), quantised to 16 bits and
/// unpremultiplied to 8 ([`premultiplied16_to_rgba8`]) without the 16-bit
/// plane in between.
fn finish(up: &Plane, options: &ResizeOptions) -> RgbaImage {
    let (w, h) = (up.width as usize, up.height as usize);
    let mut out = vec![0u8; w * h * 4];
    let row_of = |y: usize| &up.pixels[y * w..(y + 1) * w];
    for_each_row(&mut out, w * 4, 4, |y, row| {
        let rows = [
            row_of(y.saturating_sub(1)),
            row_of(y),
            row_of((y + 1).min(h - 1)),
        ];
        finish_row(rows, options.sharpness, options.linear_light, row);
    });
    RgbaImage::from_raw(up.width, up.height, out).expect("four bytes per pixel")
}

/// One row of [`finish`] from the rows above, at and below it.
fn finish_row(
    [above, middle, below]: [&[[f32; 4]]; 3],
    sharpness: f32,
    linear_light: bool,
    out: &mut [u8],
) {
    let w = middle.len();
    for (x, out) in out.chunks_exact_mut(4).enumerate() {
        let c = middle[x];
        let p = if sharpness > 0.0 {
            let around = [
                above[x],
                middle[x.saturating_sub(1)],
                middle[(x + 1).min(w - 1)],
                below[x],
            ];
            sharpen(c, &around, sharpness)
        } else {
            c
        };
        out.copy_from_slice(&premultiplied16_to_rgba8(p.map(to_u16), linear_light));
    }
}
