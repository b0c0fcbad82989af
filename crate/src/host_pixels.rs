//! Pixels as design-tool hosts hand them over, to and from the core's RGBA8.
//!
//! Photoshop's Imaging API gives a document or layer in tiles of 1 (grey),
//! 2 (grey + alpha), 3 (RGB) or 4 (RGBA) interleaved components, 8 bits or
//! 16 bits whose white is 32768 (or 65535 with `fullRange`); the selection
//! comes as single-channel tiles over its bounds. [`HostCanvas`] assembles
//! such tiles into one RGBA8 image, [`HostMask`] into one coverage mask, and
//! [`to_depth16`] turns RGBA8 back into 16-bit samples for `putPixels`.
//! Conversions round to nearest, so 8 → 16 → 8 is the identity.

use crate::{image_io, Error, Result};
use image::{GrayImage, RgbaImage};

/// Photoshop's 16-bit white (0..32768, its `getData()` default).
pub const PHOTOSHOP_16_BIT_MAX: u16 = 32768;

/// A 16-bit sample whose white is `max`, to 8 bits (nearest).
fn sample16_to_8(value: u16, max: u16) -> u8 {
    let v = u32::from(value.min(max));
    let max = u32::from(max);
    ((v * 255 + max / 2) / max) as u8
}

/// An 8-bit sample to 16 bits whose white is `max` (nearest).
fn sample8_to_16(value: u8, max: u16) -> u16 {
    ((u32::from(value) * u32::from(max) + 127) / 255) as u16
}

fn check_max(max: u16) -> Result<()> {
    if max < 255 {
        return Err(Error::InvalidParameter {
            name: "max".into(),
            message: format!("a 16-bit white of {max} is below 255"),
        });
    }
    Ok(())
}

/// Where a tile lands, checked against the canvas and its sample count.
struct TilePlacement {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    components: usize,
}

impl TilePlacement {
    fn check(self, canvas: (u32, u32), samples: usize) -> Result<Self> {
        if !(1..=4).contains(&self.components) {
            return Err(Error::InvalidParameter {
                name: "components".into(),
                message: format!("{} components per pixel (1 to 4 expected)", self.components),
            });
        }
        let fits = u64::from(self.x) + u64::from(self.width) <= u64::from(canvas.0)
            && u64::from(self.y) + u64::from(self.height) <= u64::from(canvas.1);
        if !fits {
            return Err(Error::SizeMismatch(format!(
                "a {}×{} tile at {},{} does not fit the {}×{} canvas",
                self.width, self.height, self.x, self.y, canvas.0, canvas.1
            )));
        }
        let expected = self.width as usize * self.height as usize * self.components;
        if samples != expected {
            return Err(Error::SizeMismatch(format!(
                "a {}×{} tile of {} components needs {expected} samples, got {samples}",
                self.width, self.height, self.components
            )));
        }
        Ok(self)
    }

    /// Calls `put(canvas_x, canvas_y, pixel_samples)` for every pixel of the tile.
    fn for_each<T: Copy>(&self, samples: &[T], mut put: impl FnMut(u32, u32, &[T])) {
        let row_len = self.width as usize * self.components;
        for (dy, row) in samples.chunks_exact(row_len.max(1)).enumerate() {
            for (dx, pixel) in row.chunks_exact(self.components).enumerate() {
                put(self.x + dx as u32, self.y + dy as u32, pixel);
            }
        }
    }
}

/// 1–4 host components (already 8-bit) as straight RGBA.
fn rgba_of(pixel: &[u8]) -> [u8; 4] {
    match *pixel {
        [g] => [g, g, g, 255],
        [g, a] => [g, g, g, a],
        [r, g, b] => [r, g, b, 255],
        [r, g, b, a] => [r, g, b, a],
        _ => unreachable!("components are checked to be 1 to 4"),
    }
}

/// An image assembled from host tiles; pixels no tile covered stay transparent.
pub struct HostCanvas {
    rgba: RgbaImage,
}

impl HostCanvas {
    pub fn new(width: u32, height: u32) -> Result<Self> {
        image_io::check_dimensions(width, height)?;
        Ok(Self {
            rgba: RgbaImage::new(width, height),
        })
    }

    /// Places an 8-bit tile of `components` interleaved samples per pixel at `x`,`y`.
    pub fn put_tile_8(
        &mut self,
        (x, y, width, height): (u32, u32, u32, u32),
        components: usize,
        samples: &[u8],
    ) -> Result<()> {
        let tile = TilePlacement {
            x,
            y,
            width,
            height,
            components,
        }
        .check(self.rgba.dimensions(), samples.len())?;
        tile.for_each(samples, |px, py, pixel| {
            self.rgba.put_pixel(px, py, image::Rgba(rgba_of(pixel)))
        });
        Ok(())
    }

