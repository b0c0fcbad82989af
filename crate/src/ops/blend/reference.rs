//! An independent reference for the 27 blend modes, for the tests only.
//!
//! Written apart from `cpu.rs` and `blend.wgsl`, in f64, from the documents:
//! the W3C *Compositing and Blending Level 1* text (source-over, the
//! separable and non-separable blend functions, Lum/Sat/ClipColor) and
//! Adobe's descriptions of the modes the W3C text leaves out (linear burn and
//! dodge, vivid, linear and pin light, hard mix, subtract, divide, darker and
//! lighter colour). Nothing here calls the code under test.
//!
//! Where a mode is discontinuous (hard mix's threshold, darker/lighter
//! colour's choice between two colours, divide's 0/0) a tiny difference in
//! rounding may pick the other side; [`Reference::ambiguous`] reports those
//! pixels so the tests skip them and count them.

use super::BlendMode;

/// The reference result for one pixel; `ambiguous` where the mode is at a
/// discontinuity for these inputs (either side would be right).
pub(super) struct Reference {
    pub pixel: [u8; 4],
    pub ambiguous: bool,
}

/// sRGB's transfer function (IEC 61966-2-1).
fn decode_srgb(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn encode_srgb(v: f64) -> f64 {
    if v <= 0.0031308 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

fn quantise(v: f64) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// The W3C luminosity weights.
fn luminosity(c: [f64; 3]) -> f64 {
    0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2]
}

/// W3C ClipColor: pulls an out-of-gamut colour back along the grey axis.
fn clip_into_gamut(c: [f64; 3]) -> [f64; 3] {
    let l = luminosity(c);
    let lowest = c.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut c = c;
    if lowest < 0.0 {
        c = c.map(|v| l + (v - l) * l / (l - lowest));
    }
    if highest > 1.0 {
        c = c.map(|v| l + (v - l) * (1.0 - l) / (highest - l));
    }
    c
}

/// W3C SetLum.
fn with_luminosity(c: [f64; 3], l: f64) -> [f64; 3] {
    let shift = l - luminosity(c);
    clip_into_gamut(c.map(|v| v + shift))
}

fn saturation(c: [f64; 3]) -> f64 {
    let highest = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lowest = c.iter().copied().fold(f64::INFINITY, f64::min);
    highest - lowest
}

/// W3C SetSat: the largest channel becomes `s`, the smallest 0, the middle
/// one keeps its place in between.
fn with_saturation(c: [f64; 3], s: f64) -> [f64; 3] {
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| c[a].total_cmp(&c[b]));
    let [min, mid, max] = order;
    let mut out = [0.0; 3];
    if c[max] > c[min] {
        out[mid] = (c[mid] - c[min]) * s / (c[max] - c[min]);
        out[max] = s;
    }
    out
}

fn burn(b: f64, s: f64) -> f64 {
    if b == 1.0 {
        1.0
    } else if s == 0.0 {
        0.0
    } else {
        1.0 - f64::min(1.0, (1.0 - b) / s)
    }
}

fn dodge(b: f64, s: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else if s == 1.0 {
        1.0
    } else {
        f64::min(1.0, b / (1.0 - s))
    }
}

fn hard_light(b: f64, s: f64) -> f64 {
    if s <= 0.5 {
        b * 2.0 * s
    } else {
        // Screen(b, 2s − 1).
        let t = 2.0 * s - 1.0;
        1.0 - (1.0 - b) * (1.0 - t)
    }
}

fn soft_light(b: f64, s: f64) -> f64 {
    if s <= 0.5 {
        b - (1.0 - 2.0 * s) * b * (1.0 - b)
    } else {
        let d = if b <= 0.25 {
            ((16.0 * b - 12.0) * b + 4.0) * b
        } else {
            b.sqrt()
        };
        b + (2.0 * s - 1.0) * (d - b)
    }
}

