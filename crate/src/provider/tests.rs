use image::{GrayImage, Rgba, RgbaImage};

use super::*;
use crate::image_io;
use crate::ops::blend::{composite_cpu_in_place, CompositeOptions};
use crate::ops::select::{self, Rect};
use crate::plugin::{Capabilities, MaskConvention, Operation, Registry};
use crate::Error;

pub(super) fn capabilities(id: &str) -> Capabilities {
    Registry::builtin()
        .unwrap()
        .get(id)
        .unwrap()
        .capabilities
        .clone()
        .unwrap()
}

pub(super) const OPENAI: &str = "retouch.provider.openai";
const GEMINI: &str = "retouch.provider.gemini";
const STABILITY: &str = "retouch.provider.stability";
const MOCK: &str = "retouch.provider.mock";

/// A photo-like canvas: smooth gradients with a gentle texture, so resampling and colour
/// statistics behave as on real images.
fn photo_like(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let texture = ((x as f32 * 0.21).sin() * (y as f32 * 0.17).cos()) * 12.0;
        Rgba([
            (40.0 + 150.0 * fx + texture).clamp(0.0, 255.0) as u8,
            (70.0 + 110.0 * fy - texture * 0.5).clamp(0.0, 255.0) as u8,
            (160.0 - 90.0 * fx * fy + texture * 0.7).clamp(0.0, 255.0) as u8,
            255,
        ])
    })
}

pub(super) fn ellipse(width: u32, height: u32, x: f32, y: f32, w: f32, h: f32) -> GrayImage {
    select::ellipse(
        width,
        height,
        Rect {
            x,
            y,
            width: w,
            height: h,
        },
    )
    .unwrap()
}

pub(super) fn request(prompt: &str) -> JobRequest {
    JobRequest {
        prompt: prompt.to_owned(),
        model: None,
        operation: Operation::EditMask,
        brand_kit: None,
        margin: None,
        feather: 0.0,
        variants: 1,
        seed: None,
        reference_images: 0,
    }
}

pub(super) fn options() -> IngestOptions {
    IngestOptions {
        colour_match: true,
        harmonise: true,
        created_at: "2026-01-02T03:04:05Z".to_owned(),
        variant: 0,
        seed: Some(7),
    }
}

fn contains(outer: CropRect, inner: CropRect) -> bool {
    inner.x >= outer.x
        && inner.y >= outer.y
        && inner.x + inner.width <= outer.x + outer.width
        && inner.y + inner.height <= outer.y + outer.height
}

#[test]
fn openai_plan_sends_a_native_size_crop_with_a_transparent_hole() {
    let image = photo_like(3000, 2000);
    let selection = ellipse(3000, 2000, 1200.0, 800.0, 300.0, 200.0);
    let job = plan_edit(
        OPENAI,
        &capabilities(OPENAI),
        &image,
        &selection,
        &request("a kite"),
    )
    .unwrap();
    let plan = &job.plan;
    assert_eq!((plan.width, plan.height), (1536, 1024));
    assert_eq!(plan.size, "1536x1024");
    assert_eq!(plan.mask_convention, MaskConvention::AlphaTransparent);
    // Box plus a margin of at least MIN_MARGIN, at the size's 3:2 ratio.
    let bbox = CropRect {
        x: 1200 - MIN_MARGIN,
        y: 800 - MIN_MARGIN,
        width: 300 + 2 * MIN_MARGIN,
        height: 200 + 2 * MIN_MARGIN,
    };
    assert!(contains(plan.crop, bbox), "{:?}", plan.crop);
    let ratio = plan.crop.width as f64 / plan.crop.height as f64;
    assert!((ratio - 1.5).abs() < 0.01, "{ratio}");
    // Native resolution: the crop is scaled up, not the canvas down.
    assert!(plan.crop.width < 1536);

    let sent = image_io::decode_rgba(&job.image_png).unwrap();
    assert_eq!(sent.dimensions(), (1536, 1024));
    let mask = image_io::decode_rgba(job.mask_png.as_ref().unwrap()).unwrap();
    assert_eq!(mask.dimensions(), (1536, 1024));
    // The selection's centre maps to the sent image's centre region: transparent = edit.
    let to_sent = |x: u32, y: u32| {
        (
            (x - plan.crop.x) * 1536 / plan.crop.width,
            (y - plan.crop.y) * 1024 / plan.crop.height,
        )
    };
    let (cx, cy) = to_sent(1350, 900);
    assert_eq!(mask.get_pixel(cx, cy).0[3], 0);
    assert_eq!(mask.get_pixel(2, 2).0[3], 255);
    assert_eq!(plan.calls, 1);
}

