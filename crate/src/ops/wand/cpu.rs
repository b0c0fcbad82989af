//! The wand on the CPU: a scanline flood fill over a byte map of the
//! matching pixels, made a row at a time when the fill first reaches it.
//!
//! The map's rows are computed in vector loops (four byte differences and a
//! comparison per pixel), and the fill then only reads and writes bytes: it
//! looks for the ends of runs and for the next open pixel eight bytes at a
//! time (SWAR on u64 words), so a row the fill crosses costs a few steps
//! per eight pixels instead of a table lookup per channel and pixel.

use image::{GrayImage, RgbaImage};

/// Decides whether a pixel matches the seed colour: every channel within
/// the tolerance.
pub(super) struct Matcher {
    seed: [u8; 4],
    tolerance: u8,
}

/// A pixel the fill has not reached and that matches.
const OPEN: u8 = 1;
/// A pixel that does not match (or whose row the fill never reached).
const CLOSED: u8 = 0;
/// A selected pixel.
const FILLED: u8 = 255;

impl Matcher {
    pub fn new(seed: [u8; 4], tolerance: u8) -> Self {
        Matcher { seed, tolerance }
    }

    /// Writes [`OPEN`] or [`CLOSED`] into `out` for each RGBA pixel of
    /// `pixels`.
    fn mark(&self, pixels: &[u8], out: &mut [u8]) {
        mark_widest(self.seed, self.tolerance, pixels, out);
    }
}

crate::simd::widest_vectors! {
    /// [`mark`] on the widest vectors.
    fn mark_widest(seed: [u8; 4], tolerance: u8, pixels: &[u8], out: &mut [u8]) = mark;
}

/// [`Matcher::mark`], sixteen pixels at a time: each channel byte's
/// distance from the seed's byte at the same place in a repeated pattern,
/// less the tolerance, then a pixel's four bytes read as one word (zero:
/// every channel within).
#[inline(always)]
fn mark(seed: [u8; 4], tolerance: u8, pixels: &[u8], out: &mut [u8]) {
    const PIXELS: usize = 16;
    let pattern: [u8; 4 * PIXELS] = std::array::from_fn(|i| seed[i % 4]);
    let mut blocks = pixels.chunks_exact(4 * PIXELS);
    let mut outs = out.chunks_exact_mut(PIXELS);
    for (block, out) in (&mut blocks).zip(&mut outs) {
        let block: &[u8; 4 * PIXELS] = block.try_into().expect("a block");
        // Nonzero where a channel is beyond the tolerance, in saturating
        // byte arithmetic only: `abs_diff` and a comparison made the
        // compiler widen every byte to 32 bits.
        let mut far = [0u8; 4 * PIXELS];
        for ((f, &v), &s) in far.iter_mut().zip(block).zip(&pattern) {
            let distance = v.saturating_sub(s) | s.saturating_sub(v);
            *f = distance.saturating_sub(tolerance);
        }
        for (o, flags) in out.iter_mut().zip(far.chunks_exact(4)) {
            let flags = u32::from_ne_bytes(flags.try_into().expect("four flags"));
            *o = u8::from(flags == 0);
        }
    }
    let rest = blocks.remainder().chunks_exact(4);
    for (o, p) in outs.into_remainder().iter_mut().zip(rest) {
        let within = p
            .iter()
            .zip(&seed)
            .all(|(&v, &s)| v.abs_diff(s) <= tolerance);
        *o = u8::from(within);
    }
}

/// Every matching pixel, connected or not.
pub(super) fn select_matching(image: &RgbaImage, matcher: &Matcher) -> GrayImage {
    let mut values = vec![CLOSED; image.as_raw().len() / 4];
    matcher.mark(image.as_raw(), &mut values);
    for v in &mut values {
        *v = v.wrapping_neg();
    }
    GrayImage::from_raw(image.width(), image.height(), values).expect("one value per pixel")
}

/// Eight bytes of 1 (or the low bit of each byte).
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each byte.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The word of eight bytes.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
}

/// How many [`OPEN`] bytes `bytes` starts with.
fn open_run(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        // Zero bytes where open; the first other byte ends the run.
        let other = word(chunk) ^ ONES;
        if other != 0 {
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + chunks
        .remainder()
        .iter()
        .take_while(|&&b| b == OPEN)
        .count()
}

/// How many [`OPEN`] bytes `bytes` ends with.
fn open_run_back(bytes: &[u8]) -> usize {
    let mut chunks = bytes.rchunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let other = word(chunk) ^ ONES;
        if other != 0 {
            return n + (other.leading_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + chunks
        .remainder()
        .iter()
        .rev()
        .take_while(|&&b| b == OPEN)
        .count()
}

/// The index of the first [`OPEN`] byte of `bytes`.
fn first_open(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        // Zero bytes where open: the classic has-zero-byte test, whose
        // lowest flag is exact (higher ones may be false after a borrow).
        let t = word(chunk) ^ ONES;
        let zero = t.wrapping_sub(ONES) & !t & HIGHS;
        if zero != 0 {
            return Some(n + (zero.trailing_zeros() / 8) as usize);
        }
        n += 8;
    }
    let rest = chunks.remainder().iter().position(|&b| b == OPEN);
    rest.map(|i| n + i)
}

/// Fills the open run through `x` (open) of `row`; returns its inclusive ends.
fn fill_run(row: &mut [u8], x: usize) -> (usize, usize) {
    let left = x - open_run_back(&row[..x]);
    let right = x + open_run(&row[x..]) - 1;
    row[left..=right].fill(FILLED);
    (left, right)
}

/// Matching pixels 4-connected to `seed`: each popped span of a row looks
/// for runs of open pixels in the rows above and below, extends them
/// sideways and pushes them.
pub(super) fn flood_fill(image: &RgbaImage, seed: (u32, u32), matcher: &Matcher) -> GrayImage {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    let mut state = vec![CLOSED; width * height];
    let mut marked = vec![false; height];
    let mut row_of = |state: &mut [u8], y: usize| -> std::ops::Range<usize> {
        let row = y * width..(y + 1) * width;
        if !std::mem::replace(&mut marked[y], true) {
            matcher.mark(&pixels[row.start * 4..row.end * 4], &mut state[row.clone()]);
        }
        row
    };
    let (sx, sy) = (seed.0 as usize, seed.1 as usize);
    let row = row_of(&mut state, sy);
    // The seed matches itself: every difference is 0.
    let mut spans = vec![(sy, fill_run(&mut state[row], sx))];
    while let Some((y, (left, right))) = spans.pop() {
        let neighbours = [y.checked_sub(1), (y + 1 < height).then_some(y + 1)];
        for ny in neighbours.into_iter().flatten() {
            let range = row_of(&mut state, ny);
            let row = &mut state[range];
            let mut x = left;
            while x <= right {
                let Some(i) = first_open(&row[x..=right]) else {
                    break;
                };
                let run = fill_run(row, x + i);
                spans.push((ny, run));
                x = run.1 + 2;
            }
        }
    }
    // FILLED stays 255, OPEN and CLOSED become 0.
    for v in &mut state {
        *v = ((*v as i8) >> 7) as u8;
    }
    GrayImage::from_raw(image.width(), image.height(), state).expect("one value per pixel")
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
