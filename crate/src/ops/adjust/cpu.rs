//! The adjustments on the CPU, and the parts both backends share: the
//! per-channel tables of the tonal adjustments, the curve interpolation and
//! the split of an image into planes for the blur.

use super::{Adjustment, ColorBalance, Curves, HueSaturation, Levels, UnsharpMask};
use crate::ops::feather;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// One 256-entry table per colour channel (R, G, B).
pub(super) type ChannelTables = [[u8; 256]; 3];

/// Rounds a value in levels to the nearest level in 0–255.
fn to_level(value: f64) -> u8 {
    (value.clamp(0.0, 255.0) + 0.5) as u8
}

fn f32_to_level(value: f32) -> u8 {
    (value.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// The tables of a tonal adjustment (levels, curves, brightness/contrast);
/// `None` for the others.
pub(super) fn channel_tables(adjustment: &Adjustment) -> Option<ChannelTables> {
    let same = |f: &dyn Fn(f64) -> f64| {
        let table: [u8; 256] = std::array::from_fn(|v| to_level(f(v as f64)));
        [table; 3]
    };
    match adjustment {
        Adjustment::Levels(l) => Some(same(&|v| levels(l, v))),
        Adjustment::Curves(c) => Some(curves_tables(c)),
        Adjustment::BrightnessContrast(b) => {
            let brightness = 1.0 + f64::from(b.brightness) / 100.0;
            let contrast = 1.0 + f64::from(b.contrast) / 100.0;
            Some(same(&|v| 128.0 + (v * brightness - 128.0) * contrast))
        }
        _ => None,
    }
}

fn levels(l: &Levels, v: f64) -> f64 {
    let (ib, iw) = (f64::from(l.input_black), f64::from(l.input_white));
    let (ob, ow) = (f64::from(l.output_black), f64::from(l.output_white));
    let t = ((v - ib) / (iw - ib)).clamp(0.0, 1.0);
    ob + t.powf(1.0 / f64::from(l.gamma)) * (ow - ob)
}

/// The most control points one curve may have.
pub(super) const MAX_CURVE_POINTS: usize = 16;

/// Parses a curve's control points (`x:y` pairs separated by commas, each in
/// 0–255, `x` strictly increasing, 2 to [`MAX_CURVE_POINTS`]).
pub(super) fn parse_curve(name: &str, text: &str) -> Result<Vec<(f64, f64)>> {
    let bad = |why: String| Error::param(name, format!("{why} (write points as x:y,x:y,…)"));
    let points = text
        .split(',')
        .map(|pair| {
            let (x, y) = pair
                .trim()
                .split_once(':')
                .ok_or_else(|| bad(format!("'{}' is not an x:y point", pair.trim())))?;
            let coordinate = |s: &str| -> Result<f64> {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=255.0).contains(v))
                    .ok_or_else(|| bad(format!("'{}' is not a number from 0 to 255", s.trim())))
            };
            Ok((coordinate(x)?, coordinate(y)?))
        })
        .collect::<Result<Vec<_>>>()?;
    if !(2..=MAX_CURVE_POINTS).contains(&points.len()) {
        return Err(bad(format!(
            "give 2 to {MAX_CURVE_POINTS} points, got {}",
            points.len()
        )));
    }
    if points.windows(2).any(|w| w[1].0 <= w[0].0) {
        return Err(bad("x must increase from point to point".into()));
    }
    Ok(points)
}

/// The monotone cubic through `points` at `x`: SciPy's `PchipInterpolator`
/// (Fritsch–Butland weighted harmonic mean of the secants inside, the
/// one-sided three-point estimate at the ends), flat outside the points.
pub(super) struct MonotoneCubic {
    xs: Vec<f64>,
    ys: Vec<f64>,
    slopes: Vec<f64>,
}

