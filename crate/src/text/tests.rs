//! Layout and rendering behaviour on the shipped fonts (fonts/install.sh puts
//! them in fonts/shipped/; the cross-checks against HarfBuzz and FreeType are
//! tests/text.test.mjs).

use super::glyph_cache;
use super::*;
use crate::test_kit::{shipped_font as shipped, shipped_fonts as fonts};
use crate::Error;

fn set(text: &str, style: &TextStyle) -> TextLayout {
    layout(text, &fonts(), style).expect("the text sets")
}

#[test]
fn malformed_font_files_are_refused_naming_the_font() {
    let good = shipped("NotoSans-Regular.ttf").bytes().to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.ttf", Vec::new(), "not a readable"),
        (
            "noise.ttf",
            (0..4000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
                .collect(),
            "not a readable",
        ),
        ("cut.ttf", good[..1000].to_vec(), "'cut.ttf'"),
        (
            "web.woff2",
            [b"wOF2".as_slice(), &good[4..]].concat(),
            "WOFF",
        ),
        (
            "set.ttc",
            [b"ttcf".as_slice(), &good[4..]].concat(),
            "collection",
        ),
    ];
    for (name, bytes, words) in cases {
        let error = Font::from_bytes(name, bytes).expect_err(name);
        assert!(
            matches!(error, Error::InvalidParameter { .. }),
            "{name}: {error}"
        );
        let message = error.to_string();
        assert!(
            message.contains(name) && message.contains(words),
            "{name}: {message}"
        );
    }
}

#[test]
fn kerning_pulls_a_and_v_together() {
    let style = TextStyle::new(100.0);
    let pair = set("AV", &style);
    let alone = set("A", &style);
    let kerned = pair.glyphs[1].x;
    assert!(
        kerned < alone.width - 2.0,
        "V starts at {kerned}, A alone is {} wide",
        alone.width
    );
}

#[test]
fn ligatures_and_combining_marks_are_shaped() {
    let style = TextStyle::new(64.0);
    // "ffi" becomes fewer glyphs than letters where the font has the ligature.
    let office = set("office", &style);
    assert!(
        office.glyphs.len() < 6,
        "{} glyphs for 6 letters",
        office.glyphs.len()
    );
    // e + combining acute: the accent sits over the e, not after it.
    let accented = set("e\u{301}x", &style);
    let plain = set("ex", &style);
    let x_after = accented.glyphs.last().unwrap().x;
    assert!(
        (x_after - plain.glyphs[1].x).abs() < 0.01,
        "the mark takes no advance"
    );
    if accented.glyphs.len() == 3 {
        let (e, mark) = (accented.glyphs[0], accented.glyphs[1]);
        assert!(
            mark.x >= e.x && mark.x < x_after,
            "the mark is over its base"
        );
    }
}

#[test]
fn arabic_runs_right_to_left_in_its_fallback_font() {
    let style = TextStyle::new(48.0);
    let laid = set("abc سلام", &style);
    let arabic: Vec<_> = laid.glyphs.iter().filter(|g| g.font == 1).collect();
    assert!(!arabic.is_empty(), "Arabic falls back to Noto Sans Arabic");
    // Visual order: the leftmost Arabic glyph is the last character.
    assert!(arabic
        .windows(2)
        .all(|w| w[0].x <= w[1].x && w[0].cluster >= w[1].cluster));
    let latin_end = laid
        .glyphs
        .iter()
        .filter(|g| g.font == 0)
        .map(|g| g.x)
        .fold(0.0, f32::max);
    assert!(arabic[0].x > latin_end, "the Latin comes first on the left");
}

#[test]
fn lines_break_to_the_box_and_align_in_it() {
    let text = "The quick brown fox jumps over the lazy dog again and again";
    let mut style = TextStyle::new(40.0);
    style.width = Some(300.0);
    let left = set(text, &style);
    assert!(left.lines.len() >= 4, "{} lines", left.lines.len());
    assert_eq!(left.width, 300.0);
    let right_edges = |l: &TextLayout| {
        let fonts = fonts();
        let face = fonts[0].face();
        let scale = fonts[0].scale(40.0);
        let mut edges = std::collections::BTreeMap::new();
        for g in &l.glyphs {
            let advance = f32::from(
                face.glyph_hor_advance(ttf_parser::GlyphId(g.id))
                    .unwrap_or(0),
            ) * scale;
            let e = edges.entry((g.y * 10.0) as i64).or_insert(0.0f32);
            *e = e.max(g.x + advance);
        }
        edges.into_values().collect::<Vec<f32>>()
    };
    for edge in right_edges(&left) {
        assert!(edge <= 300.0 + 0.01, "a line ends at {edge}");
    }
    style.align = Align::Right;
    let right = set(text, &style);
    for edge in right_edges(&right) {
        assert!(
            (edge - 300.0).abs() < 0.5,
            "right-aligned line ends at {edge}"
        );
    }
    style.align = Align::Center;
    let center = set(text, &style);
    for (l, c) in left.glyphs.iter().zip(&center.glyphs) {
        assert!(c.x >= l.x, "centring moves lines right");
    }
    // A word wider than the box is broken inside it rather than overflowing.
    style.align = Align::Left;
    style.width = Some(100.0);
    let long = set("Supercalifragilistic", &style);
    assert!(long.lines.len() >= 3);
    for edge in right_edges(&long) {
        assert!(edge <= 100.01, "{edge}");
    }
}

