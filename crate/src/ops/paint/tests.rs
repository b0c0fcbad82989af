//! Dab coverage, Photoshop's opacity/flow rules, eraser, clone stamp,
//! selection, dirty rectangle, bad input, and CPU/GPU bit-exact parity.

use super::*;
use crate::engine::test_gpu_engine;
use crate::ops::dab::MAX_GPU_DAB_TESTS;
use crate::test_rng::Rng;
use image::{Luma, Rgba};

type Point = (f32, f32);
type Points = Vec<Point>;

const RED: PaintTool = PaintTool::Brush { color: [255, 0, 0] };

fn options(diameter: f32, hardness: f32, opacity: f32, flow: f32) -> PaintOptions {
    PaintOptions {
        diameter,
        hardness,
        opacity,
        flow,
        ..PaintOptions::default()
    }
}

/// Paints on the CPU and writes the rectangle back into a copy of `image`.
fn painted(
    image: &RgbaImage,
    points: &[(f32, f32)],
    o: &PaintOptions,
    tool: PaintTool,
    selection: Option<&GrayImage>,
) -> RgbaImage {
    let stroke = PaintStroke::plan(image.dimensions(), points, o, tool).unwrap();
    let mut out = image.clone();
    if let Some((rect, pixels)) = paint_cpu(image, &stroke, selection).unwrap() {
        image::imageops::replace(&mut out, &pixels, rect.x.into(), rect.y.into());
    }
    out
}

fn grey(width: u32, height: u32, value: u8) -> RgbaImage {
    RgbaImage::from_pixel(width, height, Rgba([value, value, value, 255]))
}

#[test]
fn a_hard_dab_is_a_disk_with_a_one_pixel_rim_inside_its_rectangle() {
    let base = grey(64, 64, 0);
    let o = options(20.0, 100.0, 100.0, 100.0);
    let stroke = PaintStroke::plan(base.dimensions(), &[(30.0, 30.0)], &o, RED).unwrap();
    let (rect, _) = paint_cpu(&base, &stroke, None).unwrap().unwrap();
    assert_eq!(
        rect,
        DirtyRect {
            x: 20,
            y: 20,
            width: 20,
            height: 20
        }
    );
    let out = painted(&base, &[(30.0, 30.0)], &o, RED, None);
    for (x, y, p) in out.enumerate_pixels() {
        let r = (x as f32 + 0.5 - 30.0).hypot(y as f32 + 0.5 - 30.0);
        if r <= 9.0 {
            assert_eq!(p.0, [255, 0, 0, 255], "({x}, {y}) r = {r}");
        } else if r >= 10.0 {
            assert_eq!(p.0, [0, 0, 0, 255], "({x}, {y}) r = {r}");
        } else {
            assert_eq!(p[1], 0);
            assert_eq!(p[3], 255);
        }
        // Symmetric about the dab's centre, the pixel corner (30, 30).
        if x <= 59 && y <= 59 {
            assert_eq!(p, out.get_pixel(59 - x, y), "({x}, {y})");
            assert_eq!(p, out.get_pixel(x, 59 - y), "({x}, {y})");
        }
    }
}

#[test]
fn on_a_transparent_layer_alpha_is_the_coverage_and_colour_the_brushs() {
    let base = RgbaImage::new(40, 40);
    let o = options(20.0, 50.0, 100.0, 100.0);
    let out = painted(&base, &[(20.0, 20.0)], &o, RED, None);
    // Soft dab: r = √(7.5² + 0.5²) ≈ 7.517, smoothstep((10 − r) / 5) ≈ 0.495.
    assert_eq!(out.get_pixel(27, 20).0, [255, 0, 0, 126]);
    assert_eq!(out.get_pixel(20, 20).0, [255, 0, 0, 255]);
    assert_eq!(out.get_pixel(30, 20).0, [0, 0, 0, 0]);
}

