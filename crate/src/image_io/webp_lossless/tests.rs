//! The banded WebP encoder against image-webp's decoder (an implementation
//! nobody here wrote): every file must decode to exactly the pixels given.

use super::*;
use image::{ImageDecoder, RgbaImage};

const PHOTO: &[u8] = include_bytes!("../../../../web/samples/base.png");
const LAYER: &[u8] = include_bytes!("../../../../web/samples/layer.png");

fn encode(image: &RgbaImage, band_rows: usize, metadata: &SourceMetadata) -> Vec<u8> {
    let mut out = Vec::new();
    let row_bytes = image.width() as usize * 4;
    write_webp_in_bands(image.dimensions(), metadata, &mut out, |band| {
        image
            .as_raw()
            .chunks(band_rows * row_bytes)
            .try_for_each(&mut *band)
    })
    .unwrap();
    out
}

fn decode(file: &[u8]) -> RgbaImage {
    image::load_from_memory_with_format(file, image::ImageFormat::WebP)
        .expect("image-webp decodes the file")
        .to_rgba8()
}

fn assert_round_trip(image: &RgbaImage) {
    let file = encode(image, 13, &SourceMetadata::default());
    let back = decode(&file);
    assert_eq!(back.dimensions(), image.dimensions());
    if let Some((i, (a, b))) = back
        .as_raw()
        .iter()
        .zip(image.as_raw())
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        let px = i / 4;
        panic!(
            "{}×{}: byte {i} (pixel {},{}) decodes to {a}, was {b}",
            image.width(),
            image.height(),
            px % image.width() as usize,
            px / image.width() as usize
        );
    }
}

fn photo() -> RgbaImage {
    image::load_from_memory(PHOTO).unwrap().to_rgba8()
}

/// Deterministic noise (xorshift), so the test needs no rng crate.
fn noise(width: u32, height: u32, seed: u64) -> RgbaImage {
    let mut state = seed | 1;
    RgbaImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        image::Rgba(state.to_le_bytes()[..4].try_into().unwrap())
    })
}

#[test]
fn a_photograph_decodes_to_the_same_pixels() {
    assert_round_trip(&photo());
}

#[test]
fn translucent_pixels_keep_their_colour_and_alpha() {
    // The editor's layer sample has soft alpha; transparent pixels keep
    // their colour in a lossless file.
    let mut layer = image::load_from_memory(LAYER).unwrap().to_rgba8();
    for (x, _, p) in layer.enumerate_pixels_mut() {
        if x % 7 == 0 {
            p[3] = 0;
        }
    }
    assert_round_trip(&layer);
}

#[test]
fn odd_sizes_flat_images_noise_and_long_runs_round_trip() {
    let photo = photo();
    for (w, h) in [(1, 1), (1, 70), (70, 1), (33, 33), (31, 65), (95, 64)] {
        assert_round_trip(&image::imageops::crop_imm(&photo, 200, 100, w, h).to_image());
    }
    // One colour: every code has one symbol and takes no bits; runs longer
    // than a back reference can be.
    assert_round_trip(&RgbaImage::from_pixel(
        5000,
        3,
        image::Rgba([9, 200, 31, 128]),
    ));
    assert_round_trip(&RgbaImage::from_pixel(40, 40, image::Rgba([0, 0, 0, 255])));
    // Noise: every symbol used, long codes.
    assert_round_trip(&noise(97, 41, 7));
    // Runs broken at every length around the minimum, over row ends.
    let runs = RgbaImage::from_fn(61, 19, |x, y| {
        let i = y * 61 + x;
        image::Rgba([(i / (1 + i % 5)) as u8, 3, 3, 255])
    });
    assert_round_trip(&runs);
}

#[test]
fn skewed_symbol_counts_keep_codes_within_fifteen_bits() {
    // Fibonacci counts make a plain Huffman tree as deep as the alphabet.
    let mut fib = vec![1u64, 1];
    while fib.len() < 40 {
        let n = fib[fib.len() - 1] + fib[fib.len() - 2];
        fib.push(n);
    }
    let lengths = limited_lengths(&fib, 15);
    assert!(huffman_lengths(&fib).iter().any(|&l| l > 15));
    assert!(lengths.iter().all(|&l| (1..=15).contains(&l)));
    let kraft: f64 = lengths.iter().map(|&l| 0.5f64.powi(i32::from(l))).sum();
    assert_eq!(kraft, 1.0, "a complete code");
    // And through the decoder: green values drawn with those counts.
    let mut values = Vec::new();
    for (symbol, &n) in fib.iter().enumerate().take(25) {
        values.extend(std::iter::repeat_n(symbol as u8 * 9, n as usize));
    }
    let width = 256u32;
    let height = (values.len() as u32).div_ceil(width);
    let image = RgbaImage::from_fn(width, height, |x, y| {
        let v = values.get((y * width + x) as usize).copied().unwrap_or(0);
        // Alternate so the left predictor does not make runs of it.
        image::Rgba([v, v ^ (x as u8 & 1), 7, 255])
    });
    assert_round_trip(&image);
}

