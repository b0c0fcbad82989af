//! Row bands across every core natively, one band after the other in wasm
//! (the page's module is single-threaded).
//!
//! A kernel hands over its output rows and a function that computes one row
//! from its inputs alone, so the result is bit-identical whatever the number
//! of threads; each kernel's tests compare 1 thread with several. The
//! number of threads is every core, or `RETOUCH_THREADS` when it is set (to
//! pin benchmarks).

/// Rows smaller than this many pixels in all stay on the calling thread:
/// starting threads would cost more than the work.
#[cfg(not(target_arch = "wasm32"))]
const MIN_PIXELS_PER_BAND: usize = 64 * 1024;

/// Calls `row(index, items)` for each `row_len`-item row of `rows` (bytes,
/// or pixels as values), in bands of whole rows on every core (natively);
/// `pixel_size` is the items per pixel, which sizes the bands.
pub fn for_each_row<T, F>(rows: &mut [T], row_len: usize, pixel_size: usize, row: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Send + Sync,
{
    if row_len == 0 {
        return;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        let band = (MIN_PIXELS_PER_BAND * pixel_size).div_ceil(row_len).max(1);
        if rows.len() / row_len > band {
            let mut run = || {
                rows.par_chunks_mut(row_len)
                    .enumerate()
                    .with_min_len(band)
                    .for_each(|(y, bytes)| row(y, bytes))
            };
            // Inside a pool already (a test's `with_threads`, or nested work):
            // use that pool.
            return if rayon::current_thread_index().is_some() {
                run()
            } else {
                pool().install(run)
            };
        }
    }
    let _ = pixel_size;
    for (y, bytes) in rows.chunks_mut(row_len).enumerate() {
        row(y, bytes);
    }
}

/// How many parts to split `pixels` of work into: one per thread of the
/// pool (or of the `with_threads` pool running the caller), but none
/// smaller than a band is worth; always 1 in wasm.
pub fn parts_for(pixels: usize) -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = if rayon::current_thread_index().is_some() {
            rayon::current_num_threads()
        } else {
            pool().current_num_threads()
        };
        threads.min(pixels / MIN_PIXELS_PER_BAND).max(1)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = pixels;
        1
    }
}

/// Runs `work` on each of `parts` (disjoint pieces of a kernel's output,
/// usually [`parts_for`] of them), each on its own thread natively, one
/// after the other in wasm.
pub fn for_each_part<T: Send>(parts: Vec<T>, work: impl Fn(T) + Send + Sync) {
    #[cfg(not(target_arch = "wasm32"))]
    if parts.len() > 1 {
        use rayon::prelude::*;
        let run = || parts.into_par_iter().for_each(&work);
        return if rayon::current_thread_index().is_some() {
            run()
        } else {
            pool().install(run)
        };
    }
    parts.into_iter().for_each(work);
}

/// Calls `band(first_row, rows)` on [`parts_for`] bands of whole
/// `row_len`-item rows of `rows`, one band per thread: for kernels that keep
/// state from row to row within a band (scratch rows, a sliding window),
/// which [`for_each_row`]'s row-at-a-time calls cannot.
pub fn for_each_band<T: Send>(
    rows: &mut [T],
    row_len: usize,
    band: impl Fn(usize, &mut [T]) + Send + Sync,
) {
    if row_len == 0 || rows.is_empty() {
        return;
    }
    let height = rows.len() / row_len;
    let band_rows = height.div_ceil(parts_for(rows.len()));
    let bands: Vec<(usize, &mut [T])> = rows
        .chunks_mut(band_rows * row_len)
        .enumerate()
        .map(|(i, rows)| (i * band_rows, rows))
        .collect();
    for_each_part(bands, |(first_row, rows)| band(first_row, rows));
}

/// Cuts a `width`-wide row-major buffer into groups of `group_width`
/// columns (the last may be narrower), each as its first column and its
/// segment of every row: disjoint parts for [`for_each_part`] when a kernel
/// runs down columns.
pub fn column_groups<T>(
    data: &mut [T],
    width: usize,
    group_width: usize,
) -> Vec<(usize, Vec<&mut [T]>)> {
    let group_width = group_width.max(1);
    let height = data.len().checked_div(width).unwrap_or(0);
    let mut groups: Vec<(usize, Vec<&mut [T]>)> = (0..width)
        .step_by(group_width)
        .map(|x| (x, Vec::with_capacity(height)))
        .collect();
    if width == 0 {
        return groups;
    }
    for mut row in data.chunks_exact_mut(width) {
        for (_, segments) in &mut groups {
            let split = group_width.min(row.len());
            let (segment, rest) = std::mem::take(&mut row).split_at_mut(split);
            segments.push(segment);
            row = rest;
        }
    }
    groups
}

/// Calls `work(index, chunk)` for each `chunk_len`-item chunk of `items`,
/// spread over every core (natively) when there are at least `min_chunks`
/// chunks: [`for_each_row`] for buffers that are not bytes (the ESRGAN
/// feature maps' f32 rows), with the same bit-identical guarantee.
pub fn for_each_chunk<T, F>(items: &mut [T], chunk_len: usize, min_chunks: usize, work: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Send + Sync,
{
    if chunk_len == 0 {
        return;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        if items.len() / chunk_len >= min_chunks.max(2) {
            let mut run = || {
                items
                    .par_chunks_mut(chunk_len)
                    .enumerate()
                    .for_each(|(i, chunk)| work(i, chunk))
            };
            return if rayon::current_thread_index().is_some() {
                run()
            } else {
                pool().install(run)
            };
        }
    }
    let _ = min_chunks;
    for (i, chunk) in items.chunks_mut(chunk_len).enumerate() {
        work(i, chunk);
    }
}

/// Runs `work` in the pool (or the pool already running the caller), so
/// that a library splitting its work with rayon (fast_image_resize's
/// convolutions) uses our threads and `RETOUCH_THREADS`; in wasm, just runs it.
pub fn in_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    if rayon::current_thread_index().is_none() {
        return pool().install(work);
    }
    work()
}

/// The pool: `RETOUCH_THREADS` threads when set to a positive number, else
/// one per core.
#[cfg(not(target_arch = "wasm32"))]
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::env::var("RETOUCH_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("retouch-{i}"))
            .build()
            .expect("the thread pool starts")
    })
}

/// Runs `work` with kernels split over exactly `threads` threads, whatever
/// `RETOUCH_THREADS` says: for tests and benchmarks that compare counts.
#[cfg(not(target_arch = "wasm32"))]
pub fn with_threads<R: Send>(threads: usize, work: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a test pool")
        .install(work)
}
