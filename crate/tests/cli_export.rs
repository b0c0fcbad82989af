//! `retouch export --long-edge` end to end (issue 11: every resized export
//! was blank): the editor's sample document built with `retouch project`,
//! exported shrunk and enlarged as PNG, JPEG and WebP, each decoded and
//! compared with an independent resize (the image crate's Lanczos3) of the
//! same project exported at its original size.

mod common;
use common::{run_ok, sample, Scratch};

use image::imageops::{resize, FilterType};
use image::RgbaImage;

fn decode(path: &str) -> RgbaImage {
    image::open(path).unwrap().to_rgba8()
}

/// The mean and largest absolute difference over R, G and B, and the share
/// of values more than 4 levels off.
fn difference(got: &RgbaImage, want: &RgbaImage) -> (f64, u8, f64) {
    assert_eq!(got.dimensions(), want.dimensions());
    let (mut sum, mut max, mut over_4) = (0u64, 0u8, 0u64);
    for (g, w) in got.pixels().zip(want.pixels()) {
        for c in 0..3 {
            let d = g[c].abs_diff(w[c]);
            sum += u64::from(d);
            max = max.max(d);
            over_4 += u64::from(d > 4);
        }
    }
    let n = f64::from(3 * got.width() * got.height());
    (sum as f64 / n, max, over_4 as f64 / n)
}

/// The mean difference a JPEG round trip at `quality` alone costs `image`.
fn jpeg_cost(image: &RgbaImage, quality: u8) -> f64 {
    let rgb = image::DynamicImage::ImageRgba8(image.clone()).to_rgb8();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(&rgb)
        .unwrap();
    let decoded = image::load_from_memory(&bytes).unwrap().to_rgba8();
    difference(&decoded, image).0
}

#[test]
fn export_at_a_long_edge_is_the_resized_composite() {
    let dir = Scratch::new("export-long-edge");
    let project = dir.arg("fix.ora");
    run_ok(&["project", "new", &project, "--from", &sample("base.png")]);
    run_ok(&[
        "project",
        "add-layer",
        &project,
        &sample("layer.png"),
        "--mode",
        "screen",
        "--opacity",
        "0.85",
        "--mask",
        &sample("mask.png"),
    ]);
    let original = dir.arg("original.png");
    run_ok(&["export", &project, "-o", &original]);
    let composite = decode(&original);
    assert_eq!(composite.dimensions(), (960, 640));
    assert!(composite.pixels().all(|p| p[3] == 255));

    // (long edge, output file, size): shrinking, and enlarging to presets.
    let cases = [
        (480, "small.png", (480, 320)),
        (1080, "medium.webp", (1080, 720)),
        (2048, "large.jpg", (2048, 1365)),
        (700, "small.jpg", (700, 467)),
    ];
    for (edge, name, size) in cases {
        let output = dir.arg(name);
        run_ok(&[
            "export",
            &project,
            "-o",
            &output,
            "--long-edge",
            &edge.to_string(),
        ]);
        let got = decode(&output);
        assert_eq!(got.dimensions(), size, "{name}");
        assert!(got.pixels().all(|p| p[3] == 255), "{name}: alpha lost");
        let reference = resize(&composite, size.0, size.1, FilterType::Lanczos3);
        let (mean, max, over_4) = difference(&got, &reference);
        // The tolerances of doc::tests (export_at_a_long_edge_…), where they
        // are explained: lossless, the two Lanczos3 implementations differ
        // by rounding and by where ringing is clipped; a JPEG at quality 90
        // by what the codec alone costs the reference, plus 0.5. A blank
        // export is about 100 levels off on average.
        let close = if name.ends_with(".jpg") {
            mean <= jpeg_cost(&reference, 90) + 0.5
        } else {
            mean <= 0.5 && over_4 <= 0.001 && max <= 32
        };
        eprintln!("{name}: mean {mean:.3}, max {max}, over 4 levels {over_4:.5}");
        assert!(
            close,
            "{name}: mean {mean:.3}, max {max}, share over 4 levels {over_4:.5} against the reference"
        );
    }
}
