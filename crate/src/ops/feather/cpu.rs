//! Deriche's recursive Gaussian on the CPU.
//!
//! All arithmetic is on [`F8`], eight f32 lanes, so that a recursion step on
//! eight lines is a handful of vector instructions. Both sections of a
//! direction advance in the same loop, so each input is loaded and converted
//! once per direction.
//!
//! The vertical pass runs down and back up strips of [`STRIP`] columns, the
//! causal sums kept in a cache-sized buffer, and writes its result once, in
//! 1/[`STEPS`] of a level as u16. The horizontal pass transposes a band of
//! [`BAND`] rows into an interleaved strip (8×8 at a time, in cache), so that
//! it too runs independent recursions side by side instead of one serial
//! recursion per row. Each step depends on the one before, so both passes
//! keep two vectors per section in flight to overlap that latency.
//!
//! Natively the vertical pass's strips and the horizontal pass's bands are
//! shared out over the cores in groups (`crate::parallel`); each is computed
//! exactly as on one thread.
//!
//! The code is plain Rust over fixed-size arrays, portable to baseline
//! x86-64 and to wasm32 (SIMD128); on x86-64 it is compiled a second time
//! with AVX2 and picked at run time.

use image::GrayImage;

/// Deriche's fitted constants for the Gaussian, in units of σ: for `t ≥ 0`,
/// `g(t) ≈ Σ_k (A_k cos(ω_k t) + B_k sin(ω_k t)) e^{−λ_k t}`.
const DERICHE: [(f64, f64, f64, f64); 2] = [
    // (A, B, λ, ω)
    (1.680, 3.735, 1.783, 0.6318),
    (-0.6803, -0.2598, 1.723, 1.997),
];

/// Coefficients of the two second-order sections, each fed the same input:
/// causal `y[n] = n0·x[n] + n1·x[n−1] − d1·y[n−1] − d2·y[n−2]`, anti-causal
/// `z[n] = m1·x[n+1] + m2·x[n+2] − d1·z[n+1] − d2·z[n+2]`; the output is
/// `(Σ y + Σ z) · scale`. `causal_gain`/`anticausal_gain` are each section's
/// response to a constant 1, used to start the recursion at the clamped edge.
#[derive(Debug, Clone, Copy)]
pub(super) struct Coefficients {
    pub n0: [f32; 2],
    pub n1: [f32; 2],
    pub m1: [f32; 2],
    pub m2: [f32; 2],
    pub d1: [f32; 2],
    pub d2: [f32; 2],
    pub causal_gain: [f32; 2],
    pub anticausal_gain: [f32; 2],
    pub scale: f32,
}

impl Coefficients {
    /// Each term `Re(β pⁿ)` with pole `p = e^{(−λ + iω)/σ}` and residue
    /// `β = A − iB` becomes one real second-order section.
    pub fn new(sigma: f32) -> Self {
        let sigma = f64::from(sigma);
        let mut c = Coefficients {
            n0: [0.0; 2],
            n1: [0.0; 2],
            m1: [0.0; 2],
            m2: [0.0; 2],
            d1: [0.0; 2],
            d2: [0.0; 2],
            causal_gain: [0.0; 2],
            anticausal_gain: [0.0; 2],
            scale: 0.0,
        };
        let mut total_gain = 0.0;
        for (k, &(a, b, lambda, omega)) in DERICHE.iter().enumerate() {
            let radius = (-lambda / sigma).exp();
            let (p_re, p_im) = (
                radius * (omega / sigma).cos(),
                radius * (omega / sigma).sin(),
            );
            let (beta_re, beta_im) = (a, -b);
            // Re(β p̄) and Re(β p).
            let beta_p_conj = beta_re * p_re + beta_im * p_im;
            let beta_p = beta_re * p_re - beta_im * p_im;
            c.n0[k] = beta_re as f32;
            c.n1[k] = -beta_p_conj as f32;
            c.m1[k] = beta_p as f32;
            c.m2[k] = (-radius * radius * beta_re) as f32;
            c.d1[k] = (-2.0 * p_re) as f32;
            c.d2[k] = (radius * radius) as f32;
            // Gains from the coefficients as rounded to f32, so that a flat
            // mask stays exactly flat.
            let denominator = 1.0 + f64::from(c.d1[k]) + f64::from(c.d2[k]);
            let causal = (f64::from(c.n0[k]) + f64::from(c.n1[k])) / denominator;
            let anticausal = (f64::from(c.m1[k]) + f64::from(c.m2[k])) / denominator;
            c.causal_gain[k] = causal as f32;
            c.anticausal_gain[k] = anticausal as f32;
            total_gain += causal + anticausal;
        }
        c.scale = (1.0 / total_gain) as f32;
        c
    }
}

