//! The lettering colour on real photographs with lettering our renderer set
//! on them in a known colour, on flat and plain photographed areas, and
//! under a fill that hid it in the composite.

use super::*;
use crate::doc::geometry::Rect;
use crate::doc::layer::LayerProperties;
use crate::doc::text::TextSource;
use crate::test_kit::{photo, shipped_fonts};
use crate::test_rng::Rng;
use crate::text::TextStyle;
use image::{Luma, Rgba};

/// The photograph `name` with `text` set on it at 64 px in `colour`, the
/// text box's top-left at (14, 30), and a rectangle around the lettering
/// selected (its inked box and a 6 px margin, as a user draws around it).
fn lettered(name: &str, text: &str, colour: [u8; 3]) -> Document {
    let mut doc = photo_document(photo(name));
    let mut style = TextStyle::new(64.0);
    style.color = [colour[0], colour[1], colour[2], 255];
    let id = doc
        .add_text_layer(TextSource::new(text, shipped_fonts(), style), (14, 30))
        .unwrap();
    let layer = doc.layer(id).unwrap();
    let (mut left, mut top, mut right, mut bottom) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in layer.pixels.enumerate_pixels() {
        if p.0[3] > 0 {
            (left, top) = (left.min(x), top.min(y));
            (right, bottom) = (right.max(x), bottom.max(y));
        }
    }
    let (ox, oy) = layer.props.offset;
    let margin = 6;
    let inked = Rect::new(
        ox + left as i32 - margin,
        oy + top as i32 - margin,
        right - left + 1 + 2 * margin as u32,
        bottom - top + 1 + 2 * margin as u32,
    );
    let canvas = Rect::new(0, 0, doc.width(), doc.height());
    select(&mut doc, inked.intersect(&canvas).unwrap());
    doc
}

fn photo_document(pixels: RgbaImage) -> Document {
    let (w, h) = pixels.dimensions();
    let mut doc = Document::new(w, h).unwrap();
    doc.add_layer(LayerProperties::named("Photo"), pixels, None, None)
        .unwrap();
    doc
}

fn select(doc: &mut Document, rect: Rect) {
    let mut mask = GrayImage::new(doc.width(), doc.height());
    for y in rect.y..rect.bottom() as i32 {
        for x in rect.x..rect.right() as i32 {
            mask.put_pixel(x as u32, y as u32, Luma([255]));
        }
    }
    doc.set_selection(Some(mask), "Select").unwrap();
}

fn delta_e(a: [u8; 3], b: [u8; 3]) -> f32 {
    dist(lab(a), lab(b))
}

#[test]
fn the_lettering_colour_is_found_on_photographs() {
    let cases = [
        ("brick", "SALE", [245, 215, 40]),
        ("coffee", "Café", [30, 90, 200]),
        ("grass", "OPEN", [250, 250, 250]),
        ("astronaut", "GO!", [200, 30, 40]),
    ];
    for (name, text, colour) in cases {
        let doc = lettered(name, text, colour);
        let picked = doc.lettering_colour().unwrap().unwrap_or_else(|| {
            panic!("{name}: no lettering found");
        });
        let error = delta_e(picked, colour);
        assert!(
            error <= 3.0,
            "{name}: picked {picked:?} for {colour:?}, ΔE*ab {error:.2}"
        );
    }
}

#[test]
fn a_flat_area_has_no_lettering() {
    let mut rng = Rng(18);
    let flat = RgbaImage::from_fn(192, 144, |_, _| {
        let n = (rng.next() % 7) as u8;
        Rgba([120 + n, 140 + n, 90 + n, 255])
    });
    let mut doc = photo_document(flat);
    select(&mut doc, Rect::new(20, 20, 120, 80));
    assert_eq!(doc.lettering_colour().unwrap(), None);
}

#[test]
fn without_a_selection_there_is_no_lettering() {
    let mut doc = lettered("brick", "SALE", [245, 215, 40]);
    doc.set_selection(None, "Deselect").unwrap();
    assert_eq!(doc.lettering_colour().unwrap(), None);
}

#[test]
fn lettering_filled_over_on_a_layer_above_is_found_below_it() {
    let colour = [245, 215, 40];
    let mut doc = lettered("brick", "SALE", colour);
    let text = doc.layers()[1].id;
    doc.rasterize_text_layer(text).unwrap();
    // An opaque patch over the lettering, as a fill on a new layer leaves it.
    let patch = RgbaImage::from_pixel(192, 144, Rgba([150, 80, 60, 255]));
    doc.add_layer(LayerProperties::named("Fill"), patch, None, None)
        .unwrap();
    let picked = doc
        .lettering_colour()
        .unwrap()
        .expect("found below the fill");
    assert!(delta_e(picked, colour) <= 3.0, "picked {picked:?}");
}
