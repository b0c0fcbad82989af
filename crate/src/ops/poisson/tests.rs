//! Poisson blending on photographs: what the solve must undo (shifts and
//! linear drift of the source), a converged f64 solve of the same system,
//! screening, bit-exact outside pixels, CPU/GPU parity and bad input.
//! SciPy's direct solve checks it from outside (tests/poisson.test.mjs).

use super::*;
use crate::engine::test_gpu_engine;
use crate::test_kit::{max_diff, photo, PHOTOS};
use image::{Luma, Rgba};

/// An irregular selection: an ellipse with a rectangle bitten out of it and
/// a thin arm, so the boundary has corners, concavities and a narrow part.
fn blob(width: u32, height: u32, cx: f32, cy: f32, rx: f32, ry: f32) -> GrayImage {
    GrayImage::from_fn(width, height, |x, y| {
        let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
        let ellipse = dx * dx + dy * dy <= 1.0;
        let bite = x as f32 > cx + rx * 0.3 && (y as f32) < cy - ry * 0.2;
        let arm = (y as f32 - cy).abs() < 2.0 && (x as f32) < cx && (x as f32) > cx - 1.6 * rx;
        Luma([if (ellipse && !bite) || arm { 255 } else { 0 }])
    })
}

/// The photo squeezed into 40..=215, so a shifted copy never clips.
fn squeezed(name: &str) -> RgbaImage {
    let mut image = photo(name);
    for px in image.pixels_mut() {
        for c in 0..3 {
            px.0[c] = 40 + (u32::from(px.0[c]) * 175 / 255) as u8;
        }
    }
    image
}

