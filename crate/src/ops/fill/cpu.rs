//! The CPU content-aware fill: a coarse-to-fine pyramid; at each level
//! PatchMatch (random search + propagation) finds, for every patch that
//! overlaps the hole, a similar patch lying wholly in the sampling area, and
//! EM-style voting (Wexler et al. 2007) sets each hole pixel to the
//! similarity-weighted mean of what those patches put there.

use super::{AdaptationLimits, FillOptions, Filled, PatchSource, Window};
use image::{GrayImage, RgbaImage};

/// "No source yet" in a nearest-neighbour field.
const NONE: u32 = u32::MAX;

/// One pyramid level of the working window.
pub(super) struct Level {
    pub width: usize,
    pub height: usize,
    /// The image, with the hole holding the current estimate.
    pub pixels: Vec<[u8; 4]>,
    pub hole: Vec<bool>,
    /// Pixels a source patch may cover: in the sampling area, outside the hole.
    sample: Vec<bool>,
}

impl Level {
    fn at(&self, x: usize, y: usize) -> usize {
        y * self.width + x
    }

    /// Half the size: a known pixel is the mean of its known children, a
    /// pixel is hole if any child is, and sampleable only if every child is.
    fn halved(&self) -> Level {
        let (width, height) = (self.width.div_ceil(2), self.height.div_ceil(2));
        let mut pixels = vec![[0u8; 4]; width * height];
        let mut hole = vec![false; width * height];
        let mut sample = vec![false; width * height];
        for y in 0..height {
            for x in 0..width {
                let children = [
                    self.at(2 * x, 2 * y),
                    self.at((2 * x + 1).min(self.width - 1), 2 * y),
                    self.at(2 * x, (2 * y + 1).min(self.height - 1)),
                    self.at(
                        (2 * x + 1).min(self.width - 1),
                        (2 * y + 1).min(self.height - 1),
                    ),
                ];
                let mut sum = [0u32; 4];
                let mut known = 0;
                for &c in &children {
                    if !self.hole[c] {
                        known += 1;
                        for (s, &v) in sum.iter_mut().zip(&self.pixels[c]) {
                            *s += u32::from(v);
                        }
                    }
                }
                let i = y * width + x;
                hole[i] = known < 4;
                sample[i] = children.iter().all(|&c| self.sample[c]);
                if known > 0 {
                    pixels[i] = sum.map(|s| ((s + known / 2) / known) as u8);
                }
            }
        }
        Level {
            width,
            height,
            pixels,
            hole,
            sample,
        }
    }
}

/// Summed-area table of a predicate, for "does this square contain any".
struct Counts {
    width: usize,
    sums: Vec<u32>,
}

impl Counts {
    fn new(width: usize, height: usize, flags: impl Fn(usize) -> bool) -> Counts {
        let w1 = width + 1;
        let mut sums = vec![0u32; w1 * (height + 1)];
        for y in 0..height {
            let mut row = 0;
            for x in 0..width {
                row += u32::from(flags(y * width + x));
                sums[(y + 1) * w1 + x + 1] = sums[y * w1 + x + 1] + row;
            }
        }
        Counts { width, sums }
    }

    /// How many flagged pixels the square of radius `r` around (x, y) holds
    /// (the square must lie inside the image).
    fn around(&self, x: usize, y: usize, r: usize) -> u32 {
        let w1 = self.width + 1;
        let (x0, y0, x1, y1) = (x - r, y - r, x + r + 1, y + r + 1);
        self.sums[y1 * w1 + x1] + self.sums[y0 * w1 + x0]
            - self.sums[y0 * w1 + x1]
            - self.sums[y1 * w1 + x0]
    }
}

