//! AI upscaling offline: ESRGAN-family super-resolution networks (the
//! residual dense networks UpscalerJS ships as `@upscalerjs/esrgan-slim`
//! and `-medium`, and the residual-in-residual dense network of
//! `-thick`, MIT) run from converted weights, no network at run time.
//!
//! **Weights.** `convert.rs` reads a TensorFlow.js layers model (topology +
//! shards) into a [`Network`]; `model.rs` stores it as a `.rtnet` file (f16
//! by default) and reads it back, checking it. The graph is data: layers,
//! their inputs, kernel sizes and channel counts, so another scale or size
//! of network loads the same way. `./build.sh build` converts the slim,
//! medium and thick networks for ×2, ×3 and ×4 into `web/pkg/models/`.
//!
//! **Running.** `cpu.rs` interprets the graph (3×3, 5×5 and 1×1
//! convolutions with bias, ReLU, concatenation, addition, scaling, nearest
//! upsampling, depth to space), multi-threaded by row bands natively.
//! Images are cut into tiles of at least [`TILE`] source pixels (twice the
//! halo where that is larger; one tile where the image fits a tile's
//! window), each run with a halo of the network's
//! receptive field ([`Network::halo`]) so a tile's core is exactly what the
//! whole image would give: memory stays bounded (a tile's feature maps, see
//! [`peak_memory`]) for any output up to the 16384 px limit, and tiled =
//! untiled bit for bit.
//!
//! **Colour and alpha.** The network upscales the straight RGB; alpha, which
//! it was never trained on, goes through the edge upscaler
//! ([`resample::Filter::Edge`]) and is put beside it. Opaque images skip it.

mod convert;
mod cpu;
mod gpu;
mod model;
#[cfg(test)]
mod tests;

pub use convert::from_tfjs;
pub use model::{f16_to_f32, f32_to_f16, Activation, ConvWeights, Layer, Network, Op, Precision};

use crate::engine::{Engine, GpuContext};
use crate::ops::resample::{self, Filter, ResizeOptions};
use crate::{image_io, memory, Result};
use image::RgbaImage;
use std::borrow::Borrow;

/// The smallest tile side in source pixels. With the medium network's halo
/// of 18 px a 128 px tile computes 1.64× its pixels and holds about 80 MB
/// of feature maps (the CPU memory estimate names the exact figure).
pub const TILE: usize = 128;

/// A network ready to run.
#[derive(Debug)]
pub struct Upscaler {
    network: Network,
    convs: Vec<Option<cpu::PreparedConv>>,
    tile: usize,
}

impl Upscaler {
    pub fn new(network: Network) -> Upscaler {
        let convs = cpu::prepare(&network);
        // Every tile recomputes its halo on each side, so a network whose
        // receptive field is wide (thick's 154 px against slim's 10) gets
        // tiles of at least twice it: about four times a tile's pixels
        // computed instead of twelve at 128 px.
        let tile = TILE.max((2 * network.halo()).next_multiple_of(16));
        Upscaler {
            network,
            convs,
            tile,
        }
    }

    /// The tile side, in source pixels, the network runs at on the CPU
    /// (and at most on the GPU): [`TILE`], or twice the halo if larger.
    pub fn tile(&self) -> usize {
        self.tile
    }

    /// Reads a `.rtnet` file's bytes (`file` names it in errors).
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Upscaler> {
        Ok(Upscaler::new(Network::from_bytes(bytes, file)?))
    }

    /// The enlargement factor.
    pub fn scale(&self) -> u32 {
        self.network.scale as u32
    }

    pub fn network(&self) -> &Network {
        &self.network
    }
}

/// The output size, checked against the image limits.
pub fn output_size(upscaler: &Upscaler, width: u32, height: u32) -> Result<(u32, u32)> {
    let s = u64::from(upscaler.scale());
    let (w, h) = (u64::from(width) * s, u64::from(height) * s);
    let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    resample::check_output_size(clamp(w), clamp(h))?;
    Ok((clamp(w), clamp(h)))
}

