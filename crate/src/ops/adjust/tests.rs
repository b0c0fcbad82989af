//! Adjustment formulas on known values, bad input, and CPU/GPU parity on
//! random and photographic images. The cross-check against Pillow and SciPy
//! is tests/adjust.test.mjs (through the CLI).

use super::*;
use crate::engine::test_gpu_engine;
use crate::test_kit::{max_diff, random_rgba, Draw};
use crate::test_rng::Rng;

/// A 200×160 crop of a portrait photograph (skin, hair, eyes, a dark suit).
fn portrait() -> RgbaImage {
    let full =
        crate::image_io::decode_rgba(include_bytes!("../../../../docs/upscale-crop.png")).unwrap();
    image::imageops::crop_imm(&full, 120, 120, 200, 160).to_image()
}

fn one_pixel(rgb: [u8; 3]) -> RgbaImage {
    RgbaImage::from_pixel(1, 1, image::Rgba([rgb[0], rgb[1], rgb[2], 77]))
}

fn run(adjustment: &Adjustment, rgb: [u8; 3]) -> [u8; 4] {
    adjust_cpu(&one_pixel(rgb), adjustment)
        .unwrap()
        .get_pixel(0, 0)
        .0
}

fn every_kind() -> Vec<Adjustment> {
    vec![
        Adjustment::Levels(Levels {
            input_black: 20.0,
            input_white: 230.0,
            gamma: 1.6,
            output_black: 10.0,
            output_white: 240.0,
        }),
        Adjustment::Curves(Curves {
            master: "0:0,64:40,192:220,255:255".into(),
            red: "0:20,255:235".into(),
            blue: "0:0,128:150,255:255".into(),
            ..Curves::default()
        }),
        Adjustment::BrightnessContrast(BrightnessContrast {
            brightness: 15.0,
            contrast: 40.0,
        }),
        Adjustment::HueSaturation(HueSaturation {
            hue: 40.0,
            saturation: 30.0,
            lightness: -10.0,
        }),
        Adjustment::ColorBalance(ColorBalance {
            shadows_cyan_red: 30.0,
            midtones_magenta_green: -40.0,
            highlights_yellow_blue: 50.0,
            ..ColorBalance::default()
        }),
        Adjustment::GaussianBlur(GaussianBlur { sigma: 2.5 }),
        // Threshold 0: with one, the blur's ±1 between backends may move a
        // difference across it (see the module docs and the test below).
        Adjustment::UnsharpMask(UnsharpMask {
            amount: 150.0,
            radius: 1.5,
            threshold: 0.0,
        }),
    ]
}

#[test]
fn levels_follow_the_formula_and_keep_alpha() {
    let l = Adjustment::Levels(Levels {
        input_black: 50.0,
        input_white: 150.0,
        gamma: 2.0,
        output_black: 20.0,
        output_white: 220.0,
    });
    // t = 0.5 → 0.5^(1/2) = 0.7071 → 20 + 0.7071·200 = 161.4; clipped ends.
    assert_eq!(run(&l, [100, 10, 200]), [161, 20, 220, 77]);
    let invert = Adjustment::Levels(Levels {
        output_black: 255.0,
        output_white: 0.0,
        ..Levels::default()
    });
    assert_eq!(run(&invert, [0, 100, 255]), [255, 155, 0, 77]);
}

#[test]
fn curves_pass_through_their_points_and_never_overshoot() {
    let c = Adjustment::Curves(Curves {
        master: "0:0,64:100,128:110,255:255".into(),
        ..Curves::default()
    });
    let out = adjust_cpu(
        &RgbaImage::from_fn(256, 1, |x, _| image::Rgba([x as u8, x as u8, x as u8, 255])),
        &c,
    )
    .unwrap();
    let values: Vec<u8> = out.pixels().map(|p| p[0]).collect();
    assert_eq!(
        (values[0], values[64], values[128], values[255]),
        (0, 100, 110, 255)
    );
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "monotone");
    // SciPy's PchipInterpolator([0,64,128,255],[0,100,110,255])(96) = 105.243…
    assert_eq!(values[96], 105);
    // The channel curve runs first, then the master: red 0 → 100, then
    // master(100) = PchipInterpolator([0,200,255],[0,100,255])(100) = 25.53.
    let both = Adjustment::Curves(Curves {
        master: "0:0,200:100,255:255".into(),
        red: "0:100,255:255".into(),
        ..Curves::default()
    });
    assert_eq!(run(&both, [0, 0, 0])[..3], [26, 0, 0]);
}

