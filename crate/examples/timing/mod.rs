//! The one timing method of every native benchmark (`./build.sh bench`):
//! wall-clock time, the median of [`RUNS`] runs after one warm-up run, every
//! result passed through `black_box` so the work cannot be optimised away.
//! Wall time, not thread CPU time, because GPU work and worker threads run
//! outside the calling thread; on a noisy machine read medians and compare
//! ratios taken in the same run.
//!
//! Each example compiles its own copy and uses part of it.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Timed runs per figure (after the warm-up).
pub const RUNS: usize = 7;

/// The median wall time of `work` over [`RUNS`] runs, after one warm-up run
/// (caches, pipeline compilation, page faults).
pub fn median<T>(mut work: impl FnMut() -> T) -> Duration {
    black_box(work());
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// Megapixels per second for `pixels` processed in `time`.
pub fn mp_per_s(pixels: u64, time: Duration) -> f64 {
    pixels as f64 / 1e6 / time.as_secs_f64()
}