/// Eight f32 lanes: one AVX2 register, two SSE2 or SIMD128 ones. Every
/// operation is a plain lane loop, which the compiler turns into vector
/// instructions.
#[derive(Debug, Clone, Copy, Default)]
struct F8([f32; 8]);

impl F8 {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        F8([v; 8])
    }

    #[inline(always)]
    fn zip(self, other: F8, f: impl Fn(f32, f32) -> f32) -> Self {
        let mut out = self;
        for (o, b) in out.0.iter_mut().zip(other.0) {
            *o = f(*o, b);
        }
        out
    }

    #[inline(always)]
    fn widen(bytes: &[u8; 8]) -> Self {
        F8(bytes.map(|b| f32::from(b) + FLOOR))
    }

    /// Rounds to the nearest integer in 0–255 (ties to even): adding 2²³
    /// leaves the rounded value in the low mantissa bits, which keeps the
    /// conversion in vector registers.
    #[inline(always)]
    fn round_to_bytes(self) -> [u8; 8] {
        self.0
            .map(|v| (v.clamp(0.0, 255.0) + 8_388_608.0).to_bits() as u8)
    }

    /// The nearest multiple of 1/[`STEPS`] in 0–255, in those units (see
    /// [`Self::round_to_bytes`]).
    #[inline(always)]
    fn quantize(self) -> [u16; 8] {
        self.0
            .map(|v| (v.clamp(0.0, 255.0) * STEPS + 8_388_608.0).to_bits() as u16)
    }
}

impl std::ops::Add for F8 {
    type Output = F8;
    #[inline(always)]
    fn add(self, other: F8) -> F8 {
        self.zip(other, |a, b| a + b)
    }
}

impl std::ops::Sub for F8 {
    type Output = F8;
    #[inline(always)]
    fn sub(self, other: F8) -> F8 {
        self.zip(other, |a, b| a - b)
    }
}

impl std::ops::Mul for F8 {
    type Output = F8;
    #[inline(always)]
    fn mul(self, other: F8) -> F8 {
        self.zip(other, |a, b| a * b)
    }
}

/// Rows per band of the horizontal pass: two vectors, so that two
/// independent recursions per section overlap their latencies.
const BAND: usize = 16;

/// One direction's coefficients for one section, in vectors: the step is
/// `y[n] = a·x + b·x' − d1·y[n−1] − d2·y[n−2]`, where `(a, b)` is `(n0, n1)`
/// on `(x[n], x[n−1])` for the causal direction and `(m1, m2)` on
/// `(x[n+1], x[n+2])` for the anti-causal one.
#[derive(Clone, Copy)]
struct Step {
    a: F8,
    b: F8,
    d1: F8,
    d2: F8,
}

/// Both directions' steps for both sections, and the edge gains.
struct Vectors {
    causal: [Step; 2],
    anticausal: [Step; 2],
    causal_gain: [F8; 2],
    anticausal_gain: [F8; 2],
    scale: F8,
}