    /// Places a 16-bit tile whose white is `max` (32768 for Photoshop's default range).
    pub fn put_tile_16(
        &mut self,
        (x, y, width, height): (u32, u32, u32, u32),
        components: usize,
        samples: &[u16],
        max: u16,
    ) -> Result<()> {
        check_max(max)?;
        let tile = TilePlacement {
            x,
            y,
            width,
            height,
            components,
        }
        .check(self.rgba.dimensions(), samples.len())?;
        tile.for_each(samples, |px, py, pixel| {
            let mut eight = [0u8; 4];
            for (out, &v) in eight.iter_mut().zip(pixel) {
                *out = sample16_to_8(v, max);
            }
            self.rgba
                .put_pixel(px, py, image::Rgba(rgba_of(&eight[..pixel.len()])));
        });
        Ok(())
    }

    pub fn finish(self) -> RgbaImage {
        self.rgba
    }
}

/// A coverage mask assembled from single-channel host tiles (a selection over its bounds);
/// pixels no tile covered are unselected.
pub struct HostMask {
    values: GrayImage,
}

impl HostMask {
    pub fn new(width: u32, height: u32) -> Result<Self> {
        image_io::check_dimensions(width, height)?;
        Ok(Self {
            values: GrayImage::new(width, height),
        })
    }

    pub fn put_tile_8(
        &mut self,
        (x, y, width, height): (u32, u32, u32, u32),
        samples: &[u8],
    ) -> Result<()> {
        let tile = TilePlacement {
            x,
            y,
            width,
            height,
            components: 1,
        }
        .check(self.values.dimensions(), samples.len())?;
        tile.for_each(samples, |px, py, v| {
            self.values.put_pixel(px, py, image::Luma([v[0]]))
        });
        Ok(())
    }

    pub fn put_tile_16(
        &mut self,
        (x, y, width, height): (u32, u32, u32, u32),
        samples: &[u16],
        max: u16,
    ) -> Result<()> {
        check_max(max)?;
        let tile = TilePlacement {
            x,
            y,
            width,
            height,
            components: 1,
        }
        .check(self.values.dimensions(), samples.len())?;
        tile.for_each(samples, |px, py, v| {
            self.values
                .put_pixel(px, py, image::Luma([sample16_to_8(v[0], max)]))
        });
        Ok(())
    }

    pub fn finish(self) -> GrayImage {
        self.values
    }
}

/// A host rectangle (which may reach past the canvas, as Photoshop's selection bounds can)
/// clipped to the canvas and cut into tiles of at most `tile`×`tile`, row by row:
/// `(x, y, width, height)` each. Empty when nothing of it is on the canvas.
pub fn tile_grid(
    (left, top, width, height): (i64, i64, i64, i64),
    (canvas_width, canvas_height): (u32, u32),
    tile: u32,
) -> Result<Vec<(u32, u32, u32, u32)>> {
    if tile == 0 {
        return Err(Error::InvalidParameter {
            name: "tile".into(),
            message: "a tile needs at least one pixel".into(),
        });
    }
    let x0 = left.clamp(0, i64::from(canvas_width));
    let y0 = top.clamp(0, i64::from(canvas_height));
    let x1 = left
        .saturating_add(width.max(0))
        .clamp(x0, i64::from(canvas_width));
    let y1 = top
        .saturating_add(height.max(0))
        .clamp(y0, i64::from(canvas_height));
    let mut tiles = Vec::new();
    let step = i64::from(tile);
    let mut y = y0;
    while y < y1 {
        let h = step.min(y1 - y);
        let mut x = x0;
        while x < x1 {
            let w = step.min(x1 - x);
            tiles.push((x as u32, y as u32, w as u32, h as u32));
            x += w;
        }
        y += h;
    }
    Ok(tiles)
}

