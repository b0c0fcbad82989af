//! GPU driver of the adjustments: the per-pixel kernels of adjust.wgsl on
//! row bands sized to the binding limit; the blurs run the feather's GPU
//! Gaussian on each channel — of an image that goes up and comes back, or,
//! in a layer held on the GPU, of planes split there (planes.wgsl).

use super::cpu::{self, ChannelTables};
use super::{Adjustment, UnsharpMask};
use crate::engine::{tiling, Dispatch, Engine, GpuContext};
use crate::ops::feather;
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::{GrayImage, RgbaImage};
use std::ops::Range;

const SHADER: &str = include_str!("adjust.wgsl");
const PLANES_SHADER: &str = include_str!("planes.wgsl");
const WORKGROUP: u32 = 64;
/// Workgroups per row of the 2-D dispatch (each dimension is limited to 65535).
const GROUPS_PER_ROW: u32 = 256;

/// Mirrors `Params` in adjust.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    pixels: u32,
    words_per_row: u32,
    flag: u32,
    first: u32,
    aux_first: u32,
    pad: [u32; 3],
    values: [[f32; 4]; 3],
}

/// Mirrors `Params` in planes.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PlaneParams {
    pixels: u32,
    words_per_row: u32,
    channel: u32,
    first: u32,
}

/// Which kernel of adjust.wgsl runs, with what it reads besides the image.
pub(super) enum Kernel<'a> {
    Tables(&'a ChannelTables),
    HueSaturation([f32; 4]),
    ColorBalance {
        shifts: [[f32; 3]; 3],
        preserve: bool,
    },
    /// The blur's result (in place only; `aux` holds it, premultiplied).
    Blurred,
    /// The unsharp mask's last step (`aux` holds the blurred image).
    Unsharp {
        gain: f32,
        threshold: f32,
    },
}

impl Kernel<'_> {
    /// The unsharp mask's last step for `u`.
    fn unsharp(u: &UnsharpMask) -> Kernel<'static> {
        Kernel::Unsharp {
            gain: u.amount / 100.0,
            threshold: u.threshold,
        }
    }
}

/// What running a kernel of adjust.wgsl takes besides the pixels.
struct Setup {
    pipeline: wgpu::ComputePipeline,
    values: [[f32; 4]; 3],
    flag: u32,
    /// The `aux` buffer, when it is the same for every band (not a
    /// blurred image).
    fixed_aux: Option<wgpu::Buffer>,
}

impl Setup {
    /// The kernel's entry point, its `_in_place` one when `in_place`.
    fn new(gpu: &GpuContext, kernel: &Kernel<'_>, in_place: bool) -> Setup {
        let (key, entry) = match (kernel, in_place) {
            (Kernel::Tables(_), false) => ("adjust.tables", "tables"),
            (Kernel::Tables(_), true) => ("adjust.tables_in_place", "tables_in_place"),
            (Kernel::HueSaturation(_), false) => ("adjust.hue_saturation", "hue_saturation"),
            (Kernel::HueSaturation(_), true) => {
                ("adjust.hue_saturation_in_place", "hue_saturation_in_place")
            }
            (Kernel::ColorBalance { .. }, false) => ("adjust.color_balance", "color_balance"),
            (Kernel::ColorBalance { .. }, true) => {
                ("adjust.color_balance_in_place", "color_balance_in_place")
            }
            (Kernel::Blurred, false) => unreachable!("a blur goes up and comes back as it is"),
            (Kernel::Blurred, true) => ("adjust.blurred_in_place", "blurred_in_place"),
            (Kernel::Unsharp { .. }, false) => ("adjust.unsharp", "unsharp"),
            (Kernel::Unsharp { .. }, true) => ("adjust.unsharp_in_place", "unsharp_in_place"),
        };
        let mut values = [[0.0; 4]; 3];
        let mut flag = 0;
        match kernel {
            Kernel::Tables(_) | Kernel::Blurred => {}
            Kernel::HueSaturation(v) => values[0] = *v,
            Kernel::ColorBalance { shifts, preserve } => {
                for (slot, shift) in values.iter_mut().zip(shifts) {
                    *slot = [shift[0], shift[1], shift[2], 0.0];
                }
                flag = u32::from(*preserve);
            }
            Kernel::Unsharp { gain, threshold } => values[0] = [*gain, *threshold, 0.0, 0.0],
        }
        let fixed_aux = match kernel {
            Kernel::Tables(tables) => {
                let bytes: Vec<u8> = tables
                    .iter()
                    .flatten()
                    .flat_map(|&v| u32::from(v).to_le_bytes())
                    .collect();
                Some(gpu.storage_buffer("adjust tables", &bytes))
            }
            Kernel::Blurred | Kernel::Unsharp { .. } => None,
            _ => Some(gpu.storage_buffer("adjust unused", &[0; 4])),
        };
        Setup {
            pipeline: gpu.pipeline(key, SHADER, entry),
            values,
            flag,
            fixed_aux,
        }
    }

