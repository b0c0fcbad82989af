//! GPU drivers of the resampler: the output is cut into tiles, each with the
//! part of the source its kernels reach (the halo), so every buffer stays
//! within the device's binding limit whatever the image size. A tile's
//! output pixels use the same weights as in an untiled run, so tiling cannot
//! leave seams. The intermediate stays on the GPU between the two passes.

use super::cpu::{from_premultiplied16, to_premultiplied16, Precision};
use super::edge;
use super::kernel::AxisWeights;
use super::{Filter, ResizeOptions};
use crate::engine::GpuContext;
use crate::{Error, Result};
use bytemuck::{Pod, Zeroable};
use image::RgbaImage;
use std::borrow::Cow;
use std::ops::Range;

const RESAMPLE: &str = include_str!("resample.wgsl");
const EDGE: &str = include_str!("edge.wgsl");
const WORKGROUP: u32 = 8;
/// The largest tile side tried first: big enough to amortise a dispatch,
/// small enough that a tile's buffers fit WebGPU's 128 MiB binding limit.
const DEFAULT_TILE: u32 = 2048;
/// Bytes of one intermediate pixel (four f32).
const MID_BYTES: u64 = 16;

/// What bounds a tile.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub max_binding_bytes: u64,
    pub max_tile: u32,
}

impl Limits {
    pub(super) fn of(gpu: &GpuContext) -> Limits {
        Limits {
            max_binding_bytes: gpu.max_binding_bytes(),
            max_tile: DEFAULT_TILE,
        }
    }
}

/// Resizes on the GPU; the options have been validated.
pub(super) async fn resize(
    gpu: &GpuContext,
    src: &RgbaImage,
    options: &ResizeOptions,
    limits: Limits,
) -> Result<RgbaImage> {
    if options.filter == Filter::Edge {
        upscale_edge(gpu, src, options, limits).await
    } else {
        convolve(gpu, src, options, limits).await
    }
}

/// Output tiles of `side`×`side` (smaller at the right and bottom edges).
fn tiles(width: u32, height: u32, side: u32) -> impl Iterator<Item = (Range<u32>, Range<u32>)> {
    (0..height).step_by(side as usize).flat_map(move |y| {
        (0..width)
            .step_by(side as usize)
            .map(move |x| (x..(x + side).min(width), y..(y + side).min(height)))
    })
}

/// The largest tile side (a power-of-two fraction of `limits.max_tile`) for
/// which `bytes` (the largest buffer a tile needs) fits the binding limit.
fn tile_side(
    width: u32,
    height: u32,
    limits: Limits,
    bytes: impl Fn(&Range<u32>, &Range<u32>) -> u64,
) -> Result<u32> {
    let mut side = limits.max_tile.max(1);
    loop {
        if tiles(width, height, side).all(|(xs, ys)| bytes(&xs, &ys) <= limits.max_binding_bytes) {
            return Ok(side);
        }
        if side == 1 {
            return Err(Error::TooLarge(format!(
                "one output pixel reads more source than a GPU buffer may hold ({} MiB); \
                 shrink in two steps or use the CPU backend",
                limits.max_binding_bytes >> 20
            )));
        }
        side /= 2;
    }
}

/// Copies the rows `ys` and columns `xs` of a `width`-wide image with
/// `bpp` bytes per pixel.
fn crop(bytes: &[u8], width: u32, bpp: usize, xs: &Range<u32>, ys: &Range<u32>) -> Vec<u8> {
    let row = width as usize * bpp;
    let mut out = Vec::with_capacity(xs.len() * ys.len() * bpp);
    for y in ys.clone() {
        let start = y as usize * row + xs.start as usize * bpp;
        out.extend_from_slice(&bytes[start..start + xs.len() * bpp]);
    }
    out
}

/// Writes a tile (`xs`×`ys`, `bpp` bytes per pixel) into a `width`-wide image.
fn paste(out: &mut [u8], width: u32, bpp: usize, xs: &Range<u32>, ys: &Range<u32>, tile: &[u8]) {
    let row = width as usize * bpp;
    for (y, line) in ys.clone().zip(tile.chunks_exact(xs.len() * bpp)) {
        let start = y as usize * row + xs.start as usize * bpp;
        out[start..start + line.len()].copy_from_slice(line);
    }
}

/// Mirrors `Params` in resample.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ConvolveParams {
    stage: u32,
    axis: u32,
    out_w: u32,
    out_h: u32,
    in_w: u32,
    window: u32,
    wide: u32,
    levels: f32,
}

/// The taps and weights of output indices `outputs`, with source indices
/// counted from `origin`.
fn tile_weights(weights: &AxisWeights, outputs: &Range<u32>, origin: u32) -> (Vec<u32>, Vec<f32>) {
    let taps = outputs
        .clone()
        .flat_map(|o| {
            [
                weights.starts[o as usize] - origin,
                weights.counts[o as usize],
            ]
        })
        .collect();
    let values = weights.values
        [outputs.start as usize * weights.window..outputs.end as usize * weights.window]
        .to_vec();
    (taps, values)
}

