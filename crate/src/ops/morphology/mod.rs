//! Grow, shrink, border and smooth: reshaping a selection by distance.
//!
//! A pixel counts as selected when its coverage is at least 128 (half).
//! Grow by N selects every pixel whose Euclidean distance to a selected pixel
//! (centre to centre) is at most N — a dilation with a round structuring
//! element of radius N; shrink by N keeps the pixels whose distance to an
//! unselected pixel is more than N. The canvas edge is not an unselected
//! pixel, so shrinking a selection that touches the border does not pull it
//! away from the border. Results are hard-edged (0 or 255); feather or smooth
//! them for a soft edge.
//!
//! **Exact, and cost independent of N.** The first stage of the separable
//! exact distance transform (Felzenszwalb & Huttenlocher, "Distance
//! Transforms of Sampled Functions", 2012) gives, per pixel, the vertical
//! distance `g` to the nearest selected pixel in its column. A pixel `(x, y)`
//! is within N of the selection iff some `q` in its row has
//! `(x − q)² + g(q, y)² ≤ N²`, i.e. `|x − q| ≤ h(g) = ⌊√(N² − g²)⌋`. Instead of
//! F–H's lower envelope of parabolas (needed for the full distance map, not
//! for its ≤ N level set) each row is then two sweeps: the furthest reach
//! `max(q + h)` of the pixels to the left and `min(q − h)` of those to the
//! right. Everything is integer arithmetic, so the CPU, the GPU and a
//! brute-force search agree exactly.
//!
//! **Small distances on the CPU.** Below a measured N the CPU dilates by the
//! disc's rows directly instead (`cpu::within_distance_direct`), whose cost
//! grows with N but starts far lower; the bits are the same.

mod cpu;
mod gpu;
#[cfg(test)]
mod tests;

use crate::engine::Engine;
use crate::{Error, Result};
use image::GrayImage;

/// The largest grow, shrink, border or smooth distance, in pixels.
pub const MAX_DISTANCE: u32 = 1000;

/// Which side of the selection moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Grow,
    Shrink,
}

fn check_distance(name: &str, distance: u32) -> Result<()> {
    if distance <= MAX_DISTANCE {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("{distance} px is more than {MAX_DISTANCE} px"),
        ))
    }
}

async fn modify(
    engine: &Engine,
    mask: &GrayImage,
    distance: u32,
    direction: Direction,
) -> Result<GrayImage> {
    check_distance("distance", distance)?;
    match engine.gpu() {
        Some(gpu) => {
            gpu::within_distance(gpu, mask, distance, direction, gpu.max_binding_bytes()).await
        }
        None => Ok(cpu::within_distance(mask, distance, direction)),
    }
}

/// Grows the selection by `distance` pixels on the CPU.
pub fn grow_cpu(mask: &GrayImage, distance: u32) -> Result<GrayImage> {
    check_distance("distance", distance)?;
    Ok(cpu::within_distance(mask, distance, Direction::Grow))
}

/// Shrinks the selection by `distance` pixels on the CPU.
pub fn shrink_cpu(mask: &GrayImage, distance: u32) -> Result<GrayImage> {
    check_distance("distance", distance)?;
    Ok(cpu::within_distance(mask, distance, Direction::Shrink))
}

/// Grows the selection by `distance` pixels (0 to [`MAX_DISTANCE`]) on the
/// engine's backend; `mask` is not modified.
pub async fn grow(engine: &Engine, mask: &GrayImage, distance: u32) -> Result<GrayImage> {
    modify(engine, mask, distance, Direction::Grow).await
}

/// Shrinks the selection by `distance` pixels (0 to [`MAX_DISTANCE`]) on the
/// engine's backend; `mask` is not modified.
pub async fn shrink(engine: &Engine, mask: &GrayImage, distance: u32) -> Result<GrayImage> {
    modify(engine, mask, distance, Direction::Shrink).await
}

/// A band `width` pixels wide centred on the selection's edge (Photoshop's
/// Modify ▸ Border): grown by ⌈width/2⌉ minus shrunk by ⌊width/2⌋.
pub async fn border(engine: &Engine, mask: &GrayImage, width: u32) -> Result<GrayImage> {
    check_distance("width", width)?;
    if width == 0 {
        return Err(Error::param("width", "a border must be at least 1 px wide"));
    }
    let mut outer = grow(engine, mask, width.div_ceil(2)).await?;
    let inner = shrink(engine, mask, width / 2).await?;
    for (o, &i) in outer.iter_mut().zip(inner.iter()) {
        *o = (*o).min(255 - i);
    }
    Ok(outer)
}

/// Removes jagged edges and specks: a pixel is selected when more than half
/// of the canvas pixels in the `(2·radius+1)²` square around it are, keeps
/// its state on an exact tie, and the result is hard-edged. Cost is
/// independent of the radius (a summed-area table).
pub fn smooth(mask: &GrayImage, radius: u32) -> Result<GrayImage> {
    check_distance("radius", radius)?;
    Ok(cpu::majority(mask, radius))
}
