//! Native benchmark of re-rendering a text layer while typing: a 200-character
//! headline at 96 px in the shipped Noto Sans (with its Arabic and Devanagari
//! fallbacks loaded, as the page has them), wrapped to 1600 px, laid out and
//! rendered from its source each time; with and without stroke and shadow,
//! and with the last character changed each time (as while typing); then
//! typed into a text layer as the page's on-canvas editing does
//! (`Document::type_text`: the changed glyphs redrawn, one history step).
//! `cargo run -p retouch --release --example bench_text` (after
//! fonts/install.sh). Timed as `bench_kit` says.

mod bench_kit;

use retouch::doc::{Document, TextSource};
use retouch::text::{layout, render, Font, Shadow, Stroke, TextStyle};

const HEADLINE: &str = "Real type, set again: the brand's headline in its own font, kerned, \
with ligatures like office and fjord, wrapped to the box and rendered by the core so that the \
page, the CLI and panels agree: yes!!!";

/// The headline with its last character the `n`th letter (mod 26), as while typing.
fn retyped(n: u8) -> String {
    format!(
        "{}{}",
        &HEADLINE[..HEADLINE.len() - 1],
        char::from(b'a' + n % 26)
    )
}

fn main() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fonts/shipped");
    let fonts: Vec<Font> = [
        "NotoSans-Regular.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansDevanagari-Regular.ttf",
    ]
    .iter()
    .map(|name| {
        let bytes = std::fs::read(folder.join(name)).expect("run fonts/install.sh first");
        Font::from_bytes(name, bytes).expect("the shipped font opens")
    })
    .collect();
    assert_eq!(HEADLINE.chars().count(), 200);
    let mut style = TextStyle::new(96.0);
    style.width = Some(1600.0);
    println!("text: a 200-character headline at 96 px, box 1600 px, single thread");
    let time = |label: &str, style: &TextStyle| {
        let laid = layout(HEADLINE, &fonts, style).expect("sets");
        let size = render(&laid, &fonts, style)
            .expect("renders")
            .image
            .dimensions();
        let layout_only = bench_kit::median(|| layout(HEADLINE, &fonts, style).expect("sets"));
        let both = bench_kit::median(|| {
            let laid = layout(HEADLINE, &fonts, style).expect("sets");
            render(&laid, &fonts, style).expect("renders")
        });
        println!(
            "{label}: {} lines, {}×{} px; layout {:.2} ms, layout + render {:.2} ms (medians of {})",
            laid.lines.len(),
            size.0,
            size.1,
            layout_only.as_secs_f64() * 1e3,
            both.as_secs_f64() * 1e3,
            bench_kit::RUNS
        );
    };
    time("fill only", &style);
    // As while typing: the last character differs each run, so the glyphs
    // before it come from the glyph cache and only the new one is drawn.
    let mut typed = 0u8;
    let typing = bench_kit::median(|| {
        typed = typed.wrapping_add(1);
        let text = retyped(typed);
        let laid = layout(&text, &fonts, &style).expect("sets");
        render(&laid, &fonts, &style).expect("renders")
    });
    println!(
        "fill only, typing (the last character changed each run): layout + render {:.2} ms (median of {})",
        typing.as_secs_f64() * 1e3,
        bench_kit::RUNS
    );
    let mut doc = Document::new(1920, 1080).expect("a canvas");
    let id = doc
        .add_text_layer(TextSource::new(HEADLINE, fonts.clone(), style), (100, 100))
        .expect("a text layer");
    let typed_into_layer = bench_kit::median(|| {
        typed = typed.wrapping_add(1);
        doc.type_text(id, retyped(typed), true).expect("types")
    });
    println!(
        "fill only, typed into a text layer (Document::type_text, last character changed): {:.2} ms (median of {})",
        typed_into_layer.as_secs_f64() * 1e3,
        bench_kit::RUNS
    );
    style.stroke = Some(Stroke {
        width: 3.0,
        color: [255, 255, 255, 255],
    });
    style.shadow = Some(Shadow {
        dx: 4.0,
        dy: 4.0,
        blur: 6.0,
        color: [0, 0, 0, 128],
    });
    time("stroke 3 px + shadow", &style);
}