/// A stateless hash (a PCG output permutation over mixed inputs): the same
/// seed, level, pass and pixel always draw the same candidate.
fn hash(seed: u64, a: u32, b: u32) -> u32 {
    let mut v = (seed as u32) ^ ((seed >> 32) as u32).rotate_left(7);
    for word in [a, b] {
        v = v.wrapping_mul(747_796_405).wrapping_add(2_891_336_453) ^ word;
        let word = ((v >> ((v >> 28) + 4)) ^ v).wrapping_mul(277_803_737);
        v = (word >> 22) ^ word;
    }
    v
}

/// Sum of squared differences between the patches centred at `t` and `s`,
/// abandoned (returning something ≥ `limit`) once it reaches `limit`.
fn distance(level: &Level, r: usize, t: usize, s: usize, limit: u32) -> u32 {
    let w = level.width;
    let side = 2 * r + 1;
    let mut total = 0u32;
    for dy in 0..side {
        let ta = t + dy * w - r * w - r;
        let sa = s + dy * w - r * w - r;
        let trow = &level.pixels[ta..ta + side];
        let srow = &level.pixels[sa..sa + side];
        let mut row = 0u32;
        for (a, b) in trow.iter().zip(srow) {
            for c in 0..4 {
                let d = i32::from(a[c]) - i32::from(b[c]);
                row += (d * d) as u32;
            }
        }
        total += row;
        if total >= limit {
            return total;
        }
    }
    total
}

/// [`distance`] with the source patch's colours carried by `transfer`
/// (gain, bias per colour channel; see [`super::ColorAdaptation`]), in f32.
fn adapted_distance(
    level: &Level,
    r: usize,
    t: usize,
    s: usize,
    transfer: &[(f32, f32); 3],
    limit: u32,
) -> u32 {
    let w = level.width;
    let side = 2 * r + 1;
    let limit = limit as f32;
    // Alpha as a fourth channel carried unchanged, so every pixel is the
    // same four-lane operation (which vectorises).
    let gain = [transfer[0].0, transfer[1].0, transfer[2].0, 1.0];
    let bias = [transfer[0].1, transfer[1].1, transfer[2].1, 0.0];
    let mut total = 0f32;
    for dy in 0..side {
        let ta = t + dy * w - r * w - r;
        let sa = s + dy * w - r * w - r;
        let trow = &level.pixels[ta..ta + side];
        let srow = &level.pixels[sa..sa + side];
        let mut row = [0f32; 4];
        for (a, b) in trow.iter().zip(srow) {
            for c in 0..4 {
                let d = gain[c] * f32::from(b[c]) + bias[c] - f32::from(a[c]);
                row[c] += d * d;
            }
        }
        total += row.iter().sum::<f32>();
        if total >= limit {
            break;
        }
    }
    total as u32
}

/// Each patch centre's mean and standard deviation per colour channel
/// (`[mean r, g, b, std r, g, b]`; zeros where no patch fits) into `stats`,
/// from box sums of the values and their squares kept as running sums: a
/// column total per column over the patch's rows, slid down a row at a
/// time, and a running total of those across each row. (Integers
/// throughout, so the same sums as any other order; a patch's sum of
/// squares, at most 255² per value, fits 32 bits for any patch side.)
fn patch_stats(level: &Level, r: usize, stats: &mut Vec<[f32; 6]>) {
    let (w, h) = (level.width, level.height);
    let side = 2 * r + 1;
    stats.clear();
    stats.resize(w * h, [0.0; 6]);
    if w < side || h < side {
        return;
    }
    // A pixel's values and squares per colour channel.
    let moments = |p: [u8; 4]| -> [u32; 6] {
        let v = [0, 1, 2].map(|c| u32::from(p[c]));
        [v[0], v[1], v[2], v[0] * v[0], v[1] * v[1], v[2] * v[2]]
    };
    let mut columns = vec![[0u32; 6]; w];
    for y in 0..side {
        for (x, column) in columns.iter_mut().enumerate() {
            let m = moments(level.pixels[y * w + x]);
            for k in 0..6 {
                column[k] += m[k];
            }
        }
    }
    let n = (side * side) as f32;
    for y in r..h - r {
        let mut total = [0u32; 6];
        for column in &columns[..side] {
            for k in 0..6 {
                total[k] += column[k];
            }
        }
        for x in r..w - r {
            let out = &mut stats[y * w + x];
            for c in 0..3 {
                let mean = total[c] as f32 / n;
                out[c] = mean;
                out[3 + c] = (total[3 + c] as f32 / n - mean * mean).max(0.0).sqrt();
            }
            if x + r + 1 < w {
                for k in 0..6 {
                    total[k] = total[k] + columns[x + r + 1][k] - columns[x - r][k];
                }
            }
        }
        if y + r + 1 < h {
            for (x, column) in columns.iter_mut().enumerate() {
                let incoming = moments(level.pixels[(y + r + 1) * w + x]);
                let outgoing = moments(level.pixels[(y - r) * w + x]);
                for k in 0..6 {
                    column[k] = column[k] + incoming[k] - outgoing[k];
                }
            }
        }
    }
}

