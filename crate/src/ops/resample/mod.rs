//! Resampling: resize an image to any size with a choice of filters, and an
//! edge-adaptive upscaler for enlarging provider drafts.
//!
//! **Filters.** Nearest, bilinear, bicubic (Catmull-Rom), Mitchell-Netravali
//! and Lanczos3 are separable convolutions with precomputed weights (see
//! [`kernel`] for the conventions, which are Pillow's). When shrinking, the
//! kernel is widened by the scale factor, so downscales are antialiased.
//! [`Filter::Edge`] is the upscaler for drafts (see `edge.rs`): Lanczos3,
//! iterative back-projection against the source, then contrast-adaptive
//! sharpening; it only enlarges.
//!
//! **Alpha and colour.** Filtering happens on premultiplied values, so a
//! transparent pixel's colour never bleeds into its neighbours (no dark
//! fringes around cut-outs). Values are gamma-encoded sRGB by default, what
//! Photoshop and browsers do; `linear_light` filters linear-light values
//! instead, which keeps fine bright detail from darkening when shrinking.
//!
//! **Precision.** Opaque sRGB images (and nearest, which never mixes pixels)
//! are filtered as 8-bit values with an 8-bit intermediate between the two
//! passes, exactly like Pillow; everything else goes through 16-bit
//! premultiplied values. Both backends follow the same steps. The contract
//! against the CPU is ±1 per channel, tiled or not, with one exception: on a
//! hardware GPU the 8-bit path may differ by 2 where the 8-bit intermediate
//! sits on a rounding boundary (the GPU's fused multiply-adds round it the
//! other way and the second pass amplifies that by the filter's gain; seen
//! once, on an NVIDIA H100). BENCHMARKS.md ("Resampling parity") records
//! which adapters the differences were measured on.
//!
//! The edge filter's start is always 16-bit (see `edge.rs`), and its
//! back-projection and sharpening run in the same f32 order on both
//! backends, so from each backend's own start the two agree within ±1.
//! Nearly transparent pixels are the exception for every 16-bit filter:
//! unpremultiplying at alpha 1/255 multiplies a difference of a unit or two
//! in the 16-bit premultiplied value by 255, so their straight colour may
//! differ by more; their premultiplied colour does not (see the tests).
//!
//! **Backends.** The CPU path is fast_image_resize's SIMD convolution (AVX2,
//! SSE4.1, NEON, wasm SIMD128); the GPU path is `resample.wgsl` (and
//! `edge.wgsl` after it for the edge filter), tiled so that any output
//! within [`image_io::MAX_SIDE`] and [`image_io::MAX_PIXELS`] fits WebGPU's
//! default buffer limits, with tiles equal to the untiled result. Edge
//! enlargements of a few hundred times, whose tiles' halos alone exceed a
//! buffer, run on the CPU.

mod cpu;
mod edge;
mod gpu;
mod kernel;
#[cfg(test)]
mod tests;

use crate::engine::Engine;
use crate::{image_io, memory, Error, Result};
use image::{GrayImage, Luma, Rgba, RgbaImage};

/// A resampling filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filter {
    Nearest,
    Bilinear,
    /// Bicubic, Keys' a = −0.5.
    CatmullRom,
    /// Bicubic, B = C = 1/3: softer than Catmull-Rom, almost no ringing.
    Mitchell,
    Lanczos3,
    /// The edge-adaptive upscaler with contrast-adaptive sharpening.
    Edge,
}

impl Filter {
    /// Every filter, in the order the CLI and the manifest list them.
    pub const ALL: [Filter; 6] = [
        Filter::Nearest,
        Filter::Bilinear,
        Filter::CatmullRom,
        Filter::Mitchell,
        Filter::Lanczos3,
        Filter::Edge,
    ];

    /// The CLI and manifest name.
    pub fn name(self) -> &'static str {
        match self {
            Filter::Nearest => "nearest",
            Filter::Bilinear => "bilinear",
            Filter::CatmullRom => "bicubic",
            Filter::Mitchell => "mitchell",
            Filter::Lanczos3 => "lanczos3",
            Filter::Edge => "edge",
        }
    }

    /// Parses a CLI/manifest name; the error lists the valid names.
    pub fn from_name(name: &str) -> Result<Filter> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                Error::param(
                    "filter",
                    format!(
                        "unknown filter '{name}'; valid filters: {}",
                        valid.join(", ")
                    ),
                )
            })
    }
}

/// The edge filter's default sharpness. In the quality benchmark
/// (tests/quality/RESULTS.md) 0.1 ties 0 for the best PSNR at ×2 (and is
/// within 0.01 dB of the best at ×4) with a higher SSIM; 0.25 costs 0.11 dB
/// at ×2 and 0.5 is barely above Lanczos3, so more is a look to ask for,
/// not a better reconstruction.
pub const DEFAULT_SHARPNESS: f32 = 0.1;

