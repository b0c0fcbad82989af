//! Pixel edits stored as tiles, so history holds what changed rather than
//! copies of layers.
//!
//! An edit's region is cut along a fixed 256×256 grid; each cell is compared
//! with the layer and kept only when it differs, shrunk to the bounding box of
//! the bytes that changed. Applying a patch *swaps* its bytes with the
//! layer's, so the same patch then holds the previous contents: undo and redo
//! are the same operation and the edit is never stored twice. A brush stroke
//! across a 4K layer thus costs the tiles it touched, not 64 MiB.

use super::geometry::Rect;
use super::layer::LayerId;

/// Side of the grid cells that edits are cut into.
pub const TILE_SIZE: u32 = 256;

/// Which raster a patch changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    /// A layer's RGBA pixels (4 bytes per pixel).
    Pixels,
    /// A layer's mask (1 byte per pixel).
    Mask,
    /// The document's selection (1 byte per pixel, canvas-sized); the
    /// patch's layer id is unused.
    Selection,
}

impl Plane {
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            Plane::Pixels => 4,
            Plane::Mask | Plane::Selection => 1,
        }
    }
}

/// A borrowed raster: row-major bytes of `width` pixels per row.
pub(crate) struct RasterRef<'a> {
    pub bytes: &'a [u8],
    pub width: u32,
    pub bytes_per_pixel: usize,
}

/// Bytes of one rectangle of a layer raster (in layer coordinates).
#[derive(Debug, Clone, PartialEq)]
struct StoredTile {
    rect: Rect,
    bytes: Vec<u8>,
}

/// The changed tiles of one raster (a layer's, or the selection); see the
/// module docs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TilePatch {
    pub layer: LayerId,
    pub plane: Plane,
    tiles: Vec<StoredTile>,
}

impl TilePatch {
    /// A patch that writes `new` (the bytes of `region`, row by row) into the
    /// raster. `region` is in layer coordinates and lies inside the raster.
    /// Cells where `new` equals the raster are left out.
    pub fn from_region(
        layer: LayerId,
        plane: Plane,
        raster: RasterRef<'_>,
        region: Rect,
        new: &[u8],
    ) -> TilePatch {
        let bpp = raster.bytes_per_pixel;
        debug_assert_eq!(new.len(), region.area() as usize * bpp);
        let mut tiles = Vec::new();
        let (x0, y0) = (region.x as u32, region.y as u32);
        let (x1, y1) = (x0 + region.width, y0 + region.height);
        for cell_y in (y0 / TILE_SIZE * TILE_SIZE..y1).step_by(TILE_SIZE as usize) {
            for cell_x in (x0 / TILE_SIZE * TILE_SIZE..x1).step_by(TILE_SIZE as usize) {
                let cell = Rect::new(cell_x as i32, cell_y as i32, TILE_SIZE, TILE_SIZE);
                let part = cell
                    .intersect(&region)
                    .expect("cells are cut from the region");
                if let Some(tile) = changed_part(&raster, region, new, part) {
                    tiles.push(tile);
                }
            }
        }
        TilePatch {
            layer,
            plane,
            tiles,
        }
    }

