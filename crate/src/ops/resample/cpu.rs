//! The CPU path of the convolution filters: fast_image_resize's SIMD
//! convolution, fed either the 8-bit pixels as they are (opaque sRGB, or
//! nearest) or 16-bit premultiplied values, and the conversions to and from
//! those 16-bit values. `resample.wgsl` mirrors the conversions step by step.

use super::kernel::AxisWeights;
use super::{Filter, ResizeOptions};
use fast_image_resize::{self as fir, FilterType, PixelType, ResizeAlg};
use image::RgbaImage;
use std::sync::OnceLock;

/// How pixels are represented while filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    /// The 8-bit pixels as they are: exact for opaque sRGB images, where
    /// premultiplying changes nothing, and for nearest, which never mixes.
    U8,
    /// 16-bit premultiplied values, sRGB or linear: no precision is lost to
    /// premultiplying translucent pixels or to the linear transfer curve.
    U16,
}

impl Precision {
    pub(crate) fn for_image(src: &RgbaImage, options: &ResizeOptions) -> Precision {
        let opaque = || src.pixels().all(|p| p.0[3] == 255);
        if options.filter == Filter::Nearest || (!options.linear_light && opaque()) {
            Precision::U8
        } else {
            Precision::U16
        }
    }
}

/// sRGB transfer function, encoded → linear, both 0 to 1.
pub(crate) fn srgb_to_linear(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// sRGB transfer function, linear → encoded, both 0 to 1.
pub(crate) fn linear_to_srgb(c: f64) -> f64 {
    if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// 8-bit sRGB → 16-bit linear.
fn to_linear16(c: u8) -> u16 {
    static TABLE: OnceLock<[u16; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|i| (srgb_to_linear(i as f64 / 255.0) * 65535.0).round() as u16)
    })[usize::from(c)]
}

/// 16-bit linear → 8-bit sRGB.
fn to_srgb8(c: u16) -> u8 {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|v| (linear_to_srgb(f64::from(v) / 65535.0) * 255.0).round() as u8)
            .collect()
    })[usize::from(c)]
}

/// Straight-alpha RGBA8 → premultiplied 16-bit RGBA (alpha scaled by 257).
pub(crate) fn to_premultiplied16(src: &RgbaImage, linear_light: bool) -> Vec<u16> {
    rows_to_premultiplied16(src.as_raw(), linear_light)
}

/// [`to_premultiplied16`] of whole rows of RGBA8 bytes.
fn rows_to_premultiplied16(rows: &[u8], linear_light: bool) -> Vec<u16> {
    let mut out = Vec::with_capacity(rows.len());
    for p in rows
        .chunks_exact(4)
        .map(|p| image::Rgba([p[0], p[1], p[2], p[3]]))
    {
        let a = u32::from(p.0[3]);
        for &c in &p.0[..3] {
            let c16 = if linear_light {
                u32::from(to_linear16(c))
            } else {
                u32::from(c) * 257
            };
            out.push(((c16 * a + 127) / 255) as u16);
        }
        out.push((a * 257) as u16);
    }
    out
}

/// Premultiplied 16-bit RGBA → straight-alpha RGBA8. Colour above alpha
/// (ringing can put it there) saturates.
pub(crate) fn from_premultiplied16(
    values: &[u16],
    width: u32,
    height: u32,
    linear_light: bool,
) -> RgbaImage {
    let out = values
        .chunks_exact(4)
        .flat_map(|p| premultiplied16_to_rgba8([p[0], p[1], p[2], p[3]], linear_light))
        .collect();
    RgbaImage::from_raw(width, height, out).expect("four values per pixel")
}

