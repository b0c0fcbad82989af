//! Content-aware fill on real photographs: it restores texture where a
//! smooth (membrane) fill and a mean-colour fill cannot, leaves every pixel
//! outside the hole alone, repeats itself for a seed, takes nothing from
//! outside the sampling area, and refuses bad input — each on both
//! backends, the GPU's texture within a margin of the CPU's.

use super::*;
use crate::engine::test_gpu_engine;
use crate::test_kit::{photo, PHOTOS};
use image::{GrayImage, Luma, RgbaImage};

/// A disc of radius `radius` centred at (cx, cy), with a soft 1 px edge.
fn disc(width: u32, height: u32, cx: f32, cy: f32, radius: f32) -> GrayImage {
    GrayImage::from_fn(width, height, |x, y| {
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        Luma([((radius + 0.5 - d).clamp(0.0, 1.0) * 255.0) as u8])
    })
}

fn luma(p: &image::Rgba<u8>) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

/// Sobel gradient magnitudes at the pixels whose whole 3×3 neighbourhood
/// satisfies `inside`.
fn gradients(image: &RgbaImage, inside: impl Fn(u32, u32) -> bool) -> Vec<f32> {
    let mut out = Vec::new();
    for y in 1..image.height() - 1 {
        for x in 1..image.width() - 1 {
            if !(y - 1..=y + 1).all(|ny| (x - 1..=x + 1).all(|nx| inside(nx, ny))) {
                continue;
            }
            let l = |dx: i32, dy: i32| {
                luma(image.get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32))
            };
            let gx = l(1, -1) + 2.0 * l(1, 0) + l(1, 1) - l(-1, -1) - 2.0 * l(-1, 0) - l(-1, 1);
            let gy = l(-1, 1) + 2.0 * l(0, 1) + l(1, 1) - l(-1, -1) - 2.0 * l(0, -1) - l(1, -1);
            out.push((gx * gx + gy * gy).sqrt());
        }
    }
    out
}

/// Normalised histogram of gradient magnitudes in 16 bins of width 16
/// (everything from 240 up in the last).
fn histogram(values: &[f32]) -> [f32; 16] {
    let mut bins = [0f32; 16];
    for &v in values {
        bins[((v / 16.0) as usize).min(15)] += 1.0;
    }
    bins.map(|b| b / values.len().max(1) as f32)
}

/// The pixels outside the hole within `ring` px (Chebyshev) of it: a
/// summed-area table of the hole answers "any hole pixel in this square".
fn ring_around(hole: &GrayImage, ring: u32) -> Vec<bool> {
    let (w, h) = hole.dimensions();
    let w1 = w as usize + 1;
    let mut sums = vec![0u32; w1 * (h as usize + 1)];
    for y in 0..h as usize {
        let mut row = 0;
        for x in 0..w as usize {
            row += u32::from(hole[(x as u32, y as u32)][0] > 0);
            sums[(y + 1) * w1 + x + 1] = sums[y * w1 + x + 1] + row;
        }
    }
    hole.enumerate_pixels()
        .map(|(x, y, p)| {
            let (x0, y0) = (
                x.saturating_sub(ring) as usize,
                y.saturating_sub(ring) as usize,
            );
            let (x1, y1) = (
                (x + ring + 1).min(w) as usize,
                (y + ring + 1).min(h) as usize,
            );
            let count =
                sums[y1 * w1 + x1] + sums[y0 * w1 + x0] - sums[y0 * w1 + x1] - sums[y1 * w1 + x0];
            p[0] == 0 && count > 0
        })
        .collect()
}

/// Texture fidelity: the total-variation distance (0 = same, 1 = disjoint)
/// between the gradient-magnitude histograms inside the hole and on the
/// `ring` around it. Smooth fills have no gradients and score badly.
fn texture_distance(image: &RgbaImage, hole: &GrayImage, ring: &[bool]) -> f32 {
    let inside = gradients(image, |x, y| hole.get_pixel(x, y)[0] > 0);
    let around = gradients(image, |x, y| ring[(y * image.width() + x) as usize]);
    let (a, b) = (histogram(&inside), histogram(&around));
    a.iter().zip(&b).map(|(p, q)| (p - q).abs()).sum::<f32>() / 2.0
}