/// `image` plus `drift(x, y)` per channel.
fn drifted(image: &RgbaImage, drift: impl Fn(u32, u32) -> [f32; 3]) -> RgbaImage {
    let mut out = image.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let d = drift(x, y);
        for (value, shift) in px.0.iter_mut().zip(d) {
            *value = (f32::from(*value) + shift).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// The largest difference between `a` and `b` over the selected pixels.
fn max_diff_inside(a: &RgbaImage, b: &RgbaImage, selection: &GrayImage) -> u8 {
    a.pixels()
        .zip(b.pixels())
        .zip(selection.pixels())
        .filter(|(_, s)| s.0[0] > 0)
        .flat_map(|((p, q), _)| (0..4).map(move |c| p.0[c].abs_diff(q.0[c])))
        .max()
        .unwrap_or(0)
}

#[test]
fn outside_pixels_are_bit_exact_and_alpha_is_the_destinations() {
    let mut destination = photo("coffee");
    for (x, y, px) in destination.enumerate_pixels_mut() {
        px.0[3] = ((x + 3 * y) % 256) as u8;
    }
    let source = photo("brick");
    let selection = blob(192, 144, 90.0, 70.0, 40.0, 30.0);
    let out = blend_cpu(
        &destination,
        &source,
        &selection,
        &PoissonOptions::default(),
    )
    .unwrap();
    let mut inside = 0;
    for ((o, d), s) in out
        .pixels()
        .zip(destination.pixels())
        .zip(selection.pixels())
    {
        if s.0[0] == 0 {
            assert_eq!(o, d);
        } else {
            assert_eq!(o.0[3], d.0[3]);
            inside += usize::from(o != d);
        }
    }
    assert!(inside > 1000, "only {inside} selected pixels changed");
}

/// Poisson blending keeps the source's gradients, so a source that is the
/// destination plus a harmonic drift (a constant per channel, or a plane)
/// must come back as the destination: the drift is exactly what the
/// boundary corrects.
#[test]
fn a_constant_or_planar_drift_of_the_source_is_undone() {
    for (i, name) in PHOTOS.iter().enumerate() {
        let destination = squeezed(name);
        let selection = if i % 2 == 0 {
            blob(192, 144, 96.0, 72.0, 55.0, 45.0)
        } else {
            // A hole touching the canvas edge: Neumann there.
            blob(192, 144, 20.0, 120.0, 60.0, 40.0)
        };
        let constant = drifted(&destination, |_, _| [25.0, -30.0, 12.0]);
        let planar = drifted(&destination, |x, y| {
            [
                0.2 * x as f32 - 20.0,
                -0.15 * y as f32 + 10.0,
                0.1 * (x as f32 - y as f32),
            ]
        });
        // Along the canvas edge the solve keeps δ's normal derivative at 0
        // (Neumann), which a plane does not satisfy: constant drift only there.
        let cases = if i % 2 == 0 {
            vec![("constant", constant), ("planar", planar)]
        } else {
            vec![("constant", constant)]
        };
        for (label, source) in cases {
            let out = blend_cpu(
                &destination,
                &source,
                &selection,
                &PoissonOptions::default(),
            )
            .unwrap();
            let diff = max_diff_inside(&out, &destination, &selection);
            assert!(diff <= 1, "{name} {label}: off by {diff}");
        }
    }
}

/// The same system solved in f64 by Gauss–Seidel until it stops moving, on
/// the whole canvas (no pyramid, no window).
fn converged(
    destination: &RgbaImage,
    source: &RgbaImage,
    selection: &GrayImage,
    screening: f64,
) -> RgbaImage {
    let (w, h) = (destination.width() as i64, destination.height() as i64);
    let at = |x: i64, y: i64| (y * w + x) as usize;
    let selected = |x: i64, y: i64| selection.get_pixel(x as u32, y as u32).0[0] > 0;
    let mut delta: Vec<[f64; 3]> = destination
        .pixels()
        .zip(source.pixels())
        .map(|(d, s)| [0, 1, 2].map(|c| f64::from(d.0[c]) - f64::from(s.0[c])))
        .collect();
    for (i, s) in selection.pixels().enumerate() {
        if s.0[0] > 0 {
            delta[i] = [0.0; 3];
        }
    }
    for _ in 0..20_000 {
        let mut change = 0f64;
        for y in 0..h {
            for x in 0..w {
                if !selected(x, y) {
                    continue;
                }
                let mut sum = [0.0; 3];
                let mut n = 0.0;
                for (qx, qy) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] {
                    if qx >= 0 && qy >= 0 && qx < w && qy < h {
                        let q = delta[at(qx, qy)];
                        sum = [sum[0] + q[0], sum[1] + q[1], sum[2] + q[2]];
                        n += 1.0;
                    }
                }
                let new = sum.map(|s| s / (n + screening));
                let old = delta[at(x, y)];
                change = change.max((0..3).map(|c| (new[c] - old[c]).abs()).fold(0.0, f64::max));
                delta[at(x, y)] = new;
            }
        }
        if change < 1e-6 {
            break;
        }
    }
    let mut out = destination.clone();
    for (i, (px, s)) in out.pixels_mut().zip(source.pixels()).enumerate() {
        if selection.as_raw()[i] > 0 {
            for ((value, source), shift) in px.0.iter_mut().zip(s.0).zip(delta[i]) {
                *value = (f64::from(source) + shift).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

#[test]
fn agrees_with_a_converged_solve_on_photographs() {
    let pairs = [
        ("chelsea", "grass"),
        ("astronaut", "rocket"),
        ("brick", "coffee"),
    ];
    for (k, (dest_name, source_name)) in pairs.iter().enumerate() {
        let destination = photo(dest_name);
        let source = photo(source_name);
        let selection = blob(192, 144, 80.0 + 10.0 * k as f32, 70.0, 45.0, 35.0);
        for screening in [0.0, 0.05] {
            let options = PoissonOptions { screening };
            let out = blend_cpu(&destination, &source, &selection, &options).unwrap();
            let reference = converged(&destination, &source, &selection, f64::from(screening));
            let diff = max_diff(&out, &reference);
            assert!(
                diff <= 1,
                "{dest_name}←{source_name} λ={screening}: off by {diff}"
            );
        }
    }
}

/// With strong screening the middle of a large hole keeps the source's own
/// colour; without it the middle takes the destination's tone.
#[test]
fn screening_keeps_the_source_colour_away_from_the_edge() {
    let destination = RgbaImage::from_pixel(96, 96, Rgba([60, 60, 60, 255]));
    let source = RgbaImage::from_pixel(96, 96, Rgba([200, 120, 40, 255]));
    let selection = GrayImage::from_fn(96, 96, |x, y| {
        Luma([if (16..80).contains(&x) && (16..80).contains(&y) {
            255
        } else {
            0
        }])
    });
    let plain = blend_cpu(
        &destination,
        &source,
        &selection,
        &PoissonOptions::default(),
    )
    .unwrap();
    assert_eq!(plain.get_pixel(48, 48).0, [60, 60, 60, 255]);
    let screened = blend_cpu(
        &destination,
        &source,
        &selection,
        &PoissonOptions { screening: 1.0 },
    )
    .unwrap();
    let middle = screened.get_pixel(48, 48).0;
    assert!(
        middle[0].abs_diff(200) <= 1 && middle[1].abs_diff(120) <= 1 && middle[2].abs_diff(40) <= 1,
        "{middle:?}"
    );
    // Next to the edge the destination still pulls.
    let edge = screened.get_pixel(16, 48).0;
    assert!(edge[0] < 180, "{edge:?}");
}

#[test]
fn a_tiny_selection_and_a_full_canvas_work() {
    let destination = photo("grass");
    let source = photo("rocket");
    let mut one = GrayImage::new(192, 144);
    one.put_pixel(50, 60, Luma([255]));
    let out = blend_cpu(&destination, &source, &one, &PoissonOptions::default()).unwrap();
    // One pixel: the source's Laplacian around the destination's neighbours.
    let (d, s) = (&destination, &source);
    for c in 0..3 {
        let n = [(49, 60), (51, 60), (50, 59), (50, 61)];
        let expected = n
            .iter()
            .map(|&(x, y)| {
                f32::from(d.get_pixel(x, y).0[c]) + f32::from(s.get_pixel(50, 60).0[c])
                    - f32::from(s.get_pixel(x, y).0[c])
            })
            .sum::<f32>()
            / 4.0;
        let got = out.get_pixel(50, 60).0[c];
        assert!(
            (f32::from(got) - expected.clamp(0.0, 255.0)).abs() <= 0.51,
            "{got} vs {expected}"
        );
    }
    // Everything selected and no screening: no boundary, the source as is.
    let all = GrayImage::from_pixel(192, 144, Luma([255]));
    let out = blend_cpu(&destination, &source, &all, &PoissonOptions::default()).unwrap();
    let expected = RgbaImage::from_fn(192, 144, |x, y| {
        let mut px = *source.get_pixel(x, y);
        px.0[3] = destination.get_pixel(x, y).0[3];
        px
    });
    assert_eq!(max_diff(&out, &expected), 0);
}

#[test]
fn bad_input_is_refused_naming_the_parameter() {
    let image = photo("coffee");
    let selection = blob(192, 144, 90.0, 70.0, 20.0, 20.0);
    let small = RgbaImage::new(10, 10);
    let err = blend_cpu(&image, &small, &selection, &PoissonOptions::default()).unwrap_err();
    assert!(err.to_string().contains("source"), "{err}");
    let err = blend_cpu(
        &image,
        &image,
        &GrayImage::new(5, 5),
        &PoissonOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("selection"), "{err}");
    let err = blend_cpu(
        &image,
        &image,
        &GrayImage::new(192, 144),
        &PoissonOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    for screening in [-0.1, f32::NAN, 11.0] {
        let err = blend_cpu(&image, &image, &selection, &PoissonOptions { screening }).unwrap_err();
        assert!(err.to_string().contains("screening"), "{err}");
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_matches_cpu_within_one() {
    let engine = test_gpu_engine();
    for (k, name) in PHOTOS.iter().enumerate() {
        let destination = photo(name);
        let source = photo(PHOTOS[(k + 1) % PHOTOS.len()]);
        let selection = blob(
            192,
            144,
            40.0 + 20.0 * k as f32,
            72.0,
            30.0 + 5.0 * k as f32,
            40.0,
        );
        for screening in [0.0, 0.3] {
            let options = PoissonOptions { screening };
            let cpu = blend_cpu(&destination, &source, &selection, &options).unwrap();
            let gpu =
                pollster::block_on(blend(engine, &destination, &source, &selection, &options))
                    .unwrap();
            let diff = max_diff(&cpu, &gpu);
            assert!(
                diff <= 1,
                "{name} λ={screening}: CPU and GPU differ by {diff}"
            );
            for ((c, g), s) in cpu.pixels().zip(gpu.pixels()).zip(selection.pixels()) {
                if s.0[0] == 0 {
                    assert_eq!(c, g);
                }
            }
        }
    }
}

/// `image` with a bright, soft-edged blemish of radius `r` at (`cx`, `cy`), and
/// the stroke a retoucher would paint over it (the blemish's core).
fn blemished(image: &RgbaImage, cx: f32, cy: f32, r: f32) -> (RgbaImage, GrayImage) {
    let mut out = image.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        let k = (1.0 - (d - r + 1.5) / 1.5).clamp(0.0, 1.0) * 0.8;
        for v in &mut px.0[..3] {
            *v = (f32::from(*v) * (1.0 - k) + 245.0 * k).round() as u8;
        }
    }
    let stroke = GrayImage::from_fn(image.width(), image.height(), |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        Luma([if d <= r - 1.0 { 255 } else { 0 }])
    });
    (out, stroke)
}

/// Heals a blemish in every photograph with `heal` and checks the seam,
/// the inside against the clean photograph, and the untouched rest.
fn removes_blemishes(heal: impl Fn(&RgbaImage, &GrayImage) -> Healed) {
    use crate::provider::seam_metrics;
    let mut results = Vec::new();
    for name in PHOTOS {
        let clean = photo(name);
        let (image, stroke) = blemished(&clean, 120.0, 60.0, 7.0);
        let healed = heal(&image, &stroke);
        let mut result = image.clone();
        image::imageops::replace(
            &mut result,
            &healed.pixels,
            i64::from(healed.x),
            i64::from(healed.y),
        );
        let region = morphology::grow_cpu(&stroke, SPOT_BLEND_GROW).unwrap();
        for (x, y, px) in result.enumerate_pixels() {
            if region.get_pixel(x, y).0[0] == 0 {
                assert_eq!(px, image.get_pixel(x, y), "{name}: ({x}, {y}) changed");
            }
        }
        // Against the photograph without the blemish: no step at the edge, and
        // inside close to what was there (the blemish itself was far off).
        let m = seam_metrics(&clean, &result, &region, &region).unwrap();
        let before = seam_metrics(&clean, &image, &region, &region).unwrap();
        eprintln!(
            "spot heal {name}: edge ΔE00 {:.2} (p95 {:.2}), inside {:.2} (blemish {:.2})",
            m.edge_delta_e, m.edge_delta_e_p95, m.inside_delta_e, before.inside_delta_e
        );
        results.push((name, m, before));
    }
    for (name, m, before) in results {
        assert!(m.edge_delta_e <= 1.0, "{name}: {m:?}");
        assert!(
            m.inside_delta_e < before.inside_delta_e / 2.0,
            "{name}: {m:?} vs {before:?}"
        );
    }
}

#[test]
fn spot_heal_removes_a_blemish_without_a_seam_and_leaves_the_rest_bit_exact() {
    removes_blemishes(|image, stroke| {
        spot_heal_cpu(image, stroke, &FillOptions::default()).unwrap()
    });
    let clean = photo("coffee");
    assert!(spot_heal_cpu(&clean, &GrayImage::new(192, 144), &FillOptions::default()).is_err());
    assert!(spot_heal_cpu(&clean, &GrayImage::new(10, 10), &FillOptions::default()).is_err());
}

/// On the GPU the fill draws its own field (see `ops::fill`), so the
/// result is held to the same quality, not to the CPU's pixels.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn spot_heal_on_the_gpu_removes_a_blemish_as_well() {
    let engine = test_gpu_engine();
    removes_blemishes(|image, stroke| {
        pollster::block_on(spot_heal(engine, image, stroke, &FillOptions::default())).unwrap()
    });
    let (image, stroke) = blemished(&photo("brick"), 90.0, 70.0, 8.0);
    let cpu = spot_heal_cpu(&image, &stroke, &FillOptions::default()).unwrap();
    let gpu =
        pollster::block_on(spot_heal(engine, &image, &stroke, &FillOptions::default())).unwrap();
    assert_eq!((cpu.x, cpu.y), (gpu.x, gpu.y), "the same window");
}
