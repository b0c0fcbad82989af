//! `retouch project new --from` and `retouch export --keep-metadata` end to
//! end: a JPEG whose EXIF says "rotate 90° clockwise" becomes an upright
//! project, and an export keeps the EXIF (orientation reset) only on request.

use image::ImageDecoder;
use std::path::PathBuf;
use std::process::Command;

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("retouch-cli-meta-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn retouch(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_retouch"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "retouch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// EXIF (little-endian TIFF, one IFD) with only the orientation tag.
fn exif(orientation: u8) -> Vec<u8> {
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00\x01\x00".to_vec();
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff
}

/// A 32×16 JPEG with an APP1 Exif segment written by hand after SOI.
fn rotated_jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(32, 16, |x, _| {
        image::Rgb(if x < 16 { [255, 0, 0] } else { [0, 0, 255] })
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
        .encode_image(&image)
        .unwrap();
    let exif = exif(6);
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe1];
    jpeg.extend_from_slice(&((8 + exif.len()) as u16).to_be_bytes());
    jpeg.extend_from_slice(b"Exif\0\0");
    jpeg.extend_from_slice(&exif);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

fn jpeg_exif(path: &PathBuf) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut decoder =
        image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes[..])).unwrap();
    assert_eq!(decoder.dimensions(), (16, 32), "{}", path.display());
    decoder.exif_metadata().unwrap()
}

#[test]
fn import_is_upright_and_export_keeps_metadata_on_request() {
    let dir = scratch();
    let input = dir.join("photo.jpg");
    std::fs::write(&input, rotated_jpeg()).unwrap();
    let project = dir.join("photo.ora");
    let (input, project_str) = (input.to_str().unwrap(), project.to_str().unwrap());
    retouch(&["project", "new", project_str, "--from", input]);
    let kept = dir.join("kept.jpg");
    let plain = dir.join("plain.jpg");
    retouch(&[
        "export",
        project_str,
        "-o",
        kept.to_str().unwrap(),
        "--keep-metadata",
    ]);
    retouch(&["export", project_str, "-o", plain.to_str().unwrap()]);
    assert_eq!(jpeg_exif(&kept), Some(exif(1)));
    assert_eq!(jpeg_exif(&plain), None);
    // Straight from the image file, too.
    let direct = dir.join("direct.png");
    retouch(&[
        "export",
        input,
        "-o",
        direct.to_str().unwrap(),
        "--keep-metadata",
    ]);
    let png = std::fs::read(&direct).unwrap();
    let mut decoder = image::codecs::png::PngDecoder::new(std::io::Cursor::new(&png[..])).unwrap();
    assert_eq!(decoder.dimensions(), (16, 32));
    assert_eq!(decoder.exif_metadata().unwrap(), Some(exif(1)));
    let _ = std::fs::remove_dir_all(&dir);
}