async fn convolve(
    gpu: &GpuContext,
    src: &RgbaImage,
    options: &ResizeOptions,
    limits: Limits,
) -> Result<RgbaImage> {
    let (w, h) = (options.width, options.height);
    let wx = AxisWeights::new(options.filter, src.width(), w);
    let wy = AxisWeights::new(options.filter, src.height(), h);
    let precision = Precision::for_image(src, options);
    let wide = precision == Precision::U16;
    let bpp = if wide { 8 } else { 4 };
    let levels = if wide { 65535.0 } else { 255.0 };
    let values: Cow<[u8]> = match precision {
        Precision::U8 => Cow::Borrowed(src.as_raw()),
        Precision::U16 => Cow::Owned(
            to_premultiplied16(src, options.linear_light)
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
    };
    // 8-bit images go vertical pass first, 16-bit horizontal first, as on the CPU.
    let vertical_first = !wide;
    let side = tile_side(w, h, limits, |xs, ys| {
        let (sx, sy) = (wx.source_range(xs.clone()), wy.source_range(ys.clone()));
        let mid = if vertical_first {
            sx.len() as u64 * ys.len() as u64
        } else {
            xs.len() as u64 * sy.len() as u64
        };
        let weights = (xs.len() * wx.window).max(ys.len() * wy.window) as u64 * 4;
        (sx.len() as u64 * sy.len() as u64 * bpp as u64)
            .max(mid * MID_BYTES)
            .max(weights)
    })?;
    let pipeline = gpu.pipeline("resample.convolve", RESAMPLE, "convolve");
    let mut out = vec![0u8; w as usize * h as usize * bpp];
    for (xs, ys) in tiles(w, h, side) {
        let (sx, sy) = (wx.source_range(xs.clone()), wy.source_range(ys.clone()));
        let region = gpu.storage_buffer(
            "resample source",
            &crop(&values, src.width(), bpp, &sx, &sy),
        );
        // (axis, output size, input row length, weights, outputs, origin) per stage.
        let (first, second) = if vertical_first {
            (
                (1, (sx.len(), ys.len()), sx.len(), &wy, &ys, sy.start),
                (0, (xs.len(), ys.len()), sx.len(), &wx, &xs, sx.start),
            )
        } else {
            (
                (0, (xs.len(), sy.len()), sx.len(), &wx, &xs, sx.start),
                (1, (xs.len(), ys.len()), xs.len(), &wy, &ys, sy.start),
            )
        };
        let mid_size = (first.1 .0 * first.1 .1) as u64 * MID_BYTES;
        let mid = gpu.storage_buffer("resample intermediate", &vec![0; mid_size as usize]);
        let tile_bytes = xs.len() * ys.len() * bpp;
        let dst = gpu.storage_buffer("resample tile", &vec![0; tile_bytes]);
        for (stage, (axis, (ow, oh), in_w, weights, outputs, origin)) in
            [first, second].into_iter().enumerate()
        {
            let (taps, values) = tile_weights(weights, outputs, origin);
            let params = ConvolveParams {
                stage: stage as u32,
                axis,
                out_w: ow as u32,
                out_h: oh as u32,
                in_w: in_w as u32,
                window: weights.window as u32,
                wide: u32::from(wide),
                levels,
            };
            let buffers = [
                &gpu.uniform_buffer("resample params", bytemuck::bytes_of(&params)),
                if stage == 0 { &region } else { &mid },
                &gpu.storage_buffer("resample taps", bytemuck::cast_slice(&taps)),
                &gpu.storage_buffer("resample weights", bytemuck::cast_slice(&values)),
                if stage == 0 { &mid } else { &dst },
            ];
            let groups = (
                (ow as u32).div_ceil(WORKGROUP),
                (oh as u32).div_ceil(WORKGROUP),
                1,
            );
            // The intermediate stays on the GPU: read back only the tile.
            let read_len = if stage == 0 { 4 } else { tile_bytes as u64 };
            let result = gpu
                .dispatch_and_read(&pipeline, &buffers, groups, 4, read_len)
                .await?;
            if stage == 1 {
                paste(&mut out, w, bpp, &xs, &ys, &result);
            }
        }
    }
    Ok(match precision {
        Precision::U8 => RgbaImage::from_raw(w, h, out).expect("four bytes per pixel"),
        Precision::U16 => {
            let values: Vec<u16> = out
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            from_premultiplied16(&values, w, h, options.linear_light)
        }
    })
}

/// Mirrors `Params` in edge.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct EdgeParams {
    stage: u32,
    out_w: u32,
    out_h: u32,
    out_x0: u32,
    out_y0: u32,
    src_w: u32,
    src_h: u32,
    region_x0: u32,
    region_y0: u32,
    region_w: u32,
    mid_x0: u32,
    mid_y0: u32,
    mid_w: u32,
    mid_h: u32,
    scale_x: f32,
    scale_y: f32,
    sharpness: f32,
    stretch: f32,
    squeeze: f32,
    lobe_weight: f32,
    edge_energy: f32,
    gain: f32,
    pad: [u32; 2],
}

