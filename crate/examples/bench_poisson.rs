//! Native single-thread benchmark of gradient-domain blending
//! (`ops::poisson`): the healing brush on a 0.25 MP hole (a disc of radius
//! 282 px) in a 12 MP (4000×3000) photograph with the texture 600 px to the
//! left, and one healing dab (a disc of radius 20 px) in the same photograph.
//! `cargo run -p retouch --release --example bench_poisson`. The photograph
//! is the six test photos of `crate/tests/photos` tiled with mirroring.
//! Timed as `bench_kit` says.

mod bench_kit;

use image::{GrayImage, Luma, RgbaImage};
use retouch::ops::poisson::{heal_cpu, PoissonOptions};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

fn disc(cx: f32, cy: f32, radius: f32) -> GrayImage {
    GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        Luma([if d <= radius { 255 } else { 0 }])
    })
}

fn measure(label: &str, image: &RgbaImage, selection: &GrayImage) {
    let area = selection.iter().filter(|&&v| v > 0).count();
    let time = bench_kit::median(|| {
        heal_cpu(image, selection, (-600, 0), &PoissonOptions::default()).expect("a valid heal")
    });
    println!(
        "{label}: {:.4} MP, {:.1} ms (median of {})",
        area as f64 / 1e6,
        time.as_secs_f64() * 1e3,
        bench_kit::RUNS
    );
}

fn main() {
    let image = bench_kit::photo_mosaic(WIDTH, HEIGHT);
    println!("gradient-domain heal, {WIDTH}×{HEIGHT} image, single thread");
    measure(
        "0.25 MP hole",
        &image,
        &disc(WIDTH as f32 * 0.45, HEIGHT as f32 * 0.55, 282.0),
    );
    measure("dab r=20", &image, &disc(2100.0, 1500.0, 20.0));
}
