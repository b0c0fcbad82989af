//! GPU driver of the paint tools: uploads the dirty rectangle in row bands
//! sized to the binding limit (with the selection and, for the clone stamp,
//! the source pixels gathered beside it) and reads the painted band back.

use super::cpu::source_pixel;
use super::{DirtyRect, PaintStroke, PaintTool};
use crate::engine::{tiling, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::{GrayImage, RgbaImage};

/// The shared dab model, then the paint kernel.
const SHADER: &str = concat!(include_str!("../dab.wgsl"), include_str!("paint.wgsl"));
const WORKGROUP: u32 = 16;

/// Mirrors `Params` in paint.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    rect_x: u32,
    rect_y: u32,
    width: u32,
    height: u32,
    dab_count: u32,
    flow: u32,
    opacity: u32,
    reach: u32,
    erase: u32,
    has_selection: u32,
    pad: [u32; 2],
}

fn pack(p: image::Rgba<u8>) -> u32 {
    u32::from_le_bytes(p.0)
}

pub(super) async fn paint(
    gpu: &GpuContext,
    image: &RgbaImage,
    stroke: &PaintStroke,
    rect: DirtyRect,
    selection: Option<&GrayImage>,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    let pipeline = gpu.pipeline("paint.paint", SHADER, "paint");
    let (dabs, thresholds, dab_count) = stroke.dabs.gpu_buffers(gpu);
    let mut out = RgbaImage::new(rect.width, rect.height);
    for rows in tiling::row_bands(rect.height, u64::from(rect.width) * 4, max_band_bytes) {
        let band = |f: &dyn Fn(u32, u32) -> u32| -> Vec<u32> {
            rows.clone()
                .flat_map(|py| (0..rect.width).map(move |px| (px, py)))
                .map(|(px, py)| f(px, py))
                .collect()
        };
        let pixels = band(&|px, py| pack(*image.get_pixel(rect.x + px, rect.y + py)));
        let selected = match selection {
            Some(mask) => band(&|px, py| u32::from(mask.get_pixel(px, py)[0])),
            None => vec![0],
        };
        let sources = match stroke.tool {
            PaintTool::Eraser => vec![0],
            tool => band(&|px, py| pack(source_pixel(image, tool, rect.x + px, rect.y + py))),
        };
        let params = GpuParams {
            rect_x: rect.x,
            rect_y: rect.y + rows.start,
            width: rect.width,
            height: rows.len() as u32,
            dab_count,
            flow: stroke.flow,
            opacity: stroke.opacity,
            reach: stroke.dabs.reach as u32,
            erase: u32::from(stroke.tool == PaintTool::Eraser),
            has_selection: u32::from(selection.is_some()),
            pad: [0; 2],
        };
        let buffers = [
            gpu.uniform_buffer("paint params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("paint band", bytemuck::cast_slice(&pixels)),
            gpu.storage_buffer("selection band", bytemuck::cast_slice(&selected)),
            gpu.storage_buffer("source band", bytemuck::cast_slice(&sources)),
        ];
        let groups = (
            rect.width.div_ceil(WORKGROUP),
            (rows.len() as u32).div_ceil(WORKGROUP),
            1,
        );
        let bytes = gpu
            .dispatch_and_read(
                &pipeline,
                &[
                    &buffers[0],
                    &buffers[1],
                    &dabs,
                    &thresholds,
                    &buffers[2],
                    &buffers[3],
                ],
                groups,
                1,
                pixels.len() as u64 * 4,
            )
            .await?;
        let start = rows.start as usize * rect.width as usize * 4;
        let raw: &mut [u8] = &mut out;
        raw[start..start + bytes.len()].copy_from_slice(&bytes);
    }
    Ok(out)
}
