//! Film grain: seeded value noise added to each pixel, strongest in the midtones. The noise
//! depends only on the seed and the pixel's layer position, so a run gives the same bytes
//! whatever the tiling, the selection or the machine.
//!
//! Noise: lattice values `hash(ix, iy, seed, channel)` in −1…1 (Chris Wellons' `lowbias32`
//! hash, below) on a grid of `size` pixels, blended bilinearly with smoothstep weights at
//! `(x / size, y / size)`. With `monochrome` every channel takes channel 3's noise. Per
//! colour channel: `out = v + n · amount/100 · 48 · (0.25 + 3·l·(1 − l))`, where `l` is the
//! pixel's Rec. 601 luma in 0–1; rounded, clamped. Alpha is kept.
#![no_std]

use retouch_plugin_sdk::{export_filter, libm, Error, Filter, Params, Tile};

struct FilmGrain {
    strength: f32,
    size: f32,
    seed: u32,
    monochrome: bool,
}

/// Chris Wellons' `lowbias32` integer hash.
fn hash(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

impl FilmGrain {
    /// The lattice value at `(ix, iy)` for `channel`, in −1…1.
    fn lattice(&self, ix: u32, iy: u32, channel: u32) -> f32 {
        let h = hash(ix ^ hash(iy ^ hash(self.seed.wrapping_mul(4).wrapping_add(channel))));
        (h >> 8) as f32 / 8_388_607.5 - 1.0
    }

    /// The noise at layer pixel `(x, y)` for `channel`.
    fn noise(&self, x: u32, y: u32, channel: u32) -> f32 {
        let (gx, gy) = (x as f32 / self.size, y as f32 / self.size);
        let (fx, fy) = (libm::floorf(gx), libm::floorf(gy));
        let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
        let (sx, sy) = (smooth(gx - fx), smooth(gy - fy));
        let (ix, iy) = (fx as u32, fy as u32);
        let top =
            self.lattice(ix, iy, channel) * (1.0 - sx) + self.lattice(ix + 1, iy, channel) * sx;
        let bottom = self.lattice(ix, iy + 1, channel) * (1.0 - sx)
            + self.lattice(ix + 1, iy + 1, channel) * sx;
        top * (1.0 - sy) + bottom * sy
    }
}

impl Filter for FilmGrain {
    fn from_params(params: &mut Params) -> Result<Self, Error> {
        Ok(FilmGrain {
            strength: params.read::<f32>()? / 100.0 * 48.0,
            size: params.read::<f32>()?.max(1.0),
            seed: params.read::<u32>()?,
            monochrome: params.read::<bool>()?,
        })
    }

    fn filter(&self, tile: &mut Tile) -> Result<(), Error> {
        tile.map(|[r, g, b, a], x, y| {
            let luma = (0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32) / 255.0;
            let weight = self.strength * (0.25 + 3.0 * luma * (1.0 - luma));
            let mono = if self.monochrome {
                self.noise(x, y, 3)
            } else {
                0.0
            };
            let grain = |v: u8, channel: u32| {
                let n = if self.monochrome {
                    mono
                } else {
                    self.noise(x, y, channel)
                };
                ((v as f32 + n * weight).clamp(0.0, 255.0) + 0.5) as u8
            };
            [grain(r, 0), grain(g, 1), grain(b, 2), a]
        });
        Ok(())
    }
}

export_filter!(FilmGrain);
