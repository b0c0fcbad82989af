//! Text layers in the document: rendered from their source, re-rendered
//! (never resampled) on edit and transform, one step each, kept by
//! OpenRaster and the autosave, refused by pixel tools.

use super::*;
use crate::doc::AutosaveBaseline;
use crate::engine::Engine;
use crate::ops::transform::Resampler;
use crate::test_kit::{restore_autosave, shipped_fonts};
use crate::text::{Align, Shadow, Stroke};
use image::RgbaImage;
use std::io::{Read, Write};

fn headline(text: &str) -> TextSource {
    let mut style = TextStyle::new(48.0);
    style.color = [200, 30, 40, 255];
    TextSource::new(text, shipped_fonts(), style)
}

/// What `retouch render-text` writes for the same source: the image and
/// where its top-left lies relative to the text box.
fn rendered(source: &TextSource) -> (RgbaImage, (i32, i32)) {
    let r = source.render().unwrap();
    (r.image, r.origin)
}

fn canvas_with_text(source: TextSource, at: (i32, i32)) -> (Document, LayerId) {
    let mut doc = Document::new(640, 360).unwrap();
    doc.add_layer(
        LayerProperties::named("Background"),
        RgbaImage::from_pixel(640, 360, image::Rgba([240, 240, 240, 255])),
        None,
        None,
    )
    .unwrap();
    let id = doc.add_text_layer(source, at).unwrap();
    (doc, id)
}

#[test]
fn a_text_layer_holds_its_source_and_the_pixels_rendered_from_it() {
    let source = headline("Summer Sale — 50% off");
    let (doc, id) = canvas_with_text(source.clone(), (40, 60));
    let layer = doc.layer(id).unwrap();
    let (image, origin) = rendered(&source);
    assert_eq!(layer.pixels, image);
    assert_eq!(layer.props.offset, (40 + origin.0, 60 + origin.1));
    assert_eq!(layer.props.name, "Summer Sale — 50% off");
    assert_eq!(layer.text.as_ref().unwrap().source, source);
    assert_eq!(doc.text_position(id).unwrap(), (40, 60));
    assert_eq!(doc.history().items().last().unwrap().name, "Add Text");
}

#[test]
fn editing_renders_again_in_one_step_and_undo_brings_the_old_source_back() {
    let (mut doc, id) = canvas_with_text(headline("Draft"), (30, 40));
    let before = doc.layer(id).unwrap().clone();
    let steps = doc.history().len();
    let mut edited = headline("Final headline");
    edited.style.color = [10, 90, 200, 255];
    edited.style.align = Align::Center;
    edited.style.width = Some(300.0);
    doc.edit_text_layer(id, edited.clone()).unwrap();
    assert_eq!(doc.history().len(), steps + 1);
    assert_eq!(doc.history().items().last().unwrap().name, "Edit Text");
    let layer = doc.layer(id).unwrap();
    let (image, origin) = rendered(&edited);
    assert_eq!(layer.pixels, image);
    assert_eq!(layer.props.offset, (30 + origin.0, 40 + origin.1));
    assert_eq!(doc.text_position(id).unwrap(), (30, 40));
    // The same source again records nothing.
    doc.edit_text_layer(id, edited).unwrap();
    assert_eq!(doc.history().len(), steps + 1);
    doc.undo();
    assert_eq!(doc.layer(id).unwrap(), &before);
    doc.redo();
    assert_eq!(doc.layer(id).unwrap().pixels, image);
}

