//! Grow/shrink against a brute-force distance search, CPU/GPU parity,
//! border, smooth and bad input.

use super::cpu::SELECTED;
use super::*;
use crate::engine::test_gpu_engine;
use crate::test_rng::Rng;

/// Sparse to dense random masks with anti-aliased values around the threshold.
fn random_density_mask(rng: &mut Rng, width: u32, height: u32) -> GrayImage {
    let density = 1 + rng.next() % 60;
    GrayImage::from_fn(width, height, |_, _| {
        let v = if rng.next() % 100 < density {
            128 + rng.next() % 128
        } else {
            rng.next() % 128
        };
        image::Luma([v as u8])
    })
}

/// Selected iff the squared distance to the nearest feature is at most N².
fn brute_force(mask: &GrayImage, n: u32, grow: bool) -> GrayImage {
    let features: Vec<(i64, i64)> = mask
        .enumerate_pixels()
        .filter(|(_, _, p)| (p.0[0] >= SELECTED) == grow)
        .map(|(x, y, _)| (i64::from(x), i64::from(y)))
        .collect();
    let n2 = i64::from(n) * i64::from(n);
    GrayImage::from_fn(mask.width(), mask.height(), |x, y| {
        let near = features
            .iter()
            .any(|&(fx, fy)| (fx - i64::from(x)).pow(2) + (fy - i64::from(y)).pow(2) <= n2);
        image::Luma([if near == grow { 255 } else { 0 }])
    })
}

#[test]
fn grow_and_shrink_equal_brute_force_distance_exactly() {
    let mut rng = Rng(0xd157_a9ce);
    for case in 0..24 {
        let (w, h) = (1 + rng.next() % 40, 1 + rng.next() % 40);
        let mask = random_density_mask(&mut rng, w, h);
        for n in [0, 1, 2, 3, 5, 8, 13, 30, 60] {
            assert_eq!(
                grow_cpu(&mask, n).unwrap(),
                brute_force(&mask, n, true),
                "case {case} grow {n}"
            );
            assert_eq!(
                shrink_cpu(&mask, n).unwrap(),
                brute_force(&mask, n, false),
                "case {case} shrink {n}"
            );
        }
    }
}

#[test]
fn the_direct_method_gives_the_distance_transforms_bits() {
    let mut rng = Rng(0x0d1e_c7ed);
    let mut masks = vec![crate::test_kit::photo_mask(301, 203)];
    masks.extend((0..6).map(|_| {
        let (w, h) = (1 + rng.next() % 70, 1 + rng.next() % 70);
        random_density_mask(&mut rng, w, h)
    }));
    for (i, mask) in masks.iter().enumerate() {
        for n in (0..=20).chain([33, 40, 41]) {
            for direction in [Direction::Grow, Direction::Shrink] {
                assert!(
                    cpu::within_distance_direct(mask, n, direction)
                        == cpu::within_distance_transform(mask, n, direction),
                    "mask {i}, {direction:?} {n}"
                );
            }
        }
    }
}

#[test]
fn a_single_pixel_grows_into_a_disc() {
    let mut mask = GrayImage::new(41, 41);
    mask.put_pixel(20, 20, image::Luma([255]));
    let grown = grow_cpu(&mask, 10).unwrap();
    let area = grown.iter().filter(|&&v| v == 255).count();
    // Lattice points in a disc of radius 10 (Gauss circle problem): 317.
    assert_eq!(area, 317);
    assert_eq!(grown.get_pixel(30, 20).0[0], 255);
    assert_eq!(grown.get_pixel(28, 28).0[0], 0); // √128 > 10
                                                 // Shrinking a full canvas keeps it whole: the border is not a boundary.
    let all = GrayImage::from_pixel(9, 9, image::Luma([255]));
    assert_eq!(shrink_cpu(&all, 4).unwrap(), all);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_grow_and_shrink_equal_cpu_exactly() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let mut rng = Rng(0x6e01);
    for &(w, h) in &[(1, 1), (1, 9), (9, 1), (67, 45), (130, 3)] {
        let mask = random_density_mask(&mut rng, w, h);
        for n in [0, 1, 4, 17, 200] {
            let want_grow = grow_cpu(&mask, n).unwrap();
            let want_shrink = shrink_cpu(&mask, n).unwrap();
            assert_eq!(
                pollster::block_on(grow(engine, &mask, n)).unwrap(),
                want_grow,
                "{w}×{h} grow {n}"
            );
            assert_eq!(
                pollster::block_on(shrink(engine, &mask, n)).unwrap(),
                want_shrink,
                "{w}×{h} shrink {n}"
            );
            // Tiny buffers force several column strips and row bands.
            let banded =
                pollster::block_on(gpu::within_distance(gpu, &mask, n, Direction::Grow, 4 * 5))
                    .unwrap();
            assert_eq!(banded, want_grow, "banded {w}×{h} grow {n}");
        }
    }
}

