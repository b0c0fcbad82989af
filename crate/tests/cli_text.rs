//! `retouch project add-text` / `edit-text` end to end (issue 18): a text
//! layer added to a project is, bit for bit, what `retouch render-text`
//! draws for the same source, placed with its text box where asked; it
//! round-trips through the .ora with its source; scaling renders it again
//! at the larger size (equal to `render-text` at that size, not a
//! resampling); export flattens it; bad input fails cleanly.

mod common;
use common::{assert_clean_failure, retouch, run_ok, Scratch};

use image::RgbaImage;
use retouch::doc::Document;

fn decode(path: &str) -> RgbaImage {
    image::open(path).unwrap().to_rgba8()
}

fn project(path: &str) -> Document {
    Document::from_ora(&std::fs::read(path).unwrap()).unwrap()
}

const TEXT: &str = "Set in real type: AV Wa fi";
const STYLE: [&str; 8] = [
    "--size", "48", "--color", "#c81e28", "--width", "420", "--align", "center",
];

fn with<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(tail).copied().collect()
}

#[test]
fn a_text_layer_is_render_text_at_its_position_and_round_trips() {
    let dir = Scratch::new("text-add");
    let (p, rendered) = (dir.arg("p.ora"), dir.arg("r.png"));
    run_ok(&["project", "new", &p, "--size", "640x360"]);
    run_ok(&with(
        &["project", "add-text", &p, "--text", TEXT, "--at", "30,50"],
        &STYLE,
    ));
    run_ok(&with(
        &["render-text", "--text", TEXT, "-o", &rendered],
        &STYLE,
    ));
    let doc = project(&p);
    let layer = &doc.layers()[0];
    let text = layer.text.as_ref().expect("reopened as a text layer");
    assert_eq!(text.source.text, TEXT);
    assert_eq!(text.source.style.size, 48.0);
    assert_eq!(text.source.style.color, [0xc8, 0x1e, 0x28, 255]);
    assert_eq!(doc.text_position(layer.id).unwrap(), (30, 50));
    assert_eq!(
        layer.pixels,
        decode(&rendered),
        "the layer is render-text's image"
    );
    let info = retouch(&["project", "info", &p]);
    assert!(String::from_utf8_lossy(&info.stdout).contains(" text"));

    // Export flattens: the canvas is the rendered text over transparency.
    let exported = dir.arg("e.png");
    run_ok(&["export", &p, "-o", &exported]);
    let flat = decode(&exported);
    let (ox, oy) = layer.props.offset;
    let mut want = RgbaImage::new(640, 360);
    image::imageops::replace(&mut want, &layer.pixels, ox.into(), oy.into());
    // Fully transparent pixels are all alike, whatever colour they keep.
    let visible = |p: &image::Rgba<u8>| if p[3] == 0 { [0; 4] } else { p.0 };
    for (p, q) in flat.pixels().zip(want.pixels()) {
        assert_eq!(visible(p), visible(q), "exported where the layer has");
    }
}

/// How many pixels differ and by how much at most (any channel).
fn difference(a: &RgbaImage, b: &RgbaImage) -> (usize, u8) {
    assert_eq!(a.dimensions(), b.dimensions());
    let steps = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (0..4).map(|c| p[c].abs_diff(q[c])).max().unwrap());
    steps.fold((0, 0), |(n, m), d| (n + usize::from(d > 0), m.max(d)))
}

#[test]
fn scaling_renders_at_the_larger_size_and_edits_keep_the_position() {
    let dir = Scratch::new("text-edit");
    let (p, bigger) = (dir.arg("p.ora"), dir.arg("big.png"));
    run_ok(&["project", "new", &p, "--size", "1200x600"]);
    run_ok(&with(
        &["project", "add-text", &p, "--text", TEXT, "--at", "40,60"],
        &STYLE,
    ));
    run_ok(&["project", "edit-text", &p, "--layer", "0", "--scale", "2"]);
    // Twice the size: 96 px in an 840 px box, rendered afresh.
    run_ok(&[
        "render-text",
        "--text",
        TEXT,
        "--size",
        "96",
        "--color",
        "#c81e28",
        "--width",
        "840",
        "--align",
        "center",
        "-o",
        &bigger,
    ]);
    let doc = project(&p);
    let layer = &doc.layers()[0];
    assert_eq!(difference(&layer.pixels, &decode(&bigger)), (0, 0));
    assert_eq!(doc.text_position(layer.id).unwrap(), (40, 60));
    assert_eq!(layer.text.as_ref().unwrap().source.scale, 2.0);

    // A new string and colour, moved: rendered from the edited source there.
    run_ok(&[
        "project",
        "edit-text",
        &p,
        "--layer",
        "0",
        "--text",
        "Fresh copy",
        "--color",
        "#1060c0",
        "--scale",
        "1",
        "--at",
        "-10,200",
    ]);
    let fresh = dir.arg("fresh.png");
    run_ok(&[
        "render-text",
        "--text",
        "Fresh copy",
        "--size",
        "48",
        "--color",
        "#1060c0",
        "--width",
        "420",
        "--align",
        "center",
        "-o",
        &fresh,
    ]);
    let doc = project(&p);
    let layer = &doc.layers()[0];
    assert_eq!(difference(&layer.pixels, &decode(&fresh)), (0, 0));
    assert_eq!(doc.text_position(layer.id).unwrap(), (-10, 200));
}

