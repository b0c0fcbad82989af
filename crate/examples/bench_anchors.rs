//! `./build.sh bench`: our kernels beside the anchors a user would otherwise
//! reach for (Pillow, OpenCV; `tests/bench/anchors.py`), on the same inputs
//! (written to files both sides read), the same thread count
//! (`RETOUCH_THREADS`, default 1; OpenCV's `setNumThreads`), interleaved one
//! operation at a time, timed alike (`bench_kit`). Prints each side's time
//! and "vs anchor": the anchor's time over ours (above 1: we are faster).
//!
//! The anchors need `RETOUCH_ANCHOR_PYTHON`, a python with Pillow, OpenCV and
//! NumPy (`tests/bench/setup_anchor_venv.sh` makes one); without it only our
//! figures are printed.

mod bench_kit;

use image::{GrayImage, RgbaImage};
use retouch::ops::blend::{composite_cpu, BlendMode, CompositeOptions};
use retouch::ops::resample::{resize_cpu, ResizeOptions};
use retouch::ops::select::{self, Rect};
use retouch::ops::wand::{self, WandOptions};
use retouch::ops::{feather, morphology};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

const SIDE: u32 = 4096;

/// The anchor process: one operation per line in, its median seconds out.
struct Anchors {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Anchors {
    fn start(folder: &Path, threads: usize) -> Option<Anchors> {
        let python = std::env::var("RETOUCH_ANCHOR_PYTHON").ok()?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/bench/anchors.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(folder)
            .arg(threads.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| println!("anchors: not started ({e})"))
            .ok()?;
        let input = child.stdin.take()?;
        let output = BufReader::new(child.stdout.take()?);
        Some(Anchors {
            child,
            input,
            output,
        })
    }

    fn time(&mut self, op: &str) -> Option<Duration> {
        writeln!(self.input, "{op}").ok()?;
        let mut line = String::new();
        self.output.read_line(&mut line).ok()?;
        line.trim().parse::<f64>().ok().map(Duration::from_secs_f64)
    }
}

impl Drop for Anchors {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `pixels` as raw bytes plus a `width height` text file.
fn write_raw(folder: &Path, name: &str, (width, height): (u32, u32), pixels: &[u8]) {
    std::fs::write(folder.join(format!("{name}.raw")), pixels).expect("write an input");
    std::fs::write(
        folder.join(format!("{name}.txt")),
        format!("{width} {height}"),
    )
    .expect("write an input");
}

fn main() {
    let threads: usize = std::env::var("RETOUCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            // Pin ours to the anchors' count (the pool reads it once).
            std::env::set_var("RETOUCH_THREADS", "1");
            1
        });
    let base = bench_kit::photo_mosaic(SIDE, SIDE);
    // The backdrop mirrored, with varied alpha: no pixel takes a shortcut.
    let mut layer = image::imageops::flip_horizontal(&base);
    for (x, y, px) in layer.enumerate_pixels_mut() {
        px.0[3] = ((x * 7 + y * 3) % 256) as u8;
    }
    let mask = GrayImage::from_fn(SIDE, SIDE, |x, y| image::Luma([((x ^ y) % 256) as u8]));
    let size = SIDE as f32;
    let selection = select::ellipse(
        SIDE,
        SIDE,
        Rect {
            x: size * 0.1,
            y: size * 0.15,
            width: size * 0.8,
            height: size * 0.7,
        },
    )
    .expect("an ellipse");
    let wand_image = RgbaImage::from_fn(SIDE, SIDE, |x, y| {
        let inside = selection.as_raw()[(y * SIDE + x) as usize] >= 128;
        image::Rgba(if inside {
            [200, 40, 40, 255]
        } else {
            [30, 90, 160 + (x % 7) as u8, 255]
        })
    });
    let small = bench_kit::photo_mosaic(SIDE / 2, SIDE / 2);

    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/out/bench-anchors");
    std::fs::create_dir_all(&folder).expect("the input folder");
    write_raw(&folder, "base", base.dimensions(), &base);
    write_raw(&folder, "layer", layer.dimensions(), &layer);
    write_raw(&folder, "selection", selection.dimensions(), &selection);
    write_raw(&folder, "wand", wand_image.dimensions(), &wand_image);
    write_raw(&folder, "small", small.dimensions(), &small);
    let mut anchors = Anchors::start(&folder, threads);

