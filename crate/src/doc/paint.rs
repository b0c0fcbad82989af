//! Paint brush, eraser and clone stamp strokes on a layer's pixels (see
//! [`crate::ops::paint`]): canvas points are mapped onto the layer, the
//! selection (when there is one) limits and scales the stroke, only the
//! stroke's dirty rectangle is painted on the engine, and the changed tiles
//! are committed as one history step named after the tool ("Brush",
//! "Eraser", "Clone Stamp"). Any bad parameter is refused before anything
//! changes.

use super::geometry::Rect;
use super::layer::LayerId;
use super::Document;
use crate::engine::Engine;
use crate::ops::paint::{self, DirtyRect, PaintOptions, PaintStroke, PaintTool};
use crate::{Error, Result};
use image::{GrayImage, Luma};

/// Which tool paints a stroke, in canvas coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrokeTool {
    /// Paints an RGB colour.
    Brush { color: [u8; 3] },
    /// Removes alpha.
    Eraser,
    /// Copies from `source`, the canvas point that corresponds to the
    /// stroke's first point ("aligned": the offset between them is rounded
    /// to whole pixels and stays fixed for the stroke). Sources off the
    /// canvas contribute nothing.
    CloneStamp { source: (f32, f32) },
}

impl Document {
    /// Paints a stroke through canvas `points` on layer `id` as one history
    /// step; returns the canvas rectangle it could change (`None` when it
    /// misses the layer, which records nothing). A hidden or locked layer is
    /// refused, as is any parameter out of range (by name).
    pub async fn paint_stroke(
        &mut self,
        engine: &Engine,
        id: LayerId,
        points: &[(f32, f32)],
        options: &PaintOptions,
        tool: StrokeTool,
    ) -> Result<Option<Rect>> {
        let layer = self.layer(id)?;
        layer.check_unlocked("paint on it")?;
        if !layer.props.visible {
            return Err(Error::param(
                "layer",
                format!("'{}' is hidden: show it to paint on it", layer.props.name),
            ));
        }
        let bounds = layer.bounds();
        let (ox, oy) = (bounds.x as f32, bounds.y as f32);
        let local: Vec<(f32, f32)> = points.iter().map(|&(x, y)| (x - ox, y - oy)).collect();
        let tool = match tool {
            StrokeTool::Brush { color } => PaintTool::Brush { color },
            StrokeTool::Eraser => PaintTool::Eraser,
            StrokeTool::CloneStamp { source } => self.clone_tool(bounds, source, points)?,
        };
        let stroke = PaintStroke::plan(layer.pixels.dimensions(), &local, options, tool)?;
        let Some(rect) = stroke.dirty() else {
            return Ok(None);
        };
        let area = Rect::new(
            bounds.x + rect.x as i32,
            bounds.y + rect.y as i32,
            rect.width,
            rect.height,
        );
        let selection = self.selection().map(|selection| {
            GrayImage::from_fn(rect.width, rect.height, |x, y| {
                let (cx, cy) = (area.x + x as i32, area.y + y as i32);
                let on_canvas = cx >= 0
                    && cy >= 0
                    && (cx as u32) < selection.width()
                    && (cy as u32) < selection.height();
                if on_canvas {
                    *selection.get_pixel(cx as u32, cy as u32)
                } else {
                    Luma([0])
                }
            })
        });
        let painted = paint::paint(engine, &layer.pixels, &stroke, selection.as_ref()).await?;
        let (_, pixels) = painted.expect("the stroke has a dirty rectangle");
        self.paint_pixels(id, (area.x, area.y), &pixels, tool.name())?;
        Ok(Some(area))
    }

