//! CPU reference of the compositor: plain f32 per pixel, mirrored line for
//! line by `blend.wgsl`. Faster row loops: Normal mode in 14-bit fixed
//! point (within one level of the reference); the separable modes whose
//! formula is exact on the 8-bit grid (multiply, screen, overlay, darken,
//! lighten, difference, exclusion, add, subtract, linear burn, hard light,
//! pin light, hard mix) over an opaque backdrop the same way — B(Cb, Cs)
//! on bytes, then Normal's lerp by the coverage (within one level); every
//! other case except Dissolve, on gamma-encoded values, as the reference's
//! own f32 arithmetic over blocks of pixels the compiler vectorises
//! (bit-identical to it). On x86 with AVX2 and in wasm (SIMD128), Normal
//! and every mode with a byte path over an opaque backdrop run
//! `cpu_vector.rs`'s hand-written rows instead, bit for bit these loops;
//! the f32 blocks stop at AVX2, which ran them faster than AVX-512.

use super::{nonseparable, validate, BlendMode, CompositeOptions, Overlap};
use crate::Result;
use image::{GrayImage, RgbaImage};

/// 1/255 as the kernels use it: multiplying by it is correctly rounded on
/// every backend, so CPU and GPU start from bit-identical inputs.
const INV_255: f32 = 1.0 / 255.0;

/// The lowest opacity at which a block over a fully transparent backdrop
/// takes [`over_clear_block`]: from there up the coverage `α·m·opacity`
/// stays a normal number however small `α·m`, and so does `αs·Cs`, so the
/// formula's `αs·Cs / αs` lands within 10⁻⁴ of a level of `Cs` and rounds
/// back to the layer's byte. Below it the formula's underflows decide.
const MIN_OPACITY_OVER_CLEAR: f32 = 1e-20;

/// Per-call constants of the pixel function.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PixelParams {
    pub mode: BlendMode,
    pub opacity: f32,
    /// Opacity on 0..=255, for dissolve's exact integer threshold.
    pub opacity_255: u32,
    pub linear_light: bool,
    pub seed: u32,
    /// The backdrop's top-left pixel in the document, for dissolve's pattern.
    pub origin: (u32, u32),
}

impl PixelParams {
    pub(crate) fn new(options: &CompositeOptions) -> Self {
        PixelParams {
            mode: options.mode,
            opacity: options.opacity,
            opacity_255: (options.opacity * 255.0 + 0.5) as u32,
            linear_light: options.linear_light,
            seed: options.dissolve_seed,
            origin: (
                options.backdrop_origin.0 as u32,
                options.backdrop_origin.1 as u32,
            ),
        }
    }
}

/// Composites in place on the CPU; see [`super::composite`].
pub fn composite_cpu_in_place(
    base: &mut RgbaImage,
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    options: &CompositeOptions,
) -> Result<()> {
    validate(layer, mask, options)?;
    let Some(ov) = Overlap::new(base.dimensions(), layer.dimensions(), options.offset) else {
        return Ok(());
    };
    let params = PixelParams::new(options);
    let (base_w, layer_w) = (base.width() as usize, layer.width() as usize);
    let (x0, width) = (ov.base_x as usize, ov.width as usize);
    let row_len = base_w * 4;
    let first = ov.base_y as usize * row_len;
    let base_raw: &mut [u8] = base;
    let rows = &mut base_raw[first..first + ov.height as usize * row_len];
    // Each row depends on its inputs alone: bit-identical on any number of threads.
    crate::parallel::for_each_row(rows, row_len, 4, |row, bytes| {
        let (by, ly) = (ov.base_y as usize + row, ov.layer_y as usize + row);
        let base_row = &mut bytes[x0 * 4..(x0 + width) * 4];
        let l0 = (ly * layer_w + ov.layer_x as usize) * 4;
        let layer_row = &layer.as_raw()[l0..l0 + width * 4];
        let mask_row = mask.map(|m| {
            let m0 = ly * layer_w + ov.layer_x as usize;
            &m.as_raw()[m0..m0 + width]
        });
        if params.mode == BlendMode::Normal && !params.linear_light {
            normal_row_fastest(base_row, layer_row, mask_row, params.opacity);
        } else if params.mode != BlendMode::Dissolve && !params.linear_light {
            blocked_row(&params, base_row, layer_row, mask_row);
        } else {
            for x in 0..width {
                let b: [u8; 4] = base_row[x * 4..x * 4 + 4].try_into().expect("4 bytes");
                let l: [u8; 4] = layer_row[x * 4..x * 4 + 4].try_into().expect("4 bytes");
                let m = mask_row.map_or(255, |m| m[x]);
                let out = blend_pixel(b, l, m, &params, ov.base_x + x as u32, by as u32);
                base_row[x * 4..x * 4 + 4].copy_from_slice(&out);
            }
        }
    });
    Ok(())
}