/// Peak memory of [`upscale`] besides the source: the output, the alpha
/// upscale of a translucent image, and one tile's feature maps.
pub fn peak_memory(upscaler: &Upscaler, src: &RgbaImage, tile: usize) -> u64 {
    let s = upscaler.scale();
    let out = memory::rgba8(src.width() * s, src.height() * s);
    let alpha = if is_opaque(src) {
        0
    } else {
        resample::peak_memory(
            src.dimensions(),
            (src.width() * s, src.height() * s),
            Filter::Edge,
        ) + out
    };
    out + alpha + cpu::tile_bytes(&upscaler.network, tile + 2 * upscaler.network.halo())
}

fn is_opaque(src: &RgbaImage) -> bool {
    src.pixels().all(|p| p[3] == 255)
}

/// Upscales `src` by the network's factor on the CPU, in tiles of
/// [`Upscaler::tile`] (one tile where the image fits a tile's window).
pub fn upscale(upscaler: &Upscaler, src: &RgbaImage) -> Result<RgbaImage> {
    upscale_tiled(
        upscaler,
        src,
        tile_for(upscaler.tile, upscaler.network.halo(), src),
    )
}

/// `tile`, or the whole image as one tile where its longer side fits the
/// window a tile runs in anyway (the tile and its halo): no more memory,
/// and no halo computed twice (thick's 154 px halo made a 512² image cost
/// 2.6 times its pixels in 320 px tiles).
fn tile_for(tile: usize, halo: usize, src: &RgbaImage) -> usize {
    let side = src.width().max(src.height()) as usize;
    if side <= tile + 2 * halo {
        side
    } else {
        tile
    }
}

/// [`upscale`] with tiles of `tile` source pixels (the result is the same
/// for every tile size).
pub fn upscale_tiled(upscaler: &Upscaler, src: &RgbaImage, tile: usize) -> Result<RgbaImage> {
    upscale_with_halo(upscaler, src, tile, upscaler.network.halo())
}

/// The tiled run with a given halo (the tests show one pixel less is not exact).
fn upscale_with_halo(
    upscaler: &Upscaler,
    src: &RgbaImage,
    tile: usize,
    halo: usize,
) -> Result<RgbaImage> {
    let mut job = UpscaleJob::with_tiles(upscaler, src.clone(), tile, halo)?;
    while job.step() {}
    job.finish()
}

/// A network's weights uploaded to a GPU, and the tile side its feature
/// maps fit the device's buffers at ([`Upscaler::tile`], halved until they
/// fit).
pub struct GpuUpscaler {
    network: gpu::GpuNetwork,
    tile: usize,
}

impl GpuUpscaler {
    pub fn new(gpu: &GpuContext, upscaler: &Upscaler) -> GpuUpscaler {
        let network = &upscaler.network;
        let mut tile = upscaler.tile;
        while tile > 1
            && gpu::largest_map_bytes(network, tile + 2 * network.halo()) > gpu.max_binding_bytes()
        {
            tile /= 2;
        }
        GpuUpscaler {
            network: gpu::GpuNetwork::new(gpu, network),
            tile,
        }
    }
}

/// Upscales `src` on the engine's backend: on the GPU tile by tile (each
/// tile's layers in one submission, see `gpu.rs`), else [`upscale`].
pub async fn upscale_on(
    engine: &Engine,
    upscaler: &Upscaler,
    src: &RgbaImage,
) -> Result<RgbaImage> {
    match engine.gpu() {
        Some(gpu) => {
            let weights = GpuUpscaler::new(gpu, upscaler);
            let tile = tile_for(weights.tile, upscaler.network.halo(), src);
            upscale_on_gpu(gpu, &weights, upscaler, src, tile).await
        }
        None => upscale(upscaler, src),
    }
}

/// The GPU run with tiles of `tile` source pixels.
async fn upscale_on_gpu(
    gpu: &GpuContext,
    weights: &GpuUpscaler,
    upscaler: &Upscaler,
    src: &RgbaImage,
    tile: usize,
) -> Result<RgbaImage> {
    let halo = upscaler.network.halo();
    let mut job = UpscaleJob::with_tiles(upscaler, src.clone(), tile, halo)?;
    while job.step_on_gpu(gpu, weights).await? {}
    job.finish()
}

/// The names the shipped networks go by: `slim` (fast), `medium` and
/// `thick` (the largest, an RRDN: ten times medium's work per pixel).
pub const MODELS: [&str; 3] = ["slim", "medium", "thick"];

