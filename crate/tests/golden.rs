//! Golden images: a few end-to-end CLI runs on the test photographs whose
//! files must match stored references in `tests/golden/`, as image-rs keeps
//! its reference images. The independent checks of each kernel live beside
//! it; these catch any later change to what the user's file contains.
//!
//! The CPU backend must reproduce a reference exactly; the GPU backend within
//! each kernel's documented parity (±1, or what the kernel's docs derive). On a mismatch the output and an amplified
//! difference image are saved in `target/golden-failures/` for inspection.
//! `RETOUCH_BLESS=1 cargo test --test golden` rewrites the references after
//! an intended change (review the new files before committing them).

mod common;
use common::{run_ok, Scratch};

use image::RgbaImage;
use std::path::{Path, PathBuf};

/// One golden case: the arguments before `-o OUT --backend B`, with `{dir}`
/// standing for the scratch folder and `{photos}` for the test photographs.
struct Case {
    name: &'static str,
    /// Commands that prepare inputs (masks) in the scratch folder, on the CPU.
    setup: &'static [&'static [&'static str]],
    args: &'static [&'static str],
    /// The GPU backend's bound against the reference, from the kernel's
    /// documented parity; `None` when the GPU is held to the same quality
    /// rather than to the same pixels (the fill's randomised search).
    gpu: Option<u8>,
}

const CASES: &[Case] = &[
    Case {
        name: "resize-lanczos3-half",
        setup: &[],
        args: &["resize", "{photos}/chelsea.png", "--scale", "0.5"],
        gpu: Some(1),
    },
    Case {
        name: "resize-edge-double",
        setup: &[],
        args: &[
            "resize",
            "{photos}/coffee.png",
            "--scale",
            "2",
            "--filter",
            "edge",
        ],
        gpu: Some(1),
    },
    Case {
        name: "adjust-unsharp-mask",
        setup: &[],
        args: &[
            "adjust",
            "{photos}/grass.png",
            "--unsharp-mask",
            "amount=120 radius=2 threshold=0",
        ],
        // The blur's ±1 is amplified by the amount: 1 + 120/100 (ops/adjust).
        gpu: Some(2),
    },
    Case {
        name: "adjust-levels-in-feathered-ellipse",
        setup: &[
            &[
                "mask",
                "ellipse",
                "30,20,120,100",
                "--size",
                "192x144",
                "-o",
                "{dir}/ellipse.png",
            ],
            &[
                "mask",
                "feather",
                "{dir}/ellipse.png",
                "--radius",
                "8",
                "-o",
                "{dir}/soft.png",
            ],
        ],
        args: &[
            "adjust",
            "{photos}/astronaut.png",
            "--levels",
            "input_black=20 input_white=220 gamma=1.3 output_black=10 output_white=245",
            "--mask",
            "{dir}/soft.png",
        ],
        gpu: Some(1),
    },
    Case {
        name: "transform-rotate-fit",
        setup: &[],
        args: &[
            "transform",
            "{photos}/brick.png",
            "--rotate",
            "30",
            "--scale",
            "0.8",
            "--canvas",
            "fit",
        ],
        gpu: Some(1),
    },
    Case {
        name: "fill-disc",
        setup: &[&[
            "mask",
            "ellipse",
            "80,50,36,36",
            "--size",
            "192x144",
            "-o",
            "{dir}/hole.png",
        ]],
        args: &["fill", "{photos}/rocket.png", "--mask", "{dir}/hole.png"],
        gpu: None,
    },
];

fn expand(arg: &str, dir: &Scratch) -> String {
    let photos = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/photos");
    arg.replace("{photos}", &photos.to_string_lossy())
        .replace("{dir}", &dir.arg(""))
        .replace("//", "/")
}

fn reference_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.png"))
}

/// Runs `case` on `backend` and returns the decoded output file.
fn run(case: &Case, backend: &str, dir: &Scratch) -> RgbaImage {
    for step in case.setup {
        let mut args: Vec<String> = step.iter().map(|a| expand(a, dir)).collect();
        args.extend(["--backend".into(), "cpu".into()]);
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let out = dir.arg(&format!("{}-{backend}.png", case.name));
    let mut args: Vec<String> = case.args.iter().map(|a| expand(a, dir)).collect();
    args.extend(["-o".into(), out.clone(), "--backend".into(), backend.into()]);
    run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    image::open(&out).unwrap().into_rgba8()
}

/// Fails (saving the evidence) unless `actual` is within `tolerance` of the
/// stored reference of `name`.
fn compare(name: &str, backend: &str, actual: &RgbaImage, tolerance: u8) {
    let reference = image::open(reference_path(name))
        .unwrap_or_else(|e| panic!("{name}: no reference ({e}); bless with RETOUCH_BLESS=1"))
        .into_rgba8();
    let worst = if reference.dimensions() == actual.dimensions() {
        reference
            .as_raw()
            .iter()
            .zip(actual.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap_or(0)
    } else {
        u8::MAX
    };
    if worst <= tolerance {
        return;
    }
    let failures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/golden-failures");
    std::fs::create_dir_all(&failures).unwrap();
    let saved = failures.join(format!("{name}-{backend}.png"));
    actual.save(&saved).unwrap();
    if reference.dimensions() == actual.dimensions() {
        let diff = RgbaImage::from_fn(actual.width(), actual.height(), |x, y| {
            let (a, b) = (actual.get_pixel(x, y).0, reference.get_pixel(x, y).0);
            let d = (0..4).map(|c| a[c].abs_diff(b[c])).max().unwrap();
            let v = d.saturating_mul(32);
            image::Rgba([v, v, v, 255])
        });
        diff.save(failures.join(format!("{name}-{backend}-diff.png")))
            .unwrap();
    }
    panic!(
        "{name} on the {backend} backend differs from its reference by up to {worst} \
         (allowed {tolerance}, sizes {:?} vs {:?}); output saved as {}",
        actual.dimensions(),
        reference.dimensions(),
        saved.display()
    );
}

#[test]
fn cpu_outputs_match_the_golden_images_exactly() {
    let bless = std::env::var("RETOUCH_BLESS").is_ok_and(|v| v == "1");
    for case in CASES {
        let dir = Scratch::new(&format!("golden-cpu-{}", case.name));
        let actual = run(case, "cpu", &dir);
        if bless {
            actual.save(reference_path(case.name)).unwrap();
        }
        compare(case.name, "cpu", &actual, 0);
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn gpu_outputs_match_the_golden_images_within_their_parity() {
    for case in CASES {
        if let Some(tolerance) = case.gpu {
            let dir = Scratch::new(&format!("golden-gpu-{}", case.name));
            compare(case.name, "gpu", &run(case, "gpu", &dir), tolerance);
        }
    }
}

#[test]
fn a_changed_pixel_is_caught_and_saved_for_inspection() {
    let case = &CASES[0];
    let dir = Scratch::new("golden-tamper");
    let mut actual = run(case, "cpu", &dir);
    actual.get_pixel_mut(3, 4).0[1] ^= 2;
    let failed = std::panic::catch_unwind(|| compare(case.name, "tampered", &actual, 1));
    assert!(failed.is_err(), "a 2-level change passed a ±1 comparison");
    let saved = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/golden-failures")
        .join(format!("{}-tampered.png", case.name));
    assert_eq!(image::open(&saved).unwrap().into_rgba8(), actual);
}