#[test]
fn scaling_renders_at_the_larger_size_instead_of_resampling() {
    let source = headline("Sharp");
    let (mut doc, id) = canvas_with_text(source.clone(), (20, 30));
    let scaled = TextSource {
        scale: 2.5,
        ..source.clone()
    };
    doc.edit_text_layer(id, scaled).unwrap();
    assert_eq!(doc.history().items().last().unwrap().name, "Transform Text");
    let mut bigger = source.clone();
    bigger.style.size = 120.0;
    let (image, origin) = rendered(&bigger);
    let layer = doc.layer(id).unwrap();
    assert_eq!(layer.pixels, image, "scale 2.5 is the 120 px rendering");
    assert_eq!(layer.props.offset, (20 + origin.0, 30 + origin.1));
    // Free Transform of a text layer goes the same way: about the text
    // box's corner, 2.5 × then moved, it is the 120 px text where the
    // corner lands.
    let (mut doc, id) = canvas_with_text(source, (20, 30));
    let anchor = doc.layer(id).unwrap().text.as_ref().unwrap().anchor;
    let corner = (f64::from(anchor.0), f64::from(anchor.1));
    let map = Affine::translate(50.0, 70.0)
        .after(&Affine::scale(2.5, 2.5))
        .after(&Affine::translate(-corner.0, -corner.1));
    let engine = Engine::cpu();
    pollster::block_on(doc.transform_layer(&engine, id, &map, Resampler::Bicubic)).unwrap();
    assert_eq!(doc.history().items().last().unwrap().name, "Free Transform");
    let layer = doc.layer(id).unwrap();
    assert_eq!(layer.pixels, image);
    assert_eq!(doc.text_position(id).unwrap(), (50, 70));
    // A skew cannot be set as type: refused, nothing changed.
    let skew = Affine::new(1.0, 0.0, 0.4, 1.0, 0.0, 0.0);
    let steps = doc.history().len();
    let err = pollster::block_on(doc.transform_layer(&engine, id, &skew, Resampler::Bicubic))
        .unwrap_err();
    assert!(err.to_string().contains("rasterize it to skew"), "{err}");
    assert_eq!(doc.history().len(), steps);
}

#[test]
fn rotation_turns_the_outlines_and_zero_degrees_is_the_upright_rendering() {
    let source = headline("Tilt");
    let upright = rendered(&source);
    let turned = TextSource {
        rotation: 90.0,
        ..source.clone()
    };
    let (image, _) = rendered(&turned);
    // A quarter turn: the box stands up, and the ink is the same amount
    // (coverage is exact area, so it turns with the outline).
    let near = |a: u32, b: u32| a.abs_diff(b) <= 2;
    assert!(
        near(image.width(), upright.0.height()) && near(image.height(), upright.0.width()),
        "{:?} turned from {:?}",
        image.dimensions(),
        upright.0.dimensions()
    );
    let ink = |img: &RgbaImage| img.pixels().map(|p| u64::from(p[3])).sum::<u64>() as f64;
    let (a, b) = (ink(&upright.0), ink(&image));
    assert!((a - b).abs() / a < 0.01, "ink {a} upright, {b} turned");
    let zero = TextSource {
        rotation: 0.0,
        ..source.clone()
    };
    assert_eq!(rendered(&zero), upright);
    // The turn goes through the document like any edit.
    let (mut doc, id) = canvas_with_text(source, (100, 100));
    doc.edit_text_layer(id, turned).unwrap();
    assert_eq!(doc.layer(id).unwrap().pixels, image);
    assert_eq!(doc.text_position(id).unwrap(), (100, 100));
}

#[test]
fn moving_the_layer_moves_the_text_and_a_later_edit_stays_there() {
    let (mut doc, id) = canvas_with_text(headline("Move me"), (10, 20));
    let mut props = doc.layer(id).unwrap().props.clone();
    props.offset.0 += 35;
    props.offset.1 -= 5;
    doc.set_layer_properties(id, props).unwrap();
    assert_eq!(doc.text_position(id).unwrap(), (45, 15));
    doc.edit_text_layer(id, headline("Moved and edited"))
        .unwrap();
    assert_eq!(doc.text_position(id).unwrap(), (45, 15));
}

