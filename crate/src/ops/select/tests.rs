//! Shapes against brute-force references, combine modes and bad input.

use super::*;
use crate::test_kit::max_diff;
use crate::test_rng::Rng;

/// Test-local draws on top of the shared generator.
trait Draws {
    fn coord(&mut self, extent: u32) -> f32;
}

impl Draws for Rng {
    fn coord(&mut self, extent: u32) -> f32 {
        // Reaches past the canvas on both sides.
        (self.next() % ((extent + 10) * 8)) as f32 / 8.0 - 5.0
    }
}

/// Winding number of `points` around `(px, py)`, counted the textbook way.
fn winding_number(points: &[(f32, f32)], px: f64, py: f64) -> i32 {
    let mut winding = 0;
    for (i, &(ax, ay)) in points.iter().enumerate() {
        let (bx, by) = points[(i + 1) % points.len()];
        let (ax, ay, bx, by) = (f64::from(ax), f64::from(ay), f64::from(bx), f64::from(by));
        let side = (bx - ax) * (py - ay) - (px - ax) * (by - ay);
        if ay <= py && by > py && side > 0.0 {
            winding += 1;
        } else if by <= py && ay > py && side < 0.0 {
            winding -= 1;
        }
    }
    winding
}

/// Coverage by point sampling: the same 16 sub-scanlines, 256 samples across.
fn reference_polygon(width: u32, height: u32, points: &[(f32, f32)]) -> GrayImage {
    let (rows, cols) = (cpu::SUBSCANLINES, 256);
    GrayImage::from_fn(width, height, |x, y| {
        let mut inside = 0;
        for j in 0..rows {
            let py = f64::from(y) + (f64::from(j) + 0.5) / f64::from(rows);
            for i in 0..cols {
                let px = f64::from(x) + (f64::from(i) + 0.5) / f64::from(cols);
                inside += u32::from(winding_number(points, px, py) != 0);
            }
        }
        image::Luma([(f64::from(inside) * 255.0 / f64::from(rows * cols)).round() as u8])
    })
}

#[test]
fn polygon_matches_point_sampled_winding_reference() {
    let mut rng = Rng(0x5eed_1234);
    for case in 0..12 {
        let (w, h) = (23 + case, 17 + 2 * case);
        let n = 3 + (rng.next() % 9) as usize;
        let points: Vec<(f32, f32)> = (0..n).map(|_| (rng.coord(w), rng.coord(h))).collect();
        let got = polygon(w, h, &points).unwrap();
        let want = reference_polygon(w, h, &points);
        // The reference samples 256 points across where ours is exact.
        assert!(max_diff(&got, &want) <= 3, "case {case}: {points:?}");
    }
}

#[test]
fn self_intersecting_star_keeps_its_centre_under_non_zero_winding() {
    // A pentagram: the centre has winding number 2 (even-odd would leave a hole).
    let star: Vec<(f32, f32)> = (0..5)
        .map(|k| {
            let a = std::f32::consts::PI * (-0.5 + 0.8 * k as f32);
            (50.0 + 40.0 * a.cos(), 50.0 + 40.0 * a.sin())
        })
        .collect();
    assert_eq!(winding_number(&star, 50.0, 50.0).abs(), 2);
    let mask = polygon(100, 100, &star).unwrap();
    assert_eq!(mask.get_pixel(50, 50).0[0], 255);
    assert_eq!(mask.get_pixel(2, 2).0[0], 0);
    // The same outline traced twice is still selected once.
    let twice = [star.clone(), star].concat();
    assert_eq!(polygon(100, 100, &twice).unwrap(), mask);
}

#[test]
fn rectangle_coverage_is_the_pixel_area_inside() {
    let whole = Rect {
        x: 2.0,
        y: 1.0,
        width: 3.0,
        height: 2.0,
    };
    let mask = rectangle(8, 5, whole).unwrap();
    for (x, y, p) in mask.enumerate_pixels() {
        let inside = (2..5).contains(&x) && (1..3).contains(&y);
        assert_eq!(p.0[0], if inside { 255 } else { 0 }, "({x}, {y})");
    }
    let half = rectangle(
        8,
        5,
        Rect {
            x: 2.5,
            y: 1.0,
            width: 1.0,
            height: 1.25,
        },
    )
    .unwrap();
    assert_eq!(half.get_pixel(2, 1).0[0], 128); // 0.5 × 1 × 255 = 127.5
    assert_eq!(half.get_pixel(3, 1).0[0], 128);
    assert_eq!(half.get_pixel(2, 2).0[0], 32); // 0.5 × 0.25 × 255 = 31.875
                                               // Past the canvas: clipped, not an error.
    let big = rectangle(
        4,
        4,
        Rect {
            x: -10.0,
            y: -10.0,
            width: 100.0,
            height: 100.0,
        },
    )
    .unwrap();
    assert!(big.iter().all(|&v| v == 255));
}