#[test]
fn gemini_plan_has_no_mask_names_the_ratio_and_describes_the_region() {
    let image = photo_like(1600, 1200);
    let selection = ellipse(1600, 1200, 100.0, 100.0, 400.0, 150.0);
    let mut req = request("replace the sign with a tree");
    req.variants = 3;
    let job = plan_edit(GEMINI, &capabilities(GEMINI), &image, &selection, &req).unwrap();
    assert!(job.mask_png.is_none());
    let plan = &job.plan;
    assert_eq!(plan.operation, Operation::EditInstruction);
    let named = plan.aspect_ratio.as_deref().unwrap();
    let size = capabilities(GEMINI)
        .sizes
        .into_iter()
        .find(|s| s.aspect_ratio.as_deref() == Some(named))
        .unwrap();
    assert_eq!((plan.width, plan.height), (size.width, size.height));
    assert!(
        plan.prompt
            .starts_with("replace the sign with a tree\n\nChange only the region"),
        "{}",
        plan.prompt
    );
    assert_eq!((plan.calls, plan.variants_per_call), (3, 1));
    assert_eq!(plan.model, "gemini-2.5-flash-image");
}

#[test]
fn stability_plan_uses_a_flexible_size_and_a_white_mask() {
    let image = photo_like(900, 700);
    let selection = ellipse(900, 700, 300.0, 250.0, 200.0, 120.0);
    let mut req = request("a bench");
    req.feather = 6.0;
    let job = plan_edit(
        STABILITY,
        &capabilities(STABILITY),
        &image,
        &selection,
        &req,
    )
    .unwrap();
    let plan = &job.plan;
    assert_eq!(plan.width % 64, 0);
    assert_eq!(plan.height % 64, 0);
    let pixels = u64::from(plan.width) * u64::from(plan.height);
    assert!((800_000..=1_300_000).contains(&pixels), "{pixels}");
    let mask = image_io::decode_mask(job.mask_png.as_ref().unwrap()).unwrap();
    assert_eq!(mask.dimensions(), (plan.width, plan.height));
    assert!(mask.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255));
    assert_eq!(mask.get_pixel(plan.width / 2, plan.height / 2).0[0], 255);
    assert_eq!(mask.get_pixel(0, 0).0[0], 0);
    assert_eq!(plan.aspect_ratio, None);
}

#[test]
fn a_selection_in_a_corner_gives_a_crop_inside_the_canvas() {
    let image = photo_like(800, 500);
    let selection = ellipse(800, 500, 740.0, 450.0, 60.0, 50.0);
    let job = plan_edit(
        OPENAI,
        &capabilities(OPENAI),
        &image,
        &selection,
        &request("x"),
    )
    .unwrap();
    let crop = job.plan.crop;
    assert!(
        crop.x + crop.width <= 800 && crop.y + crop.height <= 500,
        "{crop:?}"
    );
    assert!(contains(
        crop,
        CropRect {
            x: 740,
            y: 450,
            width: 60,
            height: 50
        }
    ));
    // A small canvas cannot hold a larger crop: the crop is the whole canvas at most.
    let selection = ellipse(800, 500, 0.0, 0.0, 800.0, 500.0);
    let job = plan_edit(
        OPENAI,
        &capabilities(OPENAI),
        &image,
        &selection,
        &request("x"),
    )
    .unwrap();
    assert_eq!(
        job.plan.crop,
        CropRect {
            x: 0,
            y: 0,
            width: 800,
            height: 500
        }
    );
}

#[test]
fn brand_kit_and_references_join_the_plan() {
    let image = photo_like(400, 400);
    let selection = ellipse(400, 400, 100.0, 100.0, 100.0, 100.0);
    let mut req = request("a mug");
    req.brand_kit = Some(BrandKit {
        style: "flat pastel illustration".into(),
        palette: vec!["#ff8800".into(), "#112233".into()],
    });
    req.reference_images = 5;
    let job = plan_edit(GEMINI, &capabilities(GEMINI), &image, &selection, &req).unwrap();
    assert!(job.plan.prompt.contains("Style: flat pastel illustration"));
    assert!(job
        .plan
        .prompt
        .ends_with("Colour palette: #ff8800, #112233"));
    assert_eq!(
        job.plan.reference_images, 2,
        "Gemini Flash takes 3 images: the crop and 2 references"
    );
    let job = plan_edit(OPENAI, &capabilities(OPENAI), &image, &selection, &req).unwrap();
    assert_eq!(job.plan.reference_images, 5);
    assert!(
        !job.plan.prompt.contains("Change only the region"),
        "OpenAI has a mask"
    );
}

#[test]
fn bad_requests_are_refused_before_anything_is_encoded() {
    let image = photo_like(200, 200);
    let caps = capabilities(OPENAI);
    let empty = GrayImage::new(200, 200);
    let err = plan_edit(OPENAI, &caps, &image, &empty, &request("x")).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "selection"),
        "{err}"
    );
    let selection = ellipse(200, 200, 50.0, 50.0, 50.0, 50.0);
    let mut req = request("x");
    req.model = Some("dall-e-3".into());
    assert!(plan_edit(OPENAI, &caps, &image, &selection, &req)
        .unwrap_err()
        .to_string()
        .contains("dall-e-3"));
    let mut req = request("x");
    req.variants = 0;
    assert!(plan_edit(OPENAI, &caps, &image, &selection, &req).is_err());
    assert!(plan_edit(OPENAI, &caps, &image, &selection, &request("  ")).is_err());
    let small = GrayImage::new(100, 200);
    assert!(matches!(
        plan_edit(OPENAI, &caps, &image, &small, &request("x")),
        Err(Error::SizeMismatch(_))
    ));
    let mut tiny = caps.clone();
    tiny.max_upload_bytes = 1000;
    assert!(matches!(
        plan_edit(OPENAI, &tiny, &image, &selection, &request("x")),
        Err(Error::TooLarge(_))
    ));
    let mut req = request("x");
    req.operation = Operation::Upscale;
    assert!(plan_edit(OPENAI, &caps, &image, &selection, &req).is_err());
}

