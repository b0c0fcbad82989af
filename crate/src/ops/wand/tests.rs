//! The wand against a plain breadth-first flood fill, global mode,
//! anti-aliasing and bad input.

use super::*;
use crate::test_rng::Rng;
use std::collections::VecDeque;

/// Few colours in small blobs, so regions are large and tangled.
fn random_blobs(rng: &mut Rng, width: u32, height: u32) -> RgbaImage {
    let palette: Vec<[u8; 4]> = (0..4)
        .map(|_| {
            [
                rng.next() as u8,
                rng.next() as u8,
                rng.next() as u8,
                200 + (rng.next() % 56) as u8,
            ]
        })
        .collect();
    RgbaImage::from_fn(width, height, |_, _| {
        let c = palette[(rng.next() % 4) as usize];
        let jitter = (rng.next() % 9) as u8;
        image::Rgba([
            c[0].saturating_add(jitter),
            c[1],
            c[2].saturating_sub(jitter),
            c[3],
        ])
    })
}

fn within(a: [u8; 4], b: [u8; 4], tolerance: u8) -> bool {
    a.iter().zip(&b).all(|(x, y)| x.abs_diff(*y) <= tolerance)
}

/// Breadth-first fill over 4-neighbours, one pixel at a time.
fn bfs_reference(image: &RgbaImage, seed: (u32, u32), tolerance: u8) -> GrayImage {
    let target = image.get_pixel(seed.0, seed.1).0;
    let mut out = GrayImage::new(image.width(), image.height());
    let mut queue = VecDeque::from([seed]);
    out.put_pixel(seed.0, seed.1, image::Luma([255]));
    while let Some((x, y)) = queue.pop_front() {
        let candidates = [
            (x.wrapping_sub(1), y),
            (x + 1, y),
            (x, y.wrapping_sub(1)),
            (x, y + 1),
        ];
        for (nx, ny) in candidates {
            if nx < image.width()
                && ny < image.height()
                && out.get_pixel(nx, ny).0[0] == 0
                && within(image.get_pixel(nx, ny).0, target, tolerance)
            {
                out.put_pixel(nx, ny, image::Luma([255]));
                queue.push_back((nx, ny));
            }
        }
    }
    out
}

fn hard(seed: (u32, u32), tolerance: u8, contiguous: bool) -> WandOptions {
    WandOptions {
        seed,
        tolerance,
        contiguous,
        anti_alias: false,
    }
}

#[test]
fn contiguous_fill_equals_breadth_first_reference() {
    let mut rng = Rng(0x3a9d_0001);
    for case in 0..40 {
        let (w, h) = (1 + rng.next() % 50, 1 + rng.next() % 50);
        let image = random_blobs(&mut rng, w, h);
        let seed = (rng.next() % w, rng.next() % h);
        let tolerance = [0, 4, 8, 40, 120, 255][case % 6];
        let got = magic_wand(&image, &hard(seed, tolerance, true)).unwrap();
        assert_eq!(got, bfs_reference(&image, seed, tolerance), "case {case}");
    }
}

#[test]
fn contiguous_fill_on_a_photograph_equals_breadth_first_reference() {
    // Sky, fur and grass: long runs, ragged edges and speckle, from seeds
    // across the frame at a retoucher's tolerances.
    for name in ["chelsea", "grass", "rocket"] {
        let image = crate::test_kit::photo(name);
        let (w, h) = image.dimensions();
        let seeds = [(0, 0), (w / 2, h / 3), (w - 1, h - 1), (w / 5, h - 9)];
        let mut largest = 0;
        for (i, seed) in seeds.into_iter().enumerate() {
            for tolerance in [6, 20, 48] {
                let got = magic_wand(&image, &hard(seed, tolerance, true)).unwrap();
                let want = bfs_reference(&image, seed, tolerance);
                assert_eq!(got, want, "{name}, seed {i}, tolerance {tolerance}");
                largest = largest.max(want.iter().filter(|&&v| v == 255).count());
            }
        }
        let pixels = (w * h) as usize;
        assert!(largest > pixels / 20, "{name}: a fill covers a region");
    }
}

