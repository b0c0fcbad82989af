//! GPU driver of the compositor: uploads the overlap rectangle in row bands
//! that fit the device's buffer limits, runs `blend.wgsl`, writes rows back;
//! or, for a document whose layers are held on the GPU ([`GpuLayer`]),
//! recomposes an area of a canvas held there ([`GpuCanvas`]) in one
//! submission, reading nothing back unless asked.

use super::cpu::PixelParams;
use super::{CompositeOptions, Overlap};
use crate::engine::{tiling, Dispatch, GpuContext};
use crate::ops::dab::DirtyRect;
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::{GrayImage, RgbaImage};
use std::ops::Range;

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
    base_offset: u32,
    base_stride: u32,
    layer_offset: u32,
    layer_stride: u32,
    pad: [u32; 3],
}

impl GpuParams {
    /// The parameters of one composite of a `width`×`height` rectangle whose
    /// top-left pixel lies at `origin` in the document.
    fn new(options: &CompositeOptions, masked: bool, size: (u32, u32), origin: (u32, u32)) -> Self {
        let p = PixelParams::new(options);
        GpuParams {
            width: size.0,
            height: size.1,
            mode: p.mode as u32,
            flags: u32::from(masked) | (u32::from(p.linear_light) << 1),
            opacity: p.opacity,
            opacity_255: p.opacity_255,
            seed: p.seed,
            origin_x: origin.0,
            origin_y: origin.1,
            base_offset: 0,
            base_stride: size.0,
            layer_offset: 0,
            layer_stride: size.0,
            pad: [0; 3],
        }
    }
}

