//! The `retouch` binary end to end: real files in a temporary folder, the
//! exit status, the one-line error on stderr, and no output left on failure.

mod common;
use common::{assert_no_output, retouch, stderr, Scratch};

use image::{GrayImage, Luma, Rgba, RgbaImage};

fn write_inputs(dir: &Scratch) -> (String, String, String) {
    let base = RgbaImage::from_fn(8, 6, |x, y| Rgba([x as u8 * 30, y as u8 * 40, 90, 255]));
    let layer = RgbaImage::from_fn(4, 4, |x, y| Rgba([200, x as u8 * 60, y as u8 * 60, 180]));
    let mask = GrayImage::from_fn(4, 4, |x, _| Luma([x as u8 * 85]));
    base.save(dir.path("base.png")).unwrap();
    layer.save(dir.path("layer.png")).unwrap();
    mask.save(dir.path("mask.png")).unwrap();
    (
        dir.arg("base.png"),
        dir.arg("layer.png"),
        dir.arg("mask.png"),
    )
}

#[test]
fn composite_writes_the_same_pixels_as_the_library() {
    let dir = Scratch::new("ok");
    let (base, layer, mask) = write_inputs(&dir);
    let out = dir.path("out.png");
    let args = [
        "composite",
        &base,
        &layer,
        "-o",
        out.to_str().unwrap(),
        "--mode",
        "multiply",
        "--opacity",
        "0.7",
        "--mask",
        &mask,
        "--offset",
        "3,-1",
        "--backend",
        "cpu",
    ];
    let run = retouch(&args);
    assert!(run.status.success(), "{}", stderr(&run));
    let got = image::open(&out).unwrap().into_rgba8();
    let mut want = image::open(&base).unwrap().into_rgba8();
    let options = retouch::ops::blend::CompositeOptions {
        mode: retouch::ops::blend::BlendMode::Multiply,
        opacity: 0.7,
        offset: (3, -1),
        ..Default::default()
    };
    let layer_img = image::open(&layer).unwrap().into_rgba8();
    let mask_img = image::open(&mask).unwrap().into_luma8();
    retouch::ops::blend::composite_cpu_in_place(&mut want, &layer_img, Some(&mask_img), &options)
        .unwrap();
    assert!(got == want, "CLI output differs from the library's");
    // Pixels left of the layer are untouched.
    assert_eq!(
        got.get_pixel(0, 0),
        image::open(&base).unwrap().into_rgba8().get_pixel(0, 0)
    );
}

#[test]
fn info_reports_version_and_backend() {
    let run = retouch(&["info", "--backend", "cpu"]);
    assert!(run.status.success());
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains(env!("CARGO_PKG_VERSION")) && text.contains("backend: cpu"),
        "{text}"
    );
}

#[test]
fn info_says_why_the_cpu_is_used() {
    let run = retouch(&["info", "--backend", "cpu"]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("reason: the CPU was requested"), "{text}");
    // Auto takes only a hardware GPU: on the CPU (no adapter, or only a
    // software one such as llvmpipe) it says why; on a hardware GPU it is silent.
    let run = retouch(&["info", "--backend", "auto"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = String::from_utf8_lossy(&run.stdout);
    if text.contains("backend: cpu") {
        assert!(text.contains("reason: Auto chose the CPU: "), "{text}");
    } else {
        assert!(text.contains("backend: gpu"), "{text}");
        assert!(
            !text.contains("software") && !text.contains("reason:"),
            "auto took a software adapter: {text}"
        );
    }
}

#[test]
fn bad_input_gives_one_clear_line_and_no_output() {
    let dir = Scratch::new("bad");
    let (base, layer, _) = write_inputs(&dir);
    std::fs::write(
        dir.path("corrupt.png"),
        b"\x89PNG\r\n\x1a\nthis is not really a png",
    )
    .unwrap();
    GrayImage::new(3, 3)
        .save(dir.path("small-mask.png"))
        .unwrap();
    let out = dir.path("out.png");
    let o = out.to_str().unwrap();
    let corrupt = dir.arg("corrupt.png");
    let small = dir.arg("small-mask.png");
    let missing = dir.arg("missing.png");
    let cases: [(Vec<&str>, &str); 7] = [
        (
            vec!["composite", &base, &layer, "-o", o, "--mode", "burn"],
            "valid modes: normal, dissolve",
        ),
        (
            vec!["composite", &base, &layer, "-o", o, "--opacity", "1.5"],
            "opacity",
        ),
        (
            vec!["composite", &base, &layer, "-o", o, "--opacity", "-0.2"],
            "outside 0 to 1",
        ),
        (
            vec!["composite", &base, &layer, "-o", o, "--mask", &small],
            "the mask is 3×3 but the layer is 4×4",
        ),
        (
            vec!["composite", &corrupt, &layer, "-o", o],
            "corrupt.png: cannot decode image",
        ),
        (vec!["composite", &missing, &layer, "-o", o], "cannot read"),
        (
            vec!["composite", &base, &layer, "-o", o, "--offset", "1;2"],
            "offset",
        ),
    ];
    for (args, expected) in cases {
        let run = retouch(&args);
        let err = stderr(&run);
        assert!(!run.status.success(), "{args:?} succeeded");
        assert!(err.contains(expected), "{args:?}: stderr was {err:?}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: more than one line: {err:?}"
        );
        assert!(!err.contains("panicked"), "{args:?} panicked");
        assert_no_output(&out);
    }
}