/// The file name of a shipped network, `esrgan-<model>-x<scale>.rtnet`
/// (`./build.sh build` writes them), after checking that the network exists:
/// `model` one of [`MODELS`], `scale` 2, 3 or 4.
pub fn model_file(model: &str, scale: f64) -> Result<String> {
    if !MODELS.contains(&model) {
        return Err(crate::Error::param(
            "model",
            format!(
                "unknown model '{model}'; valid models: {}",
                MODELS.join(", ")
            ),
        ));
    }
    if ![2.0, 3.0, 4.0].contains(&scale) {
        return Err(crate::Error::param(
            "scale",
            format!("{scale} is not available for esrgan; the networks enlarge ×2, ×3 or ×4"),
        ));
    }
    Ok(format!("esrgan-{model}-x{scale}.rtnet"))
}

/// An upscale run one tile at a time, so a caller (the page) can report
/// progress and stop between tiles: [`UpscaleJob::step`] runs the next
/// tile, [`UpscaleJob::finish`] hands the image over. The result is
/// [`upscale`]'s, bit for bit. `U` is how the job holds the network (a
/// reference, or a shared handle where the job outlives a borrow).
pub struct UpscaleJob<U: Borrow<Upscaler>> {
    upscaler: U,
    src: RgbaImage,
    /// None once [`UpscaleJob::finish`] handed it over.
    out: Option<RgbaImage>,
    tile: usize,
    halo: usize,
    columns: usize,
    total: usize,
    done: usize,
}

/// Where a tile lies, in source pixels: its core `tx..x1 × ty..y1` and
/// the corner of its window (the core with the halo, inside the image).
#[derive(Clone, Copy)]
struct TileWindow {
    tx: usize,
    ty: usize,
    x1: usize,
    y1: usize,
    wx0: usize,
    wy0: usize,
}

impl<U: Borrow<Upscaler>> UpscaleJob<U> {
    /// Checks the sizes and the memory, and upscales alpha (a translucent
    /// image's, through the edge upscaler) before the first tile.
    pub fn new(upscaler: U, src: RgbaImage) -> Result<UpscaleJob<U>> {
        let halo = upscaler.borrow().network.halo();
        let tile = tile_for(upscaler.borrow().tile, halo, &src);
        UpscaleJob::with_tiles(upscaler, src, tile, halo)
    }

    /// [`new`](UpscaleJob::new) with the tiles `weights` fit the GPU at, for
    /// [`step_on_gpu`](UpscaleJob::step_on_gpu) (the same halo, so the same
    /// result as [`upscale_on`]).
    pub fn for_gpu(upscaler: U, src: RgbaImage, weights: &GpuUpscaler) -> Result<UpscaleJob<U>> {
        let halo = upscaler.borrow().network.halo();
        let tile = tile_for(weights.tile, halo, &src);
        UpscaleJob::with_tiles(upscaler, src, tile, halo)
    }

    fn with_tiles(upscaler: U, src: RgbaImage, tile: usize, halo: usize) -> Result<UpscaleJob<U>> {
        let net = upscaler.borrow();
        let (out_w, out_h) = output_size(net, src.width(), src.height())?;
        image_io::check_dimensions(src.width(), src.height())?;
        memory::check(
            &format!("upscaling {}×{} with ESRGAN", src.width(), src.height()),
            memory::rgba8(src.width(), src.height()) + peak_memory(net, &src, tile),
        )?;
        let out = if is_opaque(&src) {
            RgbaImage::from_pixel(out_w, out_h, image::Rgba([0, 0, 0, 255]))
        } else {
            // Alpha through the edge upscaler; the colour is written over it.
            resample::resize_cpu(
                &src,
                &ResizeOptions {
                    filter: Filter::Edge,
                    ..ResizeOptions::new(out_w, out_h)
                },
            )?
        };
        let tile = tile.max(1);
        let columns = (src.width() as usize).div_ceil(tile);
        let total = columns * (src.height() as usize).div_ceil(tile);
        Ok(UpscaleJob {
            upscaler,
            src,
            out: Some(out),
            tile,
            halo,
            columns,
            total,
            done: 0,
        })
    }

    /// How many tiles the image is cut into.
    pub fn total(&self) -> usize {
        self.total
    }