/// `mode` (Normal or a mode with a byte path) on one row through the plain
/// row loop and through each x86 vector version this CPU has: for the test
/// that holds them bit for bit equal.
#[cfg(all(test, target_arch = "x86_64"))]
pub(super) fn plain_and_x86_rows(
    mode: BlendMode,
    base: &[u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    opacity: f32,
) -> (Vec<u8>, Vec<(&'static str, Vec<u8>)>) {
    use super::cpu_vector::{lerp_row_each_tier, LerpTarget};
    let params = PixelParams::new(&CompositeOptions {
        mode,
        opacity,
        ..Default::default()
    });
    let mix = |cb: [f32; LANES], cs: [f32; LANES]| {
        std::array::from_fn(|i| blend_channel(mode, cb[i], cs[i]))
    };
    let target = match mode {
        BlendMode::Normal => LerpTarget::Layer,
        _ if TABLED.contains(&mode) => LerpTarget::Table(byte_table(mode)),
        _ => LerpTarget::Byte(mode),
    };
    let byte = |cb: u8, cs: u8| match target {
        LerpTarget::Table(table) => table[usize::from(cb) << 8 | usize::from(cs)],
        _ => blend_byte(mode, cb, cs),
    };
    let plain_row = |b: &mut [u8], l: &[u8], m: Option<&[u8]>| match mode {
        BlendMode::Normal => normal_row_portable(b, l, m, opacity),
        _ => blocked_row_portable(&params, b, l, m, mix, Some(byte)),
    };
    let mut plain = base.to_vec();
    plain_row(&mut plain, layer, mask);
    let opacity_q = opacity_q14(opacity);
    let tiers = lerp_row_each_tier(target, base, layer, mask, opacity_q, plain_row);
    (plain, tiers)
}

/// Pixels per block of the normal-mode fast path.
pub(super) const BLOCK: usize = 8;

/// Normal mode without linear light: on x86 with AVX2 and in wasm the
/// hand-written rows of `cpu_vector.rs` for opaque backdrops, the plain
/// row loop for the rest and elsewhere.
fn normal_row_fastest(base: &mut [u8], layer: &[u8], mask: Option<&[u8]>, opacity: f32) {
    if opacity == 0.0 {
        return;
    }
    #[cfg(vector_rows)]
    if super::cpu_vector::lerp_row(
        super::cpu_vector::LerpTarget::Layer,
        base,
        layer,
        mask,
        opacity_q14(opacity),
        |b, l, m| normal_row(b, l, m, opacity),
    ) {
        return;
    }
    normal_row(base, layer, mask, opacity)
}

crate::simd::widest_vectors! {
    /// Normal mode without linear light on the widest vectors the CPU has
    /// (the block loop vectorises wider); wasm gets SIMD128 at compile time.
    fn normal_row(
        base: &mut [u8],
        layer: &[u8],
        mask: Option<&[u8]>,
        opacity: f32,
    ) = normal_row_portable;
}

/// The same arithmetic as [`blend_pixel`], specialised. Blocks of pixels over
/// an opaque backdrop (the common case) reduce to a branch-free lerp the
/// compiler vectorises; other pixels take the general formula.
#[inline(always)]
fn normal_row_portable(base: &mut [u8], layer: &[u8], mask: Option<&[u8]>, opacity: f32) {
    if opacity == 0.0 {
        return;
    }
    match mask {
        Some(mask) => normal_row_masked(base, layer, mask.chunks(BLOCK), opacity),
        None => normal_row_masked(base, layer, std::iter::repeat(&[255u8; BLOCK][..]), opacity),
    }
}

/// The row loop, with the mask as an iterator of `BLOCK`-sized chunks (a
/// constant chunk when there is no mask).
#[inline(always)]
fn normal_row_masked<'m>(
    base: &mut [u8],
    layer: &[u8],
    mut mask: impl Iterator<Item = &'m [u8]>,
    opacity: f32,
) {
    let opacity_scaled = opacity * INV_255 * INV_255;
    let opacity_q = opacity_q14(opacity);
    let over_clear = opacity >= MIN_OPACITY_OVER_CLEAR;
    let mut base_blocks = base.chunks_exact_mut(BLOCK * 4);
    let mut layer_blocks = layer.chunks_exact(BLOCK * 4);
    for (b, l) in (&mut base_blocks).zip(&mut layer_blocks) {
        let (Ok(b), Ok(l), Some(Ok(m))) = (
            <&mut [u8; BLOCK * 4]>::try_from(b),
            <&[u8; BLOCK * 4]>::try_from(l),
            mask.next().map(<&[u8; BLOCK]>::try_from),
        ) else {
            unreachable!("chunks_exact yields whole blocks and the mask matches the row");
        };
        let opaque = (0..BLOCK).fold(255u8, |acc, i| acc & b[i * 4 + 3]) == 255;
        if opaque {
            normal_block_opaque(b, l, m, opacity_q);
        } else if over_clear && is_clear(b) {
            // `normal_pixel`'s αs.
            over_clear_block(b, l, m, |a, m| a * m * opacity_scaled);
        } else {
            for i in 0..BLOCK {
                normal_pixel(
                    &mut b[i * 4..i * 4 + 4],
                    &l[i * 4..i * 4 + 4],
                    m[i],
                    opacity_scaled,
                    opacity_q,
                );
            }
        }
    }
    let tail_mask = mask.next().unwrap_or(&[]);
    let tail = base_blocks
        .into_remainder()
        .chunks_exact_mut(4)
        .zip(layer_blocks.remainder().chunks_exact(4));
    for (i, (b, l)) in tail.enumerate() {
        let m = tail_mask.get(i).copied().unwrap_or(255);
        normal_pixel(b, l, m, opacity_scaled, opacity_q);
    }
}

/// Normal over an opaque backdrop: αo = 1 and the formula is a lerp by the
/// coverage, done in 14-bit fixed point so it vectorises on every target
/// (quantisation error ≤ 0.02 of a level). Zero coverage gives back the
/// backdrop exactly; alpha stays 255.
#[inline(always)]
fn normal_block_opaque(
    b: &mut [u8; BLOCK * 4],
    l: &[u8; BLOCK * 4],
    m: &[u8; BLOCK],
    opacity_q: u32,
) {
    let per_pixel: [i32; BLOCK] =
        std::array::from_fn(|p| coverage_q14(l[p * 4 + 3], m[p], opacity_q));
    let weight: [i32; BLOCK * 4] =
        std::array::from_fn(|i| if i % 4 == 3 { 0 } else { per_pixel[i / 4] });
    for i in 0..BLOCK * 4 {
        b[i] = lerp_q14(b[i], l[i], weight[i]);
    }
}

/// Opacity scaled so that (α·m·opacity_q) >> 16 is the coverage in 1/16384.
fn opacity_q14(opacity: f32) -> u32 {
    (f64::from(opacity) * f64::from(1u32 << 14) * 65536.0 / 65025.0).round() as u32
}

/// Coverage α·m·opacity in 1/16384 (see [`opacity_q14`]).
#[inline(always)]
fn coverage_q14(alpha: u8, mask: u8, opacity_q: u32) -> i32 {
    let coverage = u32::from(alpha) * u32::from(mask);
    ((coverage * opacity_q + (1 << 15)) >> 16).min(1 << 14) as i32
}

#[inline(always)]
fn lerp_q14(backdrop: u8, layer: u8, weight: i32) -> u8 {
    // b + round((l − b)·w): the same value as round(b·(1 − w) + l·w), one
    // multiply fewer (the shift floors negative values as the sum would).
    let delta = (i32::from(layer) - i32::from(backdrop)) * weight;
    (i32::from(backdrop) + ((delta + (1 << 13)) >> 14)) as u8
}

/// One pixel of normal mode. Over an opaque backdrop it computes exactly
/// what the block path does, so a pixel's result never depends on its
/// neighbours.
#[inline(always)]
fn normal_pixel(b: &mut [u8], l: &[u8], m: u8, opacity_scaled: f32, opacity_q: u32) {
    if l[3] == 0 || m == 0 {
        return;
    }
    if b[3] == 255 {
        let weight = coverage_q14(l[3], m, opacity_q);
        for c in 0..3 {
            b[c] = lerp_q14(b[c], l[c], weight);
        }
        return;
    }
    let a_s = f32::from(l[3]) * f32::from(m) * opacity_scaled;
    let a_b = f32::from(b[3]) * INV_255;
    let keep = a_b * (1.0 - a_s);
    let a_o = a_s + keep;
    let inv = 1.0 / a_o;
    for c in 0..3 {
        b[c] = ((f32::from(l[c]) * a_s + f32::from(b[c]) * keep) * inv + 0.5) as u8;
    }
    b[3] = (a_o * 255.0 + 0.5) as u8;
}

/// Every mode but Normal and Dissolve, gamma-encoded: picks the row loop
/// monomorphised for `mode` (AVX2 where the CPU has it, as for Normal).
fn blocked_row(params: &PixelParams, base: &mut [u8], layer: &[u8], mask: Option<&[u8]>) {
    if params.opacity == 0.0 {
        return;
    }
    let mode = params.mode;
    /// No byte path: the f32 formula everywhere.
    const F32_ONLY: Option<fn(u8, u8) -> u8> = None;
    /// A separable mode's f32 formula on a block's lanes, the mode written
    /// out: a closure capturing it was compiled once for all modes, out of
    /// line, choosing the formula lane by lane through a jump table (the
    /// blocks over a translucent backdrop ran 3–5× slower for it).
    macro_rules! separable_block {
        ($mode:ident) => {
            |cb: [f32; LANES], cs: [f32; LANES]| {
                std::array::from_fn(|i| blend_channel(BlendMode::$mode, cb[i], cs[i]))
            }
        };
    }
    macro_rules! per_mode {
        (bytes: $($byte:ident),*; tabled: $($table:ident),*; whole: $($whole:ident),*) => {
            match mode {
                $(BlendMode::$byte => byte_mode_row(params, BlendMode::$byte, base, layer, mask, None, |cb, cs| {
                    blend_byte(BlendMode::$byte, cb, cs)
                }, separable_block!($byte)),)*
                $(BlendMode::$table => {
                    let table = byte_table(BlendMode::$table);
                    byte_mode_row(params, BlendMode::$table, base, layer, mask, Some(table), |cb, cs| {
                        table[usize::from(cb) << 8 | usize::from(cs)]
                    }, separable_block!($table))
                })*
                $(BlendMode::$whole => blocked_row_for(params, base, layer, mask, |cb, cs| {
                    nonseparable::blend_colour_block(BlendMode::$whole, cb, cs)
                }, F32_ONLY),)*
                BlendMode::Normal | BlendMode::Dissolve => {
                    unreachable!("normal and dissolve have their own row loops")
                }
            }
        };
    }
    per_mode!(
        bytes: Darken, Multiply, LinearBurn, Lighten, Screen, LinearDodge, Overlay, HardLight,
            LinearLight, PinLight, HardMix, Difference, Exclusion, Subtract;
        tabled: ColorBurn, ColorDodge, SoftLight, VividLight, Divide;
        whole: DarkerColor, LighterColor, Hue, Saturation, Color, Luminosity
    );
}

/// A mode with a byte path (`byte`, from `table` where it has one; `mix`
/// its f32 formula): on x86 and in wasm the vector rows of `cpu_vector.rs`
/// for blocks over an opaque backdrop, the plain row loop for the rest and
/// elsewhere. `mode` is `params.mode` as a constant, so each mode's loop is
/// compiled for it.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // a mode's constants and formulas, each as its own type
fn byte_mode_row(
    params: &PixelParams,
    mode: BlendMode,
    base: &mut [u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    table: Option<&'static [u8; 65536]>,
    byte: impl Fn(u8, u8) -> u8 + Copy,
    mix: impl Fn([f32; LANES], [f32; LANES]) -> [f32; LANES] + Copy,
) {
    #[cfg(vector_rows)]
    {
        use super::cpu_vector::{lerp_row, LerpTarget};
        let target = table.map_or(LerpTarget::Byte(mode), LerpTarget::Table);
        let rest = |b: &mut [u8], l: &[u8], m: Option<&[u8]>| {
            blocked_row_for(params, b, l, m, mix, Some(byte))
        };
        if lerp_row(target, base, layer, mask, opacity_q14(params.opacity), rest) {
            return;
        }
    }
    #[cfg(not(vector_rows))]
    let _ = (table, mode);
    blocked_row_for(params, base, layer, mask, mix, Some(byte))
}

/// The modes whose byte path is a table ([`byte_table`]).
const TABLED: [BlendMode; 5] = [
    BlendMode::ColorBurn,
    BlendMode::ColorDodge,
    BlendMode::SoftLight,
    BlendMode::VividLight,
    BlendMode::Divide,
];

/// B(Cb, Cs) of a separable mode at every byte pair (index `Cb·256 + Cs`):
/// the f32 formula evaluated once per pair and rounded to the nearest
/// level, for the modes whose formula divides or takes a square root (colour
/// burn and dodge, vivid light, soft light, divide). A lookup per channel
/// does not vectorise, but it is cheaper than those formulas in f32 even
/// vectorised (about 245 against 125–165 MP/s, measured side by side), and
/// the result is within one level of them (tested at every pair).
fn byte_table(mode: BlendMode) -> &'static [u8; 65536] {
    use std::sync::OnceLock;
    static TABLES: [OnceLock<Box<[u8; 65536]>>; 5] = [const { OnceLock::new() }; 5];
    let index = TABLED
        .iter()
        .position(|&m| m == mode)
        .expect("a tabled mode");
    TABLES[index].get_or_init(|| {
        let mut table = Box::new([0u8; 65536]);
        for (i, v) in table.iter_mut().enumerate() {
            let (cb, cs) = ((i >> 8) as f32 * INV_255, (i & 255) as f32 * INV_255);
            *v = (blend_channel(mode, cb, cs).clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
        }
        table
    })
}

/// Whether `mode` takes a byte path over an opaque backdrop (the lists
/// `blocked_row` gives it under `bytes` and `tabled`).
#[cfg(test)]
pub(crate) fn has_byte_path(mode: BlendMode) -> bool {
    use BlendMode::*;
    matches!(
        mode,
        ColorBurn
            | ColorDodge
            | SoftLight
            | VividLight
            | LinearLight
            | Divide
            | Darken
            | Multiply
            | LinearBurn
            | Lighten
            | Screen
            | LinearDodge
            | Overlay
            | HardLight
            | PinLight
            | HardMix
            | Difference
            | Exclusion
            | Subtract
    )
}

/// B(Cb, Cs) of a separable mode whose formula is exact on the 8-bit grid
/// up to one rounding: the value the f32 formula gives, rounded to the
/// nearest level (`div255` rounds a multiple of 1/255² exactly).
///
/// The arithmetic runs in u16 lanes, twice as many to a vector as u32
/// (20–27 % faster for the modes that multiply): every numerator here is at
/// most 255² and `div255`'s sums stay below 2¹⁶, so the wrapping arithmetic
/// (only intermediate sums wrap) gives exact values.
#[inline(always)]
fn blend_byte(mode: BlendMode, cb: u8, cs: u8) -> u8 {
    use BlendMode::*;
    let (b, s) = (u16::from(cb), u16::from(cs));
    let div255 = |x: u16| {
        let t = x + 128;
        ((t + (t >> 8)) >> 8) as u8
    };
    // 255·(b + s) − b·s, at most 255².
    let screen = |b: u16, s: u16| 255u16.wrapping_mul(b + s).wrapping_sub(b * s);
    // Hard light with the roles as given: multiply by 2·Cs, or screen with 2·Cs − 1.
    let hard_light = |b: u16, s: u16| {
        if s <= 127 {
            div255(2 * b * s)
        } else {
            div255(screen(b, 2 * s - 255))
        }
    };
    match mode {
        Darken => cb.min(cs),
        Multiply => div255(b * s),
        LinearBurn => (b + s).saturating_sub(255) as u8,
        Lighten => cb.max(cs),
        Screen => div255(screen(b, s)),
        LinearDodge => (b + s).min(255) as u8,
        Overlay => hard_light(s, b),
        HardLight => hard_light(b, s),
        // Cb + 2·Cs − 1, clamped: a whole number of levels.
        LinearLight => (b + 2 * s).saturating_sub(255).min(255) as u8,
        PinLight => {
            if s <= 127 {
                b.min(2 * s) as u8
            } else {
                b.max(2 * s - 255) as u8
            }
        }
        HardMix => {
            if b + s >= 255 {
                255
            } else {
                0
            }
        }
        Difference => cb.abs_diff(cs),
        // 255·(b + s) − 2·b·s, at most 255².
        Exclusion => div255(screen(b, s).wrapping_sub(b * s)),
        Subtract => cb.saturating_sub(cs),
        _ => unreachable!("{mode:?} has no byte path"),
    }
}

/// A block of a byte-path mode over an opaque backdrop: αo = 1, so the
/// result is a lerp from Cb to B(Cb, Cs) by the coverage, in Normal's
/// fixed point (within one level of the f32 formula: B is rounded once).
#[inline(always)]
fn byte_block_opaque(
    b: &mut [u8; LANES],
    l: &[u8; LANES],
    m: &[u8; BLOCK],
    opacity_q: u32,
    byte: impl Fn(u8, u8) -> u8,
) {
    let per_pixel: [i32; BLOCK] =
        std::array::from_fn(|p| coverage_q14(l[p * 4 + 3], m[p], opacity_q));
    let weight: [i32; LANES] =
        std::array::from_fn(|i| if i % 4 == 3 { 0 } else { per_pixel[i / 4] });
    let target: [u8; LANES] = std::array::from_fn(|i| byte(b[i], l[i]));
    for i in 0..LANES {
        b[i] = lerp_q14(b[i], target[i], weight[i]);
    }
}

/// One pixel of a mode with a byte path: over an opaque backdrop exactly
/// what [`byte_block_opaque`] computes (a pixel's result never depends on
/// which block it falls in), else the f32 formula.
#[inline(always)]
fn byte_or_general_pixel(
    b: &mut [u8],
    l: &[u8],
    m: u8,
    params: &PixelParams,
    opacity_q: u32,
    byte: impl Fn(u8, u8) -> u8,
) {
    if b[3] == 255 {
        let weight = coverage_q14(l[3], m, opacity_q);
        for c in 0..3 {
            b[c] = lerp_q14(b[c], byte(b[c], l[c]), weight);
        }
        return;
    }
    let (b4, l4) = (
        (&*b).try_into().expect("4 bytes"),
        l.try_into().expect("4 bytes"),
    );
    // Coordinates only matter to dissolve, which has its own loop.
    b.copy_from_slice(&blend_pixel(b4, l4, m, params, 0, 0));
}

/// Byte lanes of a block: `BLOCK` RGBA pixels.
pub(super) const LANES: usize = BLOCK * 4;

crate::simd::widest_vectors! {
    AVX2 at most:
    /// [`blocked_row_portable`] on AVX2 where the CPU has it, not AVX-512:
    /// compiled for AVX-512 its f32 blocks (the non-separable modes, and
    /// every mode over a translucent backdrop) measured 1.3–1.5× slower
    /// (BENCHMARKS.md); the opaque-backdrop blocks, where AVX-512 pays,
    /// take `cpu_vector.rs`'s rows.
    fn blocked_row_for(
        params: &PixelParams,
        base: &mut [u8],
        layer: &[u8],
        mask: Option<&[u8]>,
        mix: impl Fn([f32; LANES], [f32; LANES]) -> [f32; LANES] + Copy,
        byte: Option<impl Fn(u8, u8) -> u8 + Copy>,
    ) = blocked_row_portable;
}

/// The row loop: whole blocks through [`composite_block`], the tail through
/// [`blend_pixel`] (the same arithmetic, so the split is invisible). A mode
/// with a `byte` path takes it for pixels over an opaque backdrop, a block
/// at a time where the whole block is.
#[inline(always)]
fn blocked_row_portable(
    params: &PixelParams,
    base: &mut [u8],
    layer: &[u8],
    mask: Option<&[u8]>,
    mix: impl Fn([f32; LANES], [f32; LANES]) -> [f32; LANES] + Copy,
    byte: Option<impl Fn(u8, u8) -> u8 + Copy>,
) {
    let opacity_q = opacity_q14(params.opacity);
    let over_clear = params.opacity >= MIN_OPACITY_OVER_CLEAR;
    let mut base_blocks = base.chunks_exact_mut(LANES);
    let mut layer_blocks = layer.chunks_exact(LANES);
    let mut mask_blocks = mask.map(|m| m.chunks_exact(BLOCK));
    for (b, l) in (&mut base_blocks).zip(&mut layer_blocks) {
        let m = match &mut mask_blocks {
            Some(blocks) => blocks.next().expect("the mask matches the row"),
            None => &[255u8; BLOCK][..],
        };
        let (Ok(b), Ok(l), Ok(m)) = (
            <&mut [u8; LANES]>::try_from(b),
            <&[u8; LANES]>::try_from(l),
            <&[u8; BLOCK]>::try_from(m),
        ) else {
            unreachable!("chunks_exact yields whole blocks");
        };
        if over_clear && is_clear(b) {
            // `blend_pixel`'s αs.
            over_clear_block(b, l, m, |a, m| a * INV_255 * (m * INV_255) * params.opacity);
            continue;
        }
        if let Some(byte) = byte {
            let opaque = (0..BLOCK).filter(|&p| b[p * 4 + 3] == 255).count();
            if opaque == BLOCK {
                byte_block_opaque(b, l, m, opacity_q, byte);
                continue;
            }
            if opaque > 0 {
                let pixels = b.chunks_exact_mut(4).zip(l.chunks_exact(4)).zip(m);
                for ((b, l), &m) in pixels {
                    byte_or_general_pixel(b, l, m, params, opacity_q, byte);
                }
                continue;
            }
        }
        composite_block(b, l, m, params.opacity, mix);
    }
    let tail_mask = mask_blocks.map_or(&[][..], |m| m.remainder());
    let tail = base_blocks
        .into_remainder()
        .chunks_exact_mut(4)
        .zip(layer_blocks.remainder().chunks_exact(4));
    for (i, (b, l)) in tail.enumerate() {
        let m = tail_mask.get(i).copied().unwrap_or(255);
        if let Some(byte) = byte {
            byte_or_general_pixel(b, l, m, params, opacity_q, byte);
            continue;
        }
        let (b4, l4) = (
            (&*b).try_into().expect("4 bytes"),
            l.try_into().expect("4 bytes"),
        );
        // Coordinates only matter to dissolve, which has its own loop.
        b.copy_from_slice(&blend_pixel(b4, l4, m, params, 0, 0));
    }
}

/// Whether every pixel of the block is fully transparent.
#[inline(always)]
fn is_clear(b: &[u8; LANES]) -> bool {
    (0..BLOCK).fold(0u8, |acc, p| acc | b[p * 4 + 3]) == 0
}

/// A block over a fully transparent backdrop (the first layer of every
/// recomposition lands on a cleared canvas): with αb = 0 the formula of
/// every mode and of Normal leaves the layer's colour (`Cs′ = Cs`, `Co =
/// αs·Cs / αs`, which rounds back to the byte; see
/// [`MIN_OPACITY_OVER_CLEAR`]) and `αo = αs`, which `coverage(α, m)`
/// computes as the caller's formula does, quantised here as both
/// formulas quantise it. Uncovered pixels keep the backdrop's bytes. Bit
/// for bit the per-pixel formulas (tested), with no division and no blend
/// formula.
#[inline(always)]
fn over_clear_block(
    b: &mut [u8; LANES],
    l: &[u8; LANES],
    m: &[u8; BLOCK],
    coverage: impl Fn(f32, f32) -> f32,
) {
    // A pixel to a u32 lane (little-endian: alpha in the top byte), so each
    // step is one vector operation and no byte is gathered. Plain loops:
    // `array::from_fn` was left out of line, without the caller's AVX2.
    let mut out = [0u32; BLOCK];
    for (p, out) in out.iter_mut().enumerate() {
        let pixel = |bytes: &[u8; LANES]| {
            u32::from_le_bytes([
                bytes[p * 4],
                bytes[p * 4 + 1],
                bytes[p * 4 + 2],
                bytes[p * 4 + 3],
            ])
        };
        let (under, over) = (pixel(b), pixel(l));
        let (alpha, mask) = (over >> 24, u32::from(m[p]));
        let quantised = to_byte_lane(coverage(alpha as f32, mask as f32)) as u32;
        // Picks as masks, not branches: a branch per lane runs scalar.
        let covered = 0u32.wrapping_sub(u32::from((alpha != 0) & (mask != 0)));
        let value = (over & 0x00FF_FFFF) | quantised << 24;
        *out = (value & covered) | (under & !covered);
    }
    for (bytes, value) in b.chunks_exact_mut(4).zip(out) {
        bytes.copy_from_slice(&value.to_le_bytes());
    }
}

/// [`blend_pixel`]'s arithmetic for `BLOCK` pixels at once, in the same
/// order operation by operation and with selects for its early return, so
/// every lane gets exactly the reference's bits. Written as passes over
/// all 32 lanes with no branch — each pixel's alphas spread over its four
/// lanes first, the alpha lanes and the uncovered pixels picked at the end —
/// so that the compiler vectorises every pass (one loop indexing a pixel's
/// alpha from each lane and branching per lane ran scalar: 47–80 MP/s).
#[inline(always)]
fn composite_block(
    b: &mut [u8; LANES],
    l: &[u8; LANES],
    m: &[u8; BLOCK],
    opacity: f32,
    mix: impl Fn([f32; LANES], [f32; LANES]) -> [f32; LANES],
) {
    use std::array::from_fn;
    let unit =
        |values: [u8; LANES]| -> [f32; LANES] { from_fn(|i| f32::from(values[i]) * INV_255) };
    let l_alpha: [u8; LANES] = from_fn(|i| l[i | 3]);
    let mask: [u8; LANES] = from_fn(|i| m[i / 4]);
    let a_b = unit(from_fn(|i| b[i | 3]));
    let a_s: [f32; LANES] = {
        let (a_l, a_m) = (unit(l_alpha), unit(mask));
        from_fn(|i| a_l[i] * a_m[i] * opacity)
    };
    let a_o: [f32; LANES] = from_fn(|i| a_s[i] + a_b[i] * (1.0 - a_s[i]));
    let cb = unit(*b);
    let cs = unit(*l);
    let mixed = mix(cb, cs);
    let co: [f32; LANES] = from_fn(|i| {
        let cs_prime = (1.0 - a_b[i]) * cs[i] + a_b[i] * mixed[i];
        (a_s[i] * cs_prime + a_b[i] * cb[i] * (1.0 - a_s[i])) / a_o[i]
    });
    let value: [i32; LANES] = from_fn(|i| to_byte_lane(if i % 4 == 3 { a_o[i] } else { co[i] }));
    *b = from_fn(|i| {
        let covered = (l_alpha[i] != 0) & (mask[i] != 0);
        if covered {
            value[i] as u8
        } else {
            b[i]
        }
    });
}

/// Dissolve's per-pixel hash of document coordinates (integer, identical in WGSL).
pub(crate) fn dissolve_hash(x: u32, y: u32, seed: u32) -> u32 {
    let mut h =
        x.wrapping_mul(0x8da6_b343) ^ y.wrapping_mul(0xd816_3841) ^ seed.wrapping_mul(0xcb1a_b31f);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846c_a68b);
    h ^ (h >> 16)
}

/// The reference pixel function: backdrop `b`, layer pixel `l`, mask `m`, at
/// backdrop coordinates (`x`, `y`). Zero coverage returns `b` unchanged.
pub(crate) fn blend_pixel(
    b: [u8; 4],
    l: [u8; 4],
    m: u8,
    p: &PixelParams,
    x: u32,
    y: u32,
) -> [u8; 4] {
    if l[3] == 0 || m == 0 || p.opacity == 0.0 {
        return b;
    }
    let a_s = if p.mode == BlendMode::Dissolve {
        // A pixel is either fully the layer's or untouched, with probability
        // equal to its coverage; exact integers keep CPU and GPU identical.
        let coverage = u32::from(l[3]) * u32::from(m) * p.opacity_255;
        let (x, y) = (x.wrapping_add(p.origin.0), y.wrapping_add(p.origin.1));
        if dissolve_hash(x, y, p.seed) % (255 * 255 * 255) >= coverage {
            return b;
        }
        1.0
    } else {
        f32::from(l[3]) * INV_255 * (f32::from(m) * INV_255) * p.opacity
    };
    let decode = |v: u8| {
        let c = f32::from(v) * INV_255;
        if p.linear_light {
            srgb_to_linear(c)
        } else {
            c
        }
    };
    let cb = [decode(b[0]), decode(b[1]), decode(b[2])];
    let cs = [decode(l[0]), decode(l[1]), decode(l[2])];
    let a_b = f32::from(b[3]) * INV_255;
    let mixed = blend_color(p.mode, cb, cs);
    let a_o = a_s + a_b * (1.0 - a_s);
    let mut out = [0u8; 4];
    for c in 0..3 {
        let cs_prime = (1.0 - a_b) * cs[c] + a_b * mixed[c];
        let co = (a_s * cs_prime + a_b * cb[c] * (1.0 - a_s)) / a_o;
        let co = if p.linear_light {
            linear_to_srgb(co)
        } else {
            co
        };
        out[c] = to_u8(co);
    }
    out[3] = to_u8(a_o);
    out
}

/// [`to_u8`]'s byte in a form the vectoriser takes: `max` turns NaN (an
/// uncovered pixel over a transparent one) into 0 as `to_u8` does, so the
/// product is finite and within 0.5..=255.5, and the conversion needs no
/// saturation.
#[inline(always)]
fn to_byte_lane(v: f32) -> i32 {
    #[allow(clippy::manual_clamp)] // `clamp` keeps NaN
    let scaled = v.max(0.0).min(1.0) * 255.0 + 0.5;
    // SAFETY: `scaled` is finite and within 0.5..=255.5 (above).
    unsafe { scaled.to_int_unchecked::<i32>() }
}

/// Quantises like WGSL's `pack4x8unorm`: clamp, scale, round half up.
#[inline(always)]
fn to_u8(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// sRGB transfer function, encoded → linear.
pub(crate) fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// sRGB transfer function, linear → encoded.
pub(crate) fn linear_to_srgb(c: f32) -> f32 {
    if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.max(0.0).powf(1.0 / 2.4) - 0.055
    }
}

/// B(Cb, Cs) for one mode, on three channels.
#[inline(always)]
fn blend_color(mode: BlendMode, cb: [f32; 3], cs: [f32; 3]) -> [f32; 3] {
    use BlendMode::*;
    match mode {
        Hue | Saturation | Color | Luminosity | DarkerColor | LighterColor => {
            nonseparable::blend_colour(mode, cb, cs)
        }
        _ => [0, 1, 2].map(|c| blend_channel(mode, cb[c], cs[c])),
    }
}

/// Separable modes. W3C formulas where the spec has the mode; the others
/// follow their standard (Photoshop) definitions.
#[inline(always)]
fn blend_channel(mode: BlendMode, cb: f32, cs: f32) -> f32 {
    use BlendMode::*;
    match mode {
        Normal | Dissolve => cs,
        Darken => cb.min(cs),
        Multiply => cb * cs,
        ColorBurn => color_burn(cb, cs),
        // Cb + Cs − 1, clamped at 0.
        LinearBurn => (cb + cs - 1.0).max(0.0),
        Lighten => cb.max(cs),
        Screen => cb + cs - cb * cs,
        ColorDodge => color_dodge(cb, cs),
        // Cb + Cs, clamped at 1 ("add").
        LinearDodge => (cb + cs).min(1.0),
        Overlay => hard_light(cs, cb),
        SoftLight => soft_light(cb, cs),
        HardLight => hard_light(cb, cs),
        // Colour burn below mid-grey, colour dodge above, with doubled Cs.
        VividLight => {
            if cs <= 0.5 {
                color_burn(cb, 2.0 * cs)
            } else {
                color_dodge(cb, 2.0 * cs - 1.0)
            }
        }
        // Cb + 2·Cs − 1, clamped.
        LinearLight => (cb + 2.0 * cs - 1.0).clamp(0.0, 1.0),
        // Darken with 2·Cs below mid-grey, lighten with 2·Cs − 1 above.
        PinLight => {
            if cs <= 0.5 {
                cb.min(2.0 * cs)
            } else {
                cb.max(2.0 * cs - 1.0)
            }
        }
        // 1 where Cb + Cs ≥ 1 (on the 8-bit grid, so ties are exact), else 0.
        HardMix => {
            if (cb * 255.0).round() + (cs * 255.0).round() >= 255.0 {
                1.0
            } else {
                0.0
            }
        }
        Difference => (cb - cs).abs(),
        Exclusion => cb + cs - 2.0 * cb * cs,
        // Cb − Cs, clamped at 0.
        Subtract => (cb - cs).max(0.0),
        // Cb / Cs, clamped at 1; 0/0 is 0 and x/0 is 1.
        Divide => {
            if cs <= 0.0 {
                if cb <= 0.0 {
                    0.0
                } else {
                    1.0
                }
            } else {
                (cb / cs).min(1.0)
            }
        }
        DarkerColor | LighterColor | Hue | Saturation | Color | Luminosity => {
            unreachable!("non-separable modes are handled by blend_color")
        }
    }
}

#[inline(always)]
fn color_burn(cb: f32, cs: f32) -> f32 {
    if cb >= 1.0 {
        1.0
    } else if cs <= 0.0 {
        0.0
    } else {
        1.0 - ((1.0 - cb) / cs).min(1.0)
    }
}

#[inline(always)]
fn color_dodge(cb: f32, cs: f32) -> f32 {
    if cb <= 0.0 {
        0.0
    } else if cs >= 1.0 {
        1.0
    } else {
        (cb / (1.0 - cs)).min(1.0)
    }
}

#[inline(always)]
fn hard_light(cb: f32, cs: f32) -> f32 {
    if cs <= 0.5 {
        cb * (2.0 * cs)
    } else {
        let s = 2.0 * cs - 1.0;
        cb + s - cb * s
    }
}

#[inline(always)]
fn soft_light(cb: f32, cs: f32) -> f32 {
    if cs <= 0.5 {
        cb - (1.0 - 2.0 * cs) * cb * (1.0 - cb)
    } else {
        let d = if cb <= 0.25 {
            ((16.0 * cb - 12.0) * cb + 4.0) * cb
        } else {
            cb.sqrt()
        };
        cb + (2.0 * cs - 1.0) * (d - cb)
    }
}
