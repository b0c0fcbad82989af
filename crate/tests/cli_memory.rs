//! A document of the largest size accepted (16384², 1 GiB of RGBA8) is
//! created, saved, reopened and exported within the memory goal of issue 12:
//! no command's peak passes 2.5× its largest RGBA8 image plus a constant.
//! And a command that would pass the budget refuses before it allocates.
//! Its own test binary with one test, so the children's peak memory
//! (`getrusage(RUSAGE_CHILDREN)`) is only that of the commands run here.

mod common;
use common::{assert_clean_failure, children_peak_mib, retouch, stderr, Scratch};

use std::process::{Command, Output};

/// Runs the CLI under a memory budget.
fn retouch_with_budget(budget: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retouch"))
        .env("RETOUCH_MEMORY_BUDGET", budget)
        .args(args)
        .output()
        .unwrap()
}

/// Runs the CLI, fails unless it succeeds, and returns the children's peak.
fn run_measured(args: &[&str]) -> u64 {
    let out = retouch(args);
    assert!(out.status.success(), "retouch {args:?}: {}", stderr(&out));
    let peak = children_peak_mib();
    eprintln!("retouch {args:?}: peak so far {peak} MiB");
    peak
}

const SIDE: &str = "16384x16384";
/// 16384² RGBA8 in MiB.
const IMAGE_MIB: u64 = 1024;
/// What a process needs besides its image buffers (the budget model counts
/// 64 MiB; the allocator and the decoders' working buffers add some).
const CONSTANT_MIB: u64 = 256;

#[test]
fn a_16384_square_document_is_made_saved_reopened_and_exported_within_the_goal() {
    let dir = Scratch::new("memory");
    let goal = IMAGE_MIB * 5 / 2 + CONSTANT_MIB;

    // Past the budget: refused before anything is allocated, with what it
    // needs and the budget named, and nothing written. An empty 16384²
    // project needs about 104 MiB: its composite is made band by band as
    // `mergedimage.png` and the thumbnail are encoded, never whole.
    let empty = dir.arg("empty.ora");
    let out = retouch_with_budget("100M", &["project", "new", "--size", SIDE, &empty]);
    assert_clean_failure(&out, "budget", &empty);
    assert!(stderr(&out).contains("16384×16384"), "{}", stderr(&out));
    assert!(children_peak_mib() < 100, "{} MiB", children_peak_mib());

    // A photograph enlarged to 16384², then a project of it, saved,
    // reopened and exported at full size (PNG, and WebP: image's encoder
    // took the composite whole and copied it, ~3 GiB) and as a 1024 px JPEG.
    let big = dir.arg("big.png");
    let project = dir.arg("big.ora");
    let photo = format!("{}/tests/photos/astronaut.png", env!("CARGO_MANIFEST_DIR"));
    run_measured(&[
        "resize",
        &photo,
        "--size",
        SIDE,
        "-o",
        &big,
        "--backend",
        "cpu",
    ]);
    run_measured(&["project", "new", "--size", SIDE, &empty]);
    run_measured(&["project", "new", "--from", &big, &project]);
    run_measured(&["project", "info", &project]);
    let full = dir.arg("full.png");
    run_measured(&["export", &project, "-o", &full]);
    let webp = dir.arg("full.webp");
    run_measured(&["export", &project, "-o", &webp]);
    let small = dir.arg("small.jpg");
    let peak = run_measured(&["export", &project, "-o", &small, "--long-edge", "1024"]);
    assert!(
        peak <= goal,
        "peak {peak} MiB is above 2.5 × {IMAGE_MIB} + {CONSTANT_MIB} MiB"
    );

    // What was written is what was made.
    let header = |path: &str| {
        let bytes = std::fs::read(path).unwrap();
        retouch::image_io::image_dimensions(&bytes).unwrap()
    };
    assert_eq!(header(&full), (16384, 16384));
    assert_eq!(header(&webp), (16384, 16384));
    assert_eq!(header(&small), (1024, 1024));
    let summary = retouch::doc::ora::summarize_ora(std::fs::File::open(&project).unwrap()).unwrap();
    assert_eq!((summary.width, summary.height), (16384, 16384));

    // An export under a budget smaller than its layer alone is refused by name.
    let refused = dir.arg("refused.png");
    let out = retouch_with_budget("1000M", &["export", &project, "-o", &refused]);
    assert_clean_failure(&out, "exporting", &refused);
}