impl MonotoneCubic {
    pub fn new(points: &[(f64, f64)]) -> MonotoneCubic {
        let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
        let h: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
        let m: Vec<f64> = (0..h.len()).map(|k| (ys[k + 1] - ys[k]) / h[k]).collect();
        let n = xs.len();
        let mut slopes = vec![0.0; n];
        if n == 2 {
            slopes = vec![m[0], m[0]];
        } else {
            for k in 1..n - 1 {
                if m[k - 1] * m[k] > 0.0 {
                    let w1 = 2.0 * h[k] + h[k - 1];
                    let w2 = h[k] + 2.0 * h[k - 1];
                    slopes[k] = (w1 + w2) / (w1 / m[k - 1] + w2 / m[k]);
                }
            }
            slopes[0] = end_slope(h[0], h[1], m[0], m[1]);
            slopes[n - 1] = end_slope(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
        }
        MonotoneCubic { xs, ys, slopes }
    }

    pub fn at(&self, x: f64) -> f64 {
        let n = self.xs.len();
        if x <= self.xs[0] {
            return self.ys[0];
        }
        if x >= self.xs[n - 1] {
            return self.ys[n - 1];
        }
        let k = self.xs.partition_point(|&xk| xk <= x) - 1;
        let h = self.xs[k + 1] - self.xs[k];
        let t = (x - self.xs[k]) / h;
        let (t2, t3) = (t * t, t * t * t);
        (2.0 * t3 - 3.0 * t2 + 1.0) * self.ys[k]
            + (t3 - 2.0 * t2 + t) * h * self.slopes[k]
            + (-2.0 * t3 + 3.0 * t2) * self.ys[k + 1]
            + (t3 - t2) * h * self.slopes[k + 1]
    }
}

/// SciPy's `_edge_case`: the three-point estimate, zeroed when its sign
/// differs from the first secant's and limited to 3× it when the secants
/// change sign.
fn end_slope(h0: f64, h1: f64, m0: f64, m1: f64) -> f64 {
    // NumPy's sign: 0 for 0 (f64::signum gives ±1).
    let sign = |v: f64| (v > 0.0) as i8 - (v < 0.0) as i8;
    let d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
    if sign(d) != sign(m0) {
        0.0
    } else if sign(m0) != sign(m1) && d.abs() > 3.0 * m0.abs() {
        3.0 * m0
    } else {
        d
    }
}

fn curve_table(name: &str, text: &str) -> [f64; 256] {
    let points = parse_curve(name, text).expect("validated");
    let curve = MonotoneCubic::new(&points);
    std::array::from_fn(|v| curve.at(v as f64))
}

fn curves_tables(c: &Curves) -> ChannelTables {
    let channels = [
        curve_table("red", &c.red),
        curve_table("green", &c.green),
        curve_table("blue", &c.blue),
    ];
    let master_curve = MonotoneCubic::new(&parse_curve("master", &c.master).expect("validated"));
    channels.map(|channel| std::array::from_fn(|v| to_level(master_curve.at(channel[v]))))
}

/// Looks every pixel's colour up in `tables`; alpha is kept.
fn apply_tables(image: &RgbaImage, tables: &ChannelTables) -> RgbaImage {
    let mut out = image.clone();
    for pixel in out.pixels_mut() {
        for c in 0..3 {
            pixel[c] = tables[c][usize::from(pixel[c])];
        }
    }
    out
}

/// HSL of an RGB colour in 0–1 (hue in 0–1 turns).
pub(super) fn rgb_to_hsl([r, g, b]: [f32; 3]) -> [f32; 3] {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    if max == min {
        return [0.0, 0.0, l];
    }
    let d = max - min;
    let s = if l <= 0.5 {
        d / (max + min)
    } else {
        d / (2.0 - max - min)
    };
    let h = if max == r {
        (g - b) / d + if g < b { 6.0 } else { 0.0 }
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    [h / 6.0, s, l]
}

fn hue_to_channel(p: f32, q: f32, t: f32) -> f32 {
    let t = t - t.floor();
    if t < 1.0 / 6.0 {
        p + (q - p) * 6.0 * t
    } else if t < 0.5 {
        q
    } else if t < 2.0 / 3.0 {
        p + (q - p) * (2.0 / 3.0 - t) * 6.0
    } else {
        p
    }
}

pub(super) fn hsl_to_rgb([h, s, l]: [f32; 3]) -> [f32; 3] {
    if s == 0.0 {
        return [l; 3];
    }
    let q = if l <= 0.5 {
        l * (1.0 + s)
    } else {
        l + s - l * s
    };
    let p = 2.0 * l - q;
    [
        hue_to_channel(p, q, h + 1.0 / 3.0),
        hue_to_channel(p, q, h),
        hue_to_channel(p, q, h - 1.0 / 3.0),
    ]
}

fn hue_saturation(h: &HueSaturation, rgb: [f32; 3]) -> [f32; 3] {
    let [hue, s, l] = rgb_to_hsl(rgb);
    let lightness = h.lightness / 100.0;
    let l = if lightness < 0.0 {
        l * (1.0 + lightness)
    } else {
        l + (1.0 - l) * lightness
    };
    let s = (s * (1.0 + h.saturation / 100.0)).clamp(0.0, 1.0);
    hsl_to_rgb([hue + h.hue / 360.0, s, l])
}

/// GIMP's tonal-range weights of a lightness `l`: shadows, midtones,
/// highlights (see the module docs).
fn range_weights(l: f32) -> [f32; 3] {
    const A: f32 = 0.25;
    const B: f32 = 0.333;
    const SCALE: f32 = 0.7;
    let shadows = ((l - B) / -A + 0.5).clamp(0.0, 1.0);
    let midtones = ((l - B) / A + 0.5).clamp(0.0, 1.0) * ((l + B - 1.0) / -A + 0.5).clamp(0.0, 1.0);
    let highlights = ((l + B - 1.0) / A + 0.5).clamp(0.0, 1.0);
    [shadows * SCALE, midtones * SCALE, highlights * SCALE]
}

/// The colour balance's per-channel shifts in 0–1 units, `[range][channel]`.
pub(super) fn balance_shifts(c: &ColorBalance) -> [[f32; 3]; 3] {
    let s = c.sliders().map(|(_, v)| v / 100.0);
    [[s[0], s[1], s[2]], [s[3], s[4], s[5]], [s[6], s[7], s[8]]]
}

fn color_balance(shifts: &[[f32; 3]; 3], preserve: bool, rgb: [f32; 3]) -> [f32; 3] {
    let l = rgb_to_hsl(rgb)[2];
    let w = range_weights(l);
    let balanced: [f32; 3] = std::array::from_fn(|c| {
        (rgb[c] + shifts[0][c] * w[0] + shifts[1][c] * w[1] + shifts[2][c] * w[2]).clamp(0.0, 1.0)
    });
    if preserve {
        let [h, s, _] = rgb_to_hsl(balanced);
        hsl_to_rgb([h, s, l])
    } else {
        balanced
    }
}

/// Applies `f` to every pixel's colour in 0–1; alpha is kept.
fn map_colours(image: &RgbaImage, f: impl Fn([f32; 3]) -> [f32; 3]) -> RgbaImage {
    let mut out = image.clone();
    for pixel in out.pixels_mut() {
        let rgb = [0, 1, 2].map(|c| f32::from(pixel[c]) / 255.0);
        let [r, g, b] = f(rgb);
        pixel[0] = f32_to_level(r);
        pixel[1] = f32_to_level(g);
        pixel[2] = f32_to_level(b);
    }
    out
}

/// The image's four channels as planes to blur; colours premultiplied by
/// alpha (to 8 bits) unless the image is opaque. Returns the planes and
/// whether they are premultiplied.
pub(super) fn planes_to_blur(image: &RgbaImage) -> ([GrayImage; 4], bool) {
    let premultiply = image.pixels().any(|p| p[3] != 255);
    let (w, h) = image.dimensions();
    let planes = std::array::from_fn(|c| {
        let mut plane = GrayImage::new(w, h);
        for (o, p) in plane.iter_mut().zip(image.pixels()) {
            *o = if premultiply && c < 3 {
                ((u32::from(p[c]) * u32::from(p[3]) + 127) / 255) as u8
            } else {
                p[c]
            };
        }
        plane
    });
    (planes, premultiply)
}

/// Puts blurred planes back together, undoing the premultiplication.
pub(super) fn merge_blurred(planes: &[GrayImage; 4], premultiplied: bool) -> RgbaImage {
    let (w, h) = planes[0].dimensions();
    let mut out = RgbaImage::new(w, h);
    for (i, pixel) in out.pixels_mut().enumerate() {
        let alpha = planes[3].as_raw()[i];
        pixel[3] = alpha;
        for c in 0..3 {
            let v = planes[c].as_raw()[i];
            pixel[c] = match (premultiplied, alpha) {
                (false, _) => v,
                (true, 0) => 0,
                (true, a) => {
                    ((u32::from(v) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8
                }
            };
        }
    }
    out
}

fn blur(image: &RgbaImage, sigma: f32) -> RgbaImage {
    let (planes, premultiplied) = planes_to_blur(image);
    let blurred = planes
        .each_ref()
        .map(|p| feather::gaussian_plane_cpu(p, sigma));
    merge_blurred(&blurred, premultiplied)
}

/// The unsharp mask's last step: each colour channel of `image` pushed away
/// from `blurred` (see the module docs); alpha is kept.
pub(super) fn sharpen(image: &RgbaImage, blurred: &RgbaImage, u: &UnsharpMask) -> RgbaImage {
    let mut out = image.clone();
    let gain = u.amount / 100.0;
    for (pixel, soft) in out.pixels_mut().zip(blurred.pixels()) {
        for c in 0..3 {
            let d = f32::from(pixel[c]) - f32::from(soft[c]);
            if d.abs() >= u.threshold {
                pixel[c] = ((f32::from(pixel[c]) + d * gain).clamp(0.0, 255.0) + 0.5) as u8;
            }
        }
    }
    out
}

pub(super) fn adjust(image: &RgbaImage, adjustment: &Adjustment) -> RgbaImage {
    if let Some(tables) = channel_tables(adjustment) {
        return apply_tables(image, &tables);
    }
    match adjustment {
        Adjustment::HueSaturation(h) => map_colours(image, |rgb| hue_saturation(h, rgb)),
        Adjustment::ColorBalance(c) => {
            let shifts = balance_shifts(c);
            map_colours(image, |rgb| {
                color_balance(&shifts, c.preserve_luminosity, rgb)
            })
        }
        Adjustment::GaussianBlur(g) => blur(image, g.sigma),
        Adjustment::UnsharpMask(u) => sharpen(image, &blur(image, u.radius), u),
        Adjustment::Levels(_) | Adjustment::Curves(_) | Adjustment::BrightnessContrast(_) => {
            unreachable!("tonal adjustments are tables")
        }
    }
}
