//! What the unit tests share: real photographs, seeded random images and
//! the largest per-channel difference between two images. One copy, so
//! every kernel's tests measure the same way.

use crate::test_rng::Rng;
use image::{GrayImage, ImageBuffer, Pixel, RgbaImage};
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

/// One of the shipped fonts (fonts/install.sh puts them in fonts/shipped/).
pub(crate) fn shipped_font(name: &str) -> crate::text::Font {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fonts/shipped")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run fonts/install.sh (./build.sh setup does)",
            path.display()
        )
    });
    crate::text::Font::from_bytes(name, bytes).expect("the shipped font opens")
}

/// Noto Sans, then Noto Sans Arabic and Devanagari as its fallbacks.
pub(crate) fn shipped_fonts() -> Vec<crate::text::Font> {
    [
        "NotoSans-Regular.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansDevanagari-Regular.ttf",
    ]
    .map(shipped_font)
    .to_vec()
}

/// How a random byte is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Draw {
    /// Any value, equally likely.
    Uniform,
    /// 0 and 255 often, where kernels have their edge cases (see [`Rng::edge_biased_byte`]).
    EdgeBiased,
    /// Always this value; draws nothing, so the other channels get the same numbers.
    Fixed(u8),
}

impl Draw {
    pub fn byte(self, rng: &mut Rng) -> u8 {
        match self {
            Draw::Uniform => rng.next() as u8,
            Draw::EdgeBiased => rng.edge_biased_byte(),
            Draw::Fixed(value) => value,
        }
    }
}

/// Uniformly random colours with alpha drawn as `alpha` (`Draw::Fixed(255)`: opaque).
pub(crate) fn random_rgba(rng: &mut Rng, width: u32, height: u32, alpha: Draw) -> RgbaImage {
    RgbaImage::from_fn(width, height, |_, _| {
        let a = alpha.byte(rng);
        image::Rgba([rng.next() as u8, rng.next() as u8, rng.next() as u8, a])
    })
}

/// Every channel drawn alike, in the order red, green, blue, alpha.
pub(crate) fn random_channels(rng: &mut Rng, width: u32, height: u32, draw: Draw) -> RgbaImage {
    RgbaImage::from_fn(width, height, |_, _| {
        image::Rgba([
            draw.byte(rng),
            draw.byte(rng),
            draw.byte(rng),
            draw.byte(rng),
        ])
    })
}

/// A random mask or grey image.
pub(crate) fn random_gray(rng: &mut Rng, width: u32, height: u32, draw: Draw) -> GrayImage {
    GrayImage::from_fn(width, height, |_, _| image::Luma([draw.byte(rng)]))
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

/// A `width`×`height` coverage mask made of the test photographs tiled side
/// by side (each one's green channel): soft edges and texture like a real
/// selection's, at any size (big enough to split over threads).
pub(crate) fn photo_mask(width: u32, height: u32) -> GrayImage {
    let photos: Vec<RgbaImage> = PHOTOS.iter().map(|name| photo(name)).collect();
    let (tw, th) = (photos[0].width(), photos[0].height());
    let across = width.div_ceil(tw);
    GrayImage::from_fn(width, height, |x, y| {
        let tile = &photos[((x / tw + across * (y / th)) as usize) % photos.len()];
        image::Luma([tile.get_pixel(x % tw, y % th).0[1]])
    })
}

/// The document an autosave of `changes` (written from scratch) brings back, as a reload does,
/// with the baseline the next autosave starts from.
pub(crate) fn restore_autosave(
    changes: &crate::doc::AutosaveChanges,
) -> (crate::doc::Document, crate::doc::AutosaveBaseline) {
    let mut restore = crate::doc::AutosaveRestore::new(&changes.state).unwrap();
    for key in &changes.keys {
        let p = changes.pieces.iter().find(|p| &p.key == key).unwrap();
        restore
            .add_piece(key, &changes.bytes[p.offset..p.offset + p.length])
            .unwrap();
    }
    restore.finish().unwrap()
}
