//! Native single-thread benchmark of gradient-domain blending
//! (`ops::poisson`): the healing brush on a 0.25 MP hole (a disc of radius
//! 282 px) in a 12 MP (4000×3000) photograph with the texture 600 px to the
//! left, and one healing dab (a disc of radius 20 px) in the same photograph.
//! `cargo run -p retouch --release --example bench_poisson`. The photograph
//! is the six test photos of `crate/tests/photos` tiled with mirroring.
//! Prints the median thread CPU time of several runs.

use image::{GrayImage, Luma, RgbaImage};
use retouch::ops::poisson::{heal_cpu, PoissonOptions};
use std::time::Instant;

const RUNS: usize = 5;
const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

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

fn disc(cx: f32, cy: f32, radius: f32) -> GrayImage {
    GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        Luma([if d <= radius { 255 } else { 0 }])
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn measure(label: &str, image: &RgbaImage, selection: &GrayImage) {
    let area = selection.iter().filter(|&&v| v > 0).count();
    let (mut cpu, mut wall) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start_cpu = thread_cpu_seconds();
        let start = Instant::now();
        let healed = heal_cpu(image, selection, (-600, 0), &PoissonOptions::default())
            .expect("a valid heal");
        wall.push(start.elapsed().as_secs_f64() * 1e3);
        if let (Some(a), Some(b)) = (start_cpu, thread_cpu_seconds()) {
            cpu.push((b - a) * 1e3);
        }
        std::hint::black_box(healed);
    }
    print!(
        "{label}: {:.4} MP, wall {:.1} ms",
        area as f64 / 1e6,
        median(&mut wall)
    );
    if cpu.len() == RUNS {
        print!(", thread CPU {:.1} ms", median(&mut cpu));
    }
    println!(" (median of {RUNS})");
}

fn main() {
    let image = mosaic();
    println!("gradient-domain heal, {WIDTH}×{HEIGHT} image, single thread");
    measure(
        "0.25 MP hole",
        &image,
        &disc(WIDTH as f32 * 0.45, HEIGHT as f32 * 0.55, 282.0),
    );
    measure("dab r=20", &image, &disc(2100.0, 1500.0, 20.0));
}
