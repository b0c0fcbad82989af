//! Parity (CPU reference vs GPU vs the fast normal path), every mode on
//! both backends against the independent f64 reference (`reference.rs`),
//! hand-computed values, alpha edge cases and bad input.

use super::cpu::{blend_pixel, PixelParams};
use super::gpu::composite_gpu_banded;
use super::*;
use crate::engine::test_gpu_engine;
use crate::test_kit::{max_diff, photo, random_channels, random_gray, random_rgba, Draw};
use crate::test_rng::Rng;
use image::{Luma, Rgba};

/// Reference result: `blend_pixel` applied pixel by pixel, no fast paths.
fn reference(
    base: &RgbaImage,
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    o: &CompositeOptions,
) -> RgbaImage {
    let p = PixelParams::new(o);
    let mut out = base.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let (lx, ly) = (
            i64::from(x) - i64::from(o.offset.0),
            i64::from(y) - i64::from(o.offset.1),
        );
        if lx < 0 || ly < 0 || lx >= i64::from(layer.width()) || ly >= i64::from(layer.height()) {
            continue;
        }
        let (lx, ly) = (lx as u32, ly as u32);
        let m = mask.map_or(255, |m| m.get_pixel(lx, ly).0[0]);
        px.0 = blend_pixel(px.0, layer.get_pixel(lx, ly).0, m, &p, x, y);
    }
    out
}

fn cpu(
    base: &RgbaImage,
    layer: &RgbaImage,
    mask: Option<&GrayImage>,
    o: &CompositeOptions,
) -> RgbaImage {
    pollster::block_on(composite(&Engine::cpu(), base, layer, mask, o)).unwrap()
}

/// Sizes that are not multiples of the 16×16 workgroup, 1×1, and offsets
/// that push the layer partly off the backdrop.
/// (backdrop size, layer size, layer offset).
type Case = ((u32, u32), (u32, u32), (i32, i32));

const CASES: [Case; 5] = [
    ((1, 1), (1, 1), (0, 0)),
    ((17, 13), (17, 13), (0, 0)),
    ((40, 33), (23, 19), (5, 7)),
    ((31, 29), (40, 40), (-6, -3)),
    ((64, 48), (20, 20), (50, 40)),
];

fn options_for(mode: BlendMode, rng: &mut Rng, linear: bool) -> CompositeOptions {
    CompositeOptions {
        mode,
        opacity: [1.0, 0.5, 0.0, (rng.next() % 1000) as f32 / 999.0][(rng.next() % 4) as usize],
        offset: (0, 0),
        linear_light: linear,
        dissolve_seed: rng.next(),
        backdrop_origin: (0, 0),
    }
}

