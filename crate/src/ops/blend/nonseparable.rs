//! The modes that mix whole colours (hue, saturation, colour, luminosity,
//! darker and lighter colour), written once over a [`Channel`]: one
//! pixel's value (`f32`: the reference, `cpu.rs`'s `blend_pixel`, and the
//! native row loops' blocks, a pixel at a time) or, in wasm, a block's, a
//! lane per pixel ([`PixelLanes`]). The same operations in the same order
//! give every lane the reference's bits; with the block's pixels across the
//! lanes (not their R, G, B) the compiler vectorises the formulas, whose
//! branches are selects there. In wasm the per-pixel form ran at 14–24
//! MP/s, the lanes at 22–33; natively the lanes measured slower than a
//! pixel at a time (BENCHMARKS.md).

use std::ops::{Add, Div, Mul, Sub};

use super::cpu::{BLOCK, LANES};
use super::BlendMode;

/// A colour channel's value for the formulas below. Conditions are picks:
/// a pixel branches, lanes compute both sides and select (a side's division
/// by zero is computed and dropped); `min`/`max` are such picks, which
/// equal `f32::min`/`max` here (no NaN comes in, and a ±0 makes the same
/// bytes).
pub(super) trait Channel:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    type Mask: Copy;
    fn splat(value: f32) -> Self;
    fn less(self, than: Self) -> Self::Mask;
    fn both(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// `then` where `mask` holds, `otherwise` elsewhere.
    fn pick(mask: Self::Mask, then: Self, otherwise: Self) -> Self;
    /// [`Channel::pick`] for a colour computed only where it is picked (a
    /// pixel branches once for all three; lanes compute it and select).
    fn pick_colour(
        mask: Self::Mask,
        then: impl Fn() -> [Self; 3],
        otherwise: [Self; 3],
    ) -> [Self; 3] {
        let then = then();
        [0, 1, 2].map(|c| Self::pick(mask, then[c], otherwise[c]))
    }
    /// Rounded to the nearest whole number, ties to even: WGSL's `round`,
    /// one instruction in wasm (`f32::round`, ties away from zero, is a
    /// call there).
    fn round(self) -> Self;
    fn min(self, other: Self) -> Self {
        Self::pick(other.less(self), other, self)
    }
    fn max(self, other: Self) -> Self {
        Self::pick(self.less(other), other, self)
    }
}

impl Channel for f32 {
    type Mask = bool;
    #[inline(always)]
    fn splat(value: f32) -> f32 {
        value
    }
    #[inline(always)]
    fn less(self, than: f32) -> bool {
        self < than
    }
    #[inline(always)]
    fn both(a: bool, b: bool) -> bool {
        a && b
    }
    #[inline(always)]
    fn pick(mask: bool, then: f32, otherwise: f32) -> f32 {
        if mask {
            then
        } else {
            otherwise
        }
    }
    #[inline(always)]
    fn pick_colour(mask: bool, then: impl Fn() -> [f32; 3], otherwise: [f32; 3]) -> [f32; 3] {
        if mask {
            then()
        } else {
            otherwise
        }
    }
    #[inline(always)]
    fn round(self) -> f32 {
        f32::round_ties_even(self)
    }
}

/// One channel of a block's pixels, a lane each.
#[cfg(any(target_arch = "wasm32", test))]
#[derive(Clone, Copy)]
pub(super) struct PixelLanes(pub [f32; BLOCK]);

macro_rules! lane_wise {
    ($($op:ident $method:ident),*) => {$(
        #[cfg(any(target_arch = "wasm32", test))]
        impl $op for PixelLanes {
            type Output = PixelLanes;
            #[inline(always)]
            fn $method(self, other: PixelLanes) -> PixelLanes {
                PixelLanes(std::array::from_fn(|i| self.0[i].$method(other.0[i])))
            }
        }
    )*};
}

lane_wise!(Add add, Sub sub, Mul mul, Div div);

#[cfg(any(target_arch = "wasm32", test))]
impl Channel for PixelLanes {
    type Mask = [bool; BLOCK];
    #[inline(always)]
    fn splat(value: f32) -> PixelLanes {
        PixelLanes([value; BLOCK])
    }
    #[inline(always)]
    fn less(self, than: PixelLanes) -> [bool; BLOCK] {
        std::array::from_fn(|i| self.0[i] < than.0[i])
    }
    #[inline(always)]
    fn both(a: [bool; BLOCK], b: [bool; BLOCK]) -> [bool; BLOCK] {
        std::array::from_fn(|i| a[i] & b[i])
    }
    #[inline(always)]
    fn pick(mask: [bool; BLOCK], then: PixelLanes, otherwise: PixelLanes) -> PixelLanes {
        PixelLanes(std::array::from_fn(|i| {
            if mask[i] {
                then.0[i]
            } else {
                otherwise.0[i]
            }
        }))
    }
    #[inline(always)]
    fn round(self) -> PixelLanes {
        PixelLanes(self.0.map(f32::round_ties_even))
    }
}