/// Pastes `layer` onto a copy of `image` as the document would.
fn apply(image: &RgbaImage, ingested: &Ingested) -> RgbaImage {
    let mut out = image.clone();
    let options = CompositeOptions {
        offset: (ingested.offset.0 as i32, ingested.offset.1 as i32),
        ..CompositeOptions::default()
    };
    composite_cpu_in_place(&mut out, &ingested.layer, None, &options).unwrap();
    out
}

/// The seam of an answer that is the sent crop passed through `drift`, ingested with the
/// colour match and harmonisation, checked against the same answer ingested as it came.
fn seam_for(drift: impl Fn(usize, u8) -> u8) -> SeamMetrics {
    let image = photo_like(1200, 900);
    let selection = ellipse(1200, 900, 450.0, 300.0, 260.0, 200.0);
    let mut req = request("a lamp post");
    req.feather = 4.0;
    let job = plan_edit(OPENAI, &capabilities(OPENAI), &image, &selection, &req).unwrap();
    let sent = image_io::decode_rgba(&job.image_png).unwrap();
    let answer = RgbaImage::from_fn(sent.width(), sent.height(), |x, y| {
        let p = sent.get_pixel(x, y).0;
        Rgba([drift(0, p[0]), drift(1, p[1]), drift(2, p[2]), 255])
    });
    let answer_png = image_io::encode_png(&answer).unwrap();
    let matched = ingest(&image, &selection, &job.plan, &answer_png, &options()).unwrap();
    assert!(matched.harmonised && matched.provenance.harmonised);
    let mut raw_options = options();
    raw_options.colour_match = false;
    raw_options.harmonise = false;
    let raw = ingest(&image, &selection, &job.plan, &answer_png, &raw_options).unwrap();
    assert!(raw.correction.is_none() && !raw.harmonised);
    assert_eq!(Some(raw.metrics.edge_delta_e), raw.metrics.edge_delta_e_raw);
    assert_eq!(
        raw.metrics.edge_delta_e_raw,
        matched.metrics.edge_delta_e_raw
    );
    assert_eq!(matched.metrics.changed_outside, 0);
    assert!(matched.metrics.edge_pairs > 500);
    matched.metrics
}

#[test]
fn a_global_drift_leaves_no_seam_after_matching_and_harmonising() {
    // A global colour shift and brightness change: 8-12 % brighter, redder, less blue.
    let gain = [1.12f32, 1.10, 1.08];
    let offset = [10.0f32, 0.0, -14.0];
    let affine = seam_for(|c, v| {
        (gain[c] * f32::from(v) + offset[c])
            .round()
            .clamp(0.0, 255.0) as u8
    });
    // Exposure drift a gain cannot model exactly: a gamma change, plus a warm cast.
    let gamma = seam_for(|c, v| {
        let lifted = 255.0 * (f32::from(v) / 255.0).powf(0.8);
        (lifted + [8.0, 3.0, -6.0][c]).round().clamp(0.0, 255.0) as u8
    });
    for (name, m) in [("gain + shift", affine), ("gamma + cast", gamma)] {
        let raw = m.edge_delta_e_raw.unwrap();
        eprintln!(
            "seam ({name}): edge ΔE2000 median {raw:.3} raw -> {:.3} (p95 {:.3}) over {} pairs",
            m.edge_delta_e, m.edge_delta_e_p95, m.edge_pairs
        );
        assert!(raw > 3.0, "{name}: the drift should be visible: {m:?}");
        assert!(m.edge_delta_e <= 1.0, "{name}: {m:?}");
        assert!(!m.visible_seam, "{name}: {m:?}");
    }
}

