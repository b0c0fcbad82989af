//! GPU driver of grow/shrink: the column pass runs on column strips of full
//! height, the row pass on row bands of full width, each sized to the
//! device's binding limit.

use super::cpu::reach_table;
use super::Direction;
use crate::engine::{read_as, tiling, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::GrayImage;

const SHADER: &str = include_str!("morphology.wgsl");
const WORKGROUP: u32 = 64;

/// Mirrors `Params` in morphology.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    lines: u32,
    length: u32,
    line_stride: u32,
    step: u32,
    cap: u32,
    grow: u32,
    pad: [u32; 2],
}

/// Grows or shrinks `mask` by `distance` with buffers of at most `max_band_bytes`.
pub(super) async fn within_distance(
    gpu: &GpuContext,
    mask: &GrayImage,
    distance: u32,
    direction: Direction,
    max_band_bytes: u64,
) -> Result<GrayImage> {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let params = |lines: usize, length: usize, line_stride: usize, step: usize| GpuParams {
        lines: lines as u32,
        length: length as u32,
        line_stride: line_stride as u32,
        step: step as u32,
        cap: distance + 1,
        grow: u32::from(direction == Direction::Grow),
        pad: [0; 2],
    };
    let columns_pipeline = gpu.pipeline("morphology.column_distance", SHADER, "column_distance");
    let mut distances: Vec<u32> = mask.iter().map(|&v| u32::from(v)).collect();
    for columns in tiling::row_bands(mask.width(), height as u64 * 4, max_band_bytes) {
        let all_rows = 0..height as u32;
        let strip = tiling::crop(&distances, width as u32, 1, &columns, &all_rows);
        let strip_width = columns.len();
        let p = params(strip_width, height, 1, strip_width);
        let buffers = [
            gpu.uniform_buffer("morphology params", bytemuck::bytes_of(&p)),
            gpu.storage_buffer("column distances", bytemuck::cast_slice(&strip)),
        ];
        let groups = ((strip_width as u32).div_ceil(WORKGROUP), 1, 1);
        let bytes = gpu
            .dispatch_and_read(
                &columns_pipeline,
                &buffers.each_ref(),
                groups,
                1,
                strip.len() as u64 * 4,
            )
            .await?;
        let strip: Vec<u32> = read_as(&bytes);
        tiling::paste(&mut distances, width as u32, 1, &columns, &all_rows, &strip);
    }
    let rows_pipeline = gpu.pipeline("morphology.row_cover", SHADER, "row_cover");
    let reach = gpu.storage_buffer("reach", bytemuck::cast_slice(&reach_table(distance)));
    let mut out = GrayImage::new(mask.width(), mask.height());
    for rows in tiling::row_bands(mask.height(), width as u64 * 4, max_band_bytes) {
        let band = rows.start as usize * width..rows.end as usize * width;
        let p = params(rows.len(), width, width, 1);
        let buffers = [
            gpu.uniform_buffer("morphology params", bytemuck::bytes_of(&p)),
            gpu.storage_buffer(
                "row coverage",
                bytemuck::cast_slice(&distances[band.clone()]),
            ),
        ];
        let groups = ((rows.len() as u32).div_ceil(WORKGROUP), 1, 1);
        let bytes = gpu
            .dispatch_and_read(
                &rows_pipeline,
                &[&buffers[0], &buffers[1], &reach],
                groups,
                1,
                band.len() as u64 * 4,
            )
            .await?;
        for (o, v) in out.as_mut()[band].iter_mut().zip(read_as::<u32>(&bytes)) {
            *o = v as u8;
        }
    }
    Ok(out)
}