#[test]
fn bad_text_input_fails_cleanly_and_leaves_the_project_as_it_was() {
    let dir = Scratch::new("text-bad");
    let p = dir.arg("p.ora");
    run_ok(&["project", "new", &p, "--size", "200x100"]);
    run_ok(&["project", "add-layer", &p, &common::sample("base.png")]);
    let before = std::fs::read(&p).unwrap();
    let long = "x".repeat(100_000);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["add-text", &p, "--text", "  "], "text: is empty"),
        (vec!["add-text", &p, "--text", &long], "at most 20000"),
        (
            vec!["add-text", &p, "--text", "Big", "--size", "2000"],
            "size: 2000 is outside",
        ),
        (
            vec!["add-text", &p, "--text", "Hi", "--at", "here"],
            "at: 'here' is not X,Y",
        ),
        (
            vec!["add-text", &p, "--text", "Hi", "--scale", "0"],
            "scale: 0 is outside",
        ),
        (
            vec!["edit-text", &p, "--layer", "0", "--text", "x"],
            "is not a text layer",
        ),
        (
            vec!["edit-text", &p, "--layer", "5", "--text", "x"],
            "5 is past the top",
        ),
    ];
    let out = dir.arg("out.ora");
    for (args, message) in cases {
        let mut args = with(&["project"], &args);
        let result = retouch(&args);
        assert_clean_failure(&result, message, &out);
        assert_eq!(
            std::fs::read(&p).unwrap(),
            before,
            "{args:?} changed the project"
        );
        // Also with -o: nothing written.
        args.extend(["-o", &out]);
        assert_clean_failure(&retouch(&args), message, &out);
    }
}

/// A project whose brand kit has Noto Sans Arabic and a "headline" style
/// in its palette's blue, made through the library (the page's way).
fn brand_project(path: &str) -> String {
    let fonts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fonts/shipped");
    let bytes = std::fs::read(fonts.join("NotoSansArabic-Regular.ttf")).unwrap();
    let mut doc = Document::new(400, 200).unwrap();
    doc.set_brand_palette(&["#1060c0"]).unwrap();
    let key = doc
        .add_brand_font("NotoSansArabic-Regular.ttf", bytes, None)
        .unwrap();
    doc.set_brand_text_style(retouch::doc::NamedTextStyle {
        name: "headline".into(),
        font: key.clone(),
        size: 40.0,
        color: "#1060c0".into(),
        line_height: None,
        tracking: Some(50.0),
        align: None,
    })
    .unwrap();
    std::fs::write(path, doc.to_ora().unwrap()).unwrap();
    key
}

#[test]
fn add_text_sets_the_text_in_a_brand_kit_style() {
    let dir = Scratch::new("text-style");
    let (p, out) = (dir.arg("p.ora"), dir.arg("styled.ora"));
    let key = brand_project(&p);
    run_ok(&[
        "project",
        "add-text",
        &p,
        "--text",
        "مرحبا Sale",
        "--style",
        "headline",
        "--at",
        "10,20",
        "-o",
        &out,
    ]);
    let doc = project(&out);
    let source = &doc.layers()[0].text.as_ref().expect("a text layer").source;
    assert_eq!(source.fonts[0].key(), key, "the kit font leads");
    assert_eq!(source.fonts[1].name(), "NotoSans-Regular.ttf");
    assert_eq!(source.style.size, 40.0);
    assert_eq!(source.style.color, [0x10, 0x60, 0xc0, 255]);
    assert_eq!(source.style.tracking, 50.0);
    // The kit came through with its style and licence.
    assert_eq!(doc.brand_kit().text_styles[0].name, "headline");
    assert!(doc.brand_kit().fonts[0]
        .licence
        .contains("Open Font License"));

    let bad = dir.arg("bad.ora");
    let failed = retouch(&[
        "project", "add-text", &p, "--text", "x", "--style", "Headline", "-o", &bad,
    ]);
    assert_clean_failure(
        &failed,
        "'Headline' is not a style of the brand kit (it has headline)",
        &bad,
    );
}

#[test]
fn a_woff2_web_font_sets_the_text_its_truetype_file_does_and_is_saved_as_it() {
    // The same Noto Sans cut as TTF and WOFF2 (crate/src/text/fixtures, made by fontTools).
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/src/text/fixtures");
    let ttf = format!("{fixtures}/NotoSans-Latin.ttf");
    let woff2 = format!("{fixtures}/NotoSans-Latin.woff2");
    let dir = Scratch::new("text-woff2");
    let (from_ttf, from_woff2) = (dir.arg("ttf.png"), dir.arg("woff2.png"));
    let render = |font: &str, out: &str| {
        let head = ["render-text", "--text", TEXT, "--font", font, "-o", out];
        run_ok(&with(&head, &STYLE));
    };
    render(&ttf, &from_ttf);
    render(&woff2, &from_woff2);
    assert_eq!(decode(&from_woff2), decode(&from_ttf));
    // A project keeps the unpacked font, so it reopens without a WOFF2 decoder.
    let p = dir.arg("p.ora");
    run_ok(&["project", "new", &p, "--size", "500x200"]);
    run_ok(&["project", "add-text", &p, "--text", TEXT, "--font", &woff2]);
    let doc = project(&p);
    let text = doc.layers()[0].text.as_ref().expect("a text layer");
    assert!(text.source.fonts[0].bytes().starts_with(&[0, 1, 0, 0]));
}
