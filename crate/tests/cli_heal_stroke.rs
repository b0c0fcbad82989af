//! `retouch heal-stroke` end to end on a real photograph: each tool writes
//! the library's heal of the same stroke, only pixels near the stroke
//! change, and bad input fails with one line naming the parameter and
//! writes nothing.

mod common;
use common::{assert_clean_failure, retouch, Scratch};

use retouch::doc::{Document, HealOptions, HealTool, LayerProperties};
use retouch::engine::Engine;

fn library_heal(
    image: &image::RgbaImage,
    points: &[(f32, f32)],
    tool: HealTool,
) -> image::RgbaImage {
    let mut doc = Document::new(image.width(), image.height()).unwrap();
    let id = doc
        .add_layer(LayerProperties::named("Image"), image.clone(), None, None)
        .unwrap();
    let options = HealOptions {
        diameter: 16.0,
        ..HealOptions::default()
    };
    pollster::block_on(doc.heal_stroke(&Engine::cpu(), id, points, &options, tool)).unwrap();
    doc.layer(id).unwrap().pixels.clone()
}

#[test]
fn each_tool_writes_the_librarys_heal_of_the_stroke() {
    let dir = Scratch::new("heal-stroke-ok");
    let image = common::photo("grass");
    image.save(dir.path("in.png")).unwrap();
    let points = [(100.0, 50.0), (120.0, 60.0)];
    let tools = [
        ("spot", None, HealTool::SpotHealing),
        ("remove", None, HealTool::Remove),
        (
            "healing",
            Some("40,90"),
            HealTool::Healing {
                source: (40.0, 90.0),
            },
        ),
    ];
    for (name, source, tool) in tools {
        let out = dir.arg(&format!("{name}.png"));
        let mut args = vec![
            "heal-stroke",
            &dir.arg("in.png"),
            "--tool",
            name,
            "--points",
            "100,50 120,60",
            "--size",
            "16",
            "--backend",
            "cpu",
            "-o",
            &out,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        if let Some(source) = source {
            args.extend(["--source".to_string(), source.to_string()]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = retouch(&refs);
        assert!(run.status.success(), "{name}: {}", common::stderr(&run));
        let written = image::open(&out).unwrap().to_rgba8();
        assert_eq!(written, library_heal(&image, &points, tool), "{name}");
        assert_ne!(written, image, "{name} changed nothing");
        // Far from the stroke nothing moves.
        for (x, y, p) in written.enumerate_pixels() {
            if !(80..140).contains(&x) || !(30..80).contains(&y) {
                assert_eq!(p, image.get_pixel(x, y), "{name}: ({x}, {y})");
            }
        }
    }
}

#[test]
fn heal_stroke_refuses_bad_input_and_writes_nothing() {
    let dir = Scratch::new("heal-stroke-bad");
    common::photo("coffee").save(dir.path("in.png")).unwrap();
    let out = dir.arg("out.png");
    let cases: [(&[&str], &str); 5] = [
        (&["--points", "-300,-300"], "invalid points"),
        (&["--points", "50,50", "--tool", "smudge"], "invalid tool"),
        (
            &["--points", "50,50", "--tool", "healing"],
            "invalid source",
        ),
        (
            &[
                "--points", "50,50", "--tool", "healing", "--source", "900,10",
            ],
            "invalid source",
        ),
        (&["--points", "50,50", "--size", "0"], "invalid diameter"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["heal-stroke", "--backend", "cpu", "-o", &out];
        let input = dir.arg("in.png");
        args.push(&input);
        args.extend(extra.iter().copied());
        let run = retouch(&args);
        assert_clean_failure(&run, expected, &out);
    }
}
