//! The wand on the CPU: a scanline flood fill over a per-channel match table.

use image::{GrayImage, RgbaImage};

/// Decides whether a pixel matches the seed colour, with one 256-entry table
/// per channel so a test is four loads instead of four subtractions and
/// comparisons.
pub(super) struct Matcher {
    within: [[bool; 256]; 4],
}

impl Matcher {
    pub fn new(seed: [u8; 4], tolerance: u8) -> Self {
        let mut within = [[false; 256]; 4];
        for (table, &s) in within.iter_mut().zip(&seed) {
            for (v, ok) in table.iter_mut().enumerate() {
                *ok = (v as u8).abs_diff(s) <= tolerance;
            }
        }
        Matcher { within }
    }

    #[inline]
    pub fn matches(&self, p: &[u8]) -> bool {
        self.within[0][p[0] as usize]
            & self.within[1][p[1] as usize]
            & self.within[2][p[2] as usize]
            & self.within[3][p[3] as usize]
    }
}

/// Every matching pixel, connected or not.
pub(super) fn select_matching(image: &RgbaImage, matcher: &Matcher) -> GrayImage {
    let values = image
        .as_raw()
        .chunks_exact(4)
        .map(|p| if matcher.matches(p) { 255 } else { 0 })
        .collect();
    GrayImage::from_raw(image.width(), image.height(), values).expect("one value per pixel")
}

/// Matching pixels 4-connected to `seed`: each popped span of a row looks
/// for runs of unselected matching pixels in the rows above and below,
/// extends them sideways and pushes them.
pub(super) fn flood_fill(image: &RgbaImage, seed: (u32, u32), matcher: &Matcher) -> GrayImage {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    let mut selected = vec![0u8; width * height];
    let fillable =
        |selected: &[u8], i: usize| selected[i] == 0 && matcher.matches(&pixels[i * 4..i * 4 + 4]);
    // Fills the run through (x, y), returning its inclusive ends.
    let fill_run = |selected: &mut [u8], x: usize, y: usize| {
        let row = y * width;
        let (mut left, mut right) = (x, x);
        while left > 0 && fillable(selected, row + left - 1) {
            left -= 1;
        }
        while right + 1 < width && fillable(selected, row + right + 1) {
            right += 1;
        }
        selected[row + left..=row + right].fill(255);
        (left, right)
    };
    let (sx, sy) = (seed.0 as usize, seed.1 as usize);
    let mut spans = vec![(sy, fill_run(&mut selected, sx, sy))];
    while let Some((y, (left, right))) = spans.pop() {
        let neighbours = [y.checked_sub(1), (y + 1 < height).then_some(y + 1)];
        for ny in neighbours.into_iter().flatten() {
            let mut x = left;
            while x <= right {
                if fillable(&selected, ny * width + x) {
                    let run = fill_run(&mut selected, x, ny);
                    spans.push((ny, run));
                    x = run.1 + 2;
                } else {
                    x += 1;
                }
            }
        }
    }
    GrayImage::from_raw(image.width(), image.height(), selected).expect("one value per pixel")
}

/// The 3×3 mean of a hard (0/255) selection, clipped to the canvas: column
/// sums of three rows, then a running sum of three columns.
pub(super) fn soften_edge(hard: &GrayImage) -> GrayImage {
    let (width, height) = (hard.width() as usize, hard.height() as usize);
    let rows: Vec<&[u8]> = hard.chunks_exact(width).collect();
    let mut out = GrayImage::new(hard.width(), hard.height());
    let mut column_sums = vec![0u32; width];
    for (y, out_row) in out.chunks_exact_mut(width).enumerate() {
        let window = &rows[y.saturating_sub(1)..(y + 2).min(height)];
        column_sums.fill(0);
        for row in window {
            for (sum, &v) in column_sums.iter_mut().zip(row.iter()) {
                *sum += u32::from(v);
            }
        }
        let rows_in_window = window.len() as u32;
        for (x, o) in out_row.iter_mut().enumerate() {
            let (x0, x1) = (x.saturating_sub(1), (x + 2).min(width));
            let sum: u32 = column_sums[x0..x1].iter().sum();
            let count = (x1 - x0) as u32 * rows_in_window;
            *o = ((sum + count / 2) / count) as u8;
        }
    }
    out
}
