//! Adjustments of a layer (levels, curves, blur, …; see [`crate::ops::adjust`])
//! inside the selection, as Photoshop applies them: where the selection is
//! soft, the result blends with the original by its coverage, and pixels it
//! does not cover stay exactly as they were.
//!
//! Only the selection's box on the layer is read (plus the adjustment's
//! reach for blurs, so the box's result equals the whole layer's there),
//! adjusted on the engine (the only await) and written back as one history
//! step of changed tiles, so a failure changes nothing. The preview computes
//! the same pixels and composites the canvas over that box without touching
//! the document, for a dialog's live preview.

use super::geometry::Rect;
use super::layer::{Layer, LayerId};
use super::render::{compose_layers_cpu, crop};
use super::Document;
use crate::engine::Engine;
use crate::memory;
use crate::ops::adjust::{self, Adjustment};
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

impl Document {
    /// The canvas rectangle an adjustment of layer `id` may change: the
    /// selection's box on the layer, or the whole layer without a selection.
    pub fn adjustment_area(&self, id: LayerId) -> Result<Rect> {
        let bounds = self.layer(id)?.bounds();
        let area = match self.selection() {
            None => Some(bounds),
            Some(_) => self
                .selection_bounds()
                .and_then(|selected| selected.intersect(&bounds)),
        };
        area.ok_or_else(|| Error::param("selection", "nothing is selected on this layer"))
    }

    /// The layer's pixels over [`Document::adjustment_area`] after the
    /// adjustment, blended with the originals under the selection.
    async fn adjusted_area(
        &self,
        engine: &Engine,
        id: LayerId,
        adjustment: &Adjustment,
    ) -> Result<(Rect, RgbaImage)> {
        adjustment.validate()?;
        let area = self.adjustment_area(id)?;
        let layer = self.layer(id)?;
        let bounds = layer.bounds();
        let reach = adjustment.reach().min(i32::MAX as u32 / 4) as i32;
        let read = Rect::new(
            area.x.saturating_sub(reach),
            area.y.saturating_sub(reach),
            area.width.saturating_add(2 * reach as u32),
            area.height.saturating_add(2 * reach as u32),
        )
        .intersect(&bounds)
        .expect("the area lies on the layer");
        let source = crop(&layer.pixels, read.translated(-bounds.x, -bounds.y));
        let adjusted = adjust::adjust(engine, &source, adjustment).await?;
        let offset = ((area.x - read.x) as u32, (area.y - read.y) as u32);
        Ok((
            area,
            self.blend_by_selection(area, &source, &adjusted, offset),
        ))
    }

    /// The pixels over canvas rectangle `area`: `after` where the selection covers them,
    /// `before` where it does not, blended where it is soft. `before` and `after` hold the
    /// area at `offset`.
    fn blend_by_selection(
        &self,
        area: Rect,
        before: &RgbaImage,
        after: &RgbaImage,
        (dx, dy): (u32, u32),
    ) -> RgbaImage {
        let selection = self.selection();
        RgbaImage::from_fn(area.width, area.height, |x, y| {
            let before = before.get_pixel(dx + x, dy + y);
            let after = after.get_pixel(dx + x, dy + y);
            let coverage = selection.map_or(255, |s| {
                s.get_pixel((area.x + x as i32) as u32, (area.y + y as i32) as u32)[0]
            });
            blend_pixel(before, after, coverage)
        })
    }

    /// Writes `filtered` (the pixels of [`Document::adjustment_area`] after a filter that ran
    /// outside the document, e.g. a plugin) on layer `id` inside the selection, as one history
    /// step named `name`. A locked layer or a wrong size is an error that changes nothing.
    pub fn apply_filtered_area(
        &mut self,
        id: LayerId,
        area: Rect,
        filtered: &RgbaImage,
        name: &str,
    ) -> Result<()> {
        self.layer(id)?.check_pixels_editable("filter it")?;
        if area != self.adjustment_area(id)? || filtered.dimensions() != (area.width, area.height) {
            return Err(Error::SizeMismatch(format!(
                "the filtered pixels ({}×{}) do not cover the area being filtered ({}×{} at \
                 {},{})",
                filtered.width(),
                filtered.height(),
                area.width,
                area.height,
                area.x,
                area.y
            )));
        }
        // The area before, blended, and history's copy.
        self.check_memory(name, memory::rgba8(area.width, area.height) * 3)?;
        let layer = self.layer(id)?;
        let bounds = layer.bounds();
        let before = crop(&layer.pixels, area.translated(-bounds.x, -bounds.y));
        let pixels = self.blend_by_selection(area, &before, filtered, (0, 0));
        self.paint_pixels(id, (area.x, area.y), &pixels, name)
    }