#[test]
fn the_largest_side_reads_back() {
    // 16384 px is the format's limit and ours; image-webp misreads it in a
    // plain file's header, so such files are written extended.
    for size in [(16384, 2), (3, 16384)] {
        let image = RgbaImage::from_fn(size.0, size.1, |x, y| {
            image::Rgba([(x / 64) as u8, (y / 64) as u8, 7, 255])
        });
        let file = encode(&image, 5, &SourceMetadata::default());
        assert_eq!(crate::image_io::image_dimensions(&file).unwrap(), size);
        assert_eq!(decode(&file), image);
    }
}

#[test]
fn bands_of_any_height_give_the_same_file() {
    let photo = photo();
    let whole = encode(&photo, photo.height() as usize, &SourceMetadata::default());
    for rows in [1, 7, 32, 33, 100] {
        assert_eq!(
            encode(&photo, rows, &SourceMetadata::default()),
            whole,
            "{rows} rows a band"
        );
    }
}

#[test]
fn icc_profile_and_exif_are_kept() {
    let metadata = SourceMetadata {
        icc_profile: Some(vec![7; 301]),
        exif: Some(b"II*\0\x08\0\0\0\0\0\0\0\0".to_vec()),
    };
    let image = noise(45, 30, 3);
    let file = encode(&image, 8, &metadata);
    assert_eq!(decode(&file), image);
    let mut decoder = image::codecs::webp::WebPDecoder::new(std::io::Cursor::new(&file)).unwrap();
    assert_eq!(decoder.icc_profile().unwrap(), metadata.icc_profile);
    assert_eq!(decoder.exif_metadata().unwrap(), metadata.exif);
    let riff = u32::from_le_bytes(file[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff + 8, file.len(), "the RIFF size covers the file");
}

#[test]
fn denser_than_image_webps_encoder_on_a_photograph() {
    let photo = photo();
    let ours = encode(&photo, 64, &SourceMetadata::default());
    let mut theirs = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::webp::WebPEncoder::new_lossless(&mut theirs),
        photo.as_raw(),
        photo.width(),
        photo.height(),
        image::ExtendedColorType::Rgba8,
    )
    .unwrap();
    assert!(
        ours.len() < theirs.len(),
        "ours {} bytes, image-webp's {}",
        ours.len(),
        theirs.len()
    );
}

#[test]
fn too_few_or_too_many_rows_are_refused() {
    let image = noise(20, 10, 5);
    let bytes = image.as_raw();
    let mut out = Vec::new();
    let short = write_webp_in_bands((20, 10), &SourceMetadata::default(), &mut out, |band| {
        band(&bytes[..20 * 4 * 9])
    });
    assert!(matches!(short, Err(Error::Encode(_))), "{short:?}");
    let long = write_webp_in_bands((20, 9), &SourceMetadata::default(), &mut out, |band| {
        band(bytes)
    });
    assert!(matches!(long, Err(Error::Encode(_))), "{long:?}");
    let partial = write_webp_in_bands((20, 10), &SourceMetadata::default(), &mut out, |band| {
        band(&bytes[..30])
    });
    assert!(matches!(partial, Err(Error::Encode(_))), "{partial:?}");
}

#[test]
fn length_prefixes_invert_the_formats_decoding() {
    // The format's decoding of a prefix symbol and its extra bits.
    let decode = |symbol: u32, extra: u32| {
        if symbol < 4 {
            return symbol + 1;
        }
        let bits = (symbol - 2) >> 1;
        ((2 + (symbol & 1)) << bits) + extra + 1
    };
    for value in 1..=MAX_RUN {
        let (symbol, bits, extra) = prefix_of(value);
        assert!(symbol < 24 && extra < 1 << bits);
        assert_eq!(decode(symbol as u32, extra as u32), value);
    }
}
