//! `retouch resize` end to end: real files, the library's pixels, the size
//! arguments, and one clear line with no output for bad input.

mod common;
use common::{assert_clean_failure, retouch, Scratch};

use image::{Rgba, RgbaImage};
use retouch::ops::resample::{self, Filter, ResizeOptions};
use std::path::Path;

fn picture() -> RgbaImage {
    RgbaImage::from_fn(12, 9, |x, y| {
        Rgba([
            x as u8 * 20,
            y as u8 * 28,
            ((x * y) % 7) as u8 * 36,
            255 - x as u8 * 9,
        ])
    })
}

#[test]
fn resize_writes_the_same_pixels_as_the_library() {
    let dir = Scratch::new("resize-ok");
    let input = dir.arg("in.png");
    picture().save(&input).unwrap();
    let cases: [(&[&str], ResizeOptions); 3] = [
        (
            &["--scale", "2", "--filter", "lanczos3"],
            ResizeOptions::new(24, 18),
        ),
        (
            &["--size", "7x30", "--filter", "mitchell", "--linear-light"],
            ResizeOptions {
                filter: Filter::Mitchell,
                linear_light: true,
                ..ResizeOptions::new(7, 30)
            },
        ),
        (
            &["--scale", "2.5", "--filter", "edge", "--sharpness", "0.9"],
            ResizeOptions {
                filter: Filter::Edge,
                sharpness: 0.9,
                ..ResizeOptions::new(30, 23)
            },
        ),
    ];
    for (extra, options) in cases {
        let output = dir.arg("out.png");
        let mut args = vec![
            "resize",
            input.as_str(),
            "-o",
            output.as_str(),
            "--backend",
            "cpu",
        ];
        args.extend_from_slice(extra);
        let out = retouch(&args);
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = image::open(&output).unwrap().into_rgba8();
        let want = resample::resize_cpu(&picture(), &options).unwrap();
        assert_eq!(got, want, "{extra:?}");
    }
    // --region upscales only that rectangle; --scale applies to it.
    let output = dir.arg("region.png");
    let out = retouch(&[
        "resize",
        &input,
        "-o",
        &output,
        "--backend",
        "cpu",
        "--region",
        "2,3,5,4",
        "--scale",
        "3",
        "--filter",
        "edge",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let detail = image::imageops::crop_imm(&picture(), 2, 3, 5, 4).to_image();
    let options = ResizeOptions {
        filter: Filter::Edge,
        ..ResizeOptions::new(15, 12)
    };
    let got = image::open(&output).unwrap().into_rgba8();
    assert_eq!(got, resample::resize_cpu(&detail, &options).unwrap());
}

#[test]
fn bad_sizes_filters_and_files_fail_with_one_line_and_no_output() {
    let dir = Scratch::new("resize-bad");
    let input = dir.arg("in.png");
    picture().save(&input).unwrap();
    let corrupt = dir.arg("corrupt.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nthis is not really a png").unwrap();
    let output = dir.arg("out.png");
    let cases: [(&[&str], &str); 11] = [
        (&["--size", "0x10"], "at least 1"),
        (&["--size", "20000x10"], "16384"),
        (&["--size", "ten"], "WxH"),
        (&["--scale", "0"], "positive"),
        (&["--scale", "5000"], "16384"),
        (&["--scale", "2", "--filter", "sinc"], "lanczos3"),
        (&["--scale", "0.5", "--filter", "edge"], "only enlarges"),
        (&["--scale", "2", "--region", "1,2,3"], "X,Y,W,H"),
        (&["--scale", "2", "--region", "1,2,0,3"], "empty"),
        (&["--scale", "2", "--region", "10,5,8,8"], "not inside"),
        (
            &["--scale", "2", "--filter", "edge", "--sharpness", "3"],
            "sharpness",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec![
            "resize",
            input.as_str(),
            "-o",
            output.as_str(),
            "--backend",
            "cpu",
        ];
        args.extend_from_slice(extra);
        assert_clean_failure(&retouch(&args), needle, &output);
    }
    let out = retouch(&["resize", &corrupt, "-o", &output, "--scale", "2"]);
    assert_clean_failure(&out, "corrupt.png", &output);
    let out = retouch(&["resize", &input, "-o", &output]);
    assert!(!out.status.success(), "--scale or --size is required");
    assert!(!Path::new(&output).exists());
}