/// One pixel of [`from_premultiplied16`].
#[inline(always)]
pub(crate) fn premultiplied16_to_rgba8(p: [u16; 4], linear_light: bool) -> [u8; 4] {
    let a16 = u32::from(p[3]);
    if a16 == 0 {
        return [0; 4];
    }
    let straight = |c: u16| {
        // Opaque: dividing by 65535 gives the value back (saves the division).
        let c16 = if a16 == 65535 {
            u32::from(c)
        } else {
            ((u32::from(c) * 65535 + a16 / 2) / a16).min(65535)
        };
        if linear_light {
            to_srgb8(c16 as u16)
        } else {
            ((c16 + 128) / 257) as u8
        }
    };
    [
        straight(p[0]),
        straight(p[1]),
        straight(p[2]),
        ((a16 + 128) / 257) as u8,
    ]
}

fn algorithm(filter: Filter) -> ResizeAlg {
    let kernel = match filter {
        Filter::Bilinear => FilterType::Bilinear,
        Filter::CatmullRom => FilterType::CatmullRom,
        Filter::Mitchell => FilterType::Mitchell,
        Filter::Lanczos3 => FilterType::Lanczos3,
        Filter::Nearest | Filter::Edge => unreachable!("{filter:?} is not a convolution"),
    };
    ResizeAlg::Convolution(kernel)
}

fn fir_options(filter: Filter) -> fir::ResizeOptions {
    // Our own premultiplication (fir's is 8-bit), so fir must not add its own.
    fir::ResizeOptions::new()
        .resize_alg(algorithm(filter))
        .use_alpha(false)
}

const FIR_FAILED: &str = "fast_image_resize accepts matching, non-empty, aligned images";

/// Resizes with a convolution filter (any but [`Filter::Edge`]); the options
/// have been validated.
pub(super) fn convolve(src: &RgbaImage, options: &ResizeOptions) -> RgbaImage {
    let (w, h) = (options.width, options.height);
    if options.filter == Filter::Nearest {
        return nearest(src, w, h);
    }
    match Precision::for_image(src, options) {
        Precision::U8 => {
            let src_view = fir::images::ImageRef::new(
                src.width(),
                src.height(),
                src.as_raw(),
                PixelType::U8x4,
            )
            .expect(FIR_FAILED);
            let mut dst = fir::images::Image::new(w, h, PixelType::U8x4);
            resize_in_pool(&src_view, &mut dst, options.filter);
            RgbaImage::from_raw(w, h, dst.into_vec()).expect("four bytes per pixel")
        }
        Precision::U16 => {
            let dst = convolve16_in_strips(src, options);
            from_premultiplied16(&dst, w, h, options.linear_light)
        }
    }
}

/// Source rows converted to 16 bits at a time by [`convolve16_in_strips`].
const STRIP_ROWS: u32 = 64;

/// [`convolve16`] of `src`'s premultiplied 16-bit values without holding
/// them all (twice the image's bytes): see [`StripResize`].
fn convolve16_in_strips(src: &RgbaImage, options: &ResizeOptions) -> Vec<u16> {
    let (src_w, src_h) = src.dimensions();
    let mut resize = StripResize::new(src_w, src_h, options);
    for rows in src
        .as_raw()
        .chunks(src_w as usize * 4 * STRIP_ROWS as usize)
    {
        resize.push(rows);
    }
    resize.finish16()
}

/// A 16-bit convolution resize ([`convolve16`]) fed its source a strip of
/// whole rows at a time, top to bottom, so the source need never be held
/// whole (a document's composite is made band by band for saving and
/// exporting). fast_image_resize filters 16-bit images horizontally, then
/// vertically, and each row's horizontal pass depends on that row alone:
/// each strip is converted and filtered horizontally on its own, and only
/// the narrowed rows are kept for the vertical pass — the same passes on the
/// same values as one call, so the same result. When the width does not
/// change there is no horizontal pass: the converted rows are kept as they
/// are.
pub(crate) struct StripResize {
    src_width: u32,
    src_height: u32,
    rows_seen: u32,
    options: ResizeOptions,
    narrowed: Vec<u16>,
}

impl StripResize {
    /// A resize of a `src_width`×`src_height` source with `options` (a
    /// convolution filter, validated by the caller).
    pub(crate) fn new(src_width: u32, src_height: u32, options: &ResizeOptions) -> StripResize {
        StripResize {
            src_width,
            src_height,
            rows_seen: 0,
            options: *options,
            narrowed: Vec::with_capacity(options.width as usize * src_height as usize * 4),
        }
    }