#[test]
fn opacity_caps_a_stroke_that_crosses_itself() {
    let base = grey(100, 100, 0);
    let o = options(12.0, 100.0, 50.0, 100.0);
    let white = PaintTool::Brush {
        color: [255, 255, 255],
    };
    // A loop through (50, 50) twice.
    let points = [
        (10.0, 50.0),
        (90.0, 50.0),
        (90.0, 20.0),
        (50.0, 20.0),
        (50.0, 90.0),
    ];
    let out = painted(&base, &points, &o, white, None);
    let max = out.pixels().map(|p| p[0]).max().unwrap();
    assert_eq!(
        max, 128,
        "50 % of white over black, even where the stroke crosses"
    );
    assert_eq!(out.get_pixel(50, 50)[0], 128);
    assert_eq!(out.get_pixel(30, 50)[0], 128);
    // A second stroke is a new contribution: it builds on the first.
    let again = painted(&out, &points, &o, white, None);
    assert_eq!(again.get_pixel(50, 50)[0], 192);
}

#[test]
fn flow_builds_up_within_a_stroke_up_to_the_opacity() {
    let base = grey(200, 40, 0);
    let white = PaintTool::Brush {
        color: [255, 255, 255],
    };
    // One dab at 30 % flow.
    let one = painted(
        &base,
        &[(20.0, 20.0)],
        &options(20.0, 100.0, 100.0, 30.0),
        white,
        None,
    );
    assert_eq!(one.get_pixel(20, 20)[0], 77);
    // Many overlapping dabs (spacing 1 % of 20 px): the middle builds up to white.
    let dense = PaintOptions {
        spacing: 1.0,
        ..options(20.0, 100.0, 100.0, 30.0)
    };
    let line = painted(&base, &[(20.0, 20.0), (180.0, 20.0)], &dense, white, None);
    assert_eq!(line.get_pixel(100, 20)[0], 255);
    // Two dabs overlapping: 1 − 0.7² of the way.
    let two = PaintOptions {
        spacing: 10.0,
        ..options(20.0, 100.0, 100.0, 30.0)
    };
    let pair = painted(&base, &[(20.0, 20.0), (22.0, 20.0)], &two, white, None);
    // Rounded up: 77 + ⌈178 × 77 / 255⌉.
    assert_eq!(pair.get_pixel(21, 20)[0], 131);
    // ... but never past the opacity.
    let capped = PaintOptions {
        opacity: 60.0,
        ..dense
    };
    let line = painted(&base, &[(20.0, 20.0), (180.0, 20.0)], &capped, white, None);
    assert_eq!(line.get_pixel(100, 20)[0], 153);
}

#[test]
fn the_eraser_removes_alpha_and_keeps_colour() {
    let base = RgbaImage::from_pixel(40, 40, Rgba([10, 200, 30, 200]));
    let full = painted(
        &base,
        &[(20.0, 20.0)],
        &options(10.0, 100.0, 100.0, 100.0),
        PaintTool::Eraser,
        None,
    );
    assert_eq!(full.get_pixel(20, 20).0, [10, 200, 30, 0]);
    assert_eq!(full.get_pixel(35, 35).0, [10, 200, 30, 200]);
    let half = painted(
        &base,
        &[(20.0, 20.0)],
        &options(10.0, 100.0, 50.0, 100.0),
        PaintTool::Eraser,
        None,
    );
    // 200 × (1 − 128/255), rounded.
    assert_eq!(half.get_pixel(20, 20).0, [10, 200, 30, 100]);
}

fn pattern(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        Rgba([
            (x * 7 % 256) as u8,
            (y * 5 % 256) as u8,
            ((x ^ y) % 256) as u8,
            255,
        ])
    })
}

fn whole(image: &RgbaImage) -> DirtyRect {
    DirtyRect {
        x: 0,
        y: 0,
        width: image.width(),
        height: image.height(),
    }
}

#[test]
fn the_clone_stamp_copies_from_the_offset_without_feedback() {
    let base = pattern(120, 80);
    let clone = PaintTool::CloneStamp {
        offset: (-10, 0),
        source_area: whole(&base),
    };
    // Along the offset's direction: the source runs over pixels the stroke
    // already painted, but must read them as they were.
    let out = painted(
        &base,
        &[(30.0, 40.0), (90.0, 40.0)],
        &options(16.0, 100.0, 100.0, 100.0),
        clone,
        None,
    );
    for x in 30..90 {
        for y in 36..44 {
            assert_eq!(out.get_pixel(x, y), base.get_pixel(x - 10, y), "({x}, {y})");
        }
    }
    assert_eq!(out.get_pixel(60, 60), base.get_pixel(60, 60));
}

