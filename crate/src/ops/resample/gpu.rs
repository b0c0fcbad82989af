//! GPU drivers of the resampler: the output is cut into tiles, each with the
//! part of the source its kernels reach (the halo), so every buffer stays
//! within the device's binding limit whatever the image size. A tile's
//! output pixels use the same weights as in an untiled run, so tiling cannot
//! leave seams. The intermediate stays on the GPU between the two passes.
//!
//! The edge upscaler's back-projection mixes output pixels through the
//! source grid, so its tiles also need a halo of output: each computes the
//! Lanczos3 start over the window its pixels depend on (see
//! [`edge::Axis::window`]), runs every round over that window, and keeps
//! only the tile, which then equals the untiled result exactly.

use super::cpu::{from_premultiplied16, to_premultiplied16, Precision};
use super::edge;
use super::kernel::AxisWeights;
use super::{Filter, ResizeOptions};
use crate::engine::tiling::{crop, paste, tiles};
use crate::engine::{read_as, Dispatch, GpuContext};
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
            return Err(no_tile_fits(limits));
        }
        side /= 2;
    }
}

fn no_tile_fits(limits: Limits) -> Error {
    Error::TooLarge(format!(
        "one output pixel reads more source than a GPU buffer may hold ({} MiB); \
         shrink in two steps or use the CPU backend",
        limits.max_binding_bytes >> 20
    ))
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

/// A convolution's weights and precision: what each of its tiles reads,
/// and how big its buffers are.
struct ConvolutionLayout {
    wx: AxisWeights,
    wy: AxisWeights,
    precision: Precision,
}

impl ConvolutionLayout {
    fn new(src_w: u32, src_h: u32, options: &ResizeOptions, precision: Precision) -> Self {
        ConvolutionLayout {
            wx: AxisWeights::new(options.filter, src_w, options.width),
            wy: AxisWeights::new(options.filter, src_h, options.height),
            precision,
        }
    }

    fn wide(&self) -> bool {
        self.precision == Precision::U16
    }

    /// Bytes per output pixel.
    fn bpp(&self) -> usize {
        if self.wide() {
            8
        } else {
            4
        }
    }

    /// 8-bit images go vertical pass first, 16-bit horizontal first, as on the CPU.
    fn vertical_first(&self) -> bool {
        !self.wide()
    }

    /// The largest buffer that output pixels `xs`×`ys` need.
    fn tile_bytes(&self, xs: &Range<u32>, ys: &Range<u32>) -> u64 {
        let (sx, sy) = (
            self.wx.source_range(xs.clone()),
            self.wy.source_range(ys.clone()),
        );
        let mid = if self.vertical_first() {
            sx.len() as u64 * ys.len() as u64
        } else {
            xs.len() as u64 * sy.len() as u64
        };
        let weights = (xs.len() * self.wx.window).max(ys.len() * self.wy.window) as u64 * 4;
        (sx.len() as u64 * sy.len() as u64 * self.bpp() as u64)
            .max(mid * MID_BYTES)
            .max(weights)
    }
}

/// One axis of a tile's convolution: which outputs it computes and where
/// its source indices start.
struct Pass<'w> {
    /// 0 horizontal, 1 vertical (`Params.axis` in resample.wgsl).
    axis: u32,
    weights: &'w AxisWeights,
    outputs: &'w Range<u32>,
    origin: u32,
}

/// A pass's own buffers and workgroup count, ready to bind.
struct BoundPass {
    params: wgpu::Buffer,
    taps: wgpu::Buffer,
    weights: wgpu::Buffer,
    workgroups: (u32, u32, u32),
}

