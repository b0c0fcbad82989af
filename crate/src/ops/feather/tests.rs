//! Feather against a direct Gaussian convolution, CPU/GPU parity, edge cases.

use super::cpu::gaussian;
use super::*;
use crate::engine::test_gpu_engine;
use crate::test_kit::max_diff;
use crate::test_rng::Rng;

/// Hard-edged blocks with some grey noise: step edges are where a Gaussian
/// approximation is worst.
fn random_block_mask(rng: &mut Rng, width: u32, height: u32) -> GrayImage {
    let block = 1 + rng.next() % 9;
    let cells: Vec<u8> = (0..(width / block + 1) * (height / block + 1))
        .map(|_| match rng.next() % 4 {
            0 | 1 => 0,
            2 => 255,
            _ => rng.next() as u8,
        })
        .collect();
    GrayImage::from_fn(width, height, |x, y| {
        image::Luma([cells[((y / block) * (width / block + 1) + x / block) as usize]])
    })
}

/// Direct convolution with the sampled, normalised Gaussian (truncated at 7σ)
/// in f64, pixels beyond the edge repeating the edge.
fn reference(mask: &GrayImage, sigma: f64) -> GrayImage {
    let reach = (7.0 * sigma).ceil() as i64;
    let kernel: Vec<f64> = (-reach..=reach)
        .map(|i| (-((i * i) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let (w, h) = (i64::from(mask.width()), i64::from(mask.height()));
    let blur = |get: &dyn Fn(i64, i64) -> f64, x: i64, y: i64, horizontal: bool| -> f64 {
        kernel
            .iter()
            .zip(-reach..)
            .map(|(k, i)| {
                let v = if horizontal {
                    get((x + i).clamp(0, w - 1), y)
                } else {
                    get(x, (y + i).clamp(0, h - 1))
                };
                k * v
            })
            .sum::<f64>()
            / total
    };
    let input = |x: i64, y: i64| f64::from(mask.get_pixel(x as u32, y as u32).0[0]);
    let vertical: Vec<f64> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| blur(&input, x, y, false))
        .collect();
    let rows = |x: i64, y: i64| vertical[(y * w + x) as usize];
    GrayImage::from_fn(mask.width(), mask.height(), |x, y| {
        let v = blur(&rows, i64::from(x), i64::from(y), true);
        image::Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}

const RADII: [f32; 11] = [0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 40.0, 120.0, 250.0];

#[test]
fn agrees_with_direct_gaussian_convolution_within_one() {
    let mut rng = Rng(0xfea7_11e5);
    for (i, &radius) in RADII.iter().enumerate() {
        let (w, h) = (37 + 11 * i as u32, 29 + 7 * i as u32);
        let mask = random_block_mask(&mut rng, w, h);
        let sigma = f64::from(sigma_for_radius(radius));
        let got = feather_cpu(&mask, radius).unwrap();
        let diff = max_diff(&got, &reference(&mask, sigma));
        assert!(diff <= 1, "radius {radius}: max difference {diff}");
    }
}

#[test]
fn the_direct_kernel_and_the_recursion_agree_within_one_across_their_range() {
    // Both against the f64 convolution, and each other, on a photograph's
    // mask and hard blocks, at σ from the direct kernel's least to its most.
    let mut rng = Rng(0xd1ec_7000);
    let masks = [
        crate::test_kit::photo_mask(97, 61),
        random_block_mask(&mut rng, 83, 45),
    ];
    for mask in &masks {
        for sigma in [
            super::direct::MIN_SIGMA,
            0.5,
            1.0,
            1.7,
            3.0,
            super::direct::MAX_SIGMA,
        ] {
            let direct = super::direct::gaussian(mask, sigma);
            let recursive = gaussian(mask, sigma);
            let exact = reference(mask, f64::from(sigma));
            assert!(max_diff(&direct, &exact) <= 1, "direct, σ {sigma}");
            assert!(max_diff(&recursive, &exact) <= 1, "recursive, σ {sigma}");
            assert!(max_diff(&direct, &recursive) <= 1, "σ {sigma}");
            assert!(sigma < 0.5 || direct != *mask, "σ {sigma} blurred");
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_x86_vector_rows_equal_the_plain_lane_loops_bit_for_bit() {
    // Widths at and around a block (32 px for AVX2, 64 for AVX-512), odd
    // and even, a band that starts below the top, σ across the range.
    let mut rng = Rng(0x0dd_e7e2);
    let masks = [
        crate::test_kit::photo_mask(97, 61),
        crate::test_kit::photo_mask(64, 9),
        random_block_mask(&mut rng, 65, 23),
        random_block_mask(&mut rng, 33, 40),
        random_block_mask(&mut rng, 200, 31),
    ];
    let mut compared = 0;
    for mask in &masks {
        let width = mask.width() as usize;
        for sigma in [
            super::direct::MIN_SIGMA,
            0.6,
            1.0,
            2.3,
            4.0,
            super::direct::MAX_SIGMA,
        ] {
            let w = super::direct::weights(sigma);
            for y_start in [0, 5] {
                let len = (mask.height() as usize - y_start) * width;
                let mut plain = vec![0; len];
                super::direct::blur_rows(mask, &w, y_start, &mut plain);
                for (tier, vector) in super::direct_x86::blur_rows_each_tier(mask, &w, y_start, len)
                {
                    assert!(
                        vector == plain,
                        "{tier}, {width} px wide, σ {sigma}, from row {y_start}"
                    );
                    compared += 1;
                }
            }
        }
    }
    if std::is_x86_feature_detected!("avx2") {
        assert!(
            compared >= 5 * 6 * 2,
            "every mask compared on AVX2 at least"
        );
    } else {
        eprintln!("skipped: this CPU has no AVX2, so the vector rows never run");
    }
}

#[test]
fn a_step_edge_matches_the_gaussian_integral() {
    // Left half selected: the profile across the edge is the Gaussian's CDF.
    let mask = GrayImage::from_fn(400, 3, |x, _| image::Luma([if x < 200 { 255 } else { 0 }]));
    for radius in [4.0, 40.0, 100.0] {
        let got = feather_cpu(&mask, radius).unwrap();
        let want = reference(&mask, f64::from(sigma_for_radius(radius)));
        assert!(max_diff(&got, &want) <= 1, "radius {radius}");
        assert_eq!(got.get_pixel(0, 1).0[0], 255, "the border stays selected");
    }
}

#[test]
fn flat_masks_stay_flat_and_radius_zero_is_the_identity() {
    for value in [0, 1, 128, 254, 255] {
        let mask = GrayImage::from_pixel(19, 23, image::Luma([value]));
        for radius in [0.7, 9.0, 250.0] {
            let got = feather_cpu(&mask, radius).unwrap();
            assert!(
                got.iter().all(|&v| v == value),
                "value {value}, radius {radius}"
            );
        }
    }
    let mut rng = Rng(7);
    let mask = random_block_mask(&mut rng, 13, 5);
    assert_eq!(feather_cpu(&mask, 0.0).unwrap(), mask);
    let one = GrayImage::from_pixel(1, 1, image::Luma([77]));
    assert_eq!(gaussian(&one, 30.0), one);
}

#[test]
fn several_threads_give_the_single_threaded_result() {
    // Odd sizes: the column groups and row bands end mid-strip and mid-band.
    let mask = crate::test_kit::photo_mask(761, 437);
    for radius in [1.5, 20.0, 250.0] {
        let run = |threads| crate::parallel::with_threads(threads, || feather_cpu(&mask, radius));
        let one = run(1).unwrap();
        assert!(one != mask, "radius {radius}: the mask was blurred");
        assert!(
            one == run(3).unwrap(),
            "radius {radius}: 3 threads differ from 1"
        );
    }
}

#[test]
fn the_recursion_never_sinks_into_subnormal_numbers_over_long_empty_runs() {
    // An edge, then 4000 empty pixels: without the floor on the inputs the
    // state decays through the subnormal range (slow on Intel) down to 0.
    let column: Vec<u8> = [255u8; 100].into_iter().chain([0; 4000]).collect();
    for sigma in [2.0, 10.0, 40.0] {
        let smallest = super::cpu::smallest_causal_state(&column, sigma);
        assert!(
            smallest >= f32::MIN_POSITIVE,
            "σ = {sigma}: the state reached {smallest:e}, below the normal range"
        );
    }
}

#[test]
fn radius_out_of_range_is_a_parameter_error() {
    let mask = GrayImage::new(4, 4);
    for radius in [-0.5, 250.5, f32::NAN, f32::INFINITY] {
        match feather_cpu(&mask, radius) {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "radius"),
            other => panic!("radius {radius}: {other:?}"),
        }
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_matches_cpu_within_one() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let mut rng = Rng(0x0bad_cafe);
    let sizes = [(1, 1), (1, 17), (17, 1), (65, 33), (130, 71)];
    for (i, &(w, h)) in sizes.iter().enumerate() {
        let mask = random_block_mask(&mut rng, w, h);
        for radius in [0.5, 3.0, 40.0, 250.0] {
            let cpu = feather_cpu(&mask, radius).unwrap();
            let on_gpu = pollster::block_on(feather(engine, &mask, radius)).unwrap();
            assert!(max_diff(&cpu, &on_gpu) <= 1, "{w}×{h}, radius {radius}");
            // Tiny bands force several column strips and row bands.
            let sigma = sigma_for_radius(radius);
            let banded =
                pollster::block_on(gpu::gaussian(gpu, &mask, sigma, 4 * (i as u64 + 7))).unwrap();
            assert!(
                max_diff(&cpu, &banded) <= 1,
                "banded {w}×{h}, radius {radius}"
            );
        }
    }
}
