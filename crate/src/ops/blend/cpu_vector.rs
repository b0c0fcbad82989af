//! The separable modes with a byte path (Normal, multiply, screen, overlay,
//! darken, …, and the tabled ones: colour burn and dodge, soft and vivid
//! light, divide) over an opaque backdrop, written with vector
//! instructions through [`Lanes`] (x86: AVX2, or AVX-512 BW where the CPU
//! has it; wasm: SIMD128): the same fixed-point lerp as `cpu.rs`'s blocks,
//! bit for bit (tested), a pixel to a 32-bit lane instead of the
//! compiler's mix of byte, 16- and 32-bit lanes. A tabled mode's lookups
//! stay scalar ([`look_up`]); the rest of its block is vector work.
//!
//! A pixel is a 32-bit lane, so its coverage `α·m·opacity` is computed
//! where it lies; read as two u16 lanes, a pixel's bytes split into the
//! even ones (R, B: `& 0xFF`) and the odd ones (G, A: `>> 8`) without a
//! shuffle. The lerp `b + round((t − b)·w / 2¹⁴)` is one `pmulhrsw`
//! (`q15mulr` in wasm) of `2(t − b)` by `w` (exactly the rounding of
//! `lerp_q14`); the alpha lane gets weight 0 and keeps the backdrop's 255.

use super::BlendMode;
#[cfg(target_arch = "wasm32")]
use crate::simd::wasm::Simd128;
#[cfg(target_arch = "x86_64")]
use crate::simd::x86::{Avx2, Avx512};
use crate::simd::Lanes;

/// What the backdrop is lerped towards.
#[derive(Clone, Copy)]
pub(super) enum LerpTarget {
    /// The layer's colour (Normal).
    Layer,
    /// B(Cb, Cs) of a mode with a formula on bytes (those of `cpu.rs`'s
    /// `blend_byte`), computed in u16 lanes.
    Byte(BlendMode),
    /// A separable mode's B(Cb, Cs) from its table (index `Cb·256 + Cs`).
    Table(&'static [u8; 65536]),
}

/// The plain row loop on some of a row's pixels: `(base, layer, mask)`.
type RestOfRow<'a> = dyn Fn(&mut [u8], &[u8], Option<&[u8]>) + 'a;

/// Blends a row of RGBA8 pixels on AVX-512 or AVX2 and returns true, or
/// returns false (nothing written) when the CPU has neither; in wasm on
/// SIMD128, always. Blocks whose backdrop is all opaque take the vector
/// lerp; every other block, and the row's tail, goes to `rest(base, layer,
/// mask)` (the plain row loop on those pixels, which computes the same for
/// an opaque backdrop).
pub(super) fn lerp_row(
    target: LerpTarget,
    base: &mut [u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    opacity_q: u32,
    rest: impl Fn(&mut [u8], &[u8], Option<&[u8]>),
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx512() {
        // SAFETY: AVX-512 F and BW support was just detected.
        unsafe { lerp_row_avx512(target, base, layer, mask, opacity_q, &rest) };
        true
    } else if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 support was just detected.
        unsafe { lerp_row_avx2(target, base, layer, mask, opacity_q, &rest) };
        true
    } else {
        false
    }
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: this build has SIMD128 (`vector_rows`).
        unsafe { lerp_row_with::<Simd128>(target, base, layer, mask, opacity_q, &rest) };
        true
    }
}

