//! Content-Aware Fill as a document command: the selection is filled from
//! the visible image ([`crate::ops::fill`]) and the result lands as a new
//! layer, the way provider fills do, in one history step.

use super::change::Change;
use super::{Document, Layer, LayerId, LayerProperties};
use crate::engine::Engine;
use crate::memory;
use crate::ops::fill::{fill, FillOptions};
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// The name of the layer (and of the history step) a fill adds.
pub const FILL_LAYER_NAME: &str = "Content-Aware Fill";

impl Document {
    /// Fills the selection from the visible image and adds the fill as a new
    /// top layer over the selection's box, its alpha scaled by the
    /// selection's coverage so a feathered edge blends and every unselected
    /// pixel of the composite stays bit-exact. `sample_area` (canvas-sized;
    /// coverage above 0 may be sampled) limits where texture comes from.
    /// The fill runs on `engine`'s backend. Returns the layer's id; without
    /// a selection, or on bad options, nothing changes.
    pub async fn content_aware_fill(
        &mut self,
        engine: &Engine,
        sample_area: Option<&GrayImage>,
        options: &FillOptions,
    ) -> Result<LayerId> {
        let hole = self
            .selection()
            .cloned()
            .ok_or_else(|| Error::param("selection", "select the region to fill first"))?;
        let bounds = self
            .selection_bounds()
            .ok_or_else(|| Error::param("selection", "the selection is empty"))?;
        // The composite's copy, the filled image, and the fill's working
        // planes (measured: about twice the image at 4096²).
        let (w, h) = (self.width(), self.height());
        self.check_memory("content-aware fill", memory::rgba8(w, h) * 4)?;
        let image = self.composite_cpu()?.clone();
        let filled = fill(engine, &image, &hole, sample_area, options).await?;
        let (x0, y0) = (bounds.x as u32, bounds.y as u32);
        let pixels = RgbaImage::from_fn(bounds.width, bounds.height, |x, y| {
            let mut p = *filled.image.get_pixel(x0 + x, y0 + y);
            let coverage = u32::from(hole.get_pixel(x0 + x, y0 + y).0[0]);
            p.0[3] = ((u32::from(p.0[3]) * coverage + 127) / 255) as u8;
            p
        });
        let props = LayerProperties {
            offset: (bounds.x, bounds.y),
            ..LayerProperties::named(FILL_LAYER_NAME)
        };
        let id = self.take_id();
        let index = self.layers().len();
        self.commit(
            FILL_LAYER_NAME,
            Change::Insert {
                index,
                layer: Box::new(Layer {
                    text: None,
                    id,
                    props,
                    pixels,
                    mask: None,
                }),
            },
        );
        let provenance = format!(
            r#"{{"operation":"content-aware-fill","patch":{},"seed":{},"colorAdaptation":"{}"}}"#,
            options.patch,
            options.seed,
            options.color_adaptation.name()
        );
        self.set_provenance(id, Some(provenance))?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn photo_document() -> (Document, RgbaImage) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/photos/chelsea.png");
        let bytes = std::fs::read(path).unwrap();
        let document = Document::from_image_file(&bytes).unwrap();
        let original = crate::image_io::decode_rgba(&bytes).unwrap();
        (document, original)
    }

    #[test]
    fn fill_adds_one_undoable_layer_and_leaves_unselected_pixels_exact() {
        let (mut document, original) = photo_document();
        let (w, h) = original.dimensions();
        // A feathered disc: soft coverage at the edge.
        let selection = GrayImage::from_fn(w, h, |x, y| {
            let d = ((x as f32 - 80.0).powi(2) + (y as f32 - 60.0).powi(2)).sqrt();
            Luma([((22.0 - d) / 4.0 * 255.0).clamp(0.0, 255.0) as u8])
        });
        document
            .set_selection(Some(selection.clone()), "Select")
            .unwrap();
        let steps = document.history().len();
        let options = FillOptions {
            patch: 7,
            seed: 9,
            ..FillOptions::default()
        };
        let id = pollster::block_on(document.content_aware_fill(&Engine::cpu(), None, &options))
            .unwrap();

        let layer = document.layer(id).unwrap().clone();
        assert_eq!(layer.props.name, FILL_LAYER_NAME);
        assert_eq!(document.history().len(), steps + 1);
        assert_eq!(
            document.history().items().last().unwrap().name,
            FILL_LAYER_NAME
        );
        assert!(document.provenance(id).unwrap().contains("\"seed\":9"));
        let composite = document.composite_cpu().unwrap().clone();
        let mut changed = 0;
        for (x, y, p) in composite.enumerate_pixels() {
            if selection[(x, y)][0] == 0 {
                assert_eq!(p, original.get_pixel(x, y), "({x}, {y}) is unselected");
            } else if selection[(x, y)][0] == 255 {
                changed += usize::from(p != original.get_pixel(x, y));
            }
        }
        assert!(changed > 500, "{changed} fully selected pixels changed");
        // The layer holds exactly the kernel's fill under the coverage.
        let image = document.layer(1).unwrap().pixels.clone();
        let want = crate::ops::fill::fill_cpu(&image, &selection, None, &options)
            .unwrap()
            .image;
        let (ox, oy) = layer.props.offset;
        assert_eq!(
            layer.pixels.get_pixel(80 - ox as u32, 60 - oy as u32),
            want.get_pixel(80, 60)
        );

        assert_eq!(document.undo().as_deref(), Some(FILL_LAYER_NAME));
        assert_eq!(document.layers().len(), 1);
        assert_eq!(document.composite_cpu().unwrap(), &original);
    }

    #[test]
    fn fill_without_a_selection_changes_nothing() {
        let (mut document, _) = photo_document();
        let cpu = Engine::cpu();
        let err =
            pollster::block_on(document.content_aware_fill(&cpu, None, &FillOptions::default()))
                .unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { ref name, .. } if name == "selection"));
        let (w, h) = (document.width(), document.height());
        let mut selection = GrayImage::new(w, h);
        selection.put_pixel(10, 10, Luma([255]));
        document.set_selection(Some(selection), "Select").unwrap();
        let steps = document.history().len();
        let bad = FillOptions {
            patch: 4,
            seed: 0,
            ..FillOptions::default()
        };
        let err = pollster::block_on(document.content_aware_fill(&cpu, None, &bad)).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { ref name, .. } if name == "patch"));
        assert_eq!(document.history().len(), steps);
        assert_eq!(document.layers().len(), 1);
    }
}
