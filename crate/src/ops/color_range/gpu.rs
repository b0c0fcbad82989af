//! GPU driver of colour range: row bands sized to the binding limit.

use crate::engine::{tiling, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::{GrayImage, RgbaImage};

const SHADER: &str = include_str!("color_range.wgsl");
const WORKGROUP: u32 = 64;
/// Workgroups per row of the 2-D dispatch (each dimension is limited to 65535).
const GROUPS_PER_ROW: u32 = 256;

/// Mirrors `Params` in color_range.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    pixels: u32,
    color_count: u32,
    fuzziness: f32,
    words_per_row: u32,
}

pub(super) async fn color_range(
    gpu: &GpuContext,
    image: &RgbaImage,
    colors: &[[u8; 3]],
    fuzziness: f32,
    max_band_bytes: u64,
) -> Result<GrayImage> {
    let pipeline = gpu.pipeline("color_range.color_range", SHADER, "color_range");
    let packed_colors: Vec<u8> = colors.iter().flat_map(|&[r, g, b]| [r, g, b, 0]).collect();
    let colors_buffer = gpu.storage_buffer("colours", &packed_colors);
    let width = image.width() as usize;
    let mut out = GrayImage::new(image.width(), image.height());
    for rows in tiling::row_bands(image.height(), width as u64 * 4, max_band_bytes) {
        let band = rows.start as usize * width..rows.end as usize * width;
        let pixels = band.len() as u32;
        let words = pixels.div_ceil(4);
        let groups = words.div_ceil(WORKGROUP);
        let params = GpuParams {
            pixels,
            color_count: colors.len() as u32,
            fuzziness,
            words_per_row: GROUPS_PER_ROW.min(groups) * WORKGROUP,
        };
        let buffers = [
            gpu.uniform_buffer("colour range params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("image", &image.as_raw()[band.start * 4..band.end * 4]),
            colors_buffer.clone(),
            gpu.storage_buffer("mask", &vec![0; words as usize * 4]),
        ];
        let dispatch = (
            GROUPS_PER_ROW.min(groups),
            groups.div_ceil(GROUPS_PER_ROW),
            1,
        );
        let values = gpu
            .dispatch_and_read(
                &pipeline,
                &buffers.each_ref(),
                dispatch,
                3,
                u64::from(pixels),
            )
            .await?;
        out.as_mut()[band].copy_from_slice(&values);
    }
    Ok(out)
}