#[test]
fn brightness_and_contrast_are_pillows_enhancers() {
    let b = Adjustment::BrightnessContrast(BrightnessContrast {
        brightness: 50.0,
        contrast: 0.0,
    });
    assert_eq!(run(&b, [100, 200, 1])[..3], [150, 255, 2]);
    let c = Adjustment::BrightnessContrast(BrightnessContrast {
        brightness: 0.0,
        contrast: -50.0,
    });
    assert_eq!(run(&c, [0, 128, 255])[..3], [64, 128, 192]);
}

#[test]
fn hue_saturation_rotates_and_desaturates_in_hsl() {
    let turn = |hue| {
        Adjustment::HueSaturation(HueSaturation {
            hue,
            ..HueSaturation::default()
        })
    };
    assert_eq!(run(&turn(120.0), [200, 40, 40])[..3], [40, 200, 40]);
    assert_eq!(run(&turn(-120.0), [200, 40, 40])[..3], [40, 40, 200]);
    let grey = Adjustment::HueSaturation(HueSaturation {
        saturation: -100.0,
        ..HueSaturation::default()
    });
    assert_eq!(run(&grey, [200, 40, 40])[..3], [120, 120, 120]);
    let white = Adjustment::HueSaturation(HueSaturation {
        lightness: 100.0,
        ..HueSaturation::default()
    });
    assert_eq!(run(&white, [200, 40, 40])[..3], [255, 255, 255]);
}

#[test]
fn colour_balance_moves_each_tonal_range() {
    let red_shadows = Adjustment::ColorBalance(ColorBalance {
        shadows_cyan_red: 50.0,
        preserve_luminosity: false,
        ..ColorBalance::default()
    });
    // Dark grey (l = 0.1): full shadow weight 0.7 → red + 0.5·0.7·255 = 114.25.
    assert_eq!(run(&red_shadows, [25, 25, 25])[..3], [114, 25, 25]);
    // Light grey (l = 0.9) is no shadow.
    assert_eq!(run(&red_shadows, [230, 230, 230])[..3], [230, 230, 230]);
    let preserved = Adjustment::ColorBalance(ColorBalance {
        shadows_cyan_red: 100.0,
        ..ColorBalance::default()
    });
    let [r, g, b, _] = run(&preserved, [25, 25, 25]);
    assert!(r > g && g == b, "{r} {g} {b}");
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    assert!(
        (i32::from(max) + i32::from(min) - 50).abs() <= 1,
        "lightness kept"
    );
}

#[test]
fn blur_keeps_flat_areas_and_transparent_pixels_lend_no_colour() {
    let flat = RgbaImage::from_pixel(20, 10, image::Rgba([10, 120, 250, 255]));
    let blur = Adjustment::GaussianBlur(GaussianBlur { sigma: 3.0 });
    assert_eq!(adjust_cpu(&flat, &blur).unwrap(), flat);
    // Opaque red beside transparent green: the blurred edge stays red.
    let edge = RgbaImage::from_fn(20, 4, |x, _| {
        if x < 10 {
            image::Rgba([255, 0, 0, 255])
        } else {
            image::Rgba([0, 255, 0, 0])
        }
    });
    let out = adjust_cpu(&edge, &blur).unwrap();
    let p = out.get_pixel(11, 2);
    assert!(p[3] > 0 && p[3] < 255, "{p:?}");
    assert_eq!((p[0], p[1]), (255, 0), "{p:?}");
}

#[test]
fn unsharp_mask_respects_the_threshold() {
    let step = RgbaImage::from_fn(16, 4, |x, _| {
        let v = if x < 8 { 100 } else { 104 };
        image::Rgba([v, v, v, 255])
    });
    let strong = |threshold| {
        Adjustment::UnsharpMask(UnsharpMask {
            amount: 200.0,
            radius: 1.0,
            threshold,
        })
    };
    let sharpened = adjust_cpu(&step, &strong(0.0)).unwrap();
    assert!(sharpened.get_pixel(7, 0)[0] < 100 && sharpened.get_pixel(8, 0)[0] > 104);
    // A 4-level step blurs by at most 2: a threshold of 3 leaves it alone.
    assert_eq!(adjust_cpu(&step, &strong(3.0)).unwrap(), step);
}

