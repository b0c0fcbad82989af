//! CPU reference of the warp; transform.wgsl mirrors it operation for
//! operation (same weights, same summation order) so the backends agree.

use super::{tiles, Affine, Area, TileSampling, TILE};
use image::{Rgba, RgbaImage};

/// Keys' cubic convolution weights (a = −0.5) of the taps at −1, 0, 1 and 2
/// from the sample's integer part, for the fraction `t` in [0, 1).
pub(super) fn bicubic_weights(t: f32) -> [f32; 4] {
    [
        ((-0.5 * t + 1.0) * t - 0.5) * t,
        (1.5 * t - 2.5) * t * t + 1.0,
        ((-1.5 * t + 2.0) * t + 0.5) * t,
        (0.5 * t - 0.5) * t * t,
    ]
}

/// The source at (`u`, `v`) in pixel-index coordinates (pixel `i`'s centre
/// is `i`), premultiplied bicubic, transparent outside the image.
fn sample(source: &RgbaImage, u: f32, v: f32) -> Rgba<u8> {
    let (fu, fv) = (u.floor(), v.floor());
    let (wx, wy) = (bicubic_weights(u - fu), bicubic_weights(v - fv));
    let (ix, iy) = (fu as i64 - 1, fv as i64 - 1);
    let (width, height) = (i64::from(source.width()), i64::from(source.height()));
    let mut sum = [0.0f32; 4];
    for (m, &row_weight) in wy.iter().enumerate() {
        let y = iy + m as i64;
        if y < 0 || y >= height {
            continue;
        }
        let mut row = [0.0f32; 4];
        for (n, &weight) in wx.iter().enumerate() {
            let x = ix + n as i64;
            if x < 0 || x >= width {
                continue;
            }
            let p = source.get_pixel(x as u32, y as u32).0;
            let alpha = f32::from(p[3]);
            for c in 0..3 {
                row[c] += weight * (f32::from(p[c]) * alpha);
            }
            row[3] += weight * alpha;
        }
        for c in 0..4 {
            sum[c] += row_weight * row[c];
        }
    }
    let alpha = sum[3];
    if alpha < 0.5 {
        return Rgba([0, 0, 0, 0]);
    }
    let level = |v: f32| (v + 0.5).floor().clamp(0.0, 255.0) as u8;
    Rgba([
        level(sum[0] / alpha),
        level(sum[1] / alpha),
        level(sum[2] / alpha),
        level(alpha),
    ])
}

/// `source` under `to_dest` (validated) over the destination `area`, with
/// no pre-pass (see the module docs).
pub(super) fn warp_cpu(source: &RgbaImage, to_dest: &Affine, area: Area) -> RgbaImage {
    let to_source = to_dest.inverse().expect("validated maps are invertible");
    let mut out = RgbaImage::new(area.width, area.height);
    for tile in tiles(area, TILE) {
        let s = TileSampling::at(&to_source, tile.x, tile.y);
        let (ox, oy) = ((tile.x - area.x) as u32, (tile.y - area.y) as u32);
        for j in 0..tile.height {
            for i in 0..tile.width {
                let (fi, fj) = (i as f32, j as f32);
                let u = s.origin[0] + fi * s.step_x[0] + fj * s.step_y[0];
                let v = s.origin[1] + fi * s.step_x[1] + fj * s.step_y[1];
                out.put_pixel(ox + i, oy + j, sample(source, u, v));
            }
        }
    }
    out
}
