//! Grow/shrink and smooth on the CPU; see the module docs for the method.

use super::Direction;
use image::GrayImage;

/// A pixel at or above this coverage counts as selected.
pub(super) const SELECTED: u8 = 128;

/// `h[g] = ⌊√(N² − g²)⌋` for `g ≤ N`: how far a pixel `g` rows from the
/// selection reaches sideways. `h[N + 1]` is a large negative number so that
/// columns with no feature within N reach nothing.
pub(super) fn reach_table(distance: u32) -> Vec<i32> {
    let n2 = u64::from(distance) * u64::from(distance);
    let mut table: Vec<i32> = (0..=distance)
        .map(|g| {
            let rest = n2 - u64::from(g) * u64::from(g);
            let mut h = (rest as f64).sqrt() as u64;
            // Correct the float square root to the exact integer one.
            while h * h > rest {
                h -= 1;
            }
            while (h + 1) * (h + 1) <= rest {
                h += 1;
            }
            h as i32
        })
        .collect();
    table.push(i32::MIN / 2);
    table
}

/// Up to this distance [`within_distance_direct`] is the faster method: on a
/// 4096² mask, one thread, it takes about 1.6 ms per pixel of distance
/// against the transform's flat ~90 ms natively, so they cross near 56; in
/// wasm (half-width vectors, ~1.8 ms per pixel against ~61 ms) near 34
/// (BENCHMARKS.md).
#[cfg(not(target_arch = "wasm32"))]
const DIRECT_MAX_DISTANCE: u32 = 40;
#[cfg(target_arch = "wasm32")]
const DIRECT_MAX_DISTANCE: u32 = 28;

/// Pixels within `distance` of a feature (selected pixels when growing,
/// unselected ones when shrinking); the result selects them when growing and
/// the others when shrinking. Both methods give the same bits; this picks
/// the faster one.
pub(super) fn within_distance(mask: &GrayImage, distance: u32, direction: Direction) -> GrayImage {
    if distance <= DIRECT_MAX_DISTANCE {
        within_distance_direct(mask, distance, direction)
    } else {
        within_distance_transform(mask, distance, direction)
    }
}

/// [`within_distance`] by the exact distance transform's first stage and
/// two sweeps per row (the module docs): a cost independent of the distance.
pub(super) fn within_distance_transform(
    mask: &GrayImage,
    distance: u32,
    direction: Direction,
) -> GrayImage {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let cap = distance + 1;
    let is_feature = |v: u8| match direction {
        Direction::Grow => v >= SELECTED,
        Direction::Shrink => v < SELECTED,
    };
    // Vertical distance to the nearest feature in the column, capped at N + 1:
    // columns are independent, so groups of them go to the cores, each
    // written through its segment of every row.
    let mut column_distance = vec![0u32; width * height];
    let parts = crate::parallel::parts_for(width * height);
    let groups = crate::parallel::column_groups(&mut column_distance, width, width.div_ceil(parts));
    crate::parallel::for_each_part(groups, |(x_start, mut segments)| {
        let columns = segments.first().map_or(0, |row| row.len());
        let mut run = vec![cap; columns];
        for (y, g_row) in segments.iter_mut().enumerate() {
            let row = &mask.as_raw()[y * width + x_start..][..columns];
            for ((&v, r), g) in row.iter().zip(&mut run).zip(g_row.iter_mut()) {
                *r = if is_feature(v) { 0 } else { (*r + 1).min(cap) };
                *g = *r;
            }
        }
        run.fill(cap);
        for g_row in segments.iter_mut().rev() {
            for (r, g) in run.iter_mut().zip(g_row.iter_mut()) {
                *r = if *g == 0 { 0 } else { (*r + 1).min(cap) };
                *g = (*g).min(*r);
            }
        }
    });
    let reach = reach_table(distance);
    let (inside, outside) = match direction {
        Direction::Grow => (255, 0),
        Direction::Shrink => (0, 255),
    };
    let mut out = GrayImage::new(mask.width(), mask.height());
    // Rows are independent from here on: split over the cores.
    crate::parallel::for_each_row(out.as_mut(), width, 1, |y, out_row| {
        let g_row = &column_distance[y * width..][..width];
        // Reach of the features at or left of x, then at or right of x.
        let mut covered = vec![false; width];
        let mut right_end = i32::MIN;
        for (x, (&g, c)) in g_row.iter().zip(&mut covered).enumerate() {
            right_end = right_end.max(x as i32 + reach[g as usize]);
            *c = right_end >= x as i32;
        }
        let mut left_end = i32::MAX;
        for (x, ((&g, c), o)) in g_row
            .iter()
            .zip(&covered)
            .zip(out_row.iter_mut())
            .enumerate()
            .rev()
        {
            left_end = left_end.min(x as i32 - reach[g as usize]);
            *o = if *c || left_end <= x as i32 {
                inside
            } else {
                outside
            };
        }
    });
    out
}