impl Pass<'_> {
    /// Uploads the pass's parameters and weights: `stage` 0 reads the
    /// source, 1 the intermediate; it writes `out` (width, height) pixels
    /// from input rows `in_width` long.
    fn bind(
        &self,
        gpu: &GpuContext,
        layout: &ConvolutionLayout,
        stage: u32,
        out: (usize, usize),
        in_width: usize,
    ) -> BoundPass {
        let (taps, values) = tile_weights(self.weights, self.outputs, self.origin);
        let params = ConvolveParams {
            stage,
            axis: self.axis,
            out_w: out.0 as u32,
            out_h: out.1 as u32,
            in_w: in_width as u32,
            window: self.weights.window as u32,
            wide: u32::from(layout.wide()),
            levels: if layout.wide() { 65535.0 } else { 255.0 },
        };
        BoundPass {
            params: gpu.uniform_buffer("resample params", bytemuck::bytes_of(&params)),
            taps: gpu.storage_buffer("resample taps", bytemuck::cast_slice(&taps)),
            weights: gpu.storage_buffer("resample weights", bytemuck::cast_slice(&values)),
            workgroups: (
                (out.0 as u32).div_ceil(WORKGROUP),
                (out.1 as u32).div_ceil(WORKGROUP),
                1,
            ),
        }
    }
}

/// A convolution's source and weights, prepared once and run tile by tile.
struct Convolution<'a> {
    layout: ConvolutionLayout,
    /// The source as the shader reads it: 8-bit RGBA, or 16-bit premultiplied.
    values: Cow<'a, [u8]>,
    src_width: u32,
    linear_light: bool,
    pipeline: wgpu::ComputePipeline,
}

impl<'a> Convolution<'a> {
    fn new(
        gpu: &GpuContext,
        src: &'a RgbaImage,
        options: &ResizeOptions,
        precision: Precision,
    ) -> Convolution<'a> {
        let values = match precision {
            Precision::U8 => Cow::Borrowed(src.as_raw().as_slice()),
            Precision::U16 => Cow::Owned(
                to_premultiplied16(src, options.linear_light)
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
            ),
        };
        Convolution {
            layout: ConvolutionLayout::new(src.width(), src.height(), options, precision),
            values,
            src_width: src.width(),
            linear_light: options.linear_light,
            pipeline: gpu.pipeline("resample.convolve", RESAMPLE, "convolve"),
        }
    }

    /// Output pixels `xs`×`ys`, row-major, in the source's format.
    async fn tile(&self, gpu: &GpuContext, xs: &Range<u32>, ys: &Range<u32>) -> Result<Vec<u8>> {
        let (sx, sy) = (
            self.layout.wx.source_range(xs.clone()),
            self.layout.wy.source_range(ys.clone()),
        );
        let bpp = self.layout.bpp();
        let region = gpu.storage_buffer(
            "resample source",
            &crop(&self.values, self.src_width, bpp, &sx, &sy),
        );
        let vertical = Pass {
            axis: 1,
            weights: &self.layout.wy,
            outputs: ys,
            origin: sy.start,
        };
        let horizontal = Pass {
            axis: 0,
            weights: &self.layout.wx,
            outputs: xs,
            origin: sx.start,
        };
        // The first pass reads the source crop and writes the intermediate,
        // which keeps the crop's extent along the axis not yet resampled.
        let (first, second, mid_size) = if self.layout.vertical_first() {
            (vertical, horizontal, (sx.len(), ys.len()))
        } else {
            (horizontal, vertical, (xs.len(), sy.len()))
        };
        let mid = gpu.storage_buffer(
            "resample intermediate",
            &vec![0; mid_size.0 * mid_size.1 * MID_BYTES as usize],
        );
        let tile_bytes = xs.len() * ys.len() * bpp;
        let dst = gpu.storage_buffer("resample tile", &vec![0; tile_bytes]);
        let stages = [
            first.bind(gpu, &self.layout, 0, mid_size, sx.len()),
            second.bind(gpu, &self.layout, 1, (xs.len(), ys.len()), mid_size.0),
        ];
        let buffers = [
            [
                &stages[0].params,
                &region,
                &stages[0].taps,
                &stages[0].weights,
                &mid,
            ],
            [
                &stages[1].params,
                &mid,
                &stages[1].taps,
                &stages[1].weights,
                &dst,
            ],
        ];
        let steps = [0, 1].map(|i| Dispatch {
            buffers: &buffers[i],
            workgroups: stages[i].workgroups,
        });
        // One submission for both passes: the intermediate never leaves the GPU.
        gpu.dispatch_steps_and_read(&self.pipeline, &steps, &dst, tile_bytes as u64)
            .await
    }

    /// Straight-alpha RGBA8 from `width`×`height` pixels in the source's format.
    fn image(&self, bytes: Vec<u8>, width: u32, height: u32) -> RgbaImage {
        match self.layout.precision {
            Precision::U8 => {
                RgbaImage::from_raw(width, height, bytes).expect("four bytes per pixel")
            }
            Precision::U16 => {
                from_premultiplied16(&read_as(&bytes), width, height, self.linear_light)
            }
        }
    }
}

