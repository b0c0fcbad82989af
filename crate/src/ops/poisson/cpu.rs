//! CPU sweeps of the Poisson solve: red–black Gauss–Seidel (weighted by OMEGA),
//! the same arithmetic in the same order as `poisson.wgsl`.

use super::{Level, ABSENT, OMEGA, UNKNOWN};

/// The sum of the values of the cell's neighbours that exist (left, right,
/// up, down, in that order) and their count.
#[inline]
pub(super) fn neighbours(level: &Level, x: u32, y: u32, i: usize) -> ([f32; 3], f32) {
    let w = level.width as usize;
    let mut sum = [0.0f32; 3];
    let mut n = 0.0f32;
    let mut add = |j: usize| {
        if level.kind[j] != ABSENT {
            let v = level.values[j];
            sum = [sum[0] + v[0], sum[1] + v[1], sum[2] + v[2]];
            n += 1.0;
        }
    };
    if x > 0 {
        add(i - 1);
    }
    if x + 1 < level.width {
        add(i + 1);
    }
    if y > 0 {
        add(i - w);
    }
    if y + 1 < level.height {
        add(i + w);
    }
    (sum, n)
}

/// Runs `sweeps` red–black sweeps over the unknown cells of `level`: each
/// moves `OMEGA` of the way to the value that satisfies its equation.
pub(super) fn relax(level: &mut Level, sweeps: u32) {
    for _ in 0..sweeps {
        for parity in 0..2u32 {
            for y in 0..level.height {
                let mut x = (y + parity) & 1;
                while x < level.width {
                    let i = (y * level.width + x) as usize;
                    if level.kind[i] == UNKNOWN {
                        let (sum, n) = neighbours(level, x, y, i);
                        let denom = n + level.screening;
                        if denom != 0.0 {
                            let (old, b) = (level.values[i], level.rhs[i]);
                            level.values[i] = [0, 1, 2]
                                .map(|c| old[c] + OMEGA * ((b[c] + sum[c]) / denom - old[c]));
                        }
                    }
                    x += 2;
                }
            }
        }
    }
}
