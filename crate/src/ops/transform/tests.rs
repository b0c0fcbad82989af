//! The warp against image-rs (its Catmull–Rom resize and its quarter
//! turns, written by others), its own invariants (area, anti-aliased edges,
//! no aliasing on strong reductions), bad maps, and CPU/GPU parity.

use super::cpu::warp_cpu;
use super::*;
use crate::engine::test_gpu_engine;
use crate::test_kit::{max_diff, photo, random_rgba, Draw, PHOTOS};
use crate::test_rng::Rng;
use image::imageops::{self, FilterType};
use image::Rgba;

/// The destination box of `source` under `map`, as an [`Area`].
fn bounds_area(source: &RgbaImage, map: &Affine) -> Area {
    let (left, top, right, bottom) = map.bounds_of(source.width(), source.height());
    Area {
        x: left as i32,
        y: top as i32,
        width: (right - left) as u32,
        height: (bottom - top) as u32,
    }
}

fn run_cpu(source: &RgbaImage, map: &Affine, area: Area, resampler: Resampler) -> RgbaImage {
    pollster::block_on(transform(&Engine::cpu(), source, map, area, resampler)).unwrap()
}

#[test]
fn whole_pixel_moves_and_quarter_turns_copy_pixels_exactly() {
    let source = photo("chelsea");
    let (w, h) = source.dimensions();
    let moved = Affine::translate(5.0, -3.0);
    let area = Area {
        x: 5,
        y: -3,
        width: w,
        height: h,
    };
    assert_eq!(warp_cpu(&source, &moved, area), source);

    let quarter = Affine::translate(f64::from(h), 0.0).after(&Affine::rotate_degrees(90.0));
    let turned = warp_cpu(&source, &quarter, bounds_area(&source, &quarter));
    assert_eq!(turned, imageops::rotate90(&source));

    let half = Affine::translate(f64::from(w), f64::from(h)).after(&Affine::rotate_degrees(180.0));
    let turned = warp_cpu(&source, &half, bounds_area(&source, &half));
    assert_eq!(turned, imageops::rotate180(&source));
}

#[test]
fn enlarging_matches_image_rs_catmull_rom_away_from_the_border() {
    for name in PHOTOS {
        let source = photo(name);
        let (w, h) = source.dimensions();
        for factor in [2u32, 3] {
            let map = Affine::scale(f64::from(factor), f64::from(factor));
            let area = Area {
                x: 0,
                y: 0,
                width: w * factor,
                height: h * factor,
            };
            let ours = run_cpu(&source, &map, area, Resampler::Bicubic);
            let theirs = imageops::resize(&source, w * factor, h * factor, FilterType::CatmullRom);
            // image-rs clamps at the border where we fade to transparent:
            // compare where no tap leaves the image.
            let inset = 2 * factor;
            let inner = |img: &RgbaImage| {
                imageops::crop_imm(
                    img,
                    inset,
                    inset,
                    w * factor - 2 * inset,
                    h * factor - 2 * inset,
                )
                .to_image()
            };
            let diff = max_diff(&inner(&ours), &inner(&theirs));
            assert!(
                diff <= 1,
                "{name} ×{factor}: differs from image-rs by {diff}"
            );
        }
    }
}

#[test]
fn a_turned_layer_keeps_its_area_and_gets_soft_edges() {
    let source = RgbaImage::from_pixel(120, 80, Rgba([200, 90, 30, 255]));
    let map = Affine::translate(100.0, 10.0).after(&Affine::rotate_degrees(30.0));
    let out = run_cpu(
        &source,
        &map,
        bounds_area(&source, &map),
        Resampler::Bicubic,
    );
    let covered: f64 = out.pixels().map(|p| f64::from(p[3]) / 255.0).sum();
    let area = 120.0 * 80.0;
    assert!(
        (covered - area).abs() / area < 0.003,
        "covered {covered} of {area}"
    );
    let partial = out.pixels().filter(|p| p[3] > 0 && p[3] < 255).count();
    // About one partly covered pixel per pixel of edge: no staircase.
    assert!(
        partial >= 360,
        "only {partial} edge pixels are partly covered"
    );
    // Colour stays the layer's everywhere it shows, even at the soft edges.
    for p in out.pixels().filter(|p| p[3] >= 8) {
        assert!(
            p[0].abs_diff(200) <= 1 && p[1].abs_diff(90) <= 1 && p[2].abs_diff(30) <= 1,
            "{p:?}"
        );
    }
}