#[test]
fn pixels_outside_the_feathered_mask_are_bit_exact_whatever_the_provider_returns() {
    let image = photo_like(700, 500);
    let selection = ellipse(700, 500, 250.0, 150.0, 180.0, 140.0);
    for (id, feather) in [(OPENAI, 0.0), (GEMINI, 8.0), (STABILITY, 3.0)] {
        let mut req = request("anything");
        req.feather = feather;
        let job = plan_edit(id, &capabilities(id), &image, &selection, &req).unwrap();
        // Noise everywhere, at a size and ratio the plan did not ask for.
        let mut state = 0x1234_5678u32;
        let answer = RgbaImage::from_fn(333, 517, |_, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let [a, b, c, _] = state.to_le_bytes();
            Rgba([a, b, c, 255])
        });
        let answer_png = image_io::encode_png(&answer).unwrap();
        let ingested = ingest(&image, &selection, &job.plan, &answer_png, &options()).unwrap();
        assert_eq!(ingested.metrics.changed_outside, 0, "{id}");
        let result = apply(&image, &ingested);
        let coverage = crate::ops::feather::feather_cpu(&selection, feather).unwrap();
        let mut changed_inside = 0;
        for (x, y, px) in result.enumerate_pixels() {
            if coverage.get_pixel(x, y).0[0] == 0 {
                assert_eq!(
                    px,
                    image.get_pixel(x, y),
                    "{id}: ({x}, {y}) changed outside the mask"
                );
            } else if px != image.get_pixel(x, y) {
                changed_inside += 1;
            }
        }
        assert!(
            changed_inside > 10_000,
            "{id}: the patch did not land ({changed_inside})"
        );
        assert_eq!(
            ingested.layer.dimensions(),
            (job.plan.crop.width, job.plan.crop.height)
        );
    }
}

#[test]
fn ingest_rejects_a_mismatched_image_and_garbage() {
    let image = photo_like(300, 300);
    let selection = ellipse(300, 300, 100.0, 100.0, 80.0, 80.0);
    let job = plan_edit(MOCK, &capabilities(MOCK), &image, &selection, &request("x")).unwrap();
    assert!(matches!(
        ingest(&image, &selection, &job.plan, b"not an image", &options()),
        Err(Error::Decode(_))
    ));
    let other = photo_like(301, 300);
    let other_selection = GrayImage::new(301, 300);
    assert!(matches!(
        ingest(
            &other,
            &other_selection,
            &job.plan,
            &job.image_png,
            &options()
        ),
        Err(Error::SizeMismatch(_))
    ));
    // A plan edited in JS whose crop would overflow u32 is refused, not wrapped around.
    let mut tampered = job.plan.clone();
    tampered.crop.x = u32::MAX - 5;
    let error = ingest(&image, &selection, &tampered, &job.image_png, &options()).unwrap_err();
    assert!(
        error.to_string().contains("lies outside the canvas"),
        "{error}"
    );
}

#[test]
fn the_mock_round_trip_repaints_the_selection_seamlessly() {
    let image = photo_like(640, 480);
    let selection = ellipse(640, 480, 200.0, 150.0, 160.0, 120.0);
    let mut req = request("a red balloon");
    req.feather = 3.0;
    let job = plan_edit(MOCK, &capabilities(MOCK), &image, &selection, &req).unwrap();
    let answer = mock_answer(
        &job.image_png,
        job.mask_png.as_ref().unwrap(),
        &job.plan.prompt,
        1,
    )
    .unwrap();
    assert_eq!(
        answer,
        mock_answer(
            &job.image_png,
            job.mask_png.as_ref().unwrap(),
            &job.plan.prompt,
            1
        )
        .unwrap(),
        "deterministic"
    );
    assert_ne!(
        answer,
        mock_answer(
            &job.image_png,
            job.mask_png.as_ref().unwrap(),
            &job.plan.prompt,
            2
        )
        .unwrap(),
        "seeds differ"
    );
    let ingested = ingest(&image, &selection, &job.plan, &answer, &options()).unwrap();
    let m = ingested.metrics;
    eprintln!(
        "mock: edge ΔE2000 {:.3} raw → {:.3} matched and harmonised",
        m.edge_delta_e_raw.unwrap(),
        m.edge_delta_e
    );
    assert_eq!(m.changed_outside, 0);
    // The stripes are new content that meets the edge, so some step stays; matching and
    // harmonising still bring the edge closer to the original's own steps.
    assert!(m.edge_delta_e < m.edge_delta_e_raw.unwrap(), "{m:?}");
    let k = ingested.correction.unwrap();
    // The fitted correction undoes the mock's documented drift.
    for (gain, drift) in k.gain.iter().zip(DRIFT_GAIN) {
        assert!((gain - 1.0 / f64::from(drift)).abs() < 0.05, "{k:?}");
    }
    assert_eq!(ingested.name, "a red balloon");
}

#[test]
fn provenance_is_json_with_the_facts() {
    let image = photo_like(300, 200);
    let selection = ellipse(300, 200, 100.0, 50.0, 60.0, 60.0);
    let job = plan_edit(
        OPENAI,
        &capabilities(OPENAI),
        &image,
        &selection,
        &request("a cat"),
    )
    .unwrap();
    let ingested = ingest(&image, &selection, &job.plan, &job.image_png, &options()).unwrap();
    let json = ingested.provenance.to_json().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["provider"], OPENAI);
    assert_eq!(value["model"], "gpt-image-1");
    assert_eq!(value["prompt"], "a cat");
    assert_eq!(value["operation"], "edit_mask");
    assert_eq!(value["createdAt"], "2026-01-02T03:04:05Z");
    assert_eq!(value["seed"], 7);
    assert_eq!(value["crop"]["width"], job.plan.crop.width);
    assert_eq!(value["sentSize"], job.plan.size.as_str());
    let back: Provenance = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ingested.provenance);
    // The unchanged crop sent back comes out unchanged.
    let m = ingested.metrics;
    assert!(m.edge_delta_e < 1.0 && m.inside_delta_e < 1.0, "{m:?}");
}

