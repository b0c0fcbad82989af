//! Free Transform of a layer (Ctrl+T): its pixels and its mask rendered
//! under an affine map by [`crate::ops::transform`] (the only await), then
//! swapped in as one history step, so a failure changes nothing and one
//! undo restores the layer bit-exactly.
//!
//! The result is clipped to the canvas: a layer enlarged 8× would otherwise
//! hold 64 times its pixels where nobody can see them.

use super::change::Change;
use super::layer::{Layer, LayerId, LayerProperties};
use super::render::Preview;
use super::{Document, Rect};
use crate::engine::Engine;
use crate::memory;
use crate::ops::transform::{self, Affine, Area, Resampler};
use crate::{Error, Result};
use image::{GrayImage, Luma, Rgba, RgbaImage};

impl Document {
    /// The canvas rectangle layer `id` covers under `map` (from the layer's
    /// own pixel coordinates to the canvas), clipped to the canvas.
    pub fn transformed_bounds(&self, id: LayerId, map: &Affine) -> Result<Rect> {
        let layer = self.layer(id)?;
        let area = self.transformed_area(layer.pixels.dimensions(), map, "layer")?;
        Ok(Rect::new(area.x, area.y, area.width, area.height))
    }

    /// The canvas rectangle a `size` image covers under `map`, clipped to
    /// the canvas; `what` names it when it lies off the canvas.
    fn transformed_area(&self, size: (u32, u32), map: &Affine, what: &str) -> Result<Area> {
        map.validate()?;
        let (left, top, right, bottom) = map.bounds_of(size.0, size.1);
        let canvas = Rect::new(0, 0, self.width(), self.height());
        // Clamped before the cast: a far-off corner must not wrap around.
        let clip = |v: f64, hi: u32| v.clamp(-1.0, f64::from(hi) + 1.0) as i32;
        let (x0, y0) = (clip(left, self.width()), clip(top, self.height()));
        let (x1, y1) = (clip(right, self.width()), clip(bottom, self.height()));
        let rect = Rect::new(x0, y0, (x1 - x0).max(0) as u32, (y1 - y0).max(0) as u32)
            .intersect(&canvas)
            .ok_or_else(|| {
                Error::param(
                    "matrix",
                    format!("the transformed {what} would lie entirely off the canvas"),
                )
            })?;
        Ok(Area {
            x: rect.x,
            y: rect.y,
            width: rect.width,
            height: rect.height,
        })
    }

    /// Transforms layer `id` by `map` (from the layer's own pixel
    /// coordinates to canvas coordinates; a layer at offset (x, y) is left
    /// where it is by `translate(x, y)`) with `resampler`, as one history
    /// step "Free Transform". Its mask moves with it. A locked layer, a bad
    /// map or a result off the canvas is an error that changes nothing.
    pub async fn transform_layer(
        &mut self,
        engine: &Engine,
        id: LayerId,
        map: &Affine,
        resampler: Resampler,
    ) -> Result<()> {
        let layer = self.layer(id)?;
        layer.check_unlocked("transform it")?;
        if layer.text.is_some() {
            return self.transform_text_layer(id, map);
        }
        let area = self.transformed_area(layer.pixels.dimensions(), map, "layer")?;
        // The result; with a mask, also its RGBA copy and that moved.
        let (w, h) = layer.pixels.dimensions();
        let result = memory::rgba8(area.width, area.height);
        let mask = match layer.mask {
            Some(_) => memory::rgba8(w, h) + result,
            None => 0,
        };
        self.check_memory("the transform", result + mask)?;
        let layer = self.layer(id)?;
        let pixels = transform::transform(engine, &layer.pixels, map, area, resampler).await?;
        let mask = match &layer.mask {
            Some(mask) => {
                let as_rgba = RgbaImage::from_fn(mask.width(), mask.height(), |x, y| {
                    let v = mask.get_pixel(x, y)[0];
                    Rgba([v, v, v, 255])
                });
                let moved = transform::transform(engine, &as_rgba, map, area, resampler).await?;
                Some(GrayImage::from_fn(area.width, area.height, |x, y| {
                    Luma([moved.get_pixel(x, y)[0]])
                }))
            }
            None => None,
        };
        let changes = self.replacement(id, (area.x, area.y), pixels, mask)?;
        self.commit("Free Transform", Change::Batch(changes));
        Ok(())
    }
}