/// Colour adaptation's state on a level: its limits and the patches'
/// statistics against the current estimate.
pub(super) struct Adaptation {
    pub limits: AdaptationLimits,
    pub stats: Vec<[f32; 6]>,
}

impl Adaptation {
    /// Gain and bias per colour channel carrying source `s` to target `t`.
    #[inline(always)]
    fn transfer(&self, t: usize, s: usize) -> [(f32, f32); 3] {
        let (ts, ss) = (&self.stats[t], &self.stats[s]);
        std::array::from_fn(|c| self.limits.transfer(ss[c], ss[3 + c], ts[c], ts[3 + c]))
    }
}

/// The nearest-neighbour field of one level: for every patch overlapping
/// the hole, the best-known sampleable patch and its distance.
pub(super) struct Field {
    width: usize,
    height: usize,
    pub r: usize,
    /// Centres whose patch overlaps the hole, in scan order.
    pub targets: Vec<usize>,
    /// Centres whose whole patch is sampleable, in scan order.
    sources: Vec<usize>,
    /// Whether a centre is a valid source.
    pub source_ok: Vec<bool>,
    /// Per pixel: the source centre of the patch centred there (`NONE` off targets).
    pub nnf: Vec<u32>,
    pub dist: Vec<u32>,
    /// Colour adaptation, when on.
    pub adaptation: Option<Adaptation>,
}

impl Field {
    fn new(level: &Level, r: usize, limits: Option<AdaptationLimits>) -> Field {
        let (w, h) = (level.width, level.height);
        let holes = Counts::new(w, h, |i| level.hole[i]);
        let unsampleable = Counts::new(w, h, |i| !level.sample[i]);
        let mut targets = Vec::new();
        let mut sources = Vec::new();
        let mut source_ok = vec![false; w * h];
        for y in r..h.saturating_sub(r) {
            for x in r..w.saturating_sub(r) {
                let i = level.at(x, y);
                if holes.around(x, y, r) > 0 {
                    targets.push(i);
                }
                if unsampleable.around(x, y, r) == 0 {
                    sources.push(i);
                    source_ok[i] = true;
                }
            }
        }
        Field {
            width: w,
            height: h,
            r,
            targets,
            sources,
            source_ok,
            nnf: vec![NONE; w * h],
            dist: vec![u32::MAX; w * h],
            adaptation: limits.map(|limits| Adaptation {
                limits,
                stats: Vec::new(),
            }),
        }
    }

    fn random_source(&self, seed: u64, t: usize) -> usize {
        self.sources[hash(seed, t as u32, 0x5eed) as usize % self.sources.len()]
    }

    /// Starts every target at a random source.
    fn randomise(&mut self, seed: u64) {
        for k in 0..self.targets.len() {
            let t = self.targets[k];
            self.nnf[t] = self.random_source(seed, t) as u32;
        }
    }