#[test]
fn layer_names_follow_the_prompt() {
    let image = photo_like(200, 200);
    let selection = ellipse(200, 200, 50.0, 50.0, 50.0, 50.0);
    let long = "replace the old rusty bicycle by the wall with a shiny new scooter please";
    let job = plan_edit(
        MOCK,
        &capabilities(MOCK),
        &image,
        &selection,
        &request(long),
    )
    .unwrap();
    let ingested = ingest(&image, &selection, &job.plan, &job.image_png, &options()).unwrap();
    assert_eq!(ingested.name, "replace the old rusty bicycle by the…");
}

// ------------------------------------------------------------------------------- outpainting

fn outpaint_request(left: u32, top: u32, right: u32, bottom: u32) -> OutpaintRequest {
    OutpaintRequest {
        prompt: "more beach".to_owned(),
        model: None,
        left,
        top,
        right,
        bottom,
        margin: None,
        overlap: None,
        variants: 1,
        seed: None,
        brand_kit: None,
        reference_images: 0,
    }
}

/// The new area of an outpaint plan on the new canvas, as a predicate.
fn in_new_area(plan: &JobPlan, x: u32, y: u32) -> bool {
    let o = plan.outpaint.as_ref().unwrap();
    !(x >= o.left && x < o.left + o.old_width && y >= o.top && y < o.top + o.old_height)
}

fn ratio_error(crop: CropRect, width: u32, height: u32) -> f64 {
    let a = f64::from(crop.width) / f64::from(crop.height);
    let b = f64::from(width) / f64::from(height);
    (a / b).ln().abs()
}

#[test]
fn outpaint_plan_covers_the_new_area_with_a_transparent_payload_for_openai() {
    let image = photo_like(600, 400);
    let job = plan_outpaint(
        OPENAI,
        &capabilities(OPENAI),
        &image,
        &outpaint_request(0, 0, 200, 0),
    )
    .unwrap();
    let plan = &job.plan;
    assert_eq!(plan.operation, Operation::Outpaint);
    assert_eq!((plan.canvas_width, plan.canvas_height), (800, 400));
    let o = plan.outpaint.as_ref().unwrap();
    assert_eq!((o.left, o.top, o.right, o.bottom), (0, 0, 200, 0));
    assert_eq!(o.native, None);
    assert!(o.upscale <= 1.0, "{o:?}");
    // The whole new strip, inside the new canvas, with context of the old picture.
    let strip = CropRect {
        x: 600,
        y: 0,
        width: 200,
        height: 400,
    };
    let canvas = CropRect {
        x: 0,
        y: 0,
        width: 800,
        height: 400,
    };
    assert!(contains(plan.crop, strip), "{:?}", plan.crop);
    assert!(contains(canvas, plan.crop), "{:?}", plan.crop);
    assert!(
        plan.crop.x < 600 - OUTPAINT_OVERLAP,
        "context of the old picture"
    );
    // The strip plus a strip-wide margin is about square: OpenAI's 1:1, as near as the
    // 400 px canvas height allows.
    assert_eq!(plan.size, "1024x1024");
    assert_eq!(plan.crop.height, 400);
    assert!(ratio_error(plan.crop, 1024, 1024) < 0.1, "{:?}", plan.crop);

    let sent = image_io::decode_rgba(&job.image_png).unwrap();
    let mask = image_io::decode_rgba(job.mask_png.as_ref().unwrap()).unwrap();
    assert_eq!(sent.dimensions(), (1024, 1024));
    assert_eq!(mask.dimensions(), (1024, 1024));
    let to_sent = |x: u32| ((x - plan.crop.x) as f64 * 1024.0 / plan.crop.width as f64) as u32;
    // New area: transparent in the image, alpha 0 (edit) in the mask.
    assert_eq!(sent.get_pixel(to_sent(790), 700).0[3], 0);
    assert_eq!(mask.get_pixel(to_sent(790), 700).0[3], 0);
    // The overlap into the old picture is edited too, the far context is kept.
    assert_eq!(mask.get_pixel(to_sent(600 - 4), 700).0[3], 0);
    assert_eq!(mask.get_pixel(2, 700).0[3], 255);
    assert_eq!(sent.get_pixel(2, 700).0[3], 255);
}