    /// How many tiles have run.
    pub fn done(&self) -> usize {
        self.done
    }

    /// The output's size.
    pub fn output_size(&self) -> (u32, u32) {
        let s = self.upscaler.borrow().scale();
        (self.src.width() * s, self.src.height() * s)
    }

    /// Runs the next tile on the CPU; returns whether tiles are left
    /// (false, doing nothing, once every tile has run).
    pub fn step(&mut self) -> bool {
        let Some((window, input)) = self.next_tile() else {
            return false;
        };
        let upscaler = self.upscaler.borrow();
        let result = cpu::run(&upscaler.network, &upscaler.convs, input);
        self.put_tile(&window, &result);
        self.done < self.total
    }

    /// [`step`](UpscaleJob::step) on the GPU `weights` were uploaded to
    /// (with [`GpuUpscaler::new`] from this job's network).
    pub async fn step_on_gpu(&mut self, gpu: &GpuContext, weights: &GpuUpscaler) -> Result<bool> {
        let Some((window, input)) = self.next_tile() else {
            return Ok(false);
        };
        let network = &self.upscaler.borrow().network;
        let result = weights.network.run(gpu, network, &input).await?;
        self.put_tile(&window, &result);
        Ok(self.done < self.total)
    }

    /// The next tile's window and its pixels as the network's input, or
    /// None when every tile has run (or the image was handed over).
    fn next_tile(&self) -> Option<(TileWindow, cpu::Map)> {
        if self.out.is_none() || self.done == self.total {
            return None;
        }
        let net = &self.upscaler.borrow().network;
        let (tile, halo) = (self.tile, self.halo);
        let (w, h) = (self.src.width() as usize, self.src.height() as usize);
        let to_input = net.input_range / 255.0;
        let (tx, ty) = (
            (self.done % self.columns) * tile,
            (self.done / self.columns) * tile,
        );
        let window = TileWindow {
            tx,
            ty,
            x1: (tx + tile).min(w),
            y1: (ty + tile).min(h),
            wx0: tx.saturating_sub(halo),
            wy0: ty.saturating_sub(halo),
        };
        let (wx1, wy1) = ((window.x1 + halo).min(w), (window.y1 + halo).min(h));
        let mut data = Vec::with_capacity((wx1 - window.wx0) * (wy1 - window.wy0) * 3);
        for y in window.wy0..wy1 {
            for x in window.wx0..wx1 {
                let p = self.src.get_pixel(x as u32, y as u32);
                data.extend([p[0], p[1], p[2]].map(|v| f32::from(v) * to_input));
            }
        }
        let input = cpu::Map {
            width: wx1 - window.wx0,
            height: wy1 - window.wy0,
            channels: 3,
            data,
        };
        Some((window, input))
    }

    /// Writes the core of a tile's network output (`result`, the window
    /// enlarged) into the image as 8-bit RGB, and counts the tile done.
    fn put_tile(&mut self, window: &TileWindow, result: &cpu::Map) {
        let net = &self.upscaler.borrow().network;
        let s = net.scale;
        let to_byte = 255.0 / net.output_range;
        let out = self.out.as_mut().expect("next_tile checked");
        let TileWindow {
            tx,
            ty,
            x1,
            y1,
            wx0,
            wy0,
        } = *window;
        for oy in (ty - wy0) * s..(y1 - wy0) * s {
            for ox in (tx - wx0) * s..(x1 - wx0) * s {
                let at = (oy * result.width + ox) * 3;
                let px = out.get_pixel_mut((wx0 * s + ox) as u32, (wy0 * s + oy) as u32);
                for c in 0..3 {
                    px[c] = (result.data[at + c] * to_byte).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        self.done += 1;
    }

    /// Hands the upscaled image over; an error naming how many tiles are
    /// left when called before the last [`step`](UpscaleJob::step), or when
    /// it was handed over already.
    pub fn finish(&mut self) -> Result<RgbaImage> {
        if self.done < self.total {
            return Err(crate::Error::param(
                "job",
                format!(
                    "the upscale is not finished: {} of {} tiles left",
                    self.total - self.done,
                    self.total
                ),
            ));
        }
        self.out.take().ok_or_else(|| {
            crate::Error::param("job", "the upscale has already handed over its image")
        })
    }
}
