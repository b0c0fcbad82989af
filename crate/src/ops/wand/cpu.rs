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

/// Replaces a hard (0/255) selection in place with its 3×3 mean, clipped to
/// the canvas and rounded to nearest.
///
/// Every pixel is 0 or 255, so the mean is `255·n / count` for the number
/// `n` of selected pixels among the `count` in the window: the counts are
/// byte sums of three rows and then of three columns, and the division is by
/// a constant per row kind, so the loops compile to vector code. Each row is
/// written as soon as it is done, so the unchanged rows above and the row
/// itself are kept in two row-sized copies.
pub(super) fn soften_edge(mask: &mut GrayImage) {
    let width = mask.width() as usize;
    if width == 0 {
        return;
    }
    let pixels: &mut [u8] = mask;
    let mut above = vec![0u8; width];
    let mut current = pixels[..width].to_vec();
    let mut counts = vec![0u8; width];
    let mut y = 0;
    while y * width < pixels.len() {
        let (head, tail) = pixels.split_at_mut((y + 1) * width);
        let below = tail.get(..width);
        counts.fill(0);
        let window = [(y > 0).then_some(&above[..]), Some(&current[..]), below];
        for row in window.iter().flatten() {
            for (n, &v) in counts.iter_mut().zip(row.iter()) {
                *n += v & 1;
            }
        }
        let out = &mut head[y * width..];
        match window.iter().flatten().count() {
            3 => mean_row::<3>(&counts, out),
            2 => mean_row::<2>(&counts, out),
            _ => mean_row::<1>(&counts, out),
        }
        std::mem::swap(&mut above, &mut current);
        if let Some(below) = below {
            current.copy_from_slice(below);
        }
        y += 1;
    }
}

/// Writes `out[x]`, the rounded `255·n / count` over the columns `x − 1` to
/// `x + 1` (clipped) of `column_counts`, selected pixels per column of a
/// window `ROWS` rows high.
#[inline(always)]
fn mean_row<const ROWS: u16>(column_counts: &[u8], out: &mut [u8]) {
    let mean = |n: u8, columns: u16| {
        let count = ROWS * columns;
        ((255 * u16::from(n) + count / 2) / count) as u8
    };
    let width = out.len();
    if width == 1 {
        out[0] = mean(column_counts[0], 1);
        return;
    }
    out[0] = mean(column_counts[0] + column_counts[1], 2);
    out[width - 1] = mean(column_counts[width - 2] + column_counts[width - 1], 2);
    let interior = out[1..width - 1]
        .iter_mut()
        .zip(&column_counts[..width - 2])
        .zip(&column_counts[1..width - 1])
        .zip(&column_counts[2..]);
    for (((o, &left), &centre), &right) in interior {
        *o = mean(left + centre + right, 3);
    }
}
