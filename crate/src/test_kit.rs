//! What the unit tests share: real photographs, seeded random images and
//! the largest per-channel difference between two images. One copy, so
//! every kernel's tests measure the same way.

use crate::test_rng::Rng;
use image::{ImageBuffer, Pixel, RgbaImage};
use std::path::Path;

/// The test photographs in `crate/tests/photos` (192×144 crops of
/// scikit-image's samples, see the README there).
pub(crate) const PHOTOS: [&str; 6] = ["chelsea", "coffee", "astronaut", "grass", "brick", "rocket"];

/// One of [`PHOTOS`], decoded.
pub(crate) fn photo(name: &str) -> RgbaImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/photos/{name}.png"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    crate::image_io::decode_rgba(&bytes).unwrap()
}

/// Random colours; random alpha (edge-biased: 0 and 255 are common) unless `opaque`.
pub(crate) fn random_rgba(rng: &mut Rng, width: u32, height: u32, opaque: bool) -> RgbaImage {
    RgbaImage::from_fn(width, height, |_, _| {
        let a = if opaque { 255 } else { rng.edge_biased_byte() };
        image::Rgba([rng.next() as u8, rng.next() as u8, rng.next() as u8, a])
    })
}

/// The largest difference of any channel of any pixel; the sizes must match.
pub(crate) fn max_diff<P: Pixel<Subpixel = u8>>(
    a: &ImageBuffer<P, Vec<u8>>,
    b: &ImageBuffer<P, Vec<u8>>,
) -> u8 {
    assert_eq!(a.dimensions(), b.dimensions(), "images of different sizes");
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}
