//! Splitting work so that every GPU buffer stays inside the device's limits
//! (WebGPU's defaults: 128 MiB per storage binding, 256 MiB per buffer).

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

#[cfg(test)]
mod tests {
    use super::row_bands;

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
}