#[test]
fn global_mode_selects_every_matching_pixel() {
    let mut rng = Rng(0x3a9d_0002);
    let image = random_blobs(&mut rng, 31, 17);
    let seed = (5, 9);
    let target = image.get_pixel(seed.0, seed.1).0;
    let got = magic_wand(&image, &hard(seed, 10, false)).unwrap();
    for (x, y, p) in image.enumerate_pixels() {
        let want = if within(p.0, target, 10) { 255 } else { 0 };
        assert_eq!(got.get_pixel(x, y).0[0], want);
    }
}

#[test]
fn anti_aliasing_only_softens_the_edge() {
    // A red square on blue: the hard selection is the square.
    let image = RgbaImage::from_fn(20, 20, |x, y| {
        if (5..15).contains(&x) && (5..15).contains(&y) {
            image::Rgba([255, 0, 0, 255])
        } else {
            image::Rgba([0, 0, 255, 255])
        }
    });
    let soft = magic_wand(
        &image,
        &WandOptions {
            seed: (9, 9),
            ..WandOptions::default()
        },
    )
    .unwrap();
    assert_eq!(soft.get_pixel(9, 9).0[0], 255);
    assert_eq!(soft.get_pixel(5, 9).0[0], 170); // 6 of 9 neighbours
    assert_eq!(soft.get_pixel(5, 5).0[0], 113); // 4 of 9
    assert_eq!(soft.get_pixel(4, 9).0[0], 85); // 3 of 9
    assert_eq!(soft.get_pixel(3, 9).0[0], 0);
    assert_eq!(soft.get_pixel(0, 0).0[0], 0);
}

/// The rounded mean of `hard` over each pixel's 3×3 window clipped to the
/// canvas, one window at a time.
fn box_reference(hard: &GrayImage) -> GrayImage {
    let (w, h) = (i64::from(hard.width()), i64::from(hard.height()));
    GrayImage::from_fn(hard.width(), hard.height(), |x, y| {
        let (mut sum, mut count) = (0u32, 0u32);
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (nx, ny) = (i64::from(x) + dx, i64::from(y) + dy);
                if (0..w).contains(&nx) && (0..h).contains(&ny) {
                    sum += u32::from(hard.get_pixel(nx as u32, ny as u32).0[0]);
                    count += 1;
                }
            }
        }
        image::Luma([((sum + count / 2) / count) as u8])
    })
}

#[test]
fn soft_edge_equals_the_clipped_box_mean() {
    let mut rng = Rng(0x3a9d_0003);
    let sizes = [(1, 1), (1, 9), (9, 1), (2, 2), (2, 7), (33, 3), (40, 41)];
    for (case, &(w, h)) in sizes.iter().enumerate() {
        let image = random_blobs(&mut rng, w, h);
        let seed = (rng.next() % w, rng.next() % h);
        let options = WandOptions {
            seed,
            tolerance: 40,
            contiguous: case % 2 == 0,
            anti_alias: true,
        };
        let soft = magic_wand(&image, &options).unwrap();
        let hard = magic_wand(
            &image,
            &WandOptions {
                anti_alias: false,
                ..options
            },
        )
        .unwrap();
        assert_eq!(soft, box_reference(&hard), "{w}×{h}");
    }
}

#[test]
fn a_seed_off_the_image_is_a_parameter_error() {
    let image = RgbaImage::new(8, 6);
    for seed in [(8, 0), (0, 6), (u32::MAX, 2)] {
        match magic_wand(&image, &hard(seed, 0, true)) {
            Err(Error::InvalidParameter { name, message }) => {
                assert_eq!(name, "seed");
                assert!(message.contains("outside the 8×6 image"), "{message}");
            }
            other => panic!("{seed:?}: {other:?}"),
        }
    }
}
