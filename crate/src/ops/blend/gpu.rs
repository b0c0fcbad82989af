//! GPU driver of the compositor: uploads the overlap rectangle in row bands
//! that fit the device's buffer limits, runs `blend.wgsl`, writes rows back.

use super::cpu::PixelParams;
use super::{CompositeOptions, Overlap};
use crate::engine::{tiling, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::{GrayImage, RgbaImage};

const SHADER: &str = include_str!("blend.wgsl");
const WORKGROUP: u32 = 16;

/// Mirrors `Params` in blend.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    width: u32,
    height: u32,
    mode: u32,
    flags: u32,
    opacity: f32,
    opacity_255: u32,
    seed: u32,
    origin_x: u32,
    origin_y: u32,
    pad: [u32; 3],
}

/// Composites in place on the GPU; the caller has validated the inputs.
pub(super) async fn composite_gpu_in_place(
    gpu: &GpuContext,
    base: &mut RgbaImage,
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    options: &CompositeOptions,
) -> Result<()> {
    composite_gpu_banded(gpu, base, layer, mask, options, gpu.max_binding_bytes()).await
}

/// [`composite_gpu_in_place`] with bands of at most `max_band_bytes`.
pub(super) async fn composite_gpu_banded(
    gpu: &GpuContext,
    base: &mut RgbaImage,
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    options: &CompositeOptions,
    max_band_bytes: u64,
) -> Result<()> {
    let Some(ov) = Overlap::new(base.dimensions(), layer.dimensions(), options.offset) else {
        return Ok(());
    };
    let p = PixelParams::new(options);
    let pipeline = gpu.pipeline("blend.composite", SHADER, "composite");
    let width = ov.width as usize;
    let (base_w, layer_w) = (base.width() as usize, layer.width() as usize);
    for band in tiling::row_bands(ov.height, u64::from(ov.width) * 4, max_band_bytes) {
        let rows = band.len();
        let mut base_band = Vec::with_capacity(width * rows * 4);
        let mut layer_band = Vec::with_capacity(width * rows * 4);
        let mut mask_band = Vec::with_capacity(if mask.is_some() { width * rows } else { 0 });
        for row in band.clone() {
            let b0 = ((ov.base_y + row) as usize * base_w + ov.base_x as usize) * 4;
            base_band.extend_from_slice(&base.as_raw()[b0..b0 + width * 4]);
            let l0 = (ov.layer_y + row) as usize * layer_w + ov.layer_x as usize;
            layer_band.extend_from_slice(&layer.as_raw()[l0 * 4..(l0 + width) * 4]);
            if let Some(m) = mask {
                mask_band.extend_from_slice(&m.as_raw()[l0..l0 + width]);
            }
        }
        let params = GpuParams {
            width: ov.width,
            height: rows as u32,
            mode: p.mode as u32,
            flags: u32::from(mask.is_some()) | (u32::from(p.linear_light) << 1),
            opacity: p.opacity,
            opacity_255: p.opacity_255,
            seed: p.seed,
            origin_x: ov.base_x.wrapping_add(options.backdrop_origin.0 as u32),
            origin_y: (ov.base_y + band.start).wrapping_add(options.backdrop_origin.1 as u32),
            pad: [0; 3],
        };
        let buffers = [
            gpu.uniform_buffer("blend params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("backdrop", &base_band),
            gpu.storage_buffer("layer", &layer_band),
            gpu.storage_buffer("mask", &mask_band),
        ];
        let groups = (
            ov.width.div_ceil(WORKGROUP),
            (rows as u32).div_ceil(WORKGROUP),
            1,
        );
        let result = gpu
            .dispatch_and_read(
                &pipeline,
                &buffers.each_ref(),
                groups,
                1,
                base_band.len() as u64,
            )
            .await?;
        for (i, row) in band.enumerate() {
            let b0 = ((ov.base_y + row) as usize * base_w + ov.base_x as usize) * 4;
            let base_raw: &mut [u8] = base;
            base_raw[b0..b0 + width * 4]
                .copy_from_slice(&result[i * width * 4..(i + 1) * width * 4]);
        }
    }
    Ok(())
}