    /// Applies `adjustment` to layer `id` inside the selection (the whole
    /// layer without one) as one history step named after it ("Levels",
    /// "Gaussian Blur", …). A bad parameter, a locked layer or a selection
    /// that misses the layer is an error that changes nothing.
    pub async fn adjust_layer(
        &mut self,
        engine: &Engine,
        id: LayerId,
        adjustment: &Adjustment,
    ) -> Result<()> {
        self.layer(id)?.check_pixels_editable("adjust it")?;
        // The area before, adjusted, blended by the selection, and history's copy.
        let area = self.adjustment_area(id)?;
        self.check_memory(
            &format!("{} of {}×{}", adjustment.name(), area.width, area.height),
            memory::rgba8(area.width, area.height) * 4,
        )?;
        if let Some((area, pixels)) = self.adjust_held_copy(engine, id, adjustment).await? {
            let painted = self.paint_pixels(id, (area.x, area.y), &pixels, adjustment.name());
            match painted {
                Ok(()) => {
                    self.cache.held_copy_changed_too(id, area);
                }
                Err(_) => self.cache.held_copy_differs(id, area),
            }
            return painted;
        }
        let (area, pixels) = self.adjusted_area(engine, id, adjustment).await?;
        self.paint_pixels(id, (area.x, area.y), &pixels, adjustment.name())
    }

    /// Makes an adjustment of layer `id` in the copy of it held on the GPU
    /// for rendering, when that copy is current, and returns the pixels over
    /// [`Document::adjustment_area`] as they then are there (one read-back;
    /// only the selection's coverage goes up), for the caller to record.
    /// `None`, having done nothing, when there is no such copy (no GPU
    /// render held one, a stroke is open, the layer changed since) or a
    /// blur of the area would not fit there beside it
    /// ([`adjust::can_adjust_held`]).
    async fn adjust_held_copy(
        &mut self,
        engine: &Engine,
        id: LayerId,
        adjustment: &Adjustment,
    ) -> Result<Option<(Rect, RgbaImage)>> {
        adjustment.validate()?;
        let Some(gpu) = engine.gpu() else {
            return Ok(None);
        };
        if self.stroke.is_some() {
            return Ok(None);
        }
        let area = self.adjustment_area(id)?;
        let layer = self.layer(id)?;
        let Some(copy) = self.cache.current_held_copy(gpu, layer) else {
            return Ok(None);
        };
        let bounds = layer.bounds();
        let local = area.translated(-bounds.x, -bounds.y);
        let rows = local.y as u32..local.bottom() as u32;
        let size = layer.pixels.dimensions();
        if !adjust::can_adjust_held(gpu, adjustment, size, &rows) {
            return Ok(None);
        }
        // The whole rows go through the kernel; only the area's pixels change.
        let width = size.0;
        let mut coverage = GrayImage::new(width, rows.len() as u32);
        let (left, run) = (local.x as usize, local.width as usize);
        for (y, row) in coverage.chunks_exact_mut(width as usize).enumerate() {
            let covered = &mut row[left..left + run];
            match self.selection() {
                None => covered.fill(255),
                Some(s) => {
                    // The area lies on the canvas when there is a selection.
                    let start = (area.y as usize + y) * s.width() as usize + area.x as usize;
                    covered.copy_from_slice(&s.as_raw()[start..start + run]);
                }
            }
        }
        let adjusted =
            adjust::adjust_held_rows(gpu, copy.pixels(), size, rows, &coverage, adjustment).await;
        match adjusted {
            Ok(rows) => Ok(Some((
                area,
                crop(&rows, Rect::new(local.x, 0, local.width, local.height)),
            ))),
            Err(error) => {
                // What the copy holds there is unknown now.
                self.cache.held_copy_differs(id, area);
                Err(error)
            }
        }
    }