    /// The uniforms for `pixels` pixels from pixel `first` (and pixel
    /// `aux_first` of a blurred image), and the dispatch that covers them.
    fn params(&self, first: u32, aux_first: u32, pixels: u32) -> (GpuParams, (u32, u32, u32)) {
        let (words_per_row, dispatch) = dispatch_of(pixels);
        let params = GpuParams {
            pixels,
            words_per_row,
            flag: self.flag,
            first,
            aux_first,
            pad: [0; 3],
            values: self.values,
        };
        (params, dispatch)
    }
}

/// The 2-D dispatch of one invocation a pixel, and its invocations a row.
fn dispatch_of(pixels: u32) -> (u32, (u32, u32, u32)) {
    let groups = pixels.div_ceil(WORKGROUP);
    let across = GROUPS_PER_ROW.min(groups);
    (
        across * WORKGROUP,
        (across, groups.div_ceil(GROUPS_PER_ROW), 1),
    )
}

/// Runs `kernel` on `image` (and `blurred`, for the unsharp mask) in bands
/// of at most `max_band_bytes`, each uploaded and read back.
pub(super) async fn per_pixel(
    gpu: &GpuContext,
    image: &RgbaImage,
    kernel: Kernel<'_>,
    blurred: Option<&RgbaImage>,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    let setup = Setup::new(gpu, &kernel, false);
    let width = image.width() as usize;
    let mut out = RgbaImage::new(image.width(), image.height());
    for rows in tiling::row_bands(image.height(), width as u64 * 4, max_band_bytes) {
        let band = rows.start as usize * width * 4..rows.end as usize * width * 4;
        let (params, dispatch) = setup.params(0, 0, (band.len() / 4) as u32);
        let aux = match (blurred, &setup.fixed_aux) {
            (Some(blurred), _) => gpu.storage_buffer("blurred", &blurred.as_raw()[band.clone()]),
            (None, Some(buffer)) => buffer.clone(),
            (None, None) => unreachable!("a kernel without a fixed buffer reads a blur"),
        };
        let buffers = [
            gpu.uniform_buffer("adjust params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("image", &image.as_raw()[band.clone()]),
            aux,
            gpu.storage_buffer("adjusted", &vec![0; band.len()]),
        ];
        let adjusted = gpu
            .dispatch_and_read(
                &setup.pipeline,
                &buffers.each_ref(),
                dispatch,
                3,
                band.len() as u64,
            )
            .await?;
        out.as_mut()[band].copy_from_slice(&adjusted);
    }
    Ok(out)
}

/// Runs `kernel` in place on `rows` of the `width`-wide image held in
/// `held`, blending each pixel with its original by `coverage` (see
/// [`super::adjust_held_rows`]), one dispatch per band of at most
/// `max_band_bytes`; then reads those rows back, once. `blurred`, for the
/// blurs, holds the blur of those rows on the GPU.
#[allow(clippy::too_many_arguments)] // each is one thing the kernel reads
async fn per_pixel_held(
    gpu: &GpuContext,
    held: &wgpu::Buffer,
    width: u32,
    rows: Range<u32>,
    coverage: &GrayImage,
    kernel: Kernel<'_>,
    blurred: Option<&wgpu::Buffer>,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    let setup = Setup::new(gpu, &kernel, true);
    let aux = blurred
        .or(setup.fixed_aux.as_ref())
        .expect("a kernel without a fixed buffer reads a blur");
    let row_pixels = width as usize;
    for band in tiling::row_bands(rows.len() as u32, row_pixels as u64 * 4, max_band_bytes) {
        let first = (rows.start + band.start) * width;
        let pixels = (band.end - band.start) * width;
        let (params, dispatch) = setup.params(first, band.start * width, pixels);
        let params = gpu.uniform_buffer("adjust params", bytemuck::bytes_of(&params));
        let local = band.start as usize * row_pixels..band.end as usize * row_pixels;
        let coverage = gpu.storage_buffer("coverage", &coverage.as_raw()[local]);
        gpu.run(&[(
            &setup.pipeline,
            Dispatch {
                buffers: &[&params, &coverage, aux, held],
                workgroups: dispatch,
            },
        )])
        .await?;
    }
    let row_bytes = u64::from(width) * 4;
    let height = rows.len() as u32;
    let bytes = gpu
        .read_buffer(
            held,
            u64::from(rows.start) * row_bytes,
            u64::from(height) * row_bytes,
        )
        .await?;
    Ok(RgbaImage::from_raw(width, height, bytes).expect("the rows read back whole"))
}

async fn blur(engine: &Engine, image: &RgbaImage, sigma: f32) -> Result<RgbaImage> {
    let (planes, premultiplied) = cpu::planes_to_blur(image);
    let mut blurred: [GrayImage; 4] = Default::default();
    for (out, plane) in blurred.iter_mut().zip(&planes) {
        *out = feather::gaussian_plane(engine, plane, sigma).await?;
    }
    Ok(cpu::merge_blurred(&blurred, premultiplied))
}

async fn unsharp(
    engine: &Engine,
    gpu: &GpuContext,
    image: &RgbaImage,
    u: &UnsharpMask,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    let blurred = blur(engine, image, u.radius).await?;
    per_pixel(
        gpu,
        image,
        Kernel::unsharp(u),
        Some(&blurred),
        max_band_bytes,
    )
    .await
}

/// The adjustment on `gpu` (the engine's), per-pixel kernels in bands of at
/// most `max_band_bytes`.
pub(super) async fn adjust(
    engine: &Engine,
    gpu: &GpuContext,
    image: &RgbaImage,
    adjustment: &Adjustment,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    if image.width() == 0 || image.height() == 0 {
        return Ok(image.clone());
    }
    let tables = cpu::channel_tables(adjustment);
    if let Some(kernel) = per_pixel_kernel(adjustment, tables.as_ref()) {
        return per_pixel(gpu, image, kernel, None, max_band_bytes).await;
    }
    match adjustment {
        Adjustment::GaussianBlur(g) => blur(engine, image, g.sigma).await,
        Adjustment::UnsharpMask(u) => unsharp(engine, gpu, image, u, max_band_bytes).await,
        _ => unreachable!("the other adjustments are per pixel"),
    }
}

/// The kernel that makes `adjustment` pixel by pixel (`tables`: its
/// channel tables, when it is tonal); `None` for the blurs, which read
/// neighbours.
fn per_pixel_kernel<'a>(
    adjustment: &Adjustment,
    tables: Option<&'a ChannelTables>,
) -> Option<Kernel<'a>> {
    if let Some(tables) = tables {
        return Some(Kernel::Tables(tables));
    }
    match adjustment {
        Adjustment::HueSaturation(h) => Some(Kernel::HueSaturation([
            h.hue / 360.0,
            h.saturation / 100.0,
            h.lightness / 100.0,
            0.0,
        ])),
        Adjustment::ColorBalance(c) => Some(Kernel::ColorBalance {
            shifts: cpu::balance_shifts(c),
            preserve: c.preserve_luminosity,
        }),
        _ => None,
    }
}