#[test]
fn pixel_tools_refuse_a_text_layer_until_it_is_rasterized() {
    let (mut doc, id) = canvas_with_text(headline("Type"), (10, 10));
    let patch = RgbaImage::from_pixel(4, 4, image::Rgba([0, 255, 0, 255]));
    let err = doc.paint_pixels(id, (12, 12), &patch, "Brush").unwrap_err();
    assert!(err.to_string().contains("is a text layer"), "{err}");
    doc.rasterize_text_layer(id).unwrap();
    assert!(doc.layer(id).unwrap().text.is_none());
    doc.paint_pixels(id, (12, 12), &patch, "Brush").unwrap();
    doc.undo();
    doc.undo();
    assert!(doc.layer(id).unwrap().text.is_some());
    // A mask may still be painted: it does not change the rendered pixels.
    let (w, h) = doc.layer(id).unwrap().pixels.dimensions();
    doc.add_layer_mask(id, Some(GrayImage::from_pixel(w, h, image::Luma([255]))))
        .unwrap();
    let offset = doc.layer(id).unwrap().props.offset;
    let hole = GrayImage::from_pixel(3, 3, image::Luma([0]));
    doc.paint_mask(id, offset, &hole, "Mask").unwrap();
    // An edit keeps the mask where it lies on the canvas.
    doc.edit_text_layer(id, headline("Type, longer")).unwrap();
    let layer = doc.layer(id).unwrap();
    let mask = layer.mask.as_ref().unwrap();
    assert_eq!(mask.dimensions(), layer.pixels.dimensions());
    let (dx, dy) = (
        offset.0 - layer.props.offset.0,
        offset.1 - layer.props.offset.1,
    );
    assert_eq!(mask.get_pixel(dx as u32, dy as u32)[0], 0);
    assert_eq!(mask.get_pixel(w - 1, h - 1)[0], 255);
}

#[test]
fn bad_text_is_refused_with_a_message_and_changes_nothing() {
    let (mut doc, id) = canvas_with_text(headline("Keep"), (0, 0));
    let steps = doc.history().len();
    let cases = [
        (headline("   "), "text: is empty"),
        (headline(&"x".repeat(100_000)), "at most 20000"),
        (
            {
                let mut s = headline("Big");
                s.style.size = 2000.0;
                s
            },
            "size: 2000 is outside",
        ),
        (
            TextSource {
                scale: 0.0,
                ..headline("Tiny")
            },
            "scale: 0 is outside",
        ),
        (
            TextSource {
                fonts: Vec::new(),
                ..headline("No font")
            },
            "names 1 to 16 fonts",
        ),
        (
            // 20 000 characters at 1000 px: far past the image limits.
            {
                let mut s = headline(&"W".repeat(20_000));
                s.style.size = 1000.0;
                s
            },
            "the text would render",
        ),
    ];
    for (source, message) in cases {
        let err = doc.edit_text_layer(id, source.clone()).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        let err = doc.add_text_layer(source, (0, 0)).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }
    assert_eq!(doc.history().len(), steps);
    // A character no font has is drawn as the missing-glyph box, not refused.
    doc.edit_text_layer(id, headline("Ship \u{10FFFD} it"))
        .unwrap();
    assert!(doc.layer(id).unwrap().pixels.pixels().any(|p| p[3] > 0));
}

/// A project saved and read back.
fn round_trip(doc: &mut Document) -> Document {
    Document::from_ora(&doc.to_ora().unwrap()).unwrap()
}