    println!(
        "{SIDE}×{SIDE} photographs (resize: {}² ×2), {threads} thread(s), wall time, median of {}; \
         vs anchor = anchor time / our time",
        SIDE / 2,
        bench_kit::RUNS
    );
    println!(
        "{:<34} {:>10} {:>10}   {:<34} {:>10} {:>9}",
        "ours", "MP/s", "ms", "anchor", "ms", "vs anchor"
    );
    let pixels = u64::from(SIDE) * u64::from(SIDE);
    let mut row = |ours: &str, time: Duration, anchor_ops: &[(&str, String)]| {
        for (label, op) in anchor_ops {
            let anchor = anchors.as_mut().and_then(|a| a.time(op));
            let (anchor_ms, ratio) = match anchor {
                Some(t) => (
                    format!("{:.1}", t.as_secs_f64() * 1e3),
                    format!("{:.2}×", t.as_secs_f64() / time.as_secs_f64()),
                ),
                None => ("—".into(), "—".into()),
            };
            println!(
                "{ours:<34} {:>10.1} {:>10.1}   {label:<34} {anchor_ms:>10} {ratio:>9}",
                bench_kit::mp_per_s(pixels, time),
                time.as_secs_f64() * 1e3,
            );
        }
    };

    let blend = |mode, mask: Option<&GrayImage>| {
        let options = CompositeOptions {
            mode,
            ..Default::default()
        };
        bench_kit::median(|| composite_cpu(&base, &layer, mask, &options).expect("blend"))
    };
    row(
        "normal blend (API, new image)",
        blend(BlendMode::Normal, None),
        &[("Pillow alpha_composite", "pil-alpha-composite".into())],
    );
    row(
        "multiply blend (API, new image)",
        blend(BlendMode::Multiply, None),
        &[("cv2.multiply (scale 1/255)", "cv2-multiply".into())],
    );
    row(
        "multiply blend + mask",
        blend(BlendMode::Multiply, Some(&mask)),
        &[("cv2.multiply (no mask)", "cv2-multiply".into())],
    );

    // Resize ×2 scales the output: MP/s below are of the 4096² output.
    let t =
        bench_kit::median(|| resize_cpu(&small, &ResizeOptions::new(SIDE, SIDE)).expect("resize"));
    row(
        "Lanczos3 ×2 (2048² → 4096²)",
        t,
        &[
            ("Pillow resize LANCZOS", "pil-lanczos".into()),
            ("cv2.resize INTER_LANCZOS4", "cv2-lanczos4".into()),
        ],
    );

    for radius in [2.0f32, 20.0, 200.0] {
        let sigma = feather::sigma_for_radius(radius);
        let t = bench_kit::median(|| feather::feather_cpu(&selection, radius).expect("feather"));
        row(
            &format!("feather r={radius} (σ={sigma})"),
            t,
            &[
                ("cv2.GaussianBlur σ", format!("cv2-gaussian {sigma}")),
                ("Pillow GaussianBlur σ", format!("pil-gaussian {sigma}")),
            ],
        );
    }
    for distance in [5u32, 30, 100] {
        let t = bench_kit::median(|| morphology::grow_cpu(&selection, distance).expect("grow"));
        row(
            &format!("grow {distance}"),
            t,
            &[("cv2.dilate elliptical", format!("cv2-dilate {distance}"))],
        );
    }
    let options = WandOptions {
        seed: (0, 0),
        tolerance: 16,
        contiguous: true,
        anti_alias: false,
    };
    let t = bench_kit::median(|| wand::magic_wand(&wand_image, &options).expect("wand"));
    row(
        "magic wand (hard edge, tolerance 16)",
        t,
        &[("cv2.floodFill fixed range", "cv2-floodfill 16".into())],
    );
}