impl Vectors {
    #[inline(always)]
    fn new(c: &Coefficients) -> Self {
        let step = |a: [f32; 2], b: [f32; 2]| {
            [0, 1].map(|k| Step {
                a: F8::splat(a[k]),
                b: F8::splat(b[k]),
                d1: F8::splat(c.d1[k]),
                d2: F8::splat(c.d2[k]),
            })
        };
        Vectors {
            causal: step(c.n0, c.n1),
            anticausal: step(c.m1, c.m2),
            causal_gain: c.causal_gain.map(F8::splat),
            anticausal_gain: c.anticausal_gain.map(F8::splat),
            scale: F8::splat(c.scale),
        }
    }
}

/// One section's recursion state on eight lines: `y[n−1]` and `y[n−2]`.
#[derive(Debug, Clone, Copy, Default)]
struct Section {
    previous: F8,
    before: F8,
}

/// Both sections of a direction on eight lines.
type Sections = [Section; 2];

/// Both sections at the steady state of a constant input `edge`: how the
/// recursion starts at a clamped border.
#[inline(always)]
fn steady(edge: F8, gain: &[F8; 2]) -> Sections {
    gain.map(|g| Section {
        previous: edge * g,
        before: edge * g,
    })
}

/// Advances both sections by one sample and returns the sum of their
/// outputs. The operations are the GPU shader's, in its order.
#[inline(always)]
fn step(x: F8, x_other: F8, steps: &[Step; 2], state: &mut Sections) -> F8 {
    let mut advance = |k: usize| {
        let (s, st) = (&mut state[k], &steps[k]);
        let v = st.a * x + st.b * x_other - st.d1 * s.previous - st.d2 * s.before;
        s.before = s.previous;
        s.previous = v;
        v
    };
    let first = advance(0);
    first + advance(1)
}

/// The smallest magnitude either causal section's state takes down
/// `column` (on all eight lanes), for the test that it stays a normal number.
#[cfg(test)]
pub(super) fn smallest_causal_state(column: &[u8], sigma: f32) -> f32 {
    let v = Vectors::new(&Coefficients::new(sigma));
    let x_at = |y: usize| F8::widen(&[column[y]; 8]);
    let mut state = steady(x_at(0), &v.causal_gain);
    let mut x_previous = x_at(0);
    let mut smallest = f32::INFINITY;
    for y in 0..column.len() {
        let x = x_at(y);
        step(x, x_previous, &v.causal, &mut state);
        x_previous = x;
        for lane in state.iter().flat_map(|s| s.previous.0) {
            smallest = smallest.min(lane.abs());
        }
    }
    smallest
}

/// Blurs `mask` with a Gaussian of standard deviation `sigma` (> 0).
pub(super) fn gaussian(mask: &GrayImage, sigma: f32) -> GrayImage {
    let c = Coefficients::new(sigma);
    let mut out = GrayImage::new(mask.width(), mask.height());
    blur(mask.as_raw(), out.as_mut(), mask.width() as usize, &c);
    out
}

/// Both passes, each split over the cores: the vertical one by groups of
/// whole column strips, the horizontal one by groups of whole row bands, so
/// every value is computed exactly as on one thread.
fn blur(input: &[u8], out: &mut [u8], width: usize, c: &Coefficients) {
    let v = Vectors::new(c);
    let height = input.len() / width;
    let parts = crate::parallel::parts_for(input.len());

    let mut vertical = vec![0u16; input.len()];
    let strips = width.div_ceil(STRIP);
    let group_width = strips.div_ceil(parts) * STRIP;
    let groups = crate::parallel::column_groups(&mut vertical, width, group_width);
    crate::parallel::for_each_part(groups, |(x_start, mut segments)| {
        vertical_pass_widest(input, &mut segments, x_start, width, &v)
    });

    let bands = height.div_ceil(BAND);
    let part_rows = bands.div_ceil(parts) * BAND;
    let row_groups: Vec<(usize, &mut [u8])> = out
        .chunks_mut(part_rows * width)
        .enumerate()
        .map(|(i, rows)| (i * part_rows, rows))
        .collect();
    crate::parallel::for_each_part(row_groups, |(y_start, rows)| {
        horizontal_pass_widest(&vertical, rows, y_start, width, &v)
    });
}