fn groups(width: u32, height: u32) -> (u32, u32, u32) {
    (width.div_ceil(WORKGROUP), height.div_ceil(WORKGROUP), 1)
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
        let params = GpuParams::new(
            options,
            mask.is_some(),
            (ov.width, rows as u32),
            (
                ov.base_x.wrapping_add(options.backdrop_origin.0 as u32),
                (ov.base_y + band.start).wrapping_add(options.backdrop_origin.1 as u32),
            ),
        );
        let buffers = [
            gpu.uniform_buffer("blend params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("backdrop", &base_band),
            gpu.storage_buffer("layer", &layer_band),
            gpu.storage_buffer("mask", &mask_band),
        ];
        let result = gpu
            .dispatch_and_read(
                &pipeline,
                &buffers.each_ref(),
                groups(ov.width, rows as u32),
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

/// A layer's pixels (RGBA8, packed) and mask (bytes, packed) held in GPU
/// buffers between renders, so recomposing uploads only what changed.
#[derive(Debug)]
pub struct GpuLayer {
    pixels: wgpu::Buffer,
    mask: Option<wgpu::Buffer>,
    width: u32,
    height: u32,
}

impl GpuLayer {
    /// Whether a `width`×`height` layer and a canvas of that size can each be
    /// bound whole on this device (else the banded path serves them).
    pub fn fits(gpu: &GpuContext, width: u32, height: u32) -> bool {
        u64::from(width) * u64::from(height) * 4 <= gpu.max_held_bytes()
    }

    /// Copies `pixels` and `mask` (the same size) to the GPU, into buffers
    /// later edits can be written to.
    pub fn upload(gpu: &GpuContext, pixels: &RgbaImage, mask: Option<&GrayImage>) -> GpuLayer {
        let (width, height) = pixels.dimensions();
        let held = |label, bytes: &[u8]| {
            let buffer = gpu.scratch_buffer(label, bytes.len() as u64);
            gpu.write_buffer_at(&buffer, 0, bytes);
            buffer
        };
        GpuLayer {
            pixels: held("held layer", pixels.as_raw()),
            mask: mask.map(|m| held("held mask", m.as_raw())),
            width,
            height,
        }
    }

    /// The held pixels (packed RGBA8, rows without padding), for a kernel
    /// that paints in them.
    pub fn pixels(&self) -> &wgpu::Buffer {
        &self.pixels
    }

    /// Whether this copy has the shape of `pixels` and `mask`, so that
    /// [`GpuLayer::update_rows`] can bring it up to date.
    pub fn matches(&self, pixels: &RgbaImage, mask: Option<&GrayImage>) -> bool {
        (self.width, self.height) == pixels.dimensions() && self.mask.is_some() == mask.is_some()
    }

    /// Rewrites `rows` of the held copy from `pixels` and `mask`, which
    /// [`GpuLayer::matches`]; the next submission sees them.
    pub fn update_rows(
        &self,
        gpu: &GpuContext,
        pixels: &RgbaImage,
        mask: Option<&GrayImage>,
        rows: Range<u32>,
    ) {
        let width = self.width as usize;
        let (start, end) = (rows.start as usize * width, rows.end as usize * width);
        // RGBA8 rows are whole 4-byte words.
        gpu.write_buffer_at(
            &self.pixels,
            start as u64 * 4,
            &pixels.as_raw()[start * 4..end * 4],
        );
        if let (Some(buffer), Some(mask)) = (&self.mask, mask) {
            // Mask rows are bytes: the whole words holding them (the bytes
            // of the rows beside them are current too), padded only past
            // the end of the mask.
            let raw = mask.as_raw();
            let (word_start, word_end) = (start / 4 * 4, end.next_multiple_of(4).min(raw.len()));
            gpu.write_buffer_at(buffer, word_start as u64, &raw[word_start..word_end]);
        }
    }
}

/// A canvas-sized composite held in a GPU buffer (packed RGBA8, straight
/// alpha, rows without padding): recomposed in place where edits changed
/// it, presented from there, read back only when the CPU needs it.
#[derive(Debug)]
pub struct GpuCanvas {
    buffer: wgpu::Buffer,
    width: u32,
    height: u32,
}

impl GpuCanvas {
    /// A transparent `width`×`height` canvas, which must [fit](GpuLayer::fits).
    pub fn new(gpu: &GpuContext, (width, height): (u32, u32)) -> GpuCanvas {
        // New buffers start zeroed: transparent black.
        let buffer = gpu.scratch_buffer("canvas", u64::from(width) * u64::from(height) * 4);
        GpuCanvas {
            buffer,
            width,
            height,
        }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The buffer, for a pass that draws it.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// Reads rows `rows` back to the CPU (one read-back): an image
    /// `width` wide and `rows.len()` high.
    pub async fn read_rows(&self, gpu: &GpuContext, rows: Range<u32>) -> Result<RgbaImage> {
        let row_bytes = u64::from(self.width) * 4;
        let height = rows.end.min(self.height).saturating_sub(rows.start);
        let bytes = if height == 0 || self.width == 0 {
            Vec::new()
        } else {
            gpu.read_buffer(
                &self.buffer,
                u64::from(rows.start) * row_bytes,
                u64::from(height) * row_bytes,
            )
            .await?
        };
        Ok(RgbaImage::from_raw(self.width, height, bytes).expect("the rows read back whole"))
    }
}

/// Recomposes `area` of `canvas` from `layers` (held copies with their
/// options, bottom first) over transparency, in one submission; nothing
/// is read back. Each layer's blend is the banded path's, restricted to
/// the area, so the pixels are the same bit for bit as a whole recomposition's.
pub async fn composite_stack_into(
    gpu: &GpuContext,
    canvas: &GpuCanvas,
    area: DirtyRect,
    layers: &[(&GpuLayer, CompositeOptions)],
) -> Result<()> {
    let (width, height) = canvas.size();
    let right = area.x.saturating_add(area.width).min(width);
    let bottom = area.y.saturating_add(area.height).min(height);
    if right <= area.x || bottom <= area.y {
        return Ok(());
    }
    let area = DirtyRect {
        width: right - area.x,
        height: bottom - area.y,
        ..area
    };
    let clear = gpu.pipeline("blend.clear", SHADER, "clear");
    let pipeline = gpu.pipeline("blend.composite", SHADER, "composite");
    let no_mask = gpu.storage_buffer("no mask", &[]);
    let mut clear_params = GpuParams::new(
        &CompositeOptions::default(),
        false,
        (area.width, area.height),
        (0, 0),
    );
    clear_params.base_offset = area.y * width + area.x;
    clear_params.base_stride = width;
    let clear_uniform = gpu.uniform_buffer("clear params", bytemuck::bytes_of(&clear_params));
    let mut steps = Vec::with_capacity(layers.len());
    for (layer, options) in layers {
        super::validate_options(options)?;
        // The layer's overlap with the area, in area coordinates.
        let offset = (
            i64::from(options.offset.0) - i64::from(area.x),
            i64::from(options.offset.1) - i64::from(area.y),
        );
        let (Ok(ox), Ok(oy)) = (i32::try_from(offset.0), i32::try_from(offset.1)) else {
            continue;
        };
        let Some(ov) = Overlap::new(
            (area.width, area.height),
            (layer.width, layer.height),
            (ox, oy),
        ) else {
            continue;
        };
        let (base_x, base_y) = (ov.base_x + area.x, ov.base_y + area.y);
        let mut params = GpuParams::new(
            options,
            layer.mask.is_some(),
            (ov.width, ov.height),
            (
                base_x.wrapping_add(options.backdrop_origin.0 as u32),
                base_y.wrapping_add(options.backdrop_origin.1 as u32),
            ),
        );
        params.base_offset = base_y * width + base_x;
        params.base_stride = width;
        params.layer_offset = ov.layer_y * layer.width + ov.layer_x;
        params.layer_stride = layer.width;
        let uniform = gpu.uniform_buffer("blend params", bytemuck::bytes_of(&params));
        steps.push((uniform, *layer, groups(ov.width, ov.height)));
    }
    let bound: Vec<[&wgpu::Buffer; 4]> = steps
        .iter()
        .map(|(uniform, layer, _)| {
            [
                uniform,
                &canvas.buffer,
                &layer.pixels,
                layer.mask.as_ref().unwrap_or(&no_mask),
            ]
        })
        .collect();
    let clear_buffers = [&clear_uniform, &canvas.buffer];
    let mut dispatches = vec![(
        &clear,
        Dispatch {
            buffers: &clear_buffers,
            workgroups: groups(area.width, area.height),
        },
    )];
    dispatches.extend(
        steps
            .iter()
            .zip(&bound)
            .map(|((_, _, workgroups), buffers)| {
                (
                    &pipeline,
                    Dispatch {
                        buffers,
                        workgroups: *workgroups,
                    },
                )
            }),
    );
    gpu.run(&dispatches).await
}