impl Document {
    /// The changes that put `pixels` and `mask` at `offset` in place of
    /// layer `id`'s, its other properties kept.
    fn replacement(
        &self,
        id: LayerId,
        offset: (i32, i32),
        pixels: RgbaImage,
        mask: Option<GrayImage>,
    ) -> Result<Vec<Change>> {
        let index = self.index_of(id)?;
        let layer = Layer {
            text: None,
            id,
            props: LayerProperties {
                offset,
                ..self.layer(id)?.props.clone()
            },
            pixels,
            mask,
        };
        Ok(vec![
            Change::Remove { index },
            Change::Insert {
                index,
                layer: Box::new(layer),
            },
        ])
    }
}

/// The selected part of a layer, lifted out of it (see [`transform::float`]).
struct Lifted {
    /// Where the float lies on the canvas (the selection's box on the layer).
    rect: Rect,
    float: RgbaImage,
    /// The layer's pixels with the hole the float leaves.
    holed: RgbaImage,
    /// The selection over `rect`.
    selection: GrayImage,
}

impl Document {
    /// Lifts the selected pixels of layer `id` (see [`transform::float`]).
    fn lift_selection(&self, id: LayerId) -> Result<Lifted> {
        let layer = self.layer(id)?;
        let rect = self.selected_on(id)?;
        let selection = self
            .selection_over(rect)
            .ok_or_else(|| Error::param("selection", "nothing is selected on this layer"))?;
        let at = (
            (rect.x - layer.bounds().x) as u32,
            (rect.y - layer.bounds().y) as u32,
        );
        let (float, holed) = transform::float::lift(&layer.pixels, at, &selection);
        Ok(Lifted {
            rect,
            float,
            holed,
            selection,
        })
    }

    /// The canvas rectangle of the selection's box on layer `id`.
    fn selected_on(&self, id: LayerId) -> Result<Rect> {
        let nothing = || Error::param("selection", "nothing is selected on this layer");
        let selected = self.selection_bounds().ok_or_else(nothing)?;
        selected
            .intersect(&self.layer(id)?.bounds())
            .ok_or_else(nothing)
    }

    /// The floating selection of layer `id` for a preview: its canvas
    /// rectangle and its pixels (selection-weighted alpha), as
    /// [`Document::transform_selection`] moves them. Nothing selected on
    /// the layer is an error.
    pub fn selection_float(&self, id: LayerId) -> Result<(Rect, RgbaImage)> {
        let lifted = self.lift_selection(id)?;
        Ok((lifted.rect, lifted.float))
    }

    /// Shows layer `id` in the composite with the hole its floating
    /// selection leaves while a tool draws the float elsewhere (display
    /// only: exports and history are unaffected); `None` shows every layer
    /// as it is. Any edit ends the preview.
    pub fn set_preview_float(&mut self, id: Option<LayerId>) -> Result<()> {
        let preview = match id {
            Some(id) => {
                let lifted = self.lift_selection(id)?;
                let layer = self.layer(id)?;
                Some(Preview::StandIn(Box::new(Layer {
                    pixels: lifted.holed,
                    ..layer.clone()
                })))
            }
            None => None,
        };
        self.set_preview(preview);
        Ok(())
    }

