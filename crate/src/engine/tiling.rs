//! Splitting work so that every GPU buffer stays inside the device's limits
//! (WebGPU's defaults: 128 MiB per storage binding, 256 MiB per buffer), and
//! moving the pieces in and out of whole images. Every GPU driver cuts its
//! work with these, so the bookkeeping is written (and tested) once.

use std::ops::Range;

/// Splits `height` rows into bands whose buffers stay within `max_bytes`, where
/// one row of the largest buffer takes `bytes_per_row` bytes. Bands cover every
/// row exactly once, in order. Pointwise kernels need no halo.
pub fn row_bands(height: u32, bytes_per_row: u64, max_bytes: u64) -> Vec<Range<u32>> {
    if height == 0 {
        return Vec::new();
    }
    let rows_per_band = (max_bytes / bytes_per_row.max(1)).clamp(1, u64::from(height)) as u32;
    (0..height)
        .step_by(rows_per_band as usize)
        .map(|start| start..(start + rows_per_band).min(height))
        .collect()
}

/// Output tiles of `side`×`side` covering `width`×`height` in row-major
/// order (smaller at the right and bottom edges), as column and row ranges.
pub fn tiles(width: u32, height: u32, side: u32) -> impl Iterator<Item = (Range<u32>, Range<u32>)> {
    let side = side.max(1);
    (0..height).step_by(side as usize).flat_map(move |y| {
        (0..width)
            .step_by(side as usize)
            .map(move |x| (x..(x + side).min(width), y..(y + side).min(height)))
    })
}

/// Copies the rows `ys` and columns `xs` of a `width`-wide image of `T`
/// values with `channels` values per pixel.
pub fn crop<T: Copy>(
    data: &[T],
    width: u32,
    channels: usize,
    xs: &Range<u32>,
    ys: &Range<u32>,
) -> Vec<T> {
    let row = width as usize * channels;
    let mut out = Vec::with_capacity(xs.len() * ys.len() * channels);
    for y in ys.clone() {
        let start = y as usize * row + xs.start as usize * channels;
        out.extend_from_slice(&data[start..start + xs.len() * channels]);
    }
    out
}

/// Writes a tile (`xs`×`ys`, `channels` values per pixel) back into a
/// `width`-wide image: the inverse of [`crop`].
pub fn paste<T: Copy>(
    data: &mut [T],
    width: u32,
    channels: usize,
    xs: &Range<u32>,
    ys: &Range<u32>,
    tile: &[T],
) {
    let row = width as usize * channels;
    for (y, line) in ys.clone().zip(tile.chunks_exact(xs.len() * channels)) {
        let start = y as usize * row + xs.start as usize * channels;
        data[start..start + line.len()].copy_from_slice(line);
    }
}

#[cfg(test)]
mod tests {
    use super::{crop, paste, row_bands, tiles};

    #[test]
    fn bands_cover_every_row_once_within_budget() {
        for (height, row, max) in [
            (1, 4, 4),
            (10, 4, 12),
            (16384, 65536, 128 << 20),
            (7, 100, 1),
        ] {
            let bands = row_bands(height, row, max);
            let mut next = 0;
            for band in &bands {
                assert_eq!(band.start, next);
                assert!(band.end > band.start);
                assert!(u64::from(band.end - band.start) * row <= max.max(row));
                next = band.end;
            }
            assert_eq!(next, height);
        }
        assert!(row_bands(0, 4, 4).is_empty());
    }

    #[test]
    fn tiles_cover_the_image_once_and_crop_paste_round_trips() {
        let (width, height) = (37u32, 23u32);
        let image: Vec<u16> = (0..width * height * 2).map(|v| v as u16).collect();
        let mut rebuilt = vec![0u16; image.len()];
        let mut covered = vec![0u8; (width * height) as usize];
        for (xs, ys) in tiles(width, height, 8) {
            assert!(xs.len() <= 8 && ys.len() <= 8 && !xs.is_empty() && !ys.is_empty());
            for y in ys.clone() {
                for x in xs.clone() {
                    covered[(y * width + x) as usize] += 1;
                }
            }
            let tile = crop(&image, width, 2, &xs, &ys);
            assert_eq!(tile.len(), xs.len() * ys.len() * 2);
            assert_eq!(tile[0], image[((ys.start * width + xs.start) * 2) as usize]);
            paste(&mut rebuilt, width, 2, &xs, &ys, &tile);
        }
        assert!(covered.iter().all(|&c| c == 1));
        assert_eq!(rebuilt, image);
    }
}