#[test]
fn border_is_a_ring_around_the_edge() {
    let mut mask = GrayImage::new(40, 40);
    for y in 10..30 {
        for x in 10..30 {
            mask.put_pixel(x, y, image::Luma([255]));
        }
    }
    let ring = pollster::block_on(border(&Engine::cpu(), &mask, 4)).unwrap();
    let grown = grow_cpu(&mask, 2).unwrap();
    let shrunk = shrink_cpu(&mask, 2).unwrap();
    for (i, &v) in ring.iter().enumerate() {
        let want = if grown.as_raw()[i] == 255 && shrunk.as_raw()[i] == 0 {
            255
        } else {
            0
        };
        assert_eq!(v, want);
    }
    assert_eq!(ring.get_pixel(20, 20).0[0], 0);
    assert_eq!(ring.get_pixel(9, 20).0[0], 255);
    assert_eq!(ring.get_pixel(11, 20).0[0], 255);
    assert_eq!(ring.get_pixel(7, 20).0[0], 0);
}

#[test]
fn smooth_removes_specks_and_fills_pinholes() {
    let mut mask = GrayImage::new(30, 30);
    for y in 5..25 {
        for x in 5..25 {
            mask.put_pixel(x, y, image::Luma([255]));
        }
    }
    mask.put_pixel(15, 15, image::Luma([0])); // pinhole
    mask.put_pixel(1, 28, image::Luma([255])); // speck
    let smoothed = smooth(&mask, 2).unwrap();
    assert_eq!(smoothed.get_pixel(15, 15).0[0], 255);
    assert_eq!(smoothed.get_pixel(1, 28).0[0], 0);
    assert_eq!(smoothed.get_pixel(10, 10).0[0], 255);
    assert_eq!(smoothed.get_pixel(2, 2).0[0], 0);
    // Radius 0 is a plain threshold.
    let grey = GrayImage::from_raw(3, 1, vec![127, 128, 255]).unwrap();
    assert_eq!(smooth(&grey, 0).unwrap().into_raw(), vec![0, 255, 255]);
}

#[test]
fn several_threads_give_the_single_threaded_result() {
    let mask = crate::test_kit::photo_mask(761, 437);
    type Op<'a> = &'a (dyn Fn(&GrayImage) -> Result<GrayImage> + Sync);
    let run = |threads, op: Op| crate::parallel::with_threads(threads, || op(&mask)).unwrap();
    let ops: [(&str, Op); 4] = [
        ("grow 7", &|m| grow_cpu(m, 7)),
        ("shrink 3", &|m| shrink_cpu(m, 3)),
        ("shrink 30", &|m| shrink_cpu(m, 30)),
        ("smooth 4", &|m| smooth(m, 4)),
    ];
    for (name, op) in ops {
        let one = run(1, op);
        assert!(one != mask, "{name} changed the mask");
        assert!(one == run(3, op), "{name}: 3 threads differ from 1");
    }
}

#[test]
fn distances_out_of_range_are_parameter_errors() {
    let mask = GrayImage::new(3, 3);
    let name = |r: Result<GrayImage>| match r {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(name(grow_cpu(&mask, MAX_DISTANCE + 1)), "distance");
    assert_eq!(name(shrink_cpu(&mask, u32::MAX)), "distance");
    assert_eq!(name(smooth(&mask, 5000)), "radius");
    assert_eq!(
        name(pollster::block_on(border(&Engine::cpu(), &mask, 0))),
        "width"
    );
}
