//! The presenting pass against its CPU version, on a photograph with a
//! translucent layer over it, for both canvas formats.

use super::*;
use crate::engine::GpuContext;
use crate::ops::blend::GpuCanvas;
use crate::test_kit::max_diff;
use image::RgbaImage;

/// The sample photograph's lights layer: a real image with every alpha level.
fn translucent_photo() -> RgbaImage {
    let lights = image::load_from_memory(include_bytes!("../../../../web/samples/layer.png"))
        .unwrap()
        .to_rgba8();
    // An odd size: rows that are no multiple of the copy alignment.
    image::imageops::crop_imm(&lights, 13, 7, 301, 203).to_image()
}

#[test]
fn premultiplying_rounds_each_channel_to_the_nearest_level() {
    let photo = translucent_photo();
    let out = premultiplied(&photo);
    let mut alphas = std::collections::HashSet::new();
    for (p, q) in photo.pixels().zip(out.pixels()) {
        alphas.insert(p[3]);
        assert_eq!(q[3], p[3], "alpha is kept");
        for c in 0..3 {
            let exact = f64::from(p[c]) * f64::from(p[3]) / 255.0;
            assert_eq!(f64::from(q[c]), exact.round(), "{p:?} → {q:?}");
        }
    }
    assert!(alphas.len() > 100, "the photo covers many alpha levels");
}

/// Draws `image` through the presenting pass onto a texture of `format`
/// and reads the texture back as RGBA.
fn presented(gpu: &GpuContext, image: &RgbaImage, format: wgpu::TextureFormat) -> RgbaImage {
    let (width, height) = image.dimensions();
    let canvas = GpuCanvas::new(gpu, (width, height));
    gpu.write_buffer(canvas.buffer(), image.as_raw());
    let texture = gpu.device().create_texture(&wgpu::TextureDescriptor {
        label: Some("presented"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = texture.create_view(&Default::default());
    let draw = Presenter::new(gpu, format).draw(gpu, &canvas, &view);
    let row_bytes = (width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let out = gpu.scratch_buffer("presented texels", u64::from(row_bytes * height));
    let mut encoder = gpu.device().create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &out,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row_bytes),
                rows_per_image: Some(height),
            },
        },
        texture.size(),
    );
    gpu.queue().submit([draw, encoder.finish()]);
    let bytes =
        pollster::block_on(gpu.read_buffer(&out, 0, u64::from(row_bytes * height))).unwrap();
    RgbaImage::from_fn(width, height, |x, y| {
        let i = (y * row_bytes + x * 4) as usize;
        let t = &bytes[i..i + 4];
        match format {
            wgpu::TextureFormat::Bgra8Unorm => image::Rgba([t[2], t[1], t[0], t[3]]),
            _ => image::Rgba([t[0], t[1], t[2], t[3]]),
        }
    })
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn the_pass_draws_the_premultiplied_composite_pixel_for_pixel() {
    let gpu = crate::engine::test_gpu_engine()
        .gpu()
        .expect("a GPU engine");
    let photo = translucent_photo();
    let expected = premultiplied(&photo);
    for format in [
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureFormat::Bgra8Unorm,
    ] {
        let shown = presented(gpu, &photo, format);
        assert_shows(&shown, &expected, &format!("{format:?}"));
    }
}

/// `shown` is `expected` within one level, and exactly at 99 % of its
/// pixels at least (not shifted or flipped: the exact matches are the rule).
fn assert_shows(shown: &RgbaImage, expected: &RgbaImage, what: &str) {
    let worst = max_diff(shown, expected);
    assert!(worst <= 1, "{what}: off by {worst} levels");
    let exact = shown
        .pixels()
        .zip(expected.pixels())
        .filter(|(a, b)| a == b)
        .count();
    assert!(
        exact * 100 >= expected.pixels().len() * 99,
        "{what}: {exact} exact pixels"
    );
}

/// A document wider than WebGPU's default texture side (8192) is presented
/// where the adapter offers a wider texture (llvmpipe and desktop GPUs:
/// 16384): the device asks for it.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn a_canvas_wider_than_webgpus_default_texture_side_is_presented() {
    let gpu = crate::engine::test_gpu_engine()
        .gpu()
        .expect("a GPU engine");
    let offered = gpu.adapter().limits().max_texture_dimension_2d;
    let (width, height) = (9000, 24);
    assert_eq!(Presenter::fits(gpu, (width, height)), offered >= width);
    assert!(!Presenter::fits(gpu, (16385, 1)), "no side over 16384");
    if offered < width {
        eprintln!("not drawn: this adapter's textures are at most {offered} wide");
        return;
    }
    // The photograph repeated along the strip, each copy shifted a row.
    let photo = translucent_photo();
    let strip = RgbaImage::from_fn(width, height, |x, y| {
        let copy = x / photo.width();
        *photo.get_pixel(x % photo.width(), (y + copy) % photo.height())
    });
    let shown = presented(gpu, &strip, wgpu::TextureFormat::Rgba8Unorm);
    assert_shows(&shown, &premultiplied(&strip), "a 9000-wide strip");
}
