//! The paint stroke on the CPU; paint.wgsl mirrors it line for line.

use super::{DirtyRect, PaintStroke, PaintTool};
use crate::ops::dab::{build_up, Dabs};
use image::{GrayImage, Rgba, RgbaImage};

/// The stroke coverage `S` over `rect`: every dab built up in stroke order.
fn stroke_coverage(stroke: &PaintStroke, rect: DirtyRect) -> Vec<u8> {
    let mut coverage = vec![0u8; rect.width as usize * rect.height as usize];
    build_coverage(
        &stroke.dabs,
        &stroke.dabs.fixed_centres(),
        stroke.flow,
        &mut coverage,
        rect,
    );
    coverage
}

/// Builds the dabs at `centres` (1/16 px, in stroke order) up into
/// `coverage`, which holds `S` over `rect`, with the shape of `model`.
pub(super) fn build_coverage(
    model: &Dabs,
    centres: &[[i32; 2]],
    flow: u32,
    coverage: &mut [u8],
    rect: DirtyRect,
) {
    for &centre in centres {
        let (xs, ys) = model.bounds(centre, rect);
        for y in ys {
            let row = &mut coverage[(y - rect.y) as usize * rect.width as usize..];
            for x in xs.clone() {
                let c = model.coverage(centre, x, y);
                if c > 0 {
                    let s = &mut row[(x - rect.x) as usize];
                    *s = build_up(u32::from(*s), c, flow) as u8;
                }
            }
        }
    }
}

/// The pixel the stroke lays down at `(x, y)`: the brush's colour (opaque),
/// or the clone source (transparent when it falls outside its area).
pub(super) fn source_pixel(image: &RgbaImage, tool: PaintTool, x: u32, y: u32) -> Rgba<u8> {
    match tool {
        PaintTool::Brush { color: [r, g, b] } => Rgba([r, g, b, 255]),
        PaintTool::Eraser => Rgba([0; 4]),
        PaintTool::CloneStamp {
            offset,
            source_area: area,
        } => {
            let (sx, sy) = (
                i64::from(x) + i64::from(offset.0),
                i64::from(y) + i64::from(offset.1),
            );
            let inside = (i64::from(area.x)..i64::from(area.x + area.width)).contains(&sx)
                && (i64::from(area.y)..i64::from(area.y + area.height)).contains(&sy)
                && sx < i64::from(image.width())
                && sy < i64::from(image.height());
            if inside {
                *image.get_pixel(sx as u32, sy as u32)
            } else {
                Rgba([0; 4])
            }
        }
    }
}

/// The stroke's alpha from its coverage, opacity and selection (all 0..=255).
#[inline]
pub(super) fn stroke_alpha(coverage: u32, opacity: u32, selection: u32) -> u32 {
    (coverage * opacity * selection + 32512) / 65025
}

/// `source` over `dest` at `alpha` (straight alpha, W3C normal), or the
/// eraser's alpha removal, in integers with one rounding per channel.
#[inline]
pub(super) fn apply(dest: [u8; 4], source: [u8; 4], alpha: u32, erase: bool) -> [u8; 4] {
    let d = dest.map(u32::from);
    if erase {
        let kept = (d[3] * (255 - alpha) + 127) / 255;
        return [dest[0], dest[1], dest[2], kept as u8];
    }
    let a = (alpha * u32::from(source[3]) + 127) / 255;
    if a == 0 {
        return dest;
    }
    // Output alpha in 1/255²: a + αd(1 − a).
    let total = a * 255 + d[3] * (255 - a);
    let channel = |c: usize| {
        ((u32::from(source[c]) * a * 255 + d[c] * d[3] * (255 - a) + total / 2) / total) as u8
    };
    [
        channel(0),
        channel(1),
        channel(2),
        ((total + 127) / 255) as u8,
    ]
}

/// The pixels of `rect` after the stroke.
pub(super) fn paint(
    image: &RgbaImage,
    stroke: &PaintStroke,
    rect: DirtyRect,
    selection: Option<&GrayImage>,
) -> RgbaImage {
    let coverage = stroke_coverage(stroke, rect);
    RgbaImage::from_fn(rect.width, rect.height, |px, py| {
        let s = coverage[(py * rect.width + px) as usize];
        let selected = selection.map_or(255, |m| m.get_pixel(px, py)[0]);
        painted_pixel(
            image,
            stroke.tool,
            stroke.opacity,
            (rect.x + px, rect.y + py),
            s,
            selected,
        )
    })
}

/// Pixel `at` of `image` (as it was before the stroke) once the stroke,
/// with coverage `s` and selection `selected` there, is applied.
#[inline]
pub(super) fn painted_pixel(
    image: &RgbaImage,
    tool: PaintTool,
    opacity: u32,
    (x, y): (u32, u32),
    s: u8,
    selected: u8,
) -> Rgba<u8> {
    let dest = image.get_pixel(x, y).0;
    let alpha = stroke_alpha(u32::from(s), opacity, u32::from(selected));
    if alpha == 0 {
        return Rgba(dest);
    }
    Rgba(apply(
        dest,
        source_pixel(image, tool, x, y).0,
        alpha,
        tool == PaintTool::Eraser,
    ))
}
