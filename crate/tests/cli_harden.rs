//! Hardening of the `retouch` binary (issue 12): no lost updates under
//! concurrent project edits, stale temporaries cleaned, truncated images
//! refused unless `--allow-partial`, and parameter and decode errors that
//! name the parameter or the file.

mod common;
use common::{retouch, stderr, Scratch};

use image::ImageEncoder;
use std::process::Command;

/// The repository's sample photo (a real image, not a gradient).
fn sample_photo() -> image::RgbaImage {
    image::load_from_memory(include_bytes!("../../web/samples/base.png"))
        .unwrap()
        .into_rgba8()
}

fn layer_names(project: &str) -> Vec<String> {
    let out = retouch(&["project", "info", project, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    info["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn concurrent_add_layer_runs_lose_no_acknowledged_layer() {
    let dir = Scratch::new("concurrent");
    let project = dir.arg("p.ora");
    let out = retouch(&["project", "new", &project, "--size", "96x64"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let photo = sample_photo();
    let tile = image::imageops::crop_imm(&photo, 0, 0, 48, 32).to_image();
    tile.save(dir.path("tile.png")).unwrap();
    let tile_arg = dir.arg("tile.png");
    let runs: Vec<(String, std::process::Child)> = (0..8)
        .map(|i| {
            let name = format!("layer-{i}");
            let child = Command::new(env!("CARGO_BIN_EXE_retouch"))
                .args(["project", "add-layer", &project, &tile_arg, "--name", &name])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (name, child)
        })
        .collect();
    let mut acknowledged = Vec::new();
    for (name, child) in runs {
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            acknowledged.push(name);
        } else {
            // A refused run says which project and why.
            let message = stderr(&out);
            assert!(message.contains("p.ora"), "{message}");
        }
    }
    let mut kept = layer_names(&project);
    kept.sort();
    acknowledged.sort();
    assert_eq!(
        kept, acknowledged,
        "every acknowledged layer, and only those"
    );
    assert!(!acknowledged.is_empty());
}

#[test]
fn a_dead_writers_temporary_file_is_removed_by_the_next_write() {
    let dir = Scratch::new("stale");
    // What a process killed mid-write leaves: one of our temporaries whose
    // PID is gone.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let orphan = dir.path(&format!(".retouch-tmp-{dead}-00000000deadbeef"));
    std::fs::write(&orphan, vec![0u8; 4096]).unwrap();
    sample_photo().save(dir.path("in.png")).unwrap();
    let out = retouch(&["export", &dir.arg("in.png"), "-o", &dir.arg("out.jpg")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!orphan.exists(), "the stale temporary file was left behind");
    let left: Vec<String> = std::fs::read_dir(dir.path(""))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, ["in.png", "out.jpg"]);
}

/// `bytes` cut to `fraction` of their length.
fn cut(bytes: &[u8], fraction: f64) -> Vec<u8> {
    bytes[..(bytes.len() as f64 * fraction) as usize].to_vec()
}

#[test]
fn truncated_images_are_refused_unless_allow_partial() {
    let dir = Scratch::new("truncated");
    let photo = sample_photo();
    let rgb = image::DynamicImage::ImageRgba8(photo.clone()).into_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&rgb)
        .unwrap();
    let mut png = Vec::new();
    photo
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    for (name, bytes) in [("cut.jpg", cut(&jpeg, 0.6)), ("cut.png", cut(&png, 0.6))] {
        std::fs::write(dir.path(name), &bytes).unwrap();
        let input = dir.arg(name);
        let output = dir.arg("out.png");
        let out = retouch(&["export", &input, "-o", &output]);
        assert!(!out.status.success(), "{name} was accepted");
        let message = stderr(&out);
        assert!(message.contains(name), "{message}");
        assert!(message.contains("truncated"), "{message}");
        assert!(message.contains("--allow-partial"), "{message}");
        assert!(!dir.path("out.png").exists());
        let project = dir.arg("p.ora");
        let out = retouch(&["project", "new", &project, "--from", &input]);
        assert!(!out.status.success() && stderr(&out).contains(name));
        assert!(!dir.path("p.ora").exists());

        let out = retouch(&["export", &input, "-o", &output, "--allow-partial"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let warning = stderr(&out);
        assert!(
            warning.contains("warning") && warning.contains(name),
            "{warning}"
        );
        // What was decoded is the photo's top: compare the first rows.
        let partial = image::open(dir.path("out.png")).unwrap().into_rgba8();
        assert_eq!(partial.dimensions(), photo.dimensions());
        let rows = photo.height() / 8;
        let mut worst = 0i32;
        for y in 0..rows {
            for x in 0..photo.width() {
                let (a, b) = (partial.get_pixel(x, y).0, photo.get_pixel(x, y).0);
                for c in 0..3 {
                    worst = worst.max((i32::from(a[c]) - i32::from(b[c])).abs());
                }
            }
        }
        // JPEG is lossy; PNG rows come back exactly.
        let allowed = if name.ends_with(".png") { 0 } else { 48 };
        assert!(worst <= allowed, "{name}: top rows differ by {worst}");
        std::fs::remove_file(dir.path("out.png")).unwrap();
    }
    // The whole files are fine, with no warning.
    std::fs::write(dir.path("whole.jpg"), &jpeg).unwrap();
    let out = retouch(&["export", &dir.arg("whole.jpg"), "-o", &dir.arg("out.png")]);
    assert!(
        out.status.success() && stderr(&out).is_empty(),
        "{}",
        stderr(&out)
    );
}

#[test]
fn parameter_errors_name_the_parameter_and_decode_errors_the_file() {
    let dir = Scratch::new("params");
    sample_photo().save(dir.path("in.png")).unwrap();
    let input = dir.arg("in.png");
    let output = dir.arg("out.png");
    let cases: [(&[&str], &str); 5] = [
        (
            &["export", &input, "-o", &output, "--long-edge", "0"],
            "invalid long-edge",
        ),
        (
            &["export", &input, "-o", &output, "--size", "0x0"],
            "invalid size",
        ),
        (
            &["export", &input, "-o", &output, "--size", "100x0"],
            "invalid size",
        ),
        (
            &["project", "new", &dir.arg("p.ora"), "--size", "0x0"],
            "invalid size",
        ),
        (
            &["project", "new", &dir.arg("p.ora"), "--size", "20000x10"],
            "invalid size",
        ),
    ];
    for (args, expected) in cases {
        let out = retouch(args);
        let message = stderr(&out);
        assert!(!out.status.success(), "{args:?}");
        assert!(message.contains(expected), "{args:?}: {message}");
        assert!(!message.contains("cannot decode"), "{args:?}: {message}");
    }
    assert!(!dir.path("out.png").exists() && !dir.path("p.ora").exists());
    std::fs::write(dir.path("garbage.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    for args in [
        &["export", &dir.arg("garbage.png"), "-o", &output][..],
        &[
            "project",
            "new",
            &dir.arg("p.ora"),
            "--from",
            &dir.arg("garbage.png"),
        ],
        &[
            "resize",
            &dir.arg("garbage.png"),
            "-o",
            &output,
            "--scale",
            "2",
        ],
    ] {
        let message = stderr(&retouch(args));
        assert!(message.contains("garbage.png"), "{args:?}: {message}");
    }
}

/// Inputs are checked from their first bytes and length before being read
/// whole: a 6 GiB file (sparse: no disk is used) that is not an image, or
/// whose PNG header says 640×480, is refused with the file named. Read
/// whole, the first would take 6 GB before the decoder's own refusal and the
/// second would decode (a PNG decoder ignores what follows its end).
#[test]
fn huge_inputs_are_refused_before_they_are_read() {
    let dir = Scratch::new("huge");
    let six_gib = 6u64 << 30;
    let photo = image::RgbaImage::from_pixel(640, 480, image::Rgba([9, 8, 7, 255]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&photo, 640, 480, image::ExtendedColorType::Rgba8)
        .unwrap();
    for (name, head, words) in [
        (
            "junk.png",
            b"not an image at all".to_vec(),
            "nor a PNG, JPEG",
        ),
        ("padded.png", png, "more than a Png image of its size"),
    ] {
        let path = dir.path(name);
        let file = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut &file, &head).unwrap();
        file.set_len(six_gib).unwrap();
        let out = retouch(&["export", &dir.arg(name), "-o", &dir.arg("out.png")]);
        let message = stderr(&out);
        assert!(!out.status.success(), "{name}");
        assert!(
            message.contains(words) && message.contains(name),
            "{name}: {message}"
        );
    }
    assert!(!dir.path("out.png").exists());
}