#[test]
fn ellipse_has_the_right_area_and_symmetry() {
    let rect = Rect {
        x: 10.0,
        y: 20.0,
        width: 60.0,
        height: 30.0,
    };
    let mask = ellipse(80, 70, rect).unwrap();
    let area: f64 = mask.iter().map(|&v| f64::from(v) / 255.0).sum();
    let exact = std::f64::consts::PI * 30.0 * 15.0;
    assert!(
        (area - exact).abs() / exact < 0.002,
        "area {area} vs {exact}"
    );
    for (x, y, p) in mask.enumerate_pixels() {
        let mirrored = mask.get_pixel(79 - x, y).0[0];
        assert_eq!(p.0[0], mirrored, "({x}, {y})");
    }
    assert_eq!(mask.get_pixel(40, 35).0[0], 255);
    assert_eq!(mask.get_pixel(11, 21).0[0], 0);
}

#[test]
fn drag_with_a_fixed_ratio_keeps_the_ratio_towards_the_pointer() {
    let free = Rect::from_drag((10.0, 10.0), (4.0, 30.0), None).unwrap();
    assert_eq!(
        free,
        Rect {
            x: 4.0,
            y: 10.0,
            width: 6.0,
            height: 20.0
        }
    );
    let square = Rect::from_drag((10.0, 10.0), (4.0, 30.0), Some(1.0)).unwrap();
    assert_eq!(
        square,
        Rect {
            x: -10.0,
            y: 10.0,
            width: 20.0,
            height: 20.0
        }
    );
    let wide = Rect::from_drag((0.0, 0.0), (32.0, 1.0), Some(16.0 / 9.0)).unwrap();
    assert_eq!((wide.width, wide.height), (32.0, 18.0));
    assert!(Rect::from_drag((0.0, 0.0), (1.0, 1.0), Some(0.0)).is_err());
}

#[test]
fn combine_modes_follow_their_formulas() {
    let selection = GrayImage::from_raw(4, 1, vec![0, 100, 200, 255]).unwrap();
    let shape = GrayImage::from_raw(4, 1, vec![50, 50, 255, 0]).unwrap();
    let run = |mode| {
        let mut s = selection.clone();
        combine(&mut s, &shape, mode).unwrap();
        s.into_raw()
    };
    assert_eq!(run(CombineMode::Replace), vec![50, 50, 255, 0]);
    assert_eq!(run(CombineMode::Add), vec![50, 100, 255, 255]);
    assert_eq!(run(CombineMode::Subtract), vec![0, 100, 0, 255]);
    assert_eq!(run(CombineMode::Intersect), vec![0, 50, 200, 0]);
    let mut inverted = selection.clone();
    invert(&mut inverted);
    assert_eq!(inverted.into_raw(), vec![255, 155, 55, 0]);
    assert!(select_all(3, 2).unwrap().iter().all(|&v| v == 255));
    assert!(deselect(3, 2).unwrap().iter().all(|&v| v == 0));
}

#[test]
fn bad_input_is_rejected_and_changes_nothing() {
    let param = |r: Result<GrayImage>| match r {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("expected a parameter error, got {other:?}"),
    };
    assert_eq!(param(polygon(10, 10, &[(1.0, 1.0), (5.0, 5.0)])), "points");
    assert_eq!(param(polygon(10, 10, &[])), "points");
    assert_eq!(
        param(polygon(10, 10, &[(1.0, 1.0), (f32::NAN, 5.0), (3.0, 1.0)])),
        "points"
    );
    let bad_rect = Rect {
        x: 0.0,
        y: 0.0,
        width: -1.0,
        height: 2.0,
    };
    assert_eq!(param(rectangle(10, 10, bad_rect)), "rect");
    assert_eq!(
        param(ellipse(
            0,
            10,
            Rect {
                x: 0.0,
                y: 0.0,
                width: 1.0,
                height: 1.0
            }
        )),
        "size"
    );
    assert!(matches!(select_all(20000, 10), Err(Error::TooLarge(_))));
    assert!(CombineMode::from_name("xor").is_err());

    let mut selection = GrayImage::from_pixel(4, 4, image::Luma([7]));
    let wrong = GrayImage::new(4, 5);
    assert!(matches!(
        combine(&mut selection, &wrong, CombineMode::Add),
        Err(Error::SizeMismatch(_))
    ));
    assert!(selection.iter().all(|&v| v == 7));
}

#[test]
fn selection_from_layer_alpha_follows_the_offset_and_clips() {
    let layer = RgbaImage::from_fn(4, 3, |x, y| image::Rgba([9, 9, 9, (x * 60 + y) as u8]));
    let mask = from_alpha(6, 5, &layer, (3, -1)).unwrap();
    for (x, y, value) in mask.enumerate_pixels() {
        let (lx, ly) = (x as i32 - 3, y as i32 + 1);
        let want = if (0..4).contains(&lx) && (0..3).contains(&ly) {
            (lx * 60 + ly) as u8
        } else {
            0
        };
        assert_eq!(value.0[0], want, "at ({x}, {y})");
    }
    assert!(from_alpha(0, 5, &layer, (0, 0)).is_err());
}

