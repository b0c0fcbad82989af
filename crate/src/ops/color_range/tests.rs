//! Colour range values, CPU/GPU parity and bad input.

use super::*;
use crate::engine::test_gpu_engine;
use crate::test_kit::{random_channels, Draw};
use crate::test_rng::Rng;

#[test]
fn coverage_falls_linearly_with_distance() {
    // Distances 0, 30 (18, 24, 0), 60 (36, 48, 0) and 100.
    let image = RgbaImage::from_raw(
        4,
        1,
        vec![
            100, 100, 100, 0, 118, 124, 100, 255, 136, 148, 100, 9, 200, 100, 100, 255,
        ],
    )
    .unwrap();
    let got = color_range_cpu(&image, &[[100, 100, 100]], 60.0).unwrap();
    assert_eq!(got.into_raw(), vec![255, 128, 0, 0]); // 255·(1 − 30/60) = 127.5
    let exact = color_range_cpu(&image, &[[200, 100, 100], [118, 124, 100]], 0.0).unwrap();
    assert_eq!(exact.into_raw(), vec![0, 255, 0, 255]);
}

#[test]
fn sampled_colours_come_from_the_image_and_must_lie_on_it() {
    let image = RgbaImage::from_fn(3, 2, |x, y| image::Rgba([x as u8, y as u8, 7, 1]));
    assert_eq!(
        sample_colors(&image, &[(2, 1), (0, 0)]).unwrap(),
        vec![[2, 1, 7], [0, 0, 7]]
    );
    assert!(matches!(
        sample_colors(&image, &[(3, 0)]),
        Err(Error::InvalidParameter { name, .. }) if name == "points"
    ));
}

#[test]
fn bad_parameters_are_rejected() {
    let image = RgbaImage::new(2, 2);
    let name = |r: Result<GrayImage>| match r {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(name(color_range_cpu(&image, &[], 10.0)), "colors");
    assert_eq!(
        name(color_range_cpu(&image, &[[0; 3]; MAX_COLORS + 1], 10.0)),
        "colors"
    );
    assert_eq!(name(color_range_cpu(&image, &[[0; 3]], -1.0)), "fuzziness");
    assert_eq!(
        name(color_range_cpu(&image, &[[0; 3]], f32::NAN)),
        "fuzziness"
    );
    assert_eq!(name(color_range_cpu(&image, &[[0; 3]], 201.0)), "fuzziness");
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_matches_cpu_within_one() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let mut rng = Rng(0xc010_4a49);
    for &(w, h) in &[(1, 1), (3, 1), (5, 7), (67, 45), (300, 9)] {
        let image = random_channels(&mut rng, w, h, Draw::Uniform);
        let colors: Vec<[u8; 3]> = (0..1 + rng.next() % 5)
            .map(|_| [rng.next() as u8, rng.next() as u8, rng.next() as u8])
            .collect();
        for fuzziness in [0.0, 1.0, 40.0, 200.0] {
            let cpu = color_range_cpu(&image, &colors, fuzziness).unwrap();
            let on_gpu =
                pollster::block_on(color_range(engine, &image, &colors, fuzziness)).unwrap();
            let banded = pollster::block_on(gpu::color_range(
                gpu,
                &image,
                &colors,
                fuzziness,
                4 * 3 * w as u64,
            ))
            .unwrap();
            for got in [&on_gpu, &banded] {
                let diff = cpu
                    .iter()
                    .zip(got.iter())
                    .map(|(a, b)| a.abs_diff(*b))
                    .max()
                    .unwrap();
                assert!(diff <= 1, "{w}×{h}, fuzziness {fuzziness}: {diff}");
            }
        }
    }
}
