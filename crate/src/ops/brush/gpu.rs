//! GPU driver of the brush: uploads only the dirty rectangle, in row bands
//! sized to the binding limit, and writes it back.

use super::cpu::Stroke;
use super::DirtyRect;
use crate::engine::{read_as, tiling, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::GrayImage;

/// The shared dab model, then the brush kernel.
const SHADER: &str = concat!(include_str!("../dab.wgsl"), include_str!("brush.wgsl"));
const WORKGROUP: u32 = 16;

/// Mirrors `Params` in brush.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    rect_x: u32,
    rect_y: u32,
    width: u32,
    height: u32,
    dab_count: u32,
    flow: u32,
    erase: u32,
    reach: u32,
}

pub(super) async fn paint(
    gpu: &GpuContext,
    mask: &mut GrayImage,
    stroke: &Stroke,
    rect: DirtyRect,
    max_band_bytes: u64,
) -> Result<()> {
    let pipeline = gpu.pipeline("brush.paint", SHADER, "paint");
    let (dabs, thresholds, dab_count) = stroke.dabs.gpu_buffers(gpu);
    let width = mask.width() as usize;
    let (x0, w) = (rect.x as usize, rect.width as usize);
    for rows in tiling::row_bands(rect.height, u64::from(rect.width) * 4, max_band_bytes) {
        let band_rows = (rect.y + rows.start) as usize..(rect.y + rows.end) as usize;
        let pixels: Vec<u32> = band_rows
            .clone()
            .flat_map(|y| {
                mask.as_raw()[y * width + x0..][..w]
                    .iter()
                    .map(|&v| u32::from(v))
            })
            .collect();
        let params = GpuParams {
            rect_x: rect.x,
            rect_y: rect.y + rows.start,
            width: rect.width,
            height: rows.len() as u32,
            dab_count,
            flow: stroke.flow,
            erase: u32::from(stroke.erase),
            reach: stroke.dabs.reach as u32,
        };
        let buffers = [
            gpu.uniform_buffer("brush params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("mask band", bytemuck::cast_slice(&pixels)),
        ];
        let groups = (
            rect.width.div_ceil(WORKGROUP),
            (rows.len() as u32).div_ceil(WORKGROUP),
            1,
        );
        let bytes = gpu
            .dispatch_and_read(
                &pipeline,
                &[&buffers[0], &buffers[1], &dabs, &thresholds],
                groups,
                1,
                pixels.len() as u64 * 4,
            )
            .await?;
        let coverage: Vec<u32> = read_as(&bytes);
        let raw: &mut [u8] = mask;
        for (y, band_row) in band_rows.zip(coverage.chunks_exact(w)) {
            for (o, &v) in raw[y * width + x0..][..w].iter_mut().zip(band_row) {
                *o = v as u8;
            }
        }
    }
    Ok(())
}
