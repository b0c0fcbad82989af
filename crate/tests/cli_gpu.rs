//! The CLI with `--backend gpu`, as the README shows it: on the sample
//! photograph, every GPU-capable command writes what the CPU backend writes
//! (within the parity each kernel documents), and `info` says the GPU runs.
//! Compiled in with `RETOUCH_REQUIRE_GPU=1` (see `crate/build.rs`); a plain
//! `cargo test` lists these as ignored.

mod common;
use common::{retouch, run_ok, sample, Scratch};

use image::{GrayImage, Luma, RgbaImage};

fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    assert_eq!(a.len(), b.len(), "outputs differ in size");
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

/// Runs `args` once per backend (the output path last) and returns both
/// decoded outputs, CPU first.
fn on_both(dir: &Scratch, name: &str, args: &[&str]) -> (RgbaImage, RgbaImage) {
    let [cpu, gpu] = ["cpu", "gpu"].map(|backend| {
        let out = dir.arg(&format!("{name}-{backend}.png"));
        let mut full = args.to_vec();
        full.extend_from_slice(&["-o", &out, "--backend", backend]);
        run_ok(&full);
        image::open(&out).unwrap().into_rgba8()
    });
    (cpu, gpu)
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn info_reports_the_gpu_when_asked_for() {
    let run = retouch(&["info", "--backend", "gpu"]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(text.contains("backend: gpu"), "{text}");
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn composite_on_the_gpu_matches_the_cpu_on_the_photograph() {
    let dir = Scratch::new("gpu-composite");
    let (base, layer, mask) = (sample("base.png"), sample("layer.png"), sample("mask.png"));
    for mode in [
        "normal",
        "multiply",
        "soft-light",
        "color-dodge",
        "luminosity",
    ] {
        let (cpu, gpu) = on_both(
            &dir,
            mode,
            &[
                "composite",
                &base,
                &layer,
                "--mode",
                mode,
                "--opacity",
                "0.8",
                "--mask",
                &mask,
                "--offset",
                "40,-20",
            ],
        );
        let d = max_diff(cpu.as_raw(), gpu.as_raw());
        assert!(d <= 1, "{mode}: GPU differs from CPU by {d}");
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn resize_on_the_gpu_matches_the_cpu_on_the_photograph() {
    let dir = Scratch::new("gpu-resize");
    let base = sample("base.png");
    // The edge filter's two 16-bit starts differ by up to 2 units (see
    // ops/resample's docs); the separable filters hold one.
    for (filter, scale, tolerance) in [
        ("lanczos3", "1.5", 1),
        ("bicubic", "0.4", 1),
        ("edge", "2", 2),
    ] {
        let (cpu, gpu) = on_both(
            &dir,
            filter,
            &[
                "resize",
                &base,
                "--region",
                "100,80,300,200",
                "--scale",
                scale,
                "--filter",
                filter,
            ],
        );
        let d = max_diff(cpu.as_raw(), gpu.as_raw());
        assert!(
            d <= tolerance,
            "{filter} ×{scale}: GPU differs from CPU by {d}"
        );
    }
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn mask_tools_on_the_gpu_match_the_cpu() {
    let dir = Scratch::new("gpu-mask");
    // A selection with a hard edge and a soft corner, the size of the photograph.
    let selection = GrayImage::from_fn(960, 640, |x, y| {
        let inside = (200..700).contains(&x) && (150..480).contains(&y);
        Luma([if inside {
            255
        } else if x == 700 {
            90
        } else {
            0
        }])
    });
    let input = dir.arg("selection.png");
    selection.save(&input).unwrap();
    let base = sample("base.png");
    let cases: [(&str, Vec<&str>); 4] = [
        ("feather", vec!["mask", "feather", &input, "--radius", "12"]),
        ("grow", vec!["mask", "grow", &input, "--by", "9"]),
        ("border", vec!["mask", "border", &input, "--width", "6"]),
        (
            "range",
            vec![
                "mask", "range", &base, "--sample", "480,300", "--size", "960x640",
            ],
        ),
    ];
    for (name, args) in cases {
        let (cpu, gpu) = on_both(&dir, name, &args);
        let d = max_diff(cpu.as_raw(), gpu.as_raw());
        assert!(d <= 1, "mask {name}: GPU differs from CPU by {d}");
    }
}
