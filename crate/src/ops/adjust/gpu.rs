//! GPU driver of the adjustments: the per-pixel kernels of adjust.wgsl on
//! row bands sized to the binding limit; the blurs run the feather's GPU
//! Gaussian on each channel.

use super::cpu::{self, ChannelTables};
use super::{Adjustment, UnsharpMask};
use crate::engine::{tiling, Engine, GpuContext};
use crate::ops::feather;
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::{GrayImage, RgbaImage};

const SHADER: &str = include_str!("adjust.wgsl");
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
    pad: u32,
    values: [[f32; 4]; 3],
}

/// Which kernel of adjust.wgsl runs, with what it reads besides the image.
pub(super) enum Kernel<'a> {
    Tables(&'a ChannelTables),
    HueSaturation([f32; 4]),
    ColorBalance {
        shifts: [[f32; 3]; 3],
        preserve: bool,
    },
    Unsharp {
        blurred: &'a RgbaImage,
        gain: f32,
        threshold: f32,
    },
}

pub(super) async fn per_pixel(
    gpu: &GpuContext,
    image: &RgbaImage,
    kernel: Kernel<'_>,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    let (key, entry) = match kernel {
        Kernel::Tables(_) => ("adjust.tables", "tables"),
        Kernel::HueSaturation(_) => ("adjust.hue_saturation", "hue_saturation"),
        Kernel::ColorBalance { .. } => ("adjust.color_balance", "color_balance"),
        Kernel::Unsharp { .. } => ("adjust.unsharp", "unsharp"),
    };
    let pipeline = gpu.pipeline(key, SHADER, entry);
    let mut values = [[0.0; 4]; 3];
    let mut flag = 0;
    let mut table_bytes = Vec::new();
    match &kernel {
        Kernel::Tables(tables) => {
            table_bytes = tables
                .iter()
                .flatten()
                .flat_map(|&v| u32::from(v).to_le_bytes())
                .collect();
        }
        Kernel::HueSaturation(v) => values[0] = *v,
        Kernel::ColorBalance { shifts, preserve } => {
            for (slot, shift) in values.iter_mut().zip(shifts) {
                *slot = [shift[0], shift[1], shift[2], 0.0];
            }
            flag = u32::from(*preserve);
        }
        Kernel::Unsharp {
            gain, threshold, ..
        } => values[0] = [*gain, *threshold, 0.0, 0.0],
    }
    let fixed_aux = match &kernel {
        Kernel::Tables(_) => Some(gpu.storage_buffer("adjust tables", &table_bytes)),
        Kernel::Unsharp { .. } => None,
        _ => Some(gpu.storage_buffer("adjust unused", &[0; 4])),
    };
    let width = image.width() as usize;
    let mut out = RgbaImage::new(image.width(), image.height());
    for rows in tiling::row_bands(image.height(), width as u64 * 4, max_band_bytes) {
        let band = rows.start as usize * width * 4..rows.end as usize * width * 4;
        let pixels = (band.len() / 4) as u32;
        let groups = pixels.div_ceil(WORKGROUP);
        let params = GpuParams {
            pixels,
            words_per_row: GROUPS_PER_ROW.min(groups) * WORKGROUP,
            flag,
            pad: 0,
            values,
        };
        let aux = match (&kernel, &fixed_aux) {
            (Kernel::Unsharp { blurred, .. }, _) => {
                gpu.storage_buffer("blurred", &blurred.as_raw()[band.clone()])
            }
            (_, Some(buffer)) => buffer.clone(),
            (_, None) => unreachable!("every other kernel has a fixed buffer"),
        };
        let buffers = [
            gpu.uniform_buffer("adjust params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("image", &image.as_raw()[band.clone()]),
            aux,
            gpu.storage_buffer("adjusted", &vec![0; band.len()]),
        ];
        let dispatch = (
            GROUPS_PER_ROW.min(groups),
            groups.div_ceil(GROUPS_PER_ROW),
            1,
        );
        let adjusted = gpu
            .dispatch_and_read(
                &pipeline,
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
    let kernel = Kernel::Unsharp {
        blurred: &blurred,
        gain: u.amount / 100.0,
        threshold: u.threshold,
    };
    per_pixel(gpu, image, kernel, max_band_bytes).await
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
    if let Some(tables) = cpu::channel_tables(adjustment) {
        return per_pixel(gpu, image, Kernel::Tables(&tables), max_band_bytes).await;
    }
    match adjustment {
        Adjustment::HueSaturation(h) => {
            let values = [
                h.hue / 360.0,
                h.saturation / 100.0,
                h.lightness / 100.0,
                0.0,
            ];
            per_pixel(gpu, image, Kernel::HueSaturation(values), max_band_bytes).await
        }
        Adjustment::ColorBalance(c) => {
            let kernel = Kernel::ColorBalance {
                shifts: cpu::balance_shifts(c),
                preserve: c.preserve_luminosity,
            };
            per_pixel(gpu, image, kernel, max_band_bytes).await
        }
        Adjustment::GaussianBlur(g) => blur(engine, image, g.sigma).await,
        Adjustment::UnsharpMask(u) => unsharp(engine, gpu, image, u, max_band_bytes).await,
        Adjustment::Levels(_) | Adjustment::Curves(_) | Adjustment::BrightnessContrast(_) => {
            unreachable!("tonal adjustments are tables")
        }
    }
}
