//! Brand kit fonts and named text styles: checked when added, one undo step
//! per change, kept by OpenRaster and the autosave with their history, and
//! applied to text layers.

use super::*;
use crate::doc::layer::LayerProperties;
use crate::doc::{AutosaveBaseline, Document};
use crate::test_kit::{restore_autosave, shipped_font, shipped_fonts};
use image::RgbaImage;
use std::io::Read;

const NOTO: &str = "NotoSans-Regular.ttf";
const ARABIC: &str = "NotoSansArabic-Regular.ttf";

fn font_bytes(name: &str) -> Vec<u8> {
    shipped_font(name).bytes().to_vec()
}

fn document() -> Document {
    let mut doc = Document::new(320, 200).unwrap();
    doc.add_layer(
        LayerProperties::named("Background"),
        RgbaImage::from_pixel(320, 200, image::Rgba([240, 240, 240, 255])),
        None,
        None,
    )
    .unwrap();
    doc
}

fn headline(font: &str) -> NamedTextStyle {
    NamedTextStyle {
        name: "headline".into(),
        font: font.into(),
        size: 72.0,
        color: "#C81E28".into(),
        line_height: Some(1.1),
        tracking: Some(-20.0),
        align: Some(Align::Center),
    }
}

/// A document whose kit has Noto Sans and a headline style in its palette's red.
fn kit_document() -> (Document, String) {
    let mut doc = document();
    doc.set_brand_palette(&["#c81e28", "#202020"]).unwrap();
    let key = doc.add_brand_font(NOTO, font_bytes(NOTO), None).unwrap();
    doc.set_brand_text_style(headline(&key)).unwrap();
    (doc, key)
}

#[test]
fn a_kit_font_keeps_the_licence_from_its_name_table_or_the_one_given() {
    let font = brand_font(NOTO, font_bytes(NOTO), None).unwrap();
    assert!(
        font.licence.contains("SIL Open Font License"),
        "{}",
        font.licence
    );
    let own = brand_font(
        NOTO,
        font_bytes(NOTO),
        Some("  Licensed to Acme for all uses.\n"),
    )
    .unwrap();
    assert_eq!(own.licence, "Licensed to Acme for all uses.");
}

#[test]
fn a_font_is_stored_once_and_each_kit_change_is_one_undo_step() {
    let mut doc = document();
    let steps = doc.history().len();
    let key = doc.add_brand_font(NOTO, font_bytes(NOTO), None).unwrap();
    assert_eq!(key, shipped_font(NOTO).key());
    // The same file again (under another name) changes nothing.
    let again = doc
        .add_brand_font("copy.ttf", font_bytes(NOTO), None)
        .unwrap();
    assert_eq!((again, doc.history().len()), (key.clone(), steps + 1));
    assert_eq!(doc.brand_kit().fonts.len(), 1);

    doc.set_brand_palette(&["#c81e28"]).unwrap();
    doc.set_brand_text_style(headline(&key)).unwrap();
    assert_eq!(doc.history().len(), steps + 3);
    // Colours are kept in lower case; the same style again records nothing.
    assert_eq!(doc.brand_kit().text_styles[0].color, "#c81e28");
    doc.set_brand_text_style(headline(&key)).unwrap();
    assert_eq!(doc.history().len(), steps + 3);

    let mut body = headline(&key);
    body.name = "body".into();
    body.size = 18.0;
    doc.set_brand_text_style(body).unwrap();
    assert_eq!(doc.undo().as_deref(), Some("Brand text style"));
    assert_eq!(doc.brand_kit().text_styles.len(), 1);
    assert_eq!(doc.undo().as_deref(), Some("Brand text style"));
    assert!(doc.brand_kit().text_styles.is_empty());
    doc.undo();
    assert_eq!(doc.undo().as_deref(), Some("Add brand font"));
    assert!(doc.brand_kit().fonts.is_empty());
    doc.redo();
    assert_eq!(doc.brand_kit().fonts[0].font.key(), key);
}

#[test]
fn bad_fonts_and_styles_are_refused_with_a_message_and_change_nothing() {
    let (mut doc, key) = kit_document();
    let kit = doc.brand_kit().clone();
    let steps = doc.history().len();
    let noto = font_bytes(NOTO);
    let mut refused: Vec<String> = Vec::new();
    for (name, bytes) in [
        ("empty.ttf", Vec::new()),
        ("cut.ttf", noto[..2000].to_vec()),
        ("notes.ttf", b"not a font at all, only text".to_vec()),
        ("web.woff2", [b"wOF2".as_slice(), &noto[4..]].concat()),
    ] {
        let error = doc
            .add_brand_font(name, bytes, None)
            .unwrap_err()
            .to_string();
        assert!(error.contains(name), "{error}");
        refused.push(error);
    }
    assert!(refused[3].contains("WOFF"), "{}", refused[3]);

    let styles = [
        (
            NamedTextStyle {
                font: "0".repeat(64),
                ..headline(&key)
            },
            "not in the brand kit",
        ),
        (
            NamedTextStyle {
                color: "#00ff00".into(),
                ..headline(&key)
            },
            "not in the brand palette",
        ),
        (
            NamedTextStyle {
                color: "red".into(),
                ..headline(&key)
            },
            "'red'",
        ),
        (
            NamedTextStyle {
                size: 0.0,
                ..headline(&key)
            },
            "size",
        ),
        (
            NamedTextStyle {
                name: " ".into(),
                ..headline(&key)
            },
            "style name",
        ),
        (
            NamedTextStyle {
                line_height: Some(9.0),
                ..headline(&key)
            },
            "line height",
        ),
    ];
    for (style, expected) in styles {
        let error = doc.set_brand_text_style(style).unwrap_err().to_string();
        assert!(error.contains(expected), "{error} lacks {expected}");
    }
    let error = doc.remove_brand_font(&key).unwrap_err().to_string();
    assert!(error.contains("used by the style 'headline'"), "{error}");
    let error = doc
        .remove_brand_text_style("caption")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("'caption'") && error.contains("headline"),
        "{error}"
    );
    assert_eq!(doc.brand_kit(), &kit);
    assert_eq!(doc.history().len(), steps);
}