#[test]
fn every_mode_cpu_equals_reference_within_one() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for mode in BlendMode::ALL {
        for linear in [false, true] {
            for (bs, ls, offset) in CASES {
                let base = random_channels(&mut rng, bs.0, bs.1, Draw::EdgeBiased);
                let layer = random_channels(&mut rng, ls.0, ls.1, Draw::EdgeBiased);
                let mask = random_gray(&mut rng, ls.0, ls.1, Draw::EdgeBiased);
                let o = CompositeOptions {
                    offset,
                    ..options_for(mode, &mut rng, linear)
                };
                for m in [None, Some(&mask)] {
                    let d = max_diff(&cpu(&base, &layer, m, &o), &reference(&base, &layer, m, &o));
                    assert!(
                        d <= 1,
                        "{mode:?} linear={linear} {bs:?}/{ls:?}: CPU differs from reference by {d}"
                    );
                }
            }
        }
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn every_mode_gpu_equals_cpu_within_one() {
    let engine = test_gpu_engine();
    let mut rng = Rng(0x0bad_cafe_f00d_d00d);
    for mode in BlendMode::ALL {
        for linear in [false, true] {
            for (bs, ls, offset) in CASES {
                let base = random_channels(&mut rng, bs.0, bs.1, Draw::EdgeBiased);
                let layer = random_channels(&mut rng, ls.0, ls.1, Draw::EdgeBiased);
                let mask = random_gray(&mut rng, ls.0, ls.1, Draw::EdgeBiased);
                let o = CompositeOptions {
                    offset,
                    ..options_for(mode, &mut rng, linear)
                };
                for m in [None, Some(&mask)] {
                    let gpu = pollster::block_on(composite(engine, &base, &layer, m, &o)).unwrap();
                    let d = max_diff(&gpu, &cpu(&base, &layer, m, &o));
                    assert!(
                        d <= 1,
                        "{mode:?} linear={linear} {bs:?}/{ls:?}: GPU differs from CPU by {d}"
                    );
                }
            }
        }
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_bands_give_the_same_result_as_one_pass() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().unwrap();
    let mut rng = Rng(77);
    let base = random_channels(&mut rng, 70, 90, Draw::EdgeBiased);
    let layer = random_channels(&mut rng, 60, 85, Draw::EdgeBiased);
    let mask = random_gray(&mut rng, 60, 85, Draw::EdgeBiased);
    for mode in [BlendMode::Normal, BlendMode::Dissolve, BlendMode::SoftLight] {
        let o = CompositeOptions {
            mode,
            offset: (4, 3),
            opacity: 0.8,
            ..Default::default()
        };
        let mut banded = base.clone();
        // 7 rows of 60 px per band: 13 bands, the last one short.
        pollster::block_on(composite_gpu_banded(
            gpu,
            &mut banded,
            &layer,
            Some(&mask),
            &o,
            7 * 60 * 4,
        ))
        .unwrap();
        assert!(
            max_diff(&banded, &cpu(&base, &layer, Some(&mask), &o)) <= 1,
            "{mode:?}: banded GPU differs from CPU"
        );
        let whole = pollster::block_on(composite(engine, &base, &layer, Some(&mask), &o)).unwrap();
        assert!(
            banded == whole,
            "{mode:?}: banded GPU result differs from a single pass"
        );
    }
}

/// The row loops against the per-pixel reference on a real photograph pair:
/// every mode, gamma-encoded, a mask (another photograph's green), a layer
/// whose alpha varies (a third photograph's red), opaque and translucent
/// backdrops, an offset that leaves partial blocks at the row ends. Contract:
/// the blocked loop (every mode but Normal and Dissolve) is bit-identical to
/// the reference; Normal's fixed-point loop is within one level.
#[test]
fn fast_row_loops_equal_the_reference_on_photographs() {
    let backdrop = photo("chelsea");
    let mut layer = photo("coffee");
    let (mask_photo, alpha_photo) = (photo("astronaut"), photo("brick"));
    let mask = GrayImage::from_fn(mask_photo.width(), mask_photo.height(), |x, y| {
        Luma([mask_photo.get_pixel(x, y).0[1]])
    });
    for (x, y, px) in layer.enumerate_pixels_mut() {
        px.0[3] = alpha_photo.get_pixel(x, y).0[0];
    }
    let mut translucent = backdrop.clone();
    for (x, y, px) in translucent.enumerate_pixels_mut() {
        px.0[3] = alpha_photo.get_pixel(x, y).0[2];
    }
    for mode in BlendMode::ALL {
        if mode == BlendMode::Dissolve {
            continue;
        }
        for base in [&backdrop, &translucent] {
            for m in [None, Some(&mask)] {
                let o = CompositeOptions {
                    mode,
                    opacity: 0.8,
                    offset: (3, -2),
                    ..Default::default()
                };
                let (fast, want) = (cpu(base, &layer, m, &o), reference(base, &layer, m, &o));
                let d = max_diff(&fast, &want);
                let differing = fast
                    .pixels()
                    .zip(want.pixels())
                    .filter(|(a, b)| a != b)
                    .count();
                if mode == BlendMode::Normal || super::cpu::has_byte_path(mode) {
                    // Fixed point over the opaque backdrop: within one level.
                    assert!(d <= 1, "{mode:?}: {d} levels from the reference");
                    // Over translucent pixels the byte-path modes take the f32
                    // blocks: the reference's bits.
                    let translucent_differing = fast
                        .pixels()
                        .zip(want.pixels())
                        .zip(base.pixels())
                        .filter(|((a, b), under)| under[3] < 255 && a != b)
                        .count();
                    assert!(
                        mode == BlendMode::Normal || translucent_differing == 0,
                        "{mode:?}: {translucent_differing} pixels over translucent ones differ"
                    );
                } else {
                    assert!(
                        differing == 0,
                        "{mode:?}, mask {}: {differing} pixels differ from the reference by up to {d}",
                        m.is_some()
                    );
                }
            }
        }
    }
}

/// A layer at a vanishing opacity over a transparent backdrop: the
/// coverage underflows to zero, so the W3C formula divides 0 by 0 where
/// the layer is; the blocks must write the reference's bytes there (NaN
/// quantised to 0) as everywhere else.
#[test]
fn blocks_over_a_transparent_backdrop_at_a_vanishing_opacity_equal_the_reference() {
    let mut rng = Rng(0x61_0ba5_e5ee_d061);
    let mut base = random_rgba(&mut rng, 37, 11, Draw::Uniform);
    for (i, px) in base.pixels_mut().enumerate() {
        // Transparent, with runs of barely visible pixels between.
        px.0[3] = if i % 7 < 5 { 0 } else { (i % 3) as u8 };
    }
    let layer = random_rgba(&mut rng, 37, 11, Draw::Uniform);
    for mode in [
        BlendMode::Multiply,
        BlendMode::Overlay,
        BlendMode::SoftLight,
        BlendMode::Hue,
    ] {
        // 1e-44 × a low alpha rounds to zero; 1e-38 stays a subnormal.
        for opacity in [1e-44, 1e-38, 0.5] {
            let o = CompositeOptions {
                mode,
                opacity,
                ..Default::default()
            };
            let (fast, want) = (
                cpu(&base, &layer, None, &o),
                reference(&base, &layer, None, &o),
            );
            assert!(
                fast == want,
                "{mode:?} at opacity {opacity}: {} levels from the reference",
                max_diff(&fast, &want)
            );
        }
    }
}

/// A layer over a cleared backdrop (the first layer of every
/// recomposition), whose blocks skip the formula: every layer colour at
/// every alpha, under a mask and none, at opacities down to those where
/// the coverage leaves the normal range, over transparent pixels that
/// keep colour bytes (and a few translucent ones among them). Every mode
/// gives the reference's bytes exactly (Normal its own formula's, within
/// one level of the reference where visible): a whole-image composite equals
/// one made a column at a time, where each pixel takes the per-pixel
/// path, so a pixel's result never depends on its block.
#[test]
fn a_layer_over_a_cleared_backdrop_gives_the_per_pixel_bytes() {
    let mut rng = Rng(0xc1ea_7ba5_e000_0001);
    let mut base = random_rgba(&mut rng, 256, 256, Draw::Uniform);
    for (i, px) in base.pixels_mut().enumerate() {
        // Translucent, not opaque: the byte paths' fixed point is not the
        // reference's bits.
        px.0[3] = if i % 37 == 0 {
            px.0[3].clamp(1, 254)
        } else {
            0
        };
    }
    // Each colour byte at each alpha.
    let layer = RgbaImage::from_fn(256, 256, |x, y| {
        Rgba([x as u8, 255 - x as u8, (x * y) as u8, y as u8])
    });
    let mask = GrayImage::from_fn(256, 256, |x, y| Luma([((x * 31 + y * 17) % 256) as u8]));
    let column = |image: &RgbaImage, x: u32| {
        image::imageops::crop_imm(image, x, 0, 1, image.height()).to_image()
    };
    for mode in BlendMode::ALL {
        if mode == BlendMode::Dissolve {
            continue;
        }
        // 0.134_364_25: Normal's coverage and the other modes', computed
        // in their different orders, round two (α, m) pairs differently.
        for opacity in [1.0, 0.8, 0.134_364_25, 1e-19, 1e-21, 1e-44] {
            for m in [None, Some(&mask)] {
                let o = CompositeOptions {
                    mode,
                    opacity,
                    ..Default::default()
                };
                let whole = cpu(&base, &layer, m, &o);
                let mut by_columns = base.clone();
                for x in 0..256 {
                    let mut target = column(&base, x);
                    let mask_column =
                        m.map(|m| image::imageops::crop_imm(m, x, 0, 1, 256).to_image());
                    composite_cpu_in_place(
                        &mut target,
                        &column(&layer, x),
                        mask_column.as_ref(),
                        &o,
                    )
                    .unwrap();
                    image::imageops::replace(&mut by_columns, &target, i64::from(x), 0);
                }
                let what = format!("{mode:?}, opacity {opacity}, mask {}", m.is_some());
                assert!(
                    whole == by_columns,
                    "{what}: {} levels from the per-pixel path",
                    max_diff(&whole, &by_columns)
                );
                let want = reference(&base, &layer, m, &o);
                if mode == BlendMode::Normal {
                    // Within a level; the colour of a pixel left fully
                    // transparent shows nowhere (at 1e-44 Normal's formula
                    // and the reference's both divide by a subnormal there).
                    for (got, want) in whole.pixels().zip(want.pixels()) {
                        let visible = got[3] > 0 || want[3] > 0;
                        let d = (0..4)
                            .filter(|&c| visible || c == 3)
                            .map(|c| got[c].abs_diff(want[c]))
                            .max();
                        assert!(d <= Some(1), "{what}: {got:?} against {want:?}");
                    }
                } else {
                    assert!(
                        whole == want,
                        "{what}: {} levels from the reference",
                        max_diff(&whole, &want)
                    );
                }
            }
        }
    }
}

/// The x86 rows (Normal and every mode with a byte path over opaque
/// backdrops, AVX2 and AVX-512) against the plain row loops, bit for bit:
/// photographs, a layer with varied alpha, backdrops opaque, translucent,
/// cleared and mixed within a block, soft masks and none, opacities from none to
/// full, row lengths that leave tails; and a row holding every byte pair
/// (Cb, Cs) in each channel, which takes every branch of every formula.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_x86_rows_equal_the_plain_row_loops_bit_for_bit() {
    let (backdrop, layer_photo) = (photo("chelsea"), photo("coffee"));
    let (mask_photo, alpha_photo) = (photo("astronaut"), photo("brick"));
    let vector_modes = BlendMode::ALL
        .into_iter()
        .filter(|&mode| mode == BlendMode::Normal || super::cpu::has_byte_path(mode));
    assert_eq!(vector_modes.clone().count(), 20);
    let mut compared = 0;
    for y in [0, 40, 97] {
        let row = |image: &RgbaImage| {
            image.as_raw()[(y * image.width() * 4) as usize..][..(image.width() * 4) as usize]
                .to_vec()
        };
        let mut layer = row(&layer_photo);
        let alpha = row(&alpha_photo);
        for (l, a) in layer.chunks_exact_mut(4).zip(alpha.chunks_exact(4)) {
            l[3] = a[0];
        }
        let mask: Vec<u8> = row(&mask_photo).chunks_exact(4).map(|p| p[1]).collect();
        let mut base = row(&backdrop);
        // Translucent runs: a whole block, and single pixels inside blocks;
        // a cleared run of whole blocks and more.
        for (x, pixel) in base.chunks_exact_mut(4).enumerate() {
            if (40..60).contains(&x) || x % 23 == 5 {
                pixel[3] = alpha[x * 4 + 2];
            }
            if (64..100).contains(&x) {
                pixel[3] = 0;
            }
        }
        for width in [1, 7, 8, 16, 37, 100, 189] {
            let (b, l, m) = (&base[..width * 4], &layer[..width * 4], &mask[..width]);
            for mode in vector_modes.clone() {
                for opacity in [0.0, 0.3, 0.8, 1.0] {
                    for m in [None, Some(m)] {
                        let (plain, tiers) = super::cpu::plain_and_x86_rows(mode, b, l, m, opacity);
                        for (tier, row) in tiers {
                            assert!(
                                row == plain,
                                "{tier}, {mode:?}, row {y}, {width} px, opacity {opacity}, mask {}",
                                m.is_some()
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    // Every (Cb, Cs) pair in red, the pair swapped in green, a scramble of
    // both in blue; opaque backdrop and layer.
    let (mut every_base, mut every_layer) = (Vec::new(), Vec::new());
    for i in 0..=u16::MAX {
        let [hi, lo] = i.to_be_bytes();
        let mixed = i.wrapping_mul(40503).to_be_bytes();
        every_base.extend([hi, lo, mixed[0], 255]);
        every_layer.extend([lo, hi, mixed[1], 255]);
    }
    for mode in vector_modes {
        for opacity in [1.0, 0.6] {
            let (plain, tiers) =
                super::cpu::plain_and_x86_rows(mode, &every_base, &every_layer, None, opacity);
            for (tier, row) in tiers {
                let first = row.iter().zip(&plain).position(|(a, b)| a != b);
                assert!(
                    first.is_none(),
                    "{tier}, {mode:?}, every byte pair, opacity {opacity}: byte {first:?} differs"
                );
                compared += 1;
            }
        }
    }
    if std::is_x86_feature_detected!("avx2") {
        assert!(
            compared >= (3 * 7 * 2 * 4 + 2) * 20,
            "every case compared on AVX2 at least"
        );
    } else {
        eprintln!("skipped: this CPU has no AVX2, so the vector rows never run");
    }
}

/// Composites one layer pixel over one backdrop pixel with full coverage.
fn one(mode: BlendMode, b: [u8; 4], l: [u8; 4]) -> [u8; 4] {
    let base = RgbaImage::from_pixel(1, 1, Rgba(b));
    let layer = RgbaImage::from_pixel(1, 1, Rgba(l));
    cpu(
        &base,
        &layer,
        None,
        &CompositeOptions {
            mode,
            ..Default::default()
        },
    )
    .get_pixel(0, 0)
    .0
}

fn assert_close(got: [u8; 4], want: [u8; 4], what: &str) {
    let d = got
        .iter()
        .zip(want)
        .map(|(g, w)| g.abs_diff(w))
        .max()
        .unwrap();
    assert!(d <= 1, "{what}: got {got:?}, want {want:?}");
}

#[test]
fn every_mode_matches_hand_computed_values_on_opaque_pixels() {
    use BlendMode::*;
    // Backdrop (200, 100, 40), layer (60, 180, 220), both opaque. Expected
    // values worked by hand from each mode's formula (x/255 scale).
    let b = [200, 100, 40, 255];
    let l = [60, 180, 220, 255];
    let expect: [(BlendMode, [u8; 3]); 25] = [
        (Normal, [60, 180, 220]),
        (Darken, [60, 100, 40]),
        (Multiply, [47, 71, 35]), // b·l/255
        (ColorBurn, [21, 35, 6]), // 255 − min(255, (255−b)·255/l)
        (LinearBurn, [5, 25, 5]), // max(0, b + l − 255)
        (Lighten, [200, 180, 220]),
        (Screen, [213, 209, 225]),      // b + l − b·l/255
        (ColorDodge, [255, 255, 255]),  // min(255, b·255/(255−l))
        (LinearDodge, [255, 255, 255]), // min(255, b + l)
        (Overlay, [171, 141, 69]),      // hard light with b and l swapped
        (SoftLight, [177, 125, 84]),    // W3C soft light
        (HardLight, [94, 164, 196]),    // l ≤ 127: 2bl/255; else screen(b, 2l−255)
        (VividLight, [138, 170, 146]),  // burn(b, 2l) below mid-grey, dodge(b, 2l−255) above
        (LinearLight, [65, 205, 225]),  // b + 2l − 255
        (PinLight, [120, 105, 185]),    // l ≤ 127: min(b, 2l); else max(b, 2l−255)
        (HardMix, [255, 255, 255]),     // b + l ≥ 255
        (Difference, [140, 80, 180]),
        (Exclusion, [166, 139, 191]),  // b + l − 2bl/255
        (Subtract, [140, 0, 0]),       // max(0, b − l)
        (Divide, [255, 142, 46]),      // min(255, 255·b/l)
        (DarkerColor, [200, 100, 40]), // luma 30·200+59·100+11·40 < the layer's
        (LighterColor, [60, 180, 220]),
        (Luminosity, [225, 125, 65]), // backdrop hue and saturation, layer luma
        (Color, [35, 155, 195]),      // layer hue and saturation, backdrop luma
        (Hue, [35, 155, 195]),        // equal saturations: same as color
    ];
    for (mode, rgb) in expect {
        assert_close(one(mode, b, l), [rgb[0], rgb[1], rgb[2], 255], mode.name());
    }
    // A layer of other saturation separates hue from color and saturation from identity.
    let l2 = [30, 90, 200, 255];
    assert_close(one(Hue, b, l2), [72, 129, 232, 255], "hue");
    assert_close(one(Saturation, b, l2), [205, 99, 35, 255], "saturation");
    assert_close(
        one(Saturation, b, l),
        [200, 100, 40, 255],
        "saturation, equal saturations",
    );
}

#[test]
fn w3c_alpha_compositing_with_translucent_pixels() {
    // Normal, layer α=0.5 over backdrop α=0.5: αo = 0.75,
    // Co = (0.5·Cs + 0.25·Cb) / 0.75.
    let got = one(BlendMode::Normal, [255, 0, 0, 128], [0, 0, 255, 128]);
    assert_close(got, [85, 0, 170, 192], "normal translucent");
    // Multiply over a fully transparent backdrop is the layer itself.
    assert_close(
        one(BlendMode::Multiply, [10, 20, 30, 0], [90, 80, 70, 200]),
        [90, 80, 70, 200],
        "over transparent",
    );
    // Fully opaque layer replaces the backdrop in normal mode.
    assert_eq!(
        one(BlendMode::Normal, [1, 2, 3, 4], [9, 8, 7, 255]),
        [9, 8, 7, 255]
    );
}

/// Runs `run` (one backend's composite) on random translucent pixels with
/// a random mask in every mode and both light spaces, and holds every pixel
/// to the f64 reference within one level. Pixels at a mode's discontinuity
/// are skipped, and must stay rare. Dissolve: each pixel is the backdrop or
/// the layer's colour composited at full coverage, as often as the coverage
/// says.
fn check_against_reference(
    backend: &str,
    run: impl Fn(&RgbaImage, &RgbaImage, Option<&GrayImage>, &CompositeOptions) -> RgbaImage,
) {
    let mut rng = Rng(0x5eed_f64f_64f6_4f64);
    let (w, h) = (48, 40);
    for mode in BlendMode::ALL {
        for linear in [false, true] {
            let base = random_channels(&mut rng, w, h, Draw::EdgeBiased);
            let layer = random_channels(&mut rng, w, h, Draw::EdgeBiased);
            let mask = random_gray(&mut rng, w, h, Draw::EdgeBiased);
            let o = CompositeOptions {
                opacity: 0.25 + (rng.next() % 751) as f32 / 1000.0,
                ..options_for(mode, &mut rng, linear)
            };
            let out = run(&base, &layer, Some(&mask), &o);
            let (mut skipped, mut dissolved, mut expected_dissolved) = (0, 0, 0.0);
            for (x, y, got) in out.enumerate_pixels() {
                let (b, l, m) = (
                    base.get_pixel(x, y).0,
                    layer.get_pixel(x, y).0,
                    mask.get_pixel(x, y).0[0],
                );
                let want = if mode == BlendMode::Dissolve {
                    let full = reference::composite_pixel(
                        BlendMode::Normal,
                        b,
                        [l[0], l[1], l[2], 255],
                        255,
                        1.0,
                        linear,
                    );
                    expected_dissolved +=
                        f64::from(l[3]) / 255.0 * f64::from(m) / 255.0 * f64::from(o.opacity);
                    if got.0 == b {
                        continue;
                    }
                    dissolved += 1;
                    full
                } else {
                    reference::composite_pixel(mode, b, l, m, f64::from(o.opacity), linear)
                };
                if want.ambiguous {
                    skipped += 1;
                    continue;
                }
                let d = (0..4)
                    .map(|c| got.0[c].abs_diff(want.pixel[c]))
                    .max()
                    .unwrap();
                assert!(
                    d <= 1,
                    "{backend} {mode:?} linear={linear} at ({x},{y}): backdrop {b:?}, layer {l:?}, \
                     mask {m}, opacity {}: got {:?}, the f64 reference says {:?}",
                    o.opacity,
                    got.0,
                    want.pixel
                );
            }
            assert!(
                skipped * 50 < w * h,
                "{mode:?}: {skipped} pixels at a discontinuity, too many to call the check done"
            );
            if mode == BlendMode::Dissolve {
                let (got, want) = (f64::from(dissolved), expected_dissolved);
                assert!(
                    (got - want).abs() < 4.0 * want.sqrt() + 5.0,
                    "{backend} dissolve replaced {got} pixels where the coverage expects {want:.0}"
                );
            }
        }
    }
}

#[test]
fn every_mode_on_the_cpu_matches_the_independent_f64_reference() {
    check_against_reference("CPU", cpu);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn every_mode_on_the_gpu_matches_the_independent_f64_reference() {
    let engine = test_gpu_engine();
    check_against_reference("GPU", |b, l, m, o| {
        pollster::block_on(composite(engine, b, l, m, o)).unwrap()
    });
}

#[test]
fn zero_coverage_leaves_pixels_bit_exact() {
    check_zero_coverage(cpu);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn zero_coverage_leaves_pixels_bit_exact_on_the_gpu() {
    let engine = test_gpu_engine();
    check_zero_coverage(|b, l, m, o| pollster::block_on(composite(engine, b, l, m, o)).unwrap());
}

fn check_zero_coverage(
    run: impl Fn(&RgbaImage, &RgbaImage, Option<&GrayImage>, &CompositeOptions) -> RgbaImage,
) {
    let mut rng = Rng(5);
    let base = random_channels(&mut rng, 32, 32, Draw::EdgeBiased);
    let layer = random_channels(&mut rng, 32, 32, Draw::EdgeBiased);
    let mask = GrayImage::from_fn(32, 32, |x, _| Luma([if x < 16 { 0 } else { 255 }]));
    for mode in BlendMode::ALL {
        let o = CompositeOptions {
            mode,
            ..Default::default()
        };
        let out = run(&base, &layer, Some(&mask), &o);
        for (x, y, p) in out.enumerate_pixels() {
            if x < 16 || layer.get_pixel(x, y).0[3] == 0 {
                assert_eq!(
                    p,
                    base.get_pixel(x, y),
                    "{mode:?} changed a pixel with zero coverage"
                );
            }
        }
        let none = run(&base, &layer, None, &CompositeOptions { opacity: 0.0, ..o });
        assert!(none == base, "{mode:?} at opacity 0 changed the backdrop");
    }
}

#[test]
fn layer_outside_the_backdrop_changes_nothing() {
    let mut rng = Rng(9);
    let base = random_channels(&mut rng, 10, 10, Draw::EdgeBiased);
    let layer = random_channels(&mut rng, 4, 4, Draw::EdgeBiased);
    for offset in [(10, 0), (-4, 0), (0, 10), (0, -4), (i32::MAX, i32::MIN)] {
        let out = cpu(
            &base,
            &layer,
            None,
            &CompositeOptions {
                offset,
                ..Default::default()
            },
        );
        assert!(out == base, "offset {offset:?} changed the backdrop");
    }
}

#[test]
fn dissolve_is_deterministic_and_follows_coverage() {
    let base = RgbaImage::from_pixel(200, 200, Rgba([0, 0, 0, 255]));
    let layer = RgbaImage::from_pixel(200, 200, Rgba([255, 255, 255, 255]));
    let o = CompositeOptions {
        mode: BlendMode::Dissolve,
        opacity: 0.25,
        dissolve_seed: 42,
        ..Default::default()
    };
    let a = cpu(&base, &layer, None, &o);
    assert!(a == cpu(&base, &layer, None, &o), "same seed, same pattern");
    assert!(
        a != cpu(
            &base,
            &layer,
            None,
            &CompositeOptions {
                dissolve_seed: 43,
                ..o
            }
        ),
        "other seed, other pattern"
    );
    let white = a.pixels().filter(|p| p.0 == [255, 255, 255, 255]).count();
    let black = a.pixels().filter(|p| p.0 == [0, 0, 0, 255]).count();
    assert_eq!(white + black, 40_000, "dissolve pixels are all-or-nothing");
    let fraction = white as f64 / 40_000.0;
    assert!(
        (fraction - 0.25).abs() < 0.01,
        "{fraction} of pixels dissolved in, expected 0.25"
    );
}

/// A backdrop that is one part of the canvas (a band being saved, a merged
/// region) gets the dissolve pattern the whole canvas shows there.
fn check_dissolve_on_part_of_the_canvas(
    run: impl Fn(&RgbaImage, &RgbaImage, Option<&GrayImage>, &CompositeOptions) -> RgbaImage,
) {
    let mut rng = Rng(9);
    let base = random_channels(&mut rng, 120, 90, Draw::EdgeBiased);
    let layer = random_channels(&mut rng, 70, 60, Draw::EdgeBiased);
    let whole = CompositeOptions {
        mode: BlendMode::Dissolve,
        opacity: 0.5,
        offset: (30, 20),
        dissolve_seed: 7,
        ..Default::default()
    };
    let canvas = run(&base, &layer, None, &whole);
    let (x0, y0, w, h) = (25, 35, 80, 30);
    let part = image::imageops::crop_imm(&base, x0, y0, w, h).to_image();
    let in_part = CompositeOptions {
        offset: (30 - x0 as i32, 20 - y0 as i32),
        backdrop_origin: (x0 as i32, y0 as i32),
        ..whole
    };
    let got = run(&part, &layer, None, &in_part);
    let want = image::imageops::crop_imm(&canvas, x0, y0, w, h).to_image();
    assert!(
        got == want,
        "the part's dissolve pattern differs from the canvas's"
    );
}

#[test]
fn dissolve_on_part_of_the_canvas_matches_the_whole_canvas() {
    check_dissolve_on_part_of_the_canvas(cpu);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn dissolve_on_part_of_the_canvas_matches_the_whole_canvas_on_the_gpu() {
    let engine = test_gpu_engine();
    check_dissolve_on_part_of_the_canvas(|b, l, m, o| {
        pollster::block_on(composite(engine, b, l, m, o)).unwrap()
    });
}

#[test]
fn mode_names_round_trip_and_unknown_names_list_the_valid_ones() {
    for (i, mode) in BlendMode::ALL.into_iter().enumerate() {
        assert_eq!(mode as usize, i);
        assert_eq!(BlendMode::from_name(mode.name()).unwrap(), mode);
    }
    let err = BlendMode::from_name("burn").unwrap_err().to_string();
    assert!(
        err.contains("'burn'") && err.contains("color-burn") && err.contains("luminosity"),
        "{err}"
    );
    assert_eq!(BlendMode::ALL.iter().filter(|m| m.is_w3c()).count(), 16);
}

#[test]
fn bad_parameters_are_rejected_and_nothing_is_produced() {
    let base = RgbaImage::new(4, 4);
    let layer = RgbaImage::new(4, 4);
    for opacity in [-0.1, 1.5, f32::NAN, f32::INFINITY] {
        let o = CompositeOptions {
            opacity,
            ..Default::default()
        };
        let err =
            pollster::block_on(composite(&Engine::cpu(), &base, &layer, None, &o)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { ref name, .. } if name == "opacity"),
            "{err}"
        );
    }
    let mask = GrayImage::new(3, 4);
    let err = pollster::block_on(composite(
        &Engine::cpu(),
        &base,
        &layer,
        Some(&mask),
        &CompositeOptions::default(),
    ))
    .unwrap_err();
    assert!(
        err.to_string().contains("3×4") && err.to_string().contains("4×4"),
        "{err}"
    );
}

/// Row bands on several threads give the single thread's bits, in every mode
/// (each row loop, light spaces, dissolve's coordinates), with a mask and an
/// offset, on photographs large enough to be split.
#[test]
fn threads_give_bit_identical_results() {
    let tiles: Vec<RgbaImage> = crate::test_kit::PHOTOS.iter().map(|n| photo(n)).collect();
    let (tw, th) = tiles[0].dimensions();
    let mosaic = |shift: usize| {
        RgbaImage::from_fn(tw * 3, th * 3, |x, y| {
            let tile = &tiles[((x / tw + 3 * (y / th)) as usize + shift) % tiles.len()];
            let mut px = *tile.get_pixel(x % tw, y % th);
            px.0[3] = px.0[3].min((x ^ y) as u8 | 0x0f);
            px
        })
    };
    let (base, layer, mask_source) = (mosaic(0), mosaic(1), mosaic(2));
    let mask = GrayImage::from_fn(layer.width(), layer.height(), |x, y| {
        Luma([mask_source.get_pixel(x, y).0[1]])
    });
    for mode in BlendMode::ALL {
        for linear in [false, true] {
            let o = CompositeOptions {
                mode,
                opacity: 0.7,
                offset: (5, -3),
                linear_light: linear,
                dissolve_seed: 11,
                backdrop_origin: (0, 0),
            };
            let run = |threads| {
                crate::parallel::with_threads(threads, || cpu(&base, &layer, Some(&mask), &o))
            };
            assert!(
                run(1) == run(3),
                "{mode:?} linear={linear}: 3 threads differ from 1"
            );
        }
    }
}

/// The API's new image (a copy on huge pages, then blended) holds exactly
/// what blending a copy in place gives: rows above, below and beside the
/// layer untouched, on one thread and several, the layer overlapping
/// wholly, partly, or not at all.
#[test]
fn a_new_image_equals_blending_a_copy_in_place() {
    let (base, layer_photo) = (photo("chelsea"), photo("coffee"));
    let (w, h) = base.dimensions();
    let layer = RgbaImage::from_fn(w / 2, h / 2, |x, y| {
        let mut px = *layer_photo.get_pixel(x, y);
        px.0[3] = px.0[3].min((x ^ y) as u8);
        px
    });
    let mask = GrayImage::from_fn(w / 2, h / 2, |x, y| Luma([(x + 2 * y) as u8]));
    let offsets = [(0, 0), (40, 70), (-30, h as i32 - 20), (w as i32, 0)];
    for mode in [BlendMode::Normal, BlendMode::Multiply, BlendMode::Hue] {
        for offset in offsets {
            let o = CompositeOptions {
                mode,
                opacity: 0.8,
                offset,
                ..Default::default()
            };
            let mut in_place = base.clone();
            composite_cpu_in_place(&mut in_place, &layer, Some(&mask), &o).unwrap();
            for threads in [1, 3] {
                let new = crate::parallel::with_threads(threads, || {
                    composite_cpu(&base, &layer, Some(&mask), &o).unwrap()
                });
                assert!(new == in_place, "{mode:?} at {offset:?}, {threads} threads");
            }
        }
    }
}

#[test]
fn byte_path_modes_are_within_one_level_of_the_reference_at_every_byte_pair() {
    // Every backdrop × source value, opaque backdrop, at full and at partial
    // coverage (alpha 255 / 77, opacity 1 / 0.6): the fixed-point path
    // against the f32 reference pixel by pixel.
    let base = RgbaImage::from_fn(256, 256, |x, _| {
        Rgba([x as u8, 255 - x as u8, (x * 7) as u8, 255])
    });
    for alpha in [255u8, 77] {
        let layer = RgbaImage::from_fn(256, 256, |_, y| {
            Rgba([y as u8, (y * 3) as u8, 255 - y as u8, alpha])
        });
        for mode in BlendMode::ALL
            .into_iter()
            .filter(|&m| super::cpu::has_byte_path(m))
        {
            for opacity in [1.0, 0.6] {
                let o = CompositeOptions {
                    mode,
                    opacity,
                    ..Default::default()
                };
                let d = max_diff(
                    &cpu(&base, &layer, None, &o),
                    &reference(&base, &layer, None, &o),
                );
                assert!(
                    d <= 1,
                    "{mode:?}, alpha {alpha}, opacity {opacity}: {d} levels"
                );
            }
        }
    }
}

/// The colour modes on a block's lanes (the page's form) against the same
/// formulas a pixel at a time (the reference's form), bit for bit:
/// photograph pixels, greys (no saturation), the corners of the cube and
/// values just inside them (the clipping branches).
#[test]
fn the_colour_modes_on_lanes_equal_them_pixel_by_pixel() {
    use super::cpu::BLOCK;
    use super::nonseparable::{blend_colour, PixelLanes};
    let (first, second) = (photo("rocket"), photo("grass"));
    let mut colours: Vec<[f32; 3]> = first
        .pixels()
        .chain(second.pixels())
        .step_by(7)
        .map(|p| [0, 1, 2].map(|c| f32::from(p[c]) / 255.0))
        .collect();
    for v in [0.0, 1.0 / 255.0, 0.5, 254.0 / 255.0, 1.0] {
        colours.push([v; 3]);
        colours.push([v, 1.0 - v, 0.0]);
        colours.push([1.0, v, 1.0]);
    }
    let modes = [
        BlendMode::Hue,
        BlendMode::Saturation,
        BlendMode::Color,
        BlendMode::Luminosity,
        BlendMode::DarkerColor,
        BlendMode::LighterColor,
    ];
    for mode in modes {
        for (i, block) in colours.chunks_exact(BLOCK).enumerate() {
            let sources: Vec<[f32; 3]> = (0..BLOCK)
                .map(|p| colours[(i * 5 + p * 3) % colours.len()])
                .collect();
            let lanes =
                |c: &[[f32; 3]]| [0, 1, 2].map(|ch| PixelLanes(std::array::from_fn(|p| c[p][ch])));
            let mixed = blend_colour(mode, lanes(block), lanes(&sources));
            for p in 0..BLOCK {
                let alone = blend_colour(mode, block[p], sources[p]);
                let on_lanes = [0, 1, 2].map(|ch| mixed[ch].0[p]);
                assert_eq!(
                    alone.map(f32::to_bits),
                    on_lanes.map(f32::to_bits),
                    "{mode:?}: backdrop {:?}, source {:?}",
                    block[p],
                    sources[p]
                );
            }
        }
    }
}