    /// The next whole rows of RGBA8 source pixels.
    pub(crate) fn push(&mut self, rows: &[u8]) {
        let row_bytes = self.src_width as usize * 4;
        assert_eq!(rows.len() % row_bytes, 0, "whole rows");
        let strip_h = (rows.len() / row_bytes) as u32;
        assert!(
            self.rows_seen + strip_h <= self.src_height,
            "rows past the source"
        );
        self.rows_seen += strip_h;
        let values = rows_to_premultiplied16(rows, self.options.linear_light);
        if self.options.width == self.src_width {
            self.narrowed.extend(values);
            return;
        }
        let across = ResizeOptions {
            height: strip_h,
            ..self.options
        };
        self.narrowed
            .extend(convolve16(&values, self.src_width, strip_h, &across));
    }

    /// The resized premultiplied 16-bit values, once every row was pushed.
    fn finish16(self) -> Vec<u16> {
        assert_eq!(self.rows_seen, self.src_height, "every source row pushed");
        if self.options.height == self.src_height {
            return self.narrowed;
        }
        convolve16(
            &self.narrowed,
            self.options.width,
            self.src_height,
            &self.options,
        )
    }

    /// The resized image, once every row was pushed.
    pub(crate) fn finish(self) -> RgbaImage {
        let (w, h, linear) = (
            self.options.width,
            self.options.height,
            self.options.linear_light,
        );
        from_premultiplied16(&self.finish16(), w, h, linear)
    }
}

/// Resizes `width`×`height` premultiplied 16-bit values with a convolution
/// filter (not nearest) to the options' size.
pub(super) fn convolve16(
    values: &[u16],
    width: u32,
    height: u32,
    options: &ResizeOptions,
) -> Vec<u16> {
    let (w, h) = (options.width, options.height);
    let src_view = fir::images::ImageRef::new(
        width,
        height,
        bytemuck::cast_slice(values),
        PixelType::U16x4,
    )
    .expect(FIR_FAILED);
    let mut dst = vec![0u16; w as usize * h as usize * 4];
    let mut dst_view = fir::images::Image::from_slice_u8(
        w,
        h,
        bytemuck::cast_slice_mut(&mut dst),
        PixelType::U16x4,
    )
    .expect(FIR_FAILED);
    resize_in_pool(&src_view, &mut dst_view, options.filter);
    dst
}

/// fast_image_resize's convolution, natively in row bands on every core
/// (its output rows are computed independently, so the bytes do not depend
/// on the number of threads: see the tests).
fn resize_in_pool(
    src: &(impl fir::IntoImageView + Sync),
    dst: &mut (impl fir::IntoImageViewMut + Send),
    filter: Filter,
) {
    crate::parallel::in_pool(|| {
        fir::Resizer::new()
            .resize(src, dst, &fir_options(filter))
            .expect(FIR_FAILED)
    })
}

/// Nearest neighbour with the same source positions as the GPU (fir's own
/// nearest steps through rows by repeated addition, which can pick a
/// different row at exact ties).
fn nearest(src: &RgbaImage, w: u32, h: u32) -> RgbaImage {
    let xs = AxisWeights::new(Filter::Nearest, src.width(), w).starts;
    let ys = AxisWeights::new(Filter::Nearest, src.height(), h).starts;
    let row_len = src.width() as usize;
    let pixels: &[[u8; 4]] = bytemuck::cast_slice(src.as_raw());
    let mut out: Vec<[u8; 4]> = Vec::with_capacity(w as usize * h as usize);
    for &y in &ys {
        let row = &pixels[y as usize * row_len..][..row_len];
        out.extend(xs.iter().map(|&x| row[x as usize]));
    }
    RgbaImage::from_raw(w, h, bytemuck::cast_slice(&out).to_vec()).expect("four bytes per pixel")
}
