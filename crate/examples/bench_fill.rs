//! Native single-thread benchmark of Content-Aware Fill: a 0.25 MP hole (a
//! disc of radius 282 px) in a 12 MP (4000×3000) photograph, default options.
//! `cargo run -p retouch --release --example bench_fill`. The photograph is
//! the six test photos of `crate/tests/photos` tiled with mirroring (real
//! texture everywhere; the fill only reads a window around the hole). Each
//! run uses another seed; timed as `timing` says.

mod timing;

use image::{GrayImage, Luma, RgbaImage};
use retouch::ops::fill::{fill_cpu, FillOptions};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const RADIUS: f32 = 282.0;

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
    let mut seed = 0;
    let time = timing::median(|| {
        seed += 1;
        let options = FillOptions {
            seed,
            ..FillOptions::default()
        };
        fill_cpu(&image, &hole, None, &options).expect("a valid fill")
    });
    println!("{:.3} s (median of {})", time.as_secs_f64(), timing::RUNS);
}
