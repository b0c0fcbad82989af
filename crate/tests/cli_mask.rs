//! `retouch mask ...` end to end: each tool's PNG holds the library's pixels,
//! and bad input fails with one clear line on stderr and writes nothing.

mod common;
use common::{assert_no_output, retouch, stderr, Scratch};

use image::{GrayImage, Luma, Rgba, RgbaImage};
use retouch::ops::select::{self, CombineMode, Rect};
use retouch::ops::wand::{self, WandOptions};
use retouch::ops::{feather, morphology};
use std::path::Path;
use std::process::Output;

/// Runs `retouch mask ARGS -o OUT --backend cpu`, so that results compare
/// exactly with the library's CPU kernels.
fn mask(args: &[&str], out: &str) -> Output {
    retouch(&[&["mask"], args, &["-o", out, "--backend", "cpu"]].concat())
}

/// Runs the tool and returns the mask it wrote.
fn run_ok(args: &[&str], out: &str) -> GrayImage {
    let run = mask(args, out);
    assert!(run.status.success(), "{args:?}: {}", stderr(&run));
    image::open(out).unwrap().into_luma8()
}

/// A 40×30 picture: a red disc on a blue ground with a little texture, so
/// the wand has an edge to find.
fn picture() -> RgbaImage {
    RgbaImage::from_fn(40, 30, |x, y| {
        let (dx, dy) = (x as i32 - 20, y as i32 - 15);
        if dx * dx + dy * dy < 100 {
            Rgba([220, 30, 30, 255])
        } else {
            Rgba([20, 60, 180 + (x % 5) as u8, 255])
        }
    })
}

/// A hard-edged square with a soft corner: something to feather and grow.
fn selection() -> GrayImage {
    GrayImage::from_fn(40, 30, |x, y| {
        let inside = (8..28).contains(&x) && (6..22).contains(&y);
        Luma([if inside {
            255
        } else if x == 28 {
            100
        } else {
            0
        }])
    })
}

#[test]
fn shapes_write_the_librarys_pixels() {
    let dir = Scratch::new("mask-shapes");
    let out = dir.arg("out.png");
    let rect = Rect {
        x: 3.5,
        y: 2.25,
        width: 20.0,
        height: 11.5,
    };
    let got = run_ok(&["rect", "3.5,2.25,20,11.5", "--size", "40x30"], &out);
    assert_eq!(got, select::rectangle(40, 30, rect).unwrap());

    let got = run_ok(&["ellipse", "3.5,2.25,20,11.5", "--size", "40x30"], &out);
    let ellipse = select::ellipse(40, 30, rect).unwrap();
    assert_eq!(got, ellipse);

    // A lasso added to the ellipse saved above: the shape combines with --input.
    let base = dir.arg("base.png");
    ellipse.save(&base).unwrap();
    let points = [(30.0, 2.0), (38.5, 25.0), (12.0, 28.0), (25.0, 14.5)];
    let text = "30,2 38.5,25 12,28 25,14.5";
    let got = run_ok(&["polygon", text, "--input", &base, "--mode", "add"], &out);
    let mut want = ellipse.clone();
    let lasso = select::polygon(40, 30, &points).unwrap();
    select::combine(&mut want, &lasso, CombineMode::Add).unwrap();
    assert_eq!(got, want);
}

#[test]
fn wand_writes_the_librarys_pixels() {
    let dir = Scratch::new("mask-wand");
    let (image, out) = (dir.arg("picture.png"), dir.arg("out.png"));
    picture().save(&image).unwrap();
    for (extra, anti_alias, contiguous) in [
        (&[][..], true, true),
        (&["--hard"][..], false, true),
        (&["--global", "--hard"][..], false, false),
    ] {
        let mut args = vec!["wand", &image, "--seed", "2,3", "--tolerance", "10"];
        args.extend_from_slice(extra);
        let got = run_ok(&args, &out);
        let options = WandOptions {
            seed: (2, 3),
            tolerance: 10,
            contiguous,
            anti_alias,
        };
        assert_eq!(
            got,
            wand::magic_wand(&picture(), &options).unwrap(),
            "{extra:?}"
        );
    }
}

#[test]
fn modifiers_write_the_librarys_pixels() {
    let dir = Scratch::new("mask-modify");
    let (input, out) = (dir.arg("selection.png"), dir.arg("out.png"));
    selection().save(&input).unwrap();
    for radius in ["0", "3", "40"] {
        let got = run_ok(&["feather", &input, "--radius", radius], &out);
        let want = feather::feather_cpu(&selection(), radius.parse().unwrap()).unwrap();
        assert_eq!(got, want, "feather {radius}");
    }
    for by in [1, 5] {
        let got = run_ok(&["grow", &input, "--by", &by.to_string()], &out);
        assert_eq!(
            got,
            morphology::grow_cpu(&selection(), by).unwrap(),
            "grow {by}"
        );
    }
}

#[test]
fn bad_input_gives_one_clear_line_and_no_output() {
    let dir = Scratch::new("mask-bad");
    let (image, input) = (dir.arg("picture.png"), dir.arg("selection.png"));
    picture().save(&image).unwrap();
    selection().save(&input).unwrap();
    let corrupt = dir.arg("corrupt.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nthis is not really a png").unwrap();
    let out = dir.arg("out.png");
    let cases: [(Vec<&str>, &str); 8] = [
        (
            vec!["feather", &input, "--radius", "250.5"],
            "outside 0 to 250",
        ),
        (
            vec!["feather", &input, "--radius", "-1"],
            "outside 0 to 250",
        ),
        (
            vec!["polygon", "", "--size", "40x30"],
            "at least 3 points, got 0",
        ),
        (
            vec!["polygon", "1,1 5,5", "--size", "40x30"],
            "at least 3 points, got 2",
        ),
        (
            vec!["wand", &image, "--seed", "40,3"],
            "outside the 40×30 image",
        ),
        (
            vec!["wand", &corrupt, "--seed", "1,1"],
            "cannot decode image",
        ),
        (
            vec!["feather", &corrupt, "--radius", "3"],
            "cannot decode image",
        ),
        (vec!["grow", &corrupt, "--by", "2"], "cannot decode image"),
    ];
    for (args, expected) in cases {
        let run = mask(&args, &out);
        let err = stderr(&run);
        assert!(!run.status.success(), "{args:?} succeeded");
        assert!(err.contains(expected), "{args:?}: stderr was {err:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err:?}");
        assert!(!err.contains("panicked"), "{args:?} panicked");
        assert_no_output(Path::new(&out));
    }
}

#[test]
fn alpha_selects_the_layers_pixels() {
    let dir = Scratch::new("mask-alpha");
    let (image, out) = (dir.arg("layer.png"), dir.arg("out.png"));
    let layer = RgbaImage::from_fn(9, 7, |x, y| image::Rgba([1, 2, 3, (x * 25 + y * 3) as u8]));
    layer.save(&image).unwrap();
    let got = run_ok(&["alpha", &image], &out);
    assert_eq!(got.dimensions(), (9, 7));
    assert!(got
        .enumerate_pixels()
        .all(|(x, y, p)| p.0[0] == layer.get_pixel(x, y).0[3]));
}