/// `adjustment` in place on held rows of a `width`×`height` image (see
/// [`super::adjust_held_rows`]); the caller checked
/// [`super::can_adjust_held`].
#[allow(clippy::too_many_arguments)] // each is one thing the kernels read
pub(super) async fn adjust_held(
    gpu: &GpuContext,
    held: &wgpu::Buffer,
    (width, height): (u32, u32),
    rows: Range<u32>,
    coverage: &GrayImage,
    adjustment: &Adjustment,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    let tables = cpu::channel_tables(adjustment);
    let (kernel, blurred) = match per_pixel_kernel(adjustment, tables.as_ref()) {
        Some(kernel) => (kernel, None),
        None => {
            let (sigma, kernel) = match adjustment {
                Adjustment::GaussianBlur(g) => (g.sigma, Kernel::Blurred),
                Adjustment::UnsharpMask(u) => (u.radius, Kernel::unsharp(u)),
                _ => unreachable!("the other adjustments are per pixel"),
            };
            let around = super::held_blur_rows(adjustment, height, &rows);
            let blurred = blur_held_rows(gpu, held, width, around, rows.clone(), sigma).await?;
            (kernel, Some(blurred))
        }
    };
    let blurred = blurred.as_ref();
    per_pixel_held(
        gpu,
        held,
        width,
        rows,
        coverage,
        kernel,
        blurred,
        max_band_bytes,
    )
    .await
}

