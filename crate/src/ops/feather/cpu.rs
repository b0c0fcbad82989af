//! Deriche's recursive Gaussian on the CPU.
//!
//! The vertical pass walks rows top to bottom and back with one filter state
//! per column, so every step is a row-wide, vectorisable loop. The horizontal
//! pass gathers [`LANES`] rows into an interleaved strip (a small transpose
//! that stays in cache) so that it too runs [`LANES`] independent recursions
//! side by side instead of one serial recursion per row.

use image::GrayImage;

/// Deriche's fitted constants for the Gaussian, in units of σ: for `t ≥ 0`,
/// `g(t) ≈ Σ_k (A_k cos(ω_k t) + B_k sin(ω_k t)) e^{−λ_k t}`.
const DERICHE: [(f64, f64, f64, f64); 2] = [
    // (A, B, λ, ω)
    (1.680, 3.735, 1.783, 0.6318),
    (-0.6803, -0.2598, 1.723, 1.997),
];

/// Rows interleaved in the horizontal pass.
const LANES: usize = 8;

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

/// Blurs `mask` with a Gaussian of standard deviation `sigma` (> 0).
pub(super) fn gaussian(mask: &GrayImage, sigma: f32) -> GrayImage {
    let c = Coefficients::new(sigma);
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let mut blurred = vec![0.0f32; width * height];
    vertical_pass(mask.as_raw(), &mut blurred, width, &c);
    let mut out = GrayImage::new(mask.width(), mask.height());
    horizontal_pass(&blurred, out.as_mut(), width, &c);
    out
}

/// Per-column states of one section's recursion, for the vertical pass.
struct ColumnStates {
    previous: Vec<f32>,
    before_previous: Vec<f32>,
}

impl ColumnStates {
    fn new(width: usize) -> [ColumnStates; 2] {
        std::array::from_fn(|_| ColumnStates {
            previous: vec![0.0; width],
            before_previous: vec![0.0; width],
        })
    }

    fn start(&mut self, edge: &[u8], gain: f32) {
        for ((p, b), &e) in self
            .previous
            .iter_mut()
            .zip(&mut self.before_previous)
            .zip(edge)
        {
            *p = f32::from(e) * gain;
            *b = *p;
        }
    }
}

/// Blurs the columns of `input` into `out`, which first holds the causal sums
/// and then, on the way back up, the finished vertical blur.
fn vertical_pass(input: &[u8], out: &mut [f32], width: usize, c: &Coefficients) {
    let height = input.len() / width;
    let row = |y: usize| &input[y * width..(y + 1) * width];
    let mut states = ColumnStates::new(width);
    // Causal: top to bottom, starting as if row 0 repeated upwards forever.
    for (k, s) in states.iter_mut().enumerate() {
        s.start(row(0), c.causal_gain[k]);
    }
    for y in 0..height {
        let (current, previous) = (row(y), row(y.saturating_sub(1)));
        let out_row = &mut out[y * width..(y + 1) * width];
        out_row.fill(0.0);
        for (k, s) in states.iter_mut().enumerate() {
            let (n0, n1, d1, d2) = (c.n0[k], c.n1[k], c.d1[k], c.d2[k]);
            for x in 0..width {
                let v = n0 * f32::from(current[x]) + n1 * f32::from(previous[x])
                    - d1 * s.previous[x]
                    - d2 * s.before_previous[x];
                s.before_previous[x] = s.previous[x];
                s.previous[x] = v;
                out_row[x] += v;
            }
        }
    }
    // Anti-causal: bottom to top, as if the last row repeated downwards;
    // the states start at z[height] = z[height+1], the steady state.
    for (k, s) in states.iter_mut().enumerate() {
        s.start(row(height - 1), c.anticausal_gain[k]);
    }
    let mut sum = vec![0.0f32; width];
    for y in (0..height).rev() {
        let (next, after_next) = (row((y + 1).min(height - 1)), row((y + 2).min(height - 1)));
        sum.fill(0.0);
        for (k, s) in states.iter_mut().enumerate() {
            let (m1, m2, d1, d2) = (c.m1[k], c.m2[k], c.d1[k], c.d2[k]);
            for x in 0..width {
                let v = m1 * f32::from(next[x]) + m2 * f32::from(after_next[x])
                    - d1 * s.previous[x]
                    - d2 * s.before_previous[x];
                s.before_previous[x] = s.previous[x];
                s.previous[x] = v;
                sum[x] += v;
            }
        }
        let out_row = &mut out[y * width..(y + 1) * width];
        for (o, s) in out_row.iter_mut().zip(&sum) {
            *o = (*o + s) * c.scale;
        }
    }
}