    /// What [`Document::adjust_layer`] would show, without changing the
    /// document: the canvas composite over the adjustment's area (its part
    /// on the canvas) with the adjusted layer in place. Returns that
    /// rectangle and its pixels.
    pub async fn preview_adjustment(
        &self,
        engine: &Engine,
        id: LayerId,
        adjustment: &Adjustment,
    ) -> Result<(Rect, RgbaImage)> {
        let (area, pixels) = self.adjusted_area(engine, id, adjustment).await?;
        let layer = self.layer(id)?;
        let bounds = layer.bounds();
        let mut props = layer.props.clone();
        props.offset = (area.x, area.y);
        let adjusted = Layer {
            text: None,
            id,
            props,
            pixels,
            mask: layer
                .mask
                .as_ref()
                .map(|m| crop(m, area.translated(-bounds.x, -bounds.y))),
        };
        let shown = self.canvas_part(area)?;
        let mut composite = RgbaImage::new(shown.width, shown.height);
        let layers = self
            .layers()
            .iter()
            .map(|l| if l.id == id { &adjusted } else { l });
        compose_layers_cpu(layers, &mut composite, (shown.x, shown.y), shown)?;
        Ok((shown, composite))
    }
}

/// `after` where the selection's `coverage` is full, `before` where it is none, blended where
/// it is soft (rounded).
pub(super) fn blend_pixel(
    before: &image::Rgba<u8>,
    after: &image::Rgba<u8>,
    coverage: u8,
) -> image::Rgba<u8> {
    match u32::from(coverage) {
        255 => *after,
        0 => *before,
        k => image::Rgba(std::array::from_fn(|c| {
            ((u32::from(before[c]) * (255 - k) + u32::from(after[c]) * k + 127) / 255) as u8
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::LayerProperties;
    use crate::ops::adjust::{adjust_cpu, GaussianBlur, Levels};
    use image::{GrayImage, Luma, Rgba};

    fn picture(width: u32, height: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, y| {
            Rgba([
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x ^ y) % 256) as u8,
                255,
            ])
        })
    }

    fn document(width: u32, height: u32) -> (Document, LayerId) {
        let mut doc = Document::new(width, height).unwrap();
        let id = doc
            .add_layer(
                LayerProperties::named("Photo"),
                picture(width, height),
                None,
                None,
            )
            .unwrap();
        (doc, id)
    }

    fn levels() -> Adjustment {
        Adjustment::Levels(Levels {
            input_black: 30.0,
            gamma: 1.7,
            output_white: 220.0,
            ..Levels::default()
        })
    }

    /// A soft selection: a 40×30 block, full inside x < 300, half from 300.
    fn selection(width: u32, height: u32) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| {
            let inside = (280..320).contains(&x) && (100..130).contains(&y);
            Luma([match (inside, x < 300) {
                (false, _) => 0,
                (true, true) => 255,
                (true, false) => 128,
            }])
        })
    }

    #[test]
    fn adjusts_inside_the_selection_in_one_step_and_undo_restores() {
        let engine = Engine::cpu();
        let (mut doc, id) = document(600, 400);
        doc.set_selection(Some(selection(600, 400)), "").unwrap();
        let before = doc.layer(id).unwrap().pixels.clone();
        let steps = doc.history().len();
        pollster::block_on(doc.adjust_layer(&engine, id, &levels())).unwrap();
        let whole = adjust_cpu(&before, &levels()).unwrap();
        let after = &doc.layer(id).unwrap().pixels;
        let coverage = selection(600, 400);
        for (x, y, p) in after.enumerate_pixels() {
            let (b, a) = (before.get_pixel(x, y), whole.get_pixel(x, y));
            match coverage.get_pixel(x, y)[0] {
                0 => assert_eq!(p, b, "{x},{y} outside must be bit-exact"),
                255 => assert_eq!(p, a, "{x},{y}"),
                k => {
                    let k = u32::from(k);
                    let mix = |c: usize| {
                        ((u32::from(b[c]) * (255 - k) + u32::from(a[c]) * k + 127) / 255) as u8
                    };
                    assert_eq!(p.0, [mix(0), mix(1), mix(2), mix(3)], "{x},{y}");
                }
            }
        }
        assert_eq!(doc.history().len(), steps + 1);
        assert_eq!(doc.history().items().last().unwrap().name, "Levels");
        // One 256×256 tile changed, not the 600×400 layer.
        assert!(doc.history().items().last().unwrap().bytes <= 2 * 256 * 256 * 4);
        assert_eq!(doc.undo().as_deref(), Some("Levels"));
        assert_eq!(doc.layer(id).unwrap().pixels, before);
    }

    /// An adjustment of a layer held on the GPU — a blur too — is made in
    /// the held copy: one read-back of its rows and nothing uploaded but the
    /// selection's coverage (and the adjustment's tables), nothing uploaded
    /// again by the next render — and the layer is what the same adjustment
    /// gives on the GPU without a held copy (exactly; a blur within 1, as it
    /// reads whole rows there, not the area's box) and on the CPU (±1, the
    /// unsharp mask's gain more), the held composite what a fresh upload of
    /// the layers gives, and undo brings the photograph back.
    #[test]
    #[cfg_attr(
        not(gpu_tests),
        ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
    )]
    fn an_adjustment_of_a_held_layer_is_made_in_its_copy() {
        use crate::doc::render::compose_with_engine;
        use crate::ops::adjust::{ColorBalance, HueSaturation, UnsharpMask};
        use crate::test_kit::{max_diff, photo, photo_mask};
        let gpu_engine = crate::engine::own_test_gpu_engine();
        let gpu = gpu_engine.gpu().expect("a GPU engine");
        let photograph = photo("coffee");
        let (width, height) = photograph.dimensions();
        // A soft, textured selection inside a box of the canvas.
        let selected = photo_mask(width, height);
        let selection = GrayImage::from_fn(width, height, |x, y| {
            let inside = (30..150).contains(&x) && (20..110).contains(&y);
            Luma([if inside {
                selected.get_pixel(x, y)[0]
            } else {
                0
            }])
        });
        let document = || {
            let mut doc = Document::new(width, height).unwrap();
            let background = doc
                .add_layer(
                    LayerProperties::named("Photo"),
                    photograph.clone(),
                    None,
                    None,
                )
                .unwrap();
            let props = LayerProperties {
                opacity: 0.5,
                offset: (40, 30),
                ..LayerProperties::named("Cat")
            };
            doc.add_layer(props, photo("chelsea"), None, None).unwrap();
            doc.set_selection(Some(selection.clone()), "").unwrap();
            (doc, background)
        };
        let adjustments = [
            levels(),
            Adjustment::HueSaturation(HueSaturation {
                hue: 40.0,
                saturation: -30.0,
                lightness: 10.0,
            }),
            Adjustment::ColorBalance(ColorBalance {
                shadows_cyan_red: 30.0,
                midtones_yellow_blue: -45.0,
                highlights_magenta_green: 20.0,
                preserve_luminosity: true,
                ..ColorBalance::default()
            }),
            Adjustment::GaussianBlur(GaussianBlur { sigma: 3.0 }),
            Adjustment::UnsharpMask(UnsharpMask {
                amount: 180.0,
                radius: 2.0,
                threshold: 0.0,
            }),
        ];
        let (mut held, id) = document();
        pollster::block_on(held.render_held(gpu)).unwrap();
        let (mut plain, _) = document();
        let (mut cpu, _) = document();
        let area = held.adjustment_area(id).unwrap();
        assert_eq!(area, Rect::new(30, 20, 120, 90));
        let layer = |doc: &Document| doc.layer(id).unwrap().pixels.clone();
        for adjustment in &adjustments {
            let name = adjustment.name();
            // Each compares one adjustment: the others start where it does.
            for doc in [&mut plain, &mut cpu] {
                doc.paint_pixels(id, (0, 0), &layer(&held), "As held")
                    .unwrap();
            }
            let (read_backs, uploaded) = (gpu.read_backs(), gpu.uploaded_bytes());
            pollster::block_on(held.adjust_layer(&gpu_engine, id, adjustment)).unwrap();
            assert_eq!(gpu.read_backs() - read_backs, 1, "{name}: one read-back");
            let coverage = u64::from(width * area.height);
            let uploaded = gpu.uploaded_bytes() - uploaded;
            assert!(
                (coverage..=coverage + 3 * 256 * 4).contains(&uploaded),
                "{name}: {uploaded} bytes uploaded, the coverage is {coverage}"
            );
            pollster::block_on(plain.adjust_layer(&gpu_engine, id, adjustment)).unwrap();
            pollster::block_on(cpu.adjust_layer(&Engine::cpu(), id, adjustment)).unwrap();
            let (exact, tolerance) = match adjustment {
                Adjustment::GaussianBlur(_) => (false, 1),
                Adjustment::UnsharpMask(u) => (false, 1 + (u.amount / 100.0).ceil() as u8),
                _ => (true, 1),
            };
            let from_plain = max_diff(&layer(&held), &layer(&plain));
            assert!(
                from_plain == 0 || !exact && from_plain <= tolerance,
                "{name}: {from_plain} from the layer without a held copy"
            );
            let from_cpu = max_diff(&layer(&held), &layer(&cpu));
            assert!(from_cpu <= tolerance, "{name}: {from_cpu} from the CPU's");
            assert!(
                max_diff(&layer(&held), &photograph) > 10,
                "{name}: it changed"
            );

            let uploaded = gpu.uploaded_bytes();
            pollster::block_on(held.render_held(gpu)).unwrap();
            // A row of the layer is 768 bytes; the compositor's options a few.
            let again = gpu.uploaded_bytes() - uploaded;
            assert!(again < 64, "{name}: {again} bytes uploaded again");
            let shown = pollster::block_on(held.held_canvas().unwrap().read_rows(gpu, 0..height));
            let fresh = pollster::block_on(compose_with_engine(&gpu_engine, &held.stack, None));
            assert!(
                shown.unwrap() == fresh.unwrap(),
                "{name}: the held copy is the layer"
            );
        }
        for _ in &adjustments {
            held.undo().unwrap();
        }
        assert!(held.layer(id).unwrap().pixels == photograph);
        pollster::block_on(held.render_held(gpu)).unwrap();
        let shown = pollster::block_on(held.held_canvas().unwrap().read_rows(gpu, 0..height));
        let fresh = pollster::block_on(compose_with_engine(&gpu_engine, &held.stack, None));
        assert!(
            shown.unwrap() == fresh.unwrap(),
            "undone: the held copy is the layer"
        );
    }

    #[test]
    fn a_blurred_selection_equals_the_whole_layers_blur_there() {
        let engine = Engine::cpu();
        let (mut doc, id) = document(200, 150);
        let blur = Adjustment::GaussianBlur(GaussianBlur { sigma: 3.0 });
        let whole = adjust_cpu(&doc.layer(id).unwrap().pixels, &blur).unwrap();
        let mask = GrayImage::from_fn(200, 150, |x, y| {
            Luma([if (60..120).contains(&x) && (40..90).contains(&y) {
                255
            } else {
                0
            }])
        });
        doc.set_selection(Some(mask), "").unwrap();
        pollster::block_on(doc.adjust_layer(&engine, id, &blur)).unwrap();
        let got = &doc.layer(id).unwrap().pixels;
        for y in 40..90 {
            for x in 60..120 {
                let (g, w) = (got.get_pixel(x, y), whole.get_pixel(x, y));
                for c in 0..4 {
                    assert!(g[c].abs_diff(w[c]) <= 1, "{x},{y}: {g:?} vs {w:?}");
                }
            }
        }
    }

    #[test]
    fn the_preview_shows_the_result_and_changes_nothing() {
        let engine = Engine::cpu();
        let (mut doc, id) = document(600, 400);
        doc.set_selection(Some(selection(600, 400)), "").unwrap();
        let steps = doc.history().len();
        let before = doc.layer(id).unwrap().pixels.clone();
        let (rect, preview) =
            pollster::block_on(doc.preview_adjustment(&engine, id, &levels())).unwrap();
        assert_eq!(rect, Rect::new(280, 100, 40, 30));
        assert_eq!(doc.history().len(), steps);
        assert_eq!(doc.layer(id).unwrap().pixels, before);
        pollster::block_on(doc.adjust_layer(&engine, id, &levels())).unwrap();
        let composite = doc.composite_cpu().unwrap();
        assert_eq!(preview, crop(composite, rect));
    }

    #[test]
    fn bad_input_changes_nothing() {
        let engine = Engine::cpu();
        let (mut doc, id) = document(64, 48);
        let steps = doc.history().len();
        let bad = Adjustment::GaussianBlur(GaussianBlur { sigma: -1.0 });
        match pollster::block_on(doc.adjust_layer(&engine, id, &bad)) {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "sigma"),
            other => panic!("{other:?}"),
        }
        assert!(pollster::block_on(doc.adjust_layer(&engine, 99, &levels())).is_err());
        // A selection that misses the layer.
        let small = doc
            .add_layer(LayerProperties::named("Small"), picture(8, 8), None, None)
            .unwrap();
        let mask = GrayImage::from_fn(64, 48, |x, _| Luma([if x > 40 { 255 } else { 0 }]));
        doc.set_selection(Some(mask), "").unwrap();
        let steps_now = doc.history().len();
        match pollster::block_on(doc.adjust_layer(&engine, small, &levels())) {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "selection"),
            other => panic!("{other:?}"),
        }
        assert_eq!(doc.history().len(), steps_now);
        assert_eq!(steps_now, steps + 2);
        let mut props = doc.layer(id).unwrap().props.clone();
        props.locked = true;
        doc.set_layer_properties(id, props).unwrap();
        assert!(pollster::block_on(doc.adjust_layer(&engine, id, &levels())).is_err());
    }
}