/// What to resize to, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResizeOptions {
    pub width: u32,
    pub height: u32,
    pub filter: Filter,
    /// Filter linear-light values instead of gamma-encoded ones.
    pub linear_light: bool,
    /// Edge filter only: 0 (no sharpening) to 1.
    pub sharpness: f32,
}

impl ResizeOptions {
    /// Lanczos3 to `width`×`height`, in sRGB.
    pub fn new(width: u32, height: u32) -> ResizeOptions {
        ResizeOptions {
            width,
            height,
            filter: Filter::Lanczos3,
            linear_light: false,
            sharpness: DEFAULT_SHARPNESS,
        }
    }
}

/// The size of `width`×`height` scaled by `scale`, rounded to whole pixels
/// (at least 1), checked against the output limits.
pub fn scaled_size(width: u32, height: u32, scale: f64) -> Result<(u32, u32)> {
    if !scale.is_finite() || scale <= 0.0 {
        return Err(Error::param(
            "scale",
            format!("{scale} is not a positive number"),
        ));
    }
    let side = |v: u32| (f64::from(v) * scale).round().max(1.0);
    let (w, h) = (side(width), side(height));
    let limit = f64::from(image_io::MAX_SIDE);
    if w > limit || h > limit {
        return Err(too_large(w, h));
    }
    Ok((w as u32, h as u32))
}

fn too_large(w: f64, h: f64) -> Error {
    Error::TooLarge(format!(
        "the output would be {w}×{h}; the limit is {} px per side and {} MP",
        image_io::MAX_SIDE,
        image_io::MAX_PIXELS / 1_000_000
    ))
}

/// Checks an output size: at least 1 px, at most [`image_io::MAX_SIDE`] per
/// side and [`image_io::MAX_PIXELS`] in all.
pub fn check_output_size(w: u32, h: u32) -> Result<()> {
    if w == 0 || h == 0 {
        return Err(Error::param(
            "size",
            format!("{w}×{h} is empty; width and height must be at least 1"),
        ));
    }
    if w > image_io::MAX_SIDE
        || h > image_io::MAX_SIDE
        || u64::from(w) * u64::from(h) > image_io::MAX_PIXELS
    {
        return Err(too_large(f64::from(w), f64::from(h)));
    }
    Ok(())
}

/// Checks the options for a `src_width`×`src_height` source before anything
/// is allocated; callers may run it early (before opening a GPU, say).
pub fn validate(src_width: u32, src_height: u32, options: &ResizeOptions) -> Result<()> {
    let (w, h) = (options.width, options.height);
    check_output_size(w, h)?;
    image_io::check_dimensions(src_width, src_height)?;
    if !options.sharpness.is_finite() || !(0.0..=1.0).contains(&options.sharpness) {
        return Err(Error::param(
            "sharpness",
            format!("{} is outside 0 to 1", options.sharpness),
        ));
    }
    if options.filter == Filter::Edge && (w < src_width || h < src_height) {
        return Err(Error::param(
            "filter",
            format!(
                "the edge filter only enlarges, but {src_width}×{src_height} → {w}×{h} shrinks; \
                 use lanczos3 to shrink"
            ),
        ));
    }
    Ok(())
}

/// The peak memory of a convolution resize from `from` to `to` besides the
/// source: the 16-bit rows narrowed to the new width, the 16-bit result and
/// the 8-bit result (see `cpu::convolve16_in_strips`; the 8-bit path of
/// opaque images needs less). The edge upscaler also holds its source in
/// 16 bits and as f32 while it refines tile by tile (a tile's buffers are
/// a few MiB per core).
pub fn peak_memory(from: (u32, u32), to: (u32, u32), filter: Filter) -> u64 {
    if from == to {
        return 0;
    }
    let narrowed = if to.0 == from.0 {
        memory::rgba8(from.0, from.1) * 2
    } else {
        memory::rgba8(to.0, from.1) * 2
    };
    let result16 = memory::rgba8(to.0, to.1) * 2;
    let convolution = result16 + narrowed.max(memory::rgba8(to.0, to.1));
    match filter {
        Filter::Edge => convolution + memory::rgba8(from.0, from.1) * 6,
        _ => convolution,
    }
}

/// The peak memory of resizing `src` with `options`, besides the source:
/// [`peak_memory`], except on the 8-bit path (opaque sRGB images, nearest),
/// which holds only the result and fast_image_resize's intermediate pass.
/// Image Size ×16 of an opaque 1024² photo needs 1.1 GiB, not 3: within the
/// page's budget.
pub fn peak_memory_of(src: &RgbaImage, options: &ResizeOptions) -> u64 {
    let from = src.dimensions();
    let to = (options.width, options.height);
    if from == to {
        return 0;
    }
    match (options.filter, cpu::Precision::for_image(src, options)) {
        (Filter::Edge, _) | (_, cpu::Precision::U16) => peak_memory(from, to, options.filter),
        (_, cpu::Precision::U8) => {
            let intermediate = memory::rgba8(to.0, from.1).max(memory::rgba8(from.0, to.1));
            memory::rgba8(to.0, to.1) + intermediate
        }
    }
}

