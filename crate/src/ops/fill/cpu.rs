//! The CPU content-aware fill: a coarse-to-fine pyramid; at each level
//! PatchMatch (random search + propagation) finds, for every patch that
//! overlaps the hole, a similar patch lying wholly in the sampling area, and
//! EM-style voting (Wexler et al. 2007) sets each hole pixel to the
//! similarity-weighted mean of what those patches put there.

use super::{FillOptions, Filled, PatchSource, Window};
use image::{GrayImage, RgbaImage};

/// "No source yet" in a nearest-neighbour field.
const NONE: u32 = u32::MAX;

/// One pyramid level of the working window.
struct Level {
    width: usize,
    height: usize,
    /// The image, with the hole holding the current estimate.
    pixels: Vec<[u8; 4]>,
    hole: Vec<bool>,
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

/// The nearest-neighbour field of one level: for every patch overlapping
/// the hole, the best-known sampleable patch and its distance.
struct Field {
    width: usize,
    height: usize,
    r: usize,
    /// Centres whose patch overlaps the hole, in scan order.
    targets: Vec<usize>,
    /// Centres whose whole patch is sampleable, in scan order.
    sources: Vec<usize>,
    /// Whether a centre is a valid source.
    source_ok: Vec<bool>,
    /// Per pixel: the source centre of the patch centred there (`NONE` off targets).
    nnf: Vec<u32>,
    dist: Vec<u32>,
}

impl Field {
    fn new(level: &Level, r: usize) -> Field {
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

    /// Recomputes every target's distance against the current estimate.
    fn measure(&mut self, level: &Level) {
        for &t in &self.targets {
            self.dist[t] = distance(level, self.r, t, self.nnf[t] as usize, u32::MAX);
        }
    }

    fn try_source(&mut self, level: &Level, t: usize, s: usize) {
        if self.source_ok[s] && s as u32 != self.nnf[t] {
            let d = distance(level, self.r, t, s, self.dist[t]);
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

    /// Sets every hole pixel of `level` to the weighted mean of the colours
    /// the patches covering it vote for; a patch's weight falls with its
    /// distance, `exp(-d / 2σ²)`, σ² being the 75th percentile of the
    /// per-pixel distances (Wexler et al.'s robust weighting).
    fn vote(&self, level: &mut Level) {
        let (w, r) = (self.width, self.r);
        let side = 2 * r + 1;
        let area = (side * side) as f32;
        let mut per_pixel: Vec<f32> = self
            .targets
            .iter()
            .map(|&t| self.dist[t] as f32 / area)
            .collect();
        let sigma2 = if per_pixel.is_empty() {
            1.0
        } else {
            let q = per_pixel.len() * 3 / 4;
            *per_pixel.select_nth_unstable_by(q, f32::total_cmp).1
        }
        .max(1.0);
        let mut sums = vec![[0f32; 5]; level.pixels.len()];
        for &t in &self.targets {
            let s = self.nnf[t] as usize;
            let weight = (-(self.dist[t] as f32 / area) / (2.0 * sigma2)).exp() + 1e-6;
            for dy in 0..side {
                let ta = t + dy * w - r * w - r;
                let sa = s + dy * w - r * w - r;
                for dx in 0..side {
                    if level.hole[ta + dx] {
                        let src = level.pixels[sa + dx];
                        let acc = &mut sums[ta + dx];
                        for c in 0..4 {
                            acc[c] += weight * f32::from(src[c]);
                        }
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
        let field = Field::new(&next, r);
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

/// Runs the fill inside `window` (validated by the caller: it holds the
/// hole and at least one sampleable patch).
pub(super) fn fill(
    image: &RgbaImage,
    hole: &GrayImage,
    sample_area: Option<&GrayImage>,
    window: Window,
    options: &FillOptions,
) -> Filled {
    let patch = options.patch as usize;
    let r = patch / 2;
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
    let count = levels.len();
    peel(levels.last_mut().expect("at least the base level"));

    let mut coarser: Option<Field> = None;
    for index in (0..count).rev() {
        let depth = count - 1 - index;
        if index + 1 < count {
            let (fine, coarse) = levels.split_at_mut(index + 1);
            upsample_estimate(&mut fine[index], &coarse[0]);
        }
        let level = &mut levels[index];
        let level_seed = options.seed ^ ((index as u64 + 1) << 56);
        let mut field = Field::new(level, r);
        match &coarser {
            Some(parent) => field.upsample(parent, level_seed),
            None => field.randomise(level_seed),
        }
        let (em_rounds, passes) = schedule(depth, count);
        for round in 0..em_rounds {
            field.measure(level);
            for pass in 0..passes {
                field.improve(level, level_seed ^ (u64::from(round) << 40), pass);
            }
            field.vote(level);
        }
        coarser = Some(field);
    }

    let field = coarser.expect("at least the base level");
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
    let base = &levels[0];
    for y in 0..wh {
        for x in 0..ww {
            let i = y * ww + x;
            if base.hole[i] {
                out.put_pixel(
                    window.x + x as u32,
                    window.y + y as u32,
                    image::Rgba(base.pixels[i]),
                );
            }
        }
    }
    Filled {
        image: out,
        sources,
        patch: options.patch,
    }
}