#[test]
fn outpaint_plan_for_stability_sends_the_kept_picture_and_side_amounts() {
    let image = photo_like(800, 600);
    let job = plan_outpaint(
        STABILITY,
        &capabilities(STABILITY),
        &image,
        &outpaint_request(160, 0, 0, 96),
    )
    .unwrap();
    let plan = &job.plan;
    assert_eq!(plan.operation, Operation::Outpaint);
    assert!(
        job.mask_png.is_none(),
        "the outpaint endpoint takes no mask"
    );
    let o = plan.outpaint.as_ref().unwrap();
    let sides = o.native.expect("native amounts");
    assert!(sides.left > 0 && sides.down > 0, "{sides:?}");
    assert_eq!((sides.right, sides.up), (0, 0));
    // Kept picture + sides = the sent size, which maps back onto the crop.
    let kept = image_io::decode_rgba(&job.image_png).unwrap();
    assert_eq!(kept.width() + sides.left + sides.right, plan.width);
    assert_eq!(kept.height() + sides.up + sides.down, plan.height);
    assert_eq!(plan.width % 64, 0);
    assert_eq!(plan.height % 64, 0);
    let aspect = f64::from(kept.width()) / f64::from(kept.height());
    assert!((0.4..=2.5).contains(&aspect), "{aspect}");
    // The sides scale like the crop: 160 px of new area on the left, 96 at the bottom.
    let sx = f64::from(plan.width) / f64::from(plan.crop.width);
    let sy = f64::from(plan.height) / f64::from(plan.crop.height);
    assert!(
        (f64::from(sides.left) - 160.0 * sx).abs() <= 1.0,
        "{sides:?} {sx}"
    );
    assert!(
        (f64::from(sides.down) - 96.0 * sy).abs() <= 1.0,
        "{sides:?} {sy}"
    );
    assert_eq!((plan.crop.x, plan.crop.y + plan.crop.height), (0, 696));
}

