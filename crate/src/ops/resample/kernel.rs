//! Filter kernels and the per-output-pixel weights both backends convolve
//! with. The weights follow Pillow's (and fast_image_resize's) convention
//! exactly, so the CPU path (fast_image_resize) and the GPU path agree on
//! which source pixels feed each output pixel and with what weight:
//!
//! - output pixel `i` is centred on source coordinate `(i + 0.5) · scale`;
//! - when shrinking, the kernel is widened by `scale` (antialiasing);
//! - taps beyond the image are dropped and the rest renormalised to sum to 1,
//!   so borders neither darken nor brighten;
//! - zero weights at either end of a window are trimmed;
//! - an axis whose size does not change is left alone.

use super::Filter;
use std::f64::consts::PI;

/// The kernel's value at `x` (in source pixels at scale 1) and its support.
fn kernel(filter: Filter) -> (fn(f64) -> f64, f64) {
    match filter {
        Filter::Bilinear => (triangle, 1.0),
        Filter::CatmullRom => (catmull_rom, 2.0),
        Filter::Mitchell => (mitchell, 2.0),
        Filter::Lanczos3 => (lanczos3, 3.0),
        // Nearest and edge never convolve with weights from here.
        Filter::Nearest | Filter::Edge => unreachable!("{filter:?} has no convolution kernel"),
    }
}

fn triangle(x: f64) -> f64 {
    (1.0 - x.abs()).max(0.0)
}

/// Keys' cubic with a = −0.5 (Catmull-Rom): interpolating, mildly sharp.
fn catmull_rom(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// Mitchell-Netravali with B = C = 1/3: the authors' recommended balance of
/// blur, ringing and anisotropy.
fn mitchell(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 {
        (7.0 * x / 6.0 - 2.0) * x * x + 16.0 / 18.0
    } else if x < 2.0 {
        ((2.0 - 7.0 * x / 18.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    } else {
        0.0
    }
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * PI;
        x.sin() / x
    }
}

fn lanczos3(x: f64) -> f64 {
    if (-3.0..3.0).contains(&x) {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

/// The weights along one axis: output pixel `i` reads source pixels
/// `starts[i] .. starts[i] + counts[i]` with `values[i * window ..][..counts[i]]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AxisWeights {
    pub starts: Vec<u32>,
    pub counts: Vec<u32>,
    /// Row-major, `window` values per output pixel, zero-padded.
    pub values: Vec<f32>,
    pub window: usize,
}

impl AxisWeights {
    /// Weights resampling `in_size` source pixels to `out_size` (both > 0).
    /// An axis whose size does not change is copied, not filtered, whatever
    /// the filter (as fast_image_resize does): a non-interpolating kernel
    /// such as Mitchell's would otherwise blur it.
    pub(crate) fn new(filter: Filter, in_size: u32, out_size: u32) -> AxisWeights {
        if filter == Filter::Nearest || in_size == out_size {
            return Self::nearest(in_size, out_size);
        }
        let (f, support) = kernel(filter);
        let scale = f64::from(in_size) / f64::from(out_size);
        let filter_scale = scale.max(1.0);
        let radius = support * filter_scale;
        let window = radius.ceil() as usize * 2 + 1;
        let mut weights = AxisWeights {
            starts: Vec::with_capacity(out_size as usize),
            counts: Vec::with_capacity(out_size as usize),
            values: Vec::with_capacity(window * out_size as usize),
            window,
        };
        let mut taps: Vec<f64> = Vec::with_capacity(window);
        for i in 0..out_size {
            let in_center = (f64::from(i) + 0.5) * scale;
            let x_min = (in_center - radius).floor().max(0.0) as u32;
            let x_max = (in_center + radius).ceil().min(f64::from(in_size)) as u32;
            let center = in_center - 0.5;
            taps.clear();
            let mut start = x_min;
            for x in x_min..x_max {
                let w = f((f64::from(x) - center) / filter_scale);
                if x == start && w == 0.0 {
                    start += 1;
                } else {
                    taps.push(w);
                }
            }
            while taps.last() == Some(&0.0) {
                taps.pop();
            }
            let total: f64 = taps.iter().sum();
            if total != 0.0 {
                taps.iter_mut().for_each(|w| *w /= total);
            }
            weights.starts.push(start);
            weights.counts.push(taps.len() as u32);
            weights.values.extend(taps.iter().map(|&w| w as f32));
            weights
                .values
                .resize(weights.values.len() + window - taps.len(), 0.0);
        }
        weights
    }

    /// One tap of weight 1 at the source pixel containing the output
    /// pixel's centre.
    fn nearest(in_size: u32, out_size: u32) -> AxisWeights {
        let scale = f64::from(in_size) / f64::from(out_size);
        let starts: Vec<u32> = (0..out_size)
            .map(|i| (((f64::from(i) + 0.5) * scale) as u32).min(in_size - 1))
            .collect();
        AxisWeights {
            counts: vec![1; starts.len()],
            values: vec![1.0; starts.len()],
            starts,
            window: 1,
        }
    }

    /// The source range that output pixels `outputs` read.
    pub(crate) fn source_range(&self, outputs: std::ops::Range<u32>) -> std::ops::Range<u32> {
        let mut lo = u32::MAX;
        let mut hi = 0;
        for i in outputs {
            let (s, c) = (self.starts[i as usize], self.counts[i as usize]);
            lo = lo.min(s);
            hi = hi.max(s + c);
        }
        lo.min(hi)..hi
    }
}
