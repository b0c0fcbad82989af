//! `retouch project new --from` and `retouch export --keep-metadata` end to
//! end: a JPEG whose EXIF says "rotate 90° clockwise" becomes an upright
//! project, and an export keeps the EXIF (orientation reset) only on request.

mod common;
use common::{run_ok, Scratch};

use image::ImageDecoder;
use std::path::PathBuf;

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
    let dir = Scratch::new("meta");
    let input = dir.path("photo.jpg");
    std::fs::write(&input, rotated_jpeg()).unwrap();
    let project = dir.path("photo.ora");
    let (input, project_str) = (input.to_str().unwrap(), project.to_str().unwrap());
    run_ok(&["project", "new", project_str, "--from", input]);
    let kept = dir.path("kept.jpg");
    let plain = dir.path("plain.jpg");
    run_ok(&[
        "export",
        project_str,
        "-o",
        kept.to_str().unwrap(),
        "--keep-metadata",
    ]);
    run_ok(&["export", project_str, "-o", plain.to_str().unwrap()]);
    assert_eq!(jpeg_exif(&kept), Some(exif(1)));
    assert_eq!(jpeg_exif(&plain), None);
    // Straight from the image file, too.
    let direct = dir.path("direct.png");
    run_ok(&[
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
}