/// Refuses a resize whose source and [`peak_memory_of`] would pass the budget.
fn check_memory(src: &RgbaImage, options: &ResizeOptions) -> Result<()> {
    let (w, h) = src.dimensions();
    let to = (options.width, options.height);
    memory::check(
        &format!("resizing {w}×{h} to {}×{}", to.0, to.1),
        memory::rgba8(w, h) + peak_memory_of(src, options),
    )
}

/// Resizes `src` on the CPU.
pub fn resize_cpu(src: &RgbaImage, options: &ResizeOptions) -> Result<RgbaImage> {
    validate(src.width(), src.height(), options)?;
    check_memory(src, options)?;
    Ok(match options.filter {
        Filter::Edge => edge::upscale(src, options),
        _ => cpu::convolve(src, options),
    })
}

/// A convolution resize of a source handed over a band of whole rows at a
/// time, top to bottom, so the source is never held whole: how saving and
/// exporting resize a document's composite, which they make band by band.
/// Always on 16-bit premultiplied values (see `cpu::StripResize`), so an
/// opaque source, which [`resize_cpu`] takes through its 8-bit path, may
/// differ from that by one level. Its peak besides the bands is
/// [`peak_memory`], which the caller checks with what it holds.
pub struct BandedResize(cpu::StripResize);

impl BandedResize {
    /// Refuses bad sizes and the filters that do not convolve (nearest,
    /// edge) before allocating anything.
    pub fn new(source: (u32, u32), options: &ResizeOptions) -> Result<BandedResize> {
        validate(source.0, source.1, options)?;
        if matches!(options.filter, Filter::Nearest | Filter::Edge) {
            return Err(Error::param(
                "filter",
                format!(
                    "{} cannot resize band by band; use a convolution filter such as lanczos3",
                    options.filter.name()
                ),
            ));
        }
        Ok(BandedResize(cpu::StripResize::new(
            source.0, source.1, options,
        )))
    }

    /// The next whole rows of straight-alpha RGBA8 source pixels.
    pub fn push_rows(&mut self, rows: &[u8]) {
        self.0.push(rows);
    }

    /// The resized image, once every source row was pushed.
    pub fn finish(self) -> RgbaImage {
        self.0.finish()
    }
}

/// Resizes `src` on the engine's backend; `src` is not modified.
pub async fn resize(
    engine: &Engine,
    src: &RgbaImage,
    options: &ResizeOptions,
) -> Result<RgbaImage> {
    validate(src.width(), src.height(), options)?;
    check_memory(src, options)?;
    match engine.gpu() {
        Some(gpu) => resize_on_gpu(gpu, src, options, gpu::Limits::of(gpu)).await,
        None => resize_cpu(src, options),
    }
}

/// Resizes on the GPU within `limits`. The edge upscaler's tiles carry a
/// halo of several source pixels' footprints, so at enlargements of a few
/// hundred times not even one output pixel's window fits a buffer; those
/// run on the CPU instead of failing.
async fn resize_on_gpu(
    gpu: &crate::engine::GpuContext,
    src: &RgbaImage,
    options: &ResizeOptions,
    limits: gpu::Limits,
) -> Result<RgbaImage> {
    match gpu::resize(gpu, src, options, limits).await {
        Err(Error::TooLarge(_)) if options.filter == Filter::Edge => resize_cpu(src, options),
        result => result,
    }
}

/// Resizes 8-bit coverage (a mask or a selection) to `width`×`height`,
/// bilinearly (antialiased when shrinking): a ringing filter (Lanczos3, the
/// edge upscaler's sharpening) would leave faint coverage around a hard edge,
/// which shows as a halo. Runs as an opaque grey image, so it takes the
/// exact 8-bit path on both backends.
pub async fn resize_coverage(
    engine: &Engine,
    coverage: &GrayImage,
    width: u32,
    height: u32,
) -> Result<GrayImage> {
    let grey = RgbaImage::from_fn(coverage.width(), coverage.height(), |x, y| {
        let v = coverage.get_pixel(x, y)[0];
        Rgba([v, v, v, 255])
    });
    let options = ResizeOptions {
        filter: Filter::Bilinear,
        ..ResizeOptions::new(width, height)
    };
    let resized = resize(engine, &grey, &options).await?;
    Ok(GrayImage::from_fn(width, height, |x, y| {
        Luma([resized.get_pixel(x, y)[0]])
    }))
}