#[test]
fn a_clone_source_off_the_canvas_contributes_nothing() {
    let base = pattern(60, 60);
    let clone = PaintTool::CloneStamp {
        offset: (-40, 0),
        source_area: whole(&base),
    };
    let out = painted(
        &base,
        &[(20.0, 30.0)],
        &options(16.0, 100.0, 100.0, 100.0),
        clone,
        None,
    );
    // x < 40 samples x − 40 < 0: nothing; the area limits it the same way.
    assert_eq!(out, base);
    let limited = PaintTool::CloneStamp {
        offset: (5, 0),
        source_area: DirtyRect {
            x: 0,
            y: 0,
            width: 30,
            height: 60,
        },
    };
    let out = painted(
        &base,
        &[(20.0, 30.0)],
        &options(16.0, 100.0, 100.0, 100.0),
        limited,
        None,
    );
    assert_eq!(out.get_pixel(26, 30), base.get_pixel(26, 30));
    assert_eq!(out.get_pixel(15, 30), base.get_pixel(20, 30));
}

#[test]
fn the_selection_limits_and_scales_the_stroke() {
    let base = grey(60, 20, 0);
    let white = PaintTool::Brush {
        color: [255, 255, 255],
    };
    let o = options(20.0, 100.0, 100.0, 100.0);
    let points = [(5.0, 10.0), (55.0, 10.0)];
    let stroke = PaintStroke::plan(base.dimensions(), &points, &o, white).unwrap();
    let rect = stroke.dirty().unwrap();
    // Left third unselected, middle half-selected, right third selected.
    let selection = GrayImage::from_fn(rect.width, rect.height, |x, _| {
        Luma([match rect.x + x {
            0..20 => 0,
            20..40 => 128,
            _ => 255,
        }])
    });
    let (_, pixels) = paint_cpu(&base, &stroke, Some(&selection))
        .unwrap()
        .unwrap();
    for (x, y, p) in pixels.enumerate_pixels() {
        let (cx, cy) = (rect.x + x, rect.y + y);
        if (5..15).contains(&cy) {
            let expected = match cx {
                0..20 => 0,
                20..40 => 128,
                _ => 255,
            };
            assert_eq!(p[0], expected, "({cx}, {cy})");
        }
        if cx < 20 {
            assert_eq!(
                p,
                base.get_pixel(cx, cy),
                "unselected ({cx}, {cy}) is bit-exact"
            );
        }
    }
    let wrong = GrayImage::new(3, 3);
    assert!(matches!(
        paint_cpu(&base, &stroke, Some(&wrong)),
        Err(Error::SizeMismatch(_))
    ));
}

#[test]
fn straight_alpha_compositing_matches_the_float_formula() {
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let dest: [u8; 4] = std::array::from_fn(|_| rng.edge_biased_byte());
        let source = [
            rng.next() as u8,
            rng.next() as u8,
            rng.next() as u8,
            rng.edge_biased_byte(),
        ];
        let alpha = u32::from(rng.edge_biased_byte());
        let got = cpu::apply(dest, source, alpha, false);
        // The stroke's alpha times the source's, rounded to 8 bits.
        let a = (f64::from(alpha) * f64::from(source[3]) / 255.0).round() / 255.0;
        let da = f64::from(dest[3]) / 255.0;
        let out_a = a + da * (1.0 - a);
        // One rounding of the exact formula: within half a level.
        let close = |got: u8, exact: f64| (f64::from(got) - exact).abs() <= 0.5 + 1e-9;
        assert!(close(got[3], out_a * 255.0), "{dest:?} {source:?} {alpha}");
        if out_a > 0.0 {
            for c in 0..3 {
                let expected =
                    (f64::from(source[c]) * a + f64::from(dest[c]) * da * (1.0 - a)) / out_a;
                assert!(
                    close(got[c], expected),
                    "{dest:?} {source:?} {alpha}: {got:?} vs {expected}"
                );
            }
        }
    }
}