async fn convolve(
    gpu: &GpuContext,
    src: &RgbaImage,
    options: &ResizeOptions,
    limits: Limits,
) -> Result<RgbaImage> {
    let (w, h) = (options.width, options.height);
    let precision = Precision::for_image(src, options);
    let convolution = Convolution::new(gpu, src, options, precision);
    let side = tile_side(w, h, limits, |xs, ys| convolution.layout.tile_bytes(xs, ys))?;
    let bpp = convolution.layout.bpp();
    let mut out = vec![0u8; w as usize * h as usize * bpp];
    for (xs, ys) in tiles(w, h, side) {
        let tile = convolution.tile(gpu, &xs, &ys).await?;
        paste(&mut out, w, bpp, &xs, &ys, &tile);
    }
    Ok(convolution.image(out, w, h))
}

/// Mirrors `Params` in edge.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct EdgeParams {
    stage: u32,
    window_x0: u32,
    window_y0: u32,
    window_w: u32,
    window_h: u32,
    errors_x0: u32,
    errors_y0: u32,
    errors_w: u32,
    errors_h: u32,
    tile_x0: u32,
    tile_y0: u32,
    tile_w: u32,
    tile_h: u32,
    out_w: u32,
    out_h: u32,
    src_w: u32,
    src_h: u32,
    region_x0: u32,
    region_y0: u32,
    region_w: u32,
    down_x_stride: u32,
    down_y_at: u32,
    down_y_stride: u32,
    up_x_at: u32,
    up_y_at: u32,
    sharpen: u32,
    gain: f32,
    pad: u32,
}

/// The stages of edge.wgsl, in the order one round runs them.
const SHRINK_ROWS: u32 = 0;
const ERROR: u32 = 1;
const UPDATE: u32 = 2;
const FINISH: u32 = 3;

/// Along one axis, what an edge tile over output span `outputs` computes:
/// the window of the Lanczos3 start its pixels depend on (see
/// [`edge::Axis::window`]), the source pixels whose error that window
/// determines, and the part of the source the passes read.
struct EdgeSpan {
    outputs: Range<u32>,
    window: Range<u32>,
    errors: Range<u32>,
    region: Range<u32>,
}

impl EdgeSpan {
    fn new(axis: &edge::Axis, outputs: Range<u32>) -> EdgeSpan {
        let window = axis.window(outputs.clone());
        let errors = axis.sources_within(&window);
        // The errors, and the 3×3 clamp ranges around the window's cells.
        let first_cell = axis.cells[window.start as usize] as u32;
        let last_cell = axis.cells[window.end as usize - 1] as u32;
        let size = axis.down.len() as u32;
        let region = first_cell.saturating_sub(1).min(errors.start)
            ..(last_cell + 2).min(size).max(errors.end);
        EdgeSpan {
            outputs,
            window,
            errors,
            region,
        }
    }

    /// u32 per error pixel in the tables: footprint start, count, weights.
    fn down_stride(&self, axis: &edge::Axis) -> usize {
        let rows = &axis.down[self.errors.start as usize..self.errors.end as usize];
        2 + rows.iter().map(|(_, w)| w.len()).max().unwrap_or(0)
    }

    /// u32 in the tables for this axis (see [`EdgeTile::tables`]).
    fn tables_len(&self, axis: &edge::Axis) -> usize {
        self.errors.len() * self.down_stride(axis) + 4 * self.window.len()
    }
}

