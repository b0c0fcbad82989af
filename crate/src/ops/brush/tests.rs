//! Dab placement, profile, dirty rectangle, CPU/GPU parity and bad input.

use super::*;
use crate::engine::test_gpu_engine;
use crate::Error;

fn stroke(canvas: (u32, u32), points: &[(f32, f32)], o: &BrushOptions) -> cpu::Stroke {
    plan(&GrayImage::new(canvas.0, canvas.1), points, o).unwrap()
}

#[test]
fn dabs_are_evenly_spaced_along_the_whole_polyline() {
    let o = BrushOptions {
        diameter: 10.0,
        spacing: 0.5,
        ..BrushOptions::default()
    };
    // 5 px apart along an L of lengths 12 and 8: the spacing carries over the corner.
    let s = stroke((100, 100), &[(0.0, 0.0), (12.0, 0.0), (12.0, 8.0)], &o);
    assert_eq!(
        s.dabs.centres,
        vec![
            (0.0, 0.0),
            (5.0, 0.0),
            (10.0, 0.0),
            (12.0, 3.0),
            (12.0, 8.0)
        ]
    );
    assert_eq!(
        stroke((9, 9), &[(3.0, 4.0)], &o).dabs.centres,
        vec![(3.0, 4.0)]
    );
}

#[test]
fn a_dab_is_round_soft_edged_and_touches_only_its_rectangle() {
    let mut mask = GrayImage::new(64, 64);
    let o = BrushOptions {
        diameter: 20.0,
        hardness: 0.5,
        ..BrushOptions::default()
    };
    let rect = paint_stroke_cpu(&mut mask, &[(30.0, 30.0)], &o)
        .unwrap()
        .unwrap();
    assert_eq!(
        rect,
        DirtyRect {
            x: 20,
            y: 20,
            width: 20,
            height: 20
        }
    );
    assert_eq!(mask.get_pixel(30, 30).0[0], 255);
    assert_eq!(mask.get_pixel(33, 30).0[0], 255); // r = 3.5 ≤ 5
                                                  // r = √(7.5² + 0.5²) ≈ 7.517: smoothstep((10 − r) / 5) ≈ 0.495.
    assert_eq!(mask.get_pixel(37, 30).0[0], 126);
    assert_eq!(mask.get_pixel(40, 30).0[0], 0); // r > 10
    for (x, y, p) in mask.enumerate_pixels() {
        let inside = (20..40).contains(&x) && (20..40).contains(&y);
        assert!(
            inside || p.0[0] == 0,
            "({x}, {y}) outside the dirty rectangle changed"
        );
        // Mirror symmetry about the dab's centre, the pixel corner (30, 30).
        if x <= 59 && y <= 59 {
            assert_eq!(p.0[0], mask.get_pixel(59 - x, y).0[0], "({x}, {y})");
            assert_eq!(p.0[0], mask.get_pixel(x, 59 - y).0[0], "({x}, {y})");
        }
    }
}

#[test]
fn flow_builds_up_and_erase_takes_away() {
    let mut mask = GrayImage::new(16, 16);
    let o = BrushOptions {
        diameter: 8.0,
        hardness: 1.0,
        flow: 0.5,
        ..BrushOptions::default()
    };
    paint_stroke_cpu(&mut mask, &[(8.0, 8.0)], &o).unwrap();
    assert_eq!(mask.get_pixel(8, 8).0[0], 128);
    paint_stroke_cpu(&mut mask, &[(8.0, 8.0)], &o).unwrap();
    assert_eq!(mask.get_pixel(8, 8).0[0], 192); // 128 + 127·0.502
    let eraser = BrushOptions {
        erase: true,
        flow: 1.0,
        ..o
    };
    paint_stroke_cpu(&mut mask, &[(8.0, 8.0)], &eraser).unwrap();
    assert_eq!(mask.get_pixel(8, 8).0[0], 0);
    // A stroke entirely off the canvas changes nothing and reports no rectangle.
    let before = mask.clone();
    assert_eq!(
        paint_stroke_cpu(&mut mask, &[(-50.0, -50.0), (-30.0, -60.0)], &o).unwrap(),
        None
    );
    assert_eq!(mask, before);
}

#[test]
fn bad_parameters_are_rejected_and_change_nothing() {
    let mut mask = GrayImage::from_pixel(8, 8, image::Luma([9]));
    let cases = [
        (
            "diameter",
            BrushOptions {
                diameter: 0.5,
                ..BrushOptions::default()
            },
            vec![(1.0, 1.0)],
        ),
        (
            "hardness",
            BrushOptions {
                hardness: 1.5,
                ..BrushOptions::default()
            },
            vec![(1.0, 1.0)],
        ),
        (
            "spacing",
            BrushOptions {
                spacing: 0.0,
                ..BrushOptions::default()
            },
            vec![(1.0, 1.0)],
        ),
        (
            "flow",
            BrushOptions {
                flow: f32::NAN,
                ..BrushOptions::default()
            },
            vec![(1.0, 1.0)],
        ),
        ("points", BrushOptions::default(), vec![]),
        (
            "points",
            BrushOptions::default(),
            vec![(1.0, 1.0), (f32::INFINITY, 2.0)],
        ),
        (
            "points",
            BrushOptions {
                spacing: 0.01,
                diameter: 1.0,
                ..BrushOptions::default()
            },
            vec![(0.0, 0.0), (1e7, 0.0)],
        ),
    ];
    for (expected, o, points) in cases {
        match paint_stroke_cpu(&mut mask, &points, &o) {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, expected),
            other => panic!("{expected}: {other:?}"),
        }
    }
    assert!(mask.iter().all(|&v| v == 9));
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_matches_cpu_exactly() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let strokes: [(&[(f32, f32)], BrushOptions); 3] = [
        (
            &[(10.0, 12.0), (60.0, 40.0), (20.0, 55.0)],
            BrushOptions {
                diameter: 13.0,
                hardness: 0.3,
                spacing: 0.1,
                flow: 0.4,
                erase: false,
            },
        ),
        (
            &[(-5.0, 30.0), (90.0, 31.5)],
            BrushOptions {
                diameter: 25.0,
                hardness: 1.0,
                spacing: 0.3,
                flow: 1.0,
                erase: true,
            },
        ),
        (
            &[(33.3, 33.3)],
            BrushOptions {
                diameter: 1.0,
                hardness: 0.0,
                spacing: 1.0,
                flow: 0.7,
                erase: false,
            },
        ),
    ];
    let base = GrayImage::from_fn(71, 64, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]));
    for (points, o) in strokes {
        let mut cpu = base.clone();
        let mut on_gpu = base.clone();
        let mut banded = base.clone();
        let rect = paint_stroke_cpu(&mut cpu, points, &o).unwrap();
        assert_eq!(
            pollster::block_on(paint_stroke(engine, &mut on_gpu, points, &o)).unwrap(),
            rect
        );
        let s = plan(&base, points, &o).unwrap();
        pollster::block_on(gpu::paint(gpu, &mut banded, &s, rect.unwrap(), 4 * 3 * 71)).unwrap();
        for got in [&on_gpu, &banded] {
            let diff = cpu
                .iter()
                .zip(got.iter())
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap();
            assert_eq!(diff, 0, "{o:?}");
        }
    }
}
