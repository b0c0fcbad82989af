//! Free Transform of a layer (Ctrl+T): its pixels and its mask rendered
//! under an affine map by [`crate::ops::transform`] (the only await), then
//! swapped in as one history step, so a failure changes nothing and one
//! undo restores the layer bit-exactly.
//!
//! The result is clipped to the canvas: a layer enlarged 8× would otherwise
//! hold 64 times its pixels where nobody can see them.

use super::change::Change;
use super::layer::{Layer, LayerId, LayerProperties};
use super::{Document, Rect};
use crate::engine::Engine;
use crate::ops::transform::{self, Affine, Area, Resampler};
use crate::{Error, Result};
use image::{GrayImage, Luma, Rgba, RgbaImage};

impl Document {
    /// The canvas rectangle layer `id` covers under `map` (from the layer's
    /// own pixel coordinates to the canvas), clipped to the canvas.
    pub fn transformed_bounds(&self, id: LayerId, map: &Affine) -> Result<Rect> {
        map.validate()?;
        let layer = self.layer(id)?;
        let (left, top, right, bottom) = map.bounds_of(layer.pixels.width(), layer.pixels.height());
        let canvas = Rect::new(0, 0, self.width(), self.height());
        // Clamped before the cast: a far-off corner must not wrap around.
        let clip = |v: f64, hi: u32| v.clamp(-1.0, f64::from(hi) + 1.0) as i32;
        let (x0, y0) = (clip(left, self.width()), clip(top, self.height()));
        let (x1, y1) = (clip(right, self.width()), clip(bottom, self.height()));
        Rect::new(x0, y0, (x1 - x0).max(0) as u32, (y1 - y0).max(0) as u32)
            .intersect(&canvas)
            .ok_or_else(|| {
                Error::param(
                    "matrix",
                    "the transformed layer would lie entirely off the canvas",
                )
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
        let bounds = self.transformed_bounds(id, map)?;
        let area = Area {
            x: bounds.x,
            y: bounds.y,
            width: bounds.width,
            height: bounds.height,
        };
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
        let index = self.index_of(id)?;
        let layer = self.layer(id)?;
        let moved = Layer {
            id,
            props: LayerProperties {
                offset: (area.x, area.y),
                ..layer.props.clone()
            },
            pixels,
            mask,
        };
        self.commit(
            "Free Transform",
            Change::Batch(vec![
                Change::Remove { index },
                Change::Insert {
                    index,
                    layer: Box::new(moved),
                },
            ]),
        );
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
}
