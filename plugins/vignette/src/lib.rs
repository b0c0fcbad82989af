//! Vignette: darkens (amount < 0) or lightens (amount > 0) towards the corners. With the
//! layer's centre `(cx, cy) = (W/2, H/2)` and each pixel's centre `(x + ½, y + ½)`,
//! `d = √(((x + ½ − cx)/cx)² + ((y + ½ − cy)/cy)²) / √2` is 0 at the centre and 1 in the
//! corners (an ellipse fitted to the layer). The falloff `t = smoothstep(m − f/2, m + f/2, d)`
//! with `m` = midpoint/100 and `f` = feather/100, and `k = amount/100 · t`: per colour channel
//! `out = v · (1 + k)` when darkening, `out = v + (255 − v) · k` when lightening; rounded.
//! Alpha is kept. Depends on the layer position only, so tiling and selections do not show.
#![no_std]

use retouch_plugin_sdk::{export_filter, libm, Error, Filter, Params, Tile};

struct Vignette {
    amount: f32,
    inner: f32,
    outer: f32,
}

impl Filter for Vignette {
    fn from_params(params: &mut Params) -> Result<Self, Error> {
        let amount = params.read::<f32>()? / 100.0;
        let midpoint = params.read::<f32>()? / 100.0;
        let feather = params.read::<f32>()?.max(1.0) / 100.0;
        Ok(Vignette {
            amount,
            inner: midpoint - feather / 2.0,
            outer: midpoint + feather / 2.0,
        })
    }

    fn filter(&self, tile: &mut Tile) -> Result<(), Error> {
        let (cx, cy) = (
            tile.image_width as f32 / 2.0,
            tile.image_height as f32 / 2.0,
        );
        tile.map(|[r, g, b, a], x, y| {
            let (dx, dy) = ((x as f32 + 0.5 - cx) / cx, (y as f32 + 0.5 - cy) / cy);
            let d = libm::sqrtf(dx * dx + dy * dy) / core::f32::consts::SQRT_2;
            let s = ((d - self.inner) / (self.outer - self.inner)).clamp(0.0, 1.0);
            let k = self.amount * s * s * (3.0 - 2.0 * s);
            let shade = |v: u8| {
                let v = v as f32;
                let out = if k < 0.0 {
                    v * (1.0 + k)
                } else {
                    v + (255.0 - v) * k
                };
                (out.clamp(0.0, 255.0) + 0.5) as u8
            };
            [shade(r), shade(g), shade(b), a]
        });
        Ok(())
    }
}

export_filter!(Vignette);
