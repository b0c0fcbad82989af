//! Inputs that claim far more than they hold are answered in little memory
//! (issue 12): a PNG whose ICC profile inflates to 1 GiB, and `project
//! info` on a project of maximum-size layers. Its own test binary, so the
//! children's peak memory (`getrusage(RUSAGE_CHILDREN)`) is only theirs.

mod common;
use common::{children_peak_mib, retouch, Scratch};

use std::io::Write;

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = flate2::Crc::new();
    hasher.update(bytes);
    hasher.sum()
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A valid 64×64 PNG with an iCCP chunk inserted after IHDR.
fn png_with_iccp(compressed_profile: &[u8]) -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(64, 64, image::Rgba([10, 20, 30, 255]));
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let mut data = b"bomb\0\0".to_vec();
    data.extend_from_slice(compressed_profile);
    let after_ihdr = 8 + 25;
    let mut out = png[..after_ihdr].to_vec();
    out.extend(chunk(b"iCCP", &data));
    out.extend_from_slice(&png[after_ihdr..]);
    out
}

#[test]
fn an_icc_profile_inflating_to_a_gibibyte_is_refused_in_little_memory() {
    let dir = Scratch::new("icc-bomb");
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = png_with_iccp(&encoder.finish().unwrap());
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    std::fs::write(dir.path("bomb.png"), &bomb).unwrap();
    for args in [
        vec!["export", "bomb.png", "-o", "out.png", "--keep-metadata"],
        vec!["project", "new", "p.ora", "--from", "bomb.png"],
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| match *a {
                "bomb.png" | "out.png" | "p.ora" => dir.arg(a),
                other => other.to_string(),
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = retouch(&args);
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} accepted the bomb");
        assert!(message.contains("bomb.png"), "{message}");
        assert!(message.contains("ICC profile"), "{message}");
    }
    assert!(!dir.path("out.png").exists() && !dir.path("p.ora").exists());
    let peak = children_peak_mib();
    assert!(peak < 100, "peak memory {peak} MB");

    // A profile within the cap still opens and is carried over.
    let profile = b"a small but genuine-looking profile".repeat(100);
    let mut small = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    small.write_all(&profile).unwrap();
    std::fs::write(dir.path("ok.png"), png_with_iccp(&small.finish().unwrap())).unwrap();
    let out = retouch(&[
        "export",
        &dir.arg("ok.png"),
        "-o",
        &dir.arg("out.png"),
        "--keep-metadata",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = std::fs::read(dir.path("out.png")).unwrap();
    let (_, kept) = retouch::image_io::decode_rgba_with_metadata(&exported).unwrap();
    assert_eq!(kept.icc_profile.as_deref(), Some(&profile[..]));
}

/// A PNG of `side`×`side` RGBA whose header is all there is: no pixel data.
fn header_only_png(side: u32) -> Vec<u8> {
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[test]
fn project_info_reads_no_layer_pixels() {
    let dir = Scratch::new("info");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.path("huge.ora")).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"image/openraster").unwrap();
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><image w=\"16384\" h=\"16384\" \
         xmlns:retouch=\"urn:retouch:openraster:1\"><stack>",
    );
    for i in 0..4 {
        xml.push_str(&format!(
            "<layer name=\"big {i}\" src=\"data/{i}.png\" x=\"{i}\" y=\"0\" opacity=\"0.5\" \
             retouch:blend-mode=\"multiply\"/>"
        ));
    }
    xml.push_str("</stack></image>");
    zip.start_file("stack.xml", stored).unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    for i in 0..4 {
        zip.start_file(format!("data/{i}.png"), stored).unwrap();
        zip.write_all(&header_only_png(16384)).unwrap();
    }
    zip.finish().unwrap();
    assert!(std::fs::metadata(dir.path("huge.ora")).unwrap().len() < 2048);

    let out = retouch(&["project", "info", &dir.arg("huge.ora"), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["width"], 16384);
    let layers = info["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4);
    // Bottom first: stack.xml lists the top layer ("big 3") last here, so
    // the bottom is "big 3".
    assert_eq!(layers[0]["name"], "big 3");
    assert_eq!(layers[3]["name"], "big 0");
    for layer in layers {
        assert_eq!(
            (&layer["width"], &layer["height"]),
            (&16384.into(), &16384.into())
        );
        assert_eq!(layer["mode"], "multiply");
        assert_eq!(layer["opacity"], 0.5);
    }
    let peak = children_peak_mib();
    assert!(peak < 100, "peak memory {peak} MB");
    // Opening it for real still fails: the layers have no pixels.
    let out = retouch(&["export", &dir.arg("huge.ora"), "-o", &dir.arg("out.png")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("huge.ora"));
}
