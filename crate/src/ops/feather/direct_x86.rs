//! The direct kernel's rows written with x86 vector instructions (AVX2, or
//! AVX-512 BW where the CPU has it): the same sums as `direct.rs`'s plain
//! lane loops, bit for bit (tested), about twice as fast.
//!
//! Why by hand: the plain loops make one pass over a row buffer per weight,
//! loading and storing the partial sums each time, and the compiler widens
//! the bytes to 32-bit lanes for the vertical pass; every way of writing
//! "keep a block's sums in registers over all the taps" in plain Rust came
//! out slower still (the sums went to the stack). Here a block's sums stay
//! in registers: each output row costs one load of each input row and of
//! each tap, and one store per pass.
//!
//! Pixel pairs: a pair read as one u16 splits into its even pixel (`& 0xFF`)
//! and its odd one (`>> 8`) without any shuffle, and the results join again
//! as `even | odd << 8`. The vertical pass writes the even and the odd
//! columns into two buffers, in which the horizontal neighbours of a column
//! are plain offsets ([`tap_starts`]).

use super::direct::{mulhi, round, rounding_bias, SHIFT};
use crate::simd::x86::{Avx2, Avx512};
use crate::simd::Lanes;
use image::GrayImage;

/// Runs [`blur_rows_with`] on AVX-512 or AVX2 and returns true, or returns
/// false (nothing written) when the CPU has neither or the rows are narrower
/// than a block.
pub(super) fn blur_rows(mask: &GrayImage, w: &[u16], y_start: usize, out: &mut [u8]) -> bool {
    let pairs = mask.width() as usize / 2;
    if crate::simd::has_avx512() && pairs >= Avx512::BYTES / 2 {
        // SAFETY: AVX-512 F and BW support was just detected.
        unsafe { blur_rows_avx512(mask, w, y_start, out) };
        true
    } else if std::is_x86_feature_detected!("avx2") && pairs >= Avx2::BYTES / 2 {
        // SAFETY: AVX2 support was just detected.
        unsafe { blur_rows_avx2(mask, w, y_start, out) };
        true
    } else {
        false
    }
}

/// Each vector version this CPU has, by name, run on `mask`'s rows from
/// `y_start` into a buffer of `len` bytes: for the tests that hold them to
/// the plain lane loops.
#[cfg(test)]
pub(super) fn blur_rows_each_tier(
    mask: &GrayImage,
    w: &[u16],
    y_start: usize,
    len: usize,
) -> Vec<(&'static str, Vec<u8>)> {
    let pairs = mask.width() as usize / 2;
    let mut results = Vec::new();
    if std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && pairs >= Avx512::BYTES / 2
    {
        let mut out = vec![0; len];
        // SAFETY: AVX-512 F and BW support was just detected.
        unsafe { blur_rows_avx512(mask, w, y_start, &mut out) };
        results.push(("AVX-512", out));
    }
    if std::is_x86_feature_detected!("avx2") && pairs >= Avx2::BYTES / 2 {
        let mut out = vec![0; len];
        // SAFETY: AVX2 support was just detected.
        unsafe { blur_rows_avx2(mask, w, y_start, &mut out) };
        results.push(("AVX2", out));
    }
    results
}

#[target_feature(enable = "avx2,avx512f,avx512bw")]
unsafe fn blur_rows_avx512(mask: &GrayImage, w: &[u16], y_start: usize, out: &mut [u8]) {
    // SAFETY: the caller checked for AVX-512 F and BW.
    unsafe { blur_rows_with::<Avx512>(mask, w, y_start, out) }
}

#[target_feature(enable = "avx2")]
unsafe fn blur_rows_avx2(mask: &GrayImage, w: &[u16], y_start: usize, out: &mut [u8]) {
    // SAFETY: the caller checked for AVX2.
    unsafe { blur_rows_with::<Avx2>(mask, w, y_start, out) }
}

/// [`SHIFT`], 1/128 steps, as a shift count.
const STEPS: i32 = SHIFT as i32;