/// B(Cb, Cs) of a non-separable `mode` on (R, G, B).
#[inline(always)]
pub(super) fn blend_colour<C: Channel>(mode: BlendMode, cb: [C; 3], cs: [C; 3]) -> [C; 3] {
    use BlendMode::*;
    match mode {
        Hue => set_lum(set_sat(cs, sat(cb)), lum(cb)),
        Saturation => set_lum(set_sat(cb, sat(cs)), lum(cb)),
        Color => set_lum(cs, lum(cb)),
        Luminosity => set_lum(cb, lum(cs)),
        // Whole-colour choice by luma; integer weights keep ties exact.
        DarkerColor => {
            let darker = luma_key(cs).less(luma_key(cb));
            C::pick_colour(darker, || cs, cb)
        }
        LighterColor => {
            let lighter = luma_key(cb).less(luma_key(cs));
            C::pick_colour(lighter, || cs, cb)
        }
        _ => unreachable!("{mode:?} is separable"),
    }
}

/// B(Cb, Cs) of a non-separable `mode` for each pixel of a block (lanes in
/// RGBA order; the alpha lanes are left at 0 and never used). In wasm on
/// [`PixelLanes`]; natively a pixel at a time, which the compiler makes
/// faster code of there (BENCHMARKS.md).
#[inline(always)]
pub(super) fn blend_colour_block(
    mode: BlendMode,
    cb: [f32; LANES],
    cs: [f32; LANES],
) -> [f32; LANES] {
    #[cfg(target_arch = "wasm32")]
    {
        let planes = |c: &[f32; LANES]| {
            [0, 1, 2].map(|channel| PixelLanes(std::array::from_fn(|p| c[p * 4 + channel])))
        };
        let mixed = blend_colour(mode, planes(&cb), planes(&cs));
        std::array::from_fn(|i| match i % 4 {
            3 => 0.0,
            channel => mixed[channel].0[i / 4],
        })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut out = [0.0; LANES];
        for p in 0..BLOCK {
            let rgb = |c: &[f32; LANES]| [c[p * 4], c[p * 4 + 1], c[p * 4 + 2]];
            out[p * 4..p * 4 + 3].copy_from_slice(&blend_colour(mode, rgb(&cb), rgb(&cs)));
        }
        out
    }
}

/// Luma on the 8-bit grid with integer weights (30, 59, 11): exact in f32.
#[inline(always)]
fn luma_key<C: Channel>(c: [C; 3]) -> C {
    let level = |v: C| (v * C::splat(255.0)).round();
    C::splat(30.0) * level(c[0]) + C::splat(59.0) * level(c[1]) + C::splat(11.0) * level(c[2])
}

#[inline(always)]
fn lum<C: Channel>(c: [C; 3]) -> C {
    C::splat(0.3) * c[0] + C::splat(0.59) * c[1] + C::splat(0.11) * c[2]
}

#[inline(always)]
fn clip_color<C: Channel>(c: [C; 3]) -> [C; 3] {
    let l = lum(c);
    let n = c[0].min(c[1]).min(c[2]);
    let x = c[0].max(c[1]).max(c[2]);
    let below = C::both(n.less(C::splat(0.0)), n.less(l));
    let out = C::pick_colour(below, || c.map(|v| l + (v - l) * l / (l - n)), c);
    let above = C::both(C::splat(1.0).less(x), l.less(x));
    C::pick_colour(
        above,
        || out.map(|v| l + (v - l) * (C::splat(1.0) - l) / (x - l)),
        out,
    )
}

#[inline(always)]
fn set_lum<C: Channel>(c: [C; 3], l: C) -> [C; 3] {
    let d = l - lum(c);
    clip_color(c.map(|v| v + d))
}

#[inline(always)]
fn sat<C: Channel>(c: [C; 3]) -> C {
    c[0].max(c[1]).max(c[2]) - c[0].min(c[1]).min(c[2])
}

/// W3C SetSat: stretch so max − min = s, keeping the channels' order.
#[inline(always)]
fn set_sat<C: Channel>(c: [C; 3], s: C) -> [C; 3] {
    let n = c[0].min(c[1]).min(c[2]);
    let x = c[0].max(c[1]).max(c[2]);
    let spread = n.less(x);
    let zero = C::splat(0.0);
    C::pick_colour(spread, || c.map(|v| (v - n) * s / (x - n)), [zero; 3])
}