    /// Exchanges the patch's bytes with the raster's: afterwards the raster
    /// holds what the patch held and the patch holds the raster's old bytes.
    pub fn swap(&mut self, raster: &mut [u8], raster_width: u32) {
        let bpp = self.plane.bytes_per_pixel();
        for tile in &mut self.tiles {
            let row_len = tile.rect.width as usize * bpp;
            for row in 0..tile.rect.height as usize {
                let start = ((tile.rect.y as usize + row) * raster_width as usize
                    + tile.rect.x as usize)
                    * bpp;
                raster[start..start + row_len]
                    .swap_with_slice(&mut tile.bytes[row * row_len..(row + 1) * row_len]);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    /// The stored rectangles and their bytes (for the autosaved history).
    pub fn tiles(&self) -> impl Iterator<Item = (Rect, &[u8])> {
        self.tiles.iter().map(|t| (t.rect, t.bytes.as_slice()))
    }

    /// A patch from stored rectangles and bytes (an autosaved history step);
    /// each tile's bytes must be its area times the plane's bytes per pixel.
    pub fn from_tiles(layer: LayerId, plane: Plane, tiles: Vec<(Rect, Vec<u8>)>) -> TilePatch {
        debug_assert!(tiles
            .iter()
            .all(|(rect, bytes)| bytes.len() == rect.area() as usize * plane.bytes_per_pixel()));
        TilePatch {
            layer,
            plane,
            tiles: tiles
                .into_iter()
                .map(|(rect, bytes)| StoredTile { rect, bytes })
                .collect(),
        }
    }

    /// True when every tile lies inside a `width`×`height` raster.
    pub fn fits(&self, width: u32, height: u32) -> bool {
        self.tiles.iter().all(|t| {
            t.rect.x >= 0
                && t.rect.y >= 0
                && t.rect.right() <= i64::from(width)
                && t.rect.bottom() <= i64::from(height)
        })
    }

    /// Bytes of pixel data held.
    pub fn bytes(&self) -> usize {
        self.tiles.iter().map(|t| t.bytes.len()).sum()
    }

    /// The union of the changed rectangles, in layer coordinates.
    pub fn bounds(&self) -> Option<Rect> {
        self.tiles.iter().map(|t| t.rect).reduce(|a, b| a.union(&b))
    }
}

/// The bytes of `part` (inside `region`) taken from `new`, shrunk to the
/// bounding box of the pixels that differ from the raster; `None` when none do.
fn changed_part(
    raster: &RasterRef<'_>,
    region: Rect,
    new: &[u8],
    part: Rect,
) -> Option<StoredTile> {
    let bpp = raster.bytes_per_pixel;
    let row_len = part.width as usize * bpp;
    let raster_row = |y: u32| {
        let start = (y as usize * raster.width as usize + part.x as usize) * bpp;
        &raster.bytes[start..start + row_len]
    };
    let new_row = |y: u32| {
        let start = ((y - region.y as u32) as usize * region.width as usize
            + (part.x - region.x) as usize)
            * bpp;
        &new[start..start + row_len]
    };
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (usize::MAX, 0, u32::MAX, 0);
    for y in part.y as u32..part.y as u32 + part.height {
        let (old, new) = (raster_row(y), new_row(y));
        if old == new {
            continue;
        }
        let first = old
            .iter()
            .zip(new)
            .position(|(a, b)| a != b)
            .expect("rows differ");
        let last = old
            .iter()
            .zip(new)
            .rposition(|(a, b)| a != b)
            .expect("rows differ");
        min_x = min_x.min(first / bpp);
        max_x = max_x.max(last / bpp);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    if min_y == u32::MAX {
        return None;
    }
    let rect = Rect::new(
        part.x + min_x as i32,
        min_y as i32,
        (max_x - min_x + 1) as u32,
        max_y - min_y + 1,
    );
    let mut bytes = Vec::with_capacity(rect.area() as usize * bpp);
    for y in min_y..=max_y {
        bytes.extend_from_slice(&new_row(y)[min_x * bpp..(max_x + 1) * bpp]);
    }
    Some(StoredTile { rect, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(width: u32, height: u32) -> Vec<u8> {
        (0..width * height * 4)
            .map(|i| (i * 7 % 251) as u8)
            .collect()
    }

    #[test]
    fn swap_applies_then_restores() {
        let (w, h) = (600, 300);
        let original = raster(w, h);
        let mut current = original.clone();
        let region = Rect::new(250, 10, 20, 260);
        let new = vec![9u8; region.area() as usize * 4];
        let mut patch = TilePatch::from_region(
            1,
            Plane::Pixels,
            RasterRef {
                bytes: &current,
                width: w,
                bytes_per_pixel: 4,
            },
            region,
            &new,
        );
        // The region straddles a vertical and a horizontal grid line.
        assert_eq!(patch.tiles.len(), 4);
        assert_eq!(patch.bytes(), region.area() as usize * 4);
        patch.swap(&mut current, w);
        for y in 0..h {
            for x in 0..w {
                let i = ((y * w + x) * 4) as usize;
                let inside = region
                    .intersect(&Rect::new(x as i32, y as i32, 1, 1))
                    .is_some();
                let expected = if inside {
                    &[9u8; 4][..]
                } else {
                    &original[i..i + 4]
                };
                assert_eq!(&current[i..i + 4], expected, "pixel {x},{y}");
            }
        }
        patch.swap(&mut current, w);
        assert_eq!(current, original);
    }

    #[test]
    fn keeps_only_changed_pixels_bounding_box() {
        let (w, h) = (512, 512);
        let current = raster(w, h);
        let region = Rect::new(0, 0, w, h);
        let mut new = current.clone();
        // Two changed pixels in the same cell, one in another cell.
        for (x, y) in [(10, 20), (30, 5), (400, 400)] {
            new[((y * w + x) * 4) as usize] ^= 0xff;
        }
        let patch = TilePatch::from_region(
            7,
            Plane::Pixels,
            RasterRef {
                bytes: &current,
                width: w,
                bytes_per_pixel: 4,
            },
            region,
            &new,
        );
        assert_eq!(patch.tiles.len(), 2);
        assert_eq!(patch.tiles[0].rect, Rect::new(10, 5, 21, 16));
        assert_eq!(patch.tiles[1].rect, Rect::new(400, 400, 1, 1));
        assert_eq!(patch.bounds(), Some(Rect::new(10, 5, 391, 396)));
    }

    #[test]
    fn unchanged_region_is_empty() {
        let current = raster(40, 40);
        let patch = TilePatch::from_region(
            1,
            Plane::Mask,
            RasterRef {
                bytes: &current[..1600],
                width: 40,
                bytes_per_pixel: 1,
            },
            Rect::new(0, 0, 40, 40),
            &current[..1600],
        );
        assert!(patch.is_empty());
    }
}