#[test]
fn line_height_and_tracking_space_the_text() {
    let mut style = TextStyle::new(50.0);
    let two = set("A\nB", &style);
    assert_eq!(two.lines.len(), 2);
    assert!((two.glyphs[1].y - two.glyphs[0].y - 60.0).abs() < 1e-3);
    style.line_height = 2.0;
    let spaced = set("A\nB", &style);
    assert!((spaced.glyphs[1].y - spaced.glyphs[0].y - 100.0).abs() < 1e-3);
    style.tracking = 100.0; // a tenth of an em: 5 px per character
    let tracked = set("HHH", &style);
    let plain = set("HHH", &TextStyle::new(50.0));
    assert!((tracked.glyphs[2].x - plain.glyphs[2].x - 10.0).abs() < 1e-3);
}

#[test]
fn a_character_no_font_has_shows_the_missing_glyph() {
    let laid = set("A漢B", &TextStyle::new(40.0));
    assert_eq!(laid.glyphs.len(), 3);
    assert_eq!((laid.glyphs[1].font, laid.glyphs[1].id), (0, 0));
    let rendered = render(&laid, &fonts(), &TextStyle::new(40.0)).unwrap();
    assert!(rendered.image.pixels().any(|p| p[3] > 0));
}

#[test]
fn bad_text_and_styles_are_refused_naming_the_parameter() {
    let fonts = fonts();
    let refused = |text: &str, style: TextStyle, name: &str| match layout(text, &fonts, &style) {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name, "{text:.20}"),
        other => panic!("{name}: {other:?}"),
    };
    refused("", TextStyle::new(40.0), "text");
    refused("   \n ", TextStyle::new(40.0), "text");
    refused(&"x".repeat(100_000), TextStyle::new(40.0), "text");
    refused("Big", TextStyle::new(2000.0), "size");
    refused("Nan", TextStyle::new(f32::NAN), "size");
    let mut style = TextStyle::new(40.0);
    style.width = Some(0.0);
    refused("x", style, "width");
    let mut style = TextStyle::new(40.0);
    style.stroke = Some(Stroke {
        width: 1000.0,
        color: [0; 4],
    });
    refused("x", style, "stroke width");
    assert!(matches!(
        layout("x", &[], &TextStyle::new(40.0)),
        Err(Error::InvalidParameter { .. })
    ));
    // Too large to render: refused before any pixel buffer is made.
    let wide = layout(&"W".repeat(2000), &fonts, &TextStyle::new(900.0)).unwrap();
    assert!(matches!(
        render(&wide, &fonts, &TextStyle::new(900.0)),
        Err(Error::TooLarge(_))
    ));
}

#[test]
fn fill_colour_is_straight_alpha_and_effects_sit_around_it() {
    let fonts = fonts();
    let mut style = TextStyle::new(60.0);
    style.color = [200, 30, 40, 255];
    let laid = layout("Hi", &fonts, &style).unwrap();
    let plain = render(&laid, &fonts, &style).unwrap();
    // Every drawn pixel carries the colour itself, with coverage in alpha.
    assert!(plain
        .image
        .pixels()
        .all(|p| p[3] == 0 || p.0[..3] == [200, 30, 40]));
    assert!(plain.image.pixels().any(|p| p[3] == 255));
    assert!(
        plain.image.pixels().any(|p| p[3] > 0 && p[3] < 255),
        "anti-aliased edges"
    );

    style.stroke = Some(Stroke {
        width: 4.0,
        color: [255, 255, 255, 255],
    });
    let stroked = render(&laid, &fonts, &style).unwrap();
    assert_eq!(stroked.origin.0, plain.origin.0 - 4);
    let ink = |img: &image::RgbaImage| img.pixels().filter(|p| p[3] > 127).count();
    assert!(
        ink(&stroked.image) > ink(&plain.image) * 3 / 2,
        "the stroke adds ink around"
    );
    // Inside the fill the fill colour wins.
    let (dx, dy) = (
        plain.origin.0 - stroked.origin.0,
        plain.origin.1 - stroked.origin.1,
    );
    for (x, y, p) in plain.image.enumerate_pixels() {
        if p[3] == 255 {
            assert_eq!(
                stroked.image.get_pixel(x + dx as u32, y + dy as u32).0,
                [200, 30, 40, 255]
            );
        }
    }

    style.stroke = None;
    style.shadow = Some(Shadow {
        dx: 6.0,
        dy: 8.0,
        blur: 4.0,
        color: [0, 0, 0, 128],
    });
    let shadowed = render(&laid, &fonts, &style).unwrap();
    assert!(shadowed.image.width() > plain.image.width() + 6);
    let translucent_dark = shadowed
        .image
        .pixels()
        .filter(|p| p[3] > 0 && p[3] <= 128 && p[0] < 20)
        .count();
    assert!(translucent_dark > 100, "the shadow shows past the fill");
}