/// The output rows `out` from `y_start` on (the portable `blur_rows`'s
/// contract), a block of `lanes` pairs (one register) at a time.
///
/// SAFETY: the CPU has `V`'s instructions, and rows hold at least
/// `lanes` pairs.
#[inline(always)]
unsafe fn blur_rows_with<V: Lanes>(mask: &GrayImage, w: &[u16], y_start: usize, out: &mut [u8]) {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let reach = w.len() - 1;
    let pairs = width / 2;
    // Each u16 lane a pixel pair.
    let lanes = V::BYTES / 2;
    assert!(pairs >= lanes, "rows of at least a block");
    // Columns of each parity with `pad` edge values on each side, enough
    // for the farthest tap (`reach.div_ceil(2)` pairs away).
    let pad = reach / 2 + 1;
    let mut even = vec![0u16; pad + pairs + 1 + pad];
    let mut odd = vec![0u16; pad + pairs + 1 + pad];
    // SAFETY (here and below): the CPU has `V`'s instructions.
    let weights: Vec<V> = w.iter().map(|&w| unsafe { V::splat16(w) }).collect();
    let bias = unsafe { V::splat16(rounding_bias(reach)) };
    let low_byte = unsafe { V::splat16(0xFF) };
    let mut rows: Vec<&[u8]> = Vec::with_capacity(2 * reach + 1);
    for (i, out_row) in out.chunks_exact_mut(width).enumerate() {
        let y = y_start + i;
        rows.clear();
        rows.extend((0..=2 * reach).map(|j| {
            let source = (y + j).saturating_sub(reach).min(height - 1);
            &mask.as_raw()[source * width..][..width]
        }));
        // Vertical: `at + lanes <= pairs` keeps every load and store in
        // its row.
        for at in block_starts(pairs, lanes) {
            let (even_sum, odd_sum) = unsafe {
                let centre = V::load(rows[reach][2 * at..].as_ptr());
                let mut even_sum = centre.and(low_byte).shl16::<STEPS>().mulhi16(weights[0]);
                let mut odd_sum = centre.shr16::<8>().shl16::<STEPS>().mulhi16(weights[0]);
                for (k, &weight) in weights.iter().enumerate().skip(1) {
                    let above = V::load(rows[reach - k][2 * at..].as_ptr());
                    let below = V::load(rows[reach + k][2 * at..].as_ptr());
                    let even_pair = above
                        .and(low_byte)
                        .add16(below.and(low_byte))
                        .shl16::<STEPS>();
                    let odd_pair = above
                        .shr16::<8>()
                        .add16(below.shr16::<8>())
                        .shl16::<STEPS>();
                    even_sum = even_sum.add16(even_pair.mulhi16(weight));
                    odd_sum = odd_sum.add16(odd_pair.mulhi16(weight));
                }
                (even_sum, odd_sum)
            };
            let (e, o) = (
                &mut even[pad + at..][..lanes],
                &mut odd[pad + at..][..lanes],
            );
            unsafe {
                even_sum.store(e.as_mut_ptr().cast());
                odd_sum.store(o.as_mut_ptr().cast());
            }
        }
        // The edges: column 0 repeats to the left, the last column to the
        // right (an odd width's last column is even).
        let first = even[pad];
        let last = if width % 2 == 1 {
            let column = vertical_column(&rows, w, width - 1);
            even[pad + pairs] = column;
            column
        } else {
            odd[pad + pairs - 1]
        };
        even[..pad].fill(first);
        odd[..pad].fill(first);
        even[pad + pairs + width % 2..].fill(last);
        odd[pad + pairs..].fill(last);
        // Horizontal.
        for at in block_starts(pairs, lanes) {
            let base = pad + at;
            let block = |buffer: &[u16], start: usize| -> V {
                let lanes = &buffer[start..][..lanes];
                unsafe { V::load(lanes.as_ptr().cast()) }
            };
            let pixels = unsafe {
                let mut even_sum = block(&even, base).mulhi16(weights[0]);
                let mut odd_sum = block(&odd, base).mulhi16(weights[0]);
                for (k, &weight) in weights.iter().enumerate().skip(1) {
                    let [even_left, even_right, odd_left, odd_right] = tap_starts(k, base)
                        .map(|(is_even, start)| block(if is_even { &even } else { &odd }, start));
                    even_sum = even_sum.add16(even_left.add16(even_right).mulhi16(weight));
                    odd_sum = odd_sum.add16(odd_left.add16(odd_right).mulhi16(weight));
                }
                let levels = |sum: V| sum.add16(bias).shr16::<STEPS>();
                levels(even_sum).or(levels(odd_sum).shl16::<8>())
            };
            let target = &mut out_row[2 * at..][..2 * lanes];
            unsafe { pixels.store(target.as_mut_ptr()) };
        }
        if width % 2 == 1 {
            out_row[width - 1] = even_output(&even, &odd, w, pad + pairs);
        }
    }
}

/// The first pair of each block of `lanes` pairs along a row of `pairs`
/// (at least `lanes`); the last block is moved back to end with the row (it
/// redoes a few pairs, which gives the same values).
fn block_starts(pairs: usize, lanes: usize) -> impl Iterator<Item = usize> {
    (0..pairs.div_ceil(lanes)).map(move |b| (b * lanes).min(pairs - lanes))
}

/// Where tap `k` reads for the pair at `base` (an index into the parity
/// buffers): `(even buffer?, start)` of the even outputs' left and right
/// neighbours, then the odd outputs'. Column `2i ± k` is even column
/// `i ± k/2` for even `k`; for odd `k`, odd columns `i - (k+1)/2` and
/// `i + (k-1)/2` for an even output, even columns `i - (k-1)/2` and
/// `i + (k+1)/2` for an odd one.
#[inline(always)]
fn tap_starts(k: usize, base: usize) -> [(bool, usize); 4] {
    let (near, far) = (k / 2, k.div_ceil(2));
    if k.is_multiple_of(2) {
        [
            (true, base - near),
            (true, base + near),
            (false, base - near),
            (false, base + near),
        ]
    } else {
        [
            (false, base - far),
            (false, base + near),
            (true, base - near),
            (true, base + far),
        ]
    }
}

/// The vertical pass of the one column `x`, the same sums as the blocks'.
fn vertical_column(rows: &[&[u8]], w: &[u16], x: usize) -> u16 {
    let reach = w.len() - 1;
    let value = |row: &[u8]| u16::from(row[x]) << SHIFT;
    let mut sum = mulhi(value(rows[reach]), w[0]);
    for (k, &weight) in w.iter().enumerate().skip(1) {
        sum += mulhi(value(rows[reach - k]) + value(rows[reach + k]), weight);
    }
    sum
}

/// The even output pixel of the pair at `base`, the same sums as the
/// blocks' (an odd width's last pixel).
fn even_output(even: &[u16], odd: &[u16], w: &[u16], base: usize) -> u8 {
    let reach = w.len() - 1;
    let mut sum = mulhi(even[base], w[0]);
    for (k, &weight) in w.iter().enumerate().skip(1) {
        let [(left_even, left), (_, right), ..] = tap_starts(k, base);
        let buffer = if left_even { even } else { odd };
        sum += mulhi(buffer[left] + buffer[right], weight);
    }
    round(sum, reach)
}