/// Output range `outputs` widened by the sharpening's one-pixel halo.
fn with_halo(outputs: &Range<u32>, size: u32) -> Range<u32> {
    outputs.start.saturating_sub(1)..(outputs.end + 1).min(size)
}

/// The source range the upsampler reads for output range `outputs` (its 4×4
/// neighbourhoods, plus a pixel of margin against rounding).
fn edge_source_range(outputs: &Range<u32>, scale: f32, size: u32) -> Range<u32> {
    let first = edge::source_position(outputs.start, scale).floor() as i64 - 2;
    let last = edge::source_position(outputs.end - 1, scale).floor() as i64 + 3;
    first.max(0) as u32..(last + 1).min(i64::from(size)) as u32
}

async fn upscale_edge(
    gpu: &GpuContext,
    src: &RgbaImage,
    options: &ResizeOptions,
    limits: Limits,
) -> Result<RgbaImage> {
    let (w, h) = (options.width, options.height);
    let (src_w, src_h) = src.dimensions();
    let scale_x = src_w as f32 / w as f32;
    let scale_y = src_h as f32 / h as f32;
    let values: Vec<u8> = to_premultiplied16(src, options.linear_light)
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let side = tile_side(w, h, limits, |xs, ys| {
        let (mx, my) = (with_halo(xs, w), with_halo(ys, h));
        let (sx, sy) = (
            edge_source_range(&mx, scale_x, src_w),
            edge_source_range(&my, scale_y, src_h),
        );
        (sx.len() as u64 * sy.len() as u64 * 8).max(mx.len() as u64 * my.len() as u64 * MID_BYTES)
    })?;
    let pipeline = gpu.pipeline("resample.edge", EDGE, "edge");
    let mut out = vec![0u8; w as usize * h as usize * 8];
    for (xs, ys) in tiles(w, h, side) {
        let (mx, my) = (with_halo(&xs, w), with_halo(&ys, h));
        let (sx, sy) = (
            edge_source_range(&mx, scale_x, src_w),
            edge_source_range(&my, scale_y, src_h),
        );
        let region = gpu.storage_buffer("edge source", &crop(&values, src_w, 8, &sx, &sy));
        let mid_bytes = mx.len() * my.len() * MID_BYTES as usize;
        let mid = gpu.storage_buffer("edge upsampled", &vec![0; mid_bytes]);
        let tile_bytes = xs.len() * ys.len() * 8;
        let dst = gpu.storage_buffer("edge tile", &vec![0; tile_bytes]);
        let base = EdgeParams {
            stage: 0,
            out_w: mx.len() as u32,
            out_h: my.len() as u32,
            out_x0: mx.start,
            out_y0: my.start,
            src_w,
            src_h,
            region_x0: sx.start,
            region_y0: sy.start,
            region_w: sx.len() as u32,
            mid_x0: mx.start,
            mid_y0: my.start,
            mid_w: mx.len() as u32,
            mid_h: my.len() as u32,
            scale_x,
            scale_y,
            sharpness: options.sharpness,
            stretch: edge::STRETCH,
            squeeze: edge::SQUEEZE,
            lobe_weight: edge::LOBE,
            edge_energy: edge::EDGE_ENERGY,
            gain: edge::GAIN,
            pad: [0; 2],
        };
        let stages = [
            (base, &region, &mid, 4),
            (
                EdgeParams {
                    stage: 1,
                    out_w: xs.len() as u32,
                    out_h: ys.len() as u32,
                    out_x0: xs.start,
                    out_y0: ys.start,
                    ..base
                },
                &mid,
                &dst,
                tile_bytes as u64,
            ),
        ];
        for (params, input, output, read_len) in stages {
            let buffers = [
                &gpu.uniform_buffer("edge params", bytemuck::bytes_of(&params)),
                input,
                output,
            ];
            let groups = (
                params.out_w.div_ceil(WORKGROUP),
                params.out_h.div_ceil(WORKGROUP),
                1,
            );
            let result = gpu
                .dispatch_and_read(&pipeline, &buffers, groups, 2, read_len)
                .await?;
            if params.stage == 1 {
                paste(&mut out, w, 8, &xs, &ys, &result);
            }
        }
    }
    let values: Vec<u16> = out
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    Ok(from_premultiplied16(&values, w, h, options.linear_light))
}
