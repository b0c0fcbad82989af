//! The edge-adaptive upscaler, CPU reference. `edge.wgsl` mirrors every
//! step in the same order, in f32.
//!
//! The idea is the one published for AMD FidelityFX Super Resolution 1
//! (edge-adaptive spatial upsampling, then robust contrast-adaptive
//! sharpening); this is an independent formulation of it:
//!
//! 1. **Edge direction.** Around the output pixel's position in the source,
//!    the luma gradients of the 2×2 source pixels that surround it are
//!    combined into a structure tensor, weighted bilinearly by position. Its
//!    dominant eigenvector is the direction across the edge; the normalised
//!    eigenvalue gap (0 for no preferred direction, 1 for a clean edge),
//!    damped where the gradients are too faint to be an edge, is the
//!    confidence `s`.
//! 2. **Steered kernel.** The 4×4 source neighbourhood is weighted by a
//!    two-lobe kernel (a Lanczos2-like polynomial in r², no trigonometry)
//!    evaluated at an anisotropic distance: stretched by `1 + 1.0·s` along
//!    the edge, which smooths staircases, and compressed by `1 + 0.6·s`
//!    across it, which keeps the edge crisp. The result is clamped to the
//!    range of the 2×2 pixels around the sample, so the negative lobe cannot
//!    ring.
//! 3. **Contrast-adaptive sharpening.** Each output pixel moves away from the
//!    mean of its four neighbours by `sharpness`, and is then clamped to the
//!    range of itself and those neighbours: detail is restored where the
//!    interpolation softened it, and no halo can overshoot a local extreme.
//!
//! All of it runs on premultiplied values (0 to 1), in the chosen space.

use super::cpu::{from_premultiplied16, to_premultiplied16};
use super::ResizeOptions;
use image::RgbaImage;

/// How much the kernel stretches along a confident edge.
pub(crate) const STRETCH: f32 = 1.0;
/// How much the kernel narrows across a confident edge.
pub(crate) const SQUEEZE: f32 = 0.6;
/// Weight of the kernel's negative lobe (Lanczos2's is about this size).
pub(crate) const LOBE: f32 = 0.3;
/// Gradient energy (luma², 0–1 scale) at which an edge counts half: below
/// it, noise should not steer the kernel.
pub(crate) const EDGE_ENERGY: f32 = 0.0004;
/// Sharpening gain at sharpness 1.
pub(crate) const GAIN: f32 = 2.0;

/// Premultiplied RGBA as f32, row-major.
pub(crate) struct Plane {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<[f32; 4]>,
}

impl Plane {
    fn from_premultiplied16(values: &[u16], width: u32, height: u32) -> Plane {
        Plane {
            width,
            height,
            pixels: values
                .chunks_exact(4)
                .map(|p| std::array::from_fn(|i| f32::from(p[i]) / 65535.0))
                .collect(),
        }
    }

    /// The pixel at (x, y), coordinates clamped to the image.
    fn at(&self, x: i64, y: i64) -> [f32; 4] {
        let x = x.clamp(0, i64::from(self.width) - 1) as usize;
        let y = y.clamp(0, i64::from(self.height) - 1) as usize;
        self.pixels[y * self.width as usize + x]
    }
}

fn luma(p: [f32; 4]) -> f32 {
    0.25 * p[0] + 0.5 * p[1] + 0.25 * p[2]
}

/// The two-lobe kernel at squared distance `d2`.
fn lobe(d2: f32) -> f32 {
    if d2 >= 4.0 {
        return 0.0;
    }
    let window = 1.0 - 0.25 * d2;
    let w = (1.0 - d2) * window * window;
    if d2 > 1.0 {
        w * LOBE
    } else {
        w
    }
}

