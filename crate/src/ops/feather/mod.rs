//! Feather: a Gaussian blur of the selection, so that fixes blend in softly.
//!
//! **Radius versus σ.** A feather radius `r` (0 to 250 px) blurs with a
//! Gaussian of standard deviation `σ = r / 2`: the soft edge spans about `r`
//! pixels on each side of the original boundary (±2σ holds 95 % of the
//! transition), which is how a retoucher reads "feather by r".
//!
//! **Cost independent of the radius.** The blur is Deriche's fourth-order
//! recursive approximation of the Gaussian (R. Deriche, "Recursively
//! implementing the Gaussian and its derivatives", INRIA RR-1893, 1993): per
//! pixel and axis, a causal and an anti-causal pair of second-order sections,
//! whatever σ is. Its impulse response matches the sampled Gaussian to about
//! 10⁻³ of the peak, so results agree with a direct convolution within ±1 (the
//! tests hold it to that). Pixels beyond the canvas repeat the edge pixel
//! (clamp to edge), so a selection touching the border stays selected there.
//!
//! Both backends run the same recursion in f32 in the same order (vertical,
//! then horizontal); the CPU stores the vertical result in steps of 1/256 of
//! a level (half the memory traffic of f32, an error of at most 1/512). CPU
//! and GPU agree within ±1.
//!
//! **Small radii on the CPU.** A flat cost is a high one at the radii users
//! pick most, so below a measured σ the CPU feather convolves directly
//! instead (`direct.rs`: a 16-bit fixed-point kernel reaching 3σ), several
//! times faster there and within ±1 of the recursion and of the exact
//! convolution.

mod cpu;
mod direct;
#[cfg(target_arch = "x86_64")]
mod direct_x86;
mod gpu;
#[cfg(test)]
mod tests;

pub(crate) use gpu::HeldPlaneBlur;

use crate::engine::Engine;
use crate::{Error, Result};
use image::GrayImage;

/// The largest feather radius, in pixels.
pub const MAX_RADIUS: f32 = 250.0;

/// The Gaussian's standard deviation for a feather `radius` (see the module docs).
pub fn sigma_for_radius(radius: f32) -> f32 {
    radius / 2.0
}

fn check_radius(radius: f32) -> Result<()> {
    if radius.is_finite() && (0.0..=MAX_RADIUS).contains(&radius) {
        Ok(())
    } else {
        Err(Error::param(
            "radius",
            format!("{radius} is outside 0 to {MAX_RADIUS} px"),
        ))
    }
}

/// Feathers `mask` by `radius` pixels on the CPU; returns the new mask.
pub fn feather_cpu(mask: &GrayImage, radius: f32) -> Result<GrayImage> {
    check_radius(radius)?;
    if radius == 0.0 {
        return Ok(mask.clone());
    }
    Ok(blur_cpu(mask, sigma_for_radius(radius)))
}

/// The CPU's feather: a direct kernel for small σ, where it is the faster,
/// Deriche's recursion (the GPU's method) above. The two agree within ±1
/// (tested).
fn blur_cpu(plane: &GrayImage, sigma: f32) -> GrayImage {
    if (direct::MIN_SIGMA..=direct::MAX_SIGMA).contains(&sigma) {
        direct::gaussian(plane, sigma)
    } else {
        cpu::gaussian(plane, sigma)
    }
}

/// Feathers `mask` by `radius` pixels on the engine's backend; `mask` is not
/// modified. Fails when the radius is outside 0 to [`MAX_RADIUS`].
pub async fn feather(engine: &Engine, mask: &GrayImage, radius: f32) -> Result<GrayImage> {
    check_radius(radius)?;
    match engine.gpu() {
        Some(gpu) if radius > 0.0 => {
            gpu::gaussian(gpu, mask, sigma_for_radius(radius), gpu.max_binding_bytes()).await
        }
        _ => feather_cpu(mask, radius),
    }
}

/// Blurs one 8-bit plane with a Gaussian of standard deviation `sigma` (> 0)
/// on the CPU: the feather's filter, which `ops::adjust` runs on each
/// channel for Gaussian blur and unsharp mask. Always the recursion, as on
/// the GPU: adjust divides premultiplied planes by alpha, which would
/// magnify the direct kernel's ±1 from the recursion past the ±1 contract.
pub(crate) fn gaussian_plane_cpu(plane: &GrayImage, sigma: f32) -> GrayImage {
    cpu::gaussian(plane, sigma)
}

/// [`gaussian_plane_cpu`] on the engine's backend.
pub(crate) async fn gaussian_plane(
    engine: &Engine,
    plane: &GrayImage,
    sigma: f32,
) -> Result<GrayImage> {
    match engine.gpu() {
        Some(gpu) => gpu::gaussian(gpu, plane, sigma, gpu.max_binding_bytes()).await,
        None => Ok(cpu::gaussian(plane, sigma)),
    }
}
