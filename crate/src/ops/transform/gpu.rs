//! GPU driver of the warp: one dispatch per destination tile, each binding
//! only the source crop its taps reach; a tile whose crop would pass the
//! binding limit (a strong skew) is split in four.

use super::{tiles, Affine, Area, TileSampling};
use crate::engine::GpuContext;
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::RgbaImage;

const SHADER: &str = include_str!("transform.wgsl");
const WORKGROUP_SIDE: u32 = 8;

/// Mirrors `Params` in transform.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    origin: [f32; 2],
    step_x: [f32; 2],
    step_y: [f32; 2],
    crop_left: i32,
    crop_top: i32,
    crop_width: u32,
    full_width: u32,
    full_height: u32,
    out_width: u32,
    out_height: u32,
    pad: u32,
}

/// The part of the source a tile reads, clipped to the image:
/// (left, top, width, height); `None` when the tile misses the image.
fn crop_of(
    sampling: &TileSampling,
    tile: Area,
    source: &RgbaImage,
) -> Option<(u32, u32, u32, u32)> {
    let (left, top, right, bottom) = sampling.footprint(tile.width, tile.height);
    let left = left.max(0);
    let top = top.max(0);
    let right = right.min(i64::from(source.width()));
    let bottom = bottom.min(i64::from(source.height()));
    (left < right && top < bottom).then(|| {
        (
            left as u32,
            top as u32,
            (right - left) as u32,
            (bottom - top) as u32,
        )
    })
}

/// `source` under `to_dest` over `area`, in tiles of at most `tile` pixels
/// a side, every buffer within `max_binding_bytes`.
pub(super) async fn warp(
    gpu: &GpuContext,
    source: &RgbaImage,
    to_dest: &Affine,
    area: Area,
    tile: u32,
    max_binding_bytes: u64,
) -> Result<RgbaImage> {
    let to_source = to_dest.inverse().expect("validated maps are invertible");
    let pipeline = gpu.pipeline("transform.warp", SHADER, "warp");
    let mut out = RgbaImage::new(area.width, area.height);
    let mut pending: Vec<Area> = tiles(area, tile).collect();
    while let Some(part) = pending.pop() {
        let sampling = TileSampling::at(&to_source, part.x, part.y);
        let Some((left, top, width, height)) = crop_of(&sampling, part, source) else {
            continue;
        };
        let crop_bytes = u64::from(width) * u64::from(height) * 4;
        if crop_bytes > max_binding_bytes && (part.width > 1 || part.height > 1) {
            let (w1, h1) = (part.width.div_ceil(2), part.height.div_ceil(2));
            pending.extend(
                tiles(part, w1.max(h1)).filter(|quarter| quarter.width > 0 && quarter.height > 0),
            );
            continue;
        }
        let mut crop = Vec::with_capacity(crop_bytes as usize);
        let row_bytes = source.width() as usize * 4;
        for y in top..top + height {
            let start = y as usize * row_bytes + left as usize * 4;
            crop.extend_from_slice(&source.as_raw()[start..start + width as usize * 4]);
        }
        let params = GpuParams {
            origin: sampling.origin,
            step_x: sampling.step_x,
            step_y: sampling.step_y,
            crop_left: left as i32,
            crop_top: top as i32,
            crop_width: width,
            full_width: source.width(),
            full_height: source.height(),
            out_width: part.width,
            out_height: part.height,
            pad: 0,
        };
        let out_bytes = u64::from(part.width) * u64::from(part.height) * 4;
        let buffers = [
            gpu.uniform_buffer("transform params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("transform source", &crop),
            gpu.storage_buffer("transform out", &vec![0; out_bytes as usize]),
        ];
        let groups = (
            part.width.div_ceil(WORKGROUP_SIDE),
            part.height.div_ceil(WORKGROUP_SIDE),
            1,
        );
        let pixels = gpu
            .dispatch_and_read(&pipeline, &buffers.each_ref(), groups, 2, out_bytes)
            .await?;
        let (ox, oy) = ((part.x - area.x) as usize, (part.y - area.y) as usize);
        let out_row = area.width as usize * 4;
        for (j, row) in pixels.chunks_exact(part.width as usize * 4).enumerate() {
            let start = (oy + j) * out_row + ox * 4;
            out.as_mut()[start..start + row.len()].copy_from_slice(row);
        }
    }
    Ok(out)
}
