//! `retouch fill` end to end on a real photograph: the output is the
//! library's fill for the same seed on the same backend, unmasked pixels are
//! untouched, and bad input fails with one line naming the parameter and
//! writes nothing.

mod common;
use common::{retouch, Scratch};

use image::{GrayImage, Luma};
use retouch::engine::{BackendPreference, Engine};
use retouch::ops::fill::{fill, fill_cpu, ColorAdaptation, FillOptions};

fn photo() -> image::RgbaImage {
    common::photo("coffee")
}

fn hole(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let inside = (60..90).contains(&x) && (50..75).contains(&y);
        Luma([if inside { 255 } else { 0 }])
    })
}

#[test]
fn fill_writes_the_library_fill_for_the_seed() {
    let dir = Scratch::new("fill-ok");
    let image = photo();
    let (w, h) = image.dimensions();
    let mask = hole(w, h);
    let area = GrayImage::from_fn(w, h, |_, y| Luma([if y >= 80 { 255 } else { 0 }]));
    image.save(dir.path("in.png")).unwrap();
    mask.save(dir.path("mask.png")).unwrap();
    area.save(dir.path("area.png")).unwrap();
    let out = dir.arg("out.png");
    let args = [
        "fill",
        &dir.arg("in.png"),
        "--mask",
        &dir.arg("mask.png"),
        "--sample-area",
        &dir.arg("area.png"),
        "--patch",
        "5",
        "--seed",
        "11",
        "--color-adaptation",
        "low",
        "--backend",
        "cpu",
        "-o",
        &out,
    ];
    let run = retouch(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = image::open(&out).unwrap().to_rgba8();
    let options = FillOptions {
        patch: 5,
        seed: 11,
        color_adaptation: ColorAdaptation::Low,
    };
    let want = fill_cpu(&image, &mask, Some(&area), &options).unwrap();
    assert_eq!(written, want.image);
    for (x, y, p) in written.enumerate_pixels() {
        if mask[(x, y)][0] == 0 {
            assert_eq!(p, image.get_pixel(x, y));
        }
    }
    assert_ne!(written, image, "the hole was filled");
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn fill_on_the_gpu_writes_the_librarys_gpu_fill() {
    let dir = Scratch::new("fill-gpu");
    let image = photo();
    let (w, h) = image.dimensions();
    let mask = hole(w, h);
    image.save(dir.path("in.png")).unwrap();
    mask.save(dir.path("mask.png")).unwrap();
    let out = dir.arg("out.png");
    let args = [
        "fill",
        &dir.arg("in.png"),
        "--mask",
        &dir.arg("mask.png"),
        "--seed",
        "4",
        "--backend",
        "gpu",
        "-o",
        &out,
    ];
    let run = retouch(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = image::open(&out).unwrap().to_rgba8();
    let engine = pollster::block_on(Engine::new(BackendPreference::Gpu)).unwrap();
    let options = FillOptions {
        seed: 4,
        ..FillOptions::default()
    };
    let want = pollster::block_on(fill(&engine, &image, &mask, None, &options)).unwrap();
    assert_eq!(written, want.image);
    let cpu = fill_cpu(&image, &mask, None, &options).unwrap();
    assert_ne!(written, cpu.image, "the GPU drew its own field");
    for (x, y, p) in written.enumerate_pixels() {
        if mask[(x, y)][0] == 0 {
            assert_eq!(p, image.get_pixel(x, y));
        }
    }
}

#[test]
fn fill_refuses_bad_input_and_writes_nothing() {
    let dir = Scratch::new("fill-bad");
    let image = photo();
    let (w, h) = image.dimensions();
    image.save(dir.path("in.png")).unwrap();
    hole(w, h).save(dir.path("mask.png")).unwrap();
    GrayImage::new(w, h).save(dir.path("empty.png")).unwrap();
    let out = dir.path("out.png");
    let cases: [(&[&str], &str); 5] = [
        (&["--mask", "mask.png", "--patch", "6"], "invalid patch"),
        (&["--mask", "empty.png"], "invalid mask"),
        (
            &["--mask", "mask.png", "--sample-area", "empty.png"],
            "invalid sample-area",
        ),
        (
            &["--mask", "mask.png", "--backend", "quantum"],
            "invalid backend",
        ),
        (
            &["--mask", "mask.png", "--color-adaptation", "max"],
            "invalid color-adaptation",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec![
            "fill".to_string(),
            dir.arg("in.png"),
            "-o".into(),
            dir.arg("out.png"),
        ];
        for a in extra {
            args.push(if a.ends_with(".png") {
                dir.arg(a)
            } else {
                a.to_string()
            });
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = retouch(&refs);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{extra:?} succeeded");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!out.exists(), "{extra:?} wrote an output");
    }
}
