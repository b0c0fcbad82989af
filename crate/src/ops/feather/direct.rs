//! A direct Gaussian convolution in 16-bit fixed point, for small σ.
//!
//! Deriche's recursion costs the same at every σ; at the small radii users
//! pick most a direct kernel reaching 3σ is several times cheaper. (Its two
//! tails beyond 3σ hold 0.27 % of the Gaussian's mass, at most a third of a
//! level across a hard edge once the kernel is renormalised, so the result
//! stays within ±1 of the exact convolution; OpenCV's 8-bit kernels stop
//! there too.) Everything is u16 lanes: a pixel pair `p` at distance `k` (summed, so each
//! weight multiplies once) is weighed by `mulhi(p, w_k) = p·w_k >> 16` with
//! weights in 1/65536 summing to exactly 65536, and values are carried in
//! 1/128 of a level, which keeps a pair's sum within 16 bits. Each product is
//! truncated, so a pass loses up to one 1/128 step per weight; adding that
//! expected loss back before the final rounding keeps the result within ±1
//! of the exact convolution, and flat masks exactly flat (tested).
//!
//! Each output row is its vertical pass (rows above and below clamped to the
//! canvas) into a padded row buffer, then its horizontal pass, so every row
//! is computed from the input alone and bands of rows go to the cores. On
//! x86 with AVX2 the rows are computed by `direct_x86.rs` (the same sums in
//! registers, bit for bit); the plain lane loops here serve wasm (SIMD128)
//! and every other CPU.

use image::GrayImage;

/// The largest σ this method is used for: its cost grows with σ, the
/// recursion's does not. On a 4096² mask, one thread, the x86 rows at σ = 10
/// take ~61 ms on AVX-512 and ~92 on AVX2 against the recursion's ~85–120;
/// in wasm the two meet near σ = 4.5 (~135 ms), where the vectors are a
/// quarter as wide (BENCHMARKS.md).
#[cfg(not(target_arch = "wasm32"))]
pub(super) const MAX_SIGMA: f32 = 10.0;
#[cfg(target_arch = "wasm32")]
pub(super) const MAX_SIGMA: f32 = 3.5;

/// Below this σ the centre weight would be the whole 65536 (the tails round
/// to nothing), which 16 bits cannot hold.
pub(super) const MIN_SIGMA: f32 = 0.25;

/// Levels are carried in 1/128 steps: a pair sums to at most 2·255·128,
/// which fits 16 bits.
pub(super) const SHIFT: u32 = 7;

/// The kernel's half-width and its weights `w[0..=reach]` in 1/65536
/// (`w[0] + 2·Σ w[k] = 65536`).
pub(super) fn weights(sigma: f32) -> Vec<u16> {
    let sigma = f64::from(sigma);
    let reach = (3.0 * sigma).ceil() as usize;
    let g: Vec<f64> = (0..=reach)
        .map(|k| (-((k * k) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total = g[0] + 2.0 * g[1..].iter().sum::<f64>();
    let mut w: Vec<u16> = g
        .iter()
        .map(|v| (v / total * 65536.0).round() as u16)
        .collect();
    let tails: u32 = w[1..].iter().map(|&v| 2 * u32::from(v)).sum();
    w[0] = (65536 - tails) as u16;
    w
}

/// `p·w / 65536`, truncated: one vector instruction (`pmulhuw`).
#[inline(always)]
pub(super) fn mulhi(p: u16, w: u16) -> u16 {
    ((u32::from(p) * u32::from(w)) >> 16) as u16
}

/// Blurs `mask` with a Gaussian of standard deviation `sigma`, which must be
/// in [`MIN_SIGMA`]..=[`MAX_SIGMA`].
pub(super) fn gaussian(mask: &GrayImage, sigma: f32) -> GrayImage {
    let w = weights(sigma);
    let width = mask.width() as usize;
    let mut out = GrayImage::new(mask.width(), mask.height());
    crate::parallel::for_each_band(out.as_mut(), width, |y_start, rows| {
        #[cfg(target_arch = "x86_64")]
        if super::direct_x86::blur_rows(mask, &w, y_start, rows) {
            return;
        }
        blur_rows(mask, &w, y_start, rows)
    });
    out
}

/// The output rows `out` from `y_start` on, each one pass over the row per
/// weight and direction. (In plain Rust, keeping a block's sum in a
/// register over all the weights, taking two weights a pass, widening each
/// input row once, or strips of 1024 columns to stay in the first-level
/// cache all measured no faster.)
pub(super) fn blur_rows(mask: &GrayImage, w: &[u16], y_start: usize, out: &mut [u8]) {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let reach = w.len() - 1;
    let row = |y: usize| &mask.as_raw()[y * width..][..width];
    let mut column = vec![0u16; width + 2 * reach];
    let mut sum = vec![0u16; width];
    for (i, out_row) in out.chunks_exact_mut(width).enumerate() {
        let y = y_start + i;
        // Vertical: into the middle of `column`, which repeats its end
        // values `reach` times on each side for the horizontal pass.
        let middle = &mut column[reach..reach + width];
        for (c, &v) in middle.iter_mut().zip(row(y)) {
            *c = mulhi(u16::from(v) << SHIFT, w[0]);
        }
        for (k, &weight) in w.iter().enumerate().skip(1) {
            let (above, below) = (row(y.saturating_sub(k)), row((y + k).min(height - 1)));
            for ((c, &a), &b) in middle.iter_mut().zip(above).zip(below) {
                *c += mulhi((u16::from(a) + u16::from(b)) << SHIFT, weight);
            }
        }
        let (first, last) = (column[reach], column[reach + width - 1]);
        column[..reach].fill(first);
        column[reach + width..].fill(last);
        // Horizontal.
        for (s, &v) in sum.iter_mut().zip(&column[reach..]) {
            *s = mulhi(v, w[0]);
        }
        for (k, &weight) in w.iter().enumerate().skip(1) {
            let (left, right) = (&column[reach - k..], &column[reach + k..]);
            for ((s, &a), &b) in sum.iter_mut().zip(left).zip(right) {
                *s += mulhi(a + b, weight);
            }
        }
        for (o, &s) in out_row.iter_mut().zip(&sum) {
            *o = round(s, reach);
        }
    }
}

/// A sum in 1/128 steps to the nearest level, after adding back the
/// truncations' expected loss: half a step per weight and pass.
#[inline(always)]
pub(super) fn round(sum: u16, reach: usize) -> u8 {
    ((sum + rounding_bias(reach)) >> SHIFT) as u8
}

/// What [`round`] adds to a sum before dropping its 1/128 steps.
pub(super) fn rounding_bias(reach: usize) -> u16 {
    (reach as u16 + 1) + (1 << (SHIFT - 1))
}