    /// Starts from the coarser level's field: the child of the parent's
    /// source at the same offset, or a random source where that is invalid.
    fn upsample(&mut self, coarse: &Field, seed: u64) {
        let (w, h, cw, ch) = (self.width, self.height, coarse.width, coarse.height);
        for k in 0..self.targets.len() {
            let t = self.targets[k];
            let (x, y) = (t % w, t / w);
            let (cx, cy) = ((x / 2).min(cw - 1), (y / 2).min(ch - 1));
            let parent = coarse.nnf[cy * cw + cx];
            let mut s = None;
            if parent != NONE {
                let (sx, sy) = (parent as usize % cw, parent as usize / cw);
                let fx = (2 * sx + x).checked_sub(2 * cx);
                let fy = (2 * sy + y).checked_sub(2 * cy);
                if let (Some(fx), Some(fy)) = (fx, fy) {
                    if fx < w && fy < h && self.source_ok[fy * w + fx] {
                        s = Some(fy * w + fx);
                    }
                }
            }
            self.nnf[t] = s.unwrap_or_else(|| self.random_source(seed, t)) as u32;
        }
    }

    /// The distance between the patches centred at `t` and `s` (the
    /// source adapted when colour adaptation is on), abandoned at `limit`.
    fn patch_distance(&self, level: &Level, t: usize, s: usize, limit: u32) -> u32 {
        match &self.adaptation {
            None => distance(level, self.r, t, s, limit),
            Some(a) => adapted_distance(level, self.r, t, s, &a.transfer(t, s), limit),
        }
    }

    /// Recomputes every target's distance against the current estimate
    /// (and, with colour adaptation, every patch's statistics).
    fn measure(&mut self, level: &Level) {
        if let Some(a) = &mut self.adaptation {
            patch_stats(level, self.r, &mut a.stats);
        }
        for k in 0..self.targets.len() {
            let t = self.targets[k];
            self.dist[t] = self.patch_distance(level, t, self.nnf[t] as usize, u32::MAX);
        }
    }

    fn try_source(&mut self, level: &Level, t: usize, s: usize) {
        if self.source_ok[s] && s as u32 != self.nnf[t] {
            let d = self.patch_distance(level, t, s, self.dist[t]);
            if d < self.dist[t] {
                self.dist[t] = d;
                self.nnf[t] = s as u32;
            }
        }
    }

    /// One PatchMatch pass: even passes scan forwards and propagate from the
    /// left and above, odd ones backwards from the right and below; then a
    /// random search around the best source in windows halving in size.
    fn improve(&mut self, level: &Level, seed: u64, pass: u32) {
        let (w, h, r) = (self.width, self.height, self.r);
        let forwards = pass.is_multiple_of(2);
        for k in 0..self.targets.len() {
            let t = if forwards {
                self.targets[k]
            } else {
                self.targets[self.targets.len() - 1 - k]
            };
            let (x, y) = (t % w, t / w);
            if forwards {
                if x > 0 && self.nnf[t - 1] != NONE {
                    self.try_source(level, t, self.nnf[t - 1] as usize + 1);
                }
                if y > 0 && self.nnf[t - w] != NONE {
                    let s = self.nnf[t - w] as usize + w;
                    if s < w * h {
                        self.try_source(level, t, s);
                    }
                }
            } else {
                if x + 1 < w && self.nnf[t + 1] != NONE {
                    if let Some(s) = (self.nnf[t + 1] as usize).checked_sub(1) {
                        self.try_source(level, t, s);
                    }
                }
                if y + 1 < h && self.nnf[t + w] != NONE {
                    if let Some(s) = (self.nnf[t + w] as usize).checked_sub(w) {
                        self.try_source(level, t, s);
                    }
                }
            }
            let mut radius = w.max(h) as i64;
            let mut step = 0;
            while radius >= 1 {
                let best = self.nnf[t] as usize;
                let (bx, by) = ((best % w) as i64, (best / w) as i64);
                let draw = hash(seed, t as u32, (pass << 8) | step);
                let span = 2 * radius as u64 + 1;
                let dx = ((u64::from(draw & 0xffff) * span) >> 16) as i64 - radius;
                let dy = ((u64::from(draw >> 16) * span) >> 16) as i64 - radius;
                let sx = (bx + dx).clamp(r as i64, (w - 1 - r) as i64) as usize;
                let sy = (by + dy).clamp(r as i64, (h - 1 - r) as i64) as usize;
                self.try_source(level, t, sy * w + sx);
                radius /= 2;
                step += 1;
            }
        }
    }