#[test]
fn rendering_is_deterministic_and_follows_the_sub_pixel_position() {
    let fonts = fonts();
    let style = TextStyle::new(33.0);
    let laid = layout("Retouch", &fonts, &style).unwrap();
    let a = render(&laid, &fonts, &style).unwrap();
    assert_eq!(a, render(&laid, &fonts, &style).unwrap());
    let mut moved = laid.clone();
    for g in &mut moved.glyphs {
        g.x += 0.5;
    }
    let b = render(&moved, &fonts, &style).unwrap();
    assert_ne!(
        a.image, b.image,
        "half a pixel changes the coverage, not nothing"
    );
}

/// Renders `text` upright and turned, each from a cold glyph cache and again
/// from a warm one.
fn cold_and_warm(text: &str, size: f32, degrees: f32) -> (RenderedText, RenderedText) {
    let fonts = fonts();
    let mut style = TextStyle::new(size);
    style.width = Some(12.0 * size);
    let laid = layout(text, &fonts, &style).unwrap();
    glyph_cache::clear();
    let cold = render_rotated(&laid, &fonts, &style, degrees).unwrap();
    let (kept, _) = glyph_cache::held();
    assert!(kept > 0, "{text}: the glyphs are kept");
    let warm = render_rotated(&laid, &fonts, &style, degrees).unwrap();
    assert_eq!(
        glyph_cache::held().0,
        kept,
        "{text}: rendering again takes every glyph from the cache"
    );
    (cold, warm)
}

#[test]
fn cached_glyphs_render_the_same_bytes_as_fresh_ones() {
    for text in [
        "AVATAR Wave: office fjord, Cafe\u{301} Zu\u{308}rich",
        "بِسْمِ اللَّهِ مرحبا بالعالم",
        "नमस्ते दुनिया क्षत्रिय",
    ] {
        for degrees in [0.0, 15.0, 90.0] {
            let (cold, warm) = cold_and_warm(text, 41.3, degrees);
            assert!(
                cold.image == warm.image && cold.origin == warm.origin,
                "{text} at {degrees}°: cached and fresh glyphs differ"
            );
        }
    }
}

#[test]
fn typing_renders_what_a_fresh_render_of_the_edited_text_gives() {
    let fonts = fonts();
    let mut style = TextStyle::new(96.0);
    style.width = Some(1600.0);
    let before = "Real type, set again: the brand's headline, kerned and wrapped";
    let after = "Real type, set again: the brand's new headline, kerned and wrapped!";
    glyph_cache::clear();
    let edited = layout(after, &fonts, &style).unwrap();
    let fresh = render(&edited, &fonts, &style).unwrap();
    glyph_cache::clear();
    render(&layout(before, &fonts, &style).unwrap(), &fonts, &style).unwrap();
    let (warm_glyphs, _) = glyph_cache::held();
    let typed = render(&edited, &fonts, &style).unwrap();
    assert!(
        glyph_cache::held().0 < warm_glyphs + edited.glyphs.len(),
        "the unmoved glyphs came from the cache"
    );
    assert_eq!(fresh, typed);
}

#[test]
fn the_glyph_cache_stays_within_its_bound() {
    let fonts = fonts();
    let style = TextStyle::new(300.0);
    glyph_cache::clear();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for shift in [0.0, 0.25, 0.5] {
        let mut laid = layout(alphabet, &fonts, &style).unwrap();
        for g in &mut laid.glyphs {
            g.x += shift;
        }
        render(&laid, &fonts, &style).unwrap();
        let (_, bytes) = glyph_cache::held();
        assert!(
            bytes <= glyph_cache::CACHE_BYTES,
            "{bytes} bytes held, past {}",
            glyph_cache::CACHE_BYTES
        );
    }
}