#[test]
fn openraster_keeps_the_source_and_the_pixels_and_stores_each_font_once() {
    let mut styled = headline("مرحبا Hello नमस्ते");
    styled.style.stroke = Some(Stroke {
        width: 2.0,
        color: [255, 255, 255, 255],
    });
    styled.style.shadow = Some(Shadow {
        dx: 3.0,
        dy: 4.0,
        blur: 5.0,
        color: [0, 0, 0, 128],
    });
    styled.rotation = -12.5;
    styled.scale = 1.5;
    let (mut doc, id) = canvas_with_text(styled.clone(), (60, 90));
    let second = doc.add_text_layer(headline("Second"), (5, 300)).unwrap();
    let bytes = doc.to_ora().unwrap();
    let names: Vec<String> = zip::ZipArchive::new(std::io::Cursor::new(&bytes))
        .unwrap()
        .file_names()
        .map(str::to_owned)
        .collect();
    let fonts = names
        .iter()
        .filter(|n| n.starts_with("retouch/fonts/"))
        .count();
    assert_eq!(fonts, 3, "{names:?}");
    let back = Document::from_ora(&bytes).unwrap();
    for layer_id in [id, second] {
        let (a, b) = (
            doc.layer(layer_id).unwrap(),
            &back.layers()[doc.index_of(layer_id).unwrap()],
        );
        assert_eq!(a.pixels, b.pixels);
        assert_eq!(a.props, b.props);
        assert_eq!(a.text, b.text);
    }
    // Reopened, it is editable: an edit renders from the stored source.
    let mut back = back;
    let reopened = back.layers()[doc.index_of(id).unwrap()].id;
    assert_eq!(back.text_position(reopened).unwrap(), (60, 90));
    back.edit_text_layer(
        reopened,
        TextSource {
            scale: 1.0,
            ..styled.clone()
        },
    )
    .unwrap();
    let (image, _) = rendered(&TextSource {
        scale: 1.0,
        ..styled
    });
    assert_eq!(back.layer(reopened).unwrap().pixels, image);
    // A project without text layers stays as it was: no fonts.
    let mut plain = Document::new(8, 8).unwrap();
    plain.new_layer("Layer").unwrap();
    let round = round_trip(&mut plain);
    assert!(round.layers()[0].text.is_none());
}