    /// The scale of the vote's weights: σ², the 75th percentile of the
    /// targets' per-pixel distances (Wexler et al.'s robust weighting), at
    /// least 1.
    pub(super) fn sigma2(&self) -> f32 {
        let area = self.area();
        let mut per_pixel: Vec<f32> = self
            .targets
            .iter()
            .map(|&t| self.dist[t] as f32 / area)
            .collect();
        if per_pixel.is_empty() {
            return 1.0;
        }
        let q = per_pixel.len() * 3 / 4;
        per_pixel
            .select_nth_unstable_by(q, f32::total_cmp)
            .1
            .max(1.0)
    }

    /// Pixels in a patch.
    pub(super) fn area(&self) -> f32 {
        let side = 2 * self.r + 1;
        (side * side) as f32
    }

    /// Sets every hole pixel of `level` to the weighted mean of the colours
    /// the patches covering it vote for; a patch's weight falls with its
    /// distance, `exp(-d / 2σ²)` (see [`Field::sigma2`]).
    fn vote(&self, level: &mut Level) {
        let (w, r) = (self.width, self.r);
        let side = 2 * r + 1;
        let area = self.area();
        let sigma2 = self.sigma2();
        let mut sums = vec![[0f32; 5]; level.pixels.len()];
        for &t in &self.targets {
            let s = self.nnf[t] as usize;
            let weight = (-(self.dist[t] as f32 / area) / (2.0 * sigma2)).exp() + 1e-6;
            let transfer = match &self.adaptation {
                Some(a) => a.transfer(t, s),
                None => [(1.0, 0.0); 3],
            };
            for dy in 0..side {
                let ta = t + dy * w - r * w - r;
                let sa = s + dy * w - r * w - r;
                for dx in 0..side {
                    if level.hole[ta + dx] {
                        let src = level.pixels[sa + dx];
                        let acc = &mut sums[ta + dx];
                        for (c, &(gain, bias)) in transfer.iter().enumerate() {
                            acc[c] += weight * (gain * f32::from(src[c]) + bias);
                        }
                        acc[3] += weight * f32::from(src[3]);
                        acc[4] += weight;
                    }
                }
            }
        }
        for (p, acc) in level.pixels.iter_mut().zip(&sums) {
            if acc[4] > 0.0 {
                *p = [0, 1, 2, 3].map(|c| (acc[c] / acc[4]).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
}

/// Fills the coarsest level's hole by peeling it from its edge inwards, each
/// pixel the mean of its already-known 8-neighbours: a smooth first guess.
fn peel(level: &mut Level) {
    let (w, h) = (level.width, level.height);
    let mut known: Vec<bool> = level.hole.iter().map(|&h| !h).collect();
    let mut pending: Vec<usize> = (0..w * h).filter(|&i| !known[i]).collect();
    while !pending.is_empty() {
        let mut next = Vec::new();
        let mut done = Vec::new();
        for &i in &pending {
            let (x, y) = (i % w, i / w);
            let mut sum = [0u32; 4];
            let mut n = 0;
            for ny in y.saturating_sub(1)..(y + 2).min(h) {
                for nx in x.saturating_sub(1)..(x + 2).min(w) {
                    let j = ny * w + nx;
                    if known[j] {
                        n += 1;
                        for (s, &v) in sum.iter_mut().zip(&level.pixels[j]) {
                            *s += u32::from(v);
                        }
                    }
                }
            }
            if n > 0 {
                level.pixels[i] = sum.map(|s| ((s + n / 2) / n) as u8);
                done.push(i);
            } else {
                next.push(i);
            }
        }
        if done.is_empty() {
            break; // nothing known at all: leave the rest as it is
        }
        for i in done {
            known[i] = true;
        }
        pending = next;
    }
}

/// Sets the hole of `fine` from the coarser level's estimate (nearest parent).
fn upsample_estimate(fine: &mut Level, coarse: &Level) {
    for y in 0..fine.height {
        for x in 0..fine.width {
            let i = fine.at(x, y);
            if fine.hole[i] {
                fine.pixels[i] = coarse.pixels[coarse.at(x / 2, y / 2)];
            }
        }
    }
}

/// EM iterations and PatchMatch passes per EM iteration at a level, from
/// the coarsest (`depth` 0) down: coarse levels are cheap and set the
/// structure, so they iterate more.
fn schedule(depth: usize, levels: usize) -> (u32, u32) {
    let finest = depth + 1 == levels;
    if finest {
        (2, 2)
    } else if depth == 0 {
        (8, 4)
    } else {
        (4, 2)
    }
}

/// Builds the pyramid until the hole is a few patches across or the window
/// would become too small to hold a sampleable patch.
fn pyramid(base: Level, patch: usize) -> Vec<Level> {
    let mut levels = vec![base];
    loop {
        let top = levels.last().expect("the base level");
        let (hole_w, hole_h) = hole_extent(top);
        if hole_w.max(hole_h) <= 2 * patch || top.width.min(top.height) < 4 * patch {
            break;
        }
        let next = top.halved();
        let r = patch / 2;
        let field = Field::new(&next, r, None);
        if field.sources.len() < 16 || field.targets.is_empty() {
            break;
        }
        levels.push(next);
    }
    levels
}

fn hole_extent(level: &Level) -> (usize, usize) {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..level.height {
        for x in 0..level.width {
            if level.hole[level.at(x, y)] {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
    }
    if x0 == usize::MAX {
        (0, 0)
    } else {
        (x1 - x0 + 1, y1 - y0 + 1)
    }
}

/// A fill under way: the pyramid, worked coarsest level first, and the
/// field of the level finished last. The per-level work (PatchMatch and
/// voting, [`Stage`]) runs on the CPU here or on the GPU (`gpu.rs`); the
/// rest is this cheap bookkeeping, shared by both.
pub(super) struct Pyramid {
    levels: Vec<Level>,
    window: Window,
    r: usize,
    seed: u64,
    adaptation: Option<AdaptationLimits>,
    /// Levels not started yet: the next is `levels[remaining - 1]`.
    remaining: usize,
    coarser: Option<Field>,
}

/// One level's work: its started field and how long to iterate.
pub(super) struct Stage {
    pub field: Field,
    pub em_rounds: u32,
    pub passes: u32,
    pub seed: u64,
}

impl Pyramid {
    /// Builds the pyramid of `window` (validated by the caller: it holds the
    /// hole and at least one sampleable patch) and the coarsest first guess.
    pub(super) fn new(
        image: &RgbaImage,
        hole: &GrayImage,
        sample_area: Option<&GrayImage>,
        window: Window,
        options: &FillOptions,
    ) -> Pyramid {
        let patch = options.patch as usize;
        let (ww, wh) = (window.width as usize, window.height as usize);
        let mut base = Level {
            width: ww,
            height: wh,
            pixels: Vec::with_capacity(ww * wh),
            hole: Vec::with_capacity(ww * wh),
            sample: Vec::with_capacity(ww * wh),
        };
        for y in 0..window.height {
            for x in 0..window.width {
                let (cx, cy) = (window.x + x, window.y + y);
                let in_hole = hole.get_pixel(cx, cy).0[0] > 0;
                base.pixels.push(image.get_pixel(cx, cy).0);
                base.hole.push(in_hole);
                base.sample
                    .push(!in_hole && sample_area.is_none_or(|s| s.get_pixel(cx, cy).0[0] > 0));
            }
        }
        let mut levels = pyramid(base, patch);
        peel(levels.last_mut().expect("at least the base level"));
        Pyramid {
            remaining: levels.len(),
            levels,
            window,
            r: patch / 2,
            seed: options.seed,
            adaptation: options.color_adaptation.limits(),
            coarser: None,
        }
    }

    /// Starts the next finer level: its hole takes the coarser estimate and
    /// its field the coarser field (or random sources at the coarsest).
    /// `None` once every level is done.
    pub(super) fn next_stage(&mut self) -> Option<Stage> {
        let index = self.remaining.checked_sub(1)?;
        self.remaining = index;
        let count = self.levels.len();
        if index + 1 < count {
            let (fine, coarse) = self.levels.split_at_mut(index + 1);
            upsample_estimate(&mut fine[index], &coarse[0]);
        }
        let level = &self.levels[index];
        let seed = self.seed ^ ((index as u64 + 1) << 56);
        let mut field = Field::new(level, self.r, self.adaptation);
        match &self.coarser {
            Some(parent) => field.upsample(parent, seed),
            None => field.randomise(seed),
        }
        let (em_rounds, passes) = schedule(count - 1 - index, count);
        Some(Stage {
            field,
            em_rounds,
            passes,
            seed,
        })
    }

    /// The level the last [`Pyramid::next_stage`] started.
    pub(super) fn level_mut(&mut self) -> &mut Level {
        &mut self.levels[self.remaining]
    }

    /// Records a level's final field: the next level starts from it.
    pub(super) fn finish_stage(&mut self, stage: Stage) {
        self.coarser = Some(stage.field);
    }

    /// The filled image: `image` with the finest estimate in its hole.
    pub(super) fn finish(self, image: &RgbaImage, patch: u32) -> Filled {
        let window = self.window;
        let ww = window.width as usize;
        let field = self.coarser.expect("every level was run");
        let sources = field
            .targets
            .iter()
            .map(|&t| {
                let s = field.nnf[t] as usize;
                PatchSource {
                    target: (window.x + (t % ww) as u32, window.y + (t / ww) as u32),
                    source: (window.x + (s % ww) as u32, window.y + (s / ww) as u32),
                }
            })
            .collect();
        let mut out = image.clone();
        let base = &self.levels[0];
        for (i, (&in_hole, pixel)) in base.hole.iter().zip(&base.pixels).enumerate() {
            if in_hole {
                let (x, y) = ((i % ww) as u32, (i / ww) as u32);
                out.put_pixel(window.x + x, window.y + y, image::Rgba(*pixel));
            }
        }
        Filled {
            image: out,
            sources,
            patch,
        }
    }
}

impl Stage {
    /// The level's EM rounds on the CPU: measure, PatchMatch passes, vote.
    pub(super) fn run_cpu(&mut self, level: &mut Level) {
        for round in 0..self.em_rounds {
            self.field.measure(level);
            for pass in 0..self.passes {
                self.field
                    .improve(level, round_seed(self.seed, round), pass);
            }
            self.field.vote(level);
        }
    }
}

/// The seed of one EM round's draws.
pub(super) fn round_seed(level_seed: u64, round: u32) -> u64 {
    level_seed ^ (u64::from(round) << 40)
}

/// Runs the fill inside `window` on the CPU.
pub(super) fn fill(
    image: &RgbaImage,
    hole: &GrayImage,
    sample_area: Option<&GrayImage>,
    window: Window,
    options: &FillOptions,
) -> Filled {
    let mut pyramid = Pyramid::new(image, hole, sample_area, window, options);
    while let Some(mut stage) = pyramid.next_stage() {
        stage.run_cpu(pyramid.level_mut());
        pyramid.finish_stage(stage);
    }
    pyramid.finish(image, options.patch)
}