#[test]
fn parameters_come_from_json_with_defaults_and_bad_ones_are_named() {
    let levels = Adjustment::from_json(r#"{"kind": "levels", "gamma": 1.5}"#).unwrap();
    assert_eq!(
        levels,
        Adjustment::Levels(Levels {
            gamma: 1.5,
            ..Levels::default()
        })
    );
    let name = |json: &str| match Adjustment::from_json(json) {
        Err(Error::InvalidParameter { name, message }) => (name, message),
        other => panic!("{json}: {other:?}"),
    };
    assert_eq!(name(r#"{"kind": "levels", "gamma": 0}"#).0, "gamma");
    assert_eq!(
        name(r#"{"kind": "levels", "input_black": 200, "input_white": 100}"#).0,
        "input_white"
    );
    assert_eq!(name(r#"{"kind": "curves", "red": "0:0,0:9"}"#).0, "red");
    assert_eq!(name(r#"{"kind": "curves", "master": "0:0"}"#).0, "master");
    assert_eq!(name(r#"{"kind": "curves", "blue": "0:0,300:9"}"#).0, "blue");
    assert_eq!(name(r#"{"kind": "hue_saturation", "hue": 181}"#).0, "hue");
    assert_eq!(
        name(r#"{"kind": "color_balance", "midtones_yellow_blue": -101}"#).0,
        "midtones_yellow_blue"
    );
    assert_eq!(name(r#"{"kind": "gaussian_blur", "sigma": 0}"#).0, "sigma");
    assert_eq!(
        name(r#"{"kind": "unsharp_mask", "amount": 501}"#).0,
        "amount"
    );
    let (param, message) = name(r#"{"kind": "levels", "gama": 1}"#);
    assert_eq!(param, "adjustment");
    assert!(message.contains("gama"), "{message}");
    assert!(name(r#"{"kind": "posterize"}"#).1.contains("posterize"));
}

#[test]
fn neutral_settings_change_nothing() {
    let mut rng = Rng(0xad0_5e7);
    let image = random_rgba(&mut rng, 31, 17, Draw::Uniform);
    for neutral in [
        Adjustment::Levels(Levels::default()),
        Adjustment::Curves(Curves::default()),
        Adjustment::BrightnessContrast(BrightnessContrast::default()),
        Adjustment::ColorBalance(ColorBalance {
            preserve_luminosity: false,
            ..ColorBalance::default()
        }),
    ] {
        assert_eq!(adjust_cpu(&image, &neutral).unwrap(), image, "{neutral:?}");
    }
    // HSL round trips in f32 may move a level.
    let hs = adjust_cpu(&image, &Adjustment::HueSaturation(HueSaturation::default())).unwrap();
    assert!(max_diff(&hs, &image) <= 1);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_matches_cpu() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let mut rng = Rng(0xad7_0575);
    let mut images = vec![portrait()];
    for &(w, h, opaque) in &[(1, 1, true), (5, 7, false), (67, 45, true), (130, 9, false)] {
        images.push(random_rgba(
            &mut rng,
            w,
            h,
            if opaque {
                Draw::Fixed(255)
            } else {
                Draw::Uniform
            },
        ));
    }
    for image in &images {
        for adjustment in every_kind() {
            let tolerance = match &adjustment {
                Adjustment::UnsharpMask(u) => 1 + (u.amount / 100.0).ceil() as u8,
                _ => 1,
            };
            let cpu = adjust_cpu(image, &adjustment).unwrap();
            let on_gpu = pollster::block_on(adjust(engine, image, &adjustment)).unwrap();
            let (w, h) = image.dimensions();
            let banded = pollster::block_on(gpu::adjust(
                engine,
                gpu,
                image,
                &adjustment,
                4 * 2 * u64::from(w),
            ))
            .unwrap();
            for got in [&on_gpu, &banded] {
                let diff = max_diff(&cpu, got);
                assert!(diff <= tolerance, "{w}×{h} {}: {diff}", adjustment.name());
            }
        }
    }
}

/// Every adjustment made in an image held on the GPU — the blurs from
/// planes split and blurred there — is what the path that uploads the image
/// gives: exactly, for the whole image and for a band of its rows (the
/// uploading path given the rows the blur reads), in one dispatch or in
/// several; and within one level (the unsharp mask's gain more) of the
/// CPU's adjustment of those rows, blended by the same soft coverage
/// (translucent, premultiplied by alpha) — and, opaque, of the whole
/// image's.
/// Nothing goes up but the coverage and uniforms, and the rows come back
/// once. The portrait is tried opaque, then translucent on its right.
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn adjustments_made_in_a_held_image_match_the_uploading_path() {
    use image::{GrayImage, Luma};
    // Its own device: the counts are not shared with tests running beside it.
    let engine = &crate::engine::own_test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let opaque = portrait();
    let mut translucent = opaque.clone();
    for (x, y, p) in translucent.enumerate_pixels_mut() {
        if x > 120 {
            p[3] = ((x * 7 + y * 3) % 256) as u8;
        }
    }
    let (w, h) = opaque.dimensions();
    let rows = 40..110;
    let coverage = GrayImage::from_fn(w, rows.len() as u32, |x, y| {
        Luma([((x * 5 + y * 11) % 300).min(255) as u8])
    });
    let blend = |before: &RgbaImage, after: &RgbaImage| {
        RgbaImage::from_fn(w, rows.len() as u32, |x, y| {
            let (b, a) = (before.get_pixel(x, rows.start + y), after.get_pixel(x, y));
            let k = u32::from(coverage.get_pixel(x, y)[0]);
            image::Rgba(std::array::from_fn(|c| {
                ((u32::from(b[c]) * (255 - k) + u32::from(a[c]) * k + 127) / 255) as u8
            }))
        })
    };
    let rows_of = |image: &RgbaImage, rows: &Range<u32>| {
        image::imageops::crop_imm(image, 0, rows.start, w, rows.len() as u32).to_image()
    };
    for (look, image) in [("opaque", &opaque), ("translucent", &translucent)] {
        for adjustment in every_kind() {
            let name = format!("{look} {}", adjustment.name());
            let held = gpu.storage_buffer("held", image.as_raw());
            let full = GrayImage::from_pixel(w, h, Luma([255]));
            let whole = adjust_held_rows(gpu, &held, (w, h), 0..h, &full, &adjustment);
            let uploading = pollster::block_on(adjust(engine, image, &adjustment)).unwrap();
            assert!(
                pollster::block_on(whole).unwrap() == uploading,
                "{name}: the whole image"
            );

            let held = gpu.storage_buffer("held", image.as_raw());
            let (read_backs, uploaded) = (gpu.read_backs(), gpu.uploaded_bytes());
            let band = u64::from(w) * 4 * 25;
            let made = gpu::adjust_held(
                gpu,
                &held,
                (w, h),
                rows.clone(),
                &coverage,
                &adjustment,
                band,
            );
            let made = pollster::block_on(made).unwrap();
            assert_eq!(gpu.read_backs() - read_backs, 1, "{name}: one read-back");
            let uploaded = gpu.uploaded_bytes() - uploaded;
            let limit = coverage.len() as u64 + 4096;
            assert!(uploaded <= limit, "{name}: {uploaded} bytes uploaded");
            let around = held_blur_rows(&adjustment, h, &rows);
            let input = rows_of(image, &around);
            let adjusted = pollster::block_on(adjust(engine, &input, &adjustment)).unwrap();
            let skip = rows.start - around.start..rows.end - around.start;
            let want = blend(image, &rows_of(&adjusted, &skip));
            assert!(made == want, "{name}: a band of rows");
            let tolerance = match &adjustment {
                Adjustment::UnsharpMask(u) => 1 + (u.amount / 100.0).ceil() as u8,
                _ => 1,
            };
            let cpu = blend(
                image,
                &rows_of(&adjust_cpu(&input, &adjustment).unwrap(), &skip),
            );
            // Dividing by a low alpha magnifies the blur's ±1 between the
            // backends: translucent results compare premultiplied.
            let diff = match look {
                "opaque" => max_diff(&made, &cpu),
                _ => max_diff(&premultiplied(&made), &premultiplied(&cpu)),
            };
            assert!(diff <= tolerance, "{name}: {diff} from the CPU's");
            if look == "opaque" {
                // The rows read hold the blur's reach: as the whole image's.
                let whole = adjust_cpu(image, &adjustment).unwrap();
                let diff = max_diff(&made, &blend(image, &rows_of(&whole, &rows)));
                assert!(diff <= tolerance, "{name}: {diff} from the whole image's");
            }
            assert!(
                max_diff(&made, &rows_of(image, &rows)) > 5,
                "{name}: changed"
            );
            // The rows outside are as they were.
            let after = gpu.read_buffer(&held, 0, u64::from(w * h) * 4);
            let after = RgbaImage::from_raw(w, h, pollster::block_on(after).unwrap()).unwrap();
            let outside = |image: &RgbaImage| {
                let mut image = image.clone();
                for y in rows.clone() {
                    for x in 0..w {
                        image.put_pixel(x, y, image::Rgba([0; 4]));
                    }
                }
                image
            };
            assert!(outside(&after) == outside(image), "{name}: other rows");
        }
    }
}

/// `image` with each colour channel multiplied by alpha (rounded).
fn premultiplied(image: &RgbaImage) -> RgbaImage {
    let mut out = image.clone();
    for p in out.pixels_mut() {
        for c in 0..3 {
            p[c] = ((u32::from(p[c]) * u32::from(p[3]) + 127) / 255) as u8;
        }
    }
    out
}

/// Each adjustment's manifest offers exactly its parameters: the defaults
/// are the core's, every min and max is accepted, one step beyond is not.
#[test]
fn manifests_match_the_parameters() {
    use crate::plugin::{Entry, Param, Registry};
    let registry = Registry::builtin().unwrap();
    let mut kinds = Vec::new();
    for manifest in registry.manifests() {
        let Entry::Builtin { kernel } = &manifest.entry else {
            continue;
        };
        let Some(kind) = kernel.strip_prefix("adjust.") else {
            continue;
        };
        let with = |values: Vec<(&str, serde_json::Value)>| {
            let mut object = serde_json::Map::new();
            object.insert("kind".into(), kind.into());
            for (id, value) in values {
                object.insert(id.into(), value);
            }
            Adjustment::from_json(&serde_json::Value::Object(object).to_string())
        };
        let defaults: Vec<_> = manifest
            .params
            .iter()
            .map(|p| match p {
                Param::Number { id, default, .. } => (id.as_str(), (*default).into()),
                Param::Boolean { id, default, .. } => (id.as_str(), (*default).into()),
                Param::String { id, default, .. } => (id.as_str(), default.as_str().into()),
                other => panic!("{kind}: unexpected parameter {other:?}"),
            })
            .collect();
        let from_defaults = with(defaults).unwrap();
        assert_eq!(from_defaults, with(vec![]).unwrap(), "{kind}: defaults");
        kinds.push(from_defaults.name());
        for p in &manifest.params {
            if let Param::Number {
                id, min, max, step, ..
            } = p
            {
                // Levels' input points must also stay apart.
                let partner = match id.as_str() {
                    "input_black" => vec![("input_white", 255.0.into())],
                    "input_white" => vec![("input_black", 0.0.into())],
                    _ => vec![],
                };
                for (value, ok) in [
                    (*min, true),
                    (*max, true),
                    (min - step, false),
                    (max + step, false),
                ] {
                    let mut values = partner.clone();
                    values.push((id.as_str(), value.into()));
                    assert_eq!(with(values).is_ok(), ok, "{kind}.{id} = {value}");
                }
            }
        }
    }
    assert_eq!(
        kinds,
        [
            "Levels",
            "Curves",
            "Brightness/Contrast",
            "Hue/Saturation",
            "Color Balance",
            "Gaussian Blur",
            "Unsharp Mask"
        ]
    );
}

/// The unsharp mask's last step with a threshold, given the same blurred
/// image, agrees within ±1 (its parity is only limited by the blur's).
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_sharpening_step_matches_cpu() {
    let engine = test_gpu_engine();
    let gpu = engine.gpu().expect("a GPU engine");
    let image = portrait();
    let u = UnsharpMask {
        amount: 250.0,
        radius: 2.0,
        threshold: 4.0,
    };
    let blurred = adjust_cpu(
        &image,
        &Adjustment::GaussianBlur(GaussianBlur { sigma: 2.0 }),
    )
    .unwrap();
    let want = cpu::sharpen(&image, &blurred, &u);
    let kernel = gpu::Kernel::Unsharp {
        gain: u.amount / 100.0,
        threshold: u.threshold,
    };
    let got = pollster::block_on(gpu::per_pixel(
        gpu,
        &image,
        kernel,
        Some(&blurred),
        u64::MAX,
    ))
    .unwrap();
    assert!(max_diff(&want, &got) <= 1, "{}", max_diff(&want, &got));
    assert_ne!(want, image, "the step sharpens");
}