/// `bytes` (an .ora) with entry `name` replaced by `content` (or left out).
fn with_entry(bytes: &[u8], name: &str, content: Option<&[u8]>) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let entry_name = entry.name().to_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        let data = if entry_name == name {
            match content {
                Some(c) => c.to_vec(),
                None => continue,
            }
        } else {
            data
        };
        out.start_file(entry_name, options).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_malformed_stored_source_is_refused_naming_it() {
    let (doc, _) = canvas_with_text(headline("Stored"), (0, 0));
    let bytes = doc.to_ora().unwrap();
    let src = "retouch/text-0001.json";
    let key = shipped_fonts()[0].key().to_owned();
    let font = format!("retouch/fonts/{key}");
    let damaged_font = {
        let mut f = shipped_fonts()[0].bytes().to_vec();
        let last = f.len() - 1;
        f[last] ^= 1;
        f
    };
    let cases: [(Vec<u8>, &str); 6] = [
        (
            with_entry(&bytes, src, Some(b"{not json")),
            "text-0001.json' is not valid",
        ),
        (
            with_entry(&bytes, src, Some(br#"{"text":"x"}"#)),
            "missing field",
        ),
        (
            with_entry(
                &bytes,
                src,
                Some(
                    headline("")
                        .to_layer_json_for_tests()
                        .replace(r#""text":"""#, r#""text":"  ""#)
                        .as_bytes(),
                ),
            ),
            "text: is empty",
        ),
        (
            with_entry(
                &bytes,
                src,
                Some(
                    headline("Big")
                        .to_layer_json_for_tests()
                        .replace(r#""size":48.0"#, r#""size":2000.0"#)
                        .as_bytes(),
                ),
            ),
            "size: 2000 is outside",
        ),
        (
            with_entry(&bytes, &font, None),
            "cannot open 'retouch/fonts/",
        ),
        (
            with_entry(&bytes, &font, Some(&damaged_font)),
            "is damaged: its SHA-256 is not",
        ),
    ];
    for (file, message) in cases {
        let err = Document::from_ora(&file).unwrap_err();
        assert!(err.to_string().contains(message), "{message}: {err}");
    }
}

impl TextSource {
    /// The JSON a layer at the text box's corner stores (for tests that damage it).
    fn to_layer_json_for_tests(&self) -> String {
        TextLayer {
            source: self.clone(),
            anchor: (0, 0),
        }
        .to_json()
    }
}

#[test]
fn the_autosave_keeps_text_layers_and_their_history() {
    let (mut doc, id) = canvas_with_text(headline("Autosaved"), (15, 25));
    doc.edit_text_layer(id, headline("Autosaved, edited"))
        .unwrap();
    let mut baseline = AutosaveBaseline::default();
    let changes = doc.autosave_changes(&mut baseline).unwrap();
    baseline.mark_stored();
    let font_pieces = changes
        .keys
        .iter()
        .filter(|k| k.starts_with("font/"))
        .count();
    assert_eq!(font_pieces, 3);
    let (mut back, mut restored_baseline) = restore_autosave(&changes);
    assert_eq!(back.layer(id).unwrap(), doc.layer(id).unwrap());
    // The edit's step came back with the old source in it.
    assert_eq!(back.undo().as_deref(), Some("Edit Text"));
    assert_eq!(
        back.layer(id).unwrap().text.as_ref().unwrap().source.text,
        "Autosaved"
    );
    back.redo();
    // Fonts are stored once: the next save sends none of them again.
    let next = back.autosave_changes(&mut restored_baseline).unwrap();
    assert!(
        next.pieces.iter().all(|p| !p.key.starts_with("font/")),
        "{:?}",
        next.pieces.iter().map(|p| &p.key).collect::<Vec<_>>()
    );
}

#[test]
fn image_size_renders_an_evenly_scaled_text_again_and_rasterizes_a_stretched_one() {
    let source = headline("Resized");
    let (mut doc, id) = canvas_with_text(source.clone(), (20, 30));
    let engine = Engine::cpu();
    let double = crate::ops::resample::ResizeOptions::new(1280, 720);
    pollster::block_on(doc.resize_image(&engine, &double)).unwrap();
    let mut bigger = source.clone();
    bigger.style.size = 96.0;
    let layer = doc.layer(id).unwrap();
    assert_eq!(
        layer.pixels,
        rendered(&bigger).0,
        "rendered at 96 px, not resampled"
    );
    assert_eq!(layer.text.as_ref().unwrap().source.scale, 2.0);
    assert_eq!(doc.text_position(id).unwrap(), (40, 60));
    doc.undo();
    assert_eq!(doc.layer(id).unwrap().text.as_ref().unwrap().source, source);
    let stretch = crate::ops::resample::ResizeOptions::new(1280, 360);
    pollster::block_on(doc.resize_image(&engine, &stretch)).unwrap();
    assert!(
        doc.layer(id).unwrap().text.is_none(),
        "stretched type is pixels"
    );
}

/// A wrapped paragraph typed into one edit at a time, as the page's
/// on-canvas editing does: the steps the edits make.
fn typed(doc: &mut Document, id: LayerId, mut source: TextSource, texts: &[&str]) {
    for text in texts {
        let before = doc.layer(id).unwrap().clone();
        source.text = (*text).to_owned();
        doc.edit_text_layer(id, source.clone()).unwrap();
        let layer = doc.layer(id).unwrap().clone();
        let (image, origin) = rendered(&source);
        assert_eq!(
            layer.pixels, image,
            "typing '{text}' gives a whole render's pixels"
        );
        let at = doc.text_position(id).unwrap();
        assert_eq!(layer.props.offset, (at.0 + origin.0, at.1 + origin.1));
        assert_eq!(layer.text.as_ref().unwrap().source, source);
        let step = doc.history().items().last().unwrap().bytes;
        assert!(
            step < layer.pixel_bytes() / 2,
            "typing '{text}' keeps tiles, not the layer ({step} bytes)"
        );
        doc.undo();
        assert_eq!(doc.layer(id).unwrap(), &before, "undo of '{text}'");
        doc.redo();
        assert_eq!(doc.layer(id).unwrap(), &layer, "redo of '{text}'");
    }
}

#[test]
fn typing_in_a_wrapped_box_redraws_only_the_changed_glyphs_bit_for_bit() {
    let mut source = headline("The quick brown fox jumps over the lazy dog");
    source.style.width = Some(400.0);
    source.style.size = 40.0;
    let (mut doc, id) = canvas_with_text(source.clone(), (20, 30));
    let layer_bytes = doc.layer(id).unwrap().pixel_bytes();
    typed(
        &mut doc,
        id,
        source.clone(),
        &[
            "The quick brown fox jumps over the lazy dogs",
            "The quick brown fox jumps over the lazy dogs.",
            "The quick red fox jumps over the lazy dogs.",
            "The quick red fox jumps over the lazy dogs",
            "The quick red fox jumps over the lazy dogs ",
            "Thé quick red fox jumps over the lazy dogs ",
        ],
    );
    // The steps hold the changed glyphs' tiles and the source, not the layer.
    let items = doc.history().items();
    let typing = &items[items.len() - 6..];
    assert!(typing.iter().all(|i| i.name == "Edit Text"));
    assert!(
        typing.iter().all(|i| i.bytes < layer_bytes / 4),
        "{:?} against a {layer_bytes}-byte layer",
        typing.iter().map(|i| i.bytes).collect::<Vec<_>>()
    );
    // A trailing space draws nothing: its step has no pixels at all.
    assert!(typing[4].bytes < 1024, "{}", typing[4].bytes);
}

#[test]
fn typing_gives_a_whole_renders_pixels_in_every_script_turned_and_masked() {
    let mut latin = headline("office fjord AVATAR Wavy");
    latin.style.width = Some(360.0);
    latin.style.align = Align::Center;
    latin.rotation = 15.0;
    let (mut doc, id) = canvas_with_text(latin.clone(), (60, 80));
    let (w, h) = doc.layer(id).unwrap().pixels.dimensions();
    let mask = GrayImage::from_fn(w, h, |x, _| image::Luma([if x < w / 2 { 255 } else { 60 }]));
    doc.add_layer_mask(id, Some(mask)).unwrap();
    typed(
        &mut doc,
        id,
        latin,
        &["office fjord AVATAR Wavy!", "office fjords AVATAR Wavy!"],
    );
    typed_in_a_box(
        "مرحبا بالعالم الجميل",
        Align::Right,
        &["مرحبا بالعالم الجميلة", "مرحبا يا عالم الجميلة"],
    );
    typed_in_a_box("नमस्ते दुनिया", Align::Left, &["नमस्ते दुनियाँ", "नमस्कार दुनियाँ"]);
}

/// [`typed`] into a new text layer of `first` wrapped to a 420 px box.
fn typed_in_a_box(first: &str, align: Align, texts: &[&str]) {
    let mut source = headline(first);
    source.style.width = Some(420.0);
    source.style.align = align;
    let (mut doc, id) = canvas_with_text(source.clone(), (40, 40));
    typed(&mut doc, id, source, texts);
}

#[test]
fn a_typed_steps_source_and_tiles_survive_the_autosave() {
    let mut source = headline("Autosaved paragraph");
    source.style.width = Some(500.0);
    let (mut doc, id) = canvas_with_text(source.clone(), (15, 25));
    source.text = "Autosaved paragraphs".into();
    doc.edit_text_layer(id, source).unwrap();
    let mut baseline = AutosaveBaseline::default();
    let changes = doc.autosave_changes(&mut baseline).unwrap();
    let (mut back, _) = restore_autosave(&changes);
    assert_eq!(back.layer(id).unwrap(), doc.layer(id).unwrap());
    assert_eq!(back.undo().as_deref(), Some("Edit Text"));
    doc.undo();
    assert_eq!(back.layer(id).unwrap(), doc.layer(id).unwrap());
    assert_eq!(
        back.layer(id).unwrap().text.as_ref().unwrap().source.text,
        "Autosaved paragraph"
    );
}

#[test]
fn typing_in_one_go_is_one_step_and_keeps_one_copy_of_a_growing_layer() {
    // No box: every character widens the text, so each edit replaces the layer.
    let (mut doc, id) = canvas_with_text(headline("H"), (20, 40));
    let before = doc.layer(id).unwrap().clone();
    let steps = doc.history().len();
    let mut typed = String::from("H");
    for (i, c) in "eadline set on the canvas".chars().enumerate() {
        typed.push(c);
        doc.type_text(id, typed.clone(), i > 0).unwrap();
    }
    assert_eq!(doc.history().len(), steps + 1, "one step for the typing");
    let entry = doc.history().items().last().unwrap().clone();
    assert_eq!(entry.name, "Edit Text");
    assert!(
        entry.bytes < before.pixel_bytes() + 4096,
        "one copy of the first layer: {} bytes against {}",
        entry.bytes,
        before.pixel_bytes()
    );
    let after = doc.layer(id).unwrap().clone();
    assert_eq!(after.pixels, rendered(&headline(&typed)).0);
    doc.undo();
    assert_eq!(doc.layer(id).unwrap(), &before);
    doc.redo();
    assert_eq!(doc.layer(id).unwrap(), &after);
    // A new session (continues: false) is a step of its own, and so is
    // typing after something else happened, even when it says it continues.
    doc.type_text(id, format!("{typed}!"), false).unwrap();
    assert_eq!(doc.history().len(), steps + 2);
    let mut props = doc.layer(id).unwrap().props.clone();
    props.offset.0 += 1;
    doc.set_layer_properties(id, props).unwrap();
    doc.type_text(id, format!("{typed}!?"), true).unwrap();
    assert_eq!(doc.history().len(), steps + 4);
}

#[test]
fn typing_into_a_wrapped_box_in_one_go_keeps_tiles_and_undoes_in_one_step() {
    let mut source = headline("Typed");
    source.style.width = Some(900.0);
    let (mut doc, id) = canvas_with_text(source.clone(), (20, 40));
    let before = doc.layer(id).unwrap().clone();
    let mut typed = String::from("Typed");
    for (i, c) in " into a box, then fixed".chars().enumerate() {
        typed.push(c);
        doc.type_text(id, typed.clone(), i > 0).unwrap();
    }
    typed.replace_range(0..5, "Set");
    doc.type_text(id, typed.clone(), true).unwrap();
    let entry = doc.history().items().last().unwrap().clone();
    // The typed glyphs' tiles: less than one copy of the layer for 24 edits.
    assert!(entry.bytes < before.pixel_bytes(), "{} bytes", entry.bytes);
    source.text = typed;
    assert_eq!(doc.layer(id).unwrap().pixels, rendered(&source).0);
    assert_eq!(doc.undo().as_deref(), Some("Edit Text"));
    assert_eq!(doc.layer(id).unwrap(), &before);
}

#[test]
fn carets_of_a_text_layer_sit_on_the_canvas_where_its_text_box_is() {
    let mut source = headline("Two\nlines");
    source.rotation = 30.0;
    let (doc, id) = canvas_with_text(source.clone(), (50, 70));
    let carets = doc.text_carets(id).unwrap();
    assert_eq!(carets.position, (50, 70));
    assert_eq!(carets.rotation, 30.0);
    assert_eq!(carets.lines.len(), 2);
    assert_eq!(carets.lines[1].stops.first().unwrap().0, 4);
    assert_eq!(carets.lines[1].stops.last().unwrap().0, 9);
    let laid = text::layout(&source.text, &source.fonts, &source.scaled_style()).unwrap();
    assert_eq!(carets.lines, laid.lines);
}

#[test]
fn a_layer_named_after_its_text_follows_the_typing_and_a_renamed_one_does_not() {
    let mut source = headline("Draft");
    source.style.width = Some(600.0);
    let (mut doc, id) = canvas_with_text(source, (20, 40));
    doc.type_text(id, "Draft two".into(), false).unwrap();
    assert_eq!(doc.layer(id).unwrap().props.name, "Draft two");
    doc.undo();
    assert_eq!(doc.layer(id).unwrap().props.name, "Draft");
    // Without a box the text grows: the layer is rendered whole, and renamed too.
    let (mut doc, id) = canvas_with_text(headline("Grow"), (20, 40));
    doc.type_text(id, "Growing".into(), false).unwrap();
    assert_eq!(doc.layer(id).unwrap().props.name, "Growing");
    doc.rename_layer(id, "Logo line").unwrap();
    doc.type_text(id, "Growing on".into(), false).unwrap();
    assert_eq!(doc.layer(id).unwrap().props.name, "Logo line");
}
