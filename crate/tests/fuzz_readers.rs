//! Mutation fuzzing of every reader that takes bytes from outside: the image
//! decoders (PNG, JPEG, WebP), masks, OpenRaster projects (full load and the
//! lazy summary) and plugin manifests. Each target starts from real files
//! (the test photographs, encoded to each format; a project with layers,
//! masks and metadata; the built-in manifests) and feeds thousands of
//! seeded mutations of them — bit flips, "interesting" bytes, 32-bit length
//! fields set huge, cut-offs, repeated and deleted runs. A reader may refuse
//! a mutant but never panic, and what it accepts stays within the image
//! limits. Deterministic: a failure names the target, seed and iteration.
//!
//! `./build.sh test` runs a bounded number of cases; run longer with
//! `RETOUCH_FUZZ_ITERATIONS=200000 cargo test --release --test fuzz_readers`
//! (and `RETOUCH_FUZZ_SEED=n` for other sequences).

mod common;
use common::photo;

use image::{ImageEncoder, RgbaImage};
use retouch::doc::{Document, LayerProperties};
use retouch::image_io::{self, MAX_PIXELS, MAX_SIDE};
use retouch::plugin::Manifest;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// xorshift64*: the cases must repeat exactly from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iterations() -> usize {
    std::env::var("RETOUCH_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn base_seed() -> u64 {
    std::env::var("RETOUCH_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed)
}

/// One to four mutations of `input`.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if out.is_empty() {
            out.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(out.len());
        match rng.below(7) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => out[at] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe][rng.below(6)],
            2 => {
                // A 32-bit field (chunk lengths, sizes, offsets) set huge or zero.
                let value = [u32::MAX, 0x7fff_ffff, 0x0001_0000, 0, 0x4000][rng.below(5)];
                for (i, byte) in value.to_be_bytes().iter().enumerate() {
                    if let Some(slot) = out.get_mut(at + i) {
                        *slot = *byte;
                    }
                }
            }
            3 => out.truncate(at),
            4 => {
                let len = 1 + rng.below(64.min(out.len() - at));
                let run = out[at..at + len].to_vec();
                let to = rng.below(out.len());
                out.splice(to..to, run);
            }
            5 => {
                let len = 1 + rng.below(64.min(out.len() - at));
                out.drain(at..at + len);
            }
            _ => out[at] = rng.next() as u8,
        }
    }
    out
}

fn encode(image: &RgbaImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    let (w, h) = image.dimensions();
    match format {
        image::ImageFormat::Jpeg => {
            let rgb = image::DynamicImage::ImageRgba8(image.clone()).into_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85)
                .write_image(&rgb, w, h, image::ExtendedColorType::Rgb8)
                .expect("JPEG");
        }
        image::ImageFormat::WebP => image::codecs::webp::WebPEncoder::new_lossless(&mut bytes)
            .write_image(image, w, h, image::ExtendedColorType::Rgba8)
            .expect("WebP"),
        _ => bytes = image_io::encode_png(image).expect("PNG"),
    }
    bytes
}

/// Small images of every format, from real photographs (cropped so a debug
/// build decodes thousands of them quickly).
fn image_corpus() -> Vec<Vec<u8>> {
    let mut corpus = Vec::new();
    for (i, name) in ["chelsea", "coffee", "brick"].iter().enumerate() {
        let crop = image::imageops::crop_imm(&photo(name), 20 * i as u32, 10, 64, 48).to_image();
        for format in [
            image::ImageFormat::Png,
            image::ImageFormat::Jpeg,
            image::ImageFormat::WebP,
        ] {
            corpus.push(encode(&crop, format));
        }
    }
    corpus
}

fn project_corpus() -> Vec<Vec<u8>> {
    let mut doc = Document::new(64, 48).expect("a document");
    let base = image::imageops::crop_imm(&photo("astronaut"), 0, 0, 64, 48).to_image();
    doc.add_layer(LayerProperties::named("Photo"), base, None, None)
        .expect("a layer");
    let patch = image::imageops::crop_imm(&photo("rocket"), 30, 30, 20, 16).to_image();
    let mask = image::GrayImage::from_fn(20, 16, |x, _| image::Luma([(x * 12) as u8]));
    let props = LayerProperties {
        offset: (10, 12),
        opacity: 0.6,
        ..LayerProperties::named("Patch")
    };
    doc.add_layer(props, patch, Some(mask), None)
        .expect("a layer");
    vec![doc.to_ora().expect("an .ora")]
}

fn manifest_corpus() -> Vec<Vec<u8>> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-manifest/plugins");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .expect("the manifests")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("a manifest"))
        .collect()
}

/// Feeds `iterations()` mutants of the corpus to `read`; a panic fails the
/// test with the case that caused it.
fn fuzz(target: &str, corpus: &[Vec<u8>], read: impl Fn(&[u8])) {
    let mut rng = Rng(base_seed()
        ^ target.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        }));
    for i in 0..iterations() {
        let input = mutate(&mut rng, &corpus[i % corpus.len()]);
        let outcome = catch_unwind(AssertUnwindSafe(|| read(&input)));
        if outcome.is_err() {
            let path = std::env::temp_dir().join(format!("retouch-fuzz-{target}-{i}.bin"));
            let _ = std::fs::write(&path, &input);
            panic!(
                "{target}: case {i} (seed {}) panicked; its input is {}",
                base_seed(),
                path.display()
            );
        }
    }
}

fn within_limits(width: u32, height: u32) {
    assert!(
        width <= MAX_SIDE
            && height <= MAX_SIDE
            && u64::from(width) * u64::from(height) <= MAX_PIXELS
    );
}

#[test]
fn image_decoders_refuse_or_decode_mutants_without_panicking() {
    let corpus = image_corpus();
    fuzz("image", &corpus, |bytes| {
        if let Ok(image) = image_io::decode_rgba(bytes) {
            within_limits(image.width(), image.height());
        }
    });
    fuzz("image-damaged", &corpus, |bytes| {
        if let Ok((image, _, _)) = image_io::decode_rgba_allowing_damage(bytes) {
            within_limits(image.width(), image.height());
        }
    });
    fuzz("mask", &corpus, |bytes| {
        if let Ok(mask) = image_io::decode_mask(bytes) {
            within_limits(mask.width(), mask.height());
        }
    });
}

#[test]
fn project_readers_refuse_or_load_mutants_without_panicking() {
    let corpus = project_corpus();
    fuzz("ora", &corpus, |bytes| {
        if let Ok(doc) = Document::from_ora(bytes) {
            within_limits(doc.width(), doc.height());
        }
    });
    fuzz("ora-summary", &corpus, |bytes| {
        let _ = retouch::doc::ora::summarize_ora(std::io::Cursor::new(bytes));
    });
}

#[test]
fn manifest_reader_refuses_or_reads_mutants_without_panicking() {
    fuzz("manifest", &manifest_corpus(), |bytes| {
        let _ = Manifest::from_json(&String::from_utf8_lossy(bytes));
    });
}
