//! GPU driver of grow/shrink: the column pass runs on column strips of full
//! height, the row pass on row bands of full width, each sized to the
//! device's binding limit.

use super::cpu::reach_table;
use super::Direction;
use crate::engine::{tiling, GpuContext};
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

fn to_u32s(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
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
        let (start, strip_width) = (columns.start as usize, columns.len());
        let mut strip = Vec::with_capacity(strip_width * height);
        for row in distances.chunks_exact(width) {
            strip.extend_from_slice(&row[start..start + strip_width]);
        }
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
        for (row, strip_row) in distances
            .chunks_exact_mut(width)
            .zip(to_u32s(&bytes).chunks_exact(strip_width))
        {
            row[start..start + strip_width].copy_from_slice(strip_row);
        }
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
        for (o, v) in out.as_mut()[band].iter_mut().zip(to_u32s(&bytes)) {
            *o = v as u8;
        }
    }
    Ok(out)
}