#[test]
fn the_dirty_rectangle_is_clipped_and_a_miss_changes_nothing() {
    let base = grey(50, 40, 9);
    let o = options(10.0, 100.0, 100.0, 100.0);
    let stroke =
        PaintStroke::plan(base.dimensions(), &[(-2.0, 38.0), (3.0, 45.0)], &o, RED).unwrap();
    assert_eq!(
        stroke.dirty(),
        Some(DirtyRect {
            x: 0,
            y: 33,
            width: 8,
            height: 7
        })
    );
    let miss = PaintStroke::plan(
        base.dimensions(),
        &[(-50.0, -50.0), (-20.0, -60.0)],
        &o,
        RED,
    )
    .unwrap();
    assert_eq!(paint_cpu(&base, &miss, None).unwrap(), None);
}

#[test]
fn a_long_thin_stroke_across_a_big_image_stays_on_the_cpu() {
    let thin = PaintOptions {
        diameter: 3.0,
        ..PaintOptions::default()
    };
    let across = [(0.0, 0.0), (4000.0, 3000.0)];
    let long = PaintStroke::plan((4000, 3000), &across, &thin, RED).unwrap();
    assert!(!long.dabs.suits_gpu(long.dirty().unwrap()));
    let short =
        PaintStroke::plan((4000, 3000), &[(10.0, 10.0), (400.0, 300.0)], &thin, RED).unwrap();
    assert!(short.dabs.suits_gpu(short.dirty().unwrap()));
}