/// What one output tile of the edge upscaler computes (see [`EdgeSpan`]).
struct EdgeTile {
    xs: Range<u32>,
    ys: Range<u32>,
    window_x: Range<u32>,
    window_y: Range<u32>,
    errors_x: Range<u32>,
    errors_y: Range<u32>,
    region_x: Range<u32>,
    region_y: Range<u32>,
}

impl EdgeTile {
    fn new(axis_x: &edge::Axis, axis_y: &edge::Axis, xs: Range<u32>, ys: Range<u32>) -> EdgeTile {
        let (x, y) = (EdgeSpan::new(axis_x, xs), EdgeSpan::new(axis_y, ys));
        EdgeTile {
            xs: x.outputs,
            ys: y.outputs,
            window_x: x.window,
            window_y: y.window,
            errors_x: x.errors,
            errors_y: y.errors,
            region_x: x.region,
            region_y: y.region,
        }
    }

    /// The axis tables the passes read (see edge.wgsl), and the params
    /// shared by every stage.
    fn tables(
        &self,
        axis_x: &edge::Axis,
        axis_y: &edge::Axis,
        base: EdgeParams,
    ) -> (Vec<u32>, EdgeParams) {
        let mut tables = Vec::new();
        // Per error pixel: its footprint's first pixel (in the window) and
        // count, then its weights, zero-padded to the axis's widest.
        let down =
            |tables: &mut Vec<u32>, axis: &edge::Axis, errors: &Range<u32>, window: &Range<u32>| {
                let rows = &axis.down[errors.start as usize..errors.end as usize];
                let stride = 2 + rows.iter().map(|(_, w)| w.len()).max().unwrap_or(0);
                for (first, weights) in rows {
                    tables.push(*first as u32 - window.start);
                    tables.push(weights.len() as u32);
                    tables.extend(weights.iter().map(|w| w.to_bits()));
                    tables.resize(tables.len() + stride - 2 - weights.len(), 0);
                }
                stride as u32
            };
        let down_x_stride = down(&mut tables, axis_x, &self.errors_x, &self.window_x);
        let down_y_at = tables.len() as u32;
        let down_y_stride = down(&mut tables, axis_y, &self.errors_y, &self.window_y);
        // Per window pixel: its bilinear taps (error indices, clamped to the
        // errors this tile has: the pixels kept never need the others), the
        // right tap's weight, and its cell (a source index).
        let up =
            |tables: &mut Vec<u32>, axis: &edge::Axis, errors: &Range<u32>, window: &Range<u32>| {
                let at = tables.len() as u32;
                for o in window.clone() {
                    let (left, right, weight) = axis.taps[o as usize];
                    let tap =
                        |i: usize| (i as u32).clamp(errors.start, errors.end - 1) - errors.start;
                    tables.extend([
                        tap(left),
                        tap(right),
                        weight.to_bits(),
                        axis.cells[o as usize] as u32,
                    ]);
                }
                at
            };
        let up_x_at = up(&mut tables, axis_x, &self.errors_x, &self.window_x);
        let up_y_at = up(&mut tables, axis_y, &self.errors_y, &self.window_y);
        let params = EdgeParams {
            window_x0: self.window_x.start,
            window_y0: self.window_y.start,
            window_w: self.window_x.len() as u32,
            window_h: self.window_y.len() as u32,
            errors_x0: self.errors_x.start,
            errors_y0: self.errors_y.start,
            errors_w: self.errors_x.len() as u32,
            errors_h: self.errors_y.len() as u32,
            tile_x0: self.xs.start,
            tile_y0: self.ys.start,
            tile_w: self.xs.len() as u32,
            tile_h: self.ys.len() as u32,
            region_x0: self.region_x.start,
            region_y0: self.region_y.start,
            region_w: self.region_x.len() as u32,
            down_x_stride,
            down_y_at,
            down_y_stride,
            up_x_at,
            up_y_at,
            ..base
        };
        (tables, params)
    }
}

