//! Native single-thread benchmark of Content-Aware Fill: a 0.25 MP hole (a
//! disc of radius 282 px) in a 12 MP (4000×3000) photograph, default options.
//! `cargo run -p retouch --release --example bench_fill`. The photograph is
//! the six test photos of `crate/tests/photos` tiled with mirroring (real
//! texture everywhere; the fill only reads a window around the hole). Prints
//! the median thread CPU time of several runs.

use image::{GrayImage, Luma, RgbaImage};
use retouch::ops::fill::{fill_cpu, FillOptions};
use std::time::Instant;

const RUNS: usize = 3;
const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const RADIUS: f32 = 282.0;

fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn photo(name: &str) -> RgbaImage {
    let path = format!("{}/tests/photos/{name}.png", env!("CARGO_MANIFEST_DIR"));
    retouch::image_io::decode_rgba(&std::fs::read(&path).expect("a test photo")).expect("a PNG")
}

/// The photos tiled in a grid, every other tile mirrored so edges meet.
fn mosaic() -> RgbaImage {
    let photos: Vec<RgbaImage> = ["chelsea", "coffee", "astronaut", "grass", "brick", "rocket"]
        .iter()
        .map(|n| photo(n))
        .collect();
    let (tw, th) = photos[0].dimensions();
    RgbaImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (col, row) = (x / tw, y / th);
        let tile = &photos[((col + 2 * row) as usize) % photos.len()];
        let (mut u, mut v) = (x % tw, y % th);
        if col % 2 == 1 {
            u = tw - 1 - u;
        }
        if row % 2 == 1 {
            v = th - 1 - v;
        }
        *tile.get_pixel(u, v)
    })
}

fn main() {
    let image = mosaic();
    let (cx, cy) = (WIDTH as f32 * 0.45, HEIGHT as f32 * 0.55);
    let hole = GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        Luma([if d <= RADIUS { 255 } else { 0 }])
    });
    let area = hole.iter().filter(|&&v| v > 0).count();
    println!(
        "content-aware fill, {WIDTH}×{HEIGHT} image, hole {:.3} MP, patch 7, single thread",
        area as f64 / 1e6
    );
    let mut cpu = Vec::new();
    let mut wall = Vec::new();
    for seed in 0..RUNS as u64 {
        let options = FillOptions {
            seed,
            ..FillOptions::default()
        };
        let start_cpu = thread_cpu_seconds();
        let start = Instant::now();
        let filled = fill_cpu(&image, &hole, None, &options).expect("a valid fill");
        wall.push(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (start_cpu, thread_cpu_seconds()) {
            cpu.push(b - a);
        }
        std::hint::black_box(filled);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("wall      {:.3} s (median of {RUNS})", median(&mut wall));
    if cpu.len() == RUNS {
        println!("thread CPU {:.3} s (median of {RUNS})", median(&mut cpu));
    }
}