/// [`within_distance`] straight from the definition, for small distances:
/// the disc of radius N is the union of its rows, row `dy` a run of
/// half-width `h(|dy|)`, so a pixel is within N of a feature when the run of
/// that half-width around it in row `y + dy` holds one. Each input row's
/// runs of every half-width up to N come one from the other by a three-way
/// byte max, and each output row ORs 2N+1 of them: about 5N byte operations
/// a pixel, in 32-byte vectors, against the exact transform's fixed cost of
/// a few scalar steps. The result is the same bit for bit (tested), so the
/// caller picks by cost alone. Row bands go to the cores.
pub(super) fn within_distance_direct(
    mask: &GrayImage,
    distance: u32,
    direction: Direction,
) -> GrayImage {
    let width = mask.width() as usize;
    let reach = reach_table(distance);
    let mut out = GrayImage::new(mask.width(), mask.height());
    crate::parallel::for_each_band(out.as_mut(), width, |y_start, rows| {
        dilate_band_widest(mask.as_raw(), width, &reach, direction, y_start, rows)
    });
    out
}

crate::simd::widest_vectors! {
    /// [`dilate_band`] on the widest vectors.
    fn dilate_band_widest(
        input: &[u8],
        width: usize,
        reach: &[i32],
        direction: Direction,
        y_start: usize,
        out: &mut [u8],
    ) = dilate_band;
}

/// The output rows `out` from `y_start` on of [`within_distance_direct`];
/// `reach` is [`reach_table`] of the distance.
#[inline(always)]
fn dilate_band(
    input: &[u8],
    width: usize,
    reach: &[i32],
    direction: Direction,
    y_start: usize,
    out: &mut [u8],
) {
    let n = reach.len() - 2;
    let (height, rows) = (input.len() / width, out.len() / width);
    // runs[w]: one input row's features (255) dilated by w sideways, with a
    // zero on each side so that the three-way max needs no edge case (the
    // canvas edge is never a feature).
    let mut runs = vec![vec![0u8; width + 2]; n + 1];
    for r in y_start.saturating_sub(n)..(y_start + rows + n).min(height) {
        let row = &input[r * width..][..width];
        let features = &mut runs[0][1..=width];
        // The sign bit is "at least 128": an arithmetic shift spreads it.
        match direction {
            Direction::Grow => {
                for (f, &v) in features.iter_mut().zip(row) {
                    *f = ((v as i8) >> 7) as u8;
                }
            }
            Direction::Shrink => {
                for (f, &v) in features.iter_mut().zip(row) {
                    *f = !(((v as i8) >> 7) as u8);
                }
            }
        }
        for w in 1..=n {
            let (narrower, wider) = runs.split_at_mut(w);
            let previous = &narrower[w - 1];
            let wider = &mut wider[0][1..=width];
            for (((o, &a), &b), &c) in wider
                .iter_mut()
                .zip(&previous[..width])
                .zip(&previous[1..=width])
                .zip(&previous[2..])
            {
                *o = a.max(b).max(c);
            }
        }
        let first = r.saturating_sub(n).max(y_start);
        for y in first..(r + n + 1).min(y_start + rows) {
            let run = &runs[reach[y.abs_diff(r)] as usize][1..=width];
            for (o, &v) in out[(y - y_start) * width..][..width].iter_mut().zip(run) {
                *o |= v;
            }
        }
    }
    if direction == Direction::Shrink {
        for o in out.iter_mut() {
            *o = !*o;
        }
    }
}

/// Majority filter over a `(2r+1)²` window clipped to the canvas.
pub(super) fn majority(mask: &GrayImage, radius: u32) -> GrayImage {
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    // sums[(y+1)·(w+1) + x+1] = selected pixels in [0, x] × [0, y].
    let stride = width + 1;
    let mut sums = vec![0u32; stride * (height + 1)];
    for (y, row) in mask.chunks_exact(width).enumerate() {
        let mut row_total = 0;
        for (x, &v) in row.iter().enumerate() {
            row_total += u32::from(v >= SELECTED);
            sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row_total;
        }
    }
    let r = radius as usize;
    let mut out = GrayImage::new(mask.width(), mask.height());
    crate::parallel::for_each_row(out.as_mut(), width, 1, |y, out_row| {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(height));
        for (x, o) in out_row.iter_mut().enumerate() {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(width));
            let selected = sums[y1 * stride + x1] + sums[y0 * stride + x0]
                - sums[y0 * stride + x1]
                - sums[y1 * stride + x0];
            let total = ((x1 - x0) * (y1 - y0)) as u32;
            let was_selected = mask.as_raw()[y * width + x] >= SELECTED;
            let keep = 2 * selected > total || (2 * selected == total && was_selected);
            *o = if keep { 255 } else { 0 };
        }
    });
    out
}
