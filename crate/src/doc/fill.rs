//! Content-Aware Fill as a document command: the selection is filled from
//! the visible image ([`crate::ops::fill`]) and the result lands as a new
//! layer, the way provider fills do, in one history step.

use super::change::Change;
use super::render::crop;
use super::{Document, Layer, LayerId, LayerProperties, Rect};
use crate::engine::Engine;
use crate::memory;
use crate::ops::fill::{fill, working_window, FillOptions};
use crate::ops::select::covered_box;
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
    /// The fill runs on `engine`'s backend, reading only its window of the
    /// composite. Returns the layer's id; without a selection, or on bad
    /// options, nothing changes.
    pub async fn content_aware_fill(
        &mut self,
        engine: &Engine,
        sample_area: Option<&GrayImage>,
        options: &FillOptions,
    ) -> Result<LayerId> {
        let selection = self
            .selection()
            .ok_or_else(|| Error::param("selection", "select the region to fill first"))?;
        // Only the fill's window of the composite and the masks is read, so
        // nothing canvas-sized is composed or copied.
        let window = working_window(
            (self.width(), self.height()),
            selection,
            sample_area,
            options,
        )?;
        let area = Rect::new(
            window.x as i32,
            window.y as i32,
            window.width,
            window.height,
        );
        // The window's composite, the filled window, the fill's working
        // planes (measured: about twice the image at 4096²) and the masks.
        let (w, h) = (window.width, window.height);
        self.check_memory(
            "content-aware fill",
            memory::rgba8(w, h) * 4 + memory::gray8(w, h) * 2,
        )?;
        let hole = crop(selection, area);
        let sample_area = sample_area.map(|a| crop(a, area));
        // The selection's box within the window (the window checked it is not empty).
        let (x0, y0, width, height) = covered_box(&hole).expect("the window holds the selection");
        self.set_preview_hidden(None)?;
        let image = self.composite_area(area)?;
        let filled = fill(engine, &image, &hole, sample_area.as_ref(), options).await?;
        let pixels = RgbaImage::from_fn(width, height, |x, y| {
            let mut p = *filled.image.get_pixel(x0 + x, y0 + y);
            let coverage = u32::from(hole.get_pixel(x0 + x, y0 + y).0[0]);
            p.0[3] = ((u32::from(p.0[3]) * coverage + 127) / 255) as u8;
            p
        });
        let props = LayerProperties {
            offset: (area.x + x0 as i32, area.y + y0 as i32),
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
        // The layer holds exactly the kernel's fill of the whole image (the
        // document hands it the fill's window only) under the coverage.
        let image = document.layer(1).unwrap().pixels.clone();
        let want = crate::ops::fill::fill_cpu(&image, &selection, None, &options).unwrap();
        assert_layer_is_the_fill(&layer, &want.image, &selection);

        assert_eq!(document.undo().as_deref(), Some(FILL_LAYER_NAME));
        assert_eq!(document.layers().len(), 1);
        assert_eq!(document.composite_cpu().unwrap(), &original);
    }

    /// Asserts that `layer` holds `filled` (canvas-sized) under the
    /// coverage of `selection`, pixel for pixel over the layer.
    fn assert_layer_is_the_fill(layer: &Layer, filled: &RgbaImage, selection: &GrayImage) {
        let (ox, oy) = (layer.props.offset.0 as u32, layer.props.offset.1 as u32);
        for (x, y, got) in layer.pixels.enumerate_pixels() {
            let (cx, cy) = (ox + x, oy + y);
            let mut want = *filled.get_pixel(cx, cy);
            let coverage = u32::from(selection.get_pixel(cx, cy).0[0]);
            want.0[3] = ((u32::from(want.0[3]) * coverage + 127) / 255) as u8;
            assert_eq!(*got, want, "({cx}, {cy})");
        }
    }

    /// A soft disc of radius `r` at (`cx`, `cy`) on a `w`×`h` canvas.
    fn soft_disc((w, h): (u32, u32), (cx, cy): (f32, f32), r: f32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            Luma([((r - d) / 4.0 * 255.0).clamp(0.0, 255.0) as u8])
        })
    }

    /// The fill reads its window of the layers as they are now (a stroke
    /// just painted beside the hole, the cached composite stale), with and
    /// without a sampling area, and fits a budget the whole canvas's copies
    /// would pass: the fill of a blemish in a large document is not refused
    /// for the document's size.
    #[test]
    fn a_fill_reads_its_window_of_the_current_layers_within_a_small_budget() {
        let cpu = Engine::cpu();
        let (w, h) = (960, 640);
        let selection = soft_disc((w, h), (610.0, 300.0), 24.0);
        let sample_area = GrayImage::from_fn(w, h, |x, y| {
            Luma([if (480..560).contains(&x) && (200..420).contains(&y) {
                255
            } else {
                0
            }])
        });
        for area in [None, Some(&sample_area)] {
            let mut document = crate::doc::tests::sample_photo();
            let bokeh = document.layers()[1].id;
            pollster::block_on(document.render(&cpu)).unwrap();
            let dab = RgbaImage::from_fn(40, 40, |x, y| {
                image::Rgba([250, (x * 6) as u8, (y * 6) as u8, 255])
            });
            document
                .paint_pixels(bokeh, (540, 280), &dab, "Dab")
                .unwrap();
            document
                .set_selection(Some(selection.clone()), "Select")
                .unwrap();
            let before =
                crate::doc::render::compose_area(&document.stack, Rect::new(0, 0, w, h)).unwrap();
            let options = FillOptions {
                seed: 5,
                ..FillOptions::default()
            };
            // Less than the canvas-sized composite, its filled copy and the
            // working planes (four canvases) the fill used to claim.
            let budget = document.memory_held() + memory::BASE_BYTES + memory::rgba8(w, h) * 2;
            let id = memory::with_budget(budget, || {
                pollster::block_on(document.content_aware_fill(&cpu, area, &options))
            })
            .unwrap();
            let want = crate::ops::fill::fill_cpu(&before, &selection, area, &options).unwrap();
            let layer = document.layer(id).unwrap().clone();
            assert_layer_is_the_fill(&layer, &want.image, &selection);
            let after = document.composite_cpu().unwrap();
            for (x, y, p) in after.enumerate_pixels() {
                if selection[(x, y)][0] == 0 {
                    assert_eq!(p, before.get_pixel(x, y), "({x}, {y}) is unselected");
                }
            }
        }
    }

    /// On a document held on the GPU, a dab painted and rendered there alone
    /// (the CPU composite left behind), the fill on the GPU engine equals the
    /// GPU fill of the whole current composite, and the render after it
    /// recomposes the new layer's area alone.
    #[test]
    #[cfg_attr(
        not(gpu_tests),
        ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
    )]
    fn a_fill_on_a_held_document_reads_the_layers_as_painted() {
        use crate::doc::Held;
        let engine = crate::engine::own_test_gpu_engine();
        let gpu = engine.gpu().expect("a GPU engine");
        let mut document = crate::doc::tests::sample_photo();
        let (w, h) = (document.width(), document.height());
        let sunset = document.layers()[0].id;
        pollster::block_on(document.render_held(gpu)).unwrap();
        let dab = RgbaImage::from_fn(30, 50, |x, y| {
            image::Rgba([(x * 8) as u8, 40, (y * 5) as u8, 255])
        });
        document
            .paint_pixels(sunset, (300, 420), &dab, "Dab")
            .unwrap();
        pollster::block_on(document.render_held(gpu)).unwrap();
        let selection = soft_disc((w, h), (350.0, 440.0), 30.0);
        document
            .set_selection(Some(selection.clone()), "Select")
            .unwrap();
        let current =
            crate::doc::render::compose_area(&document.stack, Rect::new(0, 0, w, h)).unwrap();
        let options = FillOptions {
            seed: 3,
            ..FillOptions::default()
        };
        let id = pollster::block_on(document.content_aware_fill(&engine, None, &options)).unwrap();
        let want = pollster::block_on(fill(&engine, &current, &selection, None, &options)).unwrap();
        let layer = document.layer(id).unwrap().clone();
        assert_layer_is_the_fill(&layer, &want.image, &selection);
        assert_eq!(
            pollster::block_on(document.render_held(gpu)).unwrap(),
            Held::Recomposed(Some(layer.bounds()))
        );
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