    /// Free Transform of the selected pixels of layer `id` (Ctrl+T with a
    /// selection), as one history step "Free Transform": the float (see
    /// [`transform::float`]) is resampled by `map` (from the float's own
    /// pixel coordinates to the canvas: `translate(x, y)` of the selection's
    /// box on the layer leaves it in place, and then nothing happens) with
    /// `resampler`, as a layer is, and dropped source-over onto the layer
    /// with the hole it left; the selection follows the float. Every layer
    /// has alpha here, the "Background" too, so the hole is transparent
    /// (Photoshop fills a background layer's hole with the background
    /// colour; a transparent hole shows what is below and takes any fill).
    /// The layer grows to hold the float where it lands on the canvas off
    /// the layer; its mask stays where it is (grown, it reveals). Pixels
    /// outside the selection and the transformed float stay bit-exact.
    /// Nothing selected on the layer, a locked layer, a bad map or a float
    /// moved off the canvas is an error that changes nothing.
    pub async fn transform_selection(
        &mut self,
        engine: &Engine,
        id: LayerId,
        map: &Affine,
        resampler: Resampler,
    ) -> Result<()> {
        self.layer(id)?.check_pixels_editable("transform it")?;
        let rect = self.selected_on(id)?;
        map.validate()?;
        if *map == Affine::translate(f64::from(rect.x), f64::from(rect.y)) {
            return Ok(());
        }
        let area = self.transformed_area((rect.width, rect.height), map, "selection")?;
        // Checked before lifting, which copies the whole layer: the float,
        // the layer with its hole, the selection over the box, the coverage,
        // both moved, the new selection, and the new layer (and mask) with
        // the float dropped in (benchmarked in `bench_doc_memory`).
        let layer = self.layer(id)?;
        let (lw, lh) = layer.pixels.dimensions();
        let landed = layer
            .bounds()
            .union(&Rect::new(area.x, area.y, area.width, area.height));
        let new_mask = match layer.mask {
            Some(_) => memory::gray8(landed.width, landed.height),
            None => 0,
        };
        self.check_memory(
            "the transform",
            memory::rgba8(rect.width, rect.height) * 2
                + memory::gray8(rect.width, rect.height)
                + memory::rgba8(lw, lh)
                + memory::rgba8(area.width, area.height) * 2
                + memory::gray8(self.width(), self.height())
                + memory::rgba8(landed.width, landed.height)
                + new_mask,
        )?;
        let lifted = self.lift_selection(id)?;
        let moved = transform::transform(engine, &lifted.float, map, area, resampler).await?;
        let coverage = RgbaImage::from_fn(rect.width, rect.height, |x, y| {
            Rgba([255, 255, 255, lifted.selection.get_pixel(x, y)[0]])
        });
        let moved_coverage = transform::transform(engine, &coverage, map, area, resampler).await?;
        let mut selection = GrayImage::new(self.width(), self.height());
        for (x, y, pixel) in moved_coverage.enumerate_pixels() {
            let (cx, cy) = (area.x as u32 + x, area.y as u32 + y);
            selection.put_pixel(cx, cy, Luma([pixel[3]]));
        }

        let layer = self.layer(id)?;
        let old = layer.bounds();
        let landed = Rect::new(area.x, area.y, area.width, area.height);
        let bounds = old.union(&landed);
        let (dx, dy) = ((old.x - bounds.x) as u32, (old.y - bounds.y) as u32);
        let mut pixels = RgbaImage::new(bounds.width, bounds.height);
        image::imageops::replace(&mut pixels, &lifted.holed, i64::from(dx), i64::from(dy));
        let at = (i64::from(area.x - bounds.x), i64::from(area.y - bounds.y));
        transform::float::drop_onto(&mut pixels, &moved, at);
        let mask = layer.mask.as_ref().map(|mask| {
            if bounds == old {
                return mask.clone();
            }
            let mut grown = GrayImage::from_pixel(bounds.width, bounds.height, Luma([255]));
            image::imageops::replace(&mut grown, mask, i64::from(dx), i64::from(dy));
            grown
        });
        let mut changes = self.replacement(id, (bounds.x, bounds.y), pixels, mask)?;
        changes.extend(self.selection_change(Some(selection)));
        self.commit("Free Transform", Change::Batch(changes));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_kit::photo;

    fn document() -> (Document, LayerId) {
        let mut doc = Document::new(300, 200).unwrap();
        let props = LayerProperties {
            offset: (20, 10),
            ..LayerProperties::named("Photo")
        };
        let id = doc.add_layer(props, photo("chelsea"), None, None).unwrap();
        (doc, id)
    }

    #[test]
    fn one_step_that_undo_takes_back_bit_exactly() {
        let engine = Engine::cpu();
        let (mut doc, id) = document();
        let before = doc.layer(id).unwrap().clone();
        let steps = doc.history().len();
        let map = Affine::translate(150.0, 20.0).after(&Affine::rotate_degrees(25.0));
        pollster::block_on(doc.transform_layer(&engine, id, &map, Resampler::Bicubic)).unwrap();
        assert_eq!(doc.history().len(), steps + 1);
        assert_eq!(doc.history().items().last().unwrap().name, "Free Transform");
        let after = doc.layer(id).unwrap().clone();
        assert_ne!(after.pixels, before.pixels);
        let bounds = after.bounds();
        assert!(
            bounds.x >= 0 && bounds.right() <= 300 && bounds.bottom() <= 200,
            "{bounds:?}"
        );
        doc.undo();
        assert_eq!(doc.layer(id).unwrap(), &before);
        doc.redo();
        assert_eq!(doc.layer(id).unwrap(), &after);
    }

    #[test]
    fn the_mask_moves_with_the_layer_and_the_result_is_clipped_to_the_canvas() {
        let engine = Engine::cpu();
        let (mut doc, id) = document();
        let (w, h) = (192, 144);
        let mask = GrayImage::from_fn(w, h, |x, _| Luma([if x < 96 { 255 } else { 0 }]));
        doc.add_layer_mask(id, Some(mask.clone())).unwrap();
        // A whole-pixel move: pixels and mask are copied exactly.
        let map = Affine::translate(27.0, 33.0);
        pollster::block_on(doc.transform_layer(&engine, id, &map, Resampler::Bicubic)).unwrap();
        let layer = doc.layer(id).unwrap();
        assert_eq!(layer.props.offset, (27, 33));
        assert_eq!(layer.mask.as_ref().unwrap(), &mask);
        assert_eq!(layer.pixels, photo("chelsea"));
        // Three times larger: the layer keeps only what lies on the canvas.
        let map = Affine::translate(-10.0, -10.0).after(&Affine::scale(3.0, 3.0));
        pollster::block_on(doc.transform_layer(&engine, id, &map, Resampler::Bicubic)).unwrap();
        let layer = doc.layer(id).unwrap();
        assert_eq!(layer.bounds(), Rect::new(0, 0, 300, 200));
        let mask = layer.mask.as_ref().unwrap();
        assert_eq!(mask.get_pixel(100, 100)[0], 255);
        assert_eq!(mask.get_pixel(299, 100)[0], 0);
    }

    #[test]
    fn bad_requests_change_nothing() {
        let engine = Engine::cpu();
        let (mut doc, id) = document();
        let before = doc.layer(id).unwrap().clone();
        let steps = doc.history().len();
        let off = Affine::translate(5000.0, 0.0);
        let flat = Affine::scale(0.0, 1.0);
        for (map, words) in [(off, "off the canvas"), (flat, "flat")] {
            let err =
                pollster::block_on(doc.transform_layer(&engine, id, &map, Resampler::Bicubic))
                    .unwrap_err()
                    .to_string();
            assert!(err.contains(words), "{err}");
        }
        let mut props = before.props.clone();
        props.locked = true;
        doc.set_layer_properties(id, props).unwrap();
        let err = pollster::block_on(doc.transform_layer(
            &engine,
            id,
            &Affine::IDENTITY,
            Resampler::Bicubic,
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("locked"), "{err}");
        assert_eq!(doc.layer(id).unwrap().pixels, before.pixels);
        assert_eq!(doc.history().len(), steps + 1);
    }

    /// A photograph on a 300×200 canvas at (20, 10), with a feathered
    /// ellipse selected over its middle.
    fn with_soft_selection() -> (Document, LayerId, GrayImage) {
        let (mut doc, id) = document();
        let selection = GrayImage::from_fn(300, 200, |x, y| {
            let (dx, dy) = ((x as f64 - 100.0) / 40.0, (y as f64 - 80.0) / 30.0);
            let r = (dx * dx + dy * dy).sqrt();
            Luma([((1.2 - r) / 0.4 * 255.0).clamp(0.0, 255.0).round() as u8])
        });
        doc.set_selection(Some(selection.clone()), "").unwrap();
        (doc, id, selection)
    }

    #[test]
    fn a_floating_selection_moves_only_the_selected_pixels_as_one_step() {
        let engine = Engine::cpu();
        let (mut doc, id, selection) = with_soft_selection();
        let before = doc.layer(id).unwrap().clone();
        let steps = doc.history().position();
        let (rect, float) = doc.selection_float(id).unwrap();
        assert_eq!(Some(rect), doc.selection_bounds());
        // Selection-weighted alpha: soft at the edge, whole inside.
        let at = |x: i32, y: i32| float.get_pixel((x - rect.x) as u32, (y - rect.y) as u32);
        assert_eq!(at(100, 80), before.pixels.get_pixel(80, 70));
        let s = u32::from(selection.get_pixel(140, 80)[0]);
        assert!(s > 0 && s < 255, "{s}");
        assert_eq!(
            u32::from(at(140, 80)[3]),
            (u32::from(before.pixels.get_pixel(120, 70)[3]) * s + 127) / 255
        );
        // Rotated by 30° and moved: the hole stays, the float lands on the layer.
        let map = Affine::translate(f64::from(rect.x) + 60.0, f64::from(rect.y) - 10.0)
            .after(&Affine::rotate_degrees(30.0));
        let area = doc
            .transformed_area((rect.width, rect.height), &map, "selection")
            .unwrap();
        let moved = pollster::block_on(transform::transform(
            &engine,
            &float,
            &map,
            area,
            Resampler::Bicubic,
        ))
        .unwrap();
        let moved_at = |cx: u32, cy: u32| {
            let (x, y) = (cx as i32 - area.x, cy as i32 - area.y);
            let inside = x >= 0 && y >= 0 && (x as u32) < area.width && (y as u32) < area.height;
            inside.then(|| *moved.get_pixel(x as u32, y as u32))
        };
        pollster::block_on(doc.transform_selection(&engine, id, &map, Resampler::Bicubic)).unwrap();
        assert_eq!(doc.history().position(), steps + 1);
        assert_eq!(doc.history().items()[steps].name, "Free Transform");
        let after = doc.layer(id).unwrap().clone();
        assert_eq!(
            after.bounds(),
            before.bounds(),
            "the float landed on the layer"
        );
        let (mut outside, mut hole) = (0, 0);
        for (x, y, p) in after.pixels.enumerate_pixels() {
            let (cx, cy) = (x + 20, y + 10);
            let s = selection.get_pixel(cx, cy)[0];
            let under_float = moved_at(cx, cy).is_some_and(|m| m[3] > 0);
            let old = before.pixels.get_pixel(x, y);
            if s == 0 && !under_float {
                assert_eq!(p, old, "({cx}, {cy}) changed");
                outside += 1;
            } else if s == 255 && !under_float {
                assert_eq!(p[3], 0, "({cx}, {cy}): the hole is transparent");
                hole += 1;
            }
        }
        assert!(outside > 10_000 && hole > 500, "{outside} {hole}");
        // Where the float is opaque, it replaces the layer.
        let (fx, fy) = map.apply((f64::from(rect.width) / 2.0, f64::from(rect.height) / 2.0));
        let (cx, cy) = (fx.round() as u32, fy.round() as u32);
        let landed = moved_at(cx, cy).unwrap();
        assert_eq!(landed[3], 255);
        assert_eq!(after.pixels.get_pixel(cx - 20, cy - 10), &landed);
        // The selection follows the float.
        let moved_selection = doc.selection().unwrap();
        assert!(selection.get_pixel(65, 80)[0] > 200);
        assert_eq!(moved_selection.get_pixel(65, 80)[0], 0);
        assert_eq!(moved_selection.get_pixel(cx, cy)[0], 255);
        // One undo brings back the layer and the selection bit-exactly.
        assert_eq!(doc.undo().as_deref(), Some("Free Transform"));
        assert_eq!(doc.layer(id).unwrap(), &before);
        assert_eq!(doc.selection().unwrap(), &selection);
        doc.redo();
        assert_eq!(doc.layer(id).unwrap(), &after);
    }

    #[test]
    fn the_float_preview_shows_the_hole_and_cancelling_leaves_everything_bit_exact() {
        let (mut doc, id, selection) = with_soft_selection();
        let before = doc.layer(id).unwrap().clone();
        let composite = doc.composite_cpu().unwrap().clone();
        let steps = doc.history().len();
        doc.set_preview_float(Some(id)).unwrap();
        doc.render_cpu().unwrap();
        let shown = doc.rendered().unwrap();
        assert_eq!(shown.get_pixel(100, 80)[3], 0, "the hole shows");
        assert_eq!(shown.get_pixel(250, 150), composite.get_pixel(250, 150));
        assert_eq!(selection.get_pixel(250, 150)[0], 0);
        // Esc: the preview goes, nothing changed.
        doc.set_preview_float(None).unwrap();
        doc.render_cpu().unwrap();
        assert_eq!(doc.rendered().unwrap(), &composite);
        assert_eq!(doc.layer(id).unwrap(), &before);
        assert_eq!(doc.history().len(), steps);
    }

    #[test]
    fn the_layer_grows_to_hold_the_float_and_bad_requests_change_nothing() {
        let engine = Engine::cpu();
        let (mut doc, id) = document();
        let steps = doc.history().len();
        // Nothing selected.
        let err = pollster::block_on(doc.transform_selection(
            &engine,
            id,
            &Affine::IDENTITY,
            Resampler::Bicubic,
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("nothing is selected"), "{err}");
        let selection = GrayImage::from_fn(300, 200, |x, y| {
            Luma([if (30..60).contains(&x) && (20..50).contains(&y) {
                255
            } else {
                0
            }])
        });
        doc.set_selection(Some(selection), "").unwrap();
        let before = doc.layer(id).unwrap().clone();
        let steps = steps + 1;
        for (map, words) in [
            (Affine::translate(5000.0, 0.0), "off the canvas"),
            (Affine::scale(0.0, 1.0), "flat"),
        ] {
            let err =
                pollster::block_on(doc.transform_selection(&engine, id, &map, Resampler::Bicubic))
                    .unwrap_err()
                    .to_string();
            assert!(err.contains(words), "{err}");
        }
        // In place: nothing to do, nothing recorded.
        pollster::block_on(doc.transform_selection(
            &engine,
            id,
            &Affine::translate(30.0, 20.0),
            Resampler::Bicubic,
        ))
        .unwrap();
        assert_eq!(doc.history().len(), steps);
        assert_eq!(doc.layer(id).unwrap(), &before);
        // Moved by whole pixels to the canvas's left of the layer: the layer
        // grows to (0, 10) and the float is an exact copy.
        pollster::block_on(doc.transform_selection(
            &engine,
            id,
            &Affine::translate(0.0, 20.0),
            Resampler::Bicubic,
        ))
        .unwrap();
        let after = doc.layer(id).unwrap();
        assert_eq!(after.bounds(), Rect::new(0, 10, 212, 144));
        for y in 20..50 {
            for x in 0..30 {
                let from = before.pixels.get_pixel(x + 10, y - 10);
                assert_eq!(after.pixels.get_pixel(x, y - 10), from, "({x}, {y})");
            }
        }
        assert_eq!(after.pixels.get_pixel(50, 20)[3], 0, "the hole");
        assert_eq!(
            after.pixels.get_pixel(100, 100),
            before.pixels.get_pixel(80, 100)
        );
    }
}
