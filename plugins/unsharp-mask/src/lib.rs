//! Unsharp mask: each colour channel pushed away from its Gaussian blur, as Photoshop and
//! Pillow do. `radius` is the blur's σ; the blur is a direct separable convolution truncated
//! at 3σ (SciPy's `gaussian_filter(truncate=3)`), so the halo is `round(3σ)` pixels. Per
//! channel, with the blurred value rounded to 8 bits: `d = v − blur(v)`; where
//! `|d| ≥ threshold`, `out = v + d · amount/100`, else `v`. Alpha is kept.
#![no_std]

use retouch_plugin_sdk::{export_filter, libm, with_scratch, Error, Filter, Params, Tile};

/// The largest blur radius the manifest allows (σ, px); the kernel holds `2·round(3σ) + 1` taps.
const MAX_TAPS: usize = 2 * 150 + 1;

/// The filter (public: the core's plugin benchmark compiles this source for the host).
pub struct UnsharpMask {
    gain: f32,
    threshold: f32,
    /// Kernel half-width: SciPy's `int(3σ + 0.5)`.
    reach: usize,
    /// The normalised Gaussian, `2·reach + 1` taps.
    weights: [f32; MAX_TAPS],
}

impl Filter for UnsharpMask {
    fn from_params(params: &mut Params) -> Result<Self, Error> {
        let gain = params.read::<f32>()? / 100.0;
        let sigma = params.read::<f32>()?.clamp(0.1, 50.0);
        let threshold = params.read::<f32>()?;
        let reach = ((3.0 * sigma + 0.5) as usize).min(MAX_TAPS / 2);
        let mut weights = [0.0; MAX_TAPS];
        let mut sum = 0.0;
        for (i, w) in weights[..2 * reach + 1].iter_mut().enumerate() {
            let x = i as f32 - reach as f32;
            *w = libm::expf(-0.5 * x * x / (sigma * sigma));
            sum += *w;
        }
        weights.iter_mut().for_each(|w| *w /= sum);
        Ok(UnsharpMask {
            gain,
            threshold,
            reach,
            weights,
        })
    }

    fn halo(&self) -> u32 {
        self.reach as u32
    }

    fn filter(&self, tile: &mut Tile) -> Result<(), Error> {
        let (width, height, reach) = (tile.width as usize, tile.height as usize, self.reach);
        let stride = tile.input_width() as usize;
        let taps = &self.weights[..2 * reach + 1];
        let (input, output) = tile.buffers();
        // Horizontal pass, then vertical: each input row is widened to f32 red, green, blue and
        // blurred across into a ring of the `taps.len()` rows the next output row needs, so
        // the scratch stays small (in cache, and little fresh memory for a new sandbox); both
        // passes are `convolve` over contiguous floats.
        let (row_len, window) = (width * 3, taps.len());
        with_scratch((window + 1) * row_len + stride * 3, |scratch| {
            let (ring, rest) = scratch.split_at_mut(window * row_len);
            let (blur, line) = rest.split_at_mut(row_len);
            let across = |y: usize, ring: &mut [f32], line: &mut [f32]| {
                widen(&input[y * stride * 4..(y + 1) * stride * 4], line);
                let slot = y % window * row_len;
                convolve(&mut ring[slot..slot + row_len], line, taps, 3, 0);
            };
            for y in 0..window - 1 {
                across(y, ring, line);
            }
            for y in 0..height {
                across(y + window - 1, ring, line);
                convolve(blur, ring, taps, row_len, y % window * row_len);
                let at = (y + reach) * stride + reach;
                let sources = &input[at * 4..(at + width) * 4];
                widen(sources, line);
                self.sharpen(blur, &line[..row_len]);
                pack(
                    blur,
                    sources,
                    &mut output[y * width * 4..(y + 1) * width * 4],
                );
            }
        })
    }
}

impl UnsharpMask {
    /// Replaces each blurred channel with its 8-bit result, kept as the float's bits so that
    /// this loop runs on contiguous floats (SIMD) and [`pack`] only moves bytes.
    fn sharpen(&self, blur: &mut [f32], values: &[f32]) {
        for (b, &v) in blur.iter_mut().zip(values) {
            let blurred = (*b + 0.5) as i32; // rounded: the blur is never negative
            let d = v - if blurred > 255 { 255 } else { blurred } as f32;
            let sharp = (v + d * self.gain).clamp(0.0, 255.0);
            let result = if libm::fabsf(d) >= self.threshold {
                (sharp + 0.5) as i32
            } else {
                v as i32
            };
            *b = f32::from_bits(result as u32);
        }
    }
}

/// RGBA8 pixels from [`UnsharpMask::sharpen`]'s red, green and blue and the source's alpha.
fn pack(results: &[f32], sources: &[u8], out: &mut [u8]) {
    let pixels = out.chunks_exact_mut(4).zip(sources.chunks_exact(4));
    for ((out, source), result) in pixels.zip(results.chunks_exact(3)) {
        out[0] = result[0].to_bits() as u8;
        out[1] = result[1].to_bits() as u8;
        out[2] = result[2].to_bits() as u8;
        out[3] = source[3];
    }
}

/// RGBA8 pixels as f32 red, green, blue (alpha dropped), as many as `rgb` holds.
fn widen(pixels: &[u8], rgb: &mut [f32]) {
    for (rgb, p) in rgb.chunks_exact_mut(3).zip(pixels.chunks_exact(4)) {
        rgb[0] = p[0] as f32;
        rgb[1] = p[1] as f32;
        rgb[2] = p[2] as f32;
    }
}

/// `sums[i] = Σₖ taps[k] · values[(start + i + k·step) mod values.len()]` for every `i`, adding
/// the taps in order (so each sum is the pixel-by-pixel formula's, bit for bit); a row's values
/// never wrap, only whole rows of a ring do (`start` and `step` are multiples of the row
/// length there, 0 and 3 across a row). Thirty-two sums at a time stay in registers over all
/// the taps, which the compiler turns into eight 4-wide SIMD accumulators.
fn convolve(sums: &mut [f32], values: &[f32], taps: &[f32], step: usize, start: usize) {
    const LANES: usize = 32;
    let whole = sums.len() / LANES * LANES;
    let (blocks, rest) = sums.split_at_mut(whole);
    // `start + i + k·step` stays below twice the length (`start` and `k·step` each lie within
    // the ring), so the wrap is one subtraction, not a division per tap.
    let at = |i: usize, k: usize| {
        let at = start + i + k * step;
        if at >= values.len() {
            at - values.len()
        } else {
            at
        }
    };
    for (b, block) in blocks.chunks_exact_mut(LANES).enumerate() {
        let mut acc = [0.0f32; LANES];
        for (k, w) in taps.iter().enumerate() {
            let from = at(b * LANES, k);
            for (sum, v) in acc.iter_mut().zip(&values[from..from + LANES]) {
                *sum += w * v;
            }
        }
        block.copy_from_slice(&acc);
    }
    for (i, sum) in rest.iter_mut().enumerate() {
        *sum = taps
            .iter()
            .enumerate()
            .fold(0.0, |s, (k, w)| s + w * values[at(whole + i, k)]);
    }
}

export_filter!(UnsharpMask);