/// Premultiplied 16-bit values as the f32 the CPU computes with
/// (`f32::from(v) / 65535.0`, as edge.rs converts them), converted here so
/// that both backends start from the same bits.
fn plane_bytes(values: &[u16]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| (f32::from(v) / 65535.0).to_le_bytes())
        .collect()
}

/// Along one axis, the largest extents (in pixels, or u32 for the tables)
/// over the spans of `side`-pixel edge tiles.
#[derive(Default)]
struct SpanMaxima {
    window: u64,
    errors: u64,
    region: u64,
    tables: u64,
    /// The Lanczos3 start's source range, and its weights.
    start_source: u64,
    start_weights: u64,
}

impl SpanMaxima {
    fn new(axis: &edge::Axis, start: &AxisWeights, size: u32, side: u32) -> SpanMaxima {
        let mut max = SpanMaxima::default();
        for first in (0..size).step_by(side as usize) {
            let span = EdgeSpan::new(axis, first..(first + side).min(size));
            let len = |r: &Range<u32>| r.len() as u64;
            max.window = max.window.max(len(&span.window));
            max.errors = max.errors.max(len(&span.errors));
            max.region = max.region.max(len(&span.region));
            max.tables = max.tables.max(span.tables_len(axis) as u64);
            max.start_source = max
                .start_source
                .max(len(&start.source_range(span.window.clone())));
            max.start_weights = max
                .start_weights
                .max(len(&span.window) * start.window as u64);
        }
        max
    }
}

/// The tile side for the edge upscaler to a `width`×`height` output: every
/// buffer of a tile's window (the Lanczos3 start's, the passes', the tables)
/// must fit the binding limit. Each buffer's size is a product of one
/// extent per axis, so its largest over all tiles is the product of the
/// axes' largest: checked per axis, not per tile (at 1 px tiles a 16384²
/// output has 268 million).
fn edge_tile_side(
    start: &ConvolutionLayout,
    axis_x: &edge::Axis,
    axis_y: &edge::Axis,
    width: u32,
    height: u32,
    limits: Limits,
) -> Result<u32> {
    let mut side = limits.max_tile.max(1);
    loop {
        let x = SpanMaxima::new(axis_x, &start.wx, width, side);
        let y = SpanMaxima::new(axis_y, &start.wy, height, side);
        let passes = [
            x.window * y.window,
            x.errors * y.window,
            x.errors * y.errors,
            x.region * y.region,
        ];
        let start_mid = if start.vertical_first() {
            x.start_source * y.window
        } else {
            x.window * y.start_source
        };
        let largest = [
            passes.into_iter().max().unwrap_or(0) * MID_BYTES,
            start_mid * MID_BYTES,
            x.start_source * y.start_source * start.bpp() as u64,
            x.start_weights.max(y.start_weights) * 4,
            (x.tables + y.tables) * 4,
        ];
        if largest.into_iter().all(|b| b <= limits.max_binding_bytes) {
            return Ok(side);
        }
        if side == 1 {
            return Err(no_tile_fits(limits));
        }
        side /= 2;
    }
}

/// The edge tile side for a `src_w`×`src_h` source and `options` under
/// `limits`, without a GPU: for checking the plan at the largest sizes.
#[cfg(test)]
pub(super) fn edge_plan(
    src_w: u32,
    src_h: u32,
    options: &ResizeOptions,
    limits: Limits,
) -> Result<u32> {
    let start = ConvolutionLayout::new(src_w, src_h, &edge::start_options(options), Precision::U16);
    let (axis_x, axis_y) = (
        edge::Axis::new(src_w, options.width),
        edge::Axis::new(src_h, options.height),
    );
    edge_tile_side(
        &start,
        &axis_x,
        &axis_y,
        options.width,
        options.height,
        limits,
    )
}