/// Blurs rows of `input` (the vertical result) and rounds into `out`.
fn horizontal_pass(input: &[f32], out: &mut [u8], width: usize, c: &Coefficients) {
    let mut strip = vec![[0.0f32; LANES]; width];
    let mut causal = vec![[0.0f32; LANES]; width];
    for (rows_in, rows_out) in input
        .chunks(width * LANES)
        .zip(out.chunks_mut(width * LANES))
    {
        let lanes = rows_in.len() / width;
        for (lane, row) in rows_in.chunks_exact(width).enumerate() {
            for (cell, &v) in strip.iter_mut().zip(row) {
                cell[lane] = v;
            }
        }
        recurse_strip(&strip, &mut causal, c);
        for (lane, row) in rows_out.chunks_exact_mut(width).enumerate().take(lanes) {
            for (o, cell) in row.iter_mut().zip(&causal) {
                *o = (cell[lane].clamp(0.0, 255.0) + 0.5) as u8;
            }
        }
    }
}

/// Runs both recursions along an interleaved strip; `out` receives the
/// scaled sum, `LANES` lines at a time.
fn recurse_strip(strip: &[[f32; LANES]], out: &mut [[f32; LANES]], c: &Coefficients) {
    let width = strip.len();
    // [section][y[n−1], y[n−2]], starting at the steady state of the clamped edge.
    let mut state = [[[0.0f32; LANES]; 2]; 2];
    let start = |state: &mut [[[f32; LANES]; 2]; 2], edge: &[f32; LANES], gain: [f32; 2]| {
        for (k, [previous, before]) in state.iter_mut().enumerate() {
            for lane in 0..LANES {
                previous[lane] = edge[lane] * gain[k];
                before[lane] = previous[lane];
            }
        }
    };
    start(&mut state, &strip[0], c.causal_gain);
    for n in 0..width {
        let (x, x1) = (&strip[n], &strip[n.saturating_sub(1)]);
        let mut sum = [0.0f32; LANES];
        for (k, [previous, before]) in state.iter_mut().enumerate() {
            for lane in 0..LANES {
                let v = c.n0[k] * x[lane] + c.n1[k] * x1[lane]
                    - c.d1[k] * previous[lane]
                    - c.d2[k] * before[lane];
                before[lane] = previous[lane];
                previous[lane] = v;
                sum[lane] += v;
            }
        }
        out[n] = sum;
    }
    start(&mut state, &strip[width - 1], c.anticausal_gain);
    for n in (0..width).rev() {
        let (x1, x2) = (
            &strip[(n + 1).min(width - 1)],
            &strip[(n + 2).min(width - 1)],
        );
        let mut sum = [0.0f32; LANES];
        for (k, [previous, before]) in state.iter_mut().enumerate() {
            for lane in 0..LANES {
                let v = c.m1[k] * x1[lane] + c.m2[k] * x2[lane]
                    - c.d1[k] * previous[lane]
                    - c.d2[k] * before[lane];
                before[lane] = previous[lane];
                previous[lane] = v;
                sum[lane] += v;
            }
        }
        for lane in 0..LANES {
            out[n][lane] = (out[n][lane] + sum[lane]) * c.scale;
        }
    }
}
