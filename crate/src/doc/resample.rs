//! Resampling the document: the whole image to a new size ("Image Size"), or
//! a region upscaled into a new layer ("Upscale Region").
//!
//! Both resize on the engine first (the only await) and then apply one
//! command, so a failure — a bad size, a lost GPU — changes nothing, and
//! undo takes the whole operation back in one step.

use super::change::Change;
use super::layer::{Layer, LayerId, LayerProperties};
use super::{Document, Rect};
use crate::engine::Engine;
use crate::memory;
use crate::ops::resample::{self, ResizeOptions};
use crate::{Error, Result};

impl Document {
    /// Resizes the image to `options.width`×`options.height`: every layer's
    /// pixels, mask, size and position scale with the canvas (so layers keep
    /// their place in the picture), and so does the selection. Masks and the
    /// selection are resized by [`resample::resize_coverage`] whatever the
    /// pixels' filter.
    pub async fn resize_image(&mut self, engine: &Engine, options: &ResizeOptions) -> Result<()> {
        let (old_w, old_h) = (self.width(), self.height());
        resample::validate(old_w, old_h, options)?;
        let scale = (
            f64::from(options.width) / f64::from(old_w),
            f64::from(options.height) / f64::from(old_h),
        );
        let plans: Vec<(Rect, ResizeOptions)> = self
            .layers()
            .iter()
            .map(|layer| {
                let bounds = scaled_bounds(layer.bounds(), scale);
                let options = ResizeOptions {
                    width: bounds.width,
                    height: bounds.height,
                    ..*options
                };
                resample::validate(layer.pixels.width(), layer.pixels.height(), &options)
                    .map(|()| (bounds, options))
            })
            .collect::<Result<_>>()?;
        // The new layers (and masks) are all made before one change swaps
        // them in, the old ones still held, plus the largest resize's work.
        let new_layers: u64 = plans
            .iter()
            .map(|(b, _)| crate::memory::rgba8(b.width, b.height) * 5 / 4)
            .sum();
        let work = self
            .layers()
            .iter()
            .zip(&plans)
            .map(|(layer, (_, o))| resample::peak_memory_of(&layer.pixels, o))
            .max()
            .unwrap_or(0);
        crate::memory::check(
            &format!(
                "Image Size {old_w}×{old_h} → {}×{}",
                options.width, options.height
            ),
            self.memory_held() + new_layers + work,
        )?;
        let mut changes = Vec::with_capacity(2 * plans.len() + 2);
        for (index, (layer, (bounds, layer_options))) in
            self.layers().iter().zip(&plans).enumerate()
        {
            let pixels = resample::resize(engine, &layer.pixels, layer_options).await?;
            let mask = match &layer.mask {
                Some(mask) => Some(
                    resample::resize_coverage(
                        engine,
                        mask,
                        layer_options.width,
                        layer_options.height,
                    )
                    .await?,
                ),
                None => None,
            };
            let props = LayerProperties {
                offset: (bounds.x, bounds.y),
                ..layer.props.clone()
            };
            // A text layer scaled evenly is rendered again at its new size
            // (sharp, its source kept); stretched, it becomes pixels.
            let resized = match &layer.text {
                Some(_) if (scale.0 - scale.1).abs() <= 1e-3 * scale.0 => {
                    self.rescaled_text_layer(layer, scale.0, mask, props.offset)?
                }
                _ => Layer {
                    text: None,
                    id: layer.id,
                    props,
                    pixels,
                    mask,
                },
            };
            changes.push(Change::Remove { index });
            changes.push(Change::Insert {
                index,
                layer: Box::new(resized),
            });
        }
        if let Some(selection) = self.selection() {
            let resized =
                resample::resize_coverage(engine, selection, options.width, options.height).await?;
            changes.push(Change::Selection {
                mask: Some(resized),
            });
        }
        changes.push(Change::Canvas {
            width: options.width,
            height: options.height,
            shift: (0, 0),
        });
        self.commit("Image Size", Change::Batch(changes));
        Ok(())
    }

    /// The part of `rect` on the canvas; an error when there is none. What
    /// [`Document::upscale_region`] reads, so callers can size its output.
    pub fn canvas_part(&self, rect: Rect) -> Result<Rect> {
        let canvas = Rect::new(0, 0, self.width(), self.height());
        rect.intersect(&canvas).ok_or_else(|| {
            Error::param(
                "region",
                format!(
                    "{}×{} at {},{} does not overlap the {}×{} canvas",
                    rect.width, rect.height, rect.x, rect.y, canvas.width, canvas.height
                ),
            )
        })
    }

    /// Upscales what is visible inside `rect` (clipped to the canvas) to
    /// `options.width`×`options.height` into a new layer on top, with its
    /// top-left corner at the region's: the layer holds the region at the
    /// higher resolution, to export or to place. Returns the layer's id.
    pub async fn upscale_region(
        &mut self,
        engine: &Engine,
        rect: Rect,
        options: &ResizeOptions,
    ) -> Result<LayerId> {
        let region = self.canvas_part(rect)?;
        resample::validate(region.width, region.height, options)?;
        // The region's composite and the layer made from it; only the
        // region is composed, so nothing canvas-sized is made or copied.
        self.check_memory(
            "Upscale Region",
            memory::rgba8(region.width, region.height)
                + memory::rgba8(options.width, options.height),
        )?;
        self.set_preview_hidden(None)?;
        let source = self.composite_area(region)?;
        let pixels = resample::resize(engine, &source, options).await?;
        let props = LayerProperties {
            offset: (region.x, region.y),
            ..LayerProperties::named(format!(
                "Upscaled {}×{} → {}×{}",
                region.width, region.height, options.width, options.height
            ))
        };
        let id = self.take_id();
        let index = self.layers().len();
        let layer = Layer {
            text: None,
            id,
            props,
            pixels,
            mask: None,
        };
        self.commit(
            "Upscale Region",
            Change::Insert {
                index,
                layer: Box::new(layer),
            },
        );
        Ok(id)
    }
}

/// Where a layer at `bounds` lands when the canvas scales by `scale`: edges
/// are scaled and rounded, so layers that tiled the canvas still do.
fn scaled_bounds(bounds: Rect, scale: (f64, f64)) -> Rect {
    let edge = |v: i64, s: f64| (v as f64 * s).round() as i64;
    let (x0, y0) = (
        edge(bounds.x.into(), scale.0),
        edge(bounds.y.into(), scale.1),
    );
    let (x1, y1) = (
        edge(bounds.right(), scale.0),
        edge(bounds.bottom(), scale.1),
    );
    Rect::new(
        x0 as i32,
        y0 as i32,
        (x1 - x0).max(1) as u32,
        (y1 - y0).max(1) as u32,
    )
}