#[test]
fn bad_parameters_are_refused_by_name() {
    let ok = PaintOptions::default();
    let cases: [(&str, PaintOptions, Points); 9] = [
        (
            "diameter",
            PaintOptions {
                diameter: 0.5,
                ..ok
            },
            vec![(1.0, 1.0)],
        ),
        (
            "diameter",
            PaintOptions {
                diameter: 6000.0,
                ..ok
            },
            vec![(1.0, 1.0)],
        ),
        (
            "hardness",
            PaintOptions {
                hardness: 101.0,
                ..ok
            },
            vec![(1.0, 1.0)],
        ),
        (
            "spacing",
            PaintOptions { spacing: 0.0, ..ok },
            vec![(1.0, 1.0)],
        ),
        (
            "opacity",
            PaintOptions {
                opacity: f32::NAN,
                ..ok
            },
            vec![(1.0, 1.0)],
        ),
        ("flow", PaintOptions { flow: -1.0, ..ok }, vec![(1.0, 1.0)]),
        ("points", ok, vec![]),
        ("points", ok, vec![(1.0, f32::INFINITY)]),
        ("points", ok, vec![(1.0, 1.0); MAX_POINTS + 1]),
    ];
    for (expected, o, points) in cases {
        match PaintStroke::plan((8, 8), &points, &o, RED) {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, expected),
            Err(other) => panic!("{expected}: {other}"),
            Ok(_) => panic!("{expected}: accepted"),
        }
    }
    let too_many_dabs = PaintOptions {
        diameter: 1.0,
        spacing: 1.0,
        ..ok
    };
    match PaintStroke::plan((8, 8), &[(0.0, 0.0), (1e7, 0.0)], &too_many_dabs, RED) {
        Err(Error::InvalidParameter { name, message }) => {
            assert_eq!(name, "points");
            assert!(message.contains("dabs"), "{message}");
        }
        other => panic!("{:?}", other.err()),
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_equals_cpu_bit_for_bit() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let mut rng = Rng(11);
    let base = RgbaImage::from_fn(97, 83, |_, _| {
        Rgba(std::array::from_fn(|_| rng.edge_biased_byte()))
    });
    let area = DirtyRect {
        x: 5,
        y: 0,
        width: 80,
        height: 83,
    };
    let strokes: [(&[Point], PaintOptions, PaintTool); 5] = [
        (
            &[(10.0, 12.0), (60.3, 40.7), (20.0, 55.0), (70.0, 12.0)],
            PaintOptions {
                diameter: 13.0,
                hardness: 30.0,
                spacing: 10.0,
                opacity: 70.0,
                flow: 40.0,
            },
            PaintTool::Brush {
                color: [12, 200, 99],
            },
        ),
        (
            &[(-5.0, 30.0), (100.0, 31.5)],
            PaintOptions {
                diameter: 25.0,
                hardness: 100.0,
                spacing: 30.0,
                opacity: 100.0,
                flow: 100.0,
            },
            PaintTool::Eraser,
        ),
        (
            &[(40.0, 20.0), (40.0, 70.0), (90.0, 80.0)],
            PaintOptions {
                diameter: 31.7,
                hardness: 0.0,
                spacing: 5.0,
                opacity: 55.0,
                flow: 23.0,
            },
            PaintTool::CloneStamp {
                offset: (-17, 9),
                source_area: area,
            },
        ),
        (
            &[(33.3, 33.3)],
            PaintOptions {
                diameter: 1.0,
                hardness: 0.0,
                spacing: 100.0,
                opacity: 100.0,
                flow: 70.0,
            },
            PaintTool::Brush {
                color: [255, 255, 255],
            },
        ),
        (
            &[(0.0, 0.0), (97.0, 83.0)],
            PaintOptions {
                diameter: 300.0,
                hardness: 60.0,
                spacing: 25.0,
                opacity: 35.0,
                flow: 80.0,
            },
            PaintTool::Eraser,
        ),
    ];
    for (i, (points, o, tool)) in strokes.into_iter().enumerate() {
        let stroke = PaintStroke::plan(base.dimensions(), points, &o, tool).unwrap();
        let rect = stroke.dirty().unwrap();
        let selection = (i % 2 == 0).then(|| {
            GrayImage::from_fn(rect.width, rect.height, |_, _| {
                Luma([rng.edge_biased_byte()])
            })
        });
        let cpu = paint_cpu(&base, &stroke, selection.as_ref())
            .unwrap()
            .unwrap();
        let on_gpu = pollster::block_on(paint(engine, &base, &stroke, selection.as_ref()))
            .unwrap()
            .unwrap();
        assert_eq!(cpu.0, on_gpu.0);
        assert!(
            cpu.1 == on_gpu.1,
            "stroke {i} ({tool:?}) differs on the GPU"
        );
        // In bands of three rows, the same.
        let banded = pollster::block_on(gpu::paint(
            gpu,
            &base,
            &stroke,
            rect,
            selection.as_ref(),
            u64::from(rect.width) * 4 * 3,
        ))
        .unwrap();
        assert!(cpu.1 == banded, "stroke {i} ({tool:?}) differs in bands");
        let before =
            image::imageops::crop_imm(&base, rect.x, rect.y, rect.width, rect.height).to_image();
        assert!(cpu.1 != before, "stroke {i} changed nothing");
    }
}

/// The option a manifest parameter sets.
fn option_mut<'a>(o: &'a mut PaintOptions, id: &str) -> &'a mut f32 {
    match id {
        "diameter" => &mut o.diameter,
        "hardness" => &mut o.hardness,
        "spacing" => &mut o.spacing,
        "opacity" => &mut o.opacity,
        "flow" => &mut o.flow,
        other => panic!("unexpected parameter {other}"),
    }
}

