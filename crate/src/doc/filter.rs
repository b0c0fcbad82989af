//! What a filter that runs outside the document reads (the browser's plugin Worker): the layer
//! crop it needs and, for a dialog's live preview, a downscaled proxy of the area with the
//! selection's coverage, blended here so the page computes no pixel.

use super::adjust::blend_pixel;
use super::geometry::Rect;
use super::layer::LayerId;
use super::render::crop;
use super::Document;
use crate::ops::resample::{self, Filter, ResizeOptions};
use crate::plugin::filter_host::FilterSource;
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// The pixels a filter of a layer reads, cut from the document.
#[derive(Debug, Clone)]
pub struct FilterCrop {
    /// The canvas rectangle the filter may change ([`Document::adjustment_area`]).
    pub area: Rect,
    /// The same rectangle in layer coordinates.
    pub area_on_layer: Rect,
    /// The layer's pixels over the area grown by the halo (within the layer).
    pub pixels: RgbaImage,
    /// `pixels`' corner in layer coordinates.
    pub origin: (u32, u32),
    pub layer_size: (u32, u32),
}

impl FilterCrop {
    /// The crop as the filter host reads it.
    pub fn source(&self) -> FilterSource<'_> {
        FilterSource {
            pixels: &self.pixels,
            origin: self.origin,
            layer_size: self.layer_size,
        }
    }
}

/// A filter dialog's preview: the area scaled down to fit a box, and the selection's coverage
/// over it at the same scale.
#[derive(Debug, Clone)]
pub struct FilterProxy {
    pub pixels: RgbaImage,
    coverage: Option<GrayImage>,
}

impl FilterProxy {
    /// The proxy after a filter: `filtered` where the selection covers it, the proxy where it
    /// does not, blended where it is soft (as [`Document::apply_filtered_area`] does).
    pub fn blend(&self, filtered: &RgbaImage) -> Result<RgbaImage> {
        if filtered.dimensions() != self.pixels.dimensions() {
            return Err(Error::SizeMismatch(format!(
                "the filtered preview is {}×{}, the proxy {}×{}",
                filtered.width(),
                filtered.height(),
                self.pixels.width(),
                self.pixels.height()
            )));
        }
        Ok(RgbaImage::from_fn(
            self.pixels.width(),
            self.pixels.height(),
            |x, y| {
                let coverage = self.coverage.as_ref().map_or(255, |c| c.get_pixel(x, y)[0]);
                blend_pixel(
                    self.pixels.get_pixel(x, y),
                    filtered.get_pixel(x, y),
                    coverage,
                )
            },
        ))
    }
}

impl Document {
    /// What filtering layer `id` inside the selection reads with a halo of `halo`.
    pub fn filter_crop(&self, id: LayerId, halo: u32) -> Result<FilterCrop> {
        let area = self.adjustment_area(id)?;
        let layer = self.layer(id)?;
        let bounds = layer.bounds();
        let area_on_layer = area.translated(-bounds.x, -bounds.y);
        let layer_size = layer.pixels.dimensions();
        let read = FilterSource::reach(area_on_layer, halo, layer_size);
        Ok(FilterCrop {
            area,
            area_on_layer,
            pixels: crop(&layer.pixels, read),
            origin: (read.x as u32, read.y as u32),
            layer_size,
        })
    }

    /// The area filtering layer `id` would change, scaled down (Lanczos3) to fit `max_side`
    /// pixels (never up), with the selection's coverage at that scale, for a live preview.
    pub fn filter_proxy(&self, id: LayerId, max_side: u32) -> Result<FilterProxy> {
        let area = self.adjustment_area(id)?;
        let layer = self.layer(id)?;
        let bounds = layer.bounds();
        let pixels = crop(&layer.pixels, area.translated(-bounds.x, -bounds.y));
        let scale = (f64::from(max_side.max(1)) / f64::from(area.width.max(area.height))).min(1.0);
        let size = resample::scaled_size(area.width, area.height, scale)?;
        let shrink = |image: &RgbaImage, filter: Filter| {
            if image.dimensions() == size {
                return Ok(image.clone());
            }
            let mut options = ResizeOptions::new(size.0, size.1);
            options.filter = filter;
            resample::resize_cpu(image, &options)
        };
        let coverage = match self.selection() {
            None => None,
            Some(selection) => {
                let grey = crop(selection, area);
                let as_rgba = RgbaImage::from_fn(grey.width(), grey.height(), |x, y| {
                    let k = grey.get_pixel(x, y)[0];
                    image::Rgba([k, k, k, 255])
                });
                // Bilinear: a coverage must not ring past 0 or 255.
                let small = shrink(&as_rgba, Filter::Bilinear)?;
                Some(GrayImage::from_fn(size.0, size.1, |x, y| {
                    image::Luma([small.get_pixel(x, y)[0]])
                }))
            }
        };
        Ok(FilterProxy {
            pixels: shrink(&pixels, Filter::Lanczos3)?,
            coverage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::LayerProperties;
    use crate::test_kit;
    use image::{GrayImage, Luma, Rgba};

    /// A 64×32 photo layer with the left half of a 32×16 box at 16,8 fully selected and the
    /// right half half selected.
    fn document() -> (Document, LayerId, RgbaImage) {
        let pixels = crop(&test_kit::photo("coffee"), Rect::new(0, 0, 64, 32));
        let mut doc = Document::new(64, 32).unwrap();
        let id = doc
            .add_layer(LayerProperties::named("photo"), pixels.clone(), None, None)
            .unwrap();
        let selection = GrayImage::from_fn(64, 32, |x, y| match (x, y) {
            (16..=31, 8..=23) => Luma([255]),
            (32..=47, 8..=23) => Luma([128]),
            _ => Luma([0]),
        });
        doc.set_selection(Some(selection), "Select").unwrap();
        (doc, id, pixels)
    }

    #[test]
    fn the_crop_holds_the_selection_box_grown_by_the_halo_within_the_layer() {
        let (doc, id, pixels) = document();
        let crop = doc.filter_crop(id, 10).unwrap();
        assert_eq!(crop.area, Rect::new(16, 8, 32, 16));
        assert_eq!(crop.origin, (6, 0));
        assert_eq!(crop.pixels.dimensions(), (52, 32));
        assert_eq!(crop.pixels.get_pixel(0, 0), pixels.get_pixel(6, 0));
    }

    #[test]
    fn the_proxy_is_scaled_down_and_blends_by_the_selection() {
        let (doc, id, pixels) = document();
        let full = doc.filter_proxy(id, 100).unwrap();
        assert_eq!(full.pixels, crop(&pixels, Rect::new(16, 8, 32, 16)));
        let black = RgbaImage::from_pixel(32, 16, Rgba([0, 0, 0, 255]));
        let shown = full.blend(&black).unwrap();
        assert_eq!(
            shown.get_pixel(3, 3),
            &Rgba([0, 0, 0, 255]),
            "fully selected"
        );
        let before = full.pixels.get_pixel(20, 3);
        let expected = Rgba(std::array::from_fn(|c| {
            let b = u32::from(before[c]);
            let a = if c == 3 { 255 } else { 0 };
            ((b * 127 + a * 128 + 127) / 255) as u8
        }));
        assert_eq!(shown.get_pixel(20, 3), &expected, "half selected");

        let small = doc.filter_proxy(id, 8).unwrap();
        assert_eq!(small.pixels.dimensions(), (8, 4));
        assert!(
            small.blend(&black).is_err(),
            "a result of another size is refused"
        );
    }
}