crate::simd::widest_vectors! {
    /// [`vertical_pass`] on the widest vectors.
    fn vertical_pass_widest(
        input: &[u8],
        out: &mut [&mut [u16]],
        x_start: usize,
        width: usize,
        v: &Vectors,
    ) = vertical_pass;
}

crate::simd::widest_vectors! {
    /// [`horizontal_pass`] on the widest vectors.
    fn horizontal_pass_widest(
        input: &[u16],
        out: &mut [u8],
        y_start: usize,
        width: usize,
        v: &Vectors,
    ) = horizontal_pass;
}

/// The eight values at `x` of each of eight lines `rows`.
#[inline(always)]
fn load<T: Copy>(rows: &[&[T]; 8], x: usize) -> [[T; 8]; 8] {
    rows.map(|row| row[x..x + 8].try_into().expect("eight values"))
}

/// Columns per strip of the vertical pass: two vectors, for the same reason
/// as [`BAND`].
const STRIP: usize = 16;

/// Added to every input value so that the recursion's state, decaying over
/// a long run of zeros, settles at a tiny normal number instead of sinking
/// into subnormals, which Intel cores compute many times slower (σ = 10 on
/// a 4096² mask with wide empty margins: about 200 → 105 ms on one thread). The Gaussian's
/// weights sum to 1, so every output gains 2⁻⁶⁴, far below an f32 ulp of
/// any value that rounds to a nonzero level: the rounded results are those
/// without it.
const FLOOR: f32 = 1.0 / 18_446_744_073_709_551_616.0;

/// The vertical result is stored in 1/[`STEPS`] of a level (clamped to
/// 0–255, which the true Gaussian of a mask never leaves): half the memory
/// of f32, and an error of at most 1/512 of a level.
const STEPS: f32 = 256.0;

/// Blurs the columns of `input` that start at `x_start` into `out` (each
/// row's segment of those columns), [`STRIP`] columns at a time: down the
/// strip for the causal sums, kept in a cache-sized buffer, then back up
/// adding the anti-causal ones, so that `out` is written once.
#[inline(always)]
fn vertical_pass(input: &[u8], out: &mut [&mut [u16]], x_start: usize, width: usize, v: &Vectors) {
    let height = input.len() / width;
    let mut causal = vec![[F8::default(); 2]; height];
    let group_width = out.first().map_or(0, |row| row.len());
    for x0 in (x_start..x_start + group_width).step_by(STRIP) {
        let columns = (width - x0).min(STRIP);
        // The strip's values in row y; a narrow last strip reads zeros.
        let at = |y: usize| -> [F8; 2] {
            let row = &input[y * width + x0..][..columns];
            let bytes: [u8; STRIP] = row.try_into().unwrap_or_else(|_| {
                let mut padded = [0; STRIP];
                padded[..columns].copy_from_slice(row);
                padded
            });
            [0, 1].map(|h| F8::widen(bytes[h * 8..][..8].try_into().expect("eight")))
        };
        // Causal: top to bottom, as if row 0 repeated upwards forever.
        let first = at(0);
        let mut state = first.map(|e| steady(e, &v.causal_gain));
        let mut x_previous = first;
        for (y, sum) in causal.iter_mut().enumerate() {
            let x = at(y);
            for h in 0..2 {
                sum[h] = step(x[h], x_previous[h], &v.causal, &mut state[h]);
            }
            x_previous = x;
        }
        // Anti-causal: bottom to top, as if the last row repeated downwards.
        let last = at(height - 1);
        let mut state = last.map(|e| steady(e, &v.anticausal_gain));
        let (mut x1, mut x2) = (last, last);
        for (y, causal) in causal.iter().enumerate().rev() {
            let mut levels = [0u16; STRIP];
            for h in 0..2 {
                let sum = step(x1[h], x2[h], &v.anticausal, &mut state[h]);
                let blurred = (causal[h] + sum) * v.scale;
                levels[h * 8..][..8].copy_from_slice(&blurred.quantize());
            }
            out[y][x0 - x_start..][..columns].copy_from_slice(&levels[..columns]);
            (x2, x1) = (x1, at(y));
        }
    }
}