/// Baseline 1: every hole pixel the mean colour of the pixels bordering the hole.
fn mean_fill(image: &RgbaImage, hole: &GrayImage) -> RgbaImage {
    let mut sum = [0f64; 4];
    let mut n = 0.0;
    for (x, y, p) in image.enumerate_pixels() {
        let edge = hole[(x, y)][0] == 0
            && [(-1i32, 0i32), (1, 0), (0, -1), (0, 1)]
                .iter()
                .any(|&(dx, dy)| {
                    let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                    nx >= 0
                        && ny >= 0
                        && (nx as u32) < image.width()
                        && (ny as u32) < image.height()
                        && hole[(nx as u32, ny as u32)][0] > 0
                });
        if edge {
            for c in 0..4 {
                sum[c] += f64::from(p[c]);
            }
            n += 1.0;
        }
    }
    let mean = image::Rgba(sum.map(|s| (s / n).round() as u8));
    let mut out = image.clone();
    for (x, y, p) in hole.enumerate_pixels() {
        if p[0] > 0 {
            out.put_pixel(x, y, mean);
        }
    }
    out
}

/// Baseline 2: the membrane (harmonic) fill — Laplace's equation solved in
/// the hole by Jacobi iterations, the boundary taken from the image.
fn membrane_fill(image: &RgbaImage, hole: &GrayImage) -> RgbaImage {
    let (w, h) = image.dimensions();
    let mut values: Vec<[f32; 4]> = image.pixels().map(|p| p.0.map(f32::from)).collect();
    let holes: Vec<usize> = hole
        .enumerate_pixels()
        .filter(|(_, _, p)| p[0] > 0)
        .map(|(x, y, _)| (y * w + x) as usize)
        .collect();
    for _ in 0..2000 {
        let previous = values.clone();
        for &i in &holes {
            let (x, y) = ((i as u32 % w) as i32, (i as u32 / w) as i32);
            let mut acc = [0f32; 4];
            let mut n = 0.0;
            for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                let (nx, ny) = (x + dx, y + dy);
                if nx >= 0 && ny >= 0 && nx < w as i32 && ny < h as i32 {
                    let v = previous[(ny as u32 * w + nx as u32) as usize];
                    for c in 0..4 {
                        acc[c] += v[c];
                    }
                    n += 1.0;
                }
            }
            values[i] = acc.map(|a| a / n);
        }
    }
    RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba(values[(y * w + x) as usize].map(|v| v.round() as u8))
    })
}

/// A fill with the given options: on the CPU or on the test GPU.
type Run = fn(&RgbaImage, &GrayImage, Option<&GrayImage>, &FillOptions) -> Filled;

fn on_cpu(
    image: &RgbaImage,
    hole: &GrayImage,
    area: Option<&GrayImage>,
    options: &FillOptions,
) -> Filled {
    fill_cpu(image, hole, area, options).unwrap()
}

fn on_gpu(
    image: &RgbaImage,
    hole: &GrayImage,
    area: Option<&GrayImage>,
    options: &FillOptions,
) -> Filled {
    pollster::block_on(super::fill(test_gpu_engine(), image, hole, area, options)).unwrap()
}

fn seeded(seed: u64) -> FillOptions {
    FillOptions {
        seed,
        ..FillOptions::default()
    }
}