/// The blur of `rows` of the `width`-wide image held in `held`, made on the
/// GPU from rows `around` (those and the blur's reach) in one submission,
/// premultiplied by alpha (`unpremultiplied` in adjust.wgsl divides it
/// back): each channel is split into an f32 plane, blurred with the
/// feather's Gaussian of `sigma` and rounded into its byte of the result,
/// as the path that uploads the image does it plane by plane. Nothing is
/// uploaded but uniforms.
async fn blur_held_rows(
    gpu: &GpuContext,
    held: &wgpu::Buffer,
    width: u32,
    around: Range<u32>,
    rows: Range<u32>,
    sigma: f32,
) -> Result<wgpu::Buffer> {
    let samples = around.len() as u32 * width;
    let pixels = rows.len() as u32 * width;
    let plane = gpu.scratch_buffer("blur plane", u64::from(samples) * 4);
    let scratch = gpu.scratch_buffer("blur scratch", u64::from(samples) * 4);
    let blurred = gpu.scratch_buffer("blurred rows", u64::from(pixels) * 4);
    let gaussian = feather::HeldPlaneBlur::new(gpu, width, around.len() as u32, sigma);
    let passes = gaussian.passes(&plane, &scratch);
    let split = gpu.pipeline("adjust.split_channel", PLANES_SHADER, "split_channel");
    let quantize = gpu.pipeline("adjust.quantize_channel", PLANES_SHADER, "quantize_channel");
    let (split_row, split_groups) = dispatch_of(samples);
    let (quantize_row, quantize_groups) = dispatch_of(pixels);
    let uniforms: Vec<[wgpu::Buffer; 2]> = (0..4)
        .map(|channel| {
            let split = PlaneParams {
                pixels: samples,
                words_per_row: split_row,
                channel,
                first: around.start * width,
            };
            let quantize = PlaneParams {
                pixels,
                words_per_row: quantize_row,
                channel,
                first: (rows.start - around.start) * width,
            };
            [split, quantize].map(|p| gpu.uniform_buffer("planes params", bytemuck::bytes_of(&p)))
        })
        .collect();
    let bindings: Vec<[[&wgpu::Buffer; 3]; 2]> = uniforms
        .iter()
        .map(|[split, quantize]| [[split, held, &plane], [quantize, &plane, &blurred]])
        .collect();
    let mut steps = Vec::new();
    for [split_buffers, quantize_buffers] in &bindings {
        let split_step = Dispatch {
            buffers: split_buffers,
            workgroups: split_groups,
        };
        steps.push((&split, split_step));
        for (buffers, workgroups) in &passes {
            let pass = Dispatch {
                buffers,
                workgroups: *workgroups,
            };
            steps.push((gaussian.pipeline(), pass));
        }
        let quantize_step = Dispatch {
            buffers: quantize_buffers,
            workgroups: quantize_groups,
        };
        steps.push((&quantize, quantize_step));
    }
    gpu.run(&steps).await?;
    Ok(blurred)
}
