//! Gradient-domain (screened Poisson) blending: the selected pixels take the
//! *gradients* of a source and their *tone* from the destination around the
//! selection (Pérez, Gangnet & Blake, "Poisson image editing", 2003). It is
//! what the healing brush, the spot-healing/remove brush ([`spot_heal`]) and
//! the harmonisation of provider results share.
//!
//! **Equation.** For every selected pixel `p` (selection > 0) with neighbours
//! `N(p)` (4-connected, inside the canvas), the result `f` solves
//!
//! `Σ_{q∈N(p)} (f_p − f_q) + λ (f_p − g_p) = Σ_{q∈N(p)} (g_p − g_q)`
//!
//! where `g` is the source and `f_q` is the destination wherever `q` is not
//! selected (Dirichlet boundary). With `λ = 0` (the default) that is
//! Poisson's guided interpolation; `λ > 0` (screening) pulls the result
//! towards the source's own colours away from the edge. It is solved for the
//! correction `δ = f − g`, which is smooth (harmonic for `λ = 0`): `δ` takes
//! the values `destination − source` outside the selection and
//! `Σ (δ_p − δ_q) + λ δ_p = 0` inside it. RGB only; the result keeps the
//! destination's alpha.
//!
//! **Solver.** Multigrid V-cycles on the correction. The pyramid's coarse
//! cell is unknown if all of its children in the canvas are, absent if none
//! is, known otherwise (so the coarse hole never reaches past the fine one,
//! which would over-correct at the edge); coarse levels solve for the
//! *error* (zero on their known cells, Dirichlet) with the residual summed
//! from the four children as right-hand side (the 5-point operator on a
//! grid twice as coarse is four times the fine one, so the sum, not the
//! mean) and λ times four. Each cycle: [`PRE_SWEEPS`] red–black
//! Gauss–Seidel sweeps, the residual down to the coarser level, the
//! coarser cycle, its error carried back up (bilinear), [`POST_SWEEPS`]
//! sweeps; [`COARSEST_SWEEPS`] sweeps on the coarsest level (the hole at
//! most [`COARSEST`] cells across). [`CYCLES`] cycles from zero. The schedule
//! is fixed, so both backends do the same arithmetic; the tests hold the
//! result within ±1 level of a converged f64 solve and of a direct sparse
//! solve (SciPy's `spsolve`, tests/poisson.test.mjs) on photographs, and CPU
//! and GPU within ±1 of each other.
//!
//! **Cost.** Proportional to the selection's bounding box (grown by a margin
//! of `2^levels` px for the coarse levels' boundary), not to the canvas;
//! pixels outside the selection are returned bit-exact.
//!
//! **Backends.** The sweeps (most of the work) run in `poisson.wgsl` on
//! the GPU, one submission per visit of a level; the residual and the
//! transfers between levels are a pass over the level on the CPU. A level
//! larger than the device's binding limit is relaxed on the CPU.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::Engine;
use crate::ops::fill::{fill, fill_cpu, FillOptions};
use crate::ops::morphology;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// The hole's longer side, in cells, at which coarsening stops.
pub const COARSEST: u32 = 16;
/// Sweeps before and after the coarser levels' correction, per cycle.
pub const PRE_SWEEPS: u32 = 2;
pub const POST_SWEEPS: u32 = 2;
/// Sweeps on the coarsest level, per cycle.
pub const COARSEST_SWEEPS: u32 = 64;
/// V-cycles per solve.
pub const CYCLES: u32 = 8;
/// The relaxation weight of every sweep: plain Gauss–Seidel, the smoother
/// multigrid wants (over-relaxation damps the rough error worse).
pub const OMEGA: f32 = 1.0;
/// The largest screening weight λ.
pub const MAX_SCREENING: f32 = 10.0;
/// How far the spot-healing brush grows its stroke for the blend, in pixels:
/// a blemish's soft edge lies a little outside where it was painted.
pub const SPOT_BLEND_GROW: u32 = 2;
/// How far it grows the stroke for the fill, in pixels. Wider than the blend,
/// so the blend's edge runs through filled texture: a fill equals the
/// original outside its hole, and blending it over that very hole would be a
/// copy. Across this ring the blend takes the fill's gradients and the
/// original's values, so tone comes from around the stroke.
pub const SPOT_FILL_GROW: u32 = 6;