#[test]
fn covered_box_is_the_brute_force_box() {
    let mut rng = Rng(41);
    assert_eq!(covered_box(&GrayImage::new(9, 7)), None);
    for _ in 0..50 {
        let (w, h) = (1 + rng.next() % 40, 1 + rng.next() % 40);
        let mut mask = GrayImage::new(w, h);
        for _ in 0..rng.next() % 5 {
            let (x, y) = (rng.next() % w, rng.next() % h);
            mask.put_pixel(x, y, image::Luma([1 + (rng.next() % 255) as u8]));
        }
        let covered: Vec<(u32, u32)> = mask
            .enumerate_pixels()
            .filter(|p| p.2[0] > 0)
            .map(|p| (p.0, p.1))
            .collect();
        let expected = (!covered.is_empty()).then(|| {
            let x0 = covered.iter().map(|p| p.0).min().unwrap();
            let x1 = covered.iter().map(|p| p.0).max().unwrap();
            let y0 = covered.iter().map(|p| p.1).min().unwrap();
            let y1 = covered.iter().map(|p| p.1).max().unwrap();
            (x0, y0, x1 - x0 + 1, y1 - y0 + 1)
        });
        assert_eq!(covered_box(&mask), expected);
    }
}

/// The edge by its definition, pixel by pixel with explicit neighbour lookups.
fn reference_outline(mask: &GrayImage) -> GrayImage {
    let (w, h) = (mask.width() as i64, mask.height() as i64);
    let on = |x: i64, y: i64| {
        x >= 0 && y >= 0 && x < w && y < h && mask.get_pixel(x as u32, y as u32)[0] >= 128
    };
    GrayImage::from_fn(mask.width(), mask.height(), |x, y| {
        let (x, y) = (i64::from(x), i64::from(y));
        let edge = on(x, y)
            && [(-1, 0), (1, 0), (0, -1), (0, 1)]
                .iter()
                .any(|(dx, dy)| !on(x + dx, y + dy));
        image::Luma([if edge { 255 } else { 0 }])
    })
}

#[test]
fn outline_traces_the_fifty_percent_edge() {
    // A marquee from (2, 1) to (7, 5) on 10×8: its edge is the rectangle's one-pixel border.
    let rect = rectangle(
        10,
        8,
        Rect {
            x: 2.0,
            y: 1.0,
            width: 5.0,
            height: 4.0,
        },
    )
    .unwrap();
    let edge = outline(&rect);
    let count = edge.iter().filter(|&&v| v == 255).count();
    assert_eq!(count, 2 * 5 + 2 * 2, "the border of a 5×4 box");
    assert_eq!(edge.get_pixel(2, 1)[0], 255);
    assert_eq!(edge.get_pixel(4, 3)[0], 0, "inside is not edge");
    assert_eq!(edge.get_pixel(0, 0)[0], 0, "outside is not edge");
    // Everything selected: the canvas border is the edge.
    let all = outline(&select_all(6, 4).unwrap());
    assert_eq!(all.iter().filter(|&&v| v == 255).count(), 2 * 6 + 2 * 2);
    assert!(outline(&deselect(6, 4).unwrap()).iter().all(|&v| v == 0));
    // Random soft masks (ellipses, feathered values) against the definition.
    let mut rng = Rng(91);
    for _ in 0..20 {
        let (w, h) = (1 + rng.next() % 40, 1 + rng.next() % 30);
        let mask = GrayImage::from_fn(w, h, |_, _| image::Luma([rng.edge_biased_byte()]));
        assert_eq!(outline(&mask), reference_outline(&mask));
    }
}

#[test]
fn a_polygon_costing_more_than_the_cap_is_refused_and_a_big_lasso_is_not() {
    // Issue 12: 11,000 points zigzagging across a 16384² canvas took 100 s.
    let zigzag: Vec<(f32, f32)> = (0..11_000)
        .map(|i| (i as f32 * 1.4, if i % 2 == 0 { 0.0 } else { 16383.0 }))
        .collect();
    assert!(cpu::polygon_crossings(16384, &zigzag) > MAX_POLYGON_CROSSINGS);
    let err = polygon(16384, 16384, &zigzag).unwrap_err().to_string();
    assert!(
        err.contains("points") && err.contains("fewer points"),
        "{err}"
    );
    // An 11,000-point freehand circle has a few crossings per row.
    let circle: Vec<(f32, f32)> = (0..11_000)
        .map(|i| {
            let t = i as f32 / 11_000.0 * std::f32::consts::TAU;
            (2048.0 + 1900.0 * t.cos(), 2048.0 + 1900.0 * t.sin())
        })
        .collect();
    let crossings = cpu::polygon_crossings(4096, &circle);
    assert!(crossings <= 2 * 16 * 4096 + 11_000, "{crossings}");
    let mask = polygon(4096, 4096, &circle).unwrap();
    assert_eq!(mask.get_pixel(2048, 2048).0[0], 255);
    assert_eq!(mask.get_pixel(10, 10).0[0], 0);
}