/// Blurs rows of `input` (the vertical result) from `y_start` on and rounds
/// them into `out` (those rows), one band of [`BAND`] rows at a time.
#[inline(always)]
fn horizontal_pass(input: &[u16], out: &mut [u8], y_start: usize, width: usize, v: &Vectors) {
    // Each column of a band: two vectors of eight rows.
    let mut strip = vec![[F8::default(); 2]; width];
    let mut causal = vec![[F8::default(); 2]; width];
    let mut rounded = vec![[[0u8; 8]; 2]; width];
    let height = input.len() / width;
    let end = y_start + out.len() / width;
    for band in (y_start..end).step_by(BAND) {
        // Lines past the end of a short last band read as empty rows, so
        // that they stay zero; lines never mix, and those are not written.
        let line = |i: usize| {
            let y = (band + i).min(height);
            &input[y * width..(y * width + width).min(input.len())]
        };
        for half in 0..2 {
            let lines: [&[u16]; 8] = std::array::from_fn(|i| line(half * 8 + i));
            gather(&lines, &mut strip, half, width);
        }
        recurse_strip(&strip, &mut causal, &mut rounded, v);
        for (i, y) in (band..(band + BAND).min(end)).enumerate() {
            let row = &mut out[(y - y_start) * width..][..width];
            for (o, cell) in row.iter_mut().zip(&rounded) {
                *o = cell[i / 8][i % 8];
            }
        }
    }
}

/// Transposes eight lines of levels into lane `half` of the strip's cells,
/// eight columns at a time; lines shorter than `width` (absent rows) give
/// zeros.
#[inline(always)]
fn gather(lines: &[&[u16]; 8], strip: &mut [[F8; 2]], half: usize, width: usize) {
    let level = |l: u16| f32::from(l) * (1.0 / STEPS) + FLOOR;
    let full = if lines.iter().all(|l| l.len() == width) {
        width / 8 * 8
    } else {
        0
    };
    for (x, cells) in (0..full).step_by(8).zip(strip.chunks_exact_mut(8)) {
        let block = load(lines, x);
        for (j, cell) in cells.iter_mut().enumerate() {
            cell[half] = F8(std::array::from_fn(|i| level(block[i][j])));
        }
    }
    for (x, cell) in strip.iter_mut().enumerate().skip(full) {
        cell[half] = F8(std::array::from_fn(|i| {
            lines[i].get(x).copied().map_or(0.0, level)
        }));
    }
}

/// Runs both directions along an interleaved strip, sixteen lines at a time;
/// `out` receives the rounded result, `causal` is scratch space.
#[inline(always)]
fn recurse_strip(strip: &[[F8; 2]], causal: &mut [[F8; 2]], out: &mut [[[u8; 8]; 2]], v: &Vectors) {
    let (first, last) = (strip[0], strip[strip.len() - 1]);
    let mut state = first.map(|e| steady(e, &v.causal_gain));
    let mut x_previous = first;
    for (x, sum) in strip.iter().zip(causal.iter_mut()) {
        for h in 0..2 {
            sum[h] = step(x[h], x_previous[h], &v.causal, &mut state[h]);
        }
        x_previous = *x;
    }
    let mut state = last.map(|e| steady(e, &v.anticausal_gain));
    let (mut x1, mut x2) = (last, last);
    for ((x, causal), out) in strip.iter().zip(causal.iter()).zip(out.iter_mut()).rev() {
        for h in 0..2 {
            let sum = step(x1[h], x2[h], &v.anticausal, &mut state[h]);
            out[h] = ((causal[h] + sum) * v.scale).round_to_bytes();
        }
        (x2, x1) = (x1, *x);
    }
}