/// The output pixel at source position (`sx`, `sy`) (pixel centres at
/// integers), before sharpening.
pub(crate) fn upsample_at(src: &Plane, sx: f32, sy: f32) -> [f32; 4] {
    let (bx, by) = (sx.floor(), sy.floor());
    let (fx, fy) = (sx - bx, sy - by);
    let (bx, by) = (bx as i64, by as i64);
    // The 4×4 neighbourhood, rows by-1..=by+2, columns bx-1..=bx+2.
    let mut n = [[[0.0f32; 4]; 4]; 4];
    let mut l = [[0.0f32; 4]; 4];
    for j in 0..4 {
        for i in 0..4 {
            n[j][i] = src.at(bx - 1 + i as i64, by - 1 + j as i64);
            l[j][i] = luma(n[j][i]);
        }
    }
    // Structure tensor of the four centre pixels, weighted bilinearly.
    let (mut jxx, mut jxy, mut jyy) = (0.0f32, 0.0f32, 0.0f32);
    for (j, wy) in [(1, 1.0 - fy), (2, fy)] {
        for (i, wx) in [(1, 1.0 - fx), (2, fx)] {
            let gx = 0.5 * (l[j][i + 1] - l[j][i - 1]);
            let gy = 0.5 * (l[j + 1][i] - l[j - 1][i]);
            let w = wx * wy;
            jxx += w * gx * gx;
            jxy += w * gx * gy;
            jyy += w * gy * gy;
        }
    }
    let trace = jxx + jyy;
    let gap = ((jxx - jyy) * (jxx - jyy) + 4.0 * jxy * jxy).sqrt();
    let (mut nx, mut ny) = if jxx >= jyy {
        (jxx - jyy + gap, 2.0 * jxy)
    } else {
        (2.0 * jxy, jyy - jxx + gap)
    };
    let len = (nx * nx + ny * ny).sqrt();
    let mut s = 0.0;
    if len > 1e-12 {
        nx /= len;
        ny /= len;
        s = gap / (trace + 1e-12) * (trace / (trace + EDGE_ENERGY));
    } else {
        (nx, ny) = (1.0, 0.0);
    }
    let along = 1.0 / (1.0 + STRETCH * s);
    let across = 1.0 + SQUEEZE * s;
    let mut sum = [0.0f32; 4];
    let mut total = 0.0f32;
    for (j, row) in n.iter().enumerate() {
        for (i, p) in row.iter().enumerate() {
            let dx = (bx - 1 + i as i64) as f32 - sx;
            let dy = (by - 1 + j as i64) as f32 - sy;
            let u = (dx * -ny + dy * nx) * along;
            let v = (dx * nx + dy * ny) * across;
            let w = lobe(u * u + v * v);
            total += w;
            for c in 0..4 {
                sum[c] += w * p[c];
            }
        }
    }
    let quad = [n[1][1], n[1][2], n[2][1], n[2][2]];
    std::array::from_fn(|c| {
        let lo = quad.iter().map(|p| p[c]).fold(f32::INFINITY, f32::min);
        let hi = quad.iter().map(|p| p[c]).fold(f32::NEG_INFINITY, f32::max);
        (sum[c] / total).clamp(lo, hi)
    })
}

/// The sharpened value of pixel (x, y) of the upsampled plane.
pub(crate) fn sharpen_at(up: &Plane, x: i64, y: i64, sharpness: f32) -> [f32; 4] {
    let c = up.at(x, y);
    let around = [
        up.at(x, y - 1),
        up.at(x - 1, y),
        up.at(x + 1, y),
        up.at(x, y + 1),
    ];
    let gain = GAIN * sharpness;
    std::array::from_fn(|k| {
        let mut lo = c[k];
        let mut hi = c[k];
        let mut mean = 0.0;
        for p in &around {
            lo = lo.min(p[k]);
            hi = hi.max(p[k]);
            mean += 0.25 * p[k];
        }
        (c[k] + gain * (c[k] - mean)).clamp(lo, hi)
    })
}

/// The source position of output pixel `o` along an axis scaled by `scale`
/// (source size / output size), pixel centres at integers.
pub(crate) fn source_position(o: u32, scale: f32) -> f32 {
    (o as f32 + 0.5) * scale - 0.5
}

/// Quantises a premultiplied value to 16 bits.
pub(crate) fn to_u16(v: f32) -> u16 {
    (v.clamp(0.0, 1.0) * 65535.0 + 0.5) as u16
}

/// Upscales `src` to the options' size (validated: not smaller on either axis).
pub(super) fn upscale(src: &RgbaImage, options: &ResizeOptions) -> RgbaImage {
    let (w, h) = (options.width, options.height);
    let plane = Plane::from_premultiplied16(
        &to_premultiplied16(src, options.linear_light),
        src.width(),
        src.height(),
    );
    let scale_x = src.width() as f32 / w as f32;
    let scale_y = src.height() as f32 / h as f32;
    let mut up = Plane {
        width: w,
        height: h,
        pixels: Vec::with_capacity(w as usize * h as usize),
    };
    for y in 0..h {
        let sy = source_position(y, scale_y);
        for x in 0..w {
            up.pixels
                .push(upsample_at(&plane, source_position(x, scale_x), sy));
        }
    }
    let mut values = Vec::with_capacity(w as usize * h as usize * 4);
    for y in 0..i64::from(h) {
        for x in 0..i64::from(w) {
            let p = if options.sharpness > 0.0 {
                sharpen_at(&up, x, y, options.sharpness)
            } else {
                up.at(x, y)
            };
            values.extend(p.map(to_u16));
        }
    }
    from_premultiplied16(&values, w, h, options.linear_light)
}