/// 8-bit samples (any layout) as 16-bit ones whose white is `max`, for a 16-bit host document.
pub fn to_depth16(samples: &[u8], max: u16) -> Result<Vec<u16>> {
    check_max(max)?;
    Ok(samples.iter().map(|&v| sample8_to_16(v, max)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photoshop_16_bit_range_maps_onto_8_bits_with_rounding() {
        let max = PHOTOSHOP_16_BIT_MAX;
        assert_eq!(sample16_to_8(0, max), 0);
        assert_eq!(sample16_to_8(32768, max), 255);
        assert_eq!(sample16_to_8(16384, max), 128); // 127.5 rounds up
        assert_eq!(sample16_to_8(65535, max), 255, "values past white clamp");
        assert_eq!(sample16_to_8(65535, 65535), 255);
        assert_eq!(sample16_to_8(257, 65535), 1);
    }

    #[test]
    fn eight_to_sixteen_and_back_is_the_identity() {
        for max in [PHOTOSHOP_16_BIT_MAX, 65535, 255, 4095] {
            for v in 0..=255u8 {
                assert_eq!(
                    sample16_to_8(sample8_to_16(v, max), max),
                    v,
                    "max {max}, value {v}"
                );
            }
        }
        assert_eq!(
            to_depth16(&[0, 255, 128], 32768).unwrap(),
            vec![0, 32768, 16448]
        );
        assert!(to_depth16(&[1], 100).is_err());
    }

    #[test]
    fn tiles_of_every_layout_assemble_into_one_rgba_image() {
        let mut canvas = HostCanvas::new(4, 2).unwrap();
        // RGB, 8-bit, the left 2×2 (opaque).
        canvas
            .put_tile_8((0, 0, 2, 2), 3, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
            .unwrap();
        // RGBA, 16-bit, the top right 2×1.
        canvas
            .put_tile_16(
                (2, 0, 2, 1),
                4,
                &[32768, 0, 16384, 32768, 0, 0, 0, 0],
                PHOTOSHOP_16_BIT_MAX,
            )
            .unwrap();
        // Grey + alpha, 8-bit, the bottom right 2×1.
        canvas
            .put_tile_8((2, 1, 2, 1), 2, &[50, 100, 200, 255])
            .unwrap();
        let rgba = canvas.finish();
        assert_eq!(rgba.get_pixel(0, 0).0, [1, 2, 3, 255]);
        assert_eq!(rgba.get_pixel(1, 1).0, [10, 11, 12, 255]);
        assert_eq!(rgba.get_pixel(2, 0).0, [255, 0, 128, 255]);
        assert_eq!(rgba.get_pixel(3, 0).0, [0, 0, 0, 0]);
        assert_eq!(rgba.get_pixel(2, 1).0, [50, 50, 50, 100]);
        assert_eq!(rgba.get_pixel(3, 1).0, [200, 200, 200, 255]);
    }

    #[test]
    fn a_tile_that_does_not_fit_or_has_the_wrong_length_changes_nothing() {
        let mut canvas = HostCanvas::new(4, 4).unwrap();
        assert!(
            canvas.put_tile_8((3, 0, 2, 1), 4, &[9; 8]).is_err(),
            "past the right edge"
        );
        assert!(
            canvas.put_tile_8((0, 0, 2, 2), 4, &[9; 15]).is_err(),
            "one sample short"
        );
        assert!(
            canvas.put_tile_8((0, 0, 1, 1), 5, &[9; 5]).is_err(),
            "five components"
        );
        assert!(
            canvas.put_tile_8((u32::MAX, 0, 2, 1), 1, &[9; 2]).is_err(),
            "overflowing offset"
        );
        assert!(canvas.finish().as_raw().iter().all(|&v| v == 0));
    }

    #[test]
    fn tile_grid_covers_the_clipped_rectangle_exactly_once() {
        let tiles = tile_grid((-3, 2, 10, 9), (6, 8), 4).unwrap();
        assert_eq!(
            tiles,
            vec![(0, 2, 4, 4), (4, 2, 2, 4), (0, 6, 4, 2), (4, 6, 2, 2)],
            "clipped to 0..6 × 2..8, row by row"
        );
        assert!(
            tile_grid((10, 10, 5, 5), (6, 8), 4).unwrap().is_empty(),
            "off the canvas"
        );
        assert!(
            tile_grid((0, 0, -5, 5), (6, 8), 4).unwrap().is_empty(),
            "negative size"
        );
        assert!(tile_grid((0, 0, 5, 5), (6, 8), 0).is_err());
        let big = tile_grid((0, 0, 16384, 16384), (16384, 16384), 1024).unwrap();
        assert_eq!(big.len(), 256);
        let area: u64 = big.iter().map(|t| u64::from(t.2) * u64::from(t.3)).sum();
        assert_eq!(area, 16384 * 16384);
    }

    #[test]
    fn a_selection_over_its_bounds_becomes_a_canvas_sized_mask() {
        let mut mask = HostMask::new(5, 4).unwrap();
        mask.put_tile_8((1, 1, 2, 2), &[255, 128, 64, 0]).unwrap();
        mask.put_tile_16((4, 3, 1, 1), &[32768], PHOTOSHOP_16_BIT_MAX)
            .unwrap();
        let values = mask.finish();
        assert_eq!(values.get_pixel(1, 1).0, [255]);
        assert_eq!(values.get_pixel(2, 1).0, [128]);
        assert_eq!(values.get_pixel(1, 2).0, [64]);
        assert_eq!(values.get_pixel(4, 3).0, [255]);
        assert_eq!(values.as_raw().iter().filter(|&&v| v > 0).count(), 4);
    }
}
