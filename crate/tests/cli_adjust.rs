//! `retouch adjust` end to end: the library's pixels, the mask, and one
//! clear line with no output for bad input.

mod common;
use common::{assert_clean_failure, retouch, Scratch};

use image::{GrayImage, Luma, Rgba, RgbaImage};
use retouch::ops::adjust::{adjust_cpu, Adjustment};

fn picture() -> RgbaImage {
    RgbaImage::from_fn(40, 30, |x, y| {
        Rgba([(x * 6) as u8, (y * 8) as u8, ((x * y) % 13) as u8 * 19, 255])
    })
}

#[test]
fn adjust_writes_the_librarys_pixels() {
    let dir = Scratch::new("adjust-ok");
    let input = dir.arg("in.png");
    picture().save(&input).unwrap();
    let cases = [
        (
            "--levels",
            "input_black=10 gamma=1.4",
            r#"{"kind":"levels","input_black":10,"gamma":1.4}"#,
        ),
        (
            "--curves",
            "master=0:0,100:140,255:255 blue=0:30,255:255",
            r#"{"kind":"curves","master":"0:0,100:140,255:255","blue":"0:30,255:255"}"#,
        ),
        (
            "--color-balance",
            "midtones_cyan_red=40 preserve_luminosity=false",
            r#"{"kind":"color_balance","midtones_cyan_red":40,"preserve_luminosity":false}"#,
        ),
        (
            "--gaussian-blur",
            "sigma=1.5",
            r#"{"kind":"gaussian_blur","sigma":1.5}"#,
        ),
    ];
    for (flag, params, json) in cases {
        let output = dir.arg("out.png");
        let out = retouch(&[
            "adjust",
            &input,
            "-o",
            &output,
            flag,
            params,
            "--backend",
            "cpu",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = adjust_cpu(&picture(), &Adjustment::from_json(json).unwrap()).unwrap();
        let got = image::open(&output).unwrap().to_rgba8();
        assert_eq!(got, want, "{flag} {params}");
    }
}

#[test]
fn adjust_inside_a_mask_keeps_the_rest_exactly() {
    let dir = Scratch::new("adjust-mask");
    let (input, mask, output) = (dir.arg("in.png"), dir.arg("mask.png"), dir.arg("out.png"));
    picture().save(&input).unwrap();
    GrayImage::from_fn(40, 30, |x, _| {
        Luma([if x < 20 {
            255
        } else if x < 25 {
            128
        } else {
            0
        }])
    })
    .save(&mask)
    .unwrap();
    let args = [
        "adjust",
        &input,
        "-o",
        &output,
        "--hue-saturation",
        "hue=90",
        "--mask",
        &mask,
    ];
    let out = retouch(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = image::open(&output).unwrap().to_rgba8();
    let full = adjust_cpu(
        &picture(),
        &Adjustment::from_json(r#"{"kind":"hue_saturation","hue":90}"#).unwrap(),
    )
    .unwrap();
    let before = picture();
    for (x, y, p) in got.enumerate_pixels() {
        let (b, a) = (before.get_pixel(x, y), full.get_pixel(x, y));
        match x {
            0..20 => assert_eq!(p, a, "{x},{y} selected"),
            20..25 => {
                for c in 0..4 {
                    let mixed = (u32::from(b[c]) * 127 + u32::from(a[c]) * 128 + 127) / 255;
                    assert_eq!(u32::from(p[c]), mixed, "{x},{y} half selected");
                }
            }
            _ => assert_eq!(p, b, "{x},{y} outside"),
        }
    }
}

#[test]
fn bad_adjustments_fail_with_one_line_naming_the_parameter() {
    let dir = Scratch::new("adjust-bad");
    let input = dir.arg("in.png");
    picture().save(&input).unwrap();
    let output = dir.arg("out.png");
    for (flag, params, needle) in [
        ("--levels", "gamma=0", "gamma"),
        ("--levels", "gama=2", "gama"),
        ("--curves", "red=0:0,0:10", "red"),
        ("--unsharp-mask", "amount", "'amount' is not name=value"),
        ("--gaussian-blur", "sigma=900", "sigma"),
    ] {
        let out = retouch(&["adjust", &input, "-o", &output, flag, params]);
        assert_clean_failure(&out, needle, &output);
    }
    let mask = dir.arg("small.png");
    GrayImage::new(3, 3).save(&mask).unwrap();
    let out = retouch(&[
        "adjust", &input, "-o", &output, "--levels", "", "--mask", &mask,
    ]);
    assert_clean_failure(&out, "selection", &output);
}