/// The edge upscaler ([`edge::upscale`]) tile by tile: each tile's window of
/// the Lanczos3 start comes from [`Convolution::tile`] as 16-bit
/// premultiplied values, as on the CPU (read back and converted to f32 here,
/// so both backends start from the same bits); [`edge::BACK_PROJECTIONS`]
/// rounds and the sharpening then run in edge.wgsl in one submission, and
/// only the tile is read back.
async fn upscale_edge(
    gpu: &GpuContext,
    src: &RgbaImage,
    options: &ResizeOptions,
    limits: Limits,
) -> Result<RgbaImage> {
    let (w, h) = (options.width, options.height);
    let (src_w, src_h) = src.dimensions();
    let start = Convolution::new(gpu, src, &edge::start_options(options), Precision::U16);
    let (axis_x, axis_y) = (edge::Axis::new(src_w, w), edge::Axis::new(src_h, h));
    let source = plane_bytes(&to_premultiplied16(src, options.linear_light));
    let pipeline = gpu.pipeline("resample.edge", EDGE, "edge");
    let base = EdgeParams {
        out_w: w,
        out_h: h,
        src_w,
        src_h,
        sharpen: u32::from(options.sharpness > 0.0),
        gain: edge::GAIN * options.sharpness,
        ..Zeroable::zeroed()
    };
    let side = edge_tile_side(&start.layout, &axis_x, &axis_y, w, h, limits)?;
    let mut out = vec![0u8; w as usize * h as usize * 8];
    for (xs, ys) in tiles(w, h, side) {
        let tile = EdgeTile::new(&axis_x, &axis_y, xs, ys);
        let (window_x, window_y) = (&tile.window_x, &tile.window_y);
        let (ww, wh) = (window_x.len() as u32, window_y.len() as u32);
        let start_values: Vec<u16> = read_as(&start.tile(gpu, window_x, window_y).await?);
        let estimate = gpu.storage_buffer("edge estimate", &plane_bytes(&start_values));
        let region = gpu.storage_buffer(
            "edge source",
            &crop(
                &source,
                src_w,
                MID_BYTES as usize,
                &tile.region_x,
                &tile.region_y,
            ),
        );
        let (tables, params) = tile.tables(&axis_x, &axis_y, base);
        let tables = gpu.storage_buffer("edge tables", bytemuck::cast_slice(&tables));
        let (ew, eh) = (tile.errors_x.len() as u32, tile.errors_y.len() as u32);
        let f32x4 = |pixels: u32| vec![0; pixels as usize * MID_BYTES as usize];
        let rows = gpu.storage_buffer("edge rows", &f32x4(ew * wh));
        let errors = gpu.storage_buffer("edge errors", &f32x4(ew * eh));
        let tile_bytes = tile.xs.len() * tile.ys.len() * 8;
        let dst = gpu.storage_buffer("edge tile", &vec![0; tile_bytes]);
        let stage_params: Vec<wgpu::Buffer> = [SHRINK_ROWS, ERROR, UPDATE, FINISH]
            .map(|stage| {
                gpu.uniform_buffer(
                    "edge params",
                    bytemuck::bytes_of(&EdgeParams { stage, ..params }),
                )
            })
            .into();
        let bindings: Vec<[&wgpu::Buffer; 7]> = stage_params
            .iter()
            .map(|p| [p, &region, &tables, &estimate, &rows, &errors, &dst])
            .collect();
        let step = |stage: usize, w: u32, h: u32| Dispatch {
            buffers: &bindings[stage][..],
            workgroups: (w.div_ceil(WORKGROUP), h.div_ceil(WORKGROUP), 1),
        };
        let round = [step(0, ew, wh), step(1, ew, eh), step(2, ww, wh)];
        let mut steps: Vec<Dispatch> = round
            .iter()
            .cycle()
            .take(3 * edge::BACK_PROJECTIONS)
            .copied()
            .collect();
        steps.push(step(3, params.tile_w, params.tile_h));
        let result = gpu
            .dispatch_steps_and_read(&pipeline, &steps, &dst, tile_bytes as u64)
            .await?;
        paste(&mut out, w, 8, &tile.xs, &tile.ys, &result);
    }
    Ok(from_premultiplied16(
        &read_as(&out),
        w,
        h,
        options.linear_light,
    ))
}