#[test]
fn web_fonts_render_exactly_as_their_truetype_file() {
    // The same Noto Sans cut written as TTF, WOFF and WOFF2 by fontTools (fixtures/README.md).
    const TTF: &[u8] = include_bytes!("fixtures/NotoSans-Latin.ttf");
    const WOFF: &[u8] = include_bytes!("fixtures/NotoSans-Latin.woff");
    const WOFF2: &[u8] = include_bytes!("fixtures/NotoSans-Latin.woff2");
    let text = "Sphinx of black quartz, judge my vow! AV fi 0123456789";
    let style = TextStyle::new(48.0);
    let ttf = Font::from_bytes("NotoSans-Latin.ttf", TTF.to_vec()).unwrap();
    let laid = layout(text, std::slice::from_ref(&ttf), &style).unwrap();
    let want = render(&laid, &[ttf], &style).unwrap();
    for (name, bytes) in [
        ("NotoSans-Latin.woff", WOFF),
        ("NotoSans-Latin.woff2", WOFF2),
    ] {
        let font = Font::from_bytes(name, bytes.to_vec()).unwrap();
        assert!(
            font.bytes().starts_with(&[0, 1, 0, 0]),
            "{name}: a TrueType file is kept"
        );
        let set = layout(text, std::slice::from_ref(&font), &style).unwrap();
        assert_eq!(set.width, laid.width, "{name}");
        assert_eq!(render(&set, &[font], &style).unwrap(), want, "{name}");
    }
    // Damaged web fonts are refused by name, saying what they are.
    for (name, bytes) in [
        ("cut.woff2", &WOFF2[..WOFF2.len() / 2]),
        ("cut.woff", &WOFF[..WOFF.len() / 2]),
    ] {
        let message = Font::from_bytes(name, bytes.to_vec())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(name) && message.contains("damaged WOFF"),
            "{message}"
        );
    }
}

/// Every stop's byte offset, line by line.
fn stop_offsets(laid: &TextLayout) -> Vec<Vec<usize>> {
    laid.lines
        .iter()
        .map(|l| l.stops.iter().map(|s| s.0).collect())
        .collect()
}

#[test]
fn carets_stand_at_every_character_boundary_where_the_glyphs_start() {
    let style = TextStyle::new(40.0);
    let laid = set("Wavy AVATAR", &style);
    let line = &laid.lines[0];
    assert_eq!(stop_offsets(&laid), vec![(0..=11).collect::<Vec<_>>()]);
    assert_eq!(line.stops[0].1, 0.0);
    // Each character's caret is where its glyph's pen stands (kerning included).
    for glyph in &laid.glyphs {
        let stop = line.stops.iter().find(|s| s.0 == glyph.cluster).unwrap();
        assert_eq!(stop.1, glyph.x, "cluster {}", glyph.cluster);
    }
    assert_eq!(line.stops[11].1, laid.width, "the end of the line");
    assert!(line.stops.windows(2).all(|w| w[0].1 < w[1].1));
    assert!(
        laid.ascent > 30.0 && laid.descent > 5.0,
        "{} {}",
        laid.ascent,
        laid.descent
    );
    // A ligature's characters share its width; a trailing space moves the caret on.
    let ligature = set("office ", &style);
    let stops = &ligature.lines[0].stops;
    assert_eq!(stops.len(), 8);
    assert!(stops.windows(2).all(|w| w[0].1 < w[1].1), "{stops:?}");
    assert!(stops[7].1 > ligature.width, "after the space: {stops:?}");
}

#[test]
fn carets_follow_wrapped_lines_line_breaks_and_right_to_left_text() {
    let mut style = TextStyle::new(40.0);
    style.width = Some(200.0);
    let text = "one two three four\nfive";
    let laid = set(text, &style);
    let offsets = stop_offsets(&laid);
    assert_eq!(offsets.len(), laid.lines.len());
    assert!(laid.lines.len() >= 3);
    // Every boundary has a stop; a soft break's offset ends one line and starts the next.
    let all: std::collections::BTreeSet<usize> = offsets.iter().flatten().copied().collect();
    assert_eq!(all, (0..=text.len()).collect());
    for pair in offsets.windows(2) {
        assert!(pair[0].last() <= pair[1].first());
    }
    assert_eq!(offsets.last().unwrap(), &(19..=23).collect::<Vec<_>>());
    assert!(laid.lines.windows(2).all(|w| w[0].baseline < w[1].baseline));
    // An empty paragraph has one stop.
    let blank = set("a\n\nb", &TextStyle::new(40.0));
    assert_eq!(stop_offsets(&blank), vec![vec![0, 1], vec![2], vec![3, 4]]);
    // Arabic runs leftwards: logical order, falling x, the end at the left.
    let arabic = set("مرحبا بالعالم", &TextStyle::new(40.0));
    let stops = &arabic.lines[0].stops;
    assert!(stops.windows(2).all(|w| w[0].1 >= w[1].1), "{stops:?}");
    assert!(stops[0].1 > stops.last().unwrap().1);
    assert!(
        (stops[0].1 - arabic.width).abs() < 0.01,
        "starts at the right edge"
    );
}