#[test]
fn the_manifests_give_the_options_defaults_and_ranges() {
    use crate::plugin::{Param, Registry};
    let registry = Registry::builtin().unwrap();
    for id in [
        "retouch.paint.brush",
        "retouch.paint.eraser",
        "retouch.paint.clone",
    ] {
        let manifest = registry.manifests().iter().find(|m| m.id == id).unwrap();
        let mut numbers = 0;
        for param in &manifest.params {
            let Param::Number {
                id: name,
                min,
                max,
                default,
                ..
            } = param
            else {
                continue;
            };
            numbers += 1;
            let mut o = PaintOptions::default();
            assert_eq!(*option_mut(&mut o, name), *default as f32, "{id}: {name}");
            for (v, ok) in [
                (*min, true),
                (*max, true),
                (*min - 0.5, false),
                (*max + 0.5, false),
            ] {
                let mut o = PaintOptions::default();
                *option_mut(&mut o, name) = v as f32;
                match PaintStroke::plan((8, 8), &[(1.0, 1.0)], &o, RED) {
                    Ok(_) => assert!(ok, "{id}: {name} = {v} accepted"),
                    Err(Error::InvalidParameter { name: got, .. }) => {
                        assert!(!ok, "{id}: {name} = {v} refused");
                        assert_eq!(&got, name);
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        }
        assert_eq!(numbers, 5, "{id}");
    }
}

#[test]
fn a_stroke_costing_more_than_the_cap_is_refused_before_any_work() {
    // The case from issue 12: a 5000 px brush dragged back and forth across
    // a 16384² canvas (it ran for over a minute). Planning is all it takes.
    let huge = PaintOptions {
        diameter: 5000.0,
        ..PaintOptions::default()
    };
    let zigzag: Points = (0..80)
        .map(|i| (if i % 2 == 0 { 0.0 } else { 16000.0 }, 200.0 * i as f32))
        .collect();
    let err = PaintStroke::plan((16384, 16384), &zigzag, &huge, RED)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("points") && err.contains("smaller brush"),
        "{err}"
    );
    // The same brush for a short stroke, and a small brush for the long
    // one, stay within it.
    let short = [(100.0, 100.0), (3000.0, 100.0)];
    assert!(PaintStroke::plan((16384, 16384), &short, &huge, RED).is_ok());
    let small = PaintOptions {
        diameter: 50.0,
        ..PaintOptions::default()
    };
    assert!(PaintStroke::plan((16384, 16384), &zigzag, &small, RED).is_ok());
}

/// A photograph with translucent patches, so the eraser and the brush's
/// alpha arithmetic meet every kind of backdrop.
fn translucent_photo(name: &str) -> RgbaImage {
    let mut image = crate::test_kit::photo(name);
    for (x, y, p) in image.enumerate_pixels_mut() {
        if (x / 24 + y / 24) % 3 == 0 {
            p.0[3] = ((x * 5 + y * 3) % 256) as u8;
        }
    }
    image
}

/// Live strokes: a brush inside a soft selection, an eraser, a clone stamp
/// reaching off its source area, each as the pointer sends its points.
fn live_strokes(size: (u32, u32)) -> Vec<(Points, PaintOptions, PaintTool)> {
    let (w, h) = (size.0 as f32, size.1 as f32);
    let path =
        |n: usize, f: &dyn Fn(f32) -> Point| (0..n).map(|i| f(i as f32 / n as f32)).collect();
    vec![
        (
            path(40, &|t| {
                (10.0 + t * (w - 20.0), h * 0.5 + (t * 9.0).sin() * h * 0.3)
            }),
            options(23.0, 40.0, 80.0, 35.0),
            PaintTool::Brush {
                color: [220, 30, 90],
            },
        ),
        (
            path(25, &|t| (w * t, h * (1.0 - t))),
            options(31.5, 90.0, 100.0, 60.0),
            PaintTool::Eraser,
        ),
        (
            path(30, &|t| (w * 0.3 + t * w * 0.6, 15.0 + t * 20.0)),
            options(17.0, 0.0, 65.0, 100.0),
            PaintTool::CloneStamp {
                offset: (-40, 35),
                source_area: DirtyRect {
                    x: 8,
                    y: 0,
                    width: size.0 - 30,
                    height: size.1,
                },
            },
        ),
    ]
}

/// The selection over `rect` of a photo-textured mask the image's size.
fn selection_in(mask: &GrayImage, rect: DirtyRect) -> GrayImage {
    image::imageops::crop_imm(mask, rect.x, rect.y, rect.width, rect.height).to_image()
}

#[test]
fn a_live_stroke_caught_up_now_and_then_equals_the_whole_stroke() {
    let base = translucent_photo("coffee");
    let mask = crate::test_kit::photo_mask(base.width(), base.height());
    for (points, o, tool) in live_strokes(base.dimensions()) {
        let whole = painted(&base, &points, &o, tool, None);
        // Caught up after every point, after every fifth, and once at the end.
        for cadence in [1, 5, points.len()] {
            let mut live = LiveStroke::begin(base.clone(), &o, tool).unwrap();
            let mut out = base.clone();
            for (i, chunk) in points.chunks(2).enumerate() {
                live.add(chunk).unwrap();
                if (i + 1) % cadence == 0 {
                    live.catch_up(&mut out, |_| None).unwrap();
                    assert!(!live.has_unpainted());
                }
            }
            live.catch_up(&mut out, |_| None).unwrap();
            assert!(out == whole, "{tool:?} caught up every {cadence} differs");
        }
        // With a selection: each rectangle gets the selection under it.
        let stroke = PaintStroke::plan(base.dimensions(), &points, &o, tool).unwrap();
        let rect = stroke.dirty().unwrap();
        let (_, expected) = paint_cpu(&base, &stroke, Some(&selection_in(&mask, rect)))
            .unwrap()
            .unwrap();
        let mut live = LiveStroke::begin(base.clone(), &o, tool).unwrap();
        let mut out = base.clone();
        live.add(&points[..7]).unwrap();
        // A selection of the wrong size is refused, changing nothing.
        let refused = live.catch_up(&mut out, |_| Some(GrayImage::new(3, 3)));
        assert!(matches!(refused, Err(Error::SizeMismatch(_))));
        assert!(live.has_unpainted() && out == base);
        live.catch_up(&mut out, |r| Some(selection_in(&mask, r)))
            .unwrap();
        live.add(&points[7..]).unwrap();
        live.catch_up(&mut out, |r| Some(selection_in(&mask, r)))
            .unwrap();
        let got = image::imageops::crop_imm(&out, rect.x, rect.y, rect.width, rect.height);
        assert!(
            got.to_image() == expected,
            "{tool:?} in a selection differs"
        );
    }
}

/// The GPU's live stroke (the layer and `S` held there, the new dabs sent
/// each time) gives the CPU's bytes, whatever the dispatch bounds.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn a_live_stroke_on_the_gpu_equals_the_cpu_bit_for_bit() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    // An odd width: S's last word of each row is partly past the layer.
    let base =
        image::imageops::crop_imm(&translucent_photo("astronaut"), 0, 0, 187, 141).to_image();
    let mask = crate::test_kit::photo_mask(base.width(), base.height());
    let read = |buffer: &wgpu::Buffer| {
        let bytes =
            pollster::block_on(gpu.read_buffer(buffer, 0, base.as_raw().len() as u64)).unwrap();
        RgbaImage::from_raw(base.width(), base.height(), bytes).unwrap()
    };
    for (s, (points, o, tool)) in live_strokes(base.dimensions()).into_iter().enumerate() {
        for (max_tests, selected) in [(MAX_GPU_DAB_TESTS, s != 1), (3000, s == 1)] {
            let selection = |r: DirtyRect| selected.then(|| selection_in(&mask, r));
            let mut cpu_live = LiveStroke::begin(base.clone(), &o, tool).unwrap();
            let mut cpu = base.clone();
            let mut gpu_live = LiveStroke::begin(base.clone(), &o, tool).unwrap();
            let layer = gpu.storage_buffer("layer", base.as_raw());
            let on_gpu = GpuLiveStroke::begin(gpu, &gpu_live, &layer);
            for chunk in points.chunks(3) {
                cpu_live.add(chunk).unwrap();
                cpu_live.catch_up(&mut cpu, selection).unwrap();
                let Some(placed) = gpu_live.add(chunk).unwrap() else {
                    continue;
                };
                let under = selection(placed.rect);
                let painted = on_gpu.paint_bounded(
                    gpu,
                    &gpu_live,
                    &layer,
                    &placed,
                    under.as_ref(),
                    max_tests,
                );
                pollster::block_on(painted).unwrap();
            }
            let held = read(&layer);
            assert!(
                held == cpu,
                "{tool:?} (selection {selected}, dispatches of {max_tests}) differs on the GPU by {}",
                crate::test_kit::max_diff(&held, &cpu)
            );
            assert!(held != base, "{tool:?} painted nothing");
        }
    }
}