/// Fills a blemish, an object and a large region in every photograph and
/// checks the fill's texture against the smooth fills'; returns the total
/// texture distance.
fn restores_texture(run: Run) -> f32 {
    let mut cases = 0;
    let (mut beat_membrane, mut beat_mean) = (0, 0);
    let (mut ours_total, mut membrane_total, mut mean_total) = (0.0, 0.0, 0.0);
    for name in PHOTOS {
        let image = photo(name);
        let (w, h) = image.dimensions();
        for radius in [6.0, 16.0, 30.0] {
            let hole = disc(w, h, w as f32 * 0.55, h as f32 * 0.45, radius);
            let ring = ring_around(&hole, radius as u32);
            let ours = texture_distance(&run(&image, &hole, None, &seeded(1)).image, &hole, &ring);
            let membrane = texture_distance(&membrane_fill(&image, &hole), &hole, &ring);
            let mean = texture_distance(&mean_fill(&image, &hole), &hole, &ring);
            eprintln!("{name} r={radius}: fill {ours:.3}, membrane {membrane:.3}, mean {mean:.3}");
            cases += 1;
            // On a flat patch every fill has the same (gradient-free) texture: a tie.
            beat_membrane += usize::from(ours <= membrane);
            beat_mean += usize::from(ours <= mean);
            ours_total += ours;
            membrane_total += membrane;
            mean_total += mean;
        }
    }
    // Patch fills copy real texture; smooth fills have none where the
    // surroundings do. A blemish's few interior pixels make a noisy figure,
    // so single cases may lose; the sums may not.
    assert!(
        beat_membrane * 5 >= cases * 4,
        "fill beat the membrane in {beat_membrane} of {cases}"
    );
    assert!(
        beat_mean * 5 >= cases * 4,
        "fill beat the mean colour in {beat_mean} of {cases}"
    );
    assert!(
        ours_total < 0.6 * membrane_total && ours_total < 0.5 * mean_total,
        "total texture distance: fill {ours_total}, membrane {membrane_total}, mean {mean_total}"
    );
    ours_total
}

#[test]
fn fill_restores_texture_that_smooth_fills_lose_on_photographs() {
    restores_texture(on_cpu);
}

/// The GPU's jump-flood field is drawn differently from the CPU's scan
/// order, so its fill differs; its texture must be as good (within 15 %).
#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn the_gpu_fill_restores_texture_as_well_as_the_cpu_fill() {
    let gpu = restores_texture(on_gpu);
    let cpu = restores_texture(on_cpu);
    eprintln!("total texture distance: GPU {gpu:.3}, CPU {cpu:.3}");
    assert!(gpu <= 1.15 * cpu, "GPU {gpu} against CPU {cpu}");
}

fn leaves_the_outside_alone(run: Run) {
    let image = photo("chelsea");
    let (w, h) = image.dimensions();
    // A soft-edged disc plus a sliver along the border.
    let mut hole = disc(w, h, 70.0, 60.0, 20.0);
    for y in 0..h {
        hole.put_pixel(w - 1, y, Luma([1]));
    }
    let filled = run(&image, &hole, None, &seeded(7));
    let mut changed = 0;
    for (x, y, p) in filled.image.enumerate_pixels() {
        if hole[(x, y)][0] == 0 {
            assert_eq!(p, image.get_pixel(x, y), "({x}, {y}) is outside the hole");
        } else {
            changed += usize::from(p != image.get_pixel(x, y));
        }
    }
    assert!(changed > 100, "only {changed} hole pixels changed");
}