/// How the blend runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonOptions {
    /// The screening weight λ ≥ 0 (see the module docs): 0 keeps only the
    /// source's gradients, larger values keep more of its colour.
    pub screening: f32,
}

impl Default for PoissonOptions {
    fn default() -> Self {
        PoissonOptions { screening: 0.0 }
    }
}

/// What a cell of a level is.
pub(crate) const ABSENT: u8 = 0;
pub(crate) const KNOWN: u8 = 1;
pub(crate) const UNKNOWN: u8 = 2;

/// One level of the pyramid: per cell its kind, its value (RGB; fixed on
/// known cells) and the right-hand side of its equation.
#[derive(Debug, Clone)]
pub(crate) struct Level {
    pub width: u32,
    pub height: u32,
    pub kind: Vec<u8>,
    pub values: Vec<[f32; 3]>,
    pub rhs: Vec<[f32; 3]>,
    /// λ scaled to this level's cell size (the equation times h²).
    pub screening: f32,
}

/// The canvas rectangle the solve works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
}

fn check(
    destination: &RgbaImage,
    source: &RgbaImage,
    selection: &GrayImage,
    options: &PoissonOptions,
) -> Result<Window> {
    if !(options.screening.is_finite() && (0.0..=MAX_SCREENING).contains(&options.screening)) {
        return Err(Error::param(
            "screening",
            format!("{} is outside 0 to {MAX_SCREENING}", options.screening),
        ));
    }
    for (name, size) in [
        ("source", source.dimensions()),
        ("selection", selection.dimensions()),
    ] {
        if size != destination.dimensions() {
            return Err(Error::SizeMismatch(format!(
                "the {name} is {}×{} but the destination is {}×{}",
                size.0,
                size.1,
                destination.width(),
                destination.height()
            )));
        }
    }
    let (x, y, w, h) = crate::ops::select::covered_box(selection)
        .ok_or_else(|| Error::param("mask", "the selection to blend is empty"))?;
    // Coarse levels need known cells around the coarse hole: grow by 2^levels.
    let margin = 1 + (w.max(h) / COARSEST).next_power_of_two() * 2;
    let x0 = x.saturating_sub(margin);
    let y0 = y.saturating_sub(margin);
    let x1 = (x + w).saturating_add(margin).min(destination.width());
    let y1 = (y + h).saturating_add(margin).min(destination.height());
    Ok(Window {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

/// The finest level: `destination − source` where not selected, 0 where selected.
fn finest(
    destination: &RgbaImage,
    source: &RgbaImage,
    selection: &GrayImage,
    window: Window,
    screening: f32,
) -> Level {
    let n = (window.width * window.height) as usize;
    let mut kind = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for y in window.y..window.y + window.height {
        for x in window.x..window.x + window.width {
            if selection.get_pixel(x, y).0[0] > 0 {
                kind.push(UNKNOWN);
                values.push([0.0; 3]);
            } else {
                let d = destination.get_pixel(x, y).0;
                let s = source.get_pixel(x, y).0;
                kind.push(KNOWN);
                values.push([0, 1, 2].map(|c| f32::from(d[c]) - f32::from(s[c])));
            }
        }
    }
    Level {
        width: window.width,
        height: window.height,
        kind,
        values,
        rhs: vec![[0.0; 3]; n],
        screening,
    }
}

/// The next coarser level's cells (see the module docs), all zero.
fn coarser(fine: &Level) -> Level {
    let width = fine.width.div_ceil(2);
    let height = fine.height.div_ceil(2);
    let n = (width * height) as usize;
    let mut kind = vec![ABSENT; n];
    for cy in 0..height {
        for cx in 0..width {
            let mut k = ABSENT;
            for (x, y) in children(fine, cx, cy) {
                k = match (k, fine.kind[(y * fine.width + x) as usize]) {
                    (_, ABSENT) => k,
                    (ABSENT, child) => child,
                    (UNKNOWN, UNKNOWN) => UNKNOWN,
                    _ => KNOWN,
                };
            }
            kind[(cy * width + cx) as usize] = k;
        }
    }
    Level {
        width,
        height,
        kind,
        values: vec![[0.0; 3]; n],
        rhs: vec![[0.0; 3]; n],
        screening: fine.screening * 4.0,
    }
}

/// The cells of `fine` inside coarse cell (`cx`, `cy`).
fn children(fine: &Level, cx: u32, cy: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
    [(0, 0), (1, 0), (0, 1), (1, 1)]
        .into_iter()
        .map(move |(dx, dy)| (2 * cx + dx, 2 * cy + dy))
        .filter(|&(x, y)| x < fine.width && y < fine.height)
}

/// `rhs − A·values` on the unknown cells of `level` (0 elsewhere).
fn residual(level: &Level) -> Vec<[f32; 3]> {
    let w = level.width as usize;
    let mut out = vec![[0.0f32; 3]; level.values.len()];
    for y in 0..level.height {
        for x in 0..level.width {
            let i = y as usize * w + x as usize;
            if level.kind[i] != UNKNOWN {
                continue;
            }
            let (sum, n) = cpu::neighbours(level, x, y, i);
            let v = level.values[i];
            let denom = n + level.screening;
            out[i] = [0, 1, 2].map(|c| level.rhs[i][c] + sum[c] - denom * v[c]);
        }
    }
    out
}

/// Sets `coarse` to the error equation of `fine`: zero values, the sum of
/// the children's residuals as right-hand side.
fn restrict(fine: &Level, coarse: &mut Level) {
    let r = residual(fine);
    for cy in 0..coarse.height {
        for cx in 0..coarse.width {
            let i = (cy * coarse.width + cx) as usize;
            let mut sum = [0.0f32; 3];
            for (x, y) in children(fine, cx, cy) {
                let v = r[(y * fine.width + x) as usize];
                sum = [sum[0] + v[0], sum[1] + v[1], sum[2] + v[2]];
            }
            coarse.rhs[i] = sum;
            coarse.values[i] = [0.0; 3];
        }
    }
}

/// The unknown cells' bounding box's longer side.
fn hole_extent(level: &Level) -> u32 {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (i, &k) in level.kind.iter().enumerate() {
        if k == UNKNOWN {
            let (x, y) = (i as u32 % level.width, i as u32 / level.width);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
        }
    }
    x1.saturating_sub(x0).max(y1.saturating_sub(y0))
}

/// The pyramid, finest first.
fn pyramid(finest: Level) -> Vec<Level> {
    let mut levels = vec![finest];
    loop {
        let last = &levels[levels.len() - 1];
        if hole_extent(last) <= COARSEST || last.width <= 2 || last.height <= 2 {
            return levels;
        }
        let next = coarser(last);
        levels.push(next);
    }
}

/// Adds the error solved on `coarse` to the unknown cells of `fine`,
/// interpolated bilinearly over the coarse cells that exist (known ones
/// have error 0).
fn add_correction(coarse: &Level, fine: &mut Level) {
    for y in 0..fine.height {
        let cy = (y as f32 + 0.5) / 2.0 - 0.5;
        let y0 = cy.floor();
        let ty = cy - y0;
        for x in 0..fine.width {
            let i = (y * fine.width + x) as usize;
            if fine.kind[i] != UNKNOWN {
                continue;
            }
            let cx = (x as f32 + 0.5) / 2.0 - 0.5;
            let x0 = cx.floor();
            let tx = cx - x0;
            let mut sum = [0.0f32; 3];
            let mut weight = 0.0f32;
            for (dx, dy, w) in [
                (0, 0, (1.0 - tx) * (1.0 - ty)),
                (1, 0, tx * (1.0 - ty)),
                (0, 1, (1.0 - tx) * ty),
                (1, 1, tx * ty),
            ] {
                let (qx, qy) = (x0 as i64 + dx, y0 as i64 + dy);
                if qx < 0
                    || qy < 0
                    || qx >= i64::from(coarse.width)
                    || qy >= i64::from(coarse.height)
                {
                    continue;
                }
                let j = (qy as u32 * coarse.width + qx as u32) as usize;
                match coarse.kind[j] {
                    ABSENT => continue,
                    UNKNOWN => {
                        for (s, v) in sum.iter_mut().zip(coarse.values[j]) {
                            *s += w * v;
                        }
                    }
                    _ => {}
                }
                weight += w;
            }
            if weight > 0.0 {
                let v = &mut fine.values[i];
                for c in 0..3 {
                    v[c] += sum[c] / weight;
                }
            }
        }
    }
}

/// The result: `source + δ` on the selected pixels, the destination elsewhere.
fn compose(
    destination: &RgbaImage,
    source: &RgbaImage,
    window: Window,
    level: &Level,
) -> RgbaImage {
    let mut out = destination.clone();
    for y in 0..window.height {
        for x in 0..window.width {
            let i = (y * window.width + x) as usize;
            if level.kind[i] != UNKNOWN {
                continue;
            }
            let (cx, cy) = (window.x + x, window.y + y);
            let s = source.get_pixel(cx, cy).0;
            let px = out.get_pixel_mut(cx, cy);
            for ((value, source), delta) in px.0.iter_mut().zip(s).zip(level.values[i]) {
                *value = (f32::from(source) + delta).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// One V-cycle from `levels[l]` down, on the CPU.
fn cycle_cpu(levels: &mut [Level], l: usize) {
    if l + 1 == levels.len() {
        cpu::relax(&mut levels[l], COARSEST_SWEEPS);
        return;
    }
    cpu::relax(&mut levels[l], PRE_SWEEPS);
    let (fine, coarse) = levels.split_at_mut(l + 1);
    restrict(&fine[l], &mut coarse[0]);
    cycle_cpu(levels, l + 1);
    let (fine, coarse) = levels.split_at_mut(l + 1);
    add_correction(&coarse[0], &mut fine[l]);
    cpu::relax(&mut levels[l], POST_SWEEPS);
}

/// One V-cycle on the GPU's sweeps (the same steps as [`cycle_cpu`],
/// written as a loop: async recursion would need boxing).
async fn cycle_gpu(gpu: &crate::engine::GpuContext, levels: &mut [Level]) -> Result<()> {
    let last = levels.len() - 1;
    for l in 0..last {
        gpu::relax(gpu, &mut levels[l], PRE_SWEEPS).await?;
        let (fine, coarse) = levels.split_at_mut(l + 1);
        restrict(&fine[l], &mut coarse[0]);
    }
    gpu::relax(gpu, &mut levels[last], COARSEST_SWEEPS).await?;
    for l in (0..last).rev() {
        let (fine, coarse) = levels.split_at_mut(l + 1);
        add_correction(&coarse[0], &mut fine[l]);
        gpu::relax(gpu, &mut levels[l], POST_SWEEPS).await?;
    }
    Ok(())
}

/// Blends `source` into `destination` over `selection` (> 0) in the
/// gradient domain on the CPU (see the module docs). All three must have the
/// same size. Fails, changing nothing, on mismatched sizes, an empty
/// selection or a screening weight outside 0 to [`MAX_SCREENING`].
pub fn blend_cpu(
    destination: &RgbaImage,
    source: &RgbaImage,
    selection: &GrayImage,
    options: &PoissonOptions,
) -> Result<RgbaImage> {
    let window = check(destination, source, selection, options)?;
    let mut levels = pyramid(finest(
        destination,
        source,
        selection,
        window,
        options.screening,
    ));
    for _ in 0..CYCLES {
        cycle_cpu(&mut levels, 0);
    }
    Ok(compose(destination, source, window, &levels[0]))
}

/// [`blend_cpu`] on the engine's backend (the sweeps on the GPU when there
/// is one); the backends agree within ±1.
pub async fn blend(
    engine: &Engine,
    destination: &RgbaImage,
    source: &RgbaImage,
    selection: &GrayImage,
    options: &PoissonOptions,
) -> Result<RgbaImage> {
    let Some(gpu) = engine.gpu() else {
        return blend_cpu(destination, source, selection, options);
    };
    let window = check(destination, source, selection, options)?;
    let mut levels = pyramid(finest(
        destination,
        source,
        selection,
        window,
        options.screening,
    ));
    for _ in 0..CYCLES {
        cycle_gpu(gpu, &mut levels).await?;
    }
    Ok(compose(destination, source, window, &levels[0]))
}

/// A healed rectangle of a canvas: `pixels` go at (`x`, `y`).
#[derive(Debug, Clone)]
pub struct Healed {
    pub x: u32,
    pub y: u32,
    pub pixels: RgbaImage,
}

/// The rectangle a heal reads and writes, and the source of each pixel in
/// it: the canvas at the pixel plus `offset`, clamped to the canvas.
fn heal_inputs(
    image: &RgbaImage,
    selection: &GrayImage,
    offset: (i32, i32),
) -> Result<(Window, RgbaImage, RgbaImage, GrayImage)> {
    let (w, h) = image.dimensions();
    if selection.dimensions() != (w, h) {
        return Err(Error::SizeMismatch(format!(
            "the mask is {}×{} but the image is {w}×{h}",
            selection.width(),
            selection.height()
        )));
    }
    if offset == (0, 0) || offset.0.unsigned_abs() >= w || offset.1.unsigned_abs() >= h {
        return Err(Error::param(
            "source-offset",
            format!(
                "{},{} does not point at another part of the {w}×{h} canvas",
                offset.0, offset.1
            ),
        ));
    }
    let window = check(image, image, selection, &PoissonOptions::default())?;
    let crop = |x: u32, y: u32| {
        let sx = (i64::from(x) + i64::from(offset.0)).clamp(0, i64::from(w) - 1) as u32;
        let sy = (i64::from(y) + i64::from(offset.1)).clamp(0, i64::from(h) - 1) as u32;
        *image.get_pixel(sx, sy)
    };
    let source = RgbaImage::from_fn(window.width, window.height, |x, y| {
        crop(window.x + x, window.y + y)
    });
    let destination =
        image::imageops::crop_imm(image, window.x, window.y, window.width, window.height)
            .to_image();
    let mask =
        image::imageops::crop_imm(selection, window.x, window.y, window.width, window.height)
            .to_image();
    Ok((window, destination, source, mask))
}

/// The healing brush: the texture `offset` px away (the source the retoucher
/// Alt-clicked, relative to the stroke) blended into `image` over
/// `selection` (> 0) in the gradient domain, so the tone comes from around
/// the selection. Returns only the rectangle that can change (the
/// selection's box and the solve's margin); outside the selection its pixels
/// are `image`'s, bit-exact. Fails, changing nothing, on a size mismatch, an
/// empty selection or an offset of (0, 0) or past the canvas.
pub fn heal_cpu(
    image: &RgbaImage,
    selection: &GrayImage,
    offset: (i32, i32),
    options: &PoissonOptions,
) -> Result<Healed> {
    let (window, destination, source, mask) = heal_inputs(image, selection, offset)?;
    Ok(Healed {
        x: window.x,
        y: window.y,
        pixels: blend_cpu(&destination, &source, &mask, options)?,
    })
}

/// [`heal_cpu`] on the engine's backend.
pub async fn heal(
    engine: &Engine,
    image: &RgbaImage,
    selection: &GrayImage,
    offset: (i32, i32),
    options: &PoissonOptions,
) -> Result<Healed> {
    let (window, destination, source, mask) = heal_inputs(image, selection, offset)?;
    Ok(Healed {
        x: window.x,
        y: window.y,
        pixels: blend(engine, &destination, &source, &mask, options).await?,
    })
}

/// What a spot heal blends over and what it fills: the stroke grown by
/// [`SPOT_BLEND_GROW`] and by [`SPOT_FILL_GROW`].
fn spot_masks(image: &RgbaImage, stroke: &GrayImage) -> Result<(GrayImage, GrayImage)> {
    if stroke.dimensions() != image.dimensions() {
        return Err(Error::SizeMismatch(format!(
            "the stroke is {}×{} but the image is {}×{}",
            stroke.width(),
            stroke.height(),
            image.width(),
            image.height()
        )));
    }
    if stroke.pixels().all(|p| p.0[0] == 0) {
        return Err(Error::param("mask", "the stroke to heal is empty"));
    }
    let region = morphology::grow_cpu(stroke, SPOT_BLEND_GROW)?;
    let hole = morphology::grow_cpu(stroke, SPOT_FILL_GROW)?;
    Ok((region, hole))
}

/// What a spot heal blends: the image and its content-aware `filled` copy
/// under the blend `region`, cropped to the solve's window.
fn spot_inputs(
    image: &RgbaImage,
    filled: &RgbaImage,
    region: &GrayImage,
) -> Result<(Window, RgbaImage, RgbaImage, GrayImage)> {
    let window = check(image, filled, region, &PoissonOptions::default())?;
    let crop = |image: &RgbaImage| {
        image::imageops::crop_imm(image, window.x, window.y, window.width, window.height).to_image()
    };
    let mask = image::imageops::crop_imm(region, window.x, window.y, window.width, window.height)
        .to_image();
    Ok((window, crop(image), crop(filled), mask))
}

/// The spot-healing and remove brush: the stroke (> 0) grown a little is
/// rebuilt from the rest of the image (content-aware fill, seeded by `fill`)
/// and blended in the gradient domain, so the texture comes from elsewhere
/// and the tone from around the stroke. Returns only the rectangle that can
/// change; outside the stroke grown by [`SPOT_BLEND_GROW`] its pixels are
/// `image`'s, bit-exact. Fails, changing nothing, on a size mismatch, an
/// empty stroke or a fill that has no room to sample from.
pub fn spot_heal_cpu(image: &RgbaImage, stroke: &GrayImage, fill: &FillOptions) -> Result<Healed> {
    let (region, hole) = spot_masks(image, stroke)?;
    let filled = fill_cpu(image, &hole, None, fill)?.image;
    let (window, destination, source, mask) = spot_inputs(image, &filled, &region)?;
    Ok(Healed {
        x: window.x,
        y: window.y,
        pixels: blend_cpu(&destination, &source, &mask, &PoissonOptions::default())?,
    })
}

/// [`spot_heal_cpu`] with the fill and the blend on the engine's backend.
pub async fn spot_heal(
    engine: &Engine,
    image: &RgbaImage,
    stroke: &GrayImage,
    options: &FillOptions,
) -> Result<Healed> {
    let (region, hole) = spot_masks(image, stroke)?;
    let filled = fill(engine, image, &hole, None, options).await?.image;
    let (window, destination, source, mask) = spot_inputs(image, &filled, &region)?;
    Ok(Healed {
        x: window.x,
        y: window.y,
        pixels: blend(
            engine,
            &destination,
            &source,
            &mask,
            &PoissonOptions::default(),
        )
        .await?,
    })
}