    /// The clone stamp for a layer at `bounds`: the whole-pixel offset from
    /// the stroke's first point to `source`, sampling only the layer's part
    /// on the canvas.
    fn clone_tool(
        &self,
        bounds: Rect,
        source: (f32, f32),
        points: &[(f32, f32)],
    ) -> Result<PaintTool> {
        if !source.0.is_finite() || !source.1.is_finite() {
            return Err(Error::param(
                "source",
                format!("({}, {}) is not a finite point", source.0, source.1),
            ));
        }
        let Some(&(x, y)) = points.first() else {
            return Err(Error::param("points", "a stroke needs at least one point"));
        };
        let offset = |to: f32, from: f32| {
            let d = (to - from).round();
            if d.abs() > 1e8 {
                Err(Error::param(
                    "source",
                    format!("({}, {}) is too far off the canvas", source.0, source.1),
                ))
            } else {
                Ok(d as i32)
            }
        };
        let canvas = Rect::new(0, 0, self.width(), self.height());
        let source_area = match canvas.intersect(&bounds) {
            Some(on) => DirtyRect {
                x: (on.x - bounds.x) as u32,
                y: (on.y - bounds.y) as u32,
                width: on.width,
                height: on.height,
            },
            None => DirtyRect {
                x: 0,
                y: 0,
                width: 0,
                height: 0,
            },
        };
        Ok(PaintTool::CloneStamp {
            offset: (offset(source.0, x)?, offset(source.1, y)?),
            source_area,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::LayerProperties;
    use image::{Rgba, RgbaImage};

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

    fn document() -> (Document, LayerId) {
        let mut doc = Document::new(300, 200).unwrap();
        let id = doc
            .add_layer(
                LayerProperties::named("Photo"),
                picture(300, 200),
                None,
                None,
            )
            .unwrap();
        (doc, id)
    }

    fn stroke(
        doc: &mut Document,
        id: LayerId,
        points: &[(f32, f32)],
        options: &PaintOptions,
        tool: StrokeTool,
    ) -> Result<Option<Rect>> {
        pollster::block_on(doc.paint_stroke(&Engine::cpu(), id, points, options, tool))
    }

    const RED: StrokeTool = StrokeTool::Brush { color: [255, 0, 0] };

    #[test]
    fn each_tool_is_one_named_step_inside_its_rectangle_and_undo_restores() {
        let (mut doc, id) = document();
        let before = doc.layer(id).unwrap().pixels.clone();
        let o = PaintOptions {
            diameter: 20.0,
            ..PaintOptions::default()
        };
        let tools = [
            (RED, "Brush"),
            (StrokeTool::Eraser, "Eraser"),
            (
                StrokeTool::CloneStamp {
                    source: (200.0, 150.0),
                },
                "Clone Stamp",
            ),
        ];
        for (tool, name) in tools {
            let steps = doc.history().position();
            let rect = stroke(&mut doc, id, &[(50.0, 50.0), (120.0, 80.0)], &o, tool)
                .unwrap()
                .unwrap();
            // The last dab (25 % spacing) stops 1.2 px short of (120, 80).
            assert_eq!(rect, Rect::new(40, 40, 89, 50));
            assert_eq!(doc.history().position(), steps + 1);
            assert_eq!(doc.history().items()[steps].name, name);
            let after = &doc.layer(id).unwrap().pixels;
            for (x, y, p) in after.enumerate_pixels() {
                let inside = (40..130).contains(&x) && (40..90).contains(&y);
                assert!(inside || p == before.get_pixel(x, y), "{name}: ({x}, {y})");
            }
            assert_ne!(after, &before, "{name} changed nothing");
            assert_eq!(doc.undo().as_deref(), Some(name));
            assert_eq!(doc.layer(id).unwrap().pixels, before, "{name}");
        }
    }

    #[test]
    fn the_clone_source_is_aligned_to_the_first_point_and_off_canvas_gives_nothing() {
        let (mut doc, id) = document();
        let before = doc.layer(id).unwrap().pixels.clone();
        let o = PaintOptions {
            diameter: 10.0,
            hardness: 100.0,
            ..PaintOptions::default()
        };
        let tool = StrokeTool::CloneStamp {
            source: (220.4, 140.0),
        };
        stroke(&mut doc, id, &[(100.0, 40.0), (160.0, 40.0)], &o, tool).unwrap();
        let after = &doc.layer(id).unwrap().pixels;
        for x in 100..160 {
            assert_eq!(
                after.get_pixel(x, 40),
                before.get_pixel(x + 120, 140),
                "x = {x}"
            );
        }
        // The source runs off the canvas's right edge at x = 300: nothing there.
        let mut doc2 = document().0;
        let tool = StrokeTool::CloneStamp {
            source: (290.0, 100.0),
        };
        stroke(&mut doc2, id, &[(100.0, 100.0), (140.0, 100.0)], &o, tool).unwrap();
        let after = &doc2.layer(id).unwrap().pixels;
        assert_eq!(after.get_pixel(105, 100), before.get_pixel(295, 100));
        assert_eq!(after.get_pixel(130, 100), before.get_pixel(130, 100));
    }

    #[test]
    fn strokes_follow_the_layer_offset_and_the_selection() {
        let (mut doc, _) = document();
        let patch = doc
            .add_layer(
                LayerProperties {
                    offset: (100, 50),
                    ..LayerProperties::named("Patch")
                },
                RgbaImage::new(100, 100),
                None,
                None,
            )
            .unwrap();
        let selection = image::GrayImage::from_fn(300, 200, |x, _| {
            image::Luma([if x < 150 { 255 } else { 0 }])
        });
        doc.set_selection(Some(selection), "").unwrap();
        let o = PaintOptions {
            diameter: 20.0,
            hardness: 100.0,
            ..PaintOptions::default()
        };
        stroke(&mut doc, patch, &[(120.0, 100.0), (180.0, 100.0)], &o, RED).unwrap();
        let pixels = &doc.layer(patch).unwrap().pixels;
        // Canvas (130, 100) is layer (30, 50): selected; canvas (170, 100) is not.
        assert_eq!(pixels.get_pixel(30, 50).0, [255, 0, 0, 255]);
        assert_eq!(pixels.get_pixel(70, 50).0, [0, 0, 0, 0]);
    }

    #[test]
    fn bad_strokes_are_refused_and_change_nothing() {
        let (mut doc, id) = document();
        let steps = doc.history().len();
        let o = PaintOptions::default();
        let bad = PaintOptions {
            opacity: 150.0,
            ..o
        };
        let cases: [(&str, Result<Option<Rect>>); 4] = [
            ("opacity", stroke(&mut doc, id, &[(5.0, 5.0)], &bad, RED)),
            ("points", stroke(&mut doc, id, &[], &o, RED)),
            (
                "source",
                stroke(
                    &mut doc,
                    id,
                    &[(5.0, 5.0)],
                    &o,
                    StrokeTool::CloneStamp {
                        source: (f32::NAN, 0.0),
                    },
                ),
            ),
            ("layer", stroke(&mut doc, 99, &[(5.0, 5.0)], &o, RED)),
        ];
        for (name, result) in cases {
            match result {
                Err(Error::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        // A stroke that misses the layer records nothing.
        assert_eq!(
            stroke(&mut doc, id, &[(-100.0, -100.0)], &o, RED).unwrap(),
            None
        );
        assert_eq!(doc.history().len(), steps);
        let mut props = doc.layer(id).unwrap().props.clone();
        props.visible = false;
        doc.set_layer_properties(id, props).unwrap();
        let steps = doc.history().len();
        assert!(stroke(&mut doc, id, &[(5.0, 5.0)], &o, RED).is_err());
        assert_eq!(doc.history().len(), steps);
    }
}