#[test]
fn pixels_outside_the_hole_are_bit_exact() {
    leaves_the_outside_alone(on_cpu);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn the_gpu_fill_leaves_pixels_outside_the_hole_bit_exact() {
    leaves_the_outside_alone(on_gpu);
}

fn repeats_for_a_seed(run: Run) -> Filled {
    let image = photo("grass");
    let (w, h) = image.dimensions();
    let hole = disc(w, h, 96.0, 72.0, 18.0);
    let first = run(&image, &hole, None, &seeded(42));
    let again = run(&image, &hole, None, &seeded(42));
    assert_eq!(first.image, again.image);
    assert_eq!(first.sources, again.sources);
    let other = run(&image, &hole, None, &seeded(43));
    assert_ne!(first.image, other.image, "the seed changes the draws");
    first
}

#[test]
fn a_seed_always_gives_the_same_fill() {
    repeats_for_a_seed(on_cpu);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn a_seed_always_gives_the_same_gpu_fill_and_it_is_the_gpus_own() {
    let gpu = repeats_for_a_seed(on_gpu);
    let cpu = repeats_for_a_seed(on_cpu);
    // The same seed on the CPU draws another field: the GPU really ran.
    assert_ne!(gpu.sources, cpu.sources);
}

fn keeps_to_the_sampling_area(run: Run) {
    let image = photo("brick");
    let (w, h) = image.dimensions();
    let hole = disc(w, h, 120.0, 70.0, 15.0);
    // Sample only from a band on the left, away from the hole.
    let area = GrayImage::from_fn(w, h, |x, _| Luma([if x < 60 { 255 } else { 0 }]));
    for patch in [3, 7, 11] {
        let options = FillOptions {
            patch,
            seed: 3,
            ..FillOptions::default()
        };
        let filled = run(&image, &hole, Some(&area), &options);
        assert_eq!(filled.patch, patch);
        assert!(!filled.sources.is_empty());
        let r = patch as i64 / 2;
        for s in &filled.sources {
            // Every target patch overlaps the hole ...
            let (tx, ty) = (i64::from(s.target.0), i64::from(s.target.1));
            let overlaps = (-r..=r)
                .any(|dy| (-r..=r).any(|dx| hole[((tx + dx) as u32, (ty + dy) as u32)][0] > 0));
            assert!(overlaps, "{s:?} does not overlap the hole");
            // ... and its source lies wholly in the area, outside the hole.
            let (sx, sy) = (i64::from(s.source.0), i64::from(s.source.1));
            for dy in -r..=r {
                for dx in -r..=r {
                    let (x, y) = ((sx + dx) as u32, (sy + dy) as u32);
                    assert!(area[(x, y)][0] > 0, "patch {patch}: {s:?} takes ({x}, {y})");
                    assert_eq!(
                        hole[(x, y)][0],
                        0,
                        "patch {patch}: {s:?} takes a hole pixel"
                    );
                }
            }
        }
        // Every hole pixel is covered by some target patch, so all came from sources.
        for (x, y, p) in hole.enumerate_pixels() {
            if p[0] > 0 {
                let covered = filled.sources.iter().any(|s| {
                    (i64::from(s.target.0) - i64::from(x)).abs() <= r
                        && (i64::from(s.target.1) - i64::from(y)).abs() <= r
                });
                assert!(covered, "hole pixel ({x}, {y}) has no patch");
            }
        }
    }
}

#[test]
fn no_source_patch_leaves_the_sampling_area() {
    keeps_to_the_sampling_area(on_cpu);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn no_gpu_source_patch_leaves_the_sampling_area() {
    keeps_to_the_sampling_area(on_gpu);
}

/// `image` with its right half in shadow (colours × 0.55).
fn half_shaded(image: &RgbaImage) -> RgbaImage {
    let half = image.width() / 2;
    let mut out = image.clone();
    for (x, _, p) in out.enumerate_pixels_mut() {
        if x >= half {
            for v in &mut p.0[..3] {
                *v = (f32::from(*v) * 0.55).round() as u8;
            }
        }
    }
    out
}

/// The mean absolute RGB difference inside `hole`.
fn error_inside(a: &RgbaImage, b: &RgbaImage, hole: &GrayImage) -> f64 {
    let (mut sum, mut n) = (0u64, 0u64);
    for ((p, q), m) in a.pixels().zip(b.pixels()).zip(hole.pixels()) {
        if m[0] > 0 {
            sum += (0..3).map(|c| u64::from(p[c].abs_diff(q[c]))).sum::<u64>();
            n += 3;
        }
    }
    sum as f64 / n as f64
}

/// A hole in the shaded half of a photograph, texture sampled only from the
/// lit half: copied as it is the fill is far too bright; adapted it takes
/// the shade's tone, so it lands far closer to what the hole hid.
fn adapts_texture_across_a_shadow(run: Run) {
    let (mut off_total, mut high_total, mut low_total) = (0.0, 0.0, 0.0);
    for name in ["grass", "brick", "chelsea", "coffee"] {
        let image = half_shaded(&photo(name));
        let (w, h) = image.dimensions();
        let hole = disc(w, h, w as f32 * 0.75, h as f32 * 0.5, 14.0);
        let lit = GrayImage::from_fn(w, h, |x, _| Luma([if x + 2 < w / 2 { 255 } else { 0 }]));
        let error = |color_adaptation| {
            let options = FillOptions {
                seed: 2,
                color_adaptation,
                ..FillOptions::default()
            };
            let filled = run(&image, &hole, Some(&lit), &options).image;
            for (x, y, p) in filled.enumerate_pixels() {
                if hole[(x, y)][0] == 0 {
                    assert_eq!(p, image.get_pixel(x, y), "{name}: ({x}, {y}) is outside");
                }
            }
            error_inside(&filled, &image, &hole)
        };
        let (off, low, high) = (
            error(ColorAdaptation::Off),
            error(ColorAdaptation::Low),
            error(ColorAdaptation::High),
        );
        eprintln!("{name}: error inside off {off:.1}, low {low:.1}, high {high:.1}");
        assert!(high < 0.7 * off, "{name}: high {high} against off {off}");
        off_total += off;
        low_total += low;
        high_total += high;
    }
    assert!(
        low_total < off_total,
        "low {low_total} against off {off_total}"
    );
    assert!(
        high_total < low_total,
        "high {high_total} against low {low_total}"
    );
}

#[test]
fn colour_adaptation_carries_texture_across_a_shadow() {
    adapts_texture_across_a_shadow(on_cpu);
}

#[test]
#[cfg_attr(
    not(gpu_tests),
    ignore = "GPU test: runs with RETOUCH_REQUIRE_GPU=1 (./build.sh test) or --include-ignored"
)]
fn colour_adaptation_carries_texture_across_a_shadow_on_the_gpu() {
    adapts_texture_across_a_shadow(on_gpu);
}

#[test]
fn colour_adaptation_names_parse_and_bad_ones_are_refused() {
    for adaptation in [
        ColorAdaptation::Off,
        ColorAdaptation::Low,
        ColorAdaptation::High,
    ] {
        assert_eq!(
            ColorAdaptation::parse(adaptation.name()).unwrap(),
            adaptation
        );
    }
    assert!(matches!(
        ColorAdaptation::parse("max"),
        Err(Error::InvalidParameter { ref name, .. }) if name == "color-adaptation"
    ));
}

#[test]
fn a_hole_at_the_canvas_edge_is_filled() {
    let image = photo("coffee");
    let (w, h) = image.dimensions();
    let hole = GrayImage::from_fn(w, h, |x, y| Luma([if x < 12 && y < 20 { 255 } else { 0 }]));
    let filled = on_cpu(&image, &hole, None, &seeded(5));
    assert_ne!(filled.image.get_pixel(0, 0), image.get_pixel(0, 0));
    assert!(filled
        .sources
        .iter()
        .all(|s| s.source.0 >= 3 && s.source.1 >= 3));
}

#[test]
fn bad_input_names_the_parameter_and_fills_nothing() {
    let image = photo("rocket");
    let (w, h) = image.dimensions();
    let hole = disc(w, h, 50.0, 50.0, 8.0);
    let name = |r: Result<Filled>| match r {
        Err(Error::InvalidParameter { name, .. }) => name,
        Err(other) => format!("{other:?}"),
        Ok(_) => "filled".into(),
    };
    let options = FillOptions::default();
    let empty = GrayImage::new(w, h);
    assert_eq!(name(fill_cpu(&image, &empty, None, &options)), "mask");
    for patch in [0, 1, 2, 8, 23] {
        let options = FillOptions {
            patch,
            seed: 0,
            ..FillOptions::default()
        };
        assert_eq!(name(fill_cpu(&image, &hole, None, &options)), "patch");
    }
    assert_eq!(
        name(fill_cpu(&image, &hole, Some(&empty), &options)),
        "sample-area"
    );
    // A sampling area thinner than a patch.
    let thin = GrayImage::from_fn(w, h, |x, _| Luma([if x == 150 { 255 } else { 0 }]));
    assert_eq!(
        name(fill_cpu(&image, &hole, Some(&thin), &options)),
        "sample-area"
    );
    // Everything selected: nothing to sample.
    let all = GrayImage::from_pixel(w, h, Luma([255]));
    assert_eq!(name(fill_cpu(&image, &all, None, &options)), "sample-area");
    let small = GrayImage::new(w - 1, h);
    assert!(matches!(
        fill_cpu(&image, &small, None, &options),
        Err(Error::SizeMismatch(_))
    ));
}
