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
        let (stride, rows) = (tile.input_width() as usize, height + 2 * reach);
        let taps = &self.weights[..2 * reach + 1];
        let (input, output) = tile.buffers();
        // Horizontal pass over every input row, for the output's columns, then vertical. Both
        // passes run tap by tap over whole rows (contiguous, no per-pixel slicing); each sum
        // still adds its taps in order, so the result is the pixel-by-pixel formula's.
        with_scratch((rows + 1) * width * 3, |scratch| {
            let (across, blur) = scratch.split_at_mut(rows * width * 3);
            for (y, row) in across.chunks_exact_mut(width * 3).enumerate() {
                let line = &input[y * stride * 4..(y + 1) * stride * 4];
                for (k, w) in taps.iter().enumerate() {
                    let pixels = line[k * 4..].chunks_exact(4);
                    for (sums, p) in row.chunks_exact_mut(3).zip(pixels) {
                        sums[0] += w * p[0] as f32;
                        sums[1] += w * p[1] as f32;
                        sums[2] += w * p[2] as f32;
                    }
                }
            }
            for y in 0..height {
                blur.fill(0.0);
                for (k, w) in taps.iter().enumerate() {
                    let source = &across[(y + k) * width * 3..(y + k + 1) * width * 3];
                    for (b, s) in blur.iter_mut().zip(source) {
                        *b += w * s;
                    }
                }
                let at = ((y + reach) * stride + reach) * 4;
                let sources = input[at..at + width * 4].chunks_exact(4);
                let outs = output[y * width * 4..(y + 1) * width * 4].chunks_exact_mut(4);
                for ((out, source), blur) in outs.zip(sources).zip(blur.chunks_exact(3)) {
                    for c in 0..3 {
                        let v = source[c] as f32;
                        let d = v - (blur[c] + 0.5) as u8 as f32;
                        out[c] = if libm::fabsf(d) >= self.threshold {
                            ((v + d * self.gain).clamp(0.0, 255.0) + 0.5) as u8
                        } else {
                            source[c]
                        };
                    }
                    out[3] = source[3];
                }
            }
        })
    }
}

export_filter!(UnsharpMask);