/// Each vector version this CPU has, by name, run on a copy of `base`: for
/// the tests that hold them to the plain blocks.
#[cfg(all(test, target_arch = "x86_64"))]
pub(super) fn lerp_row_each_tier(
    target: LerpTarget,
    base: &[u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    opacity_q: u32,
    rest: impl Fn(&mut [u8], &[u8], Option<&[u8]>),
) -> Vec<(&'static str, Vec<u8>)> {
    let mut results = Vec::new();
    if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") {
        let mut out = base.to_vec();
        // SAFETY: AVX-512 F and BW support was just detected.
        unsafe { lerp_row_avx512(target, &mut out, layer, mask, opacity_q, &rest) };
        results.push(("AVX-512", out));
    }
    if std::is_x86_feature_detected!("avx2") {
        let mut out = base.to_vec();
        // SAFETY: AVX2 support was just detected.
        unsafe { lerp_row_avx2(target, &mut out, layer, mask, opacity_q, &rest) };
        results.push(("AVX2", out));
    }
    results
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512bw")]
unsafe fn lerp_row_avx512(
    target: LerpTarget,
    base: &mut [u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    opacity_q: u32,
    rest: &RestOfRow,
) {
    // SAFETY: the caller checked for AVX-512 F and BW.
    unsafe { lerp_row_with::<Avx512>(target, base, layer, mask, opacity_q, rest) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lerp_row_avx2(
    target: LerpTarget,
    base: &mut [u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    opacity_q: u32,
    rest: &RestOfRow,
) {
    // SAFETY: the caller checked for AVX2.
    unsafe { lerp_row_with::<Avx2>(target, base, layer, mask, opacity_q, rest) }
}

/// [`lerp_row`] on `V`: the block loop instantiated for the target's
/// formula, so none of them branches on the mode inside the loop.
///
/// SAFETY: the CPU has `V`'s instructions.
#[inline(always)]
unsafe fn lerp_row_with<V: Lanes>(
    target: LerpTarget,
    base: &mut [u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    opacity_q: u32,
    rest: &RestOfRow,
) {
    use BlendMode::*;
    // SAFETY (every `unsafe` below): the CPU has `V`'s instructions.
    macro_rules! blocks {
        ($formula:expr) => {
            unsafe { lerp_blocks::<V>(base, layer, mask, opacity_q, rest, $formula) }
        };
    }
    // A lane-wise formula written out for the even and for the odd bytes
    // (not a closure called twice: one the compiler leaves out of line runs
    // without the caller's vector instructions, each intrinsic a call).
    macro_rules! per_lane {
        (|$b:ident, $s:ident| $formula:expr) => {
            blocks!(|_: &[u8], _: &[u8], b: [V; 2], s: [V; 2]| {
                let even = {
                    let ($b, $s) = (b[0], s[0]);
                    $formula
                };
                let ($b, $s) = (b[1], s[1]);
                [even, $formula]
            })
        };
    }
    let (c127, c254, c255) = unsafe { (V::splat16(127), V::splat16(254), V::splat16(255)) };
    let zero = unsafe { V::splat16(0) };
    match target {
        LerpTarget::Layer => blocks!(|_: &[u8], _: &[u8], _: [V; 2], s: [V; 2]| s),
        LerpTarget::Table(table) => blocks!(|b: &[u8], s: &[u8], _: [V; 2], _: [V; 2]| {
            let mut looked_up = [0u8; 64];
            look_up(table, b, s, &mut looked_up);
            let t = V::load(looked_up.as_ptr());
            [t.and(V::splat32(0x00FF_00FF)), t.shr16::<8>()]
        }),
        LerpTarget::Byte(mode) => match mode {
            Multiply => per_lane!(|b, s| div255(b.mullo16(s))),
            Screen => per_lane!(|b, s| div255(screen(b, s))),
            Overlay => per_lane!(|b, s| hard_light(s, b)),
            HardLight => per_lane!(|b, s| hard_light(b, s)),
            Darken => per_lane!(|b, s| b.min16(s)),
            Lighten => per_lane!(|b, s| b.max16(s)),
            Difference => per_lane!(|b, s| b.max16(s).sub16(b.min16(s))),
            Exclusion => per_lane!(|b, s| div255(screen(b, s).sub16(b.mullo16(s)))),
            LinearDodge => per_lane!(|b, s| b.add16(s).min16(c255)),
            LinearBurn => per_lane!(|b, s| b.add16(s).sub_or_zero16(c255)),
            Subtract => per_lane!(|b, s| b.sub_or_zero16(s)),
            // b + 2·s − 255, clamped to a byte.
            LinearLight => per_lane!(|b, s| b.add16(s.add16(s)).sub_or_zero16(c255).min16(c255)),
            PinLight => per_lane!(|b, s| {
                let twice = s.add16(s);
                s.where_greater16(c127, b.max16(twice.sub16(c255)), b.min16(twice))
            }),
            HardMix => per_lane!(|b, s| b.add16(s).where_greater16(c254, c255, zero)),
            _ => unreachable!("{mode:?} has no byte formula"),
        },
    }
}

/// `x / 255` rounded, exact for `x ≤ 255²`: `(t + (t >> 8)) >> 8` with
/// `t = x + 128`, as `cpu.rs`'s `blend_byte`.
///
/// SAFETY: the CPU has `V`'s instructions.
#[inline(always)]
unsafe fn div255<V: Lanes>(x: V) -> V {
    unsafe {
        let t = x.add16(V::splat16(128));
        t.add16(t.shr16::<8>()).shr16::<8>()
    }
}

/// `255·(b + s) − b·s`, at most 255² (wrapping on the way, exact at the end).
///
/// SAFETY: the CPU has `V`'s instructions.
#[inline(always)]
unsafe fn screen<V: Lanes>(b: V, s: V) -> V {
    unsafe { V::splat16(255).mullo16(b.add16(s)).sub16(b.mullo16(s)) }
}

/// Hard light with the roles as given: multiply by `2·s` where `s ≤ 127`,
/// else screen with `2·s − 255`.
///
/// SAFETY: the CPU has `V`'s instructions.
#[inline(always)]
unsafe fn hard_light<V: Lanes>(b: V, s: V) -> V {
    unsafe {
        let twice = s.add16(s);
        let screened = screen(b, twice.sub16(V::splat16(255)));
        div255(s.where_greater16(V::splat16(127), screened, b.mullo16(twice)))
    }
}

/// `b + round((t − b)·w / 2¹⁴)`: one `pmulhrsw` of `2(t − b)` (at most
/// ±510) by `w` (at most 2¹⁴), the rounding of `lerp_q14`.
///
/// SAFETY: the CPU has `V`'s instructions.
#[inline(always)]
unsafe fn lerp<V: Lanes>(b: V, t: V, w: V) -> V {
    unsafe {
        let delta = t.sub16(b);
        b.add16(delta.add16(delta).mulhrs16(w))
    }
}

/// The block loop: blocks with an all-opaque backdrop lerp towards
/// `target(base bytes, layer bytes, [base even, odd], [layer even, odd])`,
/// the others and the row's tail go to `rest`.
///
/// SAFETY: the CPU has `V`'s instructions.
#[inline(always)]
unsafe fn lerp_blocks<V: Lanes>(
    base: &mut [u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    opacity_q: u32,
    rest: &RestOfRow,
    target: impl Fn(&[u8], &[u8], [V; 2], [V; 2]) -> [V; 2],
) {
    // Each u32 lane a pixel.
    let pixels = V::BYTES / 4;
    let bytes = V::BYTES;
    let blocks = base.len() / bytes;
    // SAFETY (every `unsafe` below): the CPU has `V`'s instructions, and
    // each load and store stays inside a block `i` of `bytes` bytes
    // (`pixels` for the mask), `i < blocks`.
    let (opaque, low_bytes) = unsafe { (V::splat32(0xFF00_0000), V::splat32(0x00FF_00FF)) };
    let (opacity, half, full) = unsafe {
        (
            V::splat32(opacity_q),
            V::splat32(1 << 15),
            V::splat32(1 << 14),
        )
    };
    let unmasked = unsafe { V::splat32(255) };
    // Pixels `from..to` to the plain loop in one call: a run of blocks not
    // all opaque (a layer over a cleared canvas: the whole row) costs one.
    let rest_of = |base: &mut [u8], from: usize, to: usize| {
        rest(
            &mut base[from * 4..to * 4],
            &layer[from * 4..to * 4],
            mask.map(|m| &m[from..to]),
        );
    };
    let mut run_start: Option<usize> = None;
    for i in 0..blocks {
        let b = unsafe { V::load(base[i * bytes..][..bytes].as_ptr()) };
        if !unsafe { b.and(opaque).all_equal32(opaque) } {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(from) = run_start.take() {
            rest_of(base, from * pixels, i * pixels);
        }
        let (b_bytes, l_bytes) = (
            &mut base[i * bytes..][..bytes],
            &layer[i * bytes..][..bytes],
        );
        let m_bytes = mask.map(|m| &m[i * pixels..][..pixels]);
        unsafe {
            let l = V::load(l_bytes.as_ptr());
            let m = m_bytes.map_or(unmasked, |m| V::load_bytes_as_u32(m.as_ptr()));
            // coverage_q14: ((α·m)·opacity_q + 2¹⁵) >> 16, at most 2¹⁴.
            let weight = l
                .shr32::<24>()
                .mullo32(m)
                .mullo32(opacity)
                .add32(half)
                .shr32::<16>()
                .min32(full);
            // R and B take the weight in both u16 halves, G in the low one,
            // alpha none.
            let (even_weight, odd_weight) = (weight.or(weight.shl32::<16>()), weight);
            let b_lanes = [b.and(low_bytes), b.shr16::<8>()];
            let l_lanes = [l.and(low_bytes), l.shr16::<8>()];
            let [t_even, t_odd] = target(b_bytes, l_bytes, b_lanes, l_lanes);
            let out = lerp(b_lanes[0], t_even, even_weight)
                .or(lerp(b_lanes[1], t_odd, odd_weight).shl16::<8>());
            out.store(b_bytes.as_mut_ptr());
        }
    }
    // The last run and the row's tail.
    let end = base.len() / 4;
    rest_of(base, run_start.unwrap_or(blocks) * pixels, end);
}

/// B(Cb, Cs) of each colour byte of `base` and `layer` from `table`, into
/// `out`'s first bytes (alpha's left 0). Scalar and out of line: vectorised,
/// the compiler moves each index from a vector register to a general one,
/// and gathers are slower still (measured).
#[inline(never)]
fn look_up(table: &[u8; 65536], base: &[u8], layer: &[u8], out: &mut [u8; 64]) {
    for ((t, b), l) in out
        .chunks_exact_mut(4)
        .zip(base.chunks_exact(4))
        .zip(layer.chunks_exact(4))
    {
        let (b, l) = (
            u32::from_le_bytes(b.try_into().expect("a pixel")),
            u32::from_le_bytes(l.try_into().expect("a pixel")),
        );
        let entry = |shift: u32| {
            u32::from(table[((b >> shift & 0xFF) << 8 | (l >> shift & 0xFF)) as usize]) << shift
        };
        t.copy_from_slice(&(entry(0) | entry(8) | entry(16)).to_le_bytes());
    }
}