#[test]
fn strong_reductions_are_filtered_instead_of_aliasing() {
    let checker = RgbaImage::from_fn(400, 400, |x, y| {
        let v = if (x + y) % 2 == 0 { 0 } else { 255 };
        Rgba([v, v, v, 255])
    });
    let map = Affine::scale(0.2, 0.2).after(&Affine::rotate_degrees(0.0));
    let area = Area {
        x: 0,
        y: 0,
        width: 80,
        height: 80,
    };
    let spread = |img: &RgbaImage| {
        imageops::crop_imm(img, 4, 4, 72, 72)
            .to_image()
            .pixels()
            .map(|p| (i32::from(p[0]) - 128).abs())
            .max()
            .unwrap()
    };
    let filtered = run_cpu(&checker, &map, area, Resampler::Bicubic);
    assert!(
        spread(&filtered) <= 8,
        "the reduced checkerboard strays {} from grey",
        spread(&filtered)
    );
    // Without the pre-pass the bicubic alone picks single pixels: the check above can fail.
    assert!(spread(&warp_cpu(&checker, &map, area)) > 60);
}

#[test]
fn the_edge_resampler_enlarges_through_the_edge_upscaler() {
    let source = photo("rocket");
    let (w, h) = source.dimensions();
    let map = Affine::scale(2.0, 2.0);
    let area = Area {
        x: 0,
        y: 0,
        width: 2 * w,
        height: 2 * h,
    };
    let ours = run_cpu(&source, &map, area, Resampler::Edge);
    let options = ResizeOptions {
        filter: Filter::Edge,
        ..ResizeOptions::new(2 * w, 2 * h)
    };
    assert_eq!(ours, resample::resize_cpu(&source, &options).unwrap());
    assert_ne!(ours, run_cpu(&source, &map, area, Resampler::Bicubic));
}

#[test]
fn bad_maps_are_refused_with_the_reason() {
    let source = RgbaImage::new(8, 8);
    let area = Area {
        x: 0,
        y: 0,
        width: 8,
        height: 8,
    };
    for (map, words) in [
        (Affine::new(f64::NAN, 0.0, 0.0, 1.0, 0.0, 0.0), "finite"),
        (Affine::scale(1.0, 0.0), "flat"),
        (Affine::new(1.0, 2.0, 0.5, 1.0, 0.0, 0.0), "flat"),
        (Affine::scale(100.0, 1.0), "enlarges"),
        (Affine::translate(1e12, 0.0), "translation"),
    ] {
        let err = pollster::block_on(transform(
            &Engine::cpu(),
            &source,
            &map,
            area,
            Resampler::Bicubic,
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("matrix") && err.contains(words),
            "{map:?}: {err}"
        );
    }
    assert!(Resampler::parse("lanczos")
        .unwrap_err()
        .to_string()
        .contains("bicubic, edge"));
}

#[test]
fn inverse_and_composition_agree() {
    let map = Affine::translate(3.0, -7.5)
        .after(&Affine::rotate_degrees(33.0))
        .after(&Affine::new(1.2, 0.1, 0.4, 0.8, 0.0, 0.0));
    let back = map.inverse().unwrap();
    for p in [(0.0, 0.0), (10.0, -4.0), (123.5, 77.25)] {
        let q = back.apply(map.apply(p));
        assert!((q.0 - p.0).abs() < 1e-9 && (q.1 - p.1).abs() < 1e-9);
    }
    assert_eq!(Affine::IDENTITY.after(&map), map);
}

/// Turned, scaled and skewed maps on photographs and on random translucent
/// images, with tiles small enough (and a binding limit low enough) that
/// tiles are cut, crops clipped and oversized crops split.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_matches_cpu() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let mut rng = Rng(0x7a5f);
    let maps = [
        Affine::translate(40.0, -12.0).after(&Affine::rotate_degrees(17.0)),
        Affine::translate(-30.0, 5.0).after(&Affine::scale(1.37, 0.83)),
        Affine::new(1.1, 0.25, -0.6, 0.9, 60.0, 20.0),
        Affine::translate(0.5, 0.25),
    ];
    let mut images: Vec<RgbaImage> = PHOTOS.iter().take(2).map(|n| photo(n)).collect();
    images.push(random_rgba(&mut rng, 97, 61, Draw::EdgeBiased));
    for source in &images {
        for map in &maps {
            let area = bounds_area(source, map);
            let cpu = warp_cpu(source, map, area);
            for (tile, limit) in [(512, gpu.max_binding_bytes()), (37, 16 * 1024)] {
                let on_gpu =
                    pollster::block_on(gpu::warp(gpu, source, map, area, tile, limit)).unwrap();
                let diff = max_diff(&cpu, &on_gpu);
                assert!(diff <= 1, "{map:?} tile {tile}: GPU differs by {diff}");
            }
        }
    }
    // The whole path on the GPU engine, pre-pass included.
    let source = photo("coffee");
    let map = Affine::scale(0.3, 0.3);
    let area = bounds_area(&source, &map);
    let cpu = run_cpu(&source, &map, area, Resampler::Bicubic);
    let on_gpu =
        pollster::block_on(transform(engine, &source, &map, area, Resampler::Bicubic)).unwrap();
    assert!(max_diff(&cpu, &on_gpu) <= 2);
}