#[test]
fn a_style_sets_a_text_in_the_kit_font_with_the_old_fonts_as_fallbacks() {
    let (mut doc, key) = kit_document();
    let mut source = TextSource::new("Sale مرحبا", shipped_fonts(), TextStyle::new(30.0));
    source.style.width = Some(280.0);
    let styled = doc.brand_styled_source(source, "headline").unwrap();
    assert_eq!(styled.fonts[0].key(), key);
    // Noto Sans leads; the Arabic and Devanagari fallbacks follow, once each.
    assert_eq!(styled.fonts.len(), 3);
    assert_eq!(styled.fonts[1].key(), shipped_font(ARABIC).key());
    let style = styled.style;
    assert_eq!((style.size, style.color), (72.0, [200, 30, 40, 255]));
    assert_eq!((style.line_height, style.tracking), (1.1, -20.0));
    assert_eq!((style.align, style.width), (Align::Center, Some(280.0)));
    let id = doc.add_text_layer(styled, (10, 20)).unwrap();
    assert!(doc.layer(id).unwrap().text.is_some());

    let plain = TextSource::new("x", shipped_fonts(), TextStyle::new(30.0));
    let error = doc
        .brand_styled_source(plain, "Headline")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("'Headline' is not a style of the brand kit (it has headline)"),
        "{error}"
    );
}

#[test]
fn openraster_keeps_the_kit_fonts_once_with_their_licences_and_styles() {
    let (mut doc, key) = kit_document();
    // A text layer in the same font: the file is stored once for both.
    let source = TextSource::new("Hello", shipped_fonts(), TextStyle::new(30.0));
    let source = doc.brand_styled_source(source, "headline").unwrap();
    doc.add_text_layer(source, (5, 5)).unwrap();
    let own = doc
        .add_brand_font(ARABIC, font_bytes(ARABIC), Some("Our own licence text."))
        .unwrap();
    let bytes = doc.to_ora().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let fonts: Vec<String> = zip
        .file_names()
        .filter(|n| n.starts_with("retouch/fonts/"))
        .map(str::to_owned)
        .collect();
    // Noto Sans, its two fallbacks (one of them also the kit's): three files.
    assert_eq!(fonts.len(), 3, "{fonts:?}");
    assert!(fonts.contains(&format!("retouch/fonts/{key}")));
    let mut kit_json = String::new();
    zip.by_name("retouch/brand/kit.json")
        .unwrap()
        .read_to_string(&mut kit_json)
        .unwrap();
    assert!(kit_json.contains("Our own licence text."), "{kit_json}");

    let back = Document::from_ora(&bytes).unwrap();
    assert_eq!(back.brand_kit(), doc.brand_kit());
    assert_eq!(back.brand_kit().fonts[1].font.key(), own);
    assert_eq!(back.brand_kit().fonts[1].licence, "Our own licence text.");
}

#[test]
fn a_project_naming_a_kit_font_it_lacks_is_refused() {
    let (doc, key) = kit_document();
    let bytes = doc.to_ora().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let entry = zip.by_index(i).unwrap();
        if entry.name() != format!("retouch/fonts/{key}") {
            out.raw_copy_file(entry).unwrap();
        }
    }
    let damaged = out.finish().unwrap().into_inner();
    let error = Document::from_ora(&damaged).unwrap_err().to_string();
    assert!(error.contains(&format!("retouch/fonts/{key}")), "{error}");
}

#[test]
fn the_autosave_keeps_the_kit_fonts_styles_and_their_history() {
    let (doc, key) = kit_document();
    let mut baseline = AutosaveBaseline::default();
    let changes = doc.autosave_changes(&mut baseline).unwrap();
    assert!(changes.keys.contains(&format!("font/{key}")));
    let (mut back, _) = restore_autosave(&changes);
    assert_eq!(back.brand_kit(), doc.brand_kit());
    // The steps came back: undo takes the style, then the font away.
    assert_eq!(back.undo().as_deref(), Some("Brand text style"));
    assert!(back.brand_kit().text_styles.is_empty());
    assert_eq!(back.undo().as_deref(), Some("Add brand font"));
    assert!(back.brand_kit().fonts.is_empty());
    back.redo();
    back.redo();
    assert_eq!(back.brand_kit(), doc.brand_kit());
}