#[test]
fn stability_outpaint_widens_a_thin_kept_strip_or_says_why_it_cannot() {
    // A tall picture extended to the right: the kept part is widened to 1:2.5.
    let image = photo_like(400, 1000);
    let job = plan_outpaint(
        STABILITY,
        &capabilities(STABILITY),
        &image,
        &outpaint_request(0, 0, 100, 0),
    )
    .unwrap();
    let kept = image_io::decode_rgba(&job.image_png).unwrap();
    let aspect = f64::from(kept.width()) / f64::from(kept.height());
    assert!(aspect >= 0.39, "{aspect} {:?}", job.plan.crop);
    // A sliver of a picture cannot be widened enough.
    let sliver = photo_like(100, 1000);
    let err = plan_outpaint(
        STABILITY,
        &capabilities(STABILITY),
        &sliver,
        &outpaint_request(0, 0, 100, 0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("2.5:1"), "{err}");
}

#[test]
fn outpaint_masks_follow_each_providers_convention() {
    let image = photo_like(512, 512);
    let req = outpaint_request(0, 128, 0, 0);
    // Gemini: no mask, the prompt names the transparent edge.
    let gemini = plan_outpaint(GEMINI, &capabilities(GEMINI), &image, &req).unwrap();
    assert!(gemini.mask_png.is_none());
    assert!(gemini.plan.aspect_ratio.is_some());
    assert!(gemini.plan.prompt.starts_with("more beach"));
    assert!(
        gemini.plan.prompt.contains("along the top edge"),
        "{}",
        gemini.plan.prompt
    );
    // The mock: greyscale, white = edit on the new area, black far inside the old picture.
    let mock = plan_outpaint(MOCK, &capabilities(MOCK), &image, &req).unwrap();
    let mask = image_io::decode_mask(mock.mask_png.as_ref().unwrap()).unwrap();
    let plan = &mock.plan;
    let sy = f64::from(plan.height) / f64::from(plan.crop.height);
    let sent_y = |y: u32| ((f64::from(y) - f64::from(plan.crop.y)) * sy) as u32;
    assert_eq!(mask.get_pixel(plan.width / 2, sent_y(10)).0[0], 255);
    assert_eq!(mask.get_pixel(plan.width / 2, plan.height - 1).0[0], 0);
    assert!(
        !mock.plan.prompt.contains("transparent"),
        "masked providers need no hint"
    );
}

#[test]
fn outpaint_on_all_sides_crops_the_whole_new_canvas() {
    let image = photo_like(300, 200);
    let job = plan_outpaint(
        MOCK,
        &capabilities(MOCK),
        &image,
        &outpaint_request(20, 30, 40, 50),
    )
    .unwrap();
    let plan = &job.plan;
    assert_eq!((plan.canvas_width, plan.canvas_height), (360, 280));
    assert_eq!(
        plan.crop,
        CropRect {
            x: 0,
            y: 0,
            width: 360,
            height: 280
        }
    );
    assert!(in_new_area(plan, 0, 0) && !in_new_area(plan, 20, 30));
}

#[test]
fn bad_outpaint_requests_are_refused_with_reasons() {
    let image = photo_like(400, 300);
    let caps = capabilities(OPENAI);
    let err = |req: OutpaintRequest| plan_outpaint(OPENAI, &caps, &image, &req).unwrap_err();
    assert!(err(outpaint_request(0, 0, 0, 0))
        .to_string()
        .contains("at least one side"));
    // Past the image size limits.
    assert!(matches!(
        err(outpaint_request(0, 0, 20_000, 0)),
        Error::TooLarge(_)
    ));
    let mut req = outpaint_request(0, 0, 100, 0);
    req.overlap = Some(MAX_OUTPAINT_OVERLAP + 1);
    assert!(err(req).to_string().contains("overlap"));
    let mut req = outpaint_request(0, 0, 100, 0);
    req.variants = 0;
    assert!(err(req).to_string().contains("variants"));
    let mut req = outpaint_request(0, 0, 100, 0);
    req.model = Some("dall-e-3".into());
    assert!(err(req).to_string().contains("dall-e-3"));
    // A strip far larger than one provider answer can cover says so.
    let wide = photo_like(4000, 3000);
    let too_much = plan_outpaint(OPENAI, &caps, &wide, &outpaint_request(0, 3000, 0, 0));
    match too_much {
        Err(Error::TooLarge(message)) => assert!(message.contains("enlarged"), "{message}"),
        other => panic!("{other:?}"),
    }
}

/// Ingests `answer` for `job` and applies it to a one-layer document of `image`.
fn outpaint_document(
    image: &RgbaImage,
    job: &PlannedJob,
    answer: &[u8],
) -> (crate::doc::Document, Ingested) {
    use crate::doc::{Document, LayerProperties};
    let ingested = ingest_outpaint(image, &job.plan, answer, &options()).unwrap();
    let mut doc = Document::new(image.width(), image.height()).unwrap();
    doc.add_layer(
        LayerProperties::named("Background"),
        image.clone(),
        None,
        None,
    )
    .unwrap();
    let o = job.plan.outpaint.as_ref().unwrap();
    let mut props = LayerProperties::named(ingested.name.clone());
    props.offset = (ingested.offset.0 as i32, ingested.offset.1 as i32);
    doc.extend_canvas_with_layer(
        (o.left, o.top, o.right, o.bottom),
        props,
        ingested.layer.clone(),
    )
    .unwrap();
    (doc, ingested)
}

#[test]
fn outpaint_ingestion_fills_the_new_area_keeps_old_pixels_and_undoes_in_one_step() {
    let image = photo_like(320, 240);
    let job = plan_outpaint(
        MOCK,
        &capabilities(MOCK),
        &image,
        &outpaint_request(64, 0, 0, 40),
    )
    .unwrap();
    let answer = mock_answer(
        &job.image_png,
        job.mask_png.as_ref().unwrap(),
        &job.plan.prompt,
        1,
    )
    .unwrap();
    let (mut doc, ingested) = outpaint_document(&image, &job, &answer);
    assert_eq!(ingested.metrics.changed_outside, 0);
    assert!(ingested.metrics.edge_pairs > 0);
    assert!(ingested.metrics.edge_delta_e.is_finite());
    assert_eq!((doc.width(), doc.height()), (384, 280));
    assert_eq!(doc.layers().len(), 2);
    // The old layer's pixels are untouched; it only moved.
    assert_eq!(doc.layers()[0].pixels, image);
    assert_eq!(doc.layers()[0].props.offset, (64, 0));
    let composite = doc.composite_cpu().unwrap().clone();
    let coverage = {
        let o = job.plan.outpaint.as_ref().unwrap();
        super::plan::outpaint_coverage(o, job.plan.crop).unwrap()
    };
    let crop = job.plan.crop;
    for (x, y, px) in composite.enumerate_pixels() {
        if in_new_area(&job.plan, x, y) {
            assert_eq!(px.0[3], 255, "the new area is filled at {x},{y}");
            continue;
        }
        let inside_crop =
            x >= crop.x && y >= crop.y && x < crop.x + crop.width && y < crop.y + crop.height;
        let covered = inside_crop && coverage.get_pixel(x - crop.x, y - crop.y).0[0] > 0;
        if !covered {
            assert_eq!(
                *px,
                *image.get_pixel(x - 64, y),
                "old pixel at {x},{y} changed"
            );
        }
    }
    // One undo: back to the old canvas and the old composite.
    assert_eq!(doc.undo().as_deref(), Some("Generative Expand"));
    assert_eq!((doc.width(), doc.height()), (320, 240));
    assert_eq!(doc.layers().len(), 1);
    assert_eq!(doc.layers()[0].props.offset, (0, 0));
    assert_eq!(doc.composite_cpu().unwrap(), &image);
    doc.redo().unwrap();
    assert_eq!((doc.width(), doc.height()), (384, 280));
    assert_eq!(doc.composite_cpu().unwrap(), &composite);
}

#[test]
fn outpaint_of_a_continuing_answer_has_an_invisible_seam() {
    // The provider "sees" the real scene beyond the old edge, drifted in colour as models do.
    let scene = photo_like(800, 400);
    let image = image::imageops::crop_imm(&scene, 0, 0, 600, 400).to_image();
    let job = plan_outpaint(
        STABILITY,
        &capabilities(STABILITY),
        &image,
        &outpaint_request(0, 0, 200, 0),
    )
    .unwrap();
    let crop = job.plan.crop;
    let truth = image::imageops::crop_imm(&scene, crop.x, crop.y, crop.width, crop.height);
    let mut answer = super::plan::scale(&truth.to_image(), job.plan.width, job.plan.height);
    for px in answer.pixels_mut() {
        for c in 0..3 {
            px.0[c] = (f32::from(px.0[c]) * 1.08 + 5.0).clamp(0.0, 255.0) as u8;
        }
    }
    let ingested = ingest_outpaint_decoded(&image, &job.plan, &answer, &options()).unwrap();
    let m = ingested.metrics;
    let raw = m.edge_delta_e_raw.unwrap();
    eprintln!(
        "outpaint: edge ΔE2000 {raw:.3} raw → {:.3} matched and harmonised over {} pairs",
        m.edge_delta_e, m.edge_pairs
    );
    assert_eq!(m.changed_outside, 0);
    assert!(m.edge_delta_e < 1.0, "{m:?}");
    assert!(m.edge_delta_e < raw, "{m:?}");
    assert_eq!(ingested.provenance.operation, Operation::Outpaint);
}

#[test]
fn outpaint_ingestion_rejects_the_wrong_image_or_plan() {
    let image = photo_like(200, 100);
    let job = plan_outpaint(
        MOCK,
        &capabilities(MOCK),
        &image,
        &outpaint_request(0, 0, 50, 0),
    )
    .unwrap();
    let answer = image_io::encode_png(&photo_like(job.plan.width, job.plan.height)).unwrap();
    let other = photo_like(201, 100);
    assert!(matches!(
        ingest_outpaint(&other, &job.plan, &answer, &options()),
        Err(Error::SizeMismatch(_))
    ));
    let fill = plan_edit(
        MOCK,
        &capabilities(MOCK),
        &image,
        &ellipse(200, 100, 50.0, 20.0, 40.0, 30.0),
        &request("x"),
    )
    .unwrap();
    assert!(ingest_outpaint(&image, &fill.plan, &answer, &options()).is_err());
    assert!(ingest_outpaint(&image, &job.plan, b"not an image", &options()).is_err());
}

#[test]
fn extending_the_canvas_pads_the_selection_and_undo_restores_it() {
    use crate::doc::{Document, LayerProperties};
    let image = photo_like(64, 48);
    let mut doc = Document::new(64, 48).unwrap();
    doc.add_layer(LayerProperties::named("Background"), image, None, None)
        .unwrap();
    let selection = ellipse(64, 48, 10.0, 10.0, 20.0, 20.0);
    doc.set_selection(Some(selection.clone()), "").unwrap();
    let mut props = LayerProperties::named("fill");
    props.offset = (0, 0);
    doc.extend_canvas_with_layer((8, 4, 0, 0), props, RgbaImage::new(72, 52))
        .unwrap();
    let padded = doc.selection().unwrap();
    assert_eq!(padded.dimensions(), (72, 52));
    assert_eq!(
        padded.get_pixel(8 + 20, 4 + 20),
        selection.get_pixel(20, 20)
    );
    assert_eq!(
        padded.get_pixel(0, 0).0[0],
        0,
        "the new area is not selected"
    );
    doc.undo().unwrap();
    assert_eq!(doc.selection(), Some(&selection));
    // Sides past the image limits are refused and record nothing.
    let steps = doc.history().len();
    assert!(doc
        .extend_canvas_with_layer(
            (u32::MAX, 0, 1, 0),
            LayerProperties::named("x"),
            RgbaImage::new(1, 1)
        )
        .is_err());
    assert_eq!(doc.history().len(), steps);
}

#[test]
fn a_tampered_outpaint_plan_is_refused_not_a_panic() {
    let image = photo_like(100, 80);
    let job = plan_outpaint(
        MOCK,
        &capabilities(MOCK),
        &image,
        &outpaint_request(0, 0, 40, 0),
    )
    .unwrap();
    let answer = image_io::encode_png(&photo_like(job.plan.width, job.plan.height)).unwrap();
    let mut plan = job.plan.clone();
    plan.outpaint.as_mut().unwrap().right = u32::MAX;
    assert!(ingest_outpaint(&image, &plan, &answer, &options()).is_err());
    let mut plan = job.plan.clone();
    plan.crop.x = u32::MAX - 1;
    assert!(ingest_outpaint(&image, &plan, &answer, &options()).is_err());
}

#[test]
fn an_empty_outpaint_prompt_asks_to_continue_the_picture_and_names_the_layer() {
    let image = photo_like(120, 90);
    let mut req = outpaint_request(0, 30, 0, 0);
    req.prompt = "  ".into();
    let job = plan_outpaint(MOCK, &capabilities(MOCK), &image, &req).unwrap();
    assert_eq!(job.plan.prompt, "Extend the picture naturally");
    let answer = image_io::encode_png(&photo_like(job.plan.width, job.plan.height)).unwrap();
    let ingested = ingest_outpaint(&image, &job.plan, &answer, &options()).unwrap();
    assert_eq!(ingested.name, "Extend the picture naturally");
}

#[test]
fn a_huge_outpaint_margin_is_clipped_to_the_canvas() {
    let image = photo_like(200, 150);
    let mut req = outpaint_request(0, 0, 50, 0);
    req.margin = Some(u32::MAX);
    let job = plan_outpaint(MOCK, &capabilities(MOCK), &image, &req).unwrap();
    assert_eq!(job.plan.crop.x, 0, "the whole old picture is context");
    assert_eq!(job.plan.crop.x + job.plan.crop.width, 250);
}