/// The blend function B(Cb, Cs) of a separable mode, and whether these
/// inputs sit on one of its discontinuities.
fn separable(mode: BlendMode, b: f64, s: f64) -> (f64, bool) {
    use BlendMode::*;
    let near = |v: f64, edge: f64| (v - edge).abs() < 1e-4;
    match mode {
        Normal | Dissolve => (s, false),
        Multiply => (b * s, false),
        Screen => (b + s - b * s, false),
        Overlay => (hard_light(s, b), false),
        Darken => (b.min(s), false),
        Lighten => (b.max(s), false),
        ColorDodge => (dodge(b, s), false),
        ColorBurn => (burn(b, s), false),
        HardLight => (hard_light(b, s), false),
        SoftLight => (soft_light(b, s), false),
        Difference => ((b - s).abs(), false),
        Exclusion => (b + s - 2.0 * b * s, false),
        // Adobe: base + blend − 1 (burn) and base + blend (dodge), clipped.
        LinearBurn => ((b + s - 1.0).max(0.0), false),
        LinearDodge => ((b + s).min(1.0), false),
        // Adobe: burns by twice the blend below mid-grey, dodges above.
        VividLight => {
            let v = if s <= 0.5 {
                burn(b, 2.0 * s)
            } else {
                dodge(b, 2.0 * s - 1.0)
            };
            (v, false)
        }
        LinearLight => ((b + 2.0 * s - 1.0).clamp(0.0, 1.0), false),
        PinLight => {
            let v = if s <= 0.5 {
                b.min(2.0 * s)
            } else {
                b.max(2.0 * s - 1.0)
            };
            (v, false)
        }
        // Adobe: every channel goes to 0 or 1: 1 where base + blend reaches
        // white, counted in 8-bit levels (linear-light values are counted in
        // the level they round to; at a half level either rounding is right).
        HardMix => {
            let (lb, ls) = (b * 255.0, s * 255.0);
            let on_half_level = near(lb.fract(), 0.5) || near(ls.fract(), 0.5);
            let white = lb.round() + ls.round() >= 255.0;
            (if white { 1.0 } else { 0.0 }, on_half_level)
        }
        Subtract => ((b - s).max(0.0), false),
        // Adobe: base ÷ blend, white where the blend is black; a black base
        // stays black (0 ÷ anything, 0 ÷ 0 included, as GIMP does too).
        Divide => {
            let v = if b == 0.0 {
                0.0
            } else if s == 0.0 {
                1.0
            } else {
                (b / s).min(1.0)
            };
            (v, false)
        }
        DarkerColor | LighterColor | Hue | Saturation | Color | Luminosity => {
            unreachable!("{mode:?} is not separable")
        }
    }
}

/// B(Cb, Cs) for any mode, with the discontinuity flag.
fn blend(mode: BlendMode, cb: [f64; 3], cs: [f64; 3]) -> ([f64; 3], bool) {
    use BlendMode::*;
    match mode {
        Hue => (
            with_luminosity(with_saturation(cs, saturation(cb)), luminosity(cb)),
            false,
        ),
        Saturation => (
            with_luminosity(with_saturation(cb, saturation(cs)), luminosity(cb)),
            false,
        ),
        Color => (with_luminosity(cs, luminosity(cb)), false),
        Luminosity => (with_luminosity(cb, luminosity(cs)), false),
        // Adobe: the whole colour with the lower (higher) composite value;
        // the backdrop stays on a tie.
        DarkerColor | LighterColor => {
            let (lb, ls) = (luminosity(cb), luminosity(cs));
            let take_source = if mode == DarkerColor {
                ls < lb
            } else {
                ls > lb
            };
            (if take_source { cs } else { cb }, (ls - lb).abs() < 1e-3)
        }
        _ => {
            let mut ambiguous = false;
            let out = [0, 1, 2].map(|c| {
                let (v, edge) = separable(mode, cb[c], cs[c]);
                ambiguous |= edge;
                v
            });
            (out, ambiguous)
        }
    }
}

/// One pixel: `layer` (straight alpha) with mask `mask` and `opacity`
/// source-over `backdrop`, blended in `mode`. Dissolve is not covered: its
/// pattern is a definition, not a formula (the tests check its statistics).
pub(super) fn composite_pixel(
    mode: BlendMode,
    backdrop: [u8; 4],
    layer: [u8; 4],
    mask: u8,
    opacity: f64,
    linear_light: bool,
) -> Reference {
    assert!(
        mode != BlendMode::Dissolve,
        "dissolve has no per-pixel formula"
    );
    let alpha_s = f64::from(layer[3]) / 255.0 * f64::from(mask) / 255.0 * opacity;
    if alpha_s == 0.0 {
        return Reference {
            pixel: backdrop,
            ambiguous: false,
        };
    }
    let channel = |v: u8| {
        let v = f64::from(v) / 255.0;
        if linear_light {
            decode_srgb(v)
        } else {
            v
        }
    };
    let cb = [0, 1, 2].map(|c| channel(backdrop[c]));
    let cs = [0, 1, 2].map(|c| channel(layer[c]));
    let alpha_b = f64::from(backdrop[3]) / 255.0;
    let (mixed, ambiguous) = blend(mode, cb, cs);
    let alpha_o = alpha_s + alpha_b * (1.0 - alpha_s);
    let mut pixel = [0u8; 4];
    for c in 0..3 {
        // W3C: the source is first mixed with the blend result by the
        // backdrop's alpha, then composited source-over.
        let source = (1.0 - alpha_b) * cs[c] + alpha_b * mixed[c];
        let co = (alpha_s * source + alpha_b * cb[c] * (1.0 - alpha_s)) / alpha_o;
        let co = if linear_light {
            encode_srgb(co.clamp(0.0, 1.0))
        } else {
            co
        };
        pixel[c] = quantise(co);
    }
    pixel[3] = quantise(alpha_o);
    Reference { pixel, ambiguous }
}
